"""The judging API: reviewer queue (session + CSRF) and campaigns (engineers / read keys)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from evalhub.core.models import ModelVariant, Role
from evalhub.core.services import api_key_create
from judging.models import Assignment, Campaign, Comparison, Judgment
from tests.factories import PromptFactory, UserFactory, VariantFactory
from tests.judging.factories import active_campaign

pytestmark = pytest.mark.django_db

NEXT = "/api/v1/judging/next"


def _vote(client: Client, token: str, body: dict, **extra):
    return client.post(f"/api/v1/judging/assignments/{token}/vote", json.dumps(body),
                       content_type="application/json", **extra)


def _identifiers(campaign: Campaign) -> list[str]:
    out = []
    for v in ModelVariant.objects.filter(campaigns=campaign):
        out += [v.slug, v.name, v.endpoint_model, str(v.price_input_per_mtok), str(v.price_output_per_mtok)]
    return out


def test_next_gives_blind_payload_with_sanitised_html(reviewer_client, reviewer):
    campaign = active_campaign(n_variants=2, n_prompts=1, k=1, criteria=["correctness"],
                               outputs=lambda i, j: "<script>alert(1)</script> `code` **bold**")
    response = reviewer_client.get(NEXT, {"campaign": campaign.slug})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "campaign", "instructions_html", "turns", "left", "right", "criteria",
                         "expires_at", "progress"}
    assert body["progress"] == {"done": 0, "total_available": 1}
    assert body["criteria"] == ["correctness"]
    assert "<script>" not in body["left"]["html"]
    assert "&lt;script&gt;" in body["left"]["html"]
    assert "<strong>bold</strong>" in body["right"]["html"]
    text = response.content.decode()
    for identifier in _identifiers(campaign):
        assert identifier not in text, identifier
    comparison = Comparison.objects.get(campaign=campaign)
    for number in (comparison.variant_a_id, comparison.variant_b_id, comparison.pk):
        assert f'"id": {number}' not in text
        assert f'"id":{number}' not in text
    # Same open assignment on reload
    assert reviewer_client.get(NEXT, {"campaign": campaign.slug}).json()["token"] == body["token"]


def test_vote_happy_path_returns_next_and_stores_canonically(reviewer_client, reviewer):
    campaign = active_campaign(n_variants=3, n_prompts=1, k=1)
    body = reviewer_client.get(NEXT, {"campaign": campaign.slug}).json()
    response = _vote(reviewer_client, body["token"], {"choice": "left", "rationale": "more precise"})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["ok"] is True
    assert data["reveal"] is None
    assert data["next"]["token"] != body["token"]
    assert data["next"]["progress"]["done"] == 1
    judgment = Judgment.objects.get()
    assignment = Assignment.objects.get(token=body["token"])
    assert judgment.outcome == ("b" if assignment.swapped else "a")
    # retry of the same vote: same answer, no second judgment
    again = _vote(reviewer_client, body["token"], {"choice": "left"})
    assert again.status_code == 200
    assert Judgment.objects.count() == 1


def test_reveal_after_vote_only_when_campaign_allows(reviewer_client):
    campaign = active_campaign(n_variants=2, n_prompts=1, k=1, reveal=True)
    body = reviewer_client.get(NEXT).json()
    data = _vote(reviewer_client, body["token"], {"choice": "tie"}).json()
    names = set(ModelVariant.objects.filter(campaigns=campaign).values_list("name", flat=True))
    assert {data["reveal"]["left"], data["reveal"]["right"]} == names
    assert data["next"] is None


def test_vote_validation_errors_name_the_field(reviewer_client):
    active_campaign(n_variants=2, n_prompts=1, k=1, criteria=["tone"])
    token = reviewer_client.get(NEXT).json()["token"]
    response = _vote(reviewer_client, token, {"choice": "A"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "body.payload.choice"
    response = _vote(reviewer_client, token, {"choice": "left", "criteria": {"style": "left"}})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "criteria.style"
    assert not Judgment.objects.exists()


def test_vote_refusals_have_clear_messages(reviewer_client):
    active_campaign(n_variants=2, n_prompts=2, k=1)
    other = Client()
    other.force_login(UserFactory(role=Role.REVIEWER))
    token = other.get(NEXT).json()["token"]
    response = _vote(reviewer_client, token, {"choice": "left"})
    assert response.status_code == 403
    assert response.json()["detail"] == "this comparison was assigned to another reviewer"
    Assignment.objects.filter(token=token).update(expires_at="2000-01-01T00:00:00Z")
    response = _vote(other, token, {"choice": "left"})
    assert response.status_code == 409
    assert response.json()["detail"] == "this assignment expired; load the next comparison"
    assert _vote(reviewer_client, "00000000-0000-0000-0000-000000000000", {"choice": "left"}).status_code == 404
    assert not Judgment.objects.exists()


def test_reviewer_api_auth(client, viewer_client, engineer_client):
    campaign = active_campaign(n_variants=2, n_prompts=1, k=1)
    assert client.get(NEXT).status_code == 401
    assert viewer_client.get(NEXT).status_code == 403
    assert engineer_client.get(NEXT).status_code == 403
    assert _vote(client, "00000000-0000-0000-0000-000000000000", {"choice": "left"}).status_code == 401
    assert client.post("/api/v1/judging/assignments/00000000-0000-0000-0000-000000000000/skip",
                       "{}", content_type="application/json").status_code == 401
    assert not Assignment.objects.filter(campaign=campaign).exists()


def test_vote_needs_csrf_token(reviewer):
    active_campaign(n_variants=2, n_prompts=1, k=1)
    client = Client(enforce_csrf_checks=True)
    client.force_login(reviewer)
    token = client.get(NEXT).json()["token"]
    response = _vote(client, token, {"choice": "left"})
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    client.get("/judge/")  # sets the csrftoken cookie
    response = _vote(client, token, {"choice": "left"}, HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value)
    assert response.status_code == 200


def test_skip_api(reviewer_client):
    active_campaign(n_variants=2, n_prompts=2, k=1)
    token = reviewer_client.get(NEXT).json()["token"]
    response = reviewer_client.post(f"/api/v1/judging/assignments/{token}/skip", json.dumps({"reason": "unclear"}),
                                    content_type="application/json")
    assert response.status_code == 200
    assert response.json()["next"]["token"] != token
    assert Assignment.objects.get(token=token).skip_reason == "unclear"
    too_long = reviewer_client.post(f"/api/v1/judging/assignments/{token}/skip", json.dumps({"reason": "x" * 400}),
                                    content_type="application/json")
    assert too_long.status_code == 400


def test_empty_queue_and_unknown_campaign(reviewer_client):
    response = reviewer_client.get(NEXT)
    assert response.status_code == 200
    assert response.json()["token"] is None
    assert reviewer_client.get(NEXT, {"campaign": "nope"}).status_code == 404


# ---------------------------------------------------------------- campaigns


def _create(client: Client, **overrides):
    body = {"name": "Spring arena", "variants": [], "criteria": ["correctness"], "redundancy_k": 3,
            "gold_rate": 0.1, "prompt_category": "general"}
    body.update(overrides)
    return client.post("/api/v1/judging/campaigns", json.dumps(body), content_type="application/json")


def test_campaign_create_import_start_and_read(engineer_client, engineer):
    a, b = VariantFactory(), VariantFactory()
    PromptFactory.create_batch(2, category="general")
    response = _create(engineer_client, variants=[a.slug, b.slug])
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["slug"] == "spring-arena"
    assert created["variants"] == sorted([a.slug, b.slug])
    assert created["progress"]["answers_needed"] == 4
    lines = "\n".join(json.dumps(row) for row in [
        {"prompt": "Say hi", "category": "chat", "answers": {a.slug: "Hi!", b.slug: "Hello."},
         "gold": {"pair": [a.slug, b.slug], "answer": b.slug}},
        {"messages": [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "4"},
                      {"role": "user", "content": "times 3?"}]},
    ])
    response = engineer_client.post("/api/v1/judging/campaigns/spring-arena/prompts", json.dumps({"jsonl": lines}),
                                    content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json() == {"prompts": 2, "answers": 2, "gold": 1}
    gold = Comparison.objects.get(campaign__slug="spring-arena", is_gold=True)
    assert gold.gold_answer == ("b" if a.pk < b.pk else "a")
    detail = engineer_client.get("/api/v1/judging/campaigns/spring-arena")
    assert detail.status_code == 200
    assert detail.json()["progress"]["gold"] == 1
    listing = engineer_client.get("/api/v1/judging/campaigns")
    assert [c["slug"] for c in listing.json()] == ["spring-arena"]


def test_campaign_api_validation_and_auth(engineer_client, reviewer_client, client, engineer):
    a = VariantFactory()
    response = _create(engineer_client, variants=[a.slug, "ghost"])
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "variants"
    response = _create(engineer_client, variants=[a.slug, a.slug], redundancy_k=0)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "body.payload.redundancy_k"
    assert _create(reviewer_client, variants=[a.slug, VariantFactory().slug]).status_code == 403
    assert _create(client, variants=[a.slug]).status_code == 401
    assert client.get("/api/v1/judging/campaigns").status_code == 401
    assert not Campaign.objects.exists()
    _, raw = api_key_create(owner=engineer, name="ci", scopes=["read"])
    assert client.get("/api/v1/judging/campaigns", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    assert client.get("/api/v1/judging/campaigns/none", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 404


def test_campaign_import_rejects_whole_file_naming_line_and_field(engineer_client):
    a, b = VariantFactory(), VariantFactory()
    assert _create(engineer_client, variants=[a.slug, b.slug], prompt_category=None).status_code == 201
    lines = "\n".join([json.dumps({"prompt": "ok"}), json.dumps({"prompt": "x", "answers": {"zzz": "hi"}})])
    response = engineer_client.post("/api/v1/judging/campaigns/spring-arena/prompts", json.dumps({"jsonl": lines}),
                                    content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "line 2: answers.zzz", "message": "not a variant of this campaign"}]
    response = engineer_client.post("/api/v1/judging/campaigns/spring-arena/prompts",
                                    json.dumps({"jsonl": '{"prompt": "ok"}\n{not json'}),
                                    content_type="application/json")
    assert response.json()["errors"][0]["field"] == "line 2: json"
    assert not Campaign.objects.get(slug="spring-arena").prompts.exists()


def test_campaign_start_with_imported_answers_opens_it(engineer_client):
    a, b = VariantFactory(), VariantFactory()
    _create(engineer_client, variants=[a.slug, b.slug], prompt_category=None, redundancy_k=2)
    lines = json.dumps({"prompt": "Q", "answers": {a.slug: "one", b.slug: "two"}})
    engineer_client.post("/api/v1/judging/campaigns/spring-arena/prompts", json.dumps({"jsonl": lines}),
                         content_type="application/json")
    response = engineer_client.post("/api/v1/judging/campaigns/spring-arena/start")
    assert response.status_code == 200
    assert response.json()["status"] == "active"
    assert response.json()["progress"]["comparisons"] == 1
    empty = _create(engineer_client, name="Empty", variants=[a.slug, b.slug], prompt_category=None)
    assert empty.status_code == 201
    response = engineer_client.post("/api/v1/judging/campaigns/empty/start")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "prompts"


def test_adaptive_endpoint(engineer_client, reviewer_client):
    campaign = active_campaign(n_variants=3, n_prompts=6, k=1, slug="adapt")
    url = "/api/v1/judging/campaigns/adapt/adaptive"
    response = engineer_client.post(url, json.dumps({"n": 3}), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "pair_design"
    Campaign.objects.filter(pk=campaign.pk).update(pair_design="adaptive")
    assert engineer_client.post(url, json.dumps({"n": 0}), content_type="application/json").status_code == 400
    assert reviewer_client.post(url, json.dumps({"n": 3}), content_type="application/json").status_code == 403
    Comparison.objects.filter(campaign=campaign).delete()
    response = engineer_client.post(url, json.dumps({"n": 3}), content_type="application/json")
    assert response.status_code == 200
    assert response.json() == {"added": 3}
    assert Comparison.objects.filter(campaign=campaign).count() == 3


def test_next_and_vote_query_ceilings(reviewer_client, django_assert_max_num_queries):
    # The reviewer hot path (issue #4: 32 reviewers, p95 < 50 ms): every round trip counts. Counted
    # here, with the test's transaction adding a SAVEPOINT/RELEASE pair around each atomic block:
    # next = session, user, role (one permission query), campaign, open lease, candidates, recount,
    # lease insert, comparison + answers + progress; vote = session, user, role, locked assignment,
    # identity words (cached a minute), judgment insert, one statement for status/count/refresh flag.
    campaign = active_campaign(n_variants=3, n_prompts=4, k=1)
    reviewer_client.get("/login/")  # the session row exists before counting
    with django_assert_max_num_queries(11):
        body = reviewer_client.get(NEXT, {"campaign": campaign.slug}).json()
    assert body["token"]
    with django_assert_max_num_queries(9):
        response = _vote(reviewer_client, body["token"], {"choice": "left"}, QUERY_STRING="next=false")
    assert response.status_code == 200
    assert response.json()["next"] is None
    again = reviewer_client.get(NEXT, {"campaign": campaign.slug}).json()
    with django_assert_max_num_queries(9):  # a reload of the open lease skips the assigner
        assert reviewer_client.get(NEXT, {"campaign": campaign.slug}).json()["token"] == again["token"]
    assert again["token"] != body["token"]
    assert Judgment.objects.get().assignment.token.hex == body["token"].replace("-", "")
