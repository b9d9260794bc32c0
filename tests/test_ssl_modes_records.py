"""OpenSSL's modes and options, and the record layer's rules, with exact return values."""

from __future__ import annotations

import ctypes
import ssl
import struct
from pathlib import Path

import pytest
from libssl import CSSL, Bridge, LibSSL
from peers import PyPeer

from biokit.bio import MemBIO
from biokit.errors import clear_error, errors_as_list, get_lib, get_reason
from biokit.ssl import SSL, ErrorCode, Mode, SSLContext, TLS_client_method, TLS_server_method
from biokit.testing import HandshakeFailed, pki, pump, tls_pair


def reasons() -> list[str]:
    return [e.reason_string for e in errors_as_list()]


# ------------------------------------------------------------------ tickets / AUTO_RETRY


def test_default_two_tickets_and_auto_retry_hides_them() -> None:
    pair = tls_pair()
    sessions = []
    pair.client_ctx.sess_set_new_cb(lambda s, sess: sessions.append(sess))
    pair.server.write(b"after tickets")
    assert pair.client.read(100) == b"after tickets"  # tickets processed on the way
    assert len(sessions) == 2
    assert pair.client.get_session() is sessions[-1]


@pytest.mark.parametrize("n", [0, 1, 5])
def test_num_tickets_is_configurable(n: int) -> None:
    pair = tls_pair(connect=False, tickets=n)
    seen = []
    pair.client_ctx.sess_set_new_cb(lambda s, sess: seen.append(sess))
    pair.handshake()
    pair.server.write(b"x")
    assert pair.client.read(10) == b"x"
    assert len(seen) == n


def test_without_auto_retry_a_ticket_makes_read_return_want_read() -> None:
    pair = tls_pair(connect=False)
    pair.client.clear_mode(Mode.AUTO_RETRY)
    pair.handshake()
    pair.server.write(b"data")
    results = []
    for _ in range(5):
        d = pair.client.read(100)
        results.append(d or pair.client.get_error(0))
        if d:
            break
    # Each ticket is handled by a call that then reports WANT_READ (no data yet).
    assert results[:2] == [ErrorCode.WANT_READ, ErrorCode.WANT_READ]
    assert results[-1] == b"data"


# ------------------------------------------------------------------ write modes


def test_partial_write_mode_returns_after_each_record() -> None:
    pair = tls_pair(connect=False, pair_size=40000)
    pair.handshake()
    pair.client.set_mode(Mode.ENABLE_PARTIAL_WRITE)
    data = bytes(100000)
    n = pair.client.write(data)
    assert n == 16384


# A retry of SSL_write with the wrong buffer is fatal in libssl 3.0 (SSLfatal):
# "bad write retry" for another buffer, "bad length" for one shorter than what
# is already written or pending.  The connection is dead afterwards: state
# "error", SSL_write returns -1 with SSL_ERROR_SYSCALL and nothing queued, and
# the rest of the data never leaves.  The same scenario runs on libssl (ctypes,
# over its own BIO pair) and on biokit; every observation must agree.

_API = LibSSL.load()
_DATA = bytes(range(256)) * 200  # 51200 bytes: more than the 20000-byte ring holds


