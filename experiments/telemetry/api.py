"""``POST /api/v1/events``: batches of production events (API key with the ingest scope).

The body is read here rather than by ninja so that an oversized body is 413 before it is read,
malformed JSON is 400 naming line and column, and a batch over 5,000 events is 413 — all JSON.
The OpenAPI schema still documents the body (``openapi_extra``), so clients and the schemathesis
fuzz test see it.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from evalhub.core.auth import ApiKeyAuth
from experiments.telemetry import services
from experiments.telemetry.bodies import BodyError, read_body
from experiments.telemetry.schemas import MAX_BATCH_EVENTS, EventBatchIn, ErrorOut, IngestOut

router = Router()

INGEST_AUTH = [ApiKeyAuth("ingest")]


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


def _error(status: int, detail: str, errors: list[dict] | None = None) -> Status:
    return Status(status, {"detail": detail, "errors": errors or []})


@router.post(
    "/events", auth=INGEST_AUTH, summary="Ingest a batch of production events",
    response={200: IngestOut, 400: ErrorOut, 413: ErrorOut, 415: ErrorOut},
    openapi_extra={"requestBody": BATCH_BODY},
)
def events_post(request: HttpRequest) -> Status:
    """Store up to 5,000 events. All or nothing: one invalid event rejects the batch (400, listing
    each bad event by index and field). Events already stored (same event_id) are skipped and
    counted as duplicates, so retrying a batch is always safe."""
    try:
        body = read_body(request)
    except BodyError as exc:
        return _error(exc.status, exc.message, [{"field": "body", "message": exc.message}])
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        where = f" at line {exc.lineno} column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
        message = f"malformed JSON: {getattr(exc, 'msg', str(exc))}{where}"
        return _error(400, message, [{"field": "body", "message": message}])
    events = data.get("events") if isinstance(data, dict) else data
    if not isinstance(events, list):
        return _error(400, "the body must be {\"events\": [...]}", [{"field": "events", "message": "a list of events is required"}])
    if len(events) > MAX_BATCH_EVENTS:
        message = f"at most {MAX_BATCH_EVENTS} events per batch, got {len(events)}; split the batch"
        return _error(413, message, [{"field": "events", "message": message}])
    try:
        result = services.events_ingest(events=events, source="api")
    except services.IngestValidationError as exc:
        errors = [{"index": e["index"], "field": f"events.{e['index']}.{e['field']}" if e["index"] is not None else e["field"],
                   "message": e["message"]} for e in exc.errors]
        return _error(400, f"invalid batch, nothing stored: {exc}", errors)
    return Status(200, {"accepted": result.accepted, "duplicates": result.duplicates, "reasks": result.reasks})
