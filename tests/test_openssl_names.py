"""biokit.openssl, the C-name table: every name, C's return conventions, and the manual.

The second half ports the examples of OpenSSL's manual pages (doc/man3 in
openssl/openssl) line by line: each C line is kept as a comment above its Python
translation, which is the C line minus buffer lengths and out-parameters.  Where a
page has no EXAMPLES section (BIO_f_buffer(3), BIO_should_retry(3), ERR_get_error(3))
the C code is the usage its DESCRIPTION and NOTES spell out.  When libcrypto 3 can be
loaded through ctypes, results are compared with it as well.
"""

from __future__ import annotations

import base64
import ctypes
import hashlib
import io
import re
import select
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from biokit import openssl as C
from biokit.bio import BIO, FilterBIO
from biokit.errors import BIOReason, Lib, clear_error, errors_as_list
from biokit.testing import pki

pytestmark = pytest.mark.timeout(30)

HEADERS = Path("/usr/include/openssl")


@pytest.fixture(autouse=True)
def _empty_queue() -> Iterator[None]:
    clear_error()
    yield
    clear_error()


def _libcrypto() -> Any:
    try:
        lib = ctypes.CDLL("libcrypto.so.3")
        lib.OpenSSL_version_num.restype = ctypes.c_ulong
        if lib.OpenSSL_version_num() >> 28 != 3:
            return None
    except (OSError, AttributeError):
        return None
    vp = ctypes.c_void_p
    for fname, args, res in (
        ("OPENSSL_init_crypto", [ctypes.c_uint64, vp], ctypes.c_int),
        ("BIO_new", [vp], vp),
        ("BIO_new_mem_buf", [ctypes.c_char_p, ctypes.c_int], vp),
        ("BIO_method_name", [vp], ctypes.c_char_p),
        ("BIO_method_type", [vp], ctypes.c_int),
        ("BIO_write", [vp, ctypes.c_char_p, ctypes.c_int], ctypes.c_int),
        ("BIO_free", [vp], ctypes.c_int),
        ("ERR_get_error", [], ctypes.c_ulong),
        ("ERR_clear_error", [], None),
        ("ERR_error_string", [ctypes.c_ulong, ctypes.c_char_p], ctypes.c_char_p),
        ("ERR_reason_error_string", [ctypes.c_ulong], ctypes.c_char_p),
    ):
        f = getattr(lib, fname)
        f.argtypes = args
        f.restype = res
    lib.OPENSSL_init_crypto(0x02, None)  # OPENSSL_INIT_LOAD_CRYPTO_STRINGS
    return lib


LIB = _libcrypto()
needs_libcrypto = pytest.mark.skipif(LIB is None, reason="libcrypto 3 not loadable")


def entries() -> list[tuple[int, int]]:
    return [(e.library, e.reason) for e in errors_as_list()]


# ====================================================================== the table


def test_every_exported_name_exists_and_is_a_function_class_or_number() -> None:
    assert len(C.__all__) == len(set(C.__all__))
    for name in C.__all__:
        obj = getattr(C, name)
        assert callable(obj) or isinstance(obj, int), name


def test_every_public_c_name_is_exported() -> None:
    public = {n for n in vars(C) if re.match(r"(BIO|ERR|EVP)_", n)}
    assert public <= set(C.__all__)


ISSUE_NAMES = re.findall(r"\S+", """
BIO_new BIO_s_mem BIO_new_mem_buf BIO_new_bio_pair BIO_read BIO_write BIO_read_ex
BIO_write_ex BIO_gets BIO_puts BIO_flush BIO_pending BIO_ctrl_pending BIO_wpending
BIO_ctrl_wpending BIO_eof BIO_reset BIO_should_retry BIO_should_read BIO_should_write
BIO_should_io_special BIO_get_retry_reason BIO_get_retry_BIO BIO_push BIO_pop BIO_next
BIO_find_type BIO_free BIO_free_all BIO_set_mem_eof_return BIO_get_mem_data
BIO_ctrl_get_write_guarantee BIO_ctrl_get_read_request BIO_ctrl_reset_read_request
BIO_shutdown_wr BIO_make_bio_pair BIO_destroy_bio_pair BIO_new_socket BIO_new_fd
BIO_new_file BIO_new_fp BIO_s_null BIO_s_socket BIO_s_fd BIO_s_file BIO_s_connect
BIO_s_accept BIO_new_connect BIO_new_accept BIO_do_connect BIO_do_accept
BIO_set_conn_hostname BIO_set_nbio BIO_set_nbio_accept BIO_get_accept_port BIO_f_buffer
BIO_f_linebuffer BIO_f_readbuffer BIO_f_null BIO_f_base64 BIO_f_md BIO_f_cipher
BIO_f_prefix BIO_f_nbio_test BIO_set_callback_ex BIO_get_callback_ex
BIO_debug_callback_ex BIO_ctrl BIO_method_type BIO_method_name BIO_set_close BIO_get_close
BIO_seek BIO_tell BIO_get_md BIO_get_cipher_status BIO_set_buffer_size
BIO_set_read_buffer_size BIO_set_write_buffer_size ERR_get_error ERR_peek_error
ERR_peek_last_error ERR_clear_error ERR_error_string ERR_lib_error_string
ERR_reason_error_string ERR_print_errors ERR_print_errors_fp ERR_GET_LIB ERR_GET_REASON
BIO_CLOSE BIO_NOCLOSE BIO_TYPE_MEM BIO_FLAGS_SHOULD_RETRY BIO_CTRL_PENDING
BIO_C_SET_BUF_MEM_EOF_RETURN BIO_CB_RETURN BIO_RR_CONNECT ERR_LIB_BIO
BIO_R_UNSUPPORTED_METHOD
""")


