"""Signature schemes: signing, verifying, and OpenSSL's rules for choosing and checking them.

A scheme (RFC 8446 4.2.3 SignatureScheme) names key type, padding and hash
at once.  Which schemes a key may use depends on the version: TLS 1.3 binds
ECDSA schemes to the key's curve and forbids PKCS#1 v1.5 and SHA-1, TLS 1.2
lets any ECDSA key use any ECDSA hash.  RSA keys come in two kinds, told apart
by the certificate's SubjectPublicKeyInfo OID: rsaEncryption keys use the
``rsa_pss_rsae_*`` and ``rsa_pkcs1_*`` schemes, id-RSASSA-PSS keys the
``rsa_pss_pss_*`` ones (cryptography loads both as RSA keys, so callers pass
``rsa_pss=True`` for the latter).

OpenSSL's counterparts live in ``ssl/t1_lib.c``: the sigalg lookup table,
tls12_check_peer_sigalg (``check_peer_scheme``), tls_choose_sigalg
(``choose_scheme``) and tls1_set_sigalgs_list (``parse_sigalgs_list``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeAlias

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa

from biokit.errors import SSLReason
from biokit.ssl.tls.enums import AlertDescription
from biokit.ssl.tls.errors import TLSError
from biokit.ssl.tls.key_schedule import hash_len, hash_name

__all__ = [
    "DEFAULT_SIGALGS",
    "SUPPORTED_SCHEMES",
    "PrivateKey",
    "PublicKey",
    "SchemeInfo",
    "check_peer_scheme",
    "choose_scheme",
    "parse_sigalgs_list",
    "scheme_info",
    "scheme_matches_key",
    "schemes_for_key",
    "sign",
    "tls13_signed_content",
    "verify",
]

# What C isspace() skips: CONF_parse_list trims it around each element.
_C_SPACE = " \t\n\v\f\r"

PrivateKey: TypeAlias = (
    ec.EllipticCurvePrivateKey
    | rsa.RSAPrivateKey
    | ed25519.Ed25519PrivateKey
    | ed448.Ed448PrivateKey
)
PublicKey: TypeAlias = (
    ec.EllipticCurvePublicKey | rsa.RSAPublicKey | ed25519.Ed25519PublicKey | ed448.Ed448PublicKey
)
AnyKey: TypeAlias = PrivateKey | PublicKey


@dataclass(frozen=True, slots=True)
class SchemeInfo:
    """One row of OpenSSL's sigalg_lookup_tbl."""

    scheme: int
    name: str  # IANA name, also what SSL_CTX_set1_sigalgs_list accepts
    kind: str  # ecdsa, rsa_pss_rsae, rsa_pss_pss, rsa_pkcs1, ed25519, ed448
    hash: type[hashes.HashAlgorithm] | None  # None: the scheme hashes internally (EdDSA)
    curve: str | None = None  # cryptography's curve name an ECDSA scheme is bound to in 1.3
    sig_name: str = ""  # "Peer signature type" as s_client prints it
    tls13: bool = True  # allowed for TLS 1.3 handshake signatures

    @property
    def hash_name(self) -> str | None:
        """"Peer signing digest" as s_client prints it ("SHA256"), None for EdDSA."""
        return None if self.hash is None else hash_name(self.hash).upper()


def _row(
    scheme: int, name: str, kind: str, h: type[hashes.HashAlgorithm] | None,
    curve: str | None = None, *, tls13: bool = True,
) -> SchemeInfo:
    sig_name = {
        "ecdsa": "ECDSA", "rsa_pss_rsae": "RSA-PSS", "rsa_pss_pss": "RSA-PSS",
        "rsa_pkcs1": "RSA", "ed25519": "Ed25519", "ed448": "Ed448",
    }[kind]
    return SchemeInfo(scheme, name, kind, h, curve, sig_name, tls13)


