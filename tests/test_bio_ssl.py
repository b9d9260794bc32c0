"""BIO_f_ssl (SSLBIO): an SSL inside a BIO chain, against real peers.

Peers: ``openssl s_server``/``s_client`` subprocesses on 127.0.0.1, Python's
``ssl`` module over a BIO pair, and biokit's own SSLBIO at both ends.  The
retry flags are checked exactly after each call, as bio_ssl.c sets them from
SSL_get_error.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import io
import select
import socket
import ssl as pyssl
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import pytest
from peers import OPENSSL, free_port, kill, openssl_server

from biokit.bio import (
    BIO,
    BIO_CLOSE,
    BIO_NOCLOSE,
    AcceptBIO,
    BIOType,
    BufferBIO,
    ConnectBIO,
    MemBIO,
    PairBIO,
    RetryReason,
    SocketBIO,
    bio_pair,
)
from biokit.bio.core import (
    BIO_CB_PUTS,
    BIO_CB_RETURN,
    BIO_CB_WRITE,
    BIO_FLAGS_IO_SPECIAL,
    BIO_FLAGS_READ,
    BIO_FLAGS_SHOULD_RETRY,
    BIO_FLAGS_WRITE,
)
from biokit.errors import (
    BIOReason,
    Lib,
    SSLReason,
    clear_error,
    errors_as_list,
    get_lib,
    get_reason,
)
from biokit.ssl import (
    SSL,
    ErrorCode,
    Shutdown,
    SSLContext,
    TLS_client_method,
    TLS_server_method,
)
from biokit.ssl.bio_ssl import (
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
from biokit.testing import pki

RETRY_READ = BIO_FLAGS_READ | BIO_FLAGS_SHOULD_RETRY
RETRY_WRITE = BIO_FLAGS_WRITE | BIO_FLAGS_SHOULD_RETRY
RETRY_SPECIAL = BIO_FLAGS_IO_SPECIAL | BIO_FLAGS_SHOULD_RETRY

needs_openssl = pytest.mark.skipif(OPENSSL is None, reason="openssl command not found")


# ----------------------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return pki("ec256").write(tmp_path_factory.mktemp("bio_ssl"))


def server_ctx() -> SSLContext:
    p = pki("ec256")
    ctx = SSLContext(TLS_server_method())
    assert ctx.use_certificate(p.server[0]) == 1
    assert ctx.use_PrivateKey(p.server[1]) == 1
    return ctx


def client_ctx() -> SSLContext:
    ctx = SSLContext(TLS_client_method())
    ctx.get_cert_store().add_cert(pki("ec256").ca[0])
    ctx.set_verify(1)  # SSL_VERIFY_PEER
    return ctx


def ssl_of(bio: SSLBIO) -> SSL:
    ssl = bio.get_ssl()
    assert ssl is not None
    return ssl


def named(ssl: SSL) -> SSL:
    ssl.set_tlsext_host_name("localhost")
    ssl.set1_host("localhost")
    return ssl


def entries() -> list[tuple[int, int]]:
    return [(get_lib(e.code), get_reason(e.code)) for e in errors_as_list()]


def ssl_pair(
    pair_size: int = 0, sctx: SSLContext | None = None
) -> tuple[SSLBIO, SSLBIO, PairBIO, PairBIO]:
    """A client and a server SSL BIO, each in front of one half of a BIO pair."""
    a, b = bio_pair(pair_size, pair_size)
    client = BIO_new_ssl(client_ctx(), 1).push(a)
    named(ssl_of(client))
    server = BIO_new_ssl(sctx or server_ctx(), 0).push(b)
    return client, server, a, b


def handshake(client: BIO, server: BIO, rounds: int = 20) -> None:
    """BIO_do_handshake on both chains until both say 1; every miss must be a read retry."""
    done = [False, False]
    for _ in range(rounds):
        for i, bio in enumerate((client, server)):
            if not done[i]:
                r = bio.ctrl(101)  # BIO_do_handshake
                done[i] = r == 1
                if not done[i]:
                    assert r == -1 and bio.get_retry_flags() == RETRY_READ, (r, entries())
        if all(done):
            return
    raise AssertionError("handshake did not finish")


def wait(fd: int, *, read: bool, timeout: float = 5.0) -> None:
    r, w, _ = select.select([fd] if read else [], [] if read else [fd], [], timeout)
    assert r or w, "timed out waiting for the socket"


# ----------------------------------------------------------------------------- real peers


@needs_openssl
@pytest.mark.timeout(30)
def test_buffer_ssl_socket_chain_fetches_s_server_www_page(files: dict[str, str]) -> None:
    port = free_port()
    with openssl_server(
        ["-cert", files["server.pem"], "-key", files["server.key"], "-www"], port
    ):
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        sbio = BIO_new_ssl(client_ctx(), 1)
        named(ssl_of(sbio))
        sbio.push(SocketBIO(sock, BIO_CLOSE))
        chain = BufferBIO().push(sbio)
        assert [type(b) for b in chain] == [BufferBIO, SSLBIO, SocketBIO]
        ssl = ssl_of(sbio)
        assert ssl.get_rbio() is sbio.next and ssl.get_wbio() is sbio.next
        try:
            # No explicit handshake: the first write through the chain (the
            # buffer's flush) runs it.
            assert chain.puts("GET / HTTP/1.0\r\n") == 16
            assert chain.puts("\r\n") == 2
            assert ssl.in_before()
            assert chain.flush() == 1
            assert ssl.is_init_finished() and ssl.get_verify_result() == 0
            status = chain.gets(1024)
            assert status == b"HTTP/1.0 200 ok\r\n"
            lines = [status]
            for _ in range(10000):
                line = chain.gets(1024)
                if not line:
                    break
                lines.append(line)
            page = b"".join(lines)
            assert b"Content-type: text/html" in page
            cipher = ssl.get_cipher()
            assert cipher is not None and cipher.encode() in page
            assert b"TLSv1.3" in page
            # s_server -www closes with close_notify: ZERO_RETURN, no retry.
            assert chain.read_c(10) == 0
            assert ssl.get_error(0) == ErrorCode.ZERO_RETURN
            assert chain.get_retry_flags() == 0 and sbio.get_retry_flags() == 0
        finally:
            chain.free_all()
        assert sock.fileno() == -1  # BIO_CLOSE socket BIO closed by free_all


@needs_openssl
@pytest.mark.timeout(30)
def test_ssl_connect_bio_nonblocking_want_connect_then_data(files: dict[str, str]) -> None:
    port = free_port()
    with openssl_server(
        ["-cert", files["server.pem"], "-key", files["server.key"], "-rev"], port
    ):
        sbio = BIO_new_ssl_connect(client_ctx())
        con = sbio.next
        assert isinstance(con, ConnectBIO)
        assert con.set_conn_hostname(f"127.0.0.1:{port}") == 1
        assert con.set_nbio(True) == 1
        ssl = named(ssl_of(sbio))
        try:
            clear_error()
            r = sbio.do_handshake()
            assert r == -1
            assert sbio.get_retry_flags() == RETRY_SPECIAL
            assert sbio.should_io_special() and not sbio.should_read() and not sbio.should_write()
            assert sbio.get_retry_reason() == RetryReason.CONNECT
            assert ssl.get_error(r) == ErrorCode.WANT_CONNECT
            assert sbio.get_retry_bio() == (con, RetryReason.CONNECT)
            assert entries() == []
            # Unknown ctrls go to the SSL's rbio: BIO_get_fd on the SSL BIO.
            fd = sbio.ctrl(105)
            assert fd == con.get_fd() and fd >= 0
            seen = [sbio.get_retry_flags()]
            for _ in range(200):
                if r == 1:
                    break
                wait(fd, read=sbio.should_read())
                r = sbio.do_handshake()
                if r != 1:
                    seen.append(sbio.get_retry_flags())
                    assert sbio.should_retry(), entries()
            assert r == 1
            # Which retries the handshake met depends on timing (a fast server
            # may answer before the client's first read), but each was a plain
            # read or write retry once the connect step was over.
            assert seen[0] == RETRY_SPECIAL
            assert set(seen[1:]) <= {RETRY_READ, RETRY_WRITE}, seen
            assert ssl.get_version() == "TLSv1.3" and ssl.get_verify_result() == 0
            # Nothing to read yet (the -rev server answers lines only): a read
            # retry, whatever the timing above.
            clear_error()
            assert sbio.read(1024) == b""
            assert sbio.get_retry_flags() == RETRY_READ
            assert ssl.get_error(-1) == ErrorCode.WANT_READ
            assert entries() == []

            # Data both ways; the socket stays nonblocking.
            msg = b"hello from an ssl bio\n"
            for _ in range(100):
                n = sbio.write(msg)
                if n > 0:
                    break
                assert sbio.should_retry()
                wait(fd, read=sbio.should_read())
            assert n == len(msg)
            got = bytearray()
            for _ in range(200):
                data = sbio.read(1024)
                if data:
                    got += data
                    if got.endswith(b"\n"):
                        break
                    continue
                assert sbio.get_retry_flags() == RETRY_READ
                assert ssl.get_error(-1) == ErrorCode.WANT_READ
                wait(fd, read=True)
            assert bytes(got) == b"oib lss na morf olleh\n"
        finally:
            sbio.free_all()


@needs_openssl
@pytest.mark.timeout(30)
def test_server_ssl_bio_on_accept_bio_connection_with_s_client(files: dict[str, str]) -> None:
    sctx = server_ctx()
    acpt = AcceptBIO("127.0.0.1:0")
    # OpenSSL duplicates a template chain per connection; biokit calls a factory.
    acpt.set_accept_bios(lambda: BIO_new_ssl(sctx, 0))
    assert acpt.do_accept() == 1  # bind + listen
    port = acpt.get_accept_port()
    assert port is not None
    proc = subprocess.Popen(
        [OPENSSL or "openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-CAfile",
         files["ca.pem"], "-verify_return_error", "-servername", "localhost", "-quiet"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    chain: BIO | None = None
    try:
        assert proc.stdin is not None
        proc.stdin.write(b"hello from s_client\n")
        proc.stdin.flush()
        wait(acpt.get_fd(), read=True, timeout=10)
        assert acpt.do_accept() == 1  # AcceptBIO -> SSLBIO -> SocketBIO
        sbio = acpt.pop()
        assert isinstance(sbio, SSLBIO)
        sock_bio = sbio.next
        assert isinstance(sock_bio, SocketBIO)
        sock_bio.sock.settimeout(10)
        ssl = ssl_of(sbio)
        assert ssl.is_server() and ssl.get_rbio() is sock_bio and ssl.get_wbio() is sock_bio
        assert sbio.do_handshake() == 1
        assert ssl.get_version() == "TLSv1.3"
        assert ssl.get_servername() == "localhost"
        # The SSL BIO has no gets: put a buffer in front, as BIO_f_ssl(3) does.
        chain = BufferBIO().push(sbio)
        assert chain.gets(1024) == b"hello from s_client\n"
        assert chain.puts("hello from biokit\n") == 18
        assert chain.flush() == 1
        BIO_ssl_shutdown(chain)
        assert ssl.get_shutdown() & Shutdown.SENT
        chain.free_all()
        chain = None
        out, _ = proc.communicate(timeout=10)
        assert out == b"hello from biokit\n"
    finally:
        kill(proc)
        if chain is not None:
            chain.free_all()
        acpt.free_all()


class PairPeer:
    """Python's ``ssl.SSLObject`` on the far half of a BIO pair (its MemoryBIOs pumped)."""

    def __init__(self, obj_ctx: pyssl.SSLContext, half: PairBIO, *, server_side: bool) -> None:
        self.incoming = pyssl.MemoryBIO()
        self.outgoing = pyssl.MemoryBIO()
        self.obj = obj_ctx.wrap_bio(
            self.incoming, self.outgoing, server_side=server_side,
            server_hostname=None if server_side else "localhost",
        )
        self.half = half
        self.backlog = bytearray()

    def pump(self) -> int:
        moved = 0
        while True:
            data = self.half.read(65536)
            if not data:
                break
            self.incoming.write(data)
            moved += len(data)
        self.backlog += self.outgoing.read()
        while self.backlog:
            # The pair is bounded: what does not fit waits for the next pump.
            n = self.half.write(self.backlog)
            if n <= 0:
                break
            del self.backlog[:n]
            moved += n
        return moved

    def step(self, fn: Callable[[], object]) -> object:
        try:
            return fn()
        except (pyssl.SSLWantReadError, pyssl.SSLWantWriteError):
            return None


