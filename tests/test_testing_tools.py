"""biokit's test tools: ScheduleBIO, RecordBIO/ReplayBIO, explain(), the pytest plugin.

The properties at the heart of it:

* under any generated schedule of retries, short reads/writes and io-special
  retries on *both* sides, a TLS 1.3 handshake, a 100 KiB echo and a
  bidirectional shutdown end with identical bytes and both sides in the
  documented final state (see ``assert_closed_state``);
* a recorded session (RecordBIO) replays call for call and byte for byte
  (ReplayBIO, seeded randoms, Ed25519 certificates);
* a deadlocked pump is reported (``Deadlock``), not hung, and a pump that
  runs out of rounds while still making progress says so (``StepLimit``);
* ``explain()`` names the right rule of SSL_get_error(3) and always agrees
  with ``SSL.get_error``.

Most tests here take the plugin's fixtures (``tls_pair``, ``bio_pair``,
``pump``, ``schedule``) as a user's test would; the hypothesis properties call
``biokit.testing`` directly, since a fixture lives once per test, not once per
generated example.
"""

from __future__ import annotations

import io
import json
import random
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

from biokit.bio import BufferBIO, FilterBIO, MemBIO, PairBIO, RetryReason
from biokit.bio.core import BIO_CB_RETURN, BIO_CB_WRITE
from biokit.bio.f_record import RecordBIO
from biokit.bio.f_schedule import Event, Schedule, ScheduleBIO
from biokit.bio.s_replay import ReplayBIO, ReplayMismatch
from biokit.errors import Lib, SSLReason, clear_error, error_count, errors_as_list, put_error
from biokit.ssl import SSL, ErrorCode, Op, Shutdown
from biokit.testing import (
    Deadlock,
    HandshakeFailed,
    PumpError,
    Step,
    StepLimit,
    TLSPair,
    pump,
    tls_pair,
)
from biokit.testing.explain import RULES, explain
from biokit.testing.strategies import schedules

if TYPE_CHECKING:
    # Imported for annotations only: importing the plugin module before pytest
    # loads it would keep pytest from rewriting its asserts (and warn).
    from biokit.testing.plugin import ScheduleFactory


def _plugin_installed() -> bool:
    return any(ep.value == "biokit.testing.plugin" for ep in entry_points(group="pytest11"))


# With the entry point installed the plugin is already loaded; loading it a
# second time under its module name would make pytest refuse to start.
pytest_plugins = ["pytester"] + ([] if _plugin_installed() else ["biokit.testing.plugin"])

# What the plugin's fixtures are, for annotations.
TLSPairFactory = Callable[..., TLSPair]
BioPairFactory = Callable[..., tuple[PairBIO, PairBIO]]
Pump = Callable[..., list[Step]]

WANTS = (ErrorCode.WANT_READ, ErrorCode.WANT_WRITE)
FINISHED = "SSL negotiation finished successfully"
DATA = random.Random(7).randbytes(100 * 1024)
CHUNK = 16384


def schedule_on(ssl: SSL, spec: Schedule | str) -> ScheduleBIO:
    """Put a ScheduleBIO in front of ``ssl``'s (single) transport BIO."""
    bio = ssl.get_rbio()
    assert bio is not None and bio is ssl.get_wbio()
    sched = ScheduleBIO(spec).push(bio)
    ssl.set_bio(sched, sched)
    return sched


# ====================================================================== ScheduleBIO


def test_schedule_string_form_round_trips() -> None:
    text = "r@100:retry; w@0:short=3; r@500:eof; *:special=connect; w@7:error; *@9:retry"
    s = Schedule(text)
    assert str(s) == text
    assert Schedule(str(s)) == s
    assert list(s)[3] == Event("*", 0, "special", int(RetryReason.CONNECT))
    assert Schedule(" r : retry ;; w@2:special=7 ") == Schedule(
        [Event("r", 0, "retry"), "w@2:special=7"]
    )
    assert repr(Schedule("r@1:short=2")) == "Schedule('r@1:short=2')"
    assert Schedule([("w", 3, "short", 2), ("r", 9, "eof")]) == Schedule("w@3:short=2; r@9:eof")


@pytest.mark.parametrize(
    "bad",
    ["w@0:eof", "r@1:short", "r@1:short=0", "x@1:retry", "r@1:retry=3", "r@-1:retry",
     "r@1:explode", "r@1:special=nowhere", "r1:retry"],
)
def test_schedule_rejects_bad_events(bad: str) -> None:
    with pytest.raises(ValueError):
        Schedule(bad)


def test_read_retry_fires_exactly_at_its_byte() -> None:
    src = MemBIO(b"0123456789")
    s = ScheduleBIO("r@4:retry").push(src)
    assert s.read(100) == b"0123"  # cut short at the event's offset
    assert s.read(100) == b""
    assert s.should_retry() and s.should_read() and not s.should_write()
    assert s.retry_reason == 0 and not s.eof()
    assert src.pending() == 6  # the refused call touched nothing
    assert s.read(100) == b"456789"
    assert s.read(100) == b"" and not s.should_retry() and s.eof()
    assert [(str(e), d) for e, d in s.fired] == [("r@4:retry", "r")]
    assert s.read_offset == 10 and s.num_read == 10


def test_short_read_and_consecutive_events_at_one_offset() -> None:
    s = ScheduleBIO("r@2:short=3; r@2:retry; r@5:retry").push(MemBIO(b"abcdefghij"))
    out = []
    for _ in range(8):
        r = s.read(100)
        out.append(r if r else ("retry" if s.should_retry() else "end"))
    # short=3 at 2, then the retry listed at 2 fires on the next call (at 5),
    # then r@5's own retry, then the rest.
    assert out == [b"ab", b"cde", "retry", "retry", b"fghij", "end", "end", "end"]


def test_eof_ends_the_read_stream_and_caps_pending() -> None:
    src = MemBIO(b"0123456789")
    s = ScheduleBIO("r@6:eof").push(src)
    assert s.pending() == 6
    assert s.read(4) == b"0123"
    assert s.pending() == 2 and not s.eof()
    assert s.read(100) == b"45"
    for _ in range(3):
        assert s.read(100) == b""
        assert not s.should_retry() and s.eof()
        assert s.pending() == 0
    assert src.pending() == 4  # the bytes after the EOF stay unread in next


def test_write_retry_short_and_error() -> None:
    clear_error()
    sink = MemBIO()
    s = ScheduleBIO("w@3:retry; w@3:short=2; w@10:error").push(sink)
    assert s.write(b"abcdef") == 3
    assert s.write(b"def") == -1 and s.should_write() and s.should_retry()
    assert s.write(b"def") == 2 and not s.should_retry()
    assert s.write(b"f" * 20) == 5  # cut at the error's offset
    for _ in range(2):
        assert s.write(b"zz") == -1
        assert not s.should_retry() and error_count() == 0
    assert sink.getvalue() == b"abcdefffff"
    assert s.write_offset == 10


