"""The client side of the handshake: ClientHello, then TLS 1.3 (RFC 8446 4) to the end.

The client starts version-neutral (it offers TLS 1.3 and, if allowed, 1.2);
the ServerHello decides, and ``Engine.set_version`` splits once, there.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from biokit.errors import SSLReason
from biokit.ssl.tls import extensions as ext
from biokit.ssl.tls import key_schedule as ks
from biokit.ssl.tls import kx, signatures
from biokit.ssl.tls.config import RETRY, CertKey, SessionData
from biokit.ssl.tls.enums import (
    AlertDescription,
    CipherSuite,
    ExtensionType,
    ProtocolVersion,
    PskKeyExchangeMode,
)
from biokit.ssl.tls.errors import TLSError
from biokit.ssl.tls.handshake import Handshake, flow
from biokit.ssl.tls.messages import (
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
from biokit.ssl.tls.states import HandState
from biokit.ssl.tls.suites import suite_by_id

if TYPE_CHECKING:
    from biokit.ssl.tls.engine import Engine, Flow

__all__ = ["ClientHandshake"]

ET = ExtensionType
TLS13 = ProtocolVersion.TLS1_3
TLS12 = ProtocolVersion.TLS1_2

# Extensions a TLS 1.3 ServerHello / HRR / EncryptedExtensions may carry (RFC 8446 4.2).
# The cipher suite numbers libssl 3.0 knows at all (ssl_get_cipher_by_char, SCSVs
# excluded): a ServerHello naming one of these that we did not offer gets "wrong
# cipher returned", any other number "unknown cipher returned".
_OPENSSL_SUITE_RANGES = (
    (0x0001, 0x0002), (0x0007, 0x0007), (0x002C, 0x002F), (0x0032, 0x0035), (0x0038, 0x003D),
    (0x0040, 0x0041), (0x0044, 0x0046), (0x0067, 0x0067), (0x006A, 0x006D), (0x0081, 0x0081),
    (0x0083, 0x0084), (0x0087, 0x0089), (0x008C, 0x008D), (0x0090, 0x0091), (0x0094, 0x0096),
    (0x0099, 0x009F), (0x00A2, 0x00A3), (0x00A6, 0x00BA), (0x00BD, 0x00C0), (0x00C3, 0x00C5),
    (0x1301, 0x1305), (0xC006, 0xC006), (0xC009, 0xC00A), (0xC010, 0xC010), (0xC013, 0xC015),
    (0xC018, 0xC019), (0xC01D, 0xC024), (0xC027, 0xC028), (0xC02B, 0xC02C), (0xC02F, 0xC030),
    (0xC035, 0xC03B), (0xC050, 0xC053), (0xC056, 0xC057), (0xC05C, 0xC05D), (0xC060, 0xC061),
    (0xC06A, 0xC06F), (0xC072, 0xC073), (0xC076, 0xC077), (0xC094, 0xC0AF), (0xC100, 0xC102),
    (0xCCA8, 0xCCAE), (0xFF85, 0xFF85), (0xFF87, 0xFF87),
)
OPENSSL_SUITES = frozenset(i for lo, hi in _OPENSSL_SUITE_RANGES for i in range(lo, hi + 1))


def unknown_cipher(suite_id: int) -> TLSError:
    """set_client_ciphersuite: the error for a ServerHello cipher suite we cannot take."""
    if suite_id in OPENSSL_SUITES:
        return TLSError(AlertDescription.illegal_parameter, SSLReason.WRONG_CIPHER_RETURNED)
    return TLSError(AlertDescription.illegal_parameter, SSLReason.UNKNOWN_CIPHER_RETURNED)


# OpenSSL 3.0's ext_defs (ssl/statem/extensions.c): every extension type it knows,
# and the server messages it may appear in.  A type it does not know is ignored
# wherever it appears ("Unknown extension. We allow it"); use_srtp is DTLS-only.
S12, S13, HRR, EE = 1, 2, 4, 8
_SERVER_EXT_CONTEXTS = {
    0xFF01: S12,  # renegotiation_info
    0: S12 | EE,  # server_name
    1: S12 | EE,  # max_fragment_length
    5: S12,  # status_request
    10: S12 | EE,  # supported_groups
    11: S12,  # ec_point_formats
    12: 0,  # srp
    13: 0,  # signature_algorithms
    14: 0,  # use_srtp
    16: S12 | EE,  # application_layer_protocol_negotiation
    18: S12,  # signed_certificate_timestamp
    21: 0,  # padding
    22: S12,  # encrypt_then_mac
    23: S12,  # extended_master_secret
    35: S12,  # session_ticket
    41: S13,  # pre_shared_key
    42: EE,  # early_data
    43: S12 | S13 | HRR,  # supported_versions
    44: HRR,  # cookie
    45: 0,  # psk_key_exchange_modes
    47: 0,  # certificate_authorities
    49: 0,  # post_handshake_auth
    50: 0,  # signature_algorithms_cert
    51: S13 | HRR,  # key_share
    13172: S12,  # next_protocol_negotiation
    0xFDE8: S12,  # cryptopro_bug
}
# What a server may send without being asked (tls_collect_extensions' exceptions).
_UNASKED_OK = frozenset((ET.cookie, ET.renegotiation_info, 18))


def collect_extensions(exts: tuple[Extension, ...], context: int, sent: frozenset[int]) -> None:
    """tls_collect_extensions for a server's message: every type OpenSSL knows must be
    possible in this message (else illegal_parameter, "bad extension") and asked for
    (else unsupported_extension, "unsolicited extension"); other types are ignored."""
    for x in exts:
        allowed = _SERVER_EXT_CONTEXTS.get(x.type)
        if allowed is None:
            continue
        if not allowed & context:
            raise TLSError(AlertDescription.illegal_parameter, SSLReason.BAD_EXTENSION)
        if x.type not in sent and x.type not in _UNASKED_OK:
            raise TLSError(
                AlertDescription.unsupported_extension, SSLReason.UNSOLICITED_EXTENSION
            )


def validate_extensions(exts: tuple[Extension, ...], context: int) -> None:
    """tls_validate_all_contexts: once the version is known, each known type must fit it."""
    for x in exts:
        allowed = _SERVER_EXT_CONTEXTS.get(x.type)
        if allowed is not None and not allowed & context:
            raise TLSError(AlertDescription.illegal_parameter, SSLReason.BAD_EXTENSION)


_SH_ALLOWED = frozenset((ET.supported_versions, ET.key_share, ET.pre_shared_key))
_EE_ALLOWED = frozenset(
    (
        ET.server_name,
        ET.max_fragment_length,
        ET.supported_groups,
        ET.use_srtp,
        ET.heartbeat,
        ET.application_layer_protocol_negotiation,
        ET.client_certificate_type,
        ET.server_certificate_type,
        ET.early_data,
        ET.record_size_limit,
    )
)
_CR_KNOWN = frozenset(
    (
        ET.status_request,
        ET.signature_algorithms,
        ET.signed_certificate_timestamp,
        ET.certificate_authorities,
        ET.oid_filters,
        ET.signature_algorithms_cert,
    )
)


class ClientHandshake(Handshake):
    """Writers and readers for the client role."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        # A TLS 1.2 client CertificateVerify signs the raw messages: keep them
        # while 1.2 is still possible (dropped once TLS 1.3 is chosen).
        self.transcript = ks.Transcript(keep_raw=engine.config.min_version <= TLS12)
        self.shares: dict[int, kx.KeyShare] = {}
        self.offered_suites: tuple[int, ...] = ()
        self.offered_versions: tuple[int, ...] = ()
        self.cookie: bytes | None = None
        self.hrr_group: int | None = None
        self.hrr_suite: int | None = None
        self.hrr_seen = False
        self.sent_sni = False
        self.peer_key: Any = None
        self.cr_context = b""
        self.cr_sigalgs: tuple[int, ...] = ()
        self.client_cert: CertKey | None = None
        self.client_hs_write = False
        self.psk_offered = False
        self.sent_extensions: frozenset[int] = frozenset()
        self.writers = {
            HandState.CW_CLNT_HELLO: self.write_client_hello,
            HandState.CW_CHANGE: self.write_ccs,
            HandState.CW_CERT: self.write_certificate,
            HandState.CW_CERT_VRFY: self.write_certificate_verify,
            HandState.CW_FINISHED: self.write_finished,
            HandState.CW_KEY_UPDATE: self.write_key_update,
        }
        self.readers = {
            HandState.CR_SRVR_HELLO: self.read_server_hello,
            HandState.CR_ENCRYPTED_EXTENSIONS: self.read_encrypted_extensions,
            HandState.CR_CERT_REQ: self.read_certificate_request,
            HandState.CR_CERT: self.read_certificate,
            HandState.CR_CERT_VRFY: self.read_certificate_verify,
            HandState.CR_FINISHED: self.read_finished,
            HandState.CR_SESSION_TICKET: self.read_new_session_ticket,
            HandState.CR_KEY_UPDATE: self.read_key_update,
        }

    # ================================================================ ClientHello

    def write_client_hello(self) -> None:
        cfg = self.cfg
        e = self.e
        if not self.client_random:
            self.client_random = self.hooks.random(32)
            # Middlebox compatibility: a fake session id makes the TLS 1.3
            # handshake look like a TLS 1.2 resumption (RFC 8446 D.4).
            self.session_id = self.hooks.random(32) if cfg.middlebox_compat else b""
        versions = [v for v in (TLS13, TLS12) if cfg.min_version <= v <= cfg.max_version]
        if not versions:
            raise TLSError(AlertDescription.internal_error, SSLReason.NO_PROTOCOLS_AVAILABLE)
        self.offered_versions = tuple(versions)
        offer13 = TLS13 in versions
        offer12 = TLS12 in versions
        suites: list[int] = []
        if offer13:
            suites += [s.id for s in cfg.suites13]
        if offer12:
            suites += [s.id for s in cfg.suites12]
        if not suites:
            raise TLSError(AlertDescription.internal_error, SSLReason.NO_CIPHERS_AVAILABLE)
        self.offered_suites = tuple(suites)
        # OpenSSL signals secure renegotiation with the SCSV in an initial hello.
        wire_suites = (*suites, CipherSuite.TLS_EMPTY_RENEGOTIATION_INFO_SCSV)
        exts: list[Extension] = []
        if cfg.server_name and not _is_ip(cfg.server_name):
            exts.append(
                Extension(type=ET.server_name, data=ext.encode_server_name(cfg.server_name))
            )
            self.sent_sni = True
        if offer12:
            exts.append(Extension(type=ET.ec_point_formats, data=ext.encode_ec_point_formats()))
        groups = list(cfg.groups)
        if not offer12:
            groups = [g for g in groups if g in kx.SUPPORTED_GROUPS]
        exts.append(Extension(type=ET.supported_groups, data=ext.encode_supported_groups(groups)))
        if cfg.tickets_enabled and offer12:
            sess = cfg.session
            ticket = sess.ticket if sess is not None and sess.version == TLS12 else b""
            if ticket and not self.session_id:
                # RFC 5077 3.4: a session id lets us see that the server resumed.
                self.session_id = self.hooks.random(32)
            exts.append(Extension(type=ET.session_ticket, data=ext.encode_session_ticket(ticket)))
        if cfg.alpn:
            exts.append(
                Extension(
                    type=ET.application_layer_protocol_negotiation,
                    data=ext.encode_alpn(cfg.alpn),
                )
            )
        if offer12:
            exts.append(Extension(type=ET.encrypt_then_mac, data=b""))
            exts.append(Extension(type=ET.extended_master_secret, data=b""))
        exts.append(
            Extension(
                type=ET.signature_algorithms,
                data=ext.encode_signature_algorithms(cfg.sigalgs),
            )
        )
        if offer13:
            exts.append(
                Extension(
                    type=ET.supported_versions,
                    data=ext.encode_supported_versions_ch(versions),
                )
            )
            exts.append(
                Extension(
                    type=ET.psk_key_exchange_modes,
                    data=ext.encode_psk_key_exchange_modes([PskKeyExchangeMode.psk_dhe_ke]),
                )
            )
            if self.hrr_group is not None:
                # The HRR named a new group: one fresh share, for it alone.
                share_groups = [self.hrr_group]
                self.shares = {}
            elif self.hrr_seen:
                # A cookie-only HRR: the same shares again (RFC 8446 4.1.2).
                share_groups = list(self.shares)
            else:
                share_groups = [g for g in groups if g in kx.SUPPORTED_GROUPS][: cfg.key_shares]
            entries = []
            for g in share_groups:
                share = self.shares.get(g)
                if share is None:
                    share = kx.generate_key_share(g, self.hooks.key_rng())
                    self.shares[g] = share
                entries.append((g, share.public))
            exts.append(Extension(type=ET.key_share, data=ext.encode_key_share_ch(entries)))
            if self.cookie is not None:
                exts.append(Extension(type=ET.cookie, data=ext.encode_cookie(self.cookie)))
        if not offer13:
            exts.append(Extension(type=ET.renegotiation_info, data=ext.encode_renegotiation_info()))
        psk = self._offer_psk()
        hello = ClientHello(
            legacy_version=TLS12,
            random=self.client_random,
            legacy_session_id=self.session_id,
            cipher_suites=wire_suites,
            legacy_compression_methods=b"\x00",
            extensions=tuple(exts),
        )
        self.sent_extensions = frozenset(
            [x.type for x in exts] + ([ET.pre_shared_key] if psk is not None else [])
        )
        if psk is not None:
            raw = self._with_binder(hello, psk)
            self.transcript.update(raw)
            e.send_handshake(raw)
        else:
            self.send(hello)
        self.first_hello_done = True

    def _offer_psk(self) -> SessionData | None:
        sess = self.cfg.session
        if sess is None or sess.version != TLS13 or TLS13 not in self.offered_versions:
            return None
        suite = suite_by_id(sess.suite_id)
        if suite is None or sess.suite_id not in self.offered_suites:
            return None
        if self.hrr_suite is not None:
            hrr = suite_by_id(self.hrr_suite)
            if hrr is None or hrr.hash is not suite.hash:
                return None
        age = self.hooks.now().timestamp() - sess.received_at
        if age > sess.lifetime:
            return None
        return sess

    def _with_binder(self, hello: ClientHello, sess: SessionData) -> bytes:
        suite = suite_by_id(sess.suite_id)
        assert suite is not None
        age_ms = int((self.hooks.now().timestamp() - sess.received_at) * 1000)
        obfuscated = (age_ms + sess.age_add) & 0xFFFFFFFF
        hlen = ks.hash_len(suite.hash)
        placeholder = bytes(hlen)
        psk_ext = Extension(
            type=ET.pre_shared_key,
            data=ext.encode_pre_shared_key_ch([(sess.ticket, obfuscated)], [placeholder]),
        )
        full = ClientHello(
            legacy_version=hello.legacy_version,
            random=hello.random,
            legacy_session_id=hello.legacy_session_id,
            cipher_suites=hello.cipher_suites,
            legacy_compression_methods=hello.legacy_compression_methods,
            extensions=(*hello.extensions, psk_ext),
        )
        raw = encode_handshake(full)
        cut = ext.binders_length([placeholder])
        schedule = ks.KeySchedule13(suite.hash, sess.psk)
        binder_key = schedule.binder_key(resumption=True)
        prefix = raw[:-cut]
        if self.transcript.hash_cls is None:
            # First ClientHello: the transcript is still empty.
            th = hashlib.new(ks.hash_name(suite.hash), prefix).digest()
        else:
            th = self.transcript.digest_with(prefix)
        binder = ks.finished_verify_data(suite.hash, binder_key, th)
        self.psk_offered = True
        self.psk_session = sess
        return prefix + raw[-cut:-hlen] + binder

    # ================================================================ ServerHello

    def read_server_hello(self, mtype: int, body: bytes, raw: bytes) -> Flow:
        sh = ServerHello.decode(body)
        if not sh.is_hello_retry_request:
            collect_extensions(sh.extensions, S12 | S13, self.sent_extensions)
        if sh.legacy_version < TLS12 and not sh.extension(ET.supported_versions):
            raise TLSError(AlertDescription.protocol_version, SSLReason.UNSUPPORTED_PROTOCOL)
        sv = sh.extension(ET.supported_versions)
        if sv is not None:
            version = ext.decode_supported_versions_sh(sv)
            if version != TLS13 or TLS13 not in self.offered_versions:
                raise TLSError(
                    AlertDescription.illegal_parameter, SSLReason.BAD_PROTOCOL_VERSION_NUMBER
                )
        else:
            version = sh.legacy_version
            if version == TLS13 or version not in self.offered_versions:
                raise TLSError(AlertDescription.protocol_version, SSLReason.UNSUPPORTED_PROTOCOL)
            if TLS13 in self.offered_versions and sh.random[-8:] in (
                b"DOWNGRD\x01",
                b"DOWNGRD\x00",
            ):
                raise TLSError(
                    AlertDescription.illegal_parameter, SSLReason.INAPPROPRIATE_FALLBACK
                )
        if version == TLS13:
            # tls_process_server_hello, TLS 1.3 or HRR: compression first, then the
            # session id (TLS 1.3 echoes our fake one; TLS 1.2 may pick a new one).
            if sh.legacy_compression_method != 0:
                raise TLSError(
                    AlertDescription.illegal_parameter, SSLReason.INVALID_COMPRESSION_ALGORITHM
                )
            if sh.legacy_session_id_echo != self.session_id:
                raise TLSError(AlertDescription.illegal_parameter, SSLReason.INVALID_SESSION_ID)
        if version != TLS13:
            self.e.set_version(version)
            return self.e.hs.read_server_hello12(sh, raw)  # type: ignore[attr-defined, no-any-return]
        if sh.is_hello_retry_request:
            return self._read_hrr(sh, raw)
        self.e.set_version(TLS13)
        self.transcript.drop_raw()
        validate_extensions(sh.extensions, S13)
        suite = suite_by_id(sh.cipher_suite)
        if suite is None or suite.version != TLS13 or sh.cipher_suite not in self.offered_suites:
            raise unknown_cipher(sh.cipher_suite)
        if self.hrr_suite is not None and sh.cipher_suite != self.hrr_suite:
            raise TLSError(AlertDescription.illegal_parameter, SSLReason.WRONG_CIPHER_RETURNED)
        self.suite = suite
        self.server_random = sh.random
        psk: bytes | None = None
        pre = sh.extension(ET.pre_shared_key)
        if pre is not None:
            idx = ext.decode_pre_shared_key_sh(pre)
            if not self.psk_offered or idx != 0:
                raise TLSError(AlertDescription.illegal_parameter, SSLReason.BAD_PSK)
            sess = self.psk_session
            psk_suite = suite_by_id(sess.suite_id)
            if psk_suite is None or psk_suite.hash is not suite.hash:
                raise TLSError(AlertDescription.illegal_parameter, SSLReason.BAD_PSK)
            psk = sess.psk
            self.resumed = True
            self.peer_chain = list(sess.peer_chain)
        ksd = sh.extension(ET.key_share)
        if ksd is None:
            raise TLSError(AlertDescription.missing_extension, SSLReason.NO_SUITABLE_KEY_SHARE)
        group, public = ext.decode_key_share_sh(ksd)
        share = self.shares.get(group)
        if share is None:
            raise TLSError(AlertDescription.illegal_parameter, SSLReason.BAD_KEY_SHARE)
        shared = share.shared(public)
        self.group = group
        self.transcript.set_hash(suite.hash)
        self.transcript.update(raw)
        self.ks = ks.KeySchedule13(suite.hash, psk)
        self.derive_handshake_secrets(shared)
        self.set_read_secret(self.s_hs)
        return flow("READING")

    def _read_hrr(self, sh: ServerHello, raw: bytes) -> Flow:
        if self.hrr_seen:
            raise TLSError(AlertDescription.unexpected_message, SSLReason.UNEXPECTED_MESSAGE)
        self.hrr_seen = True
        self.e.set_version(TLS13)
        suite = suite_by_id(sh.cipher_suite)
        if suite is None or suite.version != TLS13 or sh.cipher_suite not in self.offered_suites:
            raise unknown_cipher(sh.cipher_suite)
        collect_extensions(sh.extensions, HRR, self.sent_extensions)
        self.hrr_suite = sh.cipher_suite
        self.suite = suite
        ksd = sh.extension(ET.key_share)
        cookie = sh.extension(ET.cookie)
        if ksd is None and cookie is None:
            # An HRR that would change nothing (RFC 8446 4.1.4).
            raise TLSError(AlertDescription.illegal_parameter, SSLReason.NO_CHANGE_FOLLOWING_HRR)
        if ksd is not None:
            group = ext.decode_key_share_hrr(ksd)
            if group not in self.cfg.groups or group in self.shares:
                raise TLSError(AlertDescription.illegal_parameter, SSLReason.BAD_KEY_SHARE)
            self.hrr_group = group
        if cookie is not None:
            self.cookie = ext.decode_cookie(cookie)
        self.transcript.set_hash(suite.hash)
        self.transcript.rewrite_for_hrr()
        self.transcript.update(raw)
        self.hrr_pending = True
        return flow("WRITING")

    def write_ccs(self) -> None:
        self.e.send_ccs()
        self.ccs_sent = True
        if self.hrr_pending:
            return
        self._client_hs_keys()

    def _client_hs_keys(self) -> None:
        if not self.client_hs_write:
            self.client_hs_write = True
            self.set_write_secret(self.c_hs)

    # ================================================================ server flight

    def read_encrypted_extensions(self, mtype: int, body: bytes, raw: bytes) -> Flow:
        self.hrr_pending = False
        ee = EncryptedExtensions.decode(body)
        collect_extensions(ee.extensions, EE, self.sent_extensions)
        for x in ee.extensions:
            t = x.type
            if t not in _EE_ALLOWED:
                continue  # a type OpenSSL does not know: ignored
            if t == ET.server_name:
                if not self.sent_sni:
                    raise TLSError(
                        AlertDescription.unsupported_extension, SSLReason.UNSOLICITED_EXTENSION
                    )
                ext.decode_server_name_ack(x.data)
            elif t == ET.application_layer_protocol_negotiation:
                if not self.cfg.alpn:
                    raise TLSError(
                        AlertDescription.unsupported_extension, SSLReason.UNSOLICITED_EXTENSION
                    )
                proto = ext.decode_alpn_selected(x.data)
                if proto not in self.cfg.alpn:
                    raise TLSError(AlertDescription.illegal_parameter, SSLReason.BAD_EXTENSION)
                self.alpn = proto
            elif t == ET.early_data:
                raise TLSError(
                    AlertDescription.unsupported_extension, SSLReason.UNSOLICITED_EXTENSION
                )
            elif t == ET.supported_groups:
                ext.decode_supported_groups(x.data)
        self.transcript.update(raw)
        return flow("READING")

    def read_certificate_request(self, mtype: int, body: bytes, raw: bytes) -> Flow:
        cr = CertificateRequest13.decode(body)
        if cr.certificate_request_context:
            # During the handshake the context must be empty (RFC 8446 4.3.2).
            raise TLSError(AlertDescription.illegal_parameter, SSLReason.LENGTH_MISMATCH)
        sa = cr.extension(ET.signature_algorithms)
        if sa is None:
            raise TLSError(AlertDescription.missing_extension, SSLReason.NO_REQUIRED_DIGEST)
        self.cr_sigalgs = ext.decode_signature_algorithms(sa)
        self.cr_context = cr.certificate_request_context
        self.cert_requested = True
        self.transcript.update(raw)
        return flow("READING")

    def read_certificate(self, mtype: int, body: bytes, raw: bytes) -> Flow:
        cert = Certificate13.decode(body)
        if cert.certificate_request_context:
            raise TLSError(AlertDescription.illegal_parameter, SSLReason.INVALID_CONTEXT)
        if not cert.certificate_list:
            raise TLSError(AlertDescription.decode_error, SSLReason.NO_CERTIFICATES_RETURNED)
        self.accept_peer_chain([entry.cert_data for entry in cert.certificate_list])
        self.transcript.update(raw)
        return flow("READING")

    def read_certificate_verify(self, mtype: int, body: bytes, raw: bytes) -> Flow:
        cv = CertificateVerify.decode(body)
        if cv.algorithm not in self.cfg.sigalgs or not signatures.scheme_matches_key(
            cv.algorithm, self.peer_key, tls13=True, rsa_pss=self.peer_key_pss
        ):
            raise TLSError(AlertDescription.illegal_parameter, SSLReason.WRONG_SIGNATURE_TYPE)
        content = signatures.tls13_signed_content(True, self.transcript.digest())
        signatures.verify(self.peer_key, cv.algorithm, cv.signature, content)
        self.peer_sigalg = cv.algorithm
        self.transcript.update(raw)
        if self.cert_requested:
            # libssl asks the client certificate callback right after the server's
            # CertificateVerify (so the callback can see the server's certificate),
            # and a retry (WANT_X509_LOOKUP) stops it in this state.
            return self.post_process(self.prepare_client_certificate, flow("READING"))
        return flow("READING")

    def read_finished(self, mtype: int, body: bytes, raw: bytes) -> Flow:
        self.check_finished(body, self.s_hs)
        self.transcript.update(raw)
        self.derive_application_secrets()
        self.set_read_secret(self.s_ap)
        return flow("WRITING")

    # ================================================================ client flight

    def write_certificate(self) -> None:
        self._client_hs_keys()
        chosen = self.take_client_choice()
        if chosen == RETRY:
            from biokit.ssl.tls.engine import RetryHook

            raise RetryHook("x509")
        candidates: list[CertKey] = []
        if isinstance(chosen, CertKey):
            candidates = [chosen]
        elif chosen is None:
            candidates = list(self.cfg.certs)
        ck = None
        for cand in candidates:
            scheme = signatures.choose_scheme(
                cand.key, self.cr_sigalgs, tls13=True, rsa_pss=bool(cand.extra.get("rsa_pss"))
            )
            if scheme is not None:
                ck, self.own_sigalg = cand, scheme
                break
        self.client_cert = ck
        entries = tuple(CertificateEntry(cert_data=d) for d in (ck.chain if ck else []))
        self.send(
            Certificate13(certificate_request_context=self.cr_context, certificate_list=entries)
        )
        self.client_cert_sent = ck is not None

    def write_certificate_verify(self) -> None:
        ck = self.client_cert
        assert ck is not None and self.own_sigalg is not None
        content = signatures.tls13_signed_content(False, self.transcript.digest())
        sig = signatures.sign(ck.key, self.own_sigalg, content)
        self.send(CertificateVerify(algorithm=self.own_sigalg, signature=sig))

    def write_finished(self) -> None:
        self._client_hs_keys()
        self.own_finished = self.finished_for(self.c_hs)
        self.send(Finished(verify_data=self.own_finished))
        assert self.ks is not None
        self.resumption_secret = self.ks.resumption_master_secret(self.transcript.digest())
        self.set_write_secret(self.c_ap)

    # ================================================================ post-handshake

    def read_new_session_ticket(self, mtype: int, body: bytes, raw: bytes) -> Flow:
        nst = NewSessionTicket13.decode(body)
        max_early = 0
        for x in nst.extensions:
            if x.type == ET.early_data:
                max_early = ext.decode_early_data_nst(x.data)
        assert self.suite is not None
        psk = ks.resumption_psk(self.suite.hash, self.resumption_secret, nst.ticket_nonce)
        sess = SessionData(
            version=TLS13,
            suite_id=self.suite.id,
            ticket=nst.ticket,
            psk=psk,
            lifetime=min(nst.ticket_lifetime, 604800),
            age_add=nst.ticket_age_add,
            received_at=self.hooks.now().timestamp(),
            max_early_data=max_early,
            server_name=self.cfg.server_name,
            alpn=self.alpn,
            peer_chain=list(self.peer_chain),
            nonce=nst.ticket_nonce,
        )
        if nst.ticket_lifetime:
            self.hooks.new_session(sess)
        return flow("WRITING")


def _is_ip(name: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True
