"""The error queue (OpenSSL's ERR_* functions) and biokit's exception types.

OpenSSL reports *why* something failed through a per-thread queue of packed
error codes, separately from the return value that says *that* it failed.
biokit keeps the same split: BIOs and the SSL object return C-style values and
push entries here; the Pythonic layers turn those into exceptions.

Codes are packed as in OpenSSL 3: ``(library << 23) | reason``, except system
errors, which are ``0x80000000 | errno`` (ERR_SYSTEM_FLAG), so the strings read
exactly like OpenSSL's, e.g. ``error:0A000086:SSL routines::certificate verify
failed`` or ``error:80000068:system library::Connection reset by peer``.
"""

from __future__ import annotations

import os
import struct
import sys
import threading
from collections import deque
from dataclasses import dataclass
from enum import IntEnum
from typing import IO, Protocol

__all__ = [
    "BIOReason",
    "ErrorEntry",
    "Lib",
    "SSLError",
    "SSLReason",
    "SyscallError",
    "WantAcceptError",
    "WantConnectError",
    "WantReadError",
    "WantWriteError",
    "WantX509LookupError",
    "ZeroReturnError",
    "clear_error",
    "error_string",
    "get_error",
    "get_error_entry",
    "get_lib",
    "get_reason",
    "lib_error_string",
    "pack_error",
    "peek_error",
    "peek_error_entry",
    "peek_last_error",
    "print_errors",
    "put_error",
    "reason_error_string",
]

ERR_NUM_ERRORS = 16  # OpenSSL keeps the last 16 entries per thread.
ERR_SYSTEM_FLAG = 0x80000000
ERR_LIB_OFFSET = 23
ERR_LIB_MASK = 0xFF
ERR_REASON_MASK = 0x7FFFFF


class Lib(IntEnum):
    """Library numbers (ERR_LIB_*), as packed into error codes."""

    NONE = 1
    SYS = 2
    BN = 3
    RSA = 4
    EVP = 6
    BUF = 7
    PEM = 9
    X509 = 11
    ASN1 = 13
    CRYPTO = 15
    EC = 16
    SSL = 20
    BIO = 32
    X509V3 = 34
    PKCS12 = 35
    PROV = 57
    OSSL_DECODER = 60
    USER = 128


_LIB_NAMES = {
    Lib.NONE: "unknown library",
    Lib.SYS: "system library",
    Lib.BN: "bignum routines",
    Lib.RSA: "rsa routines",
    Lib.EVP: "digital envelope routines",
    Lib.BUF: "memory buffer routines",
    Lib.PEM: "PEM routines",
    Lib.X509: "x509 certificate routines",
    Lib.ASN1: "asn1 encoding routines",
    Lib.CRYPTO: "common libcrypto routines",
    Lib.EC: "elliptic curve routines",
    Lib.SSL: "SSL routines",
    Lib.BIO: "BIO routines",
    Lib.X509V3: "X509 V3 routines",
    Lib.PKCS12: "PKCS12 routines",
    Lib.PROV: "Provider routines",
    Lib.OSSL_DECODER: "DECODER routines",
    Lib.USER: "user library",
}


class BIOReason(IntEnum):
    """BIO_R_* reason codes (include/openssl/bioerr.h)."""

    ACCEPT_ERROR = 100
    BAD_FOPEN_MODE = 101
    LENGTH_TOO_LONG = 102
    CONNECT_ERROR = 103
    NBIO_CONNECT_ERROR = 110
    NO_PORT_DEFINED = 113
    NULL_PARAMETER = 115
    UNABLE_TO_BIND_SOCKET = 117
    UNABLE_TO_CREATE_SOCKET = 118
    UNABLE_TO_LISTEN_SOCKET = 119
    UNINITIALIZED = 120
    UNSUPPORTED_METHOD = 121
    IN_USE = 123
    BROKEN_PIPE = 124
    INVALID_ARGUMENT = 125
    WRITE_TO_READ_ONLY_BIO = 126
    NO_SUCH_FILE = 128
    AMBIGUOUS_HOST_OR_SERVICE = 129
    MALFORMED_HOST_OR_SERVICE = 130
    UNSUPPORTED_PROTOCOL_FAMILY = 131
    INVALID_SOCKET = 135
    LOOKUP_RETURNED_NOTHING = 142
    NO_ACCEPT_ADDR_OR_SERVICE_SPECIFIED = 143
    NO_HOSTNAME_OR_SERVICE_SPECIFIED = 144
    # ERR_R_SYS_LIB (ERR_RFLAG_COMMON | ERR_LIB_SYS): OpenSSL 3 prints "system lib".
    SYSTEM_LIB = 0x80002
    LISTEN_V6_ONLY = 136
    UNABLE_TO_KEEPALIVE = 137
    UNABLE_TO_NODELAY = 138
    UNABLE_TO_REUSEADDR = 139
    UNSUPPORTED_IP_FAMILY = 146


