"""BIO_f_nbio_test: a filter that fakes a flaky non-blocking transport (OpenSSL's bf_nbio.c).

Put it anywhere in a chain to test that the code above copes with retries
and short reads and writes.  For every ``read``/``write`` it draws a random
byte ``n``; ``n & 7`` is the most bytes the call lets through, and 0 means
"retry": the call returns -1 with the retry flag for its direction
(``should_read()`` or ``should_write()``) and ``next`` is not touched.

Writes keep one piece of state, as bf_nbio.c does (``lwn``): when ``next``
itself fails a write with a negative value, the size that was attempted is
remembered and the *next* write is offered exactly that many bytes again
without a fresh draw, so a caller that retries the same call (as OpenSSL
requires for SSL writes) sees the same request reach ``next``.  A write that
``next`` accepted in part or in full leaves no state.  (OpenSSL also declares
an ``lrn`` for reads but never uses it.)

``gets``, ``puts`` and ctrls pass straight through to ``next`` (with its retry
flags copied); ``BIO_CTRL_DUP`` returns 0.

Randomness comes from ``random.Random(seed)``: the same seed reproduces the
same schedule exactly; ``seed=None`` uses fresh OS randomness.  OpenSSL's
pieces are at most 7 bytes (``max_chunk=7``, the default).  With another
``max_chunk`` a draw with ``n & 7 == 0`` still means retry (so retries stay
one call in eight), and otherwise the limit is drawn uniformly from
``1..max_chunk``.
"""

from __future__ import annotations

import random
from typing import Any, ClassVar

from biokit.bio.core import BIOType, Ctrl, FilterBIO

__all__ = ["NBIOTestBIO"]


class NBIOTestBIO(FilterBIO):
    """A random retry/short-I/O injecting filter (BIO_f_nbio_test); seedable."""

    bio_type: ClassVar[int] = BIOType.NBIO_TEST
    bio_name: ClassVar[str] = "non-blocking IO test filter"
    __slots__ = ("_lwn", "_max_chunk", "_rng")

    def __init__(self, seed: int | str | bytes | None = None, *, max_chunk: int = 7) -> None:
        if max_chunk < 1:
            raise ValueError("max_chunk must be >= 1")
        super().__init__()
        self._rng = random.Random(seed)
        self._max_chunk = max_chunk
        self._lwn = -1  # size of the last write next refused, to offer again

    @property
    def max_chunk(self) -> int:
        """The most bytes one call lets through (OpenSSL: 7)."""
        return self._max_chunk

    def _draw(self) -> int:
        num = self._rng.getrandbits(8) & 7
        if num == 0 or self._max_chunk == 7:
            return num
        return 1 + self._rng.randrange(self._max_chunk)

    def _read(self, size: int) -> bytes | int:
        nb = self.next
        if nb is None:
            return 0
        num = self._draw()
        if num == 0:
            self.set_retry_read()
            return -1
        r = nb.read_c(size if size < num else num)
        if r.__class__ is int and r < 0:
            self.copy_next_retry()
        return r

    def _write(self, data: bytes | bytearray | memoryview) -> int:
        nb = self.next
        if nb is None:
            return 0
        if self._lwn > 0:
            num = self._lwn
            self._lwn = 0
        else:
            num = self._draw()
        if num == 0:
            self.set_retry_write()
            return -1
        inl = len(data)
        if inl > num:
            inl = num
            data = memoryview(data)[:num]
        r = nb.write(data)
        if r < 0:
            self.copy_next_retry()
            self._lwn = inl
        return r

    def _ctrl(self, cmd: int, larg: int, parg: Any) -> int:
        if cmd == Ctrl.DUP:
            return 0
        return super()._ctrl(cmd, larg, parg)
