"""Governance by the members: proposal templates, propose, vote (direct or signed), queue, execute.

A proposal is a list of calls that the timelock will make once the members passed it and the
timelock's delay has run: `Call(role, function, args)`. The templates are the changes a community
makes (a charter parameter, a suspension, a treasury payment...); each builds its calls.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from web3.logs import DISCARD

from starfish_dao.chain.client import Starfish
from starfish_dao.domain.address import checked_address
from starfish_dao.domain.charter import PARAMETER_KEYS
from starfish_dao.domain.errors import ConfigError
from starfish_dao.domain.model import ETH

SUPPORT = {"against": 0, "for": 1, "abstain": 2}
GOVERNOR_SETTINGS = {
    "votingDelay": "setVotingDelay",
    "votingPeriod": "setVotingPeriod",
    "proposalThreshold": "setProposalThreshold",
    "quorumPercent": "updateQuorumNumerator",
}


@dataclass(frozen=True)
class Call:
    """One call a proposal makes: `role` (charter, membership, splitter, governor...) . `function`(`args`)."""

    role: str
    function: str
    args: tuple[Any, ...]
    value: int = 0


def _address(text: str, what: str) -> str:
    return checked_address(text, what)


def _token(text: str) -> str:
    return ETH if text.lower() in ("eth", "ether", "0x0", ETH) else _address(text, "the token")


def _int(text: Any, what: str) -> int:
    try:
        value = int(text)
    except (TypeError, ValueError):
        raise ConfigError(f"{what} must be a whole number, got {text!r}") from None
    if value < 0:
        raise ConfigError(f"{what} must not be negative, got {value}")
    return value


def set_parameter(name: str, value: str) -> list[Call]:
    if name not in PARAMETER_KEYS:
        raise ConfigError(f"unknown charter parameter {name!r}; known: {', '.join(PARAMETER_KEYS)}")
    from starfish_dao.domain.charter_units import parameter_value

    # in people's units ("4 days", "5 %", 2.5 points), checked against the bounds before anyone votes
    return [Call("charter", "setParameter", (int(PARAMETER_KEYS[name]), parameter_value(name, value)))]


def set_document(cid: bytes) -> list[Call]:
    return [Call("charter", "setDocument", (cid,))]


def suspend(address: str) -> list[Call]:
    return [Call("membership", "suspend", (_address(address, "the member"),))]


def reinstate(address: str) -> list[Call]:
    return [Call("membership", "reinstate", (_address(address, "the member"),))]


def slash(address: str, percent: str) -> list[Call]:
    bps = round(float(percent) * 100)
    if not 0 < bps <= 10_000:
        raise ConfigError(f"the slash is a percentage of the member's points in (0, 100], got {percent}")
    return [Call("splitter", "slash", (_address(address, "the member"), bps))]


def spend(token: str, to: str, amount: int) -> list[Call]:
    return [Call("splitter", "spend", (_token(token), _address(to, "the recipient"), amount))]


def rescue(token: str, to: str, amount: int) -> list[Call]:
    return [Call("splitter", "rescue", (_address(token, "the token"), _address(to, "the recipient"), amount))]


def list_token(token: str, allowed: bool) -> list[Call]:
    return [Call("charter", "setRevenueToken", (_address(token, "the token"), allowed))]


def governor_setting(name: str, value: str) -> list[Call]:
    if name not in GOVERNOR_SETTINGS:
        raise ConfigError(f"unknown governor setting {name!r}; known: {', '.join(GOVERNOR_SETTINGS)}")
    from starfish_dao.domain.charter_units import setting_value

    # in people's units ("2 days", "25 %", 2 points), as `charter show` and `init` write them
    return [Call("governor", GOVERNOR_SETTINGS[name], (setting_value(name, str(value)),))]


class Governance:
    """The members' governor and timelock of a deployed DAO."""

    def __init__(self, sf: Starfish) -> None:
        if "governor" not in sf.contracts:
            raise ConfigError("this DAO has no governor: it was deployed with one governance address")
        self.sf = sf
        self.governor = sf.contracts["governor"]
        self.timelock = sf.contracts["timelock"]

    def encode(self, calls: list[Call]) -> tuple[list[str], list[int], list[bytes]]:
        targets: list[str] = []
        values: list[int] = []
        datas: list[bytes] = []
        for call in calls:
            contract = self.sf.contracts[call.role]
            fn = getattr(contract.functions, call.function)(*call.args)
            targets.append(contract.address)
            values.append(call.value)
            datas.append(bytes.fromhex(fn._encode_transaction_data()[2:]))
        return targets, values, datas

    def proposal_id(self, calls: list[Call], description: str) -> int:
        targets, values, datas = self.encode(calls)
        return int(self.governor.functions.hashProposal(targets, values, datas, keccak(text=description)).call())

    def propose(self, account: LocalAccount, calls: list[Call], description: str) -> int:
        targets, values, datas = self.encode(calls)
        receipt = self.sf._send(account, self.governor.functions.propose(targets, values, datas, description))
        return int(
            self.governor.events.ProposalCreated().process_receipt(receipt, errors=DISCARD)[0]["args"]["proposalId"]
        )

    def vote(self, account: LocalAccount, proposal: int, support: str, reason: str = "") -> int:
        fn = self.governor.functions.castVoteWithReason(proposal, _support(support), reason)
        receipt = self.sf._send(account, fn)
        return int(self.governor.events.VoteCast().process_receipt(receipt, errors=DISCARD)[0]["args"]["weight"])

    def state(self, proposal: int) -> str:
        from starfish_dao.domain.model import PROPOSAL_STATES

        return PROPOSAL_STATES[int(self.governor.functions.state(proposal).call())]

    def _call(self, sender: LocalAccount, name: str, proposal: int, created: dict[str, Any]) -> Any:
        fn = getattr(self.governor.functions, name)(
            [to_checksum_address(t) for t in created["targets"]], [int(v) for v in created["values"]],
            [bytes(c) for c in created["calldatas"]],
            keccak(text=str(created["description"])),
        )  # fmt: skip
        return self.sf._send(sender, fn)

    def created(self, proposal: int) -> dict[str, Any]:
        """The proposal's ProposalCreated event (targets, calldatas, description...)."""
        for event in self.sf.logs():
            if event["event"] == "ProposalCreated" and int(event["args"]["proposalId"]) == proposal:
                return dict(event["args"])
        raise ConfigError(f"no proposal {proposal} on this governor")

    def queue(self, sender: LocalAccount, proposal: int, created: dict[str, Any] | None = None) -> Any:
        return self._call(sender, "queue", proposal, created or self.created(proposal))

    def execute(self, sender: LocalAccount, proposal: int, created: dict[str, Any] | None = None) -> Any:
        return self._call(sender, "execute", proposal, created or self.created(proposal))

    def delegate(self, account: LocalAccount, to: str) -> Any:
        return self.sf._send(account, self.sf.splitter.functions.delegate(_address(to, "the delegate")))


def _support(text: str | int) -> int:
    if isinstance(text, int) and text in (0, 1, 2):
        return text
    if str(text) not in SUPPORT:
        raise ConfigError(f"a vote is for, against or abstain, not {text!r}")
    return SUPPORT[str(text)]


TEMPLATES: dict[str, Callable[..., list[Call]]] = {
    "set-parameter": set_parameter,
    "set-document": set_document,
    "suspend": suspend,
    "reinstate": reinstate,
    "slash": slash,
    "spend": spend,
    "rescue": rescue,
    "list-token": lambda token: list_token(token, True),
    "delist-token": lambda token: list_token(token, False),
    "governor-setting": governor_setting,
}
