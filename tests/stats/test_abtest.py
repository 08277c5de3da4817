"""evalhub.stats.ab against reference implementations (scipy, statsmodels, closed forms)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import NormalIndPower, TTestIndPower
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    power_proportions_2indep,
    samplesize_proportions_2indep_onetail,
)

from evalhub.stats import MeanStat, ProportionStat, RatioStat
from evalhub.stats.ab import (
    PreSums,
    RatioSums,
    adjust_pvalues,
    chance_to_beat_means,
    chance_to_beat_proportions,
    compare_means,
    compare_proportions,
    compare_quantiles,
    compare_ratios,
    linearized_mean,
    mde_means,
    mde_proportions,
    power_means,
    power_proportions,
    quantile_ci_from_histogram,
    quantile_from_histogram,
    sample_size_means,
    sample_size_proportions,
    sequential_compare_means,
    sequential_compare_proportions,
    sequential_compare_ratios,
    srm_test,
    with_ratio_covariate,
)


def mean_stat(x: np.ndarray, pre: np.ndarray | None = None) -> MeanStat:
    if pre is None:
        return MeanStat(len(x), float(x.sum()), float((x * x).sum()))
    return MeanStat(
        len(x),
        float(x.sum()),
        float((x * x).sum()),
        float(pre.sum()),
        float((pre * pre).sum()),
        float((x * pre).sum()),
    )


def ratio_stat(num: np.ndarray, den: np.ndarray) -> RatioStat:
    return RatioStat(
        len(num),
        float(num.sum()),
        float(den.sum()),
        float((num * num).sum()),
        float((den * den).sum()),
        float((num * den).sum()),
    )


# --- two-proportion z ------------------------------------------------------------------------


def welch_t_reference(mc: float, vc: float, nc: int, mt: float, vt: float, nt: int, relative: bool):
    """GrowthBook's frequentist engine written out with scipy: (estimate, SE, ν, p, CI)."""
    if relative:
        est = (mt - mc) / abs(mc)
        se = math.sqrt(vt / (mc**2 * nt) + vc * mt**2 / (mc**4 * nc))
    else:
        est, se = mt - mc, math.sqrt(vc / nc + vt / nt)
    df = (vc / nc + vt / nt) ** 2 / ((vc / nc) ** 2 / (nc - 1) + (vt / nt) ** 2 / (nt - 1))
    p = 2 * stats.t.sf(abs(est / se), df)
    h = stats.t.ppf(0.975, df) * se
    return est, se, df, p, (est - h, est + h)


@pytest.mark.parametrize(
    ("xc", "nc", "xt", "nt", "relative_ok"),
    # |C|/SE(C) = √(n·p/(1−p)): 10.5, 67 and 8.4 — the last too uncertain for a relative test.
    [(100, 1000, 130, 1000, True), (4_812, 50_000, 4_990, 49_700, True), (21, 30, 9, 36, False)],
)
@pytest.mark.parametrize("scale", ["relative", "absolute"])
def test_proportions_match_welch_t_closed_form_on_either_scale(
    xc: int, nc: int, xt: int, nt: int, relative_ok: bool, scale: str
) -> None:
    res = compare_proportions(ProportionStat(nc, xc), ProportionStat(nt, xt), alpha=0.05, scale=scale)
    used = scale if relative_ok else "absolute"
    assert res.scale == used
    assert res.enough_data
    assert bool(res.warnings) == (scale == "relative" and not relative_ok)
    pc, pt = xc / nc, xt / nt
    est, se, _, p, ci = welch_t_reference(pc, pc * (1 - pc), nc, pt, pt * (1 - pt), nt, used == "relative")
    assert res.p_value == pytest.approx(p, rel=1e-10)
    assert res.effect == pytest.approx(est, rel=1e-12)
    assert res.se == pytest.approx(se, rel=1e-12)
    assert res.ci == pytest.approx(ci, rel=1e-10)
    assert res.significant == (p < 0.05) == (ci[0] > 0 or ci[1] < 0)
    assert res.lift == pytest.approx(xt / nt - xc / nc, rel=1e-12)