def test_the_names_the_issue_lists_are_there() -> None:
    assert [n for n in ISSUE_NAMES if n not in C.__all__] == []


def _header_constants() -> dict[str, int]:
    """``#define NAME value`` of bio.h, bioerr.h, err.h and evp.h, evaluated."""
    raw: dict[str, str] = {}
    for h in ("bio.h", "bioerr.h", "err.h", "evp.h"):
        text = (HEADERS / h).read_text(errors="replace")
        text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
        for m in re.finditer(r"^\s*#\s*define\s+([A-Z][A-Z0-9_]*)\s+(.+?)\s*$", text, re.M):
            raw.setdefault(m.group(1), m.group(2))
    values: dict[str, int] = {}
    for _ in range(5):  # definitions in terms of others
        for name, expr in raw.items():
            e = re.sub(r"\b(0x[0-9A-Fa-f]+|\d+)[UuLl]*\b", r"\1", expr)
            if not re.fullmatch(r"[\sA-Z0-9_x|&<>()+~a-f-]*", e):
                continue
            try:
                values[name] = int(eval(e, {"__builtins__": {}}, dict(values)))
            except Exception:
                continue
    return values


@pytest.mark.skipif(not (HEADERS / "bio.h").exists(), reason="OpenSSL headers not installed")
def test_constants_match_the_openssl_headers() -> None:
    header = _header_constants()
    checked = 0
    for name in C.__all__:
        value = getattr(C, name)
        if isinstance(value, int) and not callable(value) and name in header:
            assert value == header[name], name
            checked += 1
    assert checked >= 150


def test_methods_are_classes_and_bio_new_makes_one() -> None:
    methods = [n for n in C.__all__ if re.match(r"BIO_[sf]_", n)]
    assert len(methods) >= 17
    for name in methods:
        method = getattr(C, name)
        assert isinstance(method, type) and issubclass(method, BIO)
        b = C.BIO_new(method)
        assert type(b) is method
        assert C.BIO_method_type(b) == method.bio_type
        assert C.BIO_method_name(b) == method.bio_name
        assert bool(C.BIO_method_type(b) & C.BIO_TYPE_FILTER) == isinstance(b, FilterBIO)
        C.BIO_free(b)


def test_bio_new_socket_method() -> None:
    # The C idiom: a socket BIO made empty, then given its descriptor.
    s1, s2 = socket.socketpair()
    try:
        # BIO *b = BIO_new(BIO_s_socket());
        b = C.BIO_new(C.BIO_s_socket)
        # BIO_set_fd(b, fd, BIO_NOCLOSE);
        assert C.BIO_set_fd(b, s1.fileno(), C.BIO_NOCLOSE) == 1
        s2.sendall(b"x")
        assert C.BIO_read(b, 10) == b"x"
        C.BIO_free(b)
    finally:
        s1.close()
        s2.close()


@needs_libcrypto
def test_method_names_and_types_match_libcrypto() -> None:
    for name in C.__all__:
        if not re.match(r"BIO_[sf]_", name):
            continue
        f = getattr(LIB, name, None)
        if f is None:
            continue  # BIO_f_ssl lives in libssl
        f.restype = ctypes.c_void_p
        cb = LIB.BIO_new(f())
        try:
            method = getattr(C, name)
            assert LIB.BIO_method_name(cb).decode() == method.bio_name, name
            if name in ("BIO_f_readbuffer", "BIO_f_prefix"):
                # OpenSSL reuses BIO_TYPE_BUFFER for these two; biokit gives them numbers
                # of their own in the BIO_TYPE_START range so BIO_find_type tells them apart.
                assert LIB.BIO_method_type(cb) == C.BIO_TYPE_BUFFER
                assert method.bio_type & 0xFF > C.BIO_TYPE_START
            else:
                assert LIB.BIO_method_type(cb) == method.bio_type, name
        finally:
            LIB.BIO_free(cb)


# ====================================================================== C's return values


def test_bio_read_returns_bytes_or_the_c_int() -> None:
    mem = C.BIO_new(C.BIO_s_mem)
    assert C.BIO_write(mem, b"abc") == 3
    assert C.BIO_read(mem, 2) == b"ab"
    assert C.BIO_read(mem, 10) == b"c"
    assert C.BIO_read(mem, 10) == -1  # empty: eof_return, with retry
    assert C.BIO_should_retry(mem) and C.BIO_should_read(mem)
    assert C.BIO_set_mem_eof_return(mem, 0) == 1
    assert C.BIO_read(mem, 10) == 0  # now EOF
    assert not C.BIO_should_retry(mem)
    assert C.BIO_read_ex(mem, 10) == 0
    ro = C.BIO_new_mem_buf(b"xy")
    assert C.BIO_read_ex(ro, 10) == b"xy"
    assert C.BIO_read(ro, 10) == 0
    assert C.BIO_write(ro, b"z") == -1  # read-only
    assert C.BIO_write_ex(ro, b"z") == 0
    assert entries() == [(Lib.BIO, BIOReason.WRITE_TO_READ_ONLY_BIO)] * 2
    clear_error()
    b1, b2 = C.BIO_new_bio_pair(0, 0)
    assert C.BIO_read(b2, 5) == -1 and C.BIO_should_read(b2)
    assert C.BIO_gets(b2, 5) == -2  # BIO pairs have no gets
    assert entries() == [(Lib.BIO, BIOReason.UNSUPPORTED_METHOD)]
    assert C.BIO_read(b1, -1) == -1  # biokit queues INVALID_ARGUMENT for a negative size
    C.BIO_free(b1)
    assert C.BIO_read(b1, 5) == -1  # freed
    for b in (mem, ro, b2):
        C.BIO_free(b)


