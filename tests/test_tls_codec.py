"""Tests for the sans-I/O TLS codec: codec.py, messages.py, extensions.py.

Families:
- golden bytes: RFC 8448 section 3 ("Simple 1-RTT Handshake") messages decode to
  the documented fields and re-encode to the same bytes; the trace itself is
  authenticated first (its Finished MACs and resumption PSK recomputed);
- real peers: ClientHellos (and TLS 1.2/1.3 server flights) produced by Python's
  ``ssl`` module and by pyOpenSSL decode cleanly;
- malformed input: truncation at every offset, trailing bytes, wrong inner
  lengths, duplicate extensions, misplaced pre_shared_key, empty lists -- each
  gives the TLSError (alert + OpenSSL reason) OpenSSL gives, never another
  exception; hypothesis fuzzing of every decoder backs this up;
- the deframer over every split of a multi-message flight, size limits, speed.
"""

from __future__ import annotations

import ast
import hashlib
import hmac
import inspect
import ssl
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import biokit.ssl.tls.extensions as ext
from biokit.errors import SSLReason
from biokit.ssl.tls import codec, messages
from biokit.ssl.tls.codec import Reader, Writer
from biokit.ssl.tls.enums import (
    AlertDescription,
    CipherSuite,
    ExtensionType,
    HandshakeType,
    NamedGroup,
    SignatureScheme,
)
from biokit.ssl.tls.errors import DecodeError, TLSError
from biokit.ssl.tls.messages import (
    DOWNGRADE_TLS11,
    DOWNGRADE_TLS12,
    HRR_RANDOM,
    Alert,
    Certificate12,
    Certificate13,
    CertificateEntry,
    CertificateRequest12,
    CertificateRequest13,
    CertificateVerify,
    ClientHello,
    ClientKeyExchangeECDHE,
    EncryptedExtensions,
    EndOfEarlyData,
    Extension,
    Finished,
    HandshakeDeframer,
    HandshakeMessage,
    HelloRequest,
    KeyUpdate,
    NewSessionTicket12,
    NewSessionTicket13,
    ServerHello,
    ServerHelloDone,
    ServerKeyExchangeECDHE,
    decode_handshake,
    encode_handshake,
    find_extension,
)

DECODE = AlertDescription.decode_error
ILLEGAL = AlertDescription.illegal_parameter
ET = ExtensionType

# --- RFC 8448 section 3, "Simple 1-RTT Handshake": complete handshake messages ---------

CH_HEX = (
    "010000c00303cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece700000613011303130201"
    "0000910000000b0009000006736572766572ff01000100000a00140012001d0017001800190100010101020103010400"
    "230000003300260024001d002099381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c002b00"
    "03020304000d0020001e040305030603020308040805080604010501060102010402050206020202002d00020101001c"
    "00024001"
)
SH_HEX = (
    "020000560303a6af06a4121860dc5e6e60249cd34c95930c8ac5cb1434dac155772ed3e2692800130100002e00330024"
    "001d0020c9828876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f0f002b00020304"
)
EE_HEX = "080000240022000a00140012001d00170018001901000101010201030104001c0002400100000000"
CERT_HEX = (
    "0b0001b9000001b50001b0308201ac30820115a003020102020102300d06092a864886f70d01010b0500300e310c300a"
    "06035504031303727361301e170d3136303733303031323335395a170d3236303733303031323335395a300e310c300a"
    "0603550403130372736130819f300d06092a864886f70d010101050003818d0030818902818100b4bb498f8279303d98"
    "0836399b36c6988c0c68de55e1bdb826d3901a2461eafd2de49a91d015abbc9a95137ace6c1af19eaa6af98c7ced4312"
    "0998e187a80ee0ccb0524b1b018c3e0b63264d449a6d38e22a5fda430846748030530ef0461c8ca9d9efbfae8ea6d1d0"
    "3e2bd193eff0ab9a8002c47428a6d35a8d88d79f7f1e3f0203010001a31a301830090603551d1304023000300b060355"
    "1d0f0404030205a0300d06092a864886f70d01010b05000381810085aad2a0e5b9276b908c65f73a7267170618a54c5f"
    "8a7b337d2df7a594365417f2eae8f8a58c8f8172f9319cf36b7fd6c55b80f21a03015156726096fd335e5e67f2dbf102"
    "702e608ccae6bec1fc63a42a99be5c3eb7107c3c54e9b9eb2bd5203b1c3b84e0a8b2f759409ba3eac9d91d402dcc0cc8"
    "f8961229ac9187b42b4de10000"
)
CV_HEX = (
    "0f000084080400805a747c5d88fa9bd2e55ab085a61015b7211f824cd484145ab3ff52f1fda8477b0b7abc90db78e2d3"
    "3a5c141a078653fa6bef780c5ea248eeaaa785c4f394cab6d30bbe8d4859ee511f602957b15411ac027671459e46445c"
    "9ea58c181e818e95b8c3fb0bf3278409d3be152a3da5043e063dda65cdf5aea20d53dfacd42f74f3"
)
SFIN_HEX = "140000209b9b141d906337fbd2cbdce71df4deda4ab42c309572cb7fffee5454b78f0718"
CFIN_HEX = "14000020a8ec436d677634ae525ac1fcebe11a039ec17694fac6e98527b642f2edd5ce61"
NST_HEX = (
    "040000c90000001efad6aac502000000b22c035d829359ee5ff7af4ec900000000262a6494dc486d2c8a34cb33fa90bf"
    "1b0070ad3c498883c9367c09a2be785abc55cd226097a3a982117283f82a03a143efd3ff5dd36d64e861be7fd61d2827"
    "db279cce145077d454a3664d4e6da4d29ee03725a6a4dafcd0fc67d2aea70529513e3da2677fa5906c5b3f7d8f92f228"
    "bda40dda721470f9fbf297b5aea617646fac5c03272e970727c621a79141ef5f7de6505e5bfbc388e93343694093934a"
    "e4d3570008002a000400000400"
)

CH = bytes.fromhex("".join(CH_HEX))
SH = bytes.fromhex("".join(SH_HEX))
EE = bytes.fromhex("".join(EE_HEX))
CERT = bytes.fromhex("".join(CERT_HEX))
CV = bytes.fromhex("".join(CV_HEX))
SFIN = bytes.fromhex("".join(SFIN_HEX))
CFIN = bytes.fromhex("".join(CFIN_HEX))
NST = bytes.fromhex("".join(NST_HEX))

# Secrets printed in the same trace, used only to authenticate the bytes above.
S_HS_TRAFFIC = bytes.fromhex("b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38")
C_HS_TRAFFIC = bytes.fromhex("b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21")
RES_MASTER_HASH = bytes.fromhex("209145a96ee8e2a122ff810047cc952684658d6049e86429426db87c54ad143d")
RES_MASTER = bytes.fromhex("7df235f2031d2a051287d02b0241b0bfdaf86cc856231f2d5aba46c434ec196c")
RESUMPTION_PSK = bytes.fromhex("4ecd0eb6ec3b4d87f5d6028f922ca4c5851a277fd41311c9e62d2c9492e1c4f3")
CLIENT_SHARE = bytes.fromhex("99381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c")
SERVER_SHARE = bytes.fromhex("c9828876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f0f")

FLIGHT = SH + EE + CERT + CV + SFIN
GOLDEN = [CH, SH, EE, CERT, CV, SFIN, CFIN, NST]


def body(msg: bytes) -> bytes:
    assert int.from_bytes(msg[1:4], "big") == len(msg) - 4
    return msg[4:]


def need(msg: messages._HasExtensions, ext_type: int) -> bytes:
    data = msg.extension(ext_type)
    assert data is not None, f"extension {ext_type} missing"
    return data


def expand_label(secret: bytes, label: bytes, context: bytes, length: int) -> bytes:
    info = length.to_bytes(2, "big") + bytes([6 + len(label)]) + b"tls13 " + label
    info += bytes([len(context)]) + context
    return HKDFExpand(hashes.SHA256(), length, info).derive(secret)


def raises(
    fn: Callable[[], object], alert: AlertDescription | None, reason: SSLReason | int
) -> TLSError:
    with pytest.raises(TLSError) as info:
        fn()
    assert info.value.alert == alert, info.value
    assert info.value.reason == int(reason), info.value
    return info.value


# === RFC 8448 golden bytes =================================================================


def test_rfc8448_trace_is_authentic() -> None:
    # The handshake MACs printed in the RFC cover every byte of CH..CV (and CH..SF):
    # if one hex digit above were wrong these would not match.
    transcript = CH + SH + EE + CERT + CV
    key = expand_label(S_HS_TRAFFIC, b"finished", b"", 32)
    assert hmac.new(key, hashlib.sha256(transcript).digest(), "sha256").digest() == body(SFIN)
    key = expand_label(C_HS_TRAFFIC, b"finished", b"", 32)
    transcript += SFIN
    assert hmac.new(key, hashlib.sha256(transcript).digest(), "sha256").digest() == body(CFIN)
    assert hashlib.sha256(transcript + CFIN).digest() == RES_MASTER_HASH


