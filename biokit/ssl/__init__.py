"""The SSL layer: SSLContext and SSL over BIOs, on biokit's own TLS engine."""

from biokit.ssl.consts import (
    FILETYPE_ASN1,
    FILETYPE_PEM,
    ErrorCode,
    InfoWhere,
    Mode,
    Op,
    Shutdown,
    Verify,
    Version,
)
from biokit.ssl.context import (
    SSLContext,
    SSLMethod,
    TLS_client_method,
    TLS_method,
    TLS_server_method,
)
from biokit.ssl.ssl import SSL, SSLCipher

SSL_ERROR_NONE = ErrorCode.NONE
SSL_ERROR_SSL = ErrorCode.SSL
SSL_ERROR_WANT_READ = ErrorCode.WANT_READ
SSL_ERROR_WANT_WRITE = ErrorCode.WANT_WRITE
SSL_ERROR_WANT_X509_LOOKUP = ErrorCode.WANT_X509_LOOKUP
SSL_ERROR_SYSCALL = ErrorCode.SYSCALL
SSL_ERROR_ZERO_RETURN = ErrorCode.ZERO_RETURN
SSL_ERROR_WANT_CONNECT = ErrorCode.WANT_CONNECT
SSL_ERROR_WANT_ACCEPT = ErrorCode.WANT_ACCEPT
SSL_ERROR_WANT_CLIENT_HELLO_CB = ErrorCode.WANT_CLIENT_HELLO_CB

__all__ = [
    "FILETYPE_ASN1",
    "FILETYPE_PEM",
    "SSL",
    "SSL_ERROR_NONE",
    "SSL_ERROR_SSL",
    "SSL_ERROR_SYSCALL",
    "SSL_ERROR_WANT_ACCEPT",
    "SSL_ERROR_WANT_CLIENT_HELLO_CB",
    "SSL_ERROR_WANT_CONNECT",
    "SSL_ERROR_WANT_READ",
    "SSL_ERROR_WANT_WRITE",
    "SSL_ERROR_WANT_X509_LOOKUP",
    "SSL_ERROR_ZERO_RETURN",
    "ErrorCode",
    "InfoWhere",
    "Mode",
    "Op",
    "SSLCipher",
    "SSLContext",
    "SSLMethod",
    "Shutdown",
    "TLS_client_method",
    "TLS_method",
    "TLS_server_method",
    "Verify",
    "Version",
]
