"""Response and request schemas of the failure-modes API (intervals are 95%)."""

from __future__ import annotations

from ninja import Field, Schema


class SliceKey(Schema):
    dimension: str
    value: str


class ExampleOut(Schema):
    kind: str = Field(description="suite_item | judgment | event")
    id: str
    title: str
    prompt: str
    output: str
    baseline_output: str
    detail: str
    url: str


class SliceOut(Schema):
    source: str = Field(description="suites | judgments | production")
    slice: SliceKey
    metric: str = Field(description="suite_score, win_rate, refusal_rate, reask_rate, error_rate, latency_mean_ms, "
                                    "thumbs_up_rate or task_success_rate")
    suite: str | None = None
    n: int
    n_baseline: int
    estimate: float
    baseline_estimate: float
    difference: float = Field(description="variant − baseline (a fraction for scores and rates, ms for latency)")
    lower: float | None
    upper: float | None
    p_adjusted: float | None = Field(description="Benjamini–Hochberg across every slice tested; null: not tested")
    significant: bool = Field(description="a failure mode: adjusted p < alpha, worse, effect ≥ the threshold")
    higher_is_better: bool
    tested: bool
    sentence: str
    examples: list[ExampleOut]


class VariantRef(Schema):
    slug: str
    name: str


class BaselineRef(VariantRef):
    reason: str


class FailuresOut(Schema):
    computed_at: str
    variant: VariantRef
    baseline: BaselineRef
    n_tested: int
    n_flagged: int
    slices: list[SliceOut]


class DimensionOut(Schema):
    id: int
    name: str
    kind: str
    key: str
    sources: list[str]
    description: str
    active: bool
    builtin: bool
    created_at: str
    retired_at: str | None


class DimensionIn(Schema):
    name: str = Field(max_length=60)
    kind: str = Field(description="derived | suite_category | suite_tag | suite_metadata | campaign_category | "
                                  "event_attribute")
    key: str = Field("", max_length=80, description="the feature, metadata key or event attribute read")
    description: str = Field("", max_length=300)


class SliceActionIn(Schema):
    variant: str
    baseline: str
    source: str = Field(description="suites | judgments | production")
    dimension: str
    value: str
    suite: str = ""


class SliceActionOut(Schema):
    kind: str = Field(description="suite | campaign")
    slug: str
    count: int
    url: str
