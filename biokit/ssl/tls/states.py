"""The handshake state machine as data: states, and which way each state may go.

Rules (everything that decides *where* the handshake goes lives in this file):

* States are OpenSSL's ``TLS_ST_*`` hand states, with OpenSSL's long and short
  names, so ``SSL.state_string_long()`` and the info callback read exactly like
  ``openssl s_server -state``.
* Like OpenSSL's ``statem.c`` the machine alternates between a *write* phase and
  a *read* phase.  In the write phase, ``WRITE`` says where to go from the current
  state: the first row whose guard holds wins; ``None`` as target means "stop
  writing, read from the peer".  Entering a state in the write phase constructs
  that state's message.  In the read phase, ``READ`` says which message types
  the peer may send in the current state and the state each one leads to; a
  message not in the table (or whose guard fails) is ``unexpected_message``.
  OpenSSL checks the transition when the message *header* arrives, before the
  body is parsed; so does biokit.
* Guards are names of boolean properties of the handshake object (``"!name"``
  negates); the dispatcher evaluates them, handlers never assign the state.
* The protocol split happens once, at ServerHello (client) / ClientHello
  (server): rows are keyed by ``Proto.ANY`` until the version is known, then by
  ``Proto.TLS13`` or ``Proto.TLS12``.

The same tables draw the state diagrams in the docs.

::

    server, TLS 1.3 (write phase unless marked R):

    BEFORE -R-> SR_CLNT_HELLO -> SW_SRVR_HELLO -> [SW_CHANGE] -> SW_ENCRYPTED_EXTENSIONS
       -> [SW_CERT_REQ] -> SW_CERT -> SW_CERT_VRFY -> SW_FINISHED -> EARLY_DATA
       -R-> [SR_CERT -R-> [SR_CERT_VRFY]] -R-> SR_FINISHED -> SW_SESSION_TICKET* -> OK
"""

from __future__ import annotations

from enum import Enum, IntEnum

from biokit.ssl.tls.enums import HandshakeType as HT

__all__ = [
    "CCS_MSG",
    "FLUSH",
    "READ",
    "WRITE",
    "HandState",
    "Proto",
    "Role",
    "flush_guards",
    "read_targets",
    "write_rows",
]

# TLS 1.2's ChangeCipherSpec is a record, not a handshake message, but it moves
# the state machine like one; OpenSSL gives it the pseudo type
# SSL3_MT_CHANGE_CIPHER_SPEC (0x0101), and so does biokit.
CCS_MSG = 0x0101


class Role(IntEnum):
    CLIENT = 0
    SERVER = 1


class Proto(IntEnum):
    ANY = 0
    TLS13 = 0x0304
    TLS12 = 0x0303


