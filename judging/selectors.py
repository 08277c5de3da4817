"""Reads for judging pages and the API. The reviewer payload is built here and ONLY here, so one
place decides what a reviewer can see before voting: no variant id, slug, name, endpoint or price."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum

from evalhub.core.models import Completion
from evalhub.core.render import render_markdown
from judging.models import Assignment, Campaign, CampaignStatus, Comparison, Judgment


def campaign_by_slug(slug: str) -> Campaign | None:
    return Campaign.objects.filter(slug=slug).first()


def campaigns_for_reviewer() -> QuerySet[Campaign]:
    return Campaign.objects.filter(status=CampaignStatus.ACTIVE).order_by("name")


def campaigns_list() -> QuerySet[Campaign]:
    return Campaign.objects.annotate(
        n_variants=Count("variants", distinct=True),
        n_prompts=Count("prompts", distinct=True),
    ).select_related("created_by").order_by("-created_at")


@dataclass(frozen=True)
class CampaignProgress:
    comparisons: int
    gold: int
    judgments_needed: int
    judgments_done: int
    judgments: int
    identity_flagged: int
    excluded: int
    answers_present: int
    answers_needed: int

    @property
    def answers_percent(self) -> float:
        return 100.0 * self.answers_present / self.answers_needed if self.answers_needed else 100.0

    @property
    def judged_percent(self) -> float:
        return 100.0 * self.judgments_done / self.judgments_needed if self.judgments_needed else 0.0


def campaign_progress(campaign: Campaign) -> CampaignProgress:
    comp = Comparison.objects.filter(campaign=campaign).aggregate(
        n=Count("pk"), gold=Count("pk", filter=Q(is_gold=True)),
    )
    regular = Comparison.objects.filter(campaign=campaign, is_gold=False)
    sums = regular.aggregate(need=Sum("judgments_needed"), done=Sum("judgments_done"))
    jud = Judgment.objects.filter(campaign=campaign).aggregate(
        n=Count("pk"), identity=Count("pk", filter=Q(identity_flag=True)), excluded=Count("pk", filter=Q(excluded=True)),
    )
    prompt_ids = campaign.prompts.values_list("pk", flat=True)
    variant_ids = list(campaign.variants.values_list("pk", flat=True))
    n_prompts = campaign.prompts.count()
    present = Completion.objects.filter(prompt_id__in=prompt_ids, variant_id__in=variant_ids).count()
    return CampaignProgress(
        comparisons=comp["n"], gold=comp["gold"], judgments_needed=sums["need"] or 0,
        judgments_done=sums["done"] or 0, judgments=jud["n"], identity_flagged=jud["identity"],
        excluded=jud["excluded"], answers_present=present, answers_needed=n_prompts * len(variant_ids),
    )


_PROGRESS_SQL = """
SELECT
  (SELECT count(*) FROM judging_judgment j
    WHERE j.reviewer_id = %(reviewer)s AND (%(campaign)s::bigint IS NULL OR j.campaign_id = %(campaign)s::bigint)),
  (SELECT count(*) FROM judging_comparison c JOIN judging_campaign camp ON camp.id = c.campaign_id
    WHERE camp.status = 'active' AND (%(campaign)s::bigint IS NULL OR c.campaign_id = %(campaign)s::bigint)
      AND c.judgments_done < c.judgments_needed
      AND NOT EXISTS (SELECT 1 FROM judging_assignment a
                      WHERE a.comparison_id = c.id AND a.reviewer_id = %(reviewer)s AND a.status <> 'assigned'))
"""


def reviewer_progress(reviewer: User, campaign: Campaign | None) -> dict:
    """{done, total_available}: the reviewer's judgments, plus open comparisons they could still get
    (including the one they hold now). One statement: it runs on every next and vote."""
    with connection.cursor() as cursor:
        cursor.execute(_PROGRESS_SQL, {"reviewer": reviewer.pk, "campaign": campaign.pk if campaign else None})
        done, remaining = cursor.fetchone()
    return {"done": done, "total_available": done + remaining}


def assignment_view(assignment: Assignment, reviewer: User) -> dict:
    """What the reviewer sees, as raw text for the page template (rendered there with ``|markdown``).

    Deliberately built field by field (no model serialisation) so nothing identifying leaks:
    no variant id, slug, name, endpoint or price, and the token instead of any database id.
    """
    comparison = (Comparison.objects.select_related("prompt", "completion_a", "completion_b", "campaign")
                  .get(pk=assignment.comparison_id))
    left, right = comparison.completion_a, comparison.completion_b
    if assignment.swapped:
        left, right = right, left
    campaign = comparison.campaign
    return {
        "token": str(assignment.token),
        "campaign": {"slug": campaign.slug, "name": campaign.name},
        "instructions": campaign.instructions,
        "turns": [{"role": str(m.get("role", "user")), "text": str(m.get("content", ""))}
                  for m in comparison.prompt.messages or [] if m.get("role") in {"user", "assistant", "system"}],
        "left_text": left.output,
        "right_text": right.output,
        "criteria": list(campaign.criteria),
        "expires_at": assignment.expires_at.isoformat(),
        "progress": reviewer_progress(reviewer, campaign),
    }


def assignment_payload(assignment: Assignment, reviewer: User) -> dict:
    """The API form of ``assignment_view``: every text rendered to sanitised HTML on the server."""
    view = assignment_view(assignment, reviewer)
    return {
        "token": view["token"], "campaign": view["campaign"],
        "instructions_html": render_markdown(view["instructions"]),
        "turns": [{"role": t["role"], "html": render_markdown(t["text"])} for t in view["turns"]],
        "left": {"html": render_markdown(view["left_text"])},
        "right": {"html": render_markdown(view["right_text"])},
        "criteria": view["criteria"], "expires_at": view["expires_at"], "progress": view["progress"],
    }


def reveal_for(judgment: Judgment, assignment: Assignment) -> dict | None:
    """After the vote, and only if the campaign allows it: which variant was on which side."""
    if not judgment.campaign.reveal_after_vote:
        return None
    from evalhub.core.models import ModelVariant

    names = dict(ModelVariant.objects.filter(pk__in=[judgment.variant_a_id, judgment.variant_b_id])
                 .values_list("pk", "name"))
    a, b = names.get(judgment.variant_a_id, ""), names.get(judgment.variant_b_id, "")
    return {"left": b, "right": a} if assignment.swapped else {"left": a, "right": b}


def campaign_reviewers(campaign: Campaign) -> list[dict]:
    """Per reviewer: judgments, excluded flag; the engineer's view next to the exclude button."""
    rows = (Judgment.objects.filter(campaign=campaign).values("reviewer_id", "reviewer__username")
            .annotate(n=Count("pk"), excluded_n=Count("pk", filter=Q(excluded=True)),
                      gold_n=Count("pk", filter=Q(gold_correct__isnull=False)),
                      gold_right=Count("pk", filter=Q(gold_correct=True)))
            .order_by("reviewer__username"))
    return [{"id": r["reviewer_id"], "username": r["reviewer__username"], "judgments": r["n"],
             "excluded": r["excluded_n"] == r["n"] and r["n"] > 0, "gold_n": r["gold_n"],
             "gold_right": r["gold_right"]} for r in rows]
