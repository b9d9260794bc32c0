"""make_debug_callback prints exactly what libcrypto 3.0's BIO_debug_callback_ex prints.

The same operations run on a libcrypto BIO (through ctypes, with BIO_debug_callback_ex
writing into a memory BIO via BIO_set_callback_arg) and on the biokit BIO of the same
type; the lines must be identical once the ``BIO[%p]: `` prefix is taken off.  Without a
loadable libcrypto 3 the expected lines below still pin the format.
"""

from __future__ import annotations

import ctypes
import io
import os
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from biokit.bio import (
    BIO,
    Base64BIO,
    BufferBIO,
    Ctrl,
    FdBIO,
    MemBIO,
    NullBIO,
    bio_pair,
    make_debug_callback,
)
from biokit.bio.core import BIO_CB_CTRL, BIO_CB_GETS, BIO_CB_RETURN, debug_line
from biokit.errors import clear_error

pytestmark = pytest.mark.timeout(30)

_VP = ctypes.c_void_p
_PREFIX = re.compile(r"^BIO\[0x[0-9a-f]+\]: ", re.M)


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
        ("BIO_s_null", [], _VP),
        ("BIO_f_buffer", [], _VP),
        ("BIO_f_base64", [], _VP),
        ("BIO_new_mem_buf", [ctypes.c_char_p, ctypes.c_int], _VP),
        ("BIO_new_fd", [ctypes.c_int, ctypes.c_int], _VP),
        ("BIO_new_bio_pair", [ctypes.POINTER(_VP), ctypes.c_size_t,
                              ctypes.POINTER(_VP), ctypes.c_size_t], ctypes.c_int),
        ("BIO_push", [_VP, _VP], _VP),
        ("BIO_write", [_VP, ctypes.c_char_p, ctypes.c_int], ctypes.c_int),
        ("BIO_read", [_VP, ctypes.c_char_p, ctypes.c_int], ctypes.c_int),
        ("BIO_puts", [_VP, ctypes.c_char_p], ctypes.c_int),
        ("BIO_gets", [_VP, ctypes.c_char_p, ctypes.c_int], ctypes.c_int),
        ("BIO_ctrl", [_VP, ctypes.c_int, ctypes.c_long, _VP], ctypes.c_long),
        ("BIO_free", [_VP], ctypes.c_int),
        ("BIO_free_all", [_VP], None),
        ("BIO_set_callback_ex", [_VP, _VP], None),
        ("BIO_set_callback_arg", [_VP, _VP], None),
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
    if _LIB is not None:
        _LIB.ERR_clear_error()


# One script, two interpreters.  Steps: ("write", data), ("read", n), ("puts", data),
# ("gets", n), ("ctrl", cmd, larg), ("free",).
Step = tuple[Any, ...]


def _run_c(bio: Any, steps: list[Step]) -> str:
    """Run ``steps`` on a libcrypto BIO with BIO_debug_callback_ex; its output, unprefixed.

    Unless the steps free the BIO, its callback is removed again before returning.
    """
    lib = _LIB
    out = lib.BIO_new(lib.BIO_s_mem())
    lib.BIO_set_callback_ex(bio, ctypes.cast(lib.BIO_debug_callback_ex, _VP))
    lib.BIO_set_callback_arg(bio, out)
    buf = ctypes.create_string_buffer(256)
    freed = False
    for step in steps:
        op = step[0]
        if op == "write":
            lib.BIO_write(bio, step[1], len(step[1]))
        elif op == "read":
            lib.BIO_read(bio, buf, step[1])
        elif op == "puts":
            lib.BIO_puts(bio, step[1])
        elif op == "gets":
            lib.BIO_gets(bio, buf, step[1])
        elif op == "ctrl":
            lib.BIO_ctrl(bio, step[1], step[2], None)
        elif op == "free":
            lib.BIO_free(bio)
            freed = True
    if not freed:
        lib.BIO_set_callback_ex(bio, None)
    text = ctypes.create_string_buffer(1 << 16)
    n = lib.BIO_read(out, text, len(text))
    lib.BIO_free(out)
    return _PREFIX.sub("", text.raw[: max(n, 0)].decode())