class HandState(Enum):
    """OpenSSL's TLS_ST_* hand states: value = (long name, short name, own name).

    The third element keeps states with the same OpenSSL strings distinct
    (SW_CHANGE and CW_CHANGE both print "write change cipher spec").
    """

    BEFORE = ("before SSL initialization", "PINIT", "BEFORE")
    OK = ("SSL negotiation finished successfully", "SSLOK", "OK")
    ERROR = ("error", "SSLERR", "ERROR")
    # client
    CW_CLNT_HELLO = ("SSLv3/TLS write client hello", "TWCH", "CW_CLNT_HELLO")
    CR_SRVR_HELLO = ("SSLv3/TLS read server hello", "TRSH", "CR_SRVR_HELLO")
    CR_ENCRYPTED_EXTENSIONS = (
        "TLSv1.3 read encrypted extensions",
        "TREE",
        "CR_ENCRYPTED_EXTENSIONS",
    )
    CR_CERT_REQ = ("SSLv3/TLS read server certificate request", "TRCR", "CR_CERT_REQ")
    CR_CERT = ("SSLv3/TLS read server certificate", "TRSC", "CR_CERT")
    CR_CERT_VRFY = ("TLSv1.3 read server certificate verify", "TRSCV", "CR_CERT_VRFY")
    CR_KEY_EXCH = ("SSLv3/TLS read server key exchange", "TRSKE", "CR_KEY_EXCH")
    CR_SRVR_DONE = ("SSLv3/TLS read server done", "TRSD", "CR_SRVR_DONE")
    CR_CHANGE = ("SSLv3/TLS read change cipher spec", "TRCCS", "CR_CHANGE")
    CR_FINISHED = ("SSLv3/TLS read finished", "TRFIN", "CR_FINISHED")
    CR_SESSION_TICKET = ("SSLv3/TLS read server session ticket", "TRST", "CR_SESSION_TICKET")
    CR_KEY_UPDATE = ("TLSv1.3 read server key update", "TRSKU", "CR_KEY_UPDATE")
    CR_HELLO_REQ = ("SSLv3/TLS read hello request", "TRHR", "CR_HELLO_REQ")
    CW_CHANGE = ("SSLv3/TLS write change cipher spec", "TWCCS", "CW_CHANGE")
    CW_CERT = ("SSLv3/TLS write client certificate", "TWCC", "CW_CERT")
    CW_KEY_EXCH = ("SSLv3/TLS write client key exchange", "TWCKE", "CW_KEY_EXCH")
    CW_CERT_VRFY = ("SSLv3/TLS write certificate verify", "TWCV", "CW_CERT_VRFY")
    CW_FINISHED = ("SSLv3/TLS write finished", "TWFIN", "CW_FINISHED")
    CW_KEY_UPDATE = ("TLSv1.3 write client key update", "TWCKU", "CW_KEY_UPDATE")
    # server
    SR_CLNT_HELLO = ("SSLv3/TLS read client hello", "TRCH", "SR_CLNT_HELLO")
    SW_HELLO_REQ = ("SSLv3/TLS write hello request", "TWHR", "SW_HELLO_REQ")
    SW_SRVR_HELLO = ("SSLv3/TLS write server hello", "TWSH", "SW_SRVR_HELLO")
    SW_CHANGE = ("SSLv3/TLS write change cipher spec", "TWCCS", "SW_CHANGE")
    SW_ENCRYPTED_EXTENSIONS = (
        "TLSv1.3 write encrypted extensions",
        "TWEE",
        "SW_ENCRYPTED_EXTENSIONS",
    )
    SW_CERT_REQ = ("SSLv3/TLS write certificate request", "TWCR", "SW_CERT_REQ")
    SW_CERT = ("SSLv3/TLS write certificate", "TWSC", "SW_CERT")
    SW_CERT_VRFY = ("TLSv1.3 write server certificate verify", "TWSCV", "SW_CERT_VRFY")
    SW_KEY_EXCH = ("SSLv3/TLS write key exchange", "TWSKE", "SW_KEY_EXCH")
    SW_SRVR_DONE = ("SSLv3/TLS write server done", "TWSD", "SW_SRVR_DONE")
    SW_FINISHED = ("SSLv3/TLS write finished", "TWFIN", "SW_FINISHED")
    EARLY_DATA = ("TLSv1.3 early data", "TED", "EARLY_DATA")
    SR_CERT = ("SSLv3/TLS read client certificate", "TRCC", "SR_CERT")
    SR_KEY_EXCH = ("SSLv3/TLS read client key exchange", "TRCKE", "SR_KEY_EXCH")
    SR_CERT_VRFY = ("SSLv3/TLS read certificate verify", "TRCV", "SR_CERT_VRFY")
    SR_CHANGE = ("SSLv3/TLS read change cipher spec", "TRCCS", "SR_CHANGE")
    SR_FINISHED = ("SSLv3/TLS read finished", "TRFIN", "SR_FINISHED")
    SW_SESSION_TICKET = ("SSLv3/TLS write session ticket", "TWST", "SW_SESSION_TICKET")
    SW_KEY_UPDATE = ("TLSv1.3 write server key update", "TWSKU", "SW_KEY_UPDATE")
    SR_KEY_UPDATE = ("TLSv1.3 read client key update", "TRCKU", "SR_KEY_UPDATE")

    @property
    def long_name(self) -> str:
        """SSL_state_string_long."""
        return self.value[0]

    @property
    def short_name(self) -> str:
        """SSL_state_string."""
        return self.value[1]


S = HandState
C, SV = Role.CLIENT, Role.SERVER
ANY, T13, T12 = Proto.ANY, Proto.TLS13, Proto.TLS12

WriteRows = tuple[tuple[str | None, HandState | None], ...]
ReadRows = dict[int, tuple[str | None, HandState]]

