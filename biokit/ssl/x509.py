"""X509 certificates and names, PEM/DER loading with OpenSSL-shaped errors.

``X509`` wraps a ``cryptography`` certificate and answers the questions
OpenSSL's X509_* functions answer (names printed the way ``openssl`` prints
them, digests, host/IP checks).  The loaders mirror the libssl/libcrypto entry
points a server configures itself with -- SSL_CTX_use_certificate_chain_file,
SSL_CTX_use_certificate_file, SSL_CTX_use_PrivateKey_file,
SSL_CTX_check_private_key, X509_load_cert_crl_file -- and fail the way
OpenSSL 3.0 fails: they return ``None`` (or 0) and leave on the error queue
the entries ``openssl`` would print.

What the queue holds (checked against libssl 3.0 in the tests):

* missing file, via BIO_read_filename (certificate and key loaders)::

      system library    errno     "calling fopen(<path>, r)"
      BIO routines      system lib
      SSL routines      system lib

  via BIO_new_file (CA file loader): BIO "no such file" for ENOENT/ENXIO, and
  x509 "system lib" last.  A directory opens (glibc's fopen() allows it):
  PEM readers see an empty file, DER readers an EISDIR "calling fread()".
* no PEM block of the wanted kind: PEM "no start line" with the data
  "Expecting: <PEM name>", then SSL "PEM lib" (x509 "no certificate or crl
  found" for a CA file); a torn block: PEM "bad end line"; bad base64: PEM
  "bad base64 decode"; a block whose DER does not parse: the ASN.1 entries,
  PEM "ASN1 lib", SSL "PEM lib".
* a chain file whose *extra* certificates are damaged fails with the PEM
  entries only (no SSL entry), as use_certificate_chain_file does.
* ASN.1 entries are exact for damage in the outer TLV ("too long", "header
  too long", "bad object header", "wrong tag", "not enough data" when read
  from a file) and in the tag of tbsCertificate, ending with "nested asn1
  error" / "Type=X509"; damage deeper inside a certificate yields just that
  last entry (OpenSSL would first name the inner field).
* private keys: the decoder, provider, PKCS#12 and PEM entries are exact for
  no key in the file, a wrong password (PKCS#8 or legacy PEM encryption) and
  a bad PEM header; without a password OpenSSL's UI layer first adds
  "interrupted or cancelled" entries that biokit leaves out; for DER that is
  no key, the three decoder entries are kept and the ASN.1 details only for
  a non-SEQUENCE.

Library numbers biokit.errors.Lib does not name yet (OSSL_DECODER 60, PROV 57,
PKCS12 35) are used as plain numbers, so their codes are right but print as
"lib(60)" until Lib lists them.
"""

from __future__ import annotations

import base64
import binascii
import errno as _errno
import hashlib
import ipaddress
import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TypeAlias

from cryptography import x509 as cx509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa, x448, x25519
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import NameOID

from biokit.errors import (
    ERR_RFLAG_COMMON,
    BIOReason,
    Lib,
    PEMReason,
    SSLReason,
    X509Reason,
    clear_error,
    peek_last_error,
    put_error,
)
from biokit.ssl.tls.certext import extensions_openssl

__all__ = [
    "SSL_FILETYPE_ASN1",
    "SSL_FILETYPE_PEM",
    "X509",
    "PrivateKey",
    "PublicKey",
    "X509Name",
    "check_private_key",
    "key_type_name",
    "load_certificate_chain_file",
    "load_certificate_file",
    "load_certificates",
    "load_private_key",
    "load_private_key_file",
]

SSL_FILETYPE_PEM = 1
SSL_FILETYPE_ASN1 = 2

PrivateKey: TypeAlias = (
    "rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey"
    " | ed448.Ed448PrivateKey | dsa.DSAPrivateKey | x25519.X25519PrivateKey"
    " | x448.X448PrivateKey"
)
PublicKey: TypeAlias = (
    "rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey"
    " | ed448.Ed448PublicKey | dsa.DSAPublicKey | x25519.X25519PublicKey"
    " | x448.X448PublicKey"
)
_PathArg: TypeAlias = "str | bytes | os.PathLike[str] | os.PathLike[bytes]"

# Common reasons (ERR_R_*) as they appear in SSL-library entries.
_SSL_R_SYS_LIB = ERR_RFLAG_COMMON | 2
_SSL_R_PEM_LIB = ERR_RFLAG_COMMON | 9
_SSL_R_ASN1_LIB = ERR_RFLAG_COMMON | 13
# ASN.1 reasons (include/openssl/asn1err.h) and ERR_R_NESTED_ASN1_ERROR.
_ASN1_R_BAD_OBJECT_HEADER = 102
_ASN1_R_HEADER_TOO_LONG = 123
_ASN1_R_NOT_ENOUGH_DATA = 142
_ASN1_R_SEQUENCE_NOT_CONSTRUCTED = 149
_ASN1_R_TOO_LONG = 155
_ASN1_R_WRONG_TAG = 168
_ASN1_R_TOO_SMALL = 224
_ERR_R_NESTED_ASN1_ERROR = ERR_RFLAG_COMMON | 266
_ERR_R_UNSUPPORTED = ERR_RFLAG_COMMON | 268
# Libraries biokit.errors.Lib does not list yet (ERR_LIB_*), and their reasons.
_LIB_PKCS12 = 35
_LIB_PROV = 57
_LIB_OSSL_DECODER = 60
_PROV_R_BAD_DECRYPT = 100
_PKCS12_R_PKCS12_CIPHERFINAL_ERROR = 116
_EVP_R_DIFFERENT_KEY_TYPES = 101

_PEM_STRING_X509 = "CERTIFICATE"
_PEM_STRING_X509_OLD = "X509 CERTIFICATE"
_PEM_STRING_X509_TRUSTED = "TRUSTED CERTIFICATE"
_PEM_STRING_X509_CRL = "X509 CRL"
_PEM_KEY_NAMES = frozenset(
    {
        "PRIVATE KEY",
        "ENCRYPTED PRIVATE KEY",
        "RSA PRIVATE KEY",
        "EC PRIVATE KEY",
        "DSA PRIVATE KEY",
    }
)

# ---------------------------------------------------------------------------- names

