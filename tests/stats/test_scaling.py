from __future__ import annotations

import math

import numpy as np
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from evalhub.stats import StatsError
from evalhub.stats.scaling import (
    SLOPE_NOT_DISTINGUISHABLE,
    FrontierResult,
    LogFit,
    Point,
    compute_equivalent_gain,
    fit_log_compute,
    pareto_frontier,
    point_estimate_frontier,
)

# --- Point and frontiers -----------------------------------------------------------------------


def _point(
    name: str, cost: float, quality: float, cost_half: float = 0.0, quality_half: float = 0.0
) -> Point:
    """A point with symmetric intervals of the given half-widths."""
    return Point(
        name, cost, quality,
        cost_lower=cost - cost_half, cost_upper=cost + cost_half,
        quality_lower=quality - quality_half, quality_upper=quality + quality_half,
    )


def _naive_point_dominance(points: list[Point]) -> tuple[set[str], dict[str, set[str]]]:
    """Reference: the textbook O(n²) definition of Pareto dominance on point values."""
    dominators: dict[str, set[str]] = {}
    for b in points:
        for a in points:
            no_worse = a.cost <= b.cost and a.quality >= b.quality
            if a is not b and no_worse and (a.cost < b.cost or a.quality > b.quality):
                dominators.setdefault(b.name, set()).add(a.name)
    return {p.name for p in points} - dominators.keys(), dominators


def test_point_estimate_frontier_hand_worked() -> None:
    points = [
        Point("base", cost=1.0, quality=0.60),
        Point("best-of-4", cost=4.0, quality=0.70),
        Point("best-of-16", cost=16.0, quality=0.72),
        Point("sft", cost=1.2, quality=0.71),  # post-trained: nearly as cheap, better than best-of-4
        Point("long-think", cost=20.0, quality=0.71),
    ]
    result = point_estimate_frontier(points)
    assert result.frontier == ("base", "sft", "best-of-16")
    assert result.dominated_by == {"best-of-4": "sft", "long-think": "best-of-16"}
    assert result.rule == "point"


def test_ci_frontier_keeps_variants_whose_intervals_overlap() -> None:
    points = [
        _point("base", 1.0, 0.60, quality_half=0.02),
        _point("sft", 1.2, 0.71, quality_half=0.02),
        # Point estimate: dominated by sft (costlier, lower quality); but quality intervals overlap.
        _point("best-of-4", 4.0, 0.70, quality_half=0.02),
        # Clearly dominated: quality interval [0.55, 0.59] is below sft's [0.69, 0.73], costlier.
        _point("prompted", 2.0, 0.57, quality_half=0.02),
        # Same list price as sft and quality clearly lower: cost tie, so sft dominates it.
        _point("sft-small", 1.2, 0.62, quality_half=0.02),
    ]
    ci = pareto_frontier(points)
    assert ci.frontier == ("base", "sft", "best-of-4")
    assert ci.dominated_by == {"prompted": "sft", "sft-small": "sft"}
    plain = point_estimate_frontier(points)
    assert "best-of-4" not in plain.frontier
    assert plain.dominated_by["best-of-4"] == "sft"


def test_ci_frontier_requires_cost_separation_when_costs_are_uncertain() -> None:
    # Latency–quality: latencies are measured with error. A has much better quality but its
    # latency interval overlaps B's and its point latency is higher: B stays on the frontier.
    a = Point("a", 2.0, 0.9, cost_lower=1.0, cost_upper=3.0, quality_lower=0.88, quality_upper=0.92)
    b = Point("b", 1.8, 0.5, cost_lower=1.5, cost_upper=2.5, quality_lower=0.48, quality_upper=0.52)
    assert pareto_frontier([a, b]).frontier == ("b", "a")
    # Once A's latency interval lies entirely below B's, A dominates.
    a_fast = Point("a", 1.0, 0.9, cost_lower=0.8, cost_upper=1.2, quality_lower=0.88, quality_upper=0.92)
    assert pareto_frontier([a_fast, b]).dominated_by == {"b": "a"}
    # Touching intervals count as "no worse" but not as "better": with touching quality too,
    # nothing is strictly better beyond the intervals, so neither dominates.
    c = Point("c", 2.0, 0.6, cost_lower=1.5, cost_upper=2.5, quality_lower=0.5, quality_upper=0.7)
    d = Point("d", 3.0, 0.4, cost_lower=2.5, cost_upper=3.5, quality_lower=0.3, quality_upper=0.5)
    assert pareto_frontier([c, d]).dominated_by == {}


