"""biokit.ssl.x509 / verify / certgen against OpenSSL 3.0 itself.

Three independent references:

* the ``openssl`` 3.0 command line (``openssl verify``, ``openssl x509``), run as
  a subprocess with a timeout;
* libcrypto/libssl 3.0 called through ctypes (the same libraries Python's
  ``ssl`` module uses): SSL_CTX_use_certificate_chain_file & co. for the
  error queue, X509_verify_cert with a recording callback for verification;
* Python's ``ssl`` module, which must accept certgen's certificates in a
  real handshake over memory BIOs.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import os
import re
import ssl
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509 as cx509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, SignatureAlgorithmOID

from biokit import errors
from biokit.errors import Lib, pack_error
from biokit.ssl import certgen, verify
from biokit.ssl.certgen import ThrowawayPKI, issue_cert, make_ca, make_self_signed
from biokit.ssl.verify import CertStore, StoreContext, verify_chain
from biokit.ssl.x509 import (
    SSL_FILETYPE_ASN1,
    SSL_FILETYPE_PEM,
    X509,
    check_private_key,
    load_certificate_chain_file,
    load_certificate_file,
    load_certificates,
    load_private_key_file,
)

OPENSSL = "/usr/bin/openssl"
UTC = dt.timezone.utc
NOW = dt.datetime.now(UTC).replace(microsecond=0)
COMMON = 0x80000  # ERR_RFLAG_COMMON

# ----------------------------------------------------------------------------- helpers


def queue() -> list[tuple[int, str]]:
    """The error queue as (packed code, data) pairs, oldest first."""
    return [(e.code, e.data) for e in errors.errors_as_list()]


def code(lib: int, reason: int) -> int:
    return pack_error(lib, reason)


SYS_ENOENT = pack_error(Lib.SYS, 2)
BIO_SYS_LIB = code(Lib.BIO, COMMON | 2)
BIO_NO_SUCH_FILE = code(Lib.BIO, 128)
SSL_SYS_LIB = code(Lib.SSL, COMMON | 2)
SSL_PEM_LIB = code(Lib.SSL, COMMON | 9)
SSL_ASN1_LIB = code(Lib.SSL, COMMON | 13)
SSL_BAD_FILETYPE = code(Lib.SSL, 124)
PEM_NO_START_LINE = code(Lib.PEM, 108)
PEM_BAD_END_LINE = code(Lib.PEM, 102)
PEM_BAD_BASE64 = code(Lib.PEM, 100)
PEM_ASN1_LIB = code(Lib.PEM, COMMON | 13)
PEM_BAD_PASSWORD_READ = code(Lib.PEM, 104)
PEM_BAD_DECRYPT = code(Lib.PEM, 101)
PEM_NOT_PROC_TYPE = code(Lib.PEM, 107)
X509_SYS_LIB = code(Lib.X509, COMMON | 2)
X509_PEM_LIB = code(Lib.X509, COMMON | 9)
X509_NO_CERT_OR_CRL = code(Lib.X509, 136)
X509_KEY_VALUES_MISMATCH = code(Lib.X509, 116)
X509_KEY_TYPE_MISMATCH = code(Lib.X509, 115)
EVP_DIFFERENT_KEY_TYPES = code(Lib.EVP, 101)
ASN1_TOO_LONG = code(Lib.ASN1, 155)
ASN1_HEADER_TOO_LONG = code(Lib.ASN1, 123)
ASN1_BAD_OBJECT_HEADER = code(Lib.ASN1, 102)
ASN1_WRONG_TAG = code(Lib.ASN1, 168)
ASN1_NOT_ENOUGH_DATA = code(Lib.ASN1, 142)
ASN1_NESTED = code(Lib.ASN1, COMMON | 266)
DECODER_UNSUPPORTED = pack_error(60, COMMON | 268)
PROV_BAD_DECRYPT = pack_error(57, 100)
PKCS12_CIPHERFINAL = pack_error(35, 116)


def run_openssl(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.Popen(
        [OPENSSL, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        out, err = proc.communicate(stdin, timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
    return subprocess.CompletedProcess(
        proc.args, proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
    )


def write_pem(path: Path, *certs: X509) -> str:
    path.write_bytes(b"".join(c.to_pem() for c in certs))
    return str(path)


# --- libcrypto / libssl 3.0 through ctypes ---------------------------------------------


class LibOpenSSL:
    """The handful of libssl/libcrypto 3.0 calls the differential tests need."""

    def __init__(self) -> None:
        self.crypto = ctypes.CDLL("libcrypto.so.3")
        self.ssl = ctypes.CDLL("libssl.so.3")
        vp, c = ctypes.c_void_p, self.crypto

        def fn(lib: Any, name: str, res: Any, *args: Any) -> Any:
            f = getattr(lib, name)
            f.restype = res
            f.argtypes = list(args)
            return f

        s = self.ssl
        self.version = fn(c, "OpenSSL_version", ctypes.c_char_p, ctypes.c_int)(0).decode()
        self.ERR_get_error_all = fn(
            c, "ERR_get_error_all", ctypes.c_ulong, *[ctypes.c_void_p] * 5
        )
        self.ERR_clear_error = fn(c, "ERR_clear_error", None)
        self.TLS_method = fn(s, "TLS_method", vp)
        self.SSL_CTX_new = fn(s, "SSL_CTX_new", vp, vp)
        self.SSL_CTX_free = fn(s, "SSL_CTX_free", None, vp)
        self.chain_file = fn(s, "SSL_CTX_use_certificate_chain_file", ctypes.c_int, vp,
                             ctypes.c_char_p)
        self.cert_file = fn(s, "SSL_CTX_use_certificate_file", ctypes.c_int, vp,
                            ctypes.c_char_p, ctypes.c_int)
        self.key_file = fn(s, "SSL_CTX_use_PrivateKey_file", ctypes.c_int, vp, ctypes.c_char_p,
                           ctypes.c_int)
        self.check_key = fn(s, "SSL_CTX_check_private_key", ctypes.c_int, vp)
        self.load_locations = fn(s, "SSL_CTX_load_verify_locations", ctypes.c_int, vp,
                                 ctypes.c_char_p, ctypes.c_char_p)
        self.PWCB = ctypes.CFUNCTYPE(ctypes.c_int, vp, ctypes.c_int, ctypes.c_int, vp)
        self.set_passwd_cb = fn(s, "SSL_CTX_set_default_passwd_cb", None, vp, self.PWCB)
        self.err_string = fn(c, "X509_verify_cert_error_string", ctypes.c_char_p, ctypes.c_long)
        self.d2i_X509 = fn(c, "d2i_X509", vp, vp, ctypes.POINTER(ctypes.c_char_p), ctypes.c_long)
        self.X509_free = fn(c, "X509_free", None, vp)
        self.i2d_X509 = fn(c, "i2d_X509", ctypes.c_int, vp,
                           ctypes.POINTER(ctypes.POINTER(ctypes.c_ubyte)))
        self.check_host = fn(c, "X509_check_host", ctypes.c_int, vp, ctypes.c_char_p,
                             ctypes.c_size_t, ctypes.c_uint, vp)
        self.check_ip_asc = fn(c, "X509_check_ip_asc", ctypes.c_int, vp, ctypes.c_char_p,
                               ctypes.c_uint)
        self.store_new = fn(c, "X509_STORE_new", vp)
        self.store_free = fn(c, "X509_STORE_free", None, vp)
        self.store_add = fn(c, "X509_STORE_add_cert", ctypes.c_int, vp, vp)
        self.sk_new = fn(c, "OPENSSL_sk_new_null", vp)
        self.sk_push = fn(c, "OPENSSL_sk_push", ctypes.c_int, vp, vp)
        self.sk_free = fn(c, "OPENSSL_sk_free", None, vp)
        self.sk_num = fn(c, "OPENSSL_sk_num", ctypes.c_int, vp)
        self.sk_value = fn(c, "OPENSSL_sk_value", vp, vp, ctypes.c_int)
        self.sk_pop_free = fn(c, "OPENSSL_sk_pop_free", None, vp, vp)
        self.ctx_new = fn(c, "X509_STORE_CTX_new", vp)
        self.ctx_free = fn(c, "X509_STORE_CTX_free", None, vp)
        self.ctx_init = fn(c, "X509_STORE_CTX_init", ctypes.c_int, vp, vp, vp, vp)
        self.get0_param = fn(c, "X509_STORE_CTX_get0_param", vp, vp)
        self.set_time = fn(c, "X509_VERIFY_PARAM_set_time", None, vp, ctypes.c_int64)
        self.set1_host = fn(c, "X509_VERIFY_PARAM_set1_host", ctypes.c_int, vp, ctypes.c_char_p,
                            ctypes.c_size_t)
        self.set1_ip_asc = fn(c, "X509_VERIFY_PARAM_set1_ip_asc", ctypes.c_int, vp,
                              ctypes.c_char_p)
        self.set1_email = fn(c, "X509_VERIFY_PARAM_set1_email", ctypes.c_int, vp,
                             ctypes.c_char_p, ctypes.c_size_t)
        self.set_depth = fn(c, "X509_VERIFY_PARAM_set_depth", None, vp, ctypes.c_int)
        self.set_flags = fn(c, "X509_VERIFY_PARAM_set_flags", ctypes.c_int, vp, ctypes.c_ulong)
        self.set_purpose = fn(c, "X509_STORE_CTX_set_purpose", ctypes.c_int, vp, ctypes.c_int)
        self.VCB = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, vp)
        self.set_verify_cb = fn(c, "X509_STORE_CTX_set_verify_cb", None, vp, self.VCB)
        self.get_error = fn(c, "X509_STORE_CTX_get_error", ctypes.c_int, vp)
        self.get_depth = fn(c, "X509_STORE_CTX_get_error_depth", ctypes.c_int, vp)
        self.get_current = fn(c, "X509_STORE_CTX_get_current_cert", vp, vp)
        self.get0_chain = fn(c, "X509_STORE_CTX_get0_chain", vp, vp)
        self.verify_cert = fn(c, "X509_verify_cert", ctypes.c_int, vp)

    def drain(self) -> list[tuple[int, str]]:
        out = []
        while True:
            data, flags = ctypes.c_char_p(), ctypes.c_int()
            e = self.ERR_get_error_all(None, None, None, ctypes.byref(data), ctypes.byref(flags))
            if not e:
                return out
            out.append((e, (data.value or b"").decode() if flags.value & 2 else ""))

    @contextlib.contextmanager
    def ctx(self) -> Iterator[int]:
        self.ERR_clear_error()
        ctx = self.SSL_CTX_new(self.TLS_method())
        try:
            yield ctx
        finally:
            self.SSL_CTX_free(ctx)
            self.ERR_clear_error()

    def x509(self, der: bytes) -> int:
        p = ctypes.c_char_p(der)
        x = self.d2i_X509(None, ctypes.byref(p), len(der))
        assert x
        return int(x)

    def der(self, x: int) -> bytes:
        n = self.i2d_X509(x, None)
        buf = (ctypes.c_ubyte * n)()
        p = ctypes.cast(buf, ctypes.POINTER(ctypes.c_ubyte))
        self.i2d_X509(x, ctypes.byref(p))
        return bytes(buf)

    def use_key(self, path: str, filetype: int, password: bytes | None) -> tuple[int, list]:
        @self.PWCB
        def cb(buf: int, size: int, rw: int, u: int) -> int:
            if password is None:
                return -1
            ctypes.memmove(buf, password, len(password))
            return len(password)

        with self.ctx() as ctx:
            self.set_passwd_cb(ctx, cb)
            rc = self.key_file(ctx, path.encode(), filetype)
            return rc, self.drain()

    def verify(
        self,
        leaf: X509,
        untrusted: Sequence[X509],
        trusted: Sequence[X509],
        *,
        now: dt.datetime,
        hostname: str | None = None,
        ip: str | None = None,
        email: str | None = None,
        purpose: str | None = None,
        depth: int | None = None,
        flags: int = 0,
        override: Any = None,
    ) -> tuple[bool, int, list[tuple[bool, int, int, bytes | None]], list[bytes]]:
        """X509_verify_cert; the callback log is (ok, error, depth, current cert DER)."""
        store = self.store_new()
        for t in trusted:
            x = self.x509(t.to_der())
            self.store_add(store, x)
            self.X509_free(x)
        sk = self.sk_new()
        owned = []
        for u in untrusted:
            x = self.x509(u.to_der())
            self.sk_push(sk, x)
            owned.append(x)
        lx = self.x509(leaf.to_der())
        ctx = self.ctx_new()
        log: list[tuple[bool, int, int, bytes | None]] = []

        @self.VCB
        def cb(ok: int, sctx: int) -> int:
            err = self.get_error(sctx)
            cur = self.get_current(sctx)
            log.append((bool(ok), err, self.get_depth(sctx), self.der(cur) if cur else None))
            return int(bool(ok) or override == "all" or (override is not None and err in override))

        try:
            self.ctx_init(ctx, store, lx, sk)
            param = self.get0_param(ctx)
            self.set_time(param, int(now.timestamp()))
            if hostname is not None:
                self.set1_host(param, hostname.encode(), 0)
            if ip is not None:
                self.set1_ip_asc(param, ip.encode())
            if email is not None:
                self.set1_email(param, email.encode(), 0)
            if depth is not None:
                self.set_depth(param, depth)
            if flags:
                self.set_flags(param, flags)
            if purpose is not None:
                self.set_purpose(ctx, {"client": 1, "server": 2}[purpose])
            self.set_verify_cb(ctx, cb)
            rc = self.verify_cert(ctx)
            chain_sk = self.get0_chain(ctx)
            chain = [self.der(self.sk_value(chain_sk, i)) for i in range(self.sk_num(chain_sk))]
            return rc > 0, self.get_error(ctx), log, chain
        finally:
            self.ctx_free(ctx)
            self.X509_free(lx)
            for x in owned:
                self.X509_free(x)
            self.sk_free(sk)
            self.store_free(store)
            self.ERR_clear_error()


@pytest.fixture(scope="module")
def lib() -> LibOpenSSL:
    try:
        ossl = LibOpenSSL()
    except OSError:
        pytest.skip("libssl.so.3 not loadable")
    if not ossl.version.startswith("OpenSSL 3.0."):
        pytest.skip(f"differential tests target OpenSSL 3.0, found {ossl.version}")
    return ossl


# ----------------------------------------------------------------------------- PKI

class PKI:
    """Every certificate the verification cases need, built once."""

    def __init__(self) -> None:
        self.ca, self.ca_key = make_ca("biokit test CA")
        self.leaf, self.leaf_key = issue_cert(self.ca, self.ca_key, "localhost")
        self.inter, self.inter_key = make_ca("biokit intermediate", issuer=(self.ca, self.ca_key))
        self.leaf2, self.leaf2_key = issue_cert(self.inter, self.inter_key, "localhost")
        self.self_signed, self.self_signed_key = make_self_signed()
        self.codesign, _ = issue_cert(
            self.ca, self.ca_key, "localhost", eku=[ExtendedKeyUsageOID.CODE_SIGNING]
        )
        self.client, _ = issue_cert(
            self.ca, self.ca_key, "biokit client", dns=(), ips=(), server=False, client=True
        )
        self.not_ca, self.not_ca_key = issue_cert(self.ca, self.ca_key, "not a CA")
        self.under_not_ca, _ = issue_cert(self.not_ca, self.not_ca_key, "localhost")
        self.p0, self.p0_key = make_ca("pathlen0", issuer=(self.ca, self.ca_key), path_length=0)
        self.p0_sub, self.p0_sub_key = make_ca("under pathlen0", issuer=(self.p0, self.p0_key))
        self.p0_leaf, _ = issue_cert(self.p0_sub, self.p0_sub_key, "localhost")
        self.impostor = self._impostor()
        self.critical = self._critical_leaf()
        self.cn_only, _ = issue_cert(self.ca, self.ca_key, "www.example.com", dns=(),
                                     ips=("192.0.2.1",))

    def _impostor(self) -> X509:
        """The CA's name, extensions and key identifier on another key."""
        key = ec.generate_private_key(ec.SECP256R1())
        real = self.ca.to_cryptography()
        builder = (
            cx509.CertificateBuilder()
            .subject_name(real.subject)
            .issuer_name(real.subject)
            .public_key(key.public_key())
            .serial_number(7)
            .not_valid_before(real.not_valid_before_utc)
            .not_valid_after(real.not_valid_after_utc)
        )
        for ext in real.extensions:
            builder = builder.add_extension(ext.value, ext.critical)
        return X509(builder.sign(key, hashes.SHA256()))

    def _critical_leaf(self) -> X509:
        real = self.leaf.to_cryptography()
        builder = (
            cx509.CertificateBuilder()
            .subject_name(real.subject)
            .issuer_name(real.issuer)
            .public_key(self.leaf_key.public_key())
            .serial_number(9)
            .not_valid_before(real.not_valid_before_utc)
            .not_valid_after(real.not_valid_after_utc)
            .add_extension(
                cx509.UnrecognizedExtension(cx509.ObjectIdentifier("1.2.3.4.5"), b"\x05\x00"),
                critical=True,
            )
            .add_extension(cx509.SubjectAlternativeName([cx509.DNSName("localhost")]), False)
        )
        return X509(builder.sign(self.ca_key, hashes.SHA256()))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def pki() -> PKI:
    return PKI()


