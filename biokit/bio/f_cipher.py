"""BIO_f_cipher: a symmetric-cipher filter (OpenSSL's crypto/evp/bio_enc.c).

Theory of operation
-------------------
The BIO runs one cipher context (EVP_CIPHER_CTX, here :class:`CipherContext`
over the ``cryptography`` package) in whichever direction data moves: with
``encrypt=True`` it encrypts what is written *and* what is read, with
``encrypt=False`` it decrypts both -- the usual pairs are "encrypt on write"
and "decrypt on read"::

    write -> [CipherBIO] -> next           read <- [CipherBIO] <- next
             _buf: ciphertext not yet               _rd: raw input read ahead (4096)
                   taken by next                    _buf: output not yet returned

Writing (enc_write): input is processed in 4096-byte blocks; each block's
output goes to ``_buf`` and then to ``next``.  When ``next`` asks to retry,
the block counts as taken (``write`` returns the bytes consumed, or next's
value <= 0 if none were) and its output waits in ``_buf``; the next ``write``
or ``flush`` sends it first.  ``flush()`` (BIO_flush) sends what waits,
finishes the cipher (EVP_CipherFinal: the PKCS#7-padded last block for CBC and
ECB), sends that, then flushes ``next``; after a retry just call it again.
The final block is produced once: writes after a flush continue the cipher
stream (CBC chains on) with no padding, as in OpenSSL.

Reading (enc_read): the raw input is read in 4096-byte blocks and processed in
pieces; a decrypting block cipher holds back the last whole block until it
knows whether it is the padded one.  When ``next`` reports EOF (a failure
without retry) the cipher is finished and checked: the read returns the last
bytes, then 0.  A padding error also reads as 0 -- ask
``get_cipher_status()``: 1 when decryption finished correctly, 0 when the final
block was bad (error queue: "bad decrypt" or "wrong final block length",
library 57, "Provider routines").  A retry in ``next`` is passed up with its
flags; nothing read ahead is lost.

As in OpenSSL, ``reset()`` restarts the cipher with the original key and IV
and clears the status, but a BIO that has seen EOF stays at EOF (read again
through a new BIO); ``gets``/``puts`` are unsupported.  (OpenSSL's providers
continue the counter of CTR and ChaCha20 across a reset; here every mode
restarts from the original IV.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, cast

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers import CipherContext as _CryptoContext

from biokit.bio.core import BIO, BIO_CB_CTRL, BIO_CB_RETURN, BIOType, Ctrl, FilterBIO
from biokit.errors import BIOReason, Lib, put_error

__all__ = ["CipherBIO", "CipherContext", "cipher_names"]

ENC_BLOCK_SIZE = 4096  # raw bytes read ahead / input bytes per write step
ENC_MIN_CHUNK = 256  # input piece decrypted into the BIO's own buffer

# Reason codes (include/openssl/evperr.h, providers/common/include/prov/proverr.h).
_LIB_PROV = 57
_PROV_R_BAD_DECRYPT = 100
_PROV_R_WRONG_FINAL_BLOCK_LENGTH = 107
_EVP_R_INVALID_KEY_LENGTH = 130
_EVP_R_NO_CIPHER_SET = 131
_EVP_R_UNKNOWN_CIPHER = 160
_EVP_R_INVALID_IV_LENGTH = 194


@dataclass(frozen=True, slots=True)
class _Spec:
    name: str  # OpenSSL's name, e.g. "AES-128-CBC"
    key_length: int
    iv_length: int
    block_size: int  # EVP_CIPHER_get_block_size: 1 for stream modes
    mode: str


def _stream_mode(name: str) -> Callable[[bytes], modes.ModeWithInitializationVector]:
    """CFB, CFB8 and OFB live in ``decrepit`` since cryptography 47 (older: ``modes``)."""
    try:
        from cryptography.hazmat.decrepit.ciphers import modes as decrepit
    except ImportError:  # pragma: no cover - older cryptography
        return cast("Callable[[bytes], modes.ModeWithInitializationVector]", getattr(modes, name))
    return cast("Callable[[bytes], modes.ModeWithInitializationVector]", getattr(decrepit, name))


_CFB = _stream_mode("CFB")
_CFB8 = _stream_mode("CFB8")
_OFB = _stream_mode("OFB")


def _build_specs() -> dict[str, _Spec]:
    specs: dict[str, _Spec] = {}
    for bits in (128, 192, 256):
        for mode, bs, ivl in (
            ("cbc", 16, 16),
            ("ecb", 16, 0),
            ("ctr", 1, 16),
            ("cfb", 1, 16),
            ("cfb8", 1, 16),
            ("ofb", 1, 16),
        ):
            name = f"aes-{bits}-{mode}"
            specs[name] = _Spec(name.upper(), bits // 8, ivl, bs, mode)
        specs[f"aes{bits}"] = specs[f"aes-{bits}-cbc"]
        specs[f"aes-{bits}-cfb128"] = specs[f"aes-{bits}-cfb"]
    specs["chacha20"] = _Spec("ChaCha20", 32, 16, 1, "chacha20")
    return specs


_SPECS = _build_specs()


def cipher_names() -> list[str]:
    """The cipher names ``CipherBIO`` accepts (lower case; case does not matter)."""
    return sorted(_SPECS)


class CipherContext:
    """One cipher context (EVP_CIPHER_CTX): update/final with EVP's buffering rules."""

    __slots__ = ("_ctx", "_held", "_iv", "_key", "_partial", "encrypting", "spec")

    def __init__(self, spec: _Spec, key: bytes, iv: bytes, encrypting: bool) -> None:
        self.spec = spec
        self.encrypting = encrypting
        self._key = key
        self._iv = iv
        self._partial = 0  # input bytes since the last block boundary
        self._held = b""  # decrypting with padding: the last whole block, held back
        self._ctx = self._make()

    def _make(self) -> _CryptoContext:
        spec = self.spec
        enc = self.encrypting
        if spec.mode == "chacha20":
            stream = Cipher(algorithms.ChaCha20(self._key, self._iv), mode=None)
            return stream.encryptor() if enc else stream.decryptor()
        mode: modes.ModeWithInitializationVector | modes.ModeWithNonce | modes.ECB
        if spec.mode == "cbc":
            mode = modes.CBC(self._iv)
        elif spec.mode == "ecb":
            mode = modes.ECB()
        elif spec.mode == "ctr":
            mode = modes.CTR(self._iv)
        elif spec.mode == "cfb":
            mode = _CFB(self._iv)
        elif spec.mode == "cfb8":
            mode = _CFB8(self._iv)
        else:
            mode = _OFB(self._iv)
        cipher = Cipher(algorithms.AES(self._key), mode)
        return cipher.encryptor() if enc else cipher.decryptor()

    @property
    def name(self) -> str:
        """EVP_CIPHER_get0_name."""
        return self.spec.name

    @property
    def block_size(self) -> int:
        """EVP_CIPHER_CTX_get_block_size (1 for stream ciphers and stream modes)."""
        return self.spec.block_size

    @property
    def key_length(self) -> int:
        """EVP_CIPHER_CTX_get_key_length."""
        return self.spec.key_length

    @property
    def iv_length(self) -> int:
        """EVP_CIPHER_CTX_get_iv_length."""
        return self.spec.iv_length

    def reinit(self) -> None:
        """EVP_CipherInit_ex(ctx, NULL, NULL, NULL, NULL, enc): start over with the same key/IV."""
        self._partial = 0
        self._held = b""
        self._ctx = self._make()

    def update(self, data: bytes | memoryview) -> bytes:
        """EVP_CipherUpdate: output for ``data`` (block ciphers: whole blocks only)."""
        out = self._ctx.update(data)
        bs = self.spec.block_size
        if bs == 1:
            return out
        self._partial = (self._partial + len(data)) % bs
        if self.encrypting:
            return out
        # EVP keeps the last block back whenever the input so far ends on a
        # block boundary: it may be the padded one.
        if self._held:
            out = self._held + out
        if self._partial == 0 and out:
            self._held = out[-bs:]
            return out[:-bs]
        self._held = b""
        return out

    def final(self) -> bytes | None:
        """EVP_CipherFinal_ex: the last output, or None (error queued) for a bad final block."""
        bs = self.spec.block_size
        if bs == 1:
            return b""
        if self.encrypting:
            pad = bs - self._partial
            self._partial = 0
            # Fed through update rather than finalize() so the context stays
            # usable: OpenSSL lets encryption continue after a final.
            return self._ctx.update(bytes((pad,)) * pad)
        held = self._held
        if self._partial or not held:
            put_error(_LIB_PROV, _PROV_R_WRONG_FINAL_BLOCK_LENGTH)
            return None
        self._held = b""
        pad = held[-1]
        if pad == 0 or pad > bs or held[-pad:] != bytes((pad,)) * pad:
            put_error(_LIB_PROV, _PROV_R_BAD_DECRYPT)
            return None
        return held[: bs - pad]


