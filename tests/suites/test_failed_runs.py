"""A run whose items mostly failed (endpoint down, 401, malformed replies) ends ``failed`` with the most
common error on its page and API, has no score, and stays out of compare and the frontier."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from experiments.suites import selectors, services
from experiments.suites.models import Run, RunResult, RunStatus
from tests.factories import VariantFactory
from tests.suites.factories import make_version

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_dispatch(monkeypatch):
    monkeypatch.setattr("experiments.suites.tasks.run_dispatch_task.delay", lambda **kw: None)


def run_now(version, variant) -> Run:
    """Start a run and run every item here through the real runner against the simulator."""
    run = services.run_start(version=version, variant=variant)
    Run.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
    services.run_chunk(run_id=run.pk)
    return Run.objects.get(pk=run.pk)


def run_with(version, errors: int) -> Run:
    """A finished run whose first ``errors`` items errored and the rest passed."""
    run = Run.objects.create(version=version, variant=VariantFactory(), status=RunStatus.RUNNING,
                             n_items=version.item_count)
    for i, item in enumerate(version.items.order_by("position")):
        if i < errors:
            RunResult.objects.create(run=run, item=item, score=0.0, passed=False, error="acme: HTTP 503: busy")
        else:
            RunResult.objects.create(run=run, item=item, output="o", score=1.0, passed=True)
    return services.run_finalize(run_id=run.pk)


def test_every_item_401_ends_failed_with_the_most_common_error_on_page_and_api(simulator, viewer_client):
    simulator.api_key = "the-real-key"  # the variant sends none: every call is a 401
    version = make_version(5, slug="calc")
    run = run_now(version, VariantFactory(slug="no-key", endpoint_model="acme-70b"))

    assert run.status == RunStatus.FAILED
    assert run.n_done == 5
    assert run.n_errors == 5
    assert run.finished_at
    assert run.error.startswith("5 of 5 items failed (at least 50%), so the run has no score; "
                                "most common error (5×): no-key: HTTP 401")

    body = viewer_client.get(f"/api/v1/suites/runs/{run.pk}").json()
    assert body["status"] == "failed"
    assert body["overall"] is None
    assert body["categories"] == []
    assert body["error"] == run.error
    assert len(body["top_errors"]) == 1
    assert body["top_errors"][0]["count"] == 5
    assert body["top_errors"][0]["error"].startswith("no-key: HTTP 401")

    page = viewer_client.get(reverse("suites:run", args=[run.pk])).content.decode()
    assert "Run failed" in page
    assert "5 of 5 items failed" in page
    assert "No score: the run failed." in page
    assert "mean score" not in page
    assert "95% CI [" not in page  # no "0.000 [0.000, 0.000]" score


def test_a_few_errors_end_done_with_errors_listed(simulator, viewer_client):
    simulator.faults.statuses["*"] = [400]  # one item's call is rejected, not retried
    version = make_version(6)
    run = run_now(version, VariantFactory(endpoint_model="acme-70b"))
    assert run.status == RunStatus.DONE
    assert run.n_errors == 1
    assert run.error == ""
    body = viewer_client.get(f"/api/v1/suites/runs/{run.pk}").json()
    assert body["overall"]["n"] == 6
    assert body["error"] == ""
    assert body["top_errors"][0]["count"] == 1
    page = viewer_client.get(reverse("suites:run", args=[run.pk])).content.decode()
    assert "Done with errors" in page
    assert "Run failed" not in page


@pytest.mark.parametrize(("errors", "status"), [(0, RunStatus.DONE), (2, RunStatus.DONE),
                                                 (3, RunStatus.FAILED), (6, RunStatus.FAILED)])
def test_threshold_is_half_of_the_items(errors, status):
    assert services.RUN_FAIL_ERROR_SHARE == 0.5
    run = run_with(make_version(6), errors)
    assert run.status == status
    assert run.n_errors == errors
    assert (run.error != "") == (status == RunStatus.FAILED)
    if status == RunStatus.FAILED:
        assert run.error == (f"{errors} of 6 items failed (at least 50%), so the run has no score; "
                             f"most common error ({errors}×): acme: HTTP 503: busy")


def test_failed_run_stays_out_of_compare_and_the_frontier(viewer_client):
    version = make_version(6, slug="calc")
    good = run_with(version, 0)
    failed = run_with(version, 6)
    Run.objects.filter(pk=failed.pk).update(variant=good.variant)  # the same variant's later run
    failed.refresh_from_db()
    assert failed.status == RunStatus.FAILED

    assert [p.run_id for p in selectors.version_frontier(version)] == [good.pk]
    with pytest.raises(ValueError, match=f"run {failed.pk} failed"):
        selectors.run_compare(good, failed)
    response = viewer_client.get(f"/api/v1/suites/runs/{failed.pk}/compare/{good.pk}")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("run_id: ")
    response = viewer_client.get(f"/api/v1/suites/runs/{good.pk}/compare/{failed.pk}")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("other_id: ")
    page = viewer_client.get(reverse("suites:run_compare", args=[good.pk]) + f"?other={failed.pk}", follow=True)
    assert f"run {failed.pk} failed" in page.content.decode()
    # The failed run is not offered for comparison, and the list shows no mean for it.
    page = viewer_client.get(reverse("suites:run", args=[good.pk])).content.decode()
    assert f'<option value="{failed.pk}">' not in page
    listing = viewer_client.get(reverse("suites:detail", args=["calc"])).content.decode()
    assert "Failed" in listing


def test_migration_marks_stored_done_runs_that_mostly_errored_as_failed():
    version = make_version(4)
    bad, fine = run_with(version, 4), run_with(version, 1)
    Run.objects.filter(pk=bad.pk).update(status=RunStatus.DONE, error="")  # as the old finalize left it
    module = importlib.import_module("experiments.suites.migrations.0003_fail_runs_mostly_errors")
    module.fail_mostly_errored_runs(apps, None)
    bad.refresh_from_db()
    fine.refresh_from_db()
    assert bad.status == RunStatus.FAILED
    assert "4 of 4 items failed" in bad.error
    assert "(4×): acme: HTTP 503" in bad.error
    assert fine.status == RunStatus.DONE
