"""/api/v1/suites: happy path, auth failure and validation failure for every operation."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from evalhub.core.services import api_key_create
from experiments.suites import services
from experiments.suites.models import Run, RunResult, RunStatus, Suite
from tests.factories import VariantFactory
from tests.suites.factories import make_version

pytestmark = pytest.mark.django_db
BASE = "/api/v1/suites"


def post(client: Client, path: str, payload: dict):
    return client.post(f"{BASE}{path}", json.dumps(payload), content_type="application/json")


@pytest.fixture
def read_key(engineer) -> str:
    return api_key_create(owner=engineer, name="ci", scopes=["read"])[1]


@pytest.fixture
def no_dispatch(monkeypatch):
    monkeypatch.setattr("experiments.suites.tasks.run_dispatch_task.delay", lambda **kw: None)


def finished(version, passes):
    run = Run.objects.create(version=version, variant=VariantFactory(), status=RunStatus.RUNNING, n_items=len(passes))
    for item, ok in zip(version.items.order_by("position"), passes, strict=False):
        RunResult.objects.create(run=run, item=item, output="o", score=float(ok), passed=ok)
    return services.run_finalize(run_id=run.pk)


def test_list_with_api_key_and_auth_failure(client, read_key):
    make_version(2, slug="alpha")
    response = client.get(BASE, HTTP_AUTHORIZATION=f"Bearer {read_key}")
    assert response.status_code == 200
    assert response.json()[0]["slug"] == "alpha"
    assert response.json()[0]["item_count"] == 2
    assert client.get(BASE).status_code == 401


def test_import_happy_validation_and_auth(engineer_client, viewer_client):
    content = "\n".join(json.dumps({"input": f"Compute {i} * 2.", "target": str(i * 2)}) for i in range(4))
    ok = post(engineer_client, "/import", {"suite": "dbl", "content": content, "default_grader": {"type": "numeric"}})
    assert ok.status_code == 201
    assert ok.json() == {"suite": "dbl", "number": 1, "item_count": 4,
                                                   "source_format": "input_target", "locked": False, "notes": []}
    bad = post(engineer_client, "/import", {"suite": "dbl2", "content": content + '\n{"input": 3}'})
    assert bad.status_code == 400
    assert "line 5: input" in bad.json()["detail"]
    assert not Suite.objects.filter(slug="dbl2").exists()
    schema_bad = post(engineer_client, "/import", {"suite": "Bad Slug", "content": content})
    assert schema_bad.status_code == 400
    assert schema_bad.json()["errors"][0]["field"].endswith("suite")
    assert post(viewer_client, "/import", {"suite": "v", "content": content}).status_code == 403


def test_start_run_status_and_cancel(engineer_client, viewer_client, no_dispatch):
    version = make_version(3, slug="calc")
    variant = VariantFactory(slug="v1")
    response = post(engineer_client, "/runs", {"suite": "calc", "variant": "v1", "concurrency": 4})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "queued"
    assert body["n_total"] == 3
    assert body["variant"] == "v1"
    version.refresh_from_db()
    assert version.locked
    status = viewer_client.get(f"{BASE}/runs/{body['id']}")
    assert status.status_code == 200
    assert status.json()["n_done"] == 0
    assert post(engineer_client, "/runs", {"suite": "calc", "variant": "nope"}).json()["detail"].startswith("variant")
    assert post(engineer_client, "/runs", {"suite": "calc", "variant": "v1", "concurrency": 0}).status_code == 400
    assert post(engineer_client, "/runs", {"suite": "missing", "variant": "v1"}).status_code == 404
    assert post(viewer_client, "/runs", {"suite": "calc", "variant": "v1"}).status_code == 403
    cancelled = post(engineer_client, f"/runs/{body['id']}/cancel", {})
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert post(engineer_client, f"/runs/{body['id']}/cancel", {}).status_code == 400
    assert post(viewer_client, f"/runs/{body['id']}/cancel", {}).status_code == 403
    assert variant.pk


def test_results_and_compare(viewer_client, client):
    version = make_version(6)
    a = finished(version, [True] * 6)
    b = finished(version, [True, False, True, False, True, True])
    results = viewer_client.get(f"{BASE}/runs/{a.pk}/results", {"limit": 4})
    assert results.status_code == 200
    assert len(results.json()) == 4
    assert results.json()[0]["item"] == "q0"
    assert viewer_client.get(f"{BASE}/runs/{a.pk}/results", {"limit": 0}).status_code == 400
    assert client.get(f"{BASE}/runs/{a.pk}/results").status_code == 401
    summary = viewer_client.get(f"{BASE}/runs/{b.pk}").json()
    assert summary["overall"]["mean"] == pytest.approx(4 / 6)
    assert summary["overall"]["lower"] < 4 / 6
    cmp = viewer_client.get(f"{BASE}/runs/{a.pk}/compare/{b.pk}")
    assert cmp.status_code == 200
    data = cmp.json()
    assert data["mean_diff"] == pytest.approx(2 / 6)
    assert data["flipped"] == ["q1", "q3"]
    assert data["mcnemar_b"] == 2
    other = finished(make_version(6), [True] * 6)
    assert viewer_client.get(f"{BASE}/runs/{a.pk}/compare/{other.pk}").status_code == 400
    assert client.get(f"{BASE}/runs/{a.pk}/compare/{b.pk}").status_code == 401


def test_recorded_import_api(engineer_client, viewer_client):
    make_version(2, slug="rec")
    VariantFactory(slug="ext")
    content = json.dumps({"id": "q0", "output": "13"}) + "\n" + json.dumps({"id": "q1", "output": "0"})
    ok = post(engineer_client, "/recorded", {"suite": "rec", "variant": "ext", "content": content})
    assert ok.status_code == 201
    assert ok.json()["status"] == "done"
    assert ok.json()["overall"]["mean"] == 0.5
    bad = post(engineer_client, "/recorded", {"suite": "rec", "variant": "ext", "content": '{"id": "q0"}'})
    assert bad.status_code == 400
    assert "output" in bad.json()["detail"]
    assert post(viewer_client, "/recorded", {"suite": "rec", "variant": "ext", "content": content}).status_code == 403
