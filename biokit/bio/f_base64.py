"""BIO_f_base64: a base64 filter (OpenSSL's crypto/evp/bio_b64.c).

Theory of operation
-------------------
Writing encodes, reading decodes; one BIO can do either (switching direction
discards the other direction's buffers, as OpenSSL does)::

    write -> [Base64BIO] --"QUJD\\n"--> next        read <- [Base64BIO] <--"QUJD\\n"-- next
              _enc: 0..47 input bytes                       _tmp: up to 1024 raw bytes
              _buf: encoded, not yet taken by next          _dec: 0..63 base64 chars
                                                             _buf: decoded, not yet returned

Writing (b64_write): input is taken in 1024-byte blocks; each block is encoded
(EVP_EncodeUpdate: 64-character lines, each ending in ``\\n``, the last partial
line held back) into ``_buf`` and pushed to ``next``.  When ``next`` asks to
retry, the block already counts as taken: ``write`` returns the bytes consumed
so far (or, if nothing was consumed this call, next's value <= 0) with next's
retry flags, and the encoded-but-unsent bytes stay in ``_buf`` until the next
``write`` or ``flush``.  ``flush()`` (BIO_flush) writes the final partial line
and the padding (EVP_EncodeFinal), then flushes ``next``; when ``next`` retries
it returns <= 0 and can simply be called again.  With ``no_newlines``
(BIO_FLAGS_BASE64_NO_NL) whole groups of 3 bytes are encoded on one endless
line and the last 1-2 bytes wait for ``flush()``; no newline is ever written.

Reading (b64_read as rewritten in 2024, i.e. current OpenSSL): raw input is
read in 1024-byte blocks.  Without ``no_newlines``, leading lines that do not
decode are skipped (a PEM header, a too-long line), then everything is fed to
the decoder, which ignores whitespace and newlines anywhere, stops at padding
or at a ``-`` that starts a group of four, and fails on any other character.  A decoding error
makes the read return -1 once the data decoded by earlier blocks has been
returned (the block holding the error yields nothing); an incomplete final
group at EOF is an error too.  With ``no_newlines`` the input is decoded as
one long line; an error there first reads as 0 and then as -1 (OpenSSL keeps
``start`` set in that mode).  A retry in ``next`` is passed up with its flags
and nothing is lost: raw bytes already read stay in ``_tmp``.

Deliberate differences from the C code: ``flush()`` on a BIO that is reading
only flushes ``next`` (OpenSSL would drop the decoded-but-unread bytes);
``reset()`` also clears the buffers, so ``pending()`` reads 0 afterwards; and a
read that does not call ``next`` (after the end, or served from the buffer)
does not copy next's possibly stale retry flags, so a finished stream reads as
a plain 0, never as "retry".

OpenSSL 3.0 (before that rewrite) returned 0 rather than -1 for decoding
errors, did not check the final group at EOF, and kept raw input unprocessed
while ``next`` asked to retry.
"""

from __future__ import annotations

import binascii
import re
from typing import Any, ClassVar

from biokit.bio.core import BIO, BIOType, Ctrl, FilterBIO

__all__ = ["BIO_FLAGS_BASE64_NO_NL", "Base64BIO"]

BIO_FLAGS_BASE64_NO_NL = 0x100

_BLOCK = 1024  # B64_BLOCK_SIZE: raw bytes per read, input bytes per encode step
_NONE, _ENCODE, _DECODE = 0, 1, 2
_LINE_IN = 48  # input bytes per 64-character output line
_LINE_OUT = 64

# The decoder stops at the first byte that is neither base64, '=', nor
# whitespace: '-' is a soft end of input, anything else an error.
_STOP = re.compile(rb"[^A-Za-z0-9+/=\t\n\r ]")
_SKIP = b" \t\r\n"
_EQ = 0x3D
_DASH = 0x2D

_a2b = binascii.a2b_base64
_b2a = binascii.b2a_base64


def _lines(encoded: bytes) -> bytes:
    """Split whole 64-character lines and end each with a newline."""
    if len(encoded) == _LINE_OUT:
        return encoded + b"\n"
    return b"\n".join([encoded[i : i + _LINE_OUT] for i in range(0, len(encoded), _LINE_OUT)]) + (
        b"\n"
    )


