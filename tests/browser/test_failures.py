"""A viewer reads a variant's failure modes in a real browser and opens an example."""

from __future__ import annotations

import pytest

from evalhub.core.demo import DemoWorld, build_core
from experiments.suites import demo as suites_demo
from tests.browser.conftest import login
from tests.factories import PASSWORD, UserFactory


@pytest.mark.django_db(transaction=True)
def test_viewer_reads_failure_modes_and_opens_an_example(page, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    world = DemoWorld(seed=7, scale=0.1)
    build_core(world)
    suites_demo.build(world)
    UserFactory(username="lead", role="viewer")
    login(page, "lead", PASSWORD)

    page.goto("/failures/")
    page.get_by_role("link", name="Acme 7B DPO").click()
    page.wait_for_url("**/failures/acme-7b-dpo/")
    page.select_option("select[name=baseline]", "acme-70b")
    page.select_option("select[name=source]", "suites")
    page.fill("input[name=suite]", "assistant")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_load_state("networkidle")

    first = page.locator("li.failure-slice").first
    assert first.get_attribute("data-value") == "current_events"
    assert "failure mode" in first.locator(".badge").inner_text()
    sentence = first.locator("strong").inner_text()
    assert sentence.startswith("On category 'current_events', Acme 7B DPO's score on Assistant tasks is")
    assert "points lower than Acme 70B base's (95% CI" in sentence
    example = first.locator("details.failure-example").first
    assert not example.locator(".example-body").is_visible()
    example.locator("summary").click()
    body = example.locator(".example-body")
    assert body.is_visible()
    assert "Prompt" in body.inner_text()
    assert "I am not sure." in body.inner_text()
    assert page.locator("form.slice-actions").count() == 0  # viewers read; engineers act
