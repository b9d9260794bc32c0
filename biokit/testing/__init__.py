"""biokit.testing: in-memory TLS pairs and a handshake pump, for test suites.

``tls_pair()`` gives a client and a server ``SSL`` joined by a BIO pair (or by
two memory BIOs), with throwaway certificates made once per process.
``pump(client, server)`` alternates their calls until both succeed, moving bytes
where the transport needs it, and reports a deadlock instead of spinning.

``pump`` tells two ways of not finishing apart.  A *deadlock* (``Deadlock``) is
a round of calls in which nothing happened: no byte moved on either side and
no side's handshake state changed, so calling again cannot help.  A *step
limit* (``StepLimit``) is running out of rounds while the sides still make
progress -- a 1-byte BIO pair moves a handshake one byte per call and needs
about 1,500 rounds; raise ``max_steps``.  Both derive from ``PumpError``, as
does ``HandshakeFailed`` (a side failed for good).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from biokit.bio import BIO, MemBIO, bio_pair
from biokit.bio.s_pair import PairBIO
from biokit.errors import ErrorEntry, clear_error, error_count, errors_as_list, put_entry
from biokit.ssl import SSL, ErrorCode, SSLContext, TLS_client_method, TLS_server_method
from biokit.ssl.certgen import ThrowawayPKI
from biokit.testing.explain import Explanation, explain

__all__ = [
    "Deadlock",
    "Explanation",
    "HandshakeFailed",
    "PumpError",
    "Step",
    "StepLimit",
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


class PumpError(AssertionError):
    """``pump`` did not finish; ``steps`` is the transcript up to that point."""

    def __init__(self, message: str, steps: list[Step]) -> None:
        super().__init__(message)
        self.steps = steps


class HandshakeFailed(PumpError):
    """A side failed for a reason other than WANT_READ / WANT_WRITE."""

    def __init__(self, message: str, steps: list[Step], errors: list[ErrorEntry]) -> None:
        super().__init__(message, steps)
        self.errors = errors


class Deadlock(PumpError):
    """Neither side can make progress (e.g. both wait to read, nothing in flight)."""


class StepLimit(PumpError):
    """``max_steps`` rounds ran out while the sides were still making progress."""


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
    # SSL_peek's own C value (-1 while waiting), not SSL_peek_ex's 0.
    r = ssl.read_c(1, peek=True)
    return len(r) if isinstance(r, bytes) else r


def _io_counts(ssl: SSL) -> tuple[int, int]:
    rb, wb = ssl.get_rbio(), ssl.get_wbio()
    return (rb.num_read if rb else 0, wb.num_write if wb else 0)


def _end(bio: BIO | None) -> BIO | None:
    """The source/sink at the bottom of ``bio``'s chain."""
    while bio is not None and bio.next is not None:
        bio = bio.next
    return bio


def _shuttle(src: BIO | None, dst: BIO | None) -> int:
    """Move what was written into ``src`` to ``dst``, where both chains end in memory BIOs.

    The bytes go from the bottom of one chain to the bottom of the other, so
    filters on either side (a ScheduleBIO, a RecordBIO) see them pass as they
    would over a real transport.
    """
    src, dst = _end(src), _end(dst)
    if not isinstance(src, MemBIO) or not isinstance(dst, MemBIO) or src is dst:
        return 0
    n = src.pending()
    if n:
        dst.write(src.read(n))
    return n


# Rounds a handshake may take over the smallest ring in use: about one byte per
# round at worst, for flights up to this size (certificate chains included).
_LIMIT_BYTES = 64 * 1024
_MIN_LIMIT = 200


def _default_max_steps(client: SSL, server: SSL) -> int:
    """200 rounds, or more when a small BIO pair ring makes progress slow."""
    ring = 0
    for ssl in (client, server):
        for top in (ssl.get_rbio(), ssl.get_wbio()):
            if top is None:
                continue
            for bio in top:
                if isinstance(bio, PairBIO):
                    size = bio.get_write_buf_size()
                    ring = size if ring == 0 else min(ring, size)
    if ring <= 0:
        return _MIN_LIMIT
    return _MIN_LIMIT + _LIMIT_BYTES // ring


