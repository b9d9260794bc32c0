"""biokit under trio: ``SSLStream`` (a ``trio.abc.Stream``) and its TCP helpers.

This is the only biokit module that imports trio.  It speaks trio's stream
language on top of biokit's ``SSL`` object, with the semantics of
``trio.SSLStream`` (whose ``_ssl.py`` is the model for everything here).

Theory of operation
-------------------
The SSL object sits between two memory BIOs that this stream owns::

    send_all(data) -> SSL_write -> [outgoing MemBIO] --send_all--> transport
    receive_some() <- SSL_read  <- [incoming MemBIO] <-receive_some- transport

Why two ``MemBIO``s and not a BIO pair: a memory BIO grows as needed, so
SSL_write takes the caller's whole buffer in one call -- every record of it
sealed in one pass -- and the ciphertext leaves in one ``transport.send_all``.
A BIO pair's bounded ring would split that into ring-sized pieces, each costing
a WANT_WRITE, a retry of the same SSL_write (OpenSSL's "same buffer" rule) and
a transport write: more Python per byte for no gain, since the transport
already applies back-pressure by blocking ``send_all``.  Reading is symmetric:
one transport chunk goes into the incoming BIO whole, and one receive_some
decrypts every complete record of it.

Every operation (handshake, read, write, shutdown) runs the same loop,
``_retry``, which is OpenSSL's nonblocking recipe with awaits in it:

1. clear the error queue, call the SSL method (never awaiting in between:
   the SSL is shared by every task using the stream);
2. if the outgoing BIO holds bytes, take the send lock and push them to the
   transport (first, before any receive: records must leave in order);
3. else if ``get_error()`` said WANT_READ, take the receive lock and await
   ``transport.receive_some()`` -- unless another task received while we
   waited for the lock, in which case just try again;
4. WANT_WRITE cannot come from a memory BIO; it would mean "drain, retry";
   any other code marks the stream broken and raises
   ``trio.BrokenResourceError`` from the biokit exception
   (``biokit.stream.exception_for``), so ``__cause__`` carries OpenSSL's
   reason code and text.

Rules kept from trio.SSLStream: one task at a time may send (send_all /
wait_send_all_might_not_block) and one may receive, else BusyResourceError;
either may drive the handshake; cancellation during the handshake, or while a
send is handing ciphertext to the transport, leaves the stream *broken*
(BrokenResourceError from then on), never silently out of step; a TLS 1.3
server's session tickets wait for the first real send (trio issue 819);
``aclose`` sends close_notify without waiting for the reply;
``https_compatible`` neither sends nor demands close_notify.

Added to trio's model: ``send_eof`` (TLS 1.3 half-close: close_notify, keep
reading); tasks waiting for a handshake that fails or is cancelled wake up
with BrokenResourceError (trio's ``_Once`` would leave them waiting); a fatal
alert the SSL queued gets one bounded attempt to reach the peer (trio drops
it); and a stream closed by ``aclose`` stays *closed* even if a send it
interrupted then fails.
"""

from __future__ import annotations

import contextlib
import operator
from collections.abc import Awaitable, Callable
from enum import Enum
from typing import TYPE_CHECKING, Any, Generic, NoReturn, TypeVar

import trio

from biokit.bio.s_mem import MemBIO
from biokit.errors import SSLError, clear_error
from biokit.ssl.consts import ErrorCode, Version
from biokit.ssl.context import SSLContext, TLS_client_method
from biokit.ssl.ssl import SSL
from biokit.stream import (
    alpn_text,
    cipher_tuple,
    exception_for,
    is_unexpected_eof,
    peer_certificate_dict,
    prepare_ssl,
)

if TYPE_CHECKING:
    import ssl as _stdlib_ssl

__all__ = [
    "NeedHandshakeError",
    "SSLListener",
    "SSLStream",
    "default_client_context",
    "open_ssl_over_tcp_listeners",
    "open_ssl_over_tcp_stream",
    "serve_ssl_over_tcp",
]

T_Stream = TypeVar("T_Stream", bound=trio.abc.Stream)
_R = TypeVar("_R")

# receive_some() without max_bytes decrypts at most this much -- or, if the
# transport has handed us bigger chunks, as much as the biggest of them.
STARTING_RECEIVE_SIZE = 65536

# How long a failing stream keeps trying to deliver its fatal alert (OpenSSL's
# "one attempt to flush it") before giving up; it never waits past this.
_ALERT_GRACE = 0.25

