"""OpenSSL's own libssl 3 through ctypes: the ground truth biokit is compared with.

``LibSSL.load()`` returns None when no libssl 3 can be loaded (tests skip then).
``CSSL`` is one libssl connection over a libssl BIO pair or memory BIOs, with its
info and msg callbacks recorded in the same shape as biokit's, so a test can run
one scenario on both and compare the lists.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from typing import Any

vp, cp, ci, cl = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_long

INFO_CB = ctypes.CFUNCTYPE(None, vp, ci, ci)
MSG_CB = ctypes.CFUNCTYPE(None, ci, ci, ci, vp, ctypes.c_size_t, vp, vp)
CERT_CB = ctypes.CFUNCTYPE(ci, vp, ctypes.POINTER(vp), ctypes.POINTER(vp))

SSL_CTRL_SET_MAX_SEND_FRAGMENT = 52
SSL_CTRL_SET_MIN_PROTO_VERSION = 123
SSL_CTRL_SET_MAX_PROTO_VERSION = 124
SSL_CTRL_MODE = 33
SSL_CTRL_CLEAR_MODE = 78
SSL_CTRL_SET_TLSEXT_HOSTNAME = 55
BIO_CTRL_PENDING = 10
BIO_C_SET_BUF_MEM_EOF_RETURN = 130

_SIGNATURES: list[tuple[str, list[Any], Any]] = [
    ("OpenSSL_version_num", [], ctypes.c_ulong),
    ("TLS_method", [], vp),
    ("SSL_CTX_new", [vp], vp),
    ("SSL_CTX_free", [vp], None),
    ("SSL_CTX_use_certificate_chain_file", [vp, cp], ci),
    ("SSL_CTX_use_PrivateKey_file", [vp, cp, ci], ci),
    ("SSL_CTX_load_verify_locations", [vp, cp, cp], ci),
    ("SSL_CTX_set_verify", [vp, ci, vp], None),
    ("SSL_CTX_ctrl", [vp, ci, cl, vp], cl),
    ("SSL_CTX_set_num_tickets", [vp, ctypes.c_size_t], ci),
    ("SSL_new", [vp], vp),
    ("SSL_free", [vp], None),
    ("SSL_clear", [vp], ci),
    ("SSL_set_bio", [vp, vp, vp], None),
    ("SSL_set_connect_state", [vp], None),
    ("SSL_set_accept_state", [vp], None),
    ("SSL_do_handshake", [vp], ci),
    ("SSL_read", [vp, cp, ci], ci),
    ("SSL_write", [vp, cp, ci], ci),
    ("SSL_shutdown", [vp], ci),
    ("SSL_key_update", [vp, ci], ci),
    ("SSL_ctrl", [vp, ci, cl, vp], cl),
    ("SSL_get_error", [vp, ci], ci),
    ("SSL_state_string_long", [vp], cp),
    ("SSL_set_info_callback", [vp, INFO_CB], None),
    ("SSL_set_msg_callback", [vp, MSG_CB], None),
    ("SSL_get1_peer_certificate", [vp], vp),
    ("SSL_session_reused", [vp], ci),
    ("SSL_get1_session", [vp], vp),
    ("SSL_set_session", [vp, vp], ci),
    ("SSL_SESSION_free", [vp], None),
    ("X509_free", [vp], None),
    ("BIO_new_bio_pair", [ctypes.POINTER(vp), ctypes.c_size_t, ctypes.POINTER(vp),
                          ctypes.c_size_t], ci),
    ("BIO_s_mem", [], vp),
    ("BIO_new", [vp], vp),
    ("BIO_free", [vp], ci),
    ("BIO_read", [vp, cp, ci], ci),
    ("BIO_write", [vp, cp, ci], ci),
    ("BIO_ctrl", [vp, ci, cl, vp], cl),
    ("BIO_test_flags", [vp, ci], ci),
    ("ERR_get_error", [], ctypes.c_ulong),
    ("ERR_clear_error", [], None),
]


class LibSSL:
    """The loaded libssl 3 with the prototypes the tests use."""

    def __init__(self, lib: ctypes.CDLL) -> None:
        self.lib = lib
        self._keep: list[Any] = []  # ctypes callbacks must outlive their use
        for name, args, res in _SIGNATURES:
            f = getattr(lib, name)
            f.argtypes = args
            f.restype = res

    @classmethod
    def load(cls) -> LibSSL | None:
        for name in ("libssl.so.3", ctypes.util.find_library("ssl")):
            if not name:
                continue
            try:
                lib = ctypes.CDLL(name)
                lib.OpenSSL_version_num.restype = ctypes.c_ulong
            except (OSError, AttributeError):
                continue
            if lib.OpenSSL_version_num() >> 28 == 3:
                return cls(lib)
        return None

    def ctx(
        self,
        files: dict[str, str],
        *,
        server: bool,
        verify: int = 0,
        client_cert: bool = False,
        max_version: int = 0,
        num_tickets: int | None = None,
        max_send_fragment: int = 0,
    ) -> int:
        """An SSL_CTX for TLS_method() with the throwaway PKI's files."""
        lib = self.lib
        ctx: int = lib.SSL_CTX_new(lib.TLS_method())
        if server or client_cert:
            who = "server" if server else "client"
            assert lib.SSL_CTX_use_certificate_chain_file(ctx, files[f"{who}.pem"].encode()) == 1
            assert lib.SSL_CTX_use_PrivateKey_file(ctx, files[f"{who}.key"].encode(), 1) == 1
        if not server or verify:
            # (Not on a server that does not verify: libssl would then build the
            # chain it sends from this store and include the CA, unlike biokit.)
            assert lib.SSL_CTX_load_verify_locations(ctx, files["ca.pem"].encode(), None) == 1
        lib.SSL_CTX_set_verify(ctx, verify, None)
        if max_version:
            lib.SSL_CTX_ctrl(ctx, SSL_CTRL_SET_MAX_PROTO_VERSION, max_version, None)
        if num_tickets is not None:
            lib.SSL_CTX_set_num_tickets(ctx, num_tickets)
        if max_send_fragment:
            r = lib.SSL_CTX_ctrl(ctx, SSL_CTRL_SET_MAX_SEND_FRAGMENT, max_send_fragment, None)
            assert r == 1
        return ctx

    def set_retrying_client_cert_cb(self, ctx: int, files: dict[str, str]) -> list[int]:
        """A client certificate callback that first asks to be called again (-1,
        SSL_ERROR_WANT_X509_LOOKUP), then hands over client.pem/client.key.
        Returns the list its calls are recorded in."""
        crypto = ctypes.CDLL("libcrypto.so.3")
        for name, args, res in [
            ("BIO_new_file", [cp, cp], vp),
            ("PEM_read_bio_X509", [vp, vp, vp, vp], vp),
            ("PEM_read_bio_PrivateKey", [vp, vp, vp, vp], vp),
        ]:
            f = getattr(crypto, name)
            f.argtypes = args
            f.restype = res
        calls: list[int] = []

        def load(path: str, reader: Any) -> int:
            bio = crypto.BIO_new_file(path.encode(), b"r")
            obj: int = reader(bio, None, None, None)
            self.lib.BIO_free(bio)
            return obj

        def cb(ssl: int, x509: Any, pkey: Any) -> int:
            calls.append(1)
            if len(calls) == 1:
                return -1
            x509[0] = load(files["client.pem"], crypto.PEM_read_bio_X509)
            pkey[0] = load(files["client.key"], crypto.PEM_read_bio_PrivateKey)
            return 1

        fn = CERT_CB(cb)
        self._keep.append(fn)
        self.lib.SSL_CTX_set_client_cert_cb.argtypes = [vp, CERT_CB]
        self.lib.SSL_CTX_set_client_cert_cb(ctx, fn)
        return calls

    def pair(self, size: int = 0) -> tuple[int, int]:
        """BIO_new_bio_pair(size, size)."""
        x, y = vp(), vp()
        assert self.lib.BIO_new_bio_pair(ctypes.byref(x), size, ctypes.byref(y), size) == 1
        assert x.value is not None and y.value is not None
        return x.value, y.value

    def mem(self) -> int:
        """A BIO_s_mem that asks to retry when empty (as SSL's memory BIOs are used)."""
        b: int = self.lib.BIO_new(self.lib.BIO_s_mem())
        self.lib.BIO_ctrl(b, BIO_C_SET_BUF_MEM_EOF_RETURN, -1, None)
        return b

    def bio_read_all(self, bio: int) -> bytes:
        out = b""
        buf = ctypes.create_string_buffer(65536)
        while True:
            n = self.lib.BIO_read(bio, buf, len(buf))
            if n <= 0:
                return out
            out += buf.raw[:n]

    def bio_write(self, bio: int, data: bytes) -> int:
        r: int = self.lib.BIO_write(bio, data, len(data))
        return r

    def errors(self) -> list[int]:
        out = []
        while True:
            code = self.lib.ERR_get_error()
            if not code:
                return out
            out.append(int(code))


