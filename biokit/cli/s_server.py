"""``biokit s_server``: ``openssl s_server`` on biokit's BIOs and SSL object.

An ``AcceptBIO`` listens (its first ``do_accept()`` binds, then prints
``ACCEPT host:port``); each ``do_accept()`` after that pushes one connection --
a ``SocketBIO``, behind a fresh ``NBIOTestBIO`` when ``-nbio_test`` is given
(``set_accept_bios``) -- and ``pop()`` hands that chain to one ``SSL``.
Accepted sockets are nonblocking with ``-nbio``; every SSL call that returns
WANT_READ / WANT_WRITE then waits in ``select()`` for exactly that.

Modes, as in OpenSSL: by default the server prints what the client sends and
sends what is typed on stdin (a line ``Q`` stops the server, ``q`` ends the
connection, ``K`` / ``k`` send a KeyUpdate, ``S`` prints statistics, ``P`` writes
clear text straight to the socket BIO under the TLS layer).  Stdin at end of
file stops the server, as it does OpenSSL's.  ``-www`` answers a ``GET`` with an
HTML page describing the connection and ``-rev`` sends each line back reversed
(``CLOSE`` ends the connection); both talk through OpenSSL's own stack,
``BufferBIO -> SSLBIO -> socket chain``, reading lines with ``gets`` and sending
the reply with one ``flush``.  ``-echo`` (biokit's own) sends everything back.

Clients are served one after another until ``-naccept`` connections have been
served, stdin says ``Q``, or Ctrl-C.
"""

from __future__ import annotations

import os
import select
import socket
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from biokit.bio import BIO, BIO_NOCLOSE, AcceptBIO, BufferBIO, Ctrl, FileBIO, NBIOTestBIO, SocketBIO
from biokit.cli.common import (
    HandshakeSpy,
    HelloFacts,
    InfoPrinter,
    KeylogWriter,
    MsgPrinter,
    Opt,
    Options,
    TracePrinter,
    VerifyPrinter,
    dump_cert_text,
    err_bio,
    out_bio,
    parse_alpn,
    parse_options,
    print_ca_names,
    print_errors_to,
    print_session,
    print_ssl_summary,
    protocol_version,
    say,
    ssl_print_groups,
    ssl_print_sigalgs,
    stdin_fd,
    wait_io,
    x509_text,
)
from biokit.errors import clear_error
from biokit.ssl import SSL, ErrorCode, Op, SSLContext, TLS_server_method, Verify, Version
from biokit.ssl.bio_ssl import SSLBIO
from biokit.ssl.certgen import cert_to_pem, make_self_signed
from biokit.ssl.consts import KEY_UPDATE_NOT_REQUESTED, KEY_UPDATE_REQUESTED, TLSEXT_ERR
from biokit.ssl.tls.suites import Suite, suite_by_id
from biokit.ssl.verify import verify_cert_error_string
from biokit.ssl.x509 import (
    X509,
    load_certificate_chain_file,
    load_certificates,
    load_private_key_file,
)

__all__ = ["main"]

PROG = "s_server"
BUFSIZZ = 16 * 1024
DEFAULT_ACCEPT = "127.0.0.1:4433"
_QUIT = -11  # sv_body's "stop the whole server" result

