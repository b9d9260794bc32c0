"""Type-specific BIO_* macros are BIO_ctrl calls: they pass through filters, and a BIO
that does not know the command answers 0 (or NULL) instead of raising.

In C, ``BIO_ctrl_get_write_guarantee(buffer_bio)`` asks the buffer BIO, whose ctrl
hands the command on to the BIO pair behind it; ``BIO_set_mem_eof_return(pair)`` is
just an unknown ctrl that returns 0.  biokit's C names must do the same, not look
for a PairBIO/MemBIO attribute.  Values are checked against libcrypto 3.0 too.
"""

from __future__ import annotations

import ctypes
import inspect
import io
from collections.abc import Iterator
from typing import Any

import pytest

from biokit import openssl as C
from biokit.bio import (
    AcceptBIO,
    Base64BIO,
    BufferBIO,
    CipherBIO,
    ConnectBIO,
    DigestBIO,
    FileBIO,
    MemBIO,
    NullFilterBIO,
    PrefixBIO,
    bio_pair,
)
from biokit.bio.s_socket import BIO_FAMILY_IPANY, BIO_FAMILY_IPV4
from biokit.errors import clear_error, errors_as_list

pytestmark = pytest.mark.timeout(30)

_VP = ctypes.c_void_p
KEY = bytes(range(16))
IV = bytes(range(16, 32))


@pytest.fixture(autouse=True)
def _clean_queue() -> Iterator[None]:
    clear_error()
    yield
    clear_error()


def test_no_c_name_is_bound_to_a_subclass_method() -> None:
    # Only real C functions that need their own BIO type remain methods.
    bound = set()
    for name in C.__all__:
        if not name.startswith("BIO_"):
            continue
        f = getattr(getattr(C, name), "__func__", getattr(C, name))
        if inspect.isfunction(f) and "." in f.__qualname__:
            owner = f.__qualname__.split(".")[0]
            if owner not in ("BIO", "make_debug_callback"):
                bound.add(name)
    # BIO_new_file is a constructor; BIO_set_cipher is a function in C too,
    # which only works on a cipher BIO.
    assert bound == {"BIO_new_file", "BIO_set_cipher"}


# ---------------------------------------------------------------------- BIO_s_bio


def test_pair_macros_through_a_buffer_bio() -> None:
    a, b = bio_pair(8, 8)
    head = BufferBIO().push(a)
    assert C.BIO_ctrl_get_write_guarantee(head) == 8
    assert C.BIO_get_write_guarantee(head) == 8
    assert C.BIO_get_write_buf_size(head) == 8
    assert C.BIO_ctrl_get_read_request(head) == 0
    assert b.read_c(5) == -1  # b asks a's writer for 5 bytes
    assert C.BIO_ctrl_get_read_request(head) == 5
    assert C.BIO_get_read_request(head) == 5
    assert C.BIO_ctrl_reset_read_request(head) == 1
    assert C.BIO_ctrl_get_read_request(head) == 0
    # Non-copying I/O through the filter (BIO_nread0 and friends are BIO_ctrl too).
    view = C.BIO_nwrite0(head)
    assert isinstance(view, memoryview) and len(view) == 8
    view = C.BIO_nwrite(head, 3)
    assert isinstance(view, memoryview) and len(view) == 3
    view[:] = b"xyz"
    assert head.num_write == 3 and a.num_write == 0  # counted where the call was made
    assert C.BIO_ctrl_get_write_guarantee(head) == 5
    assert C.BIO_read(b, 10) == b"xyz"
    assert C.BIO_shutdown_wr(head) == 1
    assert C.BIO_read(b, 10) == 0 and C.BIO_eof(b)
    assert C.BIO_set_write_buf_size(head, 100) == 0  # in use
    assert C.BIO_destroy_bio_pair(head) == 1
    assert C.BIO_ctrl_get_write_guarantee(a) == 0  # unpaired
    assert C.BIO_set_write_buf_size(head, 100) == 1
    assert C.BIO_get_write_buf_size(a) == 100
    _, c = bio_pair()
    c.destroy_pair()
    assert C.BIO_make_bio_pair(head, c) == 1
    assert C.BIO_write(a, b"ok") == 2 and C.BIO_read(c, 5) == b"ok"