# (role, proto, state) -> rows of (guard, next state); None = switch to reading.
WRITE: dict[tuple[Role, Proto, HandState], WriteRows] = {
    # ---------------------------------------------------------------- client
    (C, ANY, S.BEFORE): ((None, S.CW_CLNT_HELLO),),
    (C, ANY, S.CW_CLNT_HELLO): ((None, None),),
    # Only reached by writing after a HelloRetryRequest (a real ServerHello
    # keeps the client reading).
    (C, T13, S.CR_SRVR_HELLO): (("ccs_due", S.CW_CHANGE), (None, S.CW_CLNT_HELLO)),
    (C, T13, S.CW_CHANGE): (
        ("hrr_pending", S.CW_CLNT_HELLO),
        ("cert_requested", S.CW_CERT),
        (None, S.CW_FINISHED),
    ),
    (C, T13, S.CW_CLNT_HELLO): ((None, None),),
    (C, T13, S.CR_FINISHED): (
        ("ccs_due", S.CW_CHANGE),
        ("cert_requested", S.CW_CERT),
        (None, S.CW_FINISHED),
    ),
    (C, T13, S.CW_CERT): (("client_cert_sent", S.CW_CERT_VRFY), (None, S.CW_FINISHED)),
    (C, T13, S.CW_CERT_VRFY): ((None, S.CW_FINISHED),),
    (C, T13, S.CW_FINISHED): ((None, S.OK),),
    (C, T13, S.OK): (("key_update_due", S.CW_KEY_UPDATE), (None, None)),
    (C, T13, S.CW_KEY_UPDATE): ((None, S.OK),),
    (C, T13, S.CR_KEY_UPDATE): ((None, S.OK),),
    (C, T13, S.CR_SESSION_TICKET): ((None, S.OK),),
    # TLS 1.2 client
    (C, T12, S.CR_SRVR_DONE): (("cert_requested", S.CW_CERT), (None, S.CW_KEY_EXCH)),
    (C, T12, S.CW_CERT): ((None, S.CW_KEY_EXCH),),
    (C, T12, S.CW_KEY_EXCH): (("client_cert_sent", S.CW_CERT_VRFY), (None, S.CW_CHANGE)),
    (C, T12, S.CW_CERT_VRFY): ((None, S.CW_CHANGE),),
    (C, T12, S.CW_CHANGE): ((None, S.CW_FINISHED),),
    (C, T12, S.CW_FINISHED): (("resumed", S.OK), (None, None)),
    (C, T12, S.CR_FINISHED): (("resumed", S.CW_CHANGE), (None, S.OK)),
    (C, T12, S.OK): ((None, None),),
    (C, T12, S.CR_HELLO_REQ): ((None, S.OK),),
    # ---------------------------------------------------------------- server
    (SV, ANY, S.BEFORE): ((None, None),),
    (SV, T13, S.SR_CLNT_HELLO): ((None, S.SW_SRVR_HELLO),),
    (SV, T13, S.SW_SRVR_HELLO): (
        ("ccs_due", S.SW_CHANGE),
        ("hrr_pending", S.EARLY_DATA),
        (None, S.SW_ENCRYPTED_EXTENSIONS),
    ),
    (SV, T13, S.SW_CHANGE): (("hrr_pending", S.EARLY_DATA), (None, S.SW_ENCRYPTED_EXTENSIONS)),
    (SV, T13, S.SW_ENCRYPTED_EXTENSIONS): (
        ("resumed", S.SW_FINISHED),
        ("request_cert", S.SW_CERT_REQ),
        (None, S.SW_CERT),
    ),
    (SV, T13, S.SW_CERT_REQ): ((None, S.SW_CERT),),
    (SV, T13, S.SW_CERT): ((None, S.SW_CERT_VRFY),),
    (SV, T13, S.SW_CERT_VRFY): ((None, S.SW_FINISHED),),
    (SV, T13, S.SW_FINISHED): ((None, S.EARLY_DATA),),
    (SV, T13, S.EARLY_DATA): ((None, None),),
    (SV, T13, S.SR_FINISHED): (("tickets_due", S.SW_SESSION_TICKET), (None, S.OK)),
    (SV, T13, S.SW_SESSION_TICKET): (("tickets_due", S.SW_SESSION_TICKET), (None, S.OK)),
    (SV, T13, S.OK): (("key_update_due", S.SW_KEY_UPDATE), (None, None)),
    (SV, T13, S.SW_KEY_UPDATE): ((None, S.OK),),
    (SV, T13, S.SR_KEY_UPDATE): ((None, S.OK),),
    # TLS 1.2 server
    (SV, T12, S.SR_CLNT_HELLO): (("renegotiating", S.OK), (None, S.SW_SRVR_HELLO)),
    (SV, T12, S.SW_SRVR_HELLO): (
        ("resumed_ticket_due", S.SW_SESSION_TICKET),
        ("resumed", S.SW_CHANGE),
        (None, S.SW_CERT),
    ),
    (SV, T12, S.SW_CERT): ((None, S.SW_KEY_EXCH),),
    (SV, T12, S.SW_KEY_EXCH): (("request_cert", S.SW_CERT_REQ), (None, S.SW_SRVR_DONE)),
    (SV, T12, S.SW_CERT_REQ): ((None, S.SW_SRVR_DONE),),
    (SV, T12, S.SW_SRVR_DONE): ((None, None),),
    (SV, T12, S.SR_FINISHED): (
        ("resumed", S.OK),
        ("ticket_expected", S.SW_SESSION_TICKET),
        (None, S.SW_CHANGE),
    ),
    (SV, T12, S.SW_SESSION_TICKET): ((None, S.SW_CHANGE),),
    (SV, T12, S.SW_CHANGE): ((None, S.SW_FINISHED),),
    (SV, T12, S.SW_FINISHED): (("resumed", None), (None, S.OK)),
    (SV, T12, S.OK): ((None, None),),
}

