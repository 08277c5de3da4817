"""Ratio metrics as per-unit means (linearisation), so sequential tests and CUPED apply to them.

``compare_ratios`` applies the delta method directly at a fixed horizon. For CUPED and for the
same treatment as means elsewhere, the standard bridge (Deng, Knoblich & Lu 2018, §2.2 and §3.3
"linearization") turns a ratio metric into a per-unit mean with the same delta-method variance::

    l_i = R + (num_i - R·den_i) / μ_den,    R = Σnum/Σden,  μ_den = Σden/n

so mean(l) = R and Var(mean(l)) is the delta-method Var(R̂). Its sufficient statistics follow from
the sums the database already returns (Σl = nR; Σl² = nR² + Σ(num - R·den)²/μ_den², the cross
term vanishing because Σ(num - R·den) = 0), and so do the CUPED cross sums with a covariate x::

    Σl·x = R·Σx + (Σnum·x - R·Σden·x) / μ_den

For a ratio metric the covariate is the unit's pre-period linearised residual
x_i = pn_i - R_pre·pd_i (pn, pd = the unit's pre-period numerator and denominator; R_pre the
pre-period ratio pooled over both arms, so x is the same pre-treatment function in each arm; units
without pre-period data get x = 0). Its sums expand from the SQL cross sums::

    Σx = Σpn - R_pre·Σpd,   Σx² = Σpn² - 2R_pre·Σpn·pd + R_pre²·Σpd²,
    Σnum·x = Σnum·pn - R_pre·Σnum·pd,   Σden·x = Σden·pn - R_pre·Σden·pd

``tests/stats/test_abtest.py`` checks both against the explicit per-unit values (closed form) and
the CUPED lift against an ANCOVA fit of them (statsmodels OLS).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from evalhub.stats._base import MeanStat, RatioStat, check_finite


@dataclass(frozen=True)
class RatioSums(RatioStat):
    """A ratio metric's per-arm sums (a ``RatioStat``, validated as one) plus optional covariate sums."""

    pre_sum: float | None = None  # Σx
    pre_sum_sq: float | None = None  # Σx²
    pre_num_cross: float | None = None  # Σ num·x
    pre_den_cross: float | None = None  # Σ den·x

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in ("pre_sum", "pre_sum_sq", "pre_num_cross", "pre_den_cross"):
            if getattr(self, name) is not None:
                check_finite(name, getattr(self, name))


def linearized_mean(s: RatioSums, *, with_pre: bool = False) -> MeanStat:
    """The linearised per-unit mean of a ratio metric (see the module docstring); ``RatioStat`` has
    already refused n ≤ 0 and Σden = 0."""
    r = s.sum_num / s.sum_den
    mu_den = s.sum_den / s.n
    resid_sq = max(0.0, s.sum_num_sq - 2.0 * r * s.sum_num_den + r * r * s.sum_den_sq)
    total = s.n * r
    total_sq = s.n * r * r + resid_sq / (mu_den * mu_den)
    if not with_pre or s.pre_sum is None:
        return MeanStat(s.n, total, total_sq)
    cross = r * s.pre_sum + ((s.pre_num_cross or 0.0) - r * (s.pre_den_cross or 0.0)) / mu_den
    return MeanStat(s.n, total, total_sq, pre_sum=s.pre_sum, pre_sum_sq=s.pre_sum_sq, pre_cross=cross)


@dataclass(frozen=True)
class PreSums:
    """Per-arm sums of the pre-period numerator (pn) and denominator (pd) with the in-period ones."""

    pn: float
    pd: float
    pn_sq: float
    pd_sq: float
    pn_pd: float
    num_pn: float
    num_pd: float
    den_pn: float
    den_pd: float


def with_ratio_covariate(s: RatioSums, pre: PreSums, pre_ratio: float) -> RatioSums:
    """``s`` with the covariate sums of x = pn - R_pre·pd (see the module docstring)."""
    r = pre_ratio
    return replace(
        s,
        pre_sum=pre.pn - r * pre.pd,
        pre_sum_sq=max(0.0, pre.pn_sq - 2.0 * r * pre.pn_pd + r * r * pre.pd_sq),
        pre_num_cross=pre.num_pn - r * pre.num_pd,
        pre_den_cross=pre.den_pn - r * pre.den_pd,
    )
