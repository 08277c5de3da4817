"""evalhub.stats.ratings against references: statsmodels/sklearn fits, closed forms, naive
loops and simulations that recover known parameters. No database, no Django."""

from __future__ import annotations

import math

import numpy as np
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st

from evalhub.stats import StatsError
from evalhub.stats import ratings as R
from evalhub.stats.ratings._core import Pairs
from evalhub.stats.ratings.bootstrap import solve_replicates

ELO = 400 / math.log(10)


def simulate(
    theta: np.ndarray, n_battles: int, rng: np.random.Generator, nu: float = 0.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Battles between uniformly random pairs; outcomes from Davidson's model (BT when ν = 0)."""
    n = theta.size
    a = rng.integers(0, n, n_battles)
    b = (a + rng.integers(1, n, n_battles)) % n
    d = theta[a] - theta[b]
    z = np.exp(d / 2) + np.exp(-d / 2) + nu
    p_a, p_b = np.exp(d / 2) / z, np.exp(-d / 2) / z
    u = rng.random(n_battles)
    outcome = np.where(u < p_a, R.A_WINS, np.where(u < p_a + p_b, R.B_WINS, R.TIE))
    # Half the ties are "both bad": the code must not change any rating.
    outcome = np.where((outcome == R.TIE) & (rng.random(n_battles) < 0.5), R.TIE_BOTH_BAD, outcome)
    return a, b, outcome


def design(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    x = np.zeros((a.size, n))
    x[np.arange(a.size), a] = 1.0
    x[np.arange(a.size), b] = -1.0
    return x


def logit_reference(a, b, outcome, n, cov_type="nonrobust"):
    """Per-battle logistic regression, variant 0's column dropped (θ₀ = 0); ties are y = ½."""
    y = np.select([outcome == R.A_WINS, outcome == R.B_WINS], [1.0, 0.0], 0.5)
    return sm.Logit(y, design(a, b, n)[:, 1:]).fit(disp=0, method="newton", tol=1e-12, cov_type=cov_type)


@pytest.fixture(scope="module")
def arena():
    """Six variants, 6,000 battles with ties: the shared mid-sized fixture."""
    rng = np.random.default_rng(7)
    theta = np.array([0.8, 0.4, 0.1, 0.0, -0.3, -1.0])
    a, b, outcome = simulate(theta, 6000, rng, nu=0.4)
    return theta, a, b, outcome


# --- counting --------------------------------------------------------------------------------


def test_pair_counts_and_tie_counts_match_a_naive_loop(arena):
    _, a, b, outcome = arena
    n = 6
    wins = np.zeros((n, n))
    ties = np.zeros((n, n))
    for ai, bi, o in zip(a, b, outcome):
        if o == R.A_WINS:
            wins[ai, bi] += 1
        elif o == R.B_WINS:
            wins[bi, ai] += 1
        else:
            wins[ai, bi] += 0.5
            wins[bi, ai] += 0.5
            ties[ai, bi] += 1
            ties[bi, ai] += 1
    np.testing.assert_array_equal(R.pair_counts(a, b, outcome, n), wins)
    np.testing.assert_array_equal(R.tie_counts(a, b, outcome, n), ties)


def test_win_rate_and_predicted_win_matrices():
    wins = np.array([[0.0, 3.0, 0.0], [1.0, 0.0, 2.5], [0.0, 1.5, 0.0]])
    rate = R.win_rate_matrix(wins)
    assert rate[0, 1] == pytest.approx(0.75)
    assert rate[1, 0] == pytest.approx(0.25)
    assert rate[1, 2] == pytest.approx(2.5 / 4)
    assert np.isnan(rate[0, 2])
    assert np.isnan(rate[0, 0])
    pred = R.predicted_win_matrix(np.array([1000.0, 1400.0, 1100.0]))
    assert pred[1, 0] == pytest.approx(1 / (1 + 10 ** (-400 / 400)))
    np.testing.assert_allclose(pred + pred.T, 1.0)
    assert pred[2, 2] == 0.5


# --- Elo ---------------------------------------------------------------------------------


def test_elo_matches_hand_computation():
    # Battle 1: equal ratings, expected ½, A wins → ±4·½ = ±2.
    # Battle 2: variant 1 (998) beats variant 0 (1002): E₁ = 1/(1 + 10^(4/400)).
    # Battle 3: variant 0 ties with the untouched variant 2 (1000): S = ½.
    a = np.array([0, 1, 0])
    b = np.array([1, 0, 2])
    outcome = np.array([R.A_WINS, R.A_WINS, R.TIE])
    r0, r1 = 1002.0, 998.0
    e1 = 1 / (1 + 10 ** ((r0 - r1) / 400))
    r1, r0 = r1 + 4 * (1 - e1), r0 - 4 * (1 - e1)
    e0 = 1 / (1 + 10 ** ((1000.0 - r0) / 400))
    r0, r2 = r0 + 4 * (0.5 - e0), 1000.0 - 4 * (0.5 - e0)
    np.testing.assert_allclose(R.elo(a, b, outcome, 3), [r0, r1, r2], rtol=0, atol=1e-12)
    # Both tie codes count the same; k, scale and init are honoured.
    both_bad = R.elo(a, b, np.array([R.A_WINS, R.A_WINS, R.TIE_BOTH_BAD]), 3)
    np.testing.assert_allclose(both_bad, [r0, r1, r2], atol=1e-12)
    first = R.elo(a[:1], b[:1], outcome[:1], 2, k=32, init=1500)
    np.testing.assert_allclose(first, [1516.0, 1484.0])


# --- Bradley–Terry MLE --------------------------------------------------------------------


def test_bradley_terry_equals_per_battle_logistic_regression(arena):
    _, a, b, outcome = arena
    wins = R.pair_counts(a, b, outcome, 6)
    fit = R.bradley_terry(wins, anchor=0, anchor_value=1000.0)
    ref = logit_reference(a, b, outcome, 6)
    expected = 1000.0 + ELO * np.r_[0.0, ref.params]
    assert fit.converged
    np.testing.assert_allclose(fit.scores, expected, rtol=0, atol=0.01)
    # The reported log-likelihood is the per-battle Σ y·log p + (1 − y)·log(1 − p) with y = ½
    # for ties (computed by hand: statsmodels' llf assumes a binary y).
    y = np.select([outcome == R.A_WINS, outcome == R.B_WINS], [1.0, 0.0], 0.5)
    p = ref.predict()
    assert fit.log_likelihood == pytest.approx(np.sum(y * np.log(p) + (1 - y) * np.log1p(-p)), rel=1e-9)
    # Mean-centred by default: the same differences, mean 1000.
    centred = R.bradley_terry(wins)
    assert centred.scores.mean() == pytest.approx(1000.0)
    np.testing.assert_allclose(centred.scores - centred.scores[0], fit.scores - 1000.0, atol=0.01)


def test_bradley_terry_equals_sklearn_without_penalty():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(3)
    theta = np.array([0.5, 0.0, -0.2, 0.9])
    a, b, outcome = simulate(theta, 3000, rng)
    decisive = outcome <= R.B_WINS
    a, b, outcome = a[decisive], b[decisive], outcome[decisive]
    x = design(a, b, 4)[:, 1:]
    model = LogisticRegression(C=np.inf, fit_intercept=False, tol=1e-12, max_iter=10_000)
    model.fit(x, (outcome == R.A_WINS).astype(int))
    fit = R.bradley_terry(R.pair_counts(a, b, outcome, 4), anchor=0)
    np.testing.assert_allclose(fit.scores, 1000.0 + ELO * np.r_[0.0, model.coef_[0]], atol=0.01)


def test_bradley_terry_recovers_known_strengths():
    rng = np.random.default_rng(11)
    theta = np.linspace(-1.0, 1.0, 8)
    a, b, outcome = simulate(theta, 40_000, rng)
    wins = R.pair_counts(a, b, outcome, 8)
    ci = R.sandwich_ci(wins)
    truth = 1000.0 + ELO * (theta - theta.mean())
    assert np.all(np.abs(ci.scores - truth) < 4 * ci.se)
    assert np.max(np.abs(ci.scores - truth)) < 15.0


def test_low_data_mask_and_battle_counts():
    wins = np.array([[0.0, 20.0, 1.0], [15.0, 0.0, 0.0], [2.0, 0.0, 0.0]])
    fit = R.bradley_terry(wins, prior=0.1, min_battles=10)
    np.testing.assert_array_equal(fit.n_battles, [38.0, 35.0, 3.0])
    np.testing.assert_array_equal(fit.low_data, [False, False, True])


def test_disconnected_graph_names_the_groups():
    wins = np.zeros((4, 4))
    wins[0, 1] = wins[1, 0] = 3.0
    wins[2, 3] = wins[3, 2] = 2.0
    with pytest.raises(StatsError) as err:
        R.bradley_terry(wins)
    assert err.value.field == "wins"
    assert "disconnected: {0, 1} vs {2, 3}" in str(err.value)


def test_undefeated_variant_raises_without_prior_and_is_finite_with_one():
    wins = np.array([[0.0, 5.0, 4.0, 1.0], [3.0, 0.0, 6.0, 0.0], [2.0, 4.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]])
    wins[3, :3] = [2.0, 3.0, 1.0]  # variant 3 beat everyone it met and never lost
    wins[:3, 3] = 0.0
    with pytest.raises(StatsError, match="variant 3 never lost; add a prior"):
        R.bradley_terry(wins)
    group = np.array([[0, 4, 3, 0], [5, 0, 2, 0], [0, 0, 0, 4], [0, 0, 3, 0]], dtype=float)
    with pytest.raises(StatsError, match=r"variants \{0, 1\} never lost to \{2, 3\}"):
        R.bradley_terry(group)
    fit = R.bradley_terry(wins, prior=0.5)
    assert fit.converged
    assert np.all(np.isfinite(fit.scores))
    assert np.argmax(fit.scores) == 3
    assert fit.scores[3] < 1000 + 3 * ELO
    # The penalty pulls towards zero: a stronger prior gives a smaller spread.
    assert np.ptp(R.bradley_terry(wins, prior=5.0).scores) < np.ptp(fit.scores)


def test_prior_matches_penalised_logistic_regression():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(5)
    theta = np.array([0.3, -0.1, 0.6, -0.8, 0.0])
    a, b, outcome = simulate(theta, 800, rng)
    keep = outcome <= R.B_WINS
    a, b, outcome = a[keep], b[keep], outcome[keep]
    prior = 2.0
    # sklearn minimises ½‖β‖² + C·Σ log-loss, i.e. our penalty prior·Σθ²/2 with C = 1/prior;
    # all n columns kept, so the penalty also fixes the gauge (Σθ = 0 at the optimum).
    model = LogisticRegression(C=1 / prior, fit_intercept=False, tol=1e-12, max_iter=10_000)
    model.fit(design(a, b, 5), (outcome == R.A_WINS).astype(int))
    fit = R.bradley_terry(R.pair_counts(a, b, outcome, 5), prior=prior)
    np.testing.assert_allclose(fit.theta, model.coef_[0], atol=1e-6)


def test_anchor_puts_the_anchor_at_its_value_and_widens_the_others(arena):
    _, a, b, outcome = arena
    wins = R.pair_counts(a, b, outcome, 6)
    anchored = R.bradley_terry(wins, anchor=3, anchor_value=1200.0)
    centred = R.bradley_terry(wins)
    assert anchored.scores[3] == pytest.approx(1200.0)
    np.testing.assert_allclose(anchored.scores - 1200.0, centred.scores - centred.scores[3], atol=1e-9)
    ci_anchor = R.sandwich_ci(wins, anchor=3, anchor_value=1200.0)
    ci_centre = R.sandwich_ci(wins)
    assert ci_anchor.se[3] == pytest.approx(0.0, abs=1e-9)
    others = np.arange(6) != 3
    assert np.all(ci_anchor.se[others] > ci_centre.se[others])
    boot = R.bootstrap_ci(wins, anchor=3, anchor_value=1200.0, rounds=200)
    assert boot.lower[3] == pytest.approx(1200.0)
    assert boot.upper[3] == pytest.approx(1200.0)


def test_davidson_recovers_a_known_tie_parameter():
    rng = np.random.default_rng(2)
    theta = np.array([0.6, 0.2, -0.1, -0.7])
    a, b, outcome = simulate(theta, 30_000, rng, nu=0.7)
    wins = R.pair_counts(a, b, outcome, 4)
    ties = R.tie_counts(a, b, outcome, 4)
    fit = R.bradley_terry(wins, ties=ties, davidson=True)
    assert fit.converged
    assert fit.nu == pytest.approx(0.7, abs=0.04)
    np.testing.assert_allclose(fit.theta, theta - theta.mean(), atol=0.04)
    with pytest.raises(StatsError, match="ties"):
        R.bradley_terry(wins, davidson=True)


# --- intervals --------------------------------------------------------------------------------


@pytest.mark.parametrize("with_ties", [False, True])
def test_sandwich_matches_statsmodels_hc0(arena, with_ties):
    _, a, b, outcome = arena
    if not with_ties:
        keep = outcome <= R.B_WINS
        a, b, outcome = a[keep], b[keep], outcome[keep]
    wins = R.pair_counts(a, b, outcome, 6)
    ties = R.tie_counts(a, b, outcome, 6) if with_ties else None
    ci = R.sandwich_ci(wins, ties=ties, anchor=0, level=0.9)
    ref = logit_reference(a, b, outcome, 6, cov_type="HC0")
    np.testing.assert_allclose(ci.se[1:], ELO * ref.bse, rtol=1e-6)
    z = 1.6448536269514722
    np.testing.assert_allclose(ci.upper - ci.lower, 2 * z * ci.se, rtol=1e-12)


def test_batched_replicate_solver_matches_individual_fits():
    rng = np.random.default_rng(4)
    theta = rng.normal(0, 0.7, 7)
    a, b, outcome = simulate(theta, 2000, rng)
    wins = R.pair_counts(a, b, outcome, 7)
    pairs = Pairs.from_table(wins)
    # Perturbed tables as columns (pairs × replicates); column 0 is far from the data (lower
    # index wins 98% of every pair), where H₀ is a poor stand-in for the replicate's Hessian.
    w = pairs.w[:, None] * rng.uniform(0.7, 1.3, (pairs.w.size, 12))
    m = np.maximum(pairs.m[:, None] * rng.uniform(0.8, 1.2, (pairs.m.size, 12)), w + 1)
    w[:, 0] = pairs.m * 0.98
    m[:, 0] = pairs.m
    # max_chord=1 leaves every column unconverged, so all go through the Newton fallback.
    for prior, max_chord in ((0.0, 30), (0.0, 1), (0.5, 30)):
        start = R.bradley_terry(wins, prior=prior).theta
        got = solve_replicates(pairs, start, w, m, prior=prior, max_chord=max_chord)
        for r in range(12):
            expected = R.bradley_terry(pairs.table(w[:, r], m[:, r]), prior=prior).theta
            np.testing.assert_allclose(got[r], expected, atol=1e-5)


def test_bootstrap_agrees_with_sandwich_and_exact_resampling(arena):
    _, a, b, outcome = arena
    wins = R.pair_counts(a, b, outcome, 6)
    ties = R.tie_counts(a, b, outcome, 6)
    sandwich = R.sandwich_ci(wins, ties=ties)
    fast = R.bootstrap_ci(wins, ties=ties, rounds=1000, seed=1, keep_replicates=True)
    exact = R.bootstrap_ci(wins, ties=ties, rounds=1000, seed=2, exact=True)
    # Monte Carlo error of an SD from 1,000 replicates is ≈ 2.2%; allow 10%.
    np.testing.assert_allclose(fast.se, sandwich.se, rtol=0.1)
    np.testing.assert_allclose(exact.se, sandwich.se, rtol=0.1)
    np.testing.assert_allclose(fast.median, fast.scores, atol=0.15 * sandwich.se.max())
    assert fast.replicates.shape == (1000, 6)
    assert exact.replicates is None
    assert fast.n_dropped == 0
    assert np.all(fast.lower < fast.scores)
    assert np.all(fast.scores < fast.upper)


def test_bootstrap_intervals_cover_the_truth_at_the_nominal_rate():
    rng = np.random.default_rng(2024)
    theta = np.array([0.5, 0.2, 0.0, -0.2, -0.5])
    truth = 1000.0 + ELO * (theta - theta.mean())
    covered = []
    for sim in range(200):
        a, b, outcome = simulate(theta, 500, rng)
        wins = R.pair_counts(a, b, outcome, 5)
        ci = R.bootstrap_ci(wins, ties=R.tie_counts(a, b, outcome, 5), rounds=300, seed=sim)
        covered.append((ci.lower <= truth) & (truth <= ci.upper))
    coverage = float(np.mean(covered))
    assert 0.90 <= coverage <= 0.99, coverage


def test_bootstrap_refuses_when_too_many_replicates_have_no_finite_mle():
    # Variant 3 lost exactly once in 28 battles: (27/28)^28 ≈ 36% of replicates lose that
    # battle, and then 3 never lost: its score runs to +∞ in a third of the rounds, so the upper
    # end of a 95% percentile interval is +∞. Dropping those rounds would hide that.
    wins = np.array([[0.0, 6.0, 0.0, 1.0], [5.0, 0.0, 5.0, 0.0], [0.0, 5.0, 0.0, 0.0], [0.0, 0.0, 6.0, 0.0]])
    ci = R.bootstrap_ci(wins, rounds=400, seed=3)
    assert 0.25 * 400 < ci.n_dropped < 0.5 * 400
    assert not ci.enough_data
    assert "unbounded" in ci.not_enough_data
    assert np.all(np.isnan(ci.lower))
    assert np.all(np.isnan(ci.upper))
    with pytest.raises(StatsError) as excinfo:
        R.rank_intervals(ci.lower, ci.upper)
    assert excinfo.value.field == "lower"
    with_prior = R.bootstrap_ci(wins, rounds=400, seed=3, prior=1.0)
    assert with_prior.n_dropped == 0
    assert with_prior.enough_data
    assert np.all(np.isfinite(with_prior.lower))
    assert np.all(with_prior.upper > with_prior.lower)


def test_all_ties_give_not_enough_data_not_a_zero_width_interval():
    a = np.array([0, 1, 0, 2, 1, 2] * 5)
    b = np.array([1, 2, 2, 0, 0, 1] * 5)
    outcome = np.full(a.size, R.TIE)
    wins, ties = R.pair_counts(a, b, outcome, 3), R.tie_counts(a, b, outcome, 3)
    for ci in (R.sandwich_ci(wins, ties=ties), R.bootstrap_ci(wins, ties=ties, rounds=50),
               R.bootstrap_ci(wins, ties=ties, rounds=50, prior=1.0)):
        assert not ci.enough_data
        assert "tie" in ci.not_enough_data
        assert np.all(np.isnan(ci.lower))
        assert np.all(np.isnan(ci.se))
    # Without the tie table the same data read as half-wins: the sandwich SE is honest (not 0).
    assert R.sandwich_ci(wins).enough_data
    assert np.all(R.sandwich_ci(wins).se > 0)


def test_bootstrap_rejects_non_count_tables_and_bad_seeds():
    wins = np.array([[0.0, 3.3], [2.0, 0.0]])
    with pytest.raises(StatsError) as excinfo:
        R.bootstrap_ci(wins, rounds=10)
    assert excinfo.value.field == "wins"
    with pytest.raises(StatsError) as excinfo:
        R.bootstrap_ci(np.array([[0.0, 3.0], [2.0, 0.0]]), rounds=10, seed=1.5)  # type: ignore[arg-type]
    assert excinfo.value.field == "seed"


def test_rank_intervals_reject_nan_bounds():
    with pytest.raises(StatsError) as excinfo:
        R.rank_intervals(np.array([1.0, 2.0]), np.array([np.nan, 3.0]))
    assert excinfo.value.field == "upper"


def test_rank_intervals_by_hand():
    lower = np.array([1100.0, 1090.0, 1000.0, 900.0])
    upper = np.array([1150.0, 1120.0, 1095.0, 950.0])
    ranks = R.rank_intervals(lower, upper)
    # 0 and 1 overlap; 2 overlaps 1 but not 0; 3 is below all.
    np.testing.assert_array_equal(ranks, [[1, 2], [1, 3], [2, 3], [4, 4]])


# --- properties --------------------------------------------------------------------------------


tables = st.integers(3, 6).flatmap(
    lambda n: st.lists(st.integers(1, 30), min_size=n * n, max_size=n * n).map(
        lambda v: np.array(v, dtype=float).reshape(n, n) * (1 - np.eye(n))
    )
)


@settings(max_examples=40, deadline=None)
@given(tables, st.randoms(use_true_random=False))
def test_relabelling_variants_permutes_the_scores(wins, random):
    perm = np.array(random.sample(range(wins.shape[0]), wins.shape[0]))
    base = R.bradley_terry(wins)
    relabelled = R.bradley_terry(wins[np.ix_(perm, perm)])
    np.testing.assert_allclose(relabelled.scores, base.scores[perm], atol=1e-6)
    sw = R.sandwich_ci(wins[np.ix_(perm, perm)])
    np.testing.assert_allclose(sw.se, R.sandwich_ci(wins).se[perm], rtol=1e-6)


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 5), st.integers(1, 60), st.integers(0, 2**32 - 1))
def test_swapping_sides_mirrors_the_outcome(n, n_battles, seed):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, n, n_battles)
    b = (a + rng.integers(1, n, n_battles)) % n
    outcome = rng.integers(0, 4, n_battles)
    mirrored = np.select([outcome == R.A_WINS, outcome == R.B_WINS], [R.B_WINS, R.A_WINS], outcome)
    np.testing.assert_array_equal(R.pair_counts(b, a, mirrored, n), R.pair_counts(a, b, outcome, n))
    # The order-dependent Elo is still symmetric battle by battle: swap sides, same ratings.
    np.testing.assert_allclose(R.elo(b, a, mirrored, n), R.elo(a, b, outcome, n), atol=1e-9)