# (role, proto, state) -> {message type: (guard, next state)}.
READ: dict[tuple[Role, Proto, HandState], ReadRows] = {
    # ---------------------------------------------------------------- client
    (C, ANY, S.CW_CLNT_HELLO): {HT.SERVER_HELLO: (None, S.CR_SRVR_HELLO)},
    (C, T13, S.CW_CLNT_HELLO): {HT.SERVER_HELLO: (None, S.CR_SRVR_HELLO)},
    (C, T13, S.CR_SRVR_HELLO): {HT.ENCRYPTED_EXTENSIONS: (None, S.CR_ENCRYPTED_EXTENSIONS)},
    (C, T13, S.CR_ENCRYPTED_EXTENSIONS): {
        HT.CERTIFICATE_REQUEST: ("!resumed", S.CR_CERT_REQ),
        HT.CERTIFICATE: ("!resumed", S.CR_CERT),
        HT.FINISHED: ("resumed", S.CR_FINISHED),
    },
    (C, T13, S.CR_CERT_REQ): {HT.CERTIFICATE: (None, S.CR_CERT)},
    (C, T13, S.CR_CERT): {HT.CERTIFICATE_VERIFY: (None, S.CR_CERT_VRFY)},
    (C, T13, S.CR_CERT_VRFY): {HT.FINISHED: (None, S.CR_FINISHED)},
    (C, T13, S.OK): {
        HT.NEW_SESSION_TICKET: (None, S.CR_SESSION_TICKET),
        HT.KEY_UPDATE: (None, S.CR_KEY_UPDATE),
    },
    # TLS 1.2 client (CCS is the pseudo message type CCS_MSG, as in OpenSSL)
    (C, T12, S.CR_SRVR_HELLO): {
        HT.CERTIFICATE: ("!resumed", S.CR_CERT),
        HT.NEW_SESSION_TICKET: ("resumed_ticket_expected", S.CR_SESSION_TICKET),
        CCS_MSG: ("resumed", S.CR_CHANGE),
    },
    (C, T12, S.CR_CERT): {HT.SERVER_KEY_EXCHANGE: (None, S.CR_KEY_EXCH)},
    (C, T12, S.CR_KEY_EXCH): {
        HT.CERTIFICATE_REQUEST: (None, S.CR_CERT_REQ),
        HT.SERVER_HELLO_DONE: (None, S.CR_SRVR_DONE),
    },
    (C, T12, S.CR_CERT_REQ): {HT.SERVER_HELLO_DONE: (None, S.CR_SRVR_DONE)},
    (C, T12, S.CW_FINISHED): {
        HT.NEW_SESSION_TICKET: ("ticket_expected", S.CR_SESSION_TICKET),
        CCS_MSG: (None, S.CR_CHANGE),
    },
    (C, T12, S.CR_SESSION_TICKET): {CCS_MSG: (None, S.CR_CHANGE)},
    (C, T12, S.CR_CHANGE): {HT.FINISHED: (None, S.CR_FINISHED)},
    (C, T12, S.OK): {HT.HELLO_REQUEST: (None, S.CR_HELLO_REQ)},
    # ---------------------------------------------------------------- server
    (SV, ANY, S.BEFORE): {HT.CLIENT_HELLO: (None, S.SR_CLNT_HELLO)},
    (SV, T13, S.EARLY_DATA): {
        HT.CLIENT_HELLO: ("hrr_pending", S.SR_CLNT_HELLO),
        HT.CERTIFICATE: ("cert_request_sent", S.SR_CERT),
        HT.FINISHED: ("!cert_request_sent", S.SR_FINISHED),
    },
    (SV, T13, S.SR_CERT): {
        HT.CERTIFICATE_VERIFY: ("client_cert_received", S.SR_CERT_VRFY),
        HT.FINISHED: ("!client_cert_received", S.SR_FINISHED),
    },
    (SV, T13, S.SR_CERT_VRFY): {HT.FINISHED: (None, S.SR_FINISHED)},
    (SV, T13, S.OK): {HT.KEY_UPDATE: (None, S.SR_KEY_UPDATE)},
    # TLS 1.2 server
    (SV, T12, S.SW_SRVR_DONE): {
        HT.CERTIFICATE: ("cert_request_sent", S.SR_CERT),
        HT.CLIENT_KEY_EXCHANGE: ("!cert_request_sent", S.SR_KEY_EXCH),
    },
    (SV, T12, S.SR_CERT): {HT.CLIENT_KEY_EXCHANGE: (None, S.SR_KEY_EXCH)},
    (SV, T12, S.SR_KEY_EXCH): {
        HT.CERTIFICATE_VERIFY: ("client_cert_received", S.SR_CERT_VRFY),
        CCS_MSG: ("!client_cert_received", S.SR_CHANGE),
    },
    (SV, T12, S.SR_CERT_VRFY): {CCS_MSG: (None, S.SR_CHANGE)},
    (SV, T12, S.SR_CHANGE): {HT.FINISHED: (None, S.SR_FINISHED)},
    (SV, T12, S.SW_FINISHED): {CCS_MSG: ("resumed", S.SR_CHANGE)},
    (SV, T12, S.OK): {HT.CLIENT_HELLO: (None, S.SR_CLNT_HELLO)},
}


