"""The README's story and library snippet run as written, on a fresh data directory."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _block(name: str) -> str:
    text = (ROOT / "README.md").read_text()
    match = re.search(rf"<!-- {name}:start -->\n```\w+\n(.*?)```\n<!-- {name}:end -->", text, re.S)
    assert match, f"the README has no {name} block"
    return match.group(1)


def test_the_three_founders_story_runs_as_written(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STARFISH_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    script = _block("story").replace("source .venv/bin/activate", f"source {ROOT}/.venv/bin/activate")
    run = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=900)  # fmt: skip
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-6000:]
    assert "accepted: weighted median 4, 320 points" in out
    assert "verified" in out and "0 failed" in out
    assert "(Hosting bill) is executed: its 1 call ran" in out
    # and the library snippet, on the same community
    code = _block("library")
    env["STARFISH_HOME"] = str(tmp_path / "coworking")
    lib = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert lib.returncode == 0, lib.stdout + lib.stderr
    subprocess.run([sys.executable, "-m", "starfish_dao.cli", "node", "stop"], env=env, capture_output=True, timeout=60)