def test_cost_ties_within_float_noise_are_ties() -> None:
    points = [Point("x", cost=0.1 + 0.2, quality=0.5), Point("y", cost=0.3, quality=0.5)]
    assert point_estimate_frontier(points).dominated_by == {}
    assert pareto_frontier(points).dominated_by == {}


coordinates = st.integers(0, 12).map(float)
point_lists = st.lists(
    st.tuples(coordinates, coordinates, st.integers(0, 3), st.integers(0, 3)), min_size=1, max_size=12
)


@settings(max_examples=80, deadline=None)
@given(point_lists)
def test_frontiers_against_naive_dominance(raw: list[tuple[float, float, int, int]]) -> None:
    exact = [Point(f"v{i}", cost, quality) for i, (cost, quality, _, _) in enumerate(raw)]
    frontier, dominators = _naive_point_dominance(exact)
    plain = point_estimate_frontier(exact)
    assert set(plain.frontier) == frontier
    assert all(plain.dominated_by[name] in dominators[name] for name in dominators)
    assert set(plain.dominated_by) == set(dominators)
    costs = [next(p.cost for p in exact if p.name == n) for n in plain.frontier]
    assert costs == sorted(costs)
    # Zero-width intervals: the CI rule reduces to plain dominance.
    assert pareto_frontier(exact) == FrontierResult(plain.frontier, plain.dominated_by, "ci")

    # With intervals the CI frontier can only grow, and every reported dominator dominates
    # beyond the intervals.
    fuzzy = [_point(f"v{i}", c + 4, q, ch * 0.5, qh * 0.5) for i, (c, q, ch, qh) in enumerate(raw)]
    ci = pareto_frontier(fuzzy)
    assert set(ci.frontier) >= set(point_estimate_frontier(fuzzy).frontier)
    by_name = {p.name: p for p in fuzzy}
    for loser, winner in ci.dominated_by.items():
        a, b = by_name[winner], by_name[loser]
        assert a.cost_interval[1] <= b.cost_interval[0] or a.cost == b.cost
        assert a.quality_interval[0] >= b.quality_interval[1] or a.quality == b.quality
        assert a.cost_interval[1] < b.cost_interval[0] or a.quality_interval[0] > b.quality_interval[1]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": "", "cost": 1.0, "quality": 0.5}, "name"),
        ({"name": "a", "cost": -1.0, "quality": 0.5}, "cost"),
        ({"name": "a", "cost": math.nan, "quality": 0.5}, "cost"),
        ({"name": "a", "cost": 1.0, "quality": math.inf}, "quality"),
        ({"name": "a", "cost": 1.0, "quality": 0.5, "cost_lower": -0.5}, "cost_lower"),
        ({"name": "a", "cost": 1.0, "quality": 0.5, "cost_lower": 1.5}, "cost_lower"),
        ({"name": "a", "cost": 1.0, "quality": 0.5, "cost_upper": math.inf}, "cost_upper"),
        ({"name": "a", "cost": 1.0, "quality": 0.5, "quality_upper": 0.4}, "quality_lower"),
    ],
)
def test_point_bad_input(kwargs: dict, field: str) -> None:
    with pytest.raises(StatsError) as exc:
        Point(**kwargs)
    assert exc.value.field == field


