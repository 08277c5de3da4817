"""Read models of the A/B tests app for other packages: running experiments and their decision."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ArmFacts:
    name: str
    variant: str  # the variant's slug
    is_control: bool


@dataclass(frozen=True, slots=True)
class RunningExperiment:
    """A running experiment with the decision of its latest result snapshot (``None`` before the first)."""

    key: str
    name: str
    status: str
    started_at: dt.datetime | None
    primary_metric: str
    arms: tuple[ArmFacts, ...]
    decision: str | None
    decision_reasons: tuple[str, ...]
    computed_at: dt.datetime | None
