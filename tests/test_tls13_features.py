"""TLS 1.3 features OpenSSL users reach for, each tested against a real peer.

Python's ssl (OpenSSL 3.0, in process over MemoryBIO) and pyOpenSSL (OpenSSL 4,
in process over memory BIOs) are the peers; biokit-to-biokit only where a
behaviour has no other observer.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import ssl
import struct
from pathlib import Path
from typing import Any

import pytest
from libssl import CSSL, LibSSL, conversation, vp
from OpenSSL import SSL as OSSL
from peers import OSSLPeer, PyPeer

from biokit.bio import MemBIO
from biokit.errors import clear_error, errors_as_list, get_lib, get_reason
from biokit.ssl import (
    SSL,
    ErrorCode,
    InfoWhere,
    SSLContext,
    TLS_client_method,
    TLS_server_method,
    Verify,
)
from biokit.ssl.certgen import ThrowawayPKI, make_self_signed
from biokit.ssl.consts import KEY_UPDATE_NONE, KEY_UPDATE_NOT_REQUESTED
from biokit.testing import pki, pump, tls_pair

PEER = Verify.PEER
FAIL = Verify.FAIL_IF_NO_PEER_CERT

# libssl 3.0 itself, through ctypes (tests/libssl.py): the ground truth.
_API = LibSSL.load()
needs_libssl = pytest.mark.skipif(_API is None, reason="libssl 3 not loadable through ctypes")


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return pki("ec256").write(tmp_path_factory.mktemp("feat"))


def bk_server(verify: int = 0, *, trust_client_ca: bool = True) -> SSL:
    p = pki("ec256")
    ctx = SSLContext(TLS_server_method())
    ctx.use_certificate(p.server[0])
    ctx.use_PrivateKey(p.server[1])
    if trust_client_ca:
        ctx.get_cert_store().add_cert(p.ca[0])
    ctx.set_verify(verify)
    return SSL(ctx)


def bk_client(*, with_cert: bool = False) -> SSL:
    p = pki("ec256")
    ctx = SSLContext(TLS_client_method())
    ctx.get_cert_store().add_cert(p.ca[0])
    ctx.set_verify(PEER)
    if with_cert:
        ctx.use_certificate(p.client[0])
        ctx.use_PrivateKey(p.client[1])
    s = SSL(ctx)
    s.set_tlsext_host_name("localhost")
    s.set1_host("localhost")
    return s


def py_client(
    files: dict[str, str], *, with_cert: bool = False, tls13: bool = True
) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if tls13:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.load_verify_locations(files["ca.pem"])
    if with_cert:
        ctx.load_cert_chain(files["client.pem"], files["client.key"])
    return ctx


def py_server(files: dict[str, str], *, require_cert: bool = False) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.load_cert_chain(files["server.pem"], files["server.key"])
    if require_cert:
        ctx.load_verify_locations(files["ca.pem"])
        ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def reasons() -> list[str]:
    return [e.reason_string for e in errors_as_list()]


# ============================================================== client certificates


def test_server_requires_and_gets_client_certificate(files: dict[str, str]) -> None:
    server = bk_server(PEER | FAIL)
    peer = PyPeer(py_client(files, with_cert=True), server, server_side=False,
                  hostname="localhost")
    peer.handshake()
    cert = server.get_peer_certificate()
    assert cert is not None and cert == pki("ec256").client[0]
    assert server.get_verify_result() == 0
    assert peer.py_to_bk(b"authenticated") == b"authenticated"


def test_server_requires_certificate_client_sends_none(files: dict[str, str]) -> None:
    server = bk_server(PEER | FAIL)
    peer = PyPeer(py_client(files), server, server_side=False, hostname="localhost")
    clear_error()
    with pytest.raises(AssertionError, match="SSL"):
        peer.handshake()
    assert reasons() == ["peer did not return a certificate"]
    # Python's client learns why from the certificate_required alert.
    peer.shuttle()
    with pytest.raises(ssl.SSLError, match="CERTIFICATE_REQUIRED"):
        peer.obj.read(10)


def test_verify_peer_without_fail_accepts_no_certificate(files: dict[str, str]) -> None:
    server = bk_server(PEER)
    peer = PyPeer(py_client(files), server, server_side=False, hostname="localhost")
    peer.handshake()
    assert server.get_peer_certificate() is None
    assert peer.py_to_bk(b"anonymous") == b"anonymous"


def test_untrusted_client_certificate_is_unknown_ca(
    files: dict[str, str], tmp_path: Path
) -> None:
    other = ThrowawayPKI("ec256").write(tmp_path)
    ctx = py_client(files)
    ctx.load_cert_chain(other["client.pem"], other["client.key"])
    server = bk_server(PEER | FAIL)
    peer = PyPeer(ctx, server, server_side=False, hostname="localhost")
    clear_error()
    with pytest.raises(AssertionError):
        peer.handshake()
    assert reasons() == ["certificate verify failed"]
    assert server.get_verify_result() == 20
    peer.shuttle()
    with pytest.raises(ssl.SSLError, match="UNKNOWN_CA"):
        peer.obj.read(10)


def test_verify_callback_overrides_failure_but_result_keeps_error(
    files: dict[str, str], tmp_path: Path
) -> None:
    other = ThrowawayPKI("ec256").write(tmp_path)
    ctx = py_client(files)
    ctx.load_cert_chain(other["client.pem"], other["client.key"])
    server = bk_server()
    seen: list[tuple[bool, int, int]] = []

    def cb(ok: bool, store: Any) -> bool:
        seen.append((ok, store.get_error(), store.get_error_depth()))
        assert store.ssl is server
        return True

    server.set_verify(PEER | FAIL, cb)
    peer = PyPeer(ctx, server, server_side=False, hostname="localhost")
    peer.handshake()
    # OpenSSL: after the callback overrides "unable to get local issuer" (20) on a
    # lone leaf, verification goes on and ends with "unable to verify the first
    # certificate" (21), the value SSL_get_verify_result then reports.
    assert server.get_verify_result() == 21
    assert (False, 20, 0) in seen
    assert peer.py_to_bk(b"let in") == b"let in"


def test_client_certificate_to_python_server(files: dict[str, str]) -> None:
    client = bk_client(with_cert=True)
    peer = PyPeer(py_server(files, require_cert=True), client, server_side=True)
    peer.handshake()
    der = peer.obj.getpeercert(binary_form=True)
    assert der == pki("ec256").client[0].to_der()
    assert peer.bk_to_py(b"mutual") == b"mutual"


def test_no_client_certificate_to_python_server_requiring_one(files: dict[str, str]) -> None:
    client = bk_client()
    peer = PyPeer(py_server(files, require_cert=True), client, server_side=True)
    # TLS 1.3: the client's handshake is over before the server looks at its
    # (empty) Certificate; it learns of the refusal from the alert, on read.
    assert client.connect() == -1
    peer.shuttle()
    with pytest.raises(ssl.SSLWantReadError):
        peer.obj.do_handshake()
    peer.shuttle()
    assert client.connect() == 1
    peer.shuttle()
    with pytest.raises(ssl.SSLError, match="PEER_DID_NOT_RETURN_A_CERTIFICATE"):
        peer.obj.do_handshake()
    peer.shuttle()
    clear_error()
    assert client.read(10) == b""
    assert client.get_error(0) == ErrorCode.SSL
    assert reasons() == ["tlsv13 alert certificate required"]


def _libssl_certificate_requests(files: dict[str, str], mode: int, version: int) -> list[int]:
    """libssl's server, reused with SSL_clear: CertificateRequests per handshake."""
    assert _API is not None
    server = CSSL(_API, _API.ctx(files, server=True, verify=mode, max_version=version),
                  server=True)
    server.trace_msgs()
    counts = []
    for _ in range(3):
        client = CSSL(_API, _API.ctx(files, server=False, client_cert=True), server=False)
        x, y = _API.pair()
        client.set_bio(x, x)
        server.set_bio(y, y)
        for _ in range(10):
            rc, rs = client.do_handshake(), server.do_handshake()
            if rc == rs == 1:
                break
        assert (rc, rs) == (1, 1)
        counts.append(sum(1 for w, v, ct, d in server.msgs if w and ct == 22 and d[0] == 13))
        server.msgs.clear()
        client.free()
        assert _API.lib.SSL_clear(server.ssl) == 1
    server.free()
    return counts


