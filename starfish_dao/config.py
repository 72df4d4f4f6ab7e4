"""Where local state lives: one data directory, `~/.starfish` unless `STARFISH_HOME` says otherwise."""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    """The data directory (created on first use): chain state, keystores, IPFS blocks, deployments."""
    path = Path(os.environ.get("STARFISH_HOME") or Path.home() / ".starfish").expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def subdir(name: str) -> Path:
    path = home() / name
    path.mkdir(parents=True, exist_ok=True)
    return path
