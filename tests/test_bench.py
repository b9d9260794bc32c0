"""``biokit bench``: the command runs, the JSON has its shape and stable row names.

Speed is never asserted here: the figures only have to exist (or say n/a).
"""

from __future__ import annotations

import json
import math
import os
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
    "handshake_tls13_resumed",
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

# Rows that measure something that exists today: both figures must be there.
ALWAYS_MEASURED = [
    "handshake_tls13_ecdsa_p256",
    "handshake_tls13_rsa2048",
    "bulk_aes128gcm",
    "bulk_aes128gcm_vs_aead",
    "bulk_chacha20poly1305",
    "bulk_chacha20poly1305_vs_aead",
    "membio_64",
    "membio_16k",
    "biopair_64",
    "biopair_16k",
    "membio_backlog_64k",
]


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


def test_measured_rows_have_figures(full_run: tuple[dict[str, Any], str]) -> None:
    rows = {r["name"]: r for r in full_run[0]["rows"]}
    for name in ALWAYS_MEASURED:
        assert _number(rows[name]["biokit"]) and rows[name]["biokit"] > 0, rows[name]
        assert _number(rows[name]["reference"]) and rows[name]["reference"] > 0, rows[name]
    # The AEAD rows share biokit's figure with the ssl rows of the same suite.
    for suite in ("aes128gcm", "chacha20poly1305"):
        assert rows[f"bulk_{suite}_vs_aead"]["biokit"] == rows[f"bulk_{suite}"]["biokit"]
    mem = rows["memory_per_connection"]
    assert mem["unit"] == "KiB/conn" and mem["lower_is_better"] is True
    assert _number(mem["biokit"]) and _number(mem["reference"])


def test_optional_rows_are_measured_or_na(full_run: tuple[dict[str, Any], str]) -> None:
    rows = {r["name"]: r for r in full_run[0]["rows"]}
    for name in ("handshake_tls12_ecdsa_p256", "handshake_tls13_resumed", "trio_bulk_aes128gcm"):
        row = rows[name]
        if row["biokit"] is None:
            assert row["note"].startswith("n/a"), row
            assert row["reference"] is None
        else:
            assert row["biokit"] > 0


def test_table_lists_every_row_and_the_environment(full_run: tuple[dict[str, Any], str]) -> None:
    data, text = full_run
    lines = text.splitlines()
    assert "cryptography " + data["env"]["cryptography"] in lines[0]
    assert data["env"]["ssl_openssl"] in lines[0]
    assert lines[3] == "| row | unit | biokit | reference | vs | ratio | target | note |"
    table = [ln.split(" | ")[0].lstrip("| ") for ln in lines[5:]]
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


def test_render_handles_missing_figures() -> None:
    rows = [
        bench.Row("a", "MB/s", "ssl", ">= 1.3", biokit=1500.0, reference=1000.0),
        bench.Row("b", "handshakes/s", "ssl", note=bench.NOT_IMPLEMENTED),
        bench.Row("c", "KiB/conn", "ssl", "<= 1.0", biokit=12.25, reference=49.0,
                  lower_is_better=True),
    ]
    env = {
        "biokit": "0", "python": "3", "implementation": "CPython", "cryptography": "x",
        "cryptography_openssl": "y", "ssl_openssl": "OpenSSL z", "platform": "p", "cpus": 1,
        "mode": "quick", "repeats": 1, "sample_seconds": 0.1,
    }
    text = bench.render(env, rows)
    assert "| a | MB/s | 1500 | 1000 | ssl | 1.50x | >= 1.3 |  |" in text
    assert "| b | handshakes/s | - | - | ssl | - |  | n/a (not implemented) |" in text
    assert "| c | KiB/conn | 12.2 | 49.0 | ssl | 0.25x | <= 1.0 |  |" in text
    assert rows[1].to_json()["ratio"] is None
    assert rows[2].to_json()["ratio"] == 0.25


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