def test_io_special_events_carry_their_reason() -> None:
    s = ScheduleBIO("*:special=connect; r@0:special=accept; w@1:special=x509").push(MemBIO())
    assert s.write(b"ab") == -1
    assert s.should_io_special() and s.should_retry() and not s.should_write()
    assert s.retry_reason == RetryReason.CONNECT
    assert s.write(b"ab") == 1  # cut at w@1
    assert s.read(5) == b""
    assert s.should_io_special() and s.retry_reason == RetryReason.ACCEPT
    assert s.write(b"b") == -1 and s.retry_reason == RetryReason.SSL_X509_LOOKUP
    assert s.read(5) == b"a"  # the one byte the cut write let through
    assert [d for _, d in s.fired] == ["w", "r", "w"]


def test_short_event_waits_for_a_call_that_moves_bytes() -> None:
    mem = MemBIO()
    s = ScheduleBIO("r@0:short=2").push(mem)
    assert s.read(10) == b"" and s.should_read()  # copied from the empty MemBIO
    assert len(s.remaining()) == 1
    mem.write(b"abcdef")
    assert s.read(10) == b"ab"
    assert s.remaining() == [] and s.read(10) == b"cdef"


def test_gets_and_puts_follow_the_schedule() -> None:
    s = ScheduleBIO("r@3:retry").push(MemBIO(b"line1\nline2\n"))
    assert s.gets(100) == b"lin"
    assert s.gets(100) == b"" and s.should_read()
    assert s.gets(100) == b"e1\n"
    w = ScheduleBIO("w@2:retry").push(MemBIO())
    assert w.puts("hello") == 2
    assert w.puts("llo") == -1 and w.should_write()


def test_reset_rearms_the_schedule() -> None:
    src = MemBIO(b"abcdef")
    s = ScheduleBIO("r@2:retry").push(src)
    assert s.read(9) == b"ab" and s.read(9) == b""
    assert s.reset() == 1  # MemBIO(b"...") rewinds
    assert s.read_offset == 0 and s.fired == []
    assert s.read(9) == b"ab" and s.read(9) == b"" and s.should_read()
    assert s.read(9) == b"cdef"


@settings(max_examples=60, deadline=None)
@given(
    data=st.binary(max_size=600),
    sched=schedules(max_offset=600, max_short=16),
    sizes=st.lists(st.integers(1, 64), min_size=1, max_size=8),
)
def test_no_byte_lost_or_duplicated_in_either_direction(
    data: bytes, sched: Schedule, sizes: list[int]
) -> None:
    reader = ScheduleBIO(sched).push(MemBIO(data))
    got = bytearray()
    for i in range(10000):
        r = reader.read(sizes[i % len(sizes)])
        if r:
            got += r
        elif not reader.should_retry():
            break
    assert bytes(got) == data
    sink = MemBIO()
    writer = ScheduleBIO(sched).push(sink)
    view = memoryview(data)
    pos = 0
    for i in range(10000):
        if pos == len(data):
            break
        n = writer.write(view[pos : pos + sizes[i % len(sizes)]])
        if n > 0:
            pos += n
        else:
            assert writer.should_retry()
    assert sink.getvalue() == data


def test_schedules_shrink_to_a_minimal_example() -> None:
    def late_write_retry(s: Schedule) -> bool:
        return any(e.direction == "w" and e.action == "retry" and e.offset >= 100 for e in s)

    found = find(schedules(), late_write_retry, settings=settings(database=None))
    assert str(found) == "w@100:retry"
    two = find(
        schedules(),
        lambda s: sum(e.action == "short" for e in s) >= 2,
        settings=settings(database=None),
    )
    assert str(two) == "r@0:short=1; r@0:short=1"


# ================================================================ TLS under schedules


def patient(ssl: SSL, scheds: list[ScheduleBIO], call: Callable[[], int]) -> Callable[[], int]:
    """``call``, called again at once after a failure that an injected fault caused.

    (An application would wait for readiness; a fault injected on purpose is
    ready at once.  Without this, pump would see rounds in which no byte moves
    and, rightly, report a deadlock.)  Every failure is also checked against
    explain(), which must agree with get_error and name rule 2 or 3.
    """

    def run() -> int:
        r = -1
        for _ in range(512):
            before = sum(len(s.fired) for s in scheds)
            r = call()
            if r > 0:
                return r
            ex = explain(ssl, r)
            assert ex.agrees, str(ex)
            assert ex.rule in (2, 3) or ex.code not in WANTS, str(ex)
            if sum(len(s.fired) for s in scheds) == before:
                return r
        return r

    return run


class Transfer:
    """``src`` sends ``data`` (retrying with the same buffer), ``dst`` reads it: pump ops."""

    def __init__(self, src: SSL, dst: SSL, data: bytes) -> None:
        self.src, self.dst = src, dst
        self.view = memoryview(data)
        self.sent = 0
        self.piece: memoryview | None = None
        self.received = bytearray()

    def send_op(self) -> int:
        for _ in range(100000):
            if self.sent == len(self.view):
                return 1
            # After WANT_WRITE, SSL_write is retried with the very same buffer.
            if self.piece is None:
                self.piece = self.view[self.sent : self.sent + CHUNK]
            n = self.src.write(self.piece)
            if n <= 0:
                return n
            self.sent += n
            self.piece = None
        raise AssertionError("send op did not settle")

    def recv_op(self) -> int:
        for _ in range(100000):
            if len(self.received) == len(self.view):
                return 1
            r = self.dst.read_c(CHUNK)
            if isinstance(r, int):
                return r
            self.received += r
        raise AssertionError("recv op did not settle")


class Echo:
    """Full duplex: the client streams ``data`` while the server echoes every record back."""

    def __init__(self, client: SSL, server: SSL, data: bytes) -> None:
        self.client, self.server = client, server
        self.view = memoryview(data)
        self.sent = 0
        self.piece: memoryview | None = None
        self.back = bytearray()
        self.received = bytearray()
        self.echo: bytes | None = None
        self.echoed = 0

    def client_op(self) -> int:
        c = self.client
        for _ in range(100000):
            moved = False
            if self.sent < len(self.view):
                if self.piece is None:
                    self.piece = self.view[self.sent : self.sent + CHUNK]
                n = c.write(self.piece)
                if n > 0:
                    self.sent += n
                    self.piece = None
                    moved = True
                elif c.get_error(n) not in WANTS:
                    return n
            # Read even while a write is pending: the peer may be blocked on us.
            r = c.read_c(CHUNK)
            if isinstance(r, bytes):
                self.back += r
                moved = True
            elif c.get_error(r) not in WANTS:
                return r
            if self.sent == len(self.view) and len(self.back) == len(self.view):
                return 1
            if not moved:
                return r if isinstance(r, int) else -1
        raise AssertionError("echo client op did not settle")

    def server_op(self) -> int:
        s = self.server
        for _ in range(100000):
            if self.echoed == len(self.view):
                return 1
            if self.echo is None:
                r = s.read_c(CHUNK)
                if isinstance(r, int):
                    return r
                self.received += r
                self.echo = r
            n = s.write(self.echo)  # the same object again after WANT_WRITE
            if n <= 0:
                return n
            self.echoed += n
            self.echo = None
        raise AssertionError("echo server op did not settle")