def test_absolute_proportions_approach_the_unpooled_z_test_at_large_n() -> None:
    from statsmodels.stats.proportion import test_proportions_2indep

    res = compare_proportions(ProportionStat(50_000, 4_812), ProportionStat(49_700, 4_990), scale="absolute")
    ref = test_proportions_2indep(4_990, 49_700, 4_812, 50_000, method="wald", compare="diff")
    assert res.p_value == pytest.approx(ref.pvalue, rel=1e-3)
    lo, hi = confint_proportions_2indep(4_990, 49_700, 4_812, 50_000, method="wald", compare="diff")
    assert res.lift_ci == pytest.approx((lo, hi), rel=1e-4)


def test_proportions_with_zero_control_fall_back_to_the_absolute_scale() -> None:
    res = compare_proportions(ProportionStat(1000, 0), ProportionStat(1000, 30))
    assert res.scale == "absolute"
    assert "control is 0" in res.warnings[0]
    assert math.isnan(res.relative_lift)
    assert res.significant
    assert res.lift_ci[0] > 0


# --- Welch t ---------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_welch_matches_scipy_on_raw_data(seed: int) -> None:
    rng = np.random.default_rng(seed)
    c = rng.normal(10.0, 2.0, 800)
    t = rng.normal(10.3, 3.0, 650)
    res = compare_means(mean_stat(c), mean_stat(t), alpha=0.05, scale="absolute")
    ref = stats.ttest_ind(t, c, equal_var=False)
    ci = ref.confidence_interval(0.95)
    assert res.p_value == pytest.approx(ref.pvalue, rel=1e-10)
    assert res.lift == pytest.approx(t.mean() - c.mean(), rel=1e-10)
    assert res.lift_ci == pytest.approx((ci.low, ci.high), rel=1e-10)
    assert (res.n_control, res.n_treatment) == (800, 650)
    rel = compare_means(mean_stat(c), mean_stat(t), alpha=0.05)
    est, se, _, p, rci = welch_t_reference(c.mean(), c.var(ddof=1), 800, t.mean(), t.var(ddof=1), 650, True)
    assert rel.scale == "relative"
    assert (rel.relative_lift, rel.relative_lift_se, rel.p_value) == pytest.approx((est, se, p), rel=1e-10)
    assert rel.relative_lift_ci == pytest.approx(rci, rel=1e-10)


@pytest.mark.parametrize("alternative", ["greater", "less"])
def test_one_sided_welch_matches_scipy(alternative: str) -> None:
    rng = np.random.default_rng(3)
    c, t = rng.normal(10.0, 2.0, 300), rng.normal(10.2, 2.5, 280)
    res = compare_means(mean_stat(c), mean_stat(t), scale="absolute", alternative=alternative)
    ref = stats.ttest_ind(t, c, equal_var=False, alternative=alternative)
    ci = ref.confidence_interval(0.95)
    assert res.p_value == pytest.approx(ref.pvalue, rel=1e-10)
    assert res.lift_ci == pytest.approx((ci.low, ci.high), rel=1e-10)
    assert res.significant == (res.lift_ci[0] > 0 if alternative == "greater" else res.lift_ci[1] < 0)


# --- ratio metrics (delta method) ------------------------------------------------------------


