"""BIO_s_file, BIO_new_file and BIO_new_fp: a BIO over a stdio-like stream (OpenSSL's bss_file.c).

The wrapped object is a Python *binary* file object; the BIO behaves the way
bss_file.c behaves over a ``FILE *``, stdio quirks included:

* ``read`` is ``fread``: it returns fewer bytes than asked only at end of file
  (or on an error after some bytes), and a file BIO never asks to retry.  At
  end of file it returns 0 and sets the end-of-file indicator, which stays set
  -- later reads return 0 and ``eof()`` is true -- until a seek or reset
  clears it (C11 fgetc semantics, glibc >= 2.28).  A failing read with no
  bytes queues a system-library entry (errno, "calling fread()") and
  BIO "system lib", and returns -1.
* ``write`` is ``fwrite(buf, len, 1)``: all of it, or 0.  On a failure biokit
  queues a system-library entry (errno, "calling fwrite()") and BIO "system
  lib", where OpenSSL 3.0 queues nothing (see ``_write``).
* ``gets`` is ``fgets``: one line with its ``\\n``, at most ``size - 1`` bytes;
  0 at end of file.  (C's strlen() would also cut a line at a NUL byte; biokit
  keeps the whole line rather than drop bytes.)
* ``reset()`` and ``seek(n)`` are ``fseek``: **0 on success**, -1 on failure --
  the exception BIO_s_file(3) documents under BUGS.  ``tell()`` is ``ftell``.
* ``flush()`` is ``fflush``: 1, or 0 with a system-library entry.
* ``FileBIO.open(path, mode)`` is BIO_new_file: ``mode`` is an fopen mode
  ("r", "w+", "ab"...; the file is always opened binary), the result owns the
  file (BIO_CLOSE).  On failure it returns None and queues what OpenSSL 3
  queues: a system-library entry with the errno and the data
  "calling fopen(<path>, <mode>)", then BIO "no such file" for ENOENT/ENXIO,
  BIO "system lib" otherwise.  (One difference remains: glibc opens a
  directory for reading and fails at the first fread; Python's open() refuses
  it at once, so ``open(dir, "r")`` already returns None, with EISDIR.)
"""

from __future__ import annotations

import errno
import io
import os
from typing import IO, Any, ClassVar, TypeAlias

from biokit.bio.core import BIO, BIO_CLOSE, BIO_NOCLOSE, BIOType, Ctrl
from biokit.errors import BIOReason, Lib, put_error

__all__ = ["BIO_FP_APPEND", "BIO_FP_READ", "BIO_FP_TEXT", "BIO_FP_WRITE", "FileBIO"]

# Flags for BIO_set_fp / BIO_C_SET_FILENAME (include/openssl/bio.h).
BIO_FP_READ = 0x02
BIO_FP_WRITE = 0x04
BIO_FP_APPEND = 0x08
BIO_FP_TEXT = 0x10

BIO_C_SET_FILENAME = 108

_PathArg: TypeAlias = "str | bytes | os.PathLike[str] | os.PathLike[bytes]"


def _python_mode(mode: str) -> str | None:
    """The binary Python open() mode for an fopen() mode, or None if glibc would refuse it."""
    if not mode or mode[0] not in "rwa":
        return None
    base = mode[0]
    plus = False
    # glibc looks at (at most) six more characters and ignores the ones it
    # does not know, so "rb+", "r+b" and "rt" are all fine.
    for ch in mode[1:7]:
        if ch == "+":
            plus = True
        elif ch == "x" and base == "w":
            base = "x"
    return base + ("+" if plus else "") + "b"


def _errno_of(exc: BaseException) -> int:
    err = getattr(exc, "errno", None)
    # io.UnsupportedOperation (reading a write-only file...) and ValueError
    # (a closed file) carry no errno; stdio reports EBADF for both.
    return err if isinstance(err, int) else errno.EBADF