class _LibsslWriter:
    def __init__(self, files: dict[str, str]) -> None:
        assert _API is not None
        self.api = _API
        self.client = CSSL(_API, _API.ctx(files, server=False), server=False)
        self.server = CSSL(_API, _API.ctx(files, server=True), server=True)
        x, y = _API.pair(20000)
        self.client.set_bio(x, x)
        self.server.set_bio(y, y)
        for _ in range(10):
            rc, rs = self.client.do_handshake(), self.server.do_handshake()
            if rc == rs == 1:
                break
        self.original = ctypes.create_string_buffer(_DATA, len(_DATA))

    def write(self, which: str) -> tuple[int, int, list[tuple[int, int]], str]:
        if which == "original":
            buf, n = self.original, len(_DATA)
        elif which == "copy":
            buf, n = ctypes.create_string_buffer(_DATA, len(_DATA)), len(_DATA)
        else:  # "shorter": the start of the same buffer, 100 bytes
            buf, n = self.original, 100
        r: int = self.api.lib.SSL_write(self.client.ssl, buf, n)
        return r, self.client.get_error(r), self._errors(), self.client.state()

    def _errors(self) -> list[tuple[int, int]]:
        return [(get_lib(c), get_reason(c)) for c in self.api.errors()]

    def server_read(self) -> int:
        r = self.server.read(100000)
        return len(r) if isinstance(r, bytes) else r

    def shutdown(self) -> tuple[int, int, list[tuple[int, int]]]:
        r = self.client.shutdown()
        return r, self.client.get_error(r), self._errors()


class _BiokitWriter:
    def __init__(self) -> None:
        self.pair = tls_pair(connect=False, pair_size=20000)
        self.pair.handshake()
        self.client = self.pair.client
        self.original = bytes(_DATA)

    def write(self, which: str) -> tuple[int, int, list[tuple[int, int]], str]:
        data = {"original": self.original, "copy": bytes(bytearray(_DATA)),
                "shorter": self.original[:100]}[which]
        r = self.client.write(data)
        return r, int(self.client.get_error(r)), self._errors(), self.client.state_string_long()

    def _errors(self) -> list[tuple[int, int]]:
        out = [(e.library, e.reason) for e in errors_as_list()]
        clear_error()
        return out

    def server_read(self) -> int:
        r = self.pair.server.read_c(100000)
        return len(r) if isinstance(r, bytes) else r

    def shutdown(self) -> tuple[int, int, list[tuple[int, int]]]:
        r = self.client.shutdown()
        return r, int(self.client.get_error(r)), self._errors()


def _bad_retry(w: _LibsslWriter | _BiokitWriter, how: str) -> list[object]:
    obs: list[object] = [w.write("original"), w.write(how)]
    for _ in range(3):
        obs += [w.server_read(), w.write("original")]
    obs.append(w.shutdown())
    return obs


@pytest.mark.skipif(_API is None, reason="libssl 3 not loadable through ctypes")
@pytest.mark.parametrize("how", ["copy", "shorter"])
def test_bad_write_retry_is_fatal_as_in_libssl(tmp_path: Path, how: str) -> None:
    files = pki("ec256").write(tmp_path)
    theirs = _bad_retry(_LibsslWriter(files), how)
    ours = _bad_retry(_BiokitWriter(), how)
    assert ours == theirs
    reason = 127 if how == "copy" else 271  # SSL_R_BAD_WRITE_RETRY, SSL_R_BAD_LENGTH
    assert ours[:3] == [
        (-1, ErrorCode.WANT_WRITE, [], "SSL negotiation finished successfully"),
        (-1, ErrorCode.SSL, [(20, reason)], "error"),
        16384,  # the one record that was through before the bad retry
    ]
    assert ours[3] == (-1, ErrorCode.SYSCALL, [], "error")
    assert ours[4] == -1  # nothing more arrives
    assert ours[-1] == (-1, ErrorCode.SSL, [(20, 407)])  # shutdown while in init


def test_moving_write_buffer_allows_an_equal_copy() -> None:
    pair = tls_pair(connect=False, pair_size=20000)
    pair.handshake()
    pair.client.set_mode(Mode.ACCEPT_MOVING_WRITE_BUFFER)
    data = bytes(range(256)) * 200
    assert pair.client.write(data) == -1
    got = bytearray()
    for _ in range(100):
        got += pair.server.read(100000)
        n = pair.client.write(bytes(bytearray(data)))  # another object: fine in this mode
        if n > 0:
            assert n == len(data)
            break
    for _ in range(10):  # SSL_read returns at most one record's worth per call
        got += pair.server.read(100000)
    assert bytes(got) == data


