"""Malformed input ends in OpenSSL's alert and error-queue entries, never in a traceback.

Ground truth is libssl 3.0 itself, driven through ctypes over memory BIOs: most
tests run the same bytes into libssl and into biokit and compare return codes,
error-queue entries and the alert that goes out.  The last test is a seeded,
bounded mutation fuzz over every flight of a TLS 1.3 and a TLS 1.2 handshake
(and the traffic after it), in both directions, that checks the contract:
-1 / SSL_ERROR_SSL, a queue entry, one fatal alert on the wire (or none where
OpenSSL sends none), and no exception.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import random
import ssl as pyssl
import struct
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509 as cx509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from peers import PyPeer

from biokit.bio import MemBIO
from biokit.bio.s_mem import MemBIO as _MemBIO
from biokit.errors import clear_error, errors_as_list
from biokit.ssl import SSL, ErrorCode, SSLContext, TLS_client_method, TLS_server_method
from biokit.ssl.tls import extensions as ext_mod
from biokit.ssl.tls.engine import Engine
from biokit.ssl.x509 import X509
from biokit.testing import pki, tls_pair

TLS12, TLS13 = 0x0303, 0x0304

# Error codes as libssl 3.0 packs them.
INVALID_CERTIFICATE = 0x1100009E  # X509V3 routines
CERT_VERIFY_FAILED = 0x0A000086
ECC_NOT_FOR_SIGNING = 0x0A00013E
BAD_ECC_CERT = 0x0A000130
ASN1_LIB = 0x0A08000D
EVP_DECODE_ERROR = 0x03000072
NO_PUBKEY_PARAMS = 0x0A0000EF
ASN1_EVP_LIB = 0x06880006
INTERNAL_ERROR = 0x0A0C0103


# ============================================================ libssl through ctypes


class LibSSL:
    """The few libssl/libcrypto 3.0 calls these tests need, over memory BIOs."""

    def __init__(self) -> None:
        self.s = ctypes.CDLL("libssl.so.3")
        self.c = ctypes.CDLL("libcrypto.so.3")
        vp, cp, ci, cl = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_long

        def fn(lib: Any, name: str, res: Any, *args: Any) -> Any:
            f = getattr(lib, name)
            f.restype = res
            f.argtypes = list(args)
            return f

        s, c = self.s, self.c
        self.TLS_method = fn(s, "TLS_method", vp)
        self.CTX_new = fn(s, "SSL_CTX_new", vp, vp)
        self.CTX_free = fn(s, "SSL_CTX_free", None, vp)
        self.CTX_ctrl = fn(s, "SSL_CTX_ctrl", cl, vp, ci, cl, vp)
        self.chain_file = fn(s, "SSL_CTX_use_certificate_chain_file", ci, vp, cp)
        self.key_file = fn(s, "SSL_CTX_use_PrivateKey_file", ci, vp, cp, ci)
        self.load_verify = fn(s, "SSL_CTX_load_verify_locations", ci, vp, cp, cp)
        self.set_verify = fn(s, "SSL_CTX_set_verify", None, vp, ci, vp)
        self.SSL_new = fn(s, "SSL_new", vp, vp)
        self.SSL_free = fn(s, "SSL_free", None, vp)
        self.set_bio = fn(s, "SSL_set_bio", None, vp, vp, vp)
        self.set_connect_state = fn(s, "SSL_set_connect_state", None, vp)
        self.set_accept_state = fn(s, "SSL_set_accept_state", None, vp)
        self.do_handshake = fn(s, "SSL_do_handshake", ci, vp)
        self.get_error = fn(s, "SSL_get_error", ci, vp, ci)
        self.set1_host = fn(s, "SSL_set1_host", ci, vp, cp)
        self.verify_result = fn(s, "SSL_get_verify_result", cl, vp)
        self.BIO_new = fn(c, "BIO_new", vp, vp)
        self.BIO_s_mem = fn(c, "BIO_s_mem", vp)
        self.BIO_write = fn(c, "BIO_write", ci, vp, cp, ci)
        self.BIO_read = fn(c, "BIO_read", ci, vp, cp, ci)
        self.BIO_ctrl = fn(c, "BIO_ctrl", cl, vp, ci, cl, vp)
        self.ERR_get_error = fn(c, "ERR_get_error", ctypes.c_ulong)
        self.ERR_clear = fn(c, "ERR_clear_error", None)
        self.buf = ctypes.create_string_buffer(1 << 17)

    def ctx(self, *, cert: str | None = None, key: str | None = None, ca: str | None = None,
            verify: int = 0, version: int = 0) -> int:
        ctx = self.CTX_new(self.TLS_method())
        assert ctx
        if cert is not None:
            assert self.chain_file(ctx, cert.encode()) == 1
        if key is not None:
            assert self.key_file(ctx, key.encode(), 1) == 1
        if ca is not None:
            assert self.load_verify(ctx, ca.encode(), None) == 1
        self.set_verify(ctx, verify, None)
        if version:
            self.CTX_ctrl(ctx, 123, version, None)  # SSL_CTX_set_min_proto_version
            self.CTX_ctrl(ctx, 124, version, None)  # SSL_CTX_set_max_proto_version
        self.CTX_ctrl(ctx, 92, 0, b"X25519:P-256")  # SSL_CTX_set1_groups_list
        return int(ctx)

    @contextlib.contextmanager
    def conn(self, ctx: int, *, server: bool) -> Iterator[_Conn]:
        s = self.SSL_new(ctx)
        rb, wb = self.BIO_new(self.BIO_s_mem()), self.BIO_new(self.BIO_s_mem())
        self.BIO_ctrl(rb, 130, -1, None)  # BIO_set_mem_eof_return(rb, -1): "retry" when empty
        self.set_bio(s, rb, wb)
        (self.set_accept_state if server else self.set_connect_state)(s)
        try:
            yield _Conn(self, s, rb, wb)
        finally:
            self.SSL_free(s)
            self.ERR_clear()

    def drain(self) -> list[int]:
        out = []
        while code := self.ERR_get_error():
            out.append(int(code))
        return out


class _Conn:
    def __init__(self, lib: LibSSL, s: int, rb: int, wb: int) -> None:
        self.lib, self.s, self.rb, self.wb = lib, s, rb, wb

    def put(self, data: bytes) -> None:
        if data:
            assert self.lib.BIO_write(self.rb, data, len(data)) == len(data)

    def take(self) -> bytes:
        out = b""
        while (n := self.lib.BIO_read(self.wb, self.lib.buf, len(self.lib.buf))) > 0:
            out += self.lib.buf.raw[:n]
        return out

    def step(self) -> tuple[int, int]:
        """SSL_do_handshake and SSL_get_error."""
        r = self.lib.do_handshake(self.s)
        return r, self.lib.get_error(self.s, r)


@pytest.fixture(scope="module")
def libssl() -> LibSSL:
    try:
        return LibSSL()
    except OSError:
        pytest.skip("libssl.so.3 is not available")


# ============================================================ helpers


def _records(data: bytes) -> list[tuple[int, int, bytes]]:
    out, i = [], 0
    while i + 5 <= len(data):
        ctype, ver, n = struct.unpack("!BHH", data[i : i + 5])
        out.append((ctype, ver, data[i + 5 : i + 5 + n]))
        i += 5 + n
    return out


def _alerts(data: bytes) -> list[int]:
    """The descriptions of the plaintext alerts in ``data``."""
    return [body[1] for t, _v, body in _records(data) if t == 21 and len(body) == 2]


def _codes() -> list[int]:
    return [e.code for e in errors_as_list()]


def _hdr(ctype: int, body: bytes, version: bytes = b"\x03\x03") -> bytes:
    return bytes([ctype]) + version + struct.pack("!H", len(body)) + body


def _der_tlv(tag: int, body: bytes) -> bytes:
    n = len(body)
    if n < 0x80:
        return bytes([tag, n]) + body
    octets = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(octets)]) + octets + body


def _der_parse(buf: bytes, i: int) -> tuple[int, int, int]:
    tag, n, j = buf[i], buf[i + 1], i + 2
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(buf[j : j + k], "big")
        j += k
    return tag, j, j + n


def _resign(der: bytes, ca_key: Any, edit: Callable[[list[bytes]], list[bytes]]) -> bytes:
    """The certificate with its extension list edited, signed again by ``ca_key``."""
    _, cb, _ = _der_parse(der, 0)
    _, tb, te = _der_parse(der, cb)
    alg_end = _der_parse(der, te)[2]
    i = tb
    while True:
        tag, b, e = _der_parse(der, i)
        if tag == 0xA3:
            break
        i = e
    _, sb, se = _der_parse(der, b)
    exts, j = [], sb
    while j < se:
        _, _xb, xe = _der_parse(der, j)
        exts.append(der[j:xe])
        j = xe
    tbs = _der_tlv(0x30, der[tb:i] + _der_tlv(0xA3, _der_tlv(0x30, b"".join(edit(exts)))))
    sig = ca_key.sign(tbs, ec.ECDSA(hashes.SHA256()))
    return _der_tlv(0x30, tbs + der[te:alg_end] + _der_tlv(0x03, b"\x00" + sig))


class _Files:
    """One ec256 PKI, the files libssl loads, and certificate variants."""

    def __init__(self, tmp: Path) -> None:
        self.p = pki("ec256")
        self.dir = tmp
        self.paths = self.p.write(tmp)

    def leaf(self, name: str, der: bytes) -> str:
        path = self.dir / f"{name}.pem"
        path.write_bytes(X509.from_cryptography(cx509.load_der_x509_certificate(der)).to_pem())
        return str(path)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> _Files:
    return _Files(tmp_path_factory.mktemp("malformed"))


def _bk_server(cert_der: bytes, key: Any, version: int) -> SSL:
    ctx = SSLContext(TLS_server_method())
    ctx.use_certificate(X509.from_cryptography(cx509.load_der_x509_certificate(cert_der)))
    ctx.use_PrivateKey(key)
    ctx.set_max_proto_version(version)
    s = SSL(ctx)
    s.set_bio(MemBIO(), MemBIO())
    return s


def _bk_client(files: _Files, *, verify: int, version: int) -> tuple[SSL, MemBIO, MemBIO]:
    ctx = SSLContext(TLS_client_method())
    ctx.get_cert_store().add_cert(files.p.ca[0])
    ctx.set_verify(verify)
    ctx.set_max_proto_version(version)
    ctx.set1_groups_list("X25519:P-256")
    c = SSL(ctx)
    c.set1_host("localhost")
    rb, wb = MemBIO(), MemBIO()
    c.set_bio(rb, wb)
    return c, rb, wb


def _bk_client_against(files: _Files, server: SSL, *, verify: int, version: int
                       ) -> tuple[int, ErrorCode, list[int], list[int], int]:
    """A biokit client against ``server``: (ret, get_error, queue, alerts sent, verify result)."""
    c, rb, wb = _bk_client(files, verify=verify, version=version)
    srb, swb = server.get_rbio(), server.get_wbio()
    assert isinstance(srb, _MemBIO) and isinstance(swb, _MemBIO)
    sent = b""
    for _ in range(6):
        clear_error()
        r = c.connect()
        codes = _codes()
        out = wb.read(1 << 20) or b""
        sent += out
        srb.write(out)
        server.accept()
        rb.write(swb.read(1 << 20) or b"")
        if r == 1 or c.get_error(r) == ErrorCode.SSL:
            break
    return r, c.get_error(r), codes, _alerts(sent), c.get_verify_result()


def _ossl_client_against(lib: LibSSL, files: _Files, server: SSL, *, verify: int, version: int
                         ) -> tuple[int, int, list[int], list[int], int]:
    """The same with libssl as the client."""
    ctx = lib.ctx(ca=files.paths["ca.pem"], verify=verify, version=version)
    srb, swb = server.get_rbio(), server.get_wbio()
    assert isinstance(srb, _MemBIO) and isinstance(swb, _MemBIO)
    try:
        with lib.conn(ctx, server=False) as c:
            assert lib.set1_host(c.s, b"localhost") == 1
            lib.ERR_clear()
            sent = b""
            for _ in range(6):
                r, e = c.step()
                out = c.take()
                sent += out
                srb.write(out)
                server.accept()
                c.put(swb.read(1 << 20) or b"")
                if r == 1 or e == 1:
                    break
            return r, e, lib.drain(), _alerts(sent), int(lib.verify_result(c.s))
    finally:
        lib.CTX_free(ctx)


# ============================================================ 1. certificates that do not parse


def _repeat(oid_der: bytes) -> Callable[[list[bytes]], list[bytes]]:
    def edit(exts: list[bytes]) -> list[bytes]:
        return [*exts, next(x for x in exts if oid_der in x)]

    return edit


SKID = b"\x06\x03\x55\x1d\x0e"

# (version, verify) -> (ret, error queue, alerts the client sent, verify result), as libssl.
REPEATED_SKID = {
    (TLS13, 0): (1, [], [], 20),
    (TLS13, 1): (-1, [INVALID_CERTIFICATE, CERT_VERIFY_FAILED], [48], 20),
    (TLS12, 0): (-1, [ECC_NOT_FOR_SIGNING, BAD_ECC_CERT], [40], 20),
    (TLS12, 1): (-1, [INVALID_CERTIFICATE, CERT_VERIFY_FAILED], [48], 20),
}


@pytest.mark.parametrize(("version", "verify"), sorted(REPEATED_SKID))
def test_repeated_extension_makes_the_certificate_invalid(
    libssl: LibSSL, files: _Files, version: int, verify: int
) -> None:
    # cryptography raises DuplicateExtension on such a certificate; OpenSSL parses
    # it, finds it invalid (no issuer fits it: 20), and a TLS 1.2 client then sees
    # no key usage for an ECDSA key at all.
    der = _resign(files.p.server[0].to_der(), files.p.ca[1], _repeat(SKID))
    ret, codes, alerts, result = REPEATED_SKID[version, verify]
    r, e, q, a, vr = _ossl_client_against(
        libssl, files, _bk_server(der, files.p.server[1], version), verify=verify,
        version=version,
    )
    assert (r, q, a, vr) == (ret, codes, alerts, result)
    assert e == (0 if ret == 1 else 1)  # SSL_ERROR_NONE / SSL_ERROR_SSL
    r2, e2, q2, a2, vr2 = _bk_client_against(
        files, _bk_server(der, files.p.server[1], version), verify=verify, version=version
    )
    assert (r2, q2, a2, vr2) == (ret, codes, alerts, result)
    assert e2 == (ErrorCode.NONE if ret == 1 else ErrorCode.SSL)


def _with_private_extension(files: _Files) -> bytes:
    now = dt.datetime.now(dt.timezone.utc)
    ca_cert, ca_key = files.p.ca[0].to_cryptography(), files.p.ca[1]
    cert = (
        cx509.CertificateBuilder()
        .subject_name(cx509.Name([cx509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_cert.subject)
        .public_key(files.p.server[1].public_key())
        .serial_number(4242)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(cx509.BasicConstraints(ca=False, path_length=None), True)
        .add_extension(
            cx509.KeyUsage(True, False, False, False, False, False, False, False, False), True
        )
        .add_extension(cx509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .add_extension(cx509.SubjectAlternativeName([cx509.DNSName("localhost")]), False)
        .add_extension(
            cx509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .add_extension(
            cx509.UnrecognizedExtension(cx509.ObjectIdentifier("1.3.6.1.4.1.55555.1"), b"\x05\0"),
            False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    from cryptography.hazmat.primitives.serialization import Encoding

    oid = b"\x06\x09\x2b\x06\x01\x04\x01\x83\xb2\x03\x01"
    return _resign(cert.public_bytes(Encoding.DER), ca_key, _repeat(oid))


@pytest.mark.parametrize("version", [TLS13, TLS12])
def test_repeated_private_extension_is_fine(libssl: LibSSL, files: _Files, version: int) -> None:
    der = _with_private_extension(files)
    with pytest.raises(cx509.DuplicateExtension):
        list(cx509.load_der_x509_certificate(der).extensions)
    expected = (1, [], [], 0)
    r, _e, q, a, vr = _ossl_client_against(
        libssl, files, _bk_server(der, files.p.server[1], version), verify=1, version=version
    )
    assert (r, q, a, vr) == expected
    r2, _e2, q2, a2, vr2 = _bk_client_against(
        files, _bk_server(der, files.p.server[1], version), verify=1, version=version
    )
    assert (r2, q2, a2, vr2) == expected


def _ossl_and_bk_on_tls12_cert(libssl: LibSSL, files: _Files, patch: Callable[[bytes], bytes],
                               verify: int) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """A TLS 1.2 server flight whose (plaintext) certificate is patched, to both clients."""
    der = files.p.server[0].to_der()
    bad = patch(der)
    assert bad != der

    def flight(ch: bytes) -> bytes:
        s = _bk_server(der, files.p.server[1], TLS12)
        rb, wb = s.get_rbio(), s.get_wbio()
        assert rb is not None and wb is not None
        rb.write(ch)
        s.accept()
        data = wb.read(1 << 20) or b""
        assert der in data
        return data.replace(der, bad)

    ctx = libssl.ctx(ca=files.paths["ca.pem"], verify=verify, version=TLS12)
    try:
        with libssl.conn(ctx, server=False) as c:
            libssl.set1_host(c.s, b"localhost")
            c.step()
            c.put(flight(c.take()))
            libssl.ERR_clear()
            r, _e = c.step()
            ossl = (r, libssl.drain(), _alerts(c.take()), int(libssl.verify_result(c.s)))
    finally:
        libssl.CTX_free(ctx)
    cl, rb, wb = _bk_client(files, verify=verify, version=TLS12)
    cl.connect()
    rb.write(flight(wb.read(1 << 20) or b""))
    clear_error()
    r2 = cl.connect()
    assert cl.get_error(r2) == ErrorCode.SSL
    bk = (r2, _codes(), _alerts(wb.read(1 << 20) or b""), cl.get_verify_result())
    return ossl, bk


@pytest.mark.parametrize("verify", [0, 1])
def test_certificate_that_does_not_decode(libssl: LibSSL, files: _Files, verify: int) -> None:
    def patch(der: bytes) -> bytes:
        i = der.find(b"\x17\x0d")  # notBefore's UTCTime tag -> an OCTET STRING
        return der[:i] + b"\x04" + der[i + 1 :]

    ossl, bk = _ossl_and_bk_on_tls12_cert(libssl, files, patch, verify)
    # OpenSSL names the inner ASN.1 failures first; the last entry, the alert and
    # the untouched verify result are what matter to a caller.
    assert ossl[0] == bk[0] == -1
    assert ossl[1][-1] == bk[1][-1] == ASN1_LIB
    assert ossl[2] == bk[2] == [42]  # bad_certificate
    assert ossl[3] == bk[3] == 0


@pytest.mark.parametrize(
    ("verify", "codes", "alert", "result"),
    [(0, [EVP_DECODE_ERROR, NO_PUBKEY_PARAMS], 80, 66),
     (1, [EVP_DECODE_ERROR, CERT_VERIFY_FAILED], 42, 66)],
)
def test_leaf_key_that_does_not_decode(
    libssl: LibSSL, files: _Files, verify: int, codes: list[int], alert: int, result: int
) -> None:
    def patch(der: bytes) -> bytes:
        i = der.find(b"\x03\x42\x00\x04") + 10  # a byte of the EC point: off the curve
        return der[:i] + bytes([der[i] ^ 0xFF]) + der[i + 1 :]

    ossl, bk = _ossl_and_bk_on_tls12_cert(libssl, files, patch, verify)
    assert ossl == bk == (-1, codes, [alert], result)


def test_bad_certificate_signature(libssl: LibSSL, files: _Files) -> None:
    def patch(der: bytes) -> bytes:
        return der[:-3] + bytes([der[-3] ^ 1]) + der[-2:]

    ossl, bk = _ossl_and_bk_on_tls12_cert(libssl, files, patch, 1)
    assert ossl == bk == (-1, [ASN1_EVP_LIB, CERT_VERIFY_FAILED], [51], 7)


# ============================================================ 2. the driver's catch-all


def _boom(*_a: Any, **_k: Any) -> Any:
    raise RuntimeError("boom")


def test_engine_exception_during_handshake(monkeypatch: pytest.MonkeyPatch) -> None:
    p = tls_pair(transport="mem", connect=False)
    monkeypatch.setattr(Engine, "advance", _boom)
    clear_error()
    r = p.client.connect()
    assert r == -1 and p.client.get_error(r) == ErrorCode.SSL
    assert [(e.code, e.data) for e in errors_as_list()] == [(INTERNAL_ERROR, "RuntimeError: boom")]
    wire = p.client.get_wbio().read(1 << 20)  # type: ignore[union-attr]
    assert _records(wire) == [(21, 0x0301, b"\x02\x50")]  # one fatal internal_error alert
    clear_error()
    assert p.client.connect() == -1  # failed for good, the queue untouched
    assert errors_as_list() == []


@pytest.mark.parametrize("call", ["accept", "do_handshake"])
def test_engine_exception_in_the_server(monkeypatch: pytest.MonkeyPatch, call: str) -> None:
    p = tls_pair(transport="mem", connect=False)
    assert p.client.connect() == -1
    srb = p.server.get_rbio()
    assert srb is not None
    srb.write(p.client.get_wbio().read(1 << 20))  # type: ignore[union-attr]
    monkeypatch.setattr("biokit.ssl.tls.server13.ServerHandshake.read_client_hello", _boom)
    if call == "do_handshake":
        p.server.set_accept_state()
    clear_error()
    r = getattr(p.server, call)()
    assert r == -1 and p.server.get_error(r) == ErrorCode.SSL
    assert _codes() == [INTERNAL_ERROR]
    assert _alerts(p.server.get_wbio().read(1 << 20)) == [80]  # type: ignore[union-attr]


@pytest.mark.parametrize("call", ["read", "peek", "write", "shutdown", "key_update"])
def test_engine_exception_after_the_handshake(monkeypatch: pytest.MonkeyPatch, call: str) -> None:
    p = tls_pair(transport="mem")
    assert p.server.write(b"hello") == 5
    p.client.get_rbio().write(p.server.get_wbio().read(1 << 20))  # type: ignore[union-attr]
    target = {
        "read": "read_record", "peek": "read_record", "write": "write_app",
        "shutdown": "send_alert", "key_update": "request_key_update",
    }[call]
    if call == "shutdown":
        calls = []

        def send_alert(self: Engine, desc: int, level: int = 2) -> None:
            calls.append(desc)
            if desc == 0:
                raise RuntimeError("boom")
            Engine.send_alert.__wrapped__(self, desc, level)  # type: ignore[attr-defined]

        original = Engine.send_alert
        send_alert.__wrapped__ = original  # type: ignore[attr-defined]
        monkeypatch.setattr(Engine, "send_alert", send_alert)
    else:
        monkeypatch.setattr(Engine, target, _boom)
    clear_error()
    if call == "read":
        r: Any = p.client.read(100)
        assert r == b""
    elif call == "peek":
        r = p.client.peek(100)
        assert r == b""
    elif call == "write":
        r = p.client.write(b"data")
        assert r == -1
    elif call == "shutdown":
        r = p.client.shutdown()
        assert r == -1
        assert calls == [0, 80]  # close_notify raised; internal_error went out instead
    else:
        r = p.client.key_update(1)
        assert r == 0
    assert [(e.code, e.data) for e in errors_as_list()] == [(INTERNAL_ERROR, "RuntimeError: boom")]
    assert p.client.get_error(r if isinstance(r, int) else 0) == ErrorCode.SSL
    wire = p.client.get_wbio().read(1 << 20)  # type: ignore[union-attr]
    recs = _records(wire)
    assert len(recs) == 1 and recs[0][0] == 23 and len(recs[0][2]) == 2 + 1 + 16  # one alert
    monkeypatch.undo()
    # The server reads the client's alert: internal_error.
    p.server.get_rbio().write(wire)  # type: ignore[union-attr]
    clear_error()
    assert p.server.read(10) == b""
    assert [e.reason_string for e in errors_as_list()] == ["tlsv1 alert internal error"]


def test_callback_exception_is_an_internal_error() -> None:
    p = tls_pair(transport="mem", connect=False)

    def servername(ssl: SSL, arg: object) -> int:
        raise RuntimeError("boom")

    p.server.get_SSL_CTX().set_tlsext_servername_callback(servername)
    assert p.client.connect() == -1
    p.server.get_rbio().write(p.client.get_wbio().read(1 << 20))  # type: ignore[union-attr]
    clear_error()
    r = p.server.accept()
    assert r == -1 and p.server.get_error(r) == ErrorCode.SSL
    assert [(e.code, e.data) for e in errors_as_list()] == [(INTERNAL_ERROR, "RuntimeError: boom")]
    assert _alerts(p.server.get_wbio().read(1 << 20)) == [80]  # type: ignore[union-attr]


def test_info_callback_exception_is_an_internal_error() -> None:
    p = tls_pair(transport="mem", connect=False)
    p.client.set_info_callback(lambda ssl, where, ret: _boom())
    clear_error()
    r = p.client.connect()
    assert r == -1 and p.client.get_error(r) == ErrorCode.SSL
    assert _codes() == [INTERNAL_ERROR]


class _BrokenBIO(_MemBIO):
    def write(self, data: Any) -> int:
        raise OSError("the caller's BIO broke")


def test_exceptions_of_the_callers_bio_reach_the_caller() -> None:
    # The caller's own objects raise to the caller (ReplayBIO relies on it), like a
    # wrong argument does; nothing was sent and nothing went on the queue.
    c = SSL(SSLContext(TLS_client_method()))
    c.set_bio(MemBIO(), _BrokenBIO())
    clear_error()
    with pytest.raises(OSError, match="the caller's BIO broke"):
        c.connect()
    assert errors_as_list() == []


def test_wrong_argument_types_raise_before_anything_happens() -> None:
    p = tls_pair(transport="mem")
    with pytest.raises(TypeError):
        p.client.write("text")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        p.client.read("10")  # type: ignore[arg-type]
    assert p.client.write(b"still fine") == 10


# ============================================================ 3. ClientHello checks


def _client_hello(version: int = TLS13, *, sni: bool = True) -> bytes:
    ctx = SSLContext(TLS_client_method())
    ctx.set_max_proto_version(version)
    c = SSL(ctx)
    if sni:
        c.set_tlsext_host_name("localhost")
    wb = MemBIO()
    c.set_bio(MemBIO(), wb)
    assert c.connect() == -1
    return wb.read(1 << 20) or b""


def _with_extension(name: str, payload: bytes, version: int = TLS13) -> bytes:
    """A biokit ClientHello whose ``name`` extension carries ``payload`` instead."""
    original = getattr(ext_mod, name)
    setattr(ext_mod, name, lambda *_a: payload)
    try:
        return _client_hello(version)
    finally:
        setattr(ext_mod, name, original)


def _server_on(files: _Files, data: bytes) -> tuple[int, list[int], Any, SSL]:
    s = _bk_server(files.p.server[0].to_der(), files.p.server[1], TLS13)
    s.get_rbio().write(data)  # type: ignore[union-attr]
    clear_error()
    r = s.accept()
    e = int(s.get_error(r))
    return e, _codes(), _records(s.get_wbio().read(1 << 20) or b""), s  # type: ignore[union-attr]


def _ossl_server_on(lib: LibSSL, files: _Files, data: bytes) -> tuple[int, list[int], Any]:
    ctx = lib.ctx(cert=files.paths["server.pem"], key=files.paths["server.key"])
    try:
        with lib.conn(ctx, server=True) as s:
            lib.ERR_clear()
            s.put(data)
            _r, e = s.step()
            return e, lib.drain(), _records(s.take())
    finally:
        lib.CTX_free(ctx)


def _same_as_openssl(lib: LibSSL, files: _Files, data: bytes) -> tuple[int, list[int], Any]:
    ossl = _ossl_server_on(lib, files, data)
    e, codes, recs, _s = _server_on(files, data)
    if all(t == 21 for t, _v, _b in ossl[2]):  # nothing but a plaintext alert: same bytes
        assert (e, codes, recs) == ossl
    else:  # a flight went out first (other randoms): the outcome and the record types
        assert (e, codes) == ossl[:2]
        assert [(t, v, len(b)) for t, v, b in recs][-1:] == [
            (t, v, len(b)) for t, v, b in ossl[2]
        ][-1:]
    return ossl


# legacy_version -> reason, the record version of the alert, the alert.
LEGACY_13 = {0x0300: (0x0A000124, 0x0300, 40), 0x0200: (0x0A000124, 0x0200, 70),
             0x0000: (0x0A000124, 0x0000, 70)}
LEGACY_12 = {0x0300: (0x0A00018C, 0x0300, 40), 0x0200: (0x0A00018C, 0x0200, 70)}


@pytest.mark.parametrize(("version", "legacy"),
                         [(TLS13, v) for v in LEGACY_13] + [(TLS12, v) for v in LEGACY_12])
def test_legacy_version_sslv3_or_lower(libssl: LibSSL, files: _Files, version: int,
                                       legacy: int) -> None:
    ch = _client_hello(version)
    data = ch[:9] + struct.pack("!H", legacy) + ch[11:]
    # With supported_versions: "bad legacy version"; without: "version too low".
    reason, rec_version, alert = (LEGACY_13 if version == TLS13 else LEGACY_12)[legacy]
    ossl = _same_as_openssl(libssl, files, data)
    assert ossl == (1, [reason], [(21, rec_version, bytes([2, alert]))])


@pytest.mark.parametrize("legacy", [0x0301, 0x0302, 0x0304, 0x7F03])
def test_legacy_version_tolerated_with_supported_versions(libssl: LibSSL, files: _Files,
                                                          legacy: int) -> None:
    ch = _client_hello()
    ossl = _same_as_openssl(libssl, files, ch[:9] + struct.pack("!H", legacy) + ch[11:])
    assert ossl[:2] == (2, [])  # SSL_ERROR_WANT_READ: the server flight went out


@pytest.mark.parametrize(
    ("payload", "ok"),
    [(b"\x01\x01", True), (b"\x01\x00", True), (b"\x01\x07", True), (b"\x00", False),
     (b"\x01", False), (b"\x02\x01", False), (b"\xff\x01", False), (b"", False)],
)
def test_psk_key_exchange_modes_decoded_without_a_psk(libssl: LibSSL, files: _Files,
                                                      payload: bytes, ok: bool) -> None:
    data = _with_extension("encode_psk_key_exchange_modes", payload)
    ossl = _same_as_openssl(libssl, files, data)
    if ok:
        assert ossl[:2] == (2, [])
    else:  # decode_error, "bad extension"
        assert ossl == (1, [0x0A00006E], [(21, 0x0303, b"\x02\x32")])


def _sni(name: bytes) -> bytes:
    inner = b"\x00" + struct.pack("!H", len(name)) + name
    return struct.pack("!H", len(inner)) + inner


@pytest.mark.parametrize(
    ("name", "seen"),
    [(b"\xc3host", "\udcc3host"), (b"caf\xe9.example", "caf\udce9.example"), (b"", ""),
     ("bücher.example".encode(), "bücher.example")],
)
def test_sni_host_name_taken_as_openssl_takes_it(libssl: LibSSL, files: _Files, name: bytes,
                                                 seen: str) -> None:
    data = _with_extension("encode_server_name", _sni(name))
    assert _ossl_server_on(libssl, files, data)[:2] == (2, [])
    e, codes, _recs, s = _server_on(files, data)
    assert (e, codes) == (2, [])
    got = s.get_servername()
    assert got == seen
    assert got is not None and got.encode("utf-8", "surrogateescape") == name


@pytest.mark.parametrize("name", [b"a\x00b", b"a" * 256])
def test_sni_host_name_refused(libssl: LibSSL, files: _Files, name: bytes) -> None:
    ossl = _same_as_openssl(libssl, files, _with_extension("encode_server_name", _sni(name)))
    assert ossl == (1, [0x0A00006E], [(21, 0x0303, b"\x02\x70")])  # unrecognized_name


def _with_compression(ch: bytes, methods: bytes) -> bytes:
    body = ch[9:]
    off = 2 + 32
    off += 1 + body[off]
    off += 2 + struct.unpack("!H", body[off : off + 2])[0]
    body = body[:off] + bytes([len(methods)]) + methods + body[off + 1 + body[off] :]
    hs = b"\x01" + len(body).to_bytes(3, "big") + body
    return ch[:3] + struct.pack("!H", len(hs)) + hs


@pytest.mark.parametrize(
    ("version", "methods", "outcome"),
    [(TLS13, b"\x01", (0x0A0000BB, 50)), (TLS13, b"\x40", (0x0A0000BB, 50)),
     (TLS13, b"\x00\x01", (0x0A000155, 47)), (TLS13, b"\x01\x00", (0x0A000155, 47)),
     (TLS12, b"\x01", (0x0A0000BB, 50)), (TLS12, b"\x00\x01", None)],
)
def test_client_hello_compression(libssl: LibSSL, files: _Files, version: int, methods: bytes,
                                  outcome: tuple[int, int] | None) -> None:
    ossl = _same_as_openssl(libssl, files, _with_compression(_client_hello(version), methods))
    if outcome is None:
        assert ossl[:2] == (2, [])
    else:
        assert ossl == (1, [outcome[0]], [(21, 0x0303, bytes([2, outcome[1]]))])


# ============================================================ 4. ServerHello, records


def _server_flight_for(ch: bytes, files: _Files, version: int) -> bytes:
    s = _bk_server(files.p.server[0].to_der(), files.p.server[1], version)
    s.get_rbio().write(ch)  # type: ignore[union-attr]
    s.accept()
    return s.get_wbio().read(1 << 20) or b""  # type: ignore[union-attr]


def _both_clients(libssl: LibSSL, files: _Files, version: int,
                  edit: Callable[[bytes], bytes]) -> tuple[Any, Any]:
    """The server's flight, edited, to a libssl client and to a biokit client."""
    ctx = libssl.ctx(version=version)
    try:
        with libssl.conn(ctx, server=False) as c:
            c.step()
            c.put(edit(_server_flight_for(c.take(), files, version)))
            libssl.ERR_clear()
            _r, e = c.step()
            ossl = (e, libssl.drain(), _alerts(c.take()))
    finally:
        libssl.CTX_free(ctx)
    cctx = SSLContext(TLS_client_method())
    cctx.set_max_proto_version(version)
    cctx.set1_groups_list("X25519:P-256")
    cl = SSL(cctx)
    rb, wb = MemBIO(), MemBIO()
    cl.set_bio(rb, wb)
    cl.connect()
    rb.write(edit(_server_flight_for(wb.read(1 << 20) or b"", files, version)))
    clear_error()
    r = cl.connect()
    return ossl, (int(cl.get_error(r)), _codes(), _alerts(wb.read(1 << 20) or b""))