# In the order of OpenSSL's sigalg_lookup_tbl: where a "sig+hash" pair is
# ambiguous (RSA-PSS+SHA256), the first row wins, as in OpenSSL.
_TABLE: tuple[SchemeInfo, ...] = (
    _row(0x0403, "ecdsa_secp256r1_sha256", "ecdsa", hashes.SHA256, "secp256r1"),
    _row(0x0503, "ecdsa_secp384r1_sha384", "ecdsa", hashes.SHA384, "secp384r1"),
    _row(0x0603, "ecdsa_secp521r1_sha512", "ecdsa", hashes.SHA512, "secp521r1"),
    _row(0x0807, "ed25519", "ed25519", None),
    _row(0x0808, "ed448", "ed448", None),
    _row(0x0203, "ecdsa_sha1", "ecdsa", hashes.SHA1, tls13=False),
    _row(0x0804, "rsa_pss_rsae_sha256", "rsa_pss_rsae", hashes.SHA256),
    _row(0x0805, "rsa_pss_rsae_sha384", "rsa_pss_rsae", hashes.SHA384),
    _row(0x0806, "rsa_pss_rsae_sha512", "rsa_pss_rsae", hashes.SHA512),
    _row(0x0809, "rsa_pss_pss_sha256", "rsa_pss_pss", hashes.SHA256),
    _row(0x080A, "rsa_pss_pss_sha384", "rsa_pss_pss", hashes.SHA384),
    _row(0x080B, "rsa_pss_pss_sha512", "rsa_pss_pss", hashes.SHA512),
    _row(0x0401, "rsa_pkcs1_sha256", "rsa_pkcs1", hashes.SHA256, tls13=False),
    _row(0x0501, "rsa_pkcs1_sha384", "rsa_pkcs1", hashes.SHA384, tls13=False),
    _row(0x0601, "rsa_pkcs1_sha512", "rsa_pkcs1", hashes.SHA512, tls13=False),
    _row(0x0201, "rsa_pkcs1_sha1", "rsa_pkcs1", hashes.SHA1, tls13=False),
)
_BY_CODE: dict[int, SchemeInfo] = {row.scheme: row for row in _TABLE}
SUPPORTED_SCHEMES: tuple[int, ...] = tuple(row.scheme for row in _TABLE)

# OpenSSL 3.0's default signature_algorithms (tls12_sigalgs), in its order,
# after the default security level has dropped the SHA-1/SHA-224 and DSA rows.
DEFAULT_SIGALGS: tuple[int, ...] = (
    0x0403, 0x0503, 0x0603,  # ECDSA P-256/SHA-256, P-384/SHA-384, P-521/SHA-512
    0x0807, 0x0808,  # Ed25519, Ed448
    0x0809, 0x080A, 0x080B,  # RSA-PSS with RSASSA-PSS keys
    0x0804, 0x0805, 0x0806,  # RSA-PSS with rsaEncryption keys
    0x0401, 0x0501, 0x0601,  # RSA PKCS#1 v1.5 (TLS 1.2 and certificates only)
)


def scheme_info(scheme: int) -> SchemeInfo | None:
    """The table row for a scheme, or None if biokit cannot use it."""
    return _BY_CODE.get(scheme)


def _key_kind(key: object) -> tuple[str, str | None, int]:
    """(kind, curve name, size in bytes) of a cryptography key."""
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        return "ec", key.curve.name, (key.key_size + 7) // 8
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        return "rsa", None, (key.key_size + 7) // 8
    if isinstance(key, ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey):
        return "ed25519", None, 32
    if isinstance(key, ed448.Ed448PrivateKey | ed448.Ed448PublicKey):
        return "ed448", None, 57
    return "unknown", None, 0


def _kind_matches(info: SchemeInfo, kind: str, rsa_pss: bool) -> bool:
    if info.kind == "ecdsa":
        return kind == "ec"
    if info.kind == "rsa_pss_pss":
        return kind == "rsa" and rsa_pss
    if info.kind in ("rsa_pss_rsae", "rsa_pkcs1"):
        return kind == "rsa" and not rsa_pss
    return info.kind == kind


def _pss_key_big_enough(info: SchemeInfo, size: int) -> bool:
    # rsa_pss_check_min_key_size: emLen >= 2 * hLen + 2 with salt = hash length.
    if info.kind not in ("rsa_pss_rsae", "rsa_pss_pss") or info.hash is None:
        return True
    return size >= 2 * hash_len(info.hash) + 2


def _usable(info: SchemeInfo, key: AnyKey, tls13: bool, rsa_pss: bool) -> bool:
    kind, curve, size = _key_kind(key)
    if not _kind_matches(info, kind, rsa_pss):
        return False
    if tls13 and (not info.tls13 or (info.curve is not None and info.curve != curve)):
        return False
    return _pss_key_big_enough(info, size)


def scheme_matches_key(
    scheme: int, public_key: AnyKey, *, tls13: bool, rsa_pss: bool = False
) -> bool:
    """Whether ``scheme`` can be used with ``public_key`` at this version."""
    info = _BY_CODE.get(scheme)
    return info is not None and _usable(info, public_key, tls13, rsa_pss)


