"""Malformed, truncated, oversized, out-of-order input: the right alert, the right reason.

Nothing here may end in a Python exception: every failure is -1, an
error-queue entry with OpenSSL's reason text, and (where OpenSSL sends one)
exactly one fatal alert on the wire.
"""

from __future__ import annotations

import struct

import pytest

from biokit.bio import MemBIO
from biokit.errors import clear_error, errors_as_list, get_error_entry
from biokit.ssl import SSL, ErrorCode, Op, SSLContext, TLS_client_method, TLS_server_method
from biokit.testing import pki, tls_pair


def _server() -> tuple[SSL, MemBIO, MemBIO]:
    p = pki("ec256")
    ctx = SSLContext(TLS_server_method())
    ctx.use_certificate(p.server[0])
    ctx.use_PrivateKey(p.server[1])
    s = SSL(ctx)
    rb, wb = MemBIO(), MemBIO()
    s.set_bio(rb, wb)
    return s, rb, wb


def _client() -> tuple[SSL, MemBIO, MemBIO]:
    ctx = SSLContext(TLS_client_method())
    c = SSL(ctx)
    rb, wb = MemBIO(), MemBIO()
    c.set_bio(rb, wb)
    return c, rb, wb


def _records(data: bytes) -> list[tuple[int, bytes]]:
    out = []
    while len(data) >= 5:
        ctype, _ver, length = struct.unpack("!BHH", data[:5])
        out.append((ctype, data[5 : 5 + length]))
        data = data[5 + length :]
    return out


def _alerts(data: bytes) -> list[tuple[int, int]]:
    return [(r[0], r[1]) for t, r in _records(data) if t == 21 and len(r) == 2]


def _reasons() -> list[str]:
    return [e.reason_string for e in errors_as_list()]


def _real_client_hello() -> bytes:
    c, _rb, wb = _client()
    c.set_tlsext_host_name("localhost")
    assert c.connect() == -1
    return wb.getvalue()


def _run_server_on(data: bytes, *, eof: bool = False) -> tuple[SSL, int, bytes]:
    s, rb, wb = _server()
    rb.write(data)
    if eof:
        rb.set_eof_return(0)
    clear_error()
    r = s.accept()
    return s, r, wb.getvalue()


def test_garbage_first_record_is_wrong_version_number_without_alert() -> None:
    s, r, out = _run_server_on(b"\x00\x01\x02\x03\x04\x05\x06garbage")
    assert r == -1
    assert s.get_error(r) == ErrorCode.SSL
    assert _reasons() == ["wrong version number"]
    assert errors_as_list()[0].code == 0x0A00010B
    assert out == b""  # not TLS at all: OpenSSL sends no alert


