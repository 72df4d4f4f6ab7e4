"""A member with only a key file and no ETH joins, pins and submits work, reviews and claims,
all through a real relay process, from the CLI."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import requests
from eth_account import Account

from starfish_dao import keys
from starfish_dao.chain.backends import free_port
from starfish_dao.domain.unixfs import CID, cid_of
from tests.conftest import ETHER, PARAMS, Dao, artifact_cid
from tests.relay.test_crash import _start


def test_key_file_only_member_through_the_relay_cli(dao: Dao, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    sf, chain = dao.sf, dao.chain
    relayer = Account.create()
    chain.fund(relayer.address, 10 * ETHER)
    manifest = dao.deployment.save(tmp_path / "deployments")
    port = free_port()
    base = {**os.environ, "STARFISH_HOME": str(tmp_path / "home"), "STARFISH_RPC_URL": chain.url}
    base.pop("STARFISH_PRIVATE_KEY", None)
    base.pop("STARFISH_IPFS_API", None)
    relay = _start({**base, "STARFISH_RELAY_DEPLOYMENT": str(manifest), "STARFISH_RELAY_RELAYER_KEY": relayer.key.hex(),
                    "STARFISH_RELAY_DB_PATH": str(tmp_path / "q.sqlite3"), "STARFISH_RELAY_POLL_INTERVAL": "0.05",
                    "STARFISH_RELAY_KEEPER_FINALIZE": "false"},  # the test finalizes through the CLI
                   port, tmp_path / "relay.log")  # fmt: skip
    try:
        monkeypatch.setenv(keys.PASSWORD_ENV, "member password")
        key_file = tmp_path / "member.json"
        member = keys.new_keystore(key_file)
        url = f"http://127.0.0.1:{port}"
        env = {**base, keys.PASSWORD_ENV: "member password"}

        def cli(*args: str) -> str:
            out = subprocess.run([sys.executable, "-m", "starfish_dao.cli", *args, "--relay", url],
                                 env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
            assert out.returncode == 0, out.stdout + out.stderr
            return out.stdout

        assert "the relay paid the gas" in cli("join", "--key-file", str(key_file))
        work = tmp_path / "shelf-plan.txt"
        work.write_text("shelves for the library corner\n" * 500)
        out = cli("contribute", str(work), "--effort", "60", "--key-file", str(key_file))
        mine = sf.registry.functions.contributionCount().call()
        assert f"contribution #{mine} submitted" in out  # the relay reports the number the chain gave
        assert sf.contribution(mine)["author"] == member.address
        sf.review(dao["ada"], mine, 3)
        sf.review(dao["bo"], mine, 3)
        chain.increase_time(PARAMS.review_window + 1)
        assert sf.reveal_due(dao["zed"], mine) == 2  # the reviewers' own clients open their ratings
        cli("finalize", str(mine))
        assert sf.points_of(member.address) == 60 * 10**18
        # points won in an epoch weigh from the next one: move to its start
        start = sf.charter.functions.currentEpochStart().call()
        chain.increase_time(start + PARAMS.epoch_length - chain.w3.eth.get_block("latest")["timestamp"])
        other = sf.submit(dao["dee"], artifact_cid("dee's shelf"), 30)
        said = cli("review", str(other), "--stars", "4", "--comment", "sturdy", "--key-file", str(key_file))
        assert f"sealed your rating of #{other}: 4 stars" in said, said
        # the approval budget is spent when ratings open: 60 points allow 360 star-minutes, and the
        # 4 stars on 30 minutes held sealed here take 120, so 5 stars on 60 more would not open.
        # Refused before anything is sent (the relay says the desk and the budget, never the stars)
        third = sf.submit(dao["dee"], artifact_cid("dee's bench"), 60)
        over = subprocess.run([sys.executable, "-m", "starfish_dao.cli", "review", str(third), "--stars", "5",
                               "--key-file", str(key_file), "--relay", url],
                              env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
        said_over = " ".join(over.stderr.split())
        assert over.returncode != 0 and "to 420 star-minutes of 360 when it opens" in said_over, said_over
        assert not sf.registry.functions.hasReviewed(third, member.address).call()
        assert sf.registry.functions.hasReviewed(other, member.address).call()
        assert sf.registry.functions.tally(other).call() == [0] * 6  # nothing shows until it opens
        early = cli("reveal", "--key-file", str(key_file))
        assert f"#{other}: still sealed" in early, early
        # nothing left this machine while the window is open: no Reveal, no comment (an attacker
        # session found the opening posted, refused, and the comment public)
        queued = sqlite3.connect(tmp_path / "q.sqlite3").execute("SELECT kind FROM actions").fetchall()
        assert ("Reveal",) not in queued, queued
        assert requests.get(f"{url}/v1/artifacts/{cid_of(b'sturdy')}", timeout=10).status_code == 404
        chain.increase_time(PARAMS.review_window + 1)
        opened = cli("reveal", "--key-file", str(key_file))  # through the relay: the member holds no ETH
        assert f"#{other}: opened (4 stars)" in opened, opened
        assert sf.registry.functions.tally(other).call()[4] > 0
        comment = sf.registry.events.Reviewed().get_logs(from_block=0)[-1]["args"]["commentCid"]
        assert requests.get(f"{url}/v1/artifacts/{CID.from_bytes(bytes(comment))}", timeout=10).text == "sturdy"
        sf.pay_eth(dao["zed"], 2 * ETHER)
        cli("claim", "--key-file", str(key_file))
        assert sf.w3.eth.get_balance(member.address) > 0  # paid; it never held ETH before
        assert sf.w3.eth.get_transaction_count(member.address) == 0  # and never sent a transaction
    finally:
        relay.kill()
        relay.wait()


def test_a_relayed_contribution_is_checked_before_anything_is_committed_or_pinned(dao: Dao, tmp_path: Path) -> None:
    """From a new user's walk: `contribute --relay` had its commitment mined (the relay paying) and
    its file pinned before an effort above maxEffort, or content already claimed, was refused. Now
    the relay is asked first, and neither happens."""
    chain = dao.chain
    relayer = Account.create()
    chain.fund(relayer.address, 10 * ETHER)
    manifest = dao.deployment.save(tmp_path / "deployments")
    port = free_port()
    base = {**os.environ, "STARFISH_HOME": str(tmp_path / "home"), "STARFISH_RPC_URL": chain.url}
    base.pop("STARFISH_IPFS_API", None)
    relay = _start({**base, "STARFISH_RELAY_DEPLOYMENT": str(manifest), "STARFISH_RELAY_RELAYER_KEY": relayer.key.hex(),
                    "STARFISH_RELAY_DB_PATH": str(tmp_path / "q.sqlite3"), "STARFISH_RELAY_POLL_INTERVAL": "0.05",
                    "STARFISH_RELAY_KEEPER_FINALIZE": "false"}, port, tmp_path / "relay.log")  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        env = {**base, "STARFISH_PRIVATE_KEY": dao["dee"].key.hex()}
        held = tmp_path / "held.txt"
        held.write_text("a plan someone already submitted\n")
        dao.sf.submit(dao["eli"], artifact_cid(held.read_text()), 60)  # eli holds this content (a raw CID)
        big = tmp_path / "big.txt"
        big.write_text("a large piece of work\n" * 100)
        limit = dao.sf.charter.functions.params().call()[5]  # maxEffort, in minutes
        for path, effort, said in ((big, limit + 1, "maxEffort"), (held, 60, "already contribution #")):
            nonce = chain.w3.eth.get_transaction_count(relayer.address)
            args = ["contribute", str(path), "--effort", str(effort), "--relay", url]
            out = subprocess.run([sys.executable, "-m", "starfish_dao.cli", *args], env=env, capture_output=True,
                                 text=True, timeout=120)  # fmt: skip
            assert out.returncode == 1 and "Traceback" not in out.stderr, out.stdout + out.stderr
            assert said in " ".join(out.stderr.split()), out.stderr
            assert "committed" not in out.stdout, out.stdout  # nothing was committed ...
            assert chain.w3.eth.get_transaction_count(relayer.address) == nonce  # ... nor paid for by the relay
    finally:
        relay.kill()
        relay.wait()
