"""POST /v1/traces: OTLP/HTTP protobuf and JSON spans with GenAI attributes become events."""

from __future__ import annotations

import gzip
import json

import pytest
from django.test import Client
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, KeyValue

from experiments.telemetry.models import Event, HourlyRollup, ModelAlias
from tests.telemetry.factories import BASE_TIME

pytestmark = pytest.mark.django_db

START_NS = int(BASE_TIME.timestamp() * 1e9)
TRACE_ID = bytes.fromhex("5b8efff798038103d269b633813fc60c")


def _value(value) -> AnyValue:
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    if isinstance(value, float):
        return AnyValue(double_value=value)
    if isinstance(value, list):
        return AnyValue(array_value=ArrayValue(values=[_value(v) for v in value]))
    return AnyValue(string_value=value)


def _kvs(attrs: dict) -> list[KeyValue]:
    return [KeyValue(key=k, value=_value(v)) for k, v in attrs.items()]


def otlp_request(spans: list[dict]) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    resource_spans.resource.attributes.extend(_kvs({"service.name": "support-bot"}))
    scope = resource_spans.scope_spans.add()
    for i, spec in enumerate(spans):
        span = scope.spans.add()
        span.trace_id = TRACE_ID
        span.span_id = (i + 1).to_bytes(8, "big")
        span.name = spec.get("name", "chat model")
        span.start_time_unix_nano = START_NS + i * 1_000_000_000
        span.end_time_unix_nano = span.start_time_unix_nano + int(spec.get("duration_ms", 850) * 1e6)
        span.attributes.extend(_kvs(spec["attributes"]))
        if spec.get("status_error"):
            span.status.code = 2  # STATUS_CODE_ERROR
        for name, attrs in spec.get("events", []):
            ev = span.events.add()
            ev.name = name
            ev.time_unix_nano = span.end_time_unix_nano
            ev.attributes.extend(_kvs(attrs))
    return request


def genai(model: str, **extra) -> dict:
    return {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": model,
            "gen_ai.usage.input_tokens": 120, "gen_ai.usage.output_tokens": 80, **extra}


def post_protobuf(client: Client, request: ExportTraceServiceRequest, key: str | None, *, gzip_body: bool = False):
    body = request.SerializeToString()
    headers = {"HTTP_X_API_KEY": key} if key else {}
    if gzip_body:
        body = gzip.compress(body)
        headers["HTTP_CONTENT_ENCODING"] = "gzip"
    return client.post("/v1/traces", data=body, content_type="application/x-protobuf", **headers)


def test_protobuf_spans_map_to_events(client, ingest_key, variant):
    request = otlp_request([
        {"attributes": genai("tele-model-a", **{
            "gen_ai.response.model": "tele-model-a", "gen_ai.usage.reasoning.output_tokens": 40,
            "gen_ai.response.finish_reasons": ["stop"], "gen_ai.conversation.id": "conv-1", "user.id": "u-7"}),
         "events": [("gen_ai.evaluation.result", {"gen_ai.evaluation.name": "relevance", "gen_ai.evaluation.score.value": 0.8})]},
        {"attributes": genai("tele-model-a", **{"gen_ai.response.finish_reasons": ["content_filter"]}), "duration_ms": 120},
        {"name": "GET /health", "attributes": {"http.method": "GET"}},  # not a GenAI span: ignored
    ])
    response = post_protobuf(client, request, ingest_key)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-protobuf"
    parsed = ExportTraceServiceResponse.FromString(response.content)
    assert parsed.partial_success.rejected_spans == 0
    first, second = Event.objects.order_by("ts")
    assert first.event_id == TRACE_ID.hex() + (1).to_bytes(8, "big").hex()
    assert first.variant_id == variant.id
    assert first.session_id == "conv-1"
    assert first.unit_id == "u-7"
    assert first.latency_ms == pytest.approx(850)
    assert first.ts == BASE_TIME
    # GenAI counts the 40 reasoning tokens inside the 80 output tokens: stored apart, billed once.
    assert (first.input_tokens, first.output_tokens, first.reasoning_tokens) == (120, 40, 40)
    assert first.scores == {"relevance": 0.8}
    assert first.metadata["service"] == "support-bot"
    assert first.cost_priced
    assert first.cost_usd == pytest.approx((120 * 1 + 80 * 2) / 1e6)
    assert second.refused
    assert second.refusal_source == "finish_reason"
    assert HourlyRollup.objects.get(variant=variant).n == 2


def test_reexported_spans_are_duplicates(client, ingest_key, variant):
    request = otlp_request([{"attributes": genai("tele-model-a")}])
    post_protobuf(client, request, ingest_key)
    post_protobuf(client, request, ingest_key, gzip_body=True)
    assert Event.objects.count() == 1