def test_bio_free_returns_c_values() -> None:
    # BIO_free returns 1, or 0 when the free callback refuses.
    mem = C.BIO_new(C.BIO_s_mem)
    C.BIO_set_callback_ex(mem, lambda *a: 0)
    assert C.BIO_free(mem) == 0
    C.BIO_set_callback_ex(mem, None)
    assert C.BIO_free(mem) == 1


def test_chain_macros_work_through_filters(tmp_path: Path) -> None:
    # BIO_do_connect, BIO_get_fd, BIO_seek and BIO_tell are BIO_ctrl calls that a filter
    # in front passes down, as in C.
    lsock = socket.create_server(("127.0.0.1", 0))
    try:
        port = lsock.getsockname()[1]
        conn = C.BIO_new_connect(f"127.0.0.1:{port}")
        head = C.BIO_push(C.BIO_new(C.BIO_f_buffer), conn)
        assert C.BIO_do_connect(head) == 1
        assert C.BIO_get_fd(head) == C.BIO_get_fd(conn) >= 0
        peer, _ = lsock.accept()
        with peer:
            assert C.BIO_puts(head, "through the buffer\n") == 19
            assert C.BIO_flush(head) == 1
            assert peer.recv(100) == b"through the buffer\n"
        C.BIO_free_all(head)
    finally:
        lsock.close()
    path = tmp_path / "seek.bin"
    path.write_bytes(b"0123456789")
    f = C.BIO_new_file(str(path), "rb")
    assert f is not None
    head = C.BIO_push(C.BIO_new(C.BIO_f_null), f)
    assert C.BIO_seek(head, 4) == 0  # file BIOs answer fseek's 0 (BIO_s_file(3) BUGS)
    assert C.BIO_read(head, 3) == b"456"
    assert C.BIO_tell(head) == 7
    b64 = C.BIO_new(C.BIO_f_base64)
    C.BIO_set_flags(b64, C.BIO_FLAGS_BASE64_NO_NL)
    assert C.BIO_test_flags(b64, C.BIO_FLAGS_BASE64_NO_NL) == C.BIO_FLAGS_BASE64_NO_NL
    C.BIO_clear_flags(b64, C.BIO_FLAGS_BASE64_NO_NL)
    assert C.BIO_test_flags(b64, C.BIO_FLAGS_BASE64_NO_NL) == 0
    C.BIO_free_all(head)
    C.BIO_free(b64)


def test_callbacks_and_the_debug_callback() -> None:
    seen: list[tuple[int, int]] = []

    def cb(b: BIO, oper: int, argp: bytes | None, length: int, argi: int, argl: int,
           ret: int, processed: int | None) -> int:
        seen.append((oper, ret))
        return ret

    mem = C.BIO_new(C.BIO_s_mem)
    C.BIO_set_callback_ex(mem, cb)
    assert C.BIO_get_callback_ex(mem) is cb
    C.BIO_write(mem, b"hi")
    assert seen == [(C.BIO_CB_WRITE, 1), (C.BIO_CB_WRITE | C.BIO_CB_RETURN, 1)]
    assert C.BIO_debug_callback_ex(mem, C.BIO_CB_READ, None, 10, 0, 0, 1, None) == 1
    C.BIO_set_callback_ex(mem, None)
    C.BIO_free(mem)


# ====================================================================== BIO_s_mem(3)


def test_bio_s_mem_manual_examples() -> None:
    # Create a memory BIO and write some data to it:
    # BIO *mem = BIO_new(BIO_s_mem());
    mem = C.BIO_new(C.BIO_s_mem)
    # BIO_puts(mem, "Hello World\n");
    assert C.BIO_puts(mem, "Hello World\n") == 12

    # "BIO_ctrl_pending() returns the number of bytes currently stored."
    assert C.BIO_ctrl_pending(mem) == 12
    # "Any data written to a memory BIO can be recalled by reading from it."
    assert C.BIO_gets(mem, 100) == b"Hello World\n"
    # "BIO_eof() is true if no data is in the BIO."
    assert C.BIO_eof(mem)
    # An empty memory BIO returns the eof_return value, -1, with the read retry flag set.
    assert C.BIO_read(mem, 100) == -1 and C.BIO_should_retry(mem)

    # Create a read only memory BIO:
    # char data[] = "Hello World";
    data = b"Hello World"
    # BIO *mem = BIO_new_mem_buf(data, -1);
    ro = C.BIO_new_mem_buf(data)
    # "The BIO is set to a read only state and as a result cannot be written to."
    assert C.BIO_write(ro, b"!") <= 0
    assert entries() == [(Lib.BIO, BIOReason.WRITE_TO_READ_ONLY_BIO)]
    assert C.BIO_read(ro, 5) == b"Hello"
    # "On a read only BIO it [BIO_reset] ... restores the BIO to its original state."
    assert C.BIO_reset(ro) == 1
    assert C.BIO_read(ro, 100) == b"Hello World"
    assert C.BIO_read(ro, 100) == 0 and not C.BIO_should_retry(ro)

    # Extract the BUF_MEM structure from a memory BIO and then free up the BIO:
    # (biokit has no BUF_MEM: BIO_get_mem_data hands out the bytes themselves.)
    C.BIO_puts(mem, "kept\n")
    # BUF_MEM *bptr;
    # BIO_get_mem_ptr(mem, &bptr);
    bptr = C.BIO_get_mem_data(mem)
    # BIO_set_close(mem, BIO_NOCLOSE); /* So BIO_free() leaves BUF_MEM alone */
    assert C.BIO_set_close(mem, C.BIO_NOCLOSE) == 1
    assert C.BIO_get_close(mem) == C.BIO_NOCLOSE
    # BIO_free(mem);
    C.BIO_free(mem)
    assert bptr == b"kept\n"
    C.BIO_free(ro)


