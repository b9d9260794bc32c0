"""BIO_s_accept and BIO_new_accept: listen, accept, and hand out connections (bss_acpt.c).

Theory of operation
-------------------
An accept BIO owns a listening socket.  Each connection it accepts becomes a
new ``SocketBIO`` (BIO_CLOSE) that is pushed *after* it in the chain, with
the chain from ``set_accept_bios`` placed in between::

    AcceptBIO -> [factory() chain] -> SocketBIO(connection)

``abio.pop()`` hands that connection chain to the caller.  After that the
accept BIO is alone again and can accept the next connection (this is the
manual's ``cbio = BIO_pop(abio)``).  The states::

    BEFORE -> GET_ADDR -> CREATE_SOCKET -> LISTEN  (first do_accept: returns 1)
    LISTEN -> ACCEPT -> OK                         (next do_accept: one connection, 1)
    OK -> ACCEPT once the connection chain has been popped

Corner cases kept from OpenSSL 3 (checked against libcrypto 3.0.19):

* The first ``do_accept()`` only binds and listens.  ``get_accept_name()`` and
  ``get_accept_port()`` then report the bound address (useful with port 0).
  They are None before that.
* ``do_accept()`` while a connection is still chained returns 1 and accepts
  nothing.
* With ``set_nbio_accept(True)`` (set *before* the first ``do_accept``), having
  nothing to accept returns -1 with ``should_io_special()`` set and
  ``retry_reason == RetryReason.ACCEPT``.  ``set_nbio(True)`` makes the
  accepted sockets nonblocking; otherwise they are blocking.
* ``read``/``write``/``puts`` on the accept BIO accept a connection first if
  none is chained (binding first if needed), then pass through to it and copy
  its retry flags.  ``gets`` is unsupported.  ``flush`` is 1, and ``pending``
  and ``eof`` are 0, without asking the connection.
* The accept BIO's callback is copied to each new socket BIO.
* A failed bind or listen closes the socket.  The BIO stays in LISTEN with no
  socket, so a retry reports "invalid socket".
* ``"port"``, ``":port"`` and ``"*:port"`` mean any interface; "host:port" and
  "[v6addr]:port" pick one.

One deliberate default differs: OpenSSL's bind mode defaults to
BIO_BIND_NORMAL, but every accept BIO in OpenSSL's own apps (the OCSP
responder, the HTTP server) sets BIO_BIND_REUSEADDR, so biokit starts with
BIO_BIND_REUSEADDR.  ``set_bind_mode(BIO_BIND_NORMAL)`` gives OpenSSL's default.

OpenSSL copies the ``set_accept_bios`` chain with BIO_dup_chain.  Python
cannot duplicate arbitrary BIOs, so biokit takes a zero-argument callable
that returns a fresh chain head for each connection.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from enum import IntEnum
from typing import Any, ClassVar

from biokit.bio.core import BIO, BIO_CLOSE, BIOType, Ctrl, RetryReason
from biokit.bio.s_socket import (
    BIO_BIND_REUSEADDR,
    BIO_C_GET_BIND_MODE,
    BIO_C_SET_BIND_MODE,
    BIO_FAMILY_IPANY,
    BIO_FAMILY_IPV4,
    BIO_FAMILY_IPV6,
    BIO_SOCK_NONBLOCK,
    PARSE_PRIO_SERV,
    AddrInfo,
    SocketBIO,
    c_str,
    family_of,
    lookup,
    new_socket,
    parse_hostserv,
    sock_should_retry,
    socket_listen,
    socket_nbio,
)
from biokit.errors import BIOReason, Lib, put_error

__all__ = ["AcceptBIO", "AcceptState", "ChainFactory"]

# What set_accept_bios takes: a callable returning a fresh chain head per connection.
ChainFactory = Callable[[], BIO]

_NUMERIC = socket.NI_NUMERICHOST | socket.NI_NUMERICSERV


class AcceptState(IntEnum):
    """The accept BIO's states (ACPT_S_*)."""

    BEFORE = 1
    GET_ADDR = 2
    CREATE_SOCKET = 3
    LISTEN = 4
    ACCEPT = 5
    OK = 6


def _numeric_name(sockaddr: Any) -> tuple[str, str]:
    # BIO_ADDR_hostname_string / BIO_ADDR_service_string with numeric=1.
    host, serv = socket.getnameinfo(sockaddr, _NUMERIC)
    return host, serv


