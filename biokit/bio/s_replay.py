"""ReplayBIO: a source/sink that plays back a RecordBIO recording (no OpenSSL equivalent).

The recording (format in ``biokit.bio.f_record``) holds two streams, kept
apart here: what was *read* (reads and gets) and what was *written* (writes,
puts and flushes).  Replaying:

* ``read(n)`` returns the recorded bytes, in order, at most ``n`` at a time
  (a smaller request than recorded leaves the rest of that record for the
  next read), and reproduces each recorded failure exactly -- the return
  value, the retry flags and reason, and ``eof()`` -- at the same point of the
  read stream.  Past the end of the recording reads return 0 (EOF).
* ``write(data)`` checks ``data`` against the recorded bytes and, if they
  match, takes exactly as many bytes as were taken then (a partial write
  stays partial); recorded write failures are reproduced likewise.  Any
  difference -- other bytes, a write where a failed flush was recorded, a
  write past the end -- raises ``ReplayMismatch`` (an ``AssertionError``)
  naming the record, its line, the byte offset in the write stream and both
  byte strings around the first difference.
* Flushes: whether code flushes often depends on ``wpending()`` of the BIOs
  that were recorded, which a recording cannot know.  So ``wpending()`` is 1
  exactly when the next write-side record is a flush (0 otherwise), a
  recorded flush *failure* is reproduced exactly, and successful flushes are
  optional: a write skips a recorded successful flush, and a flush with no
  flush recorded next succeeds (returns 1) without consuming anything.
* ``pending()`` is the number of bytes readable before the next recorded
  read failure.

With the same code, the same BIO chain and seeded randomness on the SSL
(``SSL.set_random_source`` and Ed25519/Ed448 certificates), a recorded
handshake replays byte for byte, retries included.
``check_done()`` asserts the whole recording was used.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, Any, ClassVar

from biokit.bio.core import BIO, BIOType, Ctrl
from biokit.bio.f_record import FORMAT_VERSION

__all__ = ["ReplayBIO", "ReplayMismatch"]

# OpenSSL has no type number for this; biokit's user range.
_BIO_TYPE_REPLAY = BIOType.REPLAY

_READ_OPS = ("read", "gets")
_WRITE_OPS = ("write", "puts", "flush")


class ReplayMismatch(AssertionError):
    """What the code under test wrote differs from the recording."""


@dataclass(slots=True)
class _Record:
    line: int
    op: str
    ret: int
    data: bytes
    retry: str | None
    reason: int
    eof: bool


def _parse(lines: Iterable[str]) -> tuple[list[_Record], list[_Record]]:
    reads: list[_Record] = []
    writes: list[_Record] = []
    header_seen = False
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        obj: dict[str, Any] = json.loads(line)
        if not header_seen:
            if obj.get("biokit") != "record" or obj.get("version") != FORMAT_VERSION:
                raise ValueError(
                    f"line {lineno}: not a biokit recording (version {FORMAT_VERSION}): {line!r}"
                )
            header_seen = True
            continue
        op = obj["op"]
        rec = _Record(
            lineno, op, int(obj["ret"]), bytes.fromhex(obj.get("data", "")),
            obj.get("retry"), int(obj.get("reason", 0)), bool(obj.get("eof", False)),
        )
        if op in _READ_OPS:
            reads.append(rec)
        elif op in _WRITE_OPS:
            writes.append(rec)
        else:
            raise ValueError(f"line {lineno}: unknown op {op!r}")
    if not header_seen:
        raise ValueError("empty recording (no header line)")
    return reads, writes


def _window(data: bytes | memoryview, at: int) -> str:
    lo = max(at - 8, 0)
    return bytes(data[lo : at + 8]).hex(" ") + (f" (from +{lo})" if lo else "")


class ReplayBIO(BIO):
    """A source/sink replaying a RecordBIO recording: reads replayed, writes checked."""

    bio_type: ClassVar[int] = _BIO_TYPE_REPLAY
    bio_name: ClassVar[str] = "replay"
    __slots__ = ("_at_eof", "_reads", "_ri", "_roff", "_wi", "_woff", "_writes", "written")

    def __init__(self, path_or_stream: str | os.PathLike[str] | IO[str]) -> None:
        super().__init__()
        if isinstance(path_or_stream, (str, os.PathLike)):
            with open(path_or_stream, encoding="ascii") as f:
                self._reads, self._writes = _parse(f)
        else:
            self._reads, self._writes = _parse(path_or_stream)
        self._ri = 0  # next read record
        self._roff = 0  # bytes of it already returned
        self._wi = 0
        self._woff = 0
        self._at_eof = False
        #: Bytes of the write stream checked and taken so far.
        self.written = 0

    # ---------------------------------------------------------------- reads

    def _apply_failure(self, rec: _Record) -> int:
        if rec.retry == "read":
            self.set_retry_read()
        elif rec.retry == "write":
            self.set_retry_write()
        elif rec.retry == "special":
            self.set_retry_special(rec.reason)
        return rec.ret

    def _read(self, size: int) -> bytes | int:
        return self._take(size, line=False)

    def _gets(self, size: int) -> bytes | int:
        return self._take(size - 1, line=True)

    def _take(self, size: int, *, line: bool) -> bytes | int:
        if self._ri >= len(self._reads):
            self._at_eof = True
            return 0
        rec = self._reads[self._ri]
        if not rec.data:
            self._ri += 1
            self._at_eof = rec.eof
            return self._apply_failure(rec)
        self._at_eof = False
        if size <= 0:
            return 0
        end = min(self._roff + size, len(rec.data))
        if line:
            nl = rec.data.find(b"\n", self._roff, end)
            if nl >= 0:
                end = nl + 1
        out = rec.data[self._roff : end]
        if end == len(rec.data):
            self._ri += 1
            self._roff = 0
        else:
            self._roff = end
        return out

    def _pending(self) -> int:
        n = 0
        i, off = self._ri, self._roff
        while i < len(self._reads) and self._reads[i].data:
            n += len(self._reads[i].data) - off
            i, off = i + 1, 0
        return n

    def _eof(self) -> bool:
        return self._at_eof or self._ri >= len(self._reads)

    # ---------------------------------------------------------------- writes

    def _expect(self, what: str) -> _Record:
        if self._wi >= len(self._writes):
            raise ReplayMismatch(
                f"replay: {what} at write-stream offset {self.written}, "
                "but the recording has no more writes"
            )
        return self._writes[self._wi]

    def _write(self, data: bytes | bytearray | memoryview) -> int:
        return self._check_write("write", data)

    def _puts(self, data: bytes) -> int:
        return self._check_write("puts", data) if data else 0

    def _check_write(self, op: str, data: bytes | bytearray | memoryview) -> int:
        rec = self._expect(f"{op} of {len(data)} bytes")
        while rec.op == "flush" and rec.ret > 0:
            self._wi += 1  # a successful flush is optional (see the module docstring)
            rec = self._expect(f"{op} of {len(data)} bytes")
        if rec.op == "flush":
            raise ReplayMismatch(
                f"replay: {op} of {len(data)} bytes at write-stream offset {self.written}, "
                f"but record #{self._wi} (line {rec.line}) is a failed flush"
            )
        if not rec.data:
            self._wi += 1
            return self._apply_failure(rec)
        exp = memoryview(rec.data)[self._woff :]
        n = min(len(data), len(exp))
        got = memoryview(data)[:n]
        if got != exp[:n]:
            at = next(i for i in range(n) if got[i] != exp[i])
            raise ReplayMismatch(
                f"replay: written bytes differ from record #{self._wi} (line {rec.line}) "
                f"at write-stream offset {self.written + at} (+{self._woff + at} in the "
                f"record): expected {_window(exp, at)}, got {_window(got, at)}"
            )
        if n == len(exp):
            self._wi += 1
            self._woff = 0
        else:
            self._woff += n
        self.written += n
        return n

    def _next_is_flush(self) -> bool:
        return self._wi < len(self._writes) and self._writes[self._wi].op == "flush"

    def _wpending(self) -> int:
        return 1 if self._next_is_flush() else 0

    def _flush(self) -> int:
        if not self._next_is_flush():
            return 1
        rec = self._writes[self._wi]
        self._wi += 1
        if rec.ret <= 0:
            self._apply_failure(rec)
        return rec.ret

    # ---------------------------------------------------------------- state

    def remaining(self) -> tuple[int, int]:
        """(read records, write records) not yet replayed; successful flushes are not counted."""
        writes = sum(
            1 for rec in self._writes[self._wi :] if not (rec.op == "flush" and rec.ret > 0)
        )
        return len(self._reads) - self._ri, writes

    def check_done(self) -> None:
        """Raise ``ReplayMismatch`` unless every recorded read and write was replayed."""
        r, w = self.remaining()
        if r or w or self._roff or self._woff:
            raise ReplayMismatch(
                f"replay not finished: {r} read record(s) and {w} write/flush record(s) left"
                + (f" (next write-side record at line {self._writes[self._wi].line})" if w else "")
                + (f" (next read at line {self._reads[self._ri].line})" if r else "")
            )

    def _ctrl(self, cmd: int, larg: int, parg: Any) -> int:
        if cmd == Ctrl.DUP:
            return 0
        return super()._ctrl(cmd, larg, parg)
