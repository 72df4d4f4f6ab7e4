"""Errors in people's words: a contract's custom error becomes one sentence that says what to do.

One table (`MESSAGES`) for the CLI, the relay's refusals and the page (through `/v1/explain-error`).
Every number is in people's units: ETH and tokens with their symbols (`units` says a token's symbol
and decimals; without it a token's amount is said in base units, never guessed), points, durations,
dates, percentages. tests/test_error_sentences.py fails when an error of the contracts has none."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starfish_dao.cli.common import duration, short_id
from starfish_dao.domain.errors import ContractRevert

STATUS = {0: "unknown", 1: "pending", 2: "accepted", 3: "rejected", 4: "superseded by an earlier commitment"}
PROPOSAL_STATES = ("pending", "active", "canceled", "defeated", "succeeded", "queued", "expired", "executed")
#: the governor's names for its settings (GovernorSettingOutOfBounds) -> how `charter show` names them
_GOVERNOR_SETTINGS = {"votingDelay": "votingDelay", "votingPeriod": "votingPeriod",
                      "proposalThreshold": "proposalThreshold", "quorumNumerator": "quorumPercent"}  # fmt: skip

Units = Callable[[str], tuple[str, "int | None"]]


def _known_units(token: str) -> tuple[str, int | None]:
    """Without the chain: ETH is known; a token is named by its short address, its decimals unknown."""
    from starfish_dao.domain.fastabi import is_address

    if _is_eth(token):
        return "ETH", 18
    text = str(token)
    return (text[:6] + "…" + text[-4:] if is_address(text) else text), None


@dataclass(frozen=True)
class Said:
    """What a sentence may need besides the error's arguments: the chain's time and token units."""

    now: int
    units: Units = _known_units


def _is_eth(token: Any) -> bool:
    try:
        return int(str(token), 16) == 0
    except ValueError:
        return False


def _money(c: Said, token: Any, raw: Any) -> str:
    from starfish_dao.domain.units import token_amount

    return token_amount(int(raw), *c.units("0x" + "0" * 40 if _is_eth(token) else str(token)))


def _points(value: Any) -> str:
    from starfish_dao.domain.units import amount

    return amount(int(value))  # the one rule: at most 6 decimals, rounded down


def _kind(kind: str, raw: Any) -> str:
    """A value of a charter or governor setting in its people's units ("3 days", "10 %", "2 points")."""
    from starfish_dao.domain.charter_units import describe

    return describe(kind, int(raw))


def _parameter(a: dict[str, Any]) -> str:
    """CharterValueOutOfBounds: the parameter by name, the value and bounds in its units."""
    from starfish_dao.domain.charter import PARAMETER_KEYS
    from starfish_dao.domain.charter_units import KINDS

    key = {int(p): k for k, p in PARAMETER_KEYS.items()}[int(a["parameter"])]
    kind = KINDS[key]
    return (f"{key} {_kind(kind, a['value'])} is outside its bounds {_kind(kind, a['min'])} .. "
            f"{_kind(kind, a['max'])} (`starfish charter show` lists them)")  # fmt: skip


def _setting(a: dict[str, Any]) -> str:
    from starfish_dao.domain.charter_units import KINDS

    key = _GOVERNOR_SETTINGS.get(str(a["setting"]), str(a["setting"]))
    kind = KINDS.get(key, "count")
    return (f"the governor's {key} {_kind(kind, a['value'])} is outside its bounds {_kind(kind, a['min'])} .. "
            f"{_kind(kind, a['max'])}")  # fmt: skip


def _date(timestamp: Any) -> str:
    from starfish_dao.domain.units import local_time

    return local_time(int(timestamp))


def _when(deadline: Any, now: int, future: str, past: str) -> str:
    delta = int(deadline) - now
    return future.format(duration(delta)) if delta >= 0 else past.format(duration(-delta))


def _role(role: Any) -> str:
    from eth_utils.crypto import keccak

    names = {"0x" + keccak(text=n).hex(): n.removesuffix("_ROLE").lower() for n in
             ("PROPOSER_ROLE", "EXECUTOR_ROLE", "CANCELLER_ROLE")}  # fmt: skip
    names["0x" + "00" * 32] = "admin"
    return names.get(str(role).lower(), "needed")