@pytest.mark.parametrize("version", [0x0304, 0x0303], ids=["TLSv1.3", "TLSv1.2"])
@pytest.mark.parametrize("once", [False, True], ids=["PEER", "PEER|CLIENT_ONCE"])
def test_verify_client_once_survives_ssl_clear(
    files: dict[str, str], once: bool, version: int
) -> None:
    # SSL_VERIFY_CLIENT_ONCE: "only request a client certificate once during the
    # connection".  biokit has neither renegotiation nor post-handshake auth, so
    # what remains of it in libssl 3.0 is its counter (certreqs_sent), which
    # SSL_clear does not reset: a server SSL reused after SSL_clear asks nobody
    # again, and so ends up with no peer certificate, even with
    # FAIL_IF_NO_PEER_CERT (nothing was requested, so nothing is missing).
    mode = PEER | FAIL | (Verify.CLIENT_ONCE if once else 0)
    expected = [1, 0, 0] if once else [1, 1, 1]
    if _API is not None:
        assert _libssl_certificate_requests(files, mode, version) == expected
    server = bk_server(mode)
    server.set_max_proto_version(version)
    requests: list[int] = []
    server.set_msg_callback(
        lambda w, v, ct, d, s: requests.append(1) if w and ct == 22 and d[0] == 13 else None
    )
    counts, certs = [], []
    for _ in range(3):
        peer = PyPeer(py_client(files, with_cert=True, tls13=False), server, server_side=False,
                      hostname="localhost")
        peer.handshake()
        assert peer.py_to_bk(b"hello") == b"hello"
        counts.append(len(requests))
        requests.clear()
        certs.append(server.get_peer_certificate())
        assert server.get_verify_result() == 0
        assert server.clear() == 1
    assert counts == expected
    client_cert = pki("ec256").client[0]
    assert certs == ([client_cert, None, None] if once else [client_cert] * 3)


def test_client_cert_callback_retry_is_want_x509_lookup() -> None:
    pair = tls_pair(connect=False)
    p = pair.pki
    pair.server_ctx.get_cert_store().add_cert(p.ca[0])
    pair.server_ctx.set_verify(PEER | FAIL)
    calls: list[int] = []

    def cert_cb(s: SSL) -> Any:
        calls.append(1)
        if len(calls) == 1:
            return -1  # "call me again" -> SSL_ERROR_WANT_X509_LOOKUP
        return p.client

    pair.client_ctx.set_client_cert_cb(cert_cb)
    client, server = SSL(pair.client_ctx), SSL(pair.server_ctx)
    client.set_bio(*pair.client_bios)
    server.set_bio(*pair.server_bios)
    client.set1_host("localhost")
    codes = []
    for _ in range(20):
        rc = client.connect()
        codes.append(client.get_error(rc))
        rs = server.accept()
        if rc == 1 and rs == 1:
            break
    assert ErrorCode.WANT_X509_LOOKUP in codes
    assert server.get_peer_certificate() == p.client[0]
    assert len(calls) == 2


