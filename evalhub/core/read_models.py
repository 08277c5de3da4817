"""Read models shared by every app: frozen values that selectors return and API schemas expose.

An app's selectors build these from its own tables; other packages (the leadership dashboards) read
them without knowing any app's models. Intervals are two-sided at ``LEVEL``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from evalhub.stats import Estimate, MeanStat, StatsError
from evalhub.stats.agreement import wilson_interval
from evalhub.stats.evalscores import mean_score_from_stat

LEVEL = 0.95

__all__ = ["LEVEL", "Estimate", "RateEstimate", "VariantFacts", "as_json", "mean_estimate", "rate_estimate"]


@dataclass(frozen=True, slots=True)
class RateEstimate:
    """A proportion ``successes / n`` with its Wilson interval."""

    successes: int
    n: int
    value: float
    lower: float
    upper: float


@dataclass(frozen=True, slots=True)
class VariantFacts:
    """What every page may know about a model variant (no endpoint, no key)."""

    id: int
    slug: str
    name: str
    family: str
    base_model: str
    parameter_count: int
    post_training: str
    post_training_label: str
    test_time_strategy: str
    improvement_kind: str
    compute_multiplier: float


def mean_estimate(n: int, total: float, total_sq: float, *, level: float = LEVEL,
                  bounds: tuple[float, float] | None = None) -> Estimate | None:
    """Mean ± t interval from sufficient statistics (n, Σx, Σx²), a Wilson interval inside ``bounds`` where the t
    interval has no width or leaves them (see ``mean_score``); ``None`` when they support none."""
    try:
        est = mean_score_from_stat(MeanStat(n, total, total_sq), level=level, bounds=bounds)
    except StatsError:
        return None
    return Estimate(est.mean, est.lower, est.upper, est.se, est.n)


def rate_estimate(successes: int, n: int, *, level: float = LEVEL) -> RateEstimate | None:
    """``successes / n`` with its Wilson interval; ``None`` when ``n`` is 0."""
    if not n:
        return None
    lower, upper = wilson_interval(int(successes), int(n), level=level)
    return RateEstimate(int(successes), int(n), successes / n, lower, upper)


def as_json(obj: Any) -> Any:
    """Read models (dataclasses), mappings, sequences and datetimes as JSON values; NaN becomes null."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: as_json(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Mapping):
        return {str(k): as_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [as_json(v) for v in obj]
    if isinstance(obj, dt.datetime):
        return obj.isoformat()
    if isinstance(obj, float) and obj != obj:  # NaN is not JSON
        return None
    return obj
