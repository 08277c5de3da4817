"""Always-valid (sequential) comparisons: read them after every day without inflating errors.

Asymptotic confidence sequence with a normal mixture (Howard, Ramdas, McAuliffe & Sekhon 2021,
"Time-uniform, nonparametric, nonasymptotic confidence sequences"; Waudby-Smith et al.,
"Time-uniform central limit theory and asymptotic confidence sequences"), as GrowthBook
implements it (docs.growthbook.io, "Sequential Testing").
With N = n_C + n_T units so far, V̂ the variance of the estimated lift, σ̂² = N·V̂ and tuning ρ::

    half width  h_N = σ̂ · √( 2(Nρ² + 1)/(N²ρ²) · log(√(Nρ² + 1)/α) )

ρ is fixed before the experiment so that the sequence is tightest at the planned total sample
n* (Howard et al. 2021, the approximately optimal choice that GrowthBook uses)::

    ρ = √( (-2·log α + log(-2·log α + 1)) / n* )

Inverting h_N(α) = |lift| at that ρ gives the always-valid p-value, which is 1/Λ_N for the
normal-mixture likelihood ratio Λ_N of the mixture SPRT (Johari, Koomen, Pekelis & Walsh 2017)::

    p_N = min(1, √(Nρ² + 1) · exp(-lift²·N·ρ² / (2·V̂·(Nρ² + 1))))

By Ville's inequality P(∃N: p_N ≤ α) ≤ α, so ``significant`` may be acted on at any look; the
running minimum of p_N over looks is valid too. The interval is always wider than the
fixed-horizon one (2·log(1/α) > z²_{1-α/2}) and shrinks like √(log N / N).
"""

from __future__ import annotations

import math

from evalhub.stats._base import MeanStat, ProportionStat, RatioStat, check_count
from evalhub.stats.ab._core import ABResult, Scale, Spec, build_result, check_alpha, check_scale, not_enough
from evalhub.stats.ab.fixed import _too_few, _zero_variance, ratio_estimate

# The confidence sequence is asymptotic (a normal approximation at every look): below 30 units per
# arm a single look over-rejected on skewed data (6.7% at α = 5% with 5 log-normal units per arm,
# ``bench/stats_calibration.py``), and early looks are where peeking happens.
MIN_SEQUENTIAL_UNITS = 30


def _rho(alpha: float, target_n: int) -> float:
    check_count("target_n", target_n, minimum=1)
    la = -2.0 * math.log(alpha)
    return math.sqrt((la + math.log(la + 1.0)) / target_n)


def _sequential(
    *,
    control: float,
    treatment: float,
    var_control: float,
    var_treatment: float,
    n_control: int,
    n_treatment: int,
    alpha: float,
    target_n: int,
    method: str,
    metric: str | None,
    scale: Scale,
    problem: str | None = None,
) -> ABResult:
    check_alpha(alpha)
    check_scale(scale)
    rho2 = _rho(alpha, target_n) ** 2
    spec = Spec(alpha, method, n_control, n_treatment, metric, scale, sequential=True)
    if problem:
        return not_enough(problem, control, treatment, spec)
    n = n_control + n_treatment
    factor = 2.0 * (n * rho2 + 1.0) / (n * rho2) * math.log(math.sqrt(n * rho2 + 1.0) / alpha)
    # σ̂·√(2(Nρ²+1)/(N²ρ²)·L) with σ̂² = N·V̂ equals √(V̂·2(Nρ²+1)/(Nρ²)·L): build_result
    # applies it to the variance of the effect on the inference scale.
    return build_result(control, treatment, var_control, var_treatment, spec, sequential_factor=factor,
                        sequential_rho2n=n * rho2)


def sequential_compare_proportions(
    control: ProportionStat,
    treatment: ProportionStat,
    *,
    alpha: float = 0.05,
    target_n: int = 5000,
    metric: str | None = None,
    scale: Scale = "relative",
) -> ABResult:
    """Always-valid difference of proportions; V̂ = p̂_C(1-p̂_C)/n_C + p̂_T(1-p̂_T)/n_T.

    ``target_n`` is n*, the planned total units over both arms (GrowthBook's default is 5000);
    set it from the power calculation before the experiment starts, never from the data.
    Every sequential test needs ``MIN_SEQUENTIAL_UNITS`` per arm ("not enough data" before).
    """
    pc, pt = control.p, treatment.p
    return _sequential(
        control=pc,
        treatment=pt,
        var_control=pc * (1.0 - pc) / control.n,
        var_treatment=pt * (1.0 - pt) / treatment.n,
        n_control=control.n,
        n_treatment=treatment.n,
        alpha=alpha,
        target_n=target_n,
        method="sequential proportions (asymptotic confidence sequence)",
        metric=metric,
        scale=scale,
        problem=_too_few(control.n, treatment.n, MIN_SEQUENTIAL_UNITS),
    )


def sequential_compare_means(
    control: MeanStat,
    treatment: MeanStat,
    *,
    alpha: float = 0.05,
    target_n: int = 5000,
    metric: str | None = None,
    scale: Scale = "relative",
) -> ABResult:
    """Always-valid difference of means; V̂ = s_C²/n_C + s_T²/n_T (unpooled, as Welch).

    ``target_n`` as in ``sequential_compare_proportions``. Not enough data as in
    ``compare_means`` (fewer than 2 units or zero variance in an arm).
    """
    return _sequential(
        control=control.mean,
        treatment=treatment.mean,
        var_control=control.variance / control.n,
        var_treatment=treatment.variance / treatment.n,
        n_control=control.n,
        n_treatment=treatment.n,
        alpha=alpha,
        target_n=target_n,
        method="sequential means (asymptotic confidence sequence)",
        metric=metric,
        scale=scale,
        problem=_too_few(control.n, treatment.n, MIN_SEQUENTIAL_UNITS)
        or _zero_variance(control.variance, treatment.variance),
    )


def sequential_compare_ratios(
    control: RatioStat,
    treatment: RatioStat,
    *,
    alpha: float = 0.05,
    target_n: int = 5000,
    metric: str | None = None,
    scale: Scale = "relative",
) -> ABResult:
    """Always-valid difference of ratio metrics Σnum/Σden; V̂ per arm from the delta method
    (``ratio_estimate``). ``target_n`` as in ``sequential_compare_proportions``.
    """
    problem = _too_few(control.n, treatment.n, MIN_SEQUENTIAL_UNITS)
    (r_c, v_c), (r_t, v_t) = ((control.value, 0.0), (treatment.value, 0.0)) if problem else (
        ratio_estimate(control), ratio_estimate(treatment))
    problem = problem or _zero_variance(v_c, v_t)
    return _sequential(
        control=r_c,
        treatment=r_t,
        var_control=v_c,
        var_treatment=v_t,
        n_control=control.n,
        n_treatment=treatment.n,
        alpha=alpha,
        target_n=target_n,
        method="sequential ratios (delta method, asymptotic confidence sequence)",
        metric=metric,
        scale=scale,
        problem=problem,
    )
