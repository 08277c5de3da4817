"""Pages: the judging page (blind, CSP) and the engineers' campaign pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from evalhub.core.models import ModelVariant
from judging.assignment import assignment_next
from judging.models import Campaign, Judgment, ReviewerExclusion
from judging.services import judgment_record
from tests.factories import PromptFactory, VariantFactory
from tests.judging.factories import active_campaign

pytestmark = pytest.mark.django_db


def test_judge_page_is_blind_and_has_strict_csp(reviewer_client):
    campaign = active_campaign(n_variants=3, n_prompts=2, k=1,
                               outputs=lambda i, j: f"Answer with <img src=x onerror=alert({j})> and `code`")
    response = reviewer_client.get(reverse("judging:judge"))
    assert response.status_code == 200
    html = response.content.decode()
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "object-src 'none'" in csp
    assert 'id="left"' in html
    assert 'id="right"' in html
    assert "<code>code</code>" in html
    assert "<img" not in html
    assert "onerror=alert" not in html.replace("&lt;img src=x onerror=alert", "")
    for v in ModelVariant.objects.filter(campaigns=campaign):
        for identifier in (v.slug, v.name, v.endpoint_model, str(v.price_output_per_mtok)):
            assert identifier not in html, identifier
    assert 'aria-live="polite"' in html
    assert 'data-choice="both_bad"' in html


def test_judge_page_when_queue_is_empty(reviewer_client):
    response = reviewer_client.get(reverse("judging:judge"))
    assert response.status_code == 200
    assert "Nothing left to judge" in response.content.decode()
    assert reviewer_client.get(reverse("judging:judge"), {"campaign": "missing"}).status_code == 404


def test_campaign_pages_for_engineers(engineer_client, django_assert_max_num_queries):
    for i in range(3):
        active_campaign(n_variants=2, n_prompts=1, k=1, slug=f"camp-{i}")
    with django_assert_max_num_queries(8):
        response = engineer_client.get(reverse("judging:campaigns"))
    assert response.status_code == 200
    assert "Camp-2" in response.content.decode()
    response = engineer_client.get(reverse("judging:campaign_detail", args=["camp-1"]))
    assert response.status_code == 200
    assert "2 / 2 (100%)" in response.content.decode()  # answers present / needed
    assert engineer_client.get(reverse("judging:campaign_new")).status_code == 200


def test_campaign_new_form_creates_campaign(engineer_client, engineer):
    a, b = VariantFactory(), VariantFactory()
    PromptFactory.create_batch(3, category="coding")
    response = engineer_client.post(reverse("judging:campaign_new"), {
        "name": "Coding duel", "variants": [a.pk, b.pk], "prompt_category": "coding", "pair_design": "all",
        "redundancy_k": 2, "criteria": "correctness, tone", "gold_rate": 0, "lease_seconds": 600,
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    campaign = Campaign.objects.get(slug="coding-duel")
    assert campaign.criteria == ["correctness", "tone"]
    assert campaign.prompts.count() == 3
    assert campaign.created_by == engineer
    bad = engineer_client.post(reverse("judging:campaign_new"), {"name": "x", "variants": [a.pk], "redundancy_k": 0,
                                                                 "pair_design": "all", "gold_rate": 0,
                                                                 "lease_seconds": 600})
    assert bad.status_code == 200
    assert Campaign.objects.count() == 1


def test_campaign_import_and_start_pages(engineer_client):
    a, b = VariantFactory(), VariantFactory()
    engineer_client.post(reverse("judging:campaign_new"), {
        "name": "Imp", "variants": [a.pk, b.pk], "pair_design": "all", "redundancy_k": 1, "gold_rate": 0,
        "lease_seconds": 600})
    text = f'{{"prompt": "Q1", "answers": {{"{a.slug}": "x", "{b.slug}": "y"}}}}'
    response = engineer_client.post(reverse("judging:campaign_import", args=["imp"]), {"text": text}, follow=True)
    assert "Imported 1 prompts, 2 answers" in response.content.decode()
    response = engineer_client.post(reverse("judging:campaign_import", args=["imp"]), {"text": '{"prompt": 3}'},
                                    follow=True)
    assert "Nothing imported — line 1: prompt" in response.content.decode()
    engineer_client.post(reverse("judging:campaign_start", args=["imp"]))
    assert Campaign.objects.get(slug="imp").status == "active"


def test_reviewer_exclude_view(engineer_client, reviewer_client, reviewer, engineer):
    campaign = active_campaign(n_variants=2, n_prompts=1, k=1)
    assignment = assignment_next(reviewer=reviewer, campaign=campaign)
    judgment_record(assignment_token=assignment.token, reviewer=reviewer, choice="left")
    url = reverse("judging:reviewer_exclude", args=[campaign.slug, reviewer.pk])
    assert reviewer_client.post(url, {"reason": "mine"}).status_code == 403
    assert engineer_client.get(url).status_code == 405
    response = engineer_client.post(url, {"reason": "always picks A"})
    assert response.status_code == 302
    assert Judgment.objects.get().excluded is True
    assert ReviewerExclusion.objects.get().reason == "always picks A"
    engineer_client.post(url, {"undo": "1"})
    assert Judgment.objects.get().excluded is False
