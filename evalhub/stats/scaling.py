"""Cost–quality frontier and the test-time-compute vs post-training comparison.

The leadership question: does the next dollar buy more quality as test-time compute (sampling more,
thinking longer) or as post-training? ``fit_log_compute`` fits the base variant's score against
log(compute) — the roughly log-linear test-time scaling reported by Snell et al. 2024 ("Scaling LLM
Test-Time Compute Optimally can be More Effective than Scaling Model Parameters", arXiv:2408.03314)
and Brown et al. 2024 ("Large Language Monkeys", arXiv:2407.21787) — and ``compute_equivalent_gain``
converts a post-trained variant's score into "the base variant would need m× the test-time compute
to match it", the compute-equivalent gain of Davidson et al. 2023 ("AI capabilities can be
significantly improved without expensive retraining", arXiv:2312.07413).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats

from evalhub.stats._base import StatsError, check_finite, check_level

__all__ = [
    "FrontierResult",
    "GainResult",
    "LogFit",
    "Point",
    "Prediction",
    "compute_equivalent_gain",
    "fit_log_compute",
    "pareto_frontier",
    "point_estimate_frontier",
]

# Costs from a price table are often equal up to float noise (0.1 + 0.2 vs 0.3); such values are
# treated as ties rather than as one variant being cheaper.
_REL_TOL = 1e-9
_ABS_TOL = 1e-12

SLOPE_NOT_DISTINGUISHABLE = "slope not distinguishable from zero"


@dataclass(frozen=True)
class Point:
    """One variant on a cost–quality (or latency–quality) plane.

    ``cost`` is any non-negative "lower is better" axis (dollars per task, p50 latency, tokens);
    ``quality`` is "higher is better". Interval bounds left as ``None`` mean the value is known
    exactly (a list price, say) and are treated as a zero-width interval.
    """

    name: str
    cost: float
    quality: float
    cost_lower: float | None = None
    cost_upper: float | None = None
    quality_lower: float | None = None
    quality_upper: float | None = None

    def __post_init__(self) -> None:
        if not self.name:
            raise StatsError("name", "must not be empty")
        check_finite("cost", self.cost)
        if self.cost < 0:
            raise StatsError("cost", f"must be non-negative, got {self.cost!r}")
        check_finite("quality", self.quality)
        lo, hi = self.cost_interval
        if lo < 0:
            raise StatsError("cost_lower", f"must be non-negative, got {lo!r}")
        for field, value in (("cost_lower", lo), ("cost_upper", hi)):
            check_finite(field, value)
        if not lo <= self.cost <= hi:
            raise StatsError("cost_lower", f"interval [{lo}, {hi}] must contain cost {self.cost}")
        qlo, qhi = self.quality_interval
        for field, value in (("quality_lower", qlo), ("quality_upper", qhi)):
            check_finite(field, value)
        if not qlo <= self.quality <= qhi:
            raise StatsError("quality_lower", f"interval [{qlo}, {qhi}] must contain quality {self.quality}")

    @property
    def cost_interval(self) -> tuple[float, float]:
        lo = self.cost if self.cost_lower is None else self.cost_lower
        hi = self.cost if self.cost_upper is None else self.cost_upper
        return lo, hi

    @property
    def quality_interval(self) -> tuple[float, float]:
        lo = self.quality if self.quality_lower is None else self.quality_lower
        hi = self.quality if self.quality_upper is None else self.quality_upper
        return lo, hi


@dataclass(frozen=True)
class FrontierResult:
    """Non-dominated variants sorted by cost, and for each dominated variant one that dominates it.

    ``rule`` is ``"ci"`` for ``pareto_frontier`` and ``"point"`` for ``point_estimate_frontier``.
    """

    frontier: tuple[str, ...]
    dominated_by: dict[str, str]
    rule: Literal["ci", "point"]


def _close(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.abs(x - y) <= np.maximum(_REL_TOL * np.maximum(np.abs(x), np.abs(y)), _ABS_TOL)


def _validated(points: Sequence[Point]) -> list[Point]:
    pts = list(points)
    if not pts:
        raise StatsError("points", "must not be empty")
    for p in pts:
        if not isinstance(p, Point):
            raise StatsError("points", f"items must be Point, got {type(p).__name__}")
    names = [p.name for p in pts]
    if len(set(names)) != len(names):
        raise StatsError("points", "names must be unique")
    return pts


def _frontier(pts: list[Point], dominates: np.ndarray, rule: Literal["ci", "point"]) -> FrontierResult:
    # dominates[i, j]: point i dominates point j.
    dominated = dominates.any(axis=0)
    quality = np.array([p.quality for p in pts])
    cost = np.array([p.cost for p in pts])
    dominated_by: dict[str, str] = {}
    for j in np.flatnonzero(dominated):
        # Prefer a dominator that is itself on the frontier, then the best and cheapest one, so the
        # answer points the reader at a variant they could actually switch to.
        candidates = np.flatnonzero(dominates[:, j])
        best = min(candidates, key=lambda i: (bool(dominated[i]), -quality[i], cost[i], pts[i].name))
        dominated_by[pts[j].name] = pts[best].name
    on_frontier = sorted(np.flatnonzero(~dominated), key=lambda i: (cost[i], -quality[i], pts[i].name))
    return FrontierResult(tuple(pts[i].name for i in on_frontier), dominated_by, rule)


def pareto_frontier(points: Sequence[Point]) -> FrontierResult:
    """Pareto frontier that only calls a variant dominated when the intervals say so.

    Rule, per axis (cost: lower is better; quality: higher is better), for candidates A and B:

    * A is *better* than B when their intervals are separated in A's favour:
      cost: A.cost_upper < B.cost_lower; quality: A.quality_lower > B.quality_upper.
    * A is *no worse* than B when A is better, or the intervals just touch
      (A.cost_upper = B.cost_lower), or the point values are equal (e.g. both priced from the same
      list price) — all "equal" comparisons within a relative tolerance of 1e-9.

    A dominates B when A is no worse on both axes and better on at least one. Overlapping intervals
    are therefore never evidence of dominance, so a variant leaves the frontier only when another is
    demonstrably at least as cheap and as good and demonstrably better on one axis. This is the
    interval-dominance order used for imprecise multi-objective comparisons (e.g. Limbourg 2005,
    "Multi-objective optimization of problems with epistemic uncertainty", EMO). With zero-width
    intervals it reduces to ``point_estimate_frontier``. Each dominated variant is reported with a
    variant that dominates it directly (preferring one on the frontier).
    """
    pts = _validated(points)
    c_lo, c_hi = np.array([p.cost_interval for p in pts]).T
    q_lo, q_hi = np.array([p.quality_interval for p in pts]).T
    cost = np.array([p.cost for p in pts])
    quality = np.array([p.quality for p in pts])
    # Row i is candidate dominator A, column j is B.
    a_chi, b_clo = c_hi[:, None], c_lo[None, :]
    a_qlo, b_qhi = q_lo[:, None], q_hi[None, :]
    cost_tie = _close(cost[:, None], cost[None, :])
    quality_tie = _close(quality[:, None], quality[None, :])
    touch_cost = _close(a_chi, b_clo)
    touch_quality = _close(a_qlo, b_qhi)
    cheaper = (a_chi < b_clo) & ~touch_cost
    higher = (a_qlo > b_qhi) & ~touch_quality
    no_worse_cost = cheaper | touch_cost | cost_tie
    no_worse_quality = higher | touch_quality | quality_tie
    dominates = no_worse_cost & no_worse_quality & (cheaper | higher)
    np.fill_diagonal(dominates, False)
    return _frontier(pts, dominates, "ci")


def point_estimate_frontier(points: Sequence[Point]) -> FrontierResult:
    """Plain Pareto frontier on the point estimates, ignoring intervals (for comparison).

    A dominates B when A.cost ≤ B.cost and A.quality ≥ B.quality with at least one strict
    (ties within a relative tolerance of 1e-9). Exact duplicates dominate neither each other.
    """
    pts = _validated(points)
    cost = np.array([p.cost for p in pts])
    quality = np.array([p.quality for p in pts])
    cost_tie = _close(cost[:, None], cost[None, :])
    quality_tie = _close(quality[:, None], quality[None, :])
    cheaper = (cost[:, None] < cost[None, :]) & ~cost_tie
    higher = (quality[:, None] > quality[None, :]) & ~quality_tie
    dominates = (cheaper | cost_tie) & (higher | quality_tie) & (cheaper | higher)
    np.fill_diagonal(dominates, False)
    return _frontier(pts, dominates, "point")


@dataclass(frozen=True)
class Prediction:
    """The fitted mean score at one compute level, with a t confidence interval."""

    compute: float
    score: float
    se: float
    lower: float
    upper: float
    level: float


@dataclass(frozen=True)
class LogFit:
    """score ≈ a + b·log(compute), with the estimates' covariance and t(df) intervals.

    ``var_a``, ``var_b`` and ``cov_ab`` are the (scaled) covariance of (a, b); ``df`` = n − 2.
    """

    a: float
    b: float
    var_a: float
    var_b: float
    cov_ab: float
    df: int
    n: int
    level: float
    weighted: bool

    def __post_init__(self) -> None:
        for name in ("a", "b", "var_a", "var_b", "cov_ab"):
            check_finite(name, getattr(self, name))
        for name in ("var_a", "var_b"):
            if getattr(self, name) < 0:
                raise StatsError(name, f"must be non-negative, got {getattr(self, name)!r}")
        if self.df < 1:
            raise StatsError("df", f"must be at least 1, got {self.df}")
        check_level(self.level)

    @property
    def se_a(self) -> float:
        return math.sqrt(self.var_a)

    @property
    def se_b(self) -> float:
        return math.sqrt(self.var_b)

    def _t(self, level: float) -> float:
        return float(stats.t.ppf(0.5 + level / 2.0, self.df))

    @property
    def a_interval(self) -> tuple[float, float]:
        half = self._t(self.level) * self.se_a
        return self.a - half, self.a + half

    @property
    def b_interval(self) -> tuple[float, float]:
        half = self._t(self.level) * self.se_b
        return self.b - half, self.b + half

    def slope_distinguishable(self, level: float | None = None) -> bool:
        """Whether the two-sided ``level`` interval for b lies entirely above zero."""
        level = self.level if level is None else level
        check_level(level)
        return self.b - self._t(level) * self.se_b > 0

    def prediction_se(self, log_compute: float) -> float:
        """SE of a + b·x at x = log(compute): √(var_a + 2x·cov_ab + x²·var_b)."""
        x = log_compute
        return math.sqrt(max(0.0, self.var_a + 2.0 * x * self.cov_ab + x * x * self.var_b))

    def predict(self, compute: float) -> Prediction:
        """Fitted mean score at ``compute`` with a t(df) confidence interval for the mean."""
        if not (math.isfinite(compute) and compute > 0):
            raise StatsError("compute", f"must be positive and finite, got {compute!r}")
        x = math.log(compute)
        score = self.a + self.b * x
        se = self.prediction_se(x)
        half = self._t(self.level) * se
        return Prediction(compute, score, se, score - half, score + half, self.level)

    def inverse(self, score: float) -> float:
        """Compute at which the fitted line reaches ``score``: exp((score − a) / b).

        Returns ``inf`` when that overflows; raises ``StatsError`` when b ≤ 0 (more compute never
        raises the fitted score, so there is no such compute level).
        """
        check_finite("score", score)
        if self.b <= 0:
            raise StatsError("b", f"fitted slope is {self.b:.3g} ≤ 0: no compute level reaches the score")
        return _exp((score - self.a) / self.b)


def _exp(x: float) -> float:
    # math.exp raises OverflowError past ~709; a compute multiple that large is "unbounded".
    return math.inf if x > 709.0 else math.exp(x)


def _as_vector(field: str, values: Sequence[float] | np.ndarray) -> np.ndarray:
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise StatsError(field, f"must be numbers ({exc})") from exc
    if array.ndim != 1 or array.size == 0:
        raise StatsError(field, "must be a non-empty one-dimensional sequence")
    if not np.all(np.isfinite(array)):
        raise StatsError(field, "contains NaN or infinite values")
    return array


def fit_log_compute(
    compute: Sequence[float] | np.ndarray,
    score: Sequence[float] | np.ndarray,
    *,
    score_se: Sequence[float] | np.ndarray | None = None,
    level: float = 0.95,
) -> LogFit:
    """Fit score = a + b·log(compute) by least squares, weighted by 1/score_se² when given.

    With X = [1, log c] and W = diag(w) (w = 1 or 1/se²): θ̂ = (XᵀWX)⁻¹XᵀWy,
    σ̂² = Σ w_i e_i² / (n − 2), Cov(θ̂) = σ̂²(XᵀWX)⁻¹, intervals t(n − 2). This is statsmodels
    ``WLS(y, X, weights=w)`` / ``OLS``: the SEs set relative weights and the residual scatter sets
    the scale, so lack of fit (curvature the log-linear model misses) widens the intervals instead
    of hiding behind small per-point SEs (Weisberg 2005, Applied Linear Regression, ch. 7).
    """
    check_level(level)
    c = _as_vector("compute", compute)
    y = _as_vector("score", score)
    if y.size != c.size:
        raise StatsError("score", f"length {y.size} differs from compute length {c.size}")
    if np.any(c <= 0):
        raise StatsError("compute", "must be positive (the fit uses log(compute))")
    if c.size < 3:
        raise StatsError("compute", f"need at least 3 points to estimate a line and its error, got {c.size}")
    if np.unique(c).size < 2:
        raise StatsError("compute", "need at least 2 distinct compute levels")
    if score_se is None:
        w = np.ones_like(y)
    else:
        se = _as_vector("score_se", score_se)
        if se.size != y.size:
            raise StatsError("score_se", f"length {se.size} differs from score length {y.size}")
        if np.any(se <= 0):
            raise StatsError("score_se", "must be positive")
        w = 1.0 / se**2

    x = np.log(c)
    design = np.column_stack([np.ones_like(x), x])
    root_w = np.sqrt(w)
    theta, *_ = np.linalg.lstsq(design * root_w[:, None], y * root_w, rcond=None)
    resid = y - design @ theta
    df = c.size - 2
    scale = float(np.sum(w * resid**2)) / df
    try:
        cov = scale * np.linalg.inv(design.T @ (design * w[:, None]))
    except np.linalg.LinAlgError:  # e.g. a point with a (near-)zero standard error outweighs the rest
        raise StatsError("score_se", "the weighted points do not determine a line (a standard error near 0?)") from None
    return LogFit(
        a=float(theta[0]), b=float(theta[1]),
        var_a=float(cov[0, 0]), var_b=float(cov[1, 1]), cov_ab=float(cov[0, 1]),
        df=df, n=int(c.size), level=level, weighted=score_se is not None,
    )


@dataclass(frozen=True)
class GainResult:
    """Compute-equivalent gain of a post-trained variant over the base variant's scaling curve.

    ``multiple``: the base variant needs ``multiple`` × ``base_compute`` test-time compute to match
    the post-trained score (below 1 when the post-trained variant is worse than the base at
    ``base_compute``). ``lower``/``upper``: percentile interval from parametric simulation;
    ``upper`` is ``inf`` when the slope is not distinguishable from zero. ``log_multiple_se``: the
    delta-method SE of log(multiple), ``inf`` when b ≤ 0. ``note`` explains an unbounded result.
    """

    multiple: float
    lower: float
    upper: float
    log_multiple_se: float
    slope_distinguishable: bool
    note: str | None
    base_compute: float
    level: float
    draws: int


def compute_equivalent_gain(
    fit: LogFit,
    post_trained_score: float,
    post_trained_se: float,
    *,
    base_compute: float = 1.0,
    level: float = 0.95,
    draws: int = 4000,
    seed: int = 0,
) -> GainResult:
    """How many times more test-time compute the base variant needs to match a post-trained one.

    Solve a + b·log(c₀·m) = s_post for m:  m = exp((s_post − a)/b) / c₀, c₀ = ``base_compute``.

    Interval (primary): parametric simulation. Draw (a, b) from a bivariate t(df) centred on the
    fit with its covariance (the sampling distribution of a least-squares fit with estimated scale)
    and s_post from N(s_post, post_trained_se²), map each draw to log m, and take the
    (1 ± level)/2 quantiles. Draws with b ≤ 0 map to m = ∞ (extra compute never catches up),
    which is what makes the interval honest when the slope is weak: m is a ratio with b in the
    denominator, and a symmetric delta-method interval around log m would be finite even when b
    could be 0 (Fieller 1954, JRSS B 16:175-185, on ratios whose denominator may vanish).
    When the fit's ``level`` interval for b includes 0 the upper bound is set to ∞ outright and
    ``note`` says "slope not distinguishable from zero", so the flag does not depend on the seed.

    Secondary: ``log_multiple_se`` by the delta method,
    Var(log m) ≈ (post_trained_se² + Var(a + b·x*)) / b² with x* = (s_post − a)/b = log(c₀·m),
    which agrees with the simulation when b is well determined (checked in the tests).
    """
    check_level(level)
    check_finite("post_trained_score", post_trained_score)
    if not (math.isfinite(post_trained_se) and post_trained_se >= 0):
        raise StatsError("post_trained_se", f"must be a non-negative finite number, got {post_trained_se!r}")
    if not (math.isfinite(base_compute) and base_compute > 0):
        raise StatsError("base_compute", f"must be positive and finite, got {base_compute!r}")
    if draws < 100:
        raise StatsError("draws", f"need at least 100 simulation draws, got {draws}")

    log_c0 = math.log(base_compute)
    distinguishable = fit.slope_distinguishable(level)
    if fit.b > 0:
        x_star = (post_trained_score - fit.a) / fit.b
        multiple = _exp(x_star - log_c0)
        log_se = math.sqrt(post_trained_se**2 + fit.prediction_se(x_star) ** 2) / fit.b
    else:
        multiple, log_se = math.inf, math.inf

    rng = np.random.default_rng(seed)
    cov = np.array([[fit.var_a, fit.cov_ab], [fit.cov_ab, fit.var_b]])
    normal = rng.multivariate_normal(np.zeros(2), cov, size=draws, method="eigh")
    # Dividing a normal draw by √(χ²_df / df) gives the multivariate t of (θ̂ − θ) when the scale
    # is estimated from df residual degrees of freedom.
    shrink = np.sqrt(rng.chisquare(fit.df, size=draws) / fit.df)
    a_draw = fit.a + normal[:, 0] / shrink
    b_draw = fit.b + normal[:, 1] / shrink
    s_draw = post_trained_score + post_trained_se * rng.standard_normal(draws)
    log_m = np.full(draws, np.inf)
    positive = b_draw > 0
    log_m[positive] = (s_draw[positive] - a_draw[positive]) / b_draw[positive] - log_c0
    q_lo, q_hi = np.quantile(log_m, [0.5 - level / 2.0, 0.5 + level / 2.0], method="inverted_cdf")
    lower = _exp(float(q_lo))
    upper = _exp(float(q_hi)) if distinguishable else math.inf
    return GainResult(
        multiple=multiple,
        lower=lower,
        upper=upper,
        log_multiple_se=log_se,
        slope_distinguishable=distinguishable,
        note=None if distinguishable else SLOPE_NOT_DISTINGUISHABLE,
        base_compute=base_compute,
        level=level,
        draws=draws,
    )
