"""Compile `contracts/` with the pinned solc-js into `starfish_dao/artifacts/`, byte for byte reproducibly.

The compiler runs through `bin/solc` (Node + the npm `solc` package pinned in package.json); its
standard-JSON input is built here from the sources, sorted, with fixed settings, so the same tree
always yields the same artifacts. Node is needed only to build, never to run the library.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starfish_dao.domain.errors import BuildError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CONTRACTS_DIR = PROJECT_ROOT / "contracts"
ARTIFACTS_DIR = Path(__file__).resolve().parents[1] / "artifacts"
SOLC_SCRIPT = PROJECT_ROOT / "bin" / "solc"

OUTPUTS = [
    "abi",
    "evm.bytecode.object",
    "evm.deployedBytecode.object",
    "evm.deployedBytecode.immutableReferences",
    "metadata",
]
#: The compiler settings, recorded in every artifact (but see `SMALLER`). cancun: py-evm and every L2 know it.
SETTINGS: dict[str, object] = {
    "evmVersion": "cancun",
    "optimizer": {"enabled": True, "runs": 1000},
    "viaIR": False,
    "metadata": {"bytecodeHash": "ipfs"},
    "remappings": ["@openzeppelin/=node_modules/@openzeppelin/"],
    "outputSelection": {"*": {"*": OUTPUTS}},
}

#: Contracts compiled again with fewer optimizer runs, so that their runtime fits the 24,576 bytes of
#: EIP-170 (solc tunes for size at the cost of a little gas per call). Their artifacts record it.
SMALLER: dict[str, int] = {"PayoutSplitter": 200}


def settings_for(name: str) -> dict[str, object]:
    """The compiler settings of contract `name` (the project's, or those of `SMALLER`)."""
    if name not in SMALLER:
        return SETTINGS
    return {**SETTINGS, "optimizer": {"enabled": True, "runs": SMALLER[name]}}


@dataclass(frozen=True)
class BuildResult:
    compiler: str
    contracts: list[str]
    written: list[Path]


#: Foundry's tests (forge and halmos, `scripts/forge.sh`) import forge-std: not part of the artifacts.
FORGE_TESTS = Path("test") / "forge"


def _sources(root: Path) -> Iterator[Path]:
    yield from sorted(p for p in root.rglob("*.sol") if not p.relative_to(root).is_relative_to(FORGE_TESTS))


def standard_json_input(contracts_dir: Path = CONTRACTS_DIR) -> dict[str, object]:
    """The compiler input: every source under `contracts/` by its project-relative path."""
    if not contracts_dir.is_dir():
        raise BuildError(f"no contracts directory at {contracts_dir}")
    sources = {
        path.relative_to(contracts_dir.parent).as_posix(): {"content": path.read_text(encoding="utf-8")}
        for path in _sources(contracts_dir)
    }
    if not sources:
        raise BuildError(f"no .sol files under {contracts_dir}")
    return {"language": "Solidity", "sources": sources, "settings": SETTINGS}


def _run_solc(args: list[str], stdin: str | None = None) -> str:
    node = shutil.which("node")
    if node is None:
        raise BuildError("building needs Node.js (`node` on PATH); the committed artifacts need nothing")
    if not (PROJECT_ROOT / "node_modules" / "solc").is_dir():
        raise BuildError("the pinned compiler is missing: run `npm ci` in the project root")
    proc = subprocess.run(
        [node, str(SOLC_SCRIPT), *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        check=False,
    )
    if proc.returncode != 0:
        raise BuildError(f"bin/solc failed ({proc.returncode}): {proc.stderr.strip()}")
    return proc.stdout


def compiler_version() -> str:
    for line in _run_solc(["--version"]).splitlines():
        if line.startswith("Version:"):
            return line.split(":", 1)[1].strip()
    raise BuildError("bin/solc --version printed no version")


def _compile(std_input: dict[str, object]) -> dict[str, Any]:
    output: dict[str, Any] = json.loads(
        _run_solc(["--standard-json", "--base-path", str(PROJECT_ROOT)], json.dumps(std_input))
    )
    return output


def compile_contracts(
    contracts_dir: Path = CONTRACTS_DIR, smaller: bool = True
) -> tuple[str, dict[str, dict[str, object]]]:
    """Compile; returns the compiler version and one artifact dict per contract with bytecode.
    `smaller=False`: every contract at the project's runs (what a tool with one setting builds)."""
    version = compiler_version()
    std_input = standard_json_input(contracts_dir)
    output = _compile(std_input)
    # a contract of SMALLER may pass EIP-170 at the project's runs: its own pass below says if it still does
    # (and without `smaller`, the caller asked for exactly that build)
    output["errors"] = [
        e
        for e in output.get("errors", [])
        if not (
            "Contract code size" in e.get("message", "")
            and any(f"contract {name} " in e.get("formattedMessage", "") for name in SMALLER)
        )
    ]
    compiled: dict[str, dict[str, Any]] = output.get("contracts", {})
    for name in SMALLER if smaller else ():
        where = next((src for src, cs in compiled.items() if name in cs), None)
        if where is None:
            continue
        fewer_runs = {**std_input, "settings": {**settings_for(name), "outputSelection": {where: {name: OUTPUTS}}}}
        again = _compile(fewer_runs)
        output.setdefault("errors", []).extend(again.get("errors", []))
        compiled[where][name] = again["contracts"][where][name]
    errors = [e for e in output.get("errors", []) if e.get("severity") == "error"]
    if errors:
        raise BuildError("compilation failed:\n" + "\n".join(e.get("formattedMessage", str(e)) for e in errors))
    warnings = [e.get("formattedMessage", str(e)) for e in output.get("errors", []) if e.get("severity") != "error"]
    sources: dict[str, dict[str, str]] = std_input["sources"]  # type: ignore[assignment]
    source_hashes = {
        name: "0x" + hashlib.sha3_256(src["content"].encode()).hexdigest() for name, src in sources.items()
    }
    artifacts: dict[str, dict[str, object]] = {}
    for source_name, contracts in sorted(output.get("contracts", {}).items()):
        if not source_name.startswith("contracts/") or source_name.startswith("contracts/libraries/"):
            continue
        for name, out in sorted(contracts.items()):
            bytecode = out["evm"]["bytecode"]["object"]
            if not bytecode:
                continue  # interfaces, libraries of internal functions, abstract contracts
            metadata = json.loads(out["metadata"])
            artifacts[name] = {
                "contractName": name,
                "sourceName": source_name,
                "abi": out["abi"],
                "bytecode": "0x" + bytecode,
                "deployedBytecode": "0x" + out["evm"]["deployedBytecode"]["object"],
                "immutableReferences": out["evm"]["deployedBytecode"].get("immutableReferences", {}),
                "compiler": {"version": version, "settings": settings_for(name) if smaller else SETTINGS},
                "sources": {k: source_hashes[k] for k in sorted(metadata["sources"]) if k in source_hashes},
                "metadataSources": {k: v["keccak256"] for k, v in sorted(metadata["sources"].items())},
            }
    for warning in warnings:
        if "contracts/" in warning and "node_modules" not in warning:
            raise BuildError("the compiler warned (warnings are errors here):\n" + warning)
    return version, artifacts


def render(artifact: dict[str, object]) -> str:
    """The exact text an artifact file holds (stable key order, trailing newline)."""
    return json.dumps(artifact, indent=1, sort_keys=True) + "\n"


def build(out_dir: Path = ARTIFACTS_DIR, contracts_dir: Path = CONTRACTS_DIR) -> BuildResult:
    """Compile and write `<Name>.json` for every deployable contract; remove stale artifacts."""
    version, artifacts = compile_contracts(contracts_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, artifact in artifacts.items():
        path = out_dir / f"{name}.json"
        path.write_text(render(artifact), encoding="utf-8")
        written.append(path)
    for stale in out_dir.glob("*.json"):
        if stale.stem not in artifacts:
            stale.unlink()
    return BuildResult(compiler=version, contracts=sorted(artifacts), written=written)