def test_rfc8448_client_hello() -> None:
    ch = ClientHello.decode(body(CH))
    assert ch.legacy_version == 0x0303
    assert ch.random == bytes.fromhex(
        "cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7"
    )
    assert ch.legacy_session_id == b""
    assert ch.cipher_suites == (0x1301, 0x1303, 0x1302)
    assert ch.legacy_compression_methods == b"\x00"
    assert [e.type for e in ch.extensions] == [
        ET.server_name,
        ET.renegotiation_info,
        ET.supported_groups,
        ET.session_ticket,
        ET.key_share,
        ET.supported_versions,
        ET.signature_algorithms,
        ET.psk_key_exchange_modes,
        ET.record_size_limit,
    ]
    assert ch.raw == body(CH)
    assert ext.decode_server_name(need(ch, ET.server_name)) == "server"
    assert ext.decode_server_name_ch(need(ch, ET.server_name)) == "server"
    assert ext.decode_renegotiation_info(need(ch, ET.renegotiation_info)) == b""
    assert ext.decode_supported_groups(need(ch, ET.supported_groups)) == (
        NamedGroup.x25519,
        NamedGroup.secp256r1,
        NamedGroup.secp384r1,
        NamedGroup.secp521r1,
        NamedGroup.ffdhe2048,
        NamedGroup.ffdhe3072,
        NamedGroup.ffdhe4096,
        NamedGroup.ffdhe6144,
        NamedGroup.ffdhe8192,
    )
    assert ext.decode_session_ticket(need(ch, ET.session_ticket)) == b""
    assert ext.decode_key_share_ch(need(ch, ET.key_share)) == ((NamedGroup.x25519, CLIENT_SHARE),)
    assert ext.decode_supported_versions_ch(need(ch, ET.supported_versions)) == (0x0304,)
    assert ext.decode_signature_algorithms(need(ch, ET.signature_algorithms)) == (
        0x0403,
        0x0503,
        0x0603,
        0x0203,
        0x0804,
        0x0805,
        0x0806,
        0x0401,
        0x0501,
        0x0601,
        0x0201,
        0x0402,
        0x0502,
        0x0602,
        0x0202,
    )
    assert ext.decode_psk_key_exchange_modes(need(ch, ET.psk_key_exchange_modes)) == (1,)
    assert ext.decode_record_size_limit(need(ch, ET.record_size_limit)) == 0x4001
    assert ch.extension(ET.pre_shared_key) is None
    assert encode_handshake(ch) == CH
    assert decode_handshake(1, body(CH), tls13=True) == ch
    assert decode_handshake(1, body(CH), tls13=False) == ch


def test_rfc8448_server_hello() -> None:
    sh = ServerHello.decode(body(SH))
    assert sh.legacy_version == 0x0303
    assert sh.random == bytes.fromhex(
        "a6af06a4121860dc5e6e60249cd34c95930c8ac5cb1434dac155772ed3e26928"
    )
    assert sh.legacy_session_id_echo == b""
    assert sh.cipher_suite == CipherSuite.TLS_AES_128_GCM_SHA256
    assert sh.legacy_compression_method == 0
    assert not sh.is_hello_retry_request
    assert sh.downgrade_sentinel is None
    assert [e.type for e in sh.extensions] == [ET.key_share, ET.supported_versions]
    assert ext.decode_key_share_sh(need(sh, ET.key_share)) == (
        NamedGroup.x25519,
        SERVER_SHARE,
    )
    assert ext.decode_supported_versions_sh(need(sh, ET.supported_versions)) == 0x0304
    assert encode_handshake(sh) == SH


def test_rfc8448_encrypted_extensions() -> None:
    ee = EncryptedExtensions.decode(body(EE))
    assert [e.type for e in ee.extensions] == [
        ET.supported_groups,
        ET.record_size_limit,
        ET.server_name,
    ]
    assert ext.decode_supported_groups(need(ee, ET.supported_groups))[0] == 29
    assert ext.decode_record_size_limit(need(ee, ET.record_size_limit)) == 0x4001
    ext.decode_server_name_ack(need(ee, ET.server_name))
    raises(
        lambda: ext.decode_server_name(need(ee, ET.server_name)), DECODE, SSLReason.BAD_EXTENSION
    )
    assert encode_handshake(ee) == EE


def test_rfc8448_certificate() -> None:
    cert = Certificate13.decode(body(CERT))
    assert cert.certificate_request_context == b""
    assert len(cert.certificate_list) == 1
    entry = cert.certificate_list[0]
    assert len(entry.cert_data) == 0x1B0
    assert entry.cert_data[:4] == bytes.fromhex("308201ac")
    assert entry.extensions == ()
    assert encode_handshake(cert) == CERT
    assert decode_handshake(11, body(CERT), tls13=True) == cert
    # The same bytes are not a valid TLS 1.2 Certificate (the context byte shifts everything).
    raises(lambda: decode_handshake(11, body(CERT), tls13=False), DECODE, SSLReason.LENGTH_MISMATCH)


def test_rfc8448_certificate_verify_and_finished() -> None:
    cv = CertificateVerify.decode(body(CV))
    assert cv.algorithm == SignatureScheme.rsa_pss_rsae_sha256
    assert len(cv.signature) == 128
    assert cv.signature[:4] == bytes.fromhex("5a747c5d")
    assert encode_handshake(cv) == CV
    for raw in (SFIN, CFIN):
        fin = Finished.decode(body(raw))
        assert fin.verify_data == body(raw)
        assert encode_handshake(fin) == raw


def test_rfc8448_new_session_ticket() -> None:
    nst = NewSessionTicket13.decode(body(NST))
    assert nst.ticket_lifetime == 30
    assert nst.ticket_age_add == 0xFAD6AAC5
    assert nst.ticket_nonce == b"\x00\x00"
    assert len(nst.ticket) == 0xB2
    assert nst.ticket[:4] == bytes.fromhex("2c035d82")
    assert [e.type for e in nst.extensions] == [ET.early_data]
    assert ext.decode_early_data_nst(need(nst, ET.early_data)) == 0x400
    # The PSK the RFC derives from this ticket uses the nonce we decoded.
    assert expand_label(RES_MASTER, b"resumption", nst.ticket_nonce, 32) == RESUMPTION_PSK
    assert encode_handshake(nst) == NST
    raises(lambda: decode_handshake(4, body(NST), tls13=False), DECODE, SSLReason.LENGTH_MISMATCH)


def test_rfc8448_flight_through_deframer() -> None:
    d = HandshakeDeframer()
    d.feed(FLIGHT)
    got = []
    while (m := d.next_message()) is not None:
        got.append(m)
    assert [t for t, _, _ in got] == [2, 8, 11, 15, 20]
    assert b"".join(raw for _, _, raw in got) == FLIGHT
    assert [decode_handshake(t, b, tls13=True).msg_type for t, b, _ in got] == [
        2,
        8,
        11,
        15,
        20,
    ]
    assert d.buffered() == 0


# === real peers ============================================================================


def split_records(data: bytes) -> list[tuple[int, bytes]]:
    out = []
    while data:
        assert len(data) >= 5
        n = int.from_bytes(data[3:5], "big")
        assert len(data) >= 5 + n
        out.append((data[0], data[5 : 5 + n]))
        data = data[5 + n :]
    return out


def python_client(
    max_version: ssl.TLSVersion | None = None,
) -> tuple[ssl.SSLObject, ssl.MemoryBIO, ssl.MemoryBIO]:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["h2", "http/1.1"])
    if max_version is not None:
        ctx.maximum_version = max_version
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(incoming, outgoing, server_hostname="python.example")
    with pytest.raises(ssl.SSLWantReadError):
        obj.do_handshake()
    return obj, incoming, outgoing


def check_real_client_hello(ch: ClientHello, host: str, alpn: tuple[bytes, ...]) -> None:
    assert ch.legacy_version == 0x0303
    assert 0x1301 in ch.cipher_suites
    assert ch.legacy_compression_methods == b"\x00"
    assert ext.decode_server_name(need(ch, ET.server_name)) == host
    assert ext.decode_alpn(need(ch, ET.application_layer_protocol_negotiation)) == alpn
    assert 0x0304 in ext.decode_supported_versions_ch(need(ch, ET.supported_versions))
    groups = ext.decode_supported_groups(need(ch, ET.supported_groups))
    assert NamedGroup.x25519 in groups
    shares = ext.decode_key_share_ch(need(ch, ET.key_share))
    assert shares and all(g in groups for g, _ in shares)
    sizes = {NamedGroup.x25519: 32, NamedGroup.secp256r1: 65, NamedGroup.X25519MLKEM768: 1216}
    for group, key in shares:
        if group in sizes:
            assert len(key) == sizes[NamedGroup(group)]
    assert ext.decode_signature_algorithms(need(ch, ET.signature_algorithms))
    assert ext.decode_psk_key_exchange_modes(need(ch, ET.psk_key_exchange_modes))
    ext.decode_extended_master_secret(need(ch, ET.extended_master_secret))
    assert ext.decode_ec_point_formats(need(ch, ET.ec_point_formats))[0] == 0  # uncompressed
    assert encode_handshake(ch)[4:] == ch.raw


