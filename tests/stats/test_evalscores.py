from __future__ import annotations

import math

import numpy as np
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar as sm_mcnemar
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_confint

from evalhub.stats import MeanStat, StatsError
from evalhub.stats.evalscores import (
    bounded_interval,
    items_for_ci_width,
    items_for_power,
    mcnemar,
    mcnemar_from_counts,
    mean_score,
    mean_score_from_stat,
    paired_difference,
    paired_difference_from_stat,
)

# Scores in [0, 1] with at most 1e-3 resolution, as graders produce; keeps float noise predictable.
score_values = st.integers(0, 1000).map(lambda k: k / 1000)


def _clustered_scores(
    rng: np.random.Generator, n_clusters: int, size: int, icc: float
) -> tuple[np.ndarray, np.ndarray]:
    groups = np.repeat(np.arange(n_clusters), size)
    effects = rng.normal(0, math.sqrt(icc), n_clusters)[groups]
    return effects + rng.normal(0, math.sqrt(1 - icc), groups.size), groups


# --- mean_score --------------------------------------------------------------------------------


def test_mean_score_matches_one_sample_t() -> None:
    x = np.random.default_rng(0).beta(2, 3, size=57)
    est = mean_score(x, level=0.9)
    ci = stats.ttest_1samp(x, 0.0).confidence_interval(confidence_level=0.9)
    assert est.mean == pytest.approx(x.mean(), abs=1e-14)
    assert est.se == pytest.approx(stats.sem(x), abs=1e-14)
    assert (est.lower, est.upper) == pytest.approx((ci.low, ci.high), abs=1e-12)
    assert (est.n, est.n_clusters, est.df) == (57, None, 56)


def test_mean_score_clustered_matches_statsmodels_cr1() -> None:
    rng = np.random.default_rng(1)
    for n_clusters, size in [(12, 5), (40, 3), (3, 7)]:
        x, groups = _clustered_scores(rng, n_clusters, size, icc=0.4)
        labels = [f"doc-{g}" for g in groups]
        est = mean_score(x, clusters=labels)
        ref = sm.OLS(x, np.ones_like(x)).fit(
            cov_type="cluster", cov_kwds={"groups": groups}, use_t=True
        )
        assert est.mean == pytest.approx(ref.params[0], abs=1e-12)
        assert est.se == pytest.approx(ref.bse[0], abs=1e-8)
        assert (est.lower, est.upper) == pytest.approx(tuple(ref.conf_int()[0]), abs=1e-8)
        assert (est.n_clusters, est.df) == (n_clusters, n_clusters - 1)


def test_mean_score_clustered_interval_covers_where_naive_one_does_not() -> None:
    # Simulation with a known mean of 0: 30 documents x 10 questions, intra-document correlation
    # 0.3 (design effect 1 + 9·0.3 = 3.7). The clustered 95% CI must cover ≈95%; the naive CI,
    # √3.7 ≈ 1.9 times too narrow, covers ≈ 68%.
    rng = np.random.default_rng(2)
    reps = 600
    clustered = naive = 0
    for _ in range(reps):
        x, groups = _clustered_scores(rng, 30, 10, icc=0.3)
        c = mean_score(x, clusters=groups)
        u = mean_score(x)
        clustered += c.lower <= 0 <= c.upper
        naive += u.lower <= 0 <= u.upper
    # Binomial SE of a 95% coverage over 600 reps is 0.009; the band is about ±3 SE.
    assert 0.92 <= clustered / reps <= 0.98
    assert naive / reps < 0.80


def test_mean_score_from_stat_matches_raw_scores() -> None:
    x = np.random.default_rng(3).normal(0.6, 0.2, size=40)
    stat = MeanStat(n=40, sum=float(x.sum()), sum_sq=float(x @ x))
    from_stat, from_raw = mean_score_from_stat(stat, level=0.99), mean_score(x, level=0.99)
    for field in ("mean", "se", "lower", "upper"):
        assert getattr(from_stat, field) == pytest.approx(getattr(from_raw, field), abs=1e-10)
    assert (from_stat.n, from_stat.df) == (40, 39)


