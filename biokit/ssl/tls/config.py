"""What the engine is told: configuration values and the hooks it may call.

The engine is sans-I/O: it never reads a clock, a file or a socket by itself.
Everything from outside reaches it through an ``EngineConfig`` (values) and an
``EngineHooks`` (decisions that belong to the application: SNI, ALPN, peer
verification, client certificates, ...).  The SSL object fills both from its
``SSLContext`` and the user's callbacks.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from biokit.ssl.tls.enums import AlertDescription, ProtocolVersion

if TYPE_CHECKING:
    from biokit.ssl.tls.signatures import PrivateKey
    from biokit.ssl.tls.suites import Suite

__all__ = [
    "RETRY",
    "CertKey",
    "ClientHelloInfo",
    "EngineConfig",
    "EngineHooks",
    "PeerVerdict",
    "SessionData",
]

# Returned by a hook that wants to be called again later (the callback asked
# to retry: SSL_ERROR_WANT_X509_LOOKUP, SSL_ERROR_WANT_CLIENT_HELLO_CB).
RETRY = -1

# Server name callback results (SSL_TLSEXT_ERR_*).
TLSEXT_ERR_OK = 0
TLSEXT_ERR_ALERT_WARNING = 1
TLSEXT_ERR_ALERT_FATAL = 2
TLSEXT_ERR_NOACK = 3


@dataclass(slots=True)
class CertKey:
    """A certificate chain (leaf first, DER) with its private key."""

    chain: list[bytes]
    key: PrivateKey
    # Parsed leaf public key, filled lazily by the engine.
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class ClientHelloInfo:
    """What a client hello callback may inspect (SSL_client_hello_get0_*)."""

    legacy_version: int
    random: bytes
    session_id: bytes
    cipher_suites: tuple[int, ...]
    compression_methods: bytes
    extensions: tuple[tuple[int, bytes], ...]
    raw: bytes

    def get1_extensions_present(self) -> list[int]:
        """SSL_client_hello_get1_extensions_present."""
        return [t for t, _ in self.extensions]

    def get0_ext(self, ext_type: int) -> bytes | None:
        """SSL_client_hello_get0_ext."""
        for t, d in self.extensions:
            if t == ext_type:
                return d
        return None


@dataclass(slots=True)
class PeerVerdict:
    """The outcome of verifying the peer's chain, as the engine needs it."""

    ok: bool
    result: int  # X509_V_* as SSL_get_verify_result reports
    alert: AlertDescription = AlertDescription.certificate_unknown
    # The SSL reason of a failure: "certificate verify failed", or ERR_R_ASN1_LIB
    # when a certificate did not even decode (d2i_X509 failed).
    reason: int = 134


@dataclass(slots=True)
class SessionData:
    """A TLS 1.3 ticket as a client keeps it (SSL_SESSION)."""

    version: int
    suite_id: int
    ticket: bytes
    psk: bytes
    lifetime: int
    age_add: int
    received_at: float
    max_early_data: int = 0
    server_name: str | None = None
    alpn: bytes | None = None
    peer_chain: list[bytes] = field(default_factory=list)
    nonce: bytes = b""
    # TLS 1.2: ``psk`` holds the master secret; was it an extended one (RFC 7627)?
    ems: bool = False


@dataclass(slots=True)
class EngineConfig:
    """Static configuration of one connection (filled from SSLContext + SSL)."""

    server: bool
    min_version: int = ProtocolVersion.TLS1_2
    max_version: int = ProtocolVersion.TLS1_3
    suites13: tuple[Suite, ...] = ()
    suites12: tuple[Suite, ...] = ()
    groups: tuple[int, ...] = ()
    # How many key shares a client sends (the first N groups).
    key_shares: int = 1
    sigalgs: tuple[int, ...] = ()
    certs: list[CertKey] = field(default_factory=list)
    # verify: server side "request/require a client cert"; client side "check server"
    verify_peer: bool = False
    require_peer_cert: bool = False
    # SSL_VERIFY_CLIENT_ONCE on a server whose SSL already sent a CertificateRequest
    # (libssl's certreqs_sent, which SSL_clear keeps): do not request one again.
    client_once: bool = False
    client_ca_names: tuple[bytes, ...] = ()
    middlebox_compat: bool = True
    server_preference: bool = False
    prioritize_chacha: bool = False
    num_tickets: int = 2
    tickets_enabled: bool = True
    alpn: tuple[bytes, ...] = ()
    server_name: str | None = None
    send_hrr_cookie: bool = False
    max_fragment: int = 16384
    session: SessionData | None = None
    ticket_lifetime: int = 7200
    # Record padding: total inner plaintext is padded up to a multiple of this (0 = none).
    block_padding: int = 0
    keylog: bool = False
    msg_trace: bool = False
    # biokit extension: put consecutive handshake messages in shared records.
    coalesce_handshake: bool = False


class EngineHooks:
    """Decisions the engine delegates to the application; the defaults accept everything.

    The SSL object subclasses this to run the user's callbacks.
    """

    def random(self, n: int) -> bytes:
        """Random bytes (tests may make these deterministic)."""
        return os.urandom(n)

    def key_rng(self) -> Callable[[int], bytes] | None:
        """A byte source for ephemeral private keys, or None for the OS (tests only)."""
        return None

    def now(self) -> datetime:
        """The current time (for certificate validity and ticket ages)."""
        return datetime.now(timezone.utc)

    def client_hello(self, info: ClientHelloInfo) -> tuple[int, AlertDescription]:
        """SSL_CTX_set_client_hello_cb: 1 go on, 0 fail with the alert, RETRY suspend."""
        return 1, AlertDescription.internal_error

    def servername(self, name: str | None) -> tuple[int, AlertDescription]:
        """SSL_CTX_set_tlsext_servername_callback: an SSL_TLSEXT_ERR_* code and alert."""
        return TLSEXT_ERR_NOACK if name is None else TLSEXT_ERR_OK, (
            AlertDescription.unrecognized_name
        )

    def config(self) -> EngineConfig | None:
        """A fresh config after a callback switched the context (SSL_set_SSL_CTX), or None."""
        return None

    def alpn_select(self, offered: list[bytes]) -> tuple[int, bytes | None]:
        """SSL_CTX_set_alpn_select_cb: (SSL_TLSEXT_ERR_*, selected protocol)."""
        return TLSEXT_ERR_NOACK, None

    def verify_peer(self, chain: list[bytes]) -> PeerVerdict:
        """Verify the peer's chain (leaf first)."""
        return PeerVerdict(True, 0)

    def client_certificate(self) -> CertKey | int | None:
        """The client certificate to send, None for none, or RETRY (WANT_X509_LOOKUP)."""
        return None

    def new_session(self, session: SessionData) -> None:
        """A ticket arrived (SSL_CTX_sess_set_new_cb)."""

    def hrr_cookie(self) -> bytes | None:
        """SSL_CTX_set_stateless_cookie_generate_cb: the cookie for a HelloRetryRequest."""
        return None

    def verify_hrr_cookie(self, cookie: bytes, sent: bytes) -> bool:
        """SSL_CTX_set_stateless_cookie_verify_cb: is the echoed cookie good?"""
        return cookie == sent

    def ticket_key(self) -> bytes:
        """The server's key for sealing session tickets (32 bytes)."""
        return b"\x00" * 32