class _Encoder:
    """EVP_ENCODE_CTX while encoding: 48 input bytes make one output line."""

    __slots__ = ("pending",)

    def __init__(self) -> None:
        self.pending = bytearray()

    def update(self, data: bytes | memoryview) -> bytes:
        """EVP_EncodeUpdate: whole lines out, the remainder (< 48 bytes) kept."""
        pend = self.pending
        if len(pend) + len(data) < _LINE_IN:
            pend += data
            return b""
        if pend:
            pend += data
            block: bytes | bytearray | memoryview = pend
        else:
            block = data
        full = len(block) - len(block) % _LINE_IN
        encoded = _b2a(block[:full], newline=False)
        rest = bytes(block[full:])
        pend.clear()
        pend += rest
        return _lines(encoded)

    def final(self) -> bytes:
        """EVP_EncodeFinal: the last partial line with padding and a newline."""
        if not self.pending:
            return b""
        out = _b2a(self.pending)
        self.pending.clear()
        return out


def _padding_violation(chars: bytes, eof: int) -> int:
    """Index of the first character the decoder refuses after padding, or -1.

    ``eof`` is the number of '=' already held.  After an '=' only more '=' may
    follow, and never more than two in all.
    """
    if eof:
        lead = len(chars) - len(chars.lstrip(b"="))
        if eof + lead > 2:
            return 2 - eof
        return lead if lead < len(chars) else -1
    p = chars.find(b"=")
    if p < 0:
        return -1
    tail = chars[p:]
    run = len(tail) - len(tail.lstrip(b"="))
    if run > 2:
        return p + 2
    return p + run if p + run < len(chars) else -1


class _Decoder:
    """EVP_ENCODE_CTX while decoding (EVP_DecodeUpdate/EVP_DecodeFinal), without a byte loop.

    The C loop stores each base64 character and decodes every time 64 are held;
    the same result comes from filtering the chunk up to its first stop
    character, checking the padding rules once, and decoding whole 64-character
    blocks plus a final group-aligned tail.
    """

    __slots__ = ("held",)

    def __init__(self) -> None:
        self.held = b""  # base64 characters not decoded yet (< 64)

    def reset(self) -> None:
        """EVP_DecodeInit."""
        self.held = b""

    def update(self, chunk: bytes) -> tuple[int, bytes]:
        """EVP_DecodeUpdate: (1 more expected | 0 end seen | -1 error, decoded bytes)."""
        held = self.held
        eof = 0
        if held and held[-1] == _EQ:
            eof = 2 if len(held) > 1 and held[-2] == _EQ else 1
        if not chunk:
            return 0, b""
        m = _STOP.search(chunk)
        if m is None:
            chars = chunk.translate(None, _SKIP)
            seof = err = False
        else:
            at = m.start()
            chars = chunk[:at].translate(None, _SKIP)
            seof = chunk[at] == _DASH
            err = not seof
        cut = _padding_violation(chars, eof)
        if cut >= 0:
            chars = chars[:cut]
            err, seof = True, False
        stream = held + chars if held else chars
        full = len(stream) - len(stream) % _LINE_OUT
        rest = len(stream) - full
        if err:
            self.held = stream[full:]
            return -1, _a2b(stream[:full]) if full else b""
        if rest and not rest % 4:
            self.held = b""
            out = _a2b(stream)
        elif rest and seof:
            # '-' in the middle of a group of four
            self.held = stream[full:]
            return -1, _a2b(stream[:full]) if full else b""
        else:
            self.held = stream[full:]
            out = _a2b(stream[:full]) if full else b""
        if seof or (not self.held and (eof or _EQ in chars)):
            return 0, out
        return 1, out

    def final(self) -> int:
        """EVP_DecodeFinal: -1 when an incomplete group is left over, else 1."""
        return -1 if len(self.held) % 4 else 1


def _probe_line(line: bytes) -> tuple[int, int]:
    """Decode one line with a fresh context: (EVP_DecodeUpdate result, bytes decoded)."""
    rv, out = _Decoder().update(line)
    return rv, len(out)


