"""The docs are part of the product: their examples run, their tables are generated,
and they build with warnings as errors.

* Every fenced block on every page is either run (```` ```python ````: ``exec``;
  ```` ```pycon ````: ``doctest``) or declared as plain text; each page's
  examples run top to bottom in a fresh namespace.
* The generated products (C-name table, state diagrams, recorded handshakes,
  tutorial 2's tables) are regenerated into a temporary directory and checked
  against biokit itself.
* ``sphinx-build -W -n`` builds the whole site (skipped, with the reason, when
  Sphinx or myst-parser is not installed: ``pip install -e '.[docs]'``).
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
sys.path.insert(0, str(DOCS / "_gen"))

import mdexec  # noqa: E402

SKIP_DIRS = {"_build", "_generated", "_gen"}
PAGES = sorted(
    p for p in DOCS.rglob("*.md") if not SKIP_DIRS.intersection(p.relative_to(DOCS).parts)
)
TUTORIALS = sorted((DOCS / "tutorials").glob("*.md"))


def _id(p: Path) -> str:
    return str(p.relative_to(DOCS))


def test_the_docs_have_pages() -> None:
    names = {_id(p) for p in PAGES}
    assert {"index.md", "c-to-biokit.md", "state-machine.md", "handshake-sequence.md"} <= names
    assert len(TUTORIALS) == 6


@pytest.mark.parametrize("page", PAGES, ids=_id)
def test_every_block_is_run_or_declared_text(page: Path) -> None:
    for b in mdexec.all_blocks(page):
        ok = b.runs or b.language in mdexec.TEXT_LANGUAGES or b.language.startswith("{")
        assert ok, (
            f"{b.where()}: fence language {b.language!r} is neither run "
            f"({sorted(mdexec.CODE_LANGUAGES)}) nor text ({sorted(mdexec.TEXT_LANGUAGES)})"
        )


@pytest.mark.parametrize("page", TUTORIALS, ids=_id)
def test_every_tutorial_has_examples(page: Path) -> None:
    assert any(b.runs for b in mdexec.all_blocks(page)), f"{_id(page)} has no example that runs"


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "page", [p for p in PAGES if any(b.runs for b in mdexec.all_blocks(p))], ids=_id
)
def test_examples_run(page: Path) -> None:
    mdexec.run_page(page)


# ----------------------------------------------------------------- the runner itself


def test_runner_reports_a_wrong_session_output(tmp_path: Path) -> None:
    page = tmp_path / "bad.md"
    page.write_text("```pycon\n>>> 1 + 1\n3\n```\n")
    with pytest.raises(mdexec.ExampleFailed, match=r"bad\.md:1"):
        mdexec.run_page(page)


def test_runner_reports_a_failing_block_with_its_line(tmp_path: Path) -> None:
    page = tmp_path / "bad.md"
    page.write_text("text\n\n```python\nx = 1\n```\n\n```python\nassert x == 2\n```\n")
    with pytest.raises(mdexec.ExampleFailed, match=r"bad\.md:7"):
        mdexec.run_page(page)


def test_runner_shares_one_namespace_per_page_and_finds_nested_fences(tmp_path: Path) -> None:
    page = tmp_path / "ok.md"
    page.write_text(
        "```python\nfrom dataclasses import dataclass\n@dataclass\nclass P:\n    x: int\n```\n"
        ":::{note}\n```pycon\n>>> P(3)\nP(x=3)\n```\n:::\n"
        "````{admonition} nested\n```python\nseen = True\n```\n````\n"
    )
    ns = mdexec.run_page(page)
    assert ns["seen"] is True
    assert [b.language for b in mdexec.all_blocks(page)] == [
        "python", "pycon", "{admonition}", "python",
    ]


# ----------------------------------------------------------------- generated products


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import generate

    out = tmp_path_factory.mktemp("generated")
    generate.generate(DOCS, out)
    return out


def test_c_table_lists_every_alias_once_with_its_docstring(generated: Path) -> None:
    import c_names

    import biokit.openssl

    text = (generated / "c_to_biokit.md").read_text()
    rows = re.findall(r"^\| `(\w+)` \|", text, re.M)
    assert sorted(rows) == sorted(biokit.openssl.__all__)
    assert len(rows) == len(set(rows))
    items = {a.c_name: a for a in c_names.aliases(biokit.openssl)}
    assert items["SSL_accept"].target == "biokit.ssl.ssl.SSL.accept"
    assert items["SSL_accept"].doc == "SSL_accept: run the server side of the handshake."
    assert items["BIO_read"].spelling == "BIO.read_c"
    assert items["BIO_read"].note == "bytes, or C's int <= 0"
    assert items["BIO_s_mem"].kind == "class"
    assert items["SSL_ERROR_WANT_READ"].value == "ErrorCode.WANT_READ = 2"
    for a in items.values():
        if a.kind in ("method", "function", "class"):
            assert a.doc, f"{a.c_name} -> {a.target} has no docstring"


def test_state_diagrams_cover_the_tables(generated: Path) -> None:
    import statediagram

    from biokit.ssl.tls import states

    for stem, role, proto, _ in statediagram.all_diagrams():
        svg = (generated / f"{stem}.svg").read_text()
        table = (generated / f"{stem}.md").read_text()
        assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
        for r, p, s in states.WRITE:
            if r is role and p in (states.Proto.ANY, proto):
                name = statediagram.state_name(s, role)
                assert f">{name}<" in svg and f"`{name}`" in table
        n_rows = len(statediagram.edges(role, proto))
        assert table.count("\n") == n_rows + 2


def test_server_names_its_own_states() -> None:
    import statediagram

    from biokit.ssl.tls.states import HandState, Role

    assert statediagram.state_name(HandState.SW_CHANGE, Role.SERVER) == "SW_CHANGE"
    assert statediagram.state_name(HandState.CW_CHANGE, Role.CLIENT) == "CW_CHANGE"
    assert statediagram.state_name(HandState.SR_FINISHED, Role.SERVER) == "SR_FINISHED"


def test_recorded_handshake_shows_want_read_and_want_write(generated: Path) -> None:
    small = (generated / "sequence-small.md").read_text()
    default = (generated / "sequence-default.md").read_text()
    assert "WANT_WRITE" in small and "WANT_READ" in small
    assert "WANT_WRITE" not in default
    assert re.search(r"^\| 1 \| client \| `SSL_connect\(\)` \| `-1 WANT_READ` \|", default, re.M)
    svg = (generated / "sequence-small.svg").read_text()
    assert svg.count("= -1 WANT_WRITE") == small.count("`-1 WANT_WRITE`") > 0


def test_tutorial_2_tables_come_from_its_code(generated: Path) -> None:
    blocking = (generated / "accept-blocking.md").read_text().splitlines()
    assert blocking[2:] == [
        "| 1 | `SSL_accept()` | `1` | `SSL_ERROR_NONE` | SSL negotiation finished successfully |"
    ]
    nbio = (generated / "accept-nbio.md").read_text().splitlines()
    assert nbio[2].endswith("| `-1` | `SSL_ERROR_WANT_READ` | before SSL initialization |")
    assert nbio[-1].endswith("| `1` | `SSL_ERROR_NONE` | SSL negotiation finished successfully |")
    pair = (generated / "accept-pair.md").read_text()
    assert pair.count("SSL_ERROR_WANT_READ") == 3 and pair.count("SSL_ERROR_NONE") == 2
    inside = (generated / "accept-blocking-inside.txt").read_text()
    assert "SSLv3/TLS read client hello" in inside and "SSLv3/TLS read finished" in inside


# ----------------------------------------------------------------- the strict build


def _sphinx_missing() -> str | None:
    for mod in ("sphinx", "myst_parser"):
        if importlib.util.find_spec(mod) is None:
            return f"{mod} is not installed (pip install -e '.[docs]')"
    return None


@pytest.mark.timeout(300)
@pytest.mark.skipif(_sphinx_missing() is not None, reason=str(_sphinx_missing()))
def test_strict_build(tmp_path: Path) -> None:
    cmd = [
        sys.executable, "-m", "sphinx", "-W", "-n", "-E", "-q", "-b", "html",
        "-d", str(tmp_path / "doctrees"), str(DOCS), str(tmp_path / "html"),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=280)
    assert proc.returncode == 0, f"sphinx-build failed:\n{proc.stderr[-6000:]}"
    assert proc.stderr.strip() == "", proc.stderr
    html = tmp_path / "html"
    for page in PAGES:
        assert (html / _id(page)).with_suffix(".html").exists(), _id(page)
    assert (html / "_images").is_dir() and any((html / "_images").glob("states-*.svg"))


# ----------------------------------------------------------------- found while writing the docs
# Each compares biokit with OpenSSL 3.0 (Python's ssl module over MemoryBIO gives the
# same answers on the same bytes).


def test_alert_before_client_hello_is_unexpected_message() -> None:
    from biokit.bio import MemBIO
    from biokit.errors import clear_error, errors_as_list
    from biokit.ssl import ErrorCode
    from biokit.testing import tls_pair

    server = tls_pair(connect=False).server
    server.set_bio(MemBIO(bytes([21, 3, 3, 0, 2, 1, 0])), MemBIO())
    clear_error()
    ret = server.accept()
    assert ret == -1 and server.get_error(ret) == ErrorCode.SSL
    assert [e.reason_string for e in errors_as_list()] == ["unexpected message"]


def test_shutdown_after_unexpected_eof_is_shutdown_while_in_init() -> None:
    from biokit.bio import PairBIO
    from biokit.errors import clear_error, errors_as_list
    from biokit.testing import tls_pair

    p = tls_pair()
    end = p.client_bios[0]
    assert isinstance(end, PairBIO)
    end.shutdown_wr()
    clear_error()
    assert p.server.read_c(100) == 0
    clear_error()
    assert p.server.shutdown() == -1
    assert [e.reason_string for e in errors_as_list()] == ["shutdown while in init"]


def test_server_states_are_not_client_states() -> None:
    from biokit.ssl.tls.states import HandState

    members = HandState.__members__
    assert members["SW_CHANGE"] is not members["CW_CHANGE"]
    assert members["SR_FINISHED"] is not members["CR_FINISHED"]
