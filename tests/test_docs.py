"""The docs are part of the product: their examples run, their tables are generated,
and they build with warnings as errors.

* Every fenced block on every page is either run (```` ```python ````: ``exec``;
  ```` ```pycon ````: ``doctest``; the same inside ```` ```{code-block} python ````)
  or declared as plain text, and Python inside ```` ```{eval-rst} ```` is refused
  (``mdexec.check``); each page's examples run top to bottom in a fresh namespace.
* The generated products (C-name table, state diagrams, recorded handshakes,
  tutorial 2's tables) are regenerated into a temporary directory and checked
  against biokit itself.
* ``sphinx-build -W -n`` builds the whole site (skipped, with the reason, when
  Sphinx or myst-parser is not installed: ``pip install -e '.[docs]'``).
"""

from __future__ import annotations

import ctypes
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
        problem = mdexec.check(b)
        assert problem is None, f"{b.where()}: {problem}"


@pytest.mark.parametrize("page", TUTORIALS, ids=_id)
def test_every_tutorial_has_examples(page: Path) -> None:
    assert any(b.runs for b in mdexec.all_blocks(page)), f"{_id(page)} has no example that runs"


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "page", [p for p in PAGES if any(b.runs for b in mdexec.all_blocks(p))], ids=_id
)
def test_examples_run(page: Path) -> None:
    mdexec.run_page(page)


def test_readme_links_into_the_docs() -> None:
    readme = DOCS.parent / "README.md"
    links = re.findall(r"\]\(([^)\s]+)\)", readme.read_text(encoding="utf-8"))
    local = [link.split("#")[0] for link in links if "://" not in link]
    for link in local:
        assert (readme.parent / link).is_file(), f"README links to a missing {link}"
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    tutorials = [f"docs/{t}.md" for t in re.findall(r"^(tutorials/[\w-]+)$", index, re.M)]
    assert len(tutorials) == len(TUTORIALS)
    # Every tutorial, in the index's order, then the other pages.
    assert [link for link in local if link.startswith("docs/tutorials/")] == tutorials
    assert {"docs/index.md", "docs/c-to-biokit.md", "docs/benchmarks.md"} <= set(local)


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
        "python", "{note}", "pycon", "{admonition}", "python",
    ]
    assert [b.line for b in mdexec.all_blocks(page)] == [1, 7, 8, 13, 14]


def test_python_in_a_code_directive_runs(tmp_path: Path) -> None:
    page = tmp_path / "directive.md"
    page.write_text(
        "```{code-block} python\n:caption: an option line\n:linenos:\n\nx = 41\n```\n"
        ":::{code} pycon\n>>> x + 1\n42\n:::\n"
        "~~~python\nassert x == 41\n~~~\n"
        "````{note}\n```{sourcecode} python\n---\ncaption: yaml options\n---\ny = x\n```\n````\n"
        "```{code-block} text\nnot Python\n```\n"
    )
    found = mdexec.all_blocks(page)
    assert [(b.language, b.code_language, b.runs) for b in found] == [
        ("{code-block}", "python", True),
        ("{code}", "pycon", True),
        ("python", "python", True),
        ("{note}", "{note}", False),
        ("{sourcecode}", "python", True),
        ("{code-block}", "text", False),
    ]
    assert all(mdexec.check(b) is None for b in found)
    assert mdexec.run_page(page)["y"] == 41
    # A failure inside a directive is reported, with the right line.
    page.write_text("text\n\n```{code-block} python\n:caption: c\n\nassert 0\n```\n")
    with pytest.raises(mdexec.ExampleFailed, match=r"directive\.md:3.*\n  at directive\.md:6"):
        mdexec.run_page(page)


@pytest.mark.parametrize(
    "text",
    [
        "```{eval-rst}\n.. code-block:: python\n\n   assert False\n```\n",
        "```{eval-rst}\n.. code:: pycon\n\n   >>> 1\n```\n",
        "```{eval-rst}\n.. code-block::\n\n   x = 1\n```\n",
        "```{eval-rst}\n.. doctest::\n\n   >>> 1\n   1\n```\n",
        "```{eval-rst}\nSome text.\n\n>>> 1 + 1\n2\n```\n",
        ":::{eval-rst}\n.. sourcecode:: python3\n\n   pass\n:::\n",
        "```{code-block} ruby\nputs 1\n```\n",
        "```{code-block}\nx = 1\n```\n",
        "```pyhton\nx = 1\n```\n",
    ],
)
def test_python_that_would_not_run_is_refused(tmp_path: Path, text: str) -> None:
    page = tmp_path / "hidden.md"
    page.write_text(text)
    problems = [mdexec.check(b) for b in mdexec.all_blocks(page)]
    assert any(p is not None for p in problems), problems


