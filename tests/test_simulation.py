"""The community simulation (scripts/simulate_community.py) runs at a tiny size, so that an API change
that breaks it fails CI (its figures are measured outside the tests, in docs/economics.md)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _simulate(members: int, ring: int) -> str:
    """The simulation's output for one epoch of `members` with a ring of `ring` (0: all honest)."""
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "simulate_community.py"), "--members", str(members),
         "--ring", str(ring), "--epochs", "1", "--reviews", "2"],
        capture_output=True, text=True, timeout=600, cwd=ROOT,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_the_community_simulation_runs_at_a_tiny_size() -> None:
    stdout = _simulate(6, 2)
    row = r"^\| (founders|honest|ring) \| (\d+) \| ([\d.]+)% \| ([\d.]+)% \| ([\d.]+)% \|$"
    rows = re.findall(row, stdout, re.M)
    assert [r[0] for r in rows] == ["founders", "honest", "ring"], stdout
    for column in (2, 3, 4):  # each share column adds up to the whole, less rounding
        assert abs(sum(float(r[column]) for r in rows) - 100) < 0.5, stdout


def test_the_honest_community_simulation_runs_at_a_tiny_size() -> None:
    """`--ring 0`: everyone honest, the case docs/economics.md uses to show where genesis pay went."""
    stdout = _simulate(5, 0)
    groups = re.findall(r"^\| (founders|honest|ring) \|", stdout, re.M)
    assert groups == ["founders", "honest"], stdout
