"""The error queue: one per thread, and ERR_print_errors lines shaped like libcrypto's."""

from __future__ import annotations

import ctypes
import io
import re
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from biokit.bio import MemBIO
from biokit.errors import (
    BIOReason,
    Lib,
    clear_error,
    error_count,
    get_error,
    pack_error,
    peek_error,
    print_errors,
    put_error,
)
from biokit.errors import thread_id_hex as tid_hex

pytestmark = pytest.mark.timeout(30)

_VP = ctypes.c_void_p
WRITE_TO_RO = pack_error(Lib.BIO, BIOReason.WRITE_TO_READ_ONLY_BIO)  # 0x1000007E
BROKEN_PIPE = pack_error(Lib.BIO, BIOReason.BROKEN_PIPE)


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
        ("BIO_new_mem_buf", [ctypes.c_char_p, ctypes.c_int], _VP),
        ("BIO_write", [_VP, ctypes.c_char_p, ctypes.c_int], ctypes.c_int),
        ("BIO_read", [_VP, ctypes.c_char_p, ctypes.c_int], ctypes.c_int),
        ("BIO_free", [_VP], ctypes.c_int),
        ("ERR_print_errors", [_VP], None),
        ("ERR_clear_error", [], None),
    ):
        f = getattr(lib, fname)
        f.argtypes = args
        f.restype = res
    return lib


_LIB = _libcrypto()
needs_libcrypto = pytest.mark.skipif(_LIB is None, reason="libcrypto 3 not loadable")


@pytest.fixture(autouse=True)
def _clean_queue() -> Iterator[None]:
    clear_error()
    yield
    clear_error()


# ---------------------------------------------------------------------- per thread


def _in_thread(fn: Any) -> Any:
    box: list[Any] = []

    def run() -> None:
        try:
            box.append(fn())
        except BaseException as exc:  # reported by the caller
            box.append(exc)

    t = threading.Thread(target=run)
    t.start()
    t.join(timeout=10)
    assert not t.is_alive(), "worker thread did not finish"
    assert len(box) == 1
    if isinstance(box[0], BaseException):
        raise box[0]
    return box[0]


def test_the_queue_is_per_thread() -> None:
    put_error(Lib.BIO, BIOReason.WRITE_TO_READ_ONLY_BIO)
    assert peek_error() == WRITE_TO_RO

    def worker() -> tuple[int, int, int, int]:
        # The main thread's entry is not here...
        seen = (peek_error(), error_count())
        # ...and what this thread raises stays here.
        MemBIO(b"ro").write(b"x")
        put_error(Lib.BIO, BIOReason.BROKEN_PIPE)
        mine = get_error()
        return seen[0], seen[1], mine, get_error()

    assert _in_thread(worker) == (0, 0, WRITE_TO_RO, BROKEN_PIPE)
    # Back in the main thread: its own entry, and only that one.
    assert error_count() == 1
    assert get_error() == WRITE_TO_RO
    assert get_error() == 0


def test_clearing_in_one_thread_leaves_the_other_alone() -> None:
    put_error(Lib.BIO, BIOReason.BROKEN_PIPE)

    def worker() -> int:
        put_error(Lib.BIO, BIOReason.INVALID_ARGUMENT)
        clear_error()
        return error_count()

    assert _in_thread(worker) == 0
    assert peek_error() == BROKEN_PIPE and error_count() == 1


# ---------------------------------------------------------------------- ERR_print_errors


def test_thread_id_is_printed_as_its_bytes_in_memory_order() -> None:
    size = ctypes.sizeof(ctypes.c_ulong)
    assert tid_hex(0x7FF16724CB80) == (
        "80CB2467F17F0000" if sys.byteorder == "little" and size == 8
        else (0x7FF16724CB80).to_bytes(size, sys.byteorder).hex().upper()
    )
    assert tid_hex(1) == ("01" + "00" * (size - 1) if sys.byteorder == "little"
                          else "00" * (size - 1) + "01")
    here = tid_hex()
    assert len(here) == 2 * size and here == tid_hex(threading.get_ident())


def _our_line() -> str:
    m = MemBIO(b"ro")
    assert m.write(b"x") == -1
    out = io.StringIO()
    print_errors(out)
    return out.getvalue()


def test_print_errors_line_shape() -> None:
    size = ctypes.sizeof(ctypes.c_ulong)
    line = _our_line()
    # tid:error:code:library:function:reason:file:line:data
    assert re.fullmatch(
        rf"[0-9A-F]{{{2 * size}}}:error:1000007E:BIO routines:_write:write to read only BIO:"
        r"biokit/bio/s_mem\.py:[1-9]\d*:\n",
        line,
    ), line
    assert line.startswith(tid_hex() + ":")
    assert get_error() == 0  # printing removed it


def test_print_errors_prints_data_and_every_entry_in_order() -> None:
    put_error(Lib.SYS, 32, "calling send()")
    put_error(Lib.BIO, BIOReason.BROKEN_PIPE)
    out = MemBIO()
    print_errors(out)
    lines = out.getvalue().decode().splitlines()
    t = re.escape(tid_hex())
    assert re.fullmatch(
        rf"{t}:error:80000020:system library:\w+:Broken pipe:[\w/.]+:\d+:calling send\(\)",
        lines[0],
    ), lines[0]
    assert re.fullmatch(rf"{t}:error:1000007C:BIO routines:\w+:broken pipe:[\w/.]+:\d+:",
                        lines[1]), lines[1]
    assert len(lines) == 2


@needs_libcrypto
def test_print_errors_matches_libcrypto_line_for_line() -> None:
    lib = _LIB
    lib.ERR_clear_error()
    ro = lib.BIO_new_mem_buf(b"ro", 2)
    assert lib.BIO_write(ro, b"x", 1) == -1
    lib.BIO_free(ro)
    out = lib.BIO_new(lib.BIO_s_mem())
    lib.ERR_print_errors(out)
    buf = ctypes.create_string_buffer(4096)
    n = lib.BIO_read(out, buf, len(buf))
    lib.BIO_free(out)
    theirs = buf.raw[:n].decode()
    ours = _our_line()
    # Same thread, so the same id; then the same fields, apart from where in
    # the source (function, file, line) each library raised the error.
    t_fields = theirs.rstrip("\n").split(":")
    o_fields = ours.rstrip("\n").split(":")
    assert len(t_fields) == len(o_fields) == 9
    assert t_fields[0] == o_fields[0] == tid_hex()
    assert t_fields[1:4] == o_fields[1:4] == ["error", "1000007E", "BIO routines"]
    assert t_fields[5] == o_fields[5] == "write to read only BIO"
    assert t_fields[8] == o_fields[8] == ""
    assert (t_fields[4], t_fields[6]) == ("mem_write", "../crypto/bio/bss_mem.c")


@needs_libcrypto
def test_libcrypto_thread_id_in_a_worker_thread_matches_ours() -> None:
    def worker() -> tuple[str, str]:
        lib = _LIB
        ro = lib.BIO_new_mem_buf(b"ro", 2)
        lib.BIO_write(ro, b"x", 1)
        lib.BIO_free(ro)
        out = lib.BIO_new(lib.BIO_s_mem())
        lib.ERR_print_errors(out)
        buf = ctypes.create_string_buffer(4096)
        n = lib.BIO_read(out, buf, len(buf))
        lib.BIO_free(out)
        return buf.raw[:n].decode().split(":", 1)[0], _our_line().split(":", 1)[0]

    theirs, ours = _in_thread(worker)
    assert theirs == ours
    assert ours != tid_hex()  # the worker ran alongside this thread: another id