# ============================================================================ error strings

EXPECTED_STRINGS = {
    0: "ok",
    1: "unspecified certificate verification error",
    2: "unable to get issuer certificate",
    7: "certificate signature failure",
    9: "certificate is not yet valid",
    10: "certificate has expired",
    18: "self-signed certificate",
    19: "self-signed certificate in certificate chain",
    20: "unable to get local issuer certificate",
    21: "unable to verify the first certificate",
    22: "certificate chain too long",
    24: "issuer certificate doesn't have a public key",
    25: "path length constraint exceeded",
    26: "unsuitable certificate purpose",
    27: "certificate not trusted",
    28: "certificate rejected",
    50: "application verification failure",
    62: "hostname mismatch",
    63: "email address mismatch",
    64: "IP address mismatch",
    79: "invalid CA certificate",
}


def test_error_numbers_and_strings() -> None:
    assert (verify.X509_V_OK, verify.X509_V_ERR_UNSPECIFIED) == (0, 1)
    assert verify.X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT == 2
    assert verify.X509_V_ERR_CERT_SIGNATURE_FAILURE == 7
    assert (verify.X509_V_ERR_CERT_NOT_YET_VALID, verify.X509_V_ERR_CERT_HAS_EXPIRED) == (9, 10)
    assert verify.X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT == 18
    assert verify.X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN == 19
    assert verify.X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY == 20
    assert verify.X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE == 21
    assert verify.X509_V_ERR_CERT_CHAIN_TOO_LONG == 22
    # OpenSSL 3.0 moved INVALID_CA from 24 to 79; 24 is now NO_ISSUER_PUBLIC_KEY.
    assert (verify.X509_V_ERR_NO_ISSUER_PUBLIC_KEY, verify.X509_V_ERR_INVALID_CA) == (24, 79)
    assert verify.X509_V_ERR_PATH_LENGTH_EXCEEDED == 25
    assert verify.X509_V_ERR_INVALID_PURPOSE == 26
    assert (verify.X509_V_ERR_CERT_UNTRUSTED, verify.X509_V_ERR_CERT_REJECTED) == (27, 28)
    assert verify.X509_V_ERR_APPLICATION_VERIFICATION == 50
    assert verify.X509_V_ERR_HOSTNAME_MISMATCH == 62
    assert verify.X509_V_ERR_EMAIL_MISMATCH == 63
    assert verify.X509_V_ERR_IP_ADDRESS_MISMATCH == 64
    for number, text in EXPECTED_STRINGS.items():
        assert verify.verify_cert_error_string(number) == text
    assert verify.verify_cert_error_string(95) == "unknown certificate verification error"
    assert verify.verify_cert_error_string(-1) == "unknown certificate verification error"


