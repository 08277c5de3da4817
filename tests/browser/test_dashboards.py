"""A viewer reads the verdict and the frontier in a real browser; engineer pages stay closed to them."""

from __future__ import annotations

import pytest

from evalhub.dashboards import services
from tests.browser.conftest import login
from tests.dashboards.factories import build_world
from tests.factories import PASSWORD, UserFactory


@pytest.mark.django_db(transaction=True)
def test_viewer_sees_verdict_and_frontier_but_not_engineer_pages(page, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    build_world()
    services.report_cache_refresh()  # what the refresh task does after data loads
    UserFactory(username="lead", role="viewer")
    UserFactory(username="eng", role="engineer")
    login(page, "lead", PASSWORD)

    page.goto("/dashboards/verdict/")
    assert "alone: post-training." in page.locator(".verdict-headline").first.inner_text()
    page.wait_for_selector("#verdict-chart-0 .main-svg")

    page.goto("/dashboards/frontier/")
    page.wait_for_selector("#frontier-chart .main-svg")
    assert page.locator("#frontier-chart .scatterlayer .trace").count() >= 2  # frontier + dominated markers
    assert "dominated by" in page.locator("#frontier-chart-caption").inner_text()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download SVG").click()
    assert download.value.suggested_filename.endswith(".svg")

    page.get_by_role("button", name="Save report").click()
    page.wait_for_url("**/dashboards/reports/*/")
    assert "Computed at" in page.content()
    page.wait_for_selector("#frontier-chart .main-svg")

    assert page.goto("/api-keys/").status == 403

    page.context.clear_cookies()
    login(page, "eng", PASSWORD)
    assert page.goto("/api-keys/").status == 200
    assert page.goto("/dashboards/verdict/").status == 200