_WANT_READ = ErrorCode.WANT_READ
_WANT_WRITE = ErrorCode.WANT_WRITE
_ZERO_RETURN = ErrorCode.ZERO_RETURN


class NeedHandshakeError(Exception):
    """Asked for something (cipher, version, peer certificate) only the handshake can tell."""


class _State(Enum):
    OK = "ok"
    BROKEN = "broken"
    CLOSED = "closed"


class _ConflictDetector:
    """Turns a second concurrent call into BusyResourceError (trio's own rule)."""

    __slots__ = ("_held", "_msg")

    def __init__(self, msg: str) -> None:
        self._msg = msg
        self._held = False

    def __enter__(self) -> None:
        if self._held:
            raise trio.BusyResourceError(self._msg)
        self._held = True

    def __exit__(self, *exc: object) -> None:
        self._held = False


class _Failed(Exception):
    """An SSL call failed: carries the biokit exception built from get_error()."""

    def __init__(self, error: SSLError) -> None:
        super().__init__(error)
        self.error = error


class SSLStream(trio.abc.HalfCloseableStream, Generic[T_Stream]):
    """A TLS connection over any trio Stream, driven through a biokit ``SSL`` (SSL_read/write).

    ``ssl_or_context`` is a biokit ``SSLContext`` (a new ``SSL`` is made) or a
    fresh ``SSL`` (kept, its BIOs replaced by this stream's memory BIOs).
    Half-closeable: ``send_eof`` sends close_notify and leaves reading open
    (TLS 1.3's half-close, RFC 8446 6.1).
    """

    def __init__(
        self,
        transport_stream: T_Stream,
        ssl_or_context: SSL | SSLContext,
        *,
        server_side: bool = False,
        server_hostname: str | None = None,
        https_compatible: bool = False,
    ) -> None:
        self.transport_stream: T_Stream = transport_stream
        ssl = prepare_ssl(ssl_or_context, server_side=server_side,
                          server_hostname=server_hostname)
        self._ssl = ssl
        self.server_side = ssl.is_server()
        self.server_hostname = server_hostname
        self._https_compatible = https_compatible
        self._state = _State.OK
        self._incoming = MemBIO()
        self._outgoing = MemBIO()
        ssl.set_bio(self._incoming, self._outgoing)
        self._delayed_outgoing: bytes | None = None
        self._deferred_error: SSLError | None = None
        self._error: SSLError | None = None
        self._eof_sent = False
        self._hs_started = False
        self._hs_ok = False
        self._hs_done = trio.Event()
        self._write_taken = False
        self._inner_send_lock = trio.StrictFIFOLock()
        self._inner_recv_count = 0
        self._inner_recv_lock = trio.Lock()
        self._outer_send_conflict_detector = _ConflictDetector(
            "another task is currently sending data on this SSLStream"
        )
        self._outer_recv_conflict_detector = _ConflictDetector(
            "another task is currently receiving data on this SSLStream"
        )
        self._estimated_receive_size = STARTING_RECEIVE_SIZE

    # ================================================================ inspection

    @property
    def ssl(self) -> SSL:
        """The underlying biokit ``SSL`` (version, cipher, ALPN, peer certificate...)."""
        return self._ssl

    @property
    def context(self) -> SSLContext:
        """SSL_get_SSL_CTX."""
        return self._ssl.get_SSL_CTX()

    def _need_handshake(self, what: str) -> None:
        if not self._hs_ok:
            raise NeedHandshakeError(f"call do_handshake() before calling {what!r}")

    def version(self) -> str:
        """SSL_get_version: ``"TLSv1.3"`` or ``"TLSv1.2"``."""
        self._need_handshake("version")
        return self._ssl.get_version()

    def cipher(self) -> tuple[str, str, int] | None:
        """``(name, protocol, secret bits)`` (SSL_get_current_cipher)."""
        self._need_handshake("cipher")
        return cipher_tuple(self._ssl)

    def selected_alpn_protocol(self) -> str | None:
        """SSL_get0_alpn_selected, as text."""
        self._need_handshake("selected_alpn_protocol")
        return alpn_text(self._ssl)

    def getpeercert(self, binary_form: bool = False) -> dict[str, Any] | bytes | None:
        """SSL_get_peer_certificate: DER with ``binary_form``, else CPython's dict."""
        self._need_handshake("getpeercert")
        if binary_form:
            cert = self._ssl.get_peer_certificate()
            return cert.to_der() if cert is not None else None
        return peer_certificate_dict(self._ssl)

    def session_reused(self) -> bool:
        """SSL_session_reused."""
        self._need_handshake("session_reused")
        return self._ssl.session_reused()

    def pending(self) -> int:
        """SSL_pending: decrypted bytes that receive_some can return without waiting."""
        return self._ssl.pending()

    # ================================================================ the engine room

    def _check_status(self) -> None:
        if self._state is _State.OK:
            return
        if self._state is _State.BROKEN:
            raise trio.BrokenResourceError from self._error
        raise trio.ClosedResourceError

    def _break(self) -> None:
        # Only a working stream becomes broken: one closed meanwhile (aclose in
        # another task) stays closed, so callers keep getting ClosedResourceError.
        if self._state is _State.OK:
            self._state = _State.BROKEN

    def _fail(self, code: ErrorCode, ret: int) -> NoReturn:
        """A fatal get_error() code: the stream is broken from now on."""
        self._break()
        err = exception_for(code, ret)
        self._error = err
        raise _Failed(err)

    # The four SSL calls, each returning its result or the get_error() code
    # (WANT_READ / WANT_WRITE) that says what the transport must do first.

    def _op_handshake(self, _: None) -> object:
        r = self._ssl.do_handshake()
        if r == 1:
            return True
        code = self._ssl.get_error(r)
        if code is _WANT_READ or code is _WANT_WRITE:
            return code
        self._fail(code, r)

    def _op_write(self, data: bytes | bytearray | memoryview) -> object:
        r = self._ssl.write(data)
        if r > 0:
            self._write_taken = True
            return r
        code = self._ssl.get_error(r)
        if code is _WANT_READ or code is _WANT_WRITE:
            return code
        self._fail(code, r)

    def _op_read(self, max_bytes: int) -> object:
        ssl = self._ssl
        r = ssl.read_c(max_bytes)
        if r.__class__ is not bytes:
            code = ssl.get_error(r)
            if code is _WANT_READ or code is _WANT_WRITE:
                return code
            if code is _ZERO_RETURN:
                return b""
            self._fail(code, r)  # type: ignore[arg-type]
        got = len(r)
        if got >= max_bytes:
            return r
        # Batch: decrypt every record already here, up to max_bytes, so one
        # receive_some returns a whole transport chunk instead of one record.
        incoming = self._incoming
        if not incoming.pending():
            return r
        parts = [r]
        while got < max_bytes and incoming.pending():
            clear_error()
            r = ssl.read_c(max_bytes - got)
            if r.__class__ is not bytes:
                code = ssl.get_error(r)
                if code not in (_WANT_READ, _WANT_WRITE, _ZERO_RETURN):
                    # Hand out what was decrypted; the failure comes next call.
                    self._deferred_error = exception_for(code, r)  # type: ignore[arg-type]
                break
            parts.append(r)
            got += len(r)
        return b"".join(parts)

    def _op_shutdown(self, wait_for_peer: bool) -> object:
        ssl = self._ssl
        r = ssl.shutdown()
        if r == 0 and wait_for_peer:
            # Ours is out; the second call waits for the peer's (CPython's unwrap).
            r = ssl.shutdown()
        if r == 1 or (r == 0 and not wait_for_peer):
            return r
        code = ssl.get_error(r)
        if code is _WANT_READ or code is _WANT_WRITE:
            return code
        self._fail(code, r)

    async def _retry(
        self,
        op: Callable[[Any], object],
        arg: Any,
        *,
        ignore_want_read: bool = False,
        is_handshake: bool = False,
    ) -> object:
        """Run one SSL operation to completion, awaiting the transport as get_error() says."""
        await trio.lowlevel.checkpoint_if_cancelled()
        yielded = False
        outgoing = self._outgoing
        while True:
            clear_error()
            try:
                ret = op(arg)
            except _Failed as failed:
                await self._send_alert()
                raise trio.BrokenResourceError from failed.error
            want_read = ret is _WANT_READ
            finished = not want_read and ret is not _WANT_WRITE
            if want_read and ignore_want_read:
                want_read = False
                finished = True
            if (
                is_handshake
                and finished
                and self.server_side
                and self._ssl.version() == Version.TLS1_3
                and outgoing.pending()
            ):
                # A TLS 1.3 server's last handshake output is its session
                # tickets.  Sending them now could block on a peer that is not
                # reading yet (trio issue 819); they go out before the next send.
                assert self._delayed_outgoing is None
                self._delayed_outgoing = outgoing.read(outgoing.pending())
            if outgoing.pending():
                yielded = True
                await self._send_outgoing()
            elif want_read:
                yielded = True
                await self._receive_incoming()
            elif ret is _WANT_WRITE:
                # Only a full wbio asks to retry a write, and a memory BIO is never full.
                self._break()
                raise trio.BrokenResourceError("SSL wants to write, but nothing is pending")
            if finished:
                break
        if not yielded:
            await trio.lowlevel.cancel_shielded_checkpoint()
        return ret

    async def _send_outgoing(self) -> None:
        """Hand the outgoing BIO's bytes to the transport, in order (holding the send lock)."""
        lock = self._inner_send_lock
        try:
            lock.acquire_nowait()
        except trio.WouldBlock:
            # Waiting here loses nothing: the bytes stay in the BIO, in order,
            # and whoever holds the lock next sends them.
            await lock.acquire()
        try:
            outgoing = self._outgoing
            n = outgoing.pending()
            data = outgoing.read(n) if n else b""
            delayed = self._delayed_outgoing
            if delayed is not None:
                self._delayed_outgoing = None
                data = delayed + data
            if data:
                try:
                    await self.transport_stream.send_all(data)
                except BaseException:
                    # Some unknown part of the ciphertext is out: the record
                    # stream cannot be resumed.
                    self._break()
                    raise
        finally:
            lock.release()

    async def _receive_incoming(self) -> None:
        """One transport read into the incoming BIO, unless another task just did one."""
        recv_count = self._inner_recv_count
        lock = self._inner_recv_lock
        try:
            lock.acquire_nowait()
        except trio.WouldBlock:
            await lock.acquire()
        try:
            if recv_count == self._inner_recv_count:
                data = await self.transport_stream.receive_some()
                if not data:
                    # Transport EOF: an empty incoming BIO now reads as EOF
                    # (no retry), which the SSL reports per OpenSSL 3's rules.
                    self._incoming.set_eof_return(0)
                else:
                    n = len(data)
                    if n > self._estimated_receive_size:
                        self._estimated_receive_size = n
                    self._incoming.write(data)
                self._inner_recv_count += 1
        finally:
            lock.release()

    async def _send_alert(self) -> None:
        """Best effort to deliver a fatal alert the failed SSL queued; bounded, never raises."""
        if not self._outgoing.pending() or self._inner_send_lock.locked():
            return
        with (
            trio.CancelScope(shield=True, deadline=trio.current_time() + _ALERT_GRACE),
            contextlib.suppress(Exception),
        ):
            await self._send_outgoing()
        self._break()

    # ================================================================ the Stream API

    async def _ensure_handshake(self, *, checkpoint: bool) -> None:
        """Run the handshake once; later callers wait for that run and share its outcome."""
        if not self._hs_started:
            self._hs_started = True
            try:
                await self._retry(self._op_handshake, None, is_handshake=True)
                self._hs_ok = True
            except BaseException:
                self._break()
                raise
            finally:
                # Set even on failure: a task waiting for the handshake must
                # wake up and see the broken stream, not wait forever.
                self._hs_done.set()
        elif not checkpoint and self._hs_ok:
            return
        else:
            await self._hs_done.wait()
            if not self._hs_ok:
                raise trio.BrokenResourceError from self._error

    async def do_handshake(self) -> None:
        """SSL_do_handshake until done (or wait for the task already doing it).

        Cancelling it leaves the stream broken: later calls raise BrokenResourceError.
        """
        self._check_status()
        await self._ensure_handshake(checkpoint=True)

    async def receive_some(self, max_bytes: int | None = None) -> bytes:
        """SSL_read: decrypted bytes (every complete record on hand, up to ``max_bytes``).

        ``b""`` once the peer's close_notify arrived (or, with https_compatible,
        at a bare transport EOF).
        """
        with self._outer_recv_conflict_detector:
            self._check_status()
            try:
                await self._ensure_handshake(checkpoint=False)
            except trio.BrokenResourceError as exc:
                if self._https_compatible and is_unexpected_eof(exc.__cause__):
                    await trio.lowlevel.checkpoint()
                    return b""
                raise
            if max_bytes is None:
                max_bytes = max(self._estimated_receive_size, self._ssl.pending())
            else:
                max_bytes = operator.index(max_bytes)
                if max_bytes < 1:
                    raise ValueError("max_bytes must be >= 1")
            try:
                deferred = self._deferred_error
                if deferred is not None:
                    self._deferred_error = None
                    self._break()
                    self._error = deferred
                    await trio.lowlevel.checkpoint()
                    raise trio.BrokenResourceError from deferred
                received = await self._retry(self._op_read, max_bytes)
            except trio.BrokenResourceError as exc:
                # Still BROKEN afterwards: after an EOF only closing makes sense.
                if self._https_compatible and is_unexpected_eof(exc.__cause__):
                    await trio.lowlevel.checkpoint()
                    return b""
                raise
            assert isinstance(received, bytes)
            return received

    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        """SSL_write all of ``data`` and hand the records to the transport.

        Cancelling it leaves the stream broken (how much went out is unknown).
        """
        with self._outer_send_conflict_detector:
            self._check_status()
            await self._ensure_handshake(checkpoint=False)
            if self._eof_sent:
                raise trio.ClosedResourceError("send_eof() was called on this SSLStream")
            if not data:
                await trio.lowlevel.checkpoint()
                return
            if data.__class__ is memoryview and data.format != "B":
                data = data.cast("B")
            self._write_taken = False
            try:
                await self._retry(self._op_write, data)
            except BaseException:
                if self._write_taken:
                    # Interrupted after SSL_write took the data: the caller
                    # cannot know what reached the peer, so the stream is done.
                    self._break()
                raise

    async def send_eof(self) -> None:
        """SSL_shutdown once: close_notify ends our direction; receiving goes on.

        The peer reads b"" and may keep sending.  Sent even with
        https_compatible: it is the only end-of-data signal TLS has.
        """
        with self._outer_send_conflict_detector:
            self._check_status()
            await self._ensure_handshake(checkpoint=False)
            if self._eof_sent:
                await trio.lowlevel.checkpoint()
                return
            self._eof_sent = True
            await self._retry(self._op_shutdown, False, ignore_want_read=True)

    async def unwrap(self) -> tuple[T_Stream, bytes]:
        """SSL_shutdown both ways; the transport and any bytes read past the close_notify."""
        with self._outer_recv_conflict_detector, self._outer_send_conflict_detector:
            self._check_status()
            await self._ensure_handshake(checkpoint=False)
            await self._retry(self._op_shutdown, True)
            transport_stream = self.transport_stream
            self._state = _State.CLOSED
            self.transport_stream = None  # type: ignore[assignment]
            incoming = self._incoming
            trailing = incoming.read(incoming.pending()) if incoming.pending() else b""
            return transport_stream, trailing

    async def aclose(self) -> None:
        """Send close_notify (SSL_shutdown once, not waiting for the reply), close the transport.

        With https_compatible, or on a broken stream, just close the transport.
        """
        if self._state is _State.CLOSED:
            await trio.lowlevel.checkpoint()
            return
        if self._state is _State.BROKEN or self._https_compatible:
            self._state = _State.CLOSED
            await self.transport_stream.aclose()
            return
        try:
            await self._ensure_handshake(checkpoint=False)
            # Both sides closing at once, or a busy peer, may make this fail:
            # close_notify is a courtesy here, the transport closes anyway.
            with contextlib.suppress(trio.BrokenResourceError, trio.BusyResourceError):
                await self._retry(self._op_shutdown, False, ignore_want_read=True)
        except BaseException:
            await trio.aclose_forcefully(self.transport_stream)
            raise
        else:
            await self.transport_stream.aclose()
        finally:
            self._state = _State.CLOSED

    async def wait_send_all_might_not_block(self) -> None:
        """Wait until the transport can take more (trio's send-side readiness)."""
        with self._outer_send_conflict_detector:
            self._check_status()
            # A receive_some may be writing on the transport (handshake or
            # key-update output): share its lock instead of colliding.
            async with self._inner_send_lock:
                await self.transport_stream.wait_send_all_might_not_block()


