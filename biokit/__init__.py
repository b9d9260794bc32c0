"""biokit: OpenSSL's BIO and SSL I/O model in Python, with a real TLS engine."""

from biokit import errors
from biokit.bio import *  # noqa: F403
from biokit.bio import __all__ as _bio_all

__version__ = "0.1.0"

__all__ = ["__version__", "errors", *_bio_all]
