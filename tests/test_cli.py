"""The `starfish` command as a user runs it: the demo end to end, and clear errors."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

STARFISH = [sys.executable, "-m", "starfish_dao.cli"]


def _run(args: list[str], home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "STARFISH_HOME": str(home), **env}
    if "STARFISH_PRIVATE_KEY" not in env:
        environment.pop("STARFISH_PRIVATE_KEY", None)
    environment.pop("STARFISH_IPFS_API", None)
    return subprocess.run([*STARFISH, *args], capture_output=True, text=True, env=environment, timeout=600)


def test_demo_runs_the_lifecycle_and_verifies(tmp_path: Path) -> None:
    mine = tmp_path / "deployments" / "31337.json"
    mine.parent.mkdir(parents=True)
    mine.write_text('{"a community\'s own": "manifest"}')
    result = _run(["demo", "--seed", "7"], tmp_path, STARFISH_RPC_URL="http://127.0.0.1:9")
    assert result.returncode == 0, result.stdout + result.stderr
    # a community's data directory is never touched: its manifest stays, with no backup beside it
    assert mine.read_text() == '{"a community\'s own": "manifest"}'
    assert sorted(p.name for p in mine.parent.iterdir()) == ["31337.json"]
    assert not (tmp_path / "anvil").exists(), "the demo runs on a chain of its own"
    demo_home = tmp_path / "demo"
    assert f"STARFISH_HOME={demo_home} starfish status" in result.stdout.replace("\n", "")
    assert "every on-chain number equals the reference model" in result.stdout
    assert "eli received" in result.stdout
    said = " ".join(result.stdout.split())  # as a person reads it: sentences, local times, short ids
    assert "this content is already contribution #2" in said and "your standing on this work is 0 points" in said
    assert not re.search(r"time \d{9,}", said) and "chain time 20" in said, said[-400:]
    assert re.search(r"proposal [0-9a-f]{8}: executed", said), said
    # the grid: a newcomer cannot host; the founders' machines hold every file once the seed is fixed
    assert "held 0 points as this epoch began; hosting needs 10" in said, said
    assert re.search(r"files, each on 2 of 2 hosts; ada holds \d+, bo \d+", said), said
    # they check each other (8 walks and a whole-file challenge), and are paid from the hosts' share
    assert re.search(r"ada checked bo for epoch \d+: 10/10", said) and "2 hosts attested" in said, said
    assert re.search(r"bo is paid [0-9.]+ ETH, [0-9.]+ CWC for hosting in epoch \d+", said), said
    assert (demo_home / "deployments" / "31337.json").is_file()
    assert not (demo_home / "anvil" / "node.json").exists(), "the demo must stop the node it started"
    # the state survives: status restarts the node from disk and verifies again
    status = _run(["status"], demo_home)
    assert status.returncode == 0, status.stdout + status.stderr
    assert "verified" in status.stdout
    # and the whole verifier, code and work included, passes on the demo's chain
    verified = _run(["verify", "--local-ipfs", "--html", str(tmp_path / "report.html")], demo_home)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "0 failed" in verified.stdout and (tmp_path / "report.html").stat().st_size > 1000
    assert _run(["node", "stop"], demo_home).returncode == 0


def test_demo_on_pyevm(tmp_path: Path) -> None:
    result = _run(["demo", "--seed", "1"], tmp_path, STARFISH_BACKEND="py-evm")  # as the README says
    assert result.returncode == 0, result.stdout + result.stderr
    assert "py-evm" in result.stdout


def test_actions_without_a_key_fail_clearly(tmp_path: Path) -> None:
    result = _run(["join"], tmp_path)
    assert result.returncode == 1
    assert "no key" in result.stderr and "Traceback" not in result.stderr
    bad = _run(["join"], tmp_path, STARFISH_PRIVATE_KEY="not-a-key")
    assert bad.returncode == 1 and "not a valid private key" in bad.stderr


def test_commands_without_a_deployment_fail_clearly(tmp_path: Path) -> None:
    result = _run(["status", "--rpc", "http://127.0.0.1:9"], tmp_path)
    assert result.returncode == 1
    assert "no JSON-RPC node answers" in result.stderr and "Traceback" not in result.stderr
