"""The decision policy: versioned saves, validation naming the field, roles, page and API."""

from __future__ import annotations

import pytest
from django.urls import reverse

from evalhub.core.errors import Forbidden, Invalid
from evalhub.dashboards import selectors, services
from evalhub.dashboards.models import DecisionPolicy

pytestmark = pytest.mark.django_db


def test_every_save_is_a_new_version_and_the_latest_is_active(world, engineer, admin_user):
    first = services.policy_save(weights={"bt": 1, "success": 2}, user=engineer, note="first")
    second = services.policy_save(weights={"suite:arith": 1, "reask": 0.5}, user=admin_user)
    assert (first.version, second.version) == (1, 2)
    first.refresh_from_db()
    assert first.weights == {"bt": 1.0, "success": 2.0}  # the old version is kept as it was
    active = selectors.policy_active()
    assert active.version == 2
    assert active.weights == {"suite:arith": 1.0, "reask": 0.5}
    assert active.saved_by == admin_user.get_username()
    assert DecisionPolicy.objects.count() == 2


def test_without_a_saved_policy_the_built_in_default_weighs_every_measured_quality(world):
    payload = services.report_current(7).payload
    active = selectors.policy_active(payload)
    assert active.version == 0
    assert set(active.weights) == {"bt", "suite:arith", "success", "thumbs_up", "refusal", "reask"}


@pytest.mark.parametrize(("weights", "field"), [
    ({"bt": 1, "latency": 1}, "weights.latency"),
    ({"suite:nope": 1}, "weights.suite:nope"),
    ({"bt": -0.5, "success": 1}, "weights.bt"),
    ({"bt": 0, "success": 0}, "weights"),
    ({}, "weights"),
])
def test_invalid_policies_are_refused_naming_the_field_and_nothing_is_saved(world, engineer, weights, field):
    with pytest.raises(Invalid) as err:
        services.policy_save(weights=weights, user=engineer)
    assert err.value.field == field
    assert not DecisionPolicy.objects.exists()


def test_viewers_cannot_save_a_policy(world, viewer):
    with pytest.raises(Forbidden):
        services.policy_save(weights={"bt": 1}, user=viewer)
    assert not DecisionPolicy.objects.exists()


def test_api_get_and_post(world, viewer_client, engineer_client, engineer):
    assert viewer_client.get("/api/v1/dashboards/policy").json()["version"] == 0
    r = engineer_client.post("/api/v1/dashboards/policy", {"weights": {"bt": 2, "success": 1}, "note": "q4"},
                             content_type="application/json")
    assert r.status_code == 201
    assert r.json()["version"] == 1
    assert r.json()["saved_by"] == engineer.get_username()
    body = viewer_client.get("/api/v1/dashboards/policy").json()
    assert body["weights"] == {"bt": 2.0, "success": 1.0}
    assert body["note"] == "q4"


@pytest.mark.parametrize(("weights", "field"), [({"bt": 1, "wat": 1}, "weights.wat"), ({"bt": -1}, "weights.bt"),
                                                ({"bt": 0}, "weights")])
def test_api_errors_use_the_error_contract(world, engineer_client, weights, field):
    r = engineer_client.post("/api/v1/dashboards/policy", {"weights": weights}, content_type="application/json")
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"] == field


def test_api_post_is_for_engineers_only(world, client, viewer_client):
    body = {"weights": {"bt": 1}}
    assert viewer_client.post("/api/v1/dashboards/policy", body, content_type="application/json").status_code == 403
    assert client.post("/api/v1/dashboards/policy", body, content_type="application/json").status_code == 401
    assert not DecisionPolicy.objects.exists()


def test_policy_page_form_saves_a_version_and_viewers_only_read(world, engineer_client, viewer_client):
    url = reverse("dashboards:policy")
    assert 'id="policy-form"' in engineer_client.get(url).content.decode()
    page = viewer_client.get(url).content.decode()
    assert 'id="policy-form"' not in page
    assert viewer_client.post(url, {"weight:bt": "1"}).status_code == 403
    r = engineer_client.post(url, {"weight:bt": "3", "weight:success": "1", "weight:reask": "", "note": "n"})
    assert r.status_code == 302
    assert selectors.policy_active().weights == {"bt": 3.0, "success": 1.0, "reask": 0.0}
    bad = engineer_client.post(url, {"weight:bt": "-1"})
    assert bad.status_code == 400
    assert "weights.bt" in bad.content.decode()
    assert DecisionPolicy.objects.count() == 1
    verdict = viewer_client.get(reverse("dashboards:verdict")).content.decode()
    assert "Decision policy version 1" in verdict


def test_api_refuses_a_weight_that_is_not_a_number(world, engineer_client):
    r = engineer_client.post("/api/v1/dashboards/policy", {"weights": {"bt": "high"}}, content_type="application/json")
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"].endswith("weights.bt")
    assert not DecisionPolicy.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_saves_each_get_their_own_version(engineer):
    """Two engineers saving at once, before any policy exists: both saves land, numbered 1 and 2."""
    import threading

    from django.db import connection

    from tests.dashboards.factories import build_world

    build_world()
    barrier, errors = threading.Barrier(4), []

    def save(i: int) -> None:
        try:
            barrier.wait()
            services.policy_save(weights={"bt": 1 + i}, user=engineer, note=f"save {i}")
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(DecisionPolicy.objects.values_list("version", flat=True)) == [1, 2, 3, 4]
