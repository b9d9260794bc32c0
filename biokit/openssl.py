"""OpenSSL's C names for biokit: a thin alias table, one C name per line.

Write C-flavoured code with these names and it runs on biokit's BIOs::

    mem = BIO_new(BIO_s_mem)            # BIO *mem = BIO_new(BIO_s_mem());
    BIO_puts(mem, "Hello World\\n")      # BIO_puts(mem, "Hello World\\n");
    BIO_read(mem, 64)                    # n = BIO_read(mem, buf, 64);  -> b"Hello World\\n"

The conventions, all the same as the Python API underneath:

* A "method" (``BIO_s_mem``, ``BIO_f_base64``...) is the BIO class itself, and
  ``BIO_new(method)`` instantiates it.  ``BIO_new_*`` constructors are the classes
  (or a class method) with C's arguments.
* Functions take C's arguments minus buffer lengths and out-parameters, and
  return C's values: a read returns ``bytes`` on success and C's ``int`` (<= 0)
  on failure; a write returns C's ``int``.  ``BIO_new_bio_pair`` returns the two
  halves as a tuple; ``BIO_get_retry_BIO`` returns ``(bio, reason)``.
* Constants are the same numbers as in ``<openssl/bio.h>`` and ``<openssl/err.h>``.

Almost every name is bound to an existing biokit callable.  The ``def``
below are one-line expansions of C macros that OpenSSL defines as a ``BIO_ctrl``
on *any* BIO, never bound to a subclass method: like C they work through
filters (``BIO_do_connect`` on a buffer BIO in front of a connect BIO,
``BIO_ctrl_get_write_guarantee`` on one in front of a BIO pair) and answer 0,
or None for a pointer, on a BIO that does not know the command.  A C
out-parameter (``char **``...) is a list that the BIO's ctrl appends to.
"""

from __future__ import annotations

from typing import IO, Any, TypeVar

from biokit.bio.core import (
    BIO,
    BIO_CB_CTRL,
    BIO_CB_FREE,
    BIO_CB_GETS,
    BIO_CB_PUTS,
    BIO_CB_READ,
    BIO_CB_RETURN,
    BIO_CB_WRITE,
    BIO_CLOSE,
    BIO_FLAGS_IN_EOF,
    BIO_FLAGS_IO_SPECIAL,
    BIO_FLAGS_READ,
    BIO_FLAGS_RWS,
    BIO_FLAGS_SHOULD_RETRY,
    BIO_FLAGS_WRITE,
    BIO_NOCLOSE,
    BIOType,
    Ctrl,
    RetryReason,
    byte_buffer,
    debug_callback,
)
from biokit.bio.f_base64 import BIO_FLAGS_BASE64_NO_NL, Base64BIO
from biokit.bio.f_buffer import (
    BIO_C_GET_BUFF_NUM_LINES,
    BIO_C_SET_BUFF_READ_DATA,
    BIO_C_SET_BUFF_SIZE,
    BIO_CTRL_PEEK,
    BufferBIO,
)
from biokit.bio.f_cipher import CipherBIO, CipherContext
from biokit.bio.f_linebuffer import LineBufferBIO
from biokit.bio.f_md import EVP_MAX_MD_SIZE, DigestBIO, HashContext
from biokit.bio.f_nbio_test import NBIOTestBIO
from biokit.bio.f_null import NullFilterBIO
from biokit.bio.f_prefix import (
    BIO_CTRL_GET_INDENT,
    BIO_CTRL_SET_INDENT,
    BIO_CTRL_SET_PREFIX,
    PrefixBIO,
)
from biokit.bio.f_readbuffer import ReadBufferBIO
from biokit.bio.s_accept import AcceptBIO, ChainFactory
from biokit.bio.s_connect import ConnectBIO
from biokit.bio.s_fd import FdBIO
from biokit.bio.s_file import (
    BIO_FP_APPEND,
    BIO_FP_READ,
    BIO_FP_TEXT,
    BIO_FP_WRITE,
    FileBIO,
    _PathArg,
)
from biokit.bio.s_mem import MemBIO
from biokit.bio.s_null import NullBIO
from biokit.bio.s_pair import PairBIO, bio_pair
from biokit.bio.s_socket import (
    BIO_BIND_NORMAL,
    BIO_BIND_REUSEADDR,
    BIO_BIND_REUSEADDR_IF_UNUSED,
    BIO_C_GET_ACCEPT,
    BIO_C_GET_BIND_MODE,
    BIO_C_GET_CONNECT,
    BIO_C_SET_ACCEPT,
    BIO_C_SET_BIND_MODE,
    BIO_C_SET_CONNECT_MODE,
    BIO_FAMILY_IPANY,
    BIO_FAMILY_IPV4,
    BIO_FAMILY_IPV6,
    BIO_SOCK_KEEPALIVE,
    BIO_SOCK_NODELAY,
    BIO_SOCK_NONBLOCK,
    BIO_SOCK_REUSEADDR,
    BIO_SOCK_V6_ONLY,
    SocketBIO,
    sock_non_fatal_error,
    socket_nbio,
)
from biokit.errors import (
    BIOReason,
    Lib,
    clear_error,
    error_string,
    get_error,
    get_lib,
    get_reason,
    lib_error_string,
    pack_error,
    peek_error,
    peek_last_error,
    print_errors,
    put_error,
    reason_error_string,
)

