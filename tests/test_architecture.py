"""The layering DESIGN.md draws, kept by tests: arrows point down only.

* the TLS engine (biokit/ssl/tls) is sans-I/O: no biokit.bio, socket, select,
  trio or asyncio, and nothing above it (the SSL object, the context);
* BIOs know nothing of TLS: nothing in biokit/bio imports biokit.ssl;
* each dependency in one room: only biokit/trio.py imports trio, only
  biokit/ssl/verify.py imports cryptography.x509.verification;
* only the CLI prints;
* the error queue is the bottom layer.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "biokit"


def _modules(sub: str = "") -> list[Path]:
    return sorted((ROOT / sub).rglob("*.py"))


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            # "from cryptography.x509 import verification" imports a module too.
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _hits(imports: set[str], forbidden: tuple[str, ...]) -> list[str]:
    return sorted(
        name for name in imports for bad in forbidden if name == bad or name.startswith(bad + ".")
    )


@pytest.mark.parametrize("path", _modules("ssl/tls"), ids=lambda p: p.name)
def test_engine_modules_are_sans_io(path: Path) -> None:
    forbidden = (
        "biokit.bio", "socket", "select", "selectors", "trio", "asyncio", "ssl",
        "biokit.ssl.ssl", "biokit.ssl.context", "biokit.ssl.bio_ssl", "biokit.cli",
    )
    assert _hits(_imports(path), forbidden) == []


def test_importing_the_engine_loads_no_bio_and_no_trio() -> None:
    # The packages above the engine (biokit, biokit.ssl) are stood in for by bare
    # package objects, so that only what the engine itself imports gets loaded.
    code = (
        "import sys, importlib, pathlib, types\n"
        "for name, path in (('biokit', 'biokit'), ('biokit.ssl', 'biokit/ssl')):\n"
        "    pkg = types.ModuleType(name); pkg.__path__ = [path]; sys.modules[name] = pkg\n"
        "for p in sorted(pathlib.Path('biokit/ssl/tls').glob('*.py')):\n"
        "    importlib.import_module('biokit.ssl.tls.' + p.stem if p.stem != '__init__'"
        " else 'biokit.ssl.tls')\n"
        "bad = [m for m in ('biokit.bio', 'trio', 'biokit.ssl.ssl') if m in sys.modules]\n"
        "print(bad)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT.parent, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("path", _modules("bio"), ids=lambda p: p.name)
def test_bios_know_nothing_of_tls(path: Path) -> None:
    assert _hits(_imports(path), ("biokit.ssl", "biokit.testing", "biokit.cli", "trio")) == []


def test_trio_only_in_the_adapter() -> None:
    users = [p.relative_to(ROOT).as_posix() for p in _modules() if _hits(_imports(p), ("trio",))]
    # The benchmark reaches trio (trio.SSLStream, memory streams, trio.run) only
    # through biokit.trio's small helpers.
    assert users == ["trio.py"]


def test_x509_verification_only_in_verify() -> None:
    users = [
        p.relative_to(ROOT).as_posix()
        for p in _modules()
        if _hits(_imports(p), ("cryptography.x509.verification",))
    ]
    assert users == ["ssl/verify.py"]


def test_only_the_cli_prints() -> None:
    printers = []
    for path in _modules():
        if path.relative_to(ROOT).parts[0] == "cli":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "print"
            ):
                printers.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert printers == []


def test_the_error_queue_is_the_bottom_layer() -> None:
    assert [n for n in _imports(ROOT / "errors.py") if n.startswith("biokit")] == []


def test_openssl_alias_table_has_no_classes() -> None:
    # A thin alias table: names bound to biokit callables, no classes of its own.
    tree = ast.parse((ROOT / "openssl.py").read_text())
    assert not [n for n in tree.body if isinstance(n, ast.ClassDef)]
