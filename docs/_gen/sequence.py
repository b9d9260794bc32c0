"""A real handshake over a BIO pair, recorded with ``biokit.testing.pump``, drawn.

``record(pair_size)`` runs ``tls_pair(connect=False, pair_size=...)`` through
``pump(on_step=...)`` and keeps, for every call: who called what, the return
value, ``get_error()``, the state, the bytes read and written, the handshake
messages the call produced or consumed (from the msg callback), and how full
each ring of the BIO pair was afterwards.  ``render_svg`` draws it as a
sequence chart; ``render_table`` as Markdown.  Both come from the same run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

from biokit.bio import BIO
from biokit.ssl import SSL
from biokit.ssl.tls.enums import HandshakeType
from biokit.testing import Step, tls_pair

__all__ = ["Row", "record", "render_svg", "render_table"]


@dataclass
class Row:
    """One call of the recorded handshake."""

    step: Step
    produced: list[str] = field(default_factory=list)
    consumed: list[str] = field(default_factory=list)
    c2s: int = 0  # bytes in the client's ring (written by the client, unread)
    s2c: int = 0

    @property
    def code(self) -> str:
        """``1`` or ``-1 WANT_READ`` and so on."""
        s = self.step
        return f"{s.ret}" if s.ret > 0 else f"{s.ret} {s.error.name}"


def _name(content_type: int, data: bytes) -> str | None:
    if content_type == 22 and data:
        try:
            return "".join(w.capitalize() for w in HandshakeType(data[0]).name.split("_"))
        except ValueError:
            return f"handshake({data[0]})"
    if content_type == 20:
        return "ChangeCipherSpec"
    if content_type == 21:
        return "Alert"
    return None


def _watch(ssl: SSL, out: list[tuple[bool, str]]) -> None:
    def cb(write_p: int, version: int, content_type: int, data: bytes, s: SSL) -> None:
        name = _name(content_type, bytes(data))
        if name is not None:
            out.append((bool(write_p), name))

    ssl.set_msg_callback(cb)


def record(pair_size: int = 0, kind: str = "ec256") -> tuple[list[Row], int]:
    """Run one handshake over ``bio_pair(pair_size, pair_size)``; (rows, ring size)."""
    pair = tls_pair(kind, pair_size=pair_size, connect=False)
    msgs = {"client": [], "server": []}  # type: dict[str, list[tuple[bool, str]]]
    _watch(pair.client, msgs["client"])
    _watch(pair.server, msgs["server"])
    cbio: BIO = pair.client_bios[0]
    sbio: BIO = pair.server_bios[0]
    rows: list[Row] = []

    def on_step(step: Step) -> None:
        seen = msgs[step.side]
        rows.append(Row(
            step,
            [n for w, n in seen if w],
            [n for w, n in seen if not w],
            cbio.wpending(),
            sbio.wpending(),
        ))
        seen.clear()

    pair.handshake(on_step=on_step)
    size = getattr(cbio, "get_write_buf_size", lambda: pair_size)()
    return rows, int(size)


def render_table(rows: list[Row]) -> str:
    """The transcript as a Markdown table."""
    out = [
        "| # | side | call | returns | state after | read | wrote "
        "| messages | client ring | server ring |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for i, r in enumerate(rows, 1):
        s = r.step
        msgs = []
        if r.consumed:
            msgs.append("in: " + ", ".join(r.consumed))
        if r.produced:
            msgs.append("out: " + ", ".join(r.produced))
        out.append(
            f"| {i} | {s.side} | `{s.call}` | `{r.code}` | {s.state} | {s.bytes_read} "
            f"| {s.bytes_written} | {'; '.join(msgs)} | {r.c2s} | {r.s2c} |"
        )
    return "\n".join(out) + "\n"


_COLORS = {"WANT_READ": "#1f4e9c", "WANT_WRITE": "#b3261e", "NONE": "#2e7d32"}


def render_svg(rows: list[Row], ring: int, title: str) -> str:
    """A sequence chart: client lifeline, the BIO pair's two rings, server lifeline."""
    row_h = 64
    top = 80
    xc, xp, xs = 250, 560, 870  # client, pair, server lifelines
    width = 1120
    height = top + row_h * len(rows) + 50
    p: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans Mono, Menlo, Consolas, '
        f'monospace" font-size="12" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        '<defs><marker id="m" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#444"/></marker></defs>',
        '<rect width="100%" height="100%" fill="white"/>',
        f'<text x="10" y="22" font-size="14" font-weight="bold">{escape(title)}</text>',
    ]
    for x, name in ((xc, "client SSL"), (xp, f"BIO pair ({ring}-byte rings)"), (xs, "server SSL")):
        p.append(f'<text x="{x}" y="{top - 30}" text-anchor="middle" '
                 f'font-weight="bold">{escape(name)}</text>')
        dash = ' stroke-dasharray="2,3"' if x != xp else ""
        p.append(f'<path d="M{x},{top - 20} L{x},{height - 30}" stroke="#999"{dash}/>')
    p.append(f'<text x="{xp}" y="{top - 14}" text-anchor="middle" font-size="10" '
             f'fill="#555">c-&gt;s ring | s-&gt;c ring (bytes waiting)</text>')
    for i, r in enumerate(rows):
        s = r.step
        y = top + i * row_h + 14
        client = s.side == "client"
        x = xc if client else xs
        color = _COLORS.get(s.error.name if s.ret <= 0 else "NONE", "#6a1b9a")
        # The call and its result, on the caller's outer side.
        anchor, tx = ("end", x - 12) if client else ("start", x + 12)
        p.append(f'<text x="{tx}" y="{y}" text-anchor="{anchor}">[{i + 1}] '
                 f'{escape(s.call)}</text>')
        p.append(f'<text x="{tx}" y="{y + 15}" text-anchor="{anchor}" fill="{color}" '
                 f'font-weight="bold">= {escape(r.code)}</text>')
        p.append(f'<text x="{tx}" y="{y + 29}" text-anchor="{anchor}" font-size="9.6" '
                 f'fill="#555">{escape(s.state)}</text>')
        p.append(f'<rect x="{x - 5}" y="{y - 12}" width="10" height="46" fill="{color}" '
                 f'fill-opacity="0.25" stroke="{color}"/>')
        # Bytes moved between the caller and its half of the pair.
        inner = xp - 8 if client else xp + 8
        near = x + 6 if client else x - 6
        # A call reads first (what it needs), then writes (what it produced).
        if s.bytes_read:
            label = f"read {s.bytes_read}"
            label += ": " + (", ".join(r.consumed) if r.consumed else "(part of a record)")
            p.append(f'<path d="M{inner},{y - 2} L{near},{y - 2}" stroke="#444" '
                     f'stroke-dasharray="4,2" marker-end="url(#m)"/>')
            p.append(_arrow_label((near + inner) / 2, y - 6, label))
        if s.bytes_written:
            label = f"wrote {s.bytes_written}"
            label += (": " + ", ".join(r.produced)) if r.produced else " (rest of the flight)"
            p.append(f'<path d="M{near},{y + 22} L{inner},{y + 22}" stroke="#444" '
                     f'marker-end="url(#m)"/>')
            p.append(_arrow_label((near + inner) / 2, y + 18, label))
        # Ring levels after the call.
        for level, dx in ((r.c2s, -34), (r.s2c, 34)):
            frac = level / ring if ring else 0
            bx = xp + dx - 24
            p.append(f'<rect x="{bx}" y="{y + 28}" width="48" height="7" fill="none" '
                     f'stroke="#888" stroke-width="0.6"/>')
            if frac:
                p.append(f'<rect x="{bx}" y="{y + 28}" width="{48 * frac:.1f}" height="7" '
                         f'fill="#888"/>')
            p.append(f'<text x="{xp + dx}" y="{y + 46}" text-anchor="middle" font-size="9.6" '
                     f'fill="#555">{level}</text>')
    ly = height - 14
    p.append(
        f'<text x="10" y="{ly}" font-size="11"><tspan fill="{_COLORS["WANT_READ"]}" '
        f'font-weight="bold">WANT_READ</tspan>: the rbio had nothing to read.  '
        f'<tspan fill="{_COLORS["WANT_WRITE"]}" font-weight="bold">WANT_WRITE</tspan>: '
        f'the wbio (its ring) was full.  <tspan fill="{_COLORS["NONE"]}" '
        f'font-weight="bold">1</tspan>: done.</text>'
    )
    p.append("</svg>\n")
    return "\n".join(p)


def _arrow_label(x: float, y: float, text: str) -> str:
    if len(text) > 50:
        text = text[:48] + "..."
    w = len(text) * 5.8 + 4
    return (f'<rect x="{x - w / 2:.1f}" y="{y - 9}" width="{w:.1f}" height="11" fill="white" '
            f'fill-opacity="0.9"/><text x="{x:.1f}" y="{y}" text-anchor="middle" '
            f'font-size="9.6">{escape(text)}</text>')
