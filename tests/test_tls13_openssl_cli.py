"""TLS 1.3 against the `openssl` command line on 127.0.0.1 (s_server and s_client).

Each test starts its own subprocess on a free port and kills it by PID.
"""

from __future__ import annotations

import socket
import subprocess
import threading
from pathlib import Path

import pytest
from peers import OPENSSL, free_port, kill, openssl_server

from biokit.bio import SocketBIO
from biokit.errors import clear_error, errors_as_list
from biokit.ssl import SSL, ErrorCode, SSLContext, TLS_client_method, TLS_server_method
from biokit.testing import pki

pytestmark = pytest.mark.skipif(OPENSSL is None, reason="openssl command not found")


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return pki("ec256").write(tmp_path_factory.mktemp("cli"))


def _client_ssl(ca: str | None, groups: str | None = None) -> SSL:
    ctx = SSLContext(TLS_client_method())
    if ca:
        assert ctx.load_verify_locations(ca) == 1
        ctx.set_verify(1)
    if groups:
        assert ctx.set1_groups_list(groups) == 1
    s = SSL(ctx)
    s.set_tlsext_host_name("localhost")
    s.set1_host("localhost")
    return s


def _connect(port: int, ssl: SSL) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    bio = SocketBIO(sock)
    ssl.set_bio(bio, bio)
    return sock


def _read_all(ssl: SSL, limit: int = 1 << 20) -> bytes:
    out = bytearray()
    while len(out) < limit:
        d = ssl.read(16384)
        if not d:
            break
        out += d
    return bytes(out)


def test_biokit_client_against_s_server_www(files: dict[str, str]) -> None:
    port = free_port()
    with openssl_server(
        ["-cert", files["server.pem"], "-key", files["server.key"], "-www", "-tls1_3"], port
    ):
        ssl = _client_ssl(files["ca.pem"])
        sock = _connect(port, ssl)
        try:
            assert ssl.connect() == 1
            assert ssl.get_version() == "TLSv1.3"
            assert ssl.get_verify_result() == 0
            assert ssl.write(b"GET / HTTP/1.0\r\n\r\n") == 18
            page = _read_all(ssl)
            assert page.startswith(b"HTTP/1.0 200 ok")
            assert b"TLSv1.3" in page
            # -www closes after the page: a clean close_notify.
            assert ssl.get_error(0) == ErrorCode.ZERO_RETURN
        finally:
            sock.close()


def test_hello_retry_request_forced_by_server_groups(files: dict[str, str]) -> None:
    port = free_port()
    with openssl_server(
        ["-cert", files["server.pem"], "-key", files["server.key"], "-www",
         "-groups", "P-384"], port
    ):
        ssl = _client_ssl(files["ca.pem"], groups="X25519:P-384")
        hellos: list[int] = []
        ssl.set_msg_callback(
            lambda w, v, ct, data, s: hellos.append(1) if w and ct == 22 and data[0] == 1 else None
        )
        sock = _connect(port, ssl)
        try:
            assert ssl.connect() == 1
            assert ssl.get_negotiated_group() == 24
            assert len(hellos) == 2  # ClientHello, then the retry
            assert ssl.write(b"GET / HTTP/1.0\r\n\r\n") > 0
            assert b"200 ok" in _read_all(ssl)
        finally:
            sock.close()


def test_data_both_ways_with_s_server_echo(files: dict[str, str]) -> None:
    # Without -www, s_server prints what it reads and sends its stdin.
    port = free_port()
    with openssl_server(
        ["-cert", files["server.pem"], "-key", files["server.key"], "-quiet"], port
    ) as proc:
        ssl = _client_ssl(files["ca.pem"])
        sock = _connect(port, ssl)
        try:
            assert ssl.connect() == 1
            assert ssl.write(b"hello openssl\n") > 0
            assert proc.stdout is not None and proc.stdin is not None
            # The readiness probe's connection shows up first as an "ERROR" (an
            # unexpected EOF from s_server's point of view): skip to our line.
            lines = [proc.stdout.readline() for _ in range(1)]
            for _ in range(10):
                if lines[-1] == b"hello openssl\n":
                    break
                lines.append(proc.stdout.readline())
            assert lines[-1] == b"hello openssl\n", lines
            proc.stdin.write(b"hello biokit\n")
            proc.stdin.flush()
            got = b""
            while not got.endswith(b"\n"):
                d = ssl.read(100)
                assert d, ssl.get_error(0)
                got += d
            assert got == b"hello biokit\n"
            assert ssl.shutdown() == 0
        finally:
            sock.close()


