"""Times left count from the chain's clock (issue 23: "closes in 6 d 0 h" from the wall clock).

A dev chain's clock jumps (`evm_increaseTime`) without any event of the DAO: the page and the CLI
must say how long is left by the chain's latest block time, which is what the contracts check.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from starfish_dao.chain.governance import TEMPLATES, Governance
from starfish_dao.domain.charter import GovernanceSettings
from tests.conftest import Dao, artifact_cid
from tests.relay.page.test_page import Site, browser, site  # noqa: F401 - fixtures

G = GovernanceSettings()
DAY = 86400


def _text_within(at: Site, pattern: str, timeout: int = 20_000) -> str:
    at.page.wait_for_function(
        "(pattern) => new RegExp(pattern).test(document.querySelector('#main').innerText)", arg=pattern, timeout=timeout
    )
    return str(at.page.locator("#main").inner_text())


def test_the_page_counts_time_left_from_the_chain_not_the_wall_clock(site: Site) -> None:  # noqa: F811
    dao = site.dao
    Governance(dao.sf).propose(dao["ada"], TEMPLATES["set-parameter"]("minReviewers", "3"), "Three reviewers")
    dao.chain.increase_time(G.voting_delay + 1)
    number = dao.sf.submit(dao["eli"], artifact_cid("eli's shelf plan"), 60)
    site.page.goto(site.url + "/#/governance")
    site.page.reload()
    _text_within(site, r"voting closes in 4 d 23 h")
    # the chain's clock moves two days with no event of the DAO: the page follows it, no reload
    dao.chain.increase_time(2 * DAY)
    _text_within(site, r"voting closes in 2 d 23 h")
    dao.chain.increase_time(1800)  # away from an hour's boundary
    site.page.goto(site.url + f"/#/contribution/{number}")
    left = dao.model().contributions[number].deadline - dao.sf.now()
    # the page's clock runs on between its reads of the chain's: a minute of slack
    shown = "|".join({_duration(left - slack) for slack in (0, 30, 60)})
    _text_within(site, rf"open for review, ({shown}) left")


def _duration(seconds: int) -> str:
    """The page's `duration()`."""
    days, hours, minutes = seconds // DAY, seconds % DAY // 3600, seconds % 3600 // 60
    return f"{days} d {hours} h" if days else f"{hours} h {minutes} min"


def test_the_cli_counts_time_left_from_the_chain(dao: Dao, tmp_path: Path) -> None:
    manifests = tmp_path / "deployments"
    dao.deployment.save(manifests)
    env = {k: v for k, v in os.environ.items() if not k.startswith("STARFISH_")}
    env.update(STARFISH_HOME=str(tmp_path / "home"), STARFISH_RPC_URL=dao.chain.url, DEPLOYMENTS=str(manifests))
    Governance(dao.sf).propose(dao["ada"], TEMPLATES["set-parameter"]("minReviewers", "3"), "Three reviewers")
    dao.chain.increase_time(G.voting_delay + 1)
    number = dao.sf.submit(dao["eli"], artifact_cid("eli's shelf plan"), 60)
    dao.chain.increase_time(2 * DAY)

    def run(*args: str) -> str:
        out = subprocess.run([sys.executable, "-m", "starfish_dao.cli", *args, "--deployments", str(manifests)],
                             capture_output=True, text=True, env=env, timeout=300)  # fmt: skip
        assert out.returncode == 0, out.stderr
        return out.stdout

    assert "voting closes in 2 d 23 h" in run("proposals")
    from starfish_dao.cli.common import duration

    left = dao.model().contributions[number].deadline - dao.sf.now()
    shown = run("show", str(number))
    # the chain's clock, give or take the seconds the command takes (about a day left, not 3 days)
    expected = {duration(left - lag) for lag in range(0, 30)}
    assert any(f"open for {e}" in shown for e in expected), (expected, shown)


def test_a_relayed_refusal_counts_from_the_chain(dao: Dao, tmp_path: Path) -> None:
    """A refusal told through a relay ("the review window of #3 closes in ...") counts from the chain's
    clock, as the relay saw it, not from the computer's: here the chain runs 30 days ahead."""
    from tests.relay.page.test_page import _relay

    dao.chain.increase_time(30 * DAY)
    number = dao.sf.submit(dao["eli"], artifact_cid("eli's shelf plan"), 60)
    url, relay = _relay(dao, tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("STARFISH_")}
    env.update(STARFISH_HOME=str(tmp_path / "cli-home"))
    try:
        out = subprocess.run([sys.executable, "-m", "starfish_dao.cli", "finalize", str(number), "--relay", url],
                             capture_output=True, text=True, env=env, timeout=300)  # fmt: skip
    finally:
        relay.terminate()
        relay.wait(timeout=20)
    assert out.returncode == 1, out.stdout + out.stderr
    left = dao.model().contributions[number].deadline - dao.sf.now()
    assert f"closes in {left // DAY} d {left % DAY // 3600} h" in out.stderr, out.stderr