def test_error_strings_match_libcrypto(lib: LibOpenSSL) -> None:
    for number in range(0, 101):
        assert verify.verify_cert_error_string(number) == lib.err_string(number).decode(), number


def test_header_constants_match_x509_vfy_h() -> None:
    header = Path("/usr/include/openssl/x509_vfy.h")
    if not header.exists():
        pytest.skip("no OpenSSL headers installed")
    found = dict(re.findall(r"#\s*define (X509_V_(?:OK|ERR_\w+)) (\d+)", header.read_text()))
    assert len(found) > 90
    for name, value in found.items():
        if hasattr(verify, name):
            assert getattr(verify, name) == int(value), name


# ============================================================================ X509 objects


def test_x509_round_trips_and_accessors(pki: PKI, tmp_path: Path) -> None:
    leaf = pki.leaf
    assert X509.from_pem(leaf.to_pem()) == leaf
    assert X509.from_der(leaf.to_der()) == leaf
    assert X509.from_der(leaf.to_der() + b"trailing junk is ignored") == leaf
    assert X509.from_pem(leaf.to_pem().decode()) == leaf
    assert hash(X509.from_der(leaf.to_der())) == hash(leaf)
    assert leaf != pki.ca and leaf != "not a certificate"
    assert leaf.to_cryptography().subject == X509.from_der(leaf.to_der()).to_cryptography().subject
    assert leaf.get_version() == 2
    assert leaf.get_issuer_name() == pki.ca.get_subject_name()
    assert leaf.get_not_before().tzinfo is not None
    assert leaf.get_not_before() < NOW < leaf.get_not_after()
    assert leaf.public_key().public_numbers() == pki.leaf_key.public_key().public_numbers()
    assert repr(leaf) == "<X509 subject='CN = localhost, O = biokit'>"

    path = write_pem(tmp_path / "leaf.pem", leaf)
    text = run_openssl("x509", "-in", path, "-noout", "-serial", "-fingerprint", "-sha256").stdout
    serial = re.search(r"serial=([0-9A-F]+)", text)
    finger = re.search(r"Fingerprint=([0-9A-F:]+)", text)
    assert serial and finger
    assert leaf.get_serial_number() == int(serial.group(1), 16)
    assert leaf.digest("sha256") == bytes.fromhex(finger.group(1).replace(":", ""))
    assert leaf.digest("SHA1") == leaf.to_cryptography().fingerprint(hashes.SHA1())
    with pytest.raises(ValueError):
        leaf.digest("nope")


def test_from_der_errors_match_d2i_x509() -> None:
    errors.clear_error()
    assert X509.from_der(b"") is None
    assert queue() == [(code(Lib.ASN1, 224), ""), (ASN1_BAD_OBJECT_HEADER, ""),
                       (ASN1_NESTED, "Type=X509")]
    errors.clear_error()
    assert X509.from_der(b"hello world") is None  # 'h' tag, length 'e' = 101 > the rest
    assert queue() == [(ASN1_TOO_LONG, ""), (ASN1_BAD_OBJECT_HEADER, ""),
                       (ASN1_NESTED, "Type=X509")]
    errors.clear_error()
    assert X509.from_der(b"0\x82\x01") is None  # long form with no content byte after it
    assert queue() == [(ASN1_HEADER_TOO_LONG, ""), (ASN1_BAD_OBJECT_HEADER, ""),
                       (ASN1_NESTED, "Type=X509")]
    errors.clear_error()
    assert X509.from_der(b"\x04\x01x") is None  # an OCTET STRING
    assert queue() == [(ASN1_WRONG_TAG, ""), (ASN1_NESTED, "Type=X509")]
    errors.clear_error()
    assert X509.from_der(b"0\x03\x02\x01\x01") is None  # a SEQUENCE holding an INTEGER
    assert queue() == [(ASN1_WRONG_TAG, ""), (ASN1_NESTED, "Type=X509_CINF"),
                       (ASN1_NESTED, "Field=cert_info, Type=X509")]
    errors.clear_error()
    # Damage deeper inside: only OpenSSL's last entry is reproduced.
    assert X509.from_der(b"0\x03\x30\x01\x00") is None
    assert queue() == [(ASN1_NESTED, "Type=X509")]
    errors.clear_error()


# ---------------------------------------------------------------------------- host names


HOST_PATTERNS = [
    "localhost", "*.example.com", "f*.example.com", "*o.example.com", "fo*o.example.com",
    "*.com", "*.xn--bcher-kva.example", "xn--*.example.com", "www.*.example.com",
    "WWW.Example.COM", "*", "*.*.example.com", "a-.example.com", "-a.example.com",
    "example.com.", "*-.example.com",
]
HOSTS = [
    "localhost", "LOCALHOST", "www.example.com", "foo.example.com", "fooo.example.com",
    "a.b.example.com", "example.com", ".example.com", "www.Example.com", "x.com",
    "bücher.example", "xn--bcher-kva.xn--bcher-kva.example", "xn--abc.example.com",
    "example.com.", "a-.example.com", "", "loc\0alhost", "localhost\0",
]


def test_check_host_matches_x509_check_host(pki: PKI, lib: LibOpenSSL) -> None:
    for pattern in HOST_PATTERNS:
        cert, _ = issue_cert(pki.ca, pki.ca_key, "cn", dns=(pattern,), ips=(), key=pki.leaf_key)
        x = lib.x509(cert.to_der())
        try:
            for host in HOSTS:
                raw = host.encode()
                expected = lib.check_host(x, raw, len(raw), 0, None)
                assert cert.check_host(host) == expected, (pattern, host)
        finally:
            lib.X509_free(x)


def test_check_host_common_name_fallback_and_ip(pki: PKI, lib: LibOpenSSL) -> None:
    # No DNS SAN: the CN is used; an IP SAN alone does not stop the fallback.
    assert pki.cn_only.check_host("WWW.EXAMPLE.COM") == 1
    assert pki.cn_only.check_host("example.com") == 0
    # A DNS SAN present: the CN is never consulted.
    with_san, _ = issue_cert(pki.ca, pki.ca_key, "www.example.com", dns=("other.test",))
    assert with_san.check_host("www.example.com") == 0
    assert with_san.check_host("other.test") == 1
    for cert in (pki.leaf, pki.cn_only):
        x = lib.x509(cert.to_der())
        try:
            for addr in ("127.0.0.1", "192.0.2.1", "::1", "10.0.0.1", "not an ip", "1.2.3"):
                assert cert.check_ip(addr) == lib.check_ip_asc(x, addr.encode(), 0), addr
        finally:
            lib.X509_free(x)
    assert pki.leaf.check_ip(bytes([127, 0, 0, 1])) == 1
    assert pki.leaf.check_ip(b"\x7f") == -2
    v6, _ = issue_cert(pki.ca, pki.ca_key, "v6", dns=(), ips=("2001:db8::1",))
    assert v6.check_ip("2001:DB8:0:0::1") == 1
    assert v6.check_ip("2001:db8::2") == 0


