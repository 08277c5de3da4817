"""Power, sample size and minimum detectable effect for the two fixed-horizon tests.

Normal approximations that match statsmodels exactly (not the arcsine / Cohen's-h route):

- proportions: the test of ``compare_proportions`` — pooled variance under H0, unpooled under H1
  (Fleiss, Levin & Paik 2003; statsmodels ``power_proportions_2indep`` and
  ``samplesize_proportions_2indep_onetail``);
- means: z approximation to Welch with a common unit SD (statsmodels ``NormalIndPower`` with
  effect size mde/sd; for n ≳ 30 per arm it is within a unit or two of ``TTestIndPower``).

``n`` is always the control arm's size and ``ratio`` = n_treatment / n_control (statsmodels'
``nobs1`` and ``ratio``). All tests are two-sided at level ``alpha``.

The ``*_relative`` functions plan the test the results are read on: the relative lift (T − C)/|C|
with its delta-method SE (``ab._core``), fixed horizon or always valid, as GrowthBook plans it.
``*_means`` / ``*_proportions`` plan the absolute difference.
"""

from __future__ import annotations

import math

from scipy import optimize, stats

from evalhub.stats._base import StatsError


def _check_unit(field: str, x: float) -> None:
    if not (0.0 < x < 1.0):
        raise StatsError(field, f"must be within (0, 1), got {x!r}")


def _check_positive(field: str, x: float) -> None:
    if not (x > 0 and math.isfinite(x)):
        raise StatsError(field, f"must be positive, got {x!r}")


def _treatment_p(p_control: float, mde: float, relative: bool) -> float:
    _check_unit("p_control", p_control)
    if mde == 0 or not math.isfinite(mde):
        raise StatsError("mde", f"must be a non-zero effect, got {mde!r}")
    p_t = p_control * (1.0 + mde) if relative else p_control + mde
    if not (0.0 < p_t < 1.0):
        raise StatsError("mde", f"puts the treatment proportion at {p_t!r}, outside (0, 1)")
    return p_t


def _prop_stds(p_c: float, p_t: float, ratio: float) -> tuple[float, float]:
    """Unit SDs of the difference (scaled to n_control) under H0 (pooled) and under H1."""
    pooled = (p_c + p_t * ratio) / (1.0 + ratio)
    std_null = math.sqrt(pooled * (1.0 - pooled) + pooled * (1.0 - pooled) / ratio)
    std_alt = math.sqrt(p_c * (1.0 - p_c) + p_t * (1.0 - p_t) / ratio)
    return std_null, std_alt


def _two_tail_power(
    delta: float, n_eff: float, alpha: float, std_null: float, std_alt: float
) -> float:
    """P(|Z| > z_{1-α/2}) when the statistic's mean is δ√n/σ_alt and its H0 scale is σ_null::

    power = Φ̄(z·σ0/σ1 - |δ|√n/σ1) + Φ(-z·σ0/σ1 - |δ|√n/σ1)
    """
    crit = float(stats.norm.isf(alpha / 2.0)) * std_null / std_alt
    shift = abs(delta) * math.sqrt(n_eff) / std_alt
    return float(stats.norm.sf(crit - shift) + stats.norm.cdf(-crit - shift))


def _common(alpha: float, ratio: float, power: float | None = None) -> None:
    _check_unit("alpha", alpha)
    _check_positive("ratio", ratio)
    if power is not None:
        _check_unit("power", power)
        if power <= alpha:
            raise StatsError("power", f"must exceed alpha ({alpha}), got {power}")


def power_proportions(
    p_control: float,
    mde: float,
    n: int,
    *,
    alpha: float = 0.05,
    relative: bool = False,
    ratio: float = 1.0,
) -> float:
    """Power of the two-proportion z test with ``n`` control units (see ``_two_tail_power``)."""
    _common(alpha, ratio)
    _check_positive("n", n)
    p_t = _treatment_p(p_control, mde, relative)
    std_null, std_alt = _prop_stds(p_control, p_t, ratio)
    return _two_tail_power(p_t - p_control, n, alpha, std_null, std_alt)


def sample_size_proportions(
    p_control: float,
    mde: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    relative: bool = False,
    ratio: float = 1.0,
) -> int:
    """Control-arm units (treatment: ⌈ratio·n⌉) to detect ``mde`` with the given power::

        n = ⌈((z_{1-α/2}·σ0 + z_{power}·σ1) / δ)²⌉

    the one-tail formula of statsmodels ``samplesize_proportions_2indep_onetail`` (the far tail is
    negligible). ``mde`` is absolute (p_T - p_C) or, with ``relative``, a fraction of p_C.
    """
    _common(alpha, ratio, power)
    p_t = _treatment_p(p_control, mde, relative)
    std_null, std_alt = _prop_stds(p_control, p_t, ratio)
    crit = float(stats.norm.isf(alpha / 2.0))
    crit_power = float(stats.norm.isf(power))
    n = (max(crit * std_null - crit_power * std_alt, 0.0) / (p_t - p_control)) ** 2
    return max(1, math.ceil(n))


