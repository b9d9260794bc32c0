"""TLS 1.3 interop with Python's ssl module (OpenSSL) in process, over ssl.MemoryBIO.

Every suite x every group both support x ECDSA/RSA/Ed25519 certificates, both
roles; 1 MiB echoed both ways; clean bidirectional shutdown.
"""

from __future__ import annotations

import os
import ssl

import pytest
from peers import PyPeer

from biokit.ssl import SSL, ErrorCode, SSLContext, TLS_client_method, TLS_server_method
from biokit.testing import pki

SUITES = ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"]
GROUPS = {"X25519": 29, "X448": 30, "P-256": 23, "P-384": 24, "P-521": 25}
KINDS = ["ec256", "rsa2048", "ed25519"]
MiB = 1 << 20


def _py_server_ctx(kind: str, tmp_path_factory: pytest.TempPathFactory) -> ssl.SSLContext:
    d = tmp_path_factory.mktemp(f"py-{kind}")
    paths = pki(kind).write(d)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.load_cert_chain(paths["server.pem"], paths["server.key"])
    return ctx


def _py_client_ctx(kind: str, tmp_path_factory: pytest.TempPathFactory) -> ssl.SSLContext:
    d = tmp_path_factory.mktemp(f"pyc-{kind}")
    paths = pki(kind).write(d)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.load_verify_locations(paths["ca.pem"])
    return ctx


def _bk_server(kind: str, suite: str, group: str) -> SSL:
    p = pki(kind)
    ctx = SSLContext(TLS_server_method())
    assert ctx.use_certificate(p.server[0]) == 1
    assert ctx.use_PrivateKey(p.server[1]) == 1
    assert ctx.set_ciphersuites(suite) == 1
    assert ctx.set1_groups_list(group) == 1
    return SSL(ctx)


def _bk_client(kind: str, suite: str, group: str) -> SSL:
    p = pki(kind)
    ctx = SSLContext(TLS_client_method())
    ctx.get_cert_store().add_cert(p.ca[0])
    ctx.set_verify(1)
    assert ctx.set_ciphersuites(suite) == 1
    assert ctx.set1_groups_list(group) == 1
    s = SSL(ctx)
    s.set_tlsext_host_name("localhost")
    s.set1_host("localhost")
    return s


def _shutdown(peer: PyPeer, bk_first: bool) -> None:
    bk = peer.bk
    if bk_first:
        assert bk.shutdown() == 0
        peer.shuttle()
        # Python's SSLObject.read() reports the peer's close_notify as b"".
        assert peer.obj.read(10) == b""
        peer.obj.unwrap()
        peer.shuttle()
        assert bk.shutdown() == 1
    else:
        try:
            peer.obj.unwrap()
        except ssl.SSLWantReadError:
            pass
        peer.shuttle()
        assert bk.read(10) == b""
        assert bk.get_error(0) == ErrorCode.ZERO_RETURN
        assert bk.shutdown() == 1
        peer.shuttle()
        peer.obj.unwrap()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("group", list(GROUPS))