@pytest.mark.parametrize("bk_role", ["client", "server"])
def test_ssl_bio_over_bio_pair_with_python_ssl(files: dict[str, str], bk_role: str) -> None:
    ours, theirs = bio_pair(4096, 4096)
    if bk_role == "client":
        sbio = BIO_new_ssl(client_ctx(), 1)
        named(ssl_of(sbio))
        pctx = pyssl.SSLContext(pyssl.PROTOCOL_TLS_SERVER)
        pctx.load_cert_chain(files["server.pem"], files["server.key"])
    else:
        sbio = BIO_new_ssl(server_ctx(), 0)
        pctx = pyssl.SSLContext(pyssl.PROTOCOL_TLS_CLIENT)
        pctx.load_verify_locations(files["ca.pem"])
    sbio.push(ours)
    assert ssl_of(sbio).get_rbio() is ours
    peer = PairPeer(pctx, theirs, server_side=bk_role == "client")
    done_bk = done_py = False
    for _ in range(50):
        if not done_py:
            done_py = peer.step(peer.obj.do_handshake) is not None or peer.obj.version() is not None
        peer.pump()
        if not done_bk:
            r = sbio.do_handshake()
            done_bk = r == 1
            if not done_bk:
                assert r == -1 and sbio.get_retry_flags() in (RETRY_READ, RETRY_WRITE)
        peer.pump()
        if done_bk and done_py:
            break
    assert done_bk and done_py
    assert peer.obj.version() == "TLSv1.3"

    # biokit -> Python: 64 KiB through a 4 KiB pair forces write retries.
    data = bytes(range(256)) * 256
    view = memoryview(data)
    got = bytearray()
    sent = 0
    write_retries = 0
    piece: memoryview | None = None
    for _ in range(10000):
        if sent < len(data):
            if piece is None:
                piece = view[sent : sent + 16384]
            n = sbio.write(piece)  # retried with the same buffer, as SSL_write wants
            if n > 0:
                sent += n
                piece = None
            else:
                assert sbio.get_retry_flags() == RETRY_WRITE
                assert ssl_of(sbio).get_error(n) == ErrorCode.WANT_WRITE
                write_retries += 1
        peer.pump()
        while True:
            chunk = peer.step(lambda: peer.obj.read(65536))
            if not isinstance(chunk, bytes) or not chunk:
                break
            got += chunk
        peer.pump()
        if sent == len(data) and len(got) == len(data):
            break
    assert bytes(got) == data
    assert write_retries > 0

    # Python -> biokit.
    reply = b"reply " * 5000
    assert peer.obj.write(reply) == len(reply)
    got = bytearray()
    for _ in range(10000):
        peer.pump()
        chunk = sbio.read(65536)
        if chunk:
            got += chunk
        else:
            assert sbio.get_retry_flags() == RETRY_READ
        if len(got) >= len(reply):
            break
    assert bytes(got) == reply
    sbio.free_all()


