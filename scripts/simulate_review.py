"""Which rule pays reviewers for accuracy: a simulation of panels, sealed ratings and review pay.

    .venv/bin/python scripts/simulate_review.py [--items 20000] [--reviewers 100] [--panel 5]
                                                [--epochs 100] [--share 0.15] [--seed 1]

What it models (issue 25, "Reviewers are paid for accurate reviews"). Every item has a hidden true
quality of 0-5 stars. Every reviewer has a standing (log-normally spread, about 40 to 1 between the
highest and the lowest). Each item gets a panel of `--panel` reviewers drawn at random weighted by
standing, never its author. Ratings are integers 0-5, and the item's outcome m is the
standing-weighted median of the revealed ratings exactly as the contracts compute it
(`Tally.median`): walking the six weight buckets from 5 stars down, the first rating at which the
weight that gave it or more reaches half of the total. The items are split into `--epochs` epochs;
each epoch has a reviewer pot of 10^18 wei.

Strategies: honest (the true quality, give or take a star: exact half the time, one star off 40 %,
two stars off 10 %, clamped to 0-5), always-3, always-5 (a ring's blanket approval), random
(uniform 0-5), copier (the weighted median of the ratings it can see, or 3 when it sees none), lazy
(commits, never reveals: it counts as no review, its weight leaves the median, and an unrevealed
commitment forfeits the reviewer's review pay for the epoch) and exaggerate (honest, then pushed one
star away from 3: it tests whether the rule rewards reporting what one believes). Two modes: PUBLIC
(the panel rates in a random order and each rating is visible as cast, so a copier copies the
ratings before it) and SEALED (commit, then reveal after the window closes: a copier sees nothing
and can only guess 3).

Rules (each scores a review; the scores are summed per reviewer and epoch; the pot is paid pro rata
to the totals above 0, a total of 0 or less earns nothing). b is the same reviewer's rating of their
previous item in the epoch; the first review of an epoch has no b: under the cross-item rules it
scores 0 (no fee either) and only sets b.
- agree: 1 if |s - m| <= 1, else 0 (plain agreement with a threshold).
- ca: [s == m] - [b == m] (correlated agreement, the peer-prediction rule of Dasgupta-Ghosh 2013 and
  Shnayder et al. 2016, with the reviewer's own previous rating as the penalty term).
- cross: |b - m| - |s - m| (issue 25's rule).
- norm: W[b] * |b - m| - W[s] * |s - m|, where W[x] = floor(1000 * N / sum over the N medians m' of
  |x - m'|), the medians of the reviews scored two epochs before (one per review, as the contract
  counts them; final when the epoch begins), from a histogram of six counters each started at 1 (the
  first two epochs: 1 each). Since s is also the b of the reviewer's next item, cross pays a rating for being
  far from the next item's median, which pays pushing ratings away from 3; W divides each distance
  by the typical distance of that rating from a median, so that no rating is worth more for where
  it sits.
- norm-fee (recommended): norm less 125 (an eighth of a typical distance) per scored review, so a
  constant rating totals below 0, and random ratings, whose totals are 0 on average but scatter,
  are paid less often.
Every rule uses only the rating, the reviewer's previous rating, the item's median and (norm) six
numbers fixed for the epoch: O(1) per review, integers. Pay is integer wei: floor(pot * total / sum
of the positive totals); the dust stays in the pot and is carried into the next epoch.

It prints, for each strategy, its mean pay per review (per seat on a panel) relative to honest
reviewing (honest = 1.00) under PUBLIC and SEALED ratings for each rule: once with `--share` of the
reviewers playing one strategy at a time against honest reviewers, once with all the strategies at
once (5 % each). The strategies are dealt out in standing order, so that each is played by
reviewers of every standing, and a run under PUBLIC and its twin under SEALED have the same
community. Then how far the median lands from the truth, mean |m - true|, when each item's
first reviewer rates 5 and 40 % of the reviewers copy, PUBLIC against SEALED.

What it does not model: reviewers who learn or adapt (each plays a fixed strategy); collusion
between reviewers other than blanket 5s; the order of reveals (b is the rating of the previous item
in assignment order; a contract that lets a reviewer choose the order of reveals lets an honest
reviewer pair dissimilar items for a larger score); a copier in SEALED mode guessing from anything
but the prior (the author's record, the title); honest reviewers whose errors are correlated; effort
(every item weighs the same in the score); standing changing over time; quorum and budgets; panels
smaller than `--panel`; gas. Pure Python, stdlib only, deterministic for a given `--seed`.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from starfish_dao.domain.model import weighted_median as model_median

Mode = Literal["public", "sealed"]
MODES: tuple[Mode, ...] = ("public", "sealed")
STRATEGIES = ("honest", "always-3", "always-5", "random", "copier", "lazy", "exaggerate")
CHEAP = STRATEGIES[1:]
RULES = ("agree", "ca", "cross", "norm", "norm-fee")
RECOMMENDED = "norm-fee"
POT = 10**18  # wei per epoch
QUALITIES = (0, 1, 2, 3, 3, 4, 4, 5)  # the true quality of an item is drawn from these
HONEST_ERRORS = (-2, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2)
SCALE = 1000  # norm: a distance of one typical distance scores SCALE
FEE = SCALE // 8  # norm-fee: an eighth of a typical distance per scored review


@dataclass(frozen=True)
class Config:
    items: int = 20_000
    reviewers: int = 100
    panel: int = 5
    epochs: int = 100
    seed: int = 1


@dataclass
class Tally:
    """Per strategy: panel seats, and per rule the wei paid and the reviewer-epochs left unpaid."""

    seats: dict[str, int] = field(default_factory=dict)
    paid: dict[str, dict[str, int]] = field(default_factory=dict)
    unpaid: dict[str, dict[str, int]] = field(default_factory=dict)
    active: dict[str, int] = field(default_factory=dict)  # reviewer-epochs with a scored review
    error: int = 0  # sum of |m - true| over the items that got a median
    judged: int = 0
    dust: int = 0

    def per_seat(self, rule: str, strategy: str) -> float:
        seats = self.seats.get(strategy, 0)
        return self.paid.get(rule, {}).get(strategy, 0) / seats if seats else 0.0

    def relative(self, rule: str) -> dict[str, float]:
        """Each strategy's pay per seat over honest pay per seat (honest = 1.00)."""
        honest = self.per_seat(rule, "honest")
        return {s: self.per_seat(rule, s) / honest for s in self.seats if honest}

    def mean_error(self) -> float:
        return self.error / self.judged if self.judged else 0.0


