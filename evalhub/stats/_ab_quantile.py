"""Quantile metrics (e.g. latency p95) from histograms with shared bin edges.

Production latencies are stored as hourly histogram rollups, so the raw values are gone; within a
bin values are taken as uniformly spread (linear interpolation of the empirical CDF between edges,
the usual grouped-data quantile).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from evalhub.stats._ab_core import Comparison, build_comparison, check_alpha, normal_crit, normal_p
from evalhub.stats._base import StatsError


def _as_hist(field: str, counts: Sequence[float] | np.ndarray, edges: np.ndarray) -> np.ndarray:
    c = np.asarray(counts, dtype=float)
    if c.ndim != 1 or c.shape[0] != edges.shape[0] - 1:
        raise StatsError(
            field, f"needs len(bin_edges) - 1 = {edges.shape[0] - 1} counts, got shape {c.shape}"
        )
    if not np.all(np.isfinite(c)) or np.any(c < 0):
        raise StatsError(field, "counts must be finite and non-negative")
    if c.sum() <= 0:
        raise StatsError(field, "histogram is empty")
    return c


def _as_edges(edges: Sequence[float] | np.ndarray) -> np.ndarray:
    e = np.asarray(edges, dtype=float)
    if e.ndim != 1 or e.shape[0] < 2:
        raise StatsError("bin_edges", "needs at least two edges")
    if not np.all(np.isfinite(e)) or np.any(np.diff(e) <= 0):
        raise StatsError("bin_edges", "must be finite and strictly increasing")
    return e


def _check_q(q: float) -> None:
    if not (0.0 < q < 1.0):
        raise StatsError("q", f"must be within (0, 1), got {q!r}")


def _value_at_rank(counts: np.ndarray, edges: np.ndarray, ranks: np.ndarray) -> np.ndarray:
    """Value whose interpolated empirical-CDF rank is ``ranks`` (0 ≤ rank ≤ Σcounts).

    In bin i (cumulative count before it C_{i-1}, count c_i, edges e_i < e_{i+1})::

        x(r) = e_i + (r - C_{i-1}) / c_i · (e_{i+1} - e_i)

    Rank 0 maps to the left edge of the first non-empty bin.
    """
    cum = np.cumsum(counts)
    r = np.clip(ranks, 0.0, cum[-1])
    first = int(np.flatnonzero(counts)[0])
    # First bin whose cumulative count reaches r; it is non-empty whenever r > 0.
    i = np.maximum(np.searchsorted(cum, r, side="left"), first)
    before = np.where(i > 0, cum[np.maximum(i - 1, 0)], 0.0)
    frac = np.clip((r - before) / counts[i], 0.0, 1.0)
    return np.asarray(edges[i] + frac * (edges[i + 1] - edges[i]), dtype=float)


def quantile_from_histogram(
    counts: Sequence[float] | np.ndarray, edges: Sequence[float] | np.ndarray, q: float
) -> float:
    """The q-quantile of a histogram: the value at rank q·N by within-bin linear interpolation."""
    _check_q(q)
    e = _as_edges(edges)
    c = _as_hist("counts", counts, e)
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
    [0, N], values interpolated within bins).
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


def compare_quantiles(
    control_hist: Sequence[float] | np.ndarray,
    treatment_hist: Sequence[float] | np.ndarray,
    bin_edges: Sequence[float] | np.ndarray,
    *,
    q: float = 0.95,
    alpha: float = 0.05,
    metric: str | None = None,
) -> Comparison:
    """Difference of q-quantiles between arms (histograms over the same ``bin_edges``).

    Per arm, the order-statistic interval of ``quantile_ci_from_histogram`` at level 1-α is turned
    back into a standard error, SE = (x(r_+) - x(r_-)) / (2·z_{1-α/2}) — the "outer CI" route of
    Deng, Knoblich & Lu 2018, which needs no density estimate. The arms are independent, so::

        z = (Q̂_T - Q̂_C) / √(SE_C² + SE_T²)

    with a normal interval; the relative lift uses the delta method on the same SEs. ``n_control``
    and ``n_treatment`` are the histogram totals.
    """
    check_alpha(alpha)
    _check_q(q)
    e = _as_edges(bin_edges)
    c = _as_hist("control_hist", control_hist, e)
    t = _as_hist("treatment_hist", treatment_hist, e)
    crit = normal_crit(alpha)
    est_c, lo_c, hi_c = _quantile_ci(c, e, q, crit)
    est_t, lo_t, hi_t = _quantile_ci(t, e, q, crit)
    var_c = ((hi_c - lo_c) / (2.0 * crit)) ** 2
    var_t = ((hi_t - lo_t) / (2.0 * crit)) ** 2
    diff = est_t - est_c
    v = var_c + var_t
    p_value = (1.0 if diff == 0.0 else 0.0) if v == 0.0 else normal_p(diff / math.sqrt(v))
    return build_comparison(
        control=est_c,
        treatment=est_t,
        var_control=var_c,
        var_treatment=var_t,
        half_width=lambda w: crit * math.sqrt(w),
        p_value=p_value,
        alpha=alpha,
        method=f"quantile q={q:g} (histogram, order-statistic CI)",
        n_control=round(float(c.sum())),
        n_treatment=round(float(t.sum())),
        metric=metric,
    )
