"""A blocking ``SSLSocket``-like wrapper over a biokit ``SSL`` (what ``ssl.wrap_socket`` gives).

Theory of operation
-------------------
The SSL object never blocks and never waits: it returns 1/0/-1 and
``SSL_get_error`` says why.  This module is the loop a C program writes
around it, in Python clothes::

    clear the error queue             (SSL_get_error(3): it must be empty first)
    ret = SSL_xxx(...)
    ret > 0           -> done
    get_error(ret):
      WANT_READ/WRITE -> socket in blocking mode:   cannot happen (the BIO blocked)
                         socket with timeout 0.0:   raise WantReadError/WantWriteError
                         socket with timeout t > 0: poll() the descriptor until the
                                                    operation's deadline, call again;
                                                    socket.timeout when it passes
      ZERO_RETURN     -> recv(): b"" (close_notify is a clean EOF); elsewhere raise
      anything else   -> raise the exception built from the code and the error queue

Exceptions come from ``biokit.errors`` and are built *from* the codes
(``exception_for``): ``SSLError`` with OpenSSL's ``.library``, ``.reason`` and
``.reason_string``; ``ZeroReturnError``; ``SyscallError`` (``.errno`` set from a
system-library entry such as ECONNRESET); ``WantReadError``/``WantWriteError``.

Which BIO
---------
The socket's own timeout decides, at every call, as it does for the stdlib:

* ``gettimeout() is None`` -- a ``SocketBIO`` on the socket itself.  Its
  ``recv``/``send`` block, so the SSL calls only ever succeed or fail.
* a timeout (``0.0`` or ``t > 0``) -- Python keeps such a socket's descriptor
  in O_NONBLOCK mode and waits inside ``recv``.  biokit wants the wait outside
  the BIO (one deadline for the whole operation, not one per ``recv``), so the
  BIO gets a second socket *object* on the same descriptor with timeout 0.0:
  every ``recv``/``send`` returns at once and a would-block becomes a BIO
  retry, exactly the nonblocking socket BIO that OpenSSL's manual describes.

Like ``ssl.SSLSocket``, ``close()`` closes the socket without a close_notify;
``unwrap()`` performs the two-way SSL_shutdown and hands the socket back.
"""

from __future__ import annotations

import errno
import ipaddress
import select
import socket
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar

from biokit.bio.core import BIO_NOCLOSE
from biokit.bio.s_socket import SocketBIO
from biokit.errors import (
    Lib,
    SSLError,
    SSLReason,
    SyscallError,
    WantAcceptError,
    WantConnectError,
    WantReadError,
    WantWriteError,
    WantX509LookupError,
    ZeroReturnError,
    clear_error,
    errors_as_list,
)
from biokit.ssl.consts import ErrorCode, Mode, Verify
from biokit.ssl.context import SSLContext
from biokit.ssl.ssl import SSL

__all__ = [
    "SSLSocket",
    "cipher_tuple",
    "exception_for",
    "is_unexpected_eof",
    "peer_certificate_dict",
    "prepare_ssl",
    "wrap_socket",
]

# sendall() hands the SSL this much per SSL_write: a write the socket takes in
# part keeps its ciphertext in the engine, and small pieces keep that small.
_SENDALL_CHUNK = 256 * 1024

_T = TypeVar("_T")

_WANT_MESSAGES = {
    ErrorCode.WANT_READ: (WantReadError, "The operation did not complete (read)"),
    ErrorCode.WANT_WRITE: (WantWriteError, "The operation did not complete (write)"),
    ErrorCode.WANT_X509_LOOKUP: (
        WantX509LookupError, "The operation did not complete (X509 lookup)"
    ),
    ErrorCode.WANT_CONNECT: (WantConnectError, "The operation did not complete (connect)"),
    ErrorCode.WANT_ACCEPT: (WantAcceptError, "The operation did not complete (accept)"),
}


# ---------------------------------------------------------------------- shared helpers