def _run_py(bio: BIO, steps: list[Step]) -> str:
    log = io.StringIO()
    bio.set_callback(make_debug_callback(log))
    for step in steps:
        op = step[0]
        if op == "write":
            bio.write(step[1])
        elif op == "read":
            bio.read_c(step[1])
        elif op == "puts":
            bio.puts(step[1])
        elif op == "gets":
            bio.gets_c(step[1])
        elif op == "ctrl":
            bio.ctrl(step[1], step[2])
        elif op == "free":
            bio.free()
    text = log.getvalue()
    assert all(_PREFIX.match(line) for line in text.splitlines())
    return _PREFIX.sub("", text)


_MEM_STEPS: list[Step] = [
    ("write", b"hi"), ("read", 10), ("read", 10), ("puts", b"ab\ncd"), ("gets", 10),
    ("gets", 1), ("gets", 0), ("ctrl", Ctrl.PENDING, 0),
    ("ctrl", Ctrl.C_SET_BUF_MEM_EOF_RETURN, 0), ("read", 5), ("read", 5), ("read", 0),
    ("write", b""), ("gets", 10), ("free",),
]

MEM_EXPECTED = """\
write(-1,2) - memory buffer
write return 1 processed: 2
read(-1,10) - memory buffer
read return 1 processed: 2
read(-1,10) - memory buffer
read return -1 processed: 0
puts() - memory buffer
puts return 1 processed: 5
gets(10) - memory buffer
gets return 1 processed: 3
gets(1) - memory buffer
gets return 0 processed: 0
gets(0) - memory buffer
gets return 0 processed: 0
ctrl(10) - memory buffer
ctrl return 2
ctrl(130) - memory buffer
ctrl return 1
read(0,5) - memory buffer
read return 1 processed: 2
read(0,5) - memory buffer
read return 0 processed: 0
read(0,0) - memory buffer
read return 0 processed: 0
gets(10) - memory buffer
gets return 0 processed: 0
Free - memory buffer
"""


def test_memory_bio_lines() -> None:
    # (num,len): a memory BIO's num is its eof_return, -1 until it is set to 0.
    assert _run_py(MemBIO(), _MEM_STEPS) == MEM_EXPECTED


@needs_libcrypto
def test_memory_bio_lines_match_libcrypto() -> None:
    assert _run_c(_LIB.BIO_new(_LIB.BIO_s_mem()), _MEM_STEPS) == MEM_EXPECTED


_RO_STEPS: list[Step] = [("write", b"hi"), ("read", 10), ("read", 10), ("free",)]


@needs_libcrypto
def test_read_only_memory_bio_matches_libcrypto() -> None:
    c = _run_c(_LIB.BIO_new_mem_buf(b"xyz", 3), _RO_STEPS)
    assert _run_py(MemBIO(b"xyz"), _RO_STEPS) == c == (
        "write(0,2) - memory buffer\nwrite return -1 processed: 0\n"
        "read(0,10) - memory buffer\nread return 1 processed: 3\n"
        "read(0,10) - memory buffer\nread return 0 processed: 0\n"
        "Free - memory buffer\n"
    )


_NULL_STEPS: list[Step] = [("write", b"hi"), ("read", 10), ("puts", b"x"), ("gets", 10),
                           ("ctrl", Ctrl.FLUSH, 0), ("free",)]


@needs_libcrypto
def test_null_bio_matches_libcrypto() -> None:
    c = _run_c(_LIB.BIO_new(_LIB.BIO_s_null()), _NULL_STEPS)
    assert _run_py(NullBIO(), _NULL_STEPS) == c
    assert "write return 1 processed: 2\n" in c and "ctrl return 1\n" in c


_PAIR_STEPS: list[Step] = [("write", b"abc"), ("read", 2),
                           ("ctrl", Ctrl.C_GET_WRITE_GUARANTEE, 0),
                           ("ctrl", Ctrl.C_GET_READ_REQUEST, 0), ("ctrl", Ctrl.WPENDING, 0)]


