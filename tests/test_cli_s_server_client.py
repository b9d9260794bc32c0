"""``biokit s_server`` / ``biokit s_client`` as real processes against openssl and curl.

Every peer is a subprocess on 127.0.0.1.  biokit servers listen on port 0 and
the test reads the port from their ``ACCEPT 127.0.0.1:<port>`` line; openssl
servers get a free port and are waited for through their own ``ACCEPT`` line.
Output is collected by reader threads, every wait has a deadline, and every
process is killed by PID in ``finally``.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import pytest
from peers import OPENSSL, free_port, kill

from biokit.cli.main import main as biokit_main
from biokit.ssl.certgen import cert_to_pem, issue_cert, private_key_to_pem
from biokit.testing import pki

CURL = "/usr/bin/curl" if os.path.exists("/usr/bin/curl") else shutil.which("curl")

pytestmark = pytest.mark.skipif(OPENSSL is None, reason="openssl command not found")

WAIT = 10.0


class Proc:
    """A child process whose stdout and stderr are read into buffers by threads."""

    def __init__(self, args: Sequence[str], cwd: str | None = None) -> None:
        self.args = list(args)
        self.p = subprocess.Popen(
            self.args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            cwd=cwd,
        )
        self.out = bytearray()
        self.err = bytearray()
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._pump, args=(self.p.stdout, self.out), daemon=True),
            threading.Thread(target=self._pump, args=(self.p.stderr, self.err), daemon=True),
        ]
        for t in self._threads:
            t.start()

    def _pump(self, stream: IO[bytes] | None, into: bytearray) -> None:
        assert stream is not None
        fd = stream.fileno()
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                return
            if not chunk:
                return
            with self._lock:
                into += chunk

    def text(self, which: str = "out") -> str:
        with self._lock:
            return bytes(self.out if which == "out" else self.err).decode("utf-8", "replace")

    def wait_for(self, pattern: str, which: str = "out", timeout: float = WAIT) -> re.Match[str]:
        """The first match of ``pattern`` in stdout/stderr, waiting at most ``timeout``."""
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern)
        while True:
            m = rx.search(self.text(which))
            if m is not None:
                return m
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{pattern!r} not seen in {which} of {self.args[:4]} within {timeout}s\n"
                    f"--- stdout:\n{self.text('out')}\n--- stderr:\n{self.text('err')}"
                )
            if self.p.poll() is not None and not any(t.is_alive() for t in self._threads):
                # Exited and everything read: one last look, then give up.
                m = rx.search(self.text(which))
                if m is not None:
                    return m
                raise AssertionError(
                    f"{pattern!r} not seen; {self.args[:4]} exited {self.p.returncode}\n"
                    f"--- stdout:\n{self.text('out')}\n--- stderr:\n{self.text('err')}"
                )
            time.sleep(0.02)

    def send(self, data: bytes) -> None:
        assert self.p.stdin is not None
        self.p.stdin.write(data)
        self.p.stdin.flush()

    def close_stdin(self) -> None:
        if self.p.stdin is not None and not self.p.stdin.closed:
            self.p.stdin.close()

    def finish(self, timeout: float = WAIT) -> int:
        """Wait for the exit (bounded) and for the readers; the exit code."""
        rc = self.p.wait(timeout)
        for t in self._threads:
            t.join(timeout)
        return rc

    def kill(self) -> None:
        kill(self.p)
        for t in self._threads:
            t.join(2)


@contextmanager
def running(args: Sequence[str], cwd: str | None = None) -> Iterator[Proc]:
    proc = Proc(args, cwd)
    try:
        yield proc
    finally:
        proc.kill()


def in_order(text: str, *parts: str) -> None:
    """Assert that ``parts`` occur in ``text`` in this order."""
    pos = 0
    for part in parts:
        i = text.find(part, pos)
        assert i >= 0, f"{part!r} missing after offset {pos} in:\n{text}"
        pos = i + len(part)


def biokit(*args: str) -> list[str]:
    return [sys.executable, "-m", "biokit", *args]


def openssl(*args: str) -> list[str]:
    assert OPENSSL is not None
    return [OPENSSL, *args]


@contextmanager
def biokit_server(*args: str) -> Iterator[tuple[Proc, int]]:
    with running(biokit("s_server", "-accept", "127.0.0.1:0", *args)) as srv:
        port = int(srv.wait_for(r"ACCEPT 127\.0\.0\.1:(\d+)\n").group(1))
        yield srv, port


@contextmanager
def openssl_server(*args: str) -> Iterator[tuple[Proc, int]]:
    port = free_port()
    with running(openssl("s_server", "-accept", f"127.0.0.1:{port}", *args)) as srv:
        srv.wait_for(r"ACCEPT")
        yield srv, port


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    d = tmp_path_factory.mktemp("cli")
    p = pki("ec256")
    paths = p.write(d)
    cert2, key2 = issue_cert(p.ca[0], p.ca[1], "second.example", dns=("second.example",),
                             ips=())
    (d / "second.pem").write_bytes(cert_to_pem(cert2))
    (d / "second.key").write_bytes(private_key_to_pem(key2))
    paths["second.pem"] = str(d / "second.pem")
    paths["second.key"] = str(d / "second.key")
    paths["dir"] = str(d)
    return paths


# ---------------------------------------------------------------- openssl s_client -> biokit


def test_openssl_client_tls13_alpn_data_state_msg(files: dict[str, str]) -> None:
    with biokit_server("-cert", files["server.pem"], "-key", files["server.key"],
                       "-alpn", "http/1.1,h2", "-naccept", "1", "-state", "-msg") as (srv, port):
        with running(openssl("s_client", "-connect", f"127.0.0.1:{port}",
                             "-CAfile", files["ca.pem"], "-verify_return_error",
                             "-alpn", "h2", "-servername", "localhost")) as cli:
            cli.wait_for(r"Verify return code: 0 \(ok\)")
            cli.send(b"hello biokit\n")
            srv.wait_for(r"hello biokit\n")
            srv.send(b"hello openssl\n")
            cli.wait_for(r"hello openssl\n")
            cli.close_stdin()
            assert cli.finish() == 0
        assert srv.finish() == 0
    out, err, cout = srv.text(), srv.text("err"), cli.text()
    assert "New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384" in cout
    assert "ALPN protocol: h2" in cout
    # What s_server prints, in OpenSSL's words.
    assert "ALPN protocols advertised by the client: h2\nALPN protocols selected: h2\n" in out
    assert "\nCIPHER is TLS_AES_256_GCM_SHA384\n" in out
    assert "Shared ciphers:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:" in out
    assert "Secure Renegotiation IS supported\n" in out  # openssl offers the SCSV
    in_order(out, "hello biokit\n", "<<< TLS 1.3, Alert [length 0002], warning close_notify\n",
             "DONE\nshutting down SSL\n", ">>> TLS 1.3, Alert [length 0002], warning "
             "close_notify\n", "CONNECTION CLOSED\n", "   1 server accepts that finished\n")
    # -state: apps_ssl_info_callback lines on stderr.
    assert "SSL_accept:before SSL initialization\n" in err
    assert "SSL_accept:SSLv3/TLS read client hello\n" in err
    assert "SSL_accept:SSLv3/TLS write server hello\n" in err
    assert "SSL3 alert read:warning:close notify\n" in err
    # -msg: msg_cb lines on stdout, header version from the record itself.
    assert "<<< TLS 1.0, RecordHeader [length 0005]\n    16 03 01 " in out
    assert re.search(r"<<< TLS 1\.3, Handshake \[length [0-9a-f]{4}\], ClientHello\n    01 00 ",
                     out)
    assert re.search(r">>> TLS 1\.2, InnerContent \[length 0001\]\n    16\n"
                     r">>> TLS 1\.3, Handshake \[length [0-9a-f]{4}\], EncryptedExtensions\n",
                     out)
    assert "<<< TLS 1.3, Alert [length 0002], warning close_notify\n    01 00\n" in out


def test_openssl_client_tls12(files: dict[str, str]) -> None:
    with biokit_server("-cert", files["server.pem"], "-key", files["server.key"],
                       "-naccept", "1") as (srv, port):
        with running(openssl("s_client", "-connect", f"127.0.0.1:{port}", "-tls1_2",
                             "-CAfile", files["ca.pem"], "-verify_return_error")) as cli:
            cli.wait_for(r"Verify return code: 0 \(ok\)")
            cli.close_stdin()
            assert cli.finish() == 0
        assert srv.finish() == 0
    assert "New, TLSv1.2, Cipher is ECDHE-ECDSA-AES256-GCM-SHA384" in cli.text()
    assert "Secure Renegotiation IS supported" in cli.text()
    assert "\nCIPHER is ECDHE-ECDSA-AES256-GCM-SHA384\n" in srv.text()


def test_client_certificates_required_and_missing(files: dict[str, str]) -> None:
    with biokit_server("-cert", files["server.pem"], "-key", files["server.key"],
                       "-Verify", "2", "-CAfile", files["ca.pem"],
                       "-naccept", "2") as (srv, port):
        with running(openssl("s_client", "-connect", f"127.0.0.1:{port}",
                             "-CAfile", files["ca.pem"], "-cert", files["client.pem"],
                             "-key", files["client.key"])) as cli:
            cli.wait_for(r"Verify return code: 0 \(ok\)")
            cli.send(b"with cert\n")
            srv.wait_for("with cert\n")
            cli.close_stdin()
            assert cli.finish() == 0
        # The server told the client which CAs it accepts (from -CAfile).
        assert "Acceptable client certificate CA names\nCN = biokit test CA, O = biokit\n" \
            in cli.text()
        srv.wait_for(r"ACCEPT 127\.0\.0\.1:\d+\n(?:.|\n)*ACCEPT 127\.0\.0\.1:\d+\n")
        with running(openssl("s_client", "-connect", f"127.0.0.1:{port}",
                             "-CAfile", files["ca.pem"])) as cli2:
            srv.wait_for("peer did not return a certificate", "err")
            cli2.close_stdin()
            cli2.finish()
        assert srv.finish() == 0
    out, err = srv.text(), srv.text("err")
    assert "verify depth is 2, must return a certificate\n" in err
    assert "depth=0 CN = biokit client, O = biokit\nverify return:1\n" in err
    assert "Client certificate\n-----BEGIN CERTIFICATE-----\n" in out
    assert "subject=CN = biokit client, O = biokit\nissuer=CN = biokit test CA, O = biokit\n" \
        in out
    # The refused client: init_ssl_connection's report, OpenSSL's error-queue shape.
    assert re.search(r"ERROR\n[0-9A-F]+:error:0A0000C7:SSL routines:[^:]*:"
                     r"peer did not return a certificate:", err)
    assert "   2 server accepts (SSL_accept())\n   0 server renegotiates (SSL_accept())\n" \
           "   1 server accepts that finished\n" in out


def test_client_certificate_requested_not_required(files: dict[str, str]) -> None:
    port = free_port()
    with running(biokit("s_server", "-accept", f"127.0.0.1:{port}", "-cert",
                        files["server.pem"], "-key", files["server.key"], "-verify", "1",
                        "-CAfile", files["ca.pem"], "-naccept", "1", "-brief")) as srv:
        _wait_listening(port)
        with running(openssl("s_client", "-connect", f"127.0.0.1:{port}",
                             "-CAfile", files["ca.pem"], "-brief")) as cli:
            cli.wait_for("CONNECTION ESTABLISHED", "err")
            cli.send(b"no cert\n")
            srv.wait_for("no cert\n")
            cli.close_stdin()
            assert cli.finish() == 0
        assert srv.finish() == 0
    # -brief: print_ssl_summary on stderr; no client certificate, handshake fine.
    err = srv.text("err")
    assert "Protocol version: TLSv1.3\nCiphersuite: TLS_AES_256_GCM_SHA384\n" in err
    assert "No peer certificate\n" in err
    assert "Client certificate" not in srv.text()


def _wait_listening(port: int) -> None:
    # For -quiet/-brief servers the ACCEPT line goes nowhere: watch the socket
    # table instead of connecting (a probe would be served as a client).
    deadline = time.monotonic() + WAIT
    needle = f":{port:04X} 00000000:0000 0A"
    while time.monotonic() < deadline:
        with open("/proc/net/tcp") as f:
            if needle in f.read():
                return
        time.sleep(0.05)
    raise AssertionError(f"nothing listening on {port}")


def test_sni_picks_second_certificate(files: dict[str, str]) -> None:
    with biokit_server("-cert", files["server.pem"], "-key", files["server.key"],
                       "-servername", "second.example", "-cert2", files["second.pem"],
                       "-key2", files["second.key"], "-naccept", "2") as (srv, port):
        for name, subject in (("second.example", "CN = second.example, O = biokit"),
                              ("other.example", "CN = localhost, O = biokit")):
            with running(openssl("s_client", "-connect", f"127.0.0.1:{port}",
                                 "-servername", name, "-CAfile", files["ca.pem"],
                                 "-verify_return_error")) as cli:
                cli.wait_for(r"Verify return code: 0 \(ok\)")
                cli.close_stdin()
                assert cli.finish() == 0
            assert f"subject={subject}\n" in cli.text()
        assert srv.finish() == 0
    out = srv.text()
    assert 'Hostname in TLS extension: "second.example"\nSwitching server context.\n' in out
    assert 'Hostname in TLS extension: "other.example"\n' in out
    assert out.count("Switching server context.") == 1


def test_curl_fetches_www_page_from_throwaway_certificate(files: dict[str, str],
                                                          tmp_path: Path) -> None:
    if CURL is None:
        pytest.skip("curl not found")
    with biokit_server("-www", "-naccept", "1") as (srv, port):
        err = srv.wait_for(r"-----BEGIN CERTIFICATE-----\n[^-]+-----END CERTIFICATE-----\n",
                           "err")
        assert "no -cert given: using a throwaway self-signed certificate for " \
               "CN = localhost" in srv.text("err")
        ca = tmp_path / "throwaway.pem"
        ca.write_text(err.group(0))
        r = subprocess.run([CURL, "-sS", "--max-time", "10", "--cacert", str(ca),
                            f"https://localhost:{port}/"], capture_output=True, timeout=15)
        assert r.returncode == 0, r.stderr
        assert srv.finish() == 0
    page = r.stdout.decode()
    assert page.startswith('<HTML><BODY BGCOLOR="#ffffff">\n<pre>\n\ns_server -accept '
                           '127.0.0.1:0 -www -naccept 1 \n')
    assert "Ciphers supported in s_server binary\nTLSv1.3    :TLS_AES_256_GCM_SHA384    " in page
    assert "\n---\nNew, TLSv1.3, Cipher is TLS_AES_" in page
    assert "   1 server accepts that finished\n" in page
    assert "no client certificate available\n</pre></BODY></HTML>" in page


def test_curl_www_with_cacert_nbio(files: dict[str, str]) -> None:
    if CURL is None:
        pytest.skip("curl not found")
    with biokit_server("-cert", files["chain.pem"], "-key", files["server.key"],
                       "-www", "-nbio", "-nbio_test", "-naccept", "1") as (srv, port):
        r = subprocess.run([CURL, "-sS", "--max-time", "10", "--cacert", files["ca.pem"],
                            "-D", "-", f"https://localhost:{port}/"],
                           capture_output=True, timeout=15)
        assert r.returncode == 0, r.stderr
        assert srv.finish() == 0
    assert r.stdout.startswith(b"HTTP/1.0 200 ok\r\nContent-type: text/html\r\n\r\n")
    assert b"New, TLSv1.3, Cipher is " in r.stdout


# ---------------------------------------------------------------- biokit s_client -> openssl


def test_biokit_client_www_keylog(files: dict[str, str], tmp_path: Path) -> None:
    keylog = tmp_path / "keys.log"
    with (
        openssl_server("-cert", files["server.pem"], "-key", files["server.key"],
                       "-www") as (_srv, port),
        running(biokit("s_client", "-connect", f"127.0.0.1:{port}",
                       "-CAfile", files["ca.pem"], "-verify_return_error",
                       "-servername", "localhost", "-keylogfile", str(keylog))) as cli,
    ):
        cli.send(b"GET / HTTP/1.0\r\n\r\n")
        cli.wait_for(r"</HTML>")
        cli.wait_for(r"\nclosed\n")
        assert cli.finish() == 0
    out = cli.text()
    assert re.match(r"CONNECTED\([0-9A-F]{8}\)\n---\nCertificate chain\n 0 s:CN = localhost, "
                    r"O = biokit\n   i:CN = biokit test CA, O = biokit\n   a:PKEY: id-ecPublicKey, "
                    r"256 \(bit\); sigalg: ecdsa-with-SHA256\n", out)
    assert "---\nNo client certificate CA names sent\nPeer signing digest: SHA256\n" \
           "Peer signature type: ECDSA\nServer Temp Key: X25519, 253 bits\n---\n" in out
    assert "Verification: OK\n---\nNew, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384\n" \
           "Server public key is 256 bit\nSecure Renegotiation IS NOT supported\n" \
           "Compression: NONE\nExpansion: NONE\nNo ALPN negotiated\nEarly data was not sent\n" \
           "Verify return code: 0 (ok)\n---\n" in out
    assert "---\nPost-Handshake New Session Ticket arrived:\nSSL-Session:\n" \
           "    Protocol  : TLSv1.3\n" in out
    assert "HTTP/1.0 200 ok\r\n" in out
    assert "depth=1 CN = biokit test CA, O = biokit\nverify return:1\n" in cli.text("err")
    lines = keylog.read_text().splitlines()
    assert lines[0] == "# SSL/TLS secrets log file, generated by OpenSSL"
    labels = {ln.split()[0] for ln in lines[1:]}
    assert labels == {"CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
                      "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0", "EXPORTER_SECRET"}


def test_biokit_client_data_both_ways_and_key_update(files: dict[str, str]) -> None:
    with (
        openssl_server("-cert", files["server.pem"], "-key", files["server.key"],
                       "-msg") as (srv, port),
        running(biokit("s_client", "-connect", f"127.0.0.1:{port}",
                       "-CAfile", files["ca.pem"], "-msg")) as cli,
    ):
        cli.wait_for(r"Verify return code: 0 \(ok\)")
        # One write: the K must still go after "before" and before "after".
        cli.send(b"before\nK\nafter\n")
        srv.wait_for(r"after\n")
        srv.send(b"from openssl\n")
        cli.wait_for(r"from openssl\n")
        cli.send(b"k\n")
        cli.wait_for(r">>> TLS 1\.3, Handshake \[length 0005\], KeyUpdate\n"
                     r"    18 00 00 01 00\n")
        cli.close_stdin()
        assert cli.finish() == 0
        srv.wait_for(r"shutting down SSL\n")
    sout = srv.text()
    before, after = sout.index("before\n"), sout.index("after\n")
    ku_in = sout.index("<<< TLS 1.3, Handshake [length 0005], KeyUpdate\n    18 00 00 01 01\n")
    assert before < ku_in < after
    # update_requested: openssl answers with its own KeyUpdate (not requesting one).
    assert ">>> TLS 1.3, Handshake [length 0005], KeyUpdate\n    18 00 00 01 00\n" in sout
    assert "<<< TLS 1.3, Handshake [length 0005], KeyUpdate\n    18 00 00 01 00\n" in sout
    cerr, cout = cli.text("err"), cli.text()
    assert cerr.count("KEYUPDATE\n") == 2
    assert "DONE\n" in cerr
    assert "<<< TLS 1.3, Handshake [length 0005], KeyUpdate\n    18 00 00 01 00\n" in cout


def test_verify_failure_exit_codes(files: dict[str, str]) -> None:
    # The server sends no chain: without the CA the client cannot build a path.
    with openssl_server("-cert", files["server.pem"], "-key", files["server.key"],
                        "-www") as (_srv, port):
        bad = subprocess.run(
            biokit("s_client", "-connect", f"127.0.0.1:{port}", "-verify_return_error",
                   "-no-CAfile", "-no-CApath"),
            stdin=subprocess.DEVNULL, capture_output=True, timeout=WAIT)
        soft = subprocess.run(
            biokit("s_client", "-connect", f"127.0.0.1:{port}", "-no-CAfile", "-no-CApath"),
            stdin=subprocess.DEVNULL, capture_output=True, timeout=WAIT)
    err = bad.stderr.decode()
    assert bad.returncode == 1
    assert "depth=0 CN = localhost, O = biokit\n" \
           "verify error:num=20:unable to get local issuer certificate\n" in err
    assert "verify return:" not in err
    assert re.search(r"\n[0-9A-F]+:error:0A000086:SSL routines:[^:]*:certificate verify failed:",
                     "\n" + err)
    out = bad.stdout.decode()
    assert "Verification error: unable to get local issuer certificate\n" in out
    assert "Verify return code: 20 (unable to get local issuer certificate)\n" in out
    # Without -verify_return_error the failures are reported and overridden, and
    # the result is the last error -- word for word what openssl s_client 3.0 says.
    assert soft.returncode == 0
    assert soft.stderr.decode() == (
        "depth=0 CN = localhost, O = biokit\n"
        "verify error:num=20:unable to get local issuer certificate\n"
        "verify return:1\n"
        "depth=0 CN = localhost, O = biokit\n"
        "verify error:num=21:unable to verify the first certificate\n"
        "verify return:1\n"
        "depth=0 CN = localhost, O = biokit\n"
        "verify return:1\n"
        "DONE\n"
    )
    sout = soft.stdout.decode()
    assert "Verification error: unable to verify the first certificate\n" in sout
    assert "Verify return code: 21 (unable to verify the first certificate)\n" in sout


@pytest.mark.parametrize(("version", "cipher"), [
    ("-tls1_3", "TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384"),
    ("-tls1_2", "TLSv1.2, Cipher is ECDHE-ECDSA-AES256-GCM-SHA384"),
])
def test_session_out_and_in_resume(files: dict[str, str], tmp_path: Path, version: str,
                                   cipher: str) -> None:
    sess = tmp_path / "sess.pem"
    with openssl_server("-cert", files["server.pem"], "-key", files["server.key"],
                        "-www") as (_srv, port):
        outs = []
        for flag in ("-sess_out", "-sess_in"):
            with running(biokit("s_client", "-connect", f"127.0.0.1:{port}", "-CAfile",
                                files["ca.pem"], version, flag, str(sess))) as cli:
                cli.send(b"GET / HTTP/1.0\r\n\r\n")
                cli.wait_for(r"\nclosed\n")
                assert cli.finish() == 0
            outs.append(cli.text())
    assert f"\n---\nNew, {cipher}\n" in outs[0]
    assert f"\n---\nReused, {cipher}\n" in outs[1]
    assert sess.read_text().startswith("-----BEGIN BIOKIT SSL SESSION PARAMETERS-----\n")
    if version == "-tls1_2":
        # SSL_SESSION_print for TLS 1.2: the master secret, extended (RFC 7627).
        assert "    Master-Key: " in outs[0]
        assert "    Extended master secret: yes\n---\n" in outs[0]
    else:
        assert "    Resumption PSK: " in outs[0]
        assert "    Extended master secret: no\n    Max Early Data: 0\n" in outs[0]


# ---------------------------------------------------------------- biokit <-> biokit


def test_biokit_both_sides_nbio_and_nbio_test(files: dict[str, str]) -> None:
    with biokit_server("-cert", files["server.pem"], "-key", files["server.key"],
                       "-nbio", "-nbio_test", "-naccept", "1") as (srv, port):
        with running(biokit("s_client", "-connect", f"127.0.0.1:{port}", "-nbio",
                            "-nbio_test", "-CAfile", files["ca.pem"], "-verify_return_error",
                            "-servername", "localhost", "-verify_hostname",
                            "localhost")) as cli:
            cli.wait_for(r"Verify return code: 0 \(ok\)")
            payload = b"".join(b"line %03d through nbio_test\n" % i for i in range(40))
            cli.send(payload)
            srv.wait_for(r"line 039 through nbio_test\n")
            srv.send(b"and back again\n")
            cli.wait_for(r"and back again\n")
            cli.close_stdin()
            assert cli.finish() == 0
        assert srv.finish() == 0
    out = srv.text()
    # The test BIO's short reads make SSL_read ask to retry now and then: s_server
    # says "Read BLOCK" between the pieces; the bytes themselves arrive intact.
    assert payload.decode() in out.replace("Read BLOCK\n", "")
    assert "DELAY\n" in out  # SSL_accept asked to retry at least once
    assert "turning on non blocking io\n" in srv.text("err")
    cout = cli.text()
    assert "Turned on non blocking io\n" in cout
    assert "Verified peername: localhost\n" in cout
    assert "\nDONE\nshutting down SSL\nCONNECTION CLOSED\n" in out


def test_biokit_rev_mode(files: dict[str, str]) -> None:
    with biokit_server("-cert", files["server.pem"], "-key", files["server.key"], "-rev",
                       "-naccept", "1") as (srv, port):
        with running(biokit("s_client", "-connect", f"127.0.0.1:{port}", "-CAfile",
                            files["ca.pem"])) as cli:
            cli.wait_for(r"Verify return code: 0 \(ok\)")
            cli.send(b"hello world\n")
            cli.wait_for("dlrow olleh\n")
            cli.send(b"CLOSE\n")  # the server's close_notify ends the client: exit 0
            cli.wait_for("\nclosed\n")
            assert cli.finish() == 0
        assert srv.finish() == 0
    err = srv.text("err")
    assert "CONNECTION ESTABLISHED\nProtocol version: TLSv1.3\n" in err
    assert err.endswith("CONNECTION CLOSED\n")


def test_biokit_echo_mode(files: dict[str, str]) -> None:
    with biokit_server("-cert", files["server.pem"], "-key", files["server.key"], "-echo",
                       "-naccept", "1") as (srv, port):
        with running(biokit("s_client", "-connect", f"127.0.0.1:{port}", "-CAfile",
                            files["ca.pem"])) as cli:
            cli.wait_for(r"Verify return code: 0 \(ok\)")
            cli.send(b"same again\n")
            cli.wait_for("\nsame again\n")
            cli.close_stdin()
            assert cli.finish() == 0
        assert srv.finish() == 0
    assert "shutting down SSL\nCONNECTION CLOSED\n" in srv.text()


# ---------------------------------------------------------------- in-process: options, errors


def _run(capfdbinary: pytest.CaptureFixture[bytes], *argv: str) -> tuple[int, str, str]:
    rc = biokit_main(list(argv))
    cap = capfdbinary.readouterr()
    return rc, cap.out.decode(), cap.err.decode()


def test_option_errors_in_openssl_words(capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    rc, out, err = _run(capfdbinary, "s_client", "-bogus")
    assert (rc, out, err) == (1, "", "s_client: Unknown option: -bogus\n"
                                     "s_client: Use -help for summary.\n")
    rc, out, err = _run(capfdbinary, "s_server", "-accept")
    assert (rc, err) == (1, "s_server: Option -accept needs a value\n"
                            "s_server: Use -help for summary.\n")
    rc, out, err = _run(capfdbinary, "s_server", "-naccept", "x")
    assert (rc, err) == (1, 's_server: Can\'t parse "x" as a number\n'
                            "s_server: Use -help for summary.\n")
    rc, out, err = _run(capfdbinary, "s_server", "-naccept", "0")
    assert rc == 1 and 'Non-positive number "0" for option -naccept' in err
    rc, out, err = _run(capfdbinary, "s_client", "-help")
    assert rc == 0
    assert err.startswith("Usage: s_client [options] [host:port]\n\nGeneral options:\n"
                          " -help                      Display this summary\n")
    assert " -nbio_test                 More ssl protocol testing\n" in err
    rc, out, err = _run(capfdbinary, "s_client", "a:1", "b:2")
    assert (rc, err) == (1, 's_client: Extra option: "b:2"\ns_client: Use -help for summary.\n')


def test_port_is_accept_with_a_port_alone(capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    # apps/s_server.c: -port N clears the host, exactly as -accept N does, and the
    # last of the two wins.  Only the default differs from OpenSSL (loopback).
    from biokit.bio import NullBIO
    from biokit.cli.common import parse_options
    from biokit.cli.s_server import _SECTIONS, accept_spec

    cases = [
        ((), "127.0.0.1:4433"),
        (("-port", "5000"), "5000"),
        (("-accept", "5000"), "5000"),
        (("-accept", "127.0.0.1:6000"), "127.0.0.1:6000"),
        (("-accept", "127.0.0.1:6000", "-port", "5000"), "5000"),
        (("-port", "5000", "-accept", "127.0.0.1:6000"), "127.0.0.1:6000"),
        (("-port", "5000", "-accept", "[::1]:6000", "-port", "7000"), "7000"),
    ]
    for argv, spec in cases:
        opts = parse_options("s_server", _SECTIONS, argv, NullBIO())
        assert not isinstance(opts, int)
        assert accept_spec(opts) == spec, argv
    rc, _, err_text = _run(capfdbinary, "s_server", "-help")
    assert rc == 0
    assert " -port +int                 TCP/IP port to listen on, on all addresses " \
           "(= -accept PORT)\n" in err_text
    assert " -accept val                TCP/IP [host:]port to listen on; a port alone means " \
           "all addresses (default is 127.0.0.1:4433, loopback only, where OpenSSL's is " \
           "*:4433)\n" in err_text


def test_port_listens_on_all_addresses(files: dict[str, str]) -> None:
    port = free_port()
    with running(biokit("s_server", "-port", str(port), "-cert", files["server.pem"],
                        "-key", files["server.key"], "-naccept", "1")) as srv:
        srv.wait_for(rf"ACCEPT 0\.0\.0\.0:{port}\n")
        with running(openssl("s_client", "-connect", f"127.0.0.1:{port}",
                             "-CAfile", files["ca.pem"], "-verify_return_error")) as cli:
            cli.wait_for(r"Verify return code: 0 \(ok\)")
            cli.close_stdin()
            assert cli.finish() == 0
        assert srv.finish() == 0


def test_bad_settings_fail_like_ssl_conf(capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    rc, _, err = _run(capfdbinary, "s_client", "-groups", "nosuchgroup", "-connect", "x:1")
    assert (rc, err) == (1, 'Error with command: "-groups nosuchgroup"\n')
    rc, _, err = _run(capfdbinary, "s_client", "-ciphersuites", "TLS_NOPE", "-connect", "x:1")
    assert rc == 1
    assert err.startswith('Error with command: "-ciphersuites TLS_NOPE"\n')
    assert ":error:0A0000B9:SSL routines:" in err  # no cipher match, on the queue
    rc, _, err = _run(capfdbinary, "s_client", "-alpn", "h2,,x", "-connect", "x:1")
    assert (rc, err) == (1, "Error parsing -alpn argument\n")
    rc, _, err = _run(capfdbinary, "s_server", "-cert", "/nonexistent/cert.pem")
    assert rc == 1
    assert err.startswith("Could not open file or uri for loading server certificate private "
                          "key from /nonexistent/cert.pem\n")
    assert ":error:80000002:system library:" in err


def test_connection_refused(capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    port = free_port()
    rc, out, err = _run(capfdbinary, "s_client", "-connect", f"127.0.0.1:{port}")
    assert rc == 1
    assert out == ""
    assert re.search(r"^[0-9A-F]+:error:8000006F:system library:[^:]*:Connection refused:",
                     err, re.M)
    assert re.search(r":error:10000067:BIO routines:[^:]*:connect error:", err)
    assert err.endswith("connect:errno=111\n")


def test_ctrl_c_stops_server_cleanly(files: dict[str, str]) -> None:
    with biokit_server("-cert", files["server.pem"], "-key", files["server.key"]) as (srv, _):
        os.kill(srv.p.pid, signal.SIGINT)
        assert srv.finish() == 130
    assert "Traceback" not in srv.text("err")


def test_trace_decodes_hellos(files: dict[str, str]) -> None:
    with biokit_server("-cert", files["server.pem"], "-key", files["server.key"],
                       "-naccept", "1", "-alpn", "h2") as (srv, port):
        with running(biokit("s_client", "-connect", f"127.0.0.1:{port}", "-CAfile",
                            files["ca.pem"], "-trace", "-alpn", "h2", "-servername",
                            "foo.example")) as cli:
            cli.wait_for(r"Verify return code: 0 \(ok\)")
            cli.close_stdin()
            assert cli.finish() == 0
        assert srv.finish() == 0
    out = cli.text()
    assert "Sent Record\nHeader:\n  Version = TLS 1.0 (0x301)\n  Content Type = Handshake (22)\n" \
        in out
    assert "    ClientHello, Length=" in out
    assert "      client_version=0x303 (TLS 1.2)\n      Random:\n        gmt_unix_time=0x" in out
    assert "        {0x13, 0x02} TLS_AES_256_GCM_SHA384\n" in out
    assert "        extension_type=server_name(0), length=16\n" \
           "          0000 - 00 0e 00 00 0b 66 6f 6f-2e 65 78 61 6d 70 6c   .....foo.exampl\n" \
           "          000f - 65                                             e\n" in out
    assert "        extension_type=application_layer_protocol_negotiation(16), length=5\n" \
           "          h2\n" in out
    assert "            NamedGroup: ecdh_x25519 (29)\n" in out
    assert "Received Record\nHeader:\n  Version = TLS 1.2 (0x303)\n" in out
    assert "  Inner Content Type = Handshake (22)\n    EncryptedExtensions, Length=" in out
    assert "        ASN.1Cert, length=" in out and "------details-----\nCertificate:\n" in out
    assert "      Signature Algorithm: ecdsa_secp256r1_sha256 (0x0403)\n" in out
    assert "    Finished, Length=48\n      verify_data (len=48): " in out
    assert "    Level=warning(1), description=close notify(0)\n" in out


def test_trace_tls12_key_exchange_and_client_certificate(files: dict[str, str]) -> None:
    with (
        openssl_server("-cert", files["server.pem"], "-key", files["server.key"], "-www",
                       "-verify", "1", "-CAfile", files["ca.pem"]) as (_srv, port),
        running(biokit("s_client", "-connect", f"127.0.0.1:{port}", "-tls1_2", "-trace",
                       "-CAfile", files["ca.pem"], "-cert", files["client.pem"],
                       "-key", files["client.key"])) as cli,
    ):
        cli.send(b"GET / HTTP/1.0\r\n\r\n")
        cli.wait_for(r"\nclosed\n")
        assert cli.finish() == 0
    out = cli.text()
    assert "    ServerKeyExchange, Length=" in out
    assert "      KeyExchangeAlgorithm=ECDHE\n        named_curve: ecdh_x25519 (29)\n" \
           "        point (len=32): " in out
    assert "    CertificateRequest, Length=" in out
    assert "      certificate_authorities (len=46)\n" \
           "        DistinguishedName (len=44): CN = biokit test CA, O = biokit\n" in out
    assert "    ServerHelloDone, Length=0\n" in out
    assert "    ClientKeyExchange, Length=33\n      KeyExchangeAlgorithm=ECDHE\n" \
           "        ecdh_Yc (len=32): " in out
    assert "    Finished, Length=12\n      verify_data (len=12): " in out
    # print_stuff's view of the same CertificateRequest.
    assert "---\nAcceptable client certificate CA names\nCN = biokit test CA, O = biokit\n" \
           "Client Certificate Types: RSA sign, DSA sign, ECDSA sign\n" \
           "Requested Signature Algorithms: ECDSA+SHA256:" in out
    # The server's page shows it received our certificate.
    assert "Client certificate\n" in out


# ---------------------------------------------------------------- info and verify callback order


def test_state_lines_and_verify_lines_interleave_as_in_openssl() -> None:
    # `openssl s_client -state` (3.0) prints, in this order:
    #   SSL_connect:TLSv1.3 read encrypted extensions
    #   depth=0 ...            <- the verify callback
    #   SSL_connect:SSLv3/TLS read server certificate
    # OpenSSL verifies the chain while post-processing the Certificate message and
    # announces the "read server certificate" state only when it loops round to
    # read the next message.  biokit's info events keep that order.
    from biokit.ssl import InfoWhere
    from biokit.testing import tls_pair

    pair = tls_pair(connect=False)
    seen: list[str] = []

    def info(ssl: object, where: int, ret: int) -> None:
        if where & InfoWhere.LOOP:
            seen.append(pair.client.state_string_long())

    def verify(ok: bool, store: object) -> bool:
        seen.append("verify")
        return ok

    pair.client.set_info_callback(info)
    pair.client.set_verify(1, verify)
    pair.handshake()
    # One verify call per certificate of the chain (tls_pair's server has a leaf and its CA).
    assert seen == [
        "before SSL initialization",
        "SSLv3/TLS write client hello",
        "SSLv3/TLS write client hello",
        "SSLv3/TLS read server hello",
        "TLSv1.3 read encrypted extensions",
        "verify",
        "verify",
        "SSLv3/TLS read server certificate",
        "TLSv1.3 read server certificate verify",
        "SSLv3/TLS read finished",
        "SSLv3/TLS write change cipher spec",
        "SSLv3/TLS write finished",
    ]
