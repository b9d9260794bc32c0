"""The "from C to biokit" tables, generated from ``biokit/openssl.py`` itself.

The alias table is read twice: imported (to resolve every name to the object
it is bound to, and that object's docstring) and parsed with ``ast`` (to keep
the file's own order, its section headings and the comment at the end of each
line).  Nothing here is typed by hand, so the page cannot drift from the code.
"""

from __future__ import annotations

import ast
import enum
import inspect
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

__all__ = ["Alias", "aliases", "render"]

_SECTION = re.compile(r"^# [-=]{4,} (?P<title>.+?)\s*(?:-+)?\s*$")
_BANNER = re.compile(r"^# -{3,4} (?P<title>.+?) -{3,4}\s*$")


@dataclass(frozen=True)
class Alias:
    """One C name of ``biokit.openssl``."""

    c_name: str
    section: str
    spelling: str  # the right-hand side as written in openssl.py
    target: str  # dotted path of the callable/class it resolves to ('' for values)
    kind: str  # "class", "function", "method", "expansion", "constant"
    doc: str  # first line of the target's docstring, or the macro expansion
    note: str  # the comment at the end of the line in openssl.py
    value: str  # for constants: the value


def _first_line(obj: Any) -> str:
    doc = inspect.getdoc(obj) or ""
    return doc.strip().splitlines()[0].strip() if doc.strip() else ""


def _resolve(obj: Any) -> tuple[str, str, Any]:
    """(kind, dotted target, object whose docstring counts)."""
    if inspect.isclass(obj):
        return "class", f"{obj.__module__}.{obj.__qualname__}", obj
    func = getattr(obj, "__func__", obj)  # bound classmethods
    if inspect.isfunction(func) or inspect.isbuiltin(func):
        qual = func.__qualname__
        if "<locals>" in qual and not inspect.getdoc(func):
            # A closure made by a factory function: the factory's docstring
            # describes what it makes.
            outer = qual.split(".<locals>")[0]
            factory = getattr(sys.modules[func.__module__], outer, None)
            return "function", f"{func.__module__}.{outer}", factory or func
        kind = "method" if "." in qual else "function"
        return kind, f"{func.__module__}.{qual}", func
    return "constant", "", obj


def _value(obj: Any) -> str:
    if isinstance(obj, enum.Enum):
        v = obj.value
        shown = hex(v) if isinstance(v, int) and (v > 255 or type(obj).__name__ == "Op") else v
        return f"{type(obj).__name__}.{obj.name} = {shown}"
    if isinstance(obj, int):
        return str(obj)
    return repr(obj)


def aliases(module: ModuleType) -> list[Alias]:
    """Every name in ``module.__all__``, in source order, with section and target."""
    path = Path(inspect.getfile(module))
    src = path.read_text(encoding="utf-8")
    lines = src.splitlines()
    tree = ast.parse(src)
    exported = set(module.__all__)

    # Section headings are comments: map each line number to the heading above it.
    headings: list[tuple[int, str]] = []
    for no, line in enumerate(lines, 1):
        m = _BANNER.match(line) or _SECTION.match(line)
        if m is not None:
            headings.append((no, m["title"].strip()))

    def section_at(lineno: int) -> str:
        title = "Re-exported constants"
        major = ""
        for no, t in headings:
            if no > lineno:
                break
            if t.endswith("layer") or t.endswith("layer ----"):
                major = t.replace("----", "").strip()
                title = major
            else:
                title = f"{major}: {t}" if major else t
        return title

    out: list[Alias] = []
    seen: set[str] = set()

    def add(name: str, lineno: int, spelling: str, expansion: str | None = None) -> None:
        if name not in exported or name in seen:
            return
        seen.add(name)
        obj = getattr(module, name)
        comment = ""
        line = lines[lineno - 1]
        if "#" in line and not line.lstrip().startswith("#"):
            comment = line.split("#", 1)[1].strip()
            if comment.startswith("noqa"):
                comment = ""
        if expansion is not None:
            # A one-line macro expansion defined in the alias module itself.
            out.append(Alias(name, section_at(lineno), spelling, "", "expansion",
                             _first_line(obj) or f"expands to ``{expansion}``", comment, ""))
            return
        kind, target, docobj = _resolve(obj)
        if kind == "constant":
            out.append(Alias(name, section_at(lineno), spelling, "", kind, "", comment,
                             _value(obj)))
            return
        out.append(Alias(name, section_at(lineno), spelling, target, kind,
                         _first_line(docobj), comment, ""))

    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            tgt = node.targets[0]
            if isinstance(tgt, ast.Name):
                seg = ast.get_source_segment(src, node.value) or ""
                add(tgt.id, node.lineno, seg)
        elif isinstance(node, ast.FunctionDef):
            body = [s for s in node.body if not isinstance(s, ast.Expr)]
            expansion = ""
            if len(body) == 1:
                stmt = body[0]
                expr = stmt.value if isinstance(stmt, (ast.Return, ast.Expr)) else None
                if isinstance(stmt, ast.AugAssign):
                    expansion = ast.get_source_segment(src, stmt) or ""
                elif expr is not None:
                    expansion = ast.get_source_segment(src, expr) or ""
            args = ", ".join(a.arg for a in node.args.args)
            add(node.name, node.lineno, f"def {node.name}({args})", expansion=expansion)
        elif isinstance(node, ast.ImportFrom):
            for a in node.names:
                name = a.asname or a.name
                if name in exported:
                    add(name, node.lineno, f"{node.module}.{a.name}")

    missing = exported - seen
    # Names added to __all__ by the comprehension at the end of the file were
    # all bound by an assignment above; anything else would be a bug here.
    if missing:
        raise RuntimeError(f"aliases without a source line: {sorted(missing)}")
    return out


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    text = text.replace("|", "\\|")
    if "`" in text:
        return f"`` {text} ``"
    return f"`{text}`"


def _target_ref(a: Alias) -> str:
    # The alias module's own helpers have no reference entry.
    if a.target.startswith("biokit.openssl."):
        return f"`{a.target}`"
    if a.kind == "class":
        return f"{{py:class}}`~{a.target}`"
    if a.kind in ("method", "function"):
        role = "py:meth" if a.kind == "method" else "py:func"
        return f"{{{role}}}`~{a.target}`"
    return ""


def render(module: ModuleType) -> str:
    """The Markdown body of the "from C to biokit" page (tables, by section)."""
    items = aliases(module)
    funcs = [a for a in items if a.kind != "constant"]
    consts = [a for a in items if a.kind == "constant"]
    parts: list[str] = [
        f"{len(items)} C names: {len(funcs)} functions, methods and classes, "
        f"{len(consts)} constants.\n"
    ]
    section = None
    for a in funcs:
        if a.section != section:
            section = a.section
            parts.append(f"\n### {section}\n\n")
            parts.append("| C name | biokit | resolves to | what it does |\n|---|---|---|---|\n")
        spelled = _code(a.spelling)
        what = _cell(a.doc)
        if a.note:
            what = f"{what} *({_cell(a.note)})*" if what else f"*{_cell(a.note)}*"
        parts.append(f"| `{a.c_name}` | {spelled} | {_target_ref(a)} | {what} |\n")
    parts.append("\n## Constants\n")
    section = None
    for a in consts:
        if a.section != section:
            section = a.section
            parts.append(f"\n### {section}\n\n")
            parts.append("| C name | biokit | value |\n|---|---|---|\n")
        parts.append(f"| `{a.c_name}` | {_code(a.spelling)} | `{_cell(a.value)}` |\n")
    return "".join(parts)
