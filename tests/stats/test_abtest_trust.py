"""No confident wrong answer: bad or small inputs are refused loudly or answered "not enough data",
and every verdict is stated on the scale it was tested on."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from evalhub.stats import MeanStat, ProportionStat, RatioStat
from evalhub.stats.ab import (
    ABResult,
    QuantileStat,
    bayes_compare,
    chance_to_beat_means,
    compare_means,
    compare_proportions,
    compare_quantile_stats,
    compare_quantiles,
    compare_ratios,
    decide,
    quantile_sample_problem,
    sequential_compare_means,
    sequential_compare_proportions,
    sequential_compare_ratios,
)

FAST = settings(max_examples=80, deadline=None)
FLAT = MeanStat(2, 2.0, 2.0)  # two units, both 1.0: no spread at all
OTHER_FLAT = MeanStat(2, 4.0, 8.0)  # two units, both 2.0


def _refused(c: ABResult) -> None:
    assert not c.enough_data
    assert c.not_enough_data
    assert c.p_value == 1.0
    assert not c.significant
    assert all(math.isnan(x) for x in (*c.lift_ci, *c.relative_lift_ci, c.lift_se, c.relative_lift_se))


# --- zero variance is "not enough data", never p = 0 -------------------------------------------


@pytest.mark.parametrize("scale", ["relative", "absolute"])
def test_constant_arms_are_not_certainty_in_any_engine(scale: str) -> None:
    _refused(compare_means(FLAT, OTHER_FLAT, scale=scale))
    _refused(sequential_compare_means(FLAT, OTHER_FLAT, scale=scale))
    _refused(compare_proportions(ProportionStat(5, 0), ProportionStat(5, 5), scale=scale))
    _refused(sequential_compare_proportions(ProportionStat(5, 0), ProportionStat(5, 5), scale=scale))
    # A ratio whose units all have the same num/den has zero delta-method variance.
    flat_ratio = RatioStat(3, 6.0, 3.0, 12.0, 3.0, 6.0)
    _refused(compare_ratios(flat_ratio, RatioStat(3, 9.0, 3.0, 27.0, 3.0, 9.0), scale=scale))
    _refused(sequential_compare_ratios(flat_ratio, RatioStat(3, 9.0, 3.0, 27.0, 3.0, 9.0), scale=scale))
    assert "no variation" in compare_means(FLAT, OTHER_FLAT, scale=scale).not_enough_data


def test_one_constant_arm_is_refused_like_gbstats() -> None:
    spread = MeanStat(4, 10.0, 30.0)  # values 1, 2, 3, 4
    c = compare_means(FLAT, spread)
    assert not c.enough_data
    assert "control" in c.not_enough_data


def test_bayesian_engines_refuse_constant_arms_instead_of_certainty() -> None:
    for res in (chance_to_beat_means(FLAT, OTHER_FLAT), bayes_compare(FLAT, OTHER_FLAT)):
        assert not res.enough_data
        assert math.isnan(res.chance_to_beat)
    assert not bayes_compare(ProportionStat(5, 0), ProportionStat(5, 5)).enough_data


def test_single_unit_arms_are_not_enough_data_not_an_exception() -> None:
    one = MeanStat(1, 3.0, 9.0)
    for c in (compare_means(one, MeanStat(5, 5.0, 7.0)), sequential_compare_means(one, MeanStat(5, 5.0, 7.0)),
              compare_proportions(ProportionStat(1, 1), ProportionStat(5, 2))):
        _refused(c)
        assert "needs at least" in c.not_enough_data
        assert "units per arm" in c.not_enough_data


def test_non_finite_summary_statistics_cannot_slip_through() -> None:
    # Sums that overflow to inf in float64 are rejected at the boundary, never turned into p = 0.
    from evalhub.stats import StatsError

    with pytest.raises(StatsError) as excinfo:
        MeanStat(10, 1e308 * 10, 1.0)
    assert excinfo.value.field == "sum"


# --- one scale: relative lift by the delta method with (T − C)/|C| -----------------------------


def test_relative_lift_keeps_the_sign_of_the_difference_for_negative_controls() -> None:
    rng = np.random.default_rng(0)
    c, t = rng.normal(-10.0, 1.0, 400), rng.normal(-9.0, 1.0, 400)  # treatment is higher (better)
    res = compare_means(MeanStat(400, c.sum(), (c * c).sum()), MeanStat(400, t.sum(), (t * t).sum()))
    assert res.lift > 0
    assert res.relative_lift > 0
    assert res.relative_lift == pytest.approx((t.mean() - c.mean()) / abs(c.mean()), rel=1e-12)
    assert res.significant
    assert res.relative_lift_ci[0] > 0


def test_ratio_with_negative_denominators_has_the_right_sign() -> None:
    rng = np.random.default_rng(1)
    arms = []
    for shift in (0.0, 0.5):
        den = -(1.0 + rng.poisson(2.0, 500))  # e.g. a net-loss denominator
        num = den * (2.0 + shift) + rng.normal(0, 0.5, 500)
        arms.append(RatioStat(500, num.sum(), den.sum(), (num * num).sum(), (den * den).sum(), (num * den).sum()))
    res = compare_ratios(*arms)
    assert res.control == pytest.approx(2.0, abs=0.05)
    assert res.lift > 0
    assert res.relative_lift > 0
    assert res.relative_lift == pytest.approx(res.lift / abs(res.control), rel=1e-12)


def test_uncertain_control_falls_back_to_the_absolute_scale() -> None:
    # Control mean 0.1 with SE 0.5: the ratio's interval is unbounded, so no relative inference.
    c = MeanStat(100, 10.0, 100 * (25.0 + 0.01))
    t = MeanStat(100, 200.0, 100 * (25.0 + 4.0))
    res = compare_means(c, t)
    assert res.scale == "absolute"
    assert "too uncertain" in res.warnings[0]
    assert res.significant == (res.lift_ci[0] > 0 or res.lift_ci[1] < 0)


@pytest.mark.parametrize(("n", "scale"), [(99, "absolute"), (101, "relative")])
def test_relative_scale_needs_the_control_known_to_ten_percent(n: int, scale: str) -> None:
    # Unit SD 10 around mean 10: |C|/SE(C) = √n crosses 10 between 99 and 101 units.
    c = MeanStat(n, 10.0 * n, n * (100.0 + 100.0) * (n - 1) / n + 100.0)
    res = compare_means(c, MeanStat(n, 11.0 * n, n * (121.0 + 100.0)))
    assert res.scale == scale


mean_stats = st.builds(
    lambda n, mean, sd: MeanStat(n, n * mean, n * (mean * mean + sd * sd) * (1 + 1e-12)),
    st.integers(2, 5000), st.floats(-100, 100), st.floats(0.01, 50),
)


@FAST
@given(mean_stats, mean_stats, st.sampled_from(["relative", "absolute"]), st.sampled_from(["two-sided", "greater", "less"]))
def test_significant_exactly_when_the_interval_on_the_tested_scale_excludes_zero(
    c: MeanStat, t: MeanStat, scale: str, alternative: str
) -> None:
    res = compare_means(c, t, scale=scale, alternative=alternative)
    if not res.enough_data:
        return
    lo, hi = res.ci
    excludes = {"two-sided": lo > 0 or hi < 0, "greater": lo > 0, "less": hi < 0}[alternative]
    # At the boundary p ≈ α the two can differ by rounding only.
    if abs(res.p_value - res.alpha) > 1e-9:
        assert res.significant == excludes
    assert math.isfinite(res.se)
    assert res.se > 0


@FAST
@given(mean_stats, mean_stats)
def test_decide_never_states_an_interval_that_contradicts_its_verdict(c: MeanStat, t: MeanStat) -> None:
    res = compare_means(c, t, metric="m")
    if not res.enough_data or abs(res.p_value - res.alpha) < 1e-9:
        return
    d = decide(res, [], higher_is_better={"m": True}, reached_sample=True)
    lo, hi = res.ci
    if d.verdict == "ship":
        assert lo > 0
    else:
        assert not lo > 0
    # The reason quotes the interval of the tested scale.
    unit = "%" if res.scale == "relative" else ""
    assert f"{100 * lo:+.1f}%" in d.reasons[0] if unit else f"{lo:+.4g}" in d.reasons[0]


def test_decide_waits_and_says_why_when_the_primary_lacks_data() -> None:
    primary = compare_means(FLAT, OTHER_FLAT, metric="m")
    guard = compare_proportions(ProportionStat(5, 0), ProportionStat(5, 0), metric="g")
    d = decide(primary, [guard], higher_is_better={"m": True, "g": False}, reached_sample=True)
    assert d.verdict == "keep running"
    assert d.reasons[0].startswith("primary metric m: not enough data (")
    assert any(r.startswith("guardrail g: not enough data") for r in d.reasons)


def test_decide_flags_the_absolute_scale_when_it_was_used() -> None:
    c = compare_proportions(ProportionStat(1000, 0), ProportionStat(1000, 30), metric="m")
    d = decide(c, [], higher_is_better={"m": True}, reached_sample=True)
    assert "[absolute difference]" in d.reasons[0]


# --- small samples: the relative scale stays calibrated -----------------------------------------


@pytest.mark.parametrize("n", [5, 10, 30])
def test_relative_interval_aa_false_positive_rate_is_alpha_at_small_n(n: int) -> None:
    rng = np.random.default_rng(n)
    sims = 6000
    x = rng.normal(10.0, 3.0, (2, sims, n))
    sums, sq = x.sum(axis=2), (x * x).sum(axis=2)
    hits = sum(compare_means(MeanStat(n, sums[0, i], sq[0, i]), MeanStat(n, sums[1, i], sq[1, i])).significant
               for i in range(sims))
    # α ± 1.5 points; the binomial SE at 6,000 runs is 0.28 points.
    assert 0.035 <= hits / sims <= 0.065


# --- quantiles: a minimum sample, calibrated ----------------------------------------------------


def _latency_probs(edges: np.ndarray) -> np.ndarray:
    probs = np.diff(stats.lognorm.cdf(edges, 0.6, scale=800.0))
    probs[-1] += stats.lognorm.sf(edges[-1], 0.6, scale=800.0)
    return probs / probs.sum()


def test_quantile_test_refuses_below_the_minimum_sample_with_the_needed_size() -> None:
    assert quantile_sample_problem(59, 0.95) == "p95 needs at least 60 observations per arm (got 59)"
    assert quantile_sample_problem(60, 0.95) is None
    assert quantile_sample_problem(299, 0.99) is not None
    assert quantile_sample_problem(300, 0.99) is None
    edges = np.r_[0.0, np.geomspace(1, 120_000, 64)]
    rng = np.random.default_rng(3)
    p = _latency_probs(edges)
    small = compare_quantiles(rng.multinomial(30, p), rng.multinomial(30, p), edges)
    _refused(small)
    ok = compare_quantiles(rng.multinomial(80, p), rng.multinomial(80, p), edges)
    assert ok.enough_data
    assert any("few observations" in w for w in ok.warnings)


@pytest.mark.parametrize("n", [60, 200, 2000])
def test_quantile_aa_false_positive_rate_within_alpha_at_accepted_sizes(n: int) -> None:
    edges = np.r_[0.0, np.geomspace(1, 120_000, 64)]
    p = _latency_probs(edges)
    rng = np.random.default_rng(n)
    sims = 3000
    a, b = rng.multinomial(n, p, sims), rng.multinomial(n, p, sims)
    hits = sum(compare_quantiles(a[i], b[i], edges).significant for i in range(sims))
    assert 0.035 <= hits / sims <= 0.065


def test_quantile_stats_from_the_database_validate_and_compare() -> None:
    from evalhub.stats import StatsError

    with pytest.raises(StatsError) as excinfo:
        QuantileStat(n=100, q=0.95, estimate=5.0, lower=6.0, upper=7.0)
    assert excinfo.value.field == "lower"
    with pytest.raises(StatsError):
        QuantileStat(n=100, q=0.95, estimate=float("nan"), lower=6.0, upper=7.0)
    few = compare_quantile_stats(QuantileStat(40, 0.95, 10.0, 9.0, 12.0), QuantileStat(40, 0.95, 11.0, 10.0, 13.0))
    _refused(few)
    with pytest.raises(StatsError) as excinfo:
        compare_quantile_stats(QuantileStat(400, 0.95, 10.0, 9.0, 12.0), QuantileStat(400, 0.9, 11.0, 10.0, 13.0))
    assert excinfo.value.field == "q"


# --- relative-scale and sequential power -------------------------------------------------------


@pytest.mark.parametrize("sequential", [False, True])
def test_relative_power_matches_simulated_rejection_rate(sequential: bool) -> None:
    from evalhub.stats.ab import mde_relative, power_relative

    n, mu, sd, mde, sims = 300, 10.0, 3.0, 0.06, 3000
    target = 2 * n if sequential else None
    planned = power_relative(mu, sd, mde, n, sequential_target_n=target)
    rng = np.random.default_rng(11)
    c = rng.normal(mu, sd, (sims, n))
    t = rng.normal(mu * (1 + mde), sd, (sims, n))
    fn = (lambda a, b: sequential_compare_means(a, b, target_n=target)) if sequential else compare_means
    hits = sum(fn(MeanStat(n, c[i].sum(), (c[i] ** 2).sum()), MeanStat(n, t[i].sum(), (t[i] ** 2).sum())).significant
               for i in range(sims))
    # Binomial SE at 3,000 runs ≤ 0.9 points.
    assert hits / sims == pytest.approx(planned, abs=0.03)
    assert power_relative(mu, sd, mde_relative(mu, sd, n, sequential_target_n=target), n,
                          sequential_target_n=target) == pytest.approx(0.8, abs=1e-9)
    if sequential:
        assert planned < power_relative(mu, sd, mde, n)  # always-valid costs power at the end


def _relative_closed_form_n(mu: float, sd_c: float, sd_t: float, mde: float, alpha: float, power: float) -> float:
    """n per arm from the normal model without the far tail: mde/SE(n) = z_{1−α/2} + z_power."""
    z = stats.norm.isf(alpha / 2) + stats.norm.isf(1 - power)
    return z**2 * (sd_t**2 + sd_c**2 * (1 + mde) ** 2) / (mu**2 * mde**2)


@pytest.mark.parametrize(("mu", "sd", "n"), [(10.0, 3.0, 300), (0.1, 0.3, 5000), (-4.0, 8.0, 2000)])
def test_relative_mde_matches_the_closed_form_of_the_delta_method_model(mu: float, sd: float, n: int) -> None:
    """Equal SDs and arms: mde² = K(1 + (1 + mde)²) with K = (z_{1−α/2} + z_power)²σ²/(nC²), the quadratic
    a relative-MDE planner solves (GrowthBook's frequentist power model); the far tail moves it < 1e-5."""
    from evalhub.stats.ab import mde_relative

    k = (stats.norm.isf(0.025) + stats.norm.isf(0.2)) ** 2 * sd**2 / (n * mu**2)
    closed = (k + math.sqrt(2 * k - k * k)) / (1 - k)
    assert mde_relative(mu, sd, n) == pytest.approx(closed, rel=1e-5)


@pytest.mark.parametrize(("mu", "sd_c", "sd_t", "mde"), [(10.0, 3.0, 3.0, 0.06), (0.1, 0.3, 0.3250, 0.2),
                                                         (0.5, 0.5, (0.525 * 0.475) ** 0.5, 0.05)])
def test_relative_sample_size_is_the_smallest_n_reaching_power(mu: float, sd_c: float, sd_t: float,
                                                               mde: float) -> None:
    from evalhub.stats.ab import power_relative, sample_size_relative

    n = sample_size_relative(mu, sd_c, mde, sd_treatment=sd_t)
    assert power_relative(mu, sd_c, mde, n, sd_treatment=sd_t) >= 0.8
    assert power_relative(mu, sd_c, mde, n - 1, sd_treatment=sd_t) < 0.8
    # The far tail only adds power, so the search may stop one unit below the closed form.
    assert math.ceil(_relative_closed_form_n(mu, sd_c, sd_t, mde, 0.05, 0.8)) - n in (0, 1)


def test_relative_sample_size_gives_the_planned_power_to_the_proportion_test() -> None:
    """Simulation: conversions at 10%, +20% relative; the default (relative-scale) test at the planned n."""
    from evalhub.stats.ab import sample_size_relative

    p, mde, sims = 0.1, 0.2, 3000
    p_t = p * (1 + mde)
    n = sample_size_relative(p, math.sqrt(p * (1 - p)), mde, sd_treatment=math.sqrt(p_t * (1 - p_t)))
    rng = np.random.default_rng(21)
    xc, xt = rng.binomial(n, p, sims), rng.binomial(n, p_t, sims)
    hits = sum(compare_proportions(ProportionStat(n, int(a)), ProportionStat(n, int(b))).significant
               for a, b in zip(xc, xt))
    # Binomial SE at 3,000 runs: 0.7 points. The realised power runs a few points above plan (83.8% in
    # 20,000 runs): the delta-method SE grows with the treatment's estimate, so the statistic's spread
    # under the alternative is below 1 (SD 0.83 here) — the normal-model plan is conservative, never short.
    assert 0.78 <= hits / sims <= 0.87


def test_relative_sample_size_rejects_bad_input() -> None:
    from evalhub.stats import StatsError
    from evalhub.stats.ab import sample_size_relative

    for kwargs, field in (({"mde": 0.0}, "mde"), ({"mde": 0.05, "power": 0.01}, "power"),
                          ({"mde": 0.05, "alpha": 1.5}, "alpha")):
        with pytest.raises(StatsError) as info:
            sample_size_relative(10.0, 3.0, **kwargs)
        assert info.value.field == field


def test_an_undefined_statistic_is_never_clamped_to_p_zero() -> None:
    from evalhub.stats.ab._core import Spec, build_result

    res = build_result(1.0, 2.0, 0.1, 0.1, Spec(alpha=0.05, method="t", n_control=10, n_treatment=10), df=math.nan)
    _refused(res)
    assert "undefined" in res.not_enough_data


small_means = st.builds(
    lambda xs: MeanStat(len(xs), float(sum(xs)), float(sum(x * x for x in xs))),
    st.lists(st.sampled_from([0.0, 1.0, 2.0, 5.0, -3.0, 1e6]), min_size=1, max_size=8),
)
small_props = st.builds(lambda n, k: ProportionStat(n, min(k, n)), st.integers(1, 80), st.integers(0, 80))


def _sound(c: ABResult) -> None:
    """Either a refusal (p = 1, not significant, NaN intervals) or a finite, consistent answer."""
    if not c.enough_data:
        assert c.p_value == 1.0
        assert not c.significant
        assert math.isnan(c.lift_ci[0])
        return
    assert 0.0 <= c.p_value <= 1.0
    assert c.se > 0
    assert math.isfinite(c.se)
    lo, hi = c.ci
    assert lo <= c.effect <= hi
    assert math.isfinite(lo)
    assert math.isfinite(hi)
    assert c.significant == (lo > 0 or hi < 0) or abs(c.p_value - c.alpha) < 1e-9


@FAST
@given(small_means, small_means, st.sampled_from(["relative", "absolute"]))
def test_tiny_or_degenerate_means_give_a_refusal_or_a_sound_answer(c: MeanStat, t: MeanStat, scale: str) -> None:
    for res in (compare_means(c, t, scale=scale), sequential_compare_means(c, t, scale=scale)):
        _sound(res)


@FAST
@given(small_props, small_props, st.sampled_from(["relative", "absolute"]))
def test_tiny_or_degenerate_proportions_give_a_refusal_or_a_sound_answer(
    c: ProportionStat, t: ProportionStat, scale: str
) -> None:
    for res in (compare_proportions(c, t, scale=scale), sequential_compare_proportions(c, t, scale=scale)):
        _sound(res)
    b = bayes_compare(c, t, scale=scale)
    assert b.enough_data or math.isnan(b.chance_to_beat)


def test_skewed_small_samples_do_not_over_reject_on_the_default_scale() -> None:
    """Simulated A/A (known truth: no effect) where a delta-method relative interval on its own
    over-rejects, the ratio being skewed: log-normal means with 30 units per arm and 5% conversions
    with 100 units per arm. The control is known to worse than ±10% there, so the test is on the
    absolute scale."""
    rng = np.random.default_rng(21)
    sims = 4000
    x = rng.lognormal(0.0, 1.0, (2, sims, 30))
    sums, sq = x.sum(axis=2), (x * x).sum(axis=2)
    means = sum(compare_means(MeanStat(30, sums[0, i], sq[0, i]), MeanStat(30, sums[1, i], sq[1, i])).significant
                for i in range(sims)) / sims
    k = rng.binomial(100, 0.05, (2, sims))
    props = sum(compare_proportions(ProportionStat(100, int(k[0, i])), ProportionStat(100, int(k[1, i]))).significant
                for i in range(sims)) / sims
    # Binomial SE at 4,000 runs: 0.34 points. Conservative is allowed, over-rejecting is not.
    assert means <= 0.065
    assert props <= 0.065