def test_ratio_delta_se_matches_simulated_sampling_sd() -> None:
    # Cost per task, units = users: tasks ~ 1 + Poisson(3), cost correlated with tasks.
    rng = np.random.default_rng(7)
    sims, n = 2000, 400
    den = 1.0 + rng.poisson(3.0, (sims, n)).astype(float)
    num = 0.5 * den + rng.gamma(2.0, 0.4, (sims, n)) * np.sqrt(den)
    ratios = num.sum(axis=1) / den.sum(axis=1)
    empirical_sd = ratios.std(ddof=1)
    crit = stats.norm.ppf(0.975)
    delta_sd = []
    for i in range(50):
        res = compare_ratios(ratio_stat(num[i], den[i]), ratio_stat(num[i + 50], den[i + 50]))
        # CI half width = crit·√(V_C + V_T) with two arms of the same law.
        delta_sd.append((res.lift_ci[1] - res.lift_ci[0]) / (2 * crit) / math.sqrt(2))
    assert np.mean(delta_sd) == pytest.approx(empirical_sd, rel=0.10)


def test_ratio_point_estimate_and_p_value_under_null_are_calibrated() -> None:
    rng = np.random.default_rng(8)
    den = 1.0 + rng.poisson(2.0, (2, 3000)).astype(float)
    num = den * rng.uniform(0.5, 1.5, (2, 3000))
    res = compare_ratios(ratio_stat(num[0], den[0]), ratio_stat(num[1], den[1]))
    assert res.control == pytest.approx(num[0].sum() / den[0].sum(), rel=1e-12)
    assert res.lift_ci[0] < res.lift < res.lift_ci[1]
    assert res.method == "delta-method t (ratio)"


def test_sequential_ratio_equals_sequential_mean_of_linearised_units() -> None:
    # l_i = R + (num_i - R·den_i)/μ_den has mean R and the delta-method variance exactly
    # (Deng, Knoblich & Lu 2018, linearisation), so both routes must agree.
    rng = np.random.default_rng(10)
    arms = []
    for shift in (0.0, 0.05):
        den = 1.0 + rng.poisson(2.0, 2000).astype(float)
        num = (0.5 + shift) * den + rng.normal(0.0, 0.5, 2000)
        r = num.sum() / den.sum()
        arms.append((ratio_stat(num, den), mean_stat(r + (num - r * den) / den.mean())))
    (rc, lc), (rt, lt) = arms
    by_ratio = sequential_compare_ratios(rc, rt, target_n=8000)
    by_mean = sequential_compare_means(lc, lt, target_n=8000)
    assert by_ratio.lift_ci == pytest.approx(by_mean.lift_ci, rel=1e-9)
    assert by_ratio.p_value == pytest.approx(by_mean.p_value, rel=1e-8)


def _ratio_arm(rng: np.random.Generator, n: int, shift: float) -> tuple[np.ndarray, ...]:
    """Per-unit in-period (num, den) and pre-period (pn, pd) ratio components, correlated."""
    pd_ = 1.0 + rng.poisson(2.0, n).astype(float)
    taste = rng.normal(0.0, 0.4, n)  # a per-unit propensity seen in both periods
    pn = (0.5 + taste) * pd_ + rng.normal(0.0, 0.3, n)
    den = 1.0 + rng.poisson(2.0, n).astype(float)
    num = (0.5 + shift + taste) * den + rng.normal(0.0, 0.3, n)
    return num, den, pn, pd_


def _ratio_sums(num, den, pn, pd_, r_pre: float) -> RatioSums:
    pre = PreSums(pn.sum(), pd_.sum(), (pn * pn).sum(), (pd_ * pd_).sum(), (pn * pd_).sum(), (num * pn).sum(),
                  (num * pd_).sum(), (den * pn).sum(), (den * pd_).sum())
    base = RatioSums(len(num), num.sum(), den.sum(), (num * num).sum(), (den * den).sum(), (num * den).sum())
    return with_ratio_covariate(base, pre, r_pre)


