"""Extension payloads: one encode/decode pair per extension and context.

Each ``decode_*`` function takes the ``extension_data`` bytes of one extension
(the part after type and length) and either returns the parsed value having
consumed every byte, or raises the ``TLSError`` OpenSSL raises for the same
input (``tls_parse_ctos_*`` in ``ssl/statem/extensions_srvr.c`` for what a
server receives, ``tls_parse_stoc_*`` in ``extensions_clnt.c`` for what a client
receives).  Each ``encode_*`` function is the matching ``tls_construct_*``.

Where the payload differs by message the function name says which:
``_ch`` (ClientHello), ``_sh`` (ServerHello), ``_hrr`` (HelloRetryRequest),
``_nst`` (NewSessionTicket).  Values are plain ints/bytes/tuples; semantic
checks (did we offer that group? is that version acceptable?) belong to the
engine, which knows what it sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from biokit.errors import SSLReason
from biokit.ssl.tls.codec import Reader, Writer, pack_uint16s, unpack_uint16s
from biokit.ssl.tls.enums import AlertDescription
from biokit.ssl.tls.errors import DecodeError, TLSError

__all__ = [
    "MAX_HOST_NAME_LEN",
    "MIN_RECORD_SIZE_LIMIT",
    "OfferedPsks",
    "StatusRequest",
    "binders_length",
    "decode_alpn",
    "decode_alpn_selected",
    "decode_certificate_authorities",
    "decode_certificate_status",
    "decode_cookie",
    "decode_early_data",
    "decode_early_data_nst",
    "decode_ec_point_formats",
    "decode_extended_master_secret",
    "decode_key_share_ch",
    "decode_key_share_hrr",
    "decode_key_share_sh",
    "decode_padding",
    "decode_post_handshake_auth",
    "decode_pre_shared_key_ch",
    "decode_pre_shared_key_sh",
    "decode_psk_key_exchange_modes",
    "decode_record_size_limit",
    "decode_renegotiation_info",
    "decode_server_name",
    "decode_server_name_ack",
    "decode_server_name_ch",
    "decode_session_ticket",
    "decode_signature_algorithms",
    "decode_signature_algorithms_cert",
    "decode_status_request",
    "decode_status_request_ack",
    "decode_supported_groups",
    "decode_supported_versions_ch",
    "decode_supported_versions_sh",
    "encode_alpn",
    "encode_alpn_selected",
    "encode_certificate_authorities",
    "encode_certificate_status",
    "encode_cookie",
    "encode_early_data",
    "encode_early_data_nst",
    "encode_ec_point_formats",
    "encode_extended_master_secret",
    "encode_key_share_ch",
    "encode_key_share_hrr",
    "encode_key_share_sh",
    "encode_padding",
    "encode_post_handshake_auth",
    "encode_pre_shared_key_ch",
    "encode_pre_shared_key_sh",
    "encode_psk_key_exchange_modes",
    "encode_record_size_limit",
    "encode_renegotiation_info",
    "encode_server_name",
    "encode_server_name_ack",
    "encode_session_ticket",
    "encode_signature_algorithms",
    "encode_signature_algorithms_cert",
    "encode_status_request",
    "encode_status_request_ack",
    "encode_supported_groups",
    "encode_supported_versions_ch",
    "encode_supported_versions_sh",
    "read_distinguished_names",
    "write_distinguished_names",
]

_DECODE = AlertDescription.decode_error
_ILLEGAL = AlertDescription.illegal_parameter
_BAD_EXT = SSLReason.BAD_EXTENSION

# TLSEXT_MAXLEN_host_name: OpenSSL refuses longer SNI host names.
MAX_HOST_NAME_LEN = 255
# RFC 8449: a record_size_limit below 64 is illegal.
MIN_RECORD_SIZE_LIMIT = 64
_NAME_TYPE_HOST_NAME = 0
_STATUS_TYPE_OCSP = 1


def _bad_ext(detail: str) -> DecodeError:
    return DecodeError(detail, reason=_BAD_EXT)


def _reader(data: bytes | memoryview, reason: SSLReason = _BAD_EXT) -> Reader:
    return Reader(data, reason=reason)


def _expect_empty(data: bytes | memoryview, what: str, reason: SSLReason = _BAD_EXT) -> None:
    if len(data):
        raise DecodeError(f"{what} must be empty", reason=reason)


def _uint16_list(data: bytes | memoryview, what: str) -> tuple[int, ...]:
    # supported_groups / signature_algorithms: a non-empty, even-length vec16,
    # decode_error + SSL_R_BAD_EXTENSION for anything else (tls1_save_u16).
    r = _reader(data)
    body = r.vec16()
    r.expect_end(what)
    if not body or len(body) & 1:
        raise _bad_ext(f"{what}: bad list length {len(body)}")
    return unpack_uint16s(body)


def _encode_uint16_list(values: Sequence[int]) -> bytes:
    if not values:
        raise ValueError("empty list")
    w = Writer()
    w.vec16(pack_uint16s(values))
    return w.getvalue()


# -- server_name (RFC 6066 section 3) ----------------------------------------------------


def encode_server_name(host: str) -> bytes:
    """tls_construct_ctos_server_name: a ServerNameList with one host_name."""
    name = host.encode("idna") if not host.isascii() else host.encode("ascii")
    if not name or b"\0" in name or len(name) > MAX_HOST_NAME_LEN:
        raise ValueError(f"unusable SNI host name {host!r}")
    w = Writer()
    with w.prefixed(2):
        w.uint8(_NAME_TYPE_HOST_NAME)
        w.vec16(name)
    return w.getvalue()


def decode_server_name(data: bytes | memoryview) -> str:
    """tls_parse_ctos_server_name: the one host_name of a ClientHello's ServerNameList.

    The server's acknowledgement (an empty payload) is ``decode_server_name_ack``;
    here an empty payload is a decode_error, as in OpenSSL.

    OpenSSL keeps the name as raw bytes (PACKET_strndup): it refuses only an
    embedded NUL or more than 255 bytes (unrecognized_name) and takes an empty
    name or bytes that are not UTF-8 as they are.  biokit returns them as ``str``
    decoded with UTF-8 and "surrogateescape": a UTF-8 name reads as usual, and
    any other byte b becomes U+DC00+b, so ``name.encode("utf-8",
    "surrogateescape")`` gives back exactly what the client sent.
    """
    r = _reader(data)
    sni = r.sub16()
    r.expect_end("server_name")
    # OpenSSL accepts only one entry, of type host_name, filling the list exactly.
    if sni.at_end():
        raise _bad_ext("empty ServerNameList")
    if sni.uint8() != _NAME_TYPE_HOST_NAME:
        raise _bad_ext("server_name type is not host_name")
    name = sni.vec16()
    sni.expect_end("ServerNameList")
    if len(name) > MAX_HOST_NAME_LEN or b"\0" in name:
        raise TLSError(AlertDescription.unrecognized_name, _BAD_EXT, "unusable host_name")
    return bytes(name).decode("utf-8", "surrogateescape")


# The ClientHello form under its explicit name.
decode_server_name_ch = decode_server_name


def encode_server_name_ack() -> bytes:
    """tls_construct_stoc_server_name: the server's acknowledgement is empty."""
    return b""


