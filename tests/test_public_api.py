"""The curated public surface, pinned (code outside this repo depends on these names)."""

from __future__ import annotations

import importlib

import pytest

PINNED = {
    "biokit": {
        "SSL", "ErrorCode", "SSLContext", "TLS_client_method", "TLS_method",
        "TLS_server_method", "__version__", "errors",
    },
    "biokit.bio": {
        "BIO", "BIO_CLOSE", "BIO_NOCLOSE", "AcceptBIO", "BIOCallback", "BIOType", "Base64BIO",
        "BufferBIO", "CipherBIO", "ConnectBIO", "Ctrl", "DigestBIO", "Event", "EventLike",
        "FdBIO", "FileBIO", "FilterBIO", "LineBufferBIO", "MemBIO", "NBIOTestBIO", "NullBIO",
        "NullFilterBIO", "PairBIO", "PrefixBIO", "ReadBufferBIO", "RecordBIO", "ReplayBIO",
        "ReplayMismatch", "RetryReason", "Schedule", "ScheduleBIO", "SocketBIO", "bio_pair",
        "debug_callback", "make_debug_callback",
    },
    "biokit.ssl": {
        "FILETYPE_ASN1", "FILETYPE_PEM", "SSL", "SSL_ERROR_NONE", "SSL_ERROR_SSL",
        "SSL_ERROR_SYSCALL", "SSL_ERROR_WANT_ACCEPT", "SSL_ERROR_WANT_CLIENT_HELLO_CB",
        "SSL_ERROR_WANT_CONNECT", "SSL_ERROR_WANT_READ", "SSL_ERROR_WANT_WRITE",
        "SSL_ERROR_WANT_X509_LOOKUP", "SSL_ERROR_ZERO_RETURN", "ErrorCode", "InfoWhere", "Mode",
        "Op", "SSLCipher", "SSLContext", "SSLMethod", "Shutdown", "TLS_client_method",
        "TLS_method", "TLS_server_method", "Verify", "Version",
    },
    "biokit.testing": {
        "Deadlock", "Explanation", "HandshakeFailed", "PumpError", "Step", "StepLimit",
        "TLSPair", "explain", "pki", "pump", "tls_pair",
    },
}


@pytest.mark.parametrize("module", sorted(PINNED))
def test_all_is_pinned(module: str) -> None:
    mod = importlib.import_module(module)
    names = set(mod.__all__)
    base = set(PINNED[module])
    if module == "biokit":
        base |= PINNED["biokit.bio"]
    assert names == base
    for name in names:
        assert hasattr(mod, name), name


def test_error_codes_keep_openssl_values() -> None:
    from biokit.ssl import ErrorCode

    assert [int(ErrorCode[n]) for n in (
        "NONE", "SSL", "WANT_READ", "WANT_WRITE", "WANT_X509_LOOKUP", "SYSCALL",
        "ZERO_RETURN", "WANT_CONNECT", "WANT_ACCEPT", "WANT_CLIENT_HELLO_CB",
    )] == [0, 1, 2, 3, 4, 5, 6, 7, 8, 11]


def test_adapters_import() -> None:
    trio_mod = importlib.import_module("biokit.trio")
    stream_mod = importlib.import_module("biokit.stream")
    for name in ("SSLStream", "SSLListener", "open_ssl_over_tcp_stream", "serve_ssl_over_tcp"):
        assert hasattr(trio_mod, name)
    assert hasattr(stream_mod, "wrap_socket")
