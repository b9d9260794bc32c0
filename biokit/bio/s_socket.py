"""BIO_s_socket and BIO_new_socket: a BIO over a connected socket (OpenSSL's bss_sock.c).

This module also holds the socket helpers that every socket BIO shares, as
OpenSSL keeps them in b_sock.c, b_sock2.c and bio_addr.c: BIO_sock_non_fatal_error,
BIO_parse_hostserv, BIO_lookup, BIO_socket, BIO_connect, BIO_listen and
BIO_accept_ex.  ``ConnectBIO`` and ``AcceptBIO`` read and write through
``sock_read``/``sock_write`` here, so all three behave the same once connected.

Behaviour kept from OpenSSL 3 (checked against libcrypto 3.0.19):

* One read is one ``recv()`` and one write is one ``send()``: a write may take
  fewer bytes than it was given (never ``sendall``).
* A would-block error (EAGAIN/EWOULDBLOCK), EINTR, EINPROGRESS, EALREADY,
  ENOTCONN or EPROTO (BIO_sock_non_fatal_error) returns -1 with retry-read or
  retry-write set.  So does an expired timeout on a Python socket that has one.
  A blocking socket simply blocks.
* ``recv()`` returning nothing is EOF: 0, no retry flag, and ``eof()`` stays
  True from then on (BIO_FLAGS_IN_EOF).
* Any other error (ECONNRESET, EPIPE...) returns -1 with no retry flag.  OpenSSL
  leaves the cause in ``errno``.  Python has no errno, so biokit puts it on the
  error queue as a system-library entry ("calling recv()"/"calling send()").
  SSL_get_error turns that into SYSCALL, the same result as with errno.
  Python ignores SIGPIPE, and every send also passes MSG_NOSIGNAL, so a write
  to a closed peer always gives EPIPE and never a signal.
* ``gets`` is unsupported (-2); ``puts`` writes.  ``pending``/``wpending`` are 0,
  ``flush`` is 1, ``reset`` is 0.
* With BIO_CLOSE, ``close()`` closes the socket.  With BIO_NOCLOSE the socket is
  left open, even if the BIO was built from a bare descriptor and is garbage
  collected without ``close()``.
* OpenSSL's BIO_set_nbio does nothing on a socket BIO (sock_ctrl returns 0), so
  C code calls BIO_socket_nbio on the descriptor instead.  ``set_nbio`` here does
  that, and the raw ``ctrl(Ctrl.C_SET_NBIO)`` returns 0 as in OpenSSL.
"""

from __future__ import annotations

import errno
import select
import socket
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

from biokit.bio.core import (
    BIO,
    BIO_FLAGS_IN_EOF,
    BIO_FLAGS_READ,
    BIO_FLAGS_SHOULD_RETRY,
    BIO_FLAGS_WRITE,
    BIO_NOCLOSE,
    BIOType,
    Ctrl,
)
from biokit.errors import BIOReason, Lib, put_error

__all__ = [
    "BIO_BIND_NORMAL",
    "BIO_BIND_REUSEADDR",
    "BIO_BIND_REUSEADDR_IF_UNUSED",
    "BIO_C_GET_ACCEPT",
    "BIO_C_GET_BIND_MODE",
    "BIO_C_GET_CONNECT",
    "BIO_C_SET_ACCEPT",
    "BIO_C_SET_BIND_MODE",
    "BIO_C_SET_CONNECT_MODE",
    "BIO_FAMILY_IPANY",
    "BIO_FAMILY_IPV4",
    "BIO_FAMILY_IPV6",
    "BIO_SOCK_KEEPALIVE",
    "BIO_SOCK_NODELAY",
    "BIO_SOCK_NONBLOCK",
    "BIO_SOCK_REUSEADDR",
    "BIO_SOCK_V6_ONLY",
    "PARSE_PRIO_HOST",
    "PARSE_PRIO_SERV",
    "AddrInfo",
    "HostServ",
    "SocketBIO",
    "c_str",
    "family_of",
    "lookup",
    "new_socket",
    "parse_hostserv",
    "sock_non_fatal_error",
    "sock_read",
    "sock_should_retry",
    "sock_write",
    "socket_connect",
    "socket_listen",
    "socket_nbio",
    "wait_writable",
]

# BIO_SOCK_* options for BIO_connect/BIO_listen (and the bind mode / connect mode).
BIO_SOCK_REUSEADDR = 0x01
BIO_SOCK_V6_ONLY = 0x02
BIO_SOCK_KEEPALIVE = 0x04
BIO_SOCK_NONBLOCK = 0x08
BIO_SOCK_NODELAY = 0x10

