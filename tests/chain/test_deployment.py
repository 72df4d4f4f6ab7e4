from __future__ import annotations

import json

import pytest
from eth_account import Account
from eth_utils.crypto import keccak

from starfish_dao.chain.deployment import Deployment, _deploy_one, create_address, deploy
from starfish_dao.domain.charter import CharterConfig
from starfish_dao.domain.errors import ConfigError, DeploymentError
from tests.conftest import ETHER, PARAMS, Dao, artifact_cid, reverts


def test_manifest_records_what_is_deployed(dao: Dao, tmp_path) -> None:  # type: ignore[no-untyped-def]
    d = dao.deployment
    w3 = dao.sf.w3
    for role, address in d.addresses.items():
        assert "0x" + keccak(w3.eth.get_code(address)).hex() == d.code_hashes[role]
    assert dao.sf.splitter.functions.wiring().call() == [d.addresses["charter"], d.addresses["registry"]]
    assert dao.sf.registry.functions.wiring().call() == [
        d.addresses["charter"], d.addresses["membership"], d.addresses["splitter"]
    ]  # fmt: skip
    path = d.save(tmp_path)
    assert Deployment.load(d.chain_id, tmp_path).to_json() == json.loads(path.read_text())
    path.write_text("{}")
    with pytest.raises(DeploymentError, match="malformed"):
        Deployment.load(d.chain_id, tmp_path)
    with pytest.raises(DeploymentError, match="starfish deploy"):
        Deployment.load(999, tmp_path)


def test_create_address_matches_the_chain(dao: Dao) -> None:
    ada = dao["ada"]
    nonce = dao.sf.w3.eth.get_transaction_count(ada.address)
    address, _ = _deploy_one(dao.sf.w3, ada, "TestToken", "X", "X")
    assert address == create_address(ada.address, nonce)


def test_deploy_refuses_bad_charters(fresh_chain) -> None:  # type: ignore[no-untyped-def]
    account = Account.create()
    fresh_chain.fund(account.address, 10**20)
    with pytest.raises(ConfigError, match="document CID"):
        deploy(fresh_chain.w3, account, CharterConfig(PARAMS))
    with pytest.raises(ConfigError, match="min_reviewers"):
        deploy(fresh_chain.w3, account, CharterConfig(PARAMS.replace(2, 0), artifact_cid("c")))  # type: ignore[arg-type]


def test_genesis_lists_must_match(dao: Dao) -> None:
    ada = dao["ada"]
    with reverts("SplitterGenesisMismatch", founders=1, points=0):
        _deploy_one(
            dao.sf.w3,
            ada,
            "PayoutSplitter",
            dao.deployment.addresses["charter"],
            ada.address,
            ada.address,
            dao.deployment.addresses["membership"],
            [ada.address],
            [],
        )


def test_founders_genesis_is_standing_that_earns_nothing(dao: Dao) -> None:
    cfg = dao.deployment.charter
    for founder in cfg["founders"]:
        assert dao.sf.standing_of(founder["address"]) == int(founder["genesisPoints"])
        assert dao.sf.standing(founder["address"], 0)[0] == int(founder["genesisPoints"])  # held from time 0
        assert dao.sf.points_of(founder["address"]) == 0  # no revenue share
    assert dao.sf.splitter.functions.totalPoints().call() == 0
    # revenue before any work is accepted waits for the first points that earn
    dao.sf.pay_eth(dao["zed"], ETHER)
    assert dao.sf.splitter.functions.undistributed("0x" + "00" * 20).call() == ETHER * 9 // 10
    assert all(dao.sf.claimable(f["address"]) == 0 for f in cfg["founders"])
