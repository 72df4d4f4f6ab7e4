"""Contributions and reviews: every path of submit, review and finalize."""

from __future__ import annotations

import pytest

from starfish_dao.domain.charter import POINT
from tests.conftest import PARAMS, Dao, artifact_cid, reverts


def _window(dao: Dao) -> None:
    dao.chain.increase_time(PARAMS.review_window + 1)


def test_submit_records_and_emits(dao: Dao) -> None:
    sf, dee = dao.sf, dao["dee"]
    cid = artifact_cid("dee's work")
    cid_id = sf.submit(dee, cid, 120)
    c = sf.contribution(cid_id)
    assert (c["author"], c["effort"], c["status"]) == (dee.address, 120, "pending")
    assert c["reviewDeadline"] == sf.now() + PARAMS.review_window
    assert sf.registry.functions.isClaimed(cid).call()
    assert sf.registry.functions.contributionOf(cid).call() == cid_id
    assert sf.registry.functions.contributionCount().call() == cid_id
    epoch = sf.charter.functions.currentEpoch().call()
    assert sf.registry.functions.epochEffort(dee.address, epoch).call() == 120


@pytest.mark.parametrize(
    ("who", "cid", "effort", "error"),
    [
        ("zed", b"\x01" * 36, 10, "RegistryNotActiveMember"),
        ("dee", b"", 10, "RegistryInvalidCid"),
        ("dee", b"\x01" * 129, 10, "RegistryInvalidCid"),
        ("dee", b"\x01" * 36, 0, "RegistryInvalidEffort"),
        ("dee", b"\x01" * 36, PARAMS.max_effort + 1, "RegistryInvalidEffort"),
    ],
)
def test_submit_refusals(dao: Dao, who: str, cid: bytes, effort: int, error: str) -> None:
    with reverts(error):
        dao.sf.submit(dao[who], cid, effort)


def test_an_artifact_is_claimed_once(dao: Dao) -> None:
    cid = artifact_cid("shared")
    dao.sf.submit(dao["dee"], cid, 10)
    with reverts("RegistryArtifactAlreadyClaimed"):
        dao.sf.submit(dao["eli"], cid, 10)


def test_effort_per_epoch_is_capped(dao: Dao) -> None:
    sf, dee = dao.sf, dao["dee"]
    sf.submit(dee, artifact_cid("a"), PARAMS.max_effort)
    sf.submit(dee, artifact_cid("b"), PARAMS.max_effort_per_epoch - PARAMS.max_effort)
    with reverts("RegistryEpochEffortExceeded", author=dee.address, cap=PARAMS.max_effort_per_epoch):
        sf.submit(dee, artifact_cid("c"), 1)
    dao.chain.increase_time(PARAMS.epoch_length)  # a new epoch, a new budget
    sf.submit(dee, artifact_cid("c"), 1)


def test_review_refusals(dao: Dao) -> None:
    sf = dao.sf
    cid_id = sf.submit(dao["dee"], artifact_cid("r"), 60)
    with reverts("RegistryInvalidStars", stars=6):
        sf.review(dao["ada"], cid_id, 6)
    with reverts("RegistryUnknownContribution", id=999):
        sf.review(dao["ada"], 999, 3)
    with reverts("RegistrySelfReview"):
        sf.review(dao["dee"], cid_id, 5)
    with reverts("RegistryNotActiveMember", account=dao["zed"].address):
        sf.review(dao["zed"], cid_id, 3)
    with reverts("RegistryInsufficientStanding", standing=0, required=PARAMS.min_reviewer_standing):
        sf.review(dao["eli"], cid_id, 3)
    with reverts("RegistryInvalidCid"):
        sf.review(dao["ada"], cid_id, 3, b"\x00" * 129)
    sf.review(dao["ada"], cid_id, 3)
    with reverts("RegistryAlreadyReviewed", reviewer=dao["ada"].address, id=cid_id):
        sf.review(dao["ada"], cid_id, 4)
    _window(dao)
    with reverts("RegistryReviewWindowClosed"):
        sf.review(dao["bo"], cid_id, 3)
    assert sf.registry.functions.hasReviewed(cid_id, dao["ada"].address).call()
    assert not sf.registry.functions.hasReviewed(cid_id, dao["bo"].address).call()


def test_finalize_paths(dao: Dao) -> None:
    sf, anyone = dao.sf, dao["zed"]
    with reverts("RegistryUnknownContribution"):
        sf.finalize(anyone, 12345)
    lonely = sf.submit(dao["dee"], artifact_cid("lonely"), 60)
    judged = sf.submit(dao["eli"], artifact_cid("judged"), 60)
    sf.review(dao["ada"], lonely, 5)
    for reviewer, stars in (("ada", 2), ("bo", 5), ("cy", 4), ("dee", 0)):
        if reviewer == "dee":
            continue  # dee has no standing yet
        sf.review(dao[reviewer], judged, stars)
    with reverts("RegistryReviewWindowOpen"):
        sf.finalize(anyone, judged)
    _window(dao)
    out = sf.finalize(anyone, lonely)
    assert (out["accepted"], out["reviews"], out["points"]) == (False, 1, 0)
    assert sf.contribution(lonely)["status"] == "rejected"
    out = sf.finalize(anyone, judged)
    # ratings 2, 4, 5: median 4 -> 60 minutes * 4 / 3 = 80 points
    assert (out["accepted"], out["medianTimesTwo"], out["points"]) == (True, 8, 80 * POINT)
    assert sf.points_of(dao["eli"].address) == 80 * POINT
    assert sf.contribution(judged)["tally"] == [0, 0, 1, 0, 1, 1]
    with reverts("RegistryAlreadyFinalized"):
        sf.finalize(anyone, judged)
    model = dao.model()
    assert model.discrepancies == []
    assert model.points_of(dao["eli"].address, sf.now()) == 80 * POINT


def test_even_number_of_reviews_takes_the_mean_of_the_middle_two(dao: Dao) -> None:
    sf = dao.sf
    cid_id = sf.submit(dao["dee"], artifact_cid("even"), 7)
    sf.review(dao["ada"], cid_id, 3)
    sf.review(dao["bo"], cid_id, 4)
    _window(dao)
    out = sf.finalize(dao["zed"], cid_id)
    assert out["medianTimesTwo"] == 7
    assert out["points"] == 7 * POINT * 7 // 6  # rounded down


def test_zero_median_is_accepted_with_no_points(dao: Dao) -> None:
    sf = dao.sf
    cid_id = sf.submit(dao["dee"], artifact_cid("worthless"), 60)
    sf.review(dao["ada"], cid_id, 0)
    sf.review(dao["bo"], cid_id, 0)
    _window(dao)
    out = sf.finalize(dao["zed"], cid_id)
    assert (out["accepted"], out["points"]) == (True, 0)
    assert sf.points_of(dao["dee"].address) == 0


def test_award_is_only_for_the_registry(dao: Dao) -> None:
    with reverts("SplitterOnlyRegistry", caller=dao["ada"].address):
        dao.sf._send(dao["ada"], dao.sf.splitter.functions.award(dao["ada"].address, 1, 10**30))
