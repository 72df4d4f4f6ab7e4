"""Whether a rating could be opened, asked before it is sealed (one rule for `starfish review`
against a node and through a relay).

The approval budget is spent when ratings open, after their window: `effort × stars` star-minutes
of the epoch each opens in, against `weight × reviewBudgetBps × 3 / (10^18 × 10^4)` of the rating's
own weight (`ContributionRegistry._judge`). A rating the budget cannot open counts as no review and,
left sealed, forfeits the reviewer's review pay of that epoch. Only the reviewer's own client knows
the stars it holds sealed, so the sum is made there: the chain (or the relay) says what the epoch's
desk has spent and what this rating's weight allows, nothing more.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from starfish_dao.domain.charter import POINT

BPS = 10_000


def budget_of(weight: int, budget_bps: int) -> int:
    """The star-minutes a rating of `weight` may bring its epoch's spend to (rounded down: the
    contract refuses `spent × 10^18 × 10^4 > weight × bps × 3`, and spent is a whole number)."""
    return weight * budget_bps * 3 // (POINT * BPS)


def held_elsewhere(openings: Iterable[Any], reviewer: str, contribution: int) -> list[Any]:
    """The openings (`chain/openings.Opening`) of `reviewer`'s other ratings that spend budget (above
    0 stars): those the caller must still check are sealed and open in the same epoch."""
    return [o for o in openings if o.reviewer == reviewer and o.contribution != contribution and o.stars]


def spend_when_opened(desk_spent: int, held: Iterable[tuple[int, int]], effort: int, stars: int) -> int:
    """The star-minutes an epoch's desk will have spent once this rating opens: what it has spent,
    the ratings this client holds sealed that open in the same epoch (`held`: effort, stars), and
    this one."""
    return desk_spent + sum(e * s for e, s in held) + effort * stars
