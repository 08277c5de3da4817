"""``manage.py run_suite``: --inline runs here only; --wait on a real worker with --fail-under and
--junit-xml gates CI (exit 1 below the threshold, exit 2 for a failed run)."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import pytest
from django.core.management import CommandError, call_command

from experiments.suites import tasks
from experiments.suites.models import Run, RunResult, RunStatus
from tests.factories import VariantFactory
from tests.suites.factories import make_version

IMPOSSIBLE = ["q1", "q4", "q7"]  # items whose target no answer can match


def version_with_failures(n: int = 10, *, slug: str = "gate"):
    version = make_version(n, slug=slug)
    version.items.filter(external_id__in=IMPOSSIBLE).update(targets=["-1"])
    return version


def run_command(*args: str) -> tuple[str, CommandError | None]:
    out = io.StringIO()
    try:
        call_command("run_suite", *args, stdout=out)
    except CommandError as exc:
        return out.getvalue(), exc
    return out.getvalue(), None


@pytest.mark.django_db
def test_inline_runs_in_this_process_only(simulator, monkeypatch):
    queued: list[int] = []
    monkeypatch.setattr(tasks.run_dispatch_task, "delay", lambda *, run_id: queued.append(run_id))
    make_version(6, slug="calc")
    VariantFactory(slug="v", endpoint_model="acme-70b")
    out, error = run_command("calc", "--variant", "v", "--inline")
    assert error is None, out
    run = Run.objects.get()
    assert queued == []  # nothing for a worker to pick up and call a second time
    assert run.status == RunStatus.DONE
    assert run.n_done == 6
    assert simulator.request_count == 6
    assert "6/6" in out
    assert f"run {run.pk} v: mean score" in out
    assert "(95% CI)" in out


@pytest.mark.django_db
def test_gates_need_a_finished_run_and_a_threshold_in_the_unit_interval(monkeypatch):
    monkeypatch.setattr(tasks.run_dispatch_task, "delay", lambda **kw: None)
    make_version(2, slug="calc")
    VariantFactory(slug="v")
    with pytest.raises(CommandError, match="--fail-under: needs --wait or --inline"):
        call_command("run_suite", "calc", "--variant", "v", "--fail-under", "0.8")
    with pytest.raises(CommandError, match="--junit-xml: needs --wait or --inline"):
        call_command("run_suite", "calc", "--variant", "v", "--junit-xml", "x.xml")
    with pytest.raises(CommandError, match="fail-under"):
        call_command("run_suite", "calc", "--variant", "v", "--inline", "--fail-under", "80")
    assert not Run.objects.exists()  # a rejected command starts nothing


@pytest.mark.django_db
def test_inline_failed_run_exits_2_and_reports_errors_in_junit(simulator, tmp_path):
    simulator.api_key = "the-real-key"  # every call is a 401
    make_version(4, slug="calc")
    VariantFactory(slug="no-key", endpoint_model="acme-70b")
    report = tmp_path / "report.xml"
    out, error = run_command("calc", "--variant", "no-key", "--inline", "--fail-under", "0", "--junit-xml", str(report))
    assert error is not None
    assert error.returncode == 2
    assert "is failed" in str(error)
    assert "failed: 4 of 4 items failed" in out
    assert "HTTP 401" in out
    suite = ET.parse(report).getroot().find("testsuite")
    assert suite.get("tests") == "4"
    assert suite.get("errors") == "4"
    assert suite.get("failures") == "0"
    assert all(case.find("error") is not None for case in suite.iter("testcase"))


@pytest.mark.worker
def test_wait_for_a_worker_then_gate_on_the_score_and_write_junit(celery_worker_process, simulator, tmp_path):
    version = version_with_failures(10)
    VariantFactory(slug="big", endpoint_model="acme-70b")
    report = tmp_path / "junit.xml"

    out, error = run_command("gate", "--variant", "big", "--wait", "--fail-under", "0.8", "--junit-xml", str(report))
    run = Run.objects.get()
    results = RunResult.objects.filter(run=run)
    mean = sum(r.score for r in results) / 10
    assert run.status == RunStatus.DONE
    assert results.count() == 10
    assert not results.exclude(error="").exists()
    assert mean <= 0.7  # three items cannot pass
    assert error is not None
    assert error.returncode == 1
    assert f"mean score {mean:.3f} is below --fail-under 0.8" in str(error)
    assert f"mean score {mean:.3f} [" in out
    assert "(95% CI)" in out
    assert "10/10" in out

    root = ET.parse(report).getroot()
    suite = root.find("testsuite")
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    not_passed = set(results.filter(passed=False).values_list("item__external_id", flat=True))
    assert len(cases) == 10
    assert set(cases) == set(version.items.values_list("external_id", flat=True))
    assert {name for name, case in cases.items() if case.find("failure") is not None} == not_passed
    assert set(IMPOSSIBLE) <= not_passed
    assert suite.get("failures") == str(len(not_passed))
    assert suite.get("errors") == "0"
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["run_id"] == str(run.pk)
    assert props["status"] == "done"
    assert float(props["mean_score"]) == pytest.approx(mean)
    assert float(props["ci_lower"]) < mean < float(props["ci_upper"])
    assert props["fail_under"] == "0.8"

    # At or above the threshold the gate passes (a second worker run of the same suite).
    assert mean >= 0.3, "the simulator answered too few items for this check to mean anything"
    out, error = run_command("gate", "--variant", "big", "--wait", "--fail-under", "0.3")
    assert error is None, out
    assert Run.objects.filter(status=RunStatus.DONE).count() == 2

    # A run whose every call fails ends failed: exit 2 whatever the threshold.
    simulator.api_key = "the-real-key"
    out, error = run_command("gate", "--variant", "big", "--wait", "--fail-under", "0", "--no-cache")
    assert error is not None
    assert error.returncode == 2
    assert "failed: 10 of 10 items failed" in out