def mde_proportions(
    n: int,
    p_control: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    relative: bool = False,
    ratio: float = 1.0,
) -> float:
    """Smallest increase of p_C detectable with ``n`` control units: the root in δ > 0 of
    ``power_proportions(p_control, δ, n) = power`` (absolute, or relative to p_C)."""
    _common(alpha, ratio, power)
    _check_positive("n", n)
    _check_unit("p_control", p_control)
    hi = (1.0 - p_control) * (1.0 - 1e-9)

    def gap(delta: float) -> float:
        std_null, std_alt = _prop_stds(p_control, p_control + delta, ratio)
        return _two_tail_power(delta, n, alpha, std_null, std_alt) - power

    if gap(hi) < 0:
        raise StatsError("n", f"too small: no increase of p_control reaches power {power}")
    delta = float(optimize.brentq(gap, 1e-12, hi, xtol=1e-14, rtol=1e-12))
    return delta / p_control if relative else delta


def _means_n_eff(n: float, ratio: float) -> float:
    # statsmodels NormalIndPower: nobs = 1 / (1/nobs1 + 1/nobs2)
    return 1.0 / (1.0 / n + 1.0 / (n * ratio))


def power_means(sd: float, mde: float, n: int, *, alpha: float = 0.05, ratio: float = 1.0) -> float:
    """Power of the two-sample z test for a difference ``mde`` with unit SD ``sd``::

    power = Φ̄(z_{1-α/2} - |mde|/sd·√n_eff) + Φ(-z_{1-α/2} - |mde|/sd·√n_eff),
    n_eff = 1/(1/n + 1/(ratio·n))
    """
    _common(alpha, ratio)
    _check_positive("sd", sd)
    _check_positive("n", n)
    if mde == 0 or not math.isfinite(mde):
        raise StatsError("mde", f"must be a non-zero effect, got {mde!r}")
    return _two_tail_power(mde / sd, _means_n_eff(n, ratio), alpha, 1.0, 1.0)


def sample_size_means(
    sd: float, mde: float, *, alpha: float = 0.05, power: float = 0.8, ratio: float = 1.0
) -> int:
    """Control-arm units (treatment: ⌈ratio·n⌉) to detect a mean difference ``mde``::

    n = ⌈(z_{1-α/2} + z_{power})² · sd² · (1 + 1/ratio) / mde²⌉
    """
    _common(alpha, ratio, power)
    _check_positive("sd", sd)
    if mde == 0 or not math.isfinite(mde):
        raise StatsError("mde", f"must be a non-zero effect, got {mde!r}")
    z = float(stats.norm.isf(alpha / 2.0)) + float(stats.norm.isf(1.0 - power))
    return max(1, math.ceil(z * z * sd * sd * (1.0 + 1.0 / ratio) / (mde * mde)))


def mde_means(
    n: int, sd: float, *, alpha: float = 0.05, power: float = 0.8, ratio: float = 1.0
) -> float:
    """Smallest mean difference detectable with ``n`` control units: the root of
    ``power_means(sd, mde, n) = power`` (≈ (z_{1-α/2} + z_{power})·sd·√(1/n + 1/(ratio·n)))."""
    _common(alpha, ratio, power)
    _check_positive("sd", sd)
    _check_positive("n", n)
    n_eff = _means_n_eff(n, ratio)
    approx = (float(stats.norm.isf(alpha / 2.0)) + float(stats.norm.isf(1.0 - power))) / math.sqrt(
        n_eff
    )

    def gap(es: float) -> float:
        return _two_tail_power(es, n_eff, alpha, 1.0, 1.0) - power

    es = float(optimize.brentq(gap, 1e-12, 2.0 * approx + 1.0, xtol=1e-14, rtol=1e-12))
    return es * sd


def _relative_sd(mean_control: float, sd_control: float, sd_treatment: float, mde: float, n: float,
                 ratio: float) -> float:
    """SE of the relative lift (T − C)/|C| by the delta method when T = C·(1 + mde)::

        v = σ_T²/(n_T·C²) + σ_C²·T²/(n_C·C⁴),   n_C = n, n_T = ratio·n
    """
    t = mean_control * (1.0 + mde)
    c2 = mean_control * mean_control
    return math.sqrt(sd_treatment**2 / (ratio * n * c2) + sd_control**2 * t * t / (n * c2 * c2))


