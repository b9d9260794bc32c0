"""Find the code examples in a MyST page and run them, in order, in one namespace.

The rule the docs follow (and ``tests/test_docs.py`` enforces): every fenced
block is either *code that runs* or *plain text*.

* ```` ```python ```` blocks are executed with ``exec``.
* ```` ```pycon ```` blocks are interactive sessions, checked with ``doctest``:
  the output shown after each ``>>>`` line is the output the call produces.
* Blocks in :data:`TEXT_LANGUAGES` (shell lines, program output, diagrams)
  are not Python and are not run.  Any other language is an error, so no
  Python example can hide from the tests under another name.

All the blocks of one page share one namespace, fresh for each page, so a
page reads top to bottom like a session.
"""

from __future__ import annotations

import doctest
import io
import re
import sys
import traceback
import types
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "CODE_LANGUAGES",
    "TEXT_LANGUAGES",
    "Block",
    "ExampleFailed",
    "blocks",
    "run_blocks",
    "run_page",
]

CODE_LANGUAGES = frozenset({"python", "pycon"})
TEXT_LANGUAGES = frozenset({"text", "console", "sh", "toml", "ini", "c", "none"})

# An opening fence: indentation, three or more backticks, an info string.
_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<ticks>`{3,})(?P<info>[^`]*)$")


@dataclass(frozen=True)
class Block:
    """One fenced block: where it starts, its language, its (dedented) source."""

    path: Path
    line: int
    language: str
    source: str

    @property
    def runs(self) -> bool:
        """True for the blocks that are executed."""
        return self.language in CODE_LANGUAGES

    def where(self) -> str:
        """``page.md:LINE`` for messages."""
        return f"{self.path.name}:{self.line}"


class ExampleFailed(AssertionError):
    """A docs example raised, or a ``pycon`` session printed something else."""


def blocks(path: Path) -> Iterator[Block]:
    """Every fenced block of a Markdown page, in order (MyST directives included).

    A fence ``` ```{directive} args ``` is reported with the directive as its
    language (``{mermaid}``, ``{eval-rst}``...), a bare fence as ``none``.
    """
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if m is None:
            i += 1
            continue
        indent, ticks = m["indent"], m["ticks"]
        info = m["info"].strip()
        language = info.split()[0] if info else "none"
        start = i + 1
        body: list[str] = []
        i += 1
        close = re.compile(rf"^[ \t]*`{{{len(ticks)},}}[ \t]*$")
        while i < len(lines) and not close.match(lines[i]):
            line = lines[i]
            body.append(line[len(indent):] if line.startswith(indent) else line.lstrip())
            i += 1
        i += 1  # the closing fence
        if language.startswith("{"):
            # A MyST directive: its own body may hold fences (an admonition
            # around an example); look inside it, then carry on after it.
            yield Block(path, start, language, "\n".join(body) + "\n")
            continue
        yield Block(path, start, language, "\n".join(body) + "\n")


def _inner_blocks(block: Block) -> list[Block]:
    """Fences nested inside a directive block (e.g. a note holding an example)."""
    lines = block.source.splitlines()
    out: list[Block] = []
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if m is None:
            i += 1
            continue
        ticks = m["ticks"]
        info = m["info"].strip()
        language = info.split()[0] if info else "none"
        body: list[str] = []
        i += 1
        close = re.compile(rf"^[ \t]*`{{{len(ticks)},}}[ \t]*$")
        first = block.line + i
        while i < len(lines) and not close.match(lines[i]):
            body.append(lines[i])
            i += 1
        i += 1
        out.append(Block(block.path, first, language, "\n".join(body) + "\n"))
    return out


def all_blocks(path: Path) -> list[Block]:
    """Every fenced block, with the fences nested in directives flattened in order."""
    out: list[Block] = []
    for b in blocks(path):
        if b.language.startswith("{"):
            out.append(b)
            out.extend(_inner_blocks(b))
        else:
            out.append(b)
    return out


def _failing_line(exc: BaseException, block: Block) -> str:
    """`` at page.md:N: <source line>`` for the innermost frame inside the block."""
    where = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == f"{block.path}:{block.line}" and frame.lineno is not None:
            lines = block.source.splitlines()
            text = lines[frame.lineno - 1].strip() if frame.lineno <= len(lines) else ""
            where = f"\n  at {block.path.name}:{block.line + frame.lineno}: {text}"
    return where


def _run_pycon(block: Block, namespace: dict[str, Any]) -> None:
    parser = doctest.DocTestParser()
    test = parser.get_doctest(block.source, namespace, block.where(), str(block.path), block.line)
    report = io.StringIO()
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False
    )
    runner.run(test, out=report.write, clear_globs=False)
    # DocTest works on a copy of the globals: carry the session's names forward.
    namespace.update(test.globs)
    if runner.failures:
        raise ExampleFailed(f"{block.where()}: session output differs\n{report.getvalue()}")


def run_blocks(items: list[Block], name: str = "docs_example") -> dict[str, Any]:
    """Run the code blocks among ``items`` in order in one fresh namespace; return it.

    The namespace is a real module registered in ``sys.modules`` while the
    blocks run, so that dataclasses, pickling and ``typing`` work in examples
    as they do in a file.
    """
    module = types.ModuleType(name)
    ns: dict[str, Any] = module.__dict__
    sys.modules[name] = module
    try:
        _run(items, ns)
    finally:
        sys.modules.pop(name, None)
    return ns


def _run(items: list[Block], ns: dict[str, Any]) -> None:
    for b in items:
        if b.language == "python":
            try:
                code = compile(b.source, f"{b.path}:{b.line}", "exec")
                exec(code, ns)
            except Exception as exc:
                raise ExampleFailed(
                    f"{b.where()}: {type(exc).__name__}: {exc}{_failing_line(exc, b)}"
                ) from exc
        elif b.language == "pycon":
            _run_pycon(b, ns)


def run_page(path: Path) -> dict[str, Any]:
    """Run every example of one page, top to bottom, in a fresh namespace."""
    stem = re.sub(r"\W", "_", path.stem)
    return run_blocks(all_blocks(path), name=f"docs_example_{stem}")