def test_python_ssl_client_hello() -> None:
    _, _, outgoing = python_client()
    records = split_records(outgoing.read())
    assert len(records) == 1 and records[0][0] == 22
    payload = records[0][1]
    t, b, raw = decode_one(payload)
    assert t == HandshakeType.CLIENT_HELLO and raw == payload
    ch = ClientHello.decode(b)
    check_real_client_hello(ch, "python.example", (b"h2", b"http/1.1"))
    assert len(ch.legacy_session_id) == 32  # OpenSSL's middlebox compatibility mode


def test_pyopenssl_client_hello() -> None:
    from OpenSSL import SSL

    ctx = SSL.Context(SSL.TLS_CLIENT_METHOD)
    ctx.set_alpn_protos([b"http/1.1"])
    conn = SSL.Connection(ctx, None)
    conn.set_connect_state()
    conn.set_tlsext_host_name(b"pyopenssl.example")
    with pytest.raises(SSL.WantReadError):
        conn.do_handshake()
    records = split_records(conn.bio_read(1 << 16))
    payload = b"".join(p for t, p in records if t == 22)
    t, b, _raw = decode_one(payload)
    assert t == HandshakeType.CLIENT_HELLO
    ch = ClientHello.decode(b)
    check_real_client_hello(ch, "pyopenssl.example", (b"http/1.1",))


def decode_one(payload: bytes) -> tuple[int, bytes, bytes]:
    d = HandshakeDeframer()
    d.feed(payload)
    m = d.next_message()
    assert m is not None and d.buffered() == 0
    return m


@pytest.fixture(scope="module")
def server_cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, bytes]:
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "codec.test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    d = tmp_path_factory.mktemp("codec")
    cert_path, key_path = d / "cert.pem", d / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path, cert.public_bytes(serialization.Encoding.DER)


def python_server(
    cert: tuple[Path, Path, bytes],
) -> tuple[ssl.SSLObject, ssl.MemoryBIO, ssl.MemoryBIO]:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert[0], cert[1])
    ctx.set_alpn_protocols(["http/1.1"])
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    return ctx.wrap_bio(incoming, outgoing, server_side=True), incoming, outgoing


def handshake_messages(records: list[tuple[int, bytes]]) -> list[tuple[int, bytes, bytes]]:
    d = HandshakeDeframer()
    out = []
    for ctype, payload in records:
        if ctype != 22:
            break  # the rest is encrypted (or a CCS) in these flights
        d.feed(payload)
        while (m := d.next_message()) is not None:
            out.append(m)
    return out


def test_python_ssl_tls12_flights(server_cert: tuple[Path, Path, bytes]) -> None:
    client, c_in, c_out = python_client(ssl.TLSVersion.TLSv1_2)
    server, s_in, s_out = python_server(server_cert)
    s_in.write(c_out.read())
    with pytest.raises(ssl.SSLWantReadError):
        server.do_handshake()
    server_flight = s_out.read()
    flight = handshake_messages(split_records(server_flight))
    assert [t for t, _, _ in flight] == [2, 11, 12, 14]
    msgs = [decode_handshake(t, b, tls13=False) for t, b, _ in flight]
    sh, cert, ske, done = msgs
    assert isinstance(sh, ServerHello) and sh.legacy_version == 0x0303
    assert sh.downgrade_sentinel == DOWNGRADE_TLS12  # a TLS 1.3 server negotiating 1.2
    alpn = need(sh, ET.application_layer_protocol_negotiation)
    assert ext.decode_alpn_selected(alpn) == b"http/1.1"
    assert ext.decode_renegotiation_info(need(sh, ET.renegotiation_info)) == b""
    ext.decode_extended_master_secret(need(sh, ET.extended_master_secret))
    assert isinstance(cert, Certificate12) and cert.certificate_list == (server_cert[2],)
    assert isinstance(ske, ServerKeyExchangeECDHE)
    assert ske.named_group == NamedGroup.x25519 and len(ske.public) == 32
    assert ske.algorithm == SignatureScheme.ecdsa_secp256r1_sha256
    assert body(encode_handshake(ske))[: len(ske.params())] == ske.params()
    assert isinstance(done, ServerHelloDone)
    for (_, _, raw), msg in zip(flight, msgs, strict=True):
        assert encode_handshake(msg) == raw

    c_in.write(server_flight)
    with pytest.raises(ssl.SSLWantReadError):
        client.do_handshake()
    client_flight = c_out.read()
    records = split_records(client_flight)
    assert [t for t, _ in records] == [22, 20, 22]  # ClientKeyExchange, CCS, Finished
    ((t, b, raw),) = handshake_messages(records[:1])
    cke = decode_handshake(t, b, tls13=False)
    assert isinstance(cke, ClientKeyExchangeECDHE) and len(cke.public) == 32
    assert encode_handshake(cke) == raw

    s_in.write(client_flight)
    server.do_handshake()
    records = split_records(s_out.read())
    assert [t for t, _ in records] == [22, 20, 22]  # NewSessionTicket, CCS, Finished
    ((t, b, raw),) = handshake_messages(records[:1])
    nst = decode_handshake(t, b, tls13=False)
    assert isinstance(nst, NewSessionTicket12) and nst.ticket and nst.ticket_lifetime_hint > 0
    assert encode_handshake(nst) == raw


def test_python_ssl_tls13_server_hello(server_cert: tuple[Path, Path, bytes]) -> None:
    _, _, c_out = python_client()
    ch_payload = split_records(c_out.read())[0][1]
    ch = ClientHello.decode(ch_payload[4:])
    server, s_in, s_out = python_server(server_cert)
    s_in.write(b"\x16\x03\x01" + len(ch_payload).to_bytes(2, "big") + ch_payload)
    with pytest.raises(ssl.SSLWantReadError):
        server.do_handshake()
    records = split_records(s_out.read())
    assert records[0][0] == 22 and records[1][0] == 20  # ServerHello, then a middlebox CCS
    ((t, b, raw),) = handshake_messages(records[:1])
    sh = decode_handshake(t, b, tls13=True)
    assert isinstance(sh, ServerHello) and not sh.is_hello_retry_request
    assert sh.legacy_session_id_echo == ch.legacy_session_id
    assert sh.cipher_suite in (0x1301, 0x1302, 0x1303)
    assert ext.decode_supported_versions_sh(need(sh, ET.supported_versions)) == 0x0304
    group, key = ext.decode_key_share_sh(need(sh, ET.key_share))
    assert group in [g for g, _ in ext.decode_key_share_ch(need(ch, ET.key_share))]
    assert key
    assert sh.downgrade_sentinel is None
    assert encode_handshake(sh) == raw


# === malformed input =======================================================================

# (decoder, valid body, offsets at which a prefix is itself a valid message)
VALID_BODIES: list[tuple[Callable[[bytes], object], bytes, set[int]]] = [
    (ClientHello.decode, body(CH), {2 + 32 + 1 + 2 + 6 + 1 + 1}),
    (ServerHello.decode, body(SH), {2 + 32 + 1 + 2 + 1}),
    (EncryptedExtensions.decode, body(EE), set()),
    (Certificate13.decode, body(CERT), set()),
    (CertificateVerify.decode, body(CV), set()),
    (NewSessionTicket13.decode, body(NST), set()),
    (KeyUpdate.decode, b"\x01", set()),
    (
        ServerKeyExchangeECDHE.decode,
        ServerKeyExchangeECDHE(
            named_group=29, public=bytes(range(32)), algorithm=0x0403, signature=b"sig"
        ).encode(),
        set(),
    ),
    (ClientKeyExchangeECDHE.decode, ClientKeyExchangeECDHE(public=b"\x04" * 65).encode(), set()),
    (Certificate12.decode, Certificate12(certificate_list=(b"c1", b"cert2")).encode(), set()),
    (
        CertificateRequest12.decode,
        CertificateRequest12(
            certificate_types=b"\x01\x40",
            supported_signature_algorithms=(0x0403, 0x0804),
            certificate_authorities=(b"0\x00", b"name"),
        ).encode(),
        set(),
    ),
    (
        CertificateRequest13.decode,
        CertificateRequest13(
            certificate_request_context=b"ctx",
            extensions=(Extension(type=13, data=ext.encode_signature_algorithms([0x0403])),),
        ).encode(),
        set(),
    ),
    (
        NewSessionTicket12.decode,
        NewSessionTicket12(ticket_lifetime_hint=7, ticket=b"t").encode(),
        set(),
    ),
    (Alert.decode, b"\x02\x28", set()),
]


