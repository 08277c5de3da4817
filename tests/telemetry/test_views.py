"""Dashboard, CSV export and charts: read rollups only, with CIs from evalhub.stats."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest

from experiments.telemetry import charts, selectors
from experiments.telemetry.services import events_ingest
from tests.telemetry.factories import event

pytestmark = pytest.mark.django_db


@pytest.fixture
def traffic(variant, variant_b):
    now = datetime.now(UTC) - timedelta(minutes=30)
    events = []
    for i in range(60):
        events.append(event(variant.slug, timestamp=now - timedelta(hours=i % 5), latency_ms=100.0 + i,
                            feedback="up" if i % 4 else "down", refused=i % 10 == 0, task_success=i % 2 == 0))
        events.append(event(variant_b.slug, timestamp=now - timedelta(hours=i % 5), latency_ms=1000.0 + 10 * i,
                            ttft_ms=200.0, feedback="down" if i % 4 else "up"))
    events_ingest(events=events)
    return variant, variant_b


def test_dashboard_shows_each_variant_with_intervals(viewer_client, traffic, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        response = viewer_client.get("/production/?period=24h")
    assert response.status_code == 200
    rows = {r.slug: r for r in response.context["rows"]}
    a, b = rows["tele-a"], rows["tele-b"]
    assert a.n == b.n == 60
    assert a.thumbs_up_rate.value == pytest.approx(45 / 60) and a.thumbs_up_rate.lower < 0.75 < a.thumbs_up_rate.upper
    assert a.refusal_rate.value == pytest.approx(6 / 60) and a.success_rate.n == 60
    assert 100 <= a.latency_p50.value <= 170 and b.latency_p50.value > 1000
    assert a.latency_p95.lower <= a.latency_p95.value <= a.latency_p95.upper
    assert b.ttft_mean.value == pytest.approx(200.0)
    assert b.cost_per_1k.value == pytest.approx(1000 * b.cost_per_request.value)
    html = response.content.decode()
    assert "tele-a" in html and "plotly.min.js" in html and 'data-figure="fig-latency_p95"' in html


def test_dashboard_reads_rollups_not_raw_events(viewer_client, traffic):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        viewer_client.get("/production/?period=7d")
    assert not [q["sql"] for q in queries.captured_queries if "telemetry_event" in q["sql"]]


def test_empty_period_shows_a_notice(viewer_client, db):
    response = viewer_client.get("/production/?period=30d")
    assert response.status_code == 200 and b"No events in this period" in response.content


def test_csv_export(engineer_client, traffic):
    response = engineer_client.get("/production/export.csv?period=24h")
    assert response.status_code == 200 and response["Content-Type"] == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [r["variant"] for r in rows] == ["tele-a", "tele-b"]
    assert float(rows[0]["thumbs_up_rate"]) == pytest.approx(0.75) and int(rows[0]["requests"]) == 60


def test_pages_need_a_dashboard_role(client, reviewer_client, db):
    assert client.get("/production/").status_code == 302
    assert reviewer_client.get("/production/").status_code == 403
    assert reviewer_client.get("/production/export.csv").status_code == 403


def test_figures(traffic):
    period = selectors.period_for("24h")
    series = selectors.timeseries(period=period)
    fig = json.loads(charts.timeseries_figure(series, "refusal_rate").to_json())
    assert [t["name"] for t in fig["data"]] == ["tele-a", "tele-b"]
    assert sum(len(t["x"]) for t in fig["data"]) == 10  # 5 hours × 2 variants
    assert fig["layout"]["yaxis"]["tickformat"] == ".0%"
    rows = selectors.variant_metrics(period=period)
    bars = json.loads(charts.comparison_figure(rows, "thumbs_up_rate").to_json())["data"][0]
    assert bars["x"] == ["tele-a", "tele-b"] and bars["y"][0] == pytest.approx(0.75)
    assert all(v >= 0 for v in bars["error_y"]["array"])


def test_experiment_filter(viewer_client, variant):
    events_ingest(events=[event(variant.slug, timestamp=datetime.now(UTC), experiment="exp-9", arm="b", unit_id="u")])
    response = viewer_client.get("/production/?period=24h&experiment=exp-9")
    assert [r.n for r in response.context["rows"]] == [1] and "exp-9" in response.context["experiments"]
