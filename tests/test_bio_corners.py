"""Small corners of the BIO base, checked against libcrypto 3.0 where it can be loaded.

* ``gets`` with size 0 or 1 reaches the type's gets method, as BIO_gets does;
* ``push(None)`` returns the head unchanged (C allows a NULL append);
* ``retry_reason`` is a ``RetryReason`` member.
"""

from __future__ import annotations

import ctypes
import io
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from biokit import openssl as C
from biokit.bio import (
    BIO,
    AcceptBIO,
    BufferBIO,
    Ctrl,
    DigestBIO,
    FdBIO,
    FileBIO,
    LineBufferBIO,
    MemBIO,
    NBIOTestBIO,
    NullFilterBIO,
    PrefixBIO,
    ReadBufferBIO,
    RetryReason,
    make_debug_callback,
)
from biokit.bio.core import BIO_FLAGS_READ, BIO_FLAGS_SHOULD_RETRY
from biokit.errors import clear_error, errors_as_list

pytestmark = pytest.mark.timeout(30)

_VP = ctypes.c_void_p
RETRY_READ = BIO_FLAGS_READ | BIO_FLAGS_SHOULD_RETRY


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
        ("BIO_new_fd", [ctypes.c_int, ctypes.c_int], _VP),
        ("BIO_push", [_VP, _VP], _VP),
        ("BIO_write", [_VP, ctypes.c_char_p, ctypes.c_int], ctypes.c_int),
        ("BIO_gets", [_VP, ctypes.c_char_p, ctypes.c_int], ctypes.c_int),
        ("BIO_ctrl", [_VP, ctypes.c_int, ctypes.c_long, _VP], ctypes.c_long),
        ("BIO_test_flags", [_VP, ctypes.c_int], ctypes.c_int),
        ("BIO_free", [_VP], ctypes.c_int),
        ("BIO_free_all", [_VP], None),
        ("EVP_get_digestbyname", [ctypes.c_char_p], _VP),
        ("ERR_peek_error", [], ctypes.c_ulong),
        ("ERR_clear_error", [], None),
    ):
        f = getattr(lib, fname)
        f.argtypes = args
        f.restype = res
    for f in ("BIO_f_buffer", "BIO_f_readbuffer", "BIO_f_linebuffer", "BIO_f_null",
              "BIO_f_prefix", "BIO_f_md", "BIO_f_nbio_test"):
        getattr(lib, f).restype = _VP
        getattr(lib, f).argtypes = []
    return lib


_LIB = _libcrypto()
needs_libcrypto = pytest.mark.skipif(_LIB is None, reason="libcrypto 3 not loadable")


@pytest.fixture(autouse=True)
def _clean_queue() -> Iterator[None]:
    clear_error()
    yield
    clear_error()


# ---------------------------------------------------------------------- gets(0) / gets(1)

_FILTERS: dict[str, Callable[[], BIO]] = {
    "buffer": BufferBIO,
    "readbuffer": ReadBufferBIO,
    "linebuffer": LineBufferBIO,
    "null": NullFilterBIO,
    "prefix": PrefixBIO,
    "md": DigestBIO,
    "nbio_test": lambda: NBIOTestBIO(seed=3),
}
Outcome = tuple[int, int, int]  # (BIO_gets result, head's retry flags, bytes left in the source)


def _c_gets(kind: str, size: int, data: bytes) -> Outcome:
    lib = _LIB
    mem = lib.BIO_new(lib.BIO_s_mem())
    if data:
        lib.BIO_write(mem, data, len(data))
    head = mem
    if kind != "mem":
        head = lib.BIO_new(getattr(lib, f"BIO_f_{kind}")())
        if kind == "md":
            lib.BIO_ctrl(head, Ctrl.C_SET_MD, 0, lib.EVP_get_digestbyname(b"sha256"))
        lib.BIO_push(head, mem)
    buf = ctypes.create_string_buffer(16)
    try:
        ret = lib.BIO_gets(head, buf, size)
        return ret, lib.BIO_test_flags(head, 0x0F), lib.BIO_ctrl(mem, Ctrl.PENDING, 0, None)
    finally:
        lib.BIO_free_all(head)


def _py_gets(kind: str, size: int, data: bytes) -> Outcome:
    mem = MemBIO()
    if data:
        mem.write(data)
    head: BIO = mem if kind == "mem" else _FILTERS[kind]().push(mem)
    r = head.gets_c(size)
    ret = len(r) if isinstance(r, bytes) else r
    return ret, head.get_retry_flags(), mem.pending()


CASES = [
    (kind, size, data)
    for kind in ["mem", *_FILTERS]
    for size in (0, 1)
    for data in (b"", b"ab")
    # libcrypto's buffer_gets never returns from this one (size - 1 == -1).
    if (kind, size, data) != ("buffer", 0, b"ab")
]


@pytest.mark.parametrize(("kind", "size", "data"), CASES)
def test_gets_without_room_for_a_byte(kind: str, size: int, data: bytes) -> None:
    got = _py_gets(kind, size, data)
    if kind == "buffer" and not data:
        # buffer_gets still reads from next: the empty memory BIO's -1 and retry.
        assert got == (-1, RETRY_READ, 0)
    elif kind == "buffer":
        assert got == (0, 0, 0)  # the bytes moved into the buffer, none returned
    else:
        assert got == (0, 0, len(data))
    assert errors_as_list() == []


