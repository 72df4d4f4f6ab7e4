"""The payout splitter: revenue in, reserve, accumulator, claims, slashing, treasury, solvency."""

from __future__ import annotations

from eth_account import Account
from eth_utils.address import to_checksum_address

from starfish_dao.chain import artifacts
from starfish_dao.chain.deployment import _deploy_one
from starfish_dao.chain.tx import send
from starfish_dao.domain.charter import DAY, POINT, Parameter
from starfish_dao.domain.model import ETH
from starfish_dao.verify.state import compare
from tests.conftest import (
    ETHER,
    FOUNDER_POINTS,
    PARAMS,
    Dao,
    artifact_cid,
    deploy_dao,
    earns_as,
    founders_first_work,
    reverts,
    send_as,
)


def _token(dao: Dao):  # type: ignore[no-untyped-def]
    return dao.sf.w3.eth.contract(address=to_checksum_address(dao.token), abi=artifacts.abi("TestToken"))


def _all_equal(dao: Dao) -> None:
    bad = [str(c) for c in compare(dao.sf) if not c.ok]
    assert bad == []


def test_eth_revenue_splits_by_points_with_reserve(earning_dao: Dao) -> None:
    dao = earning_dao
    sf = dao.sf
    sf.pay_eth(dao["zed"], 3 * ETHER)
    reserve = 3 * ETHER * PARAMS.reserve_bps // 10_000
    assert sf.splitter.functions.treasury(ETH).call() == reserve
    share = sf.claimable(dao["ada"].address)
    # three founders with equal points share the rest, rounded down
    assert share == (3 * ETHER - reserve) // 3 or share == (3 * ETHER - reserve) // 3 - 1
    assert sf.claimable(dao["dee"].address) == 0
    before = sf.w3.eth.get_balance(dao["ada"].address)
    paid = sf.claim(dao["zed"], dao["ada"].address)  # zed pays the gas; ada gets the money
    assert paid == share
    assert sf.w3.eth.get_balance(dao["ada"].address) == before + share
    assert sf.claimable(dao["ada"].address) == 0
    assert sf.claim(dao["ada"]) == 0  # nothing twice
    _all_equal(dao)


def test_erc20_pay_and_sync(earning_dao: Dao) -> None:
    dao = earning_dao
    sf, zed = dao.sf, dao["zed"]
    token = _token(dao)
    sf._send(zed, token.functions.mint(zed.address, 1000 * ETHER))
    sf.pay_token(zed, dao.token, 600 * ETHER)
    assert sf.splitter.functions.tracked(dao.token).call() == 600 * ETHER
    # a plain transfer counts once somebody syncs
    sf._send(zed, token.functions.transfer(sf.splitter.address, 400 * ETHER))
    assert sf.splitter.functions.tracked(dao.token).call() == 600 * ETHER
    sf.sync(zed, dao.token)
    assert sf.splitter.functions.tracked(dao.token).call() == 1000 * ETHER
    assert sf.splitter.functions.treasury(dao.token).call() == 100 * ETHER
    sf.sync(zed, dao.token)  # nothing new: no receipt
    assert sf.splitter.functions.tracked(dao.token).call() == 1000 * ETHER
    assert sf.claim(dao["bo"], token=dao.token) > 0
    _all_equal(dao)


def test_forced_eth_is_synced_not_lost(dao: Dao) -> None:
    sf = dao.sf
    sf.pay_eth(dao["zed"], ETHER)
    balance = sf.w3.eth.get_balance(sf.splitter.address)
    dao.chain.fund(sf.splitter.address, balance + 5 * ETHER)  # as a self-destruct would
    _all_equal(dao)  # the extra ETH is simply not tracked yet: still solvent
    sf.sync(dao["zed"], ETH)
    assert sf.splitter.functions.tracked(ETH).call() == 6 * ETHER
    _all_equal(dao)


def test_refusals(dao: Dao) -> None:
    sf, zed = dao.sf, dao["zed"]
    with reverts("SplitterInvalidAmount", amount=0):  # ETH is paid by sending it along
        sf._send(zed, sf.splitter.functions.pay(ETH, 1))
    with reverts("SplitterTokenNotAllowed"):
        sf._send(zed, sf.splitter.functions.pay(dao["bo"].address, 1))
    with reverts("SplitterTokenNotAllowed"):
        sf._send(zed, sf.splitter.functions.sync(dao["bo"].address))
    with reverts("SplitterInvalidAmount", amount=0):
        sf._send(zed, sf.splitter.functions.pay(dao.token, 0))
    with reverts("SplitterUnauthorized", caller=zed.address):
        sf._send(zed, sf.splitter.functions.slash(dao["ada"].address, 100))
    with reverts("SplitterUnauthorized", caller=zed.address):
        sf._send(zed, sf.splitter.functions.spend(ETH, zed.address, 1))


