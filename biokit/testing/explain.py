"""explain(ssl, ret): SSL_get_error that says why.

``SSL_get_error(3)`` answers one question -- *what* to do next -- and hides
*why*.  ``explain(ssl, ret)`` walks the same rules in the same order as
``SSL.get_error`` (numbered as in the theory of operation of
``biokit/ssl/ssl.py``) and reports which one fired::

    0. ret > 0                                          -> NONE
    1. an entry on the error queue                      -> SSL (SYSCALL if a system entry)
    2. reading, and the rbio asked to retry             -> WANT_READ / WANT_WRITE /
                                                           WANT_CONNECT / WANT_ACCEPT
    3. writing, and the wbio asked to retry             -> (likewise)
    4. a callback asked to retry                        -> WANT_X509_LOOKUP / ..._CLIENT_HELLO_CB
    5. close_notify received                            -> ZERO_RETURN
    6. none of these                                    -> SYSCALL

together with the BIO in the rbio/wbio chain that blocked (the deepest one
carrying the retry flags), the direction, the operation, the handshake state,
the error-queue entry (rule 1) or the close_notify (rule 5), and advice.

The operation is the last public call made on the SSL object
(``SSL.last_call``: ``"SSL_read()"``, ``"SSL_write()"``...); before any call,
it is guessed from the state.

A failed transport lands on different rules in OpenSSL and in biokit.  On a
TCP reset libssl 3.0 returns -1 with ``SSL_ERROR_SYSCALL``, errno ECONNRESET
and an *empty* error queue: rule 6.  Python has no errno to leave behind, so
biokit's socket, fd, file, connect and accept BIOs push the errno as a
system-library entry ("error:80000068:system library::Connection reset by
peer"), and rule 1 answers SYSCALL for it.  Rule 6 remains for a BIO that
failed without queuing anything (a user's own BIO, ``ScheduleBIO``'s
``error`` event), as it is for every socket failure in C.
``explain`` also calls ``ssl.get_error(ret)`` and keeps its answer in
``reported``; ``agrees`` is False if the two ever differ (a bug in one of them).

Coupling (read-only): besides public API (``want()``, ``get_rbio()``,
``state_string_long()``, ``in_init()``...), ``explain`` reads three private
attributes of ``SSL`` exactly as ``SSL.get_error`` does -- ``_engine``
(``close_received``, ``alert_received``), ``_shutdown`` and ``options`` -- and
never writes anything, so calling it does not change what ``get_error`` says.
A change to how ``SSL.get_error`` decides must be mirrored here; the tests
compare both on every case.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from biokit.bio.core import BIO, RetryReason
from biokit.errors import ErrorEntry, Lib, errors_as_list
from biokit.ssl import SSL, ErrorCode, Op, Shutdown
from biokit.ssl.tls.enums import AlertDescription

__all__ = ["RULES", "Explanation", "explain"]

# SSL_want() values (SSL_NOTHING ... SSL_CLIENT_HELLO_CB).
_WANT_NAMES = {
    1: "SSL_NOTHING",
    2: "SSL_WRITING",
    3: "SSL_READING",
    4: "SSL_X509_LOOKUP",
    5: "SSL_ASYNC_PAUSED",
    6: "SSL_ASYNC_NO_JOBS",
    7: "SSL_CLIENT_HELLO_CB",
}
_WRITING, _READING, _X509_LOOKUP, _CLIENT_HELLO_CB = 2, 3, 4, 7

#: The rules of SSL_get_error(3), in the order they are tried.
RULES: dict[int, str] = {
    0: "ret > 0: the call succeeded",
    1: "an entry on the error queue: SYSCALL if the oldest is a system-library entry "
    "(biokit's socket/fd/file BIOs queue one with the errno when the transport fails), "
    "else SSL",
    2: "the SSL object was reading and its rbio asked to retry: should_read -> WANT_READ, "
    "should_write -> WANT_WRITE, io-special with BIO_RR_CONNECT/BIO_RR_ACCEPT -> "
    "WANT_CONNECT/WANT_ACCEPT (another reason -> SYSCALL)",
    3: "the SSL object was writing and its wbio asked to retry: should_read -> WANT_READ, "
    "should_write -> WANT_WRITE, io-special with BIO_RR_CONNECT/BIO_RR_ACCEPT -> "
    "WANT_CONNECT/WANT_ACCEPT (another reason -> SYSCALL)",
    4: "a callback asked to be called again: WANT_X509_LOOKUP / WANT_CLIENT_HELLO_CB",
    5: "a close_notify was received: ZERO_RETURN",
    6: "none of the above: SYSCALL (a BIO failed without asking to retry and nothing was "
    "queued: in C the cause is in errno; in biokit a socket/fd/file BIO would have queued "
    "it (rule 1), so here the failing BIO queued nothing)",
}

_ADVICE: dict[ErrorCode, str] = {
    ErrorCode.NONE: "nothing to do",
    ErrorCode.WANT_READ: "call the same function again once the rbio can give bytes "
    "(a socket is readable, the peer's bytes were moved into the BIO pair / memory BIO)",
    ErrorCode.WANT_WRITE: "call the same function again once the wbio can take bytes "
    "(a socket is writable, the BIO pair / memory BIO was drained); SSL_write must be "
    "retried with the same buffer",
    ErrorCode.WANT_CONNECT: "the BIO is still connecting: call the same function again",
    ErrorCode.WANT_ACCEPT: "the BIO is still accepting: call the same function again",
    ErrorCode.WANT_X509_LOOKUP: "the client certificate callback asked to be called "
    "again: call the same function again when it is ready",
    ErrorCode.WANT_CLIENT_HELLO_CB: "the client hello callback asked to be called again: "
    "call the same function again when it is ready",
    ErrorCode.SSL: "fatal: the connection failed (see the error queue); do not call "
    "SSL_shutdown",
    ErrorCode.SYSCALL: "fatal: the transport failed; a system-library entry on the queue "
    "holds the errno (in C, errno does and the queue is empty); with nothing queued, "
    "look at the BIO that failed; do not call SSL_shutdown",
    ErrorCode.ZERO_RETURN: "the peer closed the TLS connection cleanly: no more data "
    "will arrive; answer with SSL_shutdown",
}


def _flags(bio: BIO) -> str:
    names = []
    if bio.should_retry():
        names.append("retry")
    if bio.should_read():
        names.append("read")
    if bio.should_write():
        names.append("write")
    if bio.should_io_special():
        names.append("special")
    return "|".join(names) or "-"


def _blocked(top: BIO) -> BIO:
    """The deepest BIO of the chain that carries the retry flags the top one shows.

    Like BIO_get_retry_BIO, but only descends while the next BIO carries the
    *same* flags: a filter that injected a retry without touching ``next``
    (NBIOTestBIO, ScheduleBIO) is then named itself, even if ``next`` still
    holds flags from an older call.
    """
    b = top
    want = top.get_retry_flags()
    while b.next is not None and want and b.next.get_retry_flags() == want:
        b = b.next
    return b


def _bio_rule(bio: BIO) -> ErrorCode | None:
    """The code SSL_get_error derives from one BIO's retry state (None: no retry)."""
    if bio.should_read():
        return ErrorCode.WANT_READ
    if bio.should_write():
        return ErrorCode.WANT_WRITE
    if bio.should_io_special():
        if bio.retry_reason == RetryReason.CONNECT:
            return ErrorCode.WANT_CONNECT
        if bio.retry_reason == RetryReason.ACCEPT:
            return ErrorCode.WANT_ACCEPT
        return ErrorCode.SYSCALL
    return None


