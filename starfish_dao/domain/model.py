"""The exact reference model: replays the contracts' events and yields every number to the wei.

Pure Python, no web3. It mirrors the arithmetic of `PayoutSplitter.sol`, `ContributionRegistry.sol`
and `Charter.sol` step by step (same rounding, same order), but it takes from the events only what
actually happened — who joined, who reviewed with how many stars, what revenue arrived — and
computes every derived number (standing weights, quorums, medians, points, reserves, accumulators,
claims) itself. Where an event also states a derived number, the model checks it and records any
difference.

Events are dicts: ``{"contract", "event", "args", "timestamp", "block", "log_index"}`` in chain order.
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from eth_utils.crypto import keccak

from starfish_dao.domain.charter import BOUNDS, Parameter, Params
from starfish_dao.domain.errors import ModelError
from starfish_dao.domain.grid import GRID_EVENTS, GridState

ETH = "0x0000000000000000000000000000000000000000"
ERA_HALVINGS = 32
ERAS_TO_ZERO = 256 // ERA_HALVINGS
LIVE_GROUPS = 6  # credited points stay below 2^192: a group weighs nothing 6 eras later
ACC_PRECISION = 1 << 128
BPS = 10_000
POINT = 10**18
POINTS_PER_MINUTE = 10**18
REVEAL_WINDOW = 24 * 3600
WEIGHT_MAX = 2**112 - 1  # a sealed rating's weight is kept in 112 bits (no community comes near it)
#: `ContributionRegistry.RATING_REVEAL_WINDOW`: sealed ratings open after the window, within this long
RATING_REVEAL_WINDOW = 3 * 24 * 3600
TIMELOCK_DELAY_BOUNDS = (3600, 30 * 24 * 3600)  # `StarfishTimelock.MIN_DELAY_FLOOR` and `MIN_DELAY_CEILING`
PROPOSAL_THRESHOLD_SHARE_BPS = 100  # `StarfishGovernor`: a share of all standing is always enough to propose
UINT128_MAX = 2**128 - 1
UINT144_MAX = 2**144 - 1

#: `ContributionRegistry.REVIEW_PAY_DELAY`: an epoch's reviews can be scored until this long after it ends
REVIEW_PAY_DELAY = 7 * 24 * 3600
REVIEW_SCALE = 1000  # a distance of one typical distance scores this much
REVIEW_FEE = 125  # what each scored review (but a reviewer's first of the epoch) pays

PENDING, ACCEPTED, REJECTED, SUPERSEDED = "pending", "accepted", "rejected", "superseded"
#: `IContributionRegistry.Status` by number
STATUSES = ("none", PENDING, ACCEPTED, REJECTED, SUPERSEDED)


RAW_SHA256_PREFIX = bytes((0x01, 0x55, 0x12, 0x20))  # CIDv1, raw codec, sha2-256, 32 bytes


def cid_claim_key(cid: bytes) -> bytes:
    """`ContributionRegistry._cidKey`: the CID's own claim key (a CIDv0 counts as its CIDv1 dag-pb)."""
    if len(cid) == 34 and cid[:2] == bytes((0x12, 0x20)):
        cid = bytes((0x01, 0x70)) + cid
    return keccak(b"starfish.cid" + cid)


def shift(scaled: int, eras: int) -> int:
    """`Decay.shift`: move credited points `eras` eras forward."""
    return 0 if eras >= ERAS_TO_ZERO else scaled >> (eras * ERA_HALVINGS)


def weighted_median(weights: list[int]) -> int:
    """`Tally.median`: the upper standing-weighted median — the highest rating that at least half of
    the weight gave or exceeded (so lowering an award takes a strict majority of the weight)."""
    total = sum(weights)
    if total == 0:
        raise ModelError("median of no weight")
    at_least = 0
    for stars in range(5, 0, -1):
        at_least += weights[stars]
        if 2 * at_least >= total:
            return stars
    return 0


def points_for(effort: int, stars: int) -> int:
    """`Tally.points`: effort * stars / 3 in 18 decimals, rounded down."""
    return effort * POINTS_PER_MINUTE * stars // 3


def seated(seed: int, contribution: int, member: str, weight: int, divisor: int) -> bool:
    """`ContributionRegistry._seated`: `weight >= divisor`, or keccak256(abi.encode(seed, id, member))
    mod divisor below `weight` (encoded by hand: it runs once per sealed rating)."""
    if weight >= divisor:
        return True
    data = seed.to_bytes(32, "big") + contribution.to_bytes(32, "big") + bytes(12) + bytes.fromhex(member[2:])
    return int.from_bytes(keccak(data), "big") % divisor < weight


def panel_seed(block_hash: bytes) -> int:
    """`ContributionRegistry._drawSeed`: the seed a panel draws from its block's hash (never 0)."""
    return int.from_bytes(block_hash[-8:], "big") | 1


