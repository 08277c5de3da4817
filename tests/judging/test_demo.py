"""The demo campaign: votes drawn from the world's ground truth, open work left for live judging."""

from __future__ import annotations

import pytest

from evalhub.core.demo import DemoWorld, build_core
from evalhub.core.world import BY_SLUG
from judging import demo
from judging.assignment import assignment_next
from judging.models import Campaign, Comparison, Judgment

pytestmark = pytest.mark.django_db


def test_demo_arena_follows_ground_truth_and_leaves_work_open(monkeypatch):
    monkeypatch.setattr(demo, "_refresh_leaderboard", lambda campaign_id: None)  # the leaderboard has its own tests
    world = DemoWorld(scale=0.4)
    build_core(world)
    demo.build(world)
    demo.build(world)  # idempotent
    campaign = Campaign.objects.get(slug=demo.SLUG)
    judgments = Judgment.objects.filter(campaign=campaign)
    assert 550 <= judgments.count() <= 800
    over = [c.pk for c in Comparison.objects.filter(campaign=campaign) if c.judgments_done > c.judgments_needed]
    assert not over
    assert judgments.filter(identity_flag=True).exists()
    assert judgments.filter(gold_correct__isnull=False).exists()
    # The strongest variant beats the weakest in most decisive votes (truth: 1090 vs 1000).
    strong, weak = world.variants["acme-70b"], world.variants["acme-7b"]
    assert BY_SLUG["acme-70b"].strength > BY_SLUG["acme-7b"].strength
    a, b = sorted([strong, weak], key=lambda v: v.pk)
    decisive = judgments.filter(variant_a=a, variant_b=b, outcome__in=["a", "b"]).exclude(reviewer__username="rater08")
    strong_wins = decisive.filter(outcome="a" if a == strong else "b").count()
    assert decisive.count() >= 10
    assert strong_wins / decisive.count() > 0.5
    assert assignment_next(reviewer=world.users["reviewer"], campaign=campaign) is not None
