"""Review pay (issue 25): the charter's `reviewerBps` of every receipt is kept for reviewers and paid
per epoch by how accurately they reviewed, as money with no standing. Every test here fails on the
contracts before review pay (there was no `scoreReview`, no pot and no claim)."""

from __future__ import annotations

from dataclasses import replace

from starfish_dao.chain.client import ETH
from starfish_dao.chain.tx import _raise_revert
from starfish_dao.domain.model import REVIEW_PAY_DELAY
from starfish_dao.verify.state import compare
from tests.conftest import ETHER, FOUNDERS, PARAMS, Dao, artifact_cid, deploy_dao, reverts

PAID = replace(PARAMS, reviewer_bps=1000)  # 10 % of every receipt to the reviewers
WEEK = 7 * 24 * 3600

# three works of known quality, rated by the three founders (equal standing, 600 genesis points each)
RATINGS = {
    "ada": (5, 1, 3),  # honest
    "bo": (5, 2, 3),  # a star off once
    "cy": (4, 1, 3),  # a star off once
}
# in the first epochs every rating weighs W = 400, 545, 666, 666, 545, 400 for 0 to 5 stars (no medians
# counted yet: each of the six counters is 1, N = 6, W[x] = 6,000 / sum of |x - m|); the medians are
# 5, 1 and 3; each reviewer's first review of the epoch scores 0 and only sets their previous rating:
#   ada: B: 400*|5-1| - 545*0 - 125 = 1,475; C: 545*|1-3| - 666*0 - 125 = 965    -> 2,440
#   bo:  B: 400*|5-1| - 666*|2-1| - 125 = 809; C: 666*|2-3| - 0 - 125 = 541       -> 1,350
#   cy:  B: 545*|4-1| - 0 - 125 = 1,510; C: 545*|1-3| - 0 - 125 = 965             -> 2,475
SCORES = {"ada": (0, 1475, 965), "bo": (0, 809, 541), "cy": (0, 1510, 965)}


def _all_equal(dao: Dao) -> None:
    assert [str(c) for c in compare(dao.sf) if not c.ok] == []


def _three_works(dao: Dao, ratings: dict[str, tuple[int, ...]] = RATINGS) -> list[int]:
    """Dee submits three works; the founders rate them; all are finalized (the ratings revealed in
    work order) inside epoch 0. Returns the contributions."""
    sf = dao.sf
    works = [sf.submit(dao["dee"], artifact_cid(f"dee's work {n}"), 60) for n in range(3)]
    for name, stars in ratings.items():
        for work, s in zip(works, stars, strict=True):
            sf.review(dao[name], work, s)
    dao.chain.increase_time(PARAMS.review_window + 1)
    for work in works:
        sf.finalize(dao["zed"], work)  # reveals every held opening of the work first
    return works


def _close_epoch_0(dao: Dao) -> None:
    """Moves past the close of epoch 0's review pay: a week after the epoch's end."""
    sf = dao.sf
    start_1 = int(sf.charter.functions.currentEpochStart().call()) + PARAMS.epoch_length
    dao.chain.increase_time(start_1 + REVIEW_PAY_DELAY - sf.now() + 1)


def test_reviewers_are_paid_pro_rata_to_their_positive_scores(fresh_chain) -> None:  # type: ignore[no-untyped-def]
    dao = deploy_dao(fresh_chain, params=PAID)
    sf = dao.sf
    sf.pay_eth(dao["zed"], 10 * ETHER)  # 1 ETH to the treasury, 1 ETH kept for reviewers
    works = _three_works(dao)
    points_before = {name: sf.standing_of(dao[name].address) for name in FOUNDERS}
    with reverts("RegistryReviewPayOpen", epoch=0):
        sf.claim_review_pay(dao["zed"], dao["ada"].address, 0)
    for name, expected in SCORES.items():
        for work, score in zip(works, expected, strict=True):
            assert sf.score_review(dao["zed"], work, dao[name].address) == score  # anyone may score
    with reverts("RegistryAlreadyScored", id=works[0]):
        sf.score_review(dao["zed"], works[0], dao["ada"].address)
    totals = {name: sum(SCORES[name]) for name in FOUNDERS}
    assert {name: sf.desk(dao[name].address, 0)["total"] for name in FOUNDERS} == totals
    _all_equal(dao)
    _close_epoch_0(dao)
    positive = sum(totals.values())
    before = {name: sf.w3.eth.get_balance(dao[name].address) for name in FOUNDERS}
    for name in FOUNDERS:
        paid = sf.claim_review_pay(dao["zed"], dao[name].address, 0)  # zed pays the gas, the reviewer is paid
        assert paid == ETHER * totals[name] // positive  # rounded down
        assert sf.w3.eth.get_balance(dao[name].address) - before[name] == paid
        with reverts("RegistryNoReviewPay"):
            sf.claim_review_pay(dao["zed"], dao[name].address, 0)
    assert sf.registry.functions.reviewPot(0, ETH).call() == [ETHER, True]
    # what rounding kept stays with the registry, less than one wei per reviewer
    assert 0 <= sf.w3.eth.get_balance(sf.registry.address) < len(FOUNDERS)
    # review pay is money: no points, no standing, no vote
    assert {name: sf.standing_of(dao[name].address) for name in FOUNDERS} == points_before
    _all_equal(dao)