def exception_for(code: ErrorCode, ret: int = -1) -> SSLError:
    """The exception for an SSL_get_error code, built from (and draining) the error queue.

    The mapping CPython's ``PySSL_SetError`` makes for OpenSSL, onto biokit's
    exception types: SYSCALL with a system entry carries its errno; SYSCALL
    without one is an EOF (``ret == 0``) or an unexplained I/O failure.
    """
    if code == ErrorCode.ZERO_RETURN:
        return ZeroReturnError.from_queue("TLS/SSL connection has been closed (EOF)")
    want = _WANT_MESSAGES.get(code)
    if want is not None:
        return want[0].from_queue(want[1])
    if code == ErrorCode.SYSCALL:
        entries = errors_as_list()
        sys_errno = next((e.reason for e in entries if e.library == Lib.SYS), None)
        exc = SyscallError.from_queue(
            "EOF occurred in violation of protocol" if ret == 0 else "Some I/O error occurred"
        )
        if sys_errno is not None:
            exc.errno = sys_errno
        return exc
    return SSLError.from_queue(f"SSL_get_error() = {code.name}")


def is_unexpected_eof(exc: BaseException | None) -> bool:
    """True for the error a transport EOF without close_notify gives (OpenSSL 3's rule)."""
    if not isinstance(exc, SSLError):
        return False
    if exc.library == Lib.SSL and exc.reason == SSLReason.UNEXPECTED_EOF_WHILE_READING:
        return True
    return isinstance(exc, SyscallError) and not exc.entries


def prepare_ssl(
    ssl_or_context: SSL | SSLContext,
    *,
    server_side: bool,
    server_hostname: str | None,
) -> SSL:
    """An SSL for one connection, with its role, SNI/host name and CPython's modes set.

    A context gives a new ``SSL``.  A ready ``SSL`` keeps its configuration; it
    becomes a server if ``server_side`` says so or it already is one (a
    server-method context or ``set_accept_state``), otherwise a client.
    """
    if server_side and server_hostname is not None:
        raise ValueError("server_hostname can only be specified in client mode")
    if isinstance(ssl_or_context, SSLContext):
        ssl = SSL(ssl_or_context)
    elif isinstance(ssl_or_context, SSL):
        ssl = ssl_or_context
    else:
        raise TypeError(
            f"expected a biokit SSLContext or SSL, not {type(ssl_or_context).__name__!r}"
        )
    if server_side or ssl.is_server():
        ssl.set_accept_state()
    else:
        ssl.set_connect_state()
    if server_hostname is not None:
        # RFC 6066 3: SNI carries host names only, never addresses.
        if (not _is_ip_literal(server_hostname)
                and ssl.set_tlsext_host_name(server_hostname) != 1):
            raise exception_for(ErrorCode.SSL)
        ssl.set1_host(server_hostname)
    # What CPython sets on every SSL it makes: a write retried after WANT_* may
    # come from a different (moved) buffer with the same bytes.
    ssl.set_mode(Mode.ACCEPT_MOVING_WRITE_BUFFER | Mode.AUTO_RETRY)
    return ssl


def _is_ip_literal(name: str) -> bool:
    try:
        ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return False
    return True


def cipher_tuple(ssl: SSL) -> tuple[str, str, int] | None:
    """``(name, protocol, secret bits)`` as ``ssl.SSLSocket.cipher()`` (SSL_get_current_cipher)."""
    c = ssl.get_current_cipher()
    if c is None:
        return None
    return c.get_name(), c.get_version(), c.get_bits()


def alpn_text(ssl: SSL) -> str | None:
    """The selected ALPN protocol as text (SSL_get0_alpn_selected), or None."""
    proto = ssl.get0_alpn_selected()
    return proto.decode("ascii", "replace") if proto else None


def _asn1_time(dt: Any) -> str:
    # ASN1_TIME_print: "Nov  4 12:00:00 2026 GMT" (day padded with a space).
    return f"{dt:%b} {dt.day:2d} {dt:%H:%M:%S %Y} GMT"


def _name_tuple(name: Any) -> tuple[tuple[tuple[str, str], ...], ...]:
    out = []
    for rdn in name.rdns:
        out.append(
            tuple((getattr(a.oid, "_name", None) or a.oid.dotted_string, str(a.value))
                  for a in rdn)
        )
    return tuple(out)


def _ip_text(addr: Any) -> str:
    if addr.version == 4:
        return str(addr)
    # CPython prints IPv6 SAN entries uncompressed, upper case, no leading zeros.
    return ":".join(f"{int.from_bytes(addr.packed[i:i + 2], 'big'):X}" for i in range(0, 16, 2))


