"""Key exchange groups: key shares, shared secrets, OpenSSL's group names and lists.

One ``KeyShare`` per group and handshake: ``public`` is what goes on the wire
(TLS 1.3 KeyShareEntry.key_exchange, or the TLS 1.2 ServerKeyExchange /
ClientKeyExchange ECPoint, which has the same encoding) and ``shared()``
combines it with the peer's share.  ``server_key_share`` is the one-shot
server side, which for the ML-KEM hybrid is an encapsulation rather than a
key pair.

Peer shares are validated as OpenSSL does: a wrong length, a point not on the
curve, a compressed point, or an X25519/X448 result of all zeros (RFC 8446
7.4.2) is ``illegal_parameter`` with SSL_R_BAD_ECPOINT.
"""

from __future__ import annotations

from collections.abc import Callable

from cryptography.hazmat.primitives.asymmetric import ec, x448, x25519
from cryptography.hazmat.primitives.asymmetric.mlkem import MLKEM768PrivateKey, MLKEM768PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from biokit.errors import SSLReason
from biokit.ssl.tls.enums import AlertDescription, NamedGroup
from biokit.ssl.tls.errors import TLSError

__all__ = [
    "DEFAULT_GROUPS",
    "SUPPORTED_GROUPS",
    "TLS12_GROUPS",
    "KeyShare",
    "decode_ecdh_params",
    "encode_ecdh_params",
    "generate_key_share",
    "group_bits",
    "group_name",
    "group_tls_name",
    "is_supported",
    "parse_groups_list",
    "server_key_share",
    "temp_key_description",
]

# What C isspace() skips: CONF_parse_list trims it around each element.
_C_SPACE = " \t\n\v\f\r"

SUPPORTED_GROUPS: tuple[int, ...] = (
    NamedGroup.x25519,
    NamedGroup.x448,
    NamedGroup.secp256r1,
    NamedGroup.secp384r1,
    NamedGroup.secp521r1,
    NamedGroup.X25519MLKEM768,
)

# OpenSSL 3.0's supported_groups_default, minus the FFDHE groups biokit lacks.
# The client sends a key share for the first one only.
DEFAULT_GROUPS: tuple[int, ...] = (
    NamedGroup.x25519,
    NamedGroup.secp256r1,
    NamedGroup.x448,
    NamedGroup.secp521r1,
    NamedGroup.secp384r1,
)

# The hybrid is defined for TLS 1.3 only.
TLS12_GROUPS: tuple[int, ...] = tuple(g for g in SUPPORTED_GROUPS if g != NamedGroup.X25519MLKEM768)

_EC_CURVES: dict[int, tuple[type[ec.EllipticCurve], int]] = {
    NamedGroup.secp256r1: (ec.SECP256R1, 65),
    NamedGroup.secp384r1: (ec.SECP384R1, 97),
    NamedGroup.secp521r1: (ec.SECP521R1, 133),
}

_MLKEM768_EK_LEN = 1184
_MLKEM768_CT_LEN = 1088
_X25519_LEN = 32
_X448_LEN = 56


Rng = Callable[[int], bytes]

# Group orders, to turn seeded bytes into a valid private scalar.
_EC_ORDERS: dict[int, int] = {
    NamedGroup.secp256r1: int(
        "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551", 16
    ),
    NamedGroup.secp384r1: int(
        "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf"
        "581a0db248b0a77aecec196accc52973",
        16,
    ),
    NamedGroup.secp521r1: int(
        "01ff" + "ffffffff" * 7 + "fffffffa"
        "51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409",
        16,
    ),
}


def _bad_share(detail: str) -> TLSError:
    return TLSError(AlertDescription.illegal_parameter, SSLReason.BAD_ECPOINT, detail)


def _x25519_peer(data: bytes) -> x25519.X25519PublicKey:
    if len(data) != _X25519_LEN:
        raise _bad_share(f"X25519 share of {len(data)} bytes")
    return x25519.X25519PublicKey.from_public_bytes(data)