# BIO_set_bind_mode values.  OpenSSL's two REUSEADDR modes are the same flag.
BIO_BIND_NORMAL = 0
BIO_BIND_REUSEADDR = BIO_SOCK_REUSEADDR
BIO_BIND_REUSEADDR_IF_UNUSED = BIO_SOCK_REUSEADDR

# BIO_FAMILY_* for BIO_set_conn_ip_family / BIO_set_accept_ip_family.
BIO_FAMILY_IPV4 = 4
BIO_FAMILY_IPV6 = 6
BIO_FAMILY_IPANY = 256

# BIO_ctrl commands of the connect/accept BIOs that ``Ctrl`` does not list (bio.h).
BIO_C_SET_ACCEPT = 118
BIO_C_GET_CONNECT = 123
BIO_C_GET_ACCEPT = 124
BIO_C_SET_BIND_MODE = 131
BIO_C_GET_BIND_MODE = 132
BIO_C_SET_CONNECT_MODE = 155

# BIO_parse_hostserv priorities: what a string without ':' means.
PARSE_PRIO_HOST = 0
PARSE_PRIO_SERV = 1

# One recv() asks for at most this much: Python allocates the whole request
# before the call, and a socket may always return less than asked.
RECV_MAX = 1 << 20

_MSG_NOSIGNAL: int = getattr(socket, "MSG_NOSIGNAL", 0)

_NON_FATAL_ERRNOS = frozenset(
    e
    for e in (
        getattr(errno, name, None)
        for name in (
            "EWOULDBLOCK", "EAGAIN", "ENOTCONN", "EINTR", "EPROTO", "EINPROGRESS", "EALREADY",
        )
    )
    if e is not None
)

_SHOULD_RETRY_READ = BIO_FLAGS_READ | BIO_FLAGS_SHOULD_RETRY
_SHOULD_RETRY_WRITE = BIO_FLAGS_WRITE | BIO_FLAGS_SHOULD_RETRY


# ---------------------------------------------------------------------- errors


def sock_non_fatal_error(err: int | None) -> bool:
    """BIO_sock_non_fatal_error: is this errno a "try again later"?"""
    return err in _NON_FATAL_ERRNOS


def sock_should_retry(exc: OSError) -> bool:
    """BIO_sock_should_retry for a Python exception: a would-block, EINTR or expired timeout?"""
    # socket.timeout is TimeoutError without an errno; a TimeoutError *with*
    # an errno is ETIMEDOUT from the kernel, a real error.
    err = exc.errno
    if err is None:
        return isinstance(exc, TimeoutError)
    return err in _NON_FATAL_ERRNOS


def c_str(value: str | None) -> str:
    """A string as OpenSSL's ``%s`` prints it (NULL becomes ``<NULL>``)."""
    return "<NULL>" if value is None else value


def _sys_error(exc: OSError, data: str) -> None:
    # The entry names the function that called us, as ERR_raise would.
    put_error(Lib.SYS, exc.errno or 0, data, depth=2)


# ---------------------------------------------------------------------- I/O


def sock_read(bio: BIO, sock: socket.socket, size: int) -> bytes | int:
    """sock_read: one recv(), retry flags set on ``bio``; the bytes, 0 (EOF) or -1."""
    try:
        data = sock.recv(size if size <= RECV_MAX else RECV_MAX)
    except OSError as exc:
        if sock_should_retry(exc):
            bio.flags |= _SHOULD_RETRY_READ
        else:
            # A documented deviation: OpenSSL's sock_read queues NOTHING here --
            # it returns -1 and leaves errno for the caller.  biokit adds this
            # SYS entry because a Python caller cannot read errno afterwards;
            # the SSL layer, testing.explain and the docs rely on it.
            _sys_error(exc, "calling recv()")
        return -1
    if data:
        return data
    bio.flags |= BIO_FLAGS_IN_EOF
    return 0


def sock_write(bio: BIO, sock: socket.socket, data: bytes | bytearray | memoryview) -> int:
    """sock_write: one send(), retry flags set on ``bio``; the count sent or -1."""
    try:
        return sock.send(data, _MSG_NOSIGNAL)
    except OSError as exc:
        if sock_should_retry(exc):
            bio.flags |= _SHOULD_RETRY_WRITE
        else:
            # A documented deviation: OpenSSL's sock_write queues NOTHING here
            # (EPIPE, ECONNRESET... stay in errno only).  biokit adds this SYS
            # entry because a Python caller cannot read errno afterwards; the
            # SSL layer, testing.explain and the docs rely on it.
            _sys_error(exc, "calling send()")
        return -1


