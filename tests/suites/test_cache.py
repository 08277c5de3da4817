"""A re-run calls only what changed: outputs are reused by (item, variant request), then graded again."""

from __future__ import annotations

import json

import pytest

from experiments.suites import exports, services
from experiments.suites.models import Run, RunResult, RunStatus
from tests.factories import VariantFactory

pytestmark = pytest.mark.django_db


def suite(n: int, changed: int | None = None) -> str:
    return "".join(json.dumps({"id": f"q{i}", "input": f"What is {i} * 7{' + 1' if i == changed else ''}?",
                               "target": str(i * 7 + (1 if i == changed else 0)), "grader": {"type": "numeric"}}) + "\n"
                   for i in range(n))


def run_inline(version, variant, **kwargs) -> Run:
    run = services.run_start(version=version, variant=variant, concurrency=2, **kwargs)
    Run.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
    services.run_chunk(run_id=run.pk)
    run.refresh_from_db()
    return run


def test_rerun_reuses_outputs_and_calls_only_changed_items(simulator):
    variant = VariantFactory(endpoint_model="acme-70b")
    v1 = services.suite_import(slug="cached", text=suite(6))
    first = run_inline(v1, variant)
    assert simulator.request_count == 6
    assert first.status == RunStatus.DONE
    again = run_inline(v1, variant)
    assert simulator.request_count == 6
    assert again.status == RunStatus.DONE
    assert again.n_done == 6
    pairs = {r.item_id: r for r in RunResult.objects.filter(run=first)}
    exported = [json.loads(x) for x in exports.results_jsonl(again)]
    assert [r["cached"] for r in exported] == [True] * 6
    for row in RunResult.objects.filter(run=again):
        assert row.cached
        assert row.output == pairs[row.item_id].output
        assert row.score == pairs[row.item_id].score
        assert row.cost_usd == pairs[row.item_id].cost_usd
        assert row.attempts == 0
    v2 = services.suite_import(slug="cached", text=suite(6, changed=2))  # v1 is locked: a new version
    assert v2.number == 2
    third = run_inline(v2, variant)
    assert simulator.request_count == 7
    assert RunResult.objects.filter(run=third, cached=False).count() == 1
    assert RunResult.objects.get(run=third, cached=False).item.external_id == "q2"


def test_a_changed_variant_setting_or_no_cache_calls_again(simulator):
    version = services.suite_import(slug="cached2", text=suite(4))
    variant = VariantFactory(endpoint_model="acme-7b", temperature=0.0)
    run_inline(version, variant)
    assert simulator.request_count == 4
    run_inline(version, variant, use_cache=False)
    assert simulator.request_count == 8
    variant.temperature = 0.7
    variant.save(update_fields=["temperature"])
    run_inline(version, variant)
    assert simulator.request_count == 12


def test_cached_outputs_are_graded_with_the_current_grader(simulator):
    variant = VariantFactory(endpoint_model="acme-70b")
    version = services.suite_import(slug="regrade", text=suite(3))
    run_inline(version, variant)
    version.items.update(grader={"type": "char_count", "max": 1})  # every output is longer than one character
    again = run_inline(version, variant)
    assert simulator.request_count == 3
    assert all(r.cached and r.score == 0.0 and "characters" in r.explanation
               for r in RunResult.objects.filter(run=again))
