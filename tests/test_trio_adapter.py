"""biokit.trio.SSLStream: trio's own stream battery, interop with trio.SSLStream (stdlib ssl),
concurrency, cancellation, close semantics and error mapping.

Every test runs inside ``trio.run`` under ``trio.fail_after``; sockets are on 127.0.0.1.
"""

from __future__ import annotations

import functools
import random
import shutil
import ssl as stdlib_ssl
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import trio
import trio.testing
from trio.testing import (
    MemoryReceiveStream,
    MemorySendStream,
    check_half_closeable_stream,
    check_two_way_stream,
    lockstep_stream_pair,
    memory_stream_pair,
)

from biokit import errors
from biokit.errors import Lib, SSLError, SSLReason
from biokit.ssl import (
    SSL,
    SSLContext,
    TLS_client_method,
    TLS_method,
    TLS_server_method,
    Version,
)
from biokit.testing import pki
from biokit.trio import (
    NeedHandshakeError,
    SSLListener,
    SSLStream,
    default_client_context,
    open_ssl_over_tcp_stream,
    serve_ssl_over_tcp,
)

pytestmark = pytest.mark.timeout(60)

PKI = pki("ec256")
HOST = "localhost"
MiB = 1 << 20


AsyncTest = Callable[..., Awaitable[None]]


def trio_test(limit: float = 20.0) -> Callable[[AsyncTest], Callable[..., None]]:
    """Run an async test function under trio.run with a hard time limit."""

    def deco(fn: Callable[..., Awaitable[None]]) -> Callable[..., None]:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> None:
            async def main() -> None:
                with trio.fail_after(limit):
                    await fn(*args, **kwargs)

            trio.run(main)

        return wrapper

    return deco


def bk_server_ctx() -> SSLContext:
    ctx = SSLContext(TLS_server_method())
    ctx.use_certificate_chain([PKI.server[0]])
    ctx.use_PrivateKey(PKI.server[1])
    return ctx


def bk_client_ctx(*, trust: bool = True) -> SSLContext:
    ctx = SSLContext(TLS_client_method())
    if trust:
        ctx.get_cert_store().add_cert(PKI.ca[0])
    ctx.set_verify(1)
    return ctx


BK_SERVER = bk_server_ctx()
BK_CLIENT = bk_client_ctx()
BK_SERVER_12 = bk_server_ctx()
BK_SERVER_12.set_max_proto_version(Version.TLS1_2)
BK_CLIENT_12 = bk_client_ctx()
BK_CLIENT_12.set_max_proto_version(Version.TLS1_2)


