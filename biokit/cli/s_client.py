"""``biokit s_client``: ``openssl s_client`` on biokit's BIOs and SSL object.

The connection is a ``ConnectBIO`` (nonblocking with ``-nbio``, so the connect
itself can ask to retry), optionally behind an ``NBIOTestBIO`` (``-nbio_test``)
that fakes retries and short reads and writes.  The SSL object is blocking or
not only because of that BIO chain; the loop below calls ``SSL_connect``,
``SSL_read`` and ``SSL_write`` and, whenever ``SSL_get_error`` says WANT_READ or
WANT_WRITE, waits in ``select()`` for exactly that -- as OpenSSL's s_client does.

After the handshake it prints OpenSSL's connection summary, then copies stdin
to the server and the server's data to stdout.  A line holding only ``Q`` quits,
``K`` / ``k`` send a KeyUpdate (requesting one back, or not) and ``R`` asks for a
renegotiation, unless ``-nocommands`` or ``-ign_eof``/``-quiet`` is given.
"""

from __future__ import annotations

import os
import select
import socket
from collections.abc import Sequence

from biokit.bio import BIO, ConnectBIO, FileBIO, NBIOTestBIO, RetryReason
from biokit.cli.common import (
    HandshakeSpy,
    InfoPrinter,
    KeylogWriter,
    MsgPrinter,
    Opt,
    Options,
    TracePrinter,
    VerifyPrinter,
    asn1_time,
    dump_cert_text,
    err_bio,
    first_errno,
    out_bio,
    parse_alpn,
    parse_options,
    pkey_bits,
    pkey_name,
    print_ca_names,
    print_errors_to,
    print_session,
    print_ssl_summary,
    print_verify_detail,
    protocol_version,
    read_session,
    say,
    sigalg_name,
    ssl_print_sigalgs,
    ssl_print_tmp_key,
    stdin_fd,
    wait_io,
    write_session,
)
from biokit.errors import clear_error
from biokit.ssl import SSL, ErrorCode, Mode, Op, SSLContext, TLS_client_method, Verify, Version
from biokit.ssl.certgen import cert_to_pem
from biokit.ssl.consts import KEY_UPDATE_NOT_REQUESTED, KEY_UPDATE_REQUESTED
from biokit.ssl.tls.config import SessionData
from biokit.ssl.verify import verify_cert_error_string
from biokit.ssl.x509 import load_certificate_chain_file, load_private_key_file

__all__ = ["main"]

PROG = "s_client"
BUFSIZZ = 16 * 1024

_SECTIONS: tuple[tuple[str, tuple[Opt, ...]], ...] = (
    ("General", (
        Opt("help", "-", "Display this summary"),
    )),
    ("Network", (
        Opt("host", "s", "Use -connect instead"),
        Opt("port", "p", "Use -connect instead"),
        Opt("connect", "s", "TCP/IP where to connect; default: localhost:4433"),
        Opt("nbio", "-", "Use non-blocking IO"),
    )),
    ("Identity", (
        Opt("cert", "<", "Client certificate file to use"),
        Opt("key", "s", "Private key file to use; default: -cert file"),
        Opt("CAfile", "<", "PEM format file of CA's"),
        Opt("CApath", "/", "PEM format directory of CA's"),
        Opt("no-CAfile", "-", "Do not load the default certificates file"),
        Opt("no-CApath", "-", "Do not load certificates from the default certificates directory"),
        Opt("verify", "p", "Turn on peer certificate verification"),
        Opt("verify_return_error", "-", "Close connection on verification error"),
        Opt("verify_hostname", "s", "expected peer hostname"),
        Opt("verify_ip", "s", "expected peer IP address"),
        Opt("sess_out", ">", "File to write SSL session to"),
        Opt("sess_in", "<", "File to read SSL session from"),
    )),
    ("Session", (
        Opt("crlf", "-", "Convert LF from terminal into CRLF"),
        Opt("quiet", "-", "No s_client output"),
        Opt("ign_eof", "-", "Ignore input eof (default when -quiet)"),
        Opt("no_ign_eof", "-", "Don't ignore input eof"),
        Opt("nocommands", "-", "Do not use interactive command letters"),
    )),
    ("Debug", (
        Opt("brief", "-", "Restrict output to brief summary of connection parameters"),
        Opt("showcerts", "-", "Show all certificates sent by the server"),
        Opt("msg", "-", "Show protocol messages"),
        Opt("msgfile", ">", "File to send output of -msg or -trace, instead of stdout"),
        Opt("nbio_test", "-", "More ssl protocol testing"),
        Opt("state", "-", "Print the ssl states"),
        Opt("trace", "-", "Show trace output of protocol messages"),
        Opt("keylogfile", ">", "Write TLS secrets to file"),
    )),
    ("TLS/SSL", (
        Opt("servername", "s", "Set TLS extension servername (SNI) in ClientHello (default)"),
        Opt("noservername", "-",
            "Do not send the server name (SNI) extension in the ClientHello"),
        Opt("alpn", "s", "Enable ALPN extension, considering named protocols supported "
                         "(comma-separated list)"),
        Opt("tls1_3", "-", "Just use TLSv1.3"),
        Opt("tls1_2", "-", "Just use TLSv1.2"),
        Opt("no_ticket", "-", "Disable use of TLS session tickets"),
        Opt("sigalgs", "s", "Signature algorithms to support (colon-separated list)"),
        Opt("groups", "s", "Groups to advertise (colon-separated list)"),
        Opt("curves", "s", "Groups to advertise (colon-separated list)"),
        Opt("cipher", "s", "Specify TLSv1.2 and below cipher list to be used"),
        Opt("ciphersuites", "s", "Specify TLSv1.3 ciphersuites to be used"),
        Opt("min_protocol", "s", "Specify the minimum protocol version to be used"),
        Opt("max_protocol", "s", "Specify the maximum protocol version to be used"),
    )),
)