class SSLReason(IntEnum):
    """SSL_R_* reason codes (include/openssl/sslerr.h); alerts are 1000 + description."""

    APP_DATA_IN_HANDSHAKE = 100
    NO_SUITABLE_KEY_SHARE = 101
    BAD_CHANGE_CIPHER_SPEC = 103
    INCONSISTENT_EXTMS = 104
    BAD_KEY_SHARE = 108
    CANNOT_CHANGE_CIPHER = 109
    BAD_EXTENSION = 110
    BAD_DIGEST_LENGTH = 111
    MISSING_SIGALGS_EXTENSION = 112
    BAD_PACKET_LENGTH = 115
    NO_SUITABLE_SIGNATURE_ALGORITHM = 118
    INVALID_KEY_UPDATE_TYPE = 120
    STILL_IN_INIT = 121
    BAD_KEY_UPDATE = 122
    BAD_SIGNATURE = 123
    BAD_SSL_FILETYPE = 124
    BAD_WRITE_RETRY = 127
    BIO_NOT_SET = 128
    TOO_MANY_KEY_UPDATES = 132
    CCS_RECEIVED_EARLY = 133
    CERTIFICATE_VERIFY_FAILED = 134
    CERT_LENGTH_MISMATCH = 135
    DATA_BETWEEN_CCS_AND_FINISHED = 145
    DATA_LENGTH_TOO_LONG = 146
    DECRYPTION_FAILED = 147
    DIGEST_CHECK_FAILED = 149
    ENCRYPTED_LENGTH_TOO_LONG = 150
    EXCESSIVE_MESSAGE_SIZE = 152
    EXTRA_DATA_IN_MESSAGE = 153
    GOT_A_FIN_BEFORE_A_CCS = 154
    HTTPS_PROXY_REQUEST = 155
    HTTP_REQUEST = 156
    LENGTH_MISMATCH = 159
    LENGTH_TOO_SHORT = 160
    LIBRARY_HAS_NO_CIPHERS = 161
    EXT_LENGTH_MISMATCH = 163
    VERSION_TOO_HIGH = 166
    NO_CERTIFICATES_RETURNED = 176
    NO_CERTIFICATE_ASSIGNED = 177
    NO_CERTIFICATE_SET = 179
    NO_CIPHERS_AVAILABLE = 181
    NOT_ON_RECORD_BOUNDARY = 182
    NO_CIPHER_MATCH = 185
    BAD_CIPHER = 186
    NO_PRIVATE_KEY_ASSIGNED = 190
    NO_PROTOCOLS_AVAILABLE = 191
    NO_SHARED_CIPHER = 193
    PACKET_LENGTH_TOO_LONG = 198
    PEER_DID_NOT_RETURN_A_CERTIFICATE = 199
    INVALID_ALERT = 205
    PROTOCOL_IS_SHUTDOWN = 207
    READ_BIO_NOT_SET = 211
    RECORD_LENGTH_MISMATCH = 213
    NO_CHANGE_FOLLOWING_HRR = 214
    REQUIRED_CIPHER_MISSING = 215
    UNSOLICITED_EXTENSION = 217
    CIPHERSUITE_DIGEST_HAS_CHANGED = 218
    BAD_PSK = 219
    MISSING_SIGNING_CERT = 221
    INCONSISTENT_EARLY_DATA_ALPN = 222
    PARSE_TLSEXT = 227
    SSL_HANDSHAKE_FAILURE = 229
    CALLBACK_FAILED = 234
    NO_APPLICATION_PROTOCOL = 235
    BAD_HANDSHAKE_STATE = 236
    OVERFLOW_ERROR = 237
    BAD_PACKET = 240
    INSUFFICIENT_SECURITY = 241
    UNEXPECTED_MESSAGE = 244
    UNEXPECTED_RECORD = 245
    UNKNOWN_ALERT_TYPE = 246
    UNKNOWN_CERTIFICATE_TYPE = 247
    UNKNOWN_CIPHER_RETURNED = 248
    UNKNOWN_PKEY_TYPE = 251
    UNKNOWN_PROTOCOL = 252
    UNKNOWN_SSL_VERSION = 254
    UNKNOWN_STATE = 255
    MISSING_FATAL = 256
    UNSUPPORTED_PROTOCOL = 258
    UNSUPPORTED_SSL_VERSION = 259
    INVALID_CCS_MESSAGE = 260
    WRONG_CIPHER_RETURNED = 261
    UNEXPECTED_CCS_MESSAGE = 262
    BAD_HRR_VERSION = 263
    WRONG_SIGNATURE_LENGTH = 264
    WRONG_SSL_VERSION = 266
    WRONG_VERSION_NUMBER = 267
    X509_LIB = 268
    BAD_LENGTH = 271
    LIBRARY_BUG = 274
    SERVERHELLO_TLSEXT = 275
    UNINITIALIZED = 276
    EXTENSION_NOT_RECEIVED = 279
    INVALID_COMMAND = 280
    DECRYPTION_FAILED_OR_BAD_RECORD_MAC = 281
    PRIVATE_KEY_MISMATCH = 288
    MISSING_PARAMETERS = 290
    APPLICATION_DATA_AFTER_CLOSE_NOTIFY = 291
    BAD_LEGACY_VERSION = 292
    MIXED_HANDSHAKE_AND_NON_HANDSHAKE_DATA = 293
    UNEXPECTED_EOF_WHILE_READING = 294
    NO_SUITABLE_GROUPS = 295
    NO_SUITABLE_DIGEST_ALGORITHM = 297
    RECORD_TOO_SMALL = 298
    SSL3_EXT_INVALID_SERVERNAME = 319
    SSL3_EXT_INVALID_SERVERNAME_TYPE = 320
    SSL_SESSION_ID_HAS_BAD_LENGTH = 303
    COOKIE_MISMATCH = 308
    MISSING_PSK_KEX_MODES_EXTENSION = 310
    UNSUPPORTED_ELLIPTIC_CURVE = 315
    INVALID_RECORD = 317
    BAD_HANDSHAKE_LENGTH = 332
    RENEGOTIATE_EXT_TOO_LONG = 335
    RENEGOTIATION_ENCODING_ERR = 336
    RENEGOTIATION_MISMATCH = 337
    UNSAFE_LEGACY_RENEGOTIATION_DISABLED = 338
    NO_RENEGOTIATION = 339
    BAD_CERTIFICATE = 348
    WRONG_SIGNATURE_TYPE = 370
    NO_SHARED_SIGNATURE_ALGORITHMS = 376
    WRONG_CURVE = 378
    BAD_VALUE = 384
    BAD_DATA = 390
    VERSION_TOO_LOW = 396
    NO_SHARED_GROUPS = 410
    TOO_MANY_WARN_ALERTS = 409
    BAD_RECORD_TYPE = 443
    BAD_PSK_IDENTITY = 114
    BAD_PROTOCOL_VERSION_NUMBER = 116
    MISSING_SUPPORTED_GROUPS_EXTENSION = 209
    BINDER_DOES_NOT_VERIFY = 253
    INVALID_COMPRESSION_ALGORITHM = 341
    INVALID_SESSION_ID = 999
    NO_REQUIRED_DIGEST = 324
    INVALID_CONTEXT = 282
    UNSUPPORTED_COMPRESSION_ALGORITHM = 257
    INAPPROPRIATE_FALLBACK = 373
    OLD_SESSION_CIPHER_NOT_RETURNED = 197
    TLS_INVALID_ECPOINTFORMAT_LIST = 157
    CA_DN_LENGTH_MISMATCH = 131
    ERROR_IN_RECEIVED_CIPHER_LIST = 151
    INVALID_MAX_EARLY_DATA = 174
    NO_CIPHERS_SPECIFIED = 183
    NO_COMPRESSION_SPECIFIED = 187
    POST_HANDSHAKE_AUTH_ENCODING_ERR = 278
    SSL3_SESSION_ID_TOO_LONG = 300
    BAD_ECPOINT = 306
    MISSING_TMP_ECDH_KEY = 311
    UNSUPPORTED_STATUS_TYPE = 329
    SIGNATURE_ALGORITHMS_ERROR = 360
    TLS_ILLEGAL_EXPORTER_LABEL = 367
    SHUTDOWN_WHILE_IN_INIT = 407
    BAD_ECC_CERT = 304
    ILLEGAL_POINT_COMPRESSION = 162
    UNABLE_TO_FIND_PUBLIC_KEY_PARAMETERS = 239
    ECC_CERT_NOT_FOR_SIGNING = 318
    COMPRESSION_DISABLED = 343
    # ERR_R_INTERNAL_ERROR: a common reason (ERR_RFLAG_FATAL | ERR_RFLAG_COMMON | 259).
    INTERNAL_ERROR = 0xC0103
    # Received alerts: SSL_AD_REASON_OFFSET (1000) + the alert description.
    SSLV3_ALERT_CLOSE_NOTIFY = 1000
    SSLV3_ALERT_UNEXPECTED_MESSAGE = 1010
    SSLV3_ALERT_BAD_RECORD_MAC = 1020
    TLSV1_ALERT_DECRYPTION_FAILED = 1021
    TLSV1_ALERT_RECORD_OVERFLOW = 1022
    SSLV3_ALERT_DECOMPRESSION_FAILURE = 1030
    SSLV3_ALERT_HANDSHAKE_FAILURE = 1040
    SSLV3_ALERT_NO_CERTIFICATE = 1041
    SSLV3_ALERT_BAD_CERTIFICATE = 1042
    SSLV3_ALERT_UNSUPPORTED_CERTIFICATE = 1043
    SSLV3_ALERT_CERTIFICATE_REVOKED = 1044
    SSLV3_ALERT_CERTIFICATE_EXPIRED = 1045
    SSLV3_ALERT_CERTIFICATE_UNKNOWN = 1046
    SSLV3_ALERT_ILLEGAL_PARAMETER = 1047
    TLSV1_ALERT_UNKNOWN_CA = 1048
    TLSV1_ALERT_ACCESS_DENIED = 1049
    TLSV1_ALERT_DECODE_ERROR = 1050
    TLSV1_ALERT_DECRYPT_ERROR = 1051
    TLSV1_ALERT_EXPORT_RESTRICTION = 1060
    TLSV1_ALERT_PROTOCOL_VERSION = 1070
    TLSV1_ALERT_INSUFFICIENT_SECURITY = 1071
    TLSV1_ALERT_INTERNAL_ERROR = 1080
    TLSV1_ALERT_INAPPROPRIATE_FALLBACK = 1086
    TLSV1_ALERT_USER_CANCELLED = 1090
    TLSV1_ALERT_NO_RENEGOTIATION = 1100
    TLSV13_ALERT_MISSING_EXTENSION = 1109
    TLSV1_UNSUPPORTED_EXTENSION = 1110
    TLSV1_CERTIFICATE_UNOBTAINABLE = 1111
    TLSV1_UNRECOGNIZED_NAME = 1112
    TLSV1_BAD_CERTIFICATE_STATUS_RESPONSE = 1113
    TLSV1_BAD_CERTIFICATE_HASH_VALUE = 1114
    TLSV1_ALERT_UNKNOWN_PSK_IDENTITY = 1115
    TLSV13_ALERT_CERTIFICATE_REQUIRED = 1116
    TLSV1_ALERT_NO_APPLICATION_PROTOCOL = 1120


