"""An engineer sees why a run failed, and resumes a cancelled run from its page."""

from __future__ import annotations

import pytest

from experiments.suites import services
from experiments.suites.models import Run, RunResult, RunStatus
from tests.browser.conftest import login
from tests.factories import PASSWORD, UserFactory, VariantFactory
from tests.suites.factories import make_version


def finished_run(version, *, errors: int) -> Run:
    run = Run.objects.create(version=version, variant=VariantFactory(), status=RunStatus.RUNNING,
                             n_items=version.item_count)
    for i, item in enumerate(version.items.order_by("position")):
        RunResult.objects.create(run=run, item=item, output="The answer is 1.", score=0.0 if i < errors else 1.0,
                                 passed=i >= errors, error="acme: HTTP 401: invalid API key" if i < errors else "")
    return services.run_finalize(run_id=run.pk)


@pytest.mark.django_db(transaction=True)
def test_failed_run_says_why_and_a_cancelled_run_resumes(page):
    UserFactory(username="eng", role="engineer")
    version = make_version(4, slug="calc")
    failed = finished_run(version, errors=4)
    login(page, "eng", PASSWORD)

    page.goto(f"/suites/runs/{failed.pk}/")
    assert page.locator("#run-status").inner_text() == "failed"
    assert "4 of 4 items failed" in page.locator("#run-failure").inner_text()
    assert page.locator("#run-errors-card td.num").first.inner_text() == "4"
    assert page.get_by_text("No score: the run failed.").is_visible()
    assert page.get_by_role("button", name="Resume (re-dispatch missing items)").count() == 0

    cancelled = Run.objects.create(version=version, variant=VariantFactory(endpoint_model="acme-70b"),
                                   status=RunStatus.RUNNING, n_items=4)
    services.run_cancel(run=cancelled)
    page.goto(f"/suites/runs/{cancelled.pk}/")
    assert page.locator("#run-status").inner_text() == "cancelled"
    page.get_by_role("button", name="Resume (re-dispatch missing items)").click()
    page.wait_for_selector("ul.messages li:has-text('Run resumed')")
    assert page.get_by_text("Run resumed").is_visible()
    assert page.locator("#run-status").inner_text() == "running"
    cancelled.refresh_from_db()
    assert cancelled.status == RunStatus.RUNNING
    assert cancelled.finished_at is None