class FileBIO(BIO):
    """A file BIO (BIO_new_fp / BIO_s_file) over a binary file object."""

    bio_type: ClassVar[int] = BIOType.FILE
    bio_name: ClassVar[str] = "FILE pointer"
    __slots__ = ("_at_eof", "_fp")

    def __init__(self, fp: IO[bytes] | None = None, close: int = BIO_NOCLOSE) -> None:
        super().__init__()
        self._fp: IO[bytes] | None = None
        self._at_eof = False
        self._shutdown = BIO_CLOSE
        if fp is not None:
            self.set_fp(fp, close)

    @classmethod
    def open(cls, path: _PathArg, mode: str = "r") -> FileBIO | None:
        """BIO_new_file: open ``path`` with an fopen ``mode``; None (+ queue entries) on failure."""
        bio = cls()
        fp = bio._fopen(path, mode, no_such_file=True)
        if fp is None:
            return None
        bio.set_fp(fp, BIO_CLOSE)
        return bio

    # ---------------------------------------------------------------- public API

    def set_fp(self, fp: IO[bytes], flags: int = BIO_NOCLOSE) -> int:
        """BIO_set_fp: wrap ``fp`` (releasing the previous stream as its close flag says); 1."""
        return self.ctrl(Ctrl.C_SET_FILE_PTR, flags, fp)

    def get_fp(self) -> IO[bytes] | None:
        """BIO_get_fp: the wrapped file object (None if unset)."""
        holder: list[IO[bytes] | None] = []
        self.ctrl(Ctrl.C_GET_FILE_PTR, 0, holder)
        return holder[0] if holder else None

    def read_filename(self, name: _PathArg) -> int:
        """BIO_read_filename: open ``name`` for reading ("r"); 1 or 0."""
        return self.ctrl(BIO_C_SET_FILENAME, BIO_CLOSE | BIO_FP_READ, name)

    def write_filename(self, name: _PathArg) -> int:
        """BIO_write_filename: open ``name`` for writing ("w"); 1 or 0."""
        return self.ctrl(BIO_C_SET_FILENAME, BIO_CLOSE | BIO_FP_WRITE, name)

    def append_filename(self, name: _PathArg) -> int:
        """BIO_append_filename: open ``name`` for appending ("a"); 1 or 0."""
        return self.ctrl(BIO_C_SET_FILENAME, BIO_CLOSE | BIO_FP_APPEND, name)

    def rw_filename(self, name: _PathArg) -> int:
        """BIO_rw_filename: open ``name`` for reading and writing ("r+"); 1 or 0."""
        return self.ctrl(BIO_C_SET_FILENAME, BIO_CLOSE | BIO_FP_READ | BIO_FP_WRITE, name)

    def seek(self, offset: int) -> int:
        """BIO_seek: fseek(fp, offset, SEEK_SET); 0 on success, -1 on failure."""
        return self.ctrl(Ctrl.C_FILE_SEEK, offset)

    def tell(self) -> int:
        """BIO_tell: ftell(fp); the position, or -1."""
        return self.ctrl(Ctrl.C_FILE_TELL)

    # ---------------------------------------------------------------- primitives

    def _read(self, size: int) -> bytes | int:
        fp = self._fp
        if fp is None or self._at_eof:
            return 0
        parts: list[bytes] = []
        got = 0
        try:
            # Like fread: keep reading until the count or end of file.
            while got < size:
                chunk: bytes | None = fp.read(size - got)
                if chunk is None:  # a nonblocking raw stream with nothing to give
                    if got:
                        break
                    raise BlockingIOError(errno.EAGAIN, os.strerror(errno.EAGAIN))
                if not chunk:
                    self._at_eof = True
                    break
                if not got and len(chunk) == size:
                    return chunk
                parts.append(chunk)
                got += len(chunk)
        except (OSError, ValueError) as exc:
            if not got:
                put_error(Lib.SYS, _errno_of(exc), "calling fread()")
                put_error(Lib.BIO, BIOReason.SYSTEM_LIB)
                return -1
        if not got:
            return 0
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def _write(self, data: bytes | bytearray | memoryview) -> int:
        fp = self._fp
        if fp is None:
            return 0
        total = len(data)
        try:
            n: int | None = fp.write(data)
            # A raw stream may take only part of it; fwrite would go on.
            while n is not None and 0 < n < total:
                more: int | None = fp.write(memoryview(data)[n:])
                if not more:
                    n = None
                    break
                n += more
            if not n:
                # A nonblocking raw stream that took nothing (more): EAGAIN in stdio.
                raise BlockingIOError(errno.EAGAIN, os.strerror(errno.EAGAIN))
        except (OSError, ValueError) as exc:
            # A deliberate difference: OpenSSL 3.0's file_write is silent here --
            # fwrite fails, ferror and errno are set, file_write returns 0 and
            # queues nothing (only file_read queues "calling fread()").  A C
            # caller can still look at errno or ferror(); a Python caller has
            # neither, and biokit promises that no error passes silently, so it
            # queues the pair file_read would: SYS errno + BIO "system lib".
            put_error(Lib.SYS, _errno_of(exc), "calling fwrite()")
            put_error(Lib.BIO, BIOReason.SYSTEM_LIB)
            return 0
        # fwrite(buf, len, 1) reports all or nothing.
        return total if n == total else 0

    def _gets(self, size: int) -> bytes | int:
        fp = self._fp
        if fp is None or self._at_eof:
            return 0
        limit = size - 1
        if limit <= 0:
            # fgets with room for the NUL only (or none) reads nothing; Python's
            # readline(-1) would read a whole line instead.
            return 0
        try:
            line = fp.readline(limit)
        except (OSError, ValueError):
            return 0
        if len(line) < limit and not line.endswith(b"\n"):
            self._at_eof = True
        return line if line else 0

    def _fseek(self, offset: int) -> int:
        fp = self._fp
        if fp is None:
            return -1
        try:
            fp.seek(offset, os.SEEK_SET)
        except (OSError, ValueError, OverflowError):
            return -1
        self._at_eof = False
        return 0

    def _ftell(self) -> int:
        fp = self._fp
        if fp is None:
            return -1
        try:
            return fp.tell()
        except (OSError, ValueError):
            return -1

    def _ctrl(self, cmd: int, larg: int, parg: Any) -> int:
        if cmd in (Ctrl.RESET, Ctrl.C_FILE_SEEK):
            return self._fseek(larg if cmd == Ctrl.C_FILE_SEEK else 0)
        if cmd == Ctrl.EOF:
            return 1 if self._at_eof or self._fp is None else 0
        if cmd in (Ctrl.C_FILE_TELL, Ctrl.INFO):
            return self._ftell()
        if cmd == Ctrl.C_SET_FILE_PTR:
            if isinstance(parg, io.TextIOBase):
                # Checked here, not in set_fp, so BIO_set_fp through a filter refuses it too.
                raise TypeError("FileBIO needs a binary file object, not a text stream")
            self._release()
            self._shutdown = larg & BIO_CLOSE
            self._fp = parg
            self._at_eof = False
            return 1
        if cmd == BIO_C_SET_FILENAME:
            return self._set_filename(larg, parg)
        if cmd == Ctrl.C_GET_FILE_PTR:
            if isinstance(parg, list):
                parg.append(self._fp)
            return 1
        if cmd == Ctrl.FLUSH:
            fp = self._fp
            if fp is not None:
                try:
                    fp.flush()
                except (OSError, ValueError) as exc:
                    put_error(Lib.SYS, _errno_of(exc), "calling fflush()")
                    put_error(Lib.BIO, BIOReason.SYSTEM_LIB)
                    return 0
            return 1
        if cmd in (Ctrl.GET_CLOSE, Ctrl.SET_CLOSE):
            return super()._ctrl(cmd, larg, parg)
        if cmd == Ctrl.DUP:
            return 1
        return 0

    def _destroy(self) -> None:
        self._release()

    # ---------------------------------------------------------------- helpers

    def _release(self) -> None:
        # file_free: only a BIO_CLOSE BIO closes its stream.
        if self._shutdown:
            fp = self._fp
            self._fp = None
            if fp is not None:
                try:
                    fp.close()
                except (OSError, ValueError):
                    pass

    def _fopen(self, path: Any, mode: str, *, no_such_file: bool) -> IO[bytes] | None:
        pymode = _python_mode(mode)
        try:
            if pymode is None:
                raise OSError(errno.EINVAL, os.strerror(errno.EINVAL))
            return open(path, pymode)
        except OSError as exc:
            err = _errno_of(exc)
            name = os.fsdecode(path) if isinstance(path, (str, bytes, os.PathLike)) else str(path)
            put_error(Lib.SYS, err, f"calling fopen({name}, {mode})", depth=2)
            if no_such_file and err in (errno.ENOENT, errno.ENXIO):
                put_error(Lib.BIO, BIOReason.NO_SUCH_FILE, depth=2)
            else:
                put_error(Lib.BIO, BIOReason.SYSTEM_LIB, depth=2)
            return None

    def _set_filename(self, flags: int, name: Any) -> int:
        self._release()
        self._shutdown = flags & BIO_CLOSE
        if flags & BIO_FP_APPEND:
            mode = "a+" if flags & BIO_FP_READ else "a"
        elif flags & BIO_FP_READ and flags & BIO_FP_WRITE:
            mode = "r+"
        elif flags & BIO_FP_WRITE:
            mode = "w"
        elif flags & BIO_FP_READ:
            mode = "r"
        else:
            put_error(Lib.BIO, BIOReason.BAD_FOPEN_MODE)
            return 0
        # Only BIO_new_file says "no such file"; the BIO_*_filename macros say
        # "system lib" whatever errno was.
        fp = self._fopen(name, mode, no_such_file=False)
        if fp is None:
            return 0
        self._fp = fp
        self._at_eof = False
        return 1
