"""BIOs: OpenSSL's I/O abstraction, one file per type (``s_*`` sources/sinks, ``f_*`` filters).

Nothing in this package knows about TLS; the SSL filter lives in ``biokit.ssl``.
"""

from biokit.bio.core import (
    BIO,
    BIO_CLOSE,
    BIO_NOCLOSE,
    BIOCallback,
    BIOType,
    Ctrl,
    FilterBIO,
    RetryReason,
    debug_callback,
    make_debug_callback,
)
from biokit.bio.f_base64 import Base64BIO
from biokit.bio.f_buffer import BufferBIO
from biokit.bio.f_cipher import CipherBIO
from biokit.bio.f_linebuffer import LineBufferBIO
from biokit.bio.f_md import DigestBIO
from biokit.bio.f_nbio_test import NBIOTestBIO
from biokit.bio.f_null import NullFilterBIO
from biokit.bio.f_prefix import PrefixBIO
from biokit.bio.f_readbuffer import ReadBufferBIO
from biokit.bio.f_record import RecordBIO
from biokit.bio.f_schedule import Event, EventLike, Schedule, ScheduleBIO
from biokit.bio.s_accept import AcceptBIO
from biokit.bio.s_connect import ConnectBIO
from biokit.bio.s_fd import FdBIO
from biokit.bio.s_file import FileBIO
from biokit.bio.s_mem import MemBIO
from biokit.bio.s_null import NullBIO
from biokit.bio.s_pair import PairBIO, bio_pair
from biokit.bio.s_replay import ReplayBIO, ReplayMismatch
from biokit.bio.s_socket import SocketBIO

__all__ = [
    "BIO",
    "BIO_CLOSE",
    "BIO_NOCLOSE",
    "AcceptBIO",
    "BIOCallback",
    "BIOType",
    "Base64BIO",
    "BufferBIO",
    "CipherBIO",
    "ConnectBIO",
    "Ctrl",
    "DigestBIO",
    "Event",
    "EventLike",
    "FdBIO",
    "FileBIO",
    "FilterBIO",
    "LineBufferBIO",
    "MemBIO",
    "NBIOTestBIO",
    "NullBIO",
    "NullFilterBIO",
    "PairBIO",
    "PrefixBIO",
    "ReadBufferBIO",
    "RecordBIO",
    "ReplayBIO",
    "ReplayMismatch",
    "RetryReason",
    "Schedule",
    "ScheduleBIO",
    "SocketBIO",
    "bio_pair",
    "debug_callback",
    "make_debug_callback",
]