def decode_server_name_ack(data: bytes | memoryview) -> None:
    """tls_parse_stoc_server_name: anything but an empty payload is a decode_error."""
    _expect_empty(data, "server_name ack")


# -- supported_groups, signature_algorithms(_cert) ----------------------------------------


def encode_supported_groups(groups: Sequence[int]) -> bytes:
    """tls_construct_ctos_supported_groups."""
    return _encode_uint16_list(groups)


def decode_supported_groups(data: bytes | memoryview) -> tuple[int, ...]:
    """tls_parse_ctos_supported_groups: a non-empty list of NamedGroup code points."""
    return _uint16_list(data, "supported_groups")


def encode_signature_algorithms(schemes: Sequence[int]) -> bytes:
    """tls_construct_ctos_sig_algs."""
    return _encode_uint16_list(schemes)


def decode_signature_algorithms(data: bytes | memoryview) -> tuple[int, ...]:
    """tls_parse_ctos_sig_algs: a non-empty list of SignatureScheme code points."""
    return _uint16_list(data, "signature_algorithms")


def encode_signature_algorithms_cert(schemes: Sequence[int]) -> bytes:
    """tls_construct_ctos_sig_algs (cert variant)."""
    return _encode_uint16_list(schemes)


def decode_signature_algorithms_cert(data: bytes | memoryview) -> tuple[int, ...]:
    """tls_parse_ctos_sig_algs_cert."""
    return _uint16_list(data, "signature_algorithms_cert")


