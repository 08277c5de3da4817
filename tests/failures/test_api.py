"""GET /api/v1/failures and the dimension / slice-action endpoints: shape, defaults, errors, roles, cache."""

from __future__ import annotations

import pytest

from evalhub.core.models import Role
from evalhub.core.services import api_key_create
from evalhub.failures.models import Analysis, Dimension
from experiments.suites.models import Suite
from judging.models import Campaign
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/failures"


def _client(client, role):
    client.force_login(UserFactory(role=role))
    return client


def test_worst_first_with_every_field(demo_world, client) -> None:
    response = _client(client, Role.VIEWER).get(URL, {"variant": "acme-7b-dpo", "baseline": "acme-70b",
                                                     "suite": "assistant", "source": "suites"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["baseline"]["slug"] == "acme-70b"
    assert body["baseline"]["reason"] == "chosen"
    first = body["slices"][0]
    assert {"source", "slice", "metric", "n", "estimate", "baseline_estimate", "difference", "lower", "upper",
            "p_adjusted", "significant", "examples"} <= first.keys()
    assert first["slice"] == {"dimension": "category", "value": "current_events"}
    assert first["significant"]
    assert first["metric"] == "suite_score"
    assert first["suite"] == "assistant"
    assert first["examples"]
    assert first["examples"][0]["kind"] == "suite_item"
    assert "lower than Acme 70B base's (95% CI" in first["sentence"]
    # Worst first: flagged slices, then by harm.
    flags = [s["significant"] for s in body["slices"]]
    assert flags == sorted(flags, reverse=True)


def test_default_baseline_is_the_experiments_control(demo_world, client) -> None:
    from experiments.abtests import demo as abtests_demo

    abtests_demo.build(demo_world)
    body = _client(client, Role.VIEWER).get(URL, {"variant": "acme-7b-dpo", "source": "judgments"}).json()
    assert body["baseline"]["slug"] == "acme-7b-sc16"
    assert body["baseline"]["reason"] == "the control of its A/B experiment"
    assert all(s["source"] == "judgments" and s["metric"] == "win_rate" for s in body["slices"])


def test_default_baseline_without_experiment_is_the_best_on_shared_suites(demo_world, client) -> None:
    body = _client(client, Role.VIEWER).get(URL, {"variant": "acme-7b", "source": "production"}).json()
    assert body["baseline"]["reason"] == "the best other variant on shared suites"
    assert {s["metric"] for s in body["slices"]} >= {"refusal_rate", "latency_mean_ms", "thumbs_up_rate"}


def test_errors_name_the_field(demo_world, client) -> None:
    c = _client(client, Role.VIEWER)
    unknown = c.get(URL, {"variant": "nope"})
    assert unknown.status_code == 404
    assert unknown.json()["errors"][0]["field"] == "query.variant"
    bad_source = c.get(URL, {"variant": "acme-7b", "baseline": "acme-70b", "source": "mail"})
    assert bad_source.status_code == 400
    assert bad_source.json()["errors"][0]["field"] == "query.source"
    same = c.get(URL, {"variant": "acme-7b", "baseline": "acme-7b"})
    assert same.status_code == 400
    assert same.json()["errors"][0]["field"] == "query.baseline"
    missing = c.get(URL)
    assert missing.status_code == 400


def test_roles_and_read_keys(demo_world, client) -> None:
    params = {"variant": "acme-7b-sft", "baseline": "acme-7b", "source": "production"}
    assert client.get(URL, params).status_code == 401
    assert _client(client, Role.REVIEWER).get(URL, params).status_code == 403
    owner = UserFactory(role=Role.VIEWER)
    _, raw = api_key_create(owner=owner, name="ci", scopes=["read"])
    client.logout()
    assert client.get(URL, params, HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200


def test_the_answer_comes_from_the_cache(demo_world, client, django_assert_max_num_queries) -> None:
    c = _client(client, Role.VIEWER)
    params = {"variant": "acme-7b-sft", "baseline": "acme-7b", "source": "production"}
    first = c.get(URL, params).json()
    assert Analysis.objects.filter(variant_slug="acme-7b-sft").count() == 1
    with django_assert_max_num_queries(8):  # session, user, roles and one cache read: no analysis
        again = c.get(URL, params).json()
    assert again["computed_at"] == first["computed_at"]
    assert c.get(URL, {**params, "refresh": "1"}).json()["computed_at"] != first["computed_at"]


def test_engineers_declare_and_retire_dimensions_viewers_read(demo_world, client) -> None:
    viewer = _client(client, Role.VIEWER)
    assert any(d["name"] == "language" and d["builtin"] for d in viewer.get(f"{URL}/dimensions").json())
    assert viewer.post(f"{URL}/dimensions", {"name": "tier", "kind": "event_attribute", "key": "tier"},
                       content_type="application/json").status_code == 403
    engineer = _client(client, Role.ENGINEER)
    made = engineer.post(f"{URL}/dimensions", {"name": "tier", "kind": "event_attribute", "key": "tier"},
                         content_type="application/json")
    assert made.status_code == 201
    assert made.json()["sources"] == ["production"]
    twice = engineer.post(f"{URL}/dimensions", {"name": "tier", "kind": "event_attribute", "key": "tier"},
                          content_type="application/json")
    assert twice.status_code == 400
    assert "name" in twice.json()["detail"]
    bad_key = engineer.post(f"{URL}/dimensions", {"name": "x", "kind": "suite_metadata", "key": "a b'"},
                            content_type="application/json")
    assert bad_key.status_code == 400
    assert "key" in bad_key.json()["detail"]
    retired = engineer.post(f"{URL}/dimensions/{made.json()['id']}/retire")
    assert retired.status_code == 200
    assert retired.json()["active"] is False
    assert not Dimension.objects.get(pk=made.json()["id"]).active


def test_a_declared_event_attribute_slices_production(demo_world, client) -> None:
    engineer = _client(client, Role.ENGINEER)
    Dimension.objects.filter(name="topic").update(active=False)
    params = {"variant": "acme-7b-sft", "baseline": "acme-7b", "source": "production"}
    assert not any(s["slice"]["dimension"] == "topic" for s in engineer.get(URL, params).json()["slices"])
    engineer.post(f"{URL}/dimensions", {"name": "subject", "kind": "event_attribute", "key": "topic"},
                  content_type="application/json")
    rows = engineer.get(URL, params).json()["slices"]  # declaring dropped the cached analyses
    assert rows[0]["slice"] == {"dimension": "subject", "value": "safety_adjacent"}


def test_a_slice_becomes_a_regression_suite_and_a_campaign(demo_world, client) -> None:
    engineer = _client(client, Role.ENGINEER)
    body = {"variant": "acme-7b-dpo", "baseline": "acme-70b", "source": "suites", "suite": "assistant",
            "dimension": "category", "value": "current_events"}
    suite = engineer.post(f"{URL}/slices/suite", body, content_type="application/json")
    assert suite.status_code == 201, suite.content
    made = Suite.objects.get(slug=suite.json()["slug"])
    assert made.versions.get().items.count() == suite.json()["count"] == 36
    campaign = engineer.post(f"{URL}/slices/campaign", body, content_type="application/json")
    assert campaign.status_code == 201, campaign.content
    made_campaign = Campaign.objects.get(slug=campaign.json()["slug"])
    assert made_campaign.prompts.count() == 36
    assert set(made_campaign.variants.values_list("slug", flat=True)) == {"acme-7b-dpo", "acme-70b"}
    viewer = _client(client, Role.VIEWER)
    assert viewer.post(f"{URL}/slices/suite", body, content_type="application/json").status_code == 403


def test_production_examples_show_the_failure(demo_world, client) -> None:
    body = _client(client, Role.VIEWER).get(URL, {"variant": "acme-7b-sft", "baseline": "acme-7b",
                                                 "source": "production"}).json()
    top = body["slices"][0]
    assert top["slice"]["value"] == "safety_adjacent"
    assert len(top["examples"]) == 3
    refusal = next(s for s in body["slices"] if s["slice"]["value"] == "safety_adjacent"
                   and s["metric"] == "refusal_rate")
    assert refusal["examples"]
    assert all("refused" in e["detail"] for e in refusal["examples"])
