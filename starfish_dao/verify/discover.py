"""Start from nothing but the splitter's address: find the other contracts and the deploy block."""

from __future__ import annotations

from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from web3 import Web3

from starfish_dao.chain import artifacts
from starfish_dao.chain.deployment import Deployment
from starfish_dao.domain.errors import DeploymentError


def _first_block_with_code(w3: Web3, address: str, latest: int) -> int:
    """Binary search for the block at which `address` got its code."""
    lo, hi = 0, latest
    if not w3.eth.get_code(to_checksum_address(address), hi):
        raise DeploymentError(f"no contract at {address}")
    while lo < hi:
        mid = (lo + hi) // 2
        try:
            code = w3.eth.get_code(to_checksum_address(address), mid)
        except Exception:  # noqa: BLE001 - a node without that block's state (pruned, or after a revert)
            return 0  # the search only narrows the log range: reading logs from genesis is the same answer
        if code:
            hi = mid
        else:
            lo = mid + 1
    return lo


def _governance(w3: Web3, charter: str, splitter: str, latest: int) -> dict[str, str]:
    """The members' timelock (the charter's governance) and the governor that proposes to it, if the
    charter is governed that way (else nothing: one address governs, which `verify` reports)."""
    charter_contract = w3.eth.contract(address=to_checksum_address(charter), abi=artifacts.abi("Charter"))
    governance = charter_contract.functions.governance().call()
    timelock = w3.eth.contract(address=to_checksum_address(governance), abi=artifacts.abi("StarfishTimelock"))
    try:
        timelock.functions.getMinDelay().call()
    except Exception:  # noqa: BLE001 - an account or another contract: no members' governance
        return {}
    proposer_role = keccak(text="PROPOSER_ROLE")
    granted = timelock.events.RoleGranted().get_logs(
        from_block=_first_block_with_code(w3, governance, latest), to_block=latest
    )
    for log in granted:
        if bytes(log["args"]["role"]) != proposer_role:
            continue
        candidate = w3.eth.contract(address=log["args"]["account"], abi=artifacts.abi("StarfishGovernor"))
        try:
            if candidate.functions.token().call() == splitter and candidate.functions.timelock().call() == governance:
                return {"timelock": governance, "governor": candidate.address}
        except Exception:  # noqa: BLE001 - not a governor
            continue
    return {"timelock": governance}


def _grid(w3: Web3, charter: str, membership: str, splitter: str, after: int, latest: int) -> str | None:
    """The grid deployed with this splitter: the `GridWired` event naming it, within 64 blocks of
    the registry (`deploy` sends it next), wired to the same charter, membership and splitter. None
    for a deployment made before the grid existed."""
    topic = "0x" + keccak(text="GridWired(address,address,address)").hex()
    logs = w3.eth.get_logs(
        {
            "fromBlock": after,
            "toBlock": min(latest, after + 64),
            "topics": [topic, "0x" + "00" * 12 + splitter[2:].lower()],
        }
    )  # type: ignore[typeddict-item]
    for log in logs:
        candidate = to_checksum_address(log["address"])
        grid = w3.eth.contract(address=candidate, abi=artifacts.abi("Grid"))
        try:
            wired = [to_checksum_address(a) for a in grid.functions.wiring().call()]
        except Exception:  # noqa: BLE001 - not a grid after all
            continue
        if wired == [charter, membership, splitter]:
            return candidate
    return None


def discover(w3: Web3, splitter: str) -> Deployment:
    """A manifest rebuilt from the chain alone, given the payout splitter's address."""
    from starfish_dao.domain.address import checked_address

    splitter = to_checksum_address(checked_address(splitter, "the splitter"))  # a typo is refused, never corrected
    try:
        contract = w3.eth.contract(address=splitter, abi=artifacts.abi("PayoutSplitter"))
        charter, registry = contract.functions.wiring().call()
        reg = w3.eth.contract(address=registry, abi=artifacts.abi("ContributionRegistry"))
        _, membership, _ = reg.functions.wiring().call()
    except Exception as exc:
        raise DeploymentError(f"{splitter} does not answer as a Starfish payout splitter: {exc}") from exc
    latest = int(w3.eth.block_number)
    addresses = {"charter": charter, "membership": membership, "splitter": splitter, "registry": registry}
    addresses |= _governance(w3, charter, splitter, latest)
    grid = _grid(w3, charter, membership, splitter, _first_block_with_code(w3, registry, latest), latest)
    if grid is not None:
        addresses["grid"] = grid
    deploy_block = min(_first_block_with_code(w3, a, latest) for a in addresses.values())
    code_hashes = {role: "0x" + keccak(w3.eth.get_code(a)).hex() for role, a in addresses.items()}
    return Deployment(
        chain_id=int(w3.eth.chain_id),
        deploy_block=deploy_block,
        deployer="",
        addresses=addresses,
        code_hashes=code_hashes,
        charter={},
        compiler=artifacts.load("Charter")["compiler"],
    )