def test_frontier_bad_input() -> None:
    for call in (pareto_frontier, point_estimate_frontier):
        with pytest.raises(StatsError) as exc:
            call([])
        assert exc.value.field == "points"
        with pytest.raises(StatsError) as exc:
            call([Point("a", 1.0, 0.5), Point("a", 2.0, 0.6)])
        assert exc.value.field == "points"


# --- log-compute fit ---------------------------------------------------------------------------

COMPUTE = 2.0 ** np.arange(8)  # samples per question 1, 2, ..., 128
TRUE_A, TRUE_B = 0.40, 0.05


def _simulated_scores(rng: np.random.Generator, se: np.ndarray) -> np.ndarray:
    return TRUE_A + TRUE_B * np.log(COMPUTE) + rng.normal(0.0, se)


def test_fit_log_compute_matches_statsmodels_ols_and_wls() -> None:
    rng = np.random.default_rng(0)
    se = rng.uniform(0.005, 0.02, COMPUTE.size)
    y = _simulated_scores(rng, se)
    design = sm.add_constant(np.log(COMPUTE))
    for fit, ref in [
        (fit_log_compute(COMPUTE, y), sm.OLS(y, design).fit()),
        (fit_log_compute(COMPUTE, y, score_se=se), sm.WLS(y, design, weights=1 / se**2).fit()),
    ]:
        assert (fit.a, fit.b) == pytest.approx(tuple(ref.params), abs=1e-8)
        assert (fit.se_a, fit.se_b) == pytest.approx(tuple(ref.bse), abs=1e-8)
        assert fit.cov_ab == pytest.approx(ref.cov_params()[0, 1], abs=1e-10)
        assert fit.df == ref.df_resid == 6
        ci = ref.conf_int(alpha=0.05)
        assert fit.a_interval == pytest.approx(tuple(ci[0]), abs=1e-8)
        assert fit.b_interval == pytest.approx(tuple(ci[1]), abs=1e-8)
        for c in (1.0, 10.0, 300.0):
            frame = ref.get_prediction(np.array([[1.0, math.log(c)]])).summary_frame(alpha=0.05)
            pred = fit.predict(c)
            assert pred.score == pytest.approx(frame["mean"].iloc[0], abs=1e-8)
            assert pred.se == pytest.approx(frame["mean_se"].iloc[0], abs=1e-8)
            assert (pred.lower, pred.upper) == pytest.approx(
                (frame["mean_ci_lower"].iloc[0], frame["mean_ci_upper"].iloc[0]), abs=1e-8
            )


def test_fit_inverse_round_trips_and_recovers_the_truth() -> None:
    y = TRUE_A + TRUE_B * np.log(COMPUTE)  # noiseless: the fit is exact
    fit = fit_log_compute(COMPUTE, y)
    assert (fit.a, fit.b) == pytest.approx((TRUE_A, TRUE_B), abs=1e-12)
    assert fit.inverse(TRUE_A + TRUE_B * math.log(37.0)) == pytest.approx(37.0, rel=1e-9)
    assert fit.inverse(fit.predict(5.0).score) == pytest.approx(5.0, rel=1e-9)
    assert fit.inverse(1e6) == math.inf


def test_fit_inverse_refuses_a_flat_or_falling_curve() -> None:
    fit = fit_log_compute(COMPUTE, 0.7 - 0.01 * np.log(COMPUTE) + np.linspace(-1e-3, 1e-3, 8))
    with pytest.raises(StatsError) as exc:
        fit.inverse(0.8)
    assert exc.value.field == "b"