def peer_certificate_dict(ssl: SSL) -> dict[str, Any] | None:
    """The verified peer certificate as ``SSLSocket.getpeercert()`` shows it.

    None without a peer certificate; ``{}`` when it was not verified (verify
    mode without SSL_VERIFY_PEER), as CPython does.  The fields are CPython's:
    subject, issuer, version, serialNumber, notBefore, notAfter, subjectAltName.
    """
    peer = ssl.get_peer_certificate()
    if peer is None:
        return None
    if not ssl.verify_mode & Verify.PEER:
        return {}
    from cryptography import x509 as cx509

    cert = peer.to_cryptography()
    serial = f"{cert.serial_number:X}"
    if len(serial) % 2:
        serial = "0" + serial
    d: dict[str, Any] = {
        "subject": _name_tuple(cert.subject),
        "issuer": _name_tuple(cert.issuer),
        "version": cert.version.value + 1,
        "serialNumber": serial,
        "notBefore": _asn1_time(cert.not_valid_before_utc),
        "notAfter": _asn1_time(cert.not_valid_after_utc),
    }
    try:
        san = cert.extensions.get_extension_for_class(cx509.SubjectAlternativeName).value
    except cx509.ExtensionNotFound:
        return d
    alt: list[tuple[str, str]] = []
    for gn in san:
        if isinstance(gn, cx509.DNSName):
            alt.append(("DNS", gn.value))
        elif isinstance(gn, cx509.IPAddress):
            alt.append(("IP Address", _ip_text(gn.value)))
        elif isinstance(gn, cx509.RFC822Name):
            alt.append(("email", gn.value))
        elif isinstance(gn, cx509.UniformResourceIdentifier):
            alt.append(("URI", gn.value))
    if alt:
        d["subjectAltName"] = tuple(alt)
    return d


# ---------------------------------------------------------------------- waiting


def _wait(fd: int, for_write: bool, timeout: float) -> bool:
    """Wait until ``fd`` is readable (or writable); False when ``timeout`` ran out."""
    if hasattr(select, "poll"):
        p = select.poll()
        p.register(fd, select.POLLOUT if for_write else select.POLLIN)
        return bool(p.poll(max(0, int(timeout * 1000 + 0.999))))
    r, w, x = select.select([] if for_write else [fd], [fd] if for_write else [], [fd], timeout)
    return bool(r or w or x)


# ---------------------------------------------------------------------- the socket


