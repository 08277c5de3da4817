"""Pages: list/detail/run/compare/chart/import/launch/recorded/grading, roles and query ceilings."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from experiments.suites import charts, selectors, services
from experiments.suites.models import HumanGrade, Run, RunResult, RunStatus, Suite
from tests.factories import VariantFactory
from tests.suites.factories import make_version

pytestmark = pytest.mark.django_db


def finished_run(version, variant, passes: list[bool]) -> Run:
    run = Run.objects.create(version=version, variant=variant, status=RunStatus.RUNNING, n_items=len(passes))
    items = list(version.items.order_by("position"))
    RunResult.objects.bulk_create([
        RunResult(run=run, item=item, output=f"**The answer is** {i}", score=1.0 if ok else 0.0, passed=ok,
                  explanation="x", input_tokens=10, output_tokens=20, cost_usd="0.00001", latency_ms=100.0)
        for i, (item, ok) in enumerate(zip(items, passes, strict=False))])
    return services.run_finalize(run_id=run.pk)


def test_list_page_query_ceiling(viewer_client, django_assert_max_num_queries):
    for i in range(4):
        version = make_version(3, slug=f"s{i}")
        finished_run(version, VariantFactory(), [True, False, True])
    with django_assert_max_num_queries(8):
        response = viewer_client.get(reverse("suites:list"))
    assert response.status_code == 200
    assert b"s3" in response.content


def test_suite_detail_and_run_page(engineer_client, django_assert_max_num_queries):
    version = make_version(6, groups=True)
    run = finished_run(version, VariantFactory(), [True, False, True, True, False, True])
    response = engineer_client.get(reverse("suites:detail", args=[version.suite.slug]))
    assert response.status_code == 200
    assert b"q5" in response.content
    with django_assert_max_num_queries(16):
        response = engineer_client.get(reverse("suites:run", args=[run.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "clustered by group" in body
    assert "<strong>The answer is</strong>" in body  # model output through the markdown filter
    progress = engineer_client.get(reverse("suites:run_progress", args=[run.pk])).json()
    assert progress["n_done"] == 6
    assert progress["status"] == "done"


def test_model_output_is_sanitised(engineer_client):
    version = make_version(2)
    run = finished_run(version, VariantFactory(), [True, True])
    RunResult.objects.filter(run=run).update(output="<script>alert(1)</script>hello")
    body = engineer_client.get(reverse("suites:run", args=[run.pk])).content.decode()
    assert "<script>alert(1)" not in body
    assert "hello" in body


def test_compare_page_and_selector():
    version = make_version(8)
    a = finished_run(version, VariantFactory(), [True] * 8)
    b = finished_run(version, VariantFactory(), [True, False, True, False, True, False, True, True])
    cmp = selectors.run_compare(a, b)
    assert cmp.n == 8
    assert (cmp.mean_a, cmp.mean_b) == (1.0, 5 / 8)
    assert cmp.paired.mean_diff == pytest.approx(3 / 8)
    assert cmp.paired.lower < 3 / 8 < cmp.paired.upper
    assert (cmp.mcnemar.b, cmp.mcnemar.c) == (3, 0)
    assert cmp.mcnemar.exact
    assert [f.item.external_id for f in cmp.flips] == ["q1", "q3", "q5"]


def test_compare_page_renders(viewer_client):
    version = make_version(4)
    a = finished_run(version, VariantFactory(), [True] * 4)
    b = finished_run(version, VariantFactory(), [False, True, True, True])
    response = viewer_client.get(reverse("suites:run_compare", args=[a.pk]), {"other": b.pk})
    assert response.status_code == 200
    assert b"McNemar" in response.content
    assert b"q0" in response.content
    other_version = make_version(4)
    c = finished_run(other_version, VariantFactory(), [True] * 4)
    assert viewer_client.get(reverse("suites:run_compare", args=[a.pk]), {"other": c.pk}).status_code == 404


def test_chart_figure_and_page(viewer_client):
    version = make_version(4)
    cheap = VariantFactory(slug="cheap")
    finished_run(version, cheap, [True, False, True, False])
    finished_run(version, VariantFactory(slug="sc4", test_time_strategy="self_consistency", samples_n=4),
                 [True, True, True, False])
    points = selectors.version_frontier(version)
    fig = charts.score_vs_cost(points, title="t").to_dict()
    names = {trace["name"] for trace in fig["data"]}
    assert names == {"greedy", "self_consistency"}
    assert fig["layout"]["xaxis"]["type"] == "log"
    greedy = next(t for t in fig["data"] if t["name"] == "greedy")
    assert list(greedy["y"]) == [0.5]
    assert list(greedy["text"]) == ["cheap"]
    response = viewer_client.get(reverse("suites:chart", args=[version.suite.slug]))
    assert response.status_code == 200
    assert b"plotly.min.js" in response.content
    assert b"suite-chart-data" in response.content


def test_import_form_creates_version_and_rejects_bad_file(engineer_client):
    good = "\n".join(json.dumps({"input": f"Compute {i} + 1.", "target": str(i + 1)}) for i in range(3))
    response = engineer_client.post(reverse("suites:import"), {"slug": "math", "format": "auto",
                                                               "default_grader": '{"type": "numeric"}', "content": good})
    assert response.status_code == 302
    assert Suite.objects.get(slug="math").versions.get().item_count == 3
    bad = good + '\n{"input": "x", "target": "1", "grader": {"type": "bogus"}}'
    response = engineer_client.post(reverse("suites:import"), {"slug": "math2", "format": "auto", "content": bad})
    assert response.status_code == 200
    assert "line 4: grader.type" in response.content.decode()
    assert not Suite.objects.filter(slug="math2").exists()


def test_launch_form_starts_runs(engineer_client, django_capture_on_commit_callbacks, monkeypatch):
    version = make_version(3)
    variants = [VariantFactory(), VariantFactory()]
    sent = []
    monkeypatch.setattr("experiments.suites.tasks.run_dispatch_task.delay", lambda **kw: sent.append(kw))
    with django_capture_on_commit_callbacks(execute=True):
        response = engineer_client.post(reverse("suites:launch", args=[version.suite.slug]),
                                        {"version": 1, "variants": [v.pk for v in variants], "concurrency": 4})
    assert response.status_code == 302
    assert Run.objects.filter(version=version).count() == 2
    assert len(sent) == 2
    version.refresh_from_db()
    assert version.locked
    response = engineer_client.post(reverse("suites:launch", args=[version.suite.slug]), {"version": 1, "concurrency": 0})
    assert response.status_code == 200
    assert Run.objects.count() == 2


def test_cancel_and_resume_buttons(engineer_client, viewer_client, monkeypatch):
    monkeypatch.setattr("experiments.suites.tasks.run_dispatch_task.delay", lambda **kw: None)
    version = make_version(2)
    run = Run.objects.create(version=version, variant=VariantFactory(), status=RunStatus.RUNNING, n_items=2)
    assert viewer_client.post(reverse("suites:run_cancel", args=[run.pk])).status_code == 403
    engineer_client.post(reverse("suites:run_resume", args=[run.pk]))
    engineer_client.post(reverse("suites:run_cancel", args=[run.pk]))
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED


def test_recorded_output_import_grades_without_endpoint(engineer_client):
    version = make_version(3)
    variant = VariantFactory()
    lines = [{"id": "q0", "output": "The answer is 13.", "output_tokens": 5, "latency_ms": 30},
             {"id": "q1", "output": "It is 99.", "input_tokens": 3}]
    response = engineer_client.post(reverse("suites:recorded", args=[version.suite.slug]),
                                    {"version": 1, "variant": variant.pk,
                                     "content": "\n".join(json.dumps(x) for x in lines)})
    assert response.status_code == 302
    run = Run.objects.get(version=version, source="recorded")
    assert run.status == RunStatus.DONE
    assert run.n_done == 3
    scores = dict(run.results.values_list("item__external_id", "score"))
    assert scores == {"q0": 1.0, "q1": 0.0, "q2": 0.0}
    assert "no recorded output" in run.results.get(item__external_id="q2").error
    bad = engineer_client.post(reverse("suites:recorded", args=[version.suite.slug]),
                               {"version": 1, "variant": variant.pk, "content": '{"id": "nope", "output": "x"}'})
    assert "line 1: id" in bad.content.decode()
    assert Run.objects.filter(version=version).count() == 1


def test_reviewer_grades_pending_items(reviewer_client, engineer_client, simulator):
    version = make_version(2, grader={"type": "human", "rubric": "polite?"})
    run = services.run_start(version=version, variant=VariantFactory())
    Run.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
    services.run_chunk(run_id=run.pk)
    page = reviewer_client.get(reverse("suites:grade_queue"))
    assert page.status_code == 200
    assert b"polite?" in page.content
    assert engineer_client.get(reverse("suites:grade_queue")).status_code == 403
    grade = HumanGrade.objects.filter(result__run=run).first()
    bad = reviewer_client.post(reverse("suites:grade_submit", args=[grade.pk]), {"score": 3, "explanation": "x"})
    assert bad.status_code == 302
    assert HumanGrade.objects.get(pk=grade.pk).graded_at is None
    reviewer_client.post(reverse("suites:grade_submit", args=[grade.pk]), {"score": 1, "explanation": "very polite"})
    assert RunResult.objects.get(pk=grade.result_id).score == 1.0
