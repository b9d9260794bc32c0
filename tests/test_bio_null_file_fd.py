"""NullBIO (bss_null.c), FileBIO (bss_file.c) and FdBIO (bss_fd.c): exact return values.

Where libcrypto can be loaded through ctypes, a few answers are compared with
OpenSSL's own file and fd BIOs as well.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import io
import os
from pathlib import Path
from typing import Any

import pytest

from biokit.bio.core import (
    BIO_CLOSE,
    BIO_FLAGS_SHOULD_RETRY,
    BIO_NOCLOSE,
    BIOType,
    Ctrl,
    make_debug_callback,
)
from biokit.bio.s_fd import FdBIO
from biokit.bio.s_file import BIO_C_SET_FILENAME, FileBIO
from biokit.bio.s_null import NullBIO
from biokit.errors import BIOReason, Lib, clear_error, errors_as_list, pack_error

RETRY_READ = 0x01 | BIO_FLAGS_SHOULD_RETRY
RETRY_WRITE = 0x02 | BIO_FLAGS_SHOULD_RETRY
SYSTEM_LIB = 0x10080002


def codes() -> list[int]:
    return [e.code for e in errors_as_list()]


def sys_err(err: int) -> int:
    return pack_error(Lib.SYS, err)


@pytest.fixture(autouse=True)
def _clean_queue() -> None:
    clear_error()


# --------------------------------------------------------------------------- NullBIO


def test_null_bio_swallows_writes_and_reads_eof() -> None:
    b = NullBIO()
    assert int(b.bio_type) == 0x0406 and b.method_name() == "NULL"
    assert b.write(b"x" * 100_000) == 100_000
    assert b.write(b"") == 0
    assert b.num_write == 100_000
    assert b.read_c(10) == 0 and b.read(10) == b""
    assert not b.should_retry() and b.get_retry_flags() == 0
    assert b.num_read == 0
    assert b.eof()
    assert b.pending() == 0 and b.wpending() == 0
    assert codes() == []


def test_null_bio_puts_gets_and_ctrl_answers() -> None:
    b = NullBIO()
    assert b.puts("hello") == 5
    assert b.puts("") == 0
    assert b.num_write == 5
    assert b.gets_c(80) == 0 and b.gets(80) == b""
    assert b.reset() == 1
    assert b.flush() == 1
    assert b.ctrl(Ctrl.INFO) == 0
    assert b.ctrl(Ctrl.SET) == 1 and b.ctrl(Ctrl.GET) == 0
    assert b.ctrl(Ctrl.DUP) == 1
    assert b.ctrl(Ctrl.C_FILE_SEEK, 10) == 0
    # bss_null.c accepts set-close and always answers get-close with 0.
    assert b.set_close(BIO_CLOSE) == 1
    assert b.get_close() == 0
    b.close()
    assert b.closed


def test_null_bio_under_a_filter_discards_everything() -> None:
    from biokit.bio.core import FilterBIO

    head = FilterBIO()
    head.push(NullBIO())
    assert head.write(b"abc") == 3
    assert head.read_c(5) == 0 and not head.should_retry()
    head.free_all()


# --------------------------------------------------------------------------- FileBIO


@pytest.fixture
def text_file(tmp_path: Path) -> Path:
    p = tmp_path / "t.txt"
    p.write_bytes(b"line1\nline2\nlast")
    return p


def test_file_bio_open_missing_file(tmp_path: Path) -> None:
    path = str(tmp_path / "nope" / "x")
    assert FileBIO.open(path, "r") is None
    entries = errors_as_list()
    assert [e.code for e in entries] == [0x80000002, 0x10000080]
    assert entries[0].data == f"calling fopen({path}, r)"
    assert str(entries[0]) == "error:80000002:system library::No such file or directory"
    assert str(entries[1]) == "error:10000080:BIO routines::no such file"


def test_file_bio_open_other_failures_say_system_lib(tmp_path: Path) -> None:
    assert FileBIO.open(tmp_path, "w") is None
    entries = errors_as_list()
    assert [e.code for e in entries] == [sys_err(errno.EISDIR), SYSTEM_LIB]
    assert entries[0].data == f"calling fopen({tmp_path}, w)"
    assert str(entries[1]) == "error:10080002:BIO routines::system lib"
    clear_error()
    # An fopen mode glibc refuses: EINVAL.
    assert FileBIO.open(tmp_path / "x", "q") is None
    assert codes() == [sys_err(errno.EINVAL), SYSTEM_LIB]
    assert errors_as_list()[0].data == f"calling fopen({tmp_path / 'x'}, q)"


def test_file_bio_read_eof_is_zero_without_retry_and_sticky(text_file: Path) -> None:
    b = FileBIO.open(text_file, "rb")
    assert b is not None
    assert b.bio_type == BIOType.FILE and b.method_name() == "FILE pointer"
    assert b.get_close() == BIO_CLOSE
    assert not b.eof()
    assert b.read(6) == b"line1\n"
    assert b.tell() == 6
    assert b.ctrl(Ctrl.INFO) == 6
    # fread: a short count only at end of file, which sets the indicator.
    assert b.read(100) == b"line2\nlast"
    assert b.eof()
    assert b.read_c(100) == 0
    assert not b.should_retry() and b.get_retry_flags() == 0
    assert b.gets_c(100) == 0
    assert b.num_read == 16
    # fseek: 0 on success (not 1), and it clears the end-of-file indicator.
    assert b.reset() == 0
    assert not b.eof() and b.tell() == 0
    assert b.seek(12) == 0 and b.tell() == 12
    assert b.read(100) == b"last"
    assert b.seek(-3) == -1 and b.tell() == 16
    assert b.pending() == 0 and b.wpending() == 0
    assert codes() == []
    b.close()


def test_file_bio_gets_like_fgets(text_file: Path) -> None:
    b = FileBIO.open(text_file, "r")
    assert b is not None
    assert b.gets(4) == b"lin"  # at most size - 1
    assert b.gets(100) == b"e1\n"
    assert b.gets(100) == b"line2\n"
    assert not b.eof()
    assert b.gets(100) == b"last"  # hit end of file without a newline
    assert b.eof()
    assert b.gets_c(100) == 0
    assert b.gets_c(1) == 0
    assert b.num_read == 16
    b.close()


def test_file_bio_write_puts_flush_and_close_flag(tmp_path: Path) -> None:
    path = tmp_path / "out.bin"
    b = FileBIO.open(path, "w")
    assert b is not None
    assert b.write(b"abc") == 3
    assert b.puts("de") == 2
    assert b.puts("") == 0
    assert b.tell() == 5
    assert b.flush() == 1
    assert path.read_bytes() == b"abcde"
    fp = b.get_fp()
    assert fp is not None
    b.close()  # BIO_CLOSE: closes the file
    assert fp.closed
    # BIO_new_fp with BIO_NOCLOSE leaves the stream to its owner.
    with open(path, "ab") as f:
        nb = FileBIO(f, BIO_NOCLOSE)
        assert nb.get_close() == BIO_NOCLOSE
        assert nb.write(b"fg") == 2
        nb.close()
        assert not f.closed
    assert path.read_bytes() == b"abcdefg"


def test_file_bio_write_on_read_only_and_read_on_write_only(
    text_file: Path, tmp_path: Path
) -> None:
    r = FileBIO.open(text_file, "r")
    assert r is not None
    # fwrite fails; OpenSSL 3.0's file_write returns 0 and queues nothing, biokit
    # queues what file_read would (errno EBADF, as stdio reports, + "system lib").
    assert r.write(b"abc") == 0
    assert not r.should_retry()
    entries = errors_as_list()
    assert [e.code for e in entries] == [sys_err(errno.EBADF), SYSTEM_LIB]
    assert entries[0].data == "calling fwrite()"
    clear_error()
    assert r.puts("abc") == 0
    assert codes() == [sys_err(errno.EBADF), SYSTEM_LIB]
    clear_error()
    assert r.flush() == 1
    assert codes() == []
    r.close()
    w = FileBIO.open(tmp_path / "w.bin", "w")
    assert w is not None
    assert w.read_c(10) == -1
    assert not w.should_retry()
    entries = errors_as_list()
    assert [e.code for e in entries] == [sys_err(errno.EBADF), SYSTEM_LIB]
    assert entries[0].data == "calling fread()"
    w.close()


class _FailingStream(io.RawIOBase):
    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        return len(data)

    def flush(self) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_file_bio_write_to_closed_stream_queues_errno() -> None:
    f = io.BytesIO()
    b = FileBIO(f, BIO_NOCLOSE)
    f.close()
    assert b.write(b"abc") == 0
    entries = errors_as_list()
    assert [e.code for e in entries] == [sys_err(errno.EBADF), SYSTEM_LIB]
    assert entries[0].data == "calling fwrite()"
    assert not b.should_retry()


class _FullDisk(io.RawIOBase):
    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_file_bio_write_failure_keeps_the_errno() -> None:
    b = FileBIO(_FullDisk(), BIO_NOCLOSE)  # type: ignore[arg-type]
    assert b.write(b"abc") == 0
    assert codes() == [sys_err(errno.ENOSPC), SYSTEM_LIB]


def test_file_bio_flush_failure_queues_errno() -> None:
    b = FileBIO(_FailingStream(), BIO_NOCLOSE)  # type: ignore[arg-type]
    assert b.write(b"abc") == 3
    assert b.flush() == 0
    entries = errors_as_list()
    assert [e.code for e in entries] == [sys_err(errno.ENOSPC), SYSTEM_LIB]
    assert entries[0].data == "calling fflush()"


def test_file_bio_filename_helpers(text_file: Path, tmp_path: Path) -> None:
    b = FileBIO()
    assert b.read_c(4) == 0 and b.write(b"x") == 0  # no stream yet
    assert b.read_filename(text_file) == 1
    assert b.get_close() == BIO_CLOSE
    assert b.read(5) == b"line1"
    assert b.rw_filename(text_file) == 1
    assert b.write(b"LINE") == 4 and b.seek(0) == 0
    assert b.read(6) == b"LINE1\n"
    out = tmp_path / "o.txt"
    assert b.write_filename(out) == 1 and b.puts("x\n") == 2
    assert b.append_filename(out) == 1 and b.puts("y\n") == 2
    assert b.flush() == 1
    assert out.read_bytes() == b"x\ny\n"
    # The macros say "system lib" even for a missing file (only BIO_new_file
    # says "no such file").
    assert b.read_filename(tmp_path / "missing") == 0
    assert codes() == [sys_err(errno.ENOENT), SYSTEM_LIB]
    clear_error()
    assert b.ctrl(BIO_C_SET_FILENAME, BIO_CLOSE) == 0
    assert codes() == [pack_error(Lib.BIO, BIOReason.BAD_FOPEN_MODE)]
    b.close()


def test_file_bio_refuses_text_streams() -> None:
    with pytest.raises(TypeError):
        FileBIO(io.StringIO("x"))  # type: ignore[arg-type]


def test_file_bio_over_bytesio_and_set_fp() -> None:
    src = io.BytesIO(b"abcdef")
    b = FileBIO(src)
    assert b.read(4) == b"abcd"
    other = io.BytesIO(b"XYZ")
    assert b.set_fp(other, BIO_NOCLOSE) == 1
    assert b.get_fp() is other
    assert b.read(10) == b"XYZ" and b.eof()
    assert not src.closed
    b.close()
    assert not other.closed


# --------------------------------------------------------------------------- FdBIO


@pytest.fixture
def pipe() -> Any:
    r, w = os.pipe()
    fds = [r, w]
    yield fds
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass


def test_fd_bio_nonblocking_pipe_retry_flags(pipe: list[int]) -> None:
    r, w = pipe
    os.set_blocking(r, False)
    os.set_blocking(w, False)
    rb, wb = FdBIO(r), FdBIO(w)
    assert rb.bio_type == BIOType.FD and rb.method_name() == "file descriptor"
    assert rb.num == r and rb.get_fd() == r and rb.fileno() == r
    assert rb.get_close() == BIO_NOCLOSE
    assert rb.read_c(10) == -1
    assert rb.get_retry_flags() == RETRY_READ and rb.should_read()
    assert not rb.eof()
    # Fill the pipe until write(2) says EAGAIN.
    chunk = b"z" * 65536
    total = 0
    for _ in range(64):
        n = wb.write(chunk)
        if n < 0:
            break
        assert n > 0 and not wb.should_retry()
        total += n
    assert n == -1 and wb.get_retry_flags() == RETRY_WRITE
    assert wb.should_write() and not wb.should_read()
    assert wb.num_write == total
    got = 0
    while got < total:
        data = rb.read(100_000)
        assert data
        got += len(data)
    assert rb.read_c(1) == -1 and rb.should_retry()
    assert rb.num_read == total
    assert codes() == []


def test_fd_bio_eof_after_zero_read(pipe: list[int]) -> None:
    r, w = pipe
    rb = FdBIO(r)
    os.write(w, b"tail")
    os.close(w)
    pipe.remove(w)
    assert not rb.eof()
    assert rb.read(100) == b"tail"
    assert not rb.eof()
    assert rb.read_c(100) == 0
    assert not rb.should_retry() and rb.get_retry_flags() == 0
    assert rb.eof()
    assert rb.read_c(100) == 0 and rb.eof()


def test_fd_bio_gets_reads_one_byte_at_a_time(pipe: list[int]) -> None:
    r, w = pipe
    os.set_blocking(r, False)
    rb = FdBIO(r)
    os.write(w, b"ab\ncd")
    assert rb.gets(100) == b"ab\n"
    assert not rb.should_retry()
    # Partial line: returned, with the retry flags of the last read left set.
    assert rb.gets_c(100) == b"cd"
    assert rb.get_retry_flags() == RETRY_READ
    # Nothing there: 0 (an empty line), but with the retry-read flags set.
    assert rb.gets_c(100) == 0
    assert rb.get_retry_flags() == RETRY_READ
    os.write(w, b"hello\nworld")
    os.close(w)
    pipe.remove(w)
    assert rb.gets_c(1) == 0
    assert rb.gets(2) == b"h"
    assert rb.gets(3) == b"el"
    assert rb.gets(100) == b"lo\n"
    assert not rb.eof()  # nothing after the newline was consumed
    assert rb.gets(100) == b"world"
    assert rb.eof()
    assert rb.gets_c(100) == 0


def test_fd_bio_errors_queue_errno_without_retry(pipe: list[int]) -> None:
    r, w = pipe
    os.close(r)
    pipe.remove(r)
    wb = FdBIO(w)
    assert wb.write(b"x") == -1
    assert not wb.should_retry()
    entries = errors_as_list()
    assert [e.code for e in entries] == [sys_err(errno.EPIPE)] == [0x80000020]
    assert entries[0].data == "calling write()"
    clear_error()
    dead = os.dup(w)
    os.close(dead)
    bad = FdBIO(dead)
    assert bad.read_c(4) == -1 and not bad.should_retry()
    assert codes() == [sys_err(errno.EBADF)]
    clear_error()
    assert bad.write(b"x") == -1 and codes() == [sys_err(errno.EBADF)]
    clear_error()
    assert bad.puts("x") == -1


def test_fd_bio_eintr_and_eagain_are_retries(
    pipe: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    r, w = pipe
    rb, wb = FdBIO(r), FdBIO(w)

    def interrupted(*_args: object) -> Any:
        raise InterruptedError(errno.EINTR, "Interrupted system call")

    monkeypatch.setattr(os, "read", interrupted)
    monkeypatch.setattr(os, "write", interrupted)
    assert rb.read_c(4) == -1 and rb.get_retry_flags() == RETRY_READ
    assert wb.write(b"abc") == -1 and wb.get_retry_flags() == RETRY_WRITE
    assert codes() == []


def test_fd_bio_seek_tell_reset_follow_lseek(tmp_path: Path, pipe: list[int]) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"0123456789")
    fd = os.open(path, os.O_RDWR)
    b = FdBIO(fd, BIO_CLOSE)
    try:
        assert b.get_close() == BIO_CLOSE
        assert b.seek(5) == 5  # lseek's answer: the new offset
        assert b.tell() == 5 and b.ctrl(Ctrl.INFO) == 5
        assert b.read(3) == b"567"
        assert b.reset() == 0 and b.tell() == 0
        assert b.read(2) == b"01"
        assert b.seek(-1) == -1 and b.tell() == 2
        assert b.pending() == 0 and b.wpending() == 0 and b.flush() == 1
        assert codes() == []
    finally:
        b.close()
    with pytest.raises(OSError):
        os.fstat(fd)  # BIO_CLOSE closed it
    pb = FdBIO(pipe[0])
    assert pb.reset() == -1 and pb.seek(3) == -1 and pb.tell() == -1
    pb.close()
    os.fstat(pipe[0])  # BIO_NOCLOSE left it open


def test_fd_bio_set_fd_and_unset(pipe: list[int]) -> None:
    r, w = pipe
    b = FdBIO()
    assert b.get_fd() == -1 and b.num == -1
    assert b.set_fd(w) == 1 and b.get_fd() == w
    assert b.write(b"hi") == 2
    assert b.set_fd(r, BIO_NOCLOSE) == 1
    assert b.read(2) == b"hi"
    os.fstat(w)
    b.close()


def test_fd_bio_debug_callback_prints_the_fd(pipe: list[int]) -> None:
    r, w = pipe
    out = io.StringIO()
    wb = FdBIO(w)
    wb.set_callback(make_debug_callback(out))
    assert wb.write(b"abc") == 3
    text = out.getvalue()
    lines = [line.split(": ", 1)[1] for line in text.splitlines()]
    assert lines == [f"write({w},3) - file descriptor fd={w}", "write return 1 processed: 3"]
    assert os.read(r, 3) == b"abc"


# --------------------------------------------------------------------------- against OpenSSL


def _libcrypto() -> Any:
    for name in ("libcrypto.so.3", ctypes.util.find_library("crypto")):
        if not name:
            continue
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            continue
        if hasattr(lib, "BIO_new_file") and hasattr(lib, "OpenSSL_version_num"):
            lib.OpenSSL_version_num.restype = ctypes.c_ulong
            if lib.OpenSSL_version_num() >= 0x30000000:
                return lib
    return None


_LIB = _libcrypto()
needs_libcrypto = pytest.mark.skipif(_LIB is None, reason="OpenSSL 3 libcrypto not loadable")


def _real_errors(lib: Any) -> list[tuple[int, str]]:
    lib.ERR_get_error_all.restype = ctypes.c_ulong
    cp = ctypes.POINTER(ctypes.c_char_p)
    ip = ctypes.POINTER(ctypes.c_int)
    lib.ERR_get_error_all.argtypes = [cp, ip, cp, cp, ip]
    out: list[tuple[int, str]] = []
    while True:
        f, fn, d = ctypes.c_char_p(), ctypes.c_char_p(), ctypes.c_char_p()
        line, flags = ctypes.c_int(), ctypes.c_int()
        code = lib.ERR_get_error_all(
            ctypes.byref(f), ctypes.byref(line), ctypes.byref(fn), ctypes.byref(d),
            ctypes.byref(flags),
        )
        if not code:
            return out
        out.append((int(code), (d.value or b"").decode()))


@needs_libcrypto
@pytest.mark.parametrize("mode", ["r", "w", "q", "r+"])
def test_bio_new_file_errors_match_openssl(tmp_path: Path, mode: str) -> None:
    lib = _LIB
    lib.BIO_new_file.restype = ctypes.c_void_p
    lib.BIO_new_file.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    lib.ERR_clear_error()
    # (glibc opens a directory for reading, Python refuses at once; see s_file.)
    targets = [tmp_path / "missing" / "f"] + ([tmp_path] if mode != "r" else [])
    for target in targets:
        assert lib.BIO_new_file(str(target).encode(), mode.encode()) is None
        expected = _real_errors(lib)
        assert FileBIO.open(target, mode) is None
        assert [(e.code, e.data) for e in errors_as_list()] == expected
        clear_error()


@needs_libcrypto
def test_fd_gets_and_eof_match_openssl() -> None:
    lib = _LIB
    vp = ctypes.c_void_p
    lib.BIO_new_fd.restype = vp
    lib.BIO_new_fd.argtypes = [ctypes.c_int, ctypes.c_int]
    lib.BIO_gets.argtypes = [vp, ctypes.c_char_p, ctypes.c_int]
    lib.BIO_ctrl.argtypes = [vp, ctypes.c_int, ctypes.c_long, vp]
    lib.BIO_ctrl.restype = ctypes.c_long
    lib.BIO_test_flags.argtypes = [vp, ctypes.c_int]
    lib.BIO_free.argtypes = [vp]
    payload = b"alpha\nbe\n\nlonger line here\nend"
    fds = [*os.pipe(), *os.pipe()]
    try:
        for w in (fds[1], fds[3]):
            os.write(w, payload)
            os.close(w)
        real = lib.BIO_new_fd(fds[0], 0)
        ours = FdBIO(fds[2])
        buf = ctypes.create_string_buffer(64)
        try:
            for size in (1, 2, 7, 64, 3, 64, 64, 64, 64, 64):
                n = lib.BIO_gets(real, buf, size)
                expected = (buf.value if n > 0 else n, lib.BIO_ctrl(real, 2, 0, None))
                r = ours.gets_c(size)
                assert (r, int(ours.eof())) == expected, size
        finally:
            lib.BIO_free(real)
    finally:
        for fd in (fds[0], fds[2]):
            os.close(fd)