SSL_AD_REASON_OFFSET = 1000

# OpenSSL's strings are the reason names in lower case, with few exceptions.
_REASON_STRING_OVERRIDES: dict[tuple[int, int], str] = {
    (Lib.SSL, SSLReason.SSLV3_ALERT_CLOSE_NOTIFY): "sslv3 alert close notify",
    (Lib.BIO, BIOReason.WRITE_TO_READ_ONLY_BIO): "write to read only BIO",
    (Lib.SSL, SSLReason.BIO_NOT_SET): "bio not set",
    (Lib.SSL, SSLReason.READ_BIO_NOT_SET): "read bio not set",
    (Lib.X509V3, 158): "invalid certificate",  # X509V3_R_INVALID_CERTIFICATE
}


def _name_to_string(name: str) -> str:
    return name.lower().replace("_", " ")


def reason_string_for(lib: int, reason: int) -> str:
    """The text OpenSSL prints for a (library, reason) pair (ERR_reason_error_string)."""
    override = _REASON_STRING_OVERRIDES.get((lib, reason))
    if override is not None:
        return override
    if lib == Lib.SYS:
        try:
            return os.strerror(reason)
        except ValueError:
            return f"reason({reason})"
    tables: dict[int, type[IntEnum]] = {
        Lib.SSL: SSLReason, Lib.BIO: BIOReason, Lib.PEM: PEMReason, Lib.X509: X509Reason
    }
    table = tables.get(lib)
    if table is not None:
        try:
            return _name_to_string(table(reason).name)
        except ValueError:
            pass
    return f"reason({reason})"