VALID_IDS = [getattr(d, "__qualname__", "?").split(".")[0] for d, _, _ in VALID_BODIES]


@pytest.mark.parametrize("decoder,valid,ok_prefixes", VALID_BODIES, ids=VALID_IDS)
def test_truncation_at_every_offset(
    decoder: Callable[[bytes], object], valid: bytes, ok_prefixes: set[int]
) -> None:
    decoder(valid)
    for i in range(len(valid)):
        try:
            decoder(valid[:i])
        except TLSError as exc:
            if decoder == Alert.decode:
                assert exc.alert == AlertDescription.unexpected_message
            elif decoder == ClientKeyExchangeECDHE.decode and i == 0:
                assert exc.alert == AlertDescription.handshake_failure
            else:
                assert exc.alert == DECODE, (i, exc)
        else:
            assert i in ok_prefixes, f"prefix of {i} bytes decoded"


@pytest.mark.parametrize("decoder,valid,ok_prefixes", VALID_BODIES, ids=VALID_IDS)
def test_trailing_garbage(
    decoder: Callable[[bytes], object], valid: bytes, ok_prefixes: set[int]
) -> None:
    for junk in (b"\x00", b"\xff\xff", b"\x00\x00\x00\x00"):
        with pytest.raises(TLSError) as info:
            decoder(valid + junk)
        if decoder == Alert.decode:
            assert info.value.alert == AlertDescription.unexpected_message
        elif decoder == KeyUpdate.decode:
            assert info.value.reason == SSLReason.BAD_KEY_UPDATE
        else:
            assert info.value.alert == DECODE


EXTENSION_PAYLOADS: list[tuple[Callable[[bytes], object], bytes]] = [
    (ext.decode_server_name, ext.encode_server_name("example.com")),
    (ext.decode_supported_groups, ext.encode_supported_groups([29, 23, 24])),
    (ext.decode_signature_algorithms, ext.encode_signature_algorithms([0x0403, 0x0804])),
    (ext.decode_supported_versions_ch, ext.encode_supported_versions_ch([0x0304, 0x0303])),
    (ext.decode_supported_versions_sh, ext.encode_supported_versions_sh(0x0304)),
    (ext.decode_key_share_ch, ext.encode_key_share_ch([(29, bytes(32)), (23, bytes(65))])),
    (ext.decode_key_share_sh, ext.encode_key_share_sh(29, bytes(32))),
    (ext.decode_key_share_hrr, ext.encode_key_share_hrr(23)),
    (ext.decode_alpn, ext.encode_alpn([b"h2", b"http/1.1"])),
    (ext.decode_alpn_selected, ext.encode_alpn_selected(b"http/1.1")),
    (ext.decode_psk_key_exchange_modes, ext.encode_psk_key_exchange_modes([1])),
    (ext.decode_pre_shared_key_ch, ext.encode_pre_shared_key_ch([(b"id", 9)], [bytes(32)])),
    (ext.decode_pre_shared_key_sh, ext.encode_pre_shared_key_sh(0)),
    (ext.decode_early_data_nst, ext.encode_early_data_nst(1 << 14)),
    (ext.decode_cookie, ext.encode_cookie(b"cookie")),
    (ext.decode_ec_point_formats, ext.encode_ec_point_formats(b"\x00\x01")),
    (ext.decode_renegotiation_info, ext.encode_renegotiation_info(bytes(12))),
    (ext.decode_certificate_authorities, ext.encode_certificate_authorities([b"dn1", b"dn2"])),
    (ext.decode_record_size_limit, ext.encode_record_size_limit(16385)),
    (ext.decode_status_request, ext.encode_status_request([b"rid"], b"\x30\x00")),
    (ext.decode_certificate_status, ext.encode_certificate_status(b"\x30\x03\x0a\x01\x00")),
]


@pytest.mark.parametrize(
    "decoder,payload", EXTENSION_PAYLOADS, ids=[d.__name__ for d, _ in EXTENSION_PAYLOADS]
)
def test_extension_truncation_and_trailing_bytes(
    decoder: Callable[[bytes], object], payload: bytes
) -> None:
    decoder(payload)
    for i in range(len(payload)):
        with pytest.raises(TLSError):
            decoder(payload[:i])
    with pytest.raises(TLSError):
        decoder(payload + b"\x00")


def test_truncation_reasons_match_openssl() -> None:
    b = body(CH)
    raises(lambda: ClientHello.decode(b[:1]), DECODE, SSLReason.LENGTH_TOO_SHORT)
    raises(lambda: ClientHello.decode(b[:20]), DECODE, SSLReason.LENGTH_MISMATCH)
    raises(lambda: ClientHello.decode(b[:-1]), DECODE, SSLReason.LENGTH_MISMATCH)
    s = body(SH)
    raises(lambda: ServerHello.decode(s[:-1]), DECODE, SSLReason.BAD_LENGTH)
    raises(lambda: ServerHello.decode(s[:30]), DECODE, SSLReason.LENGTH_MISMATCH)
    c = body(CERT)
    raises(lambda: Certificate13.decode(c[:-1]), DECODE, SSLReason.LENGTH_MISMATCH)
    raises(lambda: CertificateVerify.decode(body(CV)[:1]), DECODE, SSLReason.BAD_PACKET)
    raises(lambda: CertificateVerify.decode(body(CV)[:-1]), DECODE, SSLReason.LENGTH_MISMATCH)
    raises(lambda: KeyUpdate.decode(b""), DECODE, SSLReason.BAD_KEY_UPDATE)
    raises(lambda: EncryptedExtensions.decode(body(EE)[:-1]), DECODE, SSLReason.LENGTH_MISMATCH)


def ch_body(
    *,
    session_id: bytes = b"",
    suites: bytes = b"\x13\x01",
    compression: bytes = b"\x00",
    exts: list[tuple[int, bytes]] | None = None,
    ext_block: bytes | None = None,
) -> bytes:
    w = Writer()
    w.uint16(0x0303)
    w.raw(bytes(32))
    w.vec8(session_id)
    w.vec16(suites)
    w.vec8(compression)
    if ext_block is not None:
        w.raw(ext_block)
    elif exts is not None:
        with w.prefixed(2):
            for t, d in exts:
                w.uint16(t)
                w.vec16(d)
    return w.getvalue()


def test_client_hello_wrong_inner_lengths() -> None:
    ok = ch_body(exts=[(10, ext.encode_supported_groups([29]))])
    assert ClientHello.decode(ok).extension(10) == ext.encode_supported_groups([29])
    # session id of 33 bytes
    raises(
        lambda: ClientHello.decode(ch_body(session_id=bytes(33))), DECODE, SSLReason.LENGTH_MISMATCH
    )
    # cipher suite vector claims more than there is
    bad = bytearray(ok)
    bad[35] = 0xFF
    raises(lambda: ClientHello.decode(bytes(bad)), DECODE, SSLReason.LENGTH_MISMATCH)
    # odd / empty cipher suite lists (checked after framing, as ssl_cache_cipherlist does)
    raises(
        lambda: ClientHello.decode(ch_body(suites=b"\x13\x01\x13")),
        DECODE,
        SSLReason.ERROR_IN_RECEIVED_CIPHER_LIST,
    )
    raises(lambda: ClientHello.decode(ch_body(suites=b"")), ILLEGAL, SSLReason.NO_CIPHERS_SPECIFIED)
    raises(
        lambda: ClientHello.decode(ch_body(compression=b"")),
        DECODE,
        SSLReason.NO_COMPRESSION_SPECIFIED,
    )
    # an extension whose length runs past the block
    raises(
        lambda: ClientHello.decode(ch_body(ext_block=b"\x00\x05\x00\x0a\x00\x09\x00")),
        DECODE,
        SSLReason.BAD_EXTENSION,
    )
    # a block length that disagrees with the message
    raises(
        lambda: ClientHello.decode(ch_body(ext_block=b"\x00\x04\x00\x17\x00\x00\x00")),
        DECODE,
        SSLReason.LENGTH_MISMATCH,
    )
    # a lone byte where the block length should be
    raises(
        lambda: ClientHello.decode(ch_body(ext_block=b"\x00")), DECODE, SSLReason.LENGTH_MISMATCH
    )
    # a truncated extension header inside the block
    raises(
        lambda: ClientHello.decode(ch_body(ext_block=b"\x00\x03\x00\x17\x00")),
        DECODE,
        SSLReason.BAD_EXTENSION,
    )
    # no extension block at all (TLS 1.2 client) and an explicitly empty one
    assert ClientHello.decode(ch_body()).extensions == ()
    assert ClientHello.decode(ch_body(exts=[])).extensions == ()