@pytest.mark.parametrize("version", [0x0304, 0x0303], ids=["TLSv1.3", "TLSv1.2"])
def test_client_cert_callback_retry_against_python_server(
    files: dict[str, str], version: int
) -> None:
    p = pki("ec256")
    pctx = py_server(files, require_cert=True)
    pctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if version == 0x0303:
        pctx.maximum_version = ssl.TLSVersion.TLSv1_2
    client = bk_client()
    peer_certs: list[Any] = []

    def cert_cb(s: SSL) -> Any:
        # libssl asks after the server's CertificateVerify (TLS 1.3) or its
        # CertificateRequest (TLS 1.2): the server's certificate is known.
        peer_certs.append(s.get_peer_certificate())
        return -1 if len(peer_certs) == 1 else p.client

    client.get_SSL_CTX().set_client_cert_cb(cert_cb)
    peer = PyPeer(pctx, client, server_side=True)
    waits = []
    for _ in range(20):
        r = client.connect()
        if r == 1:
            break
        err = client.get_error(r)
        assert err in (ErrorCode.WANT_READ, ErrorCode.WANT_X509_LOOKUP)
        waits.append((err, client.state_string_long()))
        peer.shuttle()
        with contextlib.suppress(ssl.SSLWantReadError):
            peer.obj.do_handshake()
        peer.shuttle()
    assert r == 1
    lookup_state = ("TLSv1.3 read server certificate verify" if version == 0x0304
                    else "SSLv3/TLS read server certificate request")
    assert [w for w in waits if w[0] == ErrorCode.WANT_X509_LOOKUP] == [
        (ErrorCode.WANT_X509_LOOKUP, lookup_state)
    ]
    assert peer_certs == [p.server[0], p.server[0]]
    peer.handshake()  # the server takes the client's last flight
    assert peer.obj.version() == ("TLSv1.3" if version == 0x0304 else "TLSv1.2")
    assert peer.obj.getpeercert(binary_form=True) == p.client[0].to_der()
    assert peer.bk_to_py(b"it's me") == b"it's me"


@needs_libssl
@pytest.mark.parametrize("version", [0x0304, 0x0303], ids=["TLSv1.3", "TLSv1.2"])
@pytest.mark.parametrize("role", ["client", "server"])
def test_client_cert_callback_retry_is_libssls(
    files: dict[str, str], role: str, version: int
) -> None:
    # The whole conversation with a client certificate callback that first
    # asks to be called again, against a libssl peer that requires a client
    # certificate: every call, state and info callback as libssl's.
    assert _API is not None
    kw: dict[str, Any] = {"role": role, "ring": 1 << 17, "max_version": version,
                          "client_cert_retry": True}
    theirs = conversation(_API, files, pki("ec256"), subject="libssl", **kw)
    ours = conversation(_API, files, pki("ec256"), subject="biokit", **kw)
    assert ours.calls == theirs.calls
    assert ours.info == theirs.info
    if role == "client":
        assert [c[:3] for c in ours.calls].count(("handshake", -1, 4)) == 1  # X509_LOOKUP


def test_verify_depth_limit() -> None:
    pair = tls_pair(connect=False, intermediate=True)
    pair.client.set_verify_depth(0)
    clear_error()
    from biokit.testing import HandshakeFailed

    with pytest.raises(HandshakeFailed):
        pump(pair.client, pair.server)
    assert pair.client.get_verify_result() == 22  # certificate chain too long


# Verification inside a real handshake: a Python ssl server (OpenSSL 3.0) sends
# a chain (leaf, intermediate); the client is biokit, and then libssl itself
# (ctypes) for the ground truth.  Both must end the same way: connect's return
# value and SSL_get_error, the verify result, the error queue, the alert the
# server received, and the info callback's alert report.


def _py_chain_server(files: dict[str, str]) -> tuple[ssl.SSLObject, Any, Any]:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(files["server.pem"], files["server.key"])
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    return ctx.wrap_bio(incoming, outgoing, server_side=True), incoming, outgoing


def _verify_outcome(
    subject: str, files: dict[str, str], p: ThrowawayPKI, depth: int | None, host: str
) -> tuple[object, ...]:
    server, server_in, server_out = _py_chain_server(files)
    alerts: list[tuple[int, int]] = []
    if subject == "biokit":
        ctx = SSLContext(TLS_client_method())
        ctx.get_cert_store().add_cert(p.ca[0])
        ctx.set_verify(PEER)
        if depth is not None:
            ctx.set_verify_depth(depth)
        bk = SSL(ctx)
        bk.set1_host(host)
        bk.set_connect_state()
        bk.set_info_callback(lambda s, w, r: alerts.append((w, r)) if w & 0x4000 else None)
        cin, cout = MemBIO(), MemBIO()
        bk.set_bio(cin, cout)

        def step() -> tuple[int, int]:
            r = bk.do_handshake()
            return r, int(bk.get_error(r))

        def take() -> bytes:
            return cout.read(1 << 20)

        def give(data: bytes) -> None:
            cin.write(data)

        def queue() -> list[tuple[int, int]]:
            out = [(e.library, e.reason) for e in errors_as_list()]
            clear_error()
            return out

        def result() -> int:
            return bk.get_verify_result()
    else:
        assert _API is not None
        api = _API
        cctx = api.ctx(files, server=False, verify=PEER)
        if depth is not None:
            api.lib.SSL_CTX_set_verify_depth.argtypes = [vp, ctypes.c_int]
            api.lib.SSL_CTX_set_verify_depth(cctx, depth)
        c = CSSL(api, cctx, server=False)
        api.lib.SSL_set1_host.argtypes = [vp, ctypes.c_char_p]
        assert api.lib.SSL_set1_host(c.ssl, host.encode()) == 1
        c.trace_info()
        cin_c, cout_c = api.mem(), api.mem()
        c.set_bio(cin_c, cout_c)

        def step() -> tuple[int, int]:
            r = c.do_handshake()
            return r, c.get_error(r)

        def take() -> bytes:
            return api.bio_read_all(cout_c)

        def give(data: bytes) -> None:
            api.bio_write(cin_c, data)

        def queue() -> list[tuple[int, int]]:
            return [(get_lib(e), get_reason(e)) for e in api.errors()]

        def result() -> int:
            api.lib.SSL_get_verify_result.argtypes = [vp]
            api.lib.SSL_get_verify_result.restype = ctypes.c_long
            r: int = api.lib.SSL_get_verify_result(c.ssl)
            return r
    outcome: tuple[object, ...] = ()
    server_error = None
    for _ in range(10):
        r, err = step()
        # (Read the queue at once: Python's ssl shares libcrypto's error queue.)
        errs = queue() if r <= 0 and err == 1 else []
        outcome = (r, err, errs)
        server_in.write(take())
        try:
            server.do_handshake()
        except ssl.SSLWantReadError:
            pass
        except ssl.SSLError as e:
            server_error = e.reason
        give(server_out.read())
        if r == 1 or err not in (2, 3):
            break
    if subject == "libssl":
        alerts = [(w, r) for w, r, _ in c.info if w & 0x4000]
        c.free()
    return (*outcome, result(), server_error, alerts)


