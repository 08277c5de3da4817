"""Style control (contextual Bradley–Terry) against statsmodels and a simulated world."""

from __future__ import annotations

import math

import numpy as np
import pytest
import statsmodels.api as sm

from evalhub.stats import StatsError
from evalhub.stats import ratings as R

ELO = 400 / math.log(10)


def style_world(n_battles: int, beta: np.ndarray, theta: np.ndarray, seed: int, tie_rate: float = 0.0):
    """Battles where answer length (and bold count) move the vote as well as the model.

    Ties at a fixed rate are not a logistic model (they attenuate every coefficient), so
    only the exactness test, which compares two fits of the same data, uses them.
    """
    rng = np.random.default_rng(seed)
    n = theta.size
    a = rng.integers(0, n, n_battles)
    b = (a + rng.integers(1, n, n_battles)) % n
    # Verbose models write longer answers: length confounds strength unless adjusted for.
    verbosity = np.linspace(1.5, 0.5, n)
    len_a = np.round(rng.lognormal(np.log(300 * verbosity[a]), 0.6))
    len_b = np.round(rng.lognormal(np.log(300 * verbosity[b]), 0.6))
    bold_a, bold_b = rng.poisson(2, n_battles), rng.poisson(2, n_battles)
    z = R.style_features(len_a, len_b, bold_a=bold_a, bold_b=bold_b)
    p = 1 / (1 + np.exp(-(theta[a] - theta[b] + z @ beta)))
    u = rng.random(n_battles)
    tie = rng.random(n_battles) < tie_rate
    outcome = np.where(tie, R.TIE, np.where(u < p, R.A_WINS, R.B_WINS))
    return a, b, outcome, z


def test_style_features_formula_and_standardisation():
    len_a = np.array([100, 0, 50, 10])
    len_b = np.array([50, 0, 100, 30])
    z = R.style_features(len_a, len_b)
    raw = (len_a - len_b) / (len_a + len_b + 1)
    np.testing.assert_allclose(z[:, 0], (raw - raw.mean()) / raw.std())
    assert z.shape == (4, 1)
    full = R.style_features(len_a, len_b, [1, 0, 2, 0], [0, 0, 1, 3], [0, 1, 0, 0], [1, 0, 0, 0], [2, 0, 0, 1], [0, 1, 0, 0])
    assert full.shape == (4, 4)
    assert len(R.STYLE_FEATURES) == 4
    np.testing.assert_allclose(full.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(full.std(axis=0), 1)


def test_style_fit_equals_statsmodels_logit():
    theta = np.array([0.4, 0.0, -0.3, 0.2])
    a, b, outcome, z = style_world(3000, np.array([0.5, 0.2]), theta, seed=1, tie_rate=0.1)
    fit = R.bradley_terry_style(a, b, outcome, z, 4, anchor=0)
    y = np.select([outcome == R.A_WINS, outcome == R.B_WINS], [1.0, 0.0], 0.5)
    x = np.zeros((a.size, 4))
    x[np.arange(a.size), a] = 1
    x[np.arange(a.size), b] = -1
    ref = sm.Logit(y, np.column_stack([x[:, 1:], z])).fit(disp=0, method="newton", tol=1e-12)
    assert fit.converged
    np.testing.assert_allclose(fit.scores, 1000 + ELO * np.r_[0.0, ref.params[:3]], atol=0.01)
    np.testing.assert_allclose(fit.coef, ref.params[3:], atol=1e-7)
    np.testing.assert_allclose(fit.coef_se, ref.bse[3:], rtol=1e-6)


def test_style_control_recovers_the_length_effect_and_true_strengths():
    theta = np.array([0.0, 0.1, 0.2, 0.3, 0.4])  # the least verbose model is the strongest
    beta = np.array([0.6, 0.0])
    a, b, outcome, z = style_world(40_000, beta, theta, seed=2)
    fit = R.bradley_terry_style(a, b, outcome, z, 5)
    assert abs(fit.coef[0] - beta[0]) < 4 * fit.coef_se[0]
    assert abs(fit.coef[0] - beta[0]) < 0.05
    assert abs(fit.coef[1]) < 4 * fit.coef_se[1]
    np.testing.assert_allclose(fit.theta, theta - theta.mean(), atol=0.05)
    # Plain BT credits the verbose models with their style and gets the order wrong.
    naive = R.bradley_terry(R.pair_counts(a, b, outcome, 5))
    assert naive.theta[0] > naive.theta[4]
    assert fit.theta[4] > fit.theta[0]


def test_style_fit_is_invariant_to_swapping_sides():
    theta = np.array([0.3, -0.2, 0.0])
    a, b, outcome, z = style_world(1500, np.array([0.4, 0.1]), theta, seed=3)
    mirrored = np.select([outcome == R.A_WINS, outcome == R.B_WINS], [R.B_WINS, R.A_WINS], outcome)
    left = R.bradley_terry_style(a, b, outcome, z, 3)
    right = R.bradley_terry_style(b, a, mirrored, -z, 3)
    np.testing.assert_allclose(left.scores, right.scores, atol=1e-8)
    np.testing.assert_allclose(left.coef, right.coef, atol=1e-10)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: R.style_features([1, 2], [1]), "len_b"),
        (lambda: R.style_features([1, -2], [1, 3]), "len_a"),
        (lambda: R.style_features([1, 2], [1, 3], headers_a=[1, 2]), "headers_b"),
        (lambda: R.style_features([1, 1], [1, 1]), "len_a"),
        (lambda: R.bradley_terry_style([0, 1], [1, 0], [0, 0], np.zeros((3, 1)), 2), "features"),
        (lambda: R.bradley_terry_style([0, 0], [1, 1], [0, 0], np.ones((2, 1)), 2), "outcome"),
        (lambda: R.bradley_terry_style([0, 1], [1, 0], [0, 0], np.zeros((2, 1)), 2), "features"),
    ],
)
def test_bad_style_input_names_the_field(call, field):
    with pytest.raises(StatsError) as err:
        call()
    assert err.value.field == field