# Short names OpenSSL prints for name attributes (OBJ_nid2sn); others print as OIDs.
_ATTR_SN: dict[str, str] = {
    "2.5.4.3": "CN",
    "2.5.4.4": "SN",
    "2.5.4.5": "serialNumber",
    "2.5.4.6": "C",
    "2.5.4.7": "L",
    "2.5.4.8": "ST",
    "2.5.4.9": "street",
    "2.5.4.10": "O",
    "2.5.4.11": "OU",
    "2.5.4.12": "title",
    "2.5.4.13": "description",
    "2.5.4.14": "searchGuide",
    "2.5.4.15": "businessCategory",
    "2.5.4.16": "postalAddress",
    "2.5.4.17": "postalCode",
    "2.5.4.18": "postOfficeBox",
    "2.5.4.19": "physicalDeliveryOfficeName",
    "2.5.4.20": "telephoneNumber",
    "2.5.4.41": "name",
    "2.5.4.42": "GN",
    "2.5.4.43": "initials",
    "2.5.4.44": "generationQualifier",
    "2.5.4.45": "x500UniqueIdentifier",
    "2.5.4.46": "dnQualifier",
    "2.5.4.51": "houseIdentifier",
    "2.5.4.54": "dmdName",
    "2.5.4.65": "pseudonym",
    "2.5.4.72": "role",
    "2.5.4.97": "organizationIdentifier",
    "1.2.840.113549.1.9.1": "emailAddress",
    "1.2.840.113549.1.9.2": "unstructuredName",
    "1.2.840.113549.1.9.8": "unstructuredAddress",
    "0.9.2342.19200300.100.1.1": "UID",
    "0.9.2342.19200300.100.1.3": "mail",
    "0.9.2342.19200300.100.1.25": "DC",
    "1.3.6.1.4.1.311.60.2.1.1": "jurisdictionL",
    "1.3.6.1.4.1.311.60.2.1.2": "jurisdictionST",
    "1.3.6.1.4.1.311.60.2.1.3": "jurisdictionC",
}

# ASN.1 universal string tags -> bytes per character (0 = UTF-8), as a_strex.c's tag2nbyte.
_TAG_CHAR_WIDTH: dict[int, int] = {
    12: 0, 18: 1, 19: 1, 20: 1, 22: 1, 23: 1, 24: 1, 26: 1, 28: 4, 30: 2
}

# ASN1_STRFLGS_* and XN_FLAG_* bits (include/openssl/asn1.h, x509.h).
_ESC_2253 = 0x01
_ESC_CTRL = 0x02
_ESC_MSB = 0x04
_ESC_QUOTE = 0x08
_ESC_2254 = 0x400
_FIRST_ESC_2253 = 0x20
_LAST_ESC_2253 = 0x40
_BS_ESC = _ESC_2253 | _FIRST_ESC_2253 | _LAST_ESC_2253
_ONELINE_ESC = _ESC_2253 | _ESC_CTRL | _ESC_MSB | _ESC_QUOTE


def _char_classes() -> tuple[int, ...]:
    """The escape classes of the 128 ASCII characters (crypto/asn1/charmap.pl's rules)."""
    table = []
    for c in range(128):
        ch = chr(c)
        flags = 0
        if c < 32 or c == 127:
            flags |= _ESC_CTRL
        if ch in ',+"\\<>;':
            flags |= _ESC_2253
        if ch in "# ":
            flags |= _FIRST_ESC_2253
        if ch == " ":
            flags |= _LAST_ESC_2253
        # Characters that need RFC 2253 escaping but are fine inside quotes.
        if ch in ",+<>;# ":
            flags |= _ESC_QUOTE
        if c == 0 or ch in "()*\\":
            flags |= _ESC_2254
        table.append(flags)
    return tuple(table)


_CHAR_CLASS = _char_classes()


def _esc_char(c: int, flags: int, out: list[str]) -> bool:
    """do_esc_char: append one character; True when it asks for the value to be quoted."""
    if c > 0xFFFF:
        out.append(f"\\W{c:08X}")
        return False
    if c > 0xFF:
        out.append(f"\\U{c:04X}")
        return False
    chflgs = flags & _ESC_MSB if c > 0x7F else _CHAR_CLASS[c] & flags
    if chflgs & _BS_ESC:
        if chflgs & _ESC_QUOTE:
            out.append(chr(c))
            return True
        out.append("\\" + chr(c))
        return False
    if chflgs & (_ESC_CTRL | _ESC_MSB | _ESC_2254):
        out.append(f"\\{c:02X}")
        return False
    out.append("\\\\" if c == 0x5C else chr(c))
    return False


def _decode_chars(data: bytes, width: int) -> list[int] | None:
    """The code points of a string of the given width, or None if it is malformed."""
    if width == 1:
        return list(data)
    if width == 2:
        if len(data) % 2:
            return None
        return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]
    if width == 4:
        if len(data) % 4:
            return None
        return [int.from_bytes(data[i : i + 4], "big") for i in range(0, len(data), 4)]
    try:
        return [ord(ch) for ch in data.decode("utf-8")]
    except UnicodeDecodeError:
        return None


def _print_value(tag: int, value: bytes, der: bytes) -> str:
    """do_print_ex with XN_FLAG_ONELINE's string flags (RFC 2253 escapes, quoting, UTF-8)."""
    width = _TAG_CHAR_WIDTH.get(tag)
    if width is None:
        # ASN1_STRFLGS_DUMP_UNKNOWN | DUMP_DER: "#" and the hex of the whole DER.
        return "#" + der.hex().upper()
    # UTF8_CONVERT: a UTF8String is taken byte by byte, the rest are converted to UTF-8.
    chars = list(value) if width == 0 else _decode_chars(value, width)
    if chars is None:
        return ""
    if width != 0:
        chars = _to_utf8(chars)
    out: list[str] = []
    quote = False
    last = len(chars) - 1
    for i, c in enumerate(chars):
        flags = _ONELINE_ESC
        # Only the last flag survives for a one-character value (do_buf's order).
        if i == last:
            flags |= _LAST_ESC_2253
        elif i == 0:
            flags |= _FIRST_ESC_2253
        quote |= _esc_char(c, flags, out)
    text = "".join(out)
    return f'"{text}"' if quote else text


def _to_utf8(chars: list[int]) -> list[int]:
    out: list[int] = []
    for c in chars:
        if c < 0x80:
            out.append(c)
        elif 0xD800 <= c <= 0xDFFF or c > 0x10FFFF:
            out.extend(_utf8_raw(c))
        else:
            out.extend(chr(c).encode("utf-8"))
    return out


def _utf8_raw(c: int) -> list[int]:
    """UTF8_putc for values Python refuses to encode (surrogates, > U+10FFFF)."""
    if c < 0x10000:
        return [0xE0 | (c >> 12), 0x80 | ((c >> 6) & 0x3F), 0x80 | (c & 0x3F)]
    if c < 0x200000:
        return [0xF0 | (c >> 18), 0x80 | ((c >> 12) & 0x3F), 0x80 | ((c >> 6) & 0x3F),
                0x80 | (c & 0x3F)]
    return [0x3F]


@dataclass(frozen=True, slots=True)
class _NameEntry:
    oid: str
    tag: int
    value: bytes
    der: bytes  # the whole value TLV
    set_index: int
    oid_der: bytes  # the whole OBJECT IDENTIFIER TLV


