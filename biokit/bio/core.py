"""The BIO base class: what OpenSSL's bio_lib.c does for every BIO type.

Theory of operation
-------------------
A BIO is one link of an I/O chain.  A *source/sink* BIO (memory, socket, file,
BIO pair...) ends a chain and moves bytes to or from somewhere; a *filter* BIO
(buffer, base64, digest, SSL...) sits in front of another BIO, ``next``, and
transforms what passes through::

    write ->  [BufferBIO] -> [Base64BIO] -> [SocketBIO] -> network
    read  <-  [BufferBIO] <- [Base64BIO] <- [SocketBIO] <- network

The public methods here (``read``, ``write``, ``gets``, ``puts``, ``ctrl`` and
the ``ctrl`` wrappers ``flush``/``pending``/``eof``/``reset``...) do the common
work once, exactly like ``BIO_read``/``BIO_write``/``BIO_ctrl``:

1. refuse a closed BIO or a bad argument with an error-queue entry;
2. run the callback (``set_callback``) *before* the operation -- a callback
   returning <= 0 vetoes it;
3. clear the retry flags, then call the type's primitive (``_read``,
   ``_write``, ``_gets``, ``_puts``, ``_ctrl``);
4. count the bytes moved (``num_read``/``num_write``);
5. run the callback *after* the operation; its return value becomes the result.

A subclass overrides only primitives.  Primitives return C-style values:
``_read(n)`` returns non-empty ``bytes`` or an ``int`` <= 0 (having set retry
flags when the caller should try again), ``_write(data)`` returns the number of
bytes taken (> 0) or an ``int`` <= 0.

Retry contract (BIO_should_retry(3))
------------------------------------
A failed operation with ``should_retry()`` true means "nothing is wrong, try
the same call later"; ``should_read()``/``should_write()`` say which readiness
to wait for, ``should_io_special()`` says something else must happen first
(``retry_reason`` tells what: a connect, an accept...).  A failed operation
without ``should_retry()`` is EOF (``eof()``) or an error (see the queue).

A filter that meets a retry in ``next`` copies its flags (``copy_next_retry``)
and returns what it already moved rather than the error.  No BIO ever drops or
duplicates a byte, whatever the retry schedule.
"""

from __future__ import annotations

import operator
import sys
from collections.abc import Callable, Iterator
from enum import IntEnum
from types import TracebackType
from typing import IO, Any, ClassVar, TypeVar

from biokit.errors import BIOReason, Lib, put_error

__all__ = [
    "BIO",
    "BIOCallback",
    "BIOType",
    "Ctrl",
    "FilterBIO",
    "RetryReason",
    "byte_buffer",
    "debug_callback",
    "make_debug_callback",
    "writable_byte_view",
]

# Retry flags (BIO_FLAGS_*).
BIO_FLAGS_READ = 0x01
BIO_FLAGS_WRITE = 0x02
BIO_FLAGS_IO_SPECIAL = 0x04
BIO_FLAGS_RWS = BIO_FLAGS_READ | BIO_FLAGS_WRITE | BIO_FLAGS_IO_SPECIAL
BIO_FLAGS_SHOULD_RETRY = 0x08
BIO_FLAGS_IN_EOF = 0x800
_RETRY_MASK = BIO_FLAGS_RWS | BIO_FLAGS_SHOULD_RETRY
_NOT_RETRY_MASK = ~_RETRY_MASK

# Close flags for the BIO_new_* family: close the underlying object on free?
BIO_NOCLOSE = 0x00
BIO_CLOSE = 0x01

# Callback operations (BIO_CB_*).
BIO_CB_FREE = 0x01
BIO_CB_READ = 0x02
BIO_CB_WRITE = 0x03
BIO_CB_PUTS = 0x04
BIO_CB_GETS = 0x05
BIO_CB_CTRL = 0x06
BIO_CB_RETURN = 0x80


class RetryReason(IntEnum):
    """Why an io-special retry happened (BIO_RR_*)."""

    NONE = 0
    SSL_X509_LOOKUP = 0x01
    CONNECT = 0x02
    ACCEPT = 0x03


_RETRY_REASONS: dict[int, RetryReason] = {int(r): r for r in RetryReason}

