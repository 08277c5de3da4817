"""Fixed-horizon comparisons from sufficient statistics: proportions, means (with CUPED), ratios.

Each function costs O(1) whatever the number of events summarised: it reads n, Σx, Σx² (and the
cross sums) that the database aggregated per arm. Tests are two-sided unless ``alternative`` is
"greater" (treatment > control) or "less"; the scale is the relative lift unless ``scale="absolute"``
(see ``ab._core``).
"""

from __future__ import annotations

from typing import Literal

from evalhub.stats._base import MeanStat, ProportionStat, RatioStat, StatsError
from evalhub.stats.ab._core import (
    ABResult,
    Alternative,
    Scale,
    Spec,
    build_result,
    check_alpha,
    check_alternative,
    check_scale,
    not_enough,
    welch_df,
)


def _check_common(alpha: float, scale: str, alternative: str) -> None:
    check_alpha(alpha)
    check_scale(scale)
    check_alternative(alternative)


def compare_proportions(
    control: ProportionStat,
    treatment: ProportionStat,
    *,
    alpha: float = 0.05,
    metric: str | None = None,
    scale: Scale = "relative",
    alternative: Alternative = "two-sided",
) -> ABResult:
    """Difference of proportions, tested on ``scale`` (GrowthBook's frequentist engine).

    Per arm p̂ = x/n with unit variance p̂(1 − p̂), so Var(p̂) = p̂(1 − p̂)/n; the absolute lift
    p̂_T − p̂_C has variance Var_C + Var_T, the relative lift (p̂_T − p̂_C)/p̂_C the delta-method
    variance of ``ab._core``. Statistic = effect/SE against Student t with Welch–Satterthwaite ν
    (GrowthBook's ``TwoSidedTTest``, ≈ the unpooled z test of statsmodels
    ``test_proportions_2indep(method="wald")`` for large n); the interval uses the same SE and
    quantile, so ``significant`` ⇔ the interval excludes 0.

    Not enough data: an arm with fewer than ``MIN_PROPORTION_UNITS`` units, or no variation in
    either arm (all failures or all successes in both).
    """
    _check_common(alpha, scale, alternative)
    pc, pt = control.p, treatment.p
    method = f"proportions, {scale} lift (Welch t, delta method)" if scale == "relative" else "proportions, absolute lift (Welch t)"
    spec = Spec(alpha, method, control.n, treatment.n, metric, scale, alternative)
    small = _too_few(control.n, treatment.n, MIN_PROPORTION_UNITS)
    if small:
        return not_enough(small, pc, pt, spec)
    var_c, var_t = pc * (1.0 - pc), pt * (1.0 - pt)
    df = welch_df(var_c, control.n, var_t, treatment.n) if var_c + var_t > 0 else None
    return build_result(pc, pt, var_c / control.n, var_t / treatment.n, spec, df=df)


# Binary metrics: below 30 units per arm the unpooled t test on p̂(1 − p̂) over-rejected in simulated
# A/A tests (6.9–7.4% at α = 5% with 5–10 units at p = 0.5, ``bench/stats_calibration.py``); the
# usual large-sample rule for a normal approximation to a binomial mean.
MIN_PROPORTION_UNITS = 30


def _too_few(n_c: int, n_t: int, minimum: int = 2) -> str | None:
    if min(n_c, n_t) < minimum:
        what = "to estimate a variance" if minimum == 2 else "for a normal approximation"
        return f"needs at least {minimum} units per arm {what}, got {n_c} and {n_t}"
    return None


