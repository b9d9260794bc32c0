"""The TLS 1.2 client, from the ServerHello on (RFC 5246 7.3, ECDHE + AEAD).

Full handshake::

    ServerHello, Certificate, ServerKeyExchange, [CertificateRequest], ServerHelloDone
        -> [Certificate], ClientKeyExchange, [CertificateVerify], CCS, Finished
    [NewSessionTicket], CCS, Finished

Resumption with a ticket: ServerHello, [NewSessionTicket], CCS, Finished -> CCS, Finished.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from biokit.errors import Lib, SSLReason
from biokit.ssl.tls import certext, kx, signatures
from biokit.ssl.tls import extensions as ext
from biokit.ssl.tls.client13 import S12, unknown_cipher, validate_extensions
from biokit.ssl.tls.config import RETRY, CertKey, SessionData
from biokit.ssl.tls.enums import AlertDescription, ExtensionType, ProtocolVersion
from biokit.ssl.tls.errors import TLSError
from biokit.ssl.tls.messages import (
    Certificate12,
    CertificateRequest12,
    CertificateVerify,
    ClientKeyExchangeECDHE,
    NewSessionTicket12,
    ServerHello,
    ServerHelloDone,
    ServerKeyExchangeECDHE,
)
from biokit.ssl.tls.states import HandState
from biokit.ssl.tls.suites import suite_by_id
from biokit.ssl.tls.tls12 import Handshake12, flow

if TYPE_CHECKING:
    from biokit.ssl.tls.client13 import ClientHandshake
    from biokit.ssl.tls.engine import Engine, Flow

__all__ = ["ClientHandshake12"]

ET = ExtensionType
TLS12 = ProtocolVersion.TLS1_2
# Extensions a TLS 1.2 ServerHello may answer with (we offered them).
_SH12_ALLOWED = frozenset(
    (
        ET.server_name,
        ET.ec_point_formats,
        ET.session_ticket,
        ET.application_layer_protocol_negotiation,
        ET.extended_master_secret,
        ET.renegotiation_info,
        ET.encrypt_then_mac,
        ET.status_request,
        ET.max_fragment_length,
    )
)


class ClientHandshake12(Handshake12):
    """Writers and readers of the TLS 1.2 client."""

    def __init__(self, engine: Engine, previous: ClientHandshake) -> None:
        super().__init__(engine, previous)
        self.prev = previous
        self.offered_suites = previous.offered_suites
        self.sent_sni = previous.sent_sni
        self.server_group = 0
        self.server_public = b""
        self.cr_sigalgs: tuple[int, ...] = ()
        self.client_cert: CertKey | None = None
        self.session = engine.config.session if engine.config.session else None
        self.writers = {
            HandState.CW_CERT: self.write_certificate,
            HandState.CW_KEY_EXCH: self.write_client_key_exchange,
            HandState.CW_CERT_VRFY: self.write_certificate_verify,
            HandState.CW_CHANGE: self.write_ccs,
            HandState.CW_FINISHED: self.write_finished,
        }
        self.readers = {
            HandState.CR_CERT: self.read_certificate,
            HandState.CR_KEY_EXCH: self.read_server_key_exchange,
            HandState.CR_CERT_REQ: self.read_certificate_request,
            HandState.CR_SRVR_DONE: self.read_server_done,
            HandState.CR_SESSION_TICKET: self.read_new_session_ticket,
            HandState.CR_CHANGE: self.read_ccs,
            HandState.CR_FINISHED: self.read_finished,
            HandState.CR_HELLO_REQ: self.refuse_renegotiation,
        }

    # ================================================================ ServerHello

    def read_server_hello12(self, sh: ServerHello, raw: bytes) -> Flow:
        validate_extensions(sh.extensions, S12)
        suite = suite_by_id(sh.cipher_suite)
        if suite is None or suite.version != TLS12 or sh.cipher_suite not in self.offered_suites:
            raise unknown_cipher(sh.cipher_suite)
        if sh.legacy_compression_method != 0:
            # OpenSSL is built with compression but SSL_OP_NO_COMPRESSION is the default.
            raise TLSError(AlertDescription.illegal_parameter, SSLReason.COMPRESSION_DISABLED)
        self.suite = suite
        self.server_random = sh.random
        self.transcript.set_hash(suite.hash)
        self.transcript.update(raw)
        cfg = self.cfg
        for x in sh.extensions:
            t = x.type
            if t not in _SH12_ALLOWED:
                continue  # unknown to OpenSSL, or known and harmless: ignored
            if t == ET.renegotiation_info:
                if ext.decode_renegotiation_info(x.data) != b"":
                    raise TLSError(
                        AlertDescription.handshake_failure, SSLReason.RENEGOTIATION_MISMATCH
                    )
                self.secure_renegotiation = True
            elif t == ET.extended_master_secret:
                ext.decode_extended_master_secret(x.data)
                self.ems = True
            elif t == ET.session_ticket:
                ext.decode_session_ticket(x.data)
                self.ticket_expected = True
            elif t == ET.application_layer_protocol_negotiation:
                proto = ext.decode_alpn_selected(x.data)
                if proto not in cfg.alpn:
                    raise TLSError(AlertDescription.illegal_parameter, SSLReason.BAD_EXTENSION)
                self.alpn = proto
            elif t == ET.server_name:
                if not self.sent_sni:
                    raise TLSError(
                        AlertDescription.unsupported_extension, SSLReason.UNSOLICITED_EXTENSION
                    )
            elif t == ET.ec_point_formats and 0 not in ext.decode_ec_point_formats(x.data):
                # Without "uncompressed" no ECDHE key can be sent back.
                raise TLSError(
                    AlertDescription.illegal_parameter, SSLReason.ILLEGAL_POINT_COMPRESSION
                )
        if not self.secure_renegotiation:
            # OpenSSL 3 refuses servers without RFC 5746 (no SSL_OP_LEGACY_SERVER_CONNECT).
            raise TLSError(
                AlertDescription.handshake_failure,
                SSLReason.UNSAFE_LEGACY_RENEGOTIATION_DISABLED,
            )
        sess = self.session
        if (
            sess is not None
            and sess.version == TLS12
            and self.session_id
            and sh.legacy_session_id_echo == self.session_id
        ):
            if sess.suite_id != suite.id:
                raise TLSError(
                    AlertDescription.illegal_parameter, SSLReason.OLD_SESSION_CIPHER_NOT_RETURNED
                )
            if sess.ems != self.ems:
                raise TLSError(AlertDescription.handshake_failure, SSLReason.INCONSISTENT_EXTMS)
            self.resumed = True
            self.master = sess.psk
            self.peer_chain = list(sess.peer_chain)
            self.e.keylog12(self.master)
        return flow("READING")

    # ================================================================ server flight

    def read_certificate(self, mtype: int, body: bytes, raw: bytes) -> Flow:
        cert = Certificate12.decode(body)
        if not cert.certificate_list:
            raise TLSError(AlertDescription.decode_error, SSLReason.NO_CERTIFICATES_RETURNED)
        self.accept_peer_chain(list(cert.certificate_list))
        self.transcript.update(raw)
        return flow("READING")

    def read_server_key_exchange(self, mtype: int, body: bytes, raw: bytes) -> Flow:
        ske = ServerKeyExchangeECDHE.decode(body)
        cfg = self.cfg
        if ske.named_group not in cfg.groups or ske.named_group not in kx.TLS12_GROUPS:
            raise TLSError(AlertDescription.illegal_parameter, SSLReason.WRONG_CURVE)
        assert self.suite is not None
        signatures.check_peer_scheme(
            ske.algorithm, self.peer_key, tls13=False, sent=cfg.sigalgs, rsa_pss=self.peer_key_pss
        )
        if not _suite_fits_key(self.suite.auth, self.peer_key):
            raise TLSError(AlertDescription.illegal_parameter, SSLReason.WRONG_SIGNATURE_TYPE)
        signed = self.client_random + self.server_random + ske.params()
        signatures.verify(self.peer_key, ske.algorithm, ske.signature, signed)
        self.peer_sigalg = ske.algorithm
        self.server_group = ske.named_group
        self.server_public = ske.public
        self.group = ske.named_group
        self.transcript.update(raw)
        return flow("READING")

    def read_certificate_request(self, mtype: int, body: bytes, raw: bytes) -> Flow:
        cr = CertificateRequest12.decode(body)
        self.cr_sigalgs = cr.supported_signature_algorithms
        self.cert_requested = True
        self.transcript.update(raw)
        # libssl asks the client certificate callback here, before ServerHelloDone.
        return self.post_process(self.prepare_client_certificate, flow("READING"))

    def read_server_done(self, mtype: int, body: bytes, raw: bytes) -> Flow:
        ServerHelloDone.decode(body)
        assert self.suite is not None
        if self.suite.auth == "ECDSA" and not (
            certext.key_usage(self.peer_chain[0]) & certext.KU_DIGITAL_SIGNATURE
        ):
            # ssl3_check_cert_and_algorithm -> ssl_check_srvr_ecc_cert_and_alg: an
            # ECDSA (or EdDSA) server certificate must allow digitalSignature --
            # checked even with SSL_VERIFY_NONE, where nothing else looks at it.
            raise TLSError(
                AlertDescription.handshake_failure,
                SSLReason.BAD_ECC_CERT,
                first=(Lib.SSL, SSLReason.ECC_CERT_NOT_FOR_SIGNING),
            )
        self.transcript.update(raw)
        return flow("WRITING")

    # ================================================================ our flight

    def write_certificate(self) -> None:
        chosen = self.take_client_choice()
        if chosen == RETRY:
            from biokit.ssl.tls.engine import RetryHook

            raise RetryHook("x509")
        candidates = [chosen] if isinstance(chosen, CertKey) else list(self.cfg.certs)
        for cand in candidates:
            scheme = signatures.choose_scheme(
                cand.key, self.cr_sigalgs, tls13=False, rsa_pss=bool(cand.extra.get("rsa_pss"))
            )
            if scheme is not None:
                self.client_cert, self.own_sigalg = cand, scheme
                break
        chain = self.client_cert.chain if self.client_cert else []
        # The TLS 1.2 CertificateVerify signs the raw messages: keep them from here.
        self.send(Certificate12(certificate_list=tuple(chain)))
        self.client_cert_sent = self.client_cert is not None

    def write_client_key_exchange(self) -> None:
        share = kx.generate_key_share(self.server_group, self.hooks.key_rng())
        pms = share.shared(self.server_public)
        self.send(ClientKeyExchangeECDHE(public=share.public))
        self.derive_master(pms)

    def write_certificate_verify(self) -> None:
        ck = self.client_cert
        assert ck is not None and self.own_sigalg is not None
        sig = signatures.sign(ck.key, self.own_sigalg, self.transcript.raw())
        self.send(CertificateVerify(algorithm=self.own_sigalg, signature=sig))

    def write_ccs(self) -> None:
        self.write_ccs12(client=True)

    def write_finished(self) -> None:
        self.send_finished(client=True)

    # ================================================================ server's end

    def read_new_session_ticket(self, mtype: int, body: bytes, raw: bytes) -> Flow:
        nst = NewSessionTicket12.decode(body)
        self.transcript.update(raw)
        self.new_ticket = nst.ticket
        self._lifetime = nst.ticket_lifetime_hint
        return flow("READING")

    def read_ccs(self, mtype: int, body: bytes, raw: bytes) -> Flow:
        return self.read_ccs12(client=True)

    def read_finished(self, mtype: int, body: bytes, raw: bytes) -> Flow:
        self.check_finished12(body, client=False)
        self.transcript.update(raw)
        self._remember_session()
        return flow("WRITING")

    _lifetime = 7200

    def _remember_session(self) -> None:
        assert self.suite is not None
        ticket = self.new_ticket
        if ticket is None and self.resumed and self.session is not None:
            ticket = self.session.ticket
        if not ticket:
            return
        sess = SessionData(
            version=TLS12,
            suite_id=self.suite.id,
            ticket=ticket,
            psk=self.master,
            lifetime=self._lifetime or 7200,
            age_add=0,
            received_at=self.hooks.now().timestamp(),
            server_name=self.cfg.server_name,
            alpn=self.alpn,
            peer_chain=list(self.peer_chain),
            ems=self.ems,
        )
        self.hooks.new_session(sess)


def _suite_fits_key(auth: str | None, key: object) -> bool:
    """ECDHE_ECDSA suites go with EC and EdDSA keys, ECDHE_RSA with RSA (RFC 8422)."""
    from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

    if auth == "RSA":
        return isinstance(key, rsa.RSAPublicKey | rsa.RSAPrivateKey)
    if auth == "ECDSA":
        return isinstance(
            key,
            ec.EllipticCurvePublicKey
            | ec.EllipticCurvePrivateKey
            | ed25519.Ed25519PublicKey
            | ed25519.Ed25519PrivateKey
            | ed448.Ed448PublicKey
            | ed448.Ed448PrivateKey,
        )
    return True
