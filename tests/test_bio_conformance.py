"""One conformance battery, run against every BIO type (bio(7), BIO_should_retry(3)).

Each *kit* builds a ready channel: a head to write to, a head to read from, the
source/sink BIOs at the bottom of each chain, and what the reader must see for
what was written.  Every test of the battery runs against every kit; the kits
declare what applies to them (a blocking pipe cannot be asked to retry, a BIO
pair can fill up, only memory BIOs report ``eof()`` while merely empty...).

Kits: every source/sink (memory, read-only memory, both halves of a BIO pair,
null, file, fd over a pipe and socket over a socketpair -- blocking and
nonblocking --, connect/accept over 127.0.0.1), every filter stacked over a
memory BIO and over a BIO pair, and two BIOs written here as a user would: a
ROT13 filter and a source/sink that asks to retry every other call.

The battery checks, as applicable: the retry contract (empty nonblocking
source: b"" + retry-read, never an EOF result; full sink: <= 0 + retry-write;
a later successful call clears the flags), EOF (0 without retry, ``eof()``),
the num_read/num_write counters, callbacks (before/after records, vetoes),
chain operations, a closed BIO, negative sizes, writing to a read-only BIO and
unsupported operations.  After the battery, a few tests compare the callback
protocol with libcrypto itself, through ctypes, when it can be loaded.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import io
import os
import random
import re
import select
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pytest

from biokit.bio import (
    BIO,
    BIO_CLOSE,
    AcceptBIO,
    Base64BIO,
    BIOType,
    BufferBIO,
    CipherBIO,
    ConnectBIO,
    Ctrl,
    DigestBIO,
    FdBIO,
    FileBIO,
    FilterBIO,
    LineBufferBIO,
    MemBIO,
    NBIOTestBIO,
    NullBIO,
    NullFilterBIO,
    PairBIO,
    PrefixBIO,
    ReadBufferBIO,
    RecordBIO,
    ReplayBIO,
    RetryReason,
    ScheduleBIO,
    SocketBIO,
    bio_pair,
)
from biokit.bio.core import (
    BIO_CB_CTRL,
    BIO_CB_FREE,
    BIO_CB_GETS,
    BIO_CB_PUTS,
    BIO_CB_READ,
    BIO_CB_RETURN,
    BIO_CB_WRITE,
    BIO_FLAGS_READ,
    BIO_FLAGS_SHOULD_RETRY,
    BIO_FLAGS_WRITE,
)
from biokit.errors import BIOReason, Lib, clear_error, errors_as_list

pytestmark = pytest.mark.timeout(30)

RETRY_READ = BIO_FLAGS_READ | BIO_FLAGS_SHOULD_RETRY
RETRY_WRITE = BIO_FLAGS_WRITE | BIO_FLAGS_SHOULD_RETRY
UNINITIALIZED = (Lib.BIO, BIOReason.UNINITIALIZED)
INVALID_ARGUMENT = (Lib.BIO, BIOReason.INVALID_ARGUMENT)
UNSUPPORTED = (Lib.BIO, BIOReason.UNSUPPORTED_METHOD)
STEPS = 100_000  # bound on every retry loop


def entries() -> list[tuple[int, int]]:
    return [(e.library, e.reason) for e in errors_as_list()]


@functools.cache
def payload(n: int, seed: int = 7) -> bytes:
    """Binary lines of varied length (some longer than a base64 line), no final newline."""
    rng = random.Random(seed)
    out = bytearray()
    while len(out) < n:
        out += rng.randbytes(rng.randrange(0, 120)).replace(b"\n", b"") + b"\n"
    return bytes(out[: n - 1]) + b"!"


# ====================================================================== user-written BIOs


_ROT13 = bytes.maketrans(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
    b"NOPQRSTUVWXYZABCDEFGHIJKLMnopqrstuvwxyzabcdefghijklm",
)


class Rot13BIO(FilterBIO):
    """A user filter: ROT13 in both directions; everything else is FilterBIO's pass-through."""

    bio_type: ClassVar[int] = (BIOType.START + 1) | BIOType.FILTER
    bio_name: ClassVar[str] = "rot13 filter"

    def _read(self, size: int) -> bytes | int:
        r = super()._read(size)
        return r.translate(_ROT13) if isinstance(r, bytes) else r

    def _write(self, data: bytes | bytearray | memoryview) -> int:
        # One byte in, one byte out: next's count is our count.
        return super()._write(bytes(data).translate(_ROT13))

    def _gets(self, size: int) -> bytes | int:
        r = super()._gets(size)
        return r.translate(_ROT13) if isinstance(r, bytes) else r


class HiccupBIO(BIO):
    """A user source/sink: a bounded FIFO whose every other read and write asks to retry."""

    bio_type: ClassVar[int] = (BIOType.START + 2) | BIOType.SOURCE_SINK
    bio_name: ClassVar[str] = "hiccup"

    def __init__(self, capacity: int = 1000) -> None:
        super().__init__()
        self.fifo = bytearray()
        self.capacity = capacity
        self.shut = False
        self.hiccup_r = False
        self.hiccup_w = False

    def shutdown_wr(self) -> None:
        """No more writes: once drained, reads return 0 (EOF)."""
        self.shut = True

    def _read(self, size: int) -> bytes | int:
        self.hiccup_r = not self.hiccup_r
        if self.hiccup_r or (not self.fifo and not self.shut):
            self.set_retry_read()
            return -1
        if not self.fifo:
            return 0
        out = bytes(self.fifo[:size])
        del self.fifo[:size]
        return out

    def _write(self, data: bytes | bytearray | memoryview) -> int:
        self.hiccup_w = not self.hiccup_w
        room = self.capacity - len(self.fifo)
        if self.hiccup_w or room == 0:
            self.set_retry_write()
            return -1
        n = min(room, len(data))
        self.fifo += memoryview(data)[:n]
        return n

    def _pending(self) -> int:
        return len(self.fifo)

    def _eof(self) -> bool:
        return self.shut and not self.fifo


# ====================================================================== kits


def _same(data: bytes) -> bytes:
    return data


def _noop() -> None:
    pass