def test_ssl_bio_to_ssl_bio_chains_over_bio_pair() -> None:
    client_ssl, server_ssl, a, b = ssl_pair()
    client = BufferBIO().push(client_ssl)
    server = BufferBIO().push(server_ssl)
    # BIO_do_handshake through the buffer BIOs: they pass the ctrl down and
    # copy the SSL BIO's retry flags.
    handshake(client, server)
    assert ssl_of(client_ssl).get_verify_result() == 0
    request = [b"GET /index.html HTTP/1.1\r\n", b"Host: localhost\r\n", b"\r\n"]
    for line in request:
        assert client.puts(line) == len(line)
    assert client.flush() == 1
    lines = [server.gets(1024) for _ in request]
    assert lines == request
    # Nothing more has arrived: the retry shows through the buffer.
    assert server.gets(1024) == b""
    assert server.get_retry_flags() == RETRY_READ and server_ssl.get_retry_flags() == RETRY_READ
    body = b"x" * 40000
    assert server.write(b"HTTP/1.1 200 OK\r\n\r\n") == 19
    assert server.flush() == 1
    assert client.gets(1024) == b"HTTP/1.1 200 OK\r\n"
    assert client.gets(1024) == b"\r\n"
    # More than the pair holds: a write through the buffer stops with the SSL
    # BIO's write retry (shown on both), the client's reads make room.  The
    # retry re-slices the body: same bytes, new object.
    sent = 0
    got = bytearray()
    stalls = 0
    for _ in range(1000):
        if sent < len(body):
            n = server.write(body[sent:])
            if n > 0:
                sent += n
            else:
                assert server.get_retry_flags() == RETRY_WRITE
                assert server_ssl.get_retry_flags() == RETRY_WRITE
                stalls += 1
        elif server.flush() != 1:
            assert server.get_retry_flags() == RETRY_WRITE
        chunk = client.read(16384)
        got += chunk
        if sent == len(body) and len(got) == len(body):
            break
    assert bytes(got) == body
    assert stalls > 0
    # Server closes: close_notify, the client reads 0 with ZERO_RETURN, no retry.
    BIO_ssl_shutdown(server)
    assert client.read_c(100) == 0
    assert ssl_of(client_ssl).get_error(0) == ErrorCode.ZERO_RETURN
    assert client.get_retry_flags() == 0 and client_ssl.get_retry_flags() == 0
    BIO_ssl_shutdown(client)
    assert ssl_of(client_ssl).get_shutdown() == Shutdown.SENT | Shutdown.RECEIVED
    client.free_all()
    server.free_all()
    assert a.closed and b.closed


# ----------------------------------------------------------------------------- retry flags


def test_retry_flags_mirror_ssl_wants_on_nonblocking_sockets() -> None:
    sa, sb = socket.socketpair()
    for s in (sa, sb):
        s.setblocking(False)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    client = BIO_new_ssl(client_ctx(), 1).push(SocketBIO(sa, BIO_CLOSE))
    server = BIO_new_ssl(server_ctx(), 0).push(SocketBIO(sb, BIO_CLOSE))
    named(ssl_of(client))
    try:
        handshake(client, server)
        clear_error()
        # Read before any data: b"" + should_read, exactly WANT_READ.
        assert client.read(100) == b""
        assert client.get_retry_flags() == RETRY_READ
        assert client.get_retry_reason() == 0
        assert ssl_of(client).get_error(-1) == ErrorCode.WANT_READ
        assert not client.eof()
        # A write that fills the socket buffers: -1 + should_write.
        big = bytes(1 << 20)
        n = client.write(big)
        assert n == -1
        assert client.get_retry_flags() == RETRY_WRITE
        assert ssl_of(client).get_error(n) == ErrorCode.WANT_WRITE
        got = 0
        for _ in range(100000):
            while True:
                chunk = server.read(65536)
                if not chunk:
                    assert server.get_retry_flags() == RETRY_READ
                    break
                got += len(chunk)
            if n != len(big):
                n = client.write(big)  # same buffer on retry
                if n < 0:
                    assert client.get_retry_flags() == RETRY_WRITE
            if n == len(big) and got == len(big):
                break
        assert (n, got) == (len(big), len(big))
        # A successful call leaves no flags behind.
        assert client.get_retry_flags() == 0 and client.get_retry_reason() == 0
        assert entries() == []
    finally:
        client.free_all()
        server.free_all()


