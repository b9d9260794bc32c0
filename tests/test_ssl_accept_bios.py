"""SSL_accept(3) made executable: the same accept() over different BIOs.

Blocking or not is decided only by the BIO: a blocking socket gives one call
returning 1; a nonblocking socket gives -1/WANT_READ until the client moves; a
BIO pair with tiny buffers shows WANT_WRITE appearing and resolving.
"""

from __future__ import annotations

import socket
import threading

from hypothesis import given, settings
from hypothesis import strategies as st

from biokit.bio import FilterBIO, MemBIO, NBIOTestBIO, SocketBIO, bio_pair
from biokit.ssl import SSL, ErrorCode, SSLContext, TLS_client_method, TLS_server_method
from biokit.testing import pki, pump, tls_pair


def _contexts() -> tuple[SSLContext, SSLContext]:
    p = pki("ec256")
    sctx = SSLContext(TLS_server_method())
    sctx.use_certificate(p.server[0])
    sctx.use_PrivateKey(p.server[1])
    cctx = SSLContext(TLS_client_method())
    cctx.get_cert_store().add_cert(p.ca[0])
    cctx.set_verify(1)
    return sctx, cctx


def test_blocking_socket_accept_returns_once() -> None:
    sctx, cctx = _contexts()
    a, b = socket.socketpair()
    a.settimeout(20)
    b.settimeout(20)
    server, client = SSL(sctx), SSL(cctx)
    server.set_bio(SocketBIO(b), SocketBIO(b))
    client.set_bio(SocketBIO(a), SocketBIO(a))
    client.set1_host("localhost")
    calls: list[int] = []

    def run_client() -> None:
        calls.append(client.connect())

    t = threading.Thread(target=run_client, daemon=True)
    t.start()
    r = server.accept()  # one call; it blocks until the handshake is done
    t.join(20)
    assert r == 1
    assert calls == [1]
    a.close()
    b.close()


def test_nonblocking_socket_accept_wants_read_until_client_moves() -> None:
    sctx, cctx = _contexts()
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    server, client = SSL(sctx), SSL(cctx)
    server.set_bio(SocketBIO(b), SocketBIO(b))
    client.set_bio(SocketBIO(a), SocketBIO(a))
    client.set1_host("localhost")
    # Nothing sent yet: the server can only wait.
    for _ in range(3):
        r = server.accept()
        assert r == -1
        assert server.get_error(r) == ErrorCode.WANT_READ
        assert server.state_string_long() == "before SSL initialization"
    assert client.connect() == -1
    assert client.get_error(-1) == ErrorCode.WANT_READ
    results = []
    for _ in range(20):
        rs = server.accept()
        es = server.get_error(rs)
        rc = client.connect()
        results.append((rs, es, rc))
        if rs == 1 and rc == 1:
            break
    assert results[-1][0] == 1 and results[-1][2] == 1
    assert all(es in (ErrorCode.WANT_READ, ErrorCode.NONE) for _, es, _ in results)
    a.close()
    b.close()


def test_tiny_bio_pair_produces_want_write_and_resolves() -> None:
    pair = tls_pair(connect=False, pair_size=64)
    errors: set[ErrorCode] = set()
    steps = pump(pair.client, pair.server, max_steps=500,
                 on_step=lambda s: errors.add(s.error) if s.ret <= 0 else None)
    assert ErrorCode.WANT_WRITE in errors
    assert ErrorCode.WANT_READ in errors
    assert steps[-1].ret == 1
    data = bytes(range(256)) * 100
    assert pair.transfer(data) == data
    assert pair.transfer(data, to_server=False) == data


def test_memory_bios() -> None:
    pair = tls_pair(transport="mem")
    assert pair.client.get_version() == "TLSv1.3"
    assert pair.transfer(b"over memory BIOs") == b"over memory BIOs"


def test_accept_before_client_on_memory_bio_is_want_read_and_nothing_written() -> None:
    sctx, _ = _contexts()
    s = SSL(sctx)
    rb, wb = MemBIO(), MemBIO()
    s.set_bio(rb, wb)
    r = s.accept()
    assert r == -1 and s.get_error(r) == ErrorCode.WANT_READ
    assert rb.should_retry() and rb.should_read()
    assert wb.pending() == 0


def test_same_bio_for_read_and_write() -> None:
    pair = tls_pair()
    assert pair.client.get_rbio() is pair.client.get_wbio()
    assert pair.transfer(b"x" * 70000) == b"x" * 70000


@settings(max_examples=15, deadline=None)
@given(cseed=st.integers(0, 2**32), sseed=st.integers(0, 2**32))
def test_nbio_test_filter_in_both_chains(cseed: int, sseed: int) -> None:
    sctx, cctx = _contexts()
    cb, sb = bio_pair(4096, 4096)
    cf = NBIOTestBIO(cseed, max_chunk=512)
    sf = NBIOTestBIO(sseed, max_chunk=512)
    cf.push(cb)
    sf.push(sb)
    client, server = SSL(cctx), SSL(sctx)
    client.set1_host("localhost")
    client.set_bio(cf, cf)
    server.set_bio(sf, sf)
    pump(client, server, max_steps=5000)
    msg = bytes(range(256)) * 40
    sent = 0
    got = bytearray()
    for _ in range(20000):
        if sent < len(msg):
            n = client.write(msg[sent:])
            if n > 0:
                sent += n
            else:
                assert client.get_error(n) in (ErrorCode.WANT_WRITE, ErrorCode.WANT_READ)
        d = server.read(100000)
        if d:
            got += d
        elif server.get_error(0) not in (ErrorCode.WANT_READ, ErrorCode.WANT_WRITE):
            raise AssertionError(server.get_error(0))
        if len(got) == len(msg):
            break
    assert bytes(got) == msg


class _HexDumpFilter(FilterBIO):
    """A user-written filter: records what crosses it, changes nothing (the pluggable part)."""

    bio_name = "user hexdump"

    def __init__(self) -> None:
        super().__init__()
        self.seen_in = bytearray()
        self.seen_out = bytearray()

    def _read(self, size: int) -> bytes | int:
        r = super()._read(size)
        if isinstance(r, bytes):
            self.seen_in += r
        return r

    def _write(self, data: bytes | bytearray | memoryview) -> int:
        n = super()._write(data)
        if n > 0:
            self.seen_out += bytes(data[:n])
        return n


def test_user_written_bio_under_the_ssl_object(tmp_path_factory: object) -> None:
    import ssl as stdlib_ssl

    from peers import PyPeer

    files = pki("ec256").write(tmp_path_factory.mktemp("user"))  # type: ignore[attr-defined]
    sctx, _ = _contexts()
    server = SSL(sctx)
    cctx = stdlib_ssl.SSLContext(stdlib_ssl.PROTOCOL_TLS_CLIENT)
    cctx.load_verify_locations(files["ca.pem"])
    peer = PyPeer(cctx, server, server_side=False, hostname="localhost")
    # Put the user's filter in front of the memory BIOs PyPeer attached.
    rf, wf = _HexDumpFilter(), _HexDumpFilter()
    rf.push(peer.bk_in)
    wf.push(peer.bk_out)
    server.set_bio(rf, wf)
    peer.handshake()
    assert peer.py_to_bk(b"through a user's BIO") == b"through a user's BIO"
    assert rf.seen_in[:1] == b"\x16"  # the ClientHello record went through it
    assert wf.seen_out[:1] == b"\x16" and len(wf.seen_out) == wf.num_write
