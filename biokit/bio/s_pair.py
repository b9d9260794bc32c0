"""BIO_s_bio and BIO_new_bio_pair: two BIOs joined back to back (OpenSSL's bss_bio.c).

Theory of operation
-------------------
A BIO pair is two source/sink BIOs, A and B, wired so that bytes written to one
are read from the other.  Each half owns exactly one bounded ring buffer: the
ring for the bytes *it writes*.  A read drains the *peer's* ring::

              A                                          B
    write(A) ---> [ A's ring, A._size bytes ] ---> read(B)
    read(A)  <--- [ B's ring, B._size bytes ] <--- write(B)

    A._request: how much B last tried, and failed, to read from A's ring
                (so: how much the application should write into A).

The rules, all as in bss_bio.c:

* ``write`` takes ``min(len(data), free space)`` bytes; a partial write is a
  success.  A full ring: -1 and retry-write.  After this half's own
  ``shutdown_wr()``: -1, BIO_R_BROKEN_PIPE on the error queue, no retry.
* ``read`` takes ``min(size, used)`` bytes of the peer's ring.  An empty ring:
  -1 and retry-read, and the attempt is recorded on the peer as a read request
  of ``min(size, peer ring size)``.  An empty ring whose writer called
  ``shutdown_wr()`` is EOF: 0, no retry.
* Every read attempt first clears the peer's read request; every write
  attempt first clears this half's own.  So ``read_request()`` is non-zero
  only while the reader starves and nobody has written since.
* ``write_guarantee()`` is the free space of this half's ring (0 once shut
  down or unpaired): a write of that many bytes is taken whole.
* ``pending()`` counts the peer's ring (readable here), ``wpending()`` this
  half's ring (written here, not yet read by the peer).
* ``reset()`` empties this half's ring and returns 0, as OpenSSL does.
* ``close()`` of either half, or ``destroy_pair()``, dissolves the pair:
  both rings are emptied (unread bytes in both directions are gone) and the
  survivor is *unpaired*: read/write/puts fail with BIO_R_UNINITIALIZED,
  ``eof()`` is true, ``pending()`` is 0.  ``make_pair()`` can pair it again.

Invariants of one ring (checked by the property tests):
``0 <= _len <= _size``; ``0 <= _off < _size``; ``_len == 0`` implies
``_off == 0`` (a drained ring restarts at 0, so its next write is one copy);
``_request != 0`` implies ``_len == 0``; bytes leave in the order they
entered, each exactly once.

The ring is one ``bytearray`` of fixed size allocated at pairing time; a read or
a write is at most two slice copies (two only when it crosses the end of the
ring), never a loop over bytes, and nothing is ever moved inside the ring.
"""

from __future__ import annotations

from typing import Any, ClassVar

from biokit.bio.core import BIO, BIOType, Ctrl
from biokit.errors import BIOReason, Lib, put_error

__all__ = ["DEFAULT_BUF_SIZE", "PairBIO", "bio_pair"]

# Enough for one maximum-size TLS record, as bio_new chooses.
DEFAULT_BUF_SIZE = 17 * 1024

# BIO_C_* numbers that biokit.bio.core.Ctrl does not name (include/openssl/bio.h).
BIO_C_MAKE_BIO_PAIR = 138
BIO_C_DESTROY_BIO_PAIR = 139
BIO_C_NREAD = 144
BIO_C_NWRITE0 = 145
BIO_C_NWRITE = 146


