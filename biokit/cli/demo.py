"""``biokit demo``: SSL_accept(3) made visible.

Runs a client and a server in one process and narrates every call: what was
called, what it returned, what ``SSL_get_error`` said, the state it stopped
in, and the bytes and messages that moved.  Three transports:

* ``pair`` (default): a BIO pair, so both sides are nonblocking and the demo
  alternates ``connect()``/``accept()`` until both return 1;
* ``--blocking``: the server on a blocking socket in a thread -- its single
  ``accept()`` call returns only at the end, while the info callback shows it
  walking through every state inside that one call;
* ``--nbio``: both sides on nonblocking sockets, driven by ``select()``.
"""

from __future__ import annotations

import argparse
import select
import socket
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TextIO

from biokit.bio import BIO, bio_pair
from biokit.bio.s_socket import SocketBIO
from biokit.errors import print_errors
from biokit.ssl import SSL, ErrorCode, InfoWhere, SSLContext, TLS_client_method, TLS_server_method
from biokit.ssl.certgen import make_self_signed
from biokit.ssl.tls.enums import AlertDescription, HandshakeType, name_of

_MSG_NAMES = {
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


@dataclass
class _Traffic:
    """Messages one SSL sent and received during one call (from its msg callback)."""

    sent: list[str] = field(default_factory=list)
    received: list[str] = field(default_factory=list)
    records_out: int = 0

    def clear(self) -> None:
        self.sent.clear()
        self.received.clear()
        self.records_out = 0


def _msg_name(content_type: int, data: bytes) -> str | None:
    if content_type == 22 and data:
        if data[0] == HandshakeType.SERVER_HELLO and data[6:38] == bytes.fromhex(
            "cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c"
        ):
            return "HelloRetryRequest"
        return str(_MSG_NAMES.get(data[0], f"handshake({data[0]})"))  # type: ignore[call-overload]
    if content_type == 20:
        return "ChangeCipherSpec"
    if content_type == 21 and len(data) == 2:
        return f"Alert({name_of(AlertDescription, data[1])})"
    return None


def _watch(ssl: SSL, traffic: _Traffic) -> None:
    def msg_cb(write_p: int, version: int, content_type: int, data: bytes, s: SSL) -> None:
        if content_type == 0x100:
            if write_p:
                traffic.records_out += 1
            elif data[:1] == b"\x14" and version == 0x0304:
                # OpenSSL gives a TLS 1.3 peer's dummy CCS no message of its own;
                # its record header still shows it.
                traffic.received.append("ChangeCipherSpec")
            return
        if content_type == 0x101:
            # TLS 1.3 hides the real record type inside the encryption.
            if data == b"\x17":
                (traffic.sent if write_p else traffic.received).append("application data")
            return
        name = _msg_name(content_type, data)
        if name is not None:
            (traffic.sent if write_p else traffic.received).append(name)

    ssl.set_msg_callback(msg_cb)


def _make_contexts(out: TextIO, key_kind: str) -> tuple[SSLContext, SSLContext]:
    t0 = time.perf_counter()
    cert, key = make_self_signed("localhost", kind=key_kind)
    ms = (time.perf_counter() - t0) * 1000
    out.write(
        f"Made a throwaway self-signed certificate for {cert.get_subject_name().oneline()} "
        f"({key_kind}, {ms:.0f} ms); the client trusts exactly that certificate.\n"
    )
    sctx = SSLContext(TLS_server_method())
    sctx.use_certificate(cert)
    sctx.use_PrivateKey(key)
    cctx = SSLContext(TLS_client_method())
    cctx.get_cert_store().add_cert(cert)
    cctx.set_verify(1)  # SSL_VERIFY_PEER
    return sctx, cctx


def _fmt_call(who: str, call: str, ret: int, err: ErrorCode, state: str) -> str:
    verdict = "" if ret > 0 else f"   SSL_get_error() = SSL_ERROR_{err.name}"
    return f"{who:<7} {call} = {ret}{verdict}\n{'':<12} state: {state}\n"


def _describe_io(
    traffic: _Traffic, rbio: BIO, wbio: BIO, before: tuple[int, int], width: int = 12
) -> str:
    lines = []
    got = rbio.num_read - before[0]
    sent = wbio.num_write - before[1]
    if got:
        msgs = ", ".join(traffic.received) or "(part of a record)"
        lines.append(f"{'':<{width}} read  {got:5d} bytes: {msgs}")
    if sent:
        msgs = ", ".join(traffic.sent) or "(record data)"
        lines.append(
            f"{'':<{width}} wrote {sent:5d} bytes in {traffic.records_out} record(s): {msgs}"
        )
    if not got and not sent:
        lines.append(f"{'':<{width}} (no bytes moved)")
    return "\n".join(lines) + "\n"


def run_pair(out: TextIO, key_kind: str, buf_size: int) -> int:
    """The default story: both sides over one BIO pair, nonblocking by construction."""
    sctx, cctx = _make_contexts(out, key_kind)
    cbio, sbio = bio_pair(buf_size, buf_size)
    client, server = SSL(cctx), SSL(sctx)
    client.set1_host("localhost")
    client.set_tlsext_host_name("localhost")
    client.set_bio(cbio, cbio)
    server.set_bio(sbio, sbio)
    ct, st = _Traffic(), _Traffic()
    _watch(client, ct)
    _watch(server, st)
    size = buf_size or 17 * 1024
    out.write(
        f"A BIO pair joins them: two bounded buffers of {size} bytes, one each way.\n"
        "A BIO pair never blocks: when a side must wait, the call returns -1 and\n"
        "SSL_get_error() says what it waits for. The caller just calls again.\n\n"
    )
    done = {"client": False, "server": False}
    step = 0
    for _ in range(50):
        for who, ssl, traffic, bio, call in (
            ("client", client, ct, cbio, "SSL_connect()"),
            ("server", server, st, sbio, "SSL_accept()"),
        ):
            if done[who]:
                continue
            step += 1
            traffic.clear()
            before = (bio.num_read, bio.num_write)
            ret = ssl.connect() if who == "client" else ssl.accept()
            err = ssl.get_error(ret)
            out.write(f"[{step:2d}] " + _fmt_call(who, call, ret, err, ssl.state_string_long()))
            out.write(_describe_io(traffic, bio, bio, before))
            if ret == 1:
                done[who] = True
            elif err not in (ErrorCode.WANT_READ, ErrorCode.WANT_WRITE):
                out.write(f"{who} failed:\n")
                print_errors(out)
                return 1
        if all(done.values()):
            break
    else:
        out.write("no progress after 50 rounds: giving up\n")
        return 1
    cipher = client.get_current_cipher()
    peer = client.get_peer_certificate()
    out.write(
        f"\nBoth returned 1 after {step} calls: {client.get_version()}, "
        f"{cipher.get_name() if cipher else '?'}, verify result "
        f"{client.get_verify_result()} (X509_V_OK), peer "
        f"{peer.get_subject_name().oneline() if peer else '(none)'}\n\n"
    )
    return _data_and_shutdown(out, client, server, cbio, sbio, ct, st)


def _data_and_shutdown(
    out: TextIO, client: SSL, server: SSL, cbio: BIO, sbio: BIO, ct: _Traffic, st: _Traffic
) -> int:
    request = b"GET / HTTP/1.0\r\n\r\n"
    ct.clear()
    before = (cbio.num_read, cbio.num_write)
    n = client.write(request)
    out.write(f"client  SSL_write({request!r}) = {n}\n")
    out.write(_describe_io(ct, cbio, cbio, before, width=8))
    st.clear()
    before = (sbio.num_read, sbio.num_write)
    data = server.read(4096)
    out.write(f"server  SSL_read(4096) = {len(data)} bytes: {data!r}\n")
    out.write(_describe_io(st, sbio, sbio, before, width=8))
    reply = b"HTTP/1.0 200 ok\r\n\r\nhello from biokit\n"
    server.write(reply)
    ct.clear()
    before = (cbio.num_read, cbio.num_write)
    data = client.read(4096)
    out.write(f"client  SSL_read(4096) = {len(data)} bytes: {data!r}\n")
    out.write(_describe_io(ct, cbio, cbio, before, width=8))
    out.write("\nShutdown, both directions:\n")
    r = client.shutdown()
    out.write(f"client  SSL_shutdown() = {r}   (close_notify sent; the peer's not seen yet)\n")
    data = server.read(4096)
    ret = len(data)
    out.write(
        f"server  SSL_read(4096) = {ret}   SSL_get_error() = SSL_ERROR_"
        f"{server.get_error(ret).name} (the peer closed cleanly)\n"
    )
    r = server.shutdown()
    out.write(f"server  SSL_shutdown() = {r}   (its close_notify sent, the peer's received)\n")
    r = client.shutdown()
    out.write(f"client  SSL_shutdown() = {r}   (now both close_notify alerts are done)\n")
    return 0


def run_blocking(out: TextIO, key_kind: str) -> int:
    """The server on a blocking socket in a thread: one accept() call, returning at the end."""
    sctx, cctx = _make_contexts(out, key_kind)
    a, b = socket.socketpair()
    a.settimeout(30)
    b.settimeout(30)
    server = SSL(sctx)
    server.set_bio(SocketBIO(b), SocketBIO(b))
    lines: list[str] = []
    lock = threading.Lock()

    def info(ssl: SSL, where: int, ret: int) -> None:
        if where & InfoWhere.LOOP:
            with lock:
                lines.append(f"   server (inside SSL_accept) state: {ssl.state_string_long()}")
        elif where & InfoWhere.EXIT:
            with lock:
                lines.append(f"   server SSL_accept() returns {ret}")

    server.set_info_callback(info)
    result: dict[str, int] = {}

    def serve() -> None:
        result["accept"] = server.accept()
        result["calls"] = 1

    out.write(
        "The server runs SSL_accept() once, in a thread, on a *blocking* socket BIO.\n"
        "A blocking BIO never asks to retry, so that single call returns only when\n"
        "the handshake is done (or failed). The client runs on a blocking socket too.\n\n"
    )
    t = threading.Thread(target=serve, daemon=True)
    t.start()
    client = SSL(cctx)
    client.set1_host("localhost")
    client.set_tlsext_host_name("localhost")
    client.set_bio(SocketBIO(a), SocketBIO(a))
    rc = client.connect()
    t.join(30)
    for line in lines:
        out.write(line + "\n")
    out.write(
        f"\nclient SSL_connect() = {rc} (one call)   server SSL_accept() = "
        f"{result.get('accept')} (one call)\n"
        f"{client.get_version()}, {client.get_cipher()}\n"
    )
    ok = rc == 1 and result.get("accept") == 1
    client.shutdown()
    a.close()
    b.close()
    return 0 if ok else 1


def run_nbio(out: TextIO, key_kind: str) -> int:
    """Both sides on nonblocking sockets; select() waits for what get_error() names."""
    sctx, cctx = _make_contexts(out, key_kind)
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    client, server = SSL(cctx), SSL(sctx)
    client.set1_host("localhost")
    client.set_tlsext_host_name("localhost")
    client.set_bio(SocketBIO(a), SocketBIO(a))
    server.set_bio(SocketBIO(b), SocketBIO(b))
    out.write(
        "Both sides on *nonblocking* sockets. A call that would block returns -1;\n"
        "SSL_get_error() says WANT_READ or WANT_WRITE, and select() waits for that.\n\n"
    )
    sides: list[tuple[str, SSL, socket.socket, Callable[[], int]]] = [
        ("client", client, a, client.connect),
        ("server", server, b, server.accept),
    ]
    done = {"client": False, "server": False}
    step = 0
    deadline = time.monotonic() + 30
    while not all(done.values()) and time.monotonic() < deadline:
        waits_r, waits_w = [], []
        for who, ssl, sock, call in sides:
            if done[who]:
                continue
            step += 1
            ret = call()
            err = ssl.get_error(ret)
            name = "SSL_connect()" if who == "client" else "SSL_accept()"
            out.write(f"[{step:2d}] " + _fmt_call(who, name, ret, err, ssl.state_string_long()))
            if ret == 1:
                done[who] = True
            elif err == ErrorCode.WANT_READ:
                waits_r.append(sock)
            elif err == ErrorCode.WANT_WRITE:
                waits_w.append(sock)
            else:
                print_errors(out)
                return 1
        if waits_r or waits_w:
            ready = select.select(waits_r, waits_w, [], 5)
            names = [("client" if s is a else "server") for s in ready[0] + ready[1]]
            out.write(f"     select() -> ready: {', '.join(names) or 'nothing (timeout)'}\n")
    out.write(
        f"\nBoth returned 1 after {step} calls: {client.get_version()}, "
        f"{client.get_cipher()}\n"
    )
    a.close()
    b.close()
    return 0 if all(done.values()) else 1


def main(argv: Sequence[str]) -> int:
    """``biokit demo [--blocking | --nbio] [--key KIND] [--pair-size N]``."""
    p = argparse.ArgumentParser(prog="biokit demo", description=__doc__.split("\n\n")[0])
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--blocking", action="store_true", help="server on a blocking socket")
    mode.add_argument("--nbio", action="store_true", help="nonblocking sockets + select()")
    p.add_argument("--key", default="ec256", help="ec256, ec384, rsa2048, ed25519 ...")
    p.add_argument(
        "--pair-size", type=int, default=0, help="BIO pair buffer size (0 = 17 KiB default)"
    )
    args = p.parse_args(list(argv))
    out = sys.stdout
    out.write("biokit demo -- SSL_connect() and SSL_accept(), call by call\n\n")
    if args.blocking:
        return run_blocking(out, args.key)
    if args.nbio:
        return run_nbio(out, args.key)
    return run_pair(out, args.key, args.pair_size)
