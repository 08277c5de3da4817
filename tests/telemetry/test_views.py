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
    assert a.thumbs_up_rate.value == pytest.approx(45 / 60)
    assert a.thumbs_up_rate.lower < 0.75 < a.thumbs_up_rate.upper
    assert a.refusal_rate.value == pytest.approx(6 / 60)
    assert a.success_rate.n == 60
    assert 100 <= a.latency_p50.value <= 170
    assert b.latency_p50.value > 1000
    assert a.latency_p95.lower <= a.latency_p95.value <= a.latency_p95.upper
    assert b.ttft_mean.value == pytest.approx(200.0)
    assert b.cost_per_1k.value == pytest.approx(1000 * b.cost_per_request.value)
    html = response.content.decode()
    assert "tele-a" in html
    assert "plotly.min.js" in html
    assert 'data-figure="fig-latency_p95"' in html


def test_dashboard_reads_rollups_not_raw_events(viewer_client, traffic):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        viewer_client.get("/production/?period=7d")
    assert not [q["sql"] for q in queries.captured_queries if "telemetry_event" in q["sql"]]


def test_empty_period_shows_a_notice(viewer_client, db):
    response = viewer_client.get("/production/?period=30d")
    assert response.status_code == 200
    assert b"No events in this period" in response.content


def test_csv_export(engineer_client, traffic):
    response = engineer_client.get("/production/export.csv?period=24h")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [r["variant"] for r in rows] == ["tele-a", "tele-b"]
    assert float(rows[0]["thumbs_up_rate"]) == pytest.approx(0.75)
    assert int(rows[0]["requests"]) == 60


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
    assert bars["x"] == ["tele-a", "tele-b"]
    assert bars["y"][0] == pytest.approx(0.75)
    assert all(v >= 0 for v in bars["error_y"]["array"])


def test_experiment_filter(viewer_client, variant):
    events_ingest(events=[event(variant.slug, timestamp=datetime.now(UTC), experiment="exp-9", arm="b", unit_id="u")])
    response = viewer_client.get("/production/?period=24h&experiment=exp-9")
    assert [r.n for r in response.context["rows"]] == [1]
    assert "exp-9" in response.context["experiments"]


def test_errors_have_their_own_rate_and_stay_out_of_latency_cost_and_refusals(viewer_client, variant):
    from statsmodels.stats.proportion import proportion_confint

    from experiments.telemetry.models import HourlyRollup
    from experiments.telemetry.services import rollups_refresh

    now = datetime.now(UTC) - timedelta(minutes=30)
    ok = [event(variant.slug, timestamp=now, latency_ms=200.0, input_tokens=100, output_tokens=50, reasoning_tokens=10,
                cost_usd=0.01) for _ in range(16)]
    failed = [event(variant.slug, timestamp=now, latency_ms=60_000.0, error_type="timeout", input_tokens=0,
                    output_tokens=0, cost_usd=0.0, response="I'm sorry, but I can't help with that.") for _ in range(4)]
    events_ingest(events=ok + failed)
    (row,) = selectors.variant_metrics(period=selectors.period_for("24h"))
    assert row.n == 20
    assert row.errors == 4
    lower, upper = proportion_confint(4, 20, alpha=0.05, method="wilson")
    assert row.error_rate.value == pytest.approx(0.2)
    assert (row.error_rate.lower, row.error_rate.upper) == (pytest.approx(lower, abs=1e-9), pytest.approx(upper, abs=1e-9))
    assert row.latency_mean.value == pytest.approx(200.0)
    assert row.latency_p99.value < 1000  # timeouts left out
    assert row.cost_per_request.value == pytest.approx(0.01)  # per successful call
    assert row.refusal_rate.value == 0
    assert row.refusal_rate.n == 16  # a failed call has no answer to refuse with
    assert (row.input_tokens, row.output_tokens, row.reasoning_tokens) == (1600, 800, 160)
    # The repair path rebuilds the same sums from raw events.
    before = list(HourlyRollup.objects.values_list("errors", "latency_n", "latency_sum", "n"))
    rollups_refresh()
    assert list(HourlyRollup.objects.values_list("errors", "latency_n", "latency_sum", "n")) == before
    page = viewer_client.get("/production/?period=24h").content.decode()
    assert "Errors" in page
    assert "20.0% [" in page
    assert "1,600 / 800 / 160" in page
    exported = list(csv.DictReader(io.StringIO(viewer_client.get("/production/export.csv?period=24h").content.decode())))
    assert exported[0]["errors"] == "4"
    assert float(exported[0]["error_rate"]) == pytest.approx(0.2)
    assert (exported[0]["input_tokens"], exported[0]["output_tokens"], exported[0]["reasoning_tokens"]) == ("1600", "800", "160")


def test_refusal_signal_mix_is_shown(viewer_client, variant):
    now = datetime.now(UTC) - timedelta(minutes=30)
    events_ingest(events=[
        event(variant.slug, timestamp=now, refused=True),
        event(variant.slug, timestamp=now, finish_reason="content_filter"),
        event(variant.slug, timestamp=now, finish_reason="content_filter"),
        event(variant.slug, timestamp=now, refusal_message="I can't help with that."),
        event(variant.slug, timestamp=now, response="Lo siento, pero no puedo ayudarte con eso."),
        event(variant.slug, timestamp=now, response="Sure! Here it is."),
    ])
    (row,) = selectors.variant_metrics(period=selectors.period_for("24h"))
    assert row.refusal_sources == {"client": 1, "api_refusal": 1, "finish_reason": 2, "text": 1, "judge": 0}
    assert row.refusal_rate.value == pytest.approx(5 / 6)
    page = viewer_client.get("/production/?period=24h").content.decode()
    assert "client 1 · API refusal 1 · finish reason 2 · text 1" in page
    exported = list(csv.DictReader(io.StringIO(viewer_client.get("/production/export.csv?period=24h").content.decode())))
    assert (exported[0]["refusals_finish_reason"], exported[0]["refusals_text"]) == ("2", "1")