_SECTIONS: tuple[tuple[str, tuple[Opt, ...]], ...] = (
    ("General", (
        Opt("help", "-", "Display this summary"),
        Opt("trace", "-", "trace protocol messages"),
    )),
    ("Network", (
        Opt("port", "p", "TCP/IP port to listen on, on all addresses (= -accept PORT)"),
        Opt("accept", "s", "TCP/IP [host:]port to listen on; a port alone means all "
                           f"addresses (default is {DEFAULT_ACCEPT}, loopback only, "
                           "where OpenSSL's is *:4433)"),
        Opt("naccept", "p", "Terminate after #num connections"),
        Opt("nbio", "-", "Use non-blocking IO"),
    )),
    ("Identity", (
        Opt("CAfile", "<", "PEM format file of CA's"),
        Opt("CApath", "/", "PEM format directory of CA's"),
        Opt("verify", "n", "Turn on peer certificate verification"),
        Opt("Verify", "n", "Turn on peer certificate verification, must have a cert"),
        Opt("verify_return_error", "-", "Close connection on verification error"),
        Opt("cert", "<", "Server certificate file to use "
                         "(default: a throwaway self-signed certificate)"),
        Opt("key", "s", "Private Key if not in -cert; default is the -cert file"),
        Opt("cert2", "<", "Certificate file to use for servername"),
        Opt("key2", "<", "-Private Key file to use for servername if not in -cert2"),
        Opt("servername", "s", "Servername for HostName TLS extension"),
        Opt("servername_fatal", "-", "On servername mismatch send fatal alert (default warning "
                                     "alert)"),
    )),
    ("Server", (
        Opt("www", "-", "Respond to a 'GET /' with a status page"),
        Opt("rev", "-", "act as an echo server that sends back received text reversed"),
        Opt("echo", "-", "act as an echo server that sends back what it receives (biokit)"),
        Opt("alpn", "s", "Set the advertised protocols for the ALPN extension "
                         "(comma-separated list)"),
        Opt("keylogfile", ">", "Write TLS secrets to file"),
        Opt("no_ticket", "-", "Disable use of TLS session tickets"),
        Opt("num_tickets", "n", "The number of TLSv1.3 session tickets that a server will "
                                "automatically issue"),
    )),
    ("Debug", (
        Opt("quiet", "-", "No server output"),
        Opt("brief", "-", "Restrict output to brief summary of connection parameters"),
        Opt("msg", "-", "Show protocol messages"),
        Opt("msgfile", ">", "File to send output of -msg or -trace, instead of stdout"),
        Opt("state", "-", "Print the SSL states"),
        Opt("nbio_test", "-", "Test with the non-blocking test bio"),
    )),
    ("TLS/SSL", (
        Opt("tls1_3", "-", "Just talk TLSv1.3"),
        Opt("tls1_2", "-", "Just talk TLSv1.2"),
        Opt("sigalgs", "s", "Signature algorithms to support (colon-separated list)"),
        Opt("groups", "s", "Groups to advertise (colon-separated list)"),
        Opt("curves", "s", "Groups to advertise (colon-separated list)"),
        Opt("cipher", "s", "Specify TLSv1.2 and below cipher list to be used"),
        Opt("ciphersuites", "s", "Specify TLSv1.3 ciphersuites to be used"),
        Opt("min_protocol", "s", "Specify the minimum protocol version to be used"),
        Opt("max_protocol", "s", "Specify the maximum protocol version to be used"),
    )),
)


@dataclass
class _Stats:
    """The SSL_CTX_sess_* counters print_stats shows."""

    accept: int = 0
    accept_good: int = 0
    hits: int = 0

    def text(self) -> str:
        rows = [
            (0, "items in the session cache"),
            (0, "client connects (SSL_connect())"),
            (0, "client renegotiates (SSL_connect())"),
            (0, "client connects that finished"),
            (self.accept, "server accepts (SSL_accept())"),
            (0, "server renegotiates (SSL_accept())"),
            (self.accept_good, "server accepts that finished"),
            (self.hits, "session cache hits"),
            (0, "session cache misses"),
            (0, "session cache timeouts"),
            (0, "callback cache hits"),
            (0, "cache full overflows (128 allowed)"),
        ]
        return "".join(f"{n:4d} {label}\n" for n, label in rows)


