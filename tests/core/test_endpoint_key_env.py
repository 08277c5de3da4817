"""A variant's endpoint key comes only from an operator-allowed variable; an unset one is said aloud."""

from __future__ import annotations

import json
import os

import pytest

from evalhub.core import connector
from evalhub.core.models import ModelVariant
from evalhub.core.simulator import SimulatorServer
from tests.factories import VariantFactory

pytestmark = pytest.mark.django_db

BODY = {"slug": "acme-keyed", "name": "Acme", "family": "acme", "base_model": "acme-base", "parameter_count": 7,
        "endpoint_base_url": "http://127.0.0.1:9/v1", "endpoint_model": "acme-7b"}


def _create(client, **fields):
    return client.post("/api/v1/variants", json.dumps({**BODY, **fields}), content_type="application/json")


@pytest.mark.parametrize("name", ["DATABASE_URL", "SECRET_KEY", "HOME", "EVALHUB_KEYX"])
def test_a_variable_outside_the_allow_list_is_400_naming_the_field(engineer_client, name):
    response = _create(engineer_client, endpoint_api_key_env=name)
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["endpoint_api_key_env"]
    assert "EVALHUB_KEY_*" in response.json()["detail"]
    assert not ModelVariant.objects.filter(slug="acme-keyed").exists()


def test_the_operator_sets_the_prefixes(engineer_client, settings):
    settings.ENDPOINT_KEY_ENV_PREFIXES = ("OPENAI_",)
    assert _create(engineer_client, endpoint_api_key_env="OPENAI_API_KEY").status_code == 201
    assert _create(engineer_client, slug="other", endpoint_api_key_env="EVALHUB_KEY_X").status_code == 400


def test_an_unset_allowed_variable_is_accepted_with_a_warning(engineer_client, monkeypatch):
    monkeypatch.delenv("EVALHUB_KEY_ACME", raising=False)
    response = _create(engineer_client, endpoint_api_key_env="EVALHUB_KEY_ACME")
    assert response.status_code == 201, response.content
    assert len(response.json()["warnings"]) == 1
    assert "EVALHUB_KEY_ACME is not set" in response.json()["warnings"][0]
    page = engineer_client.get("/variants/")
    assert b"EVALHUB_KEY_ACME is not set" in page.content
    monkeypatch.setenv("EVALHUB_KEY_ACME", "sk-x")
    assert _create(engineer_client, slug="acme-set", endpoint_api_key_env="EVALHUB_KEY_ACME").json()["warnings"] == []
    assert b"EVALHUB_KEY_ACME is not set" not in engineer_client.get("/variants/").content


def test_a_stored_row_naming_a_secret_never_sends_it(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", "postgresql://user:hunter2@db/evalhub")
    log = tmp_path / "requests.log"
    server = SimulatorServer(latency_scale=0.0, request_log=str(log)).start()
    try:
        # saved before the allow-list existed (factories skip full_clean)
        variant = VariantFactory(endpoint_model="acme-7b", endpoint_base_url=server.base_url,
                                 endpoint_api_key_env="DATABASE_URL")
        with pytest.raises(connector.EndpointError) as refused:
            connector.chat(variant, [{"role": "user", "content": "hi"}], retries=0)
        assert "not an allowed key variable" in str(refused.value)
        assert "hunter2" not in str(refused.value)
        assert os.environ["DATABASE_URL"] not in str(refused.value)
        variant.endpoint_api_key_env = ""
        assert connector.chat(variant, [{"role": "user", "content": "hi"}]).text  # the server does log calls
    finally:
        server.stop()
    assert len(log.read_text().splitlines()) == 1  # only the keyless call reached it


def test_the_run_page_says_when_the_key_variable_is_unset(engineer_client, monkeypatch):
    from experiments.suites.models import Run
    from tests.suites.factories import make_version

    monkeypatch.delenv("EVALHUB_KEY_RUNPAGE", raising=False)
    variant = VariantFactory(endpoint_api_key_env="EVALHUB_KEY_RUNPAGE")
    version = make_version(2)
    run = Run.objects.create(version=version, variant=variant, n_items=2)
    page = engineer_client.get(f"/suites/runs/{run.pk}/")
    assert page.status_code == 200
    assert b"EVALHUB_KEY_RUNPAGE is not set" in page.content
    monkeypatch.setenv("EVALHUB_KEY_RUNPAGE", "sk-x")
    assert b"EVALHUB_KEY_RUNPAGE is not set" not in engineer_client.get(f"/suites/runs/{run.pk}/").content
