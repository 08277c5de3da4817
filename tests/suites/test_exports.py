"""Import through the API, the page and the command in every form; export a version and a run's results."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from evalhub.core.services import api_key_create
from experiments.suites import services
from experiments.suites.models import Run, RunResult, RunStatus, Suite
from tests.factories import VariantFactory

pytestmark = pytest.mark.django_db
BASE = "/api/v1/suites"
DATA = Path(__file__).parent / "data"


def files_of(path: str) -> dict[str, str]:
    root = DATA / path
    return {str(p.relative_to(root)): p.read_text(encoding="utf-8") for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def read_key(engineer) -> str:
    return api_key_create(owner=engineer, name="ci", scopes=["read"])[1]


def test_api_imports_a_registry_yaml_with_its_samples_and_exports_it(engineer_client, viewer_client, read_key):
    payload = {"suite": "capitals", "files": files_of("openai_evals")}
    response = engineer_client.post(f"{BASE}/import", json.dumps(payload), content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["source_format"] == "openai_registry"
    assert body["item_count"] == 3
    assert body["notes"][0].startswith("OpenAI evals eval capitals.dev.v0")
    exported = viewer_client.get(f"{BASE}/capitals/export.jsonl")
    assert exported.status_code == 200
    assert exported["Content-Type"].startswith("application/x-ndjson")
    header, *lines = [json.loads(x) for x in b"".join(exported.streaming_content).decode().splitlines()]
    assert header["suite_metadata"]["eval"] == "capitals.dev.v0"  # the registry entry, kept as suite metadata
    assert [x["grader"] for x in lines] == [{"type": "starts_with"}] * 3
    assert lines[0]["targets"] == ["Tokyo"]
    assert engineer_client.get(f"{BASE}/capitals/export.jsonl").status_code == 200
    assert viewer_client.get(f"{BASE}/nope/export.jsonl").status_code == 404
    assert engineer_client.logout() is None
    assert engineer_client.get(f"{BASE}/capitals/export.jsonl").status_code == 401
    empty = viewer_client.post(f"{BASE}/import", json.dumps({"suite": "x"}), content_type="application/json")
    assert empty.status_code in (400, 403)


def test_api_import_with_field_map_and_csv_filename(engineer_client):
    content = (DATA / "inspect/gsm.csv").read_text(encoding="utf-8")
    payload = {"suite": "gsm", "content": content, "filename": "gsm.csv", "map": "question=input,answer=target",
               "default_grader": {"type": "numeric"}}
    response = engineer_client.post(f"{BASE}/import", json.dumps(payload), content_type="application/json")
    assert response.status_code == 201
    assert response.json()["item_count"] == 3
    no_content = engineer_client.post(f"{BASE}/import", json.dumps({"suite": "gsm2"}), content_type="application/json")
    assert no_content.status_code == 400
    assert "content" in json.dumps(no_content.json())
    bad_map = engineer_client.post(f"{BASE}/import", json.dumps({**payload, "suite": "gsm3", "map": "question"}),
                                   content_type="application/json")
    assert bad_map.status_code == 400
    assert "map" in bad_map.json()["detail"]
    assert not Suite.objects.filter(slug__in=["gsm2", "gsm3"]).exists()


def test_import_page_takes_several_files_and_shows_notes(engineer_client):
    uploads = [SimpleUploadedFile(name, text.encode()) for name, text in files_of("promptfoo").items()]
    response = engineer_client.post(reverse("suites:import"), {"slug": "support", "format": "auto", "file": uploads},
                                    follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Imported 8 items as support v1." in page
    assert "javascript ×1" in page
    assert "Export JSONL" in page
    bad = engineer_client.post(reverse("suites:import"), {"slug": "ctf", "format": "auto",
                                                          "file": [SimpleUploadedFile("x.bin", b"\xff\xfe\x00")]})
    assert "must be UTF-8" in bad.content.decode()
    assert not Suite.objects.filter(slug="ctf").exists()


def test_import_command_takes_a_folder(capsys):
    call_command("import_suite", str(DATA / "openai_evals"), "--suite", "cli-capitals")
    out = capsys.readouterr().out
    assert "imported 3 items as cli-capitals v1" in out
    assert "OpenAI evals eval" in out
    call_command("import_suite", str(DATA / "inspect/gsm.csv"), "--suite", "cli-gsm", "--map",
                 "question=input,answer=target", "--grader", '{"type": "numeric"}')
    assert Suite.objects.get(slug="cli-gsm").versions.get().item_count == 3


def _finished_run() -> Run:
    version = services.suite_import(slug="mcq", text=(DATA / "inspect/mcq.jsonl").read_text(encoding="utf-8"))
    run = Run.objects.create(version=version, variant=VariantFactory(slug="acme-7b"), status=RunStatus.RUNNING,
                             n_items=3)
    items = list(version.items.order_by("position"))
    RunResult.objects.create(run=run, item=items[0], output="ANSWER: B", extracted="B", score=1.0, passed=True,
                             explanation="answered B", input_tokens=30, output_tokens=5, cost_usd="0.00002",
                             latency_ms=120.0, finish_reason="stop",
                             grader_usage={"calls": 1, "input_tokens": 50, "output_tokens": 9, "cost_usd": 0.0001})
    RunResult.objects.create(run=run, item=items[1], output="ANSWER: C", extracted="C", score=0.0, passed=False,
                             explanation="answered C", input_tokens=28, output_tokens=5, cost_usd="0.00002",
                             latency_ms=95.5)
    RunResult.objects.create(run=run, item=items[2], score=0.0, passed=False, error="acme-7b: HTTP 500: boom")
    return services.run_finalize(run_id=run.pk)


def test_run_results_export_csv_json_jsonl(viewer_client, read_key):
    run = _finished_run()
    jsonl = viewer_client.get(f"{BASE}/runs/{run.pk}/export.jsonl", HTTP_AUTHORIZATION=f"Bearer {read_key}")
    rows = [json.loads(x) for x in b"".join(jsonl.streaming_content).decode().splitlines()]
    assert [r["item"] for r in rows] == ["astro-1", "astro-2", "chem-1"]
    first = rows[0]
    assert first["targets"] == ["B"]
    assert first["grader"] == {"type": "choice"}
    assert first["input_tokens"] == 30
    assert first["grader_calls"] == 1
    assert first["grader_tokens"] == 59
    assert first["finish_reason"] == "stop"
    assert rows[2]["error"].startswith("acme-7b: HTTP 500")
    assert rows[1]["latency_ms"] == 95.5
    # enough to recompute the run's mean outside EvalHub
    assert sum(r["score"] for r in rows) / len(rows) == pytest.approx(run.mean_score)
    as_json = viewer_client.get(reverse("suites:run_export", args=[run.pk, "json"]))
    data = json.loads(b"".join(as_json.streaming_content))
    assert data["variant"] == "acme-7b"
    assert [r["score"] for r in data["results"]] == [1.0, 0.0, 0.0]
    as_csv = viewer_client.get(reverse("suites:run_export", args=[run.pk, "csv"]))
    assert as_csv["Content-Disposition"] == f'attachment; filename="run-{run.pk}.csv"'
    table = list(csv.DictReader(io.StringIO(b"".join(as_csv.streaming_content).decode())))
    assert table[0]["output"] == "ANSWER: B"
    assert json.loads(table[0]["input"])[0]["role"] == "user"
    assert table[1]["passed"] == "False"
    assert table[2]["score"] == "0.0"
    assert viewer_client.get(f"{BASE}/runs/{run.pk}/export.xlsx").status_code == 400
    assert viewer_client.get(reverse("suites:run_export", args=[run.pk, "xml"])).status_code == 404
    run_page = viewer_client.get(reverse("suites:run", args=[run.pk])).content.decode()
    assert f"/suites/runs/{run.pk}/results.csv" in run_page


def test_runs_table_mean_leaves_pending_human_grades_out_like_the_run_page(viewer_client):
    version = services.suite_import(slug="mixed", text="".join(
        json.dumps({"id": f"q{i}", "input": f"q{i}", "target": "x"}) + "\n" for i in range(3)))
    run = Run.objects.create(version=version, variant=VariantFactory(), status=RunStatus.RUNNING, n_items=3)
    items = list(version.items.order_by("position"))
    RunResult.objects.create(run=run, item=items[0], output="x", score=1.0, passed=True)
    RunResult.objects.create(run=run, item=items[1], output="y", score=0.5, passed=False)
    RunResult.objects.create(run=run, item=items[2], output="z", score=None, passed=None)  # awaiting a reviewer
    run = services.run_finalize(run_id=run.pk)
    assert run.n_done == 3
    assert run.n_scored == 2
    assert run.mean_score == pytest.approx(0.75)
    listing = viewer_client.get(reverse("suites:list")).content.decode()
    assert "0.750" in listing
    assert "(2 of 3 scored)" in listing
    assert "0.750" in viewer_client.get(reverse("suites:run", args=[run.pk])).content.decode()


def test_exported_results_recompute_the_run_pages_clustered_interval(viewer_client):
    """The export carries score, group and item: the clustered 95% CI recomputed from it (evalhub.stats, checked
    against statsmodels elsewhere) equals the run page's."""
    from evalhub.stats import evalscores
    from experiments.suites import selectors
    from tests.suites.factories import make_version

    version = make_version(12, groups=True)
    run = Run.objects.create(version=version, variant=VariantFactory(), status=RunStatus.RUNNING, n_items=12)
    scores = [1.0, 0.0, 1.0, 1.0, 0.5, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 0.25]
    for item, score in zip(version.items.order_by("position"), scores, strict=True):
        RunResult.objects.create(run=run, item=item, output="o", score=score, passed=score == 1.0)
    services.run_finalize(run_id=run.pk)
    body = b"".join(viewer_client.get(f"{BASE}/runs/{run.pk}/export.jsonl").streaming_content).decode()
    rows = [json.loads(x) for x in body.splitlines()]
    outside = evalscores.mean_score([r["score"] for r in rows], clusters=[r["group"] or r["item"] for r in rows],
                                    bounds=(0.0, 1.0))
    page = selectors.run_summary(run).overall
    assert selectors.run_summary(run).clustered
    assert (outside.mean, outside.lower, outside.upper) == pytest.approx((page.mean, page.lower, page.upper), abs=1e-12)


