from __future__ import annotations

import pytest
from django.test import Client

from evalhub.core.models import ApiKey, hash_api_key
from evalhub.core.services import api_key_create, api_key_revoke


@pytest.fixture
def keys(engineer):
    read_key, read_raw = api_key_create(owner=engineer, name="reader", scopes=["read"])
    ingest_key, ingest_raw = api_key_create(owner=engineer, name="ingester", scopes=["ingest"])
    return {"read": (read_key, read_raw), "ingest": (ingest_key, ingest_raw)}


def test_key_is_stored_hashed_with_visible_prefix(keys):
    key, raw = keys["read"]
    stored = ApiKey.objects.get(pk=key.pk)
    assert raw not in stored.key_hash
    assert stored.key_hash == hash_api_key(raw)
    assert raw.startswith(f"ehk_{stored.prefix}_")
    assert not ApiKey.objects.filter(key_hash=raw).exists()


def test_good_key_reads_and_records_last_use(client: Client, keys):
    key, raw = keys["read"]
    response = client.get("/api/v1/variants", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    key.refresh_from_db()
    assert key.last_used_at is not None


def test_x_api_key_header_works(client: Client, keys):
    _, raw = keys["read"]
    assert client.get("/api/v1/me", HTTP_X_API_KEY=raw).json()["roles"] == ["engineer", "viewer"]


def test_revoked_key_is_refused(client: Client, keys):
    key, raw = keys["read"]
    api_key_revoke(key=key)
    response = client.get("/api/v1/variants", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 401
    assert "API key" in response.json()["detail"]


def test_wrong_scope_is_forbidden(client: Client, keys):
    _, raw = keys["ingest"]
    response = client.get("/api/v1/variants", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 403
    assert "read" in response.json()["detail"]


def test_wrong_secret_is_refused(client: Client, keys):
    key, raw = keys["read"]
    response = client.get("/api/v1/variants", HTTP_AUTHORIZATION=f"Bearer {raw[:-4]}abcd")
    assert response.status_code == 401


def test_missing_or_malformed_key_costs_no_query(client: Client, db, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert client.get("/api/v1/variants").status_code == 401
        assert client.get("/api/v1/variants", HTTP_AUTHORIZATION="Bearer nonsense").status_code == 401


def test_api_key_page_shows_key_once_and_revokes(engineer_client: Client, engineer):
    response = engineer_client.post("/api-keys/", {"name": "svc", "scopes": ["ingest"]})
    assert response.status_code == 200
    raw = response.context["new_key"]
    assert raw.startswith("ehk_")
    assert raw.encode() in response.content
    again = engineer_client.get("/api-keys/")
    assert raw.encode() not in again.content
    key = ApiKey.objects.get(owner=engineer, name="svc")
    engineer_client.post(f"/api-keys/{key.pk}/revoke/")
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_api_key_form_names_missing_scope(engineer_client: Client):
    response = engineer_client.post("/api-keys/", {"name": "svc"})
    assert response.status_code == 200
    assert "scopes" in response.context["form"].errors
    assert not ApiKey.objects.filter(name="svc").exists()


def test_cannot_revoke_someone_elses_key(engineer_client: Client, db):
    from tests.factories import UserFactory

    other = UserFactory(role="engineer")
    key, _ = api_key_create(owner=other, name="theirs", scopes=["read"])
    assert engineer_client.post(f"/api-keys/{key.pk}/revoke/").status_code == 404
    key.refresh_from_db()
    assert key.revoked_at is None


def _move_to(user, role: str) -> None:
    from evalhub.core.services import roles_ensure

    user.groups.set([roles_ensure()[role]])


def test_keys_follow_their_owners_current_role(client: Client, keys, engineer):
    _, read_raw = keys["read"]
    _, ingest_raw = keys["ingest"]
    assert client.get("/api/v1/variants", HTTP_AUTHORIZATION=f"Bearer {read_raw}").status_code == 200
    _move_to(engineer, "reviewer")
    refused = client.get("/api/v1/variants", HTTP_AUTHORIZATION=f"Bearer {read_raw}")
    assert refused.status_code == 403
    assert "no longer holds a role" in refused.json()["detail"]
    events = client.post("/api/v1/events", "[]", content_type="application/json",
                         HTTP_AUTHORIZATION=f"Bearer {ingest_raw}")
    assert events.status_code == 403
    _move_to(engineer, "viewer")  # viewers read results but do not send events
    assert client.get("/api/v1/variants", HTTP_AUTHORIZATION=f"Bearer {read_raw}").status_code == 200
    assert client.post("/api/v1/events", "[]", content_type="application/json",
                       HTTP_AUTHORIZATION=f"Bearer {ingest_raw}").status_code == 403
    _move_to(engineer, "engineer")
    assert client.get("/api/v1/variants", HTTP_AUTHORIZATION=f"Bearer {read_raw}").status_code == 200


def test_an_admin_sees_and_revokes_any_key(admin_client_, keys, engineer, client: Client):
    key, raw = keys["read"]
    page = admin_client_.get("/api-keys/")
    assert key.display.encode() in page.content
    assert engineer.username.encode() in page.content
    assert admin_client_.post(f"/api-keys/{key.pk}/revoke/").status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert client.get("/api/v1/variants", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401


def test_an_engineer_cannot_revoke_or_see_someone_elses_key(engineer_client, admin_user):
    key, _ = api_key_create(owner=admin_user, name="admins", scopes=["read"])
    assert key.display.encode() not in engineer_client.get("/api-keys/").content
    assert engineer_client.post(f"/api-keys/{key.pk}/revoke/").status_code == 404
    key.refresh_from_db()
    assert key.revoked_at is None


def test_api_key_page_offers_the_run_scope(engineer_client: Client, engineer):
    page = engineer_client.get("/api-keys/")
    assert b'value="run"' in page.content
    assert b"Start eval runs" in page.content
    created = engineer_client.post("/api-keys/", {"name": "ci", "scopes": ["run"]})
    assert created.status_code == 200
    assert created.context["new_key"]
    assert ApiKey.objects.get(owner=engineer, name="ci").scopes == ["run"]


def test_run_keys_need_an_engineer_or_admin_owner(client: Client, engineer):
    _, raw = api_key_create(owner=engineer, name="ci", scopes=["run"])
    for role, allowed in (("viewer", False), ("reviewer", False), ("admin", True), ("engineer", True)):
        _move_to(engineer, role)
        response = client.get("/api/v1/suites/runs/999999", HTTP_AUTHORIZATION=f"Bearer {raw}")
        assert response.status_code == (404 if allowed else 403), role


def test_every_scope_reaches_me(client: Client, engineer):
    for scope in ("read", "ingest", "run"):
        _, raw = api_key_create(owner=engineer, name=scope, scopes=[scope])
        assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200, scope