def _x25519_exchange(priv: x25519.X25519PrivateKey, peer: bytes) -> bytes:
    try:
        return priv.exchange(_x25519_peer(peer))
    except ValueError:
        raise _bad_share("X25519 shared secret is all zeros") from None


class KeyShare:
    """Our ephemeral key for one group (the EVP_PKEY behind a key_share)."""

    __slots__ = ("group", "public")

    def __init__(self, group: int, public: bytes) -> None:
        self.group = group
        self.public = public

    def shared(self, peer_public: bytes) -> bytes:
        """The shared secret with the peer's share (ssl_derive / ssl_decapsulate)."""
        raise NotImplementedError


class _X25519Share(KeyShare):
    __slots__ = ("_priv",)

    def __init__(self, rng: Rng | None = None) -> None:
        self._priv = (
            x25519.X25519PrivateKey.generate()
            if rng is None
            else x25519.X25519PrivateKey.from_private_bytes(rng(32))
        )
        super().__init__(NamedGroup.x25519, self._priv.public_key().public_bytes_raw())

    def shared(self, peer_public: bytes) -> bytes:
        return _x25519_exchange(self._priv, peer_public)


class _X448Share(KeyShare):
    __slots__ = ("_priv",)

    def __init__(self, rng: Rng | None = None) -> None:
        self._priv = (
            x448.X448PrivateKey.generate()
            if rng is None
            else x448.X448PrivateKey.from_private_bytes(rng(56))
        )
        super().__init__(NamedGroup.x448, self._priv.public_key().public_bytes_raw())

    def shared(self, peer_public: bytes) -> bytes:
        if len(peer_public) != _X448_LEN:
            raise _bad_share(f"X448 share of {len(peer_public)} bytes")
        try:
            return self._priv.exchange(x448.X448PublicKey.from_public_bytes(peer_public))
        except ValueError:
            raise _bad_share("X448 shared secret is all zeros") from None


class _ECShare(KeyShare):
    __slots__ = ("_curve", "_point_len", "_priv")

    def __init__(self, group: int, rng: Rng | None = None) -> None:
        curve_cls, self._point_len = _EC_CURVES[group]
        self._curve = curve_cls()
        if rng is None:
            self._priv = ec.generate_private_key(self._curve)
        else:
            # A scalar in [1, n-1] from the given bytes (extra 8 bytes keep the bias tiny).
            order = _EC_ORDERS[group]
            nbytes = (order.bit_length() + 7) // 8 + 8
            scalar = int.from_bytes(rng(nbytes), "big") % (order - 1) + 1
            self._priv = ec.derive_private_key(scalar, self._curve)
        public = self._priv.public_key().public_bytes(
            Encoding.X962, PublicFormat.UncompressedPoint
        )
        super().__init__(group, public)

    def shared(self, peer_public: bytes) -> bytes:
        # Only the uncompressed form is allowed (RFC 8446 4.2.8.2; RFC 8422 with
        # the uncompressed-only ec_point_formats OpenSSL sends).
        if len(peer_public) != self._point_len or peer_public[0] != 4:
            raise _bad_share("EC point of wrong length or form")
        try:
            peer = ec.EllipticCurvePublicKey.from_encoded_point(self._curve, peer_public)
            return self._priv.exchange(ec.ECDH(), peer)
        except ValueError:
            raise _bad_share("invalid EC point") from None


class _X25519MLKEM768Share(KeyShare):
    """Client side of X25519MLKEM768: ML-KEM-768 encapsulation key || X25519 share."""

    __slots__ = ("_kem", "_x")

    def __init__(self, rng: Rng | None = None) -> None:
        if rng is None:
            self._kem = MLKEM768PrivateKey.generate()
            self._x = x25519.X25519PrivateKey.generate()
        else:
            self._kem = MLKEM768PrivateKey.from_seed_bytes(rng(64))
            self._x = x25519.X25519PrivateKey.from_private_bytes(rng(32))
        public = self._kem.public_key().public_bytes_raw() + self._x.public_key().public_bytes_raw()
        super().__init__(NamedGroup.X25519MLKEM768, public)

    def shared(self, peer_public: bytes) -> bytes:
        # Server share = ML-KEM ciphertext || X25519 share; secret = ML-KEM || X25519.
        if len(peer_public) != _MLKEM768_CT_LEN + _X25519_LEN:
            raise _bad_share(f"X25519MLKEM768 share of {len(peer_public)} bytes")
        try:
            kem_secret = self._kem.decapsulate(peer_public[:_MLKEM768_CT_LEN])
        except ValueError:
            raise _bad_share("invalid ML-KEM-768 ciphertext") from None
        return kem_secret + _x25519_exchange(self._x, peer_public[_MLKEM768_CT_LEN:])


