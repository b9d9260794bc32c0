"""Record protection: TLSPlaintext <-> TLSCiphertext, one object per key and direction.

A protector owns one AEAD key, its IV and its sequence number.  ``seal`` turns
content into a complete record (5-byte header + payload); ``open`` takes a
header and body the caller has already framed and returns the content type and
plaintext.  Nothing here reads or buffers bytes: framing is the caller's job
(rustls's ``MessageEncrypter``/``MessageDecrypter``, OpenSSL's ``tls13_enc`` /
``tls1_enc``).

This is the bulk-data hot path, so each protector builds its AEAD object once,
computes nonces with one integer XOR, and makes one concatenation per record.

Failures are ``TLSError`` with OpenSSL's alert and reason:

* authentication failure -> bad_record_mac, DECRYPTION_FAILED_OR_BAD_RECORD_MAC
* ciphertext over the limit -> record_overflow, ENCRYPTED_LENGTH_TOO_LONG
* plaintext over the limit -> record_overflow, DATA_LENGTH_TOO_LONG
* TLS 1.3 inner plaintext without a valid content type -> unexpected_message,
  BAD_RECORD_TYPE

Checking the outer header (type 23 for protected TLS 1.3 records, the version
field) is left to the caller, which knows the connection state; the header is
authenticated as AAD anyway.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Protocol, TypeAlias

from cryptography.exceptions import InvalidTag

from biokit.errors import SSLReason
from biokit.ssl.tls.enums import AlertDescription
from biokit.ssl.tls.errors import DecodeError, TLSError

if TYPE_CHECKING:
    from biokit.ssl.tls.suites import Suite

__all__ = [
    "HEADER_LEN",
    "MAX_CIPHERTEXT_12",
    "MAX_CIPHERTEXT_13",
    "MAX_PLAINTEXT",
    "NullProtector",
    "RecordProtector",
    "TLS12AEADProtector",
    "TLS13Protector",
    "parse_header",
]

HEADER_LEN = 5
MAX_PLAINTEXT = 2**14
MAX_CIPHERTEXT_13 = 2**14 + 256
MAX_CIPHERTEXT_12 = 2**14 + 2048
_SEQ_LIMIT = 2**64
# ERR_R_INTERNAL_ERROR as OpenSSL 3.0 packs it (ERR_R_FATAL | 4): a local failure.
_ERR_R_INTERNAL_ERROR = 68
_VALID_INNER_TYPES = frozenset((21, 22, 23))  # alert, handshake, application_data

_HEADER = struct.Struct("!BHH")
_TYPE_BYTE = tuple(bytes((i,)) for i in range(256))

Data: TypeAlias = bytes | bytearray | memoryview


def parse_header(b5: Data) -> tuple[int, int, int]:
    """Split a 5-byte record header into (content_type, legacy_version, length)."""
    if len(b5) != HEADER_LEN:
        raise DecodeError(
            f"record header of {len(b5)} bytes", reason=SSLReason.RECORD_LENGTH_MISMATCH
        )
    ctype, version, length = _HEADER.unpack(b5)
    return ctype, version, length


def _bad_mac() -> TLSError:
    return TLSError(
        AlertDescription.bad_record_mac, SSLReason.DECRYPTION_FAILED_OR_BAD_RECORD_MAC
    )


def _encrypted_too_long(n: int) -> TLSError:
    return TLSError(
        AlertDescription.record_overflow, SSLReason.ENCRYPTED_LENGTH_TOO_LONG, f"{n} bytes"
    )


def _data_too_long(n: int) -> TLSError:
    return TLSError(AlertDescription.record_overflow, SSLReason.DATA_LENGTH_TOO_LONG, f"{n} bytes")


def _seq_wrapped() -> TLSError:
    return TLSError(
        AlertDescription.internal_error, _ERR_R_INTERNAL_ERROR, "sequence number wrapped"
    )


class RecordProtector(Protocol):
    """What every protector offers (the engine holds one per direction)."""

    seq: int
    overhead: int  # bytes a record adds beyond the content (header excluded, no padding)
    max_ciphertext: int  # the largest acceptable body length

    def seal(self, content_type: int, data: Data, *, padding: int = 0) -> bytes:
        """Protect ``data`` and return the complete record."""
        ...

    def open(self, header: Data, body: Data) -> tuple[int, bytes]:
        """Unprotect one record's body: (content type, plaintext)."""
        ...

    def check_length(self, length: int) -> None:
        """Reject a header's length before the body is read (record_overflow)."""
        ...