def test_check_email() -> None:
    ca, key = make_ca()
    cert = X509(
        cx509.CertificateBuilder()
        .subject_name(cx509.Name([cx509.NameAttribute(NameOID.EMAIL_ADDRESS, "Bob@Example.com")]))
        .issuer_name(ca.to_cryptography().subject)
        .public_key(key.public_key())
        .serial_number(3)
        .not_valid_before(NOW - dt.timedelta(hours=1))
        .not_valid_after(NOW + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())  # type: ignore[arg-type]
    )
    assert cert.check_email("Bob@example.COM") == 1  # domain part is case-insensitive
    assert cert.check_email("bob@example.com") == 0  # the local part is not
    assert cert.check_email("alice@example.com") == 0


# ---------------------------------------------------------------------------- names


def _named_cert(name: cx509.Name) -> X509:
    key = ec.generate_private_key(ec.SECP256R1())
    return X509(
        cx509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(NOW)
        .not_valid_after(NOW + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )


def _attr(oid: cx509.ObjectIdentifier, value: str, kind: _ASN1Type | None = None) -> Any:
    if kind is None:
        return cx509.NameAttribute(oid, value)
    return cx509.NameAttribute(oid, value, _type=kind)


NAMES = [
    [_attr(NameOID.COMMON_NAME, "localhost"), _attr(NameOID.ORGANIZATION_NAME, "biokit")],
    [_attr(NameOID.COUNTRY_NAME, "US"), _attr(NameOID.STATE_OR_PROVINCE_NAME, "Some, State")],
    [_attr(NameOID.COMMON_NAME, 'a,b+c"d\\e<f>g;h')],
    [_attr(NameOID.COMMON_NAME, " lead"), _attr(NameOID.ORGANIZATION_NAME, "trail ")],
    [_attr(NameOID.COMMON_NAME, "#hash"), _attr(NameOID.ORGANIZATION_NAME, "#")],
    [_attr(NameOID.COMMON_NAME, " "), _attr(NameOID.ORGANIZATIONAL_UNIT_NAME, "in  side")],
    [_attr(NameOID.COMMON_NAME, "café €")],
    [_attr(NameOID.COMMON_NAME, "café", _ASN1Type.BMPString)],
    [_attr(NameOID.COMMON_NAME, "x\U0001f600", _ASN1Type.UniversalString)],
    [_attr(cx509.ObjectIdentifier("1.2.3.4"), "foo")],
    [_attr(NameOID.EMAIL_ADDRESS, "a@b.c"), _attr(NameOID.DOMAIN_COMPONENT, "example")],
    [_attr(NameOID.COMMON_NAME, "a/b+c")],
    [_attr(NameOID.COMMON_NAME, "tab\there\x01")],
    [_attr(NameOID.SERIAL_NUMBER, "42"), _attr(NameOID.USER_ID, "uid"),
     _attr(NameOID.JURISDICTION_COUNTRY_NAME, "DE"), _attr(NameOID.TITLE, "Dr")],
]


def test_names_print_like_openssl_x509(tmp_path: Path) -> None:
    certs = [_named_cert(cx509.Name(attrs)) for attrs in NAMES]
    certs.append(
        _named_cert(
            cx509.Name(
                [
                    cx509.RelativeDistinguishedName(
                        [_attr(NameOID.COMMON_NAME, "x"), _attr(NameOID.ORGANIZATION_NAME, "y")]
                    ),
                    cx509.RelativeDistinguishedName([_attr(NameOID.COUNTRY_NAME, "US")]),
                ]
            )
        )
    )
    for i, cert in enumerate(certs):
        path = write_pem(tmp_path / f"n{i}.pem", cert)
        name = cert.get_subject_name()

        def subject(*opts: str, path: str = path) -> str:
            out = run_openssl("x509", "-in", path, "-noout", "-subject", *opts).stdout
            assert out.startswith("subject=") and out.endswith("\n")
            return out[len("subject=") : -1]

        assert name.oneline() == subject("-nameopt", "oneline"), i
        assert name.oneline() == subject(), i  # what s_client and x509 print by default
        assert name.legacy_oneline() == subject("-nameopt", "compat"), i
        hashed = run_openssl("x509", "-in", path, "-noout", "-hash").stdout.strip()
        assert f"{name.hash():08x}" == hashed, i
        assert str(name) == name.oneline()


def test_name_comparison_is_canonical() -> None:
    a = cx509.Name([_attr(NameOID.COMMON_NAME, "  Hello   World "), _attr(NameOID.ORGANIZATION_NAME,
                                                                          "X")])
    b = cx509.Name([_attr(NameOID.COMMON_NAME, "hello world", _ASN1Type.PrintableString),
                    _attr(NameOID.ORGANIZATION_NAME, "x", _ASN1Type.BMPString)])
    c = cx509.Name([_attr(NameOID.COMMON_NAME, "hello world!"), _attr(NameOID.ORGANIZATION_NAME,
                                                                      "x")])
    na, nb, nc = (_named_cert(n).get_subject_name() for n in (a, b, c))
    assert na == nb and hash(na) == hash(nb)
    assert na != nc
    assert na.hash() == nb.hash()
    assert na.entries() == [("CN", '"  Hello   World "'), ("O", "X")]
    assert na.entry_count() == 2
    assert na.get_text_by_oid(NameOID.COMMON_NAME.dotted_string) == ["  Hello   World "]


# ============================================================================ loaders

@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory, pki: PKI) -> dict[str, str]:
    d = tmp_path_factory.mktemp("loaders")
    key_pem = certgen.private_key_to_pem(pki.leaf_key)
    leaf_pem = pki.leaf.to_pem()
    lines = leaf_pem.splitlines(keepends=True)
    contents: dict[str, bytes] = {
        "empty": b"",
        "text": b"this is not PEM\n",
        "leaf.pem": leaf_pem,
        "chain.pem": leaf_pem + pki.ca.to_pem(),
        "key_then_cert.pem": key_pem + leaf_pem,
        "cert_then_key.pem": leaf_pem + key_pem,
        "trusted.pem": leaf_pem.replace(b"CERTIFICATE", b"TRUSTED CERTIFICATE"),
        "old.pem": leaf_pem.replace(b"CERTIFICATE", b"X509 CERTIFICATE"),
        "truncated.pem": b"".join(lines[:5]),
        "bad_b64.pem": (
            b"-----BEGIN CERTIFICATE-----\n!!!notbase64***\n-----END CERTIFICATE-----\n"
        ),
        "bad_der.pem": b"-----BEGIN CERTIFICATE-----\nMIIBAA==\n-----END CERTIFICATE-----\n",
        "wrong_end.pem": b"".join(lines[:-1]) + b"-----END X509 CRL-----\n",
        "blank_inside.pem": b"".join(lines[:3]) + b"\n" + b"".join(lines[3:]),
        "good_then_bad.pem": (
            leaf_pem + b"-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n"
        ),
        "good_then_torn.pem": leaf_pem + b"".join(lines[:4]),
        "crlf.pem": leaf_pem.replace(b"\n", b"\r\n"),
        "bom.pem": b"\xef\xbb\xbf" + leaf_pem,
        "leaf.der": pki.leaf.to_der(),
        "one": b"x",
        "junk": b"junk\n",
        "key.pem": key_pem,
        "key.der": pki.leaf_key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        "key_enc.pem": certgen.private_key_to_pem(pki.leaf_key, b"secret"),
        "key_legacy.pem": pki.leaf_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.BestAvailableEncryption(b"secret"),
        ),
        "other_key.pem": certgen.private_key_to_pem(pki.ca_key),
    }
    out = {}
    for name, data in contents.items():
        (d / name).write_bytes(data)
        out[name] = str(d / name)
    (d / "dir").mkdir()
    out["dir"] = str(d / "dir")
    out["missing"] = str(d / "does-not-exist.pem")
    return out


def _chain_expectations(f: dict[str, str]) -> list[tuple[str, list[tuple[int, str]] | int]]:
    trusted = "Expecting: TRUSTED CERTIFICATE"
    asn1 = [(ASN1_HEADER_TOO_LONG, ""), (ASN1_BAD_OBJECT_HEADER, ""), (ASN1_NESTED, "Type=X509"),
            (PEM_ASN1_LIB, "")]
    return [
        ("missing", [(SYS_ENOENT, f"calling fopen({f['missing']}, r)"), (BIO_SYS_LIB, ""),
                     (SSL_SYS_LIB, "")]),
        ("empty", [(PEM_NO_START_LINE, trusted), (SSL_PEM_LIB, "")]),
        ("dir", [(PEM_NO_START_LINE, trusted), (SSL_PEM_LIB, "")]),
        ("text", [(PEM_NO_START_LINE, trusted), (SSL_PEM_LIB, "")]),
        ("leaf.der", [(PEM_NO_START_LINE, trusted), (SSL_PEM_LIB, "")]),
        ("key.pem", [(PEM_NO_START_LINE, trusted), (SSL_PEM_LIB, "")]),
        ("truncated.pem", [(PEM_BAD_END_LINE, ""), (SSL_PEM_LIB, "")]),
        ("wrong_end.pem", [(PEM_BAD_END_LINE, ""), (SSL_PEM_LIB, "")]),
        ("bad_b64.pem", [(PEM_BAD_BASE64, ""), (SSL_PEM_LIB, "")]),
        ("blank_inside.pem", [(PEM_NOT_PROC_TYPE, ""), (SSL_PEM_LIB, "")]),
        ("bad_der.pem", [*asn1, (SSL_PEM_LIB, "")]),
        # A damaged *extra* certificate: the PEM entries stay, without an SSL entry.
        ("good_then_bad.pem", [(PEM_BAD_BASE64, "")]),
        ("good_then_torn.pem", [(PEM_BAD_END_LINE, "")]),
        ("leaf.pem", 1),
        ("chain.pem", 2),
        ("key_then_cert.pem", 1),
        ("cert_then_key.pem", 1),
        ("trusted.pem", 1),
        ("old.pem", 1),
        ("crlf.pem", 1),
        ("bom.pem", 1),
    ]