@pytest.mark.parametrize("groups", [False, True])
def test_a_perfect_run_gets_an_interval_inside_zero_one_not_a_point(groups):
    """Every item scores 1.0: the summary's 95% CI is the Wilson interval (evalhub.stats.evalscores,
    checked against statsmodels there), below 1 and never above it; clustered items count per cluster."""
    from experiments.suites import selectors
    from tests.suites.factories import make_version

    version = make_version(12, groups=groups)
    run = Run.objects.create(version=version, variant=VariantFactory(), status=RunStatus.RUNNING, n_items=12)
    for item in version.items.order_by("position"):
        RunResult.objects.create(run=run, item=item, output="o", score=1.0, passed=True)
    services.run_finalize(run_id=run.pk)
    summary = selectors.run_summary(run)
    overall = summary.overall
    assert summary.clustered is groups
    assert overall.mean == 1.0
    assert overall.upper == 1.0
    independent_lower = 12 / (12 + 1.959963984540054**2)
    if groups:
        assert overall.lower < independent_lower
    else:
        assert overall.lower == pytest.approx(independent_lower, rel=1e-12)
    assert all(row.lower < 1.0 == row.upper for row in summary.categories if row.n >= 2)


def test_run_page_shows_each_graders_score_the_judge_usage_and_cache(viewer_client):
    version = services.suite_import(slug="parts", text=json.dumps({"id": "q", "input": "hi", "target": "hi"}) + "\n")
    run = Run.objects.create(version=version, variant=VariantFactory(), status=RunStatus.RUNNING, n_items=1)
    RunResult.objects.create(run=run, item=version.items.get(), output="hi", score=0.5, passed=False, cached=True,
                             graders=[{"type": "exact", "weight": 1, "score": 1.0, "passed": True, "explanation": "ok"},
                                      {"type": "judge", "weight": 2, "score": 0.25, "passed": False,
                                       "explanation": "judge: terse"}],
                             grader_usage={"calls": 1, "input_tokens": 40, "output_tokens": 8, "cost_usd": 0.0004})
    page = viewer_client.get(reverse("suites:run", args=[run.pk])).content.decode()
    assert "2 graders" in page
    assert "<code>judge</code> ×2: 0.25 ✗" in page
    assert "judge: terse" in page
    assert "judge: 1 call, 48 tokens, $0.000400" in page
    assert ">cached<" in page