def test_duplicate_extensions_rejected() -> None:
    dup = [(10, ext.encode_supported_groups([29])), (10, ext.encode_supported_groups([23]))]
    raises(lambda: ClientHello.decode(ch_body(exts=dup)), ILLEGAL, SSLReason.BAD_EXTENSION)
    unknown_dup = [(0x1234, b""), (0x1234, b"")]
    raises(lambda: ClientHello.decode(ch_body(exts=unknown_dup)), ILLEGAL, SSLReason.BAD_EXTENSION)
    w = Writer()
    with w.prefixed(2):
        for t in (0, 0):
            w.uint16(t)
            w.vec16(b"")
    raises(lambda: EncryptedExtensions.decode(w.getvalue()), ILLEGAL, SSLReason.BAD_EXTENSION)
    with pytest.raises(ValueError):
        EncryptedExtensions(extensions=(Extension(type=0), Extension(type=0))).encode()


def psk_payload() -> bytes:
    return ext.encode_pre_shared_key_ch([(b"ticket", 1234)], [bytes(32)])


def test_pre_shared_key_must_be_last() -> None:
    good = [(43, ext.encode_supported_versions_ch([0x0304])), (41, psk_payload())]
    ch = ClientHello.decode(ch_body(exts=good))
    assert ch.extensions[-1].type == ET.pre_shared_key
    bad = list(reversed(good))
    raises(lambda: ClientHello.decode(ch_body(exts=bad)), ILLEGAL, SSLReason.BAD_EXTENSION)
    with pytest.raises(ValueError):
        ClientHello(
            random=bytes(32),
            cipher_suites=(0x1301,),
            extensions=tuple(Extension(type=t, data=d) for t, d in bad),
        ).encode()
    # Only the ClientHello has that rule.
    w = Writer()
    messages.encode_extensions(w, [Extension(type=41, data=b"\x00\x00"), Extension(type=0)])
    assert len(EncryptedExtensions.decode(w.getvalue()).extensions) == 2


def test_binders_truncation_for_psk_binder() -> None:
    binders = [bytes(range(32)), bytes(range(48))]
    payload = ext.encode_pre_shared_key_ch([(b"id1", 1), (b"id-2", 2)], binders)
    offered = ext.decode_pre_shared_key_ch(payload)
    assert offered.identities == ((b"id1", 1), (b"id-2", 2))
    assert offered.binders == tuple(binders)
    n = offered.binders_length()
    assert n == ext.binders_length(binders) == 2 + 33 + 49
    msg = encode_handshake(
        ClientHello(
            random=bytes(32),
            cipher_suites=(0x1301,),
            extensions=(Extension(type=45, data=b"\x01\x01"), Extension(type=41, data=payload)),
        )
    )
    truncated = msg[:-n]
    # The cut falls right after the identities: the binders block starts there.
    assert msg[len(truncated) :] == payload[-n:]
    assert truncated.endswith(payload[: len(payload) - n])


def test_empty_lists_rejected() -> None:
    be = SSLReason.BAD_EXTENSION
    raises(lambda: ext.decode_supported_groups(b"\x00\x00"), DECODE, be)
    raises(lambda: ext.decode_supported_groups(b"\x00\x03\x00\x1d\x00"), DECODE, be)
    raises(lambda: ext.decode_signature_algorithms(b"\x00\x00"), DECODE, be)
    raises(lambda: ext.decode_signature_algorithms_cert(b"\x00\x00"), DECODE, be)
    raises(lambda: ext.decode_alpn(b"\x00\x00"), DECODE, be)
    raises(lambda: ext.decode_alpn(b"\x00\x02\x00\x00"), DECODE, be)  # empty protocol name
    raises(lambda: ext.decode_alpn_selected(b"\x00\x01\x00"), DECODE, be)
    raises(lambda: ext.decode_alpn_selected(b"\x00\x06\x02h2\x02h3"), DECODE, be)
    raises(lambda: ext.decode_psk_key_exchange_modes(b"\x00"), DECODE, be)
    raises(lambda: ext.decode_ec_point_formats(b"\x00"), DECODE, be)
    raises(lambda: ext.decode_server_name_ch(b""), DECODE, be)
    raises(lambda: ext.decode_server_name_ch(b"\x00\x00"), DECODE, be)
    # An empty host_name is not an error (OpenSSL takes it: SSL_get_servername is "").
    assert ext.decode_server_name_ch(b"\x00\x03\x00\x00\x00") == ""
    raises(lambda: ext.decode_certificate_authorities(b"\x00\x00"), DECODE, be)
    raises(
        lambda: ext.decode_certificate_authorities(b"\x00\x02\x00\x00"),
        DECODE,
        SSLReason.CA_DN_LENGTH_MISMATCH,
    )
    raises(lambda: ext.decode_cookie(b"\x00\x00"), DECODE, SSLReason.LENGTH_MISMATCH)
    raises(
        lambda: ext.decode_key_share_ch(b"\x00\x04\x00\x1d\x00\x00"),
        DECODE,
        SSLReason.LENGTH_MISMATCH,
    )
    raises(lambda: ext.decode_key_share_sh(b"\x00\x1d\x00\x00"), DECODE, SSLReason.LENGTH_MISMATCH)
    raises(
        lambda: ext.decode_supported_versions_ch(b"\x00"),
        AlertDescription.protocol_version,
        SSLReason.UNSUPPORTED_PROTOCOL,
    )
    raises(
        lambda: ext.decode_supported_versions_ch(b"\x03\x03\x04\x03"),
        AlertDescription.protocol_version,
        SSLReason.LENGTH_MISMATCH,
    )
    raises(lambda: ext.decode_pre_shared_key_ch(b"\x00\x00\x00\x00"), DECODE, be)
    # an empty key_share list is legal: the client asks for a HelloRetryRequest
    assert ext.decode_key_share_ch(b"\x00\x00") == ()


def test_extension_specific_alerts() -> None:
    be = SSLReason.BAD_EXTENSION
    unrec = AlertDescription.unrecognized_name
    raises(lambda: ext.decode_server_name_ch(sni(b"a\x00b")), unrec, be)
    raises(lambda: ext.decode_server_name_ch(sni(b"a" * 256)), unrec, be)
    assert ext.decode_server_name_ch(sni(b"a" * 255)) == "a" * 255
    # Not UTF-8: taken as OpenSSL takes it, the bytes kept through "surrogateescape".
    assert ext.decode_server_name_ch(sni(b"\xff\xfe")) == "\udcff\udcfe"
    raises(lambda: ext.decode_server_name_ch(b"\x00\x04\x01\x00\x01a"), DECODE, be)  # type 1
    two = b"\x00\x08" + b"\x00\x00\x01a" + b"\x00\x00\x01b"
    raises(lambda: ext.decode_server_name_ch(two), DECODE, be)  # only one name
    raises(lambda: ext.decode_server_name_ack(b"\x00"), DECODE, be)
    dup = ext.encode_key_share_ch([(29, b"k1")])[2:] * 2
    raises(
        lambda: ext.decode_key_share_ch(len(dup).to_bytes(2, "big") + dup),
        ILLEGAL,
        SSLReason.BAD_KEY_SHARE,
    )
    raises(lambda: ext.decode_key_share_hrr(b"\x00\x1d\x00"), DECODE, SSLReason.LENGTH_MISMATCH)
    raises(lambda: ext.decode_record_size_limit(b"\x00\x3f"), ILLEGAL, be)
    raises(lambda: ext.decode_record_size_limit(b"\x00\x40\x00"), DECODE, be)
    raises(lambda: ext.decode_early_data(b"\x00"), DECODE, be)
    raises(
        lambda: ext.decode_early_data_nst(b"\x00\x00\x00"), DECODE, SSLReason.INVALID_MAX_EARLY_DATA
    )
    raises(lambda: ext.decode_extended_master_secret(b"\x00"), DECODE, be)
    raises(
        lambda: ext.decode_post_handshake_auth(b"\x00"),
        DECODE,
        SSLReason.POST_HANDSHAKE_AUTH_ENCODING_ERR,
    )
    raises(
        lambda: ext.decode_renegotiation_info(b"\x02\x00"),
        DECODE,
        SSLReason.RENEGOTIATION_ENCODING_ERR,
    )
    raises(lambda: ext.decode_supported_versions_sh(b"\x03"), DECODE, SSLReason.LENGTH_MISMATCH)
    raises(lambda: ext.decode_pre_shared_key_sh(b"\x00\x00\x00"), DECODE, SSLReason.LENGTH_MISMATCH)
    two_ids_one_binder = ext.encode_pre_shared_key_ch([(b"a", 1)], [bytes(32)])
    ids = b"\x00\x0e" + b"\x00\x01a\x00\x00\x00\x01" + b"\x00\x01b\x00\x00\x00\x02"
    raises(lambda: ext.decode_pre_shared_key_ch(ids + two_ids_one_binder[11:]), DECODE, be)
    raises(
        lambda: ext.decode_pre_shared_key_ch(
            ext.encode_pre_shared_key_ch([(b"a", 1)], [bytes(31)])
        ),
        DECODE,
        be,
    )
    raises(
        lambda: ext.decode_certificate_status(b"\x02\x00\x00\x01a"),
        DECODE,
        SSLReason.UNSUPPORTED_STATUS_TYPE,
    )
    raises(
        lambda: ext.decode_certificate_status(b"\x01\x00\x00\x02a"),
        DECODE,
        SSLReason.LENGTH_MISMATCH,
    )
    raises(lambda: ext.decode_status_request(b"\x01\x00\x02\x00\x00\x00\x00"), DECODE, be)


