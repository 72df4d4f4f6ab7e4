"""Keepers finalize and sweep claims without anyone acting; a stuck transaction is replaced."""

from __future__ import annotations

import time
from pathlib import Path

from eth_account import Account
from fastapi.testclient import TestClient

from starfish_dao.domain.model import ETH
from starfish_dao.ipfs.local import LocalStore
from starfish_dao.relay.app import create_app
from starfish_dao.relay.service import Relay
from starfish_dao.verify.report import verify
from tests.conftest import ETHER, PARAMS, Dao, artifact_cid, founders_first_work
from tests.relay.conftest import RelayHarness, relay_settings


def _until(condition, timeout: float = 30) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("condition not reached in time")


def test_the_finalize_keeper_is_on_by_default(tmp_path: Path) -> None:
    """An award is credited as of its review deadline, so finalizing promptly is only a service:
    a relay finalizes what is due unless told not to (issue 25)."""
    from pydantic import SecretStr

    from starfish_dao.relay.settings import RelaySettings

    settings = RelaySettings(relayer_key=SecretStr("0x" + "11" * 32), db_path=tmp_path / "q.sqlite3")
    assert settings.keeper_finalize is True


def test_keepers_finalize_and_sweep_claims(dao: Dao, tmp_path: Path) -> None:
    relayer = Account.create()
    dao.chain.fund(relayer.address, 10 * ETHER)
    settings = relay_settings(tmp_path, relayer, keeper_finalize=True, keeper_claim_threshold_wei=10**15)
    service = Relay(settings, sf=dao.sf, store=LocalStore(tmp_path / "ipfs"))
    sf = dao.sf
    cid_id = sf.submit(dao["dee"], artifact_cid("kept"), 60)
    sf.review(dao["ada"], cid_id, 3)
    sf.review(dao["bo"], cid_id, 3)
    sealed_only = sf.submit(dao["eli"], artifact_cid("kept sealed"), 60)
    sf.review(dao["ada"], sealed_only, 3)
    sf.openings.drop(sealed_only, dao["ada"].address)  # its opening is lost: nobody can open it
    dao.chain.increase_time(PARAMS.review_window + 1)
    assert sf.reveal_due(dao["zed"], cid_id) == 2  # the reviewers' clients open theirs
    with TestClient(create_app(settings, service)) as c:
        # what the keepers do is stated, for `starfish todo` to tell a member when pay arrives: ETH only
        # (the threshold is in wei; a token's base units are another measure)
        stated = c.get("/v1/info").json()["keepers"]
        assert stated == {"finalize": True, "reviewPay": True, "drawPanels": True, "fixSeeds": True, "attest": True,
                          "claimAboveWei": str(10**15), "claimTokens": [ETH], "everySeconds": 1.0}  # fmt: skip
        _until(lambda: sf.contribution(cid_id)["status"] == "accepted")  # nobody called finalize
        # a sealed rating nobody can open: the keeper waits out its reveal window, never sending a revert
        assert sf.contribution(sealed_only)["status"] == "pending"
        dao.chain.increase_time(3 * 24 * 3600 + 1)
        _until(lambda: sf.contribution(sealed_only)["status"] == "rejected")
        sf.pay_eth(dao["zed"], 3 * ETHER)
        before = sf.w3.eth.get_balance(dao["dee"].address)
        _until(lambda: sf.w3.eth.get_balance(dao["dee"].address) > before)  # nor claim
        _until(lambda: sf.claimable(dao["ada"].address) <= 10**15)
    # and the chain the relay drove verifies
    assert [str(c) for c in verify(sf).failures] == []