@settings(max_examples=50, deadline=None)
@given(st.lists(score_values, min_size=2, max_size=40), st.floats(-5, 5))
def test_mean_score_shifts_with_a_constant(scores: list[float], shift: float) -> None:
    a = mean_score(scores)
    b = mean_score(np.array(scores) + shift)
    assert b.mean == pytest.approx(a.mean + shift, abs=1e-9)
    assert b.se == pytest.approx(a.se, abs=1e-9)


@pytest.mark.parametrize(
    ("scores", "kwargs", "field"),
    [
        ([], {}, "scores"),
        ([0.5], {}, "scores"),
        ([0.5, math.nan], {}, "scores"),
        ([[0.5, 0.4]], {}, "scores"),
        ([0.5, 0.4], {"clusters": [1]}, "clusters"),
        ([0.5, 0.4], {"clusters": [1, 1]}, "clusters"),
        ([0.5, 0.4], {"level": 0.0}, "level"),
    ],
)
def test_mean_score_bad_input(scores: list, kwargs: dict, field: str) -> None:
    with pytest.raises(StatsError) as exc:
        mean_score(scores, **kwargs)
    assert exc.value.field == field


def test_mean_score_from_stat_needs_two_items() -> None:
    with pytest.raises(StatsError) as exc:
        mean_score_from_stat(MeanStat(n=1, sum=0.5, sum_sq=0.25))
    assert exc.value.field == "n"


# --- paired_difference -------------------------------------------------------------------------


def test_paired_difference_matches_ttest_rel() -> None:
    rng = np.random.default_rng(4)
    ability = rng.normal(0, 1, 80)  # item difficulty shared by both variants: why pairing helps
    a = ability + rng.normal(0.15, 0.5, 80)
    b = ability + rng.normal(0.0, 0.5, 80)
    ours = paired_difference(a, b)
    ref = stats.ttest_rel(a, b)
    ci = ref.confidence_interval(confidence_level=0.95)
    assert ours.mean_diff == pytest.approx(np.mean(a - b), abs=1e-12)
    assert ours.statistic == pytest.approx(ref.statistic, abs=1e-10)
    assert ours.p_value == pytest.approx(ref.pvalue, abs=1e-12)
    assert (ours.lower, ours.upper) == pytest.approx((ci.low, ci.high), abs=1e-12)
    assert ours.df == 79


def test_paired_difference_from_stat_matches_raw_scores() -> None:
    rng = np.random.default_rng(6)
    a, b = rng.normal(0.6, 0.2, 30), rng.normal(0.55, 0.2, 30)
    d = a - b
    from_stat = paired_difference_from_stat(MeanStat(n=30, sum=float(d.sum()), sum_sq=float(d @ d)))
    from_raw = paired_difference(a, b)
    for field in ("mean_diff", "se", "lower", "upper", "statistic", "p_value"):
        assert getattr(from_stat, field) == pytest.approx(getattr(from_raw, field), abs=1e-10)


def test_paired_difference_clustered_matches_statsmodels() -> None:
    rng = np.random.default_rng(5)
    a, groups = _clustered_scores(rng, 15, 4, icc=0.5)
    b = a + rng.normal(0.2, 0.6, a.size)
    ours = paired_difference(a, b, clusters=groups)
    ref = sm.OLS(a - b, np.ones_like(a)).fit(
        cov_type="cluster", cov_kwds={"groups": groups}, use_t=True
    )
    assert ours.se == pytest.approx(ref.bse[0], abs=1e-8)
    assert ours.statistic == pytest.approx(ref.tvalues[0], abs=1e-8)
    assert ours.p_value == pytest.approx(ref.pvalues[0], abs=1e-8)
    assert ours.n_clusters == 15


