"""Real peers for interop tests: Python's ssl module in process, openssl subprocesses."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator, Sequence

from biokit.bio import MemBIO
from biokit.ssl import SSL, ErrorCode

OPENSSL = shutil.which("openssl")


class _Peer:
    """A real TLS peer in process, wired to a biokit SSL on MemBIOs."""

    bk: SSL

    def shuttle(self) -> int:
        raise NotImplementedError

    def _peer_step(self) -> bool:
        """One handshake step of the peer; True once it is done."""
        raise NotImplementedError

    def handshake(self, max_rounds: int = 50) -> None:
        """Run both handshakes to completion (raises on failure)."""
        peer_done = bk_done = False
        for _ in range(max_rounds):
            if not peer_done:
                peer_done = self._peer_step()
            self.shuttle()
            if not bk_done:
                r = self.bk.do_handshake()
                if r == 1:
                    bk_done = True
                elif self.bk.get_error(r) not in (ErrorCode.WANT_READ, ErrorCode.WANT_WRITE):
                    self.shuttle()
                    raise AssertionError(f"biokit side failed: {self.bk.get_error(r).name}")
            self.shuttle()
            if peer_done and bk_done:
                return
        raise AssertionError("handshake did not finish")


class PyPeer(_Peer):
    """A Python ``ssl.SSLObject`` over ``ssl.MemoryBIO``s, wired to a biokit SSL on MemBIOs."""

    def __init__(
        self, ctx: ssl.SSLContext, bk: SSL, *, server_side: bool, hostname: str | None = None
    ) -> None:
        self.incoming = ssl.MemoryBIO()
        self.outgoing = ssl.MemoryBIO()
        self.obj = ctx.wrap_bio(
            self.incoming, self.outgoing, server_side=server_side, server_hostname=hostname
        )
        self.bk = bk
        self.bk_in = MemBIO()
        self.bk_out = MemBIO()
        bk.set_bio(self.bk_in, self.bk_out)

    def shuttle(self) -> int:
        """Move bytes both ways; how many moved."""
        moved = 0
        data = self.outgoing.read()
        if data:
            self.bk_in.write(data)
            moved += len(data)
        n = self.bk_out.pending()
        if n:
            self.incoming.write(self.bk_out.read(n))
            moved += n
        return moved

    def _peer_step(self) -> bool:
        try:
            self.obj.do_handshake()
        except ssl.SSLWantReadError:
            return False
        return True

    def bk_to_py(self, data: bytes) -> bytes:
        """Send from biokit, receive with Python; returns what arrived."""
        view = memoryview(data)
        got = bytearray()
        sent = 0
        for _ in range(100000):
            if sent < len(data):
                n = self.bk.write(view[sent : sent + 65536])
                assert n > 0, self.bk.get_error(n)  # memory BIOs never push back
                sent += n
            self.shuttle()
            while True:
                try:
                    chunk = self.obj.read(1 << 20)
                except ssl.SSLWantReadError:
                    break
                if not chunk:
                    break
                got += chunk
            if sent == len(data) and len(got) >= len(data):
                break
        return bytes(got)

    def py_to_bk(self, data: bytes) -> bytes:
        """Send from Python, receive with biokit; returns what arrived."""
        view = memoryview(data)
        got = bytearray()
        sent = 0
        for _ in range(100000):
            if sent < len(data):
                n = self.obj.write(view[sent : sent + 65536])
                sent += n
            self.shuttle()
            while True:
                chunk = self.bk.read(1 << 20)
                if not chunk:
                    break
                got += chunk
            if sent == len(data) and len(got) >= len(data):
                break
        return bytes(got)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            s.settimeout(0.2)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port}")


@contextlib.contextmanager
def openssl_server(args: Sequence[str], port: int) -> Iterator[subprocess.Popen[bytes]]:
    """``openssl s_server -accept 127.0.0.1:port ...``, killed (by PID) on exit."""
    assert OPENSSL is not None
    proc = subprocess.Popen(
        [OPENSSL, "s_server", "-accept", f"127.0.0.1:{port}", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_port(port)
        yield proc
    finally:
        kill(proc)


def kill(proc: subprocess.Popen[bytes]) -> None:
    """Terminate a child by PID, then make sure it is gone."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGKILL)
            proc.wait(5)
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()


class OSSLPeer(_Peer):
    """A pyOpenSSL Connection on memory BIOs (it runs a newer OpenSSL than Python's ssl)."""

    def __init__(self, ctx: object, bk: SSL, *, server_side: bool) -> None:
        from OpenSSL import SSL as OSSL

        self.conn = OSSL.Connection(ctx, None)  # type: ignore[arg-type]
        if server_side:
            self.conn.set_accept_state()
        else:
            self.conn.set_connect_state()
        self.bk = bk
        self.bk_in = MemBIO()
        self.bk_out = MemBIO()
        bk.set_bio(self.bk_in, self.bk_out)

    def shuttle(self) -> int:
        from OpenSSL import SSL as OSSL

        moved = 0
        while True:
            try:
                data = self.conn.bio_read(1 << 20)
            except OSSL.WantReadError:
                break
            if not data:
                break
            self.bk_in.write(data)
            moved += len(data)
        n = self.bk_out.pending()
        if n:
            self.conn.bio_write(self.bk_out.read(n))
            moved += n
        return moved

    def _peer_step(self) -> bool:
        from OpenSSL import SSL as OSSL

        try:
            self.conn.do_handshake()
        except OSSL.WantReadError:
            return False
        return True

    def recv_all(self) -> bytes:
        from OpenSSL import SSL as OSSL

        out = bytearray()
        while True:
            try:
                out += self.conn.recv(1 << 20)
            except OSSL.WantReadError:
                break
            except OSSL.ZeroReturnError:
                break
        return bytes(out)
