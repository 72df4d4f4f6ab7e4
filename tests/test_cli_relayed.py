"""A relayed action says what it did, as its direct form does (issue 23): `join --relay` the
membership, `finalize --relay` the points awarded, `claim --relay` the amount paid in ETH. The
outcome is read from the mined receipt when this machine reaches the chain, else from the relay."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account

from starfish_dao.chain.backends import free_port
from starfish_dao.cli.common import money
from tests.conftest import ETHER, PARAMS, Dao, artifact_cid, founders_first_work

STARFISH = [sys.executable, "-m", "starfish_dao.cli"]


@pytest.fixture()
def relay_url(dao: Dao, tmp_path: Path) -> Iterator[str]:
    from tests.relay.test_crash import _start

    relayer = Account.create()
    dao.chain.fund(relayer.address, 10 * ETHER)
    manifest = dao.deployment.save(tmp_path / "deployments")
    port = free_port()
    base = {k: v for k, v in os.environ.items() if not k.startswith("STARFISH_")}
    relay = _start({**base, "STARFISH_HOME": str(tmp_path / "relay-home"), "STARFISH_RPC_URL": dao.chain.url,
                    "STARFISH_RELAY_DEPLOYMENT": str(manifest), "STARFISH_RELAY_RELAYER_KEY": relayer.key.hex(),
                    "STARFISH_RELAY_DB_PATH": str(tmp_path / "q.sqlite3"), "STARFISH_RELAY_POLL_INTERVAL": "0.05",
                    "STARFISH_RELAY_CONFIRMATIONS": "1", "STARFISH_RELAY_KEEPER_FINALIZE": "false"},
                   port, tmp_path / "relay.log")  # fmt: skip
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        relay.kill()
        relay.wait()


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("STARFISH_")}
    out = subprocess.run([*STARFISH, *args], capture_output=True, text=True, env={**environment, **env}, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    return out


def test_relayed_join_finalize_and_claim_say_what_they_did(dao: Dao, relay_url: str, tmp_path: Path) -> None:
    founders_first_work(dao)  # genesis standing earns no pay: the founders' first work does
    sf = dao.sf
    newcomer = Account.create()
    # no node reachable from here (no --rpc, no managed anvil in this data directory): the relay says
    alone = {"STARFISH_HOME": str(tmp_path / "alone"), "STARFISH_PRIVATE_KEY": newcomer.key.hex()}
    joined = _cli(["join", "--relay", relay_url], alone)
    token_id = int(sf.membership.functions.tokenOf(newcomer.address).call())
    assert f"joined: membership #{token_id}" in joined.stdout, joined.stdout
    assert not (tmp_path / "alone" / "anvil" / "node.json").exists()  # no node was started to read it
    assert not re.search(r"0x[0-9a-f]{64}", joined.stdout), joined.stdout  # no hashes to read: --json has them
    assert f"the relay at {relay_url} accepted the Join" in joined.stdout

    manifests = tmp_path / "deployments"
    reads = {"STARFISH_HOME": str(tmp_path / "home"), "STARFISH_RPC_URL": dao.chain.url,
             "STARFISH_PRIVATE_KEY": dao["eli"].key.hex()}  # fmt: skip
    work = sf.submit(dao["eli"], artifact_cid("eli's shelf plan"), 60)
    sf.review(dao["ada"], work, 4)
    sf.review(dao["bo"], work, 4)
    dao.chain.increase_time(PARAMS.review_window + 1)
    assert sf.reveal_due(dao["zed"], work) == 2  # the reviewers' own clients open their sealed ratings
    done = _cli(["finalize", str(work), "--relay", relay_url, "--deployments", str(manifests)], reads)
    assert f"#{work} accepted: weighted median 4, 80 points" in done.stdout, done.stdout
    assert "the relay paid the gas" in done.stdout

    sf.pay_eth(dao["zed"], 3 * ETHER)
    owed = sf.claimable(dao["eli"].address)
    assert owed > 0
    claimed = _cli(["claim", "--relay", relay_url, "--deployments", str(manifests)], reads)
    assert f"paid {money(owed)} to {dao['eli'].address}" in claimed.stdout, claimed.stdout

    sf.pay_eth(dao["zed"], ETHER)
    owed = sf.claimable(dao["cy"].address)
    as_json = _cli(["claim", "--relay", relay_url, "--json"], {**alone, "STARFISH_PRIVATE_KEY": dao["cy"].key.hex()})
    data = json.loads(as_json.stdout)  # progress went to stderr: stdout is the JSON alone
    assert int(data["paid"]) == owed and data["member"] == dao["cy"].address and data["tx"].startswith("0x")


def test_a_relayed_vote_says_it_was_cast_and_with_what_weight(dao: Dao, relay_url: str, tmp_path: Path) -> None:
    from starfish_dao.chain.governance import TEMPLATES, Governance
    from starfish_dao.domain.charter import GovernanceSettings
    from starfish_dao.domain.units import points

    gov = Governance(dao.sf)
    pid = gov.propose(dao["ada"], TEMPLATES["set-parameter"]("minReviewers", "3"), "Three reviewers")
    dao.chain.increase_time(GovernanceSettings().voting_delay + 1)
    manifests = tmp_path / "deployments"
    reads = {"STARFISH_HOME": str(tmp_path / "home"), "STARFISH_RPC_URL": dao.chain.url,
             "STARFISH_PRIVATE_KEY": dao["bo"].key.hex()}  # fmt: skip
    short = f"{pid:064x}"[:8]
    out = _cli(["vote", short, "for", "--relay", relay_url, "--deployments", str(manifests)], reads)
    weight = int(gov.governor.functions.getVotes(dao["bo"].address, dao.sf.now() - 1).call())
    assert f"voted for on proposal {short} with {points(weight)} of standing" in out.stdout, out.stdout
    assert gov.governor.functions.hasVoted(pid, dao["bo"].address).call()
