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


class VerdictOut(Schema):
    computed_at: str
    quality: str
    sections: list[VerdictSectionOut]


class ReportOut(Schema):
    uuid: str
    kind: str
    title: str
    params: ReportParams
    computed_at: str
    url: str
