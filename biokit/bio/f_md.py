"""BIO_f_md: a message-digest filter (OpenSSL's crypto/evp/bio_md.c).

Every byte that passes is hashed, in either direction: on read, what ``next``
returned; on write, only what ``next`` really accepted (a short write hashes
the accepted prefix, a retry hashes nothing).  Everything else -- retry flags,
``pending``, ``eof``, ``flush`` -- passes straight through.

``gets()`` is BIO_gets on an md BIO: when ``size`` is at least the digest size
it *finishes* the digest and returns it (a smaller ``size`` returns nothing).
As the manual says, the BIO must then be ``reset()`` (or given a new digest
with ``set_md``) before more data is digested: until then data still passes
through undigested and a second ``gets`` fails with -1 and "final error"
(current OpenSSL refuses a second EVP_DigestFinal_ex; 3.0 returned a
meaningless value).  ``digest()`` is the same
call with a large enough buffer.  ``puts()`` is unsupported (-2), as in C.

Digests are named as OpenSSL names them, case-insensitively: "sha256",
"SHA2-256", "sha1", "md5", "sha384", "sha512", "sha512-256", "sha3-256",
"blake2b512", "blake2s256", "md5-sha1", "sm3", "ripemd160"...; the work is
done by :mod:`hashlib` (OpenSSL underneath).

One deliberate difference: a DigestBIO without a digest refuses to move data
(read -1, write 0, "message digest is null") where OpenSSL would pass the
bytes on and then report failure, so no byte is ever lost or sent twice.
"""

from __future__ import annotations

import hashlib
from typing import Any, ClassVar, Protocol

from biokit.bio.core import BIOType, Ctrl, FilterBIO
from biokit.errors import BIOReason, Lib, put_error

__all__ = ["EVP_MAX_MD_SIZE", "DigestBIO", "HashContext", "digest_names"]

EVP_MAX_MD_SIZE = 64

# EVP_R_* reason codes used here (include/openssl/evperr.h).
_EVP_R_MESSAGE_DIGEST_IS_NULL = 159
_EVP_R_UNKNOWN_DIGEST = 161
_EVP_R_FINAL_ERROR = 188


class HashContext(Protocol):
    """What a digest context offers (hashlib's hash objects; EVP_MD_CTX)."""

    @property
    def digest_size(self) -> int: ...

    @property
    def name(self) -> str: ...

    def update(self, data: bytes | bytearray | memoryview, /) -> None: ...

    def digest(self) -> bytes: ...

    def copy(self) -> HashContext: ...


# OpenSSL short name (OBJ_nid2sn) -> (hashlib name, other names OpenSSL accepts).
_DIGESTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "MD5": ("md5", ("ssl3-md5",)),
    "SHA1": ("sha1", ("sha-1", "ssl3-sha1")),
    "SHA224": ("sha224", ("sha2-224", "sha-224")),
    "SHA256": ("sha256", ("sha2-256", "sha-256")),
    "SHA384": ("sha384", ("sha2-384", "sha-384")),
    "SHA512": ("sha512", ("sha2-512", "sha-512")),
    "SHA512-224": ("sha512_224", ("sha2-512/224", "sha-512/224")),
    "SHA512-256": ("sha512_256", ("sha2-512/256", "sha-512/256")),
    "SHA3-224": ("sha3_224", ()),
    "SHA3-256": ("sha3_256", ()),
    "SHA3-384": ("sha3_384", ()),
    "SHA3-512": ("sha3_512", ()),
    "BLAKE2b512": ("blake2b", ("blake2b-512",)),
    "BLAKE2s256": ("blake2s", ("blake2s-256",)),
    "MD5-SHA1": ("md5-sha1", ()),
    "SM3": ("sm3", ()),
    "RIPEMD160": ("ripemd160", ("ripemd-160", "ripemd", "rmd160")),
}

_BY_NAME: dict[str, tuple[str, str]] = {}
for _short, (_hl, _aliases) in _DIGESTS.items():
    for _alias in (_short, *_aliases):
        _BY_NAME[_alias.lower()] = (_short, _hl)


def digest_names() -> list[str]:
    """The OpenSSL short names of the digests this build can compute."""
    out = []
    for short, (hl, _) in _DIGESTS.items():
        try:
            hashlib.new(hl)
        except ValueError:
            continue
        out.append(short)
    return out


def _new_context(name: str) -> tuple[str, HashContext] | None:
    """EVP_get_digestbyname + EVP_DigestInit_ex: (short name, fresh context) or None."""
    entry = _BY_NAME.get(name.lower())
    if entry is None:
        return None
    short, hl = entry
    try:
        ctx: HashContext = hashlib.new(hl)
    except ValueError:
        return None
    return short, ctx