def _parse_tlv(data: bytes, pos: int) -> tuple[int, int, int, int]:
    """(tag byte, content start, content end, next position) of the DER TLV at pos."""
    if pos + 2 > len(data):
        raise ValueError("truncated")
    tag = data[pos]
    if tag & 0x1F == 0x1F:
        raise ValueError("high tag number")
    first = data[pos + 1]
    hdr = pos + 2
    if first < 0x80:
        length = first
    else:
        n = first & 0x7F
        if n == 0 or n > 8 or hdr + n > len(data):
            raise ValueError("bad length")
        length = int.from_bytes(data[hdr : hdr + n], "big")
        hdr += n
    end = hdr + length
    if end > len(data):
        raise ValueError("truncated")
    return tag, hdr, end, end


def _oid_text(body: bytes) -> str:
    """The dotted form of an OBJECT IDENTIFIER's content octets."""
    arcs: list[int] = []
    value = 0
    for b in body:
        value = (value << 7) | (b & 0x7F)
        if not b & 0x80:
            arcs.append(value)
            value = 0
    if not arcs:
        return ""
    first = arcs[0]
    head = [0, first] if first < 40 else [1, first - 40] if first < 80 else [2, first - 80]
    return ".".join(str(a) for a in head + arcs[1:])


def _parse_name(der: bytes) -> list[_NameEntry]:
    """The entries of a DER Name, in encoded order, with raw values and string tags."""
    entries: list[_NameEntry] = []
    _tag, start, end, _ = _parse_tlv(der, 0)
    pos = start
    set_index = 0
    while pos < end:
        _stag, sstart, send, pos = _parse_tlv(der, pos)
        apos = sstart
        while apos < send:
            _atag, astart, _aend, apos = _parse_tlv(der, apos)
            _otag, ostart, oend, vpos = _parse_tlv(der, astart)
            vtag, vstart, vend, _ = _parse_tlv(der, vpos)
            entries.append(
                _NameEntry(
                    _oid_text(der[ostart:oend]),
                    vtag,
                    der[vstart:vend],
                    der[vpos:vend],
                    set_index,
                    der[astart:vpos],
                )
            )
        set_index += 1
    return entries


# String types asn1_string_canon converts (ASN1_MASK_CANON): UTF8String, PrintableString,
# T61String, IA5String, VisibleString, UniversalString, BMPString.
_CANON_TAGS = frozenset({12, 19, 20, 22, 26, 28, 30})
_SPACE = b" \t\n\v\f\r"


def _der_len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    octets = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(octets)]) + octets


def _tlv(tag: int, body: bytes) -> bytes:
    return bytes([tag]) + _der_len(len(body)) + body


def _canon_value(e: _NameEntry) -> bytes:
    """asn1_string_canon: the value as UTF-8, trimmed, inner whitespace runs collapsed to
    one space, ASCII lower-cased, re-encoded as a UTF8String; other types stay as they are."""
    if e.tag not in _CANON_TAGS:
        return e.der
    width = _TAG_CHAR_WIDTH[e.tag]
    if width == 0:
        raw = e.value
    else:
        chars = _decode_chars(e.value, width)
        raw = bytes(_to_utf8(chars)) if chars is not None else e.value
    out = bytearray()
    space = False
    for b in raw.strip(_SPACE):
        if b in _SPACE:
            if not space:
                out.append(0x20)
            space = True
            continue
        space = False
        out.append(b + 32 if 0x41 <= b <= 0x5A else b)
    return _tlv(0x0C, bytes(out))


def _canonical_encoding(entries: list[_NameEntry]) -> bytes:
    """x509_name_canon: each RDN as a DER SET OF canonical (OID, value) pairs, concatenated
    without the outer SEQUENCE -- the bytes X509_NAME_cmp compares and X509_NAME_hash hashes."""
    sets: dict[int, list[bytes]] = {}
    for e in entries:
        sets.setdefault(e.set_index, []).append(_tlv(0x30, e.oid_der + _canon_value(e)))
    return b"".join(_tlv(0x31, b"".join(sorted(items))) for _, items in sorted(sets.items()))


class X509Name:
    """An X509_NAME: printable the ways OpenSSL prints it, comparable like X509_NAME_cmp."""

    __slots__ = ("_canon", "_entries", "_name")

    def __init__(self, name: cx509.Name) -> None:
        self._name = name
        self._entries = _parse_name(name.public_bytes())
        self._canon: bytes | None = None

    def to_cryptography(self) -> cx509.Name:
        """The wrapped ``cryptography`` Name."""
        return self._name

    def der(self) -> bytes:
        """i2d_X509_NAME: the DER encoding."""
        return self._name.public_bytes()

    def entry_count(self) -> int:
        """X509_NAME_entry_count."""
        return len(self._entries)

    def entries(self) -> list[tuple[str, str]]:
        """(short name or OID, value text) pairs in encoded order (X509_NAME_get_entry)."""
        return [(_ATTR_SN.get(e.oid, e.oid), _print_value(e.tag, e.value, e.der))
                for e in self._entries]

    def get_text_by_oid(self, oid: str) -> list[str]:
        """The values (decoded) of the entries with this OID (X509_NAME_get_text_by_OBJ)."""
        out = []
        for e in self._entries:
            if e.oid == oid:
                width = _TAG_CHAR_WIDTH.get(e.tag, 1)
                chars = _decode_chars(e.value, width)
                out.append("".join(map(chr, chars)) if chars is not None else "")
        return out

    def oneline(self) -> str:
        """X509_NAME_print_ex(..., XN_FLAG_ONELINE): ``CN = localhost, O = biokit``."""
        parts: list[str] = []
        prev = -1
        for e in self._entries:
            if prev != -1:
                parts.append(" + " if e.set_index == prev else ", ")
            prev = e.set_index
            parts.append(_ATTR_SN.get(e.oid, e.oid))
            parts.append(" = ")
            parts.append(_print_value(e.tag, e.value, e.der))
        return "".join(parts)

    def legacy_oneline(self) -> str:
        """X509_NAME_oneline: ``/CN=localhost/O=biokit``."""
        parts: list[str] = []
        prev = -1
        for e in self._entries:
            parts.append("+" if e.set_index == prev else "/")
            prev = e.set_index
            parts.append(_ATTR_SN.get(e.oid, e.oid))
            parts.append("=")
            value = e.value
            if e.tag == 27 and len(value) % 4 == 0:  # GeneralString: UCS-4 heuristics
                used = [any(value[j] for j in range(k, len(value), 4)) for k in range(4)]
                if not (used[0] or used[1] or used[2]):
                    value = value[3::4]
            for b in value:
                if b < 0x20 or b > 0x7E:
                    parts.append(f"\\x{b:02X}")
                elif b in (0x2F, 0x2B):
                    parts.append("\\" + chr(b))
                else:
                    parts.append(chr(b))
        return "".join(parts)

    def canonical(self) -> bytes:
        """The canonical encoding X509_NAME_cmp compares (case and spacing folded)."""
        if self._canon is None:
            self._canon = _canonical_encoding(self._entries)
        return self._canon

    def hash(self) -> int:
        """X509_NAME_hash_ex: SHA-1 of the canonical encoding, first 4 bytes little-endian
        (``openssl x509 -hash``; the file name stem in a c_rehash directory)."""
        digest = hashlib.sha1(self.canonical()).digest()
        return int.from_bytes(digest[:4], "little")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, X509Name):
            return NotImplemented
        return self.canonical() == other.canonical()

    def __hash__(self) -> int:
        return hash(self.canonical())

    def __str__(self) -> str:
        return self.oneline()

    def __repr__(self) -> str:
        return f"<X509Name {self.oneline()!r}>"