class NullProtector:
    """Plaintext records, before keys exist (the NULL cipher of the initial state)."""

    __slots__ = ("_version", "max_ciphertext", "overhead", "seq")

    def __init__(self, version: int = 0x0303, *, max_ciphertext: int = MAX_CIPHERTEXT_12) -> None:
        self._version = version.to_bytes(2, "big")
        self.seq = 0
        self.overhead = 0
        self.max_ciphertext = max_ciphertext

    def check_length(self, length: int) -> None:
        """ssl3_get_record's header check: over the encrypted maximum -> record_overflow."""
        if length > self.max_ciphertext:
            raise _encrypted_too_long(length)

    def seal(self, content_type: int, data: Data, *, padding: int = 0) -> bytes:
        """Frame ``data`` as a plaintext record."""
        n = len(data)
        if n > MAX_PLAINTEXT or padding:
            raise ValueError("plaintext record too long (or padding requested)")
        self.seq += 1
        return b"".join((_TYPE_BYTE[content_type], self._version, n.to_bytes(2, "big"), data))

    def open(self, header: Data, body: Data) -> tuple[int, bytes]:
        """Return a plaintext record's type and content, checking its length."""
        n = len(body)
        if n > self.max_ciphertext:
            raise _encrypted_too_long(n)
        if n > MAX_PLAINTEXT:
            raise _data_too_long(n)
        self.seq += 1
        return header[0], bytes(body)


class TLS13Protector:
    """TLS 1.3 record protection (RFC 8446 section 5.2, OpenSSL's tls13_enc).

    TLSInnerPlaintext = content || type || zeros; the outer header says
    application_data / 0x0303 and is the AAD; nonce = iv XOR seq.
    """

    __slots__ = ("_aead", "_iv", "_tag_len", "max_ciphertext", "overhead", "seq", "suite")

    def __init__(self, suite: Suite, key: bytes, iv: bytes) -> None:
        if len(key) != suite.key_len or len(iv) != 12:
            raise ValueError("wrong key or IV length for the suite")
        self.suite = suite
        self._aead = suite.aead(key)
        self._iv = int.from_bytes(iv, "big")
        self._tag_len = suite.tag_len
        self.seq = 0
        self.overhead = 1 + suite.tag_len
        self.max_ciphertext = MAX_CIPHERTEXT_13

    def check_length(self, length: int) -> None:
        """The TLS 1.3 ciphertext limit, 2^14 + 256 (ENCRYPTED_LENGTH_TOO_LONG)."""
        if length > MAX_CIPHERTEXT_13:
            raise _encrypted_too_long(length)

    def seal(self, content_type: int, data: Data, *, padding: int = 0) -> bytes:
        """Protect one record; ``padding`` zero bytes are added inside the encryption."""
        n = len(data)
        if n > MAX_PLAINTEXT or padding < 0 or n + padding > MAX_PLAINTEXT:
            raise ValueError("TLSInnerPlaintext would exceed 2^14 + 1 bytes")
        seq = self.seq
        if seq >= _SEQ_LIMIT:
            raise _seq_wrapped()
        self.seq = seq + 1
        if padding:
            inner = b"".join((data, _TYPE_BYTE[content_type], bytes(padding)))
        elif type(data) is bytes:
            inner = data + _TYPE_BYTE[content_type]
        else:
            inner = b"".join((data, _TYPE_BYTE[content_type]))
        body_len = len(inner) + self._tag_len
        header = _HEADER.pack(23, 0x0303, body_len)
        # The ciphertext goes straight behind the header: no second copy of the record.
        rec = bytearray(HEADER_LEN + body_len)
        rec[:HEADER_LEN] = header
        self._aead.encrypt_into(
            (self._iv ^ seq).to_bytes(12, "big"), inner, header, memoryview(rec)[HEADER_LEN:]
        )
        return rec  # type: ignore[return-value]

    def open(self, header: Data, body: Data) -> tuple[int, bytes]:
        """Decrypt one record, strip the padding, recover the real content type."""
        n = len(body)
        if n > MAX_CIPHERTEXT_13:
            raise _encrypted_too_long(n)
        seq = self.seq
        if n < self._tag_len or seq >= _SEQ_LIMIT:
            raise _bad_mac()
        try:
            inner = self._aead.decrypt((self._iv ^ seq).to_bytes(12, "big"), body, header)
        except InvalidTag:
            raise _bad_mac() from None
        self.seq = seq + 1
        if len(inner) > MAX_PLAINTEXT + 1:
            raise _data_too_long(len(inner))
        ctype = inner[-1] if inner else 0
        if ctype == 23:
            # Application data leaves as a view: SSL_read copies it once, into
            # the bytes it returns, instead of once here and again there.
            return ctype, memoryview(inner)[:-1]  # type: ignore[return-value]
        if ctype:
            data = inner[:-1]
        else:
            # Padding: the type is the last non-zero byte.
            stripped = inner.rstrip(b"\x00")
            if not stripped:
                raise TLSError(
                    AlertDescription.unexpected_message,
                    SSLReason.BAD_RECORD_TYPE,
                    "no content type in TLSInnerPlaintext",
                )
            ctype = stripped[-1]
            data = stripped[:-1]
        if ctype not in _VALID_INNER_TYPES:
            raise TLSError(
                AlertDescription.unexpected_message,
                SSLReason.BAD_RECORD_TYPE,
                f"inner type {ctype}",
            )
        return ctype, data


