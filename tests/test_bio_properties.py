"""Property tests: whatever the chain, the transport and the retry schedule, bytes arrive.

Hypothesis draws a writer chain and a reader chain of filters that are byte-transparent
end to end -- BufferBIO, LineBufferBIO, NullFilterBIO, NBIOTestBIO (seeded), DigestBIO,
ReadBufferBIO (reader side only), and codec pairs that line up at the same depth on both
sides: Base64BIO with and without newlines, CipherBIO in AES-128-CTR, and a user-written
ROT13 filter -- over memory BIOs (with a random pump between them), a BIO pair of small
random sizes, or a real ``socket.socketpair()``, blocking or nonblocking.  Writes and
reads use random chunk sizes.  The property: every byte written arrives exactly once,
in order; a call that fails without asking to retry only ever means EOF (once everything
has arrived); the head counters match; outermost digest filters agree with hashlib.

PrefixBIO is left out (it is not transparent); the conformance battery covers it.
"""

from __future__ import annotations

import hashlib
import itertools
import random
import select
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from biokit.bio import (
    BIO,
    Base64BIO,
    BufferBIO,
    CipherBIO,
    DigestBIO,
    FilterBIO,
    LineBufferBIO,
    MemBIO,
    NBIOTestBIO,
    NullFilterBIO,
    ReadBufferBIO,
    SocketBIO,
    bio_pair,
)
from biokit.errors import clear_error, errors_as_list

pytestmark = pytest.mark.timeout(60)

KEY = bytes(range(16))
IV = bytes(range(100, 116))
MAX_STEPS = 200_000

_ROT13 = bytes.maketrans(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
    b"NOPQRSTUVWXYZABCDEFGHIJKLMnopqrstuvwxyzabcdefghijklm",
)


class Rot13BIO(FilterBIO):
    """A user-written filter: ROT13 both ways, the rest passes through."""

    def _read(self, size: int) -> bytes | int:
        r = super()._read(size)
        return r.translate(_ROT13) if isinstance(r, bytes) else r

    def _write(self, data: bytes | bytearray | memoryview) -> int:
        return super()._write(bytes(data).translate(_ROT13))


# ====================================================================== chains

TRANSPARENT_W = ("buffer", "linebuffer", "nullfilter", "nbio", "digest")
TRANSPARENT_R = (*TRANSPARENT_W, "readbuffer")
CODECS = ("base64", "base64-nonl", "ctr", "rot13")


def make_layer(kind: str, reader: bool, seed: int) -> BIO:
    if kind == "buffer":
        return BufferBIO()
    if kind == "linebuffer":
        return LineBufferBIO()
    if kind == "nullfilter":
        return NullFilterBIO()
    if kind == "nbio":
        return NBIOTestBIO(seed)
    if kind == "digest":
        return DigestBIO("sha256")
    if kind == "readbuffer":
        return ReadBufferBIO()
    if kind == "base64":
        return Base64BIO()
    if kind == "base64-nonl":
        return Base64BIO(no_newlines=True)
    if kind == "ctr":
        return CipherBIO("aes-128-ctr", KEY, IV, encrypt=not reader)
    if kind == "rot13":
        return Rot13BIO()
    raise AssertionError(kind)


@dataclass
class Plan:
    """Layers from the transport outwards, for each side."""

    writer: list[str]
    reader: list[str]
    seeds: list[int]

    def build(self, reader: bool, sink: BIO) -> tuple[BIO, list[BIO]]:
        kinds = self.reader if reader else self.writer
        seeds = itertools.cycle(self.seeds or [0])
        inner_to_outer = [make_layer(k, reader, next(seeds) + 1000 * reader) for k in kinds]
        chain = [*reversed(inner_to_outer), sink]
        head = chain[0]
        for b in chain[1:]:
            assert head.push(b) is head
        return head, chain


@st.composite
def plans(draw: st.DrawFn, reader_transparent: tuple[str, ...] = TRANSPARENT_R) -> Plan:
    codecs = draw(st.lists(st.sampled_from(CODECS), max_size=2))

    def side(choices: tuple[str, ...]) -> list[str]:
        layers: list[str] = []
        for codec in [*codecs, None]:
            layers += draw(st.lists(st.sampled_from(choices), max_size=2))
            if codec is not None:
                layers.append(codec)
        return layers

    writer = side(TRANSPARENT_W)
    reader = side(reader_transparent)
    seeds = draw(st.lists(st.integers(0, 2**32), min_size=1, max_size=4))
    return Plan(writer, reader, seeds)


def cycle(sizes: list[int]) -> Iterator[int]:
    return itertools.cycle(sizes)


# ====================================================================== transports


@dataclass
class Transport:
    wsink: BIO
    rsink: BIO
    pump: Callable[[], None] = lambda: None
    close_write: Callable[[], None] = lambda: None
    wait: Callable[[], None] = lambda: None
    abort: Callable[[], None] = lambda: None
    cleanup: list[Callable[[], None]] = field(default_factory=list)


