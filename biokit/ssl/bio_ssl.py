"""BIO_f_ssl: an SSL connection as a filter BIO (OpenSSL's ssl/bio_ssl.c).

Theory of operation
-------------------
An ``SSLBIO`` holds one ``SSL`` object and turns BIO calls into SSL calls::

    BIO_write(sslbio) -> SSL_write  -> the SSL's wbio --+
    BIO_read(sslbio)  -> SSL_read   <- the SSL's rbio --+-- usually ``sslbio.next``
    BIO_do_handshake  -> SSL_do_handshake

The SSL's transport is the BIO that follows the SSL BIO in its chain.  Pushing
a BIO after an SSL BIO (``sslbio.push(sock)``, BIO_CTRL_PUSH) makes it the
SSL's rbio and wbio; popping the SSL BIO (BIO_CTRL_POP) detaches them again;
``set_ssl`` on an SSL that already has an rbio links that rbio in as ``next``.

Retry flags are not copied from ``next`` as ordinary filters do: after each
call the SSL BIO asks ``SSL_get_error`` and turns the answer into its own
flags, exactly as ``ssl_read``/``ssl_write`` in bio_ssl.c do:

    WANT_READ        -> should_read
    WANT_WRITE       -> should_write
    WANT_X509_LOOKUP -> io-special, RetryReason.SSL_X509_LOOKUP
    WANT_CONNECT     -> io-special, RetryReason.CONNECT
    WANT_ACCEPT      -> io-special, RetryReason.ACCEPT (reads only: ssl_write has no case)
    anything else    -> no retry (ZERO_RETURN, SYSCALL, SSL)

``do_handshake`` (BIO_C_DO_STATE_MACHINE) maps WANT_READ, WANT_WRITE,
WANT_X509_LOOKUP and WANT_CONNECT (with the *next* BIO's retry reason), and
nothing else, as OpenSSL does.

Other corner cases kept from bio_ssl.c:

* There is no ``gets`` (-2, "unsupported method"): put a ``BufferBIO`` in front.
* ``puts`` is a ``BIO_write`` on the SSL BIO itself, so the write callback
  runs inside the puts callback and ``num_write`` counts the bytes twice.
* ``pending()`` is ``SSL_pending``, or the rbio's pending count when that is 0;
  ``wpending()``, ``flush()``, ``eof()`` and every unknown ctrl go to the
  SSL's rbio/wbio, not to ``next``; ``flush()`` then copies ``next``'s retry flags.
* ``reset()`` shuts the connection down (SSL_shutdown), clears the SSL for a new
  handshake in the same role, then resets ``next`` (or the rbio).
* Freeing an SSL BIO with BIO_CLOSE sends close_notify if the handshake is
  over, then frees the SSL (SSL_free).
* Renegotiation counters (``set_ssl_renegotiate_bytes``/``_timeout``) are
  kept with OpenSSL's clamps.  When one fires, OpenSSL calls SSL_renegotiate,
  which TLS 1.3 refuses with "wrong ssl version".  biokit refuses TLS 1.2
  renegotiation as well ("no renegotiation").  The refusal is left on the
  error queue as in OpenSSL, and the read or write still succeeds.

SSL_write's retry rule (the same buffer again after WANT_WRITE) compares
pointers in C.  A Python filter in front of the SSL BIO re-slices the same
bytes into a new object, which would look like a different buffer.  So a
retry whose bytes begin with those of the stalled write is handed to the SSL
as the original object.  A retry with other bytes still fails with
"bad write retry", which is fatal for the SSL, as in OpenSSL 3.0.

One difference comes from Python having no reference counts on BIOs.
OpenSSL's SSL and the chain each hold a reference to the transport BIO.
biokit lets the chain own it: freeing the SSL BIO never closes a BIO that
is still in its chain (``free_all`` does that), and it does close the SSL's
BIOs that are not in the chain.  The other way round, ``free_all`` on a chain
whose SSL BIO is BIO_NOCLOSE closes the transport the SSL still uses, where
OpenSSL's SSL would keep it alive.

tests/test_bio_ssl.py runs one scenario through libssl's BIO_f_ssl and
through SSLBIO and compares every return value, retry flag and error entry.
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

from biokit.bio.core import (
    BIO,
    BIO_CLOSE,
    BIO_FLAGS_IO_SPECIAL,
    BIO_FLAGS_READ,
    BIO_FLAGS_SHOULD_RETRY,
    BIO_FLAGS_WRITE,
    BIO_NOCLOSE,
    BIOType,
    Ctrl,
    FilterBIO,
    RetryReason,
)
from biokit.bio.f_buffer import BufferBIO
from biokit.bio.s_connect import ConnectBIO
from biokit.errors import BIOReason, Lib, SSLReason, put_error
from biokit.ssl.consts import ErrorCode, Version
from biokit.ssl.context import SSLContext
from biokit.ssl.ssl import SSL

__all__ = [
    "BIO_C_GET_SSL_NUM_RENEGOTIATES",
    "BIO_C_SET_SSL_RENEGOTIATE_BYTES",
    "BIO_C_SET_SSL_RENEGOTIATE_TIMEOUT",
    "BIO_C_SSL_MODE",
    "SSLBIO",
    "BIO_get_num_renegotiates",
    "BIO_get_ssl",
    "BIO_new_buffer_ssl_connect",
    "BIO_new_ssl",
    "BIO_new_ssl_connect",
    "BIO_set_ssl",
    "BIO_set_ssl_mode",
    "BIO_set_ssl_renegotiate_bytes",
    "BIO_set_ssl_renegotiate_timeout",
    "BIO_ssl_copy_session_id",
    "BIO_ssl_shutdown",
]

# BIO_C_* numbers of the SSL BIO that core's Ctrl does not name (<openssl/bio.h>).
BIO_C_SSL_MODE = 119
BIO_C_SET_SSL_RENEGOTIATE_BYTES = 125
BIO_C_GET_SSL_NUM_RENEGOTIATES = 126
BIO_C_SET_SSL_RENEGOTIATE_TIMEOUT = 127

_RETRY_CLEAR = ~(BIO_FLAGS_READ | BIO_FLAGS_WRITE | BIO_FLAGS_IO_SPECIAL | BIO_FLAGS_SHOULD_RETRY)


class SSLBIO(FilterBIO):
    """An SSL filter BIO (BIO_f_ssl); ``SSLBIO(ssl, close)`` is BIO_new + BIO_set_ssl.

    ``SSLBIO()`` alone is ``BIO_new(BIO_f_ssl())``: it has no SSL yet (reads
    and writes fail as "uninitialized") and its close flag is BIO_CLOSE.
    """

    bio_type: ClassVar[int] = BIOType.SSL
    bio_name: ClassVar[str] = "ssl"
    __slots__ = (
        "_byte_count",
        "_last_time",
        "_num_renegotiates",
        "_renegotiate_count",
        "_renegotiate_timeout",
        "_ssl",
        "_wpend",
        "_wpend_len",
    )

    def __init__(self, ssl: SSL | None = None, close: int = BIO_NOCLOSE) -> None:
        super().__init__()
        self._ssl: SSL | None = None
        self._wpend: bytes | bytearray | memoryview | None = None
        self._wpend_len = 0
        self._new_state()
        if ssl is not None:
            self.set_ssl(ssl, close)

    def _new_state(self) -> None:
        # ssl_new(): a zeroed BIO_SSL.
        self._num_renegotiates = 0
        self._renegotiate_count = 0
        self._byte_count = 0
        self._renegotiate_timeout = 0
        self._last_time = 0

    # ---------------------------------------------------------------- the macros

    def set_ssl(self, ssl: SSL, close: int = BIO_NOCLOSE) -> int:
        """BIO_set_ssl: use ``ssl`` (its rbio becomes ``next``); BIO_CLOSE frees it with the BIO."""
        return self.ctrl(Ctrl.C_SET_SSL, close, ssl)

    def get_ssl(self) -> SSL | None:
        """BIO_get_ssl: the SSL object inside."""
        return self._ssl

    def set_ssl_mode(self, client: bool | int) -> int:
        """BIO_set_ssl_mode: client (SSL_set_connect_state) or server (SSL_set_accept_state)."""
        return self.ctrl(BIO_C_SSL_MODE, 1 if client else 0)

    def do_handshake(self) -> int:
        """BIO_do_handshake: SSL_do_handshake, with retry flags from SSL_get_error."""
        return self.ctrl(Ctrl.C_DO_STATE_MACHINE)

    def ssl_shutdown(self) -> None:
        """BIO_ssl_shutdown on this BIO's chain: SSL_shutdown on every SSL BIO in it."""
        BIO_ssl_shutdown(self)

    def set_ssl_renegotiate_bytes(self, num: int) -> int:
        """BIO_set_ssl_renegotiate_bytes: renegotiate every ``num`` (>= 512) bytes; old value."""
        return self.ctrl(BIO_C_SET_SSL_RENEGOTIATE_BYTES, num)

    def set_ssl_renegotiate_timeout(self, seconds: int) -> int:
        """BIO_set_ssl_renegotiate_timeout: renegotiate every ``seconds``; the old value."""
        return self.ctrl(BIO_C_SET_SSL_RENEGOTIATE_TIMEOUT, seconds)

    def get_num_renegotiates(self) -> int:
        """BIO_get_num_renegotiates: renegotiations started by the counters."""
        return self.ctrl(BIO_C_GET_SSL_NUM_RENEGOTIATES)

    # ---------------------------------------------------------------- I/O

    def _read(self, size: int) -> bytes | int:
        ssl = self._ssl
        if ssl is None:
            # An SSL BIO without an SSL is not initialised: BIO_read refuses it.
            put_error(Lib.BIO, BIOReason.UNINITIALIZED)
            return -1
        r = ssl.read_c(size)
        if r.__class__ is bytes:
            self.retry_reason = 0
            if self._renegotiate_count or self._renegotiate_timeout:
                self._count(ssl, len(r))
            return r
        err = ssl.get_error(r)
        reason = 0
        if err == ErrorCode.WANT_READ:
            self.flags |= BIO_FLAGS_READ | BIO_FLAGS_SHOULD_RETRY
        elif err == ErrorCode.WANT_WRITE:
            self.flags |= BIO_FLAGS_WRITE | BIO_FLAGS_SHOULD_RETRY
        elif err == ErrorCode.WANT_X509_LOOKUP:
            self.flags |= BIO_FLAGS_IO_SPECIAL | BIO_FLAGS_SHOULD_RETRY
            reason = RetryReason.SSL_X509_LOOKUP
        elif err == ErrorCode.WANT_ACCEPT:
            self.flags |= BIO_FLAGS_IO_SPECIAL | BIO_FLAGS_SHOULD_RETRY
            reason = RetryReason.ACCEPT
        elif err == ErrorCode.WANT_CONNECT:
            self.flags |= BIO_FLAGS_IO_SPECIAL | BIO_FLAGS_SHOULD_RETRY
            reason = RetryReason.CONNECT
        self.retry_reason = reason
        return r

    def _write(self, data: bytes | bytearray | memoryview) -> int:
        ssl = self._ssl
        if ssl is None:
            put_error(Lib.BIO, BIOReason.UNINITIALIZED)
            return -1
        pend = self._wpend
        if pend is not None and data is not pend and _same_start(data, pend, self._wpend_len):
            data = pend
        n = ssl.write(data)
        if n > 0:
            self._wpend = None
            self.retry_reason = 0
            if self._renegotiate_count or self._renegotiate_timeout:
                self._count(ssl, n)
            return n
        err = ssl.get_error(n)
        if pend is None and err in (ErrorCode.WANT_WRITE, ErrorCode.WANT_READ):
            # Remembered until a write succeeds: the SSL waits for these same
            # bytes (anything else would be a fatal "bad write retry").
            self._wpend = data
            self._wpend_len = len(data)
        reason = 0
        if err == ErrorCode.WANT_WRITE:
            self.flags |= BIO_FLAGS_WRITE | BIO_FLAGS_SHOULD_RETRY
        elif err == ErrorCode.WANT_READ:
            self.flags |= BIO_FLAGS_READ | BIO_FLAGS_SHOULD_RETRY
        elif err == ErrorCode.WANT_X509_LOOKUP:
            self.flags |= BIO_FLAGS_IO_SPECIAL | BIO_FLAGS_SHOULD_RETRY
            reason = RetryReason.SSL_X509_LOOKUP
        elif err == ErrorCode.WANT_CONNECT:
            self.flags |= BIO_FLAGS_IO_SPECIAL | BIO_FLAGS_SHOULD_RETRY
            reason = RetryReason.CONNECT
        # ssl_write has no WANT_ACCEPT case: a write stalled on an accept
        # reports no retry at all.
        self.retry_reason = reason
        return n

    # BIO_f_ssl has no gets method: BIO_gets on it is "unsupported method" (-2).
    _gets = BIO._gets

    def _puts(self, data: bytes) -> int:
        # ssl_puts is BIO_write on the same BIO (callbacks and counters included).
        return self.write(data)

    def _count(self, ssl: SSL, n: int) -> None:
        """The renegotiation counters after a successful read or write."""
        fired = False
        if self._renegotiate_count > 0:
            self._byte_count += n
            if self._byte_count > self._renegotiate_count:
                self._byte_count = 0
                self._num_renegotiates += 1
                _renegotiate(ssl)
                fired = True
        if self._renegotiate_timeout > 0 and not fired:
            now = int(time.time())
            if now > self._last_time + self._renegotiate_timeout:
                self._last_time = now
                self._num_renegotiates += 1
                _renegotiate(ssl)

    # ---------------------------------------------------------------- ctrl

    def _ctrl(self, cmd: int, larg: int, parg: Any) -> int:
        ssl = self._ssl
        if cmd == Ctrl.C_SET_SSL:
            return self._set_ssl(parg, larg)
        if ssl is None:
            return 0
        if cmd == Ctrl.PENDING:
            return self._pending()
        if cmd == Ctrl.WPENDING:
            return self._wpending()
        if cmd == Ctrl.FLUSH:
            return self._flush()
        if cmd == Ctrl.EOF:
            return 1 if self._eof() else 0
        if cmd == Ctrl.RESET:
            return self._reset()
        if cmd == Ctrl.C_DO_STATE_MACHINE:
            return self._state_machine(ssl)
        if cmd == Ctrl.PUSH:
            nxt = self.next
            if nxt is not None and nxt is not ssl.rbio:
                ssl.set_bio(nxt, nxt)
            return 1
        if cmd == Ctrl.POP:
            # Only the SSL BIO being popped lets go of its transport (not a
            # pop further up the chain that reaches us).
            if parg is self:
                ssl.set_bio(None, None)
            return 1
        if cmd == Ctrl.C_GET_SSL:
            if isinstance(parg, list):
                parg[:] = [ssl]
                return 1
            return 0
        if cmd == Ctrl.GET_CLOSE:
            return self._shutdown
        if cmd == Ctrl.SET_CLOSE:
            self._shutdown = larg
            return 1
        if cmd == BIO_C_SSL_MODE:
            if larg:
                ssl.set_connect_state()
            else:
                ssl.set_accept_state()
            return 1
        if cmd == BIO_C_SET_SSL_RENEGOTIATE_TIMEOUT:
            old = self._renegotiate_timeout
            self._renegotiate_timeout = larg if larg >= 60 else 5
            self._last_time = int(time.time())
            return old
        if cmd == BIO_C_SET_SSL_RENEGOTIATE_BYTES:
            old = self._renegotiate_count
            if larg >= 512:
                self._renegotiate_count = larg
            return old
        if cmd == BIO_C_GET_SSL_NUM_RENEGOTIATES:
            return self._num_renegotiates
        if cmd in (Ctrl.INFO, Ctrl.DUP, Ctrl.SET_CALLBACK):
            # DUP would be SSL_dup, which biokit does not have.
            return 0
        rbio = ssl.rbio
        return rbio.ctrl(cmd, larg, parg) if rbio is not None else -1

    def _set_ssl(self, ssl: Any, close: int) -> int:
        if not isinstance(ssl, SSL):
            raise TypeError(f"BIO_set_ssl needs an SSL, not {type(ssl).__name__!r}")
        if ssl is self._ssl:
            # OpenSSL would free the SSL and then adopt the freed object; only
            # the close flag changes here.
            self._shutdown = close
            return 1
        if self._ssl is not None:
            # ssl_free + ssl_new: the old SSL goes (if ours to close), counters restart.
            self._free_ssl()
            self._new_state()
            self._wpend = None
        self._shutdown = close
        self._ssl = ssl
        rbio = ssl.rbio
        if rbio is not None and rbio is not self.next:
            nxt = self.next
            if nxt is not None and all(b is not nxt for b in rbio):
                rbio.push(nxt)
            self.next = rbio
            rbio.prev = self
        return 1

    def _state_machine(self, ssl: SSL) -> int:
        self.flags &= _RETRY_CLEAR
        self.retry_reason = 0
        ret = ssl.do_handshake()
        err = ssl.get_error(ret)
        if err == ErrorCode.WANT_READ:
            self.flags |= BIO_FLAGS_READ | BIO_FLAGS_SHOULD_RETRY
        elif err == ErrorCode.WANT_WRITE:
            self.flags |= BIO_FLAGS_WRITE | BIO_FLAGS_SHOULD_RETRY
        elif err == ErrorCode.WANT_CONNECT:
            self.flags |= BIO_FLAGS_IO_SPECIAL | BIO_FLAGS_SHOULD_RETRY
            nxt = self.next
            self.retry_reason = nxt.retry_reason if nxt is not None else 0
        elif err == ErrorCode.WANT_X509_LOOKUP:
            self.flags |= BIO_FLAGS_IO_SPECIAL | BIO_FLAGS_SHOULD_RETRY
            self.retry_reason = RetryReason.SSL_X509_LOOKUP
        return ret

    # The hooks behind pending()/wpending()/flush()/eof()/reset(): they ask the
    # SSL and its BIOs, not ``next``.
    def _pending(self) -> int:
        ssl = self._ssl
        if ssl is None:
            return 0
        n = ssl.pending()
        if n == 0 and ssl.rbio is not None:
            n = ssl.rbio.pending()
        return n

    def _wpending(self) -> int:
        ssl = self._ssl
        head = ssl._write_head() if ssl is not None else None
        return head.wpending() if head is not None else 0

    def _flush(self) -> int:
        ssl = self._ssl
        if ssl is None:
            return 0
        self.flags &= _RETRY_CLEAR
        # (During a handshake, through the SSL's buffering BIO, as libssl's ctrl
        # reaches s->wbio.)
        wbio = ssl._write_head()
        r = wbio.flush() if wbio is not None else -1
        self.copy_next_retry()
        return r

    def _eof(self) -> bool:
        ssl = self._ssl
        if ssl is None or ssl.rbio is None:
            return False
        return ssl.rbio.eof()

    def _reset(self) -> int:
        ssl = self._ssl
        if ssl is None:
            return 0
        ssl.shutdown()
        # SSL_clear keeps the role; OpenSSL re-arms it explicitly from the
        # handshake function, which biokit's SSL does not need.
        if ssl.is_server():
            ssl.set_accept_state()
        if not ssl.clear():
            return 0
        self._wpend = None
        nxt = self.next
        if nxt is not None:
            return nxt.reset()
        if ssl.rbio is not None:
            return ssl.rbio.reset()
        return 1

    # ---------------------------------------------------------------- lifetime

    def _free_ssl(self) -> None:
        """ssl_free: with BIO_CLOSE, SSL_shutdown (handshake over) then SSL_free."""
        ssl = self._ssl
        if self._shutdown and ssl is not None:
            if not ssl.in_init() and ssl.get_state().name != "ERROR":
                ssl.shutdown()
            # The chain still owns the BIOs that are in it (see the module notes).
            chain = list(self.next) if self.next is not None else []
            rb, wb = ssl.rbio, ssl.wbio
            if rb is not None and any(b is rb for b in chain):
                rb = None
            if wb is not None and any(b is wb for b in chain):
                wb = None
            ssl.set_bio(rb, wb)
            ssl.free()
            self.flags = 0
        self._ssl = None

    def _destroy(self) -> None:
        self._free_ssl()

    def __repr__(self) -> str:
        state = " closed" if not self._init else ""
        ssl = self._ssl
        what = "no SSL" if ssl is None else ("server" if ssl.is_server() else "client")
        return f"<SSLBIO {what}{state}>"