def socket_nbio(sock: socket.socket, on: bool) -> int:
    """BIO_socket_nbio: make the socket nonblocking (``on``) or blocking; 1 or 0."""
    try:
        sock.setblocking(not on)
    except OSError as exc:
        _sys_error(exc, "calling ioctlsocket()")
        return 0
    return 1


def wait_writable(fd: int, timeout: float | None) -> bool:
    """Wait until ``fd`` is writable (or in error); False when ``timeout`` ran out."""
    if hasattr(select, "poll"):
        p = select.poll()
        p.register(fd, select.POLLOUT)
        return bool(p.poll(None if timeout is None else int(timeout * 1000)))
    return bool(select.select([], [fd], [fd], timeout)[1])


# ---------------------------------------------------------------------- addresses


@dataclass(frozen=True, slots=True)
class HostServ:
    """What BIO_parse_hostserv found; a part not present leaves the old value alone."""

    has_host: bool
    host: str | None
    has_service: bool
    service: str | None


def parse_hostserv(spec: str, prio: int) -> HostServ | None:
    """BIO_parse_hostserv: split ``host:service`` / ``[v6]:service`` / ``host`` / ``service``.

    Empty or ``*`` parts mean "none" (``None``).  Without a ``:`` the string is a
    host (PARSE_PRIO_HOST) or a service (PARSE_PRIO_SERV).  More than one ``:``
    outside brackets is ambiguous; malformed input pushes BIO_R_MALFORMED_HOST_OR_SERVICE.
    Returns None (with an error-queue entry) on failure.
    """
    host: str | None = None
    serv: str | None = None
    if spec.startswith("["):
        close = spec.find("]")
        if close < 0:
            put_error(Lib.BIO, BIOReason.MALFORMED_HOST_OR_SERVICE)
            return None
        host = spec[1:close]
        rest = spec[close + 1 :]
        if rest and not rest.startswith(":"):
            put_error(Lib.BIO, BIOReason.MALFORMED_HOST_OR_SERVICE)
            return None
        serv = rest[1:] if rest else None
    else:
        first = spec.find(":")
        if first != spec.rfind(":"):
            put_error(Lib.BIO, BIOReason.AMBIGUOUS_HOST_OR_SERVICE)
            return None
        if first >= 0:
            host, serv = spec[:first], spec[first + 1 :]
        elif prio == PARSE_PRIO_HOST:
            host = spec
        else:
            serv = spec
    if serv is not None and ":" in serv:
        put_error(Lib.BIO, BIOReason.MALFORMED_HOST_OR_SERVICE)
        return None
    return HostServ(
        host is not None,
        None if host in ("", "*") else host,
        serv is not None,
        None if serv in ("", "*") else serv,
    )


class AddrInfo(NamedTuple):
    """One BIO_ADDRINFO: how to make the socket and where it goes."""

    family: int
    socktype: int
    proto: int
    sockaddr: Any


def family_of(bio_family: int) -> int | None:
    """The AF_* constant for a BIO_FAMILY_* value; None (error queued) if unknown."""
    if bio_family == BIO_FAMILY_IPV4:
        return socket.AF_INET
    if bio_family == BIO_FAMILY_IPV6:
        return socket.AF_INET6
    if bio_family == BIO_FAMILY_IPANY:
        return socket.AF_UNSPEC
    put_error(Lib.BIO, BIOReason.UNSUPPORTED_IP_FAMILY, depth=2)
    return None


def lookup(
    host: str | None, service: str | None, *, server: bool, family: int, socktype: int
) -> list[AddrInfo] | None:
    """BIO_lookup_ex over getaddrinfo(); None (error queued) on failure.

    Like OpenSSL: AI_ADDRCONFIG for a named host with an unspecified family,
    retried with AI_NUMERICHOST when that fails (a host with only loopback
    addresses); AI_PASSIVE for servers.  A failure is a BIO entry with reason
    ERR_R_SYS_LIB and gai_strerror's text, or a system entry for EAI_SYSTEM.
    """
    flags = socket.AI_PASSIVE if server else 0
    if host is not None and family == socket.AF_UNSPEC:
        flags |= socket.AI_ADDRCONFIG
    first_failure: str | None = None
    while True:
        try:
            infos = socket.getaddrinfo(host, service, family, socktype, 0, flags)
        except socket.gaierror as exc:
            if flags & socket.AI_ADDRCONFIG:
                flags = (flags & ~socket.AI_ADDRCONFIG) | socket.AI_NUMERICHOST
                first_failure = exc.strerror
                continue
            text = first_failure if first_failure is not None else exc.strerror
            put_error(Lib.BIO, BIOReason.SYSTEM_LIB, text or "")
            return None
        except UnicodeError as exc:
            # The name cannot even be encoded (IDNA): getaddrinfo would reject it.
            put_error(Lib.BIO, BIOReason.SYSTEM_LIB, str(exc))
            return None
        except OSError as exc:  # EAI_SYSTEM arrives as a plain OSError
            put_error(Lib.SYS, exc.errno or 0, "calling getaddrinfo()")
            put_error(Lib.BIO, BIOReason.SYSTEM_LIB)
            return None
        return [AddrInfo(int(f), int(t), p, sa) for f, t, p, _, sa in infos]