def test_style_sandwich_intervals_cover_the_true_scores_at_the_nominal_rate():
    # Simulation recovering known truth: 300 worlds of 1,500 battles, truth on the mean-zero gauge.
    theta = np.array([0.4, 0.1, -0.1, -0.4])
    beta = np.array([0.5, 0.2])
    truth = 1000 + ELO * (theta - theta.mean())
    covered, se, spread = [], [], []
    for seed in range(300):
        a, b, outcome, z = style_world(1500, beta, theta, seed)
        fit = R.bradley_terry_style(a, b, outcome, z, theta.size)
        assert fit.not_enough_data is None
        covered.append((fit.lower <= truth) & (truth <= fit.upper))
        se.append(fit.se)
        spread.append(fit.scores)
    coverage = float(np.mean(covered))
    assert 0.93 <= coverage <= 0.97, coverage
    # The sandwich SE matches the sampling SD of the scores across worlds (within 10%).
    np.testing.assert_allclose(np.mean(se, axis=0), np.std(spread, axis=0, ddof=1), rtol=0.10)


def test_style_bootstrap_agrees_with_the_sandwich():
    theta = np.array([0.4, 0.1, -0.1, -0.4])
    a, b, outcome, z = style_world(3000, np.array([0.5, 0.2]), theta, 7)
    fit = R.bradley_terry_style(a, b, outcome, z, 4)
    boot = R.bootstrap_style_ci(a, b, outcome, z, 4, rounds=200, seed=1)
    assert boot.not_enough_data is None
    assert boot.n_dropped == 0
    np.testing.assert_allclose(boot.se, fit.se, rtol=0.2)
    assert np.all(boot.lower < fit.scores)
    assert np.all(fit.scores < boot.upper)


def test_style_all_ties_is_not_enough_data():
    a = np.array([0, 1, 2, 0, 1, 2] * 10)
    b = np.array([1, 2, 0, 2, 0, 1] * 10)
    z = np.linspace(-1, 1, a.size)
    fit = R.bradley_terry_style(a, b, np.full(a.size, R.TIE), z, 3)
    assert fit.not_enough_data
    assert "tie" in fit.not_enough_data
    assert np.all(np.isnan(fit.lower))
    assert np.all(np.isnan(fit.se))
