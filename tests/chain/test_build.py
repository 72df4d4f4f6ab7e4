"""The build is reproducible: recompiling yields the committed artifacts byte for byte."""

from __future__ import annotations

import json

from starfish_dao.chain.artifacts import CONTRACTS
from starfish_dao.chain.build import ARTIFACTS_DIR, SMALLER, compile_contracts, render, settings_for


def test_recompiling_gives_the_committed_artifacts_byte_for_byte() -> None:
    version, fresh = compile_contracts()
    committed = {p.stem: p.read_text(encoding="utf-8") for p in ARTIFACTS_DIR.glob("*.json")}
    assert sorted(fresh) == sorted(committed), "artifacts missing or stale: run `starfish build`"
    for name, artifact in fresh.items():
        assert render(artifact) == committed[name], f"{name}.json differs from a fresh build: run `starfish build`"
    assert version.startswith("0.8.30+")


def test_artifacts_record_compiler_settings_and_sources() -> None:
    for name in CONTRACTS:
        data = json.loads((ARTIFACTS_DIR / f"{name}.json").read_text())
        assert data["compiler"]["settings"]["evmVersion"] == "cancun"
        assert data["compiler"]["settings"] == json.loads(json.dumps(settings_for(name)))
        assert data["sourceName"] in data["sources"]
        assert data["deployedBytecode"].startswith("0x") and len(data["deployedBytecode"]) > 100


def test_every_runtime_fits_eip170_and_only_the_listed_contracts_trade_runs_for_size() -> None:
    for path in ARTIFACTS_DIR.glob("*.json"):
        data = json.loads(path.read_text())
        assert (len(data["deployedBytecode"]) - 2) // 2 <= 24_576, f"{path.stem} is over EIP-170's 24,576 bytes"
        runs = data["compiler"]["settings"]["optimizer"]["runs"]
        assert runs == SMALLER.get(path.stem, 1000), path.stem