class SSLListener(trio.abc.Listener[SSLStream[T_Stream]]):
    """Wraps every connection a transport listener accepts in a server-side SSLStream."""

    def __init__(
        self,
        transport_listener: trio.abc.Listener[T_Stream],
        ssl_context: SSLContext,
        *,
        https_compatible: bool = False,
    ) -> None:
        self.transport_listener = transport_listener
        self._ssl_context = ssl_context
        self._https_compatible = https_compatible

    async def accept(self) -> SSLStream[T_Stream]:
        """Accept a connection and wrap it (the handshake runs on first use)."""
        transport_stream = await self.transport_listener.accept()
        return SSLStream(
            transport_stream, self._ssl_context, server_side=True,
            https_compatible=self._https_compatible,
        )

    async def aclose(self) -> None:
        """Close the transport listener."""
        await self.transport_listener.aclose()


def default_client_context() -> SSLContext:
    """A client context that verifies the server against the system CA store."""
    ctx = SSLContext(TLS_client_method())
    ctx.set_default_verify_paths()
    ctx.set_verify(1)  # SSL_VERIFY_PEER
    return ctx


async def open_ssl_over_tcp_stream(
    host: str,
    port: int,
    *,
    https_compatible: bool = False,
    ssl_context: SSLContext | SSL | None = None,
    happy_eyeballs_delay: float | None = 0.25,
) -> SSLStream[trio.SocketStream]:
    """Connect over TCP and wrap in a client SSLStream for ``host`` (handshake on first use)."""
    tcp_stream = await trio.open_tcp_stream(host, port, happy_eyeballs_delay=happy_eyeballs_delay)
    if ssl_context is None:
        ssl_context = default_client_context()
    return SSLStream(
        tcp_stream, ssl_context, server_hostname=host, https_compatible=https_compatible
    )