def mem_transport(pump_sizes: list[int]) -> Transport:
    a, b = MemBIO(), MemBIO()
    sizes = cycle(pump_sizes)

    def pump() -> None:
        chunk = a.read(next(sizes))
        if chunk:
            assert b.write(chunk) == len(chunk)

    def close_write() -> None:
        while a.pending():
            pump()
        b.set_eof_return(0)

    return Transport(a, b, pump, close_write)


def pair_transport(size1: int, size2: int) -> Transport:
    a, b = bio_pair(size1, size2)
    return Transport(a, b, close_write=a.shutdown_wr)


def socket_transport(nonblocking: bool) -> Transport:
    s1, s2 = socket.socketpair()
    s1.setblocking(not nonblocking)
    s2.setblocking(not nonblocking)

    def wait() -> None:
        select.select([s2], [s1], [], 0.02)

    def close_write() -> None:
        try:
            s1.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # already shut down

    t = Transport(
        SocketBIO(s1), SocketBIO(s2), close_write=close_write, wait=wait,
        abort=lambda: s2.shutdown(socket.SHUT_RDWR),
    )
    t.cleanup += [s1.close, s2.close]
    return t


# ====================================================================== drivers


def check_retry(b: BIO, ret: bytes | int, what: str) -> None:
    assert b.should_retry(), f"{what} failed without a retry: {ret!r} {errors_as_list()}"


def drive_interleaved(
    w: BIO, r: BIO, t: Transport, data: bytes, wsizes: list[int], rsizes: list[int]
) -> bytes:
    """Nonblocking transports: write, pump and read in turn until the reader sees EOF."""
    wsz, rsz = cycle(wsizes), cycle(rsizes)
    mv = memoryview(data)
    pos = 0
    got = bytearray()
    flushed = closed = False
    for _ in range(MAX_STEPS):
        progress = False
        if pos < len(data):
            n = w.write(mv[pos : pos + next(wsz)])
            if n > 0:
                pos += n
                progress = True
            else:
                check_retry(w, n, "write")
        elif not flushed:
            f = w.flush()
            if f > 0:
                flushed = progress = True
            else:
                check_retry(w, f, "flush")
        elif not closed:
            t.close_write()  # EOF lets read-ahead filters hand out their last bytes
            closed = progress = True
        t.pump()
        res = r.read_c(next(rsz))
        if isinstance(res, bytes):
            got += res
            progress = True
        elif not r.should_retry():
            # EOF: the transport's, after the writer closed -- or a base64 decoder's at the
            # padding ("decoding stops when base64 padding is encountered", BIO_f_base64(3)),
            # which may come first.  Either way everything must have arrived by then.
            assert res == 0, f"read failed: {res} {errors_as_list()}"
            return bytes(got)
        if not progress:
            t.wait()
    raise AssertionError(f"no EOF after {MAX_STEPS} steps: {len(got)}/{len(data)} bytes")


def drive_blocking(
    w: BIO, r: BIO, t: Transport, data: bytes, wsizes: list[int], rsizes: list[int]
) -> bytes:
    """Blocking sockets: a reader thread reads to EOF while this thread writes and closes.

    Both sides really block (two parties, as blocking I/O needs: a filter that reads
    ahead, or a writer whose many small sends fill the socket's accounting, would stop a
    single thread).  The reader waits in a bounded select() before each read; retries can
    still happen -- from NBIOTestBIO -- and are simply repeated.
    """
    wsz, rsz = cycle(wsizes), cycle(rsizes)
    got = bytearray()
    outcome: list[object] = []
    fd = t.rsink.get_fd()  # type: ignore[attr-defined]

    def reader() -> None:
        try:
            for _ in range(MAX_STEPS):
                if not r.pending():
                    readable, _, _ = select.select([fd], [], [], 10.0)
                    assert readable, "nothing arrived for 10 s"
                res = r.read_c(next(rsz))
                if isinstance(res, bytes):
                    got.extend(res)
                elif not r.should_retry():
                    outcome.append((res, errors_as_list()))
                    return
            outcome.append(AssertionError("no EOF"))
        except BaseException as exc:  # reported by the main thread
            outcome.append(exc)
            t.abort()  # the writer's next send fails instead of blocking forever

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    try:
        mv = memoryview(data)
        pos = 0
        for _ in range(MAX_STEPS):
            if pos == len(data):
                break
            n = w.write(mv[pos : pos + next(wsz)])
            if n > 0:
                pos += n
            else:
                check_retry(w, n, "write")
        for _ in range(MAX_STEPS):
            f = w.flush()
            if f > 0:
                break
            check_retry(w, f, "flush")
        assert pos == len(data)
    finally:
        t.close_write()
        thread.join(20.0)
        if thread.is_alive():
            t.abort()  # wakes the reader up so the thread ends
            thread.join(5.0)
    assert not thread.is_alive(), "the reader did not finish"
    assert len(outcome) == 1, outcome
    result = outcome[0]
    if isinstance(result, BaseException):
        raise result
    assert result == (0, []), f"the reader failed: {result}"
    return bytes(got)