class PairBIO(BIO):
    """One half of a BIO pair (BIO_s_bio); make both halves with ``bio_pair()``.

    ``PairBIO()`` alone is BIO_new(BIO_s_bio()): unpaired until ``make_pair()``.
    ``size`` sets its write buffer size (0: the 17 KiB default).
    """

    bio_type: ClassVar[int] = BIOType.BIO
    bio_name: ClassVar[str] = "BIO pair"
    __slots__ = ("_buf", "_closed", "_len", "_off", "_peer", "_request", "_size", "_view")

    def __init__(self, size: int = 0) -> None:
        super().__init__()
        self._peer: PairBIO | None = None
        self._buf: bytearray | None = None
        self._view: memoryview | None = None
        self._size = DEFAULT_BUF_SIZE
        self._len = 0  # bytes in this half's ring
        self._off = 0  # where the oldest of them is
        self._closed = False  # this half called shutdown_wr()
        self._request = 0  # what the peer last failed to read from this ring
        if size and self.set_write_buf_size(size) != 1:
            raise ValueError(f"invalid write buffer size {size}")

    # ---------------------------------------------------------------- public API

    @property
    def peer(self) -> PairBIO | None:
        """The other half, or None while unpaired."""
        return self._peer

    def make_pair(self, other: PairBIO) -> int:
        """BIO_make_bio_pair: join two unpaired halves; 1, or 0 (BIO_R_IN_USE) if one is paired."""
        if not isinstance(other, PairBIO):
            raise TypeError(f"make_pair needs a PairBIO, not {type(other).__name__!r}")
        return self.ctrl(BIO_C_MAKE_BIO_PAIR, 0, other)

    def destroy_pair(self) -> int:
        """BIO_destroy_bio_pair: dissolve the pair (both halves); always 1."""
        return self.ctrl(BIO_C_DESTROY_BIO_PAIR)

    def shutdown_wr(self) -> int:
        """BIO_shutdown_wr: no more writes here; the peer reads EOF once it has drained us."""
        return self.ctrl(Ctrl.C_SHUTDOWN_WR)

    def set_write_buf_size(self, size: int) -> int:
        """BIO_set_write_buf_size: 1, or 0 when paired (BIO_R_IN_USE) or ``size`` <= 0."""
        return self.ctrl(Ctrl.C_SET_WRITE_BUF_SIZE, size)

    def get_write_buf_size(self) -> int:
        """BIO_get_write_buf_size: this half's ring size."""
        return self.ctrl(Ctrl.C_GET_WRITE_BUF_SIZE)

    def write_guarantee(self) -> int:
        """BIO_ctrl_get_write_guarantee: bytes the next write takes whole (free ring space)."""
        if self._callback is None and self._init:
            if self._peer is None or self._closed:
                return 0
            return self._size - self._len
        return max(self.ctrl(Ctrl.C_GET_WRITE_GUARANTEE), 0)

    get_write_guarantee = write_guarantee

    def read_request(self) -> int:
        """BIO_ctrl_get_read_request: how much the peer failed to read, i.e. what to write here."""
        if self._callback is None and self._init:
            return self._request
        return max(self.ctrl(Ctrl.C_GET_READ_REQUEST), 0)

    get_read_request = read_request

    def reset_read_request(self) -> int:
        """BIO_ctrl_reset_read_request: forget the peer's failed read; 1."""
        return 1 if self.ctrl(Ctrl.C_RESET_READ_REQUEST) != 0 else 0

    # Non-copying interface.  The views point into a ring: valid until the
    # bytes are overwritten by a later write, so use them at once.

    def nread0(self) -> memoryview | int:
        """BIO_nread0: a view of the readable bytes up to the ring's end (not consumed), or <= 0."""
        holder: list[memoryview] = []
        r = self._nio(Ctrl.C_NREAD0, 0, holder)
        return holder[0] if r > 0 and holder else r

    def nread(self, num: int) -> memoryview | int:
        """BIO_nread: consume up to ``num`` contiguous readable bytes; a view of them, or <= 0."""
        holder: list[memoryview] = []
        r = self._nio(BIO_C_NREAD, num, holder)
        if r > 0:
            self.num_read += r  # BIO_nread counts, BIO_nread0 does not
            if holder:
                return holder[0]
        return r

    def nwrite0(self) -> memoryview | int:
        """BIO_nwrite0: a writable view of the free space up to the ring's end, or <= 0."""
        holder: list[memoryview] = []
        r = self._nio(BIO_C_NWRITE0, 0, holder)
        return holder[0] if r > 0 and holder else r

    def nwrite(self, num: int) -> memoryview | int:
        """BIO_nwrite: commit up to ``num`` bytes now; returns the view to fill, or <= 0."""
        holder: list[memoryview] = []
        r = self._nio(BIO_C_NWRITE, num, holder)
        if r > 0:
            self.num_write += r
            if holder:
                return holder[0]
        return r

    def _nio(self, cmd: int, num: int, holder: list[memoryview]) -> int:
        # BIO_nread0 and friends refuse an unpaired BIO before running the ctrl.
        if self._init and self._peer is None:
            put_error(Lib.BIO, BIOReason.UNINITIALIZED)
            return -2
        return self.ctrl(cmd, num, holder)

    # ---------------------------------------------------------------- primitives

    def _read(self, size: int) -> bytes | int:
        peer = self._peer
        if peer is None:
            put_error(Lib.BIO, BIOReason.UNINITIALIZED)
            return -1
        peer._request = 0
        if size == 0:
            # bio_read: a zero-length read only clears the peer's request.
            return 0
        used = peer._len
        if used == 0:
            if peer._closed:
                return 0
            self.set_retry_read()
            psize = peer._size
            peer._request = size if size <= psize else psize
            return -1
        n = size if size < used else used
        off = peer._off
        psize = peer._size
        end = off + n
        view: memoryview = peer._view  # type: ignore[assignment]
        if end <= psize:
            out = view[off:end].tobytes()
        else:
            end -= psize
            out = b"".join((view[off:], view[:end]))
        left = used - n
        peer._len = left
        # A drained ring restarts at 0, so the next write is a single copy.
        peer._off = end if left and end != psize else 0
        return out

    def _write(self, data: bytes | bytearray | memoryview) -> int:
        if self._peer is None:
            put_error(Lib.BIO, BIOReason.UNINITIALIZED)
            return -1
        self._request = 0
        if self._closed:
            put_error(Lib.BIO, BIOReason.BROKEN_PIPE)
            return -1
        size = self._size
        used = self._len
        space = size - used
        if space == 0:
            self.set_retry_write()
            return -1
        n = len(data)
        if n > space:
            n = space
            data = memoryview(data)[:n]
        start = self._off + used
        if start >= size:
            start -= size
        end = start + n
        view: memoryview = self._view  # type: ignore[assignment]
        try:
            # memoryview slice assignment: a plain memcpy, about twice as
            # fast as bytearray slice assignment for record-sized writes.
            if end <= size:
                view[start:end] = data
            else:
                first = size - start
                mv = memoryview(data)
                view[start:] = mv[:first]
                view[: n - first] = mv[first:]
        except (TypeError, ValueError):
            # A buffer whose format is not plain bytes ('c', 'b'...): copy it
            # through a byte view, then start over.
            return self._write(memoryview(data).cast("B"))
        self._len = used + n
        return n

    def _puts(self, data: bytes) -> int:
        # BIO_puts refuses an unpaired BIO even for an empty string.
        if self._peer is None:
            put_error(Lib.BIO, BIOReason.UNINITIALIZED)
            return -1
        return self._write(data) if data else 0

    def _pending(self) -> int:
        peer = self._peer
        return peer._len if peer is not None else 0

    def _wpending(self) -> int:
        return self._len if self._buf is not None else 0

    def _eof(self) -> bool:
        peer = self._peer
        if peer is None:
            return True
        return peer._len == 0 and peer._closed

    def _reset(self) -> int:
        if self._buf is not None:
            self._len = 0
            self._off = 0
        # bss_bio.c answers BIO_CTRL_RESET with 0 although it succeeded.
        return 0

    def _ctrl(self, cmd: int, larg: int, parg: Any) -> int:
        if cmd == Ctrl.C_GET_WRITE_GUARANTEE:
            if self._peer is None or self._closed:
                return 0
            return self._size - self._len
        if cmd == Ctrl.C_GET_READ_REQUEST:
            return self._request
        if cmd == Ctrl.C_RESET_READ_REQUEST:
            self._request = 0
            return 1
        if cmd == Ctrl.C_SHUTDOWN_WR:
            self._closed = True
            return 1
        if cmd == Ctrl.C_SET_WRITE_BUF_SIZE:
            return self._set_size(larg)
        if cmd == Ctrl.C_GET_WRITE_BUF_SIZE:
            return self._size
        if cmd == BIO_C_MAKE_BIO_PAIR:
            return self._make_pair(parg)
        if cmd == BIO_C_DESTROY_BIO_PAIR:
            self._dissolve()
            return 1
        if cmd == Ctrl.C_NREAD0:
            return self._nread0(parg)
        if cmd == BIO_C_NREAD:
            return self._nread(larg, parg)
        if cmd == BIO_C_NWRITE0:
            return self._nwrite0(parg)
        if cmd == BIO_C_NWRITE:
            return self._nwrite(larg, parg)
        if cmd == Ctrl.DUP:
            if isinstance(parg, PairBIO) and parg._buf is None:
                parg._size = self._size
            return 1
        return super()._ctrl(cmd, larg, parg)

    def _destroy(self) -> None:
        self._dissolve()
        self._buf = None
        self._view = None

    # ---------------------------------------------------------------- helpers

    def _set_size(self, size: int) -> int:
        if self._peer is not None:
            put_error(Lib.BIO, BIOReason.IN_USE)
            return 0
        if size <= 0:
            # OpenSSL rejects 0; a negative long would become a huge size_t and
            # fail to allocate, so it is refused here the same way as 0.
            put_error(Lib.BIO, BIOReason.INVALID_ARGUMENT)
            return 0
        if size != self._size:
            self._buf = None
            self._view = None
            self._size = size
        return 1

    def _make_pair(self, other: object) -> int:
        if not isinstance(other, PairBIO):
            put_error(Lib.BIO, BIOReason.INVALID_ARGUMENT)
            return 0
        if other.closed:
            put_error(Lib.BIO, BIOReason.UNINITIALIZED)
            return 0
        if self._peer is not None or other._peer is not None:
            put_error(Lib.BIO, BIOReason.IN_USE)
            return 0
        for b in (self, other):
            if b._buf is None:
                b._buf = bytearray(b._size)
                b._view = memoryview(b._buf)
                b._len = 0
                b._off = 0
        # Pairing a BIO with itself is allowed, as in OpenSSL: a loopback.
        self._peer = other
        other._peer = self
        self._closed = other._closed = False
        self._request = other._request = 0
        return 1

    def _dissolve(self) -> None:
        peer = self._peer
        if peer is None:
            return
        peer._peer = None
        peer._len = 0
        peer._off = 0
        self._peer = None
        self._len = 0
        self._off = 0

    def _nread0(self, holder: Any) -> int:
        self.clear_retry_flags()
        peer = self._peer
        if peer is None:
            return 0
        peer._request = 0
        used = peer._len
        if used == 0:
            # Nothing to read: behave exactly like a one-byte read attempt.
            r = self._read(1)
            return r if isinstance(r, int) else 0
        off = peer._off
        n = used if off + used <= peer._size else peer._size - off
        if isinstance(holder, list):
            view: memoryview = peer._view  # type: ignore[assignment]
            holder.append(view[off : off + n])
        return n

    def _nread(self, num: int, holder: Any) -> int:
        avail = self._nread0(holder)
        if num > avail:
            num = avail
        if num <= 0:
            return num
        if isinstance(holder, list) and holder:
            holder[0] = holder[0][:num]
        peer: PairBIO = self._peer  # type: ignore[assignment]
        left = peer._len - num
        peer._len = left
        if left:
            off = peer._off + num
            peer._off = 0 if off == peer._size else off
        else:
            peer._off = 0
        return num

    def _nwrite0(self, holder: Any) -> int:
        self.clear_retry_flags()
        if self._peer is None:
            return 0
        self._request = 0
        if self._closed:
            put_error(Lib.BIO, BIOReason.BROKEN_PIPE)
            return -1
        size = self._size
        used = self._len
        if used == size:
            self.set_retry_write()
            return -1
        start = self._off + used
        if start >= size:
            start -= size
        # No wrap-around for the non-copying interface: honouring the write
        # guarantee may take two nwrite calls.
        n = min(size - used, size - start)
        if isinstance(holder, list):
            view: memoryview = self._view  # type: ignore[assignment]
            holder.append(view[start : start + n])
        return n

    def _nwrite(self, num: int, holder: Any) -> int:
        space = self._nwrite0(holder)
        if num > space:
            num = space
        if num <= 0:
            return num
        if isinstance(holder, list) and holder:
            holder[0] = holder[0][:num]
        self._len += num
        return num


def bio_pair(size1: int = 0, size2: int = 0) -> tuple[PairBIO, PairBIO]:
    """BIO_new_bio_pair: two joined halves; ``size1``/``size2`` are their write buffer sizes.

    A size of 0 means the default (17 KiB, one maximum TLS record).
    """
    if size1 < 0 or size2 < 0:
        raise ValueError("BIO pair buffer sizes cannot be negative")
    b1 = PairBIO(size1)
    b2 = PairBIO(size2)
    if b1.make_pair(b2) != 1:  # pragma: no cover - two fresh halves always pair
        raise RuntimeError("BIO_make_bio_pair failed")
    return b1, b2