@pytest.mark.parametrize("op", ["read", "write", "BIO_do_handshake"])
def test_want_x509_lookup_is_io_special_with_reason(op: str) -> None:
    p = pki("ec256")
    calls: list[int] = []

    def client_cert_cb(ssl: SSL) -> object:
        calls.append(1)
        return -1 if len(calls) == 1 else (p.client[0], p.client[1])

    cctx = client_ctx()
    cctx.set_client_cert_cb(client_cert_cb)  # type: ignore[arg-type]
    sctx = server_ctx()
    sctx.get_cert_store().add_cert(p.ca[0])
    sctx.set_verify(1 | 2)  # PEER | FAIL_IF_NO_PEER_CERT
    a, b = bio_pair()
    client = BIO_new_ssl(cctx, 1).push(a)
    named(ssl_of(client))
    server = BIO_new_ssl(sctx, 0).push(b)
    call: Callable[[], int] = {
        "read": lambda: len(r) if isinstance(r := client.read_c(10), bytes) else r,
        "write": lambda: client.write(b"x"),
        "BIO_do_handshake": client.do_handshake,
    }[op]
    clear_error()
    assert call() == -1  # ClientHello out
    assert client.get_retry_flags() == RETRY_READ
    assert server.do_handshake() == -1
    assert call() == -1  # the callback asks to be called again
    assert client.get_retry_flags() == RETRY_SPECIAL
    assert client.get_retry_reason() == RetryReason.SSL_X509_LOOKUP
    assert ssl_of(client).get_error(-1) == ErrorCode.WANT_X509_LOOKUP
    assert entries() == []
    # Called again, the callback supplies the certificate.
    handshake(client, server)
    assert ssl_of(server).get_peer_certificate() is not None
    assert len(calls) == 2
    client.free_all()
    server.free_all()


def test_want_accept_sets_special_on_read_but_nothing_on_write_or_handshake() -> None:
    acpt = AcceptBIO("127.0.0.1:0")
    assert acpt.set_nbio_accept(True) == 1
    assert acpt.do_accept() == 1  # listening, nothing to accept yet
    sbio = BIO_new_ssl(server_ctx(), 0).push(acpt)
    ssl = ssl_of(sbio)
    assert ssl.get_rbio() is acpt
    clear_error()
    assert sbio.read_c(10) == -1
    assert ssl.get_error(-1) == ErrorCode.WANT_ACCEPT
    assert sbio.get_retry_flags() == RETRY_SPECIAL
    assert sbio.get_retry_reason() == RetryReason.ACCEPT
    # ssl_write has no WANT_ACCEPT case, and neither has BIO_C_DO_STATE_MACHINE.
    assert sbio.write(b"x") == -1
    assert ssl.get_error(-1) == ErrorCode.WANT_ACCEPT
    assert sbio.get_retry_flags() == 0 and sbio.get_retry_reason() == 0
    assert sbio.do_handshake() == -1
    assert ssl.get_error(-1) == ErrorCode.WANT_ACCEPT
    assert sbio.get_retry_flags() == 0 and sbio.get_retry_reason() == 0
    assert entries() == []
    sbio.free_all()


def test_write_retry_with_other_bytes_is_fatal() -> None:
    client, server, _, _ = ssl_pair(pair_size=1024)
    handshake(client, server)
    data = bytes(range(256)) * 40
    assert client.write(data) == -1
    assert client.get_retry_flags() == RETRY_WRITE
    # Other bytes on the retry: SSL_write's "bad write retry", fatal for the SSL
    # (SSLfatal in OpenSSL 3.0), no retry flag; the right bytes come too late.
    clear_error()
    assert client.write(b"y" * len(data)) == -1
    assert entries() == [(Lib.SSL, SSLReason.BAD_WRITE_RETRY)]
    assert client.get_retry_flags() == 0
    assert ssl_of(client).state_string_long() == "error"
    clear_error()
    assert client.write(data) == -1
    assert client.get_retry_flags() == 0
    assert ssl_of(client).get_error(-1) == ErrorCode.SYSCALL
    assert entries() == []
    client.free_all()
    server.free_all()


def test_write_retry_with_the_same_bytes_in_a_new_object() -> None:
    client, server, _, _ = ssl_pair(pair_size=1024)
    handshake(client, server)
    data = bytes(range(256)) * 40
    assert client.write(data) == -1
    assert client.get_retry_flags() == RETRY_WRITE
    # The same bytes in a fresh object (what a filter in front re-slices) are
    # the same buffer, as one pointer is in C.
    got = bytearray()
    n = -1
    for _ in range(200):
        got += server.read(65536)
        if n < 0:
            n = client.write(bytearray(data))
        if n > 0 and len(got) == len(data):
            break
    assert n == len(data)
    assert bytes(got) == data
    client.free_all()
    server.free_all()


def test_ssl_error_leaves_no_retry() -> None:
    # The peer's transport closes without close_notify: SSL_read returns 0
    # with SSL_ERROR_SSL ("unexpected eof while reading"), as in OpenSSL 3,
    # and the SSL BIO asks for no retry.
    client, server, a, b = ssl_pair()
    handshake(client, server)
    assert b.shutdown_wr() == 1
    clear_error()
    assert client.read_c(10) == 0
    assert ssl_of(client).get_error(0) == ErrorCode.SSL
    assert client.eof() and a.eof()  # BIO_eof asks the SSL's rbio
    assert entries() == [(Lib.SSL, SSLReason.UNEXPECTED_EOF_WHILE_READING)]
    assert client.get_retry_flags() == 0
    client.free_all()
    server.free_all()


# ----------------------------------------------------------------------------- the BIO contract


def test_gets_is_unsupported_and_puts_is_a_write_on_the_same_bio() -> None:
    client, server, _, _ = ssl_pair()
    handshake(client, server)
    clear_error()
    assert client.gets_c(100) == -2
    assert entries() == [(Lib.BIO, BIOReason.UNSUPPORTED_METHOD)]
    clear_error()
    ops: list[int] = []

    def cb(bio: BIO, oper: int, argp: bytes | None, length: int, argi: int, argl: int,
           ret: int, processed: int | None) -> int:
        ops.append(oper)
        return ret

    client.set_callback(cb)
    before = client.num_write
    assert client.puts("hello\n") == 6
    # ssl_puts calls BIO_write on itself: the write callback nests inside
    # puts, and both count the bytes (OpenSSL's num_write does the same).
    assert ops == [BIO_CB_PUTS, BIO_CB_WRITE, BIO_CB_WRITE | BIO_CB_RETURN,
                   BIO_CB_PUTS | BIO_CB_RETURN]
    assert client.num_write - before == 12
    client.set_callback(None)
    assert server.read(100) == b"hello\n"
    client.free_all()
    server.free_all()


