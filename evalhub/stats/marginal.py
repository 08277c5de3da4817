"""Marginal value per dollar: quality gained per extra dollar (or second) a lever costs, with intervals.

A lever (more test-time compute, post-training, a larger pretrained model, retrieval/tools) changes a
variant's quality by ``Δq`` and its cost by ``Δc`` against its base. Both are estimated, so the gain per
dollar ``ρ = Δq/Δc`` is a ratio of two noisy differences. ``value_per_cost`` gives it with **Fieller's
interval** (Fieller 1954, "Some problems in interval estimation", JRSS B 16:175–185): the set of ρ with

    (Δq − ρ·Δc)² ≤ z² · (var_q − 2ρ·cov + ρ²·var_c),

which is a bounded interval exactly when the cost difference is distinguishable from zero at the same
level (Δc² > z²·var_c). Otherwise the per-dollar figure is unbounded, and the result says so in words
(``kind``) instead of carrying ``inf``:

* ``"dominates"``: cheaper beyond its interval *and* better beyond its interval — no trade-off;
* ``"free"``: better beyond its interval, cost difference not distinguishable from zero;
* ``"unbounded"``: cost difference not distinguishable from zero and no distinguishable gain;
* ``"ratio"``: costs more (beyond its interval): ``ratio`` with its Fieller interval;
* ``"cheaper"``: costs less (beyond its interval) without a distinguishable gain: ``ratio`` is quality
  per dollar *saved* ×(−1), i.e. still Δq/Δc, with its Fieller interval.

``weighted_difference`` combines several quality differences already on one comparable [0, 1]
"higher is better" scale with weights normalised to sum to 1: ``Σ wᵢ·dᵢ`` with variance ``Σ wᵢ²·var_i``
(the components are measured on separate data — votes, suite items, production requests — so they are
treated as independent). ``evidence_multiplier`` is how many times the current evidence a difference
needs for 80 % power at its observed size, from ``evalhub.stats.ab.sample_size_means``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from scipy import stats

from evalhub.stats._base import StatsError, check_finite, check_level
from evalhub.stats.ab import sample_size_means

__all__ = [
    "Component",
    "Difference",
    "PerCost",
    "WeightedDifference",
    "evidence_multiplier",
    "fieller_interval",
    "value_per_cost",
    "weighted_difference",
]

Kind = Literal["dominates", "free", "unbounded", "ratio", "cheaper"]


def _z(level: float) -> float:
    return float(stats.norm.ppf(0.5 + check_level(level) / 2.0))


@dataclass(frozen=True)
class Difference:
    """An estimated difference (variant − base) with its standard error and normal interval."""

    value: float
    se: float
    level: float = 0.95

    def __post_init__(self) -> None:
        check_finite("value", self.value)
        check_finite("se", self.se)
        if self.se < 0:
            raise StatsError("se", f"must be non-negative, got {self.se!r}")
        _z(self.level)

    @property
    def lower(self) -> float:
        return self.value - _z(self.level) * self.se

    @property
    def upper(self) -> float:
        return self.value + _z(self.level) * self.se


@dataclass(frozen=True)
class PerCost:
    """Quality per unit of extra cost. ``ratio``/``lower``/``upper`` are ``None`` when unbounded."""

    kind: Kind
    gain: Difference
    cost: Difference
    ratio: float | None
    lower: float | None
    upper: float | None
    se: float | None  # delta-method SE of the ratio (for comparing two levers), None when unbounded


def fieller_interval(num: float, var_num: float, den: float, var_den: float, *, cov: float = 0.0,
                     level: float = 0.95) -> tuple[float, float] | None:
    """Fieller's interval for num/den; ``None`` when it is not a bounded interval (den not
    distinguishable from zero at ``level``)."""
    for field, value in (("num", num), ("var_num", var_num), ("den", den), ("var_den", var_den), ("cov", cov)):
        check_finite(field, value)
    if var_num < 0 or var_den < 0:
        raise StatsError("var_num" if var_num < 0 else "var_den", "must be non-negative")
    z2 = _z(level) ** 2
    a = den * den - z2 * var_den
    if a <= 0:
        return None
    b = num * den - z2 * cov
    c = num * num - z2 * var_num
    disc = b * b - a * c
    # a > 0 makes the discriminant non-negative (Cauchy–Schwarz); clamp float noise.
    root = math.sqrt(max(disc, 0.0))
    return (b - root) / a, (b + root) / a


def value_per_cost(gain: Difference, cost: Difference, *, cov: float = 0.0) -> PerCost:
    """Gain per unit of extra cost with Fieller's interval, classified as in the module docstring."""
    if gain.level != cost.level:
        raise StatsError("level", "gain and cost must share one level")
    level = gain.level
    better = gain.lower > 0
    costs_more, costs_less = cost.lower > 0, cost.upper < 0
    if costs_less and better:
        return PerCost("dominates", gain, cost, None, None, None, None)
    if not costs_more and not costs_less:
        return PerCost("free" if better else "unbounded", gain, cost, None, None, None, None)
    interval = fieller_interval(gain.value, gain.se ** 2, cost.value, cost.se ** 2, cov=cov, level=level)
    if interval is None:  # cannot happen once the cost interval excludes 0; kept for float edge cases
        return PerCost("unbounded", gain, cost, None, None, None, None)
    ratio = gain.value / cost.value
    # Delta method: var(q/c) ≈ (var_q − 2ρ·cov + ρ²·var_c) / c².
    se = math.sqrt(max(gain.se ** 2 - 2 * ratio * cov + ratio ** 2 * cost.se ** 2, 0.0)) / abs(cost.value)
    return PerCost("ratio" if costs_more else "cheaper", gain, cost, ratio, interval[0], interval[1], se)


