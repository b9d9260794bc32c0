"""BIO_f_buffer: a read buffer and a write buffer in front of ``next`` (OpenSSL's bf_buff.c).

Theory of operation
-------------------
Two independent buffers, each ``DEFAULT_BUFFER_SIZE`` (4096) bytes at first::

    write -> [obuf: sent | unsent | free] -> next        read <- [ibuf: consumed | unread] <- next

Reading (buffer_read) first hands out unread ``ibuf`` bytes, then keeps reading
from ``next`` until the request is satisfied or ``next`` fails: a remaining
request larger than the read buffer goes straight into the caller's result
(bypassing ``ibuf``), a smaller one refills ``ibuf`` with one ``ibuf_size`` read.
A failure after some bytes were read returns those bytes (the caller sees the
failure again on its next call); the retry flags are copied from ``next``.

Writing (buffer_write) only appends while the data fits.  When it does not,
the buffer is topped up, written through (looping until empty), and then
whole ``obuf_size`` chunks of the input go straight to ``next``; the small
remainder is buffered.  If ``next`` asks to retry, the write returns the
count already accepted (or ``next``'s value when that is 0) -- accepted bytes
stay in ``obuf``, so nothing is lost or sent twice.  As in OpenSSL, bytes that
were already sent from ``obuf`` keep occupying it (``obuf_off``) until it has
been emptied completely.

``flush()`` pushes ``obuf`` down and then flushes ``next``; on a retry it
returns ``next``'s value (<= 0) with the copied retry flags and keeps the
rest, so a later ``flush()`` continues where this one stopped.

Corner cases kept from OpenSSL: ``pending()``/``wpending()`` report this BIO's
own buffer, or ``next``'s figure when it is empty; ``eof()`` is false while
unread bytes are buffered and true with no ``next``; resizing a buffer (only
upwards of 4096 and to a different size) discards what it holds, as the
manual says; ``set_buffer_read_data`` larger than the read buffer does not
change ``ibuf_size``; ``peek`` fills an empty read buffer with one read.
"""

from __future__ import annotations

from typing import Any, ClassVar

from biokit.bio.core import BIO, BIOType, Ctrl, FilterBIO, byte_buffer

__all__ = [
    "BIO_CTRL_PEEK",
    "BIO_C_GET_BUFF_NUM_LINES",
    "BIO_C_SET_BUFF_READ_DATA",
    "BIO_C_SET_BUFF_SIZE",
    "DEFAULT_BUFFER_SIZE",
    "BufferBIO",
]

# ctrl numbers from <openssl/bio.h> that core.Ctrl does not carry yet.
BIO_CTRL_PEEK = 29
BIO_C_GET_BUFF_NUM_LINES = 116
BIO_C_SET_BUFF_SIZE = 117
BIO_C_SET_BUFF_READ_DATA = 122

DEFAULT_BUFFER_SIZE = 4096

# ``parg`` of BIO_C_SET_BUFF_SIZE: which buffer to resize (None: both), as the
# BIO_set_read_buffer_size / BIO_set_write_buffer_size macros pass it.
_READ_SIDE = 0
_WRITE_SIDE = 1


def _joined(parts: list[bytes], num: int, fail: int) -> bytes | int:
    """What buffer_read/buffer_gets return when ``next`` stops: the bytes so far, or ``fail``."""
    if num == 0:
        return fail
    return parts[0] if len(parts) == 1 else b"".join(parts)