# ------------------------------------------------------------------------ certificates

_DIGESTS: dict[str, type[hashes.HashAlgorithm]] = {
    "md5": hashes.MD5,
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
    "sha3-224": hashes.SHA3_224,
    "sha3-256": hashes.SHA3_256,
    "sha3-384": hashes.SHA3_384,
    "sha3-512": hashes.SHA3_512,
}


class X509:
    """An X509 certificate (OpenSSL's ``X509``), wrapping ``cryptography.x509.Certificate``."""

    __slots__ = ("__weakref__", "_cert", "_der")

    def __init__(self, cert: cx509.Certificate) -> None:
        self._cert = cert
        self._der = cert.public_bytes(serialization.Encoding.DER)

    @classmethod
    def from_pem(cls, data: bytes | bytearray | str) -> X509 | None:
        """PEM_read_bio_X509 over a buffer: the first certificate, or None + queue entries."""
        if isinstance(data, str):
            data = data.encode()
        return _read_pem_cert(_PemReader(bytes(data)), _PEM_STRING_X509)

    @classmethod
    def from_der(cls, data: bytes | bytearray | memoryview) -> X509 | None:
        """d2i_X509: one DER certificate (trailing bytes ignored), or None + queue entries."""
        return _d2i_x509(bytes(data), from_bio=False)

    @classmethod
    def from_cryptography(cls, cert: cx509.Certificate) -> X509:
        """Wrap an existing ``cryptography`` certificate."""
        return cls(cert)

    def to_der(self) -> bytes:
        """i2d_X509: the DER encoding."""
        return self._der

    def to_pem(self) -> bytes:
        """PEM_write_bio_X509: the PEM encoding."""
        return self._cert.public_bytes(serialization.Encoding.PEM)

    def to_cryptography(self) -> cx509.Certificate:
        """The wrapped ``cryptography`` certificate."""
        return self._cert

    def get_subject_name(self) -> X509Name:
        """X509_get_subject_name."""
        return X509Name(self._cert.subject)

    def get_issuer_name(self) -> X509Name:
        """X509_get_issuer_name."""
        return X509Name(self._cert.issuer)

    def get_serial_number(self) -> int:
        """X509_get_serialNumber, as an int."""
        return self._cert.serial_number

    def get_not_before(self) -> datetime:
        """X509_get0_notBefore, as an aware UTC datetime."""
        return self._cert.not_valid_before_utc

    def get_not_after(self) -> datetime:
        """X509_get0_notAfter, as an aware UTC datetime."""
        return self._cert.not_valid_after_utc

    def get_version(self) -> int:
        """X509_get_version: 0 for v1, 2 for v3."""
        return self._cert.version.value

    def public_key(self) -> PublicKey | None:
        """X509_get0_pubkey: the public key, or None if it cannot be decoded."""
        try:
            return self._cert.public_key()  # type: ignore[return-value]
        except (ValueError, UnsupportedAlgorithm):
            return None

    def digest(self, name: str = "sha256") -> bytes:
        """X509_digest: the hash of the DER encoding ("sha1", "sha256", ...)."""
        algorithm = _DIGESTS.get(name.lower().replace("_", "-"))
        if algorithm is None:
            raise ValueError(f"unknown digest {name!r}")
        return self._cert.fingerprint(algorithm())

    def extensions_openssl(
        self,
    ) -> tuple[list[cx509.Extension[cx509.ExtensionType]], frozenset[str]]:
        """The extensions X509_get_ext_d2i can find, and the OIDs that occur more than once.

        A repeated extension is left out (OpenSSL's lookup of it fails) where
        ``cryptography`` would refuse the whole list; see ``biokit.ssl.tls.certext``.
        Raises ValueError when an extension cannot be decoded.
        """
        return extensions_openssl(self._cert, self._der)

    def subject_alt_names(self) -> list[cx509.GeneralName]:
        """The subjectAltName entries (empty without the extension, or with two of them)."""
        try:
            extensions, _dups = self.extensions_openssl()
        except ValueError:
            return []
        for ext in extensions:
            if isinstance(ext.value, cx509.SubjectAlternativeName):
                return list(ext.value)
        return []

    def check_host(self, name: str, flags: int = 0) -> int:
        """X509_check_host: 1 if a DNS SAN (or, without one, the CN) matches, 0 if not, -2 bad."""
        # A trailing NUL is tolerated (callers passing C string lengths); others are not.
        host = name[:-1] if len(name) > 1 and name.endswith("\0") else name
        if "\0" in host:
            return -2
        chk = host.encode("utf-8")
        if len(chk) > 1 and chk[:1] == b".":
            flags |= _CHECK_FLAG_DOT_SUBDOMAINS
        san_present = False
        for gn in self.subject_alt_names():
            if isinstance(gn, cx509.DNSName):
                san_present = True
                pattern = gn.value.encode("ascii", "replace")
                if _match_host(pattern, chk, flags):
                    return 1
        if san_present:
            return 0
        for cn in self.get_subject_name().get_text_by_oid(NameOID.COMMON_NAME.dotted_string):
            if cn and _match_host(cn.encode("utf-8", "replace"), chk, flags):
                return 1
        return 0

    def check_ip(self, addr: str | bytes) -> int:
        """X509_check_ip_asc / X509_check_ip: 1 if an iPAddress SAN matches, 0 if not, -2 bad."""
        if isinstance(addr, bytes):
            packed = addr
            if len(packed) not in (4, 16):
                return -2
        else:
            try:
                packed = ipaddress.ip_address(addr.strip()).packed
            except ValueError:
                return -2
        for gn in self.subject_alt_names():
            value = gn.value if isinstance(gn, cx509.IPAddress) else None
            if isinstance(value, ipaddress.IPv4Address | ipaddress.IPv6Address) and (
                value.packed == packed
            ):
                return 1
        return 0

    def check_email(self, address: str) -> int:
        """X509_check_email: 1 if an rfc822Name SAN (or, without one, emailAddress) matches."""
        chk = address.encode("utf-8")
        san_present = False
        for gn in self.subject_alt_names():
            if isinstance(gn, cx509.RFC822Name):
                san_present = True
                if _equal_email(gn.value.encode("utf-8"), chk):
                    return 1
        if san_present:
            return 0
        oid = NameOID.EMAIL_ADDRESS.dotted_string
        for value in self.get_subject_name().get_text_by_oid(oid):
            if _equal_email(value.encode("utf-8"), chk):
                return 1
        return 0

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, X509):
            return NotImplemented
        return self._der == other._der

    def __hash__(self) -> int:
        return hash(self._der)

    def __repr__(self) -> str:
        return f"<X509 subject={self.get_subject_name().oneline()!r}>"


