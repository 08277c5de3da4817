"""Read models of the telemetry app for other packages: per-variant production quality, as frozen values."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from evalhub.core.read_models import Estimate, RateEstimate


@dataclass(frozen=True, slots=True)
class VariantProduction:
    """One variant's production quality over a window: rates with Wilson intervals, cost per request
    (t interval) and latency p95 (order-statistic interval read off the summed histogram)."""

    variant_id: int
    n: int
    success: RateEstimate | None
    thumbs_up: RateEstimate | None
    refusal: RateEstimate | None
    reask: RateEstimate | None
    cost_per_request: Estimate | None
    latency_p95_ms: Estimate | None


@dataclass(frozen=True, slots=True)
class ProductionWindow:
    """The last ``days`` days up to the next full hour, as the production page's periods (``start``/``end``
    None when the window holds no data)."""

    start: dt.datetime | None
    end: dt.datetime | None
    days: int
    variants: tuple[VariantProduction, ...] = ()