# ---------------------------------------------------------------------- sockets


def new_socket(info: AddrInfo) -> socket.socket | int:
    """BIO_socket: a new socket for ``info``, or the errno (with entries queued) on failure."""
    try:
        return socket.socket(info.family, info.socktype, info.proto)
    except OSError as exc:
        _sys_error(exc, "calling socket()")
        put_error(Lib.BIO, BIOReason.UNABLE_TO_CREATE_SOCKET)
        return exc.errno or 0


def _setopt(sock: socket.socket, level: int, opt: int, value: int, reason: int) -> bool:
    try:
        sock.setsockopt(level, opt, value)
    except OSError as exc:
        put_error(Lib.SYS, exc.errno or 0, "calling setsockopt()", depth=2)
        put_error(Lib.BIO, reason, depth=2)
        return False
    return True


def _set_common_options(sock: socket.socket, options: int) -> bool:
    if not socket_nbio(sock, bool(options & BIO_SOCK_NONBLOCK)):
        return False
    if options & BIO_SOCK_KEEPALIVE and not _setopt(
        sock, socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1, BIOReason.UNABLE_TO_KEEPALIVE
    ):
        return False
    return not (
        options & BIO_SOCK_NODELAY
        and not _setopt(
            sock, socket.IPPROTO_TCP, socket.TCP_NODELAY, 1, BIOReason.UNABLE_TO_NODELAY
        )
    )


def socket_connect(sock: socket.socket, sockaddr: Any, options: int, *, report: bool) -> int:
    """BIO_connect: set the options, then connect().  Returns 0 on success, else the errno.

    A failure that is not "try again" queues OpenSSL's two entries ("calling
    connect()" and BIO_R_CONNECT_ERROR) when ``report`` is true; the connect
    BIO passes false when it will try another address, which is what OpenSSL's
    ERR_set_mark/ERR_pop_to_mark around the call amounts to.
    """
    if not _set_common_options(sock, options):
        return errno.EIO
    try:
        err = sock.connect_ex(sockaddr)
    except OSError as exc:  # e.g. a sockaddr of the wrong family
        err = exc.errno or errno.EINVAL
    if err and report and not sock_non_fatal_error(err):
        put_error(Lib.SYS, err, "calling connect()")
        put_error(Lib.BIO, BIOReason.CONNECT_ERROR)
    return err


def socket_listen(sock: socket.socket, sockaddr: Any, options: int) -> bool:
    """BIO_listen (and BIO_bind): options, IPV6_V6ONLY, SO_REUSEADDR, bind(), listen()."""
    if not _set_common_options(sock, options):
        return False
    if sock.family == socket.AF_INET6 and not _setopt(
        sock, socket.IPPROTO_IPV6, socket.IPV6_V6ONLY,
        1 if options & BIO_SOCK_V6_ONLY else 0, BIOReason.LISTEN_V6_ONLY,
    ):
        return False
    if options & BIO_SOCK_REUSEADDR and not _setopt(
        sock, socket.SOL_SOCKET, socket.SO_REUSEADDR, 1, BIOReason.UNABLE_TO_REUSEADDR
    ):
        return False
    try:
        sock.bind(sockaddr)
    except OSError as exc:
        _sys_error(exc, "calling bind()")
        put_error(Lib.BIO, BIOReason.UNABLE_TO_BIND_SOCKET)
        return False
    if sock.type == socket.SOCK_STREAM:
        try:
            sock.listen(socket.SOMAXCONN)
        except OSError as exc:
            _sys_error(exc, "calling listen()")
            put_error(Lib.BIO, BIOReason.UNABLE_TO_LISTEN_SOCKET)
            return False
    return True