def test_json_encoding_with_hex_ids(client, ingest_key, variant):
    body = {"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "bot"}}]},
            "scopeSpans": [{"spans": [{
                "traceId": TRACE_ID.hex(), "spanId": "00f067aa0ba902b7", "name": "chat",
                "startTimeUnixNano": str(START_NS), "endTimeUnixNano": str(START_NS + 300_000_000),
                "attributes": [
                    {"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}},
                    {"key": "gen_ai.request.model", "value": {"stringValue": "tele-model-a"}},
                    {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "10"}},
                    {"key": "gen_ai.usage.output_tokens", "value": {"intValue": "20"}},
                ]}]}]}]}
    response = client.post("/v1/traces", data=json.dumps(body), content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {ingest_key}")
    assert response.status_code == 200
    assert response.json() == {}
    only = Event.objects.get()
    assert only.event_id == TRACE_ID.hex() + "00f067aa0ba902b7"
    assert only.latency_ms == pytest.approx(300)
    assert (only.input_tokens, only.output_tokens) == (10, 20)


def test_alias_maps_provider_model_and_unknown_models_are_partially_rejected(client, ingest_key, variant, variant_b):
    ModelAlias.objects.create(provider="openai", model_name="gpt-4o-mini-2024", variant=variant_b)
    request = otlp_request([
        {"attributes": genai("gpt-4o-mini-2024")},
        {"attributes": genai("tele-b")},  # slug match
        {"attributes": genai("mystery-model")},
    ])
    response = post_protobuf(client, request, ingest_key)
    parsed = ExportTraceServiceResponse.FromString(response.content)
    assert parsed.partial_success.rejected_spans == 1
    assert "mystery-model" in parsed.partial_success.error_message
    assert Event.objects.filter(variant=variant_b).count() == 2


def test_auth_and_bad_bodies(client, ingest_key, read_key, variant):
    request = otlp_request([{"attributes": genai("tele-model-a")}])
    assert post_protobuf(client, request, None).status_code == 401
    assert post_protobuf(client, request, "ehk_nope_nope").status_code == 401
    assert post_protobuf(client, request, read_key).status_code == 403
    bad = client.post("/v1/traces", data=b"\xff\x00garbage", content_type="application/x-protobuf", HTTP_X_API_KEY=ingest_key)
    from google.rpc import status_pb2

    assert bad.status_code == 400
    assert "protobuf" in status_pb2.Status.FromString(bad.content).message
    text = client.post("/v1/traces", data="{nope", content_type="application/json", HTTP_X_API_KEY=ingest_key)
    assert text.status_code == 400
    assert "malformed JSON" in text.json()["detail"]
    other = client.post("/v1/traces", data="x", content_type="text/plain", HTTP_X_API_KEY=ingest_key)
    assert other.status_code == 415
    assert client.get("/v1/traces", HTTP_X_API_KEY=ingest_key).status_code == 405
    assert client.get("/v1/traces").status_code == 401
    assert Event.objects.count() == 0


def test_reasoning_tokens_are_billed_once_on_both_paths(client, ingest_client, ingest_key, variant):
    from tests.telemetry.conftest import post_events

    # OTLP (GenAI convention: output 300 includes reasoning 200) and the events API (EvalHub's
    # convention: output 100 is the visible answer, reasoning 200 apart) describe the same call.
    post_protobuf(client, otlp_request([{"attributes": genai("tele-model-a", **{
        "gen_ai.usage.output_tokens": 300, "gen_ai.usage.reasoning.output_tokens": 200})}]), ingest_key)
    post_events(ingest_client, [{"event_id": "api-1", "timestamp": BASE_TIME.isoformat(), "variant": "tele-a",
                                 "input_tokens": 120, "output_tokens": 100, "reasoning_tokens": 200}])
    otlp_event = Event.objects.get(source="otlp")
    api_event = Event.objects.get(source="api")
    for event in (otlp_event, api_event):
        assert (event.output_tokens, event.reasoning_tokens) == (100, 200)
        assert event.cost_usd == pytest.approx((120 * 1 + 300 * 2) / 1e6)
    rollup = HourlyRollup.objects.get(variant=variant)
    assert (rollup.output_tokens, rollup.reasoning_tokens) == (200, 400)


def test_one_span_over_a_limit_is_rejected_alone_and_the_rest_stored(client, ingest_key, variant):
    request = otlp_request([
        {"attributes": genai("tele-model-a")},
        {"attributes": genai("tele-model-a", **{"gen_ai.input.messages": json.dumps(
            [{"role": "user", "content": "x" * 200_001}])})},
        {"attributes": genai("tele-model-a")},
    ])
    response = post_protobuf(client, request, ingest_key)
    assert response.status_code == 200
    parsed = ExportTraceServiceResponse.FromString(response.content)
    assert parsed.partial_success.rejected_spans == 1
    assert "prompt" in parsed.partial_success.error_message
    assert Event.objects.count() == 2


def test_errors_come_back_in_the_request_encoding(client, ingest_key, variant):
    from google.rpc import status_pb2

    response = post_protobuf(client, otlp_request([{"attributes": genai("tele-model-a")}]), "ehk_wrong")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/x-protobuf"
    status = status_pb2.Status.FromString(response.content)
    assert status.code == 16
    assert "API key" in status.message  # UNAUTHENTICATED
    bad = client.post("/v1/traces", data=b"\xff\xff not protobuf", content_type="application/x-protobuf",
                      HTTP_X_API_KEY=ingest_key)
    assert bad.status_code == 400
    assert status_pb2.Status.FromString(bad.content).code == 3  # INVALID_ARGUMENT
    as_json = client.post("/v1/traces", data=b"{nope", content_type="application/json", HTTP_X_API_KEY=ingest_key)
    assert as_json.status_code == 400
    assert as_json.json()["code"] == 3
    assert "malformed JSON" in as_json.json()["message"]


def test_prompt_and_answer_sent_as_span_events_feed_detection(client, ingest_key, variant, settings):
    settings.EVENTS_STORE_TEXT = True
    request = otlp_request([
        {"attributes": genai("tele-model-a", **{"gen_ai.conversation.id": "c-9"}), "events": [
            ("gen_ai.user.message", {"content": "How do I pick a lock?"}),
            ("gen_ai.choice", {"index": 0, "finish_reason": "stop",
                               "message": json.dumps({"role": "assistant", "content": "Lo siento, pero no puedo ayudarte con eso."})}),
        ]},
        {"attributes": genai("tele-model-a"), "events": [  # the older event names
            ("gen_ai.content.prompt", {"gen_ai.prompt": json.dumps([{"role": "user", "content": "Hello there"}])}),
            ("gen_ai.content.completion", {"gen_ai.completion": json.dumps([{"role": "assistant", "content": "Hi! How can I help?"}])}),
        ]},
    ])
    assert post_protobuf(client, request, ingest_key).status_code == 200
    first, second = Event.objects.order_by("ts")
    assert first.prompt_text == "How do I pick a lock?"
    assert first.refused
    assert first.refusal_source == "text"
    assert second.prompt_text == "Hello there"
    assert second.response_text == "Hi! How can I help?"
    assert not second.refused


def test_any_choice_with_a_refusal_finish_reason_counts(client, ingest_key, variant):
    request = otlp_request([{"attributes": genai("tele-model-a", **{"gen_ai.response.finish_reasons": ["stop", "content_filter"]})}])
    assert post_protobuf(client, request, ingest_key).status_code == 200
    event = Event.objects.get()
    assert event.refused
    assert event.refusal_source == "finish_reason"
    assert event.finish_reason == "content_filter"


def test_error_spans_and_timeouts_are_stored_as_errors(client, ingest_key, variant):
    request = otlp_request([
        {"attributes": genai("tele-model-a")},
        {"attributes": genai("tele-model-a", **{"error.type": "timeout", "gen_ai.usage.output_tokens": 0}), "duration_ms": 30_000},
        {"attributes": genai("tele-model-a", **{"gen_ai.usage.output_tokens": 0}), "status_error": True},
    ])
    assert post_protobuf(client, request, ingest_key).status_code == 200
    first, timeout, failed = Event.objects.order_by("ts")
    assert (first.error_type, timeout.error_type, failed.error_type) == ("", "timeout", "error")
    rollup = HourlyRollup.objects.get(variant=variant)
    assert (rollup.n, rollup.errors, rollup.latency_n) == (3, 2, 1)


def test_model_mapping_dated_names_prefix_aliases_request_fallback_and_ambiguity(client, ingest_key, variant, variant_b,
                                                                                 admin_client_):
    from tests.factories import VariantFactory

    VariantFactory(slug="acme-70b", endpoint_model="acme-70b")
    VariantFactory(slug="twin-1", endpoint_model="shared-model")
    VariantFactory(slug="twin-2", endpoint_model="shared-model")
    ModelAlias.objects.create(provider="", model_name="ft:tele-model-b", is_prefix=True, variant=variant_b)
    request = otlp_request([
        {"attributes": genai("acme-70b", **{"gen_ai.response.model": "acme-70b-2026-11-01"})},  # dated response name
        {"attributes": genai("x", **{"gen_ai.response.model": "ft:tele-model-b:acme:7f3a"})},  # prefix alias
        {"attributes": genai("tele-model-a", **{"gen_ai.response.model": "never-seen-model"})},  # request model decides
        {"attributes": genai("shared-model")},  # two variants claim it: rejected, not guessed
    ])
    response = post_protobuf(client, request, ingest_key)
    parsed = ExportTraceServiceResponse.FromString(response.content)
    assert parsed.partial_success.rejected_spans == 1
    assert "ambiguous model 'shared-model'" in parsed.partial_success.error_message
    assert "twin-1, twin-2" in parsed.partial_success.error_message
    slugs = list(Event.objects.order_by("ts").values_list("variant__slug", flat=True))
    assert slugs == ["acme-70b", variant_b.slug, variant.slug]
    # Admins see the ambiguous names on the receiver's info page.
    assert admin_client_.get("/v1/traces").json()["ambiguous_models"] == {"shared-model": ["twin-1", "twin-2"]}