@dataclass(eq=False)
class Kit:
    """A channel under test: write ``whead``, read ``rhead``; see the module docstring."""

    name: str
    whead: BIO
    rhead: BIO
    wsink: BIO
    rsink: BIO
    batch: bool = False  # blocking transport: write everything, then read exactly what is due
    retry_on_empty: bool = True  # reading an empty source asks to retry
    fillable: bool = False  # the write side can fill up and ask to retry
    writable: bool = True
    preload: bytes = b""  # read-only kits: what there is to read
    gets: str = "line"  # "line", "unsupported", "zero" (always 0) or "digest"
    gets_method: bool = True  # rhead itself has a gets (a filter may pass it to a next without)
    empty_is_eof: bool = False  # BIO_eof() is already true on an empty source (memory BIOs)
    eof_reported: bool = True  # BIO_eof() on rhead reports the source's EOF
    random_retries: bool = False  # an NBIOTestBIO may ask to retry at any call
    exact_sink: bool = True  # the sinks carry exactly expect(data)
    needs_eof: bool = False  # the reader releases its last bytes only at EOF (CBC decrypt)
    expect: Callable[[bytes], bytes] = _same
    pump: Callable[[], None] = _noop  # move bytes from wsink to rsink where they are not wired
    make_eof: Callable[[], None] = _noop  # the reader sees EOF once it has drained the data
    wait: Callable[[], None] = _noop  # wait briefly for the transport (sockets, pipes)
    post_check: Callable[[bytes], None] | None = None
    cleanup: list[Callable[[], None]] = field(default_factory=list)

    def size(self) -> int:
        return 3000 if self.batch else 6000


KitFactory = Callable[[Path], Kit]
KITS: dict[str, KitFactory] = {}


def register(name: str) -> Callable[[KitFactory], KitFactory]:
    def add(f: KitFactory) -> KitFactory:
        KITS[name] = f
        return f

    return add


# ---------------------------------------------------------------------- sources/sinks


@register("mem")
def _k_mem(tmp: Path) -> Kit:
    m = MemBIO()
    return Kit("mem", m, m, m, m, empty_is_eof=True, make_eof=lambda: m.set_eof_return(0))


@register("mem-readonly")
def _k_mem_ro(tmp: Path) -> Kit:
    data = b"first line\nsecond line\n" + payload(2500)
    m = MemBIO(data)
    return Kit("mem-readonly", m, m, m, m, writable=False, preload=data, retry_on_empty=False)


def _pair_kit(name: str, a: PairBIO, b: PairBIO) -> Kit:
    return Kit(
        name, a, b, a, b, fillable=True, gets="unsupported", gets_method=False,
        make_eof=a.shutdown_wr,
    )


@register("pair-1to2")
def _k_pair12(tmp: Path) -> Kit:
    a, b = bio_pair(700, 300)
    return _pair_kit("pair-1to2", a, b)


@register("pair-2to1")
def _k_pair21(tmp: Path) -> Kit:
    a, b = bio_pair(700, 300)
    return _pair_kit("pair-2to1", b, a)


@register("null")
def _k_null(tmp: Path) -> Kit:
    n = NullBIO()
    return Kit(
        "null", n, n, n, n, batch=True, retry_on_empty=False, gets="zero", exact_sink=False,
        expect=lambda d: b"",
    )


@register("file")
def _k_file(tmp: Path) -> Kit:
    path = tmp / "file.bin"
    w = FileBIO(open(path, "wb"), BIO_CLOSE)  # noqa: SIM115 - the BIO owns it
    r = FileBIO(open(path, "rb"), BIO_CLOSE)  # noqa: SIM115
    return Kit("file", w, r, w, r, batch=True, retry_on_empty=False)


def _fd_kit(name: str, nonblocking: bool) -> Kit:
    rfd, wfd = os.pipe()
    if nonblocking:
        os.set_blocking(rfd, False)
        os.set_blocking(wfd, False)
    w = FdBIO(wfd, BIO_CLOSE)
    r = FdBIO(rfd, BIO_CLOSE)
    return Kit(
        name, w, r, w, r, batch=not nonblocking, retry_on_empty=nonblocking,
        fillable=nonblocking, make_eof=w.free,
        wait=lambda: _wait_fd(rfd),
    )


def _wait_fd(fd: int) -> None:
    try:
        select.select([fd], [], [], 0.01)
    except (OSError, ValueError):
        pass


@register("fd-blocking")
def _k_fd_blocking(tmp: Path) -> Kit:
    return _fd_kit("fd-blocking", False)


@register("fd-nonblocking")
def _k_fd_nonblocking(tmp: Path) -> Kit:
    return _fd_kit("fd-nonblocking", True)


def _socket_kit(name: str, nonblocking: bool) -> Kit:
    s1, s2 = socket.socketpair()
    s1.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16384)
    s2.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
    s1.setblocking(not nonblocking)
    s2.setblocking(not nonblocking)
    w = SocketBIO(s1)
    r = SocketBIO(s2)
    k = Kit(
        name, w, r, w, r, batch=not nonblocking, retry_on_empty=nonblocking,
        fillable=nonblocking, gets="unsupported", gets_method=False,
        make_eof=lambda: s1.shutdown(socket.SHUT_WR),
        wait=lambda: _wait_fd(s2.fileno()),
    )
    k.cleanup += [s1.close, s2.close]
    return k


@register("socket-blocking")
def _k_sock_blocking(tmp: Path) -> Kit:
    return _socket_kit("socket-blocking", False)


@register("socket-nonblocking")
def _k_sock_nonblocking(tmp: Path) -> Kit:
    return _socket_kit("socket-nonblocking", True)


def _connected(nbio: bool) -> tuple[ConnectBIO, AcceptBIO, SocketBIO]:
    abio = AcceptBIO("127.0.0.1:0")
    assert abio.do_accept() == 1  # the first call only listens
    cbio = ConnectBIO(f"127.0.0.1:{abio.get_accept_port()}")
    if nbio:
        cbio.set_nbio(True)
        abio.set_nbio(True)
        r = cbio.do_connect()
        assert r == 1 or (
            r == 0 and cbio.should_io_special() and cbio.retry_reason == RetryReason.CONNECT
        )
    else:
        assert cbio.do_connect() == 1
    assert abio.do_accept() == 1  # accepts, and chains the connection after abio
    for _ in range(200):
        if cbio.do_connect() == 1:
            break
        select.select([], [cbio.get_fd()], [], 0.05)
    conn = abio.next
    assert isinstance(conn, SocketBIO)
    for fd, opt in ((cbio.get_fd(), socket.SO_SNDBUF), (conn.get_fd(), socket.SO_RCVBUF)):
        with socket.socket(fileno=os.dup(fd)) as s:
            s.setsockopt(socket.SOL_SOCKET, opt, 32768)
    return cbio, abio, conn


