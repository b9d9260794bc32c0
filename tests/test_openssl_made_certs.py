"""Certificates made the way people make them with the `openssl` command line.

`openssl req -x509` gives a CA:TRUE self-signed certificate without keyUsage;
`openssl x509 -req -CA` signs leaves with or without extensions; an RSA-PSS
key (id-RSASSA-PSS) allows only the rsa_pss_pss_* signature schemes.  OpenSSL
accepts all of these, so biokit must too -- as client and as server.
"""

from __future__ import annotations

import ssl as stdlib_ssl
import subprocess
from pathlib import Path

import pytest
from peers import OPENSSL, PyPeer

from biokit.ssl import SSL, SSLContext, TLS_client_method, TLS_server_method
from biokit.testing import pump

pytestmark = pytest.mark.skipif(OPENSSL is None, reason="openssl command not found")


def _run(*args: str, cwd: Path) -> None:
    assert OPENSSL is not None
    subprocess.run([OPENSSL, *args], cwd=cwd, check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("opensslpki")
    _run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=Test CA", "-days", "2", cwd=d)
    _run("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=localhost", cwd=d)
    (d / "ext.cnf").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    _run("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
         "-CAcreateserial", "-out", "leaf.pem", "-days", "2", "-extfile", "ext.cnf", cwd=d)
    _run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", "self.key", "-out", "self.pem", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost", "-days", "2", cwd=d)
    _run("req", "-x509", "-newkey", "rsa-pss", "-pkeyopt", "rsa_keygen_bits:2048", "-nodes",
         "-keyout", "pss.key", "-out", "pss.pem", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost", "-days", "2", cwd=d)
    return d


def _server(d: Path, cert: str, key: str) -> SSL:
    ctx = SSLContext(TLS_server_method())
    assert ctx.use_certificate_chain_file(str(d / cert)) == 1
    assert ctx.use_PrivateKey_file(str(d / key)) == 1
    return SSL(ctx)


def _client(d: Path, ca: str) -> SSL:
    ctx = SSLContext(TLS_client_method())
    assert ctx.load_verify_locations(str(d / ca)) == 1
    ctx.set_verify(1)
    s = SSL(ctx)
    s.set1_host("localhost")
    s.set_tlsext_host_name("localhost")
    return s


@pytest.mark.parametrize(
    ("cert", "key", "ca"),
    [("leaf.pem", "leaf.key", "ca.pem"), ("self.pem", "self.key", "self.pem"),
     ("pss.pem", "pss.key", "pss.pem")],
    ids=["ca-signed-leaf", "self-signed-ca-true", "rsa-pss"],
)
def test_biokit_both_ends(made: Path, cert: str, key: str, ca: str) -> None:
    from biokit.bio import bio_pair

    server, client = _server(made, cert, key), _client(made, ca)
    a, b = bio_pair()
    client.set_bio(a, a)
    server.set_bio(b, b)
    pump(client, server)
    assert client.get_verify_result() == 0
    if cert == "pss.pem":
        assert client.get_peer_signature_scheme() == 0x0809  # rsa_pss_pss_sha256


@pytest.mark.parametrize(
    ("cert", "key", "ca"),
    [("leaf.pem", "leaf.key", "ca.pem"), ("self.pem", "self.key", "self.pem"),
     ("pss.pem", "pss.key", "pss.pem")],
    ids=["ca-signed-leaf", "self-signed-ca-true", "rsa-pss"],
)
def test_against_pythons_openssl(made: Path, cert: str, key: str, ca: str) -> None:
    # biokit verifies what OpenSSL serves...
    sctx = stdlib_ssl.SSLContext(stdlib_ssl.PROTOCOL_TLS_SERVER)
    sctx.load_cert_chain(str(made / cert), str(made / key))
    client = _client(made, ca)
    peer = PyPeer(sctx, client, server_side=True)
    peer.handshake()
    assert client.get_verify_result() == 0
    # ...and OpenSSL verifies what biokit serves.
    cctx = stdlib_ssl.SSLContext(stdlib_ssl.PROTOCOL_TLS_CLIENT)
    cctx.load_verify_locations(str(made / ca))
    server = _server(made, cert, key)
    peer = PyPeer(cctx, server, server_side=False, hostname="localhost")
    peer.handshake()
    assert peer.py_to_bk(b"ok") == b"ok"
