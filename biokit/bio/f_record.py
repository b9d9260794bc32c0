"""RecordBIO: a transparent filter that writes down everything crossing it (no OpenSSL equivalent).

Put it anywhere in a chain; it changes nothing (every call goes to ``next``
and ``next``'s retry flags are copied back) but appends one JSON line per
read, gets, write, puts and flush to a file or text stream: the bytes moved,
the C return value, the retry flags and reason, and for failed reads whether
``next`` was at EOF.  ``ReplayBIO`` (``biokit.bio.s_replay``) plays such a
recording back as a source/sink.

Format (JSON lines, one object per line)::

    {"biokit":"record","version":1}                      header, first line
    {"op":"read","n":5,"ret":5,"data":"1603030040"}       bytes as hex
    {"op":"read","n":5,"ret":-1,"retry":"read"}           a retry: nothing moved
    {"op":"read","n":5,"ret":0,"eof":true}                EOF (no retry flag)
    {"op":"write","n":245,"ret":245,"data":"16030100f0..."}  ``n`` = bytes offered
    {"op":"write","n":80,"ret":-1,"retry":"special","reason":2}
    {"op":"flush","ret":1}

``op`` is ``read``, ``gets``, ``write``, ``puts`` or ``flush``; ``retry`` is
``read``, ``write`` or ``special`` (with ``reason``, a BIO_RR_* number) and is
present exactly when ``should_retry()`` was true after the call.
Queries (``pending``, ``wpending``, ``eof``) are not recorded: they move no
bytes.  A path given to the constructor is opened (line buffered) and closed
with the BIO; a stream given to it is written to and left open.
"""

from __future__ import annotations

import json
import os
from typing import IO, Any, ClassVar

from biokit.bio.core import BIO, BIOType, FilterBIO

__all__ = ["FORMAT_VERSION", "RecordBIO"]

FORMAT_VERSION = 1

# OpenSSL has no type number for this; biokit's user range, like PREFIX.
_BIO_TYPE_RECORD = BIOType.RECORD


def retry_fields(bio: BIO) -> dict[str, Any]:
    """The ``retry``/``reason`` fields describing ``bio``'s retry state (empty if none)."""
    if not bio.should_retry():
        return {}
    if bio.should_read():
        return {"retry": "read"}
    if bio.should_write():
        return {"retry": "write"}
    return {"retry": "special", "reason": bio.retry_reason}


class RecordBIO(FilterBIO):
    """A pass-through filter that records every byte and retry event as JSON lines."""

    bio_type: ClassVar[int] = _BIO_TYPE_RECORD
    bio_name: ClassVar[str] = "record"
    __slots__ = ("_out", "_owned", "records")

    def __init__(self, path_or_stream: str | os.PathLike[str] | IO[str]) -> None:
        super().__init__()
        if isinstance(path_or_stream, (str, os.PathLike)):
            self._out: IO[str] = open(path_or_stream, "w", encoding="ascii", buffering=1)  # noqa: SIM115
            self._owned = True
        else:
            self._out = path_or_stream
            self._owned = False
        #: Number of events recorded so far (header not counted).
        self.records = 0
        self._emit({"biokit": "record", "version": FORMAT_VERSION})

    def _emit(self, obj: dict[str, Any]) -> None:
        self._out.write(json.dumps(obj, separators=(",", ":")) + "\n")

    def _note(self, obj: dict[str, Any]) -> None:
        self.records += 1
        self._emit(obj)

    def _read_event(self, op: str, size: int, r: bytes | int) -> bytes | int:
        self.copy_next_retry()
        if isinstance(r, bytes):
            if r:
                self._note({"op": op, "n": size, "ret": len(r), "data": r.hex()})
                return r
            r = 0
        obj: dict[str, Any] = {"op": op, "n": size, "ret": r}
        obj.update(retry_fields(self))
        nb = self.next
        if "retry" not in obj and nb is not None and nb.eof():
            obj["eof"] = True
        self._note(obj)
        return r

    def _read(self, size: int) -> bytes | int:
        nb = self.next
        if nb is None:
            return 0
        return self._read_event("read", size, nb.read_c(size))

    def _gets(self, size: int) -> bytes | int:
        nb = self.next
        if nb is None:
            return 0
        return self._read_event("gets", size, nb.gets_c(size))

    def _write_event(self, op: str, data: bytes | bytearray | memoryview, n: int) -> int:
        self.copy_next_retry()
        obj: dict[str, Any] = {"op": op, "n": len(data), "ret": n}
        if n > 0:
            obj["data"] = memoryview(data)[:n].hex()
        else:
            obj.update(retry_fields(self))
        self._note(obj)
        return n

    def _write(self, data: bytes | bytearray | memoryview) -> int:
        nb = self.next
        if nb is None:
            return 0
        return self._write_event("write", data, nb.write(data))

    def _puts(self, data: bytes) -> int:
        nb = self.next
        if nb is None:
            return 0
        return self._write_event("puts", data, nb.puts(data))

    def _flush(self) -> int:
        nb = self.next
        if nb is None:
            return 0
        r = nb.flush()
        self.copy_next_retry()
        obj: dict[str, Any] = {"op": "flush", "ret": r}
        obj.update(retry_fields(self))
        self._note(obj)
        return r

    def _destroy(self) -> None:
        if self._owned:
            self._out.close()
        else:
            self._out.flush()