def pack_error(lib: int, reason: int) -> int:
    """ERR_PACK: the packed code for a library and reason (system errors set the top bit)."""
    if lib == Lib.SYS:
        return ERR_SYSTEM_FLAG | (reason & 0x7FFFFFFF)
    return ((lib & ERR_LIB_MASK) << ERR_LIB_OFFSET) | (reason & ERR_REASON_MASK)


def get_lib(code: int) -> int:
    """ERR_GET_LIB."""
    if code & ERR_SYSTEM_FLAG:
        return int(Lib.SYS)
    return (code >> ERR_LIB_OFFSET) & ERR_LIB_MASK


def get_reason(code: int) -> int:
    """ERR_GET_REASON."""
    if code & ERR_SYSTEM_FLAG:
        return code & 0x7FFFFFFF
    return code & ERR_REASON_MASK


@dataclass(frozen=True, slots=True)
class ErrorEntry:
    """One entry of the error queue: code, where it was raised, optional data."""

    code: int
    func: str = ""
    file: str = ""
    line: int = 0
    data: str = ""

    @property
    def library(self) -> int:
        """The ERR_LIB_* number."""
        return get_lib(self.code)

    @property
    def reason(self) -> int:
        """The reason code (SSL_R_*, BIO_R_*, or errno for system errors)."""
        return get_reason(self.code)

    @property
    def reason_string(self) -> str:
        """OpenSSL's text for the reason, e.g. ``"wrong version number"``."""
        return reason_string_for(self.library, self.reason)

    @property
    def library_string(self) -> str:
        """OpenSSL's text for the library, e.g. ``"SSL routines"``."""
        return lib_name(self.library)

    def __str__(self) -> str:
        return error_string(self.code)


