"""Every contract error a member can reach has a plain sentence (issue 23), in people's units.

starfish_dao/cli/errors.py is the one table: the CLI prints it, the relay answers it in refusals and
on /v1/explain-error, the page shows it. Before, about 15 reachable errors had none (the page said
`message: null` for GovernorSuspendedProposer) and some sentences printed raw wei, raw seconds and
raw parameter ids ("the treasury holds 50000000000000000 of that token")."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from starfish_dao.chain.build import ARTIFACTS_DIR
from starfish_dao.cli.errors import MESSAGES, plain
from starfish_dao.domain.charter import DAY, HOUR, PARAMETER_KEYS
from tests.conftest import ETHER, Dao

#: the DAO's contracts; StarfishGovernor's ABI carries OpenZeppelin's Governor errors it can raise
CONTRACTS = (
    "Charter",
    "ContributionRegistry",
    "Membership",
    "PayoutSplitter",
    "StarfishGovernor",
    "StarfishTimelock",
    "Grid",
)

#: errors no member can reach, each with why; everything else must have a sentence
UNREACHABLE = {
    # internal invariants of OpenZeppelin's libraries: timestamps in order, 48-bit times
    "CheckpointUnorderedInsertion": "checkpoints are written at the current time, which only grows",
    "SafeCastOverflowedUintDowncast": "the governor casts times and bounded settings, never past 2^48",
    # fixed at deployment by the contracts' own code, never by a member's input
    "ERC6372InconsistentClock": "the governor and its votes use the same timestamp clock, fixed in code",
    "InvalidShortString": "the EIP-712 names are constants of the contracts",
    "StringTooLong": "the EIP-712 names are constants of the contracts",
    "ERC721InvalidSender": "a membership id is minted once: ids are never reused",
    # a tally bucket past 2^112 of standing (5e15 points) or 65,535 reviews: beyond any community
    "TallyOverflow": "more standing or reviews on one rating than any community holds",
}


def _errors() -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for name in CONTRACTS:
        for item in json.loads((ARTIFACTS_DIR / f"{name}.json").read_text())["abi"]:
            if item["type"] == "error":
                found[item["name"]] = item["inputs"]
    return found


def _sample(arg: dict[str, Any]) -> Any:
    """A plausible value of an error's argument, as the decoder gives it (addresses checksummed,
    bytes as 0x hex)."""
    name, typ = arg["name"], arg["type"]
    if typ == "address":
        return "0x000000000000000000000000000000000000dEaD"
    if typ.startswith("bytes"):
        return "0x" + "ab" * 32
    if typ == "bool":
        return True
    if typ == "string":
        return "votingDelay"
    if name == "parameter":
        return int(PARAMETER_KEYS["reviewWindow"])
    return 1


def test_every_error_a_member_can_reach_has_a_sentence() -> None:
    errors = _errors()
    assert len(errors) > 80, sorted(errors)  # the ABIs were read
    missing = sorted(e for e in errors if e not in MESSAGES and e not in UNREACHABLE)
    assert not missing, f"contract errors without a sentence in starfish_dao/cli/errors.py: {missing}"
    stale = sorted(e for e in UNREACHABLE if e not in errors)
    assert not stale, f"allow-listed errors no contract has any more: {stale}"
    said = {name: plain(name, {a["name"]: _sample(a) for a in inputs}, 10**9) for name, inputs in errors.items()
            if name in MESSAGES}  # fmt: skip
    broken = sorted(name for name, sentence in said.items() if not sentence)
    assert not broken, f"sentences that fail on the error's own arguments (a wrong argument name?): {broken}"


def test_sentences_say_money_durations_and_parameters_in_peoples_units() -> None:
    eth = "0x0000000000000000000000000000000000000000"
    token = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
    treasury = plain("SplitterInsufficientTreasury", {"token": eth, "requested": 6 * 10**16, "available": 5 * 10**16})
    assert treasury and "0.05 ETH" in treasury and "0.06 ETH" in treasury, treasury
    assert "50000000000000000" not in treasury
    dollars = plain("SplitterInsufficientTreasury", {"token": token, "requested": 2_000_000, "available": 1_250_000},
                    units=lambda t: ("TUSD", 6))  # fmt: skip
    assert dollars and "1.25 TUSD" in dollars and "2 TUSD" in dollars, dollars
    unknown = plain("SplitterInsufficientUntracked", {"token": token, "requested": 2_000_000, "available": 1})
    assert unknown and "2,000,000 base units of 0x5FbD…0aa3" in unknown, unknown  # never 18 decimals guessed
    window = int(PARAMETER_KEYS["reviewWindow"])
    bounds = plain("CharterValueOutOfBounds", {"parameter": window, "value": 40 * DAY, "min": DAY, "max": 30 * DAY})
    assert bounds and "reviewWindow 40 days" in bounds and "1 day .. 30 days" in bounds, bounds
    assert "3456000" not in bounds and "86400" not in bounds
    delay = plain("GovernorSettingOutOfBounds", {"setting": "votingDelay", "value": 60, "min": HOUR, "max": 14 * DAY})
    assert delay and "votingDelay 1 minute" in delay, delay
    assert delay and "1 hour .. 14 days" in delay and "3600" not in delay, delay
    threshold = plain("GovernorSettingOutOfBounds", {"setting": "proposalThreshold", "value": 0, "min": ETHER,
                                                     "max": 10**30})  # fmt: skip
    assert threshold and "1 point" in threshold and str(ETHER) not in threshold, threshold
    quorum = plain("GovernorSettingOutOfBounds", {"setting": "quorumNumerator", "value": 90, "min": 5, "max": 80})
    assert quorum and "quorumPercent 90 %" in quorum and "5 % .. 80 %" in quorum, quorum
    timelock = plain("TimelockDelayOutOfBounds", {"delay": 60, "min": HOUR, "max": 30 * DAY})
    assert timelock and "1 minute" in timelock and "1 hour .. 30 days" in timelock, timelock


def test_a_suspended_member_who_proposes_reads_a_sentence(dao: Dao, tmp_path: Path) -> None:
    manifests = tmp_path / "deployments"
    dao.deployment.save(manifests)
    bo = dao["bo"]
    dao.govern(dao.sf.membership.functions.suspend(bo.address))
    env = {k: v for k, v in os.environ.items() if not k.startswith("STARFISH_")}
    env.update(STARFISH_HOME=str(tmp_path / "home"), STARFISH_RPC_URL=dao.chain.url, STARFISH_PRIVATE_KEY=bo.key.hex())
    out = subprocess.run([sys.executable, "-m", "starfish_dao.cli", "propose", "set-parameter", "minReviewers", "3",
                          "--title", "Three reviewers", "--deployments", str(manifests)],
                         capture_output=True, text=True, env=env, timeout=300)  # fmt: skip
    said = " ".join(out.stderr.split())
    assert out.returncode == 1 and "Traceback" not in out.stderr, out.stderr
    assert f"{bo.address} is suspended and cannot propose" in said, said
    assert "the contract refused" not in said, said


@pytest.mark.parametrize("name", ["GovernorSuspendedProposer", "GovernorOnlyExecutor", "GovernorUnableToCancel"])
def test_the_relays_explain_error_reads_the_same_table(name: str) -> None:
    """What /v1/explain-error answers (relay/edge/problems.contract_sentence): no longer null."""
    from starfish_dao.relay.edge.problems import contract_sentence

    args = {a["name"]: _sample(a) for a in _errors()[name]}
    assert contract_sentence(name, args, 10**9) == plain(name, args, 10**9) is not None
