from __future__ import annotations

import json

from django.test import Client

from evalhub.core.models import ModelVariant

VALID = {"slug": "acme-7b-kto", "name": "Acme 7B KTO", "family": "acme", "base_model": "acme-7b",
         "parameter_count": 7_000_000_000, "post_training": "other"}


def test_openapi_schema_and_docs(client: Client, db):
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200
    assert schema.json()["info"]["title"] == "EvalHub API"
    assert "/api/v1/variants" in schema.json()["paths"]
    assert client.get("/api/v1/docs").status_code == 200


def test_engineer_registers_variant(engineer_client: Client):
    response = engineer_client.post("/api/v1/variants", json.dumps(VALID), content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["improvement_kind"] == "post-training"
    assert ModelVariant.objects.filter(slug="acme-7b-kto").exists()


def test_validation_error_names_the_field_and_writes_nothing(engineer_client: Client):
    bad = {**VALID, "parameter_count": -5}
    response = engineer_client.post("/api/v1/variants", json.dumps(bad), content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    assert body["errors"][0]["field"] == "body.payload.parameter_count"
    assert "greater than 0" in body["errors"][0]["message"]
    assert not ModelVariant.objects.exists()


def test_model_constraint_is_reported(engineer_client: Client):
    bad = {**VALID, "test_time_strategy": "self_consistency", "samples_n": 1}
    response = engineer_client.post("/api/v1/variants", json.dumps(bad), content_type="application/json")
    assert response.status_code == 400
    assert "samples_n of at least 2" in response.json()["detail"]


def test_viewer_cannot_register_variant(viewer_client: Client):
    response = viewer_client.post("/api/v1/variants", json.dumps(VALID), content_type="application/json")
    assert response.status_code == 403
    assert not ModelVariant.objects.exists()


def test_session_write_needs_csrf(engineer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(engineer)
    response = client.post("/api/v1/variants", json.dumps(VALID), content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_anonymous_api_is_401(client: Client, db):
    assert client.get("/api/v1/variants").status_code == 401
