"""Handshake state diagrams drawn from ``biokit.ssl.tls.states``' WRITE/READ tables.

One picture per (role, protocol).  Every state the tables mention for that
role and protocol is a box, stacked top to bottom in the order a walk from
``BEFORE`` first reaches it.  Edges:

* solid, blue: a write-phase row (``WRITE``): entering the target state writes
  its message; the label is the row's guard (``else`` for the fallback row);
* dashed, orange: a read-phase row (``READ``): the peer's message type that
  moves the machine, with its guard in brackets;
* a box with an orange bar on its left: a write row with target ``None``
  ("stop writing, read from the peer") starts there.

Forward edges curve on the right, backward edges on the left.  The SVG is
written by hand (no Graphviz), deterministic, with no scripts or fonts to fetch.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from html import escape

from biokit.ssl.tls import states
from biokit.ssl.tls.enums import HandshakeType
from biokit.ssl.tls.states import HandState, Proto, Role

__all__ = ["Edge", "edges", "render_svg", "render_table", "states_in_order"]

ROW_H = 46
BOX_H = 32
CHAR_W = 7.0
TOP = 40


@dataclass(frozen=True)
class Edge:
    """One row of one table."""

    src: HandState
    dst: HandState | None  # None: stop writing, read from the peer
    kind: str  # "write" or "read"
    label: str
    guard: str | None


def message_name(mtype: int) -> str:
    """``SERVER_HELLO`` -> ``ServerHello``; OpenSSL's CCS pseudo type -> ``ChangeCipherSpec``."""
    if mtype == getattr(states, "CCS_MSG", None):
        return "ChangeCipherSpec"
    try:
        name = HandshakeType(mtype).name
    except ValueError:
        return f"handshake({mtype})"
    return "".join(w.capitalize() for w in name.split("_"))


def state_name(s: HandState, role: Role) -> str:
    """The state's name as OpenSSL spells it for ``role``.

    ``HandState`` members are keyed by (long name, short name), so states that
    share both strings (``CW_CHANGE``/``SW_CHANGE``, ``CR_FINISHED``/``SR_FINISHED``...)
    are one member with two names; pick the one with the role's prefix.
    """
    names = [n for n, m in HandState.__members__.items() if m is s]
    prefix = "S" if role is Role.SERVER else "C"
    for n in names:
        if n[0] == prefix and n[1] in "RW" and n[2] == "_":
            return n
    return s.name


def _keys(role: Role, proto: Proto) -> list[HandState]:
    """The states that have rows for this role and protocol (ANY rows included)."""
    seen: dict[HandState, None] = {}
    for table in (states.WRITE, states.READ):
        for r, p, s in table:
            if r is role and p in (Proto.ANY, proto):
                seen.setdefault(s, None)
    return list(seen)


def edges(role: Role, proto: Proto) -> list[Edge]:
    """Every write and read row that applies to ``role`` speaking ``proto``."""
    out: list[Edge] = []
    for s in _keys(role, proto):
        rows = states.write_rows(role, proto, s)
        if rows:
            guarded = False
            for guard, dst in rows:
                label = guard if guard is not None else ("else" if guarded else "")
                guarded = guarded or guard is not None
                out.append(Edge(s, dst, "write", label, guard))
        reads = states.read_targets(role, proto, s)
        if reads:
            for mtype, (guard, dst) in reads.items():
                label = message_name(mtype) + (f" [{guard}]" if guard else "")
                out.append(Edge(s, dst, "read", label, guard))
    return out


def states_in_order(role: Role, proto: Proto) -> list[HandState]:
    """Top-to-bottom order: by longest path from BEFORE once loops are cut.

    A depth-first walk in table order finds the edges that close a loop (to a
    state still on the walk's stack: a HelloRetryRequest going back to the
    ClientHello, a KeyUpdate returning to OK); without them the graph is
    acyclic, and ranking each state by its longest path from BEFORE puts
    every edge of the main flow pointing down.  States nothing leads to (if a
    table lists one) come last.
    """
    es = [e for e in edges(role, proto) if e.dst is not None]
    succ: dict[HandState, list[HandState]] = {}
    for e in es:
        succ.setdefault(e.src, []).append(e.dst)  # type: ignore[arg-type]
    seen: list[HandState] = []
    back: set[tuple[HandState, HandState]] = set()
    on_stack: set[HandState] = set()

    def dfs(s: HandState) -> None:
        seen.append(s)
        on_stack.add(s)
        for t in succ.get(s, []):
            if t in on_stack:
                back.add((s, t))
            elif t not in seen:
                dfs(t)
        on_stack.discard(s)

    dfs(HandState.BEFORE)
    rank = {HandState.BEFORE: 0}
    # Longest path over the acyclic rest: relax in repeated passes (tiny graphs).
    for _ in range(len(seen)):
        changed = False
        for e in es:
            if e.src in rank and (e.src, e.dst) not in back and e.src is not e.dst:
                r = rank[e.src] + 1
                if rank.get(e.dst, -1) < r:  # type: ignore[arg-type]
                    rank[e.dst] = r  # type: ignore[index]
                    changed = True
        if not changed:
            break
    order = sorted(seen, key=lambda s: (rank.get(s, 0), seen.index(s)))
    for e in edges(role, proto):
        for st in (e.src, e.dst):
            if st is not None and st not in order:
                order.append(st)
    return order


