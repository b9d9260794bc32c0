"""What both roles' handshakes share: transcript, key changes, Finished, KeyUpdate.

A role handshake (``ClientHandshake``, ``ServerHandshake``) is a set of
*writers* (one per state entered in the write phase: build a message, queue
it, change keys) and *readers* (one per state entered in the read phase:
check a message, remember what later states need, say whether to keep
reading or to start writing).  Guards used by the state tables
(``states.py``) are plain attributes or properties of the handshake object.
The dispatcher in ``engine.py`` is the only code that assigns the state.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cryptography import x509

from biokit.errors import Lib, SSLReason
from biokit.ssl.tls import key_schedule as ks
from biokit.ssl.tls.config import RETRY
from biokit.ssl.tls.enums import AlertDescription, HandshakeType, ProtocolVersion
from biokit.ssl.tls.errors import TLSError
from biokit.ssl.tls.messages import KeyUpdate, encode_handshake
from biokit.ssl.tls.record import TLS13Protector
from biokit.ssl.tls.states import HandState

if TYPE_CHECKING:
    from biokit.ssl.tls.engine import Engine, Flow
    from biokit.ssl.tls.suites import Suite

_EVP_R_DECODE_ERROR = 114  # X509_get0_pubkey's complaint about an undecodable key

__all__ = ["Handshake", "flow", "switch_to_tls12"]

Writer = Callable[[], None]
Reader = Callable[[int, bytes, bytes], "Flow"]

# Largest handshake messages we accept, per type (OpenSSL's *_max_message_size).
_MAX_SIZES = {
    HandshakeType.CLIENT_HELLO: 131396,  # OpenSSL's CLIENT_HELLO_MAX_LENGTH
    HandshakeType.SERVER_HELLO: 20000,
    HandshakeType.CERTIFICATE: 102400,  # s->max_cert_list default
    HandshakeType.CERTIFICATE_REQUEST: 102400,
    HandshakeType.CERTIFICATE_VERIFY: 16384,
    HandshakeType.ENCRYPTED_EXTENSIONS: 20000,
    HandshakeType.NEW_SESSION_TICKET: 16384,
    HandshakeType.KEY_UPDATE: 1,
    HandshakeType.FINISHED: 64,
    HandshakeType.SERVER_KEY_EXCHANGE: 102400,
    HandshakeType.CLIENT_KEY_EXCHANGE: 2048,
    HandshakeType.SERVER_HELLO_DONE: 0,
    HandshakeType.HELLO_REQUEST: 0,
}


def flow(name: str) -> Flow:
    """The engine's Flow member by name (imported late: the engine imports the handshakes)."""
    from biokit.ssl.tls.engine import Flow

    return Flow[name]


