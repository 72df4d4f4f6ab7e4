"""The community simulation (scripts/simulate_community.py) runs at a tiny size, so that an API change
that breaks it fails CI (its figures are measured outside the tests, in docs/economics.md)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_community_simulation_runs_at_a_tiny_size() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "simulate_community.py"), "--members", "6", "--ring", "2",
         "--epochs", "1", "--reviews", "2"],
        capture_output=True, text=True, timeout=600, cwd=ROOT,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    row = r"^\| (founders|honest|ring) \| (\d+) \| ([\d.]+)% \| ([\d.]+)% \| ([\d.]+)% \|$"
    rows = re.findall(row, out.stdout, re.M)
    assert [r[0] for r in rows] == ["founders", "honest", "ring"], out.stdout
    for column in (2, 3, 4):  # each share column adds up to the whole, less rounding
        assert abs(sum(float(r[column]) for r in rows) - 100) < 0.5, out.stdout


def test_the_honest_community_simulation_runs_at_a_tiny_size() -> None:
    """`--ring 0`: everyone honest, the case docs/economics.md uses to show where genesis pay went."""
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "simulate_community.py"), "--members", "5", "--ring", "0",
         "--epochs", "1", "--reviews", "2"],
        capture_output=True, text=True, timeout=600, cwd=ROOT,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    groups = re.findall(r"^\| (founders|honest|ring) \|", out.stdout, re.M)
    assert groups == ["founders", "honest"], out.stdout
