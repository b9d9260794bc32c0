"""``biokit bench``: the command runs, the JSON has its shape and stable row names.

Speed is never asserted here, but every row must be measured: a feature that
breaks fails the run instead of printing n/a.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from biokit.cli import bench
from biokit.cli.main import main as biokit_main

# A tiny budget: one sample of a few milliseconds per figure, a handful of connections.
TINY = ["--quick", "--sample", "0.003", "--repeats", "1", "--connections", "4"]

EXPECTED_ROWS = [
    "handshake_tls13_ecdsa_p256",
    "handshake_tls13_rsa2048",
    "handshake_tls12_ecdsa_p256",
    "handshake_tls12_rsa2048",
    "handshake_tls13_resumed",
    "handshake_tls12_resumed",
    "bulk_aes128gcm",
    "bulk_aes128gcm_vs_aead",
    "bulk_chacha20poly1305",
    "bulk_chacha20poly1305_vs_aead",
    "membio_64",
    "membio_16k",
    "biopair_64",
    "biopair_16k",
    "membio_backlog_64k",
    "memory_per_connection",
    "trio_bulk_aes128gcm",
]

# Rows timed in seconds (every row but the memory one).
TIMED_ROWS = [name for name in EXPECTED_ROWS if name != "memory_per_connection"]


def _number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


@pytest.fixture(scope="module")
def full_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    """One tiny ``biokit bench --quick --json`` through the ``biokit`` command."""
    path = tmp_path_factory.mktemp("bench") / "bench.json"
    import io
    from contextlib import redirect_stderr, redirect_stdout

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        rc = biokit_main(["bench", *TINY, "--json", str(path)])
    assert rc == 0, err.getvalue()
    return json.loads(path.read_text()), out.getvalue()


def test_row_names_are_stable() -> None:
    assert list(bench.ROW_NAMES) == EXPECTED_ROWS


def test_json_shape(full_run: tuple[dict[str, Any], str]) -> None:
    data, _ = full_run
    assert set(data) == {"env", "rows"}
    env = data["env"]
    for key in ("python", "cryptography", "cryptography_openssl", "ssl_openssl", "biokit"):
        assert isinstance(env[key], str) and env[key], key
    assert env["ssl_openssl"].startswith("OpenSSL")
    assert env["mode"] == "quick"
    assert env["repeats"] == 1
    assert env["clock"] == "cpu"
    assert [r["name"] for r in data["rows"]] == EXPECTED_ROWS
    for row in data["rows"]:
        assert {"name", "unit", "biokit", "reference", "ratio"} <= set(row), row
        assert isinstance(row["unit"], str) and row["unit"]
        for key in ("biokit", "reference", "ratio"):
            assert row[key] is None or _number(row[key]), row
        if row["biokit"] is not None and row["reference"]:
            assert row["ratio"] == pytest.approx(row["biokit"] / row["reference"])
        else:
            assert row["ratio"] is None
            # A row without a ratio says why.
            assert row["note"], row


def test_every_row_is_measured(full_run: tuple[dict[str, Any], str]) -> None:
    rows = {r["name"]: r for r in full_run[0]["rows"]}
    for name in TIMED_ROWS:
        row = rows[name]
        assert _number(row["biokit"]) and row["biokit"] > 0, row
        assert _number(row["reference"]) and row["reference"] > 0, row
        assert _number(row["ratio"]), row
        assert "n/a" not in row["note"], row
    # The AEAD rows share biokit's figure with the ssl rows of the same suite.
    for suite in ("aes128gcm", "chacha20poly1305"):
        assert rows[f"bulk_{suite}_vs_aead"]["biokit"] == rows[f"bulk_{suite}"]["biokit"]
    mem = rows["memory_per_connection"]
    assert mem["unit"] == "KiB/conn" and mem["lower_is_better"] is True
    assert _number(mem["biokit"]) and _number(mem["reference"])


def test_a_quick_run_judges_no_target(full_run: tuple[dict[str, Any], str]) -> None:
    data, text = full_run
    assert data["env"]["targets_judged"] is False
    assert [r["target_met"] for r in data["rows"]] == [None] * len(EXPECTED_ROWS)
    lines = text.splitlines()
    assert lines[2].startswith("~ ratios are indicative only")
    for line in lines[6:]:
        cells = line.split(" | ")
        if cells[0] != "| memory_per_connection":  # 4 connections may grow RSS by 0 bytes
            assert re.fullmatch(r"~\d+\.\d\dx", cells[5]), line
        assert not cells[6].endswith((" met", " missed")), line


def test_only_full_budgets_judge() -> None:
    full = bench.Budget(sample=bench.FULL_SAMPLE, repeats=bench.FULL_REPEATS, connections=1)
    assert full.judges(quick=False) is True
    assert full.judges(quick=True) is False
    short = bench.Budget(sample=0.003, repeats=1, connections=1)
    assert short.judges(quick=False) is False


def test_table_lists_every_row_and_the_environment(full_run: tuple[dict[str, Any], str]) -> None:
    data, text = full_run
    lines = text.splitlines()
    assert "cryptography " + data["env"]["cryptography"] in lines[0]
    assert data["env"]["ssl_openssl"] in lines[0]
    assert data["env"]["cpu_model"] in lines[1]
    assert lines[4] == "| row | unit | biokit | reference | vs | ratio | target | note |"
    table = [ln.split(" | ")[0].lstrip("| ") for ln in lines[6:]]
    assert table == EXPECTED_ROWS


def test_rows_option_skips_the_rest(tmp_path: Path) -> None:
    """``python -m biokit.cli.bench`` works too; unselected rows say "skipped"."""
    path = tmp_path / "b.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "biokit.cli.bench", *TINY, "--rows", "membio_*",
         "--clock", "wall", "--json", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    try:
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    data = json.loads(path.read_text())
    assert data["env"]["clock"] == "wall"
    rows = {r["name"]: r for r in data["rows"]}
    assert list(rows) == EXPECTED_ROWS
    for name, row in rows.items():
        if name.startswith("membio_"):
            assert row["biokit"] > 0 and row["reference"] > 0
        else:
            assert (row["biokit"], row["reference"], row["ratio"], row["note"]) == (
                None, None, None, "skipped"
            )
    assert "| membio_64 | ops/s |" in out


ENV = {
    "biokit": "0", "python": "3", "implementation": "CPython", "cryptography": "x",
    "cryptography_openssl": "y", "ssl_openssl": "OpenSSL z", "platform": "p", "cpus": 1,
    "mode": "quick", "repeats": 1, "sample_seconds": 0.1, "targets_judged": False,
}


def _rows_for_render() -> list[bench.Row]:
    return [
        bench.Row("a", "MB/s", "ssl", ">= 1.3", biokit=1500.0, reference=1000.0),
        bench.Row("b", "handshakes/s", "ssl", note="skipped"),
        bench.Row("c", "KiB/conn", "ssl", "<= 1.0", biokit=12.25, reference=49.0,
                  lower_is_better=True),
        bench.Row("membio_backlog_64k", "MB/s", "ssl.MemoryBIO", ">= 2.0", biokit=300.0,
                  reference=1200.0),
    ]


def test_render_handles_missing_figures() -> None:
    rows = _rows_for_render()
    text = bench.render(ENV, rows)
    assert "| a | MB/s | 1500 | 1000 | ssl | ~1.50x | >= 1.3 |  |" in text
    assert "| b | handshakes/s | - | - | ssl | - |  | skipped |" in text
    assert "| c | KiB/conn | 12.2 | 49.0 | ssl | ~0.25x | <= 1.0 |  |" in text
    assert rows[1].to_json()["ratio"] is None
    assert rows[2].to_json()["ratio"] == 0.25
    # Not judged unless the run says so.
    assert [r.to_json()["target_met"] for r in rows] == [None, None, None, None]


def test_a_full_run_marks_targets_and_says_what_bounds_a_miss() -> None:
    rows = _rows_for_render()
    assert [r.target_met() for r in rows] == [True, None, True, False]
    bench.add_bounds(rows)
    bound = bench._BOUNDS["membio_backlog_64k"]
    assert [r.note for r in rows] == ["", "skipped", "", bound]
    text = bench.render({**ENV, "mode": "full", "targets_judged": True}, rows)
    lines = text.splitlines()
    assert lines[2] == "targets judged: a full run"
    assert "| a | MB/s | 1500 | 1000 | ssl | 1.50x | >= 1.3 met |  |" in lines
    assert "| c | KiB/conn | 12.2 | 49.0 | ssl | 0.25x | <= 1.0 met |  |" in lines
    assert (
        f"| membio_backlog_64k | MB/s | 300 | 1200 | ssl.MemoryBIO | 0.25x | >= 2.0 missed "
        f"| {bound} |" in lines
    )
    assert [r.to_json(judged=True)["target_met"] for r in rows] == [True, None, True, False]


def test_every_missable_target_has_a_bound() -> None:
    targets = {name for name, _, _, target, _ in bench._ROWS if target}
    assert set(bench._BOUNDS) <= targets
    assert all(bench._BOUNDS.values())


# ---------------------------------------------------------------------- broken features fail


def _bench_rc(args: list[str]) -> tuple[int, str, str]:
    import io
    from contextlib import redirect_stderr, redirect_stdout

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        rc = biokit_main(["bench", *args])
    return rc, out.getvalue(), err.getvalue()


def test_a_resumption_that_does_not_resume_fails_the_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from biokit.ssl import SSL

    monkeypatch.setattr(SSL, "session_reused", lambda self: False)
    rc, out, err = _bench_rc([*TINY, "--rows", "handshake_tls12_resumed"])
    assert (rc, out) == (1, "")
    assert (
        "biokit bench: handshake_tls12_resumed: biokit made a TLSv1.2 handshake, resumed=False\n"
        in err
    )


def test_a_version_fallback_fails_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    from biokit.ssl import SSL

    monkeypatch.setattr(SSL, "get_version", lambda self: "TLSv1.3")
    rc, out, err = _bench_rc([*TINY, "--rows", "handshake_tls12_rsa2048"])
    assert (rc, out) == (1, "")
    assert (
        "biokit bench: handshake_tls12_rsa2048: biokit made a TLSv1.3 handshake, resumed=False\n"
        in err
    )


def test_a_broken_trio_adapter_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    import biokit.trio as bktrio

    async def broken(self: Any, data: Any) -> None:
        raise RuntimeError("adapter broken on purpose")

    monkeypatch.setattr(bktrio.SSLStream, "send_all", broken)
    with bench._certs(["ec256"]) as certs:
        bk_work, _ = bench._trio_works(certs["ec256"], "TLS_AES_128_GCM_SHA256")
        with pytest.raises(Exception) as info:  # trio's nursery: an ExceptionGroup (3.11+)
            bk_work(2)
    assert type(info.value).__name__ == "ExceptionGroup"
    assert info.group_contains(RuntimeError, match="^adapter broken on purpose$", depth=1)


def test_a_failing_worker_fails_the_run() -> None:
    with pytest.raises(bench.BenchError, match=r"(?s)worker nope failed:.*unknown worker 'nope'"):
        bench._run_worker({"kind": "nope"}, timeout=60)


# ---------------------------------------------------------------------- --profile


def test_profile_prints_the_top_functions_per_iteration() -> None:
    rc, out, err = _bench_rc(
        ["--profile", "membio_64", "--sample", "0.01", "--repeats", "1", "--top", "4"]
    )
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("biokit bench --profile membio_64: ")
    assert lines[0].endswith(" iterations, one = write + read")
    # Own time by layer: a MemBIO row spends it in the BIOs and the bench's loop.
    assert re.fullmatch(
        r"own time by area: (biokit BIOs|bench loop|C builtins) \d+%"
        r"(, (biokit BIOs|bench loop|C builtins) \d+%)*", lines[2]
    ), lines[2]
    assert "biokit BIOs" in lines[2]
    assert lines[4].split() == [
        "calls/it", "own", "us/it", "own", "%", "cum", "us/it", "function", "(top", "4", "by",
        "own", "time)",
    ]
    body = lines[5:]
    assert len(body) == 4
    # One MemBIO.write and one MemBIO.read per iteration, exactly: the loop the table times.
    calls = {re.sub(r":\d+", "", ln.split()[-1]): ln.split()[0] for ln in body}
    assert calls["biokit/bio/s_mem.py(read)"] == "1.00"
    assert calls["biokit/bio/s_mem.py(write)"] == "1.00"
    shares = [float(ln.split()[2].rstrip("%")) for ln in body]
    assert shares == sorted(shares, reverse=True)


def test_profile_of_a_handshake_row_reaches_the_engine() -> None:
    rc, out, err = _bench_rc(
        ["--profile", "handshake_tls12_ecdsa_p256", "--sample", "0.02", "--repeats", "1",
         "--top", "40"]
    )
    assert rc == 0, err
    assert out.splitlines()[0].endswith(" iterations, one = client + server handshake")
    assert "biokit/ssl/" in out


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("memory_per_connection",
         "biokit bench: memory_per_connection measures memory, not time: "
         "there is nothing to profile\n"),
        ("nope", "biokit bench: no row 'nope'; rows: " + ", ".join(EXPECTED_ROWS) + "\n"),
    ],
)
def test_profile_refuses_what_it_cannot_profile(row: str, message: str) -> None:
    rc, out, err = _bench_rc(["--profile", row, "--sample", "0.01", "--repeats", "1"])
    assert (rc, out, err) == (1, "", message)


def test_compare_interleaves_and_takes_the_median() -> None:
    calls: list[str] = []

    def work(tag: str) -> bench.Work:
        def run(n: int) -> tuple[float, float]:
            calls.append(tag)
            # Self-timed: n units in n seconds -> a rate of exactly 1.0.
            return float(n), float(n)

        return run

    rates = bench.compare([work("a"), None, work("b")], sample=0.001, repeats=3)
    assert rates == [1.0, None, 1.0]
    # After calibration, samples alternate a b | b a | a b.
    assert calls[-6:] == ["a", "b", "b", "a", "a", "b"]