def is_dns_name(host: str) -> bool:
    """is_dNS_name: a host name with at least two labels that is not all digits (SNI default)."""
    length = len(host)
    label = 0
    all_numeric = True
    dns = False
    for i, c in enumerate(host):
        if label >= 63:
            break
        if c.isascii() and (c.isalpha() or c == "_"):
            label += 1
            all_numeric = False
            continue
        if c.isascii() and c.isdigit():
            label += 1
            continue
        if 0 < i < length - 1:
            if c == "-":
                label += 1
                continue
            if c == "." and host[i + 1] != "." and host[i - 1] != "-" and host[i + 1] != "-":
                label = 0
                dns = True
                continue
        dns = False
        break
    return dns and not all_numeric and label != 63


class _Client:
    """One s_client run: configuration, connection, the select loop, shutdown."""

    def __init__(self, opts: Options) -> None:
        self.opts = opts
        self.err = err_bio()
        self.brief = bool(opts["brief"])
        self.quiet = bool(opts["quiet"]) or self.brief
        self.out = out_bio(self.quiet)
        # Server data goes to stdout even with -quiet (raw_write_stdout).
        self.data_out = out_bio(False)
        self.ign_eof = (bool(opts["quiet"]) or bool(opts["ign_eof"])) and not opts["no_ign_eof"]
        self.msg_out: BIO | None = None
        self.keylog: KeylogWriter | None = None
        self.ctx: SSLContext | None = None
        self.ssl: SSL | None = None
        self.conn: ConnectBIO | None = None
        self.verify: VerifyPrinter | None = None
        self.spy = HandshakeSpy()

    # ------------------------------------------------------------------ setup

    def conf_error(self, flag: str, arg: str) -> int:
        say(self.err, f'Error with command: "-{flag} {arg}"\n')
        print_errors_to(self.err)
        return 1

    def make_context(self) -> int:
        """SSL_CTX_new and everything the options put in it; 0 or an exit code."""
        o = self.opts
        ctx = SSLContext(TLS_client_method())
        self.ctx = ctx
        # s_client wants to see non-application records: "read R BLOCK".
        ctx.clear_mode(Mode.AUTO_RETRY)
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
        # Verification: the callback always runs and prints the chain; it lets a
        # failure through unless -verify_return_error (or -verify's depth) says no.
        mode = Verify.NONE
        depth = -1
        if o["verify"] is not None:
            mode = Verify.PEER
            depth = int(o["verify"])
            if not self.quiet:
                say(self.err, f"verify depth is {depth}\n")
        if o["verify_return_error"]:
            mode = Verify.PEER
        self.verify = VerifyPrinter(self.err, depth, return_error=bool(o["verify_return_error"]),
                                    quiet=self.brief)
        ctx.set_verify(mode, self.verify)
        if o["CAfile"] is not None or o["CApath"] is not None:
            if not ctx.load_verify_locations(o["CAfile"], o["CApath"]):
                print_errors_to(self.err)
                return 1
        elif not (o["no-CAfile"] and o["no-CApath"]):
            ctx.set_default_verify_paths()
            clear_error()
        if o["cert"] is not None:
            r = self.load_identity(o["cert"], o["key"] or o["cert"])
            if r:
                return r
        elif o["key"] is not None:
            say(self.err, f"{PROG}: -key given without -cert\n")
            return 1
        if o["alpn"] is not None:
            protos = parse_alpn(o["alpn"])
            if protos is None or ctx.set_alpn_protos(protos) != 0:
                say(self.err, "Error parsing -alpn argument\n")
                return 1
        if o["keylogfile"] is not None:
            self.keylog = KeylogWriter.open(o["keylogfile"], self.err)
            if self.keylog is None:
                return 1
            ctx.set_keylog_callback(self.keylog)
        ctx.sess_set_new_cb(self.new_session)
        return 0

    def load_identity(self, cert_file: str, key_file: str) -> int:
        ctx = self.ctx
        assert ctx is not None
        key = load_private_key_file(key_file)
        if key is None:
            say(self.err, _load_failure(key_file, "client certificate private key"))
            print_errors_to(self.err)
            return 1
        chain = load_certificate_chain_file(cert_file)
        if chain is None:
            say(self.err, _load_failure(cert_file, "client certificate"))
            print_errors_to(self.err)
            return 1
        ctx.use_certificate_chain(chain)
        if not ctx.use_PrivateKey(key):
            say(self.err, "error setting private key\n")
            print_errors_to(self.err)
            return 1
        return 0

    def new_session(self, ssl: SSL, session: SessionData) -> None:
        """new_session_cb: save the ticket (-sess_out) and, in TLS 1.3, print it."""
        path = self.opts["sess_out"]
        if path is not None and not write_session(path, session):
            say(self.err, f"Error writing session file {path}\n")
        if session.version == Version.TLS1_3:
            say(self.out, "---\nPost-Handshake New Session Ticket arrived:\n")
            print_session(self.out, ssl, session)
            say(self.out, "---\n")

    def target(self) -> str | None:
        o = self.opts
        if o["connect"] is not None:
            return str(o["connect"])
        if o.rest:
            return o.rest[0]
        if o["host"] is not None or o["port"] is not None:
            return f"{o['host'] or 'localhost'}:{o['port'] or 4433}"
        return "localhost:4433"

    def connect(self) -> int:
        """init_client: a ConnectBIO, connected (waiting in select() when it is nonblocking)."""
        spec = self.target()
        conn = ConnectBIO()
        if spec is None or not conn.set_conn_hostname(spec) or conn.get_conn_port() is None:
            conn.free()
            say(self.err, f"{PROG}: -connect argument or target parameter malformed or "
                          "ambiguous\n")
            return 1
        self.conn = conn
        nbio = bool(self.opts["nbio"])
        conn.set_nbio(nbio)
        while True:
            r = conn.do_connect()
            if r == 1:
                break
            if conn.should_io_special() and conn.retry_reason == RetryReason.CONNECT:
                wait_io(conn.get_fd(), read=False, write=True)
                continue
            code = first_errno()
            print_errors_to(self.err)
            say(self.err, f"connect:errno={code}\n")
            return 1
        say(self.out, f"CONNECTED({conn.get_fd():08X})\n")
        if nbio:
            say(self.out, "Turned on non blocking io\n")
        return 0

    def make_ssl(self) -> int:
        o = self.opts
        assert self.ctx is not None and self.conn is not None
        ssl = SSL(self.ctx)
        self.ssl = ssl
        head: BIO = self.conn
        if o["nbio_test"]:
            head = NBIOTestBIO().push(self.conn)
        ssl.set_bio(head, head)
        ssl.set_connect_state()
        host = self.conn.get_conn_hostname()
        name = o["servername"]
        if name is None and not o["noservername"] and host is not None and is_dns_name(host):
            name = host
        if name is not None and not ssl.set_tlsext_host_name(name):
            say(self.err, "Unable to set TLS servername extension.\n")
            print_errors_to(self.err)
            return 1
        if o["verify_hostname"] is not None:
            ssl.set1_host(o["verify_hostname"])
        if o["verify_ip"] is not None:
            ssl.set1_host(o["verify_ip"])
        if o["sess_in"] is not None:
            session = read_session(o["sess_in"])
            if session is None:
                say(self.err, f"Can't open session file {o['sess_in']}\n")
                return 1
            ssl.set_session(session)
        if o["msg"] or o["trace"]:
            self.msg_out = self.data_out
            if o["msgfile"] is not None:
                msgfile = FileBIO.open(o["msgfile"], "w")
                if msgfile is None:
                    print_errors_to(self.err)
                    return 1
                self.msg_out = msgfile
            self.spy.inner = (TracePrinter(self.msg_out) if o["trace"]
                              else MsgPrinter(self.msg_out))
        ssl.set_msg_callback(self.spy)
        if o["state"]:
            ssl.set_info_callback(InfoPrinter(self.err))
        return 0

    # ------------------------------------------------------------------ output

    def print_stuff(self) -> None:
        """print_stuff: the connection summary after the handshake (or its failure)."""
        ssl = self.ssl
        assert ssl is not None
        out = self.out
        text = []
        chain = ssl.get_peer_cert_chain()
        if chain:
            text.append("---\nCertificate chain\n")
            for i, c in enumerate(chain):
                text.append(
                    f"{i:2d} s:{c.get_subject_name().oneline()}\n"
                    f"   i:{c.get_issuer_name().oneline()}\n"
                    f"   a:PKEY: {pkey_name(c)}, {pkey_bits(c.public_key())} (bit); "
                    f"sigalg: {sigalg_name(c)}\n"
                    f"   v:NotBefore: {asn1_time(c.get_not_before())}; "
                    f"NotAfter: {asn1_time(c.get_not_after())}\n"
                )
                if self.opts["showcerts"]:
                    text.append(cert_to_pem(c).decode())
        text.append("---\n")
        peer = ssl.get_peer_certificate()
        if peer is not None:
            text.append("Server certificate\n")
            if not (self.opts["showcerts"] and chain):
                text.append(cert_to_pem(peer).decode())
        else:
            text.append("no peer certificate available\n")
        say(out, "".join(text))
        if peer is not None:
            dump_cert_text(out, peer)
        print_ca_names(out, ssl, self.spy.facts)
        ssl_print_sigalgs(out, ssl, self.spy.facts)
        ssl_print_tmp_key(out, ssl)
        rbio, wbio = ssl.get_rbio(), ssl.get_wbio()
        say(out, f"---\nSSL handshake has read {rbio.num_read if rbio else 0} bytes "
                 f"and written {wbio.num_write if wbio else 0} bytes\n")
        print_verify_detail(out, ssl)
        cipher = ssl.get_current_cipher()
        text = [
            "---\nReused, " if ssl.session_reused() else "---\nNew, ",
            f"{cipher.get_version() if cipher else '(NONE)'}, Cipher is "
            f"{cipher.get_name() if cipher else '(NONE)'}\n",
        ]
        if peer is not None:
            text.append(f"Server public key is {pkey_bits(peer.public_key())} bit\n")
        text.append("Secure Renegotiation IS"
                    + ("" if self.spy.facts.server_reneg_info else " NOT")
                    + " supported\nCompression: NONE\nExpansion: NONE\n")
        alpn = ssl.get0_alpn_selected()
        text.append(f"ALPN protocol: {alpn.decode('latin-1')}\n" if alpn
                    else "No ALPN negotiated\n")
        say(out, "".join(text))
        if ssl.version() == Version.TLS1_3:
            result = ssl.get_verify_result()
            say(out, "Early data was not sent\n"
                     f"Verify return code: {result} ({verify_cert_error_string(result)})\n")
        else:
            print_session(out, ssl, ssl.get_session())
        say(out, "---\n")

    # ------------------------------------------------------------------ the loop

    def wait_for(self, err: ErrorCode) -> None:
        assert self.conn is not None
        fd = self.conn.get_fd()
        if err == ErrorCode.WANT_READ:
            wait_io(fd, read=True, write=False)
        elif err in (ErrorCode.WANT_WRITE, ErrorCode.WANT_CONNECT):
            wait_io(fd, read=False, write=True)

    def handshake(self) -> bool:
        """SSL_connect until it returns 1, waiting for what SSL_get_error names."""
        ssl = self.ssl
        assert ssl is not None
        while True:
            r = ssl.connect()
            if r == 1:
                return True
            err = ssl.get_error(r)
            if err in (ErrorCode.WANT_READ, ErrorCode.WANT_WRITE, ErrorCode.WANT_CONNECT):
                self.wait_for(err)
                continue
            code = first_errno()
            print_errors_to(self.err)
            if err == ErrorCode.SYSCALL:
                # s_client drives its handshake from SSL_write, hence the "write".
                say(self.err, f"write:errno={code}\n")
            return False

    def drive_key_update(self) -> bool:
        """SSL_do_handshake until the scheduled KeyUpdate is written."""
        ssl = self.ssl
        assert ssl is not None
        while True:
            r = ssl.do_handshake()
            if r == 1:
                return True
            err = ssl.get_error(r)
            if err in (ErrorCode.WANT_READ, ErrorCode.WANT_WRITE):
                self.wait_for(err)
                continue
            say(self.err, "ERROR\n")
            print_errors_to(self.err)
            return False

    def run(self) -> int:
        r = self.make_context() or self.connect() or self.make_ssl()
        if r:
            return r
        ssl = self.ssl
        conn = self.conn
        assert ssl is not None and conn is not None
        ret = 1
        if not self.handshake():
            self.print_stuff()
            self.shutdown()
            return ret
        if self.brief:
            say(self.err, "CONNECTION ESTABLISHED\n")
            print_ssl_summary(self.err, ssl, self.spy.facts)
        self.print_stuff()
        ret = self.relay()
        self.shutdown()
        return ret

    def relay(self) -> int:
        """The interactive part: stdin -> SSL_write, SSL_read -> stdout, until one side ends."""
        ssl = self.ssl
        conn = self.conn
        assert ssl is not None and conn is not None
        fd = conn.get_fd()
        in_fd = stdin_fd()
        partial = b""
        queue: list[bytes] = []  # lines waiting to be sent, oldest first
        wbuf: bytes | None = None  # the buffer of an SSL_write that must be retried
        write_waits_read = False
        read_waits_write = False
        commands = not self.opts["nocommands"]
        stdin_done = False
        while True:
            # Lines are handled in the order typed: a command waits until the
            # data before it has been written.
            while wbuf is None and queue:
                raw = queue.pop(0)
                cmd = raw.rstrip(b"\r\n")
                if commands and not self.ign_eof and cmd in (b"Q", b"R", b"K", b"k"):
                    done = self.command(cmd)
                    if done is not None:
                        return done
                    continue
                wbuf = self.crlf(raw)
            if stdin_done and wbuf is None and not queue:
                say(self.err, "DONE\n")
                return 0
            want_r = [fd] if not read_waits_write else []
            want_w = [fd] if (wbuf is not None and not write_waits_read) or read_waits_write \
                else []
            if write_waits_read:
                want_r = [fd]
            if in_fd is not None and wbuf is None:
                want_r.append(in_fd)
            readable: list[int]
            writable: list[int]
            if ssl.has_pending():
                readable, writable = [fd], []
            else:
                readable, writable, _ = select.select(want_r, want_w, [])
            if wbuf is not None and (fd in writable or (write_waits_read and fd in readable)):
                n = ssl.write(wbuf)
                write_waits_read = False
                if n > 0:
                    wbuf = wbuf[n:] or None
                else:
                    err = ssl.get_error(n)
                    if err == ErrorCode.WANT_WRITE:
                        say(self.out, "write W BLOCK\n")
                    elif err == ErrorCode.WANT_READ:
                        say(self.out, "write R BLOCK\n")
                        write_waits_read = True
                    elif err == ErrorCode.ZERO_RETURN:
                        say(self.out, "shutdown\n")
                        return 0
                    elif err == ErrorCode.SYSCALL:
                        say(self.err, f"write:errno={first_errno()}\n")
                        return 1
                    else:
                        print_errors_to(self.err)
                        return 1
                continue
            if fd in readable or (read_waits_write and fd in writable):
                read_waits_write = False
                data = ssl.read(BUFSIZZ)
                if data:
                    self.data_out.write(data)
                    self.data_out.flush()
                    continue
                err = ssl.get_error(0)
                if err == ErrorCode.WANT_READ:
                    say(self.out, "read R BLOCK\n")
                elif err == ErrorCode.WANT_WRITE:
                    say(self.out, "read W BLOCK\n")
                    read_waits_write = True
                elif err == ErrorCode.WANT_X509_LOOKUP:
                    say(self.out, "read X BLOCK\n")
                elif err == ErrorCode.ZERO_RETURN:
                    say(self.out, "closed\n")
                    return 0
                elif err == ErrorCode.SYSCALL:
                    code = first_errno()
                    if self.brief:
                        say(self.err, "CONNECTION CLOSED BY SERVER\n")
                    else:
                        say(self.err, f"read:errno={code}\n")
                    return code
                else:
                    print_errors_to(self.err)
                    return 1
                continue
            if in_fd is not None and in_fd in readable:
                chunk = os.read(in_fd, BUFSIZZ)
                if not chunk:
                    in_fd = None
                    if partial:
                        queue.append(partial)
                        partial = b""
                    if not self.ign_eof:
                        stdin_done = True
                    continue
                lines = (partial + chunk).split(b"\n")
                partial = lines.pop()
                queue.extend(line + b"\n" for line in lines)

    def command(self, cmd: bytes) -> int | None:
        """The command letters: Q quits (exit 0), R renegotiates, K / k send a KeyUpdate."""
        ssl = self.ssl
        assert ssl is not None
        if cmd == b"Q":
            say(self.err, "DONE\n")
            return 0
        if cmd == b"R":
            # Renegotiation is refused by biokit (and impossible in TLS 1.3); OpenSSL's
            # s_client ignores the failure the same way.
            say(self.err, "RENEGOTIATING\n")
            clear_error()
            return None
        say(self.err, "KEYUPDATE\n")
        kind = KEY_UPDATE_REQUESTED if cmd == b"K" else KEY_UPDATE_NOT_REQUESTED
        if not ssl.key_update(kind) or not self.drive_key_update():
            print_errors_to(self.err)
            return 1
        return None

    def crlf(self, line: bytes) -> bytes:
        if self.opts["crlf"] and line.endswith(b"\n") and not line.endswith(b"\r\n"):
            return line[:-1] + b"\r\n"
        return line

    # ------------------------------------------------------------------ the end

    def shutdown(self) -> None:
        """do_ssl_shutdown, then SHUT_WR and a short drain so our alert is not lost to a RST."""
        ssl = self.ssl
        conn = self.conn
        if ssl is None or conn is None:
            return
        fd = conn.get_fd()
        for _ in range(20):
            r = ssl.shutdown()
            if r >= 0:
                break
            err = ssl.get_error(r)
            if err not in (ErrorCode.WANT_READ, ErrorCode.WANT_WRITE):
                break
            if fd < 0 or not wait_io(fd, read=err == ErrorCode.WANT_READ,
                                      write=err == ErrorCode.WANT_WRITE, timeout=0.5):
                break
        clear_error()
        if fd >= 0:
            try:
                s = socket.socket(fileno=os.dup(fd))
            except OSError:
                return
            try:
                s.shutdown(socket.SHUT_WR)
                s.setblocking(False)
                while wait_io(fd, read=True, write=False, timeout=0.5):
                    if not s.recv(BUFSIZZ):
                        break
            except OSError:
                pass  # the peer is gone already: nothing left to drain
            finally:
                s.close()

    def close(self) -> None:
        if self.ssl is not None:
            self.ssl.free()
        elif self.conn is not None:
            self.conn.free()
        if self.keylog is not None:
            self.keylog.close()
        if self.msg_out is not None and self.msg_out is not self.data_out:
            self.msg_out.free()


def _load_failure(path: str, desc: str) -> str:
    if not os.path.exists(path):
        return f"Could not open file or uri for loading {desc} from {path}\n"
    return f"Could not read {desc} from {path}\n"


def main(argv: Sequence[str]) -> int:
    """``biokit s_client [options] [host:port]``: the entry point (returns the exit code)."""
    err = err_bio()
    opts = parse_options(PROG, _SECTIONS, argv, err,
                         rest_help=("host:port", "Where to connect; same as -connect option"),
                         max_rest=1)
    if isinstance(opts, int):
        return opts
    client = _Client(opts)
    try:
        return client.run()
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 1
    finally:
        client.close()
