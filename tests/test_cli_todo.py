"""`starfish todo` says each thing once (issue 23): a proposal that concerns the member and is open
to their vote is one entry, not a "would slash you" line and a "vote open" line; a contribution
whose review window ends in the latest block is to finalize, not to review (no review can land)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from starfish_dao.chain.governance import TEMPLATES, Governance
from starfish_dao.domain.charter import GovernanceSettings
from starfish_dao.domain.errors import ContractRevert
from tests.conftest import Dao, artifact_cid

STARFISH = [sys.executable, "-m", "starfish_dao.cli"]
G = GovernanceSettings()


def _todo(dao: Dao, tmp_path: Path, member: str, *extra: str) -> str:
    manifests = tmp_path / "deployments"
    dao.deployment.save(manifests)
    env = {k: v for k, v in os.environ.items() if not k.startswith("STARFISH_")}
    env.update(STARFISH_HOME=str(tmp_path / "home"), STARFISH_RPC_URL=dao.chain.url)
    out = subprocess.run([*STARFISH, "todo", "--member", member, "--deployments", str(manifests), *extra],
                         capture_output=True, text=True, env=env, timeout=300)  # fmt: skip
    assert out.returncode == 0, out.stderr
    return out.stdout


def _entries(text: str) -> list[str]:
    """The entries' first lines (each entry: its title, then its explanation indented deeper)."""
    return [line.strip() for line in text.splitlines() if line.startswith("  ") and not line.startswith("    ")]


def test_a_proposal_that_concerns_you_and_awaits_your_vote_is_one_entry(dao: Dao, tmp_path: Path) -> None:
    ada = dao["ada"].address
    gov = Governance(dao.sf)
    pid = gov.propose(dao["bo"], TEMPLATES["slash"](ada, "20"), "Slash ada")
    gov.propose(dao["bo"], TEMPLATES["set-parameter"]("minReviewers", "3"), "Three reviewers")
    dao.chain.increase_time(G.voting_delay + 1)
    out = _todo(dao, tmp_path, ada)
    entries = _entries(out)
    slash = [e for e in entries if "Slash ada" in e]
    assert len(slash) == 1, out  # was two: "A proposal would slash ..." and "Vote open: Slash ada ..."
    assert "slash 20 % of your points" in slash[0] and "left" in slash[0], slash  # both said in the one entry
    assert len([e for e in entries if "Three reviewers" in e]) == 1, out
    assert len(entries) == len(set(entries)), out
    short = f"{pid:064x}"[:8]
    assert " ".join(out.split()).count(f"`starfish vote {short} for|against|abstain`") == 1, out
    # the raw list keeps each reminder (webhooks tell each situation once)
    kinds = [i["kind"] for i in json.loads(_todo(dao, tmp_path, ada, "--json"))["items"]]
    assert kinds.count("concerns") == 1 and kinds.count("vote") == 2, kinds


def test_work_whose_window_ends_in_the_latest_block_is_to_finalize(dao: Dao, tmp_path: Path) -> None:
    """A window that ends in the latest block is closed for anything sent now: work nobody rated
    may be finalized, and a sealed rating may be opened (finalize waits for it, or for its 3 days)."""
    ada, bo = dao["ada"].address, dao["bo"].address
    work = dao.sf.submit(dao["eli"], artifact_cid("eli's shelf plan"), 60)
    rated = dao.sf.submit(dao["eli"], artifact_cid("eli's chair plan"), 60)
    dao.sf.review(dao["bo"], rated, 3)
    deadline = dao.sf.contribution(rated)["reviewDeadline"]
    dao.chain._dev("evm_setNextBlockTimestamp", [deadline])
    dao.chain._dev("evm_mine", [])
    assert dao.sf.now() == deadline
    entries = _entries(_todo(dao, tmp_path, ada))
    assert [e for e in entries if f"#{work}" in e] == [f"#{work} may be finalized"], entries
    assert [e for e in entries if f"#{rated}" in e] == [], entries  # its sealed rating opens first
    entries = _entries(_todo(dao, tmp_path, bo))
    assert any(e.startswith(f"Open your sealed rating of #{rated}") for e in entries), entries
    with pytest.raises(ContractRevert):  # indeed: a review sent now lands after the deadline, and fails
        dao.sf.review(dao["ada"], work, 3)
