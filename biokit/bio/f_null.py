"""BIO_f_null: the filter that does nothing (OpenSSL's bf_null.c).

Every call goes straight to ``next``, and ``next``'s retry flags are copied
back, so a chain with a NULL filter in it behaves as if it were not there.
Without a ``next`` it reads and writes nothing (returns 0).
"""

from __future__ import annotations

from typing import Any, ClassVar

from biokit.bio.core import BIOType, Ctrl, FilterBIO

__all__ = ["NullFilterBIO"]


class NullFilterBIO(FilterBIO):
    """A pass-through filter (BIO_f_null)."""

    bio_type: ClassVar[int] = BIOType.NULL_FILTER
    bio_name: ClassVar[str] = "NULL filter"
    __slots__ = ()

    def _ctrl(self, cmd: int, larg: int, parg: Any) -> int:
        # nullf_ctrl refuses BIO_CTRL_DUP; the rest is FilterBIO's pass-through.
        if cmd == Ctrl.DUP:
            return 0
        return super()._ctrl(cmd, larg, parg)
