"""The result type every A/B comparison returns, and the helpers that fill it in.

Relative lift and its interval use the delta method for a ratio of two independent means
(Deng, Knoblich & Lu 2018, "Applying the Delta Method in Metric Analytics"; Kohavi, Tang &
Xu 2020, "Trustworthy Online Controlled Experiments", ch. 18)::

    r = T/C - 1,    Var(r) ≈ Var(T)/C² + T²·Var(C)/C⁴

where ``Var(T)`` and ``Var(C)`` are the variances of the two arm estimates (not of single units).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from scipy import special

from evalhub.stats._base import StatsError


@dataclass(frozen=True)
class Comparison:
    """Treatment versus control on one metric.

    ``lift`` is ``treatment - control``; ``relative_lift`` is ``treatment / control - 1`` (NaN,
    with a NaN interval, when the control value is 0). ``significant`` is ``p_value < alpha``.
    ``sequential`` marks always-valid results that may be read at any time; fixed-horizon results
    are only valid at the planned sample size. ``variance_reduction`` is set by CUPED: the share of
    the lift's variance removed by the pre-period covariate.
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


def normal_p(z: float) -> float:
    """Two-sided normal p-value 2·Φ(-|z|), via ``special.ndtr`` (what ``scipy.stats.norm.sf``
    calls, without its per-call overhead: this keeps each comparison in microseconds)."""
    return float(2.0 * special.ndtr(-abs(z)))


def normal_crit(alpha: float) -> float:
    """z_{1-α/2}."""
    return float(special.ndtri(1.0 - alpha / 2.0))


def check_alpha(alpha: float) -> None:
    if not (0.0 < alpha < 1.0):
        raise StatsError("alpha", f"must be within (0, 1), got {alpha!r}")


def build_comparison(
    *,
    control: float,
    treatment: float,
    var_control: float,
    var_treatment: float,
    half_width: Callable[[float], float],
    p_value: float,
    alpha: float,
    method: str,
    n_control: int,
    n_treatment: int,
    metric: str | None,
    sequential: bool = False,
    variance_reduction: float | None = None,
) -> Comparison:
    """Assemble a Comparison from the two arm estimates and their sampling variances.

    ``half_width(v)`` turns the variance of an estimate into the half width of its interval
    (``crit·√v`` for fixed-horizon tests, the confidence-sequence radius for sequential ones);
    the same rule is applied to the absolute and (delta-method) relative lift.
    """
    lift = treatment - control
    h = half_width(var_control + var_treatment)
    if control != 0.0:
        rel = treatment / control - 1.0
        # Var(T)/C² + T²·Var(C)/C⁴ as a sum of squared SE ratios: no C⁴ underflow or ** overflow.
        a = math.sqrt(var_treatment) / abs(control)
        b = abs(treatment) / abs(control) * math.sqrt(var_control) / abs(control)
        var_rel = a * a + b * b
        h_rel = half_width(var_rel)
        rel_ci = (rel - h_rel, rel + h_rel)
    else:
        rel, rel_ci = math.nan, (math.nan, math.nan)
    p = min(1.0, max(0.0, float(p_value)))
    return Comparison(
        control=float(control),
        treatment=float(treatment),
        lift=float(lift),
        lift_ci=(float(lift - h), float(lift + h)),
        relative_lift=float(rel),
        relative_lift_ci=(float(rel_ci[0]), float(rel_ci[1])),
        p_value=p,
        alpha=alpha,
        significant=p < alpha,
        method=method,
        n_control=int(n_control),
        n_treatment=int(n_treatment),
        metric=metric,
        sequential=sequential,
        variance_reduction=variance_reduction,
    )
