"""Shared sufficient-statistic containers, the estimate type and the package's single error type."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


class StatsError(ValueError):
    """Bad input to a statistics function. The message names the field and the problem."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


def check_finite(field: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise StatsError(field, f"must be a number, got {value!r}")
    if not math.isfinite(value):
        raise StatsError(field, f"must be finite, got {value!r}")


def check_level(level: float) -> float:
    """A confidence level strictly between 0 and 1 (every estimator's ``level`` argument)."""
    if not 0.0 < level < 1.0:
        raise StatsError("level", f"must be strictly between 0 and 1, got {level!r}")
    return float(level)


def check_count(field: str, value: object, *, minimum: int = 0) -> int:
    """An integral count ≥ ``minimum`` (ints, numpy ints, or floats with no fractional part)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise StatsError(field, f"must be an integer count, got {value!r}")
    if not math.isfinite(value):
        raise StatsError(field, f"must be finite, got {value!r}")
    if value != math.floor(value):
        raise StatsError(field, f"must be a whole number, got {value!r}")
    if value < minimum:
        raise StatsError(field, f"must be at least {minimum}, got {value!r}")
    return int(value)


@dataclass(frozen=True)
class ProportionStat:
    """A binary metric for one arm/variant: ``n`` trials, ``successes`` of them positive."""

    n: int
    successes: int

    def __post_init__(self) -> None:
        check_count("n", self.n, minimum=1)
        check_count("successes", self.successes)
        if self.successes > self.n:
            raise StatsError("successes", f"must be within 0..n ({self.n}), got {self.successes}")

    @property
    def p(self) -> float:
        return self.successes / self.n


@dataclass(frozen=True)
class MeanStat:
    """A continuous metric for one arm/variant as sufficient statistics (n, Σx, Σx²).

    Optional pre-period covariate sums (Σy, Σy², Σxy, all over the same n units) enable CUPED.
    """

    n: int
    sum: float
    sum_sq: float
    pre_sum: float | None = None
    pre_sum_sq: float | None = None
    pre_cross: float | None = None

    def __post_init__(self) -> None:
        check_count("n", self.n, minimum=1)
        check_finite("sum", self.sum)
        check_finite("sum_sq", self.sum_sq)
        for name in ("pre_sum", "pre_sum_sq", "pre_cross"):
            if getattr(self, name) is not None:
                check_finite(name, getattr(self, name))
        # Σx² ≥ (Σx)²/n by Cauchy-Schwarz; allow a relative rounding slack.
        floor = self.sum * self.sum / self.n
        if self.sum_sq < floor - 1e-9 * max(1.0, abs(floor)):
            raise StatsError("sum_sq", "inconsistent with sum and n (negative variance)")
        pre = (self.pre_sum, self.pre_sum_sq, self.pre_cross)
        if any(v is not None for v in pre) and any(v is None for v in pre):
            raise StatsError("pre_sum", "pre_sum, pre_sum_sq and pre_cross go together")

    @property
    def mean(self) -> float:
        return self.sum / self.n

    @property
    def variance(self) -> float:
        """Unbiased sample variance (0 when n == 1)."""
        if self.n < 2:
            return 0.0
        return max(0.0, (self.sum_sq - self.sum * self.sum / self.n) / (self.n - 1))

    @property
    def has_pre(self) -> bool:
        return self.pre_sum is not None


@dataclass(frozen=True)
class RatioStat:
    """A ratio metric Σnum/Σden over n units (e.g. cost per successful task), for the delta method."""

    n: int
    sum_num: float
    sum_den: float
    sum_num_sq: float
    sum_den_sq: float
    sum_num_den: float

    def __post_init__(self) -> None:
        check_count("n", self.n, minimum=1)
        for name in ("sum_num", "sum_den", "sum_num_sq", "sum_den_sq", "sum_num_den"):
            check_finite(name, getattr(self, name))
        if self.sum_den == 0:
            raise StatsError("sum_den", "must not be zero")
        if self.sum_num_sq < self.sum_num**2 / self.n - 1e-9 * max(1.0, self.sum_num_sq):
            raise StatsError("sum_num_sq", "inconsistent with sum_num and n (negative variance)")
        if self.sum_den_sq < self.sum_den**2 / self.n - 1e-9 * max(1.0, self.sum_den_sq):
            raise StatsError("sum_den_sq", "inconsistent with sum_den and n (negative variance)")

    @property
    def value(self) -> float:
        return self.sum_num / self.sum_den


@dataclass(frozen=True)
class Estimate:
    """A value with its interval, as pages and read models show it.

    ``lower``/``upper`` are ``None`` when the data cannot support an interval (and ``value`` is
    ``None`` when there is no data at all); ``se`` is set when the estimator gives one; ``n`` is the
    sample size behind the value.
    """

    value: float | None
    lower: float | None = None
    upper: float | None = None
    se: float | None = None
    n: int | None = None


def wilson_bounds(p: float, n: float, z: float) -> tuple[float, float]:
    """The Wilson score interval's bounds at proportion ``p`` and (possibly effective, non-integer) sample
    size ``n``: (p + z²/2n ± z √(p(1 − p)/n + z²/4n²)) / (1 + z²/n), clipped to [0, 1] (Wilson 1927,
    JASA 22:209-212). The one formula behind ``agreement.wilson_interval`` and ``evalscores.bounded_interval``."""
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2.0 * n)) / denom
    half = z * math.sqrt(p * (1.0 - p) / n + z * z / (4.0 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)
