"""Pydantic schemas of the experiments API."""

from __future__ import annotations

from typing import Literal

from ninja import Schema
from pydantic import ConfigDict, Field


class ArmIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    variant: str = Field(min_length=1, max_length=80, description="ModelVariant slug")
    weight: float = Field(1.0, description="allocation weight (>= 0; normalised over the arms)")
    is_control: bool = False


class ExperimentIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    key: str = Field(min_length=1, max_length=80, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    hypothesis: str = ""
    unit: Literal["user", "session"] = "user"
    arms: list[ArmIn] = Field(min_length=2, max_length=10)
    primary_metric: str
    guardrails: list[str] = Field(default_factory=list, max_length=12)
    mde: float = Field(0.05, gt=0, le=10, description="minimum detectable effect RELATIVE to control (0.05 = 5%)")
    alpha: float = Field(0.05, gt=0, lt=0.5)
    power: float = Field(0.8, ge=0.5, lt=1)
    correction: Literal["holm", "bh"] = "holm"


class ArmsIn(Schema):
    arms: list[ArmIn] = Field(min_length=2, max_length=10)


class AssignmentOut(Schema):
    experiment: str
    unit_id: str
    arm: str
    variant: str = Field(description="the ModelVariant slug to serve")
    is_control: bool
    status: str
    stopped: bool = Field(description="true when the experiment is stopped: the unit keeps the arm it was exposed "
                                      "to (the control if never exposed) and its events no longer count")
    exposed: bool = Field(description="an exposure was recorded (running experiments, ingest keys only)")


class MetricOut(Schema):
    key: str
    label: str
    kind: str
    direction: str
    description: str


