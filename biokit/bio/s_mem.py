"""BIO_s_mem and BIO_new_mem_buf: an in-memory source/sink (OpenSSL's bss_mem.c).

Behaviour kept from OpenSSL:

* A writable memory BIO grows without bound.  Reading it empty returns the
  *eof_return* value, -1 by default, **with the retry-read flag set**: an empty
  memory BIO means "nothing yet", not EOF.  ``set_eof_return(0)`` turns an empty
  read into a plain EOF (0, no retry flag).
* ``MemBIO(b"...")`` is BIO_new_mem_buf: read-only, eof_return 0 (reads the data
  then reports EOF without retry); a write fails with "write to read only BIO";
  ``reset()`` rewinds it to the start of the data.
* ``gets`` on an empty BIO returns 0 *without* a retry flag (mem_gets does so).
* ``reset()`` on a writable BIO discards the data.
"""

from __future__ import annotations

from typing import Any, ClassVar

from biokit.bio.core import BIO, BIOType, Ctrl
from biokit.errors import BIOReason, Lib, put_error

__all__ = ["MemBIO"]

# Compact the consumed prefix once it is this large and at least half the buffer,
# so a long-lived BIO neither grows forever nor copies on every read.
_COMPACT_AT = 64 * 1024


class MemBIO(BIO):
    """A memory BIO (BIO_s_mem); ``MemBIO(data)`` is a read-only one (BIO_new_mem_buf)."""

    bio_type: ClassVar[int] = BIOType.MEM
    bio_name: ClassVar[str] = "memory buffer"
    __slots__ = ("_buf", "_eof_return", "_pos", "_rdonly", "_view_data")

    def __init__(self, data: bytes | bytearray | memoryview | None = None) -> None:
        super().__init__()
        self._buf = bytearray()
        self._pos = 0  # read offset into _buf
        self._rdonly = data is not None
        self._view_data = b""
        if data is not None:
            self._view_data = bytes(data)
            self._buf = bytearray(self._view_data)
            self._eof_return = 0
        else:
            self._eof_return = -1

    # BIO_set_mem_eof_return
    def set_eof_return(self, value: int) -> int:
        """BIO_set_mem_eof_return: what an empty read returns (non-zero also sets retry)."""
        self._eof_return = value
        return 1

    def get_eof_return(self) -> int:
        """The current eof_return value."""
        return self._eof_return

    def getvalue(self) -> bytes:
        """BIO_get_mem_data: the unread contents, without consuming them."""
        return bytes(self._buf[self._pos :])

    get_mem_data = getvalue

    @property
    def readonly(self) -> bool:
        """True for a BIO made from a buffer (BIO_FLAGS_MEM_RDONLY)."""
        return self._rdonly

    # ---------------------------------------------------------------- primitives

    def _read(self, size: int) -> bytes | int:
        buf = self._buf
        pos = self._pos
        avail = len(buf) - pos
        if avail <= 0:
            ret = self._eof_return
            if ret != 0:
                self.set_retry_read()
            return ret
        if size >= avail:
            if pos == 0:
                out = bytes(buf)
            else:
                out = bytes(memoryview(buf)[pos:])
            buf.clear()
            self._pos = 0
            return out
        end = pos + size
        out = bytes(memoryview(buf)[pos:end])
        if end >= _COMPACT_AT and end * 2 >= len(buf):
            del buf[:end]
            self._pos = 0
        else:
            self._pos = end
        return out

    def _write(self, data: bytes | bytearray | memoryview) -> int:
        if self._rdonly:
            put_error(Lib.BIO, BIOReason.WRITE_TO_READ_ONLY_BIO)
            return -1
        self._buf += data
        return len(data)

    def _gets(self, size: int) -> bytes | int:
        buf = self._buf
        pos = self._pos
        avail = len(buf) - pos
        limit = min(size - 1, avail)
        if limit <= 0:
            return 0
        nl = buf.find(b"\n", pos, pos + limit)
        n = limit if nl < 0 else nl - pos + 1
        r = self._read(n)
        return r

    def _pending(self) -> int:
        return len(self._buf) - self._pos

    def _eof(self) -> bool:
        return len(self._buf) - self._pos == 0

    def _reset(self) -> int:
        if self._rdonly:
            self._buf = bytearray(self._view_data)
        else:
            self._buf.clear()
        self._pos = 0
        return 1

    def _ctrl(self, cmd: int, larg: int, parg: Any) -> int:
        if cmd == Ctrl.C_SET_BUF_MEM_EOF_RETURN:
            self._eof_return = larg
            return 1
        if cmd == Ctrl.INFO:
            return self._pending()
        return super()._ctrl(cmd, larg, parg)

    def _destroy(self) -> None:
        self._buf = bytearray()
        self._pos = 0
