"""The exact reference model: replays the contracts' events and yields every number to the wei.

Pure Python, no web3. It mirrors the arithmetic of `PayoutSplitter.sol`, `ContributionRegistry.sol`
and `Charter.sol` step by step (same rounding, same order), but it takes from the events only what
actually happened — who joined, who reviewed with how many stars, what revenue arrived — and
computes every derived number (points, medians, reserves, accumulators, claims) itself. Where an
event also states a derived number, the model checks it and records any difference.

Events are dicts: ``{"contract", "event", "args", "timestamp", "block", "log_index"}`` in chain order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from starfish_dao.domain.charter import BOUNDS, Parameter, Params
from starfish_dao.domain.errors import ModelError

ETH = "0x0000000000000000000000000000000000000000"
ERA_HALVINGS = 32
ERAS_TO_ZERO = 256 // ERA_HALVINGS
ACC_PRECISION = 1 << 128
BPS = 10_000
POINTS_PER_MINUTE = 10**18

PENDING, ACCEPTED, REJECTED = "pending", "accepted", "rejected"


def shift(scaled: int, eras: int) -> int:
    """`Decay.shift`: move credited points `eras` eras forward."""
    return 0 if eras >= ERAS_TO_ZERO else scaled >> (eras * ERA_HALVINGS)


def median_times_two(histogram: list[int]) -> int:
    """`Tally.medianTimesTwo`: lower + upper middle of the sorted ratings."""
    n = sum(histogram)
    if n == 0:
        raise ModelError("median of no reviews")
    low_rank, high_rank = (n - 1) // 2, n // 2
    seen, low = 0, None
    for stars, count in enumerate(histogram):
        seen += count
        if low is None and seen > low_rank:
            low = stars
        if seen > high_rank:
            assert low is not None
            return low + stars
    raise AssertionError("unreachable")


def points_for(effort: int, median2: int) -> int:
    """`Tally.points`: effort * median / 3 in 18 decimals, rounded down."""
    return effort * POINTS_PER_MINUTE * median2 // 6


@dataclass
class Clock:
    """`Charter.Clock`: the epoch and halving counters and where they were last rebased."""

    epoch_base_time: int = 0
    epoch_base: int = 0
    halving_base_epoch: int = 0
    halving_base: int = 0

    def epoch(self, params: Params, now: int) -> int:
        return self.epoch_base + (now - self.epoch_base_time) // params.epoch_length

    def halvings(self, params: Params, now: int) -> int:
        if params.half_life == 0:
            return self.halving_base
        return self.halving_base + (self.epoch(params, now) - self.halving_base_epoch) // params.half_life


@dataclass
class Contribution:
    id: int
    author: str
    cid: bytes
    effort: int
    epoch: int
    deadline: int
    histogram: list[int] = field(default_factory=lambda: [0] * 6)
    reviews: list[tuple[str, int, bytes]] = field(default_factory=list)
    status: str = PENDING
    median2: int = 0
    points: int = 0


@dataclass
class Member:
    address: str
    token_id: int = 0
    suspended: bool = False
    joined_at: int = 0
    left_at: int | None = None

    @property
    def active(self) -> bool:
        return self.token_id != 0 and not self.suspended


class Model:
    """Feed it events with `apply`; read members, points, claimable, treasury, undistributed, dust."""

    def __init__(self) -> None:
        # charter
        self.params = Params()
        self._params_seen: set[Parameter] = set()
        self.clock = Clock()
        self.governance: str | None = None
        self.document_cid: bytes = b""
        self.tokens: list[str] = []  # ever listed, append-only
        self.allowed: dict[str, bool] = {}
        # membership
        self.members: dict[str, Member] = {}
        # registry
        self.contributions: dict[int, Contribution] = {}
        # splitter
        self.accounts: dict[str, tuple[int, int]] = {}  # member -> (credited, era)
        self.positions: dict[tuple[str, str], tuple[int, int]] = {}  # (member, token) -> (owed, era)
        self.snapshots: dict[tuple[str, str], int] = {}
        self.acc: dict[tuple[int, str], int] = defaultdict(int)
        self.total_credited = 0
        self.era = 0
        self.tracked: dict[str, int] = defaultdict(int)
        self.treasury: dict[str, int] = defaultdict(int)
        self.undistributed: dict[str, int] = defaultdict(int)
        self.received: dict[str, int] = defaultdict(int)
        self.claimed: dict[str, int] = defaultdict(int)
        self.spent: dict[str, int] = defaultdict(int)
        self.claimed_by: dict[tuple[str, str], int] = defaultdict(int)
        self.awarded: dict[str, int] = defaultdict(int)  # points as awarded, before decay
        self.slashed: dict[str, int] = defaultdict(int)
        # rounding: what the contract may keep beyond obligations, accumulated as it happens
        self.dust_bound_settled: dict[str, int] = defaultdict(int)
        self._drifted = False  # an era shift happened: the total may exceed the sum of accounts
        self.now = 0
        self.events_applied = 0
        self.discrepancies: list[str] = []

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
        if handler is not None:
            handler(self, dict(event["args"]))
        self.events_applied += 1

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
        if parameter not in self._params_seen:
            if not self._params_seen:
                self.clock = Clock(self.now, 0, 0, 0)
            self._params_seen.add(parameter)
        else:
            self._check(f"charter {parameter.name} old value", int(a["oldValue"]), self.params.value(parameter))
            if parameter in (Parameter.EPOCH_LENGTH, Parameter.HALF_LIFE):
                epoch = self.clock.epoch(self.params, self.now)
                halvings = self.clock.halvings(self.params, self.now)
                self.clock = Clock(self.now, epoch, epoch, halvings)
        self.params = self.params.replace(parameter, value)

    def _on_document(self, a: dict[str, Any]) -> None:
        self.document_cid = bytes(a["cid"])

    def _on_token(self, a: dict[str, Any]) -> None:
        token = a["token"]
        if a["allowed"] and token not in self.tokens:
            self.tokens.append(token)
        self.allowed[token] = bool(a["allowed"])

    # membership -------------------------------------------------------

    def _member(self, address: str) -> Member:
        return self.members.setdefault(address, Member(address))

    def _on_joined(self, a: dict[str, Any]) -> None:
        m = self._member(a["member"])
        if m.token_id:
            self.discrepancies.append(f"{m.address} joined twice")
        m.token_id, m.joined_at, m.left_at = int(a["tokenId"]), self.now, None

    def _on_left(self, a: dict[str, Any]) -> None:
        m = self._member(a["member"])
        self._check(f"token of leaving member {m.address}", int(a["tokenId"]), m.token_id)
        m.token_id, m.left_at = 0, self.now

    def _on_suspended(self, a: dict[str, Any]) -> None:
        self._member(a["account"]).suspended = True

    def _on_reinstated(self, a: dict[str, Any]) -> None:
        self._member(a["account"]).suspended = False

    # registry ---------------------------------------------------------

    def _on_submitted(self, a: dict[str, Any]) -> None:
        cid = int(a["id"])
        epoch = self.clock.epoch(self.params, self.now)
        self._check(f"contribution {cid} epoch", int(a["epoch"]), epoch)
        self._check(
            f"contribution {cid} review deadline", int(a["reviewDeadline"]), self.now + self.params.review_window
        )
        self.contributions[cid] = Contribution(
            cid, a["author"], bytes(a["cid"]), int(a["effort"]), epoch, int(a["reviewDeadline"])
        )

    def _on_reviewed(self, a: dict[str, Any]) -> None:
        c = self.contributions[int(a["id"])]
        stars = int(a["stars"])
        c.histogram[stars] += 1
        c.reviews.append((a["reviewer"], stars, bytes(a["commentCid"])))

    def _on_finalized(self, a: dict[str, Any]) -> None:
        c = self.contributions[int(a["id"])]
        n = sum(c.histogram)
        accepted = n != 0 and n >= self.params.quorum
        median2 = median_times_two(c.histogram) if accepted else 0
        points = points_for(c.effort, median2) if accepted else 0
        self._check(f"contribution {c.id} accepted", int(bool(a["accepted"])), int(accepted))
        self._check(f"contribution {c.id} reviews", int(a["reviews"]), n)
        self._check(f"contribution {c.id} median*2", int(a["medianTimesTwo"]), median2)
        self._check(f"contribution {c.id} points", int(a["points"]), points)
        c.status, c.median2, c.points = (ACCEPTED if accepted else REJECTED), median2, points
        if points:
            self._award(c.author, points)

    # splitter ---------------------------------------------------------

    def _split(self) -> tuple[int, int]:
        halvings = self.clock.halvings(self.params, self.now)
        return halvings // ERA_HALVINGS, halvings % ERA_HALVINGS

    def _advance(self) -> tuple[int, int]:
        era, offset = self._split()
        if era > self.era:
            self.total_credited = shift(self.total_credited, era - self.era)
            self.era = era
            self._drifted = True
        return era, offset

    def _credit(self, member: str, points: int, era: int, offset: int) -> None:
        credited, account_era = self.accounts.get(member, (0, 0))
        added = points << offset
        self.accounts[member] = (shift(credited, era - account_era) + added, era)
        self.total_credited += added
        self.awarded[member] += points

    def _settled(self, member: str, token: str, era: int) -> tuple[int, int, int]:
        """(owed, accumulator now, number of rounded-down divisions) — `PayoutSplitter._settled`."""
        credited, account_era = self.accounts.get(member, (0, 0))
        owed, position_era = self.positions.get((member, token), (0, 0))
        acc_now = self.acc[(era, token)]
        if credited == 0:
            return owed, acc_now, 0
        e = max(position_era, account_era)
        snapshot = 0 if position_era < account_era else self.snapshots.get((member, token), 0)
        credited = shift(credited, e - account_era)
        floors = 0
        while credited != 0 and e < era:
            owed += credited * (self.acc[(e, token)] - snapshot) // ACC_PRECISION
            snapshot, e, floors = 0, e + 1, floors + 1
            credited = shift(credited, 1)
        if credited != 0:
            owed += credited * (acc_now - snapshot) // ACC_PRECISION
            floors += 1
        return owed, acc_now, floors

    def _settle(self, member: str, token: str, era: int) -> None:
        owed, acc_now, floors = self._settled(member, token, era)
        self.positions[(member, token)] = (owed, era)
        self.snapshots[(member, token)] = acc_now
        self.dust_bound_settled[token] += floors

    def _settle_all(self, member: str, era: int) -> None:
        for token in [ETH, *self.tokens]:
            self._settle(member, token, era)

    def _award(self, member: str, points: int) -> None:
        era, offset = self._advance()
        self._settle_all(member, era)
        self._credit(member, points, era, offset)

    def _on_points_awarded(self, a: dict[str, Any]) -> None:
        if int(a["contribution"]) == 0:  # genesis, at deployment
            era, offset = self._split()
            self.era = max(self.era, era)
            self._credit(a["member"], int(a["points"]), era, offset)
        else:
            c = self.contributions.get(int(a["contribution"]))
            self._check(f"points awarded for contribution {a['contribution']}", int(a["points"]), c.points if c else -1)

    def _on_slashed(self, a: dict[str, Any]) -> None:
        member, bps = a["member"], int(a["bps"])
        era, offset = self._advance()
        self._settle_all(member, era)
        credited, account_era = self.accounts.get(member, (0, 0))
        credited = shift(credited, era - account_era)
        cut = credited * bps // BPS
        self.accounts[member] = (credited - cut, era)
        self.total_credited -= cut
        self.slashed[member] += cut >> offset
        self._check(f"points cut from {member}", int(a["pointsCut"]), cut >> offset)

    def _on_revenue(self, a: dict[str, Any]) -> None:
        token, amount = a["token"], int(a["amount"])
        era, _ = self._advance()
        reserve = amount * self.params.reserve_bps // BPS
        self._check(f"reserve of a {amount} receipt of {token}", int(a["reserve"]), reserve)
        self.tracked[token] += amount
        self.treasury[token] += reserve
        self.received[token] += amount
        rest = amount - reserve
        if self.total_credited == 0:
            self.undistributed[token] += rest
            return
        rest += self.undistributed[token]
        self.undistributed[token] = 0
        total = self.total_credited
        self.acc[(era, token)] += rest * ACC_PRECISION // total
        # the accumulator's division keeps less than total / 2^128 wei ...
        self.dust_bound_settled[token] += -(-total // ACC_PRECISION)
        # ... and after an era shift the total may exceed the sum of the accounts' floors: that share stays
        if self._drifted:
            held = sum(shift(c, era - e) for c, e in self.accounts.values())
            self.dust_bound_settled[token] += -(-rest * (total - held) // total)

    def _on_claimed(self, a: dict[str, Any]) -> None:
        member, token, amount = a["member"], a["token"], int(a["amount"])
        owed, acc_now, floors = self._settled(member, token, self.era)
        self.dust_bound_settled[token] += floors
        self._check(f"claim of {member} in {token}", amount, owed)
        self.positions[(member, token)] = (0, self.era)
        self.snapshots[(member, token)] = acc_now
        self.tracked[token] -= amount
        self.claimed[token] += amount
        self.claimed_by[(member, token)] += amount

    def _on_spent(self, a: dict[str, Any]) -> None:
        token, amount = a["token"], int(a["amount"])
        self.treasury[token] -= amount
        self.tracked[token] -= amount
        self.spent[token] += amount

    _HANDLERS: ClassVar[dict[str, Callable[[Model, dict[str, Any]], None]]] = {
        "charter.GovernanceTransferred": _on_governance,
        "charter.ParameterChanged": _on_parameter,
        "charter.DocumentChanged": _on_document,
        "charter.RevenueTokenSet": _on_token,
        "membership.Joined": _on_joined,
        "membership.Left": _on_left,
        "membership.Suspended": _on_suspended,
        "membership.Reinstated": _on_reinstated,
        "registry.Submitted": _on_submitted,
        "registry.Reviewed": _on_reviewed,
        "registry.Finalized": _on_finalized,
        "splitter.PointsAwarded": _on_points_awarded,
        "splitter.Slashed": _on_slashed,
        "splitter.RevenueReceived": _on_revenue,
        "splitter.Claimed": _on_claimed,
        "splitter.TreasurySpent": _on_spent,
    }

    # ----------------------------------------------------------------- answers

    def epoch_at(self, now: int) -> int:
        return self.clock.epoch(self.params, now)

    def points_of(self, member: str, now: int) -> int:
        """`PayoutSplitter.pointsOf` at time `now` (>= the last event)."""
        halvings = self.clock.halvings(self.params, now)
        credited, era = self.accounts.get(member, (0, 0))
        return shift(credited, halvings // ERA_HALVINGS - era) >> (halvings % ERA_HALVINGS)

    def total_points(self, now: int) -> int:
        halvings = self.clock.halvings(self.params, now)
        return shift(self.total_credited, halvings // ERA_HALVINGS - self.era) >> (halvings % ERA_HALVINGS)

    def claimable(self, member: str, token: str) -> int:
        return self._settled(member, token, self.era)[0]

    def dust_bound(self, token: str) -> int:
        """The most rounding can have left in the contract: one wei per rounded-down division so far
        (including those a claim now would make), plus each receipt's accumulator remainder."""
        open_floors = sum(self._settled(m, token, self.era)[2] for m in self.accounts)
        return self.dust_bound_settled[token] + open_floors

    def accounts_seen(self) -> list[str]:
        """Every address that is or was a member or holds points, in first-seen order."""
        seen = dict.fromkeys([*self.members, *self.accounts])
        return list(seen)

    def all_tokens(self) -> list[str]:
        return [ETH, *self.tokens]

    def total_claimable(self, token: str) -> int:
        return sum(self.claimable(m, token) for m in self.accounts_seen())

    def dust(self, token: str) -> int:
        """What the contract holds beyond every obligation: rounding remainders. Negative = insolvent."""
        return self.tracked[token] - self.treasury[token] - self.undistributed[token] - self.total_claimable(token)

    def solvent(self) -> bool:
        return all(self.dust(token) >= 0 for token in self.all_tokens())