def test_the_review_pay_keeper_scores_forfeits_and_claims(fresh_chain, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Nobody but the relay acts after the reviews: it finalizes, scores every opened rating, records
    the seal never opened, and once the epoch closes pays each reviewer above the threshold."""
    from dataclasses import replace

    from tests.conftest import FOUNDERS, deploy_dao

    dao = deploy_dao(fresh_chain, params=replace(PARAMS, reviewer_bps=1000))
    relayer = Account.create()
    dao.chain.fund(relayer.address, 10 * ETHER)
    settings = relay_settings(tmp_path, relayer, keeper_finalize=True, keeper_claim_threshold_wei=10**15)
    service = Relay(settings, sf=dao.sf, store=LocalStore(tmp_path / "ipfs"))
    sf = dao.sf
    sf.pay_eth(dao["zed"], 10 * ETHER)  # 1 ETH kept for reviewers
    works = [sf.submit(dao["dee"], artifact_cid(f"kept {n}"), 60) for n in range(3)]
    for name, stars in {"ada": (5, 1, 3), "bo": (5, 2, 3), "cy": (4, 1, 3)}.items():
        for work, s in zip(works, stars, strict=True):
            sf.review(dao[name], work, s)
    sf.openings.drop(works[2], dao["cy"].address)  # cy never opens this one
    dao.chain.increase_time(PARAMS.review_window + 1)
    assert sf.reveal_due(dao["zed"]) == 8
    with TestClient(create_app(settings, service)):
        _until(lambda: all(sf.contribution(w)["status"] == "accepted" for w in works[:2]))
        dao.chain.increase_time(3 * 24 * 3600 + 1)  # cy's reveal window is over
        _until(lambda: sf.desk(dao["cy"].address, 0)["forfeited"], timeout=60)
        _until(lambda: all(sf.desk(dao[n].address, 0)["settled"] == sf.desk(dao[n].address, 0)["revealed"]
                           for n in FOUNDERS), timeout=60)  # fmt: skip
        start_1 = int(sf.charter.functions.currentEpochStart().call()) + PARAMS.epoch_length
        dao.chain.increase_time(start_1 + 7 * 24 * 3600 - sf.now() + 1)  # epoch 0 closes
        before = {n: sf.w3.eth.get_balance(dao[n].address) for n in ("ada", "bo")}
        _until(lambda: all(sf.w3.eth.get_balance(dao[n].address) > before[n] for n in ("ada", "bo")), timeout=60)
        assert sf.desk(dao["cy"].address, 0)["total"] > 0  # cy scored well, and forfeited all the same
    assert [str(c) for c in verify(sf).failures] == []


def test_the_panel_keeper_draws_each_panel_once_its_block_is_mined(fresh_chain, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A panel drawn by chance is recorded by the relay from its submission block's hash, before any
    reviewer seals: every seal then costs the same, and no draw lapses after 256 blocks."""
    from dataclasses import replace

    from starfish_dao.domain.model import panel_seed
    from tests.conftest import deploy_dao

    dao = deploy_dao(fresh_chain, params=replace(PARAMS, panel_size=2))
    for _ in range(3):  # eight members: more than panelSize + 1, so panels are drawn
        newcomer = Account.create()
        dao.chain.fund(newcomer.address, ETHER)
        dao.sf.join(newcomer)
    relayer = Account.create()
    dao.chain.fund(relayer.address, 10 * ETHER)
    settings = relay_settings(tmp_path, relayer, keeper_finalize=False, keeper_review_pay=False)
    service = Relay(settings, sf=dao.sf, store=LocalStore(tmp_path / "ipfs"))
    sf = dao.sf
    work = sf.submit(dao["dee"], artifact_cid("drawn by the keeper"), 60)
    draw_block, seed, divisor = sf.panel(work)
    assert seed == 0 and divisor > 1
    with TestClient(create_app(settings, service)) as c:
        assert c.get("/v1/info").json()["keepers"]["drawPanels"] is True
        dao.chain._dev("evm_mine", [])  # the submission's block has a successor: its hash is known
        _until(lambda: sf.panel(work)[1] != 0)
    assert sf.panel(work)[1] == panel_seed(bytes(sf.w3.eth.get_block(draw_block)["hash"]))
    assert sf.w3.eth.get_transaction_count(relayer.address) == 1  # drawn once, by the relay
    assert [str(c) for c in verify(sf).failures] == []


def test_a_stuck_transaction_is_replaced_with_a_higher_fee(relay: RelayHarness, tmp_path: Path) -> None:
    dao = relay.dao
    relay.relay.submitter.resubmit_after = 0.3
    dao.chain._dev("evm_setAutomine", [False])
    try:
        answer = relay.client.post("/v1/actions", json=relay.signed(Account.create(), "Join"))
        action_id = answer.json()["id"]
        _until(lambda: relay.relay.queue.get(action_id).attempts >= 2)  # type: ignore[union-attr]
        replaced = relay.relay.queue.get(action_id)
        assert replaced is not None and replaced.status == "sent"
    finally:
        dao.chain._dev("evm_mine", [])
        dao.chain._dev("evm_setAutomine", [True])
    state = relay.wait(action_id)
    assert state["status"] == "mined"
    assert state["txHash"] == relay.relay.queue.get(action_id).tx_hash  # type: ignore[union-attr]
    assert dao.sf.w3.eth.get_transaction_count(relay.relayer.address) == 1  # one nonce used: replaced, not doubled


def test_a_keeper_sends_nothing_http_intake_would_refuse(dao: Dao, tmp_path: Path) -> None:
    """Keepers go through the same accept as HTTP (issue 24: one rule, one place). While a member's
    own ClaimTo is in flight, a keeper's sweep of that member's claim would pay nothing: intake
    refuses it (claim_pending), and so must the keeper. The old keeper path skipped that rule."""
    founders_first_work(dao)  # genesis standing earns no pay: the founders' first work does
    relayer = Account.create()
    dao.chain.fund(relayer.address, 10 * ETHER)
    settings = relay_settings(tmp_path, relayer, keeper_finalize=True)
    service = Relay(settings, sf=dao.sf, store=LocalStore(tmp_path / "ipfs"))
    sf, ada = dao.sf, dao["ada"]
    sf.pay_eth(dao["zed"], ETHER)
    with TestClient(create_app(settings, service)) as client:
        harness = RelayHarness(client, service, dao, relayer)
        dao.chain._dev("evm_setAutomine", [False])
        try:
            answer = client.post("/v1/actions", json=harness.signed(ada, "ClaimTo", token=ETH_ADDRESS, to=ada.address))
            assert answer.status_code == 202, answer.text
            _until(lambda: service.queue.get(answer.json()["id"]).status == "sent")  # type: ignore[union-attr]
            service.keepers._try({"action": "Claim", "member": ada.address, "token": ETH_ADDRESS})  # the keeper's sweep
            assert [a.kind for a in service.queue.in_flight_of_kind("Claim")] == []
            refused = client.post("/v1/actions", json={"action": "Claim", "member": ada.address, "token": ETH_ADDRESS})
            assert refused.status_code == 409 and refused.json()["code"] == "claim_pending", refused.text
        finally:
            dao.chain._dev("evm_mine", [])
            dao.chain._dev("evm_setAutomine", [True])
        assert harness.wait(answer.json()["id"])["status"] == "mined"


ETH_ADDRESS = "0x" + "00" * 20


def test_the_seed_keeper_fixes_each_ended_epoch_once_the_community_has_hosts(dao: Dao, tmp_path: Path) -> None:
    """While nobody hosts, no seed is worth gas; once a member hosts, each ended epoch's seed is chosen,
    then fixed from its block's hash once that block is mined, by the relay alone."""
    from starfish_dao.chain import grid
    from tests.chain.test_grid import _next_epoch

    relayer = Account.create()
    dao.chain.fund(relayer.address, 10 * ETHER)
    settings = relay_settings(tmp_path, relayer, keeper_finalize=False, keeper_review_pay=False)
    service = Relay(settings, sf=dao.sf, store=LocalStore(tmp_path / "ipfs"))
    sf = dao.sf
    ended = _next_epoch(dao) - 1
    with TestClient(create_app(settings, service)) as c:
        assert c.get("/v1/info").json()["keepers"]["fixSeeds"] is True
        time.sleep(3 * service.keepers.every)  # a few rounds with nobody hosting: nothing sent
        assert sf.w3.eth.get_transaction_count(relayer.address) == 0
        grid.register(sf, dao["ada"], "http://127.0.0.1:9")  # a founder: genesis standing
        _until(lambda: grid.seed_of(sf, ended).seed_block != 0)  # its block chosen
        for _ in range(2):  # that block is mined, and one after it (the relay simulates at the latest block)
            dao.chain._dev("evm_mine", [])
        _until(lambda: grid.seed_of(sf, ended).fixed)
    assert sf.w3.eth.get_transaction_count(relayer.address) == 2  # chosen, then fixed: nothing else
    assert [str(c) for c in verify(sf).failures] == []
