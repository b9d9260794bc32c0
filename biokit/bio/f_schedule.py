"""ScheduleBIO: a scripted, deterministic fault-injecting filter (no OpenSSL equivalent).

Where ``NBIOTestBIO`` (BIO_f_nbio_test) throws dice, ``ScheduleBIO`` follows a
script: *this* read is refused, *that* write is cut to 3 bytes, the stream ends
after 500 bytes.  The same schedule always produces the same calls, so a
failing test can be rerun, and a hypothesis strategy
(``biokit.testing.strategies.schedules``) can search the space of schedules and
shrink a failure to a minimal one.

Theory of operation
-------------------
The filter counts the bytes that cross it in each direction: the *read offset*
(bytes returned by ``read``/``gets``) and the *write offset* (bytes ``next``
took from ``write``/``puts``).  Every event is anchored at an offset in its
direction::

    offset  0 ......... 100 ........... 500
    reads   |  bytes    | retry | bytes  | EOF, EOF, EOF ...
                        ^ r@100:retry    ^ r@500:eof

1. An event is *due* once its direction's offset has reached the event's
   offset.  Due events fire one per call, in order of offset, then of listing.
2. No call may carry the stream across the offset of a pending event: it is
   cut short there.  So ``r@100:retry`` refuses exactly the read that would
   start at byte 100, whatever sizes the caller asks for (the read before it
   delivers at most up to byte 100).
3. Bytes are never lost or duplicated: a refused call touches nothing, and a
   short call passes only a prefix of the caller's data to ``next``.  The only
   exception is the one the schedule asks for: ``eof`` ends the read stream
   (the bytes after it stay unread in ``next``).
4. When ``next`` itself refuses (nothing to read, buffer full...), its retry
   flags are copied, as any filter does; a ``short`` event stays due until a
   call actually moves a byte, every other event is consumed when it fires.

Events (``str(event)`` gives this form; ``@N`` may be left out for ``@0``)::

    r@N:retry          the read at byte N returns -1 + should_read()
    w@N:retry          the write at byte N returns -1 + should_write()
    r@N:short=K        the read at byte N returns at most K bytes
    w@N:short=K        the write at byte N passes at most K bytes to next
    r@N:eof            from byte N on, reads return 0 without retry; eof() is true
    r@N:error          from byte N on, calls fail (-1) without retry flags and
    w@N:error            without an error-queue entry (a dead transport: what
                         SSL_get_error then calls SYSCALL)
    r@N:special=R      io-special retry with reason R (connect, accept, x509 or
    w@N:special=R        a number): what SSL_get_error maps to WANT_CONNECT/ACCEPT
    *@N:ACTION         either direction: fires on the first call, read or write,
                         whose own offset has reached N (retry, short, special,
                         error)

A schedule is a list of events or a string joining them with ``;``, e.g.
``"r@100:retry; w@0:short=3; r@500:eof; *:special=connect"``.  ``flush``,
``ctrl`` and the queries (``pending``, ``wpending``) pass straight through,
except that ``pending()`` never reports bytes past a read EOF event.
``reset()`` re-arms the whole schedule and resets both offsets.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

from biokit.bio.core import BIOType, Ctrl, FilterBIO, RetryReason

__all__ = ["Event", "EventLike", "Schedule", "ScheduleBIO"]

_ACTIONS = ("retry", "short", "eof", "error", "special")
_REASONS = {
    "connect": RetryReason.CONNECT,
    "accept": RetryReason.ACCEPT,
    "x509": RetryReason.SSL_X509_LOOKUP,
}
_REASON_NAMES = {int(v): k for k, v in _REASONS.items()}
_EVENT_RE = re.compile(
    r"^\s*(?P<dir>[rw*])\s*(?:@\s*(?P<off>\d+))?\s*:\s*(?P<act>[a-z]+)"
    r"\s*(?:=\s*(?P<arg>[a-z0-9]+))?\s*$"
)


@dataclass(frozen=True, slots=True)
class Event:
    """One scripted fault: ``direction`` ("r", "w" or "*"), ``offset``, ``action``, ``arg``."""

    direction: str
    offset: int
    action: str
    arg: int = 0

    def __post_init__(self) -> None:
        if self.direction not in ("r", "w", "*"):
            raise ValueError(f"event direction must be 'r', 'w' or '*', not {self.direction!r}")
        if self.offset < 0:
            raise ValueError("event offset must be >= 0")
        if self.action not in _ACTIONS:
            raise ValueError(f"unknown event action {self.action!r} (one of {_ACTIONS})")
        if self.action == "short" and self.arg < 1:
            raise ValueError("short=K needs K >= 1")
        if self.action == "eof" and self.direction != "r":
            raise ValueError("eof ends the read stream: use r@N:eof (w@N:error for writes)")
        if self.action == "special" and self.arg < 0:
            raise ValueError("special=R needs a retry reason >= 0")

    @classmethod
    def parse(cls, text: str) -> Event:
        """Parse one event from its string form, e.g. ``"r@100:retry"``."""
        m = _EVENT_RE.match(text)
        if m is None:
            raise ValueError(f"bad schedule event {text!r} (expected e.g. 'r@100:retry')")
        action, raw = m["act"], m["arg"]
        arg = 0
        if action in ("short", "special"):
            if raw is None:
                raise ValueError(f"{action} needs an argument in {text!r} (e.g. {action}=3)")
            if action == "special" and raw in _REASONS:
                arg = int(_REASONS[raw])
            elif raw.isdigit():
                arg = int(raw)
            else:
                raise ValueError(f"bad argument {raw!r} in {text!r}")
        elif raw is not None:
            raise ValueError(f"{action} takes no argument in {text!r}")
        return cls(m["dir"], int(m["off"] or 0), action, arg)

    def applies_to(self, direction: str) -> bool:
        """Whether the event can fire on a call in ``direction`` ("r" or "w")."""
        return self.direction == direction or self.direction == "*"

    @property
    def persistent(self) -> bool:
        """True for ``eof`` and ``error``: once due they fire on every call."""
        return self.action in ("eof", "error")

    def __str__(self) -> str:
        where = self.direction if self.direction == "*" and not self.offset else (
            f"{self.direction}@{self.offset}"
        )
        if self.action == "short":
            return f"{where}:short={self.arg}"
        if self.action == "special":
            return f"{where}:special={_REASON_NAMES.get(self.arg, str(self.arg))}"
        return f"{where}:{self.action}"


# An event as a Schedule accepts it: an Event, its string form, or the Event's fields.
EventLike = Event | str | tuple[str, int, str] | tuple[str, int, str, int]


class Schedule:
    """An ordered, immutable list of events; ``str()`` gives the parseable string form.

    Built from a string (``"r@100:retry; w@0:short=3"``) or a list whose items
    are ``Event``s, event strings or tuples ``(direction, offset, action[, arg])``.
    """

    __slots__ = ("events",)

    def __init__(self, events: Schedule | str | Iterable[EventLike] = ()) -> None:
        if isinstance(events, Schedule):
            self.events: tuple[Event, ...] = events.events
            return
        items: Iterable[EventLike] = events.split(";") if isinstance(events, str) else events
        parsed: list[Event] = []
        for item in items:
            if isinstance(item, Event):
                parsed.append(item)
            elif isinstance(item, tuple):
                parsed.append(Event(*item))
            elif item.strip():
                parsed.append(Event.parse(item))
        self.events = tuple(parsed)

    def __iter__(self) -> Iterator[Event]:
        return iter(self.events)

    def __len__(self) -> int:
        return len(self.events)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Schedule) and self.events == other.events

    def __hash__(self) -> int:
        return hash(self.events)

    def __str__(self) -> str:
        return "; ".join(str(e) for e in self.events)

    def __repr__(self) -> str:
        return f"Schedule({str(self)!r})"


class ScheduleBIO(FilterBIO):
    """A filter that injects the scripted retries, short I/O and EOF of a ``Schedule``."""

    bio_type: ClassVar[int] = BIOType.SCHEDULE
    bio_name: ClassVar[str] = "schedule"
    __slots__ = ("_pending_events", "fired", "read_offset", "schedule", "write_offset")

    def __init__(self, schedule: Schedule | str | Iterable[EventLike] = ()) -> None:
        super().__init__()
        self.schedule = Schedule(schedule)
        self.read_offset = 0
        self.write_offset = 0
        #: (event, "r" or "w") for every event that fired, in order.
        self.fired: list[tuple[Event, str]] = []
        self._pending_events: list[Event] = []
        self._arm()

    def _arm(self) -> None:
        # A stable sort keeps the listed order among events at one offset.
        self._pending_events = sorted(self.schedule.events, key=lambda e: e.offset)
        self.read_offset = 0
        self.write_offset = 0

    def remaining(self) -> list[Event]:
        """The events that have not fired yet (``eof``/``error`` stay once armed)."""
        return list(self._pending_events)

    def _plan(self, direction: str, pos: int) -> tuple[Event | None, int]:
        """The due event for a call at ``pos`` (or None) and how far the call may go."""
        due: Event | None = None
        for ev in self._pending_events:
            if not ev.applies_to(direction):
                continue
            if ev.offset <= pos:
                if due is None:
                    due = ev
                continue
            return due, ev.offset - pos
        return due, -1

    def _fire(self, ev: Event, direction: str) -> int:
        """Run a refusing event; the C return value of the refused call."""
        self.fired.append((ev, direction))
        if not ev.persistent:
            self._pending_events.remove(ev)
        if ev.action == "retry":
            if direction == "r":
                self.set_retry_read()
            else:
                self.set_retry_write()
            return -1
        if ev.action == "special":
            self.set_retry_special(ev.arg)
            return -1
        if ev.action == "eof":
            return 0
        return -1  # error: no retry flags, nothing on the queue

    def _limit(self, direction: str, pos: int, size: int) -> tuple[Event | None, int]:
        """(a due short event or None, the size the call may pass on); size < 0: refused."""
        due, room = self._plan(direction, pos)
        if due is not None and due.action != "short":
            return due, -1
        if due is not None and due.arg < size:
            size = due.arg
        if 0 <= room < size:
            size = room
        return due, size

    def _consume_short(self, due: Event | None, direction: str) -> None:
        if due is not None:
            self.fired.append((due, direction))
            self._pending_events.remove(due)

    def _read(self, size: int) -> bytes | int:
        nb = self.next
        if nb is None:
            return 0
        if size == 0 or not self._pending_events:
            r = nb.read_c(size)
            self.copy_next_retry()
            if isinstance(r, bytes):
                self.read_offset += len(r)
            return r
        due, limit = self._limit("r", self.read_offset, size)
        if limit < 0:
            assert due is not None
            return self._fire(due, "r")
        r = nb.read_c(limit)
        self.copy_next_retry()
        if isinstance(r, bytes):
            self.read_offset += len(r)
            self._consume_short(due, "r")
        return r

    def _gets(self, size: int) -> bytes | int:
        nb = self.next
        if nb is None:
            return 0
        if size <= 1:
            # No byte can come back: nothing to schedule, pass it on as it is.
            r = nb.gets_c(size)
            self.copy_next_retry()
            return r
        # gets(size) returns at most size - 1 bytes: ask next for limit + 1.
        due, limit = self._limit("r", self.read_offset, size - 1)
        if limit < 0:
            assert due is not None
            return self._fire(due, "r")
        r = nb.gets_c(limit + 1)
        self.copy_next_retry()
        if isinstance(r, bytes) and r:
            self.read_offset += len(r)
            self._consume_short(due, "r")
        return r

    def _write(self, data: bytes | bytearray | memoryview) -> int:
        nb = self.next
        if nb is None:
            return 0
        if not self._pending_events:
            n = nb.write(data)
            self.copy_next_retry()
            if n > 0:
                self.write_offset += n
            return n
        due, limit = self._limit("w", self.write_offset, len(data))
        if limit < 0:
            assert due is not None
            return self._fire(due, "w")
        n = nb.write(memoryview(data)[:limit] if limit < len(data) else data)
        self.copy_next_retry()
        if n > 0:
            self.write_offset += n
            self._consume_short(due, "w")
        return n

    def _puts(self, data: bytes) -> int:
        return self._write(data) if data else 0

    def _eof_offset(self) -> int:
        for ev in self._pending_events:
            if ev.action == "eof":
                return ev.offset
        return -1

    def _pending(self) -> int:
        nb = self.next
        n = nb.pending() if nb is not None else 0
        stop = self._eof_offset()
        if stop >= 0:
            n = min(n, max(stop - self.read_offset, 0))
        return n

    def _eof(self) -> bool:
        stop = self._eof_offset()
        if 0 <= stop <= self.read_offset:
            return True
        return super()._eof()

    def _reset(self) -> int:
        self._arm()
        self.fired.clear()
        return super()._reset()

    def _ctrl(self, cmd: int, larg: int, parg: Any) -> int:
        if cmd == Ctrl.DUP:
            return 0
        return super()._ctrl(cmd, larg, parg)

    def __repr__(self) -> str:
        return (
            f"<ScheduleBIO {str(self.schedule)!r} r={self.read_offset} w={self.write_offset} "
            f"fired={len(self.fired)}>"
        )