class DigestBIO(FilterBIO):
    """A digest filter (BIO_f_md + BIO_set_md): hashes every byte that passes through."""

    bio_type: ClassVar[int] = BIOType.MD
    bio_name: ClassVar[str] = "message digest"
    __slots__ = ("_ctx", "_finalised", "_md")

    def __init__(self, md: str | None = "sha256") -> None:
        super().__init__()
        self._md: str | None = None
        self._ctx: HashContext | None = None
        self._finalised = False
        if md is not None and self.set_md(md) != 1:
            raise ValueError(f"unknown digest {md!r}")

    # ---------------------------------------------------------------- digest control

    def set_md(self, md: str) -> int:
        """BIO_set_md: (re)start with the named digest; 1 on success, 0 (+ error) if unknown."""
        return self.ctrl(Ctrl.C_SET_MD, 0, md)

    def get_md(self) -> str | None:
        """BIO_get_md: the digest's OpenSSL short name (OBJ_nid2sn), or None before set_md."""
        return self._md

    def get_md_ctx(self) -> HashContext | None:
        """BIO_get_md_ctx: the live digest context (changes to it affect this BIO)."""
        return self._ctx

    @property
    def digest_size(self) -> int:
        """EVP_MD_get_size of the current digest (0 without one)."""
        ctx = self._ctx
        return ctx.digest_size if ctx is not None else 0

    def digest(self) -> bytes:
        """BIO_gets with a large enough buffer: finish and return the digest (b"" on failure)."""
        return self.gets(EVP_MAX_MD_SIZE + 1)

    def hexdigest(self) -> str:
        """``digest()`` in lower-case hex, as ``openssl dgst`` prints it."""
        return self.digest().hex()

    # ---------------------------------------------------------------- primitives

    def _read(self, size: int) -> bytes | int:
        nb = self.next
        if nb is None:
            return 0
        ctx = self._ctx
        if ctx is None:
            put_error(Lib.EVP, _EVP_R_MESSAGE_DIGEST_IS_NULL)
            return -1
        r = nb.read_c(size)
        if isinstance(r, bytes) and not self._finalised:
            ctx.update(r)
        self.copy_next_retry()
        return r

    def _write(self, data: bytes | bytearray | memoryview) -> int:
        nb = self.next
        if nb is None:
            return 0
        ctx = self._ctx
        if ctx is None:
            put_error(Lib.EVP, _EVP_R_MESSAGE_DIGEST_IS_NULL)
            return 0
        n = nb.write(data)
        if n > 0 and not self._finalised:
            ctx.update(data if n >= len(data) else memoryview(data)[:n])
        self.copy_next_retry()
        return n

    def _gets(self, size: int) -> bytes | int:
        ctx = self._ctx
        if ctx is None:
            put_error(Lib.EVP, _EVP_R_MESSAGE_DIGEST_IS_NULL)
            return -1
        if size < ctx.digest_size:
            return 0
        if self._finalised:
            put_error(Lib.EVP, _EVP_R_FINAL_ERROR)
            return -1
        self._finalised = True
        return ctx.digest()

    def _puts(self, data: bytes) -> int:
        # BIO_f_md has no puts method.
        put_error(Lib.BIO, BIOReason.UNSUPPORTED_METHOD)
        return -2

    def _ctrl(self, cmd: int, larg: int, parg: Any) -> int:
        if cmd == Ctrl.C_SET_MD:
            made = _new_context(str(parg)) if parg is not None else None
            if made is None:
                put_error(Lib.EVP, _EVP_R_UNKNOWN_DIGEST, str(parg))
                return 0
            self._md, self._ctx = made
            self._finalised = False
            return 1
        if cmd == Ctrl.C_GET_MD:
            # BIO_get_md(b, &md): the digest name through the out-parameter.
            if self._md is None:
                return 0
            if isinstance(parg, list):
                parg.append(self._md)
            return 1
        if cmd == Ctrl.C_GET_MD_CTX:
            if isinstance(parg, list):
                parg.append(self._ctx)
            return 1
        if cmd == Ctrl.RESET:
            return self._reset()
        return super()._ctrl(cmd, larg, parg)

    def _reset(self) -> int:
        # EVP_DigestInit_ex with the same digest, then reset next.
        if self._md is None:
            return 0
        made = _new_context(self._md)
        if made is None:
            return 0
        self._md, self._ctx = made
        self._finalised = False
        nb = self.next
        return nb.reset() if nb is not None else 0