@register("connect-to-accept")
def _k_connect_accept(tmp: Path) -> Kit:
    cbio, abio, conn = _connected(False)
    # The accept BIO answers BIO_eof with 0, whatever its connection says (bss_acpt.c).
    return Kit(
        "connect-to-accept", cbio, abio, cbio, conn, batch=True, retry_on_empty=False,
        gets="unsupported", gets_method=False, eof_reported=False, make_eof=cbio.close,
    )


@register("accept-to-connect-nbio")
def _k_accept_connect(tmp: Path) -> Kit:
    cbio, abio, conn = _connected(True)
    return Kit(
        "accept-to-connect-nbio", abio, cbio, conn, cbio, fillable=True, gets="unsupported",
        gets_method=False,
        make_eof=lambda: conn.sock.shutdown(socket.SHUT_WR),
        wait=lambda: _wait_fd(cbio.get_fd()),
    )


@register("user-hiccup")
def _k_hiccup(tmp: Path) -> Kit:
    h = HiccupBIO()
    return Kit(
        "user-hiccup", h, h, h, h, fillable=True, gets="unsupported", gets_method=False,
        random_retries=True,
        make_eof=h.shutdown_wr,
    )


@register("buffer-over-user-hiccup")
def _k_buffer_hiccup(tmp: Path) -> Kit:
    h = HiccupBIO()
    b = BufferBIO().push(h)
    return Kit(
        "buffer-over-user-hiccup", b, b, h, h, fillable=True, random_retries=True,
        make_eof=h.shutdown_wr,
    )


# ---------------------------------------------------------------------- filters

KEY = bytes(range(16))
IV = bytes(range(16, 32))
PREFIX = b"> "


def _prefixed(data: bytes) -> bytes:
    # Prefix and two spaces of indent before the first byte of every line.
    return b"".join(PREFIX + b"  " + line for line in re.findall(rb"[^\n]*\n|[^\n]+", data))


@dataclass(frozen=True)
class FilterSpec:
    """How to stack one filter type for the battery."""

    writer: Callable[[], BIO] | None  # None: write straight into the sink
    reader: Callable[[], BIO]
    split: bool = False  # separate writer and reader filters (two memory BIOs when over mem)
    gets: str = "pass"  # "pass": as the sink answers; "line": the filter always provides it
    expect: Callable[[bytes], bytes] = _same
    exact_sink: bool = True
    needs_eof: bool = False
    random_retries: bool = False
    digest: bool = False
    cipher: bool = False


FILTERS: dict[str, FilterSpec] = {
    "buffer": FilterSpec(BufferBIO, BufferBIO, gets="line"),
    "linebuffer": FilterSpec(LineBufferBIO, LineBufferBIO),
    "readbuffer": FilterSpec(None, ReadBufferBIO, gets="line"),
    "nullfilter": FilterSpec(NullFilterBIO, NullFilterBIO),
    "base64": FilterSpec(Base64BIO, Base64BIO, split=True, gets="unsupported", exact_sink=False),
    "md": FilterSpec(
        lambda: DigestBIO("sha256"), lambda: DigestBIO("sha256"), split=True, gets="digest",
        digest=True,
    ),
    "cipher": FilterSpec(
        lambda: CipherBIO("aes-128-cbc", KEY, IV, encrypt=True),
        lambda: CipherBIO("aes-128-cbc", KEY, IV, encrypt=False),
        split=True, gets="unsupported", exact_sink=False, needs_eof=True, cipher=True,
    ),
    "prefix": FilterSpec(lambda: PrefixBIO(PREFIX, 2), lambda: PrefixBIO(PREFIX, 2),
                         expect=_prefixed),
    "nbio_test": FilterSpec(lambda: NBIOTestBIO(1), lambda: NBIOTestBIO(2), random_retries=True),
    # An empty schedule and a recorder are transparent: they must pass the battery unchanged.
    "schedule": FilterSpec(lambda: ScheduleBIO(""), lambda: ScheduleBIO("")),
    "record": FilterSpec(lambda: RecordBIO(io.StringIO()), lambda: RecordBIO(io.StringIO())),
    "user-rot13": FilterSpec(Rot13BIO, Rot13BIO),
}


def _post_check(spec: FilterSpec, whead: BIO, rhead: BIO) -> Callable[[bytes], None] | None:
    if spec.digest:
        def check_digests(data: bytes) -> None:
            assert isinstance(whead, DigestBIO) and isinstance(rhead, DigestBIO)
            want = hashlib.sha256(data).digest()
            assert whead.digest() == want
            assert rhead.digest() == want

        return check_digests
    if spec.cipher:
        def check_status(data: bytes) -> None:
            assert isinstance(rhead, CipherBIO)
            assert rhead.get_cipher_status() == 1

        return check_status
    return None


def _filter_kit(fname: str, base: str) -> Kit:
    spec = FILTERS[fname]
    name = f"{fname}-over-{base}"
    if base == "mem":
        wsink = MemBIO()
        rsink = MemBIO() if spec.split else wsink

        def pump() -> None:
            if rsink is not wsink:
                data = wsink.getvalue()
                if data:
                    assert wsink.read(len(data)) == data
                    assert rsink.write(data) == len(data)

        def make_eof() -> None:
            pump()
            rsink.set_eof_return(0)

    else:
        a, b = bio_pair(512, 256)
        wsink, rsink = a, b
        pump = _noop
        make_eof = a.shutdown_wr
    rhead = spec.reader().push(rsink)
    if spec.writer is None:
        whead: BIO = wsink
    elif base == "mem" and not spec.split:
        whead = rhead
    else:
        whead = spec.writer().push(wsink)
    gets = spec.gets
    if gets == "pass":
        gets = "line" if base == "mem" else "unsupported"
    return Kit(
        name, whead, rhead, wsink, rsink, fillable=base == "pair", gets=gets,
        gets_method=spec.gets != "unsupported",
        empty_is_eof=base == "mem", random_retries=spec.random_retries,
        exact_sink=spec.exact_sink, needs_eof=spec.needs_eof, expect=spec.expect,
        pump=pump, make_eof=make_eof, post_check=_post_check(spec, whead, rhead),
    )