async def open_ssl_over_tcp_listeners(
    port: int,
    ssl_context: SSLContext,
    *,
    host: str | None = None,
    https_compatible: bool = False,
    backlog: int | None = None,
) -> list[SSLListener[trio.SocketStream]]:
    """TCP listeners on ``port``, each wrapped in an SSLListener."""
    tcp_listeners = await trio.open_tcp_listeners(port, host=host, backlog=backlog)
    return [
        SSLListener(listener, ssl_context, https_compatible=https_compatible)
        for listener in tcp_listeners
    ]


async def serve_ssl_over_tcp(
    handler: Callable[[SSLStream[trio.SocketStream]], Awaitable[object]],
    port: int,
    ssl_context: SSLContext,
    *,
    host: str | None = None,
    https_compatible: bool = False,
    backlog: int | None = None,
    handler_nursery: trio.Nursery | None = None,
    task_status: trio.TaskStatus[list[SSLListener[trio.SocketStream]]] = (
        trio.TASK_STATUS_IGNORED
    ),
) -> NoReturn:
    """Serve TLS over TCP: run ``handler(stream)`` for every connection (trio.serve_listeners)."""
    listeners = await open_ssl_over_tcp_listeners(
        port, ssl_context, host=host, https_compatible=https_compatible, backlog=backlog
    )
    await trio.serve_listeners(
        handler, listeners, handler_nursery=handler_nursery, task_status=task_status
    )