def _sides_state(client: SSL, server: SSL) -> str:
    return (
        f"client [{client.state_string_long()}] rbio {_bio_state(client.get_rbio())} "
        f"wbio {_bio_state(client.get_wbio())}; "
        f"server [{server.state_string_long()}] rbio {_bio_state(server.get_rbio())} "
        f"wbio {_bio_state(server.get_wbio())}"
    )


def pump(
    client: SSL,
    server: SSL,
    *,
    max_steps: int | None = None,
    on_step: Callable[[Step], None] | None = None,
    client_op: Callable[[], int] | None = None,
    server_op: Callable[[], int] | None = None,
) -> list[Step]:
    """Alternate client and server calls until both return > 0; the steps taken.

    By default the calls are ``connect()`` and ``accept()``.  Memory-BIO
    transports (client wbio -> server rbio and back, at the bottom of their
    chains) are shuttled between calls; BIO pairs need no help.  A side failing with anything but a
    retryable code raises ``HandshakeFailed``.  Rounds in which no byte moves
    and no side's state changes raise ``Deadlock`` with both sides' states and
    BIOs (two such rounds in a row; 100 while bytes wait behind a filter that
    may be refusing them for now, or a side waits to write).  Running out of
    ``max_steps`` rounds while progress is still being made raises
    ``StepLimit``.  The default limit is 200 rounds, plus 64 KiB divided by the
    smallest BIO pair ring in either side's chains (so a 1-byte pair finishes).
    """
    steps: list[Step] = []
    sides = [
        ("client", client, _named(client_op) if client_op else _default_op(client)),
        ("server", server, _named(server_op) if server_op else _default_op(server)),
    ]
    limit = _default_max_steps(client, server) if max_steps is None else max_steps
    done = {"client": False, "server": False}
    idle_rounds = 0
    for _ in range(limit):
        moved = 0
        changed = False
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
            state_before = ssl.state_string_long()
            ret = op()
            err = ssl.get_error(ret)
            after = _io_counts(ssl)
            step = Step(
                name, call, ret, err, ssl.state_string_long(),
                after[0] - before[0], after[1] - before[1],
            )
            changed = changed or step.state != state_before
            steps.append(step)
            if on_step is not None:
                on_step(step)
            moved += step.bytes_read + step.bytes_written
            wants_write = wants_write or (err in _RETRYABLE and err != ErrorCode.WANT_READ)
            if call == "SSL_peek()":
                pass
            elif ret > 0:
                done[name] = changed = True
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
        idle_rounds = idle_rounds + 1 if moved == 0 and not changed else 0
        # Bytes waiting in a BIO mean a retrying filter (e.g. NBIOTestBIO) may
        # still let them through: only give up on those after many idle rounds.
        # A side stuck on WANT_WRITE behind such a filter may also get through later.
        waiting = wants_write or any(
            b is not None and b.pending() > 0 for b in (client.get_rbio(), server.get_rbio())
        )
        if idle_rounds >= (100 if waiting else 2):
            raise Deadlock("no progress possible: " + _sides_state(client, server), steps)
    raise StepLimit(
        f"not done after {limit} rounds, still making progress (raise max_steps): "
        + _sides_state(client, server),
        steps,
    )


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


def _check(
    knob: str, value: object, c_name: str, call: Callable[[], int], ok: int = 1, hint: str = ""
) -> None:
    """Run a setter; if it returns other than ``ok``, raise ValueError naming ``knob``.

    The entries the failed setter queued go into the message and off the queue
    (older entries stay), so a later ``get_error()`` is not misled by them.
    """
    mark = error_count()
    if call() == ok:
        return
    entries = errors_as_list()
    clear_error()
    for entry in entries[:mark]:
        put_entry(entry)
    queued = "; ".join(str(e) for e in entries[mark:]) or "nothing on the error queue"
    raise ValueError(f"tls_pair({knob}={value!r}): {c_name} failed ({queued}){hint}")


