"""The TLS 1.2 server, from the ClientHello on (RFC 5246 7.3, ECDHE + AEAD).

Full handshake::

    ClientHello -> ServerHello, Certificate, ServerKeyExchange, [CertificateRequest],
                   ServerHelloDone
    [Certificate], ClientKeyExchange, [CertificateVerify], CCS, Finished
                -> [NewSessionTicket], CCS, Finished

Resumption with a ticket we issued: ServerHello, [NewSessionTicket], CCS, Finished,
then the client's CCS, Finished.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from biokit.errors import SSLReason
from biokit.ssl.tls import extensions as ext
from biokit.ssl.tls import kx, signatures
from biokit.ssl.tls.config import (
    CertKey,
)
from biokit.ssl.tls.enums import (
    AlertDescription,
    CipherSuite,
    ExtensionType,
    ProtocolVersion,
)
from biokit.ssl.tls.errors import TLSError
from biokit.ssl.tls.messages import (
    Certificate12,
    CertificateRequest12,
    CertificateVerify,
    ClientHello,
    ClientKeyExchangeECDHE,
    Extension,
    NewSessionTicket12,
    ServerHello,
    ServerHelloDone,
    ServerKeyExchangeECDHE,
)
from biokit.ssl.tls.states import HandState
from biokit.ssl.tls.suites import Suite
from biokit.ssl.tls.tls12 import Handshake12, flow, open_ticket12, seal_ticket12

if TYPE_CHECKING:
    from biokit.ssl.tls.engine import Engine, Flow
    from biokit.ssl.tls.server13 import ServerHandshake

__all__ = ["ServerHandshake12"]

ET = ExtensionType
TLS12 = ProtocolVersion.TLS1_2
TLS13 = ProtocolVersion.TLS1_3
# RFC 8446 4.1.3: a TLS 1.3 server negotiating TLS 1.2 says so in its random.
DOWNGRADE_TLS12 = b"DOWNGRD\x01"
# certificate_types in a TLS 1.2 CertificateRequest: rsa_sign, ecdsa_sign.
_CERT_TYPES = bytes((1, 64))


class ServerHandshake12(Handshake12):
    """Writers and readers of the TLS 1.2 server."""

    def __init__(self, engine: Engine, previous: ServerHandshake) -> None:
        super().__init__(engine, previous)
        self.prev = previous
        self.cert: CertKey | None = None
        self.share: kx.KeyShare | None = None
        self.client_groups: tuple[int, ...] = ()
        self.client_sigalgs: tuple[int, ...] = ()
        self.server_name = previous.server_name
        self.sni_ack = previous.sni_ack
        self.client_ticket_ext = False
        self.writers = {
            HandState.SW_SRVR_HELLO: self.write_server_hello,
            HandState.SW_CERT: self.write_certificate,
            HandState.SW_KEY_EXCH: self.write_server_key_exchange,
            HandState.SW_CERT_REQ: self.write_certificate_request,
            HandState.SW_SRVR_DONE: self.write_server_done,
            HandState.SW_SESSION_TICKET: self.write_session_ticket,
            HandState.SW_CHANGE: self.write_ccs,
            HandState.SW_FINISHED: self.write_finished,
        }
        self.readers = {
            HandState.SR_CERT: self.read_certificate,
            HandState.SR_KEY_EXCH: self.read_client_key_exchange,
            HandState.SR_CERT_VRFY: self.read_certificate_verify,
            HandState.SR_CHANGE: self.read_ccs,
            HandState.SR_FINISHED: self.read_finished,
            HandState.SR_CLNT_HELLO: self.refuse_renegotiation,
        }

    # ================================================================ guards

    @property
    def request_cert(self) -> bool:  # type: ignore[override]
        return self.cfg.verify_peer and not self.resumed and not self.cfg.client_once

    @property
    def resumed_ticket_due(self) -> bool:
        return self.resumed and self.ticket_expected

    # ================================================================ ClientHello

    def read_client_hello12(self, hello: ClientHello, raw: bytes) -> Flow:
        cfg = self.cfg
        if b"\x00" not in hello.legacy_compression_methods:
            raise TLSError(
                AlertDescription.decode_error, SSLReason.NO_COMPRESSION_SPECIFIED
            )
        self.prev._server_name(hello)
        self.cfg = self.e.config
        cfg = self.cfg
        self.sni_ack = self.prev.sni_ack
        self.server_name = self.prev.server_name
        exts = {x.type: x.data for x in hello.extensions}
        # RFC 5746: the SCSV or an empty renegotiation_info makes us answer with one.
        ri = exts.get(ET.renegotiation_info)
        if ri is not None and ext.decode_renegotiation_info(ri) != b"":
            raise TLSError(AlertDescription.handshake_failure, SSLReason.RENEGOTIATION_MISMATCH)
        self.secure_renegotiation = (
            ri is not None or CipherSuite.TLS_EMPTY_RENEGOTIATION_INFO_SCSV in hello.cipher_suites
        )
        self.ems = ET.extended_master_secret in exts
        if ET.supported_groups in exts:
            self.client_groups = ext.decode_supported_groups(exts[ET.supported_groups])
        else:
            # RFC 8422 5.1.1 would let us pick any curve; OpenSSL 3.0 finds no shared
            # group for ECDHE (tls1_shared_group over an empty list), so no suite at
            # all -- while any certificate curve is fine (tls1_check_group_id).
            self.client_groups = ()
            self.groups_sent = False
        # Without "uncompressed" in the list the client cannot take our ECDSA key's
        # point (tls1_check_pkey_comp): those suites drop out, and with nothing left
        # it is "no shared cipher" -- not an error of the list itself.
        self.uncompressed_ok = ET.ec_point_formats not in exts or 0 in ext.decode_ec_point_formats(
            exts[ET.ec_point_formats]
        )
        if ET.signature_algorithms in exts:
            self.client_sigalgs = ext.decode_signature_algorithms(exts[ET.signature_algorithms])
        else:
            # RFC 5246 7.4.1.4.1's defaults for a client that sends none.
            self.client_sigalgs = (0x0201, 0x0203)
        self.transcript.set_hash(self._choose_suite_and_cert(hello).hash)
        self.transcript.update(raw)
        if ET.session_ticket in exts and cfg.tickets_enabled:
            self.client_ticket_ext = True
            self._try_resume(ext.decode_session_ticket(exts[ET.session_ticket]), hello)
        self.ticket_expected = self.client_ticket_ext and cfg.num_tickets > 0
        if ET.application_layer_protocol_negotiation in exts:
            self.prev._alpn(hello)
            self.alpn = self.prev.alpn
        return flow("WRITING")

    def _choose_suite_and_cert(self, hello: ClientHello) -> Suite:
        cfg = self.cfg
        shared_groups = [
            g for g in cfg.groups if g in self.client_groups and g in kx.TLS12_GROUPS
        ]
        ours = list(cfg.suites12)
        theirs = [c for c in hello.cipher_suites]
        order: list[Suite] = []
        if cfg.server_preference:
            order = [s for s in ours if s.id in theirs]
        else:
            by_id = {s.id: s for s in ours}
            order = [by_id[c] for c in theirs if c in by_id]
        for suite in order:
            if not shared_groups:
                break
            for ck in cfg.certs:
                if not _cert_fits_suite(suite, ck) or not self._peer_takes_ec_key(ck):
                    continue
                scheme = signatures.choose_scheme(
                    ck.key, self.client_sigalgs, tls13=False, ours=cfg.sigalgs,
                    rsa_pss=bool(ck.extra.get("rsa_pss")),
                )
                if scheme is None:
                    continue
                self.suite, self.cert, self.own_sigalg = suite, ck, scheme
                self.group = shared_groups[0]
                return suite
        if not shared_groups:
            raise TLSError(AlertDescription.handshake_failure, SSLReason.NO_SHARED_CIPHER)
        raise TLSError(AlertDescription.handshake_failure, SSLReason.NO_SHARED_CIPHER)

    uncompressed_ok = True
    groups_sent = True

    def _peer_takes_ec_key(self, ck: CertKey) -> bool:
        """tls1_check_cert_param: an ECDSA certificate's curve must be one the client
        listed, its point format one it takes (RFC 8422 5.1)."""
        from cryptography.hazmat.primitives.asymmetric import ec

        key = ck.key
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            return True
        group = _CURVE_GROUPS.get(key.curve.name)
        return self.uncompressed_ok and (
            not self.groups_sent or (group is not None and group in self.client_groups)
        )

    def _try_resume(self, ticket: bytes, hello: ClientHello) -> None:
        if not ticket:
            return
        state = open_ticket12(self.hooks.ticket_key(), ticket)
        if state is None:
            return
        suite_id, master, ems, issued = state
        if self.hooks.now().timestamp() - issued > self.cfg.ticket_lifetime:
            return
        if suite_id != (self.suite.id if self.suite else -1):
            return
        if ems != self.ems:
            # RFC 7627 5.3: never resume across an EMS change; fall back to full.
            return
        self.resumed = True
        self.master = master
        # Echo the client's session id: that is how it learns it was resumed.
        self.session_id = hello.legacy_session_id

    # ================================================================ our flight

    def write_server_hello(self) -> None:
        assert self.suite is not None
        random = self.hooks.random(32)
        if self.cfg.max_version >= TLS13:
            random = random[:24] + DOWNGRADE_TLS12
        self.server_random = random
        if not self.resumed:
            # A fresh id (we cache nothing server-side: resumption is by ticket).
            self.session_id = self.hooks.random(32) if not self.client_ticket_ext else b""
        exts: list[Extension] = []
        if self.secure_renegotiation:
            exts.append(Extension(type=ET.renegotiation_info, data=ext.encode_renegotiation_info()))
        if self.sni_ack and not self.resumed:
            exts.append(Extension(type=ET.server_name, data=b""))
        if not self.resumed:
            exts.append(Extension(type=ET.ec_point_formats, data=ext.encode_ec_point_formats()))
        if self.ticket_expected:
            exts.append(Extension(type=ET.session_ticket, data=b""))
        if self.alpn is not None:
            exts.append(
                Extension(
                    type=ET.application_layer_protocol_negotiation,
                    data=ext.encode_alpn_selected(self.alpn),
                )
            )
        if self.ems:
            exts.append(Extension(type=ET.extended_master_secret, data=b""))
        self.send(
            ServerHello(
                legacy_version=TLS12,
                random=self.server_random,
                legacy_session_id_echo=self.session_id,
                cipher_suite=self.suite.id,
                extensions=tuple(exts),
            )
        )
        if self.resumed:
            self.e.keylog12(self.master)

    def write_certificate(self) -> None:
        assert self.cert is not None
        self.send(Certificate12(certificate_list=tuple(self.cert.chain)))

    def write_server_key_exchange(self) -> None:
        assert self.cert is not None and self.own_sigalg is not None and self.group
        self.share = kx.generate_key_share(self.group, self.hooks.key_rng())
        unsigned = ServerKeyExchangeECDHE(
            named_group=self.group, public=self.share.public, algorithm=self.own_sigalg,
            signature=b"",
        )
        signed = self.client_random + self.server_random + unsigned.params()
        sig = signatures.sign(self.cert.key, self.own_sigalg, signed)
        self.send(
            ServerKeyExchangeECDHE(
                named_group=self.group, public=self.share.public,
                algorithm=self.own_sigalg, signature=sig,
            )
        )

    def write_certificate_request(self) -> None:
        self.send(
            CertificateRequest12(
                certificate_types=_CERT_TYPES,
                supported_signature_algorithms=tuple(self.cfg.sigalgs),
                certificate_authorities=tuple(self.cfg.client_ca_names),
            )
        )
        self.cert_request_sent = True

    def write_server_done(self) -> None:
        self.send(ServerHelloDone())

    # ================================================================ client flight

    def read_certificate(self, mtype: int, body: bytes, raw: bytes) -> Flow:
        cert = Certificate12.decode(body)
        chain = list(cert.certificate_list)
        if not chain:
            if self.cfg.require_peer_cert:
                raise TLSError(
                    AlertDescription.handshake_failure,
                    SSLReason.PEER_DID_NOT_RETURN_A_CERTIFICATE,
                )
        else:
            self.accept_peer_chain(chain)
            self.client_cert_received = True
        self.transcript.update(raw)
        return flow("READING")

    def read_client_key_exchange(self, mtype: int, body: bytes, raw: bytes) -> Flow:
        if self.cfg.require_peer_cert and not self.client_cert_received and self.cert_request_sent:
            raise TLSError(
                AlertDescription.handshake_failure, SSLReason.PEER_DID_NOT_RETURN_A_CERTIFICATE
            )
        cke = ClientKeyExchangeECDHE.decode(body)
        assert self.share is not None
        pms = self.share.shared(cke.public)
        self.transcript.update(raw)
        self.derive_master(pms)
        return flow("READING")

    def read_certificate_verify(self, mtype: int, body: bytes, raw: bytes) -> Flow:
        cv = CertificateVerify.decode(body)
        signatures.check_peer_scheme(
            cv.algorithm,
            self.peer_key,
            tls13=False,
            sent=self.cfg.sigalgs,
            rsa_pss=self.peer_key_pss,
        )
        signatures.verify(self.peer_key, cv.algorithm, cv.signature, self.transcript.raw())
        self.peer_sigalg = cv.algorithm
        self.transcript.update(raw)
        return flow("READING")

    def read_ccs(self, mtype: int, body: bytes, raw: bytes) -> Flow:
        return self.read_ccs12(client=False)

    def read_finished(self, mtype: int, body: bytes, raw: bytes) -> Flow:
        self.check_finished12(body, client=True)
        self.transcript.update(raw)
        return flow("WRITING")

    # ================================================================ our end

    def write_session_ticket(self) -> None:
        assert self.suite is not None
        ticket = seal_ticket12(
            self.hooks.ticket_key(), self.hooks.random(12), self.suite.id, self.master,
            self.ems, self.alpn, self.hooks.now().timestamp(),
        )
        self.send(NewSessionTicket12(ticket_lifetime_hint=self.cfg.ticket_lifetime, ticket=ticket))

    def write_ccs(self) -> None:
        self.write_ccs12(client=False)

    def write_finished(self) -> None:
        self.send_finished(client=False)


_CURVE_GROUPS = {"secp256r1": 23, "secp384r1": 24, "secp521r1": 25}


def _cert_fits_suite(suite: Suite, ck: CertKey) -> bool:
    from cryptography.hazmat.primitives.asymmetric import rsa

    is_rsa = isinstance(ck.key, rsa.RSAPrivateKey)
    return (suite.auth == "RSA") == is_rsa