def weighted_median(ratings: Sequence[tuple[int, int]]) -> int:
    """`Tally.median` over (stars, weight) pairs: the reference model's upper weighted median of the
    six buckets they fill (from 5 stars down, the first at which half the weight is reached)."""
    buckets = [0] * 6
    for stars, weight in ratings:
        buckets[stars] += weight
    return model_median(buckets)


def clamp(stars: int) -> int:
    return max(0, min(5, stars))


def honest_rating(quality: int, rng: random.Random) -> int:
    return clamp(quality + rng.choice(HONEST_ERRORS))


def rate(strategy: str, quality: int, seen: Sequence[tuple[int, int]], rng: random.Random) -> int | None:
    """A reviewer's rating, or None for a commitment never revealed. `seen`: the (stars, weight)
    already visible on the item (always empty under sealed ratings)."""
    if strategy == "honest":
        return honest_rating(quality, rng)
    if strategy == "always-3":
        return 3
    if strategy == "always-5":
        return 5
    if strategy == "random":
        return rng.randint(0, 5)
    if strategy == "copier":
        return weighted_median(seen) if seen else 3
    if strategy == "exaggerate":
        h = honest_rating(quality, rng)
        return clamp(h + (h > 3) - (h < 3))
    if strategy == "lazy":
        return None
    raise ValueError(f"unknown strategy {strategy!r}")


