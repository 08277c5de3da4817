"""``POST /api/v1/events``: batches of production events (API key with the ingest scope).

The body is read here rather than by ninja so that an oversized body is 413 before it is read,
malformed JSON is 400 naming line and column, and a batch over 5,000 events is 413 — all JSON.
The OpenAPI schema still documents the body (``openapi_extra``), so clients and the schemathesis
fuzz test see it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja import Router, Status
from pydantic import ValidationError

from evalhub.core.auth import INGEST_AUTH, READ_AUTH
from evalhub.core.errors import FieldError, Invalid, TooLarge
from evalhub.core.schemas import ErrorOut
from evalhub.stats import Estimate
from experiments.telemetry import selectors, services
from experiments.telemetry.bodies import read_body
from experiments.telemetry.schemas import (
    EVENT_BATCH,
    MAX_BATCH_EVENTS,
    EventBatchIn,
    EventIn,
    IngestOut,
    ProductionOut,
)

router = Router()


def _inline_schema(model: type) -> dict[str, Any]:
    """The model's JSON schema with its ``$defs`` inlined (OpenAPI has no ``$defs`` section)."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if ref and ref.startswith("#/$defs/"):
                return walk(defs[ref.rsplit("/", 1)[1]])
            return {key: walk(value) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    return walk(schema)


BATCH_BODY = {"required": True, "content": {"application/json": {"schema": _inline_schema(EventBatchIn)}}}


def parse_batch(body: bytes) -> list[EventIn]:
    """Parse and validate ``{"events": [...]}`` (or a bare list) in one pass of pydantic's JSON parser
    (no intermediate dicts: this is most of the request's Python time).

    Raises ``Invalid`` for malformed JSON (line and column) or a body of the wrong shape, ``TooLarge``
    past ``MAX_BATCH_EVENTS``; ``IngestValidationError`` listing each invalid event by index and field.
    """
    bare_list = body.lstrip()[:1] == b"["
    try:
        return EVENT_BATCH.validate_json(body) if bare_list else EventBatchIn.model_validate_json(body).events
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
    # Locations relative to the event list ("events" dropped from the object form).
    errors = [dict(err, loc=err["loc"] if bare_list else err["loc"][1:]) for err in errors]
    for err in errors:
        loc = err["loc"]
        if err["type"] == "json_invalid":
            message = f"malformed JSON: {err.get('ctx', {}).get('error') or err['msg']}"
            raise Invalid(message, errors=[FieldError("body", message)])
        if not loc and err["type"] == "too_long":
            message = f"at most {MAX_BATCH_EVENTS} events per batch; split the batch"
            raise TooLarge(message, errors=[FieldError("events", message)])
        if not loc:
            message = {"too_short": "the batch is empty"}.get(err["type"], 'a list of events is required')
            raise Invalid('the body must be {"events": [...]}', errors=[FieldError("events", message)])
    raise services.IngestValidationError(services.pydantic_errors(errors))


@router.post(
    "/events", auth=INGEST_AUTH, summary="Ingest a batch of production events",
    response={200: IngestOut, 400: ErrorOut, 413: ErrorOut, 415: ErrorOut},
    openapi_extra={"requestBody": BATCH_BODY}, exclude_unset=True,
)
def events_post(request: HttpRequest) -> Status:
    """Store up to 5,000 events. All or nothing: one invalid event rejects the batch (400, listing
    each bad event by index and field). Events already stored (same event_id) are skipped and
    counted as duplicates, so retrying a batch is always safe."""
    body = read_body(request)
    result = services.events_ingest(events=parse_batch(body), source="api", check_nul=b"\\u0000" in body,
                                    defer=settings.TELEMETRY_DEFERRED)
    out: dict[str, Any] = {"accepted": result.accepted, "duplicates": result.duplicates}
    if result.reasks is not None:  # detected in the request only with TELEMETRY_DEFERRED off
        out["reasks"] = result.reasks
    # Reported only when the batch had such events, so the usual answer stays two counts.
    if result.unknown_experiments:
        out["unknown_experiments"] = list(result.unknown_experiments)
    if result.after_stop:
        out["after_stop"] = result.after_stop
    return Status(200, out)


def _estimate(e: Estimate) -> dict[str, Any]:
    return {"value": e.value, "lower": e.lower, "upper": e.upper, "n": e.n}


@router.get("/production", auth=READ_AUTH, summary="Production metrics per variant for a period",
            response={200: ProductionOut, 400: ErrorOut})
def production_get(request: HttpRequest, period: str = selectors.DEFAULT_PERIOD, experiment: str | None = None) -> Status:
    """Per variant over a period (``24h``, ``7d``, ``30d``, ``90d``, ending at the next full hour),
    optionally one experiment's traffic: the production page's figures with their 95 % intervals."""
    if period not in selectors.PERIODS:
        raise Invalid(f"must be one of {', '.join(selectors.PERIODS)}, got '{period[:40]}'", "period")
    if experiment is not None and not 0 < len(experiment) <= 100:
        raise Invalid("1–100 characters", "experiment")
    span = selectors.period_for(period)
    rows = selectors.variant_metrics(period=span, experiment_key=experiment)
    pending = selectors.pending_work()
    return Status(200, {
        "period": span.key, "since": span.since, "until": span.until, "experiment": experiment,
        "pending": {"events": pending.events, "oldest_seconds": pending.oldest_seconds},
        "variants": [{
            "variant": r.slug, "name": r.name, "requests": r.n, "errors": r.errors, "error_rate": _estimate(r.error_rate),
            "latency_p50_ms": _estimate(r.latency_p50), "latency_p95_ms": _estimate(r.latency_p95),
            "latency_p99_ms": _estimate(r.latency_p99), "latency_mean_ms": _estimate(r.latency_mean),
            "ttft_mean_ms": _estimate(r.ttft_mean), "cost_per_request_usd": _estimate(r.cost_per_request),
            "cost_total_usd": r.cost_total, "input_tokens": r.input_tokens, "output_tokens": r.output_tokens,
            "reasoning_tokens": r.reasoning_tokens, "refusal_rate": _estimate(r.refusal_rate),
            "refusals_by_signal": r.refusal_sources, "reask_rate": _estimate(r.reask_rate),
            "judge_calls": r.judge_calls, "judge_cost_usd": r.judge_cost,
            "thumbs_up_rate": _estimate(r.thumbs_up_rate), "success_rate": _estimate(r.success_rate),
        } for r in rows],
    })
