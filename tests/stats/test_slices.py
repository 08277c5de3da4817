"""evalhub.stats.slices against scipy/statsmodels references and a simulation with planted failure modes."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from evalhub.stats import StatsError
from evalhub.stats.slices import (
    MeanSlice,
    PairedSlice,
    ProportionSlice,
    SliceInput,
    benjamini_hochberg,
    compare,
    rank_slices,
)

TOL = 1e-9  # closed forms against the same closed forms in the references: agreement to rounding


def test_paired_matches_scipy_ttest_rel() -> None:
    rng = np.random.default_rng(1)
    a = rng.binomial(1, 0.7, 200).astype(float)
    b = rng.binomial(1, 0.6, 200).astype(float)
    c = compare(PairedSlice.from_scores(a, b))
    ref = stats.ttest_rel(a, b)
    ci = ref.confidence_interval(0.95)
    assert c.difference == pytest.approx(float(np.mean(a - b)), abs=TOL)
    assert c.p_value == pytest.approx(ref.pvalue, rel=1e-7)
    assert (c.lower, c.upper) == pytest.approx((ci.low, ci.high), abs=1e-9)
    assert (c.estimate, c.baseline_estimate) == pytest.approx((a.mean(), b.mean()))


def test_paired_clustered_matches_statsmodels_cluster_ols() -> None:
    rng = np.random.default_rng(2)
    groups = np.repeat(np.arange(40), 5)
    shift = rng.normal(0, 0.3, 40)[groups]
    a = np.clip(0.6 + shift + rng.normal(0, 0.2, groups.size), 0, 1)
    b = np.clip(0.5 + rng.normal(0, 0.2, groups.size), 0, 1)
    c = compare(PairedSlice.from_scores(a, b, clusters=groups.tolist()))
    fit = sm.OLS(a - b, np.ones_like(a)).fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
    lo, hi = fit.conf_int(0.05)[0]
    assert c.difference == pytest.approx(fit.params[0], abs=TOL)
    assert c.p_value == pytest.approx(fit.pvalues[0], rel=1e-7)
    assert (c.lower, c.upper) == pytest.approx((lo, hi), abs=1e-9)


def test_two_proportions_match_statsmodels_newcombe_and_ztest() -> None:
    for x, n, x0, n0 in [(30, 200, 50, 210), (0, 40, 5, 60), (12, 12, 9, 15), (500, 1000, 480, 990)]:
        c = compare(ProportionSlice(x, n, x0, n0))
        lo, hi = confint_proportions_2indep(x, n, x0, n0, method="newcomb", compare="diff", alpha=0.05)
        _, p = proportions_ztest([x, x0], [n, n0])
        assert (c.lower, c.upper) == pytest.approx((lo, hi), abs=1e-9)
        assert c.p_value == pytest.approx(p, rel=1e-7)
        assert c.difference == pytest.approx(x / n - x0 / n0)


def test_means_match_scipy_welch() -> None:
    rng = np.random.default_rng(3)
    x, y = rng.lognormal(6.0, 0.5, 300), rng.lognormal(6.1, 0.7, 250)
    c = compare(MeanSlice(x.size, float(x.sum()), float(x @ x), y.size, float(y.sum()), float(y @ y)))
    ref = stats.ttest_ind(x, y, equal_var=False)
    ci = ref.confidence_interval(0.95)
    assert c.p_value == pytest.approx(ref.pvalue, rel=1e-6)
    assert (c.lower, c.upper) == pytest.approx((ci.low, ci.high), rel=1e-6)


def test_benjamini_hochberg_matches_statsmodels() -> None:
    rng = np.random.default_rng(4)
    for m in (1, 2, 7, 100):
        p = np.concatenate([rng.uniform(size=m), rng.uniform(0, 1e-3, size=m // 3)])
        assert benjamini_hochberg(p.tolist()) == pytest.approx(list(multipletests(p, method="fdr_bh")[1]), abs=1e-12)
    assert benjamini_hochberg([]) == []


def test_min_n_slices_are_shown_never_tested_and_not_in_the_adjustment() -> None:
    tiny = SliceInput("suites", "language", "fr", "score", PairedSlice.from_scores([0.0] * 5, [1.0] * 5))
    big = SliceInput("suites", "language", "en", "score",
                     PairedSlice.from_scores([0.0] * 40 + [1.0] * 60, [1.0] * 100))
    out = rank_slices([tiny, big], min_n=30)
    by_value = {r.value: r for r in out}
    assert by_value["fr"].tested is False
    assert by_value["fr"].p_adjusted is None
    assert by_value["fr"].significant is False
    # Only one slice was tested, so its adjusted p is its own p.
    assert by_value["en"].p_adjusted == pytest.approx(by_value["en"].p_value)
    assert out[0].value == "en"
    assert out[0].significant


def test_effect_threshold_and_direction() -> None:
    rng = np.random.default_rng(5)
    n = 20000
    small = SliceInput("production", "route", "a", "refusal_rate",
                       ProportionSlice(int(0.11 * n), n, int(0.10 * n), n), higher_is_better=False)
    better = SliceInput("production", "route", "b", "refusal_rate",
                        ProportionSlice(int(0.02 * n), n, int(0.20 * n), n), higher_is_better=False)
    slow = rng.normal(1300, 100, 500)
    fast = rng.normal(1000, 100, 500)
    latency = SliceInput("production", "route", "c", "latency_ms",
                         MeanSlice(500, float(slow.sum()), float(slow @ slow), 500, float(fast.sum()), float(fast @ fast)),
                         higher_is_better=False, bounded=False)
    out = {r.value: r for r in rank_slices([small, better, latency], min_effect=0.05)}
    assert out["a"].p_adjusted is not None
    assert out["a"].p_adjusted < 0.05
    assert out["a"].direction == "worse"
    assert not out["a"].significant  # 1 point < 5 points
    assert out["b"].direction == "better"
    assert not out["b"].significant
    assert out["c"].significant
    assert out["c"].effect == pytest.approx(0.3, abs=0.03)


def test_bad_input_names_the_field() -> None:
    with pytest.raises(StatsError, match="x_base"):
        ProportionSlice(1, 10, 11, 10)
    with pytest.raises(StatsError, match="sum_d_sq"):
        PairedSlice(10, 10.0, 0.0, 1.0)
    with pytest.raises(StatsError, match="alpha"):
        rank_slices([], alpha=1.5)


def _simulated_slices(rng: np.random.Generator, planted: dict[str, float]) -> list[SliceInput]:
    """Forty slices of a suite score (paired, 200 items each) and forty of a refusal rate; some planted."""
    inputs = []
    for k in range(40):
        value = f"s{k}"
        base = rng.binomial(1, 0.7, 200).astype(float)
        flip = rng.uniform(size=200) < planted.get(value, 0.0)
        noise = rng.uniform(size=200) < 0.1
        variant = np.where(noise, rng.binomial(1, 0.7, 200), base)
        variant = np.where(flip, 0.0, variant)
        inputs.append(SliceInput("suites", "topic", value, "score", PairedSlice.from_scores(variant, base)))
    for k in range(40):
        value = f"r{k}"
        p0 = 0.05
        p1 = p0 + planted.get(value, 0.0)
        inputs.append(SliceInput("production", "route", value, "refusal_rate",
                                 ProportionSlice(int(rng.binomial(2000, p1)), 2000, int(rng.binomial(2000, p0)), 2000),
                                 higher_is_better=False))
    return inputs


def test_simulation_recovers_planted_failures_first_and_controls_false_flags() -> None:
    """Planted: three score slices lose 25–40 % of items, two refusal slices rise 6–10 points.

    Over 100 simulated data sets every planted slice is flagged and ranked in the top five each time;
    false flags (a null slice flagged) stay within the FDR budget: their share of flags ≤ 0.05 on
    average (Benjamini–Hochberg controls the FDR at α·m0/m ≤ α).
    """
    planted = {"s3": 0.4, "s11": 0.3, "s27": 0.25, "r5": 0.10, "r30": 0.06}
    rng = np.random.default_rng(20261204)
    false_share = []
    for _ in range(100):
        out = rank_slices(_simulated_slices(rng, planted), alpha=0.05, min_n=30, min_effect=0.03)
        top = {r.value for r in out[: len(planted)]}
        assert top == set(planted)
        flagged = [r.value for r in out if r.significant]
        assert set(planted) <= set(flagged)
        false_share.append(len(set(flagged) - set(planted)) / len(flagged))
    assert float(np.mean(false_share)) <= 0.05


def test_a_slice_worse_than_the_overall_gap_comes_before_one_that_repeats_it() -> None:
    """On suite X the variant is 40 points worse everywhere; on suite Y it is 30 points worse on long prompts
    only. The long-prompt slice of Y leads although X's slices are worse in raw points: they repeat the
    variant's overall gap on X, Y's long prompts do not."""
    def scores(n: int, gap: float) -> PairedSlice:
        variant = [1.0] * round(n * (0.8 - gap)) + [0.0] * (n - round(n * (0.8 - gap)))
        baseline = [1.0] * round(n * 0.8) + [0.0] * (n - round(n * 0.8))
        return PairedSlice.from_scores(variant, baseline)

    inputs = [SliceInput("suites", "length", "short", "score:x", scores(300, 0.4)),
              SliceInput("suites", "length", "long", "score:x", scores(100, 0.4)),
              SliceInput("suites", "length", "short", "score:y", scores(300, 0.0)),
              SliceInput("suites", "length", "long", "score:y", scores(100, 0.3))]
    out = rank_slices(inputs)
    flagged = [(r.metric, r.value) for r in out if r.significant]
    assert set(flagged) == {("score:x", "short"), ("score:x", "long"), ("score:y", "long")}
    assert flagged[0] == ("score:y", "long")
    assert max(r.difference for r in out if r.metric == "score:y") == pytest.approx(0.0)