@dataclass(frozen=True)
class Component:
    """One quality's difference from the base on the common [0, 1] higher-is-better scale."""

    key: str
    weight: float
    difference: Difference


@dataclass(frozen=True)
class WeightedDifference:
    difference: Difference
    weights: dict[str, float]  # normalised weights actually used (sum 1)


def weighted_difference(components: Sequence[Component], *, level: float = 0.95) -> WeightedDifference:
    """Σ wᵢ·dᵢ / Σ wᵢ with variance Σ wᵢ²·var(dᵢ) / (Σ wᵢ)² (independent components)."""
    comps = [c for c in components if c.weight > 0]
    for c in components:
        if c.weight < 0 or not math.isfinite(c.weight):
            raise StatsError("weight", f"{c.key}: must be a non-negative number, got {c.weight!r}")
    if not comps:
        raise StatsError("components", "need at least one component with a positive weight")
    keys = [c.key for c in comps]
    if len(set(keys)) != len(keys):
        raise StatsError("components", "keys must be unique")
    total = sum(c.weight for c in comps)
    w = {c.key: c.weight / total for c in comps}
    value = sum(w[c.key] * c.difference.value for c in comps)
    var = sum(w[c.key] ** 2 * c.difference.se ** 2 for c in comps)
    return WeightedDifference(Difference(value, math.sqrt(var), level), w)


def evidence_multiplier(difference: float, se: float, *, alpha: float = 0.05, power: float = 0.8) -> float:
    """How many times the current evidence a difference needs to be detected with ``power`` at ``alpha``.

    The SE of a two-sample difference shrinks as 1/√n, so the current SE stands for a unit SD
    ``sd = se·√(n₀/2)`` at any reference size n₀; ``sample_size_means(sd, difference)`` then gives the
    units per arm needed, and the multiplier is that over n₀ — in closed form
    ``((z_{1−α/2} + z_{power})·se / difference)²`` (rounded up in units of 1/n₀).
    """
    check_finite("difference", difference)
    check_finite("se", se)
    if difference == 0:
        raise StatsError("difference", "must be non-zero: a zero difference needs unbounded evidence")
    if se <= 0:
        raise StatsError("se", f"must be positive, got {se!r}")
    n0 = 1_000_000
    sd = se * math.sqrt(n0 / 2.0)
    return sample_size_means(sd, difference, alpha=alpha, power=power) / n0