def test_a_reviewer_completes_the_human_part_of_a_multi_grader(reviewer):
    from experiments.suites.models import HumanGrade
    from experiments.suites.runner import write_results

    version = services.suite_import(slug="half-human", text=json.dumps(
        {"id": "q", "input": "Write a greeting", "target": "hello",
         "grader": {"type": "multi", "pass_rule": "weighted", "threshold": 0.6,
                    "graders": [{"type": "contains"}, {"type": "human", "rubric": "warm", "weight": 3}]}}) + "\n")
    run = Run.objects.create(version=version, variant=VariantFactory(), status=RunStatus.RUNNING, n_items=1)
    item = version.items.get()
    from experiments.suites.graders import grade

    graded = grade(item.grader, "hello there", item.targets)
    assert graded.pending
    write_results([RunResult(run=run, item=item, output="hello there", score=None, passed=None,
                             explanation=graded.explanation, graders=list(graded.parts))])
    pending = HumanGrade.objects.get(result__run=run)
    services.human_grade_submit(grade=pending, reviewer=reviewer, score=0.5, explanation="a bit cold")
    result = RunResult.objects.get(run=run)
    assert result.score == pytest.approx((1.0 * 1 + 0.5 * 3) / 4)
    assert result.passed  # 0.625 ≥ 0.6
    assert [p["score"] for p in result.graders] == [1.0, 0.5]
    assert "a bit cold" in result.explanation