def test_linearised_ratio_sums_equal_the_explicit_per_unit_values() -> None:
    # Closed form: the sums built from SQL-style aggregates must equal those of the explicit
    # l_i = R + (num_i - R·den_i)/μ_den and x_i = pn_i - R_pre·pd_i, to rounding.
    rng = np.random.default_rng(21)
    num, den, pn, pd_ = _ratio_arm(rng, 3000, 0.0)
    r_pre = 0.52
    stat = linearized_mean(_ratio_sums(num, den, pn, pd_, r_pre), with_pre=True)
    r = num.sum() / den.sum()
    lin = r + (num - r * den) / den.mean()
    x = pn - r_pre * pd_
    assert (stat.n, stat.sum, stat.sum_sq) == pytest.approx((3000, lin.sum(), (lin * lin).sum()), rel=1e-9)
    assert (stat.pre_sum, stat.pre_sum_sq, stat.pre_cross) == pytest.approx(
        (x.sum(), (x * x).sum(), (lin * x).sum()), rel=1e-9)


def test_cuped_on_a_linearised_ratio_equals_ancova_and_narrows_the_interval() -> None:
    rng = np.random.default_rng(22)
    arms = [_ratio_arm(rng, 4000, shift) for shift in (0.0, 0.04)]
    r_pre = sum(a[2].sum() for a in arms) / sum(a[3].sum() for a in arms)  # pooled over both arms
    sums = [_ratio_sums(*a, r_pre) for a in arms]
    cuped = compare_means(linearized_mean(sums[0], with_pre=True), linearized_mean(sums[1], with_pre=True), cuped=True)
    plain = compare_means(linearized_mean(sums[0]), linearized_mean(sums[1]))
    # Reference: ANCOVA of the explicit linearised values on treatment + covariate (statsmodels).
    lins, xs = [], []
    for num, den, pn, pd_ in arms:
        r = num.sum() / den.sum()
        lins.append(r + (num - r * den) / den.mean())
        xs.append(pn - r_pre * pd_)
    treat = np.r_[np.zeros(4000), np.ones(4000)]
    ols = sm.OLS(np.r_[lins[0], lins[1]], sm.add_constant(np.column_stack([treat, np.r_[xs[0], xs[1]]]))).fit()
    assert cuped.lift == pytest.approx(ols.params[1], rel=1e-9)
    # Without the covariate the lift is the plain difference of ratios (delta method).
    assert plain.lift == pytest.approx(compare_ratios(sums[0], sums[1]).lift, rel=1e-12)
    assert (cuped.lift_ci[1] - cuped.lift_ci[0]) < 0.8 * (plain.lift_ci[1] - plain.lift_ci[0])


# --- CUPED -----------------------------------------------------------------------------------


def _correlated(
    rng: np.random.Generator, rho: float, shape: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray]:
    pre = rng.normal(5.0, 1.0, shape)
    post = 5.0 + rho * (pre - 5.0) + math.sqrt(1 - rho**2) * rng.normal(0.0, 1.0, shape)
    return pre, post


def test_cuped_equals_ancova_treatment_coefficient() -> None:
    rng = np.random.default_rng(3)
    pre, post = _correlated(rng, 0.6, (2, 1500))
    post[1] += 0.05
    res = compare_means(mean_stat(post[0], pre[0]), mean_stat(post[1], pre[1]), cuped=True)
    treat = np.r_[np.zeros(1500), np.ones(1500)]
    X = sm.add_constant(np.column_stack([treat, np.r_[pre[0], pre[1]]]))
    ols = sm.OLS(np.r_[post[0], post[1]], X).fit()
    # Within-arm pooled θ is exactly the ANCOVA slope, so the CUPED lift is its treatment effect.
    assert res.lift == pytest.approx(ols.params[1], rel=1e-9)
    assert res.method == "welch t + cuped"


@pytest.mark.parametrize("rho", [0.3, 0.7, 0.9])
def test_cuped_variance_reduction_is_rho_squared(rho: float) -> None:
    rng = np.random.default_rng(4)
    pre, post = _correlated(rng, rho, (2, 20_000))
    res = compare_means(mean_stat(post[0], pre[0]), mean_stat(post[1], pre[1]), cuped=True)
    assert res.variance_reduction == pytest.approx(rho**2, abs=0.02)