class BIOType(IntEnum):
    """BIO type numbers (BIO_TYPE_*), as BIO_method_type and BIO_find_type use them."""

    NONE = 0
    DESCRIPTOR = 0x0100
    FILTER = 0x0200
    SOURCE_SINK = 0x0400
    MEM = 1 | 0x0400
    FILE = 2 | 0x0400
    FD = 4 | 0x0400 | 0x0100
    SOCKET = 5 | 0x0400 | 0x0100
    NULL = 6 | 0x0400
    SSL = 7 | 0x0200
    MD = 8 | 0x0200
    BUFFER = 9 | 0x0200
    CIPHER = 10 | 0x0200
    BASE64 = 11 | 0x0200
    CONNECT = 12 | 0x0400 | 0x0100
    ACCEPT = 13 | 0x0400 | 0x0100
    NBIO_TEST = 16 | 0x0200
    NULL_FILTER = 17 | 0x0200
    BIO = 19 | 0x0400
    LINEBUFFER = 20 | 0x0200
    # OpenSSL gives these two no number of their own; biokit uses the user range.
    READBUFFER = 129 | 0x0200
    PREFIX = 130 | 0x0200
    SCHEDULE = 131 | 0x0200
    RECORD = 132 | 0x0200
    REPLAY = 133 | 0x0400
    START = 128


class Ctrl(IntEnum):
    """BIO_ctrl command numbers that biokit understands (BIO_CTRL_* and BIO_C_*)."""

    RESET = 1
    EOF = 2
    INFO = 3
    SET = 4
    GET = 5
    PUSH = 6
    POP = 7
    GET_CLOSE = 8
    SET_CLOSE = 9
    PENDING = 10
    FLUSH = 11
    DUP = 12
    WPENDING = 13
    SET_CALLBACK = 14
    GET_CALLBACK = 15
    C_SET_CONNECT = 100
    C_DO_STATE_MACHINE = 101
    C_SET_NBIO = 102
    C_SET_FD = 104
    C_SET_FILENAME = 108
    C_GET_FD = 105
    C_SET_FILE_PTR = 106
    C_GET_FILE_PTR = 107
    C_SET_SSL = 109
    C_GET_SSL = 110
    C_SET_MD = 111
    C_GET_MD = 112
    C_GET_CIPHER_STATUS = 113
    C_SET_ACCEPT = 118
    C_GET_MD_CTX = 120
    C_GET_CONNECT = 123
    C_GET_ACCEPT = 124
    C_SET_BUF_MEM_EOF_RETURN = 130
    C_SET_BIND_MODE = 131
    C_GET_BIND_MODE = 132
    C_FILE_SEEK = 128
    C_GET_CIPHER_CTX = 129
    C_FILE_TELL = 133
    C_SET_WRITE_BUF_SIZE = 136
    C_GET_WRITE_BUF_SIZE = 137
    C_MAKE_BIO_PAIR = 138
    C_DESTROY_BIO_PAIR = 139
    C_GET_WRITE_GUARANTEE = 140
    C_GET_READ_REQUEST = 141
    C_SHUTDOWN_WR = 142
    C_NREAD0 = 143
    C_NREAD = 144
    C_NWRITE0 = 145
    C_NWRITE = 146
    C_RESET_READ_REQUEST = 147
    C_SET_CONNECT_MODE = 155


# callback(bio, oper, argp, length, argi, argl, ret, processed) -> ret
# Mirrors BIO_callback_fn_ex: ``argp`` is the data (for write/puts: the data to
# write; after a read/gets: the bytes read), ``length`` the requested size,
# ``argi``/``argl`` the ctrl command and argument, ``processed`` the byte count
# after a successful read/write (None before the operation).
BIOCallback = Callable[
    ["BIO", int, "bytes | None", int, int, int, int, "int | None"], int
]

_B = TypeVar("_B", bound="BIO")


def byte_buffer(data: object) -> bytes | bytearray | memoryview:
    """``data`` as a primitive takes it: bytes/bytearray as they are, any other buffer as
    a flat memoryview of unsigned bytes (so ``len()`` counts bytes); TypeError otherwise."""
    if isinstance(data, (bytes, bytearray)):
        return data
    try:
        view = memoryview(data)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(
            f"a bytes-like object is required, not {type(data).__name__!r}"
        ) from None
    if view.format == "B" and view.ndim == 1 and view.c_contiguous:
        return view
    if not view.c_contiguous:
        return view.tobytes()
    return view.cast("B")


def writable_byte_view(buf: object) -> memoryview:
    """``buf`` as a flat, writable memoryview of unsigned bytes; TypeError if it is not one."""
    try:
        view = memoryview(buf)  # type: ignore[arg-type]
    except TypeError:
        view = None
    if view is None or view.readonly:
        raise TypeError(
            f"readinto() argument must be read-write bytes-like object, "
            f"not {type(buf).__name__}"
        )
    if view.format == "B" and view.ndim == 1:
        return view
    if not view.c_contiguous:
        raise TypeError("readinto() argument must be a contiguous buffer")
    return view.cast("B")

