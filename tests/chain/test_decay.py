"""Decay: points halve every half-life, exactly, across eras, for a thousand years."""

from __future__ import annotations

from fractions import Fraction

from starfish_dao.domain.charter import BOUNDS, DAY, HOUR, MIN_HALF_LIFE_SECONDS, POINT, Parameter
from starfish_dao.domain.model import ERA_HALVINGS, ETH
from starfish_dao.verify.state import compare
from tests.conftest import ETHER, FOUNDER_POINTS, PARAMS, Dao, artifact_cid

YEAR = 365 * 24 * HOUR


def _fastest_decay(dao: Dao) -> None:
    """The fastest decay the charter allows: one halving every 30 days (daily epochs, half-life 30)."""
    sf = dao.sf
    c = sf.charter.functions
    assert BOUNDS[Parameter.REVIEW_WINDOW][0] == DAY and MIN_HALF_LIFE_SECONDS == 30 * DAY
    dao.govern(c.setParameter(int(Parameter.HALF_LIFE), 30))
    dao.govern(c.setParameter(int(Parameter.EPOCH_LENGTH), DAY))
    dao.govern(c.setParameter(int(Parameter.REVIEW_WINDOW), DAY))
    dao.govern(c.setParameter(int(Parameter.MIN_REVIEWER_STANDING), 0))
    dao.govern(c.setParameter(int(Parameter.MIN_REVIEWERS), 1))


def _award(dao: Dao, author: str, tag: str, effort: int = 30) -> int:
    """`author`'s work, rated 3 stars by the member who holds the most standing now (genesis included)."""
    sf = dao.sf
    dao.chain.increase_time(1)
    cid_id = sf.submit(dao[author], artifact_cid(tag), effort)
    holders = sorted((n for n in ("ada", "bo", "cy", "dee", "eli") if n != author),
                     key=lambda n: -sf.standing_of(dao[n].address))  # fmt: skip
    sf.review(dao[holders[0]], cid_id, 3)
    dao.chain.increase_time(DAY + 1)
    return int(sf.finalize(dao["zed"], cid_id)["points"])


def _assert_model(dao: Dao) -> None:
    bad = [str(c) for c in compare(dao.sf) if not c.ok]
    assert bad == []


def test_points_and_genesis_halve_each_half_life(earning_dao: Dao) -> None:
    dao = earning_dao
    sf, ada = dao.sf, dao["ada"]
    assert sf.points_of(ada.address) == FOUNDER_POINTS  # earned by her first work
    assert sf.standing_of(ada.address) == 2 * FOUNDER_POINTS  # and as much genesis standing
    dao.chain.increase_time(PARAMS.half_life * PARAMS.epoch_length)
    assert sf.points_of(ada.address) == FOUNDER_POINTS // 2
    assert sf.standing_of(ada.address) == FOUNDER_POINTS
    dao.chain.increase_time(PARAMS.half_life * PARAMS.epoch_length)
    assert sf.points_of(ada.address) == FOUNDER_POINTS // 4
    assert sf.standing_of(ada.address) == FOUNDER_POINTS // 2
    _assert_model(dao)


def test_new_points_outweigh_old_ones_by_the_decay(earning_dao: Dao) -> None:
    dao = earning_dao
    _fastest_decay(dao)
    sf = dao.sf
    dao.chain.increase_time(5 * 30 * DAY)  # five halvings of the founders' points
    points = _award(dao, "dee", "fresh")
    assert points == 30 * POINT
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
    """A community at the fastest decay, active every 90 days (three halvings), for 84 halvings:
    two era boundaries (32, 64) crossed with points awarded, revenue paid and claimed around them."""
    _fastest_decay(dao)
    sf = dao.sf
    dao.govern(sf.charter.functions.setParameter(int(Parameter.REVIEW_BUDGET_BPS), 100_000))
    for step in range(28):
        author = ("dee", "eli")[step % 2]
        assert _award(dao, author, f"era-{step}") == 30 * POINT
        sf.pay_eth(dao["zed"], ETHER)
        dao.chain.increase_time(3 * 30 * DAY)
        sf.claim(dao["zed"], dao[author].address)
    assert sf.splitter.functions.era().call() >= 2
    _assert_model(dao)


def test_a_thousand_years_at_the_shortest_half_life(dao: Dao) -> None:
    _fastest_decay(dao)
    sf = dao.sf
    _award(dao, "dee", "before")
    sf.pay_eth(dao["zed"], ETHER)
    dao.chain.increase_time(1000 * YEAR)
    halvings = sf.charter.functions.currentHalvings().call()
    assert halvings >= 1000 * 365 // 30  # one per 30 days: 12,166 halvings, 380 eras
    assert sf.points_of(dao["dee"].address) == 0  # long decayed
    assert sf.splitter.functions.totalPoints().call() == 0
    # money earned a thousand years ago is still claimable, to the wei
    owed = sf.claimable(dao["dee"].address)
    assert owed > 0
    # revenue now: nobody holds a point any more, so all of it waits as undistributed
    sf.pay_eth(dao["zed"], ETHER)
    assert sf.splitter.functions.era().call() == halvings // ERA_HALVINGS
    assert sf.splitter.functions.undistributed(ETH).call() == ETHER * 9 // 10
    assert sf.claim(dao["zed"], dao["dee"].address) == owed
    _assert_model(dao)