def _same_start(
    data: bytes | bytearray | memoryview, pend: bytes | bytearray | memoryview, n: int
) -> bool:
    """Does ``data`` begin with the ``n`` bytes of the write that is waiting to be retried?"""
    if len(data) < n or len(pend) < n:
        return False
    with memoryview(data) as a, memoryview(pend) as b:
        return a[:n] == b[:n]


def _renegotiate(ssl: SSL) -> None:
    """SSL_renegotiate as biokit can do it: refused, with OpenSSL's error entry."""
    fn = getattr(ssl, "renegotiate", None)
    if fn is not None:
        fn()
        return
    # OpenSSL 3 refuses TLS 1.3 with "wrong ssl version"; biokit renegotiates
    # no TLS 1.2 connection either, as with SSL_OP_NO_RENEGOTIATION.
    if ssl.version() == Version.TLS1_3:
        put_error(Lib.SSL, SSLReason.WRONG_SSL_VERSION)
    else:
        put_error(Lib.SSL, SSLReason.NO_RENEGOTIATION)


# -------------------------------------------------------------------- constructors


def BIO_new_ssl(ctx: SSLContext, client: bool | int) -> SSLBIO:
    """BIO_new_ssl: an SSL BIO owning (BIO_CLOSE) a new SSL in client or server mode."""
    ssl = SSL(ctx)
    if client:
        ssl.set_connect_state()
    else:
        ssl.set_accept_state()
    bio = SSLBIO()
    bio.set_ssl(ssl, BIO_CLOSE)
    return bio