def schemes_for_key(
    key: AnyKey, *, tls13: bool, rsa_pss: bool = False, ours: Sequence[int] = DEFAULT_SIGALGS
) -> list[int]:
    """The schemes ``key`` can sign with, in OpenSSL's preference order (our list's)."""
    out = []
    for scheme in ours:
        info = _BY_CODE.get(scheme)
        if info is not None and _usable(info, key, tls13, rsa_pss):
            out.append(scheme)
    return out


def choose_scheme(
    key: AnyKey,
    peer_schemes: Iterable[int],
    *,
    tls13: bool,
    rsa_pss: bool = False,
    ours: Sequence[int] = DEFAULT_SIGALGS,
    prefer_ours: bool = False,
) -> int | None:
    """tls_choose_sigalg: the scheme to sign with, or None when nothing is shared.

    The shared list is ours intersected with the peer's, in the peer's order
    unless ``prefer_ours`` (SSL_OP_CIPHER_SERVER_PREFERENCE), as in
    tls1_set_shared_sigalgs; the first one the key can use wins.
    """
    mine = schemes_for_key(key, tls13=tls13, rsa_pss=rsa_pss, ours=ours)
    peer = list(peer_schemes)
    if prefer_ours:
        peer_set = set(peer)
        return next((s for s in mine if s in peer_set), None)
    mine_set = set(mine)
    return next((s for s in peer if s in mine_set), None)


def check_peer_scheme(
    scheme: int,
    public_key: AnyKey,
    *,
    tls13: bool,
    sent: Sequence[int] = DEFAULT_SIGALGS,
    rsa_pss: bool = False,
) -> SchemeInfo:
    """tls12_check_peer_sigalg: validate the scheme the peer signed with.

    Raises ``TLSError`` as OpenSSL fails: illegal_parameter with
    WRONG_SIGNATURE_TYPE for an unknown scheme, one that does not fit the key
    (or the version), or one we did not offer; WRONG_CURVE for an ECDSA scheme
    bound to another curve in TLS 1.3.  An unoffered SHA-1 scheme is refused by
    the default security level instead (handshake_failure).
    """
    info = _BY_CODE.get(scheme)
    kind, curve, size = _key_kind(public_key)
    if (
        info is None
        or (tls13 and not info.tls13)
        or not _kind_matches(info, kind, rsa_pss)
    ):
        raise TLSError(
            AlertDescription.illegal_parameter,
            SSLReason.WRONG_SIGNATURE_TYPE,
            f"scheme {scheme:#06x} for a {kind} key",
        )
    if tls13 and info.curve is not None and info.curve != curve:
        raise TLSError(AlertDescription.illegal_parameter, SSLReason.WRONG_CURVE)
    if scheme not in sent:
        if info.hash is hashes.SHA1:
            raise TLSError(AlertDescription.handshake_failure, SSLReason.WRONG_SIGNATURE_TYPE)
        raise TLSError(
            AlertDescription.illegal_parameter,
            SSLReason.WRONG_SIGNATURE_TYPE,
            f"scheme {scheme:#06x} was not offered",
        )
    if not _pss_key_big_enough(info, size):
        raise TLSError(AlertDescription.illegal_parameter, SSLReason.WRONG_SIGNATURE_TYPE)
    return info


def _pss(h: type[hashes.HashAlgorithm]) -> padding.PSS:
    # RFC 8446 4.2.3: MGF1 with the same hash, salt as long as the digest.
    return padding.PSS(mgf=padding.MGF1(h()), salt_length=hash_len(h))


def sign(private_key: PrivateKey, scheme: int, data: bytes) -> bytes:
    """Sign ``data`` with ``scheme`` (EVP_DigestSign as tls_construct_cert_verify uses it)."""
    info = _BY_CODE.get(scheme)
    kind = _key_kind(private_key)[0]
    if info is None or not _kind_matches(info, kind, info.kind == "rsa_pss_pss"):
        raise ValueError(f"cannot sign with scheme {scheme:#06x} using a {kind} key")
    h = info.hash
    if isinstance(private_key, ec.EllipticCurvePrivateKey) and h is not None:
        return private_key.sign(data, ec.ECDSA(h()))
    if isinstance(private_key, rsa.RSAPrivateKey) and h is not None:
        pad = padding.PKCS1v15() if info.kind == "rsa_pkcs1" else _pss(h)
        return private_key.sign(data, pad, h())
    if isinstance(private_key, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey):
        return private_key.sign(data)
    raise ValueError(f"cannot sign with scheme {scheme:#06x}")