paired_lists = st.integers(2, 40).flatmap(
    lambda n: st.tuples(
        st.lists(score_values, min_size=n, max_size=n), st.lists(score_values, min_size=n, max_size=n)
    )
)


@settings(max_examples=80, deadline=None)
@given(paired_lists)
def test_paired_difference_swapping_variants_mirrors_the_result(
    pair: tuple[list[float], list[float]],
) -> None:
    a, b = pair
    try:
        ab = paired_difference(a, b)
    except StatsError:
        with pytest.raises(StatsError):
            paired_difference(b, a)
        return
    ba = paired_difference(b, a)
    assert ba.mean_diff == pytest.approx(-ab.mean_diff, abs=1e-12)
    assert ba.statistic == pytest.approx(-ab.statistic, abs=1e-9)
    assert (ba.lower, ba.upper) == pytest.approx((-ab.upper, -ab.lower), abs=1e-12)
    assert ba.p_value == pytest.approx(ab.p_value, abs=1e-12)
    assert ba.se == pytest.approx(ab.se, abs=1e-12)


@settings(max_examples=80, deadline=None)
@given(paired_lists, st.floats(-10, 10))
def test_paired_difference_ignores_a_constant_added_to_all_scores(
    pair: tuple[list[float], list[float]], shift: float
) -> None:
    a, b = (np.array(v) for v in pair)
    try:
        base = paired_difference(a, b)
    except StatsError:
        return  # differences that do not vary are refused (tested below)
    shifted = paired_difference(a + shift, b + shift)
    # Adding `shift` to both sides cancels exactly in real arithmetic; floats leave ~1e-14 noise.
    assert shifted.mean_diff == pytest.approx(base.mean_diff, abs=1e-9)
    assert shifted.se == pytest.approx(base.se, abs=1e-9)
    if base.se > 1e-6:
        assert shifted.p_value == pytest.approx(base.p_value, abs=1e-6)


@settings(max_examples=50, deadline=None)
@given(st.lists(score_values, min_size=2, max_size=40))
def test_paired_difference_identical_inputs_are_not_enough_data(scores: list[float]) -> None:
    for clusters in (None, [i % 2 for i in range(len(scores))]):
        with pytest.raises(StatsError) as excinfo:
            paired_difference(scores, scores, clusters=clusters)
        assert excinfo.value.field == "a"
        assert "do not vary" in excinfo.value.problem


def test_paired_difference_constant_nonzero_difference_is_not_certainty() -> None:
    # Binary fractions, so every difference is exactly 0.25 and the SD exactly 0: three items that
    # all moved by the same amount say nothing about the noise, so no p = 0.
    with pytest.raises(StatsError) as excinfo:
        paired_difference([0.5, 0.75, 1.0], [0.25, 0.5, 0.75])
    assert "not enough data" in str(excinfo.value)


@pytest.mark.parametrize(
    ("a", "b", "field"),
    [
        ([], [], "scores_a"),
        ([0.1, 0.2], [0.1], "scores_b"),
        ([0.1, math.nan], [0.1, 0.2], "scores_a"),
        ([0.1, 0.2], [0.1, math.inf], "scores_b"),
        ([0.1], [0.2], "scores_a"),
    ],
)
def test_paired_difference_bad_input(a: list, b: list, field: str) -> None:
    with pytest.raises(StatsError) as exc:
        paired_difference(a, b)
    assert exc.value.field == field


# --- McNemar -----------------------------------------------------------------------------------


def _passes(both: int, only_a: int, only_b: int, neither: int) -> tuple[list[bool], list[bool]]:
    a = [True] * both + [True] * only_a + [False] * only_b + [False] * neither
    b = [True] * both + [False] * only_a + [True] * only_b + [False] * neither
    return a, b