for _fname in FILTERS:
    for _base in ("mem", "pair"):
        KITS[f"{_fname}-over-{_base}"] = (
            lambda tmp, f=_fname, b=_base: _filter_kit(f, b)  # type: ignore[misc]
        )


@pytest.fixture(params=sorted(KITS), ids=sorted(KITS))
def kit(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Kit]:
    k = KITS[request.param](tmp_path)
    clear_error()
    try:
        yield k
    finally:
        for head in (k.rhead, k.whead, k.rsink, k.wsink):
            head.set_callback(None)
            head.free_all()
        for f in k.cleanup:
            f()
        clear_error()


# ====================================================================== channel helpers


class Channel:
    """Drives a kit: writes with retries, flushes, pumps, and collects what the reader gets."""

    def __init__(self, k: Kit, *, drain: bool = True) -> None:
        self.k = k
        self.got = bytearray()
        self.reader_done = False  # the reader reported EOF
        # Read while the writer asks to retry (a BIO pair needs room); off when the
        # test wants the data left in the source.
        self.drain = drain

    def make_room(self) -> None:
        if not (self.drain and self.read_available()):
            self.k.wait()

    def read_available(self, size: int = 65536) -> bool:
        """One read; True if it brought bytes."""
        k = self.k
        k.pump()
        r = k.rhead.read_c(size)
        if isinstance(r, bytes):
            assert r, "read_c never returns empty bytes"
            self.got += r
            return True
        if k.rhead.should_retry():
            assert k.rhead.should_read() or k.rhead.should_io_special(), r
        else:
            assert r == 0, f"read failed without retry: {r} {entries()}"
            self.reader_done = True
        return False

    def write(self, data: bytes, chunk: int = 1000) -> None:
        """Write all of ``data`` (draining the reader whenever the writer asks to retry)."""
        k = self.k
        mv = memoryview(data)
        pos = 0
        for _ in range(STEPS):
            if pos == len(data):
                return
            n = k.whead.write(mv[pos : pos + chunk])
            if n > 0:
                pos += n
                continue
            assert k.whead.should_retry(), f"write failed without retry: {n} {entries()}"
            assert k.whead.should_write() or k.whead.should_io_special()
            self.make_room()
        raise AssertionError("write did not finish")

    def flush(self) -> None:
        k = self.k
        for _ in range(STEPS):
            r = k.whead.flush()
            if r > 0:
                k.pump()
                return
            assert k.whead.should_retry(), f"flush failed without retry: {r} {entries()}"
            self.make_room()
        raise AssertionError("flush did not finish")

    def collect(self, total: int) -> bytes:
        """Read until ``total`` bytes arrived (or the reader reported EOF)."""
        k = self.k
        for _ in range(STEPS):
            missing = total - len(self.got)
            if missing <= 0 or self.reader_done:
                break
            # Blocking transports: ask for exactly what is due, so no read blocks or
            # runs into a sticky end of file.
            if not self.read_available(missing if k.batch else 65536) and not self.reader_done:
                k.wait()
        return bytes(self.got)


def transfer(k: Kit, data: bytes) -> tuple[bytes, bytes]:
    """Send ``data`` through the kit; returns (what the reader got, what it should get)."""
    ch = Channel(k)
    if not k.writable:
        return ch.collect(len(k.preload)), k.preload
    expected = k.expect(data)
    if k.batch:
        ch.write(data)
        ch.flush()
    else:
        mv = memoryview(data)
        step = 700
        for pos in range(0, len(data), step):
            ch.write(bytes(mv[pos : pos + step]), chunk=333)
            ch.read_available(500)
        ch.flush()
    if k.needs_eof:
        k.make_eof()
    return ch.collect(len(expected)), expected


def settle_read(k: Kit, size: int = 100) -> bytes | int:
    """read_c on the reader, retried while it asks to (random retries, hiccups, a late FIN)."""
    b = k.rhead
    r: bytes | int = -1
    for _ in range(1000):
        r = b.read_c(size)
        if isinstance(r, bytes) or not b.should_retry():
            return r
        k.wait()
    return r


# ====================================================================== the battery


def test_identity_and_find_type(kit: Kit) -> None:
    r = kit.rhead
    chain = list(r)
    assert chain[0] is r
    assert kit.rsink in chain
    assert r.method_type() == type(r).bio_type
    assert r.method_name() == type(r).bio_name
    assert r.next_bio() is r.next
    for b in chain:
        assert r.find_type(type(b)) is b
        assert r.find_type(b.bio_type) is b  # an exact BIO_TYPE_* number
    # A class number (no low byte) matches any BIO of that class.
    sources = [b for b in chain if b.bio_type & BIOType.SOURCE_SINK]
    filters = [b for b in chain if b.bio_type & BIOType.FILTER]
    assert r.find_type(BIOType.SOURCE_SINK) is sources[0]
    assert r.find_type(BIOType.FILTER) is (filters[0] if filters else None)
    assert r.find_type(BIOType.SSL) is None
    assert r.find_type(MemBIO) is next((b for b in chain if isinstance(b, MemBIO)), None)


def test_roundtrip_and_counters(kit: Kit) -> None:
    data = payload(kit.size())
    got, expected = transfer(kit, data)
    assert got == expected
    written = len(data) if kit.writable else 0
    assert kit.whead.num_write == written
    assert kit.rhead.num_read == len(got)
    if kit.exact_sink and kit.writable:
        assert kit.wsink.num_write == len(expected)
        assert kit.rsink.num_read == len(expected)
    assert entries() == []
    if kit.post_check is not None:
        kit.post_check(data)