# ------------------------------------------------------------ host-name matching (v3_utl.c)

_X509_CHECK_FLAG_NO_WILDCARDS = 0x2
_X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS = 0x4
_X509_CHECK_FLAG_MULTI_LABEL_WILDCARDS = 0x8
_X509_CHECK_FLAG_SINGLE_LABEL_SUBDOMAINS = 0x10
_CHECK_FLAG_DOT_SUBDOMAINS = 0x8000


def _lower(b: bytes) -> bytes:
    return bytes(c + 32 if 0x41 <= c <= 0x5A else c for c in b)


def _equal_nocase(pattern: bytes, subject: bytes, flags: int) -> bool:
    if flags & _CHECK_FLAG_DOT_SUBDOMAINS:
        # skip_prefix: compare the subject (".example.com") with a pattern suffix.
        p = pattern
        while len(p) > len(subject) and p[:1] != b"\0":
            if flags & _X509_CHECK_FLAG_SINGLE_LABEL_SUBDOMAINS and p[:1] == b".":
                break
            p = p[1:]
        if len(p) == len(subject):
            pattern = p
    if len(pattern) != len(subject) or b"\0" in pattern:
        return False
    return _lower(pattern) == _lower(subject)


def _valid_star(p: bytes, flags: int) -> int:
    """The index of the one legal wildcard in p, or -1 (valid_star)."""
    star = -1
    label_start, label_idna, label_hyphen = 1, 2, 4
    state = label_start
    dots = 0
    n = len(p)
    for i, c in enumerate(p):
        if c == 0x2A:  # '*'
            atstart = state & label_start
            atend = i == n - 1 or p[i + 1] == 0x2E
            if star >= 0 or state & label_idna or dots:
                return -1
            if flags & _X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS and (not atstart or not atend):
                return -1
            if not atstart and not atend:
                return -1
            star = i
            state &= ~label_start
        elif 0x61 <= c <= 0x7A or 0x41 <= c <= 0x5A or 0x30 <= c <= 0x39:
            if state & label_start and n - i >= 4 and _lower(p[i : i + 4]) == b"xn--":
                state |= label_idna
            state &= ~(label_hyphen | label_start)
        elif c == 0x2E:
            if state & (label_hyphen | label_start):
                return -1
            state = label_start
            dots += 1
        elif c == 0x2D:
            if state & label_start:
                return -1
            state |= label_hyphen
        else:
            return -1
    if state & (label_start | label_hyphen) or dots < 2:
        return -1
    return star


def _match_host(pattern: bytes, subject: bytes, flags: int) -> bool:
    """equal_wildcard (or equal_nocase with X509_CHECK_FLAG_NO_WILDCARDS)."""
    if flags & _X509_CHECK_FLAG_NO_WILDCARDS:
        return _equal_nocase(pattern, subject, flags)
    star = -1
    if not (len(subject) > 1 and subject[:1] == b"."):
        star = _valid_star(pattern, flags)
    if star < 0:
        return _equal_nocase(pattern, subject, flags)
    prefix, suffix = pattern[:star], pattern[star + 1 :]
    if len(subject) < len(prefix) + len(suffix):
        return False
    if not _equal_nocase(prefix, subject[: len(prefix)], 0):
        return False
    wild_end = len(subject) - len(suffix)
    if not _equal_nocase(subject[wild_end:], suffix, 0):
        return False
    wild = subject[len(prefix) : wild_end]
    allow_idna = allow_multi = False
    if not prefix and suffix[:1] == b".":
        if not wild:
            return False
        allow_idna = True
        allow_multi = bool(flags & _X509_CHECK_FLAG_MULTI_LABEL_WILDCARDS)
    if not allow_idna and len(subject) >= 4 and _lower(subject[:4]) == b"xn--":
        return False
    if wild == b"*":
        return True
    ok = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-" + (
        b"." if allow_multi else b""
    )
    return all(c in ok for c in wild)


def _equal_email(pattern: bytes, subject: bytes) -> bool:
    """equal_email: the local part is compared exactly, the domain case-insensitively."""
    if len(pattern) != len(subject):
        return False
    at = pattern.rfind(b"@")
    if at < 0:
        return pattern == subject
    return pattern[:at] == subject[:at] and _lower(pattern[at:]) == _lower(subject[at:])


# ------------------------------------------------------------------------- file access


class _Directory(bytes):
    """The "contents" of a directory: empty for line reads, an EISDIR error for fread."""

    __slots__ = ()


def _fsname(path: _PathArg) -> str:
    return os.fsdecode(path)


def _read_file(path: _PathArg, *, new_file: bool, lib: int) -> bytes | None:
    """fopen + read, queueing what BIO_read_filename (or BIO_new_file) queues on failure,
    then the caller's own "system lib" entry in library ``lib``."""
    name = _fsname(path)
    try:
        with open(path, "rb") as f:
            return f.read()
    except IsADirectoryError:
        # glibc's fopen() opens a directory; reading it then fails (EISDIR).
        return _Directory()
    except OSError as exc:
        err = exc.errno if exc.errno is not None else _errno.EIO
        put_error(Lib.SYS, err, f"calling fopen({name}, r)")
        if new_file and err in (_errno.ENOENT, _errno.ENXIO):
            put_error(Lib.BIO, BIOReason.NO_SUCH_FILE)
        else:
            put_error(Lib.BIO, BIOReason.SYSTEM_LIB)
        put_error(lib, ERR_RFLAG_COMMON | 2)
        return None


# --------------------------------------------------------------------------------- PEM

_TRAILING_JUNK = bytes(range(33))  # sanitize_line strips every byte <= ' ' at line end
_NO_REASON = 0  # a failure OpenSSL reports without an entry of its own


@dataclass(frozen=True, slots=True)
class _PemBlock:
    name: str
    header: str
    data: bytes
    text: bytes  # the block as it appeared, BEGIN line to END line


