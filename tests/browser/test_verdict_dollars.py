"""A viewer reads the overall answer in dollars on the verdict page, and the policy it rests on."""

from __future__ import annotations

import re

import pytest

from evalhub.dashboards import services
from tests.browser.conftest import login
from tests.dashboards.factories import build_world
from tests.factories import PASSWORD, UserFactory


@pytest.mark.django_db(transaction=True)
def test_viewer_reads_the_verdict_in_dollars_and_the_policy(page, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    build_world()
    engineer = UserFactory(username="eng", role="engineer")
    services.policy_save(weights={"bt": 1, "suite:arith": 1, "success": 1, "reask": 1}, user=engineer, note="launch review")
    services.report_cache_refresh()
    UserFactory(username="lead", role="viewer")
    login(page, "lead", PASSWORD)

    page.goto("/dashboards/verdict/")
    headline = page.locator(".overall-headline").first.inner_text()
    assert headline.startswith("Where the next dollar goes: post-training.")
    assert "per extra $1 per 1,000 requests" in headline
    assert re.search(r"\(95% CI \d[\d.,]*–\d[\d.,]*\)", headline), headline
    assert re.search(r"Based on [\d,]+ votes, [\d,]+ suite items and [\d,]+ requests\.$", headline.strip()), headline
    assert "Decision policy version 1, saved by eng" in page.locator(".policy-line").inner_text()
    assert page.locator(".overall-table tbody tr").count() == 7  # every variant that improves on t-7b

    page.get_by_role("link", name="view or change the policy").click()
    page.wait_for_url("**/dashboards/policy/")
    assert "Active: version 1, saved by eng" in page.locator(".active-policy").inner_text()
    assert page.locator("#policy-form").count() == 0  # viewers read, engineers write
