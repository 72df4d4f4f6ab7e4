"""The pure arithmetic the contracts and the model share: medians, points, shifts."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from starfish_dao.domain.charter import BOUNDS, Parameter, Params
from starfish_dao.domain.errors import ConfigError, ModelError
from starfish_dao.domain.model import ERA_HALVINGS, points_for, shift, weighted_median


@given(st.lists(st.tuples(st.integers(0, 5), st.integers(1, 10**30)), min_size=1, max_size=40))
def test_weighted_median_is_the_upper_weighted_median(reviews: list[tuple[int, int]]) -> None:
    weights = [sum(w for s, w in reviews if s == stars) for stars in range(6)]
    total = sum(weights)
    median = weighted_median(weights)
    # at least half of the weight rated it the median or more ...
    assert 2 * sum(weights[median:]) >= total
    # ... and the highest such rating: less than half rated it above
    assert median == 5 or 2 * sum(weights[median + 1 :]) < total


@given(st.lists(st.integers(0, 5), min_size=1, max_size=60))
def test_with_equal_weights_it_is_the_upper_median(ratings: list[int]) -> None:
    weights = [ratings.count(s) for s in range(6)]
    assert weighted_median(weights) == sorted(ratings)[len(ratings) // 2]


def test_the_documented_examples() -> None:
    assert weighted_median([1, 0, 0, 0, 0, 1]) == 5  # 0 and 5 of equal standing: a tie keeps 5
    assert weighted_median([2, 0, 0, 0, 0, 1]) == 0  # a strict majority of standing at 0 zeroes it
    assert weighted_median([0, 0, 0, 1, 1, 1]) == 4  # 3, 4, 5 of equal standing
    assert weighted_median([0, 0, 0, 10, 0, 9]) == 3  # a lighter 5 does not lift a heavier 3


def test_median_of_no_weight_is_an_error() -> None:
    with pytest.raises(ModelError):
        weighted_median([0] * 6)


def test_points_are_effort_times_median_over_three_rounded_down() -> None:
    assert points_for(60, 3) == 60 * 10**18  # 60 minutes at 3 stars = 60 points
    assert points_for(60, 5) == 100 * 10**18  # at 5 stars
    assert points_for(1, 1) == 10**18 // 3  # one minute at 1 star: 1/3 point, rounded down
    assert points_for(7, 4) == 7 * 10**18 * 4 // 3


def test_shift_reaches_zero_after_256_bits() -> None:
    assert shift(2**255, 256 // ERA_HALVINGS) == 0
    assert shift(2**255, 1) == 2 ** (255 - ERA_HALVINGS)
    assert shift(12345, 0) == 12345


def test_params_check_names_the_parameter() -> None:
    Params().check()
    low, _ = BOUNDS[Parameter.EPOCH_LENGTH]
    with pytest.raises(ConfigError, match="epoch_length"):
        Params(epoch_length=low - 1).check()