# ====================================================================== BIO_f_buffer(3)


def test_bio_f_buffer_manual_usage() -> None:
    # (BIO_f_buffer(3) has no EXAMPLES; this is what its DESCRIPTION and NOTES describe.)
    # BIO *net, *peer; BIO_new_bio_pair(&net, 256, &peer, 256);  /* a source without gets */
    net, peer = C.BIO_new_bio_pair(256, 256)
    # BIO *buf = BIO_new(BIO_f_buffer());
    buf = C.BIO_new(C.BIO_f_buffer)
    # BIO_push(buf, net);
    assert C.BIO_push(buf, net) is buf

    # "Data is only written to the next BIO in the chain when the write buffer fills
    #  or when BIO_flush() is called."
    # BIO_puts(buf, "first line\nsecond line\n");
    assert C.BIO_puts(buf, "first line\nsecond line\n") == 23
    assert C.BIO_ctrl_pending(peer) == 0
    assert C.BIO_wpending(buf) == 23
    # BIO_flush(buf);
    assert C.BIO_flush(buf) == 1
    assert C.BIO_ctrl_pending(peer) == 23

    # "By prepending a buffering BIO to a chain it is therefore possible to provide
    #  BIO_gets() ... if the following BIOs do not support it."
    assert C.BIO_gets(peer, 100) == -2
    clear_error()
    # BIO *pbuf = BIO_push(BIO_new(BIO_f_buffer()), peer);
    pbuf = C.BIO_push(C.BIO_new(C.BIO_f_buffer), peer)
    # n = BIO_gets(pbuf, line, sizeof(line));
    assert C.BIO_gets(pbuf, 100) == b"first line\n"
    # BIO_get_buffer_num_lines(pbuf) -- one more line is buffered
    assert C.BIO_get_buffer_num_lines(pbuf) == 1
    assert C.BIO_gets(pbuf, 100) == b"second line\n"

    # "Any attempt to reduce the buffer size below DEFAULT_BUFFER_SIZE is ignored."
    assert C.BIO_set_buffer_size(buf, 1024) == 1
    assert C.BIO_set_read_buffer_size(pbuf, 8192) == 1
    assert C.BIO_set_write_buffer_size(buf, 8192) == 1

    # "BIO_flush() may need to be retried if the ultimate source/sink BIO is non blocking."
    # BIO_write(buf, data, 1000);  /* more than the pair's 256 bytes */
    data = bytes(range(250)) * 4
    assert C.BIO_write(buf, data) == 1000
    got = b""
    for _ in range(20):
        # if (BIO_flush(buf) <= 0 && BIO_should_retry(buf)) { /* drain peer, retry */ }
        if C.BIO_flush(buf) == 1:
            break
        assert C.BIO_should_retry(buf) and C.BIO_should_write(buf)
        got += C.BIO_read_ex(pbuf, 4096) or b""
    while C.BIO_ctrl_pending(peer) or C.BIO_ctrl_pending(pbuf):
        got += C.BIO_read_ex(pbuf, 4096) or b""
    assert got == data

    # "Calling BIO_reset() on a buffering BIO clears any buffered data."
    C.BIO_puts(buf, "never sent")
    assert C.BIO_reset(buf) == 0  # what the BIO pair below answers to BIO_reset
    assert C.BIO_wpending(buf) == 0
    # "... such as when removing a buffering BIO using BIO_pop()."
    assert C.BIO_pop(buf) is net
    C.BIO_free(buf)
    C.BIO_free_all(pbuf)
    C.BIO_free(net)


# ====================================================================== BIO_f_base64(3)


def test_bio_f_base64_manual_example_encode() -> None:
    stdout = io.BytesIO()
    # BIO *bio, *b64;
    # char message[] = "Hello World \n";
    message = b"Hello World \n"
    # b64 = BIO_new(BIO_f_base64());
    b64 = C.BIO_new(C.BIO_f_base64)
    # bio = BIO_new_fp(stdout, BIO_NOCLOSE);
    bio = C.BIO_new_fp(stdout, C.BIO_NOCLOSE)
    # BIO_push(b64, bio);
    C.BIO_push(b64, bio)
    # BIO_write(b64, message, strlen(message));
    assert C.BIO_write(b64, message) == len(message)
    # BIO_flush(b64);
    assert C.BIO_flush(b64) == 1
    # BIO_free_all(b64);
    C.BIO_free_all(b64)
    assert stdout.getvalue() == b"SGVsbG8gV29ybGQgCg==\n"
    assert not stdout.closed  # BIO_NOCLOSE


