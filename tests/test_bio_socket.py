"""SocketBIO (BIO_s_socket): blocking and nonblocking sockets, exact retry flags and errors.

The expected values are what OpenSSL 3.0's bss_sock.c does on the same kind
of socket (checked against libcrypto 3.0.19; test_bio_connect_accept.py also
compares the two directly).
"""

from __future__ import annotations

import errno
import gc
import io
import os
import select
import socket
import struct
from collections.abc import Iterator

import pytest

from biokit.bio import BIO_CLOSE, BIO_NOCLOSE, BIOType, Ctrl, SocketBIO, make_debug_callback
from biokit.bio.s_socket import (
    PARSE_PRIO_HOST,
    PARSE_PRIO_SERV,
    HostServ,
    parse_hostserv,
    sock_non_fatal_error,
)
from biokit.errors import BIOReason, Lib, clear_error, errors_as_list, pack_error

RETRY_READ = 0x01 | 0x08  # BIO_FLAGS_READ | BIO_FLAGS_SHOULD_RETRY
RETRY_WRITE = 0x02 | 0x08  # BIO_FLAGS_WRITE | BIO_FLAGS_SHOULD_RETRY

pytestmark = pytest.mark.timeout(20)


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    a, b = socket.socketpair()
    a.settimeout(None)
    b.settimeout(5)
    try:
        yield a, b
    finally:
        a.close()
        b.close()


@pytest.fixture
def nb_pair(
    pair: tuple[socket.socket, socket.socket],
) -> tuple[socket.socket, socket.socket]:
    pair[0].setblocking(False)
    return pair


@pytest.fixture
def tcp_pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    """A connected TCP pair over 127.0.0.1: (ours, the peer)."""
    listener = socket.socket()
    try:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(5)
        ours = socket.create_connection(listener.getsockname(), timeout=5)
        peer, _ = listener.accept()
    finally:
        listener.close()
    ours.settimeout(None)
    try:
        yield ours, peer
    finally:
        ours.close()
        peer.close()


def readable(sock: socket.socket | int, timeout: float = 5.0) -> bool:
    return bool(select.select([sock], [], [], timeout)[0])


def entries() -> list[tuple[int, str]]:
    return [(e.code, e.data) for e in errors_as_list()]


# ---------------------------------------------------------------------- identity


def test_identity_and_fd(pair: tuple[socket.socket, socket.socket]) -> None:
    a, _ = pair
    bio = SocketBIO(a)
    assert bio.bio_name == "socket"
    assert bio.method_name() == "socket"
    assert bio.bio_type == BIOType.SOCKET
    assert bio.method_type() == BIOType.SOCKET
    assert bio.get_fd() == a.fileno()
    assert bio.num == a.fileno()
    assert bio.get_close() == BIO_NOCLOSE
    assert bio.sock is a
    bio.close()
    assert bio.closed
    assert a.fileno() != -1  # BIO_NOCLOSE left it open


def test_ctrl_values_like_sock_ctrl(pair: tuple[socket.socket, socket.socket]) -> None:
    bio = SocketBIO(pair[0])
    assert bio.pending() == 0
    assert bio.wpending() == 0
    assert bio.flush() == 1
    assert bio.reset() == 0
    assert bio.ctrl(Ctrl.INFO) == 0
    assert bio.ctrl(Ctrl.DUP) == 1
    assert bio.eof() is False
    bio.close()


def test_gets_unsupported_puts_writes(pair: tuple[socket.socket, socket.socket]) -> None:
    a, b = pair
    bio = SocketBIO(a)
    clear_error()
    assert bio.gets_c(10) == -2
    assert entries() == [(pack_error(Lib.BIO, BIOReason.UNSUPPORTED_METHOD), "")]
    clear_error()
    assert bio.puts("hello\n") == 6
    assert b.recv(100) == b"hello\n"
    assert bio.num_write == 6
    bio.close()


# ---------------------------------------------------------------------- blocking


