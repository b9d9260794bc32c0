"""SSL: one TLS connection over BIOs, with OpenSSL's return-value contract.

Theory of operation
-------------------
This file is the only code that moves bytes between the TLS engine (sans-I/O,
``biokit.ssl.tls``) and BIOs.  Every call (``accept``, ``connect``,
``do_handshake``, ``read``, ``write``, ``shutdown``) runs the same driver loop::

        +--> flush the engine's pending output into the wbio ---- retry? --> -1 (WANT_WRITE)
        |         |
        |    goal reached? ------------------------------------- yes ----> 1 / data
        |         |
        |    read from the rbio exactly what the engine needs ---- retry? --> -1 (WANT_READ)
        |    (a 5-byte header, then the record body;            EOF?    --> error / SYSCALL
        |     everything it can with read_ahead on)
        |         |
        +---- feed the engine, let it process ----------------- TLSError -> alert + queue, -1

Blocking or not is never decided here.  A blocking BIO simply never asks to
retry, so the loop runs until the goal is reached or fails; a nonblocking BIO
asks to retry, the loop returns -1, and ``get_error()`` reads the retry flags
of the BIOs -- exactly SSL_get_error(3)'s order:

1. an entry on the error queue: SYSCALL if it is a system error, else SSL;
2. we were reading and the rbio should read -> WANT_READ (should write ->
   WANT_WRITE, io-special with RR_CONNECT/RR_ACCEPT -> WANT_CONNECT/ACCEPT);
3. we were writing and the wbio should write -> WANT_WRITE (...likewise);
4. a callback asked to retry -> WANT_X509_LOOKUP / WANT_CLIENT_HELLO_CB;
5. close_notify received -> ZERO_RETURN;
6. otherwise SYSCALL.

A fatal protocol error becomes, at exactly one boundary (``_fatal``): an
error-queue entry with OpenSSL's reason, the alert queued once, one attempt to
flush it, the connection marked failed, and -1.

Defence in depth: accept, connect, do_handshake, read, peek, write, shutdown
and key_update never let an exception out.  Anything unexpected raised under
them -- an engine bug, a user callback (info, msg, verify, servername, ALPN,
...) -- ends the connection as OpenSSL's SSLfatal(internal_error,
ERR_R_INTERNAL_ERROR) would: one "internal error" entry whose data is the
exception's type and text, one internal_error alert, -1 (0 for key_update).
Two things still raise, both the caller's own doing: a wrong argument type
(TypeError, before anything happens) and an exception from the caller's own
BIO, which reaches the caller unchanged (``_BIOFailure``).

While the state machine runs, handshake records go to the wbio as libssl's
go: one BIO_write per record into a 4096-byte buffering BIO in front of the
wbio (ssl_init_wbio_buffer), pushed out with BIO_flush only at the flush points
of ``states.FLUSH`` (statem_flush).  The engine stops after each message
(``Status.WROTE``/``FLUSH``) so that a full transport stops the handshake in
the state libssl reports: "SSLv3/TLS write finished", not a later one.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from biokit.bio.core import BIO, BIO_NOCLOSE, RetryReason
from biokit.errors import (
    ERR_RFLAG_COMMON,
    Lib,
    SSLReason,
    clear_error,
    get_lib,
    peek_error,
    put_error,
)
from biokit.ssl.consts import (
    KEY_UPDATE_NONE,
    KEY_UPDATE_NOT_REQUESTED,
    KEY_UPDATE_REQUESTED,
    TLSEXT_ERR,
    VERSION_NAMES,
    ErrorCode,
    InfoWhere,
    Mode,
    Op,
    Shutdown,
    Verify,
    Version,
)
from biokit.ssl.context import OptionsAndModes, SSLContext
from biokit.ssl.tls.config import (
    RETRY,
    CertKey,
    ClientHelloInfo,
    EngineConfig,
    EngineHooks,
    PeerVerdict,
    SessionData,
)
from biokit.ssl.tls.engine import Engine, Flow, Status
from biokit.ssl.tls.enums import AlertDescription, AlertLevel
from biokit.ssl.tls.errors import TLSError
from biokit.ssl.tls.states import HandState
from biokit.ssl.x509 import X509

if TYPE_CHECKING:
    from biokit.ssl.tls.suites import Suite

__all__ = [
    "SSL",
    "X509_STORE_CTX_SSL_IDX",
    "SSLCipher",
    "get_ex_data_X509_STORE_CTX_idx",
    "store_ctx_get_ex_data",
]

X509_V_OK = 0

# What the connection was doing when it stopped (OpenSSL's rwstate).
_NOTHING = 1
_WRITING = 2
_READING = 3
_X509_LOOKUP = 4
_CLIENT_HELLO_CB = 7

_MAX_READ_AHEAD = 16384 + 2048 + 5

# Plain-int copies of the flags tested on every SSL_read/SSL_write: an IntFlag
# ``&`` builds a new enum member (about 0.5 us), an int ``&`` does not.
_SENT = int(Shutdown.SENT)
_RECEIVED = int(Shutdown.RECEIVED)
_PARTIAL_WRITE = int(Mode.ENABLE_PARTIAL_WRITE)
_MOVING_BUFFER = int(Mode.ACCEPT_MOVING_WRITE_BUFFER)

# ssl_x509err2alert (ssl/statem/statem_lib.c, OpenSSL 3.0): which alert a failed
# verification sends.  Numbers are 3.0's: 24 is "issuer certificate doesn't have a
# public key" there (not in the table), INVALID_CA moved to 79.  Any code not
# listed gets certificate_unknown.
_AD = AlertDescription
_X509_ALERTS = {
    1: _AD.internal_error,  # unspecified
    2: _AD.unknown_ca,  # unable to get issuer certificate
    3: _AD.unknown_ca,  # unable to get certificate CRL
    4: _AD.bad_certificate,  # unable to decrypt certificate's signature
    5: _AD.bad_certificate,  # unable to decrypt CRL's signature
    6: _AD.bad_certificate,  # unable to decode issuer public key
    7: _AD.decrypt_error,  # certificate signature failure
    8: _AD.decrypt_error,  # CRL signature failure
    9: _AD.bad_certificate,  # certificate is not yet valid
    10: _AD.certificate_expired,  # certificate has expired
    11: _AD.bad_certificate,  # CRL is not yet valid
    12: _AD.certificate_expired,  # CRL has expired
    13: _AD.bad_certificate,  # format error in notBefore
    14: _AD.bad_certificate,  # format error in notAfter
    15: _AD.bad_certificate,  # format error in CRL lastUpdate
    16: _AD.bad_certificate,  # format error in CRL nextUpdate
    17: _AD.internal_error,  # out of memory
    18: _AD.unknown_ca,  # self-signed certificate
    19: _AD.unknown_ca,  # self-signed certificate in chain
    20: _AD.unknown_ca,  # unable to get local issuer certificate
    21: _AD.unknown_ca,  # unable to verify the first certificate
    22: _AD.unknown_ca,  # certificate chain too long
    23: _AD.certificate_revoked,
    25: _AD.unknown_ca,  # path length constraint exceeded
    26: _AD.unsupported_certificate,  # unsuitable certificate purpose
    27: _AD.bad_certificate,  # certificate not trusted
    28: _AD.bad_certificate,  # certificate rejected
    33: _AD.unknown_ca,  # unable to get CRL issuer certificate
    50: _AD.handshake_failure,  # application verification failure
    62: _AD.bad_certificate,  # hostname mismatch
    63: _AD.bad_certificate,  # email address mismatch
    64: _AD.bad_certificate,  # IP address mismatch
    65: _AD.bad_certificate,  # no matching DANE TLSA records
    66: _AD.bad_certificate,  # EE certificate key too weak
    67: _AD.bad_certificate,  # CA certificate key too weak
    68: _AD.bad_certificate,  # CA signature digest algorithm too weak
    69: _AD.internal_error,  # invalid certificate verification context
    70: _AD.internal_error,  # issuer certificate lookup error
    79: _AD.unknown_ca,  # invalid CA certificate
}


class _BIOFailure(Exception):
    """Carries an exception raised by one of the caller's BIOs past the catch-all.

    A BIO is the caller's own object (a testing BIO may raise on purpose, e.g.
    ReplayBIO on a mismatch): its exceptions reach the caller unchanged, like a
    wrong argument's TypeError.  Everything else that raises inside a call --
    the engine, a callback -- ends the connection with internal_error instead.
    """

    def __init__(self, exc: Exception) -> None:
        super().__init__(exc)
        self.exc = exc


# SSL_get_ex_data_X509_STORE_CTX_idx(): the X509_STORE_CTX ex_data slot holding
# the SSL whose peer is being verified.  libssl allocates it once per process;
# slot 0 is app data, so a fresh process gets 1.
X509_STORE_CTX_SSL_IDX = 1


def get_ex_data_X509_STORE_CTX_idx() -> int:
    """SSL_get_ex_data_X509_STORE_CTX_idx: the slot of the SSL in a verify callback's store."""
    return X509_STORE_CTX_SSL_IDX


