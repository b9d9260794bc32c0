"""TLS 1.2 against the `openssl` command line on 127.0.0.1."""

from __future__ import annotations

import socket
import subprocess
import threading

import pytest
from peers import OPENSSL, free_port, kill, openssl_server

from biokit.bio import SocketBIO
from biokit.ssl import SSL, SSLContext, TLS_client_method, TLS_server_method, Version
from biokit.testing import pki

pytestmark = pytest.mark.skipif(OPENSSL is None, reason="openssl command not found")


@pytest.fixture(scope="module", params=["ec256", "rsa2048"])
def kind_files(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
               ) -> tuple[str, dict[str, str]]:
    kind = str(request.param)
    return kind, pki(kind).write(tmp_path_factory.mktemp(kind))


def test_biokit_client_tls12_against_s_server(kind_files: tuple[str, dict[str, str]]) -> None:
    _kind, files = kind_files
    port = free_port()
    with openssl_server(
        ["-cert", files["server.pem"], "-key", files["server.key"], "-www", "-tls1_2"], port
    ):
        ctx = SSLContext(TLS_client_method())
        ctx.load_verify_locations(files["ca.pem"])
        ctx.set_verify(1)
        ssl = SSL(ctx)
        ssl.set1_host("localhost")
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        bio = SocketBIO(sock)
        ssl.set_bio(bio, bio)
        try:
            assert ssl.connect() == 1
            assert ssl.get_version() == "TLSv1.2"
            assert ssl.write(b"GET / HTTP/1.0\r\n\r\n") > 0
            page = b""
            while True:
                d = ssl.read(16384)
                if not d:
                    break
                page += d
            assert b"200 ok" in page and b"TLSv1.2" in page
        finally:
            sock.close()


def test_s_client_tls12_against_biokit_server(kind_files: tuple[str, dict[str, str]]) -> None:
    kind, files = kind_files
    p = pki(kind)
    ctx = SSLContext(TLS_server_method())
    ctx.use_certificate(p.server[0])
    ctx.use_PrivateKey(p.server[1])
    ctx.set_max_proto_version(Version.TLS1_2)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(20)
    port = listener.getsockname()[1]
    result: dict[str, object] = {}

    def serve() -> None:
        conn, _ = listener.accept()
        conn.settimeout(10)
        try:
            ssl = SSL(ctx)
            bio = SocketBIO(conn)
            ssl.set_bio(bio, bio)
            result["accept"] = ssl.accept()
            result["cipher"] = ssl.get_cipher()
            data = ssl.read(100)
            ssl.write(b"echo: " + data)
            ssl.shutdown()
        finally:
            conn.close()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    assert OPENSSL is not None
    proc = subprocess.Popen(
        [OPENSSL, "s_client", "-connect", f"127.0.0.1:{port}", "-CAfile", files["ca.pem"],
         "-verify_return_error", "-ign_eof", "-tls1_2"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        out, _ = proc.communicate(b"hello\n", timeout=20)
    finally:
        kill(proc)
        t.join(20)
        listener.close()
    text = out.decode(errors="replace")
    assert result.get("accept") == 1, text
    assert "Protocol  : TLSv1.2" in text
    assert "echo: hello" in text
    assert "Extended master secret: yes" in text