def test_retry_with_same_object_completes() -> None:
    pair = tls_pair(connect=False, pair_size=20000)
    pair.handshake()
    data = bytes(range(256)) * 200
    got = bytearray()
    n = pair.client.write(data)
    for _ in range(100):
        if n > 0:
            break
        got += pair.server.read(100000)
        n = pair.client.write(data)
    assert n == len(data)
    for _ in range(10):
        got += pair.server.read(100000)
    assert bytes(got) == data


# ------------------------------------------------------------------ read_ahead


def _flight_with_trailer(read_ahead: bool) -> tuple[SSL, MemBIO]:
    p = pki("ec256")
    sctx = SSLContext(TLS_server_method())
    sctx.use_certificate(p.server[0])
    sctx.use_PrivateKey(p.server[1])
    cctx = SSLContext(TLS_client_method())
    cctx.set_read_ahead(read_ahead)
    server, client = SSL(sctx), SSL(cctx)
    c_in, c_out, s_in, s_out = MemBIO(), MemBIO(), MemBIO(), MemBIO()
    client.set_bio(c_in, c_out)
    server.set_bio(s_in, s_out)
    for _ in range(10):
        rc = client.connect()
        s_in.write(c_out.read(1 << 20))
        rs = server.accept()
        c_in.write(s_out.read(1 << 20))
        if rc == 1 and rs == 1:
            break
    server.write(b"secret")
    server.shutdown()
    c_in.write(s_out.read(1 << 20) + b"PLAINTEXT AFTER TLS")
    return client, c_in


def test_read_ahead_off_leaves_bytes_after_the_tls_stream_in_the_bio() -> None:
    client, c_in = _flight_with_trailer(read_ahead=False)
    assert client.read(100) == b"secret"
    assert client.read(100) == b""
    assert client.get_error(0) == ErrorCode.ZERO_RETURN
    # STARTTLS-style: what follows the close_notify is still in the BIO.
    assert c_in.getvalue() == b"PLAINTEXT AFTER TLS"


def test_read_ahead_on_reads_past_the_record() -> None:
    client, c_in = _flight_with_trailer(read_ahead=True)
    assert client.read(100) == b"secret"
    assert c_in.getvalue() == b""
    assert client.has_pending()


def test_pending_counts_decrypted_bytes_only() -> None:
    pair = tls_pair()
    pair.server.write(b"0123456789")
    assert pair.client.pending() == 0
    assert pair.client.read(4) == b"0123"
    assert pair.client.pending() == 6
    assert pair.client.peek(3) == b"456"
    assert pair.client.pending() == 6
    assert pair.client.read(100) == b"456789"


# ------------------------------------------------------------------ records


def _records_and_messages(
    msgs: list[tuple[int, int, int, bytes]], write_p: int
) -> tuple[list[int], dict[int, int]]:
    """Record body lengths, and handshake message type -> length, in one direction."""
    records = [
        struct.unpack("!H", d[3:5])[0] for w, v, ct, d in msgs if w == write_p and ct == 0x100
    ]
    messages = {d[0]: len(d) for w, v, ct, d in msgs if w == write_p and ct == 22}
    return records, messages