class _Queue(threading.local):
    def __init__(self) -> None:
        self.entries: deque[ErrorEntry] = deque(maxlen=ERR_NUM_ERRORS)


_queue = _Queue()


def lib_name(lib: int) -> str:
    """Library text (ERR_lib_error_string of a library number)."""
    try:
        return _LIB_NAMES[Lib(lib)]
    except (ValueError, KeyError):
        return f"lib({lib})"


def put_error(lib: int, reason: int, data: str = "", *, depth: int = 1) -> ErrorEntry:
    """ERR_raise_data: push an entry; records the calling function, file and line."""
    frame = sys._getframe(depth)
    code = frame.f_code
    entry = ErrorEntry(
        pack_error(lib, reason),
        func=code.co_name,
        file=_short_path(code.co_filename),
        line=frame.f_lineno,
        data=data,
    )
    _queue.entries.append(entry)
    return entry


def put_entry(entry: ErrorEntry) -> None:
    """Push a ready-made entry (used when re-raising an error recorded elsewhere)."""
    _queue.entries.append(entry)


def _short_path(path: str) -> str:
    marker = os.sep + "biokit" + os.sep
    i = path.rfind(marker)
    return path[i + 1 :] if i >= 0 else os.path.basename(path)


def get_error() -> int:
    """ERR_get_error: remove and return the oldest code, 0 when the queue is empty."""
    entries = _queue.entries
    return entries.popleft().code if entries else 0


def get_error_entry() -> ErrorEntry | None:
    """ERR_get_error_all: remove and return the oldest entry with its details."""
    entries = _queue.entries
    return entries.popleft() if entries else None


def peek_error() -> int:
    """ERR_peek_error: the oldest code, left on the queue; 0 when empty."""
    entries = _queue.entries
    return entries[0].code if entries else 0


def peek_error_entry() -> ErrorEntry | None:
    """ERR_peek_error_all: the oldest entry, left on the queue."""
    entries = _queue.entries
    return entries[0] if entries else None


def peek_last_error() -> int:
    """ERR_peek_last_error: the newest code, left on the queue; 0 when empty."""
    entries = _queue.entries
    return entries[-1].code if entries else 0