def test_bio_f_base64_manual_example_decode() -> None:
    plain = bytes(range(256)) * 9
    encoded = base64.encodebytes(plain)  # 76-character lines; the decoder takes any length
    if shutil.which("openssl"):
        # And what `openssl base64` writes (64-character lines), when the CLI is there.
        encoded = subprocess.run(
            ["openssl", "base64", "-e"], input=plain, capture_output=True, check=True,
            timeout=10,
        ).stdout
    stdin, stdout = io.BytesIO(encoded), io.BytesIO()
    # BIO *bio, *b64, *bio_out;
    # char inbuf[512];
    # int inlen;
    # b64 = BIO_new(BIO_f_base64());
    b64 = C.BIO_new(C.BIO_f_base64)
    # bio = BIO_new_fp(stdin, BIO_NOCLOSE);
    bio = C.BIO_new_fp(stdin, C.BIO_NOCLOSE)
    # bio_out = BIO_new_fp(stdout, BIO_NOCLOSE);
    bio_out = C.BIO_new_fp(stdout, C.BIO_NOCLOSE)
    # BIO_push(b64, bio);
    C.BIO_push(b64, bio)
    # while ((inlen = BIO_read(b64, inbuf, 512)) > 0)
    while isinstance(inbuf := C.BIO_read(b64, 512), bytes):
        #     BIO_write(bio_out, inbuf, inlen);
        assert C.BIO_write(bio_out, inbuf) == len(inbuf) <= 512
    assert inbuf == 0  # the end of the input, not an error
    # BIO_flush(bio_out);
    assert C.BIO_flush(bio_out) == 1
    # BIO_free_all(b64);
    C.BIO_free_all(b64)
    C.BIO_free(bio_out)
    assert stdout.getvalue() == plain


# ====================================================================== BIO_push(3)


def test_bio_push_manual_example(tmp_path: Path) -> None:
    path = str(tmp_path / "f.b64")
    data = b"Data written to md1 will be digested by md1 and md2, base64 encoded\n" * 20
    # "suppose md1 and md2 are digest BIOs, b64 is a base64 BIO and f is a file BIO"
    md1, md2 = C.BIO_new(C.BIO_f_md), C.BIO_new(C.BIO_f_md)
    assert C.BIO_set_md(md1, "sha1") == 1 and C.BIO_set_md(md2, "md5") == 1
    b64 = C.BIO_new(C.BIO_f_base64)
    f = C.BIO_new_file(path, "w")
    assert f is not None

    # BIO_push(b64, f);
    assert C.BIO_push(b64, f) is b64
    # "then the new chain will be b64-f"
    assert list(b64) == [b64, f]
    # BIO_push(md2, b64);
    C.BIO_push(md2, b64)
    # BIO_push(md1, md2);
    C.BIO_push(md1, md2)
    # "the new chain is md1-md2-b64-f"
    assert list(md1) == [md1, md2, b64, f]
    # "Data written to md1 will be digested by md1 and md2, base64 encoded, and finally
    #  written to f."
    assert C.BIO_write(md1, data) == len(data)
    assert C.BIO_flush(md1) == 1
    assert C.BIO_get_md(md1) == "SHA1" and C.BIO_get_md(md2) == "MD5"
    assert C.BIO_gets(md1, C.EVP_MAX_MD_SIZE) == hashlib.sha1(data).digest()
    assert C.BIO_gets(md2, C.EVP_MAX_MD_SIZE) == hashlib.md5(data).digest()
    C.BIO_free_all(md1)
    assert base64.b64decode(Path(path).read_bytes()) == data

    # "reading causes data to pass in the reverse direction, that is data is read from f,
    #  base64 decoded, and digested by md2 and then md1."
    md1, md2 = C.BIO_new(C.BIO_f_md), C.BIO_new(C.BIO_f_md)
    C.BIO_set_md(md1, "sha1")
    C.BIO_set_md(md2, "md5")
    b64 = C.BIO_new(C.BIO_f_base64)
    f = C.BIO_new_file(path, "r")
    C.BIO_push(md1, C.BIO_push(md2, C.BIO_push(b64, f)))
    assert C.BIO_read(md1, 10) == data[:10]
    # BIO_pop(md2);
    # "will return b64 and the new chain will be md1-b64-f"
    assert C.BIO_pop(md2) is b64
    assert list(md1) == [md1, b64, f]
    # "Data can be written to and read from md1 as before, except that md2 will no more
    #  be applied."
    rest = b""
    while isinstance(chunk := C.BIO_read(md1, 300), bytes):
        rest += chunk
    assert data[:10] + rest == data
    assert C.BIO_gets(md1, 64) == hashlib.sha1(data).digest()
    assert C.BIO_gets(md2, 64) == hashlib.md5(data[:10]).digest()
    C.BIO_free(md2)
    C.BIO_free_all(md1)


# ====================================================================== BIO_f_md(3)