# -- supported_versions (RFC 8446 section 4.2.1) ------------------------------------------


def encode_supported_versions_ch(versions: Sequence[int]) -> bytes:
    """tls_construct_ctos_supported_versions: a vec8 of uint16 versions."""
    if not versions:
        raise ValueError("no versions")
    w = Writer()
    w.vec8(pack_uint16s(versions))
    return w.getvalue()


def decode_supported_versions_ch(data: bytes | memoryview) -> tuple[int, ...]:
    """ssl_choose_server_version's parse: protocol_version alert on a malformed list."""
    # OpenSSL returns SSL_R_LENGTH_MISMATCH from ssl_choose_server_version and
    # the caller raises it with a protocol_version alert.
    r = Reader(data, alert=AlertDescription.protocol_version)
    body = r.vec8()
    r.expect_end("supported_versions")
    if len(body) & 1:
        raise TLSError(AlertDescription.protocol_version, SSLReason.LENGTH_MISMATCH, "odd list")
    if not body:
        raise TLSError(
            AlertDescription.protocol_version, SSLReason.UNSUPPORTED_PROTOCOL, "empty list"
        )
    return unpack_uint16s(body)


def encode_supported_versions_sh(version: int) -> bytes:
    """tls_construct_stoc_supported_versions: the selected version."""
    return pack_uint16s((version,))


def decode_supported_versions_sh(data: bytes | memoryview) -> int:
    """tls_parse_stoc_supported_versions (ServerHello and HelloRetryRequest)."""
    r = _reader(data, SSLReason.LENGTH_MISMATCH)
    v = r.uint16()
    r.expect_end("supported_versions")
    return v


# -- key_share (RFC 8446 section 4.2.8) ---------------------------------------------------


def encode_key_share_ch(shares: Sequence[tuple[int, bytes]]) -> bytes:
    """tls_construct_ctos_key_share: client_shares, possibly empty."""
    w = Writer()
    with w.prefixed(2):
        for group, key_exchange in shares:
            if not key_exchange:
                raise ValueError("empty key_exchange")
            w.uint16(group)
            w.vec16(key_exchange)
    return w.getvalue()


def decode_key_share_ch(data: bytes | memoryview) -> tuple[tuple[int, bytes], ...]:
    """tls_parse_ctos_key_share (extract_keyshares): (group, key_exchange) pairs in order."""
    r = _reader(data, SSLReason.LENGTH_MISMATCH)
    lst = r.sub16()
    r.expect_end("key_share")
    shares: list[tuple[int, bytes]] = []
    seen: set[int] = set()
    while not lst.at_end():
        group = lst.uint16()
        key_exchange = lst.vec16(min_len=1)
        # RFC 8446 4.2.8: one share per group; servers MAY enforce it with
        # illegal_parameter.  OpenSSL's own reason for key_share trouble is BAD_KEY_SHARE.
        if group in seen:
            raise TLSError(_ILLEGAL, SSLReason.BAD_KEY_SHARE, f"duplicate key share {group:#x}")
        seen.add(group)
        shares.append((group, key_exchange))
    return tuple(shares)


