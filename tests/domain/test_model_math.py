"""The pure arithmetic the contracts and the model share: medians, points, shifts."""

from __future__ import annotations

import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from starfish_dao.domain.charter import BOUNDS, Parameter, Params
from starfish_dao.domain.errors import ConfigError, ModelError
from starfish_dao.domain.model import ERA_HALVINGS, median_times_two, points_for, shift


@given(st.lists(st.integers(0, 5), min_size=1, max_size=60))
def test_median_times_two_is_twice_the_statistical_median(ratings: list[int]) -> None:
    histogram = [ratings.count(s) for s in range(6)]
    assert median_times_two(histogram) == int(2 * statistics.median(ratings))


def test_median_of_nothing_is_an_error() -> None:
    with pytest.raises(ModelError):
        median_times_two([0] * 6)


def test_points_are_effort_times_median_over_three_rounded_down() -> None:
    assert points_for(60, 6) == 60 * 10**18  # 60 minutes at 3 stars = 60 points
    assert points_for(60, 10) == 100 * 10**18  # at 5 stars
    assert points_for(1, 1) == 10**18 // 6  # median 0.5 on one minute: 1/6 point, rounded down
    assert points_for(7, 7) == 7 * 10**18 * 7 // 6


def test_shift_reaches_zero_after_256_bits() -> None:
    assert shift(2**255, 256 // ERA_HALVINGS) == 0
    assert shift(2**255, 1) == 2 ** (255 - ERA_HALVINGS)
    assert shift(12345, 0) == 12345


def test_params_check_names_the_parameter() -> None:
    Params().check()
    low, _ = BOUNDS[Parameter.EPOCH_LENGTH]
    with pytest.raises(ConfigError, match="epoch_length"):
        Params(epoch_length=low - 1).check()
