"""The server side of the handshake: ClientHello, then TLS 1.3 (RFC 8446 4) to the end.

The ClientHello is processed in OpenSSL's order: client hello callback,
version choice (the one split by protocol), server name (whose callback may
switch the context and so the certificates), cipher suite, key share (or a
HelloRetryRequest), PSK, signature algorithm and certificate, ALPN.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Any, NoReturn

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from biokit.errors import SSLReason
from biokit.ssl.tls import extensions as ext
from biokit.ssl.tls import key_schedule as ks
from biokit.ssl.tls import kx, signatures
from biokit.ssl.tls.codec import Reader, Writer
from biokit.ssl.tls.config import (
    RETRY,
    TLSEXT_ERR_ALERT_FATAL,
    TLSEXT_ERR_ALERT_WARNING,
    TLSEXT_ERR_NOACK,
    TLSEXT_ERR_OK,
    CertKey,
    ClientHelloInfo,
)
from biokit.ssl.tls.enums import (
    AlertDescription,
    AlertLevel,
    CipherSuite,
    ExtensionType,
    ProtocolVersion,
    PskKeyExchangeMode,
)
from biokit.ssl.tls.errors import TLSError
from biokit.ssl.tls.handshake import Handshake, flow
from biokit.ssl.tls.messages import (
    HRR_RANDOM,
    Certificate13,
    CertificateEntry,
    CertificateRequest13,
    CertificateVerify,
    ClientHello,
    EncryptedExtensions,
    Extension,
    Finished,
    NewSessionTicket13,
    ServerHello,
    encode_handshake,
)
from biokit.ssl.tls.record import NullProtector
from biokit.ssl.tls.states import HandState
from biokit.ssl.tls.suites import Suite, suite_by_id

if TYPE_CHECKING:
    from biokit.ssl.tls.engine import Engine, Flow

__all__ = ["ServerHandshake"]

ET = ExtensionType
TLS13 = ProtocolVersion.TLS1_3
TLS12 = ProtocolVersion.TLS1_2
_TICKET_VERSION = 1
_CHACHA_IDS = frozenset(
    (
        CipherSuite.TLS_CHACHA20_POLY1305_SHA256,
        CipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    )
)


class ServerHandshake(Handshake):
    """Writers and readers for the server role."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        cfg = engine.config
        # The TLS 1.2 client CertificateVerify signs the raw messages.
        self.transcript = ks.Transcript(
            keep_raw=cfg.verify_peer and cfg.min_version <= TLS12
        )
        self.hello: ClientHello | None = None
        self.client_groups: tuple[int, ...] = ()
        self.client_sigalgs: tuple[int, ...] = ()
        self.client_shares: dict[int, bytes] = {}
        self.cert: CertKey | None = None
        self.server_name: str | None = None
        self.sni_ack = False
        self.hrr_done = False
        self.hrr_cookie: bytes | None = None
        self.selected_group: int | None = None
        self.shared: bytes | None = None
        self.server_share: bytes = b""
        self.psk: bytes | None = None
        self.psk_index: int | None = None
        self.tickets_sent = 0
        self.peer_key: Any = None
        self.ch_cb_done = False
        self.writers = {
            HandState.SW_SRVR_HELLO: self.write_server_hello,
            HandState.SW_CHANGE: self.write_ccs,
            HandState.SW_ENCRYPTED_EXTENSIONS: self.write_encrypted_extensions,
            HandState.SW_CERT_REQ: self.write_certificate_request,
            HandState.SW_CERT: self.write_certificate,
            HandState.SW_CERT_VRFY: self.write_certificate_verify,
            HandState.SW_FINISHED: self.write_finished,
            HandState.EARLY_DATA: self._noop,
            HandState.SW_SESSION_TICKET: self.write_session_ticket,
            HandState.SW_KEY_UPDATE: self.write_key_update,
        }
        self.readers = {
            HandState.SR_CLNT_HELLO: self.read_client_hello,
            HandState.SR_CERT: self.read_certificate,
            HandState.SR_CERT_VRFY: self.read_certificate_verify,
            HandState.SR_FINISHED: self.read_finished,
            HandState.SR_KEY_UPDATE: self.read_key_update,
        }

    def _noop(self) -> None:
        return None

    # ================================================================ guards

    @property
    def tickets_due(self) -> bool:
        cfg = self.cfg
        if not cfg.tickets_enabled or self.psk_modes_missing:
            return False
        limit = 1 if self.resumed else cfg.num_tickets
        return self.tickets_sent < limit

    psk_modes_missing = False

    # ================================================================ ClientHello

    def read_client_hello(self, mtype: int, body: bytes, raw: bytes) -> Flow:
        hello = ClientHello.decode(body)
        second = self.hrr_pending
        if not second and not self.ch_cb_done:
            info = ClientHelloInfo(
                legacy_version=hello.legacy_version,
                random=hello.random,
                session_id=hello.legacy_session_id,
                cipher_suites=hello.cipher_suites,
                compression_methods=hello.legacy_compression_methods,
                extensions=tuple((x.type, x.data) for x in hello.extensions),
                raw=raw,
            )
            code, alert = self.hooks.client_hello(info)
            if code == RETRY:
                from biokit.ssl.tls.engine import RetryHook

                raise RetryHook("client_hello")
            if code != 1:
                raise TLSError(alert, SSLReason.CALLBACK_FAILED)
            self.ch_cb_done = True
            fresh = self.hooks.config()
            if fresh is not None:
                self._reconfigure(fresh)
        if second:
            return self._read_second_client_hello(hello, raw)
        self.first_hello_done = True
        self.hello = hello
        self.client_random = hello.random
        self.session_id = hello.legacy_session_id
        version = self._choose_version(hello)
        if version != TLS13:
            self.e.set_version(version)
            return self.e.hs.read_client_hello12(hello, raw)  # type: ignore[attr-defined, no-any-return]
        self.e.set_version(TLS13)
        self.transcript.drop_raw()
        # tls_early_post_process_client_hello: the null method must be there at all
        # (decode_error), and then, for TLS 1.3, be the only one (illegal_parameter).
        if b"\x00" not in hello.legacy_compression_methods:
            raise TLSError(AlertDescription.decode_error, SSLReason.NO_COMPRESSION_SPECIFIED)
        if hello.legacy_compression_methods != b"\x00":
            raise TLSError(
                AlertDescription.illegal_parameter, SSLReason.INVALID_COMPRESSION_ALGORITHM
            )
        modes = hello.extension(ET.psk_key_exchange_modes)
        if modes is not None:
            # tls_parse_all_extensions decodes it whether or not a PSK is offered.
            ext.decode_psk_key_exchange_modes(modes)
        self._server_name(hello)
        self.suite = self._choose_suite(hello)
        self.transcript.set_hash(self.suite.hash)
        self._parse_groups(hello)
        self._try_psk(hello, raw)
        self.transcript.update(raw)
        if self.selected_group is None:
            group = self._hrr_group()
            self.hrr_pending = True
            self.hrr_group = group
            return flow("WRITING")
        if self.cfg.send_hrr_cookie and hello.extension(ET.cookie) is None:
            # A cookie is wanted (SSL_CTX_set_stateless_cookie_generate_cb): ask
            # for one even though the key share would do, as OpenSSL does.
            self.hrr_pending = True
            self.hrr_group = None
            self.selected_group = None
            return flow("WRITING")
        if not self.resumed:
            self._choose_certificate(hello)
        self._alpn(hello)
        return flow("WRITING")

    def _reconfigure(self, cfg: Any) -> None:
        self.cfg = cfg
        self.e.config = cfg

    def _choose_version(self, hello: ClientHello) -> int:
        """ssl_choose_server_version, for a TLS_method() that speaks TLS 1.2 and 1.3 only."""
        cfg = self.cfg
        sv = hello.extension(ET.supported_versions)
        if sv is not None:
            offered = ext.decode_supported_versions_ch(sv)
            # "slightly stricter" than RFC 8446: SSLv3 *or lower* is refused.
            if hello.legacy_version <= 0x0300:
                self._version_error(hello, SSLReason.BAD_LEGACY_VERSION)
            for v in (TLS13, TLS12):
                if cfg.min_version <= v <= cfg.max_version and v in offered:
                    return v
            self._version_error(hello, SSLReason.UNSUPPORTED_PROTOCOL)
        legacy = min(hello.legacy_version, int(TLS12))
        if legacy < 0x0301:
            # No method at or below the client's version exists at all (no SSLv3).
            self._version_error(hello, SSLReason.VERSION_TOO_LOW)
        if legacy < cfg.min_version or cfg.max_version < TLS12:
            # TLS 1.0 and 1.1 exist but are disabled, like a min_proto_version of TLS 1.2.
            self._version_error(hello, SSLReason.UNSUPPORTED_PROTOCOL)
        return TLS12

    def _version_error(self, hello: ClientHello, reason: SSLReason) -> NoReturn:
        # OpenSSL answers in the client's own version (s->version = legacy_version)
        # -- and since SSLv3 has no protocol_version alert, says handshake_failure to it.
        legacy = hello.legacy_version
        self.e.wprot = NullProtector(legacy)
        alert = (
            AlertDescription.handshake_failure
            if legacy == 0x0300
            else AlertDescription.protocol_version
        )
        raise TLSError(alert, reason)

    def _server_name(self, hello: ClientHello) -> None:
        data = hello.extension(ET.server_name)
        name = ext.decode_server_name(data) if data is not None else None
        self.server_name = name
        code, alert = self.hooks.servername(name)
        fresh = self.hooks.config()
        if fresh is not None:
            self._reconfigure(fresh)
        if code == TLSEXT_ERR_ALERT_FATAL:
            raise TLSError(alert, SSLReason.CALLBACK_FAILED)
        if code == TLSEXT_ERR_ALERT_WARNING:
            self.e.send_alert(alert, AlertLevel.WARNING)
        self.sni_ack = code == TLSEXT_ERR_OK and name is not None

    def _choose_suite(self, hello: ClientHello) -> Suite:
        cfg = self.cfg
        ours = [s for s in cfg.suites13]
        theirs = [c for c in hello.cipher_suites]
        chosen: Suite | None = None
        if cfg.server_preference:
            by_id = set(theirs)
            if cfg.prioritize_chacha and theirs and theirs[0] in _CHACHA_IDS:
                ours.sort(key=lambda s: s.id not in _CHACHA_IDS)
            for s in ours:
                if s.id in by_id:
                    chosen = s
                    break
        else:
            mine = {s.id: s for s in ours}
            for c in theirs:
                if c in mine:
                    chosen = mine[c]
                    break
        if chosen is None:
            raise TLSError(AlertDescription.handshake_failure, SSLReason.NO_SHARED_CIPHER)
        return chosen

    def _parse_groups(self, hello: ClientHello) -> None:
        sg = hello.extension(ET.supported_groups)
        kse = hello.extension(ET.key_share)
        if sg is None or kse is None:
            if self.resumed:
                return
            raise TLSError(
                AlertDescription.missing_extension,
                SSLReason.MISSING_SUPPORTED_GROUPS_EXTENSION
                if sg is None
                else SSLReason.NO_SUITABLE_KEY_SHARE,
            )
        self.client_groups = ext.decode_supported_groups(sg)
        shares = ext.decode_key_share_ch(kse)
        self.client_shares = dict(shares)
        for group, _ in shares:
            if group not in self.client_groups:
                raise TLSError(AlertDescription.illegal_parameter, SSLReason.BAD_KEY_SHARE)
        # The first client share we also support wins (tls_parse_ctos_key_share).
        for group, public in shares:
            if group in self.cfg.groups and group in kx.SUPPORTED_GROUPS:
                self._accept_share(group, public)
                return

    def _accept_share(self, group: int, public: bytes) -> None:
        server_public, shared = kx.server_key_share(group, public, self.hooks.key_rng())
        self.selected_group = group
        self.group = group
        self.server_share = server_public
        self.shared = shared

    def _hrr_group(self) -> int:
        cfg = self.cfg
        prefs = cfg.groups if cfg.server_preference else self.client_groups
        other = set(self.client_groups if cfg.server_preference else cfg.groups)
        for g in prefs:
            if g in other and g in kx.SUPPORTED_GROUPS:
                return g
        raise TLSError(AlertDescription.handshake_failure, SSLReason.NO_SUITABLE_KEY_SHARE)

    def _read_second_client_hello(self, hello: ClientHello, raw: bytes) -> Flow:
        first = self.hello
        assert first is not None and self.suite is not None
        if (
            hello.legacy_session_id != first.legacy_session_id
            or hello.random != first.random
            or self.suite.id not in hello.cipher_suites
        ):
            raise TLSError(AlertDescription.illegal_parameter, SSLReason.BAD_DATA)
        self.hrr_pending = False
        self.hrr_done = True
        if self.hrr_cookie is not None:
            got = hello.extension(ET.cookie)
            if got is None or not self.hooks.verify_hrr_cookie(
                ext.decode_cookie(got), self.hrr_cookie
            ):
                raise TLSError(AlertDescription.illegal_parameter, SSLReason.COOKIE_MISMATCH)
        kse = hello.extension(ET.key_share)
        if kse is None:
            raise TLSError(AlertDescription.missing_extension, SSLReason.NO_SUITABLE_KEY_SHARE)
        shares = ext.decode_key_share_ch(kse)
        if self.hrr_group is not None:
            if len(shares) != 1 or shares[0][0] != self.hrr_group:
                raise TLSError(AlertDescription.illegal_parameter, SSLReason.BAD_KEY_SHARE)
            group, public = shares[0]
        else:
            # Cookie-only HRR: the client sends its shares again; take the first we like.
            usable = [(g, p) for g, p in shares if g in self.cfg.groups and kx.is_supported(g)]
            if not usable:
                raise TLSError(AlertDescription.illegal_parameter, SSLReason.BAD_KEY_SHARE)
            group, public = usable[0]
        self.hello = hello
        self._accept_share(group, public)
        self.resumed = False
        self._try_psk(hello, raw)
        self.transcript.update(raw)
        if not self.resumed:
            self._choose_certificate(hello)
        self._alpn(hello)
        return flow("WRITING")

    hrr_group: int | None = None

    def _choose_certificate(self, hello: ClientHello) -> None:
        sa = hello.extension(ET.signature_algorithms)
        if sa is None:
            raise TLSError(AlertDescription.missing_extension, SSLReason.MISSING_SIGALGS_EXTENSION)
        self.client_sigalgs = ext.decode_signature_algorithms(sa)
        certs = self.cfg.certs
        if not certs:
            raise TLSError(AlertDescription.internal_error, SSLReason.NO_CERTIFICATE_SET)
        allowed = [s for s in self.client_sigalgs if s in self.cfg.sigalgs]
        for ck in certs:
            scheme = signatures.choose_scheme(
                ck.key, allowed, tls13=True, rsa_pss=bool(ck.extra.get("rsa_pss"))
            )
            if scheme is not None:
                self.cert = ck
                self.own_sigalg = scheme
                return
        raise TLSError(
            AlertDescription.handshake_failure, SSLReason.NO_SUITABLE_SIGNATURE_ALGORITHM
        )

    def _alpn(self, hello: ClientHello) -> None:
        data = hello.extension(ET.application_layer_protocol_negotiation)
        if data is None:
            return
        offered = list(ext.decode_alpn(data))
        code, proto = self.hooks.alpn_select(offered)
        if code == TLSEXT_ERR_OK and proto is not None:
            if proto not in offered:
                raise TLSError(AlertDescription.internal_error, SSLReason.NO_APPLICATION_PROTOCOL)
            self.alpn = proto
        elif code == TLSEXT_ERR_ALERT_FATAL:
            raise TLSError(
                AlertDescription.no_application_protocol, SSLReason.NO_APPLICATION_PROTOCOL
            )
        elif code not in (TLSEXT_ERR_NOACK, TLSEXT_ERR_OK, TLSEXT_ERR_ALERT_WARNING):
            raise TLSError(AlertDescription.internal_error, SSLReason.CALLBACK_FAILED)

    # ------------------------------------------------------------------ PSK (tickets)

    def _try_psk(self, hello: ClientHello, raw: bytes) -> None:
        data = hello.extension(ET.pre_shared_key)
        modes = hello.extension(ET.psk_key_exchange_modes)
        if modes is None:
            self.psk_modes_missing = True
        if data is None or modes is None or not self.cfg.tickets_enabled:
            return
        if PskKeyExchangeMode.psk_dhe_ke not in ext.decode_psk_key_exchange_modes(modes):
            return
        offered = ext.decode_pre_shared_key_ch(data)
        assert self.suite is not None
        for index, (identity, obfuscated_age) in enumerate(offered.identities):
            state = self._open_ticket(identity)
            if state is None:
                continue
            suite_id, psk, issued, age_add, _alpn, _sni = state
            psk_suite = suite_by_id(suite_id)
            if psk_suite is None or psk_suite.hash is not self.suite.hash:
                continue
            # Too old by our clock, or by the age the client claims (RFC 8446 4.2.11.1).
            claimed_ms = (obfuscated_age - age_add) & 0xFFFFFFFF
            lifetime = self.cfg.ticket_lifetime
            if self.hooks.now().timestamp() - issued > lifetime or claimed_ms > lifetime * 1000:
                continue
            binder = offered.binders[index]
            cut = offered.binders_length()
            schedule = ks.KeySchedule13(self.suite.hash, psk)
            # The transcript already holds this ClientHello; the binder covers
            # everything before it plus the truncated hello.
            th = self._binder_transcript(raw[:-cut])
            expected = ks.finished_verify_data(
                self.suite.hash, schedule.binder_key(resumption=True), th
            )
            import hmac

            if not hmac.compare_digest(expected, binder):
                raise TLSError(AlertDescription.decrypt_error, SSLReason.BINDER_DOES_NOT_VERIFY)
            self.psk = psk
            self.psk_index = index
            self.resumed = True
            return

    def _binder_transcript(self, truncated: bytes) -> bytes:
        # Called before this ClientHello joins the transcript: the binder covers
        # everything before it (message_hash + HRR after a retry) + the truncated hello.
        return self.transcript.digest_with(truncated)

    def _seal_ticket(self, psk: bytes) -> bytes:
        assert self.suite is not None
        w = Writer()
        w.uint16(self.suite.id)
        w.vec8(psk)
        w.raw(struct.pack("!d", self.hooks.now().timestamp()))
        w.uint32(self._age_add)
        w.vec8(self.alpn or b"")
        w.vec8((self.server_name or "").encode("utf-8", "surrogateescape"))
        nonce = self.hooks.random(12)
        sealed = AESGCM(self.hooks.ticket_key()).encrypt(nonce, w.getvalue(), b"biokit-ticket")
        return bytes((_TICKET_VERSION,)) + nonce + sealed

    def _open_ticket(
        self, ticket: bytes
    ) -> tuple[int, bytes, float, int, bytes, bytes] | None:
        if len(ticket) < 1 + 12 + 16 or ticket[0] != _TICKET_VERSION:
            return None
        try:
            plain = AESGCM(self.hooks.ticket_key()).decrypt(
                ticket[1:13], ticket[13:], b"biokit-ticket"
            )
            r = Reader(plain)
            suite_id = r.uint16()
            psk = r.vec8()
            issued = struct.unpack("!d", r.raw(8))[0]
            age_add = r.uint32()
            alpn = r.vec8()
            sni = r.vec8()
            r.expect_end()
        except Exception:
            # A ticket we cannot open is simply not used (full handshake instead).
            return None
        return suite_id, psk, issued, age_add, alpn, sni

    # ================================================================ server flight

    def write_server_hello(self) -> None:
        assert self.suite is not None and self.hello is not None
        if self.hrr_pending:
            exts = [
                Extension(type=ET.supported_versions, data=ext.encode_supported_versions_sh(TLS13)),
            ]
            if self.hrr_group is not None:
                exts.append(
                    Extension(type=ET.key_share, data=ext.encode_key_share_hrr(self.hrr_group))
                )
            if self.cfg.send_hrr_cookie:
                self.hrr_cookie = self.hooks.hrr_cookie() or self.hooks.random(32)
                exts.append(Extension(type=ET.cookie, data=ext.encode_cookie(self.hrr_cookie)))
            hrr = ServerHello(
                random=HRR_RANDOM,
                legacy_session_id_echo=self.session_id,
                cipher_suite=self.suite.id,
                extensions=tuple(exts),
            )
            self.transcript.rewrite_for_hrr()
            self.send(hrr)
            return
        self.server_random = self.hooks.random(32)
        exts = [
            Extension(type=ET.supported_versions, data=ext.encode_supported_versions_sh(TLS13)),
            Extension(
                type=ET.key_share,
                data=ext.encode_key_share_sh(self.selected_group or 0, self.server_share),
            ),
        ]
        if self.resumed and self.psk_index is not None:
            exts.append(
                Extension(type=ET.pre_shared_key, data=ext.encode_pre_shared_key_sh(self.psk_index))
            )
        sh = ServerHello(
            random=self.server_random,
            legacy_session_id_echo=self.session_id,
            cipher_suite=self.suite.id,
            extensions=tuple(exts),
        )
        self.send(sh)
        self.ks = ks.KeySchedule13(self.suite.hash, self.psk)
        self.derive_handshake_secrets(self.shared)
        self.set_read_secret(self.c_hs)
        if not self.ccs_due:
            self.set_write_secret(self.s_hs)

    def write_ccs(self) -> None:
        self.e.send_ccs()
        self.ccs_sent = True
        if not self.hrr_pending:
            self.set_write_secret(self.s_hs)

    def write_encrypted_extensions(self) -> None:
        exts: list[Extension] = []
        if self.sni_ack and not self.resumed:
            exts.append(Extension(type=ET.server_name, data=ext.encode_server_name_ack()))
        if self.cfg.groups and self.selected_group != self.cfg.groups[0]:
            # Tell the client what we would have preferred (tls_construct_stoc_supported_groups).
            supported = [g for g in self.cfg.groups if g in kx.SUPPORTED_GROUPS]
            exts.append(
                Extension(type=ET.supported_groups, data=ext.encode_supported_groups(supported))
            )
        if self.alpn is not None:
            exts.append(
                Extension(
                    type=ET.application_layer_protocol_negotiation,
                    data=ext.encode_alpn_selected(self.alpn),
                )
            )
        self.send(EncryptedExtensions(extensions=tuple(exts)))

    @property
    def request_cert(self) -> bool:  # type: ignore[override]
        return self.cfg.verify_peer and not self.resumed and not self.cfg.client_once

    def write_certificate_request(self) -> None:
        exts = [
            Extension(
                type=ET.signature_algorithms,
                data=ext.encode_signature_algorithms(self.cfg.sigalgs),
            )
        ]
        if self.cfg.client_ca_names:
            exts.append(
                Extension(
                    type=ET.certificate_authorities,
                    data=ext.encode_certificate_authorities(self.cfg.client_ca_names),
                )
            )
        self.send(CertificateRequest13(certificate_request_context=b"", extensions=tuple(exts)))
        self.cert_request_sent = True

    def write_certificate(self) -> None:
        ck = self.cert
        assert ck is not None
        entries = tuple(CertificateEntry(cert_data=d) for d in ck.chain)
        self.send(Certificate13(certificate_request_context=b"", certificate_list=entries))

    def write_certificate_verify(self) -> None:
        ck = self.cert
        assert ck is not None and self.own_sigalg is not None
        content = signatures.tls13_signed_content(True, self.transcript.digest())
        sig = signatures.sign(ck.key, self.own_sigalg, content)
        self.send(CertificateVerify(algorithm=self.own_sigalg, signature=sig))

    def write_finished(self) -> None:
        self.own_finished = self.finished_for(self.s_hs)
        self.send(Finished(verify_data=self.own_finished))
        self.derive_application_secrets()
        self.set_write_secret(self.s_ap)

    # ================================================================ client flight

    def read_certificate(self, mtype: int, body: bytes, raw: bytes) -> Flow:
        cert = Certificate13.decode(body)
        if cert.certificate_request_context:
            raise TLSError(AlertDescription.illegal_parameter, SSLReason.INVALID_CONTEXT)
        chain = [entry.cert_data for entry in cert.certificate_list]
        if not chain:
            if self.cfg.require_peer_cert:
                raise TLSError(
                    AlertDescription.certificate_required,
                    SSLReason.PEER_DID_NOT_RETURN_A_CERTIFICATE,
                )
            self.client_cert_received = False
        else:
            self.accept_peer_chain(chain)
            self.client_cert_received = True
        self.transcript.update(raw)
        return flow("READING")

    def read_certificate_verify(self, mtype: int, body: bytes, raw: bytes) -> Flow:
        cv = CertificateVerify.decode(body)
        if cv.algorithm not in self.cfg.sigalgs or not signatures.scheme_matches_key(
            cv.algorithm, self.peer_key, tls13=True, rsa_pss=self.peer_key_pss
        ):
            raise TLSError(AlertDescription.illegal_parameter, SSLReason.WRONG_SIGNATURE_TYPE)
        content = signatures.tls13_signed_content(False, self.transcript.digest())
        signatures.verify(self.peer_key, cv.algorithm, cv.signature, content)
        self.peer_sigalg = cv.algorithm
        self.transcript.update(raw)
        return flow("READING")

    def read_finished(self, mtype: int, body: bytes, raw: bytes) -> Flow:
        self.check_finished(body, self.c_hs)
        self.transcript.update(raw)
        assert self.ks is not None
        self.resumption_secret = self.ks.resumption_master_secret(self.transcript.digest())
        self.set_read_secret(self.c_ap)
        return flow("WRITING")

    # ================================================================ tickets

    def write_session_ticket(self) -> None:
        assert self.suite is not None
        nonce = self.tickets_sent.to_bytes(8, "big")
        psk = ks.resumption_psk(self.suite.hash, self.resumption_secret, nonce)
        self._age_add = int.from_bytes(self.hooks.random(4), "big")
        ticket = self._seal_ticket(psk)
        nst = NewSessionTicket13(
            ticket_lifetime=self.cfg.ticket_lifetime,
            ticket_age_add=self._age_add,
            ticket_nonce=nonce,
            ticket=ticket,
        )
        self.e.send_handshake(encode_handshake(nst))
        self.tickets_sent += 1

    _age_add = 0