def _sh_field(flight: bytes, field: str, value: bytes) -> bytes:
    off = 5 + 4 + 2 + 32
    off += 1 + flight[off]
    if field == "cipher":
        return flight[:off] + value + flight[off + 2 :]
    return flight[: off + 2] + value + flight[off + 3 :]


@pytest.mark.parametrize(
    ("version", "field", "value", "code"),
    [(TLS13, "compression", b"\x01", 0x0A000155),  # invalid compression algorithm
     (TLS12, "compression", b"\x01", 0x0A000157),  # compression disabled
     (TLS13, "cipher", b"\x99\x99", 0x0A0000F8),  # unknown cipher returned
     (TLS12, "cipher", b"\x00\x00", 0x0A0000F8),
     (TLS13, "cipher", b"\xc0\x2b", 0x0A000105),  # wrong cipher returned
     (TLS12, "cipher", b"\x13\x01", 0x0A000105)],
)
def test_server_hello_fields(libssl: LibSSL, files: _Files, version: int, field: str,
                             value: bytes, code: int) -> None:
    ossl, bk = _both_clients(libssl, files, version, lambda f: _sh_field(f, field, value))
    assert ossl == bk == (1, [code], [47])


def test_server_hello_longer_than_its_record(libssl: LibSSL, files: _Files) -> None:
    def edit(flight: bytes) -> bytes:
        n = struct.unpack("!I", b"\0" + flight[6:9])[0] + 1
        return flight[:6] + n.to_bytes(3, "big") + flight[9:]

    ossl, bk = _both_clients(libssl, files, TLS13, edit)
    assert ossl == bk == (1, [0x0A0000F4], [10])  # unexpected message