@pytest.fixture(scope="module")
def py_ctx(tmp_path_factory: pytest.TempPathFactory) -> dict[str, stdlib_ssl.SSLContext]:
    paths = PKI.write(tmp_path_factory.mktemp("pki"))
    server = stdlib_ssl.create_default_context(stdlib_ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(paths["server.pem"], paths["server.key"])
    client = stdlib_ssl.create_default_context(cafile=paths["ca.pem"])
    return {"server": server, "client": client}


def bk_pair(
    maker: Callable[[], tuple[Any, Any]] = memory_stream_pair, *, tls12: bool = False, **kw: Any
) -> tuple[SSLStream[Any], SSLStream[Any]]:
    a, b = maker()
    return (
        SSLStream(a, BK_CLIENT_12 if tls12 else BK_CLIENT, server_hostname=HOST, **kw),
        SSLStream(b, BK_SERVER_12 if tls12 else BK_SERVER, server_side=True, **kw),
    )


async def handshake_both(c: Any, s: Any) -> None:
    async with trio.open_nursery() as n:
        n.start_soon(c.do_handshake)
        n.start_soon(s.do_handshake)


def cause(exc: BaseException) -> SSLError:
    assert isinstance(exc.__cause__, SSLError), repr(exc.__cause__)
    return exc.__cause__


# ----------------------------------------------------------------------------- trio's battery


@pytest.mark.parametrize(("https_compatible", "tls12"), [(False, False), (True, False),
                                                         (False, True)])
@trio_test(40)
async def test_check_half_closeable_stream(https_compatible: bool, tls12: bool) -> None:
    # A superset of check_two_way_stream (which it runs first).
    async def stream_maker() -> tuple[SSLStream[Any], SSLStream[Any]]:
        return bk_pair(https_compatible=https_compatible, tls12=tls12)

    async def clogged_stream_maker() -> tuple[SSLStream[Any], SSLStream[Any]]:
        # As trio's test_ssl.py: handshake first, or a receive_some that must
        # send handshake bytes would itself be stuck in the clogged transport.
        c, s = bk_pair(lockstep_stream_pair, tls12=tls12)
        await handshake_both(c, s)
        return c, s

    await check_half_closeable_stream(stream_maker, clogged_stream_maker)


@trio_test(40)
async def test_check_two_way_stream_mixed_with_trio_sslstream(
    py_ctx: dict[str, stdlib_ssl.SSLContext],
) -> None:
    # The battery drives both ends, so this also holds trio.SSLStream (stdlib
    # ssl) to the same rules while it talks to biokit.
    def mixed(maker: Callable[[], tuple[Any, Any]]) -> tuple[Any, Any]:
        a, b = maker()
        return (SSLStream(a, BK_CLIENT, server_hostname=HOST),
                trio.SSLStream(b, py_ctx["server"], server_side=True))

    async def stream_maker() -> tuple[Any, Any]:
        return mixed(memory_stream_pair)

    async def clogged_stream_maker() -> tuple[Any, Any]:
        c, s = mixed(lockstep_stream_pair)
        await handshake_both(c, s)
        return c, s

    await check_two_way_stream(stream_maker, clogged_stream_maker)


# ----------------------------------------------------------------------------- interop


async def tcp_pair() -> tuple[trio.SocketStream, trio.SocketStream]:
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    lst = listeners[0]
    try:
        port = lst.socket.getsockname()[1]
        client = await trio.open_tcp_stream("127.0.0.1", port)
        server = await lst.accept()
    finally:
        await lst.aclose()
    return client, server


async def echo_4mib(client: Any, server: Any) -> None:
    """Client sends 4 MiB, server echoes it back as it arrives; both ends check every byte."""
    payload = random.Random(6).randbytes(4 * MiB)
    echoed = bytearray()

    async def client_send() -> None:
        view = memoryview(payload)
        for i in range(0, len(payload), 100_000):
            await client.send_all(view[i : i + 100_000])

    async def client_recv() -> None:
        while len(echoed) < len(payload):
            chunk = await client.receive_some()
            assert chunk
            echoed.extend(chunk)

    async def server_echo() -> None:
        got = 0
        while got < len(payload):
            chunk = await server.receive_some()
            assert chunk
            got += len(chunk)
            await server.send_all(chunk)

    async with trio.open_nursery() as n:
        n.start_soon(client_send)
        n.start_soon(client_recv)
        n.start_soon(server_echo)
    assert bytes(echoed) == payload


@pytest.mark.parametrize("version", ["TLSv1.3", "TLSv1.2"])
@pytest.mark.parametrize("transport", ["memory", "tcp"])
@pytest.mark.parametrize("biokit_side", ["client", "server"])
@trio_test(30)
async def test_interop_with_trio_sslstream(
    py_ctx: dict[str, stdlib_ssl.SSLContext], transport: str, biokit_side: str, version: str
) -> None:
    if transport == "memory":
        a, b = memory_stream_pair()
    else:
        a, b = await tcp_pair()
    tls12 = version == "TLSv1.2"
    if biokit_side == "client":
        client: Any = SSLStream(a, BK_CLIENT_12 if tls12 else BK_CLIENT, server_hostname=HOST)
        server: Any = trio.SSLStream(b, py_ctx["server"], server_side=True)
    else:
        client = trio.SSLStream(a, py_ctx["client"], server_hostname=HOST)
        server = SSLStream(b, BK_SERVER_12 if tls12 else BK_SERVER, server_side=True)
    await handshake_both(client, server)
    assert client.version() == server.version() == version
    assert client.cipher()[0] == server.cipher()[0] == (
        "ECDHE-ECDSA-AES256-GCM-SHA384" if tls12 else "TLS_AES_256_GCM_SHA384")
    assert client.getpeercert()["subject"] == ((("commonName", "localhost"),),
                                               (("organizationName", "biokit"),))
    await echo_4mib(client, server)
    # Clean close: the biokit side's close_notify is a b"" EOF for trio, and back.
    closer, other = (client, server) if biokit_side == "client" else (server, client)
    async with trio.open_nursery() as n:
        n.start_soon(closer.aclose)
        assert await other.receive_some(10) == b""
        assert await other.receive_some(10) == b""
    await other.aclose()
    with pytest.raises(trio.ClosedResourceError):
        await closer.send_all(b"x")


@trio_test(20)
async def test_trio_sslstream_closes_first_biokit_sees_clean_eof(
    py_ctx: dict[str, stdlib_ssl.SSLContext],
) -> None:
    a, b = memory_stream_pair()
    client = SSLStream(a, BK_CLIENT, server_hostname=HOST)
    server = trio.SSLStream(b, py_ctx["server"], server_side=True)
    await handshake_both(client, server)
    await server.send_all(b"bye")
    await server.aclose()
    assert await client.receive_some() == b"bye"
    assert await client.receive_some() == b""
    assert client.ssl.get_shutdown() == 2  # SSL_RECEIVED_SHUTDOWN
    # Half-closed TLS: we may still send after the peer's close_notify (the
    # transport is gone here, so the send reports a broken stream, not garbage).
    with pytest.raises(trio.BrokenResourceError):
        await client.send_all(b"late")
    await client.aclose()


@trio_test(10)
async def test_half_close_request_response_with_trio_sslstream(
    py_ctx: dict[str, stdlib_ssl.SSLContext],
) -> None:
    a, b = memory_stream_pair()
    client = SSLStream(a, BK_CLIENT, server_hostname=HOST)
    server = trio.SSLStream(b, py_ctx["server"], server_side=True)

    async def serve() -> None:
        request = bytearray()
        while chunk := await server.receive_some():
            request += chunk
        await server.send_all(bytes(request).upper())  # OpenSSL may write after EOF
        await server.aclose()

    async with trio.open_nursery() as n:
        n.start_soon(serve)
        await client.send_all(b"request body")
        await client.send_eof()
        assert client.ssl.get_shutdown() == 1  # SSL_SENT_SHUTDOWN
        with pytest.raises(trio.ClosedResourceError):
            await client.send_all(b"more")
        reply = bytearray()
        while chunk := await client.receive_some():
            reply += chunk
    assert reply == b"REQUEST BODY"
    assert client.ssl.get_shutdown() == 3
    await client.aclose()


# ----------------------------------------------------------------------------- concurrency


@trio_test(30)
async def test_hundreds_of_concurrent_handshakes_no_task_leak() -> None:
    before = trio.lowlevel.current_statistics().tasks_living
    results: list[bytes] = []

    async def one(i: int) -> None:
        c, s = bk_pair()
        await handshake_both(c, s)
        msg = f"conn {i}".encode()
        async with trio.open_nursery() as n:
            n.start_soon(c.send_all, msg)
            results.append(await s.receive_some())
        async with trio.open_nursery() as n:
            n.start_soon(c.aclose)
            n.start_soon(s.aclose)

    with trio.fail_after(20):
        async with trio.open_nursery() as n:
            for i in range(300):
                n.start_soon(one, i)
    assert sorted(results) == sorted(f"conn {i}".encode() for i in range(300))
    assert trio.lowlevel.current_statistics().tasks_living == before


@trio_test(10)
async def test_full_duplex_and_handshake_shared_between_tasks() -> None:
    c, s = bk_pair()
    # No explicit handshake: send_all and receive_some on both ends race to
    # start it; exactly one task per end runs it, the other waits for it.
    async with trio.open_nursery() as n:
        n.start_soon(c.send_all, b"ping")
        n.start_soon(s.send_all, b"pong")
        assert await c.receive_some() == b"pong"
        assert await s.receive_some() == b"ping"


# ----------------------------------------------------------------------------- cancellation


async def assert_broken_after_cancel(me: SSLStream[Any]) -> None:
    assert me.ssl.in_init()
    for call in (me.do_handshake(), me.send_all(b"x"), me.receive_some(1),
                 me.wait_send_all_might_not_block(), me.unwrap()):
        with pytest.raises(trio.BrokenResourceError):
            await call
    with pytest.raises(NeedHandshakeError):
        me.version()


@trio_test(10)
async def test_cancel_client_mid_handshake_breaks_stream() -> None:
    c, s = bk_pair()
    with trio.move_on_after(5) as scope:
        async with trio.open_nursery() as n:
            # ClientHello sent, waiting for a ServerHello that never comes.
            n.start_soon(c.do_handshake)
            await trio.testing.wait_all_tasks_blocked()
            scope.cancel()
    await assert_broken_after_cancel(c)
    await c.aclose()  # closes the transport, no close_notify attempted
    with pytest.raises(trio.ClosedResourceError):
        await c.send_all(b"x")
    # The server has the ClientHello; sending its flight hits the closed transport.
    with pytest.raises(trio.BrokenResourceError) as info:
        await s.do_handshake()
    assert info.value.__cause__ is None
    assert "closed" in str(info.value)
    await s.aclose()


@trio_test(10)
async def test_cancel_server_mid_handshake_breaks_stream() -> None:
    c, s = bk_pair()
    send_stream: MemorySendStream = s.transport_stream.send_stream
    stuck = trio.Event()  # never set: the server's transport stalls mid-flight
    send_stream.send_all_hook = stuck.wait
    peer_error: list[BaseException] = []

    async def client() -> None:
        with pytest.raises(trio.BrokenResourceError) as info:
            await c.do_handshake()
        peer_error.append(info.value)

    async with trio.open_nursery() as outer:
        outer.start_soon(client)
        with trio.move_on_after(5) as scope:
            async with trio.open_nursery() as n:
                n.start_soon(s.do_handshake)
                await trio.testing.wait_all_tasks_blocked()
                scope.cancel()
        await assert_broken_after_cancel(s)
        # Drop the stalled flight: the client sees a bare EOF mid-handshake.
        assert send_stream.get_data_nowait()
        send_stream.send_all_hook = None
        await s.aclose()
    err = cause(peer_error[0])
    assert (err.library, err.reason) == (Lib.SSL, SSLReason.UNEXPECTED_EOF_WHILE_READING)
    assert err.reason_string == "unexpected eof while reading"
    await c.aclose()


@trio_test(10)
async def test_task_waiting_for_a_cancelled_handshake_is_woken_broken() -> None:
    # Two tasks need the handshake; one runs it, the other waits for it.  If
    # the runner is cancelled, the waiter must see a broken stream, not hang.
    c, _s = bk_pair()  # the server never answers
    outcome: list[str] = []
    scope = trio.CancelScope()

    async def runner() -> None:
        with scope:
            await c.send_all(b"x")
        outcome.append("runner cancelled")

    async def waiter() -> None:
        with pytest.raises(trio.BrokenResourceError):
            await c.receive_some()
        outcome.append("waiter broken")

    async with trio.open_nursery() as n:
        n.start_soon(runner)
        await trio.testing.wait_all_tasks_blocked()
        n.start_soon(waiter)
        await trio.testing.wait_all_tasks_blocked()
        assert outcome == []
        scope.cancel()
    assert sorted(outcome) == ["runner cancelled", "waiter broken"]


@trio_test(15)
async def test_cancel_mid_send_breaks_stream_and_peer_sees_a_prefix_then_eof() -> None:
    a, b = await tcp_pair()
    c = SSLStream(a, BK_CLIENT, server_hostname=HOST)
    s = SSLStream(b, BK_SERVER, server_side=True)
    await handshake_both(c, s)
    payload = random.Random(7).randbytes(32 * MiB)
    # The server does not read: the kernel buffers fill and send_all blocks
    # in the middle of the ciphertext.
    with trio.CancelScope() as scope:
        async with trio.open_nursery() as n:
            n.start_soon(c.send_all, payload)
            await trio.testing.wait_all_tasks_blocked()
            scope.cancel()
    with pytest.raises(trio.BrokenResourceError):
        await c.send_all(b"more")
    with pytest.raises(trio.BrokenResourceError):
        await c.receive_some()
    await c.aclose()
    got = bytearray()
    with pytest.raises(trio.BrokenResourceError) as info:
        while True:
            chunk = await s.receive_some()
            assert chunk, "no close_notify was sent: EOF must not look clean"
            got += chunk
    assert 0 < len(got) < len(payload)
    assert got == payload[: len(got)]  # a prefix: broken, never corrupt
    assert cause(info.value).reason == SSLReason.UNEXPECTED_EOF_WHILE_READING
    await s.aclose()


@trio_test(10)
async def test_cancel_while_waiting_for_the_transport_breaks_stream() -> None:
    # send_all has encrypted its data but another task is using the transport
    # (say, a receive_some sending a KeyUpdate reply).  Cancelled there, the
    # records are made but not sent: the stream must say broken, not carry on.
    c, s = bk_pair()
    await handshake_both(c, s)
    async with c._inner_send_lock:  # the other task's turn on the transport
        with trio.move_on_after(5) as scope:
            async with trio.open_nursery() as n:
                n.start_soon(c.send_all, b"encrypted, never sent")
                await trio.testing.wait_all_tasks_blocked()
                scope.cancel()
    assert scope.cancelled_caught
    with pytest.raises(trio.BrokenResourceError):
        await c.send_all(b"next")
    with pytest.raises(trio.BrokenResourceError):
        await c.receive_some()


@trio_test(10)
async def test_close_from_another_task_while_sending_stays_closed() -> None:
    # (https_compatible: aclose marks the stream closed, then closes the
    # transport, which is what wakes the sender.)
    c, s = bk_pair(lockstep_stream_pair, https_compatible=True)
    await handshake_both(c, s)

    async def closer() -> None:
        await trio.testing.wait_all_tasks_blocked()
        await trio.aclose_forcefully(c)

    async with trio.open_nursery() as n:
        n.start_soon(closer)
        with pytest.raises(trio.ClosedResourceError):
            await c.send_all(b"nobody is reading this")  # blocked in the transport
    # The send failed *because* the stream was closed: closed it stays.
    with pytest.raises(trio.ClosedResourceError):
        await c.send_all(b"x")
    with pytest.raises(trio.ClosedResourceError):
        await c.receive_some()


@trio_test(10)
async def test_cancel_blocked_receive_keeps_stream_usable() -> None:
    c, s = bk_pair()
    await handshake_both(c, s)
    with trio.move_on_after(0.05):
        await s.receive_some()
    await c.send_all(b"after")
    assert await s.receive_some() == b"after"


# ----------------------------------------------------------------------------- errors


@trio_test(10)
async def test_untrusted_server_certificate(py_ctx: dict[str, stdlib_ssl.SSLContext]) -> None:
    a, b = memory_stream_pair()
    client = SSLStream(a, bk_client_ctx(trust=False), server_hostname=HOST)
    server = trio.SSLStream(b, py_ctx["server"], server_side=True)
    caught: dict[str, BaseException] = {}

    async def run(name: str, stream: Any) -> None:
        with pytest.raises(trio.BrokenResourceError) as info:
            await stream.do_handshake()
        caught[name] = info.value

    async with trio.open_nursery() as n:
        n.start_soon(run, "client", client)
        n.start_soon(run, "server", server)
    err = cause(caught["client"])
    assert (err.library, err.reason) == (Lib.SSL, SSLReason.CERTIFICATE_VERIFY_FAILED)
    assert err.reason_string == "certificate verify failed"
    assert client.ssl.get_verify_result() == 20  # unable to get local issuer certificate
    # The fatal alert reached OpenSSL, which names it.
    py_err = caught["server"].__cause__
    assert isinstance(py_err, stdlib_ssl.SSLError)
    assert py_err.reason == "TLSV1_ALERT_UNKNOWN_CA"
    await client.aclose()
    await server.aclose()


@trio_test(10)
async def test_biokit_server_reads_the_clients_plaintext_alert() -> None:
    # A TLS 1.3 client rejects the server's certificate before it has
    # handshake write keys, so its alert goes out in plaintext (OpenSSL does
    # the same); the adapter delivers it (the stdlib peer above names it).
    a, b = memory_stream_pair()
    client = SSLStream(a, bk_client_ctx(trust=False), server_hostname=HOST)
    server = SSLStream(b, BK_SERVER, server_side=True)
    caught: dict[str, BaseException] = {}

    async def run(name: str, stream: Any) -> None:
        with pytest.raises(trio.BrokenResourceError) as info:
            await stream.do_handshake()
        caught[name] = info.value

    async with trio.open_nursery() as n:
        n.start_soon(run, "client", client)
        n.start_soon(run, "server", server)
    err = cause(caught["server"])
    assert (err.library, err.reason) == (Lib.SSL, SSLReason.TLSV1_ALERT_UNKNOWN_CA)
    assert err.reason_string == "tlsv1 alert unknown ca"


@trio_test(10)
async def test_hostname_mismatch() -> None:
    a, b = memory_stream_pair()
    client = SSLStream(a, BK_CLIENT, server_hostname="not-localhost.example")
    server = SSLStream(b, BK_SERVER, server_side=True)
    async def server_side() -> None:
        with pytest.raises(trio.BrokenResourceError) as info:  # the client's plaintext alert
            await server.do_handshake()
        # ssl_x509err2alert: a name mismatch is reported as bad_certificate.
        err = cause(info.value)
        assert (err.library, err.reason) == (Lib.SSL, SSLReason.SSLV3_ALERT_BAD_CERTIFICATE)
        assert err.reason_string == "sslv3 alert bad certificate"

    async with trio.open_nursery() as n:
        n.start_soon(server_side)
        with pytest.raises(trio.BrokenResourceError) as info:
            await client.do_handshake()
    assert cause(info.value).reason == SSLReason.CERTIFICATE_VERIFY_FAILED
    assert client.ssl.get_verify_result() == 62  # X509_V_ERR_HOSTNAME_MISMATCH
    with pytest.raises(trio.BrokenResourceError):
        await client.send_all(b"x")


@trio_test(10)
async def test_corrupt_record_after_good_ones_is_reported_on_the_next_call() -> None:
    c, s = bk_pair()
    await handshake_both(c, s)
    async with trio.open_nursery() as n:  # the server's first send carries its tickets
        n.start_soon(s.send_all, b"warm-up")
        assert await c.receive_some() == b"warm-up"
    # Reroute server -> client by hand so one chunk carries two good records
    # and one damaged one.
    send_stream: MemorySendStream = s.transport_stream.send_stream
    recv_stream: MemoryReceiveStream = c.transport_stream.receive_stream
    send_stream.send_all_hook = None
    await s.send_all(b"A" * 100)
    await s.send_all(b"B" * 100)
    await s.send_all(b"C" * 100)
    wire = bytearray(send_stream.get_data_nowait())
    assert len(wire) == 3 * (5 + 100 + 1 + 16)
    wire[-1] ^= 1  # the last record's tag
    recv_stream.put_data(bytes(wire))
    assert await c.receive_some() == b"A" * 100 + b"B" * 100
    with pytest.raises(trio.BrokenResourceError) as info:
        await c.receive_some()
    err = cause(info.value)
    assert (err.library, err.reason) == (Lib.SSL, SSLReason.DECRYPTION_FAILED_OR_BAD_RECORD_MAC)
    with pytest.raises(trio.BrokenResourceError):
        await c.send_all(b"x")


@trio_test(10)
async def test_stale_error_queue_entry_is_not_mistaken_for_a_failure() -> None:
    # SSL_get_error(3): the queue must be empty before an SSL call; the adapter
    # clears it, as CPython's _ssl does, so leftovers of unrelated code do not
    # turn a WANT_READ into SSL_ERROR_SSL.
    c, s = bk_pair()
    errors.put_error(Lib.SSL, SSLReason.BAD_LENGTH)
    await handshake_both(c, s)
    errors.put_error(Lib.BIO, 100)
    async with trio.open_nursery() as n:
        n.start_soon(c.send_all, b"data")
        errors.put_error(Lib.SSL, SSLReason.BAD_LENGTH)
        assert await s.receive_some() == b"data"


# ----------------------------------------------------------------------------- close semantics


@trio_test(10)
async def test_closing_nice_case() -> None:
    c, s = bk_pair()
    transport = c.transport_stream

    async def server_closer() -> None:
        assert await s.receive_some(10) == b""
        assert await s.receive_some(10) == b""
        await s.aclose()

    async with trio.open_nursery() as n:
        n.start_soon(c.aclose)  # handshake first, then close_notify
        n.start_soon(server_closer)
    with pytest.raises(trio.ClosedResourceError):
        await transport.send_all(b"123")
    await c.aclose()
    for call in (c.receive_some(10), c.send_all(b"x"), c.unwrap(), c.do_handshake()):
        with pytest.raises(trio.ClosedResourceError):
            await call


@pytest.mark.parametrize("https_compatible", [False, True])
@trio_test(10)
async def test_bad_shutdown(https_compatible: bool) -> None:
    c, s = bk_pair(https_compatible=https_compatible)
    await handshake_both(c, s)
    await trio.aclose_forcefully(c)
    if https_compatible:
        assert await s.receive_some(10) == b""
    else:
        with pytest.raises(trio.BrokenResourceError) as info:
            await s.receive_some(10)
        assert cause(info.value).reason == SSLReason.UNEXPECTED_EOF_WHILE_READING
    with pytest.raises(trio.BrokenResourceError):
        await s.send_all(b"x" * 10)
    await s.aclose()


@trio_test(10)
async def test_https_mode_eof_before_handshake() -> None:
    c, s = bk_pair(https_compatible=True)
    async with trio.open_nursery() as n:
        n.start_soon(c.aclose)
        assert await s.receive_some(10) == b""


@trio_test(10)
async def test_unwrap_returns_transport_and_trailing_bytes() -> None:
    c, s = bk_pair()
    client_transport = c.transport_stream
    server_transport = s.transport_stream
    seq = trio.testing.Sequencer()

    async def client() -> None:
        await c.do_handshake()
        await c.send_all(b"x")
        assert await c.receive_some(1) == b"y"
        await c.send_all(b"z")
        async with seq(0):
            hook = client_transport.send_stream.send_all_hook
            client_transport.send_stream.send_all_hook = None
        assert await c.receive_some(1) == b""
        raw, trailing = await c.unwrap()
        assert raw is client_transport
        assert trailing == b""
        await raw.send_all(b"trailing")
        client_transport.send_stream.send_all_hook = hook
        await hook()

    async def server() -> None:
        await s.do_handshake()
        assert await s.receive_some(1) == b"x"
        await s.send_all(b"y")
        assert await s.receive_some(1) == b"z"
        async with seq(1):
            raw, trailing = await s.unwrap()
        assert raw is server_transport
        assert trailing == b"trailing"  # plaintext sent right after close_notify
        assert s.transport_stream is None

    async with trio.open_nursery() as n:
        n.start_soon(client)
        n.start_soon(server)


# ----------------------------------------------------------------------------- inspection, setup


@trio_test(10)
async def test_inspection_matches_cpython(py_ctx: dict[str, stdlib_ssl.SSLContext]) -> None:
    a, b = memory_stream_pair()
    client = SSLStream(a, BK_CLIENT, server_hostname=HOST)
    server = trio.SSLStream(b, py_ctx["server"], server_side=True)
    for name in ("version", "cipher", "selected_alpn_protocol", "getpeercert", "session_reused"):
        with pytest.raises(NeedHandshakeError):
            getattr(client, name)()
    await handshake_both(client, server)
    # The same server, seen by CPython's own client: every field must agree.
    a2, b2 = memory_stream_pair()
    ref_client = trio.SSLStream(a2, py_ctx["client"], server_hostname=HOST)
    ref_server = trio.SSLStream(b2, py_ctx["server"], server_side=True)
    await handshake_both(ref_client, ref_server)
    assert client.getpeercert() == ref_client.getpeercert()
    assert client.getpeercert(binary_form=True) == ref_client.getpeercert(binary_form=True)
    assert client.getpeercert(binary_form=True) == PKI.server[0].to_der()
    assert client.cipher() == ref_client.cipher() == server.cipher()
    assert client.version() == ref_client.version() == "TLSv1.3"
    assert client.selected_alpn_protocol() is None  # nobody offered ALPN
    assert client.session_reused() is False
    assert client.ssl.get_servername() == HOST


@trio_test(10)
async def test_alpn_negotiated_with_stdlib_server(tmp_path: Any) -> None:
    paths = PKI.write(tmp_path)
    py_server = stdlib_ssl.create_default_context(stdlib_ssl.Purpose.CLIENT_AUTH)
    py_server.load_cert_chain(paths["server.pem"], paths["server.key"])
    py_server.set_alpn_protocols(["http/1.1", "h2"])
    cctx = bk_client_ctx()
    cctx.set_alpn_protos([b"h2", b"http/1.1"])
    a, b = memory_stream_pair()
    client = SSLStream(a, cctx, server_hostname=HOST)
    server = trio.SSLStream(b, py_server, server_side=True)
    await handshake_both(client, server)
    assert client.selected_alpn_protocol() == server.selected_alpn_protocol() == "http/1.1"


@trio_test(10)
async def test_ready_ssl_objects() -> None:
    # An SSL from a both-roles context takes its role from server_side; one
    # from a server-method context is a server without being told.
    both = SSLContext(TLS_method())
    both.use_certificate_chain([PKI.server[0]])
    both.use_PrivateKey(PKI.server[1])
    a, b = memory_stream_pair()
    server_ssl = SSL(both)
    s = SSLStream(b, server_ssl, server_side=True)
    assert s.ssl is server_ssl and s.server_side
    c = SSLStream(a, SSL(BK_CLIENT), server_hostname=HOST)
    assert not c.server_side
    await handshake_both(c, s)
    a2, b2 = memory_stream_pair()
    s2 = SSLStream(b2, SSL(BK_SERVER))
    assert s2.server_side
    c2 = SSLStream(a2, BK_CLIENT, server_hostname=HOST)
    await handshake_both(c2, s2)
    with pytest.raises(ValueError):
        SSLStream(a2, BK_CLIENT, server_side=True, server_hostname=HOST)
    with pytest.raises(TypeError):
        SSLStream(a2, object())  # type: ignore[arg-type]


class CountingStream(trio.abc.Stream):
    """A transport that counts receive_some calls and the sizes it returned."""

    def __init__(self, inner: trio.abc.Stream) -> None:
        self.inner = inner
        self.receives: list[int] = []

    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        await self.inner.send_all(data)

    async def wait_send_all_might_not_block(self) -> None:
        await self.inner.wait_send_all_might_not_block()

    async def receive_some(self, max_bytes: int | None = None) -> bytes | bytearray:
        data = await self.inner.receive_some(max_bytes)
        self.receives.append(len(data))
        return data

    async def aclose(self) -> None:
        await self.inner.aclose()


@trio_test(10)
async def test_transport_read_only_on_want_read_and_records_batched() -> None:
    a, b = memory_stream_pair()
    counted = CountingStream(a)
    c = SSLStream(counted, BK_CLIENT, server_hostname=HOST)
    s = SSLStream(b, BK_SERVER, server_side=True)
    await handshake_both(c, s)
    # 40000 bytes = three records, all in one transport chunk.
    await s.send_all(b"q" * 40000)
    counted.receives.clear()
    first = await c.receive_some(100)
    assert first == b"q" * 100
    assert len(counted.receives) == 1
    # The rest is decrypted and buffered: no transport read at all now.
    rest = await c.receive_some()
    assert rest == b"q" * 39900
    assert len(counted.receives) == 1
    # One transport chunk with several records -> one receive_some returns them all.
    await s.send_all(b"r" * 50000)
    assert await c.receive_some() == b"r" * 50000
    assert len(counted.receives) == 2


@trio_test(10)
async def test_tls13_server_tickets_wait_for_first_send() -> None:
    c, s = bk_pair(lockstep_stream_pair)
    # Over a transport with no buffering, sending tickets at the end of the
    # server's handshake would block on a client that is not reading.
    await handshake_both(c, s)
    assert c.ssl.get_session() is None
    async with trio.open_nursery() as n:
        n.start_soon(s.send_all, b"hello")
        assert await c.receive_some() == b"hello"
    assert c.ssl.get_session() is not None  # the tickets came first


# ----------------------------------------------------------------------------- TCP helpers


def test_default_client_context_verifies_with_system_cas(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The system store as OpenSSL itself loads it: Python's ssl runs
    # SSL_CTX_set_default_verify_paths on the same file, so both count the same anchors.
    for var in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(var, raising=False)
    ctx = default_client_context()
    assert ctx.get_verify_mode() == 1  # SSL_VERIFY_PEER
    assert ctx.method.client
    stats = stdlib_ssl.create_default_context().cert_store_stats()
    assert len(ctx.get_cert_store().certs) == stats["x509"]


@pytest.mark.parametrize("via", ["SSL_CERT_FILE", "SSL_CERT_DIR"])
def test_default_client_context_loads_the_default_paths(
    via: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SSL_CTX_set_default_verify_paths honours OpenSSL's SSL_CERT_FILE / SSL_CERT_DIR
    # (X509_get_default_cert_file_env): pointed at a private CA, the default context
    # must trust exactly what they hold -- first nothing, then that CA.
    ca = PKI.ca[0]
    ca_pem = PKI.write(tmp_path)["ca.pem"]
    cert_dir = tmp_path / "certs"
    cert_dir.mkdir()
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "missing.pem"))
    monkeypatch.setenv("SSL_CERT_DIR", str(cert_dir))

    async def handshake() -> tuple[SSLStream[Any], BaseException | None]:
        a, b = memory_stream_pair()
        client = SSLStream(a, default_client_context(), server_hostname=HOST)
        server = SSLStream(b, BK_SERVER, server_side=True)
        failed: BaseException | None = None

        async def server_side() -> None:
            try:
                await server.do_handshake()
                await server.send_all(b"trusted")
            except trio.BrokenResourceError as exc:
                assert cause(exc).reason == SSLReason.TLSV1_ALERT_UNKNOWN_CA

        with trio.fail_after(10):
            async with trio.open_nursery() as n:
                n.start_soon(server_side)
                try:
                    await client.do_handshake()
                    assert await client.receive_some() == b"trusted"
                except trio.BrokenResourceError as exc:
                    failed = exc
        return client, failed

    assert default_client_context().get_cert_store().certs == []
    client, failed = trio.run(handshake)
    assert failed is not None
    assert cause(failed).reason == SSLReason.CERTIFICATE_VERIFY_FAILED
    assert client.ssl.get_verify_result() == 20  # unable to get local issuer certificate

    if via == "SSL_CERT_FILE":
        monkeypatch.setenv("SSL_CERT_FILE", ca_pem)
        assert default_client_context().get_cert_store().certs == [ca]
    else:
        # A c_rehash directory: the CA as <subject hash>.0, looked up on demand.
        shutil.copy(ca_pem, cert_dir / f"{ca.get_subject_name().hash():08x}.0")
        store = default_client_context().get_cert_store()
        assert store.certs == []
        assert store.get_by_subject(ca.get_subject_name()) == [ca]
    client, failed = trio.run(handshake)
    assert failed is None
    assert client.ssl.get_verify_result() == 0
    assert client.ssl.get_peer_certificate() == PKI.server[0]


@trio_test(15)
async def test_serve_and_open_ssl_over_tcp() -> None:
    async def handler(stream: SSLStream[trio.SocketStream]) -> None:
        async with stream:
            data = await stream.receive_some()
            await stream.send_all(data.upper())

    async with trio.open_nursery() as n:
        listeners = await n.start(
            functools.partial(serve_ssl_over_tcp, handler, 0, BK_SERVER, host="127.0.0.1")
        )
        assert isinstance(listeners[0], SSLListener)
        port = listeners[0].transport_listener.socket.getsockname()[1]
        for i in range(3):
            stream = await open_ssl_over_tcp_stream(HOST, port, ssl_context=BK_CLIENT)
            async with stream:
                await stream.send_all(b"hello %d" % i)
                assert await stream.receive_some() == b"HELLO %d" % i
                assert await stream.receive_some() == b""
        n.cancel_scope.cancel()
