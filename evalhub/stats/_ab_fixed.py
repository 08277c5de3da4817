"""Fixed-horizon comparisons from sufficient statistics: proportions, means (with CUPED), ratios.

Each function costs O(1) whatever the number of events summarised: it reads n, Σx, Σx² (and the
cross sums) that the database aggregated per arm. All p-values are two-sided.
"""

from __future__ import annotations

import math

from scipy import special

from evalhub.stats._ab_core import Comparison, build_comparison, check_alpha, normal_crit, normal_p
from evalhub.stats._base import MeanStat, ProportionStat, RatioStat, StatsError


def compare_proportions(
    control: ProportionStat,
    treatment: ProportionStat,
    *,
    alpha: float = 0.05,
    metric: str | None = None,
) -> Comparison:
    """Two-proportion z test (Kohavi et al. 2020, ch. 17; same statistic as statsmodels
    ``proportions_ztest``).

    Test, under H0 p_T = p_C, uses the pooled proportion p̄ = (x_C + x_T)/(n_C + n_T)::

        z = (p̂_T - p̂_C) / √(p̄(1-p̄)(1/n_C + 1/n_T))

    The interval does not assume H0, so it uses the unpooled (Wald) standard error::

        (p̂_T - p̂_C) ± z_{1-α/2} √(p̂_C(1-p̂_C)/n_C + p̂_T(1-p̂_T)/n_T)

    The two can disagree at the margin; ``significant`` follows the p-value. When both arms are
    all-failures or all-successes the pooled SE is 0 and p = 1.
    """
    check_alpha(alpha)
    pc, pt = control.p, treatment.p
    pooled = (control.successes + treatment.successes) / (control.n + treatment.n)
    se0 = math.sqrt(pooled * (1.0 - pooled) * (1.0 / control.n + 1.0 / treatment.n))
    p_value = 1.0 if se0 == 0.0 else normal_p((pt - pc) / se0)
    crit = normal_crit(alpha)
    return build_comparison(
        control=pc,
        treatment=pt,
        var_control=pc * (1.0 - pc) / control.n,
        var_treatment=pt * (1.0 - pt) / treatment.n,
        half_width=lambda v: crit * math.sqrt(v),
        p_value=p_value,
        alpha=alpha,
        method="two-proportion z (pooled test, unpooled CI)",
        n_control=control.n,
        n_treatment=treatment.n,
        metric=metric,
    )


def _need_two(field: str, n: int) -> None:
    if n < 2:
        raise StatsError(field, f"needs at least 2 units per arm to estimate a variance, got {n}")


def _welch(
    mean_c: float, var_c: float, n_c: int, mean_t: float, var_t: float, n_t: int, alpha: float
) -> tuple[float, float, float]:
    """Return (p-value, critical t, variance of the difference) for Welch's unequal-variance t.

    ``var_c``/``var_t`` are unit-level sample variances; with v = s²/n per arm::

        t = (x̄_T - x̄_C) / √(v_C + v_T)
        ν = (v_C + v_T)² / (v_C²/(n_C-1) + v_T²/(n_T-1))      (Welch–Satterthwaite)
    """
    v_c, v_t = var_c / n_c, var_t / n_t
    v = v_c + v_t
    diff = mean_t - mean_c
    if v == 0.0:
        # Both arms constant: no sampling noise, so any difference is certain.
        return (1.0 if diff == 0.0 else 0.0), 0.0, 0.0
    # Same ν, written with shares of v so tiny variances cannot underflow v² to 0.
    a, b = v_c / v, v_t / v
    df = 1.0 / (a * a / (n_c - 1) + b * b / (n_t - 1))
    t = diff / math.sqrt(v)
    # special.stdtr/stdtrit are what scipy.stats.t.sf/isf evaluate, minus the overhead.
    return float(2.0 * special.stdtr(df, -abs(t))), float(-special.stdtrit(df, alpha / 2.0)), v


def _centered(n: int, s: float, s_sq: float) -> float:
    """Σ(x - x̄)² from sufficient statistics, floored at 0 against rounding."""
    return max(0.0, s_sq - s * s / n)