@pytest.mark.parametrize(
    ("data", "code", "alert"),
    [(_hdr(23, b"hello"), 0x0A0000F4, [10]),  # application data first: unexpected message
     (_hdr(20, b"\x01"), 0x0A0000F4, [10]),  # a CCS first
     (_hdr(24, b"abc"), 0x0A0000F4, [10]),  # an unknown type first (a TLS version: an alert)
     (_hdr(22, b"\x01\x00") + _hdr(20, b"\x01"), 0x0A000067, [10]),  # CCS in a header
     (bytes([22, 2, 0, 0, 3]) + b"abc", 0x0A00010B, [])],  # not TLS at all: no alert
)
def test_records_before_the_version_is_known(libssl: LibSSL, files: _Files, data: bytes,
                                             code: int, alert: list[int]) -> None:
    ossl = _same_as_openssl(libssl, files, data)
    assert ossl[:2] == (1, [code])
    assert [body[1] for t, _v, body in ossl[2] if t == 21] == alert


def test_unknown_outer_type_under_tls13_encryption(libssl: LibSSL, files: _Files) -> None:
    ossl = _same_as_openssl(libssl, files, _client_hello() + _hdr(24, b"x"))
    assert ossl[:2] == (1, [0x0A0001BB])  # bad record type


# ============================================================ 5. X509 errors -> alerts