def test_empty_source_asks_to_retry_read(kit: Kit) -> None:
    if not kit.retry_on_empty:
        pytest.skip("reading this source never asks to retry")
    r = kit.rhead
    for size in (1, 100, 5000):
        # C's value: -1 (a memory BIO's default eof_return), never 0 (EOF).
        assert r.read_c(size) == -1
        assert r.should_retry() and r.should_read()
        assert not r.should_write() and not r.should_io_special()
        assert r.get_retry_flags() == RETRY_READ
    assert r.read(100) == b""
    assert r.get_retry_flags() == RETRY_READ
    assert r.pending() == 0
    # Only a memory BIO says "EOF" while merely empty (BIO_s_mem(3)); nothing says it here.
    assert r.eof() is kit.empty_is_eof
    culprit, _reason = r.get_retry_bio()
    if kit.random_retries:
        assert culprit in list(r)
    else:
        assert culprit is kit.rsink
    assert r.num_read == 0
    assert entries() == []


def test_successful_read_clears_retry_flags(kit: Kit) -> None:
    if not kit.retry_on_empty:
        pytest.skip("reading this source never asks to retry")
    r = kit.rhead
    assert r.read_c(50) == -1 and r.get_retry_flags() == RETRY_READ
    ch = Channel(kit, drain=False)
    data = payload(300)
    ch.write(data)
    ch.flush()
    # At EOF the source answers 0 rather than "retry", so a filter that reads ahead
    # cannot meet a retry of its own during the call under test.
    kit.make_eof()
    for _ in range(1000):
        got = r.read_c(1)
        if isinstance(got, bytes):
            break
        assert r.should_retry()
        kit.wait()
    assert isinstance(got, bytes) and len(got) == 1
    assert r.get_retry_flags() == 0
    assert entries() == []


def test_full_sink_asks_to_retry_write(kit: Kit) -> None:
    if not kit.fillable:
        pytest.skip("this sink never fills up")
    w = kit.whead
    data = payload(4 << 20)
    mv = memoryview(data)
    pos = 0
    n = 1
    for _ in range(STEPS):
        n = w.write(mv[pos : pos + 65536])
        if n <= 0:
            break
        pos += n
    assert n <= 0, "the sink never filled up"
    assert w.should_retry() and w.should_write()
    assert not w.should_read() and not w.should_io_special()
    assert w.get_retry_flags() == RETRY_WRITE
    assert entries() == []
    # Make room, then the next successful write clears the flags.
    ch = Channel(kit)
    for _ in range(STEPS):
        if not ch.read_available():
            kit.wait()
        n = w.write(mv[pos : pos + 1])
        if n > 0:
            break
        assert w.get_retry_flags() == RETRY_WRITE
    assert n == 1
    assert w.get_retry_flags() == 0
    pos += 1
    # Nothing was lost or duplicated on the way.
    ch.flush()
    if kit.needs_eof:
        kit.make_eof()
    expected = kit.expect(data[:pos])
    assert ch.collect(len(expected)) == expected
    assert w.num_write == pos


def test_eof(kit: Kit) -> None:
    got, expected = transfer(kit, payload(1000))
    assert got == expected
    kit.make_eof()
    r = kit.rhead
    for _ in range(2):  # EOF stays EOF
        res = settle_read(kit)
        assert res == 0
        assert not r.should_retry()
        assert r.get_retry_flags() == 0
        assert r.read(10) == b"" or kit.random_retries
    if kit.eof_reported:
        assert r.eof()
    else:
        assert not r.eof()
        assert kit.rsink.eof()
    assert entries() == []


Record = tuple[BIO, int, "bytes | None", int, int, int, int, "int | None"]


def _recorder(calls: list[Record]) -> Callable[..., int]:
    def cb(
        b: BIO, oper: int, argp: bytes | None, length: int, argi: int, argl: int, ret: int,
        processed: int | None,
    ) -> int:
        calls.append((b, oper, argp, length, argi, argl, ret, processed))
        return ret

    return cb


def test_callbacks_see_every_operation(kit: Kit) -> None:
    calls: list[Record] = []
    cb = _recorder(calls)
    w, r = kit.whead, kit.rhead
    data = b"callback data\nmore\n"
    if kit.writable:
        w.set_callback(cb)
        n = w.write(data)
        assert calls[0] == (w, BIO_CB_WRITE, data, len(data), 0, 0, 1, None)
        oper_b, oper, argp, length, argi, argl, ret, processed = calls[1]
        assert (oper_b, oper, argp, length, argi, argl) == (
            w, BIO_CB_WRITE | BIO_CB_RETURN, data, len(data), 0, 0
        )
        if n > 0:
            assert processed == n
        else:
            assert ret == n and processed is None
        assert len(calls) == 2
        calls.clear()
        p = w.puts("puts\n")
        assert calls[0] == (w, BIO_CB_PUTS, b"puts\n", 0, 0, 0, 1, None)
        assert calls[1][1] == BIO_CB_PUTS | BIO_CB_RETURN
        assert calls[1][7] == (p if p > 0 else None)
        calls.clear()
        w.set_callback(None)
        Channel(kit, drain=False).flush()
    assert calls == []
    r.set_callback(cb)
    # A short read, so that a blocking gets below still finds its line.
    res = r.read_c(5)
    assert calls[0] == (r, BIO_CB_READ, None, 5, 0, 0, 1, None)
    if isinstance(res, bytes):
        # As OpenSSL 3: ret 1 and the count in ``processed``.
        assert calls[1] == (r, BIO_CB_READ | BIO_CB_RETURN, res, 5, 0, 0, 1, len(res))
    else:
        assert calls[1] == (r, BIO_CB_READ | BIO_CB_RETURN, None, 5, 0, 0, res, None)
    assert len(calls) == 2
    calls.clear()
    pend = r.pending()
    assert calls == [
        (r, BIO_CB_CTRL, None, 0, Ctrl.PENDING, 0, 1, None),
        (r, BIO_CB_CTRL | BIO_CB_RETURN, None, 0, Ctrl.PENDING, 0, pend, None),
    ]
    calls.clear()
    clear_error()
    g = r.gets_c(64)
    if not calls:
        # A BIO without a gets method fails before the callback runs (bio_lib.c).
        assert kit.gets == "unsupported" and g == -2
    else:
        assert calls[0] == (r, BIO_CB_GETS, None, 64, 0, 0, 1, None)
        if isinstance(g, bytes):
            assert calls[1] == (r, BIO_CB_GETS | BIO_CB_RETURN, g, 64, 0, 0, 1, len(g))
        else:
            # A filter passing gets on to a next BIO that has none: -2 from below.
            assert calls[1] == (r, BIO_CB_GETS | BIO_CB_RETURN, None, 64, 0, 0, g, None)
    assert entries() == ([UNSUPPORTED] if kit.gets == "unsupported" else [])
    calls.clear()
    r.close()
    assert calls == [(r, BIO_CB_FREE, None, 0, 0, 0, 1, None)]
    assert r.closed


