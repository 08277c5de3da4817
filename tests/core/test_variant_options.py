"""Variants through the API: a best-of-n variant with its judge, request options, both refused by field."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from evalhub.core.models import ModelVariant
from tests.factories import VariantFactory

pytestmark = pytest.mark.django_db
BASE = {"name": "Acme 7B best of 4", "family": "acme", "base_model": "acme-7b", "parameter_count": 7_000_000_000}


def post(client: Client, payload: dict):
    return client.post("/api/v1/variants", json.dumps(payload), content_type="application/json")


def test_best_of_n_variant_with_its_judge_and_request_options(engineer_client):
    VariantFactory(slug="acme-70b")
    payload = {**BASE, "slug": "acme-7b-bo4", "test_time_strategy": "best_of_n", "samples_n": 4,
               "judge_variant": "acme-70b", "request_options": {"send": ["seed"], "extra_body": {"top_k": 20}}}
    response = post(engineer_client, payload)
    assert response.status_code == 201, response.content
    assert response.json()["judge_variant"] == "acme-70b"
    assert response.json()["request_options"] == {"send": ["seed"], "extra_body": {"top_k": 20}}
    variant = ModelVariant.objects.get(slug="acme-7b-bo4")
    assert variant.judge_variant.slug == "acme-70b"
    assert variant.request_options["extra_body"] == {"top_k": 20}
    listed = engineer_client.get("/api/v1/variants").json()
    assert next(v for v in listed if v["slug"] == "acme-7b-bo4")["judge_variant"] == "acme-70b"


@pytest.mark.parametrize(("extra", "field"), [
    ({"test_time_strategy": "best_of_n", "samples_n": 4}, "judge_variant"),
    ({"test_time_strategy": "best_of_n", "samples_n": 4, "judge_variant": "nobody"}, "judge_variant"),
    ({"request_options": {"send": ["top_p"]}}, "request_options"),
])
def test_refused_by_field_and_nothing_written(engineer_client, extra, field):
    response = post(engineer_client, {**BASE, "slug": "bad-one", **extra})
    assert response.status_code == 400
    assert field in json.dumps(response.json())
    assert not ModelVariant.objects.filter(slug="bad-one").exists()


def test_variants_page_shows_judge_and_request_options(engineer_client):
    judge = VariantFactory(slug="acme-70b")
    VariantFactory(slug="acme-7b-bo4", test_time_strategy="best_of_n", samples_n=4, judge_variant=judge,
                   request_options={"send": ["seed"], "extra_body": {"note": "<b>x</b>"}})
    page = engineer_client.get("/variants/").content.decode()
    row = next(r for r in page.split("<tr>") if "acme-7b-bo4" in r)
    assert "judge: acme-70b" in row
    assert "{&quot;extra_body&quot;: {&quot;note&quot;: &quot;&lt;b&gt;x&lt;/b&gt;&quot;}, &quot;send&quot;: [&quot;seed&quot;]}" in row
    plain = next(r for r in page.split("<tr>") if "<strong>acme-70b" in r)
    assert "defaults" in plain
    assert "judge:" not in plain