def test_verification_fails_against_untrusted_server(
    files: dict[str, str], tmp_path: Path
) -> None:
    other = pki("ec384").write(tmp_path)  # a different CA
    port = free_port()
    with openssl_server(["-cert", files["server.pem"], "-key", files["server.key"]], port):
        ssl = _client_ssl(other["ca.pem"])
        sock = _connect(port, ssl)
        try:
            clear_error()
            r = ssl.connect()
            assert r == -1
            assert ssl.get_error(r) == ErrorCode.SSL
            assert [e.reason_string for e in errors_as_list()][-1] == "certificate verify failed"
            assert ssl.get_verify_result() in (20, 21)
        finally:
            sock.close()


def _serve_once(ssl: SSL, listener: socket.socket, result: dict[str, object]) -> None:
    conn, _ = listener.accept()
    conn.settimeout(10)
    try:
        bio = SocketBIO(conn)
        ssl.set_bio(bio, bio)
        result["accept"] = ssl.accept()
        if result["accept"] == 1:
            data = ssl.read(1000)
            result["data"] = data
            ssl.write(b"echo: " + data)
            ssl.shutdown()
    finally:
        conn.close()


def _bk_server_ssl() -> SSL:
    p = pki("ec256")
    ctx = SSLContext(TLS_server_method())
    ctx.use_certificate(p.server[0])
    ctx.use_PrivateKey(p.server[1])
    return SSL(ctx)


def _s_client(port: int, ca: str, *extra: str, stdin: bytes = b"hi\n") -> tuple[int, str]:
    assert OPENSSL is not None
    proc = subprocess.Popen(
        [OPENSSL, "s_client", "-connect", f"127.0.0.1:{port}", "-servername", "localhost",
         "-CAfile", ca, "-verify_return_error", "-ign_eof", *extra],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        out, _ = proc.communicate(stdin, timeout=20)
    finally:
        kill(proc)
    return proc.returncode, out.decode(errors="replace")


@pytest.mark.parametrize("groups", ["X25519", "P-256", "X448"])
def test_s_client_against_biokit_server(files: dict[str, str], groups: str) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(20)
    port = listener.getsockname()[1]
    ssl = _bk_server_ssl()
    result: dict[str, object] = {}
    t = threading.Thread(target=_serve_once, args=(ssl, listener, result), daemon=True)
    t.start()
    try:
        _rc, out = _s_client(port, files["ca.pem"], "-groups", groups)
    finally:
        t.join(20)
        listener.close()
    assert result.get("accept") == 1, out
    assert result.get("data") == b"hi\n"
    assert "Verify return code: 0 (ok)" in out
    assert "TLSv1.3" in out
    assert "echo: hi" in out


def test_s_client_hrr_against_biokit_server(files: dict[str, str]) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(20)
    port = listener.getsockname()[1]
    ssl = _bk_server_ssl()
    ssl.get_SSL_CTX().set1_groups_list("P-521")
    result: dict[str, object] = {}
    t = threading.Thread(target=_serve_once, args=(ssl, listener, result), daemon=True)
    t.start()
    try:
        _rc, out = _s_client(port, files["ca.pem"], "-groups", "X25519:P-521", "-msg")
    finally:
        t.join(20)
        listener.close()
    assert result.get("accept") == 1, out
    assert out.count("ClientHello") >= 2
    assert ssl.get_negotiated_group() == 25