def test_chain_file_errors(pki: PKI, files: dict[str, str]) -> None:
    for name, expected in _chain_expectations(files):
        errors.clear_error()
        chain = load_certificate_chain_file(files[name])
        if isinstance(expected, int):
            assert chain is not None and len(chain) == expected, name
            assert chain[0] == pki.leaf
            assert queue() == [], name
        else:
            assert chain is None, name
            assert queue() == expected, name
    chain = load_certificate_chain_file(files["chain.pem"])
    assert chain == [pki.leaf, pki.ca]


def test_chain_file_success_clears_the_queue_like_openssl(files: dict[str, str]) -> None:
    errors.clear_error()
    errors.put_error(Lib.SSL, 123)
    assert load_certificate_chain_file(files["leaf.pem"]) is not None
    assert queue() == []  # use_certificate_chain_file ends with ERR_clear_error()


def test_missing_file_strings(files: dict[str, str]) -> None:
    errors.clear_error()
    assert load_certificate_chain_file(files["missing"]) is None
    lines = [str(e) for e in errors.errors_as_list()]
    assert lines == [
        "error:80000002:system library::No such file or directory",
        "error:10080002:BIO routines::system lib",
        "error:0A080002:SSL routines::system lib",
    ]
    errors.clear_error()
    assert load_certificate_chain_file(files["text"]) is None
    assert [str(e) for e in errors.errors_as_list()] == [
        "error:0480006C:PEM routines::no start line",
        "error:0A080009:SSL routines::PEM lib",
    ]
    errors.clear_error()


def test_certificate_file_errors(pki: PKI, files: dict[str, str]) -> None:
    cases: list[tuple[str, int, list[tuple[int, str]] | None]] = [
        ("leaf.pem", SSL_FILETYPE_PEM, None),
        ("leaf.der", SSL_FILETYPE_ASN1, None),
        ("text", SSL_FILETYPE_PEM, [(PEM_NO_START_LINE, "Expecting: CERTIFICATE"),
                                    (SSL_PEM_LIB, "")]),
        ("trusted.pem", SSL_FILETYPE_PEM, [(PEM_NO_START_LINE, "Expecting: CERTIFICATE"),
                                           (SSL_PEM_LIB, "")]),
        ("empty", SSL_FILETYPE_ASN1, [(SSL_ASN1_LIB, "")]),
        ("one", SSL_FILETYPE_ASN1, [(ASN1_HEADER_TOO_LONG, ""), (SSL_ASN1_LIB, "")]),
        ("junk", SSL_FILETYPE_ASN1, [(ASN1_NOT_ENOUGH_DATA, ""), (SSL_ASN1_LIB, "")]),
        ("leaf.pem", SSL_FILETYPE_ASN1, [(ASN1_WRONG_TAG, ""), (ASN1_NESTED, "Type=X509"),
                                         (SSL_ASN1_LIB, "")]),
        ("dir", SSL_FILETYPE_ASN1, [(pack_error(Lib.SYS, 21), "calling fread()"),
                                    (BIO_SYS_LIB, ""), (ASN1_NOT_ENOUGH_DATA, ""),
                                    (SSL_ASN1_LIB, "")]),
        ("leaf.pem", 3, [(SSL_BAD_FILETYPE, "")]),
    ]
    for name, filetype, expected in cases:
        errors.clear_error()
        cert = load_certificate_file(files[name], filetype)
        if expected is None:
            assert cert == pki.leaf and queue() == [], name
        else:
            assert cert is None and queue() == expected, (name, filetype)


def test_private_key_file_errors(pki: PKI, files: dict[str, str]) -> None:
    wrong = [(PROV_BAD_DECRYPT, ""), (PKCS12_CIPHERFINAL, "maybe wrong password")] * 2
    cases: list[tuple[str, int, bytes | None, list[tuple[int, str]] | None]] = [
        ("key.pem", SSL_FILETYPE_PEM, None, None),
        ("key.pem", SSL_FILETYPE_PEM, b"unused", None),
        ("key.der", SSL_FILETYPE_ASN1, None, None),
        ("cert_then_key.pem", SSL_FILETYPE_PEM, None, None),
        ("key_enc.pem", SSL_FILETYPE_PEM, b"secret", None),
        ("key_legacy.pem", SSL_FILETYPE_PEM, b"secret", None),
        ("missing", SSL_FILETYPE_PEM, None,
         [(SYS_ENOENT, f"calling fopen({files['missing']}, r)"), (BIO_SYS_LIB, ""),
          (SSL_SYS_LIB, "")]),
        ("missing", 3, None,
         [(SYS_ENOENT, f"calling fopen({files['missing']}, r)"), (BIO_SYS_LIB, ""),
          (SSL_SYS_LIB, "")]),
        ("key.pem", 3, None, [(SSL_BAD_FILETYPE, "")]),
        ("leaf.pem", SSL_FILETYPE_PEM, None,
         [(DECODER_UNSUPPORTED, "No supported data to decode. Input type: PEM"),
          (SSL_PEM_LIB, "")]),
        ("empty", SSL_FILETYPE_PEM, None,
         [(DECODER_UNSUPPORTED, "No supported data to decode. Input type: PEM"),
          (SSL_PEM_LIB, "")]),
        ("empty", SSL_FILETYPE_ASN1, None, [(SSL_ASN1_LIB, "")]),
        ("junk", SSL_FILETYPE_ASN1, None, [(ASN1_NOT_ENOUGH_DATA, ""), (SSL_ASN1_LIB, "")]),
        ("key_enc.pem", SSL_FILETYPE_PEM, b"wrong", [*wrong, (SSL_PEM_LIB, "")]),
        ("key_legacy.pem", SSL_FILETYPE_PEM, b"wrong",
         [(PROV_BAD_DECRYPT, ""), (PEM_BAD_DECRYPT, ""), (SSL_PEM_LIB, "")]),
        # Without a password the queue ends like OpenSSL's (whose UI layer adds entries first).
        ("key_enc.pem", SSL_FILETYPE_PEM, None, [(PEM_BAD_PASSWORD_READ, ""), (SSL_PEM_LIB, "")]),
        ("key_legacy.pem", SSL_FILETYPE_PEM, None,
         [(PEM_BAD_PASSWORD_READ, ""), (SSL_PEM_LIB, "")]),
        ("blank_inside.pem", SSL_FILETYPE_PEM, None, [(PEM_NOT_PROC_TYPE, ""), (SSL_PEM_LIB, "")]),
    ]
    for name, filetype, password, expected in cases:
        errors.clear_error()
        key = load_private_key_file(files[name], filetype, password)
        if expected is None:
            assert key is not None and queue() == [], name
            assert check_private_key(pki.leaf, key)
        else:
            assert key is None and queue() == expected, (name, filetype, password)
    errors.clear_error()


def test_loaders_match_libssl(files: dict[str, str], lib: LibOpenSSL) -> None:
    for name in files:
        for filetype in (SSL_FILETYPE_PEM, SSL_FILETYPE_ASN1, 3):
            with lib.ctx() as ctx:
                rc = lib.cert_file(ctx, files[name].encode(), filetype)
                theirs = lib.drain()
            errors.clear_error()
            ours = load_certificate_file(files[name], filetype)
            assert (ours is not None, queue()) == (rc == 1, theirs), (name, filetype)
        with lib.ctx() as ctx:
            rc = lib.chain_file(ctx, files[name].encode())
            theirs = lib.drain()
        errors.clear_error()
        assert (load_certificate_chain_file(files[name]) is not None, queue()) == (
            rc == 1,
            theirs,
        ), name
        with lib.ctx() as ctx:
            rc = lib.load_locations(ctx, files[name].encode(), None)
            theirs = lib.drain()
        errors.clear_error()
        assert (load_certificates(files[name]) is not None, queue()) == (rc == 1, theirs), name
    errors.clear_error()


