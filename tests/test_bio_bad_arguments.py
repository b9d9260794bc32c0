"""Bad arguments never lose or invent a byte.

A value that is not a buffer (an int, a list, a str, None) is refused with TypeError
*before* the BIO is touched: no byte stored, none consumed, no counter moved, no
callback run.  Any other buffer is taken by its bytes: ``write(array('i', [1, 2]))``
stores and returns 8, ``readinto(array('i', [0, 0]))`` reads up to 8.  Checked on every
BIO type, on the fast path (no callback) and the slow one (with a callback).
"""

from __future__ import annotations

import array
import io
import os
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from biokit.bio import (
    BIO,
    Base64BIO,
    BufferBIO,
    CipherBIO,
    DigestBIO,
    FdBIO,
    FileBIO,
    LineBufferBIO,
    MemBIO,
    NBIOTestBIO,
    NullBIO,
    NullFilterBIO,
    PrefixBIO,
    ReadBufferBIO,
    SocketBIO,
    bio_pair,
)
from biokit.errors import clear_error, errors_as_list

pytestmark = pytest.mark.timeout(30)

KEY = bytes(range(16))
IV = bytes(range(16, 32))

NOT_BUFFERS: list[Any] = [5, [104, 105], "hi", None, 3.5, object()]
DATA = b"abcdefgh"


@pytest.fixture(autouse=True)
def _clean_queue() -> Iterator[None]:
    clear_error()
    yield
    clear_error()


class Sink:
    """A writable BIO (``head``) and a way to see every byte that reached the end."""

    kind = ""

    def __init__(self, head: BIO, drain: Callable[[], bytes], cleanup: Callable[[], None]):
        self.head = head
        self.drain = drain
        self.cleanup = cleanup


def _mem_filter(make: Callable[[], BIO]) -> Callable[[], Sink]:
    def build() -> Sink:
        mem = MemBIO()
        head = make().push(mem)

        def drain() -> bytes:
            head.flush()
            return mem.getvalue()

        return Sink(head, drain, lambda: None)

    return build


def _mem() -> Sink:
    m = MemBIO()
    return Sink(m, m.getvalue, lambda: None)


def _pair() -> Sink:
    a, b = bio_pair(64, 64)
    return Sink(a, lambda: b.read(1000), lambda: None)


def _null() -> Sink:
    return Sink(NullBIO(), lambda: b"", lambda: None)


def _fd() -> Sink:
    r, w = os.pipe()
    os.set_blocking(r, False)
    bio = FdBIO(w)

    def drain() -> bytes:
        try:
            return os.read(r, 1000)
        except BlockingIOError:
            return b""

    def cleanup() -> None:
        os.close(r)
        os.close(w)

    return Sink(bio, drain, cleanup)


def _file() -> Sink:
    f = io.BytesIO()
    return Sink(FileBIO(f), f.getvalue, lambda: None)


def _socket() -> Sink:
    s1, s2 = socket.socketpair()
    s2.setblocking(False)

    def drain() -> bytes:
        try:
            return s2.recv(1000)
        except BlockingIOError:
            return b""

    def cleanup() -> None:
        s1.close()
        s2.close()

    return Sink(SocketBIO(s1), drain, cleanup)


SINKS: dict[str, Callable[[], Sink]] = {
    "mem": _mem,
    "pair": _pair,
    "null": _null,
    "fd": _fd,
    "file": _file,
    "socket": _socket,
    "buffer": _mem_filter(BufferBIO),
    "linebuffer": _mem_filter(LineBufferBIO),
    "nullfilter": _mem_filter(NullFilterBIO),
    "base64": _mem_filter(Base64BIO),
    "md": _mem_filter(DigestBIO),
    "cipher": _mem_filter(lambda: CipherBIO("aes-128-cbc", KEY, IV, encrypt=True)),
    "prefix": _mem_filter(lambda: PrefixBIO("> ")),
    "nbio_test": _mem_filter(lambda: NBIOTestBIO(seed=1)),
}


