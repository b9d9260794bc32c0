"""BIO_s_null: the /dev/null of BIOs (OpenSSL's bss_null.c).

Writes are swallowed whole (the full length is returned), reads are EOF (0, no
retry flag), ``eof()`` is always true.  Put one at the end of a chain to
discard what passes through it, e.g. behind a digest filter.

The control answers are bss_null.c's: reset, eof, flush, set-close and dup
answer 1; pending, wpending, info and get-close answer 0 -- so
``get_close()`` is 0 whatever ``set_close()`` was told.
"""

from __future__ import annotations

from typing import Any, ClassVar

from biokit.bio.core import BIO, BIOType, Ctrl

__all__ = ["NullBIO"]

_ANSWER_ONE = frozenset({Ctrl.RESET, Ctrl.EOF, Ctrl.SET, Ctrl.SET_CLOSE, Ctrl.FLUSH, Ctrl.DUP})


class NullBIO(BIO):
    """The null sink (BIO_s_null): writes vanish, reads return EOF."""

    bio_type: ClassVar[int] = BIOType.NULL
    bio_name: ClassVar[str] = "NULL"
    __slots__ = ()

    def get_close(self) -> int:
        """BIO_get_close: the BIO_CTRL_GET_CLOSE answer, always 0 for a null BIO."""
        return self.ctrl(Ctrl.GET_CLOSE)

    def set_close(self, flag: int) -> int:
        """BIO_set_close: accepted (1) and ignored, as bss_null.c does."""
        return self.ctrl(Ctrl.SET_CLOSE, flag)

    def _read(self, size: int) -> bytes | int:
        return 0

    def _write(self, data: bytes | bytearray | memoryview) -> int:
        return len(data)

    def _puts(self, data: bytes) -> int:
        return len(data)

    def _gets(self, size: int) -> bytes | int:
        return 0

    def _pending(self) -> int:
        return 0

    def _wpending(self) -> int:
        return 0

    def _eof(self) -> bool:
        return True

    def _ctrl(self, cmd: int, larg: int, parg: Any) -> int:
        return 1 if cmd in _ANSWER_ONE else 0
