"""ConnectBIO (BIO_s_connect) and AcceptBIO (BIO_s_accept) on 127.0.0.1.

Exact return values, retry flags and error-queue entries, the two manual
pages' examples ported line by line, and a differential section that runs
the same scenarios through OpenSSL's own libcrypto (ctypes; skipped when it
cannot be loaded) and compares the results.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import select
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from biokit.bio import (
    BIO,
    BIO_CLOSE,
    BIO_NOCLOSE,
    AcceptBIO,
    BIOType,
    ConnectBIO,
    FilterBIO,
    MemBIO,
    RetryReason,
    SocketBIO,
)
from biokit.bio.s_accept import AcceptState
from biokit.bio.s_connect import ConnState
from biokit.bio.s_socket import (
    BIO_BIND_NORMAL,
    BIO_BIND_REUSEADDR,
    BIO_FAMILY_IPANY,
    BIO_FAMILY_IPV4,
    BIO_SOCK_NODELAY,
)
from biokit.errors import BIOReason, Lib, clear_error, errors_as_list, pack_error

RETRY_READ = 0x01 | 0x08
RETRY_SPECIAL = 0x04 | 0x08  # BIO_FLAGS_IO_SPECIAL | BIO_FLAGS_SHOULD_RETRY

pytestmark = pytest.mark.timeout(20)

ECONNREFUSED = pack_error(Lib.SYS, errno.ECONNREFUSED)
CONNECT_ERROR = pack_error(Lib.BIO, BIOReason.CONNECT_ERROR)
NBIO_CONNECT_ERROR = pack_error(Lib.BIO, BIOReason.NBIO_CONNECT_ERROR)


def entries() -> list[tuple[int, str]]:
    return [(e.code, e.data) for e in errors_as_list()]


def closed_port() -> int:
    """A 127.0.0.1 port nobody listens on (bound, then released)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port: int = s.getsockname()[1]
    s.close()
    return port


def writable(fd: int, timeout: float = 5.0) -> bool:
    return bool(select.select([], [fd], [], timeout)[1])


def readable(fd: int | socket.socket, timeout: float = 5.0) -> bool:
    return bool(select.select([fd], [], [], timeout)[0])


def recv_all(sock: socket.socket, limit: int = 1 << 20) -> bytes:
    out = bytearray()
    while len(out) < limit:
        chunk = sock.recv(65536)
        if not chunk:
            break
        out += chunk
    return bytes(out)


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(8)
    s.settimeout(5)
    try:
        yield s
    finally:
        s.close()


def port_of(s: socket.socket) -> int:
    port: int = s.getsockname()[1]
    return port


def sockopt(fd: int, level: int, opt: int) -> int:
    tmp = socket.socket(fileno=os.dup(fd))
    try:
        value: int = tmp.getsockopt(level, opt)
        return value
    finally:
        tmp.close()


# ====================================================================== ConnectBIO


def test_connect_identity_and_names() -> None:
    bio = ConnectBIO("localhost:http")
    assert bio.bio_name == "socket connect"
    assert bio.bio_type == BIOType.CONNECT
    assert bio.get_conn_hostname() == "localhost"
    assert bio.get_conn_port() == "http"
    assert bio.get_fd() == -1
    assert bio.num == -1
    assert bio.get_close() == BIO_CLOSE
    assert bio.state == ConnState.BEFORE
    assert bio.pending() == 0 and bio.wpending() == 0 and bio.flush() == 1
    bio.close()


def test_connect_hostname_forms() -> None:
    bio = ConnectBIO("[::1]:4433")
    assert (bio.get_conn_hostname(), bio.get_conn_port()) == ("::1", "4433")
    # A port in the name overrides set_conn_port; a bare host keeps it.
    assert bio.set_conn_port(999) == 1
    assert bio.set_conn_hostname("example.org") == 1
    assert (bio.get_conn_hostname(), bio.get_conn_port()) == ("example.org", "999")
    assert bio.set_conn_hostname("host:") == 1
    assert (bio.get_conn_hostname(), bio.get_conn_port()) == ("host", None)
    bio.set_conn_port("999")
    clear_error()
    # A failed parse still drops the old host (OpenSSL frees it first).
    assert bio.set_conn_hostname("a:b:c") == 0
    assert (bio.get_conn_hostname(), bio.get_conn_port()) == (None, "999")
    assert entries() == [(pack_error(Lib.BIO, BIOReason.AMBIGUOUS_HOST_OR_SERVICE), "")]
    bio.close()
    with pytest.raises(ValueError):
        ConnectBIO("[::1]x")


