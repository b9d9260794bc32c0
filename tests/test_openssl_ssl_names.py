"""The SSL layer through its C names: C code, line by line, on biokit.

Each Python line is the C line above it minus lengths and out-parameters.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from libssl import CH_CB, CSSL, LibSSL, client_hello_view, vp

from biokit import openssl as C
from biokit.testing import pki


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return pki("ec256").write(tmp_path_factory.mktemp("cnames"))


def test_handshake_over_a_bio_pair_in_c_style(files: dict[str, str]) -> None:
    # SSL_CTX *sctx = SSL_CTX_new(TLS_server_method());
    sctx = C.SSL_CTX_new(C.TLS_server_method())
    # SSL_CTX_use_certificate_chain_file(sctx, "server.pem");
    assert C.SSL_CTX_use_certificate_chain_file(sctx, files["server.pem"]) == 1
    # SSL_CTX_use_PrivateKey_file(sctx, "server.key", SSL_FILETYPE_PEM);
    assert C.SSL_CTX_use_PrivateKey_file(sctx, files["server.key"], C.SSL_FILETYPE_PEM) == 1
    # SSL_CTX *cctx = SSL_CTX_new(TLS_client_method());
    cctx = C.SSL_CTX_new(C.TLS_client_method())
    # SSL_CTX_load_verify_locations(cctx, "ca.pem", NULL);
    assert C.SSL_CTX_load_verify_locations(cctx, files["ca.pem"], None) == 1
    # SSL_CTX_set_verify(cctx, SSL_VERIFY_PEER, NULL);
    C.SSL_CTX_set_verify(cctx, C.SSL_VERIFY_PEER, None)
    # SSL_CTX_set_ciphersuites(cctx, "TLS_CHACHA20_POLY1305_SHA256");
    assert C.SSL_CTX_set_ciphersuites(cctx, "TLS_CHACHA20_POLY1305_SHA256") == 1
    # SSL_CTX_set1_groups_list(cctx, "P-256");
    assert C.SSL_CTX_set1_groups_list(cctx, "P-256") == 1
    # SSL *server = SSL_new(sctx), *client = SSL_new(cctx);
    server, client = C.SSL_new(sctx), C.SSL_new(cctx)
    # BIO *b1, *b2; BIO_new_bio_pair(&b1, 0, &b2, 0);
    b1, b2 = C.BIO_new_bio_pair(0, 0)
    # SSL_set_bio(client, b1, b1); SSL_set_bio(server, b2, b2);
    C.SSL_set_bio(client, b1, b1)
    C.SSL_set_bio(server, b2, b2)
    # SSL_set_connect_state(client); SSL_set_accept_state(server);
    C.SSL_set_connect_state(client)
    C.SSL_set_accept_state(server)
    # SSL_set_tlsext_host_name(client, "localhost"); SSL_set1_host(client, "localhost");
    assert C.SSL_set_tlsext_host_name(client, "localhost") == 1
    assert C.SSL_set1_host(client, "localhost") == 1
    # for (;;) { rc = SSL_do_handshake(client); rs = SSL_do_handshake(server); ... }
    for _ in range(20):
        rc = C.SSL_do_handshake(client)
        rs = C.SSL_do_handshake(server)
        if rc == 1 and rs == 1:
            break
        assert C.SSL_get_error(client, rc) in (C.SSL_ERROR_NONE, C.SSL_ERROR_WANT_READ)
        assert C.SSL_get_error(server, rs) in (C.SSL_ERROR_NONE, C.SSL_ERROR_WANT_READ)
    # printf("%s %s\n", SSL_get_version(client),
    #        SSL_CIPHER_get_name(SSL_get_current_cipher(client)));
    assert C.SSL_get_version(client) == "TLSv1.3"
    assert C.SSL_CIPHER_get_name(C.SSL_get_current_cipher(client)) == (
        "TLS_CHACHA20_POLY1305_SHA256"
    )
    # SSL_get_verify_result(client) == X509_V_OK
    assert C.SSL_get_verify_result(client) == C.X509_V_OK
    # X509 *peer = SSL_get_peer_certificate(client);
    peer = C.SSL_get_peer_certificate(client)
    assert peer is not None
    # SSL_state_string_long(server)
    assert C.SSL_state_string_long(server) == "SSL negotiation finished successfully"
    # SSL_write(client, "hello", 5); n = SSL_read(server, buf, sizeof(buf));
    assert C.SSL_write(client, b"hello") == 5
    assert C.SSL_read(server, 100) == b"hello"
    # n = SSL_read(server, buf, sizeof(buf)); -> -1, SSL_ERROR_WANT_READ
    n = C.SSL_read(server, 100)
    assert n == -1 and C.SSL_get_error(server, n) == C.SSL_ERROR_WANT_READ
    # SSL_shutdown(client) == 0; SSL_read(server) == 0 && ZERO_RETURN; SSL_shutdown(server) == 1
    assert C.SSL_shutdown(client) == 0
    n = C.SSL_read(server, 100)
    assert n == 0 and C.SSL_get_error(server, n) == C.SSL_ERROR_ZERO_RETURN
    assert C.SSL_shutdown(server) == 1
    assert C.SSL_shutdown(client) == 1
    assert C.SSL_get_shutdown(client) == C.SSL_SENT_SHUTDOWN | C.SSL_RECEIVED_SHUTDOWN


def test_c_return_values_for_misuse(tmp_path: Path) -> None:
    ctx = C.SSL_CTX_new(C.TLS_method())
    # SSL_CTX_use_certificate_chain_file on a missing file: 0 and queue entries.
    C.ERR_clear_error()
    assert C.SSL_CTX_use_certificate_chain_file(ctx, str(tmp_path / "missing.pem")) == 0
    assert C.ERR_peek_error() != 0
    # An SSL with no role and no BIOs: -1 with an error on the queue.
    ssl = C.SSL_new(ctx)
    C.ERR_clear_error()
    assert C.SSL_do_handshake(ssl) == -1
    assert C.SSL_get_error(ssl, -1) == C.SSL_ERROR_SSL
    assert C.X509_verify_cert_error_string(10) == "certificate has expired"


# ----------------------------------------------------------------------------- vs libssl

_API = LibSSL.load()
needs_libssl = pytest.mark.skipif(_API is None, reason="libssl 3 not loadable through ctypes")
_EXT_TYPES = (0, 16, 43, 0x1234)  # server_name, ALPN, supported_versions, absent


def _client_hello() -> bytes:
    ctx = C.SSL_CTX_new(C.TLS_client_method())
    client = C.SSL_new(ctx)
    assert C.SSL_set_tlsext_host_name(client, "localhost") == 1
    assert C.SSL_set_alpn_protos(client, [b"h2", b"http/1.1"]) == 0
    out = C.BIO_new(C.BIO_s_mem)
    C.SSL_set_bio(client, C.BIO_new(C.BIO_s_mem), out)
    assert C.SSL_connect(client) == -1
    hello: bytes = out.getvalue()
    return hello


def _biokit_view(ssl: Any) -> dict[str, Any]:
    view: dict[str, Any] = {
        "isv2": C.SSL_client_hello_isv2(ssl),
        "legacy_version": C.SSL_client_hello_get0_legacy_version(ssl),
        "random": C.SSL_client_hello_get0_random(ssl),
        "session_id": C.SSL_client_hello_get0_session_id(ssl),
        "ciphers": C.SSL_client_hello_get0_ciphers(ssl),
        "compression_methods": C.SSL_client_hello_get0_compression_methods(ssl),
        "extensions_present": C.SSL_client_hello_get1_extensions_present(ssl),
    }
    for t in _EXT_TYPES:
        view[f"ext{t}"] = C.SSL_client_hello_get0_ext(ssl, t)
    return view


@needs_libssl
def test_client_hello_inspectors_say_what_libssls_say(files: dict[str, str]) -> None:
    assert _API is not None
    hello = _client_hello()
    # libssl's server, fed this ClientHello, inspects it in its client hello
    # callback (and once more after SSL_do_handshake returned: all 0 then).
    theirs: dict[str, Any] = {}

    def c_callback(s: int, al: Any, arg: Any) -> int:
        theirs["in callback"] = client_hello_view(_API, s, _EXT_TYPES)
        return 1

    fn = CH_CB(c_callback)
    ctx = _API.ctx(files, server=True)
    _API.lib.SSL_CTX_set_client_hello_cb.argtypes = [vp, CH_CB, vp]
    _API.lib.SSL_CTX_set_client_hello_cb(ctx, fn, None)
    cserver = CSSL(_API, ctx, server=True)
    rb, wb = _API.mem(), _API.mem()
    cserver.set_bio(rb, wb)
    _API.bio_write(rb, hello)
    assert cserver.do_handshake() == -1
    theirs["after"] = client_hello_view(_API, cserver.ssl, _EXT_TYPES)
    cserver.free()
    # biokit's server, fed the same bytes, through the same C names.
    ours: dict[str, Any] = {}

    def callback(ssl: Any, arg: Any) -> int:
        ours["in callback"] = _biokit_view(ssl)
        return C.SSL_CLIENT_HELLO_SUCCESS

    sctx = C.SSL_CTX_new(C.TLS_server_method())
    assert C.SSL_CTX_use_certificate_chain_file(sctx, files["server.pem"]) == 1
    assert C.SSL_CTX_use_PrivateKey_file(sctx, files["server.key"], C.SSL_FILETYPE_PEM) == 1
    C.SSL_CTX_set_client_hello_cb(sctx, callback, None)
    server = C.SSL_new(sctx)
    C.SSL_set_bio(server, C.BIO_new_mem_buf(hello), C.BIO_new(C.BIO_s_mem))
    assert C.SSL_accept(server) == -1
    ours["after"] = _biokit_view(server)
    assert ours == theirs
    seen = ours["in callback"]
    assert seen["extensions_present"][:1] == [0] and seen["ext16"] == b"\x00\x0c\x02h2\x08http/1.1"
    assert seen["ext4660"] == 0 and len(seen["random"]) == 32
    assert set(ours["after"].values()) == {0}


def test_verify_callback_reaches_the_ssl_through_ex_data(files: dict[str, str]) -> None:
    # The usual C idiom: the SSL from the store context, the application's data
    # from the SSL.
    # int idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    idx = C.SSL_get_ex_new_index(0, None, None, None, None)
    assert idx >= 1 and C.SSL_get_ex_new_index(0, None, None, None, None) == idx + 1
    if _API is not None:
        # The slot libssl uses for the SSL in an X509_STORE_CTX.
        assert C.SSL_get_ex_data_X509_STORE_CTX_idx() == (
            _API.lib.SSL_get_ex_data_X509_STORE_CTX_idx()
        )
    seen: list[tuple[int, Any, Any, int]] = []
    app = object()

    def verify_callback(preverify_ok: int, x509_ctx: Any) -> int:
        # SSL *ssl = X509_STORE_CTX_get_ex_data(x509_ctx, SSL_get_ex_data_X509_STORE_CTX_idx());
        ssl = C.X509_STORE_CTX_get_ex_data(x509_ctx, C.SSL_get_ex_data_X509_STORE_CTX_idx())
        # struct app *a = SSL_get_ex_data(ssl, idx);
        seen.append((preverify_ok, ssl, C.SSL_get_ex_data(ssl, idx),
                     C.X509_STORE_CTX_get_error_depth(x509_ctx)))
        assert C.X509_STORE_CTX_get_ex_data(x509_ctx, 0) is None
        return preverify_ok

    sctx = C.SSL_CTX_new(C.TLS_server_method())
    assert C.SSL_CTX_use_certificate_chain_file(sctx, files["server.pem"]) == 1
    assert C.SSL_CTX_use_PrivateKey_file(sctx, files["server.key"], C.SSL_FILETYPE_PEM) == 1
    cctx = C.SSL_CTX_new(C.TLS_client_method())
    assert C.SSL_CTX_load_verify_locations(cctx, files["ca.pem"], None) == 1
    C.SSL_CTX_set_verify(cctx, C.SSL_VERIFY_PEER, verify_callback)
    server, client = C.SSL_new(sctx), C.SSL_new(cctx)
    # SSL_set_ex_data(client, idx, a);
    assert C.SSL_set_ex_data(client, idx, app) == 1
    assert C.SSL_get_ex_data(client, idx) is app and C.SSL_get_ex_data(server, idx) is None
    assert C.SSL_set_ex_data(client, 0, "app data") == 1  # slot 0: SSL_set_app_data
    assert client.app_data == "app data"
    b1, b2 = C.BIO_new_bio_pair(0, 0)
    C.SSL_set_bio(client, b1, b1)
    C.SSL_set_bio(server, b2, b2)
    C.SSL_set_connect_state(client)
    C.SSL_set_accept_state(server)
    assert C.SSL_set_tlsext_host_name(client, "localhost") == 1
    assert C.SSL_set1_host(client, "localhost") == 1
    for _ in range(20):
        rc, rs = C.SSL_do_handshake(client), C.SSL_do_handshake(server)
        if rc == rs == 1:
            break
    assert (rc, rs) == (1, 1)
    assert [(ok, s is client, a is app, depth) for ok, s, a, depth in seen] == [
        (1, True, True, 1),
        (1, True, True, 0),
    ]
    # The SNI name as the server got it, by its TLSEXT_NAMETYPE_host_name (tls1.h: 0).
    assert C.TLSEXT_NAMETYPE_host_name == 0
    assert C.SSL_get_servername(server, C.TLSEXT_NAMETYPE_host_name) == "localhost"
    # X509 *peer = SSL_get0_peer_certificate(client);  (no reference taken)
    peer = C.SSL_get0_peer_certificate(client)
    assert peer is not None and peer == pki("ec256").server[0]
    assert C.SSL_get0_peer_certificate(server) is None
