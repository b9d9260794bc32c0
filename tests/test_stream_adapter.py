"""biokit.stream: the blocking SSLSocket wrapper against Python's ssl and ``openssl s_server``.

Python peers run in threads on 127.0.0.1 sockets with timeouts; every join is bounded.
"""

from __future__ import annotations

import errno
import select
import socket
import ssl as stdlib_ssl
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from biokit import errors, stream
from biokit.errors import (
    Lib,
    SSLError,
    SSLReason,
    SyscallError,
    WantReadError,
    WantWriteError,
    ZeroReturnError,
)
from biokit.ssl import SSL, ErrorCode, SSLContext, TLS_client_method, TLS_server_method
from biokit.stream import SSLSocket, exception_for, wrap_socket
from biokit.testing import pki

sys.path.insert(0, str(Path(__file__).parent))
from peers import OPENSSL, free_port, openssl_server

pytestmark = pytest.mark.timeout(60)

PKI = pki("ec256")
HOST = "localhost"
MiB = 1 << 20
T = 10.0  # the socket timeout for "should not block" operations


def bk_client_ctx(*, trust: bool = True, alpn: list[bytes] | None = None) -> SSLContext:
    ctx = SSLContext(TLS_client_method())
    if trust:
        ctx.get_cert_store().add_cert(PKI.ca[0])
    ctx.set_verify(1)
    if alpn:
        ctx.set_alpn_protos(alpn)
    return ctx


def bk_server_ctx(*, client_auth: bool = False) -> SSLContext:
    ctx = SSLContext(TLS_server_method())
    ctx.use_certificate_chain([PKI.server[0]])
    ctx.use_PrivateKey(PKI.server[1])
    if client_auth:
        ctx.get_cert_store().add_cert(PKI.ca[0])
        ctx.set_verify(1 | 2)  # PEER | FAIL_IF_NO_PEER_CERT
    return ctx


