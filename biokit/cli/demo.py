"""``biokit demo``: SSL_accept(3) made visible.

A client and a server in one process tell one story, call by call: the
handshake, a request, a reply too big for the transport to hold at once, and a
clean shutdown.  Each side works through its part like a program of its own.
For every call the demo prints what was called, what it returned, what
``SSL_get_error`` said, the bytes and messages that moved during the call (a
BIO callback sees them go by) and, in the handshake, the state it stopped in.
Only the transport changes, and with it only what the BIO makes different:

* ``pair`` (default): a BIO pair, so both sides are nonblocking by
  construction; a side that must wait returns -1 and runs again once the pair
  says it can move bytes (``pending()`` / ``write_guarantee()``);
* ``--blocking``: blocking sockets, the server in its own thread -- every call
  returns only when it is done, and the waiting happens inside it;
* ``--nbio``: nonblocking sockets, driven by ``select()`` on what
  ``SSL_get_error`` asked for.
"""

from __future__ import annotations

import argparse
import select
import socket
import sys
import textwrap
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TextIO

from biokit.bio import BIO, SocketBIO, bio_pair
from biokit.bio.core import BIO_CB_READ, BIO_CB_RETURN, BIO_CB_WRITE
from biokit.errors import print_errors
from biokit.ssl import SSL, ErrorCode, SSLContext, TLS_client_method, TLS_server_method
from biokit.ssl.certgen import make_self_signed
from biokit.ssl.tls.enums import AlertDescription, HandshakeType, name_of
from biokit.ssl.verify import verify_cert_error_string

REQUEST = b"GET / HTTP/1.0\r\n\r\n"
REPLY_SIZE = 40_000
READ_SIZE = 16_384
# Small socket buffers (the kernel doubles the value) so that, as with the BIO
# pair's 17 KiB, the reply cannot fit into the transport in one go.
SOCK_BUF = 4096
MAX_ROUNDS = 500

_MSG_NAMES: dict[int, str] = {
    HandshakeType.CLIENT_HELLO: "ClientHello",
    HandshakeType.SERVER_HELLO: "ServerHello",
    HandshakeType.NEW_SESSION_TICKET: "NewSessionTicket",
    HandshakeType.ENCRYPTED_EXTENSIONS: "EncryptedExtensions",
    HandshakeType.CERTIFICATE: "Certificate",
    HandshakeType.CERTIFICATE_REQUEST: "CertificateRequest",
    HandshakeType.CERTIFICATE_VERIFY: "CertificateVerify",
    HandshakeType.FINISHED: "Finished",
    HandshakeType.KEY_UPDATE: "KeyUpdate",
    HandshakeType.SERVER_KEY_EXCHANGE: "ServerKeyExchange",
    HandshakeType.CLIENT_KEY_EXCHANGE: "ClientKeyExchange",
    HandshakeType.SERVER_HELLO_DONE: "ServerHelloDone",
}
_HRR_RANDOM = bytes.fromhex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")
_RT_HEADER = 0x100
_RT_INNER_CONTENT_TYPE = 0x101
_WANTS = (ErrorCode.WANT_READ, ErrorCode.WANT_WRITE)