# ------------------------------------------------------------ for comparisons
# ``biokit bench`` measures this adapter beside trio's own SSLStream (on Python's
# ssl module) over trio's in-memory streams.  These few wrappers are all it needs
# from trio, so that trio keeps being imported by this one module only.


def memory_stream_pair() -> tuple[trio.abc.HalfCloseableStream, trio.abc.HalfCloseableStream]:
    """trio.testing.memory_stream_pair: two in-memory streams joined crosswise."""
    import trio.testing  # loaded only by the comparisons that use it

    return trio.testing.memory_stream_pair()


def stdlib_ssl_stream(
    transport_stream: T_Stream,
    ssl_context: _stdlib_ssl.SSLContext,
    *,
    server_side: bool = False,
    server_hostname: str | None = None,
) -> trio.SSLStream[T_Stream]:
    """trio.SSLStream on Python's ``ssl`` (OpenSSL), the reference this adapter is compared with."""
    return trio.SSLStream(
        transport_stream, ssl_context, server_side=server_side, server_hostname=server_hostname
    )


async def run_concurrently(*async_fns: Callable[[], Awaitable[object]]) -> None:
    """Run each function as a task of one nursery; return when all of them are done."""
    async with trio.open_nursery() as nursery:
        for fn in async_fns:
            nursery.start_soon(fn)


def run(async_fn: Callable[[], Awaitable[_R]]) -> _R:
    """trio.run: run ``async_fn()`` in a new trio event loop and return its result."""
    return trio.run(async_fn)
