"""Write everything the docs show that must come from the code, into ``docs/_generated/``.

Run by ``docs/conf.py`` at the start of every build (and usable alone:
``python docs/_gen/generate.py``).  Each product is computed from biokit
itself, so the pages cannot drift from it:

* ``c_to_biokit.md``: the alias table of ``biokit.openssl``;
* ``states-*.svg`` / ``states-*.md``: ``biokit.ssl.tls.states``' WRITE/READ tables;
* ``sequence-*.svg`` / ``sequence-*.md``: a real handshake recorded by ``pump``;
* ``accept-*.md``: the return values and ``get_error()`` codes of tutorial 2,
  produced by running that page's own code;
* ``doc-*.txt``: theory-of-operation docstrings, verbatim.

A file is rewritten only when its content changes, so Sphinx rebuilds only
the pages that include it.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import c_names  # noqa: E402
import mdexec  # noqa: E402
import sequence  # noqa: E402
import statediagram  # noqa: E402

__all__ = ["THEORY_MODULES", "generate"]

# Modules whose docstring the docs quote whole.
THEORY_MODULES = (
    "biokit.bio.core",
    "biokit.bio.s_pair",
    "biokit.bio.s_mem",
    "biokit.bio.f_nbio_test",
    "biokit.ssl.ssl",
    "biokit.ssl.tls.states",
    "biokit.ssl.tls.engine",
    "biokit.stream",
    "biokit.trio",
)

# The small BIO pair of the sequence chart: small enough that the server's
# first flight does not fit, so WANT_WRITE shows up next to WANT_READ.
SMALL_PAIR = 256

ACCEPT_PAGE = "tutorials/accept.md"


def _write(path: Path, text: str, written: list[Path]) -> None:
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    written.append(path)


def _calls_table(calls: Sequence[Any]) -> str:
    rows = ["| # | call | returns | `get_error()` | state after the call |",
            "|---|---|---|---|---|"]
    for i, c in enumerate(calls, 1):
        rows.append(f"| {i} | `{c.call}` | `{c.ret}` | `SSL_ERROR_{c.error}` | {c.state} |")
    return "\n".join(rows) + "\n"


def _accept_runs(docs: Path, out: Path, written: list[Path]) -> None:
    """Run tutorial 2's code and write the tables of what each call returned."""
    ns = mdexec.run_page(docs / ACCEPT_PAGE)
    for name in ("blocking_calls", "nbio_calls", "pair_calls"):
        _write(out / f"accept-{name.replace('_calls', '')}.md", _calls_table(ns[name]), written)
    inside = ns["blocking_states"]
    lines = [f"{i:2d}. {s}" for i, s in enumerate(inside, 1)]
    _write(out / "accept-blocking-inside.txt", "\n".join(lines) + "\n", written)


def generate(docs: Path | None = None, out: Path | None = None) -> list[Path]:
    """Regenerate every product into ``out`` (default ``docs/_generated``); the paths."""
    import biokit.openssl

    docs = docs if docs is not None else HERE.parent
    out = out if out is not None else docs / "_generated"
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    _write(out / "c_to_biokit.md", c_names.render(biokit.openssl), written)

    for stem, role, proto, title in statediagram.all_diagrams():
        _write(out / f"{stem}.svg", statediagram.render_svg(role, proto, title), written)
        _write(out / f"{stem}.md", statediagram.render_table(role, proto), written)

    rows, ring = sequence.record(SMALL_PAIR)
    title = f"TLS 1.3 handshake over bio_pair({ring}, {ring}), driven by biokit.testing.pump"
    _write(out / "sequence-small.svg", sequence.render_svg(rows, ring, title), written)
    _write(out / "sequence-small.md", sequence.render_table(rows), written)
    rows, ring = sequence.record(0)
    title = f"TLS 1.3 handshake over bio_pair() ({ring}-byte rings), driven by pump"
    _write(out / "sequence-default.svg", sequence.render_svg(rows, ring, title), written)
    _write(out / "sequence-default.md", sequence.render_table(rows), written)

    for modname in THEORY_MODULES:
        mod = __import__(modname, fromlist=["_"])
        doc = inspect.getdoc(mod) or ""
        _write(out / f"doc-{modname}.txt", doc.rstrip() + "\n", written)

    _accept_runs(docs, out, written)
    return written


if __name__ == "__main__":
    for p in generate():
        print(p)