def BIO_new_ssl_connect(ctx: SSLContext) -> SSLBIO:
    """BIO_new_ssl_connect: client SSL BIO -> connect BIO; returns the SSL BIO (the head)."""
    con = ConnectBIO()
    return BIO_new_ssl(ctx, 1).push(con)


def BIO_new_buffer_ssl_connect(ctx: SSLContext) -> BufferBIO:
    """BIO_new_buffer_ssl_connect: buffer BIO -> client SSL BIO -> connect BIO."""
    return BufferBIO().push(BIO_new_ssl_connect(ctx))


# -------------------------------------------------------------------- macros and helpers
# The C macros are BIO_ctrl calls, so they also work through filters in front
# of the SSL BIO (e.g. BIO_get_ssl on the head of BIO_new_buffer_ssl_connect).


def BIO_set_ssl(b: BIO, ssl: SSL, c: int) -> int:
    """BIO_set_ssl: BIO_ctrl(b, BIO_C_SET_SSL, c, ssl)."""
    return b.ctrl(Ctrl.C_SET_SSL, c, ssl)


def BIO_get_ssl(b: BIO) -> SSL | None:
    """BIO_get_ssl: BIO_ctrl(b, BIO_C_GET_SSL, 0, &ssl); the SSL, or None."""
    box: list[SSL] = []
    if b.ctrl(Ctrl.C_GET_SSL, 0, box) <= 0 or not box:
        return None
    return box[0]