@pytest.fixture(params=sorted(SINKS))
def sink(request: pytest.FixtureRequest) -> Iterator[Sink]:
    s = SINKS[request.param]()
    s.kind = request.param
    yield s
    s.cleanup()


@pytest.mark.parametrize("with_callback", [False, True])
def test_write_and_puts_refuse_non_buffers_before_touching_anything(
    sink: Sink, with_callback: bool
) -> None:
    calls: list[int] = []
    if with_callback:
        sink.head.set_callback(lambda b, oper, *rest: calls.append(oper) or rest[-2])
    for bad in NOT_BUFFERS:
        with pytest.raises(TypeError):
            sink.head.write(bad)
        with pytest.raises(TypeError):
            sink.head.write_ex(bad)
        if not isinstance(bad, str):
            with pytest.raises(TypeError):
                sink.head.puts(bad)
    assert calls == []
    assert sink.head.num_write == 0
    # What an untouched sink of the same kind gives (a cipher BIO's flush emits
    # its padding block even when nothing was written).
    untouched = SINKS[sink.kind]()
    try:
        assert sink.drain() == untouched.drain()
    finally:
        untouched.cleanup()
    assert errors_as_list() == []


def test_a_list_of_ints_is_not_bytes() -> None:
    m = MemBIO()
    with pytest.raises(TypeError, match="bytes-like object is required, not 'list'"):
        m.write([104, 105])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        m.write(5)  # type: ignore[arg-type]  (bytes(5) would be five NULs)
    assert m.pending() == 0 and m.getvalue() == b""


@pytest.mark.parametrize("with_callback", [False, True])
def test_a_buffer_is_written_by_its_bytes(with_callback: bool) -> None:
    arr = array.array("i", [1, 2])
    raw = arr.tobytes()
    assert len(raw) == 8
    m = MemBIO()
    seen: list[tuple[int, bytes | None, int]] = []
    if with_callback:
        def cb(b: BIO, oper: int, argp: bytes | None, length: int, argi: int, argl: int,
               ret: int, processed: int | None) -> int:
            seen.append((oper, argp, length))
            return ret
        m.set_callback(cb)
    assert m.write(arr) == 8  # type: ignore[arg-type]
    assert m.num_write == 8
    assert m.getvalue() == raw
    if with_callback:
        assert seen == [(0x03, raw, 8), (0x83, raw, 8)]
    # A 2-D and a non-contiguous view: their bytes, in C order.
    grid = memoryview(bytearray(b"abcdef")).cast("B", (2, 3))
    assert m.write(grid) == 6
    assert m.write(memoryview(b"0123456789")[::3]) == 4
    assert m.getvalue() == raw + b"abcdef" + b"0369"
    assert m.puts(memoryview(b"xy")) == 2 and m.puts(bytearray(b"z")) == 1


def test_a_buffer_reaches_every_sink_by_its_bytes(sink: Sink) -> None:
    arr = array.array("H", [0x4142, 0x4344])
    n = sink.head.write(arr)  # type: ignore[arg-type]
    if isinstance(sink.head, NBIOTestBIO):
        assert 0 < n <= 4 or sink.head.should_retry()  # random short writes, in bytes
        return
    assert n == 4 and sink.head.num_write == 4
    got = sink.drain()
    if sink.kind in ("mem", "pair", "fd", "file", "socket", "buffer", "nullfilter"):
        assert got == arr.tobytes() and len(got) == 4
    elif sink.kind == "null":
        assert got == b""
    assert errors_as_list() == []


# --------------------------------------------------------------------------- reading


