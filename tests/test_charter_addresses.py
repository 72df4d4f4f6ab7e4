"""The one address rule for the charter file and `verify --splitter` (issue 23): mixed case must be
a valid checksum, a refusal offers no corrected form, and nothing is deployed or read with an address
that failed it. Before, `deploy` silently checksummed charter.toml's guardian (a typo became a valid
address with power to cancel proposals) and its revenue tokens, and `verify --splitter` checksummed a
mistyped splitter address."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from eth_account import Account

from starfish_dao.chain.backends import RpcBackend
from starfish_dao.chain.deployment import charter_from_json, deploy
from starfish_dao.domain.charter import CharterConfig, Founder, GovernanceSettings
from starfish_dao.domain.errors import ConfigError
from starfish_dao.domain.unixfs import cid_of
from tests.conftest import ETHER, Dao

STARFISH = [sys.executable, "-m", "starfish_dao.cli"]
GUARDIAN = "0x52908400098527886E0F7030069857D2E4169EE7"  # EIP-55's own example
FOUNDER = "0x000000000000000000000000000000000000dEaD"


def _typo(address: str) -> str:
    """`address` with one letter's case changed: what a person mistypes, a wrong checksum."""
    at = next(i for i, c in enumerate(address) if i > 1 and c.isalpha())
    return address[:at] + address[at].swapcase() + address[at + 1 :]


def _run(args: list[str], home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("STARFISH_")}
    environment.update(STARFISH_HOME=str(home), **env)
    return subprocess.run([*STARFISH, *args], capture_output=True, text=True, env=environment, timeout=300)


def _refused(out: subprocess.CompletedProcess[str], right: str) -> str:
    said = " ".join(out.stderr.split())
    assert out.returncode == 1 and "Traceback" not in out.stderr, out.stdout + out.stderr
    assert "checksum" in said, said
    assert right not in said, said  # no corrected form offered: it would be the typo dressed as right
    return said


def _charter(tmp_path: Path, guardian: str = "", token: str = "", expiry: int = 0) -> Path:
    (tmp_path / "charter.md").write_text("# charter\n")
    path = tmp_path / "charter.toml"
    path.write_text(f'document = "charter.md"\nrevenueTokens = [{f"{token!r}" if token else ""}]\n'
                    f'[governor]\nguardian = "{guardian}"\nguardianExpiry = {expiry}\n'
                    f'[[founders]]\naddress = "{FOUNDER}"\npoints = 5000\n'.replace("'", '"'))  # fmt: skip
    return path


def test_deploy_refuses_a_mistyped_guardian_in_charter_toml(fresh_chain: RpcBackend, tmp_path: Path) -> None:
    deployer = Account.create()
    fresh_chain.fund(deployer.address, 10 * ETHER)
    env = {"STARFISH_RPC_URL": fresh_chain.url, "STARFISH_PRIVATE_KEY": deployer.key.hex()}
    manifests = tmp_path / "deployments"
    charter = _charter(
        tmp_path, _typo(GUARDIAN), expiry=int(fresh_chain.w3.eth.get_block("latest")["timestamp"]) + 86400
    )
    out = _run(["deploy", "--charter", str(charter), "--deployments", str(manifests)], tmp_path / "home", **env)
    said = _refused(out, GUARDIAN)
    assert "guardian" in said, said
    assert not manifests.exists() and fresh_chain.w3.eth.get_transaction_count(deployer.address) == 0  # nothing sent


def test_a_mistyped_revenue_token_or_guardian_is_refused_by_the_library(fresh_chain: RpcBackend) -> None:
    token = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
    with pytest.raises(ConfigError, match="checksum") as refused:
        charter_from_json({"revenueTokens": [_typo(token)], "founders": []})
    assert token not in str(refused.value)
    with pytest.raises(ConfigError, match=r"guardian.*checksum"):
        charter_from_json({"governor": {"guardian": _typo(GUARDIAN)}})
    assert charter_from_json({"governor": {"guardian": GUARDIAN.lower()}}).settings.guardian == GUARDIAN  # no checksum
    deployer = Account.create()
    fresh_chain.fund(deployer.address, 10 * ETHER)
    typed = CharterConfig(document_cid=cid_of(b"# c\n").bytes, founders=(Founder(FOUNDER, 10**21),),
                          settings=GovernanceSettings(guardian=_typo(GUARDIAN), guardian_expiry=0))  # fmt: skip
    with pytest.raises(ConfigError, match=r"guardian.*checksum"):
        deploy(fresh_chain.w3, deployer, typed)
    assert fresh_chain.w3.eth.get_transaction_count(deployer.address) == 0


def test_verify_refuses_a_mistyped_splitter(dao: Dao, tmp_path: Path) -> None:
    splitter = dao.sf.splitter.address
    out = _run(["verify", "--splitter", _typo(splitter)], tmp_path / "home", STARFISH_RPC_URL=dao.chain.url)
    said = _refused(out, splitter)
    assert "--splitter" in said, said