def test_pair_macros_on_a_memory_bio_answer_zero() -> None:
    m = MemBIO()
    m.write(b"hello")
    assert C.BIO_ctrl_get_write_guarantee(m) == 0
    assert C.BIO_get_write_guarantee(m) == 0
    assert C.BIO_ctrl_get_read_request(m) == 0
    assert C.BIO_get_read_request(m) == 0
    assert C.BIO_ctrl_reset_read_request(m) == 0
    assert C.BIO_shutdown_wr(m) == 0
    assert C.BIO_set_write_buf_size(m, 10) == 0
    assert C.BIO_get_write_buf_size(m) == 0
    assert C.BIO_destroy_bio_pair(m) == 0
    assert C.BIO_nread0(m) == 0 and C.BIO_nread(m, 3) == 0
    assert C.BIO_nwrite0(m) == 0 and C.BIO_nwrite(m, 3) == 0
    assert m.getvalue() == b"hello" and m.num_read == 0
    assert errors_as_list() == []


def test_an_unpaired_half_still_refuses_nread() -> None:
    a, _ = bio_pair()
    a.destroy_pair()
    assert C.BIO_nread0(a) == -2
    assert [(e.library, e.reason) for e in errors_as_list()] == [(32, 120)]


# ---------------------------------------------------------------------- BIO_s_mem


def test_mem_macros_on_other_types_and_through_filters() -> None:
    a, _ = bio_pair()
    assert C.BIO_set_mem_eof_return(a, 0) == 0
    assert C.BIO_get_mem_data(a) == 0
    mem = MemBIO()
    head = BufferBIO().push(mem)
    # buffer_ctrl hands BIO_C_SET_BUF_MEM_EOF_RETURN on...
    assert C.BIO_set_mem_eof_return(head, 0) == 1
    assert mem.get_eof_return() == 0
    assert C.BIO_read(mem, 4) == 0 and not mem.should_retry()
    # ...but answers BIO_CTRL_INFO itself (its write buffer's length).
    mem.write(b"xyz")
    assert C.BIO_get_mem_data(head) == 0
    for f in (NullFilterBIO(), Base64BIO(), DigestBIO()):
        m2 = MemBIO()
        m2.write(b"xyz")
        assert C.BIO_get_mem_data(f.push(m2)) == b"xyz"
    assert C.BIO_get_mem_data(mem) == b"xyz"
    assert C.BIO_get_mem_data(MemBIO()) == b""
    assert errors_as_list() == []


# ---------------------------------------------------------------------- connect / accept


def test_connect_and_accept_getters() -> None:
    conn = ConnectBIO("localhost:4433")
    head = BufferBIO().push(conn)
    assert C.BIO_get_conn_hostname(head) == "localhost"
    assert C.BIO_get_conn_port(head) == "4433"
    assert C.BIO_set_conn_port(head, 443) == 1
    assert C.BIO_set_conn_hostname(head, "127.0.0.1") == 1
    assert C.BIO_set_conn_ip_family(head, BIO_FAMILY_IPV4) == 1
    assert C.BIO_set_conn_mode(head, 0) == 1
    assert (conn.get_conn_hostname(), conn.get_conn_port()) == ("127.0.0.1", "443")
    m = MemBIO()
    assert C.BIO_get_conn_hostname(m) is None and C.BIO_get_conn_port(m) is None
    assert C.BIO_set_conn_port(m, 1) == 0
    assert C.BIO_get_accept_name(m) is None and C.BIO_get_accept_port(m) is None
    assert C.BIO_get_peer_name(m) is None and C.BIO_get_peer_port(m) is None
    assert C.BIO_get_accept_ip_family(m) == 0
    assert C.BIO_set_accept_name(m, "127.0.0.1:0") == 0
    assert C.BIO_set_nbio_accept(m, 1) == 0 and C.BIO_get_bind_mode(m) == 0
    conn.free()


