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


# ---------------------------------------------------------------- results (the API's and the snapshots' shape)


@dataclass(frozen=True, slots=True)
class LiftReading:
    """Treatment versus control on one metric; non-finite numbers (an unbounded one-sided end, no
    estimate) are ``None``. ``scale`` says whether the test reads ``lift`` or ``relative_lift``."""

    control: float | None
    treatment: float | None
    lift: float | None
    lift_ci: tuple[float | None, float | None]
    relative_lift: float | None
    relative_lift_ci: tuple[float | None, float | None]
    lift_se: float | None
    relative_lift_se: float | None
    scale: str
    alternative: str
    p_value: float | None
    significant: bool
    method: str
    n_control: int
    n_treatment: int
    sequential: bool
    variance_reduction: float | None
    not_enough_data: str | None
    warnings: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MetricReading:
    """One metric of one treatment arm: both analyses, which one the decision reads (``used``), the
    adjusted p-value and the flags the decision derives from it."""

    metric: str
    label: str
    kind: str
    role: str  # "primary" | "guardrail"
    arm: str
    higher_is_better: bool
    used: str  # "sequential" | "fixed"
    p_adjusted: float | None
    significant: bool
    breach: bool
    cuped: bool
    error: str
    fixed: LiftReading | None
    sequential: LiftReading | None


@dataclass(frozen=True, slots=True)
class ArmTotals:
    name: str
    variant: str
    weight: float
    is_control: bool
    exposures: int
    units: int
    requests: int
    pre_units: int


@dataclass(frozen=True, slots=True)
class InvalidTraffic:
    """Events tagged with the experiment that do not count: unknown arm, or served by another variant."""

    arm: str
    variant: str
    events: int
    units: int
    reason: str


@dataclass(frozen=True, slots=True)
class SampleRatioCheck:
    statistic: float
    p_value: float
    expected: tuple[float, ...]
    mismatch: bool


@dataclass(frozen=True, slots=True)
class SampleRatioChecks:
    exposures: SampleRatioCheck | None
    units: SampleRatioCheck | None
    mismatch: bool


@dataclass(frozen=True, slots=True)
class ArmDecision:
    verdict: str
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ExperimentDecision:
    verdict: str
    summary: str
    arms: dict[str, ArmDecision]


@dataclass(frozen=True, slots=True)
class ExperimentResults:
    """Results and the plain-words decision of an experiment, as served by the API and kept in snapshots."""

    experiment: str
    status: str
    computed_at: str
    planned_sample_per_arm: int | None
    reached_sample: bool
    alpha: float
    correction: str
    decision: ExperimentDecision
    arms: tuple[ArmTotals, ...]
    srm: SampleRatioChecks
    invalid: tuple[InvalidTraffic, ...]
    notes: tuple[str, ...]
    metrics: tuple[MetricReading, ...]


# ---------------------------------------------------------------- experiments (the API's shape)


@dataclass(frozen=True, slots=True)
class ArmSetting:
    name: str
    variant: str  # the variant's slug
    weight: float
    is_control: bool


@dataclass(frozen=True, slots=True)
class PlanBaseline:
    """The control's baseline the planned sample was computed from: a rate, or a mean with its ``sd``;
    ``source`` says where it came from; expected traffic and duration at registration."""

    kind: str  # "rate" | "mean"
    value: float
    source: str
    sd: float | None = None
    daily_units: float | None = None
    expected_days: float | None = None


@dataclass(frozen=True, slots=True)
class ExperimentSummary:
    key: str
    name: str
    hypothesis: str
    owner: str
    unit: str
    status: str
    primary_metric: str
    guardrails: tuple[str, ...]
    mde: float
    alpha: float
    power: float
    correction: str
    planned_sample_per_arm: int | None
    expected_days: float | None
    baseline: PlanBaseline | None  # None until planned (an experiment saved without its arms)
    created_at: dt.datetime
    started_at: dt.datetime | None
    stopped_at: dt.datetime | None
    arms: tuple[ArmSetting, ...]
