"""A viewer reads the production page in a real browser: error rate, refusal signal mix, tokens, charts, CSV."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from experiments.telemetry.services import events_ingest
from tests.browser.conftest import login
from tests.factories import PASSWORD, UserFactory, VariantFactory
from tests.telemetry.factories import event


@pytest.fixture
def events_cleanup():
    """Django's flush between transactional tests skips the unmanaged partitioned events table."""
    yield
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE telemetry_event")


@pytest.mark.django_db(transaction=True)
def test_viewer_reads_errors_refusal_signals_and_tokens(page, settings, events_cleanup):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    variant = VariantFactory(slug="prod-a")
    now = datetime.now(UTC) - timedelta(minutes=20)
    events_ingest(events=[event(variant.slug, timestamp=now.isoformat(), input_tokens=100, output_tokens=40,
                                reasoning_tokens=10) for _ in range(6)]
                  + [event(variant.slug, timestamp=now.isoformat(), finish_reason="content_filter"),
                     event(variant.slug, timestamp=now.isoformat(), response="Извините, но я не могу помочь с этим."),
                     event(variant.slug, timestamp=now.isoformat(), error_type="timeout", latency_ms=60_000.0)])
    UserFactory(username="lead", role="viewer")
    login(page, "lead", PASSWORD)

    page.goto("/production/?period=24h")
    row = page.locator("#variant-table tbody tr").first
    assert "prod-a" in row.inner_text()
    cells = row.locator("td")
    headers = [h.strip() for h in page.locator("#variant-table thead th").all_inner_texts()]
    text = {h: cells.nth(i).inner_text() for i, h in enumerate(headers)}
    assert text["Errors"].startswith("11.1%")
    assert "n=1" in text["Errors"]
    assert text["Refusals"].startswith("25.0%")  # 2 of the 8 successful calls
    assert "finish reason 1 · text 1" in text["Refusals"]
    assert text["Tokens in / out / reasoning"].replace("\n", " ").startswith("900 / ")
    page.wait_for_selector("[data-figure=fig-error_rate] .main-svg")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    assert download.value.suggested_filename == "production-metrics-24h.csv"
