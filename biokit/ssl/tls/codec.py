"""Byte-level TLS codec: a bounds-checked reader and a length-patching writer.

``Reader`` is OpenSSL's ``PACKET`` (``include/internal/packet.h``): a window
over borrowed bytes that never copies until asked for ``bytes``, where every
read either succeeds completely or raises ``DecodeError`` -- there is no
partially consumed state to clean up.  ``Writer`` is ``WPACKET``: it appends to
one ``bytearray`` and back-patches the length of each nested block when the
block closes (``WPACKET_start_sub_packet_u16`` ... ``WPACKET_close``).

Every truncation raises ``DecodeError`` with the reader's ``reason`` and
``alert``: OpenSSL reports different reasons for the same kind of failure
depending on where it happens (``SSL_R_LENGTH_MISMATCH`` in a ClientHello,
``SSL_R_BAD_EXTENSION`` inside an extension...), so a decoder sets them once
on its reader and sub-readers inherit them.

Writer misuse (a value too large for its field) is a programming error and
raises ``ValueError``, never a ``TLSError``.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from biokit.errors import SSLReason
from biokit.ssl.tls.enums import AlertDescription
from biokit.ssl.tls.errors import DecodeError

__all__ = ["Reader", "Writer", "pack_uint16s", "unpack_uint16s"]

_UINT_MAX = {1: 0xFF, 2: 0xFFFF, 3: 0xFFFFFF, 4: 0xFFFFFFFF}


def unpack_uint16s(data: bytes | memoryview) -> tuple[int, ...]:
    """A list of big-endian uint16 values (the caller checked the length is even)."""
    return struct.unpack(f">{len(data) >> 1}H", data)


def pack_uint16s(values: Sequence[int]) -> bytes:
    """The big-endian encoding of a list of uint16 values; ValueError when one does not fit."""
    try:
        return struct.pack(f">{len(values)}H", *values)
    except struct.error as exc:
        raise ValueError(f"uint16 out of range in {values!r}") from exc


class Reader:
    """A bounds-checked cursor over received bytes (OpenSSL's PACKET)."""

    __slots__ = ("_buf", "_end", "_pos", "alert", "reason")

    def __init__(
        self,
        data: bytes | bytearray | memoryview,
        *,
        reason: SSLReason | int = SSLReason.LENGTH_MISMATCH,
        alert: AlertDescription = AlertDescription.decode_error,
    ) -> None:
        """PACKET_buf_init: read ``data`` from its start to its end."""
        if isinstance(data, memoryview) and (data.ndim != 1 or data.format != "B"):
            data = data.cast("B")
        self._buf = data
        self._pos = 0
        self._end = len(data)
        self.reason: SSLReason | int = reason
        self.alert = alert

    @classmethod
    def _window(
        cls,
        buf: bytes | bytearray | memoryview,
        start: int,
        end: int,
        reason: SSLReason | int,
        alert: AlertDescription,
    ) -> Reader:
        sub = cls.__new__(cls)
        sub._buf = buf
        sub._pos = start
        sub._end = end
        sub.reason = reason
        sub.alert = alert
        return sub

    def _fail(self, detail: str) -> DecodeError:
        return DecodeError(detail, reason=self.reason, alert=self.alert)

    # -- fixed-size integers --------------------------------------------------------

    def uint8(self) -> int:
        """PACKET_get_1."""
        p = self._pos
        if p >= self._end:
            raise self._fail("truncated uint8")
        self._pos = p + 1
        return self._buf[p]

    def uint16(self) -> int:
        """PACKET_get_net_2."""
        p = self._pos
        if p + 2 > self._end:
            raise self._fail("truncated uint16")
        self._pos = p + 2
        b = self._buf
        return (b[p] << 8) | b[p + 1]

    def uint24(self) -> int:
        """PACKET_get_net_3."""
        p = self._pos
        if p + 3 > self._end:
            raise self._fail("truncated uint24")
        self._pos = p + 3
        b = self._buf
        return (b[p] << 16) | (b[p + 1] << 8) | b[p + 2]

    def uint32(self) -> int:
        """PACKET_get_net_4."""
        p = self._pos
        if p + 4 > self._end:
            raise self._fail("truncated uint32")
        self._pos = p + 4
        return int.from_bytes(self._buf[p : p + 4], "big")

    # -- opaque bytes ----------------------------------------------------------------

    def raw(self, n: int) -> bytes:
        """PACKET_copy_bytes: the next ``n`` bytes."""
        if n < 0:
            raise ValueError("negative length")
        p = self._pos
        if p + n > self._end:
            raise self._fail(f"truncated: {n} bytes wanted, {self._end - p} left")
        self._pos = p + n
        return bytes(self._buf[p : p + n])

    def rest(self) -> bytes:
        """PACKET_copy_all: everything left (possibly nothing)."""
        p = self._pos
        self._pos = self._end
        return bytes(self._buf[p : self._end])

    def _take(self, length_size: int, min_len: int, max_len: int | None) -> tuple[int, int]:
        # Like PACKET_get_length_prefixed_N, a failure leaves the cursor where it was.
        p = self._pos
        end = self._end
        if p + length_size > end:
            raise self._fail(f"truncated {8 * length_size}-bit length")
        b = self._buf
        n = b[p]
        for i in range(1, length_size):
            n = (n << 8) | b[p + i]
        p += length_size
        if p + n > end:
            raise self._fail(f"length {n} exceeds the {end - p} bytes left")
        if n < min_len:
            raise self._fail(f"length {n} below the minimum {min_len}")
        if max_len is not None and n > max_len:
            raise self._fail(f"length {n} above the maximum {max_len}")
        self._pos = p + n
        return p, p + n

    def vec8(self, min_len: int = 0, max_len: int | None = None) -> bytes:
        """PACKET_get_length_prefixed_1, copied out."""
        a, b = self._take(1, min_len, max_len)
        return bytes(self._buf[a:b])

    def vec16(self, min_len: int = 0, max_len: int | None = None) -> bytes:
        """PACKET_get_length_prefixed_2, copied out."""
        a, b = self._take(2, min_len, max_len)
        return bytes(self._buf[a:b])

    def vec24(self, min_len: int = 0, max_len: int | None = None) -> bytes:
        """PACKET_get_length_prefixed_3, copied out."""
        a, b = self._take(3, min_len, max_len)
        return bytes(self._buf[a:b])

    def sub8(self, min_len: int = 0, max_len: int | None = None) -> Reader:
        """PACKET_get_length_prefixed_1 as a sub-packet (no copy)."""
        a, b = self._take(1, min_len, max_len)
        return Reader._window(self._buf, a, b, self.reason, self.alert)

    def sub16(self, min_len: int = 0, max_len: int | None = None) -> Reader:
        """PACKET_get_length_prefixed_2 as a sub-packet (no copy)."""
        a, b = self._take(2, min_len, max_len)
        return Reader._window(self._buf, a, b, self.reason, self.alert)

    def sub24(self, min_len: int = 0, max_len: int | None = None) -> Reader:
        """PACKET_get_length_prefixed_3 as a sub-packet (no copy)."""
        a, b = self._take(3, min_len, max_len)
        return Reader._window(self._buf, a, b, self.reason, self.alert)

    # -- position ----------------------------------------------------------------------

    def remaining(self) -> int:
        """PACKET_remaining."""
        return self._end - self._pos

    def at_end(self) -> bool:
        """PACKET_remaining(pkt) == 0."""
        return self._pos >= self._end

    def tell(self) -> int:
        """The offset of the cursor in the underlying buffer (PACKET_data - start)."""
        return self._pos

    def expect_end(self, detail: str = "trailing bytes") -> None:
        """The ``PACKET_remaining(pkt) != 0`` check: leftover bytes are a decode error."""
        if self._pos != self._end:
            raise self._fail(f"{detail}: {self._end - self._pos} left")


class Writer:
    """An append-only encoder with back-patched nested lengths (OpenSSL's WPACKET)."""

    __slots__ = ("_buf",)

    def __init__(self) -> None:
        """WPACKET_init on a growable buffer."""
        self._buf = bytearray()

    def __len__(self) -> int:
        return len(self._buf)

    def uint8(self, v: int) -> None:
        """WPACKET_put_bytes_u8."""
        if not 0 <= v <= 0xFF:
            raise ValueError(f"uint8 out of range: {v}")
        self._buf.append(v)

    def uint16(self, v: int) -> None:
        """WPACKET_put_bytes_u16."""
        if not 0 <= v <= 0xFFFF:
            raise ValueError(f"uint16 out of range: {v}")
        self._buf += v.to_bytes(2, "big")

    def uint24(self, v: int) -> None:
        """WPACKET_put_bytes_u24."""
        if not 0 <= v <= 0xFFFFFF:
            raise ValueError(f"uint24 out of range: {v}")
        self._buf += v.to_bytes(3, "big")

    def uint32(self, v: int) -> None:
        """WPACKET_put_bytes_u32."""
        if not 0 <= v <= 0xFFFFFFFF:
            raise ValueError(f"uint32 out of range: {v}")
        self._buf += v.to_bytes(4, "big")

    def uint16s(self, values: Sequence[int]) -> None:
        """A run of uint16 values without a length prefix (e.g. a cipher suite list body)."""
        self._buf += pack_uint16s(values)

    def raw(self, b: bytes | bytearray | memoryview) -> None:
        """WPACKET_memcpy."""
        self._buf += b

    def _vec(self, size: int, b: bytes | bytearray | memoryview) -> None:
        n = len(b)
        if n > _UINT_MAX[size]:
            raise ValueError(f"{n} bytes do not fit a {size}-byte length")
        self._buf += n.to_bytes(size, "big")
        self._buf += b

    def vec8(self, b: bytes | bytearray | memoryview) -> None:
        """WPACKET_sub_memcpy_u8."""
        self._vec(1, b)

    def vec16(self, b: bytes | bytearray | memoryview) -> None:
        """WPACKET_sub_memcpy_u16."""
        self._vec(2, b)

    def vec24(self, b: bytes | bytearray | memoryview) -> None:
        """WPACKET_sub_memcpy_u24."""
        self._vec(3, b)

    @contextmanager
    def prefixed(self, size: int) -> Iterator[None]:
        """WPACKET_start_sub_packet_uN ... WPACKET_close: a length-prefixed nested block."""
        if size not in (1, 2, 3):
            raise ValueError(f"length prefix must be 1, 2 or 3 bytes, not {size}")
        buf = self._buf
        start = len(buf)
        buf += bytes(size)
        yield
        n = len(buf) - start - size
        if n > _UINT_MAX[size]:
            raise ValueError(f"{n} bytes do not fit a {size}-byte length")
        buf[start : start + size] = n.to_bytes(size, "big")

    def getvalue(self) -> bytes:
        """WPACKET_get_total_written + the buffer: everything written so far."""
        return bytes(self._buf)
