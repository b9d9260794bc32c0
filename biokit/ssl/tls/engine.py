"""The TLS engine: one connection's protocol state, sans-I/O.

Theory of operation
-------------------
Bytes in, bytes and events out (h11, rustls).  The SSL object is the only
caller; it moves bytes between this engine and BIOs::

      transport bytes --feed()--> [records] --decrypt--> handshake | alert | app data
                                                              |
                          state machine (states.py tables + role handlers)
                                                              |
      transport bytes <--take_output()-- [records] <--seal--- messages | alerts | app data

* ``feed(data)`` appends raw bytes; ``bytes_needed()`` says how many more bytes
  complete the current record (5 for a header, then the body), so the SSL
  object can read exactly that much from its BIO, as OpenSSL does with
  read_ahead off.  A bad header is rejected as soon as its 5 bytes are here.
* ``advance()`` runs the handshake state machine as far as the buffered input
  allows, like OpenSSL's ``state_machine()``: it alternates write and read
  phases, emitting the same info-callback "loop" events at the same points.
  It returns after each message it writes (``WROTE``, or ``FLUSH`` at one of
  OpenSSL's flush points), so the SSL object can write it out first and a
  full transport stops the machine in that message's state.
* ``read_record()`` processes one record for ``SSL_read``: application data goes
  to an internal buffer (``app_read``), post-handshake messages run the machine.
* Every fatal problem raises ``TLSError`` (alert + reason).  The engine never
  touches the error queue and never sends an alert by itself: the SSL object
  calls ``send_alert`` once, at its boundary.
* ``events`` collects what the callbacks want to see: ``("loop", state)``,
  ``("msg", write_p, version, content_type, data)``, ``("alert", write_p, level,
  desc)``, ``("start",)``, ``("done",)``, ``("keylog", line)``.  The SSL object
  drains it after each call.
"""

from __future__ import annotations

from collections import deque
from enum import Enum
from typing import TYPE_CHECKING, Any

from biokit.errors import SSLReason
from biokit.ssl.tls.config import EngineConfig, EngineHooks
from biokit.ssl.tls.enums import AlertDescription, AlertLevel, ProtocolVersion
from biokit.ssl.tls.errors import TLSError
from biokit.ssl.tls.record import MAX_PLAINTEXT, NullProtector
from biokit.ssl.tls.states import (
    CCS_MSG,
    HandState,
    Proto,
    Role,
    flush_guards,
    read_targets,
    write_rows,
)

if TYPE_CHECKING:
    from biokit.ssl.tls.handshake import Handshake

__all__ = ["Engine", "Flow", "RetryHook", "Status"]

_CT_HANDSHAKE = 22
_CT_APP = 23
_CT_ALERT = 21
_CT_CCS = 20
_VALID_TYPES = frozenset((_CT_CCS, _CT_ALERT, _CT_HANDSHAKE, _CT_APP))
SSL3_RT_HEADER = 0x100
SSL3_RT_INNER_CONTENT_TYPE = 0x101
# OpenSSL refuses more than this many empty records in a row (MAX_EMPTY_RECORDS).
MAX_EMPTY_RECORDS = 32
# ... and more than this many KeyUpdates without application data in between.
MAX_KEY_UPDATES = 32
MAX_WARN_ALERTS = 5
# Largest record body OpenSSL accepts before deciding it is not TLS at all.
_MAX_RECORD_BODY = MAX_PLAINTEXT + 2048


class Flow(Enum):
    """Which phase the state machine is in (OpenSSL's MSG_FLOW_*)."""

    WRITING = 1
    READING = 2
    FINISHED = 3


class Status(Enum):
    """What ``advance()`` stopped at."""

    DONE = 1
    NEED_INPUT = 2
    RETRY_CALLBACK = 3
    CLOSED = 4
    # A message was written: hand its records to the transport, then advance again
    # (OpenSSL's write_state_machine sends each message before the next one).
    WROTE = 5
    # ... and it was a flush point (states.FLUSH): push the whole flight out too.
    FLUSH = 6


