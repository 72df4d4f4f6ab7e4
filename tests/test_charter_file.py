"""`charter.toml` in people's units (issue 23: it mixed whole points with 18-decimal strings).

`starfish init` writes durations ("7 days"), points as numbers, shares as percentages; the loader
reads them, still reads the raw forms of older files, and a bad value is refused naming its key.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from starfish_dao.cli.setup import read_charter
from starfish_dao.domain.charter import POINT, GovernanceSettings, Params
from tests.conftest import Dao

STARFISH = [sys.executable, "-m", "starfish_dao.cli"]
FOUNDER = "0x000000000000000000000000000000000000dEaD"
#: the same defaults as the raw forms `starfish init` wrote before (seconds, 18-decimal strings, bps)
OLD_STYLE = f"""
document = "charter.md"
revenueTokens = []
[parameters]
epochLength = 604800
reviewWindow = 259200
minReviewers = 2
halfLife = 26
reserveBps = 1000
maxEffort = 2400
maxEffortPerEpoch = 4800
minReviewerStanding = "1000000000000000000"
quorumBps = 1000
reviewBudgetBps = 20000
[governor]
votingDelay = 86400
votingPeriod = 432000
proposalThreshold = "1000000000000000000"
quorumPercent = 20
timelockDelay = 172800
guardian = ""
guardianExpiry = 0
[[founders]]
address = "{FOUNDER}"
points = 5000
"""


def _run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("STARFISH_")}
    environment.update(STARFISH_HOME=str(tmp_path / "home"), **env)
    return subprocess.run([*STARFISH, *args], capture_output=True, text=True, env=environment, timeout=300)


def _init(tmp_path: Path) -> Path:
    path = tmp_path / "charter.toml"
    made = _run(["init", "--founder", f"{FOUNDER}:5000", "-o", str(path)], tmp_path)
    assert made.returncode == 0, made.stderr
    return path


def test_init_writes_every_value_in_peoples_units(tmp_path: Path) -> None:
    data = tomllib.loads(_init(tmp_path).read_text())
    p, g = data["parameters"], data["governor"]
    assert (p["epochLength"], p["reviewWindow"]) == ("7 days", "3 days")
    assert (p["maxEffort"], p["maxEffortPerEpoch"]) == ("40 hours", "80 hours")
    assert (p["reserveBps"], p["quorumBps"], p["reviewBudgetBps"]) == ("10 %", "10 %", "200 %")
    assert p["minReviewerStanding"] == 1 and g["proposalThreshold"] == 1  # points, not 10^18
    assert (p["ttfbCeilingMs"], p["hostReplicas"], p["hostMinStanding"]) == ("2 seconds", 3, 10)
    assert (g["votingDelay"], g["votingPeriod"], g["timelockDelay"]) == ("1 day", "5 days", "2 days")
    assert data["founders"] == [{"address": FOUNDER, "points": 5000}]
    for key, value in {**p, **g}.items():  # no raw seconds, basis points or 18-decimal amounts left
        assert not (isinstance(value, int) and value > 1000), (key, value)
        assert not re.fullmatch(r"\d{6,}", str(value)), (key, value)


def test_peoples_units_and_the_raw_forms_read_the_same(tmp_path: Path) -> None:
    new, _ = read_charter(_init(tmp_path))
    (tmp_path / "old.toml").write_text(OLD_STYLE)
    old, _ = read_charter(tmp_path / "old.toml")
    assert new == old
    assert new.params == Params() and new.settings == GovernanceSettings()
    assert new.founders[0].genesis_points == 5000 * POINT
    text = (tmp_path / "charter.toml").read_text()
    edited = (text.replace('reviewWindow = "3 days"', 'reviewWindow = "1 day 12 hours"')
              .replace("minReviewerStanding = 1", "minReviewerStanding = 2.5")
              .replace('reserveBps = "10 %"', 'reserveBps = "12.5%"')
              .replace('votingPeriod = "5 days"', 'votingPeriod = "1 week"')
              .replace("guardianExpiry = 0", "guardianExpiry = 2027-06-30"))  # fmt: skip
    (tmp_path / "charter.toml").write_text(edited)
    cfg, _ = read_charter(tmp_path / "charter.toml")
    assert cfg.params.review_window == 36 * 3600
    assert cfg.params.min_reviewer_standing == 5 * POINT // 2
    assert cfg.params.reserve_bps == 1250
    assert cfg.settings.voting_period == 7 * 86400
    assert cfg.settings.guardian_expiry == 1_814_313_600  # 2027-06-30 00:00 UTC


@pytest.mark.parametrize(
    ("line", "replacement", "words"),
    [
        ('reviewWindow = "3 days"', 'reviewWindow = "3 dyas"', ["parameters.reviewWindow", "3 dyas", "7 days"]),
        ('reviewWindow = "3 days"', 'reviewWindow = "100 days"', ["parameters.reviewWindow", "1 day .. 90 days"]),
        ('maxEffort = "40 hours"', 'maxEffort = "90 s"', ["parameters.maxEffort", "whole minutes"]),
        ("minReviewerStanding = 1", 'minReviewerStanding = "lots"', ["parameters.minReviewerStanding", "points"]),
        ('quorumBps = "10 %"', 'quorumBps = "90 %"', ["parameters.quorumBps", "1 % .. 50 %"]),
        ('votingPeriod = "5 days"', 'votingPeriod = "two days"', ["governor.votingPeriod", "two days"]),
        ("minReviewers = 2", "minReviewers = 0", ["parameters.minReviewers", "1 .. 100"]),
    ],
)
def test_a_bad_value_is_refused_naming_its_key(tmp_path: Path, line: str, replacement: str, words: list[str]) -> None:
    path = _init(tmp_path)
    text = path.read_text()
    assert line in text
    path.write_text(text.replace(line, replacement))
    out = _run(["deploy", "--charter", str(path)], tmp_path, STARFISH_PRIVATE_KEY="0x" + "11" * 32,
               STARFISH_RPC_URL="http://127.0.0.1:9")  # fmt: skip
    assert out.returncode == 1 and "Traceback" not in out.stderr, out.stderr
    assert len(out.stderr.strip().splitlines()) <= 2, out.stderr
    said = " ".join(out.stderr.split())  # the terminal may wrap a long path anywhere
    for word in words:
        assert word in said, (word, out.stderr)


def test_a_charter_in_peoples_units_deploys_its_values(dao: Dao, tmp_path: Path) -> None:
    path = _init(tmp_path)
    path.write_text(path.read_text().replace('reviewWindow = "3 days"', 'reviewWindow = "4 days"')
                    .replace("minReviewerStanding = 1", "minReviewerStanding = 0.5"))  # fmt: skip
    env = {"STARFISH_RPC_URL": dao.chain.url, "STARFISH_PRIVATE_KEY": dao["ada"].key.hex()}
    made = _run(["deploy", "--charter", str(path), "--deployments", str(tmp_path / "d"), "--json"], tmp_path, **env)
    assert made.returncode == 0, made.stderr
    shown = _run(["charter", "show", "--deployments", str(tmp_path / "d"), "--json"], tmp_path, **env)
    values = json.loads(shown.stdout)["parameters"]
    assert values["reviewWindow"] == 4 * 86400 and int(values["minReviewerStanding"]) == POINT // 2
    table = _run(["charter", "show", "--deployments", str(tmp_path / "d")], tmp_path, **env)
    assert "4 days" in table.stdout and "0.5 points" in table.stdout and "10 %" in table.stdout, table.stdout


def test_half_life_and_quorum_carry_their_units(dao: Dao, tmp_path: Path) -> None:
    path = _init(tmp_path)
    text = path.read_text()
    data = tomllib.loads(text)
    assert data["parameters"]["halfLife"] == "26 epochs" and data["governor"]["quorumPercent"] == "20 %", text
    assert "bounds 0 epochs .. 1,000 epochs" in text, text
    path.write_text(text.replace('halfLife = "26 epochs"', 'halfLife = "52 epochs"'))
    assert read_charter(path)[0].params.half_life == 52
    path.write_text(text.replace('halfLife = "26 epochs"', 'halfLife = "52 weeks"'))
    out = _run(["deploy", "--charter", str(path)], tmp_path, STARFISH_PRIVATE_KEY="0x" + "11" * 32,
               STARFISH_RPC_URL="http://127.0.0.1:9")  # fmt: skip
    assert out.returncode == 1 and "parameters.halfLife" in out.stderr and "epochs" in out.stderr, out.stderr
    path.write_text(text)
    env = {"STARFISH_RPC_URL": dao.chain.url, "STARFISH_PRIVATE_KEY": dao["ada"].key.hex()}
    made = _run(["deploy", "--charter", str(path), "--deployments", str(tmp_path / "d")], tmp_path, **env)
    assert made.returncode == 0, made.stderr
    table = _run(["charter", "show", "--deployments", str(tmp_path / "d")], tmp_path, **env)
    rows = {line.split("│")[1].strip(): line for line in table.stdout.splitlines() if line.count("│") > 2}
    assert "26 epochs" in rows["halfLife"], table.stdout
    assert "governed by the members, through their governor and timelock" in " ".join(table.stdout.split())
    assert "20 %" in rows["quorumPercent"] and "5 % .. 80 %" in rows["quorumPercent"], table.stdout
    assert "1 point" in rows["proposalThreshold"] and "2 days" in rows["timelockDelay"], table.stdout
    shown = json.loads(
        _run(["charter", "show", "--deployments", str(tmp_path / "d"), "--json"], tmp_path, **env).stdout
    )
    assert shown["parameters"]["halfLife"] == 26 and shown["governor"]["quorumPercent"] == 20  # raw in --json