@needs_libcrypto
@pytest.mark.parametrize(("kind", "size", "data"), CASES)
def test_gets_without_room_for_a_byte_matches_libcrypto(
    kind: str, size: int, data: bytes
) -> None:
    assert _py_gets(kind, size, data) == _c_gets(kind, size, data)


def test_buffer_gets_size_0_does_not_loop_like_c() -> None:
    # The one deliberate difference: C spins forever here; biokit treats size 0
    # like size 1 and keeps the bytes for the next call.
    head = BufferBIO().push(MemBIO(b"ab\ncd"))
    assert head.gets_c(0) == 0
    assert head.pending() == 5
    assert head.gets(10) == b"ab\n"
    assert head.read(10) == b"cd"


@needs_libcrypto
def test_fd_gets_without_room_matches_libcrypto() -> None:
    r, w = os.pipe()
    try:
        os.set_blocking(r, False)
        os.write(w, b"xy\n")
        cbio = _LIB.BIO_new_fd(r, 0)
        buf = ctypes.create_string_buffer(8)
        c = [_LIB.BIO_gets(cbio, buf, n) for n in (1, 0)]
        _LIB.BIO_free(cbio)
        fd = FdBIO(r)
        assert [fd.gets_c(1), fd.gets_c(0)] == c == [0, 0]
        assert fd.gets(10) == b"xy\n"  # nothing was consumed
    finally:
        os.close(r)
        os.close(w)


def test_file_gets_without_room_reads_nothing() -> None:
    # fgets(buf, 1, fp) / fgets(buf, 0, fp) read nothing; readline(-1) would
    # have read the whole line.
    b = FileBIO(io.BytesIO(b"one\ntwo\n"))
    assert b.gets_c(1) == 0 and b.gets_c(0) == 0
    assert b.gets(100) == b"one\n"


def test_gets_callbacks_see_sizes_0_and_1() -> None:
    log = io.StringIO()
    m = MemBIO(b"x")
    m.set_callback(make_debug_callback(log))
    assert m.gets_c(1) == 0 and m.gets_c(0) == 0
    lines = [line.split(": ", 1)[1] for line in log.getvalue().splitlines()]
    assert lines == [
        "gets(1) - memory buffer", "gets return 0 processed: 0",
        "gets(0) - memory buffer", "gets return 0 processed: 0",
    ]


def test_negative_gets_size_is_refused() -> None:
    m = MemBIO(b"x\n")
    assert m.gets_c(-1) == -1
    assert [(e.library, e.reason) for e in errors_as_list()] == [(32, 125)]
    assert m.pending() == 2


# ---------------------------------------------------------------------- push(None)


def test_push_none_returns_the_head_unchanged() -> None:
    m = MemBIO()
    log = io.StringIO()
    m.set_callback(make_debug_callback(log))
    assert m.push(None) is m
    assert C.BIO_push(m, None) is m
    assert m.next is None and m.chain() == [m]
    lines = [line.split(": ", 1)[1] for line in log.getvalue().splitlines()]
    # libcrypto 3.0 still sends BIO_CTRL_PUSH to the head (a memory BIO answers 0).
    assert lines == ["ctrl(6) - memory buffer", "ctrl return 0"] * 2
    f = BufferBIO().push(m)
    assert f.push(None) is f and f.chain() == [f, m]


# ---------------------------------------------------------------------- retry_reason


def test_retry_reason_is_a_retry_reason_member() -> None:
    m = MemBIO()
    assert m.retry_reason is RetryReason.NONE
    assert m.get_retry_reason() is RetryReason.NONE
    m.set_retry_special(2)
    assert m.retry_reason is RetryReason.CONNECT
    assert C.BIO_get_retry_reason(m) is RetryReason.CONNECT
    m.retry_reason = 3
    assert m.retry_reason is RetryReason.ACCEPT
    m.retry_reason = 0
    assert m.retry_reason is RetryReason.NONE
    # A number OpenSSL gives no name stays a plain int.
    m.retry_reason = 77
    assert m.retry_reason == 77 and type(m.retry_reason) is int
    # A filter copies the member.
    m.set_retry_special(RetryReason.SSL_X509_LOOKUP)
    f = NullFilterBIO().push(m)
    f.copy_next_retry()
    assert f.retry_reason is RetryReason.SSL_X509_LOOKUP
    assert f.get_retry_bio() == (m, RetryReason.SSL_X509_LOOKUP)


def test_nonblocking_accept_reports_the_member() -> None:
    b = AcceptBIO("127.0.0.1:0")
    try:
        assert b.set_nbio_accept(True) == 1
        assert b.do_accept() == 1  # listens
        assert b.do_accept() == -1 and b.should_io_special()
        assert b.retry_reason is RetryReason.ACCEPT
        head = BufferBIO().push(b)  # buffer_ctrl copies the retry state on DO_STATE_MACHINE
        assert C.BIO_do_accept(head) == -1
        assert head.retry_reason is RetryReason.ACCEPT
    finally:
        b.free()