def shutdown_op(ssl: SSL) -> Callable[[], int]:
    def run() -> int:
        r = ssl.shutdown()
        if r == 0:  # close_notify sent; the second call waits for the peer's
            r = ssl.shutdown()
        return r

    return run


def assert_closed_state(ssl: SSL) -> None:
    """The documented end state of a side after a completed bidirectional shutdown.

    SSL_get_shutdown() is SENT|RECEIVED; the handshake state is still "SSL
    negotiation finished successfully"; nothing is buffered; SSL_shutdown()
    returns 1 again; SSL_read returns 0 with ZERO_RETURN (rule 5: close_notify
    received); SSL_write fails with SSL / "protocol is shutdown" (rule 1).
    """
    assert ssl.get_shutdown() == Shutdown.SENT | Shutdown.RECEIVED
    assert ssl.is_init_finished() and ssl.state_string_long() == FINISHED
    assert ssl.pending() == 0 and not ssl.has_pending()
    assert ssl.shutdown() == 1  # idempotent once both close_notify are done
    r = ssl.read(10)
    ex = explain(ssl, r, "SSL_read()")
    assert (r, ex.code, ex.rule, ex.close_notify, ex.agrees) == (
        b"", ErrorCode.ZERO_RETURN, 5, True, True
    )
    clear_error()
    w = ssl.write(b"late")
    ex = explain(ssl, w, "SSL_write()")
    assert (w, ex.code, ex.rule) == (-1, ErrorCode.SSL, 1)
    assert ex.error is not None and ex.error.reason == SSLReason.PROTOCOL_IS_SHUTDOWN
    clear_error()


def run_session(
    p: TLSPair,
    client_scheds: list[ScheduleBIO],
    server_scheds: list[ScheduleBIO],
    data: bytes = DATA,
    on_step: Callable[[Step], None] | None = None,
) -> tuple[Transfer, Transfer, Echo]:
    """Handshake; ``data`` up, then down, then echoed full duplex; shutdown -- all by pump."""
    c, s = p.client, p.server
    pump(
        c, s, max_steps=400, on_step=on_step,
        client_op=patient(c, client_scheds, c.connect),
        server_op=patient(s, server_scheds, s.accept),
    )
    assert c.get_version() == s.get_version() == "TLSv1.3"
    up, down = Transfer(c, s, data), Transfer(s, c, data)
    pump(
        c, s, max_steps=4000, on_step=on_step,
        client_op=patient(c, client_scheds, up.send_op),
        server_op=patient(s, server_scheds, up.recv_op),
    )
    pump(
        c, s, max_steps=4000, on_step=on_step,
        client_op=patient(c, client_scheds, down.recv_op),
        server_op=patient(s, server_scheds, down.send_op),
    )
    echo = Echo(c, s, data)
    pump(
        c, s, max_steps=4000, on_step=on_step,
        client_op=patient(c, client_scheds, echo.client_op),
        server_op=patient(s, server_scheds, echo.server_op),
    )
    pump(
        c, s, max_steps=400, on_step=on_step,
        client_op=patient(c, client_scheds, shutdown_op(c)),
        server_op=patient(s, server_scheds, shutdown_op(s)),
    )
    return up, down, echo


@settings(
    max_examples=50, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    client_sched=schedules(max_offset=210_000, max_events=6),
    server_sched=schedules(max_offset=210_000, max_events=6),
    pair_size=st.sampled_from([0, 4096, 1500, 600]),
)
def test_tls13_handshake_echo_shutdown_under_any_schedule(
    client_sched: Schedule, server_sched: Schedule, pair_size: int
) -> None:
    clear_error()
    p = tls_pair(connect=False, max_version=0x0304, min_version=0x0304, pair_size=pair_size)
    cs, ss = schedule_on(p.client, client_sched), schedule_on(p.server, server_sched)
    up, down, echo = run_session(p, [cs], [ss])
    assert bytes(up.received) == DATA
    assert bytes(down.received) == DATA
    assert bytes(echo.received) == DATA and bytes(echo.back) == DATA
    for ssl in (p.client, p.server):
        assert_closed_state(ssl)
    # Nothing left in flight in either direction of the pair.
    for sched in (cs, ss):
        pair = sched.next
        assert isinstance(pair, PairBIO)
        assert pair.pending() == 0 and pair.wpending() == 0
    # Each fired event is one of the schedule's, fired at most once (none persistent here).
    for sched in (cs, ss):
        fired = [e for e, _ in sched.fired]
        assert len(fired) + len(sched.remaining()) == len(sched.schedule)
        assert sorted(map(str, fired + sched.remaining())) == sorted(map(str, sched.schedule))
    assert error_count() == 0


def test_ssl_read_does_not_wait_for_a_pending_write(tls_pair: TLSPairFactory) -> None:
    p = tls_pair(pair_size=4096)
    for ssl in (p.client, p.server):
        n = ssl.write(b"x" * 16384)  # one record, larger than the pair's buffer
        assert n == -1 and ssl.get_error(n) == ErrorCode.WANT_WRITE
    # Python's ssl (OpenSSL 3.0) over a socketpair with full buffers answers
    # SSL_read here with WANT_READ: it never flushes the pending write first
    # (flushing first would deadlock full-duplex use of full transports).
    r = p.client.read_c(100000)
    assert r == -1 and p.client.get_error(r) == ErrorCode.WANT_READ


def _seeded(p: TLSPair, salt: str = "") -> None:
    for name, ssl in (("client", p.client), ("server", p.server)):
        ssl.set_random_source(random.Random(f"biokit-{name}{salt}").randbytes)


def test_a_schedule_reproduces_the_same_session_exactly() -> None:
    spec_c = "w@0:short=1; r@5:retry; *@300:special=connect; w@4000:retry; r@9000:short=3"
    spec_s = "r@0:retry; w@20:retry; w@2000:special=accept; r@15000:retry"

    def once() -> tuple[list[str], list[str], list[tuple[str, str]]]:
        # No tickets: a ticket carries its issuing time and a per-context key.
        p = tls_pair("ed25519", connect=False, tickets=0)
        _seeded(p)
        trace: list[str] = []
        for name, ssl in (("c", p.client), ("s", p.server)):
            ssl.set_msg_callback(
                lambda w, v, ct, data, _ssl, name=name: trace.append(f"{name}{w}{ct}:{data.hex()}")
            )
        cs, ss = schedule_on(p.client, spec_c), schedule_on(p.server, spec_s)
        steps: list[str] = []
        run_session(p, [cs], [ss], data=DATA[:20000], on_step=lambda st_: steps.append(str(st_)))
        fired = [(str(e), d) for e, d in cs.fired + ss.fired]
        return steps, trace, fired

    a, b = once(), once()
    assert a == b
    assert len(a[2]) == 9  # every event was reached and fired once
    assert ("*@300:special=connect", "r") in a[2] or ("*@300:special=connect", "w") in a[2]


