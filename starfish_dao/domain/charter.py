"""The charter's parameters and bounds, mirrored from `contracts/Charter.sol`."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from enum import IntEnum

from starfish_dao.domain.errors import ConfigError

HOUR = 3600
DAY = 24 * HOUR


class Parameter(IntEnum):
    """The order of `ICharter.Parameter`."""

    EPOCH_LENGTH = 0
    REVIEW_WINDOW = 1
    MIN_REVIEWERS = 2
    HALF_LIFE = 3
    RESERVE_BPS = 4
    MAX_EFFORT = 5
    MAX_EFFORT_PER_EPOCH = 6
    MIN_REVIEWER_STANDING = 7
    QUORUM_BPS = 8
    REVIEW_BUDGET_BPS = 9
    PANEL_SIZE = 10
    REVIEWER_BPS = 11
    HOST_REPLICAS = 12
    TTFB_CEILING_MS = 13
    HOST_MIN_STANDING = 14
    HOSTING_BPS = 15


#: Inclusive bounds, as `Charter.bounds` returns them.
BOUNDS: dict[Parameter, tuple[int, int]] = {
    Parameter.EPOCH_LENGTH: (HOUR, 365 * DAY),
    Parameter.REVIEW_WINDOW: (DAY, 90 * DAY),
    Parameter.MIN_REVIEWERS: (1, 100),
    Parameter.HALF_LIFE: (0, 1000),
    Parameter.RESERVE_BPS: (0, 5000),
    Parameter.MAX_EFFORT: (1, 10_080),
    Parameter.MAX_EFFORT_PER_EPOCH: (1, 1_000_000),
    Parameter.MIN_REVIEWER_STANDING: (0, 10**30),
    Parameter.QUORUM_BPS: (100, 5000),
    Parameter.REVIEW_BUDGET_BPS: (100, 100_000),
    Parameter.PANEL_SIZE: (1, 100),
    Parameter.REVIEWER_BPS: (0, 2000),
    Parameter.HOST_REPLICAS: (1, 7),
    Parameter.TTFB_CEILING_MS: (100, 60_000),
    Parameter.HOST_MIN_STANDING: (0, 10**30),
    Parameter.HOSTING_BPS: (0, 1000),
}

POINT = 10**18  # points carry 18 decimals
#: `Charter.MIN_HALF_LIFE_SECONDS`: points may not halve faster than this (when they decay at all)
MIN_HALF_LIFE_SECONDS = 30 * DAY

#: Each parameter's name in charter files, manifests and the relay (the Solidity struct's field names).
PARAMETER_KEYS: dict[str, Parameter] = {
    "epochLength": Parameter.EPOCH_LENGTH,
    "reviewWindow": Parameter.REVIEW_WINDOW,
    "minReviewers": Parameter.MIN_REVIEWERS,
    "halfLife": Parameter.HALF_LIFE,
    "reserveBps": Parameter.RESERVE_BPS,
    "maxEffort": Parameter.MAX_EFFORT,
    "maxEffortPerEpoch": Parameter.MAX_EFFORT_PER_EPOCH,
    "minReviewerStanding": Parameter.MIN_REVIEWER_STANDING,
    "quorumBps": Parameter.QUORUM_BPS,
    "reviewBudgetBps": Parameter.REVIEW_BUDGET_BPS,
    "panelSize": Parameter.PANEL_SIZE,
    "reviewerBps": Parameter.REVIEWER_BPS,
    "hostReplicas": Parameter.HOST_REPLICAS,
    "ttfbCeilingMs": Parameter.TTFB_CEILING_MS,
    "hostMinStanding": Parameter.HOST_MIN_STANDING,
    "hostingBps": Parameter.HOSTING_BPS,
}


@dataclass(frozen=True)
class Params:
    """Charter parameters in the order and units of `ICharter.Params`."""

    epoch_length: int = 7 * DAY
    review_window: int = 3 * DAY
    min_reviewers: int = 2  # distinct reviewers: nobody's word alone
    half_life: int = 26  # epochs: points count half after half a year of weekly epochs
    reserve_bps: int = 1000
    max_effort: int = 2400  # minutes: 40 hours
    max_effort_per_epoch: int = 4800  # minutes: 80 hours a week
    min_reviewer_standing: int = 1 * POINT
    quorum_bps: int = 1000  # 10 % of all standing must review a contribution
    review_budget_bps: int = 20_000  # a reviewer approves at most twice their own standing per epoch
    panel_size: int = 5  # reviewers drawn for each contribution, by standing (the expected size)
    reviewer_bps: int = 1000  # 10 % of every receipt pays the reviewers, by the accuracy of their reviews
    host_replicas: int = 3  # member hosts hold each file the community depends on: two may be away at once
    ttfb_ceiling_ms: int = 2000  # a challenged block's first byte within two seconds, from a home line
    host_min_standing: int = 10 * POINT  # ten points as the epoch began: some accepted work, not a fresh address
    hosting_bps: int = 300  # 3 % of every receipt pays the hosts, by the files they were checked holding

    def value(self, parameter: Parameter) -> int:
        return int(self.as_tuple()[parameter])

    def as_tuple(self) -> tuple[int, ...]:
        return tuple(asdict(self).values())

    def replace(self, parameter: Parameter, value: int) -> Params:
        values = list(self.as_tuple())
        values[parameter] = value
        return Params(*values)

    def check(self) -> Params:
        """Raises ConfigError naming the first parameter outside its bounds."""
        for parameter in Parameter:
            low, high = BOUNDS[parameter]
            value = self.value(parameter)
            if not isinstance(value, int) or not low <= value <= high:
                raise ConfigError(f"charter parameter {parameter.name.lower()}={value!r} is outside [{low}, {high}]")
        seconds = self.half_life * self.epoch_length
        if seconds and seconds < MIN_HALF_LIFE_SECONDS:
            raise ConfigError(
                f"points would halve every {seconds} s (half_life x epoch_length); "
                f"the charter allows no faster than every {MIN_HALF_LIFE_SECONDS} s (30 days)"
            )
        return self


#: The governor's and timelock's bounds, by their names in charter files (checked on-chain too).
GOVERNOR_BOUNDS: dict[str, tuple[int, int]] = {
    "votingDelay": (HOUR, 14 * DAY),
    "votingPeriod": (DAY, 30 * DAY),
    "proposalThreshold": (POINT, 10**30),
    "quorumPercent": (5, 80),
    "timelockDelay": (HOUR, 30 * DAY),
}


@dataclass(frozen=True)
class GovernanceSettings:
    """The governor's and the timelock's settings, with the reasons for each default (bounds are
    checked on-chain by `StarfishGovernor` and `StarfishTimelock`)."""

    #: a day between proposing and the snapshot of votes: members see the proposal, and may
    #: delegate, before the standing that counts is fixed
    voting_delay: int = DAY
    #: five days to vote: a whole working week in a coworking space, whoever is away for a weekend
    voting_period: int = 5 * DAY
    #: one point to propose: any member whose work was accepted; a Sybil with none cannot spam
    proposal_threshold: int = POINT
    #: a fifth of all standing must vote (for or abstain): three founders need two of them; 200
    #: members with spread standing need a real turnout, not a handful
    quorum_percent: int = 20
    #: two days between passing and running: members who disagree can claim their pay or leave first
    timelock_delay: int = 2 * DAY
    #: an optional guardian (say, the founders' multisig) that may only cancel proposals ...
    guardian: str = ""
    #: ... until this unix time (at most a year after deployment); 0 = no guardian
    guardian_expiry: int = 0

    def check(self) -> GovernanceSettings:
        bounds = {re.sub(r"([A-Z])", r"_\1", key).lower(): b for key, b in GOVERNOR_BOUNDS.items()}
        for name, (low, high) in bounds.items():
            value = getattr(self, name)
            if not isinstance(value, int) or not low <= value <= high:
                raise ConfigError(f"governance setting {name}={value!r} is outside [{low}, {high}]")
        return self


@dataclass(frozen=True)
class Founder:
    address: str
    genesis_points: int


@dataclass(frozen=True)
class CharterConfig:
    """Everything a deployment needs: parameters, document CID, revenue tokens, founders, governance.

    Without `governance`, the deployment creates the members' governor and timelock and hands the
    charter to the timelock (the founder steps down). An explicit `governance` address instead makes
    that address govern alone: a key that is a boss, for experiments only (`starfish verify` fails it)."""

    params: Params = field(default_factory=Params)
    document_cid: bytes = b""
    revenue_tokens: tuple[str, ...] = ()
    founders: tuple[Founder, ...] = ()
    governance: str = ""
    settings: GovernanceSettings = field(default_factory=GovernanceSettings)
