"""Overbooking cap: integers only, floor of total × percent / 100."""
import pytest

from app.catalog.policies import compute_available, compute_cap, ratio_to_percent


@pytest.mark.parametrize("total,percent,cap", [
    (5, 110, 5),     # 5.5 floored: never 6
    (10, 110, 11),
    (10, 120, 12),
    (9, 110, 9),     # 9.9 floored
    (20, 110, 22),
    (0, 110, 0),
    (1, 200, 2),
    (3, 100, 3),
])
def test_cap_is_floor_of_total_times_percent(total, percent, cap):
    assert compute_cap(total, percent) == cap


def test_available_never_negative_when_overbooked():
    assert compute_available(total=4, reserved=6, overbooking_percent=110) == 0
    assert compute_available(total=10, reserved=7, overbooking_percent=110) == 4


@pytest.mark.parametrize("ratio,percent", [(1.1, 110), ("1.10", 110), (1.2, 120), (1, 100), (2, 200), (1.15, 115)])
def test_ratio_becomes_whole_percent(ratio, percent):
    assert ratio_to_percent(ratio) == percent


@pytest.mark.parametrize("ratio", [0.9, 2.5, "abc", True, 1.105, None, float("nan")])
def test_bad_ratios_are_refused(ratio):
    with pytest.raises(ValueError):
        ratio_to_percent(ratio)