def test_accept_macros_through_a_filter() -> None:
    acc = AcceptBIO()
    head = BufferBIO().push(acc)
    try:
        assert C.BIO_get_accept_ip_family(head) == BIO_FAMILY_IPANY
        assert C.BIO_set_accept_name(head, "127.0.0.1:0") == 1
        assert C.BIO_set_accept_ip_family(head, BIO_FAMILY_IPV4) == 1
        assert C.BIO_set_nbio_accept(head, 1) == 1
        assert C.BIO_get_accept_name(head) is None  # nothing bound yet
        assert C.BIO_do_accept(head) == 1  # listens
        name, port = C.BIO_get_accept_name(head), C.BIO_get_accept_port(head)
        assert name == "127.0.0.1" and port is not None and int(port) > 0
        assert C.BIO_get_accept_ip_family(head) == BIO_FAMILY_IPV4
        assert C.BIO_do_accept(head) == -1 and head.should_io_special()  # nonblocking
        assert C.BIO_set_nbio_accept(head, 0) == 1
        assert C.BIO_get_peer_name(head) is None and C.BIO_get_peer_port(head) is None
        assert C.BIO_set_accept_bios(head, BufferBIO) == 1
        assert C.BIO_set_bind_mode(head, 0) == 1 and C.BIO_get_bind_mode(head) == 0
    finally:
        acc.free()


# ---------------------------------------------------------------------- file and filters


def test_file_macros() -> None:
    f = io.BytesIO(b"data")
    fb = FileBIO(f)
    head = BufferBIO().push(fb)
    assert C.BIO_get_fp(head) is f
    g = io.BytesIO(b"other")
    assert C.BIO_set_fp(head, g, C.BIO_NOCLOSE) == 1
    assert fb.get_fp() is g
    assert C.BIO_get_fp(MemBIO()) is None
    assert C.BIO_set_fp(MemBIO(), g, C.BIO_NOCLOSE) == 0
    with pytest.raises(TypeError):
        C.BIO_set_fp(head, io.StringIO(), C.BIO_NOCLOSE)  # type: ignore[arg-type]
    assert fb.get_fp() is g  # refused before anything changed
    assert C.BIO_read_filename(MemBIO(), "/nonexistent") == 0


def test_filter_macros_on_other_types_and_through_filters() -> None:
    m = MemBIO()
    md = DigestBIO("sha1")
    head = BufferBIO().push(md).push(MemBIO())
    assert C.BIO_get_md(head) == "SHA1"
    assert C.BIO_get_md_ctx(head) is md.get_md_ctx() is not None
    assert C.BIO_get_md(m) is None and C.BIO_get_md_ctx(m) is None
    assert C.BIO_set_md(m, "sha256") == 0
    cipher = CipherBIO("aes-128-cbc", KEY, IV, encrypt=True)
    chead = NullFilterBIO().push(cipher)
    assert C.BIO_get_cipher_ctx(chead) is cipher.get_cipher_ctx() is not None
    assert C.BIO_get_cipher_status(chead) == 1
    assert C.BIO_get_cipher_ctx(m) is None and C.BIO_get_cipher_status(m) == 0
    p = PrefixBIO()
    phead = NullFilterBIO().push(p).push(MemBIO())
    assert C.BIO_set_prefix(phead, "> ") == 1 and C.BIO_set_indent(phead, 2) == 1
    assert C.BIO_get_indent(phead) == 2 and p.prefix == b"> "
    assert C.BIO_set_prefix(m, "x") == 0 and C.BIO_get_indent(m) == 0
    assert C.BIO_set_buffer_size(m, 8192) == 0
    assert C.BIO_set_read_buffer_size(m, 8192) == 0
    assert C.BIO_set_write_buffer_size(m, 8192) == 0
    assert C.BIO_get_buffer_num_lines(m) == 0
    assert C.BIO_set_buffer_read_data(m, b"abc") == 0
    assert C.BIO_buffer_peek(m, 4) == b""
    assert m.getvalue() == b"" and errors_as_list() == []


