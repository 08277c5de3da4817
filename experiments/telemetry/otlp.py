"""OTLP/HTTP trace receiver: ``POST /v1/traces`` turns OpenTelemetry GenAI spans into events.

A service instrumented with the OpenTelemetry SDK points its OTLP/HTTP exporter at EvalHub
(``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://host:8000/v1/traces``,
``OTEL_EXPORTER_OTLP_HEADERS=x-api-key=ehk_…``) and nothing else. Both encodings are accepted:
``application/x-protobuf`` (``ExportTraceServiceRequest``) and ``application/json`` (OTLP JSON:
hex trace/span ids, camelCase), optionally gzip-compressed.

Span → event mapping (spans without ``gen_ai.operation.name`` / model attributes are ignored):

| span | event |
| --- | --- |
| trace id + span id (hex) | event_id (so a re-exported span is a duplicate) |
| start time | timestamp; end − start → latency_ms |
| gen_ai.response.model, else gen_ai.request.model (+ gen_ai.provider.name) | variant (``VariantResolver``): exact or prefix ``ModelAlias``, then variant endpoint_model / slug, also without a date suffix; a name several variants share is rejected as ambiguous |
| gen_ai.usage.input_tokens / output_tokens / reasoning.output_tokens | tokens; output_tokens − reasoning → output_tokens (the GenAI convention counts reasoning inside output; EvalHub keeps them apart, so they are billed once) |
| gen_ai.response.finish_reasons | finish_reason: a refusal reason of any choice (content_filter, refusal …), else the first |
| gen_ai.input/output.messages, else span events gen_ai.user.message / gen_ai.choice (or gen_ai.content.prompt / .completion) | prompt / response (refusal and re-ask detection) |
| error.type, else span status ERROR | error_type: stored as a failed call (error rate; out of latency and cost per success) |
| gen_ai.conversation.id | session_id |
| user.id / enduser.id | unit_id |
| evalhub.experiment / evalhub.arm | experiment / arm |
| gen_ai.response.time_to_first_chunk (s) | ttft_ms |
| span events ``gen_ai.evaluation.result`` | scores[gen_ai.evaluation.name] = gen_ai.evaluation.score.value |

Spans whose model maps to no variant, or that fail an event limit (a prompt over 200,000
characters, …), are rejected one by one through OTLP ``partial_success`` (the rest are stored) with a
message naming the model or the field, so the exporter neither retries them forever nor loses the
others. Errors come back as a ``google.rpc.Status`` in the request's encoding. A 503 (database
unavailable) says ``Retry-After: TELEMETRY_RETRY_AFTER_SECONDS`` (default 3 s): SDK exporters then
retry at 3, 6 and 9 s, inside their 10 s export timeout, and ride out a database restart.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from google.protobuf import json_format
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from pydantic import ValidationError as PydanticValidationError

from evalhub.core.auth import authenticate_key, raw_key_from_request
from evalhub.core.errors import DomainError, Invalid, http_status
from evalhub.core.models import ApiKeyScope, ModelVariant
from experiments.telemetry import services
from experiments.telemetry.bodies import read_body
from experiments.telemetry.models import ModelAlias
from experiments.telemetry.refusal import REFUSAL_FINISH_REASONS
from experiments.telemetry.schemas import MAX_BATCH_EVENTS, EventIn, nul_errors

PROTOBUF = "application/x-protobuf"
EVALUATION_EVENT = "gen_ai.evaluation.result"


class OtlpError(Invalid):
    """The body is not an ExportTraceServiceRequest."""


def _any_value(value: Any) -> Any:
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [_any_value(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: _any_value(kv.value) for kv in value.kvlist_value.values}
    if kind == "bytes_value":
        return value.bytes_value.hex()
    return getattr(value, kind)


def _attributes(kvs: Any) -> dict[str, Any]:
    return {kv.key: _any_value(kv.value) for kv in kvs}


def _hex_ids_to_base64(node: Any) -> Any:
    """OTLP JSON carries trace/span ids as hex; protobuf's JSON parser expects base64 bytes."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key in {"traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id"} and isinstance(value, str):
                try:
                    value = base64.b64encode(bytes.fromhex(value)).decode()
                except ValueError:
                    raise OtlpError(f"{key} must be hex, got {value[:40]!r}") from None
            out[key] = _hex_ids_to_base64(value)
        return out
    if isinstance(node, list):
        return [_hex_ids_to_base64(item) for item in node]
    return node