class BufferBIO(FilterBIO):
    """A buffering filter (BIO_f_buffer): separate read and write buffers over ``next``."""

    bio_type: ClassVar[int] = BIOType.BUFFER
    bio_name: ClassVar[str] = "buffer"
    __slots__ = ("_ibuf", "_ibuf_size", "_ioff", "_obuf", "_obuf_size", "_ooff")

    def __init__(self, size: int = DEFAULT_BUFFER_SIZE) -> None:
        super().__init__()
        self._ibuf = b""  # last chunk read from next; unread part starts at _ioff
        self._ioff = 0
        self._ibuf_size = DEFAULT_BUFFER_SIZE
        self._obuf = bytearray()  # unsent bytes only
        self._ooff = 0  # bytes already sent that still occupy obuf (obuf_off)
        self._obuf_size = DEFAULT_BUFFER_SIZE
        if size != DEFAULT_BUFFER_SIZE:
            self.set_buffer_size(size)

    # ---------------------------------------------------------------- helpers (macros)

    @property
    def read_buffer_size(self) -> int:
        """The read buffer's size (ctx->ibuf_size)."""
        return self._ibuf_size

    @property
    def write_buffer_size(self) -> int:
        """The write buffer's size (ctx->obuf_size)."""
        return self._obuf_size

    def set_buffer_size(self, size: int) -> int:
        """BIO_set_buffer_size: resize both buffers (only growth past 4096 counts); 1 on success."""
        return self.ctrl(BIO_C_SET_BUFF_SIZE, size, None)

    def set_read_buffer_size(self, size: int) -> int:
        """BIO_set_read_buffer_size: resize the read buffer, discarding what it holds."""
        return self.ctrl(BIO_C_SET_BUFF_SIZE, size, _READ_SIDE)

    def set_write_buffer_size(self, size: int) -> int:
        """BIO_set_write_buffer_size: resize the write buffer, discarding what it holds."""
        return self.ctrl(BIO_C_SET_BUFF_SIZE, size, _WRITE_SIDE)

    def set_buffer_read_data(self, data: bytes | bytearray | memoryview) -> int:
        """BIO_set_buffer_read_data: replace the read buffer's contents with ``data``; 1."""
        buf = byte_buffer(data)  # len() in bytes, even for an array('i')
        return self.ctrl(BIO_C_SET_BUFF_READ_DATA, len(buf), buf)

    def get_buffer_num_lines(self) -> int:
        """BIO_get_buffer_num_lines: how many ``\\n`` the unread part of the read buffer holds."""
        return self.ctrl(BIO_C_GET_BUFF_NUM_LINES)

    def peek(self, size: int) -> bytes:
        """BIO_ctrl(BIO_CTRL_PEEK): up to ``size`` buffered bytes, filling an empty buffer once."""
        out = bytearray()
        self.ctrl(BIO_CTRL_PEEK, size, out)
        return bytes(out)

    # ---------------------------------------------------------------- reading

    def _read(self, size: int) -> bytes | int:
        nb = self.next
        if nb is None:
            return 0
        ib = self._ibuf
        off = self._ioff
        avail = len(ib) - off
        if avail >= size:
            self._ioff = off + size
            return ib if off == 0 and size == len(ib) else ib[off : off + size]
        parts: list[bytes] = []
        num = 0
        if avail:
            parts.append(ib[off:] if off else ib)
            num = avail
            size -= avail
        self._ibuf = b""
        self._ioff = 0
        bufsize = self._ibuf_size
        while True:
            if size > bufsize:
                # Large remainder: read straight into the result, bypassing ibuf.
                while True:
                    r = nb.read_c(size)
                    if r.__class__ is not bytes:
                        self.copy_next_retry()
                        return _joined(parts, num, r)  # type: ignore[arg-type]
                    parts.append(r)
                    n = len(r)
                    num += n
                    size -= n
                    if size == 0:
                        return _joined(parts, num, 0)
            r = nb.read_c(bufsize)
            if r.__class__ is not bytes:
                self.copy_next_retry()
                return _joined(parts, num, r)  # type: ignore[arg-type]
            chunk: bytes = r
            n = len(chunk)
            if n <= size:
                parts.append(chunk)
                num += n
                size -= n
                if size == 0:
                    return _joined(parts, num, 0)
            else:
                parts.append(chunk[:size])
                self._ibuf = chunk
                self._ioff = size
                return _joined(parts, num + size, 0)

    def _fill(self) -> None:
        """buffer_read(b, buf, 0): refill an empty read buffer with one read from ``next``."""
        nb = self.next
        if nb is None:
            return
        self.clear_retry_flags()
        if len(self._ibuf) - self._ioff:
            return
        r = nb.read_c(self._ibuf_size)
        if r.__class__ is not bytes:
            self.copy_next_retry()
            return
        self._ibuf = r
        self._ioff = 0

    def _gets(self, size: int) -> bytes | int:
        nb = self.next
        # Room for C's terminating NUL.  With size 1 (no room for a byte) C
        # still refills an empty buffer from next -- returning next's failure
        # and retry flags, or 0 once bytes are buffered -- and so do we.  With
        # size 0, buffer_gets loops forever once bytes are buffered (size - 1
        # never counts down to 0); biokit deliberately treats it as size 1.
        size = size - 1 if size > 1 else 0
        parts: list[bytes] = []
        num = 0
        while True:
            ib = self._ibuf
            off = self._ioff
            avail = len(ib) - off
            if avail > 0:
                lim = avail if avail < size else size
                nl = ib.find(b"\n", off, off + lim)
                n = lim if nl < 0 else nl - off + 1
                parts.append(ib[off : off + n])
                self._ioff = off + n
                num += n
                size -= n
                if nl >= 0 or size == 0:
                    return _joined(parts, num, 0)
            else:
                if nb is None:
                    return _joined(parts, num, 0)
                r = nb.read_c(self._ibuf_size)
                if r.__class__ is not bytes:
                    self.copy_next_retry()
                    return _joined(parts, num, r)  # type: ignore[arg-type]
                self._ibuf = r
                self._ioff = 0

    # ---------------------------------------------------------------- writing

    def _write(self, data: bytes | bytearray | memoryview) -> int:
        nb = self.next
        if nb is None:
            return 0
        obuf = self._obuf
        size = self._obuf_size
        inl = len(data)
        if size - (self._ooff + len(obuf)) >= inl:
            obuf += data
            return inl
        mv = memoryview(data)
        pos = 0
        num = 0
        while True:
            room = size - (self._ooff + len(obuf))
            if room >= inl:
                obuf += mv[pos : pos + inl]
                return num + inl
            if obuf:
                if room > 0:
                    obuf += mv[pos : pos + room]
                    pos += room
                    inl -= room
                    num += room
                # A full buffer: write it through before taking more input.
                while True:
                    r = nb.write(obuf)
                    if r <= 0:
                        self.copy_next_retry()
                        return num if num > 0 else r
                    self._ooff += r
                    del obuf[:r]
                    if not obuf:
                        break
            self._ooff = 0
            while inl >= size:
                r = nb.write(mv[pos : pos + inl])
                if r <= 0:
                    self.copy_next_retry()
                    return num if num > 0 else r
                num += r
                pos += r
                inl -= r
                if inl == 0:
                    return num

    def _puts(self, data: bytes) -> int:
        # buffer_puts is buffer_write, not a pass-through.
        return self._write(data) if data else 0

    def _flush(self) -> int:
        nb = self.next
        if nb is None:
            return 0
        obuf = self._obuf
        while obuf:
            self.clear_retry_flags()
            r = nb.write(obuf)
            self.copy_next_retry()
            if r <= 0:
                return r
            self._ooff += r
            del obuf[:r]
        self._ooff = 0
        r = nb.flush()
        self.copy_next_retry()
        return r

    # ---------------------------------------------------------------- control

    def _pending(self) -> int:
        n = len(self._ibuf) - self._ioff
        if n:
            return n
        nb = self.next
        return nb.pending() if nb is not None else 0

    def _wpending(self) -> int:
        n = len(self._obuf)
        if n:
            return n
        nb = self.next
        return nb.wpending() if nb is not None else 0

    def _eof(self) -> bool:
        if len(self._ibuf) - self._ioff > 0:
            return False
        nb = self.next
        return True if nb is None else nb.eof()

    def _reset(self) -> int:
        self._ibuf = b""
        self._ioff = 0
        self._obuf.clear()
        self._ooff = 0
        nb = self.next
        return nb.reset() if nb is not None else 0

    def _set_size(self, num: int, which: Any) -> int:
        if which is None:
            ibs = obs = num
        elif which == _READ_SIDE:
            ibs, obs = num, self._obuf_size
        else:
            ibs, obs = self._ibuf_size, num
        # Shrinking (or anything at or below the default) is ignored; a real
        # change reallocates, which discards the buffered bytes.
        if ibs > DEFAULT_BUFFER_SIZE and ibs != self._ibuf_size:
            self._ibuf = b""
            self._ioff = 0
            self._ibuf_size = ibs
        if obs > DEFAULT_BUFFER_SIZE and obs != self._obuf_size:
            self._obuf = bytearray()
            self._ooff = 0
            self._obuf_size = obs
        return 1

    def _ctrl(self, cmd: int, larg: int, parg: Any) -> int:
        if cmd == Ctrl.FLUSH:
            return self._flush()
        if cmd == Ctrl.PENDING:
            return self._pending()
        if cmd == Ctrl.WPENDING:
            return self._wpending()
        if cmd == Ctrl.EOF:
            return 1 if self._eof() else 0
        if cmd == Ctrl.RESET:
            return self._reset()
        if cmd == Ctrl.INFO:
            return len(self._obuf)
        if cmd == BIO_C_GET_BUFF_NUM_LINES:
            return self._ibuf.count(b"\n", self._ioff)
        if cmd == BIO_C_SET_BUFF_READ_DATA:
            # ibuf_size deliberately stays as it is, like bf_buff.c.
            self._ibuf = bytes(memoryview(byte_buffer(parg))[: max(larg, 0)])
            self._ioff = 0
            return 1
        if cmd == BIO_C_SET_BUFF_SIZE:
            return self._set_size(larg, parg)
        if cmd == BIO_CTRL_PEEK:
            self._fill()
            avail = len(self._ibuf) - self._ioff
            n = larg if larg < avail else avail
            n = max(n, 0)
            if isinstance(parg, bytearray):
                parg[:] = self._ibuf[self._ioff : self._ioff + n]
            return n
        if cmd in (Ctrl.GET_CLOSE, Ctrl.SET_CLOSE):
            return BIO._ctrl(self, cmd, larg, parg)
        nb = self.next
        if nb is None:
            return 0
        if cmd == Ctrl.C_DO_STATE_MACHINE:
            self.clear_retry_flags()
            r = nb.ctrl(cmd, larg, parg)
            self.copy_next_retry()
            return r
        return nb.ctrl(cmd, larg, parg)

    def _destroy(self) -> None:
        self._ibuf = b""
        self._ioff = 0
        self._obuf = bytearray()
        self._ooff = 0
