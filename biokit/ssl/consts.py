"""OpenSSL's numeric constants for the SSL layer, with OpenSSL 3's values."""

from __future__ import annotations

from enum import IntEnum, IntFlag

__all__ = [
    "TLSEXT_ERR",
    "ErrorCode",
    "InfoWhere",
    "Mode",
    "Op",
    "Shutdown",
    "Verify",
    "Version",
]


class ErrorCode(IntEnum):
    """SSL_get_error results (SSL_ERROR_*)."""

    NONE = 0
    SSL = 1
    WANT_READ = 2
    WANT_WRITE = 3
    WANT_X509_LOOKUP = 4
    SYSCALL = 5
    ZERO_RETURN = 6
    WANT_CONNECT = 7
    WANT_ACCEPT = 8
    WANT_ASYNC = 9
    WANT_ASYNC_JOB = 10
    WANT_CLIENT_HELLO_CB = 11
    WANT_RETRY_VERIFY = 12


class Op(IntFlag):
    """SSL_OP_* options."""

    NONE = 0
    NO_EXTENDED_MASTER_SECRET = 0x1
    CLEANSE_PLAINTEXT = 0x2
    LEGACY_SERVER_CONNECT = 0x4
    ENABLE_KTLS = 0x8
    TLSEXT_PADDING = 0x10
    SAFARI_ECDHE_ECDSA_BUG = 0x40
    IGNORE_UNEXPECTED_EOF = 0x80
    ALLOW_CLIENT_RENEGOTIATION = 0x100
    DISABLE_TLSEXT_CA_NAMES = 0x200
    ALLOW_NO_DHE_KEX = 0x400
    DONT_INSERT_EMPTY_FRAGMENTS = 0x800
    NO_QUERY_MTU = 0x1000
    COOKIE_EXCHANGE = 0x2000
    NO_TICKET = 0x4000
    CISCO_ANYCONNECT = 0x8000
    NO_SESSION_RESUMPTION_ON_RENEGOTIATION = 0x10000
    NO_COMPRESSION = 0x20000
    ALLOW_UNSAFE_LEGACY_RENEGOTIATION = 0x40000
    NO_ENCRYPT_THEN_MAC = 0x80000
    ENABLE_MIDDLEBOX_COMPAT = 0x100000
    PRIORITIZE_CHACHA = 0x200000
    CIPHER_SERVER_PREFERENCE = 0x400000
    TLS_ROLLBACK_BUG = 0x800000
    NO_ANTI_REPLAY = 0x1000000
    NO_SSLv3 = 0x2000000
    NO_TLSv1 = 0x4000000
    NO_TLSv1_2 = 0x8000000
    NO_TLSv1_1 = 0x10000000
    NO_TLSv1_3 = 0x20000000
    NO_RENEGOTIATION = 0x40000000
    CRYPTOPRO_TLSEXT_BUG = 0x80000000
    ALL = 0x80000850


class Mode(IntFlag):
    """SSL_MODE_* modes."""

    NONE = 0
    ENABLE_PARTIAL_WRITE = 0x1
    ACCEPT_MOVING_WRITE_BUFFER = 0x2
    AUTO_RETRY = 0x4
    NO_AUTO_CHAIN = 0x8
    RELEASE_BUFFERS = 0x10
    SEND_CLIENTHELLO_TIME = 0x20
    SEND_SERVERHELLO_TIME = 0x40
    SEND_FALLBACK_SCSV = 0x80
    ASYNC = 0x100


class Verify(IntFlag):
    """SSL_VERIFY_* modes."""

    NONE = 0
    PEER = 0x1
    FAIL_IF_NO_PEER_CERT = 0x2
    CLIENT_ONCE = 0x4
    POST_HANDSHAKE = 0x8


class Shutdown(IntFlag):
    """SSL_get_shutdown bits."""

    NONE = 0
    SENT = 1
    RECEIVED = 2


class InfoWhere(IntFlag):
    """The ``where`` argument of the info callback (SSL_CB_* | SSL_ST_*)."""

    LOOP = 0x01
    EXIT = 0x02
    READ = 0x04
    WRITE = 0x08
    HANDSHAKE_START = 0x10
    HANDSHAKE_DONE = 0x20
    ST_CONNECT = 0x1000
    ST_ACCEPT = 0x2000
    ALERT = 0x4000
    READ_ALERT = ALERT | READ
    WRITE_ALERT = ALERT | WRITE
    ACCEPT_LOOP = ST_ACCEPT | LOOP
    ACCEPT_EXIT = ST_ACCEPT | EXIT
    CONNECT_LOOP = ST_CONNECT | LOOP
    CONNECT_EXIT = ST_CONNECT | EXIT


class Version(IntEnum):
    """Protocol version numbers (TLS1_2_VERSION, ...)."""

    SSL3 = 0x0300
    TLS1 = 0x0301
    TLS1_1 = 0x0302
    TLS1_2 = 0x0303
    TLS1_3 = 0x0304


class TLSEXT_ERR(IntEnum):
    """Servername / ALPN callback results (SSL_TLSEXT_ERR_*)."""

    OK = 0
    ALERT_WARNING = 1
    ALERT_FATAL = 2
    NOACK = 3


# Client hello callback results (SSL_CLIENT_HELLO_*).
CLIENT_HELLO_SUCCESS = 1
CLIENT_HELLO_ERROR = 0
CLIENT_HELLO_RETRY = -1

# Certificate file types.
FILETYPE_PEM = 1
FILETYPE_ASN1 = 2

# Key update types (SSL_KEY_UPDATE_*).
KEY_UPDATE_NONE = -1
KEY_UPDATE_NOT_REQUESTED = 0
KEY_UPDATE_REQUESTED = 1

VERSION_NAMES = {
    0x0300: "SSLv3",
    0x0301: "TLSv1",
    0x0302: "TLSv1.1",
    0x0303: "TLSv1.2",
    0x0304: "TLSv1.3",
}