__all__ = [
    "BIO_BIND_NORMAL",
    "BIO_BIND_REUSEADDR",
    "BIO_BIND_REUSEADDR_IF_UNUSED",
    "BIO_CB_CTRL",
    "BIO_CB_FREE",
    "BIO_CB_GETS",
    "BIO_CB_PUTS",
    "BIO_CB_READ",
    "BIO_CB_RETURN",
    "BIO_CB_WRITE",
    "BIO_CLOSE",
    "BIO_CTRL_DUP",
    "BIO_CTRL_EOF",
    "BIO_CTRL_FLUSH",
    "BIO_CTRL_GET",
    "BIO_CTRL_GET_CALLBACK",
    "BIO_CTRL_GET_CLOSE",
    "BIO_CTRL_GET_INDENT",
    "BIO_CTRL_INFO",
    "BIO_CTRL_PEEK",
    "BIO_CTRL_PENDING",
    "BIO_CTRL_POP",
    "BIO_CTRL_PUSH",
    "BIO_CTRL_RESET",
    "BIO_CTRL_SET",
    "BIO_CTRL_SET_CALLBACK",
    "BIO_CTRL_SET_CLOSE",
    "BIO_CTRL_SET_INDENT",
    "BIO_CTRL_SET_PREFIX",
    "BIO_CTRL_WPENDING",
    "BIO_C_DESTROY_BIO_PAIR",
    "BIO_C_DO_STATE_MACHINE",
    "BIO_C_FILE_SEEK",
    "BIO_C_FILE_TELL",
    "BIO_C_GET_ACCEPT",
    "BIO_C_GET_BIND_MODE",
    "BIO_C_GET_BUFF_NUM_LINES",
    "BIO_C_GET_CIPHER_CTX",
    "BIO_C_GET_CIPHER_STATUS",
    "BIO_C_GET_CONNECT",
    "BIO_C_GET_FD",
    "BIO_C_GET_FILE_PTR",
    "BIO_C_GET_MD",
    "BIO_C_GET_READ_REQUEST",
    "BIO_C_GET_SSL",
    "BIO_C_GET_WRITE_BUF_SIZE",
    "BIO_C_GET_WRITE_GUARANTEE",
    "BIO_C_MAKE_BIO_PAIR",
    "BIO_C_NREAD",
    "BIO_C_NREAD0",
    "BIO_C_NWRITE",
    "BIO_C_NWRITE0",
    "BIO_C_RESET_READ_REQUEST",
    "BIO_C_SET_ACCEPT",
    "BIO_C_SET_BIND_MODE",
    "BIO_C_SET_BUFF_READ_DATA",
    "BIO_C_SET_BUFF_SIZE",
    "BIO_C_SET_BUF_MEM_EOF_RETURN",
    "BIO_C_SET_CONNECT",
    "BIO_C_SET_CONNECT_MODE",
    "BIO_C_SET_FD",
    "BIO_C_SET_FILENAME",
    "BIO_C_SET_FILE_PTR",
    "BIO_C_SET_MD",
    "BIO_C_SET_NBIO",
    "BIO_C_SET_SSL",
    "BIO_C_SET_WRITE_BUF_SIZE",
    "BIO_C_SHUTDOWN_WR",
    "BIO_FAMILY_IPANY",
    "BIO_FAMILY_IPV4",
    "BIO_FAMILY_IPV6",
    "BIO_FLAGS_BASE64_NO_NL",
    "BIO_FLAGS_IN_EOF",
    "BIO_FLAGS_IO_SPECIAL",
    "BIO_FLAGS_READ",
    "BIO_FLAGS_RWS",
    "BIO_FLAGS_SHOULD_RETRY",
    "BIO_FLAGS_WRITE",
    "BIO_FP_APPEND",
    "BIO_FP_READ",
    "BIO_FP_TEXT",
    "BIO_FP_WRITE",
    "BIO_NOCLOSE",
    "BIO_RR_ACCEPT",
    "BIO_RR_CONNECT",
    "BIO_RR_SSL_X509_LOOKUP",
    "BIO_R_ACCEPT_ERROR",
    "BIO_R_AMBIGUOUS_HOST_OR_SERVICE",
    "BIO_R_BAD_FOPEN_MODE",
    "BIO_R_BROKEN_PIPE",
    "BIO_R_CONNECT_ERROR",
    "BIO_R_INVALID_ARGUMENT",
    "BIO_R_INVALID_SOCKET",
    "BIO_R_IN_USE",
    "BIO_R_LENGTH_TOO_LONG",
    "BIO_R_LISTEN_V6_ONLY",
    "BIO_R_LOOKUP_RETURNED_NOTHING",
    "BIO_R_MALFORMED_HOST_OR_SERVICE",
    "BIO_R_NBIO_CONNECT_ERROR",
    "BIO_R_NO_ACCEPT_ADDR_OR_SERVICE_SPECIFIED",
    "BIO_R_NO_HOSTNAME_OR_SERVICE_SPECIFIED",
    "BIO_R_NO_PORT_DEFINED",
    "BIO_R_NO_SUCH_FILE",
    "BIO_R_NULL_PARAMETER",
    "BIO_R_UNABLE_TO_BIND_SOCKET",
    "BIO_R_UNABLE_TO_CREATE_SOCKET",
    "BIO_R_UNABLE_TO_KEEPALIVE",
    "BIO_R_UNABLE_TO_LISTEN_SOCKET",
    "BIO_R_UNABLE_TO_NODELAY",
    "BIO_R_UNABLE_TO_REUSEADDR",
    "BIO_R_UNINITIALIZED",
    "BIO_R_UNSUPPORTED_IP_FAMILY",
    "BIO_R_UNSUPPORTED_METHOD",
    "BIO_R_UNSUPPORTED_PROTOCOL_FAMILY",
    "BIO_R_WRITE_TO_READ_ONLY_BIO",
    "BIO_SOCK_KEEPALIVE",
    "BIO_SOCK_NODELAY",
    "BIO_SOCK_NONBLOCK",
    "BIO_SOCK_REUSEADDR",
    "BIO_SOCK_V6_ONLY",
    "BIO_TYPE_ACCEPT",
    "BIO_TYPE_BASE64",
    "BIO_TYPE_BIO",
    "BIO_TYPE_BUFFER",
    "BIO_TYPE_CIPHER",
    "BIO_TYPE_CONNECT",
    "BIO_TYPE_DESCRIPTOR",
    "BIO_TYPE_FD",
    "BIO_TYPE_FILE",
    "BIO_TYPE_FILTER",
    "BIO_TYPE_LINEBUFFER",
    "BIO_TYPE_MD",
    "BIO_TYPE_MEM",
    "BIO_TYPE_NBIO_TEST",
    "BIO_TYPE_NONE",
    "BIO_TYPE_NULL",
    "BIO_TYPE_NULL_FILTER",
    "BIO_TYPE_SOCKET",
    "BIO_TYPE_SOURCE_SINK",
    "BIO_TYPE_SSL",
    "BIO_TYPE_START",
    "ERR_GET_LIB",
    "ERR_GET_REASON",
    "ERR_LIB_ASN1",
    "ERR_LIB_BIO",
    "ERR_LIB_BN",
    "ERR_LIB_BUF",
    "ERR_LIB_CRYPTO",
    "ERR_LIB_EC",
    "ERR_LIB_EVP",
    "ERR_LIB_NONE",
    "ERR_LIB_PEM",
    "ERR_LIB_PROV",
    "ERR_LIB_RSA",
    "ERR_LIB_SSL",
    "ERR_LIB_SYS",
    "ERR_LIB_USER",
    "ERR_LIB_X509",
    "ERR_LIB_X509V3",
    "ERR_PACK",
    "EVP_MAX_MD_SIZE",
    "BIO_append_filename",
    "BIO_buffer_peek",
    "BIO_clear_flags",
    "BIO_clear_retry_flags",
    "BIO_copy_next_retry",
    "BIO_ctrl",
    "BIO_ctrl_get_read_request",
    "BIO_ctrl_get_write_guarantee",
    "BIO_ctrl_pending",
    "BIO_ctrl_reset_read_request",
    "BIO_ctrl_wpending",
    "BIO_debug_callback_ex",
    "BIO_destroy_bio_pair",
    "BIO_do_accept",
    "BIO_do_connect",
    "BIO_do_handshake",
    "BIO_eof",
    "BIO_f_base64",
    "BIO_f_buffer",
    "BIO_f_cipher",
    "BIO_f_linebuffer",
    "BIO_f_md",
    "BIO_f_nbio_test",
    "BIO_f_null",
    "BIO_f_prefix",
    "BIO_f_readbuffer",
    "BIO_find_type",
    "BIO_flush",
    "BIO_free",
    "BIO_free_all",
    "BIO_get_accept_ip_family",
    "BIO_get_accept_name",
    "BIO_get_accept_port",
    "BIO_get_bind_mode",
    "BIO_get_buffer_num_lines",
    "BIO_get_callback_ex",
    "BIO_get_cipher_ctx",
    "BIO_get_cipher_status",
    "BIO_get_close",
    "BIO_get_conn_hostname",
    "BIO_get_conn_port",
    "BIO_get_fd",
    "BIO_get_fp",
    "BIO_get_indent",
    "BIO_get_md",
    "BIO_get_md_ctx",
    "BIO_get_mem_data",
    "BIO_get_peer_name",
    "BIO_get_peer_port",
    "BIO_get_read_request",
    "BIO_get_retry_BIO",
    "BIO_get_retry_flags",
    "BIO_get_retry_reason",
    "BIO_get_write_buf_size",
    "BIO_get_write_guarantee",
    "BIO_gets",
    "BIO_make_bio_pair",
    "BIO_method_name",
    "BIO_method_type",
    "BIO_new",
    "BIO_new_accept",
    "BIO_new_bio_pair",
    "BIO_new_connect",
    "BIO_new_fd",
    "BIO_new_file",
    "BIO_new_fp",
    "BIO_new_mem_buf",
    "BIO_new_socket",
    "BIO_next",
    "BIO_nread",
    "BIO_nread0",
    "BIO_nwrite",
    "BIO_nwrite0",
    "BIO_pending",
    "BIO_pop",
    "BIO_push",
    "BIO_puts",
    "BIO_read",
    "BIO_read_ex",
    "BIO_read_filename",
    "BIO_reset",
    "BIO_rw_filename",
    "BIO_s_accept",
    "BIO_s_bio",
    "BIO_s_connect",
    "BIO_s_fd",
    "BIO_s_file",
    "BIO_s_mem",
    "BIO_s_null",
    "BIO_s_socket",
    "BIO_seek",
    "BIO_set_accept_bios",
    "BIO_set_accept_ip_family",
    "BIO_set_accept_name",
    "BIO_set_accept_port",
    "BIO_set_bind_mode",
    "BIO_set_buffer_read_data",
    "BIO_set_buffer_size",
    "BIO_set_callback_ex",
    "BIO_set_cipher",
    "BIO_set_close",
    "BIO_set_conn_hostname",
    "BIO_set_conn_ip_family",
    "BIO_set_conn_mode",
    "BIO_set_conn_port",
    "BIO_set_fd",
    "BIO_set_flags",
    "BIO_set_fp",
    "BIO_set_indent",
    "BIO_set_md",
    "BIO_set_mem_eof_return",
    "BIO_set_nbio",
    "BIO_set_nbio_accept",
    "BIO_set_prefix",
    "BIO_set_read_buffer_size",
    "BIO_set_retry_read",
    "BIO_set_retry_special",
    "BIO_set_retry_write",
    "BIO_set_write_buf_size",
    "BIO_set_write_buffer_size",
    "BIO_should_io_special",
    "BIO_should_read",
    "BIO_should_retry",
    "BIO_should_write",
    "BIO_shutdown_wr",
    "BIO_sock_non_fatal_error",
    "BIO_socket_nbio",
    "BIO_tell",
    "BIO_test_flags",
    "BIO_vfree",
    "BIO_wpending",
    "BIO_write",
    "BIO_write_ex",
    "BIO_write_filename",
    "ERR_clear_error",
    "ERR_error_string",
    "ERR_get_error",
    "ERR_lib_error_string",
    "ERR_peek_error",
    "ERR_peek_last_error",
    "ERR_print_errors",
    "ERR_print_errors_fp",
    "ERR_raise",
    "ERR_raise_data",
    "ERR_reason_error_string",
]

_B = TypeVar("_B", bound=BIO)

# ============================================================================ BIO layer

# ---------------------------------------------------------------- methods and constructors
# A method is the class: BIO_new(BIO_s_mem) is MemBIO().


def BIO_new(method: type[_B]) -> _B:
    """BIO_new: a fresh BIO of the type ``method`` (a ``BIO_s_*``/``BIO_f_*`` name)."""
    return method()


BIO_s_mem = MemBIO
BIO_s_bio = PairBIO
BIO_s_null = NullBIO
BIO_s_file = FileBIO
BIO_s_fd = FdBIO
BIO_s_socket = SocketBIO
BIO_s_connect = ConnectBIO
BIO_s_accept = AcceptBIO

BIO_f_buffer = BufferBIO
BIO_f_linebuffer = LineBufferBIO
BIO_f_readbuffer = ReadBufferBIO
BIO_f_null = NullFilterBIO
BIO_f_base64 = Base64BIO
BIO_f_md = DigestBIO
BIO_f_cipher = CipherBIO
BIO_f_prefix = PrefixBIO
BIO_f_nbio_test = NBIOTestBIO

BIO_new_mem_buf = MemBIO  # (data) -> read-only memory BIO
BIO_new_bio_pair = bio_pair  # (writebuf1, writebuf2) -> (bio1, bio2)
BIO_new_file = FileBIO.open  # (filename, mode) -> FileBIO | None
BIO_new_fp = FileBIO  # (fileobj, close_flag)
BIO_new_fd = FdBIO  # (fd, close_flag)
BIO_new_socket = SocketBIO  # (sock, close_flag)
BIO_new_connect = ConnectBIO  # ("host:port")
BIO_new_accept = AcceptBIO  # ("host:port")

BIO_free = BIO.free
BIO_vfree = BIO.free
BIO_free_all = BIO.free_all