def reply_bytes() -> bytes:
    """The server's answer: a short HTTP head and a body, REPLY_SIZE bytes in all."""
    head = b"HTTP/1.0 200 ok\r\n\r\n"
    line = b"hello from biokit, a line of a reply that will not fit at once\n"
    body = line * (REPLY_SIZE // len(line) + 1)
    return (head + body)[:REPLY_SIZE]


def _msg_name(content_type: int, data: bytes) -> str | None:
    if content_type == 22 and data:
        if data[0] == HandshakeType.SERVER_HELLO and data[6:38] == _HRR_RANDOM:
            return "HelloRetryRequest"
        return _MSG_NAMES.get(data[0], f"handshake({data[0]})")
    if content_type == 20:
        return "ChangeCipherSpec"
    if content_type == 21 and len(data) == 2:
        return f"Alert({name_of(AlertDescription, data[1])})"
    return None


def _squeeze(names: Sequence[str]) -> str:
    """``a, b, b, b`` -> ``a, b x3``."""
    out: list[str] = []
    count = 0
    for i, name in enumerate(names):
        count += 1
        if i + 1 == len(names) or names[i + 1] != name:
            out.append(name if count == 1 else f"{name} x{count}")
            count = 0
    return ", ".join(out)


# ============================================================================ narration


@dataclass
class _Record:
    """A record the SSL queued for its wbio: bytes not yet written, and what it carries."""

    size: int
    left: int
    names: list[str] = field(default_factory=list)


@dataclass
class _Piece:
    """The bytes of one record that went out within one segment."""

    record: _Record
    first: bool  # the record's first byte is in this segment
    last: bool = False  # ... and its last one

    def name(self) -> str:
        label = _squeeze(self.record.names) or "record"
        if self.first:
            return label if self.last else f"part of {label}"
        return f"rest of {label}" if self.last else f"more of {label}"


@dataclass
class _Segment:
    """A run of reads (or of writes) within one call, with the messages it completed."""

    kind: str  # "read" or "wrote"
    nbytes: int
    names: list[str] = field(default_factory=list)
    pieces: list[_Piece] = field(default_factory=list)

    def describe(self) -> str:
        names = self.names + [p.name() for p in self.pieces]
        return _squeeze(names) or "(part of a record)"


class _Side:
    """One SSL and its BIO, narrated: the msg callback names the messages, a BIO
    callback (BIO_set_callback_ex) counts the bytes that really moved and when."""

    def __init__(self, name: str, ssl: SSL, bio: BIO) -> None:
        self.name = name
        self.ssl = ssl
        self.segments: list[_Segment] = []
        self._queued: deque[_Record] = deque()
        ssl.set_bio(bio, bio)
        ssl.set_msg_callback(self._on_msg)
        bio.set_callback(self._on_bio)

    def begin_call(self) -> None:
        """Start a new call: forget the previous call's segments."""
        self.segments = []

    def _segment(self, kind: str) -> _Segment:
        if not self.segments or self.segments[-1].kind != kind:
            self.segments.append(_Segment(kind, 0))
        return self.segments[-1]

    def _on_bio(self, bio: BIO, op: int, data: bytes | None, size: int, argi: int,
                argl: int, ret: int, processed: int | None) -> int:
        if processed:
            if op == BIO_CB_READ | BIO_CB_RETURN:
                self._segment("read").nbytes += processed
            elif op == BIO_CB_WRITE | BIO_CB_RETURN:
                self._wrote(processed)
        return ret

    def _wrote(self, n: int) -> None:
        seg = self._segment("wrote")
        seg.nbytes += n
        # A write may end inside a record (a full pair or socket buffer): the
        # rest of that record goes out in a later write, maybe a later call.
        while n > 0 and self._queued:
            rec = self._queued[0]
            if not seg.pieces or seg.pieces[-1].record is not rec:
                seg.pieces.append(_Piece(rec, first=rec.left == rec.size))
            take = min(n, rec.left)
            n -= take
            rec.left -= take
            if rec.left == 0:
                seg.pieces[-1].last = True
                self._queued.popleft()

    def _on_msg(self, write_p: int, version: int, content_type: int, data: bytes,
                ssl: SSL) -> None:
        if content_type == _RT_HEADER:
            if write_p:
                size = 5 + int.from_bytes(data[3:5], "big")
                self._queued.append(_Record(size, size))
            elif data[:1] == b"\x14":
                # libssl 3.0 gives a received ChangeCipherSpec (TLS 1.3's dummy
                # one, and TLS 1.2's too) no message callback of its own; its
                # record header still shows it.
                self._received("ChangeCipherSpec")
            return
        if content_type == _RT_INNER_CONTENT_TYPE:
            # TLS 1.3 hides the real record type inside the encryption.
            name = "application data" if data == b"\x17" else None
        else:
            name = _msg_name(content_type, data)
        if name is None:
            return
        if write_p:
            if self._queued:
                self._queued[-1].names.append(name)
        else:
            self._received(name)

    def _received(self, name: str) -> None:
        # A message is handed over once its whole record has been read, so it
        # belongs to this call's latest read; none means it was read earlier.
        for seg in reversed(self.segments):
            if seg.kind == "read":
                seg.names.append(name)
                return
        self.segments.append(_Segment("read", 0, [name]))

    def io_lines(self, indent: str) -> list[str]:
        """What moved during the call, in order: ``read``/``wrote`` lines."""
        lines = []
        for seg in self.segments:
            verb = "read " if seg.kind == "read" else "wrote"
            lines.append(textwrap.fill(
                f"{verb} {seg.nbytes:5d} bytes: {seg.describe()}", width=100,
                initial_indent=indent, subsequent_indent=indent + " " * 19,
                break_on_hyphens=False))
        return lines or [f"{indent}(no bytes moved)"]


# ============================================================================ the story


def _preview(data: bytes) -> str:
    if len(data) <= 40:
        return repr(data)
    return f"{data[:24]!r}... ({len(data)} bytes)"


@dataclass
class _Job:
    """One thing a side must get done, by calling one SSL function until it is."""

    side: _Side
    kind: str  # accept | connect | write | read | read_close | shutdown
    data: bytes = b""
    expect: int = 0  # read: bytes to collect; shutdown: the return value that ends it
    got: bytearray = field(default_factory=bytearray)
    done: bool = False

    def label(self) -> str:
        if self.kind in ("accept", "connect"):
            return f"SSL_{self.kind}()"
        if self.kind == "write":
            arg = repr(self.data) if len(self.data) <= 40 else f"<{len(self.data)} bytes>"
            return f"SSL_write({arg})"
        if self.kind in ("read", "read_close"):
            return f"SSL_read({READ_SIZE})"
        return "SSL_shutdown()"

    def call(self) -> tuple[int, bytes, ErrorCode, bool]:
        """Call once: (C return value, bytes read, SSL_get_error of it, job done)."""
        ssl = self.side.ssl
        data = b""
        if self.kind == "accept":
            ret = ssl.accept()
        elif self.kind == "connect":
            ret = ssl.connect()
        elif self.kind == "write":
            # After WANT_WRITE, SSL_write must be called again with the same buffer.
            ret = ssl.write(self.data)
        elif self.kind in ("read", "read_close"):
            r = ssl.read_c(READ_SIZE)
            if isinstance(r, bytes):
                data, ret = r, len(r)
            else:
                ret = r
        else:
            ret = ssl.shutdown()
        err = ssl.get_error(ret)
        if self.kind in ("accept", "connect"):
            self.done = ret == 1
        elif self.kind == "write":
            self.done = ret == len(self.data)
        elif self.kind == "read":
            self.got += data
            self.done = len(self.got) >= self.expect
        elif self.kind == "read_close":
            self.done = ret == 0 and err == ErrorCode.ZERO_RETURN
        else:
            self.done = ret == self.expect
        return ret, data, err, self.done


@dataclass
class _Phase:
    """A part of the story: its title (if it starts a section) and its jobs."""

    title: str
    jobs: list[_Job]
    handshake: bool = False


class _Story:
    """The phases both sides go through, and the printing of every call."""

    def __init__(self, out: TextIO, client: _Side, server: _Side, *,
                 blocking: bool = False) -> None:
        self.out = out
        self.blocking = blocking
        self.client = client
        self.server = server
        self.step = 0
        self.wants = {ErrorCode.WANT_READ: 0, ErrorCode.WANT_WRITE: 0}
        self.noted: set[str] = set()
        self.ok = True
        self.reply = reply_bytes()
        self.reader = _Job(client, "read", expect=len(self.reply))
        self.phases = [
            _Phase("Handshake", [_Job(server, "accept"), _Job(client, "connect")], True),
            _Phase("Application data: a request", [
                _Job(client, "write", REQUEST), _Job(server, "read", expect=len(REQUEST))]),
            _Phase(f"Application data: a reply of {len(self.reply)} bytes, more than the "
                   "transport holds at once", [_Job(server, "write", self.reply), self.reader]),
            # One job each: every step needs the one before it, and --blocking
            # prints the calls of the two threads in this order.
            _Phase("Shutdown, both directions", [_Job(client, "shutdown", expect=0)]),
            _Phase("", [_Job(server, "read_close")]),
            _Phase("", [_Job(server, "shutdown", expect=1)]),
            _Phase("", [_Job(client, "shutdown", expect=1)]),
        ]

    def render(self, job: _Job, ret: int, data: bytes, err: ErrorCode,
               io: list[str], state: str | None) -> None:
        """Print one call: its line, what moved, what it read, where it stopped."""
        self.step += 1
        if err in self.wants:
            self.wants[err] += 1
        indent = " " * 13
        head = f"[{self.step:2d}] {job.side.name:<6}  {job.label()} = {ret}"
        if job.kind == "shutdown" and ret == 0:
            # SSL_shutdown(3): this 0 is no error, and SSL_get_error() would
            # misleadingly report one (SSL_ERROR_SYSCALL), so it is not asked.
            lines = [head, f"{indent}(close_notify sent, the peer's not received yet: "
                           "no error, so no SSL_get_error())"]
        else:
            lines = [f"{head}   SSL_get_error() = SSL_ERROR_{err.name}"]
            note = self._note(job, ret, err)
            if note:
                lines.append(f"{indent}({note})")
        lines += io
        if data:
            lines.append(f"{indent}data: {_preview(data)}")
        if state is not None:
            lines.append(f"{indent}state: {state}")
        self.out.write("\n".join(lines) + "\n")

    def _note(self, job: _Job, ret: int, err: ErrorCode) -> str:
        if self.blocking and job.kind in ("accept", "connect", "write") and ret > 0:
            return "one call: where a nonblocking BIO would return -1, it waited in the socket"
        if err == ErrorCode.ZERO_RETURN:
            return "the peer's close_notify: a clean end"
        if job.kind == "shutdown" and ret == 1:
            return "both close_notify alerts done"
        if job.kind == "write" and err == ErrorCode.WANT_WRITE and "write" not in self.noted:
            self.noted.add("write")
            return "what did not fit is kept: call again with the same buffer"
        return ""

    def phase_header(self, phase: _Phase) -> None:
        """A title line before each phase that has one."""
        if phase.title:
            self.out.write(f"\n{phase.title}:\n")

    def after_phase(self, phase: _Phase, calls: int) -> None:
        """What a phase achieved, checked against what was sent."""
        client = self.client.ssl
        if phase.handshake:
            cipher = client.get_current_cipher()
            peer = client.get_peer_certificate()
            result = client.get_verify_result()
            self.out.write(
                f"Both returned 1 after {calls} calls: {client.get_version()}, "
                f"{cipher.get_name() if cipher else '?'};\nthe client verified the server: "
                f"verify result {result} ({verify_cert_error_string(result)}), peer "
                f"{peer.get_subject_name().oneline() if peer else '(none)'}\n")
        elif phase.jobs[-1] is self.reader:
            if bytes(self.reader.got) == self.reply:
                self.out.write(f"The client has all {len(self.reply)} bytes of the reply.\n")
            else:
                self.ok = False
                self.out.write("The bytes the client read are NOT the reply the server sent.\n")

    def summary(self) -> int:
        """The closing lines (the shutdown, the waits get_error() reported); the exit code."""
        both = self.client.ssl.get_shutdown() == self.server.ssl.get_shutdown() == 3
        self.out.write(
            "\nClean shutdown: each side sent and received close_notify.\n" if both
            else "\nShutdown incomplete.\n")
        r, w = self.wants[ErrorCode.WANT_READ], self.wants[ErrorCode.WANT_WRITE]
        if r or w:
            self.out.write(f"{self.step} calls; SSL_get_error() asked to wait {r + w} times: "
                           f"WANT_READ {r}, WANT_WRITE {w}.\n")
        else:
            self.out.write(f"{self.step} calls, each returned when its work was done: the BIO\n"
                           "never asked to retry, so no call had to be repeated.\n")
        return 0 if both and self.ok else 1


def _fail(out: TextIO, who: str, what: str) -> int:
    out.write(f"{who} failed: {what}\n")
    print_errors(out)
    return 1


def _run_nonblocking(story: _Story, ready: Callable[[_Job, ErrorCode], bool],
                     wait: Callable[[dict[str, tuple[_Job, ErrorCode]], bool], None]) -> int:
    """Pair and --nbio: each side works through its own jobs, like two programs.
    The two take turns, one call each; a side whose call returned -1 with
    WANT_* is called again only once ``ready`` says its transport can move bytes."""
    scripts: dict[str, deque[tuple[int, _Job]]] = {"server": deque(), "client": deque()}
    for index, phase in enumerate(story.phases):
        for job in phase.jobs:
            scripts[job.side.name].append((index, job))
    waiting: dict[str, tuple[_Job, ErrorCode]] = {}
    calls = [0] * len(story.phases)
    shown = -1
    for _ in range(MAX_ROUNDS):
        ran = False
        for name, script in scripts.items():
            if not script or (name in waiting and not ready(*waiting[name])):
                continue
            index, job = script[0]
            phase = story.phases[index]
            while shown < index:
                shown += 1
                story.phase_header(story.phases[shown])
            job.side.begin_call()
            ret, data, err, done = job.call()
            ran = True
            calls[index] += 1
            state = job.side.ssl.state_string_long() if phase.handshake else None
            story.render(job, ret, data, err, job.side.io_lines(" " * 13), state)
            waiting.pop(name, None)
            if done:
                script.popleft()
                if all(j.done for j in phase.jobs):
                    story.after_phase(phase, calls[index])
            elif err in _WANTS:
                waiting[name] = (job, err)
            elif ret <= 0:
                return _fail(story.out, name, job.label())
        if not any(scripts.values()):
            return story.summary()
        wait(waiting, ran)
    return _fail(story.out, "the demo", f"no end after {MAX_ROUNDS} rounds")


# ============================================================================ transports


def _make_contexts(out: TextIO, key_kind: str) -> tuple[SSLContext, SSLContext]:
    t0 = time.perf_counter()
    cert, key = make_self_signed("localhost", kind=key_kind)
    ms = (time.perf_counter() - t0) * 1000
    out.write(
        f"Made a throwaway self-signed certificate for {cert.get_subject_name().oneline()}\n"
        f"({key_kind}, {ms:.0f} ms); the client trusts exactly that certificate.\n"
    )
    sctx = SSLContext(TLS_server_method())
    sctx.use_certificate(cert)
    sctx.use_PrivateKey(key)
    cctx = SSLContext(TLS_client_method())
    cctx.get_cert_store().add_cert(cert)
    cctx.set_verify(1)  # SSL_VERIFY_PEER
    return sctx, cctx


def _new_client(cctx: SSLContext) -> SSL:
    client = SSL(cctx)
    client.set1_host("localhost")
    client.set_tlsext_host_name("localhost")
    return client


def _socketpair(blocking: bool) -> tuple[socket.socket, socket.socket]:
    a, b = socket.socketpair()
    for s in (a, b):
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SOCK_BUF)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SOCK_BUF)
        if blocking:
            # Blocking, but bounded: like SO_RCVTIMEO in C, an expired timeout
            # would make the BIO ask for a retry -- which would show up as WANT_*.
            s.settimeout(30)
        else:
            s.setblocking(False)
    return a, b


