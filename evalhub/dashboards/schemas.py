"""Response schemas of the leadership API (numbers as in the pages; intervals are 95%)."""

from __future__ import annotations

from ninja import Schema


class ScorecardOut(Schema):
    computed_at: str
    period: dict
    suites: list[dict]
    rows: list[dict]
    experiments: list[dict]


class FrontierOut(Schema):
    computed_at: str
    quality: str
    axis: str
    points: list[dict]
    frontier: list[str]
    missing: list[str]
    caption: str


class VerdictSectionOut(Schema):
    base_model: str
    headline: dict
    caption: str
    head_to_head_caption: str
    points: list[dict]
    fit: dict | None
    fit_problem: str | None
    gains: list[dict]
    head_to_head: dict | None


class VerdictOut(Schema):
    computed_at: str
    quality: str
    sections: list[VerdictSectionOut]


class ReportOut(Schema):
    uuid: str
    kind: str
    title: str
    params: dict
    computed_at: str
    url: str