def test_http_request_is_recognised() -> None:
    _s, r, out = _run_server_on(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert r == -1 and _reasons() == ["http request"] and out == b""


def test_wrong_record_major_version() -> None:
    ch = _real_client_hello()
    bad = bytes([ch[0], 4, 1]) + ch[3:]
    _s, r, _out = _run_server_on(bad)
    assert r == -1 and _reasons() == ["wrong version number"]


def test_oversized_record_is_record_overflow() -> None:
    ch = _real_client_hello()
    hs = ch[5:]
    big = bytes([22, 3, 1]) + struct.pack("!H", 16384 + 2049) + hs
    # First record with a valid header but a huge length.
    _s, r, out = _run_server_on(big)
    assert r == -1
    assert _reasons() == ["packet length too long"]
    assert _alerts(out) == [(2, 22)]  # fatal record_overflow


def test_truncated_client_hello_then_eof_is_unexpected_eof() -> None:
    ch = _real_client_hello()
    s, r, _out = _run_server_on(ch[: len(ch) // 2], eof=True)
    assert r == -1
    assert s.get_error(r) == ErrorCode.SSL
    assert _reasons() == ["unexpected eof while reading"]


def test_truncated_client_hello_without_eof_just_waits() -> None:
    ch = _real_client_hello()
    s, r, _out = _run_server_on(ch[:100])
    assert r == -1 and s.get_error(r) == ErrorCode.WANT_READ and errors_as_list() == []


def test_ignore_unexpected_eof_option() -> None:
    ch = _real_client_hello()
    s, rb, _wb = _server()
    s.set_options(Op.IGNORE_UNEXPECTED_EOF)
    rb.write(ch[:50])
    rb.set_eof_return(0)
    clear_error()
    r = s.accept()
    assert r == -1
    assert errors_as_list() == []
    assert s.get_error(r) == ErrorCode.ZERO_RETURN


def test_inner_length_mismatch_is_decode_error() -> None:
    ch = bytearray(_real_client_hello())
    # Cipher-suite vector length (after header, version, random, session id) made odd.
    sid_len = ch[5 + 4 + 2 + 32]
    pos = 5 + 4 + 2 + 32 + 1 + sid_len
    ch[pos + 1] ^= 0x01
    _s, r, out = _run_server_on(bytes(ch))
    assert r == -1
    assert _alerts(out)[0][0] == 2
    assert _alerts(out)[0][1] in (50, 47)  # decode_error or illegal_parameter, as OpenSSL


def test_handshake_message_out_of_order_server() -> None:
    finished = bytes([20, 0, 0, 32]) + bytes(32)
    rec = bytes([22, 3, 1]) + struct.pack("!H", len(finished)) + finished
    _s, r, out = _run_server_on(rec)
    assert r == -1
    assert _reasons() == ["unexpected message"]
    assert _alerts(out) == [(2, 10)]


def test_application_data_before_handshake_server() -> None:
    rec = bytes([23, 3, 3, 0, 5]) + b"hello"
    _s, r, out = _run_server_on(rec)
    assert r == -1
    assert _alerts(out) == [(2, 10)]
    # Before the version is chosen OpenSSL 3.0 calls it an unexpected message.
    assert _reasons() == ["unexpected message"]


def test_client_rejects_out_of_order_message() -> None:
    c, rb, wb = _client()
    assert c.connect() == -1
    ee = bytes([8, 0, 0, 2, 0, 0])
    rb.write(bytes([22, 3, 3]) + struct.pack("!H", len(ee)) + ee)
    clear_error()
    r = c.connect()
    assert r == -1 and c.get_error(r) == ErrorCode.SSL
    assert _reasons() == ["unexpected message"]
    assert _alerts(wb.getvalue()[-7:]) == [(2, 10)]


def test_client_rejects_unoffered_cipher() -> None:
    c2, crb, cwb = _client()
    c2.get_SSL_CTX().set_ciphersuites("TLS_AES_128_GCM_SHA256")
    c2 = SSL(c2.get_SSL_CTX())
    c2.set_bio(crb, cwb)
    assert c2.connect() == -1
    s2, srb, swb = _server()
    srb.write(cwb.getvalue())
    assert s2.accept() == -1
    flight = bytearray(swb.getvalue())
    # The first record is the ServerHello: type 22, then the cipher suite after
    # header(4) + version(2) + random(32) + session id (1 + n).
    sid = flight[5 + 4 + 2 + 32]
    pos = 5 + 4 + 2 + 32 + 1 + sid
    assert flight[pos : pos + 2] == b"\x13\x01"
    flight[pos : pos + 2] = b"\x13\x02"
    crb.write(bytes(flight))
    clear_error()
    r = c2.connect()
    assert r == -1
    assert _reasons() == ["wrong cipher returned"]
    assert _alerts(cwb.getvalue()[-7:]) == [(2, 47)]


def test_tampered_encrypted_record_is_bad_record_mac() -> None:
    c, crb, cwb = _client()
    s, srb, swb = _server()
    assert c.connect() == -1
    srb.write(cwb.read(100000))
    assert s.accept() == -1
    flight = bytearray(swb.read(100000))
    recs = _records(bytes(flight))
    # Flip a byte inside the first encrypted record (after SH and CCS).
    offset = 0
    for _i, (t, body) in enumerate(recs):
        if t == 23:
            flight[offset + 5 + len(body) // 2] ^= 0xFF
            break
        offset += 5 + len(body)
    crb.write(bytes(flight))
    clear_error()
    r = c.connect()
    assert r == -1
    assert _reasons() == ["decryption failed or bad record mac"]
    out = cwb.read(1000)
    # The client has not switched its *write* side to handshake keys yet (it does
    # so with its second flight, like OpenSSL), so the alert goes out in clear.
    assert _alerts(out) == [(2, 20)]


def test_received_fatal_alert_is_reported_as_peer_alert() -> None:
    c, crb, cwb = _client()
    assert c.connect() == -1
    crb.write(bytes([21, 3, 3, 0, 2, 2, 40]))
    clear_error()
    r = c.connect()
    assert r == -1
    assert _reasons() == ["sslv3 alert handshake failure"]
    assert get_error_entry() is not None
    # No alert is sent in answer to a fatal alert.
    assert _alerts(cwb.read(10000)) == []


def test_no_shared_cipher() -> None:
    pair = tls_pair(connect=False)
    pair.client_ctx.set_ciphersuites("TLS_CHACHA20_POLY1305_SHA256")
    pair.server_ctx.set_ciphersuites("TLS_AES_128_GCM_SHA256")
    from biokit.testing import HandshakeFailed, pump

    client = SSL(pair.client_ctx)
    server = SSL(pair.server_ctx)
    client.set_bio(*pair.client_bios)
    server.set_bio(*pair.server_bios)
    clear_error()
    with pytest.raises(HandshakeFailed) as info:
        pump(client, server)
    assert "no shared cipher" in str(info.value)


def test_client_sees_server_alert_reason() -> None:
    pair = tls_pair(connect=False)
    pair.client_ctx.set_ciphersuites("TLS_CHACHA20_POLY1305_SHA256")
    pair.server_ctx.set_ciphersuites("TLS_AES_128_GCM_SHA256")
    client = SSL(pair.client_ctx)
    server = SSL(pair.server_ctx)
    client.set_bio(*pair.client_bios)
    server.set_bio(*pair.server_bios)
    assert client.connect() == -1
    assert server.accept() == -1
    clear_error()
    r = client.connect()
    assert r == -1
    assert _reasons() == ["sslv3 alert handshake failure"]


def test_calls_after_failure_return_minus_one_without_new_errors() -> None:
    s, _r, _out = _run_server_on(b"\x00" * 20)
    clear_error()
    assert s.accept() == -1
    assert s.read(10) == b""
    assert s.write(b"x") == -1
    assert s.state_string_long() == "error"


# ------------------------------------------------------------------ the client side


def _client_after_hello() -> tuple[SSL, MemBIO, MemBIO]:
    c, rb, wb = _client()
    assert c.connect() == -1
    return c, rb, wb


def test_client_garbage_instead_of_server_hello() -> None:
    c, rb, _wb = _client_after_hello()
    rb.write(b"\x00garbage from a confused peer")
    clear_error()
    assert c.connect() == -1
    assert _reasons() == ["wrong version number"]


def test_client_truncated_server_hello_then_eof() -> None:
    c, rb, wb = _client_after_hello()
    s, srb, swb = _server()
    srb.write(wb.getvalue())
    assert s.accept() == -1
    rb.write(swb.getvalue()[:60])  # part of the ServerHello record
    rb.set_eof_return(0)
    clear_error()
    assert c.connect() == -1
    assert _reasons() == ["unexpected eof while reading"]


def test_client_oversized_record() -> None:
    c, rb, wb = _client_after_hello()
    rb.write(bytes([22, 3, 3]) + struct.pack("!H", 16384 + 2049) + b"x" * 10)
    clear_error()
    assert c.connect() == -1
    assert _reasons() == ["packet length too long"]
    assert _alerts(wb.getvalue()[-7:]) == [(2, 22)]


def test_client_rejects_server_hello_with_bad_inner_lengths() -> None:
    c, rb, wb = _client_after_hello()
    s, srb, swb = _server()
    srb.write(wb.getvalue())
    assert s.accept() == -1
    flight = bytearray(swb.getvalue())
    # The ServerHello's extension block length (last 2 bytes before the extensions)
    # made one larger than what follows.
    sh_len = (flight[3] << 8) | flight[4]
    sh = flight[5 : 5 + sh_len]
    sid = sh[4 + 2 + 32]
    ext_len_pos = 5 + 4 + 2 + 32 + 1 + sid + 2 + 1
    flight[ext_len_pos + 1] += 1
    rb.write(bytes(flight))
    clear_error()
    assert c.connect() == -1
    assert _alerts(wb.getvalue()[-7:])[0][1] == 50  # decode_error