def run_pair(out: TextIO, key_kind: str, buf_size: int) -> int:
    """The default story: both sides over one BIO pair, nonblocking by construction."""
    sctx, cctx = _make_contexts(out, key_kind)
    cbio, sbio = bio_pair(buf_size, buf_size)
    size = cbio.get_write_buf_size()
    out.write(
        f"A BIO pair joins them: two bounded buffers of {size} bytes, one each way.\n"
        "A BIO pair never blocks: when a side must wait, its call returns -1 and\n"
        "SSL_get_error() says what for -- WANT_READ (its buffer is empty) or WANT_WRITE\n"
        "(the peer's buffer is full). That side is called again once the pair can move\n"
        "bytes for it: BIO_ctrl_pending() > 0 to read, BIO_ctrl_get_write_guarantee() > 0\n"
        "to write. Until then the other side runs.\n"
    )
    story = _Story(out, _Side("client", _new_client(cctx), cbio), _Side("server", SSL(sctx), sbio))
    end_of = {"client": cbio, "server": sbio}

    def ready(job: _Job, err: ErrorCode) -> bool:
        # The BIO pair's own select(): is there something to read, room to write?
        bio = end_of[job.side.name]
        if err == ErrorCode.WANT_READ:
            return bio.pending() > 0 or bio.eof()
        return bio.write_guarantee() > 0

    def wait(waiting: dict[str, tuple[_Job, ErrorCode]], ran: bool) -> None:
        if not ran:
            raise _Stuck()

    try:
        return _run_nonblocking(story, ready, wait)
    except _Stuck:
        return _fail(out, "the demo", "both sides wait for each other")