def _sources() -> dict[str, Callable[[], tuple[BIO, Callable[[], None]]]]:
    def mem_buf() -> tuple[BIO, Callable[[], None]]:
        return MemBIO(DATA), lambda: None

    def mem() -> tuple[BIO, Callable[[], None]]:
        m = MemBIO()
        m.write(DATA)
        return m, lambda: None

    def pair() -> tuple[BIO, Callable[[], None]]:
        a, b = bio_pair(64, 64)
        a.write(DATA)
        return b, lambda: None

    def fd() -> tuple[BIO, Callable[[], None]]:
        r, w = os.pipe()
        os.write(w, DATA)
        os.close(w)
        return FdBIO(r), lambda: os.close(r)

    def file() -> tuple[BIO, Callable[[], None]]:
        return FileBIO(io.BytesIO(DATA)), lambda: None

    def sock() -> tuple[BIO, Callable[[], None]]:
        s1, s2 = socket.socketpair()
        s2.sendall(DATA)
        s2.close()

        return SocketBIO(s1), s1.close

    def buffered() -> tuple[BIO, Callable[[], None]]:
        return BufferBIO().push(MemBIO(DATA)), lambda: None

    def readbuffer() -> tuple[BIO, Callable[[], None]]:
        return ReadBufferBIO().push(MemBIO(DATA)), lambda: None

    def b64() -> tuple[BIO, Callable[[], None]]:
        return Base64BIO().push(MemBIO(b"YWJjZGVmZ2g=\n")), lambda: None

    return {"mem_buf": mem_buf, "mem": mem, "pair": pair, "fd": fd, "file": file,
            "socket": sock, "buffer": buffered, "readbuffer": readbuffer, "base64": b64}


SOURCES = _sources()


@pytest.fixture(params=sorted(SOURCES))
def source(request: pytest.FixtureRequest) -> Iterator[BIO]:
    bio, cleanup = SOURCES[request.param]()
    yield bio
    cleanup()


def _read_all(bio: BIO) -> bytes:
    out = b""
    for _ in range(20):
        r = bio.read(100)
        if not r:
            break
        out += r
    return out


@pytest.mark.parametrize("with_callback", [False, True])
def test_readinto_checks_the_buffer_before_reading(source: BIO, with_callback: bool) -> None:
    calls: list[int] = []
    if with_callback:
        source.set_callback(lambda b, oper, *rest: calls.append(oper) or rest[-2])
    for bad in (b"xxxx", memoryview(b"xxxx"), "xxxx", 5, None, [0, 0, 0, 0]):
        with pytest.raises(TypeError):
            source.readinto(bad)  # type: ignore[arg-type]
    for bad_size in (4.0, "4", None):
        with pytest.raises(TypeError):
            source.read(bad_size)  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            source.read_c(bad_size)  # type: ignore[arg-type]
    assert calls == []
    assert source.num_read == 0
    source.set_callback(None)
    assert _read_all(source) == DATA  # every byte still there


def test_readinto_fills_any_writable_buffer_by_bytes(source: BIO) -> None:
    arr = array.array("i", [0, 0])
    assert source.readinto(arr) == 8  # type: ignore[arg-type]
    assert arr.tobytes() == DATA
    assert source.num_read == 8


def test_readinto_partial_strided_and_c_value() -> None:
    m = MemBIO()
    m.write(b"abc")
    buf = bytearray(b"......")
    assert m.readinto(memoryview(buf)[::2]) == 3
    assert buf == b"a.b.c."
    # Empty memory BIO: the C return value (eof_return -1) and the retry flag.
    assert m.readinto(bytearray(4)) == -1 and m.should_retry()
    assert m.readinto(bytearray(0)) == -1  # BIO_read(b, buf, 0) reaches mem_read too


def test_gets_refuses_a_non_integer_size_before_reading() -> None:
    b = BufferBIO().push(MemBIO(b"line\nrest"))
    with pytest.raises(TypeError):
        b.gets_c(4.0)  # type: ignore[arg-type]
    assert b.gets(100) == b"line\n"
    assert b.read(100) == b"rest"