@pytest.mark.parametrize(("host", "result"), [("wrong.example", 62), ("10.1.1.1", 64)])
def test_name_mismatch_is_bad_certificate(libssl: LibSSL, files: _Files, host: str,
                                          result: int) -> None:
    # ssl_x509err2alert maps 62/63/64 to bad_certificate (not handshake_failure):
    # what libssl sends, what biokit sends, and what a real OpenSSL server (Python's
    # ssl module) makes of biokit's alert.
    s = _bk_server(files.p.server[0].to_der(), files.p.server[1], TLS13)
    ctx = libssl.ctx(ca=files.paths["ca.pem"], verify=1, version=TLS13)
    try:
        with libssl.conn(ctx, server=False) as c:
            assert libssl.set1_host(c.s, host.encode()) == 1
            c.step()
            s.get_rbio().write(c.take())  # type: ignore[union-attr]
            s.accept()
            c.put(s.get_wbio().read(1 << 20))  # type: ignore[union-attr]
            libssl.ERR_clear()
            assert c.step() == (-1, 1)
            assert libssl.drain() == [CERT_VERIFY_FAILED]
            assert libssl.verify_result(c.s) == result
            assert _alerts(c.take()) == [42]
    finally:
        libssl.CTX_free(ctx)
    sctx = pyssl.SSLContext(pyssl.PROTOCOL_TLS_SERVER)
    sctx.load_cert_chain(files.paths["server.pem"], files.paths["server.key"])
    cl, _rb, _wb = _bk_client(files, verify=1, version=TLS13)
    cl.set1_host(host)
    peer = PyPeer(sctx, cl, server_side=True)
    with pytest.raises(AssertionError, match="SSL"):
        peer.handshake()
    assert cl.get_verify_result() == result
    assert [e.code for e in errors_as_list()] == [CERT_VERIFY_FAILED]
    with pytest.raises(pyssl.SSLError, match="SSLV3_ALERT_BAD_CERTIFICATE"):
        peer.obj.do_handshake()