@pytest.mark.parametrize(
    ("compute", "score", "score_se", "field"),
    [
        ([1, 2, 0], [0.1, 0.2, 0.3], None, "compute"),
        ([1, -2, 4], [0.1, 0.2, 0.3], None, "compute"),
        ([1, 2], [0.1, 0.2], None, "compute"),
        ([2, 2, 2], [0.1, 0.2, 0.3], None, "compute"),
        ([], [], None, "compute"),
        ([1, 2, 4], [0.1, 0.2], None, "score"),
        ([1, 2, 4], [0.1, math.nan, 0.3], None, "score"),
        ([1, 2, math.inf], [0.1, 0.2, 0.3], None, "compute"),
        ([1, 2, 4], [0.1, 0.2, 0.3], [0.01, 0.0, 0.01], "score_se"),
        ([1, 2, 4], [0.1, 0.2, 0.3], [0.01, 0.01], "score_se"),
    ],
)
def test_fit_log_compute_bad_input(compute: list, score: list, score_se: list | None, field: str) -> None:
    with pytest.raises(StatsError) as exc:
        fit_log_compute(compute, score, score_se=score_se)
    assert exc.value.field == field


@pytest.mark.parametrize(
    ("change", "field"),
    [({"var_b": -1e-6}, "var_b"), ({"a": math.nan}, "a"), ({"df": 0}, "df"), ({"level": 0.0}, "level")],
)
def test_log_fit_validates_its_fields(change: dict, field: str) -> None:
    fields = {"a": 0.4, "b": 0.05, "var_a": 1e-4, "var_b": 1e-6, "cov_ab": 0.0, "df": 6, "n": 8}
    with pytest.raises(StatsError) as exc:
        LogFit(**({"level": 0.95, "weighted": False} | fields | change))
    assert exc.value.field == field


def test_predict_bad_compute() -> None:
    fit = fit_log_compute(COMPUTE, TRUE_A + TRUE_B * np.log(COMPUTE))
    with pytest.raises(StatsError) as exc:
        fit.predict(0.0)
    assert exc.value.field == "compute"


# --- compute-equivalent gain -------------------------------------------------------------------

TRUE_MULTIPLE = 8.0  # the post-trained variant is worth 8x the base variant's test-time compute
POINT_SE = 0.01
POST_SE = 0.01


def test_gain_recovers_the_multiple_in_a_noiseless_world() -> None:
    fit = fit_log_compute(COMPUTE, TRUE_A + TRUE_B * np.log(COMPUTE) + np.array([1, -1] * 4) * 1e-4)
    post = TRUE_A + TRUE_B * math.log(TRUE_MULTIPLE)
    gain = compute_equivalent_gain(fit, post, 1e-4)
    assert gain.multiple == pytest.approx(TRUE_MULTIPLE, rel=0.02)
    assert gain.lower < gain.multiple < gain.upper
    # The base variant already runs at 2 units: it needs 4x *its* budget, i.e. 8 units in all.
    at_two = compute_equivalent_gain(fit, post, 1e-4, base_compute=2.0)
    assert at_two.multiple == pytest.approx(gain.multiple / 2, rel=1e-12)
    assert (at_two.lower, at_two.upper) == pytest.approx((gain.lower / 2, gain.upper / 2), rel=1e-12)


def test_gain_simulation_interval_agrees_with_delta_method_when_slope_is_clear() -> None:
    rng = np.random.default_rng(1)
    se = np.full(COMPUTE.size, POINT_SE)
    fit = fit_log_compute(COMPUTE, _simulated_scores(rng, se), score_se=se)
    post = TRUE_A + TRUE_B * math.log(TRUE_MULTIPLE)
    gain = compute_equivalent_gain(fit, post, POST_SE, draws=20000)
    # Delta-method interval on log m with the same t(df) quantile the fit uses.
    t = float(stats.t.ppf(0.975, fit.df))
    log_m = math.log(gain.multiple)
    assert math.log(gain.lower) == pytest.approx(log_m - t * gain.log_multiple_se, abs=0.1)
    assert math.log(gain.upper) == pytest.approx(log_m + t * gain.log_multiple_se, abs=0.1)
    assert gain.slope_distinguishable
    assert gain.note is None