class CSSL:
    """One libssl connection; ``info`` and ``msgs`` record its callbacks."""

    def __init__(self, api: LibSSL, ctx: int, *, server: bool) -> None:
        self.api = api
        self.lib = api.lib
        self.ssl: int = self.lib.SSL_new(ctx)
        if server:
            self.lib.SSL_set_accept_state(self.ssl)
        else:
            self.lib.SSL_set_connect_state(self.ssl)
        self.info: list[tuple[int, int, str]] = []
        self.msgs: list[tuple[int, int, int, bytes]] = []
        # Kept on the object: ctypes callbacks must outlive the SSL using them.
        self._info_cb = INFO_CB(self._on_info)
        self._msg_cb = MSG_CB(self._on_msg)

    def _on_info(self, ssl: int, where: int, ret: int) -> None:
        self.info.append((where, ret, self.state()))

    def _on_msg(self, write_p: int, version: int, ctype: int, buf: int, n: int,
                ssl: int, arg: int) -> None:
        self.msgs.append((write_p, version, ctype, ctypes.string_at(buf, n)))

    def trace_info(self) -> None:
        self.lib.SSL_set_info_callback(self.ssl, self._info_cb)

    def trace_msgs(self) -> None:
        self.lib.SSL_set_msg_callback(self.ssl, self._msg_cb)

    def set_bio(self, rbio: int, wbio: int) -> None:
        self.lib.SSL_set_bio(self.ssl, rbio, wbio)

    def do_handshake(self) -> int:
        r: int = self.lib.SSL_do_handshake(self.ssl)
        return r

    def read(self, n: int) -> bytes | int:
        buf = ctypes.create_string_buffer(max(n, 1))
        r: int = self.lib.SSL_read(self.ssl, buf, n)
        return buf.raw[:r] if r > 0 else r

    def write(self, data: bytes) -> int:
        r: int = self.lib.SSL_write(self.ssl, data, len(data))
        return r

    def shutdown(self) -> int:
        r: int = self.lib.SSL_shutdown(self.ssl)
        return r

    def key_update(self, updatetype: int) -> int:
        r: int = self.lib.SSL_key_update(self.ssl, updatetype)
        return r

    def get_error(self, ret: int) -> int:
        r: int = self.lib.SSL_get_error(self.ssl, ret)
        return r

    def state(self) -> str:
        s: bytes = self.lib.SSL_state_string_long(self.ssl)
        return s.decode()

    def ctrl(self, cmd: int, larg: int = 0, parg: Any = None) -> int:
        r: int = self.lib.SSL_ctrl(self.ssl, cmd, larg, parg)
        return r

    def free(self) -> None:
        self.lib.SSL_free(self.ssl)