def encode_key_share_sh(group: int, key_exchange: bytes) -> bytes:
    """tls_construct_stoc_key_share: the server's single KeyShareEntry."""
    if not key_exchange:
        raise ValueError("empty key_exchange")
    w = Writer()
    w.uint16(group)
    w.vec16(key_exchange)
    return w.getvalue()


def decode_key_share_sh(data: bytes | memoryview) -> tuple[int, bytes]:
    """tls_parse_stoc_key_share (ServerHello): (group, key_exchange)."""
    r = _reader(data, SSLReason.LENGTH_MISMATCH)
    group = r.uint16()
    key_exchange = r.vec16(min_len=1)
    r.expect_end("key_share")
    return group, key_exchange


def encode_key_share_hrr(group: int) -> bytes:
    """tls_construct_stoc_key_share (HelloRetryRequest): the selected group only."""
    return pack_uint16s((group,))


def decode_key_share_hrr(data: bytes | memoryview) -> int:
    """tls_parse_stoc_key_share (HelloRetryRequest): exactly one uint16."""
    r = _reader(data, SSLReason.LENGTH_MISMATCH)
    group = r.uint16()
    r.expect_end("key_share")
    return group


# -- application_layer_protocol_negotiation (RFC 7301) -------------------------------------


def encode_alpn(protocols: Sequence[bytes]) -> bytes:
    """tls_construct_ctos_alpn: a non-empty list of non-empty protocol names."""
    if not protocols:
        raise ValueError("no protocols")
    w = Writer()
    with w.prefixed(2):
        for p in protocols:
            if not p:
                raise ValueError("empty protocol name")
            w.vec8(p)
    return w.getvalue()


def decode_alpn(data: bytes | memoryview) -> tuple[bytes, ...]:
    """tls_parse_ctos_alpn: the client's protocol list."""
    r = _reader(data)
    lst = r.sub16(min_len=2)
    r.expect_end("alpn")
    protocols: list[bytes] = []
    while not lst.at_end():
        protocols.append(lst.vec8(min_len=1))
    return tuple(protocols)


def encode_alpn_selected(protocol: bytes) -> bytes:
    """tls_construct_stoc_alpn: a list of exactly one protocol."""
    return encode_alpn((protocol,))


def decode_alpn_selected(data: bytes | memoryview) -> bytes:
    """tls_parse_stoc_alpn: exactly one non-empty protocol name."""
    r = _reader(data)
    lst = r.sub16()
    r.expect_end("alpn")
    name = lst.vec8(min_len=1)
    lst.expect_end("alpn must hold exactly one protocol")
    return name


# -- psk_key_exchange_modes, pre_shared_key, early_data ------------------------------------


def encode_psk_key_exchange_modes(modes: Sequence[int]) -> bytes:
    """tls_construct_ctos_psk_kex_modes."""
    if not modes:
        raise ValueError("no modes")
    w = Writer()
    w.vec8(bytes(modes))
    return w.getvalue()


def decode_psk_key_exchange_modes(data: bytes | memoryview) -> tuple[int, ...]:
    """tls_parse_ctos_psk_kex_modes: a non-empty list of modes (unknown ones kept)."""
    r = _reader(data)
    modes = r.vec8(min_len=1)
    r.expect_end("psk_key_exchange_modes")
    return tuple(modes)


@dataclass(frozen=True, slots=True, kw_only=True)
class OfferedPsks:
    """The ClientHello pre_shared_key payload (RFC 8446 OfferedPsks)."""

    identities: tuple[tuple[bytes, int], ...]
    binders: tuple[bytes, ...]

    def binders_length(self) -> int:
        """The size of the trailing binders block, as cut off for the binder transcript."""
        return binders_length(self.binders)


