"""Errors in people's words: a contract's custom error becomes one sentence that says what to do."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from starfish_dao.cli.common import duration, short_id
from starfish_dao.domain.errors import ContractRevert

STATUS = {0: "unknown", 1: "pending", 2: "accepted", 3: "rejected", 4: "superseded by an earlier commitment"}
PROPOSAL_STATES = ("pending", "active", "canceled", "defeated", "succeeded", "queued", "expired", "executed")


def _points(value: Any) -> str:
    from starfish_dao.domain.units import amount

    return amount(int(value))  # the one rule: at most 6 decimals, rounded down


def _when(deadline: Any, now: int, future: str, past: str) -> str:
    delta = int(deadline) - now
    return future.format(duration(delta)) if delta >= 0 else past.format(duration(-delta))


MESSAGES: dict[str, Callable[[dict[str, Any], int], str]] = {
    # membership
    "MembershipAlreadyMember": lambda a, _: f"{a['account']} is already a member",
    "MembershipNotMember": lambda a, _: f"{a['account']} is not a member (join first)",
    "MembershipSoulbound": lambda a, _: "memberships are soulbound: they cannot be transferred",
    "MembershipUnauthorized": lambda a, _: (
        "only governance may suspend or reinstate: propose it (`starfish propose suspend ...`)"
    ),
    "MembershipSuspensionUnchanged": lambda a, _: (
        f"{a['account']} is {'already' if a['suspended'] else 'not'} suspended"
    ),
    "MembershipStaleSignature": lambda a, _: (
        "this Join/Leave was signed before the member's last join or leave: sign it again"
    ),
    # contributions
    "RegistryNotActiveMember": lambda a, _: (
        f"{a['account']} is not an active member (join first; a suspended member cannot act)"
    ),
    "RegistryInvalidEffort": lambda a, _: (
        f"effort {a['effort']} min is outside 1..{a['maxEffort']} minutes (the charter's maxEffort)"
    ),
    "RegistryEpochEffortExceeded": lambda a, _: (
        f"this brings the effort submitted this epoch to {a['total']} min, above the cap of {a['cap']} "
        "(maxEffortPerEpoch): submit the rest next epoch"
    ),
    "RegistryInvalidCid": lambda a, _: f"a CID of {a['length']} bytes: it must be 1 to 128 bytes, with a content hash",
    "RegistryArtifactAlreadyClaimed": lambda a, _: (
        f"this content is already contribution #{a['id']}: the same bytes earn once"
    ),
    "RegistryContentHashMismatch": lambda a, _: (
        f"this raw CID states the digest {a['digest']}, but the content hash given is {a['contentHash']}: "
        "a raw CID's content hash is its own digest (omit it and the CLI uses the right one)"
    ),
    "RegistrySelfSupersede": lambda a, _: (
        f"your contribution #{a['id']} already holds this content and is under review: a second claim "
        "would discard its reviews"
    ),
    "RegistryAlreadyCommitted": lambda a, _: "this commitment was already posted",
    "RegistryNotCommitted": lambda a, _: (
        "no commitment for this author, content and salt: commit first (`starfish contribute` does both)"
    ),
    "RegistryCommitExpired": lambda a, now: _when(
        a["expiredAt"], now, "", "the commitment expired {} ago: commit again"
    ),
    "RegistryUnknownContribution": lambda a, _: f"there is no contribution #{a['id']}",
    "RegistryInvalidStars": lambda a, _: f"{a['stars']} stars: a rating is 0 to 5",
    "RegistrySelfReview": lambda a, _: f"you cannot review your own contribution #{a['id']}",
    "RegistryAlreadyReviewed": lambda a, _: f"you already reviewed #{a['id']}",
    "RegistryInsufficientStanding": lambda a, _: (
        f"your standing on this work is {_points(a['standing'])} points (the lesser of what you held when its "
        f"epoch began and the second before it was submitted); reviewing needs more than 0 and at least "
        f"{_points(a['required'])} (points earned in an epoch count from the next one)"
    ),
    "RegistryReviewBudgetExceeded": lambda a, _: (
        f"this rating would spend {a['spent']} star-minutes of your {a['budget']} this epoch (your review budget is "
        "reviewBudgetBps of your standing): rate 0 stars, or review in the next epoch"
    ),
    "RegistryReviewWindowClosed": lambda a, now: _when(
        a["deadline"],
        now,
        "the review window of #" + str(a["id"]) + " is open for {}",
        "the review window of #"
        + str(a["id"])
        + " closed {} ago: finalize it (`starfish finalize "
        + str(a["id"])
        + "`)",
    ),
    "RegistryReviewWindowOpen": lambda a, now: _when(
        a["deadline"],
        now,
        "the review window of #" + str(a["id"]) + " closes in {}: finalize after that",
        "the review window of #" + str(a["id"]) + " closed {} ago",
    ),
    "RegistryNotPending": lambda a, _: (
        f"contribution #{a['id']} is no longer open: {STATUS.get(int(a['status']), a['status'])}"
    ),
    # money
    "SplitterTokenNotAllowed": lambda a, _: f"{a['token']} is not a revenue token of this DAO (governance lists them)",
    "SplitterInvalidAmount": lambda a, _: f"the amount {a['amount']} is out of range",
    "SplitterInsufficientTreasury": lambda a, _: (
        f"the treasury holds {a['available']} of that token, less than {a['requested']}"
    ),
    "SplitterInsufficientUntracked": lambda a, _: (
        f"only {a['available']} of that token is not owed to anyone (asked {a['requested']})"
    ),
    "SplitterEthTransferFailed": lambda a, _: (
        f"{a['to']} refused the ETH: a contract wallet that cannot receive can direct its pay elsewhere "
        "(`starfish claim --to ADDRESS`)"
    ),
    "SplitterUnauthorized": lambda a, _: "only governance may do that: propose it (`starfish propose ...`)",
    "SplitterInvalidRecipient": lambda a, _: "pay cannot go to the zero address",
    "SplitterInvalidDelegate": lambda a, _: f"{a['delegatee']} is not an active member: delegate to a member",
    # charter
    "CharterUnauthorized": lambda a, _: (
        "only governance (the members' timelock) may change the charter: `starfish propose set-parameter ...`"
    ),
    "CharterValueOutOfBounds": lambda a, _: (
        f"{a['value']} is outside the bounds [{a['min']}, {a['max']}] of that parameter"
    ),
    "CharterDecayTooFast": lambda a, _: (
        f"points would halve every {duration(a['halfLifeSeconds'])}: no faster than every {duration(a['minimum'])}"
    ),
    # signatures
    "SignatureExpired": lambda a, now: _when(a["deadline"], now, "", "the signature expired {} ago: sign again"),
    "SignatureInvalid": lambda a, _: f"the signature is not {a['signer']}'s for this action, chain and contract",
    "NonceAlreadyUsed": lambda a, _: (
        f"nonce {a['nonce']} of {a['signer']} was already used: this signed action was sent before"
    ),
    # governance
    "GovernorInsufficientProposerVotes": lambda a, _: (
        f"proposing needs {_points(a['threshold'])} points of votes; {a['proposer']} had {_points(a['votes'])}"
    ),
    "GovernorAlreadyCastVote": lambda a, _: f"{a['voter']} already voted on this proposal",
    "GovernorUnexpectedProposalState": lambda a, _: (
        f"proposal {short_id(a['proposalId'])} is {PROPOSAL_STATES[int(a['current'])]}, so this cannot be done now "
        f"(`starfish proposals` shows each proposal's state and what comes next)"
    ),
    "GovernorSuspendedVoter": lambda a, _: f"{a['voter']} is suspended and cannot vote",
    "GovernorSettingOutOfBounds": lambda a, _: f"{a['setting']} {a['value']} is outside [{a['min']}, {a['max']}]",
    "GovernorNonexistentProposal": lambda a, _: "there is no such proposal",
    "TimelockUnexpectedOperationState": lambda a, _: (
        "the timelock is not ready: its delay has not run yet (or it ran already)"
    ),
}


def plain(name: str, args: dict[str, Any], now: int | None = None) -> str | None:
    """The sentence of the table for the error `name` with `args` (None if the table has none).
    The one table the CLI, the relay's refusals and the page (through the relay) all read."""
    render = MESSAGES.get(name)
    if render is None:
        return None
    try:
        return render(args, now if now is not None else int(time.time()))
    except (KeyError, ValueError, IndexError, TypeError):
        return None


def humanize(exc: ContractRevert) -> str:
    """One sentence for a contract's refusal; unknown errors keep their name and arguments."""
    sentence = plain(exc.name, exc.error_args, exc.chain_time)
    return f"the contract refused: {exc}" if sentence is None else f"{sentence} ({exc.name})"