def sni(name: bytes) -> bytes:
    w = Writer()
    with w.prefixed(2):
        w.uint8(0)
        w.vec16(name)
    return w.getvalue()


def test_message_specific_alerts() -> None:
    raises(lambda: KeyUpdate.decode(b"\x02"), ILLEGAL, SSLReason.BAD_KEY_UPDATE)
    raises(lambda: KeyUpdate.decode(b"\x00\x00"), DECODE, SSLReason.BAD_KEY_UPDATE)
    assert KeyUpdate.decode(b"\x00").request_update == 0
    for empty in (EndOfEarlyData, ServerHelloDone, HelloRequest):
        assert empty.decode(b"") == empty()
        assert empty().encode() == b""
        raises(lambda cls=empty: cls.decode(b"\x00"), DECODE, SSLReason.LENGTH_MISMATCH)
    unexpected = AlertDescription.unexpected_message
    raises(lambda: Alert.decode(b"\x02"), unexpected, SSLReason.INVALID_ALERT)
    raises(lambda: Alert.decode(b"\x02\x28\x00"), unexpected, SSLReason.INVALID_ALERT)
    assert Alert.decode(b"\x01\x00") == Alert(level=1, description=0)
    assert Alert(level=2, description=AlertDescription.decode_error).encode() == b"\x02\x32"
    ske = ServerKeyExchangeECDHE(
        named_group=23, public=b"\x04" * 65, algorithm=0x0403, signature=b"s"
    )
    bad_curve = bytearray(ske.encode())
    bad_curve[0] = 1  # explicit_prime
    raises(lambda: ServerKeyExchangeECDHE.decode(bytes(bad_curve)), ILLEGAL, SSLReason.WRONG_CURVE)
    raises(lambda: ServerKeyExchangeECDHE.decode(b"\x03\x00"), DECODE, SSLReason.LENGTH_TOO_SHORT)
    raises(
        lambda: ServerKeyExchangeECDHE.decode(b"\x03\x00\x17\x00\x04\x03\x00\x00"),
        ILLEGAL,
        SSLReason.BAD_ECPOINT,
    )
    raises(
        lambda: ServerKeyExchangeECDHE.decode(b"\x03\x00\x17\x01\x04\x04"),
        DECODE,
        SSLReason.LENGTH_TOO_SHORT,
    )
    raises(
        lambda: ClientKeyExchangeECDHE.decode(b""),
        AlertDescription.handshake_failure,
        SSLReason.MISSING_TMP_ECDH_KEY,
    )
    raises(lambda: ClientKeyExchangeECDHE.decode(b"\x00"), ILLEGAL, SSLReason.BAD_ECPOINT)
    raises(lambda: ClientKeyExchangeECDHE.decode(b"\x02\x04"), DECODE, SSLReason.LENGTH_MISMATCH)
    # ServerHello: an over-long session id is illegal_parameter, not a length error
    sh = bytearray(body(SH))
    sh[34] = 33
    raises(
        lambda: ServerHello.decode(bytes(sh[:35]) + bytes(33) + bytes(sh[35:])),
        ILLEGAL,
        SSLReason.SSL3_SESSION_ID_TOO_LONG,
    )
    # Certificates: empty cert_data and a cert length running past the list
    raises(
        lambda: Certificate12.decode(b"\x00\x00\x03\x00\x00\x00"),
        DECODE,
        SSLReason.CERT_LENGTH_MISMATCH,
    )
    raises(
        lambda: Certificate12.decode(b"\x00\x00\x04\x00\x00\x05a"),
        DECODE,
        SSLReason.CERT_LENGTH_MISMATCH,
    )
    raises(
        lambda: Certificate13.decode(b"\x00\x00\x00\x05\x00\x00\x00\x00\x00"),
        DECODE,
        SSLReason.CERT_LENGTH_MISMATCH,
    )
    raises(
        lambda: Certificate13.decode(b"\x00\x00\x00\x05\x00\x00\x01a\x00"),
        DECODE,
        SSLReason.BAD_LENGTH,
    )
    raises(lambda: CertificateRequest13.decode(b"\x00\x00"), DECODE, SSLReason.BAD_LENGTH)
    raises(
        lambda: CertificateRequest12.decode(b"\x01\x40\x00\x00\x00\x00"),
        AlertDescription.internal_error,
        SSLReason.SIGNATURE_ALGORITHMS_ERROR,
    )
    raises(
        lambda: CertificateRequest12.decode(b"\x01\x40\x00\x02\x04\x03\x00\x03\x00\x05a"),
        DECODE,
        SSLReason.LENGTH_MISMATCH,
    )
    assert CertificateRequest12.decode(b"\x01\x40\x00\x02\x04\x03\x00\x00") == CertificateRequest12(
        certificate_types=b"\x40", supported_signature_algorithms=(0x0403,)
    )
    # NewSessionTicket13: an empty ticket is a length error
    raises(
        lambda: NewSessionTicket13.decode(bytes(9) + b"\x00\x00\x00\x00"),
        DECODE,
        SSLReason.LENGTH_MISMATCH,
    )
    assert NewSessionTicket12.decode(bytes(6)).ticket == b""  # "no ticket after all"


def test_hello_retry_request() -> None:
    hrr = ServerHello(
        random=HRR_RANDOM,
        legacy_session_id_echo=b"\x01" * 32,
        cipher_suite=0x1301,
        extensions=(
            Extension(type=43, data=ext.encode_supported_versions_sh(0x0304)),
            Extension(type=51, data=ext.encode_key_share_hrr(23)),
            Extension(type=44, data=ext.encode_cookie(b"cookie!")),
        ),
    )
    b = hrr.encode()
    decoded = ServerHello.decode(b)
    assert decoded == hrr and decoded.is_hello_retry_request
    assert ext.decode_key_share_hrr(need(decoded, 51)) == 23
    assert ext.decode_cookie(need(decoded, 44)) == b"cookie!"
    # An HRR must carry its extension block, even an empty one.
    bare = ServerHello(random=HRR_RANDOM, cipher_suite=0x1301)
    assert bare.encode().endswith(b"\x00\x00")
    raises(lambda: ServerHello.decode(bare.encode()[:-2]), DECODE, SSLReason.BAD_LENGTH)
    # A TLS 1.2 ServerHello may omit it, and we omit an empty one like OpenSSL does.
    sh12 = ServerHello(random=bytes(24) + DOWNGRADE_TLS11, cipher_suite=0xC02F)
    assert len(sh12.encode()) == 2 + 32 + 1 + 2 + 1
    assert ServerHello.decode(sh12.encode()).downgrade_sentinel == DOWNGRADE_TLS11


def test_decode_handshake_dispatch() -> None:
    unexpected = AlertDescription.unexpected_message
    for t in (3, 6, 9, 99, 254, 255):
        for tls13 in (True, False):
            raises(
                lambda t=t, v=tls13: decode_handshake(t, b"", tls13=v),
                unexpected,
                SSLReason.UNEXPECTED_MESSAGE,
            )
    # messages that exist in only one of the two versions
    for t in (0, 12, 14, 16):
        raises(
            lambda t=t: decode_handshake(t, b"", tls13=True),
            unexpected,
            SSLReason.UNEXPECTED_MESSAGE,
        )
    for t in (5, 8, 24):
        raises(
            lambda t=t: decode_handshake(t, b"\x00", tls13=False),
            unexpected,
            SSLReason.UNEXPECTED_MESSAGE,
        )
    assert isinstance(decode_handshake(24, b"\x01", tls13=True), KeyUpdate)
    assert isinstance(decode_handshake(13, b"\x00\x00\x00", tls13=True), CertificateRequest13)
    assert isinstance(decode_handshake(4, bytes(6), tls13=False), NewSessionTicket12)