def binders_length(binders: Sequence[bytes]) -> int:
    """Bytes the binders list takes at the end of a ClientHello (tls_psk_do_binder's offset)."""
    return 2 + sum(1 + len(b) for b in binders)


def encode_pre_shared_key_ch(
    identities: Sequence[tuple[bytes, int]], binders: Sequence[bytes]
) -> bytes:
    """tls_construct_ctos_psk: identities then binders (binders computed by the caller)."""
    if not identities or len(identities) != len(binders):
        raise ValueError("need one binder per identity")
    w = Writer()
    with w.prefixed(2):
        for identity, obfuscated_age in identities:
            if not identity:
                raise ValueError("empty PSK identity")
            w.vec16(identity)
            w.uint32(obfuscated_age)
    with w.prefixed(2):
        for binder in binders:
            w.vec8(binder)
    return w.getvalue()


def decode_pre_shared_key_ch(data: bytes | memoryview) -> OfferedPsks:
    """tls_parse_ctos_psk's parse: identities (non-empty) and one binder each."""
    r = _reader(data)
    ids = r.sub16(min_len=7)
    identities: list[tuple[bytes, int]] = []
    while not ids.at_end():
        identity = ids.vec16(min_len=1)
        identities.append((identity, ids.uint32()))
    bnd = r.sub16(min_len=33)
    r.expect_end("pre_shared_key")
    binders: list[bytes] = []
    while not bnd.at_end():
        binders.append(bnd.vec8(min_len=32))
    if len(binders) != len(identities):
        raise _bad_ext(f"{len(identities)} PSK identities but {len(binders)} binders")
    return OfferedPsks(identities=tuple(identities), binders=tuple(binders))


def encode_pre_shared_key_sh(selected_identity: int) -> bytes:
    """tls_construct_stoc_psk: the index of the chosen identity."""
    return pack_uint16s((selected_identity,))


def decode_pre_shared_key_sh(data: bytes | memoryview) -> int:
    """tls_parse_stoc_psk: selected_identity."""
    r = _reader(data, SSLReason.LENGTH_MISMATCH)
    index = r.uint16()
    r.expect_end("pre_shared_key")
    return index


def encode_early_data() -> bytes:
    """tls_construct_ctos/stoc_early_data in ClientHello and EncryptedExtensions: empty."""
    return b""


def decode_early_data(data: bytes | memoryview) -> None:
    """tls_parse_ctos/stoc_early_data: must be empty."""
    _expect_empty(data, "early_data")


def encode_early_data_nst(max_early_data_size: int) -> bytes:
    """tls_construct_stoc_early_data in a NewSessionTicket: max_early_data_size."""
    w = Writer()
    w.uint32(max_early_data_size)
    return w.getvalue()


def decode_early_data_nst(data: bytes | memoryview) -> int:
    """tls_parse_stoc_early_data in a NewSessionTicket: exactly a uint32."""
    r = _reader(data, SSLReason.INVALID_MAX_EARLY_DATA)
    size = r.uint32()
    r.expect_end("early_data")
    return size


# -- cookie, ec_point_formats, renegotiation_info, extended_master_secret, session_ticket --


def encode_cookie(cookie: bytes) -> bytes:
    """tls_construct_stoc/ctos_cookie."""
    if not cookie:
        raise ValueError("empty cookie")
    w = Writer()
    w.vec16(cookie)
    return w.getvalue()


def decode_cookie(data: bytes | memoryview) -> bytes:
    """tls_parse_stoc/ctos_cookie: a non-empty opaque cookie (RFC 8446 cookie<1..2^16-1>)."""
    r = _reader(data, SSLReason.LENGTH_MISMATCH)
    cookie = r.vec16(min_len=1)
    r.expect_end("cookie")
    return cookie