def test_pending_is_ssl_pending_else_the_rbio_pending() -> None:
    client, server, a, _ = ssl_pair()
    handshake(client, server)
    # The server's tickets wait in the pair: SSL_pending is 0, so BIO_pending
    # answers with the rbio's count of undecrypted bytes.
    tickets = a.pending()
    assert tickets > 0 and ssl_of(client).pending() == 0
    assert client.pending() == tickets
    assert server.write(b"0123456789") == 10
    waiting = a.pending()
    assert waiting > tickets + 10
    assert client.pending() == waiting
    assert client.read(4) == b"0123"
    # Now SSL_pending (the rest of the record) answers.
    assert ssl_of(client).pending() == 6
    assert client.pending() == 6
    assert client.ctrl(10) == 6  # BIO_CTRL_PENDING
    assert client.read(100) == b"456789"
    assert client.pending() == 0
    assert client.wpending() == 0
    client.free_all()
    server.free_all()


def test_flush_and_wpending_go_to_the_ssl_wbio() -> None:
    ssl = SSL(client_ctx())
    ssl.set_connect_state()
    wbuf = BufferBIO().push(MemBIO())
    rmem = MemBIO()
    ssl.set_bio(rmem, wbuf)
    sbio = SSLBIO(ssl, BIO_NOCLOSE)
    assert sbio.next is rmem  # BIO_set_ssl links the rbio in as next
    assert sbio.write(b"x") == -1  # ClientHello written into the buffer, then waits to read
    assert ssl.get_error(-1) == ErrorCode.WANT_READ
    # The SSL flushed its flight (statem_flush), so nothing is held.
    assert sbio.wpending() == 0
    assert wbuf.write(b"abc") == 3
    assert sbio.wpending() == 3  # the wbio's, not next's
    assert sbio.flush() == 1
    assert sbio.wpending() == 0
    sbio.free()
    wbuf.free_all()
    rmem.free()


def test_push_adopts_transport_and_pop_detaches() -> None:
    sbio = BIO_new_ssl(client_ctx(), 1)
    ssl = ssl_of(sbio)
    assert ssl.get_rbio() is None and ssl.get_wbio() is None
    a, b = bio_pair()
    assert sbio.push(a) is sbio
    assert ssl.get_rbio() is a and ssl.get_wbio() is a
    # Pushing more after the transport changes nothing for the SSL.
    extra = MemBIO()
    assert sbio.push(extra) is sbio
    assert sbio.chain() == [sbio, a, extra]
    assert ssl.get_rbio() is a
    assert extra.pop() is None
    # A pop of the SSL BIO itself detaches its transport (BIO_CTRL_POP with ptr == b).
    assert sbio.pop() is a
    assert ssl.get_rbio() is None and ssl.get_wbio() is None
    assert sbio.next is None and a.prev is None
    assert not a.closed
    # Popping a BIO in front of the SSL BIO leaves the SSL alone.
    sbio.push(a)
    head = BufferBIO().push(sbio)
    assert head.pop() is sbio
    assert ssl.get_rbio() is a
    head.free()
    sbio.free_all()
    b.free()


def test_set_ssl_links_the_rbio_in_as_next() -> None:
    ssl = SSL(client_ctx())
    ssl.set_connect_state()
    rbio = MemBIO()
    ssl.set_bio(rbio, rbio)
    sbio = SSLBIO()
    tail = MemBIO()
    # Pushing onto an SSL BIO without an SSL does nothing for the SSL (ctrl -> 0).
    sbio.push(tail)
    assert BIO_set_ssl(sbio, ssl, BIO_NOCLOSE) == 1
    # BIO_C_SET_SSL: the old next goes after the rbio (BIO_push(rbio, next)).
    assert sbio.chain() == [sbio, rbio, tail]
    assert rbio.prev is sbio
    assert sbio.get_close() == BIO_NOCLOSE
    assert BIO_get_ssl(sbio) is ssl
    # Setting another SSL replaces it; the chain keeps what it had.
    ssl2 = SSL(client_ctx())
    assert sbio.set_ssl(ssl2, BIO_CLOSE) == 1
    assert sbio.get_ssl() is ssl2 and sbio.chain() == [sbio, rbio, tail]
    assert ssl.get_rbio() is rbio  # NOCLOSE: the old SSL was not freed
    sbio.free_all()


def test_ssl_bio_without_ssl_is_uninitialised() -> None:
    sbio = SSLBIO()
    assert sbio.get_ssl() is None
    assert sbio.get_close() == BIO_CLOSE  # BIO_new's default
    clear_error()
    assert sbio.read_c(10) == -1
    assert sbio.write(b"x") == -1
    assert entries() == [(Lib.BIO, BIOReason.UNINITIALIZED)] * 2
    # ssl_ctrl answers 0 to everything but BIO_C_SET_SSL.
    assert sbio.do_handshake() == 0
    assert sbio.flush() == 0
    assert sbio.pending() == 0
    assert BIO_get_ssl(sbio) is None
    assert BIO_set_ssl_mode(sbio, 1) == 0
    sbio.free()


def test_ssl_mode_macro_sets_the_role() -> None:
    sbio = SSLBIO(SSL(SSLContext(TLS_client_method())), BIO_CLOSE)
    ssl = ssl_of(sbio)
    assert BIO_set_ssl_mode(sbio, 0) == 1
    assert ssl.is_server()
    assert sbio.set_ssl_mode(True) == 1
    assert not ssl.is_server()
    sbio.free()


def test_free_with_bio_close_sends_close_notify_and_frees_the_ssl() -> None:
    client, server, a, b = ssl_pair()
    handshake(client, server)
    ssl = ssl_of(client)
    assert client.get_close() == BIO_CLOSE  # BIO_new_ssl
    client.free()
    # close_notify went out; the SSL let go of its BIOs; the transport stays
    # with the chain (free_all would close it).
    assert server.read_c(10) == 0
    assert ssl_of(server).get_error(0) == ErrorCode.ZERO_RETURN
    assert ssl.get_rbio() is None and ssl.get_shutdown() & Shutdown.SENT
    assert client.get_ssl() is None
    assert not a.closed
    a.free()
    server.free_all()
    assert b.closed


def test_free_with_bio_noclose_keeps_the_ssl() -> None:
    client, server, a, _ = ssl_pair()
    handshake(client, server)
    ssl = ssl_of(client)
    assert client.set_close(BIO_NOCLOSE) == 1
    client.free()
    assert ssl.get_rbio() is a and ssl.get_shutdown() == 0
    assert ssl.write(b"still here") == 10
    assert server.read(100) == b"still here"
    a.free()
    server.free_all()


def test_free_in_init_does_not_shut_down() -> None:
    sbio = BIO_new_ssl(client_ctx(), 1).push(bio_pair()[0])
    clear_error()
    sbio.free_all()
    assert entries() == []


