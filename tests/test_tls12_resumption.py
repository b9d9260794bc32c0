"""TLS 1.2 (ECDHE + AEAD, EMS, RFC 5746, tickets) and session resumption, against real peers."""

from __future__ import annotations

import os
import ssl

import pytest
from peers import OSSLPeer, PyPeer

from biokit.errors import clear_error, errors_as_list
from biokit.ssl import (
    SSL,
    ErrorCode,
    SSLContext,
    TLS_client_method,
    TLS_server_method,
    Verify,
    Version,
)
from biokit.testing import pki, pump, tls_pair

SUITES12 = [
    ("ec256", "ECDHE-ECDSA-AES128-GCM-SHA256"),
    ("ec256", "ECDHE-ECDSA-AES256-GCM-SHA384"),
    ("ec256", "ECDHE-ECDSA-CHACHA20-POLY1305"),
    ("rsa2048", "ECDHE-RSA-AES128-GCM-SHA256"),
    ("rsa2048", "ECDHE-RSA-AES256-GCM-SHA384"),
    ("rsa2048", "ECDHE-RSA-CHACHA20-POLY1305"),
]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    return {k: pki(k).write(tmp_path_factory.mktemp(k)) for k in ("ec256", "rsa2048")}


def bk_server(kind: str, cipher: str | None = None, max12: bool = False) -> SSL:
    p = pki(kind)
    ctx = SSLContext(TLS_server_method())
    ctx.use_certificate(p.server[0])
    ctx.use_PrivateKey(p.server[1])
    ctx.get_cert_store().add_cert(p.ca[0])
    if cipher:
        assert ctx.set_cipher_list(cipher) == 1
    if max12:
        ctx.set_max_proto_version(Version.TLS1_2)
    return SSL(ctx)


def bk_client(kind: str, cipher: str | None = None, max12: bool = True) -> SSL:
    p = pki(kind)
    ctx = SSLContext(TLS_client_method())
    ctx.get_cert_store().add_cert(p.ca[0])
    ctx.set_verify(Verify.PEER)
    if cipher:
        assert ctx.set_cipher_list(cipher) == 1
    if max12:
        ctx.set_max_proto_version(Version.TLS1_2)
    s = SSL(ctx)
    s.set_tlsext_host_name("localhost")
    s.set1_host("localhost")
    return s


def py_ctx(server: bool, f: dict[str, str], cipher: str | None = None) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if server else ssl.PROTOCOL_TLS_CLIENT)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    if server:
        ctx.load_cert_chain(f["server.pem"], f["server.key"])
    else:
        ctx.load_verify_locations(f["ca.pem"])
    if cipher:
        ctx.set_ciphers(cipher)
    return ctx


@pytest.mark.parametrize(("kind", "cipher"), SUITES12)
def test_tls12_python_client_biokit_server(
    kind: str, cipher: str, files: dict[str, dict[str, str]]
) -> None:
    server = bk_server(kind)
    peer = PyPeer(py_ctx(False, files[kind], cipher), server, server_side=False,
                  hostname="localhost")
    peer.handshake()
    assert peer.obj.version() == "TLSv1.2"
    assert peer.obj.cipher()[0] == cipher
    assert server.get_cipher() == cipher
    assert server.get_version() == "TLSv1.2"
    data = os.urandom(100000)
    assert peer.py_to_bk(data) == data
    assert peer.bk_to_py(data) == data
    assert server.shutdown() == 0
    peer.shuttle()
    assert peer.obj.read(10) == b""
    peer.obj.unwrap()
    peer.shuttle()
    assert server.shutdown() == 1


@pytest.mark.parametrize(("kind", "cipher"), SUITES12)
def test_tls12_biokit_client_python_server(
    kind: str, cipher: str, files: dict[str, dict[str, str]]
) -> None:
    client = bk_client(kind, cipher)
    peer = PyPeer(py_ctx(True, files[kind]), client, server_side=True)
    peer.handshake()
    assert client.get_version() == "TLSv1.2"
    assert client.get_cipher() == cipher
    assert client.get_verify_result() == 0
    data = os.urandom(70000)
    assert peer.bk_to_py(data) == data
    assert peer.py_to_bk(data) == data


def test_tls12_client_certificates_both_ways(files: dict[str, dict[str, str]]) -> None:
    f = files["ec256"]
    p = pki("ec256")
    # biokit server requires a client certificate from Python.
    server = bk_server("ec256")
    server.set_verify(Verify.PEER | Verify.FAIL_IF_NO_PEER_CERT)
    pctx = py_ctx(False, f)
    pctx.load_cert_chain(f["client.pem"], f["client.key"])
    peer = PyPeer(pctx, server, server_side=False, hostname="localhost")
    peer.handshake()
    assert server.get_peer_certificate() == p.client[0]
    # biokit client presents one to Python.
    client = bk_client("ec256")
    client.get_SSL_CTX().use_certificate(p.client[0])
    client.get_SSL_CTX().use_PrivateKey(p.client[1])
    sctx = py_ctx(True, f)
    sctx.load_verify_locations(f["ca.pem"])
    sctx.verify_mode = ssl.CERT_REQUIRED
    peer = PyPeer(sctx, client, server_side=True)
    peer.handshake()
    assert peer.obj.getpeercert(binary_form=True) == p.client[0].to_der()