def _crit_relative(alpha: float, n: float, ratio: float, sequential_target_n: int | None) -> float:
    """The rejection threshold in SE units: z_{1−α/2}, or for the always-valid test the
    confidence-sequence factor √F at the final look, N = n·(1 + ratio) (``ab.sequential``)."""
    if sequential_target_n is None:
        return float(stats.norm.isf(alpha / 2.0))
    _check_positive("sequential_target_n", sequential_target_n)
    la = -2.0 * math.log(alpha)
    rho2 = (la + math.log(la + 1.0)) / sequential_target_n
    total = n * (1.0 + ratio)
    return math.sqrt(2.0 * (total * rho2 + 1.0) / (total * rho2) * math.log(math.sqrt(total * rho2 + 1.0) / alpha))


def power_relative(
    mean_control: float,
    sd_control: float,
    mde: float,
    n: int,
    *,
    sd_treatment: float | None = None,
    alpha: float = 0.05,
    ratio: float = 1.0,
    sequential_target_n: int | None = None,
) -> float:
    """Power of the relative-lift test (``compare_*`` on the default scale, or with
    ``sequential_target_n`` the always-valid test read at the end) to detect T = C·(1 + mde)::

        power = Φ(|mde|/SE − c) + Φ(−|mde|/SE − c)

    with SE the delta-method SE of ``_relative_sd`` and c = z_{1−α/2} (fixed horizon) or the
    confidence-sequence factor at N = n(1 + ratio) (sequential, GrowthBook's sequential power:
    the chance of crossing at the final look, a lower bound for crossing at any look).
    Proportions: pass ``sd_control = √(p(1 − p))`` and ``sd_treatment`` of the treatment rate.
    """
    _common(alpha, ratio)
    _check_positive("n", n)
    _check_positive("sd_control", sd_control)
    if not (math.isfinite(mean_control) and mean_control != 0):
        raise StatsError("mean_control", f"must be finite and non-zero, got {mean_control!r}")
    if mde == 0 or not math.isfinite(mde):
        raise StatsError("mde", f"must be a non-zero effect, got {mde!r}")
    sd_t = sd_control if sd_treatment is None else sd_treatment
    _check_positive("sd_treatment", sd_t)
    se = _relative_sd(mean_control, sd_control, sd_t, mde, n, ratio)
    crit = _crit_relative(alpha, n, ratio, sequential_target_n)
    shift = abs(mde) / se
    return float(stats.norm.sf(crit - shift) + stats.norm.cdf(-crit - shift))


def mde_relative(
    mean_control: float,
    sd_control: float,
    n: int,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = 1.0,
    sequential_target_n: int | None = None,
) -> float:
    """Smallest relative increase the relative-lift test detects with ``power`` (the root of
    ``power_relative`` in mde > 0, treatment SD equal to control's)."""
    _common(alpha, ratio, power)
    _check_positive("n", n)

    def gap(mde: float) -> float:
        return power_relative(mean_control, sd_control, mde, n, alpha=alpha, ratio=ratio,
                              sequential_target_n=sequential_target_n) - power

    hi = 1.0
    while gap(hi) < 0:
        hi *= 2.0
        if hi > 1e6:
            raise StatsError("n", f"too small: no relative effect reaches power {power}")
    return float(optimize.brentq(gap, 1e-12, hi, xtol=1e-14, rtol=1e-12))


def sample_size_relative(
    mean_control: float,
    sd_control: float,
    mde: float,
    *,
    sd_treatment: float | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = 1.0,
    sequential_target_n: int | None = None,
) -> int:
    """Control-arm units for the relative-lift test to detect T = C·(1 + mde) with ``power``: the
    smallest n with ``power_relative`` ≥ ``power`` (GrowthBook's sample size, found by search as
    there). Without the far tail the fixed-horizon answer is the closed form
    n = (z_{1−α/2} + z_{power})²·(σ_T²/ratio + σ_C²(1 + mde)²)/(C²·mde²).
    Proportions: ``mean_control = p``, ``sd_control = √(p(1 − p))`` and ``sd_treatment`` of p(1 + mde).
    """
    _common(alpha, ratio, power)

    def enough(n: int) -> bool:
        return power_relative(mean_control, sd_control, mde, n, sd_treatment=sd_treatment, alpha=alpha,
                              ratio=ratio, sequential_target_n=sequential_target_n) >= power

    hi = 2
    while not enough(hi):
        hi *= 2
        if hi > 10**12:
            raise StatsError("mde", f"too small: no sample size up to 10^12 reaches power {power}")
    lo = hi // 2  # enough(lo) is False unless lo == 1
    if lo == 1 and enough(1):
        return 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if enough(mid) else (mid, hi)
    return hi