def verify(public_key: PublicKey, scheme: int, signature: bytes, data: bytes) -> None:
    """Check a peer's signature; failure is decrypt_error / BAD_SIGNATURE, as in OpenSSL.

    A scheme that does not fit the key at all is illegal_parameter /
    WRONG_SIGNATURE_TYPE (normally caught earlier by ``check_peer_scheme``).
    """
    info = _BY_CODE.get(scheme)
    kind = _key_kind(public_key)[0]
    if info is None or not _kind_matches(info, kind, info.kind == "rsa_pss_pss"):
        raise TLSError(
            AlertDescription.illegal_parameter,
            SSLReason.WRONG_SIGNATURE_TYPE,
            f"scheme {scheme:#06x} for a {kind} key",
        )
    h = info.hash
    try:
        if isinstance(public_key, ec.EllipticCurvePublicKey) and h is not None:
            public_key.verify(signature, data, ec.ECDSA(h()))
        elif isinstance(public_key, rsa.RSAPublicKey) and h is not None:
            pad = padding.PKCS1v15() if info.kind == "rsa_pkcs1" else _pss(h)
            public_key.verify(signature, data, pad, h())
        elif isinstance(public_key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
            public_key.verify(signature, data)
        else:  # pragma: no cover - excluded by _kind_matches
            raise InvalidSignature
    except (InvalidSignature, ValueError):
        raise TLSError(AlertDescription.decrypt_error, SSLReason.BAD_SIGNATURE) from None


_SERVER_CONTEXT = b" " * 64 + b"TLS 1.3, server CertificateVerify\x00"
_CLIENT_CONTEXT = b" " * 64 + b"TLS 1.3, client CertificateVerify\x00"


def tls13_signed_content(server: bool, transcript_hash: bytes) -> bytes:
    """What a TLS 1.3 CertificateVerify signs (RFC 8446 4.4.3, get_cert_verify_tbs_data)."""
    return (_SERVER_CONTEXT if server else _CLIENT_CONTEXT) + transcript_hash


# --- SSL_CTX_set1_sigalgs_list -------------------------------------------------------------

_SIG_WORDS = {
    "rsa": "rsa_pkcs1", "rsa-pss": "rsa_pss_rsae", "pss": "rsa_pss_rsae", "ecdsa": "ecdsa",
}
# OBJ_sn2nid then OBJ_ln2nid: the short names are upper case, the long names lower.
_HASH_WORDS: dict[str, type[hashes.HashAlgorithm]] = {
    "SHA1": hashes.SHA1, "sha1": hashes.SHA1,
    "SHA256": hashes.SHA256, "sha256": hashes.SHA256,
    "SHA384": hashes.SHA384, "sha384": hashes.SHA384,
    "SHA512": hashes.SHA512, "sha512": hashes.SHA512,
}
_BY_NAME: dict[str, int] = {row.name: row.scheme for row in _TABLE}


def _sig_elem(elem: str) -> int | None:
    if "+" not in elem:
        return _BY_NAME.get(elem.lower())
    left, _, right = elem.partition("+")
    kind: str | None = None
    h: type[hashes.HashAlgorithm] | None = None
    for word in (left, right):
        if word.lower() in _SIG_WORDS:
            kind = _SIG_WORDS[word.lower()]
        else:
            h = _HASH_WORDS.get(word, h)
    if kind is None or h is None:
        return None
    for row in _TABLE:
        if row.kind == kind and row.hash is h:
            return row.scheme
    return None


def parse_sigalgs_list(s: str) -> list[int] | None:
    """SSL_CTX_set1_sigalgs_list: ``:``-separated schemes; None where OpenSSL fails.

    Elements are IANA names ("rsa_pss_rsae_sha256", "ed25519") or
    ``SIG+HASH`` pairs ("ECDSA+SHA256", "RSA-PSS+SHA384", "RSA+SHA256"), case
    as newer OpenSSL accepts it; ``RSA-PSS+hash`` means the rsae scheme.  An
    unknown element fails the call unless prefixed with ``?``; repeats are
    dropped; an empty result fails.  Schemes biokit cannot use (DSA, SHA-224,
    brainpool) count as unknown.
    """
    out: list[int] = []
    for raw in s.split(":"):
        elem = raw.strip(_C_SPACE)
        optional = elem.startswith("?")
        if optional:
            elem = elem[1:]
        if not elem or elem.endswith("+"):
            return None
        scheme = _sig_elem(elem)
        if scheme is None:
            if optional:
                continue
            return None
        if scheme not in out:
            out.append(scheme)
    return out or None