def test_key_loader_matches_libssl(files: dict[str, str], lib: LibOpenSSL) -> None:
    """Exact for every case but two kinds, where biokit keeps OpenSSL's last entries:
    a missing password (the UI layer's "interrupted" entries) and DER that is no key."""
    tail_only = {
        ("key_enc.pem", SSL_FILETYPE_PEM, None),
        ("key_legacy.pem", SSL_FILETYPE_PEM, None),
    }
    for name in files:
        for filetype in (SSL_FILETYPE_PEM, SSL_FILETYPE_ASN1):
            for password in (None, b"secret", b"wrong"):
                rc, theirs = lib.use_key(files[name], filetype, password)
                errors.clear_error()
                ours = load_private_key_file(files[name], filetype, password)
                assert (ours is not None) == (rc == 1), (name, filetype, password)
                mine = queue()
                if (name, filetype, password) in tail_only:
                    assert theirs[-len(mine):] == mine
                elif mine[:1] == [(DECODER_UNSUPPORTED,
                                   "No supported data to decode.  Input type: DER, "
                                   "Input structure: type-specific")]:
                    assert theirs[:3] == mine[:3] and theirs[-1] == mine[-1], name
                else:
                    assert mine == theirs, (name, filetype, password)
    errors.clear_error()


def test_load_certificates_bundle_and_errors(pki: PKI, files: dict[str, str]) -> None:
    errors.clear_error()
    assert load_certificates(files["chain.pem"]) == [pki.leaf, pki.ca]
    assert load_certificates(Path(files["key_then_cert.pem"])) == [pki.leaf]
    assert load_certificates(pki.ca.to_pem() + pki.leaf.to_pem()) == [pki.ca, pki.leaf]
    assert queue() == []
    assert load_certificates(files["missing"]) is None
    assert queue() == [(SYS_ENOENT, f"calling fopen({files['missing']}, r)"),
                       (BIO_NO_SUCH_FILE, ""), (X509_SYS_LIB, "")]
    errors.clear_error()
    assert load_certificates(files["key.pem"]) is None
    assert queue() == [(X509_NO_CERT_OR_CRL, "")]
    errors.clear_error()
    assert load_certificates(files["truncated.pem"]) is None
    assert queue() == [(PEM_BAD_END_LINE, ""), (X509_PEM_LIB, "")]
    errors.clear_error()
    assert load_certificates(b"") is None
    assert queue() == [(X509_NO_CERT_OR_CRL, "")]
    errors.clear_error()


def test_check_private_key(pki: PKI, lib: LibOpenSSL, files: dict[str, str]) -> None:
    errors.clear_error()
    assert check_private_key(pki.leaf, pki.leaf_key) is True
    assert queue() == []
    assert check_private_key(pki.leaf, pki.ca_key) is False
    assert queue() == [(X509_KEY_VALUES_MISMATCH, "")]
    errors.clear_error()
    rsa_key = certgen.make_private_key("rsa2048")
    assert check_private_key(pki.leaf, rsa_key) is False
    assert queue() == [(EVP_DIFFERENT_KEY_TYPES, ""), (X509_KEY_TYPE_MISMATCH, "")]
    errors.clear_error()
    assert check_private_key(None, pki.leaf_key) is False
    assert queue() == [(code(Lib.SSL, 177), "")]
    errors.clear_error()
    assert check_private_key(pki.leaf, None) is False
    assert queue() == [(code(Lib.SSL, 190), "")]
    assert [str(e) for e in errors.errors_as_list()] == [
        "error:0A0000BE:SSL routines::no private key assigned"
    ]
    errors.clear_error()
    # libssl reports the same mismatch while loading the key (ssl_set_pkey).
    with lib.ctx() as ctx:
        assert lib.cert_file(ctx, files["leaf.pem"].encode(), 1) == 1
        assert lib.key_file(ctx, files["other_key.pem"].encode(), 1) == 0
        assert lib.drain() == [(X509_KEY_VALUES_MISMATCH, "")]


# ============================================================================ the store


def test_store_locations(pki: PKI, files: dict[str, str], tmp_path: Path) -> None:
    errors.clear_error()
    store = CertStore()
    assert store.load_locations(None, None) == 0 and queue() == []
    assert store.load_locations(files["missing"]) == 0
    assert [c for c, _ in queue()] == [SYS_ENOENT, BIO_NO_SUCH_FILE, X509_SYS_LIB]
    errors.clear_error()
    assert store.load_locations(files["text"]) == 0
    assert queue() == [(X509_NO_CERT_OR_CRL, "")]
    errors.clear_error()
    assert store.load_locations(capath=str(tmp_path / "nowhere")) == 1  # looked up lazily
    assert store.load_locations(files["chain.pem"]) == 1
    assert store.add_cert(pki.ca) == 1  # duplicates are kept once
    assert store.certs == [pki.leaf, pki.ca]
    assert queue() == []


def test_store_capath_hash_directory(pki: PKI, tmp_path: Path) -> None:
    capath = tmp_path / "certs"
    capath.mkdir()
    (capath / f"{pki.ca.get_subject_name().hash():08x}.0").write_bytes(pki.ca.to_pem())
    (capath / "unrelated.pem").write_bytes(pki.inter.to_pem())
    leaf_path = write_pem(tmp_path / "leaf.pem", pki.leaf)
    proc = run_openssl("verify", "-CApath", str(capath), leaf_path)
    assert proc.returncode == 0, proc.stderr
    store = CertStore()
    assert store.load_locations(capath=capath) == 1
    assert store.certs == []
    res = verify_chain(pki.leaf, [], store, now=NOW, hostname="localhost")
    assert (res.ok, res.result, res.chain) == (True, 0, [pki.leaf, pki.ca])
    # Only <hash>.<n> files are consulted, like by_dir.
    res = verify_chain(pki.leaf2, [], store, now=NOW)
    assert (res.ok, res.result) == (False, verify.X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY)


def test_store_default_paths() -> None:
    store = CertStore()
    errors.clear_error()
    assert store.load_default_paths() == 1
    assert queue() == []


# ============================================================================ verification

CLI_OVERRIDES = frozenset({10, 18, 79, 37, 25, 12, 11, 34, 26})  # apps/verify.c's cb()


def openssl_verify(
    tmp: Path,
    leaf: X509,
    untrusted: Sequence[X509],
    trusted: Sequence[X509],
    *,
    now: dt.datetime | None = None,
    hostname: str | None = None,
    ip: str | None = None,
    email: str | None = None,
    purpose: str | None = None,
    depth: int | None = None,
    partial: bool = False,
) -> tuple[bool, list[tuple[int, int]]]:
    """Run ``openssl verify``: (verified?, [(error, depth) for each error line])."""
    args = ["verify", "-no-CApath", "-no-CAstore"]
    if trusted:
        args += ["-CAfile", write_pem(tmp / "trusted.pem", *trusted)]
    else:
        args += ["-no-CAfile"]
    if untrusted:
        args += ["-untrusted", write_pem(tmp / "untrusted.pem", *untrusted)]
    if now is not None:
        args += ["-attime", str(int(now.timestamp()))]
    if hostname is not None:
        args += ["-verify_hostname", hostname]
    if ip is not None:
        args += ["-verify_ip", ip]
    if email is not None:
        args += ["-verify_email", email]
    if purpose is not None:
        args += ["-purpose", {"server": "sslserver", "client": "sslclient"}[purpose]]
    if depth is not None:
        args += ["-verify_depth", str(depth)]
    if partial:
        args.append("-partial_chain")
    proc = run_openssl(*args, write_pem(tmp / "leaf.pem", leaf))
    found = re.findall(r"error (\d+) at (\d+) depth lookup", proc.stderr)
    verified = proc.returncode == 0 and proc.stdout.strip().endswith(": OK")
    return verified, [(int(e), int(d)) for e, d in found]


def biokit_verify(
    leaf: X509,
    untrusted: Sequence[X509],
    trusted: Sequence[X509],
    *,
    now: dt.datetime = NOW,
    override: Any = None,
    purpose: str | None = None,
    partial: bool = False,
    **kw: Any,
) -> tuple[verify.VerifyResult, list[tuple[bool, int, int, X509 | None]]]:
    log: list[tuple[bool, int, int, X509 | None]] = []

    def cb(ok: bool, ctx: StoreContext) -> bool:
        log.append((ok, ctx.get_error(), ctx.get_error_depth(), ctx.get_current_cert()))
        return ok or override == "all" or (override is not None and ctx.get_error() in override)

    res = verify_chain(
        leaf, untrusted, CertStore(trusted), now=now, purpose=purpose,  # type: ignore[arg-type]
        flags=verify.X509_V_FLAG_PARTIAL_CHAIN if partial else 0, callback=cb, **kw,
    )
    return res, log