# A read request larger than this is clamped: OpenSSL's int-based API caps one
# call at INT_MAX bytes; we cap earlier so a careless read(1 << 40) cannot
# try to allocate a terabyte.
MAX_READ = 1 << 30


class BIO:
    """Base of every BIO (the generic part of OpenSSL's ``BIO``).

    Subclass it and override the primitives (``_read``, ``_write``, ``_gets``,
    ``_puts``, ``_ctrl`` or the small ``_pending``/``_eof``/... hooks) to write a
    BIO of your own; it then works in any chain and under an ``SSL`` object.
    """

    bio_type: ClassVar[int] = BIOType.NONE
    bio_name: ClassVar[str] = "base"

    __slots__ = (
        "__weakref__",
        "_callback",
        "_init",
        "_retry_reason",
        "_shutdown",
        "flags",
        "next",
        "num_read",
        "num_write",
        "prev",
    )

    def __init__(self) -> None:
        self.flags = 0
        self._retry_reason: int = RetryReason.NONE
        self.num_read = 0
        self.num_write = 0
        self.next: BIO | None = None
        self.prev: BIO | None = None
        self._callback: BIOCallback | None = None
        self._init = True
        self._shutdown = BIO_CLOSE

    # ------------------------------------------------------------------ reading

    def read(self, size: int) -> bytes:
        """BIO_read: up to ``size`` bytes; ``b""`` means nothing (consult the retry flags)."""
        if size.__class__ is not int or size <= 0 or not self._init or self._callback is not None:
            r = self._read_slow(size)
            return r if r.__class__ is bytes else b""
        # read_c's fast path, inlined: one Python call less per BIO_read.
        if self.flags:
            self.flags &= _NOT_RETRY_MASK
        r = self._read(size if size <= MAX_READ else MAX_READ)
        if r.__class__ is bytes and r:
            self.num_read += len(r)
            return r
        return b""

    def read_c(self, size: int) -> bytes | int:
        """BIO_read with C's result: the bytes read, or the C return value (<= 0)."""
        if size.__class__ is not int or size <= 0 or not self._init or self._callback is not None:
            return self._read_slow(size)
        if self.flags:
            self.flags &= _NOT_RETRY_MASK
        r = self._read(size if size <= MAX_READ else MAX_READ)
        if r.__class__ is bytes:
            if not r:
                return 0
            self.num_read += len(r)
        return r

    def _read_slow(self, size: int) -> bytes | int:
        # A size that is not an integer (5.0, "5") is refused here, before any
        # primitive could move bytes it then cannot hand back.
        size = operator.index(size)
        if not self._init:
            put_error(Lib.BIO, BIOReason.UNINITIALIZED, depth=2)
            return -1
        if size < 0:
            put_error(Lib.BIO, BIOReason.INVALID_ARGUMENT, depth=2)
            return -1
        cb = self._callback
        if cb is not None:
            ret = cb(self, BIO_CB_READ, None, size, 0, 0, 1, None)
            if ret <= 0:
                return ret
        self.flags &= _NOT_RETRY_MASK
        # A zero-length read still reaches the primitive, as in OpenSSL: an empty
        # memory BIO answers it with its eof_return, a BIO pair clears a request.
        r: bytes | int = self._read(size if size <= MAX_READ else MAX_READ)
        if isinstance(r, bytes):
            if not r:
                r = 0
            else:
                self.num_read += len(r)
        if cb is not None:
            if isinstance(r, bytes):
                ret = cb(self, BIO_CB_READ | BIO_CB_RETURN, r, size, 0, 0, 1, len(r))
                return r if ret > 0 else ret
            return cb(self, BIO_CB_READ | BIO_CB_RETURN, None, size, 0, 0, r, None)
        return r

    def read_ex(self, size: int) -> bytes | int:
        """BIO_read_ex: the bytes read on success, 0 on failure (flags as for ``read``)."""
        r = self.read_c(size)
        return r if r.__class__ is bytes else 0

    def readinto(self, buf: bytearray | memoryview) -> int:
        """BIO_read into ``buf``: the count read, or the BIO's C return value (<= 0)."""
        # Check the buffer before reading: bytes taken from the BIO could not be
        # put back if the copy then failed (read-only or odd-itemsize buffers).
        view = writable_byte_view(buf)
        r = self.read_c(len(view))
        if isinstance(r, int):
            return r
        n = len(r)
        view[:n] = r
        return n

    def gets(self, size: int) -> bytes:
        """BIO_gets: one line (with its ``\\n``) of at most ``size - 1`` bytes; ``b""`` if none."""
        r = self.gets_c(size)
        return r if isinstance(r, bytes) else b""

    def gets_c(self, size: int) -> bytes | int:
        """BIO_gets with C's result: the line, or the C return value (<= 0; -2 unsupported)."""
        size = operator.index(size)
        if not self._init:
            # (A freed BIO: undefined in C; biokit refuses it as uninitialized.)
            put_error(Lib.BIO, BIOReason.UNINITIALIZED)
            return -1
        if type(self)._gets is BIO._gets:
            # No gets method: BIO_gets fails before checking the size.
            put_error(Lib.BIO, BIOReason.UNSUPPORTED_METHOD)
            return -2
        if size < 0:
            put_error(Lib.BIO, BIOReason.INVALID_ARGUMENT)
            return -1
        cb = self._callback
        if cb is not None:
            ret = cb(self, BIO_CB_GETS, None, size, 0, 0, 1, None)
            if ret <= 0:
                return ret
        self.flags &= _NOT_RETRY_MASK
        # Sizes 0 and 1 reach the primitive too, as in C: most answer 0 (no room
        # for a byte), but a buffer BIO first fills its buffer from ``next`` and
        # passes on a retry (see BufferBIO._gets).
        r = self._gets(size)
        if isinstance(r, bytes):
            if r:
                self.num_read += len(r)
            else:
                r = 0
        if cb is not None:
            # As in OpenSSL 3, the after-callback sees ret 1 and the count in
            # ``processed``; the call then returns the count if it says > 0.
            if isinstance(r, bytes):
                ret = cb(self, BIO_CB_GETS | BIO_CB_RETURN, r, size, 0, 0, 1, len(r))
                return r if ret > 0 else ret
            return cb(self, BIO_CB_GETS | BIO_CB_RETURN, None, size, 0, 0, r, None)
        return r

    # ------------------------------------------------------------------ writing

    def write(self, data: bytes | bytearray | memoryview) -> int:
        """BIO_write: bytes taken (> 0, possibly fewer than given) or C's value (<= 0)."""
        cls = data.__class__
        if (
            (
                cls is not bytes and cls is not bytearray
                # A flat byte view (what filters hand on) is fine as it is too.
                and (cls is not memoryview or data.format != "B"  # type: ignore[union-attr]
                     or data.ndim != 1 or not data.c_contiguous)  # type: ignore[union-attr]
            )
            or not data or not self._init or self._callback is not None
        ):
            return self._write_slow(data)
        if self.flags:
            self.flags &= _NOT_RETRY_MASK
        n = self._write(data)
        if n > 0:
            self.num_write += n
        return n

    def _write_slow(self, data: bytes | bytearray | memoryview) -> int:
        # Refuse a non-buffer before touching any state; any other buffer
        # (array('i'), a 2-D memoryview...) is written as its raw bytes, and the
        # count returned is in bytes.
        data = byte_buffer(data)
        if not self._init:
            put_error(Lib.BIO, BIOReason.UNINITIALIZED, depth=2)
            return -1
        if not data:
            # BIO_write with nothing to write returns 0 before any callback runs.
            return 0
        cb = self._callback
        if cb is not None:
            ret = cb(self, BIO_CB_WRITE, bytes(data), len(data), 0, 0, 1, None)
            if ret <= 0:
                return ret
        self.flags &= _NOT_RETRY_MASK
        n = self._write(data)
        if n > 0:
            self.num_write += n
        if cb is not None:
            # OpenSSL 3: the after-callback gets ret 1 and the count in
            # ``processed``; a result > 0 then means "return the count".
            ret = cb(
                self, BIO_CB_WRITE | BIO_CB_RETURN, bytes(data), len(data), 0, 0,
                1 if n > 0 else n, n if n > 0 else None,
            )
            return n if ret > 0 and n > 0 else ret
        return n

    def write_ex(self, data: bytes | bytearray | memoryview) -> int:
        """BIO_write_ex: the count written on success, 0 on failure."""
        n = self.write(data)
        return n if n > 0 else 0

    def puts(self, text: str | bytes | bytearray | memoryview) -> int:
        """BIO_puts: write a string; the count written or C's value (<= 0; -2 unsupported)."""
        if isinstance(text, str):
            data = text.encode()
        elif isinstance(text, bytes):
            data = text
        else:
            data = bytes(byte_buffer(text))
        if not self._init:
            put_error(Lib.BIO, BIOReason.UNINITIALIZED)
            return -1
        cb = self._callback
        if cb is not None:
            ret = cb(self, BIO_CB_PUTS, data, 0, 0, 0, 1, None)
            if ret <= 0:
                return ret
        self.flags &= _NOT_RETRY_MASK
        n = self._puts(data)
        if n > 0:
            self.num_write += n
        if cb is not None:
            ret = cb(
                self, BIO_CB_PUTS | BIO_CB_RETURN, data, 0, 0, 0,
                1 if n > 0 else n, n if n > 0 else None,
            )
            return n if ret > 0 and n > 0 else ret
        return n

    # ------------------------------------------------------------------ control

    def ctrl(self, cmd: int, larg: int = 0, parg: Any = None) -> int:
        """BIO_ctrl: run a control command; the meaning of the result depends on ``cmd``."""
        if not self._init and cmd not in (Ctrl.PUSH, Ctrl.POP):
            put_error(Lib.BIO, BIOReason.UNINITIALIZED)
            return -1
        cb = self._callback
        if cb is None:
            return self._ctrl(cmd, larg, parg)
        ret = cb(self, BIO_CB_CTRL, None, 0, cmd, larg, 1, None)
        if ret <= 0:
            return ret
        r = self._ctrl(cmd, larg, parg)
        return cb(self, BIO_CB_CTRL | BIO_CB_RETURN, None, 0, cmd, larg, r, None)

    def flush(self) -> int:
        """BIO_flush: push buffered output down the chain; 1 on success, <= 0 + flags otherwise."""
        self.flags &= _NOT_RETRY_MASK
        return self.ctrl(Ctrl.FLUSH)

    def pending(self) -> int:
        """BIO_pending / BIO_ctrl_pending: bytes that can be read without touching the source."""
        if self._callback is None and self._init:
            return self._pending()
        return max(self.ctrl(Ctrl.PENDING), 0)

    def wpending(self) -> int:
        """BIO_wpending / BIO_ctrl_wpending: bytes written but still held in this BIO."""
        if self._callback is None and self._init:
            return self._wpending()
        return max(self.ctrl(Ctrl.WPENDING), 0)

    def eof(self) -> bool:
        """BIO_eof: True when the source is exhausted (what 'EOF' means depends on the type)."""
        return self.ctrl(Ctrl.EOF) > 0

    def reset(self) -> int:
        """BIO_reset: return to the initial state; 1 on success (file BIOs: 0), <= 0 on failure."""
        return self.ctrl(Ctrl.RESET)

    # ------------------------------------------------------------------ retry flags

    def should_retry(self) -> bool:
        """BIO_should_retry: the failure was temporary; try the same call again later."""
        return bool(self.flags & BIO_FLAGS_SHOULD_RETRY)

    def should_read(self) -> bool:
        """BIO_should_read: the retry waits for the BIO to become readable."""
        return bool(self.flags & BIO_FLAGS_READ)

    def should_write(self) -> bool:
        """BIO_should_write: the retry waits for the BIO to become writable."""
        return bool(self.flags & BIO_FLAGS_WRITE)

    def should_io_special(self) -> bool:
        """BIO_should_io_special: something else must happen first; see ``retry_reason``."""
        return bool(self.flags & BIO_FLAGS_IO_SPECIAL)

    def get_retry_flags(self) -> int:
        """BIO_get_retry_flags: the BIO_FLAGS_READ/WRITE/IO_SPECIAL/SHOULD_RETRY bits."""
        return self.flags & _RETRY_MASK

    @property
    def retry_reason(self) -> int:
        """BIO_get_retry_reason: a ``RetryReason`` member (a plain int only for unknown values)."""
        return self._retry_reason

    @retry_reason.setter
    def retry_reason(self, reason: int) -> None:
        # Stored as the enum member once, so every reader gets RetryReason.CONNECT,
        # not 2, whoever set it (a primitive, a filter, user code).
        self._retry_reason = _RETRY_REASONS.get(reason, reason)

    def get_retry_reason(self) -> int:
        """BIO_get_retry_reason."""
        return self._retry_reason

    def get_retry_bio(self) -> tuple[BIO, int]:
        """BIO_get_retry_BIO: the BIO in this chain that caused the retry, and its reason."""
        b: BIO = self
        while True:
            if not b.flags & BIO_FLAGS_SHOULD_RETRY:
                break
            nb = b.next
            if nb is None or not nb.flags & BIO_FLAGS_SHOULD_RETRY:
                break
            b = nb
        return b, b.retry_reason

    def set_retry_read(self) -> None:
        """BIO_set_retry_read (for primitives)."""
        self.flags |= BIO_FLAGS_READ | BIO_FLAGS_SHOULD_RETRY

    def set_retry_write(self) -> None:
        """BIO_set_retry_write (for primitives)."""
        self.flags |= BIO_FLAGS_WRITE | BIO_FLAGS_SHOULD_RETRY

    def set_retry_special(self, reason: int = 0) -> None:
        """BIO_set_retry_special, plus the retry reason (for primitives)."""
        self.flags |= BIO_FLAGS_IO_SPECIAL | BIO_FLAGS_SHOULD_RETRY
        self._retry_reason = _RETRY_REASONS.get(reason, reason)

    def clear_retry_flags(self) -> None:
        """BIO_clear_retry_flags."""
        self.flags &= _NOT_RETRY_MASK

    def copy_next_retry(self) -> None:
        """BIO_copy_next_retry: take over the next BIO's retry flags and reason."""
        nb = self.next
        if nb is not None:
            self.flags = (self.flags & _NOT_RETRY_MASK) | (nb.flags & _RETRY_MASK)
            self._retry_reason = nb._retry_reason

    # ------------------------------------------------------------------ chains

    def push(self: _B, bio: BIO | None) -> _B:
        """BIO_push: append ``bio`` (and its chain) at the end of this chain; returns self."""
        tail: BIO = self
        while tail.next is not None:
            tail = tail.next
        if bio is None:
            # C allows appending NULL: nothing changes, but the head still
            # hears BIO_CTRL_PUSH.
            self.ctrl(Ctrl.PUSH, 0, None)
            return self
        if bio is self or any(b is bio for b in self):
            raise ValueError("cannot push a BIO into a chain it is already part of")
        tail.next = bio
        bio.prev = tail
        # OpenSSL tells the head about the new chain (BIO_CTRL_PUSH), so an SSL
        # filter can adopt the new transport.
        self.ctrl(Ctrl.PUSH, 0, bio)
        return self

    def pop(self) -> BIO | None:
        """BIO_pop: unlink this BIO from its chain; returns the BIO that followed it."""
        nxt = self.next
        self.ctrl(Ctrl.POP, 0, self)
        if self.prev is not None:
            self.prev.next = nxt
        if nxt is not None:
            nxt.prev = self.prev
        self.prev = None
        self.next = None
        return nxt

    def next_bio(self) -> BIO | None:
        """BIO_next."""
        return self.next

    def find_type(self, kind: type[BIO] | int) -> BIO | None:
        """BIO_find_type: the first BIO in the chain of that class (or BIO_TYPE_* number)."""
        if isinstance(kind, int):
            mask = kind & 0xFF
            for b in self:
                mt = b.bio_type
                if (mask == 0 and mt & kind) or (mask != 0 and mt == kind):
                    return b
            return None
        for b in self:
            if isinstance(b, kind):
                return b
        return None

    def __iter__(self) -> Iterator[BIO]:
        b: BIO | None = self
        while b is not None:
            yield b
            b = b.next

    def chain(self) -> list[BIO]:
        """This BIO and every BIO after it, in order."""
        return list(self)

    def method_type(self) -> int:
        """BIO_method_type."""
        return self.bio_type

    def method_name(self) -> str:
        """BIO_method_name."""
        return self.bio_name

    # ------------------------------------------------------------------ lifetime

    def close(self) -> int:
        """BIO_free: release this BIO (and, with BIO_CLOSE, what it wraps); 1, or 0 if the
        free callback refused.  Idempotent (a second call returns 1 and does nothing)."""
        if not self._init:
            return 1
        cb = self._callback
        if cb is not None and cb(self, BIO_CB_FREE, None, 0, 0, 0, 1, None) <= 0:
            return 0
        self._init = False
        self._destroy()
        return 1

    free = close

    def free_all(self) -> None:
        """BIO_free_all: free every BIO of the chain, from this one on."""
        b: BIO | None = self
        while b is not None:
            nxt = b.next
            b.close()
            b = nxt

    @property
    def closed(self) -> bool:
        """True once ``close()`` ran."""
        return not self._init

    def get_close(self) -> int:
        """BIO_get_close: BIO_CLOSE or BIO_NOCLOSE."""
        return self._shutdown

    def set_close(self, flag: int) -> int:
        """BIO_set_close: whether freeing the BIO closes what it wraps."""
        self._shutdown = flag
        return 1

    def __enter__(self: _B) -> _B:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.free_all()

    # ------------------------------------------------------------------ callbacks

    def set_callback(self, fn: BIOCallback | None) -> None:
        """BIO_set_callback_ex: ``fn`` runs before and after every operation."""
        self._callback = fn

    def get_callback(self) -> BIOCallback | None:
        """BIO_get_callback_ex."""
        return self._callback

    # ------------------------------------------------------------------ primitives
    # Override these in a subclass.  They are called with the retry flags
    # already cleared and never with a closed BIO.

    def _read(self, size: int) -> bytes | int:
        """Primitive read: non-empty bytes, or a C-style int <= 0 (set retry flags first)."""
        put_error(Lib.BIO, BIOReason.UNSUPPORTED_METHOD)
        return -2

    def _write(self, data: bytes | bytearray | memoryview) -> int:
        """Primitive write: bytes taken (> 0) or a C-style int <= 0."""
        put_error(Lib.BIO, BIOReason.UNSUPPORTED_METHOD)
        return -2

    def _gets(self, size: int) -> bytes | int:
        """Primitive gets: a line of at most ``size - 1`` bytes, or an int <= 0."""
        put_error(Lib.BIO, BIOReason.UNSUPPORTED_METHOD)
        return -2

    def _puts(self, data: bytes) -> int:
        """Primitive puts: by default a plain write of the whole string."""
        return self._write(data) if data else 0

    def _ctrl(self, cmd: int, larg: int, parg: Any) -> int:
        """Primitive ctrl: dispatch the standard commands to the small hooks below."""
        if cmd == Ctrl.PENDING:
            return self._pending()
        if cmd == Ctrl.WPENDING:
            return self._wpending()
        if cmd == Ctrl.FLUSH:
            return self._flush()
        if cmd == Ctrl.EOF:
            return 1 if self._eof() else 0
        if cmd == Ctrl.RESET:
            return self._reset()
        if cmd == Ctrl.GET_CLOSE:
            return self._shutdown
        if cmd == Ctrl.SET_CLOSE:
            self._shutdown = larg
            return 1
        if cmd in (Ctrl.PUSH, Ctrl.POP):
            return 0
        return 0

    def _pending(self) -> int:
        return 0

    def _wpending(self) -> int:
        return 0

    def _flush(self) -> int:
        return 1

    def _eof(self) -> bool:
        return False

    def _reset(self) -> int:
        return 1

    def _destroy(self) -> None:
        """Release resources (runs once, from ``close()``)."""

    def _num(self) -> int:
        """OpenSSL's ``b->num``, which BIO_debug_callback_ex prints.

        A socket, fd, connect or accept BIO keeps its descriptor there (their
        ``num`` attribute, -1 before there is one); a memory BIO its eof_return;
        the other types leave it 0.
        """
        num = getattr(self, "num", 0)
        return num if isinstance(num, int) else 0

    def __repr__(self) -> str:
        state = " closed" if not self._init else ""
        return f"<{type(self).__name__} {self.bio_name!r}{state}>"