def test_callback_returning_zero_vetoes(kit: Kit) -> None:
    vetoed = {BIO_CB_WRITE, BIO_CB_PUTS, BIO_CB_READ, BIO_CB_GETS, BIO_CB_FREE}

    def veto(
        b: BIO, oper: int, argp: bytes | None, length: int, argi: int, argl: int, ret: int,
        processed: int | None,
    ) -> int:
        return 0 if oper in vetoed else ret

    w, r = kit.whead, kit.rhead
    if kit.writable:
        w.set_callback(veto)
        assert w.write(b"vetoed") == 0
        assert w.puts("vetoed") == 0
        assert w.num_write == 0
        w.set_callback(None)
        data = payload(1200)
        ch = Channel(kit)
        ch.write(data)
        ch.flush()
        if kit.needs_eof:
            kit.make_eof()
        expected = kit.expect(data)
    else:
        ch = Channel(kit)
        expected = kit.preload
    read_before = r.num_read
    r.set_callback(veto)
    assert r.read_c(10) == 0
    assert r.read(10) == b""
    if kit.gets in ("line", "zero", "digest"):
        assert r.gets_c(10) == 0
    r.close()
    assert not r.closed  # BIO_free refused by the callback
    assert r.num_read == read_before
    r.set_callback(None)
    # The vetoed calls moved nothing: the reader gets exactly the data, once.
    assert ch.collect(len(expected)) == expected
    assert entries() == []


def test_chain_operations(kit: Kit) -> None:
    r = kit.rhead
    chain = list(r)
    top = NullFilterBIO()
    assert top.push(r) is top  # BIO_push returns the head
    assert top.next is r and r.prev is top
    assert list(top) == [top, *chain]
    nxt = r.next
    # BIO_pop in the middle of a chain: r leaves, its neighbours are joined.
    assert r.pop() is nxt
    assert r.next is None and r.prev is None
    assert top.next is nxt
    if nxt is not None:
        assert nxt.prev is top
    # Put it back together.
    assert top.pop() is nxt
    assert top.next is None
    if nxt is not None:
        assert r.push(nxt) is r
        assert nxt.prev is r
    assert list(r) == chain
    # Pushing a BIO that is already in the chain would make a loop.
    with pytest.raises(ValueError):
        r.push(chain[-1])
    # The chain still works after all that.
    got, expected = transfer(kit, payload(800))
    assert got == expected
    # BIO_free_all frees every BIO from the head on.
    top2 = NullFilterBIO()
    top2.push(r)
    top2.free_all()
    assert top2.closed and all(b.closed for b in chain)


def test_closed_bio_refuses_everything(kit: Kit) -> None:
    r = kit.rhead
    r.close()
    assert r.closed
    r.close()  # idempotent
    for call, want, entry in (
        (lambda: r.read_c(10), -1, UNINITIALIZED),
        (lambda: r.read(10), b"", UNINITIALIZED),
        (lambda: r.read_ex(10), 0, UNINITIALIZED),
        (lambda: r.gets_c(10), -1, UNINITIALIZED),
        (lambda: r.write(b"x"), -1, UNINITIALIZED),
        (lambda: r.puts("x"), -1, UNINITIALIZED),
        (lambda: r.ctrl(Ctrl.PENDING), -1, UNINITIALIZED),
    ):
        clear_error()
        assert call() == want
        assert entries() == [entry]
    clear_error()
    assert r.pending() == 0 and r.wpending() == 0
    assert entries() == [UNINITIALIZED, UNINITIALIZED]


def test_negative_sizes(kit: Kit) -> None:
    r = kit.rhead
    # biokit refuses a negative size with an error-queue entry.  (libcrypto 3.0.19's
    # BIO_read returns 0 and queues nothing; BIO_gets queues INVALID_ARGUMENT.)
    assert r.read_c(-1) == -1
    assert entries() == [INVALID_ARGUMENT]
    clear_error()
    assert r.read(-1000) == b""
    assert r.read_ex(-1) == 0
    assert entries() == [INVALID_ARGUMENT, INVALID_ARGUMENT]
    clear_error()
    if kit.gets_method:
        assert r.gets_c(-1) == -1
        assert entries() == [INVALID_ARGUMENT]
    else:
        # No gets method: that is what BIO_gets reports first, whatever the size.
        assert r.gets_c(-1) == -2
        assert entries() == [UNSUPPORTED]
    clear_error()
    # Nothing was consumed or broken.
    got, expected = transfer(kit, payload(700))
    assert got == expected
    assert entries() == []


def test_gets(kit: Kit) -> None:
    r = kit.rhead
    if kit.gets == "unsupported":
        assert r.gets_c(100) == -2
        assert entries() == [UNSUPPORTED]
        clear_error()
        assert r.gets(100) == b""
        assert entries() == [UNSUPPORTED]
        return
    if kit.gets == "zero":
        assert r.gets_c(100) == 0 and r.gets(100) == b""
        return
    data = b"first line\nsecond line\nthird"
    if kit.writable:
        ch = Channel(kit, drain=False)
        ch.write(data)
        ch.flush()
        expected = kit.expect(data)
    else:
        expected = kit.preload
    if kit.gets == "digest":
        # BIO_gets on a digest BIO finishes the digest (BIO_f_md(3)); too small a buffer: 0.
        assert r.gets_c(10) == 0
        assert r.gets_c(64) == hashlib.sha256().digest()  # nothing has been read through it
        return
    first, _, _rest = expected.partition(b"\n")
    res: bytes | int = -1
    for _ in range(1000):
        res = r.gets_c(5)  # at most size - 1 bytes, as C's NUL needs one
        if isinstance(res, bytes) or not r.should_retry():
            break
    assert res == first[:4]
    line = b""
    for _ in range(1000):
        res = r.gets_c(200)
        if isinstance(res, bytes):
            line += res
            if line.endswith(b"\n"):
                break
        else:
            assert r.should_retry()
    assert line == first[4:] + b"\n"
    assert entries() == []