def CASES(p: PKI) -> list[tuple[str, X509, list[X509], list[X509], dict[str, Any], int]]:
    """(name, leaf, untrusted, trusted, options, the error X509_verify_cert ends with)."""
    later = p.leaf.get_not_after() + dt.timedelta(days=1)
    earlier = p.leaf.get_not_before() - dt.timedelta(days=1)
    return [
        ("ok", p.leaf, [], [p.ca], {"purpose": "server", "hostname": "localhost"}, 0),
        ("ok-chain", p.leaf2, [p.inter], [p.ca], {"purpose": "server"}, 0),
        ("ok-ip", p.leaf, [], [p.ca], {"ip": "127.0.0.1"}, 0),
        ("ok-self-signed-trusted", p.self_signed, [], [p.self_signed], {"purpose": "server"}, 0),
        ("ok-client", p.client, [], [p.ca], {"purpose": "client"}, 0),
        ("ok-partial", p.leaf2, [], [p.inter], {"partial": True}, 0),
        ("18-self-signed-leaf", p.self_signed, [], [], {}, 18),
        ("19-untrusted-root-sent", p.leaf, [p.ca], [], {}, 19),
        ("20-issuer-missing", p.leaf2, [p.inter], [], {}, 20),
        ("20-lone-leaf", p.leaf, [], [], {}, 20),
        ("20-akid-mismatch", p.leaf, [], [make_ca()[0]], {}, 20),
        ("2-store-intermediate-only", p.leaf2, [], [p.inter], {}, 2),
        ("7-signature-leaf", p.leaf, [], [p.impostor], {}, 7),
        ("7-signature-intermediate", p.leaf2, [p.inter], [p.impostor], {}, 7),
        ("9-not-yet-valid", p.leaf, [], [p.ca], {"now": earlier}, 9),
        ("10-expired", p.leaf, [], [p.ca], {"now": later}, 10),
        ("10-expired-at-notAfter", p.leaf, [], [p.ca], {"now": p.leaf.get_not_after()}, 10),
        ("ok-at-notBefore", p.leaf, [], [p.ca], {"now": p.leaf.get_not_before()}, 0),
        ("22-too-long", p.leaf2, [p.inter], [p.ca], {"depth": 0}, 22),
        ("ok-depth-1", p.leaf2, [p.inter], [p.ca], {"depth": 1}, 0),
        ("25-path-length", p.p0_leaf, [p.p0_sub, p.p0], [p.ca], {}, 25),
        ("26-eku", p.codesign, [], [p.ca], {"purpose": "server"}, 26),
        ("26-server-as-client", p.leaf, [], [p.ca], {"purpose": "client"}, 26),
        ("79-ca-false-issuer", p.under_not_ca, [p.not_ca], [p.ca], {}, 79),
        ("34-unhandled-critical", p.critical, [], [p.ca], {}, 34),
        ("62-hostname", p.leaf, [], [p.ca], {"hostname": "example.com"}, 62),
        ("63-email", p.leaf, [], [p.ca], {"email": "a@example.com"}, 63),
        ("64-ip", p.leaf, [], [p.ca], {"ip": "10.1.2.3"}, 64),
    ]


def test_verify_error_codes_match_openssl_verify_cli(pki: PKI, tmp_path: Path) -> None:
    for name, leaf, untrusted, trusted, opts, expected in CASES(pki):
        opts = dict(opts)
        opts.setdefault("now", NOW)
        cli_ok, cli_errors = openssl_verify(tmp_path, leaf, untrusted, trusted, **opts)
        # Without a callback the first failure stops, with the CLI's error number.
        res = verify_chain(
            leaf, untrusted, CertStore(trusted),
            flags=verify.X509_V_FLAG_PARTIAL_CHAIN if opts.pop("partial", False) else 0,
            **{"purpose": None, **opts},
        )
        assert res.result == expected, name
        assert res.ok == (expected == 0), name
        if expected:
            assert cli_errors[0][0] == expected, (name, cli_errors)
            assert res.error_depth == cli_errors[0][1], name
        else:
            assert cli_ok and cli_errors == [], name


def test_verify_callback_sequence_matches_openssl_verify_cli(pki: PKI, tmp_path: Path) -> None:
    """With apps/verify.c's callback (which lets some errors pass) the whole list of
    error lines must match, and so must the verdict."""
    for name, leaf, untrusted, trusted, opts, _expected in CASES(pki):
        opts = dict(opts)
        opts.setdefault("now", NOW)
        cli_ok, cli_errors = openssl_verify(tmp_path, leaf, untrusted, trusted, **opts)
        res, log = biokit_verify(leaf, untrusted, trusted, override=CLI_OVERRIDES, **opts)
        failures = [(err, depth) for ok, err, depth, _ in log if not ok]
        assert failures == cli_errors, name
        assert (res.ok and res.result == 0) == cli_ok, name


def test_verify_callbacks_match_libcrypto(pki: PKI, lib: LibOpenSSL) -> None:
    """Every callback call -- ok flag, error, depth, current certificate -- and the final
    chain, for callbacks that override nothing, the CLI's set, and everything."""
    for name, leaf, untrusted, trusted, opts, _expected in CASES(pki):
        opts = dict(opts)
        opts.setdefault("now", NOW)
        partial = opts.pop("partial", False)
        flags = verify.X509_V_FLAG_PARTIAL_CHAIN if partial else 0
        for override in (None, CLI_OVERRIDES, "all"):
            ok, err, log, chain = lib.verify(leaf, untrusted, trusted, flags=flags,
                                             override=override, **opts)
            res, mine = biokit_verify(leaf, untrusted, trusted, override=override,
                                      partial=partial, **opts)
            theirs = [(o, e, d, X509.from_der(c) if c else None) for o, e, d, c in log]
            assert mine == theirs, (name, override)
            assert (res.ok, res.result) == (ok, err), (name, override)
            assert [c.to_der() for c in res.chain] == chain, (name, override)


def test_lone_leaf_overridden_reports_21_like_s_client(pki: PKI, lib: LibOpenSSL) -> None:
    res, log = biokit_verify(pki.leaf, [], [], override="all")
    assert [(ok, err, depth) for ok, err, depth, _ in log] == [
        (False, 20, 0), (False, 21, 0), (True, 21, 0)
    ]
    assert (res.ok, res.result, res.error_depth) == (True, 21, 0)
    ok, err, theirs, _ = lib.verify(pki.leaf, [], [], now=NOW, override="all")
    assert (ok, err) == (True, 21)
    assert [(o, e, d) for o, e, d, _ in theirs] == [(False, 20, 0), (False, 21, 0), (True, 21, 0)]


# ---------------------------------------------------------------------- callback contract


def test_callback_sees_every_depth_top_down(pki: PKI) -> None:
    seen: list[tuple[bool, int, X509 | None, X509 | None, int]] = []

    def cb(ok: bool, ctx: StoreContext) -> bool:
        seen.append((ok, ctx.get_error_depth(), ctx.get_current_cert(),
                     ctx.get_current_issuer(), len(ctx.get_chain())))
        assert ctx.get0_cert() == pki.leaf2
        assert ctx.ssl == "the SSL object"
        return ok

    res = verify_chain(pki.leaf2, [pki.inter], CertStore([pki.ca]), now=NOW, callback=cb,
                       hostname="localhost", ssl="the SSL object")
    assert seen == [
        (True, 2, pki.ca, pki.ca, 3),
        (True, 1, pki.inter, pki.ca, 3),
        (True, 0, pki.leaf2, pki.inter, 3),
    ]
    assert (res.ok, res.result, res.chain, res.num_untrusted) == (
        True, 0, [pki.leaf2, pki.inter, pki.ca], 2
    )
    assert res.error_string == "ok"


def test_overriding_a_failure_keeps_the_error(pki: PKI) -> None:
    later = pki.leaf.get_not_after() + dt.timedelta(days=1)
    res, log = biokit_verify(pki.leaf, [], [pki.ca], now=later, override={10})
    assert (res.ok, res.result, res.error_depth) == (True, 10, 0)
    assert res.error_string == "certificate has expired"
    # Later depths see ok=True, with the sticky error still set.
    assert [(ok, err, d) for ok, err, d, _ in log] == [
        (False, 10, 1), (True, 10, 1), (False, 10, 0), (True, 10, 0)
    ]


def test_returning_false_stops_at_that_error(pki: PKI) -> None:
    calls: list[tuple[bool, int, int]] = []

    def cb(ok: bool, ctx: StoreContext) -> bool:
        calls.append((ok, ctx.get_error(), ctx.get_error_depth()))
        return ctx.get_error() != verify.X509_V_ERR_HOSTNAME_MISMATCH

    res = verify_chain(pki.leaf, [], CertStore([pki.ca]), now=NOW, hostname="example.com",
                       callback=cb)
    assert calls == [(False, 62, 0)]
    assert (res.ok, res.result, res.error_depth) == (False, 62, 0)


def test_without_callback_first_error_stops(pki: PKI) -> None:
    later = pki.leaf.get_not_after() + dt.timedelta(days=1)
    res = verify_chain(pki.leaf, [], CertStore([pki.ca]), now=later, hostname="example.com")
    # Host name checking (check_id) comes before validity (internal_verify).
    assert (res.ok, res.result, res.error_depth) == (False, 62, 0)


def test_callback_may_clear_the_error_and_may_veto_success(pki: PKI) -> None:
    def forgive(ok: bool, ctx: StoreContext) -> bool:
        if not ok:
            ctx.set_error(verify.X509_V_OK)
        return True

    res = verify_chain(pki.leaf, [], CertStore(), now=NOW, callback=forgive)
    assert (res.ok, res.result) == (True, 0)

    def veto(ok: bool, ctx: StoreContext) -> bool:
        return ctx.get_error_depth() != 0

    res = verify_chain(pki.leaf, [], CertStore([pki.ca]), now=NOW, callback=veto)
    # A refusal on a success call still must not read as X509_V_OK (the safety net).
    assert (res.ok, res.result) == (False, verify.X509_V_ERR_UNSPECIFIED)