# ---------------------------------------------------------------- I/O
BIO_read = BIO.read_c  # bytes, or C's int <= 0
BIO_read_ex = BIO.read_ex  # bytes, or 0
BIO_write = BIO.write
BIO_write_ex = BIO.write_ex
BIO_gets = BIO.gets_c  # the line, or C's int <= 0 (-2: unsupported)
BIO_puts = BIO.puts
BIO_ctrl = BIO.ctrl
BIO_flush = BIO.flush
BIO_pending = BIO.pending
BIO_ctrl_pending = BIO.pending
BIO_wpending = BIO.wpending
BIO_ctrl_wpending = BIO.wpending
BIO_eof = BIO.eof
BIO_reset = BIO.reset
BIO_set_close = BIO.set_close
BIO_get_close = BIO.get_close
BIO_method_type = BIO.method_type
BIO_method_name = BIO.method_name

# ---------------------------------------------------------------- retry flags
BIO_should_retry = BIO.should_retry
BIO_should_read = BIO.should_read
BIO_should_write = BIO.should_write
BIO_should_io_special = BIO.should_io_special
BIO_get_retry_flags = BIO.get_retry_flags
BIO_get_retry_reason = BIO.get_retry_reason
BIO_get_retry_BIO = BIO.get_retry_bio  # -> (bio, reason)
BIO_set_retry_read = BIO.set_retry_read
BIO_set_retry_write = BIO.set_retry_write
BIO_set_retry_special = BIO.set_retry_special
BIO_clear_retry_flags = BIO.clear_retry_flags
BIO_copy_next_retry = BIO.copy_next_retry

# ---------------------------------------------------------------- chains
BIO_push = BIO.push
BIO_pop = BIO.pop
BIO_next = BIO.next_bio
BIO_find_type = BIO.find_type

# ---------------------------------------------------------------- callbacks
BIO_set_callback_ex = BIO.set_callback
BIO_get_callback_ex = BIO.get_callback
BIO_debug_callback_ex = debug_callback

# ---------------------------------------------------------------- generic ctrl macros
# OpenSSL defines these as BIO_ctrl on any BIO; filters pass them down the chain.


def BIO_do_handshake(b: BIO) -> int:
    """BIO_do_handshake: BIO_ctrl(b, BIO_C_DO_STATE_MACHINE, 0, NULL)."""
    return b.ctrl(Ctrl.C_DO_STATE_MACHINE)


BIO_do_connect = BIO_do_handshake
BIO_do_accept = BIO_do_handshake


def BIO_set_nbio(b: BIO, n: int) -> int:
    """BIO_set_nbio: BIO_ctrl(b, BIO_C_SET_NBIO, n, NULL)."""
    return b.ctrl(Ctrl.C_SET_NBIO, n)


def BIO_get_fd(b: BIO) -> int:
    """BIO_get_fd: BIO_ctrl(b, BIO_C_GET_FD, 0, NULL); the descriptor, or -1."""
    return b.ctrl(Ctrl.C_GET_FD)


def BIO_set_fd(b: BIO, fd: int, c: int) -> int:
    """BIO_set_fd: BIO_int_ctrl(b, BIO_C_SET_FD, c, fd)."""
    return b.ctrl(Ctrl.C_SET_FD, c, fd)


def BIO_seek(b: BIO, ofs: int) -> int:
    """BIO_seek: BIO_ctrl(b, BIO_C_FILE_SEEK, ofs, NULL)."""
    return b.ctrl(Ctrl.C_FILE_SEEK, ofs)


def BIO_tell(b: BIO) -> int:
    """BIO_tell: BIO_ctrl(b, BIO_C_FILE_TELL, 0, NULL)."""
    return b.ctrl(Ctrl.C_FILE_TELL)


def BIO_set_flags(b: BIO, flags: int) -> None:
    """BIO_set_flags: ``b->flags |= flags`` (e.g. BIO_FLAGS_BASE64_NO_NL)."""
    b.flags |= flags


def BIO_clear_flags(b: BIO, flags: int) -> None:
    """BIO_clear_flags: ``b->flags &= ~flags``."""
    b.flags &= ~flags


def BIO_test_flags(b: BIO, flags: int) -> int:
    """BIO_test_flags: ``b->flags & flags``."""
    return b.flags & flags


# ---------------------------------------------------------------- type-specific ctrl macros
# These too are BIO_ctrl in C, so they pass through filters (a BufferBIO in front
# of a BIO pair answers BIO_ctrl_get_write_guarantee with the pair's value), and a
# BIO that does not know the command answers 0 (or -1), never an exception.
# C's out-parameters (char **, EVP_MD **...) are a list the ctrl appends to; the
# wrapper returns what was put there, or C's return value if nothing answered.


def _ctrl_out(b: BIO, cmd: int, larg: int = 0) -> tuple[int, list[Any]]:
    out: list[Any] = []
    return b.ctrl(cmd, larg, out), out


def _ptr_ctrl(b: BIO, cmd: int, larg: int) -> str | None:
    # BIO_ptr_ctrl for the char * getters: the string the ctrl stored, or
    # NULL (None) if the ctrl failed or stored none.
    r, out = _ctrl_out(b, cmd, larg)
    return str(out[0]) if r > 0 and out and out[0] is not None else None


def BIO_set_mem_eof_return(b: BIO, v: int) -> int:
    """BIO_set_mem_eof_return: BIO_ctrl(b, BIO_C_SET_BUF_MEM_EOF_RETURN, v, NULL)."""
    return b.ctrl(Ctrl.C_SET_BUF_MEM_EOF_RETURN, v)


def BIO_get_mem_data(b: BIO) -> bytes | int:
    """BIO_get_mem_data: BIO_ctrl(b, BIO_CTRL_INFO, 0, &pp); the unread bytes, or C's value."""
    r, out = _ctrl_out(b, Ctrl.INFO)
    return bytes(out[0]) if out else r


# BIO_s_bio
def BIO_make_bio_pair(b1: BIO, b2: BIO) -> int:
    """BIO_make_bio_pair: BIO_ctrl(b1, BIO_C_MAKE_BIO_PAIR, 0, b2)."""
    return b1.ctrl(Ctrl.C_MAKE_BIO_PAIR, 0, b2)


def BIO_destroy_bio_pair(b: BIO) -> int:
    """BIO_destroy_bio_pair: BIO_ctrl(b, BIO_C_DESTROY_BIO_PAIR, 0, NULL)."""
    return b.ctrl(Ctrl.C_DESTROY_BIO_PAIR)


def BIO_shutdown_wr(b: BIO) -> int:
    """BIO_shutdown_wr: BIO_ctrl(b, BIO_C_SHUTDOWN_WR, 0, NULL)."""
    return b.ctrl(Ctrl.C_SHUTDOWN_WR)


def BIO_set_write_buf_size(b: BIO, size: int) -> int:
    """BIO_set_write_buf_size: BIO_ctrl(b, BIO_C_SET_WRITE_BUF_SIZE, size, NULL)."""
    return b.ctrl(Ctrl.C_SET_WRITE_BUF_SIZE, size)


def BIO_get_write_buf_size(b: BIO) -> int:
    """BIO_get_write_buf_size: BIO_ctrl(b, BIO_C_GET_WRITE_BUF_SIZE, 0, NULL)."""
    return b.ctrl(Ctrl.C_GET_WRITE_BUF_SIZE)


def BIO_get_write_guarantee(b: BIO) -> int:
    """BIO_get_write_guarantee: BIO_ctrl(b, BIO_C_GET_WRITE_GUARANTEE, 0, NULL)."""
    return b.ctrl(Ctrl.C_GET_WRITE_GUARANTEE)


def BIO_get_read_request(b: BIO) -> int:
    """BIO_get_read_request: BIO_ctrl(b, BIO_C_GET_READ_REQUEST, 0, NULL)."""
    return b.ctrl(Ctrl.C_GET_READ_REQUEST)


BIO_ctrl_get_write_guarantee = BIO_get_write_guarantee  # (the same BIO_ctrl, as a function)
BIO_ctrl_get_read_request = BIO_get_read_request


def BIO_ctrl_reset_read_request(b: BIO) -> int:
    """BIO_ctrl_reset_read_request: BIO_ctrl(b, BIO_C_RESET_READ_REQUEST, 0, NULL) != 0."""
    return 1 if b.ctrl(Ctrl.C_RESET_READ_REQUEST) != 0 else 0


# BIO_nread0 and friends are functions, not macros, but they too are a BIO_ctrl
# on any BIO; on a pair half itself they keep its unpaired check (-2).
def BIO_nread0(b: BIO) -> memoryview | int:
    """BIO_nread0: BIO_ctrl(b, BIO_C_NREAD0, 0, &buf); a view of the readable bytes, or <= 0."""
    if isinstance(b, PairBIO):
        return b.nread0()
    r, out = _ctrl_out(b, Ctrl.C_NREAD0)
    return out[0] if r > 0 and out else r


def BIO_nread(b: BIO, num: int) -> memoryview | int:
    """BIO_nread: BIO_ctrl(b, BIO_C_NREAD, num, &buf); a view of the bytes consumed, or <= 0."""
    if isinstance(b, PairBIO):
        return b.nread(num)
    r, out = _ctrl_out(b, Ctrl.C_NREAD, num)
    if r > 0:
        b.num_read += r  # counted on the BIO the call was made on, as in C
    return out[0] if r > 0 and out else r


def BIO_nwrite0(b: BIO) -> memoryview | int:
    """BIO_nwrite0: BIO_ctrl(b, BIO_C_NWRITE0, 0, &buf); a writable view, or <= 0."""
    if isinstance(b, PairBIO):
        return b.nwrite0()
    r, out = _ctrl_out(b, Ctrl.C_NWRITE0)
    return out[0] if r > 0 and out else r


def BIO_nwrite(b: BIO, num: int) -> memoryview | int:
    """BIO_nwrite: BIO_ctrl(b, BIO_C_NWRITE, num, &buf); the view to fill, or <= 0."""
    if isinstance(b, PairBIO):
        return b.nwrite(num)
    r, out = _ctrl_out(b, Ctrl.C_NWRITE, num)
    if r > 0:
        b.num_write += r
    return out[0] if r > 0 and out else r