def test_cuped_is_unbiased_and_shrinks_spread_across_experiments() -> None:
    rng = np.random.default_rng(5)
    sims, n, rho, effect = 1000, 200, 0.8, 0.1
    pre, post = _correlated(rng, rho, (sims, 2, n))
    post[:, 1] += effect
    plain, cuped = [], []
    for i in range(sims):
        c, t = mean_stat(post[i, 0], pre[i, 0]), mean_stat(post[i, 1], pre[i, 1])
        plain.append(compare_means(c, t).lift)
        cuped.append(compare_means(c, t, cuped=True).lift)
    cuped_arr, plain_arr = np.array(cuped), np.array(plain)
    # Unbiased: mean within 4 MC standard errors of the true effect.
    assert abs(cuped_arr.mean() - effect) < 4 * cuped_arr.std() / math.sqrt(sims)
    ratio = cuped_arr.var() / plain_arr.var()
    assert ratio == pytest.approx(1 - rho**2, abs=0.06)


def test_cuped_without_pre_sums_runs_plain_welch() -> None:
    c, t = MeanStat(50, 100.0, 260.0), MeanStat(60, 130.0, 330.0)
    assert compare_means(c, t, cuped=True) == compare_means(c, t)


# --- quantiles from histograms ---------------------------------------------------------------


def test_quantile_from_histogram_interpolates_within_bins() -> None:
    # 10 values in [0,1), 30 in [1,2), 60 in [2,4): rank 95 lies 55/60 into the last bin.
    assert quantile_from_histogram([10, 30, 60], [0, 1, 2, 4], 0.95) == pytest.approx(
        2 + 2 * 55 / 60
    )
    assert quantile_from_histogram([10, 30, 60], [0, 1, 2, 4], 0.1) == pytest.approx(1.0)
    # Empty bins before the rank are skipped.
    assert quantile_from_histogram([0, 0, 5, 0, 5], [0, 1, 2, 3, 4, 5], 0.5) == pytest.approx(3.0)


def test_histogram_quantile_is_the_pchip_inverse_cdf_through_the_bin_edges() -> None:
    """Reference: scipy's PchipInterpolator through (cumulative count, right edge); inside the histogram
    (not in the first or last bin, where scipy's end-point rule differs) the two agree to rounding."""
    from scipy.interpolate import PchipInterpolator

    counts = np.array([3, 10, 25, 40, 22, 9, 4, 2, 1])
    edges = np.array([0.0, 1.0, 1.5, 2.5, 4.0, 6.0, 9.0, 14.0, 20.0, 30.0])
    reference = PchipInterpolator(np.r_[0, np.cumsum(counts)], edges)
    for q in (0.1, 0.25, 0.5, 0.62, 0.8, 0.9, 0.95):
        assert quantile_from_histogram(counts, edges, q) == pytest.approx(float(reference(q * counts.sum())), abs=1e-12)
    # The knots are kept: a rank at a cumulative count lands on that bin's right edge.
    assert quantile_from_histogram(counts, edges, 38 / 116) == pytest.approx(2.5, abs=1e-12)


def test_quantile_test_is_calibrated_when_the_quantile_sits_just_past_a_bucket_edge() -> None:
    """Simulation, A/A: log-normal latencies on the production buckets with p99 6% into its bucket, 10⁵ per
    arm, 2,000 runs (binomial SE 0.5 points). Linear interpolation within buckets rejected 7.3% of 6,000
    runs here; the monotone cubic keeps the rate within α ± 1.5 points."""
    from experiments.telemetry.buckets import LATENCY_BUCKET_EDGES_MS

    edges = np.asarray(LATENCY_BUCKET_EDGES_MS)
    cdf = stats.lognorm.cdf(edges, 0.6, scale=880.0)
    probs = np.diff(cdf)
    probs[-1] += 1.0 - cdf[-1]
    probs /= probs.sum()
    rng = np.random.default_rng(12)
    a, b = rng.multinomial(100_000, probs, 2000), rng.multinomial(100_000, probs, 2000)
    rate = sum(compare_quantiles(a[i], b[i], edges, q=0.99).significant for i in range(2000)) / 2000
    assert 0.035 <= rate <= 0.065