class SSLSocket:
    """A TLS connection over a socket, used like ``ssl.SSLSocket`` (SSL_set_fd + SSL_* calls)."""

    def __init__(
        self,
        sock: socket.socket,
        ssl: SSL,
        *,
        server_side: bool,
        server_hostname: str | None,
        suppress_ragged_eofs: bool = True,
    ) -> None:
        self._sock: socket.socket | None = sock
        self._ssl = ssl
        self.server_side = server_side
        self.server_hostname = server_hostname
        self.suppress_ragged_eofs = suppress_ragged_eofs
        self._blocking_bio: SocketBIO | None = None
        self._nb_bio: SocketBIO | None = None
        self._handshake_done = False

    # ------------------------------------------------------------ plumbing

    @property
    def ssl(self) -> SSL:
        """The underlying biokit ``SSL`` (SSL_get_ssl of the socket)."""
        return self._ssl

    @property
    def context(self) -> SSLContext:
        """SSL_get_SSL_CTX."""
        return self._ssl.get_SSL_CTX()

    def _socket(self) -> socket.socket:
        sock = self._sock
        if sock is None or sock.fileno() < 0:
            raise OSError(errno.EBADF, "Bad file descriptor")
        return sock

    def _attach(self) -> float | None:
        """Give the SSL the BIO that matches the socket's timeout now; the timeout."""
        sock = self._socket()
        timeout = sock.gettimeout()
        if timeout is None:
            bio = self._blocking_bio
            if bio is None:
                bio = self._blocking_bio = SocketBIO(sock, BIO_NOCLOSE)
        else:
            bio = self._nb_bio
            if bio is None:
                # A second socket object on the same descriptor, never waiting.
                bio = self._nb_bio = SocketBIO(sock.fileno(), BIO_NOCLOSE)
                bio.sock.settimeout(0.0)
        ssl = self._ssl
        if ssl.rbio is not bio or ssl.wbio is not bio:
            ssl.set_bio(bio, bio)
        return timeout

    def _drive(self, call: Callable[[], _T | int], what: str) -> _T | int:
        """Call ``call`` until it succeeds, waiting as get_error() says; the final result.

        ``call`` returns a success value or a C result <= 0; a C result is looked
        up with get_error and either waited on, or returned to the caller when it
        is ZERO_RETURN (a clean EOF), or raised.
        """
        timeout = self._attach()
        ssl = self._ssl
        deadline = None if not timeout else time.monotonic() + timeout
        while True:
            clear_error()
            ret = call()
            if ret.__class__ is not int or ret > 0:
                return ret
            code = ssl.get_error(ret)
            if code == ErrorCode.WANT_READ or code == ErrorCode.WANT_WRITE:
                if timeout is None:
                    # A blocking BIO does not ask for retries; if it did (EINTR
                    # that PEP 475 did not absorb), calling again is the answer.
                    continue
                if deadline is None:
                    raise exception_for(code)
                left = deadline - time.monotonic()
                if left <= 0 or not _wait(
                    self._socket().fileno(), code == ErrorCode.WANT_WRITE, left
                ):
                    clear_error()
                    raise TimeoutError(f"The {what} operation timed out")  # socket.timeout
                continue
            if code == ErrorCode.ZERO_RETURN:
                return 0
            raise exception_for(code, ret)

    # ------------------------------------------------------------ handshake

    def do_handshake(self) -> None:
        """SSL_do_handshake, until done; raises on failure (socket.timeout after the timeout)."""
        r = self._drive(self._ssl.do_handshake, "handshake")
        if r != 1:
            # 0: the peer closed the connection in the middle of the handshake.
            raise exception_for(ErrorCode.ZERO_RETURN if r == 0 else ErrorCode.SYSCALL)
        self._handshake_done = True

    def connect(self, address: Any) -> None:
        """Connect the socket, then run the client handshake (SSLSocket.connect)."""
        if self.server_side:
            raise ValueError("can't connect in server-side mode")
        self._socket().connect(address)
        self.do_handshake()

    # ------------------------------------------------------------ data

    def recv(self, bufsize: int = 1024) -> bytes:
        """SSL_read: up to ``bufsize`` bytes; ``b""`` at a clean (close_notify) EOF."""
        if bufsize < 0:
            raise ValueError("negative buffersize in recv")
        if bufsize == 0:
            return b""
        read_c = self._ssl.read_c
        try:
            r = self._drive(lambda: read_c(bufsize), "read")
        except SSLError as exc:
            if self.suppress_ragged_eofs and is_unexpected_eof(exc):
                return b""
            raise
        return r if isinstance(r, bytes) else b""

    read = recv

    def recv_into(self, buffer: bytearray | memoryview, nbytes: int = 0) -> int:
        """SSL_read into ``buffer``; the count (0 at EOF)."""
        view = memoryview(buffer).cast("B")
        n = nbytes or len(view)
        data = self.recv(min(n, len(view)))
        view[: len(data)] = data
        return len(data)

    def send(self, data: bytes | bytearray | memoryview) -> int:
        """SSL_write: the number of bytes sent (all of them: no partial-write mode)."""
        view = memoryview(data).cast("B") if not isinstance(data, bytes) else data
        if not view:
            return 0
        write = self._ssl.write
        r = self._drive(lambda: write(view), "write")
        if not isinstance(r, int) or r <= 0:
            raise exception_for(ErrorCode.ZERO_RETURN)
        return r

    write = send

    def sendall(self, data: bytes | bytearray | memoryview) -> None:
        """Send every byte of ``data`` (a loop of SSL_write calls)."""
        view = memoryview(data).cast("B")
        total = len(view)
        pos = 0
        while pos < total:
            pos += self.send(view[pos : pos + _SENDALL_CHUNK])

    def pending(self) -> int:
        """SSL_pending: decrypted bytes readable without touching the socket."""
        return self._ssl.pending()

    # ------------------------------------------------------------ closing

    def unwrap(self) -> socket.socket:
        """SSL_shutdown both ways (send close_notify, wait for the peer's); the plain socket."""
        ssl = self._ssl
        sock = self._socket()

        def step() -> int:
            r = ssl.shutdown()
            # 0: ours is out; call again to wait for the peer's (as CPython does).
            return 1 if r == 1 else (ssl.shutdown() if r == 0 else r)

        while True:
            r = self._drive(step, "read")
            if r == 1:
                break
            if r == 0:
                # ZERO_RETURN from a shutdown call: the peer's close_notify is in.
                if ssl.get_shutdown() == 3:
                    break
                raise exception_for(ErrorCode.SYSCALL, 0)
        self._release_bios()
        self._sock = None
        return sock

    def shutdown(self, how: int) -> None:
        """socket.shutdown on the underlying socket (no TLS close_notify, as the stdlib)."""
        self._socket().shutdown(how)

    def close(self) -> None:
        """Close the socket (no close_notify, as ``ssl.SSLSocket.close``)."""
        sock = self._sock
        self._release_bios()
        if sock is not None:
            self._sock = None
            sock.close()

    def _release_bios(self) -> None:
        self._ssl.set_bio(None, None)
        for bio in (self._nb_bio, self._blocking_bio):
            if bio is not None:
                bio.free()
        self._nb_bio = self._blocking_bio = None

    def __enter__(self) -> SSLSocket:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ------------------------------------------------------------ inspection

    def _live(self) -> bool:
        return self._sock is not None and self._ssl.is_init_finished()

    def version(self) -> str | None:
        """SSL_get_version once the handshake is done (None before, and after unwrap/close)."""
        return self._ssl.get_version() if self._live() else None

    def cipher(self) -> tuple[str, str, int] | None:
        """``(name, protocol, bits)`` of the current cipher (SSL_get_current_cipher)."""
        return cipher_tuple(self._ssl) if self._live() else None

    def selected_alpn_protocol(self) -> str | None:
        """SSL_get0_alpn_selected."""
        return alpn_text(self._ssl)

    def getpeercert(self, binary_form: bool = False) -> dict[str, Any] | bytes | None:
        """SSL_get_peer_certificate: DER with ``binary_form``, else CPython's dict."""
        if not self._handshake_done and not self._ssl.is_init_finished():
            raise ValueError("handshake not done yet")
        if binary_form:
            cert = self._ssl.get_peer_certificate()
            return cert.to_der() if cert is not None else None
        return peer_certificate_dict(self._ssl)

    # ------------------------------------------------------------ socket passthrough

    def fileno(self) -> int:
        """The socket's descriptor (-1 once closed)."""
        return self._sock.fileno() if self._sock is not None else -1

    def gettimeout(self) -> float | None:
        """socket.gettimeout: the timeout every operation honours."""
        return self._socket().gettimeout()

    def settimeout(self, value: float | None) -> None:
        """socket.settimeout."""
        self._socket().settimeout(value)

    def setblocking(self, flag: bool) -> None:
        """socket.setblocking."""
        self._socket().setblocking(flag)

    def getpeername(self) -> Any:
        """socket.getpeername."""
        return self._socket().getpeername()

    def getsockname(self) -> Any:
        """socket.getsockname."""
        return self._socket().getsockname()

    def __repr__(self) -> str:
        return f"<biokit.stream.SSLSocket fd={self.fileno()} server_side={self.server_side}>"