# BIO_s_file
def BIO_set_fp(b: BIO, fp: IO[bytes], c: int = BIO_NOCLOSE) -> int:
    """BIO_set_fp: BIO_ctrl(b, BIO_C_SET_FILE_PTR, c, fp)."""
    return b.ctrl(Ctrl.C_SET_FILE_PTR, c, fp)


def BIO_get_fp(b: BIO) -> IO[bytes] | None:
    """BIO_get_fp: BIO_ctrl(b, BIO_C_GET_FILE_PTR, 0, &fp); the file object, or None."""
    r, out = _ctrl_out(b, Ctrl.C_GET_FILE_PTR)
    fp: IO[bytes] | None = out[0] if r > 0 and out else None
    return fp


def BIO_read_filename(b: BIO, name: _PathArg) -> int:
    """BIO_read_filename: BIO_ctrl(b, BIO_C_SET_FILENAME, BIO_CLOSE | BIO_FP_READ, name)."""
    return b.ctrl(Ctrl.C_SET_FILENAME, BIO_CLOSE | BIO_FP_READ, name)


def BIO_write_filename(b: BIO, name: _PathArg) -> int:
    """BIO_write_filename: BIO_ctrl(b, BIO_C_SET_FILENAME, BIO_CLOSE | BIO_FP_WRITE, name)."""
    return b.ctrl(Ctrl.C_SET_FILENAME, BIO_CLOSE | BIO_FP_WRITE, name)


def BIO_append_filename(b: BIO, name: _PathArg) -> int:
    """BIO_append_filename: BIO_ctrl(b, BIO_C_SET_FILENAME, BIO_CLOSE | BIO_FP_APPEND, name)."""
    return b.ctrl(Ctrl.C_SET_FILENAME, BIO_CLOSE | BIO_FP_APPEND, name)


def BIO_rw_filename(b: BIO, name: _PathArg) -> int:
    """BIO_rw_filename: BIO_ctrl(b, BIO_C_SET_FILENAME, BIO_CLOSE | BIO_FP_READ | BIO_FP_WRITE)."""
    return b.ctrl(Ctrl.C_SET_FILENAME, BIO_CLOSE | BIO_FP_READ | BIO_FP_WRITE, name)


# ---------------------------------------------------------------- sockets
BIO_socket_nbio = socket_nbio  # (sock, mode)
BIO_sock_non_fatal_error = sock_non_fatal_error


def BIO_set_conn_hostname(b: BIO, name: str) -> int:
    """BIO_set_conn_hostname: BIO_ctrl(b, BIO_C_SET_CONNECT, 0, name)."""
    return b.ctrl(Ctrl.C_SET_CONNECT, 0, name)


def BIO_set_conn_port(b: BIO, port: str | int) -> int:
    """BIO_set_conn_port: BIO_ctrl(b, BIO_C_SET_CONNECT, 1, port)."""
    return b.ctrl(Ctrl.C_SET_CONNECT, 1, port)


def BIO_set_conn_ip_family(b: BIO, family: int) -> int:
    """BIO_set_conn_ip_family: BIO_int_ctrl(b, BIO_C_SET_CONNECT, 3, family)."""
    return b.ctrl(Ctrl.C_SET_CONNECT, 3, family)


def BIO_get_conn_hostname(b: BIO) -> str | None:
    """BIO_get_conn_hostname: BIO_ptr_ctrl(b, BIO_C_GET_CONNECT, 0); None for NULL."""
    return _ptr_ctrl(b, Ctrl.C_GET_CONNECT, 0)


def BIO_get_conn_port(b: BIO) -> str | None:
    """BIO_get_conn_port: BIO_ptr_ctrl(b, BIO_C_GET_CONNECT, 1); None for NULL."""
    return _ptr_ctrl(b, Ctrl.C_GET_CONNECT, 1)


def BIO_set_conn_mode(b: BIO, mode: int) -> int:
    """BIO_set_conn_mode: BIO_ctrl(b, BIO_C_SET_CONNECT_MODE, mode, NULL)."""
    return b.ctrl(Ctrl.C_SET_CONNECT_MODE, mode)


def BIO_set_accept_name(b: BIO, name: str) -> int:
    """BIO_set_accept_name: BIO_ctrl(b, BIO_C_SET_ACCEPT, 0, name)."""
    return b.ctrl(Ctrl.C_SET_ACCEPT, 0, name)


def BIO_set_accept_port(b: BIO, port: str | int) -> int:
    """BIO_set_accept_port: BIO_ctrl(b, BIO_C_SET_ACCEPT, 1, port)."""
    return b.ctrl(Ctrl.C_SET_ACCEPT, 1, port)


def BIO_set_nbio_accept(b: BIO, n: int) -> int:
    """BIO_set_nbio_accept: BIO_ctrl(b, BIO_C_SET_ACCEPT, 2, n ? "a" : NULL)."""
    return b.ctrl(Ctrl.C_SET_ACCEPT, 2, "a" if n else None)


def BIO_set_accept_bios(b: BIO, factory: ChainFactory | None) -> int:
    """BIO_set_accept_bios: BIO_ctrl(b, BIO_C_SET_ACCEPT, 3, bio); here a chain factory."""
    return b.ctrl(Ctrl.C_SET_ACCEPT, 3, factory)


def BIO_set_accept_ip_family(b: BIO, family: int) -> int:
    """BIO_set_accept_ip_family: BIO_int_ctrl(b, BIO_C_SET_ACCEPT, 4, family)."""
    return b.ctrl(Ctrl.C_SET_ACCEPT, 4, family)


def BIO_get_accept_ip_family(b: BIO) -> int:
    """BIO_get_accept_ip_family: BIO_ctrl(b, BIO_C_GET_ACCEPT, 4, NULL)."""
    return b.ctrl(Ctrl.C_GET_ACCEPT, 4)


def BIO_get_accept_name(b: BIO) -> str | None:
    """BIO_get_accept_name: BIO_ptr_ctrl(b, BIO_C_GET_ACCEPT, 0); None for NULL."""
    return _ptr_ctrl(b, Ctrl.C_GET_ACCEPT, 0)


def BIO_get_accept_port(b: BIO) -> str | None:
    """BIO_get_accept_port: BIO_ptr_ctrl(b, BIO_C_GET_ACCEPT, 1); None for NULL."""
    return _ptr_ctrl(b, Ctrl.C_GET_ACCEPT, 1)


def BIO_get_peer_name(b: BIO) -> str | None:
    """BIO_get_peer_name: BIO_ptr_ctrl(b, BIO_C_GET_ACCEPT, 2); None for NULL."""
    return _ptr_ctrl(b, Ctrl.C_GET_ACCEPT, 2)


def BIO_get_peer_port(b: BIO) -> str | None:
    """BIO_get_peer_port: BIO_ptr_ctrl(b, BIO_C_GET_ACCEPT, 3); None for NULL."""
    return _ptr_ctrl(b, Ctrl.C_GET_ACCEPT, 3)


def BIO_set_bind_mode(b: BIO, mode: int) -> int:
    """BIO_set_bind_mode: BIO_ctrl(b, BIO_C_SET_BIND_MODE, mode, NULL)."""
    return b.ctrl(BIO_C_SET_BIND_MODE, mode)


def BIO_get_bind_mode(b: BIO) -> int:
    """BIO_get_bind_mode: BIO_ctrl(b, BIO_C_GET_BIND_MODE, 0, NULL)."""
    return b.ctrl(BIO_C_GET_BIND_MODE)


# ---------------------------------------------------------------- filters
def BIO_set_buffer_size(b: BIO, size: int) -> int:
    """BIO_set_buffer_size: BIO_ctrl(b, BIO_C_SET_BUFF_SIZE, size, NULL)."""
    return b.ctrl(BIO_C_SET_BUFF_SIZE, size, None)


def BIO_set_read_buffer_size(b: BIO, size: int) -> int:
    """BIO_set_read_buffer_size: BIO_int_ctrl(b, BIO_C_SET_BUFF_SIZE, size, 0)."""
    return b.ctrl(BIO_C_SET_BUFF_SIZE, size, 0)


def BIO_set_write_buffer_size(b: BIO, size: int) -> int:
    """BIO_set_write_buffer_size: BIO_int_ctrl(b, BIO_C_SET_BUFF_SIZE, size, 1)."""
    return b.ctrl(BIO_C_SET_BUFF_SIZE, size, 1)


def BIO_set_buffer_read_data(b: BIO, data: bytes | bytearray | memoryview) -> int:
    """BIO_set_buffer_read_data: BIO_ctrl(b, BIO_C_SET_BUFF_READ_DATA, num, buf)."""
    buf = byte_buffer(data)
    return b.ctrl(BIO_C_SET_BUFF_READ_DATA, len(buf), buf)


def BIO_get_buffer_num_lines(b: BIO) -> int:
    """BIO_get_buffer_num_lines: BIO_ctrl(b, BIO_C_GET_BUFF_NUM_LINES, 0, NULL)."""
    return b.ctrl(BIO_C_GET_BUFF_NUM_LINES)


def BIO_buffer_peek(b: BIO, size: int) -> bytes:
    """BIO_buffer_peek: BIO_ctrl(b, BIO_CTRL_PEEK, size, buf); the bytes peeked (maybe none)."""
    out = bytearray()
    b.ctrl(BIO_CTRL_PEEK, size, out)
    return bytes(out)


def BIO_set_md(b: BIO, md: str) -> int:
    """BIO_set_md: BIO_ctrl(b, BIO_C_SET_MD, 0, md); ``md`` is a digest name."""
    return b.ctrl(Ctrl.C_SET_MD, 0, md)


def BIO_get_md(b: BIO) -> str | None:
    """BIO_get_md: BIO_ctrl(b, BIO_C_GET_MD, 0, &md); the digest's short name, or None."""
    r, out = _ctrl_out(b, Ctrl.C_GET_MD)
    return out[0] if r > 0 and out else None


def BIO_get_md_ctx(b: BIO) -> HashContext | None:
    """BIO_get_md_ctx: BIO_ctrl(b, BIO_C_GET_MD_CTX, 0, &ctx); the live context, or None."""
    r, out = _ctrl_out(b, Ctrl.C_GET_MD_CTX)
    return out[0] if r > 0 and out else None