@pytest.mark.parametrize("suite", SUITES)
def test_python_client_biokit_server(
    suite: str, group: str, kind: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    server = _bk_server(kind, suite, group)
    peer = PyPeer(_py_client_ctx(kind, tmp_path_factory), server, server_side=False,
                  hostname="localhost")
    peer.handshake()
    assert peer.obj.version() == "TLSv1.3"
    assert peer.obj.cipher()[0] == suite
    assert server.get_cipher() == suite
    assert server.get_negotiated_group() == GROUPS[group]
    data = b"ping" * 64
    assert peer.py_to_bk(data) == data
    assert peer.bk_to_py(data) == data
    _shutdown(peer, bk_first=group == "X25519")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("group", list(GROUPS))
@pytest.mark.parametrize("suite", SUITES)
def test_biokit_client_python_server(
    suite: str, group: str, kind: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    client = _bk_client(kind, suite, group)
    peer = PyPeer(_py_server_ctx(kind, tmp_path_factory), client, server_side=True)
    peer.handshake()
    assert client.get_version() == "TLSv1.3"
    assert client.get_cipher() == suite
    assert client.get_negotiated_group() == GROUPS[group]
    assert client.get_verify_result() == 0
    peer_cert = client.get_peer_certificate()
    assert peer_cert is not None and peer_cert == pki(kind).server[0]
    data = b"pong" * 64
    assert peer.bk_to_py(data) == data
    assert peer.py_to_bk(data) == data
    _shutdown(peer, bk_first=group != "X25519")


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize("bk_role", ["client", "server"])
def test_one_mib_echo_both_ways(
    suite: str, bk_role: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    if bk_role == "server":
        bk = _bk_server("ec256", suite, "X25519")
        peer = PyPeer(_py_client_ctx("ec256", tmp_path_factory), bk, server_side=False,
                      hostname="localhost")
    else:
        bk = _bk_client("ec256", suite, "X25519")
        peer = PyPeer(_py_server_ctx("ec256", tmp_path_factory), bk, server_side=True)
    peer.handshake()
    payload = os.urandom(MiB)
    echoed = peer.py_to_bk(payload)
    assert echoed == payload
    assert peer.bk_to_py(echoed) == payload
    payload2 = os.urandom(MiB)
    assert peer.bk_to_py(payload2) == payload2
    assert peer.py_to_bk(payload2) == payload2
    _shutdown(peer, bk_first=True)


def test_hello_retry_request_python_client(tmp_path_factory: pytest.TempPathFactory) -> None:
    # Python's client sends an X25519 share; a server that only takes P-384 must ask again.
    server = _bk_server("ec256", "TLS_AES_128_GCM_SHA256", "P-384")
    states: list[str] = []
    server.set_info_callback(lambda s, where, ret: states.append(s.state_string_long()))
    peer = PyPeer(_py_client_ctx("ec256", tmp_path_factory), server, server_side=False,
                  hostname="localhost")
    peer.handshake()
    assert server.get_negotiated_group() == 24
    assert states.count("SSLv3/TLS read client hello") == 2
    data = os.urandom(5000)
    assert peer.py_to_bk(data) == data


def test_hello_retry_request_python_server(tmp_path_factory: pytest.TempPathFactory) -> None:
    # biokit offers X25519 first (share sent) and P-256; Python's server is told to
    # use P-256 only, so it answers with a HelloRetryRequest.
    ctx = _py_server_ctx("ec256", tmp_path_factory)
    ctx.set_ecdh_curve("prime256v1")
    client = _bk_client("ec256", "TLS_AES_128_GCM_SHA256", "X25519:P-256")
    msgs: list[tuple[int, int, bytes]] = []
    client.set_msg_callback(lambda w, v, ct, data, s: msgs.append((w, ct, data[:1])))
    peer = PyPeer(ctx, client, server_side=True)
    peer.handshake()
    assert client.get_negotiated_group() == 23
    sent_hellos = [m for m in msgs if m[0] == 1 and m[1] == 22 and m[2] == b"\x01"]
    assert len(sent_hellos) == 2
    assert peer.bk_to_py(b"after hrr") == b"after hrr"


@pytest.mark.parametrize("kind", ["ec384", "ec521", "ed448", "rsa-pss"])
def test_more_certificate_kinds(kind: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    server = _bk_server(kind, "TLS_AES_256_GCM_SHA384", "X25519")
    peer = PyPeer(_py_client_ctx(kind, tmp_path_factory), server, server_side=False,
                  hostname="localhost")
    peer.handshake()
    assert peer.py_to_bk(b"x" * 100) == b"x" * 100
    client = _bk_client(kind, "TLS_AES_256_GCM_SHA384", "X25519")
    peer = PyPeer(_py_server_ctx(kind, tmp_path_factory), client, server_side=True)
    peer.handshake()
    assert client.get_verify_result() == 0