@pytest.mark.skipif(_API is None, reason="libssl 3 not loadable through ctypes")
@pytest.mark.parametrize(
    ("depth", "host", "expected"),
    [
        (0, "localhost", (-1, 1, [(20, 134)], 22, "TLSV1_ALERT_UNKNOWN_CA")),
        (1, "localhost", (1, 0, [], 0, None)),
        (None, "localhost", (1, 0, [], 0, None)),
    ],
    ids=["depth-0", "depth-1", "default-depth"],
)
def test_verify_depth_in_a_handshake_with_python(
    tmp_path: Path, depth: int | None, host: str, expected: tuple[object, ...]
) -> None:
    p = ThrowawayPKI("ec256", intermediate=True)
    files = p.write(tmp_path)
    theirs = _verify_outcome("libssl", files, p, depth, host)
    ours = _verify_outcome("biokit", files, p, depth, host)
    assert ours == theirs
    assert ours[:5] == expected  # 134: certificate verify failed; 22: chain too long


@pytest.mark.skipif(_API is None, reason="libssl 3 not loadable through ctypes")
def test_hostname_mismatch_in_a_handshake_with_python(tmp_path: Path) -> None:
    p = ThrowawayPKI("ec256", intermediate=True)
    files = p.write(tmp_path)
    theirs = _verify_outcome("libssl", files, p, None, "not-localhost.example")
    ours = _verify_outcome("biokit", files, p, None, "not-localhost.example")
    # connect() -1 with SSL_ERROR_SSL, "certificate verify failed", hostname mismatch (62).
    assert ours[:4] == theirs[:4] == (-1, 1, [(20, 134)], 62)
    # The alert libssl 3.0 sends for it is bad_certificate (ssl_x509err2alert).
    assert theirs[4:] == ("SSLV3_ALERT_BAD_CERTIFICATE", [(0x4008, 0x22A)])


@pytest.mark.skipif(_API is None, reason="libssl 3 not loadable through ctypes")
def test_hostname_mismatch_alert_is_libssls(tmp_path: Path) -> None:
    p = ThrowawayPKI("ec256", intermediate=True)
    files = p.write(tmp_path)
    theirs = _verify_outcome("libssl", files, p, None, "not-localhost.example")
    ours = _verify_outcome("biokit", files, p, None, "not-localhost.example")
    assert ours == theirs


def test_verify_result_strings() -> None:
    from biokit.ssl.verify import verify_cert_error_string

    assert verify_cert_error_string(0) == "ok"
    assert verify_cert_error_string(10) == "certificate has expired"
    assert verify_cert_error_string(20) == "unable to get local issuer certificate"
    assert verify_cert_error_string(62) == "hostname mismatch"


def test_hostname_mismatch_fails_verification() -> None:
    pair = tls_pair(connect=False)
    pair.client.set1_host("not-localhost.example")
    from biokit.testing import HandshakeFailed

    clear_error()
    with pytest.raises(HandshakeFailed):
        pump(pair.client, pair.server)
    assert pair.client.get_verify_result() == 62


# ============================================================== SNI


def test_servername_callback_switches_context(files: dict[str, str]) -> None:
    second_cert, second_key = make_self_signed("second.example", dns=("second.example",))
    second = SSLContext(TLS_server_method())
    second.use_certificate(second_cert)
    second.use_PrivateKey(second_key)
    server = bk_server()
    names: list[str | None] = []

    def sni(s: SSL, arg: Any) -> int:
        names.append(s.get_servername())
        if s.get_servername() == "second.example":
            s.set_SSL_CTX(second)
        return 0

    server.get_SSL_CTX().set_tlsext_servername_callback(sni)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    peer = PyPeer(ctx, server, server_side=False, hostname="second.example")
    peer.handshake()
    assert names == ["second.example"]
    assert peer.obj.getpeercert(binary_form=True) == second_cert.to_der()
    assert server.get_servername() == "second.example"
    # Without the name: the default certificate.
    server2 = bk_server()
    server2.get_SSL_CTX().set_tlsext_servername_callback(sni)
    peer2 = PyPeer(ctx, server2, server_side=False, hostname="localhost")
    peer2.handshake()
    assert peer2.obj.getpeercert(binary_form=True) == pki("ec256").server[0].to_der()


