"""The relayer key reaches only the submitter (issue 24, finding 8): the managed anvil node the relay
starts when no RPC URL is set does not inherit the relay's settings or secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from starfish_dao.chain.backends import AnvilNode


def test_a_managed_anvil_environment_has_no_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "cd" * 32
    monkeypatch.setenv("STARFISH_RELAY_RELAYER_KEY", secret)
    monkeypatch.setenv("STARFISH_RELAY_RELAYER_PASSWORD", "hunter2")
    monkeypatch.setenv("STARFISH_PRIVATE_KEY", "ef" * 32)
    monkeypatch.setenv("STARFISH_HOME", "/tmp/starfish-home")
    node = AnvilNode(tmp_path / "anvil", persist=False).start()
    try:
        raw = Path(f"/proc/{node.pid}/environ").read_bytes()
    finally:
        node.stop()
    env = dict(entry.split(b"=", 1) for entry in raw.split(b"\0") if b"=" in entry)
    assert secret.encode() not in raw and b"hunter2" not in raw and b"ef" * 32 not in raw
    assert not [name for name in env if name.startswith(b"STARFISH_RELAY_")]
    assert env[b"HOME"] == str(tmp_path / "anvil" / "home").encode()  # its own HOME, as before
    assert env[b"STARFISH_HOME"] == b"/tmp/starfish-home" and b"PATH" in env  # what is not a secret passes
