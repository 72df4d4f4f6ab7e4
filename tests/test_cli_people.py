"""The CLI speaks to people (issue 23, "and more"): plain sentences, short proposal ids, what an
interrupted action did, a node it started, names of local keys, a demo that keeps out of the way."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from starfish_dao.chain.governance import TEMPLATES, Governance
from starfish_dao.domain.charter import GovernanceSettings
from tests.conftest import Dao

STARFISH = [sys.executable, "-m", "starfish_dao.cli"]
G = GovernanceSettings()


def _run(args: list[str], env: dict[str, str], timeout: int = 300) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("STARFISH_")}
    return subprocess.run([*STARFISH, *args], capture_output=True, text=True, env={**environment, **env},
                          timeout=timeout)  # fmt: skip


@pytest.fixture()
def env(dao: Dao, tmp_path: Path) -> dict[str, str]:
    manifests = tmp_path / "deployments"
    dao.deployment.save(manifests)
    return {"STARFISH_HOME": str(tmp_path / "home"), "STARFISH_RPC_URL": dao.chain.url,
            "STARFISH_PRIVATE_KEY": dao["ada"].key.hex(), "DEPLOYMENTS": str(manifests)}  # fmt: skip


def _d(env: dict[str, str]) -> list[str]:
    return ["--deployments", env["DEPLOYMENTS"]]


def _short(pid: int) -> str:
    return f"{pid:064x}"[:8]


def _passed(dao: Dao, title: str) -> int:
    """A proposal voted for and queued, its timelock delay run: ready to execute."""
    gov = Governance(dao.sf)
    pid = gov.propose(dao["ada"], TEMPLATES["set-parameter"]("minReviewers", "3"), title)
    dao.chain.increase_time(G.voting_delay + 1)
    for name in ("ada", "bo"):
        gov.vote(dao[name], pid, "for")
    dao.chain.increase_time(G.voting_period + 1)
    gov.queue(dao["zed"], pid)
    dao.chain.increase_time(G.timelock_delay + 1)
    return pid


def test_execute_says_what_happened_in_a_sentence(dao: Dao, env: dict[str, str]) -> None:
    pid = _passed(dao, "Three reviewers")
    out = _run(["execute", str(pid), *_d(env)], env)
    assert out.returncode == 0, out.stderr
    assert "executed: executed" not in out.stdout
    assert f"proposal {_short(pid)} (Three reviewers) is executed" in out.stdout, out.stdout
    assert "setParameter" in out.stdout  # what its calls did


def test_a_duplicate_proposal_names_the_first(dao: Dao, env: dict[str, str]) -> None:
    args = ["propose", "set-parameter", "minReviewers", "3", "--title", "Three reviewers", *_d(env)]
    first = _run(args, env)
    assert first.returncode == 0, first.stderr
    short = re.search(r"proposal ([0-9a-f]{8})\b", first.stdout)
    assert short, first.stdout
    again = _run(args, env)
    assert again.returncode == 1 and "Traceback" not in again.stderr
    assert "that is not possible now" not in again.stderr
    assert f"a duplicate of proposal {short.group(1)}" in again.stderr, again.stderr
    assert "starfish proposals" in again.stderr


def test_proposals_are_named_by_a_short_prefix(dao: Dao, env: dict[str, str]) -> None:
    gov = Governance(dao.sf)
    pid = gov.propose(dao["ada"], TEMPLATES["set-parameter"]("minReviewers", "3"), "Three reviewers")
    other = gov.propose(dao["ada"], TEMPLATES["set-parameter"]("minReviewers", "4"), "Four reviewers")
    listed = _run(["proposals", *_d(env)], env)
    assert listed.returncode == 0, listed.stderr
    assert _short(pid) in listed.stdout and str(pid) not in listed.stdout  # the short form, not 77 digits
    dao.chain.increase_time(G.voting_delay + 1)
    voted = _run(["vote", _short(pid), "for", *_d(env)], env)
    assert voted.returncode == 0, voted.stderr
    assert gov.governor.functions.hasVoted(pid, dao["ada"].address).call()
    assert not gov.governor.functions.hasVoted(other, dao["ada"].address).call()
    assert _run(["vote", "0x" + _short(other)[:6], "against", *_d(env)], env).returncode == 0  # any unique prefix
    assert gov.governor.functions.hasVoted(other, dao["ada"].address).call()
    unknown = "0" * 8 if not (_short(pid).startswith("0") or _short(other).startswith("0")) else "f" * 8
    out = _run(["vote", unknown, "for", *_d(env)], env)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert f"no proposal starts with {unknown}" in out.stderr and "starfish proposals" in out.stderr, out.stderr


def test_a_prefix_matches_one_proposal_or_says_why_not() -> None:
    from starfish_dao.cli.common import CliError, match_proposal

    a, b = int("3f2a91c0" + "1" * 56, 16), int("3f2a7700" + "2" * 56, 16)
    assert match_proposal("3f2a91", [a, b]) == a
    assert match_proposal("0x3F2A77", [a, b]) == b
    assert match_proposal(str(a), [a, b]) == a  # the full decimal id still works
    assert match_proposal(str(b)[:12], [a, b]) == b  # and the start of it
    with pytest.raises(CliError, match=r"ambiguous.*3f2a91c0.*3f2a7700"):
        match_proposal("3f2a", [a, b])
    with pytest.raises(CliError, match="no proposal starts with 77"):
        match_proposal("77", [a, b])
    with pytest.raises(CliError, match="not a proposal id"):
        match_proposal("hosting", [a, b])
