"""Assignment, votes, skips and exclusions through the services (real PostgreSQL)."""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from evalhub.core.errors import Conflict, Forbidden, NotFound
from evalhub.core.models import Role
from judging import services
from judging.assignment import assignment_next
from judging.models import Assignment, AssignmentStatus, Comparison, Judgment, ReviewerExclusion
from tests.factories import UserFactory
from tests.judging.factories import active_campaign

pytestmark = pytest.mark.django_db


def test_all_pairs_comparisons_are_canonical(campaign):
    # 3 variants → 3 pairs × 4 prompts
    comparisons = list(Comparison.objects.filter(campaign=campaign))
    assert len(comparisons) == 12
    assert all(c.variant_a_id < c.variant_b_id for c in comparisons)
    assert all(c.judgments_needed == 2 for c in comparisons)
    assert all(c.completion_a.variant_id == c.variant_a_id for c in comparisons)
    # building again adds nothing
    assert services.campaign_build_comparisons(campaign=campaign) == 0
    assert Comparison.objects.filter(campaign=campaign).count() == 12


def test_next_returns_same_open_assignment_until_voted(campaign, reviewer):
    first = assignment_next(reviewer=reviewer, campaign=campaign)
    again = assignment_next(reviewer=reviewer, campaign=campaign)
    assert first is not None
    assert again.pk == first.pk
    services.judgment_record(assignment_token=first.token, reviewer=reviewer, choice="left")
    third = assignment_next(reviewer=reviewer, campaign=campaign)
    assert third.pk != first.pk
    assert third.comparison_id != first.comparison_id


def test_reviewer_never_sees_a_comparison_twice_and_k_is_respected(reviewers):
    campaign = active_campaign(n_variants=3, n_prompts=2, k=2)
    seen: dict[int, set[int]] = {r.pk: set() for r in reviewers}
    for _ in range(10):
        for reviewer in reviewers:
            assignment = assignment_next(reviewer=reviewer, campaign=campaign)
            if assignment is None:
                continue
            assert assignment.comparison_id not in seen[reviewer.pk]
            seen[reviewer.pk].add(assignment.comparison_id)
            services.judgment_record(assignment_token=assignment.token, reviewer=reviewer, choice="tie")
    for comparison in Comparison.objects.filter(campaign=campaign):
        assert comparison.judgments_done == 2
        assert comparison.judgments.count() == 2
    assert all(assignment_next(reviewer=r, campaign=campaign) is None for r in reviewers)