def test_a_constant_rating_earns_nothing_and_honest_reviewers_share_the_pot(fresh_chain) -> None:  # type: ignore[no-untyped-def]
    dao = deploy_dao(fresh_chain, params=PAID)
    sf = dao.sf
    sf.pay_eth(dao["zed"], 10 * ETHER)
    # cy approves everything with 5 stars (a ring's blanket approval); the medians are 5, 1 and 2
    works = _three_works(dao, {"ada": (5, 1, 2), "bo": (4, 1, 2), "cy": (5, 5, 5)})
    for work in works:
        for name in FOUNDERS:
            sf.score_review(dao["zed"], work, dao[name].address)
    cy = sf.desk(dao["cy"].address, 0)
    assert cy["total"] < 0  # b = s every time: each review pays the fee and gains nothing
    _close_epoch_0(dao)
    with reverts("RegistryNoReviewPay"):
        sf.claim_review_pay(dao["zed"], dao["cy"].address, 0)
    paid = sum(sf.claim_review_pay(dao["zed"], dao[name].address, 0) for name in ("ada", "bo"))
    assert ETHER - 2 < paid <= ETHER  # the honest two share the whole pot
    _all_equal(dao)


def test_a_sealed_rating_never_revealed_forfeits_the_epochs_review_pay(fresh_chain) -> None:  # type: ignore[no-untyped-def]
    dao = deploy_dao(fresh_chain, params=PAID)
    sf = dao.sf
    sf.pay_eth(dao["zed"], 10 * ETHER)
    works = [sf.submit(dao["dee"], artifact_cid(f"dee's work {n}"), 60) for n in range(3)]
    for name, stars in RATINGS.items():
        for work, s in zip(works, stars, strict=True):
            sf.review(dao[name], work, s)
    sf.openings.drop(works[2], dao["cy"].address)  # cy seals the last work and never opens it
    dao.chain.increase_time(PARAMS.review_window + 1)
    assert sf.reveal_due(dao["zed"]) == 8  # every rating but cy's last
    for work in works[:2]:
        sf.finalize(dao["zed"], work)
    with reverts("RegistryRevealsOpen", id=works[2]):
        sf.forfeit_unrevealed(dao["zed"], works[2], dao["cy"].address)  # cy may still reveal
    dao.chain.increase_time(3 * 24 * 3600)  # the reveal window is over
    sf.finalize(dao["zed"], works[2])
    for work in works:
        for name in FOUNDERS:
            if (work, name) != (works[2], "cy"):
                sf.score_review(dao["zed"], work, dao[name].address)
    assert sf.desk(dao["cy"].address, 0)["total"] > 0  # cy's two revealed ratings scored well
    with reverts("RegistryNotRevealed", id=works[2]):
        sf.score_review(dao["zed"], works[2], dao["cy"].address)
    sf.forfeit_unrevealed(dao["eli"], works[2], dao["cy"].address)  # anyone may report it
    with reverts("RegistryNotSealed", id=works[2]):
        sf.forfeit_unrevealed(dao["eli"], works[2], dao["cy"].address)  # once
    assert sf.desk(dao["cy"].address, 0)["forfeited"] is True
    _all_equal(dao)
    _close_epoch_0(dao)
    with reverts("RegistryNoReviewPay"):
        sf.claim_review_pay(dao["zed"], dao["cy"].address, 0)
    paid = sum(sf.claim_review_pay(dao["zed"], dao[name].address, 0) for name in ("ada", "bo"))
    assert ETHER - 2 < paid <= ETHER  # cy's share went to those who revealed
    _all_equal(dao)