def parse_request(body: bytes, content_type: str) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    if content_type == PROTOBUF:
        try:
            request.ParseFromString(body)
        except DecodeError as exc:
            raise OtlpError(f"body is not a valid ExportTraceServiceRequest protobuf: {exc}") from None
        return request
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        where = f" at line {exc.lineno} column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
        raise OtlpError(f"malformed JSON: {getattr(exc, 'msg', str(exc))}{where}") from None
    if not isinstance(data, dict):
        raise OtlpError("the body must be an OTLP ExportTraceServiceRequest JSON object")
    try:
        json_format.ParseDict(_hex_ids_to_base64(data), request, ignore_unknown_fields=True)
    except json_format.ParseError as exc:
        raise OtlpError(f"not an OTLP trace request: {exc}") from None
    return request


def _text_of_messages(raw: Any, role: str | None) -> str | None:
    """Text of the last message (of ``role``) in gen_ai.input/output.messages (JSON or a string)."""
    if raw is None:
        return None
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError:
            return raw
    if not isinstance(raw, list):
        return None
    for message in reversed(raw):
        if not isinstance(message, dict) or (role and message.get("role") not in {role, None}):
            continue
        if isinstance(message.get("content"), str):
            return message["content"]
        parts = [p.get("content") for p in message.get("parts", []) if isinstance(p, dict) and isinstance(p.get("content"), str)]
        if parts:
            return "\n".join(parts)
    return None


def _finish_reason(value: Any) -> str | None:
    """One finish reason from gen_ai.response.finish_reasons (an array, one per choice): a refusal
    reason if any choice has one (so refusal detection sees it), else the first."""
    if isinstance(value, list):
        reasons = [str(v) for v in value if v]
        if not reasons:
            return None
        return next((r for r in reasons if r.lower() in REFUSAL_FINISH_REASONS), reasons[0])
    return str(value) if value else None


def _message_content(raw: Any) -> str | None:
    """The text of a message given as a string, a JSON string or a dict with content / parts."""
    if isinstance(raw, str):
        try:
            parsed = json.loads(raw)
        except json.JSONDecodeError:
            return raw
        raw = parsed
    if isinstance(raw, str):
        return raw
    if isinstance(raw, dict):
        if isinstance(raw.get("content"), str):
            return raw["content"]
        if isinstance(raw.get("message"), dict | str):
            return _message_content(raw["message"])
        parts = [p.get("content") for p in raw.get("parts", []) if isinstance(p, dict) and isinstance(p.get("content"), str)]
        return "\n".join(parts) if parts else None
    if isinstance(raw, list):
        return _text_of_messages(raw, None)
    return None


# Span events that carry prompt and answer text (OpenTelemetry GenAI instrumentations put them on
# the span as events when content capture is on): the current names and the older ones.
_PROMPT_EVENTS = {"gen_ai.user.message": "content", "gen_ai.content.prompt": "gen_ai.prompt"}
_ANSWER_EVENTS = {"gen_ai.choice": "message", "gen_ai.assistant.message": "content",
                  "gen_ai.content.completion": "gen_ai.completion"}


def _text_of_span_events(events: Any) -> tuple[str | None, str | None, str | None]:
    """(last user prompt, first answer, the answer's finish reason) from a span's events."""
    prompt = answer = finish = None
    for event in events:
        if event.name in _PROMPT_EVENTS:
            attrs = _attributes(event.attributes)
            text = _message_content(attrs.get(_PROMPT_EVENTS[event.name]))
            if event.name == "gen_ai.content.prompt" and text is not None:
                text = _text_of_messages(attrs.get("gen_ai.prompt"), "user") or text
            prompt = text if text is not None else prompt
        elif event.name in _ANSWER_EVENTS and answer is None:
            attrs = _attributes(event.attributes)
            answer = _message_content(attrs.get(_ANSWER_EVENTS[event.name]))
            if attrs.get("finish_reason"):
                finish = str(attrs["finish_reason"])
    return prompt, answer, finish


# A release date at the end of a model name: -2026-11-01, -20261101, @20261101, -2026-11, -1101.
_DATE_SUFFIX = re.compile(r"[-@_](?:\d{4}-\d{2}-\d{2}|\d{8}|\d{4}-\d{2}|\d{4})$")


class AmbiguousModel(Exception):
    """Several variants claim one model name (their endpoint_model or slug): a model alias must decide."""

    def __init__(self, model: str, slugs: list[str]) -> None:
        self.model, self.slugs = model, slugs
        super().__init__(f"ambiguous model '{model}': variants {', '.join(slugs)} share it; add a model alias")


