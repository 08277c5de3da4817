"""With reveal-after-vote, nothing a reviewer was told identifies an answer they are shown next."""

from __future__ import annotations

import pytest

from evalhub.core.models import Role
from judging import services
from judging.assignment import assignment_next
from judging.models import Comparison
from tests.factories import UserFactory
from tests.judging.factories import active_campaign

pytestmark = pytest.mark.django_db


def _judge_all(reviewer, campaign) -> list[Comparison]:
    """Vote through the reviewer's whole queue; return the comparisons in the order served."""
    served = []
    while (assignment := assignment_next(reviewer=reviewer, campaign=campaign)) is not None:
        served.append(assignment.comparison)
        services.judgment_record(assignment_token=assignment.token, reviewer=reviewer, choice="left")
    return served


def _known_before_vote(served: list[Comparison]) -> int:
    """Comparisons shown with an answer whose author an earlier reveal had named."""
    revealed: set[int] = set()
    known = 0
    for comparison in served:
        shown = {comparison.completion_a_id, comparison.completion_b_id}
        known += bool(shown & revealed)
        revealed |= shown
    return known


@pytest.mark.parametrize("n_variants", [3, 4])
def test_no_answer_is_shown_after_its_author_was_revealed(n_variants):
    campaign = active_campaign(n_variants=n_variants, n_prompts=3, k=1, reveal=True, slug=f"reveal{n_variants}")
    reviewers = [UserFactory(role=Role.REVIEWER) for _ in range(3)]
    for reviewer in reviewers:
        served = _judge_all(reviewer, campaign)
        assert served, "each reviewer gets work"
        assert _known_before_vote(served) == 0


def test_blind_campaigns_still_serve_every_pair_to_one_reviewer():
    campaign = active_campaign(n_variants=3, n_prompts=3, k=1, reveal=False, slug="blind")
    reviewer = UserFactory(role=Role.REVIEWER)
    assert len(_judge_all(reviewer, campaign)) == 9


def test_reveal_campaigns_interleave_prompts_instead_of_creation_order():
    campaign = active_campaign(n_variants=2, n_prompts=10, k=1, reveal=True, slug="shuffle")
    reviewer = UserFactory(role=Role.REVIEWER)
    served = [c.pk for c in _judge_all(reviewer, campaign)]
    assert sorted(served) == sorted(Comparison.objects.filter(campaign=campaign).values_list("pk", flat=True))
    assert served != sorted(served)  # one fixed permutation of 10: in id order with chance 1/3,628,800
