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
