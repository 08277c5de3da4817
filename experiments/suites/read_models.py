"""Read models of the suites app: each variant's latest measured score per suite, as frozen values."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from evalhub.core.read_models import Estimate


@dataclass(frozen=True, slots=True)
class SuiteScore:
    """Mean score ± t interval of a variant's latest completed (``done``) run on a suite."""

    suite_slug: str
    suite_name: str
    version_id: int
    run_id: int
    variant_id: int
    score: Estimate
    cost_per_item: Estimate | None
    latency_mean_ms: float | None


@dataclass(frozen=True, slots=True)
class PairedItemScores:
    """Two runs' scores on the items both graded, aligned by item."""

    a: tuple[float, ...]
    b: tuple[float, ...]


# ---------------------------------------------------------------- runs (the API's shape)


@dataclass(frozen=True, slots=True)
class ScoreRow:
    """Mean score of a run overall or in one category, with its 95% interval (``None`` below 2 items), and the
    pass rate with an interval computed the same way (clustered by item group for a grouped run's overall row;
    bounded in [0, 1], the Wilson interval at 0% and 100%)."""

    label: str
    n: int
    mean: float
    lower: float | None
    upper: float | None
    pass_rate: float
    pass_lower: float | None = None
    pass_upper: float | None = None


@dataclass(frozen=True, slots=True)
class ErrorCount:
    error: str
    count: int


@dataclass(frozen=True, slots=True)
class RunReport:
    """A run's state and progress; with its summary, the scores, tokens and cost. ``error`` says why a
    failed run failed; ``top_errors`` are the most common item errors, with counts."""

    id: int
    suite: str
    version: int
    variant: str
    status: str
    source: str
    n_items: int
    n_total: int
    n_done: int
    n_errors: int
    n_pending_human: int
    percent: float
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    can_resume: bool
    error: str
    top_errors: tuple[ErrorCount, ...]
    overall: ScoreRow | None = None
    clustered: bool = False
    categories: tuple[ScoreRow, ...] = ()
    tokens: int = 0
    cost_usd: float = 0.0


@dataclass(frozen=True, slots=True)
class RunComparisonSummary:
    """Paired comparison A − B over the items both runs graded: mean difference with its interval and
    p-value, McNemar's discordant counts and p-value, and the items whose pass/fail flipped."""

    run_a: int
    run_b: int
    n: int
    mean_a: float
    mean_b: float
    mean_diff: float | None
    lower: float | None
    upper: float | None
    p_value: float | None
    mcnemar_b: int | None
    mcnemar_c: int | None
    mcnemar_p: float | None
    clustered: bool
    flipped: tuple[str, ...]