def store_ctx_get_ex_data(store: Any, idx: int) -> Any:
    """X509_STORE_CTX_get_ex_data: the SSL at X509_STORE_CTX_SSL_IDX (else None)."""
    return getattr(store, "ssl", None) if idx == X509_STORE_CTX_SSL_IDX else None


class SSLCipher:
    """An SSL_CIPHER as SSL_get_current_cipher returns it."""

    __slots__ = ("_suite",)

    def __init__(self, suite: Suite) -> None:
        self._suite = suite

    def get_name(self) -> str:
        """SSL_CIPHER_get_name: OpenSSL's name (``TLS_AES_128_GCM_SHA256``, ``ECDHE-...``)."""
        return self._suite.openssl_name

    def standard_name(self) -> str:
        """SSL_CIPHER_standard_name: the IANA name."""
        return self._suite.name

    def get_bits(self) -> int:
        """SSL_CIPHER_get_bits: the secret key bits."""
        return self._suite.bits

    def get_version(self) -> str:
        """SSL_CIPHER_get_version: the protocol the suite first appeared in."""
        return "TLSv1.3" if self._suite.version == Version.TLS1_3 else "TLSv1.2"

    def get_id(self) -> int:
        """SSL_CIPHER_get_protocol_id: the two-byte IANA value."""
        return self._suite.id

    def __repr__(self) -> str:
        return f"<SSLCipher {self.get_name()}>"


class _Hooks(EngineHooks):
    """EngineHooks that run an SSL's callbacks (the engine sees only this interface)."""

    def __init__(self, ssl: SSL) -> None:
        self.ssl = ssl

    def random(self, n: int) -> bytes:
        rnd = self.ssl._random
        return rnd(n) if rnd is not None else super().random(n)

    def key_rng(self) -> Callable[[int], bytes] | None:
        return self.ssl._random

    def now(self) -> datetime:
        clock = self.ssl._clock
        return clock() if clock is not None else super().now()

    def client_hello(self, info: ClientHelloInfo) -> tuple[int, AlertDescription]:
        ssl = self.ssl
        cb = ssl.ctx.client_hello_cb
        if cb is None:
            return 1, AlertDescription.internal_error
        # The SSL_client_hello_* inspectors answer during the callback, and
        # between the calls of one that asked to be called again.  (libssl keeps
        # s->clienthello a little longer -- its servername callback sees what the
        # extension parsers left of it, e.g. an empty cipher list -- but
        # documents the inspectors for the client hello callback only.)
        ssl._client_hello = info
        ssl._ch_live = True
        try:
            r = cb(ssl, ssl.ctx.client_hello_arg)
        except BaseException:
            ssl._ch_live = False
            raise
        code, alert = (r if isinstance(r, tuple) else (r, AlertDescription.internal_error))
        ssl._ch_live = int(code) == RETRY
        return int(code), AlertDescription(alert)

    def servername(self, name: str | None) -> tuple[int, AlertDescription]:
        ssl = self.ssl
        ssl._servername_received = name
        cb = ssl.ctx.servername_cb
        if cb is None:
            return (TLSEXT_ERR.NOACK if name is None else TLSEXT_ERR.OK), (
                AlertDescription.unrecognized_name
            )
        r = cb(ssl, ssl.ctx.servername_arg)
        code, alert = (r if isinstance(r, tuple) else (r, AlertDescription.unrecognized_name))
        return int(code), AlertDescription(alert)

    def config(self) -> EngineConfig | None:
        ssl = self.ssl
        if not ssl._ctx_switched:
            return None
        ssl._ctx_switched = False
        return ssl._build_config(server=True)

    def alpn_select(self, offered: list[bytes]) -> tuple[int, bytes | None]:
        ssl = self.ssl
        cb = ssl.ctx.alpn_select_cb
        if cb is None:
            return TLSEXT_ERR.NOACK, None
        r = cb(ssl, offered)
        if r is None:
            return TLSEXT_ERR.NOACK, None
        if isinstance(r, int):
            return r, None
        return TLSEXT_ERR.OK, bytes(r)

    def verify_peer(self, chain: list[bytes]) -> PeerVerdict:
        # Deliver the state changes so far first: OpenSSL's info callback has
        # already printed "read encrypted extensions" when verification runs.
        self.ssl._dispatch_events()
        return self.ssl._verify_peer(chain)

    def client_certificate(self) -> CertKey | int | None:
        return self.ssl._client_certificate()

    def new_session(self, session: SessionData) -> None:
        ssl = self.ssl
        ssl._session = session
        cb = ssl.ctx.new_session_cb
        if cb is not None:
            cb(ssl, session)

    def ticket_key(self) -> bytes:
        return self.ssl.ctx.ticket_key

    def hrr_cookie(self) -> bytes | None:
        cb = self.ssl.ctx.cookie_generate_cb
        return bytes(cb(self.ssl)) if cb is not None else None

    def verify_hrr_cookie(self, cookie: bytes, sent: bytes) -> bool:
        cb = self.ssl.ctx.cookie_verify_cb
        return bool(cb(self.ssl, cookie)) if cb is not None else cookie == sent