class Handshake:
    """State shared by both roles; subclasses add the writers and readers."""

    writers: dict[HandState, Writer]
    readers: dict[HandState, Reader]
    request_cert = False

    def __init__(self, engine: Engine) -> None:
        self.e = engine
        self.cfg = engine.config
        self.hooks = engine.hooks
        self.started = False
        self.write_resume: Writer | None = None
        # A reader's post-processing step that asked a hook to retry (OpenSSL's
        # READ_STATE_POST_PROCESS): only it runs again, not the whole reader.
        self.read_resume: Callable[[], Flow] | None = None
        self.transcript = ks.Transcript()
        self.client_random = b""
        self.server_random = b""
        self.session_id = b""
        self.suite: Suite | None = None
        self.group: int | None = None
        self.ks: ks.KeySchedule13 | None = None
        self.peer_chain: list[bytes] = []
        self.peer_sigalg: int | None = None
        self.own_sigalg: int | None = None
        self.alpn: bytes | None = None
        self.own_finished = b""
        self.peer_finished = b""
        self.c_hs = self.s_hs = self.c_ap = self.s_ap = b""
        self.exporter_secret = b""
        self.resumption_secret = b""
        self.peer_finished_seen = False
        self.first_hello_done = False
        # guards (states.py)
        self.hrr_pending = False
        self.ccs_sent = False
        self.cert_requested = False
        self.client_cert_sent = False
        self.resumed = False
        self.cert_request_sent = False
        self.client_cert_received = False
        self.ticket_expected = False
        self.never = False
        # The client certificate callback's answer, taken where libssl asks for
        # it (tls_prepare_client_certificate), used when our Certificate is written.
        self.client_choice: Any = None
        self.client_choice_ready = False

    def prepare_client_certificate(self) -> None:
        """tls_prepare_client_certificate: ask the client certificate callback now."""
        chosen = self.hooks.client_certificate()
        if chosen == RETRY:
            from biokit.ssl.tls.engine import RetryHook

            raise RetryHook("x509")
        self.client_choice = chosen
        self.client_choice_ready = True

    def take_client_choice(self) -> Any:
        """The prepared answer (asking now if it was not prepared), or RETRY."""
        if self.client_choice_ready:
            return self.client_choice
        return self.hooks.client_certificate()

    def post_process(self, step: Callable[[], None], result: Flow) -> Flow:
        """Run ``step`` after a message was processed; if it raises RetryHook the
        engine calls it again later (post_process_message), then goes on with ``result``."""

        def resume() -> Flow:
            step()
            return result

        self.read_resume = resume
        out = resume()
        self.read_resume = None
        return out

    # ------------------------------------------------------------------ guards

    @property
    def ccs_due(self) -> bool:
        """Middlebox compatibility: a dummy CCS goes out once, before our first encrypted flight."""
        return self.cfg.middlebox_compat and not self.ccs_sent

    @property
    def key_update_due(self) -> bool:
        return self.e.key_update_due is not None

    def tls13(self) -> bool:
        return self.e.version == ProtocolVersion.TLS1_3

    def ccs_allowed(self) -> bool:
        """A TLS 1.3 dummy CCS may come after the first ClientHello, before the peer's Finished."""
        return self.first_hello_done and not self.peer_finished_seen

    def max_message_size(self, mtype: int) -> int:
        return int(_MAX_SIZES.get(mtype, 16384))  # type: ignore[call-overload]

    # ------------------------------------------------------------------ sending

    def send(self, msg: Any) -> bytes:
        """Encode, add to the transcript and queue one handshake message."""
        raw = encode_handshake(msg)
        self.transcript.update(raw)
        self.e.send_handshake(raw)
        return raw

    def protector(self, secret: bytes) -> TLS13Protector:
        assert self.suite is not None
        key, iv = ks.traffic_keys(self.suite, secret)
        return TLS13Protector(self.suite, key, iv)

    def set_read_secret(self, secret: bytes) -> None:
        self.e.require_record_boundary()
        self.e.set_read_protector(self.protector(secret))

    def set_write_secret(self, secret: bytes) -> None:
        self.e.set_write_protector(self.protector(secret))

    @property
    def hash_cls(self) -> Any:
        assert self.suite is not None
        return self.suite.hash

    def finished_for(self, base_key: bytes) -> bytes:
        return ks.finished_verify_data(self.hash_cls, base_key, self.transcript.digest())

    def check_finished(self, body: bytes, base_key: bytes) -> None:
        """Verify the peer's Finished against the transcript so far (before adding it)."""
        expected = self.finished_for(base_key)
        if len(body) != len(expected):
            raise TLSError(AlertDescription.decode_error, SSLReason.BAD_DIGEST_LENGTH)
        if not hmac.compare_digest(body, expected):
            raise TLSError(AlertDescription.decrypt_error, SSLReason.DIGEST_CHECK_FAILED)
        self.peer_finished = bytes(body)
        self.peer_finished_seen = True

    def derive_application_secrets(self) -> None:
        """Master secret and application/exporter secrets over CH..server Finished."""
        assert self.ks is not None
        self.ks.derive_master()
        th = self.transcript.digest()
        self.c_ap = self.ks.client_application_traffic_secret_0(th)
        self.s_ap = self.ks.server_application_traffic_secret_0(th)
        self.exporter_secret = self.ks.exporter_master_secret(th)
        self.e.keylog("CLIENT_TRAFFIC_SECRET_0", self.c_ap)
        self.e.keylog("SERVER_TRAFFIC_SECRET_0", self.s_ap)
        self.e.keylog("EXPORTER_SECRET", self.exporter_secret)

    def derive_handshake_secrets(self, shared: bytes | None) -> None:
        assert self.ks is not None
        self.ks.input_shared_secret(shared)
        th = self.transcript.digest()
        self.c_hs = self.ks.client_handshake_traffic_secret(th)
        self.s_hs = self.ks.server_handshake_traffic_secret(th)
        self.e.keylog("CLIENT_HANDSHAKE_TRAFFIC_SECRET", self.c_hs)
        self.e.keylog("SERVER_HANDSHAKE_TRAFFIC_SECRET", self.s_hs)

    # ------------------------------------------------------------------ peer certs

    # The peer's key is id-RSASSA-PSS (only the rsa_pss_pss_* schemes fit it);
    # cryptography loads such a key as a plain RSA key, so the certificate says.
    peer_key_pss = False

    def parse_leaf_key(self, der: bytes) -> Any:
        """The public key of the (decoded, verified) leaf: X509_get0_pubkey.

        A key that does not decode (a bad point, an unknown algorithm) is what
        tls_post_process_server_certificate calls "unable to find public key
        parameters" (internal_error), after EVP's "decode error".
        """
        try:
            cert = x509.load_der_x509_certificate(der)
            self.peer_key_pss = (
                cert.public_key_algorithm_oid == x509.oid.PublicKeyAlgorithmOID.RSASSA_PSS
            )
            return cert.public_key()
        except Exception as exc:  # ValueError, or UnsupportedAlgorithm for odd keys
            raise TLSError(
                AlertDescription.internal_error,
                SSLReason.UNABLE_TO_FIND_PUBLIC_KEY_PARAMETERS,
                str(exc),
                first=(Lib.EVP, _EVP_R_DECODE_ERROR),
            ) from None

    def accept_peer_chain(self, chain: list[bytes]) -> None:
        """Take the peer's certificate chain: decode and verify it, then the leaf's key.

        OpenSSL's order: every certificate must decode (d2i_X509, else
        bad_certificate / "ASN1 lib"), then verification (the alert from the
        X509_V_ERR code, ssl_x509err2alert; "certificate verify failed"), then the
        leaf's public key.
        """
        self.peer_chain = chain
        verdict = self.hooks.verify_peer(chain)
        if not verdict.ok:
            raise TLSError(verdict.alert, verdict.reason)
        self.peer_key = self.parse_leaf_key(chain[0])

    peer_key: Any = None

    # ------------------------------------------------------------------ key update

    def write_key_update(self) -> None:
        """Send KeyUpdate and move our write side to the next traffic secret."""
        e = self.e
        req = e.key_update_due or 0
        e.key_update_due = None
        raw = encode_handshake(KeyUpdate(request_update=req))
        e.send_handshake(raw)
        if self.e.role == 0:  # client
            self.c_ap = ks.next_traffic_secret(self.hash_cls, self.c_ap)
            self.set_write_secret(self.c_ap)
        else:
            self.s_ap = ks.next_traffic_secret(self.hash_cls, self.s_ap)
            self.set_write_secret(self.s_ap)

    def read_key_update(self, mtype: int, body: bytes, raw: bytes) -> Flow:
        from biokit.ssl.tls.engine import Flow

        msg = KeyUpdate.decode(body)
        e = self.e
        e.key_updates_in_a_row += 1
        if e.key_updates_in_a_row > 32:
            raise TLSError(AlertDescription.unexpected_message, SSLReason.TOO_MANY_KEY_UPDATES)
        if self.e.role == 0:
            self.s_ap = ks.next_traffic_secret(self.hash_cls, self.s_ap)
            self.set_read_secret(self.s_ap)
        else:
            self.c_ap = ks.next_traffic_secret(self.hash_cls, self.c_ap)
            self.set_read_secret(self.c_ap)
        # Answer a request, but never with a request (that would loop forever).
        if msg.request_update == 1 and e.key_update_due is None:
            e.key_update_due = 0
        return Flow.WRITING

    # ------------------------------------------------------------------ exporters

    def export(self, label: bytes, length: int, context: bytes | None) -> bytes:
        if not self.exporter_secret:
            raise TLSError(None, SSLReason.STILL_IN_INIT)
        return ks.export_keying_material(
            self.hash_cls, self.exporter_secret, label, context, length
        )


def switch_to_tls12(engine: Engine) -> Handshake:
    """Replace the version-neutral handshake by the TLS 1.2 one (the split at the hellos)."""
    old = engine.hs
    if engine.config.server:
        from biokit.ssl.tls.server12 import ServerHandshake12
        from biokit.ssl.tls.server13 import ServerHandshake

        assert isinstance(old, ServerHandshake)
        return ServerHandshake12(engine, old)
    from biokit.ssl.tls.client12 import ClientHandshake12
    from biokit.ssl.tls.client13 import ClientHandshake

    assert isinstance(old, ClientHandshake)
    return ClientHandshake12(engine, old)