def _zero_variance(var_c: float, var_t: float) -> str | None:
    """GrowthBook's rule: an arm whose units do not vary gives no estimate of the noise."""
    if var_c <= 0.0 and var_t <= 0.0:
        return "no variation in either arm: a difference cannot be tested"
    if var_c <= 0.0 or var_t <= 0.0:
        which = "control" if var_c <= 0.0 else "treatment"
        return f"no variation within the {which} arm: its noise cannot be estimated"
    return None


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
    scale: Scale = "relative",
    alternative: Alternative = "two-sided",
    cuped_theta: Literal["within", "pooled"] = "within",
) -> ABResult:
    """Welch's t test on the difference of means, optionally CUPED-adjusted, on ``scale``.

    Plain (``cuped=False``): unit variances s² = (Σx² - (Σx)²/n)/(n-1) per arm, Welch t with
    Welch–Satterthwaite ν (on the absolute scale identical to
    ``scipy.stats.ttest_ind(equal_var=False)``); on the relative scale the delta-method SE with the
    same ν, as GrowthBook. The interval is effect ± t_{1-α/2,ν}·SE.

    CUPED (Deng, Xu, Kohavi & Walker 2013, "Improving the Sensitivity of Online Controlled
    Experiments by Utilizing Pre-Experiment Data"): with pre-period covariate X on the same units,
    Y_cv = Y - θ(X - μ_X) and θ = Cov(X, Y)/Var(X). Two estimates of θ:

    - ``cuped_theta="within"`` (default): the within-arm pooled covariance,
      θ = (S_XY,C + S_XY,T)/(S_XX,C + S_XX,T) with S the centred sums. The treatment effect cannot
      leak into it and the lift equals the treatment coefficient of the ANCOVA regression
      Y ~ arm + X, the textbook efficient estimator.
    - ``cuped_theta="pooled"``: GrowthBook's ``compute_theta``, the covariance over both arms
      taken as one sample. Equal to "within" when the arms' means do not differ; offered for
      parity with GrowthBook.

    μ_X is the mean of X over both arms (it cancels in the lift but sets the reported arm values).
    Per arm Var(Y_cv) = (S_YY - 2θS_XY + θ²S_XX)/(n-d), then Welch as above with n-d degrees of
    freedom per arm. With "within", θ is a regression slope fitted on these data, so d = 2 as for
    regression residuals (with d = 1 the A/A false-positive rate was 8.4% at 5 units per arm and
    6.6% at 10, ``bench/stats_calibration.py``); "pooled" keeps GrowthBook's d = 1, treating θ as
    known as in the paper. CUPED needs 3 units per arm. The relative lift divides by the unadjusted control mean (as
    GrowthBook). ``variance_reduction`` reports 1 - Var_cuped(lift)/Var_plain(lift).

    With ``cuped=True`` but neither arm carrying pre-period sums the plain test is run (``method``
    says which); pre sums on one arm only is an error.

    Not enough data: fewer than 2 units in an arm, or an arm with zero variance (GrowthBook's
    rule: with no spread the noise cannot be estimated, so any difference would look certain).
    """
    _check_common(alpha, scale, alternative)
    if cuped_theta not in ("within", "pooled"):
        raise StatsError("cuped_theta", f"must be 'within' or 'pooled', got {cuped_theta!r}")
    mean_c, mean_t = control.mean, treatment.mean
    use_cuped = cuped and (control.has_pre or treatment.has_pre)
    if use_cuped and not (control.has_pre and treatment.has_pre):
        raise StatsError("pre_sum", "CUPED needs pre-period sums on both arms")
    method = "welch t + cuped" if use_cuped else "welch t"
    spec = Spec(alpha, method, control.n, treatment.n, metric, scale, alternative)
    s2_c, s2_t = control.variance, treatment.variance
    problem = _too_few(control.n, treatment.n) or _zero_variance(s2_c, s2_t)
    if problem:
        return not_enough(problem, mean_c, mean_t, spec)
    var_c, var_t = s2_c / control.n, s2_t / treatment.n
    df = welch_df(s2_c, control.n, s2_t, treatment.n)
    reduction = None
    if use_cuped:
        if min(control.n, treatment.n) < 3:
            return not_enough("CUPED needs at least 3 units per arm", mean_c, mean_t, spec)
        adj_c, adj_var_c, adj_t, adj_var_t = _cuped(control, treatment, cuped_theta)
        problem = _zero_variance(adj_var_c, adj_var_t)
        if problem:
            return not_enough(problem + " after CUPED", adj_c, adj_t, spec)
        reduction = 1.0 - (adj_var_c + adj_var_t) / (var_c + var_t)
        d = 2 if cuped_theta == "within" else 1
        df = welch_df(adj_var_c * control.n, control.n, adj_var_t * treatment.n, treatment.n, lost=d)
        return build_result(adj_c, adj_t, adj_var_c, adj_var_t, spec, df=df, rel_control=mean_c, rel_treatment=mean_t,
                            variance_reduction=reduction)
    return build_result(mean_c, mean_t, var_c, var_t, spec, df=df)