class _Conn:
    """One accepted connection: its BIO chain, its SSL, and blocking-style helpers that
    wait in select() whenever SSL_get_error (or a BIO's retry flags) ask to.

    For -www and -rev the application talks to ``io``, OpenSSL's own stack::

        io = BufferBIO -> SSLBIO(ssl) -> [NBIOTestBIO] -> SocketBIO

    so lines come from BIO_gets on the buffer and the reply leaves on BIO_flush.
    """

    def __init__(self, server: _Server, chain: BIO, ssl: SSL, io: BIO | None) -> None:
        self.server = server
        self.chain = chain
        self.ssl = ssl
        self.io = io
        sock_bio = chain.find_type(SocketBIO)
        assert isinstance(sock_bio, SocketBIO)
        self.sock_bio = sock_bio
        self.fd = sock_bio.get_fd()

    def wait(self, err: ErrorCode) -> bool:
        """Wait for the socket as ``err`` asks; False for errors that are not retries."""
        if err == ErrorCode.WANT_READ:
            wait_io(self.fd, read=True, write=False)
            return True
        if err == ErrorCode.WANT_WRITE:
            wait_io(self.fd, read=False, write=True)
            return True
        return False

    def wait_bio(self, bio: BIO) -> bool:
        """BIO_should_retry: wait for what the BIO's retry flags name; False if no retry."""
        if not bio.should_retry():
            return False
        wait_io(self.fd, read=bio.should_read(), write=bio.should_write() or
                not bio.should_read())
        return True

    def handshake(self) -> bool:
        """SSL_accept (or BIO_do_handshake on ``io``) until done; ERROR report on failure."""
        s = self.server
        ssl = self.ssl
        s.stats.accept += 1
        while True:
            if self.io is not None:
                r = self.io.ctrl(Ctrl.C_DO_STATE_MACHINE)
                if r <= 0 and self.wait_bio(self.io):
                    continue
            else:
                r = ssl.accept()
                if r <= 0 and self.wait(ssl.get_error(r)):
                    continue
            if r == 1:
                s.stats.accept_good += 1
                if ssl.session_reused():
                    s.stats.hits += 1
                return True
            self.report_failure()
            return False

    def report_failure(self) -> None:
        err = self.server.err
        say(err, "ERROR\n")
        result = self.ssl.get_verify_result()
        if result:
            say(err, f"verify error:{verify_cert_error_string(result)}\n")
        print_errors_to(err)

    def read(self) -> bytes | None:
        """SSL_read (waiting as needed): data, or None at close_notify, EOF or error."""
        ssl = self.ssl
        while True:
            data = ssl.read(BUFSIZZ)
            if data:
                return data
            err = ssl.get_error(0)
            if self.wait(err):
                continue
            if err not in (ErrorCode.ZERO_RETURN, ErrorCode.SYSCALL):
                print_errors_to(self.server.err)
            return None

    def gets(self) -> bytes | None:
        """BIO_gets on ``io``: one line, or None at end of input or on an error."""
        io = self.io
        assert io is not None
        while True:
            r = io.gets_c(BUFSIZZ)
            if isinstance(r, bytes):
                return r
            if self.wait_bio(io):
                continue
            if r < 0:
                print_errors_to(self.server.err)
            return None

    def write_all(self, data: bytes) -> bool:
        """Write everything (through ``io`` when there is one), then flush."""
        view = memoryview(data)
        io = self.io
        ssl = self.ssl
        while view:
            if io is not None:
                n = io.write(view)
                if n <= 0:
                    if self.wait_bio(io):
                        continue
                    print_errors_to(self.server.err)
                    return False
            else:
                n = ssl.write(view)
                if n <= 0:
                    if self.wait(ssl.get_error(n)):
                        continue
                    print_errors_to(self.server.err)
                    return False
            view = view[n:]
        return self.flush()

    def flush(self) -> bool:
        """BIO_flush on ``io`` until the buffer is empty, waiting as its retry flags say."""
        io = self.io
        while io is not None:
            if io.flush() > 0:
                break
            if not self.wait_bio(io):
                print_errors_to(self.server.err)
                return False
        return True

    def shutdown(self) -> None:
        """do_ssl_shutdown: send our close_notify (not waiting for the peer's)."""
        self.flush()
        ssl = self.ssl
        for _ in range(20):
            r = ssl.shutdown()
            if r >= 0:
                break
            err = ssl.get_error(r)
            if err not in (ErrorCode.WANT_READ, ErrorCode.WANT_WRITE):
                break
            if not wait_io(self.fd, read=err == ErrorCode.WANT_READ,
                           write=err == ErrorCode.WANT_WRITE, timeout=0.5):
                break
        clear_error()

    def close(self) -> None:
        """SHUT_WR, a short drain (so a late alert is not turned into a RST), then free."""
        sock = self.sock_bio.sock
        try:
            sock.shutdown(socket.SHUT_WR)
            sock.setblocking(False)
            while wait_io(self.fd, read=True, write=False, timeout=0.5):
                if not sock.recv(BUFSIZZ):
                    break
        except OSError:
            pass  # the client is gone already
        if self.io is not None:
            # The SSL BIO is BIO_NOCLOSE: freeing it leaves the SSL alone.
            self.io.free_all()
        else:
            self.chain.free_all()
        self.ssl.set_bio(None, None)


