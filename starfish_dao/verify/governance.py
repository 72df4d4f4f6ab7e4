"""Who governs: the handover to the members' timelock, every role grant, every proposal's outcome.

The founder steps down at deployment: the charter (which the membership and the splitter ask) names
the timelock as governance, the timelock's only proposer and canceller is the governor, anyone may
execute, and nobody but the timelock administers it. This module enumerates every role grant and
revocation from the timelock's events (and asks the chain too), and re-derives every vote and every
proposal's state from the reference model.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from eth_utils.crypto import keccak

from starfish_dao.chain.client import Starfish
from starfish_dao.domain.model import ETH, PROPOSAL_STATES, TIMELOCK_DELAY_BOUNDS, Model
from starfish_dao.verify.state import Check

ZERO = "0x" + "00" * 20
ROLE_NAMES = {
    b"\x00" * 32: "DEFAULT_ADMIN_ROLE",
    keccak(text="PROPOSER_ROLE"): "PROPOSER_ROLE",
    keccak(text="EXECUTOR_ROLE"): "EXECUTOR_ROLE",
    keccak(text="CANCELLER_ROLE"): "CANCELLER_ROLE",
}


def expected_roles(timelock: str, governor: str) -> dict[str, set[str]]:
    """The only holders each timelock role may have."""
    return {
        "DEFAULT_ADMIN_ROLE": {timelock},
        "PROPOSER_ROLE": {governor},
        "CANCELLER_ROLE": {governor},
        "EXECUTOR_ROLE": {ZERO},  # anyone may execute a passed, delayed proposal
    }


def check_governance(sf: Starfish, model: Model, now: int, block: int | str = "latest") -> list[Check]:
    d = sf.deployment
    at: dict[str, Any] = {"block_identifier": block}
    governance = str(sf.charter.functions.governance().call(**at))
    if not d.governed_by_members:
        return [
            Check(
                "charter", "governed by the members' timelock", governance, "a timelock", "governance",
                f"one address ({governance}) can change the charter, suspend, slash and spend alone: a key is a boss",
            )
        ]  # fmt: skip
    timelock, governor = d.addresses["timelock"], d.addresses["governor"]
    checks = [Check("charter", "governance is the timelock", governance, timelock, "governance")]
    g = sf.contracts["governor"].functions
    splitter = d.addresses["splitter"]
    checks.append(
        Check(f"governor {governor}", "counts the splitter's votes", g.token().call(), splitter, "governance")
    )
    checks.append(
        Check(f"governor {governor}", "acts through the timelock", g.timelock().call(), timelock, "governance")
    )
    checks.append(Check(f"governor {governor}", "clock mode", g.CLOCK_MODE().call(), "mode=timestamp", "governance"))
    # every grant and revocation, from the events
    derived = {ROLE_NAMES.get(role, "0x" + role.hex()): holders for role, holders in model.roles.items()}
    for role, want in expected_roles(timelock, governor).items():
        got = derived.get(role, set())
        extra = sorted(got - want)
        note = f"other holders: {', '.join(extra)}" if extra else ""
        checks.append(Check(f"timelock {timelock}", f"{role} holders", sorted(got), sorted(want), "governance", note))
    unknown = sorted(set(derived) - set(ROLE_NAMES.values()))
    checks.append(Check(f"timelock {timelock}", "no other roles", unknown, [], "governance"))
    t = sf.contracts["timelock"].functions
    deployer = d.deployer
    if deployer:
        held = [name for role, name in ROLE_NAMES.items() if t.hasRole(role, deployer).call(**at)]
        checks.append(Check(f"deployer {deployer}", "holds no timelock role", held, [], "governance"))
    # the members' exit window: the delay stays within the bounds the toolkit's settings have
    delay = int(t.getMinDelay().call(**at))
    low, high = TIMELOCK_DELAY_BOUNDS
    within = low <= delay <= high
    checks.append(
        Check(f"timelock {timelock}", f"delay within [{low}, {high}] s", within, True, "governance",
              f"{delay} s; the model derives {model.timelock_delay} s")
    )  # fmt: skip
    checks.append(Check(f"timelock {timelock}", "delay as the events say", delay, model.timelock_delay, "governance"))
    guardian = str(g.proposalGuardian().call(**at))
    expiry = int(g.guardianExpiry().call(**at))
    if guardian != ZERO:
        note = "expired: it can cancel nothing" if now > expiry else f"may cancel proposals until {expiry}"
        checks.append(
            Check(f"guardian {guardian}", "only cancels, until a fixed expiry", True, True, "governance", note)
        )
    # every proposal: state and tally as the model derives them
    for pid, p in model.proposals.items():
        state = PROPOSAL_STATES[int(g.state(pid).call(**at))]
        against, for_, abstain = (int(x) for x in g.proposalVotes(pid).call(**at))
        subject = f"proposal {_short(pid)}"
        checks.append(Check(subject, "state", state, model.proposal_state(pid, now), "governance"))
        checks.append(Check(subject, "votes (for, against, abstain)", (for_, against, abstain),
                            (p.votes[1], p.votes[0], p.votes[2]), "governance"))  # fmt: skip
    return checks


def _short(pid: int) -> str:
    text = str(pid)
    return text if len(text) <= 12 else text[:6] + "…" + text[-4:]


def proposal_calls(sf: Starfish, targets: list[str], calldatas: list[bytes], values: list[int]) -> list[str]:
    """Each call of a proposal, decoded against the DAO's own contracts where possible."""
    by_address = {address.lower(): (role, sf.contracts[role]) for role, address in sf.deployment.addresses.items()}
    out = []
    for target, data, value in zip(targets, calldatas, values, strict=True):
        role, contract = by_address.get(target.lower(), (target, None))
        text = f"{role}: 0x{bytes(data).hex()}"
        if contract is not None and data:
            try:
                fn, args = contract.decode_function_input(bytes(data))
                shown: list[Any] = [f"{k}={_show(v)}" for k, v in args.items()]
                text = f"{role}.{fn.fn_name}({', '.join(shown)})"
            except ValueError:
                pass
        if value:
            text += f" with {value} wei"
        out.append(text)
    return out


