"""GrowthBook parity: evalhub.stats.ab against gbstats (GrowthBook's own statistics package).

Same inputs as sufficient statistics on both sides. gbstats divides the relative lift by C while
EvalHub divides by |C| (so the sign is right for negative controls); the cases here use C > 0,
where the two agree. Tolerances: 1e-9 relative where the formulas are identical; quantiles differ
by GrowthBook's (n − 1)/n factor and its t reference, so 1e-3.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

gb_stats = pytest.importorskip("gbstats.models.statistics")
gb_freq = pytest.importorskip("gbstats.frequentist.tests")
gb_bayes = pytest.importorskip("gbstats.bayesian.tests")

from evalhub.stats import MeanStat, ProportionStat, RatioStat  # noqa: E402
from evalhub.stats.ab import (  # noqa: E402
    GaussianPrior,
    QuantileStat,
    bayes_compare,
    compare_means,
    compare_proportions,
    compare_quantile_stats,
    compare_ratios,
    sequential_compare_means,
)

DIFF = {"relative": "relative", "absolute": "absolute"}


def _gb_result(stat_a, stat_b, scale: str, cls=None, **config):
    cls = cls or gb_freq.TwoSidedTTest
    cfg_cls = gb_freq.SequentialConfig if cls is gb_freq.SequentialTwoSidedTTest else gb_freq.FrequentistConfig
    return cls(stat_a, stat_b, cfg_cls(difference_type=DIFF[scale], **config)).compute_result()


def _check(ours, gb) -> None:
    assert gb.error_message is None
    assert ours.effect == pytest.approx(gb.expected, rel=1e-9)
    assert ours.se == pytest.approx(gb.uplift.stddev, rel=1e-9)
    assert ours.p_value == pytest.approx(gb.p_value, rel=1e-9, abs=1e-14)
    assert ours.ci == pytest.approx(tuple(gb.ci), rel=1e-9)


@pytest.mark.parametrize("scale", ["relative", "absolute"])
@pytest.mark.parametrize(("xc", "nc", "xt", "nt"), [(100, 1000, 130, 1000), (4_812, 50_000, 4_990, 49_700), (400, 900, 310, 880)])
def test_proportions_equal_gbstats(scale: str, xc: int, nc: int, xt: int, nt: int) -> None:
    ours = compare_proportions(ProportionStat(nc, xc), ProportionStat(nt, xt), scale=scale)
    gb = _gb_result(gb_stats.ProportionStatistic(n=nc, sum=xc), gb_stats.ProportionStatistic(n=nt, sum=xt), scale)
    _check(ours, gb)


def _mean_pair(seed: int, n: int = 500) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.lognormal(1.0, 0.8, n), rng.lognormal(1.05, 0.8, n + 37)


@pytest.mark.parametrize("scale", ["relative", "absolute"])
@pytest.mark.parametrize("seed", [0, 1])
def test_means_equal_gbstats(scale: str, seed: int) -> None:
    c, t = _mean_pair(seed)
    ours = compare_means(MeanStat(c.size, c.sum(), (c * c).sum()), MeanStat(t.size, t.sum(), (t * t).sum()), scale=scale)
    gb = _gb_result(gb_stats.SampleMeanStatistic(n=c.size, sum=c.sum(), sum_squares=(c * c).sum()),
                    gb_stats.SampleMeanStatistic(n=t.size, sum=t.sum(), sum_squares=(t * t).sum()), scale)
    _check(ours, gb)


@pytest.mark.parametrize("scale", ["relative", "absolute"])
def test_sequential_means_equal_gbstats(scale: str) -> None:
    c, t = _mean_pair(2)
    ours = sequential_compare_means(MeanStat(c.size, c.sum(), (c * c).sum()), MeanStat(t.size, t.sum(), (t * t).sum()),
                                    scale=scale, target_n=4000)
    gb = _gb_result(gb_stats.SampleMeanStatistic(n=c.size, sum=c.sum(), sum_squares=(c * c).sum()),
                    gb_stats.SampleMeanStatistic(n=t.size, sum=t.sum(), sum_squares=(t * t).sum()), scale,
                    cls=gb_freq.SequentialTwoSidedTTest, sequential_tuning_parameter=4000)
    _check(ours, gb)


@pytest.mark.parametrize("scale", ["relative", "absolute"])
def test_ratios_equal_gbstats(scale: str) -> None:
    rng = np.random.default_rng(4)
    arms = []
    for n, lam in ((700, 2.0), (650, 2.3)):
        den = 1.0 + rng.poisson(lam, n).astype(float)
        num = den * rng.gamma(2.0, 0.5, n)
        arms.append((n, num, den))
    ours_stats, gb_arms = [], []
    for n, num, den in arms:
        ours_stats.append(RatioStat(n, num.sum(), den.sum(), (num * num).sum(), (den * den).sum(), (num * den).sum()))
        gb_arms.append(gb_stats.RatioStatistic(
            n=n, m_statistic=gb_stats.SampleMeanStatistic(n=n, sum=num.sum(), sum_squares=(num * num).sum()),
            d_statistic=gb_stats.SampleMeanStatistic(n=n, sum=den.sum(), sum_squares=(den * den).sum()),
            m_d_sum_of_products=(num * den).sum()))
    _check(compare_ratios(*ours_stats, scale=scale), _gb_result(*gb_arms, scale))


@pytest.mark.parametrize("scale", ["relative", "absolute"])
def test_cuped_with_pooled_theta_equals_gbstats_regression_adjustment(scale: str) -> None:
    rng = np.random.default_rng(5)
    ours, gb = [], []
    for n, shift in ((800, 0.0), (760, 0.4)):
        pre = rng.normal(10.0, 3.0, n)
        post = 0.8 * pre + rng.normal(2.0 + shift, 1.5, n)
        ours.append(MeanStat(n, post.sum(), (post * post).sum(), pre.sum(), (pre * pre).sum(), (post * pre).sum()))
        gb.append(gb_stats.RegressionAdjustedStatistic(
            n=n, post_statistic=gb_stats.SampleMeanStatistic(n=n, sum=post.sum(), sum_squares=(post * post).sum()),
            pre_statistic=gb_stats.SampleMeanStatistic(n=n, sum=pre.sum(), sum_squares=(pre * pre).sum()),
            post_pre_sum_of_products=(post * pre).sum(), theta=0))
    res = compare_means(*ours, cuped=True, cuped_theta="pooled", scale=scale)
    _check(res, _gb_result(*gb, scale))
    within = compare_means(*ours, cuped=True, scale=scale)
    # The within-arm θ (ANCOVA) differs from GrowthBook's pooled θ, but both remove most variance.
    assert within.effect != res.effect
    assert within.variance_reduction > 0.5
    assert res.variance_reduction > 0.5


@pytest.mark.parametrize("proper", [False, True])
def test_bayesian_relative_engine_equals_gbstats(proper: bool) -> None:
    c, t = _mean_pair(6)
    prior = GaussianPrior(mean=0.02, variance=0.01, proper=proper)
    ours = bayes_compare(MeanStat(c.size, c.sum(), (c * c).sum()), MeanStat(t.size, t.sum(), (t * t).sum()), prior=prior)
    gb = gb_bayes.EffectBayesianABTest(
        gb_stats.SampleMeanStatistic(n=c.size, sum=c.sum(), sum_squares=(c * c).sum()),
        gb_stats.SampleMeanStatistic(n=t.size, sum=t.sum(), sum_squares=(t * t).sum()),
        gb_bayes.EffectBayesianConfig(prior_effect=gb_bayes.GaussianPrior(mean=0.02, variance=0.01, proper=proper)),
    ).compute_result()
    assert ours.effect_mean == pytest.approx(gb.expected, rel=1e-9)
    assert ours.effect_sd == pytest.approx(gb.uplift.stddev, rel=1e-9)
    assert ours.chance_to_beat == pytest.approx(gb.chance_to_win, rel=1e-9)
    assert ours.credible_interval == pytest.approx(tuple(gb.ci), rel=1e-9)
    # gbstats' risk = [risk of keeping control, risk of shipping treatment].
    assert (ours.expected_loss_control, ours.expected_loss_treatment) == pytest.approx(tuple(gb.risk), rel=1e-6, abs=1e-12)


def test_informative_prior_shrinks_a_noisy_lift_towards_the_prior_mean() -> None:
    c, t = MeanStat(30, 30 * 10.0, 30 * (100.0 + 9.0)), MeanStat(30, 30 * 12.0, 30 * (144.0 + 9.0))
    flat = bayes_compare(c, t)
    tight = bayes_compare(c, t, prior=GaussianPrior(0.0, 0.05**2, proper=True))
    assert flat.effect_mean == pytest.approx(0.2, rel=1e-12)
    assert 0 < tight.effect_mean < flat.effect_mean
    assert tight.effect_sd < flat.effect_sd


def test_quantile_stats_match_gbstats_quantile_test() -> None:
    rng = np.random.default_rng(7)
    stats_ours, stats_gb = [], []
    for scale_ms in (400.0, 440.0):
        x = np.sort(rng.lognormal(math.log(scale_ms), 0.6, 4000))
        n, q = x.size, 0.95
        half = 1.959963984540054 * math.sqrt(n * q * (1 - q))
        est, lo, hi = np.quantile(x, [q, (n * q - half) / n, (n * q + half) / n])
        stats_ours.append(QuantileStat(n=n, q=q, estimate=est, lower=lo, upper=hi))
        stats_gb.append(gb_stats.QuantileStatistic(n=n, n_star=n, nu=q, quantile_hat=est, quantile_lower=lo,
                                                   quantile_upper=hi))
    ours = compare_quantile_stats(*stats_ours)
    gb = _gb_result(*stats_gb, "relative")
    assert ours.effect == pytest.approx(gb.expected, rel=1e-12)
    assert ours.se == pytest.approx(gb.uplift.stddev, rel=1e-3)
    assert ours.p_value == pytest.approx(gb.p_value, rel=2e-2)


def test_zero_variance_is_refused_like_gbstats() -> None:
    ours = compare_means(MeanStat(2, 2.0, 2.0), MeanStat(2, 4.0, 8.0))
    gb = _gb_result(gb_stats.SampleMeanStatistic(n=2, sum=2.0, sum_squares=2.0),
                    gb_stats.SampleMeanStatistic(n=2, sum=4.0, sum_squares=8.0), "relative")
    assert gb.p_value == 1
    assert gb.error_message
    assert ours.p_value == 1.0
    assert not ours.significant
    assert not ours.enough_data
