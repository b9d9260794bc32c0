"""Cipher suites: the table, OpenSSL's names and defaults, and its two configuration syntaxes.

TLS 1.3 suites are configured with ``SSL_CTX_set_ciphersuites`` (a plain ``:``
list of IANA names); TLS 1.2 suites with ``SSL_CTX_set_cipher_list``, OpenSSL's
rule language (``ECDHE+AESGCM:!aRSA:@STRENGTH``).  Both parsers reproduce
``ssl/ssl_ciph.c`` for the suites biokit implements: the ECDHE suites with
AES-GCM and ChaCha20-Poly1305 (1.2) and the five TLS 1.3 suites (the two CCM
ones present but off by default, as in OpenSSL).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, TypeAlias

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESCCM, AESGCM, ChaCha20Poly1305

__all__ = [
    "ALL_SUITES",
    "DEFAULT_CIPHER_LIST",
    "DEFAULT_TLS12_SUITES",
    "DEFAULT_TLS13_CIPHERSUITES",
    "DEFAULT_TLS13_SUITES",
    "TLS12_SUITES",
    "TLS13_SUITES",
    "AEADCipher",
    "Suite",
    "parse_cipher_list",
    "parse_ciphersuites",
    "suite_by_id",
    "suite_by_name",
]

# What C isspace() skips: CONF_parse_list trims it around each element.
_C_SPACE = " \t\n\v\f\r"


Buffer: TypeAlias = bytes | bytearray | memoryview


class AEADCipher(Protocol):
    """What the record layer needs from an AEAD object (cryptography's AESGCM & co.)."""

    def encrypt(self, nonce: Buffer, data: Buffer, associated_data: Buffer | None, /) -> bytes:
        """Seal ``data``; returns ciphertext || tag."""
        ...

    def decrypt(self, nonce: Buffer, data: Buffer, associated_data: Buffer | None, /) -> bytes:
        """Open ciphertext || tag; raises cryptography's InvalidTag on failure."""
        ...

    def encrypt_into(
        self, nonce: Buffer, data: Buffer, associated_data: Buffer | None, buf: Buffer, /
    ) -> int:
        """Seal ``data`` into ``buf`` (len(data) + tag bytes); returns the bytes written."""
        ...


def _aes_ccm_8(key: bytes) -> AEADCipher:
    return AESCCM(key, tag_length=8)


@dataclass(frozen=True, slots=True)
class Suite:
    """One cipher suite (OpenSSL's ``SSL_CIPHER``)."""

    id: int
    name: str  # IANA (SSL_CIPHER_standard_name)
    openssl_name: str  # SSL_CIPHER_get_name
    version: int  # 0x0304 or 0x0303: the only version the suite is valid for
    hash: type[hashes.HashAlgorithm]  # handshake / PRF hash
    hash_len: int
    key_len: int
    iv_len: int  # TLS 1.3: 12; TLS 1.2 GCM: the 4-byte fixed (salt) part; ChaCha20: 12
    tag_len: int
    aead: Callable[[bytes], AEADCipher] = field(repr=False)
    auth: str | None  # "ECDSA" / "RSA" for TLS 1.2, None (any) for TLS 1.3
    kx: str | None  # "ECDHE" for TLS 1.2, None (any) for TLS 1.3
    bits: int  # SSL_CIPHER_get_bits (strength bits)
    enc: str  # OpenSSL's Enc= text in SSL_CIPHER_description, without the bits
    explicit_nonce_len: int = 0  # bytes of nonce carried in each TLS 1.2 record
    default: bool = True  # in OpenSSL's default list (the CCM suites are not)
    alg_bits: int = 0  # second result of SSL_CIPHER_get_bits; 0 means "same as bits"

    @property
    def protocol(self) -> str:
        """SSL_CIPHER_get_version: ``"TLSv1.3"`` or ``"TLSv1.2"``."""
        return "TLSv1.3" if self.version == 0x0304 else "TLSv1.2"

    @property
    def algorithm_bits(self) -> int:
        """The ``alg_bits`` out-parameter of SSL_CIPHER_get_bits."""
        return self.alg_bits or self.bits

    @property
    def protocol_id(self) -> bytes:
        """SSL_CIPHER_get_protocol_id, as the two bytes sent on the wire."""
        return self.id.to_bytes(2, "big")

    def description(self) -> str:
        """SSL_CIPHER_description: the line ``openssl ciphers -v`` prints (with ``\\n``)."""
        kx = "any" if self.kx is None else "ECDH"
        au = "any" if self.auth is None else self.auth
        enc = f"{self.enc}({self.algorithm_bits})"
        return (
            f"{self.openssl_name:<30} {self.protocol:<7} Kx={kx:<8} Au={au:<5} "
            f"Enc={enc:<22} Mac=AEAD\n"
        )


def _s13(
    id: int, name: str, h: type[hashes.HashAlgorithm], key_len: int, tag_len: int,
    aead: Callable[[bytes], AEADCipher], bits: int, enc: str, *, default: bool = True,
) -> Suite:
    hash_len = 48 if h is hashes.SHA384 else 32
    return Suite(
        id=id, name=name, openssl_name=name, version=0x0304, hash=h, hash_len=hash_len,
        key_len=key_len, iv_len=12, tag_len=tag_len, aead=aead, auth=None, kx=None,
        bits=bits, enc=enc, default=default,
    )


def _s12(
    id: int, name: str, openssl_name: str, h: type[hashes.HashAlgorithm], key_len: int,
    auth: str, chacha: bool,
) -> Suite:
    return Suite(
        id=id, name=name, openssl_name=openssl_name, version=0x0303, hash=h,
        hash_len=48 if h is hashes.SHA384 else 32, key_len=key_len,
        iv_len=12 if chacha else 4, tag_len=16,
        aead=ChaCha20Poly1305 if chacha else AESGCM, auth=auth, kx="ECDHE",
        bits=key_len * 8, enc="CHACHA20/POLY1305" if chacha else "AESGCM",
        explicit_nonce_len=0 if chacha else 8,
    )


TLS_AES_128_GCM_SHA256 = _s13(0x1301, "TLS_AES_128_GCM_SHA256", hashes.SHA256, 16, 16,
                              AESGCM, 128, "AESGCM")
TLS_AES_256_GCM_SHA384 = _s13(0x1302, "TLS_AES_256_GCM_SHA384", hashes.SHA384, 32, 16,
                              AESGCM, 256, "AESGCM")
TLS_CHACHA20_POLY1305_SHA256 = _s13(0x1303, "TLS_CHACHA20_POLY1305_SHA256", hashes.SHA256, 32,
                                    16, ChaCha20Poly1305, 256, "CHACHA20/POLY1305")
TLS_AES_128_CCM_SHA256 = _s13(0x1304, "TLS_AES_128_CCM_SHA256", hashes.SHA256, 16, 16,
                              AESCCM, 128, "AESCCM", default=False)
TLS_AES_128_CCM_8_SHA256 = _s13(0x1305, "TLS_AES_128_CCM_8_SHA256", hashes.SHA256, 16, 8,
                                _aes_ccm_8, 128, "AESCCM8", default=False)

# In the order of OpenSSL's cipher table (ssl/s3_lib.c), which is what
# set_ciphersuites falls back to for listing; preference order is separate.
TLS13_SUITES: tuple[Suite, ...] = (
    TLS_AES_128_GCM_SHA256,
    TLS_AES_256_GCM_SHA384,
    TLS_CHACHA20_POLY1305_SHA256,
    TLS_AES_128_CCM_SHA256,
    TLS_AES_128_CCM_8_SHA256,
)

ECDHE_ECDSA_AES128_GCM = _s12(0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
                              "ECDHE-ECDSA-AES128-GCM-SHA256", hashes.SHA256, 16, "ECDSA", False)
ECDHE_ECDSA_AES256_GCM = _s12(0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
                              "ECDHE-ECDSA-AES256-GCM-SHA384", hashes.SHA384, 32, "ECDSA", False)
ECDHE_RSA_AES128_GCM = _s12(0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                            "ECDHE-RSA-AES128-GCM-SHA256", hashes.SHA256, 16, "RSA", False)
ECDHE_RSA_AES256_GCM = _s12(0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
                            "ECDHE-RSA-AES256-GCM-SHA384", hashes.SHA384, 32, "RSA", False)
ECDHE_RSA_CHACHA20 = _s12(0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
                          "ECDHE-RSA-CHACHA20-POLY1305", hashes.SHA256, 32, "RSA", True)
ECDHE_ECDSA_CHACHA20 = _s12(0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
                            "ECDHE-ECDSA-CHACHA20-POLY1305", hashes.SHA256, 32, "ECDSA", True)

# OpenSSL's base preference order for these six (what `openssl ciphers DEFAULT`
# prints): strongest first, AES-GCM before ChaCha20 within a strength, ECDSA
# before RSA.  Every rule string is applied on top of this order.
TLS12_SUITES: tuple[Suite, ...] = (
    ECDHE_ECDSA_AES256_GCM,
    ECDHE_RSA_AES256_GCM,
    ECDHE_ECDSA_CHACHA20,
    ECDHE_RSA_CHACHA20,
    ECDHE_ECDSA_AES128_GCM,
    ECDHE_RSA_AES128_GCM,
)

ALL_SUITES: tuple[Suite, ...] = TLS13_SUITES + TLS12_SUITES
_BY_ID: dict[int, Suite] = {s.id: s for s in ALL_SUITES}
_BY_STD_NAME: dict[str, Suite] = {s.name: s for s in ALL_SUITES}
_BY_OPENSSL_NAME: dict[str, Suite] = {s.openssl_name: s for s in ALL_SUITES}

DEFAULT_TLS13_CIPHERSUITES = (
    "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256"
)
DEFAULT_TLS13_SUITES: tuple[Suite, ...] = (
    TLS_AES_256_GCM_SHA384,
    TLS_CHACHA20_POLY1305_SHA256,
    TLS_AES_128_GCM_SHA256,
)
# OSSL_default_cipher_list() is "ALL:!COMPLEMENTOFDEFAULT:!eNULL".
DEFAULT_CIPHER_LIST = "DEFAULT"
DEFAULT_TLS12_SUITES: tuple[Suite, ...] = TLS12_SUITES


def suite_by_id(id: int) -> Suite | None:
    """SSL_CIPHER_find: the suite for a wire code point, or None if biokit lacks it."""
    return _BY_ID.get(id)


def suite_by_name(name: str) -> Suite | None:
    """Look a suite up by its IANA or OpenSSL name (exact, as OpenSSL compares)."""
    return _BY_STD_NAME.get(name) or _BY_OPENSSL_NAME.get(name)


# --- SSL_CTX_set_ciphersuites ------------------------------------------------------------


def parse_ciphersuites(s: str) -> list[Suite] | None:
    """SSL_CTX_set_ciphersuites: a ``:`` list of TLS 1.3 IANA names; None on failure.

    As ``ssl/ssl_ciph.c`` does: names are case-sensitive and trimmed of spaces,
    unknown names (and empty elements) are skipped, duplicates are kept, and the
    call fails only when a non-empty string yields nothing.  An empty string is a
    valid, empty list.  The standard name of a TLS 1.2 suite counts as "found"
    (OpenSSL accepts it into the list) but never takes part in TLS 1.3, so it is
    dropped from the result.
    """
    if s == "":
        return []
    found = 0
    out: list[Suite] = []
    for elem in s.split(":"):
        suite = _BY_STD_NAME.get(elem.strip(_C_SPACE))
        if suite is None:
            continue
        found += 1
        if suite.version == 0x0304:
            out.append(suite)
    return out if found else None


# --- SSL_CTX_set_cipher_list ---------------------------------------------------------------

_ITEM_SEP = frozenset(":, ;")
_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-.=")

_ECDSA = frozenset(s.id for s in TLS12_SUITES if s.auth == "ECDSA")
_RSA = frozenset(s.id for s in TLS12_SUITES if s.auth == "RSA")
_GCM = frozenset(s.id for s in TLS12_SUITES if s.enc == "AESGCM")
_CHACHA = frozenset(s.id for s in TLS12_SUITES if s.enc != "AESGCM")
_AES128 = frozenset(s.id for s in TLS12_SUITES if s.enc == "AESGCM" and s.bits == 128)
_AES256 = frozenset(s.id for s in TLS12_SUITES if s.enc == "AESGCM" and s.bits == 256)
_ALL = frozenset(s.id for s in TLS12_SUITES)
_NONE: frozenset[int] = frozenset()

# Aliases of ssl_ciph.c that select something among biokit's suites.  Aliases
# OpenSSL knows that select none of them (kRSA, DHE, PSK, CAMELLIA, SHA256 --
# a MAC alias, the AEAD suites have none --, COMPLEMENTOFDEFAULT, ...) behave
# exactly like unknown words here: the rule selects nothing.
_ALIASES: dict[str, frozenset[int]] = {
    "ALL": _ALL,
    "HIGH": _ALL,
    "kECDHE": _ALL, "kEECDH": _ALL, "ECDH": _ALL, "ECDHE": _ALL, "EECDH": _ALL,
    "aRSA": _RSA,
    "aECDSA": _ECDSA, "ECDSA": _ECDSA,
    "AESGCM": _GCM, "AES": _GCM, "AES128": _AES128, "AES256": _AES256,
    "CHACHA20": _CHACHA,
    "TLSv1.2": _ALL,
    "FIPS": _GCM,
}
for _s in TLS12_SUITES:
    _ALIASES[_s.openssl_name] = frozenset((_s.id,))


def _select(words: list[str]) -> frozenset[int]:
    """A ``A+B+C`` selector: the suites every word selects (ssl_ciph.c ANDs the masks)."""
    chosen = _ALL
    for w in words:
        chosen = chosen & _ALIASES.get(w, _NONE)
    return chosen


class _CipherOrder:
    """OpenSSL's CIPHER_ORDER list: every suite once, each active or not, in order."""

    def __init__(self) -> None:
        self.order: list[int] = [s.id for s in TLS12_SUITES]
        self.active: set[int] = set()

    def apply(self, rule: str, sel: frozenset[int]) -> None:
        if rule == "add":
            # Inactive matches move to the end, in list order, and become active.
            moved = [i for i in self.order if i in sel and i not in self.active]
            self.order = [i for i in self.order if i not in moved] + moved
            self.active.update(moved)
        elif rule == "ord":
            moved = [i for i in self.order if i in sel and i in self.active]
            self.order = [i for i in self.order if i not in moved] + moved
        elif rule == "del":
            # Deleted suites go to the head so a later add brings them back first.
            moved = [i for i in self.order if i in sel and i in self.active]
            self.order = moved + [i for i in self.order if i not in moved]
            self.active.difference_update(moved)
        else:  # kill: gone for good
            self.order = [i for i in self.order if i not in sel]
            self.active.difference_update(sel)

    def strength_sort(self) -> None:
        for bits in sorted({_BY_ID[i].bits for i in self.active}, reverse=True):
            self.apply("ord", frozenset(i for i in self.active if _BY_ID[i].bits == bits))

    def result(self) -> list[Suite]:
        return [_BY_ID[i] for i in self.order if i in self.active]


def _process_rules(rules: str, co: _CipherOrder) -> bool:
    """ssl_cipher_process_rulestr over biokit's suites; False on a syntax error."""
    ok = True
    i, n = 0, len(rules)
    while i < n:
        ch = rules[i]
        rule = "add"
        if ch in "-+!@":
            rule = {"-": "del", "+": "ord", "!": "kill", "@": "special"}[ch]
            i += 1
        if ch in _ITEM_SEP:
            i += 1
            continue
        words: list[str] = []
        while True:
            start = i
            while i < n and rules[i] in _NAME_CHARS:
                i += 1
            if i == start:
                # Neither a command, a separator nor a name: OpenSSL's INVALID_COMMAND.
                return False
            word = rules[start:i]
            words.append(word)
            if rule == "special" or i >= n or rules[i] != "+":
                break
            if word not in _ALIASES:
                # OpenSSL stops at an unknown word and skips the rest of the
                # element unparsed, so "FOO+$" is not a syntax error.
                break
            i += 1
        if rule == "special":
            word = words[0]
            if word == "STRENGTH":
                co.strength_sort()
            elif len(word) == 10 and word.startswith("SECLEVEL=") and word[9] in "012345":
                pass  # the security level belongs to the context; nothing here depends on it
            else:
                ok = False
        else:
            co.apply(rule, _select(words))
        while i < n and rules[i] not in _ITEM_SEP:
            i += 1
    return ok


def parse_cipher_list(s: str) -> list[Suite] | None:
    """SSL_CTX_set_cipher_list for the TLS 1.2 suites; None when OpenSSL would fail.

    Supports OpenSSL's rule language over biokit's six suites: suite names and
    the aliases that matter for them (ALL, DEFAULT at the start, HIGH, ECDHE,
    aRSA, aECDSA, AESGCM, AES128, AES256, CHACHA20, ...), ``A+B`` intersections,
    the ``!`` (kill), ``-`` (delete), ``+`` (move to end) prefixes,
    ``@STRENGTH``, ``@SECLEVEL=n``, and ``:`` ``,`` ``;`` or space as
    separators.  Unknown words select nothing.  Like OpenSSL it fails on a
    syntax error and when no TLS 1.2 suite is left (SSL_R_NO_CIPHER_MATCH).
    """
    co = _CipherOrder()
    rest = s
    if s.startswith("DEFAULT"):
        # Only a leading DEFAULT is special (and only its first 7 characters are
        # looked at, as in ssl_create_cipher_list).
        co.apply("add", _ALL)
        rest = s[7:]
        if rest.startswith(":"):
            rest = rest[1:]
    if not _process_rules(rest, co):
        return None
    out = co.result()
    return out or None
