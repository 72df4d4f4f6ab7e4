"""Unsigned Reveals cost the relay nothing for nothing (issue 25's sealed ratings, found by an
attacker session on anvil): each refused before 202 when it would revert where the relay can have
it mined. Both tests failed on the first version of the Reveal intake (two 202s and a paid revert;
a 202 and a paid revert)."""

from __future__ import annotations

from tests.conftest import PARAMS, Dao, artifact_cid
from tests.relay.conftest import RelayHarness

RATING_REVEAL_WINDOW = 3 * 24 * 3600


def _failed_on_chain(relay: RelayHarness) -> int:
    return int(relay.relay.queue.counts().get("failed", 0))


def test_two_reveals_that_together_pass_a_reviewers_budget_are_never_both_sent(dao: Dao, relay: RelayHarness) -> None:
    """Ada's budget (600 points, twice over: 3,600 star-minutes) covers one 600-minute work at 5
    stars, not two. Her two Reveals were each simulated alone (two conflict keys), both were
    accepted, and the second reverted in the relay's pay. Now a reviewer's Reveals are simulated one
    after the other: the second is refused, naming the budget."""
    sf, c = dao.sf, relay.client
    works = [sf.submit(dao[a], artifact_cid(f"big {a}"), 600) for a in ("dee", "eli")]
    for work in works:
        sf.review(dao["ada"], work, 5)
    dao.chain.increase_time(PARAMS.review_window + 1)
    first, second = (relay.reveals(work)[0] for work in works)
    accepted = c.post("/v1/actions", json=first)
    assert accepted.status_code == 202, accepted.text
    refused = c.post("/v1/actions", json=second)  # while the first is still in flight
    problem = refused.json()
    assert refused.status_code == 409 and problem["code"] == "conflicts_with_pending", refused.text
    assert problem["contractError"] == "RegistryReviewBudgetExceeded", refused.text
    assert relay.wait(accepted.json()["id"])["status"] == "mined"
    assert _failed_on_chain(relay) == 0


def test_a_reveal_in_the_last_seconds_of_its_window_is_refused_not_sent_to_revert(
    dao: Dao, relay: RelayHarness
) -> None:
    """The latest block one second before the reveal window ends: a Reveal simulated there passes,
    but the relay cannot have it mined in time. It is simulated also where the relay can be sure
    to have it mined (SIMULATE_AHEAD from the chain's time), and refused."""
    sf, c = dao.sf, relay.client
    work = sf.submit(dao["dee"], artifact_cid("late opening"), 60)
    sf.review(dao["ada"], work, 4)
    deadline = sf.contribution(work)["reviewDeadline"]
    dao.chain._dev("evm_setNextBlockTimestamp", [deadline + RATING_REVEAL_WINDOW - 1])
    dao.chain._dev("evm_mine", [])
    late = c.post("/v1/actions", json=relay.reveals(work)[0])
    assert late.status_code == 422 and late.json()["contractError"] == "RegistryRevealWindowClosed", late.text
    assert _failed_on_chain(relay) == 0
    # in good time, the same opening is accepted and mined
    early = sf.submit(dao["eli"], artifact_cid("opened in time"), 60)
    sf.review(dao["ada"], early, 4)
    dao.chain.increase_time(PARAMS.review_window + 1)
    opened = c.post("/v1/actions", json=relay.reveals(early)[0])
    assert opened.status_code == 202, opened.text
    assert relay.wait(opened.json()["id"])["status"] == "mined"
