"""A smoke subset on the in-process py-evm backend (no binary needed)."""

from __future__ import annotations

import pytest
from eth_account import Account

from starfish_dao.chain.backends import PyEvmBackend
from starfish_dao.chain.client import Starfish
from starfish_dao.chain.deployment import deploy
from starfish_dao.domain.charter import POINT, CharterConfig, Founder
from starfish_dao.domain.model import ETH
from starfish_dao.verify.state import compare
from tests.conftest import ETHER, PARAMS, artifact_cid, reverts

pytestmark = pytest.mark.pyevm


def test_lifecycle_on_pyevm() -> None:
    backend = PyEvmBackend()
    people = {n: Account.create() for n in ("ada", "bo", "dee", "zed")}
    for account in people.values():
        backend.fund(account.address, 100 * ETHER)
    cfg = CharterConfig(
        PARAMS,
        artifact_cid("charter"),
        (),
        (Founder(people["ada"].address, 100 * POINT), Founder(people["bo"].address, 100 * POINT)),
        people["ada"].address,
    )
    sf = Starfish(backend.w3, deploy(backend.w3, people["ada"], cfg))
    for name in ("ada", "bo", "dee"):
        sf.join(people[name])
    cid_id = sf.submit(people["dee"], artifact_cid("work"), 90)
    sf.review(people["ada"], cid_id, 3)
    sf.submit_signed(people["zed"], sf.sign_review(people["bo"], cid_id, 5))
    with reverts("RegistrySelfReview"):
        sf.review(people["dee"], cid_id, 5)
    backend.increase_time(PARAMS.review_window + 1)
    assert sf.finalize(people["zed"], cid_id)["points"] == 90 * POINT * 5 // 3  # equal standing: a tie keeps 5
    sf.pay_eth(people["zed"], 5 * ETHER)
    assert sf.claim(people["zed"], people["dee"].address) > 0
    sf.leave(people["dee"])
    bad = [str(c) for c in compare(sf) if not c.ok]
    assert bad == []
    assert sf.claimable(people["ada"].address, ETH) == 0  # genesis standing earns nothing
    assert sf.standing_of(people["ada"].address) == 100 * POINT
