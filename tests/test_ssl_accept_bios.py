"""SSL_accept(3) made executable: the same accept() over different BIOs.

Blocking or not is decided only by the BIO: a blocking socket gives one call
returning 1; a nonblocking socket gives -1/WANT_READ until the client moves; a
BIO pair with tiny buffers shows WANT_WRITE appearing and resolving.
"""

from __future__ import annotations

import socket
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from libssl import LibSSL, Trace, collapse, conversation

from biokit.bio import FilterBIO, MemBIO, NBIOTestBIO, SocketBIO, bio_pair
from biokit.bio.core import BIO_CB_READ, BIO_CB_RETURN, BIO_CB_WRITE
from biokit.ssl import SSL, ErrorCode, SSLContext, TLS_client_method, TLS_server_method
from biokit.ssl.certgen import ThrowawayPKI, issue_cert
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


# ----------------------------------------------------------------------------- vs libssl
# Over a small BIO pair a flight does not fit.  libssl writes the handshake
# through a 4096-byte buffering BIO (ssl_init_wbio_buffer) and flushes it at the
# end of each flight (statem_flush in post_work), so while it waits to write it
# reports the state of the message it stopped at: "write finished", "write
# session ticket", "write server done" -- or, for a flight larger than the
# buffer, the message that overflowed it ("write certificate").  biokit and
# libssl play the same role against the same libssl peer over one real libssl
# BIO pair (tests/libssl.py).  Runs of equal calls are merged: how often a call
# repeats depends on sizes (libssl's ClientHello and tickets are larger than
# biokit's), not on behaviour; ring sizes are chosen where those differences
# do not decide whether a write blocks at all.

_API = LibSSL.load()
needs_libssl = pytest.mark.skipif(_API is None, reason="libssl 3 not loadable through ctypes")


def _handshake_part(t: Trace) -> tuple[list[Any], list[Any]]:
    end = next(i for i, c in enumerate(t.calls) if c[0] == "handshake" and c[1] == 1)
    exit_ = next(i for i, e in enumerate(t.info) if e[0] & 0x2 and e[1] == 1)
    return collapse(t.calls[: end + 1]), collapse(t.info[: exit_ + 1])


def _want_write_states(t: Trace) -> set[str]:
    return {state for call, _, err, state in t.calls if call == "handshake" and err == 3}


@needs_libssl
@pytest.mark.parametrize(
    ("role", "ring"), [("client", 200), ("client", 512), ("server", 256), ("server", 1000)]
)
@pytest.mark.parametrize("version", [0x0304, 0x0303], ids=["TLSv1.3", "TLSv1.2"])
def test_states_while_a_flight_is_flushed_are_libssls(
    tmp_path: Path, role: str, ring: int, version: int
) -> None:
    assert _API is not None
    p = pki("ec256")
    files = p.write(tmp_path)
    kw: dict[str, Any] = {"role": role, "ring": ring, "max_version": version}
    theirs = conversation(_API, files, p, subject="libssl", **kw)
    ours = conversation(_API, files, p, subject="biokit", **kw)
    assert _handshake_part(ours) == _handshake_part(theirs)
    if role == "server" and ring == 256:
        assert _want_write_states(ours) == (
            {"SSLv3/TLS write finished", "SSLv3/TLS write session ticket"}
            if version == 0x0304
            else {"SSLv3/TLS write server done"}
        )


@needs_libssl
@pytest.mark.parametrize("ring", [256, 2000])
@pytest.mark.parametrize("version", [0x0304, 0x0303], ids=["TLSv1.3", "TLSv1.2"])
def test_a_flight_larger_than_the_buffering_bio(tmp_path: Path, ring: int, version: int) -> None:
    assert _API is not None
    p = ThrowawayPKI("ec256")
    # A 5 KB certificate: the flight overflows libssl's 4096-byte buffering BIO
    # while the Certificate message is written.
    names = ["localhost"] + [f"h{i:04d}.example.org" for i in range(250)]
    p.server = issue_cert(p.ca[0], p.ca[1], "localhost", dns=names)
    files = p.write(tmp_path)
    kw: dict[str, Any] = {"role": "server", "ring": ring, "max_version": version}
    theirs = conversation(_API, files, p, subject="libssl", **kw)
    ours = conversation(_API, files, p, subject="biokit", **kw)
    assert _handshake_part(ours) == _handshake_part(theirs)
    assert "SSLv3/TLS write certificate" in _want_write_states(ours)


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
    seen = {"retry read": 0, "retry write": 0, "short read": 0, "short write": 0}

    def count(bio: Any, oper: int, data: Any, size: int, argi: int, argl: int,
              ret: int, processed: int | None) -> int:
        # After each read/write of a filter: did it ask to retry, or move less?
        if oper == BIO_CB_READ | BIO_CB_RETURN or oper == BIO_CB_WRITE | BIO_CB_RETURN:
            what = "read" if oper & 0x7F == BIO_CB_READ else "write"
            if ret <= 0 and bio.should_retry():
                seen["retry " + what] += 1
            elif processed is not None and processed < size:
                seen["short " + what] += 1
        return ret

    cf.set_callback(count)
    sf.set_callback(count)
    client, server = SSL(cctx), SSL(sctx)
    client.set1_host("localhost")
    client.set_bio(cf, cf)
    server.set_bio(sf, sf)
    wants: list[ErrorCode] = []
    pump(client, server, max_steps=5000,
         on_step=lambda st: wants.append(st.error) if st.ret <= 0 else None)
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
    # The filters did their job: retries and short I/O in both directions, and
    # the SSLs saw them as WANT_READ/WANT_WRITE (nothing else) and carried on.
    assert all(n > 0 for n in seen.values()), seen
    assert ErrorCode.WANT_READ in wants
    assert set(wants) <= {ErrorCode.WANT_READ, ErrorCode.WANT_WRITE}


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
