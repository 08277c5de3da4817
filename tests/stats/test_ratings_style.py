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


def _board_rows(seed: int, n_battles: int, *, ties_only: bool = False) -> np.ndarray:
    """Grouped battle rows as the leaderboard query returns them: canonical order (a = lower id),
    length only (the markdown counts all zero), one battle per row."""
    rng = np.random.default_rng(seed)
    theta = {10: 0.5, 20: 0.0, 30: -0.5}
    ids = np.array(list(theta))
    rows = []
    for _ in range(n_battles):
        a, b = np.sort(rng.choice(ids, 2, replace=False))
        len_a, len_b = rng.integers(50, 800, 2)
        p = 1 / (1 + np.exp(-(theta[a] - theta[b] + 0.8 * (len_a - len_b) / (len_a + len_b + 1))))
        outcome = R.TIE if ties_only else (R.A_WINS if rng.random() < p else R.B_WINS)
        rows.append((a, b, outcome, len_a, len_b, 0, 0, 0, 0, 0, 0, 1))
    return np.array(rows, dtype=np.float64)


def test_style_board_equals_the_uncentred_fit_of_the_log_with_exact_sqrt2_errors():
    """Mirroring makes the centred fit equal the uncentred one; the mirrored log counts each battle
    twice, so its sandwich covariance is exactly half the original's (closed form: bread and meat
    both double), which the √2 undoes."""
    rows = _board_rows(1, 1500)
    board = R.style_board(rows)
    assert board.problem is None
    assert board.ci_problem is None
    assert board.features == ("length",)
    ids = np.array([10, 20, 30], dtype=np.float64)
    a, b = np.searchsorted(ids, rows[:, 0]), np.searchsorted(ids, rows[:, 1])
    raw = (rows[:, 3] - rows[:, 4]) / (rows[:, 3] + rows[:, 4] + 1)
    reference = R.bradley_terry_style(a, b, rows[:, 2].astype(int), raw / raw.std(), 3)
    order = [int(np.searchsorted(ids, v)) for v in board.variant_ids]
    assert board.variant_ids == (10, 20, 30)
    np.testing.assert_allclose(board.scores, reference.scores[order], atol=1e-6)
    np.testing.assert_allclose(board.lower, reference.lower[order], atol=1e-6)
    np.testing.assert_allclose(board.upper, reference.upper[order], atol=1e-6)
    # The coefficient is per SD of the (mirrored, centred) feature; its t statistic is scale-free.
    assert board.coef[0] / board.coef_se[0] == pytest.approx(reference.coef[0] / reference.coef_se[0], rel=1e-6)
    assert board.n_battles == board.n_fitted == 1500
    assert not board.subsampled


def test_style_board_subsamples_above_its_cap_and_says_so():
    board = R.style_board(_board_rows(3, 600), max_battles=400, seed=7)
    assert board.subsampled
    assert (board.n_battles, board.n_fitted) == (600, 400)
    assert board.problem is None
    assert len(board.variant_ids) == 3


def test_style_board_with_only_ties_has_scores_but_no_intervals():
    board = R.style_board(_board_rows(2, 300, ties_only=True))
    assert board.problem is None
    assert board.ci_problem is not None
    assert "tie" in board.ci_problem
    assert board.lower is None
    assert board.upper is None
    assert len(board.scores) == 3


@pytest.mark.parametrize(
    ("rows", "problem"),
    [
        (np.empty((0, 12)), "no judged comparisons"),
        (np.array([[10, 20, 0, 5, 5, 0, 0, 0, 0, 0, 0, 3]], dtype=float), "do not differ in style"),
        (np.array([[10, 10, 0, 5, 1, 0, 0, 0, 0, 0, 0, 3]], dtype=float), "at least two variants"),
    ],
)
def test_style_board_says_why_there_is_no_board(rows, problem):
    board = R.style_board(rows)
    assert board.problem is not None
    assert problem in board.problem
    assert board.variant_ids == ()
    assert board.scores.size == 0


@pytest.mark.parametrize(
    "rows",
    [
        np.ones((2, 11)),
        np.array([[10, 20, 0, 5, 1, 0, 0, 0, 0, 0, 0, 1.5]]),
        np.array([[10, 20, 0, -5, 1, 0, 0, 0, 0, 0, 0, 1]]),
        np.array([[10, 20, 0, np.nan, 1, 0, 0, 0, 0, 0, 0, 1]]),
    ],
)
def test_style_board_rejects_malformed_rows(rows):
    with pytest.raises(StatsError) as info:
        R.style_board(rows)
    assert info.value.field == "rows"