def test_quantile_from_fine_histogram_matches_raw_quantile() -> None:
    rng = np.random.default_rng(6)
    x = rng.lognormal(6.0, 0.5, 200_000)
    edges = np.linspace(0, x.max() + 1, 4001)
    counts, _ = np.histogram(x, edges)
    assert quantile_from_histogram(counts, edges, 0.95) == pytest.approx(
        np.quantile(x, 0.95), rel=2e-3
    )


def _latency_bins() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bin probabilities of two lognormal latency laws (treatment 8% slower) on shared edges."""
    edges = np.r_[0.0, np.geomspace(50, 20_000, 120)]
    probs = [np.diff(stats.lognorm.cdf(edges, 0.6, scale=scale)) for scale in (400.0, 432.0)]
    return edges, probs[0] / probs[0].sum(), probs[1] / probs[1].sum()


def test_quantile_ci_covers_true_p95_at_nominal_rate() -> None:
    edges, pc, pt = _latency_bins()
    # Truth for the binned law (uniform within bins) is the interpolated quantile of the probs.
    true_c = quantile_from_histogram(pc, edges, 0.95)
    true_t = quantile_from_histogram(pt, edges, 0.95)
    rng = np.random.default_rng(9)
    sims = 1000
    hc = rng.multinomial(3000, pc, sims)
    ht = rng.multinomial(2500, pt, sims)
    arm_cover = diff_cover = 0
    for i in range(sims):
        _, lo, hi = quantile_ci_from_histogram(hc[i], edges, 0.95)
        arm_cover += lo <= true_c <= hi
        res = compare_quantiles(hc[i], ht[i], edges, q=0.95)
        diff_cover += res.lift_ci[0] <= true_t - true_c <= res.lift_ci[1]
    assert 0.925 <= arm_cover / sims <= 0.975
    assert 0.925 <= diff_cover / sims <= 0.975


def test_quantile_comparison_detects_slower_treatment() -> None:
    edges, pc, pt = _latency_bins()
    res = compare_quantiles(
        np.round(pc * 1e5), np.round(pt * 1e5), edges, q=0.95, metric="latency_p95"
    )
    assert res.significant
    assert res.lift > 0
    assert res.relative_lift == pytest.approx(0.08, abs=0.01)
    assert res.n_control == pytest.approx(1e5, abs=200)


# --- SRM and multiple testing ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("observed", "weights"),
    [
        ([5000, 5100], [1, 1]),
        ([10_000, 10_600], [0.5, 0.5]),
        ([3300, 3300, 3500], [1, 1, 1]),
        ([900, 2100], [0.3, 0.7]),
    ],
)
def test_srm_matches_scipy_chisquare(observed: list[int], weights: list[float]) -> None:
    obs = np.array(observed, dtype=float)
    w = np.array(weights, dtype=float)
    res = srm_test(observed, weights)
    ref = stats.chisquare(obs, obs.sum() * w / w.sum())
    assert res.statistic == pytest.approx(ref.statistic, rel=1e-12)
    assert res.p_value == pytest.approx(ref.pvalue, rel=1e-10)
    assert res.mismatch == (ref.pvalue < 0.001)


def test_srm_flags_a_real_mismatch_only() -> None:
    assert srm_test([10_000, 10_600], [1, 1]).mismatch
    assert not srm_test([10_000, 10_050], [1, 1]).mismatch


@pytest.mark.parametrize("method,sm_method", [("holm", "holm"), ("bh", "fdr_bh")])
@pytest.mark.parametrize("seed", range(5))
def test_adjust_pvalues_equals_multipletests(method: str, sm_method: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    p = np.r_[rng.uniform(0, 0.1, 8), rng.uniform(0, 1, 12), [0.0, 1.0, 0.03, 0.03]]
    rng.shuffle(p)
    expected = multipletests(p, method=sm_method)[1]
    assert np.array_equal(adjust_pvalues(p, method), expected)  # type: ignore[arg-type]


# --- sequential ------------------------------------------------------------------------------


def test_sequential_matches_growthbook_formula() -> None:
    c, t = ProportionStat(4000, 400), ProportionStat(4100, 460)
    res = sequential_compare_proportions(c, t, alpha=0.05, target_n=10_000)
    n = 8100
    var = 0.1 * 0.9 / 4000 + (460 / 4100) * (1 - 460 / 4100) / 4100
    rho = math.sqrt((-2 * math.log(0.05) + math.log(-2 * math.log(0.05) + 1)) / 10_000)
    s2 = var * n
    half = math.sqrt(s2) * math.sqrt(
        2 * (n * rho**2 + 1) / (n**2 * rho**2) * math.log(math.sqrt(n * rho**2 + 1) / 0.05)
    )
    assert res.lift_ci == pytest.approx((res.lift - half, res.lift + half), rel=1e-12)
    assert res.sequential


@pytest.mark.parametrize("n", [100, 1_000, 5_000, 20_000, 1_000_000])
def test_sequential_interval_is_wider_than_fixed_and_agrees_with_its_p_value(n: int) -> None:
    c, t = ProportionStat(n, int(0.10 * n)), ProportionStat(n, int(0.104 * n))
    fixed = compare_proportions(c, t)
    seq = sequential_compare_proportions(c, t, target_n=10_000)
    assert seq.lift_ci[0] < fixed.lift_ci[0]
    assert seq.lift_ci[1] > fixed.lift_ci[1]
    assert seq.p_value >= fixed.p_value
    assert seq.significant == (seq.lift_ci[0] > 0 or seq.lift_ci[1] < 0)


def test_sequential_interval_converges() -> None:
    widths, ratios = [], []
    for n in [10**3, 10**4, 10**5, 10**6, 10**7]:
        c, t = MeanStat(n, 1.0 * n, 2.0 * n), MeanStat(n, 1.0 * n, 2.0 * n)
        seq = sequential_compare_means(c, t, target_n=20_000)
        fixed = compare_means(c, t)
        widths.append(seq.lift_ci[1] - seq.lift_ci[0])
        ratios.append(widths[-1] / (fixed.lift_ci[1] - fixed.lift_ci[0]))
    assert all(a > b for a, b in itertools.pairwise(widths))
    # 10⁴ times the units: a fixed interval narrows 100×, the sequence nearly as much (√(log N/N)).
    assert widths[-1] < widths[0] / 40
    assert all(1.0 < r < 3.0 for r in ratios)  # the price of peeking is a bounded factor


# --- Bayesian --------------------------------------------------------------------------------


def _miller_exact(ac: float, bc: float, at: int, bt: float) -> float:
    """Evan Miller's closed form for P(θ_T > θ_C), integer alpha_T."""
    from scipy.special import betaln

    total = 0.0
    for i in range(at):
        total += math.exp(
            betaln(ac + i, bc + bt) - math.log(bt + i) - betaln(1 + i, bt) - betaln(ac, bc)
        )
    return total