def test_tls12_exporter_matches_pyopenssl(files: dict[str, dict[str, str]]) -> None:
    from OpenSSL import SSL as OSSL

    f = files["ec256"]
    octx = OSSL.Context(OSSL.TLS_METHOD)
    octx.set_max_proto_version(OSSL.TLS1_2_VERSION)
    octx.use_certificate_chain_file(f["server.pem"])
    octx.use_privatekey_file(f["server.key"])
    client = bk_client("ec256")
    peer = OSSLPeer(octx, client, server_side=True)
    peer.handshake()
    assert client.get_version() == "TLSv1.2"
    for ctxt in (None, b"", b"ctx"):
        assert client.export_keying_material(b"EXPERIMENTAL-x", 32, ctxt) == (
            peer.conn.export_keying_material(b"EXPERIMENTAL-x", 32, ctxt)
        )
    # RFC 5705: no context and an empty context are different in TLS 1.2.
    assert client.export_keying_material(b"L", 16, None) != client.export_keying_material(
        b"L", 16, b""
    )


def test_tls12_keylog_matches_python(files: dict[str, dict[str, str]], tmp_path: object) -> None:
    import pathlib

    f = files["ec256"]
    log = pathlib.Path(str(tmp_path)) / "k.log"
    lines: list[str] = []
    client = bk_client("ec256")
    client.get_SSL_CTX().set_keylog_callback(lambda s, line: lines.append(line))
    sctx = py_ctx(True, f)
    sctx.keylog_filename = str(log)
    peer = PyPeer(sctx, client, server_side=True)
    peer.handshake()
    theirs = {x for x in log.read_text().splitlines() if x.startswith("CLIENT_RANDOM")}
    assert set(lines) == theirs and len(lines) == 1


def test_tls12_downgrade_sentinel_seen_by_python_client(files: dict[str, dict[str, str]]) -> None:
    # A biokit server that can do 1.3 but is offered only 1.2 marks its random.
    server = bk_server("ec256")
    peer = PyPeer(py_ctx(False, files["ec256"]), server, server_side=False,
                  hostname="localhost")
    peer.handshake()
    assert server.get_server_random()[-8:] == b"DOWNGRD\x01"


def test_tls12_client_detects_downgrade() -> None:
    # An attacker forces a TLS 1.3-capable server down to 1.2: its random carries
    # DOWNGRD\x01 and a client that offered 1.3 must refuse (RFC 8446 4.1.3).
    server = bk_server("ec256")
    client = bk_client("ec256", max12=False)
    pair = tls_pair(connect=False)
    client.set_bio(*pair.client_bios)
    server.set_bio(*pair.server_bios)
    assert server.accept() == -1  # the engine exists now; force the version choice
    server._engine.hs._choose_version = lambda hello: 0x0303  # type: ignore[union-attr]
    clear_error()
    from biokit.testing import HandshakeFailed

    with pytest.raises(HandshakeFailed):
        pump(client, server)
    assert "inappropriate fallback" in [e.reason_string for e in errors_as_list()]


def test_renegotiation_is_refused_both_ways() -> None:
    pair = tls_pair(connect=False, max_version=Version.TLS1_2)
    pump(pair.client, pair.server)
    alerts: list[tuple[int, int]] = []
    pair.server.set_info_callback(
        lambda s, where, ret: alerts.append((where, ret)) if where & 0x4000 else None
    )
    # The server asks for renegotiation (HelloRequest): the client says no.
    eng = pair.server._engine  # type: ignore[union-attr]
    assert eng is not None
    eng.send_handshake(b"\x00\x00\x00\x00")
    pair.server.write(b"then data")
    assert pair.client.read(100) == b"then data"
    clear_error()
    assert pair.server.read(100) == b""
    assert (0x4004, (1 << 8) | 100) in alerts  # read warning no_renegotiation
    # As in OpenSSL, the side whose renegotiation was refused gives up on a
    # no_renegotiation warning (ssl3_read_bytes: SSL_R_NO_RENEGOTIATION).
    assert [e.reason_string for e in errors_as_list()] == ["no renegotiation"]


# ================================================================ resumption


