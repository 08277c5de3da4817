"""Quantile metrics (e.g. latency p95) from histograms with shared bin edges.

Production latencies are stored as hourly histogram rollups, so the raw values are gone; a quantile
is read off the inverse empirical CDF through the bin edges, interpolated by a monotone cubic (PCHIP)
rather than linearly, so that the density does not jump at every edge (``_value_at_rank``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from evalhub.stats._base import StatsError, check_count
from evalhub.stats.ab._core import (
    ABResult,
    Alternative,
    Scale,
    Spec,
    build_result,
    check_alpha,
    normal_crit,
    not_enough,
)


def _as_hist(
    field: str, counts: Sequence[float] | np.ndarray, edges: np.ndarray, *, whole: bool = True
) -> np.ndarray:
    """Validated histogram counts. ``whole``: counts are numbers of observations (the interval and
    the test use N as a sample size); a bare quantile also accepts weights or probabilities."""
    raw = np.asarray(counts)
    integral = raw.dtype.kind in "iub"  # SQL SUMs of counts arrive as integers: nothing to check
    c = raw.astype(np.float64, copy=False)
    if c.ndim != 1 or c.shape[0] != edges.shape[0] - 1:
        raise StatsError(
            field, f"needs len(bin_edges) - 1 = {edges.shape[0] - 1} counts, got shape {c.shape}"
        )
    # Few whole-array passes (this runs on every comparison): a NaN or ±inf makes the sum
    # non-finite, a negative count the minimum negative.
    total = float(c.sum())
    if not math.isfinite(total) or c.min() < 0:
        raise StatsError(field, "counts must be finite and non-negative")
    if whole and not integral and not np.array_equal(c, np.rint(c)):
        raise StatsError(field, "counts must be whole numbers")
    if total <= 0:
        raise StatsError(field, "histogram is empty")
    return c


def _as_edges(edges: Sequence[float] | np.ndarray) -> np.ndarray:
    e = np.asarray(edges, dtype=float)
    if e.ndim != 1 or e.shape[0] < 2:
        raise StatsError("bin_edges", "needs at least two edges")
    # Strictly increasing (NaN fails the comparison) between finite ends means all finite.
    if not (np.diff(e).min() > 0 and math.isfinite(e[0]) and math.isfinite(e[-1])):
        raise StatsError("bin_edges", "must be finite and strictly increasing")
    return e


def _check_q(q: float) -> None:
    if isinstance(q, bool) or not isinstance(q, (int, float, np.floating)) or not (0.0 < q < 1.0):
        raise StatsError("q", f"must be within (0, 1), got {q!r}")


def _inverse_slope(counts: np.ndarray, edges: np.ndarray, i: int) -> float:
    """Value per rank across bin i (its width over its count), or NaN outside or for an empty bin."""
    if i < 0 or i >= counts.shape[0] or counts[i] <= 0:
        return math.nan
    return (float(edges[i + 1]) - float(edges[i])) / float(counts[i])


def _knot_slope(h_left: float, s_left: float, h_right: float, s_right: float, own: float) -> float:
    """PCHIP's derivative at the knot between two segments (Fritsch & Butland 1984): the weighted
    harmonic mean of their slopes, with the segments' lengths h as weights; ``own`` (the secant of the
    segment being evaluated) where the neighbour is missing or empty."""
    if not (s_left > 0 and s_right > 0):
        return own
    w1, w2 = 2.0 * h_right + h_left, h_right + 2.0 * h_left
    return (w1 + w2) / (w1 / s_left + w2 / s_right)


def _value_at_rank(counts: np.ndarray, edges: np.ndarray, ranks: np.ndarray) -> np.ndarray:
    """Value whose rank in the histogram is ``ranks`` (0 ≤ rank ≤ Σcounts).

    The inverse empirical CDF through the knots (C_i, e_{i+1}) — cumulative count at each bin's right
    edge, and (0, left edge of the first non-empty bin) — interpolated by PCHIP, the monotone
    piecewise-cubic Hermite interpolant (Fritsch & Carlson 1980; scipy's ``PchipInterpolator``). In bin
    i (count c_i, edges e_i < e_{i+1}), with t = (r − C_{i−1})/c_i::

        x(r) = e_i·h₀₀(t) + c_i·d_i·h₁₀(t) + e_{i+1}·h₀₁(t) + c_i·d_{i+1}·h₁₁(t)

    where d are the knot derivatives (``_knot_slope``; a bin next to an empty bin or the histogram's
    end uses its own secant there). Bins keep their counts exactly (x(C_i) = e_{i+1}) and the curve
    never leaves the bin, but the density no longer jumps at every edge as with linear interpolation
    (values uniform within a bin). Those jumps make the estimate a kinked function of the counts, and
    the order-statistic test's A/A false-positive rate then depended on where the quantile sat in its
    bucket: on the production (20%-wide, geometric) buckets at 10⁵ units per arm, p95 and p99 of
    Pareto and log-normal latencies, 1.5–7.3% with linear interpolation (above 6% just past an edge,
    e.g. Pareto p99: 8.8% in the calibration bench's 500 runs, 6.0% in 6,000), and 4.1–5.1% with this
    interpolant (24 cells of 6,000 runs, ``bench/stats_calibration.py --quantile-position``).
    """
    cum = np.cumsum(counts)
    total = float(cum[-1])
    # First bin whose cumulative count reaches r; it is non-empty whenever r > 0, and rank 0 is
    # sent to the first non-empty bin (the first whose cumulative count exceeds 0). A handful of
    # ranks: scalar arithmetic after one vectorised search beats more small-array numpy calls.
    rs = [min(max(float(r), 0.0), total) for r in ranks]
    first = int(np.searchsorted(cum, 0.0, side="right"))
    out = []
    for r, i in zip(rs, np.searchsorted(cum, rs, side="left").tolist(), strict=True):
        i = max(i, first)
        c_i = float(counts[i])
        t = min(max((r - (float(cum[i]) - c_i)) / c_i, 0.0), 1.0)
        lo, hi = float(edges[i]), float(edges[i + 1])
        own = (hi - lo) / c_i
        d_lo = _knot_slope(float(counts[i - 1]) if i > 0 else 0.0, _inverse_slope(counts, edges, i - 1), c_i, own, own)
        d_hi = _knot_slope(c_i, own, float(counts[i + 1]) if i + 1 < counts.shape[0] else 0.0,
                           _inverse_slope(counts, edges, i + 1), own)
        t2, t3 = t * t, t * t * t
        out.append(lo * (2.0 * t3 - 3.0 * t2 + 1.0) + c_i * d_lo * (t3 - 2.0 * t2 + t)
                   + hi * (3.0 * t2 - 2.0 * t3) + c_i * d_hi * (t3 - t2))
    return np.array(out)


def quantile_from_histogram(
    counts: Sequence[float] | np.ndarray, edges: Sequence[float] | np.ndarray, q: float
) -> float:
    """The q-quantile of a histogram: the value at rank q·N on the interpolated inverse CDF
    (``_value_at_rank``)."""
    _check_q(q)
    e = _as_edges(edges)
    c = _as_hist("counts", counts, e, whole=False)
    return float(_value_at_rank(c, e, np.array([q * c.sum()]))[0])


def quantile_ci_from_histogram(
    counts: Sequence[float] | np.ndarray,
    edges: Sequence[float] | np.ndarray,
    q: float,
    *,
    alpha: float = 0.05,
) -> tuple[float, float, float]:
    """(estimate, lower, upper) for the q-quantile of one histogram.

    Order-statistic (binomial) interval with its normal approximation, as in Deng, Knoblich &
    Lu 2018 ("Applying the Delta Method in Metric Analytics", quantile metrics): the number of
    values below the true quantile is Binomial(N, q), so the ranks::

        r_± = N·q ± z_{1-α/2}·√(N·q·(1-q))

    bracket it with probability ≈ 1-α, and [x(r_-), x(r_+)] is the interval (ranks clipped to
    [0, N], values interpolated as in ``_value_at_rank``).
    """
    check_alpha(alpha)
    _check_q(q)
    e = _as_edges(edges)
    c = _as_hist("counts", counts, e)
    return _quantile_ci(c, e, q, normal_crit(alpha))


def _quantile_ci(c: np.ndarray, e: np.ndarray, q: float, z: float) -> tuple[float, float, float]:
    n = c.sum()
    half = z * math.sqrt(n * q * (1.0 - q))
    est, lo, hi = _value_at_rank(c, e, np.array([q * n, q * n - half, q * n + half]))
    return float(est), float(lo), float(hi)


# Minimum number of observations beyond the quantile, min(q, 1 − q)·N, per arm (p95: 60 units,
# p99: 300, median: 6). Calibrated by simulation (``bench/stats_calibration.py --quantile-rule``:
# A/A with log-normal, exponential and Pareto latencies on the production bucket edges, 1,500 runs
# per cell, ±0.56 points): with about one observation beyond the quantile the A/A false-positive
# rate at α = 0.05 was 9.5–15% (p95 at N = 20, p99 at N = 100), with 1.4–2 it was 1.5–6.5%, and
# from 3 on the accepted cells ran 1.9–6.9% (p50 4.3–6.9%, p95 1.9–6.4%, p99 2.3–6.1%); the
# conservative end is Pareto p95 at 100–500 units. Between MIN and 2·MIN the result carries a
# warning.
MIN_TAIL_COUNT = 3.0


def quantile_sample_problem(n: float, q: float) -> str | None:
    """Why ``n`` observations are too few for a test of the q-quantile, or None."""
    tail = min(q, 1.0 - q) * n
    if tail < MIN_TAIL_COUNT:
        need = math.ceil(MIN_TAIL_COUNT / min(q, 1.0 - q) - 1e-9)
        return f"p{100 * q:g} needs at least {need} observations per arm (got {n:g})"
    return None


def _quantile_warning(n_c: float, n_t: float, q: float) -> tuple[str, ...]:
    tail = min(q, 1.0 - q) * min(n_c, n_t)
    if tail < 2.0 * MIN_TAIL_COUNT:
        return (f"few observations beyond p{100 * q:g} ({tail:.0f} in the smaller arm): the interval is approximate",)
    return ()


def compare_quantiles(
    control_hist: Sequence[float] | np.ndarray,
    treatment_hist: Sequence[float] | np.ndarray,
    bin_edges: Sequence[float] | np.ndarray,
    *,
    q: float = 0.95,
    alpha: float = 0.05,
    metric: str | None = None,
    scale: Scale = "relative",
    alternative: Alternative = "two-sided",
) -> ABResult:
    """Difference of q-quantiles between arms (histograms over the same ``bin_edges``).

    Per arm the standard error comes from the order statistics one binomial SD either side of
    the quantile's rank (the "outer CI" route of Deng, Knoblich & Lu 2018, which needs no
    density estimate)::

        s = √(N·q(1−q)),   SE = (x(N·q + s) − x(N·q − s)) / 2

    One SD rather than GrowthBook's 95% ranks: on latency-shaped (right-skewed) data the wide
    rank interval reaches into the stretched tail and overstates the SE — at 100 units per arm
    its A/A false-positive rate for p95 was 0.1–2% instead of 5% (``bench/stats_calibration.py``).
    The arms are independent, so the effect on ``scale`` (absolute, or relative by the delta
    method) is tested with a normal statistic and interval. ``n_control`` and ``n_treatment`` are
    the histogram totals.

    Not enough data: fewer than ``MIN_TAIL_COUNT`` observations beyond the quantile in an arm
    (see ``quantile_sample_problem``), or a zero standard error (the interval of an arm sits in a
    single point).
    """
    check_alpha(alpha)
    _check_q(q)
    e = _as_edges(bin_edges)
    c = _as_hist("control_hist", control_hist, e)
    t = _as_hist("treatment_hist", treatment_hist, e)
    est_c, lo_c, hi_c = _quantile_ci(c, e, q, 1.0)
    est_t, lo_t, hi_t = _quantile_ci(t, e, q, 1.0)
    n_c, n_t = float(c.sum()), float(t.sum())
    return _compare_quantile_values(
        (est_c, ((hi_c - lo_c) / 2.0) ** 2, n_c),
        (est_t, ((hi_t - lo_t) / 2.0) ** 2, n_t),
        q=q, alpha=alpha, metric=metric, scale=scale, alternative=alternative,
        method=f"quantile q={q:g} (histogram, order-statistic SE)",
    )


def _compare_quantile_values(
    control: tuple[float, float, float],
    treatment: tuple[float, float, float],
    *,
    q: float,
    alpha: float,
    metric: str | None,
    scale: Scale,
    alternative: Alternative,
    method: str,
) -> ABResult:
    (est_c, var_c, n_c), (est_t, var_t, n_t) = control, treatment
    spec = Spec(alpha, method, round(n_c), round(n_t), metric, scale, alternative)
    problem = quantile_sample_problem(min(n_c, n_t), q)
    if problem is None and (var_c <= 0.0 or var_t <= 0.0):
        problem = "the quantile's interval has zero width in an arm (all values in one point)"
    if problem:
        return not_enough(problem, est_c, est_t, spec)
    result = build_result(est_c, est_t, var_c, var_t, spec)
    extra = _quantile_warning(n_c, n_t, q)
    return replace(result, warnings=result.warnings + extra) if extra else result


@dataclass(frozen=True)
class QuantileStat:
    """A quantile computed where the data lives (SQL ``percentile_cont`` or a sketch), with its
    order-statistic interval, as GrowthBook's ``QuantileStatistic``.

    ``n`` events; ``q`` the level; ``estimate`` the sample quantile; ``lower``/``upper`` the values
    at ranks N·q ∓ z·√(N·q(1−q)), which the query computes alongside the estimate (``z`` = 1.96,
    GrowthBook's 95% order-statistic interval, by default; ``z = 1`` is the rank spread
    ``compare_quantiles`` uses on histograms).
    """

    n: int
    q: float
    estimate: float
    lower: float
    upper: float
    z: float = 1.959963984540054

    def __post_init__(self) -> None:
        check_count("n", self.n, minimum=1)
        _check_q(self.q)
        for name in ("estimate", "lower", "upper"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float, np.floating, np.integer)) or not math.isfinite(v):
                raise StatsError(name, f"must be finite, got {v!r}")
        if not self.lower <= self.estimate <= self.upper:
            raise StatsError("lower", "must satisfy lower ≤ estimate ≤ upper")
        if isinstance(self.z, bool) or not isinstance(self.z, (int, float)) or not (0 < self.z < 10):
            raise StatsError("z", f"must be a positive normal quantile, got {self.z!r}")

    @property
    def variance(self) -> float:
        """((upper − lower)/(2z))²: the outer-CI variance of the estimate."""
        return ((self.upper - self.lower) / (2.0 * self.z)) ** 2


def compare_quantile_stats(
    control: QuantileStat,
    treatment: QuantileStat,
    *,
    alpha: float = 0.05,
    metric: str | None = None,
    scale: Scale = "relative",
    alternative: Alternative = "two-sided",
) -> ABResult:
    """``compare_quantiles`` for quantiles estimated in the database (``QuantileStat`` per arm):
    same test, same minimum-sample rule, no histogram needed."""
    check_alpha(alpha)
    if control.q != treatment.q:
        raise StatsError("q", f"arms must use the same quantile level, got {control.q} and {treatment.q}")
    return _compare_quantile_values(
        (control.estimate, control.variance, float(control.n)),
        (treatment.estimate, treatment.variance, float(treatment.n)),
        q=control.q, alpha=alpha, metric=metric, scale=scale, alternative=alternative,
        method=f"quantile q={control.q:g} (database estimate, order-statistic CI)",
    )