def _w(text: str, size: float = 1.0) -> float:
    return len(text) * CHAR_W * size


def render_svg(role: Role, proto: Proto, title: str) -> str:
    """The diagram as a standalone SVG document."""
    order = states_in_order(role, proto)
    es = [e for e in edges(role, proto)]
    index = {s: i for i, s in enumerate(order)}
    box_w = max(
        max(_w(state_name(s, role)) for s in order),
        max(_w(s.long_name, 0.8) for s in order),
    ) + 20
    back_span = max([index[e.src] - index[e.dst] for e in es
                     if e.dst is not None and index[e.dst] < index[e.src]] + [0])
    left_room = 60 + 22 * back_span + 150
    x0 = left_room
    x1 = x0 + box_w
    fwd_span = max([index[e.dst] - index[e.src] for e in es
                    if e.dst is not None and index[e.dst] > index[e.src]] + [1])
    width = x1 + 40 + 26 * fwd_span + 260
    height = TOP + len(order) * ROW_H + 60
    reads_from = {e.src for e in es if e.kind == "write" and e.dst is None}

    def yc(i: int) -> float:
        return TOP + 20 + i * ROW_H + BOX_H / 2

    parts: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="DejaVu Sans Mono, Menlo, '
        f'Consolas, monospace" font-size="12" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        "<defs>"
        '<marker id="aw" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#1f4e9c"/></marker>'
        '<marker id="ar" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#c25e00"/></marker>'
        "</defs>",
        '<rect width="100%" height="100%" fill="white"/>',
        f'<text x="10" y="22" font-size="14" font-weight="bold">{escape(title)}</text>',
    ]
    labels: list[str] = []
    placer = _Placer()
    # Per-box attachment slots so arcs leaving or entering one box do not coincide.
    slots_r: dict[int, int] = {}
    slots_l: dict[int, int] = {}

    def slot(table: dict[int, int], i: int) -> float:
        n = table.get(i, 0)
        table[i] = n + 1
        return [0, -8, 8, -4, 4, -12, 12][n % 7]

    for e in es:
        if e.dst is None:
            continue
        i, j = index[e.src], index[e.dst]
        color, marker = ("#1f4e9c", "aw") if e.kind == "write" else ("#c25e00", "ar")
        dash = "" if e.kind == "write" else ' stroke-dasharray="5,3"'
        style = f'fill="none" stroke="{color}" stroke-width="1.4"{dash} marker-end="url(#{marker})"'
        text = escape(e.label)
        if i == j:
            y = yc(i)
            parts.append(
                f'<path d="M{x1:.1f},{y - 6:.1f} C{x1 + 46:.1f},{y - 26:.1f} '
                f'{x1 + 46:.1f},{y + 26:.1f} {x1:.1f},{y + 6:.1f}" {style}/>'
            )
            labels.append(_label(x1 + 42, y + 4, text, color, placer=placer))
        elif j == i + 1 and not any(
            f is not e and f.src is e.src and f.dst is e.dst for f in es
        ):
            xm = x0 + box_w / 2
            y_a = yc(i) + BOX_H / 2
            y_b = yc(j) - BOX_H / 2
            parts.append(f'<path d="M{xm:.1f},{y_a:.1f} L{xm:.1f},{y_b:.1f}" {style}/>')
            if text:
                labels.append(_label(xm + 6, (y_a + y_b) / 2 + 4, text, color, placer=placer))
        elif j > i:
            span = j - i
            ya = yc(i) + slot(slots_r, i)
            yb = yc(j) + slot(slots_r, j)
            xc = x1 + 30 + 26 * span
            parts.append(
                f'<path d="M{x1:.1f},{ya:.1f} C{xc:.1f},{ya:.1f} {xc:.1f},{yb:.1f} '
                f'{x1 + 2:.1f},{yb:.1f}" {style}/>'
            )
            apex = x1 + 0.75 * (xc - x1)
            labels.append(_label(apex + 4, (ya + yb) / 2 + 4, text, color, placer=placer))
        else:
            span = i - j
            ya = yc(i) + slot(slots_l, i)
            yb = yc(j) + slot(slots_l, j)
            xc = x0 - 30 - 22 * span
            parts.append(
                f'<path d="M{x0:.1f},{ya:.1f} C{xc:.1f},{ya:.1f} {xc:.1f},{yb:.1f} '
                f'{x0 - 2:.1f},{yb:.1f}" {style}/>'
            )
            apex = x0 - 0.75 * (x0 - xc)
            labels.append(_label(apex - 4, (ya + yb) / 2 + 4, text, color, anchor="end",
                                 placer=placer))
    for i, s in enumerate(order):
        y = yc(i) - BOX_H / 2
        fill = "#eef6ee" if s in (HandState.BEFORE, HandState.OK) else "#f4f6fb"
        parts.append(
            f'<rect x="{x0:.1f}" y="{y:.1f}" width="{box_w:.1f}" height="{BOX_H}" rx="5" '
            f'fill="{fill}" stroke="#333" stroke-width="1"/>'
        )
        if s in reads_from:
            parts.append(
                f'<rect x="{x0:.1f}" y="{y:.1f}" width="5" height="{BOX_H}" fill="#c25e00"/>'
            )
        parts.append(
            f'<text x="{x0 + 10:.1f}" y="{y + 14:.1f}" font-weight="bold">'
            f"{escape(state_name(s, role))}</text>"
        )
        parts.append(
            f'<text x="{x0 + 10:.1f}" y="{y + 27:.1f}" font-size="9.6" fill="#555">'
            f"{escape(s.long_name)}</text>"
        )
    parts.extend(labels)
    ly = height - 24
    parts.append(
        f'<path d="M10,{ly} L50,{ly}" stroke="#1f4e9c" stroke-width="1.4" '
        f'marker-end="url(#aw)"/><text x="56" y="{ly + 4}">write phase row (guard)</text>'
        f'<path d="M250,{ly} L290,{ly}" stroke="#c25e00" stroke-width="1.4" '
        f'stroke-dasharray="5,3" marker-end="url(#ar)"/>'
        f'<text x="296" y="{ly + 4}">read phase row: peer message [guard]</text>'
        f'<rect x="560" y="{ly - 8}" width="5" height="16" fill="#c25e00"/>'
        f'<text x="570" y="{ly + 4}">writing stops here: read next</text>'
    )
    parts.append("</svg>\n")
    return "\n".join(parts)


