"""``import_suite`` / ``run_suite`` commands and the demo data."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from evalhub.core.demo import DemoWorld, build_core
from experiments.suites import demo, selectors
from experiments.suites.models import Run, RunStatus, Suite
from tests.factories import VariantFactory

pytestmark = pytest.mark.django_db


def test_import_then_run_inline_with_progress(tmp_path, simulator, capsys):
    path = tmp_path / "math.jsonl"
    path.write_text("\n".join(json.dumps({"id": f"m{i}", "input": f"Compute {i} * 3 + 2.", "target": str(i * 3 + 2)})
                              for i in range(5)))
    call_command("import_suite", str(path), "--suite", "cli-math", "--grader", '{"type": "numeric"}')
    assert Suite.objects.get(slug="cli-math").versions.get().item_count == 5
    VariantFactory(slug="cli-variant", endpoint_model="acme-70b")
    call_command("run_suite", "cli-math", "--variant", "cli-variant", "--inline", "--concurrency", "2")
    out = capsys.readouterr().out
    assert "5/5" in out
    assert "mean score" in out
    run = Run.objects.get(version__suite__slug="cli-math")
    assert run.status == RunStatus.DONE
    assert run.n_done == 5
    assert simulator.request_count == 5


def test_commands_report_bad_input(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"input": "x", "target": "1", "grader": {"type": "numeric"}}\n{"oops": 1}\n')
    with pytest.raises(CommandError, match="line 2"):
        call_command("import_suite", str(path), "--suite", "bad")
    with pytest.raises(CommandError, match="suite"):
        call_command("run_suite", "missing", "--variant", "x")


def test_demo_builds_three_suites_with_a_run_per_variant():
    world = DemoWorld(scale=0.25)
    build_core(world)
    demo.build(world)
    demo.build(world)  # idempotent
    assert set(Suite.objects.values_list("slug", flat=True)) == {"arithmetic", "json-extraction", "assistant"}
    runs = Run.objects.select_related("variant", "version__suite")
    assert runs.count() == 3 * len(world.variants)
    assert all(r.status == RunStatus.DONE for r in runs)
    means = {(r.version.suite.slug, r.variant.slug): selectors.run_summary(r).overall.mean for r in runs}
    for suite in ("arithmetic", "json-extraction"):
        assert means[(suite, "acme-7b-sc16")] >= means[(suite, "acme-7b-sc4")] >= means[(suite, "acme-7b")]
        assert means[(suite, "acme-7b-think-8k")] >= means[(suite, "acme-7b-think-1k")]
        assert means[(suite, "acme-7b-dpo")] >= means[(suite, "acme-7b")]
    sc16 = runs.get(version__suite__slug="arithmetic", variant__slug="acme-7b-sc16")
    base = runs.get(version__suite__slug="arithmetic", variant__slug="acme-7b")
    assert sc16.tokens_total > 10 * base.tokens_total
    assert sc16.cost_total > 10 * base.cost_total
