"""SSLContext (SSL_CTX): configuration shared by many connections.

Everything here is configuration: certificates and keys, the CA store and
verification mode, protocol versions, cipher suites, groups, signature
algorithms, ALPN, and the callbacks.  An ``SSL`` copies what it needs when it
is created (as SSL_new does) and reads the rest from its context at handshake
time, so ``SSL.set_SSL_CTX`` (used by servername callbacks) switches
certificates for the running handshake.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from biokit.errors import Lib, SSLReason, put_error
from biokit.ssl.consts import (
    FILETYPE_PEM,
    Mode,
    Op,
    Verify,
    Version,
)
from biokit.ssl.tls import kx as kxnames
from biokit.ssl.tls import signatures, suites
from biokit.ssl.tls.config import CertKey
from biokit.ssl.x509 import (
    X509,
    check_private_key,
    load_certificate_chain_file,
    load_certificate_file,
    load_private_key_file,
)

if TYPE_CHECKING:
    from biokit.ssl.ssl import SSL
    from biokit.ssl.verify import CertStore, StoreContext

__all__ = [
    "OptionsAndModes",
    "SSLContext",
    "SSLMethod",
    "TLS_client_method",
    "TLS_method",
    "TLS_server_method",
]


@dataclass(frozen=True, slots=True)
class SSLMethod:
    """An SSL_METHOD: which roles a context may take (TLS_method and friends)."""

    name: str
    client: bool
    server: bool


_TLS_METHOD = SSLMethod("TLS_method", True, True)
_TLS_SERVER_METHOD = SSLMethod("TLS_server_method", False, True)
_TLS_CLIENT_METHOD = SSLMethod("TLS_client_method", True, False)


def TLS_method() -> SSLMethod:
    """TLS_method: a version-flexible method for both roles."""
    return _TLS_METHOD


def TLS_server_method() -> SSLMethod:
    """TLS_server_method: a version-flexible server-only method."""
    return _TLS_SERVER_METHOD


def TLS_client_method() -> SSLMethod:
    """TLS_client_method: a version-flexible client-only method."""
    return _TLS_CLIENT_METHOD


VerifyCallback = Callable[[bool, "StoreContext"], bool | int]
InfoCallback = Callable[["SSL", int, int], None]
# C's argument order: (write_p, version, content_type, buf, ssl).
MsgCallback = Callable[[int, int, int, bytes, "SSL"], None]
KeylogCallback = Callable[["SSL", str], None]
ServernameCallback = Callable[["SSL", Any], "int | tuple[int, int]"]
AlpnSelectCallback = Callable[["SSL", list[bytes]], "bytes | int | None"]
ClientHelloCallback = Callable[["SSL", Any], "int | tuple[int, int]"]
ClientCertCallback = Callable[["SSL"], "tuple[X509, Any] | int | None"]
NewSessionCallback = Callable[["SSL", Any], Any]


def _encode_alpn(protos: Sequence[bytes | str] | bytes) -> list[bytes] | None:
    """ALPN list from a Python list, or from OpenSSL's wire format (length-prefixed)."""
    if isinstance(protos, (bytes, bytearray)):
        out: list[bytes] = []
        data = bytes(protos)
        i = 0
        while i < len(data):
            n = data[i]
            if n == 0 or i + 1 + n > len(data):
                return None
            out.append(data[i + 1 : i + 1 + n])
            i += 1 + n
        return out
    result = []
    for p in protos:
        b = p.encode() if isinstance(p, str) else bytes(p)
        if not 0 < len(b) < 256:
            return None
        result.append(b)
    return result


class OptionsAndModes:
    """The option and mode bits an SSL_CTX and an SSL both carry (an SSL copies its
    context's at creation, then each has its own)."""

    options: Op
    mode: Mode

    def set_options(self, op: int) -> int:
        """SSL_CTX_set_options / SSL_set_options: OR in options; returns the new set."""
        self.options = Op(int(self.options) | op)
        return int(self.options)

    def clear_options(self, op: int) -> int:
        """SSL_CTX_clear_options / SSL_clear_options; returns the new set."""
        self.options = Op(int(self.options) & ~op)
        return int(self.options)

    def get_options(self) -> int:
        """SSL_CTX_get_options / SSL_get_options."""
        return int(self.options)

    def set_mode(self, mode: int) -> int:
        """SSL_CTX_set_mode / SSL_set_mode: OR in modes; returns the new set."""
        self.mode = Mode(int(self.mode) | mode)
        return int(self.mode)

    def clear_mode(self, mode: int) -> int:
        """SSL_CTX_clear_mode / SSL_clear_mode; returns the new set."""
        self.mode = Mode(int(self.mode) & ~mode)
        return int(self.mode)

    def get_mode(self) -> int:
        """SSL_CTX_get_mode / SSL_get_mode."""
        return int(self.mode)


