"""Benchmarks do not rot: each script runs here at a tiny size, so an API change that breaks one fails
the suite. The figures themselves are measured outside the tests (docs/performance.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(script: str, *args: str, timeout: int = 300) -> str:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), *args],
        cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return done.stdout + done.stderr


def test_unixfs_throughput_runs_at_a_tiny_size() -> None:
    out = _run("unixfs_throughput.py", "--mib", "1")
    assert "builder CIDv0 dag-pb leaves" in out


def test_verify_scale_runs_at_a_tiny_size() -> None:
    out = _run("verify_scale.py", "--members", "4", "--per-member", "1", "--reviews", "3")
    # 4 contributions, 3 ratings each, counted from what verify replayed: every seeded one landed
    assert "| contributions | 4 of 4 sent |" in out and "| ratings sealed | 12 |" in out, out
    assert "| ratings opened (sealed reviews) | 12 |" in out and "| accepted (awarded) | 4 |" in out, out
    # the one check that fails is the benchmark's own shortcut: an admin key governs its DAO
    failures = [line for line in out.splitlines() if line.startswith("failures:")]
    assert all("governed by the members' timelock" in line for line in failures), failures


def test_relay_bench_runs_at_a_tiny_size() -> None:
    out = _run("relay_bench.py", "--n", "20", "--paced", "20", "--clients", "1", "--threads", "2", "--window", "4",
               "--slow", "2")  # fmt: skip
    assert "statuses: saturation {202: 20}" in out
    assert "the same under attack" in out and "nested " in out and "bad-signature " in out  # the attack ran
    assert "CPU per action at 200/s, accepting process (/proc)" in out  # the CPU figure is measured
    assert "'failed'" not in out  # the relay paid for no failed transaction


def test_transport_bench_runs_at_a_tiny_size() -> None:
    out = _run("transport_bench.py", "--n", "50", "--rounds", "1")
    assert "transport" in out and "http.client" in out


def test_gas_runs_at_a_tiny_size() -> None:
    out = _run("gas.py", "--holders", "2,5")
    assert "finalize (accepted)" in out and "claim (ETH)" in out
    # a receipt costs the same with 2 and 5 holders of points (seeded through the test splitter)
    rows = [line for line in out.splitlines() if line.startswith(("| 2 |", "| 5 |"))]
    assert len(rows) == 2 and rows[0].split("|")[2] == rows[1].split("|")[2], rows