def test_write_to_read_only_bio(kit: Kit) -> None:
    if kit.writable:
        pytest.skip("writable")
    w = kit.whead
    assert w.write(b"nope") == -1
    assert entries() == [(Lib.BIO, BIOReason.WRITE_TO_READ_ONLY_BIO)]
    assert w.get_retry_flags() == 0
    clear_error()
    assert w.puts("nope") == -1
    assert entries() == [(Lib.BIO, BIOReason.WRITE_TO_READ_ONLY_BIO)]
    assert w.num_write == 0
    clear_error()
    got, expected = transfer(kit, b"")
    assert got == expected


# ====================================================================== outside the battery


def test_buffer_read_keeps_what_it_took_when_next_asks_to_retry() -> None:
    # bf_buff.c: a failure after some bytes returns them (``(num > 0) ? num : i``); an
    # edit of exactly this line was once committed by accident and made BufferBIO drop them.
    mem = MemBIO()
    buf = BufferBIO().push(mem)
    mem.write(b"0123456789")
    assert buf.read(5) == b"01234"  # fills the 4096-byte read buffer with all ten bytes
    mem.write(b"abc")
    # 5 buffered + a direct read of the rest (more than 4096): "abc", then next is empty.
    assert buf.read_c(5000) == b"56789abc"
    assert buf.get_retry_flags() == RETRY_READ  # copied from next, data returned anyway


def test_readbuffer_write_returns_zero_silently() -> None:
    # readbuffer_write/readbuffer_puts return 0 and queue nothing (bf_readbuff.c).
    clear_error()
    rb = ReadBufferBIO().push(MemBIO())
    assert rb.write(b"x") == 0 and rb.puts("x") == 0
    assert rb.get_retry_flags() == 0 and entries() == []
    rb.free_all()


def test_constructors_refuse_negative_sizes() -> None:
    with pytest.raises(ValueError):
        bio_pair(-1, 0)
    with pytest.raises(ValueError):
        PairBIO(-5)
    with pytest.raises(ValueError):
        PrefixBIO(b"x", -1)
    with pytest.raises(ValueError):
        NBIOTestBIO(max_chunk=0)
    clear_error()
    b = BufferBIO()
    assert b.set_buffer_size(-1) == 1  # "reducing the size below 4096 is ignored"
    assert b.read_buffer_size == 4096 and b.write_buffer_size == 4096
    p = PairBIO()
    assert p.set_write_buf_size(-1) == 0
    assert entries() == [INVALID_ARGUMENT]
    clear_error()


def test_every_kit_type_is_covered() -> None:
    """The battery names every BIO class biokit exports."""
    import biokit.bio as bio_pkg

    covered = {
        MemBIO, PairBIO, NullBIO, FileBIO, FdBIO, SocketBIO, ConnectBIO, AcceptBIO, BufferBIO,
        LineBufferBIO, ReadBufferBIO, NullFilterBIO, Base64BIO, DigestBIO, CipherBIO, PrefixBIO,
        NBIOTestBIO, ScheduleBIO, RecordBIO,
        # ReplayBIO only plays back a recording: tests/test_testing_tools.py covers it.
        ReplayBIO,
    }
    exported = {
        obj for name in bio_pkg.__all__
        if isinstance(obj := getattr(bio_pkg, name), type) and issubclass(obj, BIO)
        and obj not in (BIO, FilterBIO)
    }
    assert exported == covered


# ====================================================================== vs libcrypto

_VP = ctypes.c_void_p
_CB_EX = ctypes.CFUNCTYPE(
    ctypes.c_long, _VP, ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int,
    ctypes.c_long, ctypes.c_int, ctypes.POINTER(ctypes.c_size_t),
)


def _libcrypto() -> Any:
    try:
        lib = ctypes.CDLL("libcrypto.so.3")
        lib.OpenSSL_version_num.restype = ctypes.c_ulong
        if lib.OpenSSL_version_num() >> 28 != 3:
            return None
    except (OSError, AttributeError):
        return None
    for fname, args, res in (
        ("BIO_new", [_VP], _VP),
        ("BIO_s_mem", [], _VP),
        ("BIO_f_buffer", [], _VP),
        ("BIO_push", [_VP, _VP], _VP),
        ("BIO_free_all", [_VP], None),
        ("BIO_new_socket", [ctypes.c_int, ctypes.c_int], _VP),
        ("BIO_set_callback_ex", [_VP, _CB_EX], None),
        ("BIO_write", [_VP, ctypes.c_char_p, ctypes.c_int], ctypes.c_int),
        ("BIO_puts", [_VP, ctypes.c_char_p], ctypes.c_int),
        ("BIO_gets", [_VP, ctypes.c_char_p, ctypes.c_int], ctypes.c_int),
        ("BIO_read", [_VP, ctypes.c_char_p, ctypes.c_int], ctypes.c_int),
        ("BIO_free", [_VP], ctypes.c_int),
        ("ERR_get_error", [], ctypes.c_ulong),
        ("ERR_clear_error", [], None),
    ):
        f = getattr(lib, fname)
        f.argtypes = args
        f.restype = res
    return lib


_LIB = _libcrypto()
needs_libcrypto = pytest.mark.skipif(_LIB is None, reason="libcrypto 3 not loadable")

Trace = list[tuple[int, int, int, "int | None"]]  # (oper, len, ret, processed)


def _c_trace(script: Callable[[Any, Any], Any], post: int | None = None) -> tuple[Trace, Any]:
    """Run ``script(lib, bio)`` on a libcrypto memory BIO with a recording callback."""
    trace: Trace = []

    def cb(b: Any, oper: int, argp: Any, ln: int, argi: int, argl: int, ret: int,
           processed: Any) -> int:
        trace.append((oper, ln, ret, processed[0] if processed else None))
        if post is not None and oper & BIO_CB_RETURN and ret > 0:
            return post
        return ret

    c_cb = _CB_EX(cb)
    lib = _LIB
    bio = lib.BIO_new(lib.BIO_s_mem())
    lib.BIO_set_callback_ex(bio, c_cb)
    try:
        result = script(lib, bio)
    finally:
        lib.BIO_set_callback_ex(bio, _CB_EX())
        lib.BIO_free(bio)
    return trace, result