def test_reset_shuts_down_and_rearms_for_a_new_handshake() -> None:
    client, server, a, b = ssl_pair()
    handshake(client, server)
    assert client.write(b"first") == 5
    assert server.read(10) == b"first"
    # BIO_reset: SSL_shutdown, SSL_clear in the same role, then BIO_reset on
    # next -- whose answer it returns: a BIO pair says 0 (bss_bio.c does).
    assert client.reset() == 0
    assert server.reset() == 0
    for bio in (client, server):
        assert ssl_of(bio).in_before()
        assert ssl_of(bio).get_shutdown() == 0
    assert ssl_of(server).is_server() and not ssl_of(client).is_server()
    # The pair reset dropped the close_notify records: a fresh handshake works.
    assert a.pending() == 0 and b.pending() == 0
    handshake(client, server)
    assert client.write(b"second") == 6
    assert server.read(10) == b"second"
    client.free_all()
    server.free_all()


def test_renegotiate_counters_have_openssl_clamps_and_tls13_refuses() -> None:
    client, server, _, _ = ssl_pair()
    handshake(client, server)
    assert BIO_set_ssl_renegotiate_bytes(client, 100) == 0  # < 512: ignored
    assert BIO_set_ssl_renegotiate_bytes(client, 1024) == 0
    assert client.set_ssl_renegotiate_bytes(2048) == 1024  # the old value
    assert BIO_set_ssl_renegotiate_timeout(server, 30) == 0  # < 60 becomes 5
    assert server.set_ssl_renegotiate_timeout(120) == 5
    assert BIO_get_num_renegotiates(client) == 0
    clear_error()
    assert client.write(b"a" * 2000) == 2000
    assert BIO_get_num_renegotiates(client) == 0
    assert entries() == []
    # Past the byte count: SSL_renegotiate, which TLS 1.3 refuses; the write
    # itself succeeded.
    assert client.write(b"b" * 100) == 100
    assert client.get_num_renegotiates() == 1
    assert entries() == [(Lib.SSL, SSLReason.WRONG_SSL_VERSION)]
    clear_error()
    assert client.write(b"c" * 100) == 100  # the count starts again
    assert client.get_num_renegotiates() == 1
    got = bytearray()
    for _ in range(10):
        got += server.read(5000)
    assert bytes(got) == b"a" * 2000 + b"b" * 100 + b"c" * 100
    client.free_all()
    server.free_all()


def test_renegotiate_timeout_fires_on_read(monkeypatch: pytest.MonkeyPatch) -> None:
    client, server, _, _ = ssl_pair()
    handshake(client, server)
    now = [1_000_000.0]
    monkeypatch.setattr(time, "time", lambda: now[0])
    assert server.set_ssl_renegotiate_timeout(60) == 0
    assert client.write(b"ping") == 4
    clear_error()
    assert server.read(10) == b"ping"
    assert server.get_num_renegotiates() == 0
    now[0] += 61
    assert client.write(b"pong") == 4
    assert server.read(10) == b"pong"
    assert server.get_num_renegotiates() == 1
    assert entries() == [(Lib.SSL, SSLReason.WRONG_SSL_VERSION)]
    clear_error()
    client.free_all()
    server.free_all()


def test_constructors_build_openssls_chains() -> None:
    ctx = client_ctx()
    sbio = BIO_new_ssl_connect(ctx)
    assert [type(b) for b in sbio] == [SSLBIO, ConnectBIO]
    ssl = ssl_of(sbio)
    assert not ssl.is_server() and ssl.get_rbio() is sbio.next and ssl.get_wbio() is sbio.next
    assert sbio.get_close() == BIO_CLOSE
    assert sbio.method_type() == BIOType.SSL and sbio.method_name() == "ssl"
    sbio.free_all()
    buf = BIO_new_buffer_ssl_connect(ctx)
    assert [type(b) for b in buf] == [BufferBIO, SSLBIO, ConnectBIO]
    # BIO_get_ssl is a ctrl: it works through the buffer in front.
    found = BIO_get_ssl(buf)
    assert found is not None and found.get_rbio() is buf.find_type(ConnectBIO)
    assert buf.find_type(BIOType.SSL) is buf.next
    buf.free_all()
    server = BIO_new_ssl(server_ctx(), 0)
    assert ssl_of(server).is_server()
    server.free()


def test_copy_session_id_resumes() -> None:
    sctx = server_ctx()  # one ticket key for both servers
    client, server, _, _ = ssl_pair(sctx=sctx)
    handshake(client, server)
    assert server.write(b"x") == 1
    assert client.read(10) == b"x"  # the tickets came before it
    client2, server2, _, _ = ssl_pair(sctx=sctx)
    assert not ssl_of(client2).session_reused()
    head = BufferBIO().push(client2)
    assert BIO_ssl_copy_session_id(head, client) == 1
    assert BIO_ssl_copy_session_id(head, MemBIO()) == 0
    handshake(client2, server2)
    assert ssl_of(client2).session_reused()
    for bio in (client, server, head, server2):
        bio.free_all()


def test_ssl_shutdown_walks_the_chain() -> None:
    client, server, _, _ = ssl_pair()
    handshake(client, server)
    head = BufferBIO().push(client)
    BIO_ssl_shutdown(head)
    assert ssl_of(client).get_shutdown() == Shutdown.SENT
    assert server.read_c(10) == 0
    BIO_ssl_shutdown(server)
    assert ssl_of(client).shutdown() == 1
    BIO_ssl_shutdown(None)
    head.free_all()
    server.free_all()


# ----------------------------------------------------------------------------- needs elsewhere


def test_push_through_a_buffer_reaches_the_ssl_bio() -> None:
    sbio = BIO_new_ssl(client_ctx(), 1)
    head = BufferBIO().push(sbio)
    a, b = bio_pair()
    head.push(a)  # BIO_push(bbio, transport): the PUSH ctrl travels to the SSL BIO
    try:
        assert ssl_of(sbio).get_rbio() is a
    finally:
        head.free_all()
        b.free()


def test_set_conn_hostname_through_the_ssl_bio() -> None:
    from biokit import openssl

    sbio = BIO_new_ssl_connect(client_ctx())
    try:
        assert openssl.BIO_set_conn_hostname(sbio, "127.0.0.1:4433") == 1  # type: ignore[arg-type]
        con = sbio.next
        assert isinstance(con, ConnectBIO) and con.get_conn_hostname() == "127.0.0.1"
    finally:
        sbio.free_all()


# ----------------------------------------------------------------------------- BIO_f_ssl(3)