# ==================================================================== deadlock


class HoldBIO(FilterBIO):
    """Keeps every byte written until flushed -- and its flush is broken (1, sends nothing)."""

    bio_name: ClassVar[str] = "hold"
    __slots__ = ("held",)

    def __init__(self) -> None:
        super().__init__()
        self.held = bytearray()

    def _write(self, data: bytes | bytearray | memoryview) -> int:
        self.held += data
        return len(data)

    def _flush(self) -> int:
        return 1  # the suppressed flush: claims success, forwards nothing

    def _wpending(self) -> int:
        return len(self.held)


@pytest.mark.timeout(10)
def test_a_deadlocked_pump_is_reported_not_hung(
    tls_pair: TLSPairFactory, bio_pair: BioPairFactory, pump: Pump
) -> None:
    p = tls_pair(connect=False)
    a, b = bio_pair(1, 1)
    hold = HoldBIO().push(a)
    p.client.set_bio(hold, hold)
    p.server.set_bio(b, b)
    with pytest.raises(Deadlock) as info:
        pump(p.client, p.server, max_steps=50)
    msg = str(info.value)
    assert msg.startswith("no progress possible")
    assert "wpending=245" in msg and "HoldBIO" in msg
    assert "client [SSLv3/TLS write client hello]" in msg
    steps = info.value.steps
    assert steps[0].side == "client" and steps[0].bytes_written == 245
    assert all(s.ret == -1 and s.error == ErrorCode.WANT_READ for s in steps)
    assert sum(s.bytes_read + s.bytes_written for s in steps[2:]) == 0
    assert len(steps) <= 6
    assert isinstance(info.value, PumpError) and not isinstance(info.value, StepLimit)


@pytest.mark.timeout(10)
def test_two_servers_deadlock(tls_pair: TLSPairFactory, pump: Pump) -> None:
    p = tls_pair(connect=False)
    p2 = tls_pair(connect=False)
    with pytest.raises(Deadlock, match="no progress possible") as info:
        pump(p.server, p2.server)  # both wait for a ClientHello that never comes
    assert all(s.error == ErrorCode.WANT_READ for s in info.value.steps)
    # Two idle rounds of two calls each after the first, which changed the state.
    assert [(s.side, s.state) for s in info.value.steps] == [
        ("client", "before SSL initialization"), ("server", "before SSL initialization"),
    ] * 2


@pytest.mark.timeout(30)
def test_a_one_byte_pair_completes_with_the_default_limit(tls_pair: TLSPairFactory) -> None:
    # One byte per call: ~1,500 rounds, all of them progress.  The old fixed
    # limit of 200 rounds called this a deadlock.
    p = tls_pair(pair_size=1)
    steps = p.steps
    assert p.client.is_init_finished() and p.server.is_init_finished()
    assert steps[-1].ret == 1 and len(steps) > 2 * 1000
    assert max(s.bytes_read for s in steps) == max(s.bytes_written for s in steps) == 1
    assert p.transfer(b"x" * 3000) == b"x" * 3000


@pytest.mark.timeout(10)
def test_running_out_of_rounds_while_progressing_is_a_step_limit(
    tls_pair: TLSPairFactory, pump: Pump
) -> None:
    p = tls_pair(pair_size=1, connect=False)
    with pytest.raises(StepLimit) as info:
        pump(p.client, p.server, max_steps=50)
    exc = info.value
    assert isinstance(exc, PumpError) and not isinstance(exc, Deadlock)
    assert str(exc).startswith(
        "not done after 50 rounds, still making progress (raise max_steps): "
        "client [SSLv3/TLS write client hello] rbio PairBIO("
    )
    assert len(exc.steps) == 100
    # Every round moved a byte: nothing here was stuck.
    for k in range(0, 100, 2):
        assert sum(s.bytes_read + s.bytes_written for s in exc.steps[k : k + 2]) >= 1
    # The same pair, given the rounds it needs, finishes where it stopped.
    steps = pump(p.client, p.server)
    assert steps[-1].ret == 1 and p.client.get_version() == "TLSv1.3"


def test_pump_errors_share_one_base(tls_pair: TLSPairFactory, pump: Pump) -> None:
    clear_error()
    p = tls_pair(connect=False, groups="X25519", server_groups="P-256")
    with pytest.raises(PumpError) as info:
        pump(p.client, p.server)
    assert type(info.value) is HandshakeFailed
    assert isinstance(info.value, AssertionError)
    assert info.value.steps[-1].error == ErrorCode.SSL
    clear_error()


def test_a_finished_side_peeks_with_ssl_peeks_c_value(tls_pair: TLSPairFactory) -> None:
    # Over 256-byte rings the client finishes first and pump keeps it reading
    # with SSL_peek while the server pushes its tickets through: -1, as the C
    # SSL_peek returns (SSL_peek_ex would return 0).
    p = tls_pair(pair_size=256)
    peeks = [s for s in p.steps if s.call == "SSL_peek()"]
    assert peeks and all((s.side, s.ret, s.error) == ("client", -1, ErrorCode.WANT_READ)
                         for s in peeks)
    assert str(peeks[0]).startswith("client SSL_peek() = -1 WANT_READ [")
    assert p.client.pending() == 0  # SSL_peek consumed no application data


# ================================================================ record / replay


def test_record_bio_is_transparent_and_writes_json_lines(bio_pair: BioPairFactory) -> None:
    out = io.StringIO()
    a, b = bio_pair(0, 0)
    rec = RecordBIO(out).push(a)
    assert rec.read(4) == b"" and rec.should_read() and rec.should_retry()
    b.write(b"hello")
    assert rec.read(4) == b"hell"
    assert rec.write(b"xy") == 2
    assert rec.flush() == 1
    assert rec.puts("z") == 1
    b.shutdown_wr()
    assert rec.read(9) == b"o"
    assert rec.read(9) == b"" and not rec.should_retry()
    lines = [json.loads(x) for x in out.getvalue().splitlines()]
    assert lines == [
        {"biokit": "record", "version": 1},
        {"op": "read", "n": 4, "ret": -1, "retry": "read"},
        {"op": "read", "n": 4, "ret": 4, "data": b"hell".hex()},
        {"op": "write", "n": 2, "ret": 2, "data": b"xy".hex()},
        {"op": "flush", "ret": 1},
        {"op": "puts", "n": 1, "ret": 1, "data": b"z".hex()},
        {"op": "read", "n": 9, "ret": 1, "data": b"o".hex()},
        {"op": "read", "n": 9, "ret": 0, "eof": True},
    ]
    assert rec.records == 7
    assert b.read(10) == b"xyz"  # the filter changed nothing on the way


