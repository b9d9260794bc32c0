"""Handshake messages: frozen dataclasses that decode fully or not at all.

Each message class has ``msg_type``, ``encode()`` (the body, without the
4-byte handshake header) and ``decode(body)``, which checks every length and
consumes every byte before it builds the object -- a message that exists has
been recognised completely (rustls ``msgs/handshake.rs``).  A malformed body
raises the ``TLSError`` OpenSSL raises for it in ``tls_process_*``
(``ssl/statem/statem_clnt.c``, ``statem_srvr.c``, ``statem_lib.c``): the same
alert and ``SSL_R_*`` reason, so an error-queue entry reads like OpenSSL's.

Extension blocks stay a tuple of raw ``Extension(type, data)`` in wire order;
``extensions.py`` parses payloads once the engine knows which it needs.

``HandshakeDeframer`` turns handshake-record payloads into whole messages
(``tls_get_message_header`` + ``tls_get_message_body``), enforcing OpenSSL's
per-message size limits before buffering a body.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from biokit.errors import SSLReason
from biokit.ssl.tls.codec import Reader, Writer, pack_uint16s, unpack_uint16s
from biokit.ssl.tls.enums import AlertDescription, ExtensionType, HandshakeType
from biokit.ssl.tls.errors import DecodeError, TLSError
from biokit.ssl.tls.extensions import read_distinguished_names, write_distinguished_names

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = [
    "DEFAULT_MAX_MESSAGE_SIZE",
    "DOWNGRADE_TLS11",
    "DOWNGRADE_TLS12",
    "HRR_RANDOM",
    "MAX_MESSAGE_SIZES",
    "Alert",
    "Certificate12",
    "Certificate13",
    "CertificateEntry",
    "CertificateRequest12",
    "CertificateRequest13",
    "CertificateVerify",
    "ClientHello",
    "ClientKeyExchangeECDHE",
    "EncryptedExtensions",
    "EndOfEarlyData",
    "Extension",
    "Finished",
    "HandshakeDeframer",
    "HandshakeMessage",
    "HelloRequest",
    "KeyUpdate",
    "NewSessionTicket12",
    "NewSessionTicket13",
    "ServerHello",
    "ServerHelloDone",
    "ServerKeyExchangeECDHE",
    "decode_extensions",
    "decode_handshake",
    "encode_extensions",
    "encode_handshake",
    "find_extension",
]

# RFC 8446 4.1.3: a ServerHello with this random is a HelloRetryRequest.
HRR_RANDOM = bytes.fromhex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")
# RFC 8446 4.1.3: the last 8 bytes of a TLS 1.3 server's random when it negotiates less.
DOWNGRADE_TLS12 = b"DOWNGRD\x01"
DOWNGRADE_TLS11 = b"DOWNGRD\x00"

SSL3_RANDOM_SIZE = 32
SSL_MAX_SSL_SESSION_ID_LENGTH = 32
SSL3_HM_HEADER_LENGTH = 4
NAMED_CURVE_TYPE = 3

_DECODE = AlertDescription.decode_error
_ILLEGAL = AlertDescription.illegal_parameter
_PSK = ExtensionType.pre_shared_key


# -- extensions -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Extension:
    """One raw extension: its type code and its undecoded payload (RAW_EXTENSION)."""

    type: int
    data: bytes = b""


def find_extension(exts: Sequence[Extension], type: int) -> bytes | None:
    """The payload of the extension of this type, or None (tls_get_extension_by_type)."""
    for ext in exts:
        if ext.type == type:
            return ext.data
    return None


def decode_extensions(r: Reader, *, client_hello: bool = False) -> tuple[Extension, ...]:
    """tls_collect_extensions: split a block, rejecting duplicates and a misplaced PSK."""
    # OpenSSL's header checks use decode_error + BAD_EXTENSION whatever the message.
    saved = r.reason
    r.reason = SSLReason.BAD_EXTENSION
    try:
        exts: list[Extension] = []
        seen: set[int] = set()
        while not r.at_end():
            ext_type = r.uint16()
            data = r.vec16()
            if ext_type in seen:
                raise TLSError(
                    _ILLEGAL, SSLReason.BAD_EXTENSION, f"duplicate extension {ext_type:#x}"
                )
            if client_hello and ext_type == _PSK and not r.at_end():
                raise TLSError(_ILLEGAL, SSLReason.BAD_EXTENSION, "pre_shared_key is not last")
            seen.add(ext_type)
            exts.append(Extension(type=ext_type, data=data))
    finally:
        r.reason = saved
    return tuple(exts)


def encode_extensions(w: Writer, exts: Sequence[Extension]) -> None:
    """tls_construct_extensions: the vec16 block, in the given order."""
    with w.prefixed(2):
        for ext in exts:
            w.uint16(ext.type)
            w.vec16(ext.data)


def _check_extensions_for_encode(exts: Sequence[Extension], client_hello: bool) -> None:
    types = [e.type for e in exts]
    if len(set(types)) != len(types):
        raise ValueError("duplicate extension types")
    if client_hello and _PSK in types and types[-1] != _PSK:
        raise ValueError("pre_shared_key must be the last ClientHello extension")


# -- base -------------------------------------------------------------------------------


class HandshakeMessage:
    """The interface every handshake message has (an OpenSSL tls_process_/tls_construct_ pair)."""

    __slots__ = ()
    msg_type: ClassVar[HandshakeType]

    def encode(self) -> bytes:
        """tls_construct_*: the message body."""
        raise NotImplementedError

    @classmethod
    def decode(cls, body: bytes | memoryview) -> Self:
        """tls_process_*: parse a body completely or raise TLSError."""
        raise NotImplementedError


class _HasExtensions:
    __slots__ = ()
    extensions: tuple[Extension, ...]

    def extension(self, type: int) -> bytes | None:
        """The payload of one extension of this message, or None."""
        return find_extension(self.extensions, type)


def _empty_body(body: bytes | memoryview, what: str) -> None:
    if len(body):
        raise DecodeError(f"{what} must be empty")


# -- hellos -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientHello(_HasExtensions, HandshakeMessage):
    """ClientHello (tls_process_client_hello / tls_construct_client_hello)."""

    msg_type: ClassVar[HandshakeType] = HandshakeType.CLIENT_HELLO

    legacy_version: int = 0x0303
    random: bytes
    legacy_session_id: bytes = b""
    cipher_suites: tuple[int, ...]
    legacy_compression_methods: bytes = b"\x00"
    extensions: tuple[Extension, ...] = ()
    # The body exactly as received (empty when built locally): the engine hashes
    # and binds what was on the wire, never a re-encoding.
    raw: bytes = field(default=b"", compare=False, repr=False)

    def encode(self) -> bytes:
        """tls_construct_client_hello (an empty extension block is omitted, as OpenSSL does)."""
        if len(self.random) != SSL3_RANDOM_SIZE:
            raise ValueError("random must be 32 bytes")
        if len(self.legacy_session_id) > SSL_MAX_SSL_SESSION_ID_LENGTH:
            raise ValueError("session id longer than 32 bytes")
        if not self.cipher_suites or not self.legacy_compression_methods:
            raise ValueError("cipher suites and compression methods must not be empty")
        _check_extensions_for_encode(self.extensions, client_hello=True)
        w = Writer()
        w.uint16(self.legacy_version)
        w.raw(self.random)
        w.vec8(self.legacy_session_id)
        w.vec16(pack_uint16s(self.cipher_suites))
        w.vec8(self.legacy_compression_methods)
        if self.extensions:
            encode_extensions(w, self.extensions)
        return w.getvalue()

    @classmethod
    def decode(cls, body: bytes | memoryview) -> Self:
        """tls_process_client_hello + tls_collect_extensions + ssl_cache_cipherlist checks."""
        r = Reader(body)
        # OpenSSL: a ClientHello too short for its version is LENGTH_TOO_SHORT,
        # every other framing error LENGTH_MISMATCH.
        r.reason = SSLReason.LENGTH_TOO_SHORT
        legacy_version = r.uint16()
        r.reason = SSLReason.LENGTH_MISMATCH
        random = r.raw(SSL3_RANDOM_SIZE)
        session_id = r.vec8(max_len=SSL_MAX_SSL_SESSION_ID_LENGTH)
        suites = r.vec16()
        compression = r.vec8()
        if r.at_end():
            exts: tuple[Extension, ...] = ()
        else:
            block = r.sub16()
            r.expect_end("ClientHello")
            exts = decode_extensions(block, client_hello=True)
        if not suites:
            raise TLSError(_ILLEGAL, SSLReason.NO_CIPHERS_SPECIFIED, "empty cipher suite list")
        if len(suites) & 1:
            raise DecodeError(
                "odd cipher suite list", reason=SSLReason.ERROR_IN_RECEIVED_CIPHER_LIST
            )
        if not compression:
            raise DecodeError("no compression methods", reason=SSLReason.NO_COMPRESSION_SPECIFIED)
        return cls(
            legacy_version=legacy_version,
            random=random,
            legacy_session_id=session_id,
            cipher_suites=unpack_uint16s(suites),
            legacy_compression_methods=compression,
            extensions=exts,
            raw=bytes(body),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerHello(_HasExtensions, HandshakeMessage):
    """ServerHello / HelloRetryRequest (tls_process_server_hello / tls_construct_server_hello)."""

    msg_type: ClassVar[HandshakeType] = HandshakeType.SERVER_HELLO

    legacy_version: int = 0x0303
    random: bytes
    legacy_session_id_echo: bytes = b""
    cipher_suite: int
    legacy_compression_method: int = 0
    extensions: tuple[Extension, ...] = ()

    @property
    def is_hello_retry_request(self) -> bool:
        """True for a HelloRetryRequest (random == HRR_RANDOM)."""
        return self.random == HRR_RANDOM

    @property
    def downgrade_sentinel(self) -> bytes | None:
        """DOWNGRADE_TLS12 / DOWNGRADE_TLS11 when the random ends with one, else None."""
        tail = self.random[-8:]
        return tail if tail in (DOWNGRADE_TLS12, DOWNGRADE_TLS11) else None

    def encode(self) -> bytes:
        """tls_construct_server_hello (an empty block is omitted except in an HRR)."""
        if len(self.random) != SSL3_RANDOM_SIZE:
            raise ValueError("random must be 32 bytes")
        if len(self.legacy_session_id_echo) > SSL_MAX_SSL_SESSION_ID_LENGTH:
            raise ValueError("session id longer than 32 bytes")
        _check_extensions_for_encode(self.extensions, client_hello=False)
        w = Writer()
        w.uint16(self.legacy_version)
        w.raw(self.random)
        w.vec8(self.legacy_session_id_echo)
        w.uint16(self.cipher_suite)
        w.uint8(self.legacy_compression_method)
        if self.extensions or self.is_hello_retry_request:
            encode_extensions(w, self.extensions)
        return w.getvalue()

    @classmethod
    def decode(cls, body: bytes | memoryview) -> Self:
        """tls_process_server_hello's parse + tls_collect_extensions."""
        r = Reader(body)
        legacy_version = r.uint16()
        random = r.raw(SSL3_RANDOM_SIZE)
        session_id = r.vec8()
        if len(session_id) > SSL_MAX_SSL_SESSION_ID_LENGTH:
            raise TLSError(
                _ILLEGAL, SSLReason.SSL3_SESSION_ID_TOO_LONG, f"{len(session_id)}-byte session id"
            )
        cipher_suite = r.uint16()
        compression = r.uint8()
        # A HelloRetryRequest must carry an extension block; a TLS 1.2 ServerHello may omit it.
        if r.at_end() and random != HRR_RANDOM:
            exts: tuple[Extension, ...] = ()
        else:
            r.reason = SSLReason.BAD_LENGTH
            block = r.sub16()
            r.expect_end("ServerHello")
            exts = decode_extensions(block)
        return cls(
            legacy_version=legacy_version,
            random=random,
            legacy_session_id_echo=session_id,
            cipher_suite=cipher_suite,
            legacy_compression_method=compression,
            extensions=exts,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class EncryptedExtensions(_HasExtensions, HandshakeMessage):
    """EncryptedExtensions (tls_process_encrypted_extensions)."""

    msg_type: ClassVar[HandshakeType] = HandshakeType.ENCRYPTED_EXTENSIONS

    extensions: tuple[Extension, ...] = ()

    def encode(self) -> bytes:
        """tls_construct_encrypted_extensions."""
        _check_extensions_for_encode(self.extensions, client_hello=False)
        w = Writer()
        encode_extensions(w, self.extensions)
        return w.getvalue()

    @classmethod
    def decode(cls, body: bytes | memoryview) -> Self:
        """tls_process_encrypted_extensions's parse."""
        r = Reader(body)
        block = r.sub16()
        r.expect_end("EncryptedExtensions")
        return cls(extensions=decode_extensions(block))


# -- certificates -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class CertificateEntry(_HasExtensions):
    """One TLS 1.3 CertificateEntry: DER certificate and its extensions."""

    cert_data: bytes
    extensions: tuple[Extension, ...] = ()


def _read_cert(r: Reader) -> bytes:
    # OpenSSL reports per-certificate framing trouble as CERT_LENGTH_MISMATCH; an
    # empty certificate cannot be DER and is refused here already.
    saved = r.reason
    r.reason = SSLReason.CERT_LENGTH_MISMATCH
    cert = r.vec24(min_len=1)
    r.reason = saved
    return cert


@dataclass(frozen=True, slots=True, kw_only=True)
class Certificate13(HandshakeMessage):
    """TLS 1.3 Certificate (tls_process_server_certificate / tls_process_client_certificate)."""

    msg_type: ClassVar[HandshakeType] = HandshakeType.CERTIFICATE

    certificate_request_context: bytes = b""
    certificate_list: tuple[CertificateEntry, ...] = ()

    def encode(self) -> bytes:
        """tls_construct_server_certificate / tls_construct_client_certificate (TLS 1.3)."""
        w = Writer()
        w.vec8(self.certificate_request_context)
        with w.prefixed(3):
            for entry in self.certificate_list:
                if not entry.cert_data:
                    raise ValueError("empty certificate")
                _check_extensions_for_encode(entry.extensions, client_hello=False)
                w.vec24(entry.cert_data)
                encode_extensions(w, entry.extensions)
        return w.getvalue()

    @classmethod
    def decode(cls, body: bytes | memoryview) -> Self:
        """The TLS 1.3 Certificate parse (context, uint24 list, entries with extensions)."""
        r = Reader(body)
        context = r.vec8()
        lst = r.sub24()
        r.expect_end("Certificate")
        entries: list[CertificateEntry] = []
        while not lst.at_end():
            cert = _read_cert(lst)
            lst.reason = SSLReason.BAD_LENGTH
            block = lst.sub16()
            lst.reason = SSLReason.LENGTH_MISMATCH
            entries.append(CertificateEntry(cert_data=cert, extensions=decode_extensions(block)))
        return cls(certificate_request_context=context, certificate_list=tuple(entries))


@dataclass(frozen=True, slots=True, kw_only=True)
class Certificate12(HandshakeMessage):
    """TLS 1.2 Certificate: a chain of DER certificates, leaf first."""

    msg_type: ClassVar[HandshakeType] = HandshakeType.CERTIFICATE

    certificate_list: tuple[bytes, ...] = ()

    def encode(self) -> bytes:
        """ssl3_output_cert_chain."""
        w = Writer()
        with w.prefixed(3):
            for cert in self.certificate_list:
                if not cert:
                    raise ValueError("empty certificate")
                w.vec24(cert)
        return w.getvalue()

    @classmethod
    def decode(cls, body: bytes | memoryview) -> Self:
        """The TLS 1.2 Certificate parse."""
        r = Reader(body)
        lst = r.sub24()
        r.expect_end("Certificate")
        certs: list[bytes] = []
        while not lst.at_end():
            certs.append(_read_cert(lst))
        return cls(certificate_list=tuple(certs))


@dataclass(frozen=True, slots=True, kw_only=True)
class CertificateRequest13(_HasExtensions, HandshakeMessage):
    """TLS 1.3 CertificateRequest (tls_process_certificate_request)."""

    msg_type: ClassVar[HandshakeType] = HandshakeType.CERTIFICATE_REQUEST

    certificate_request_context: bytes = b""
    extensions: tuple[Extension, ...] = ()

    def encode(self) -> bytes:
        """tls_construct_certificate_request (TLS 1.3)."""
        _check_extensions_for_encode(self.extensions, client_hello=False)
        w = Writer()
        w.vec8(self.certificate_request_context)
        encode_extensions(w, self.extensions)
        return w.getvalue()

    @classmethod
    def decode(cls, body: bytes | memoryview) -> Self:
        """tls_process_certificate_request (TLS 1.3 branch)."""
        r = Reader(body)
        context = r.vec8()
        r.reason = SSLReason.BAD_LENGTH
        block = r.sub16()
        r.reason = SSLReason.LENGTH_MISMATCH
        exts = decode_extensions(block)
        r.expect_end("CertificateRequest")
        return cls(certificate_request_context=context, extensions=exts)


@dataclass(frozen=True, slots=True, kw_only=True)
class CertificateRequest12(HandshakeMessage):
    """TLS 1.2 CertificateRequest (tls_process_certificate_request)."""

    msg_type: ClassVar[HandshakeType] = HandshakeType.CERTIFICATE_REQUEST

    certificate_types: bytes
    supported_signature_algorithms: tuple[int, ...]
    certificate_authorities: tuple[bytes, ...] = ()

    def encode(self) -> bytes:
        """tls_construct_certificate_request (TLS 1.2)."""
        if not self.supported_signature_algorithms:
            raise ValueError("no signature algorithms")
        w = Writer()
        w.vec8(self.certificate_types)
        w.vec16(pack_uint16s(self.supported_signature_algorithms))
        write_distinguished_names(w, self.certificate_authorities)
        return w.getvalue()

    @classmethod
    def decode(cls, body: bytes | memoryview) -> Self:
        """tls_process_certificate_request (TLS 1.2 branch) + parse_ca_names."""
        r = Reader(body)
        types = r.vec8()
        sigalgs = r.vec16()
        if not sigalgs or len(sigalgs) & 1:
            # tls1_save_sigalgs fails and OpenSSL reports it as an internal error.
            raise TLSError(
                AlertDescription.internal_error,
                SSLReason.SIGNATURE_ALGORITHMS_ERROR,
                f"bad signature algorithm list length {len(sigalgs)}",
            )
        names = read_distinguished_names(r, allow_empty=True)
        r.expect_end("CertificateRequest")
        return cls(
            certificate_types=types,
            supported_signature_algorithms=unpack_uint16s(sigalgs),
            certificate_authorities=names,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class CertificateVerify(HandshakeMessage):
    """CertificateVerify (tls_process_cert_verify / tls_construct_cert_verify)."""

    msg_type: ClassVar[HandshakeType] = HandshakeType.CERTIFICATE_VERIFY

    algorithm: int
    signature: bytes

    def encode(self) -> bytes:
        """tls_construct_cert_verify."""
        w = Writer()
        w.uint16(self.algorithm)
        w.vec16(self.signature)
        return w.getvalue()

    @classmethod
    def decode(cls, body: bytes | memoryview) -> Self:
        """tls_process_cert_verify's parse (sigalg, then a vec16 signature)."""
        r = Reader(body, reason=SSLReason.BAD_PACKET)
        algorithm = r.uint16()
        r.reason = SSLReason.LENGTH_MISMATCH
        signature = r.vec16()
        r.expect_end("CertificateVerify")
        return cls(algorithm=algorithm, signature=signature)


@dataclass(frozen=True, slots=True, kw_only=True)
class Finished(HandshakeMessage):
    """Finished: the whole body is verify_data (its length is checked by the engine)."""

    msg_type: ClassVar[HandshakeType] = HandshakeType.FINISHED

    verify_data: bytes

    def encode(self) -> bytes:
        """tls_construct_finished."""
        return bytes(self.verify_data)

    @classmethod
    def decode(cls, body: bytes | memoryview) -> Self:
        """tls_process_finished's parse."""
        return cls(verify_data=bytes(body))


# -- tickets, key update, empty messages --------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class NewSessionTicket13(_HasExtensions, HandshakeMessage):
    """TLS 1.3 NewSessionTicket (tls_process_new_session_ticket)."""

    msg_type: ClassVar[HandshakeType] = HandshakeType.NEW_SESSION_TICKET

    ticket_lifetime: int
    ticket_age_add: int
    ticket_nonce: bytes
    ticket: bytes
    extensions: tuple[Extension, ...] = ()

    def encode(self) -> bytes:
        """tls_construct_new_session_ticket (TLS 1.3)."""
        if not self.ticket:
            raise ValueError("empty ticket")
        _check_extensions_for_encode(self.extensions, client_hello=False)
        w = Writer()
        w.uint32(self.ticket_lifetime)
        w.uint32(self.ticket_age_add)
        w.vec8(self.ticket_nonce)
        w.vec16(self.ticket)
        encode_extensions(w, self.extensions)
        return w.getvalue()

    @classmethod
    def decode(cls, body: bytes | memoryview) -> Self:
        """tls_process_new_session_ticket (TLS 1.3 branch)."""
        r = Reader(body)
        lifetime = r.uint32()
        age_add = r.uint32()
        nonce = r.vec8()
        ticket = r.vec16(min_len=1)
        block = r.sub16()
        r.expect_end("NewSessionTicket")
        return cls(
            ticket_lifetime=lifetime,
            ticket_age_add=age_add,
            ticket_nonce=nonce,
            ticket=ticket,
            extensions=decode_extensions(block),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class NewSessionTicket12(HandshakeMessage):
    """TLS 1.2 NewSessionTicket (RFC 5077); an empty ticket means "changed my mind"."""

    msg_type: ClassVar[HandshakeType] = HandshakeType.NEW_SESSION_TICKET

    ticket_lifetime_hint: int
    ticket: bytes

    def encode(self) -> bytes:
        """tls_construct_new_session_ticket (TLS 1.2)."""
        w = Writer()
        w.uint32(self.ticket_lifetime_hint)
        w.vec16(self.ticket)
        return w.getvalue()

    @classmethod
    def decode(cls, body: bytes | memoryview) -> Self:
        """tls_process_new_session_ticket (TLS 1.2 branch)."""
        r = Reader(body)
        hint = r.uint32()
        ticket = r.vec16()
        r.expect_end("NewSessionTicket")
        return cls(ticket_lifetime_hint=hint, ticket=ticket)


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyUpdate(HandshakeMessage):
    """KeyUpdate (tls_process_key_update / tls_construct_key_update)."""

    msg_type: ClassVar[HandshakeType] = HandshakeType.KEY_UPDATE

    request_update: int = 0

    def encode(self) -> bytes:
        """tls_construct_key_update."""
        if self.request_update not in (0, 1):
            raise ValueError(f"bad KeyUpdateRequest {self.request_update}")
        return bytes((self.request_update,))

    @classmethod
    def decode(cls, body: bytes | memoryview) -> Self:
        """tls_process_key_update's parse: one byte, 0 or 1."""
        if len(body) != 1:
            raise DecodeError("KeyUpdate must be one byte", reason=SSLReason.BAD_KEY_UPDATE)
        value = body[0]
        if value not in (0, 1):
            raise TLSError(_ILLEGAL, SSLReason.BAD_KEY_UPDATE, f"KeyUpdateRequest {value}")
        return cls(request_update=value)


@dataclass(frozen=True, slots=True, kw_only=True)
class EndOfEarlyData(HandshakeMessage):
    """EndOfEarlyData (tls_process_end_of_early_data): empty."""

    msg_type: ClassVar[HandshakeType] = HandshakeType.END_OF_EARLY_DATA

    def encode(self) -> bytes:
        """tls_construct_end_of_early_data."""
        return b""

    @classmethod
    def decode(cls, body: bytes | memoryview) -> Self:
        """tls_process_end_of_early_data: a body is a decode_error."""
        _empty_body(body, "EndOfEarlyData")
        return cls()


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerHelloDone(HandshakeMessage):
    """ServerHelloDone (tls_process_server_done): empty."""

    msg_type: ClassVar[HandshakeType] = HandshakeType.SERVER_HELLO_DONE

    def encode(self) -> bytes:
        """tls_construct_server_done."""
        return b""

    @classmethod
    def decode(cls, body: bytes | memoryview) -> Self:
        """tls_process_server_done: a body is a decode_error."""
        _empty_body(body, "ServerHelloDone")
        return cls()


@dataclass(frozen=True, slots=True, kw_only=True)
class HelloRequest(HandshakeMessage):
    """HelloRequest (tls_process_hello_req): empty."""

    msg_type: ClassVar[HandshakeType] = HandshakeType.HELLO_REQUEST

    def encode(self) -> bytes:
        """tls_construct_hello_request."""
        return b""

    @classmethod
    def decode(cls, body: bytes | memoryview) -> Self:
        """tls_process_hello_req: a body is a decode_error."""
        _empty_body(body, "HelloRequest")
        return cls()


# -- TLS 1.2 ECDHE key exchange ----------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerKeyExchangeECDHE(HandshakeMessage):
    """ServerKeyExchange for ECDHE_ECDSA/ECDHE_RSA (tls_process_ske_ecdhe + signature)."""

    msg_type: ClassVar[HandshakeType] = HandshakeType.SERVER_KEY_EXCHANGE

    named_group: int
    public: bytes
    algorithm: int
    signature: bytes

    def params(self) -> bytes:
        """The signed ServerECDHParams: curve_type named_curve, group, point."""
        if not self.public:
            raise ValueError("empty public key")
        w = Writer()
        w.uint8(NAMED_CURVE_TYPE)
        w.uint16(self.named_group)
        w.vec8(self.public)
        return w.getvalue()

    def encode(self) -> bytes:
        """tls_construct_server_key_exchange (ECDHE, TLS 1.2 signature)."""
        w = Writer()
        w.raw(self.params())
        w.uint16(self.algorithm)
        w.vec16(self.signature)
        return w.getvalue()

    @classmethod
    def decode(cls, body: bytes | memoryview) -> Self:
        """tls_process_key_exchange for the ECDHE suites."""
        r = Reader(body, reason=SSLReason.LENGTH_TOO_SHORT)
        curve_type = r.uint8()
        group = r.uint16()
        if curve_type != NAMED_CURVE_TYPE:
            raise TLSError(_ILLEGAL, SSLReason.WRONG_CURVE, f"curve_type {curve_type}")
        r.reason = SSLReason.LENGTH_MISMATCH
        public = r.vec8()
        if not public:
            raise TLSError(_ILLEGAL, SSLReason.BAD_ECPOINT, "empty ECDH point")
        r.reason = SSLReason.LENGTH_TOO_SHORT
        algorithm = r.uint16()
        r.reason = SSLReason.LENGTH_MISMATCH
        signature = r.vec16()
        r.expect_end("ServerKeyExchange")
        return cls(named_group=group, public=public, algorithm=algorithm, signature=signature)


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientKeyExchangeECDHE(HandshakeMessage):
    """ClientKeyExchange for the ECDHE suites (tls_process_cke_ecdhe)."""

    msg_type: ClassVar[HandshakeType] = HandshakeType.CLIENT_KEY_EXCHANGE

    public: bytes

    def encode(self) -> bytes:
        """tls_construct_cke_ecdhe."""
        if not self.public:
            raise ValueError("empty public key")
        w = Writer()
        w.vec8(self.public)
        return w.getvalue()

    @classmethod
    def decode(cls, body: bytes | memoryview) -> Self:
        """tls_process_cke_ecdhe's parse."""
        if not len(body):
            raise TLSError(
                AlertDescription.handshake_failure,
                SSLReason.MISSING_TMP_ECDH_KEY,
                "no ECDH public key",
            )
        r = Reader(body)
        public = r.vec8()
        r.expect_end("ClientKeyExchange")
        if not public:
            raise TLSError(_ILLEGAL, SSLReason.BAD_ECPOINT, "empty ECDH point")
        return cls(public=public)


# -- alerts -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Alert:
    """An alert record's payload: level and description (ssl3_send_alert / ssl3_read_bytes)."""

    level: int
    description: int

    def encode(self) -> bytes:
        """ssl3_dispatch_alert's two bytes."""
        if not (0 <= self.level <= 0xFF and 0 <= self.description <= 0xFF):
            raise ValueError("alert fields are single bytes")
        return bytes((self.level, self.description))

    @classmethod
    def decode(cls, data: bytes | memoryview) -> Self:
        """ssl3_read_bytes' alert parse: exactly two bytes, else unexpected_message."""
        if len(data) != 2:
            raise TLSError(
                AlertDescription.unexpected_message,
                SSLReason.INVALID_ALERT,
                f"{len(data)}-byte alert",
            )
        return cls(level=data[0], description=data[1])


# -- framing ------------------------------------------------------------------------------


def encode_handshake(msg: HandshakeMessage) -> bytes:
    """The full handshake message: type, uint24 length, body (ssl_set_handshake_header)."""
    body = msg.encode()
    n = len(body)
    if n > 0xFFFFFF:
        raise ValueError("handshake message too large")
    return bytes((msg.msg_type, n >> 16, (n >> 8) & 0xFF, n & 0xFF)) + body


_DECODERS_13: dict[int, type[HandshakeMessage]] = {
    HandshakeType.CLIENT_HELLO: ClientHello,
    HandshakeType.SERVER_HELLO: ServerHello,
    HandshakeType.NEW_SESSION_TICKET: NewSessionTicket13,
    HandshakeType.END_OF_EARLY_DATA: EndOfEarlyData,
    HandshakeType.ENCRYPTED_EXTENSIONS: EncryptedExtensions,
    HandshakeType.CERTIFICATE: Certificate13,
    HandshakeType.CERTIFICATE_REQUEST: CertificateRequest13,
    HandshakeType.CERTIFICATE_VERIFY: CertificateVerify,
    HandshakeType.FINISHED: Finished,
    HandshakeType.KEY_UPDATE: KeyUpdate,
}

_DECODERS_12: dict[int, type[HandshakeMessage]] = {
    HandshakeType.HELLO_REQUEST: HelloRequest,
    HandshakeType.CLIENT_HELLO: ClientHello,
    HandshakeType.SERVER_HELLO: ServerHello,
    HandshakeType.NEW_SESSION_TICKET: NewSessionTicket12,
    HandshakeType.CERTIFICATE: Certificate12,
    HandshakeType.SERVER_KEY_EXCHANGE: ServerKeyExchangeECDHE,
    HandshakeType.CERTIFICATE_REQUEST: CertificateRequest12,
    HandshakeType.SERVER_HELLO_DONE: ServerHelloDone,
    HandshakeType.CERTIFICATE_VERIFY: CertificateVerify,
    HandshakeType.CLIENT_KEY_EXCHANGE: ClientKeyExchangeECDHE,
    HandshakeType.FINISHED: Finished,
}


def decode_handshake(msg_type: int, body: bytes | memoryview, *, tls13: bool) -> HandshakeMessage:
    """Parse one message body in the 1.3 or 1.2 form; an unknown type is unexpected_message."""
    cls = (_DECODERS_13 if tls13 else _DECODERS_12).get(msg_type)
    if cls is None:
        raise TLSError(
            AlertDescription.unexpected_message,
            SSLReason.UNEXPECTED_MESSAGE,
            f"handshake type {msg_type} in TLS {'1.3' if tls13 else '1.2'}",
        )
    return cls.decode(body)


# Largest body OpenSSL accepts per message type (ossl_statem_{client,server}_max_message_size);
# where client and server limits differ the larger one is kept, since a deframer
# may serve either role -- the engine can narrow them.
SSL3_RT_MAX_PLAIN_LENGTH = 16384
SSL_MAX_CERT_LIST_DEFAULT = 100 * 1024
DEFAULT_MAX_MESSAGE_SIZE = SSL3_RT_MAX_PLAIN_LENGTH
MAX_MESSAGE_SIZES: Mapping[int, int] = {
    HandshakeType.HELLO_REQUEST: 0,
    HandshakeType.CLIENT_HELLO: 131396,  # CLIENT_HELLO_MAX_LENGTH
    HandshakeType.SERVER_HELLO: 65607,  # SERVER_HELLO_MAX_LENGTH (also HRR)
    HandshakeType.NEW_SESSION_TICKET: 131338,  # SESSION_TICKET_MAX_LENGTH_TLS13
    HandshakeType.END_OF_EARLY_DATA: 0,
    HandshakeType.ENCRYPTED_EXTENSIONS: 20000,
    HandshakeType.CERTIFICATE: SSL_MAX_CERT_LIST_DEFAULT,
    HandshakeType.SERVER_KEY_EXCHANGE: 102400,
    HandshakeType.CERTIFICATE_REQUEST: SSL_MAX_CERT_LIST_DEFAULT,
    HandshakeType.SERVER_HELLO_DONE: 0,
    HandshakeType.CERTIFICATE_VERIFY: 65539,
    HandshakeType.CLIENT_KEY_EXCHANGE: 2048,
    HandshakeType.FINISHED: 64,
    HandshakeType.CERTIFICATE_STATUS: SSL3_RT_MAX_PLAIN_LENGTH,
    HandshakeType.KEY_UPDATE: 1,
    HandshakeType.COMPRESSED_CERTIFICATE: SSL_MAX_CERT_LIST_DEFAULT,
}

HeaderCheck = Callable[[int, int], None]


class HandshakeDeframer:
    """Reassembles handshake messages from record payloads (tls_get_message_header/body).

    ``feed`` appends the payload of each handshake record; ``next_message``
    returns ``(type, body, raw)`` for each complete message, ``raw`` being the
    message with its 4-byte header, exactly as received.  ``buffered()`` counts
    the bytes not yet returned, so the engine can refuse a key change that does
    not end on a record boundary.

    When a header completes, ``on_header(type, length)`` (if set) runs first
    -- the engine's transition check, as OpenSSL checks the message type before
    its length -- then the length is checked against the limit: ``max_size``
    when set (OpenSSL's limit is per state, so the engine may set it before each
    read), else ``max_sizes[type]`` (OpenSSL's per-message defaults), else
    ``DEFAULT_MAX_MESSAGE_SIZE``.  Too large is illegal_parameter /
    SSL_R_EXCESSIVE_MESSAGE_SIZE, raised before the body is buffered.
    """

    __slots__ = ("_buf", "_checked", "_pos", "max_size", "max_sizes", "on_header")

    def __init__(
        self,
        *,
        max_size: int | None = None,
        max_sizes: Mapping[int, int] | None = None,
        on_header: HeaderCheck | None = None,
    ) -> None:
        """Create an empty deframer (the init_buf of an SSL object)."""
        self._buf = bytearray()
        self._pos = 0
        # Offset of the header already passed through the checks, so that a
        # message arriving in many pieces is checked once.
        self._checked = -1
        self.max_sizes: dict[int, int] = dict(MAX_MESSAGE_SIZES if max_sizes is None else max_sizes)
        self.max_size = max_size
        self.on_header = on_header

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        """Append one handshake record's payload."""
        self._buf += data

    def buffered(self) -> int:
        """Bytes not yet returned as a message (RECORD_LAYER_processed_read_pending)."""
        return len(self._buf) - self._pos

    def clear(self) -> None:
        """Drop everything buffered."""
        self._buf.clear()
        self._pos = 0
        self._checked = -1

    def next_message(self) -> tuple[int, bytes, bytes] | None:
        """The next complete message as (type, body, raw), or None until more data arrives."""
        buf = self._buf
        pos = self._pos
        avail = len(buf) - pos
        if avail < SSL3_HM_HEADER_LENGTH:
            return None
        msg_type = buf[pos]
        length = (buf[pos + 1] << 16) | (buf[pos + 2] << 8) | buf[pos + 3]
        if self._checked != pos:
            if self.on_header is not None:
                self.on_header(msg_type, length)
            limit = self.max_size
            if limit is None:
                limit = self.max_sizes.get(msg_type, DEFAULT_MAX_MESSAGE_SIZE)
            if length > limit:
                raise TLSError(
                    _ILLEGAL,
                    SSLReason.EXCESSIVE_MESSAGE_SIZE,
                    f"handshake type {msg_type}: {length} bytes, limit {limit}",
                )
            self._checked = pos
        end = pos + SSL3_HM_HEADER_LENGTH + length
        if end > len(buf):
            return None
        raw = bytes(buf[pos:end])
        if end == len(buf):
            buf.clear()
            self._pos = 0
        elif end > 65536 and end * 2 > len(buf):
            # Compact once most of the buffer is consumed, so a long flight of
            # small messages costs O(n) overall rather than O(n^2).
            del buf[:end]
            self._pos = 0
        else:
            self._pos = end
        self._checked = -1
        return msg_type, raw[SSL3_HM_HEADER_LENGTH:], raw