def test_x509_alert_table_is_openssl_30s() -> None:
    from biokit.ssl.ssl import _X509_ALERTS

    # ssl/statem/statem_lib.c x509table (OpenSSL 3.0), by X509_V_ERR number.
    bad_cert = {4, 5, 6, 9, 11, 13, 14, 15, 16, 27, 28, 62, 63, 64, 65, 66, 67, 68}
    unknown_ca = {2, 3, 18, 19, 20, 21, 22, 25, 33, 79}
    expected = {n: 42 for n in bad_cert} | {n: 48 for n in unknown_ca} | {
        1: 80, 17: 80, 69: 80, 70: 80, 7: 51, 8: 51, 10: 45, 12: 45, 23: 44, 26: 43, 50: 40,
    }
    assert {k: int(v) for k, v in _X509_ALERTS.items()} == expected
    assert 24 not in _X509_ALERTS  # 3.0: "issuer certificate doesn't have a public key"


# ============================================================ 6. mutation fuzz

_NOW = dt.datetime.now(dt.timezone.utc)
_NO_ALERT = frozenset(
    {"wrong version number", "http request", "https proxy request", "unsupported protocol",
     "unexpected eof while reading"}
)


class _Side:
    """One end of a reproducible connection (seeded randoms, Ed25519, a fixed clock)."""

    def __init__(self, ctx: SSLContext, *, server: bool, seed: str) -> None:
        self.ssl = s = SSL(ctx)
        s.set_random_source(random.Random(seed).randbytes)
        s.set_time_source(lambda: _NOW)
        if server:
            s.set_accept_state()
        else:
            s.set_connect_state()
            s.set1_host("localhost")
        self.rb, self.wb = MemBIO(), MemBIO()
        s.set_bio(self.rb, self.wb)
        self.alerts: list[int] = []
        s.set_info_callback(self._info)

    def _info(self, ssl: SSL, where: int, ret: int) -> None:
        if where & 0x4008 == 0x4008:  # SSL_CB_WRITE_ALERT
            self.alerts.append(ret)

    def step(self) -> int | bytes:
        return self.ssl.do_handshake() if self.ssl.in_init() else self.ssl.read(4096)

    def out(self) -> bytes:
        return self.wb.read(1 << 20) or b""


