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


def test_the_relay_section_runs_as_written_after_the_story(tmp_path: Path) -> None:
    """Issue 23: 'The README's relay section runs as written, including how to fund a relayer and how
    to see its balance'. The story first (the relay section continues it), then the relayer's lines
    with `starfish relay` started as the README starts it, then the member's lines as in another
    terminal: a fresh shell given only what the README says to set again there."""
    import signal
    import time

    import requests

    env = {k: v for k, v in os.environ.items() if not k.startswith("STARFISH_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    story = _block("story").replace("source .venv/bin/activate", f"source {ROOT}/.venv/bin/activate")
    run = subprocess.run(["bash", "-euo", "pipefail", "-c", story], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=900)  # fmt: skip
    assert run.returncode == 0, (run.stdout + run.stderr)[-6000:]
    relayer_part, member_part = _block("relay").split("# a member, in another terminal", 1)
    serve = [line for line in relayer_part.splitlines() if line.startswith("starfish relay ")]
    assert len(serve) == 1, relayer_part
    # what the story exported, which the README tells the second terminal to set again
    shell = {**env, "STARFISH_HOME": str(tmp_path / "coworking"), "STARFISH_KEY_PASSWORD": "change-me"}
    setup = "\n".join(line for line in relayer_part.splitlines() if not line.startswith("starfish relay "))
    exports = "\n".join(line for line in relayer_part.splitlines() if line.startswith("export "))
    run = subprocess.run(["bash", "-euo", "pipefail", "-c", setup], cwd=tmp_path, env=shell,
                         capture_output=True, text=True, timeout=300)  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    log = (tmp_path / "relay.log").open("w")
    relay = subprocess.Popen(["bash", "-euo", "pipefail", "-c", f"{exports}\nexec {serve[0].split('#')[0]}"],
                             cwd=tmp_path, env=shell, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if requests.get("http://127.0.0.1:8645/v1/info", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert relay.poll() is None and time.monotonic() < deadline, (tmp_path / "relay.log").read_text()
            time.sleep(0.5)
        member = "# a member, in another terminal" + member_part
        run = subprocess.run(["bash", "-euo", "pipefail", "-c", member], cwd=tmp_path, env=shell,
                             capture_output=True, text=True, timeout=900)  # fmt: skip
        out = run.stdout + run.stderr
        assert run.returncode == 0, out[-6000:]
        assert "joined: membership #" in out and "#2 accepted" in out, out[-3000:]
        assert re.search(r"paid [0-9.]+ ETH to me", out), out[-3000:]
        assert re.search(r"relayer \(0x[0-9a-fA-F]{40}\): [0-9.,]+ ETH", out), out[-2000:]
    finally:
        relay.send_signal(signal.SIGTERM)
        relay.wait(timeout=30)
        log.close()
        subprocess.run([sys.executable, "-m", "starfish_dao.cli", "node", "stop"], env=shell, capture_output=True,
                       timeout=60)  # fmt: skip