def test_eval_rst_without_python_is_fine(tmp_path: Path) -> None:
    page = tmp_path / "rst.md"
    page.write_text("```{eval-rst}\n.. automodule:: biokit.testing\n   :members:\n```\n")
    assert [mdexec.check(b) for b in mdexec.all_blocks(page)] == [None]


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
    # SSL_peek's C value while it waits is -1 (0 would be SSL_peek_ex's convention).
    peeks = re.findall(r"^\| \d+ \| client \| `SSL_peek\(\)` \| `([^`]*)` \|", small, re.M)
    assert peeks and set(peeks) == {"-1 WANT_READ"}
    assert "`0 " not in small and "= 0 " not in svg


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


def _libssl_with_errno() -> ctypes.CDLL | None:
    try:
        lib = ctypes.CDLL("libssl.so.3", use_errno=True)
        lib.OpenSSL_version_num.restype = ctypes.c_ulong
    except (OSError, AttributeError):
        return None
    if lib.OpenSSL_version_num() >> 28 != 3:
        return None
    vp, ci = ctypes.c_void_p, ctypes.c_int
    for name, args, res in [
        ("TLS_client_method", [], vp),
        ("SSL_CTX_new", [vp], vp),
        ("SSL_CTX_free", [vp], None),
        ("SSL_new", [vp], vp),
        ("SSL_free", [vp], None),
        ("SSL_set_fd", [vp, ci], ci),
        ("SSL_connect", [vp], ci),
        ("SSL_read", [vp, ctypes.c_char_p, ci], ci),
        ("SSL_get_error", [vp, ci], ci),
        ("ERR_peek_error", [], ctypes.c_ulong),
        ("ERR_clear_error", [], None),
    ]:
        f = getattr(lib, name)
        f.argtypes = args
        f.restype = res
    return lib


_LIBSSL = _libssl_with_errno()


@pytest.mark.timeout(30)
@pytest.mark.skipif(_LIBSSL is None, reason="libssl 3 not found")
def test_reset_is_syscall_with_an_empty_queue_in_openssl_and_an_errno_entry_in_biokit() -> None:
    # Tutorial 5 ("A reset transport"): libssl 3.0 leaves the queue empty and the
    # cause in errno; biokit's SocketBIO queues the errno as a system entry.
    import socket
    import struct

    from biokit.bio import SocketBIO
    from biokit.errors import Lib, clear_error, errors_as_list
    from biokit.ssl import ErrorCode
    from biokit.testing import explain, pump, tls_pair

    lib = _LIBSSL
    assert lib is not None
    listener = socket.create_server(("127.0.0.1", 0))
    socks: list[socket.socket] = [listener]
    ctx = ssl_c = None
    try:
        # A libssl client against a biokit server.
        c_sock = socket.create_connection(listener.getsockname(), timeout=5)
        socks.append(c_sock)
        s_sock, _ = listener.accept()
        socks.append(s_sock)
        for s in (c_sock, s_sock):
            s.setblocking(False)
        server = tls_pair(connect=False).server
        bio = SocketBIO(s_sock)
        server.set_bio(bio, bio)
        ctx = lib.SSL_CTX_new(lib.TLS_client_method())
        ssl_c = lib.SSL_new(ctx)
        assert lib.SSL_set_fd(ssl_c, c_sock.fileno()) == 1
        rc = rs = -1
        for _ in range(50):
            if rc != 1:
                rc = lib.SSL_connect(ssl_c)
            if rs != 1:
                rs = server.accept()
            if rc == rs == 1:
                break
        assert (rc, rs) == (1, 1)
        s_sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s_sock.close()
        lib.ERR_clear_error()
        ctypes.set_errno(0)
        ret = lib.SSL_read(ssl_c, ctypes.create_string_buffer(100), 100)
        err = ctypes.get_errno()
        assert (ret, err, lib.SSL_get_error(ssl_c, ret), lib.ERR_peek_error()) == (
            -1, 104, 5, 0  # SSL_ERROR_SYSCALL, ECONNRESET, nothing queued
        )

        # The same reset under a biokit client.
        c2 = socket.create_connection(listener.getsockname(), timeout=5)
        socks.append(c2)
        s2, _ = listener.accept()
        socks.append(s2)
        pair = tls_pair(connect=False)
        for ssl, sock in ((pair.client, c2), (pair.server, s2)):
            sock.setblocking(False)
            b = SocketBIO(sock)
            ssl.set_bio(b, b)
        pump(pair.client, pair.server)
        s2.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s2.close()
        clear_error()
        r = pair.client.read_c(100)
        entries = errors_as_list()
        assert (r, pair.client.get_error(r)) == (-1, ErrorCode.SYSCALL)
        assert [(e.library, e.reason, e.data) for e in entries] == [
            (Lib.SYS, 104, "calling recv()")
        ]
        ex = explain(pair.client, r)
        assert (ex.rule, ex.code, ex.operation, ex.agrees) == (
            1, ErrorCode.SYSCALL, "SSL_read()", True
        )
        clear_error()
    finally:
        if ssl_c is not None:
            lib.SSL_free(ssl_c)
        if ctx is not None:
            lib.SSL_CTX_free(ctx)
        for s in socks:
            s.close()