@pytest.mark.parametrize("name", ["localhost", "sni.example", None])
def test_client_sends_sni_to_python_server(files: dict[str, str], name: str | None) -> None:
    ctx = py_server(files)
    seen: list[str | None] = []
    ctx.sni_callback = lambda sock, name, c: seen.append(name)  # type: ignore[assignment]
    p = pki("ec256")
    cctx = SSLContext(TLS_client_method())
    cctx.get_cert_store().add_cert(p.ca[0])
    client = SSL(cctx)
    if name is not None:
        assert client.set_tlsext_host_name(name) == 1
    hello: list[bytes] = []
    client.set_msg_callback(
        lambda w, v, ct, d, s: hello.append(bytes(d)) if w and ct == 22 and d[0] == 1 else None
    )
    peer = PyPeer(ctx, client, server_side=True)
    peer.handshake()
    # What Python's OpenSSL server got, and the extension as it went on the wire:
    # server_name (0), a list of one host_name (type 0) entry.
    assert seen == [name]
    exts = _extensions(hello[0])
    if name is None:
        assert 0 not in exts
    else:
        host = name.encode()
        assert exts[0] == struct.pack("!HBH", len(host) + 3, 0, len(host)) + host
    assert client.get_servername() == name


def _extensions(client_hello: bytes) -> dict[int, bytes]:
    """The extensions of a ClientHello handshake message, by type."""
    p = 4 + 2 + 32
    p += 1 + client_hello[p]  # session id
    p += 2 + struct.unpack("!H", client_hello[p : p + 2])[0]  # cipher suites
    p += 1 + client_hello[p]  # compression methods
    end = p + 2 + struct.unpack("!H", client_hello[p : p + 2])[0]
    p += 2
    out = {}
    while p < end:
        t, n = struct.unpack("!HH", client_hello[p : p + 4])
        out[t] = client_hello[p + 4 : p + 4 + n]
        p += 4 + n
    return out


def test_servername_callback_fatal_alert(files: dict[str, str]) -> None:
    server = bk_server()
    server.get_SSL_CTX().set_tlsext_servername_callback(lambda s, a: 2)  # ALERT_FATAL
    peer = PyPeer(py_client(files), server, server_side=False, hostname="localhost")
    with pytest.raises(AssertionError):
        peer.handshake()
    peer.shuttle()
    with pytest.raises(ssl.SSLError, match="UNRECOGNIZED_NAME"):
        peer.obj.read(10)


# ============================================================== client hello callback


def test_client_hello_callback_retry(files: dict[str, str]) -> None:
    server = bk_server()
    calls: list[list[int]] = []

    def ch_cb(s: SSL, arg: Any) -> int:
        info = s.get_client_hello()
        assert info is not None
        calls.append(info.get1_extensions_present())
        return -1 if len(calls) == 1 else 1

    server.get_SSL_CTX().set_client_hello_cb(ch_cb)
    peer = PyPeer(py_client(files), server, server_side=False, hostname="localhost")
    with pytest.raises(ssl.SSLWantReadError):
        peer.obj.do_handshake()  # the ClientHello goes out
    peer.shuttle()
    r = server.accept()
    assert r == -1 and server.get_error(r) == ErrorCode.WANT_CLIENT_HELLO_CB
    assert peer.shuttle() == 0  # nothing written while the callback waits
    peer.handshake()
    assert len(calls) == 2 and calls[0] == calls[1]  # the same ClientHello again
    assert 43 in calls[0] and 51 in calls[0]  # supported_versions, key_share


def test_client_hello_callback_failure(files: dict[str, str]) -> None:
    server = bk_server()
    server.get_SSL_CTX().set_client_hello_cb(lambda s, a: (0, 40))
    peer = PyPeer(py_client(files), server, server_side=False, hostname="localhost")
    clear_error()
    with pytest.raises(AssertionError):
        peer.handshake()
    assert reasons() == ["callback failed"]


# ============================================================== ALPN


def test_alpn_client_offers_python_selects(files: dict[str, str]) -> None:
    ctx = py_server(files)
    ctx.set_alpn_protocols(["http/1.1"])
    client = bk_client()
    assert client.set_alpn_protos([b"h2", b"http/1.1"]) == 0
    peer = PyPeer(ctx, client, server_side=True)
    peer.handshake()
    assert client.get0_alpn_selected() == b"http/1.1"
    assert peer.obj.selected_alpn_protocol() == "http/1.1"


def test_alpn_server_select_callback(files: dict[str, str]) -> None:
    ctx = py_client(files)
    ctx.set_alpn_protocols(["h2", "http/1.1"])
    server = bk_server()
    offered: list[list[bytes]] = []

    def select(s: SSL, protos: list[bytes]) -> bytes:
        offered.append(protos)
        return b"h2"

    server.get_SSL_CTX().set_alpn_select_cb(select)
    peer = PyPeer(ctx, server, server_side=False, hostname="localhost")
    peer.handshake()
    assert offered == [[b"h2", b"http/1.1"]]
    assert server.get0_alpn_selected() == b"h2"
    assert peer.obj.selected_alpn_protocol() == "h2"


def test_alpn_no_overlap_fatal_is_no_application_protocol(files: dict[str, str]) -> None:
    ctx = py_client(files)
    ctx.set_alpn_protocols(["spdy/1"])
    server = bk_server()
    server.get_SSL_CTX().set_alpn_select_cb(lambda s, protos: 2)  # SSL_TLSEXT_ERR_ALERT_FATAL
    peer = PyPeer(ctx, server, server_side=False, hostname="localhost")
    clear_error()
    with pytest.raises(AssertionError):
        peer.handshake()
    assert reasons() == ["no application protocol"]
    peer.shuttle()
    with pytest.raises(ssl.SSLError, match="no application protocol"):
        peer.obj.read(10)


