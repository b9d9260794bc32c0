"""What both TLS 1.2 roles share: key block, Finished, CCS, session tickets.

TLS 1.2 (RFC 5246) with ECDHE and AEAD suites only, the extended master
secret (RFC 7627), the secure-renegotiation indication (RFC 5746; renegotiation
itself is refused) and RFC 5077 tickets.  The handshake splits off TLS 1.3 at
the hellos (``Engine.set_version``); from there on these classes take over,
carrying forward what the version-neutral part already did (randoms, the
transcript so far, offered suites and groups).

ChangeCipherSpec is a record, but in TLS 1.2 it moves the state machine: the
engine hands it to the machine as the pseudo message ``CCS_MSG`` (OpenSSL's
SSL3_MT_CHANGE_CIPHER_SPEC), and the reader for ``*R_CHANGE`` switches the
read keys.
"""

from __future__ import annotations

import hmac
import struct
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from biokit.errors import SSLReason
from biokit.ssl.tls import prf12
from biokit.ssl.tls.codec import Reader, Writer
from biokit.ssl.tls.enums import AlertDescription
from biokit.ssl.tls.errors import TLSError
from biokit.ssl.tls.handshake import Handshake, flow
from biokit.ssl.tls.messages import Finished
from biokit.ssl.tls.record import TLS12AEADProtector

if TYPE_CHECKING:
    from biokit.ssl.tls.engine import Engine, Flow

__all__ = ["Handshake12", "flow", "open_ticket12", "seal_ticket12"]

_TICKET_VERSION = 12


class Handshake12(Handshake):
    """State and steps common to the TLS 1.2 client and server."""

    def __init__(self, engine: Engine, previous: Handshake) -> None:
        super().__init__(engine)
        # Carry forward what the version-neutral part established.
        self.transcript = previous.transcript
        self.client_random = previous.client_random
        self.server_random = previous.server_random
        self.session_id = previous.session_id
        self.started = previous.started
        self.first_hello_done = True
        self.master = b""
        self.ems = False
        self.secure_renegotiation = False
        self.ticket_expected = False
        self.new_ticket: bytes | None = None
        self.peer_key: Any = None

    # ------------------------------------------------------------------ guards

    @property
    def resumed_ticket_expected(self) -> bool:
        return self.resumed and self.ticket_expected

    def tls13(self) -> bool:
        return False

    def ccs_allowed(self) -> bool:
        return False

    # ------------------------------------------------------------------ keys

    def _protectors(self) -> tuple[TLS12AEADProtector, TLS12AEADProtector]:
        assert self.suite is not None
        ck, sk, civ, siv = prf12.split_key_block(
            self.suite, self.master, self.client_random, self.server_random
        )
        return (
            TLS12AEADProtector(self.suite, ck, civ),
            TLS12AEADProtector(self.suite, sk, siv),
        )

    def derive_master(self, pms: bytes) -> None:
        """The master secret: extended (RFC 7627) when both sides agreed to it."""
        assert self.suite is not None
        if self.ems:
            session_hash = self.transcript.digest()
            self.master = prf12.extended_master_secret(self.suite.hash, pms, session_hash)
        else:
            self.master = prf12.master_secret(
                self.suite.hash, pms, self.client_random, self.server_random
            )
        self.e.keylog12(self.master)

    def finished_data(self, client: bool) -> bytes:
        assert self.suite is not None
        label = b"client finished" if client else b"server finished"
        return prf12.verify_data(self.suite.hash, self.master, label, self.transcript.digest())

    def send_finished(self, client: bool) -> None:
        self.own_finished = self.finished_data(client)
        self.send(Finished(verify_data=self.own_finished))

    def check_finished12(self, body: bytes, client: bool) -> None:
        expected = self.finished_data(client)
        if len(body) != len(expected):
            raise TLSError(AlertDescription.decode_error, SSLReason.BAD_DIGEST_LENGTH)
        if not hmac.compare_digest(body, expected):
            raise TLSError(AlertDescription.decrypt_error, SSLReason.DIGEST_CHECK_FAILED)
        self.peer_finished = bytes(body)
        self.peer_finished_seen = True

    def write_ccs12(self, client: bool) -> None:
        """ChangeCipherSpec, then our writes use the new keys."""
        self.e.send_ccs()
        cprot, sprot = self._protectors()
        self.e.set_write_protector(cprot if client else sprot)

    def read_ccs12(self, client: bool) -> Flow:
        """The peer's ChangeCipherSpec: its records are protected from here on."""
        if not self.master:
            raise TLSError(AlertDescription.unexpected_message, SSLReason.CCS_RECEIVED_EARLY)
        cprot, sprot = self._protectors()
        self.e.set_read_protector(sprot if client else cprot)
        return flow("READING")

    # ------------------------------------------------------------------ renegotiation

    renegotiating = False

    def refuse_renegotiation(self, mtype: int, body: bytes, raw: bytes) -> Flow:
        """A HelloRequest / new ClientHello after the handshake: say no, carry on.

        OpenSSL 3 by default refuses client-initiated renegotiation with a
        no_renegotiation warning alert; biokit never renegotiates, either way.
        """
        from biokit.ssl.tls.enums import AlertLevel

        self.renegotiating = True
        self.e.send_alert(AlertDescription.no_renegotiation, AlertLevel.WARNING)
        return flow("WRITING")

    # ------------------------------------------------------------------ exporter

    def export(self, label: bytes, length: int, context: bytes | None) -> bytes:
        if not self.master:
            raise TLSError(None, SSLReason.STILL_IN_INIT)
        assert self.suite is not None
        return prf12.export_keying_material12(
            self.suite.hash, self.master, self.client_random, self.server_random,
            label, context, length,
        )

    # ------------------------------------------------------------------ key update

    def write_key_update(self) -> None:
        raise TLSError(AlertDescription.internal_error, SSLReason.UNSUPPORTED_PROTOCOL)


def seal_ticket12(
    key: bytes,
    nonce: bytes,
    suite_id: int,
    master: bytes,
    ems: bool,
    alpn: bytes | None,
    issued: float,
) -> bytes:
    """An RFC 5077 ticket: the session state, AES-GCM sealed under the server's ticket key."""
    w = Writer()
    w.uint16(suite_id)
    w.vec8(master)
    w.uint8(1 if ems else 0)
    w.raw(struct.pack("!d", issued))
    w.vec8(alpn or b"")
    return bytes((_TICKET_VERSION,)) + nonce + AESGCM(key).encrypt(
        nonce, w.getvalue(), b"biokit-ticket-12"
    )


def open_ticket12(key: bytes, ticket: bytes) -> tuple[int, bytes, bool, float] | None:
    """The session state in a ticket we issued, or None (a full handshake follows)."""
    if len(ticket) < 1 + 12 + 16 or ticket[0] != _TICKET_VERSION:
        return None
    try:
        plain = AESGCM(key).decrypt(ticket[1:13], ticket[13:], b"biokit-ticket-12")
        r = Reader(plain)
        suite_id = r.uint16()
        master = r.vec8()
        ems = r.uint8() == 1
        issued = struct.unpack("!d", r.raw(8))[0]
        r.vec8()
        r.expect_end()
    except Exception:
        return None
    return suite_id, master, ems, issued