@pytest.mark.parametrize(("only_a", "only_b"), [(3, 7), (0, 5), (12, 12), (30, 14), (1, 40), (60, 45)])
def test_mcnemar_matches_statsmodels(only_a: int, only_b: int) -> None:
    a, b = _passes(50, only_a, only_b, 20)
    table = [[50, only_a], [only_b, 20]]
    for exact in (True, False):
        ours = mcnemar(a, b, exact=exact)
        ref = sm_mcnemar(table, exact=exact, correction=True)
        assert (ours.b, ours.c, ours.n) == (only_a, only_b, 50 + only_a + only_b + 20)
        assert ours.statistic == pytest.approx(float(ref.statistic), abs=1e-12)
        assert ours.p_value == pytest.approx(float(ref.pvalue), abs=1e-12)
        assert ours.exact is exact
        assert mcnemar_from_counts(only_a, only_b, n=ours.n, exact=exact) == ours


def test_mcnemar_default_switches_to_chi_square_at_25_discordant() -> None:
    assert mcnemar(*_passes(5, 10, 14, 5)).exact is True
    assert mcnemar(*_passes(5, 10, 15, 5)).exact is False
    # Accepts 0/1 as well as booleans.
    assert mcnemar([1, 0, 1], [1, 1, 0]) == mcnemar([True, False, True], [True, True, False])


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1, max_size=80),
    st.sampled_from([None, True, False]),
)
def test_mcnemar_swapping_variants_keeps_the_p_value(
    pairs: list[tuple[bool, bool]], exact: bool | None
) -> None:
    a = [x for x, _ in pairs]
    b = [y for _, y in pairs]
    ab, ba = mcnemar(a, b, exact=exact), mcnemar(b, a, exact=exact)
    assert (ab.b, ab.c) == (ba.c, ba.b)
    assert ab.p_value == pytest.approx(ba.p_value, abs=1e-15)
    assert 0.0 <= ab.p_value <= 1.0


@settings(max_examples=30, deadline=None)
@given(st.lists(st.booleans(), min_size=1, max_size=60), st.sampled_from([None, True, False]))
def test_mcnemar_identical_inputs_give_p_one(passes: list[bool], exact: bool | None) -> None:
    result = mcnemar(passes, passes, exact=exact)
    assert (result.b, result.c, result.statistic, result.p_value) == (0, 0, 0.0, 1.0)


@pytest.mark.parametrize(
    ("a", "b", "field"),
    [
        ([], [], "pass_a"),
        ([True, False], [True], "pass_b"),
        ([1, 2], [1, 0], "pass_a"),
        ([1, 0], [1, math.nan], "pass_b"),
        (["yes", "no"], [1, 0], "pass_a"),
    ],
)
def test_mcnemar_bad_input(a: list, b: list, field: str) -> None:
    with pytest.raises(StatsError) as exc:
        mcnemar(a, b)
    assert exc.value.field == field


@pytest.mark.parametrize(
    ("b", "c", "n", "field"),
    [(-1, 3, None, "b"), (2, 1.5, None, "c"), (True, 3, None, "b"), (4, 5, 8, "n")],
)
def test_mcnemar_from_counts_bad_input(b: int, c: int, n: int | None, field: str) -> None:
    with pytest.raises(StatsError) as exc:
        mcnemar_from_counts(b, c, n=n)
    assert exc.value.field == field


# --- suite sizing ------------------------------------------------------------------------------


def test_items_for_ci_width_closed_form() -> None:
    z = stats.norm.ppf(0.975)
    # sd 0.5 (a 50% pass rate), CI width 0.1 → (2·1.96·0.5/0.1)² = 384.1 → 385 items.
    assert items_for_ci_width(0.5, 0.1) == math.ceil((2 * z * 0.5 / 0.1) ** 2) == 385
    # A design effect multiplies the item count.
    assert items_for_ci_width(0.5, 0.1, design_effect=2.5) == math.ceil((2 * z * 0.5 / 0.1) ** 2 * 2.5)
    for sd, width, level in [(0.3, 0.05, 0.9), (1.0, 0.2, 0.99), (0.45, 0.02, 0.95)]:
        n = items_for_ci_width(sd, width, level=level)
        half = stats.norm.ppf(0.5 + level / 2)
        assert 2 * half * sd / math.sqrt(n) <= width + 1e-12
        assert 2 * half * sd / math.sqrt(n - 1) > width