class VariantResolver:
    """Model name (+ provider) → variant slug.

    For the response model, then the request model (when the response model maps to nothing):
    an exact ModelAlias (provider-specific, then any provider), the longest prefix alias, then the
    variant whose endpoint_model or slug is the name, then the same for the name without a date
    suffix (``acme-70b-2026-11-01`` → ``acme-70b``). A name claimed by several variants raises
    ``AmbiguousModel`` instead of picking one.
    """

    def __init__(self) -> None:
        self.aliases: dict[tuple[str, str], str] = {}
        self.prefixes: list[tuple[str, str, str]] = []  # (provider, prefix, slug), longest prefix first
        for alias in ModelAlias.objects.select_related("variant"):
            if alias.is_prefix:
                self.prefixes.append((alias.provider, alias.model_name, alias.variant.slug))
            else:
                self.aliases[(alias.provider, alias.model_name)] = alias.variant.slug
        self.prefixes.sort(key=lambda p: (-len(p[1]), p[0] == ""))
        self.by_model: dict[str, list[str]] = {}
        for slug, endpoint_model in ModelVariant.objects.values_list("slug", "endpoint_model").order_by("id"):
            for name in {slug, endpoint_model} - {""}:
                self.by_model.setdefault(name, []).append(slug)

    def ambiguous(self) -> dict[str, list[str]]:
        """Model names several variants claim and no alias settles (to report to admins)."""
        return {name: slugs for name, slugs in self.by_model.items()
                if len(set(slugs)) > 1 and not any(m == name for (_, m) in self.aliases)}

    def _one(self, provider: str, model: str) -> str | None:
        slug = self.aliases.get((provider, model)) or self.aliases.get(("", model))
        if slug:
            return slug
        for alias_provider, prefix, prefix_slug in self.prefixes:
            if model.startswith(prefix) and alias_provider in {provider, ""}:
                return prefix_slug
        for name in (model, _DATE_SUFFIX.sub("", model)):
            slugs = sorted(set(self.by_model.get(name, ())))
            if len(slugs) > 1:
                raise AmbiguousModel(name, slugs)
            if slugs:
                return slugs[0]
        return None

    def resolve(self, provider: str, model: str, request_model: str | None = None) -> str | None:
        """The variant of a call; ``AmbiguousModel`` when the name fits several and no alias decides."""
        slug = self._one(provider, model) if model else None
        if slug is None and request_model and request_model != model:
            slug = self._one(provider, request_model)
        return slug


@dataclass
class SpanBatch:
    events: list[dict[str, Any]] = field(default_factory=list)
    rejected: int = 0
    problems: list[str] = field(default_factory=list)


