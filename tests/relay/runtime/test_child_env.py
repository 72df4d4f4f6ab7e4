"""The relayer key reaches only the submitter, through its pipe (issue 24, finding 8): a child's
environment carries none of the relay's settings or secrets."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from starfish_dao.relay.runtime import child

ROOT = Path(__file__).resolve().parents[3]


def test_a_child_process_environment_has_no_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "ab" * 32
    monkeypatch.setenv("STARFISH_RELAY_RELAYER_KEY", secret)
    monkeypatch.setenv("STARFISH_RELAY_RELAYER_PASSWORD", "hunter2")
    monkeypatch.setenv("STARFISH_KEY_PASSWORD", "change-me")
    monkeypatch.setenv("STARFISH_HOME", "/tmp/starfish-home")
    monkeypatch.chdir(ROOT)
    proc = child.spawn("tests.relay.runtime.env_child", {"key": "sent through the pipe"}, stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        env = json.loads(proc.stdout.readline())
    finally:
        child.stop(proc, 5)
    assert not any(secret in v or "hunter2" in v or "change-me" in v for v in env.values())
    assert not [name for name in env if name.startswith("STARFISH_RELAY_")]
    assert env["STARFISH_HOME"] == "/tmp/starfish-home"  # what is not a secret passes
    assert "PATH" in env
