"""A stopped experiment is history; read-only callers look without exposing; odd event tags are reported."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from experiments.abtests import services
from experiments.abtests.assignment import assignment_for, unit_hash
from experiments.abtests.models import Arm, Experiment, Exposure
from experiments.telemetry.models import Event
from experiments.telemetry.services import events_ingest
from tests.abtests.factories import register, two_arms

BASE = "/api/v1/experiments"


@pytest.fixture
def running(variants, engineer) -> Experiment:
    e = services.experiment_start(experiment=register(engineer, key="hist", arms=two_arms("ctrl-v", "treat-v")))
    e.refresh_from_db()
    return e


def _treated_unit(e: Experiment) -> str:
    """A unit id the hash sends to the treatment (weights 1:1)."""
    return next(f"u{i}" for i in range(1000) if unit_hash(e.salt, f"u{i}") >= 0.5)


def test_put_arms_on_a_stopped_experiment_is_409_and_keeps_exposures(running, ingest_client, engineer_client):
    for i in range(30):
        assert ingest_client.get(f"{BASE}/hist/assignment", {"unit_id": f"u{i}"}).status_code == 200
    services.experiment_stop(experiment=running)
    arms_before = list(Arm.objects.filter(experiment=running).values_list("pk", "name", "weight"))
    same_arms = json.dumps({"arms": two_arms("ctrl-v", "treat-v")})
    response = engineer_client.put(f"{BASE}/hist/arms", same_arms, content_type="application/json")
    assert response.status_code == 409
    assert response.json()["errors"] == [{"field": "arms", "message": services.STOPPED_ARMS_REFUSAL}]
    assert Exposure.objects.filter(experiment=running).count() == 30
    assert list(Arm.objects.filter(experiment=running).values_list("pk", "name", "weight")) == arms_before


def test_after_stop_a_unit_keeps_its_arm_with_status_stopped(running, ingest_client):
    unit = _treated_unit(running)
    during = ingest_client.get(f"{BASE}/hist/assignment", {"unit_id": unit}).json()
    assert during["arm"] == "treatment"
    services.experiment_stop(experiment=running)
    after = ingest_client.get(f"{BASE}/hist/assignment", {"unit_id": unit}).json()
    assert (after["arm"], after["variant"], after["status"], after["stopped"], after["exposed"]) == (
        "treatment", "treat-v", "stopped", True, False)
    never = ingest_client.get(f"{BASE}/hist/assignment", {"unit_id": "never-seen"}).json()
    assert never["arm"] == "control"
    assert never["status"] == "stopped"
    assert Exposure.objects.filter(experiment=running).count() == 1


def test_a_read_only_key_gets_the_arm_without_recording_an_exposure(running, read_client, ingest_client):
    unit = _treated_unit(running)
    looked = read_client.get(f"{BASE}/hist/assignment", {"unit_id": unit})
    assert looked.status_code == 200
    assert looked.json()["arm"] == "treatment"
    assert looked.json()["exposed"] is False
    assert not Exposure.objects.exists()
    served = ingest_client.get(f"{BASE}/hist/assignment", {"unit_id": unit}).json()
    assert served["arm"] == "treatment"
    assert served["exposed"] is True
    assert Exposure.objects.filter(experiment=running, unit_id=unit).count() == 1
    assert assignment_for(experiment=running, unit_id=unit, record=False).arm == "treatment"


def test_events_after_the_stop_do_not_count_in_the_experiment(running):
    services.experiment_stop(experiment=running)
    running.refresh_from_db()
    before, after = running.stopped_at - timedelta(seconds=5), running.stopped_at + timedelta(seconds=5)
    result = events_ingest(events=[
        {"event_id": "in", "timestamp": before.isoformat(), "variant": "treat-v", "experiment": "hist",
         "arm": "treatment", "unit_id": "u1", "task_success": True},
        {"event_id": "out", "timestamp": after.isoformat(), "variant": "treat-v", "experiment": "hist",
         "arm": "treatment", "unit_id": "u1", "task_success": True},
    ])
    assert result.accepted == 2
    assert result.after_stop == 1
    assert dict(Event.objects.values_list("event_id", "experiment_key")) == {"in": "hist", "out": ""}


def test_events_for_an_unknown_experiment_are_reported(variants, ingest_client):
    now = datetime.now(UTC).isoformat()
    response = ingest_client.post("/api/v1/events", json.dumps({"events": [
        {"event_id": "e1", "timestamp": now, "variant": "ctrl-v", "experiment": "no-such-exp", "arm": "a"}]}),
        content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["unknown_experiments"] == ["no-such-exp"]
