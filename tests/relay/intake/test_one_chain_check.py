"""One chain check (issue 24, "one rule, one place"): the relay's checks run only as JSON-RPC batches;
an in-process chain, which had a second and weaker copy of them, is refused with a clear error."""

from __future__ import annotations

import dataclasses

import pytest
from web3 import EthereumTesterProvider, Web3

from starfish_dao.chain.client import Starfish
from starfish_dao.domain.errors import ConfigError
from starfish_dao.relay.intake.chain_check import Checker
from tests.conftest import Dao


def test_the_relay_refuses_an_in_process_chain(dao: Dao) -> None:
    w3 = Web3(EthereumTesterProvider())
    deployment = dataclasses.replace(dao.deployment, chain_id=int(w3.eth.chain_id))
    with pytest.raises(ConfigError, match="needs a JSON-RPC node"):
        Checker(Starfish(w3, deployment), "0x" + "11" * 20)


def test_the_checker_of_a_json_rpc_node_starts(dao: Dao) -> None:
    assert Checker(dao.sf, "0x" + "11" * 20).rpc.url == dao.chain.url
