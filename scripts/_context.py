"""Shared by the scripts in this folder: the project on sys.path, and a Web3 that is brownie's when
the script runs under `brownie run` (connected to the chosen --network), else the starfish default."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def web3() -> Any:
    try:
        from brownie import network  # type: ignore[import-not-found]
        from brownie import web3 as brownie_web3

        if network.is_connected():
            return brownie_web3
    except ImportError:
        pass
    from starfish_dao.chain.backends import connect

    return connect().w3


def endpoint(w3: Any) -> str:
    return str(getattr(w3.provider, "endpoint_uri", "") or "")