def test_naive_now_is_utc_and_host_or_ip(pki: PKI) -> None:
    res = verify_chain(pki.leaf, [], CertStore([pki.ca]), now=NOW.replace(tzinfo=None))
    assert res.ok
    assert verify.host_or_ip("localhost") == ("localhost", None)
    assert verify.host_or_ip("127.0.0.1") == (None, "127.0.0.1")
    assert verify.host_or_ip("::1") == (None, "::1")
    host, ip = verify.host_or_ip("127.0.0.1")
    res = verify_chain(pki.leaf, [], CertStore([pki.ca]), now=NOW, hostname=host, ip=ip)
    assert (res.ok, res.result) == (True, 0)


def test_cryptography_has_the_last_word(pki: PKI, lib: LibOpenSSL) -> None:
    """OpenSSL accepts a host name found only in the CN; cryptography (RFC 6125, no CN
    fallback) does not, and its refusal is reported as a host name mismatch."""
    ok, err, _, _ = lib.verify(pki.cn_only, [], [pki.ca], now=NOW, hostname="www.example.com")
    assert (ok, err) == (True, 0)
    res, log = biokit_verify(pki.cn_only, [], [pki.ca], hostname="www.example.com",
                             override="all")
    assert (res.ok, res.result, res.error_depth) == (True, 62, 0)
    assert [(ok, e, d) for ok, e, d, _ in log] == [(True, 0, 1), (True, 0, 0), (False, 62, 0)]
    res = verify_chain(pki.cn_only, [], CertStore([pki.ca]), now=NOW, hostname="www.example.com")
    assert (res.ok, res.result) == (False, 62)


# ============================================================================ certgen


@pytest.mark.parametrize("kind", certgen.KEY_KINDS)
def test_certgen_kinds_verify_with_openssl(kind: str, tmp_path: Path) -> None:
    pki = ThrowawayPKI(kind)
    paths = pki.write(tmp_path)
    assert set(paths) == {"ca.pem", "server.pem", "server.key", "client.pem", "client.key",
                          "chain.pem"}
    proc = run_openssl("verify", "-CAfile", paths["ca.pem"], "-purpose", "sslserver",
                       "-verify_hostname", "localhost", "-verify_ip", "127.0.0.1",
                       paths["server.pem"])
    assert proc.returncode == 0, proc.stderr
    proc = run_openssl("verify", "-CAfile", paths["ca.pem"], "-purpose", "sslclient",
                       paths["client.pem"])
    assert proc.returncode == 0, proc.stderr
    errors.clear_error()
    chain = load_certificate_chain_file(paths["chain.pem"])
    assert chain == pki.chain
    key = load_private_key_file(paths["server.key"], SSL_FILETYPE_PEM)
    assert check_private_key(chain[0], key)
    assert check_private_key(pki.client[0], load_private_key_file(paths["client.key"]))
    store = CertStore()
    assert store.load_locations(paths["ca.pem"]) == 1
    res = verify_chain(chain[0], chain[1:], store, now=NOW, hostname="localhost")
    assert (res.ok, res.result) == (True, 0)
    res = verify_chain(pki.client[0], [], store, now=NOW, purpose="client")
    assert (res.ok, res.result) == (True, 0)
    signature = pki.server[0].to_cryptography().signature_algorithm_oid
    assert (signature == SignatureAlgorithmOID.RSASSA_PSS) == (kind == "rsa-pss")
    assert queue() == []


def test_certgen_shapes() -> None:
    ca, ca_key = make_ca(path_length=1)
    bc = ca.to_cryptography().extensions.get_extension_for_class(cx509.BasicConstraints)
    assert bc.critical and bc.value.ca and bc.value.path_length == 1
    start = NOW - dt.timedelta(days=3)
    end = NOW - dt.timedelta(days=2)
    cert, _ = issue_cert(ca, ca_key, "x", not_before=start, not_after=end, dns=(), ips=(),
                         eku=[])
    assert (cert.get_not_before(), cert.get_not_after()) == (start, end)
    assert cert.subject_alt_names() == []
    with pytest.raises(cx509.ExtensionNotFound):
        cert.to_cryptography().extensions.get_extension_for_class(cx509.ExtendedKeyUsage)
    with pytest.raises(ValueError):
        certgen.make_private_key("dsa1024")
    pem = certgen.private_key_to_pem(ca_key, b"pw")
    assert b"ENCRYPTED PRIVATE KEY" in pem
    assert certgen.cert_to_pem(ca) == ca.to_pem()
    leaf, _ = make_self_signed()
    assert leaf.get_subject_name().oneline() == "CN = localhost, O = biokit"
    assert leaf.get_issuer_name().legacy_oneline() == "/CN=localhost/O=biokit"


def test_self_signed_is_its_own_anchor_for_openssl(tmp_path: Path) -> None:
    cert, _ = make_self_signed()
    path = write_pem(tmp_path / "self.pem", cert)
    proc = run_openssl("verify", "-CAfile", path, "-purpose", "sslserver",
                       "-verify_hostname", "localhost", path)
    assert proc.returncode == 0, proc.stderr


def _handshake(client: ssl.SSLObject, server: ssl.SSLObject, cin: ssl.MemoryBIO,
               cout: ssl.MemoryBIO, sin: ssl.MemoryBIO, sout: ssl.MemoryBIO) -> None:
    done = {"c": False, "s": False}
    for _ in range(20):
        for side, obj in (("c", client), ("s", server)):
            if not done[side]:
                try:
                    obj.do_handshake()
                    done[side] = True
                except ssl.SSLWantReadError:
                    pass
        if cout.pending:
            sin.write(cout.read())
        if sout.pending:
            cin.write(sout.read())
        if all(done.values()) and not cout.pending and not sout.pending:
            return
    raise AssertionError("handshake did not finish in 20 rounds")


@pytest.mark.parametrize(("kind", "intermediate"),
                         [("ec256", False), ("rsa2048", True), ("ed25519", False)])
def test_python_ssl_handshake_with_certgen(kind: str, intermediate: bool, tmp_path: Path) -> None:
    pki = ThrowawayPKI(kind, intermediate=intermediate)
    paths = pki.write(tmp_path)
    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sctx.load_cert_chain(paths["server.pem"], paths["server.key"])
    sctx.load_verify_locations(paths["ca.pem"])
    sctx.verify_mode = ssl.CERT_REQUIRED
    cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    cctx.load_verify_locations(paths["ca.pem"])
    cctx.load_cert_chain(paths["client.pem"], paths["client.key"])
    cin, cout, sin, sout = (ssl.MemoryBIO() for _ in range(4))
    client = cctx.wrap_bio(cin, cout, server_hostname="localhost")
    server = sctx.wrap_bio(sin, sout, server_side=True)
    _handshake(client, server, cin, cout, sin, sout)
    assert X509.from_der(client.getpeercert(binary_form=True) or b"") == pki.server[0]
    assert X509.from_der(server.getpeercert(binary_form=True) or b"") == pki.client[0]
    client.write(b"ping")
    sin.write(cout.read())
    assert server.read(4) == b"ping"


def test_python_ssl_trusts_self_signed(tmp_path: Path) -> None:
    cert, key = make_self_signed(kind="ec384")
    cert_path = write_pem(tmp_path / "cert.pem", cert)
    key_path = tmp_path / "key.pem"
    key_path.write_bytes(certgen.private_key_to_pem(key))
    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sctx.load_cert_chain(cert_path, str(key_path))
    cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    cctx.load_verify_locations(cert_path)
    cin, cout, sin, sout = (ssl.MemoryBIO() for _ in range(4))
    client = cctx.wrap_bio(cin, cout, server_hostname="localhost")
    server = sctx.wrap_bio(sin, sout, server_side=True)
    _handshake(client, server, cin, cout, sin, sout)
    assert client.version() == "TLSv1.3"
    # The wrong name is refused by Python's ssl, as by verify_chain.
    cin, cout, sin, sout = (ssl.MemoryBIO() for _ in range(4))
    client = cctx.wrap_bio(cin, cout, server_hostname="example.com")
    server = sctx.wrap_bio(sin, sout, server_side=True)
    with pytest.raises(ssl.SSLCertVerificationError) as info:
        _handshake(client, server, cin, cout, sin, sout)
    assert info.value.verify_code == verify.X509_V_ERR_HOSTNAME_MISMATCH
    res = verify_chain(cert, [], CertStore([cert]), now=NOW, hostname="example.com")
    assert res.result == info.value.verify_code


def test_module_boundaries() -> None:
    """Only verify.py imports cryptography.x509.verification; nothing imports biokit.bio."""
    root = Path(verify.__file__).parent
    for name in ("x509.py", "verify.py", "certgen.py"):
        text = (root / name).read_text()
        assert "biokit.bio" not in text, name
        assert ("x509.verification" in text or "x509 import verification" in text) == (
            name == "verify.py"
        ), name


def test_sanity_openssl_cli_is_3_0() -> None:
    out = run_openssl("version").stdout
    assert out.startswith("OpenSSL 3.0."), out
    assert os.path.exists(OPENSSL)
