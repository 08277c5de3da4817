"""Fuzz the ingestion endpoints: schemathesis from the OpenAPI schema, hypothesis bytes for OTLP. No 5xx."""

from __future__ import annotations

import json
import os

import pytest
import schemathesis
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.django_db

FUZZ_SETTINGS = settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "25")), deadline=None, database=None,
                         suppress_health_check=list(HealthCheck))


def test_events_endpoint_never_fails_with_5xx(ingest_key, variant):
    from evalhub.api import api

    schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
    operation = schema["/api/v1/events"]["POST"]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {ingest_key}")
    statuses: list[int] = []

    @FUZZ_SETTINGS
    @given(case=operation.as_strategy())
    def run(case) -> None:
        # Django's test client (not a raw WSGI call) keeps the test transaction's connection open.
        body = case.body if isinstance(case.body, (dict, list, str, int, float, bool)) or case.body is None else {}
        response = client.post(case.formatted_path, data=json.dumps(body), content_type="application/json")
        statuses.append(response.status_code)
        assert response.status_code < 500, (case.body, response.content[:500])

    run()
    assert statuses
    assert set(statuses) <= {200, 400, 413}


def test_otlp_endpoint_never_fails_with_5xx(ingest_key, variant):
    client = Client(HTTP_X_API_KEY=ingest_key)

    @FUZZ_SETTINGS
    @given(body=st.binary(max_size=300), content_type=st.sampled_from(["application/x-protobuf", "application/json"]))
    def run(body: bytes, content_type: str) -> None:
        response = client.post("/v1/traces", data=body, content_type=content_type)
        assert response.status_code < 500, body

    run()