def test_items_for_power_matches_statsmodels() -> None:
    power_calc = NormalIndPower()
    cases = [(0.4, 0.05, 0.05, 0.8), (1.0, 0.3, 0.01, 0.9), (0.25, -0.02, 0.05, 0.8)]
    for sd_diff, effect, alpha, power in cases:
        n = items_for_power(sd_diff, effect, alpha=alpha, power=power)
        d = abs(effect) / sd_diff
        # statsmodels' one-sample normal power (ratio=0) also counts the far rejection tail,
        # which our closed form drops: the two solutions differ by at most one item.
        solved = power_calc.solve_power(effect_size=d, alpha=alpha, power=power, ratio=0)
        assert abs(n - math.ceil(solved)) <= 1
        assert power_calc.power(effect_size=d, nobs1=n, alpha=alpha, ratio=0) >= power - 1e-12
        assert power_calc.power(effect_size=d, nobs1=n - 1, alpha=alpha, ratio=0) < power
    assert items_for_power(0.4, 0.05, design_effect=2.0) == math.ceil(
        (stats.norm.ppf(0.975) + stats.norm.ppf(0.8)) ** 2 * (0.4 / 0.05) ** 2 * 2.0
    )


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: items_for_ci_width(0.0, 0.1), "sd"),
        (lambda: items_for_ci_width(0.5, -0.1), "width"),
        (lambda: items_for_ci_width(0.5, 0.1, level=1.0), "level"),
        (lambda: items_for_ci_width(0.5, 0.1, design_effect=0.0), "design_effect"),
        (lambda: items_for_ci_width(math.nan, 0.1), "sd"),
        (lambda: items_for_power(-1.0, 0.1), "sd_diff"),
        (lambda: items_for_power(1.0, 0.0), "effect"),
        (lambda: items_for_power(1.0, 0.1, alpha=0.0), "alpha"),
        (lambda: items_for_power(1.0, 0.1, power=1.0), "power"),
    ],
)
def test_sizing_bad_input(call: object, field: str) -> None:
    with pytest.raises(StatsError) as exc:
        call()  # type: ignore[operator]
    assert exc.value.field == field


# --- bounded scores: a perfect run gets an honest interval inside [0, 1] -----------------------------


@pytest.mark.parametrize("value", [1.0, 0.0])
def test_a_perfect_or_null_run_gets_the_wilson_interval_of_n_items(value: float) -> None:
    n = 50
    reference = proportion_confint(int(value * n), n, alpha=0.05, method="wilson")
    for est in (mean_score([value] * n, bounds=(0, 1)),
                mean_score_from_stat(MeanStat(n, value * n, value * n), bounds=(0, 1))):
        assert est.interval == "wilson"
        assert est.mean == value
        assert (est.lower, est.upper) == pytest.approx(reference, abs=1e-12)
        assert 0.0 <= est.lower < est.upper <= 1.0
    # Closed form at p = 1: [n/(n + z²), 1].
    z = stats.norm.ppf(0.975)
    assert mean_score([1.0] * n, bounds=(0, 1)).lower == pytest.approx(n / (n + z * z), rel=1e-12)


def test_without_bounds_a_perfect_run_keeps_its_zero_width_t_interval() -> None:
    est = mean_score([1.0] * 20)
    assert est.interval == "t"
    assert est.lower == est.upper == 1.0


def test_a_clustered_perfect_run_counts_each_cluster_once() -> None:
    clusters = np.repeat(np.arange(5), 10)
    est = mean_score([1.0] * 50, clusters=clusters, bounds=(0, 1))
    assert est.interval == "wilson"
    assert est.n_clusters == 5
    assert (est.lower, est.upper) == pytest.approx(proportion_confint(5, 5, method="wilson"), abs=1e-12)
    assert est.lower < mean_score([1.0] * 50, bounds=(0, 1)).lower  # wider than 50 independent items


