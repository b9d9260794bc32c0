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

Almost every name is bound to an existing biokit callable.  The few ``def``
below are one-line expansions of C macros that OpenSSL defines as a ``BIO_ctrl``
on *any* BIO (so they work through filters, e.g. ``BIO_do_connect`` on a
buffer BIO in front of a connect BIO), for which biokit has no method on the
base class yet.
"""

from __future__ import annotations

from typing import TypeVar

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
from biokit.bio.f_cipher import CipherBIO
from biokit.bio.f_linebuffer import LineBufferBIO
from biokit.bio.f_md import EVP_MAX_MD_SIZE, DigestBIO
from biokit.bio.f_nbio_test import NBIOTestBIO
from biokit.bio.f_null import NullFilterBIO
from biokit.bio.f_prefix import (
    BIO_CTRL_GET_INDENT,
    BIO_CTRL_SET_INDENT,
    BIO_CTRL_SET_PREFIX,
    PrefixBIO,
)
from biokit.bio.f_readbuffer import ReadBufferBIO
from biokit.bio.s_accept import AcceptBIO
from biokit.bio.s_connect import ConnectBIO
from biokit.bio.s_fd import FdBIO
from biokit.bio.s_file import BIO_FP_APPEND, BIO_FP_READ, BIO_FP_TEXT, BIO_FP_WRITE, FileBIO
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


# ---------------------------------------------------------------- BIO_s_mem
BIO_set_mem_eof_return = MemBIO.set_eof_return
BIO_get_mem_data = MemBIO.getvalue  # -> the unread bytes

# ---------------------------------------------------------------- BIO_s_bio
BIO_make_bio_pair = PairBIO.make_pair
BIO_destroy_bio_pair = PairBIO.destroy_pair
BIO_shutdown_wr = PairBIO.shutdown_wr
BIO_set_write_buf_size = PairBIO.set_write_buf_size
BIO_get_write_buf_size = PairBIO.get_write_buf_size
BIO_get_write_guarantee = PairBIO.write_guarantee
BIO_ctrl_get_write_guarantee = PairBIO.write_guarantee
BIO_get_read_request = PairBIO.read_request
BIO_ctrl_get_read_request = PairBIO.read_request
BIO_ctrl_reset_read_request = PairBIO.reset_read_request
BIO_nread0 = PairBIO.nread0
BIO_nread = PairBIO.nread
BIO_nwrite0 = PairBIO.nwrite0
BIO_nwrite = PairBIO.nwrite

# ---------------------------------------------------------------- BIO_s_file
BIO_set_fp = FileBIO.set_fp
BIO_get_fp = FileBIO.get_fp
BIO_read_filename = FileBIO.read_filename
BIO_write_filename = FileBIO.write_filename
BIO_append_filename = FileBIO.append_filename
BIO_rw_filename = FileBIO.rw_filename

# ---------------------------------------------------------------- sockets
BIO_socket_nbio = socket_nbio  # (sock, mode)
BIO_sock_non_fatal_error = sock_non_fatal_error

BIO_set_conn_hostname = ConnectBIO.set_conn_hostname
BIO_set_conn_port = ConnectBIO.set_conn_port
BIO_get_conn_hostname = ConnectBIO.get_conn_hostname
BIO_get_conn_port = ConnectBIO.get_conn_port
BIO_set_conn_ip_family = ConnectBIO.set_conn_ip_family
BIO_set_conn_mode = ConnectBIO.set_conn_mode

BIO_set_accept_name = AcceptBIO.set_accept_name
BIO_set_accept_port = AcceptBIO.set_accept_port
BIO_get_accept_name = AcceptBIO.get_accept_name
BIO_get_accept_port = AcceptBIO.get_accept_port
BIO_get_peer_name = AcceptBIO.get_peer_name
BIO_get_peer_port = AcceptBIO.get_peer_port
BIO_set_nbio_accept = AcceptBIO.set_nbio_accept
BIO_set_accept_bios = AcceptBIO.set_accept_bios
BIO_set_accept_ip_family = AcceptBIO.set_accept_ip_family
BIO_get_accept_ip_family = AcceptBIO.get_accept_ip_family
BIO_set_bind_mode = AcceptBIO.set_bind_mode
BIO_get_bind_mode = AcceptBIO.get_bind_mode

# ---------------------------------------------------------------- filters
BIO_set_buffer_size = BufferBIO.set_buffer_size
BIO_set_read_buffer_size = BufferBIO.set_read_buffer_size
BIO_set_write_buffer_size = BufferBIO.set_write_buffer_size
BIO_set_buffer_read_data = BufferBIO.set_buffer_read_data
BIO_get_buffer_num_lines = BufferBIO.get_buffer_num_lines
BIO_buffer_peek = BufferBIO.peek  # (b, size) -> bytes

BIO_set_md = DigestBIO.set_md  # (b, "sha256")
BIO_get_md = DigestBIO.get_md  # -> "SHA256"
BIO_get_md_ctx = DigestBIO.get_md_ctx

BIO_set_cipher = CipherBIO.set_cipher  # (b, "aes-128-cbc", key, iv, enc)
BIO_get_cipher_status = CipherBIO.get_cipher_status
BIO_get_cipher_ctx = CipherBIO.get_cipher_ctx

BIO_set_prefix = PrefixBIO.set_prefix
BIO_set_indent = PrefixBIO.set_indent
BIO_get_indent = PrefixBIO.get_indent

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
