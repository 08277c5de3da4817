"""Many reviewers at once, each thread on its own PostgreSQL connection: zero over-assignment."""

from __future__ import annotations

import random
import threading
from collections import Counter

import pytest
from django.db import connection
from django.db.models import Count

from evalhub.core.models import Role
from judging import services
from judging.assignment import assignment_next
from judging.models import Assignment, AssignmentStatus, Comparison, Judgment
from tests.factories import UserFactory
from tests.judging.factories import active_campaign

THREADS = 16


def _run_reviewers(reviewers, campaign, *, skip_rate: float, double_submit: bool) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(reviewers))

    def work(reviewer, seed: int) -> None:
        rng = random.Random(seed)
        try:
            barrier.wait()
            while True:
                assignment = assignment_next(reviewer=reviewer, campaign=campaign, rng=rng)
                if assignment is None:
                    return
                if rng.random() < skip_rate:
                    services.assignment_skip(token=assignment.token, reviewer=reviewer, reason="test")
                    continue
                choice = rng.choice(["left", "right", "tie", "both_bad"])
                services.judgment_record(assignment_token=assignment.token, reviewer=reviewer, choice=choice)
                if double_submit:  # a double click / retry
                    services.judgment_record(assignment_token=assignment.token, reviewer=reviewer, choice=choice)
        except BaseException as exc:  # reported to the main thread
            errors.append(exc)
        finally:
            connection.close()  # each thread had its own connection

    threads = [threading.Thread(target=work, args=(r, i)) for i, r in enumerate(reviewers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def _assert_no_over_assignment(campaign, k: int) -> None:
    per_comparison = Counter(Judgment.objects.filter(campaign=campaign).values_list("comparison_id", flat=True))
    assert max(per_comparison.values()) <= k
    dupes = (Judgment.objects.filter(campaign=campaign).values("comparison_id", "reviewer_id")
             .annotate(n=Count("pk")).filter(n__gt=1))
    assert not dupes.exists()
    for comparison in Comparison.objects.filter(campaign=campaign):
        assert comparison.judgments_done == per_comparison.get(comparison.pk, 0)
    assert not Assignment.objects.filter(campaign=campaign, status=AssignmentStatus.ASSIGNED).exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_reviewers_fill_every_comparison_exactly_k_times():
    campaign = active_campaign(n_variants=5, n_prompts=4, k=3, slug="concurrent")  # 40 comparisons, 120 slots
    reviewers = [UserFactory(role=Role.REVIEWER) for _ in range(THREADS)]
    errors = _run_reviewers(reviewers, campaign, skip_rate=0.0, double_submit=True)
    assert not errors, errors
    _assert_no_over_assignment(campaign, 3)
    assert Judgment.objects.filter(campaign=campaign).count() == 40 * 3  # every slot filled, none twice


@pytest.mark.django_db(transaction=True)
def test_concurrent_reviewers_with_skips_never_exceed_k():
    campaign = active_campaign(n_variants=4, n_prompts=3, k=2, slug="skippy")  # 18 comparisons
    reviewers = [UserFactory(role=Role.REVIEWER) for _ in range(THREADS)]
    errors = _run_reviewers(reviewers, campaign, skip_rate=0.3, double_submit=False)
    assert not errors, errors
    _assert_no_over_assignment(campaign, 2)