def _show(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    return str(value)


def _amount(raw: int, token: str, sf: Starfish | None = None) -> str:
    """`0.05 ETH`, `1.25 TUSD (0x…)`: exact (a vote is on what is paid, not a rounding of it), in the
    token's own units as it states them; a token is named by its address too (anyone can call a
    token "USDC")."""
    from starfish_dao.chain.tokens import stated_units

    decimals: int | None
    symbol, decimals = "ETH", 18
    if token != ETH:
        symbol, decimals = stated_units(sf.w3, token) if sf is not None else (token, None)
    if decimals is None:
        return f"{raw} base units of the token {token}"
    text = f"{Decimal(raw) / Decimal(10**decimals):f}"
    text = text.rstrip("0").rstrip(".") if "." in text else text
    return f"{text} ETH" if token == ETH else f"{text} {symbol} ({token})"


#: the governor's setters: the setting each changes (as `charter show` names it)
_SETTINGS = {"setVotingDelay": "votingDelay", "setVotingPeriod": "votingPeriod",
             "setProposalThreshold": "proposalThreshold", "updateQuorumNumerator": "quorumPercent"}  # fmt: skip


def said_calls(sf: Starfish, targets: list[str], calldatas: list[bytes], values: list[int]) -> list[str]:
    """Each call of a proposal in people's words and units ("pay 0.05 ETH from the treasury to 0x…",
    "set reviewWindow to 3 days"); one it does not know keeps its decoded form (`calls`)."""
    from starfish_dao.domain.charter import PARAMETER_KEYS
    from starfish_dao.domain.charter_units import KINDS, describe

    keys = {int(p): k for k, p in PARAMETER_KEYS.items()}
    by_address = {a.lower(): (role, sf.contracts[role]) for role, a in sf.deployment.addresses.items()}
    out = []
    for target, data, value in zip(targets, calldatas, values, strict=True):
        role, contract = by_address.get(target.lower(), (target, None))
        text = ""
        if contract is not None and data:
            try:
                fn, a = contract.decode_function_input(bytes(data))
                name = fn.fn_name
            except ValueError:
                name, a = "", {}
            if name == "spend":
                text = f"pay {_amount(a['amount'], a['token'], sf)} from the treasury to {a['to']}"
            elif name == "rescue":
                text = f"send {_amount(a['amount'], a['token'], sf)}, which is not revenue, to {a['to']}"
            elif name == "setParameter" and int(a["which"]) in keys:
                key = keys[int(a["which"])]
                text = f"set the charter's {key} to {describe(KINDS[key], int(a['value']))}"
            elif name in ("suspend", "reinstate"):
                text = f"{name} {a['account']}"
            elif name == "slash":
                text = f"cut the points of {a['member']} by {describe('bps', int(a['bps']))}"
            elif name == "setDocument":
                text = "replace the charter document"
            elif name in _SETTINGS and len(a) == 1:
                key = _SETTINGS[name]
                text = f"set the governor's {key} to {describe(KINDS[key], int(next(iter(a.values()))))}"
            elif name == "updateDelay" and len(a) == 1:
                text = f"set the timelock's delay to {describe('seconds', int(next(iter(a.values()))))}"
            elif name == "setRevenueToken":
                text = f"{'accept' if a['allowed'] else 'stop accepting'} {a['token']} as revenue"
        if not text:
            text = proposal_call_fallback(role, data)
        if value:
            text += f", sending {_amount(value, ETH)}"
        out.append(text)
    return out


def proposal_call_fallback(role: str, data: bytes) -> str:
    return f"a call to {role} (0x{bytes(data)[:4].hex()}…): see the decoded call"
