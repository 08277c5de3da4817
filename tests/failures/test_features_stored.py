"""Derived features are stored when rows are written: suite items (import), judging comparisons, events."""

from __future__ import annotations

import json

import pytest

from evalhub.text.features import derive_features
from experiments.suites import services as suites_services
from experiments.telemetry.models import Event
from experiments.telemetry.services import events_ingest, partitions_ensure
from judging.models import Comparison
from tests.factories import VariantFactory
from tests.judging.factories import active_campaign
from tests.telemetry.factories import BASE_TIME, event

pytestmark = pytest.mark.django_db

LONG_CHAT = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"},
             {"role": "user", "content": "more"}, {"role": "assistant", "content": "sure"},
             {"role": "user", "content": "Fix:\n```py\nprint(1)\n```"}]


def test_imported_suite_items_carry_their_features() -> None:
    text = "\n".join(json.dumps(row) for row in [
        {"id": "a", "input": "Short question?", "target": "x"},
        {"id": "b", "input": LONG_CHAT, "target": "y"},
    ])
    version = suites_services.suite_import(slug="feat", text=text)
    items = {i.external_id: i for i in version.items.all()}
    assert items["a"].features == derive_features("Short question?", turns=1)
    assert items["b"].features == derive_features("Fix:\n```py\nprint(1)\n```", turns=3)


def test_comparisons_carry_their_prompts_features() -> None:
    campaign = active_campaign(n_variants=2, n_prompts=2)
    for comparison in Comparison.objects.filter(campaign=campaign).select_related("prompt"):
        text = comparison.prompt.first_user_text
        assert comparison.features == derive_features(text, turns=1)


def test_events_carry_their_prompts_features_and_metadata_turns() -> None:
    variant = VariantFactory(slug="feat-v")
    partitions_ensure(start=BASE_TIME.date())
    events_ingest(events=[event(variant.slug, prompt="What changed?", metadata={"turns": 5, "route": "chat"}),
                          event(variant.slug)])
    stored = list(Event.objects.filter(variant_id=variant.pk).order_by("event_id"))
    with_prompt = next(e for e in stored if e.metadata.get("turns") == 5)
    assert with_prompt.features == derive_features("What changed?", turns=5)
    assert next(e for e in stored if e is not with_prompt).features == {}


def test_the_api_stores_events_at_once_and_their_features_when_the_worker_drains(ingest_client, settings) -> None:
    """The events API leaves slice features to the worker: one pending row for the batch's events with a prompt,
    written with the events; the beat task derives them, and a drain that fails keeps its rows for the next one."""
    from experiments.telemetry import services, tasks
    from experiments.telemetry.models import PendingBatch

    assert settings.TELEMETRY_DEFERRED
    assert not settings.EVENTS_STORE_TEXT
    variant = VariantFactory(slug="feat-api")
    partitions_ensure(start=BASE_TIME.date())
    events = [event(variant.slug, prompt="¿Cómo exporto mis datos a CSV?", metadata={"turns": 2}, tag="es"),
              event(variant.slug, prompt="print(1) fails with SyntaxError: what now?", tag="code"),
              event(variant.slug, tag="no-prompt")]
    response = ingest_client.post("/api/v1/events", json.dumps({"events": events}), content_type="application/json")
    assert response.status_code == 200, response.content
    stored = {e.event_id: e for e in Event.objects.filter(variant_id=variant.pk)}
    assert len(stored) == 3
    assert all(e.features == {} for e in stored.values())  # answered before any feature was derived
    assert all(e.prompt_text is None for e in stored.values())
    pending = [json.loads(p.events) for p in PendingBatch.objects.all()]
    assert len(pending) == 1  # one row for the batch
    assert sorted(item[0] for item in pending[0]) == sorted(e["event_id"] for e in events[:2])

    def broken(prompt, *, turns=None):
        raise RuntimeError("worker killed mid-drain")

    original = services.derive_features
    services.derive_features = broken
    try:
        with pytest.raises(RuntimeError):
            services.pending_drain()
    finally:
        services.derive_features = original
    assert PendingBatch.objects.count() == 1  # rolled back: nothing lost

    assert tasks.pending_drain_task.apply().get() == 2  # the beat task, run in this process
    stored = {e.event_id: e for e in Event.objects.filter(variant_id=variant.pk)}
    assert stored[events[0]["event_id"]].features == derive_features("¿Cómo exporto mis datos a CSV?", turns=2)
    assert stored[events[0]["event_id"]].features["language"] == "es"
    assert stored[events[1]["event_id"]].features["contains_code"] == "yes"
    assert stored[events[2]["event_id"]].features == {}
    assert PendingBatch.objects.count() == 0
    assert tasks.pending_drain_task.apply().get() == 0

    # The same batch again (a client retry): duplicates, nothing pending.
    again = ingest_client.post("/api/v1/events", json.dumps({"events": events}), content_type="application/json")
    assert again.json()["duplicates"] == 3
    assert PendingBatch.objects.count() == 0


def test_inline_features_when_deferral_is_off(ingest_client, settings) -> None:
    settings.TELEMETRY_DEFERRED = False
    variant = VariantFactory(slug="feat-inline")
    partitions_ensure(start=BASE_TIME.date())
    response = ingest_client.post("/api/v1/events", json.dumps({"events": [event(variant.slug, prompt="What changed?")]}),
                                  content_type="application/json")
    assert response.status_code == 200, response.content
    assert Event.objects.get(variant_id=variant.pk).features == derive_features("What changed?")
