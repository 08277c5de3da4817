"""Failure modes: where a variant is worse than a baseline, slice by slice, with honest multiplicity.

Every slice (a value of a dimension, e.g. ``language = de``) arrives as sufficient statistics of one
of three shapes, and gets a difference "variant − baseline" with a confidence interval and a
two-sided p-value:

* ``PairedSlice`` — per-item scores of both variants on the items they share (eval suites; pairwise
  judgments as a score of 1 / ½ / 0 per judgment). Paired mean difference d̄ with the paired t
  interval (Student 1908; identical to ``scipy.stats.ttest_rel``), or, when items are grouped, the
  cluster-robust CR1 (Liang & Zeger 1986) standard error of d̄ with G − 1 degrees of freedom
  (Cameron & Miller 2015, "A Practitioner's Guide to Cluster-Robust Inference"; identical to
  statsmodels ``OLS(d, 1).fit(cov_type="cluster", use_t=True)``). Miller 2024 ("Adding Error Bars
  to Evals", arXiv:2411.00640) argues for both in eval suites.
* ``ProportionSlice`` — two independent proportions (refusal, re-ask, error, thumbs-up rates).
  Interval: Newcombe's hybrid score interval from two Wilson intervals (Newcombe 1998, Stat Med
  17:873, method 10; statsmodels ``confint_proportions_2indep(method="newcomb")``); p-value: the
  pooled two-proportion z test (statsmodels ``proportions_ztest``).
* ``MeanSlice`` — two independent means from (n, Σx, Σx²) (latency). Welch's t interval and test
  with Welch–Satterthwaite degrees of freedom (Welch 1947; ``scipy.stats.ttest_ind_from_stats``
  with ``equal_var=False``).

``rank_slices`` then adjusts the p-values of every slice tested, across sources, dimensions and
metrics, with Benjamini–Hochberg (1995) step-up FDR control (statsmodels ``multipletests(...,
method="fdr_bh")``). A slice with fewer than ``min_n`` observations on either side is shown but
never tested (so it neither gets flagged nor dilutes the adjustment). A slice is *flagged* when its
adjusted p is below ``alpha``, it is worse for the variant, and its effect reaches ``min_effect``:
the absolute difference for bounded metrics (scores and rates in [0, 1]), the relative difference
|Δ| / |baseline| for unbounded ones (latency). Results come worst first: flagged slices, then the
rest, each by effect in the harmful direction.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats

from evalhub.stats._base import StatsError, check_count
from evalhub.stats.agreement import wilson_interval

__all__ = [
    "MeanSlice",
    "PairedSlice",
    "ProportionSlice",
    "SliceComparison",
    "SliceInput",
    "SliceResult",
    "benjamini_hochberg",
    "compare",
    "rank_slices",
]


def _finite(field: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise StatsError(field, f"must be a number, got {value!r}")
    if not math.isfinite(value):
        raise StatsError(field, f"must be finite, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class PairedSlice:
    """Per-item scores of the variant (a) and the baseline (b) on ``n`` shared items.

    ``sum_a`` = Σa, ``sum_b`` = Σb, ``sum_d_sq`` = Σ(a − b)². With grouped items (ungrouped items are
    groups of one), per group g with n_g items and S_g = Σ_g(a − b): ``clusters`` = G, ``cluster_d_sq`` =
    Σ S_g², ``cluster_nd`` = Σ n_g·S_g, ``cluster_n_sq`` = Σ n_g² — what CR1 needs, since
    Σ_g (S_g − n_g·d̄)² = Σ S_g² − 2·d̄·Σ n_g·S_g + d̄²·Σ n_g². ``clusters`` = 0: independent items.
    """

    n: int
    sum_a: float
    sum_b: float
    sum_d_sq: float
    clusters: int = 0
    cluster_d_sq: float = 0.0
    cluster_nd: float = 0.0
    cluster_n_sq: float = 0.0

    def __post_init__(self) -> None:
        check_count("n", self.n, minimum=1)
        for name in ("sum_a", "sum_b", "sum_d_sq", "cluster_d_sq", "cluster_nd", "cluster_n_sq"):
            _finite(name, getattr(self, name))
        d = self.sum_a - self.sum_b
        if self.sum_d_sq < d * d / self.n - 1e-9 * max(1.0, self.sum_d_sq):
            raise StatsError("sum_d_sq", "inconsistent with sum_a − sum_b and n (negative variance)")
        if check_count("clusters", self.clusters) > self.n:
            raise StatsError("clusters", f"must be at most n ({self.n})")
        if self.clusters and self.cluster_n_sq < self.n - 1e-9:
            raise StatsError("cluster_n_sq", "must be at least n (each cluster has an item)")

    @classmethod
    def from_scores(cls, a: Sequence[float], b: Sequence[float],
                    clusters: Sequence[object] | None = None) -> PairedSlice:
        """Sufficient statistics of paired score lists (tests and small callers)."""
        xa, xb = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        if xa.shape != xb.shape or xa.ndim != 1 or xa.size == 0:
            raise StatsError("b", "must be a non-empty list as long as a")
        d = xa - xb
        if clusters is None:
            return cls(int(d.size), float(xa.sum()), float(xb.sum()), float(d @ d))
        groups: dict[object, list[float]] = {}
        for label, value in zip(clusters, d.tolist(), strict=True):
            groups.setdefault(label, []).append(value)
        sizes = np.array([len(v) for v in groups.values()], dtype=float)
        sums = np.array([sum(v) for v in groups.values()])
        return cls(int(d.size), float(xa.sum()), float(xb.sum()), float(d @ d), len(groups), float(sums @ sums),
                   float(sizes @ sums), float(sizes @ sizes))


@dataclass(frozen=True)
class ProportionSlice:
    """``x`` of ``n`` for the variant against ``x_base`` of ``n_base`` for the baseline (independent)."""

    x: int
    n: int
    x_base: int
    n_base: int

    def __post_init__(self) -> None:
        for name, total in (("x", "n"), ("x_base", "n_base")):
            count = check_count(total, getattr(self, total), minimum=1)
            if not 0 <= check_count(name, getattr(self, name)) <= count:
                raise StatsError(name, f"must be within 0..{total}")


@dataclass(frozen=True)
class MeanSlice:
    """Two independent means as (n, Σx, Σx²): the variant's and the baseline's."""

    n: int
    sum: float
    sum_sq: float
    n_base: int
    sum_base: float
    sum_sq_base: float

    def __post_init__(self) -> None:
        for n, s, q in (("n", "sum", "sum_sq"), ("n_base", "sum_base", "sum_sq_base")):
            count = check_count(n, getattr(self, n), minimum=1)
            total, total_sq = _finite(s, getattr(self, s)), _finite(q, getattr(self, q))
            if total_sq < total * total / count - 1e-9 * max(1.0, total_sq):
                raise StatsError(q, f"inconsistent with {s} and {n} (negative variance)")


Stat = PairedSlice | ProportionSlice | MeanSlice


@dataclass(frozen=True)
class SliceInput:
    """One slice of one metric: where it comes from, which way is better, and its statistics."""

    source: str
    dimension: str
    value: str
    metric: str
    stat: Stat
    higher_is_better: bool = True
    bounded: bool = True  # a score or rate in [0, 1]: the effect is the absolute difference


@dataclass(frozen=True)
class SliceComparison:
    estimate: float
    baseline_estimate: float
    difference: float
    lower: float
    upper: float
    p_value: float | None  # None: no test possible (n < 2, or no variation on a side that needs it)
    n: int
    n_base: int


@dataclass(frozen=True)
class SliceResult:
    source: str
    dimension: str
    value: str
    metric: str
    higher_is_better: bool
    n: int
    n_base: int
    estimate: float
    baseline_estimate: float
    difference: float
    lower: float
    upper: float
    effect: float  # the difference on the threshold's scale (absolute, or relative to the baseline)
    p_value: float | None
    p_adjusted: float | None  # None when the slice was not tested (n < min_n or no test possible)
    tested: bool
    significant: bool  # flagged: tested, adjusted p < alpha, worse for the variant, |effect| ≥ min_effect
    direction: Literal["worse", "better", "same"]


def _z(level: float) -> float:
    if not 0.0 < level < 1.0:
        raise StatsError("level", f"must be within (0, 1), got {level!r}")
    return float(stats.norm.ppf(0.5 + level / 2.0))


def _t_p(t: float, df: float) -> float:
    return float(2.0 * stats.t.sf(abs(t), df))


def _paired(s: PairedSlice, level: float) -> SliceComparison:
    n = s.n
    d_bar = (s.sum_a - s.sum_b) / n
    est, base = s.sum_a / n, s.sum_b / n
    if 2 <= s.clusters < n:
        g = s.clusters
        resid_sq = max(0.0, s.cluster_d_sq - 2.0 * d_bar * s.cluster_nd + d_bar * d_bar * s.cluster_n_sq)
        se = math.sqrt(g / (g - 1) * resid_sq) / n
        df = g - 1
    elif n >= 2:
        var = max(0.0, (s.sum_d_sq - n * d_bar * d_bar) / (n - 1))
        se, df = math.sqrt(var / n), n - 1
    else:
        return SliceComparison(est, base, d_bar, d_bar, d_bar, None, n, n)
    if se == 0.0:
        return SliceComparison(est, base, d_bar, d_bar, d_bar, 1.0 if d_bar == 0 else 0.0, n, n)
    half = float(stats.t.ppf(0.5 + level / 2.0, df)) * se
    return SliceComparison(est, base, d_bar, d_bar - half, d_bar + half, _t_p(d_bar / se, df), n, n)


def _proportions(s: ProportionSlice, level: float) -> SliceComparison:
    p1, p0 = s.x / s.n, s.x_base / s.n_base
    l1, u1 = wilson_interval(s.x, s.n, level=level)
    l0, u0 = wilson_interval(s.x_base, s.n_base, level=level)
    diff = p1 - p0
    lower = diff - math.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2)
    upper = diff + math.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)
    pooled = (s.x + s.x_base) / (s.n + s.n_base)
    se0 = math.sqrt(pooled * (1 - pooled) * (1 / s.n + 1 / s.n_base))
    p_value = (1.0 if diff == 0 else 0.0) if se0 == 0 else float(2.0 * stats.norm.sf(abs(diff) / se0))
    return SliceComparison(p1, p0, diff, lower, upper, p_value, s.n, s.n_base)


def _means(s: MeanSlice, level: float) -> SliceComparison:
    m1, m0 = s.sum / s.n, s.sum_base / s.n_base
    diff = m1 - m0
    if s.n < 2 or s.n_base < 2:
        return SliceComparison(m1, m0, diff, diff, diff, None, s.n, s.n_base)
    v1 = max(0.0, (s.sum_sq - s.n * m1 * m1) / (s.n - 1)) / s.n
    v0 = max(0.0, (s.sum_sq_base - s.n_base * m0 * m0) / (s.n_base - 1)) / s.n_base
    se = math.sqrt(v1 + v0)
    if se == 0.0:
        return SliceComparison(m1, m0, diff, diff, diff, 1.0 if diff == 0 else 0.0, s.n, s.n_base)
    df = (v1 + v0) ** 2 / (v1 * v1 / (s.n - 1) + v0 * v0 / (s.n_base - 1))
    half = float(stats.t.ppf(0.5 + level / 2.0, df)) * se
    return SliceComparison(m1, m0, diff, diff - half, diff + half, _t_p(diff / se, df), s.n, s.n_base)


def compare(stat: Stat, *, level: float = 0.95) -> SliceComparison:
    """Variant − baseline for one slice: estimate, interval at ``level`` and two-sided p (see module doc)."""
    _z(level)
    if isinstance(stat, PairedSlice):
        return _paired(stat, level)
    if isinstance(stat, ProportionSlice):
        return _proportions(stat, level)
    if isinstance(stat, MeanSlice):
        return _means(stat, level)
    raise StatsError("stat", f"unknown slice statistics {type(stat).__name__}")


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """Benjamini–Hochberg (1995) adjusted p-values, in the input order.

    p̃_(i) = min_{j ≥ i} min(1, m · p_(j) / j) over the ascending order — statsmodels
    ``multipletests(p, method="fdr_bh")[1]``.
    """
    p = np.asarray(p_values, dtype=float)
    if p.ndim != 1:
        raise StatsError("p_values", "must be one-dimensional")
    if p.size == 0:
        return []
    if not np.all((p >= 0) & (p <= 1)):
        raise StatsError("p_values", "must lie within [0, 1]")
    m = p.size
    order = np.argsort(p, kind="mergesort")
    scaled = p[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum(1.0, np.minimum.accumulate(scaled[::-1])[::-1])
    out = np.empty(m)
    out[order] = adjusted
    return [float(v) for v in out]


def _effect(item: SliceInput, c: SliceComparison) -> float:
    if item.bounded:
        return c.difference
    if c.baseline_estimate == 0:
        return 0.0 if c.difference == 0 else math.copysign(math.inf, c.difference)
    return c.difference / abs(c.baseline_estimate)


def rank_slices(
    inputs: Sequence[SliceInput],
    *,
    level: float = 0.95,
    alpha: float = 0.05,
    min_n: int = 30,
    min_effect: float = 0.05,
) -> list[SliceResult]:
    """Compare every slice, BH-adjust across the tested ones, flag failure modes, worst first.

    Order: flagged slices, then the other tested ones, then the untested; within each, by excess harm
    (how much worse than the variant's overall gap on that metric, from the dimension's slices
    weighted by n), then by harm.

    ``min_n``: both sides need at least this many observations for a slice to be tested.
    ``min_effect``: the smallest harmful effect flagged (absolute for bounded metrics, relative
    otherwise). See the module docstring for the methods and their references.
    """
    if not 0.0 < alpha < 1.0:
        raise StatsError("alpha", f"must be within (0, 1), got {alpha!r}")
    check_count("min_n", min_n, minimum=1)
    if _finite("min_effect", min_effect) < 0:
        raise StatsError("min_effect", "must not be negative")
    compared = [(item, compare(item.stat, level=level)) for item in inputs]
    tested_idx = [i for i, (_, c) in enumerate(compared)
                  if c.p_value is not None and min(c.n, c.n_base) >= min_n]
    adjusted = dict(zip(tested_idx, benjamini_hochberg([compared[i][1].p_value or 0.0 for i in tested_idx]),
                        strict=True))
    results = []
    for i, (item, c) in enumerate(compared):
        effect = _effect(item, c)
        harm = -effect if item.higher_is_better else effect
        direction: Literal["worse", "better", "same"] = "worse" if harm > 0 else "better" if harm < 0 else "same"
        p_adj = adjusted.get(i)
        flagged = p_adj is not None and p_adj < alpha and direction == "worse" and abs(effect) >= min_effect
        results.append(SliceResult(
            item.source, item.dimension, item.value, item.metric, item.higher_is_better, c.n, c.n_base,
            c.estimate, c.baseline_estimate, c.difference, c.lower, c.upper, effect, c.p_value, p_adj,
            p_adj is not None, flagged, direction))

    def harm_of(r: SliceResult) -> float:
        return -r.effect if r.higher_is_better else r.effect

    # A variant worse than its baseline everywhere is worse in every slice; what a reader needs first is
    # where it is worse *than its usual gap*. Each slice's excess harm: its harm minus the n-weighted
    # harm of all the slices of its dimension (for the same source and metric), which partition the
    # rows — the variant's overall gap on that metric.
    totals: dict[tuple[str, str, str], list[float]] = {}
    for r in results:
        if math.isfinite(r.effect):
            acc = totals.setdefault((r.source, r.metric, r.dimension), [0.0, 0.0])
            acc[0] += r.n * harm_of(r)
            acc[1] += r.n

    def excess_of(r: SliceResult) -> float:
        weighted, n = totals.get((r.source, r.metric, r.dimension), (0.0, 0.0))
        return harm_of(r) - (weighted / n if n else 0.0)

    return sorted(results, key=lambda r: (not r.significant, not r.tested, -excess_of(r), -harm_of(r), r.source,
                                          r.dimension, r.value, r.metric))