@needs_openssl
@pytest.mark.timeout(30)
def test_manual_client_example(files: dict[str, str]) -> None:
    """The client example of BIO_f_ssl(3), line by line in C names, against s_server -www."""
    from biokit.openssl import (
        BIO_NOCLOSE,
        SSL_MODE_AUTO_RETRY,
        SSL_VERIFY_PEER,
        BIO_do_connect,
        BIO_do_handshake,
        BIO_free,
        BIO_free_all,
        BIO_get_ssl,
        BIO_new_fp,
        BIO_new_ssl_connect,
        BIO_puts,
        BIO_read,
        BIO_set_conn_hostname,
        BIO_write,
        ERR_print_errors_fp,
        SSL_CTX_load_verify_locations,
        SSL_CTX_new,
        SSL_CTX_set_verify,
        SSL_get_verify_result,
        SSL_get_version,
        SSL_set1_host,
        SSL_set_mode,
        TLS_client_method,
    )

    port = free_port()
    stdout = io.BytesIO()
    with openssl_server(
        ["-cert", files["server.pem"], "-key", files["server.key"], "-www"], port
    ):
        # BIO *sbio, *out;
        # int len;
        # char tmpbuf[1024];
        # SSL_CTX *ctx;
        # SSL *ssl;

        # /* XXX Seed the PRNG if needed. */

        # ctx = SSL_CTX_new(TLS_client_method());
        ctx = SSL_CTX_new(TLS_client_method())

        # /* XXX Set verify paths and mode here. */
        assert SSL_CTX_load_verify_locations(ctx, files["ca.pem"], None) == 1
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, None)

        # sbio = BIO_new_ssl_connect(ctx);
        sbio = BIO_new_ssl_connect(ctx)
        # BIO_get_ssl(sbio, &ssl);
        ssl = BIO_get_ssl(sbio)
        # if (ssl == NULL) {
        #     fprintf(stderr, "Can't locate SSL pointer\n");
        #     ERR_print_errors_fp(stderr);
        #     exit(1);
        # }
        if ssl is None:
            ERR_print_errors_fp(sys.stderr)
            pytest.fail("Can't locate SSL pointer")

        # /* Don't want any retries */
        # SSL_set_mode(ssl, SSL_MODE_AUTO_RETRY);
        SSL_set_mode(ssl, SSL_MODE_AUTO_RETRY)

        # /* XXX We might want to do other things with ssl here */
        assert SSL_set1_host(ssl, "localhost") == 1

        # /* An empty host part means the loopback address */
        # BIO_set_conn_hostname(sbio, ":https");
        # (Through the SSL BIO, as in C: the ctrl goes down to the connect BIO.
        # A local port stands in for "https".)
        assert BIO_set_conn_hostname(sbio, f":{port}") == 1

        # out = BIO_new_fp(stdout, BIO_NOCLOSE);
        out = BIO_new_fp(stdout, BIO_NOCLOSE)
        # if (BIO_do_connect(sbio) <= 0) {
        #     fprintf(stderr, "Error connecting to server\n");
        #     ERR_print_errors_fp(stderr);
        #     exit(1);
        # }
        if BIO_do_connect(sbio) <= 0:
            ERR_print_errors_fp(sys.stderr)
            pytest.fail("Error connecting to server")

        # /* XXX Could examine ssl here to get connection info */
        # (BIO_do_connect on an SSL BIO is BIO_do_handshake, the same ctrl: done.)
        assert BIO_do_handshake(sbio) == 1
        assert SSL_get_version(ssl) == "TLSv1.3"
        assert SSL_get_verify_result(ssl) == 0

        # BIO_puts(sbio, "GET / HTTP/1.0\n\n");
        assert BIO_puts(sbio, "GET / HTTP/1.0\n\n") == 16
        # for (;;) {
        #     len = BIO_read(sbio, tmpbuf, 1024);
        #     if (len <= 0)
        #         break;
        #     BIO_write(out, tmpbuf, len);
        # }
        reads = []
        for _ in range(100000):
            tmpbuf = BIO_read(sbio, 1024)
            if not isinstance(tmpbuf, bytes):
                break
            assert 0 < len(tmpbuf) <= 1024
            reads.append(len(tmpbuf))
            assert BIO_write(out, tmpbuf) == len(tmpbuf)
        # (The loop ends on the server's close: s_server -www closes after the page.)
        assert tmpbuf == 0 and len(reads) > 1
        # BIO_free_all(sbio);
        BIO_free_all(sbio)
        # BIO_free(out);
        BIO_free(out)

    page = stdout.getvalue()
    assert page.startswith(b"HTTP/1.0 200 ok\r\n")
    assert b"TLSv1.3" in page and page.rstrip().endswith(b"</HTML>")


# ----------------------------------------------------------------------------- vs libssl
# The same scenario through OpenSSL's own BIO_f_ssl (libssl 3, via ctypes) and
# through SSLBIO; every return value, retry flag and reason must agree.


def _load_libssl() -> ctypes.CDLL | None:
    for name in ("libssl.so.3", ctypes.util.find_library("ssl")):
        if not name:
            continue
        try:
            lib = ctypes.CDLL(name)
            lib.OpenSSL_version_num.restype = ctypes.c_ulong
        except (OSError, AttributeError):
            continue
        if lib.OpenSSL_version_num() >> 28 == 3:
            return lib
    return None


_LIBSSL = _load_libssl()

Obs = list[tuple[object, ...]]