def test_gain_interval_covers_the_true_multiple_about_95_percent() -> None:
    # Known world: score = 0.40 + 0.05·log(compute) measured at 8 budgets with SE 0.01 each; the
    # post-trained variant's true score equals the base at 8x compute, observed with SE 0.01.
    rng = np.random.default_rng(2024)
    se = np.full(COMPUTE.size, POINT_SE)
    true_post = TRUE_A + TRUE_B * math.log(TRUE_MULTIPLE)
    sims, covered, log_estimates = 300, 0, []
    for i in range(sims):
        fit = fit_log_compute(COMPUTE, _simulated_scores(rng, se), score_se=se)
        post = true_post + rng.normal(0.0, POST_SE)
        gain = compute_equivalent_gain(fit, post, POST_SE, draws=2000, seed=i)
        covered += gain.lower <= TRUE_MULTIPLE <= gain.upper
        log_estimates.append(math.log(gain.multiple))
    # Binomial SE of 95% coverage over 300 simulations is 0.0126; [0.90, 0.99] is about ±4 SE.
    assert 0.90 <= covered / sims <= 0.99
    # The estimator recovers log 8 on average (SE of the mean over 300 sims is about 0.013).
    assert np.mean(log_estimates) == pytest.approx(math.log(TRUE_MULTIPLE), abs=0.06)


def test_gain_with_a_slope_not_distinguishable_from_zero_is_unbounded() -> None:
    rng = np.random.default_rng(5)
    weak = 0.6 + 0.002 * np.log(COMPUTE) + rng.normal(0, 0.03, COMPUTE.size)
    fit = fit_log_compute(COMPUTE, weak)
    assert fit.b_interval[0] < 0 < fit.b_interval[1]
    gain = compute_equivalent_gain(fit, 0.65, 0.01)
    assert gain.upper == math.inf
    assert not gain.slope_distinguishable
    assert gain.note == SLOPE_NOT_DISTINGUISHABLE
    assert gain.lower >= 0.0
    assert gain.multiple > 0.0


def test_gain_with_a_negative_slope_never_returns_a_negative_multiple() -> None:
    falling = LogFit(
        a=0.7, b=-0.01, var_a=1e-4, var_b=1e-6, cov_ab=0.0, df=6, n=8, level=0.95, weighted=False
    )
    gain = compute_equivalent_gain(falling, 0.75, 0.01)
    assert gain.multiple == math.inf
    assert gain.upper == math.inf
    assert gain.log_multiple_se == math.inf
    assert gain.note == SLOPE_NOT_DISTINGUISHABLE
    assert gain.lower >= 0.0


def test_gain_below_the_base_score_is_a_multiple_below_one() -> None:
    fit = fit_log_compute(COMPUTE, TRUE_A + TRUE_B * np.log(COMPUTE) + np.array([1, -1] * 4) * 1e-4)
    gain = compute_equivalent_gain(fit, TRUE_A + TRUE_B * math.log(0.25), 1e-4)
    assert gain.multiple == pytest.approx(0.25, rel=0.02)
    assert gain.upper < 1.0


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"post_trained_score": math.nan}, "post_trained_score"),
        ({"post_trained_se": -0.01}, "post_trained_se"),
        ({"base_compute": 0.0}, "base_compute"),
        ({"draws": 10}, "draws"),
        ({"level": 1.2}, "level"),
    ],
)
def test_gain_bad_input(kwargs: dict, field: str) -> None:
    fit = fit_log_compute(COMPUTE, TRUE_A + TRUE_B * np.log(COMPUTE) + np.array([1, -1] * 4) * 1e-3)
    args = {"post_trained_score": 0.5, "post_trained_se": 0.01} | kwargs
    with pytest.raises(StatsError) as exc:
        compute_equivalent_gain(fit, **args)
    assert exc.value.field == field


def test_fit_with_a_near_zero_standard_error_is_a_stats_error_not_a_crash():
    # A suite of a few items that one variant solves entirely: its score's SE is ~0.
    with pytest.raises(StatsError, match="score_se"):
        fit_log_compute([1.0, 2.0, 4.0, 9.0, 16.0], [0.55, 0.61, 0.72, 0.72, 1.0],
                        score_se=[0.12, 0.118, 0.109, 0.109, 1e-9])
