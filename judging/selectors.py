"""Reads for judging pages and the API. The reviewer payload is built here and ONLY here, so one
place decides what a reviewer can see before voting: no variant id, slug, name, endpoint or price."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

from django.contrib.auth.models import User
from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum

from evalhub.core.models import Completion
from evalhub.core.read_models import Estimate
from evalhub.core.render import render_markdown
from judging.leaderboard import COUNT_DEFINITIONS as COUNT_DEFINITIONS  # re-exported for the leadership pages
from judging.models import (
    Assignment,
    Campaign,
    CampaignStatus,
    Comparison,
    Judgment,
    LeaderboardSnapshot,
    SnapshotKind,
)
from judging.read_models import PreferenceBoard, VariantPreference


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


# "Open comparisons in the campaign the reviewer has not finished with" as open − finished-by-me:
# (comparison, reviewer) is unique, so the subtraction is exact. The NOT EXISTS form it replaces was
# planned as a nested-loop anti join (open comparisons × the reviewer's assignments) on every next.
_OPEN_SQL = """(SELECT count(*) FROM judging_comparison c JOIN judging_campaign camp ON camp.id = c.campaign_id
    WHERE camp.status = 'active' AND (%(campaign)s::bigint IS NULL OR c.campaign_id = %(campaign)s::bigint)
      AND c.judgments_done < c.judgments_needed)
  - (SELECT count(*) FROM judging_assignment a JOIN judging_comparison c ON c.id = a.comparison_id
       JOIN judging_campaign camp ON camp.id = c.campaign_id
     WHERE a.reviewer_id = %(reviewer)s AND a.status <> 'assigned' AND camp.status = 'active'
       AND (%(campaign)s::bigint IS NULL OR c.campaign_id = %(campaign)s::bigint)
       AND c.judgments_done < c.judgments_needed)"""
_DONE_SQL = """(SELECT count(*) FROM judging_judgment j
    WHERE j.reviewer_id = %(reviewer)s AND (%(campaign)s::bigint IS NULL OR j.campaign_id = %(campaign)s::bigint))"""
_PROGRESS_SQL = f"SELECT {_DONE_SQL}, {_OPEN_SQL}"

# Everything the reviewer's page needs in one statement, selected column by column: nothing
# identifying (variant ids, slugs, names, prices) is even read. Progress rides along.
_VIEW_SQL = f"""
SELECT camp.slug, camp.name, camp.instructions, camp.criteria, p.messages, ca.output, cb.output,
       {_DONE_SQL}, {_OPEN_SQL}
FROM judging_comparison cmp
JOIN judging_campaign camp ON camp.id = cmp.campaign_id
JOIN core_prompt p ON p.id = cmp.prompt_id
JOIN core_completion ca ON ca.id = cmp.completion_a_id
JOIN core_completion cb ON cb.id = cmp.completion_b_id
WHERE cmp.id = %(comparison)s
"""


def _json(value):
    # psycopg hands jsonb to Django as text (the field decodes it); a raw cursor must decode itself.
    return json.loads(value) if isinstance(value, (str, bytes)) else value


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
    # One round trip (raw SQL: the ORM's select_related over five tables cost more Python than the
    # query itself on this hot path). Progress is the same count as ``reviewer_progress``.
    with connection.cursor() as cursor:
        cursor.execute(_VIEW_SQL, {"comparison": assignment.comparison_id, "reviewer": reviewer.pk,
                                   "campaign": assignment.campaign_id})
        slug, name, instructions, criteria, messages, output_a, output_b, done, remaining = cursor.fetchone()
    left, right = (output_b, output_a) if assignment.swapped else (output_a, output_b)
    return {
        "token": str(assignment.token),
        "campaign": {"slug": slug, "name": name},
        "instructions": instructions,
        "turns": [{"role": str(m.get("role", "user")), "text": str(m.get("content", ""))}
                  for m in _json(messages) or [] if m.get("role") in {"user", "assistant", "system"}],
        "left_text": left,
        "right_text": right,
        "criteria": list(_json(criteria) or []),
        "expires_at": assignment.expires_at.isoformat(),
        "progress": {"done": done, "total_available": done + remaining},
    }


@lru_cache(maxsize=1024)
def _rendered(text: str) -> str:
    """``render_markdown`` memoised on the text itself: a comparison's answers are served to k
    reviewers (and again on reload), and markdown + nh3 of two answers was the CPU of every next.
    Keyed on the exact text, so an edited answer can never be served with stale HTML; bounded, so
    memory stays flat (≈1024 answers per worker process)."""
    return render_markdown(text)


def assignment_payload(assignment: Assignment, reviewer: User) -> dict:
    """The API form of ``assignment_view``: every text rendered to sanitised HTML on the server."""
    view = assignment_view(assignment, reviewer)
    return {
        "token": view["token"], "campaign": view["campaign"],
        "instructions_html": _rendered(view["instructions"]),
        "turns": [{"role": t["role"], "html": _rendered(t["text"])} for t in view["turns"]],
        "left": {"html": _rendered(view["left_text"])},
        "right": {"html": _rendered(view["right_text"])},
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


def preference_overall() -> PreferenceBoard:
    """Per-variant BT score and interval of the latest overall leaderboard snapshot (1 query).

    Reads the rows ``judging.leaderboard.compute_board`` writes: ``variant_id``, ``score``,
    ``ci_lower``/``ci_upper`` (bootstrap 95% interval) and ``votes``.
    """
    snap = (LeaderboardSnapshot.objects.filter(campaign__isnull=True, kind=SnapshotKind.BT)
            .order_by("-computed_at", "-id").first())
    if snap is None:
        return PreferenceBoard(None, 0)
    board = ((snap.payload or {}).get("boards") or {}).get("all") or {}
    rows = [
        VariantPreference(int(row["variant_id"]), Estimate(
            float(row["score"]), float(row["ci_lower"]), float(row["ci_upper"]), None,
            None if row.get("votes") is None else int(row["votes"])))
        for row in board.get("rows") or []
    ]
    return PreferenceBoard(snap.computed_at, snap.n_judgments, tuple(rows))