def _fuzz_contexts(version: int) -> tuple[SSLContext, SSLContext]:
    p = pki("ed25519")
    s = SSLContext(TLS_server_method())
    s.use_certificate(p.server[0])
    s.use_PrivateKey(p.server[1])
    c = SSLContext(TLS_client_method())
    c.get_cert_store().add_cert(p.ca[0])
    c.set_verify(1)
    for ctx in (s, c):
        ctx.set_min_proto_version(version)
        ctx.set_max_proto_version(version)
    return s, c


def _flights(sctx: SSLContext, cctx: SSLContext, tag: str) -> list[tuple[str, bytes]]:
    """What each side sends, in order: the handshake, then data, KeyUpdates, close_notify."""
    srv, cli = _Side(sctx, server=True, seed="s" + tag), _Side(cctx, server=False, seed="c" + tag)
    sides = {"s": srv, "c": cli}
    flights: list[tuple[str, bytes]] = []

    def send(who: str, data: bytes) -> None:
        if data:
            flights.append((who, data))
            sides["c" if who == "s" else "s"].rb.write(data)

    for _ in range(10):
        cli.step()
        send("c", cli.out())
        srv.step()
        send("s", srv.out())
        if not cli.ssl.in_init() and not srv.ssl.in_init():
            break
    cli.step()
    send("c", cli.out())
    for who in ("s", "c"):
        side, peer = sides[who], sides["c" if who == "s" else "s"]
        side.ssl.write(b"x" * 100)
        if side.ssl.version() == TLS13:
            side.ssl.key_update(1)
        side.ssl.write(b"y" * 50)
        send(who, side.out())
        peer.step()
        peer.step()
        send("c" if who == "s" else "s", peer.out())
        side.step()
    if srv.ssl.in_init():  # a KeyUpdate answer biokit sends with the next call
        srv.ssl.do_handshake()
    assert srv.ssl.shutdown() == 0
    send("s", srv.out())
    return flights


