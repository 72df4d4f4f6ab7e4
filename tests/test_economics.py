"""docs/economics.md's worked example, on a real chain: every number the page quotes, to the wei."""

from __future__ import annotations

import re
from pathlib import Path

from starfish_dao.chain.backends import RpcBackend
from starfish_dao.domain.charter import POINT
from tests.conftest import ETHER, PARAMS, artifact_cid, deploy_dao, founders_first_work

PAGE = (Path(__file__).resolve().parents[1] / "docs" / "economics.md").read_text()


def _quoted(text: str) -> int:
    assert text.replace(",", "") in PAGE.replace(",", ""), f"docs/economics.md no longer says {text}"
    return int(re.sub(r"\D", "", text))


def test_the_worked_example_is_what_the_chain_computes(fresh_chain: RpcBackend) -> None:
    dao = deploy_dao(fresh_chain, founder_points=1000 * POINT)
    sf = dao.sf
    # the founders' genesis standing earns nothing; their first work, accepted, earns 1,000 points each
    assert sf.claimable(dao["ada"].address) == 0 and sf.points_of(dao["ada"].address) == 0
    founders_first_work(dao, 1000 * POINT)
    assert sf.points_of(dao["ada"].address) == _quoted("1,000 points each") * POINT
    assert sf.standing_of(dao["ada"].address) == 2000 * POINT
    booking = sf.submit(dao["dee"], artifact_cid("booking page"), 120)
    for name, stars in (("ada", 4), ("bo", 5), ("cy", 3)):
        sf.review(dao[name], booking, stars)
    dao.chain.increase_time(PARAMS.review_window + 1)
    out = sf.finalize(dao["zed"], booking)
    assert (out["median"], out["points"]) == (4, 160 * POINT)
    sf.pay_eth(dao["zed"], 10 * ETHER)
    assert sf.splitter.functions.treasury("0x" + "00" * 20).call() == ETHER
    ada, dee = sf.claimable(dao["ada"].address), sf.claimable(dao["dee"].address)
    assert ada == _quoted("2,848,101,265,822,784,810")
    assert dee == _quoted("455,696,202,531,645,569")
    assert 9 * ETHER - 3 * ada - dee == 1  # "1 wei is left over"
    # half a year later: Dee's 60 new points at full weight
    dao.chain.increase_time(PARAMS.half_life * PARAMS.epoch_length)
    assert sf.points_of(dao["ada"].address) == 500 * POINT
    later = sf.submit(dao["dee"], artifact_cid("door sensor"), 60)
    sf.review(dao["ada"], later, 3)
    sf.review(dao["bo"], later, 3)
    dao.chain.increase_time(PARAMS.review_window + 1)
    sf.finalize(dao["zed"], later)
    assert sf.points_of(dao["dee"].address) == 140 * POINT
    before = {n: sf.claimable(dao[n].address) for n in ("ada", "dee")}
    sf.pay_eth(dao["zed"], 10 * ETHER)
    assert sf.claimable(dao["ada"].address) - before["ada"] == 2743902439024390244
    assert sf.claimable(dao["dee"].address) - before["dee"] == 768292682926829268
    assert "2.743902439024390244" in PAGE and "0.768292682926829268" in PAGE