def test_round_trips() -> None:
    msgs: list[HandshakeMessage] = [
        ClientHello(
            random=bytes(range(32)),
            legacy_session_id=b"s" * 32,
            cipher_suites=(0x1301, 0xC02F, 0x00FF),
            extensions=(Extension(type=0, data=ext.encode_server_name("example.org")),),
        ),
        ServerHello(random=bytes(32), cipher_suite=0x1302, extensions=(Extension(type=23),)),
        EncryptedExtensions(),
        Certificate13(
            certificate_request_context=b"\x07",
            certificate_list=(
                CertificateEntry(cert_data=b"leaf", extensions=(Extension(type=5, data=b"x"),)),
                CertificateEntry(cert_data=b"ca"),
            ),
        ),
        Certificate13(),
        Certificate12(),
        CertificateRequest13(extensions=(Extension(type=13, data=b"\x00\x02\x08\x04"),)),
        CertificateVerify(algorithm=0x0807, signature=bytes(64)),
        Finished(verify_data=bytes(48)),
        NewSessionTicket13(ticket_lifetime=1, ticket_age_add=2, ticket_nonce=b"", ticket=b"t"),
        NewSessionTicket12(ticket_lifetime_hint=0, ticket=b""),
        KeyUpdate(request_update=1),
        EndOfEarlyData(),
        ServerHelloDone(),
        HelloRequest(),
        ServerKeyExchangeECDHE(
            named_group=24, public=b"\x04" * 97, algorithm=0x0503, signature=b"\x30" * 70
        ),
        ClientKeyExchangeECDHE(public=bytes(32)),
    ]
    for msg in msgs:
        raw = encode_handshake(msg)
        assert raw[0] == msg.msg_type
        assert int.from_bytes(raw[1:4], "big") == len(raw) - 4
        assert type(msg).decode(raw[4:]) == msg
        assert type(msg).decode(memoryview(raw)[4:]) == msg


def test_extension_round_trips() -> None:
    pairs: list[tuple[Callable[[bytes], object], bytes, object]] = [
        (
            ext.decode_server_name_ch,
            ext.encode_server_name("bücher.example"),
            "xn--bcher-kva.example",
        ),
        (ext.decode_supported_groups, ext.encode_supported_groups([29, 23]), (29, 23)),
        (
            ext.decode_signature_algorithms_cert,
            ext.encode_signature_algorithms_cert([0x0807]),
            (0x0807,),
        ),
        (
            ext.decode_supported_versions_ch,
            ext.encode_supported_versions_ch([0x0304, 0x0303]),
            (0x0304, 0x0303),
        ),
        (ext.decode_supported_versions_sh, ext.encode_supported_versions_sh(0x0304), 0x0304),
        (
            ext.decode_key_share_ch,
            ext.encode_key_share_ch([(29, b"a"), (23, b"b")]),
            ((29, b"a"), (23, b"b")),
        ),
        (ext.decode_key_share_sh, ext.encode_key_share_sh(29, b"k"), (29, b"k")),
        (ext.decode_key_share_hrr, ext.encode_key_share_hrr(24), 24),
        (ext.decode_alpn, ext.encode_alpn([b"h2"]), (b"h2",)),
        (ext.decode_alpn_selected, ext.encode_alpn_selected(b"h2"), b"h2"),
        (ext.decode_psk_key_exchange_modes, ext.encode_psk_key_exchange_modes([0, 1]), (0, 1)),
        (ext.decode_pre_shared_key_sh, ext.encode_pre_shared_key_sh(3), 3),
        (ext.decode_early_data, ext.encode_early_data(), None),
        (ext.decode_early_data_nst, ext.encode_early_data_nst(16384), 16384),
        (ext.decode_cookie, ext.encode_cookie(b"c"), b"c"),
        (ext.decode_ec_point_formats, ext.encode_ec_point_formats(), b"\x00"),
        (ext.decode_renegotiation_info, ext.encode_renegotiation_info(b"v" * 24), b"v" * 24),
        (ext.decode_extended_master_secret, ext.encode_extended_master_secret(), None),
        (ext.decode_session_ticket, ext.encode_session_ticket(b"tkt"), b"tkt"),
        (
            ext.decode_certificate_authorities,
            ext.encode_certificate_authorities([b"n1", b"n2"]),
            (b"n1", b"n2"),
        ),
        (ext.decode_post_handshake_auth, ext.encode_post_handshake_auth(), None),
        (ext.decode_record_size_limit, ext.encode_record_size_limit(16385), 16385),
        (ext.decode_padding, ext.encode_padding(17), 17),
        (ext.decode_status_request, ext.encode_status_request(), ext.StatusRequest()),
        (
            ext.decode_status_request,
            ext.encode_status_request([b"rid"], b"\x30\x00"),
            ext.StatusRequest(responder_id_list=(b"rid",), request_extensions=b"\x30\x00"),
        ),
        (ext.decode_status_request_ack, ext.encode_status_request_ack(), None),
        (ext.decode_certificate_status, ext.encode_certificate_status(b"ocsp"), b"ocsp"),
        (ext.decode_server_name_ack, ext.encode_server_name_ack(), None),
    ]
    for decode, data, expected in pairs:
        assert decode(data) == expected, decode
    # unknown status types are kept, not parsed (OpenSSL ignores them)
    assert ext.decode_status_request(b"\x02junk").status_type == 2
    for bad in ("", "a\x00b", "x" * 256):
        with pytest.raises(ValueError):
            ext.encode_server_name(bad)


def test_find_extension() -> None:
    exts = (Extension(type=1, data=b"a"), Extension(type=2, data=b""))
    assert find_extension(exts, 1) == b"a"
    assert find_extension(exts, 2) == b""
    assert find_extension(exts, 3) is None
    assert find_extension((), 0) is None


# === codec primitives ======================================================================


def test_reader_primitives() -> None:
    r = Reader(b"\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a")
    assert r.uint8() == 1
    assert r.uint16() == 0x0203
    assert r.uint24() == 0x040506
    assert r.uint32() == 0x0708090A
    assert r.at_end() and r.remaining() == 0
    r.expect_end()
    r = Reader(memoryview(b"\x02ab\x00\x01c\x00\x00\x01dZ"))
    assert r.vec8() == b"ab"
    assert r.vec16() == b"c"
    assert r.vec24() == b"d"
    assert r.tell() == 10
    with pytest.raises(DecodeError) as info:
        r.expect_end()
    assert info.value.alert == DECODE and info.value.reason == SSLReason.LENGTH_MISMATCH
    assert r.raw(1) == b"Z"
    assert r.rest() == b""


def test_reader_truncation_and_limits() -> None:
    for op in ("uint8", "uint16", "uint24", "uint32", "vec8", "vec16", "vec24"):
        with pytest.raises(DecodeError):
            getattr(Reader(b""), op)()
    with pytest.raises(DecodeError):
        Reader(b"\x03ab").vec8()
    with pytest.raises(DecodeError):
        Reader(b"\x00\x02a").sub16()
    with pytest.raises(DecodeError):
        Reader(b"ab").raw(3)
    with pytest.raises(ValueError):
        Reader(b"ab").raw(-1)
    with pytest.raises(DecodeError):
        Reader(b"\x01a").vec8(min_len=2)
    with pytest.raises(DecodeError):
        Reader(b"\x02ab").vec8(max_len=1)
    r = Reader(b"\x00", reason=SSLReason.BAD_EXTENSION, alert=ILLEGAL)
    with pytest.raises(DecodeError) as info:
        r.uint16()
    assert info.value.alert == ILLEGAL and info.value.reason == SSLReason.BAD_EXTENSION
    # a failed read consumes nothing
    r = Reader(b"\x05abc")
    with pytest.raises(DecodeError):
        r.vec8()
    assert r.remaining() == 4


def test_sub_readers_share_the_buffer_and_inherit_reason() -> None:
    r = Reader(b"\x00\x04\x01\x02\x03\x04\xff", reason=SSLReason.BAD_EXTENSION)
    sub = r.sub16()
    assert r.remaining() == 1 and sub.remaining() == 4
    assert sub.uint16() == 0x0102
    assert sub.reason == SSLReason.BAD_EXTENSION
    with pytest.raises(DecodeError) as info:
        sub.sub8()  # length byte 3, but only 1 byte left
    assert info.value.reason == SSLReason.BAD_EXTENSION
    assert sub.remaining() == 2


def test_writer() -> None:
    w = Writer()
    w.uint8(1)
    w.uint16(0x0203)
    w.uint24(0x040506)
    w.uint32(0x0708090A)
    w.raw(b"Z")
    w.vec8(b"a")
    w.vec16(b"b")
    w.vec24(b"c")
    w.uint16s([1, 2])
    with w.prefixed(2):
        w.uint8(9)
        with w.prefixed(1):
            w.raw(b"xyz")
        with w.prefixed(3):
            pass
    assert w.getvalue().hex() == (
        "0102030405060708090a5a016100016200000163000100020008090378797a000000"
    )
    assert len(w) == len(w.getvalue())
    for fn, v in (
        ("uint8", 256),
        ("uint16", 1 << 16),
        ("uint24", 1 << 24),
        ("uint32", 1 << 32),
        ("uint8", -1),
    ):
        with pytest.raises(ValueError):
            getattr(Writer(), fn)(v)
    with pytest.raises(ValueError):
        Writer().vec8(bytes(256))
    with pytest.raises(ValueError):
        Writer().uint16s([1 << 16])
    w = Writer()
    with pytest.raises(ValueError), w.prefixed(1):
        w.raw(bytes(256))
    with pytest.raises(ValueError), Writer().prefixed(4):
        pass
    assert codec.unpack_uint16s(codec.pack_uint16s([0, 0xFFFF])) == (0, 0xFFFF)