@settings(max_examples=30, deadline=None)
@given(st.integers(2, 6), st.integers(1, 20))
def test_zero_information_gives_equal_scores(n, count):
    wins = float(count) * (1 - np.eye(n))  # every pair split evenly
    fit = R.bradley_terry(wins)
    np.testing.assert_allclose(fit.scores, 1000.0, atol=1e-9)
    probs = R.next_pair_probabilities(wins)
    np.testing.assert_allclose(probs[np.triu_indices(n, 1)], 2 / (n * (n - 1)))


# --- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: R.pair_counts([0, 1], [1], [0, 0], 2), "b"),
        (lambda: R.pair_counts([0, 1], [1, 0], [0], 2), "outcome"),
        (lambda: R.pair_counts([0], [1], [0], 0), "n_variants"),
        (lambda: R.pair_counts([0], [1], [0], -3), "n_variants"),
        (lambda: R.pair_counts([0], [2], [0], 2), "b"),
        (lambda: R.pair_counts([1], [1], [0], 2), "b"),
        (lambda: R.pair_counts([0], [1], [7], 2), "outcome"),
        (lambda: R.elo([0], [1], [0], 2, k=-1.0), "k"),
        (lambda: R.bradley_terry(np.array([[0.0, -1.0], [2.0, 0.0]])), "wins"),
        (lambda: R.bradley_terry(np.ones((2, 3))), "wins"),
        (lambda: R.bradley_terry(np.array([[0.0, 1.0], [2.0, 0.0]]), prior=-1.0), "prior"),
        (lambda: R.bradley_terry(np.array([[0.0, 1.0], [2.0, 0.0]]), anchor=5), "anchor"),
        (lambda: R.bradley_terry(np.array([[0.0, 1.0], [2.0, 0.0]]), ties=np.eye(3)), "ties"),
        (lambda: R.sandwich_ci(np.array([[0.0, 1.0], [2.0, 0.0]]), level=1.5), "level"),
        (lambda: R.bootstrap_ci(np.array([[0.0, 1.0], [2.0, 0.0]]), rounds=1), "rounds"),
        (lambda: R.rank_intervals(np.zeros(3), np.zeros(2)), "upper"),
        (lambda: R.predicted_win_matrix(np.array([1.0, np.nan])), "scores"),
    ],
)
def test_bad_input_names_the_field(call, field):
    with pytest.raises(StatsError) as err:
        call()
    assert err.value.field == field
    assert str(err.value).startswith(f"{field}: ")