def test_alpn_noack_means_none(files: dict[str, str]) -> None:
    ctx = py_client(files)
    ctx.set_alpn_protocols(["x"])
    server = bk_server()
    server.get_SSL_CTX().set_alpn_select_cb(lambda s, protos: 3)  # NOACK
    peer = PyPeer(ctx, server, server_side=False, hostname="localhost")
    peer.handshake()
    assert server.get0_alpn_selected() is None
    assert peer.obj.selected_alpn_protocol() is None


# ============================================================== KeyUpdate


def _count_key_updates(ssl_obj: SSL) -> dict[str, int]:
    counts = {"sent": 0, "received": 0}

    def cb(w: int, v: int, ct: int, data: bytes, s: SSL) -> None:
        if ct == 22 and data[:1] == b"\x18":
            counts["sent" if w else "received"] += 1

    ssl_obj.set_msg_callback(cb)
    return counts


@pytest.mark.parametrize("requested", [0, 1])
def test_key_update_with_python_many_times(files: dict[str, str], requested: int) -> None:
    client = bk_client()
    counts = _count_key_updates(client)
    peer = PyPeer(py_server(files), client, server_side=True)
    peer.handshake()
    for i in range(40):
        assert client.key_update(requested) == 1
        payload = os.urandom(100 + i)
        assert peer.bk_to_py(payload) == payload  # sent under the new key
        reply = os.urandom(50 + i)
        assert peer.py_to_bk(reply) == reply  # Python answers under its (new) key
    assert counts["sent"] == 40
    # OpenSSL answers update_requested with an update of its own.
    assert counts["received"] == (40 if requested else 0)


def test_key_update_biokit_server_to_python_client(files: dict[str, str]) -> None:
    server = bk_server()
    counts = _count_key_updates(server)
    peer = PyPeer(py_client(files), server, server_side=False, hostname="localhost")
    peer.handshake()
    for _ in range(10):
        server.key_update(1)
        server.key_update(1)  # a second request before sending: still one message
        assert peer.bk_to_py(b"data") == b"data"
        assert peer.py_to_bk(b"back") == b"back"
    assert counts["sent"] == 10
    assert counts["received"] == 10


def test_key_update_biokit_both_sides_interleaved() -> None:
    pair = tls_pair()
    client = _count_key_updates(pair.client)
    server = _count_key_updates(pair.server)
    for i in range(25):
        assert pair.client.key_update(i % 2) == 1
        assert pair.client.get_key_update_type() == i % 2
        assert pair.transfer(bytes([i]) * 3000) == bytes([i]) * 3000
        assert pair.client.get_key_update_type() == KEY_UPDATE_NONE
        assert pair.server.key_update(1) == 1
        assert pair.transfer(b"s" * 10, to_server=False) == b"s" * 10
    # One KeyUpdate per side and round: an answer owed to the peer's request is
    # merged into the update the application asks for next (SSL_key_update sets
    # the one pending type, as in OpenSSL), so nothing is sent twice.
    assert client == {"sent": 25, "received": 25}
    assert server == {"sent": 25, "received": 25}
    # The server's last request is answered by the client's next write.
    assert pair.client.get_key_update_type() == KEY_UPDATE_NOT_REQUESTED
    assert pair.transfer(b"last") == b"last"
    assert client == {"sent": 26, "received": 25} and server["received"] == 26
    # Both sides still agree on the keys: the exporter is not affected by
    # KeyUpdate, the data above got through under each new key.
    assert pair.client.export_keying_material(b"EXPORTER-x", 16) == (
        pair.server.export_keying_material(b"EXPORTER-x", 16)
    )


def test_key_update_before_handshake_is_refused() -> None:
    pair = tls_pair(connect=False)
    clear_error()
    assert pair.client.key_update(1) == 0
    assert pair.client.key_update(7) == 0


# ============================================================== exporters


def _ossl_ctx(server: bool, files: dict[str, str]) -> OSSL.Context:
    ctx = OSSL.Context(OSSL.TLS_METHOD)
    ctx.set_min_proto_version(OSSL.TLS1_3_VERSION)
    if server:
        ctx.use_certificate_chain_file(files["server.pem"])
        ctx.use_privatekey_file(files["server.key"])
    else:
        ctx.load_verify_locations(files["ca.pem"])
    return ctx


@pytest.mark.parametrize("bk_server_role", [True, False])
@pytest.mark.parametrize("context", [None, b"", b"some context"])
def test_exporter_matches_pyopenssl(
    files: dict[str, str], bk_server_role: bool, context: bytes | None
) -> None:
    bk = bk_server() if bk_server_role else bk_client()
    peer = OSSLPeer(_ossl_ctx(not bk_server_role, files), bk, server_side=not bk_server_role)
    peer.handshake()
    for label, n in ((b"EXPERIMENTAL-biokit", 32), (b"EXPORTER-Channel-Binding", 64)):
        mine = bk.export_keying_material(label, n, context)
        theirs = peer.conn.export_keying_material(label, n, context)
        assert mine == theirs and mine is not None and len(mine) == n


def test_exporter_before_handshake_fails() -> None:
    pair = tls_pair(connect=False)
    clear_error()
    assert pair.client.export_keying_material(b"x", 16) is None
    assert errors_as_list()


# ============================================================== callbacks


