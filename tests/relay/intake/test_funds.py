"""A relayer without ETH (issue 23): the relay warns at start and refuses what it cannot send with a
clear problem, instead of answering 202 and failing in its log while the member waits."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from eth_account import Account
from fastapi.testclient import TestClient

from starfish_dao.ipfs.local import LocalStore
from starfish_dao.relay.app import create_app
from starfish_dao.relay.outbox.relayer import fee_cap
from starfish_dao.relay.service import Relay
from tests.conftest import ETHER, Dao
from tests.relay.conftest import RelayHarness, relay_settings


def test_an_unfunded_relayer_is_named_at_start_and_accepts_nothing(
    dao: Dao, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    relayer = Account.create()  # never funded
    settings = relay_settings(tmp_path, relayer)
    service = Relay(settings, sf=dao.sf, store=LocalStore(tmp_path / "ipfs"))
    newcomer = Account.create()
    with caplog.at_level(logging.WARNING, logger="starfish.relay"), TestClient(create_app(settings, service)) as c:
        harness = RelayHarness(c, service, dao, relayer)
        answer = c.post("/v1/actions", json=harness.signed(newcomer, "Join"))
        assert answer.status_code == 503, answer.text
        assert answer.json()["code"] == "relayer_out_of_funds"
        assert relayer.address in answer.json()["detail"]
        # funded, the same signed action goes through
        dao.chain.fund(relayer.address, ETHER)
        again = c.post("/v1/actions", json=harness.signed(newcomer, "Join"))
        assert again.status_code == 202, again.text
        assert harness.wait(again.json()["id"])["status"] == "mined"
    assert any("LESS THAN ONE ACTION" in r.getMessage() and relayer.address in r.getMessage() for r in caplog.records)
    assert dao.sf.membership.functions.isMember(newcomer.address).call()


def test_a_funded_relayer_starts_without_the_warning(relay: RelayHarness, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="starfish.relay"):
        relay.relay._warn_if_unfunded()
    assert not any("LESS THAN ONE ACTION" in r.getMessage() for r in caplog.records)


def test_actions_already_accepted_count_against_the_relayers_balance(dao: Dao, tmp_path: Path) -> None:
    """Issue 23 (audit): the balance was checked against each action alone, so a relayer with funds for
    one action accepted any number, and all but one waited unsent. Now what the accepted and sent
    actions may cost is reserved: the next one is refused until the relayer is funded."""
    relayer = Account.create()
    dao.chain.fund(relayer.address, ETHER)
    settings = relay_settings(tmp_path, relayer)
    service = Relay(settings, sf=dao.sf, store=LocalStore(tmp_path / "ipfs"))
    first, second = Account.create(), Account.create()
    with TestClient(create_app(settings, service, start=False)) as c:  # no submitter: accepted stays accepted
        harness = RelayHarness(c, service, dao, relayer)
        answer = c.post("/v1/actions", json=harness.signed(first, "Join"))
        assert answer.status_code == 202, answer.text
        gas = int(service.queue.get(answer.json()["id"]).request["_gas"])  # type: ignore[union-attr]
        assert service.queue.reserved_gas() == gas
        price = fee_cap(int(dao.sf.w3.eth.get_block("latest")["baseFeePerGas"]))
        dao.chain.fund(relayer.address, gas * price * 3 // 2)  # enough for one Join and a half
        refused = c.post("/v1/actions", json=harness.signed(second, "Join"))
        assert refused.status_code == 503 and refused.json()["code"] == "relayer_out_of_funds", refused.text
        assert "those it already accepted" in refused.json()["detail"] and " ETH" in refused.json()["detail"]
        dao.chain.fund(relayer.address, gas * price * 5 // 2)  # two and a half: the second fits
        again = c.post("/v1/actions", json=harness.signed(second, "Join"))
        assert again.status_code == 202, again.text
        assert service.queue.reserved_gas() == 2 * gas