def test_later_points_do_not_earn_earlier_revenue(earning_dao: Dao) -> None:
    dao = earning_dao
    sf = dao.sf
    sf.pay_eth(dao["zed"], 9 * ETHER)
    cid_id = sf.submit(dao["dee"], artifact_cid("late"), 600)
    sf.review(dao["ada"], cid_id, 3)
    sf.review(dao["bo"], cid_id, 3)
    dao.chain.increase_time(PARAMS.review_window + 1)
    sf.finalize(dao["zed"], cid_id)
    assert sf.points_of(dao["dee"].address) == 600 * POINT
    assert sf.claimable(dao["dee"].address) == 0  # revenue before the award is not theirs
    ada_before = sf.claimable(dao["ada"].address)
    sf.pay_eth(dao["zed"], 24 * ETHER)  # 1800 + 600 points: dee gets a quarter of 21.6 ETH
    assert abs(sf.claimable(dao["dee"].address) - 24 * ETHER * 9 // 10 // 4) <= 1
    assert abs(sf.claimable(dao["ada"].address) - ada_before - 24 * ETHER * 9 // 10 // 4) <= 1
    _all_equal(dao)


def test_leaving_keeps_earning(earning_dao: Dao) -> None:
    dao = earning_dao
    sf, cy = dao.sf, dao["cy"]
    sf.leave(cy)
    sf.pay_eth(dao["zed"], 3 * ETHER)
    assert sf.claim(cy) > 0
    _all_equal(dao)


def test_slash_cuts_future_pay_only(earning_dao: Dao) -> None:
    dao = earning_dao
    sf, bo = dao.sf, dao["bo"]
    sf.pay_eth(dao["zed"], 3 * ETHER)
    accrued = sf.claimable(bo.address)
    with reverts("SplitterInvalidAmount"):
        dao.govern(sf.splitter.functions.slash(bo.address, 0))
    with reverts("SplitterInvalidAmount"):
        dao.govern(sf.splitter.functions.slash(bo.address, 10_001))
    dao.govern(sf.splitter.functions.slash(bo.address, 5000))
    assert sf.points_of(bo.address) == FOUNDER_POINTS // 2
    assert sf.claimable(bo.address) == accrued  # what was earned stays earned
    sf.pay_eth(dao["zed"], 5 * ETHER)  # 600 + 300 + 600 points
    gained = sf.claimable(bo.address) - accrued
    assert abs(gained - 5 * ETHER * 9 // 10 * 300 // 1500) <= 1
    _all_equal(dao)


def test_treasury_spend(dao: Dao) -> None:
    sf, zed = dao.sf, dao["zed"]
    sf.pay_eth(zed, 10 * ETHER)
    with reverts("SplitterInsufficientTreasury", requested=2 * ETHER, available=ETHER):
        dao.govern(sf.splitter.functions.spend(ETH, zed.address, 2 * ETHER))
    with reverts("SplitterInvalidAmount"):
        dao.govern(sf.splitter.functions.spend(ETH, zed.address, 0))
    before = sf.w3.eth.get_balance(zed.address)
    dao.govern(sf.splitter.functions.spend(ETH, zed.address, ETHER))
    assert sf.w3.eth.get_balance(zed.address) == before + ETHER
    assert sf.splitter.functions.treasury(ETH).call() == 0
    _all_equal(dao)


def test_revenue_waits_while_nobody_has_points(fresh_chain) -> None:  # type: ignore[no-untyped-def]
    dao = deploy_dao(fresh_chain, founders=())
    sf = dao.sf
    sf.pay_eth(dao["zed"], 2 * ETHER)
    assert sf.splitter.functions.undistributed(ETH).call() == 2 * ETHER * 9 // 10
    assert sf.splitter.functions.totalPoints().call() == 0
    _all_equal(dao)


def test_a_payee_that_refuses_eth_cannot_block_others(fresh_chain) -> None:  # type: ignore[no-untyped-def]
    hostile = to_checksum_address("0x" + "de" * 20)
    # a member whose code always reverts (PUSH1 0 PUSH1 0 REVERT), holding points
    dao = deploy_dao(fresh_chain)
    sf = dao.sf
    # the hostile address earns (as a plain address), then turns into the refusing code
    founders_first_work(dao)
    earns_as(dao, hostile, lambda fn: send_as(fresh_chain, hostile, fn), FOUNDER_POINTS)
    fresh_chain._dev("anvil_setCode", [hostile, "0x60006000fd"])
    sf.pay_eth(dao["zed"], 4 * ETHER)
    owed = sf.claimable(hostile)
    assert owed > 0
    with reverts("SplitterEthTransferFailed", to=hostile, amount=owed):
        send(sf.w3, dao["zed"], {"to": sf.splitter.address, "data": sf.splitter.encode_abi("claim", [hostile, ETH])})
    assert sf.claimable(hostile) == owed  # still owed, nothing lost
    assert sf.claim(dao["zed"], dao["ada"].address) > 0  # others are paid as usual
    _all_equal(dao)


def test_a_claim_of_nothing_changes_nothing(earning_dao: Dao) -> None:
    """Found by the state machine: a claim that pays 0 used to move the member's snapshot (re-rounding
    their share) without an event, so the books no longer followed from the log. Now it is a no-op."""
    dao = earning_dao
    sf, ada = dao.sf, dao["ada"].address
    precision, total = 2**128, 3 * FOUNDER_POINTS
    acc = [1 * precision // total]  # 1 wei: less than one wei each, no reserve
    sf.pay_eth(dao["zed"], 1)
    assert sf.claim(dao["bo"], ada) == 0
    # a second receipt whose share, added to the first one's, crosses a whole wei only if the
    # first accumulator step still counts for ada
    amount = next(
        x
        for x in range(2, 10_000)
        if FOUNDER_POINTS * (acc[0] + x * precision // total) // precision
        != FOUNDER_POINTS * (x * precision // total) // precision
        and x * PARAMS.reserve_bps // 10_000 == 0
    )
    sf.pay_eth(dao["zed"], amount)
    assert sf.claimable(ada) == FOUNDER_POINTS * (acc[0] + amount * precision // total) // precision
    _all_equal(dao)


# ----------------------------------------------------------------- nothing paid in is lost (issue 12)


def _fastest_decay(dao: Dao) -> None:
    sf = dao.sf
    c = sf.charter.functions
    dao.govern(c.setParameter(int(Parameter.HALF_LIFE), 30))
    dao.govern(c.setParameter(int(Parameter.EPOCH_LENGTH), DAY))  # one halving every 30 days
    dao.govern(c.setParameter(int(Parameter.REVIEW_WINDOW), DAY))
    dao.govern(c.setParameter(int(Parameter.MIN_REVIEWERS), 1))


def _advance_to_halving(dao: Dao, halvings: int) -> None:
    now = dao.sf.charter.functions.currentHalvings().call()
    assert now <= halvings
    dao.chain.increase_time((halvings - now) * 30 * DAY)
    assert dao.sf.charter.functions.currentHalvings().call() == halvings


def test_no_ghost_points_after_an_era_shift(fresh_chain) -> None:  # type: ignore[no-untyped-def]
    """Two founders who earned 600 points each, 64 halvings later: the whole receipt is claimable. (The era
    shift of the total used to keep 65 units where the members held 2 x 32: 1/65 of every receipt,
    15,384,615,384,615,386 wei of 1 ETH, belonged to nobody.)"""
    dao = deploy_dao(fresh_chain)
    founders_first_work(dao, authors=("ada", "bo"))
    _fastest_decay(dao)
    sf = dao.sf
    _advance_to_halving(dao, 64)
    sf.pay_eth(dao["zed"], ETHER)
    shared = ETHER - ETHER * PARAMS.reserve_bps // 10_000
    claimed = sf.claim(dao["zed"], dao["ada"].address) + sf.claim(dao["zed"], dao["bo"].address)
    model = dao.model()
    assert shared - claimed <= model.dust_bound(ETH) <= 8  # a few wei of rounding, no more
    _all_equal(dao)


def test_when_every_point_has_decayed_revenue_waits(fresh_chain) -> None:  # type: ignore[no-untyped-def]
    """Two 20-point awards at halving 31, nobody else holding points; at halving 97 every pointsOf and
    totalPoints() are 0, so a receipt must wait as undistributed (it used to raise an accumulator
    that nobody could claim from)."""
    dao = deploy_dao(fresh_chain, founder_points=2**80 * POINT)  # founders who can still review at 31
    _fastest_decay(dao)
    sf = dao.sf
    _advance_to_halving(dao, 31)
    for author in ("dee", "eli"):
        cid_id = sf.submit(dao[author], artifact_cid(f"at 31 by {author}"), 20)
        sf.review(dao["ada"], cid_id, 3)
        dao.chain.increase_time(DAY + 1)
        assert sf.finalize(dao["zed"], cid_id)["points"] == 20 * POINT
    for founder in ("ada", "bo", "cy"):
        dao.govern(sf.splitter.functions.slash(dao[founder].address, 10_000))
    _advance_to_halving(dao, 97)
    assert sf.splitter.functions.totalPoints().call() == 0
    assert sf.points_of(dao["dee"].address) == sf.points_of(dao["eli"].address) == 0
    sf.pay_eth(dao["zed"], ETHER)
    assert sf.splitter.functions.undistributed(ETH).call() == ETHER - ETHER * PARAMS.reserve_bps // 10_000
    assert sf.claimable(dao["dee"].address) == sf.claimable(dao["eli"].address) == 0
    _all_equal(dao)


def test_a_wallet_that_cannot_receive_names_another_address(fresh_chain) -> None:  # type: ignore[no-untyped-def]
    owner = Account.create()
    fresh_chain.fund(owner.address, 10 * ETHER)
    wallet, _ = _deploy_one(fresh_chain.w3, owner, "Hostile")  # a contract wallet: refuses ETH when told
    dao = deploy_dao(fresh_chain)
    sf = dao.sf
    hostile = sf.w3.eth.contract(address=wallet, abi=artifacts.abi("Hostile"))
    earns_as(
        dao,
        wallet,
        lambda fn: sf._send(owner, hostile.functions.exec(fn.address, fn._encode_transaction_data())),
        FOUNDER_POINTS,
    )
    sf._send(owner, hostile.functions.setMode(1))  # Refuse
    sf.pay_eth(dao["zed"], 4 * ETHER)
    owed = sf.claimable(wallet)
    with reverts("SplitterEthTransferFailed", to=wallet, amount=owed):
        sf.claim(dao["zed"], wallet)  # a keeper's claim always pays the member itself
    cold = Account.create().address
    sf._send(owner, hostile.functions.exec(sf.splitter.address, sf.splitter.encode_abi("claimTo", [ETH, cold])))
    assert sf.w3.eth.get_balance(cold) == owed
    assert sf.claimable(wallet) == 0
    model = dao.model()
    assert model.paid_to[(cold, ETH)] == owed and model.claimed_by[(wallet, ETH)] == owed
    with reverts("SplitterInvalidRecipient"):
        sf._send(dao["ada"], sf.splitter.functions.claimTo(ETH, ETH))
    _all_equal(dao)


def test_a_payer_sending_with_a_2300_gas_stipend_is_accepted(earning_dao: Dao) -> None:
    """ETH sent with Solidity `transfer` is accepted, and paid to the points that existed when it
    arrived, even if points are awarded before anyone syncs it."""
    dao = earning_dao
    sf, zed = dao.sf, dao["zed"]
    payer_address, _ = _deploy_one(sf.w3, zed, "StipendPayer")
    payer = sf.w3.eth.contract(address=payer_address, abi=artifacts.abi("StipendPayer"))
    cid_id = sf.submit(dao["dee"], artifact_cid("awarded after the payment"), 60)
    sf.review(dao["ada"], cid_id, 3)
    sf.review(dao["bo"], cid_id, 3)
    sf._send(zed, payer.functions.pay(sf.splitter.address), value=3 * ETHER)
    assert sf.splitter.functions.tracked(ETH).call() == 0  # accepted, not yet accounted
    assert sf.w3.eth.get_balance(sf.splitter.address) == 3 * ETHER
    dao.chain.increase_time(PARAMS.review_window + 1)
    sf.finalize(zed, cid_id)  # the award settles the waiting ETH first ...
    assert sf.splitter.functions.tracked(ETH).call() == 3 * ETHER
    assert sf.claimable(dao["dee"].address) == 0  # ... so dee's new points get none of it
    each = 3 * ETHER * 9 // 10 // 3
    assert abs(sf.claimable(dao["ada"].address) - each) <= 1
    _all_equal(dao)


def test_governance_rescues_only_what_is_not_revenue(earning_dao: Dao) -> None:
    dao = earning_dao
    sf, zed = dao.sf, dao["zed"]
    stray, _ = _deploy_one(sf.w3, zed, "TestToken", "Stray", "STR")
    stray_token = sf.w3.eth.contract(address=stray, abi=artifacts.abi("TestToken"))
    sf._send(zed, stray_token.functions.mint(sf.splitter.address, 70 * ETHER))  # a customer's mistake
    with reverts("SplitterUnauthorized", caller=zed.address):
        sf._send(zed, sf.splitter.functions.rescue(stray, zed.address, 1))
    with reverts("SplitterInsufficientUntracked", requested=71 * ETHER, available=70 * ETHER):
        dao.govern(sf.splitter.functions.rescue(stray, zed.address, 71 * ETHER))
    dao.govern(sf.splitter.functions.rescue(stray, zed.address, 70 * ETHER))
    assert stray_token.functions.balanceOf(zed.address).call() == 70 * ETHER
    for token in (ETH, dao.token):  # revenue tokens: never
        with reverts("SplitterTokenNotAllowed"):
            dao.govern(sf.splitter.functions.rescue(token, zed.address, 1))
    # a revenue token that is delisted: only what is not owed to anyone
    token = _token(dao)
    sf._send(zed, token.functions.mint(zed.address, 150 * ETHER))
    sf.pay_token(zed, dao.token, 100 * ETHER)
    dao.govern(sf.charter.functions.setRevenueToken(dao.token, False))
    sf._send(zed, token.functions.transfer(sf.splitter.address, 50 * ETHER))
    with reverts("SplitterInsufficientUntracked", available=50 * ETHER):
        dao.govern(sf.splitter.functions.rescue(dao.token, zed.address, 60 * ETHER))
    dao.govern(sf.splitter.functions.rescue(dao.token, zed.address, 50 * ETHER))
    assert sf.claim(dao["bo"], token=dao.token) > 0  # members still claim what they earned in it
    model = dao.model()
    assert model.rescued[stray] == 70 * ETHER and model.rescued[dao.token] == 50 * ETHER
    _all_equal(dao)


def test_the_token_list_never_fills_up_and_delisted_pay_stays_claimable(earning_dao: Dao) -> None:
    """The list used to be append-only and capped at 8, so a ninth token could never be listed.
    Delisting now frees the slot; what members earned in the delisted token stays claimable, and
    listing it again starts fresh books (an incarnation) beside the old ones."""
    dao = earning_dao
    sf, zed, c = dao.sf, dao["zed"], dao.sf.charter.functions
    token = _token(dao)
    sf._send(zed, token.functions.mint(zed.address, 1000 * ETHER))
    sf.pay_token(zed, dao.token, 300 * ETHER)  # 270 shared by three founders: 90 each
    first = sf.claimable(dao["ada"].address, dao.token)
    dao.govern(c.setRevenueToken(dao.token, False))
    # dee earns points after the delisting: her account moves, the delisted books are settled for her
    cid_id = sf.submit(dao["dee"], artifact_cid("after the delisting"), 60)
    sf.review(dao["ada"], cid_id, 3)
    sf.review(dao["bo"], cid_id, 3)
    dao.chain.increase_time(PARAMS.review_window + 1)
    sf.finalize(zed, cid_id)
    for i in range(20):  # twenty other tokens come and go: never full
        other = to_checksum_address("0x" + f"{i + 100:040x}")
        dao.govern(c.setRevenueToken(other, True))
        dao.govern(c.setRevenueToken(other, False))
    dao.govern(c.setRevenueToken(dao.token, True))  # back, as a second incarnation
    assert c.incarnation(dao.token).call() == 2
    sf.pay_token(zed, dao.token, 100 * ETHER)
    # the old books: still ada's 90; the new ones: ada's share of 90 among 1,860 points
    old = sf.splitter.functions.claimableIncarnation(dao["ada"].address, dao.token, 1).call()
    assert old == first
    assert sf.splitter.functions.claimableIncarnation(dao["dee"].address, dao.token, 1).call() == 0
    new = sf.claimable(dao["ada"].address, dao.token)
    assert abs(new - 90 * ETHER * 600 // 1860) <= 1
    paid = sf._claimed_amount(sf._send(zed, sf.splitter.functions.claimIncarnation(dao["ada"].address, dao.token, 1)))
    assert paid == first
    assert sf.claim(zed, dao["ada"].address, dao.token) == new
    with reverts("SplitterTokenNotAllowed"):
        sf._send(zed, sf.splitter.functions.claimIncarnation(dao["ada"].address, dao.token, 3))
    _all_equal(dao)