def test_info_callback_sequence_and_alerts(files: dict[str, str]) -> None:
    server = bk_server()
    events: list[tuple[int, int, str]] = []
    server.set_info_callback(lambda s, where, ret: events.append(
        (where, ret, s.state_string_long())))
    peer = PyPeer(py_client(files), server, server_side=False, hostname="localhost")
    peer.handshake()
    wheres = [w for w, _, _ in events]
    assert wheres[0] == InfoWhere.HANDSHAKE_START
    # A TLS 1.3 server finishes the handshake in its first ticket's pre_work, so
    # libssl reports HANDSHAKE_DONE in "write session ticket", once.
    assert [e for e in events if e[0] == InfoWhere.HANDSHAKE_DONE] == [
        (InfoWhere.HANDSHAKE_DONE, 1, "SSLv3/TLS write session ticket")
    ]
    assert events[-1] == (InfoWhere.ACCEPT_EXIT, 1, "SSL negotiation finished successfully")
    loops = [st for w, _, st in events if w == InfoWhere.ACCEPT_LOOP]
    assert loops == [
        "before SSL initialization",
        "before SSL initialization",
        "SSLv3/TLS read client hello",
        "SSLv3/TLS write server hello",
        "SSLv3/TLS write change cipher spec",
        "TLSv1.3 write encrypted extensions",
        "SSLv3/TLS write certificate",
        "TLSv1.3 write server certificate verify",
        "SSLv3/TLS write finished",
        "TLSv1.3 early data",
        "TLSv1.3 early data",
        "SSLv3/TLS read finished",
        "SSLv3/TLS write session ticket",
        "SSLv3/TLS write session ticket",
    ]
    events.clear()
    assert server.shutdown() == 0
    assert events == [
        (InfoWhere.WRITE_ALERT, (1 << 8) | 0, "SSL negotiation finished successfully")
    ]
    peer.shuttle()
    peer.obj.read(10)
    peer.obj.unwrap()
    peer.shuttle()
    events.clear()
    assert server.shutdown() == 1
    assert events == [(InfoWhere.READ_ALERT, 0x100, "SSL negotiation finished successfully")]


# The same conversation -- handshake, a message each way (the client meets the
# server's two NewSessionTickets on the way), optionally a KeyUpdate, shutdown --
# with libssl 3.0 (ctypes) playing the role under test and then biokit, against
# the same libssl peer over the same kind of BIO pair.  Every call's return value
# and state, every info callback and every msg callback must be libssl's.

def _msg_shape(msgs: list[tuple[int, int, int, bytes]]) -> list[tuple[int, int, int, bytes]]:
    # Message bodies differ (randoms, keys, extension order); what must agree is
    # the direction, the version argument, the content type, and the record
    # header's type and version or the message type.
    return [(w, v, ct, d[:3] if ct == 0x100 else d[:1]) for w, v, ct, d in msgs]


@needs_libssl
@pytest.mark.parametrize(
    ("version", "key_update"),
    [(0x0304, False), (0x0304, True), (0x0303, False)],
    ids=["TLSv1.3", "TLSv1.3-KeyUpdate", "TLSv1.2"],
)
@pytest.mark.parametrize("role", ["client", "server"])
def test_callbacks_and_states_are_libssls(
    files: dict[str, str], role: str, version: int, key_update: bool
) -> None:
    assert _API is not None
    p = pki("ec256")
    kw: dict[str, Any] = {"role": role, "ring": 1 << 17, "max_version": version,
                          "key_update": key_update}
    theirs = conversation(_API, files, p, subject="libssl", **kw)
    ours = conversation(_API, files, p, subject="biokit", **kw)
    assert ours.calls == theirs.calls
    assert ours.info == theirs.info
    assert _msg_shape(ours.msgs) == _msg_shape(theirs.msgs)
    # (The comparison has teeth: the traces are long and say what matters.)
    assert len(theirs.info) >= 15 and len(theirs.msgs) >= 20


@needs_libssl
def test_client_info_callback_exits_after_each_new_session_ticket(files: dict[str, str]) -> None:
    assert _API is not None
    trace = conversation(_API, files, pki("ec256"), subject="biokit", role="client",
                         ring=1 << 17)
    done = trace.info.index((InfoWhere.HANDSHAKE_DONE, 1, "SSL negotiation finished successfully"))
    ok = "SSL negotiation finished successfully"
    ticket = (InfoWhere.CONNECT_LOOP, 1, "SSLv3/TLS read server session ticket")
    # What libssl 3.0's client reports for each post-handshake NewSessionTicket
    # (SSL_read runs the state machine): no HANDSHAKE_START/DONE, two loops in
    # "finished successfully" (write, then read phase), one in the ticket's state,
    # then CONNECT_EXIT with 1.
    per_ticket = [
        (InfoWhere.CONNECT_LOOP, 1, ok),
        (InfoWhere.CONNECT_LOOP, 1, ok),
        ticket,
        (InfoWhere.CONNECT_EXIT, 1, ok),
    ]
    assert trace.info[done + 1] == (InfoWhere.CONNECT_EXIT, 1, ok)
    assert trace.info[done + 2 : done + 10] == per_ticket * 2
    assert trace.info[done + 10 :] == [
        (InfoWhere.WRITE_ALERT, 0x100, ok),
        (InfoWhere.READ_ALERT, 0x100, ok),
    ]