def test_bio_f_md_manual_examples(tmp_path: Path) -> None:
    # BIO *bio, *mdtmp;
    # char message[] = "Hello World";
    message = b"Hello World"
    # bio = BIO_new(BIO_s_null());
    bio: BIO = C.BIO_new(C.BIO_s_null)
    # mdtmp = BIO_new(BIO_f_md());
    mdtmp: BIO = C.BIO_new(C.BIO_f_md)
    # BIO_set_md(mdtmp, EVP_sha1());
    C.BIO_set_md(mdtmp, "sha1")
    # bio = BIO_push(mdtmp, bio);
    bio = C.BIO_push(mdtmp, bio)
    # mdtmp = BIO_new(BIO_f_md());
    mdtmp = C.BIO_new(C.BIO_f_md)
    # BIO_set_md(mdtmp, EVP_md5());
    C.BIO_set_md(mdtmp, "md5")
    # bio = BIO_push(mdtmp, bio);
    bio = C.BIO_push(mdtmp, bio)
    # BIO_write(bio, message, strlen(message));
    assert C.BIO_write(bio, message) == len(message)

    # This next example retrieves the message digests from a BIO chain and outputs them.
    out: list[str] = []
    # mdtmp = bio;
    mdtmp2: BIO | None = bio
    # do {
    while True:
        # mdtmp = BIO_find_type(mdtmp, BIO_TYPE_MD);
        mdtmp2 = C.BIO_find_type(mdtmp2, C.BIO_TYPE_MD) if mdtmp2 is not None else None
        # if (!mdtmp) break;
        if mdtmp2 is None:
            break
        # BIO_get_md(mdtmp, &md);
        md = C.BIO_get_md(mdtmp2)
        # printf("%s digest", OBJ_nid2sn(EVP_MD_type(md)));
        line = f"{md} digest"
        # mdlen = BIO_gets(mdtmp, mdbuf, EVP_MAX_MD_SIZE);
        mdbuf = C.BIO_gets(mdtmp2, C.EVP_MAX_MD_SIZE)
        assert isinstance(mdbuf, bytes)
        # for (i = 0; i < mdlen; i++) printf(":%02X", mdbuf[i]);
        line += "".join(f":{x:02X}" for x in mdbuf)
        # printf("\n");
        out.append(line)
        # mdtmp = BIO_next(mdtmp);
        mdtmp2 = C.BIO_next(mdtmp2)
    # } while (mdtmp);
    # BIO_free_all(bio);
    C.BIO_free_all(bio)
    hexes = [":".join(f"{x:02X}" for x in h(message).digest()) for h in (hashlib.md5,
                                                                         hashlib.sha1)]
    assert out == [f"MD5 digest:{hexes[0]}", f"SHA1 digest:{hexes[1]}"]

    # The next example digests data by reading through a chain instead:
    file = tmp_path / "data"
    file.write_bytes(message * 500)
    # bio = BIO_new_file(file, "rb");
    bio = C.BIO_new_file(str(file), "rb")
    # mdtmp = BIO_new(BIO_f_md());  BIO_set_md(mdtmp, EVP_sha1());  bio = BIO_push(mdtmp, bio);
    mdtmp = C.BIO_new(C.BIO_f_md)
    C.BIO_set_md(mdtmp, "sha1")
    bio = C.BIO_push(mdtmp, bio)
    # mdtmp = BIO_new(BIO_f_md());  BIO_set_md(mdtmp, EVP_md5());  bio = BIO_push(mdtmp, bio);
    mdtmp = C.BIO_new(C.BIO_f_md)
    C.BIO_set_md(mdtmp, "md5")
    bio = C.BIO_push(mdtmp, bio)
    # do {
    #     rdlen = BIO_read(bio, buf, sizeof(buf));
    # } while (rdlen > 0);
    while isinstance(C.BIO_read(bio, 1024), bytes):
        pass
    md5 = C.BIO_find_type(bio, C.BIO_TYPE_MD)
    assert md5 is not None and C.BIO_gets(md5, 64) == hashlib.md5(message * 500).digest()
    sha = C.BIO_find_type(C.BIO_next(md5), C.BIO_TYPE_MD)
    assert sha is not None and C.BIO_gets(sha, 64) == hashlib.sha1(message * 500).digest()
    C.BIO_free_all(bio)


# ====================================================================== BIO_should_retry(3)


def test_bio_should_retry_manual_usage() -> None:
    # (BIO_should_retry(3) has no EXAMPLES; its NOTES describe this loop.)
    s1, s2 = socket.socketpair()
    s1.setblocking(False)
    try:
        # BIO *b = BIO_new_socket(fd, BIO_NOCLOSE);   /* a non blocking socket */
        b = C.BIO_new_socket(s1, C.BIO_NOCLOSE)
        got = b""
        attempts = 0
        for _ in range(100):
            # n = BIO_read(b, buf, sizeof(buf));
            n = C.BIO_read(b, 100)
            # if (n <= 0) {
            if not isinstance(n, bytes):
                # if (BIO_should_retry(b)) {
                if C.BIO_should_retry(b):
                    # if (BIO_should_read(b)) select(fd + 1, &rfds, NULL, NULL, &tv);
                    assert C.BIO_should_read(b) and not C.BIO_should_write(b)
                    attempts += 1
                    if attempts == 1:  # the peer writes only after our first attempt
                        s2.sendall(b"late data")
                        s2.shutdown(socket.SHUT_WR)
                    select.select([s1], [], [], 5)
                    continue
                # } else: "the cause is an error condition" -- for a socket BIO returning 0,
                # the connection closed.
                break
            # }
            got += n
        # "if a call to BIO_read_ex() on a socket BIO returns 0 and BIO_should_retry() is
        #  false then the cause will be that the connection closed."
        assert got == b"late data" and attempts >= 1
        assert C.BIO_read(b, 100) == 0 and not C.BIO_should_retry(b)
        assert C.BIO_eof(b)
        C.BIO_free(b)
    finally:
        s1.close()
        s2.close()