class Base64BIO(FilterBIO):
    """A base64 filter (BIO_f_base64): encodes what is written, decodes what is read."""

    bio_type: ClassVar[int] = BIOType.BASE64
    bio_name: ClassVar[str] = "base64 encoding"
    __slots__ = (
        "_buf",
        "_cont",
        "_dec",
        "_enc",
        "_mode",
        "_off",
        "_start",
        "_tmp",
        "_tmp_nl",
    )

    def __init__(self, no_newlines: bool = False) -> None:
        super().__init__()
        self._buf = b""  # encoded output not yet taken by next, or decoded input not yet read
        self._off = 0
        self._tmp = bytearray()  # raw input (reading) or 1-2 leftover bytes (writing, no_newlines)
        self._tmp_nl = False  # skipping the rest of an over-long first line
        self._mode = _NONE
        self._start = True  # no decodable line seen yet
        self._cont = 1  # <= 0 once reading has ended (0 EOF, < 0 error)
        self._enc = _Encoder()
        self._dec = _Decoder()
        if no_newlines:
            self.flags |= BIO_FLAGS_BASE64_NO_NL

    # ---------------------------------------------------------------- flags

    def set_flags(self, flags: int) -> None:
        """BIO_set_flags (e.g. BIO_FLAGS_BASE64_NO_NL)."""
        self.flags |= flags

    def clear_flags(self, flags: int) -> None:
        """BIO_clear_flags."""
        self.flags &= ~flags

    def test_flags(self, flags: int) -> int:
        """BIO_test_flags: the requested bits that are set."""
        return self.flags & flags

    @property
    def no_newlines(self) -> bool:
        """Whether BIO_FLAGS_BASE64_NO_NL is set."""
        return bool(self.flags & BIO_FLAGS_BASE64_NO_NL)

    @no_newlines.setter
    def no_newlines(self, value: bool) -> None:
        if value:
            self.flags |= BIO_FLAGS_BASE64_NO_NL
        else:
            self.flags &= ~BIO_FLAGS_BASE64_NO_NL

    # ---------------------------------------------------------------- reading

    def _read(self, size: int) -> bytes | int:
        nb = self.next
        if nb is None:
            return 0
        if self._mode != _DECODE:
            self._mode = _DECODE
            self._buf = b""
            self._off = 0
            self._tmp.clear()
            self._dec.reset()
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
                self._buf = b""
                off = 0
            self._off = off
        # An earlier decoding error is reported again by every later read.
        ret_code = self._cont if self._cont < 0 else 0
        tmp = self._tmp
        no_nl = self.flags & BIO_FLAGS_BASE64_NO_NL
        touched = False
        while outl > 0:
            again = self._cont
            if again <= 0:
                break
            r = nb.read_c(_BLOCK - len(tmp))
            touched = True
            if isinstance(r, int):
                ret_code = r
                if not nb.should_retry():
                    if not tmp:
                        if self._dec.final() < 0:
                            ret_code = -1
                        self._dec.reset()
                    self._cont = ret_code
                if not tmp:
                    break
                # Decode what is held, but do not read again in this call.
                again = 0
            else:
                tmp += r
            if self._start and no_nl:
                chunk = bytes(tmp)
                tmp.clear()
            elif self._start:
                p, found = self._find_first_line()
                if not found:
                    n = len(tmp)
                    if p == 0:
                        if n == _BLOCK:
                            # One long line: skip it up to its newline.
                            self._tmp_nl = True
                            tmp.clear()
                    elif p != n:
                        del tmp[:p]
                    else:
                        tmp.clear()
                    if again > 0:
                        continue
                    break
                chunk = bytes(tmp[p:])
                tmp.clear()
            elif len(tmp) < _BLOCK and again > 0:
                continue
            else:
                chunk = bytes(tmp)
                tmp.clear()
            rv, decoded = self._dec.update(chunk)
            self._cont = rv
            if rv < 0:
                ret_code = 0 if self._start else rv
                self._buf = b""
                self._off = 0
                break
            if decoded:
                if len(decoded) <= outl:
                    parts.append(decoded)
                    outl -= len(decoded)
                else:
                    parts.append(decoded[:outl])
                    self._buf = decoded
                    self._off = outl
                    outl = 0
        if touched:
            # OpenSSL copies next's flags even when it did not call next, so a
            # read after the end could report a stale retry; only fresh ones here.
            self.copy_next_retry()
        if parts:
            out = b"".join(parts) if len(parts) > 1 else parts[0]
            if out:
                return out
        return ret_code

    def _find_first_line(self) -> tuple[int, bool]:
        """Scan ``_tmp`` for the first decodable line; clears ``_start`` when found.

        Returns where the scan stopped -- the start of that line, or of the
        unfinished line at the end of the buffer -- and whether one was found.
        """
        tmp = self._tmp
        p = 0
        pos = 0
        while True:
            nl = tmp.find(b"\n", pos)
            if nl < 0:
                return p, False
            q = nl + 1
            pos = q
            if self._tmp_nl:
                p = q
                self._tmp_nl = False
                continue
            k, num = _probe_line(bytes(tmp[p:q]))
            if k <= 0 and num == 0:
                p = q
                continue
            self._start = False
            return p, True

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
        if self._mode != _ENCODE:
            self._mode = _ENCODE
            self._buf = b""
            self._off = 0
            self._tmp.clear()
            self._enc = _Encoder()
        r = self._push(nb)
        if r <= 0:
            return r
        mv = memoryview(data)
        inl = len(mv)
        if inl <= 0:
            return 0
        pos = 0
        ret = 0
        tmp = self._tmp
        no_nl = self.flags & BIO_FLAGS_BASE64_NO_NL
        while inl > 0:
            n = _BLOCK if inl > _BLOCK else inl
            if no_nl:
                if tmp:
                    n = min(3 - len(tmp), inl)
                    tmp += mv[pos : pos + n]
                    ret += n
                    if len(tmp) < 3:
                        break
                    encoded = _b2a(tmp, newline=False)
                    tmp.clear()
                else:
                    if n < 3:
                        tmp += mv[pos : pos + n]
                        ret += n
                        break
                    n -= n % 3
                    encoded = _b2a(mv[pos : pos + n], newline=False)
                    ret += n
            else:
                encoded = self._enc.update(mv[pos : pos + n])
                ret += n
            inl -= n
            pos += n
            self._buf = encoded
            self._off = 0
            if self._push(nb) <= 0:
                # This block counts as taken; its encoding waits in _buf.
                return ret
        return ret

    def _puts(self, data: bytes) -> int:
        return self._write(data) if data else 0

    # No gets method (the C method table has NULL): the base class's
    # "unsupported method" primitive, not FilterBIO's pass-through.
    _gets = BIO._gets

    # ---------------------------------------------------------------- control

    def _flush(self) -> int:
        nb = self.next
        if nb is None:
            return 0
        if self._mode == _ENCODE:
            no_nl = self.flags & BIO_FLAGS_BASE64_NO_NL
            while True:
                r = self._push(nb)
                if r <= 0:
                    return r
                if no_nl:
                    if self._tmp:
                        self._buf = _b2a(self._tmp, newline=False)
                        self._off = 0
                        self._tmp.clear()
                        continue
                elif self._enc.pending:
                    self._buf = self._enc.final()
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

    def _wpending(self) -> int:
        n = len(self._buf) - self._off
        if n > 0:
            return n
        # EVP_ENCODE_CTX_num: the one context counts held input in either direction.
        if self._mode == _ENCODE and self._enc.pending:
            return 1
        if self._mode == _DECODE and self._dec.held:
            return 1
        nb = self.next
        return nb.wpending() if nb is not None else 0

    def _eof(self) -> bool:
        if self._cont <= 0:
            return True
        nb = self.next
        return nb.eof() if nb is not None else True

    def _reset(self) -> int:
        self._cont = 1
        self._start = True
        self._tmp_nl = False
        self._mode = _NONE
        self._buf = b""
        self._off = 0
        self._tmp.clear()
        self._enc = _Encoder()
        self._dec.reset()
        nb = self.next
        return nb.reset() if nb is not None else 0

    def _ctrl(self, cmd: int, larg: int, parg: Any) -> int:
        if cmd == Ctrl.DUP:
            return 1
        return super()._ctrl(cmd, larg, parg)
