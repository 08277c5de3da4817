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

import numpy as np
from scipy import stats

from evalhub.stats._base import MeanStat, StatsError

__all__ = [
    "McNemarResult",
    "PairedDiff",
    "ScoreEstimate",
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
    """A mean score with its standard error and a two-sided t confidence interval.

    ``df`` is n − 1, or G − 1 with G clusters; ``n_clusters`` is ``None`` for independent items.
    """

    mean: float
    se: float
    lower: float
    upper: float
    n: int
    n_clusters: int | None
    df: int
    level: float


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


def _check_level(level: float) -> None:
    if not (0.0 < level < 1.0):
        raise StatsError("level", f"must be strictly between 0 and 1, got {level!r}")


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


def mean_score(
    scores: Sequence[float] | np.ndarray,
    *,
    clusters: Sequence[Hashable] | np.ndarray | None = None,
    level: float = 0.95,
) -> ScoreEstimate:
    """Mean item score with a t confidence interval.

    Independent items: se = s / √n with s the sample SD (ddof = 1), df = n − 1 — the one-sample t
    interval (scipy.stats.ttest_1samp(...).confidence_interval).
    Clustered items (G clusters, residuals e_i = x_i − x̄): the CR1 / Liang–Zeger sandwich for a
    regression on a constant, se² = G/(G − 1) · Σ_g (Σ_{i∈g} e_i)² / n², with df = G − 1
    (Liang & Zeger 1986, Biometrika 73:13-22; Cameron & Miller 2015, "A Practitioner's Guide to
    Cluster-Robust Inference", J. Human Resources 50:317-372, who recommend the t(G − 1)).
    This equals statsmodels ``OLS(x, 1).fit(cov_type="cluster", use_t=True)``.
    """
    _check_level(level)
    x = _as_scores("scores", scores)
    n = x.size
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
    lower, upper = _t_interval(mean, se, df, level)
    return ScoreEstimate(mean, se, lower, upper, n, n_clusters, df, level)


def mean_score_from_stat(stat: MeanStat, *, level: float = 0.95) -> ScoreEstimate:
    """``mean_score`` for independent items from sufficient statistics (n, Σx, Σx²).

    se = √(s² / n) with s² = (Σx² − (Σx)²/n) / (n − 1); t interval with n − 1 df. Lets a selector
    aggregate in SQL and never ship per-item rows.
    """
    _check_level(level)
    if stat.n < 2:
        raise StatsError("n", f"need at least 2 items for a standard error, got {stat.n}")
    se = math.sqrt(stat.variance / stat.n)
    lower, upper = _t_interval(stat.mean, se, stat.n - 1, level)
    return ScoreEstimate(stat.mean, se, lower, upper, stat.n, None, stat.n - 1, level)


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
    _check_level(level)
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