def tls_pair(
    kind: str = "ec256",
    *,
    transport: str = "pair",
    pair_size: int = 0,
    c2s_size: int | None = None,
    s2c_size: int | None = None,
    min_version: int = 0,
    max_version: int = 0,
    ciphersuites: str | None = None,
    cipher_list: str | None = None,
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
    """A client/server SSL pair over a BIO pair (``transport="pair"``) or memory BIOs.

    ``ciphersuites`` sets the TLS 1.3 suites (SSL_CTX_set_ciphersuites, e.g.
    ``"TLS_AES_128_GCM_SHA256"``) and ``cipher_list`` the TLS 1.2 ones
    (SSL_CTX_set_cipher_list, e.g. ``"ECDHE-ECDSA-AES128-GCM-SHA256"``), on
    both sides; ``groups``/``server_groups`` the key-exchange groups of each
    side.  ``pair_size`` is the size of both rings of the BIO pair (0: 17 KiB);
    ``c2s_size``/``s2c_size`` override it for the client-to-server and
    server-to-client direction.  A knob that its OpenSSL setter rejects raises
    ``ValueError`` naming the knob and what the setter queued.
    """
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
            _check("min_version", min_version, "SSL_CTX_set_min_proto_version",
                  functools.partial(ctx.set_min_proto_version, min_version))
        if max_version:
            _check("max_version", max_version, "SSL_CTX_set_max_proto_version",
                  functools.partial(ctx.set_max_proto_version, max_version))
        if ciphersuites:
            _check("ciphersuites", ciphersuites, "SSL_CTX_set_ciphersuites",
                  functools.partial(ctx.set_ciphersuites, ciphersuites),
                  hint="" if ciphersuites.startswith("TLS_") else
                  "; TLS 1.3 suite names start with TLS_, TLS 1.2 cipher strings go in "
                  "cipher_list=")
        if cipher_list:
            _check("cipher_list", cipher_list, "SSL_CTX_set_cipher_list",
                  functools.partial(ctx.set_cipher_list, cipher_list))
    if groups:
        _check("groups", groups, "SSL_CTX_set1_groups_list",
              functools.partial(cctx.set1_groups_list, groups))
    if server_groups:
        _check("server_groups", server_groups, "SSL_CTX_set1_groups_list",
              functools.partial(sctx.set1_groups_list, server_groups))
    if alpn:
        # SSL_CTX_set_alpn_protos returns 0 on success.
        _check("alpn", alpn, "SSL_CTX_set_alpn_protos",
              functools.partial(cctx.set_alpn_protos, list(alpn)), ok=0)
    if server_alpn is not None:
        prefs = list(server_alpn)

        def select(ssl: SSL, offered: list[bytes]) -> bytes | int:
            for proto in prefs:
                if proto in offered:
                    return proto
            return 3  # SSL_TLSEXT_ERR_NOACK

        sctx.set_alpn_select_cb(select)
    if tickets is not None:
        _check("tickets", tickets, "SSL_CTX_set_num_tickets",
              functools.partial(sctx.set_num_tickets, tickets))
    if client_cert:
        sctx.get_cert_store().add_cert(p.ca[0])
        sctx.set_verify(1 | 2)
        cctx.use_certificate(p.client[0])
        cctx.use_PrivateKey(p.client[1])
    if transport == "pair":
        sizes = {"pair_size": pair_size, "c2s_size": c2s_size, "s2c_size": s2c_size}
        for knob, size in sizes.items():
            if size is not None and size < 0:
                raise ValueError(f"tls_pair({knob}={size!r}): a ring size is >= 0")
        cb, sb = bio_pair(
            pair_size if c2s_size is None else c2s_size,
            pair_size if s2c_size is None else s2c_size,
        )
        cbios: tuple[BIO, BIO] = (cb, cb)
        sbios: tuple[BIO, BIO] = (sb, sb)
    elif transport == "mem":
        if pair_size or c2s_size or s2c_size:
            raise ValueError("tls_pair: ring sizes need transport='pair' (memory BIOs grow)")
        c2s, s2c = MemBIO(), MemBIO()
        # Writes land in the sender's own BIO; pump() shuttles them across.
        cbios, sbios = (MemBIO(), c2s), (MemBIO(), s2c)
    else:
        raise ValueError(f"unknown transport {transport!r}")
    client, server = SSL(cctx), SSL(sctx)
    client.set_bio(*cbios)
    server.set_bio(*sbios)
    if sni:
        _check("sni", sni, "SSL_set_tlsext_host_name",
              functools.partial(client.set_tlsext_host_name, sni))
        _check("sni", sni, "SSL_set1_host", functools.partial(client.set1_host, sni))
    pair = TLSPair(client, server, cctx, sctx, p, cbios, sbios)
    if connect:
        pair.handshake()
    return pair
