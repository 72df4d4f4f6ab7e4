"""Contributions and reviews: commit-reveal, content uniqueness, standing-weighted reviews, budgets."""

from __future__ import annotations

import pytest

from starfish_dao.chain.deployment import deploy
from starfish_dao.chain.openings import sealed
from starfish_dao.domain.charter import POINT, CharterConfig, Founder
from starfish_dao.domain.commitment import commitment, new_salt
from starfish_dao.domain.unixfs import cid_of, content_hash
from tests.conftest import FOUNDER_POINTS, PARAMS, Dao, artifact_cid, reverts

REVEAL_WINDOW = 24 * 3600


def _window(dao: Dao) -> None:
    dao.chain.increase_time(PARAMS.review_window + 1)


def _hash(tag: str) -> bytes:
    return content_hash(tag.encode())


def test_submit_records_and_emits(dao: Dao) -> None:
    sf, dee = dao.sf, dao["dee"]
    data = b"dee's work"
    cid_id = sf.submit(dee, cid_of(data).bytes, 120)
    now = sf.now()
    c = sf.contribution(cid_id)
    assert (c["author"], c["effort"], c["status"]) == (dee.address, 120, "pending")
    assert c["reviewDeadline"] == now + PARAMS.review_window
    assert c["snapshot"] == now - 1
    assert c["minReviewers"] == PARAMS.min_reviewers
    total = sf.splitter.functions.totalPointsAt(now - 1).call()
    assert total == 3 * FOUNDER_POINTS
    assert c["quorumWeight"] == -(-total * PARAMS.quorum_bps // 10_000)
    assert sf.registry.functions.contributionOf(content_hash(data)).call() == cid_id
    assert sf.registry.functions.contributionCount().call() == cid_id
    epoch = sf.charter.functions.currentEpoch().call()
    assert sf.registry.functions.epochEffort(dee.address, epoch).call() == 120
    assert dao.model().discrepancies == []


@pytest.mark.parametrize(
    ("who", "cid", "digest", "effort", "error"),
    [
        ("zed", b"\x01" * 36, b"\x02" * 32, 10, "RegistryNotActiveMember"),
        ("dee", b"", b"\x02" * 32, 10, "RegistryInvalidCid"),
        ("dee", b"\x01" * 129, b"\x02" * 32, 10, "RegistryInvalidCid"),
        ("dee", b"\x01" * 36, b"\x00" * 32, 10, "RegistryInvalidCid"),
        ("dee", b"\x01" * 36, b"\x02" * 32, 0, "RegistryInvalidEffort"),
        ("dee", b"\x01" * 36, b"\x02" * 32, PARAMS.max_effort + 1, "RegistryInvalidEffort"),
    ],
)
def test_submit_refusals(dao: Dao, who: str, cid: bytes, digest: bytes, effort: int, error: str) -> None:
    with reverts(error):
        dao.sf.submit(dao[who], cid, effort, digest)


def test_a_reveal_needs_its_own_posted_commitment(dao: Dao) -> None:
    sf, dee, eli = dao.sf, dao["dee"], dao["eli"]
    cid, digest, salt = artifact_cid("secret"), _hash("secret"), new_salt()
    with reverts("RegistryNotCommitted"):
        sf.reveal(dee, cid, digest, 60, salt)  # nothing posted
    sf.commit(dee, commitment(dee.address, digest, salt))
    with reverts("RegistryAlreadyCommitted"):
        sf.commit(eli, commitment(dee.address, digest, salt))
    with reverts("RegistryNotCommitted"):
        sf.reveal(dee, cid, digest, 60, new_salt())  # another salt
    with reverts("RegistryNotCommitted"):
        sf.reveal(eli, cid, digest, 60, salt)  # the commitment names dee, not eli
    dao.chain.increase_time(REVEAL_WINDOW + 1)
    with reverts("RegistryCommitExpired"):
        sf.reveal(dee, cid, digest, 60, salt)
    salt2 = new_salt()
    sf.commit(dao["relay"], commitment(dee.address, digest, salt2))  # anyone may post it for dee
    cid_id = sf.reveal(dee, cid, digest, 60, salt2)
    assert sf.contribution(cid_id)["author"] == dee.address
    with reverts("RegistryNotCommitted"):  # a commitment reveals once
        sf.reveal(dee, cid, digest, 60, salt2)


def test_content_not_encoding_is_unique(dao: Dao) -> None:
    """Finding 3: the same bytes under CIDv0 and CIDv1 earned twice; now the content hash decides."""
    data = b"a floor plan, pinned twice" * 100
    v0, v1 = cid_of(data, 0).bytes, cid_of(data, 1).bytes
    assert v0 != v1
    first = dao.sf.submit(dao["dee"], v1, 60, content_hash(data))
    with reverts("RegistryArtifactAlreadyClaimed", contentHash="0x" + content_hash(data).hex(), id=first):
        dao.sf.submit(dao["eli"], v0, 60, content_hash(data))
    with reverts("RegistryArtifactAlreadyClaimed"):  # nor by its author again
        dao.sf.submit(dao["dee"], v0, 60, content_hash(data))


def test_a_rejected_claim_frees_the_content(dao: Dao) -> None:
    sf = dao.sf
    cid = artifact_cid("try again")
    first = sf.submit(dao["dee"], cid, 60)
    _window(dao)
    assert sf.finalize(dao["zed"], first)["accepted"] is False  # nobody reviewed it
    second = sf.submit(dao["dee"], cid, 60)
    sf.review(dao["ada"], second, 3)
    sf.review(dao["bo"], second, 3)
    _window(dao)
    assert sf.finalize(dao["zed"], second)["accepted"] is True
    with reverts("RegistryArtifactAlreadyClaimed", id=second):  # accepted content stays claimed
        sf.submit(dao["eli"], cid, 60)
    assert dao.model().discrepancies == []


def test_the_earliest_commitment_wins(dao: Dao) -> None:
    """Finding 2: whoever learns the content after the author committed cannot keep it."""
    sf, dee, eli = dao.sf, dao["dee"], dao["eli"]
    cid, digest = artifact_cid("stolen?"), _hash("stolen?")
    salt = new_salt()
    sf.commit(dee, commitment(dee.address, digest, salt))  # dee commits first, revealing nothing
    thief = sf.submit(eli, cid, 60, digest)  # eli learned the content (say, from an IPFS announcement)
    sf.review(dao["ada"], thief, 5)
    mine = sf.reveal(dee, cid, digest, 60, salt)  # the earlier commitment supersedes the thief
    assert sf.contribution(thief)["status"] == "superseded"
    assert sf.contribution(mine)["author"] == dee.address
    assert sf.registry.functions.contributionOf(digest).call() == mine
    with reverts("RegistryNotPending", id=thief):
        sf.review(dao["bo"], thief, 5)
    _window(dao)
    with reverts("RegistryNotPending", id=thief):
        sf.finalize(dao["zed"], thief)
    model = dao.model()
    assert model.discrepancies == []
    assert model.contributions[thief].superseded_by == mine


def test_a_later_commitment_cannot_take_pending_content(dao: Dao) -> None:
    sf = dao.sf
    cid = artifact_cid("mine first")
    first = sf.submit(dao["dee"], cid, 60)
    with reverts("RegistryArtifactAlreadyClaimed", id=first):
        sf.submit(dao["eli"], cid, 60)
    assert sf.contribution(first)["status"] == "pending"


def test_effort_per_epoch_is_capped(dao: Dao) -> None:
    sf, dee = dao.sf, dao["dee"]
    sf.submit(dee, artifact_cid("a"), PARAMS.max_effort)
    sf.submit(dee, artifact_cid("b"), PARAMS.max_effort_per_epoch - PARAMS.max_effort)
    with reverts("RegistryEpochEffortExceeded", author=dee.address, cap=PARAMS.max_effort_per_epoch):
        sf.submit(dee, artifact_cid("c"), 1)
    dao.chain.increase_time(PARAMS.epoch_length)  # a new epoch, a new budget
    sf.submit(dee, artifact_cid("c"), 1)


SALT = b"\x07" * 32


def test_review_refusals(dao: Dao) -> None:
    """A rating is sealed while the window is open and opened after it closes; each refusal where
    it belongs (who may rate at the seal, what the rating is at the reveal)."""
    sf = dao.sf
    cid_id = sf.submit(dao["dee"], artifact_cid("r"), 60)
    seal = b"\x01" * 32
    with reverts("RegistryUnknownContribution", id=999):
        sf._send(dao["ada"], sf.registry.functions.sealReview(999, seal))
    with reverts("RegistrySelfReview"):
        sf.review(dao["dee"], cid_id, 5)
    with reverts("RegistryNotActiveMember", account=dao["zed"].address):
        sf.review(dao["zed"], cid_id, 3)
    with reverts("RegistryInsufficientStanding", standing=0, required=1):  # no standing: no seal
        sf.review(dao["eli"], cid_id, 3)
    with reverts("RegistryNotSealed", id=cid_id, reviewer=dao["ada"].address):
        sf._send(dao["ada"], sf.registry.functions.sealReview(cid_id, b"\x00" * 32))
    # six stars and a comment past 128 bytes can be sealed (nobody can tell) but never opened
    sf._send(dao["ada"], sf.registry.functions.sealReview(cid_id, sealed(dao["ada"].address, cid_id, 6, b"", SALT)))
    sf.review(dao["bo"], cid_id, 3, b"\x00" * 129)
    sf.openings.drop(cid_id, dao["bo"].address)
    with reverts("RegistryAlreadyReviewed", reviewer=dao["ada"].address, id=cid_id):
        sf.review(dao["ada"], cid_id, 4)
    with reverts("RegistryReviewWindowOpen"):  # nothing is opened while others may still rate
        sf._send(dao["zed"], sf.registry.functions.revealReview(cid_id, dao["ada"].address, 6, b"", SALT))
    sf.review(dao["cy"], cid_id, 4)
    _window(dao)
    with reverts("RegistryReviewWindowClosed"):
        sf.review(dao["eli"], cid_id, 3)
    with reverts("RegistryInvalidStars", stars=6):
        sf._send(dao["zed"], sf.registry.functions.revealReview(cid_id, dao["ada"].address, 6, b"", SALT))
    with reverts("RegistryInvalidCid"):
        sf._send(dao["zed"], sf.registry.functions.revealReview(cid_id, dao["bo"].address, 3, b"\x00" * 129, SALT))
    with reverts("RegistryWrongOpening", id=cid_id, reviewer=dao["cy"].address):  # another rating than sealed
        held = sf.openings.get(cid_id, dao["cy"].address)
        assert held is not None
        sf._send(dao["zed"], sf.registry.functions.revealReview(cid_id, held.reviewer, 5, b"", held.salt))
    with reverts("RegistryNotSealed", id=cid_id, reviewer=dao["eli"].address):
        sf._send(dao["zed"], sf.registry.functions.revealReview(cid_id, dao["eli"].address, 3, b"", SALT))
    assert sf.reveal_due(dao["zed"]) == 1  # anyone may send an opening: here cy's, from zed
    with reverts("RegistryNotSealed", id=cid_id, reviewer=dao["cy"].address):  # opened once
        sf._send(dao["zed"], sf.registry.functions.revealReview(cid_id, held.reviewer, 4, b"", held.salt))
    assert sf.registry.functions.hasReviewed(cid_id, dao["ada"].address).call()  # sealed counts as reviewed
    assert not sf.registry.functions.hasReviewed(cid_id, dao["eli"].address).call()
    assert sf.contribution(cid_id)["tally"] == [0, 0, 0, 0, FOUNDER_POINTS, 0]
    assert sf.contribution(cid_id)["sealedReviews"] == 3
    with reverts("RegistryRevealsPending", id=cid_id, count=2):  # ada's and bo's may still open
        sf._send(dao["zed"], sf.registry.functions.finalize(cid_id))
    dao.chain.increase_time(3 * 24 * 3600)
    with reverts("RegistryRevealWindowClosed"):
        sf._send(dao["zed"], sf.registry.functions.revealReview(cid_id, dao["bo"].address, 3, b"\x00" * 129, SALT))
    out = sf.finalize(dao["zed"], cid_id)  # the unopened ones count as no review
    assert (out["reviewers"], out["accepted"]) == (1, False)
    # the unopened seals stay on chain: who sealed and never opened is plain to see
    unopened = [sf.registry.functions.sealedRating(cid_id, dao[n].address).call() != bytes(32) for n in ("ada", "bo")]
    # the seal's word: its top 144 bits, and the weight fixed when it was sealed
    word = int.from_bytes(sf.registry.functions.sealedRating(cid_id, dao["ada"].address).call(), "big")
    assert word & (2**112 - 1) == FOUNDER_POINTS
    assert word >> 112 == int.from_bytes(sealed(dao["ada"].address, cid_id, 6, b"", SALT), "big") >> 112
    assert unopened == [True, True]
    # an opened rating's word is its record for review pay: top bits 0, bit 111, the epoch, no previous
    # rating of the epoch (cy's first), 4 stars
    opened = int.from_bytes(sf.registry.functions.sealedRating(cid_id, dao["cy"].address).call(), "big")
    epoch = dao.model().ratings[(cid_id, dao["cy"].address)][2]
    assert opened == (1 << 111) | (epoch << 8) | (0 << 3) | 4
    assert dao.model().discrepancies == []


def test_standing_earned_in_an_epoch_weighs_from_the_next(dao: Dao) -> None:
    """A review weighs the standing the reviewer held when the submission's epoch began: points
    awarded within an epoch do not count on any work submitted in it, before or after the award
    (issue 25, finding 1: a ring cannot compound within one epoch)."""
    sf = dao.sf
    dee_work = sf.submit(dao["dee"], artifact_cid("dee's"), 60)
    sf.review(dao["ada"], dee_work, 3)
    sf.review(dao["bo"], dee_work, 3)
    dao.chain.increase_time(2 * 24 * 3600)
    open_work = sf.submit(dao["eli"], artifact_cid("open"), 60)  # submitted while dee has no points
    dao.chain.increase_time(PARAMS.review_window - 2 * 24 * 3600 + 1)
    sf.finalize(dao["zed"], dee_work)
    assert sf.points_of(dao["dee"].address) == 60 * POINT  # dee has standing now ...
    with reverts("RegistryInsufficientStanding", reviewer=dao["dee"].address, standing=0):
        sf.review(dao["dee"], open_work, 5)  # ... which does not count on work submitted before
    epoch = sf.charter.functions.currentEpoch().call()
    dao.chain.increase_time(1)
    same_epoch = sf.submit(dao["eli"], artifact_cid("same epoch"), 60)
    assert sf.charter.functions.currentEpoch().call() == epoch
    with reverts("RegistryInsufficientStanding", reviewer=dao["dee"].address, standing=0):
        sf.review(dao["dee"], same_epoch, 5)  # ... nor on work submitted later in the same epoch
    start = sf.charter.functions.currentEpochStart().call()
    dao.chain.increase_time(start + PARAMS.epoch_length - dao.chain.w3.eth.get_block("latest")["timestamp"])
    later = sf.submit(dao["eli"], artifact_cid("later"), 60)
    assert sf.charter.functions.currentEpoch().call() == epoch + 1
    sf.review(dao["dee"], later, 5)  # ... and counts from the next epoch on
    _window(dao)
    assert sf.reveal_due(dao["zed"], later) == 1
    assert sf.registry.functions.tally(later).call()[5] == 60 * POINT
    assert dao.model().discrepancies == []


def test_finalize_paths(dao: Dao) -> None:
    sf, anyone = dao.sf, dao["zed"]
    with reverts("RegistryUnknownContribution"):
        sf.finalize(anyone, 12345)
    lonely = sf.submit(dao["dee"], artifact_cid("lonely"), 60)
    judged = sf.submit(dao["eli"], artifact_cid("judged"), 60)
    sf.review(dao["ada"], lonely, 5)
    for reviewer, stars in (("ada", 2), ("bo", 5), ("cy", 4)):
        sf.review(dao[reviewer], judged, stars)
    with reverts("RegistryReviewWindowOpen"):
        sf.finalize(anyone, judged)
    _window(dao)
    out = sf.finalize(anyone, lonely)  # one reviewer: below min_reviewers
    assert (out["accepted"], out["reviewers"], out["points"]) == (False, 1, 0)
    assert sf.contribution(lonely)["status"] == "rejected"
    out = sf.finalize(anyone, judged)
    # equal standing, ratings 2, 4, 5: the weighted median is 4 -> 60 minutes * 4 / 3 = 80 points
    assert (out["accepted"], out["median"], out["points"]) == (True, 4, 80 * POINT)
    assert out["weight"] == 3 * FOUNDER_POINTS
    assert sf.points_of(dao["eli"].address) == 80 * POINT
    assert sf.contribution(judged)["tally"] == [0, 0, FOUNDER_POINTS, 0, FOUNDER_POINTS, FOUNDER_POINTS]
    with reverts("RegistryNotPending"):
        sf.finalize(anyone, judged)
    model = dao.model()
    assert model.discrepancies == []
    assert model.points_of(dao["eli"].address, sf.now()) == 80 * POINT


def test_one_retaliating_reviewer_cannot_halve_an_award(dao: Dao) -> None:
    """Finding 5: 5 and 0 stars of equal standing gave half the points; a tie keeps the higher rating."""
    sf = dao.sf
    cid_id = sf.submit(dao["dee"], artifact_cid("tie"), 60)
    sf.review(dao["ada"], cid_id, 5)
    sf.review(dao["bo"], cid_id, 0)  # retaliation
    _window(dao)
    out = sf.finalize(dao["zed"], cid_id)
    assert (out["median"], out["points"]) == (5, 100 * POINT)


def test_an_honest_majority_of_standing_zeroes_work(dao: Dao) -> None:
    """Finding 1: the reviewer who gives 0 stars is no longer outvoted by count."""
    sf = dao.sf
    # bo is slashed to a tenth of ada's standing; cy and ada together hold the majority
    dao.govern(sf.splitter.functions.slash(dao["bo"].address, 9000))
    dao.chain.increase_time(1)  # standing counts as of the second before a submission
    cid_id = sf.submit(dao["dee"], artifact_cid("padding"), 60)
    sf.review(dao["bo"], cid_id, 5)
    sf.review(dao["ada"], cid_id, 0)
    _window(dao)
    out = sf.finalize(dao["zed"], cid_id)
    assert (out["accepted"], out["median"], out["points"]) == (True, 0, 0)
    # and two ratings of 5 by bo and cy (cy alone outweighs ada) win against ada's 0
    second = sf.submit(dao["dee"], artifact_cid("good"), 12)  # small: bo's budget is a tenth of ada's
    sf.review(dao["ada"], second, 0)
    sf.review(dao["bo"], second, 5)
    sf.review(dao["cy"], second, 5)
    _window(dao)
    assert sf.finalize(dao["zed"], second)["median"] == 5
    assert dao.model().discrepancies == []


def test_quorum_is_measured_in_standing(dao: Dao) -> None:
    sf = dao.sf
    for name in ("ada", "bo"):  # two reviewers left with 1 % of their standing each: 12 of 1,212 points
        dao.govern(sf.splitter.functions.slash(dao[name].address, 9900))
    dao.chain.increase_time(1)
    cid_id = sf.submit(dao["dee"], artifact_cid("thin"), 6)  # 30 star-minutes: within a 6-point budget
    c = sf.contribution(cid_id)
    sf.review(dao["ada"], cid_id, 5)
    sf.review(dao["bo"], cid_id, 5)
    _window(dao)
    out = sf.finalize(dao["zed"], cid_id)
    assert out["reviewers"] == 2 and out["weight"] < c["quorumWeight"]
    assert out["accepted"] is False
    assert dao.model().discrepancies == []


def test_a_reviewer_approves_at_most_their_budget_per_epoch(dao: Dao) -> None:
    """The budget is spent when a rating is revealed (the stars are unknown before): a reveal past it
    is refused, and the rating counts as none."""
    sf, ada = dao.sf, dao["ada"]
    budget = FOUNDER_POINTS * PARAMS.review_budget_bps * 3 // (POINT * 10_000)  # star-minutes
    assert budget == 3600  # 600 points, twice over, at 3 star-minutes a point
    big = sf.submit(dao["dee"], artifact_cid("big"), 720)
    sf.review(ada, big, 5)  # 720 * 5 = 3,600 star-minutes: the whole budget
    small = sf.submit(dao["eli"], artifact_cid("small"), 10)
    zero = sf.submit(dao["eli"], artifact_cid("zero"), 10)
    sf.review(ada, small, 1)
    sf.review(ada, zero, 0)  # a 0-star rating mints nothing and costs nothing
    _window(dao)
    epoch = sf.charter.functions.currentEpoch().call()
    assert sf.reveal_due(dao["zed"], big) == 1
    small_opening = sf.openings.get(small, ada.address)
    assert small_opening is not None
    with reverts("RegistryReviewBudgetExceeded", reviewer=ada.address, epoch=epoch, spent=3610, budget=budget):
        sf.reveal_review(dao["zed"], small_opening)
    assert sf.reveal_due(dao["zed"]) == 1  # the 0-star one; the 1-star one is refused and dropped
    assert [(o.contribution, e.name) for o, e in sf.refused_reveals] == [(small, "RegistryReviewBudgetExceeded")]
    assert sf.registry.functions.budgetSpent(ada.address, epoch).call() == 3600
    dao.chain.increase_time(PARAMS.epoch_length)  # a new epoch, a new budget
    third = sf.submit(dao["dee"], artifact_cid("third"), 10)
    sf.review(ada, third, 5)
    _window(dao)
    assert sf.reveal_due(dao["zed"], third) == 1
    model = dao.model()
    assert model.discrepancies == []
    assert model.budget_spent[(ada.address, epoch)] == 3600


def _ring_mints(dao: Dao, sybils: int) -> int:
    """Two colluding founders approve every contribution of `sybils` fresh addresses at 5 stars, as
    much as the contracts let them, in one epoch; the points the Sybils end up with."""
    sf, ring = dao.sf, (dao["ada"], dao["bo"])
    from eth_account import Account

    fakes = [Account.create() for _ in range(sybils)]
    ids = []
    for n, fake in enumerate(fakes):
        dao.chain.fund(fake.address, 10**18)
        sf.join(fake)
        for k in range(24 // sybils):  # the same 24 contributions of 60 minutes in all
            ids.append(sf.submit(fake, artifact_cid(f"sybil {sybils} {n} {k}"), 60))
    for cid_id in ids:
        for reviewer in ring:
            try:
                sf.review(reviewer, cid_id, 5)
            except Exception as exc:  # noqa: BLE001 - a budget refusal ends the ring's approvals
                assert "RegistryReviewBudgetExceeded" in str(exc), exc
    _window(dao)
    sf.reveal_due(dao["zed"])  # in the order sealed: the budget refuses the reveals past it
    dao.chain.increase_time(3 * 24 * 3600 + 1)  # the refused ones stay sealed until the reveal window ends
    for cid_id in ids:
        sf.finalize(dao["zed"], cid_id)
    return sum(sf.points_of(f.address) for f in fakes)


@pytest.mark.parametrize("sybils", [1, 4, 24])
def test_a_ring_mints_no_more_with_more_sybil_addresses(dao: Dao, sybils: int) -> None:
    """Finding 1: two colluders approving fresh Sybil authors minted 32,000 points in an epoch against
    the 16,000 their caps allowed, and more with every address. Now what their approvals create in one
    epoch is bounded by their own standing: budget = standing * reviewBudgetBps, and a contribution's
    points are at most what its highest approving reviewer spent / 3."""
    minted = _ring_mints(dao, sybils)
    # every 60-minute contribution at 5 stars costs each ring member 300 star-minutes of 3,600: 12 pass
    assert minted == 12 * 100 * POINT
    bound = 2 * FOUNDER_POINTS * PARAMS.review_budget_bps // 10_000  # the ring's standing, twice over
    assert minted <= bound
    assert dao.model().discrepancies == []


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
        dao.sf._send(dao["ada"], dao.sf.splitter.functions.award(dao["ada"].address, 1, 10**30, 0))


def test_three_founders_work_out_of_the_box(fresh_chain) -> None:  # type: ignore[no-untyped-def]
    """The default charter and three founders with the recommended genesis points: work is accepted."""
    from eth_account import Account

    from starfish_dao.chain.client import Starfish
    from starfish_dao.domain.charter import Params

    people = [Account.create() for _ in range(3)]
    for p in people:
        fresh_chain.fund(p.address, 10**20)
    cfg = CharterConfig(
        params=Params(),
        document_cid=artifact_cid("charter"),
        founders=tuple(Founder(p.address, 5000 * POINT) for p in people),  # the recommended genesis
    )
    sf = Starfish(fresh_chain.w3, deploy(fresh_chain.w3, people[0], cfg))
    for p in people:
        sf.join(p)
    work = sf.submit(people[0], artifact_cid("first week"), Params().max_effort)
    sf.review(people[1], work, 4)
    sf.review(people[2], work, 3)
    fresh_chain.increase_time(Params().review_window + 1)
    out = sf.finalize(people[1], work)
    assert out["accepted"] and out["median"] == 4  # a tie of equal standing keeps the higher rating
