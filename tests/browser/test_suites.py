"""An engineer opens a finished run, sees the score with its CI, the chart draws, and progress polls."""

from __future__ import annotations

import pytest

from experiments.suites import services
from experiments.suites.models import Run, RunResult, RunStatus
from tests.browser.conftest import login
from tests.factories import PASSWORD, UserFactory, VariantFactory
from tests.suites.factories import make_version


@pytest.mark.django_db(transaction=True)
def test_engineer_reads_a_run_and_the_chart(page):
    UserFactory(username="eng", role="engineer")
    version = make_version(6, slug="mathy")
    run = Run.objects.create(version=version, variant=VariantFactory(slug="acme-test"), status=RunStatus.RUNNING,
                             n_items=6)
    for i, item in enumerate(version.items.order_by("position")):
        RunResult.objects.create(run=run, item=item, output=f"The answer is **{i}**", score=float(i % 2), passed=i % 2 == 1,
                                 cost_usd="0.0001", latency_ms=120)
    services.run_finalize(run_id=run.pk)
    login(page, "eng", PASSWORD)
    page.locator("header nav").get_by_text("Suites").click()
    page.get_by_role("link", name=f"#{run.pk}").first.click()
    assert page.locator("#run-status").inner_text() == "done"
    assert page.get_by_text("95% CI").first.is_visible()
    assert page.locator("td.answer strong").first.inner_text() == "0"
    page.goto(page.url.split("/suites/")[0] + "/suites/mathy/chart/")
    page.wait_for_selector("#suite-chart .main-svg")
    assert page.locator("#suite-chart text", has_text="acme-test").count() >= 1