class _CSide:
    """libssl's SSL BIOs: the calls the scenario makes."""

    def __init__(self, lib: ctypes.CDLL, files: dict[str, str]) -> None:
        vp, cp, ci, cl = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_long
        for fname, args, res in [
            ("TLS_method", [], vp),
            ("SSL_CTX_new", [vp], vp),
            ("SSL_CTX_free", [vp], None),
            ("SSL_CTX_use_certificate_file", [vp, cp, ci], ci),
            ("SSL_CTX_use_PrivateKey_file", [vp, cp, ci], ci),
            ("BIO_f_ssl", [], vp),
            ("BIO_new", [vp], vp),
            ("BIO_new_ssl", [vp, ci], vp),
            ("BIO_new_bio_pair", [ctypes.POINTER(vp), ctypes.c_size_t,
                                  ctypes.POINTER(vp), ctypes.c_size_t], ci),
            ("BIO_push", [vp, vp], vp),
            ("BIO_read", [vp, cp, ci], ci),
            ("BIO_write", [vp, cp, ci], ci),
            ("BIO_gets", [vp, cp, ci], ci),
            ("BIO_puts", [vp, cp], ci),
            ("BIO_ctrl", [vp, ci, cl, vp], cl),
            ("BIO_test_flags", [vp, ci], ci),
            ("BIO_get_retry_reason", [vp], ci),
            ("BIO_number_written", [vp], ctypes.c_uint64),
            ("BIO_free_all", [vp], None),
            ("ERR_get_error", [], ctypes.c_ulong),
            ("ERR_clear_error", [], None),
        ]:
            f = getattr(lib, fname)
            f.argtypes = args
            f.restype = res
        self.lib = lib
        self.ctxs = []
        for server in (False, True):
            ctx = lib.SSL_CTX_new(lib.TLS_method())
            if server:
                assert lib.SSL_CTX_use_certificate_file(ctx, files["server.pem"].encode(), 1) == 1
                assert lib.SSL_CTX_use_PrivateKey_file(ctx, files["server.key"].encode(), 1) == 1
            self.ctxs.append(ctx)

    def ssl_bio(self, client: bool) -> int:
        b: int = self.lib.BIO_new_ssl(self.ctxs[0 if client else 1], 1 if client else 0)
        return b

    def bare(self) -> int:
        b: int = self.lib.BIO_new(self.lib.BIO_f_ssl())
        return b

    def pair(self) -> tuple[int, int]:
        x, y = ctypes.c_void_p(), ctypes.c_void_p()
        assert self.lib.BIO_new_bio_pair(ctypes.byref(x), 0, ctypes.byref(y), 0) == 1
        assert x.value is not None and y.value is not None
        return x.value, y.value

    def push(self, b: int, nxt: int) -> None:
        self.lib.BIO_push(b, nxt)

    def read(self, b: int, n: int) -> int:
        r: int = self.lib.BIO_read(b, ctypes.create_string_buffer(n), n)
        return r

    def gets(self, b: int, n: int) -> int:
        r: int = self.lib.BIO_gets(b, ctypes.create_string_buffer(n), n)
        return r

    def write(self, b: int, data: bytes) -> int:
        r: int = self.lib.BIO_write(b, data, len(data))
        return r

    def puts(self, b: int, text: bytes) -> int:
        r: int = self.lib.BIO_puts(b, text)
        return r

    def ctrl(self, b: int, cmd: int, larg: int = 0) -> int:
        r: int = self.lib.BIO_ctrl(b, cmd, larg, None)
        return r

    def flags(self, b: int) -> tuple[int, int]:
        return self.lib.BIO_test_flags(b, 0x0F), self.lib.BIO_get_retry_reason(b)

    def written(self, b: int) -> int:
        r: int = self.lib.BIO_number_written(b)
        return r

    def errors(self) -> list[tuple[int, int]]:
        out = []
        while True:
            code = self.lib.ERR_get_error()
            if not code:
                return out
            out.append((get_lib(code), get_reason(code)))

    def clear(self) -> None:
        self.lib.ERR_clear_error()

    def free_all(self, b: int) -> None:
        self.lib.BIO_free_all(b)

    def close(self) -> None:
        for ctx in self.ctxs:
            self.lib.SSL_CTX_free(ctx)


class _PySide:
    """The same calls on biokit's SSLBIO."""

    def __init__(self) -> None:
        self.ctxs = [SSLContext(TLS_client_method()), server_ctx()]

    def ssl_bio(self, client: bool) -> BIO:
        return BIO_new_ssl(self.ctxs[0 if client else 1], client)

    def bare(self) -> BIO:
        return SSLBIO()

    def pair(self) -> tuple[BIO, BIO]:
        return bio_pair()

    def push(self, b: BIO, nxt: BIO) -> None:
        b.push(nxt)

    def read(self, b: BIO, n: int) -> int:
        r = b.read_c(n)
        return len(r) if isinstance(r, bytes) else r

    def gets(self, b: BIO, n: int) -> int:
        r = b.gets_c(n)
        return len(r) if isinstance(r, bytes) else r

    def write(self, b: BIO, data: bytes) -> int:
        return b.write(data)

    def puts(self, b: BIO, text: bytes) -> int:
        return b.puts(text)

    def ctrl(self, b: BIO, cmd: int, larg: int = 0) -> int:
        return b.ctrl(cmd, larg)

    def flags(self, b: BIO) -> tuple[int, int]:
        return b.get_retry_flags(), b.get_retry_reason()

    def written(self, b: BIO) -> int:
        return b.num_write

    def errors(self) -> list[tuple[int, int]]:
        out = entries()
        clear_error()
        return out

    def clear(self) -> None:
        clear_error()

    def free_all(self, b: BIO) -> None:
        b.free_all()

    def close(self) -> None:
        pass


def _scenario(api: _CSide | _PySide) -> Obs:
    a: Any = api
    obs: Obs = []
    c, s = a.ssl_bio(True), a.ssl_bio(False)
    x, y = a.pair()
    a.push(c, x)
    a.push(s, y)
    a.clear()
    obs.append(("read before the handshake", a.read(c, 10), a.flags(c)))
    obs.append(("gets", a.gets(c, 10), a.errors()))
    for _ in range(10):
        rc = a.ctrl(c, 101)
        fc = a.flags(c)
        rs = a.ctrl(s, 101)
        obs.append(("BIO_do_handshake", rc, fc, rs, a.flags(s)))
        if rc == 1 and rs == 1:
            break
    obs.append(("pending is the rbio's", a.ctrl(c, 10) == a.ctrl(x, 10) > 0))
    before = a.written(c)
    obs.append(("puts", a.puts(c, b"hello\n"), a.written(c) - before))
    obs.append(("read", a.read(s, 100), a.flags(s)))
    obs.append(("read again", a.read(s, 100), a.flags(s)))
    obs.append(("renegotiate ctrls", [
        a.ctrl(c, 125, 100), a.ctrl(c, 125, 1024), a.ctrl(c, 125, 2048),
        a.ctrl(c, 127, 30), a.ctrl(c, 127, 120), a.ctrl(c, 126),
    ]))
    a.clear()
    obs.append(("renegotiation fires", a.write(c, b"a" * 2049), a.ctrl(c, 126), a.errors()))
    obs.append(("wpending, flush", a.ctrl(c, 13), a.ctrl(c, 11), a.flags(c)))
    obs.append(("eof, info, get_close", a.ctrl(c, 2), a.ctrl(c, 3), a.ctrl(c, 8)))
    obs.append(("ssl_mode", a.ctrl(s, 119, 0)))
    obs.append(("reset", a.ctrl(c, 1), a.errors()))
    bare = a.bare()
    a.clear()
    obs.append(("no SSL", a.read(bare, 5), a.write(bare, b"x"), a.ctrl(bare, 101),
                a.ctrl(bare, 11), a.errors()))
    for b in (c, s, bare):
        a.free_all(b)
    a.close()
    return obs


@pytest.mark.skipif(_LIBSSL is None, reason="libssl 3 not found")
def test_same_answers_as_libssl_bio_f_ssl(files: dict[str, str]) -> None:
    assert _LIBSSL is not None
    theirs = _scenario(_CSide(_LIBSSL, files))
    ours = _scenario(_PySide())
    assert ours == theirs