def compare_means(
    control: MeanStat,
    treatment: MeanStat,
    *,
    alpha: float = 0.05,
    cuped: bool = False,
    metric: str | None = None,
) -> Comparison:
    """Welch's t test on the difference of means, optionally CUPED-adjusted.

    Plain (``cuped=False``): unit variances s² = (Σx² - (Σx)²/n)/(n-1) per arm, Welch t with
    Welch–Satterthwaite ν (identical to ``scipy.stats.ttest_ind(equal_var=False)``); the interval
    is (x̄_T - x̄_C) ± t_{1-α/2,ν}·√(s_C²/n_C + s_T²/n_T).

    CUPED (Deng, Xu, Kohavi & Walker 2013, "Improving the Sensitivity of Online Controlled
    Experiments by Utilizing Pre-Experiment Data"): with pre-period covariate X on the same units,
    Y_cv = Y - θ(X - μ_X) and θ = Cov(X, Y)/Var(X). θ is estimated from the within-arm pooled
    covariance, θ = (S_XY,C + S_XY,T)/(S_XX,C + S_XX,T) with S the centred sums, so the treatment
    effect cannot leak into it; μ_X is the mean of X over both arms (it cancels in the lift but sets
    the reported arm values). Per arm Var(Y_cv) = (S_YY - 2θS_XY + θ²S_XX)/(n-1), then Welch as
    above; θ is treated as known, as in the paper. The variance of the lift shrinks by ≈ ρ²(X, Y);
    ``variance_reduction`` reports 1 - Var_cuped(lift)/Var_plain(lift).

    With ``cuped=True`` but neither arm carrying pre-period sums the plain test is run (``method``
    says which); pre sums on one arm only is an error.
    """
    check_alpha(alpha)
    _need_two("n", control.n)
    _need_two("n", treatment.n)
    p_value, crit, v = _welch(
        control.mean,
        control.variance,
        control.n,
        treatment.mean,
        treatment.variance,
        treatment.n,
        alpha,
    )
    mean_c, mean_t = control.mean, treatment.mean
    var_c, var_t = control.variance / control.n, treatment.variance / treatment.n
    method, reduction = "welch t", None
    if cuped and (control.has_pre or treatment.has_pre):
        if not (control.has_pre and treatment.has_pre):
            raise StatsError("pre_sum", "CUPED needs pre-period sums on both arms")
        mean_c, var_c, mean_t, var_t = _cuped(control, treatment)
        p_value, crit, v_adj = _welch(
            mean_c, var_c * control.n, control.n, mean_t, var_t * treatment.n, treatment.n, alpha
        )
        reduction = 0.0 if v == 0.0 else 1.0 - v_adj / v
        method = "welch t + cuped"
    return build_comparison(
        control=mean_c,
        treatment=mean_t,
        var_control=var_c,
        var_treatment=var_t,
        half_width=lambda w: crit * math.sqrt(w),
        p_value=p_value,
        alpha=alpha,
        method=method,
        n_control=control.n,
        n_treatment=treatment.n,
        metric=metric,
        variance_reduction=reduction,
    )