# ---------------------------------------------------------------------- against libcrypto


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
        ("BIO_write", [_VP, ctypes.c_char_p, ctypes.c_int], ctypes.c_int),
        ("BIO_read", [_VP, ctypes.c_char_p, ctypes.c_int], ctypes.c_int),
        ("BIO_ctrl", [_VP, ctypes.c_int, ctypes.c_long, _VP], ctypes.c_long),
        ("BIO_ctrl_get_write_guarantee", [_VP], ctypes.c_size_t),
        ("BIO_ctrl_get_read_request", [_VP], ctypes.c_size_t),
        ("BIO_ctrl_reset_read_request", [_VP], ctypes.c_int),
        ("BIO_new_bio_pair", [ctypes.POINTER(_VP), ctypes.c_size_t,
                              ctypes.POINTER(_VP), ctypes.c_size_t], ctypes.c_int),
        ("BIO_free", [_VP], ctypes.c_int),
        ("BIO_free_all", [_VP], None),
    ):
        f = getattr(lib, fname)
        f.argtypes = args
        f.restype = res
    return lib


_LIB = _libcrypto()


@pytest.mark.skipif(_LIB is None, reason="libcrypto 3 not loadable")
def test_macro_results_match_libcrypto() -> None:
    lib = _LIB
    a, b = _VP(), _VP()
    assert lib.BIO_new_bio_pair(ctypes.byref(a), 8, ctypes.byref(b), 8) == 1
    chead = lib.BIO_new(lib.BIO_f_buffer())
    lib.BIO_push(chead, a)
    cmem = lib.BIO_new(lib.BIO_s_mem())
    lib.BIO_write(cmem, b"hello", 5)
    buf = ctypes.create_string_buffer(16)
    c = [
        lib.BIO_ctrl_get_write_guarantee(chead),
        lib.BIO_read(b, buf, 5),
        lib.BIO_ctrl_get_read_request(chead),
        lib.BIO_ctrl_reset_read_request(chead),
        lib.BIO_ctrl_get_read_request(chead),
        lib.BIO_ctrl_get_write_guarantee(cmem),
        lib.BIO_ctrl_get_read_request(cmem),
        lib.BIO_ctrl_reset_read_request(cmem),
        lib.BIO_ctrl(cmem, C.BIO_C_SHUTDOWN_WR, 0, None),
        lib.BIO_ctrl(a, C.BIO_C_SET_BUF_MEM_EOF_RETURN, 0, None),
        lib.BIO_ctrl(a, C.BIO_CTRL_INFO, 0, None),
        lib.BIO_ctrl(chead, C.BIO_C_SET_BUF_MEM_EOF_RETURN, 0, None),
    ]
    lib.BIO_free_all(chead)
    lib.BIO_free(b)
    lib.BIO_free(cmem)
    pa, pb = bio_pair(8, 8)
    phead = BufferBIO().push(pa)
    pmem = MemBIO()
    pmem.write(b"hello")
    py = [
        C.BIO_ctrl_get_write_guarantee(phead),
        C.BIO_read(pb, 5),
        C.BIO_ctrl_get_read_request(phead),
        C.BIO_ctrl_reset_read_request(phead),
        C.BIO_ctrl_get_read_request(phead),
        C.BIO_ctrl_get_write_guarantee(pmem),
        C.BIO_ctrl_get_read_request(pmem),
        C.BIO_ctrl_reset_read_request(pmem),
        C.BIO_shutdown_wr(pmem),
        C.BIO_set_mem_eof_return(pa, 0),
        C.BIO_get_mem_data(pa),
        C.BIO_set_mem_eof_return(phead, 0),  # reaches the pair: unknown there, 0
    ]
    assert py == c == [8, -1, 5, 1, 0, 0, 0, 0, 0, 0, 0, 0]
