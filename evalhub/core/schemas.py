from __future__ import annotations

from decimal import Decimal

from ninja import Schema
from pydantic import Field


class VariantOut(Schema):
    slug: str
    name: str
    family: str
    base_model: str
    parameter_count: int
    pretraining_tokens: int | None
    post_training: str
    test_time_strategy: str
    samples_n: int
    reasoning_budget_tokens: int | None
    uses_retrieval: bool
    uses_tools: bool
    price_input_per_mtok: Decimal
    price_output_per_mtok: Decimal
    improvement_kind: str
    compute_multiplier: float
    judge_variant: str | None = Field(default=None, validation_alias="judge_variant_slug")
    request_options: dict = {}


class VariantCreatedOut(VariantOut):
    warnings: list[str] = Field(default_factory=list, description="e.g. the endpoint key variable is not set")


class VariantIn(Schema):
    slug: str = Field(min_length=1, max_length=80, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    name: str = Field(min_length=1, max_length=120)
    description: str = ""
    family: str = Field(min_length=1, max_length=80)
    base_model: str = Field(min_length=1, max_length=120)
    parameter_count: int = Field(gt=0)
    pretraining_tokens: int | None = Field(default=None, gt=0)
    post_training: str = "none"
    test_time_strategy: str = "greedy"
    samples_n: int = Field(default=1, ge=1)
    reasoning_budget_tokens: int | None = Field(default=None, gt=0)
    temperature: float = Field(default=0.0, ge=0.0)
    uses_retrieval: bool = False
    uses_tools: bool = False
    price_input_per_mtok: Decimal = Field(default=Decimal("0"), ge=0)
    price_output_per_mtok: Decimal = Field(default=Decimal("0"), ge=0)
    endpoint_base_url: str = ""
    endpoint_model: str = ""
    endpoint_api_key_env: str = ""
    judge_variant: str | None = Field(default=None, description="slug of the variant that picks best-of-n samples")
    request_options: dict = Field(default_factory=dict, description="which parameters the request body carries, "
                                  "reasoning fields, extra_body, images (see README: Request options)")


class MeOut(Schema):
    username: str
    roles: list[str]


class FieldErrorOut(Schema):
    field: str | None = Field(description="the input at fault (e.g. body.payload.parameter_count); null when no "
                              "single field is")
    message: str
    index: int | None = Field(None, description="the event's position in a batch, for an error about one event")
    line: int | None = Field(None, description="the line of an uploaded file, for an error about one line")


class ErrorOut(Schema):
    """Every error body (4xx, 503): ``detail`` in words, ``errors`` naming each field at fault (at least one)."""

    detail: str
    errors: list[FieldErrorOut] = Field(min_length=1)