def _biokit_bio_class() -> Any:
    from biokit.bio.core import BIO

    class CBIO(BIO):
        """A biokit BIO in front of a libssl BIO (one half of a libssl BIO pair).

        A biokit SSL and a libssl SSL then share one real OpenSSL BIO pair, so both
        meet exactly the same transport."""

        def __init__(self, api: LibSSL, bio: int) -> None:
            super().__init__()
            self.api = api
            self.cbio = bio
            self._buf = ctypes.create_string_buffer(1 << 16)

        def _copy_flags(self) -> None:
            flags = self.api.lib.BIO_test_flags(self.cbio, 0x0F)
            if flags & 0x08:
                if flags & 0x01:
                    self.set_retry_read()
                elif flags & 0x02:
                    self.set_retry_write()

        def _read(self, size: int) -> bytes | int:
            n = min(size, len(self._buf))
            r: int = self.api.lib.BIO_read(self.cbio, self._buf, n)
            if r > 0:
                return self._buf.raw[:r]
            self._copy_flags()
            return r

        def _write(self, data: bytes | bytearray | memoryview) -> int:
            r: int = self.api.lib.BIO_write(self.cbio, bytes(data), len(data))
            if r <= 0:
                self._copy_flags()
            return r

        def _pending(self) -> int:
            r: int = self.api.lib.BIO_ctrl(self.cbio, BIO_CTRL_PENDING, 0, None)
            return r

    return CBIO