def test_engine_modules_import_no_io() -> None:
    forbidden = ("biokit.bio", "socket", "trio", "ssl", "select", "asyncio")
    for mod in (codec, messages, ext):
        tree = ast.parse(inspect.getsource(mod))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            for name in names:
                assert not any(name == f or name.startswith(f + ".") for f in forbidden), (
                    mod.__name__,
                    name,
                )


# === the deframer ==========================================================================

EXPECTED_FLIGHT = [(m[0], m[4:], m) for m in (SH, EE, CERT, CV, SFIN)]


def drain(d: HandshakeDeframer) -> list[tuple[int, bytes, bytes]]:
    out = []
    while (m := d.next_message()) is not None:
        out.append(m)
    return out


def test_deframer_every_single_split() -> None:
    for i in range(len(FLIGHT) + 1):
        d = HandshakeDeframer()
        d.feed(FLIGHT[:i])
        first = drain(d)
        # buffered() is exactly what has been fed but not returned
        assert d.buffered() == i - sum(len(raw) for _, _, raw in first)
        d.feed(FLIGHT[i:])
        assert first + drain(d) == EXPECTED_FLIGHT
        assert d.buffered() == 0


def test_deframer_every_chunk_size() -> None:
    for size in range(1, len(FLIGHT) + 1):
        chunks = [FLIGHT[i : i + size] for i in range(0, len(FLIGHT), size)]
        d = HandshakeDeframer()
        got = []
        for c in chunks:
            d.feed(memoryview(c))
            got += drain(d)
        assert got == EXPECTED_FLIGHT, size
        assert d.buffered() == 0


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, len(FLIGHT)), max_size=12))
def test_deframer_random_splits(cuts: list[int]) -> None:
    points = [*sorted(set(cuts)), len(FLIGHT)]
    d = HandshakeDeframer()
    got = []
    prev = 0
    for p in points:
        d.feed(FLIGHT[prev:p])
        got += drain(d)
        prev = p
    assert got == EXPECTED_FLIGHT
    assert d.buffered() == 0


def test_deframer_size_limits_and_header_hook() -> None:
    d = HandshakeDeframer()
    # A ClientHello header announcing more than OpenSSL's limit fails before any body arrives.
    d.feed(b"\x01" + (131397).to_bytes(3, "big"))
    raises(d.next_message, ILLEGAL, SSLReason.EXCESSIVE_MESSAGE_SIZE)
    d = HandshakeDeframer()
    d.feed(b"\x01" + (131396).to_bytes(3, "big"))
    assert d.next_message() is None and d.buffered() == 4
    d = HandshakeDeframer()
    d.feed(b"\x18\x00\x00\x02\x00\x00")  # KeyUpdate longer than 1 byte
    raises(d.next_message, ILLEGAL, SSLReason.EXCESSIVE_MESSAGE_SIZE)
    d = HandshakeDeframer()
    d.feed(b"\x14\x00\x00\x41")  # Finished longer than 64
    raises(d.next_message, ILLEGAL, SSLReason.EXCESSIVE_MESSAGE_SIZE)
    d = HandshakeDeframer()
    d.feed(b"\x63\x00\x40\x01")  # unknown type: SSL3_RT_MAX_PLAIN_LENGTH
    raises(d.next_message, ILLEGAL, SSLReason.EXCESSIVE_MESSAGE_SIZE)
    d = HandshakeDeframer(max_size=3)  # one limit for every type (OpenSSL's per-state limit)
    d.feed(b"\x01\x00\x00\x04")
    raises(d.next_message, ILLEGAL, SSLReason.EXCESSIVE_MESSAGE_SIZE)
    d.max_size = 4
    d.feed(b"abcd")
    assert d.next_message() == (1, b"abcd", b"\x01\x00\x00\x04abcd")
    d = HandshakeDeframer(max_sizes={11: 10})
    d.max_sizes[11] = 2
    d.feed(b"\x0b\x00\x00\x03")
    raises(d.next_message, ILLEGAL, SSLReason.EXCESSIVE_MESSAGE_SIZE)

    seen: list[tuple[int, int]] = []

    def hook(t: int, n: int) -> None:
        seen.append((t, n))
        if t == 99:
            raise TLSError(AlertDescription.unexpected_message, SSLReason.UNEXPECTED_MESSAGE)

    d = HandshakeDeframer(on_header=hook)
    for byte in FLIGHT:  # one byte at a time: the hook still runs once per message
        d.feed(bytes([byte]))
        drain(d)
    assert seen == [(2, 86), (8, 36), (11, 441), (15, 132), (20, 32)]
    d.feed(b"\x63\xff\xff\xff")  # the transition check runs before the size check
    raises(d.next_message, AlertDescription.unexpected_message, SSLReason.UNEXPECTED_MESSAGE)
    d.clear()
    assert d.buffered() == 0 and d.next_message() is None


def test_deframer_is_fast() -> None:
    # Many small messages in one record...
    ku = b"\x18\x00\x00\x01\x00"
    d = HandshakeDeframer()
    d.feed(ku * 100_000)
    t0 = time.perf_counter()
    n = 0
    while d.next_message() is not None:
        n += 1
    small = time.perf_counter() - t0
    assert n == 100_000 and d.buffered() == 0
    # ...and one large message split over many records.
    big = b"\x0b" + (100_000).to_bytes(3, "big") + bytes(100_000)
    d = HandshakeDeframer()
    t0 = time.perf_counter()
    for i in range(0, len(big), 16):
        d.feed(big[i : i + 16])
        m = d.next_message()
    split = time.perf_counter() - t0
    assert m is not None and m[2] == big
    # Both are linear: generous bounds that a quadratic implementation would blow.
    assert small < 2.0 and split < 2.0, (small, split)


# === fuzzing: only TLSError may escape =====================================================

MESSAGE_DECODERS: list[Callable[[bytes], object]] = [
    ClientHello.decode,
    ServerHello.decode,
    EncryptedExtensions.decode,
    Certificate13.decode,
    Certificate12.decode,
    CertificateRequest13.decode,
    CertificateRequest12.decode,
    CertificateVerify.decode,
    Finished.decode,
    NewSessionTicket13.decode,
    NewSessionTicket12.decode,
    KeyUpdate.decode,
    EndOfEarlyData.decode,
    ServerHelloDone.decode,
    HelloRequest.decode,
    ServerKeyExchangeECDHE.decode,
    ClientKeyExchangeECDHE.decode,
    Alert.decode,
]
EXTENSION_DECODERS: list[Callable[[bytes], object]] = [
    getattr(ext, name) for name in ext.__all__ if name.startswith("decode_")
]
ALL_DECODERS = (
    MESSAGE_DECODERS
    + EXTENSION_DECODERS
    + [
        lambda b: ext.read_distinguished_names(Reader(b), allow_empty=True),
        lambda b: messages.decode_extensions(Reader(b), client_hello=True),
    ]
)


def only_tls_errors(data: bytes) -> None:
    for decode in ALL_DECODERS:
        try:
            decode(data)
        except TLSError as exc:
            assert exc.alert is not None and isinstance(exc.reason, int)
    for t in range(0, 26):
        for tls13 in (True, False):
            try:
                decode_handshake(t, data, tls13=tls13)
            except TLSError:
                pass
    d = HandshakeDeframer()
    d.feed(data)
    try:
        drain(d)
    except TLSError:
        pass


def test_every_decoder_is_fuzzed() -> None:
    names = {n for n in ext.__all__ if n.startswith("decode_")}
    assert len(EXTENSION_DECODERS) == len(names) >= 30


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_fuzz_random_bytes(data: bytes) -> None:
    only_tls_errors(data)


SEEDS = (
    [body(m) for m in GOLDEN]
    + [v for _, v, _ in VALID_BODIES]
    + [
        ch_body(exts=[(43, ext.encode_supported_versions_ch([0x0304])), (41, psk_payload())]),
        ext.encode_key_share_ch([(29, bytes(32)), (23, bytes(65))]),
        ext.encode_alpn([b"h2", b"http/1.1"]),
        ext.encode_status_request([b"r"], b"e"),
    ]
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(SEEDS),
    st.lists(
        st.tuples(
            st.sampled_from(["flip", "del", "ins"]),
            st.integers(0, 1 << 16),
            st.binary(min_size=1, max_size=4),
        ),
        min_size=1,
        max_size=4,
    ),
)
def test_fuzz_mutated_valid_messages(seed: bytes, edits: list[tuple[str, int, bytes]]) -> None:
    data = bytearray(seed)
    for op, pos, blob in edits:
        pos %= len(data) + 1
        if op == "flip" and pos < len(data):
            data[pos] ^= blob[0] or 1
        elif op == "del":
            del data[pos : pos + len(blob)]
        else:
            data[pos:pos] = blob
    only_tls_errors(bytes(data))