def test_a_near_perfect_run_gets_a_wilson_interval_at_the_effective_sample_size() -> None:
    scores = [1.0] * 99 + [0.0]
    t_est = mean_score(scores)
    assert t_est.upper > 1.0  # the t interval leaves [0, 1]
    est = mean_score(scores, bounds=(0, 1))
    # Korn & Graubard's n* = p(1 − p)/se² is n − 1 for independent pass/fail items (se uses ddof = 1).
    n_eff = 0.99 * 0.01 / t_est.se**2
    assert n_eff == pytest.approx(99)
    z = stats.norm.ppf(0.975)
    centre = (0.99 + z * z / (2 * n_eff)) / (1 + z * z / n_eff)
    half = z * math.sqrt(0.99 * 0.01 / n_eff + z * z / (4 * n_eff**2)) / (1 + z * z / n_eff)
    assert (est.lower, est.upper) == pytest.approx((centre - half, centre + half), abs=1e-12)
    assert est.interval == "wilson"
    assert 0.9 < est.lower < 0.99 < est.upper < 1.0


def test_a_clustered_near_perfect_run_is_wider_than_an_independent_one() -> None:
    # The misses sit in one cluster: the clustered SE is larger, so n* (and the interval) shrink.
    scores = [1.0] * 95 + [0.0] * 5
    clusters = np.repeat(np.arange(10), 10)
    independent = mean_score(scores, bounds=(0, 1))
    clustered = mean_score(scores, clusters=clusters, bounds=(0, 1))
    assert clustered.interval == "wilson"
    assert clustered.upper - clustered.lower > independent.upper - independent.lower
    assert clustered.lower >= 0.0
    assert clustered.upper <= 1.0


def test_bounded_scores_inside_the_bounds_keep_the_t_interval() -> None:
    scores = [0.2, 0.5, 0.9, 0.4, 0.6, 0.7]
    assert mean_score(scores, bounds=(0, 1)) == mean_score(scores)


def test_bounds_rescale_to_any_range() -> None:
    est = mean_score([10.0] * 30, bounds=(0, 10))
    unit = mean_score([1.0] * 30, bounds=(0, 1))
    assert (est.lower, est.upper) == pytest.approx((10 * unit.lower, 10 * unit.upper), abs=1e-12)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: mean_score([0.5, 1.5], bounds=(0, 1)), "scores"),
        (lambda: mean_score([0.5, 0.7], bounds=(1, 0)), "bounds"),
        (lambda: mean_score([0.5, 0.7], bounds=(0, math.nan)), "bounds"),
        (lambda: mean_score_from_stat(MeanStat(3, 6.0, 12.0), bounds=(0, 1)), "sum"),
        (lambda: bounded_interval(0.5, 0.1, 10, bounds=("a", 1)), "bounds"),
    ],
)
def test_bad_bounds_are_refused(call, field) -> None:
    with pytest.raises(StatsError) as info:
        call()
    assert info.value.field == field


@pytest.mark.parametrize("p", [0.9, 0.97, 0.99])
def test_bounded_interval_covers_a_high_pass_rate(p: float) -> None:
    """Simulation: 40 independent pass/fail items, 4,000 runs. The t interval under-covers near 1
    (and is zero-width when every item passes); the bounded one stays near 95%."""
    rng = np.random.default_rng(int(p * 1000))
    runs = rng.random((4000, 40)) < p
    covered_bounded = covered_t = 0
    for row in runs.astype(float):
        b = mean_score(row, bounds=(0, 1))
        t = mean_score(row)
        covered_bounded += b.lower <= p <= b.upper
        covered_t += t.lower <= p <= t.upper
    assert covered_bounded / 4000 >= 0.93
    assert covered_bounded > covered_t