class FilterBIO(BIO):
    """Base for filters: by default every call passes straight to ``next``.

    This is BIO_f_null's behaviour; real filters override what they transform.
    A filter with no ``next`` reads and writes nothing (returns 0), as in OpenSSL.
    """

    bio_type: ClassVar[int] = BIOType.FILTER
    bio_name: ClassVar[str] = "filter"
    __slots__ = ()

    def _read(self, size: int) -> bytes | int:
        nb = self.next
        if nb is None:
            return 0
        r = nb.read_c(size)
        self.copy_next_retry()
        return r

    def _write(self, data: bytes | bytearray | memoryview) -> int:
        nb = self.next
        if nb is None:
            return 0
        n = nb.write(data)
        self.copy_next_retry()
        return n

    def _gets(self, size: int) -> bytes | int:
        nb = self.next
        if nb is None:
            return 0
        r = nb.gets_c(size)
        self.copy_next_retry()
        return r

    def _puts(self, data: bytes) -> int:
        nb = self.next
        if nb is None:
            return 0
        n = nb.puts(data)
        self.copy_next_retry()
        return n

    def _ctrl(self, cmd: int, larg: int, parg: Any) -> int:
        if cmd in (Ctrl.GET_CLOSE, Ctrl.SET_CLOSE):
            return super()._ctrl(cmd, larg, parg)
        nb = self.next
        if cmd in (Ctrl.PUSH, Ctrl.POP):
            # Like bf_buff.c's default branch: tell the BIOs further down (an SSL
            # filter below us must learn about its new transport).
            return nb.ctrl(cmd, larg, parg) if nb is not None else 0
        if nb is None:
            return 0
        if cmd == Ctrl.FLUSH:
            r = self._flush()
            return r
        if cmd == Ctrl.PENDING:
            return self._pending()
        if cmd == Ctrl.WPENDING:
            return self._wpending()
        if cmd == Ctrl.EOF:
            return 1 if self._eof() else 0
        if cmd == Ctrl.RESET:
            return self._reset()
        r = nb.ctrl(cmd, larg, parg)
        self.copy_next_retry()
        return r

    # The hooks forward to ``next``; filters that hold data override them.
    def _pending(self) -> int:
        nb = self.next
        return nb.pending() if nb is not None else 0

    def _wpending(self) -> int:
        nb = self.next
        return nb.wpending() if nb is not None else 0

    def _flush(self) -> int:
        nb = self.next
        if nb is None:
            return 0
        r = nb.flush()
        self.copy_next_retry()
        return r

    def _eof(self) -> bool:
        nb = self.next
        return nb.eof() if nb is not None else True

    def _reset(self) -> int:
        nb = self.next
        return nb.reset() if nb is not None else 0