class SSLContext(OptionsAndModes):
    """An SSL_CTX: shared configuration for connections (SSL_CTX_new)."""

    def __init__(self, method: SSLMethod | None = None) -> None:
        self.method = method if method is not None else _TLS_METHOD
        # OpenSSL 3 defaults: middlebox compatibility on, AUTO_RETRY on.
        self.options = Op.ENABLE_MIDDLEBOX_COMPAT | Op.NO_COMPRESSION
        self.mode = Mode.AUTO_RETRY
        self.min_proto_version = 0
        self.max_proto_version = 0
        self.suites13 = suites.parse_ciphersuites(suites.DEFAULT_TLS13_CIPHERSUITES) or []
        self.suites12 = suites.parse_cipher_list("DEFAULT") or []
        self.groups: list[int] = list(kxnames.DEFAULT_GROUPS)
        self.sigalgs: list[int] = list(signatures.DEFAULT_SIGALGS)
        self.certs: list[CertKey] = []
        self._pending_chain: list[X509] | None = None
        self._pending_key: Any = None
        self._cert_store: CertStore | None = None
        self.verify_mode = Verify.NONE
        self.verify_depth = -1
        self.verify_callback: VerifyCallback | None = None
        self.alpn_protos: list[bytes] = []
        self.alpn_select_cb: AlpnSelectCallback | None = None
        self.servername_cb: ServernameCallback | None = None
        self.servername_arg: Any = None
        self.client_hello_cb: ClientHelloCallback | None = None
        self.client_hello_arg: Any = None
        self.info_callback: InfoCallback | None = None
        self.msg_callback: MsgCallback | None = None
        self.keylog_callback: KeylogCallback | None = None
        self.client_cert_cb: ClientCertCallback | None = None
        self.new_session_cb: NewSessionCallback | None = None
        self.num_tickets = 2
        self.read_ahead = False
        self.client_ca_list: list[X509] = []
        self.ticket_key = os.urandom(32)
        self.block_padding = 0
        self.max_send_fragment = 16384
        # biokit extension (no OpenSSL equivalent): coalesce a flight's handshake
        # messages into as few records as possible, as rustls and Go do.
        self.coalesce_handshake = False
        self.cookie_generate_cb: Callable[[SSL], bytes] | None = None
        self.cookie_verify_cb: Callable[[SSL, bytes], bool | int] | None = None
        self.app_data: Any = None

    # ------------------------------------------------------------ certificates

    def use_certificate_chain_file(self, path: str) -> int:
        """SSL_CTX_use_certificate_chain_file: leaf then intermediates, PEM."""
        chain = load_certificate_chain_file(path)
        if chain is None:
            return 0
        return self.use_certificate_chain(chain)

    def use_certificate_file(self, path: str, filetype: int = FILETYPE_PEM) -> int:
        """SSL_CTX_use_certificate_file: just the leaf."""
        cert = load_certificate_file(path, filetype)
        if cert is None:
            return 0
        return self.use_certificate_chain([cert])

    def use_certificate(self, cert: X509) -> int:
        """SSL_CTX_use_certificate."""
        return self.use_certificate_chain([cert])

    def use_certificate_chain(self, chain: Sequence[X509]) -> int:
        """Install a chain (leaf first); pairs with a key loaded before or after."""
        self._pending_chain = list(chain)
        return self._commit_cert()

    def add_extra_chain_cert(self, cert: X509) -> int:
        """SSL_CTX_add_extra_chain_cert: append an intermediate to the current chain."""
        if self._pending_chain is None:
            return 0
        self._pending_chain.append(cert)
        return self._commit_cert()

    def use_PrivateKey_file(self, path: str, filetype: int = FILETYPE_PEM) -> int:
        """SSL_CTX_use_PrivateKey_file."""
        key = load_private_key_file(path, filetype)
        if key is None:
            return 0
        return self.use_PrivateKey(key)

    def use_PrivateKey(self, key: Any) -> int:
        """SSL_CTX_use_PrivateKey: a ``cryptography`` private key."""
        self._pending_key = key
        return self._commit_cert()

    def _commit_cert(self) -> int:
        chain, key = self._pending_chain, self._pending_key
        if chain is None or key is None:
            return 1
        if not check_private_key(chain[0], key):
            # OpenSSL refuses a key that does not match the certificate.
            put_error(Lib.SSL, SSLReason.PRIVATE_KEY_MISMATCH, depth=2)
            self._pending_key = None
            return 0
        kind = _key_kind(key)
        self.certs = [ck for ck in self.certs if ck.extra.get("kind") != kind]
        self.certs.append(
            CertKey(
                [c.to_der() for c in chain],
                key,
                {"kind": kind, "x509": list(chain), "rsa_pss": _is_rsa_pss(chain[0])},
            )
        )
        self._pending_chain = None
        self._pending_key = None
        return 1

    def check_private_key(self) -> int:
        """SSL_CTX_check_private_key: 1 if a certificate and its key are installed."""
        if not self.certs:
            put_error(Lib.SSL, SSLReason.NO_CERTIFICATE_ASSIGNED)
            return 0
        return 1

    def get0_certificate(self) -> X509 | None:
        """SSL_CTX_get0_certificate: the leaf of the last installed chain."""
        if not self.certs:
            return None
        x: list[X509] = self.certs[-1].extra["x509"]
        return x[0]

    # ------------------------------------------------------------ verification

    @property
    def cert_store(self) -> CertStore:
        """The X509_STORE of trusted certificates (created on first use)."""
        if self._cert_store is None:
            from biokit.ssl.verify import CertStore

            self._cert_store = CertStore()
        return self._cert_store

    def load_verify_locations(self, cafile: str | None, capath: str | None = None) -> int:
        """SSL_CTX_load_verify_locations."""
        return self.cert_store.load_locations(cafile, capath)

    def set_default_verify_paths(self) -> int:
        """SSL_CTX_set_default_verify_paths."""
        return self.cert_store.load_default_paths()

    def set_verify(self, mode: int, callback: VerifyCallback | None = None) -> None:
        """SSL_CTX_set_verify: verification mode and optional callback."""
        self.verify_mode = Verify(mode)
        self.verify_callback = callback

    def get_verify_mode(self) -> int:
        """SSL_CTX_get_verify_mode."""
        return int(self.verify_mode)

    def set_verify_depth(self, depth: int) -> None:
        """SSL_CTX_set_verify_depth."""
        self.verify_depth = depth

    def get_cert_store(self) -> CertStore:
        """SSL_CTX_get_cert_store."""
        return self.cert_store

    def set_client_CA_list(self, cas: Sequence[X509]) -> None:
        """SSL_CTX_set_client_CA_list: names sent in CertificateRequest."""
        self.client_ca_list = list(cas)

    def add_client_CA(self, ca: X509) -> int:
        """SSL_CTX_add_client_CA."""
        self.client_ca_list.append(ca)
        return 1

    # ------------------------------------------------------------ options

    def set_min_proto_version(self, version: int) -> int:
        """SSL_CTX_set_min_proto_version (0 = lowest supported)."""
        if version not in (0, *iter(Version)):
            return 0
        self.min_proto_version = version
        return 1

    def set_max_proto_version(self, version: int) -> int:
        """SSL_CTX_set_max_proto_version (0 = highest supported)."""
        if version not in (0, *iter(Version)):
            return 0
        self.max_proto_version = version
        return 1

    def get_min_proto_version(self) -> int:
        """SSL_CTX_get_min_proto_version."""
        return self.min_proto_version

    def get_max_proto_version(self) -> int:
        """SSL_CTX_get_max_proto_version."""
        return self.max_proto_version

    def set_ciphersuites(self, text: str) -> int:
        """SSL_CTX_set_ciphersuites: the TLS 1.3 suites, colon-separated."""
        parsed = suites.parse_ciphersuites(text)
        if parsed is None:
            put_error(Lib.SSL, SSLReason.NO_CIPHER_MATCH)
            return 0
        self.suites13 = parsed
        return 1

    def set_cipher_list(self, text: str) -> int:
        """SSL_CTX_set_cipher_list: the TLS 1.2 suites (OpenSSL cipher-string syntax)."""
        parsed = suites.parse_cipher_list(text)
        if not parsed:
            put_error(Lib.SSL, SSLReason.NO_CIPHER_MATCH)
            return 0
        self.suites12 = parsed
        return 1

    def set1_groups_list(self, text: str) -> int:
        """SSL_CTX_set1_groups_list: e.g. ``"X25519:P-256"``."""
        groups = kxnames.parse_groups_list(text)
        if not groups:
            return 0
        self.groups = groups
        return 1

    set1_curves_list = set1_groups_list

    def set1_sigalgs_list(self, text: str) -> int:
        """SSL_CTX_set1_sigalgs_list: e.g. ``"ECDSA+SHA256:rsa_pss_rsae_sha256"``."""
        algs = signatures.parse_sigalgs_list(text)
        if not algs:
            return 0
        self.sigalgs = list(algs)
        return 1

    def set_alpn_protos(self, protos: Sequence[bytes | str] | bytes) -> int:
        """SSL_CTX_set_alpn_protos: note OpenSSL's inverted result, 0 means success."""
        parsed = _encode_alpn(protos)
        if parsed is None:
            return 1
        self.alpn_protos = parsed
        return 0

    def set_alpn_select_cb(self, cb: AlpnSelectCallback | None) -> None:
        """SSL_CTX_set_alpn_select_cb: ``cb(ssl, offered) -> protocol | SSL_TLSEXT_ERR_*``."""
        self.alpn_select_cb = cb

    def set_tlsext_servername_callback(self, cb: ServernameCallback | None) -> None:
        """SSL_CTX_set_tlsext_servername_callback: ``cb(ssl, arg) -> SSL_TLSEXT_ERR_*``."""
        self.servername_cb = cb

    def set_tlsext_servername_arg(self, arg: Any) -> None:
        """SSL_CTX_set_tlsext_servername_arg."""
        self.servername_arg = arg

    def set_client_hello_cb(self, cb: ClientHelloCallback | None, arg: Any = None) -> None:
        """SSL_CTX_set_client_hello_cb: ``cb(ssl, arg) -> 1 / 0 / -1 (retry)``."""
        self.client_hello_cb = cb
        self.client_hello_arg = arg

    def set_info_callback(self, cb: InfoCallback | None) -> None:
        """SSL_CTX_set_info_callback: ``cb(ssl, where, ret)``."""
        self.info_callback = cb

    def set_msg_callback(self, cb: MsgCallback | None) -> None:
        """SSL_CTX_set_msg_callback: ``cb(write_p, version, content_type, data, ssl)``."""
        self.msg_callback = cb

    def set_keylog_callback(self, cb: KeylogCallback | None) -> None:
        """SSL_CTX_set_keylog_callback: ``cb(ssl, line)`` with NSS key log lines."""
        self.keylog_callback = cb

    def set_client_cert_cb(self, cb: ClientCertCallback | None) -> None:
        """SSL_CTX_set_client_cert_cb: ``cb(ssl) -> (X509, key) | None | -1 (retry)``."""
        self.client_cert_cb = cb

    def sess_set_new_cb(self, cb: NewSessionCallback | None) -> None:
        """SSL_CTX_sess_set_new_cb: called with each session ticket received."""
        self.new_session_cb = cb

    def set_num_tickets(self, n: int) -> int:
        """SSL_CTX_set_num_tickets: tickets a TLS 1.3 server sends (default 2)."""
        if n < 0:
            return 0
        self.num_tickets = n
        return 1

    def get_num_tickets(self) -> int:
        """SSL_CTX_get_num_tickets."""
        return self.num_tickets

    def set_max_send_fragment(self, m: int) -> int:
        """SSL_CTX_set_max_send_fragment: the largest plaintext per record sent, 512..16384."""
        if not 512 <= m <= 16384:
            return 0
        self.max_send_fragment = m
        return 1

    def set_read_ahead(self, yes: bool | int) -> None:
        """SSL_CTX_set_read_ahead: read as much as the BIO has, not record by record."""
        self.read_ahead = bool(yes)

    def set_tlsext_ticket_keys(self, keys: bytes) -> int:
        """SSL_CTX_set_tlsext_ticket_keys: the key that seals session tickets.

        OpenSSL takes 80 bytes (name, HMAC key, AES key); biokit seals with one
        AES-256-GCM key, taken as the last 32 bytes of what is given (32 or 80).
        Servers sharing it can resume each other's tickets."""
        if len(keys) not in (32, 80):
            return 0
        self.ticket_key = bytes(keys[-32:])
        return 1

    def set_stateless_cookie_generate_cb(self, cb: Callable[[SSL], bytes] | None) -> None:
        """SSL_CTX_set_stateless_cookie_generate_cb: a TLS 1.3 server then answers every
        first ClientHello with a HelloRetryRequest carrying ``cb(ssl)`` as its cookie."""
        self.cookie_generate_cb = cb

    def set_stateless_cookie_verify_cb(
        self, cb: Callable[[SSL, bytes], bool | int] | None
    ) -> None:
        """SSL_CTX_set_stateless_cookie_verify_cb: ``cb(ssl, cookie)`` accepts the echo
        (without one, the echo must equal what was sent)."""
        self.cookie_verify_cb = cb

    def set_block_padding(self, block: int) -> int:
        """SSL_CTX_set_block_padding: pad TLS 1.3 records to a multiple of ``block``."""
        if block < 0 or block > 16384:
            return 0
        self.block_padding = 0 if block == 1 else block
        return 1


def _is_rsa_pss(cert: X509) -> bool:
    """An id-RSASSA-PSS certificate key: only the rsa_pss_pss_* schemes may sign with it."""
    from cryptography.x509.oid import PublicKeyAlgorithmOID

    oid = cert.to_cryptography().public_key_algorithm_oid
    return bool(oid == PublicKeyAlgorithmOID.RSASSA_PSS)


def _key_kind(key: Any) -> str:
    from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

    if isinstance(key, rsa.RSAPrivateKey):
        return "rsa"
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return "ec"
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "ed25519"
    if isinstance(key, ed448.Ed448PrivateKey):
        return "ed448"
    return type(key).__name__