class _PemReader:
    """PEM_read_bio over a buffer, one block at a time (pem_lib.c's get_name and
    get_header_and_data).  Failures come back as PEM_R_* reasons for the caller to
    queue, because what OpenSSL queues for "no start line" depends on the caller."""

    __slots__ = ("_data", "_pos")

    def __init__(self, data: bytes) -> None:
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        self._data = data
        self._pos = 0

    def _lines(self) -> Iterator[tuple[int, bytes]]:
        data = self._data
        while self._pos < len(data):
            start = self._pos
            nl = data.find(b"\n", start)
            self._pos = len(data) if nl < 0 else nl + 1
            yield start, data[start : self._pos].rstrip(_TRAILING_JUNK)

    def read_any(self) -> _PemBlock | int:
        """PEM_read_bio_ex: the next block, or the PEM_R_* reason it failed with."""
        name = None
        begin = 0
        for start, line in self._lines():
            if line.startswith(b"-----BEGIN ") and line.endswith(b"-----") and len(line) >= 16:
                name = line[11:-5].decode("latin-1")
                begin = start
                break
        if name is None:
            return PEMReason.NO_START_LINE
        end_line = b"-----END " + name.encode("latin-1") + b"-----"
        # Lines go to the "header" buffer until a blank line; without a blank line
        # they all turn out to be data.
        maybe, in_header, post = 0, 1, 2
        state = maybe
        first: list[bytes] = []
        second: list[bytes] = []
        sink = first
        short_line = False
        for _start, line in self._lines():
            if state == maybe and b":" in line:
                state = in_header
            if not line:
                if state == post:
                    return PEMReason.BAD_END_LINE
                state = post
                sink = second
                continue
            if line.startswith(b"-----END "):
                if line != end_line:
                    return PEMReason.BAD_END_LINE
                break
            if short_line:
                return PEMReason.BAD_END_LINE
            sink.append(line)
            if state == post:
                # Only data after a header has its line length checked (65 with the newline).
                if len(line) > 64:
                    return _NO_REASON
                short_line = len(line) < 64
        else:
            return PEMReason.BAD_END_LINE
        header_lines, data_lines = ([], first) if state == maybe else (first, second)
        try:
            raw = base64.b64decode(b"".join(data_lines).translate(None, b" \t"), validate=True)
        except (binascii.Error, ValueError):
            return PEMReason.BAD_BASE64_DECODE
        header = "\n".join(h.decode("latin-1") for h in header_lines)
        return _PemBlock(name, header, raw, self._data[begin : self._pos])

    def read_block(self, wanted: str) -> _PemBlock | int:
        """PEM_bytes_read_bio: the next block whose name fits ``wanted``, skipping others."""
        while True:
            block = self.read_any()
            if isinstance(block, int) or _pem_name_fits(block.name, wanted):
                return block


def _put_pem_failure(reason: int, wanted: str | None = None) -> None:
    """Queue a PEM read failure; "no start line" carries "Expecting: <name>" when asked."""
    if reason == _NO_REASON:
        return
    data = f"Expecting: {wanted}" if wanted and reason == PEMReason.NO_START_LINE else ""
    put_error(Lib.PEM, reason, data, depth=2)


def _pem_name_fits(found: str, wanted: str) -> bool:
    """check_pem for certificates: the old and the trusted names are accepted too."""
    if found == wanted:
        return True
    if wanted == _PEM_STRING_X509:
        return found == _PEM_STRING_X509_OLD
    if wanted == _PEM_STRING_X509_TRUSTED:
        return found in (_PEM_STRING_X509, _PEM_STRING_X509_OLD)
    return False


def _pem_header_reason(header: str) -> int:
    """PEM_get_EVP_CIPHER_INFO + PEM_do_header for an object read without a password."""
    if not header:
        return 0
    if not header.startswith("Proc-Type: "):
        return PEMReason.NOT_PROC_TYPE
    if "ENCRYPTED" not in header.split("\n", 1)[0]:
        return PEMReason.NOT_ENCRYPTED
    return PEMReason.BAD_PASSWORD_READ


def _read_pem_cert(reader: _PemReader, wanted: str) -> X509 | None:
    """PEM_read_bio_X509(_AUX): the next certificate, or None with the PEM/ASN.1 entries."""
    block = reader.read_block(wanted)
    if isinstance(block, int):
        _put_pem_failure(block, wanted)
        return None
    reason = _pem_header_reason(block.header)
    if reason:
        put_error(Lib.PEM, reason)
        return None
    cert = _d2i_x509(block.data, from_bio=False)
    if cert is None:
        put_error(Lib.PEM, PEMReason.ASN1_LIB)
    return cert


# -------------------------------------------------------------------------------- DER


def _asn1_header(data: bytes) -> tuple[int, int, int, int] | tuple[int]:
    """ASN1_get_object on the outer TLV: (tag, constructed, header len, content len) or (err,)."""
    omax = len(data)
    if omax <= 0:
        return (_ASN1_R_TOO_SMALL,)
    first = data[0]
    constructed = first & 0x20
    tag = first & 0x1F
    pos = 1
    if tag == 0x1F:
        tag = 0
        while True:
            if pos >= omax:
                return (_ASN1_R_HEADER_TOO_LONG,)
            b = data[pos]
            pos += 1
            tag = (tag << 7) | (b & 0x7F)
            if tag > 0x7FFFFFFF:
                return (_ASN1_R_HEADER_TOO_LONG,)
            if not b & 0x80:
                break
        if pos >= omax:
            return (_ASN1_R_HEADER_TOO_LONG,)
    elif pos >= omax:
        return (_ASN1_R_HEADER_TOO_LONG,)
    # asn1_get_length: a long form needs its octets and at least one more byte.
    left = omax - pos
    b = data[pos]
    pos += 1
    left -= 1
    if b == 0x80:
        if not constructed:
            return (_ASN1_R_HEADER_TOO_LONG,)
        length = left  # indefinite: whatever follows
    elif b & 0x80:
        n = b & 0x7F
        if left < n + 1:
            return (_ASN1_R_HEADER_TOO_LONG,)
        octets = data[pos : pos + n].lstrip(b"\0")
        pos += n
        if len(octets) > 8:
            return (_ASN1_R_HEADER_TOO_LONG,)
        length = int.from_bytes(octets, "big")
        if length > 0x7FFFFFFFFFFFFFFF:
            return (_ASN1_R_HEADER_TOO_LONG,)
    else:
        length = b
    if length > omax - pos:
        return (_ASN1_R_TOO_LONG,)
    return ((first & 0xC0) | tag if tag < 0x1F else -1, constructed, pos, length)


def _read_der_object(data: bytes) -> bytes | None:
    """asn1_d2i_read_bio: the bytes of the first DER object of a file, or None + entries.

    An empty file fails silently; a header cut short is "header too long"; a
    body cut short is "not enough data".  Bytes after the object are ignored.
    """
    if isinstance(data, _Directory):
        put_error(Lib.SYS, _errno.EISDIR, "calling fread()")
        put_error(Lib.BIO, BIOReason.SYSTEM_LIB)
        put_error(Lib.ASN1, _ASN1_R_NOT_ENOUGH_DATA)
        return None
    if not data:
        return None
    hdr = _asn1_header(data)
    if len(hdr) == 1:
        reason = hdr[0]
        put_error(Lib.ASN1, _ASN1_R_NOT_ENOUGH_DATA if reason == _ASN1_R_TOO_LONG else reason)
        return None
    _tag, _constructed, hlen, clen = hdr
    return data[: hlen + clen]