class _Server:
    """One s_server run."""

    def __init__(self, opts: Options, argv: Sequence[str]) -> None:
        self.opts = opts
        self.argv = list(argv)
        self.err = err_bio()
        self.brief = bool(opts["brief"])
        # As in OpenSSL, -brief implies -quiet: only the summary, on stderr.
        self.quiet = bool(opts["quiet"]) or self.brief
        self.out = out_bio(self.quiet)
        self.data_out = out_bio(False)
        self.msg_out: BIO | None = None
        self.keylog: KeylogWriter | None = None
        self.ctx: SSLContext | None = None
        self.ctx2: SSLContext | None = None
        self.alpn: list[bytes] | None = None
        self.stats = _Stats()
        self.accept_bio: AcceptBIO | None = None
        self.stdin = stdin_fd()

    # ------------------------------------------------------------------ setup

    def conf_error(self, flag: str, arg: str) -> int:
        say(self.err, f'Error with command: "-{flag} {arg}"\n')
        print_errors_to(self.err)
        return 1

    def load_identity(self, cert_file: str, key_file: str, what: str
                      ) -> tuple[list[X509], object] | int:
        key = load_private_key_file(key_file)
        if key is None:
            say(self.err, _load_failure(key_file, f"{what} private key"))
            print_errors_to(self.err)
            return 1
        chain = load_certificate_chain_file(cert_file)
        if chain is None:
            say(self.err, _load_failure(cert_file, what))
            print_errors_to(self.err)
            return 1
        return chain, key

    def make_contexts(self) -> int:
        o = self.opts
        if o["cert"] is not None:
            ident = self.load_identity(o["cert"], o["key"] or o["cert"],
                                       "server certificate")
            if isinstance(ident, int):
                return ident
            chain, key = ident
        else:
            cert, key = make_self_signed("localhost")
            chain = [cert]
            say(self.err, f"{PROG}: no -cert given: using a throwaway self-signed certificate "
                          f"for {cert.get_subject_name().oneline()} (DNS:localhost, "
                          "IP:127.0.0.1)\n")
            if not self.quiet:
                say(self.err, "Clients can trust it with -CAfile (or curl --cacert) on:\n"
                    + cert_to_pem(cert).decode())
        ctx = self.new_context(chain, key)
        if isinstance(ctx, int):
            return ctx
        self.ctx = ctx
        if o["cert2"] is not None:
            ident = self.load_identity(o["cert2"], o["key2"] or o["cert2"],
                                       "second server certificate")
            if isinstance(ident, int):
                return ident
            ctx2 = self.new_context(*ident)
            if isinstance(ctx2, int):
                return ctx2
            self.ctx2 = ctx2
        if o["servername"] is not None or self.ctx2 is not None:
            for c in (self.ctx, self.ctx2):
                if c is not None:
                    c.set_tlsext_servername_callback(self.servername_cb)
        return 0

    def new_context(self, chain: list[X509], key: object) -> SSLContext | int:
        """SSL_CTX_new plus every option; ``-cert2`` gets a second one just like it."""
        o = self.opts
        ctx = SSLContext(TLS_server_method())
        ctx.use_certificate_chain(chain)
        if not ctx.use_PrivateKey(key):
            say(self.err, "error setting private key\n")
            print_errors_to(self.err)
            return 1
        min_v = max_v = 0
        if o["tls1_3"]:
            min_v = max_v = Version.TLS1_3
        if o["tls1_2"]:
            min_v = max_v = Version.TLS1_2
        for flag in ("min_protocol", "max_protocol"):
            if o[flag] is not None:
                v = protocol_version(o[flag])
                if v is None:
                    return self.conf_error(flag, o[flag])
                if flag == "min_protocol":
                    min_v = v
                else:
                    max_v = v
        ctx.set_min_proto_version(min_v)
        ctx.set_max_proto_version(max_v)
        if o["cipher"] is not None and not ctx.set_cipher_list(o["cipher"]):
            return self.conf_error("cipher", o["cipher"])
        if o["ciphersuites"] is not None and not ctx.set_ciphersuites(o["ciphersuites"]):
            return self.conf_error("ciphersuites", o["ciphersuites"])
        for flag in ("groups", "curves"):
            if o[flag] is not None and not ctx.set1_groups_list(o[flag]):
                return self.conf_error(flag, o[flag])
        if o["sigalgs"] is not None and not ctx.set1_sigalgs_list(o["sigalgs"]):
            return self.conf_error("sigalgs", o["sigalgs"])
        if o["no_ticket"]:
            ctx.set_options(Op.NO_TICKET)
        if o["num_tickets"] is not None and not ctx.set_num_tickets(int(o["num_tickets"])):
            return self.conf_error("num_tickets", str(o["num_tickets"]))
        mode = Verify.NONE
        depth = -1
        if o["verify"] is not None:
            mode = Verify.PEER | Verify.CLIENT_ONCE
            depth = int(o["verify"])
            if not self.quiet and self.ctx is None:
                say(self.err, f"verify depth is {depth}\n")
        if o["Verify"] is not None:
            mode = Verify.PEER | Verify.FAIL_IF_NO_PEER_CERT | Verify.CLIENT_ONCE
            depth = int(o["Verify"])
            if not self.quiet and self.ctx is None:
                say(self.err, f"verify depth is {depth}, must return a certificate\n")
        ctx.set_verify(mode, VerifyPrinter(self.err, depth,
                                           return_error=bool(o["verify_return_error"]),
                                           quiet=self.brief))
        if o["CAfile"] is not None or o["CApath"] is not None:
            if not ctx.load_verify_locations(o["CAfile"], o["CApath"]):
                print_errors_to(self.err)
                return 1
            if o["CAfile"] is not None:
                cas = load_certificates(o["CAfile"])
                if cas:
                    ctx.set_client_CA_list(cas)
            clear_error()
        if o["alpn"] is not None:
            protos = parse_alpn(o["alpn"])
            if protos is None:
                say(self.err, "Error parsing -alpn argument\n")
                return 1
            self.alpn = protos
            ctx.set_alpn_select_cb(self.alpn_cb)
        if o["keylogfile"] is not None:
            if self.keylog is None:
                self.keylog = KeylogWriter.open(o["keylogfile"], self.err)
                if self.keylog is None:
                    return 1
            ctx.set_keylog_callback(self.keylog)
        return ctx

    # ------------------------------------------------------------------ callbacks

    def alpn_cb(self, ssl: SSL, offered: list[bytes]) -> bytes | int:
        """s_server's alpn_cb: the first of our protocols the client offers (server order)."""
        if not self.quiet:
            say(self.out, "ALPN protocols advertised by the client: "
                + ", ".join(p.decode("latin-1") for p in offered) + "\n")
        for proto in self.alpn or ():
            if proto in offered:
                if not self.quiet:
                    say(self.out, f"ALPN protocols selected: {proto.decode('latin-1')}\n")
                return proto
        return int(TLSEXT_ERR.ALERT_FATAL)

    def servername_cb(self, ssl: SSL, arg: object) -> int:
        """ssl_servername_cb: switch to the -cert2 context when SNI names -servername."""
        name = ssl.get_servername()
        if name is not None and self.ctx2 is not None:
            shown = "".join(c if c.isascii() and c.isprintable() else f"\\x{ord(c):02x}"
                            for c in name)
            say(self.out, f'Hostname in TLS extension: "{shown}"\n')
        wanted = self.opts["servername"]
        if wanted is None:
            return int(TLSEXT_ERR.NOACK)
        if name is not None:
            if name.lower() != str(wanted).lower():
                # OpenSSL's default warning alert does not exist in TLS 1.3: it
                # just does not acknowledge the name.
                return int(TLSEXT_ERR.ALERT_FATAL if self.opts["servername_fatal"]
                           else TLSEXT_ERR.NOACK)
            if self.ctx2 is not None:
                say(self.out, "Switching server context.\n")
                ssl.set_SSL_CTX(self.ctx2)
        return int(TLSEXT_ERR.OK)

    # ------------------------------------------------------------------ connections

    def listen(self) -> int:
        o = self.opts
        spec = accept_spec(o)
        abio = AcceptBIO()
        if not abio.set_accept_name(str(spec)):
            say(self.err, f"{PROG}: -accept argument malformed or ambiguous\n")
            return 1
        self.accept_bio = abio
        if o["nbio_test"]:
            abio.set_accept_bios(NBIOTestBIO)
        abio.set_nbio(bool(o["nbio"]))
        if abio.do_accept() <= 0:
            print_errors_to(self.err)
            return 1
        return 0

    def accept_line(self) -> str:
        abio = self.accept_bio
        assert abio is not None
        host = abio.get_accept_name() or "*"
        port = abio.get_accept_port()
        return f"ACCEPT [{host}]:{port}\n" if ":" in host else f"ACCEPT {host}:{port}\n"

    def new_conn(self, chain: BIO) -> _Conn:
        """SSL_new + SSL_set_bio on the accepted chain; for -www and -rev also OpenSSL's
        ``BIO_f_buffer -> BIO_f_ssl`` stack on top of it."""
        assert self.ctx is not None
        ssl = SSL(self.ctx)
        ssl.set_bio(chain, chain)
        ssl.set_accept_state()
        io: BIO | None = None
        if self.opts["www"] or self.opts["rev"]:
            io = BufferBIO(BUFSIZZ).push(SSLBIO(ssl, BIO_NOCLOSE))
        o = self.opts
        inner: Callable[..., None] | None = None
        if o["msg"] or o["trace"]:
            if self.msg_out is None:
                self.msg_out = self.data_out
                if o["msgfile"] is not None:
                    f = FileBIO.open(o["msgfile"], "w")
                    if f is not None:
                        self.msg_out = f
                    else:
                        print_errors_to(self.err)
            inner = TracePrinter(self.msg_out) if o["trace"] else MsgPrinter(self.msg_out)
        spy = HandshakeSpy(inner)
        ssl.app_data = spy
        ssl.set_msg_callback(spy)
        if o["state"]:
            ssl.set_info_callback(InfoPrinter(self.err))
        return _Conn(self, chain, ssl, io)

    def run(self) -> int:
        r = self.make_contexts() or self.listen()
        if r:
            return r
        abio = self.accept_bio
        assert abio is not None
        say(self.out, self.accept_line())
        naccept = self.opts["naccept"]
        while True:
            if abio.do_accept() <= 0:
                print_errors_to(self.err)
                return 1
            chain = abio.pop()
            assert chain is not None
            conn = self.new_conn(chain)
            try:
                if self.opts["www"]:
                    ret = self.www_body(conn)
                elif self.opts["rev"]:
                    ret = self.rev_body(conn)
                elif self.opts["echo"]:
                    ret = self.echo_body(conn)
                else:
                    ret = self.sv_body(conn)
            finally:
                conn.close()
            if naccept is not None:
                naccept -= 1
            if ret < 0 or naccept == 0:
                break
            say(self.out, self.accept_line())
        say(self.out, self.stats.text())
        return 0

    # ------------------------------------------------------------------ bodies

    def print_connection_info(self, conn: _Conn) -> None:
        """print_connection_info: what s_server prints once a handshake is done."""
        ssl = conn.ssl
        facts = _facts(ssl)
        out = self.out
        if self.brief:
            print_ssl_summary(self.err, ssl, facts)
        peer = ssl.get_peer_certificate()
        if peer is not None:
            say(out, "Client certificate\n" + cert_to_pem(peer).decode())
            dump_cert_text(out, peer)
        shared = self.shared_ciphers(ssl)
        if shared:
            say(out, "Shared ciphers:" + ":".join(s.openssl_name for s in shared) + "\n")
        ssl_print_sigalgs(out, ssl, facts)
        ssl_print_groups(out, ssl, facts)
        print_ca_names(out, ssl, facts)
        say(out, f"CIPHER is {ssl.get_cipher() or '(NONE)'}\n")
        if ssl.session_reused():
            say(out, "Reused session-id\n")
        say(out, "Secure Renegotiation IS"
            + ("" if facts.client_reneg_info else " NOT") + " supported\n")

    def supported_suites(self) -> list[Suite]:
        ctx = self.ctx
        assert ctx is not None
        return list(ctx.suites13) + list(ctx.suites12)

    def shared_ciphers(self, ssl: SSL) -> list[Suite]:
        """SSL_get_shared_ciphers: the client's suites we could use, in the client's order."""
        ours = {s.id for s in self.supported_suites()}
        out = []
        for cs in _facts(ssl).client_suites:
            suite = suite_by_id(cs)
            if suite is not None and cs in ours:
                out.append(suite)
        return out

    def sv_body(self, conn: _Conn) -> int:
        """The default mode: client data to stdout, stdin to the client."""
        ssl = conn.ssl
        if self.opts["nbio"] and not self.quiet:
            say(self.err, "turning on non blocking io\n")
        done_init = False
        stdin = self.stdin
        # Count connections, not SSL_accept attempts.
        self.stats.accept += 1
        try:
            while True:
                if not done_init:
                    r = ssl.accept()
                    if r == 1:
                        done_init = True
                        self.stats.accept_good += 1
                        if ssl.session_reused():
                            self.stats.hits += 1
                        self.print_connection_info(conn)
                        continue
                    err = ssl.get_error(r)
                    if err in (ErrorCode.WANT_READ, ErrorCode.WANT_WRITE):
                        say(self.out, "DELAY\n")
                        conn.wait(err)
                        continue
                    conn.report_failure()
                    return 1
                rl = [conn.fd] + ([stdin] if stdin is not None else [])
                if ssl.has_pending():
                    readable = [conn.fd]
                else:
                    readable, _, _ = select.select(rl, [], [])
                if stdin is not None and stdin in readable:
                    buf = os.read(stdin, BUFSIZZ)
                    if not buf:
                        stdin = self.stdin = None
                        if not self.quiet and not self.brief:
                            say(self.out, "DONE\n")
                            return _QUIT
                        continue
                    if not self.quiet and not self.brief:
                        action = self.command(conn, buf)
                        if action is not None:
                            if action == "skip":
                                continue
                            return _QUIT if action == "quit" else 1
                    if not self.server_write(conn, buf):
                        return 1
                if conn.fd in readable:
                    r2 = self.server_read(conn)
                    if r2 is not None:
                        return r2
        finally:
            say(self.out, "shutting down SSL\n")
            conn.shutdown()
            say(self.out, "CONNECTION CLOSED\n")

    def command(self, conn: _Conn, buf: bytes) -> str | None:
        """sv_body's command letters; "quit", "close", "skip", or None to send the line."""
        ssl = conn.ssl
        first = buf[:1]
        single = len(buf) > 1 and buf[1:2] in (b"\n", b"\r")
        if first == b"Q":
            say(self.out, "DONE\n")
            return "quit"
        if first == b"q":
            say(self.out, "DONE\n")
            return "close"
        if first in (b"r", b"R") and single:
            # TLS 1.3 has no renegotiation; the handshake call just succeeds.
            say(self.out, f"SSL_do_handshake -> {self.do_handshake(conn)}\n")
            return "skip"
        if first in (b"K", b"k") and single:
            ssl.key_update(KEY_UPDATE_REQUESTED if first == b"K" else KEY_UPDATE_NOT_REQUESTED)
            say(self.out, f"SSL_do_handshake -> {self.do_handshake(conn)}\n")
            return "skip"
        if first == b"P":
            # Straight into the BIO under the SSL object: the client sees a bad record.
            wbio = ssl.get_wbio()
            if wbio is not None:
                wbio.write(b"Lets print some clear text\n")
        if first == b"S":
            say(self.out, self.stats.text())
        return None

    def do_handshake(self, conn: _Conn) -> int:
        while True:
            r = conn.ssl.do_handshake()
            if r == 1 or not conn.wait(conn.ssl.get_error(r)):
                clear_error()
                return r

    def server_write(self, conn: _Conn, buf: bytes) -> bool:
        ssl = conn.ssl
        view = memoryview(buf)
        while view:
            k = ssl.write(view)
            if k > 0:
                view = view[k:]
                continue
            err = ssl.get_error(k)
            if err in (ErrorCode.WANT_READ, ErrorCode.WANT_WRITE, ErrorCode.WANT_X509_LOOKUP):
                say(self.out, "Write BLOCK\n")
                conn.wait(err)
                continue
            if err == ErrorCode.ZERO_RETURN:
                say(self.out, "DONE\n")
                return False
            say(self.out, "ERROR\n")
            print_errors_to(self.err)
            return False
        return True

    def server_read(self, conn: _Conn) -> int | None:
        ssl = conn.ssl
        while True:
            data = ssl.read(BUFSIZZ)
            if data:
                self.data_out.write(data)
                self.data_out.flush()
                if ssl.has_pending():
                    continue
                return None
            err = ssl.get_error(0)
            if err in (ErrorCode.WANT_READ, ErrorCode.WANT_WRITE):
                say(self.out, "Read BLOCK\n")
                return None
            if err == ErrorCode.ZERO_RETURN:
                say(self.out, "DONE\n")
                return 1
            say(self.out, "ERROR\n")
            print_errors_to(self.err)
            return 1

    def rev_body(self, conn: _Conn) -> int:
        """-rev: each line comes back reversed; a line ``CLOSE`` ends the connection."""
        if not conn.handshake():
            say(self.err, "CONNECTION FAILURE\n")
            return 1
        say(self.err, "CONNECTION ESTABLISHED\n")
        print_ssl_summary(self.err, conn.ssl, _facts(conn.ssl))
        while True:
            line = conn.gets()
            if line is None:
                say(self.err, "CONNECTION CLOSED\n")
                break
            text = line.rstrip(b"\r\n")
            if text == b"CLOSE":
                say(self.err, "CONNECTION CLOSED\n")
                break
            if not conn.write_all(text[::-1] + b"\n"):
                break
        conn.shutdown()
        return 1

    def echo_body(self, conn: _Conn) -> int:
        """-echo (biokit's own): everything read is written back unchanged."""
        if not conn.handshake():
            return 1
        self.print_connection_info(conn)
        while True:
            data = conn.read()
            if data is None:
                break
            if not conn.write_all(data):
                break
        say(self.out, "shutting down SSL\n")
        conn.shutdown()
        say(self.out, "CONNECTION CLOSED\n")
        return 1

    def www_body(self, conn: _Conn) -> int:
        """-www: answer the first ``GET `` line with a page describing the connection."""
        if not conn.handshake():
            return 1
        while True:
            line = conn.gets()
            if line is None:
                break
            if line.startswith(b"GET "):
                conn.write_all(self.www_page(conn).encode("utf-8", "replace"))
                break
        conn.shutdown()
        return 1

    def www_page(self, conn: _Conn) -> str:
        ssl = conn.ssl
        facts = _facts(ssl)
        cmd = " ".join(_html_escape(a) for a in [PROG, *self.argv]) + " "
        parts = [
            "HTTP/1.0 200 ok\r\nContent-type: text/html\r\n\r\n",
            '<HTML><BODY BGCOLOR="#ffffff">\n<pre>\n\n',
            cmd + "\n",
            "Secure Renegotiation IS" + ("" if facts.client_reneg_info else " NOT")
            + " supported\n",
            "Ciphers supported in s_server binary\n",
        ]
        suites = self.supported_suites()
        row = []
        for i, s in enumerate(suites):
            row.append(f"{s.protocol:<11}:{s.openssl_name:<25} ")
            if (i + 1) % 2 == 0 and i + 1 != len(suites):
                row.append("\n")
        parts.append("".join(row) + "\n")
        shared = self.shared_ciphers(ssl)
        if shared:
            cells = []
            for i, s in enumerate(shared):
                sep = "" if i == len(shared) - 1 else (" " if (i + 1) % 3 else "\n")
                cells.append(f"{s.openssl_name:<26}" + sep if sep else s.openssl_name)
            parts.append("---\nCiphers common between both SSL end points:\n"
                         + "".join(cells) + "\n")
        page = _Capture()
        ssl_print_sigalgs(page, ssl, facts)
        ssl_print_groups(page, ssl, facts)
        cipher = ssl.get_current_cipher()
        say(page, ("---\nReused, " if ssl.session_reused() else "---\nNew, ")
            + f"{cipher.get_version() if cipher else '(NONE)'}, Cipher is "
              f"{cipher.get_name() if cipher else '(NONE)'}\n")
        print_session(page, ssl, None)
        say(page, "---\n" + self.stats.text() + "---\n")
        peer = ssl.get_peer_certificate()
        if peer is not None:
            say(page, "Client certificate\n" + x509_text(peer) + cert_to_pem(peer).decode())
        else:
            say(page, "no client certificate available\n")
        parts.append(page.text())
        alpn = ssl.get0_alpn_selected()
        if alpn:
            parts.append(f"ALPN protocol: {alpn.decode('latin-1')}\n")
        parts.append("</pre></BODY></HTML>\r\n\r\n")
        return "".join(parts)

    def close(self) -> None:
        if self.accept_bio is not None:
            self.accept_bio.free_all()
        if self.keylog is not None:
            self.keylog.close()
        if self.msg_out is not None and self.msg_out is not self.data_out:
            self.msg_out.free()