def _reason_name(reason: int) -> str:
    try:
        return f"BIO_RR_{RetryReason(reason).name}"
    except ValueError:
        return str(reason)


_DATA_CALLS = frozenset(("SSL_read()", "SSL_peek()", "SSL_write()"))


def _operation(ssl: SSL) -> str:
    """The last public call on ``ssl`` (``op`` overrides it), with what it was doing."""
    e = ssl._engine
    call = ssl.last_call
    if call is None:
        # No call yet: guess from the state.
        if e is None or (ssl.in_init() and not e.handshake_done):
            return "SSL_accept()" if ssl.is_server() else "SSL_connect()"
        if ssl._shutdown & Shutdown.SENT:
            return "SSL_shutdown()"
        return "SSL_read()/SSL_write()"
    if call in _DATA_CALLS and e is not None and ssl.in_init():
        # SSL_read/SSL_write run the handshake themselves when it is not done.
        if not e.handshake_done:
            return f"{call} (running the handshake first)"
        return f"{call} (in a post-handshake exchange)"
    return call


@dataclass
class Explanation:
    """Why ``SSL_get_error(ssl, ret)`` returned what it did (see ``explain``)."""

    ret: int
    code: ErrorCode
    reported: ErrorCode
    rule: int
    operation: str
    state: str
    want: str
    side: str
    direction: str | None = None
    bio: BIO | None = None
    chain: list[str] = field(default_factory=list)
    retry_flags: str = "-"
    retry_reason: int = 0
    error: ErrorEntry | None = None
    errors: list[ErrorEntry] = field(default_factory=list)
    close_notify: bool = False
    detail: str = ""

    @property
    def rule_text(self) -> str:
        """The text of the rule that fired."""
        return RULES[self.rule]

    @property
    def agrees(self) -> bool:
        """True when this explanation's code is what ``SSL.get_error`` returned."""
        return self.code == self.reported

    @property
    def advice(self) -> str:
        """What a caller should do about this code."""
        return _ADVICE.get(self.code, "see SSL_get_error(3)")

    def __str__(self) -> str:
        lines = [
            f"SSL_get_error({self.ret}) = SSL_ERROR_{self.code.name} "
            f"(rule {self.rule} of SSL_get_error(3))",
            f"  operation: {self.operation} on the {self.side}, state {self.state!r}, "
            f"SSL_want() = {self.want}",
            f"  rule {self.rule}: {self.rule_text}",
        ]
        if self.detail:
            lines.append(f"  why: {self.detail}")
        if self.bio is not None:
            lines.append(
                f"  blocked BIO: {type(self.bio).__name__} ({self.bio.bio_name!r}), "
                f"{self.direction} side, flags {self.retry_flags}"
                + (f", reason {_reason_name(self.retry_reason)}" if self.retry_reason else "")
            )
            lines.append(f"  chain: {' -> '.join(self.chain)}")
        for extra in self.errors[1:]:
            lines.append(f"  also queued: {extra}")
        lines.append(f"  what to do: {self.advice}")
        if not self.agrees:
            lines.append(
                f"  WARNING: SSL.get_error() said {self.reported.name}: explain() and "
                "get_error() disagree"
            )
        return "\n".join(lines)


