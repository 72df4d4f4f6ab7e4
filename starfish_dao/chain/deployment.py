"""The deployment manifest `deployments/<chainId>.json`, and deploying a fresh DAO."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import rlp  # type: ignore[import-untyped]
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from web3 import Web3

from starfish_dao import config
from starfish_dao.chain import artifacts
from starfish_dao.chain.tx import send
from starfish_dao.domain.charter import PARAMETER_KEYS, CharterConfig, Founder, Params
from starfish_dao.domain.errors import ConfigError, DeploymentError

ROLES = {
    "charter": "Charter",
    "membership": "Membership",
    "splitter": "PayoutSplitter",
    "registry": "ContributionRegistry",
}


def create_address(sender: str, nonce: int) -> str:
    """The address CREATE gives the `nonce`-th contract deployed by `sender`."""
    encoded = rlp.encode([bytes.fromhex(sender[2:]), nonce])
    return to_checksum_address(keccak(encoded)[12:])


@dataclass
class Deployment:
    chain_id: int
    deploy_block: int
    deployer: str
    addresses: dict[str, str]
    code_hashes: dict[str, str]
    charter: dict[str, Any]
    compiler: dict[str, Any]
    extra: dict[str, str] = field(default_factory=dict)  # e.g. the demo's test token

    def to_json(self) -> dict[str, Any]:
        return {
            "chainId": self.chain_id,
            "deployBlock": self.deploy_block,
            "deployer": self.deployer,
            "contracts": {
                role: {"name": ROLES[role], "address": self.addresses[role], "codeHash": self.code_hashes[role]}
                for role in ROLES
            },
            "charter": self.charter,
            "compiler": self.compiler,
            "extra": self.extra,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Deployment:
        try:
            return cls(
                chain_id=int(data["chainId"]),
                deploy_block=int(data["deployBlock"]),
                deployer=data["deployer"],
                addresses={role: data["contracts"][role]["address"] for role in ROLES},
                code_hashes={role: data["contracts"][role]["codeHash"] for role in ROLES},
                charter=data["charter"],
                compiler=data["compiler"],
                extra=data.get("extra", {}),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise DeploymentError(f"malformed deployment manifest: missing or bad {exc}") from exc

    def save(self, directory: Path | None = None) -> Path:
        directory = directory or config.subdir("deployments")
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{self.chain_id}.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.to_json(), indent=2) + "\n")
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, chain_id: int, directory: Path | None = None) -> Deployment:
        directory = directory or config.home() / "deployments"
        path = directory / f"{chain_id}.json"
        if not path.is_file():
            raise DeploymentError(f"no deployment for chain {chain_id} at {path}: run `starfish deploy` first")
        try:
            return cls.from_json(json.loads(path.read_text()))
        except json.JSONDecodeError as exc:
            raise DeploymentError(f"{path} is not valid JSON: {exc}") from exc


def charter_to_json(cfg: CharterConfig) -> dict[str, Any]:
    p = cfg.params
    params: dict[str, Any] = {key: p.value(parameter) for key, parameter in PARAMETER_KEYS.items()}
    params["minReviewerStanding"] = str(p.min_reviewer_standing)  # beyond a JSON double's exact range
    return {
        "governance": cfg.governance,
        "params": params,
        "documentCid": "0x" + cfg.document_cid.hex(),
        "revenueTokens": list(cfg.revenue_tokens),
        "founders": [{"address": f.address, "genesisPoints": str(f.genesis_points)} for f in cfg.founders],
    }


def params_from_json(p: dict[str, Any]) -> Params:
    """Charter parameters from their camelCase names; any left out take their defaults."""
    unknown = sorted(set(p) - set(PARAMETER_KEYS))
    if unknown:
        raise ConfigError(f"unknown charter parameter(s) {', '.join(unknown)}; known: {', '.join(PARAMETER_KEYS)}")
    params = Params()
    for key, value in p.items():
        try:
            params = params.replace(PARAMETER_KEYS[key], int(value))
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"charter parameter {key}={value!r} is not an integer") from exc
    return params.check()


def charter_from_json(data: dict[str, Any]) -> CharterConfig:
    try:
        params = params_from_json(dict(data.get("params", {})))
        return CharterConfig(
            params=params,
            document_cid=bytes.fromhex(str(data["documentCid"]).removeprefix("0x")),
            revenue_tokens=tuple(data.get("revenueTokens", [])),
            founders=tuple(Founder(f["address"], int(f["genesisPoints"])) for f in data.get("founders", [])),
            governance=data["governance"],
        )
    except ConfigError:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"charter file: missing or malformed {exc}") from exc


def _deploy_one(
    w3: Web3, account: LocalAccount, name: str, *args: Any, artifact: dict[str, Any] | None = None
) -> tuple[str, int]:
    art = artifact or artifacts.load(name)
    factory = w3.eth.contract(abi=art["abi"], bytecode=art["bytecode"])
    data = factory.constructor(*args).data_in_transaction
    receipt = send(w3, account, {"data": data})
    address = receipt["contractAddress"]
    if address is None:
        raise DeploymentError(f"deploying {name} created no contract")
    return to_checksum_address(address), int(receipt["blockNumber"])


def deploy(
    w3: Web3, account: LocalAccount, cfg: CharterConfig, overrides: dict[str, dict[str, Any]] | None = None
) -> Deployment:
    """Deploys charter, membership, splitter and registry, wired together, and returns the manifest.

    `overrides` replaces a contract's artifact by name (tests deploy deliberately wrong variants)."""
    overrides = overrides or {}
    cfg.params.check()
    if not cfg.document_cid:
        raise ConfigError("the charter needs a document CID (pin the charter text first)")
    governance = cfg.governance or account.address
    p = cfg.params
    founders = [to_checksum_address(f.address) for f in cfg.founders]
    points = [f.genesis_points for f in cfg.founders]
    nonce = w3.eth.get_transaction_count(account.address, "pending")
    registry_predicted = create_address(account.address, nonce + 3)
    charter, first_block = _deploy_one(
        w3, account, "Charter", governance, p.as_tuple(), cfg.document_cid, list(cfg.revenue_tokens)
    )
    membership, _ = _deploy_one(w3, account, "Membership", charter)
    splitter, _ = _deploy_one(
        w3, account, "PayoutSplitter", charter, registry_predicted, founders, points,
        artifact=overrides.get("PayoutSplitter"),
    )  # fmt: skip
    registry, _ = _deploy_one(w3, account, "ContributionRegistry", charter, membership, splitter)
    if registry != registry_predicted:
        raise DeploymentError(
            f"registry landed at {registry}, not the predicted {registry_predicted}: "
            "another transaction from the deployer interleaved; deploy again from an idle account"
        )
    addresses = {"charter": charter, "membership": membership, "splitter": splitter, "registry": registry}
    code_hashes = {
        role: "0x" + keccak(w3.eth.get_code(to_checksum_address(addr))).hex() for role, addr in addresses.items()
    }
    compiler = artifacts.load("Charter")["compiler"]
    full = CharterConfig(p, cfg.document_cid, cfg.revenue_tokens, cfg.founders, governance)
    return Deployment(
        chain_id=int(w3.eth.chain_id),
        deploy_block=first_block,
        deployer=account.address,
        addresses=addresses,
        code_hashes=code_hashes,
        charter=charter_to_json(full),
        compiler=compiler,
    )
