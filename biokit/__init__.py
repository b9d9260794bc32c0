"""biokit: OpenSSL's BIO and SSL I/O model in Python, with a real TLS engine.

The curated surface: every BIO type (``biokit.bio``), the SSL layer's main
names (``biokit.ssl``), and the error queue (``biokit.errors``).  The C names
live in ``biokit.openssl``; the test tools in ``biokit.testing``; the trio and
blocking-socket adapters in ``biokit.trio`` and ``biokit.stream``.
"""

from biokit import errors
from biokit.bio import *  # noqa: F403
from biokit.bio import __all__ as _bio_all
from biokit.ssl import (
    SSL,
    ErrorCode,
    SSLContext,
    TLS_client_method,
    TLS_method,
    TLS_server_method,
)

__version__ = "0.1.0"

__all__ = [
    "SSL",
    "ErrorCode",
    "SSLContext",
    "TLS_client_method",
    "TLS_method",
    "TLS_server_method",
    "__version__",
    "errors",
    *_bio_all,
]
