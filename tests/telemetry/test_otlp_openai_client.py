"""The official ``openai`` client, instrumented by ``opentelemetry-instrumentation-openai-v2``, calls the
simulator over HTTP; the OpenTelemetry SDK exports its spans to a live EvalHub over OTLP/HTTP."""

from __future__ import annotations

import pytest

from evalhub.core.services import api_key_create
from evalhub.core.world import ENDPOINT_MODELS
from experiments.telemetry.models import Event, HourlyRollup
from tests.factories import VariantFactory


@pytest.fixture
def instrumented(monkeypatch):
    from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor

    # Prompt and answer text on the span (the GenAI instrumentations' content-capture switch).
    monkeypatch.setenv("OTEL_SEMCONV_STABILITY_OPT_IN", "gen_ai_latest_experimental")
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "SPAN_ONLY")
    instrumentor = OpenAIInstrumentor()
    yield instrumentor
    instrumentor.uninstrument()


def test_openai_client_spans_become_events(live_server, transactional_db, events_cleanup, engineer, simulator,
                                           instrumented, settings):
    import openai
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    settings.EVENTS_STORE_TEXT = True
    model = next(iter(ENDPOINT_MODELS))
    variant = VariantFactory(slug="oai-client", endpoint_model=model)
    key = api_key_create(owner=engineer, name="otel", scopes=["ingest"])[1]
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(
        endpoint=f"{live_server.url}/v1/traces", headers={"x-api-key": key})))
    instrumented.instrument(tracer_provider=provider)

    client = openai.OpenAI(base_url=simulator.base_url, api_key="test")
    answer = client.chat.completions.create(model=model, messages=[{"role": "user", "content": "What is 17 * 23 + 5?"}])
    again = client.chat.completions.create(model=model, messages=[{"role": "user", "content": "what is 17*23 + 5"}])
    provider.shutdown()

    first, second = Event.objects.order_by("ts")
    assert first.variant_id == variant.id
    assert first.source == "otlp"
    assert first.prompt_text == "What is 17 * 23 + 5?"
    assert first.response_text == answer.choices[0].message.content
    assert (first.input_tokens, first.output_tokens) == (answer.usage.prompt_tokens, answer.usage.completion_tokens)
    assert first.finish_reason == "stop"
    assert not first.refused
    assert first.error_type == ""
    assert first.latency_ms > 0
    assert second.response_text == again.choices[0].message.content
    assert HourlyRollup.objects.get(variant=variant).n == 2