class AcceptBIO(BIO):
    """An accept BIO (BIO_s_accept); ``AcceptBIO("host:port")`` is BIO_new_accept."""

    bio_type: ClassVar[int] = BIOType.ACCEPT
    bio_name: ClassVar[str] = "socket accept"
    __slots__ = (
        "_accept_name",
        "_accept_serv",
        "_accepted_mode",
        "_addr_i",
        "_addrs",
        "_bind_mode",
        "_factory",
        "_family",
        "_param_addr",
        "_param_serv",
        "_peer_name",
        "_peer_serv",
        "_sock",
        "_state",
        "num",
    )

    def __init__(self, name: str | None = None) -> None:
        super().__init__()
        self._state = AcceptState.BEFORE
        self._family = BIO_FAMILY_IPANY
        self._bind_mode = BIO_BIND_REUSEADDR
        self._accepted_mode = 0
        self._param_addr: str | None = None
        self._param_serv: str | None = None
        self._addrs: list[AddrInfo] | None = None
        self._addr_i = 0
        self._sock: socket.socket | None = None
        self._accept_name: str | None = None
        self._accept_serv: str | None = None
        self._peer_name: str | None = None
        self._peer_serv: str | None = None
        self._factory: ChainFactory | None = None
        self.num = -1
        if name is not None and not self.set_accept_name(name):
            raise ValueError(f"malformed host or service: {name!r}")

    # ---------------------------------------------------------------- setup

    def set_accept_name(self, name: str) -> int:
        """BIO_set_accept_name: ``"host:port"``, ``"port"``, ``"*:port"``; 1 or 0."""
        self._param_addr = None
        hs = parse_hostserv(name, PARSE_PRIO_SERV)
        if hs is None:
            return 0
        if hs.has_host:
            self._param_addr = hs.host
        if hs.has_service:
            self._param_serv = hs.service
        return 1

    def set_accept_port(self, port: str | int) -> int:
        """BIO_set_accept_port: the port number or service name to listen on; 1."""
        self._param_serv = str(port)
        return 1

    def get_accept_name(self) -> str | None:
        """BIO_get_accept_name: the numeric address listened on (None before listening)."""
        return self._accept_name

    def get_accept_port(self) -> str | None:
        """BIO_get_accept_port: the port listened on, as a string (None before listening)."""
        return self._accept_serv

    def get_peer_name(self) -> str | None:
        """BIO_get_peer_name: the numeric address of the last accepted peer."""
        return self._peer_name

    def get_peer_port(self) -> str | None:
        """BIO_get_peer_port: the port of the last accepted peer, as a string."""
        return self._peer_serv

    def set_accept_ip_family(self, family: int) -> int:
        """BIO_set_accept_ip_family: BIO_FAMILY_IPV4, BIO_FAMILY_IPV6 or BIO_FAMILY_IPANY; 1."""
        self._family = family
        return 1

    def get_accept_ip_family(self) -> int:
        """BIO_get_accept_ip_family: the family of the address in use, else the one set."""
        if self._addrs is None:
            return self._family
        fam = self._addrs[self._addr_i].family
        if fam == socket.AF_INET6:
            return BIO_FAMILY_IPV6
        return BIO_FAMILY_IPV4 if fam == socket.AF_INET else -1

    def set_nbio_accept(self, on: bool) -> int:
        """BIO_set_nbio_accept: a nonblocking listening socket (set before the first accept); 1."""
        if on:
            self._bind_mode |= BIO_SOCK_NONBLOCK
        else:
            self._bind_mode &= ~BIO_SOCK_NONBLOCK
        return 1

    def set_nbio(self, on: bool) -> int:
        """BIO_set_nbio: make accepted sockets nonblocking (default: blocking); 1."""
        return self.ctrl(Ctrl.C_SET_NBIO, 1 if on else 0)

    def set_accept_bios(self, factory: ChainFactory | None) -> int:
        """BIO_set_accept_bios: ``factory()`` makes the chain put before each new socket BIO; 1."""
        self._factory = factory
        return 1

    def set_bind_mode(self, mode: int) -> int:
        """BIO_set_bind_mode: BIO_BIND_NORMAL or BIO_BIND_REUSEADDR (replaces every mode bit); 1."""
        return self.ctrl(BIO_C_SET_BIND_MODE, mode)

    def get_bind_mode(self) -> int:
        """BIO_get_bind_mode."""
        return self.ctrl(BIO_C_GET_BIND_MODE)

    def do_accept(self) -> int:
        """BIO_do_accept: first call listens, later calls accept one connection; 1, 0 or -1."""
        return self.ctrl(Ctrl.C_DO_STATE_MACHINE)

    def get_fd(self) -> int:
        """BIO_get_fd: the listening socket's descriptor (-1 when there is none)."""
        return self.ctrl(Ctrl.C_GET_FD)

    @property
    def state(self) -> AcceptState:
        """Where the state machine is (ACPT_S_*)."""
        return self._state

    # ---------------------------------------------------------------- state machine

    def _acpt_state(self) -> int:
        """acpt_state: advance until listening (1), connected (1), blocked or failed (-1)."""
        while True:
            state = self._state
            if state == AcceptState.BEFORE:
                if self._param_addr is None and self._param_serv is None:
                    put_error(
                        Lib.BIO, BIOReason.NO_ACCEPT_ADDR_OR_SERVICE_SPECIFIED,
                        f"hostname={c_str(self._param_addr)}, service={c_str(self._param_serv)}",
                    )
                    return -1
                self._accept_name = self._accept_serv = None
                self._peer_name = self._peer_serv = None
                self._state = AcceptState.GET_ADDR
            elif state == AcceptState.GET_ADDR:
                family = family_of(self._family)
                if family is None:
                    return -1
                addrs = lookup(
                    self._param_addr, self._param_serv,
                    server=True, family=family, socktype=socket.SOCK_STREAM,
                )
                if addrs is None:
                    return -1
                if not addrs:
                    put_error(Lib.BIO, BIOReason.LOOKUP_RETURNED_NOTHING)
                    return -1
                self._addrs = addrs
                self._addr_i = 0
                self._state = AcceptState.CREATE_SOCKET
            elif state == AcceptState.CREATE_SOCKET:
                sock = new_socket(self._addr)
                if isinstance(sock, int):
                    put_error(
                        Lib.SYS, sock,
                        f"calling socket({c_str(self._param_addr)}, {c_str(self._param_serv)})",
                    )
                    put_error(Lib.BIO, BIOReason.UNABLE_TO_CREATE_SOCKET)
                    return -1
                self._sock = sock
                self.num = sock.fileno()
                self._state = AcceptState.LISTEN
            elif state == AcceptState.LISTEN:
                return self._listen()
            elif state == AcceptState.ACCEPT:
                if self.next is not None:
                    self._state = AcceptState.OK
                    continue
                return self._accept()
            else:  # AcceptState.OK
                if self.next is None:
                    self._state = AcceptState.ACCEPT
                    continue
                return 1

    @property
    def _addr(self) -> AddrInfo:
        addrs = self._addrs
        if addrs is None:  # pragma: no cover - GET_ADDR always runs first
            raise RuntimeError("accept BIO has no address yet")
        return addrs[self._addr_i]

    def _listen(self) -> int:
        sock = self._sock
        if sock is None:
            # A failed listen left no socket behind (OpenSSL: BIO_listen(-1)).
            put_error(Lib.BIO, BIOReason.INVALID_SOCKET)
            return -1
        if not socket_listen(sock, self._addr.sockaddr, self._bind_mode):
            sock.close()
            self._sock = None
            self.num = -1
            return -1
        self._accept_name, self._accept_serv = _numeric_name(sock.getsockname())
        self._state = AcceptState.ACCEPT
        return 1

    def _accept(self) -> int:
        """BIO_accept_ex on the listening socket, then chain the new socket BIO."""
        lsock = self._sock
        self.clear_retry_flags()
        self.retry_reason = 0
        self._peer_name = self._peer_serv = None
        if lsock is None:
            put_error(Lib.BIO, BIOReason.INVALID_SOCKET)
            return -1
        try:
            conn, peer = lsock.accept()
        except OSError as exc:
            if sock_should_retry(exc):
                self.set_retry_special(RetryReason.ACCEPT)
            else:
                put_error(Lib.SYS, exc.errno or 0, "calling accept()")
                put_error(Lib.BIO, BIOReason.ACCEPT_ERROR)
            return -1
        if not socket_nbio(conn, bool(self._accepted_mode & BIO_SOCK_NONBLOCK)):
            conn.close()
            return -1
        bio = SocketBIO(conn, BIO_CLOSE)
        bio.set_callback(self.get_callback())
        head: BIO = bio
        if self._factory is not None:
            try:
                head = self._factory()
                head.push(bio)
            except BaseException:
                bio.close()
                raise
        self.push(head)
        self._peer_name, self._peer_serv = _numeric_name(peer)
        self._state = AcceptState.OK
        return 1

    def _close_socket(self) -> None:
        """acpt_close_socket: shut the listening socket down and close it."""
        sock = self._sock
        if sock is None:
            return
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # a listening socket is not connected; OpenSSL ignores this too
        sock.close()
        self._sock = None
        self.num = -1

    # ---------------------------------------------------------------- primitives

    def _read(self, size: int) -> bytes | int:
        while self.next is None:
            ret = self._acpt_state()
            if ret <= 0:
                return ret
        nb = self.next
        r = nb.read_c(size)
        self.copy_next_retry()
        return r

    def _write(self, data: bytes | bytearray | memoryview) -> int:
        while self.next is None:
            ret = self._acpt_state()
            if ret <= 0:
                return ret
        nb = self.next
        n = nb.write(data)
        self.copy_next_retry()
        return n

    def _ctrl(self, cmd: int, larg: int, parg: Any) -> int:
        if cmd == Ctrl.C_DO_STATE_MACHINE:
            return self._acpt_state()
        if cmd == Ctrl.C_SET_NBIO:
            if larg:
                self._accepted_mode |= BIO_SOCK_NONBLOCK
            else:
                self._accepted_mode &= ~BIO_SOCK_NONBLOCK
            return 1
        if cmd == BIO_C_SET_BIND_MODE:
            self._bind_mode = larg
            return 1
        if cmd == BIO_C_GET_BIND_MODE:
            return self._bind_mode
        if cmd == Ctrl.C_SET_ACCEPT:
            return self._set_accept(larg, parg)
        if cmd == Ctrl.C_GET_ACCEPT:
            return self._get_accept(larg, parg)
        if cmd == Ctrl.C_GET_FD:
            return self.num if self._init else -1
        if cmd == Ctrl.RESET:
            self._close_socket()
            self._state = AcceptState.BEFORE
            self._addrs = None
            self.flags = 0
            return 0
        if cmd == Ctrl.DUP:
            return 1
        return super()._ctrl(cmd, larg, parg)

    def _set_accept(self, which: int, value: Any) -> int:
        # acpt_ctrl(BIO_C_SET_ACCEPT): which = 0 name, 1 port, 2 nonblocking
        # listen (value non-NULL: on), 3 the accept chain, 4 the IP family.
        if which == 2:
            return self.set_nbio_accept(value is not None)
        if which == 3:
            # C ignores a NULL chain; biokit lets None remove the factory.
            return self.set_accept_bios(value)
        if value is None:
            return 1  # C: a NULL pointer changes nothing
        if which == 0:
            return self.set_accept_name(str(value))
        if which == 1:
            return self.set_accept_port(value)
        if which == 4:
            return self.set_accept_ip_family(int(value))
        return 1

    def _get_accept(self, which: int, out: Any) -> int:
        # acpt_ctrl(BIO_C_GET_ACCEPT): 0-3 hand out a string through the
        # out-parameter (a list here); 4 returns the family; else -1.
        if which == 4:
            return self.get_accept_ip_family()
        if not isinstance(out, list) or not 0 <= which <= 3:
            return -1
        out.append(
            (self._accept_name, self._accept_serv, self._peer_name, self._peer_serv)[which]
        )
        return 1

    def _destroy(self) -> None:
        if self._shutdown:
            self._close_socket()
        elif self._sock is not None:
            # BIO_NOCLOSE: the listening descriptor outlives the BIO.
            self._sock.detach()
            self._sock = None
        self._factory = None

    def __repr__(self) -> str:
        state = " closed" if not self._init else ""
        where = f"{c_str(self._param_addr)}:{c_str(self._param_serv)}"
        return f"<{type(self).__name__} {where} {self._state.name}{state}>"
