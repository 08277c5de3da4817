"""Pydantic schemas of the events API (the batch is validated as a whole, see services)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, FiniteFloat, TypeAdapter, field_validator

MAX_BATCH_EVENTS = 5000
MIN_TS = datetime(2000, 1, 1, tzinfo=UTC)
MAX_TS = datetime(2100, 1, 1, tzinfo=UTC)


class EventIn(BaseModel):
    """One model call. Only event_id, timestamp and variant are required.

    A plain pydantic model, not a ninja ``Schema``: Schema's Django-object root validator costs
    ~20x more per event, which matters at 20k events/s.
    """

    model_config = ConfigDict(extra="forbid")

    event_id: str = Field(min_length=1, max_length=128, description="client-made unique id; resending it is harmless")
    timestamp: AwareDatetime = Field(ge=MIN_TS, le=MAX_TS, description="when the call started, ISO 8601 with a time zone")
    variant: str = Field(min_length=1, max_length=80, description="the ModelVariant slug")
    experiment: str | None = Field(None, max_length=100, description="A/B experiment key, if the call is in one")
    arm: str | None = Field(None, max_length=100, description="the experiment arm (needs experiment)")
    unit_id: str | None = Field(None, max_length=200, description="the randomisation unit, usually the user id")
    session_id: str | None = Field(None, max_length=200, description="session / conversation id")
    latency_ms: float | None = Field(None, ge=0, le=86_400_000, allow_inf_nan=False)
    ttft_ms: float | None = Field(None, ge=0, le=86_400_000, allow_inf_nan=False, description="time to first token")
    input_tokens: int = Field(0, ge=0, le=2_000_000_000)
    output_tokens: int = Field(0, ge=0, le=2_000_000_000)
    reasoning_tokens: int = Field(0, ge=0, le=2_000_000_000)
    cost_usd: float | None = Field(None, ge=0, le=1_000_000, allow_inf_nan=False, description="omit to price from the variant's price table")
    finish_reason: str | None = Field(None, max_length=40)
    refused: bool | None = Field(None, description="omit to detect from finish_reason / response text")
    feedback: Literal["up", "down"] | None = None
    task_success: bool | None = None
    regenerate: bool = Field(False, description="the user pressed 'regenerate': a re-ask of the session's previous answer")
    prompt: str | None = Field(None, max_length=200_000, description="stored only when EVENTS_STORE_TEXT is on")
    response: str | None = Field(None, max_length=200_000, description="stored only when EVENTS_STORE_TEXT is on")
    scores: dict[str, FiniteFloat] = Field(default_factory=dict, description="evaluation scores by name")
    metadata: dict[str, Any] = Field(default_factory=dict)

    @field_validator("metadata")
    @classmethod
    def _json_without_nan(cls, value: dict[str, Any]) -> dict[str, Any]:
        if not value:
            return value
        try:
            json.dumps(value, allow_nan=False)
        except ValueError:
            raise ValueError("must not contain NaN or Infinity (PostgreSQL jsonb refuses them)") from None
        return value


# Text fields PostgreSQL could not store with a NUL character in them. Checked after validation by
# ``nul_errors`` (a JSON body can only carry NUL as the escape \u0000, so a body without that escape
# skips the check — it would otherwise cost a Python call per field per event).
NUL_FIELDS = ("event_id", "variant", "experiment", "arm", "unit_id", "session_id", "finish_reason", "prompt",
              "response")


def nul_errors(items: list[EventIn]) -> list[dict[str, Any]]:
    """Errors (index, field, message) for every NUL character in a text field, score name or metadata."""
    errors = []
    for index, item in enumerate(items):
        for name in NUL_FIELDS:
            value = getattr(item, name)
            if value is not None and "\x00" in value:
                errors.append({"index": index, "field": name, "message": "must not contain NUL (\\u0000) characters"})
        if any("\x00" in name for name in item.scores):
            errors.append({"index": index, "field": "scores", "message": "score names must not contain NUL characters"})
        if item.metadata and "\\u0000" in json.dumps(item.metadata):
            errors.append({"index": index, "field": "metadata",
                           "message": "must not contain NUL (\\u0000) characters (PostgreSQL jsonb refuses them)"})
    return errors


# One batch, as the API accepts it: either the value of "events" or a bare JSON array.
EventBatch = Annotated[list[EventIn], Field(min_length=1, max_length=MAX_BATCH_EVENTS)]


class EventBatchIn(BaseModel):
    events: EventBatch


EVENT_BATCH = TypeAdapter(EventBatch)
EVENT_LIST = TypeAdapter(list[EventIn])


class IngestOut(Schema):
    accepted: int = Field(description="events stored now")
    duplicates: int = Field(description="events whose event_id was already stored (or repeated in the batch)")
    reasks: int = Field(0, description="earlier answers newly found re-asked by this batch")
    unknown_experiments: list[str] | None = Field(
        None, description="experiment keys in the batch that no registered experiment has "
                                          "(stored as sent; check the key the service sends)")
    after_stop: int | None = Field(None, description="events timed after their experiment stopped: stored without "
                                          "experiment and arm, so a stopped result never changes")


class ErrorItem(Schema):
    index: int | None = None
    field: str
    message: str


class ErrorOut(Schema):
    detail: str
    errors: list[ErrorItem] = []