def test_connect_blocking(listener: socket.socket) -> None:
    bio = ConnectBIO(f"127.0.0.1:{port_of(listener)}")
    clear_error()
    assert bio.do_connect() == 1
    assert bio.state == ConnState.OK
    assert bio.get_retry_flags() == 0
    fd = bio.get_fd()
    assert fd >= 0 and bio.num == fd
    # BIO_connect always asks for keep-alives; a blocking BIO keeps a blocking socket.
    assert sockopt(fd, socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
    assert bio.do_connect() == 1
    peer, _ = listener.accept()
    with peer:
        assert bio.write(b"hello") == 5
        assert peer.recv(10) == b"hello"
        peer.sendall(b"world")
        assert bio.read(10) == b"world"
        peer.shutdown(socket.SHUT_WR)
        assert bio.read_c(10) == 0
        assert bio.eof() is True
        assert bio.get_retry_flags() == 0
    assert entries() == []
    bio.close()
    assert bio.closed


def test_connect_from_first_read(listener: socket.socket) -> None:
    """A read on an unconnected BIO connects first (blocking), then reads."""
    bio = ConnectBIO()
    bio.set_conn_hostname("127.0.0.1")
    bio.set_conn_port(port_of(listener))
    peer = None

    def serve() -> None:
        nonlocal peer
        peer, _ = listener.accept()
        peer.sendall(b"greeting")

    t = threading.Thread(target=serve)
    t.start()
    try:
        assert bio.read(100) == b"greeting"
        assert bio.state == ConnState.OK
    finally:
        t.join(5)
        assert not t.is_alive()
        if peer is not None:
            peer.close()
        bio.close()


def test_connect_nonblocking(listener: socket.socket) -> None:
    bio = ConnectBIO(f"127.0.0.1:{port_of(listener)}")
    assert bio.set_nbio(True) == 1
    clear_error()
    # OpenSSL returns 0 (not -1) for a connect in progress, with io-special set.
    assert bio.do_connect() == 0
    assert bio.get_retry_flags() == RETRY_SPECIAL
    assert bio.should_retry() and bio.should_io_special()
    assert not bio.should_read() and not bio.should_write()
    assert bio.retry_reason == RetryReason.CONNECT
    assert bio.state == ConnState.BLOCKED_CONNECT
    ret = 0
    for _ in range(50):
        if not bio.should_io_special():
            break
        writable(bio.get_fd(), 0.1)
        ret = bio.do_connect()
        if ret == 1:
            break
    assert ret == 1
    assert bio.state == ConnState.OK
    # BIO_ctrl does not clear retry flags: the ones of the first call remain (OpenSSL too).
    assert bio.get_retry_flags() == RETRY_SPECIAL
    assert entries() == []
    peer, _ = listener.accept()
    with peer:
        # The socket itself is nonblocking now.
        assert bio.read_c(10) == -1
        assert bio.get_retry_flags() == RETRY_READ
        assert bio.retry_reason == RetryReason.CONNECT  # a read does not reset the reason
        peer.sendall(b"nb")
        assert readable(bio.get_fd())
        assert bio.read(10) == b"nb"
    bio.close()


def test_connect_nonblocking_via_read(listener: socket.socket) -> None:
    bio = ConnectBIO(f"127.0.0.1:{port_of(listener)}")
    bio.set_nbio(True)
    assert bio.read_c(10) == 0
    assert bio.get_retry_flags() == RETRY_SPECIAL
    assert bio.retry_reason == RetryReason.CONNECT
    assert writable(bio.get_fd())
    assert bio.read_c(10) == -1  # connected now, nothing to read yet
    assert bio.get_retry_flags() == RETRY_READ
    peer, _ = listener.accept()
    peer.close()
    bio.close()


def test_connect_refused_blocking() -> None:
    port = closed_port()
    bio = ConnectBIO(f"127.0.0.1:{port}")
    clear_error()
    assert bio.do_connect() == 0
    assert bio.get_retry_flags() == 0
    assert bio.state == ConnState.CONNECT_ERROR
    assert bio.get_fd() >= 0  # the socket stays until reset or close
    where = f"calling connect(127.0.0.1, {port})"
    assert entries() == [
        (ECONNREFUSED, "calling connect()"),
        (CONNECT_ERROR, ""),
        (ECONNREFUSED, where),
        (CONNECT_ERROR, ""),
    ]
    assert errors_as_list()[0].reason_string == os.strerror(errno.ECONNREFUSED)
    clear_error()
    assert bio.do_connect() == 0
    assert entries() == [(CONNECT_ERROR, "")]
    clear_error()
    assert bio.read_c(10) == 0
    assert bio.read(10) == b""
    assert bio.write(b"x") == 0
    assert entries() == [(CONNECT_ERROR, "")] * 3
    assert bio.should_retry() is False
    assert bio.reset() == 0
    assert bio.state == ConnState.BEFORE
    assert bio.get_fd() == -1
    bio.close()


def test_connect_refused_nonblocking() -> None:
    port = closed_port()
    bio = ConnectBIO(f"127.0.0.1:{port}")
    bio.set_nbio(True)
    clear_error()
    assert bio.do_connect() == 0
    assert bio.get_retry_flags() == RETRY_SPECIAL
    assert entries() == []
    assert writable(bio.get_fd())
    assert bio.do_connect() == 0
    assert bio.get_retry_flags() == 0
    assert entries() == [
        (ECONNREFUSED, f"calling connect(127.0.0.1, {port})"),
        (NBIO_CONNECT_ERROR, ""),
    ]
    # OpenSSL stays in BLOCKED_CONNECT, finds SO_ERROR cleared and reports success.
    clear_error()
    assert bio.state == ConnState.BLOCKED_CONNECT
    assert bio.do_connect() == 1
    assert entries() == []
    bio.close()


def test_connect_without_host_or_port() -> None:
    bio = ConnectBIO()
    clear_error()
    assert bio.do_connect() == -1
    assert entries() == [
        (
            pack_error(Lib.BIO, BIOReason.NO_HOSTNAME_OR_SERVICE_SPECIFIED),
            "hostname=<NULL> service=<NULL>",
        )
    ]
    bio.close()


def test_connect_without_port_connects_to_port_zero() -> None:
    bio = ConnectBIO("127.0.0.1")
    clear_error()
    assert bio.do_connect() == 0
    assert entries()[2] == (ECONNREFUSED, "calling connect(127.0.0.1, <NULL>)")
    bio.close()


def test_connect_lookup_failure() -> None:
    bio = ConnectBIO("127.0.0.1:notaport")
    clear_error()
    assert bio.do_connect() == -1
    (e,) = errors_as_list()
    assert e.code == pack_error(Lib.BIO, BIOReason.SYSTEM_LIB)
    assert e.code == 0x10080002
    assert e.reason_string == "system lib"
    assert e.data == "Servname not supported for ai_socktype"
    bio.close()


def test_connect_bad_family() -> None:
    bio = ConnectBIO("127.0.0.1:1")
    bio.set_conn_ip_family(99)
    clear_error()
    assert bio.do_connect() == -1
    assert entries() == [(pack_error(Lib.BIO, BIOReason.UNSUPPORTED_IP_FAMILY), "")]
    bio.close()


def test_connect_ipv4_family_and_mode(listener: socket.socket) -> None:
    bio = ConnectBIO(f"127.0.0.1:{port_of(listener)}")
    assert bio.set_conn_ip_family(BIO_FAMILY_IPV4) == 1
    assert bio.set_conn_mode(BIO_SOCK_NODELAY) == 1
    assert bio.do_connect() == 1
    assert sockopt(bio.get_fd(), socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
    listener.accept()[0].close()
    bio.close()


def test_connect_info_callback_sees_every_state(listener: socket.socket) -> None:
    seen: list[tuple[int, int]] = []

    def info(bio: BIO, state: int, ret: int) -> int:
        seen.append((state, ret))
        return ret

    bio = ConnectBIO(f"127.0.0.1:{port_of(listener)}")
    assert bio.set_info_callback(info) == 1
    assert bio.get_info_callback() is info
    assert bio.do_connect() == 1
    fd = bio.get_fd()
    assert seen == [
        (ConnState.GET_ADDR, -1),
        (ConnState.CREATE_SOCKET, -1),
        (ConnState.CONNECT, fd),
        (ConnState.OK, 1),
        (ConnState.OK, 1),
    ]
    listener.accept()[0].close()
    bio.close()


def test_connect_info_callback_can_stop_the_machine() -> None:
    bio = ConnectBIO("127.0.0.1:1")
    bio.set_info_callback(lambda b, state, ret: 0 if state == ConnState.CREATE_SOCKET else ret)
    assert bio.do_connect() == 0
    assert bio.state == ConnState.CREATE_SOCKET
    assert bio.get_fd() == -1
    bio.close()


def test_connect_noclose_leaves_socket_open(listener: socket.socket) -> None:
    bio = ConnectBIO(f"127.0.0.1:{port_of(listener)}")
    assert bio.do_connect() == 1
    fd = bio.get_fd()
    bio.set_close(BIO_NOCLOSE)
    bio.close()
    sock = socket.socket(fileno=fd)  # ours now
    with sock:
        peer, _ = listener.accept()
        with peer:
            sock.sendall(b"alive")
            assert peer.recv(10) == b"alive"


def test_connect_close_shuts_down(listener: socket.socket) -> None:
    bio = ConnectBIO(f"127.0.0.1:{port_of(listener)}")
    assert bio.do_connect() == 1
    peer, _ = listener.accept()
    with peer:
        bio.close()
        assert peer.recv(10) == b""


def test_connect_manual_example() -> None:
    """BIO_s_connect(3) EXAMPLES, against a tiny HTTP-ish server on 127.0.0.1."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(5)
    request = bytearray()
    response = b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n" + b"hello, BIO\n" * 300

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            conn.settimeout(5)
            while b"\n\n" not in request:
                chunk = conn.recv(1024)
                if not chunk:
                    break
                request.extend(chunk)
            conn.sendall(response)

    t = threading.Thread(target=serve)
    t.start()
    try:
        # cbio = BIO_new_connect("localhost:http");
        cbio = ConnectBIO(f"127.0.0.1:{port_of(server)}")
        # out = BIO_new_fp(stdout, BIO_NOCLOSE);
        out = MemBIO()
        # if (BIO_do_connect(cbio) <= 0) { ... ERR_print_errors_fp(stderr); exit(1); }
        if cbio.do_connect() <= 0:
            pytest.fail("Error connecting to server")
        # BIO_puts(cbio, "GET / HTTP/1.0\n\n");
        assert cbio.puts("GET / HTTP/1.0\n\n") == 16
        # for (;;) { len = BIO_read(cbio, tmpbuf, 1024); if (len <= 0) break; BIO_write(...) }
        for _ in range(10_000):
            tmpbuf = cbio.read(1024)
            if not tmpbuf:
                break
            assert len(tmpbuf) <= 1024
            out.write(tmpbuf)
        # BIO_free(cbio); BIO_free(out);
        cbio.free()
        assert out.getvalue() == response
        out.free()
    finally:
        t.join(5)
        server.close()
    assert not t.is_alive()
    assert bytes(request) == b"GET / HTTP/1.0\n\n"


# ====================================================================== AcceptBIO


def test_accept_identity() -> None:
    abio = AcceptBIO("127.0.0.1:0")
    assert abio.bio_name == "socket accept"
    assert abio.bio_type == BIOType.ACCEPT
    assert abio.get_close() == BIO_CLOSE
    # biokit's one deliberate default: REUSEADDR, as OpenSSL's own apps set it.
    assert abio.get_bind_mode() == BIO_BIND_REUSEADDR
    assert abio.get_fd() == -1
    assert (abio.get_accept_name(), abio.get_accept_port()) == (None, None)
    assert abio.get_accept_ip_family() == BIO_FAMILY_IPANY
    assert abio.state == AcceptState.BEFORE
    abio.close()
    with pytest.raises(ValueError):
        AcceptBIO("a:b:c")


def test_accept_blocking_with_client_thread() -> None:
    abio = AcceptBIO("127.0.0.1:0")
    clear_error()
    assert abio.do_accept() == 1  # bind + listen only
    assert abio.next is None
    assert abio.state == AcceptState.ACCEPT
    fd = abio.get_fd()
    assert fd >= 0 and abio.num == fd
    assert abio.get_accept_name() == "127.0.0.1"
    port = abio.get_accept_port()
    assert port is not None and port.isdigit() and int(port) > 0
    assert sockopt(fd, socket.SOL_SOCKET, socket.SO_REUSEADDR) == 1
    assert abio.get_accept_ip_family() == BIO_FAMILY_IPV4

    got: list[bytes] = []
    client_port: list[int] = []

    def client() -> None:
        with socket.create_connection(("127.0.0.1", int(port)), timeout=5) as c:
            client_port.append(c.getsockname()[1])
            c.sendall(b"ping")
            got.append(c.recv(10))

    t = threading.Thread(target=client)
    t.start()
    try:
        assert abio.do_accept() == 1
        conn = abio.next
        assert isinstance(conn, SocketBIO)
        assert conn.get_close() == BIO_CLOSE
        assert conn.prev is abio
        assert abio.state == AcceptState.OK
        # Reads and writes on the accept BIO pass through to the connection.
        assert abio.read(4) == b"ping"
        assert abio.write(b"pong") == 4
        assert abio.get_retry_flags() == 0
    finally:
        t.join(5)
    assert not t.is_alive()
    assert got == [b"pong"]
    assert abio.get_peer_name() == "127.0.0.1"
    assert abio.get_peer_port() == str(client_port[0])
    # While a connection is chained, do_accept accepts nothing and says 1.
    assert abio.do_accept() == 1
    assert abio.next is conn
    assert entries() == []
    cbio = abio.pop()
    assert cbio is conn and abio.next is None and conn.prev is None
    cbio.free()
    abio.free()


def test_accept_nonblocking_retry_accept() -> None:
    abio = AcceptBIO("127.0.0.1:0")
    assert abio.set_nbio_accept(True) == 1
    assert abio.do_accept() == 1
    clear_error()
    assert abio.do_accept() == -1
    assert abio.get_retry_flags() == RETRY_SPECIAL
    assert abio.should_io_special() and abio.should_retry()
    assert abio.retry_reason == RetryReason.ACCEPT
    assert abio.get_retry_bio() == (abio, RetryReason.ACCEPT)
    # A read with nobody to accept reports the same.
    assert abio.read_c(10) == -1
    assert abio.get_retry_flags() == RETRY_SPECIAL
    assert abio.retry_reason == RetryReason.ACCEPT
    assert abio.write(b"x") == -1
    assert abio.retry_reason == RetryReason.ACCEPT
    assert entries() == []
    port = abio.get_accept_port()
    assert port is not None
    with socket.create_connection(("127.0.0.1", int(port)), timeout=5) as c:
        ret = -1
        for _ in range(50):
            if not abio.should_io_special():
                break
            readable(abio.get_fd(), 0.1)
            ret = abio.do_accept()
            if ret == 1:
                break
        assert ret == 1
        assert abio.get_retry_flags() == 0
        assert abio.retry_reason == 0
        conn = abio.pop()
        assert isinstance(conn, SocketBIO)
        # Accepted sockets are blocking unless set_nbio(True) was called.
        assert conn.sock.getblocking() is True
        c.sendall(b"x")
        assert conn.read(1) == b"x"
        conn.free()
    abio.free()


def test_accept_set_nbio_makes_accepted_sockets_nonblocking() -> None:
    abio = AcceptBIO("127.0.0.1:0")
    assert abio.set_nbio(True) == 1
    assert abio.do_accept() == 1
    port = abio.get_accept_port()
    assert port is not None
    with socket.create_connection(("127.0.0.1", int(port)), timeout=5) as c:
        assert abio.do_accept() == 1
        conn = abio.next
        assert isinstance(conn, SocketBIO)
        assert conn.sock.getblocking() is False
        # The accept BIO copies the connection's retry flags.
        assert abio.read_c(10) == -1
        assert abio.get_retry_flags() == RETRY_READ
        assert conn.get_retry_flags() == RETRY_READ
        c.sendall(b"now")
        assert readable(conn.get_fd())
        assert abio.read(10) == b"now"
        assert abio.get_retry_flags() == 0
    abio.free_all()


def test_accept_first_read_listens_then_accepts() -> None:
    abio = AcceptBIO("127.0.0.1:0")
    abio.set_nbio_accept(True)
    assert abio.read_c(10) == -1  # listened, then found nobody to accept
    assert abio.retry_reason == RetryReason.ACCEPT
    port = abio.get_accept_port()
    assert port is not None
    with socket.create_connection(("127.0.0.1", int(port)), timeout=5) as c:
        c.sendall(b"first")
        assert readable(abio.get_fd())
        assert abio.read(10) == b"first"
        assert abio.puts("reply\n") == 6
        assert c.recv(10) == b"reply\n"
    abio.free_all()


def test_accept_bios_factory_and_copied_callback() -> None:
    class Upper(FilterBIO):
        bio_name = "upper"

        def _write(self, data: bytes | bytearray | memoryview) -> int:
            return super()._write(bytes(data).upper())

    calls: list[tuple[str, int]] = []

    def callback(bio: BIO, oper: int, *rest: Any) -> int:
        calls.append((bio.bio_name, oper))
        ret: int = rest[4]
        return ret

    abio = AcceptBIO("127.0.0.1:0")
    assert abio.set_accept_bios(Upper) == 1
    abio.set_callback(callback)
    assert abio.do_accept() == 1
    port = abio.get_accept_port()
    assert port is not None
    made: list[BIO] = []
    clients = [socket.create_connection(("127.0.0.1", int(port)), timeout=5) for _ in range(2)]
    try:
        for c in clients:
            assert abio.do_accept() == 1
            chain = abio.pop()
            assert chain is not None
            assert [type(b) for b in chain] == [Upper, SocketBIO]
            sock_bio = chain.next
            assert sock_bio is not None
            assert sock_bio.get_callback() is callback
            assert chain.get_callback() is None
            calls.clear()
            assert chain.write(b"shout") == 5
            assert c.recv(10) == b"SHOUT"
            assert ("socket", 0x03) in calls and ("socket", 0x83) in calls
            made.append(chain)
        assert made[0] is not made[1]
    finally:
        for c in clients:
            c.close()
        for chain in made:
            chain.free_all()
        abio.set_callback(None)
        abio.free()


def test_accept_treats_any_chained_bio_as_the_connection() -> None:
    """acpt_state: in ACCEPT with a BIO already after it, it accepts nothing."""
    abio = AcceptBIO("127.0.0.1:0")
    abio.set_nbio_accept(True)
    assert abio.do_accept() == 1
    assert abio.state == AcceptState.ACCEPT
    mem = MemBIO(b"from memory")
    abio.push(mem)
    assert abio.do_accept() == 1
    assert abio.state == AcceptState.OK
    assert abio.retry_reason == 0
    assert abio.read(100) == b"from memory"
    assert abio.pop() is mem
    # Alone again, it goes back to accepting (nobody there: RR_ACCEPT).
    assert abio.do_accept() == -1
    assert abio.retry_reason == RetryReason.ACCEPT
    assert abio.state == AcceptState.ACCEPT
    abio.free()


def test_accept_address_in_use(listener: socket.socket) -> None:
    abio = AcceptBIO(f"127.0.0.1:{port_of(listener)}")
    clear_error()
    assert abio.do_accept() == -1
    assert entries() == [
        (pack_error(Lib.SYS, errno.EADDRINUSE), "calling bind()"),
        (pack_error(Lib.BIO, BIOReason.UNABLE_TO_BIND_SOCKET), ""),
    ]
    assert abio.get_fd() == -1
    assert abio.state == AcceptState.LISTEN
    # OpenSSL closed the socket and stays in LISTEN: a retry is an "invalid socket".
    clear_error()
    assert abio.do_accept() == -1
    assert entries() == [(pack_error(Lib.BIO, BIOReason.INVALID_SOCKET), "")]
    # reset() starts over; with the port still taken it fails the same way.
    assert abio.reset() == 0
    assert abio.state == AcceptState.BEFORE
    clear_error()
    assert abio.do_accept() == -1
    assert entries()[0] == (pack_error(Lib.SYS, errno.EADDRINUSE), "calling bind()")
    abio.free()


def test_accept_without_name() -> None:
    abio = AcceptBIO()
    clear_error()
    assert abio.do_accept() == -1
    assert entries() == [
        (
            pack_error(Lib.BIO, BIOReason.NO_ACCEPT_ADDR_OR_SERVICE_SPECIFIED),
            "hostname=<NULL>, service=<NULL>",
        )
    ]
    abio.free()


def test_accept_bind_mode_and_port_setters() -> None:
    abio = AcceptBIO()
    assert abio.set_bind_mode(BIO_BIND_NORMAL) == 1
    assert abio.get_bind_mode() == BIO_BIND_NORMAL
    assert abio.set_accept_name("127.0.0.1") == 1  # a bare word is a port here...
    assert abio.set_accept_name("127.0.0.1:") == 1  # ...so name the host explicitly
    assert abio.set_accept_port(0) == 1
    assert abio.do_accept() == 1
    assert abio.get_accept_name() == "127.0.0.1"
    assert sockopt(abio.get_fd(), socket.SOL_SOCKET, socket.SO_REUSEADDR) == 0
    abio.free()


def test_accept_reset_and_close_release_the_port() -> None:
    abio = AcceptBIO("127.0.0.1:0")
    assert abio.do_accept() == 1
    port = int(abio.get_accept_port() or 0)
    assert abio.reset() == 0
    assert abio.get_fd() == -1
    assert abio.state == AcceptState.BEFORE
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    assert abio.do_accept() == 1  # listens again (on a fresh port 0)
    port = int(abio.get_accept_port() or 0)
    abio.free()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()


def test_accept_noclose_keeps_listening_socket() -> None:
    abio = AcceptBIO("127.0.0.1:0")
    assert abio.do_accept() == 1
    fd = abio.get_fd()
    abio.set_close(BIO_NOCLOSE)
    abio.free()
    lsock = socket.socket(fileno=fd)
    with lsock:
        lsock.settimeout(5)
        with socket.create_connection(lsock.getsockname(), timeout=5):
            conn, _ = lsock.accept()
            conn.close()


def test_accept_manual_example() -> None:
    """BIO_s_accept(3) EXAMPLES: two connections, messages down each, then close."""
    clients: list[socket.socket] = []
    try:
        # abio = BIO_new_accept("4444");  (127.0.0.1, any free port, for the test)
        abio = AcceptBIO("127.0.0.1:0")
        # First call to BIO_accept() sets up accept BIO
        if abio.do_accept() <= 0:
            pytest.fail("Error setting up accept")
        port = int(abio.get_accept_port() or 0)

        clients.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        # Wait for incoming connection
        if abio.do_accept() <= 0:
            pytest.fail("Error accepting connection")
        # Retrieve BIO for connection
        cbio = abio.pop()
        assert cbio is not None
        cbio.puts("Connection 1: Sending out Data on initial connection\n")

        clients.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        # Wait for another connection
        if abio.do_accept() <= 0:
            pytest.fail("Error accepting connection")
        # Close accept BIO to refuse further connections
        cbio2 = abio.pop()
        assert cbio2 is not None
        abio.free()
        cbio2.puts("Connection 2: Sending out Data on second\n")
        cbio.puts("Connection 1: Second connection established\n")
        # Close the two established connections
        cbio.free()
        cbio2.free()

        assert recv_all(clients[0]) == (
            b"Connection 1: Sending out Data on initial connection\n"
            b"Connection 1: Second connection established\n"
        )
        assert recv_all(clients[1]) == b"Connection 2: Sending out Data on second\n"
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
    finally:
        for c in clients:
            c.close()


# ====================================================================== vs libcrypto


def _load_libcrypto() -> ctypes.CDLL | None:
    for name in ("libcrypto.so.3", ctypes.util.find_library("crypto")):
        if not name:
            continue
        try:
            lib = ctypes.CDLL(name)
            lib.OpenSSL_version_num.restype = ctypes.c_ulong
        except (OSError, AttributeError):
            continue
        if lib.OpenSSL_version_num() >> 28 == 3 and hasattr(lib, "ERR_get_error_all"):
            return lib
    return None


_LIB = _load_libcrypto()
INFO_CB = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_int, ctypes.c_int)


class CBIO:
    """The handful of libcrypto BIO calls these scenarios need."""

    def __init__(self, lib: ctypes.CDLL) -> None:
        vp, cp = ctypes.c_void_p, ctypes.c_char_p
        for fname, args, res in [
            ("BIO_new_connect", [cp], vp),
            ("BIO_new_accept", [cp], vp),
            ("BIO_new_socket", [ctypes.c_int, ctypes.c_int], vp),
            ("BIO_ctrl", [vp, ctypes.c_int, ctypes.c_long, vp], ctypes.c_long),
            ("BIO_callback_ctrl", [vp, ctypes.c_int, INFO_CB], ctypes.c_long),
            ("BIO_read", [vp, cp, ctypes.c_int], ctypes.c_int),
            ("BIO_test_flags", [vp, ctypes.c_int], ctypes.c_int),
            ("BIO_get_retry_reason", [vp], ctypes.c_int),
            ("BIO_free", [vp], ctypes.c_int),
            ("ERR_clear_error", [], None),
            ("ERR_get_error_all", [ctypes.POINTER(cp), ctypes.POINTER(ctypes.c_int),
                                   ctypes.POINTER(cp), ctypes.POINTER(cp),
                                   ctypes.POINTER(ctypes.c_int)], ctypes.c_ulong),
        ]:
            f = getattr(lib, fname)
            f.argtypes = args
            f.restype = res
        self.lib = lib

    def ctrl(self, b: int, cmd: int, larg: int = 0, parg: Any = None) -> int:
        r: int = self.lib.BIO_ctrl(b, cmd, larg, parg)
        return r

    def flags(self, b: int) -> tuple[int, int]:
        return self.lib.BIO_test_flags(b, 0x0F), self.lib.BIO_get_retry_reason(b)

    def read(self, b: int, n: int) -> int:
        buf = ctypes.create_string_buffer(n)
        r: int = self.lib.BIO_read(b, buf, n)
        return r

    def errors(self) -> list[tuple[int, str]]:
        out = []
        f, fn, d = ctypes.c_char_p(), ctypes.c_char_p(), ctypes.c_char_p()
        line, fl = ctypes.c_int(), ctypes.c_int()
        while True:
            code = self.lib.ERR_get_error_all(
                ctypes.byref(f), ctypes.byref(line), ctypes.byref(fn), ctypes.byref(d),
                ctypes.byref(fl),
            )
            if not code:
                return out
            data = (d.value or b"").decode() if fl.value & 0x02 else ""
            out.append((code, data))


@pytest.fixture
def cbio() -> CBIO:
    if _LIB is None:
        pytest.skip("libcrypto 3 not loadable through ctypes")
    c = CBIO(_LIB)
    c.lib.ERR_clear_error()
    return c


def test_vs_libcrypto_refused_connect(cbio: CBIO) -> None:
    for nbio in (False, True):
        name = f"127.0.0.1:{closed_port()}"
        theirs = cbio.lib.BIO_new_connect(name.encode())
        ours = ConnectBIO(name)
        if nbio:
            assert cbio.ctrl(theirs, 102, 1) == 1 == ours.set_nbio(True)
        clear_error()
        for _ in range(3):
            t_ret = cbio.ctrl(theirs, 101)
            o_ret = ours.do_connect()
            o_flags = (ours.get_retry_flags(), ours.retry_reason)
            assert (o_ret, o_flags) == (t_ret, cbio.flags(theirs))
            assert entries() == cbio.errors()
            clear_error()
            if nbio:
                writable(ours.get_fd())
                writable(cbio.ctrl(theirs, 105))
        assert ours.read_c(10) == cbio.read(theirs, 10)
        assert entries() == cbio.errors()
        assert ours.reset() == cbio.ctrl(theirs, 1) == 0
        cbio.lib.BIO_free(theirs)
        ours.close()


def test_vs_libcrypto_nonblocking_connect_and_info_callback(
    cbio: CBIO, listener: socket.socket
) -> None:
    name = f"127.0.0.1:{port_of(listener)}"
    theirs = cbio.lib.BIO_new_connect(name.encode())
    ours = ConnectBIO(name)
    t_seen: list[tuple[int, int]] = []
    o_seen: list[tuple[int, int]] = []

    @INFO_CB
    def t_info(b: int, state: int, ret: int) -> int:
        t_seen.append((state, ret))
        return ret

    def o_info(b: BIO, state: int, ret: int) -> int:
        o_seen.append((state, ret))
        return ret

    assert cbio.lib.BIO_callback_ctrl(theirs, 14, t_info) == 1  # BIO_set_info_callback
    ours.set_info_callback(o_info)
    cbio.ctrl(theirs, 102, 1)
    ours.set_nbio(True)
    results = []
    for _ in range(2):
        t = (cbio.ctrl(theirs, 101), *cbio.flags(theirs))
        o = (ours.do_connect(), ours.get_retry_flags(), ours.retry_reason)
        results.append((o, t))
        writable(ours.get_fd())
        writable(cbio.ctrl(theirs, 105))
    for o, t in results:
        assert o == t
    assert results[0][0] == (0, RETRY_SPECIAL, RetryReason.CONNECT)
    assert results[1][0] == (1, RETRY_SPECIAL, RetryReason.CONNECT)
    # CREATE_SOCKET passes the new descriptor, which differs between the two.
    t_fd, o_fd = cbio.ctrl(theirs, 105), ours.get_fd()
    assert [(s, -9 if r == o_fd else r) for s, r in o_seen] == [
        (s, -9 if r == t_fd else r) for s, r in t_seen
    ]
    # Both sockets are connected and nonblocking: an empty read asks for a retry.
    o_read = (ours.read_c(10), ours.get_retry_flags())
    assert o_read == (cbio.read(theirs, 10), cbio.flags(theirs)[0])
    assert ours.get_retry_flags() == RETRY_READ
    assert entries() == cbio.errors() == []
    listener.accept()[0].close()
    listener.accept()[0].close()
    cbio.lib.BIO_free(theirs)
    ours.close()


def test_vs_libcrypto_nonblocking_accept(cbio: CBIO) -> None:
    theirs = cbio.lib.BIO_new_accept(b"127.0.0.1:0")
    ours = AcceptBIO("127.0.0.1:0")
    assert cbio.ctrl(theirs, 118, 2, ctypes.c_char_p(b"a")) == 1 == ours.set_nbio_accept(True)
    clear_error()
    steps: list[Callable[[], tuple[int, int]]] = [
        lambda: (ours.do_accept(), cbio.ctrl(theirs, 101)),
        lambda: (ours.do_accept(), cbio.ctrl(theirs, 101)),
        lambda: (ours.read_c(10), cbio.read(theirs, 10)),
    ]
    for step in steps:
        o, t = step()
        assert o == t
        assert (ours.get_retry_flags(), ours.retry_reason) == cbio.flags(theirs)
        assert entries() == cbio.errors()
    assert ours.retry_reason == RetryReason.ACCEPT
    cbio.lib.BIO_free(theirs)
    ours.free()


def test_vs_libcrypto_socket_bio(cbio: CBIO) -> None:
    """Empty nonblocking read, then EOF, on a socket pair: same result and flags."""
    pairs = [socket.socketpair(), socket.socketpair()]
    try:
        for a, _ in pairs:
            a.setblocking(False)
        theirs = cbio.lib.BIO_new_socket(pairs[0][0].fileno(), 0)
        ours = SocketBIO(pairs[1][0])
        assert ours.read_c(10) == cbio.read(theirs, 10) == -1
        assert ours.get_retry_flags() == cbio.flags(theirs)[0] == RETRY_READ
        pairs[0][1].close()
        pairs[1][1].close()
        assert ours.read_c(10) == cbio.read(theirs, 10) == 0
        assert ours.get_retry_flags() == cbio.flags(theirs)[0] == 0
        assert int(ours.eof()) == cbio.ctrl(theirs, 2) == 1
        assert ours.ctrl(102, 1) == cbio.ctrl(theirs, 102, 1) == 0  # BIO_set_nbio: no-op
        assert ours.reset() == cbio.ctrl(theirs, 1) == 0
        cbio.lib.BIO_free(theirs)
        ours.close()
    finally:
        for a, b in pairs:
            a.close()
            b.close()