def test_handshake_messages_split_across_small_records_to_python(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # biokit's server with SSL_CTX_set_max_send_fragment(512) and an RSA chain:
    # its Certificate message does not fit one record, and Python's ssl (OpenSSL)
    # has to put it together again.
    p = pki("rsa2048")
    files = p.write(tmp_path_factory.mktemp("split"))
    sctx = SSLContext(TLS_server_method())
    sctx.use_certificate(p.server[0])
    sctx.use_PrivateKey(p.server[1])
    assert sctx.set_max_send_fragment(511) == 0 and sctx.set_max_send_fragment(16385) == 0
    assert sctx.set_max_send_fragment(512) == 1
    server = SSL(sctx)
    seen: list[tuple[int, int, int, bytes]] = []
    server.set_msg_callback(lambda w, v, ct, d, s: seen.append((w, v, ct, bytes(d))))
    pctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    pctx.load_verify_locations(files["ca.pem"])
    peer = PyPeer(pctx, server, server_side=False, hostname="localhost")
    peer.handshake()
    records, messages = _records_and_messages(seen, 1)
    assert messages[11] > 512  # the Certificate message
    assert max(records) == 512 + 1 + 16  # plaintext, inner type, AEAD tag
    # More records than messages: the certificate really went in pieces.
    assert len(records) > len(messages) + 1
    assert peer.obj.getpeercert(binary_form=True) == p.server[0].to_der()
    assert peer.bk_to_py(b"q" * 2000) == b"q" * 2000  # 512-byte records for data too
    assert max(_records_and_messages(seen, 1)[0]) == 529


@pytest.mark.skipif(_API is None, reason="libssl 3 not loadable through ctypes")
@pytest.mark.parametrize("version", [0x0304, 0x0303], ids=["TLSv1.3", "TLSv1.2"])
def test_handshake_messages_split_across_small_records_from_libssl(
    tmp_path_factory: pytest.TempPathFactory, version: int
) -> None:
    # The other way: libssl's server with SSL_CTX_set_max_send_fragment(512)
    # splits its Certificate message; biokit's client reassembles it.
    assert _API is not None
    p = pki("rsa2048")
    files = p.write(tmp_path_factory.mktemp("split"))
    cserver = CSSL(_API, _API.ctx(files, server=True, max_version=version,
                                  max_send_fragment=512), server=True)
    cctx = SSLContext(TLS_client_method())
    cctx.get_cert_store().add_cert(p.ca[0])
    cctx.set_verify(1)
    client = SSL(cctx)
    client.set1_host("localhost")
    client.set_connect_state()
    seen: list[tuple[int, int, int, bytes]] = []
    client.set_msg_callback(lambda w, v, ct, d, s: seen.append((w, v, ct, bytes(d))))
    bridge = Bridge(_API, client, cserver)
    bridge.handshake()
    records, messages = _records_and_messages(seen, 0)
    assert messages[11] > 512
    overhead = 17 if version == 0x0304 else 0  # TLS 1.2: the certificate is in clear
    assert max(records) == 512 + overhead
    assert len(records) > len(messages) + 1
    assert client.get_verify_result() == 0
    assert client.get_peer_certificate() == p.server[0]
    assert cserver.write(b"r" * 3000) == 3000
    bridge.shuttle()
    got = b""
    for _ in range(10):
        got += client.read(10000)
    assert got == b"r" * 3000
    cserver.free()


def test_coalesced_handshake_records_interoperate(tmp_path_factory: pytest.TempPathFactory) -> None:
    files = pki("ec256").write(tmp_path_factory.mktemp("co"))
    p = pki("ec256")
    sctx = SSLContext(TLS_server_method())
    sctx.use_certificate(p.server[0])
    sctx.use_PrivateKey(p.server[1])
    sctx.coalesce_handshake = True
    server = SSL(sctx)
    records: list[int] = []
    server.set_msg_callback(
        lambda w, v, ct, data, s: records.append(1) if w and ct == 256 else None
    )
    pctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    pctx.load_verify_locations(files["ca.pem"])
    peer = PyPeer(pctx, server, server_side=False, hostname="localhost")
    peer.handshake()
    # SH, CCS, and one encrypted record for EE+Certificate+CV+Finished (+ tickets).
    assert records[:3] == [1, 1, 1]
    assert len(records) <= 5
    assert peer.py_to_bk(b"ok") == b"ok"


def test_oversized_plaintext_record_is_record_overflow() -> None:
    pair = tls_pair()
    sender = pair.server._engine  # type: ignore[union-attr]
    assert sender is not None
    prot = sender.wprot
    # Forge a record whose TLSInnerPlaintext is 2^14 + 2 bytes, with the server's
    # real application key (biokit's own seal() refuses to make one).
    inner = b"a" * 16385 + b"\x17"
    header = b"\x17\x03\x03" + (len(inner) + 16).to_bytes(2, "big")
    nonce = (prot._iv ^ prot.seq).to_bytes(12, "big")
    record = header + prot._aead.encrypt(nonce, inner, header)
    assert pair.server_bios[1].write(record) == len(record)
    clear_error()
    assert pair.client.read(20000) == b""
    assert pair.client.get_error(0) == ErrorCode.SSL
    assert reasons() == ["data length too long"]


def test_ccs_after_handshake_is_unexpected() -> None:
    p = pki("ec256")
    sctx = SSLContext(TLS_server_method())
    sctx.use_certificate(p.server[0])
    sctx.use_PrivateKey(p.server[1])
    client = SSL(SSLContext(TLS_client_method()))
    server = SSL(sctx)
    c_in, c_out, s_in, s_out = MemBIO(), MemBIO(), MemBIO(), MemBIO()
    client.set_bio(c_in, c_out)
    server.set_bio(s_in, s_out)
    for _ in range(10):
        rc = client.connect()
        s_in.write(c_out.read(1 << 20))
        rs = server.accept()
        c_in.write(s_out.read(1 << 20))
        if rc == 1 and rs == 1:
            break
    c_in.write(bytes([20, 3, 3, 0, 1, 1]))
    clear_error()
    assert client.read(10) == b""
    assert reasons() == ["unexpected ccs message"]


def test_ccs_with_wrong_payload_during_handshake() -> None:
    p = pki("ec256")
    sctx = SSLContext(TLS_server_method())
    sctx.use_certificate(p.server[0])
    sctx.use_PrivateKey(p.server[1])
    client = SSL(SSLContext(TLS_client_method()))
    server = SSL(sctx)
    c_in, c_out, s_in, s_out = MemBIO(), MemBIO(), MemBIO(), MemBIO()
    client.set_bio(c_in, c_out)
    server.set_bio(s_in, s_out)
    client.connect()
    s_in.write(c_out.read(1 << 20) + bytes([20, 3, 3, 0, 1, 2]))
    clear_error()
    # The ClientHello is processed, the flight written, then the bad CCS refused.
    assert server.accept() == -1
    assert reasons() == ["bad change cipher spec"]
    assert server.accept() == -1  # failed for good; the queue is left alone
    assert reasons() == ["bad change cipher spec"]


def test_block_padding_interoperates(tmp_path_factory: pytest.TempPathFactory) -> None:
    files = pki("ec256").write(tmp_path_factory.mktemp("pad"))
    client = SSL(SSLContext(TLS_client_method()))
    client.get_SSL_CTX().set_block_padding(256)
    pctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    pctx.load_cert_chain(files["server.pem"], files["server.key"])
    sizes: list[int] = []
    client.set_msg_callback(
        lambda w, v, ct, data, s: sizes.append(struct.unpack("!H", data[3:5])[0])
        if w and ct == 256 and data[0] == 23 else None
    )
    peer = PyPeer(pctx, client, server_side=True)
    peer.handshake()
    assert peer.bk_to_py(b"pad me") == b"pad me"
    # Every encrypted record: a multiple of 256 plus the 16-byte tag.
    assert sizes and all((n - 16) % 256 == 0 for n in sizes)


def test_no_shared_group_fails_cleanly() -> None:
    pair = tls_pair(connect=False, groups="X25519", server_groups="P-256")
    client, server = SSL(pair.client_ctx), SSL(pair.server_ctx)
    client.set_bio(*pair.client_bios)
    server.set_bio(*pair.server_bios)
    clear_error()
    with pytest.raises(HandshakeFailed, match="no suitable key share"):
        pump(client, server)