# Where OpenSSL's post_work calls statem_flush(): after writing the message of
# one of these states the flight so far is pushed out (BIO_flush of the wbio)
# before the machine moves on.  During a handshake libssl writes into a
# buffering BIO (ssl_init_wbio_buffer), so while the transport is full the
# reported state is the flush point's -- "SSLv3/TLS write finished", "SSLv3/TLS
# write session ticket" -- not a later one.  Value: guards that must all hold.
FLUSH: dict[tuple[Role, Proto, HandState], tuple[str, ...]] = {
    (C, ANY, S.CW_CLNT_HELLO): (),
    (C, T13, S.CW_CLNT_HELLO): (),
    (C, T13, S.CW_FINISHED): (),
    (C, T13, S.CW_KEY_UPDATE): (),
    (C, T12, S.CW_FINISHED): (),
    # A HelloRetryRequest is flushed at once, or after its CCS in compatibility mode.
    (SV, T13, S.SW_SRVR_HELLO): ("hrr_pending", "!ccs_due"),
    (SV, T13, S.SW_CHANGE): ("hrr_pending",),
    (SV, T13, S.SW_FINISHED): (),
    (SV, T13, S.SW_SESSION_TICKET): (),
    (SV, T13, S.SW_KEY_UPDATE): (),
    (SV, T12, S.SW_SRVR_DONE): (),
    (SV, T12, S.SW_FINISHED): (),
}


def flush_guards(role: Role, proto: Proto, state: HandState) -> tuple[str, ...] | None:
    """The guards of a flush point, or None if OpenSSL does not flush after ``state``."""
    return FLUSH.get((role, proto, state))


def write_rows(role: Role, proto: Proto, state: HandState) -> WriteRows | None:
    """The write-phase rows for a state (version-specific rows first, then ANY)."""
    rows = WRITE.get((role, proto, state))
    if rows is None and proto is not Proto.ANY:
        rows = WRITE.get((role, Proto.ANY, state))
    return rows


def read_targets(role: Role, proto: Proto, state: HandState) -> ReadRows | None:
    """The read-phase rows for a state (version-specific rows first, then ANY)."""
    rows = READ.get((role, proto, state))
    if rows is None and proto is not Proto.ANY:
        rows = READ.get((role, Proto.ANY, state))
    return rows
