from __future__ import annotations

import json

import pytest

from experiments.abtests import services
from experiments.abtests.models import Experiment, Exposure
from tests.abtests.factories import register, two_arms

BASE = "/api/v1/experiments"
BODY = {"name": "DPO vs SC-16", "key": "dpo-api", "hypothesis": "DPO answers better for less",
        "arms": two_arms("ctrl-v", "treat-v"), "primary_metric": "task_success",
        "guardrails": ["cost_per_request", "latency_p95"], "mde": 0.05}


@pytest.fixture
def running(variants, engineer) -> Experiment:
    e = services.experiment_start(experiment=register(engineer, key="run-1", arms=two_arms("ctrl-v", "treat-v")))
    e.refresh_from_db()
    return e


def test_assignment_with_ingest_key(running, ingest_client):
    r = ingest_client.get(f"{BASE}/run-1/assignment", {"unit_id": "u-1"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["arm"] in {"control", "treatment"}
    assert body["variant"] in {"ctrl-v", "treat-v"}
    assert body["stopped"] is False
    assert body["exposed"] is True
    again = ingest_client.get(f"{BASE}/run-1/assignment", {"unit_id": "u-1"}).json()
    assert again["arm"] == body["arm"]
    assert Exposure.objects.filter(experiment=running).count() == 1


def test_assignment_with_read_key_and_engineer_session(running, read_client, engineer_client):
    assert read_client.get(f"{BASE}/run-1/assignment", {"unit_id": "u-2"}).status_code == 200
    assert engineer_client.get(f"{BASE}/run-1/assignment", {"unit_id": "u-2"}).status_code == 200


def test_assignment_auth_and_validation(running, client, ingest_client, viewer_client):
    assert client.get(f"{BASE}/run-1/assignment", {"unit_id": "u"}).status_code == 401
    bad = client.get(f"{BASE}/run-1/assignment", {"unit_id": "u"}, HTTP_AUTHORIZATION="Bearer ehk_nope_nope")
    assert bad.status_code == 401
    assert viewer_client.get(f"{BASE}/run-1/assignment", {"unit_id": "u"}).status_code == 403
    missing = ingest_client.get(f"{BASE}/run-1/assignment")
    assert missing.status_code == 400
    assert any("unit_id" in e["field"] for e in missing.json()["errors"])
    unknown = ingest_client.get(f"{BASE}/nope/assignment", {"unit_id": "u"})
    assert unknown.status_code == 404
    assert "nope" in unknown.json()["detail"]


def test_stopped_experiment_returns_control_with_flag(running, ingest_client):
    services.experiment_stop(experiment=running)
    body = ingest_client.get(f"{BASE}/run-1/assignment", {"unit_id": "u-9"}).json()
    assert (body["arm"], body["variant"], body["stopped"], body["is_control"]) == ("control", "ctrl-v", True, True)


def test_register_via_api(variants, engineer_client):
    r = engineer_client.post(BASE, json.dumps(BODY), content_type="application/json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["key"] == "dpo-api"
    assert body["status"] == "draft"
    assert body["planned_sample_per_arm"] > 0
    assert [a["name"] for a in body["arms"]] == ["control", "treatment"]


@pytest.mark.parametrize(("change", "field"), [
    ({"arms": [{**BODY["arms"][0], "weight": -2}, BODY["arms"][1]]}, "arms.0.weight"),
    ({"arms": [{**BODY["arms"][0], "is_control": False}, BODY["arms"][1]]}, "arms.is_control"),
    ({"primary_metric": "joy"}, "primary_metric"),
    ({"guardrails": ["nope"]}, "guardrails.0"),
])
def test_register_validation_names_field(variants, engineer_client, change, field):
    r = engineer_client.post(BASE, json.dumps({**BODY, **change}), content_type="application/json")
    assert r.status_code == 400, r.content
    assert field in [e["field"] for e in r.json()["errors"]]
    assert not Experiment.objects.exists()


def test_register_needs_engineer_session(variants, client, viewer_client, read_client):
    payload = json.dumps(BODY)
    assert client.post(BASE, payload, content_type="application/json").status_code == 401
    assert viewer_client.post(BASE, payload, content_type="application/json").status_code == 403
    assert read_client.post(BASE, payload, content_type="application/json").status_code == 401
    assert not Experiment.objects.exists()


def test_reads_need_read_scope(running, read_client, ingest_client, client):
    assert read_client.get(BASE).status_code == 200
    assert read_client.get(f"{BASE}/run-1").json()["key"] == "run-1"
    results = read_client.get(f"{BASE}/run-1/results")
    assert results.status_code == 200
    assert results.json()["decision"]["verdict"] == "keep running"
    assert ingest_client.get(f"{BASE}/run-1/results").status_code == 403
    assert client.get(f"{BASE}/run-1/results").status_code == 401
    assert read_client.get(f"{BASE}/nope/results").status_code == 404
    assert read_client.get(f"{BASE}/metrics").json()[0]["key"] == "task_success"


def test_start_stop_and_arms_via_api(variants, engineer, engineer_client):
    register(engineer, key="flow", arms=two_arms("ctrl-v", "treat-v"))
    arms = json.dumps({"arms": two_arms("ctrl-v", "treat-v", (1, 2))})
    assert engineer_client.put(f"{BASE}/flow/arms", arms, content_type="application/json").status_code == 200
    started = engineer_client.post(f"{BASE}/flow/start")
    assert started.status_code == 200
    assert started.json()["status"] == "running"
    refused = engineer_client.put(f"{BASE}/flow/arms", arms, content_type="application/json")
    assert refused.status_code == 409
    assert "only before the start" in refused.json()["detail"]
    stopped = engineer_client.post(f"{BASE}/flow/stop")
    assert stopped.json()["status"] == "stopped"
    assert stopped.json()["stopped_at"]
    assert engineer_client.post(f"{BASE}/flow/start").status_code == 400
    assert engineer_client.post(f"{BASE}/zzz/start").status_code == 404