def test_record_special_retry_and_replay_it() -> None:
    out = io.StringIO()
    rec = RecordBIO(out).push(ScheduleBIO("w@0:special=connect; r@2:retry").push(MemBIO(b"abcd")))
    assert rec.write(b"q") == -1 and rec.should_io_special()
    assert rec.read(9) == b"ab" and rec.read(9) == b"" and rec.read(9) == b"cd"
    assert '"retry":"special","reason":2' in out.getvalue()
    rep = ReplayBIO(io.StringIO(out.getvalue()))
    assert rep.write(b"q") == -1 and rep.should_io_special()
    assert rep.retry_reason == RetryReason.CONNECT
    assert rep.pending() == 2
    assert rep.read(1) == b"a" and rep.read(9) == b"b"  # a smaller request splits a record
    assert rep.pending() == 0
    assert rep.read(9) == b"" and rep.should_read() and not rep.eof()
    assert rep.read(9) == b"cd"
    rep.check_done()
    assert rep.read(9) == b"" and not rep.should_retry() and rep.eof()


def test_replay_reports_mismatches_clearly() -> None:
    out = io.StringIO()
    rec = RecordBIO(out).push(MemBIO())
    rec.write(b"hello world")
    rec.flush()
    text = out.getvalue()

    rep = ReplayBIO(io.StringIO(text))
    assert rep.write(b"hel") == 3  # a prefix is fine: the rest is expected next
    with pytest.raises(ReplayMismatch, match=r"offset 6 \(\+6 in the record\).*77 6f.*57 4f"):
        rep.write(b"lo WORLD")

    rep = ReplayBIO(io.StringIO(text))
    assert rep.wpending() == 0
    assert rep.flush() == 1  # no flush recorded next: succeeds, consumes nothing
    assert rep.write(b"hello world!") == 11  # takes what was taken then
    assert rep.wpending() == 1  # a flush is next in the recording
    with pytest.raises(ReplayMismatch, match="no more writes"):
        rep.write(b"!")  # (skipping the optional successful flush)

    rep = ReplayBIO(io.StringIO(text))
    rep.write(b"hello world")
    rep.check_done()  # the trailing successful flush is optional
    rep = ReplayBIO(io.StringIO(text))
    with pytest.raises(ReplayMismatch, match=r"1 write/flush record\(s\) left.*line 2"):
        rep.check_done()

    failed = '{"biokit":"record","version":1}\n{"op":"flush","ret":-1,"retry":"write"}\n'
    rep = ReplayBIO(io.StringIO(failed))
    with pytest.raises(ReplayMismatch, match=r"record #0 \(line 2\) is a failed flush"):
        rep.write(b"x")
    rep = ReplayBIO(io.StringIO(failed))
    assert rep.wpending() == 1
    assert rep.flush() == -1 and rep.should_write() and rep.should_retry()
    rep.check_done()
    with pytest.raises(ValueError, match="not a biokit recording"):
        ReplayBIO(io.StringIO('{"op":"read"}\n'))


def _log_calls(ssl: SSL, log: list[tuple[str, tuple[Any, ...], Any, ErrorCode]]) -> None:
    """Log every public call pump and the ops make on ``ssl`` (instance attributes shadow)."""
    for name in ("connect", "accept", "peek_ex", "read", "read_c", "write", "shutdown"):
        method = getattr(ssl, name)

        def logged(*args: Any, _m: Any = method, _n: str = name) -> Any:
            r = _m(*args)
            log.append((_n, args, r, ssl.get_error(r if isinstance(r, int) else len(r))))
            return r

        setattr(ssl, name, logged)


def _replay(
    ssl: SSL, log: list[tuple[str, tuple[Any, ...], Any, ErrorCode]]
) -> list[tuple[str, tuple[Any, ...], Any, ErrorCode]]:
    got = []
    for name, args, _r, _e in log:
        r = getattr(ssl, name)(*args)
        got.append((name, args, r, ssl.get_error(r if isinstance(r, int) else len(r))))
    return got


def test_recorded_session_replays_call_for_call(tmp_path: Path) -> None:
    clear_error()
    spec_c = "w@0:short=7; r@5:retry; r@700:short=2; w@500:retry"
    spec_s = "r@0:retry; w@100:short=50; w@3000:retry"

    def build(salt: str = "") -> TLSPair:
        # No tickets: a ticket carries the issuing time, so a server's would differ.
        p = tls_pair("ed25519", connect=False, tickets=0)
        _seeded(p, salt)
        return p

    def traced(ssl: SSL) -> list[str]:
        trace: list[str] = []
        ssl.set_msg_callback(lambda w, v, ct, d, _s: trace.append(f"{w}{ct}:{d.hex()}"))
        return trace

    p = build()
    paths = {"client": tmp_path / "client.jsonl", "server": tmp_path / "server.jsonl"}
    logs: dict[str, list[tuple[str, tuple[Any, ...], Any, ErrorCode]]] = {}
    traces: dict[str, list[str]] = {}
    recs: dict[str, RecordBIO] = {}
    for side, ssl, spec in (("client", p.client, spec_c), ("server", p.server, spec_s)):
        bio = ssl.get_rbio()
        assert bio is not None
        recs[side] = RecordBIO(paths[side]).push(ScheduleBIO(spec).push(bio))
        ssl.set_bio(recs[side], recs[side])
        logs[side] = []
        _log_calls(ssl, logs[side])
        traces[side] = traced(ssl)
    up, down, _ = run_session(p, [], [], data=DATA[:30000])
    assert bytes(up.received) == bytes(down.received) == DATA[:30000]
    for r in recs.values():
        r.close()  # closes the recording file
    text = paths["client"].read_text()
    assert '"retry":"read"' in text and '"retry":"write"' in text

    for side in ("client", "server"):
        q = build()
        ssl = q.client if side == "client" else q.server
        replay = ReplayBIO(paths[side])
        ssl.set_bio(replay, replay)
        trace = traced(ssl)
        got = _replay(ssl, logs[side])
        assert got == logs[side], side
        assert trace == traces[side], side
        replay.check_done()
        assert ssl.get_shutdown() == Shutdown.SENT | Shutdown.RECEIVED
        assert sum(e in WANTS for *_, e in got) >= 2  # the recorded retries came back

    # Other randoms: the first ClientHello differs at its random (record header 5 +
    # handshake header 4 + legacy_version 2 = byte 11), and the replay says so.
    q = build(salt="other")
    replay = ReplayBIO(paths["client"])
    q.client.set_bio(replay, replay)
    with pytest.raises(ReplayMismatch, match=r"write-stream offset 1[1-7] .*expected"):
        for _ in range(3):
            q.client.connect()


# ==================================================================== explain