# A function in C too, which (unlike the macros) only works on a cipher BIO.
BIO_set_cipher = CipherBIO.set_cipher  # (b, "aes-128-cbc", key, iv, enc)


def BIO_get_cipher_status(b: BIO) -> int:
    """BIO_get_cipher_status: BIO_ctrl(b, BIO_C_GET_CIPHER_STATUS, 0, NULL)."""
    return b.ctrl(Ctrl.C_GET_CIPHER_STATUS)


def BIO_get_cipher_ctx(b: BIO) -> CipherContext | None:
    """BIO_get_cipher_ctx: BIO_ctrl(b, BIO_C_GET_CIPHER_CTX, 0, &ctx); the context, or None."""
    r, out = _ctrl_out(b, Ctrl.C_GET_CIPHER_CTX)
    return out[0] if r > 0 and out else None


def BIO_set_prefix(b: BIO, prefix: bytes | str | None) -> int:
    """BIO_set_prefix: BIO_ctrl(b, BIO_CTRL_SET_PREFIX, 0, prefix)."""
    return b.ctrl(BIO_CTRL_SET_PREFIX, 0, prefix)


def BIO_set_indent(b: BIO, indent: int) -> int:
    """BIO_set_indent: BIO_ctrl(b, BIO_CTRL_SET_INDENT, indent, NULL)."""
    return b.ctrl(BIO_CTRL_SET_INDENT, indent)


def BIO_get_indent(b: BIO) -> int:
    """BIO_get_indent: BIO_ctrl(b, BIO_CTRL_GET_INDENT, 0, NULL)."""
    return b.ctrl(BIO_CTRL_GET_INDENT)


# ---------------------------------------------------------------- constants
BIO_TYPE_NONE = BIOType.NONE
BIO_TYPE_DESCRIPTOR = BIOType.DESCRIPTOR
BIO_TYPE_FILTER = BIOType.FILTER
BIO_TYPE_SOURCE_SINK = BIOType.SOURCE_SINK
BIO_TYPE_MEM = BIOType.MEM
BIO_TYPE_FILE = BIOType.FILE
BIO_TYPE_FD = BIOType.FD
BIO_TYPE_SOCKET = BIOType.SOCKET
BIO_TYPE_NULL = BIOType.NULL
BIO_TYPE_SSL = BIOType.SSL
BIO_TYPE_MD = BIOType.MD
BIO_TYPE_BUFFER = BIOType.BUFFER
BIO_TYPE_CIPHER = BIOType.CIPHER
BIO_TYPE_BASE64 = BIOType.BASE64
BIO_TYPE_CONNECT = BIOType.CONNECT
BIO_TYPE_ACCEPT = BIOType.ACCEPT
BIO_TYPE_NBIO_TEST = BIOType.NBIO_TEST
BIO_TYPE_NULL_FILTER = BIOType.NULL_FILTER
BIO_TYPE_BIO = BIOType.BIO
BIO_TYPE_LINEBUFFER = BIOType.LINEBUFFER
BIO_TYPE_START = BIOType.START

BIO_RR_SSL_X509_LOOKUP = RetryReason.SSL_X509_LOOKUP
BIO_RR_CONNECT = RetryReason.CONNECT
BIO_RR_ACCEPT = RetryReason.ACCEPT

BIO_CTRL_RESET = Ctrl.RESET
BIO_CTRL_EOF = Ctrl.EOF
BIO_CTRL_INFO = Ctrl.INFO
BIO_CTRL_SET = Ctrl.SET
BIO_CTRL_GET = Ctrl.GET
BIO_CTRL_PUSH = Ctrl.PUSH
BIO_CTRL_POP = Ctrl.POP
BIO_CTRL_GET_CLOSE = Ctrl.GET_CLOSE
BIO_CTRL_SET_CLOSE = Ctrl.SET_CLOSE
BIO_CTRL_PENDING = Ctrl.PENDING
BIO_CTRL_FLUSH = Ctrl.FLUSH
BIO_CTRL_DUP = Ctrl.DUP
BIO_CTRL_WPENDING = Ctrl.WPENDING
BIO_CTRL_SET_CALLBACK = Ctrl.SET_CALLBACK
BIO_CTRL_GET_CALLBACK = Ctrl.GET_CALLBACK

BIO_C_SET_CONNECT = Ctrl.C_SET_CONNECT
BIO_C_DO_STATE_MACHINE = Ctrl.C_DO_STATE_MACHINE
BIO_C_SET_NBIO = Ctrl.C_SET_NBIO
BIO_C_SET_FD = Ctrl.C_SET_FD
BIO_C_GET_FD = Ctrl.C_GET_FD
BIO_C_SET_FILE_PTR = Ctrl.C_SET_FILE_PTR
BIO_C_GET_FILE_PTR = Ctrl.C_GET_FILE_PTR
BIO_C_SET_FILENAME = Ctrl.C_SET_FILENAME
BIO_C_SET_SSL = Ctrl.C_SET_SSL
BIO_C_GET_SSL = Ctrl.C_GET_SSL
BIO_C_SET_MD = Ctrl.C_SET_MD
BIO_C_GET_MD = Ctrl.C_GET_MD
BIO_C_GET_CIPHER_STATUS = Ctrl.C_GET_CIPHER_STATUS
BIO_C_FILE_SEEK = Ctrl.C_FILE_SEEK
BIO_C_GET_CIPHER_CTX = Ctrl.C_GET_CIPHER_CTX
BIO_C_SET_BUF_MEM_EOF_RETURN = Ctrl.C_SET_BUF_MEM_EOF_RETURN
BIO_C_FILE_TELL = Ctrl.C_FILE_TELL
BIO_C_SET_WRITE_BUF_SIZE = Ctrl.C_SET_WRITE_BUF_SIZE
BIO_C_GET_WRITE_BUF_SIZE = Ctrl.C_GET_WRITE_BUF_SIZE
BIO_C_MAKE_BIO_PAIR = Ctrl.C_MAKE_BIO_PAIR
BIO_C_DESTROY_BIO_PAIR = Ctrl.C_DESTROY_BIO_PAIR
BIO_C_GET_WRITE_GUARANTEE = Ctrl.C_GET_WRITE_GUARANTEE
BIO_C_GET_READ_REQUEST = Ctrl.C_GET_READ_REQUEST
BIO_C_SHUTDOWN_WR = Ctrl.C_SHUTDOWN_WR
BIO_C_NREAD0 = Ctrl.C_NREAD0
BIO_C_NREAD = Ctrl.C_NREAD
BIO_C_NWRITE0 = Ctrl.C_NWRITE0
BIO_C_NWRITE = Ctrl.C_NWRITE
BIO_C_RESET_READ_REQUEST = Ctrl.C_RESET_READ_REQUEST

BIO_R_ACCEPT_ERROR = BIOReason.ACCEPT_ERROR
BIO_R_AMBIGUOUS_HOST_OR_SERVICE = BIOReason.AMBIGUOUS_HOST_OR_SERVICE
BIO_R_BAD_FOPEN_MODE = BIOReason.BAD_FOPEN_MODE
BIO_R_BROKEN_PIPE = BIOReason.BROKEN_PIPE
BIO_R_CONNECT_ERROR = BIOReason.CONNECT_ERROR
BIO_R_INVALID_ARGUMENT = BIOReason.INVALID_ARGUMENT
BIO_R_INVALID_SOCKET = BIOReason.INVALID_SOCKET
BIO_R_IN_USE = BIOReason.IN_USE
BIO_R_LENGTH_TOO_LONG = BIOReason.LENGTH_TOO_LONG
BIO_R_LISTEN_V6_ONLY = BIOReason.LISTEN_V6_ONLY
BIO_R_LOOKUP_RETURNED_NOTHING = BIOReason.LOOKUP_RETURNED_NOTHING
BIO_R_MALFORMED_HOST_OR_SERVICE = BIOReason.MALFORMED_HOST_OR_SERVICE
BIO_R_NBIO_CONNECT_ERROR = BIOReason.NBIO_CONNECT_ERROR
BIO_R_NO_ACCEPT_ADDR_OR_SERVICE_SPECIFIED = BIOReason.NO_ACCEPT_ADDR_OR_SERVICE_SPECIFIED
BIO_R_NO_HOSTNAME_OR_SERVICE_SPECIFIED = BIOReason.NO_HOSTNAME_OR_SERVICE_SPECIFIED
BIO_R_NO_PORT_DEFINED = BIOReason.NO_PORT_DEFINED
BIO_R_NO_SUCH_FILE = BIOReason.NO_SUCH_FILE
BIO_R_NULL_PARAMETER = BIOReason.NULL_PARAMETER
BIO_R_UNABLE_TO_BIND_SOCKET = BIOReason.UNABLE_TO_BIND_SOCKET
BIO_R_UNABLE_TO_CREATE_SOCKET = BIOReason.UNABLE_TO_CREATE_SOCKET
BIO_R_UNABLE_TO_KEEPALIVE = BIOReason.UNABLE_TO_KEEPALIVE
BIO_R_UNABLE_TO_LISTEN_SOCKET = BIOReason.UNABLE_TO_LISTEN_SOCKET
BIO_R_UNABLE_TO_NODELAY = BIOReason.UNABLE_TO_NODELAY
BIO_R_UNABLE_TO_REUSEADDR = BIOReason.UNABLE_TO_REUSEADDR
BIO_R_UNINITIALIZED = BIOReason.UNINITIALIZED
BIO_R_UNSUPPORTED_IP_FAMILY = BIOReason.UNSUPPORTED_IP_FAMILY
BIO_R_UNSUPPORTED_METHOD = BIOReason.UNSUPPORTED_METHOD
BIO_R_UNSUPPORTED_PROTOCOL_FAMILY = BIOReason.UNSUPPORTED_PROTOCOL_FAMILY
BIO_R_WRITE_TO_READ_ONLY_BIO = BIOReason.WRITE_TO_READ_ONLY_BIO

