"""Hypothesis strategies for biokit's test tools (imports hypothesis: tests only).

``schedules()`` draws ``Schedule`` objects for ``ScheduleBIO``.  They shrink
well: a schedule is a list of events, so hypothesis shrinks it by dropping
events, then moves each survivor towards offset 0, direction ``r`` and the
first allowed action (``retry``), and short sizes towards 1.  A failure is
reported as ``Schedule('r@0:retry; w@17:short=1')``, which ``ScheduleBIO``
accepts as is, so the minimal example can be pasted into a regression test.
"""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import strategies as st

from biokit.bio.core import RetryReason
from biokit.bio.f_schedule import Event, Schedule

__all__ = ["events", "schedules"]

_ALL_ACTIONS = ("retry", "short", "special", "eof", "error")


@st.composite
def events(
    draw: st.DrawFn,
    *,
    directions: Sequence[str] = ("r", "w"),
    actions: Sequence[str] = ("retry", "short", "special"),
    max_offset: int = 4096,
    max_short: int = 64,
    reasons: Sequence[int] = (RetryReason.CONNECT, RetryReason.ACCEPT),
) -> Event:
    """One ``Event``; ``eof``/``error`` (which end a stream) only if listed in ``actions``."""
    for a in actions:
        if a not in _ALL_ACTIONS:
            raise ValueError(f"unknown action {a!r}")
    direction = draw(st.sampled_from(list(directions)))
    offset = draw(st.integers(0, max_offset))
    usable = [a for a in actions if not (a == "eof" and direction != "r")]
    action = draw(st.sampled_from(usable or ["retry"]))
    arg = 0
    if action == "short":
        arg = draw(st.integers(1, max_short))
    elif action == "special":
        arg = int(draw(st.sampled_from(list(reasons))))
    return Event(direction, offset, action, arg)


def schedules(
    *,
    directions: Sequence[str] = ("r", "w"),
    actions: Sequence[str] = ("retry", "short", "special"),
    max_offset: int = 4096,
    max_short: int = 64,
    max_events: int = 8,
    reasons: Sequence[int] = (RetryReason.CONNECT, RetryReason.ACCEPT),
) -> st.SearchStrategy[Schedule]:
    """Schedules of up to ``max_events`` events with offsets in ``0..max_offset``.

    By default only recoverable faults are drawn (retries, short I/O, io-special
    retries with reason connect/accept), so a correct caller always gets every
    byte through; add ``"eof"``/``"error"`` to ``actions`` to draw stream ends.
    """
    one = events(
        directions=directions, actions=actions, max_offset=max_offset,
        max_short=max_short, reasons=reasons,
    )
    return st.lists(one, max_size=max_events).map(Schedule)