def _cuped(control: MeanStat, treatment: MeanStat) -> tuple[float, float, float, float]:
    """CUPED-adjusted (mean, variance of the mean) for control then treatment."""
    centred = []
    for arm in (control, treatment):
        # Callers checked has_pre on both arms; MeanStat guarantees the three come together.
        pre_sum, pre_sum_sq = float(arm.pre_sum or 0.0), float(arm.pre_sum_sq or 0.0)
        floor = pre_sum * pre_sum / arm.n
        if pre_sum_sq < floor - 1e-9 * max(1.0, abs(floor)):
            raise StatsError("pre_sum_sq", "inconsistent with pre_sum and n (negative variance)")
        s_yy = _centered(arm.n, arm.sum, arm.sum_sq)
        s_xx = _centered(arm.n, pre_sum, pre_sum_sq)
        s_xy = float(arm.pre_cross or 0.0) - arm.sum * pre_sum / arm.n
        if s_xy * s_xy > s_xx * s_yy * (1.0 + 1e-9) + 1e-12 * max(1.0, s_xx * s_yy):
            raise StatsError("pre_cross", "inconsistent with the other sums (|correlation| > 1)")
        centred.append((s_yy, s_xx, s_xy))
    s_xx_pooled = centred[0][1] + centred[1][1]
    theta = 0.0 if s_xx_pooled == 0.0 else (centred[0][2] + centred[1][2]) / s_xx_pooled
    pre_means = [float(arm.pre_sum or 0.0) / arm.n for arm in (control, treatment)]
    mu_x = (pre_means[0] * control.n + pre_means[1] * treatment.n) / (control.n + treatment.n)
    out: list[float] = []
    for arm, pre_mean, (s_yy, s_xx, s_xy) in zip(
        (control, treatment), pre_means, centred, strict=True
    ):
        mean = arm.mean - theta * (pre_mean - mu_x)
        unit_var = max(0.0, s_yy - 2.0 * theta * s_xy + theta * theta * s_xx) / (arm.n - 1)
        out += [mean, unit_var / arm.n]
    return out[0], out[1], out[2], out[3]


def ratio_estimate(arm: RatioStat) -> tuple[float, float]:
    """(R̂, Var(R̂)) for R = Σnum/Σden by the delta method (Deng, Knoblich & Lu 2018, "Applying
    the Delta Method in Metric Analytics"; Kohavi et al. 2020, ch. 18). With μ_n, μ_d the per-unit
    means and σ² the unit-level sample (co)variances::

        Var(R̂) ≈ (1/n)·(σ_n²/μ_d² - 2μ_n·σ_nd/μ_d³ + μ_n²·σ_d²/μ_d⁴)
               = (σ_n² - 2R̂·σ_nd + R̂²·σ_d²) / (n·μ_d²)
    """
    _need_two("n", arm.n)
    mu_d = arm.sum_den / arm.n
    r = arm.value
    var_n = _centered(arm.n, arm.sum_num, arm.sum_num_sq) / (arm.n - 1)
    var_d = _centered(arm.n, arm.sum_den, arm.sum_den_sq) / (arm.n - 1)
    cov = (arm.sum_num_den - arm.sum_num * arm.sum_den / arm.n) / (arm.n - 1)
    if cov * cov > var_n * var_d * (1.0 + 1e-9) + 1e-12 * max(1.0, var_n * var_d):
        raise StatsError("sum_num_den", "inconsistent with the other sums (|correlation| > 1)")
    var_r = (var_n - 2.0 * r * cov + r * r * var_d) / (arm.n * mu_d * mu_d)
    return r, max(0.0, var_r)


def compare_ratios(
    control: RatioStat,
    treatment: RatioStat,
    *,
    alpha: float = 0.05,
    metric: str | None = None,
) -> Comparison:
    """Ratio metric R = Σnum/Σden per arm (e.g. cost per task), compared with a z test.

    The units (users/sessions) are the randomisation unit, so num and den are correlated within a
    unit; the delta method (formula in ``ratio_estimate``) gives each arm's variance, and the lift
    R̂_T - R̂_C is tested with z = lift/√(Var_C + Var_T) and a normal interval.
    """
    check_alpha(alpha)
    (r_c, v_c), (r_t, v_t) = ratio_estimate(control), ratio_estimate(treatment)
    v = v_c + v_t
    diff = r_t - r_c
    p_value = (1.0 if diff == 0.0 else 0.0) if v == 0.0 else normal_p(diff / math.sqrt(v))
    crit = normal_crit(alpha)
    return build_comparison(
        control=r_c,
        treatment=r_t,
        var_control=v_c,
        var_treatment=v_t,
        half_width=lambda w: crit * math.sqrt(w),
        p_value=p_value,
        alpha=alpha,
        method="delta-method z (ratio)",
        n_control=control.n,
        n_treatment=treatment.n,
        metric=metric,
    )
