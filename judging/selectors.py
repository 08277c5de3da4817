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


# ---------------------------------------------------------------- failure-mode slices (read by evalhub.failures)

# How a dimension reads a judgment (j) and its comparison (c), by kind; %s is the dimension's key.
_SLICE_EXPRESSIONS = {
    "derived": "c.features ->> %s",
    "campaign_category": "NULLIF(j.category, '')",
}


@dataclass(frozen=True)
class JudgmentSliceStats:
    """Head-to-head judgments of a variant against its baseline in one slice (ties include both-bad).

    A prompt judged several times is one cluster: per prompt g with n_g judgments and S_g = Σ(win − loss),
    ``clusters`` = G, ``cluster_d_sq`` = Σ S_g², ``cluster_nd`` = Σ n_g·S_g, ``cluster_n_sq`` = Σ n_g².
    """

    dimension: str
    value: str
    wins: int
    losses: int
    ties: int
    clusters: int
    cluster_d_sq: float
    cluster_nd: float
    cluster_n_sq: float


@dataclass(frozen=True)
class JudgmentSliceExample:
    comparison_id: int
    campaign_slug: str
    prompt: str
    output: str
    baseline_output: str
    outcome: str  # "loss" | "tie" | "win", for the variant


def failure_slice_stats(*, variant_id: int, baseline_id: int,
                        dimensions: list[tuple[str, str, str]]) -> list[JudgmentSliceStats]:
    """Wins, losses and ties of ``variant_id`` against ``baseline_id`` per slice (one GROUPING SETS query).

    Counts the judgments the leaderboards count: not excluded, not identity-flagged. ``dimensions``:
    (name, kind, key) with kind ``derived`` (a key of the comparison's derived features) or
    ``campaign_category``.
    """
    from evalhub.core.slicing import grouping_sets_sql, slice_expressions, split_grouping_rows

    sets = slice_expressions(_SLICE_EXPRESSIONS, dimensions)
    if not sets:
        return []
    a, b = sorted((variant_id, baseline_id))
    # Canonical outcome "a" = the lower pk won: +1 for the variant when it is that one.
    sign = 1 if variant_id == a else -1
    cols, flags, grouping = grouping_sets_sql([f"({expr})" for _, expr in sets], "c.prompt_id")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {cols}, {flags}, count(*) FILTER (WHERE j.outcome = 'a'), count(*) FILTER (WHERE j.outcome = 'b'),"
            f" count(*) FILTER (WHERE j.outcome NOT IN ('a', 'b')) "
            f"FROM judging_judgment j JOIN judging_comparison c ON c.id = j.comparison_id "
            f"WHERE j.variant_a_id = %s AND j.variant_b_id = %s AND NOT j.excluded AND NOT j.identity_flag "
            f"GROUP BY GROUPING SETS ({grouping})", [a, b])
        rows = split_grouping_rows(cursor.fetchall(), [name for name, _ in sets])
    by_slice: dict[tuple[str, str], list[tuple[int, int, int]]] = {}
    for name, value, (won_a, won_b, ties) in rows:
        wins, losses = (won_a, won_b) if sign == 1 else (won_b, won_a)
        by_slice.setdefault((name, value), []).append((int(wins), int(losses), int(ties)))
    out = []
    for (name, value), parts in sorted(by_slice.items()):
        sizes = [sum(p) for p in parts]
        diffs = [float(p[0] - p[1]) for p in parts]
        out.append(JudgmentSliceStats(
            name, value, sum(p[0] for p in parts), sum(p[1] for p in parts), sum(p[2] for p in parts), len(parts),
            sum(d * d for d in diffs), sum(n * d for n, d in zip(sizes, diffs, strict=True)),
            float(sum(n * n for n in sizes))))
    return out


def failure_slice_examples(*, variant_id: int, baseline_id: int, dimension: tuple[str, str, str], value: str,
                           limit: int = 3) -> list[JudgmentSliceExample]:
    """Comparisons of one slice that the variant lost to the baseline (most losses first)."""
    _, kind, key = dimension
    a, b = sorted((variant_id, baseline_id))
    judgments = Judgment.objects.filter(variant_a_id=a, variant_b_id=b, excluded=False, identity_flag=False)
    if kind == "derived":
        judgments = judgments.filter(**{f"comparison__features__{key}": value})
    elif kind == "campaign_category":
        judgments = judgments.filter(category=value)
    else:
        return []
    lost = "b" if variant_id == a else "a"
    rows = (judgments.filter(outcome=lost).values("comparison_id").annotate(n=Count("id"))
            .order_by("-n", "comparison_id")[:limit])
    ids = [r["comparison_id"] for r in rows]
    comparisons = {c.pk: c for c in Comparison.objects.filter(pk__in=ids).select_related(
        "campaign", "prompt", "completion_a", "completion_b")}
    out = []
    for cid in ids:
        c = comparisons[cid]
        mine, theirs = (c.completion_a, c.completion_b) if variant_id == a else (c.completion_b, c.completion_a)
        out.append(JudgmentSliceExample(cid, c.campaign.slug, _prompt_text(c.prompt.messages), mine.output,
                                        theirs.output, "loss"))
    return out


def _prompt_text(messages: object) -> str:
    user = [m for m in messages if isinstance(m, dict) and m.get("role") == "user"] if isinstance(messages, list) else []
    content = user[-1].get("content") if user else ""
    if isinstance(content, list):
        return "\n".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return str(content or "")


def failure_most_judged_opponent(variant_id: int) -> int | None:
    """The variant judged most often against ``variant_id`` (head to head, counted judgments)."""
    counts: dict[int, int] = {}
    for a, b, n in (Judgment.objects.filter(Q(variant_a_id=variant_id) | Q(variant_b_id=variant_id),
                                            excluded=False, identity_flag=False)
                    .values_list("variant_a_id", "variant_b_id").annotate(n=Count("id"))):
        other = b if a == variant_id else a
        counts[other] = counts.get(other, 0) + n
    return max(counts, key=lambda v: (counts[v], -v)) if counts else None


def failure_slice_prompt_ids(*, variant_id: int, baseline_id: int, dimension: tuple[str, str, str], value: str,
                             limit: int = 500) -> list[int]:
    """Prompts of the head-to-head comparisons in one slice (for a new campaign on that slice)."""
    _, kind, key = dimension
    a, b = sorted((variant_id, baseline_id))
    comparisons = Comparison.objects.filter(variant_a_id=a, variant_b_id=b)
    if kind == "derived":
        comparisons = comparisons.filter(**{f"features__{key}": value})
    elif kind == "campaign_category":
        comparisons = comparisons.filter(judgments__category=value)
    else:
        return []
    return list(comparisons.order_by("prompt_id").values_list("prompt_id", flat=True).distinct()[:limit])