def spans_to_events(request: ExportTraceServiceRequest, resolver: VariantResolver) -> SpanBatch:
    batch = SpanBatch()
    for resource_spans in request.resource_spans:
        resource = _attributes(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                attrs = _attributes(span.attributes)
                response_model = attrs.get("gen_ai.response.model")
                request_model = attrs.get("gen_ai.request.model")
                model = response_model or request_model
                if not (attrs.get("gen_ai.operation.name") or model):
                    continue  # not a GenAI call (HTTP, DB … spans of the same service)
                provider = str(attrs.get("gen_ai.provider.name") or attrs.get("gen_ai.system") or "")
                try:
                    slug = attrs.get("evalhub.variant") or (
                        resolver.resolve(provider, str(response_model or ""), str(request_model or "")) if model else None)
                except AmbiguousModel as exc:
                    batch.rejected += 1
                    batch.problems.append(str(exc))
                    continue
                if not slug:
                    batch.rejected += 1
                    batch.problems.append(f"unknown model '{model}' (provider '{provider}'): add a model alias")
                    continue
                batch.events.append(_span_event(span, attrs, resource, str(slug), provider, model))
    return batch


def _int_attr(attrs: dict[str, Any], key: str) -> int:
    value = attrs.get(key)
    try:
        return max(0, int(value)) if value is not None else 0
    except (TypeError, ValueError):
        return 0


_STATUS_CODE_ERROR = 2  # opentelemetry.proto.trace.v1.Status.STATUS_CODE_ERROR


def _error_type(span: Any, attrs: dict[str, Any]) -> str | None:
    """A failed call: ``error.type`` (the GenAI convention: exception class or HTTP status, e.g. a
    client timeout), else span status ERROR; None for a call that succeeded."""
    error = attrs.get("error.type")
    if error:
        return str(error)[:100]
    if span.status.code == _STATUS_CODE_ERROR:
        return "error"
    return None


def _span_event(span: Any, attrs: dict[str, Any], resource: dict[str, Any], slug: str, provider: str, model: Any) -> dict[str, Any]:
    start, end = span.start_time_unix_nano, span.end_time_unix_nano
    finish = _finish_reason(attrs.get("gen_ai.response.finish_reasons"))
    prompt_text = _text_of_messages(attrs.get("gen_ai.input.messages"), "user")
    response_text = _text_of_messages(attrs.get("gen_ai.output.messages"), None)
    if prompt_text is None or response_text is None:
        event_prompt, event_response, event_finish = _text_of_span_events(span.events)
        prompt_text = prompt_text if prompt_text is not None else event_prompt
        response_text = response_text if response_text is not None else event_response
        finish = finish or event_finish
    scores: dict[str, float] = {}
    for event in span.events:
        if event.name != EVALUATION_EVENT:
            continue
        ev = _attributes(event.attributes)
        name, value = ev.get("gen_ai.evaluation.name"), ev.get("gen_ai.evaluation.score.value")
        if name and isinstance(value, int | float):
            scores[str(name)[:100]] = float(value)
    ttft = attrs.get("gen_ai.response.time_to_first_chunk")
    reasoning = min(_int_attr(attrs, "gen_ai.usage.reasoning.output_tokens"), _int_attr(attrs, "gen_ai.usage.output_tokens"))
    event = {
        "event_id": (span.trace_id.hex() + span.span_id.hex()) or f"span-{start}",
        "timestamp": datetime.fromtimestamp(start / 1e9, tz=UTC) if start else datetime.now(UTC),
        "variant": slug,
        "experiment": attrs.get("evalhub.experiment"),
        "arm": attrs.get("evalhub.arm"),
        "unit_id": attrs.get("user.id") or attrs.get("enduser.id"),
        "session_id": attrs.get("gen_ai.conversation.id"),
        "latency_ms": (end - start) / 1e6 if end >= start > 0 else None,
        "ttft_ms": float(ttft) * 1000 if isinstance(ttft, int | float) and ttft >= 0 else None,
        "input_tokens": _int_attr(attrs, "gen_ai.usage.input_tokens"),
        # The GenAI convention counts reasoning tokens INSIDE output tokens; EvalHub's (events API,
        # suites, price table) keeps them apart: output_tokens = visible answer only.
        "output_tokens": max(0, _int_attr(attrs, "gen_ai.usage.output_tokens") - reasoning),
        "reasoning_tokens": reasoning,
        "finish_reason": str(finish)[:40] if finish else None,
        "error_type": _error_type(span, attrs),
        "prompt": prompt_text,
        "response": response_text,
        "scores": scores,
        "metadata": {k: v for k, v in {
            "operation": attrs.get("gen_ai.operation.name"), "provider": provider or None, "model": model,
            "service": resource.get("service.name"), "span_name": span.name,
        }.items() if v is not None},
    }
    for key in ("experiment", "arm", "unit_id", "session_id"):
        if event[key] is not None:
            event[key] = str(event[key])[:200]
    return event


def _valid_events(batch: SpanBatch) -> list[EventIn]:
    """The batch's events that pass validation; each invalid span is rejected alone (counted in
    ``partial_success`` with the field named), so one bad span never costs the exporter the rest."""
    valid = []
    for event in batch.events:
        try:
            item = EventIn.model_validate(event)
        except PydanticValidationError as exc:
            error = services.pydantic_errors(exc.errors())[0]
            batch.rejected += 1
            batch.problems.append(f"span {event['event_id']}: {error['field']}: {error['message']}")
            continue
        problems = nul_errors([item])
        if problems:
            batch.rejected += 1
            batch.problems.append(f"span {event['event_id']}: {problems[0]['field']}: {problems[0]['message']}")
            continue
        valid.append(item)
    return valid


def _otlp_response(content_type: str, batch: SpanBatch, status: int = 200) -> HttpResponse:
    message = ExportTraceServiceResponse()
    if batch.rejected:
        message.partial_success.rejected_spans = batch.rejected
        message.partial_success.error_message = "; ".join(sorted(set(batch.problems))[:5])
    if content_type == PROTOBUF:
        return HttpResponse(message.SerializeToString(), content_type=PROTOBUF, status=status)
    return JsonResponse(json_format.MessageToDict(message), status=status)


# gRPC status codes for the HTTP statuses the receiver answers with (google.rpc.Code).
_GRPC_CODES = {400: 3, 401: 16, 403: 7, 404: 5, 405: 12, 413: 8, 415: 3, 429: 8, 503: 14}


def _status_protobuf(code: int, message: str) -> bytes:
    """A serialised google.rpc.Status {code = 1, message = 2} (two fields: encoded here rather than
    pulling in googleapis-common-protos)."""
    def varint(n: int) -> bytes:
        out = bytearray()
        while True:
            byte, n = n & 0x7F, n >> 7
            out.append(byte | (0x80 if n else 0))
            if not n:
                return bytes(out)

    text = message.encode()
    return b"\x08" + varint(code) + b"\x12" + varint(len(text)) + text


def _error(content_type: str, status: int, message: str) -> HttpResponse:
    """An OTLP error: a google.rpc.Status in the request's encoding (protobuf for protobuf requests,
    JSON otherwise; the JSON form also carries our usual "detail")."""
    code = _GRPC_CODES.get(status, 2)
    if content_type == PROTOBUF:
        return HttpResponse(_status_protobuf(code, message), content_type=PROTOBUF, status=status)
    return JsonResponse({"detail": message, "code": code, "message": message}, status=status)


def _receiver_info(request: HttpRequest) -> HttpResponse:
    """GET: how to point an exporter here (admins only; exporters only ever POST)."""
    from evalhub.core.models import Role
    from evalhub.core.roles import has_role

    if not request.user.is_authenticated:
        return _error("", 401, "authentication required: send an API key (x-api-key header or Authorization: Bearer)")
    if not has_role(request.user, Role.ADMIN):
        return _error("", 403, "OTLP export needs an API key with the ingest scope")
    response = JsonResponse({
        "detail": "OTLP/HTTP trace receiver: POST ExportTraceServiceRequest (protobuf or JSON) here",
        "endpoint": request.build_absolute_uri(), "auth": "x-api-key: <ingest key> or Authorization: Bearer <key>",
        "model_aliases": ModelAlias.objects.count(),
        "ambiguous_models": VariantResolver().ambiguous(),
    })
    response["Allow"] = "POST"
    return response


@csrf_exempt
def traces_post(request: HttpRequest) -> HttpResponse:
    """Receive an OTLP/HTTP ExportTraceServiceRequest (API key with the ingest scope)."""
    content_type = request.content_type or ""
    if request.method != "POST":
        if request.method in {"GET", "HEAD"} and not raw_key_from_request(request):
            return _receiver_info(request)
        response = _error(content_type, 405, "use POST")
        response["Allow"] = "POST"
        return response
    try:
        key = authenticate_key(raw_key_from_request(request))  # before the body is read: a bad key costs nothing
        if key is None:
            return _error(content_type, 401, "authentication required: send an API key (x-api-key header or Authorization: Bearer)")
        if ApiKeyScope.INGEST not in key.scopes:
            return _error(content_type, 403, "this API key lacks the 'ingest' scope")
        if content_type not in {PROTOBUF, "application/json"}:
            return _error(content_type, 415, f"Content-Type must be {PROTOBUF} or application/json, got '{content_type}'")
        body = read_body(request)
        batch = spans_to_events(parse_request(body, content_type), VariantResolver())
        valid = _valid_events(batch)
        for start in range(0, len(valid), MAX_BATCH_EVENTS):
            services.events_ingest(events=valid[start:start + MAX_BATCH_EVENTS], source="otlp",
                                   defer=settings.TELEMETRY_DEFERRED)
    except services.IngestValidationError as exc:
        return _error(content_type, http_status(exc), f"invalid spans, nothing stored: {exc}")
    except DomainError as exc:  # answered in OTLP's own format (a google.rpc.Status), not ErrorOut
        return _error(content_type, http_status(exc), exc.message)
    except (OperationalError, InterfaceError):
        # Exporters retry 503 with backoff; the retry is deduplicated by span id.
        response = _error(content_type, 503, "database unavailable; nothing was stored, retry")
        response["Retry-After"] = str(settings.TELEMETRY_RETRY_AFTER_SECONDS)
        return response
    return _otlp_response(content_type, batch)


traces_post.required_roles = ("api-key:ingest",)  # type: ignore[attr-defined]  # read by the role-coverage test


__all__ = ["traces_post", "parse_request", "spans_to_events", "VariantResolver"]
