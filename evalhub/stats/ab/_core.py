"""The result type every A/B comparison returns, and the helpers that fill it in.

**One scale.** A comparison is tested on the scale the product shows: by default the relative
lift (T − C)/|C|, as GrowthBook does; ``scale="absolute"`` tests T − C. Its p-value, interval
and ``significant`` all come from the same estimate, standard error and reference distribution,
so ``significant`` holds exactly when the interval on that scale excludes 0 — a verdict can
never contradict the interval printed beside it. Both lifts and both standard errors are always
reported; only one of them carries the inference (``ABResult.scale``).

Relative lift and its variance by the delta method for a ratio of two independent means
(Deng, Knoblich & Lu 2018, "Applying the Delta Method in Metric Analytics"; GrowthBook's
``frequentist_variance``)::

    r = (T − C)/|C|,    Var(r) ≈ Var(T)/C² + T²·Var(C)/C⁴

where ``Var(T)`` and ``Var(C)`` are the variances of the two arm estimates (not of single units).
Dividing by |C| rather than C keeps the sign of r the sign of T − C when the control is negative.

**Relative scale needs a well-measured control.** By Fieller's theorem the interval of a ratio is
unbounded once the denominator's own 1 − α interval contains 0 (|C| < z_{1−α/2}·SE(C)), and long
before that the delta method's normal approximation fails: the ratio is skewed. Simulated A/A tests
(``bench/stats_calibration.py``) put the relative interval's false-positive rate at 9–13% when
|C|/SE(C) was 2–8 (conversions at 5% with 100 units per arm; log-normal means with up to 100
units), and at 4.5–5.5% once |C|/SE(C) ≥ 10 — the control mean known to ±10%. Below
``MIN_CONTROL_T`` = 10 (and when C = 0) the comparison is tested on the absolute scale instead, whose
t test stays calibrated there, and says so in ``warnings``.

**Not enough data.** When the data cannot support a test — fewer than two units in an arm, an arm
with zero variance, a zero standard error — the result has ``enough_data == False``, a reason in
``not_enough_data``, p = 1, ``significant == False`` and NaN intervals: an explicit refusal that
pages show as "not enough data", never p = 0 and a zero-width interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal

from scipy import special

from evalhub.stats._base import StatsError

Scale = Literal["relative", "absolute"]
Alternative = Literal["two-sided", "greater", "less"]
SCALES = ("relative", "absolute")
ALTERNATIVES = ("two-sided", "greater", "less")
_NAN2 = (math.nan, math.nan)
MIN_CONTROL_T = 10.0  # |C|/SE(C) needed for inference on the relative scale (module docstring)


def relative_problem(control: float, var_control: float) -> str | None:
    """Why the relative lift cannot carry inference for this control estimate, or None."""
    if control == 0.0:
        return "control is 0: relative lift undefined, tested on the absolute scale"
    if abs(control) < MIN_CONTROL_T * math.sqrt(var_control):
        pct = 100.0 * math.sqrt(var_control) / abs(control)
        return (f"control known only to ±{pct:.0f}% (1 SE): too uncertain for a relative interval (delta "
                "method), tested on the absolute scale")
    return None


@dataclass(frozen=True)
class ABResult:
    """Treatment versus control on one metric.

    ``lift`` is ``treatment - control``; ``relative_lift`` is ``(treatment - control)/|control|``
    (NaN, with a NaN interval, when the control value is 0). ``lift_se`` / ``relative_lift_se`` are
    their standard errors. ``scale`` says which of the two the p-value, ``significant`` and the
    decision use; ``effect``, ``ci`` and ``se`` return that one. ``alternative`` is the test's
    direction ("greater": treatment > control; intervals are then one-sided, with an infinite end).
    ``sequential`` marks always-valid results that may be read at any time; fixed-horizon results
    are only valid at the planned sample size. ``variance_reduction`` is set by CUPED: the share of
    the lift's variance removed by the pre-period covariate. ``not_enough_data`` holds the reason
    the data cannot support a test (then p = 1, not significant, NaN intervals); ``warnings``
    holds caveats of a valid result (e.g. a fallback to the absolute scale).
    """

    control: float
    treatment: float
    lift: float
    lift_ci: tuple[float, float]
    relative_lift: float
    relative_lift_ci: tuple[float, float]
    p_value: float
    alpha: float
    significant: bool
    method: str
    n_control: int
    n_treatment: int
    metric: str | None = None
    sequential: bool = False
    variance_reduction: float | None = None
    scale: Scale = "absolute"
    alternative: Alternative = "two-sided"
    lift_se: float = math.nan
    relative_lift_se: float = math.nan
    not_enough_data: str | None = None
    warnings: tuple[str, ...] = ()

    @property
    def enough_data(self) -> bool:
        return self.not_enough_data is None

    @property
    def effect(self) -> float:
        """The estimate on the inference scale."""
        return self.relative_lift if self.scale == "relative" else self.lift

    @property
    def ci(self) -> tuple[float, float]:
        return self.relative_lift_ci if self.scale == "relative" else self.lift_ci

    @property
    def se(self) -> float:
        return self.relative_lift_se if self.scale == "relative" else self.lift_se


def normal_crit(alpha: float) -> float:
    """z_{1-α/2}."""
    return float(special.ndtri(1.0 - alpha / 2.0))


def check_alpha(alpha: float) -> None:
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not (0.0 < alpha < 1.0):
        raise StatsError("alpha", f"must be within (0, 1), got {alpha!r}")


def check_scale(scale: str) -> None:
    if scale not in SCALES:
        raise StatsError("scale", f"must be 'relative' or 'absolute', got {scale!r}")


def check_alternative(alternative: str) -> None:
    if alternative not in ALTERNATIVES:
        raise StatsError("alternative", f"must be 'two-sided', 'greater' or 'less', got {alternative!r}")


def _sf(x: float, df: float | None) -> float:
    """P(X > x) for the reference distribution: Student t with ``df`` degrees of freedom, or
    the standard normal when ``df`` is None (``special.stdtr``/``ndtr`` are what scipy.stats
    evaluates, minus the per-call overhead)."""
    return float(special.ndtr(-x)) if df is None else float(special.stdtr(df, -x))


def _quantile(prob: float, df: float | None) -> float:
    """Upper ``prob`` critical value: P(X > q) = prob."""
    return float(-special.ndtri(prob)) if df is None else float(-special.stdtrit(df, prob))


def welch_df(var_c: float, n_c: int, var_t: float, n_t: int, lost: int = 1) -> float:
    """Welch–Satterthwaite ν = (v_C + v_T)² / (v_C²/(n_C−d) + v_T²/(n_T−d)), v = s²/n, d = ``lost``
    degrees of freedom per arm (1 for a mean; 2 when a slope was fitted too, as in CUPED), written
    with shares of v_C + v_T so tiny variances cannot underflow to 0 (GrowthBook's ``dof``)."""
    # The shares are scale-free: divide by the larger variance first, so denormal variances (5e-324)
    # cannot underflow to 0 when divided by n.
    scale = max(var_c, var_t) or 1.0
    v_c, v_t = var_c / scale / n_c, var_t / scale / n_t
    v = v_c + v_t
    a, b = v_c / v, v_t / v
    return 1.0 / (a * a / (n_c - lost) + b * b / (n_t - lost))


@dataclass(frozen=True)
class Spec:
    """What a comparison tests, as its result reports it: level, method, arm sizes, metric, the
    requested scale, the direction, and whether it is an always-valid (sequential) test."""

    alpha: float
    method: str
    n_control: int
    n_treatment: int
    metric: str | None = None
    scale: Scale = "relative"
    alternative: Alternative = "two-sided"
    sequential: bool = False


def not_enough(reason: str, control: float, treatment: float, spec: Spec) -> ABResult:
    """The explicit refusal: p = 1, not significant, NaN intervals and standard errors."""
    lift = treatment - control if math.isfinite(treatment - control) else math.nan
    rel = lift / abs(control) if control != 0.0 and math.isfinite(control) else math.nan
    return ABResult(
        control=float(control),
        treatment=float(treatment),
        lift=float(lift),
        lift_ci=_NAN2,
        relative_lift=float(rel),
        relative_lift_ci=_NAN2,
        p_value=1.0,
        alpha=spec.alpha,
        significant=False,
        method=spec.method,
        n_control=int(spec.n_control),
        n_treatment=int(spec.n_treatment),
        metric=spec.metric,
        sequential=spec.sequential,
        scale=spec.scale,
        alternative=spec.alternative,
        not_enough_data=reason,
    )


def _interval(est: float, se: float, alpha: float, alternative: str, crit: float) -> tuple[float, float]:
    if alternative == "greater":
        return est - crit * se, math.inf
    if alternative == "less":
        return -math.inf, est + crit * se
    return est - crit * se, est + crit * se


def _fixed_p(stat: float, df: float | None, alternative: str) -> float:
    if alternative == "greater":
        return _sf(stat, df)
    if alternative == "less":
        return _sf(-stat, df)
    return 2.0 * _sf(abs(stat), df)  # clamped to ≤ 1 by the caller, after its NaN check


def build_result(
    control: float,
    treatment: float,
    var_control: float,
    var_treatment: float,
    spec: Spec,
    *,
    df: float | None = None,
    sequential_factor: float | None = None,
    sequential_rho2n: float | None = None,
    rel_control: float | None = None,
    rel_treatment: float | None = None,
    variance_reduction: float | None = None,
) -> ABResult:
    """Assemble an ABResult from the two arm estimates and their sampling variances.

    Fixed horizon: statistic = effect/SE on the inference scale, referred to Student t with
    ``df`` degrees of freedom (normal when None); interval effect ± q·SE with the matching
    quantile (one-sided for "greater"/"less"). Sequential (``sequential_factor`` F and
    ``sequential_rho2n`` = Nρ² given): half width √(V·F) and the mixture-SPRT p-value
    min(1, √(Nρ²+1)·exp(−effect²·Nρ²/(2V(Nρ²+1)))) — see ``ab.sequential``.

    ``rel_control``/``rel_treatment`` are the unadjusted arm means the relative lift divides by
    and whose variance formula uses (CUPED reports adjusted means but, as GrowthBook, keeps the
    unadjusted control mean as the base of the relative lift).
    """
    # Callers validated alpha, scale and alternative; this runs on every comparison, so it stays
    # plain scalar arithmetic (a results page makes a dozen of these in well under a millisecond).
    sequential = sequential_factor is not None
    alpha, scale, alternative = spec.alpha, spec.scale, spec.alternative

    def refuse(reason: str) -> ABResult:
        return not_enough(reason, control, treatment, spec)

    if not (math.isfinite(control) and math.isfinite(treatment) and math.isfinite(var_control)
            and math.isfinite(var_treatment)) or var_control < 0 or var_treatment < 0:
        return refuse("the summary statistics are not finite")
    lift = treatment - control
    var_abs = var_control + var_treatment
    if var_abs <= 0.0:
        return refuse("no variation in either arm: a difference cannot be tested")
    base_c = control if rel_control is None else rel_control
    base_t = treatment if rel_treatment is None else rel_treatment
    warnings: tuple[str, ...] = ()
    if base_c != 0.0:
        abs_c = abs(base_c)
        rel = lift / abs_c
        # Var(T)/C² + T²·Var(C)/C⁴ as a sum of squared SE ratios: no C⁴ underflow or ** overflow.
        a = math.sqrt(var_treatment) / abs_c
        b = abs(base_t) / abs_c * math.sqrt(var_control) / abs_c
        var_rel = a * a + b * b
    else:
        rel, var_rel = math.nan, math.nan
    used: Scale = scale
    if scale == "relative":
        problem = relative_problem(base_c, var_control) or (
            None if var_rel > 0.0 else "relative lift has no variance: tested on the absolute scale")
        if problem:
            used = "absolute"
            warnings = (problem,)
    est, var = (rel, var_rel) if used == "relative" else (lift, var_abs)
    se_abs = math.sqrt(var_abs)
    se_rel = math.sqrt(var_rel) if var_rel == var_rel else math.nan
    if sequential:
        assert sequential_rho2n is not None and sequential_factor is not None
        root = math.sqrt(sequential_factor)
        h_abs, h_rel = root * se_abs, root * se_rel
        lift_ci = (lift - h_abs, lift + h_abs)
        rel_ci = (rel - h_rel, rel + h_rel)
        exponent = est * est * sequential_rho2n / (2.0 * var * (sequential_rho2n + 1.0))
        p_value = min(1.0, math.sqrt(sequential_rho2n + 1.0) * math.exp(-exponent))
    else:
        crit = _quantile(alpha if alternative != "two-sided" else alpha / 2.0, df)
        lift_ci = _interval(lift, se_abs, alpha, alternative, crit)
        rel_ci = _interval(rel, se_rel, alpha, alternative, crit) if se_rel == se_rel else _NAN2
        p_value = _fixed_p(est / math.sqrt(var), df, alternative)
    p_value = float(p_value)
    if p_value != p_value or lift_ci[0] != lift_ci[0]:
        # Never let a NaN become p = 0 through the clamp below (max(0.0, nan) is 0.0).
        return refuse("the test statistic is undefined for these data")
    p = min(1.0, max(0.0, p_value))
    # The labels (arms, method, sizes) as a refusal carries them, then the test's own figures.
    return replace(
        refuse(""),
        lift_ci=(float(lift_ci[0]), float(lift_ci[1])),
        relative_lift=float(rel),
        relative_lift_ci=(float(rel_ci[0]), float(rel_ci[1])) if se_rel == se_rel else _NAN2,
        p_value=p,
        significant=p < alpha,
        variance_reduction=variance_reduction,
        scale=used,
        lift_se=se_abs,
        relative_lift_se=se_rel,
        warnings=warnings,
        not_enough_data=None,
    )