def peek_last_error_entry() -> ErrorEntry | None:
    """ERR_peek_last_error_all: the newest entry, left on the queue."""
    entries = _queue.entries
    return entries[-1] if entries else None


def clear_error() -> None:
    """ERR_clear_error: empty this thread's queue."""
    _queue.entries.clear()


def error_count() -> int:
    """How many entries this thread's queue holds (no OpenSSL equivalent; for tests)."""
    return len(_queue.entries)


def error_string(code: int) -> str:
    """ERR_error_string: ``error:XXXXXXXX:library::reason``, as OpenSSL 3 prints it."""
    lib = get_lib(code)
    return f"error:{code:08X}:{lib_name(lib)}::{reason_string_for(lib, get_reason(code))}"


def lib_error_string(code: int) -> str:
    """ERR_lib_error_string."""
    return lib_name(get_lib(code))


def reason_error_string(code: int) -> str:
    """ERR_reason_error_string."""
    return reason_string_for(get_lib(code), get_reason(code))


class _Writable(Protocol):
    def write(self, data: bytes, /) -> int: ...


# CRYPTO_THREAD_ID is pthread_t (an unsigned long) on POSIX and a DWORD on
# Windows: the size of a C unsigned long on both.
_TID_SIZE = struct.calcsize("L")


def thread_id_hex(tid: int | None = None) -> str:
    """The thread id as ERR_print_errors prints it: its bytes in memory order, in hex.

    libcrypto hex-dumps the CRYPTO_THREAD_ID value byte by byte, so on a
    little-endian machine pthread_self() 0x7FF16724CB80 reads 80CB2467F17F0000.
    """
    if tid is None:
        tid = threading.get_ident()
    return (tid & ((1 << (8 * _TID_SIZE)) - 1)).to_bytes(_TID_SIZE, sys.byteorder).hex().upper()


def format_entry(entry: ErrorEntry) -> str:
    """One line as ERR_print_errors writes it (thread id, code, library, function, reason)."""
    return (
        f"{thread_id_hex()}:error:{entry.code:08X}:{entry.library_string}:{entry.func}:"
        f"{entry.reason_string}:{entry.file}:{entry.line}:{entry.data}\n"
    )


def print_errors(out: _Writable | IO[str] | None = None) -> None:
    """ERR_print_errors / ERR_print_errors_fp: write and remove every queued entry.

    ``out`` may be a BIO (anything whose ``write`` takes bytes) or a text stream
    (anything with an ``encoding``); the default is ``sys.stderr``.
    """
    stream = sys.stderr if out is None else out
    text = hasattr(stream, "encoding")
    while (entry := get_error_entry()) is not None:
        line = format_entry(entry)
        stream.write(line if text else line.encode())  # type: ignore[arg-type]


def errors_as_list() -> list[ErrorEntry]:
    """The queued entries, oldest first, without removing them."""
    return list(_queue.entries)


# --- exceptions for the Pythonic layers -------------------------------------------------


class SSLError(OSError):
    """An SSL-library failure, with OpenSSL's library, reason code and text.

    Raised only by the Pythonic layers (stream adapters, ``raise_for_error``); the
    SSL object itself returns C-style values and fills the error queue.
    """

    def __init__(
        self,
        message: str,
        *,
        code: int = 0,
        library: int = 0,
        reason: int = 0,
        reason_string: str = "",
        entries: tuple[ErrorEntry, ...] = (),
    ) -> None:
        super().__init__(message)
        self.code = code
        self.library = library
        self.reason = reason
        self.reason_string = reason_string
        self.entries = entries

    @classmethod
    def from_queue(cls, default: str = "SSL error") -> SSLError:
        """Build an exception from (and drain) the current error queue."""
        entries: list[ErrorEntry] = []
        while (e := get_error_entry()) is not None:
            entries.append(e)
        if not entries:
            return cls(default)
        first = entries[0]
        return cls(
            f"[{first.library_string}] {first.reason_string}"
            + (f" ({first.data})" if first.data else ""),
            code=first.code,
            library=first.library,
            reason=first.reason,
            reason_string=first.reason_string,
            entries=tuple(entries),
        )


class WantReadError(SSLError):
    """The operation needs more input first (SSL_ERROR_WANT_READ)."""


class WantWriteError(SSLError):
    """The operation needs the output to drain first (SSL_ERROR_WANT_WRITE)."""


class WantConnectError(SSLError):
    """The underlying connect has not completed (SSL_ERROR_WANT_CONNECT)."""


