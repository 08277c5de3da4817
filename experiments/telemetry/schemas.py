"""Pydantic schemas of the events API (the batch is validated as a whole, see services)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, FiniteFloat, TypeAdapter, field_validator

from experiments.telemetry.buckets import MAX_LATENCY_MS  # the latency histogram covers what is accepted

MAX_BATCH_EVENTS = 5000
MAX_METADATA_BYTES = 8 * 1024  # per event, as compact JSON: metadata is for labels, not payloads
MIN_TS = datetime(2000, 1, 1, tzinfo=UTC)
MAX_TS = datetime(2100, 1, 1, tzinfo=UTC)


class EventIn(BaseModel):
    """One model call. Only event_id, timestamp and variant are required.

    Types are strict: ``"12"`` is not a number and ``"yes"`` not a boolean (a clear 400 naming the
    field rather than a guess). A plain pydantic model, not a ninja ``Schema``: Schema's Django-object root validator costs
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
    latency_ms: float | None = Field(None, ge=0, le=MAX_LATENCY_MS, allow_inf_nan=False, strict=True)
    ttft_ms: float | None = Field(None, ge=0, le=MAX_LATENCY_MS, allow_inf_nan=False, strict=True, description="time to first token")
    input_tokens: int = Field(0, ge=0, le=2_000_000_000, strict=True)
    output_tokens: int = Field(0, ge=0, le=2_000_000_000, strict=True,
                               description="tokens of the visible answer, reasoning tokens NOT included")
    reasoning_tokens: int = Field(0, ge=0, le=2_000_000_000, strict=True,
                                  description="reasoning (thinking) tokens, billed at the output price on top of output_tokens")
    cost_usd: float | None = Field(None, ge=0, le=1_000_000, allow_inf_nan=False, strict=True,
                                   description="omit to price from the variant's price table")
    samples: int = Field(1, ge=1, le=1024, strict=True,
                         description="the tokens are those of ONE of this many sampled calls the request made "
                                     "(self-consistency, best-of-n): they are multiplied by it, and so is the priced "
                                     "cost. Omit when the tokens are already the request's totals")
    finish_reason: str | None = Field(None, max_length=40)
    error_type: str | None = Field(None, min_length=1, max_length=100,
                                   description="the call failed (timeout, rate_limited, 500 …): stored as an error, "
                                               "counted in the error rate and left out of latency and cost per success")
    refused: bool | None = Field(None, strict=True, description="omit to detect from refusal_message / finish_reason / response text")
    refusal_message: str | None = Field(None, max_length=20_000,
                                        description="the API's own refusal text (OpenAI message.refusal): non-empty means refused")
    feedback: Literal["up", "down"] | None = None
    task_success: bool | None = Field(None, strict=True)
    regenerate: bool = Field(False, strict=True, description="the user pressed 'regenerate': a re-ask of the session's previous answer")
    prompt: str | None = Field(None, max_length=200_000, description="stored only when EVENTS_STORE_TEXT is on")
    response: str | None = Field(None, max_length=200_000, description="stored only when EVENTS_STORE_TEXT is on")
    scores: dict[str, FiniteFloat] = Field(default_factory=dict, description="evaluation scores by name")
    metadata: dict[str, Any] = Field(default_factory=dict,
                                     description=f"free-form JSON object, at most {MAX_METADATA_BYTES:,} bytes as JSON")

    @field_validator("metadata")
    @classmethod
    def _json_without_nan(cls, value: dict[str, Any]) -> dict[str, Any]:
        if not value:
            return value
        try:
            encoded = json.dumps(value, allow_nan=False, separators=(",", ":"))
        except ValueError:
            raise ValueError("must not contain NaN or Infinity (PostgreSQL jsonb refuses them)") from None
        if len(encoded.encode()) > MAX_METADATA_BYTES:
            raise ValueError(f"must be at most {MAX_METADATA_BYTES:,} bytes as JSON, got {len(encoded.encode()):,}")
        return value


# Text fields PostgreSQL could not store with a NUL character in them. Checked after validation by
# ``nul_errors`` (a JSON body can only carry NUL as the escape \u0000, so a body without that escape
# skips the check — it would otherwise cost a Python call per field per event).
NUL_FIELDS = ("event_id", "variant", "experiment", "arm", "unit_id", "session_id", "finish_reason", "error_type", "refusal_message",
              "prompt", "response")


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
    reasks: int | None = Field(None, description="earlier answers newly found re-asked by this batch — only when "
                                                 "re-asks are detected in the request (TELEMETRY_DEFERRED off); by "
                                                 "default the worker detects them within seconds")
    unknown_experiments: list[str] | None = Field(
        None, description="experiment keys in the batch that no registered experiment has "
                                          "(stored as sent; check the key the service sends)")
    after_stop: int | None = Field(None, description="events timed after their experiment stopped: stored without "
                                          "experiment and arm, so a stopped result never changes")


class EstimateOut(Schema):
    value: float | None = Field(description="the estimate; null without data")
    lower: float | None = Field(None, description="95% interval, lower bound")
    upper: float | None = Field(None, description="95% interval, upper bound")
    n: int = Field(0, description="observations behind it")


class ProductionVariantOut(Schema):
    variant: str
    name: str
    requests: int = Field(description="calls in the period, failed ones included")
    errors: int
    error_rate: EstimateOut = Field(description="failed calls / calls (Wilson interval)")
    latency_p50_ms: EstimateOut = Field(description="successful calls only; order-statistic interval")
    latency_p95_ms: EstimateOut
    latency_p99_ms: EstimateOut
    latency_mean_ms: EstimateOut
    ttft_mean_ms: EstimateOut
    cost_per_request_usd: EstimateOut = Field(description="per successful call (t interval)")
    cost_total_usd: float
    input_tokens: int
    output_tokens: int = Field(description="visible answer tokens; reasoning tokens counted apart")
    reasoning_tokens: int
    refusal_rate: EstimateOut = Field(description="refused / successful calls (Wilson)")
    refusals_by_signal: dict[str, int] = Field(description="client, api_refusal, finish_reason, text, judge")
    judge_calls: int = Field(0, description="answers the optional refusal judge read (TELEMETRY_REFUSAL_JUDGE)")
    judge_cost_usd: float = Field(0.0, description="what the judge's calls cost at the judging variant's prices; "
                                                   "not part of cost per request")
    reask_rate: EstimateOut = Field(description="answers re-asked / answers where a re-ask was detectable: followed by "
                                            "a call of the same user (or session) within the re-ask window (Wilson)")
    thumbs_up_rate: EstimateOut
    success_rate: EstimateOut


class PendingOut(Schema):
    events: int = Field(description="events stored whose re-asks and slice features the worker has not derived yet")
    oldest_seconds: float | None = Field(description="how long the oldest of them has waited (null: none waits)")


class ProductionOut(Schema):
    period: str
    since: datetime
    until: datetime
    experiment: str | None
    variants: list[ProductionVariantOut]
    pending: PendingOut = Field(description="the worker's backlog: re-asks of these events are not counted yet")
