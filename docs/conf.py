"""Sphinx configuration for biokit's docs (MyST Markdown + autodoc).

Build strictly, as the tests do::

    sphinx-build -W -n -b html docs docs/_build/html

At the start of every build ``_gen/generate.py`` regenerates ``_generated/``:
the "from C to biokit" tables, the state diagrams, the recorded handshakes and
tutorial 2's tables all come from running biokit, not from typing.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_gen"))

project = "biokit"
author = "biokit developers"
copyright = "biokit developers"

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
]

source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "_generated", "_gen", "README.md", ".pytest_cache"]

myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

html_theme = "alabaster"
html_theme_options = {
    "description": "OpenSSL's I/O model, rebuilt in Python",
    "fixed_sidebar": True,
}
html_static_path: list[str] = []

# ----------------------------------------------------------------------------- autodoc

autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_default_options = {"members": True, "show-inheritance": True}
# The reference pages name their modules explicitly; a private helper stays out.
# biokit.testing.plugin imports pytest and biokit.testing.strategies hypothesis:
# the test extra installs both, the docs extra need not, so they are mocked
# (and documented all the same) only where they are missing.
autodoc_mock_imports: list[str] = [
    m for m in ("pytest", "hypothesis") if importlib.util.find_spec(m) is None
]

# nitpicky (-n) resolves every cross-reference.  Names from outside biokit that
# Sphinx cannot link without network access (no intersphinx here) are listed
# below, and only those: a missing biokit name still fails the build.
nitpicky = True
nitpick_ignore_regex = [
    ("py:class", r"(cryptography|trio|socket|select|enum|typing|collections|types|io|_io"
                 r"|datetime|random|hashlib|threading|ssl|os|pathlib|abc"
                 r"|pytest|_pytest|hypothesis)\..*"),
    ("py:class", r"(datetime|cx509\..*)"),
    ("py:mod", r"(hashlib|socket|select|ssl|trio)"),
    ("py:class", r"(IO|TextIO|BinaryIO|Callable|Iterator|Iterable|Sequence|Mapping|Buffer"
                 r"|ReadableBuffer|WriteableBuffer|TracebackType|Path|IntEnum|IntFlag|Enum"
                 r"|Protocol|NamedTuple|TypeVar|ClassVar|Any|Self|Awaitable|AsyncIterator)"),
    # Type variables and aliases that only exist for the type checker.
    ("py:class", r"(biokit\..*\.)?_[A-Za-z]\w*"),
    ("py:class", r"(biokit\..*\.)?[A-Z][A-Za-z]*(Callback|Rows|Key|Hook|Hooks|Params)"),
    ("py:obj", r"(biokit\..*\.)?_[A-Za-z]\w*"),
    ("py:class", r"(biokit\..*\.)?T_\w+"),
    ("py:obj", r"(biokit\..*\.)?T_\w+"),
    # Sphinx splits a stringified ``tuple[X, ...]`` annotation at the comma.
    ("py:class", r"tuple\[\w+"),
]


# Docstring text that reStructuredText misreads, fixed here until the source is:
# (module, pattern, replacement).  Each pattern only matches the unfixed text.
# (pattern fixes for docstrings that are not valid reST; none are needed now)
_DOCSTRING_FIXES: list[tuple[str, re.Pattern[str], str]] = []


def _docstring_fixes(app: Any, what: str, name: str, obj: Any, options: Any,
                     lines: list[str]) -> None:
    for module, pattern, repl in _DOCSTRING_FIXES:
        if name == module or name.startswith(module + "."):
            lines[:] = [pattern.sub(repl, line) for line in lines]


def _docstring_sections(app: Any, what: str, name: str, obj: Any, options: Any,
                        lines: list[str]) -> None:
    """Turn "Title / -----" headings inside docstrings into rubrics.

    biokit's module docstrings open with a "Theory of operation" section, which
    reStructuredText would treat as a document section (not allowed inside an
    autodoc entry).  A rubric keeps the heading and is legal anywhere.
    """
    i = 0
    while i < len(lines) - 1:
        title, rule = lines[i], lines[i + 1]
        if (title.strip() and re.fullmatch(r"\s*([-=~^])\1{2,}\s*", rule)
                and len(rule.strip()) >= len(title.strip())
                and (i == 0 or not lines[i - 1].strip())):
            lines[i:i + 2] = [f".. rubric:: {title.strip()}", ""]
        i += 1


def _optional_pages(app: Any, docname: str, source: list[str]) -> None:
    """Leave ``benchmarks`` out of the index's toctree while its page does not exist.

    ``docs/benchmarks.md`` is written separately (by the benchmark work); until it
    lands, a toctree entry for it would be a warning, and warnings fail the build.
    """
    if docname == "index" and not (DOCS / "benchmarks.md").exists():
        source[0] = re.sub(r"(?m)^benchmarks\n", "", source[0])


def _generate(app: Any) -> None:
    import generate

    generate.generate(DOCS)


def setup(app: Any) -> dict[str, Any]:
    app.connect("builder-inited", _generate)
    app.connect("source-read", _optional_pages)
    app.connect("autodoc-process-docstring", _docstring_sections)
    app.connect("autodoc-process-docstring", _docstring_fixes)
    return {"parallel_read_safe": True}
