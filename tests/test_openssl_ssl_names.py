"""The SSL layer through its C names: C code, line by line, on biokit.

Each Python line is the C line above it minus lengths and out-parameters.
"""

from __future__ import annotations

from pathlib import Path

import pytest

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
    # printf("%s %s\n", SSL_get_version(client), SSL_CIPHER_get_name(SSL_get_current_cipher(client)));
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
