"""Eval-suite scores: mean with CLT or clustered standard errors, paired differences, McNemar, sizing.

Items in a suite are often grouped (several questions about one document, several test cases of
one coding task). Such items are not independent, and treating them as if they were makes error bars
too narrow; ``clusters`` switches to cluster-robust standard errors (Miller 2024, "Adding Error Bars
to Evals", arXiv:2411.00640). Two variants run on the same items should be compared item by item
(paired), which removes the between-item variance from the comparison (ibid.).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats

from evalhub.stats._base import MeanStat, StatsError, check_level, wilson_bounds

__all__ = [
    "McNemarResult",
    "PairedDiff",
    "ScoreEstimate",
    "bounded_interval",
    "items_for_ci_width",
    "items_for_power",
    "mcnemar",
    "mcnemar_from_counts",
    "mean_score",
    "mean_score_from_stat",
    "paired_difference",
    "paired_difference_from_stat",
]

# Below this many discordant pairs the chi-square approximation to McNemar's statistic is poor;
# b + c < 25 is the usual rule of thumb for switching to the exact binomial test.
_EXACT_MCNEMAR_BELOW = 25


@dataclass(frozen=True)
class ScoreEstimate:
    """A mean score with its standard error and a two-sided confidence interval.

    ``df`` is n − 1, or G − 1 with G clusters; ``n_clusters`` is ``None`` for independent items.
    ``interval`` says how the interval was formed: ``"t"`` (mean ± t·se), or ``"wilson"`` (bounded
    scores whose t interval has zero width or leaves the bounds: ``bounded_interval``).
    """

    mean: float
    se: float
    lower: float
    upper: float
    n: int
    n_clusters: int | None
    df: int
    level: float
    interval: Literal["t", "wilson"] = "t"


@dataclass(frozen=True)
class PairedDiff:
    """Mean of per-item differences A − B with SE, t confidence interval and two-sided p-value."""

    mean_diff: float
    se: float
    lower: float
    upper: float
    statistic: float
    p_value: float
    n: int
    n_clusters: int | None
    df: int
    level: float


@dataclass(frozen=True)
class McNemarResult:
    """McNemar's test on paired pass/fail: b = A passes and B fails, c = A fails and B passes.

    ``statistic`` is min(b, c) for the exact test and the continuity-corrected chi-square otherwise
    (the conventions of statsmodels' ``mcnemar``).
    """

    b: int
    c: int
    n: int
    statistic: float
    p_value: float
    exact: bool


def _as_scores(field: str, values: Sequence[float] | np.ndarray) -> np.ndarray:
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise StatsError(field, f"must be numbers ({exc})") from exc
    if array.ndim != 1:
        raise StatsError(field, f"must be one-dimensional, got shape {array.shape}")
    if array.size == 0:
        raise StatsError(field, "must not be empty")
    if not np.all(np.isfinite(array)):
        raise StatsError(field, "contains NaN or infinite values")
    return array


def _cluster_codes(clusters: Sequence[Hashable] | np.ndarray, n: int) -> tuple[np.ndarray, int]:
    labels = list(clusters)
    if len(labels) != n:
        raise StatsError("clusters", f"length {len(labels)} differs from the number of scores {n}")
    index: dict[Hashable, int] = {}
    codes = np.fromiter((index.setdefault(label, len(index)) for label in labels), dtype=np.intp, count=n)
    if len(index) < 2:
        raise StatsError("clusters", "need at least 2 distinct clusters for a clustered standard error")
    return codes, len(index)


def _t_interval(mean: float, se: float, df: int, level: float) -> tuple[float, float]:
    half = float(stats.t.ppf(0.5 + level / 2.0, df)) * se
    return mean - half, mean + half


def _check_bounds(bounds: tuple[float, float]) -> tuple[float, float]:
    try:
        lo, hi = (float(b) for b in bounds)
    except (TypeError, ValueError) as exc:
        raise StatsError("bounds", f"must be a (low, high) pair of numbers ({exc})") from exc
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise StatsError("bounds", f"must be finite with low < high, got {bounds!r}")
    return lo, hi


def bounded_interval(mean: float, se: float, n: int, *, bounds: tuple[float, float] = (0.0, 1.0),
                     n_clusters: int | None = None, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for the mean of scores bounded in ``bounds`` (0–1 scores, pass rates).

    The mean is rescaled to p ∈ [0, 1] and given the Wilson interval (Wilson 1927, JASA 22:209-212)
    at the effective sample size n* = p(1 − p)/se² of Korn & Graubard (1998, "Confidence intervals for
    proportions with small expected number of positive counts estimated from survey data", Survey
    Methodology 24:193-201), capped at n: for independent pass/fail items n* is n − 1, and a
    clustered standard error shrinks n* by its design effect, so a clustered interval stays clustered.
    When se = 0 (every score equal) the data say nothing of the spread, and n* is n — or G with G
    clusters, as if each cluster were a single item (the widest a clustered design allows). A perfect
    score of n independent items then gets [n/(n + z²), 1]: never zero width, never outside the bounds.
    """
    lo, hi = _check_bounds(bounds)
    width = hi - lo
    p = min(max((mean - lo) / width, 0.0), 1.0)
    se_unit = se / width
    if se_unit > 0.0 and p * (1.0 - p) > 0.0:
        n_eff = min(float(n), p * (1.0 - p) / (se_unit * se_unit))
    else:
        n_eff = float(n if n_clusters is None else n_clusters)
    p_lower, p_upper = wilson_bounds(p, n_eff, float(stats.norm.ppf(0.5 + level / 2.0)))
    return lo + width * p_lower, lo + width * p_upper


def _estimate(mean: float, se: float, n: int, n_clusters: int | None, df: int, level: float,
              bounds: tuple[float, float] | None) -> ScoreEstimate:
    """The t interval, or for bounded scores the Wilson one where the t interval has zero width or
    leaves the bounds (``bounded_interval``)."""
    lower, upper = _t_interval(mean, se, df, level)
    if bounds is not None and not (upper > lower and bounds[0] <= lower and upper <= bounds[1]):
        lower, upper = bounded_interval(mean, se, n, bounds=bounds, n_clusters=n_clusters, level=level)
        return ScoreEstimate(mean, se, lower, upper, n, n_clusters, df, level, "wilson")
    return ScoreEstimate(mean, se, lower, upper, n, n_clusters, df, level)


def mean_score(
    scores: Sequence[float] | np.ndarray,
    *,
    clusters: Sequence[Hashable] | np.ndarray | None = None,
    level: float = 0.95,
    bounds: tuple[float, float] | None = None,
) -> ScoreEstimate:
    """Mean item score with a t confidence interval.

    Independent items: se = s / √n with s the sample SD (ddof = 1), df = n − 1 — the one-sample t
    interval (scipy.stats.ttest_1samp(...).confidence_interval).
    Clustered items (G clusters, residuals e_i = x_i − x̄): the CR1 / Liang–Zeger sandwich for a
    regression on a constant, se² = G/(G − 1) · Σ_g (Σ_{i∈g} e_i)² / n², with df = G − 1
    (Liang & Zeger 1986, Biometrika 73:13-22; Cameron & Miller 2015, "A Practitioner's Guide to
    Cluster-Robust Inference", J. Human Resources 50:317-372, who recommend the t(G − 1)).
    This equals statsmodels ``OLS(x, 1).fit(cov_type="cluster", use_t=True)``.

    ``bounds`` (e.g. (0, 1) for graded scores) declares the scores' range: where the t interval would
    have zero width (every score equal, e.g. a perfect run) or reach outside the range, the interval is
    ``bounded_interval``'s Wilson interval instead (``interval == "wilson"``).
    """
    check_level(level)
    x = _as_scores("scores", scores)
    n = x.size
    if bounds is not None:
        lo, hi = bounds = _check_bounds(bounds)
        if x.min() < lo or x.max() > hi:
            raise StatsError("scores", f"must lie within the bounds {bounds}")
    mean = float(x.mean())
    if clusters is None:
        if n < 2:
            raise StatsError("scores", "need at least 2 scores for a standard error")
        se = float(x.std(ddof=1)) / math.sqrt(n)
        n_clusters, df = None, n - 1
    else:
        codes, n_clusters = _cluster_codes(clusters, n)
        sums = np.bincount(codes, weights=x - mean, minlength=n_clusters)
        se = math.sqrt(n_clusters / (n_clusters - 1) * float(sums @ sums)) / n
        df = n_clusters - 1
    return _estimate(mean, se, n, n_clusters, df, level, bounds)


def mean_score_from_stat(stat: MeanStat, *, level: float = 0.95,
                         bounds: tuple[float, float] | None = None) -> ScoreEstimate:
    """``mean_score`` for independent items from sufficient statistics (n, Σx, Σx²).

    se = √(s² / n) with s² = (Σx² − (Σx)²/n) / (n − 1); t interval with n − 1 df (``bounds`` as in
    ``mean_score``; only the mean can be checked against them). Lets a selector aggregate in SQL and
    never ship per-item rows.
    """
    check_level(level)
    if stat.n < 2:
        raise StatsError("n", f"need at least 2 items for a standard error, got {stat.n}")
    if bounds is not None:
        lo, hi = bounds = _check_bounds(bounds)
        slack = 1e-12 * max(1.0, abs(lo), abs(hi))
        if not (lo - slack <= stat.mean <= hi + slack):
            raise StatsError("sum", f"gives a mean of {stat.mean!r}, outside the bounds {bounds}")
    se = math.sqrt(stat.variance / stat.n)
    return _estimate(stat.mean, se, stat.n, None, stat.n - 1, level, bounds)


def paired_difference(
    scores_a: Sequence[float] | np.ndarray,
    scores_b: Sequence[float] | np.ndarray,
    *,
    clusters: Sequence[Hashable] | np.ndarray | None = None,
    level: float = 0.95,
) -> PairedDiff:
    """Paired comparison of two variants scored on the same items, d_i = a_i − b_i.

    mean_diff = d̄, se as in ``mean_score`` applied to d (CLT or CR1 clustered), t = d̄ / se and
    p = 2 · P(T_df > |t|) with df = n − 1 (or G − 1). Unclustered, this is the paired t-test
    (scipy.stats.ttest_rel; Student 1908). We use t rather than the normal because suites are often
    small (tens of items) where z-intervals under-cover.

    When every difference is identical, se = 0: d̄ = 0 gives t = 0, p = 1 (no evidence of a
    difference; scipy returns NaN here), and d̄ ≠ 0 gives |t| = ∞, p = 0.
    """
    a = _as_scores("scores_a", scores_a)
    b = _as_scores("scores_b", scores_b)
    if a.size != b.size:
        raise StatsError("scores_b", f"length {b.size} differs from scores_a length {a.size}")
    if clusters is None and a.size < 2:
        raise StatsError("scores_a", "need at least 2 paired items for a standard error")
    return _paired(mean_score(a - b, clusters=clusters, level=level))


def paired_difference_from_stat(diff: MeanStat, *, level: float = 0.95) -> PairedDiff:
    """``paired_difference`` for independent items from sufficient statistics of d_i = a_i − b_i.

    ``diff`` holds (n, Σd, Σd²), which a selector can aggregate in SQL over paired rows.
    """
    return _paired(mean_score_from_stat(diff, level=level))


def _paired(estimate: ScoreEstimate) -> PairedDiff:
    mean, se = estimate.mean, estimate.se
    if not se > 0:
        # Every item moved by the same amount: a t test would call any difference certain (p = 0).
        raise StatsError("a", "the per-item differences do not vary: not enough data to test them")
    statistic = mean / se
    p_value = float(min(1.0, 2.0 * stats.t.sf(abs(statistic), estimate.df)))
    return PairedDiff(
        mean, se, estimate.lower, estimate.upper, statistic, p_value,
        estimate.n, estimate.n_clusters, estimate.df, estimate.level,
    )


def _as_passes(field: str, values: Sequence[bool | int] | np.ndarray) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1 or array.size == 0:
        raise StatsError(field, "must be a non-empty one-dimensional sequence of pass/fail values")
    if array.dtype != bool:
        try:
            numeric = array.astype(float)
        except (TypeError, ValueError) as exc:
            raise StatsError(field, f"must be booleans or 0/1 ({exc})") from exc
        if not np.all((numeric == 0) | (numeric == 1)):
            raise StatsError(field, "must contain only booleans or 0/1")
        array = numeric == 1
    return array


def mcnemar(
    pass_a: Sequence[bool | int] | np.ndarray,
    pass_b: Sequence[bool | int] | np.ndarray,
    *,
    exact: bool | None = None,
) -> McNemarResult:
    """McNemar's test that two variants have the same pass rate on the same items.

    Only discordant items carry information: b = #(A pass, B fail), c = #(A fail, B pass).
    Exact: p = min(1, 2 · BinomCDF(min(b, c); b + c, ½)). Asymptotic, with Edwards' continuity
    correction: χ² = (|b − c| − 1)² / (b + c), p = P(χ²₁ > χ²) (McNemar 1947, Psychometrika
    12:153-157; Edwards 1948). ``exact=None`` picks the exact test when b + c < 25.
    With no discordant items there is no evidence either way: statistic 0, p = 1.
    """
    a = _as_passes("pass_a", pass_a)
    b_pass = _as_passes("pass_b", pass_b)
    if a.size != b_pass.size:
        raise StatsError("pass_b", f"length {b_pass.size} differs from pass_a length {a.size}")
    b = int(np.count_nonzero(a & ~b_pass))
    c = int(np.count_nonzero(~a & b_pass))
    return mcnemar_from_counts(b, c, n=int(a.size), exact=exact)


def mcnemar_from_counts(b: int, c: int, *, n: int | None = None, exact: bool | None = None) -> McNemarResult:
    """``mcnemar`` from the discordant counts alone (see there for the formulas).

    b = #(A pass, B fail), c = #(A fail, B pass); ``n`` (all paired items, default b + c) is carried
    into the result for display only — concordant items do not enter the test.
    """
    for field, value in (("b", b), ("c", c)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise StatsError(field, f"must be a non-negative integer, got {value!r}")
    b, c = int(b), int(c)
    discordant = b + c
    total = discordant if n is None else n
    if total < discordant:
        raise StatsError("n", f"must be at least b + c = {discordant}, got {total}")
    use_exact = discordant < _EXACT_MCNEMAR_BELOW if exact is None else exact
    if discordant == 0:
        return McNemarResult(b, c, total, 0.0, 1.0, use_exact)
    if use_exact:
        statistic = float(min(b, c))
        p_value = min(1.0, 2.0 * float(stats.binom.cdf(min(b, c), discordant, 0.5)))
    else:
        statistic = (abs(b - c) - 1.0) ** 2 / discordant
        p_value = float(stats.chi2.sf(statistic, 1))
    return McNemarResult(b, c, total, statistic, p_value, use_exact)


def _check_positive(field: str, value: float) -> None:
    if not (math.isfinite(value) and value > 0):
        raise StatsError(field, f"must be a positive finite number, got {value!r}")


def items_for_ci_width(
    sd: float, width: float, *, level: float = 0.95, design_effect: float = 1.0
) -> int:
    """Items needed for a confidence interval of total width ``width`` (upper − lower).

    n = ⌈(2 · z_{(1+level)/2} · sd / width)² · deff⌉, from width = 2 z sd √(deff / n); deff is the
    design effect of clustering, 1 + (m − 1)·ICC for clusters of size m (Kish 1965, Survey
    Sampling). The normal quantile makes this a slight underestimate for very small n.
    """
    _check_positive("sd", sd)
    _check_positive("width", width)
    _check_positive("design_effect", design_effect)
    check_level(level)
    z = float(stats.norm.ppf(0.5 + level / 2.0))
    # Round before ceil so an exact integer answer is not bumped up by floating-point noise.
    return max(1, math.ceil(round((2.0 * z * sd / width) ** 2 * design_effect, 9)))


def items_for_power(
    sd_diff: float,
    effect: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    design_effect: float = 1.0,
) -> int:
    """Items needed for a paired comparison to detect a mean difference ``effect`` (two-sided).

    n = ⌈((z_{1−α/2} + z_power) · sd_diff / |effect|)² · deff⌉ with sd_diff the SD of the per-item
    differences (Chow, Shao & Wang 2008, Sample Size Calculations in Clinical Research, ch. 3,
    one-sample/paired design, normal approximation).
    Pairing shows up here: sd_diff² = sd_a² + sd_b² − 2ρ sd_a sd_b is small when items are
    strongly correlated across variants.
    """
    _check_positive("sd_diff", sd_diff)
    if not (math.isfinite(effect) and effect != 0):
        raise StatsError("effect", f"must be a non-zero finite number, got {effect!r}")
    if not (0.0 < alpha < 1.0):
        raise StatsError("alpha", f"must be strictly between 0 and 1, got {alpha!r}")
    if not (0.0 < power < 1.0):
        raise StatsError("power", f"must be strictly between 0 and 1, got {power!r}")
    _check_positive("design_effect", design_effect)
    z = float(stats.norm.ppf(1.0 - alpha / 2.0) + stats.norm.ppf(power))
    return max(2, math.ceil(round((z * sd_diff / abs(effect)) ** 2 * design_effect, 9)))