def test_explain_want_read_names_the_rbio_that_blocked(
    tls_pair: TLSPairFactory, schedule: ScheduleFactory
) -> None:
    clear_error()
    p = tls_pair(connect=False)
    r = p.client.connect()
    ex = explain(p.client, r)
    assert (r, ex.code, ex.rule, ex.direction, ex.agrees) == (
        -1, ErrorCode.WANT_READ, 2, "read", True
    )
    assert isinstance(ex.bio, PairBIO) and ex.operation == "SSL_connect()"
    assert ex.want == "SSL_READING" and ex.side == "client"
    text = str(ex)
    assert "SSL_ERROR_WANT_READ (rule 2 of SSL_get_error(3))" in text
    assert "blocked BIO: PairBIO ('BIO pair'), read side, flags retry|read" in text
    assert RULES[2] in text and "what to do" in text
    # Injected by a filter: the filter is named, not the pair behind it.
    q = tls_pair(connect=False)
    schedule.wrap(q.client, "r@0:retry")
    r = q.client.connect()
    ex = explain(q.client, r)
    assert (ex.code, ex.rule) == (ErrorCode.WANT_READ, 2)
    assert isinstance(ex.bio, ScheduleBIO) and ex.chain == ["ScheduleBIO", "PairBIO"]


def test_explain_want_write_names_the_wbio(tls_pair: TLSPairFactory) -> None:
    clear_error()
    p = tls_pair(connect=False, pair_size=64)
    r = p.client.connect()  # a 245-byte ClientHello into a 64-byte pair
    ex = explain(p.client, r)
    assert (r, ex.code, ex.rule, ex.direction, ex.agrees) == (
        -1, ErrorCode.WANT_WRITE, 3, "write", True
    )
    assert isinstance(ex.bio, PairBIO) and ex.retry_flags == "retry|write"
    assert "rule 3" in str(ex) and "write side" in str(ex)


def test_explain_want_connect_and_an_unknown_special_reason(
    tls_pair: TLSPairFactory, schedule: ScheduleFactory
) -> None:
    clear_error()
    p = tls_pair(connect=False)
    schedule.wrap(p.client, "w@0:special=connect")
    r = p.client.connect()
    ex = explain(p.client, r)
    assert (ex.code, ex.rule, ex.retry_reason, ex.agrees) == (
        ErrorCode.WANT_CONNECT, 3, RetryReason.CONNECT, True
    )
    assert "reason BIO_RR_CONNECT" in str(ex)
    # io-special with another reason while reading: rule 2 still, but SYSCALL.
    q = tls_pair(connect=False)
    schedule.wrap(q.client, "r@0:special=x509")
    r = q.client.connect()
    ex = explain(q.client, r)
    assert (ex.code, ex.rule, ex.agrees) == (ErrorCode.SYSCALL, 2, True)


