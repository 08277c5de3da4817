"""Read models of the suites app: each variant's latest measured score per suite, as frozen values."""

from __future__ import annotations

from dataclasses import dataclass

from evalhub.core.read_models import IntervalEstimate


@dataclass(frozen=True, slots=True)
class SuiteScore:
    """Mean score ± t interval of a variant's latest completed (``done``) run on a suite."""

    suite_slug: str
    suite_name: str
    version_id: int
    run_id: int
    variant_id: int
    score: IntervalEstimate
    cost_per_item: IntervalEstimate | None
    latency_mean_ms: float | None


@dataclass(frozen=True, slots=True)
class PairedItemScores:
    """Two runs' scores on the items both graded, aligned by item."""

    a: tuple[float, ...]
    b: tuple[float, ...]
