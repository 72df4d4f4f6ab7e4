"""brownie beside the starfish CLI: `brownie compile` gives our artifacts byte for byte, and
`brownie run scripts/deploy.py` deploys on a real anvil and writes the same manifest."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from eth_account import Account

from starfish_dao.chain.artifacts import CONTRACTS
from starfish_dao.chain.backends import AnvilNode, RpcBackend
from starfish_dao.chain.build import ARTIFACTS_DIR, PROJECT_ROOT, SMALLER, compile_contracts
from starfish_dao.chain.client import Starfish
from starfish_dao.chain.deployment import Deployment
from starfish_dao.verify.code import check_code, check_wiring


def _brownie(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "scripts/brownie.sh", *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=900
    )


def test_brownie_compiles_and_deploys_the_same_contracts(tmp_path: Path) -> None:
    env = {**os.environ, "STARFISH_HOME": str(tmp_path / "home")}
    env.pop("STARFISH_RPC_URL", None)
    compiled = _brownie(["compile"], env)
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    for name in (*CONTRACTS, "TestToken"):
        if name in SMALLER:
            continue  # compiled with fewer optimizer runs (brownie has one setting for all): below
        ours = json.loads((ARTIFACTS_DIR / f"{name}.json").read_text())
        theirs = json.loads((PROJECT_ROOT / "build" / "contracts" / f"{name}.json").read_text())
        assert "0x" + theirs["deployedBytecode"].removeprefix("0x") == ours["deployedBytecode"], name
        assert "0x" + theirs["bytecode"].removeprefix("0x") == ours["bytecode"], name
    # brownie's one optimizer setting is the project's: for the contracts of SMALLER it gives what the
    # pinned compiler gives at the project's runs (the artifacts use fewer, to fit EIP-170; the
    # deployment script deploys the artifacts)
    _, at_project_runs = compile_contracts(smaller=False)
    for name in SMALLER:
        theirs = json.loads((PROJECT_ROOT / "build" / "contracts" / f"{name}.json").read_text())
        assert "0x" + theirs["deployedBytecode"].removeprefix("0x") == at_project_runs[name]["deployedBytecode"]
    assert not (Path(env["STARFISH_HOME"]).parent / ".brownie").exists()
    assert (tmp_path / "home" / "brownie" / ".brownie").is_dir()  # brownie's home, inside the data directory

    node = AnvilNode(tmp_path / "anvil", persist=False).start()
    try:
        chain = RpcBackend(node.url, node=node)
        deployer = Account.create()
        chain.fund(deployer.address, 10**20)
        registered = subprocess.run(
            ["bash", "scripts/brownie-networks.sh", node.url, "starfish-ci"], cwd=PROJECT_ROOT, env=env,
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert registered.returncode == 0, registered.stdout + registered.stderr
        ran = _brownie(
            ["run", "scripts/deploy.py", "--network", "starfish-ci"],
            {**env, "STARFISH_PRIVATE_KEY": deployer.key.hex()},
        )
        assert ran.returncode == 0, ran.stdout + ran.stderr
        manifest = tmp_path / "home" / "deployments" / "31337.json"
        deployment = Deployment.from_json(json.loads(manifest.read_text()))
        assert deployment.deployer == deployer.address
        sf = Starfish(chain.w3, deployment)
        bad = [str(c) for c in check_code(sf) + check_wiring(sf) if not c.ok]
        assert bad == []  # addresses respond with exactly the committed build, wired as the manifest says
        assert sf.standing_of(deployer.address) == 100 * 10**18  # genesis standing (earns nothing)
        plain = subprocess.run(
            [str(PROJECT_ROOT / ".venv" / "bin" / "python"), "scripts/deploy.py"], cwd=PROJECT_ROOT,
            env={**env, "STARFISH_RPC_URL": node.url, "STARFISH_PRIVATE_KEY": deployer.key.hex()},
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert plain.returncode == 0, plain.stdout + plain.stderr
        again = Deployment.from_json(json.loads(manifest.read_text()))
        assert again.addresses != deployment.addresses and set(again.to_json()) == set(deployment.to_json())
    finally:
        node.stop()
