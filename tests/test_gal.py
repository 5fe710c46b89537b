"""Gal & Ghahramani's protocol, the pure parts: the grid and its weight decay, the validation
cut, the choice of a cell, the MC scores against hand-computed values, the verdict."""

import math

import numpy as np
import pytest

from dropout_lab.gal import (
    PUBLISHED,
    StreamingLogLik,
    best_cell,
    cells,
    judge,
    mc_log_likelihood,
    mc_rmse,
    mean_and_se,
    validation_cut,
    weight_decay,
)

HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)  # 0.9189385332046727


def test_the_grid_is_dropout_rates_outer_taus_inner():
    assert cells([0.005, 0.05], [0.25, 0.5, 0.75]) == [
        (0.005, 0.25), (0.005, 0.5), (0.005, 0.75), (0.05, 0.25), (0.05, 0.5), (0.05, 0.75)]


@pytest.mark.parametrize("rate, tau, n, expected", [
    (0.05, 0.025, 741, 2.5641025641025643e-06),  # 1e-4 * 0.95 / (2 * 741 * 0.025) = 9.5e-5 / 37.05
    (0.005, 0.25, 552, 3.6050724637681163e-07),  # 1e-4 * 0.995 / 276
    (0.0, 1.0, 50, 1e-06),  # 1e-4 / 100
])
def test_the_weight_decay_is_lengthscale_squared_times_keep_over_2_n_tau(rate, tau, n, expected):
    assert weight_decay(rate, tau, n) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("args", [(1.0, 0.5, 10), (0.1, 0.0, 10), (0.1, 0.5, 0)])
def test_the_weight_decay_refuses_what_has_no_meaning(args):
    with pytest.raises(ValueError, match="Expected"):
        weight_decay(*args)


@pytest.mark.parametrize("n, cut", [(927, 741), (691, 552), (1439, 1151), (277, 221), (5, 4)])
def test_the_first_80_percent_train_as_the_repository_cuts_them(n, cut):
    assert validation_cut(n) == cut == int(0.8 * n)


def test_a_training_part_too_small_to_validate_is_refused():
    with pytest.raises(ValueError, match="leaves rows to train and to validate"):
        validation_cut(1)


@pytest.mark.parametrize("scores, best", [
    ([-3.0, -2.5, -2.9], 1), ([-2.5, -2.5, -2.9], 0),  # ties: the first, as `ll > best_ll`
    ([float("nan"), -4.0, -5.0], 1), ([-9.0, float("nan"), -1.0], 2)])
def test_the_best_validation_log_likelihood_wins(scores, best):
    assert best_cell(scores) == best


# passes [T=2, rows=2] and targets: row 1 misses by 1 in both passes, row 2 is hit exactly
PASSES, Y = np.array([[1.0, 2.0], [3.0, 2.0]]), np.array([2.0, 2.0])


@pytest.mark.parametrize("tau, expected", [
    # tau 1: row 1 log(0.5 e^-0.5 + 0.5 e^-0.5) - log 2pi / 2 = -0.5 - 0.91894; row 2 -0.91894
    (1.0, (-1.4189385332046727 - 0.9189385332046727) / 2),
    # tau 2: + 0.5 log 2 = 0.34657 each; row 1's terms -1
    (2.0, (-1 - 0.9189385332046727 + 0.34657359027997264 - 0.9189385332046727 + 0.34657359027997264) / 2),
])
def test_the_test_log_likelihood_against_hand_computed_values(tau, expected):
    assert mc_log_likelihood(PASSES, Y, tau) == pytest.approx(expected, abs=1e-12)


def test_one_pass_is_a_gaussian_log_density():
    y, f, tau = np.array([0.3, -1.2, 2.0]), np.array([0.1, -1.0, 2.5]), 4.0
    gaussian = np.mean(-0.5 * tau * (y - f) ** 2 - HALF_LOG_2PI + 0.5 * math.log(tau))
    assert mc_log_likelihood(f[None, :], y, tau) == pytest.approx(gaussian, abs=1e-12)


def test_the_mc_rmse_is_the_rmse_of_the_passes_mean():
    assert mc_rmse(PASSES, np.array([2.0, 4.0])) == pytest.approx(math.sqrt(2))  # means 2, 2: misses 0 and 2


@pytest.mark.parametrize("tau", [0.5, 3.0, 1e4])  # 1e4 far from the passes: exp underflows without the max
def test_the_streaming_log_likelihood_equals_all_passes_at_once(tau):
    rng = np.random.default_rng(0)
    passes, y = rng.normal(size=(100, 7)) * 3, rng.normal(size=7) + 5
    stream = StreamingLogLik(y, tau)
    for chunk in np.array_split(passes, [1, 30, 31, 77]):
        stream.add(chunk)
    assert stream.samples == 100
    assert stream.value() == pytest.approx(mc_log_likelihood(passes, y, tau), rel=1e-12)
    assert np.isfinite(stream.value())


def test_the_mean_and_its_standard_error():
    assert mean_and_se([1, 2, 3, 4]) == pytest.approx((2.5, 1.2909944487358056 / 2))


@pytest.mark.parametrize("measured, published, reproduced, allowed", [
    ((4.9, 0.1), (4.82, 0.16), True, 2 * math.sqrt(0.01 + 0.0256)),
    ((5.3, 0.1), (4.82, 0.16), False, 2 * math.sqrt(0.01 + 0.0256)),
    ((-2.95, 0.02), (-2.93, 0.02), True, 2 * math.sqrt(0.0008)),
    ((-3.0, 0.02), (-2.93, 0.02), False, 2 * math.sqrt(0.0008)),
])
def test_reproduced_means_within_two_combined_standard_errors(measured, published, reproduced, allowed):
    verdict = judge(measured, published)
    assert (verdict.reproduced, verdict.allowed) == (reproduced, pytest.approx(allowed))
    assert verdict.words().startswith("reproduced" if reproduced else "not reproduced")


def test_the_published_table_holds_the_four_sets():
    assert sorted(PUBLISHED) == ["concrete", "energy", "wine-quality-red", "yacht"]
    assert PUBLISHED["concrete"] == {"rmse": (4.82, 0.16), "ll": (-2.93, 0.02)}