def test_blocking_roundtrip(pair: tuple[socket.socket, socket.socket]) -> None:
    a, b = pair
    bio = SocketBIO(a)
    assert bio.write(b"ping") == 4
    assert b.recv(10) == b"ping"
    b.sendall(b"pong!")
    assert bio.read(5) == b"pong!"
    assert bio.get_retry_flags() == 0
    assert (bio.num_read, bio.num_write) == (5, 4)
    # A read asks once: with 3 of 10 wanted bytes there it returns those 3.
    b.sendall(b"abc")
    assert bio.read(10) == b"abc"
    bio.close()


def test_blocking_write_takes_memoryview_and_bytearray(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    a, b = pair
    bio = SocketBIO(a)
    assert bio.write(memoryview(b"0123456789")[2:5]) == 3
    assert bio.write(bytearray(b"xy")) == 2
    assert b.recv(10) == b"234xy"
    bio.close()


def test_eof_after_peer_close(pair: tuple[socket.socket, socket.socket]) -> None:
    a, b = pair
    bio = SocketBIO(a)
    b.sendall(b"last")
    b.close()
    assert bio.read(100) == b"last"
    assert bio.eof() is False
    clear_error()
    assert bio.read_c(100) == 0
    assert bio.get_retry_flags() == 0
    assert bio.should_retry() is False
    assert bio.eof() is True
    # EOF sticks, and it is not an error.
    assert bio.read_c(100) == 0
    assert bio.eof() is True
    assert entries() == []
    bio.close()


# ---------------------------------------------------------------------- nonblocking


def test_nonblocking_empty_read_asks_for_retry(
    nb_pair: tuple[socket.socket, socket.socket],
) -> None:
    a, b = nb_pair
    bio = SocketBIO(a)
    clear_error()
    assert bio.read_c(10) == -1
    assert bio.get_retry_flags() == RETRY_READ
    assert bio.should_retry() and bio.should_read()
    assert not bio.should_write() and not bio.should_io_special()
    assert bio.retry_reason == 0
    assert bio.eof() is False
    assert bio.read(10) == b""
    assert entries() == []
    # The flags clear on the next successful call.
    b.sendall(b"data")
    assert readable(a)
    assert bio.read(10) == b"data"
    assert bio.get_retry_flags() == 0
    bio.close()


def test_socket_with_timeout_retries_instead_of_failing(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    a, _ = pair
    a.settimeout(0.05)
    bio = SocketBIO(a)
    clear_error()
    assert bio.read_c(10) == -1
    assert bio.get_retry_flags() == RETRY_READ
    assert entries() == []
    bio.close()


def test_set_nbio_switches_the_socket(pair: tuple[socket.socket, socket.socket]) -> None:
    a, b = pair
    bio = SocketBIO(a)
    # OpenSSL's sock_ctrl ignores BIO_C_SET_NBIO (returns 0, changes nothing).
    assert bio.ctrl(Ctrl.C_SET_NBIO, 1) == 0
    assert a.getblocking() is True
    # set_nbio is BIO_socket_nbio on the descriptor.
    assert bio.set_nbio(True) == 1
    assert a.getblocking() is False
    assert bio.read_c(4) == -1
    assert bio.get_retry_flags() == RETRY_READ
    assert bio.set_nbio(False) == 1
    assert a.getblocking() is True
    b.sendall(b"ok")
    assert bio.read(4) == b"ok"
    bio.close()


def test_partial_writes_then_retry_write_and_no_byte_lost(
    nb_pair: tuple[socket.socket, socket.socket],
) -> None:
    a, b = nb_pair
    a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    b.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    bio = SocketBIO(a)
    payload = bytes(range(256)) * 4096  # 1 MiB
    clear_error()
    n = bio.write(payload)
    assert 0 < n < len(payload)  # send, not sendall
    sent = n
    # Keep writing until the kernel buffer is full: then -1 and retry-write.
    for _ in range(10_000):
        n = bio.write(memoryview(payload)[sent:])
        if n <= 0:
            break
        sent += n
    assert n == -1
    assert bio.get_retry_flags() == RETRY_WRITE
    assert bio.should_write() and not bio.should_read()
    assert entries() == []
    # Drain and finish: every byte arrives once, in order.
    received = bytearray()
    for _ in range(100_000):
        while len(received) < sent and readable(b, 0.5):
            received += b.recv(65536)
        if sent == len(payload):
            break
        n = bio.write(memoryview(payload)[sent:])
        if n > 0:
            sent += n
        else:
            assert bio.get_retry_flags() == RETRY_WRITE
    while len(received) < len(payload) and readable(b, 5):
        received += b.recv(65536)
    assert sent == len(payload)
    assert bytes(received) == payload
    assert bio.num_write == len(payload)
    bio.close()


def test_connection_reset_is_a_system_error_without_retry(
    tcp_pair: tuple[socket.socket, socket.socket],
) -> None:
    ours, peer = tcp_pair
    peer.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    peer.close()  # SO_LINGER 0: the close sends RST
    assert readable(ours)
    bio = SocketBIO(ours)
    clear_error()
    assert bio.read_c(10) == -1
    assert bio.get_retry_flags() == 0
    assert bio.should_retry() is False
    assert bio.eof() is False
    assert entries() == [(pack_error(Lib.SYS, errno.ECONNRESET), "calling recv()")]
    err = errors_as_list()[0]
    assert err.library == Lib.SYS and err.reason == errno.ECONNRESET
    assert err.reason_string == os.strerror(errno.ECONNRESET)
    # After the reset has been reported, the socket reads as EOF (as in C).
    clear_error()
    assert bio.read_c(10) == 0
    assert bio.eof() is True
    assert entries() == []
    bio.close()


def test_write_to_closed_peer_is_epipe_not_sigpipe(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    a, b = pair
    b.close()
    bio = SocketBIO(a)
    clear_error()
    assert bio.write(b"x") == -1
    assert bio.get_retry_flags() == 0
    assert entries() == [(pack_error(Lib.SYS, errno.EPIPE), "calling send()")]
    bio.close()


def test_non_fatal_errno_table() -> None:
    for name in ("EAGAIN", "EWOULDBLOCK", "EINTR", "EINPROGRESS", "EALREADY", "ENOTCONN",
                 "EPROTO"):
        assert sock_non_fatal_error(getattr(errno, name)), name
    for name in ("ECONNRESET", "EPIPE", "ECONNREFUSED", "EBADF", "ETIMEDOUT"):
        assert not sock_non_fatal_error(getattr(errno, name)), name
    assert not sock_non_fatal_error(None)


# ---------------------------------------------------------------------- ownership


def test_close_flag_closes_the_socket(pair: tuple[socket.socket, socket.socket]) -> None:
    a, b = pair
    bio = SocketBIO(a, BIO_CLOSE)
    assert bio.get_close() == BIO_CLOSE
    bio.close()
    assert a.fileno() == -1
    assert b.recv(10) == b""  # the peer sees EOF


def test_set_close_after_creation(pair: tuple[socket.socket, socket.socket]) -> None:
    a, _ = pair
    bio = SocketBIO(a, BIO_CLOSE)
    assert bio.set_close(BIO_NOCLOSE) == 1
    bio.close()
    assert a.fileno() != -1


def test_int_fd_noclose_survives_close_and_garbage_collection(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    a, b = pair
    fd = a.fileno()
    bio = SocketBIO(fd)
    assert bio.get_fd() == fd
    assert bio.write(b"via fd") == 6
    assert b.recv(10) == b"via fd"
    bio.close()
    os.fstat(fd)  # still open
    bio2 = SocketBIO(fd, BIO_NOCLOSE)
    del bio2
    gc.collect()
    os.fstat(fd)  # collecting the BIO did not close the caller's descriptor
    a.sendall(b"still")
    assert b.recv(10) == b"still"


def test_int_fd_with_close_flag_closes_it(pair: tuple[socket.socket, socket.socket]) -> None:
    a, b = pair
    fd = a.detach()  # the descriptor now belongs to the BIO
    bio = SocketBIO(fd, BIO_CLOSE)
    bio.close()
    with pytest.raises(OSError) as info:
        os.fstat(fd)
    assert info.value.errno == errno.EBADF
    assert b.recv(10) == b""


def test_bad_socket_argument() -> None:
    with pytest.raises(TypeError):
        SocketBIO("3")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        SocketBIO(True)


def test_set_fd_switches_sockets(pair: tuple[socket.socket, socket.socket]) -> None:
    a, _ = pair
    c, d = socket.socketpair()
    try:
        bio = SocketBIO(a, BIO_NOCLOSE)
        assert bio.set_fd(c, BIO_CLOSE) == 1
        assert bio.get_fd() == c.fileno()
        assert bio.get_close() == BIO_CLOSE
        assert a.fileno() != -1  # the old one was BIO_NOCLOSE
        assert bio.write(b"new") == 3
        assert d.recv(10) == b"new"
        bio.close()
        assert c.fileno() == -1
    finally:
        c.close()
        d.close()


# ---------------------------------------------------------------------- callbacks


def test_debug_callback_prints_the_descriptor(
    nb_pair: tuple[socket.socket, socket.socket],
) -> None:
    a, _ = nb_pair
    out = io.StringIO()
    bio = SocketBIO(a)
    bio.set_callback(make_debug_callback(out))
    assert bio.read_c(10) == -1
    fd = a.fileno()
    lines = [line.split(": ", 1)[1] for line in out.getvalue().splitlines()]
    # libcrypto 3.0 prints the same two lines (with KTLS compiled in, its
    # sock_read also runs BIO_get_ktls_recv, a ctrl(76) in between; biokit has
    # no KTLS and no such ctrl).
    assert lines == [f"read({fd},10) - socket fd={fd}", "read return -1 processed: 0"]
    assert bio.get_retry_flags() == RETRY_READ
    bio.set_callback(None)
    bio.close()


# ---------------------------------------------------------------------- BIO_parse_hostserv


@pytest.mark.parametrize(
    ("spec", "prio", "expected"),
    [
        ("[::1]:4433", PARSE_PRIO_HOST, HostServ(True, "::1", True, "4433")),
        ("localhost:http", PARSE_PRIO_HOST, HostServ(True, "localhost", True, "http")),
        ("example.org", PARSE_PRIO_HOST, HostServ(True, "example.org", False, None)),
        ("host:", PARSE_PRIO_HOST, HostServ(True, "host", True, None)),
        ("h:*", PARSE_PRIO_HOST, HostServ(True, "h", True, None)),
        (":443", PARSE_PRIO_HOST, HostServ(True, None, True, "443")),
        ("*:443", PARSE_PRIO_HOST, HostServ(True, None, True, "443")),
        ("[::1]", PARSE_PRIO_HOST, HostServ(True, "::1", False, None)),
        ("[::1]:", PARSE_PRIO_HOST, HostServ(True, "::1", True, None)),
        ("4444", PARSE_PRIO_SERV, HostServ(False, None, True, "4444")),
        ("*:0", PARSE_PRIO_SERV, HostServ(True, None, True, "0")),
        ("127.0.0.1:0", PARSE_PRIO_SERV, HostServ(True, "127.0.0.1", True, "0")),
    ],
)
def test_parse_hostserv(spec: str, prio: int, expected: HostServ) -> None:
    clear_error()
    assert parse_hostserv(spec, prio) == expected
    assert entries() == []


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ("a:b:c", BIOReason.AMBIGUOUS_HOST_OR_SERVICE),
        ("::1", BIOReason.AMBIGUOUS_HOST_OR_SERVICE),
        ("[::1]x", BIOReason.MALFORMED_HOST_OR_SERVICE),
        ("[::1", BIOReason.MALFORMED_HOST_OR_SERVICE),
        ("[::1]:a:b", BIOReason.MALFORMED_HOST_OR_SERVICE),
    ],
)
def test_parse_hostserv_errors(spec: str, reason: BIOReason) -> None:
    clear_error()
    assert parse_hostserv(spec, PARSE_PRIO_HOST) is None
    assert entries() == [(pack_error(Lib.BIO, reason), "")]
