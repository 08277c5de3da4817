"""A viewer reads a variant's failure modes in a real browser and opens an example."""

from __future__ import annotations

import pytest

from evalhub.core.demo import DemoWorld, build_core
from experiments.suites import demo as suites_demo
from experiments.suites.models import RunResult
from tests.browser.conftest import login
from tests.factories import PASSWORD, UserFactory


@pytest.mark.django_db(transaction=True)
def test_viewer_reads_failure_modes_and_opens_an_example(page, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    world = DemoWorld(seed=7, scale=0.1)
    build_core(world)
    suites_demo.build(world)
    # Forty answers state a confidence, so the page draws the reliability diagram.
    results = RunResult.objects.filter(run__variant__slug="acme-7b-dpo", run__version__suite__slug="assistant") \
        .exclude(item__category="current_events")  # the examples read below stay as the demo wrote them
    for score, text in ((0, "It was the green party. Confidence: 90%"), (1, "ok Confidence: 95%")):
        chosen = list(results.filter(score=score).order_by("item__position").values_list("pk", flat=True)[:20])
        RunResult.objects.filter(pk__in=chosen).update(output=text)
    UserFactory(username="lead", role="viewer")
    login(page, "lead", PASSWORD)

    page.goto("/failures/")
    page.get_by_role("link", name="Acme 7B DPO").click()
    page.wait_for_url("**/failures/acme-7b-dpo/")
    page.select_option("select[name=baseline]", "acme-70b")
    page.select_option("select[name=source]", "suites")
    page.fill("input[name=suite]", "assistant")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**/failures/acme-7b-dpo/?*suite=assistant*")
    page.wait_for_selector("li.failure-slice")

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

    chart = page.locator("#chart-reliability")
    chart.locator(".main-svg").first.wait_for()  # plotly drew it, from static/
    assert "Expected calibration error" in chart.get_attribute("aria-label")
    assert page.locator('a.chart-download[data-figure="fig-reliability"]').count() == 1