def cbio(api: LibSSL, bio: int) -> Any:
    """A biokit BIO that reads and writes the libssl BIO ``bio``."""
    return _biokit_bio_class()(api, bio)


class Bridge:
    """A biokit SSL on MemBIOs wired to a libssl connection on memory BIOs."""

    def __init__(self, api: LibSSL, bk: Any, peer: CSSL) -> None:
        from biokit.bio import MemBIO

        self.api = api
        self.bk = bk
        self.peer = peer
        self.bk_in = MemBIO()
        self.bk_out = MemBIO()
        bk.set_bio(self.bk_in, self.bk_out)
        self.c_in = api.mem()
        self.c_out = api.mem()
        peer.set_bio(self.c_in, self.c_out)

    def shuttle(self) -> int:
        """Move bytes both ways; how many moved."""
        moved = 0
        data = self.api.bio_read_all(self.c_out)
        if data:
            self.bk_in.write(data)
            moved += len(data)
        n = self.bk_out.pending()
        if n:
            self.api.bio_write(self.c_in, self.bk_out.read(n))
            moved += n
        return moved

    def handshake(self, rounds: int = 20) -> None:
        """Run both handshakes to completion."""
        from biokit.ssl import ErrorCode

        bk_done = peer_done = False
        for _ in range(rounds):
            if not peer_done:
                r = self.peer.do_handshake()
                peer_done = r == 1
                assert peer_done or self.peer.get_error(r) in (2, 3), self.api.errors()
            self.shuttle()
            if not bk_done:
                r = self.bk.do_handshake()
                bk_done = r == 1
                err = self.bk.get_error(r)
                assert bk_done or err in (ErrorCode.WANT_READ, ErrorCode.WANT_WRITE), err
            self.shuttle()
            if bk_done and peer_done:
                return
        raise AssertionError("handshake did not finish")


# ----------------------------------------------------------------------------- scenarios
# One conversation over one libssl BIO pair: a libssl peer on one end, and on the
# other either biokit or libssl itself (the reference).  Every call of the side
# under test is recorded (call, return value, SSL_get_error, state), with its
# info and msg callbacks, so a test compares biokit's trace with libssl's.

Call = tuple[str, int, int, str]