def _d2i_x509(data: bytes, *, from_bio: bool) -> X509 | None:
    """d2i_X509 (d2i_X509_bio when from_bio) with OpenSSL's ASN.1 error entries."""
    if from_bio:
        obj = _read_der_object(data)
        if obj is None:
            return None
        data = obj
    hdr = _asn1_header(data)
    if len(hdr) == 1:
        put_error(Lib.ASN1, hdr[0])
        put_error(Lib.ASN1, _ASN1_R_BAD_OBJECT_HEADER)
        put_error(Lib.ASN1, _ERR_R_NESTED_ASN1_ERROR, "Type=X509")
        return None
    tag, constructed, hlen, clen = hdr
    if tag != 0x10:
        put_error(Lib.ASN1, _ASN1_R_WRONG_TAG)
        put_error(Lib.ASN1, _ERR_R_NESTED_ASN1_ERROR, "Type=X509")
        return None
    if not constructed:
        put_error(Lib.ASN1, _ASN1_R_SEQUENCE_NOT_CONSTRUCTED)
        put_error(Lib.ASN1, _ERR_R_NESTED_ASN1_ERROR, "Type=X509")
        return None
    inner = _asn1_header(data[hlen : hlen + clen])
    if len(inner) == 4 and inner[0] != 0x10:
        # The first field, tbsCertificate (X509_CINF), must be a SEQUENCE too.
        put_error(Lib.ASN1, _ASN1_R_WRONG_TAG)
        put_error(Lib.ASN1, _ERR_R_NESTED_ASN1_ERROR, "Type=X509_CINF")
        put_error(Lib.ASN1, _ERR_R_NESTED_ASN1_ERROR, "Field=cert_info, Type=X509")
        return None
    try:
        with warnings.catch_warnings():
            # OpenSSL loads e.g. non-positive serial numbers silently; so do we.
            warnings.simplefilter("ignore", CryptographyDeprecationWarning)
            cert = cx509.load_der_x509_certificate(data[: hlen + clen])
        # cryptography decodes some parts lazily: touch them so a bad certificate fails here.
        _ = cert.subject, cert.issuer, cert.signature_algorithm_oid
    except (ValueError, UnsupportedAlgorithm, TypeError, cx509.InvalidVersion):
        # (OpenSSL 3.0 decodes any version number; cryptography only v1 and v3, so
        # a v2 or v99 certificate fails here where OpenSSL fails later, if at all.)
        put_error(Lib.ASN1, _ERR_R_NESTED_ASN1_ERROR, "Type=X509")
        return None
    return X509(cert)


# ---------------------------------------------------------------------------- loaders

_PEM_NO_START_LINE = (Lib.PEM << 23) | PEMReason.NO_START_LINE


def load_certificate_chain_file(path: _PathArg) -> list[X509] | None:
    """SSL_CTX_use_certificate_chain_file: the leaf first, then the extra certificates.

    The first block may be a CERTIFICATE or TRUSTED CERTIFICATE; blocks of other
    kinds are skipped.  On failure returns None with OpenSSL's entries queued.
    Like OpenSSL, success clears the whole error queue (the extra-certificate
    loop always ends on a "no start line" error, which is then discarded).
    """
    data = _read_file(path, new_file=False, lib=Lib.SSL)
    if data is None:
        return None
    reader = _PemReader(data)
    leaf = _read_pem_cert(reader, _PEM_STRING_X509_TRUSTED)
    if leaf is None:
        put_error(Lib.SSL, _SSL_R_PEM_LIB)
        return None
    chain = [leaf]
    while (cert := _read_pem_cert(reader, _PEM_STRING_X509)) is not None:
        chain.append(cert)
    # Only a plain end of file ("no start line") is benign; anything else stays queued.
    if peek_last_error() == _PEM_NO_START_LINE:
        clear_error()
        return chain
    return None


def load_certificate_file(path: _PathArg, filetype: int = SSL_FILETYPE_PEM) -> X509 | None:
    """SSL_CTX_use_certificate_file: one certificate, PEM (1) or DER (2)."""
    data = _read_file(path, new_file=False, lib=Lib.SSL)
    if data is None:
        return None
    if filetype == SSL_FILETYPE_ASN1:
        cert = _d2i_x509(data, from_bio=True)
        if cert is None:
            put_error(Lib.SSL, _SSL_R_ASN1_LIB)
        return cert
    if filetype == SSL_FILETYPE_PEM:
        cert = _read_pem_cert(_PemReader(data), _PEM_STRING_X509)
        if cert is None:
            put_error(Lib.SSL, _SSL_R_PEM_LIB)
        return cert
    put_error(Lib.SSL, SSLReason.BAD_SSL_FILETYPE)
    return None


_CERT_NAMES = (_PEM_STRING_X509, _PEM_STRING_X509_OLD, _PEM_STRING_X509_TRUSTED)


def load_certificates(source: _PathArg | bytes | bytearray | memoryview) -> list[X509] | None:
    """X509_load_cert_crl_file (the CAfile loader): every certificate of a PEM bundle.

    ``source`` is a path, or the PEM bytes themselves.  Blocks that are neither
    certificates nor CRLs are skipped; a source with neither fails with x509 "no
    certificate or crl found".  CRLs count as found but are not returned.
    """
    if isinstance(source, bytes | bytearray | memoryview):
        data: bytes | None = bytes(source)
    else:
        data = _read_file(source, new_file=True, lib=Lib.X509)
    if data is None:
        return None
    reader = _PemReader(data)
    certs: list[X509] = []
    found = 0
    while True:
        block = reader.read_any()
        if isinstance(block, int):
            if block == PEMReason.NO_START_LINE:
                break
            _put_pem_failure(block)
            put_error(Lib.X509, X509Reason.PEM_LIB)
            return None
        if block.name in _CERT_NAMES:
            reason = _pem_header_reason(block.header)
            cert = None if reason else _d2i_x509(block.data, from_bio=False)
            if cert is None:
                if reason:
                    put_error(Lib.PEM, reason)
                else:
                    put_error(Lib.PEM, PEMReason.ASN1_LIB)
                put_error(Lib.X509, X509Reason.PEM_LIB)
                return None
            certs.append(cert)
            found += 1
        elif block.name == _PEM_STRING_X509_CRL:
            try:
                cx509.load_der_x509_crl(block.data)
            except ValueError:
                put_error(Lib.ASN1, _ERR_R_NESTED_ASN1_ERROR, "Type=X509_CRL")
                put_error(Lib.PEM, PEMReason.ASN1_LIB)
                put_error(Lib.X509, X509Reason.PEM_LIB)
                return None
            found += 1
    if not found:
        put_error(Lib.X509, X509Reason.NO_CERTIFICATE_OR_CRL_FOUND)
        return None
    return certs


def _password_bytes(password: bytes | str | None) -> bytes | None:
    return password.encode() if isinstance(password, str) else password


_NO_DATA_PEM = "No supported data to decode. Input type: PEM"
_NO_DATA_DER = "No supported data to decode. Input type: DER"