def distance_weights(medians: list[int]) -> list[int]:
    """`ContributionRegistry.distanceWeights` from the medians of the reviews scored two epochs
    before (a histogram): W[x] = floor(1000 * N / sum of |x - m|), each counter plus one."""
    count = [c + 1 for c in medians]
    n = sum(count)
    return [REVIEW_SCALE * n // sum(c * abs(x - m) for m, c in enumerate(count)) for x in range(6)]


def _six_zeros() -> list[int]:
    """A histogram of six counters (a named function: the relay pickles the model)."""
    return [0] * 6


def review_score(last: int | None, stars: int, median: int, w: list[int]) -> int:
    """One review's score (`ContributionRegistry.scoreReview`): 0 for a reviewer's first of the epoch."""
    if last is None:
        return 0
    return w[last] * abs(last - median) - w[stars] * abs(stars - median) - REVIEW_FEE


@dataclass
class Desk:
    """`IContributionRegistry.Desk`: a reviewer's epoch."""

    spent: int = 0
    revealed: int = 0
    settled: int = 0
    last: int | None = None
    forfeited: bool = False
    total: int = 0


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


@dataclass(frozen=True)
class ClockEntry:
    """`ICharter.Clock`: the epoch and halving counters from `since` on."""

    since: int
    epoch_start: int
    epoch_base: int
    halving_start_epoch: int
    halving_base: int
    epoch_length: int
    half_life: int

    def epoch(self, now: int) -> int:
        if now < self.epoch_start:
            return self.epoch_base
        return self.epoch_base + (now - self.epoch_start) // self.epoch_length

    def start_of_epoch(self, now: int) -> int:
        """When the epoch `now` falls in began (`Charter.currentEpochStart`)."""
        return self.epoch_start + (self.epoch(now) - self.epoch_base) * self.epoch_length

    def halvings(self, now: int) -> int:
        if self.half_life == 0:
            return self.halving_base
        return self.halving_base + (self.epoch(now) - self.halving_start_epoch) // self.half_life


@dataclass
class Contribution:
    id: int
    author: str
    cid: bytes
    content_hash: bytes
    effort: int
    epoch: int
    deadline: int
    snapshot: int = 0
    epoch_snapshot: int = 0
    commit_seq: int = 0
    quorum_weight: int = 0
    min_reviewers: int = 0
    # the panel (`ContributionRegistry.panel`): drawn from block `draw_block`'s hash, seed 0 until drawn
    draw_block: int = 0
    seed: int = 0
    divisor: int = 1
    weights: list[int] = field(default_factory=lambda: [0] * 6)
    reviews: list[tuple[str, int, int, bytes]] = field(default_factory=list)  # reviewer, stars, weight, comment
    sealed: dict[str, bytes] = field(default_factory=dict)  # reviewer -> sealed rating not yet revealed
    sealed_weight: dict[str, int] = field(default_factory=dict)  # reviewer -> review weight fixed at the seal
    sealed_count: int = 0  # sealed ratings ever (revealed or not)
    status: str = PENDING
    median: int = 0
    points: int = 0
    submitted_at: int = 0
    superseded_by: int = 0

    @property
    def weight(self) -> int:
        return sum(self.weights)

    @property
    def histogram(self) -> list[int]:
        """How many reviews gave each star rating."""
        counts = [0] * 6
        for _, stars, _, _ in self.reviews:
            counts[stars] += 1
        return counts


@dataclass
class Member:
    address: str
    token_id: int = 0
    suspended: bool = False
    generation: int = 0
    joined_at: int = 0
    left_at: int | None = None

    @property
    def active(self) -> bool:
        return self.token_id != 0 and not self.suspended


@dataclass(frozen=True)
class Checkpoint:
    time: int
    era: int
    credited: int


def _time(checkpoint: Checkpoint) -> int:
    return checkpoint.time


#: `IGovernor.ProposalState` by number
PROPOSAL_STATES = ("Pending", "Active", "Canceled", "Defeated", "Succeeded", "Queued", "Expired", "Executed")


@dataclass
class Proposal:
    """A governor proposal as its events tell it, with the tally the model derives."""

    id: int
    proposer: str
    targets: list[str]
    values: list[int]
    calldatas: list[bytes]
    description: str
    vote_start: int  # the snapshot: votes count as they were at the end of this second
    vote_end: int
    votes: dict[int, int] = field(default_factory=lambda: {0: 0, 1: 0, 2: 0})  # against, for, abstain
    voters: dict[str, tuple[int, int, str]] = field(default_factory=dict)  # voter -> (support, weight, reason)
    eta: int = 0
    queued: bool = False
    executed: bool = False
    canceled: bool = False


class Model:
    """Feed it events with `apply`; read members, points, claimable, treasury, undistributed, dust."""

    def __init__(self) -> None:
        # charter
        self.params = Params()
        self._params_seen: set[Parameter] = set()
        self.clocks: list[ClockEntry] = []
        self.governance: str | None = None
        self.document_cid: bytes = b""
        self.tokens: list[str] = []  # listed now, in the contract's order (a delisting swaps the last in)
        self.allowed: dict[str, bool] = {}
        self.ever: list[str] = []  # every token ever listed, in first-listing order
        self.incarnations: dict[str, int] = defaultdict(int)
        self.retired: list[tuple[str, int]] = []  # every delisting: (token, incarnation)
        self.retired_at: dict[tuple[str, int], int] = {}  # its place among the delistings, plus one
        self.retired_seen: dict[str, int] = defaultdict(int)  # member -> delistings their books settled
        # membership
        self.members: dict[str, Member] = {}
        # registry
        self.contributions: dict[int, Contribution] = {}
        self.commits: dict[bytes, tuple[int, int]] = {}  # posted, not yet revealed: commitment -> (time, seq)
        self.commit_count = 0
        self._commitment_of_seq: dict[int, bytes] = {}
        self.artifacts: dict[bytes, tuple[int, int]] = {}  # content hash -> (contribution id, commit seq)
        self.epoch_effort: dict[tuple[str, int], int] = defaultdict(int)
        # review pay
        self.desks: dict[tuple[str, int], Desk] = defaultdict(Desk)  # (reviewer, epoch of the reveal)
        self.ratings: dict[tuple[int, str], tuple[int, int | None, int]] = {}  # (id, reviewer) -> (stars, last, epoch)
        self.scored: set[tuple[int, str]] = set()
        self.review_medians: dict[int, list[int]] = defaultdict(_six_zeros)  # epoch -> scored reviews' medians
        self.review_positive: dict[int, int] = defaultdict(int)
        self.for_reviewers: dict[str, int] = defaultdict(int)  # kept by the splitter, not yet released
        self.review_pots: dict[tuple[int, str], int] = {}
        self.review_claims: dict[tuple[int, str, str], int] = {}  # (epoch, reviewer, token) -> amount
        self.review_paid: dict[str, int] = defaultdict(int)
        self.review_released: dict[str, int] = defaultdict(int)  # sent by the splitter to the registry
        # hosting pay (the grid's pots; checks and attestations are in `self.grid`)
        self.for_hosts: dict[str, int] = defaultdict(int)  # kept by the splitter, not yet released
        self.hosting_pots: dict[tuple[int, str], int] = {}
        self.hosting_claims: dict[tuple[int, str, str], int] = {}  # (epoch, host, token) -> amount
        self.hosting_paid: dict[str, int] = defaultdict(int)
        self.hosting_released: dict[str, int] = defaultdict(int)  # sent by the splitter to the grid
        # splitter
        self.first_era: int | None = None
        self.accounts: dict[str, tuple[int, int]] = {}  # member -> (credited, group era)
        self.group_totals: dict[int, int] = defaultdict(int)
        # books per token incarnation: key (token, incarnation); ETH is (ETH, 0)
        self.positions: dict[tuple[str, tuple[str, int]], tuple[int, int]] = {}  # (member, key) -> (owed, group)
        self.snapshots: dict[tuple[str, tuple[str, int]], int] = {}
        self.acc: dict[tuple[int, tuple[str, int]], int] = defaultdict(int)
        # standing (what reviews and votes weigh): points plus the founders' genesis
        self.history: dict[str, list[Checkpoint]] = defaultdict(list)
        self.total_history: list[Checkpoint] = []
        # genesis standing, in the first era's units: weighs reviews and votes, earns no revenue
        self.genesis: dict[str, int] = {}
        self.genesis_total = 0
        self.tracked: dict[str, int] = defaultdict(int)
        self.treasury: dict[str, int] = defaultdict(int)
        self.undistributed: dict[str, int] = defaultdict(int)
        self.received: dict[str, int] = defaultdict(int)
        self.claimed: dict[str, int] = defaultdict(int)
        self.spent: dict[str, int] = defaultdict(int)
        self.rescued: dict[str, int] = defaultdict(int)
        self.accepted_eth = 0  # ETH that arrived plainly (EthAccepted), accounted by a later sync
        self.claimed_by: dict[tuple[str, str], int] = defaultdict(int)
        self.paid_to: dict[tuple[str, str], int] = defaultdict(int)  # (recipient, token) -> amount
        self.awarded: dict[str, int] = defaultdict(int)  # points as awarded, before decay
        self.slashed: dict[str, int] = defaultdict(int)
        self.revenue_log: list[tuple[int, str, int, int]] = []  # (time, token, amount, reserve)
        # votes and governance
        self.delegatees: dict[str, str] = {}  # holder -> delegate (absent: the holder itself)
        self.votes: dict[str, list[Checkpoint]] = defaultdict(list)
        self.proposals: dict[int, Proposal] = {}
        self.voting_delay = 0
        self.voting_period = 0
        self.proposal_threshold = 0
        self.quorum_history: list[tuple[int, int]] = []  # (since, numerator)
        self.roles: dict[bytes, set[str]] = defaultdict(set)  # timelock role -> holders
        self.role_log: list[tuple[str, bytes, str, str]] = []  # (granted|revoked, role, account, sender)
        self.timelock_delay = 0
        # rounding: what the contract may keep beyond obligations, accumulated as it happens
        self.dust_bound_settled: dict[str, int] = defaultdict(int)
        self.now = 0
        self.block = 0  # of the event being applied
        self.events_applied = 0
        self.events_by_kind: Counter[str] = Counter()  # "registry.Reviewed": how many were replayed
        self.discrepancies: list[str] = []
        self.grid = GridState()  # hosts, seeds and the files the community depends on (domain/grid.py)

    # ----------------------------------------------------------------- replay

    def apply_all(self, events: Iterable[Mapping[str, Any]]) -> Model:
        for event in events:
            self.apply(event)
        return self

    def apply(self, event: Mapping[str, Any]) -> None:
        name = f"{event['contract']}.{event['event']}"
        handler = self._HANDLERS.get(name)
        timestamp = int(event["timestamp"])
        if timestamp < self.now:
            raise ModelError(f"events out of order: {name} at {timestamp} after {self.now}")
        self.now = timestamp
        self.block = int(event.get("block") or 0)
        if handler is not None:
            handler(self, dict(event["args"]))
        if name in GRID_EVENTS:
            self.grid.observe(self, name, event["args"])
        self.events_applied += 1
        self.events_by_kind[name] += 1

    def _check(self, what: str, stated: int, derived: int) -> None:
        if stated != derived:
            self.discrepancies.append(f"{what}: event says {stated}, model derives {derived}")

    # charter ----------------------------------------------------------

    def _on_governance(self, a: dict[str, Any]) -> None:
        self.governance = a["newGovernance"]

    def _on_parameter(self, a: dict[str, Any]) -> None:
        parameter = Parameter(int(a["parameter"]))
        value = int(a["newValue"])
        low, high = BOUNDS[parameter]
        if not low <= value <= high:
            self.discrepancies.append(f"charter {parameter.name} set to {value}, outside [{low}, {high}]")
        initial = parameter not in self._params_seen
        if not initial:
            self._check(f"charter {parameter.name} old value", int(a["oldValue"]), self.params.value(parameter))
        old = self.params.value(parameter)
        self.params = self.params.replace(parameter, value)
        if initial:
            self._params_seen.add(parameter)
            if len(self._params_seen) == len(Parameter):  # the constructor's last one: the first clock
                p = self.params
                self.clocks = [ClockEntry(self.now, self.now, 0, 0, 0, p.epoch_length, p.half_life)]
        elif value != old and parameter in (Parameter.EPOCH_LENGTH, Parameter.HALF_LIFE):
            self._rebase_clock()

    def _rebase_clock(self) -> None:
        """`Charter._rebaseClock`: the current epoch keeps its start, the halving period its first epoch."""
        c = self.clocks[-1]
        epoch, halvings = c.epoch(self.now), c.halvings(self.now)
        epoch_start = c.epoch_start + (epoch - c.epoch_base) * c.epoch_length
        halving_start = epoch if c.half_life == 0 else c.halving_start_epoch + (halvings - c.halving_base) * c.half_life
        p = self.params
        entry = ClockEntry(self.now, epoch_start, epoch, halving_start, halvings, p.epoch_length, p.half_life)
        self.clocks.append(entry)

    def _on_document(self, a: dict[str, Any]) -> None:
        self.document_cid = bytes(a["cid"])

    def _on_token(self, a: dict[str, Any]) -> None:
        """`Charter._setRevenueToken`: a listing starts a new incarnation, a delisting retires it."""
        token, allowed = a["token"], bool(a["allowed"])
        if allowed and token not in self.tokens:
            self.tokens.append(token)
            self.incarnations[token] += 1
            if token not in self.ever:
                self.ever.append(token)
        elif not allowed and token in self.tokens:
            i = self.tokens.index(token)
            self.tokens[i] = self.tokens[-1]
            self.tokens.pop()
            key = (token, self.incarnations[token])
            self.retired.append(key)
            self.retired_at[key] = len(self.retired)
        self.allowed[token] = allowed
        self._check(f"incarnation of {token}", int(a["incarnation"]), self.incarnations[token])

    def key_of(self, token: str) -> tuple[str, int]:
        """The books a token's revenue goes to now (its latest incarnation)."""
        return (ETH, 0) if token == ETH else (token, self.incarnations[token])

    # membership -------------------------------------------------------

    def _member(self, address: str) -> Member:
        return self.members.setdefault(address, Member(address))

    def _on_joined(self, a: dict[str, Any]) -> None:
        m = self._member(a["member"])
        if m.token_id:
            self.discrepancies.append(f"{m.address} joined twice")
        m.token_id, m.joined_at, m.left_at = int(a["tokenId"]), self.now, None
        m.generation += 1

    def _on_left(self, a: dict[str, Any]) -> None:
        m = self._member(a["member"])
        self._check(f"token of leaving member {m.address}", int(a["tokenId"]), m.token_id)
        m.token_id, m.left_at = 0, self.now
        m.generation += 1

    def _on_suspended(self, a: dict[str, Any]) -> None:
        self._member(a["account"]).suspended = True
        self._suspension_votes(a["account"], suspended=True)

    def _on_reinstated(self, a: dict[str, Any]) -> None:
        self._member(a["account"]).suspended = False
        self._suspension_votes(a["account"], suspended=False)

    def _muted(self, holder: str) -> bool:
        m = self.members.get(holder)
        return m is not None and m.suspended

    def _suspension_votes(self, holder: str, suspended: bool) -> None:
        """`PayoutSplitter.suspensionChanged`: a suspended member's points leave their delegate's votes
        (their own, unless delegated) and come back at reinstatement."""
        era, _ = self._split()
        credited = self._standing_in(holder, era)
        if credited:
            removed, added = (credited, 0) if suspended else (0, credited)
            self._change_votes(self.delegates(holder), removed, added, era, self.now)

    # registry ---------------------------------------------------------

    def _on_committed(self, a: dict[str, Any]) -> None:
        seq = int(a["seq"])
        self.commit_count += 1
        self._check("commitment sequence", seq, self.commit_count)
        self.commits[bytes(a["commitment"])] = (self.now, seq)
        self._commitment_of_seq[seq] = bytes(a["commitment"])

    def _on_superseded(self, a: dict[str, Any]) -> None:
        c = self.contributions[int(a["id"])]
        if c.status != PENDING:
            self.discrepancies.append(f"contribution {c.id} superseded while {c.status}")
        c.status, c.superseded_by = SUPERSEDED, int(a["by"])

    def _on_submitted(self, a: dict[str, Any]) -> None:
        cid = int(a["id"])
        epoch = self.epoch_at(self.now)
        seq = int(a["commitSeq"])
        content_hash = bytes(a["contentHash"])
        self._check(f"contribution {cid} epoch", int(a["epoch"]), epoch)
        self._check(
            f"contribution {cid} review deadline", int(a["reviewDeadline"]), self.now + self.params.review_window
        )
        raw = bytes(a["cid"])
        if raw[:4] == RAW_SHA256_PREFIX and len(raw) == 36 and raw[4:] != content_hash:
            self.discrepancies.append(f"contribution {cid}: a raw CID whose digest is not its content hash")
        keys = (content_hash, cid_claim_key(raw))
        for key in keys:  # free only if its last claim was rejected or superseded by this one
            holder = self.artifacts.get(key)
            if holder is None:
                continue
            held = self.contributions[holder[0]]
            if held.status in (ACCEPTED, PENDING):
                self.discrepancies.append(f"contribution {cid} took content held by #{held.id} ({held.status})")
            elif held.status == SUPERSEDED and held.superseded_by == cid and held.author == a["author"]:
                self.discrepancies.append(f"contribution {held.id} superseded by its own author's #{cid}")
            elif held.status == SUPERSEDED and held.superseded_by == cid and holder[1] < seq:
                self.discrepancies.append(f"contribution {held.id} superseded by #{cid}, committed later")
        # the lesser of the standing the second before and as the epoch began: points awarded within
        # an epoch weigh from the next one
        snapshot = self.now - 1
        epoch_snapshot = self.clock_at(self.now).start_of_epoch(self.now) - 1
        total = min(self.total_points_at(snapshot), self.total_points_at(epoch_snapshot))
        quorum = min(ceil_div(total * self.params.quorum_bps, BPS), UINT128_MAX)
        self._check(f"contribution {cid} quorum weight", int(a["quorumWeight"]), quorum)
        # the panel: everyone with standing while the community is small, else ~panelSize by standing
        size = self.params.panel_size
        members = sum(1 for m in self.members.values() if m.token_id)
        divisor = min(ceil_div(total, size), UINT144_MAX) if members > size + 1 and total > size else 1
        for key in keys:
            self.artifacts[key] = (cid, seq)
        self.epoch_effort[(a["author"], epoch)] += int(a["effort"])
        self.contributions[cid] = Contribution(
            cid,
            a["author"],
            bytes(a["cid"]),
            content_hash,
            int(a["effort"]),
            epoch,
            int(a["reviewDeadline"]),
            snapshot=snapshot,
            epoch_snapshot=epoch_snapshot,
            commit_seq=seq,
            quorum_weight=quorum,
            min_reviewers=self.params.min_reviewers,
            submitted_at=self.now,
            draw_block=self.block,
            divisor=divisor,
        )
        self.commits.pop(self._commitment_of_seq.pop(seq, b""), None)

    def _on_panel_drawn(self, a: dict[str, Any]) -> None:
        c = self.contributions[int(a["id"])]
        self._check(f"contribution {c.id} panel drawn from block", int(a["drawBlock"]), c.draw_block)
        self._check(f"contribution {c.id} panel drawn once", c.seed, 0)
        c.seed = int(a["seed"])

    def _on_panel_rescheduled(self, a: dict[str, Any]) -> None:
        c = self.contributions[int(a["id"])]
        self._check(f"contribution {c.id} panel rescheduled after its block's hash was gone",
                    int(self.block > c.draw_block + 256), 1)  # fmt: skip
        c.draw_block = int(a["drawBlock"])

    def on_panel(self, c: Contribution, member: str, weight: int) -> bool:
        """Whether `member`, weighing `weight`, sits on `c`'s drawn panel (False while it is not drawn,
        unless their weight seats them whatever the seed)."""
        return weight >= c.divisor or (c.seed != 0 and seated(c.seed, c.id, member, weight, c.divisor))

    def _on_review_sealed(self, a: dict[str, Any]) -> None:
        c = self.contributions[int(a["id"])]
        reviewer = a["reviewer"]
        weight = c.sealed_weight[reviewer] = self.review_weight(reviewer, c)
        self._check(f"{reviewer} sits on the panel of #{c.id}", int(self.on_panel(c, reviewer, weight)), 1)
        self._check(f"{reviewer} sealed #{c.id} inside its window", int(self.now <= c.deadline), 1)
        self._check(
            f"{reviewer} sealed #{c.id} once", int(reviewer in c.sealed or any(r == reviewer for r, *_ in c.reviews)), 0
        )
        c.sealed[reviewer] = b"sealed"  # the seal itself is on chain (`sealedRating`), not in the event
        c.sealed_count += 1

    def _on_reviewed(self, a: dict[str, Any]) -> None:
        c = self.contributions[int(a["id"])]
        stars, reviewer = int(a["stars"]), a["reviewer"]
        self._check(f"{reviewer}'s rating of #{c.id} was sealed", int(reviewer in c.sealed), 1)
        self._check(f"{reviewer}'s rating of #{c.id} revealed after its window",
                    int(c.deadline < self.now <= c.deadline + RATING_REVEAL_WINDOW), 1)  # fmt: skip
        c.sealed.pop(reviewer, None)
        # a panel member weighs the divisor if that is more: each member's expected weight is their standing
        seal_weight = c.sealed_weight.pop(reviewer, None)
        weight = max(self.review_weight(reviewer, c) if seal_weight is None else seal_weight, c.divisor)
        self._check(f"weight of {reviewer}'s review of #{c.id}", int(a["weight"]), weight)
        c.weights[stars] += weight
        c.reviews.append((reviewer, stars, weight, bytes(a["commentCid"])))
        epoch = self.epoch_at(self.now)
        desk = self.desks[(reviewer, epoch)]
        self.ratings[(c.id, reviewer)] = (stars, desk.last, epoch)
        desk.spent += c.effort * stars
        desk.revealed += 1
        desk.last = stars

    @property
    def budget_spent(self) -> dict[tuple[str, int], int]:
        """(reviewer, epoch) -> star-minutes of approval budget spent (the desks' `spent`)."""
        return {key: desk.spent for key, desk in self.desks.items() if desk.spent}

    def review_pay_closed(self, epoch: int, now: int) -> bool:
        """`ContributionRegistry._closed`: the reviews of `epoch` can no longer be scored or forfeited."""
        return now > REVIEW_PAY_DELAY and self.epoch_at(now - REVIEW_PAY_DELAY) > epoch

    def review_weights(self, epoch: int) -> list[int]:
        return distance_weights(self.review_medians[epoch - 2] if epoch >= 2 else [0] * 6)

    def _on_review_scored(self, a: dict[str, Any]) -> None:
        cid, reviewer = int(a["id"]), a["reviewer"]
        c = self.contributions[cid]
        what = f"{reviewer}'s score of #{cid}"
        self._check(f"{what}: a revealed rating, scored once",
                    int((cid, reviewer) in self.ratings and (cid, reviewer) not in self.scored), 1)  # fmt: skip
        stars, last, epoch = self.ratings[(cid, reviewer)]
        self._check(f"{what}: its median final",
                    int(c.status != PENDING or self.now > c.deadline + RATING_REVEAL_WINDOW), 1)  # fmt: skip
        self._check(f"{what}: before its epoch closed", int(self.review_pay_closed(epoch, self.now)), 0)
        median = weighted_median(c.weights)
        score = review_score(last, stars, median, self.review_weights(epoch))
        self._check(f"{what}: epoch", int(a["epoch"]), epoch)
        self._check(f"{what}: median", int(a["median"]), median)
        self._check(f"{what}: score", int(a["score"]), score)
        self.scored.add((cid, reviewer))
        self.review_medians[epoch][median] += 1
        desk = self.desks[(reviewer, epoch)]
        total = desk.total + score
        if not desk.forfeited:
            self.review_positive[epoch] += max(total, 0) - max(desk.total, 0)
        desk.total = total
        desk.settled += 1

    def _on_review_forfeited(self, a: dict[str, Any]) -> None:
        cid, reviewer = int(a["id"]), a["reviewer"]
        c = self.contributions[cid]
        until = c.deadline + RATING_REVEAL_WINDOW
        epoch = self.epoch_at(until)
        what = f"{reviewer}'s forfeit of #{cid}"
        self._check(f"{what}: a seal never revealed", int(reviewer in c.sealed and c.status != SUPERSEDED), 1)
        self._check(f"{what}: after its reveal window", int(self.now > until), 1)
        self._check(f"{what}: epoch", int(a["epoch"]), epoch)
        self._check(f"{what}: before its epoch closed", int(self.review_pay_closed(epoch, self.now)), 0)
        c.sealed.pop(reviewer, None)
        desk = self.desks[(reviewer, epoch)]
        if not desk.forfeited:
            desk.forfeited = True
            self.review_positive[epoch] -= max(desk.total, 0)

    def _on_review_pot_fixed(self, a: dict[str, Any]) -> None:
        epoch, token, pot = int(a["epoch"]), a["token"], int(a["pot"])
        released = self.for_reviewers[token]
        arrived = pot  # what the registry's balance grew by when the splitter released its share
        # a token that charges for transfers may deliver less than the splitter released
        self._check(f"review pot of epoch {epoch} in {token}: at most what was released",
                    int(0 <= arrived <= released), 1)  # fmt: skip
        self.tracked[token] -= released
        self.review_released[token] += released
        self.for_reviewers[token] = 0
        self._check(f"review pot of epoch {epoch} in {token} fixed once", int((epoch, token) in self.review_pots), 0)
        self.review_pots[(epoch, token)] = pot

    def review_pay_owed(self, reviewer: str, epoch: int, token: str) -> int:
        """What `claimReviewPay(reviewer, epoch, token)` would pay now, if the pot were `pot` (fixed, or
        what a first claim would fix), 0 if nothing."""
        desk = self.desks.get((reviewer, epoch))
        if desk is None or desk.forfeited or desk.settled != desk.revealed or desk.total <= 0:
            return 0
        if (epoch, reviewer, token) in self.review_claims:
            return 0
        pot = self.review_pots.get((epoch, token))
        if pot is None:
            pot = self.for_reviewers[token]
        return pot * desk.total // self.review_positive[epoch]

    def _on_review_pay_claimed(self, a: dict[str, Any]) -> None:
        reviewer, epoch, token, amount = a["reviewer"], int(a["epoch"]), a["token"], int(a["amount"])
        what = f"review pay of {reviewer} for epoch {epoch} in {token}"
        self._check(f"{what}: claimed after the epoch closed", int(self.review_pay_closed(epoch, self.now)), 1)
        self._check(f"{what}: the pot fixed", int((epoch, token) in self.review_pots), 1)
        self._check(f"{what}", amount, self.review_pay_owed(reviewer, epoch, token))
        self.review_claims[(epoch, reviewer, token)] = amount
        self.review_paid[token] += amount

    # ----------------------------------------------------------------- hosting pay

    def _on_hosting_pot_fixed(self, a: dict[str, Any]) -> None:
        epoch, token, pot = int(a["epoch"]), a["token"], int(a["pot"])
        released = self.for_hosts[token]
        self._check(f"hosting pot of epoch {epoch} in {token}: at most what was released", int(0 <= pot <= released), 1)
        self.tracked[token] -= released
        self.hosting_released[token] += released
        self.for_hosts[token] = 0
        self._check(f"hosting pot of epoch {epoch} in {token} fixed once", int((epoch, token) in self.hosting_pots), 0)
        self.hosting_pots[(epoch, token)] = pot

    def hosting_pay_owed(self, host: str, epoch: int, token: str) -> int:
        """What `Grid.claimHostingPay(host, epoch, token)` would pay now (the pot fixed, or what a
        first claim would fix), 0 if nothing."""
        t = self.grid.tallies.get((epoch, host))
        if t is None or not t.attested or not t.units or (epoch, host, token) in self.hosting_claims:
            return 0
        pot = self.hosting_pots.get((epoch, token))
        if pot is None:
            pot = self.for_hosts[token]
        return pot * t.units // self.grid.units[epoch]

    def _on_hosting_pay_claimed(self, a: dict[str, Any]) -> None:
        host, epoch, token, amount = a["host"], int(a["epoch"]), a["token"], int(a["amount"])
        what = f"hosting pay of {host} for epoch {epoch} in {token}"
        self._check(f"{what}: claimed from epoch {epoch + 5}", int(self.epoch_at(self.now) >= epoch + 5), 1)
        self._check(f"{what}: the pot fixed", int((epoch, token) in self.hosting_pots), 1)
        self._check(f"{what}", amount, self.hosting_pay_owed(host, epoch, token))
        self.hosting_claims[(epoch, host, token)] = amount
        self.hosting_paid[token] += amount

    def hosting_pay_due(self, now: int, host: str | None = None) -> list[tuple[str, int, str, int]]:
        """(host, epoch, token, amount) of every hosting pay `claimHostingPay` would pay at time `now`."""
        out: list[tuple[str, int, str, int]] = []
        current = self.epoch_at(now)
        for (epoch, who), t in sorted(self.grid.tallies.items()):
            if (host is not None and who != host) or current < epoch + 5 or not t.units:
                continue
            for token in self.all_tokens():
                amount = self.hosting_pay_owed(who, epoch, token)
                if amount:
                    out.append((who, epoch, token, amount))
        return out

    def hosting_pay_held(self, token: str) -> int:
        """What the grid should hold for hosts in `token`: released and not paid out."""
        return sum(pot for (_, t), pot in self.hosting_pots.items() if t == token) - self.hosting_paid[token]

    def hosting_pay_obligations(self, token: str) -> int:
        """What the grid owes now in `token`: every unclaimed share of a fixed pot."""
        epochs = {epoch for epoch, t in self.hosting_pots if t == token}
        return sum(self.hosting_pay_owed(host, epoch, token) for (epoch, host) in self.grid.tallies if epoch in epochs)

    def scorable(self, now: int, reviewer: str | None = None) -> list[tuple[int, str]]:
        """(contribution, reviewer) of every revealed rating `scoreReview` would score at time `now`
        (of `reviewer`, or everyone's): its median final, its epoch not closed."""
        out: list[tuple[int, str]] = []
        for (cid, who), (_, _, epoch) in self.ratings.items():
            if (cid, who) in self.scored or (reviewer is not None and who != reviewer):
                continue
            c = self.contributions[cid]
            if (c.status != PENDING or now > c.deadline + RATING_REVEAL_WINDOW) and not self.review_pay_closed(
                epoch, now
            ):
                out.append((cid, who))
        return out

    def forfeitable(self, now: int) -> list[tuple[int, str]]:
        """(contribution, reviewer) of every sealed rating never revealed that `forfeitUnrevealed`
        would record at time `now`."""
        out: list[tuple[int, str]] = []
        for c in self.contributions.values():
            until = c.deadline + RATING_REVEAL_WINDOW
            if c.status == SUPERSEDED or now <= until or self.review_pay_closed(self.epoch_at(until), now):
                continue
            out.extend((c.id, reviewer) for reviewer in c.sealed)
        return out

    def review_pay_due(self, now: int, reviewer: str | None = None) -> list[tuple[str, int, str, int]]:
        """(reviewer, epoch, token, amount) of every review pay `claimReviewPay` would pay at time `now`
        (the amount as if claimed now; of `reviewer`, or everyone's)."""
        out: list[tuple[str, int, str, int]] = []
        for who, epoch in self.desks:
            if (reviewer is not None and who != reviewer) or not self.review_pay_closed(epoch, now):
                continue
            for token in self.all_tokens():
                amount = self.review_pay_owed(who, epoch, token)
                if amount:
                    out.append((who, epoch, token, amount))
        return out

    def review_pay_held(self, token: str) -> int:
        """What the registry should hold for reviewers in `token`: released and not paid out."""
        pots = sum(pot for (_, t), pot in self.review_pots.items() if t == token)
        return pots - self.review_paid[token]

    def review_pay_obligations(self, token: str) -> int:
        """What the registry owes now in `token`: every unclaimed share of a fixed pot (the
        splitter keeps what no pot holds yet). At most `review_pay_held`: the rest is each pot's
        rounding (under one wei per claim) and the shares of reviewers who can no longer claim (a
        rating left unscored when the epoch closed), which stay in the registry."""
        owed = 0
        epochs = {epoch for epoch, t in self.review_pots if t == token}
        for reviewer, epoch in self.desks:
            if epoch in epochs:
                owed += self.review_pay_owed(reviewer, epoch, token)
        return owed

    def _on_finalized(self, a: dict[str, Any]) -> None:
        c = self.contributions[int(a["id"])]
        weight = c.weight
        reviewers = len(c.reviews)
        self._check(f"contribution {c.id} finalized with every sealed rating revealed or their window over",
                    int(reviewers == c.sealed_count or self.now > c.deadline + RATING_REVEAL_WINDOW), 1)  # fmt: skip
        accepted = weight != 0 and reviewers >= c.min_reviewers and weight >= c.quorum_weight
        median = weighted_median(c.weights) if accepted else 0
        points = points_for(c.effort, median) if accepted else 0
        self._check(f"contribution {c.id} accepted", int(bool(a["accepted"])), int(accepted))
        self._check(f"contribution {c.id} reviewers", int(a["reviewers"]), reviewers)
        self._check(f"contribution {c.id} weight", int(a["weight"]), weight)
        self._check(f"contribution {c.id} median", int(a["median"]), median)
        self._check(f"contribution {c.id} points", int(a["points"]), points)
        c.status, c.median, c.points = (ACCEPTED if accepted else REJECTED), median, points

    # splitter ---------------------------------------------------------

    def _split(self, now: int | None = None) -> tuple[int, int]:
        halvings = self.halvings_at(self.now if now is None else now)
        return halvings // ERA_HALVINGS, halvings % ERA_HALVINGS

    def weights(self, era: int) -> tuple[int, dict[int, int]]:
        """`PayoutSplitter._weights`: the live groups' weights in `era` and their sum."""
        first = self.first_era or 0
        first = max(first, era - (LIVE_GROUPS - 1))
        per_group = {}
        for e in range(first, era + 1):
            total = self.group_totals.get(e, 0)
            if total:
                per_group[e] = shift(total, era - e)
        return sum(per_group.values()), per_group

    def _settled(self, member: str, key: tuple[str, int]) -> tuple[int, int, int]:
        """(owed, accumulator of the member's group, rounded-down divisions) — `PayoutSplitter._settled`."""
        credited, group = self.accounts.get(member, (0, 0))
        owed, position_group = self.positions.get((member, key), (0, 0))
        acc_now = self.acc[(group, key)]
        if credited == 0:
            return owed, acc_now, 0
        snapshot = self.snapshots.get((member, key), 0) if position_group == group else 0
        return owed + credited * (acc_now - snapshot) // ACC_PRECISION, acc_now, 1

    def _owed(self, member: str, key: tuple[str, int]) -> tuple[int, bool, int]:
        """`PayoutSplitter._owed`: (owed, whether the books are final for the member, divisions)."""
        retired_at = self.retired_at.get(key, 0)
        if retired_at and self.retired_seen[member] >= retired_at:
            return self.positions.get((member, key), (0, 0))[0], True, 0
        owed, _, floors = self._settled(member, key)
        return owed, False, floors

    def _touch(self, member: str, era: int) -> int:
        """`PayoutSplitter._touch`: settle ETH, the listed tokens and those delisted since the member's
        books last moved; move the account into group `era`."""
        seen = self.retired_seen[member]
        keys = [(ETH, 0), *((t, self.incarnations[t]) for t in self.tokens), *self.retired[seen:]]
        for key in keys:
            owed, _, floors = self._settled(member, key)
            self.positions[(member, key)] = (owed, era)
            self.snapshots[(member, key)] = self.acc[(era, key)]
            self.dust_bound_settled[key[0]] += floors
        self.retired_seen[member] = len(self.retired)
        credited, group = self.accounts.get(member, (0, 0))
        if group != era and credited:
            self.group_totals[group] -= credited
            credited = shift(credited, era - group)
            self.group_totals[era] += credited
        return credited

    def _checkpoint(self, member: str, standing: int, era: int, time: int) -> None:
        """`PayoutSplitter._checkpoint`: the member's standing and the total standing from `time` on."""
        total = self.weights(era)[0] + shift(self.genesis_total, era - (self.first_era or 0))
        self.history[member].append(Checkpoint(time, era, standing))
        self.total_history.append(Checkpoint(time, era, total))

    def _genesis_in(self, member: str, era: int) -> int:
        """`PayoutSplitter._genesisIn`: a founder's genesis standing in `era` (0 for everyone else)."""
        return shift(self.genesis.get(member, 0), era - (self.first_era or 0))

    def _standing_in(self, member: str, era: int) -> int:
        """`PayoutSplitter._standingIn`: the member's last recorded standing, shifted to `era`."""
        history = self.history.get(member)
        return shift(history[-1].credited, era - history[-1].era) if history else 0

    def _on_points_awarded(self, a: dict[str, Any]) -> None:
        member, points, contribution = a["member"], int(a["points"]), int(a["contribution"])
        era, offset = self._split()
        if self.first_era is None:
            self.first_era = era
        self.awarded[member] += points
        if contribution == 0:
            # genesis (at deployment): standing held since time 0 that earns no revenue
            before = self.genesis.get(member, 0)
            held = before + (points << offset)
            self.genesis[member] = held
            self.genesis_total += points << offset
            self._checkpoint(member, held, era, 0)
            self._change_votes(member, before, held, era, 0)
            return
        c = self.contributions.get(contribution)
        self._check(f"points awarded for contribution {contribution}", points, c.points if c else -1)
        # credited as of the review deadline, whenever finalize ran
        then_era, then_offset = self._split(c.deadline) if c else (era, offset)
        added = shift(points << then_offset, era - then_era)
        before = self._touch(member, era)
        credited = before + added
        self.group_totals[era] += added
        self.accounts[member] = (credited, era)
        held = self._genesis_in(member, era)
        self._checkpoint(member, credited + held, era, self.now)
        if not self._muted(member):
            self._change_votes(self.delegates(member), before + held, credited + held, era, self.now)

    def _on_slashed(self, a: dict[str, Any]) -> None:
        member, bps = a["member"], int(a["bps"])
        era, offset = self._split()
        before = self._touch(member, era)
        cut = before * bps // BPS
        credited = before - cut
        self.group_totals[era] -= cut
        self.accounts[member] = (credited, era)
        if member in self.genesis:  # genesis standing is cut alike
            g = self.genesis[member]
            g_cut = g * bps // BPS
            self.genesis[member] = g - g_cut
            self.genesis_total -= g_cut
            before += shift(g, era - (self.first_era or 0))
            credited += shift(g - g_cut, era - (self.first_era or 0))
        self.slashed[member] += (before - credited) >> offset
        self._check(f"points cut from {member}", int(a["pointsCut"]), (before - credited) >> offset)
        self._checkpoint(member, credited, era, self.now)
        if not self._muted(member):
            self._change_votes(self.delegates(member), before, credited, era, self.now)

    def _on_eth_accepted(self, a: dict[str, Any]) -> None:
        self.accepted_eth += int(a["amount"])

    def _on_revenue(self, a: dict[str, Any]) -> None:
        token, amount = a["token"], int(a["amount"])
        era, offset = self._split()
        reserve = amount * self.params.reserve_bps // BPS
        reviewers = amount * self.params.reviewer_bps // BPS
        hosts = amount * self.params.hosting_bps // BPS
        self._check(f"reserve of a {amount} receipt of {token}", int(a["reserve"]), reserve)
        self.tracked[token] += amount
        self.treasury[token] += reserve
        self.for_reviewers[token] += reviewers
        self.for_hosts[token] += hosts
        self.received[token] += amount
        self.revenue_log.append((self.now, token, amount, reserve))
        rest = amount - reserve - reviewers - hosts
        key = self.key_of(token)
        weight, per_group = self.weights(era)
        if weight >> offset == 0:  # nobody holds a point: it waits
            self.undistributed[token] += rest
            return
        rest += self.undistributed[token]
        self.undistributed[token] = 0
        shared = 0
        for e, w in per_group.items():
            share = rest * w // weight
            shared += share
            total = self.group_totals[e]
            self.acc[(e, key)] += share * ACC_PRECISION // total
            # the accumulator's division keeps less than total / 2^128 wei of the share
            self.dust_bound_settled[token] += ceil_div(total, ACC_PRECISION)
        # what the split among the groups rounded off: less than one wei per group
        self.dust_bound_settled[token] += rest - shared

    def _on_claimed(self, a: dict[str, Any]) -> None:
        member, token, amount, to = a["member"], a["token"], int(a["amount"]), a["to"]
        key = (token, int(a["incarnation"]))
        owed, final, floors = self._owed(member, key)
        self.dust_bound_settled[token] += floors
        self._check(f"claim of {member} in {token}", amount, owed)
        group = self.accounts.get(member, (0, 0))[1]
        if final:
            self.positions[(member, key)] = (0, self.positions[(member, key)][1])
        else:
            self.positions[(member, key)] = (0, group)
            self.snapshots[(member, key)] = self.acc[(group, key)]
        self.tracked[token] -= amount
        self.claimed[token] += amount
        self.claimed_by[(member, token)] += amount
        self.paid_to[(to, token)] += amount

    def _on_eth_claimed(self, a: dict[str, Any]) -> None:
        """`EthClaimed`: a claim of ETH paid to the member's own address, the short form of `Claimed`."""
        member = a["member"]
        self._on_claimed({"member": member, "token": ETH, "amount": a["amount"], "incarnation": 0, "to": member})

    def _on_spent(self, a: dict[str, Any]) -> None:
        token, amount = a["token"], int(a["amount"])
        self.treasury[token] -= amount
        self.tracked[token] -= amount
        self.spent[token] += amount

    def _on_retired_settled(self, a: dict[str, Any]) -> None:
        """`PayoutSplitter.settleRetired`: books that take no more revenue settled early; what each
        member is owed in them does not change, so the model has nothing to do."""

    def _on_rescued(self, a: dict[str, Any]) -> None:
        self.rescued[a["token"]] += int(a["amount"])

    # votes ------------------------------------------------------------

    def delegates(self, holder: str) -> str:
        return self.delegatees.get(holder, holder)

    def _change_votes(self, holder: str, removed: int, added: int, era: int, time: int) -> None:
        """`PayoutSplitter._changeVotes`."""
        if removed == added:
            return
        history = self.votes[holder]
        current = shift(history[-1].credited, era - history[-1].era) if history else 0
        if current + added < removed:
            self.discrepancies.append(f"votes of {holder} would go below zero")
        history.append(Checkpoint(time, era, current + added - removed))

    def _on_delegate_changed(self, a: dict[str, Any]) -> None:
        holder, previous, delegatee = a["delegator"], a["fromDelegate"], a["toDelegate"]
        if previous != self.delegates(holder):
            self.discrepancies.append(f"{holder} was delegating to {self.delegates(holder)}, not {previous}")
        if delegatee == holder:
            self.delegatees.pop(holder, None)
        else:
            self.delegatees[holder] = delegatee
        if previous == delegatee:
            return
        era, _ = self._split()
        credited = self._standing_in(holder, era)
        if credited:
            self._change_votes(previous, credited, 0, era, self.now)
            self._change_votes(delegatee, 0, credited, era, self.now)

    def votes_at(self, holder: str, time: int) -> int:
        """`PayoutSplitter.getPastVotes`: the votes of `holder` at the end of second `time`."""
        era, offset = self._split(time)
        c = self._lookup(self.votes.get(holder, []), time)
        return shift(c.credited, era - c.era) >> offset

    def votes_now(self, holder: str, now: int) -> int:
        era, offset = self._split(now)
        history = self.votes.get(holder, [])
        return shift(history[-1].credited, era - history[-1].era) >> offset if history else 0

    # governor ---------------------------------------------------------

    def _on_proposal_created(self, a: dict[str, Any]) -> None:
        pid = int(a["proposalId"])
        self.proposals[pid] = Proposal(
            pid, a["proposer"], list(a["targets"]), [int(v) for v in a["values"]],
            [bytes(c) for c in a["calldatas"]], str(a["description"]), int(a["voteStart"]), int(a["voteEnd"]),
        )  # fmt: skip
        self._check(f"proposal {pid} snapshot", int(a["voteStart"]), self.now + self.voting_delay)
        self._check(f"proposal {pid} deadline", int(a["voteEnd"]), self.now + self.voting_delay + self.voting_period)
        if self._muted(a["proposer"]):
            self.discrepancies.append(f"proposal {pid} by {a['proposer']}, who is suspended")
        if self.votes_at(a["proposer"], self.now - 1) < self.effective_threshold(self.now):
            self.discrepancies.append(f"proposal {pid} by {a['proposer']}, who is below the threshold")

    def _on_vote_cast(self, a: dict[str, Any]) -> None:
        p = self.proposals[int(a["proposalId"])]
        voter, support = a["voter"], int(a["support"])
        weight = self.votes_at(voter, p.vote_start)
        self._check(f"weight of {voter}'s vote on proposal {p.id}", int(a["weight"]), weight)
        if voter in p.voters:
            self.discrepancies.append(f"{voter} voted twice on proposal {p.id}")
        if self.members.get(voter) and self.members[voter].suspended:
            self.discrepancies.append(f"{voter} voted while suspended")
        p.voters[voter] = (support, weight, str(a.get("reason", "")))
        p.votes[support] += weight

    def _on_proposal_queued(self, a: dict[str, Any]) -> None:
        p = self.proposals[int(a["proposalId"])]
        if self.proposal_state(p.id, self.now) != "Succeeded":
            self.discrepancies.append(f"proposal {p.id} queued while {self.proposal_state(p.id, self.now)}")
        p.queued, p.eta = True, int(a["etaSeconds"])
        self._check(f"proposal {p.id} eta", p.eta, self.now + self.timelock_delay)

    def _on_proposal_executed(self, a: dict[str, Any]) -> None:
        p = self.proposals[int(a["proposalId"])]
        if not p.queued or self.now < p.eta:
            self.discrepancies.append(f"proposal {p.id} executed before its time")
        p.executed = True

    def _on_proposal_canceled(self, a: dict[str, Any]) -> None:
        self.proposals[int(a["proposalId"])].canceled = True

    def _on_voting_delay(self, a: dict[str, Any]) -> None:
        self.voting_delay = int(a["newVotingDelay"])

    def _on_voting_period(self, a: dict[str, Any]) -> None:
        self.voting_period = int(a["newVotingPeriod"])

    def _on_threshold(self, a: dict[str, Any]) -> None:
        self.proposal_threshold = int(a["newProposalThreshold"])

    def _on_quorum(self, a: dict[str, Any]) -> None:
        self.quorum_history.append((self.now, int(a["newQuorumNumerator"])))

    def effective_threshold(self, now: int) -> int:
        """`StarfishGovernor.proposalThreshold`: the setting, or a share of all standing a second ago if
        that is less, never below one unit."""
        share = max(1, self.total_points_at(now - 1) * PROPOSAL_THRESHOLD_SHARE_BPS // BPS)
        return min(self.proposal_threshold, share)

    def quorum_at(self, time: int) -> int:
        """`GovernorVotesQuorumFraction.quorum`: that share of all points at `time`."""
        numerator = 0
        for since, value in self.quorum_history:
            if since <= time:
                numerator = value
        return self.total_points_at(time) * numerator // 100

    def proposal_state(self, pid: int, now: int) -> str:
        """`Governor.state` (with the timelock), derived from the model alone."""
        p = self.proposals[pid]
        if p.executed:
            return "Executed"
        if p.canceled:
            return "Canceled"
        if p.vote_start >= now:
            return "Pending"
        if p.vote_end >= now:
            return "Active"
        passed = p.votes[1] + p.votes[2] >= self.quorum_at(p.vote_start) and p.votes[1] > p.votes[0]
        if not passed:
            return "Defeated"
        return "Queued" if p.queued else "Succeeded"

    # timelock ---------------------------------------------------------

    def _on_role_granted(self, a: dict[str, Any]) -> None:
        self.roles[bytes(a["role"])].add(a["account"])
        self.role_log.append(("granted", bytes(a["role"]), a["account"], a["sender"]))

    def _on_role_revoked(self, a: dict[str, Any]) -> None:
        self.roles[bytes(a["role"])].discard(a["account"])
        self.role_log.append(("revoked", bytes(a["role"]), a["account"], a["sender"]))

    def _on_min_delay(self, a: dict[str, Any]) -> None:
        """`StarfishTimelock`: its delay stays within the bounds it was deployed with."""
        self.timelock_delay = int(a["newDuration"])
        low, high = TIMELOCK_DELAY_BOUNDS
        if not low <= self.timelock_delay <= high:
            self.discrepancies.append(f"timelock delay set to {self.timelock_delay}, outside [{low}, {high}]")

    _HANDLERS: ClassVar[dict[str, Callable[[Model, dict[str, Any]], None]]] = {
        "charter.GovernanceTransferred": _on_governance,
        "charter.ParameterChanged": _on_parameter,
        "charter.DocumentChanged": _on_document,
        "charter.RevenueTokenSet": _on_token,
        "membership.Joined": _on_joined,
        "membership.Left": _on_left,
        "membership.Suspended": _on_suspended,
        "membership.Reinstated": _on_reinstated,
        "registry.Committed": _on_committed,
        "registry.Superseded": _on_superseded,
        "registry.Submitted": _on_submitted,
        "registry.ReviewSealed": _on_review_sealed,
        "registry.PanelDrawn": _on_panel_drawn,
        "registry.PanelRescheduled": _on_panel_rescheduled,
        "registry.Reviewed": _on_reviewed,
        "registry.Finalized": _on_finalized,
        "registry.ReviewScored": _on_review_scored,
        "registry.ReviewForfeited": _on_review_forfeited,
        "registry.ReviewPotFixed": _on_review_pot_fixed,
        "registry.ReviewPayClaimed": _on_review_pay_claimed,
        "grid.HostingPotFixed": _on_hosting_pot_fixed,
        "grid.HostingPayClaimed": _on_hosting_pay_claimed,
        "splitter.PointsAwarded": _on_points_awarded,
        "splitter.Slashed": _on_slashed,
        "splitter.EthAccepted": _on_eth_accepted,
        "splitter.RevenueReceived": _on_revenue,
        "splitter.Claimed": _on_claimed,
        "splitter.EthClaimed": _on_eth_claimed,
        "splitter.TreasurySpent": _on_spent,
        "splitter.Rescued": _on_rescued,
        "splitter.RetiredSettled": _on_retired_settled,
        "splitter.DelegateChanged": _on_delegate_changed,
        "governor.ProposalCreated": _on_proposal_created,
        "governor.VoteCast": _on_vote_cast,
        "governor.ProposalQueued": _on_proposal_queued,
        "governor.ProposalExecuted": _on_proposal_executed,
        "governor.ProposalCanceled": _on_proposal_canceled,
        "governor.VotingDelaySet": _on_voting_delay,
        "governor.VotingPeriodSet": _on_voting_period,
        "governor.ProposalThresholdSet": _on_threshold,
        "governor.QuorumNumeratorUpdated": _on_quorum,
        "timelock.RoleGranted": _on_role_granted,
        "timelock.RoleRevoked": _on_role_revoked,
        "timelock.MinDelayChange": _on_min_delay,
    }

    # ----------------------------------------------------------------- answers

    def clock_at(self, now: int) -> ClockEntry:
        if not self.clocks:
            return ClockEntry(0, 0, 0, 0, 0, self.params.epoch_length, self.params.half_life)
        index = bisect.bisect_right([c.since for c in self.clocks], now) - 1
        return self.clocks[max(index, 0)]

    def epoch_at(self, now: int) -> int:
        return self.clock_at(now).epoch(now)

    def halvings_at(self, now: int) -> int:
        return self.clock_at(now).halvings(now)

    @property
    def era(self) -> int:
        """The era of the last event's halving count."""
        return self._split()[0]

    def era_at(self, now: int) -> int:
        """`PayoutSplitter.era` at time `now`."""
        return self._split(now)[0]

    def review_weight(self, member: str, c: Contribution) -> int:
        """What `member`'s review of `c` weighs (fixed when it is sealed, `ContributionRegistry._seal`):
        the lesser of their points at its two snapshots (the second before submission, and as its
        epoch began), at most 2^112 - 1."""
        weight = min(self.points_at(member, c.snapshot), self.points_at(member, c.epoch_snapshot))
        return min(weight, WEIGHT_MAX)

    def standing_of(self, member: str, now: int) -> int:
        """`PayoutSplitter.standing(member, _)`'s current part at time `now` (>= the last event): points
        plus genesis, what a review or a vote by the member weighs now."""
        era, offset = self._split(now)
        return self._standing_in(member, era) >> offset

    def points_of(self, member: str, now: int) -> int:
        """`PayoutSplitter.pointsOf` at time `now` (>= the last event): the points that share revenue."""
        era, offset = self._split(now)
        credited, group = self.accounts.get(member, (0, 0))
        return shift(credited, era - group) >> offset

    def total_points(self, now: int) -> int:
        era, offset = self._split(now)
        return self.weights(era)[0] >> offset

    @staticmethod
    def _lookup(history: list[Checkpoint], time: int) -> Checkpoint:
        index = bisect.bisect_right(history, time, key=_time) - 1  # O(log n): histories grow with every award
        return history[index] if index >= 0 else Checkpoint(0, 0, 0)

    def points_at(self, member: str, time: int) -> int:
        """`PayoutSplitter.pointsAt`: `member`'s points at the end of second `time`."""
        era, offset = self._split(time)
        c = self._lookup(self.history.get(member, []), time)
        return shift(c.credited, era - c.era) >> offset

    def total_points_at(self, time: int) -> int:
        era, offset = self._split(time)
        c = self._lookup(self.total_history, time)
        return shift(c.credited, era - c.era) >> offset

    def claimable(self, member: str, token: str) -> int:
        """`PayoutSplitter.claimable`: the latest incarnation's books."""
        return self._owed(member, self.key_of(token))[0]

    def claimable_incarnation(self, member: str, token: str, incarnation: int) -> int:
        return self._owed(member, (token, incarnation))[0]

    def keys_of(self, token: str) -> list[tuple[str, int]]:
        return [(ETH, 0)] if token == ETH else [(token, i) for i in range(1, self.incarnations[token] + 1)]

    def dust_bound(self, token: str) -> int:
        """The most rounding can have left in the contract: one wei per rounded-down division so far
        (including those a claim now would make), plus each receipt's remainders."""
        open_floors = sum(self._owed(m, key)[2] for m in self.accounts for key in self.keys_of(token))
        return self.dust_bound_settled[token] + open_floors

    def accounts_seen(self) -> list[str]:
        """Every address that is or was a member or holds points, in first-seen order."""
        seen = dict.fromkeys([*self.members, *self.genesis, *self.accounts])
        return list(seen)

    def all_tokens(self) -> list[str]:
        """ETH and every token ever listed (a delisted token's books stay claimable)."""
        return [ETH, *self.ever]

    def total_claimable(self, token: str) -> int:
        """What every member can claim in `token`, over all its incarnations."""
        return sum(self._owed(m, key)[0] for m in self.accounts_seen() for key in self.keys_of(token))

    def dust(self, token: str) -> int:
        """What the contract holds beyond every obligation: rounding remainders. Negative = insolvent."""
        return (
            self.tracked[token]
            - self.treasury[token]
            - self.for_reviewers[token]
            - self.for_hosts[token]
            - self.undistributed[token]
            - self.total_claimable(token)
        )

    def solvent(self) -> bool:
        """The splitter holds every obligation, and the registry every share of review pay it owes."""
        return all(
            self.dust(token) >= 0
            and self.review_pay_held(token) >= self.review_pay_obligations(token)
            and self.hosting_pay_held(token) >= self.hosting_pay_obligations(token)
            for token in self.all_tokens()
        )