def is_supported(group: int) -> bool:
    """Whether biokit can do key exchange in ``group``."""
    return group in SUPPORTED_GROUPS


def generate_key_share(group: int, rng: Rng | None = None) -> KeyShare:
    """A fresh key share for ``group`` (ssl_generate_pkey_group).

    ``rng`` (tests only) makes the private key a function of the bytes it
    returns, so a seeded handshake can be replayed byte for byte.
    """
    if group == NamedGroup.x25519:
        return _X25519Share(rng)
    if group == NamedGroup.x448:
        return _X448Share(rng)
    if group in _EC_CURVES:
        return _ECShare(group, rng)
    if group == NamedGroup.X25519MLKEM768:
        return _X25519MLKEM768Share(rng)
    raise ValueError(f"unsupported group {group:#06x}")


def server_key_share(
    group: int, client_public: bytes, rng: Rng | None = None
) -> tuple[bytes, bytes]:
    """The server's answer to a client share: (server share, shared secret).

    For X25519MLKEM768 this encapsulates to the client's ML-KEM key
    (ssl_encapsulate; its randomness comes from OpenSSL even with ``rng``);
    for the ECDH groups it is a fresh key pair.
    """
    if group != NamedGroup.X25519MLKEM768:
        share = generate_key_share(group, rng)
        return share.public, share.shared(client_public)
    if len(client_public) != _MLKEM768_EK_LEN + _X25519_LEN:
        raise _bad_share(f"X25519MLKEM768 share of {len(client_public)} bytes")
    try:
        ek = MLKEM768PublicKey.from_public_bytes(client_public[:_MLKEM768_EK_LEN])
    except ValueError:
        raise _bad_share("invalid ML-KEM-768 encapsulation key") from None
    kem_secret, ciphertext = ek.encapsulate()
    x = (
        x25519.X25519PrivateKey.generate()
        if rng is None
        else x25519.X25519PrivateKey.from_private_bytes(rng(32))
    )
    x_secret = _x25519_exchange(x, client_public[_MLKEM768_EK_LEN:])
    return ciphertext + x.public_key().public_bytes_raw(), kem_secret + x_secret


# --- TLS 1.2 ECDHE ---------------------------------------------------------------------------

_NAMED_CURVE = 3  # ECCurveType.named_curve


def encode_ecdh_params(group: int, public: bytes) -> bytes:
    """ServerECDHParams (RFC 8422 5.4): named_curve, the group, the point (what is signed)."""
    return bytes((_NAMED_CURVE,)) + group.to_bytes(2, "big") + bytes((len(public),)) + public


def decode_ecdh_params(data: bytes, allowed: tuple[int, ...] | list[int]) -> tuple[int, bytes, int]:
    """Parse ServerECDHParams at the start of ``data``: (group, point, bytes consumed).

    As tls_process_ske_ecdhe: a short read is decode_error (LENGTH_TOO_SHORT /
    LENGTH_MISMATCH), another curve type or a group we did not offer is
    illegal_parameter (WRONG_CURVE).  The point itself is checked by
    ``KeyShare.shared``.
    """
    if len(data) < 3:
        raise TLSError(AlertDescription.decode_error, SSLReason.LENGTH_TOO_SHORT)
    group = int.from_bytes(data[1:3], "big")
    if data[0] != _NAMED_CURVE or group not in allowed or group not in TLS12_GROUPS:
        raise TLSError(AlertDescription.illegal_parameter, SSLReason.WRONG_CURVE)
    if len(data) < 4 or len(data) < 4 + data[3] or data[3] == 0:
        raise TLSError(AlertDescription.decode_error, SSLReason.LENGTH_MISMATCH)
    end = 4 + data[3]
    return group, bytes(data[4:end]), end