def _load_der_key(data: bytes, pw: bytes | None) -> PrivateKey | None:
    for attempt in (pw, None) if pw is not None else (None,):
        try:
            return serialization.load_der_private_key(data, attempt)  # type: ignore[return-value]
        except TypeError:
            continue  # a password for an unencrypted key: OpenSSL just does not ask for it
        except (ValueError, UnsupportedAlgorithm):
            return None
    return None


def _put_der_key_failure(obj: bytes) -> None:
    """What d2i_PrivateKey_bio's decoders queue for DER that is no private key."""
    put_error(_LIB_OSSL_DECODER, _ERR_R_UNSUPPORTED,
              "No supported data to decode.  Input type: DER, Input structure: type-specific")
    put_error(_LIB_OSSL_DECODER, _ERR_R_UNSUPPORTED,
              "No supported data to decode.  Input type: DER, Input structure: PrivateKeyInfo")
    put_error(_LIB_OSSL_DECODER, _ERR_R_UNSUPPORTED, _NO_DATA_DER)
    if obj[0] != 0x30:
        # The legacy fallback tries RSAPrivateKey, then PKCS8_PRIV_KEY_INFO; both want a
        # SEQUENCE.  (Other damage is reported deeper in OpenSSL; those entries are left out.)
        put_error(Lib.ASN1, _ASN1_R_WRONG_TAG)
        put_error(Lib.ASN1, _ERR_R_NESTED_ASN1_ERROR)
        put_error(Lib.ASN1, _ASN1_R_WRONG_TAG)
        put_error(Lib.ASN1, _ERR_R_NESTED_ASN1_ERROR, "Type=RSAPrivateKey")
        put_error(Lib.ASN1, _ASN1_R_WRONG_TAG)
        put_error(Lib.ASN1, _ERR_R_NESTED_ASN1_ERROR, "Type=PKCS8_PRIV_KEY_INFO")


def load_private_key(
    data: bytes, filetype: int = SSL_FILETYPE_PEM, password: bytes | str | None = None
) -> PrivateKey | None:
    """PEM_read_bio_PrivateKey / d2i_PrivateKey_bio over a buffer.

    PEM input may hold other blocks (certificates...) before the key.  On
    failure returns None and queues libcrypto's entries (the final SSL entry
    is SSL_CTX_use_PrivateKey_file's).  ``password`` None means no password
    callback: an encrypted key then fails with PEM "bad password read".
    """
    pw = _password_bytes(password)
    if filetype == SSL_FILETYPE_ASN1:
        obj = _read_der_object(data)
        if obj is None:
            return None
        der_key = _load_der_key(obj, pw)
        if der_key is None:
            _put_der_key_failure(obj)
        return der_key
    reader = _PemReader(data)
    while True:
        block = reader.read_any()
        if isinstance(block, int):
            put_error(_LIB_OSSL_DECODER, _ERR_R_UNSUPPORTED, _NO_DATA_PEM)
            return None
        if block.name in _PEM_KEY_NAMES:
            break
        if block.header and not block.header.startswith("Proc-Type: "):
            # The PEM decoder checks every block's header on its way to a key.
            put_error(Lib.PEM, PEMReason.NOT_PROC_TYPE)
            return None
    legacy = "ENCRYPTED" in block.header
    encrypted = legacy or block.name == "ENCRYPTED PRIVATE KEY"
    if encrypted and pw is None:
        put_error(Lib.PEM, PEMReason.BAD_PASSWORD_READ)
        return None
    try:
        key = serialization.load_pem_private_key(block.text, pw if encrypted else None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        if not encrypted:
            put_error(_LIB_OSSL_DECODER, _ERR_R_UNSUPPORTED, _NO_DATA_PEM)
        elif legacy:
            put_error(_LIB_PROV, _PROV_R_BAD_DECRYPT)
            put_error(Lib.PEM, PEMReason.BAD_DECRYPT)
        else:
            # OpenSSL's two PKCS#8 decoders each fail the same way.
            for _ in range(2):
                put_error(_LIB_PROV, _PROV_R_BAD_DECRYPT)
                put_error(
                    _LIB_PKCS12,
                    _PKCS12_R_PKCS12_CIPHERFINAL_ERROR,
                    "empty password" if pw == b"" else "maybe wrong password",
                )
        return None
    return key  # type: ignore[return-value]


def load_private_key_file(
    path: _PathArg, filetype: int = SSL_FILETYPE_PEM, password: bytes | str | None = None
) -> PrivateKey | None:
    """SSL_CTX_use_PrivateKey_file: a PEM (1) or DER (2) private key, or None + entries."""
    data = _read_file(path, new_file=False, lib=Lib.SSL)
    if data is None:
        return None
    if filetype not in (SSL_FILETYPE_PEM, SSL_FILETYPE_ASN1):
        put_error(Lib.SSL, SSLReason.BAD_SSL_FILETYPE)
        return None
    key = load_private_key(data, filetype, password)
    if key is None:
        put_error(Lib.SSL, _SSL_R_PEM_LIB if filetype == SSL_FILETYPE_PEM else _SSL_R_ASN1_LIB)
    return key


def key_type_name(key: object) -> str:
    """The EVP_PKEY type name of a public or private key ("RSA", "EC", "ED25519"...)."""
    families: tuple[tuple[tuple[type, ...], str], ...] = (
        ((rsa.RSAPrivateKey, rsa.RSAPublicKey), "RSA"),
        ((ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey), "EC"),
        ((ed25519.Ed25519PrivateKey, ed25519.Ed25519PublicKey), "ED25519"),
        ((ed448.Ed448PrivateKey, ed448.Ed448PublicKey), "ED448"),
        ((dsa.DSAPrivateKey, dsa.DSAPublicKey), "DSA"),
        ((x25519.X25519PrivateKey, x25519.X25519PublicKey), "X25519"),
        ((x448.X448PrivateKey, x448.X448PublicKey), "X448"),
    )
    for classes, name in families:
        if isinstance(key, classes):
            return name
    return "UNKNOWN"


def _spki(key: object) -> bytes:
    return key.public_bytes(  # type: ignore[attr-defined, no-any-return]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def check_private_key(cert: X509 | None, key: PrivateKey | None) -> bool:
    """SSL_CTX_check_private_key (X509_check_private_key): does the key fit the certificate?"""
    if cert is None:
        put_error(Lib.SSL, SSLReason.NO_CERTIFICATE_ASSIGNED)
        return False
    if key is None:
        put_error(Lib.SSL, SSLReason.NO_PRIVATE_KEY_ASSIGNED)
        return False
    pub = cert.public_key()
    if pub is None:
        put_error(Lib.X509, X509Reason.UNABLE_TO_GET_CERTS_PUBLIC_KEY)
        return False
    if key_type_name(pub) != key_type_name(key):
        put_error(Lib.EVP, _EVP_R_DIFFERENT_KEY_TYPES)
        put_error(Lib.X509, X509Reason.KEY_TYPE_MISMATCH)
        return False
    if _spki(pub) != _spki(key.public_key()):
        put_error(Lib.X509, X509Reason.KEY_VALUES_MISMATCH)
        return False
    return True