# The rest come from the BIO modules and are re-exported as they are:
# BIO_CB_*, BIO_CLOSE/BIO_NOCLOSE, BIO_FLAGS_*, BIO_FP_*, BIO_SOCK_*, BIO_BIND_*,
# BIO_FAMILY_*, the BIO_C_*/BIO_CTRL_* numbers that Ctrl does not name, EVP_MAX_MD_SIZE.

# ============================================================================ ERR layer

ERR_get_error = get_error
ERR_peek_error = peek_error
ERR_peek_last_error = peek_last_error
ERR_clear_error = clear_error
ERR_error_string = error_string  # (e) -> "error:XXXXXXXX:lib::reason"
ERR_lib_error_string = lib_error_string
ERR_reason_error_string = reason_error_string
ERR_print_errors = print_errors  # (bio)
ERR_print_errors_fp = print_errors  # (text stream)
ERR_GET_LIB = get_lib
ERR_GET_REASON = get_reason
ERR_PACK = pack_error  # (lib, reason); OpenSSL 3 has no function code
ERR_raise = put_error  # (lib, reason)
ERR_raise_data = put_error  # (lib, reason, data)

ERR_LIB_NONE = Lib.NONE
ERR_LIB_SYS = Lib.SYS
ERR_LIB_BN = Lib.BN
ERR_LIB_RSA = Lib.RSA
ERR_LIB_EVP = Lib.EVP
ERR_LIB_BUF = Lib.BUF
ERR_LIB_PEM = Lib.PEM
ERR_LIB_X509 = Lib.X509
ERR_LIB_ASN1 = Lib.ASN1
ERR_LIB_CRYPTO = Lib.CRYPTO
ERR_LIB_EC = Lib.EC
ERR_LIB_SSL = Lib.SSL
ERR_LIB_BIO = Lib.BIO
ERR_LIB_X509V3 = Lib.X509V3
ERR_LIB_USER = Lib.USER
ERR_LIB_PROV = 57  # not in Lib yet; CipherBIO's decrypt errors use it

# ---- SSL layer ----
# The SSL layer's C names.  ``SSL_CTX_new(method)`` is the SSLContext class,
# ``SSL_new(ctx)`` the SSL class; the rest are the unbound methods, so
# ``SSL_accept(ssl)`` is exactly ``ssl.accept()``.

from biokit.ssl import consts as _sslc  # noqa: E402
from biokit.ssl.context import (  # noqa: E402
    SSLContext,
    TLS_client_method,
    TLS_method,
    TLS_server_method,
)
from biokit.ssl.ssl import (  # noqa: E402
    SSL,
    SSLCipher,
    get_ex_data_X509_STORE_CTX_idx,
    store_ctx_get_ex_data,
)
from biokit.ssl.verify import (  # noqa: E402
    CertStore,
    StoreContext,
    verify_cert_error_string,
)
from biokit.ssl.x509 import X509  # noqa: E402

SSL_CTX_new = SSLContext
SSL_CTX_use_certificate_chain_file = SSLContext.use_certificate_chain_file
SSL_CTX_use_certificate_file = SSLContext.use_certificate_file
SSL_CTX_use_certificate = SSLContext.use_certificate
SSL_CTX_use_PrivateKey_file = SSLContext.use_PrivateKey_file
SSL_CTX_use_PrivateKey = SSLContext.use_PrivateKey
SSL_CTX_check_private_key = SSLContext.check_private_key
SSL_CTX_add_extra_chain_cert = SSLContext.add_extra_chain_cert
SSL_CTX_load_verify_locations = SSLContext.load_verify_locations
SSL_CTX_set_default_verify_paths = SSLContext.set_default_verify_paths
SSL_CTX_set_verify = SSLContext.set_verify
SSL_CTX_get_verify_mode = SSLContext.get_verify_mode
SSL_CTX_set_verify_depth = SSLContext.set_verify_depth
SSL_CTX_get_cert_store = SSLContext.get_cert_store
SSL_CTX_set_client_CA_list = SSLContext.set_client_CA_list
SSL_CTX_add_client_CA = SSLContext.add_client_CA
SSL_CTX_set_options = SSLContext.set_options
SSL_CTX_clear_options = SSLContext.clear_options
SSL_CTX_get_options = SSLContext.get_options
SSL_CTX_set_mode = SSLContext.set_mode
SSL_CTX_clear_mode = SSLContext.clear_mode
SSL_CTX_get_mode = SSLContext.get_mode
SSL_CTX_set_min_proto_version = SSLContext.set_min_proto_version
SSL_CTX_set_max_proto_version = SSLContext.set_max_proto_version
SSL_CTX_get_min_proto_version = SSLContext.get_min_proto_version
SSL_CTX_get_max_proto_version = SSLContext.get_max_proto_version
SSL_CTX_set_ciphersuites = SSLContext.set_ciphersuites
SSL_CTX_set_cipher_list = SSLContext.set_cipher_list
SSL_CTX_set1_groups_list = SSLContext.set1_groups_list
SSL_CTX_set1_curves_list = SSLContext.set1_curves_list
SSL_CTX_set1_sigalgs_list = SSLContext.set1_sigalgs_list
SSL_CTX_set_alpn_protos = SSLContext.set_alpn_protos
SSL_CTX_set_alpn_select_cb = SSLContext.set_alpn_select_cb
SSL_CTX_set_tlsext_servername_callback = SSLContext.set_tlsext_servername_callback
SSL_CTX_set_tlsext_servername_arg = SSLContext.set_tlsext_servername_arg
SSL_CTX_set_client_hello_cb = SSLContext.set_client_hello_cb
SSL_CTX_set_info_callback = SSLContext.set_info_callback
SSL_CTX_set_msg_callback = SSLContext.set_msg_callback
SSL_CTX_set_keylog_callback = SSLContext.set_keylog_callback
SSL_CTX_set_client_cert_cb = SSLContext.set_client_cert_cb
SSL_CTX_sess_set_new_cb = SSLContext.sess_set_new_cb
SSL_CTX_set_num_tickets = SSLContext.set_num_tickets
SSL_CTX_set_max_send_fragment = SSLContext.set_max_send_fragment
SSL_CTX_get_num_tickets = SSLContext.get_num_tickets
SSL_CTX_set_read_ahead = SSLContext.set_read_ahead
SSL_CTX_set_block_padding = SSLContext.set_block_padding
SSL_CTX_get0_certificate = SSLContext.get0_certificate

SSL_new = SSL
SSL_free = SSL.free
SSL_clear = SSL.clear
SSL_set_bio = SSL.set_bio
SSL_set0_rbio = SSL.set0_rbio
SSL_set0_wbio = SSL.set0_wbio
SSL_get_rbio = SSL.get_rbio
SSL_get_wbio = SSL.get_wbio
SSL_set_fd = SSL.set_fd
SSL_get_fd = SSL.get_fd
SSL_set_accept_state = SSL.set_accept_state
SSL_set_connect_state = SSL.set_connect_state
SSL_is_server = SSL.is_server
SSL_accept = SSL.accept
SSL_connect = SSL.connect
SSL_do_handshake = SSL.do_handshake
SSL_read = SSL.read_c
SSL_read_ex = SSL.read_ex
SSL_peek = SSL.peek
SSL_peek_ex = SSL.peek_ex
SSL_write = SSL.write
SSL_write_ex = SSL.write_ex
SSL_pending = SSL.pending
SSL_has_pending = SSL.has_pending
SSL_shutdown = SSL.shutdown
SSL_get_shutdown = SSL.get_shutdown
SSL_set_shutdown = SSL.set_shutdown
SSL_set_quiet_shutdown = SSL.set_quiet_shutdown
SSL_get_error = SSL.get_error
SSL_want = SSL.want
SSL_want_read = SSL.want_read
SSL_want_write = SSL.want_write
SSL_get_SSL_CTX = SSL.get_SSL_CTX
SSL_set_SSL_CTX = SSL.set_SSL_CTX
SSL_set1_host = SSL.set1_host
SSL_get0_peername = SSL.get0_peername
SSL_set_tlsext_host_name = SSL.set_tlsext_host_name
SSL_get_servername = SSL.get_servername
SSL_set_alpn_protos = SSL.set_alpn_protos
SSL_get0_alpn_selected = SSL.get0_alpn_selected
SSL_set_verify = SSL.set_verify
SSL_set_verify_depth = SSL.set_verify_depth
SSL_set_options = SSL.set_options
SSL_clear_options = SSL.clear_options
SSL_get_options = SSL.get_options
SSL_set_mode = SSL.set_mode
SSL_clear_mode = SSL.clear_mode
SSL_get_mode = SSL.get_mode
SSL_set_min_proto_version = SSL.set_min_proto_version
SSL_set_max_proto_version = SSL.set_max_proto_version
SSL_set_info_callback = SSL.set_info_callback
SSL_set_msg_callback = SSL.set_msg_callback
SSL_get_state = SSL.get_state
SSL_state_string_long = SSL.state_string_long
SSL_state_string = SSL.state_string
SSL_in_init = SSL.in_init
SSL_in_before = SSL.in_before
SSL_is_init_finished = SSL.is_init_finished
SSL_version = SSL.version
SSL_get_version = SSL.get_version
SSL_get_current_cipher = SSL.get_current_cipher
SSL_get_cipher = SSL.get_cipher
SSL_get_cipher_bits = SSL.get_cipher_bits
SSL_CIPHER_get_name = SSLCipher.get_name
SSL_CIPHER_standard_name = SSLCipher.standard_name
SSL_CIPHER_get_bits = SSLCipher.get_bits
SSL_CIPHER_get_version = SSLCipher.get_version
SSL_CIPHER_get_protocol_id = SSLCipher.get_id
SSL_get_peer_certificate = SSL.get_peer_certificate
SSL_get0_peer_certificate = SSL.get_peer_certificate
SSL_get1_peer_certificate = SSL.get1_peer_certificate
SSL_get_peer_cert_chain = SSL.get_peer_cert_chain
SSL_get0_verified_chain = SSL.get0_verified_chain
SSL_get_verify_result = SSL.get_verify_result
SSL_set_verify_result = SSL.set_verify_result
SSL_session_reused = SSL.session_reused
SSL_get_client_random = SSL.get_client_random
SSL_get_server_random = SSL.get_server_random
SSL_get_negotiated_group = SSL.get_negotiated_group
SSL_export_keying_material = SSL.export_keying_material
SSL_key_update = SSL.key_update
SSL_get_key_update_type = SSL.get_key_update_type
SSL_get_finished = SSL.get_finished
SSL_get_peer_finished = SSL.get_peer_finished
SSL_get1_session = SSL.get_session
SSL_get_session = SSL.get_session
SSL_set_session = SSL.set_session
SSL_use_certificate = SSL.use_certificate
SSL_client_hello_isv2 = SSL.client_hello_isv2
SSL_client_hello_get0_legacy_version = SSL.client_hello_get0_legacy_version
SSL_client_hello_get0_random = SSL.client_hello_get0_random
SSL_client_hello_get0_session_id = SSL.client_hello_get0_session_id
SSL_client_hello_get0_ciphers = SSL.client_hello_get0_ciphers
SSL_client_hello_get0_compression_methods = SSL.client_hello_get0_compression_methods
SSL_client_hello_get1_extensions_present = SSL.client_hello_get1_extensions_present
SSL_client_hello_get0_ext = SSL.client_hello_get0_ext
SSL_get_ex_new_index = SSL.get_ex_new_index
SSL_set_ex_data = SSL.set_ex_data
SSL_get_ex_data = SSL.get_ex_data
SSL_get_ex_data_X509_STORE_CTX_idx = get_ex_data_X509_STORE_CTX_idx

