"""BIO_f_readbuffer: cache everything read so seek/tell work on any source (bf_readbuff.c).

A read-only filter (OpenSSL 3.0) for sources that cannot seek, such as stdin:
every byte read from ``next`` is kept, so ``seek()`` can go back to any
offset already read and ``tell()`` reports the offset of the next byte::

    cache: [ read and handed out | read, not yet handed out ]   <- next
           0                     tell()                   cached

* ``read(n)`` hands out cached bytes first, then reads what is still missing
  from ``next`` (asking for exactly that many), and keeps going until the
  request is satisfied or ``next`` fails; a failure after some bytes returns
  those bytes, with ``next``'s retry flags copied.
* ``gets()`` uses the cache, then reads from ``next`` one byte at a time, so it
  never consumes anything past the newline from the source.
* ``seek(off)`` and ``reset()`` (which is ``seek(0)``) move within the cache
  only: 1 on success, 0 for an offset below 0 or beyond what was read.
  ``reset()`` does not discard the cache and is not passed to ``next``.
* Writing is not supported: ``write`` and ``puts`` return 0 and put nothing on
  the error queue, as readbuffer_write does.
* ``flush()`` returns 1; ``pending()`` is the cached unread count, else ``next``'s;
  every other ctrl returns 0.
"""

from __future__ import annotations

from typing import Any, ClassVar

from biokit.bio.core import BIO, BIOType, Ctrl, FilterBIO

__all__ = ["ReadBufferBIO"]


class ReadBufferBIO(FilterBIO):
    """A read-only caching filter (BIO_f_readbuffer) that gives ``next`` seek and tell."""

    bio_type: ClassVar[int] = BIOType.READBUFFER
    bio_name: ClassVar[str] = "readbuffer"
    __slots__ = ("_cache", "_off")

    def __init__(self) -> None:
        super().__init__()
        self._cache = bytearray()  # every byte read from next so far
        self._off = 0  # ibuf_off: the next byte to hand out

    def seek(self, offset: int) -> int:
        """BIO_seek: move to ``offset`` within what was already read; 1, or 0 if out of range."""
        return self.ctrl(Ctrl.C_FILE_SEEK, offset)

    def tell(self) -> int:
        """BIO_tell: the offset of the next byte ``read`` returns."""
        return self.ctrl(Ctrl.C_FILE_TELL)

    def _take(self, n: int) -> bytes:
        off = self._off
        out = self._cache[off : off + n]
        self._off = off + n
        return bytes(out)

    # ---------------------------------------------------------------- reading

    def _read(self, size: int) -> bytes | int:
        nb = self.next
        if nb is None:
            return 0
        avail = len(self._cache) - self._off
        if avail >= size:
            return self._take(size)
        parts: list[bytes] = []
        num = 0
        if avail:
            parts.append(self._take(avail))
            num = avail
            size -= avail
        while True:
            r = nb.read_c(size)
            if r.__class__ is not bytes:
                self.copy_next_retry()
                if num == 0:
                    return r
                return parts[0] if len(parts) == 1 else b"".join(parts)
            chunk: bytes = r
            n = len(chunk)
            self._cache += chunk
            self._off += n
            parts.append(chunk)
            num += n
            size -= n
            if size <= 0:
                return parts[0] if len(parts) == 1 else b"".join(parts)

    def _gets(self, size: int) -> bytes | int:
        nb = self.next
        if nb is None or size <= 1:
            # No room for a byte besides C's NUL: readbuffer_gets reads nothing.
            return 0
        size -= 1  # room for C's terminating NUL
        cache = self._cache
        parts: list[bytes] = []
        num = 0
        off = self._off
        avail = len(cache) - off
        if avail > 0:
            lim = avail if avail < size else size
            nl = cache.find(b"\n", off, off + lim)
            n = lim if nl < 0 else nl - off + 1
            parts.append(self._take(n))
            num = n
            size -= n
            if nl >= 0 or size == 0:
                return parts[0]
        # One byte at a time, so nothing past the newline leaves the source.
        for _ in range(size):
            r = nb.read_c(1)
            if r.__class__ is not bytes:
                self.copy_next_retry()
                if num == 0:
                    return r
                break
            cache += r
            self._off += 1
            parts.append(r)
            num += 1
            if r == b"\n":
                break
        return b"".join(parts)

    # ---------------------------------------------------------------- writing

    def _write(self, data: bytes | bytearray | memoryview) -> int:
        return 0

    def _puts(self, data: bytes) -> int:
        return 0

    # ---------------------------------------------------------------- control

    def _pending(self) -> int:
        n = len(self._cache) - self._off
        if n:
            return n
        nb = self.next
        return nb.pending() if nb is not None else 0

    def _wpending(self) -> int:
        return 0

    def _flush(self) -> int:
        return 1

    def _eof(self) -> bool:
        if len(self._cache) - self._off > 0:
            return False
        nb = self.next
        return True if nb is None else nb.eof()

    def _reset(self) -> int:
        return self._ctrl(Ctrl.RESET, 0, None)

    def _ctrl(self, cmd: int, larg: int, parg: Any) -> int:
        if cmd == Ctrl.EOF:
            return 1 if self._eof() else 0
        if cmd in (Ctrl.C_FILE_SEEK, Ctrl.RESET):
            # Only backwards (or to the end of what was read): the cache is all there is.
            if larg < 0 or larg > len(self._cache):
                return 0
            self._off = larg
            return 1
        if cmd in (Ctrl.C_FILE_TELL, Ctrl.INFO):
            return self._off
        if cmd == Ctrl.PENDING:
            return self._pending()
        if cmd in (Ctrl.FLUSH, Ctrl.DUP):
            return 1
        if cmd in (Ctrl.PUSH, Ctrl.POP, Ctrl.GET_CLOSE, Ctrl.SET_CLOSE):
            return BIO._ctrl(self, cmd, larg, parg)
        return 0

    def _destroy(self) -> None:
        self._cache = bytearray()
        self._off = 0