class _Placer:
    """Greedy label placement: nudge a label up or down until it overlaps no other."""

    def __init__(self) -> None:
        self.rects: list[tuple[float, float, float, float]] = []

    def place(self, x: float, y: float, w: float) -> float:
        for dy in (0, 13, -13, 26, -26, 39, -39, 52):
            r = (x, y + dy - 10, x + w, y + dy + 3)
            if not any(r[0] < o[2] and o[0] < r[2] and r[1] < o[3] and o[1] < r[3]
                       for o in self.rects):
                self.rects.append(r)
                return y + dy
        self.rects.append((x, y - 10, x + w, y + 3))
        return y


def _label(
    x: float, y: float, text: str, color: str, anchor: str = "start",
    placer: _Placer | None = None,
) -> str:
    if not text:
        return ""
    w = len(text) * CHAR_W * 0.9 + 4
    rx = x - 2 if anchor == "start" else x - w + 2
    if placer is not None:
        y = placer.place(rx, y, w)
    return (
        f'<rect x="{rx:.1f}" y="{y - 10:.1f}" width="{w:.1f}" height="13" fill="white" '
        f'fill-opacity="0.85"/>'
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="10.8" fill="{color}" '
        f'text-anchor="{anchor}">{text}</text>'
    )


def render_table(role: Role, proto: Proto) -> str:
    """The same rows as a Markdown table, in diagram order."""
    order = states_in_order(role, proto)
    es = edges(role, proto)
    lines = [
        "| state | phase | on | next state |",
        "|---|---|---|---|",
    ]
    for s in order:
        for e in es:
            if e.src is not s:
                continue
            if e.kind == "write":
                on = f"`{e.guard}`" if e.guard else ("else" if e.label == "else" else "always")
                nxt = (f"`{state_name(e.dst, role)}`" if e.dst is not None
                       else "*stop writing: read*")
            else:
                name, _, guard = e.label.partition(" [")
                on = f"{name}" + (f" if `{guard.rstrip(']')}`" if guard else "")
                nxt = f"`{state_name(e.dst, role)}`" if e.dst is not None else ""
            lines.append(f"| `{state_name(s, role)}` | {e.kind} | {on} | {nxt} |")
    return "\n".join(lines) + "\n"


def all_diagrams() -> Iterable[tuple[str, Role, Proto, str]]:
    """(file stem, role, proto, title) of every diagram the docs show."""
    yield "states-server-tls13", Role.SERVER, Proto.TLS13, "Server, TLS 1.3"
    yield "states-client-tls13", Role.CLIENT, Proto.TLS13, "Client, TLS 1.3"
    yield "states-server-tls12", Role.SERVER, Proto.TLS12, "Server, TLS 1.2"
    yield "states-client-tls12", Role.CLIENT, Proto.TLS12, "Client, TLS 1.2"
