"""BIO_s_connect and BIO_new_connect: a socket BIO that makes its own connection (bss_conn.c).

Theory of operation
-------------------
The BIO runs OpenSSL's connect state machine the first time it is read,
written or told to ``do_connect()``.  After that it is a socket BIO: reads
and writes go through ``s_socket.sock_read``/``sock_write`` and behave the same::

    BEFORE -> GET_ADDR -> CREATE_SOCKET -> CONNECT --------------------> OK
                              ^               | EINPROGRESS (nbio)        ^
                              |               v                           |
                              +---- BLOCKED_CONNECT (RR_CONNECT) ----------+
                   next address       | error, no address left
                                      v
                                 -> 0, "nbio connect error"
    CONNECT, error, no address left -> CONNECT_ERROR -> 0, "connect error"

Corner cases kept from OpenSSL 3 (checked against libcrypto 3.0.19):

* A nonblocking connect that would block returns **0** (not -1) with
  ``should_io_special()`` set and ``retry_reason == RetryReason.CONNECT``.
  A read or write makes the same report.
* The next ``do_connect()`` waits until the socket is writable.  OpenSSL
  busy-loops there; biokit sleeps in poll() instead.  So call it once select()
  says the descriptor is writable.  When it returns 1, the retry flags of the
  earlier call are still set, as in OpenSSL.
* A refused blocking connect queues four entries: the system error with
  "calling connect()", "connect error", the system error again with
  "calling connect(host, port)", and "connect error".  It returns 0.  Each
  later call adds one more "connect error" and returns 0.
* A refused nonblocking connect queues the system error with "calling
  connect(host, port)" and "nbio connect error", and returns 0.  The state
  machine stays in BLOCKED_CONNECT, so a further ``do_connect()`` reads a
  cleared SO_ERROR and returns 1.  That is OpenSSL's behaviour, bug included.
* Every address the lookup returned is tried in turn.  Only the last
  failure is reported.
* Connection sockets get SO_KEEPALIVE.  ``set_nbio`` only takes effect at the
  next connect (it sets the connect mode, as BIO_set_nbio does here).
* ``gets`` is unsupported (-2) and ``reset()`` returns 0 (then reconnects on
  next use).  ``close()`` shuts an established connection down before closing
  it, with BIO_CLOSE (the default).
* Host and port strings: "host:port", "[v6addr]:port", "host" (port set
  apart), "host:" or "host:*" (no port), ":port" or "*:port" (no host).  More
  than one ':' outside brackets is "ambiguous host or service".
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from enum import IntEnum
from typing import Any, ClassVar

from biokit.bio.core import BIO, BIO_FLAGS_IN_EOF, BIOType, Ctrl, RetryReason
from biokit.bio.s_socket import (
    BIO_C_SET_CONNECT_MODE,
    BIO_FAMILY_IPANY,
    BIO_SOCK_KEEPALIVE,
    BIO_SOCK_NONBLOCK,
    PARSE_PRIO_HOST,
    AddrInfo,
    c_str,
    family_of,
    lookup,
    new_socket,
    parse_hostserv,
    sock_non_fatal_error,
    sock_read,
    sock_write,
    socket_connect,
    wait_writable,
)
from biokit.errors import BIOReason, Lib, put_error

__all__ = ["ConnState", "ConnectBIO", "InfoCallback"]

# BIO_info_cb: callback(bio, state, ret) -> ret, called after every state step.
InfoCallback = Callable[[BIO, int, int], int]

# With an info callback installed, OpenSSL's wait for a pending connect calls
# it on every spin; biokit polls in slices this long between the calls.
_SPIN_SLICE = 0.01


class ConnState(IntEnum):
    """The connect BIO's states (BIO_CONN_S_*)."""

    BEFORE = 1
    GET_ADDR = 2
    CREATE_SOCKET = 3
    CONNECT = 4
    OK = 5
    BLOCKED_CONNECT = 6
    CONNECT_ERROR = 7