def _split_records(data: bytes) -> list[bytes]:
    out, i = [], 0
    while i + 5 <= len(data):
        n = struct.unpack("!H", data[i + 3 : i + 5])[0]
        out.append(data[i : i + 5 + n])
        i += 5 + n
    if i < len(data):
        out.append(data[i:])
    return out


def _mutate(rng: random.Random, data: bytes) -> tuple[bytes, bool]:
    """A few random changes of one of several kinds; True: the transport then says EOF."""
    d = bytearray(data)
    kind = rng.randrange(9)
    if kind <= 2:
        for _ in range(rng.randrange(1, 4)):
            i = rng.randrange(len(d))
            d[i] = rng.choice([rng.randrange(256), d[i] ^ 1, d[i] ^ 0x80, 0, 0xFF])
    elif kind == 3:
        return bytes(d[: rng.randrange(len(d))]), rng.random() < 0.5
    elif kind == 4:
        i = rng.randrange(len(d) + 1)
        d[i:i] = rng.randbytes(rng.randrange(1, 8))
    elif kind == 5:
        i = rng.randrange(len(d))
        del d[i : i + rng.randrange(1, 16)]
    elif kind in (6, 7):
        recs = _split_records(bytes(d))
        j = rng.randrange(len(recs))
        r = bytearray(recs[j])
        op = rng.randrange(6)
        if op == 0:
            recs.insert(j, recs[j])
        elif op == 1 and len(recs) > 1:
            del recs[j]
        elif op == 2 and len(recs) > 1:
            k = rng.randrange(len(recs))
            recs[j], recs[k] = recs[k], recs[j]
        elif op == 3 and len(r) >= 5:
            r[0] = rng.choice([20, 21, 22, 23, 24, 0, 0x80])
            recs[j] = bytes(r)
        elif op == 4 and len(r) >= 5:
            r[1:3] = rng.choice([b"\x03\x01", b"\x03\x04", b"\x02\x00", b"\x03\x00"])
            recs[j] = bytes(r)
        elif len(r) >= 9:
            n = len(r) - 5 + rng.choice([-1, 1, -16, 16, 1 << 14])
            r[3:5] = struct.pack("!H", max(0, min(0xFFFF, n)))
            if r[0] == 22 and rng.random() < 0.5:  # or the handshake header inside
                r[5] = rng.randrange(256)
            recs[j] = bytes(r)
        d = bytearray(b"".join(recs))
    else:
        d += rng.randbytes(rng.randrange(1, 40))
    return bytes(d), rng.random() < 0.15


def _fuzz_one(sctx: SSLContext, cctx: SSLContext, tag: str, flights: list[tuple[str, bytes]],
              k: int, data: bytes, eof: bool) -> str | None:
    """Replay flights 0..k-1, feed flight k mutated; a broken contract, described, or None."""
    srv, cli = _Side(sctx, server=True, seed="s" + tag), _Side(cctx, server=False, seed="c" + tag)
    sides = {"s": srv, "c": cli}
    for who, flight in flights[:k]:
        sides[who].step()
        sides[who].out()
        recv = sides["c" if who == "s" else "s"]
        recv.rb.write(flight)
        recv.step()
        recv.out()
    who = flights[k][0]
    sides[who].step()
    sides[who].out()
    recv = sides["c" if who == "s" else "s"]
    recv.rb.write(data)
    if eof:
        recv.rb.set_eof_return(0)
    recv.alerts.clear()
    clear_error()
    r = recv.step()
    errs = errors_as_list()
    e = recv.ssl.get_error(r)
    out = recv.out()
    if e in (ErrorCode.NONE, ErrorCode.WANT_READ, ErrorCode.WANT_WRITE, ErrorCode.ZERO_RETURN,
             ErrorCode.SYSCALL):
        return f"{e.name} with {[x.reason_string for x in errs]}" if errs else None
    if e != ErrorCode.SSL:
        return f"get_error {e.name}"
    if r not in (-1, b""):
        return f"returned {r!r}"
    if not errs:
        return "SSL error without a queue entry"
    reason = errs[-1].reason_string
    if reason == "internal error":
        return f"internal error: {errs[-1].data}"
    if len(recv.alerts) > 1:
        return f"{len(recv.alerts)} alerts for {reason}"
    if reason.startswith(("sslv3 alert", "tlsv1 alert", "tlsv13 alert")):
        return f"answered the peer's alert ({reason})" if recv.alerts else None
    if reason in _NO_ALERT:
        return None
    if not recv.alerts or recv.alerts[0] >> 8 != 2:
        return f"no fatal alert for {reason}"
    if not out:
        return f"the alert for {reason} is not on the wire"
    if recv.ssl.in_init() is False or recv.ssl.state_string_long() != "error":
        return f"not failed after {reason}"
    return None