# --------------------------------------------------------------------- debug callback

def make_debug_callback(out: IO[str] | None = None) -> BIOCallback:
    """A callback that prints what BIO_debug_callback_ex prints, to ``out`` (default stderr).

    Install it with ``bio.set_callback(make_debug_callback())``.  The lines are
    OpenSSL 3.0's, e.g. on a memory BIO::

        BIO[0x7f...]: write(-1,2) - memory buffer
        BIO[0x7f...]: write return 1 processed: 2
        BIO[0x7f...]: read(-1,10) - memory buffer
        BIO[0x7f...]: read return -1 processed: 0
    """

    def callback(
        bio: BIO,
        oper: int,
        argp: bytes | None,
        length: int,
        argi: int,
        argl: int,
        ret: int,
        processed: int | None,
    ) -> int:
        stream = out if out is not None else sys.stderr
        stream.write(f"BIO[0x{id(bio):x}]: {debug_line(bio, oper, length, argi, ret, processed)}\n")
        return ret

    return callback


def debug_line(
    bio: BIO, oper: int, length: int, argi: int, ret: int, processed: int | None
) -> str:
    """One line of BIO_debug_callback_ex output (crypto/bio/bio_cb.c, OpenSSL 3.0), no prefix."""
    name = bio.bio_name
    if oper == BIO_CB_FREE:
        return f"Free - {name}"
    if oper in (BIO_CB_READ, BIO_CB_WRITE):
        # "(num,len)": num is the BIO's b->num -- the descriptor of a socket or
        # fd BIO, a memory BIO's eof_return (-1 by default), 0 for most others.
        num = bio._num()
        op = "read" if oper == BIO_CB_READ else "write"
        if bio.bio_type & BIOType.DESCRIPTOR:
            return f"{op}({num},{length}) - {name} fd={num}"
        return f"{op}({num},{length}) - {name}"
    if oper == BIO_CB_PUTS:
        return f"puts() - {name}"
    if oper == BIO_CB_GETS:
        return f"gets({length}) - {name}"
    if oper == BIO_CB_CTRL:
        return f"ctrl({argi}) - {name}"
    kind = _RETURN_KINDS.get(oper)
    if kind is not None:
        # OpenSSL 3.0 prints the ret the operation returned (1 for a success
        # of read/write/gets/puts) and *processed, which it points at a 0 on
        # failure; biokit passes processed=None then.
        return f"{kind} return {ret} processed: {processed or 0}"
    if oper == BIO_CB_CTRL | BIO_CB_RETURN:
        return f"ctrl return {ret}"
    return f"bio callback - unknown type ({oper})"


_RETURN_KINDS = {
    BIO_CB_READ | BIO_CB_RETURN: "read",
    BIO_CB_WRITE | BIO_CB_RETURN: "write",
    BIO_CB_GETS | BIO_CB_RETURN: "gets",
    BIO_CB_PUTS | BIO_CB_RETURN: "puts",
}


debug_callback: BIOCallback = make_debug_callback()