class SSL(OptionsAndModes):
    """One TLS connection (SSL_new); blocking or not only through its BIOs."""

    def __init__(self, ctx: SSLContext) -> None:
        self.ctx = ctx
        self._initial_ctx = ctx
        self.options = ctx.options
        self.mode = ctx.mode
        self.verify_mode = ctx.verify_mode
        self.verify_callback = ctx.verify_callback
        self.verify_depth = ctx.verify_depth
        self.info_callback: Callable[[SSL, int, int], None] | None = None
        self.msg_callback: Callable[..., None] | None = None
        self.alpn_protos = list(ctx.alpn_protos)
        self.min_proto_version = ctx.min_proto_version
        self.max_proto_version = ctx.max_proto_version
        self.rbio: BIO | None = None
        self.wbio: BIO | None = None
        method = ctx.method
        self._server: bool | None = (
            None if method.client and method.server else bool(method.server)
        )
        self._engine: Engine | None = None
        self._rwstate = _NOTHING
        self._host: str | None = None
        self._sni: str | None = None
        self._servername_received: str | None = None
        self._verify_result = X509_V_OK
        self._peer_chain: list[X509] = []
        self._verified_chain: list[X509] = []
        self._shutdown = Shutdown.NONE
        self._wpend: tuple[Any, int] | None = None
        self._session: SessionData | None = None
        self._client_hello: ClientHelloInfo | None = None
        self._ch_live = False
        self._ex_data: dict[int, Any] = {}
        self._ctx_switched = False
        self._cb_state: HandState | None = None
        # The handshake's buffering BIO (ssl_init_wbio_buffer) and where the
        # write state machine stopped: records not yet in it, a flush not done.
        self._bbio: BIO | None = None
        self._bbio_on = False
        self._write_due = False
        self._flush_due = False
        self._random: Callable[[int], bytes] | None = None
        self._clock: Callable[[], datetime] | None = None
        self._client_cert: tuple[X509, Any] | None = None
        # CertificateRequests sent on this SSL; like libssl's certreqs_sent it
        # outlives SSL_clear, so SSL_VERIFY_CLIENT_ONCE holds for a reused SSL.
        self._certreqs_sent = 0
        self.app_data: Any = None
        # The C name of the last public I/O call ("SSL_read()"...), for explain():
        # after the handshake, the state alone cannot tell a read from a write.
        self.last_call: str | None = None

    # ================================================================ setup

    def set_bio(self, rbio: BIO | None, wbio: BIO | None) -> None:
        """SSL_set_bio: attach the read and write BIOs (the same BIO twice is fine)."""
        self.rbio = rbio
        self.wbio = wbio

    def set0_rbio(self, rbio: BIO | None) -> None:
        """SSL_set0_rbio."""
        self.rbio = rbio

    def set0_wbio(self, wbio: BIO | None) -> None:
        """SSL_set0_wbio."""
        self.wbio = wbio

    def get_rbio(self) -> BIO | None:
        """SSL_get_rbio."""
        return self.rbio

    def get_wbio(self) -> BIO | None:
        """SSL_get_wbio."""
        return self.wbio

    def set_fd(self, fd: int | socket.socket) -> int:
        """SSL_set_fd: a socket BIO (BIO_NOCLOSE) as both rbio and wbio."""
        from biokit.bio.s_socket import SocketBIO

        bio = SocketBIO(fd, BIO_NOCLOSE)
        self.set_bio(bio, bio)
        return 1

    def get_fd(self) -> int:
        """SSL_get_fd: the descriptor of the rbio's socket, or -1."""
        if self.rbio is None:
            return -1
        for b in self.rbio:
            num = getattr(b, "num", None)
            if isinstance(num, int) and num >= 0:
                return num
        return -1

    def set_accept_state(self) -> None:
        """SSL_set_accept_state: act as the server."""
        self._server = True
        self._drop_engine()

    def set_connect_state(self) -> None:
        """SSL_set_connect_state: act as the client."""
        self._server = False
        self._drop_engine()

    def _drop_engine(self) -> None:
        e = self._engine
        if e is not None and e.hs.cert_request_sent:
            self._certreqs_sent += 1
        self._engine = None

    def is_server(self) -> bool:
        """SSL_is_server."""
        return bool(self._server)

    def get_SSL_CTX(self) -> SSLContext:
        """SSL_get_SSL_CTX."""
        return self.ctx

    def set_SSL_CTX(self, ctx: SSLContext) -> SSLContext:
        """SSL_set_SSL_CTX: switch context (certificates) -- used from a servername callback."""
        if ctx is not self.ctx:
            self.ctx = ctx
            self._ctx_switched = True
        return ctx

    def set1_host(self, host: str | None) -> int:
        """SSL_set1_host: the name (or IP address) the peer certificate must match."""
        self._host = host
        return 1

    def get0_peername(self) -> str | None:
        """SSL_get0_peername: the name that matched."""
        return self._host if self._verify_result == X509_V_OK else None

    def set_tlsext_host_name(self, name: str | None) -> int:
        """SSL_set_tlsext_host_name: the SNI name a client sends."""
        if name is not None and (not name or len(name) > 255):
            put_error(Lib.SSL, SSLReason.SSL3_EXT_INVALID_SERVERNAME)
            return 0
        self._sni = name
        return 1

    def get_servername(self, kind: int = 0) -> str | None:
        """SSL_get_servername: the SNI name (sent as client, received as server)."""
        if self._server:
            return self._servername_received
        return self._sni

    def set_alpn_protos(self, protos: Any) -> int:
        """SSL_set_alpn_protos: 0 on success, as OpenSSL."""
        from biokit.ssl.context import _encode_alpn

        parsed = _encode_alpn(protos)
        if parsed is None:
            return 1
        self.alpn_protos = parsed
        return 0

    def set_verify(self, mode: int, callback: Any = None) -> None:
        """SSL_set_verify."""
        self.verify_mode = Verify(mode)
        self.verify_callback = callback

    def set_verify_depth(self, depth: int) -> None:
        """SSL_set_verify_depth."""
        self.verify_depth = depth

    def set_min_proto_version(self, version: int) -> int:
        """SSL_set_min_proto_version."""
        self.min_proto_version = version
        return 1

    def set_max_proto_version(self, version: int) -> int:
        """SSL_set_max_proto_version."""
        self.max_proto_version = version
        return 1

    def set_info_callback(self, cb: Callable[[SSL, int, int], None] | None) -> None:
        """SSL_set_info_callback."""
        self.info_callback = cb

    def set_msg_callback(self, cb: Callable[..., None] | None) -> None:
        """SSL_set_msg_callback: ``cb(write_p, version, content_type, data, ssl)``."""
        self.msg_callback = cb
        e = self._engine
        if e is not None:
            # Also for a connection already under way (KeyUpdates, alerts...).
            e.config.msg_trace = (cb or self.ctx.msg_callback) is not None

    def use_certificate(self, cert: X509, key: Any) -> int:
        """SSL_use_certificate + SSL_use_PrivateKey for this connection only (client certs)."""
        self._client_cert = (cert, key)
        return 1

    def set_session(self, session: SessionData | None) -> int:
        """SSL_set_session: a ticket to resume with."""
        self._session = session
        return 1

    def get_session(self) -> SessionData | None:
        """SSL_get1_session: the newest ticket received (clients)."""
        return self._session

    def set_random_source(self, source: Callable[[int], bytes] | None) -> None:
        """Testing hook: the randoms, session ids, ticket data and ephemeral keys of
        this connection come from ``source(n)`` (no OpenSSL equivalent).

        With a seeded source on both sides and deterministic signatures (Ed25519
        or Ed448 certificates), a handshake is reproducible byte for byte;
        ECDSA and RSA-PSS signatures stay randomized by OpenSSL."""
        self._random = source

    def set_time_source(self, clock: Callable[[], datetime] | None) -> None:
        """Testing hook: "now" for certificate validity, ticket ages and ticket issue
        times comes from ``clock()`` (an aware datetime); no OpenSSL equivalent."""
        self._clock = clock

    # ================================================================ state

    def _ensure_engine(self) -> Engine | None:
        if self._engine is None:
            if self._server is None:
                put_error(Lib.SSL, 144, depth=2)  # SSL_R_CONNECTION_TYPE_NOT_SET
                return None
            self._engine = Engine(self._build_config(self._server), _Hooks(self))
        return self._engine

    def _build_config(self, server: bool) -> EngineConfig:
        ctx = self.ctx
        opts = self.options
        min_v = self.min_proto_version or Version.TLS1_2
        max_v = self.max_proto_version or Version.TLS1_3
        if opts & Op.NO_TLSv1_3 and max_v >= Version.TLS1_3:
            max_v = Version.TLS1_2
        if opts & Op.NO_TLSv1_2 and min_v <= Version.TLS1_2:
            min_v = Version.TLS1_3
        certs = list(ctx.certs)
        if self._client_cert is not None and not server:
            cert, key = self._client_cert
            certs = [CertKey([cert.to_der()], key, {"x509": [cert]})]
        return EngineConfig(
            server=server,
            min_version=max(min_v, Version.TLS1_2),
            max_version=min(max_v, Version.TLS1_3),
            suites13=tuple(ctx.suites13),
            suites12=tuple(ctx.suites12),
            groups=tuple(ctx.groups),
            sigalgs=tuple(ctx.sigalgs),
            certs=certs,
            verify_peer=bool(self.verify_mode & Verify.PEER),
            require_peer_cert=bool(self.verify_mode & Verify.FAIL_IF_NO_PEER_CERT),
            client_once=bool(self.verify_mode & Verify.CLIENT_ONCE) and self._certreqs_sent > 0,
            client_ca_names=tuple(c.to_cryptography().subject.public_bytes()
                                  for c in ctx.client_ca_list),
            middlebox_compat=bool(opts & Op.ENABLE_MIDDLEBOX_COMPAT),
            server_preference=bool(opts & Op.CIPHER_SERVER_PREFERENCE),
            prioritize_chacha=bool(opts & Op.PRIORITIZE_CHACHA),
            num_tickets=ctx.num_tickets,
            tickets_enabled=not opts & Op.NO_TICKET,
            alpn=tuple(self.alpn_protos),
            server_name=self._sni,
            session=self._session if not server else None,
            block_padding=ctx.block_padding,
            max_fragment=ctx.max_send_fragment,
            keylog=ctx.keylog_callback is not None,
            msg_trace=(self.msg_callback or ctx.msg_callback) is not None,
            coalesce_handshake=ctx.coalesce_handshake,
            send_hrr_cookie=ctx.cookie_generate_cb is not None,
        )

    def get_state(self) -> HandState:
        """SSL_get_state: OpenSSL's hand state."""
        if self._cb_state is not None:
            return self._cb_state
        e = self._engine
        if e is None:
            return HandState.BEFORE
        if e.failed:
            return HandState.ERROR
        return e.state

    def state_string_long(self) -> str:
        """SSL_state_string_long: e.g. ``"SSLv3/TLS read client hello"``."""
        return self.get_state().long_name

    def state_string(self) -> str:
        """SSL_state_string: e.g. ``"TRCH"``."""
        return self.get_state().short_name

    def in_init(self) -> bool:
        """SSL_in_init."""
        e = self._engine
        return e is None or e.in_init()

    def in_before(self) -> bool:
        """SSL_in_before."""
        e = self._engine
        return e is None or (e.state is HandState.BEFORE and not e.failed)

    def is_init_finished(self) -> bool:
        """SSL_is_init_finished."""
        e = self._engine
        return e is not None and e.handshake_done and not e.in_init()

    # ================================================================ the driver

    def _flush(self) -> int:
        """Write the engine's pending output to the wbio; 1, or the BIO's value <= 0."""
        e = self._engine
        wbio = self.wbio
        assert e is not None
        if wbio is None:
            put_error(Lib.SSL, SSLReason.BIO_NOT_SET, depth=2)
            return -1
        if self._bbio_on:
            # During the handshake (an alert, say): through the buffering BIO, then
            # BIO_flush, as ssl3_dispatch_alert does.
            if not e.pending_output() and not (self._bbio and self._bbio.wpending()):
                return 1
            r = self._send_records()
            return r if r <= 0 else self._flush_bbio()
        while e.pending_output():
            data = e.take_output()
            try:
                n = wbio.write(data)
            except Exception as exc:
                raise _BIOFailure(exc) from exc
            if n <= 0:
                self._rwstate = _WRITING
                return n
            e.consume_output(n)
        return 1

    def _handshake_bbio(self, wbio: BIO) -> BIO:
        bb = self._bbio
        if bb is None:
            from biokit.bio.f_buffer import BufferBIO

            bb = self._bbio = BufferBIO()
        # (Linked by hand, not pushed: the user's wbio keeps its own chain.)
        bb.next = wbio
        return bb

    def _write_head(self) -> BIO | None:
        """The write chain as libssl sees it (s->wbio): the buffering BIO while it is on."""
        wbio = self.wbio
        if self._bbio_on and self._bbio is not None and wbio is not None:
            return self._handshake_bbio(wbio)
        return wbio

    def _send_records(self) -> int:
        """The engine's pending records into the buffering BIO, one BIO_write each."""
        e = self._engine
        wbio = self.wbio
        assert e is not None
        if wbio is None:
            put_error(Lib.SSL, SSLReason.BIO_NOT_SET, depth=2)
            return -1
        bb = self._handshake_bbio(wbio)
        while e.pending_output():
            try:
                n = bb.write(e.output_head())
            except Exception as exc:
                raise _BIOFailure(exc) from exc
            if n <= 0:
                self._rwstate = _WRITING
                return n
            e.consume_output(n)
        return 1

    def _flush_bbio(self) -> int:
        """statem_flush(): BIO_flush of the buffering BIO (and so of the wbio)."""
        wbio = self.wbio
        if wbio is None:
            put_error(Lib.SSL, SSLReason.BIO_NOT_SET, depth=2)
            return -1
        try:
            f = self._handshake_bbio(wbio).flush()
        except Exception as exc:
            raise _BIOFailure(exc) from exc
        if f <= 0:
            self._rwstate = _WRITING
            return f
        return 1

    def _fill(self) -> int:
        """Read what the engine needs from the rbio; > 0, or the BIO's value <= 0."""
        e = self._engine
        rbio = self.rbio
        assert e is not None
        if rbio is None:
            put_error(Lib.SSL, SSLReason.READ_BIO_NOT_SET, depth=2)
            return -1
        need = e.bytes_needed()
        if need == 0:
            return 1
        read_ahead = self.ctx.read_ahead
        got = 0
        while True:
            want = max(need, _MAX_READ_AHEAD) if read_ahead else need
            try:
                r = rbio.read_c(want)
            except Exception as exc:
                raise _BIOFailure(exc) from exc
            if not isinstance(r, bytes):
                break
            e.feed(r)
            got += len(r)
            # A header that came whole is followed at once by the read of its
            # body: the same BIO reads, in the same order, as one call per piece.
            if len(r) < want:
                return got
            need = e.bytes_needed()
            if need == 0:
                return got
        self._rwstate = _READING
        if not rbio.should_retry() and rbio.eof():
            if self.options & Op.IGNORE_UNEXPECTED_EOF:
                e.close_received = True
                self._shutdown |= Shutdown.RECEIVED
            else:
                self._rwstate = _NOTHING
                self._fatal(
                    TLSError(AlertDescription.decode_error, SSLReason.UNEXPECTED_EOF_WHILE_READING)
                )
        elif not rbio.should_retry():
            self._rwstate = _NOTHING
        return r

    def _fatal(self, err: TLSError) -> int:
        """The one boundary: queue entry, one alert, one flush attempt, failed state, -1."""
        e = self._engine
        if err.first is not None:
            put_error(err.first[0], err.first[1], depth=2)
        put_error(Lib.SSL, err.reason, err.detail, depth=2)
        if e is not None:
            if err.alert is not None and not e.failed:
                e.send_alert(err.alert)
                self._dispatch_events()
                if self.wbio is not None:
                    saved = self._rwstate
                    self._flush()
                    self._rwstate = saved
            e.failed = True
            if err.alert is None and e.alert_received is not None:
                self._shutdown |= Shutdown.RECEIVED
            self._info_exit(-1)
        return -1

    def _internal_error(self, exc: Exception) -> int:
        """Defence in depth: an exception nobody expected ends the connection like
        SSLfatal(s, SSL_AD_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR) -- never as a traceback.

        Engine bugs and exceptions raised by user callbacks (info, msg, verify,
        servername, ALPN, ...) or user BIOs land here.  The exception's text is
        the entry's data; the alert goes out once; the connection is failed.
        """
        put_error(Lib.SSL, SSLReason.INTERNAL_ERROR, f"{type(exc).__name__}: {exc}", depth=2)
        self._rwstate = _NOTHING
        e = self._engine
        if e is None:
            return -1
        # The engine may be half way through something: each step is guarded so
        # that a second failure cannot stop the alert from being sent.
        if not e.failed:
            try:
                e.send_alert(AlertDescription.internal_error)
            except Exception:
                pass
        e.failed = True
        if self.wbio is not None:
            try:
                self._flush()
            except Exception:
                pass
        self._rwstate = _NOTHING
        try:
            self._dispatch_events()
        except Exception:
            pass
        return -1

    def _dispatch_events(self) -> None:
        e = self._engine
        if e is None or not e.events:
            return
        events = e.events
        e.events = []
        info = self.info_callback or self.ctx.info_callback
        msg = self.msg_callback or self.ctx.msg_callback
        keylog = self.ctx.keylog_callback
        side = InfoWhere.ST_ACCEPT if self._server else InfoWhere.ST_CONNECT
        for ev in events:
            kind = ev[0]
            if kind == "msg":
                if msg is not None:
                    msg(int(ev[1]), ev[2], ev[3], ev[4], self)
                continue
            if kind == "keylog":
                if keylog is not None:
                    keylog(self, ev[1])
                continue
            if info is None:
                continue
            # The callback sees the state as it was when the event happened.
            self._cb_state = ev[-1]
            try:
                if kind == "loop":
                    info(self, int(side | InfoWhere.LOOP), 1)
                elif kind == "alert":
                    where = InfoWhere.WRITE_ALERT if ev[1] else InfoWhere.READ_ALERT
                    info(self, int(where), (ev[2] << 8) | ev[3])
                elif kind == "start":
                    info(self, int(InfoWhere.HANDSHAKE_START), 1)
                elif kind == "done":
                    info(self, int(InfoWhere.HANDSHAKE_DONE), 1)
            finally:
                self._cb_state = None

    def _info_exit(self, ret: int) -> None:
        # state_machine()'s last word: ACCEPT_EXIT/CONNECT_EXIT, once per run of
        # the machine -- also for a run that SSL_read/SSL_write/SSL_shutdown
        # started on a post-handshake message (a NewSessionTicket, a KeyUpdate).
        e = self._engine
        if e is None or not e.machine_entered:
            return
        e.machine_entered = False
        if ret == 1:
            self._bbio_on = False
        info = self.info_callback or self.ctx.info_callback
        if info is not None:
            side = InfoWhere.ACCEPT_EXIT if self._server else InfoWhere.CONNECT_EXIT
            info(self, int(side), ret)

    def _run_handshake(self) -> int:
        """The state machine loop behind accept/connect/do_handshake (state_machine())."""
        e = self._engine
        assert e is not None
        if e.failed:
            return -1
        # ssl_init_wbio_buffer(): while the machine runs, records go through a
        # 4096-byte buffering BIO in front of the wbio, as in libssl.
        self._bbio_on = True
        while True:
            if self._write_due:
                # WRITE_STATE_SEND: the message's records go to the buffering BIO
                # before the machine moves on; when neither it nor the transport
                # can take them we stop in that message's state.
                if self._send_records() <= 0:
                    return -1
                self._write_due = False
            if self._flush_due:
                # statem_flush() at a flush point ("SSLv3/TLS write finished").
                if self._flush_bbio() <= 0:
                    return -1
                self._flush_due = False
            if not e.in_init():
                # Only output left to flush (an earlier call stopped on WANT_WRITE).
                st = Status.DONE
            else:
                try:
                    st = e.advance()
                except TLSError as err:
                    self._dispatch_events()
                    return self._fatal(err)
                self._dispatch_events()
            if st is Status.WROTE or st is Status.FLUSH:
                self._write_due = True
                self._flush_due = st is Status.FLUSH
                continue
            r = self._flush()
            if r <= 0:
                return -1
            if st is Status.DONE:
                # tls_finish_handshake(): the buffering BIO comes off (it is empty:
                # every flight ends at a flush point).
                self._bbio_on = False
                if self.wbio is not None and e.first_handshake is False:
                    f = self.wbio.flush()
                    if f <= 0 and self.wbio.should_retry():
                        self._rwstate = _WRITING
                        return -1
                return 1
            if st is Status.RETRY_CALLBACK:
                self._rwstate = _X509_LOOKUP if e.retry_kind == "x509" else _CLIENT_HELLO_CB
                return -1
            if st is Status.CLOSED:
                self._shutdown |= Shutdown.RECEIVED
                self._rwstate = _NOTHING
                return -1
            # Before waiting for the peer, push our flight through buffering BIOs
            # (OpenSSL's statem_flush).
            if self.wbio is not None and self.wbio.wpending():
                f = self.wbio.flush()
                if f <= 0:
                    self._rwstate = _WRITING
                    return -1
            try:
                r = self._fill()
            except TLSError as err:
                return self._fatal(err)
            if r <= 0:
                return -1

    def _post_handshake(self) -> int:
        # ssl3_read_bytes/ssl3_write_bytes calling handshake_func() when in init
        # after the handshake (a KeyUpdate to send, a message half read).
        e = self._engine
        assert e is not None
        if e.failed:
            # state_machine() in MSG_FLOW_ERROR: -1 before any callback.
            return -1
        e.machine_entered = True
        ret = self._run_handshake()
        self._info_exit(ret)
        return ret

    def do_handshake(self) -> int:
        """SSL_do_handshake: 1 when established, else -1 (see get_error)."""
        self.last_call = "SSL_do_handshake()"
        return self._guarded_handshake()

    def _guarded_handshake(self) -> int:
        try:
            return self._do_handshake()
        except _BIOFailure as bio_exc:
            raise bio_exc.exc from None
        except Exception as exc:
            return self._internal_error(exc)

    def _do_handshake(self) -> int:
        e = self._ensure_engine()
        if e is None:
            return -1
        if self.rbio is None or self.wbio is None:
            put_error(Lib.SSL, SSLReason.BIO_NOT_SET)
            return -1
        if not e.in_init() and not e.pending_output():
            return 1
        if e.failed:
            # Like state_machine() in MSG_FLOW_ERROR: -1 at once, queue untouched.
            return -1
        clear_error()
        self._rwstate = _NOTHING
        e.machine_entered = True
        ret = self._run_handshake()
        self._info_exit(ret)
        return ret

    def accept(self) -> int:
        """SSL_accept: run the server side of the handshake."""
        self.last_call = "SSL_accept()"
        if self._engine is None:
            self.set_accept_state()
        return self._guarded_handshake()

    def connect(self) -> int:
        """SSL_connect: run the client side of the handshake."""
        self.last_call = "SSL_connect()"
        if self._engine is None:
            self.set_connect_state()
        return self._guarded_handshake()

    # ================================================================ data

    def read(self, size: int) -> bytes:
        """SSL_read: up to ``size`` bytes; ``b""`` on failure (get_error(0) says why)."""
        r = self.read_c(size)
        return r if isinstance(r, bytes) else b""

    def peek(self, size: int) -> bytes:
        """SSL_peek: like read, but the bytes stay available."""
        r = self.read_c(size, peek=True)
        return r if isinstance(r, bytes) else b""

    def read_ex(self, size: int) -> bytes | int:
        """SSL_read_ex: the bytes on success, 0 on failure."""
        r = self.read_c(size)
        return r if isinstance(r, bytes) else 0

    def peek_ex(self, size: int) -> bytes | int:
        """SSL_peek_ex."""
        r = self.read_c(size, peek=True)
        return r if isinstance(r, bytes) else 0

    def read_c(self, size: int, peek: bool = False) -> bytes | int:
        """SSL_read with C's result: the bytes read, or C's return value (<= 0)."""
        self.last_call = "SSL_peek()" if peek else "SSL_read()"
        if size.__class__ is not int and not isinstance(size, int):
            raise TypeError(f"size must be an int, not {type(size).__name__!r}")
        try:
            return self._read_c(size, peek)
        except _BIOFailure as bio_exc:
            raise bio_exc.exc from None
        except Exception as exc:
            return self._internal_error(exc)

    def _read_c(self, size: int, peek: bool) -> bytes | int:
        e = self._engine
        self._rwstate = _NOTHING
        if e is None:
            if self._server is None:
                put_error(Lib.SSL, SSLReason.UNINITIALIZED)
                return -1
            e = self._ensure_engine()
            assert e is not None
        if size < 0:
            put_error(Lib.SSL, 372)  # SSL_R_SSL_NEGATIVE_LENGTH
            return -1
        if e.app_pending():
            return e.app_read(size, peek) if size else 0
        if int(self._shutdown) & _RECEIVED or e.close_received:
            self._shutdown |= Shutdown.RECEIVED
            return 0
        if e.in_init():
            ret = self._do_handshake() if not e.handshake_done else self._post_handshake()
            if ret <= 0:
                return ret if ret < 0 else -1
        if e.failed:
            return -1
        while True:
            if e.app_pending():
                return e.app_read(size, peek) if size else 0
            if not e.buffered_input() and not e.in_init():
                # Nothing buffered, nothing for the state machine: read first.
                what = "need"
            else:
                try:
                    what = e.read_record()
                except TLSError as err:
                    self._dispatch_events()
                    return self._fatal(err)
            if e.events:
                self._dispatch_events()
            if what == "app":
                continue
            if what == "closed":
                self._info_exit(-1)
                self._shutdown |= Shutdown.RECEIVED
                return 0
            if what == "handshake":
                if e.flow is Flow.FINISHED:
                    self._info_exit(1)
                if e.pending_output() and self._wpend is None:
                    r = self._flush()
                    if r <= 0:
                        return -1
                if not self.mode & Mode.AUTO_RETRY and not e.app_pending():
                    # OpenSSL without AUTO_RETRY hands control back after a
                    # non-application record, pretending the rbio wants a read.
                    if self.rbio is not None:
                        self.rbio.set_retry_read()
                    self._rwstate = _READING
                    return -1
                continue
            if what == "retry":
                self._info_exit(-1)
                self._rwstate = _X509_LOOKUP
                return -1
            # "need".  Flush only what the protocol itself queued (e.g. a KeyUpdate
            # answer whose write stopped on WANT_WRITE); a pending SSL_write's
            # records wait for that call, as in OpenSSL, so that full-duplex use
            # cannot deadlock on a full outgoing transport.
            if e.pending_output() and self._wpend is None:
                r = self._flush()
                if r <= 0:
                    self._info_exit(-1)
                    return -1
            try:
                r = self._fill()
            except TLSError as err:
                return self._fatal(err)
            if r <= 0:
                # The BIO's own value: 0 at EOF (SSL_get_error then says SSL or
                # SYSCALL), -1 when it asks to retry.  A post-handshake message
                # only half here: state_machine() returned -1.
                self._info_exit(-1)
                return r

    def pending(self) -> int:
        """SSL_pending: decrypted bytes ready to read without touching the BIO."""
        e = self._engine
        return e.app_pending() if e is not None else 0

    def has_pending(self) -> bool:
        """SSL_has_pending: decrypted bytes or unprocessed record bytes are buffered."""
        e = self._engine
        return e is not None and (e.app_pending() > 0 or e.buffered_input() > 0)

    def write(self, data: bytes | bytearray | memoryview) -> int:
        """SSL_write: bytes written (> 0) or C's value (<= 0; see get_error)."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"a bytes-like object is required, not {type(data).__name__!r}")
        self.last_call = "SSL_write()"
        try:
            return self._write(data)
        except _BIOFailure as bio_exc:
            raise bio_exc.exc from None
        except Exception as exc:
            return self._internal_error(exc)

    def _write(self, data: bytes | bytearray | memoryview) -> int:
        e = self._engine
        self._rwstate = _NOTHING
        if e is None:
            if self._server is None:
                put_error(Lib.SSL, SSLReason.UNINITIALIZED)
                return -1
            e = self._ensure_engine()
            assert e is not None
        if int(self._shutdown) & _SENT or e.close_sent:
            put_error(Lib.SSL, SSLReason.PROTOCOL_IS_SHUTDOWN)
            return -1
        if e.in_init():
            ret = self._do_handshake() if not e.handshake_done else self._post_handshake()
            if ret <= 0:
                return ret
        if e.failed:
            return -1
        total = len(data)
        if self._wpend is not None:
            buf, tot = self._wpend
            # Both are SSLfatal() in libssl 3.0: the connection is dead (state
            # "error"; later calls return -1 with SSL_ERROR_SYSCALL).  The
            # internal_error alert stays undispatched behind the pending record.
            wnum, wpend_tot = self._write_progress(tot)
            if total < wnum + wpend_tot:
                # ssl3_write_bytes: shorter than what is written or pending.
                return self._write_fatal(SSLReason.BAD_LENGTH)
            if not int(self.mode) & _MOVING_BUFFER and buf is not data:
                # ssl3_write_pending: not the buffer of the pending record.
                return self._write_fatal(SSLReason.BAD_WRITE_RETRY)
            r = self._flush()
            if r <= 0:
                return -1
            self._wpend = None
            return tot
        if total == 0:
            return 0
        if int(self.mode) & _PARTIAL_WRITE:
            n = min(total, e.config.max_fragment)
            e.write_app(memoryview(data)[:n] if n < total else data)
            if e.events:
                self._dispatch_events()
            r = self._flush()
            if r <= 0:
                self._wpend = (data, n)
                return -1
            return n
        e.write_app(data)
        if e.events:
            self._dispatch_events()
        r = self._flush()
        if r <= 0:
            self._wpend = (data, total)
            return -1
        return total

    def _write_progress(self, tot: int) -> tuple[int, int]:
        """For a pending SSL_write of ``tot`` bytes: libssl's (wnum, wpend_tot).

        wnum counts the plaintext of the records already written in full, and
        wpend_tot is the plaintext of the record being written."""
        e = self._engine
        assert e is not None
        recs = e.app_records
        if tot <= e.config.max_fragment or not recs:
            return 0, tot
        # The records are the tail of the output queue and ``left`` bytes of it
        # are unwritten: a record is written in full iff the unwritten tail
        # lies entirely after it.
        left = e.pending_output()
        after = 0
        for i in range(len(recs) - 1, -1, -1):
            if left <= after:
                pending = recs[i + 1][0] if i + 1 < len(recs) else 0
                return sum(p for p, _ in recs[: i + 1]), pending
            after += recs[i][1]
        return 0, recs[0][0]

    def _write_fatal(self, reason: int) -> int:
        e = self._engine
        assert e is not None
        return self._fatal(TLSError(
            None if e.pending_output() else AlertDescription.internal_error, reason
        ))

    def write_ex(self, data: bytes | bytearray | memoryview) -> int:
        """SSL_write_ex: the count written on success, 0 on failure."""
        n = self.write(data)
        return n if n > 0 else 0

    # ================================================================ shutdown

    def shutdown(self) -> int:
        """SSL_shutdown: 0 after sending close_notify, 1 once the peer's arrived, -1 on error."""
        self.last_call = "SSL_shutdown()"
        try:
            return self._shutdown_call()
        except _BIOFailure as bio_exc:
            raise bio_exc.exc from None
        except Exception as exc:
            return self._internal_error(exc)

    def _shutdown_call(self) -> int:
        e = self._engine
        if e is None:
            if self._server is None:
                put_error(Lib.SSL, SSLReason.UNINITIALIZED)
                return -1
            self._shutdown = Shutdown.SENT | Shutdown.RECEIVED
            return 1
        if e.state is HandState.BEFORE and not e.handshake_done:
            self._shutdown = Shutdown.SENT | Shutdown.RECEIVED
            return 1
        if e.in_init():
            # Also after a fatal error: OpenSSL is then back "in init" too.
            put_error(Lib.SSL, SSLReason.SHUTDOWN_WHILE_IN_INIT)
            return -1
        self._rwstate = _NOTHING
        if e.failed:
            put_error(Lib.SSL, SSLReason.PROTOCOL_IS_SHUTDOWN)
            return -1
        if not self._shutdown & Shutdown.SENT:
            self._shutdown |= Shutdown.SENT
            e.send_alert(AlertDescription.close_notify, AlertLevel.WARNING)
            self._dispatch_events()
            if self._flush() <= 0:
                return -1
            if self.wbio is not None:
                self.wbio.flush()
        elif e.pending_output():
            if self._flush() <= 0:
                return -1
        elif not (self._shutdown & Shutdown.RECEIVED or e.close_received):
            # Wait for the peer's close_notify; data that arrives meanwhile stays
            # readable with SSL_read (no byte is dropped).
            while True:
                try:
                    what = e.read_record()
                except TLSError as err:
                    self._dispatch_events()
                    return self._fatal(err)
                self._dispatch_events()
                if what == "closed":
                    self._info_exit(-1)
                    self._shutdown |= Shutdown.RECEIVED
                    break
                if what == "handshake" and e.flow is Flow.FINISHED:
                    self._info_exit(1)
                if what == "need":
                    if e.pending_output() and self._flush() <= 0:
                        self._info_exit(-1)
                        return -1
                    try:
                        r = self._fill()
                    except TLSError as err:
                        return self._fatal(err)
                    if r <= 0:
                        self._info_exit(-1)
                        if self._peer_closed():
                            break
                        return -1
        if e.close_received:
            self._shutdown |= Shutdown.RECEIVED
        if self._shutdown == Shutdown.SENT | Shutdown.RECEIVED and not e.pending_output():
            return 1
        return 0

    def _peer_closed(self) -> bool:
        # (A method, not an inline test: _fill() may have just set the flag.)
        e = self._engine
        if e is not None and e.close_received:
            self._shutdown |= Shutdown.RECEIVED
            return True
        return False

    def get_shutdown(self) -> int:
        """SSL_get_shutdown: SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN bits."""
        e = self._engine
        if e is not None and e.close_received:
            self._shutdown |= Shutdown.RECEIVED
        return int(self._shutdown)

    def set_shutdown(self, mode: int) -> None:
        """SSL_set_shutdown."""
        self._shutdown = Shutdown(mode)

    def set_quiet_shutdown(self, yes: bool | int) -> None:
        """SSL_set_quiet_shutdown: shutdown() then just marks both directions closed."""
        if yes:
            self._shutdown = Shutdown.SENT | Shutdown.RECEIVED

    # ================================================================ errors

    def get_error(self, ret: int | bytes) -> ErrorCode:
        """SSL_get_error: why the last call on this SSL returned ``ret`` (b"" counts as 0)."""
        if isinstance(ret, (bytes, bytearray)):
            ret = len(ret)
        if ret > 0:
            return ErrorCode.NONE
        code = peek_error()
        if code:
            return ErrorCode.SYSCALL if get_lib(code) == Lib.SYS else ErrorCode.SSL
        if self._rwstate == _READING and self.rbio is not None:
            r = self._bio_want(self.rbio, reading=True)
            if r is not None:
                return r
        if self._rwstate == _WRITING and self.wbio is not None:
            r = self._bio_want(self.wbio, reading=False)
            if r is not None:
                return r
        if self._rwstate == _X509_LOOKUP:
            return ErrorCode.WANT_X509_LOOKUP
        if self._rwstate == _CLIENT_HELLO_CB:
            return ErrorCode.WANT_CLIENT_HELLO_CB
        e = self._engine
        if (
            e is not None
            and (self._shutdown & Shutdown.RECEIVED or e.close_received)
            and e.alert_received in (None, AlertDescription.close_notify)
            and (e.close_received or self.options & Op.IGNORE_UNEXPECTED_EOF)
        ):
            return ErrorCode.ZERO_RETURN
        return ErrorCode.SYSCALL

    @staticmethod
    def _bio_want(bio: BIO, reading: bool) -> ErrorCode | None:
        if bio.should_read():
            return ErrorCode.WANT_READ
        if bio.should_write():
            return ErrorCode.WANT_WRITE
        if bio.should_io_special():
            reason = bio.retry_reason
            if reason == RetryReason.CONNECT:
                return ErrorCode.WANT_CONNECT
            if reason == RetryReason.ACCEPT:
                return ErrorCode.WANT_ACCEPT
            return ErrorCode.SYSCALL
        return None

    def want(self) -> int:
        """SSL_want: what the connection waits for (SSL_NOTHING/WRITING/READING/...)."""
        return self._rwstate

    def want_read(self) -> bool:
        """SSL_want_read."""
        return self._rwstate == _READING

    def want_write(self) -> bool:
        """SSL_want_write."""
        return self._rwstate == _WRITING

    # ================================================================ inspection

    def version(self) -> int:
        """SSL_version: the negotiated protocol number (0 before it is known)."""
        e = self._engine
        return e.version if e is not None else 0

    def get_version(self) -> str:
        """SSL_get_version: ``"TLSv1.3"`` etc."""
        v = self.version()
        if not v:
            # OpenSSL reports the method's version before negotiation.
            return "TLSv1.3"
        return VERSION_NAMES.get(v, "unknown")

    def get_current_cipher(self) -> SSLCipher | None:
        """SSL_get_current_cipher."""
        e = self._engine
        if e is None or e.hs.suite is None or not e.version:
            return None
        return SSLCipher(e.hs.suite)

    def get_cipher(self) -> str | None:
        """SSL_get_cipher: the cipher's OpenSSL name."""
        c = self.get_current_cipher()
        return c.get_name() if c is not None else None

    def get_cipher_bits(self) -> int:
        """SSL_get_cipher_bits."""
        c = self.get_current_cipher()
        return c.get_bits() if c is not None else 0

    def get_peer_certificate(self) -> X509 | None:
        """SSL_get_peer_certificate / SSL_get1_peer_certificate."""
        if not self._peer_chain:
            e = self._engine
            if e is not None and e.hs.peer_chain:
                parsed = [X509.from_der(d) for d in e.hs.peer_chain]
                self._peer_chain = [c for c in parsed if c is not None]
        return self._peer_chain[0] if self._peer_chain else None

    get1_peer_certificate = get_peer_certificate

    def get_peer_cert_chain(self) -> list[X509]:
        """SSL_get_peer_cert_chain (as sent by the peer)."""
        self.get_peer_certificate()
        return list(self._peer_chain)

    def get0_verified_chain(self) -> list[X509]:
        """SSL_get0_verified_chain."""
        return list(self._verified_chain)

    def get_verify_result(self) -> int:
        """SSL_get_verify_result: X509_V_OK or the X509_V_ERR_* of the verification."""
        return self._verify_result

    def set_verify_result(self, result: int) -> None:
        """SSL_set_verify_result."""
        self._verify_result = result

    def get0_alpn_selected(self) -> bytes | None:
        """SSL_get0_alpn_selected: the negotiated protocol, or None."""
        e = self._engine
        return e.hs.alpn if e is not None else None

    def session_reused(self) -> bool:
        """SSL_session_reused."""
        e = self._engine
        return e is not None and bool(e.hs.resumed)

    def get_client_random(self) -> bytes:
        """SSL_get_client_random."""
        e = self._engine
        return e.hs.client_random if e is not None else b""

    def get_server_random(self) -> bytes:
        """SSL_get_server_random."""
        e = self._engine
        return e.hs.server_random if e is not None else b""

    def get_negotiated_group(self) -> int:
        """SSL_get_negotiated_group: the key exchange group (IANA number), 0 if none."""
        e = self._engine
        return e.hs.group if e is not None and e.hs.group else 0

    def get_peer_signature_scheme(self) -> int:
        """SSL_get_peer_signature_type_nid's TLS value: the scheme the peer signed with."""
        e = self._engine
        return e.hs.peer_sigalg if e is not None and e.hs.peer_sigalg else 0

    def get_client_hello(self) -> ClientHelloInfo | None:
        """The ClientHello as a client hello callback sees it (SSL_client_hello_get0_*)."""
        return self._client_hello

    # The SSL_client_hello_* inspectors, with C's results: the data on success,
    # 0 when there is no ClientHello to inspect (outside the client hello and
    # servername callbacks of a server).

    def _live_hello(self) -> ClientHelloInfo | None:
        return self._client_hello if self._ch_live else None

    def client_hello_isv2(self) -> int:
        """SSL_client_hello_isv2: 1 for an SSLv2-format ClientHello (never here: refused)."""
        return 0

    def client_hello_get0_legacy_version(self) -> int:
        """SSL_client_hello_get0_legacy_version: the legacy_version field, or 0."""
        ch = self._live_hello()
        return ch.legacy_version if ch is not None else 0

    def client_hello_get0_random(self) -> bytes | int:
        """SSL_client_hello_get0_random: the 32 random bytes, or 0."""
        ch = self._live_hello()
        return bytes(ch.random) if ch is not None else 0

    def client_hello_get0_session_id(self) -> bytes | int:
        """SSL_client_hello_get0_session_id: the legacy session id (maybe empty), or 0."""
        ch = self._live_hello()
        return bytes(ch.session_id) if ch is not None else 0

    def client_hello_get0_ciphers(self) -> bytes | int:
        """SSL_client_hello_get0_ciphers: the cipher_suites field as sent (2 bytes each), or 0."""
        ch = self._live_hello()
        if ch is None:
            return 0
        return b"".join(c.to_bytes(2, "big") for c in ch.cipher_suites)

    def client_hello_get0_compression_methods(self) -> bytes | int:
        """SSL_client_hello_get0_compression_methods: the methods as sent, or 0."""
        ch = self._live_hello()
        return bytes(ch.compression_methods) if ch is not None else 0

    def client_hello_get1_extensions_present(self) -> list[int] | int:
        """SSL_client_hello_get1_extensions_present: extension types in received order, or 0."""
        ch = self._live_hello()
        return ch.get1_extensions_present() if ch is not None else 0

    def client_hello_get0_ext(self, ext_type: int) -> bytes | int:
        """SSL_client_hello_get0_ext: one extension's body, or 0 if absent."""
        ch = self._live_hello()
        data = ch.get0_ext(ext_type) if ch is not None else None
        return bytes(data) if data is not None else 0

    # ex_data: the application's slots on an SSL (CRYPTO_EX_INDEX_SSL).  Index 0
    # is the legacy app data (SSL_set_app_data), as in OpenSSL, so new indexes
    # start at 1.
    _next_ex_index = 1

    @classmethod
    def get_ex_new_index(
        cls, argl: int = 0, argp: Any = None, new_func: Any = None, dup_func: Any = None,
        free_func: Any = None,
    ) -> int:
        """SSL_get_ex_new_index: a new slot number (the callbacks are not supported)."""
        if new_func is not None or dup_func is not None or free_func is not None:
            raise NotImplementedError("ex_data callbacks are not supported")
        idx = SSL._next_ex_index
        SSL._next_ex_index = idx + 1
        return idx

    def set_ex_data(self, idx: int, data: Any) -> int:
        """SSL_set_ex_data: 1."""
        if idx == 0:
            self.app_data = data
        else:
            self._ex_data[idx] = data
        return 1

    def get_ex_data(self, idx: int) -> Any:
        """SSL_get_ex_data: what set_ex_data stored, or None."""
        return self.app_data if idx == 0 else self._ex_data.get(idx)

    def export_keying_material(
        self, label: bytes | str, length: int, context: bytes | None = None
    ) -> bytes | None:
        """SSL_export_keying_material (RFC 8446 7.5 / RFC 5705); None if not possible."""
        e = self._engine
        if e is None or not e.handshake_done:
            put_error(Lib.SSL, SSLReason.STILL_IN_INIT if e else SSLReason.UNINITIALIZED)
            return None
        lab = label.encode() if isinstance(label, str) else bytes(label)
        return e.hs.export(lab, length, context)

    def key_update(self, update_type: int) -> int:
        """SSL_key_update: schedule a KeyUpdate (sent by the next read/write/do_handshake)."""
        try:
            return self._key_update(update_type)
        except _BIOFailure as bio_exc:
            raise bio_exc.exc from None
        except Exception as exc:
            self._internal_error(exc)
            return 0

    def _key_update(self, update_type: int) -> int:
        e = self._engine
        if update_type not in (KEY_UPDATE_NOT_REQUESTED, KEY_UPDATE_REQUESTED):
            put_error(Lib.SSL, SSLReason.INVALID_KEY_UPDATE_TYPE)
            return 0
        if e is None or not e.handshake_done or e.version != Version.TLS1_3:
            put_error(Lib.SSL, SSLReason.STILL_IN_INIT if e else SSLReason.UNINITIALIZED)
            return 0
        e.request_key_update(update_type == KEY_UPDATE_REQUESTED)
        return 1

    def get_key_update_type(self) -> int:
        """SSL_get_key_update_type: the pending KeyUpdate, or SSL_KEY_UPDATE_NONE."""
        e = self._engine
        if e is None or e.key_update_due is None:
            return KEY_UPDATE_NONE
        return e.key_update_due

    def get_finished(self) -> bytes:
        """SSL_get_finished: our Finished verify_data."""
        e = self._engine
        return e.hs.own_finished if e is not None else b""

    def get_peer_finished(self) -> bytes:
        """SSL_get_peer_finished."""
        e = self._engine
        return e.hs.peer_finished if e is not None else b""

    def clear(self) -> int:
        """SSL_clear: forget the connection (not the configuration) to start over."""
        self._drop_engine()
        self._rwstate = _NOTHING
        self._shutdown = Shutdown.NONE
        self._wpend = None
        self._bbio = None
        self._bbio_on = self._write_due = self._flush_due = False
        self._verify_result = X509_V_OK
        self._peer_chain = []
        self._verified_chain = []
        return 1

    def free(self) -> None:
        """SSL_free: release the connection and its BIOs (BIO_free_all on rbio and wbio)."""
        rb, wb = self.rbio, self.wbio
        self.rbio = self.wbio = None
        if rb is not None:
            rb.free_all()
        if wb is not None and wb is not rb:
            wb.free_all()

    # ================================================================ hooks

    def _verify_peer(self, chain_der: list[bytes]) -> PeerVerdict:
        parsed = [X509.from_der(d) for d in chain_der]
        chain = [c for c in parsed if c is not None]
        if len(chain) != len(parsed):
            # d2i_X509 failed (its entries are on the queue): tls_process_server_certificate
            # says bad_certificate / ERR_R_ASN1_LIB, before any verification.
            return PeerVerdict(
                False, X509_V_OK, AlertDescription.bad_certificate, ERR_RFLAG_COMMON | 13
            )
        self._peer_chain = chain
        host = self._host
        hostname: str | None = None
        ip: str | None = None
        if host:
            import ipaddress

            try:
                ipaddress.ip_address(host)
                ip = host
            except ValueError:
                hostname = host
        cb = self.verify_callback
        wrapped = None
        if cb is not None:
            user_cb = cb

            def wrapped(ok: bool, store: Any) -> bool:
                store.ssl = self
                return bool(user_cb(ok, store))

        engine = self._engine
        now = engine.hooks.now() if engine is not None else None
        from datetime import datetime, timezone

        from biokit.ssl.verify import verify_chain

        result = verify_chain(
            chain[0],
            chain[1:],
            self.ctx.cert_store,
            now=now or datetime.now(timezone.utc),
            hostname=hostname,
            ip=ip,
            purpose="client" if self._server else "server",
            depth=self.verify_depth if self.verify_depth >= 0 else 100,
            callback=wrapped,
            auth_level=1,  # libssl's security level (SSL_CTX_get_security_level)
        )
        self._verify_result = result.result
        self._verified_chain = list(result.chain)
        ok = result.ok or not (self.verify_mode & Verify.PEER)
        if ok:
            # What verification left on the queue (e.g. X509V3 "invalid certificate")
            # goes when the handshake carries on: ERR_clear_error(), "but we keep
            # s->verify_result" (tls_post_process_server_certificate).
            clear_error()
        return PeerVerdict(
            ok, result.result, _X509_ALERTS.get(result.result, AlertDescription.certificate_unknown)
        )

    def _client_certificate(self) -> CertKey | int | None:
        cb = self.ctx.client_cert_cb
        if cb is not None:
            r = cb(self)
            if isinstance(r, int):
                if r < 0:
                    return RETRY
                return None
            if r is None:
                return None
            cert, key = r
            return CertKey([cert.to_der()], key, {"x509": [cert]})
        if self._client_cert is not None:
            cert, key = self._client_cert
            return CertKey([cert.to_der()], key, {"x509": [cert]})
        return None