def encode_ec_point_formats(formats: bytes = b"\x00") -> bytes:
    """tls_construct_ctos_ec_pt_formats (default: uncompressed only)."""
    if not formats:
        raise ValueError("no point formats")
    w = Writer()
    w.vec8(formats)
    return w.getvalue()


def decode_ec_point_formats(data: bytes | memoryview) -> bytes:
    """tls_parse_ctos_ec_pt_formats: a non-empty list of point formats."""
    r = _reader(data)
    formats = r.vec8(min_len=1)
    r.expect_end("ec_point_formats")
    return formats


def encode_renegotiation_info(renegotiated_connection: bytes = b"") -> bytes:
    """tls_construct_ctos/stoc_renegotiate: empty on an initial handshake."""
    w = Writer()
    w.vec8(renegotiated_connection)
    return w.getvalue()


def decode_renegotiation_info(data: bytes | memoryview) -> bytes:
    """tls_parse_ctos/stoc_renegotiate's parse: the renegotiated_connection bytes."""
    r = _reader(data, SSLReason.RENEGOTIATION_ENCODING_ERR)
    value = r.vec8()
    r.expect_end("renegotiation_info")
    return value


def encode_extended_master_secret() -> bytes:
    """tls_construct_ctos/stoc_ems: empty."""
    return b""


def decode_extended_master_secret(data: bytes | memoryview) -> None:
    """tls_parse_ctos_ems: must be empty."""
    _expect_empty(data, "extended_master_secret")


def encode_session_ticket(ticket: bytes = b"") -> bytes:
    """tls_construct_ctos_session_ticket: the opaque ticket (empty to ask for one)."""
    return bytes(ticket)


def decode_session_ticket(data: bytes | memoryview) -> bytes:
    """tls_parse_ctos_session_ticket: the opaque ticket, any length."""
    return bytes(data)


# -- certificate_authorities (RFC 8446 section 4.2.4) -------------------------------------


def read_distinguished_names(r: Reader, *, allow_empty: bool) -> tuple[bytes, ...]:
    """parse_ca_names: a vec16 list of vec16 DER names (LENGTH_MISMATCH on bad framing)."""
    saved = r.reason
    r.reason = SSLReason.LENGTH_MISMATCH
    try:
        lst = r.sub16()
        names: list[bytes] = []
        while not lst.at_end():
            name = lst.vec16()
            if not name:
                raise DecodeError("empty DistinguishedName", reason=SSLReason.CA_DN_LENGTH_MISMATCH)
            names.append(name)
    finally:
        r.reason = saved
    if not names and not allow_empty:
        raise _bad_ext("empty certificate_authorities")
    return tuple(names)


def write_distinguished_names(w: Writer, names: Sequence[bytes]) -> None:
    """construct_ca_names: a vec16 list of vec16 DER names."""
    with w.prefixed(2):
        for name in names:
            if not name:
                raise ValueError("empty DistinguishedName")
            w.vec16(name)


def encode_certificate_authorities(names: Sequence[bytes]) -> bytes:
    """tls_construct_certificate_authorities."""
    if not names:
        raise ValueError("no names")
    w = Writer()
    write_distinguished_names(w, names)
    return w.getvalue()


def decode_certificate_authorities(data: bytes | memoryview) -> tuple[bytes, ...]:
    """tls_parse_certificate_authorities: a non-empty list of DER names, nothing after it."""
    r = _reader(data)
    names = read_distinguished_names(r, allow_empty=False)
    r.expect_end("certificate_authorities")
    return names


# -- post_handshake_auth, record_size_limit, padding --------------------------------------


def encode_post_handshake_auth() -> bytes:
    """tls_construct_ctos_post_handshake_auth: empty."""
    return b""


def decode_post_handshake_auth(data: bytes | memoryview) -> None:
    """tls_parse_ctos_post_handshake_auth: must be empty."""
    _expect_empty(data, "post_handshake_auth", SSLReason.POST_HANDSHAKE_AUTH_ENCODING_ERR)