class CipherBIO(FilterBIO):
    """A cipher filter (BIO_f_cipher + BIO_set_cipher): encrypts or decrypts what passes."""

    bio_type: ClassVar[int] = BIOType.CIPHER
    bio_name: ClassVar[str] = "cipher"
    __slots__ = ("_buf", "_cipher", "_cont", "_finished", "_off", "_ok", "_rd", "_rpos")

    def __init__(
        self,
        algorithm: str | None = None,
        key: bytes | None = None,
        iv: bytes | None = None,
        encrypt: bool = True,
    ) -> None:
        super().__init__()
        self._buf = b""  # output not yet taken by next (write) or by the caller (read)
        self._off = 0
        self._rd = b""  # raw input read ahead from next
        self._rpos = 0
        self._cont = 1  # <= 0 once next reported EOF or an error
        self._finished = False  # EVP_CipherFinal done
        self._ok = 1  # BIO_get_cipher_status
        self._cipher: CipherContext | None = None
        if algorithm is not None and self.set_cipher(algorithm, key, iv, encrypt) != 1:
            raise ValueError(f"cannot set cipher {algorithm!r} with this key and IV")

    # ---------------------------------------------------------------- cipher control

    def set_cipher(
        self, algorithm: str, key: bytes | None, iv: bytes | None = None, encrypt: bool = True
    ) -> int:
        """BIO_set_cipher: set cipher, key, IV and direction; 1 on success, 0 (+ error) if not."""
        enc = 1 if encrypt else 0
        cb = self._callback
        if cb is not None and cb(self, BIO_CB_CTRL, None, 0, Ctrl.SET, enc, 1, None) <= 0:
            return 0
        spec = _SPECS.get(algorithm.lower())
        if spec is None:
            put_error(Lib.EVP, _EVP_R_UNKNOWN_CIPHER, algorithm)
            return 0
        if key is None or len(key) != spec.key_length:
            put_error(Lib.EVP, _EVP_R_INVALID_KEY_LENGTH, f"{0 if key is None else len(key)}")
            return 0
        if spec.iv_length:
            if iv is None or len(iv) != spec.iv_length:
                put_error(Lib.EVP, _EVP_R_INVALID_IV_LENGTH, f"{0 if iv is None else len(iv)}")
                return 0
        else:
            iv = b""
        self._cipher = CipherContext(spec, bytes(key), bytes(iv), bool(encrypt))
        if cb is not None:
            return cb(self, BIO_CB_CTRL | BIO_CB_RETURN, None, 0, Ctrl.SET, enc, 1, None)
        return 1

    def get_cipher_status(self) -> int:
        """BIO_get_cipher_status: 1 while all is well / after a good decrypt, 0 after a bad one."""
        return self.ctrl(Ctrl.C_GET_CIPHER_STATUS)

    def get_cipher_ctx(self) -> CipherContext | None:
        """BIO_get_cipher_ctx: the cipher context (None before ``set_cipher``)."""
        return self._cipher

    # ---------------------------------------------------------------- reading

    def _read(self, size: int) -> bytes | int:
        nb = self.next
        if nb is None:
            return 0
        parts: list[bytes] = []
        outl = size
        buf = self._buf
        if buf:
            off = self._off
            i = min(len(buf) - off, outl)
            parts.append(buf[off : off + i])
            outl -= i
            off += i
            if off == len(buf):
                buf = b""
                off = 0
            self._buf = buf
            self._off = off
        c = self._cipher
        if c is None:
            return 0
        bs = c.block_size
        if bs == 1:
            bs = 0
        retry_ret = 0
        rd = self._rd
        rpos = self._rpos
        while outl > 0:
            if self._cont <= 0:
                break
            if rpos == len(rd):
                r = nb.read_c(ENC_BLOCK_SIZE)
                if isinstance(r, bytes):
                    rd = r
                    i = len(r)
                else:
                    rd = b""
                    i = r
                rpos = 0
            else:
                i = len(rd) - rpos
            if i <= 0:
                if not nb.should_retry():
                    self._cont = i
                    self._finished = True
                    fin = c.final()
                    self._ok = 0 if fin is None else 1
                    buf = fin or b""
                    self._buf = buf
                    self._off = 0
                else:
                    retry_ret = i
                    break
            else:
                view = memoryview(rd)
                if outl > ENC_MIN_CHUNK:
                    # Straight into the caller's buffer, leaving room for the
                    # block a decrypting cipher may release.
                    j = outl - bs
                    piece = c.update(view[rpos : rpos + min(i, j)])
                    parts.append(piece)
                    outl -= len(piece)
                    i -= j
                    if i <= 0:
                        rpos = len(rd)
                        continue
                    rpos += j
                if i > ENC_MIN_CHUNK:
                    i = ENC_MIN_CHUNK
                buf = c.update(view[rpos : rpos + i])
                self._buf = buf
                self._off = 0
                rpos += i
                self._cont = 1
                if not buf:
                    # Everything was held back (a possible final block): read on.
                    continue
            i = min(len(buf), outl)
            if i <= 0:
                break
            parts.append(buf[:i])
            if i == len(buf):
                self._buf = b""
                self._off = 0
            else:
                self._off = i
            outl -= i
        self._rd = rd
        self._rpos = rpos
        self.clear_retry_flags()
        self.copy_next_retry()
        out = b"".join(parts)
        if out:
            return out
        return retry_ret if retry_ret < 0 else min(self._cont, 0)

    # ---------------------------------------------------------------- writing

    def _push(self, nb: BIO) -> int:
        """Hand ``_buf`` to next; 1 when all is taken, else next's value with its retry flags."""
        buf = self._buf
        off = self._off
        if off >= len(buf):
            return 1
        view = memoryview(buf)
        while off < len(buf):
            i = nb.write(view[off:])
            if i <= 0:
                self._off = off
                self.copy_next_retry()
                return i
            off += i
        self._buf = b""
        self._off = 0
        return 1

    def _write(self, data: bytes | bytearray | memoryview) -> int:
        nb = self.next
        if nb is None:
            return 0
        r = self._push(nb)
        if r <= 0:
            return r
        mv = memoryview(data)
        ret = inl = len(mv)
        if inl <= 0:
            return 0
        c = self._cipher
        if c is None:
            put_error(Lib.EVP, _EVP_R_NO_CIPHER_SET)
            self._ok = 0
            return 0
        pos = 0
        while inl > 0:
            n = ENC_BLOCK_SIZE if inl > ENC_BLOCK_SIZE else inl
            self._buf = c.update(mv[pos : pos + n])
            self._off = 0
            inl -= n
            pos += n
            r = self._push(nb)
            if r <= 0:
                # This block counts as taken; its output waits in _buf.
                return r if ret == inl else ret - inl
        self.copy_next_retry()
        return ret

    # No gets method (the C method table has NULL): the base class's
    # "unsupported method" primitive, not FilterBIO's pass-through.
    _gets = BIO._gets

    def _puts(self, data: bytes) -> int:
        put_error(Lib.BIO, BIOReason.UNSUPPORTED_METHOD)
        return -2

    # ---------------------------------------------------------------- control

    def _flush(self) -> int:
        nb = self.next
        if nb is None:
            return 0
        while True:
            pend = len(self._buf) - self._off
            if pend > 0:
                r = self._push(nb)
                if r <= 0:
                    return r
                continue
            if not self._finished:
                self._finished = True
                c = self._cipher
                fin = c.final() if c is not None else None
                if c is None:
                    put_error(Lib.EVP, _EVP_R_NO_CIPHER_SET)
                self._ok = 0 if fin is None else 1
                if fin is None:
                    return 0
                self._buf = fin
                self._off = 0
                continue
            break
        r = nb.flush()
        self.copy_next_retry()
        return r

    def _pending(self) -> int:
        n = len(self._buf) - self._off
        if n > 0:
            return n
        nb = self.next
        return nb.pending() if nb is not None else 0

    _wpending = _pending

    def _eof(self) -> bool:
        if self._cont <= 0:
            return True
        nb = self.next
        return nb.eof() if nb is not None else False

    def _reset(self) -> int:
        self._ok = 1
        self._finished = False
        c = self._cipher
        if c is None:
            put_error(Lib.EVP, _EVP_R_NO_CIPHER_SET)
            return 0
        c.reinit()
        nb = self.next
        return nb.reset() if nb is not None else 0

    def _ctrl(self, cmd: int, larg: int, parg: Any) -> int:
        # These work without a next BIO, unlike the pass-through commands.
        if cmd == Ctrl.C_GET_CIPHER_STATUS:
            return self._ok
        if cmd == Ctrl.RESET:
            return self._reset()
        if cmd == Ctrl.EOF:
            return 1 if self._eof() else 0
        if cmd == Ctrl.C_GET_CIPHER_CTX:
            # BIO_get_cipher_ctx(b, &ctx): the context through the out-parameter.
            if isinstance(parg, list):
                parg.append(self._cipher)
            return 1
        return super()._ctrl(cmd, larg, parg)
