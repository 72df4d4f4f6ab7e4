"""Hosting is relayable (issue 22): a member with standing registers an endpoint through the relay,
with no ETH; an address without standing is refused before the relay spends any gas."""

from __future__ import annotations

from starfish_dao.chain import grid
from tests.conftest import Dao
from tests.relay.conftest import RelayHarness

ENDPOINT = "0x" + b"https://ada.example".hex()


def test_a_member_registers_and_unregisters_as_a_host_through_the_relay(dao: Dao, relay: RelayHarness) -> None:
    ada = dao["ada"]  # a founder: genesis standing as the epoch began
    answer = relay.client.post("/v1/actions", json=relay.signed(ada, "RegisterHost", endpoint=ENDPOINT))
    assert answer.status_code == 202, answer.text
    assert relay.wait(answer.json()["id"])["status"] == "mined"
    assert grid.hosts(dao.sf) == [ada.address]
    bye = relay.client.post("/v1/actions", json=relay.signed(ada, "UnregisterHost"))
    assert bye.status_code == 202, bye.text
    assert relay.wait(bye.json()["id"])["status"] == "mined"
    assert grid.hosts(dao.sf) == []


def test_a_host_without_standing_is_refused_before_any_gas(dao: Dao, relay: RelayHarness) -> None:
    spent = dao.sf.w3.eth.get_transaction_count(relay.relayer.address)
    for name in ("zed", "dee"):  # an outsider; a member with no points
        answer = relay.client.post("/v1/actions", json=relay.signed(dao[name], "RegisterHost", endpoint=ENDPOINT))
        assert answer.status_code == 422, answer.text
        detail = answer.json()
        assert "Grid" in str(detail), detail  # the contract's own reason, named
    assert dao.sf.w3.eth.get_transaction_count(relay.relayer.address) == spent
    assert grid.hosts(dao.sf) == []