def test_bio_get_retry_bio_finds_the_connect_bio() -> None:
    # "BIO_get_retry_BIO() determines the precise reason for the special condition, it
    #  returns the BIO that caused this condition and ... the reason code."
    lsock = socket.create_server(("127.0.0.1", 0))
    try:
        # BIO *conn = BIO_new_connect("127.0.0.1:port");  BIO_set_nbio(conn, 1);
        conn = C.BIO_new_connect(f"127.0.0.1:{lsock.getsockname()[1]}")
        assert C.BIO_set_nbio(conn, 1) == 1
        # BIO *bio = BIO_push(BIO_new(BIO_f_buffer()), conn);
        bio = C.BIO_push(C.BIO_new(C.BIO_f_buffer), conn)
        # if (BIO_do_connect(bio) <= 0 && BIO_should_io_special(bio)) {
        assert C.BIO_do_connect(bio) <= 0
        assert C.BIO_should_retry(bio) and C.BIO_should_io_special(bio)
        #     int reason; BIO *culprit = BIO_get_retry_BIO(bio, &reason);
        culprit, reason = C.BIO_get_retry_BIO(bio)
        assert culprit is conn and reason == C.BIO_RR_CONNECT
        #     BIO_get_retry_reason(culprit) == BIO_RR_CONNECT
        assert C.BIO_get_retry_reason(culprit) == C.BIO_RR_CONNECT
        # }
        for _ in range(100):
            select.select([], [C.BIO_get_fd(bio)], [], 0.1)
            if C.BIO_do_connect(bio) == 1:
                break
        assert C.BIO_do_connect(bio) == 1
        C.BIO_free_all(bio)
    finally:
        lsock.close()


# ====================================================================== BIO_s_bio(3)


class _Endpoint:
    """One application of BIO_s_bio(3)'s diagram: SSL -> internal_bio | network_bio -> socket."""

    def __init__(self, ssl: Any, sock: socket.socket) -> None:
        self.ssl = ssl
        self.sock = sock
        # BIO *internal_bio, *network_bio;
        # BIO_new_bio_pair(&internal_bio, 0, &network_bio, 0);
        self.internal_bio, self.network_bio = C.BIO_new_bio_pair(0, 0)
        # SSL_set_bio(ssl, internal_bio, internal_bio);
        C.SSL_set_bio(ssl, self.internal_bio, self.internal_bio)
        self.outgoing = b""

    def bio_operations(self) -> None:
        """The application's half of the diagram: network_bio <-> socket."""
        # "Use the BIO_ctrl_pending(), to find out whether data is buffered in the BIO and
        #  must be transferred to the network."
        while C.BIO_ctrl_pending(self.network_bio) > 0:
            chunk = C.BIO_read(self.network_bio, C.BIO_ctrl_pending(self.network_bio))
            assert isinstance(chunk, bytes)
            self.outgoing += chunk
        if self.outgoing:
            try:
                sent = self.sock.send(self.outgoing)
                self.outgoing = self.outgoing[sent:]
            except BlockingIOError:
                pass
        # "Use BIO_ctrl_get_read_request() to find out, how many bytes must be written into
        #  the buffer before the SSL_operation() can successfully be continued."
        if C.BIO_ctrl_get_read_request(self.network_bio) > 0:
            room = C.BIO_ctrl_get_write_guarantee(self.network_bio)
            try:
                data = self.sock.recv(room)
            except BlockingIOError:
                return
            if data:
                assert C.BIO_write(self.network_bio, data) == len(data)


def test_bio_s_bio_manual_example(tmp_path: Path) -> None:
    files = pki("ec256").write(tmp_path)
    sctx = C.SSL_CTX_new(C.TLS_server_method())
    C.SSL_CTX_use_certificate_chain_file(sctx, files["server.pem"])
    C.SSL_CTX_use_PrivateKey_file(sctx, files["server.key"], C.SSL_FILETYPE_PEM)
    cctx = C.SSL_CTX_new(C.TLS_client_method())
    C.SSL_CTX_load_verify_locations(cctx, files["ca.pem"], None)
    C.SSL_CTX_set_verify(cctx, C.SSL_VERIFY_PEER, None)
    # "The application can call select() on the socket as required without having to go
    #  through the SSL-interface."
    sock_c, sock_s = socket.socketpair()
    sock_c.setblocking(False)
    sock_s.setblocking(False)
    try:
        client = _Endpoint(C.SSL_new(cctx), sock_c)
        server = _Endpoint(C.SSL_new(sctx), sock_s)
        C.SSL_set_connect_state(client.ssl)
        C.SSL_set_accept_state(server.ssl)
        C.SSL_set1_host(client.ssl, "localhost")
        done = {"c": False, "s": False}
        for _ in range(200):
            # SSL_operations();
            for key, ep in (("c", client), ("s", server)):
                if not done[key]:
                    r = C.SSL_do_handshake(ep.ssl)
                    done[key] = r == 1
                    if r != 1:
                        # "SSL_operation() may return with an ERROR_SSL_WANT_READ condition,
                        #  but there is still data in the write buffer. ... assure that the
                        #  write buffer is always flushed first."
                        assert C.SSL_get_error(ep.ssl, r) == C.SSL_ERROR_WANT_READ
            # BIO_operations();
            client.bio_operations()
            server.bio_operations()
            if done["c"] and done["s"]:
                break
            select.select([sock_c, sock_s], [], [], 0.05)
        assert done == {"c": True, "s": True}
        assert C.SSL_get_verify_result(client.ssl) == C.X509_V_OK
        # SSL_operations(); /* e.g. SSL_read and SSL_write */
        assert C.SSL_write(client.ssl, b"over the pair and the socket") == 28
        got: bytes | int = -1
        for _ in range(100):
            client.bio_operations()
            server.bio_operations()
            got = C.SSL_read(server.ssl, 100)
            if isinstance(got, bytes):
                break
            assert C.SSL_get_error(server.ssl, got) == C.SSL_ERROR_WANT_READ
            select.select([sock_s], [], [], 0.05)
        assert got == b"over the pair and the socket"
        # SSL_free(ssl);                /* implicitly frees internal_bio */
        # BIO_free(network_bio);
        for ep in (client, server):
            C.SSL_free(ep.ssl)
            C.BIO_free(ep.network_bio)
    finally:
        sock_c.close()
        sock_s.close()