def run(
    plan: Plan, t: Transport, data: bytes, wsizes: list[int], rsizes: list[int],
    *, blocking: bool = False,
) -> None:
    clear_error()
    w, _ = plan.build(False, t.wsink)
    r, _ = plan.build(True, t.rsink)
    try:
        drive = drive_blocking if blocking else drive_interleaved
        got = drive(w, r, t, data, wsizes, rsizes)
        assert got == data
        assert w.num_write == len(data)
        assert r.num_read == len(data)
        for head in (w, r):
            if isinstance(head, DigestBIO):
                assert head.digest() == hashlib.sha256(data).digest()
        assert errors_as_list() == []
    finally:
        w.free_all()
        r.free_all()
        for f in t.cleanup:
            f()
        clear_error()


# ====================================================================== properties

def blob(size: int, seed: int, line: int) -> bytes:
    """``size`` random bytes, with a newline about every ``line`` bytes (0: only by chance)."""
    rng = random.Random(seed)
    data = bytearray(rng.randbytes(size))
    if line:
        for i in range(rng.randrange(line), size, line):
            data[i] = 0x0A
    return bytes(data)


def data_of(max_size: int) -> st.SearchStrategy[bytes]:
    # Seeded blobs (Hypothesis shrinks the size and the seed) of sizes that cross every
    # buffer boundary: 48-byte base64 lines, 1024-byte blocks, 4096-byte buffers.
    edges = [n for n in (1, 2, 3, 47, 48, 49, 1023, 1024, 1025, 4095, 4096, 4097) if n <= max_size]
    size = st.one_of(st.integers(0, max_size), st.sampled_from(edges))
    return st.builds(blob, size, st.integers(0, 2**16), st.sampled_from([0, 1, 10, 80, 5000]))


data_st = data_of(20000)
wsizes_st = st.lists(st.integers(1, 3000), min_size=1, max_size=8)
# Reads on both sides of the 4096-byte buffer size (larger ones bypass BufferBIO's buffer).
rsizes_st = st.lists(st.integers(1, 12000), min_size=1, max_size=8)

SETTINGS = settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@SETTINGS
@given(plan=plans(), data=data_st, wsizes=wsizes_st, rsizes=rsizes_st,
       pump_sizes=st.lists(st.integers(1, 5000), min_size=1, max_size=5))
def test_chains_over_memory_bios(
    plan: Plan, data: bytes, wsizes: list[int], rsizes: list[int], pump_sizes: list[int]
) -> None:
    run(plan, mem_transport(pump_sizes), data, wsizes, rsizes)


@SETTINGS
@given(plan=plans(), data=data_of(8000), wsizes=wsizes_st, rsizes=rsizes_st,
       size1=st.integers(1, 300), size2=st.integers(1, 300))
def test_chains_over_a_bio_pair(
    plan: Plan, data: bytes, wsizes: list[int], rsizes: list[int], size1: int, size2: int
) -> None:
    run(plan, pair_transport(size1, size2), data, wsizes, rsizes)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=plans(), data=data_st, wsizes=wsizes_st, rsizes=rsizes_st)
def test_chains_over_a_nonblocking_socketpair(
    plan: Plan, data: bytes, wsizes: list[int], rsizes: list[int]
) -> None:
    run(plan, socket_transport(nonblocking=True), data, wsizes, rsizes)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=plans(), data=data_st, wsizes=wsizes_st, rsizes=rsizes_st)
def test_chains_over_a_blocking_socketpair(
    plan: Plan, data: bytes, wsizes: list[int], rsizes: list[int]
) -> None:
    run(plan, socket_transport(nonblocking=False), data, wsizes, rsizes, blocking=True)


@settings(max_examples=40, deadline=None)
@given(
    data=data_of(6000),
    writer=st.lists(st.sampled_from(TRANSPARENT_W), max_size=2),
    seeds=st.lists(st.integers(0, 2**32), min_size=1, max_size=2),
    nbio_side=st.sampled_from(["writer", "reader", "both"]),
    wsizes=wsizes_st, rsizes=rsizes_st, size=st.integers(1, 64),
)
def test_nbio_test_on_either_side_of_a_tiny_pair(
    data: bytes, writer: list[str], seeds: list[int], nbio_side: str,
    wsizes: list[int], rsizes: list[int], size: int,
) -> None:
    """NBIOTestBIO next to the transport, on one side or both, over a pair of tiny buffers."""
    w_layers = ["nbio", *writer] if nbio_side in ("writer", "both") else writer
    r_layers = ["nbio"] if nbio_side in ("reader", "both") else []
    run(Plan(w_layers, r_layers, seeds), pair_transport(size, size), data, wsizes, rsizes)


@settings(max_examples=20, deadline=None)
@given(data=data_of(8000), rsizes=st.lists(st.integers(4097, 20000), min_size=1, max_size=4))
def test_buffer_reader_with_large_reads(data: bytes, rsizes: list[int]) -> None:
    """Reads larger than BufferBIO's buffer go straight to next; a retry keeps what was read."""
    run(Plan([], ["buffer"], [0]), pair_transport(256, 256), data, [500], rsizes)