def distance_weights(medians: Sequence[int]) -> list[int]:
    """norm's table: W[s] = floor(SCALE * N / sum over the medians m of |s - m|), from the previous
    epoch's histogram of medians (six counters, each started at 1 so that no sum is 0): an error of
    one typical distance from rating s costs about SCALE whatever s is."""
    n = sum(medians)
    return [SCALE * n // sum(count * abs(s - m) for m, count in enumerate(medians)) for s in range(6)]


def score(rule: str, b: int | None, s: int, m: int, w: Sequence[int]) -> int:
    """One review's score: s the rating, b the reviewer's previous rating in the epoch (None for
    their first), m the item's weighted median, w the epoch's distance weights (norm rules)."""
    if rule == "agree":
        return int(abs(s - m) <= 1)
    if b is None:
        return 0  # the first review of an epoch only sets b
    if rule == "ca":
        return int(s == m) - int(b == m)
    if rule == "cross":
        return abs(b - m) - abs(s - m)
    if rule == "norm":
        return w[b] * abs(b - m) - w[s] * abs(s - m)
    if rule == "norm-fee":
        return w[b] * abs(b - m) - w[s] * abs(s - m) - FEE
    raise ValueError(f"unknown rule {rule!r}")


def pay_epoch(totals: dict[int, int], forfeit: set[int], pot: int) -> tuple[dict[int, int], int]:
    """Split `pot` pro rata to the positive totals (floor each share); returns the pay and the dust.
    A reviewer in `forfeit` (an unrevealed commitment this epoch) earns nothing."""
    positive = {r: t for r, t in totals.items() if t > 0 and r not in forfeit}
    denominator = sum(positive.values())
    if denominator == 0:
        return {}, pot
    pay = {r: pot * t // denominator for r, t in positive.items()}
    return pay, pot - sum(pay.values())


def standings(n: int, rng: random.Random) -> list[int]:
    return [1 + int(1000 * rng.lognormvariate(0, 0.75)) for _ in range(n)]


def population(weights: Sequence[int], shares: dict[str, float], rng: random.Random) -> list[str]:
    """`shares` of the reviewers play each strategy (rounded), the rest are honest. Stratified by
    standing (walking the reviewers from the highest standing down, each strategy takes its turn
    when it falls furthest behind its share), so that no strategy wins by the standing of its
    players: a reviewer with more standing sits on more panels and has fewer unscored first reviews."""
    n = len(weights)
    counts = {strategy: round(share * n) for strategy, share in shares.items()}
    if sum(counts.values()) > n:
        raise ValueError("the shares add up to more than everyone")
    counts = {"honest": n - sum(counts.values()), **counts}
    order = sorted(range(n), key=lambda r: (-weights[r], rng.random()))
    roles = [""] * n
    taken = dict.fromkeys(counts, 0)
    for i, reviewer in enumerate(order):
        strategy = max(counts, key=lambda s: (counts[s] * (i + 1) / n - taken[s], rng.random()))
        roles[reviewer] = strategy
        taken[strategy] += 1
    return roles


def draw_panel(author: int, cumulative: list[int], k: int, rng: random.Random) -> list[int]:
    """k distinct reviewers other than the author, drawn weighted by standing, in the order drawn."""
    n = len(cumulative)
    k = min(k, n - 1)
    chosen: list[int] = []
    population_ = range(n)
    while len(chosen) < k:
        (r,) = rng.choices(population_, cum_weights=cumulative)
        if r != author and r not in chosen:
            chosen.append(r)
    return chosen


@dataclass
class Epoch:
    """A running epoch: each reviewer's previous rating, and per rule each reviewer's total."""

    last: dict[int, int] = field(default_factory=dict)
    totals: dict[str, dict[int, int]] = field(default_factory=lambda: {rule: {} for rule in RULES})
    forfeit: set[int] = field(default_factory=set)
    scored: set[int] = field(default_factory=set)
    medians: list[int] = field(default_factory=lambda: [1] * 6)  # for the next epoch's table
    w: list[int] = field(default_factory=lambda: distance_weights([1] * 6))


def judge_item(
    quality: int,
    panel: list[int],
    roles: list[str],
    weights: list[int],
    mode: Mode,
    first_rates_five: bool,
    rng: random.Random,
) -> tuple[list[tuple[int, int]], list[int]]:
    """The panel rates one item in the panel's order; returns (reviewer, stars) revealed, and the
    reviewers who committed without revealing."""
    cast: list[tuple[int, int]] = []  # (reviewer, stars)
    lazy: list[int] = []
    for position, r in enumerate(panel):
        seen = [(s, weights[who]) for who, s in cast] if mode == "public" else []
        stars = 5 if first_rates_five and position == 0 else rate(roles[r], quality, seen, rng)
        if stars is None:
            lazy.append(r)
        else:
            cast.append((r, stars))
    return cast, lazy


def settle(epoch: Epoch, roles: list[str], tally: Tally, pot: dict[str, int]) -> None:
    """Pay one epoch under every rule; the dust stays in each rule's pot for the next epoch."""
    for reviewer in epoch.scored:
        tally.active[roles[reviewer]] = tally.active.get(roles[reviewer], 0) + 1
    for rule in RULES:
        pay, pot[rule] = pay_epoch(epoch.totals[rule], epoch.forfeit, pot[rule])
        paid, unpaid = tally.paid.setdefault(rule, {}), tally.unpaid.setdefault(rule, {})
        for reviewer, wei in pay.items():
            paid[roles[reviewer]] = paid.get(roles[reviewer], 0) + wei
        for reviewer in epoch.scored - set(pay):
            unpaid[roles[reviewer]] = unpaid.get(roles[reviewer], 0) + 1
        pot[rule] += POT


def simulate(cfg: Config, mode: Mode, shares: dict[str, float], first_rates_five: bool = False) -> Tally:
    """Run one population through `cfg.items` items in `mode`; pay every rule side by side."""
    community = random.Random(f"{cfg.seed}/{sorted(shares.items())}")  # the same under either mode
    weights = standings(cfg.reviewers, community)
    roles = population(weights, shares, community)
    rng = random.Random(f"{cfg.seed}/{sorted(shares.items())}/{mode}/{first_rates_five}")
    cumulative = [sum(weights[: i + 1]) for i in range(cfg.reviewers)]
    tally = Tally(seats={s: 0 for s in sorted(set(roles), key=STRATEGIES.index)})
    pot = dict.fromkeys(RULES, POT)
    per_epoch = max(1, cfg.items // cfg.epochs)
    epoch, previous = Epoch(), Epoch()
    for item in range(cfg.items):
        if item and item % per_epoch == 0:
            settle(epoch, roles, tally, pot)
            # the contract's table: the medians of the reviews scored two epochs before (final when
            # this one begins: an epoch's reviews are scored until a week after it ends)
            epoch, previous = Epoch(w=distance_weights(previous.medians)), epoch
        quality, author = rng.choice(QUALITIES), rng.randrange(cfg.reviewers)
        panel = draw_panel(author, cumulative, cfg.panel, rng)
        cast, lazy = judge_item(quality, panel, roles, weights, mode, first_rates_five, rng)
        for r in panel:
            tally.seats[roles[r]] += 1
        epoch.forfeit.update(lazy)
        if not cast:
            continue  # nobody revealed: no median, nothing to score
        m = weighted_median([(s, weights[r]) for r, s in cast])
        tally.error += abs(m - quality)
        tally.judged += 1
        epoch.medians[m] += len(cast)  # one count per scored review, as `scoreReview` counts
        for r, s in cast:
            b = epoch.last.get(r)
            for rule in RULES:
                epoch.totals[rule][r] = epoch.totals[rule].get(r, 0) + score(rule, b, s, m, epoch.w)
            epoch.last[r] = s
            epoch.scored.add(r)
    settle(epoch, roles, tally, pot)
    tally.dust = sum(pot.values()) - len(RULES) * POT
    return tally


def one_at_a_time(cfg: Config, share: float) -> dict[Mode, dict[str, dict[str, float]]]:
    """{mode: {rule: {strategy: pay per seat relative to honest}}}, each cheap strategy played by
    `share` of the reviewers against honest reviewers, one strategy per run."""
    out: dict[Mode, dict[str, dict[str, float]]] = {}
    for mode in MODES:
        out[mode] = {rule: {"honest": 1.0} for rule in RULES}
        for strategy in CHEAP:
            tally = simulate(cfg, mode, {strategy: share})
            for rule in RULES:
                out[mode][rule][strategy] = tally.relative(rule)[strategy]
    return out


def all_at_once(cfg: Config, share: float = 0.05) -> dict[Mode, dict[str, dict[str, float]]]:
    """The same table with every cheap strategy in one population, `share` of the reviewers each."""
    out: dict[Mode, dict[str, dict[str, float]]] = {}
    for mode in MODES:
        tally = simulate(cfg, mode, dict.fromkeys(CHEAP, share))
        out[mode] = {rule: tally.relative(rule) for rule in RULES}
    return out


def herding(cfg: Config, copiers: float = 0.4) -> dict[str, float]:
    """Mean |m - true|: each item's first reviewer rates 5, `copiers` of the reviewers copy, the rest
    are honest; PUBLIC against SEALED, and everyone honest for reference."""
    out: dict[str, float] = {
        mode: simulate(cfg, mode, {"copier": copiers}, first_rates_five=True).mean_error() for mode in MODES
    }
    out["all honest"] = simulate(cfg, "sealed", {}).mean_error()
    return out


def render(table: dict[Mode, dict[str, dict[str, float]]]) -> str:
    """A Markdown table: a row per strategy, a column per rule, each cell PUBLIC / SEALED."""
    head = "| strategy | " + " | ".join(RULES) + " |"
    rule_line = "|---|" + "---:|" * len(RULES)
    rows = [
        f"| {s} | " + " | ".join(f"{table['public'][r][s]:.2f} / {table['sealed'][r][s]:.2f}" for r in RULES) + " |"
        for s in STRATEGIES
        if s in table["public"][RULES[0]]
    ]
    return "\n".join([head, rule_line, *rows])


def unpaid_honest(cfg: Config, share: float) -> dict[str, float]:
    """Share of honest reviewer-epochs (with a scored review) paid nothing, SEALED, every strategy at
    `share`: the price of a rule to honest reviewers."""
    tally = simulate(cfg, "sealed", dict.fromkeys(CHEAP, share))
    active = tally.active.get("honest", 0)
    return {rule: tally.unpaid.get(rule, {}).get("honest", 0) / active if active else 0.0 for rule in RULES}


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--items", type=int, default=Config.items)
    p.add_argument("--reviewers", type=int, default=Config.reviewers)
    p.add_argument("--panel", type=int, default=Config.panel)
    p.add_argument("--epochs", type=int, default=Config.epochs)
    p.add_argument("--share", type=float, default=0.15, help="share of reviewers playing one strategy")
    p.add_argument("--seed", type=int, default=Config.seed)
    a = p.parse_args(argv)
    cfg = Config(a.items, a.reviewers, a.panel, a.epochs, a.seed)
    seats = cfg.items * min(cfg.panel, cfg.reviewers - 1)
    per = seats / cfg.reviewers / cfg.epochs
    print(f"{cfg.items:,} items, {cfg.reviewers} reviewers, panels of {cfg.panel}, {cfg.epochs} epochs "
          f"(about {per:.0f} reviews per reviewer per epoch), seed {cfg.seed}")  # fmt: skip
    print(f"\nPay per review relative to honest (honest = 1.00), PUBLIC / SEALED ratings, {a.share:.0%} of the "
          "reviewers playing one strategy at a time, the rest honest:\n")  # fmt: skip
    print(render(one_at_a_time(cfg, a.share)))
    print("\nThe same with every strategy at once (5 % of the reviewers each, the rest honest):\n")
    print(render(all_at_once(cfg)))
    unpaid = unpaid_honest(cfg, 0.05)
    print("\nHonest reviewer-epochs paid nothing (SEALED, all at once): "
          + ", ".join(f"{rule} {share:.1%}" for rule, share in unpaid.items()))  # fmt: skip
    h = herding(cfg)
    print(f"\nFirst reviewer rates 5, 40 % copiers: mean |m - true| PUBLIC {h['public']:.2f} stars, "
          f"SEALED {h['sealed']:.2f} stars (everyone honest: {h['all honest']:.2f})")  # fmt: skip


if __name__ == "__main__":
    main()
