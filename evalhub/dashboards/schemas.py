"""Response schemas of the leadership API (numbers as in the pages; intervals are 95%)."""

from __future__ import annotations

from ninja import Schema

from evalhub.dashboards.read_models import (
    ComputeFit,
    ComputeGain,
    ComputePoint,
    ExperimentEntry,
    FrontierPoint,
    Headline,
    HeadToHead,
    PolicyView,
    ReportParams,
    ReportPeriod,
    ScorecardRow,
    SuiteRef,
)


class ScorecardOut(Schema):
    computed_at: str
    period: ReportPeriod
    suites: list[SuiteRef]
    rows: list[ScorecardRow]
    experiments: list[ExperimentEntry]


class FrontierOut(Schema):
    computed_at: str
    quality: str
    axis: str
    points: list[FrontierPoint]
    frontier: list[str]
    missing: list[str]
    caption: str


class VerdictSectionOut(Schema):
    base_model: str
    headline: Headline
    caption: str
    head_to_head_caption: str
    points: list[ComputePoint]
    fit: ComputeFit | None
    fit_problem: str | None
    gains: list[ComputeGain]
    head_to_head: HeadToHead | None


class IntervalOut(Schema):
    value: float
    se: float
    lower: float
    upper: float


class LevelDiffOut(IntervalOut):
    """A difference (``value``, variant − base) with the two levels and where they come from."""

    source: str
    variant_value: float
    base_value: float


class PerCostOut(Schema):
    """Quality per extra dollar (or second). ``kind``: ratio | cheaper (a finite figure with Fieller's
    interval) | dominates | free | unbounded (no finite figure; ``ratio``/``lower``/``upper`` null)."""

    kind: str
    ratio: float | None
    lower: float | None
    upper: float | None
    se: float | None


class ComponentOut(Schema):
    key: str
    label: str
    weight: float
    share: float
    value: float
    base_value: float
    diff: float
    se: float
    lower: float
    upper: float
    n: int | None


class CostDiffOut(LevelDiffOut):
    """Extra dollars per 1,000 ``unit`` (requests from production, suite items from suite token costs)."""

    unit: str


class OverallRowOut(Schema):
    slug: str
    name: str
    lever: str
    components: list[ComponentOut]
    missing: list[str]
    gain: IntervalOut | None
    cost: CostDiffOut | None
    latency: LevelDiffOut | None
    per_dollar: PerCostOut | None
    per_second: PerCostOut | None


class ComparisonOut(Schema):
    a: str
    b: str
    decided: bool
    winner: str | None
    multiplier: float | None


class EvidenceCountOut(Schema):
    votes: int
    items: int
    requests: int


class OverallSectionOut(Schema):
    base_model: str
    base_slug: str
    headline: Headline
    rows: list[OverallRowOut]
    comparison: ComparisonOut | None
    evidence: EvidenceCountOut


class VerdictOut(Schema):
    computed_at: str
    quality: str
    policy: PolicyView
    overall: list[OverallSectionOut]
    sections: list[VerdictSectionOut]


class PolicyIn(Schema):
    weights: dict[str, float]
    note: str = ""


class PolicyOut(Schema):
    """A decision policy version (``version`` 0: the built-in default, nothing saved yet)."""

    version: int
    weights: dict[str, float]
    note: str
    saved_by: str | None
    saved_at: str | None


class ReportOut(Schema):
    uuid: str
    kind: str
    title: str
    params: ReportParams
    computed_at: str
    url: str
