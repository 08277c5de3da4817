"""API keys with the ``run`` scope: CI starts a run, polls it and reads its score; nothing else."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.test import Client

from evalhub.core.models import ApiKey
from evalhub.core.services import api_key_create, roles_ensure
from experiments.suites.models import Run, RunResult, RunStatus, Suite
from experiments.telemetry.models import Event
from tests.conftest import wait_for
from tests.factories import UserFactory, VariantFactory
from tests.suites.factories import make_version

BASE = "/api/v1/suites"


def bearer(raw: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def post(client: Client, path: str, payload: dict | list, raw: str):
    return client.post(path, json.dumps(payload), content_type="application/json", **bearer(raw))


def key(scope: str, role: str = "engineer") -> str:
    return api_key_create(owner=UserFactory(role=role), name=f"ci-{scope}", scopes=[scope])[1]


@pytest.fixture
def no_dispatch(monkeypatch):
    monkeypatch.setattr("experiments.suites.tasks.run_dispatch_task.delay", lambda **kw: None)


@pytest.mark.worker
def test_ci_starts_a_run_polls_it_and_reads_score_results_exports_and_compare(start_worker, simulator):
    make_version(6, slug="calc")
    VariantFactory(slug="good", endpoint_model="acme-70b")
    raw = key("run")
    client = Client()
    start_worker()
    ids = []
    for _ in range(2):
        started = post(client, f"{BASE}/runs", {"suite": "calc", "variant": "good", "cache": False}, raw)
        assert started.status_code == 201, started.content
        assert started.json()["status"] in ("queued", "running")
        assert started.json()["n_total"] == 6
        ids.append(started.json()["id"])
    for run_id in ids:
        wait_for(lambda rid=run_id: client.get(f"{BASE}/runs/{rid}", **bearer(raw)).json()["status"] == "done",
                 timeout=90, message=f"run {run_id} finished")
    status = client.get(f"{BASE}/runs/{ids[0]}", **bearer(raw)).json()
    run = Run.objects.get(pk=ids[0])
    results = RunResult.objects.filter(run=run)
    assert status["n_done"] == 6
    assert run.created_by == ApiKey.objects.get().owner
    assert status["overall"]["mean"] == pytest.approx(sum(r.score for r in results) / 6)

    listed = client.get(f"{BASE}/runs/{ids[0]}/results", {"limit": 10}, **bearer(raw))
    assert listed.status_code == 200
    assert sorted(r["item"] for r in listed.json()) == [f"q{i}" for i in range(6)]
    exported = client.get(f"{BASE}/runs/{ids[0]}/export.csv", **bearer(raw))
    assert exported.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(exported.streaming_content).decode())))
    assert sorted(r["item"] for r in rows) == [f"q{i}" for i in range(6)]
    compared = client.get(f"{BASE}/runs/{ids[0]}/compare/{ids[1]}", **bearer(raw))
    assert compared.status_code == 200
    assert compared.json()["n"] == 6


@pytest.mark.django_db
def test_run_key_cancels_and_resumes(client, no_dispatch):
    make_version(3, slug="calc")
    VariantFactory(slug="v1")
    raw = key("run", role="admin")
    run_id = post(client, f"{BASE}/runs", {"suite": "calc", "variant": "v1"}, raw).json()["id"]
    cancelled = post(client, f"{BASE}/runs/{run_id}/cancel", {}, raw)
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    resumed = post(client, f"{BASE}/runs/{run_id}/resume", {}, raw)
    assert resumed.status_code == 200
    assert resumed.json()["status"] != "cancelled"
    assert post(client, f"{BASE}/runs/{run_id}/resume", {}, raw).status_code == 400


@pytest.mark.django_db
@pytest.mark.parametrize("scope", ["read", "ingest"])
def test_read_and_ingest_keys_cannot_start_cancel_or_resume_runs(client, no_dispatch, scope):
    version = make_version(3, slug="calc")
    VariantFactory(slug="v1")
    run = Run.objects.create(version=version, variant=VariantFactory(), status=RunStatus.CANCELLED, n_items=3)
    raw = key(scope)
    refused = post(client, f"{BASE}/runs", {"suite": "calc", "variant": "v1"}, raw)
    assert refused.status_code == 403
    assert "'run' scope" in refused.json()["detail"]
    for action in ("cancel", "resume"):
        assert post(client, f"{BASE}/runs/{run.pk}/{action}", {}, raw).status_code == 403
    assert Run.objects.count() == 1
    assert Run.objects.get().status == RunStatus.CANCELLED
    reading = client.get(f"{BASE}/runs/{run.pk}", **bearer(raw))
    assert reading.status_code == (200 if scope == "read" else 403)


@pytest.mark.django_db
def test_run_key_is_refused_everywhere_else(client):
    make_version(2, slug="rec")
    VariantFactory(slug="ext")
    raw = key("run")
    content = json.dumps({"id": "q0", "output": "13"})
    imported = post(client, f"{BASE}/import", {"suite": "new", "content": '{"input": "a", "target": "1"}'}, raw)
    recorded = post(client, f"{BASE}/recorded", {"suite": "rec", "variant": "ext", "content": content}, raw)
    events = post(client, "/api/v1/events", [], raw)
    campaign = post(client, "/api/v1/judging/campaigns", {"slug": "c", "name": "c"}, raw)
    variant = post(client, "/api/v1/variants", {"slug": "x"}, raw)
    # Writes that take API keys answer 403 naming the scope; session-only writes do not know the key at all.
    assert imported.status_code == 401
    assert recorded.status_code == 401
    assert events.status_code == 403
    assert "'ingest' scope" in events.json()["detail"]
    assert campaign.status_code == 401
    assert variant.status_code == 401
    assert not Suite.objects.filter(slug="new").exists()
    assert not Run.objects.exists()
    assert not Event.objects.exists()
    assert client.get(BASE, **bearer(raw)).status_code == 403  # not even the suite list: runs only
    assert client.get("/api/v1/variants", **bearer(raw)).status_code == 403
    assert client.get("/api/v1/me", **bearer(raw)).status_code == 200


@pytest.mark.django_db
def test_run_key_follows_its_owners_role(client, no_dispatch):
    make_version(2, slug="calc")
    VariantFactory(slug="v1")
    raw = key("run")
    owner = ApiKey.objects.get().owner
    owner.groups.set([roles_ensure()["viewer"]])  # viewers read results but start nothing
    refused = post(client, f"{BASE}/runs", {"suite": "calc", "variant": "v1"}, raw)
    assert refused.status_code == 403
    assert "no longer holds a role" in refused.json()["detail"]
    assert not Run.objects.exists()
    owner.groups.set([roles_ensure()["engineer"]])
    assert post(client, f"{BASE}/runs", {"suite": "calc", "variant": "v1"}, raw).status_code == 201


def test_openapi_names_the_scopes_each_run_operation_accepts():
    from evalhub.api import api

    schema = api.get_openapi_schema()
    paths = schema["paths"]
    assert paths[f"{BASE}/runs"]["post"]["x-api-key-scopes"] == ["run"]
    for path in (f"{BASE}/runs/{{run_id}}", f"{BASE}/runs/{{run_id}}/results", f"{BASE}/runs/{{run_id}}/export.{{fmt}}",
                 f"{BASE}/runs/{{run_id}}/compare/{{other_id}}"):
        assert paths[path]["get"]["x-api-key-scopes"] == ["read", "run"], path
    for action in ("cancel", "resume"):
        assert paths[f"{BASE}/runs/{{run_id}}/{action}"]["post"]["x-api-key-scopes"] == ["run"]
    assert {"ApiKeyAuth": []} in paths[f"{BASE}/runs"]["post"]["security"]
    assert "x-api-key-scopes" not in paths[f"{BASE}/import"]["post"]
    assert paths["/api/v1/me"]["get"]["x-api-key-scopes"] == ["read", "ingest", "run"]
    assert "`run`" in schema["components"]["securitySchemes"]["ApiKeyAuth"]["description"]