class RetryHook(Exception):
    """A hook asked to be called again; ``kind`` is "x509" or "client_hello"."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


class _PeerClosed(Exception):
    """close_notify arrived while the handshake wanted a message."""


class Engine:
    """One TLS connection's protocol state (both roles, TLS 1.3 and 1.2)."""

    def __init__(self, config: EngineConfig, hooks: EngineHooks | None = None) -> None:
        self.config = config
        self.hooks = hooks if hooks is not None else EngineHooks()
        self.role = Role.SERVER if config.server else Role.CLIENT
        self.proto = Proto.ANY
        self.state = HandState.BEFORE
        self.flow = Flow.WRITING
        self.version: int = 0
        # The version libssl's msg callback reports with messages (s->version):
        # before negotiation a client's highest enabled version, and 0x0304 on a
        # server (TLS_method's SSL_new leaves it there until the ClientHello is
        # processed); then the negotiated one.
        self.msg_version: int = (
            ProtocolVersion.TLS1_3 if config.server else config.max_version
        )
        self.events: list[tuple[Any, ...]] = []
        # input
        self._in = bytearray()
        self._in_pos = 0
        self._rec_len = -1  # body length of the record at _in_pos, once its header passed
        # That record's whole body when it arrived in one piece, kept without a copy.
        self._body: bytes | None = None
        self._first_record = True
        self.rprot: Any = NullProtector()
        # OpenSSL writes the first ClientHello with record version TLS 1.0 (0x0301),
        # which RFC 8446 5.1 allows and some middleboxes expect.
        self.wprot: Any = NullProtector(
            ProtocolVersion.TLS1_2 if config.server else ProtocolVersion.TLS1_0
        )
        self._r_enc = False
        self._w_enc = False
        self._pending_len = 0
        self._ccs_pending = False
        self.retry_kind = ""
        self._record_version = ProtocolVersion.TLS1_2
        self._hs_buf = bytearray()
        self._hs_pos = 0
        self._header_seen = False
        self._held: tuple[int, bytes, bytes] | None = None
        # Decrypted application data, as views of the plaintexts (no copy until
        # SSL_read makes the bytes it returns).
        self._app: deque[memoryview] = deque()
        self._app_len = 0
        self._empty_records = 0
        self._warn_alerts = 0
        self.key_updates_in_a_row = 0
        # output
        self._out: list[bytes] = []
        self._out_len = 0
        self._hs_out = bytearray()
        self._hs_msgs: list[bytes] = []
        # (plaintext, record) sizes of the last application write that took more
        # than one record: how much of it a partial write completed (SSL_write's
        # retry checks).
        self.app_records: list[tuple[int, int]] = []
        # status
        self.handshake_done = False
        self.machine_entered = False
        self._done_reported = False
        self.first_handshake = True
        self.close_received = False
        self.close_sent = False
        self.failed = False
        self.alert_sent: int | None = None
        self.alert_received: int | None = None
        self.key_update_due: int | None = None
        self.hs: Handshake = self._new_handshake()

    def _new_handshake(self) -> Handshake:
        if self.role is Role.SERVER:
            from biokit.ssl.tls.server13 import ServerHandshake

            return ServerHandshake(self)
        from biokit.ssl.tls.client13 import ClientHandshake

        return ClientHandshake(self)

    # ================================================================ input side

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        """Append bytes received from the transport."""
        if self._in_pos and self._in_pos == len(self._in):
            self._in.clear()
            self._in_pos = 0
        if (
            data.__class__ is bytes
            and len(data) == self._rec_len
            and self._body is None
            and len(self._in) - self._in_pos == 5
        ):
            # Exactly the body of the record whose header is here (the read
            # pattern with read_ahead off): keep the object, copy nothing.
            self._body = data
            return
        if self._body is not None:
            self._in += self._body
            self._body = None
        self._in += data

    def buffered_input(self) -> int:
        """Transport bytes held but not yet processed (counted by SSL_pending? no: raw)."""
        body = self._body
        return len(self._in) - self._in_pos + (len(body) if body is not None else 0)

    def bytes_needed(self) -> int:
        """How many more transport bytes complete the next record (0: one is complete)."""
        if self._body is not None:
            return 0
        avail = len(self._in) - self._in_pos
        length = self._rec_len
        if length < 0:
            if avail < 5:
                return 5 - avail
            p = self._in_pos
            buf = self._in
            length = (buf[p + 3] << 8) | buf[p + 4]
            # Checked once per record, however often the caller asks.
            self._check_header(buf[p], (buf[p + 1] << 8) | buf[p + 2], length)
            self._rec_len = length
        need = 5 + length - avail
        return need if need > 0 else 0

    def _check_header(self, ctype: int, version: int, length: int) -> None:
        # Same order of checks as OpenSSL's ssl3_get_record, so a peer that is not
        # speaking TLS gets the same diagnosis ("http request", "wrong version number").
        # (Only the version says "not TLS": a first record of an unknown type with
        # a 3.x version is an unexpected message, answered with an alert.)
        if self._first_record and version >> 8 != 3:
            head = bytes(self._in[self._in_pos : self._in_pos + 5])
            if head[:4] in (b"GET ", b"POST", b"HEAD", b"PUT "):
                raise TLSError(None, SSLReason.HTTP_REQUEST)
            if head == b"CONNE":
                raise TLSError(None, SSLReason.HTTPS_PROXY_REQUEST)
            if ctype & 0x80 and head[2] == 1 and self.role is Role.SERVER:
                # An SSLv2-format ClientHello: we do not speak SSLv2.
                raise TLSError(None, SSLReason.UNSUPPORTED_PROTOCOL)
            raise TLSError(None, SSLReason.WRONG_VERSION_NUMBER)
        if version >> 8 != 3:
            raise TLSError(AlertDescription.protocol_version, SSLReason.WRONG_VERSION_NUMBER)
        if (
            self.version == ProtocolVersion.TLS1_2
            and not self._first_record
            and version != ProtocolVersion.TLS1_2
        ):
            raise TLSError(AlertDescription.protocol_version, SSLReason.WRONG_VERSION_NUMBER)
        if length > _MAX_RECORD_BODY:
            raise TLSError(AlertDescription.record_overflow, SSLReason.PACKET_LENGTH_TOO_LONG)
        if ctype not in _VALID_TYPES:
            raise TLSError(AlertDescription.unexpected_message, self._bad_type_reason())

    def _bad_type_reason(self) -> SSLReason:
        """What OpenSSL 3.0 calls a record that has no business here: before the version
        is chosen the state machine sees an "unexpected message"; under TLS 1.3
        encryption ssl3_get_record refuses the outer type ("bad record type")."""
        if not self.version:
            return SSLReason.UNEXPECTED_MESSAGE
        if self._r_enc and self.version == ProtocolVersion.TLS1_3:
            return SSLReason.BAD_RECORD_TYPE
        return SSLReason.UNEXPECTED_RECORD

    def _next_record(self) -> tuple[int, bytes] | None:
        """Decrypt and return the next complete record, or None if it is not all here."""
        if self.bytes_needed() > 0:
            return None
        buf = self._in
        p = self._in_pos
        ctype = buf[p]
        length = (buf[p + 3] << 8) | buf[p + 4]
        header = bytes(buf[p : p + 5])
        if self._body is not None:
            body = memoryview(self._body)
            self._body = None
            self._in_pos = p + 5
        else:
            body = memoryview(buf)[p + 5 : p + 5 + length]
            self._in_pos = p + 5 + length
        self._rec_len = -1
        self._first_record = False
        if self.config.msg_trace:
            # The record's own version field, as ssl3_get_record passes it.
            self.events.append(
                ("msg", False, (header[1] << 8) | header[2], SSL3_RT_HEADER, header)
            )
        try:
            if ctype == _CT_CCS and self.version != ProtocolVersion.TLS1_2:
                return _CT_CCS, bytes(body)
            if length == 0 and ctype != _CT_APP:
                raise TLSError(AlertDescription.unexpected_message, SSLReason.BAD_LENGTH)
            if (
                ctype == _CT_ALERT
                and self._r_enc
                and not self.handshake_done
                and self.version == ProtocolVersion.TLS1_3
            ):
                # The peer may not have switched to handshake keys yet when it
                # gives up (e.g. a client rejecting our certificate): accept its
                # alert in clear, as OpenSSL does (ENC_READ_STATE_ALLOW_PLAIN_ALERTS).
                return _CT_ALERT, bytes(body)
            ctype, data = self.rprot.open(header, body)
        finally:
            body.release()
        if self._in_pos == len(buf):
            buf.clear()
            self._in_pos = 0
        if self._r_enc and self.version == ProtocolVersion.TLS1_3 and self.config.msg_trace:
            self.events.append(
                ("msg", False, self.msg_version, SSL3_RT_INNER_CONTENT_TYPE, bytes((ctype,)))
            )
        if not data and ctype == _CT_APP:
            self._empty_records += 1
            if self._empty_records > MAX_EMPTY_RECORDS:
                raise TLSError(AlertDescription.unexpected_message, SSLReason.RECORD_TOO_SMALL)
        else:
            self._empty_records = 0
        return ctype, data

    def _handle_ccs(self, data: bytes) -> None:
        # TLS 1.3 (RFC 8446 5): a plaintext CCS of one byte 0x01 is dropped, but only
        # between the first ClientHello and the peer's Finished.
        if not self.version:
            # Before the version is known OpenSSL hands a CCS to the state machine as a
            # message (tls_get_message_header): one that is not a lone 0x01 byte at a
            # message boundary is a "bad change cipher spec"; otherwise, or in the
            # middle of a message body, it is a message no state expects.
            buffered = len(self._hs_buf) - self._hs_pos
            bad = buffered < 4 and (buffered > 0 or data != b"\x01")
            raise TLSError(
                AlertDescription.unexpected_message,
                SSLReason.BAD_CHANGE_CIPHER_SPEC if bad else SSLReason.UNEXPECTED_MESSAGE,
            )
        if data != b"\x01":
            raise TLSError(AlertDescription.unexpected_message, SSLReason.BAD_CHANGE_CIPHER_SPEC)
        # (No msg-callback entry for it: OpenSSL drops a TLS 1.3 CCS silently.)
        if self.handshake_done or not self.hs.ccs_allowed():
            raise TLSError(AlertDescription.unexpected_message, SSLReason.UNEXPECTED_CCS_MESSAGE)

    def _handle_alert(self, data: bytes) -> None:
        if len(data) != 2:
            raise TLSError(AlertDescription.decode_error, SSLReason.BAD_LENGTH)
        level, desc = data[0], data[1]
        if self.config.msg_trace:
            self.events.append(("msg", False, self.msg_version, _CT_ALERT, data))
        if self.role is Role.SERVER and self.state is HandState.BEFORE:
            # Before any ClientHello only a handshake record makes sense (OpenSSL 3.0).
            raise TLSError(AlertDescription.unexpected_message, SSLReason.UNEXPECTED_MESSAGE)
        self.events.append(("alert", False, level, desc, self.state))
        if desc == AlertDescription.close_notify:
            self.close_received = True
            self.alert_received = desc
            raise _PeerClosed()
        if level == AlertLevel.FATAL or (self.version == ProtocolVersion.TLS1_3 and (
            desc != AlertDescription.user_canceled
        )):
            self.alert_received = desc
            raise TLSError(None, 1000 + desc)
        if level != AlertLevel.WARNING:
            raise TLSError(AlertDescription.illegal_parameter, SSLReason.UNKNOWN_ALERT_TYPE)
        if desc == AlertDescription.no_renegotiation:
            raise TLSError(
                AlertDescription.handshake_failure, SSLReason.NO_RENEGOTIATION
            )
        self._warn_alerts += 1
        if self._warn_alerts > MAX_WARN_ALERTS:
            raise TLSError(AlertDescription.unexpected_message, SSLReason.TOO_MANY_WARN_ALERTS)

    def _pull_handshake_bytes(self) -> bool:
        """Move one record's worth of input into the handshake buffer; False if none."""
        while True:
            rec = self._next_record()
            if rec is None:
                return False
            ctype, data = rec
            if ctype == _CT_HANDSHAKE:
                self._hs_buf += data
                return True
            if ctype == _CT_ALERT:
                self._handle_alert(data)
                continue
            if ctype == _CT_CCS:
                if self.version == ProtocolVersion.TLS1_2:
                    self._take_ccs12(data)
                    return True
                self._handle_ccs(data)
                continue
            if ctype == _CT_APP:
                if self.handshake_done and not self._hs_buf:
                    # Application data while a post-handshake message is expected
                    # only happens between messages: keep it for SSL_read.
                    self._app_add(data)
                    continue
                raise TLSError(
                    AlertDescription.unexpected_message,
                    SSLReason.UNEXPECTED_RECORD if self.version else SSLReason.UNEXPECTED_MESSAGE,
                )

    def _take_ccs12(self, data: bytes) -> None:
        # TLS 1.2: the CCS becomes the pseudo message CCS_MSG for the state machine.
        if data != b"\x01":
            raise TLSError(AlertDescription.illegal_parameter, SSLReason.BAD_CHANGE_CIPHER_SPEC)
        if self.handshake_buffered():
            raise TLSError(AlertDescription.unexpected_message, SSLReason.CCS_RECEIVED_EARLY)
        # (No msg-callback entry: libssl 3.0 reports a received TLS 1.2 CCS only
        # through its record header.)
        self._ccs_pending = True

    def _peek_header(self) -> tuple[int, int] | None:
        """The (type, length) of the next handshake message once 4 bytes are here."""
        while len(self._hs_buf) - self._hs_pos < 4:
            if self._ccs_pending:
                return CCS_MSG, 0
            if not self._pull_handshake_bytes():
                return None
        b = self._hs_buf
        p = self._hs_pos
        return b[p], (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]

    def _take_message(self, length: int) -> tuple[int, bytes, bytes] | None:
        while len(self._hs_buf) - self._hs_pos < 4 + length:
            if not self._pull_handshake_bytes():
                return None
        b = self._hs_buf
        p = self._hs_pos
        end = p + 4 + length
        raw = bytes(b[p:end])
        if end == len(b):
            b.clear()
            self._hs_pos = 0
        else:
            self._hs_pos = end
        return raw[0], raw[4:], raw

    def handshake_buffered(self) -> int:
        """Handshake bytes received but not yet forming a whole message."""
        return len(self._hs_buf) - self._hs_pos

    def require_record_boundary(self) -> None:
        """A key change must not happen in the middle of a record (RFC 8446 5.1)."""
        if self.handshake_buffered() or self._held is not None:
            raise TLSError(AlertDescription.unexpected_message, SSLReason.NOT_ON_RECORD_BOUNDARY)

    # ================================================================ output side

    def _emit(self, record: bytes) -> None:
        self._out.append(record)
        self._out_len += len(record)

    def pending_output(self) -> int:
        """Bytes waiting to be written to the transport."""
        if self._hs_out:
            self._flush_handshake()
        return self._out_len

    def take_output(self) -> bytes:
        """All pending output as one buffer (flights are coalesced, as OpenSSL's bbio does)."""
        out = self._out
        if len(out) == 1:
            return out[0]
        joined = b"".join(out)
        out[:] = [joined]
        return joined

    def output_head(self) -> bytes:
        """The first pending record (or what is left of it): libssl writes record by record."""
        if self._hs_out:
            self._flush_handshake()
        return self._out[0]

    def consume_output(self, n: int) -> None:
        """Drop the first ``n`` bytes of the pending output (they were written)."""
        out = self._out
        if n >= self._out_len:
            out.clear()
            self._out_len = 0
            return
        head = out[0]
        if n == len(head):
            del out[0]
        elif n < len(head):
            out[0] = head[n:]
        else:
            head = self.take_output()
            out[0] = head[n:]
        self._out_len -= n

    def _seal(self, ctype: int, data: bytes | bytearray | memoryview) -> None:
        if self._hs_out and ctype != _CT_HANDSHAKE:
            self._flush_handshake()
        prot = self.wprot
        config = self.config
        n = len(data)
        if n <= config.max_fragment:
            if config.block_padding or config.msg_trace:
                rec = prot.seal(ctype, data, padding=self._padding(ctype, n))
                self._trace_out_record(rec, ctype)
            else:
                # The bulk path: one record, no padding, nobody tracing.
                rec = prot.seal(ctype, data)
            self._out.append(rec)
            self._out_len += len(rec)
            return
        mf = config.max_fragment
        view = memoryview(data)
        sizes: list[tuple[int, int]] = []
        for i in range(0, n, mf):
            chunk = view[i : i + mf]
            rec = prot.seal(ctype, chunk, padding=self._padding(ctype, len(chunk)))
            self._trace_out_record(rec, ctype)
            self._emit(rec)
            sizes.append((len(chunk), len(rec)))
        if ctype == _CT_APP:
            self.app_records = sizes

    def _padding(self, ctype: int, n: int) -> int:
        bp = self.config.block_padding
        if not bp or not self._w_enc or self.version != ProtocolVersion.TLS1_3:
            return 0
        rem = (n + 1) % bp
        pad = bp - rem if rem else 0
        return min(pad, MAX_PLAINTEXT - n)

    def _trace_out_record(self, rec: bytes, ctype: int) -> None:
        if self.config.msg_trace:
            # do_ssl3_write passes the record's version (0x0303, 0x0301 for a first
            # ClientHello) with the header and with the TLS 1.3 inner content type.
            rv = (rec[1] << 8) | rec[2]
            self.events.append(("msg", True, rv, SSL3_RT_HEADER, bytes(rec[:5])))
            if self._w_enc and self.version == ProtocolVersion.TLS1_3:
                self.events.append(
                    ("msg", True, rv, SSL3_RT_INNER_CONTENT_TYPE, bytes((ctype,)))
                )

    def send_handshake(self, raw: bytes) -> None:
        """Queue one handshake message (header included) in its own record(s).

        With ``config.coalesce_handshake`` (a biokit extension; OpenSSL writes one
        record per message) consecutive messages under the same keys share records.
        """
        if self.config.coalesce_handshake:
            self._hs_out += raw
            self._hs_msgs.append(raw)
            return
        self._seal(_CT_HANDSHAKE, raw)
        # OpenSSL reports the record header first, then the message it carries.
        if self.config.msg_trace:
            self.events.append(("msg", True, self.msg_version, _CT_HANDSHAKE, raw))

    def _flush_handshake(self) -> None:
        """Seal coalesced handshake messages before anything else is written or keys change."""
        if not self._hs_out:
            return
        data = bytes(self._hs_out)
        msgs = self._hs_msgs
        self._hs_out = bytearray()
        self._hs_msgs = []
        self._seal(_CT_HANDSHAKE, data)
        if self.config.msg_trace:
            for raw in msgs:
                self.events.append(("msg", True, self.msg_version, _CT_HANDSHAKE, raw))

    def send_ccs(self) -> None:
        """Queue a ChangeCipherSpec record (always plaintext in TLS 1.3 compatibility mode)."""
        data = b"\x01"
        self._flush_handshake()
        if self.version == ProtocolVersion.TLS1_3 or not self._w_enc:
            rec = NullProtector(self._record_version).seal(_CT_CCS, data)
            self._trace_out_record_plain(rec)
            self._emit(rec)
        else:
            self._seal(_CT_CCS, data)
        if self.config.msg_trace:
            self.events.append(("msg", True, self.msg_version, _CT_CCS, data))

    def _trace_out_record_plain(self, rec: bytes) -> None:
        if self.config.msg_trace:
            self.events.append(("msg", True, (rec[1] << 8) | rec[2], SSL3_RT_HEADER, rec[:5]))

    def send_alert(self, desc: int, level: int = AlertLevel.FATAL) -> None:
        """Queue an alert record; a fatal one marks the connection failed."""
        data = bytes((level, desc))
        try:
            self._seal(_CT_ALERT, data)
        except TLSError:
            pass
        if self.config.msg_trace:
            self.events.append(("msg", True, self.msg_version, _CT_ALERT, data))
        self.events.append(("alert", True, level, desc, self.state))
        if level == AlertLevel.FATAL:
            self.alert_sent = desc
            self.failed = True
        if desc == AlertDescription.close_notify:
            self.close_sent = True

    def write_app(self, data: bytes | bytearray | memoryview) -> None:
        """Queue application data (split into records of at most max_fragment bytes)."""
        self._seal(_CT_APP, data)

    def set_read_protector(self, prot: Any) -> None:
        """Switch the read side's record protection (a key change)."""
        self.rprot = prot
        self._r_enc = not isinstance(prot, NullProtector)

    def set_write_protector(self, prot: Any) -> None:
        """Switch the write side's record protection (a key change)."""
        self._flush_handshake()
        self.wprot = prot
        self._w_enc = not isinstance(prot, NullProtector)

    # ================================================================ app data

    def app_pending(self) -> int:
        """Decrypted application bytes ready for SSL_read (SSL_pending)."""
        return self._app_len

    def _app_add(self, data: bytes | bytearray | memoryview) -> None:
        if data:
            self._app.append(data if type(data) is memoryview else memoryview(data))
            self._app_len += len(data)

    def app_read(self, n: int, peek: bool = False) -> bytes:
        """Take (or peek at) up to ``n`` decrypted application bytes."""
        chunks = self._app
        if not chunks or n <= 0:
            return b""
        first = chunks[0]
        if n <= len(first):
            # The common case: one record's plaintext, copied once into bytes.
            out = bytes(first[:n]) if n < len(first) else bytes(first)
            if not peek:
                if n < len(first):
                    chunks[0] = first[n:]
                else:
                    chunks.popleft()
                self._app_len -= n
            return out
        parts = []
        got = 0
        for view in chunks:
            take = min(n - got, len(view))
            parts.append(view[:take])
            got += take
            if got == n:
                break
        out = b"".join(parts)
        if not peek:
            left = got
            while left:
                view = chunks[0]
                if len(view) <= left:
                    chunks.popleft()
                    left -= len(view)
                else:
                    chunks[0] = view[left:]
                    left = 0
            self._app_len -= got
        return out

    def read_record(self) -> str:
        """Process one record for SSL_read.

        Returns "app" (data was added, maybe zero bytes), "handshake" (a
        post-handshake message was handled), "closed" (close_notify), "need"
        (the record is not all here) or "retry" (a hook asked to retry).
        """
        if self.flow is not Flow.FINISHED or self._held is not None or self.handshake_buffered():
            st = self.advance()
            if st is Status.NEED_INPUT:
                return "need"
            if st is Status.CLOSED:
                return "closed"
            if st is Status.RETRY_CALLBACK:
                return "retry"
            return "handshake"
        try:
            rec = self._next_record()
        except TLSError:
            raise
        if rec is None:
            return "need"
        ctype, data = rec
        if ctype == _CT_APP:
            if self.close_received:
                raise TLSError(
                    AlertDescription.unexpected_message,
                    SSLReason.APPLICATION_DATA_AFTER_CLOSE_NOTIFY,
                )
            self.key_updates_in_a_row = 0
            self._app_add(data)
            return "app"
        if ctype == _CT_ALERT:
            try:
                self._handle_alert(data)
            except _PeerClosed:
                return "closed"
            return "handshake"
        if ctype == _CT_CCS:
            self._handle_ccs(data)
            return "handshake"
        # A post-handshake handshake message: run the state machine on it.
        self._hs_buf += data
        st = self.advance()
        if st is Status.CLOSED:
            return "closed"
        if st is Status.RETRY_CALLBACK:
            return "retry"
        return "need" if st is Status.NEED_INPUT else "handshake"

    # ================================================================ the machine

    def in_init(self) -> bool:
        """SSL_in_init: the state machine has work to do (handshake or post-handshake).

        True after a fatal error too, as in OpenSSL (ossl_statem_send_fatal sets in_init).
        """
        return self.flow is not Flow.FINISHED or self.key_update_due is not None or self.failed

    def request_key_update(self, requested: bool) -> None:
        """SSL_key_update: send a KeyUpdate at the next opportunity."""
        self.key_update_due = 1 if requested else 0

    def advance(self) -> Status:
        """Run the state machine as far as the buffered input allows (state_machine())."""
        # The SSL object reports ACCEPT_EXIT/CONNECT_EXIT for every run of the
        # machine, and clears this when it has.
        self.machine_entered = True
        if self.flow is Flow.FINISHED:
            self.flow = Flow.WRITING
            if not self.hs.tls13():
                self.events.append(("start", self.state))
        elif (
            self.state is HandState.BEFORE
            and self._held is None
            and not self._header_seen
            and self.flow is Flow.WRITING
            and not self.hs.started
        ):
            self.hs.started = True
            self.events.append(("start", self.state))
        events = self.events
        try:
            while True:
                if self.flow is Flow.WRITING:
                    hs = self.hs  # (replaced once, when TLS 1.2 is chosen)
                    if hs.write_resume is not None:
                        # A writer that asked a hook to retry runs again.
                        writer = hs.write_resume
                        hs.write_resume = None
                        self._run_writer(writer)
                        stop = self._write_stop()
                        if stop is not None:
                            return stop
                        continue
                    events.append(("loop", self.state))
                    rows = write_rows(self.role, self.proto, self.state)
                    if rows is None:
                        raise TLSError(
                            AlertDescription.internal_error, SSLReason.BAD_HANDSHAKE_STATE
                        )
                    nxt = self._pick(rows)
                    if nxt is None:
                        self.flow = Flow.READING
                        continue
                    self.state = nxt
                    if nxt is HandState.OK:
                        self._finish()
                        return Status.DONE
                    if (
                        nxt is HandState.SW_SESSION_TICKET
                        and not self.handshake_done
                        and not self._done_reported
                        and self.proto is Proto.TLS13
                    ):
                        # A TLS 1.3 server finishes the handshake in the first
                        # ticket's pre_work (tls_finish_handshake), so the info
                        # callback sees HANDSHAKE_DONE in "write session ticket".
                        self._done_reported = True
                        events.append(("done", nxt))
                    self._run_writer(hs.writers[nxt])
                    stop = self._write_stop()
                    if stop is not None:
                        return stop
                    continue
                # READING
                hs = self.hs
                if hs.read_resume is not None:
                    # A post-processing step that asked a hook to retry.
                    if hs.read_resume() is Flow.WRITING:
                        self.flow = Flow.WRITING
                    hs.read_resume = None
                    continue
                msg = self._held
                if msg is None:
                    if not self._header_seen:
                        hdr = self._peek_header()
                        if hdr is None:
                            return Status.NEED_INPUT
                        mtype, length = hdr
                        events.append(("loop", self.state))
                        self._transition(mtype)
                        if length > self.hs.max_message_size(mtype):
                            raise TLSError(
                                AlertDescription.illegal_parameter,
                                SSLReason.EXCESSIVE_MESSAGE_SIZE,
                            )
                        self._header_seen = True
                        self._pending_len = length
                    if self._ccs_pending and self.state in (
                        HandState.CR_CHANGE,
                        HandState.SR_CHANGE,
                    ):
                        self._ccs_pending = False
                        msg = (CCS_MSG, b"", b"\x01")
                    else:
                        msg = self._take_message(self._pending_len)
                        if msg is None:
                            return Status.NEED_INPUT
                        if self.config.msg_trace:
                            events.append(
                                ("msg", False, self.msg_version, _CT_HANDSHAKE, msg[2])
                            )
                    self._header_seen = False
                reader = self.hs.readers[self.state]
                try:
                    flow = reader(msg[0], msg[1], msg[2])
                except RetryHook:
                    # Held for a rerun, unless the message was processed and only
                    # its post-processing waits (hs.read_resume).
                    if self.hs.read_resume is None:
                        self._held = msg
                    raise
                self._held = None
                if flow is Flow.WRITING:
                    self.flow = Flow.WRITING
        except RetryHook as r:
            self.retry_kind = r.kind
            return Status.RETRY_CALLBACK
        except _PeerClosed:
            return Status.CLOSED

    def _run_writer(self, writer: Any) -> None:
        try:
            writer()
        except RetryHook:
            self.hs.write_resume = writer
            raise

    def _write_stop(self) -> Status | None:
        """After a message: FLUSH at a flush point, WROTE if records wait, else None."""
        guards = flush_guards(self.role, self.proto, self.state)
        if guards is not None and self.pending_output():
            hs = self.hs
            if all(self._guard(hs, g) for g in guards):
                return Status.FLUSH
        # (Coalesced messages stay unsealed until a key change or a flush point.)
        return Status.WROTE if self._out_len else None

    def _pick(self, rows: Any) -> HandState | None:
        hs = self.hs
        for guard, target in rows:
            if guard is None or self._guard(hs, guard):
                return target  # type: ignore[no-any-return]
        raise TLSError(AlertDescription.internal_error, SSLReason.BAD_HANDSHAKE_STATE)

    @staticmethod
    def _guard(hs: Any, guard: str) -> bool:
        if guard[0] == "!":
            return not getattr(hs, guard[1:])
        return bool(getattr(hs, guard))

    def _transition(self, mtype: int) -> None:
        """Check that the peer may send ``mtype`` now and move to the state it leads to."""
        rows = read_targets(self.role, self.proto, self.state)
        entry = rows.get(mtype) if rows is not None else None
        if entry is None or (entry[0] is not None and not self._guard(self.hs, entry[0])):
            raise TLSError(AlertDescription.unexpected_message, SSLReason.UNEXPECTED_MESSAGE)
        self.state = entry[1]

    def _finish(self) -> None:
        self.flow = Flow.FINISHED
        first = not self.handshake_done and not self._done_reported
        self.handshake_done = True
        if first or not self.hs.tls13():
            self.events.append(("done", self.state))
        self.first_handshake = False

    def set_version(self, version: int) -> None:
        """Fix the negotiated version: the one place the machine splits by protocol."""
        self.version = version
        self.msg_version = version
        self.proto = Proto.TLS13 if version == ProtocolVersion.TLS1_3 else Proto.TLS12
        self._record_version = ProtocolVersion.TLS1_2
        if not self._w_enc:
            self.wprot = NullProtector(ProtocolVersion.TLS1_2)
        if version == ProtocolVersion.TLS1_2:
            from biokit.ssl.tls.handshake import switch_to_tls12

            self.hs = switch_to_tls12(self)

    def keylog12(self, master: bytes) -> None:
        """The TLS 1.2 NSS key log line: CLIENT_RANDOM <client random> <master secret>."""
        self.keylog("CLIENT_RANDOM", master)

    def keylog(self, label: str, secret: bytes) -> None:
        """Emit one NSS key log line (SSL_CTX_set_keylog_callback)."""
        if self.config.keylog:
            self.events.append(("keylog", f"{label} {self.hs.client_random.hex()} {secret.hex()}"))

    # ================================================================ post-handshake

    def send_key_update_now(self) -> None:
        """Hook for writers: nothing else to do here (kept for symmetry)."""

    @property
    def handshake_type_name(self) -> str:
        """A readable name of the current state (debugging)."""
        return self.state.name


def alert_reason(desc: int) -> int:
    """The SSL_R_* reason OpenSSL reports for a received alert."""
    return 1000 + desc