def _cuped(control: MeanStat, treatment: MeanStat, how: str) -> tuple[float, float, float, float]:
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
    if how == "pooled":
        # GrowthBook: both arms as one sample of n_C + n_T units.
        n = control.n + treatment.n
        sx = float(control.pre_sum or 0.0) + float(treatment.pre_sum or 0.0)
        sy = control.sum + treatment.sum
        s_xx_all = _centered(n, sx, float(control.pre_sum_sq or 0.0) + float(treatment.pre_sum_sq or 0.0))
        s_yy_all = _centered(n, sy, control.sum_sq + treatment.sum_sq)
        s_xy_all = float(control.pre_cross or 0.0) + float(treatment.pre_cross or 0.0) - sx * sy / n
        theta = 0.0 if s_xx_all == 0.0 or s_yy_all == 0.0 else s_xy_all / s_xx_all
    else:
        s_xx_pooled = centred[0][1] + centred[1][1]
        theta = 0.0 if s_xx_pooled == 0.0 else (centred[0][2] + centred[1][2]) / s_xx_pooled
    pre_means = [float(arm.pre_sum or 0.0) / arm.n for arm in (control, treatment)]
    mu_x = (pre_means[0] * control.n + pre_means[1] * treatment.n) / (control.n + treatment.n)
    d = 2 if how == "within" else 1  # residual degrees of freedom used per arm (compare_means)
    out: list[float] = []
    for arm, pre_mean, (s_yy, s_xx, s_xy) in zip(
        (control, treatment), pre_means, centred, strict=True
    ):
        mean = arm.mean - theta * (pre_mean - mu_x)
        unit_var = max(0.0, s_yy - 2.0 * theta * s_xy + theta * theta * s_xx) / (arm.n - d)
        out += [mean, unit_var / arm.n]
    return out[0], out[1], out[2], out[3]


def ratio_estimate(arm: RatioStat) -> tuple[float, float]:
    """(R̂, Var(R̂)) for R = Σnum/Σden by the delta method (Deng, Knoblich & Lu 2018, "Applying
    the Delta Method in Metric Analytics"; Kohavi et al. 2020, ch. 18). With μ_n, μ_d the per-unit
    means and σ² the unit-level sample (co)variances::

        Var(R̂) ≈ (1/n)·(σ_n²/μ_d² - 2μ_n·σ_nd/μ_d³ + μ_n²·σ_d²/μ_d⁴)
               = (σ_n² - 2R̂·σ_nd + R̂²·σ_d²) / (n·μ_d²)

    Needs n ≥ 2 (callers check).
    """
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
    scale: Scale = "relative",
    alternative: Alternative = "two-sided",
) -> ABResult:
    """Ratio metric R = Σnum/Σden per arm (e.g. cost per task), tested on ``scale``.

    The units (users/sessions) are the randomisation unit, so num and den are correlated within a
    unit; the delta method (formula in ``ratio_estimate``) gives each arm's variance. The effect
    (R̂_T − R̂_C, or (R̂_T − R̂_C)/|R̂_C|) is referred to Student t with Welch–Satterthwaite ν on the
    unit-level variances n·Var(R̂), as GrowthBook's ``RatioStatistic``. Not enough data: fewer than
    2 units in an arm or an arm whose ratio has zero delta-method variance.
    """
    _check_common(alpha, scale, alternative)
    method = "delta-method t (ratio)"
    spec = Spec(alpha, method, control.n, treatment.n, metric, scale, alternative)
    problem = _too_few(control.n, treatment.n)
    if problem:
        return not_enough(problem, control.value, treatment.value, spec)
    (r_c, v_c), (r_t, v_t) = ratio_estimate(control), ratio_estimate(treatment)
    problem = _zero_variance(v_c, v_t)
    if problem:
        return not_enough(problem, r_c, r_t, spec)
    df = welch_df(v_c * control.n, control.n, v_t * treatment.n, treatment.n)
    return build_result(r_c, r_t, v_c, v_t, spec, df=df)