@needs_libssl
@pytest.mark.parametrize("version", [0x0304, 0x0303], ids=["TLSv1.3", "TLSv1.2"])
def test_msg_callback_version_of_every_message(files: dict[str, str], version: int) -> None:
    assert _API is not None
    trace = conversation(_API, files, pki("ec256"), subject="biokit", role="client",
                         ring=1 << 17, max_version=version)
    shape = [(w, v, ct, d[:1] if ct != 0x100 else d[:3]) for w, v, ct, d in trace.msgs]
    # ClientHello: its record says 0x0301, the message goes with the client's
    # highest version; the ServerHello too, before the client has processed it.
    assert shape[:4] == [
        (1, 0x0301, 0x100, b"\x16\x03\x01"),
        (1, version, 22, b"\x01"),
        (0, 0x0303, 0x100, b"\x16\x03\x03"),
        (0, version, 22, b"\x02"),
    ]
    # After that: every record header with its own version (0x0303), every
    # message, alert and inner content type with the negotiated one -- but an
    # inner content type we write goes with the record's version, as in
    # do_ssl3_write.
    for w, v, ct, d in shape[4:]:
        if ct == 0x100 or (ct == 0x101 and w):
            assert v == 0x0303, (w, v, ct, d)
        else:
            assert v == version, (w, v, ct, d)
    if version == 0x0303:
        # A received TLS 1.2 ChangeCipherSpec shows only as its record header.
        assert (0, 0x0303, 20, b"\x01") not in shape
        assert (1, 0x0303, 20, b"\x01") in shape


def test_msg_callback_sees_records_and_messages_both_ways(files: dict[str, str]) -> None:
    client = bk_client()
    seen: list[tuple[int, int, int, bytes]] = []
    client.set_msg_callback(lambda w, v, ct, data, s: seen.append((w, v, ct, data)))
    peer = PyPeer(py_server(files), client, server_side=True)
    peer.handshake()
    hs_out = [d[0] for w, v, ct, d in seen if w == 1 and ct == 22]
    hs_in = [d[0] for w, v, ct, d in seen if w == 0 and ct == 22]
    assert hs_out == [1, 20]  # ClientHello, Finished
    assert hs_in[:5] == [2, 8, 11, 15, 20]  # SH, EE, Certificate, CertificateVerify, Finished
    headers_out = [d for w, v, ct, d in seen if w == 1 and ct == 0x100]
    assert headers_out[0][:3] == b"\x16\x03\x01"  # first ClientHello record: TLS 1.0 version
    assert all(len(h) == 5 for h in headers_out)
    assert any(ct == 0x101 for w, v, ct, d in seen)  # TLS 1.3 inner content type
    assert {v for w, v, ct, d in seen if ct == 22} == {0x0304}
    assert {v for w, v, ct, d in seen if ct == 0x100} == {0x0301, 0x0303}
    # The header always comes before the message it carries.
    first_hdr = next(i for i, e in enumerate(seen) if e[0] == 1 and e[2] == 0x100)
    first_msg = next(i for i, e in enumerate(seen) if e[0] == 1 and e[2] == 22)
    assert first_hdr < first_msg


@pytest.mark.parametrize("bk_role", ["client", "server"])
def test_keylog_lines_match_pythons_keylog_file(
    files: dict[str, str], tmp_path: Path, bk_role: str
) -> None:
    logfile = tmp_path / "keys.log"
    lines: list[str] = []
    if bk_role == "client":
        bk = bk_client()
        pctx = py_server(files)
    else:
        bk = bk_server()
        pctx = py_client(files)
    bk.get_SSL_CTX().set_keylog_callback(lambda s, line: lines.append(line))
    pctx.keylog_filename = str(logfile)
    peer = PyPeer(pctx, bk, server_side=bk_role == "client",
                  hostname=None if bk_role == "client" else "localhost")
    peer.handshake()
    assert peer.bk_to_py(b"x") == b"x"
    theirs = {line for line in logfile.read_text().splitlines() if line and line[0] != "#"}
    assert set(lines) == theirs
    labels = {line.split()[0] for line in lines}
    assert labels == {
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
        "SERVER_HANDSHAKE_TRAFFIC_SECRET",
        "CLIENT_TRAFFIC_SECRET_0",
        "SERVER_TRAFFIC_SECRET_0",
        "EXPORTER_SECRET",
    }


# ============================================================== suites and groups


@pytest.mark.parametrize("suite", ["TLS_AES_128_CCM_SHA256", "TLS_AES_128_CCM_8_SHA256"])
@pytest.mark.parametrize("bk_server_role", [True, False])
def test_ccm_suites_with_pyopenssl(files: dict[str, str], suite: str, bk_server_role: bool) -> None:
    bk = bk_server() if bk_server_role else bk_client()
    assert bk.get_SSL_CTX().set_ciphersuites(suite) == 1
    octx = _ossl_ctx(not bk_server_role, files)
    octx.set_tls13_ciphersuites(suite.encode())
    # OpenSSL 3.2+ only allows the 64-bit-tag CCM_8 suite at security level 0.
    octx.set_cipher_list(b"DEFAULT:@SECLEVEL=0")
    peer = OSSLPeer(octx, bk, server_side=not bk_server_role)
    peer.handshake()
    assert bk.get_cipher() == suite
    bk.write(b"ccm data")
    peer.shuttle()
    assert peer.recv_all() == b"ccm data"


def test_ccm_is_off_by_default() -> None:
    ctx = SSLContext(TLS_client_method())
    names = [s.name for s in ctx.suites13]
    assert "TLS_AES_128_CCM_SHA256" not in names


@pytest.mark.parametrize("bk_server_role", [True, False])
def test_x25519mlkem768_with_openssl4(files: dict[str, str], bk_server_role: bool) -> None:
    bk = bk_server() if bk_server_role else bk_client()
    assert bk.get_SSL_CTX().set1_groups_list("X25519MLKEM768:X25519") == 1
    octx = _ossl_ctx(not bk_server_role, files)
    peer = OSSLPeer(octx, bk, server_side=not bk_server_role)
    peer.handshake()
    assert bk.get_negotiated_group() == 0x11EC
    bk.write(b"post-quantum hello")
    peer.shuttle()
    assert peer.recv_all() == b"post-quantum hello"
