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

from biokit.bio.core import _NOT_RETRY_MASK, BIO, BIOType, Ctrl
from biokit.errors import BIOReason, Lib, put_error

__all__ = ["MemBIO"]

class MemBIO(BIO):
    """A memory BIO (BIO_s_mem); ``MemBIO(data)`` is a read-only one (BIO_new_mem_buf)."""

    bio_type: ClassVar[int] = BIOType.MEM
    bio_name: ClassVar[str] = "memory buffer"
    # The contents are ``_head[_pos:] + _tail``.  A write into an empty BIO keeps
    # the caller's ``bytes`` object as ``_head`` (no copy); later writes append to
    # ``_tail``.  Reads slice ``_head`` (one copy of only what is read, a 64 KiB
    # backlog read in small pieces never moves the rest) and turn ``_tail`` into
    # the next ``_head`` when it runs out.
    __slots__ = ("_eof_return", "_fast", "_head", "_pos", "_rdonly", "_tail", "_view_data")

    def __init__(self, data: bytes | bytearray | memoryview | None = None) -> None:
        super().__init__()
        self._head = b""
        self._pos = 0  # read offset into _head
        self._tail = bytearray()
        self._rdonly = data is not None
        # Open, writable, no callback: the write fast path may skip BIO.write.
        self._fast = not self._rdonly
        self._view_data = b""
        if data is not None:
            self._view_data = bytes(data)
            self._head = self._view_data
            self._eof_return = 0
        else:
            self._eof_return = -1

    # BIO_set_mem_eof_return
    def set_eof_return(self, value: int) -> int:
        """BIO_set_mem_eof_return: what an empty read returns (non-zero also sets retry)."""
        return self.ctrl(Ctrl.C_SET_BUF_MEM_EOF_RETURN, value)

    def get_eof_return(self) -> int:
        """The current eof_return value."""
        return self._eof_return

    def getvalue(self) -> bytes:
        """BIO_get_mem_data: the unread contents, without consuming them."""
        head = self._head[self._pos :] if self._pos else self._head
        return head + self._tail if self._tail else head

    get_mem_data = getvalue

    @property
    def readonly(self) -> bool:
        """True for a BIO made from a buffer (BIO_FLAGS_MEM_RDONLY)."""
        return self._rdonly

    # ---------------------------------------------------------------- fast paths
    # BIO.read/BIO.write with the primitive inlined for the common case (no
    # callback, bytes waiting in _head / nothing waiting at all); every other
    # case takes the generic path.  Same flags, counters and results.

    def read(self, size: int) -> bytes:
        """BIO_read: up to ``size`` bytes; ``b""`` means nothing (consult the retry flags)."""
        head = self._head
        pos = self._pos
        avail = len(head) - pos
        if avail <= 0 or size.__class__ is not int or size <= 0 or self._callback is not None or (
            size > avail and self._tail
        ):
            return BIO.read(self, size)
        if self.flags:
            self.flags &= _NOT_RETRY_MASK
        if size >= avail:
            self._head = b""
            self._pos = 0
            self.num_read += avail
            return head[pos:] if pos else head
        end = pos + size
        self._pos = end
        self.num_read += size
        return head[pos:end]

    def write(self, data: bytes | bytearray | memoryview) -> int:
        """BIO_write: bytes taken (> 0, possibly fewer than given) or C's value (<= 0)."""
        # (An empty BIO has _head == b"" and _pos == 0: _read resets both.)
        if not self._fast or self._head or self._tail or data.__class__ is not bytes or not data:
            return BIO.write(self, data)
        if self.flags:
            self.flags &= _NOT_RETRY_MASK
        self._head = data
        self._pos = 0
        n = len(data)
        self.num_write += n
        return n

    # ---------------------------------------------------------------- primitives

    def _read(self, size: int) -> bytes | int:
        head = self._head
        pos = self._pos
        avail = len(head) - pos
        if avail <= 0:
            tail = self._tail
            if not tail:
                ret = self._eof_return
                if ret != 0:
                    self.set_retry_read()
                return ret
            head = self._head = bytes(tail)
            tail.clear()
            pos = 0
            avail = len(head)
        elif size > avail and self._tail:
            # The read spans both parts: make them one.
            head = self._head = head[pos:] + self._tail
            self._tail.clear()
            pos = 0
            avail = len(head)
        if size >= avail:
            self._head = b""
            self._pos = 0
            return head[pos:] if pos else head
        end = pos + size
        self._pos = end
        return head[pos:end]

    def _write(self, data: bytes | bytearray | memoryview) -> int:
        if self._rdonly:
            put_error(Lib.BIO, BIOReason.WRITE_TO_READ_ONLY_BIO)
            return -1
        if self._tail or self._pos < len(self._head):
            self._tail += data
        else:
            # Empty: keep an immutable buffer as it is, copy anything else once.
            self._head = data if data.__class__ is bytes else bytes(data)
            self._pos = 0
        return len(data)

    def _gets(self, size: int) -> bytes | int:
        if self._tail:
            self._head = self._head[self._pos :] + self._tail
            self._tail.clear()
            self._pos = 0
        head = self._head
        pos = self._pos
        avail = len(head) - pos
        limit = min(size - 1, avail)
        if limit <= 0:
            return 0
        nl = head.find(b"\n", pos, pos + limit)
        n = limit if nl < 0 else nl - pos + 1
        return self._read(n)

    def _pending(self) -> int:
        return len(self._head) - self._pos + len(self._tail)

    def _eof(self) -> bool:
        return len(self._head) - self._pos + len(self._tail) == 0

    def _reset(self) -> int:
        self._head = self._view_data if self._rdonly else b""
        self._tail.clear()
        self._pos = 0
        return 1

    def _ctrl(self, cmd: int, larg: int, parg: Any) -> int:
        if cmd == Ctrl.C_SET_BUF_MEM_EOF_RETURN:
            self._eof_return = larg
            return 1
        if cmd == Ctrl.INFO:
            # BIO_get_mem_data: the length, and the data through the out-parameter
            # (a list here, as C's char **).
            if isinstance(parg, list):
                parg.append(self.getvalue())
            return self._pending()
        return super()._ctrl(cmd, larg, parg)

    def set_callback(self, fn: Any) -> None:
        """BIO_set_callback_ex (a callback turns the write fast path off)."""
        super().set_callback(fn)
        self._fast = fn is None and not self._rdonly and self._init

    def _num(self) -> int:
        # bss_mem.c keeps eof_return in b->num (BIO_debug_callback_ex prints it).
        return self._eof_return

    def _destroy(self) -> None:
        self._fast = False
        self._head = b""
        self._tail = bytearray()
        self._pos = 0