def explain(ssl: SSL, ret: int | bytes, op: str | None = None) -> Explanation:
    """Explain ``ssl.get_error(ret)``: the rule of SSL_get_error(3), the BIO, the direction.

    ``op`` names the call that returned ``ret`` (e.g. ``"SSL_read()"``); without
    it the operation is guessed from the SSL's state.
    """
    if isinstance(ret, (bytes, bytearray)):
        ret = len(ret)
    reported = ssl.get_error(ret)
    want = ssl.want()
    ex = Explanation(
        ret=ret,
        code=ErrorCode.NONE,
        reported=reported,
        rule=0,
        operation=op or _operation(ssl),
        state=ssl.state_string_long(),
        want=_WANT_NAMES.get(want, str(want)),
        side="server" if ssl.is_server() else "client",
    )
    if ret > 0:
        ex.detail = "a positive return value is a success whatever else happened"
        return ex

    errors = errors_as_list()
    if errors:
        ex.rule, ex.error, ex.errors = 1, errors[0], errors
        system = errors[0].library == Lib.SYS
        ex.code = ErrorCode.SYSCALL if system else ErrorCode.SSL
        first = errors[0]
        ex.detail = (
            f"the oldest queued entry is {first}"
            + (f" ({first.data})" if first.data else "")
            + (f", raised in {first.func}() at {first.file}:{first.line}" if first.func else "")
        )
        return ex

    for rule, state, bio, direction in (
        (2, _READING, ssl.get_rbio(), "read"),
        (3, _WRITING, ssl.get_wbio(), "write"),
    ):
        if want != state or bio is None:
            continue
        code = _bio_rule(bio)
        if code is None:
            ex.detail = (
                f"the SSL object was {direction}ing, but its {direction[0]}bio "
                f"({type(bio).__name__}) did not ask to retry"
                + (" and reports EOF" if bio.eof() else "")
            )
            continue
        blocked = _blocked(bio)
        ex.rule, ex.code, ex.direction, ex.bio = rule, code, direction, blocked
        ex.chain = [type(b).__name__ for b in bio]
        ex.retry_flags = _flags(blocked)
        ex.retry_reason = blocked.retry_reason if bio.should_io_special() else 0
        ex.detail = (
            f"{type(blocked).__name__} in the {direction[0]}bio chain returned a retry "
            f"({ex.retry_flags})"
        )
        return ex

    if want in (_X509_LOOKUP, _CLIENT_HELLO_CB):
        ex.rule = 4
        if want == _X509_LOOKUP:
            ex.code = ErrorCode.WANT_X509_LOOKUP
            ex.detail = "a certificate callback returned 'retry'"
        else:
            ex.code = ErrorCode.WANT_CLIENT_HELLO_CB
            ex.detail = "the client hello callback returned 'retry'"
        return ex

    e = ssl._engine
    if (
        e is not None
        and (ssl._shutdown & Shutdown.RECEIVED or e.close_received)
        and e.alert_received in (None, AlertDescription.close_notify)
        and (e.close_received or ssl.options & Op.IGNORE_UNEXPECTED_EOF)
    ):
        # An EOF that SSL_OP_IGNORE_UNEXPECTED_EOF forgives also sets close_received
        # (OpenSSL records a close_notify as the warn_alert); only a real alert
        # leaves its description behind.
        real = e.alert_received == AlertDescription.close_notify
        ex.rule, ex.code, ex.close_notify = 5, ErrorCode.ZERO_RETURN, real
        ex.detail = (
            "the peer's close_notify alert arrived" if real
            else "the transport ended and SSL_OP_IGNORE_UNEXPECTED_EOF treats that as "
            "a close_notify"
        )
        return ex

    ex.rule, ex.code = 6, ErrorCode.SYSCALL
    if not ex.detail:
        seen: list[BIO] = []
        for name, b in (("rbio", ssl.get_rbio()), ("wbio", ssl.get_wbio())):
            if b is not None and all(b is not s for s in seen):
                seen.append(b)
                ex.detail += f"; {name} {type(b).__name__}: flags {_flags(b)}, eof {b.eof()}"
        ex.detail = "nothing queued, no BIO asked to retry, no close_notify" + ex.detail
    return ex
