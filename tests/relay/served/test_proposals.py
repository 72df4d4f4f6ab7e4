"""A community that has had a proposal: the relay starts on it, serves the proposal and streams it.

A proposal's event carries lists (targets, values, calldatas: a tuple of bytes), which the relay's
event feed once could not serialize: `starfish relay` failed at start-up on any DAO that had ever had
a proposal, and a relay started before one kept running without ever showing it.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from eth_account import Account
from fastapi.testclient import TestClient

from starfish_dao.chain.governance import TEMPLATES as T
from starfish_dao.chain.governance import Governance
from starfish_dao.ipfs.local import LocalStore
from starfish_dao.relay.app import create_app
from starfish_dao.relay.service import Relay
from tests.conftest import ETHER, Dao
from tests.relay.conftest import RelayHarness, relay_settings


def _propose(dao: Dao) -> int:
    return Governance(dao.sf).propose(dao["ada"], T["spend"]("eth", dao["bo"].address, 10**16), "Pay bo for the coffee")


def test_the_relay_starts_on_a_dao_that_has_had_a_proposal(dao: Dao, tmp_path: Path) -> None:
    pid = _propose(dao)
    relayer = Account.create()
    dao.chain.fund(relayer.address, 10 * ETHER)
    settings = relay_settings(tmp_path, relayer)
    service = Relay(settings, sf=dao.sf, store=LocalStore(tmp_path / "ipfs"))
    with TestClient(create_app(settings, service)) as client:
        assert client.get("/v1/info").json()["healthy"] is True
        proposals = client.get("/v1/proposals").json()
        assert [p["id"] for p in proposals] == [str(pid)]
        assert proposals[0]["title"] == "Pay bo for the coffee"
        created = [e for e in service.state.history if e["event"] == "ProposalCreated"]
        assert len(created) == 1
        args = created[0]["args"]
        assert args["proposalId"] == str(pid)
        # lists of bytes and of integers arrive as JSON: hex strings and decimal strings
        assert all(isinstance(c, str) and c.startswith("0x") for c in args["calldatas"])  # type: ignore[union-attr]
        assert args["values"] == ["0"]
        json.dumps(service.state.history)  # the whole feed serializes


def test_a_running_relay_shows_a_new_proposal(relay: RelayHarness) -> None:
    cursor = relay.relay.state.feed.seq
    pid = _propose(relay.dao)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if any(p["id"] == str(pid) for p in relay.client.get("/v1/proposals").json()):
            break
        time.sleep(0.05)
    else:
        raise AssertionError("the relay never showed the proposal")
    texts, _, _ = relay.relay.state.feed.since(cursor)
    assert any(t.startswith("event: ProposalCreated") for t in texts)
    assert relay.relay.state.healthy is True
    assert relay.client.get("/v1/info").json()["healthy"] is True