class _Capture(BIO):
    """A write-only BIO that keeps what is written (the -www page is built with the same
    printers as the console output)."""

    __slots__ = ("_parts",)

    def __init__(self) -> None:
        super().__init__()
        self._parts: list[bytes] = []

    def _write(self, data: bytes | bytearray | memoryview) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def text(self) -> str:
        """Everything written so far."""
        return b"".join(self._parts).decode("utf-8", "replace")


def _facts(ssl: SSL) -> HelloFacts:
    spy = ssl.app_data
    return spy.facts if isinstance(spy, HandshakeSpy) else HelloFacts()


def _html_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _load_failure(path: str, desc: str) -> str:
    if not os.path.exists(path):
        return f"Could not open file or uri for loading {desc} from {path}\n"
    return f"Could not read {desc} from {path}\n"


def accept_spec(opts: Options) -> str:
    """The BIO_set_accept_name argument for -accept / -port (the last one given wins)."""
    # OpenSSL's -port N only clears the host, so it is -accept N: every address.
    # biokit departs from OpenSSL in one place only: with neither option it listens
    # on loopback, so that trying the tool never exposes a throwaway server.
    for name in reversed(opts.order):
        if name == "accept":
            return str(opts["accept"])
        if name == "port":
            return str(opts["port"])
    return DEFAULT_ACCEPT


def main(argv: Sequence[str]) -> int:
    """``biokit s_server [options]``: the entry point (returns the exit code)."""
    err = err_bio()
    opts = parse_options(PROG, _SECTIONS, argv, err)
    if isinstance(opts, int):
        return opts
    server = _Server(opts, argv)
    try:
        return server.run()
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 1
    finally:
        server.close()
        try:
            sys.stdout.flush()
        except OSError:
            pass  # stdout went away with the terminal; nothing to tell anyone
