"""BIO_s_fd and BIO_new_fd: a BIO over a raw file descriptor (OpenSSL's bss_fd.c).

Behaviour kept from OpenSSL 3:

* ``read``/``write`` are one ``read(2)``/``write(2)`` each.  EAGAIN/EWOULDBLOCK,
  EINTR and the other errors BIO_fd_non_fatal_error() lists (ENOTCONN,
  EPROTO, EINPROGRESS, EALREADY) set the retry flag for the direction and
  return -1.  Any other error returns -1 without a retry flag; biokit also
  queues a system-library entry with the errno (bss_fd.c queues nothing, but
  Python has no errno to consult afterwards).
* A read of 0 bytes is EOF: 0, no retry, and ``eof()`` is true from then on
  (BIO_FLAGS_IN_EOF).
* ``gets`` reads one byte at a time up to and including ``\\n`` (at most
  ``size - 1`` bytes), so nothing after the line is consumed; the retry flags
  of its last one-byte read stay set, even when it returns a partial line.
* ``reset()``/``seek(n)`` return what ``lseek`` returns -- the new offset (0
  for reset) or -1 -- and ``tell()`` the current offset or -1.
* The close flag defaults to BIO_NOCLOSE; with BIO_CLOSE, ``close()`` closes
  the descriptor.  ``num`` is the descriptor, as OpenSSL's ``b->num``.
"""

from __future__ import annotations

import errno
import os
from typing import Any, ClassVar

from biokit.bio.core import BIO, BIO_FLAGS_IN_EOF, BIO_NOCLOSE, BIOType, Ctrl
from biokit.errors import Lib, put_error

__all__ = ["FdBIO"]

# BIO_fd_non_fatal_error(): errors that mean "try again later".
_NON_FATAL = frozenset(
    getattr(errno, name)
    for name in ("EWOULDBLOCK", "EAGAIN", "EINTR", "ENOTCONN", "EPROTO", "EINPROGRESS", "EALREADY")
    if hasattr(errno, name)
)


class FdBIO(BIO):
    """A file descriptor BIO (BIO_s_fd / BIO_new_fd); ``fd=-1`` makes an unset one."""

    bio_type: ClassVar[int] = BIOType.FD
    bio_name: ClassVar[str] = "file descriptor"
    __slots__ = ("_fd_init", "num")

    def __init__(self, fd: int = -1, close: int = BIO_NOCLOSE) -> None:
        super().__init__()
        self.num = -1
        self._fd_init = False
        self._shutdown = BIO_NOCLOSE
        if fd >= 0:
            self.set_fd(fd, close)

    # ---------------------------------------------------------------- public API

    def set_fd(self, fd: int, close: int = BIO_NOCLOSE) -> int:
        """BIO_set_fd: use ``fd`` (closing the old one if the close flag says so); 1."""
        return self.ctrl(Ctrl.C_SET_FD, close, fd)

    def get_fd(self) -> int:
        """BIO_get_fd: the descriptor, or -1 if none was set."""
        return self.ctrl(Ctrl.C_GET_FD)

    def fileno(self) -> int:
        """The descriptor (for ``select``); same as ``get_fd()``."""
        return self.get_fd()

    def seek(self, offset: int) -> int:
        """BIO_seek: lseek(fd, offset, SEEK_SET); the new offset, or -1."""
        return self.ctrl(Ctrl.C_FILE_SEEK, offset)

    def tell(self) -> int:
        """BIO_tell: lseek(fd, 0, SEEK_CUR); the current offset, or -1."""
        return self.ctrl(Ctrl.C_FILE_TELL)

    # ---------------------------------------------------------------- primitives

    def _read(self, size: int) -> bytes | int:
        try:
            data = os.read(self.num, size)
        except OSError as exc:
            return self._fail(exc, True)
        if not data:
            self.flags |= BIO_FLAGS_IN_EOF
            return 0
        return data

    def _write(self, data: bytes | bytearray | memoryview) -> int:
        try:
            return os.write(self.num, data)
        except OSError as exc:
            return self._fail(exc, False)

    def _fail(self, exc: OSError, reading: bool) -> int:
        err = exc.errno
        if err in _NON_FATAL:
            if reading:
                self.set_retry_read()
            else:
                self.set_retry_write()
            return -1
        # A documented deviation, as in SocketBIO: OpenSSL's fd_read/fd_write
        # queue NOTHING on failure (errno only); biokit adds a SYS entry so a
        # Python caller can see the errno.
        put_error(
            Lib.SYS,
            err if err is not None else errno.EIO,
            "calling read()" if reading else "calling write()",
            depth=2,
        )
        return -1

    def _gets(self, size: int) -> bytes | int:
        # One byte per read(2), as bss_fd.c: reading ahead would swallow bytes
        # that belong to whoever reads the descriptor after us.
        line = bytearray()
        limit = size - 1
        while len(line) < limit:
            self.clear_retry_flags()  # fd_read clears them on every call
            r = self._read(1)
            if not isinstance(r, bytes):
                break
            line += r
            if r == b"\n":
                break
        return bytes(line) if line else 0

    def _lseek(self, offset: int, whence: int) -> int:
        try:
            return os.lseek(self.num, offset, whence)
        except (OSError, OverflowError):
            return -1

    def _ctrl(self, cmd: int, larg: int, parg: Any) -> int:
        if cmd == Ctrl.RESET:
            return self._lseek(0, os.SEEK_SET)
        if cmd == Ctrl.C_FILE_SEEK:
            return self._lseek(larg, os.SEEK_SET)
        if cmd in (Ctrl.C_FILE_TELL, Ctrl.INFO):
            return self._lseek(0, os.SEEK_CUR)
        if cmd == Ctrl.C_SET_FD:
            self._release()
            self.num = int(parg)
            self._shutdown = larg
            self._fd_init = True
            return 1
        if cmd == Ctrl.C_GET_FD:
            return self.num if self._fd_init else -1
        if cmd in (Ctrl.DUP, Ctrl.FLUSH):
            return 1
        if cmd == Ctrl.EOF:
            return 1 if self.flags & BIO_FLAGS_IN_EOF else 0
        if cmd in (Ctrl.GET_CLOSE, Ctrl.SET_CLOSE):
            return super()._ctrl(cmd, larg, parg)
        return 0

    def _release(self) -> None:
        # fd_free: only a BIO_CLOSE BIO closes its descriptor and forgets its
        # flags (EOF included); a BIO_NOCLOSE one keeps both.
        if self._shutdown:
            if self._fd_init:
                try:
                    os.close(self.num)
                except OSError:
                    pass
            self._fd_init = False
            self.flags = 0

    def _destroy(self) -> None:
        self._release()
