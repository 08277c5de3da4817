"""One variant, one set of numbers: the demo world walked over HTTP as a viewer.

The scorecard API is the reference (it is the leadership payload). Every other page or API that shows
the same number must show the same value and interval: the frontier and verdict APIs and CSVs, the
suite run page and run API, the suite chart, the production page, its CSV and ``/api/v1/production``,
and the leaderboard page and API. JSON and CSV carry full precision (CSV: 6 significant digits);
HTML pages are compared at the precision they print, formatted by the pages' own formatters.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import time
from datetime import UTC, datetime
from importlib import import_module

import pytest
from django.template.defaultfilters import floatformat

from evalhub.core.demo import DemoWorld, build_core
from evalhub.core.management.commands.demo_data import app_demos
from evalhub.dashboards.templatetags import dashboards_fmt as fmt
from evalhub.dashboards.verdict import PROD_METRICS
from experiments.telemetry.templatetags.telemetry_format import pct_ci, usd_ci

pytestmark = pytest.mark.django_db

CSV_REL = 1e-5  # CSV cells carry 6 significant digits
RATES = (("success", "success_rate"), ("thumbs_up", "thumbs_up_rate"), ("refusal", "refusal_rate"),
         ("reask", "reask_rate"))
PROD_KEYS = {label: key for key, label, _ in PROD_METRICS}


@pytest.fixture
def site(viewer_client) -> dict:
    world = DemoWorld(seed=7, scale=0.5)
    build_core(world)
    for module in app_demos():
        import_module(module).build(world)
    # Production windows end at the next full hour: keep the whole walk inside one hour.
    now = datetime.now(UTC)
    to_next_hour = 3600 - (now.minute * 60 + now.second)
    if to_next_hour < 120:
        time.sleep(to_next_hour + 1)
    body = viewer_client.get("/api/v1/dashboards/scorecard?refresh=1").json()
    return {"client": viewer_client, "rows": {r["slug"]: r for r in body["rows"]}, "suites": body["suites"]}


def _est(e: dict) -> tuple[float, float, float]:
    return e["value"], e["lower"], e["upper"]


def _close(a: float, b: float, rel: float = CSV_REL) -> bool:
    return abs(a - b) <= rel * max(abs(a), abs(b), 1e-12)


def _row_html(page: str, attr: str, slug: str) -> str:
    match = re.search(rf'<tr {attr}="{re.escape(slug)}">(.*?)</tr>', page, re.S)
    assert match, slug
    return html.unescape(match.group(1))


def _text(fragment: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment))


def _qualities(site: dict) -> list[tuple[str, str | None]]:
    return [("bt", None)] + [(f"suite:{s['slug']}", s["slug"]) for s in site["suites"]]


def _quality(row: dict, slug: str | None) -> dict | None:
    return row["preference"] if slug is None else row["suites"].get(slug)


def test_scorecard_page_and_csv_show_the_api_numbers(site):
    client, rows = site["client"], site["rows"]
    page = client.get("/dashboards/").content.decode()
    lines = {r["variant"]: r for r in csv.DictReader(io.StringIO(client.get("/dashboards/scorecard.csv").content.decode()))}
    assert set(lines) == set(rows)
    for slug, row in rows.items():
        cells = _row_html(page, "data-variant", slug)
        assert fmt.bt(row["preference"]) in cells
        assert f"n = {row['preference']['n']:,} comparisons counted" in cells
        for s in site["suites"]:
            entry = row["suites"].get(s["slug"])
            if entry:
                assert fmt.score(entry) in cells
                assert f"n = {entry['n']:,} items graded in run #{entry['run_id']}" in cells
                for got, want in zip((float(lines[slug][f"suite_{s['slug']}{k}"]) for k in ("", "_lower", "_upper")),
                                     _est(entry), strict=True):
                    assert _close(got, want), (slug, s["slug"])
        prod = row["production"]
        for key, _ in RATES:
            assert fmt.rate(prod[key]) in cells
            for got, want in zip((float(lines[slug][f"{key}_{k}"]) for k in ("rate", "lower", "upper")),
                                 _est(prod[key]), strict=True):
                assert _close(got, want), (slug, key)
        assert fmt.cost(prod["cost_per_request"]) in cells
        assert _close(float(lines[slug]["cost_per_request"]), prod["cost_per_request"]["value"])


def test_frontier_and_verdict_show_the_scorecard_numbers(site):
    client, rows = site["client"], site["rows"]
    seen_gains = seen_h2h = 0
    for quality, suite in _qualities(site):
        body = client.get(f"/api/v1/dashboards/frontier?quality={quality}&axis=cost").json()
        points = {p["slug"]: p for p in body["points"]}
        assert points
        for slug, p in points.items():
            q = _quality(rows[slug], suite)
            assert (p["y"], p["y_lower"], p["y_upper"]) == _est(q)
            assert p["y_n"] == q["n"]
            cost = rows[slug]["production"]["cost_per_request"]
            assert (p["x"], p["x_lower"], p["x_upper"]) == _est(cost)
            assert p["x_n"] == cost["n"]
        table = {r["variant"]: r for r in csv.DictReader(io.StringIO(
            client.get(f"/dashboards/frontier.csv?quality={quality}").content.decode()))}
        for slug, p in points.items():
            assert _close(float(table[slug]["quality"]), p["y"])
            assert _close(float(table[slug]["quality_upper"]), p["y_upper"])
        verdict = client.get(f"/api/v1/dashboards/verdict?quality={quality}").json()
        for section in verdict["sections"]:
            for p in section["points"]:
                assert (p["value"], p["lower"], p["upper"]) == _est(_quality(rows[p["slug"]], suite))
            for g in section["gains"]:
                assert (g["value"], g["lower_q"], g["upper_q"]) == _est(_quality(rows[g["slug"]], suite))
                seen_gains += 1
            h2h = section["head_to_head"]
            for r in (h2h or {}).get("rows", []):
                post, comp = rows[h2h["post"]["slug"]], rows[h2h["compute"]["slug"]]
                if r["evidence"] == "production":
                    key = PROD_KEYS[r["metric"]]
                    assert r["post_value"] == post["production"][key]["value"]
                    assert r["compute_value"] == comp["production"][key]["value"]
                elif r["evidence"] == "human preference":
                    assert r["post_value"] == post["preference"]["value"]
                    assert r["compute_value"] == comp["preference"]["value"]
                seen_h2h += 1
    assert seen_gains
    assert seen_h2h


def test_suite_run_page_run_api_and_suite_chart_show_the_scorecard_interval(site):
    client, rows = site["client"], site["rows"]
    checked = 0
    for slug, row in rows.items():
        for suite_slug, entry in row["suites"].items():
            run = client.get(f"/api/v1/suites/runs/{entry['run_id']}").json()
            overall = run["overall"]
            assert (overall["mean"], overall["lower"], overall["upper"]) == pytest.approx(_est(entry), rel=1e-12)
            assert overall["n"] == entry["n"]
            page = _text(client.get(f"/suites/runs/{entry['run_id']}/").content.decode())
            assert f"{floatformat(entry['value'], 3)} mean score" in page
            assert f"95% CI [{floatformat(entry['lower'], 3)}, {floatformat(entry['upper'], 3)}]" in page
            chart = client.get(f"/suites/{suite_slug}/chart/").content.decode()
            fig = json.loads(json.loads(re.search(r'<script id="[^"]*" type="application/json">(.*?)</script>',
                                                  chart, re.S).group(1)))
            for trace in fig["data"]:
                for i, name in enumerate(trace.get("text") or []):
                    if name == slug:
                        y = trace["y"][i]
                        assert y == pytest.approx(entry["value"], rel=1e-12)
                        assert y + trace["error_y"]["array"][i] == pytest.approx(entry["upper"], rel=1e-9)
                        assert y - trace["error_y"]["arrayminus"][i] == pytest.approx(entry["lower"], rel=1e-9)
                        checked += 1
    assert checked >= len(rows)


def test_production_page_csv_and_api_show_the_scorecard_rates_and_cost(site):
    client, rows = site["client"], site["rows"]
    api = {v["variant"]: v for v in client.get("/api/v1/production?period=7d").json()["variants"]}
    page = client.get("/production/?period=7d").content.decode()
    lines = {r["variant"]: r for r in csv.DictReader(io.StringIO(
        client.get("/production/export.csv?period=7d").content.decode()))}
    assert set(api) == set(rows)
    for slug, row in rows.items():
        prod = row["production"]
        assert api[slug]["requests"] == prod["n"]
        cells = _text(_row_html(page, "data-variant", slug))
        for key, api_key in RATES:
            mine = prod[key]
            assert (api[slug][api_key]["value"], api[slug][api_key]["lower"], api[slug][api_key]["upper"]) == _est(mine)
            assert api[slug][api_key]["n"] == mine["n"]
            assert pct_ci(_Estimate(mine)) in cells
            short = api_key.removesuffix("_rate")
            assert _close(float(lines[slug][f"{short}_lower"]), mine["lower"])
        p95 = prod["latency_p95_ms"]
        assert _est(api[slug]["latency_p95_ms"]) == pytest.approx(_est(p95), rel=1e-12)
        cost = prod["cost_per_request"]
        assert _est(api[slug]["cost_per_request_usd"]) == pytest.approx(_est(cost), rel=1e-12)
        assert usd_ci(_Estimate(cost)) in cells
        assert _close(float(lines[slug]["cost_per_request_upper"]), cost["upper"])


def test_leaderboard_page_and_api_show_the_scorecard_bt_and_vote_counts(site):
    client, rows = site["client"], site["rows"]
    body = client.get("/api/v1/judging/leaderboard").json()
    board = {r["slug"]: r for r in body["board"]["rows"]}
    for slug, row in rows.items():
        pref = row["preference"]
        assert (board[slug]["score"], board[slug]["ci_lower"], board[slug]["ci_upper"]) == _est(pref)
        assert board[slug]["votes"] == pref["n"]
    scorecard = _text(client.get("/dashboards/").content.decode())
    leaderboard = _text(client.get("/judge/leaderboard/").content.decode())
    # Each count is labelled with what it counts, and the same count carries the same label everywhere.
    assert f"from {body['n_votes']} votes counted" in scorecard
    assert f"from {body['n_votes']} votes counted ({body['n_judgments']} judgments in campaigns" in leaderboard
    assert body["definitions"]["votes"] in scorecard
    # A campaign's judgment count: its board's "judgments in the campaign" and its reviewer-quality page.
    from judging.models import Campaign

    campaign = Campaign.objects.order_by("pk").first()
    assert campaign is not None
    board = client.get(f"/api/v1/judging/leaderboard?campaign={campaign.slug}").json()
    quality = client.get(f"/judge/campaigns/{campaign.slug}/quality/").content.decode()
    total = re.search(r'id="judgments-total">(\d+)<', quality)
    assert total is not None
    assert int(total.group(1)) == board["n_judgments"]
    assert f'title="{html.escape(body["definitions"]["judgments"])}"' in quality


class _Estimate:
    """The attribute view the production page's filters read (they take read-model objects)."""

    def __init__(self, e: dict) -> None:
        self.value, self.lower, self.upper, self.n = e["value"], e["lower"], e["upper"], e.get("n")
