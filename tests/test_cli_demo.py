"""``biokit demo``: the story it tells over a BIO pair, blocking and nonblocking sockets.

The demo runs in process through ``biokit.cli.main.main`` with stdout captured.
Its output is parsed back into calls -- who, which function, the return value,
what ``SSL_get_error`` said -- and the lines printed under each call (bytes and
messages moved, data read, the state the handshake stopped in), so that the
assertions are about what the demo teaches, not about its layout.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest

from biokit.cli.demo import REPLY_SIZE, reply_bytes
from biokit.cli.main import main as biokit_main

pytestmark = pytest.mark.timeout(60)

_CALL = re.compile(
    r"^\[\s*(\d+)\] (client|server)\s+(SSL_\w+\(.*?\)) = (-?\d+)"
    r"(?:   SSL_get_error\(\) = SSL_ERROR_(\w+))?$"
)
_INDENT = " " * 13


@dataclass
class Call:
    step: int
    who: str
    call: str
    ret: int
    error: str | None  # None: SSL_get_error() was (rightly) not asked
    lines: list[str] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str, int, str | None]:
        return (self.who, self.call, self.ret, self.error)

    def io(self) -> list[tuple[str, int, str]]:
        """The ``read``/``wrote`` lines: (verb, bytes, what)."""
        out = []
        for line in self.lines:
            m = re.match(r"(read|wrote)\s+(\d+) bytes: (.*)$", line)
            if m:
                out.append((m.group(1), int(m.group(2)), m.group(3)))
        return out

    def state(self) -> str | None:
        for line in self.lines:
            if line.startswith("state: "):
                return line[len("state: "):]
        return None

    def data(self) -> str | None:
        for line in self.lines:
            if line.startswith("data: "):
                return line[len("data: "):]
        return None


def run_demo(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    rc = biokit_main(["demo", *args])
    return rc, capsys.readouterr().out


def parse(out: str) -> list[Call]:
    calls: list[Call] = []
    for raw in out.splitlines():
        m = _CALL.match(raw)
        if m:
            calls.append(Call(int(m.group(1)), m.group(2), m.group(3), int(m.group(4)),
                              m.group(5)))
        elif calls and raw.startswith(_INDENT + " " * 19):
            calls[-1].lines[-1] += " " + raw.strip()  # a wrapped message list
        elif calls and raw.startswith(_INDENT) and raw.strip():
            calls[-1].lines.append(raw.strip())
    assert [c.step for c in calls] == list(range(1, len(calls) + 1))
    return calls


REQUEST_CALL = "SSL_write(b'GET / HTTP/1.0\\r\\n\\r\\n')"
REPLY_CALL = f"SSL_write(<{REPLY_SIZE} bytes>)"
READ = "SSL_read(16384)"
FLIGHT = "ServerHello, ChangeCipherSpec, EncryptedExtensions, Certificate, CertificateVerify, " \
         "Finished"
# TLS 1.3 with TLS_AES_256_GCM_SHA384: 5-byte header + data + 1 inner type + 16 tag.
REQUEST_WIRE = 5 + 18 + 1 + 16
CLOSE_NOTIFY_WIRE = 5 + 2 + 1 + 16
RECORD_WIRE = [5 + n + 17 for n in (16384, 16384, REPLY_SIZE - 2 * 16384)]

SHUTDOWN = [
    ("client", "SSL_shutdown()", 0, None),
    ("server", READ, 0, "ZERO_RETURN"),
    ("server", "SSL_shutdown()", 1, "NONE"),
    ("client", "SSL_shutdown()", 1, "NONE"),
]


def split(calls: list[Call]) -> tuple[list[Call], list[Call], list[Call], list[Call]]:
    """The calls of the handshake, the request, the reply and the shutdown (each
    side works through these in order; the two sides' calls may interleave)."""
    parts: tuple[list[Call], list[Call], list[Call], list[Call]] = ([], [], [], [])
    server_has_request = False
    for c in calls:
        if c.call in ("SSL_accept()", "SSL_connect()"):
            parts[0].append(c)
        elif c.call == REQUEST_CALL or (c.who == "server" and c.call == READ
                                        and not server_has_request):
            parts[1].append(c)
            server_has_request = server_has_request or (c.who == "server" and c.ret > 0)
        elif c.call == REPLY_CALL or (c.who == "client" and c.call == READ):
            parts[2].append(c)
        else:
            parts[3].append(c)
    return parts


def check_shutdown(calls: list[Call], out: str) -> None:
    # Pair and --nbio: a side may come too early, and is told to wait for a read.
    waits = [c for c in calls if c.ret < 0]
    assert all(c.error == "WANT_READ" and c.lines[-1] == "(no bytes moved)" for c in waits)
    done = [c for c in calls if c.ret >= 0]
    assert [c.key for c in done] == SHUTDOWN
    assert [c.io() for c in done] == [
        [("wrote", CLOSE_NOTIFY_WIRE, "Alert(close_notify)")],
        [("read", CLOSE_NOTIFY_WIRE, "Alert(close_notify)")],
        [("wrote", CLOSE_NOTIFY_WIRE, "Alert(close_notify)")],
        [("read", CLOSE_NOTIFY_WIRE, "Alert(close_notify)")],
    ]
    # SSL_shutdown(3): a 0 is no error and SSL_get_error() must not be asked about it.
    assert done[0].lines[0] == ("(close_notify sent, the peer's not received yet: no error, "
                                "so no SSL_get_error())")
    assert done[1].lines[0] == "(the peer's close_notify: a clean end)"
    assert done[2].lines[0] == done[3].lines[0] == "(both close_notify alerts done)"
    assert "\nShutdown, both directions:\n" in out
    assert "\nClean shutdown: each side sent and received close_notify.\n" in out


def check_handshake_summary(out: str, calls: int) -> None:
    assert (f"Both returned 1 after {calls} calls: TLSv1.3, TLS_AES_256_GCM_SHA384;\n"
            "the client verified the server: verify result 0 (ok), peer CN = localhost, "
            "O = biokit\n") in out


def check_request(calls: list[Call]) -> None:
    write, read = calls
    assert write.key == ("client", REQUEST_CALL, 18, "NONE")
    assert write.io() == [("wrote", REQUEST_WIRE, "application data")]
    assert read.key == ("server", READ, 18, "NONE")
    assert read.io() == [("read", REQUEST_WIRE, "application data")]
    assert read.data() == "b'GET / HTTP/1.0\\r\\n\\r\\n'"


def test_reply_is_bigger_than_any_transport_buffer() -> None:
    reply = reply_bytes()
    assert len(reply) == REPLY_SIZE == 40000
    assert reply.startswith(b"HTTP/1.0 200 ok\r\n\r\nhello from biokit")


def test_pair(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out = run_demo(capsys)
    assert rc == 0
    assert out.startswith("biokit demo -- SSL_accept() and SSL_connect(), call by call\n\n"
                          "Made a throwaway self-signed certificate for CN = localhost, "
                          "O = biokit\n")
    assert "A BIO pair joins them: two bounded buffers of 17408 bytes, one each way.\n" in out
    calls = parse(out)
    # A BIO pair is deterministic: the same calls and answers on every run.  The two
    # sides take turns, server first; a side that was told to wait runs again only
    # when the pair can move bytes for it.
    assert [c.key for c in calls] == [
        ("server", "SSL_accept()", -1, "WANT_READ"),
        ("client", "SSL_connect()", -1, "WANT_READ"),
        ("server", "SSL_accept()", -1, "WANT_READ"),
        ("client", "SSL_connect()", 1, "NONE"),
        ("server", "SSL_accept()", 1, "NONE"),
        ("client", REQUEST_CALL, 18, "NONE"),
        ("server", READ, 18, "NONE"),
        ("client", READ, -1, "WANT_READ"),
        ("server", REPLY_CALL, -1, "WANT_WRITE"),
        ("client", READ, 16384, "NONE"),
        ("server", REPLY_CALL, -1, "WANT_WRITE"),
        ("client", READ, 16384, "NONE"),
        ("server", REPLY_CALL, REPLY_SIZE, "NONE"),
        ("client", READ, REPLY_SIZE - 2 * 16384, "NONE"),
        ("server", READ, -1, "WANT_READ"),
        SHUTDOWN[0],
        SHUTDOWN[1],
        ("client", "SSL_shutdown()", -1, "WANT_READ"),
        SHUTDOWN[2],
        SHUTDOWN[3],
    ]
    hs, request, reply, shutdown = split(calls)
    assert [c.state() for c in hs] == [
        "before SSL initialization",
        "SSLv3/TLS write client hello",
        "TLSv1.3 early data",
        "SSL negotiation finished successfully",
        "SSL negotiation finished successfully",
    ]
    assert hs[0].lines[0] == "(no bytes moved)"
    ch = hs[1].io()
    assert [(v, w) for v, _, w in ch] == [("wrote", "ClientHello")]
    assert [(v, w) for v, _, w in hs[2].io()] == [("read", "ClientHello"), ("wrote", FLIGHT)]
    assert [(v, w) for v, _, w in hs[3].io()] == [("read", FLIGHT),
                                                   ("wrote", "ChangeCipherSpec, Finished")]
    assert [(v, w) for v, _, w in hs[4].io()] == [("read", "ChangeCipherSpec, Finished"),
                                                   ("wrote", "NewSessionTicket x2")]
    # What one side wrote is exactly what the other read.
    assert ch[0][1] == hs[2].io()[0][1]
    assert hs[2].io()[1][1] == hs[3].io()[0][1]
    assert hs[3].io()[1][1] == hs[4].io()[0][1]
    tickets = hs[4].io()[1][1]
    check_handshake_summary(out, 5)
    check_request(request)
    # The client's first read finds only the tickets; the server's reply then fills
    # the pair, and every read of the client makes room for the next write.
    assert reply[1].lines[0] == "(what did not fit is kept: call again with the same buffer)"
    assert [c.io() for c in reply] == [
        [("read", tickets, "NewSessionTicket x2")],
        [("wrote", 17408, "application data, part of application data")],
        [("read", RECORD_WIRE[0], "application data")],
        [("wrote", RECORD_WIRE[0], "rest of application data, part of application data")],
        [("read", RECORD_WIRE[1], "application data")],
        [("wrote", sum(RECORD_WIRE) - 17408 - RECORD_WIRE[0], "rest of application data")],
        [("read", RECORD_WIRE[2], "application data")],
    ]
    assert reply[2].data() == "b'HTTP/1.0 200 ok\\r\\n\\r\\nhello'... (16384 bytes)"
    assert f"\nThe client has all {REPLY_SIZE} bytes of the reply.\n" in out
    check_shutdown(shutdown, out)
    assert out.endswith("20 calls; SSL_get_error() asked to wait 8 times: "
                        "WANT_READ 6, WANT_WRITE 2.\n")


def test_blocking(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out = run_demo(capsys, "--blocking")
    assert rc == 0
    # A blocking BIO never asks to retry: no WANT_* anywhere, one call per job.
    assert "WANT_" not in out
    assert "select()" not in out
    calls = parse(out)
    assert [c.key for c in calls] == [
        ("server", "SSL_accept()", 1, "NONE"),
        ("client", "SSL_connect()", 1, "NONE"),
        ("client", REQUEST_CALL, 18, "NONE"),
        ("server", READ, 18, "NONE"),
        ("server", REPLY_CALL, REPLY_SIZE, "NONE"),
        ("client", READ, 16384, "NONE"),
        ("client", READ, 16384, "NONE"),
        ("client", READ, REPLY_SIZE - 2 * 16384, "NONE"),
        *SHUTDOWN,
    ]
    accept, connect = calls[:2]
    one_call = "(one call: where a nonblocking BIO would return -1, it waited in the socket)"
    assert accept.lines[0] == connect.lines[0] == one_call
    # The whole handshake inside one SSL_accept(): it read, wrote, waited, read, wrote.
    assert [(v, w) for v, _, w in accept.io()] == [
        ("read", "ClientHello"), ("wrote", FLIGHT), ("read", "ChangeCipherSpec, Finished"),
        ("wrote", "NewSessionTicket x2")]
    assert [(v, w) for v, _, w in connect.io()] == [
        ("wrote", "ClientHello"), ("read", FLIGHT), ("wrote", "ChangeCipherSpec, Finished")]
    assert [a[1] for a in accept.io()[:3]] == [b[1] for b in connect.io()]
    assert accept.state() == connect.state() == "SSL negotiation finished successfully"
    tickets = accept.io()[3][1]
    check_handshake_summary(out, 2)
    hs, request, reply, shutdown = split(calls)
    assert hs == calls[:2] and request == calls[2:4] and reply == calls[4:8]
    check_request(request)
    # One SSL_write of the whole reply, although the socket holds far less.
    assert calls[4].lines[0] == one_call
    assert calls[4].io() == [("wrote", sum(RECORD_WIRE), "application data x3")]
    assert [c.io() for c in calls[5:8]] == [
        [("read", tickets + RECORD_WIRE[0], "NewSessionTicket x2, application data")],
        [("read", RECORD_WIRE[1], "application data")],
        [("read", RECORD_WIRE[2], "application data")],
    ]
    assert f"\nThe client has all {REPLY_SIZE} bytes of the reply.\n" in out
    assert [c.key for c in shutdown] == SHUTDOWN
    check_shutdown(shutdown, out)
    assert out.endswith("12 calls, each returned when its work was done: the BIO\n"
                        "never asked to retry, so no call had to be repeated.\n")


def test_nbio(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out = run_demo(capsys, "--nbio")
    assert rc == 0
    calls = parse(out)
    # How the kernel cuts the bytes varies; the meaning of every answer does not.
    for c in calls:
        if c.ret < 0:
            assert c.error in ("WANT_READ", "WANT_WRITE"), c
        elif c.ret > 0:
            assert c.error == "NONE", c
    errors = [c.error for c in calls]
    assert "WANT_READ" in errors and "WANT_WRITE" in errors
    assert re.search(r"\n     select\(\) -> (client|server) (readable|writable)", out)

    hs, request, reply, shutdown = split(calls)
    assert hs[0].key == ("server", "SSL_accept()", -1, "WANT_READ")
    assert hs[0].state() == "before SSL initialization"
    assert [c.key for c in hs if c.ret == 1] == [("client", "SSL_connect()", 1, "NONE"),
                                                 ("server", "SSL_accept()", 1, "NONE")]
    assert hs[-1].key == ("server", "SSL_accept()", 1, "NONE")
    assert all(c.state() for c in hs)
    check_handshake_summary(out, len(hs))
    check_request([c for c in request if c.ret > 0])
    assert all(c.key == ("server", READ, -1, "WANT_READ") for c in request if c.ret < 0)

    assert f"\nApplication data: a reply of {REPLY_SIZE} bytes, more than the transport " \
           "holds at once:\n" in out
    writes = [c for c in reply if c.who == "server"]
    reads = [c for c in reply if c.who == "client"]
    # The socket (8 KiB) cannot take the 40066-byte reply at once.
    assert writes[0].key == ("server", REPLY_CALL, -1, "WANT_WRITE")
    assert writes[-1].key == ("server", REPLY_CALL, REPLY_SIZE, "NONE")
    assert all(c.ret == -1 for c in writes[:-1])
    assert sum(n for c in writes for _, n, _ in c.io()) == sum(RECORD_WIRE)
    assert [c.ret for c in reads if c.ret > 0] == [16384, 16384, REPLY_SIZE - 2 * 16384]
    assert all(c.ret == -1 for c in reads if c.ret <= 0)
    assert f"\nThe client has all {REPLY_SIZE} bytes of the reply.\n" in out
    check_shutdown(shutdown, out)
    m = re.search(r"\n(\d+) calls; SSL_get_error\(\) asked to wait (\d+) times: "
                  r"WANT_READ (\d+), WANT_WRITE (\d+)\.\n$", out)
    assert m is not None
    assert int(m.group(1)) == len(calls)
    assert int(m.group(3)) == errors.count("WANT_READ")
    assert int(m.group(4)) == errors.count("WANT_WRITE")
    assert int(m.group(2)) == int(m.group(3)) + int(m.group(4))


def test_small_pair_makes_the_handshake_wait_for_writes(
        capsys: pytest.CaptureFixture[str]) -> None:
    rc, out = run_demo(capsys, "--pair-size", "256")
    assert rc == 0
    calls = parse(out)
    hs, _, _, shutdown = split(calls)
    # The server's first flight (~830 bytes) cannot fit into 256 bytes.
    assert hs[2].key == ("server", "SSL_accept()", -1, "WANT_WRITE")
    ch_size = hs[1].io()[0][1]
    assert hs[2].io() == [("read", ch_size, "ClientHello"),
                          ("wrote", 256, "ServerHello, ChangeCipherSpec, EncryptedExtensions, "
                                         "part of Certificate")]
    assert [c.key for c in hs if c.ret == 1] == [("client", "SSL_connect()", 1, "NONE"),
                                                 ("server", "SSL_accept()", 1, "NONE")]
    assert all(c.error in ("WANT_READ", "WANT_WRITE") for c in hs if c.ret < 0)
    # Nothing moves more than the pair holds within one call: it never blocks.
    assert max(n for c in calls for _, n, _ in c.io()) == 256
    check_shutdown(shutdown, out)


def test_a_reader_that_is_gone_ends_the_demo_quietly() -> None:
    """``biokit demo | head``: no traceback, the SIGPIPE-style exit status."""
    import os
    import subprocess
    import sys

    # The read end is closed before the demo starts, so its first write
    # meets EPIPE whatever the timing.
    r, w = os.pipe()
    os.close(r)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "biokit", "demo"],
            stdout=w,
            stderr=subprocess.PIPE,
            timeout=30,
        )
    finally:
        os.close(w)
    assert b"Traceback" not in proc.stderr, proc.stderr.decode(errors="replace")
    assert proc.returncode == 141


@pytest.mark.parametrize("command", ["demo", "bench", "s_server", "s_client"])
def test_every_command_answers_dash_help(command: str,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    """``biokit <command> -help``, as the top-level usage promises."""
    try:
        rc = biokit_main([command, "-help"])
    except SystemExit as exc:  # argparse's --help exits 0
        rc = exc.code if isinstance(exc.code, int) else 1
    out = capsys.readouterr()
    assert rc == 0
    assert "sage: " in out.out + out.err and command in out.out + out.err
