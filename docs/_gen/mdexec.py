"""Find the code examples in a MyST page and run them, in order, in one namespace.

The rule the docs follow (and ``tests/test_docs.py`` enforces, through
:func:`check`): every fenced block is either *code that runs* or *plain text*.

* ```` ```python ```` blocks are executed with ``exec``.
* ```` ```pycon ```` blocks are interactive sessions, checked with ``doctest``:
  the output shown after each ``>>>`` line is the output the call produces.
* The code directives ```` ```{code-block} python ```` (also ``{code}``,
  ``{sourcecode}``, and ``pycon``) are code too, and run the same way: a
  directive is no hiding place.  A code directive must name its language
  (without one, Sphinx highlights it as Python).
* Blocks in :data:`TEXT_LANGUAGES` (shell lines, program output, diagrams)
  are not Python and are not run.  Any other language is an error, so no
  Python example can hide from the tests under another name.
* ```` ```{eval-rst} ```` may not hold Python (``.. code-block:: python``,
  ``.. doctest::``, ``>>>`` lines): reStructuredText examples are not run, so
  they are refused.  Other directives (notes, admonitions) are looked into:
  the fences they hold follow the same rules.

Fences may use backticks or tildes; ``:::{directive}`` colon fences (MyST's
``colon_fence``) are directives like ```` ```{directive} ````.

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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "CODE_DIRECTIVES",
    "CODE_LANGUAGES",
    "TEXT_LANGUAGES",
    "Block",
    "ExampleFailed",
    "all_blocks",
    "blocks",
    "check",
    "run_blocks",
    "run_page",
]

CODE_LANGUAGES = frozenset({"python", "pycon"})
TEXT_LANGUAGES = frozenset({"text", "console", "sh", "toml", "ini", "c", "none"})
# MyST directives whose body is code in the language named by their argument.
CODE_DIRECTIVES = frozenset({"code-block", "code", "sourcecode"})

# An opening fence: indentation, three or more backticks, tildes or colons, an
# info string.  (A backtick fence's info string cannot hold a backtick.)
_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,}|:{3,})(?P<info>.*)$")
# A directive's info string: ``{name}`` and its argument.
_DIRECTIVE = re.compile(r"^(?P<name>\{[^}\s]*\})\s*(?P<argument>.*)$")
# A directive option line at the top of a directive's body, or YAML's ``---``.
_OPTION = re.compile(r"^:[\w-]+:(\s.*)?$")
# Python in reStructuredText: a code directive for Python (or none: the default
# highlight language is Python), a doctest directive, or a session line.
_RST_PYTHON = re.compile(
    r"^\s*(\.\.\s+(code-block|code|sourcecode|highlight)::(\s*$|\s+(python3?|py|pycon|ipython3?)\b)"
    r"|\.\.\s+(doctest|testcode|testsetup|jupyter-execute)::"
    r"|>>>)",
    re.M,
)


@dataclass(frozen=True)
class Block:
    """One fenced block: where it starts, its language, its (dedented) source.

    For a directive fence (```` ```{name} argument ````) ``language`` is
    ``{name}`` and ``argument`` the rest of the info string.
    """

    path: Path
    line: int
    language: str
    source: str
    argument: str = ""

    @property
    def directive(self) -> str:
        """The directive's name (``code-block``...), or ``""`` for a plain fence."""
        lang = self.language
        return lang[1:-1] if lang.startswith("{") and lang.endswith("}") else ""

    @property
    def code_language(self) -> str:
        """The language of the code: a plain fence's, or a code directive's argument."""
        if self.directive in CODE_DIRECTIVES:
            return self.argument.split()[0] if self.argument.strip() else "none"
        return self.language

    @property
    def runs(self) -> bool:
        """True for the blocks that are executed."""
        if self.directive and self.directive not in CODE_DIRECTIVES:
            return False
        return self.code_language in CODE_LANGUAGES

    @property
    def code(self) -> str:
        """The source to run: a code directive's options blanked (line numbers kept)."""
        if self.directive not in CODE_DIRECTIVES:
            return self.source
        lines = self.source.split("\n")
        if lines and lines[0].strip() == "---":
            end = next((k for k in range(1, len(lines)) if lines[k].strip() == "---"), 0)
            for k in range(end + 1):
                lines[k] = ""
        else:
            for k, line in enumerate(lines):
                if not _OPTION.match(line):
                    break
                lines[k] = ""
        return "\n".join(lines)

    def where(self) -> str:
        """``page.md:LINE`` for messages."""
        return f"{self.path.name}:{self.line}"


class ExampleFailed(AssertionError):
    """A docs example raised, or a ``pycon`` session printed something else."""


def _parse(path: Path, lines: list[str], offset: int) -> Iterator[Block]:
    """The fenced blocks among ``lines`` (line ``k`` is line ``offset + k + 1``)."""
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if m is None:
            i += 1
            continue
        fence, info = m["fence"], m["info"].strip()
        if (fence[0] == "`" and "`" in info) or (fence[0] == ":" and not info.startswith("{")):
            i += 1  # not an opening fence (inline code; a bare ":::" closes)
            continue
        indent = m["indent"]
        d = _DIRECTIVE.match(info)
        if d is not None:  # MyST reads the name up to the brace: "{code-block}python" too
            language, argument = d["name"], d["argument"]
        else:
            language, argument = [*info.split(None, 1), ""][:2] if info else ("none", "")
        start = offset + i + 1
        body: list[str] = []
        i += 1
        close = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        while i < len(lines) and not close.match(lines[i]):
            line = lines[i]
            body.append(line[len(indent):] if line.startswith(indent) else line.lstrip())
            i += 1
        i += 1  # the closing fence
        yield Block(path, start, language, "\n".join(body) + "\n", argument.strip())


def blocks(path: Path) -> Iterator[Block]:
    """Every top-level fenced block of a Markdown page, in order (directives included).

    A fence ``` ```{directive} args ``` (or ``:::{directive} args``) is reported
    with the directive as its language (``{mermaid}``, ``{eval-rst}``...), a
    bare fence as ``none``.  Fences nested in a directive: see :func:`all_blocks`.
    """
    return _parse(path, path.read_text(encoding="utf-8").splitlines(), 0)


def _walk(items: Iterable[Block], out: list[Block]) -> None:
    for b in items:
        out.append(b)
        # A directive whose body is Markdown (a note, an admonition) may hold
        # fences; code directives and eval-rst hold code and reST, not fences.
        if b.directive and b.directive not in CODE_DIRECTIVES and b.directive != "eval-rst":
            _walk(_parse(b.path, b.source.splitlines(), b.line), out)


def all_blocks(path: Path) -> list[Block]:
    """Every fenced block, with the fences nested in directives flattened in order."""
    out: list[Block] = []
    _walk(blocks(path), out)
    return out


def check(block: Block) -> str | None:
    """Why ``block`` breaks the docs' rule (see the module docstring), or None."""
    if block.directive == "eval-rst":
        m = _RST_PYTHON.search(block.source)
        if m is not None:
            return (
                f"Python inside {{eval-rst}} is never run ({m.group(0).strip()!r}): "
                "write it as a ```python or ```pycon fence"
            )
        return None
    if block.directive and block.directive not in CODE_DIRECTIVES:
        return None  # its nested fences are checked on their own
    lang = block.code_language
    if block.directive and not block.argument.strip():
        # Sphinx would highlight it in its default language, Python.
        return f"{block.language} names no language: say python, pycon or one of the text ones"
    if lang in CODE_LANGUAGES or lang in TEXT_LANGUAGES:
        return None
    what = f"{block.language} {lang}" if block.directive else "fence"
    return (
        f"{what} language {lang!r} is neither run ({sorted(CODE_LANGUAGES)}) "
        f"nor text ({sorted(TEXT_LANGUAGES)})"
    )


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
    test = parser.get_doctest(block.code, namespace, block.where(), str(block.path), block.line)
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
        if not b.runs:
            continue
        if b.code_language == "python":
            try:
                code = compile(b.code, f"{b.path}:{b.line}", "exec")
                exec(code, ns)
            except Exception as exc:
                raise ExampleFailed(
                    f"{b.where()}: {type(exc).__name__}: {exc}{_failing_line(exc, b)}"
                ) from exc
        else:
            _run_pycon(b, ns)


def run_page(path: Path) -> dict[str, Any]:
    """Run every example of one page, top to bottom, in a fresh namespace."""
    stem = re.sub(r"\W", "_", path.stem)
    return run_blocks(all_blocks(path), name=f"docs_example_{stem}")
