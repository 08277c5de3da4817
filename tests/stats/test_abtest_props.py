"""Properties (hypothesis), input validation and the plain-words decision."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalhub.stats import MeanStat, ProportionStat, RatioStat, StatsError
from evalhub.stats.ab import (
    ABResult,
    adjust_pvalues,
    chance_to_beat_proportions,
    compare_means,
    compare_proportions,
    compare_quantiles,
    compare_ratios,
    decide,
    quantile_from_histogram,
    sample_size_proportions,
    sequential_compare_means,
    sequential_compare_proportions,
    sequential_compare_ratios,
    srm_test,
)

FAST = settings(max_examples=60, deadline=None)


@st.composite
def proportion_pairs(draw: st.DrawFn) -> tuple[ProportionStat, ProportionStat]:
    nc = draw(st.integers(1, 100_000))
    nt = draw(st.integers(1, 100_000))
    return (
        ProportionStat(nc, draw(st.integers(0, nc))),
        ProportionStat(nt, draw(st.integers(0, nt))),
    )


samples = st.lists(st.floats(-1000, 1000, allow_nan=False), min_size=2, max_size=40)


def _stat(xs: list[float], shift: float = 0.0) -> MeanStat:
    x = np.asarray(xs) + shift
    return MeanStat(len(x), float(x.sum()), float((x * x).sum()))


@FAST
@given(proportion_pairs())
def test_swapping_arms_negates_lift_and_keeps_p(
    pair: tuple[ProportionStat, ProportionStat],
) -> None:
    c, t = pair
    for fn in (compare_proportions, sequential_compare_proportions):
        # Swapping is a symmetry of the absolute difference (the relative lift divides by control).
        ab, ba = fn(c, t, scale="absolute"), fn(t, c, scale="absolute")
        assert ba.enough_data == ab.enough_data
        assert ba.lift == -ab.lift
        if not ab.enough_data:
            continue
        assert ba.p_value == pytest.approx(ab.p_value, rel=1e-12, abs=1e-300)
        assert ba.lift_ci == pytest.approx((-ab.lift_ci[1], -ab.lift_ci[0]), rel=1e-9, abs=1e-12)


@FAST
@given(samples, samples)
def test_swapping_mean_arms_negates_lift_and_keeps_p(a: list[float], b: list[float]) -> None:
    c, t = _stat(a), _stat(b)
    for fn in (compare_means, sequential_compare_means):
        ab, ba = fn(c, t, scale="absolute"), fn(t, c, scale="absolute")
        assert ba.lift == -ab.lift
        assert ba.p_value == pytest.approx(ab.p_value, rel=1e-9, abs=1e-300)


units = st.lists(
    st.tuples(st.floats(0, 100, allow_nan=False), st.floats(0.5, 10, allow_nan=False)),
    min_size=2,
    max_size=30,
)


def _ratio(pairs: list[tuple[float, float]]) -> RatioStat:
    num, den = np.array(pairs).T
    return RatioStat(
        len(num),
        float(num.sum()),
        float(den.sum()),
        float((num * num).sum()),
        float((den * den).sum()),
        float((num * den).sum()),
    )


@FAST
@given(units, units)
def test_swapping_ratio_arms_negates_lift_and_keeps_p(
    a: list[tuple[float, float]], b: list[tuple[float, float]]
) -> None:
    c, t = _ratio(a), _ratio(b)
    for fn in (compare_ratios, sequential_compare_ratios):
        ab, ba = fn(c, t, scale="absolute"), fn(t, c, scale="absolute")
        assert ba.lift == -ab.lift
        assert ba.p_value == pytest.approx(ab.p_value, rel=1e-9, abs=1e-300)
    assert compare_ratios(c, c).p_value == 1.0


@FAST
@given(
    st.lists(st.integers(0, 50), min_size=3, max_size=12).filter(lambda c: sum(c) > 0),
    st.lists(st.integers(0, 50), min_size=3, max_size=3).filter(lambda c: sum(c) > 0),
)
def test_swapping_quantile_arms_negates_lift_and_keeps_p(a: list[int], b: list[int]) -> None:
    b = (b * 4)[: len(a)]
    if sum(b) == 0:
        b[0] = 1
    edges = np.arange(len(a) + 1, dtype=float)
    ab, ba = compare_quantiles(a, b, edges, scale="absolute"), compare_quantiles(b, a, edges, scale="absolute")
    assert ba.lift == -ab.lift
    assert ba.p_value == pytest.approx(ab.p_value, rel=1e-12)
    assert compare_quantiles(a, a, edges).p_value == 1.0


@FAST
@given(proportion_pairs())
def test_identical_arms_give_p_one(pair: tuple[ProportionStat, ProportionStat]) -> None:
    c, _ = pair
    for fn in (compare_proportions, sequential_compare_proportions):
        res = fn(c, c)
        assert res.p_value == 1.0
        assert res.lift == 0.0
        assert not res.significant


@FAST
@given(samples)
def test_identical_mean_arms_give_p_one(a: list[float]) -> None:
    s = _stat(a)
    assert compare_means(s, s).p_value == 1.0
    assert sequential_compare_means(s, s).p_value == 1.0


# Quarter-unit grid: sums of squares stay exact in float64, so the property is tested without
# the cancellation that Σx² - (Σx)²/n suffers for huge offsets (an inherent limit of the input).
grid = st.lists(st.integers(-4000, 4000).map(lambda k: k / 4), min_size=2, max_size=40)


@FAST
@given(grid, grid, st.integers(-400, 400).map(lambda k: k / 4))
def test_adding_a_constant_changes_no_difference(
    a: list[float], b: list[float], shift: float
) -> None:
    base = compare_means(_stat(a), _stat(b), scale="absolute")
    moved = compare_means(_stat(a, shift), _stat(b, shift), scale="absolute")
    assert moved.lift == pytest.approx(base.lift, abs=1e-12)
    assert moved.p_value == pytest.approx(base.p_value, rel=1e-12, abs=1e-15)
    assert moved.enough_data == base.enough_data
    if base.enough_data:
        assert moved.lift_ci == pytest.approx(base.lift_ci, abs=1e-9)


@FAST
@given(
    st.lists(st.integers(0, 50), min_size=3, max_size=12).filter(lambda c: sum(c) > 0),
    st.floats(-500, 500, allow_nan=False),
)
def test_shifting_histogram_edges_shifts_quantiles_only(counts: list[int], shift: float) -> None:
    edges = np.arange(len(counts) + 1, dtype=float) * 10.0
    other = list(reversed(counts)) if sum(reversed(counts)) > 0 else counts
    base = compare_quantiles(counts, other, edges, q=0.9)
    moved = compare_quantiles(counts, other, edges + shift, q=0.9)
    assert moved.lift == pytest.approx(base.lift, abs=1e-9)
    assert quantile_from_histogram(counts, edges + shift, 0.5) == pytest.approx(
        quantile_from_histogram(counts, edges, 0.5) + shift, abs=1e-9
    )


@FAST
@given(st.lists(st.floats(0, 1), min_size=1, max_size=30))
def test_adjusted_pvalues_are_bounded_and_ordered(p: list[float]) -> None:
    arr = np.asarray(p)
    holm, bh = adjust_pvalues(arr, "holm"), adjust_pvalues(arr, "bh")
    assert np.all(holm >= arr)
    assert np.all(holm <= 1)
    assert np.all(bh >= arr)
    assert np.all(bh <= holm + 1e-15)
    order = np.argsort(arr)
    assert np.all(np.diff(holm[order]) >= 0)
    assert np.all(np.diff(bh[order]) >= 0)


# --- bad input names the field ---------------------------------------------------------------


def _field(excinfo: pytest.ExceptionInfo[StatsError]) -> str:
    return excinfo.value.field


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: ProportionStat(0, 0), "n"),
        (lambda: MeanStat(10, 10.0, 5.0), "sum_sq"),
        (lambda: MeanStat(float("nan"), 1.0, 1.0), "n"),
        (lambda: MeanStat(3.5, 1.0, 1.0), "n"),
        (lambda: MeanStat(3, float("nan"), 1.0), "sum"),
        (lambda: MeanStat(3, 3.0, 5.0, float("inf"), 1.0, 1.0), "pre_sum"),
        (lambda: ProportionStat(float("nan"), 1), "n"),
        (lambda: ProportionStat(10, float("nan")), "successes"),
        (lambda: ProportionStat(10, 2.5), "successes"),
        (lambda: ProportionStat(10, 11), "successes"),
        (lambda: ProportionStat(True, 0), "n"),
        (lambda: RatioStat(3, float("nan"), 3.0, 5.0, 5.0, 5.0), "sum_num"),
        (lambda: RatioStat(2.5, 3.0, 3.0, 5.0, 5.0, 5.0), "n"),
        (lambda: compare_means(MeanStat(3, 3.0, 5.0), MeanStat(3, 3.0, 5.0), scale="log"), "scale"),  # type: ignore[arg-type]
        (lambda: compare_means(MeanStat(3, 3.0, 5.0), MeanStat(3, 3.0, 5.0), alternative="up"), "alternative"),  # type: ignore[arg-type]
        (lambda: compare_means(MeanStat(3, 3.0, 5.0), MeanStat(3, 3.0, 5.0), alpha=float("nan")), "alpha"),
        (lambda: compare_quantiles([1, 2.5, 3], [1, 2, 3], [0, 1, 2, 3]), "control_hist"),
        (lambda: chance_to_beat_proportions(ProportionStat(10, 1), ProportionStat(10, 2), draws=2000.5), "draws"),  # type: ignore[arg-type]
        (lambda: chance_to_beat_proportions(ProportionStat(10, 1), ProportionStat(10, 2), draws="many"), "draws"),  # type: ignore[arg-type]
        (
            lambda: compare_proportions(ProportionStat(10, 1), ProportionStat(10, 2), alpha=0.0),
            "alpha",
        ),
        (
            lambda: compare_ratios(
                RatioStat(3, 3.0, 3.0, 5.0, 5.0, 100.0), RatioStat(3, 3.0, 3.0, 5.0, 5.0, 3.0)
            ),
            "sum_num_den",
        ),
        (
            lambda: compare_means(
                MeanStat(3, 3.0, 5.0, 3.0, 1.0, 3.0),
                MeanStat(3, 3.0, 5.0, 3.0, 5.0, 3.0),
                cuped=True,
            ),
            "pre_sum_sq",
        ),
        (
            lambda: compare_means(
                MeanStat(3, 3.0, 5.0, 3.0, 5.0, 100.0),
                MeanStat(3, 3.0, 5.0, 3.0, 5.0, 3.0),
                cuped=True,
            ),
            "pre_cross",
        ),
        (
            lambda: compare_means(
                MeanStat(3, 3.0, 5.0, 3.0, 5.0, 3.0), MeanStat(3, 3.0, 5.0), cuped=True
            ),
            "pre_sum",
        ),
        (lambda: compare_quantiles([1, 2, 3], [1, 2], [0, 1, 2, 3]), "treatment_hist"),
        (lambda: compare_quantiles([1, 2, 3], [1, 2, 3], [0, 1, 1, 3]), "bin_edges"),
        (lambda: compare_quantiles([0, 0, 0], [1, 2, 3], [0, 1, 2, 3]), "control_hist"),
        (lambda: compare_quantiles([1, -2, 3], [1, 2, 3], [0, 1, 2, 3]), "control_hist"),
        (lambda: compare_quantiles([1, 2, 3], [1, 2, 3], [0, 1, 2, 3], q=1.0), "q"),
        (lambda: srm_test([100, 120], [1, 1, 1]), "expected_weights"),
        (lambda: srm_test([100], [1]), "observed_counts"),
        (lambda: adjust_pvalues([0.1, 0.2], "bonferroni"), "method"),  # type: ignore[arg-type]
        (lambda: adjust_pvalues([0.1, 1.2], "holm"), "pvalues"),
        (lambda: sample_size_proportions(0.95, 0.1), "mde"),
        (lambda: sample_size_proportions(0.1, 0.01, power=1.0), "power"),
        (
            lambda: sequential_compare_proportions(
                ProportionStat(10, 1), ProportionStat(10, 2), target_n=0
            ),
            "target_n",
        ),
    ],
)
def test_bad_input_raises_stats_error_naming_the_field(
    call: Callable[[], object], field: str
) -> None:
    with pytest.raises(StatsError) as excinfo:
        call()
    assert _field(excinfo) == field
    assert str(excinfo.value).startswith(f"{field}: ")


# --- decision --------------------------------------------------------------------------------

DIRECTIONS = {"task_success": True, "refusal_rate": False, "latency_p95": False}


def _cmp(metric: str, lift: float, significant: bool, *, sequential: bool = False) -> ABResult:
    half = abs(lift) / 2 if significant else abs(lift) + 0.01
    return ABResult(
        control=0.5,
        treatment=0.5 + lift,
        lift=lift,
        lift_ci=(lift - half, lift + half),
        relative_lift=lift / 0.5,
        relative_lift_ci=((lift - half) / 0.5, (lift + half) / 0.5),
        p_value=0.001 if significant else 0.4,
        alpha=0.05,
        significant=significant,
        method="test",
        n_control=1000,
        n_treatment=1000,
        metric=metric,
        sequential=sequential,
        scale="relative",
    )


def test_decide_ships_a_clear_win_with_safe_guardrails() -> None:
    d = decide(
        _cmp("task_success", 0.0155, True),
        [_cmp("refusal_rate", -0.01, True), _cmp("latency_p95", 0.001, False)],
        higher_is_better=DIRECTIONS,
        reached_sample=True,
        srm=srm_test([5000, 5020], [1, 1]),
    )
    assert d.verdict == "ship"
    assert d.reasons[0] == "primary metric task_success improved by +3.1% (95% CI +1.6% to +4.7%)"
    assert "guardrail refusal_rate improved by -2.0% (95% CI -3.0% to -1.0%)" in d.reasons


def test_decide_blocks_on_a_worse_guardrail_in_its_own_direction() -> None:
    d = decide(
        _cmp("task_success", 0.02, True),
        [_cmp("refusal_rate", 0.01, True)],
        higher_is_better=DIRECTIONS,
        reached_sample=True,
    )
    assert d.verdict == "don't ship"
    assert d.reasons[0].startswith("guardrail refusal_rate worsened by +2.0%")


def test_decide_distrusts_everything_on_sample_ratio_mismatch() -> None:
    d = decide(
        _cmp("task_success", 0.02, True),
        [],
        higher_is_better=DIRECTIONS,
        reached_sample=True,
        srm=srm_test([10_000, 10_600], [1, 1]),
    )
    assert d.verdict == "don't ship"
    assert "sample ratio mismatch" in d.reasons[0]
    assert "untrustworthy" in d.reasons[0]


def test_decide_waits_for_the_planned_sample_unless_sequential() -> None:
    early = decide(
        _cmp("task_success", 0.02, True), [], higher_is_better=DIRECTIONS, reached_sample=False
    )
    assert early.verdict == "keep running"
    assert any("planned sample not reached" in r for r in early.reasons)
    seq = decide(
        _cmp("task_success", 0.02, True, sequential=True),
        [],
        higher_is_better=DIRECTIONS,
        reached_sample=False,
    )
    assert seq.verdict == "ship"
    flat_seq = decide(
        _cmp("task_success", 0.001, False, sequential=True),
        [],
        higher_is_better=DIRECTIONS,
        reached_sample=False,
    )
    assert flat_seq.verdict == "keep running"


def test_decide_rejects_flat_or_worse_primary_at_full_sample() -> None:
    flat = decide(
        _cmp("task_success", 0.001, False), [], higher_is_better=DIRECTIONS, reached_sample=True
    )
    assert flat.verdict == "don't ship"
    assert flat.reasons[0].startswith("primary metric task_success showed no significant change")
    worse = decide(
        _cmp("latency_p95", 0.05, True), [], higher_is_better=DIRECTIONS, reached_sample=True
    )
    assert worse.verdict == "don't ship"
    assert "worsened" in worse.reasons[0]


def test_decide_uses_absolute_units_when_control_is_zero() -> None:
    c = compare_proportions(
        ProportionStat(1000, 0), ProportionStat(1000, 30), metric="task_success"
    )
    assert math.isnan(c.relative_lift)
    d = decide(c, [], higher_is_better=DIRECTIONS, reached_sample=True)
    assert d.verdict == "ship"
    assert "+0.03 (95% CI" in d.reasons[0]
    assert "[absolute difference]" in d.reasons[0]


def test_decide_requires_a_direction_for_every_metric() -> None:
    with pytest.raises(StatsError) as excinfo:
        decide(
            _cmp("task_success", 0.02, True),
            [_cmp("cost", 0.1, True)],
            higher_is_better=DIRECTIONS,
            reached_sample=True,
        )
    assert excinfo.value.field == "higher_is_better"


def test_welch_df_survives_denormal_variances():
    """Hypothesis found it: 5e-324 / 2 underflows to 0; the shares must not divide by that zero."""
    from evalhub.stats.ab._core import welch_df

    assert welch_df(5e-324, 2, 5e-324, 2) == pytest.approx(2.0)
    assert welch_df(1.0, 10, 1.0, 10) == pytest.approx(18.0)