@pytest.fixture(scope="module")
def paths(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return PKI.write(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def py_server_ctx(paths: dict[str, str]) -> stdlib_ssl.SSLContext:
    ctx = stdlib_ssl.create_default_context(stdlib_ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(paths["server.pem"], paths["server.key"])
    return ctx


@pytest.fixture
def py_client_ctx(paths: dict[str, str]) -> stdlib_ssl.SSLContext:
    return stdlib_ssl.create_default_context(cafile=paths["ca.pem"])


@pytest.fixture
def tcp() -> Iterator[tuple[socket.socket, socket.socket]]:
    """A connected (client, server) TCP pair on 127.0.0.1, both with timeout T."""
    with socket.socket() as lst:
        lst.bind(("127.0.0.1", 0))
        lst.listen(1)
        lst.settimeout(T)
        c = socket.create_connection(lst.getsockname(), timeout=T)
        s, _ = lst.accept()
    s.settimeout(T)
    try:
        yield c, s
    finally:
        c.close()
        s.close()


class Peer(threading.Thread):
    """Runs ``fn`` in a thread; ``finish()`` joins (bounded) and re-raises its exception."""

    def __init__(self, fn: Callable[[], Any]) -> None:
        super().__init__(daemon=True)
        self.fn = fn
        self.result: Any = None
        self.exc: BaseException | None = None
        self.start()

    def run(self) -> None:
        try:
            self.result = self.fn()
        except BaseException as exc:
            self.exc = exc

    def finish(self, timeout: float = 15) -> Any:
        self.join(timeout)
        assert not self.is_alive(), "peer thread did not finish"
        if self.exc is not None:
            raise self.exc
        return self.result


def recv_exactly(s: Any, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = s.recv(min(n - len(buf), MiB))
        assert chunk, f"EOF after {len(buf)} of {n} bytes"
        buf += chunk
    return bytes(buf)


def python_view_of_server_cert(py_server_ctx: stdlib_ssl.SSLContext,
                               py_client_ctx: stdlib_ssl.SSLContext) -> dict[str, Any]:
    """What CPython's getpeercert() says about our server certificate (reference)."""
    inc_c, out_c, inc_s, out_s = (stdlib_ssl.MemoryBIO() for _ in range(4))
    cli = py_client_ctx.wrap_bio(inc_c, out_c, server_hostname=HOST)
    srv = py_server_ctx.wrap_bio(inc_s, out_s, server_side=True)
    for _ in range(10):
        for obj in (cli, srv):
            try:
                obj.do_handshake()
            except stdlib_ssl.SSLWantReadError:
                pass
        inc_s.write(out_c.read())
        inc_c.write(out_s.read())
    cert = cli.getpeercert()
    assert cert
    return cert


# ----------------------------------------------------------------------------- interop


@pytest.mark.parametrize("version", ["TLSv1.3", "TLSv1.2"])
def test_client_against_python_server(
    tcp: tuple[socket.socket, socket.socket],
    py_server_ctx: stdlib_ssl.SSLContext,
    py_client_ctx: stdlib_ssl.SSLContext,
    version: str,
) -> None:
    csock, ssock = tcp
    if version == "TLSv1.2":
        py_server_ctx.maximum_version = stdlib_ssl.TLSVersion.TLSv1_2
    payload = bytes(range(256)) * 4096  # 1 MiB
    expected_cert = python_view_of_server_cert(py_server_ctx, py_client_ctx)
    seen_sni: list[str | None] = []
    py_server_ctx.sni_callback = lambda obj, name, ctx: seen_sni.append(name)

    def server() -> tuple[Any, ...]:
        s = py_server_ctx.wrap_socket(ssock, server_side=True)
        data = recv_exactly(s, len(payload))
        s.sendall(data[::-1])
        info = (s.version(), s.cipher())
        raw = s.unwrap()  # waits for our close_notify
        assert raw.recv(5) == b"plain"
        raw.sendall(b"PLAIN")
        raw.close()
        return info

    peer = Peer(server)
    c = wrap_socket(csock, bk_client_ctx(), server_hostname=HOST)
    assert isinstance(c, SSLSocket)
    assert c.version() == version
    assert c.getpeercert() == expected_cert
    assert c.getpeercert(binary_form=True) == PKI.server[0].to_der()
    c.sendall(payload)
    assert recv_exactly(c, len(payload)) == payload[::-1]
    raw = c.unwrap()
    assert raw is csock
    raw.sendall(b"plain")
    assert recv_exactly(raw, 5) == b"PLAIN"
    py_version, py_cipher = peer.finish()
    assert (c.version(), c.cipher()) == (None, None)  # unwrapped: no SSL socket any more
    assert py_version == version
    assert py_cipher[0] == (
        "TLS_AES_256_GCM_SHA384" if version == "TLSv1.3" else "ECDHE-ECDSA-AES256-GCM-SHA384")
    assert seen_sni == [HOST]


def test_server_against_python_client_with_client_certificate(
    tcp: tuple[socket.socket, socket.socket],
    paths: dict[str, str],
    py_client_ctx: stdlib_ssl.SSLContext,
) -> None:
    csock, ssock = tcp
    py_client_ctx.load_cert_chain(paths["client.pem"], paths["client.key"])

    def client() -> Any:
        c = py_client_ctx.wrap_socket(csock, server_hostname=HOST)
        c.sendall(b"hello from python")
        reply, version = c.recv(100), c.version()
        c.close()
        return reply, version

    peer = Peer(client)
    s = wrap_socket(ssock, bk_server_ctx(client_auth=True), server_side=True)
    assert s.server_side
    assert s.recv(100) == b"hello from python"
    s.sendall(b"hello from biokit")
    reply, version = peer.finish()
    assert (reply, version) == (b"hello from biokit", "TLSv1.3")
    cert = s.getpeercert()
    assert isinstance(cert, dict)
    org = (("organizationName", "biokit"),)
    assert cert["subject"] == ((("commonName", "biokit client"),), org)
    assert cert["issuer"] == ((("commonName", "biokit test CA"),), org)
    assert "subjectAltName" not in cert
    # Python's close() sends no close_notify (ragged EOF): b"" by default...
    assert s.recv(10) == b""
    s.close()


def test_ragged_eof_reported_when_not_suppressed(
    tcp: tuple[socket.socket, socket.socket], py_server_ctx: stdlib_ssl.SSLContext
) -> None:
    csock, ssock = tcp

    def server() -> None:
        s = py_server_ctx.wrap_socket(ssock, server_side=True)
        s.sendall(b"last words")
        s.close()  # TCP FIN, no close_notify

    peer = Peer(server)
    c = wrap_socket(csock, bk_client_ctx(), server_hostname=HOST, suppress_ragged_eofs=False)
    peer.finish()
    assert c.recv(100) == b"last words"
    errors.clear_error()
    with pytest.raises(SSLError) as info:
        c.recv(100)
    assert type(info.value) is SSLError
    assert info.value.library == Lib.SSL
    assert info.value.reason == SSLReason.UNEXPECTED_EOF_WHILE_READING
    assert info.value.reason_string == "unexpected eof while reading"
    assert errors.error_count() == 0  # the exception took the queue's entries


def test_close_notify_is_clean_eof_and_unwrap_completes(
    tcp: tuple[socket.socket, socket.socket], py_server_ctx: stdlib_ssl.SSLContext
) -> None:
    csock, ssock = tcp

    def server() -> None:
        s = py_server_ctx.wrap_socket(ssock, server_side=True)
        s.sendall(b"bye")
        s.unwrap().close()  # close_notify, then wait for ours

    peer = Peer(server)
    c = wrap_socket(csock, bk_client_ctx(), server_hostname=HOST, suppress_ragged_eofs=False)
    assert c.recv(10) == b"bye"
    assert c.recv(10) == b""  # SSL_ERROR_ZERO_RETURN: not an exception
    assert c.recv(10) == b""
    assert c.ssl.get_shutdown() == 2  # SSL_RECEIVED_SHUTDOWN
    raw = c.unwrap()  # sends our close_notify: Python's unwrap returns
    peer.finish()
    assert raw is csock and c.fileno() == -1


def test_connection_reset_is_syscall_error_with_errno(
    tcp: tuple[socket.socket, socket.socket], py_server_ctx: stdlib_ssl.SSLContext
) -> None:
    csock, ssock = tcp
    done = threading.Event()

    def server() -> None:
        s = py_server_ctx.wrap_socket(ssock, server_side=True)
        assert s.recv(10) == b"go"
        # SO_LINGER 0: close() sends RST instead of FIN (and no close_notify).
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
        done.set()

    peer = Peer(server)
    c = wrap_socket(csock, bk_client_ctx(), server_hostname=HOST)
    c.sendall(b"go")
    assert done.wait(T)
    peer.finish()
    time.sleep(0.05)
    with pytest.raises(SyscallError) as info:
        for _ in range(10):
            c.recv(100)
    assert info.value.errno == errno.ECONNRESET
    assert info.value.library == Lib.SYS
    assert info.value.reason == errno.ECONNRESET


def test_alpn_and_sni_with_ip_literal(
    tcp: tuple[socket.socket, socket.socket], py_server_ctx: stdlib_ssl.SSLContext
) -> None:
    csock, ssock = tcp
    py_server_ctx.set_alpn_protocols(["http/1.1", "h2"])
    seen_sni: list[str | None] = []
    py_server_ctx.sni_callback = lambda obj, name, ctx: seen_sni.append(name)

    def server() -> str | None:
        s = py_server_ctx.wrap_socket(ssock, server_side=True)
        s.sendall(b"x")
        proto = s.selected_alpn_protocol()
        s.close()
        return proto

    peer = Peer(server)
    # An address is checked against the IP SANs but never sent as SNI (RFC 6066).
    c = wrap_socket(csock, bk_client_ctx(alpn=[b"h2", b"http/1.1"]), server_hostname="127.0.0.1")
    assert c.recv(1) == b"x"
    assert peer.finish() == "http/1.1"
    assert c.selected_alpn_protocol() == "http/1.1"
    assert seen_sni == [None]
    assert c.ssl.get_verify_result() == 0
    c.close()


def test_untrusted_certificate_raises_ssl_error_and_alerts_peer(
    tcp: tuple[socket.socket, socket.socket], py_server_ctx: stdlib_ssl.SSLContext
) -> None:
    csock, ssock = tcp

    def server() -> str:
        with pytest.raises(stdlib_ssl.SSLError) as info:
            py_server_ctx.wrap_socket(ssock, server_side=True)
        ssock.close()
        return str(info.value.reason)

    peer = Peer(server)
    with pytest.raises(SSLError) as info:
        wrap_socket(csock, bk_client_ctx(trust=False), server_hostname=HOST)
    err = info.value
    assert type(err) is SSLError
    assert (err.library, err.reason) == (Lib.SSL, SSLReason.CERTIFICATE_VERIFY_FAILED)
    assert err.reason_string == "certificate verify failed"
    assert str(err) == "[SSL routines] certificate verify failed"
    assert peer.finish() == "TLSV1_ALERT_UNKNOWN_CA"  # our alert reached OpenSSL


# ----------------------------------------------------------------------------- openssl s_server


@pytest.mark.skipif(OPENSSL is None, reason="needs the openssl command")
def test_openssl_s_server_rev_and_www(paths: dict[str, str]) -> None:
    cert = ["-cert", paths["server.pem"], "-key", paths["server.key"]]
    def connect(port: int) -> SSLSocket:
        sock = socket.create_connection(("127.0.0.1", port), timeout=T)
        return wrap_socket(sock, bk_client_ctx(), server_hostname=HOST,
                           suppress_ragged_eofs=False)

    port = free_port()
    with openssl_server([*cert, "-rev"], port), connect(port) as c:
        c.sendall(b"hello world\n")
        assert c.recv(100) == b"dlrow olleh\n"
        c.sendall(b"CLOSE\n")  # s_server answers with close_notify
        assert c.recv(100) == b""
        assert c.ssl.get_shutdown() == 2
    port = free_port()
    with openssl_server([*cert, "-www"], port):
        with connect(port) as c:
            c.sendall(b"GET / HTTP/1.0\r\n\r\n")
            page = bytearray()
            while chunk := c.recv(65536):
                page += chunk
            assert page.startswith(b"HTTP/1.0 200 ok\r\n")
            assert b"TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384" in page
            assert c.cipher() == ("TLS_AES_256_GCM_SHA384", "TLSv1.3", 256)
        assert c.fileno() == -1  # the context manager closed the socket


# ----------------------------------------------------------------------------- timeouts


def test_read_timeout_then_stream_still_usable(
    tcp: tuple[socket.socket, socket.socket], py_server_ctx: stdlib_ssl.SSLContext
) -> None:
    csock, ssock = tcp
    go = threading.Event()

    def server() -> None:
        s = py_server_ctx.wrap_socket(ssock, server_side=True)
        assert go.wait(T)
        s.sendall(b"late")
        assert s.recv(1) == b"!"
        s.close()

    peer = Peer(server)
    c = wrap_socket(csock, bk_client_ctx(), server_hostname=HOST)
    c.settimeout(0.3)
    t0 = time.monotonic()
    with pytest.raises(socket.timeout) as info:
        c.recv(10)
    assert 0.25 <= time.monotonic() - t0 < 3
    assert str(info.value) == "The read operation timed out"
    assert errors.error_count() == 0
    go.set()
    c.settimeout(T)
    assert c.recv(10) == b"late"
    c.sendall(b"!")
    peer.finish()


def test_handshake_timeout(tcp: tuple[socket.socket, socket.socket]) -> None:
    csock, _silent = tcp
    csock.settimeout(0.3)
    t0 = time.monotonic()
    with pytest.raises(socket.timeout) as info:
        wrap_socket(csock, bk_client_ctx(), server_hostname=HOST)
    assert str(info.value) == "The handshake operation timed out"
    assert 0.25 <= time.monotonic() - t0 < 3


def test_write_timeout_then_retry_with_the_same_bytes(
    tcp: tuple[socket.socket, socket.socket],
    py_server_ctx: stdlib_ssl.SSLContext,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    csock, ssock = tcp
    csock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8192)
    waits: list[bool] = []
    real_wait = stream._wait
    monkeypatch.setattr(stream, "_wait", lambda fd, w, t: waits.append(w) or real_wait(fd, w, t))
    start_reading = threading.Event()
    chunk = bytes(range(251)) * (MiB // 251)

    def server() -> bytes:
        s = py_server_ctx.wrap_socket(ssock, server_side=True)
        assert start_reading.wait(T)
        data = recv_exactly(s, len(chunk))
        s.sendall(b"ok")
        s.close()
        return data

    peer = Peer(server)
    c = wrap_socket(csock, bk_client_ctx(), server_hostname=HOST)
    waits.clear()  # (the handshake waited for reads)
    c.settimeout(0.3)
    t0 = time.monotonic()
    with pytest.raises(socket.timeout) as info:
        c.send(chunk)  # nobody reads: one SSL_write, stopped by WANT_WRITE
    assert 0.25 <= time.monotonic() - t0 < 3
    assert str(info.value) == "The write operation timed out"
    assert waits and all(waits)  # waited for writability only
    # SSL_write must be retried with the same bytes; a copy (a moved buffer)
    # is accepted, as CPython sets SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER.
    start_reading.set()
    c.settimeout(T)
    assert c.send(bytearray(chunk)) == len(chunk)
    assert c.recv(2) == b"ok"
    assert peer.finish() == chunk  # exactly once: nothing lost, nothing repeated


def test_sendall_large_with_timeout_socket_waits_as_needed(
    tcp: tuple[socket.socket, socket.socket],
    py_server_ctx: stdlib_ssl.SSLContext,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    csock, ssock = tcp
    csock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8192)
    waits: list[bool] = []
    real_wait = stream._wait
    monkeypatch.setattr(stream, "_wait", lambda fd, w, t: waits.append(w) or real_wait(fd, w, t))
    payload = bytes(range(253)) * (2 * MiB // 253)

    def server() -> bytes:
        s = py_server_ctx.wrap_socket(ssock, server_side=True)
        data = recv_exactly(s, len(payload))
        s.sendall(b"ok")
        s.close()
        return data

    peer = Peer(server)
    c = wrap_socket(csock, bk_client_ctx(), server_hostname=HOST)
    assert c.gettimeout() == T
    c.sendall(payload)
    assert c.recv(2) == b"ok"
    assert peer.finish() == payload
    assert True in waits and False in waits  # WANT_WRITE and WANT_READ both waited on


# ----------------------------------------------------------------------------- nonblocking


def test_nonblocking_socket_raises_want_errors(
    tcp: tuple[socket.socket, socket.socket], py_server_ctx: stdlib_ssl.SSLContext
) -> None:
    csock, ssock = tcp
    go = threading.Event()
    client_waiting = threading.Event()

    def server() -> None:
        # Start only once the client has hit WANT_READ, so that it surely does.
        assert client_waiting.wait(T)
        s = py_server_ctx.wrap_socket(ssock, server_side=True)
        assert go.wait(T)
        s.sendall(b"now")
        assert s.recv(3) == b"ack"
        s.close()

    peer = Peer(server)
    csock.setblocking(False)
    with pytest.raises(ValueError):
        wrap_socket(csock, bk_client_ctx(), server_hostname=HOST)
    c = wrap_socket(csock, bk_client_ctx(), server_hostname=HOST, do_handshake_on_connect=False)
    deadline = time.monotonic() + T
    wants: list[str] = []
    while True:
        assert time.monotonic() < deadline
        try:
            c.do_handshake()
            break
        except WantReadError:
            wants.append("read")
            client_waiting.set()
            select.select([csock], [], [], 1)
        except WantWriteError:
            wants.append("write")
            select.select([], [csock], [], 1)
    assert "read" in wants
    with pytest.raises(WantReadError) as info:
        c.recv(10)
    assert str(info.value) == "The operation did not complete (read)"
    go.set()
    got = b""
    while not got:
        assert time.monotonic() < deadline
        select.select([csock], [], [], 1)
        try:
            got = c.recv(10)
        except WantReadError:
            pass
    assert got == b"now"
    c.sendall(b"ack")
    peer.finish()


# ----------------------------------------------------------------------------- setup, misc


def test_ready_ssl_roles_and_argument_checks(tcp: tuple[socket.socket, socket.socket]) -> None:
    csock, ssock = tcp
    server_ssl = SSL(bk_server_ctx())  # a server-method context: a server untold

    def server() -> bytes:
        s = wrap_socket(ssock, server_ssl)
        assert s.server_side and s.ssl is server_ssl
        data = s.recv(10)
        s.sendall(data.upper())
        s.unwrap()
        return data

    peer = Peer(server)
    c = wrap_socket(csock, SSL(bk_client_ctx()), server_hostname=HOST)
    assert not c.server_side
    c.sendall(b"both biokit")
    assert recv_exactly(c, 10) == b"BOTH BIOKI"
    c.unwrap()
    assert peer.finish() == b"both bioki"
    with pytest.raises(ValueError):
        wrap_socket(csock, bk_server_ctx(), server_side=True, server_hostname=HOST)
    with pytest.raises(TypeError):
        wrap_socket(csock, "not a context")  # type: ignore[arg-type]


def test_stale_error_queue_and_recv_into(
    tcp: tuple[socket.socket, socket.socket], py_server_ctx: stdlib_ssl.SSLContext
) -> None:
    csock, ssock = tcp

    def server() -> None:
        s = py_server_ctx.wrap_socket(ssock, server_side=True)
        s.sendall(b"0123456789")
        assert s.recv(4) == b"done"
        s.close()

    peer = Peer(server)
    errors.put_error(Lib.SSL, SSLReason.BAD_LENGTH)  # left over by unrelated code
    c = wrap_socket(csock, bk_client_ctx(), server_hostname=HOST)
    errors.put_error(Lib.SSL, SSLReason.BAD_LENGTH)
    buf = bytearray(4)
    assert c.recv_into(buf) == 4 and buf == b"0123"
    assert c.recv_into(memoryview(buf), 2) == 2 and buf == b"4523"
    assert recv_exactly(c, 4) == b"6789"
    assert c.pending() == 0
    c.sendall(b"done")
    peer.finish()
    c.close()
    assert c.fileno() == -1
    with pytest.raises(OSError) as info:
        c.recv(1)
    assert info.value.errno == errno.EBADF


@pytest.mark.parametrize(
    ("code", "cls", "message"),
    [
        (ErrorCode.WANT_READ, WantReadError, "The operation did not complete (read)"),
        (ErrorCode.WANT_WRITE, WantWriteError, "The operation did not complete (write)"),
        (ErrorCode.ZERO_RETURN, ZeroReturnError, "TLS/SSL connection has been closed (EOF)"),
        (ErrorCode.WANT_X509_LOOKUP, errors.WantX509LookupError,
         "The operation did not complete (X509 lookup)"),
    ],
)
def test_exception_for_codes(code: ErrorCode, cls: type[SSLError], message: str) -> None:
    errors.clear_error()
    exc = exception_for(code)
    assert type(exc) is cls and str(exc) == message and exc.entries == ()


def test_exception_for_syscall_and_ssl() -> None:
    errors.clear_error()
    eof = exception_for(ErrorCode.SYSCALL, 0)
    assert type(eof) is SyscallError and str(eof) == "EOF occurred in violation of protocol"
    assert stream.is_unexpected_eof(eof)
    errors.put_error(Lib.SYS, errno.EPIPE, "calling send()")
    pipe = exception_for(ErrorCode.SYSCALL, -1)
    assert pipe.errno == errno.EPIPE and pipe.reason == errno.EPIPE
    assert not stream.is_unexpected_eof(pipe)
    errors.put_error(Lib.SSL, SSLReason.WRONG_VERSION_NUMBER)
    errors.put_error(Lib.SSL, SSLReason.BAD_LENGTH)
    exc = exception_for(ErrorCode.SSL)
    assert type(exc) is SSLError
    assert (exc.reason, exc.reason_string) == (SSLReason.WRONG_VERSION_NUMBER,
                                               "wrong version number")
    assert len(exc.entries) == 2 and errors.error_count() == 0
