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
from starfish_dao.domain.charter import PARAMETER_KEYS, CharterConfig, Founder, GovernanceSettings, Params
from starfish_dao.domain.errors import ConfigError, DeploymentError

#: The core contracts, deployed always.
CORE_ROLES = {
    "charter": "Charter",
    "membership": "Membership",
    "splitter": "PayoutSplitter",
    "registry": "ContributionRegistry",
    "grid": "Grid",
}
#: The members' governance, deployed unless an explicit governance address is given.
GOVERNANCE_ROLES = {"timelock": "StarfishTimelock", "governor": "StarfishGovernor"}
ROLES = {**CORE_ROLES, **GOVERNANCE_ROLES}


def roles_of(addresses: dict[str, str]) -> dict[str, str]:
    """The roles (and their contract names) a deployment has."""
    return {role: name for role, name in ROLES.items() if role in addresses}


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
                role: {"name": name, "address": self.addresses[role], "codeHash": self.code_hashes[role]}
                for role, name in roles_of(self.addresses).items()
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
                addresses={role: data["contracts"][role]["address"] for role in ROLES if role in data["contracts"]},
                code_hashes={role: data["contracts"][role]["codeHash"] for role in ROLES if role in data["contracts"]},
                charter=data["charter"],
                compiler=data["compiler"],
                extra=data.get("extra", {}),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise DeploymentError(f"malformed deployment manifest: missing or bad {exc}") from exc

    @property
    def governed_by_members(self) -> bool:
        """Whether the members' governor and timelock were deployed with the DAO."""
        return all(role in self.addresses for role in GOVERNANCE_ROLES)

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
    params["hostMinStanding"] = str(p.host_min_standing)
    g = cfg.settings
    return {
        "governance": cfg.governance,
        "governor": {
            "votingDelay": g.voting_delay,
            "votingPeriod": g.voting_period,
            "proposalThreshold": str(g.proposal_threshold),
            "quorumPercent": g.quorum_percent,
            "timelockDelay": g.timelock_delay,
            "guardian": g.guardian,
            "guardianExpiry": g.guardian_expiry,
        },
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


def checked_addresses(cfg: CharterConfig) -> CharterConfig:
    """`cfg` with every address checksummed under the one address rule (`domain/address.py`): mixed
    case must be a valid checksum, else ConfigError naming which address, with no corrected form. A
    typo must never become a guardian that cancels proposals, a revenue token, a founder or governance."""
    from dataclasses import replace

    from starfish_dao.domain.address import checked_address

    s = cfg.settings
    guardian = checked_address(s.guardian, "the guardian (governor.guardian)") if s.guardian else ""
    return replace(
        cfg,
        revenue_tokens=tuple(checked_address(t, "a revenue token (revenueTokens)") for t in cfg.revenue_tokens),
        founders=tuple(replace(f, address=checked_address(f.address, "a founder's address")) for f in cfg.founders),
        governance=checked_address(cfg.governance, "governance") if cfg.governance else "",
        settings=replace(s, guardian=guardian),
    )


def charter_from_json(data: dict[str, Any]) -> CharterConfig:
    try:
        params = params_from_json(dict(data.get("params", {})))
        g = dict(data.get("governor") or {})
        settings = GovernanceSettings(
            voting_delay=int(g.get("votingDelay", GovernanceSettings.voting_delay)),
            voting_period=int(g.get("votingPeriod", GovernanceSettings.voting_period)),
            proposal_threshold=int(g.get("proposalThreshold", GovernanceSettings.proposal_threshold)),
            quorum_percent=int(g.get("quorumPercent", GovernanceSettings.quorum_percent)),
            timelock_delay=int(g.get("timelockDelay", GovernanceSettings.timelock_delay)),
            guardian=str(g.get("guardian", "") or ""),
            guardian_expiry=int(g.get("guardianExpiry", 0) or 0),
        ).check()
        return checked_addresses(CharterConfig(
            params=params,
            document_cid=bytes.fromhex(str(data.get("documentCid", "")).removeprefix("0x")),
            revenue_tokens=tuple(data.get("revenueTokens", [])),
            founders=tuple(Founder(f["address"], int(f["genesisPoints"])) for f in data.get("founders", [])),
            governance=str(data.get("governance", "") or ""),
            settings=settings,
        ))  # fmt: skip
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
    """Deploys the DAO, wired together, and returns the manifest: charter, membership, splitter,
    registry and grid, then (unless `cfg.governance` names an address) the timelock and the governor. The
    charter's governance is the timelock from the first block, and the deployer holds no role.

    `overrides` replaces a contract's artifact by name (tests deploy deliberately wrong variants)."""
    overrides = overrides or {}
    cfg = checked_addresses(cfg)  # before anything is sent
    cfg.params.check()
    settings = cfg.settings.check()
    if not cfg.document_cid:
        raise ConfigError("the charter needs a document CID (pin the charter text first)")
    p = cfg.params
    founders = [f.address for f in cfg.founders]
    points = [f.genesis_points for f in cfg.founders]
    nonce = w3.eth.get_transaction_count(account.address, "pending")
    predicted = {role: create_address(account.address, nonce + i) for i, role in enumerate(ROLES)}
    members_govern = not cfg.governance
    governance = predicted["timelock"] if members_govern else cfg.governance
    charter, first_block = _deploy_one(
        w3, account, "Charter", governance, p.as_tuple(), cfg.document_cid, list(cfg.revenue_tokens)
    )
    membership, _ = _deploy_one(w3, account, "Membership", charter, predicted["splitter"])
    splitter, _ = _deploy_one(
        w3, account, "PayoutSplitter", charter, predicted["registry"], predicted["grid"], membership, founders, points,
        artifact=overrides.get("PayoutSplitter"),
    )  # fmt: skip
    registry, _ = _deploy_one(w3, account, "ContributionRegistry", charter, membership, splitter)
    grid, _ = _deploy_one(w3, account, "Grid", charter, membership, splitter)
    addresses = {"charter": charter, "membership": membership, "splitter": splitter, "registry": registry,
                 "grid": grid}  # fmt: skip
    if members_govern:
        timelock, _ = _deploy_one(w3, account, "StarfishTimelock", settings.timelock_delay, predicted["governor"])
        governor, _ = _deploy_one(
            w3, account, "StarfishGovernor", splitter, timelock, membership,
            (settings.voting_delay, settings.voting_period, settings.proposal_threshold, settings.quorum_percent),
            settings.guardian or "0x" + "00" * 20,
            settings.guardian_expiry,
        )  # fmt: skip
        addresses |= {"timelock": timelock, "governor": governor}
    for role, address in addresses.items():
        if address != predicted[role]:
            raise DeploymentError(
                f"{role} landed at {address}, not the predicted {predicted[role]}: another transaction from the "
                "deployer interleaved; deploy again from an idle account"
            )
    code_hashes = {
        role: "0x" + keccak(w3.eth.get_code(to_checksum_address(addr))).hex() for role, addr in addresses.items()
    }
    compiler = artifacts.load("Charter")["compiler"]
    full = CharterConfig(p, cfg.document_cid, cfg.revenue_tokens, cfg.founders, governance, settings)
    return Deployment(
        chain_id=int(w3.eth.chain_id),
        deploy_block=first_block,
        deployer=account.address,
        addresses=addresses,
        code_hashes=code_hashes,
        charter=charter_to_json(full),
        compiler=compiler,
    )
