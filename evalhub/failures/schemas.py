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


class ShareOut(Schema):
    """Confident wrong answers among wrong ones, with the Wilson 95% interval (null with no wrong answer)."""

    n_wrong: int
    confident: int
    share: float | None
    lower: float | None
    upper: float | None


class ConfidentSliceOut(ShareOut):
    slice: SliceKey


class ReliabilityBinOut(Schema):
    lower: float
    upper: float
    n: int
    mean_confidence: float | None
    accuracy: float | None = Field(description="null for an empty bin")
    accuracy_lower: float | None
    accuracy_upper: float | None


class CalibrationOut(Schema):
    """``evalhub.stats.calibration.expected_calibration_error`` of the stated confidences."""

    n: int
    binning: str
    level: float
    ece: float
    ece_lower: float
    ece_upper: float
    ece_if_calibrated: float
    p_calibrated: float
    rmsce: float
    rmsce_lower: float
    rmsce_upper: float
    mean_confidence: float
    accuracy: float
    bins: list[ReliabilityBinOut]


class ConfidentWrongOut(ShareOut):
    variant: VariantRef
    suite: str | None
    n_answers: int
    by_slice: list[ConfidentSliceOut]
    n_stated_confidence: int = Field(description="answers that state a confidence (\"Confidence: 80%\")")
    calibration: CalibrationOut | None = Field(description="null below 20 answers stating a confidence")
