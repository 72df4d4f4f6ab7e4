"""Reads have a per-IP rate of their own (issue 24): a read may wait on the node in a worker thread,
so one client cannot hold every thread with GETs; writes keep their own budget."""

from __future__ import annotations

from pathlib import Path

from eth_account import Account
from fastapi.testclient import TestClient

from starfish_dao.ipfs.local import LocalStore
from starfish_dao.relay.app import create_app
from starfish_dao.relay.service import Relay
from tests.conftest import ETHER, Dao
from tests.relay.conftest import RelayHarness, relay_settings


def test_reads_beyond_the_per_ip_rate_are_refused_and_writes_keep_their_budget(dao: Dao, tmp_path: Path) -> None:
    relayer = Account.create()
    dao.chain.fund(relayer.address, 10 * ETHER)
    settings = relay_settings(tmp_path, relayer, read_rate_per_ip=0.01)  # a burst of 5 x 0.01: none left
    service = Relay(settings, sf=dao.sf, store=LocalStore(tmp_path / "ipfs"))
    with TestClient(create_app(settings, service)) as client:
        answer = client.get("/v1/info")
        assert answer.status_code == 429, answer.text
        assert answer.json()["code"] == "rate_limited" and answer.headers["retry-after"] == "1"
        assert "too many reads from" in answer.json()["detail"]
        joiner = Account.create()  # a write from the same address is not a read
        harness = RelayHarness(client, service, dao, relayer)
        posted = client.post("/v1/actions", json=harness.signed(joiner, "Join", member=joiner.address))
        assert posted.status_code == 202, posted.text


def test_reads_within_the_rate_are_served(relay: RelayHarness) -> None:
    for _ in range(20):
        assert relay.client.get("/v1/info").status_code == 200