def encode_record_size_limit(limit: int) -> bytes:
    """tls_construct_ctos/stoc_record_size_limit."""
    if limit < MIN_RECORD_SIZE_LIMIT:
        raise ValueError(f"record_size_limit {limit} below {MIN_RECORD_SIZE_LIMIT}")
    return pack_uint16s((limit,))


def decode_record_size_limit(data: bytes | memoryview) -> int:
    """tls_parse_ctos/stoc_record_size_limit: a uint16 of at least 64."""
    r = _reader(data)
    limit = r.uint16()
    r.expect_end("record_size_limit")
    if limit < MIN_RECORD_SIZE_LIMIT:
        raise TLSError(_ILLEGAL, _BAD_EXT, f"record_size_limit {limit} below 64")
    return limit


def encode_padding(length: int) -> bytes:
    """tls_construct_ctos_padding: ``length`` zero bytes."""
    if length < 0:
        raise ValueError("negative padding")
    return bytes(length)


def decode_padding(data: bytes | memoryview) -> int:
    """The padding length (OpenSSL never parses padding; RFC 7685 lets servers ignore it)."""
    return len(data)


# -- status_request (RFC 6066 section 8, minimal OCSP form) -------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusRequest:
    """A CertificateStatusRequest; only the ocsp type (1) has parsed contents."""

    status_type: int = _STATUS_TYPE_OCSP
    responder_id_list: tuple[bytes, ...] = ()
    request_extensions: bytes = b""


def encode_status_request(
    responder_id_list: Sequence[bytes] = (), request_extensions: bytes = b""
) -> bytes:
    """tls_construct_ctos_status_request: type ocsp, responder ids, DER extensions."""
    w = Writer()
    w.uint8(_STATUS_TYPE_OCSP)
    with w.prefixed(2):
        for rid in responder_id_list:
            if not rid:
                raise ValueError("empty ResponderID")
            w.vec16(rid)
    w.vec16(request_extensions)
    return w.getvalue()


def decode_status_request(data: bytes | memoryview) -> StatusRequest:
    """tls_parse_ctos_status_request: unknown status types are kept but not parsed."""
    r = _reader(data)
    status_type = r.uint8()
    if status_type != _STATUS_TYPE_OCSP:
        # OpenSSL ignores the rest of a request it cannot interpret.
        return StatusRequest(status_type=status_type)
    lst = r.sub16()
    rids: list[bytes] = []
    while not lst.at_end():
        rids.append(lst.vec16(min_len=1))
    exts = r.vec16()
    r.expect_end("status_request")
    return StatusRequest(
        status_type=status_type, responder_id_list=tuple(rids), request_extensions=exts
    )


def encode_status_request_ack() -> bytes:
    """tls_construct_stoc_status_request in a TLS 1.2 ServerHello: empty."""
    return b""


def decode_status_request_ack(data: bytes | memoryview) -> None:
    """tls_parse_stoc_status_request (TLS 1.2): must be empty."""
    _expect_empty(data, "status_request ack")


def encode_certificate_status(ocsp_response: bytes) -> bytes:
    """tls_construct_cert_status_body: type ocsp + uint24 DER OCSPResponse."""
    if not ocsp_response:
        raise ValueError("empty OCSP response")
    w = Writer()
    w.uint8(_STATUS_TYPE_OCSP)
    w.vec24(ocsp_response)
    return w.getvalue()


def decode_certificate_status(data: bytes | memoryview) -> bytes:
    """tls_process_cert_status_body: the OCSP response (TLS 1.3 status_request, 1.2 message)."""
    r = _reader(data, SSLReason.LENGTH_MISMATCH)
    if r.at_end() or r.uint8() != _STATUS_TYPE_OCSP:
        raise DecodeError("unsupported status type", reason=SSLReason.UNSUPPORTED_STATUS_TYPE)
    response = r.vec24(min_len=1)
    r.expect_end("CertificateStatus")
    return response
