"""BIO_f_linebuffer: write whole lines through, keep the unfinished tail (OpenSSL's bf_lbuf.c).

Writes go to ``next`` at each newline: a write that contains ``\\n`` sends the
buffered tail together with everything up to (and including) the last
complete line, and keeps only what follows the last newline.  The tail goes
down when a later write completes it, when it would overflow the buffer
(10240 bytes by default), or on ``flush()``.  Reads, ``gets`` and every ctrl
this filter does not own pass straight through to ``next``.

Two deliberate departures from bf_lbuf.c, both where OpenSSL loses bytes:

* When ``next`` fails while the buffer was being topped up, OpenSSL drops the
  bytes it had just appended but still counts them as written.  Here they are
  not counted either, so the caller offers them again.
* A long write without a newline that ``next`` only partly takes would make
  OpenSSL copy the rest past the end of its buffer; here only what fits is
  buffered and the count returned says so.

Shrinking the buffer below what it holds (OpenSSL truncates it) is refused
with 0 instead.
"""

from __future__ import annotations

from typing import Any, ClassVar

from biokit.bio.core import BIO, BIOType, Ctrl, FilterBIO
from biokit.bio.f_buffer import BIO_C_SET_BUFF_SIZE

__all__ = ["DEFAULT_LINEBUFFER_SIZE", "LineBufferBIO"]

DEFAULT_LINEBUFFER_SIZE = 10 * 1024
_INT_MAX = 0x7FFFFFFF


class LineBufferBIO(FilterBIO):
    """A line-buffering filter (BIO_f_linebuffer): output goes down a complete line at a time."""

    bio_type: ClassVar[int] = BIOType.LINEBUFFER
    bio_name: ClassVar[str] = "linebuffer"
    __slots__ = ("_obuf", "_obuf_size")

    def __init__(self, size: int = DEFAULT_LINEBUFFER_SIZE) -> None:
        super().__init__()
        self._obuf = bytearray()
        self._obuf_size = DEFAULT_LINEBUFFER_SIZE
        if size != DEFAULT_LINEBUFFER_SIZE:
            self.set_buffer_size(size)

    @property
    def buffer_size(self) -> int:
        """The output buffer's size (ctx->obuf_size)."""
        return self._obuf_size

    def set_buffer_size(self, size: int) -> int:
        """BIO_set_buffer_size: resize the line buffer (values <= 10240 are ignored); 1 or 0."""
        return self.ctrl(BIO_C_SET_BUFF_SIZE, size, None)

    def set_write_buffer_size(self, size: int) -> int:
        """BIO_set_write_buffer_size: the same as ``set_buffer_size`` here."""
        return self.ctrl(BIO_C_SET_BUFF_SIZE, size, 1)

    def set_read_buffer_size(self, size: int) -> int:
        """BIO_set_read_buffer_size: linebuffer_ctrl ignores the side; resizes the output buffer."""
        return self.ctrl(BIO_C_SET_BUFF_SIZE, size, 0)

    # ---------------------------------------------------------------- writing

    def _write(self, data: bytes | bytearray | memoryview) -> int:
        nb = self.next
        if nb is None:
            return 0
        src = data.tobytes() if isinstance(data, memoryview) else data
        mv = memoryview(src)
        obuf = self._obuf
        size = self._obuf_size
        end = len(src)
        pos = 0
        num = 0
        while True:
            nl = src.find(b"\n", pos)
            foundnl = nl >= 0
            p = nl + 1 if foundnl else end
            # Send the saved text first, topped up with this line (or with as
            # much as fits when the line would overflow the buffer).
            while obuf and (foundnl or p - pos > size - len(obuf)):
                orig = len(obuf)
                llen = p - pos
                take = 0
                if llen > 0:
                    room = size - orig
                    take = llen if room >= llen else room
                    if take:
                        obuf += mv[pos : pos + take]
                r = nb.write(obuf)
                if r <= 0:
                    del obuf[orig:]
                    self.copy_next_retry()
                    return num if num > 0 else r
                pos += take
                num += take
                del obuf[:r]
            if (foundnl or p - pos > size) and p - pos > 0:
                r = nb.write(mv[pos:p])
                if r <= 0:
                    self.copy_next_retry()
                    return num if num > 0 else r
                num += r
                pos += r
            if not (foundnl and pos < end):
                break
        rest = end - pos
        if rest > 0:
            room = size - len(obuf)
            if rest > room:
                rest = room
            obuf += mv[pos : pos + rest]
            num += rest
        return num

    def _puts(self, data: bytes) -> int:
        # linebuffer_puts is linebuffer_write.
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
            del obuf[:r]
        r = nb.flush()
        self.copy_next_retry()
        return r

    # ---------------------------------------------------------------- control

    def _wpending(self) -> int:
        n = len(self._obuf)
        if n:
            return n
        nb = self.next
        return nb.wpending() if nb is not None else 0

    def _reset(self) -> int:
        self._obuf.clear()
        nb = self.next
        return nb.reset() if nb is not None else 0

    def _ctrl(self, cmd: int, larg: int, parg: Any) -> int:
        if cmd == Ctrl.FLUSH:
            return self._flush()
        if cmd == Ctrl.WPENDING:
            return self._wpending()
        if cmd == Ctrl.RESET:
            return self._reset()
        if cmd == Ctrl.INFO:
            return len(self._obuf)
        if cmd == BIO_C_SET_BUFF_SIZE:
            if larg > _INT_MAX:
                return 0
            if larg > DEFAULT_LINEBUFFER_SIZE and larg != self._obuf_size:
                if len(self._obuf) > larg:
                    return 0
                self._obuf_size = larg
            return 1
        if cmd in (Ctrl.PUSH, Ctrl.POP, Ctrl.GET_CLOSE, Ctrl.SET_CLOSE):
            return BIO._ctrl(self, cmd, larg, parg)
        nb = self.next
        if nb is None:
            return 0
        if cmd == Ctrl.C_DO_STATE_MACHINE:
            self.clear_retry_flags()
            r = nb.ctrl(cmd, larg, parg)
            self.copy_next_retry()
            return r
        if cmd == Ctrl.PENDING:
            return nb.pending()
        if cmd == Ctrl.EOF:
            return 1 if nb.eof() else 0
        return nb.ctrl(cmd, larg, parg)

    def _destroy(self) -> None:
        self._obuf = bytearray()
