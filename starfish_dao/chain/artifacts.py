"""The committed build: ABI and bytecode of every contract, loaded without Node."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from starfish_dao.chain.build import ARTIFACTS_DIR
from starfish_dao.domain.errors import BuildError

CONTRACTS = ("Charter", "Membership", "ContributionRegistry", "PayoutSplitter")


@cache
def load(name: str) -> dict[str, Any]:
    path = ARTIFACTS_DIR / f"{name}.json"
    if not path.is_file():
        raise BuildError(f"no artifact for {name} at {path}: run `starfish build`")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def abi(name: str) -> list[dict[str, Any]]:
    return list(load(name)["abi"])


def names() -> list[str]:
    return sorted(p.stem for p in ARTIFACTS_DIR.glob("*.json"))
