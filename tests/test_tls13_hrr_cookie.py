"""HelloRetryRequest with a cookie (RFC 8446 4.2.2), against real peers.

The server side is OpenSSL's SSL_CTX_set_stateless_cookie_generate_cb: every
first ClientHello gets a HelloRetryRequest carrying the cookie; the client
side must echo it and, when the retry names no new group, resend the same
key share.  (OpenSSL's own client is the peer for the server side; no stock
OpenSSL server sends cookies on one TCP connection -- `s_server -stateless`
expects the client to reconnect -- so biokit's client is checked against
biokit's server.)
"""

from __future__ import annotations

from typing import Any

import pytest
from peers import PyPeer

from biokit.errors import clear_error, errors_as_list
from biokit.ssl import SSL, SSLContext, TLS_server_method
from biokit.ssl.tls.messages import ClientHello
from biokit.testing import HandshakeFailed, pki, pump, tls_pair

_HRR_RANDOM = bytes.fromhex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")


def _cookie_server(verify: Any = None) -> tuple[SSL, list[str]]:
    p = pki("ec256")
    ctx = SSLContext(TLS_server_method())
    ctx.use_certificate(p.server[0])
    ctx.use_PrivateKey(p.server[1])
    calls: list[str] = []

    def gen(ssl: SSL) -> bytes:
        calls.append("generate")
        return b"biokit-cookie-" + ssl.get_client_random()[:8]

    ctx.set_stateless_cookie_generate_cb(gen)
    if verify is not None:
        ctx.set_stateless_cookie_verify_cb(verify)
    return SSL(ctx), calls


def _watch_hellos(ssl: SSL) -> list[tuple[int, bytes]]:
    seen: list[tuple[int, bytes]] = []
    ssl.set_msg_callback(
        lambda w, v, ct, data, s: seen.append((w, data)) if ct == 22 and data[0] in (1, 2) else None
    )
    return seen


def test_python_client_echoes_our_cookie(tmp_path_factory: pytest.TempPathFactory) -> None:
    import ssl as stdlib_ssl

    files = pki("ec256").write(tmp_path_factory.mktemp("cookie"))
    verified: list[bytes] = []

    def verify(ssl: SSL, cookie: bytes) -> bool:
        verified.append(cookie)
        return cookie.startswith(b"biokit-cookie-")

    server, calls = _cookie_server(verify)
    hellos = _watch_hellos(server)
    cctx = stdlib_ssl.SSLContext(stdlib_ssl.PROTOCOL_TLS_CLIENT)
    cctx.load_verify_locations(files["ca.pem"])
    peer = PyPeer(cctx, server, server_side=False, hostname="localhost")
    peer.handshake()
    assert calls == ["generate"]
    assert len(verified) == 1 and verified[0].startswith(b"biokit-cookie-")
    sent_hrr = [d for w, d in hellos if w and d[0] == 2 and d[6:38] == _HRR_RANDOM]
    assert len(sent_hrr) == 1
    assert peer.py_to_bk(b"after the cookie") == b"after the cookie"


def test_cookie_verify_refusal_is_cookie_mismatch() -> None:
    pair = tls_pair(connect=False)
    server, _ = _cookie_server(lambda ssl, cookie: False)
    server.set_bio(*pair.server_bios)
    clear_error()
    with pytest.raises(HandshakeFailed):
        pump(pair.client, server)
    assert "cookie mismatch" in [e.reason_string for e in errors_as_list()]


def test_cookie_only_retry_resends_the_same_key_share() -> None:
    pair = tls_pair(connect=False)
    server, _calls = _cookie_server()
    server.set_bio(*pair.server_bios)
    hellos = _watch_hellos(pair.client)
    pump(pair.client, server)
    client_hellos = [
        ClientHello.decode(d[4:]) for w, d in hellos if w and d[0] == 1
    ]
    assert len(client_hellos) == 2
    first, second = client_hellos
    assert first.extension(51) == second.extension(51)  # key_share, unchanged
    assert first.extension(44) is None and second.extension(44) is not None  # cookie
    assert pair.client.get_negotiated_group() == 29