class TLS12AEADProtector:
    """TLS 1.2 AEAD record protection (RFC 5288 AES-GCM, RFC 7905 ChaCha20-Poly1305).

    AAD = seq_num || type || version || plaintext length.  AES-GCM sends an
    8-byte explicit nonce, the sequence number (nonce = 4-byte salt ||
    explicit); ChaCha20-Poly1305 sends none (nonce = 12-byte IV XOR seq).
    """

    __slots__ = (
        "_aead", "_explicit", "_iv", "_salt", "_tag_len", "_version",
        "max_ciphertext", "overhead", "seq", "suite",
    )

    def __init__(self, suite: Suite, key: bytes, fixed_iv: bytes, version: int = 0x0303) -> None:
        if len(key) != suite.key_len or len(fixed_iv) != suite.iv_len:
            raise ValueError("wrong key or IV length for the suite")
        self.suite = suite
        self._aead = suite.aead(key)
        self._explicit = suite.explicit_nonce_len
        self._salt = bytes(fixed_iv)
        self._iv = int.from_bytes(fixed_iv, "big")
        self._tag_len = suite.tag_len
        self._version = version.to_bytes(2, "big")
        self.seq = 0
        self.overhead = self._explicit + suite.tag_len
        self.max_ciphertext = MAX_CIPHERTEXT_12

    def check_length(self, length: int) -> None:
        """The TLS 1.2 ciphertext limit, 2^14 + 2048 (ENCRYPTED_LENGTH_TOO_LONG)."""
        if length > MAX_CIPHERTEXT_12:
            raise _encrypted_too_long(length)

    def seal(self, content_type: int, data: Data, *, padding: int = 0) -> bytes:
        """Protect one record (TLS 1.2 has no padding for AEAD suites)."""
        n = len(data)
        if n > MAX_PLAINTEXT or padding:
            raise ValueError("TLS 1.2 record too long (or padding requested)")
        seq = self.seq
        if seq >= _SEQ_LIMIT:
            raise _seq_wrapped()
        self.seq = seq + 1
        seq_bytes = seq.to_bytes(8, "big")
        tv = _TYPE_BYTE[content_type] + self._version
        aad = seq_bytes + tv + n.to_bytes(2, "big")
        if self._explicit:
            header = tv + (n + 8 + self._tag_len).to_bytes(2, "big") + seq_bytes
            return header + self._aead.encrypt(self._salt + seq_bytes, data, aad)
        header = tv + (n + self._tag_len).to_bytes(2, "big")
        return header + self._aead.encrypt((self._iv ^ seq).to_bytes(12, "big"), data, aad)

    def open(self, header: Data, body: Data) -> tuple[int, bytes]:
        """Decrypt one record; the AAD is rebuilt from the header and the sequence number."""
        n = len(body)
        if n > MAX_CIPHERTEXT_12:
            raise _encrypted_too_long(n)
        explicit = self._explicit
        seq = self.seq
        if n < explicit + self._tag_len or seq >= _SEQ_LIMIT:
            raise _bad_mac()
        seq_bytes = seq.to_bytes(8, "big")
        aad = seq_bytes + bytes(header[:3]) + (n - explicit - self._tag_len).to_bytes(2, "big")
        if explicit:
            nonce = self._salt + bytes(body[:explicit])
            # A view, not a copy, of the ciphertext; released at once so that no
            # export of the caller's buffer outlives this call (not even in a
            # traceback), or the caller could not resize it.
            ciphertext = memoryview(body)[explicit:]
            try:
                plaintext = self._aead.decrypt(nonce, ciphertext, aad)
            except InvalidTag:
                raise _bad_mac() from None
            finally:
                ciphertext.release()
        else:
            try:
                plaintext = self._aead.decrypt((self._iv ^ seq).to_bytes(12, "big"), body, aad)
            except InvalidTag:
                raise _bad_mac() from None
        self.seq = seq + 1
        if len(plaintext) > MAX_PLAINTEXT:
            raise _data_too_long(len(plaintext))
        return header[0], plaintext