X509_verify_cert_error_string = verify_cert_error_string
X509_STORE_add_cert = CertStore.add_cert
X509_STORE_CTX_get_error = StoreContext.get_error
X509_STORE_CTX_set_error = StoreContext.set_error
X509_STORE_CTX_get_error_depth = StoreContext.get_error_depth
X509_STORE_CTX_get_current_cert = StoreContext.get_current_cert
X509_STORE_CTX_get_ex_data = store_ctx_get_ex_data
X509_get_subject_name = X509.get_subject_name
X509_get_issuer_name = X509.get_issuer_name

SSL_ERROR_NONE = _sslc.ErrorCode.NONE
SSL_ERROR_SSL = _sslc.ErrorCode.SSL
SSL_ERROR_WANT_READ = _sslc.ErrorCode.WANT_READ
SSL_ERROR_WANT_WRITE = _sslc.ErrorCode.WANT_WRITE
SSL_ERROR_WANT_X509_LOOKUP = _sslc.ErrorCode.WANT_X509_LOOKUP
SSL_ERROR_SYSCALL = _sslc.ErrorCode.SYSCALL
SSL_ERROR_ZERO_RETURN = _sslc.ErrorCode.ZERO_RETURN
SSL_ERROR_WANT_CONNECT = _sslc.ErrorCode.WANT_CONNECT
SSL_ERROR_WANT_ACCEPT = _sslc.ErrorCode.WANT_ACCEPT
SSL_ERROR_WANT_CLIENT_HELLO_CB = _sslc.ErrorCode.WANT_CLIENT_HELLO_CB
SSL_FILETYPE_PEM = _sslc.FILETYPE_PEM
SSL_FILETYPE_ASN1 = _sslc.FILETYPE_ASN1
SSL_VERIFY_NONE = _sslc.Verify.NONE
SSL_VERIFY_PEER = _sslc.Verify.PEER
SSL_VERIFY_FAIL_IF_NO_PEER_CERT = _sslc.Verify.FAIL_IF_NO_PEER_CERT
SSL_VERIFY_CLIENT_ONCE = _sslc.Verify.CLIENT_ONCE
SSL_VERIFY_POST_HANDSHAKE = _sslc.Verify.POST_HANDSHAKE
SSL_MODE_ENABLE_PARTIAL_WRITE = _sslc.Mode.ENABLE_PARTIAL_WRITE
SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER = _sslc.Mode.ACCEPT_MOVING_WRITE_BUFFER
SSL_MODE_AUTO_RETRY = _sslc.Mode.AUTO_RETRY
SSL_MODE_RELEASE_BUFFERS = _sslc.Mode.RELEASE_BUFFERS
SSL_OP_NO_TICKET = _sslc.Op.NO_TICKET
SSL_OP_NO_COMPRESSION = _sslc.Op.NO_COMPRESSION
SSL_OP_IGNORE_UNEXPECTED_EOF = _sslc.Op.IGNORE_UNEXPECTED_EOF
SSL_OP_ENABLE_MIDDLEBOX_COMPAT = _sslc.Op.ENABLE_MIDDLEBOX_COMPAT
SSL_OP_CIPHER_SERVER_PREFERENCE = _sslc.Op.CIPHER_SERVER_PREFERENCE
SSL_OP_PRIORITIZE_CHACHA = _sslc.Op.PRIORITIZE_CHACHA
SSL_OP_NO_TLSv1_2 = _sslc.Op.NO_TLSv1_2
SSL_OP_NO_TLSv1_3 = _sslc.Op.NO_TLSv1_3
SSL_OP_ALL = _sslc.Op.ALL
SSL_SENT_SHUTDOWN = _sslc.Shutdown.SENT
SSL_RECEIVED_SHUTDOWN = _sslc.Shutdown.RECEIVED
SSL_CB_LOOP = _sslc.InfoWhere.LOOP
SSL_CB_EXIT = _sslc.InfoWhere.EXIT
SSL_CB_READ = _sslc.InfoWhere.READ
SSL_CB_WRITE = _sslc.InfoWhere.WRITE
SSL_CB_ALERT = _sslc.InfoWhere.ALERT
SSL_CB_READ_ALERT = _sslc.InfoWhere.READ_ALERT
SSL_CB_WRITE_ALERT = _sslc.InfoWhere.WRITE_ALERT
SSL_CB_ACCEPT_LOOP = _sslc.InfoWhere.ACCEPT_LOOP
SSL_CB_ACCEPT_EXIT = _sslc.InfoWhere.ACCEPT_EXIT
SSL_CB_CONNECT_LOOP = _sslc.InfoWhere.CONNECT_LOOP
SSL_CB_CONNECT_EXIT = _sslc.InfoWhere.CONNECT_EXIT
SSL_CB_HANDSHAKE_START = _sslc.InfoWhere.HANDSHAKE_START
SSL_CB_HANDSHAKE_DONE = _sslc.InfoWhere.HANDSHAKE_DONE
SSL_ST_CONNECT = _sslc.InfoWhere.ST_CONNECT
SSL_ST_ACCEPT = _sslc.InfoWhere.ST_ACCEPT
SSL_TLSEXT_ERR_OK = _sslc.TLSEXT_ERR.OK
SSL_TLSEXT_ERR_ALERT_WARNING = _sslc.TLSEXT_ERR.ALERT_WARNING
SSL_TLSEXT_ERR_ALERT_FATAL = _sslc.TLSEXT_ERR.ALERT_FATAL
SSL_TLSEXT_ERR_NOACK = _sslc.TLSEXT_ERR.NOACK
SSL_CLIENT_HELLO_SUCCESS = _sslc.CLIENT_HELLO_SUCCESS
SSL_CLIENT_HELLO_ERROR = _sslc.CLIENT_HELLO_ERROR
SSL_CLIENT_HELLO_RETRY = _sslc.CLIENT_HELLO_RETRY
SSL_KEY_UPDATE_NONE = _sslc.KEY_UPDATE_NONE
SSL_KEY_UPDATE_NOT_REQUESTED = _sslc.KEY_UPDATE_NOT_REQUESTED
SSL_KEY_UPDATE_REQUESTED = _sslc.KEY_UPDATE_REQUESTED
TLS1_2_VERSION = _sslc.Version.TLS1_2
TLS1_3_VERSION = _sslc.Version.TLS1_3
TLSEXT_NAMETYPE_host_name = 0
X509_V_OK = 0

