"""The TLS 1.2 PRF and what is derived with it (RFC 5246, RFC 7627, RFC 5705).

OpenSSL's counterpart is ``ssl/t1_enc.c`` (tls1_PRF, tls1_generate_master_secret,
tls1_setup_key_block, tls1_final_finish_mac, tls1_export_keying_material).
Every function takes the suite's PRF hash class (SHA-256 or SHA-384).
"""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING

from biokit.errors import SSLReason
from biokit.ssl.tls.errors import TLSError
from biokit.ssl.tls.key_schedule import HashCls, hash_name

if TYPE_CHECKING:
    from biokit.ssl.tls.suites import Suite

__all__ = [
    "MASTER_SECRET_LEN",
    "VERIFY_DATA_LEN",
    "export_keying_material12",
    "extended_master_secret",
    "key_block",
    "master_secret",
    "prf",
    "split_key_block",
    "verify_data",
]

MASTER_SECRET_LEN = 48
VERIFY_DATA_LEN = 12

# Labels an exporter may not start with (tls1_export_keying_material compares
# each as a prefix of label || seed).
_FORBIDDEN_EXPORTER_PREFIXES = (
    b"client finished",
    b"server finished",
    b"master secret",
    b"extended master secret",
    b"key expansion",
)


def prf(hash_cls: HashCls, secret: bytes, label: bytes, seed: bytes, length: int) -> bytes:
    """PRF(secret, label, seed) = P_hash(secret, label + seed) (RFC 5246 section 5)."""
    name = hash_name(hash_cls)
    full_seed = label + seed
    a = full_seed
    out = bytearray()
    while len(out) < length:
        a = hmac.digest(secret, a, name)
        out += hmac.digest(secret, a + full_seed, name)
    return bytes(out[:length])


def master_secret(
    hash_cls: HashCls, pms: bytes, client_random: bytes, server_random: bytes
) -> bytes:
    """master_secret = PRF(pre_master_secret, "master secret", client_random + server_random)."""
    return prf(hash_cls, pms, b"master secret", client_random + server_random, MASTER_SECRET_LEN)


def extended_master_secret(hash_cls: HashCls, pms: bytes, session_hash: bytes) -> bytes:
    """RFC 7627: PRF(pre_master_secret, "extended master secret", session_hash)."""
    return prf(hash_cls, pms, b"extended master secret", session_hash, MASTER_SECRET_LEN)


def key_block(
    hash_cls: HashCls, master: bytes, client_random: bytes, server_random: bytes, length: int
) -> bytes:
    """key_block = PRF(master_secret, "key expansion", server_random + client_random)."""
    return prf(hash_cls, master, b"key expansion", server_random + client_random, length)


def split_key_block(
    suite: Suite, master: bytes, client_random: bytes, server_random: bytes
) -> tuple[bytes, bytes, bytes, bytes]:
    """The AEAD keys of a TLS 1.2 suite (no MAC keys).

    Returns (client write key, server write key, client write IV, server write IV).
    """
    k, v = suite.key_len, suite.iv_len
    block = key_block(suite.hash, master, client_random, server_random, 2 * (k + v))
    return block[:k], block[k : 2 * k], block[2 * k : 2 * k + v], block[2 * k + v :]


def verify_data(hash_cls: HashCls, master: bytes, label: bytes, handshake_hash: bytes) -> bytes:
    """Finished.verify_data: PRF(master, "client finished"/"server finished", hash)[:12]."""
    return prf(hash_cls, master, label, handshake_hash, VERIFY_DATA_LEN)


def export_keying_material12(
    hash_cls: HashCls,
    master: bytes,
    client_random: bytes,
    server_random: bytes,
    label: bytes,
    context: bytes | None,
    length: int,
) -> bytes:
    """RFC 5705 exporter for TLS 1.2 (tls1_export_keying_material).

    Unlike TLS 1.3, no context (None) and an empty context differ: only a given
    context is appended, with its 2-byte length.  A label that begins with one
    of the PRF's own labels fails with SSL_R_TLS_ILLEGAL_EXPORTER_LABEL.
    """
    seed = client_random + server_random
    if context is not None:
        if len(context) > 0xFFFF:
            raise ValueError("exporter context longer than 65535 bytes")
        seed += len(context).to_bytes(2, "big") + context
    value = label + seed
    if value.startswith(_FORBIDDEN_EXPORTER_PREFIXES):
        raise TLSError(None, SSLReason.TLS_ILLEGAL_EXPORTER_LABEL, "reserved exporter label")
    return prf(hash_cls, master, label, seed, length)
