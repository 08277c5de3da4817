"""Read models of the leadership pages: the shapes of the stored evidence payload and of what the
scorecard, frontier and verdict pages (and their API) show from it. The payload is JSON, so times
are ISO 8601 strings here; per-variant evidence reuses the apps' read models."""

from __future__ import annotations

from dataclasses import dataclass, field

from evalhub.core.read_models import Estimate, VariantFacts
from experiments.abtests.read_models import ArmFacts
from experiments.telemetry.read_models import VariantProduction

# ---------------------------------------------------------------- page parameters


@dataclass(frozen=True, slots=True)
class ReportParams:
    """The parameters a saved report was taken with (the pages' query parameters)."""

    days: int = 7
    kind: str = ""
    sort: str = "bt"
    descending: bool = True
    quality: str = "bt"
    axis: str = "cost"

    def as_dict(self) -> dict[str, int | str | bool]:
        return {"days": self.days, "kind": self.kind, "sort": self.sort, "descending": self.descending,
                "quality": self.quality, "axis": self.axis}


# ---------------------------------------------------------------- scorecard


@dataclass(frozen=True, slots=True)
class ReportPeriod:
    """The production window the payload covers (``start``/``end`` null when there is no production data)."""

    start: str | None
    end: str | None
    days: int


@dataclass(frozen=True, slots=True)
class SuiteRef:
    slug: str
    name: str


@dataclass(frozen=True, slots=True)
class SuiteEntry:
    """A variant's mean score on one suite (its latest completed run), with cost per item and latency."""

    value: float
    lower: float
    upper: float
    se: float | None
    n: int | None
    suite_name: str
    run_id: int
    version_id: int
    cost: Estimate | None
    latency_mean_ms: float | None


@dataclass(frozen=True, slots=True)
class ScorecardRow(VariantFacts):
    """One variant with every kind of evidence (null/empty where none is measured)."""

    preference: Estimate | None
    suites: dict[str, SuiteEntry]
    production: VariantProduction | None


@dataclass(frozen=True, slots=True)
class ExperimentEntry:
    """A running A/B experiment and the verdict of its latest result snapshot."""

    key: str
    name: str
    status: str
    started_at: str | None
    primary_metric: str
    arms: tuple[ArmFacts, ...]
    decision: str | None
    decision_reasons: tuple[str, ...]
    computed_at: str | None


# ---------------------------------------------------------------- frontier


@dataclass(frozen=True, slots=True)
class FrontierPoint:
    """A variant on the quality-vs-cost (or latency) plane with both intervals; ``dominated_by`` names
    the variant that beats it on both axes beyond the intervals, if any. ``x_n`` is the number of
    production requests behind the axis, ``y_n`` the votes counted (BT) or items graded (suite)."""

    slug: str
    name: str
    kind: str
    x: float
    x_lower: float
    x_upper: float
    x_n: int | None
    y: float
    y_lower: float
    y_upper: float
    y_n: int | None
    on_frontier: bool
    dominated_by: str | None
    dominated_by_name: str | None
    x_display: str
    y_display: str


# ---------------------------------------------------------------- verdict


@dataclass(frozen=True, slots=True)
class Headline:
    lever: str
    text: str


@dataclass(frozen=True, slots=True)
class CurvePoint:
    compute: float
    value: float
    lower: float
    upper: float


@dataclass(frozen=True, slots=True)
class ComputeFit:
    """quality ≈ a + b·log(compute) over the base's test-time-compute variants, and the fitted band."""

    a: float
    b: float
    se_b: float
    n: int
    df: int
    per_doubling: float
    slope_distinguishable: bool
    max_compute: float
    curve: tuple[CurvePoint, ...]


@dataclass(frozen=True, slots=True)
class ComputePoint:
    slug: str
    name: str
    compute: float
    value: float
    lower: float
    upper: float
    se: float


@dataclass(frozen=True, slots=True)
class ComputeGain:
    """A variant's compute-equivalent gain: the base needs ``multiple``× test-time compute to match it
    (``lower``/``upper`` its interval, null when unbounded); ``value``/``lower_q``/``upper_q`` its quality."""

    slug: str
    name: str
    kind: str
    recipe: str
    value: float
    lower_q: float
    upper_q: float
    se: float
    multiple: float | None
    lower: float | None
    upper: float | None
    slope_distinguishable: bool
    note: str | None
    value_display: str


@dataclass(frozen=True, slots=True)
class VariantRef:
    slug: str
    name: str


@dataclass(frozen=True, slots=True)
class HeadToHeadRow:
    """Best post-trained minus best test-time-compute variant on one kind of evidence."""

    evidence: str
    metric: str
    compute_value: float
    post_value: float
    diff: float
    lower: float | None
    upper: float | None
    p_value: float | None
    significant: bool
    favours: str | None
    detail: str
    win_prob: float | None
    compute_display: str
    post_display: str
    diff_display: str


@dataclass(frozen=True, slots=True)
class HeadToHead:
    compute: VariantRef
    post: VariantRef
    rows: tuple[HeadToHeadRow, ...] = field(default_factory=tuple)


# ---------------------------------------------------------------- decision policy


@dataclass(frozen=True, slots=True)
class PolicyView:
    """The active decision policy: quality key → weight, its version and who saved it when
    (``version`` 0 and no saver: the built-in default, used until a policy is saved)."""

    version: int
    weights: dict[str, float]
    note: str
    saved_by: str | None
    saved_at: str | None