def test_explain_ssl_error_from_the_queue(tls_pair: TLSPairFactory) -> None:
    clear_error()
    p = tls_pair(connect=False)
    junk = MemBIO(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    p.server.set_bio(junk, MemBIO())
    r = p.server.accept()
    ex = explain(p.server, r)
    assert (r, ex.code, ex.rule, ex.agrees) == (-1, ErrorCode.SSL, 1, True)
    assert ex.error is not None and ex.error.library == Lib.SSL
    assert ex.error.reason_string in str(ex) and "SSL_accept()" in str(ex)
    assert ex.bio is None
    # A system error on the queue makes the same rule answer SYSCALL.
    clear_error()
    q = tls_pair(connect=False)
    r = q.client.connect()
    put_error(Lib.SYS, 104)
    ex = explain(q.client, r)
    assert (ex.code, ex.rule, ex.agrees) == (ErrorCode.SYSCALL, 1, True)
    clear_error()


def test_explain_zero_return_after_close_notify(tls_pair: TLSPairFactory) -> None:
    clear_error()
    p = tls_pair()
    assert p.client.shutdown() == 0
    r = p.server.read(100)
    ex = explain(p.server, r, "SSL_read()")
    assert (r, ex.code, ex.rule, ex.close_notify, ex.agrees) == (
        b"", ErrorCode.ZERO_RETURN, 5, True, True
    )
    assert ex.operation == "SSL_read()" and "close_notify" in str(ex)


def test_explain_syscall_when_the_transport_dies_silently(
    tls_pair: TLSPairFactory, schedule: ScheduleFactory
) -> None:
    clear_error()
    p = tls_pair(connect=False)
    schedule.wrap(p.client, "r@0:error")  # -1, no retry flags, nothing queued
    r = p.client.connect()
    ex = explain(p.client, r)
    assert (r, ex.code, ex.rule, ex.agrees) == (-1, ErrorCode.SYSCALL, 6, True)
    assert error_count() == 0 and ex.bio is None
    assert "ScheduleBIO: flags -, eof False" in ex.detail
    assert ex.rule_text == RULES[6] and "nothing was queued" in RULES[6]
    # EOF instead: OpenSSL 3 queues "unexpected eof while reading" -> rule 1, SSL.
    q = tls_pair(connect=False)
    schedule.wrap(q.client, "r@0:eof")
    r = q.client.connect()
    ex = explain(q.client, r)
    assert (ex.code, ex.rule, ex.agrees) == (ErrorCode.SSL, 1, True)
    assert ex.error is not None and ex.error.reason == SSLReason.UNEXPECTED_EOF_WHILE_READING
    clear_error()


def test_explain_callback_retry_and_success(tls_pair: TLSPairFactory) -> None:
    clear_error()
    p = tls_pair(connect=False, client_cert=True)
    calls: list[int] = []

    def cert_cb(ssl: SSL) -> Any:
        calls.append(1)
        return -1 if len(calls) == 1 else p.pki.client

    p.client_ctx.set_client_cert_cb(cert_cb)
    client = SSL(p.client_ctx)
    client.set_bio(*p.client_bios)
    codes = []
    for _ in range(10):
        r = client.connect()
        ex = explain(client, r)
        assert ex.agrees
        codes.append((ex.code, ex.rule))
        if r == 1:
            break
        p.server.accept()
    assert (ErrorCode.WANT_X509_LOOKUP, 4) in codes
    assert codes[-1] == (ErrorCode.NONE, 0)


def test_explain_after_ignore_unexpected_eof_is_zero_return(tls_pair: TLSPairFactory) -> None:
    clear_error()
    p = tls_pair()
    p.server.set_options(Op.IGNORE_UNEXPECTED_EOF)
    a = p.client_bios[0]
    assert isinstance(a, PairBIO)
    a.shutdown_wr()  # the client's transport ends without a close_notify
    r = p.server.read(10)
    ex = explain(p.server, r)
    assert (r, ex.code, ex.rule, ex.close_notify, ex.agrees, ex.operation) == (
        b"", ErrorCode.ZERO_RETURN, 5, False, True, "SSL_read()"
    )
    assert ex.detail == (
        "the transport ended and SSL_OP_IGNORE_UNEXPECTED_EOF treats that as a close_notify"
    )
    assert error_count() == 0


def test_explain_names_the_call_that_returned(tls_pair: TLSPairFactory) -> None:
    # After the handshake the state is the same for every call; the SSL object
    # remembers which public call it was (SSL.last_call).
    clear_error()
    p = tls_pair(pair_size=4096)
    c = p.client
    assert c.last_call == "SSL_connect()" and p.server.last_call == "SSL_accept()"
    assert c.do_handshake() == 1 and c.last_call == "SSL_do_handshake()"
    r = c.read_c(10)
    assert (r, explain(c, r).operation, explain(c, r).code) == (
        -1, "SSL_read()", ErrorCode.WANT_READ
    )
    assert explain(c, c.read_ex(10)).operation == "SSL_read()"
    assert explain(c, c.peek(10)).operation == "SSL_peek()"
    assert explain(c, c.peek_ex(10)).operation == "SSL_peek()"
    w = c.write(b"x" * 16384)  # one record, larger than the 4096-byte ring
    ex = explain(c, w)
    assert (w, ex.operation, ex.code, ex.rule) == (-1, "SSL_write()", ErrorCode.WANT_WRITE, 3)
    assert "operation: SSL_write() on the client" in str(ex)
    assert explain(c, w, "SSL_write_ex()").operation == "SSL_write_ex()"  # op still wins
    # A data call before the handshake runs the handshake first.
    q = tls_pair(connect=False)
    q.client.set_connect_state()
    r = q.client.read_c(10)
    assert explain(q.client, r).operation == "SSL_read() (running the handshake first)"
    w = q.server.write(b"early?")
    assert w == -1
    assert explain(q.server, w).operation == "SSL_write() (running the handshake first)"
    # Before any call, the operation is guessed from the state.
    fresh = SSL(q.client_ctx)
    fresh.set_connect_state()
    assert fresh.last_call is None
    assert explain(fresh, -1).operation == "SSL_connect()"
    clear_error()


def test_explain_names_shutdown(tls_pair: TLSPairFactory) -> None:
    clear_error()
    p = tls_pair()
    end = p.server_bios[0]
    assert isinstance(end, PairBIO)
    assert p.client.shutdown() == 0
    end.shutdown_wr()  # the server vanishes before answering
    r = p.client.shutdown()
    ex = explain(p.client, r)
    assert (r, ex.operation, ex.code, ex.rule) == (-1, "SSL_shutdown()", ErrorCode.SSL, 1)
    clear_error()


# ==================================================================== the plugin


def test_plugin_fixtures_docstring_example(
    tls_pair: TLSPairFactory, schedule: ScheduleFactory, pump: Pump
) -> None:
    p = tls_pair(connect=False)
    sched = schedule.wrap(p.client, "r@5:retry; w@0:short=1")
    pump(p.client, p.server)
    assert [str(e) for e, _ in sched.fired] == ["w@0:short=1", "r@5:retry"]
    assert p.client.is_init_finished() and p.server.is_init_finished()


def test_plugin_tls_pair_alpn_and_client_certificates(tls_pair: TLSPairFactory) -> None:
    p = tls_pair(alpn=[b"h2", b"http/1.1"], server_alpn=[b"http/1.1"], client_cert=True)
    assert p.client.get0_alpn_selected() == p.server.get0_alpn_selected() == b"http/1.1"
    peer = p.server.get_peer_certificate()
    assert peer is not None and peer == p.pki.client[0]
    assert p.transfer(DATA) == DATA
    assert p.transfer(b"pong", to_server=False) == b"pong"


@pytest.mark.parametrize(
    ("knobs", "version", "cipher"),
    [
        # TLS 1.2 suites go through SSL_CTX_set_cipher_list...
        ({"max_version": 0x0303, "cipher_list": "ECDHE-ECDSA-AES128-GCM-SHA256"},
         "TLSv1.2", "ECDHE-ECDSA-AES128-GCM-SHA256"),
        ({"max_version": 0x0303, "cipher_list": "ECDHE-ECDSA-CHACHA20-POLY1305"},
         "TLSv1.2", "ECDHE-ECDSA-CHACHA20-POLY1305"),
        # ...TLS 1.3 suites through SSL_CTX_set_ciphersuites; each leaves the other alone.
        ({"ciphersuites": "TLS_AES_128_GCM_SHA256", "cipher_list": "ECDHE-ECDSA-AES128-GCM-SHA256"},
         "TLSv1.3", "TLS_AES_128_GCM_SHA256"),
        ({"ciphersuites": "TLS_CHACHA20_POLY1305_SHA256"},
         "TLSv1.3", "TLS_CHACHA20_POLY1305_SHA256"),
    ],
)
def test_tls_pair_suites_per_version(
    tls_pair: TLSPairFactory, knobs: dict[str, Any], version: str, cipher: str
) -> None:
    p = tls_pair(**knobs)
    assert (p.client.get_version(), p.client.get_cipher()) == (version, cipher)
    assert (p.server.get_version(), p.server.get_cipher()) == (version, cipher)


@pytest.mark.parametrize(
    ("knobs", "message"),
    [
        ({"ciphersuites": "BOGUS"},
         "tls_pair(ciphersuites='BOGUS'): SSL_CTX_set_ciphersuites failed "
         "(error:0A0000B9:SSL routines::no cipher match); TLS 1.3 suite names start with "
         "TLS_, TLS 1.2 cipher strings go in cipher_list="),
        ({"max_version": 0x0303, "ciphersuites": "ECDHE-ECDSA-AES128-GCM-SHA256"},
         "tls_pair(ciphersuites='ECDHE-ECDSA-AES128-GCM-SHA256'): SSL_CTX_set_ciphersuites "
         "failed (error:0A0000B9:SSL routines::no cipher match); TLS 1.3 suite names start "
         "with TLS_, TLS 1.2 cipher strings go in cipher_list="),
        ({"ciphersuites": "TLS_NOPE_SHA256"},
         "tls_pair(ciphersuites='TLS_NOPE_SHA256'): SSL_CTX_set_ciphersuites failed "
         "(error:0A0000B9:SSL routines::no cipher match)"),
        ({"cipher_list": "TLS_AES_128_GCM_SHA256"},
         "tls_pair(cipher_list='TLS_AES_128_GCM_SHA256'): SSL_CTX_set_cipher_list failed "
         "(error:0A0000B9:SSL routines::no cipher match)"),
        ({"groups": "NOPE"},
         "tls_pair(groups='NOPE'): SSL_CTX_set1_groups_list failed "
         "(nothing on the error queue)"),
        ({"server_groups": "P-256:NOPE:"},
         "tls_pair(server_groups='P-256:NOPE:'): SSL_CTX_set1_groups_list failed "
         "(nothing on the error queue)"),
        ({"max_version": 0x0305},
         "tls_pair(max_version=773): SSL_CTX_set_max_proto_version failed "
         "(nothing on the error queue)"),
        ({"alpn": [b""]},
         "tls_pair(alpn=[b'']): SSL_CTX_set_alpn_protos failed (nothing on the error queue)"),
        ({"tickets": -1},
         "tls_pair(tickets=-1): SSL_CTX_set_num_tickets failed (nothing on the error queue)"),
        ({"c2s_size": -5}, "tls_pair(c2s_size=-5): a ring size is >= 0"),
        ({"transport": "mem", "pair_size": 100},
         "tls_pair: ring sizes need transport='pair' (memory BIOs grow)"),
    ],
)
def test_tls_pair_refuses_a_knob_its_setter_rejects(
    tls_pair: TLSPairFactory, knobs: dict[str, Any], message: str
) -> None:
    clear_error()
    put_error(Lib.SSL, SSLReason.UNEXPECTED_MESSAGE)  # older entries are left alone
    with pytest.raises(ValueError) as info:
        tls_pair(**knobs)
    assert str(info.value) == message
    assert [e.reason for e in errors_as_list()] == [SSLReason.UNEXPECTED_MESSAGE]
    clear_error()


def test_tls_pair_ring_sizes_per_direction(tls_pair: TLSPairFactory, pump: Pump) -> None:
    p = tls_pair(connect=False, c2s_size=64, s2c_size=5000)
    c_end, s_end = p.client_bios[0], p.server_bios[0]
    assert isinstance(c_end, PairBIO) and isinstance(s_end, PairBIO)
    assert (c_end.get_write_buf_size(), s_end.get_write_buf_size()) == (64, 5000)
    steps = pump(p.client, p.server)
    waits = {(s.side, s.error) for s in steps if s.ret <= 0}
    # Only the client's direction is narrow: only the client waits to write.
    assert (("client", ErrorCode.WANT_WRITE) in waits
            and ("server", ErrorCode.WANT_WRITE) not in waits)
    # pair_size stays the default for the direction not given.
    q = tls_pair(connect=False, pair_size=300, s2c_size=1000)
    sizes = [b.get_write_buf_size() for b in (q.client_bios[0], q.server_bios[0])
             if isinstance(b, PairBIO)]
    assert sizes == [300, 1000]


def test_plugin_bio_pair_and_schedule_factories(
    bio_pair: BioPairFactory, schedule: ScheduleFactory
) -> None:
    a, b = bio_pair(8, 8)
    s = schedule("w@3:retry", over=a)
    assert s.next is a and s.write(b"hello") == 3 and s.write(b"lo") == -1
    assert b.read(10) == b"hel"
    m = MemBIO()
    s2 = schedule()
    s2.push(m)
    with pytest.raises(ValueError, match="one BIO as both rbio and wbio"):
        schedule.wrap(_mem_ssl(), "r@0:retry")
    assert schedule.made == [s, s2]


def test_plugin_bio_pair_under_a_buffer_chain(
    bio_pair: BioPairFactory, tls_pair: TLSPairFactory, pump: Pump
) -> None:
    # A user's transport built from the fixture's halves: the server writes
    # through a BufferBIO, so its flight reaches the pair in one piece.
    c_end, s_end = bio_pair(0, 0)
    p = tls_pair(connect=False)
    buffered = BufferBIO().push(s_end)
    p.client.set_bio(c_end, c_end)
    p.server.set_bio(s_end, buffered)
    writes: list[int] = []

    def count_writes(bio: Any, oper: int, data: Any, n: int, argi: int, argl: int,
                     ret: int, processed: int | None) -> int:
        if oper == BIO_CB_WRITE | BIO_CB_RETURN and processed:
            writes.append(processed)
        return ret

    s_end.set_callback(count_writes)  # BIO_set_callback_ex
    steps = pump(p.client, p.server)
    assert steps[-1].ret == 1 and p.server.get_version() == "TLSv1.3"
    # One BIO_write for the whole first flight, then one per ticket: each
    # NewSessionTicket is a flush point of its own, as in libssl.
    assert len(writes) == 3 and writes[0] == steps[1].bytes_written
    assert writes[1] == writes[2]
    assert p.server.write(b"held") == 4
    assert p.client.read(10) == b"" and buffered.wpending() > 0  # held in the buffer
    assert buffered.flush() == 1 and p.client.read(10) == b"held"


def test_plugin_schedule_over_memory_bios(tls_pair: TLSPairFactory, schedule: ScheduleFactory,
                                          pump: Pump) -> None:
    # schedule.wrap needs one BIO for both directions; with memory BIOs, put a
    # ScheduleBIO over each direction yourself.
    p = tls_pair(transport="mem", connect=False)
    rbio, wbio = p.client_bios
    inbound = schedule("r@0:retry; r@7:short=2", over=rbio)
    outbound = schedule("w@0:short=10", over=wbio)
    p.client.set_bio(inbound, outbound)
    steps = pump(p.client, p.server)
    assert steps[-1].ret == 1
    assert [str(e) for e, _ in inbound.fired] == ["r@0:retry", "r@7:short=2"]
    assert [str(e) for e, _ in outbound.fired] == ["w@0:short=10"]
    assert p.client.get_version() == "TLSv1.3"


def _mem_ssl() -> SSL:
    p = tls_pair(transport="mem", connect=False)
    return p.client


def test_plugin_frees_what_its_factories_made(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        made = {}

        def test_make(tls_pair, bio_pair, schedule):
            made["pair"] = tls_pair()
            made["halves"] = bio_pair(16, 16)
            made["sched"] = schedule("r@1:retry")
            assert made["pair"].client.get_rbio() is not None

        def test_freed():
            pair = made["pair"]
            assert pair.client.get_rbio() is None and pair.server.get_wbio() is None
            a, b = made["halves"]
            assert a.write(b"x") <= 0 and b.write(b"x") <= 0
            assert made["sched"].next is None
        """
    )
    args = [] if _plugin_installed() else ["-p", "biokit.testing.plugin"]
    result = pytester.runpytest_inprocess(*args, "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_plugin_reports_the_pump_transcript_on_failure(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from biokit.bio import bio_pair

        def test_fails(tls_pair, pump):
            p = tls_pair(connect=False)
            pump(p.client, p.server)
            assert False, "boom"

        def test_step_limit(tls_pair, pump):
            p = tls_pair(connect=False, pair_size=1)
            pump(p.client, p.server, max_steps=3)
        """
    )
    args = [] if _plugin_installed() else ["-p", "biokit.testing.plugin"]
    result = pytester.runpytest_inprocess(*args, "-p", "no:cacheprovider")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        ["*boom*", "*biokit pump transcript*", "client SSL_connect() = -1 WANT_READ*"]
    )
    result.stdout.fnmatch_lines(
        ["*StepLimit: not done after 3 rounds, still making progress*",
         "*biokit pump transcript*",
         "client SSL_connect() = -1 WANT_WRITE [SSLv3/TLS write client hello] in=0 out=1",
         "server SSL_accept() = -1 WANT_READ [before SSL initialization] in=1 out=0"]
    )