class _Stuck(Exception):
    """Neither side can move: a bug, reported instead of looping."""


def run_nbio(out: TextIO, key_kind: str) -> int:
    """Both sides on nonblocking sockets; select() waits for what get_error() names."""
    sctx, cctx = _make_contexts(out, key_kind)
    a, b = _socketpair(blocking=False)
    out.write(
        "Both sides on *nonblocking* sockets (a connected socketpair, buffers of\n"
        f"{SOCK_BUF} bytes). A call that would block returns -1; SSL_get_error() says\n"
        "WANT_READ or WANT_WRITE, and select() waits for exactly that before the call\n"
        "is made again. How the bytes are cut up depends on the kernel, so the number\n"
        "of calls may differ from run to run; what each return value means does not.\n"
    )
    story = _Story(out, _Side("client", _new_client(cctx), SocketBIO(a)),
                   _Side("server", SSL(sctx), SocketBIO(b)))
    sock_of = {"client": a, "server": b}
    last: dict[str, set[str]] = {"r": set(), "w": set()}
    deadline = time.monotonic() + 30

    def ready(job: _Job, err: ErrorCode) -> bool:
        return job.side.name in last["r" if err == ErrorCode.WANT_READ else "w"]

    def wait(waiting: dict[str, tuple[_Job, ErrorCode]], ran: bool) -> None:
        rl = [sock_of[j.side.name] for j, e in waiting.values() if e == ErrorCode.WANT_READ]
        wl = [sock_of[j.side.name] for j, e in waiting.values() if e == ErrorCode.WANT_WRITE]
        if time.monotonic() > deadline:
            raise _Stuck()
        # A side that just made progress runs again at once: only peek then.
        r, w, _ = select.select(rl, wl, [], 0 if ran else 5)
        last["r"] = {n for n, s in sock_of.items() if s in r}
        last["w"] = {n for n, s in sock_of.items() if s in w}
        if r or w:
            names = [f"{n} readable" for n in sorted(last["r"])]
            names += [f"{n} writable" for n in sorted(last["w"])]
            out.write(f"     select() -> {', '.join(names)}\n")
        elif not ran:
            raise _Stuck()

    try:
        return _run_nonblocking(story, ready, wait)
    except _Stuck:
        return _fail(out, "the demo", "select() saw nothing ready within its time")
    finally:
        a.close()
        b.close()