class Trace:
    """What the side under test did and what its callbacks saw."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.info: list[tuple[int, int, str]] = []
        self.msgs: list[tuple[int, int, int, bytes]] = []


def collapse(seq: list[Any]) -> list[Any]:
    """Runs of equal entries as one (how often a call repeats depends on sizes only)."""
    out: list[Any] = []
    for x in seq:
        if not out or out[-1] != x:
            out.append(x)
    return out


class _BK:
    """biokit's SSL with CSSL's C-style surface."""

    def __init__(self, ssl: Any, trace: Trace) -> None:
        self.ssl = ssl
        ssl.set_info_callback(lambda s, w, r: trace.info.append((w, r, s.state_string_long())))
        ssl.set_msg_callback(
            lambda w, v, ct, d, s: trace.msgs.append((w, v, ct, bytes(d)))
        )

    def do_handshake(self) -> int:
        r: int = self.ssl.do_handshake()
        return r

    def read(self, n: int) -> bytes | int:
        r: bytes | int = self.ssl.read_c(n)
        return r

    def write(self, data: bytes) -> int:
        r: int = self.ssl.write(data)
        return r

    def shutdown(self) -> int:
        r: int = self.ssl.shutdown()
        return r

    def key_update(self, updatetype: int) -> int:
        r: int = self.ssl.key_update(updatetype)
        return r

    def get_error(self, ret: int) -> int:
        return int(self.ssl.get_error(ret))

    def state(self) -> str:
        s: str = self.ssl.state_string_long()
        return s


def biokit_ssl(
    p: Any, *, server: bool, max_version: int = 0, client_cert_retry: bool = False
) -> Any:
    """A biokit SSL configured like LibSSL.ctx() configures libssl."""
    from biokit.ssl import SSL, SSLContext, TLS_client_method, TLS_server_method

    if server:
        ctx = SSLContext(TLS_server_method())
        ctx.use_certificate(p.server[0])
        ctx.use_PrivateKey(p.server[1])
        if client_cert_retry:
            ctx.get_cert_store().add_cert(p.ca[0])
            ctx.set_verify(3)
    else:
        ctx = SSLContext(TLS_client_method())
        ctx.get_cert_store().add_cert(p.ca[0])
        if client_cert_retry:
            calls: list[int] = []

            def cb(ssl: Any) -> Any:
                calls.append(1)
                return -1 if len(calls) == 1 else p.client

            ctx.set_client_cert_cb(cb)
    s = SSL(ctx)
    if max_version:
        s.set_max_proto_version(max_version)
    if server:
        s.set_accept_state()
    else:
        s.set_connect_state()
    return s


def conversation(
    api: LibSSL,
    files: dict[str, str],
    p: Any,
    *,
    subject: str,
    role: str,
    ring: int,
    max_version: int = 0,
    key_update: bool = False,
    client_cert_retry: bool = False,
    rounds: int = 400,
) -> Trace:
    """Handshake, a message each way (the client reads the server's tickets), shutdown.

    With ``key_update`` the client first asks for a KeyUpdate (update_requested)
    and a third message goes from the server to the client under the new keys.
    With ``client_cert_retry`` the server requires a client certificate and the
    client's certificate callback first asks to be called again.

    ``subject`` is "biokit" or "libssl": who plays ``role`` ("client"/"server");
    the other end is always libssl.  Both ends share a BIO pair of ``ring`` bytes.
    """
    trace = Trace()
    x, y = api.pair(ring)
    sides: dict[str, Any] = {}
    for r, bio in (("client", x), ("server", y)):
        server = r == "server"
        if r == role and subject == "biokit":
            b = cbio(api, bio)
            ssl = biokit_ssl(p, server=server, max_version=max_version,
                             client_cert_retry=client_cert_retry)
            ssl.set_bio(b, b)
            sides[r] = _BK(ssl, trace)
        else:
            verify = 3 if server and client_cert_retry else 0  # PEER | FAIL_IF_NO_PEER_CERT
            ctx = api.ctx(files, server=server, max_version=max_version, verify=verify)
            if client_cert_retry and not server:
                api.set_retrying_client_cert_cb(ctx, files)
            c = CSSL(api, ctx, server=server)
            c.set_bio(bio, bio)
            if r == role:
                c.info = trace.info
                c.msgs = trace.msgs
                c.trace_info()
                c.trace_msgs()
            sides[r] = c
    me = sides[role]

    def call(who: str, name: str, fn: Any, *args: Any) -> int:
        obj = sides[who]
        r = fn(*args)
        ret = (len(r) or 1) if isinstance(r, bytes) else r
        if obj is me:
            trace.calls.append((name, ret, obj.get_error(ret), obj.state()))
        return ret

    done = {"client": False, "server": False}
    for _ in range(rounds):
        for who in ("client", "server"):
            o = sides[who]
            if not done[who]:
                done[who] = call(who, "handshake", o.do_handshake) == 1
            else:
                call(who, "read", o.read, 1)
        if done["client"] and done["server"]:
            break
    else:
        raise AssertionError("handshake did not finish")
    cl, sv = sides["client"], sides["server"]
    # The server sends a line; the client reads it (and, on the way, the tickets).
    talk = [(b"ping", sv, cl, "server"), (b"pong", cl, sv, "client")]
    if key_update:
        talk.append((b"bye", sv, cl, "server"))
    for msg, writer, reader, wname in talk:
        if key_update and msg == b"pong":
            call("client", "key_update", cl.key_update, 1)
        sent = got = False
        for _ in range(rounds):
            if not sent:
                sent = call(wname, "write", writer.write, msg) > 0
            rname = "client" if wname == "server" else "server"
            if call(rname, "read", reader.read, 100) > 1:
                got = True
                break
        assert sent and got
    for _ in range(rounds):
        a = call("client", "shutdown", cl.shutdown)
        b = call("server", "shutdown", sv.shutdown)
        if a == 1 and b == 1:
            break
    for o in (cl, sv):
        if isinstance(o, CSSL):
            o.free()
    return trace


# ----------------------------------------------------------------------------- ClientHello
CH_CB = ctypes.CFUNCTYPE(ci, vp, ctypes.POINTER(ci), vp)
SSL_CTRL_SET_TLSEXT_SERVERNAME_CB = 53


def client_hello_view(api: LibSSL, ssl: int, ext_types: tuple[int, ...]) -> dict[str, Any]:
    """What libssl's SSL_client_hello_* inspectors say right now, in biokit's shapes
    (the data, or 0 where C returns 0)."""
    lib = api.lib
    for name, args, res in [
        ("SSL_client_hello_isv2", [vp], ci),
        ("SSL_client_hello_get0_legacy_version", [vp], ctypes.c_uint),
        ("SSL_client_hello_get0_random", [vp, ctypes.POINTER(vp)], ctypes.c_size_t),
        ("SSL_client_hello_get0_session_id", [vp, ctypes.POINTER(vp)], ctypes.c_size_t),
        ("SSL_client_hello_get0_ciphers", [vp, ctypes.POINTER(vp)], ctypes.c_size_t),
        ("SSL_client_hello_get0_compression_methods", [vp, ctypes.POINTER(vp)],
         ctypes.c_size_t),
        ("SSL_client_hello_get1_extensions_present",
         [vp, ctypes.POINTER(ctypes.POINTER(ci)), ctypes.POINTER(ctypes.c_size_t)], ci),
        ("SSL_client_hello_get0_ext",
         [vp, ctypes.c_uint, ctypes.POINTER(vp), ctypes.POINTER(ctypes.c_size_t)], ci),
    ]:
        f = getattr(lib, name)
        f.argtypes = args
        f.restype = res
    crypto = ctypes.CDLL("libcrypto.so.3")
    crypto.CRYPTO_free.argtypes = [vp, cp, ci]

    def blob(fn: Any) -> bytes | int:
        out = vp()
        n = fn(ssl, ctypes.byref(out))
        if n == 0 and not out.value:
            return 0
        return ctypes.string_at(out.value, n) if n else b""

    view: dict[str, Any] = {
        "isv2": lib.SSL_client_hello_isv2(ssl),
        "legacy_version": lib.SSL_client_hello_get0_legacy_version(ssl),
        "random": blob(lib.SSL_client_hello_get0_random),
        "session_id": blob(lib.SSL_client_hello_get0_session_id),
        "ciphers": blob(lib.SSL_client_hello_get0_ciphers),
        "compression_methods": blob(lib.SSL_client_hello_get0_compression_methods),
    }
    arr = ctypes.POINTER(ci)()
    alen = ctypes.c_size_t()
    if lib.SSL_client_hello_get1_extensions_present(ssl, ctypes.byref(arr), ctypes.byref(alen)):
        view["extensions_present"] = [arr[i] for i in range(alen.value)]
        crypto.CRYPTO_free(ctypes.cast(arr, vp), b"", 0)
    else:
        view["extensions_present"] = 0
    for t in ext_types:
        out = vp()
        n = ctypes.c_size_t()
        ok = lib.SSL_client_hello_get0_ext(ssl, t, ctypes.byref(out), ctypes.byref(n))
        view[f"ext{t}"] = (ctypes.string_at(out.value, n.value) if n.value else b"") if ok else 0
    return view
