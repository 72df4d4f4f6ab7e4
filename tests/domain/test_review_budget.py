"""The client's budget rule says exactly what the contract will: `spent > budget_of(weight, bps)`
holds where `ContributionRegistry._judge` refuses (`spent * 10^18 * 10^4 > weight * bps * 3`),
rounding included."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from starfish_dao.domain.review_budget import budget_of, spend_when_opened

POINT, BPS = 10**18, 10_000


@given(
    weight=st.integers(0, 2**112 - 1),
    bps=st.integers(1, 100_000),
    spent=st.integers(0, 2**64 - 1),
)
def test_the_budget_refuses_where_the_contract_does(weight: int, bps: int, spent: int) -> None:
    assert (spent > budget_of(weight, bps)) == (spent * POINT * BPS > weight * bps * 3)


def test_the_budget_at_its_edge() -> None:
    weight = 600 * POINT  # 600 points at 200 %: 3,600 star-minutes exactly
    assert budget_of(weight, 20_000) == 3_600
    assert budget_of(weight - 1, 20_000) == 3_599  # a wei less rounds down to the whole star-minute below
    assert spend_when_opened(100, [(60, 5), (30, 0)], 500, 4) == 100 + 300 + 0 + 2_000