@pytest.mark.parametrize(
    ("xc", "nc", "xt", "nt"), [(20, 200, 30, 200), (5, 50, 4, 60), (120, 1000, 118, 900)]
)
def test_chance_to_beat_proportions_matches_exact_sum(xc: int, nc: int, xt: int, nt: int) -> None:
    res = chance_to_beat_proportions(ProportionStat(nc, xc), ProportionStat(nt, xt))
    exact = _miller_exact(1 + xc, 1 + nc - xc, 1 + xt, 1 + nt - xt)
    assert res.chance_to_beat == pytest.approx(exact, abs=0.005)
    # E[max(D,0)] - E[max(-D,0)] = E[D] = difference of posterior means.
    diff = (1 + xt) / (2 + nt) - (1 + xc) / (2 + nc)
    assert res.expected_loss_control - res.expected_loss_treatment == pytest.approx(diff, abs=5e-4)


def test_chance_to_beat_means_matches_monte_carlo() -> None:
    c, t = (
        MeanStat(500, 500 * 3.0, 500 * (9.0 + 4.0)),
        MeanStat(480, 480 * 3.2, 480 * (3.2**2 + 5.0)),
    )
    res = chance_to_beat_means(c, t)
    s = math.sqrt(c.variance / c.n + t.variance / t.n)
    d = np.random.default_rng(1).normal(t.mean - c.mean, s, 1_000_000)
    assert res.chance_to_beat == pytest.approx(np.mean(d > 0), abs=0.002)
    assert res.expected_loss_treatment == pytest.approx(np.mean(np.maximum(-d, 0)), rel=0.02)
    assert res.expected_loss_control == pytest.approx(np.mean(np.maximum(d, 0)), rel=0.01)