# --- names ----------------------------------------------------------------------------------

_NAME_TO_GROUP: dict[str, int] = {
    "x25519": NamedGroup.x25519,
    "x448": NamedGroup.x448,
    "p-256": NamedGroup.secp256r1,
    "prime256v1": NamedGroup.secp256r1,
    "secp256r1": NamedGroup.secp256r1,
    "p-384": NamedGroup.secp384r1,
    "secp384r1": NamedGroup.secp384r1,
    "p-521": NamedGroup.secp521r1,
    "secp521r1": NamedGroup.secp521r1,
    "x25519mlkem768": NamedGroup.X25519MLKEM768,
}

# What `openssl s_client` prints ("Server Temp Key", "Negotiated TLS1.3 group"):
# the short name of the key type for X25519/X448, the curve's short name for EC.
_DISPLAY_NAMES: dict[int, str] = {
    NamedGroup.x25519: "X25519",
    NamedGroup.x448: "X448",
    NamedGroup.secp256r1: "prime256v1",
    NamedGroup.secp384r1: "secp384r1",
    NamedGroup.secp521r1: "secp521r1",
    NamedGroup.X25519MLKEM768: "X25519MLKEM768",
}

# SSL_get0_group_name: the TLS names of the provider's group table.
_TLS_NAMES: dict[int, str] = {
    NamedGroup.x25519: "x25519",
    NamedGroup.x448: "x448",
    NamedGroup.secp256r1: "secp256r1",
    NamedGroup.secp384r1: "secp384r1",
    NamedGroup.secp521r1: "secp521r1",
    NamedGroup.X25519MLKEM768: "X25519MLKEM768",
}

# EVP_PKEY_get_bits of the ephemeral key.
_BITS: dict[int, int] = {
    NamedGroup.x25519: 253,
    NamedGroup.x448: 448,
    NamedGroup.secp256r1: 256,
    NamedGroup.secp384r1: 384,
    NamedGroup.secp521r1: 521,
}


def parse_groups_list(s: str) -> list[int] | None:
    """SSL_CTX_set1_groups_list: a ``:`` list of group names; None where OpenSSL fails.

    Names are matched without regard to case (as newer OpenSSL does; 3.0
    compares exactly but knows both "x25519" and "X25519"), surrounding spaces are
    ignored, and an unknown name, an empty element or a repeated group fails
    the whole call -- unless the name is prefixed with ``?``, which makes an
    unknown one ignored.  A list that ends up empty fails too.
    """
    out: list[int] = []
    for raw in s.split(":"):
        elem = raw.strip(_C_SPACE)
        optional = elem.startswith("?")
        if optional:
            elem = elem[1:]
        if not elem:
            return None
        group = _NAME_TO_GROUP.get(elem.lower())
        if group is None:
            if optional:
                continue
            return None
        if group in out:
            return None
        out.append(group)
    return out or None


def group_name(group: int) -> str:
    """The group as ``openssl s_client`` names it ("X25519", "prime256v1", ...)."""
    return _DISPLAY_NAMES.get(group, f"0x{group:04x}")


def group_tls_name(group: int) -> str:
    """SSL_get0_group_name / SSL_group_to_name: the TLS group name ("x25519", "secp256r1")."""
    return _TLS_NAMES.get(group, f"0x{group:04x}")


def group_bits(group: int) -> int:
    """The size OpenSSL reports for an ephemeral key of the group (0 for the hybrid)."""
    return _BITS.get(group, 0)


def temp_key_description(group: int) -> str:
    """The text after ``Server Temp Key: `` in ``openssl s_client`` (OpenSSL 3.0 style)."""
    if group in _EC_CURVES:
        return f"ECDH, {group_name(group)}, {group_bits(group)} bits"
    if group in _BITS:
        return f"{group_name(group)}, {group_bits(group)} bits"
    return group_name(group)