@dataclass
class _Done:
    """A call made on a blocking BIO, kept to be printed in the story's order."""

    job: _Job
    ret: int
    data: bytes
    err: ErrorCode
    io: list[str]
    state: str | None


def run_blocking(out: TextIO, key_kind: str) -> int:
    """Blocking sockets, the server in a thread: each call returns once its work is done."""
    sctx, cctx = _make_contexts(out, key_kind)
    a, b = _socketpair(blocking=True)
    out.write(
        "Both sides on *blocking* sockets (a connected socketpair, buffers of\n"
        f"{SOCK_BUF} bytes); the server runs in its own thread. A blocking BIO never\n"
        "asks to retry, so each call returns only when its work is done (or failed):\n"
        "where the other modes return -1 and call again, a blocking call simply waits\n"
        "inside the socket. The calls of the two threads are printed in the story's\n"
        "order once both threads are through.\n"
    )
    story = _Story(out, _Side("client", _new_client(cctx), SocketBIO(a)),
                   _Side("server", SSL(sctx), SocketBIO(b)), blocking=True)
    done: dict[str, list[_Done]] = {"client": [], "server": []}

    def play(side: _Side, sock: socket.socket) -> None:
        for phase in story.phases:
            for job in phase.jobs:
                if job.side is not side:
                    continue
                for _ in range(MAX_ROUNDS):
                    side.begin_call()
                    ret, data, err, finished = job.call()
                    state = side.ssl.state_string_long() if phase.handshake else None
                    done[side.name].append(
                        _Done(job, ret, data, err, side.io_lines(" " * 13), state))
                    # Only a read may take several calls here (one record each).
                    if finished or ret <= 0:
                        break
                if not job.done:
                    # Give up, and let the peer see EOF rather than wait for us.
                    try:
                        sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass  # already gone
                    return

    server_thread = threading.Thread(target=play, args=(story.server, b), daemon=True)
    server_thread.start()
    try:
        play(story.client, a)
        server_thread.join(60)
    finally:
        # A failed side stops waiting for the other: closing the sockets ends its wait.
        if server_thread.is_alive():
            a.close()
            b.close()
            server_thread.join(10)
        a.close()
        b.close()
    queues = {name: deque(calls) for name, calls in done.items()}
    for phase in story.phases:
        story.phase_header(phase)
        first = story.step
        for job in phase.jobs:
            queue = queues[job.side.name]
            while queue and queue[0].job is job:
                c = queue.popleft()
                story.render(job, c.ret, c.data, c.err, c.io, c.state)
            if not job.done:
                return _fail(out, job.side.name, job.label())
        story.after_phase(phase, story.step - first)
    return story.summary()


def main(argv: Sequence[str]) -> int:
    """``biokit demo [--blocking | --nbio] [--key KIND] [--pair-size N]``."""
    p = argparse.ArgumentParser(prog="biokit demo", description=(__doc__ or "").split("\n\n")[0])
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--blocking", action="store_true",
                      help="blocking sockets, the server in a thread")
    mode.add_argument("--nbio", action="store_true", help="nonblocking sockets + select()")
    p.add_argument("--key", default="ec256", help="ec256, ec384, rsa2048, ed25519 ...")
    p.add_argument(
        "--pair-size", type=int, default=0, help="BIO pair buffer size (0 = 17 KiB default)"
    )
    args = p.parse_args(list(argv))
    out = sys.stdout
    out.write("biokit demo -- SSL_accept() and SSL_connect(), call by call\n\n")
    if args.blocking:
        return run_blocking(out, args.key)
    if args.nbio:
        return run_nbio(out, args.key)
    return run_pair(out, args.key, args.pair_size)