@needs_libcrypto
def test_bio_pair_matches_libcrypto() -> None:
    lib = _LIB
    a, b = _VP(), _VP()
    assert lib.BIO_new_bio_pair(ctypes.byref(a), 8, ctypes.byref(b), 8) == 1
    try:
        c = _run_c(a, _PAIR_STEPS)
    finally:
        lib.BIO_free(a)
        lib.BIO_free(b)
    pa, _pb = bio_pair(8, 8)
    assert _run_py(pa, _PAIR_STEPS) == c
    assert c.startswith("write(0,3) - BIO pair\nwrite return 1 processed: 3\n")


_BUFFER_STEPS: list[Step] = [("write", b"hi\n"), ("ctrl", Ctrl.FLUSH, 0), ("gets", 10),
                             ("gets", 10), ("ctrl", Ctrl.PENDING, 0), ("free",)]


@needs_libcrypto
def test_buffer_filter_matches_libcrypto() -> None:
    lib = _LIB
    head = lib.BIO_new(lib.BIO_f_buffer())
    mem = lib.BIO_new(lib.BIO_s_mem())
    lib.BIO_push(head, mem)
    c = _run_c(head, _BUFFER_STEPS)
    lib.BIO_free(mem)
    py_mem = MemBIO()
    assert _run_py(BufferBIO().push(py_mem), _BUFFER_STEPS) == c
    assert "gets return 1 processed: 3\ngets(10) - buffer\ngets return -1 processed: 0\n" in c


_B64_STEPS: list[Step] = [("write", b"hi"), ("puts", b"x"), ("free",)]


@needs_libcrypto
def test_filter_without_next_matches_libcrypto() -> None:
    c = _run_c(_LIB.BIO_new(_LIB.BIO_f_base64()), _B64_STEPS)
    assert _run_py(Base64BIO(), _B64_STEPS) == c
    assert c.startswith("write(0,2) - base64 encoding\nwrite return 0 processed: 0\n")


@needs_libcrypto
def test_fd_bio_prints_the_descriptor_like_libcrypto() -> None:
    r, w = os.pipe()
    try:
        steps: list[Step] = [("write", b"abc"), ("ctrl", Ctrl.C_GET_FD, 0)]
        cbio = _LIB.BIO_new_fd(w, 0)  # BIO_NOCLOSE
        c = _run_c(cbio, steps)
        _LIB.BIO_free(cbio)
        fd = FdBIO(w)
        py = _run_py(fd, steps)
        fd.set_callback(None)
        assert py == c == (
            f"write({w},3) - file descriptor fd={w}\nwrite return 1 processed: 3\n"
            f"ctrl({int(Ctrl.C_GET_FD)}) - file descriptor\nctrl return {w}\n"
        )
        assert os.read(r, 10) == b"abcabc"
    finally:
        os.close(r)
        os.close(w)


def test_lines_for_every_operation_kind() -> None:
    m = MemBIO()
    line: Callable[..., str] = debug_line
    assert line(m, BIO_CB_CTRL | BIO_CB_RETURN, 0, 11, -3, None) == "ctrl return -3"
    # processed=None (biokit's "no count") prints as C's zeroed *processed.
    assert line(m, BIO_CB_GETS | BIO_CB_RETURN, 5, 0, -2, None) == "gets return -2 processed: 0"
    assert line(m, BIO_CB_RETURN, 0, 0, 1, None) == "bio callback - unknown type (128)"
    assert line(m, 0x42, 0, 0, 1, None) == "bio callback - unknown type (66)"


def test_the_callback_returns_ret_and_defaults_to_stderr(
    capsys: pytest.CaptureFixture[str],
) -> None:
    m = MemBIO()
    m.set_callback(make_debug_callback())
    assert m.write(b"abc") == 3
    assert m.read(1) == b"a"
    m.set_callback(None)
    err = _PREFIX.sub("", capsys.readouterr().err)
    assert err == (
        "write(-1,3) - memory buffer\nwrite return 1 processed: 3\n"
        "read(-1,1) - memory buffer\nread return 1 processed: 1\n"
    )
