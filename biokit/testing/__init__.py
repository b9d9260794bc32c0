"""biokit.testing: in-memory TLS pairs and a handshake pump, for test suites.

``tls_pair()`` gives a client and a server ``SSL`` joined by a BIO pair (or by
two memory BIOs), with throwaway certificates made once per process.
``pump(client, server)`` alternates their calls until both succeed, moving bytes
where the transport needs it, and reports a deadlock instead of spinning.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from biokit.bio import BIO, MemBIO, bio_pair
from biokit.errors import ErrorEntry, errors_as_list
from biokit.ssl import SSL, ErrorCode, SSLContext, TLS_client_method, TLS_server_method
from biokit.ssl.certgen import ThrowawayPKI
from biokit.testing.explain import Explanation, explain

__all__ = [
    "Deadlock",
    "Explanation",
    "HandshakeFailed",
    "Step",
    "TLSPair",
    "explain",
    "pki",
    "pump",
    "tls_pair",
]

# Codes after which calling again is the right move (SSL_get_error(3)).
_RETRYABLE = frozenset(
    (
        ErrorCode.WANT_READ,
        ErrorCode.WANT_WRITE,
        ErrorCode.WANT_CONNECT,
        ErrorCode.WANT_ACCEPT,
        ErrorCode.WANT_X509_LOOKUP,
        ErrorCode.WANT_CLIENT_HELLO_CB,
    )
)


@dataclass(frozen=True, slots=True)
class Step:
    """One call made by ``pump``: who, what, the result and what moved."""

    side: str
    call: str
    ret: int
    error: ErrorCode
    state: str
    bytes_read: int
    bytes_written: int

    def __str__(self) -> str:
        err = "" if self.ret > 0 else f" {self.error.name}"
        return (
            f"{self.side:6} {self.call} = {self.ret}{err} [{self.state}] "
            f"in={self.bytes_read} out={self.bytes_written}"
        )


class HandshakeFailed(AssertionError):
    """A side failed for a reason other than WANT_READ / WANT_WRITE."""

    def __init__(self, message: str, steps: list[Step], errors: list[ErrorEntry]) -> None:
        super().__init__(message)
        self.steps = steps
        self.errors = errors


class Deadlock(AssertionError):
    """Neither side can make progress (e.g. both wait to read, nothing in flight)."""

    def __init__(self, message: str, steps: list[Step]) -> None:
        super().__init__(message)
        self.steps = steps


def _bio_state(bio: BIO | None) -> str:
    """Every BIO of the chain with its buffered bytes and retry flags."""
    if bio is None:
        return "none"
    return " -> ".join(_one_bio_state(b) for b in bio)


def _one_bio_state(bio: BIO) -> str:
    flags = []
    if bio.should_retry():
        flags.append("retry")
    if bio.should_read():
        flags.append("read")
    if bio.should_write():
        flags.append("write")
    if bio.should_io_special():
        flags.append("special")
    return (
        f"{type(bio).__name__}(pending={bio.pending()}, wpending={bio.wpending()}, "
        f"flags={'|'.join(flags) or '-'})"
    )


def _default_op(ssl: SSL) -> tuple[str, Callable[[], int]]:
    if ssl.is_server():
        return "SSL_accept()", ssl.accept
    return "SSL_connect()", ssl.connect


def _named(op: Callable[[], int]) -> tuple[str, Callable[[], int]]:
    return f"{getattr(op, '__name__', 'custom')}()", op


def _peek_ret(ssl: SSL) -> int:
    r = ssl.peek_ex(1)
    return len(r) if isinstance(r, bytes) else r


def _io_counts(ssl: SSL) -> tuple[int, int]:
    rb, wb = ssl.get_rbio(), ssl.get_wbio()
    return (rb.num_read if rb else 0, wb.num_write if wb else 0)


def _shuttle(src: BIO | None, dst: BIO | None) -> int:
    """Move everything written into ``src`` (a memory BIO) to ``dst``."""
    if not isinstance(src, MemBIO) or not isinstance(dst, MemBIO) or src is dst:
        return 0
    n = src.pending()
    if n:
        dst.write(src.read(n))
    return n


def pump(
    client: SSL,
    server: SSL,
    *,
    max_steps: int = 200,
    on_step: Callable[[Step], None] | None = None,
    client_op: Callable[[], int] | None = None,
    server_op: Callable[[], int] | None = None,
) -> list[Step]:
    """Alternate client and server calls until both return > 0; the steps taken.

    By default the calls are ``connect()`` and ``accept()``.  Memory-BIO
    transports (client wbio -> server rbio and back) are shuttled between
    calls; BIO pairs need no help.  A side failing with anything but
    WANT_READ/WANT_WRITE raises ``HandshakeFailed``; a full round in which no
    byte moves raises ``Deadlock`` with both sides' states and BIOs.
    """
    steps: list[Step] = []
    sides = [
        ("client", client, _named(client_op) if client_op else _default_op(client)),
        ("server", server, _named(server_op) if server_op else _default_op(server)),
    ]
    done = {"client": False, "server": False}
    idle_rounds = 0
    for _ in range(max_steps):
        moved = 0
        wants_write = False
        for name, ssl, (call, op) in sides:
            if done[name]:
                if all(done.values()):
                    continue
                # A finished side keeps reading (as an application would), so a
                # peer still writing its last messages (e.g. tickets) can go on.
                # SSL_peek leaves application data where it is.
                call, op = "SSL_peek()", functools.partial(_peek_ret, ssl)
            before = _io_counts(ssl)
            ret = op()
            err = ssl.get_error(ret)
            after = _io_counts(ssl)
            step = Step(
                name, call, ret, err, ssl.state_string_long(),
                after[0] - before[0], after[1] - before[1],
            )
            steps.append(step)
            if on_step is not None:
                on_step(step)
            moved += step.bytes_read + step.bytes_written
            wants_write = wants_write or (err in _RETRYABLE and err != ErrorCode.WANT_READ)
            if call == "SSL_peek()":
                pass
            elif ret > 0:
                done[name] = True
            elif err not in _RETRYABLE:
                raise HandshakeFailed(
                    f"{name} {call} = {ret}, SSL_get_error = {err.name}, "
                    f"state {ssl.state_string_long()!r}: "
                    + "; ".join(str(e) for e in errors_as_list())
                    + f"\n{explain(ssl, ret)}",
                    steps,
                    errors_as_list(),
                )
            moved += _shuttle(client.get_wbio(), server.get_rbio())
            moved += _shuttle(server.get_wbio(), client.get_rbio())
        if all(done.values()):
            return steps
        idle_rounds = idle_rounds + 1 if moved == 0 else 0
        # Bytes waiting in a BIO mean a retrying filter (e.g. NBIOTestBIO) may
        # still let them through: only give up on those after many idle rounds.
        # A side stuck on WANT_WRITE behind such a filter may also get through later.
        waiting = wants_write or any(
            b is not None and b.pending() > 0 for b in (client.get_rbio(), server.get_rbio())
        )
        if idle_rounds >= (100 if waiting else 2):
            raise Deadlock(
                "no progress possible: "
                f"client [{client.state_string_long()}] rbio {_bio_state(client.get_rbio())} "
                f"wbio {_bio_state(client.get_wbio())}; "
                f"server [{server.state_string_long()}] rbio {_bio_state(server.get_rbio())} "
                f"wbio {_bio_state(server.get_wbio())}",
                steps,
            )
    raise Deadlock(f"not done after {max_steps} rounds", steps)


def pki(kind: str = "ec256", intermediate: bool = False) -> ThrowawayPKI:
    """A throwaway CA + server + client certificate set, made once per process and kind."""
    # (Normalised before the cache: pki("x") and pki("x", False) are the same set.)
    return _pki(kind, bool(intermediate))


@functools.cache
def _pki(kind: str, intermediate: bool) -> ThrowawayPKI:
    return ThrowawayPKI(kind, intermediate=intermediate)


@dataclass
class TLSPair:
    """A connected (or ready-to-connect) client and server."""

    client: SSL
    server: SSL
    client_ctx: SSLContext
    server_ctx: SSLContext
    pki: ThrowawayPKI
    client_bios: tuple[BIO, BIO]
    server_bios: tuple[BIO, BIO]
    steps: list[Step] = field(default_factory=list)

    def handshake(self, **kwargs: Any) -> list[Step]:
        """Pump the handshake to completion (see ``pump``)."""
        self.steps = pump(self.client, self.server, **kwargs)
        return self.steps

    def transfer(self, data: bytes, *, to_server: bool = True, chunk: int = 16384) -> bytes:
        """Send ``data`` one way through the pair and return what arrived (bounded loop)."""
        src, dst = (self.client, self.server) if to_server else (self.server, self.client)
        got = bytearray()
        view = memoryview(data)
        sent = 0
        piece: memoryview | None = None
        for _ in range(100000):
            if sent < len(data):
                # After WANT_WRITE, SSL_write must be retried with the same buffer
                # (OpenSSL's "bad write retry" rule): keep the same object.
                if piece is None:
                    piece = view[sent : sent + chunk]
                n = src.write(piece)
                if n > 0:
                    sent += n
                    piece = None
            _shuttle(self.client.get_wbio(), self.server.get_rbio())
            _shuttle(self.server.get_wbio(), self.client.get_rbio())
            r = dst.read(1 << 20)
            if r:
                got += r
            if sent == len(data) and len(got) >= len(data):
                break
        return bytes(got)


def tls_pair(
    kind: str = "ec256",
    *,
    transport: str = "pair",
    pair_size: int = 0,
    min_version: int = 0,
    max_version: int = 0,
    ciphersuites: str | None = None,
    groups: str | None = None,
    server_groups: str | None = None,
    alpn: Sequence[bytes] | None = None,
    server_alpn: Sequence[bytes] | None = None,
    sni: str | None = "localhost",
    client_cert: bool = False,
    verify: bool = True,
    tickets: int | None = None,
    intermediate: bool = False,
    connect: bool = True,
) -> TLSPair:
    """A client/server SSL pair over a BIO pair (``transport="pair"``) or memory BIOs."""
    p = pki(kind, intermediate)
    sctx = SSLContext(TLS_server_method())
    sctx.use_certificate_chain([c for c in p.chain if c is not p.ca[0]] or p.chain[:1])
    sctx.use_PrivateKey(p.server[1])
    cctx = SSLContext(TLS_client_method())
    cctx.get_cert_store().add_cert(p.ca[0])
    if verify:
        cctx.set_verify(1)
    for ctx in (sctx, cctx):
        if min_version:
            ctx.set_min_proto_version(min_version)
        if max_version:
            ctx.set_max_proto_version(max_version)
        if ciphersuites:
            ctx.set_ciphersuites(ciphersuites)
    if groups:
        cctx.set1_groups_list(groups)
    if server_groups:
        sctx.set1_groups_list(server_groups)
    if alpn:
        cctx.set_alpn_protos(list(alpn))
    if server_alpn is not None:
        prefs = list(server_alpn)

        def select(ssl: SSL, offered: list[bytes]) -> bytes | int:
            for proto in prefs:
                if proto in offered:
                    return proto
            return 3  # SSL_TLSEXT_ERR_NOACK

        sctx.set_alpn_select_cb(select)
    if tickets is not None:
        sctx.set_num_tickets(tickets)
    if client_cert:
        sctx.get_cert_store().add_cert(p.ca[0])
        sctx.set_verify(1 | 2)
        cctx.use_certificate(p.client[0])
        cctx.use_PrivateKey(p.client[1])
    client, server = SSL(cctx), SSL(sctx)
    if transport == "pair":
        cb, sb = bio_pair(pair_size, pair_size)
        cbios: tuple[BIO, BIO] = (cb, cb)
        sbios: tuple[BIO, BIO] = (sb, sb)
    elif transport == "mem":
        c2s, s2c = MemBIO(), MemBIO()
        # Writes land in the sender's own BIO; pump() shuttles them across.
        cbios, sbios = (MemBIO(), c2s), (MemBIO(), s2c)
    else:
        raise ValueError(f"unknown transport {transport!r}")
    client.set_bio(*cbios)
    server.set_bio(*sbios)
    if sni:
        client.set_tlsext_host_name(sni)
        client.set1_host(sni)
    pair = TLSPair(client, server, cctx, sctx, p, cbios, sbios)
    if connect:
        pair.handshake()
    return pair