__all__ += [  # the SSL layer's names
    "SSL_CB_ACCEPT_EXIT",
    "SSL_CB_ACCEPT_LOOP",
    "SSL_CB_ALERT",
    "SSL_CB_CONNECT_EXIT",
    "SSL_CB_CONNECT_LOOP",
    "SSL_CB_EXIT",
    "SSL_CB_HANDSHAKE_DONE",
    "SSL_CB_HANDSHAKE_START",
    "SSL_CB_LOOP",
    "SSL_CB_READ",
    "SSL_CB_READ_ALERT",
    "SSL_CB_WRITE",
    "SSL_CB_WRITE_ALERT",
    "SSL_CLIENT_HELLO_ERROR",
    "SSL_CLIENT_HELLO_RETRY",
    "SSL_CLIENT_HELLO_SUCCESS",
    "SSL_ERROR_NONE",
    "SSL_ERROR_SSL",
    "SSL_ERROR_SYSCALL",
    "SSL_ERROR_WANT_ACCEPT",
    "SSL_ERROR_WANT_CLIENT_HELLO_CB",
    "SSL_ERROR_WANT_CONNECT",
    "SSL_ERROR_WANT_READ",
    "SSL_ERROR_WANT_WRITE",
    "SSL_ERROR_WANT_X509_LOOKUP",
    "SSL_ERROR_ZERO_RETURN",
    "SSL_FILETYPE_ASN1",
    "SSL_FILETYPE_PEM",
    "SSL_KEY_UPDATE_NONE",
    "SSL_KEY_UPDATE_NOT_REQUESTED",
    "SSL_KEY_UPDATE_REQUESTED",
    "SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER",
    "SSL_MODE_AUTO_RETRY",
    "SSL_MODE_ENABLE_PARTIAL_WRITE",
    "SSL_MODE_RELEASE_BUFFERS",
    "SSL_OP_ALL",
    "SSL_OP_CIPHER_SERVER_PREFERENCE",
    "SSL_OP_ENABLE_MIDDLEBOX_COMPAT",
    "SSL_OP_IGNORE_UNEXPECTED_EOF",
    "SSL_OP_NO_COMPRESSION",
    "SSL_OP_NO_TICKET",
    "SSL_OP_PRIORITIZE_CHACHA",
    "SSL_RECEIVED_SHUTDOWN",
    "SSL_SENT_SHUTDOWN",
    "SSL_ST_ACCEPT",
    "SSL_ST_CONNECT",
    "SSL_TLSEXT_ERR_ALERT_FATAL",
    "SSL_TLSEXT_ERR_ALERT_WARNING",
    "SSL_TLSEXT_ERR_NOACK",
    "SSL_TLSEXT_ERR_OK",
    "SSL_VERIFY_CLIENT_ONCE",
    "SSL_VERIFY_FAIL_IF_NO_PEER_CERT",
    "SSL_VERIFY_NONE",
    "SSL_VERIFY_PEER",
    "SSL_VERIFY_POST_HANDSHAKE",
    "TLS1_2_VERSION",
    "TLS1_3_VERSION",
    "X509_V_OK",
    "SSL_CIPHER_get_bits",
    "SSL_CIPHER_get_name",
    "SSL_CIPHER_get_protocol_id",
    "SSL_CIPHER_get_version",
    "SSL_CIPHER_standard_name",
    "SSL_CTX_add_client_CA",
    "SSL_CTX_add_extra_chain_cert",
    "SSL_CTX_check_private_key",
    "SSL_CTX_clear_mode",
    "SSL_CTX_clear_options",
    "SSL_CTX_get0_certificate",
    "SSL_CTX_get_cert_store",
    "SSL_CTX_get_max_proto_version",
    "SSL_CTX_get_min_proto_version",
    "SSL_CTX_get_mode",
    "SSL_CTX_get_num_tickets",
    "SSL_CTX_get_options",
    "SSL_CTX_get_verify_mode",
    "SSL_CTX_load_verify_locations",
    "SSL_CTX_new",
    "SSL_CTX_sess_set_new_cb",
    "SSL_CTX_set1_curves_list",
    "SSL_CTX_set1_groups_list",
    "SSL_CTX_set1_sigalgs_list",
    "SSL_CTX_set_alpn_protos",
    "SSL_CTX_set_alpn_select_cb",
    "SSL_CTX_set_block_padding",
    "SSL_CTX_set_cipher_list",
    "SSL_CTX_set_ciphersuites",
    "SSL_CTX_set_client_CA_list",
    "SSL_CTX_set_client_cert_cb",
    "SSL_CTX_set_client_hello_cb",
    "SSL_CTX_set_default_verify_paths",
    "SSL_CTX_set_info_callback",
    "SSL_CTX_set_keylog_callback",
    "SSL_CTX_set_max_proto_version",
    "SSL_CTX_set_max_send_fragment",
    "SSL_CTX_set_min_proto_version",
    "SSL_CTX_set_mode",
    "SSL_CTX_set_msg_callback",
    "SSL_CTX_set_num_tickets",
    "SSL_CTX_set_options",
    "SSL_CTX_set_read_ahead",
    "SSL_CTX_set_tlsext_servername_arg",
    "SSL_CTX_set_tlsext_servername_callback",
    "SSL_CTX_set_verify",
    "SSL_CTX_set_verify_depth",
    "SSL_CTX_use_PrivateKey",
    "SSL_CTX_use_PrivateKey_file",
    "SSL_CTX_use_certificate",
    "SSL_CTX_use_certificate_chain_file",
    "SSL_CTX_use_certificate_file",
    "SSL_OP_NO_TLSv1_2",
    "SSL_OP_NO_TLSv1_3",
    "SSL_accept",
    "SSL_clear",
    "SSL_clear_mode",
    "SSL_clear_options",
    "SSL_client_hello_get0_ciphers",
    "SSL_client_hello_get0_compression_methods",
    "SSL_client_hello_get0_ext",
    "SSL_client_hello_get0_legacy_version",
    "SSL_client_hello_get0_random",
    "SSL_client_hello_get0_session_id",
    "SSL_client_hello_get1_extensions_present",
    "SSL_client_hello_isv2",
    "SSL_connect",
    "SSL_do_handshake",
    "SSL_export_keying_material",
    "SSL_free",
    "SSL_get0_alpn_selected",
    "SSL_get0_peer_certificate",
    "SSL_get0_peername",
    "SSL_get0_verified_chain",
    "SSL_get1_peer_certificate",
    "SSL_get1_session",
    "SSL_get_SSL_CTX",
    "SSL_get_cipher",
    "SSL_get_cipher_bits",
    "SSL_get_client_random",
    "SSL_get_current_cipher",
    "SSL_get_error",
    "SSL_get_ex_data",
    "SSL_get_ex_data_X509_STORE_CTX_idx",
    "SSL_get_ex_new_index",
    "SSL_get_fd",
    "SSL_get_finished",
    "SSL_get_key_update_type",
    "SSL_get_mode",
    "SSL_get_negotiated_group",
    "SSL_get_options",
    "SSL_get_peer_cert_chain",
    "SSL_get_peer_certificate",
    "SSL_get_peer_finished",
    "SSL_get_rbio",
    "SSL_get_server_random",
    "SSL_get_servername",
    "SSL_get_session",
    "SSL_get_shutdown",
    "SSL_get_state",
    "SSL_get_verify_result",
    "SSL_get_version",
    "SSL_get_wbio",
    "SSL_has_pending",
    "SSL_in_before",
    "SSL_in_init",
    "SSL_is_init_finished",
    "SSL_is_server",
    "SSL_key_update",
    "SSL_new",
    "SSL_peek",
    "SSL_peek_ex",
    "SSL_pending",
    "SSL_read",
    "SSL_read_ex",
    "SSL_session_reused",
    "SSL_set0_rbio",
    "SSL_set0_wbio",
    "SSL_set1_host",
    "SSL_set_SSL_CTX",
    "SSL_set_accept_state",
    "SSL_set_alpn_protos",
    "SSL_set_bio",
    "SSL_set_connect_state",
    "SSL_set_ex_data",
    "SSL_set_fd",
    "SSL_set_info_callback",
    "SSL_set_max_proto_version",
    "SSL_set_min_proto_version",
    "SSL_set_mode",
    "SSL_set_msg_callback",
    "SSL_set_options",
    "SSL_set_quiet_shutdown",
    "SSL_set_session",
    "SSL_set_shutdown",
    "SSL_set_tlsext_host_name",
    "SSL_set_verify",
    "SSL_set_verify_depth",
    "SSL_set_verify_result",
    "SSL_shutdown",
    "SSL_state_string",
    "SSL_state_string_long",
    "SSL_use_certificate",
    "SSL_version",
    "SSL_want",
    "SSL_want_read",
    "SSL_want_write",
    "SSL_write",
    "SSL_write_ex",
    "TLSEXT_NAMETYPE_host_name",
    "TLS_client_method",
    "TLS_method",
    "TLS_server_method",
    "X509_STORE_CTX_get_current_cert",
    "X509_STORE_CTX_get_error",
    "X509_STORE_CTX_get_error_depth",
    "X509_STORE_CTX_get_ex_data",
    "X509_STORE_CTX_set_error",
    "X509_STORE_add_cert",
    "X509_get_issuer_name",
    "X509_get_subject_name",
    "X509_verify_cert_error_string",
]

# ---- BIO_f_ssl (biokit/ssl/bio_ssl.py) ----
# BIO_do_handshake is the generic BIO_C_DO_STATE_MACHINE macro above; on an
# SSL BIO it runs SSL_do_handshake.
from biokit.ssl.bio_ssl import (  # noqa: E402
    BIO_C_GET_SSL_NUM_RENEGOTIATES,
    BIO_C_SET_SSL_RENEGOTIATE_BYTES,
    BIO_C_SET_SSL_RENEGOTIATE_TIMEOUT,
    BIO_C_SSL_MODE,
    SSLBIO,
    BIO_get_num_renegotiates,
    BIO_get_ssl,
    BIO_new_buffer_ssl_connect,
    BIO_new_ssl,
    BIO_new_ssl_connect,
    BIO_set_ssl,
    BIO_set_ssl_mode,
    BIO_set_ssl_renegotiate_bytes,
    BIO_set_ssl_renegotiate_timeout,
    BIO_ssl_copy_session_id,
    BIO_ssl_shutdown,
)

BIO_f_ssl = SSLBIO

__all__ += [
    "BIO_C_GET_SSL_NUM_RENEGOTIATES",
    "BIO_C_SET_SSL_RENEGOTIATE_BYTES",
    "BIO_C_SET_SSL_RENEGOTIATE_TIMEOUT",
    "BIO_C_SSL_MODE",
    "BIO_f_ssl",
    "BIO_get_num_renegotiates",
    "BIO_get_ssl",
    "BIO_new_buffer_ssl_connect",
    "BIO_new_ssl",
    "BIO_new_ssl_connect",
    "BIO_set_ssl",
    "BIO_set_ssl_mode",
    "BIO_set_ssl_renegotiate_bytes",
    "BIO_set_ssl_renegotiate_timeout",
    "BIO_ssl_copy_session_id",
    "BIO_ssl_shutdown",
]
SSL_CTX_set_stateless_cookie_generate_cb = SSLContext.set_stateless_cookie_generate_cb
SSL_CTX_set_stateless_cookie_verify_cb = SSLContext.set_stateless_cookie_verify_cb
SSL_CTX_set_tlsext_ticket_keys = SSLContext.set_tlsext_ticket_keys
__all__ += [
    "SSL_CTX_set_stateless_cookie_generate_cb",
    "SSL_CTX_set_stateless_cookie_verify_cb",
    "SSL_CTX_set_tlsext_ticket_keys",
]