class WantAcceptError(SSLError):
    """The underlying accept has not completed (SSL_ERROR_WANT_ACCEPT)."""


class WantX509LookupError(SSLError):
    """A certificate callback asked to be called again (SSL_ERROR_WANT_X509_LOOKUP)."""


class ZeroReturnError(SSLError):
    """The peer sent close_notify (SSL_ERROR_ZERO_RETURN)."""


class SyscallError(SSLError):
    """The transport failed or hit EOF outside the protocol (SSL_ERROR_SYSCALL)."""


# --- PEM and X509 reasons (biokit/ssl/x509.py) --------------------------------------------
# Common reasons (ERR_R_*, include/openssl/err.h) carry ERR_RFLAG_COMMON and mean the same
# in every library: "system lib", "PEM lib", "ASN1 lib", "nested asn1 error"...
ERR_RFLAG_COMMON = 0x2 << 18


class PEMReason(IntEnum):
    """PEM_R_* reason codes (include/openssl/pemerr.h) and the common ERR_R_ASN1_LIB."""

    BAD_BASE64_DECODE = 100
    BAD_DECRYPT = 101
    BAD_END_LINE = 102
    BAD_IV_CHARS = 103
    BAD_PASSWORD_READ = 104
    NOT_DEK_INFO = 105
    NOT_ENCRYPTED = 106
    NOT_PROC_TYPE = 107
    NO_START_LINE = 108
    PROBLEMS_GETTING_PASSWORD = 109
    SHORT_HEADER = 112
    UNSUPPORTED_CIPHER = 113
    UNSUPPORTED_ENCRYPTION = 114
    ASN1_LIB = ERR_RFLAG_COMMON | 13


class X509Reason(IntEnum):
    """X509_R_* reason codes (include/openssl/x509err.h) and the common ERR_R_* it uses."""

    UNABLE_TO_GET_CERTS_PUBLIC_KEY = 108
    KEY_TYPE_MISMATCH = 115
    KEY_VALUES_MISMATCH = 116
    UNKNOWN_KEY_TYPE = 117
    NO_CERTIFICATE_OR_CRL_FOUND = 136
    SYSTEM_LIB = ERR_RFLAG_COMMON | 2
    PEM_LIB = ERR_RFLAG_COMMON | 9


_REASON_STRING_OVERRIDES.update(
    {
        (Lib.SSL, ERR_RFLAG_COMMON | 2): "system lib",
        (Lib.SSL, ERR_RFLAG_COMMON | 9): "PEM lib",
        (Lib.SSL, ERR_RFLAG_COMMON | 13): "ASN1 lib",
        (Lib.PEM, PEMReason.ASN1_LIB): "ASN1 lib",
        (Lib.X509, X509Reason.PEM_LIB): "PEM lib",
        (Lib.EVP, 101): "different key types",
        (Lib.EVP, 114): "decode error",
        (Lib.ASN1, ERR_RFLAG_COMMON | 6): "EVP lib",
        (Lib.ASN1, 102): "bad object header",
        (Lib.ASN1, 123): "header too long",
        (Lib.ASN1, 142): "not enough data",
        (Lib.ASN1, 149): "sequence not constructed",
        (Lib.ASN1, 155): "too long",
        (Lib.ASN1, 168): "wrong tag",
        (Lib.ASN1, 224): "too small",
        (Lib.ASN1, ERR_RFLAG_COMMON | 266): "nested asn1 error",
    }
)

# Texts for the provider, decoder and EVP reasons the cipher BIO and key loaders raise.
_REASON_STRING_OVERRIDES.update(
    {
        (Lib.PROV, 100): "bad decrypt",
        (Lib.PROV, 107): "wrong final block length",
        (Lib.OSSL_DECODER, ERR_RFLAG_COMMON | 268): "unsupported",
        (Lib.PKCS12, 116): "pkcs12 cipherfinal error",
        (Lib.EVP, 100): "bad decrypt",
        (Lib.EVP, 130): "bad key length",
        (Lib.EVP, 131): "operation not supported for this keytype",
        (Lib.EVP, 159): "no operation set",
        (Lib.EVP, 160): "no cipher set",
        (Lib.EVP, 161): "no digest set",
        (Lib.EVP, 188): "initialization error",
        (Lib.EVP, 194): "final error",
        (Lib.SSL, 68): "internal error",
    }
)