# --- power and sample size -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("p", "mde", "ratio"), [(0.1, 0.01, 1.0), (0.03, 0.005, 2.0), (0.5, -0.02, 0.5)]
)
def test_proportion_power_and_sample_size_match_statsmodels(
    p: float, mde: float, ratio: float
) -> None:
    n = sample_size_proportions(p, mde, alpha=0.05, power=0.8, ratio=ratio)
    ref_n = samplesize_proportions_2indep_onetail(
        p - (p + mde), p + mde, 0.8, ratio=ratio, alpha=0.05
    )
    assert n == math.ceil(ref_n)
    ref_power = power_proportions_2indep(
        p - (p + mde), p + mde, n, ratio=ratio, alpha=0.05, return_results=False
    )
    assert power_proportions(p, mde, n, ratio=ratio) == pytest.approx(ref_power, rel=1e-10)
    assert 0.8 <= power_proportions(p, mde, n, ratio=ratio) < 0.8 + 1e-3
    assert sample_size_proportions(p, mde / p, relative=True, ratio=ratio) == n


def test_proportion_mde_inverts_power() -> None:
    mde = mde_proportions(14_751, 0.1)
    assert power_proportions(0.1, mde, 14_751) == pytest.approx(0.8, abs=1e-9)
    assert mde == pytest.approx(0.01, rel=1e-3)
    assert mde_proportions(14_751, 0.1, relative=True) == pytest.approx(mde / 0.1, rel=1e-9)


@pytest.mark.parametrize(
    ("sd", "mde", "ratio"), [(1.0, 0.1, 1.0), (250.0, 12.0, 1.5), (3.0, 0.9, 1.0)]
)
def test_mean_power_and_sample_size_match_statsmodels(sd: float, mde: float, ratio: float) -> None:
    n = sample_size_means(sd, mde, ratio=ratio)
    ref = NormalIndPower().solve_power(effect_size=mde / sd, alpha=0.05, power=0.8, ratio=ratio)
    assert abs(n - ref) < 1.0
    assert n >= ref
    assert power_means(sd, mde, n, ratio=ratio) == pytest.approx(
        NormalIndPower().power(mde / sd, n, 0.05, ratio=ratio), rel=1e-12
    )
    # The t-test version needs at most a couple more units at these sizes.
    ref_t = TTestIndPower().solve_power(effect_size=mde / sd, alpha=0.05, power=0.8, ratio=ratio)
    assert 0 <= ref_t - n < 3
    assert power_means(sd, mde_means(n, sd, ratio=ratio), n, ratio=ratio) == pytest.approx(
        0.8, abs=1e-9
    )