# ====================================================================== ERR_get_error(3)


def test_err_get_error_manual_usage() -> None:
    # (ERR_get_error(3) has no EXAMPLES; the loop is the one it describes.)
    ro = C.BIO_new_mem_buf(b"read only")
    b1, b2 = C.BIO_new_bio_pair(0, 0)
    C.BIO_write(ro, b"x")  # BIO_R_WRITE_TO_READ_ONLY_BIO
    C.BIO_gets(b1, 10)  # BIO_R_UNSUPPORTED_METHOD
    # "ERR_peek_error() returns the earliest error code ... without modifying it."
    first = C.ERR_peek_error()
    # "ERR_peek_last_error() returns the latest error code"
    last = C.ERR_peek_last_error()
    assert C.ERR_GET_LIB(first) == C.ERR_LIB_BIO == C.ERR_GET_LIB(last)
    assert C.ERR_GET_REASON(first) == C.BIO_R_WRITE_TO_READ_ONLY_BIO
    assert C.ERR_GET_REASON(last) == C.BIO_R_UNSUPPORTED_METHOD
    lines = []
    # unsigned long e;
    # while ((e = ERR_get_error()) != 0)
    while (e := C.ERR_get_error()) != 0:
        #     printf("%s\n", ERR_error_string(e, NULL));
        lines.append(C.ERR_error_string(e))
    assert lines == [
        "error:1000007E:BIO routines::write to read only BIO",
        "error:10000079:BIO routines::unsupported method",
    ]
    # "The error code, or 0 if there is no error in the queue."
    assert C.ERR_get_error() == C.ERR_peek_error() == C.ERR_peek_last_error() == 0
    assert C.ERR_lib_error_string(first) == "BIO routines"
    assert C.ERR_reason_error_string(first) == "write to read only BIO"

    # ERR_print_errors(bio) writes (and removes) the queue, one line per entry.
    C.BIO_write(ro, b"x")
    out = C.BIO_new(C.BIO_s_mem)
    C.ERR_print_errors(out)
    text = C.BIO_get_mem_data(out).decode()
    # libcrypto's shape: the thread id's bytes in memory order (16 hex digits
    # for a 64-bit pthread_t), code, library, function, reason, file, line, data.
    tid = (threading.get_ident()).to_bytes(ctypes.sizeof(ctypes.c_ulong), sys.byteorder)
    assert re.fullmatch(rf"{tid.hex().upper()}:error:1000007E:BIO routines:_write:"
                        r"write to read only BIO:biokit/bio/s_mem\.py:[1-9]\d*:\n", text), text
    assert C.ERR_get_error() == 0
    C.BIO_write(ro, b"x")
    stream = io.StringIO()
    C.ERR_print_errors_fp(stream)
    assert ":error:1000007E:BIO routines:" in stream.getvalue()
    # ERR_raise(ERR_LIB_BIO, BIO_R_BROKEN_PIPE); ERR_raise_data(..., "%s", "why");
    C.ERR_raise(C.ERR_LIB_BIO, C.BIO_R_BROKEN_PIPE)
    C.ERR_raise_data(C.ERR_LIB_BIO, C.BIO_R_BROKEN_PIPE, "why")
    assert [(e.code, e.data) for e in errors_as_list()] == [
        (C.ERR_PACK(C.ERR_LIB_BIO, C.BIO_R_BROKEN_PIPE), ""),
        (C.ERR_PACK(C.ERR_LIB_BIO, C.BIO_R_BROKEN_PIPE), "why"),
    ]
    clear_error()
    # ERR_clear_error();
    C.ERR_raise(C.ERR_LIB_BIO, C.BIO_R_BROKEN_PIPE)
    C.ERR_clear_error()
    assert C.ERR_get_error() == 0
    for b in (ro, b1, b2, out):
        C.BIO_free(b)


@needs_libcrypto
def test_err_codes_and_strings_match_libcrypto() -> None:
    # The same mistake in both libraries queues the same packed code.
    LIB.ERR_clear_error()
    cro = LIB.BIO_new_mem_buf(b"read only", -1)
    assert LIB.BIO_write(cro, b"x", 1) <= 0
    c_code = LIB.ERR_get_error()
    LIB.BIO_free(cro)
    ro = C.BIO_new_mem_buf(b"read only")
    C.BIO_write(ro, b"x")
    assert C.ERR_get_error() == c_code
    C.BIO_free(ro)
    # And the strings, for every BIO reason OpenSSL has a text for.
    compared = 0
    for reason in BIOReason:
        code = C.ERR_PACK(C.ERR_LIB_BIO, reason)
        if LIB.ERR_reason_error_string(code) is None:
            continue  # e.g. BIO_R_NULL_PARAMETER: "unused", no text in libcrypto
        assert C.ERR_error_string(code) == LIB.ERR_error_string(code, None).decode()
        compared += 1
    assert compared >= 25
    for code in (0x80000020, 0x8000006B):  # system errors: EPIPE, ENOTCONN
        assert C.ERR_error_string(code) == LIB.ERR_error_string(code, None).decode()