@pytest.mark.parametrize("version", [TLS13, TLS12])
def test_mutation_fuzz_every_flight_both_directions(version: int) -> None:
    per_flight = 350
    sctx, cctx = _fuzz_contexts(version)
    tag = f"fuzz{version:x}"
    flights = _flights(sctx, cctx, tag)
    assert len(flights) >= 6 and {w for w, _ in flights} == {"s", "c"}
    problems: dict[str, tuple[int, int]] = {}
    outcomes: set[str] = set()
    for k, (_who, flight) in enumerate(flights):
        for seed in range(per_flight):
            rng = random.Random(f"{version}-{k}-{seed}")
            data, eof = _mutate(rng, flight)
            try:
                problem = _fuzz_one(sctx, cctx, tag, flights, k, data, eof)
            except Exception as exc:  # the very thing this test is about
                problem = f"{type(exc).__name__}: {exc}"
            if problem is not None:
                problems.setdefault(problem, (k, seed))
            else:
                outcomes.add(errors_as_list()[-1].reason_string if errors_as_list() else "-")
    assert problems == {}
    # The mutations reach far: many different failures, not one.
    assert len(outcomes) >= 8, outcomes


def test_fuzz_flights_are_reproducible() -> None:
    sctx, cctx = _fuzz_contexts(TLS13)
    assert _flights(sctx, cctx, "again") == _flights(sctx, cctx, "again")


def test_certificate_version_cryptography_cannot_load(files: _Files) -> None:
    # OpenSSL 3.0 decodes a certificate of any version number; cryptography refuses
    # all but v1 and v3 (InvalidVersion, not a ValueError).  biokit treats that as
    # a certificate that does not decode -- never as a traceback.
    der = files.p.server[0].to_der()
    i = der.find(b"\xa0\x03\x02\x01\x02") + 4
    bad = der[:i] + b"\x62" + der[i + 1 :]
    cl, rb, wb = _bk_client(files, verify=0, version=TLS12)
    cl.connect()
    flight = _server_flight_for(wb.read(1 << 20) or b"", files, TLS12)
    rb.write(flight.replace(der, bad))
    clear_error()
    r = cl.connect()
    assert r == -1 and cl.get_error(r) == ErrorCode.SSL
    assert _codes()[-1] == ASN1_LIB
    assert _alerts(wb.read(1 << 20) or b"") == [42]


@pytest.mark.parametrize("verify", [0, 1])
def test_mutation_fuzz_inside_the_certificate(files: _Files, verify: int) -> None:
    # TLS 1.2 sends the certificate in clear: damage it anywhere, with and without
    # verification, and the client still ends in the contract.
    der = files.p.server[0].to_der()
    cl, _rb, wb = _bk_client(files, verify=verify, version=TLS12)
    cl.set_random_source(lambda n: b"\x00" * n)  # every client below says the same hello
    cl.connect()
    flight = _server_flight_for(wb.read(1 << 20) or b"", files, TLS12)
    start = flight.index(der)
    problems: dict[str, int] = {}
    for seed in range(150):
        rng = random.Random(f"cert-{verify}-{seed}")
        data = bytearray(flight)
        for _ in range(rng.randrange(1, 3)):
            i = start + rng.randrange(len(der))
            data[i] = rng.choice([rng.randrange(256), data[i] ^ 1, 0, 0xFF])
        c, crb, cwb = _bk_client(files, verify=verify, version=TLS12)
        c.set_random_source(lambda n: b"\x00" * n)
        try:
            c.connect()
            crb.write(bytes(data))
            clear_error()
            r = c.connect()
            e = c.get_error(r)
            codes = _codes()
            if e == ErrorCode.SSL:
                assert codes, "no queue entry"
                assert codes[-1] != INTERNAL_ERROR, errors_as_list()[-1].data
                assert len(_alerts(cwb.read(1 << 20) or b"")) == 1
            else:
                assert e == ErrorCode.WANT_READ and not codes
        except Exception as exc:
            problems.setdefault(f"{type(exc).__name__}: {exc}", seed)
    assert problems == {}


def _add_sh_extension(flight: bytes, ext_type: int, data: bytes = b"") -> bytes:
    """The flight with one more extension at the end of its ServerHello."""
    rec_len = struct.unpack("!H", flight[3:5])[0]
    sh = flight[5 : 5 + rec_len]
    off = 4 + 2 + 32
    off += 1 + sh[off] + 2 + 1  # session id, cipher suite, compression
    exts = sh[off + 2 :] + struct.pack("!HH", ext_type, len(data)) + data
    body = sh[4:off] + struct.pack("!H", len(exts)) + exts
    msg = b"\x02" + len(body).to_bytes(3, "big") + body
    return _hdr(22, msg) + flight[5 + rec_len :]


@pytest.mark.parametrize(
    ("version", "ext_type", "outcome"),
    [
        # A type OpenSSL does not know is ignored: TLS 1.3 then fails only because the
        # transcript changed (bad_record_mac); TLS 1.2 goes on.
        (TLS13, 0x1234, (1, [0x0A000119], [20])),
        (TLS12, 0x1234, (2, [], [])),
        (TLS13, 5, (1, [0x0A0000D9], [110])),  # status_request, never asked for
        (TLS12, 5, (1, [0x0A0000D9], [110])),
        (TLS13, 10, (1, [0x0A00006E], [47])),  # supported_groups: asked, not in a 1.3 SH
        (TLS13, 13, (1, [0x0A00006E], [47])),  # signature_algorithms: never in a SH
        (TLS12, 13, (1, [0x0A00006E], [47])),
        (TLS12, 51, (1, [0x0A0000D9], [110])),  # key_share: a TLS 1.2 client sent none
    ],
)
def test_server_hello_extensions(libssl: LibSSL, files: _Files, version: int, ext_type: int,
                                 outcome: tuple[int, list[int], list[int]]) -> None:
    ossl, bk = _both_clients(libssl, files, version, lambda f: _add_sh_extension(f, ext_type))
    assert ossl == bk == outcome


def _rename_extension(ch: bytes, old: int, new: int) -> bytes:
    """The ClientHello with extension ``old`` turned into type ``new`` (same data)."""
    body = ch[9:]
    off = 2 + 32
    off += 1 + body[off]
    off += 2 + struct.unpack("!H", body[off : off + 2])[0]
    off += 1 + body[off] + 2
    while off < len(body):
        t, n = struct.unpack("!HH", body[off : off + 4])
        if t == old:
            i = 9 + off
            return ch[:i] + struct.pack("!H", new) + ch[i + 2 :]
        off += 4 + n
    raise AssertionError(f"no extension {old}")


@pytest.mark.parametrize(
    "make",
    [
        # The client does not list P-256, our certificate's curve (tls1_check_cert_param).
        lambda: _with_extension("encode_supported_groups", b"\x00\x04\x00\x1d\x00\x18", TLS12),
        # No supported_groups at all: OpenSSL 3.0 then has no group for ECDHE.
        lambda: _rename_extension(_client_hello(TLS12), 10, 0x7A7A),
        # ec_point_formats without "uncompressed".
        lambda: _with_extension("encode_ec_point_formats", b"\x02\x01\x02", TLS12),
    ],
    ids=["curve-not-offered", "no-supported-groups", "no-uncompressed-points"],
)
def test_tls12_ecdsa_server_needs_the_clients_curve(libssl: LibSSL, files: _Files,
                                                     make: Callable[[], bytes]) -> None:
    ossl = _same_as_openssl(libssl, files, make())
    assert ossl == (1, [0x0A0000C1], [(21, 0x0303, b"\x02\x28")])  # no shared cipher