def BIO_set_ssl_mode(b: BIO, client: int) -> int:
    """BIO_set_ssl_mode: BIO_ctrl(b, BIO_C_SSL_MODE, client, NULL)."""
    return b.ctrl(BIO_C_SSL_MODE, client)


def BIO_set_ssl_renegotiate_bytes(b: BIO, num: int) -> int:
    """BIO_set_ssl_renegotiate_bytes: BIO_ctrl(b, BIO_C_SET_SSL_RENEGOTIATE_BYTES, num, NULL)."""
    return b.ctrl(BIO_C_SET_SSL_RENEGOTIATE_BYTES, num)


def BIO_set_ssl_renegotiate_timeout(b: BIO, seconds: int) -> int:
    """BIO_set_ssl_renegotiate_timeout: BIO_ctrl(b, BIO_C_SET_SSL_RENEGOTIATE_TIMEOUT, ...)."""
    return b.ctrl(BIO_C_SET_SSL_RENEGOTIATE_TIMEOUT, seconds)


def BIO_get_num_renegotiates(b: BIO) -> int:
    """BIO_get_num_renegotiates: BIO_ctrl(b, BIO_C_GET_SSL_NUM_RENEGOTIATES, 0, NULL)."""
    return b.ctrl(BIO_C_GET_SSL_NUM_RENEGOTIATES)


def BIO_ssl_copy_session_id(to: BIO, frm: BIO) -> int:
    """BIO_ssl_copy_session_id: SSL_copy_session_id between the chains' SSL BIOs; 1 or 0."""
    t = to.find_type(BIOType.SSL)
    f = frm.find_type(BIOType.SSL)
    if not isinstance(t, SSLBIO) or not isinstance(f, SSLBIO):
        return 0
    ts, fs = t.get_ssl(), f.get_ssl()
    if ts is None or fs is None:
        return 0
    return ts.set_session(fs.get_session())


def BIO_ssl_shutdown(b: BIO | None) -> None:
    """BIO_ssl_shutdown: SSL_shutdown on the SSL of every SSL BIO in the chain."""
    while b is not None:
        if b.bio_type == BIOType.SSL and isinstance(b, SSLBIO):
            ssl = b.get_ssl()
            if ssl is not None:
                ssl.shutdown()
        b = b.next
