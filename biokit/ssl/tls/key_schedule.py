"""The TLS 1.3 key schedule (RFC 8446 section 7) and the handshake transcript.

Secrets flow through three stages, each an HKDF-Extract fed by the previous
stage's ``derived`` secret::

    PSK or 0 --Extract--> early secret      -> binder key, c e traffic, e exp master
                  |
              "derived"
                  v
    (EC)DHE --Extract--> handshake secret   -> c hs traffic, s hs traffic
                  |
              "derived"
                  v
        0 --Extract--> master secret        -> c ap traffic, s ap traffic,
                                               exp master, res master

``KeySchedule13`` holds the three stage secrets and refuses to derive from a
stage that has not been reached (an engine bug, so a ``RuntimeError``).  The
functions below it turn a traffic secret into what the record layer and the
Finished / KeyUpdate / exporter / ticket code need.  OpenSSL's counterpart is
``ssl/tls13_enc.c``.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import cache
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives import hashes

from biokit.errors import SSLReason
from biokit.ssl.tls.errors import TLSError

if TYPE_CHECKING:
    from biokit.ssl.tls.suites import Suite

__all__ = [
    "KeySchedule13",
    "Transcript",
    "derive_secret",
    "empty_hash",
    "export_keying_material",
    "finished_key",
    "finished_verify_data",
    "hash_len",
    "hash_name",
    "hkdf_expand",
    "hkdf_expand_label",
    "hkdf_extract",
    "next_traffic_secret",
    "resumption_psk",
    "traffic_keys",
]

HashCls = type[hashes.HashAlgorithm]

MESSAGE_HASH = 254  # HandshakeType.message_hash


@cache
def _hash_info(hash_cls: HashCls) -> tuple[str, int]:
    h = hash_cls()
    return h.name, h.digest_size


def hash_name(hash_cls: HashCls) -> str:
    """The hashlib name of a cryptography hash class (``"sha256"``)."""
    return _hash_info(hash_cls)[0]


def hash_len(hash_cls: HashCls) -> int:
    """The digest size of a cryptography hash class."""
    return _hash_info(hash_cls)[1]


@cache
def empty_hash(hash_cls: HashCls) -> bytes:
    """Hash of the empty string (the "" transcript of Derive-Secret)."""
    return hashlib.new(hash_name(hash_cls)).digest()


def hkdf_extract(hash_cls: HashCls, salt: bytes, ikm: bytes) -> bytes:
    """HKDF-Extract (RFC 5869); an empty salt is the all-zero one, as HMAC pads keys."""
    return hmac.digest(salt, ikm, hash_name(hash_cls))


def hkdf_expand(hash_cls: HashCls, prk: bytes, info: bytes, length: int) -> bytes:
    """HKDF-Expand (RFC 5869)."""
    name, size = _hash_info(hash_cls)
    if length > 255 * size:
        raise ValueError("HKDF-Expand output too long")
    out = b""
    block = b""
    counter = 1
    while len(out) < length:
        block = hmac.digest(prk, block + info + bytes((counter,)), name)
        out += block
        counter += 1
    return out[:length]


def hkdf_expand_label(
    hash_cls: HashCls, secret: bytes, label: bytes, context: bytes, length: int
) -> bytes:
    """HKDF-Expand-Label (RFC 8446 7.1); ``label`` is given without the "tls13 " prefix."""
    full = b"tls13 " + label
    if len(full) > 255 or len(context) > 255 or length > 0xFFFF:
        raise ValueError("HKDF-Expand-Label argument too long")
    info = length.to_bytes(2, "big") + bytes((len(full),)) + full + bytes((len(context),)) + context
    return hkdf_expand(hash_cls, secret, info, length)


def derive_secret(hash_cls: HashCls, secret: bytes, label: bytes, transcript_hash: bytes) -> bytes:
    """Derive-Secret (RFC 8446 7.1), given the transcript hash rather than the messages."""
    return hkdf_expand_label(hash_cls, secret, label, transcript_hash, hash_len(hash_cls))


class Transcript:
    """The running handshake hash (OpenSSL's handshake_dgst + handshake_buffer).

    Bytes arrive before the hash is known (the ClientHello precedes the choice
    of suite), so they are buffered until ``set_hash``.  ``keep_raw`` keeps
    every byte as well, for TLS 1.2 client CertificateVerify, which signs the
    messages themselves with a hash that may differ from the PRF hash.
    """

    __slots__ = ("_buffer", "_hash", "_hash_cls", "_keep_raw", "_raw")

    def __init__(self, *, keep_raw: bool = False) -> None:
        self._buffer = bytearray()
        self._hash: hashlib._Hash | None = None
        self._hash_cls: HashCls | None = None
        self._keep_raw = keep_raw
        self._raw = bytearray()

    @property
    def hash_cls(self) -> HashCls | None:
        """The hash in use, or None while still buffering."""
        return self._hash_cls

    def update(self, data: bytes | bytearray | memoryview) -> None:
        """Add one or more whole handshake messages (header included)."""
        if self._keep_raw:
            self._raw += data
        if self._hash is None:
            self._buffer += data
        else:
            self._hash.update(data)

    def set_hash(self, hash_cls: HashCls) -> None:
        """Fix the hash (ssl3_digest_cached_records): hash what was buffered so far."""
        if self._hash is not None:
            if self._hash_cls is hash_cls:
                return
            raise RuntimeError("transcript hash already chosen")
        self._hash_cls = hash_cls
        self._hash = hashlib.new(hash_name(hash_cls))
        self._hash.update(self._buffer)
        self._buffer = bytearray()

    def digest(self) -> bytes:
        """The current transcript hash (ssl_handshake_hash); the transcript goes on."""
        if self._hash is None:
            raise RuntimeError("transcript hash not chosen yet")
        return self._hash.copy().digest()

    def digest_with(self, data: bytes | bytearray | memoryview) -> bytes:
        """The hash of the transcript followed by ``data``, without adding ``data``.

        For a PSK binder (the truncated ClientHello) and any "hash up to here"
        that must not commit the bytes yet.
        """
        if self._hash is None:
            raise RuntimeError("transcript hash not chosen yet")
        h = self._hash.copy()
        h.update(data)
        return h.digest()

    def raw(self) -> bytes:
        """Every byte added so far (only with ``keep_raw=True``)."""
        if not self._keep_raw:
            raise RuntimeError("transcript does not keep raw messages")
        return bytes(self._raw)

    def drop_raw(self) -> None:
        """Stop keeping raw bytes (ssl3_digest_cached_records with keep == 0)."""
        self._keep_raw = False
        self._raw = bytearray()

    def rewrite_for_hrr(self) -> None:
        """Replace ClientHello1 by the synthetic message_hash message (RFC 8446 4.4.1).

        Call it while the transcript holds exactly ClientHello1, with the hash
        set, before the HelloRetryRequest itself is added (create_synthetic_message_hash).
        """
        if self._hash is None or self._hash_cls is None:
            raise RuntimeError("transcript hash not chosen yet")
        ch1_hash = self._hash.digest()
        self._hash = hashlib.new(hash_name(self._hash_cls))
        synthetic = bytes((MESSAGE_HASH, 0, 0, len(ch1_hash))) + ch1_hash
        self._hash.update(synthetic)
        if self._keep_raw:
            self._raw = bytearray(synthetic)


class KeySchedule13:
    """The three-stage TLS 1.3 key schedule (tls13_generate_secret & co.)."""

    __slots__ = ("early_secret", "handshake_secret", "hash_cls", "hash_len", "master_secret")

    def __init__(self, hash_cls: HashCls, psk: bytes | None = None) -> None:
        self.hash_cls = hash_cls
        self.hash_len = hash_len(hash_cls)
        zeros = bytes(self.hash_len)
        self.early_secret: bytes = hkdf_extract(hash_cls, zeros, psk if psk is not None else zeros)
        self.handshake_secret: bytes | None = None
        self.master_secret: bytes | None = None

    def _derive(self, secret: bytes | None, label: bytes, th: bytes) -> bytes:
        if secret is None:
            raise RuntimeError(f"key schedule stage for {label.decode()!r} not reached")
        return derive_secret(self.hash_cls, secret, label, th)

    def _next_stage(self, secret: bytes) -> bytes:
        return derive_secret(self.hash_cls, secret, b"derived", empty_hash(self.hash_cls))

    # -- early secret --------------------------------------------------------------------

    def binder_key(self, resumption: bool) -> bytes:
        """The PSK binder key: "res binder" for tickets, "ext binder" for external PSKs."""
        label = b"res binder" if resumption else b"ext binder"
        return self._derive(self.early_secret, label, empty_hash(self.hash_cls))

    def client_early_traffic_secret(self, th: bytes) -> bytes:
        """client_early_traffic_secret over the ClientHello."""
        return self._derive(self.early_secret, b"c e traffic", th)

    def early_exporter_master_secret(self, th: bytes) -> bytes:
        """early_exporter_master_secret over the ClientHello."""
        return self._derive(self.early_secret, b"e exp master", th)

    # -- handshake secret ----------------------------------------------------------------

    def input_shared_secret(self, ecdhe: bytes | None) -> bytes:
        """Enter the (EC)DHE secret (None for psk_ke): returns the handshake secret."""
        ikm = ecdhe if ecdhe is not None else bytes(self.hash_len)
        salt = self._next_stage(self.early_secret)
        self.handshake_secret = hkdf_extract(self.hash_cls, salt, ikm)
        return self.handshake_secret

    def client_handshake_traffic_secret(self, th: bytes) -> bytes:
        """client_handshake_traffic_secret over ClientHello..ServerHello."""
        return self._derive(self.handshake_secret, b"c hs traffic", th)

    def server_handshake_traffic_secret(self, th: bytes) -> bytes:
        """server_handshake_traffic_secret over ClientHello..ServerHello."""
        return self._derive(self.handshake_secret, b"s hs traffic", th)

    # -- master secret -------------------------------------------------------------------

    def derive_master(self) -> bytes:
        """Move to the master secret (needs the handshake secret); returns it."""
        if self.handshake_secret is None:
            raise RuntimeError("key schedule stage for 'master' not reached")
        self.master_secret = hkdf_extract(
            self.hash_cls, self._next_stage(self.handshake_secret), bytes(self.hash_len)
        )
        return self.master_secret

    def client_application_traffic_secret_0(self, th: bytes) -> bytes:
        """client_application_traffic_secret_0 over ClientHello..server Finished."""
        return self._derive(self.master_secret, b"c ap traffic", th)

    def server_application_traffic_secret_0(self, th: bytes) -> bytes:
        """server_application_traffic_secret_0 over ClientHello..server Finished."""
        return self._derive(self.master_secret, b"s ap traffic", th)

    def exporter_master_secret(self, th: bytes) -> bytes:
        """exporter_master_secret over ClientHello..server Finished."""
        return self._derive(self.master_secret, b"exp master", th)

    def resumption_master_secret(self, th: bytes) -> bytes:
        """resumption_master_secret over ClientHello..client Finished."""
        return self._derive(self.master_secret, b"res master", th)


def traffic_keys(suite: Suite, secret: bytes) -> tuple[bytes, bytes]:
    """The record key and IV of a traffic secret (RFC 8446 7.3, derive_secret_key_and_iv)."""
    key = hkdf_expand_label(suite.hash, secret, b"key", b"", suite.key_len)
    iv = hkdf_expand_label(suite.hash, secret, b"iv", b"", suite.iv_len)
    return key, iv


def finished_key(hash_cls: HashCls, base_key: bytes) -> bytes:
    """finished_key = HKDF-Expand-Label(BaseKey, "finished", "", Hash.length)."""
    return hkdf_expand_label(hash_cls, base_key, b"finished", b"", hash_len(hash_cls))


def finished_verify_data(hash_cls: HashCls, base_key: bytes, transcript_hash: bytes) -> bytes:
    """Finished.verify_data = HMAC(finished_key, transcript hash) (tls13_final_finish_mac)."""
    return hmac.digest(finished_key(hash_cls, base_key), transcript_hash, hash_name(hash_cls))


def next_traffic_secret(hash_cls: HashCls, secret: bytes) -> bytes:
    """application_traffic_secret_N+1 for KeyUpdate (RFC 8446 7.2, "traffic upd")."""
    return hkdf_expand_label(hash_cls, secret, b"traffic upd", b"", hash_len(hash_cls))


def export_keying_material(
    hash_cls: HashCls,
    exporter_master_secret: bytes,
    label: bytes,
    context: bytes | None,
    length: int,
) -> bytes:
    """TLS-Exporter (RFC 8446 7.5, tls13_export_keying_material).

    In TLS 1.3 "no context" and an empty context are the same thing.  A label
    too long for an HkdfLabel fails as in OpenSSL, with
    SSL_R_TLS_ILLEGAL_EXPORTER_LABEL (and no alert: the connection is fine).
    """
    if len(label) > 249 or length > 0xFFFF:
        raise TLSError(None, SSLReason.TLS_ILLEGAL_EXPORTER_LABEL, "exporter label too long")
    name = hash_name(hash_cls)
    secret = derive_secret(hash_cls, exporter_master_secret, label, empty_hash(hash_cls))
    context_hash = hashlib.new(name, context or b"").digest()
    return hkdf_expand_label(hash_cls, secret, b"exporter", context_hash, length)


def resumption_psk(hash_cls: HashCls, rms: bytes, ticket_nonce: bytes) -> bytes:
    """The PSK of a ticket: HKDF-Expand-Label(rms, "resumption", ticket_nonce, Hash.length)."""
    return hkdf_expand_label(hash_cls, rms, b"resumption", ticket_nonce, hash_len(hash_cls))