def _adopt(sock: socket.socket | int) -> tuple[socket.socket, bool]:
    """The socket object for ``sock`` and whether biokit made it (from a bare fd)."""
    if isinstance(sock, socket.socket):
        return sock, False
    if isinstance(sock, int) and not isinstance(sock, bool):
        return socket.socket(fileno=sock), True
    raise TypeError(f"expected a socket.socket or an int fd, not {type(sock).__name__!r}")


# ---------------------------------------------------------------------- the BIO


class SocketBIO(BIO):
    """A socket BIO (BIO_s_socket); ``SocketBIO(sock, close)`` is BIO_new_socket.

    ``sock`` is a connected ``socket.socket`` or an int descriptor.  Whether
    calls block is the socket's business: a blocking socket blocks, a
    nonblocking one (or one with a timeout) makes the BIO ask for retries.
    """

    bio_type: ClassVar[int] = BIOType.SOCKET
    bio_name: ClassVar[str] = "socket"
    __slots__ = ("_owned", "_sock", "num")

    def __init__(self, sock: socket.socket | int | None = None, close: int = BIO_NOCLOSE) -> None:
        super().__init__()
        self._sock: socket.socket | None
        if sock is None:
            # BIO_new(BIO_s_socket()): no socket until BIO_set_fd.
            self._sock, self._owned = None, False
            self.num: int = -1
        else:
            self._sock, self._owned = _adopt(sock)
            self.num = self._sock.fileno()
        self._shutdown = close

    def __del__(self) -> None:
        # A socket object made from the caller's descriptor would close it when
        # collected; with BIO_NOCLOSE the descriptor is not ours to close.
        if (
            getattr(self, "_init", False)
            and not self._shutdown
            and getattr(self, "_owned", False)
            and self._sock is not None
        ):
            self._sock.detach()

    # ---------------------------------------------------------------- API

    def get_fd(self) -> int:
        """BIO_get_fd: the socket's descriptor (-1 once closed)."""
        return self.ctrl(Ctrl.C_GET_FD)

    def set_fd(self, sock: socket.socket | int, close: int = BIO_NOCLOSE) -> int:
        """BIO_set_fd: switch to another socket (closing the old one under BIO_CLOSE)."""
        return self.ctrl(Ctrl.C_SET_FD, close, sock)

    def set_nbio(self, on: bool) -> int:
        """BIO_socket_nbio(BIO_get_fd(b), on): make the socket nonblocking or blocking; 1 or 0.

        (BIO_set_nbio itself is a no-op on an OpenSSL socket BIO.)
        """
        if self._sock is None:
            return 0
        return socket_nbio(self._sock, on)

    @property
    def sock(self) -> socket.socket:
        """The underlying ``socket.socket`` (made from the descriptor if one was given)."""
        if self._sock is None:
            raise ValueError("no socket set (BIO_set_fd first)")
        return self._sock

    # ---------------------------------------------------------------- primitives

    def _read(self, size: int) -> bytes | int:
        sock = self._sock
        if sock is None:
            put_error(Lib.BIO, BIOReason.UNINITIALIZED)
            return -1
        return sock_read(self, sock, size)

    def _write(self, data: bytes | bytearray | memoryview) -> int:
        sock = self._sock
        if sock is None:
            put_error(Lib.BIO, BIOReason.UNINITIALIZED)
            return -1
        return sock_write(self, sock, data)

    def _eof(self) -> bool:
        return bool(self.flags & BIO_FLAGS_IN_EOF)

    def _reset(self) -> int:
        return 0

    def _ctrl(self, cmd: int, larg: int, parg: Any) -> int:
        if cmd == Ctrl.C_GET_FD:
            return self.num if self._init else -1
        if cmd == Ctrl.C_SET_FD:
            new, owned = _adopt(parg)
            self._release()
            self._sock, self._owned = new, owned
            self.num = new.fileno()
            self._shutdown = larg
            return 1
        if cmd == Ctrl.DUP:
            return 1
        if cmd in (Ctrl.C_SET_NBIO, Ctrl.INFO):
            return 0
        return super()._ctrl(cmd, larg, parg)

    def _release(self) -> None:
        # sock_free / the "minimal sock_free" of BIO_C_SET_FD.
        sock = self._sock
        if sock is None:
            return
        if self._shutdown:
            sock.close()
            self.flags = 0
        elif self._owned:
            sock.detach()

    def _destroy(self) -> None:
        self._release()

    def __repr__(self) -> str:
        state = " closed" if not self._init else ""
        return f"<{type(self).__name__} {self.bio_name!r} fd={self.num}{state}>"