MESSAGES: dict[str, Callable[[dict[str, Any], Said], str]] = {
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
        f"this brings the effort submitted this epoch to {a['total']} min, above the cap of {a['cap']} min "
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
    "RegistryCommitExpired": lambda a, c: _when(
        a["expiredAt"], c.now, "", "the commitment expired {} ago: commit again"
    ),
    "RegistryUnknownContribution": lambda a, _: f"there is no contribution #{a['id']}",
    "RegistryInvalidStars": lambda a, _: f"{a['stars']} stars: a rating is 0 to 5",
    "RegistrySelfReview": lambda a, _: f"you cannot review your own contribution #{a['id']}",
    "RegistryAlreadyReviewed": lambda a, _: f"you already reviewed #{a['id']}",
    "RegistryNotOnPanel": lambda a, _: (
        f"you are not on the panel of #{a['id']}: its reviewers are drawn at random by standing from the block "
        "it was submitted in (panelSize of them, about); only the panel's ratings count. Comment instead, or "
        "review the work whose panel you sit on (`starfish todo` lists it)"
    ),
    "RegistryPanelNotDrawn": lambda a, _: (
        f"the panel of #{a['id']} is drawn from the hash of block {a['drawBlock']}: wait for the next block, or, "
        "if 256 blocks have passed, send `drawPanel` to draw it from a later block"
    ),
    "RegistryPanelAlreadyDrawn": lambda a, _: f"the panel of #{a['id']} is already drawn",
    "RegistryNotRevealed": lambda a, _: (
        f"{a['reviewer']} has no opened rating of #{a['id']} to score: only an opened rating is scored for "
        "review pay (one never opened is forfeited instead)"
    ),
    "RegistryAlreadyScored": lambda a, _: f"{a['reviewer']}'s rating of #{a['id']} is scored already",
    "RegistryRevealsOpen": lambda a, c: _when(
        a["until"],
        c.now,
        f"ratings of #{a['id']} may still be opened for {{}}: its median is not final yet",
        f"ratings of #{a['id']} could be opened until {{}} ago: send it again",
    ),
    "RegistryReviewPayClosed": lambda a, _: (
        f"the review pay of epoch {a['epoch']} is closed (a week after the epoch ended): its ratings can no "
        "longer be scored or forfeited"
    ),
    "RegistryReviewPayOpen": lambda a, _: (
        f"the review pay of epoch {a['epoch']} is not closed yet: it is paid from a week after the epoch ends, "
        "once every rating had time to be scored (`starfish review-pay` shows when)"
    ),
    "RegistryNoReviewPay": lambda a, _: (
        f"{a['reviewer']} has no review pay of epoch {a['epoch']} to claim in this token: claimed already, a "
        "total of 0 or less, a rating not yet scored, or a sealed rating never opened (`starfish review-pay` "
        "says which)"
    ),
    "RegistryUnexpectedEth": lambda a, _: "the registry takes ETH only from the splitter (review pay)",
    "RegistryEthTransferFailed": lambda a, _: (
        f"{a['to']} refused the review pay's ETH: a contract that cannot receive ETH cannot be paid it"
    ),
    "RegistryInsufficientStanding": lambda a, _: (
        f"your standing on this work is {_points(a['standing'])} points (the lesser of what you held when its "
        f"epoch began and the second before it was submitted); reviewing needs more than 0 and at least "
        f"{_points(a['required'])} (points earned in an epoch count from the next one)"
    ),
    "RegistryReviewBudgetExceeded": lambda a, _: (
        f"this rating would spend {a['spent']} star-minutes of your {a['budget']} this epoch (your review budget is "
        "reviewBudgetBps of your standing, spent as your sealed ratings are opened): rate 0 stars, or review in the "
        "next epoch"
    ),
    "RegistryReviewWindowClosed": lambda a, c: _when(
        a["deadline"],
        c.now,
        "the review window of #" + str(a["id"]) + " is open for {}",
        "the review window of #"
        + str(a["id"])
        + " closed {} ago: finalize it (`starfish finalize "
        + str(a["id"])
        + "`)",
    ),
    "RegistryReviewWindowOpen": lambda a, c: _when(
        a["deadline"],
        c.now,
        "the review window of #" + str(a["id"]) + " closes in {}: finalize after that",
        "the review window of #" + str(a["id"]) + " closed {} ago",
    ),
    "RegistryNotSealed": lambda a, _: (
        f"{a['reviewer']} has no sealed rating of #{a['id']} to open (none was sealed, or it was opened already)"
    ),
    "RegistryWrongOpening": lambda a, _: (
        f"these stars, comment and salt do not open {a['reviewer']}'s sealed rating of #{a['id']}: a rating "
        "opens only as it was sealed"
    ),
    "RegistryRevealWindowClosed": lambda a, c: _when(
        a["closedAt"],
        c.now,
        "sealed ratings of #" + str(a["id"]) + " may be opened for {} more",
        "sealed ratings of #" + str(a["id"]) + " had to be opened within 3 days of the window; that ended {} ago: "
        "an unopened rating counts as no review",
    ),
    "RegistryRevealsPending": lambda a, c: _when(
        a["until"],
        c.now,
        str(a["count"]) + " sealed rating(s) of #" + str(a["id"]) + " may still be opened for {}: finalize once "
        "they are opened (`starfish reveal` opens yours) or after that",
        "the reveal window of #" + str(a["id"]) + " ended {} ago",
    ),
    "RegistryNotPending": lambda a, _: (
        f"contribution #{a['id']} is no longer open: {STATUS.get(int(a['status']), a['status'])}"
    ),
    # money
    "SplitterTokenNotAllowed": lambda a, _: f"{a['token']} is not a revenue token of this DAO (governance lists them)",
    "SplitterInvalidAmount": lambda a, _: (
        "an amount of zero: pay, spend or rescue more than nothing (with ETH, the ETH sent must equal the amount)"
        if int(a["amount"]) == 0
        else "the amount is out of range: the ETH sent differs from it, it is larger than the splitter's books "
        "can hold, or a slash is above 100 %"
    ),
    "SplitterInsufficientTreasury": lambda a, c: (
        f"the treasury holds {_money(c, a['token'], a['available'])}, less than the "
        f"{_money(c, a['token'], a['requested'])} asked (`starfish status` shows the treasury)"
    ),
    "SplitterInsufficientUntracked": lambda a, c: (
        f"only {_money(c, a['token'], a['available'])} is held beyond what the splitter owes anyone "
        f"(asked {_money(c, a['token'], a['requested'])}): revenue and pay are never rescued"
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
    "CharterValueOutOfBounds": lambda a, _: _parameter(a),
    "CharterDecayTooFast": lambda a, _: (
        f"points would halve every {duration(a['halfLifeSeconds'])}: no faster than every {duration(a['minimum'])}"
    ),
    # signatures
    "SignatureExpired": lambda a, c: _when(a["deadline"], c.now, "", "the signature expired {} ago: sign again"),
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
    "GovernorSettingOutOfBounds": lambda a, _: _setting(a),
    "GovernorNonexistentProposal": lambda a, _: "there is no such proposal",
    "TimelockUnexpectedOperationState": lambda a, _: (
        "the timelock is not ready: its delay has not run yet (or it ran already)"
    ),
    # governance: OpenZeppelin's Governor and ours
    "GovernorSuspendedProposer": lambda a, _: (
        f"{a['proposer']} is suspended and cannot propose; other members may propose to reinstate them"
    ),
    "GovernorOnlyExecutor": lambda a, _: (
        f"only governance may do that (a passed proposal, carried out by the timelock), not {a['account']}: "
        "propose it (`starfish propose ...`)"
    ),
    "GovernorAlreadyQueuedProposal": lambda a, _: (
        f"proposal {short_id(a['proposalId'])} is already queued: execute it once the timelock's delay has run "
        f"(`starfish execute {short_id(a['proposalId'])}`)"
    ),
    "GovernorProposalQueueingNotRequired": lambda a, _: (
        f"proposal {short_id(a['proposalId'])} needs no queueing: execute it (`starfish execute "
        f"{short_id(a['proposalId'])}`)"
    ),
    "GovernorProposalQueueingFailed": lambda a, _: (
        f"the timelock did not take proposal {short_id(a['proposalId'])}: try `starfish queue` again; "
        "`starfish verify` checks the governor's wiring"
    ),
    "GovernorInvalidProposalLength": lambda a, _: (
        "a proposal needs at least one change: `starfish propose -h` lists what can be proposed"
        if int(a["targets"]) == 0
        else f"the proposal's {a['targets']} targets, {a['calldatas']} calls and "
        f"{a['values']} values must be as many: propose from a template (`starfish propose -h`)"
    ),
    "GovernorRestrictedProposer": lambda a, _: (
        "the proposal's text ends with `#proposer=0x…`, which reserves it to that address, and "
        f"{a['proposer']} is not it: change the title or text"
    ),
    "GovernorUnableToCancel": lambda a, _: (
        f"{a['account']} cannot cancel proposal {short_id(a['proposalId'])}: its proposer may while voting "
        "has not opened, the guardian (if the charter names one) until its term ends"
    ),
    "GovernorDisabledDeposit": lambda a, _: (
        "the governor does not take ETH: pay revenue into the splitter (`starfish pay`)"
    ),
    "GovernorGuardianIsFixed": lambda a, _: "no guardian can be appointed after deployment, not even by governance",
    "GovernorGuardianTermTooLong": lambda a, _: (
        f"a guardian may serve at most 365 days from deployment; the charter asks until {_date(a['expiry'])}: "
        "set an earlier guardianExpiry in charter.toml"
    ),
    "GovernorInvalidSignature": lambda a, _: (
        f"the signature is not {a['voter']}'s ballot for this proposal, chain and governor: sign it again"
    ),
    "GovernorInvalidVoteType": lambda a, _: "a vote is for, against or abstain",
    "GovernorInvalidVoteParams": lambda a, _: (
        "this governor takes no extra vote parameters: vote for, against or abstain"
    ),
    "GovernorInvalidVotingPeriod": lambda a, _: (
        f"a voting period of {_kind('seconds', a['votingPeriod'])} is not allowed: at least a day"
    ),
    "GovernorInvalidQuorumFraction": lambda a, _: (
        f"a quorum of {int(a['quorumNumerator']) * 100 // max(int(a['quorumDenominator']), 1)} % is above 100 %"
    ),
    "InvalidAccountNonce": lambda a, _: (
        f"this signed ballot of {a['account']} was already used, or another was signed since: sign it again"
    ),
    "ERC5805FutureLookup": lambda a, _: (
        f"votes at {_date(a['timepoint'])} cannot be read yet: that time has not come (the chain is at "
        f"{_date(a['clock'])})"
    ),
    # the timelock
    "AccessControlUnauthorizedAccount": lambda a, _: (
        f"{a['account']} may not do that in the timelock (it takes the {_role(a['neededRole'])} role): "
        "changes go through a proposal (`starfish propose ...`), queued and executed by anyone"
    ),
    "AccessControlBadConfirmation": lambda a, _: "a role in the timelock can only be renounced by its own holder",
    "TimelockUnauthorizedCaller": lambda a, _: "only governance may change the timelock's delay: `starfish propose` it",
    "TimelockDelayOutOfBounds": lambda a, _: (
        f"a timelock delay of {_kind('seconds', a['delay'])} is outside its bounds {_kind('seconds', a['min'])} .. "
        f"{_kind('seconds', a['max'])}"
    ),
    "TimelockInsufficientDelay": lambda a, _: (
        f"a delay of {_kind('seconds', a['delay'])} is shorter than the timelock's {_kind('seconds', a['minDelay'])}"
        ": queue through the governor (`starfish queue`)"
    ),
    "TimelockInvalidOperationLength": lambda a, _: (
        f"{a['targets']} targets, {a['payloads']} calls and {a['values']} values: they must be as many"
    ),
    "TimelockUnexecutedPredecessor": lambda a, _: (
        f"this change waits for an earlier one ({str(a['predecessorId'])[:10]}…) to be executed first"
    ),
    "FailedCall": lambda a, _: (
        "a call failed without saying why (one of the proposal's calls, or a payment the receiver refused): "
        "`starfish proposals` shows what each call does"
    ),
    # the charter
    "CharterInvalidDocument": lambda a, _: (
        f"a charter document CID of {a['length']} bytes: it must be 1 to 128 bytes "
        "(`starfish propose set-document FILE` pins the file and uses its CID)"
    ),
    "CharterInvalidGovernance": lambda a, _: "governance cannot be handed to the zero address",
    "CharterInvalidRevenueToken": lambda a, _: (
        "ETH is always revenue: only an ERC-20 token's address can be listed"
        if _is_eth(a["token"])
        else f"{a['token']} cannot be listed: the DAO already lists 8 revenue tokens, the most it may "
        "(delist one first: `starfish propose delist-token TOKEN`)"
    ),
    # the splitter: signatures, tokens, calls only its sibling contracts make
    "ECDSAInvalidSignature": lambda a, _: "the signature is not a valid signature: sign again",
    "ECDSAInvalidSignatureLength": lambda a, _: f"a signature of {a['length']} bytes: it must be 65; sign again",
    "ECDSAInvalidSignatureS": lambda a, _: (
        "the signature is in a malleable form (its s value is in the upper half), which is refused: sign again"
    ),
    "VotesExpiredSignature": lambda a, c: _when(
        a["expiry"],
        c.now,
        "the delegation signature is valid for {} more",
        "the delegation signature expired {} ago: sign again",
    ),
    "SafeERC20FailedOperation": lambda a, _: (
        f"the token {a['token']} refused the transfer (its balance, its allowance, or its own rules): "
        "check the payer's balance of it"
    ),
    "ReentrancyGuardReentrantCall": lambda a, _: (
        "the splitter was called again while it was paying (a contract wallet that calls back on receipt): "
        "claim to an address that does not (`starfish claim --to ADDRESS`)"
    ),
    "SplitterFutureLookup": lambda a, _: (
        f"points at {_date(a['time'])} cannot be read yet: that time has not come (the chain is at {_date(a['now_'])})"
    ),
    "SplitterSuspendedHolder": lambda a, _: (
        f"{a['holder']} is suspended: a suspended member's voice cannot be delegated until they are reinstated"
    ),
    "SplitterOnlyRegistry": lambda a, _: (
        "only the ContributionRegistry awards points: points come from reviewed work (`starfish contribute`)"
    ),
    "SplitterOnlyMembership": lambda a, _: (
        "only the Membership contract tells the splitter of a suspension: propose it (`starfish propose suspend`)"
    ),
    "SplitterGenesisMismatch": lambda a, _: (
        f"the charter lists {a['founders']} founders but {a['points']} amounts of genesis points: one per founder"
    ),
    # membership: an ERC-721 that cannot move
    "ERC721InsufficientApproval": lambda a, _: (
        f"membership #{a['tokenId']} is not {a['operator']}'s to move: memberships are soulbound anyway"
    ),
    "ERC721IncorrectOwner": lambda a, _: (
        f"membership #{a['tokenId']} belongs to {a['owner']}, not {a['sender']}; memberships cannot be transferred"
    ),
    # the grid
    "GridNotActiveMember": lambda a, _: (
        f"{a['host']} is not an active member: only members with standing host the community's files (join first)"
    ),
    "GridStandingTooLow": lambda a, _: (
        f"{a['host']} held {_points(a['standing'])} points as this epoch began; hosting needs "
        f"{_points(max(int(a['required']), 1))} (hostMinStanding; points earned in an epoch count from the next one)"
    ),
    "GridBadEndpoint": lambda a, _: f"an endpoint of {a['length']} bytes: it must be 1 to 256 bytes",
    "GridNotHost": lambda a, _: f"{a['host']} is not a host (nothing to unregister)",
    "GridEpochNotOver": lambda a, _: (
        f"epoch {a['epoch']} has not ended (the current epoch is {a['current']}): its seed is fixed after it ends"
    ),
    "GridSeedAlreadyFixed": lambda a, _: f"epoch {a['epoch']}'s seed is already fixed",
    "GridSeedNotReady": lambda a, _: (
        f"epoch {a['epoch']}'s seed comes from block {a['seedBlock']}, not mined yet: send it again after that block"
    ),
    "GridSeedPending": lambda a, _: (
        f"epoch {a['epoch']}'s seed waits for block {a['seedBlock']}: fix it first (`starfish host seed --epoch "
        f"{a['epoch']}`), then this one"
    ),
    "GridCheckClosed": lambda a, _: (
        f"the checks of epoch {a['epoch']} are sealed during epoch {int(a['epoch']) + 1}, revealed during "
        f"{int(a['epoch']) + 2}, contested during {int(a['epoch']) + 2} or {int(a['epoch']) + 3} (until attested), "
        f"attested during {int(a['epoch']) + 4}; this is epoch {a['current']}"
    ),
    "GridSeedNotFixed": lambda a, _: (
        f"epoch {a['epoch']}'s seed is not fixed yet: its checks are drawn from it (`starfish host seed`)"
    ),
    "GridNotOnCommittee": lambda a, _: (
        f"{a['checker']} does not sit on {a['host']}'s committee for epoch {a['epoch']} (the epoch's seed seats "
        "about 3 of the other hosts; nobody checks themselves)"
    ),
    "GridNotCounted": lambda a, _: (
        f"{a['who']} was not a registered host when epoch {a['epoch']} began: only hosts of that epoch are "
        "checked, and only they check"
    ),
    "GridBadSeal": lambda a, _: f"an empty seal for {a['host']} in epoch {a['epoch']}: seal the hash of a result",
    "GridSealMismatch": lambda a, _: (
        f"{a['checker']}'s result for {a['host']} in epoch {a['epoch']} is not what was sealed (or it was "
        "revealed or contested already)"
    ),
    "GridBadResult": lambda a, _: (
        f"a result of {a['passes']} passes with {a['evidenceLength']} bytes of evidence CID: passes are 0 to 10, "
        "the CID at most 128 bytes"
    ),
    "GridNoAttestation": lambda a, _: (
        f"{a['host']}'s checkers for epoch {a['epoch']} do not agree: {a['votes']} of {a['revealed']} revealed the "
        "same result (a strict majority is needed, and two when there are more than two hosts), or it is attested"
    ),
    "GridHostingPayOpen": lambda a, _: (
        f"hosting pay of epoch {a['epoch']} is claimable from epoch {int(a['epoch']) + 5} (its results must be final)"
    ),
    "GridNoHostingPay": lambda a, _: (
        f"{a['host']} has no hosting pay for epoch {a['epoch']} in {a['token']}: not attested, below 9 of 10 "
        "passes, or already paid"
    ),
    "GridUnexpectedEth": lambda a, _: f"the grid takes ETH only from the splitter, not from {a['from']}",
    "GridEthTransferFailed": lambda a, _: (
        f"{a['host']} refused the hosting pay's ETH: a contract that cannot receive ETH cannot be paid it"
    ),
    "GridBadContest": lambda a, _: (
        f"block {a['index']} of the contest is missing or does not hash to the digest the checker named: "
        "send the blocks the checker's failed walks stopped at, in order"
    ),
    "SplitterOnlyGrid": lambda a, _: f"only the grid takes the hosts' share, not {a['caller']}",
    "ERC721InvalidApprover": lambda a, _: (
        f"{a['approver']} does not hold that membership: and memberships are soulbound, there is nothing to approve"
    ),
    "ERC721InvalidOperator": lambda a, _: "the zero address cannot be an operator (memberships are soulbound)",
    "ERC721InvalidOwner": lambda a, _: "the zero address holds no membership",
    "ERC721InvalidReceiver": lambda a, _: (
        f"{a['receiver']} cannot receive a membership: memberships are soulbound (to leave: `starfish leave`)"
    ),
    "ERC721NonexistentToken": lambda a, _: f"there is no membership #{a['tokenId']} (never issued, or its holder left)",
    # an ERC-20 a member pays with (OpenZeppelin's errors): no token in the arguments, so no amounts
    "ERC20InsufficientBalance": lambda a, _: (
        f"{a['sender']} holds less of the token than this payment: check the balance, and the token's address"
    ),
    "ERC20InsufficientAllowance": lambda a, _: (
        f"the splitter ({a['spender']}) may not take that much of the token: approve the amount first "
        "(`starfish pay --token` does both)"
    ),
}


def plain(name: str, args: dict[str, Any], now: int | None = None, units: Units | None = None) -> str | None:
    """The sentence of the table for the error `name` with `args` (None if the table has none).
    The one table the CLI, the relay's refusals and the page (through the relay) all read; `units`
    gives a token's symbol and decimals (`chain/tokens.py`), else a token's amount is in base units."""
    render = MESSAGES.get(name)
    if render is None:
        return None
    said = Said(now if now is not None else int(time.time()), units or _known_units)
    try:
        return render(args, said)
    except (KeyError, ValueError, IndexError, TypeError, StopIteration):
        return None


def humanize(exc: ContractRevert, units: Units | None = None) -> str:
    """One sentence for a contract's refusal; unknown errors keep their name and arguments. Token
    amounts in their units when this command reached a chain (`common.chain_units`)."""
    from starfish_dao.cli.common import chain_units

    sentence = plain(exc.name, exc.error_args, exc.chain_time, units or chain_units())
    return f"the contract refused: {exc}" if sentence is None else f"{sentence} ({exc.name})"