def _py_trace(script: Callable[[MemBIO], Any], post: int | None = None) -> tuple[Trace, Any]:
    trace: Trace = []

    def cb(b: BIO, oper: int, argp: bytes | None, ln: int, argi: int, argl: int, ret: int,
           processed: int | None) -> int:
        trace.append((oper, ln, ret, processed))
        if post is not None and oper & BIO_CB_RETURN and ret > 0:
            return post
        return ret

    m = MemBIO()
    m.set_callback(cb)
    return trace, script(m)


@needs_libcrypto
def test_read_and_gets_callbacks_match_libcrypto() -> None:
    buf = ctypes.create_string_buffer(100)

    def c_script(lib: Any, b: Any) -> list[int]:
        lib.BIO_puts(b, b"one\ntwo")
        return [lib.BIO_gets(b, buf, 100)] + [lib.BIO_read(b, buf, n) for n in (2, 9, 9)]

    def py_script(m: MemBIO) -> list[int]:
        m.puts(b"one\ntwo")
        out = [m.gets_c(100)] + [m.read_c(n) for n in (2, 9, 9)]
        return [len(r) if isinstance(r, bytes) else r for r in out]

    c_trace, c_res = _c_trace(c_script)
    py_trace, py_res = _py_trace(py_script)
    assert py_res == c_res == [4, 2, 1, -1]
    # Index 0-1 is the puts (compared below); gets and the successful reads match.
    assert py_trace[2:8] == c_trace[2:8] == [
        (BIO_CB_GETS, 100, 1, None), (BIO_CB_GETS | BIO_CB_RETURN, 100, 1, 4),
        (BIO_CB_READ, 2, 1, None), (BIO_CB_READ | BIO_CB_RETURN, 2, 1, 2),
        (BIO_CB_READ, 9, 1, None), (BIO_CB_READ | BIO_CB_RETURN, 9, 1, 1),
    ]
    # A failed read: OpenSSL points ``processed`` at a 0, biokit passes None (documented).
    assert c_trace[8:] == [(BIO_CB_READ, 9, 1, None), (BIO_CB_READ | BIO_CB_RETURN, 9, -1, 0)]
    assert py_trace[8:] == [(BIO_CB_READ, 9, 1, None), (BIO_CB_READ | BIO_CB_RETURN, 9, -1, None)]


@needs_libcrypto
def test_unsupported_gets_matches_libcrypto() -> None:
    s1, s2 = socket.socketpair()
    try:
        buf = ctypes.create_string_buffer(10)
        cbio = _LIB.BIO_new_socket(s1.fileno(), 0)
        _LIB.ERR_clear_error()
        assert _LIB.BIO_gets(cbio, buf, 10) == -2
        code = _LIB.ERR_get_error()
        _LIB.BIO_free(cbio)
        clear_error()
        pbio = SocketBIO(s1)
        assert pbio.gets_c(10) == -2
        assert [e.code for e in errors_as_list()] == [code]
        pbio.close()
    finally:
        s1.close()
        s2.close()
        clear_error()


@needs_libcrypto
def test_write_and_puts_callbacks_match_libcrypto() -> None:
    c_trace, c_res = _c_trace(lambda lib, b: [lib.BIO_write(b, b"hello", 5),
                                               lib.BIO_puts(b, b"ab\n")])
    py_trace, py_res = _py_trace(lambda m: [m.write(b"hello"), m.puts(b"ab\n")])
    assert c_res == py_res == [5, 3]
    assert py_trace == c_trace == [
        (BIO_CB_WRITE, 5, 1, None), (BIO_CB_WRITE | BIO_CB_RETURN, 5, 1, 5),
        (BIO_CB_PUTS, 0, 1, None), (BIO_CB_PUTS | BIO_CB_RETURN, 0, 1, 3),
    ]


@needs_libcrypto
def test_write_count_survives_a_callback_returning_one() -> None:
    _, c_res = _c_trace(lambda lib, b: lib.BIO_write(b, b"hello", 5), post=1)
    _, py_res = _py_trace(lambda m: m.write(b"hello"), post=1)
    assert c_res == 5
    assert py_res == 5


@needs_libcrypto
def test_empty_write_runs_no_callback() -> None:
    c_trace, c_res = _c_trace(lambda lib, b: lib.BIO_write(b, b"", 0))
    py_trace, py_res = _py_trace(lambda m: m.write(b""))
    assert c_res == py_res == 0
    assert py_trace == c_trace == []


@needs_libcrypto
def test_gets_negative_size_on_unsupported_type_matches_libcrypto() -> None:
    s1, s2 = socket.socketpair()
    try:
        buf = ctypes.create_string_buffer(10)
        cbio = _LIB.BIO_new_socket(s1.fileno(), 0)
        _LIB.ERR_clear_error()
        c_res = _LIB.BIO_gets(cbio, buf, -1)
        code = _LIB.ERR_get_error()
        _LIB.BIO_free(cbio)
        clear_error()
        pbio = SocketBIO(s1)
        py_res = pbio.gets_c(-1)
        py_codes = [e.code for e in errors_as_list()]
        pbio.close()
        assert (py_res, py_codes) == (c_res, [code]) == (-2, [code])
    finally:
        s1.close()
        s2.close()
        clear_error()


@needs_libcrypto
def test_buffer_large_read_after_retry_matches_libcrypto() -> None:
    lib = _LIB
    buf = ctypes.create_string_buffer(5000)
    mem = lib.BIO_new(lib.BIO_s_mem())
    head = lib.BIO_push(lib.BIO_new(lib.BIO_f_buffer()), mem)
    try:
        lib.BIO_write(mem, b"0123456789", 10)
        assert lib.BIO_read(head, buf, 5) == 5
        lib.BIO_write(mem, b"abc", 3)
        n = lib.BIO_read(head, buf, 5000)
        assert (n, buf.raw[:n]) == (8, b"56789abc")  # bf_buff.c keeps the bytes
    finally:
        lib.BIO_free_all(head)