def test_pay_waits_for_every_review_to_be_scored_and_pots_roll_forward(fresh_chain) -> None:  # type: ignore[no-untyped-def]
    dao = deploy_dao(fresh_chain, params=PAID)
    sf = dao.sf
    works = _three_works(dao)
    for name in ("ada", "bo"):
        for work in works:
            sf.score_review(dao["zed"], work, dao[name].address)
    sf.score_review(dao["zed"], works[0], dao["cy"].address)  # cy's other two never scored
    _close_epoch_0(dao)
    with reverts("RegistryNoReviewPay"):
        sf.claim_review_pay(dao["zed"], dao["cy"].address, 0)  # a review not scored: its total is not final
    with reverts("RegistryNoReviewPay"):
        sf.claim_review_pay(dao["zed"], dao["ada"].address, 0)  # nothing received yet: a share of 0
    assert sf.registry.functions.reviewPot(0, ETH).call() == [0, False]  # the failed claim fixed nothing
    sf.pay_eth(dao["zed"], 3 * ETHER)  # 0.3 ETH for reviewers
    paid = sf.claim_review_pay(dao["zed"], dao["ada"].address, 0)
    assert paid == 3 * ETHER // 10 * 2440 // (2440 + 1350)  # cy's total so far is 0: their first review
    with reverts("RegistryReviewPayClosed", epoch=0):
        sf.score_review(dao["zed"], works[1], dao["cy"].address)  # too late: the epoch's pay is closed
    # the token's pot: nothing was received in it, and nobody can claim a share of 0
    with reverts("RegistryNoReviewPay"):
        sf.claim_review_pay(dao["zed"], dao["ada"].address, 0, dao.token)
    _all_equal(dao)


def test_only_the_registry_takes_review_pay_and_only_the_splitter_sends_it_eth(dao) -> None:  # type: ignore[no-untyped-def]
    sf = dao.sf
    with reverts("SplitterOnlyRegistry"):
        sf._send(dao["zed"], sf.splitter.functions.releaseReviewerPay(ETH))
    with reverts("RegistryUnexpectedEth"):
        try:
            sf.w3.eth.estimate_gas({"from": dao["zed"].address, "to": sf.registry.address, "value": 1})
        except Exception as exc:  # noqa: BLE001 - decoded by the client's own decoder
            _raise_revert(exc)


def test_starfish_review_pay_scores_claims_and_says_what_each_epoch_paid(fresh_chain, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json
    import os
    import subprocess
    import sys

    from eth_account import Account

    dao = deploy_dao(fresh_chain, params=PAID)
    sf = dao.sf
    sf.pay_eth(dao["zed"], 10 * ETHER)
    works = _three_works(dao)
    manifests, home = tmp_path / "deployments", tmp_path / "home"
    dao.deployment.save(manifests)
    (home / "keystores").mkdir(parents=True)
    keystore = Account.encrypt(dao["ada"].key, "pw", kdf="pbkdf2", iterations=1000)
    (home / "keystores" / "ada.json").write_text(json.dumps(keystore))
    env = {k: v for k, v in os.environ.items() if not k.startswith("STARFISH_")}
    env.update(STARFISH_HOME=str(home), STARFISH_RPC_URL=dao.chain.url, STARFISH_KEY_PASSWORD="pw")

    def run(*args: str) -> dict:  # type: ignore[type-arg]
        out = subprocess.run([sys.executable, "-m", "starfish_dao.cli", "review-pay", "--key-file", "ada",
                              "--deployments", str(manifests), "--json", *args],
                             capture_output=True, text=True, env=env, timeout=300)  # fmt: skip
        assert out.returncode == 0, out.stdout + out.stderr
        return json.loads(out.stdout)  # type: ignore[no-any-return]

    first = run()
    assert [s["score"] for s in first["sent"]] == list(SCORES["ada"])  # ada's three ratings scored
    (epoch,) = first["epochs"]
    assert (epoch["revealed"], epoch["scored"], epoch["total"], epoch["closed"]) == (3, 3, 2440, False)
    for work in works:  # the others' ratings, by anyone (the relay's keeper, here the test)
        for name in ("bo", "cy"):
            sf.score_review(dao["zed"], work, dao[name].address)
    _close_epoch_0(dao)
    before = sf.w3.eth.get_balance(dao["ada"].address)
    second = run()
    (claim,) = second["sent"]
    assert int(claim["amount"]) == ETHER * 2440 // (2440 + 1350 + 2475)
    assert sf.w3.eth.get_balance(dao["ada"].address) > before  # paid, less the gas ada sent it with
    assert second["epochs"][0]["claimed"] == {ETH: claim["amount"]} and second["epochs"][0]["owed"] == {}
    assert run()["sent"] == []  # nothing more to do
