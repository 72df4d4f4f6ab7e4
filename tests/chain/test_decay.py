"""Decay: points halve every half-life, exactly, across eras, for a thousand years."""

from __future__ import annotations

from fractions import Fraction

from starfish_dao.domain.charter import BOUNDS, HOUR, POINT, Parameter
from starfish_dao.domain.model import ERA_HALVINGS, ETH
from starfish_dao.verify.state import compare
from tests.conftest import ETHER, FOUNDER_POINTS, PARAMS, Dao, artifact_cid

YEAR = 365 * 24 * HOUR


def _fastest_decay(dao: Dao) -> None:
    """The shortest epoch and half-life the charter allows: one halving per hour."""
    sf, gov = dao.sf, dao["ada"]
    c = sf.charter.functions
    assert BOUNDS[Parameter.EPOCH_LENGTH][0] == HOUR and BOUNDS[Parameter.HALF_LIFE] == (0, 1000)
    sf._send(gov, c.setParameter(int(Parameter.EPOCH_LENGTH), HOUR))
    sf._send(gov, c.setParameter(int(Parameter.HALF_LIFE), 1))
    sf._send(gov, c.setParameter(int(Parameter.REVIEW_WINDOW), HOUR))
    sf._send(gov, c.setParameter(int(Parameter.MIN_REVIEWER_STANDING), 0))


def _award(dao: Dao, author: str, tag: str, effort: int = 60) -> int:
    sf = dao.sf
    cid_id = sf.submit(dao[author], artifact_cid(tag), effort)
    reviewers = [n for n in ("ada", "bo", "cy", "dee") if n != author][:2]
    for reviewer in reviewers:
        sf.review(dao[reviewer], cid_id, 3)
    dao.chain.increase_time(HOUR + 1)
    return int(sf.finalize(dao["zed"], cid_id)["points"])


def _assert_model(dao: Dao) -> None:
    bad = [str(c) for c in compare(dao.sf) if not c.ok]
    assert bad == []


def test_points_halve_each_half_life(dao: Dao) -> None:
    sf, ada = dao.sf, dao["ada"]
    assert sf.points_of(ada.address) == FOUNDER_POINTS
    dao.chain.increase_time(PARAMS.half_life * PARAMS.epoch_length)
    assert sf.points_of(ada.address) == FOUNDER_POINTS // 2
    dao.chain.increase_time(PARAMS.half_life * PARAMS.epoch_length)
    assert sf.points_of(ada.address) == FOUNDER_POINTS // 4
    _assert_model(dao)


def test_new_points_outweigh_old_ones_by_the_decay(dao: Dao) -> None:
    _fastest_decay(dao)
    sf = dao.sf
    dao.chain.increase_time(5 * HOUR)  # five halvings of the founders' points
    points = _award(dao, "dee", "fresh")
    assert points == 60 * POINT
    sf.pay_eth(dao["zed"], 10 * ETHER)
    halvings = sf.charter.functions.currentHalvings().call()
    founders_now = sf.points_of(dao["ada"].address)
    assert founders_now == FOUNDER_POINTS >> halvings
    # revenue splits by current (decayed) points, to within rounding
    dee, ada = sf.claimable(dao["dee"].address), sf.claimable(dao["ada"].address)
    ratio = Fraction(dee, ada) / Fraction(sf.points_of(dao["dee"].address), founders_now)
    assert abs(ratio - 1) < Fraction(1, 10**9)
    _assert_model(dao)


def test_crossing_eras_stays_exact(dao: Dao) -> None:
    _fastest_decay(dao)
    sf = dao.sf
    for step in range(4):  # 4 x 20 = 80 halvings: two era boundaries (32, 64)
        _award(dao, "dee", f"era-{step}")
        sf.pay_eth(dao["zed"], ETHER)
        dao.chain.increase_time(20 * HOUR)
        sf.claim(dao["zed"], dao["dee"].address)
    assert sf.splitter.functions.era().call() >= 2
    _assert_model(dao)


def test_a_thousand_years_at_the_shortest_half_life(dao: Dao) -> None:
    _fastest_decay(dao)
    sf = dao.sf
    _award(dao, "dee", "before")
    sf.pay_eth(dao["zed"], ETHER)
    dao.chain.increase_time(1000 * YEAR)
    halvings = sf.charter.functions.currentHalvings().call()
    assert halvings >= 1000 * 365 * 24  # one per hour
    assert sf.points_of(dao["dee"].address) == 0  # long decayed
    # money earned a thousand years ago is still claimable, to the wei
    owed = sf.claimable(dao["dee"].address)
    assert owed > 0
    # revenue now: nobody holds points any more, so it waits; new work earns it
    sf.pay_eth(dao["zed"], ETHER)
    assert sf.splitter.functions.era().call() == halvings // ERA_HALVINGS
    assert sf.splitter.functions.undistributed(ETH).call() == ETHER * 9 // 10
    assert _award(dao, "eli", "after") == 60 * POINT
    assert sf.points_of(dao["eli"].address) == 60 * POINT
    sf.pay_eth(dao["zed"], ETHER)
    assert sf.claim(dao["zed"], dao["dee"].address) == owed
    assert sf.claim(dao["zed"], dao["eli"].address) > ETHER * 9 // 10  # the waiting revenue too
    _assert_model(dao)