def test_tls13_resumption_biokit_to_biokit() -> None:
    pair = tls_pair()
    pair.server.write(b"x")
    assert pair.client.read(10) == b"x"
    sess = pair.client.get_session()
    assert sess is not None and sess.version == Version.TLS1_3
    pair2 = tls_pair(connect=False)
    pair2.server.get_SSL_CTX().ticket_key = pair.server.get_SSL_CTX().ticket_key
    pair2.client.set_session(sess)
    pump(pair2.client, pair2.server)
    assert pair2.client.session_reused() and pair2.server.session_reused()
    assert pair2.transfer(b"resumed") == b"resumed"


def test_tls13_resumption_with_python_server(files: dict[str, dict[str, str]]) -> None:
    f = files["ec256"]
    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sctx.load_cert_chain(f["server.pem"], f["server.key"])
    client = bk_client("ec256", max12=False)
    peer = PyPeer(sctx, client, server_side=True)
    peer.handshake()
    assert peer.bk_to_py(b"a") == b"a"
    peer.obj.write(b"b")
    peer.shuttle()
    assert client.read(10) == b"b"  # the tickets arrive with it
    sess = client.get_session()
    assert sess is not None
    client2 = bk_client("ec256", max12=False)
    client2.set_session(sess)
    peer2 = PyPeer(sctx, client2, server_side=True)
    peer2.handshake()
    assert peer2.obj.session_reused
    assert client2.session_reused()
    assert peer2.bk_to_py(b"again") == b"again"


def test_tls13_resumption_python_client(files: dict[str, dict[str, str]]) -> None:
    f = files["ec256"]
    server = bk_server("ec256")
    cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    cctx.load_verify_locations(f["ca.pem"])
    peer = PyPeer(cctx, server, server_side=False, hostname="localhost")
    peer.handshake()
    assert peer.bk_to_py(b"tickets follow") == b"tickets follow"
    session = peer.obj.session
    assert session is not None and session.has_ticket
    server2 = SSL(server.get_SSL_CTX())
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = cctx.wrap_bio(inc, out, server_hostname="localhost", session=session)
    peer2 = PyPeer(cctx, server2, server_side=False, hostname="localhost")
    peer2.obj, peer2.incoming, peer2.outgoing = obj, inc, out
    peer2.handshake()
    assert obj.session_reused
    assert server2.session_reused()


def test_tls12_resumption_python_client(files: dict[str, dict[str, str]]) -> None:
    f = files["ec256"]
    server = bk_server("ec256", max12=True)
    cctx = py_ctx(False, f)
    peer = PyPeer(cctx, server, server_side=False, hostname="localhost")
    peer.handshake()
    session = peer.obj.session
    assert session is not None and session.has_ticket
    server2 = SSL(server.get_SSL_CTX())
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = cctx.wrap_bio(inc, out, server_hostname="localhost", session=session)
    peer2 = PyPeer(cctx, server2, server_side=False, hostname="localhost")
    peer2.obj, peer2.incoming, peer2.outgoing = obj, inc, out
    peer2.handshake()
    assert obj.session_reused and server2.session_reused()
    assert peer2.py_to_bk(b"short") == b"short"


def test_tls12_resumption_with_python_server(files: dict[str, dict[str, str]]) -> None:
    f = files["ec256"]
    sctx = py_ctx(True, f)
    client = bk_client("ec256")
    peer = PyPeer(sctx, client, server_side=True)
    peer.handshake()
    sess = client.get_session()
    assert sess is not None and sess.version == Version.TLS1_2
    client2 = bk_client("ec256")
    client2.set_session(sess)
    peer2 = PyPeer(sctx, client2, server_side=True)
    peer2.handshake()
    assert client2.session_reused() and peer2.obj.session_reused
    assert peer2.bk_to_py(b"resumed 1.2") == b"resumed 1.2"


def test_unusable_ticket_falls_back_to_full_handshake() -> None:
    pair = tls_pair()
    pair.server.write(b"x")
    pair.client.read(10)
    sess = pair.client.get_session()
    pair2 = tls_pair(connect=False)  # a server with another ticket key
    pair2.client.set_session(sess)
    pump(pair2.client, pair2.server)
    assert not pair2.client.session_reused()
    assert pair2.client.get_verify_result() == 0


def test_tls12_only_server_refuses_tls13_only_client() -> None:
    pair = tls_pair(connect=False)
    pair.server.set_max_proto_version(Version.TLS1_2)
    pair.client.set_min_proto_version(Version.TLS1_3)
    from biokit.testing import HandshakeFailed

    clear_error()
    with pytest.raises(HandshakeFailed):
        pump(pair.client, pair.server)
    assert "unsupported protocol" in [e.reason_string for e in errors_as_list()]
    assert pair.client.get_error(-1) in (ErrorCode.SSL, ErrorCode.SYSCALL)
