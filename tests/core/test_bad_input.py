"""NUL characters and unparseable bodies are 400 naming the field, on every page and endpoint."""

from __future__ import annotations

import json

import pytest

from judging.models import Judgment
from tests.judging.factories import active_campaign

pytestmark = pytest.mark.django_db


def _next_token(client, campaign) -> str:
    return client.get("/api/v1/judging/next", {"campaign": campaign.slug}).json()["token"]


def test_nul_in_a_json_field_is_400_naming_it_and_stores_nothing(reviewer_client):
    campaign = active_campaign(n_variants=2, n_prompts=1, k=1)
    token = _next_token(reviewer_client, campaign)
    response = reviewer_client.post(f"/api/v1/judging/assignments/{token}/vote",
                                    json.dumps({"choice": "left", "rationale": "a\u0000b"}),
                                    content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "body.rationale", "message": "must not contain NUL (\\u0000) characters"}]
    assert "body.rationale" in response.json()["detail"]
    assert not Judgment.objects.exists()


def test_nul_in_a_nested_json_key_and_value_is_named(reviewer_client):
    campaign = active_campaign(n_variants=2, n_prompts=1, k=1, criteria=["tone"])
    token = _next_token(reviewer_client, campaign)
    url = f"/api/v1/judging/assignments/{token}/vote"
    value = reviewer_client.post(url, json.dumps({"choice": "left", "criteria": {"tone": "le\u0000ft"}}),
                                 content_type="application/json")
    assert value.status_code == 400
    assert value.json()["errors"][0]["field"] == "body.criteria.tone"
    key = reviewer_client.post(url, json.dumps({"choice": "left", "criteria": {"to\u0000ne": "left"}}),
                               content_type="application/json")
    assert key.status_code == 400
    assert key.json()["errors"][0]["field"].startswith("body.criteria.to")


def test_an_escaped_backslash_u0000_is_not_a_nul(reviewer_client):
    campaign = active_campaign(n_variants=2, n_prompts=1, k=1)
    token = _next_token(reviewer_client, campaign)
    response = reviewer_client.post(f"/api/v1/judging/assignments/{token}/vote",
                                    '{"choice": "left", "rationale": "a\\\\u0000b"}', content_type="application/json")
    assert response.status_code == 200, response.content
    assert Judgment.objects.get().rationale == "a\\u0000b"


@pytest.mark.parametrize("url", ["/judge/?campaign=a%00b", "/api/v1/judging/next?campaign=a%00b"])
def test_nul_in_a_query_parameter_is_400_naming_it(reviewer_client, url):
    response = reviewer_client.get(url)
    assert response.status_code == 400
    assert b"query.campaign" in response.content
    if url.startswith("/api/"):
        assert response.json()["errors"][0]["field"] == "query.campaign"


def test_nul_in_the_path_is_400(engineer_client):
    response = engineer_client.get("/api/v1/judging/campaigns/a%00b")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "path"


def test_nul_in_a_form_field_is_400(engineer_client):
    response = engineer_client.post("/judge/campaigns/new/", {"name": "x\u0000y"})
    assert response.status_code == 400
    assert b"form.name" in response.content


@pytest.mark.parametrize("url", ["/api/v1/judging/assignments/00000000-0000-0000-0000-000000000000/vote",
                                 "/judge/campaigns/new/", "/api-keys/"])
def test_multipart_without_boundary_is_400_not_500(engineer_client, url):
    response = engineer_client.generic("POST", url, b"--x\r\n", CONTENT_TYPE="multipart/form-data")
    assert response.status_code == 400
    assert b"boundary" in response.content


def test_a_valid_multipart_body_on_a_json_endpoint_is_a_4xx_not_500(reviewer_client):
    campaign = active_campaign(n_variants=2, n_prompts=1, k=1)
    token = _next_token(reviewer_client, campaign)
    response = reviewer_client.post(f"/api/v1/judging/assignments/{token}/vote", {"choice": "left"})
    assert 400 <= response.status_code < 500


def test_event_batches_keep_their_per_event_nul_errors(settings):
    assert "/api/v1/events" in settings.NUL_CHECK_EXEMPT_PATHS


def test_an_api_body_over_the_limit_is_413(engineer_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = engineer_client.post("/api/v1/judging/campaigns", json.dumps({"name": "x" * 2000}),
                                    content_type="application/json")
    assert response.status_code == 413
    assert response.json()["errors"][0]["field"] == "body"


def test_the_schema_documents_the_error_answers():
    from evalhub.api import api

    paths = api.get_openapi_schema()["paths"]
    vote = {str(code): answer for code, answer in paths["/api/v1/judging/assignments/{token}/vote"]["post"]["responses"].items()}
    assert {"200", "400", "401", "403", "404", "409", "413"} <= set(vote)
    me = {str(code) for code in paths["/api/v1/me"]["get"]["responses"]}
    assert {"200", "400", "401", "403"} <= me
    assert "413" not in me
    events = {str(code) for code in paths["/api/v1/events"]["post"]["responses"]}
    assert {"400", "401", "403", "413"} <= events
    days = next(p for p in paths["/api/v1/dashboards/scorecard"]["get"]["parameters"] if p["name"] == "days")
    assert (days["schema"]["minimum"], days["schema"]["maximum"]) == (1, 90)
    for path, method in [("/api/v1/judging/leaderboard", "get"), ("/api/v1/experiments/{key}/results", "get"),
                         ("/api/v1/judging/campaigns/{slug}/judgments", "get")]:
        ok = paths[path][method]["responses"][200]["content"]["application/json"]["schema"]
        assert "$ref" in ok or ok.get("properties"), path  # a real schema, not an untyped object


def test_days_outside_1_to_90_is_400_naming_it(viewer_client):
    response = viewer_client.get("/api/v1/dashboards/scorecard?days=91")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "query.days"


def test_nul_inside_imported_files_is_400_naming_line_and_field(engineer_client, engineer):
    from evalhub.core.services import api_key_create
    from tests.factories import VariantFactory

    campaign = active_campaign(n_variants=2, n_prompts=1, k=1)
    jsonl = '{"prompt": "ok"}\n{"prompt": "bad\\u0000prompt"}'
    response = engineer_client.post(f"/api/v1/judging/campaigns/{campaign.slug}/prompts",
                                    json.dumps({"jsonl": jsonl}), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "line 2: prompt"
    VariantFactory(slug="alpha"), VariantFactory(slug="beta")
    _, raw = api_key_create(owner=engineer, name="ingest", scopes=["ingest"])
    arena = engineer_client.post(
        "/api/v1/judging/imports/arena",
        '{"model_a": "alpha", "model_b": "beta", "winner": "tie", "judge": "u", "tstamp": 1}\n'
        '{"model_a": "alpha", "model_b": "beta", "winner": "tie", "judge": "u\\u0000", "tstamp": 2}',
        content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}")  # JSON Lines: the importer checks
    assert arena.status_code == 400
    assert arena.json()["errors"][0] == {"line": 2, "field": "judge", "message": "must not contain NUL (\\u0000) characters"}