def test_active_lease_blocks_over_assignment_and_expiry_returns_it(reviewers):
    campaign = active_campaign(n_variants=2, n_prompts=1, k=1, lease_seconds=60)
    first, second = reviewers[:2]
    lease = assignment_next(reviewer=first, campaign=campaign)
    assert lease is not None
    assert assignment_next(reviewer=second, campaign=campaign) is None  # its one slot is leased
    Assignment.objects.filter(pk=lease.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    taken = assignment_next(reviewer=second, campaign=campaign)
    assert taken is not None
    assert taken.comparison_id == lease.comparison_id
    lease.refresh_from_db()
    assert lease.status == AssignmentStatus.EXPIRED
    with pytest.raises(Conflict) as refused:
        services.judgment_record(assignment_token=lease.token, reviewer=first, choice="left")
    assert refused.value.message == "this assignment expired; load the next comparison"
    services.judgment_record(assignment_token=taken.token, reviewer=second, choice="left")
    assert Comparison.objects.get(pk=taken.comparison_id).judgments_done == 1


def test_double_submit_is_idempotent(campaign, reviewer):
    assignment = assignment_next(reviewer=reviewer, campaign=campaign)
    one = services.judgment_record(assignment_token=assignment.token, reviewer=reviewer, choice="left")
    two = services.judgment_record(assignment_token=str(assignment.token), reviewer=reviewer, choice="left")
    assert one.pk == two.pk
    assert two.outcome == one.outcome
    with pytest.raises(Conflict) as changed:  # a different vote is refused, not dropped
        services.judgment_record(assignment_token=assignment.token, reviewer=reviewer, choice="right")
    assert changed.value.extra["vote"]["choice"] == "left"
    assert Judgment.objects.filter(assignment=assignment).count() == 1
    assert Comparison.objects.get(pk=assignment.comparison_id).judgments_done == 1


def test_vote_on_someone_elses_assignment_is_refused(campaign, reviewers):
    owner, other = reviewers[:2]
    assignment = assignment_next(reviewer=owner, campaign=campaign)
    with pytest.raises(Forbidden) as refused:
        services.judgment_record(assignment_token=assignment.token, reviewer=other, choice="left")
    assert refused.value.message == "this comparison was assigned to another reviewer"
    assert not Judgment.objects.exists()


def test_unknown_token_is_404(reviewer):
    for token in ("not-a-uuid", "00000000-0000-0000-0000-000000000000"):
        with pytest.raises(NotFound) as refused:
            services.judgment_record(assignment_token=token, reviewer=reviewer, choice="left")
        assert refused.value.field == "token"


@pytest.mark.parametrize(("swapped", "choice", "outcome"), [
    (False, "left", "a"), (False, "right", "b"), (True, "left", "b"), (True, "right", "a"),
    (True, "tie", "tie"), (True, "both_bad", "both_bad"),
])
def test_votes_are_stored_in_canonical_order(reviewer, swapped, choice, outcome):
    campaign = active_campaign(n_variants=2, n_prompts=1, k=1, criteria=["correctness", "tone"])
    assignment = assignment_next(reviewer=reviewer, campaign=campaign, rng=random.Random(0))
    Assignment.objects.filter(pk=assignment.pk).update(swapped=swapped)
    judgment = services.judgment_record(assignment_token=assignment.token, reviewer=reviewer, choice=choice,
                                        criteria={"correctness": "left", "tone": "tie"}, rationale=" clearer ")
    comparison = assignment.comparison
    assert judgment.outcome == outcome
    assert (judgment.variant_a_id, judgment.variant_b_id) == (comparison.variant_a_id, comparison.variant_b_id)
    assert judgment.criteria == {"correctness": "b" if swapped else "a", "tone": "tie"}
    assert judgment.rationale == "clearer"
    assert judgment.seconds_taken is not None
    assert judgment.seconds_taken >= 0
    assert judgment.category == comparison.prompt.category


def test_bad_choice_and_unknown_criterion_write_nothing(reviewer):
    campaign = active_campaign(n_variants=2, n_prompts=1, k=1, criteria=["correctness"])
    assignment = assignment_next(reviewer=reviewer, campaign=campaign)
    with pytest.raises(ValidationError) as bad:
        services.judgment_record(assignment_token=assignment.token, reviewer=reviewer, choice="A")
    assert "choice" in bad.value.message_dict
    with pytest.raises(ValidationError) as bad:
        services.judgment_record(assignment_token=assignment.token, reviewer=reviewer, choice="left",
                                 criteria={"style": "left"})
    assert "criteria.style" in bad.value.message_dict
    assert not Judgment.objects.exists()
    assert Comparison.objects.get(pk=assignment.comparison_id).judgments_done == 0


def test_identity_revealing_answers_are_flagged(reviewer):
    campaign = active_campaign(n_variants=2, n_prompts=1, k=1,
                               outputs=lambda i, j: "As an AI developed by OpenAI, I think 42." if j == 0 else "42.")
    assignment = assignment_next(reviewer=reviewer, campaign=campaign)
    judgment = services.judgment_record(assignment_token=assignment.token, reviewer=reviewer, choice="left")
    assert judgment.identity_flag is True


def test_campaign_variant_name_in_answer_is_flagged_but_plain_answer_is_not(reviewer):
    campaign = active_campaign(n_variants=2, n_prompts=2, k=1,
                               outputs=lambda i, j: "I am Zephyr Pro, happy to help." if i == 0 else "Plain answer.")
    campaign.variants.filter(pk=campaign.variants.order_by("pk").first().pk).update(name="Zephyr Pro")
    flags = {}
    for _ in range(2):
        assignment = assignment_next(reviewer=reviewer, campaign=campaign)
        judgment = services.judgment_record(assignment_token=assignment.token, reviewer=reviewer, choice="tie")
        flags[judgment.comparison.completion_a.output] = judgment.identity_flag
    assert flags == {"I am Zephyr Pro, happy to help.": True, "Plain answer.": False}


def test_gold_correctness_and_gold_served_at_rate(reviewer):
    campaign = active_campaign(n_variants=2, n_prompts=3, k=1, gold_rate=1.0)
    gold = Comparison.objects.filter(campaign=campaign).order_by("-pk").first()
    Comparison.objects.filter(pk=gold.pk).update(is_gold=True, gold_answer="a", judgments_needed=100)
    assignment = assignment_next(reviewer=reviewer, campaign=campaign)
    assert assignment.comparison_id == gold.pk  # gold_rate 1.0: gold first, although it has the highest id
    choice = "right" if assignment.swapped else "left"  # the canonical A side
    judgment = services.judgment_record(assignment_token=assignment.token, reviewer=reviewer, choice=choice)
    assert judgment.outcome == "a"
    assert judgment.gold_correct is True
    other = UserFactory(role=Role.REVIEWER)
    assignment = assignment_next(reviewer=other, campaign=campaign)
    judgment = services.judgment_record(assignment_token=assignment.token, reviewer=other, choice="tie")
    assert judgment.gold_correct is False


def test_skip_returns_comparison_to_pool_but_not_to_skipper(reviewers):
    campaign = active_campaign(n_variants=2, n_prompts=1, k=1)
    first, second = reviewers[:2]
    assignment = assignment_next(reviewer=first, campaign=campaign)
    services.assignment_skip(token=assignment.token, reviewer=first, reason="cannot judge")
    services.assignment_skip(token=assignment.token, reviewer=first, reason="again")  # idempotent
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.SKIPPED
    assert assignment.skip_reason == "cannot judge"
    assert assignment_next(reviewer=first, campaign=campaign) is None
    assert assignment_next(reviewer=second, campaign=campaign).comparison_id == assignment.comparison_id
    with pytest.raises(Conflict):
        services.judgment_record(assignment_token=assignment.token, reviewer=first, choice="left")


def test_exclude_reviewer_marks_past_and_future_judgments(campaign, reviewers, engineer,
                                                          django_capture_on_commit_callbacks):
    first = reviewers[0]
    assignment = assignment_next(reviewer=first, campaign=campaign)
    services.judgment_record(assignment_token=assignment.token, reviewer=first, choice="left")
    with django_capture_on_commit_callbacks() as callbacks:
        services.reviewer_exclude(campaign=campaign, reviewer=first, reason="random clicking", by=engineer)
    assert Judgment.objects.get(reviewer=first).excluded is True
    assert ReviewerExclusion.objects.filter(campaign=campaign, reviewer=first).count() == 1
    assignment = assignment_next(reviewer=first, campaign=campaign)
    assert services.judgment_record(assignment_token=assignment.token, reviewer=first, choice="left").excluded
    assert services.reviewer_include(campaign=campaign, reviewer=first) == 2
    assert not Judgment.objects.filter(reviewer=first, excluded=True).exists()
    assert isinstance(callbacks, list)


def test_vote_enqueues_one_debounced_refresh(campaign, reviewers, django_capture_on_commit_callbacks, monkeypatch):
    from judging import tasks

    sent = []
    monkeypatch.setattr(tasks.leaderboard_refresh_task, "apply_async", lambda **kw: sent.append(kw))
    for reviewer in reviewers[:3]:
        assignment = assignment_next(reviewer=reviewer, campaign=campaign)
        with django_capture_on_commit_callbacks(execute=True):
            services.judgment_record(assignment_token=assignment.token, reviewer=reviewer, choice="left")
    assert sent == [{"kwargs": {"campaign_id": campaign.pk}, "countdown": services.LEADERBOARD_REFRESH_DELAY_S}]
    campaign.refresh_from_db()
    assert campaign.leaderboard_refresh_pending_since is not None


def test_closed_campaign_serves_nothing(campaign, reviewer):
    services.campaign_set_status(campaign=campaign, status="closed")
    assert assignment_next(reviewer=reviewer, campaign=campaign) is None
    assert assignment_next(reviewer=reviewer) is None


def test_adaptive_design_starts_with_one_pair_per_prompt_then_adds_by_active_sampling(reviewer):
    from judging.models import Campaign

    campaign = active_campaign(n_variants=4, n_prompts=12, k=1)
    Comparison.objects.filter(campaign=campaign).delete()
    Campaign.objects.filter(pk=campaign.pk).update(pair_design="adaptive")
    campaign.refresh_from_db()
    assert services.campaign_build_comparisons(campaign=campaign, rng=random.Random(1)) == 12
    pairs = Counter(Comparison.objects.filter(campaign=campaign).values_list("variant_a_id", "variant_b_id"))
    assert len(pairs) == 6
    assert set(pairs.values()) == {2}  # every pair before any pair twice
    for _ in range(6):
        assignment = assignment_next(reviewer=reviewer, campaign=campaign)
        services.judgment_record(assignment_token=assignment.token, reviewer=reviewer, choice="left")
    added = services.campaign_add_adaptive_comparisons(campaign=campaign, n=10, rng=random.Random(2))
    assert added == 10
    rows = list(Comparison.objects.filter(campaign=campaign).values_list("prompt_id", "variant_a_id", "variant_b_id"))
    assert len(rows) == 22
    assert len(set(rows)) == 22  # no duplicate (prompt, pair)


def test_refresh_task_clears_flag_calls_snapshot_and_reschedules_for_recent_votes(
        campaign, reviewer, monkeypatch, django_capture_on_commit_callbacks):
    from judging import leaderboard, tasks
    from judging.models import Campaign

    calls, sent = [], []
    monkeypatch.setattr(leaderboard, "snapshot_refresh", lambda campaign_id: calls.append(campaign_id))
    monkeypatch.setattr(tasks.leaderboard_refresh_task, "apply_async", lambda **kw: sent.append(kw))
    tasks.leaderboard_refresh_task(campaign_id=campaign.pk)  # no votes: nothing more to do
    assert calls == [campaign.pk]
    assert sent == []
    assignment = assignment_next(reviewer=reviewer, campaign=campaign)
    services.judgment_record(assignment_token=assignment.token, reviewer=reviewer, choice="left")
    assert Campaign.objects.get(pk=campaign.pk).leaderboard_refresh_pending_since is not None
    with django_capture_on_commit_callbacks(execute=True):
        tasks.leaderboard_refresh_task(campaign_id=campaign.pk)  # a vote just now: one more refresh is queued
    assert calls == [campaign.pk, campaign.pk]
    assert len(sent) == 1
    assert Campaign.objects.get(pk=campaign.pk).leaderboard_refresh_pending_since is not None
