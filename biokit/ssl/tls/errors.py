"""The one exception type the engine raises: a protocol failure that carries its alert.

Below the SSL object nothing returns error codes and nothing touches the error
queue.  A handler that meets bad input raises ``TLSError(alert, reason)``; the
SSL object catches it at one boundary, puts the reason on the error queue,
queues the fatal alert once, marks the connection failed and returns -1
(rustls ``Error``, OpenSSL ``SSLfatal``).
"""

from __future__ import annotations

from biokit.errors import SSLReason
from biokit.ssl.tls.enums import AlertDescription

__all__ = ["DecodeError", "TLSError"]


class TLSError(Exception):
    """A fatal protocol error: the alert to send and the OpenSSL reason to report.

    ``alert`` is None when no alert must be sent (e.g. the peer's own fatal alert
    was received, or the transport failed).  ``first`` is a (library, reason)
    OpenSSL raises on its own just before the fatal one (it goes on the queue first).
    """

    def __init__(
        self,
        alert: AlertDescription | None,
        reason: SSLReason | int,
        detail: str = "",
        *,
        first: tuple[int, int] | None = None,
    ) -> None:
        self.alert = alert
        self.reason = int(reason)
        self.detail = detail
        self.first = first
        alert_name = alert.name if alert is not None else "no alert"
        super().__init__(f"{alert_name}: reason {int(reason)}" + (f" ({detail})" if detail else ""))


class DecodeError(TLSError):
    """Malformed bytes: decode_error with a length-mismatch reason unless told otherwise."""

    def __init__(
        self,
        detail: str = "",
        *,
        reason: SSLReason | int = SSLReason.LENGTH_MISMATCH,
        alert: AlertDescription = AlertDescription.decode_error,
    ) -> None:
        super().__init__(alert, reason, detail)
