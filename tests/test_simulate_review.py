"""The review-pay simulation (scripts/simulate_review.py) at a small size, several seeds: what makes
its recommended rule the recommendation must hold, and so must what makes sealed ratings necessary.
Its full-size table is in docs/economics.md, section 6."""

from __future__ import annotations

import importlib.util
import random
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from starfish_dao.domain.model import weighted_median as model_median

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "simulate_review.py"
SEEDS = (1, 2, 3)


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("simulate_review", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["simulate_review"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


sim = _load()
Table = dict[str, dict[str, dict[str, float]]]


@pytest.fixture(scope="module")
def tables() -> dict[int, Table]:
    """{seed: {mode: {rule: {strategy: pay per review relative to honest}}}}: 2,000 items, 30
    reviewers, panels of 5, 10 epochs (about 17 reviews per reviewer per epoch), 15 % cheats."""
    return {seed: sim.one_at_a_time(sim.Config(2_000, 30, 5, 10, seed), 0.15) for seed in SEEDS}


def test_the_median_is_the_contracts_median() -> None:
    rng = random.Random(7)
    for _ in range(2_000):
        buckets = [rng.choice((0, 0, 1, 2, 5, 40)) for _ in range(6)]
        if sum(buckets) == 0:
            continue
        pairs = [(stars, w) for stars, w in enumerate(buckets) if w]
        assert sim.weighted_median(pairs) == model_median(buckets), buckets


def test_pay_is_floored_pro_rata_to_positive_totals_and_the_dust_stays() -> None:
    pay, dust = sim.pay_epoch({1: 3, 2: 3, 3: 1, 4: 0, 5: -9, 6: 5}, forfeit={6}, pot=10**18)
    assert pay == {1: 428571428571428571, 2: 428571428571428571, 3: 142857142857142857}
    assert sum(pay.values()) + dust == 10**18 and 0 <= dust < 3
    assert sim.pay_epoch({1: 0, 2: -1}, forfeit=set(), pot=5) == ({}, 5)


def test_constant_ratings_score_nothing_under_the_cross_item_rules() -> None:
    w = sim.distance_weights([1] * 6)
    for rule in ("ca", "cross", "norm"):
        assert all(sim.score(rule, c, c, m, w) == 0 for c in range(6) for m in range(6)), rule
    assert all(sim.score("norm-fee", c, c, m, w) < 0 for c in range(6) for m in range(6))
    assert all(sim.score(rule, None, 4, 4, w) == 0 for rule in ("ca", "cross", "norm", "norm-fee"))


def test_sealed_the_recommended_rule_pays_honest_reviewing_clearly_more(tables: dict[int, Table]) -> None:
    for seed, table in tables.items():
        sealed = table["sealed"][sim.RECOMMENDED]
        for strategy in ("always-3", "always-5", "copier", "lazy"):
            assert sealed[strategy] == 0, (seed, strategy, sealed)
        assert sealed["random"] <= 0.3, (seed, sealed)
        assert sealed["exaggerate"] < 1, (seed, sealed)


def test_the_normalisation_is_what_stops_exaggeration_paying(tables: dict[int, Table]) -> None:
    def mean(rule: str) -> float:
        return sum(t["sealed"][rule]["exaggerate"] for t in tables.values()) / len(tables)

    assert mean("cross") >= 1.0, "issue 25's cross rule pays pushing ratings away from 3"
    assert mean(sim.RECOMMENDED) <= 0.95
    assert mean(sim.RECOMMENDED) <= mean("cross") - 0.08


def test_public_ratings_pay_the_copier_as_much_as_honest_reviewing(tables: dict[int, Table]) -> None:
    # the reason ratings must be sealed: every rule pays a copier who can see the ratings
    for seed, table in tables.items():
        for rule in ("agree", "cross", sim.RECOMMENDED):
            assert table["public"][rule]["copier"] >= 0.9, (seed, rule, table["public"][rule])


def test_plain_agreement_pays_blanket_ratings(tables: dict[int, Table]) -> None:
    # the reason for a cross-item rule: "always 3" agrees with most medians
    for seed, table in tables.items():
        assert table["sealed"]["agree"]["always-3"] >= 0.6, (seed, table["sealed"]["agree"])
        assert table["sealed"]["agree"]["random"] >= 0.4, (seed, table["sealed"]["agree"])


def test_sealing_keeps_a_herd_further_from_the_first_five() -> None:
    errors = sim.herding(sim.Config(2_000, 30, 5, 10, 1))
    assert errors["public"] > errors["sealed"] + 0.15 > errors["all honest"] + 0.3, errors


def test_the_script_prints_the_table() -> None:
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "--items", "400", "--reviewers", "20", "--epochs", "4", "--seed", "2"],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("| strategy | agree | ca | cross | norm | norm-fee |") == 2, out.stdout
    cells = r" \| ".join([r"(\d+\.\d\d) / (\d+\.\d\d)"] * len(sim.RULES))
    rows = re.findall(rf"^\| ([a-z0-9-]+) \| {cells} \|$", out.stdout, re.M)
    assert [r[0] for r in rows] == list(sim.STRATEGIES) * 2, out.stdout
    assert all(v == "1.00" for r in rows if r[0] == "honest" for v in r[1:]), out.stdout
    assert re.search(r"mean \|m - true\| PUBLIC \d\.\d\d stars, SEALED \d\.\d\d stars", out.stdout), out.stdout