class ConnectBIO(BIO):
    """A connect BIO (BIO_s_connect); ``ConnectBIO("host:port")`` is BIO_new_connect."""

    bio_type: ClassVar[int] = BIOType.CONNECT
    bio_name: ClassVar[str] = "socket connect"
    __slots__ = (
        "_addr_i",
        "_addrs",
        "_family",
        "_hostname",
        "_info_cb",
        "_mode",
        "_service",
        "_sock",
        "_state",
        "num",
    )

    def __init__(self, name: str | None = None) -> None:
        super().__init__()
        self._state = ConnState.BEFORE
        self._family = BIO_FAMILY_IPANY
        self._mode = 0
        self._hostname: str | None = None
        self._service: str | None = None
        self._addrs: list[AddrInfo] | None = None
        self._addr_i = 0
        self._sock: socket.socket | None = None
        self._info_cb: InfoCallback | None = None
        self.num = -1
        if name is not None and not self.set_conn_hostname(name):
            raise ValueError(f"malformed host or service: {name!r}")

    # ---------------------------------------------------------------- setup

    def set_conn_hostname(self, name: str) -> int:
        """BIO_set_conn_hostname: the host, and the port too if ``name`` has one; 1 or 0."""
        # OpenSSL drops the old host before parsing, even when parsing fails.
        self._hostname = None
        hs = parse_hostserv(name, PARSE_PRIO_HOST)
        if hs is None:
            return 0
        if hs.has_host:
            self._hostname = hs.host
        if hs.has_service:
            self._service = hs.service
        return 1

    def set_conn_port(self, port: str | int) -> int:
        """BIO_set_conn_port: a port number or service name such as ``"https"``; 1."""
        self._service = str(port)
        return 1

    def get_conn_hostname(self) -> str | None:
        """BIO_get_conn_hostname: the host as set (None if none)."""
        return self._hostname

    def get_conn_port(self) -> str | None:
        """BIO_get_conn_port: the port or service as set (None if none)."""
        return self._service

    def set_conn_ip_family(self, family: int) -> int:
        """BIO_set_conn_ip_family: BIO_FAMILY_IPV4, BIO_FAMILY_IPV6 or BIO_FAMILY_IPANY; 1."""
        self._family = family
        return 1

    def set_conn_mode(self, mode: int) -> int:
        """BIO_set_conn_mode: the BIO_SOCK_* options of the next connect (NONBLOCK, NODELAY)."""
        return self.ctrl(BIO_C_SET_CONNECT_MODE, mode)

    def set_nbio(self, on: bool) -> int:
        """BIO_set_nbio: connect (and then do I/O) nonblocking; takes effect at the next connect."""
        return self.ctrl(Ctrl.C_SET_NBIO, 1 if on else 0)

    def do_connect(self) -> int:
        """BIO_do_connect: run the state machine; 1 connected, 0 or -1 not (see the retry flags)."""
        return self.ctrl(Ctrl.C_DO_STATE_MACHINE)

    def get_fd(self) -> int:
        """BIO_get_fd: the socket's descriptor, -1 before one exists."""
        return self.ctrl(Ctrl.C_GET_FD)

    def set_info_callback(self, cb: InfoCallback | None) -> int:
        """BIO_set_info_callback: ``cb(bio, state, ret) -> ret`` after each state step."""
        self._info_cb = cb
        return 1

    def get_info_callback(self) -> InfoCallback | None:
        """BIO_get_info_callback."""
        return self._info_cb

    @property
    def state(self) -> ConnState:
        """Where the state machine is (BIO_CONN_S_*)."""
        return self._state

    # ---------------------------------------------------------------- state machine

    def _conn_state(self) -> int:
        """conn_state: advance until connected, blocked or failed; 1, 0 or -1."""
        ret = -1
        cb = self._info_cb
        while True:
            state = self._state
            if state == ConnState.BEFORE:
                if self._hostname is None and self._service is None:
                    put_error(
                        Lib.BIO, BIOReason.NO_HOSTNAME_OR_SERVICE_SPECIFIED,
                        f"hostname={c_str(self._hostname)} service={c_str(self._service)}",
                    )
                    break
                self._state = ConnState.GET_ADDR
            elif state == ConnState.GET_ADDR:
                family = family_of(self._family)
                if family is None:
                    break
                addrs = lookup(
                    self._hostname, self._service,
                    server=False, family=family, socktype=socket.SOCK_STREAM,
                )
                if addrs is None:
                    break
                if not addrs:
                    put_error(Lib.BIO, BIOReason.LOOKUP_RETURNED_NOTHING)
                    break
                self._addrs = addrs
                self._addr_i = 0
                self._state = ConnState.CREATE_SOCKET
            elif state == ConnState.CREATE_SOCKET:
                sock = new_socket(self._addr)
                if isinstance(sock, int):
                    put_error(
                        Lib.SYS, sock,
                        f"calling socket({c_str(self._hostname)}, {c_str(self._service)})",
                    )
                    put_error(Lib.BIO, BIOReason.UNABLE_TO_CREATE_SOCKET)
                    ret = -1
                    break
                self._sock = sock
                ret = self.num = sock.fileno()
                self._state = ConnState.CONNECT
            elif state == ConnState.CONNECT:
                self.clear_retry_flags()
                more = self._addr_i + 1 < len(self._addrs or ())
                err = socket_connect(
                    self._live_sock, self._addr.sockaddr, BIO_SOCK_KEEPALIVE | self._mode,
                    report=not more,
                )
                self.retry_reason = 0
                if err == 0:
                    ret = 1
                    self._state = ConnState.OK
                else:
                    ret = 0
                    if sock_non_fatal_error(err):
                        self.set_retry_special(RetryReason.CONNECT)
                        self._state = ConnState.BLOCKED_CONNECT
                        break
                    if more:
                        self._next_address()
                    else:
                        self._connect_failed(err)
                        self._state = ConnState.CONNECT_ERROR
            elif state == ConnState.BLOCKED_CONNECT:
                # OpenSSL polls with a zero timeout and loops until writable.
                if not wait_writable(self.num, None if cb is None else _SPIN_SLICE):
                    if cb is not None:
                        ret = cb(self, state, ret)
                        if ret == 0:
                            return ret
                    continue
                err = self._live_sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    self.clear_retry_flags()
                    if self._addr_i + 1 < len(self._addrs or ()):
                        self._next_address()
                    else:
                        self._connect_failed(err)
                        put_error(Lib.BIO, BIOReason.NBIO_CONNECT_ERROR)
                        ret = 0
                        break
                else:
                    self._state = ConnState.OK
            elif state == ConnState.CONNECT_ERROR:
                put_error(Lib.BIO, BIOReason.CONNECT_ERROR)
                ret = 0
                break
            else:  # ConnState.OK
                ret = 1
                break
            if cb is not None:
                ret = cb(self, self._state, ret)
                if ret == 0:
                    return ret
        if cb is not None:
            ret = cb(self, self._state, ret)
        return ret

    @property
    def _addr(self) -> AddrInfo:
        addrs = self._addrs
        if addrs is None:  # pragma: no cover - GET_ADDR always runs first
            raise RuntimeError("connect BIO has no address yet")
        return addrs[self._addr_i]

    @property
    def _live_sock(self) -> socket.socket:
        sock = self._sock
        if sock is None:  # pragma: no cover - CREATE_SOCKET always runs first
            raise RuntimeError("connect BIO has no socket yet")
        return sock

    def _next_address(self) -> None:
        self._live_sock.close()
        self._sock = None
        self._addr_i += 1
        self._state = ConnState.CREATE_SOCKET

    def _connect_failed(self, err: int) -> None:
        put_error(
            Lib.SYS, err, f"calling connect({c_str(self._hostname)}, {c_str(self._service)})",
            depth=2,
        )

    def _close_socket(self) -> None:
        """conn_close_socket: shut an established connection down, then close the socket."""
        sock = self._sock
        if sock is None:
            return
        if self._state == ConnState.OK:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # the peer may be gone already; closing is what matters
        sock.close()
        self._sock = None
        self.num = -1

    # ---------------------------------------------------------------- primitives

    def _read(self, size: int) -> bytes | int:
        if self._state != ConnState.OK:
            ret = self._conn_state()
            if ret <= 0:
                return ret
        return sock_read(self, self._live_sock, size)

    def _write(self, data: bytes | bytearray | memoryview) -> int:
        if self._state != ConnState.OK:
            ret = self._conn_state()
            if ret <= 0:
                return ret
        return sock_write(self, self._live_sock, data)

    def _eof(self) -> bool:
        return bool(self.flags & BIO_FLAGS_IN_EOF)

    def _ctrl(self, cmd: int, larg: int, parg: Any) -> int:
        if cmd == Ctrl.C_DO_STATE_MACHINE:
            return 1 if self._state == ConnState.OK else self._conn_state()
        if cmd == Ctrl.C_SET_NBIO:
            if larg:
                self._mode |= BIO_SOCK_NONBLOCK
            else:
                self._mode &= ~BIO_SOCK_NONBLOCK
            return 1
        if cmd == BIO_C_SET_CONNECT_MODE:
            self._mode = larg
            return 1
        if cmd == Ctrl.C_SET_CONNECT:
            # BIO_set_conn_hostname / _port / _ip_family are this ctrl, so they
            # also work through filters in front (e.g. an SSL BIO).
            if larg == 0:
                return self.set_conn_hostname(str(parg))
            if larg == 1:
                return self.set_conn_port(parg)
            if larg == 3:
                return self.set_conn_ip_family(int(parg))
            return 0
        if cmd == Ctrl.C_GET_CONNECT:
            # BIO_get_conn_hostname / _port (BIO_ptr_ctrl): the string goes out
            # through the out-parameter, a list here; without one, 0.
            if not isinstance(parg, list) or larg not in (0, 1):
                return 0
            parg.append(self._hostname if larg == 0 else self._service)
            return 1
        if cmd == Ctrl.C_GET_FD:
            return self.num if self._init else -1
        if cmd == Ctrl.RESET:
            self._close_socket()
            self._state = ConnState.BEFORE
            self._addrs = None
            self.flags = 0
            return 0
        if cmd == Ctrl.DUP:
            return 1
        return super()._ctrl(cmd, larg, parg)

    def _destroy(self) -> None:
        if self._shutdown:
            self._close_socket()
        elif self._sock is not None:
            # BIO_NOCLOSE: the descriptor outlives the BIO (get it with get_fd()).
            self._sock.detach()
            self._sock = None

    def __repr__(self) -> str:
        state = " closed" if not self._init else ""
        where = f"{c_str(self._hostname)}:{c_str(self._service)}"
        return f"<{type(self).__name__} {where} {self._state.name}{state}>"
