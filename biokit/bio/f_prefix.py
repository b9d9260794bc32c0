"""BIO_f_prefix: prefix and indent every output line (OpenSSL 3.0's bf_prefix.c).

At the start of each output line the filter writes the prefix, then
``indent`` spaces, then the line.  "Start of a line" is the state after a
``\\n`` (and initially); the prefix is written lazily, just before the first
byte of the next line, so text ending in ``\\n`` is not followed by a dangling
prefix.  With no prefix and no indent, writes pass straight through, but the
filter still notes whether the next byte starts a line.  Reads and ``gets``
pass through; ``reset()`` (and a seek) starts a new line.

Retries: bf_prefix.c loops on short writes and, when ``next`` fails, returns 0
even after part of the data went down -- a caller retrying the same data then
duplicates it, and the retry flags are never copied.  Here the state is kept
exactly instead: the part of the prefix+indent not yet accepted by ``next`` is
remembered and sent before anything else, a failure after some data returns
the count already taken (with ``next``'s retry flags), and a failure before any
data returns ``next``'s value with its retry flags.  So no prefix byte or data
byte is lost or written twice, whatever ``next`` accepts.  ``flush()`` sends a
pending partial prefix first, then flushes ``next``; reads, ``gets`` and
``flush`` copy ``next``'s retry flags (bf_prefix.c leaves them unset).
"""

from __future__ import annotations

from typing import Any, ClassVar

from biokit.bio.core import BIO, BIOType, Ctrl, FilterBIO

__all__ = [
    "BIO_CTRL_GET_INDENT",
    "BIO_CTRL_SET_INDENT",
    "BIO_CTRL_SET_PREFIX",
    "PrefixBIO",
]

# ctrl numbers from <openssl/bio.h> that core.Ctrl does not carry yet.
BIO_CTRL_SET_PREFIX = 79
BIO_CTRL_SET_INDENT = 80
BIO_CTRL_GET_INDENT = 81


class PrefixBIO(FilterBIO):
    """A filter that prefixes and indents each output line (BIO_f_prefix)."""

    bio_type: ClassVar[int] = BIOType.PREFIX
    bio_name: ClassVar[str] = "prefix"
    __slots__ = ("_indent", "_linestart", "_pending_head", "_prefix")

    def __init__(self, prefix: bytes | str | None = b"", indent: int = 0) -> None:
        super().__init__()
        self._prefix = b""
        self._indent = 0
        self._linestart = True
        self._pending_head = b""  # prefix + indent bytes next has not taken yet
        self.set_prefix(prefix)
        if indent < 0:
            raise ValueError("indent must be >= 0")
        self.set_indent(indent)

    def set_prefix(self, prefix: bytes | str | None) -> int:
        """BIO_set_prefix: the text put before each future line (None or empty: none); 1."""
        return self.ctrl(BIO_CTRL_SET_PREFIX, 0, prefix)

    def set_indent(self, indent: int) -> int:
        """BIO_set_indent: spaces put after the prefix of each future line; 1, or 0 if < 0."""
        return self.ctrl(BIO_CTRL_SET_INDENT, indent)

    def get_indent(self) -> int:
        """BIO_get_indent: the current indentation."""
        return self.ctrl(BIO_CTRL_GET_INDENT)

    @property
    def prefix(self) -> bytes:
        """The current prefix (empty when none is set)."""
        return self._prefix

    # ---------------------------------------------------------------- writing

    def _send_head(self, nb: BIO) -> int:
        """Write the pending prefix+indent; 1 when it is all down, else ``next``'s value."""
        head = self._pending_head
        while head:
            r = nb.write(head)
            if r <= 0:
                self._pending_head = head
                self.copy_next_retry()
                return r
            head = head[r:]
        self._pending_head = b""
        return 1

    def _write(self, data: bytes | bytearray | memoryview) -> int:
        nb = self.next
        if nb is None:
            return 0
        if not self._prefix and not self._indent and not self._pending_head:
            r = nb.write(data)
            self.copy_next_retry()
            if r > 0:
                self._linestart = data[r - 1] == 10
            return r
        src = data.tobytes() if isinstance(data, memoryview) else data
        mv = memoryview(src)
        end = len(src)
        pos = 0
        while pos < end:
            if self._linestart:
                self._pending_head = self._prefix + b" " * self._indent
                self._linestart = False
            if self._pending_head:
                r = self._send_head(nb)
                if r <= 0:
                    return pos if pos > 0 else r
            nl = src.find(b"\n", pos)
            stop = end if nl < 0 else nl + 1
            while pos < stop:
                r = nb.write(mv[pos:stop])
                if r <= 0:
                    self.copy_next_retry()
                    return pos if pos > 0 else r
                pos += r
            if nl >= 0:
                self._linestart = True
        return pos

    def _puts(self, data: bytes) -> int:
        # prefix_puts is BIO_write on this very BIO.
        return self._write(data) if data else 0

    def _flush(self) -> int:
        nb = self.next
        if nb is None:
            return 0
        if self._pending_head:
            self.clear_retry_flags()
            r = self._send_head(nb)
            if r <= 0:
                return r
        r = nb.flush()
        self.copy_next_retry()
        return r

    # ---------------------------------------------------------------- control

    def _wpending(self) -> int:
        n = len(self._pending_head)
        if n:
            return n
        nb = self.next
        return nb.wpending() if nb is not None else 0

    def _ctrl(self, cmd: int, larg: int, parg: Any) -> int:
        if cmd == BIO_CTRL_SET_PREFIX:
            if parg is None:
                self._prefix = b""
            else:
                self._prefix = parg.encode() if isinstance(parg, str) else bytes(parg)
            return 1
        if cmd == BIO_CTRL_SET_INDENT:
            if larg < 0:
                return 0
            self._indent = larg
            return 1
        if cmd == BIO_CTRL_GET_INDENT:
            return self._indent
        if cmd in (Ctrl.PUSH, Ctrl.POP, Ctrl.GET_CLOSE, Ctrl.SET_CLOSE):
            return BIO._ctrl(self, cmd, larg, parg)
        if cmd in (Ctrl.RESET, Ctrl.C_FILE_SEEK):
            # The output starts over: a fresh line, and no half-written prefix.
            self._linestart = True
            self._pending_head = b""
        if cmd == Ctrl.FLUSH:
            return self._flush()
        if cmd == Ctrl.WPENDING:
            return self._wpending()
        nb = self.next
        if nb is None:
            return 0
        if cmd == Ctrl.PENDING:
            return nb.pending()
        if cmd == Ctrl.EOF:
            return 1 if nb.eof() else 0
        return nb.ctrl(cmd, larg, parg)

    def _reset(self) -> int:
        return self._ctrl(Ctrl.RESET, 0, None)