def wrap_socket(
    sock: socket.socket,
    ssl_or_context: SSL | SSLContext,
    *,
    server_side: bool = False,
    server_hostname: str | None = None,
    do_handshake_on_connect: bool = True,
    suppress_ragged_eofs: bool = True,
) -> SSLSocket:
    """Wrap a socket in TLS (SSL_new + SSL_set_fd + SSL_connect/SSL_accept).

    With ``do_handshake_on_connect`` the handshake runs now if the socket is
    connected (else on ``connect()`` or the first I/O).  ``suppress_ragged_eofs``
    makes ``recv`` return ``b""`` on a transport EOF without close_notify, like
    the stdlib; turn it off to get OpenSSL 3's "unexpected eof while reading".
    """
    ssl = prepare_ssl(ssl_or_context, server_side=server_side, server_hostname=server_hostname)
    s = SSLSocket(
        sock, ssl, server_side=ssl.is_server(), server_hostname=server_hostname,
        suppress_ragged_eofs=suppress_ragged_eofs,
    )
    if do_handshake_on_connect:
        try:
            sock.getpeername()
        except OSError:
            return s
        if sock.gettimeout() == 0.0:
            raise ValueError("do_handshake_on_connect should not be specified for "
                             "non-blocking sockets")
        s.do_handshake()
    return s
