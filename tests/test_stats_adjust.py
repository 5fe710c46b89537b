import math

import pytest

from dropout_lab.errors import StatsError
from dropout_lab.stats import holm


@pytest.mark.parametrize("pvalues, expected", [
    # sorted: 0.005 x 4 = 0.02; 0.01 x 3 = 0.03; 0.03 x 2 = 0.06; 0.04 x 1 = 0.04 -> kept at 0.06 (monotone)
    ([0.01, 0.04, 0.03, 0.005], [0.03, 0.06, 0.06, 0.02]),
    # capped at 1: 0.5 x 2 = 1.0, then max(1.0, 0.6 x 1)
    ([0.5, 0.6], [1.0, 1.0]),
    # one comparison: unchanged
    ([0.2], [0.2]),
    # ties keep their order and get the same value: 0.01 x 3 = 0.03, 0.01 x 2 = 0.02 -> 0.03
    ([0.01, 0.01, 0.5], [0.03, 0.03, 0.5]),
])
def test_holm_by_hand(pvalues, expected):
    assert holm(pvalues) == pytest.approx(expected)


def test_a_missing_p_value_is_no_comparison():
    adjusted = holm([math.nan, 0.01, 0.04])  # m = 2: 0.01 x 2 = 0.02, 0.04 x 1 -> 0.04
    assert math.isnan(adjusted[0]) and adjusted[1:] == pytest.approx([0.02, 0.04])
    assert holm([]) == []


@pytest.mark.parametrize("bad", [[0.1, 1.5], [-0.1], ["x"], [[0.1, 0.2]]])
def test_holm_refuses_what_is_no_p_value(bad):
    with pytest.raises(StatsError):
        holm(bad)
