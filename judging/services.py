"""Writes for judging: campaigns, prompt import, answer generation, comparisons, votes, skips, exclusions."""

from __future__ import annotations

import itertools
import json
import random
import time
import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.text import slugify

from evalhub.core.errors import Conflict, Forbidden, Invalid, NotFound
from evalhub.core.middleware import nul_paths
from evalhub.core.models import Completion, ModelVariant, Prompt
from judging.identity import identity_words_for, reveals_identity
from judging.models import (
    Assignment,
    AssignmentStatus,
    Campaign,
    CampaignStatus,
    Comparison,
    Judgment,
    Outcome,
    PairDesign,
    ReviewerExclusion,
)

LEADERBOARD_REFRESH_DELAY_S = 5
GOLD_JUDGMENTS_CAP = 1000  # gold items are served to every reviewer once (they measure reviewers, not models)
CHOICES = {"left", "right", "tie", "both_bad"}
CRITERION_CHOICES = {"left", "right", "tie"}


# ---------------------------------------------------------------- campaigns


@transaction.atomic
def campaign_create(*, name: str, variants: list[ModelVariant], created_by: User | None = None, slug: str = "",
                    instructions: str = "", prompts: list[Prompt] | None = None,
                    pair_design: str = PairDesign.ALL, redundancy_k: int = 1, criteria: list[str] | None = None,
                    gold_rate: float = 0.0, reveal_after_vote: bool = False, lease_seconds: int = 600,
                    exclude_identity_votes: bool = True) -> Campaign:
    criteria = [str(c).strip() for c in (criteria or []) if str(c).strip()]
    if len(set(criteria)) != len(criteria):
        raise ValidationError({"criteria": ["criteria must be distinct"]})
    if len({v.pk for v in variants}) < 2:
        raise ValidationError({"variants": ["choose at least two variants"]})
    campaign = Campaign(
        name=name, slug=slug or slugify(name)[:80], instructions=instructions, pair_design=pair_design,
        redundancy_k=redundancy_k, criteria=criteria, gold_rate=gold_rate, reveal_after_vote=reveal_after_vote,
        lease_seconds=lease_seconds, exclude_identity_votes=exclude_identity_votes, created_by=created_by,
    )
    campaign.full_clean()
    campaign.save()
    campaign.variants.set(variants)
    if prompts:
        campaign.prompts.set(prompts)
    return campaign


def campaign_register(*, variant_slugs: list[str], prompt_category: str | None = None, created_by: User | None = None,
                      **fields: Any) -> Campaign:
    """``campaign_create`` from what the API receives: variants by slug, prompts by category ("*": all).
    Unknown slugs and a slug already taken are refused naming the field."""
    variants = list(ModelVariant.objects.filter(slug__in=variant_slugs))
    missing = sorted(set(variant_slugs) - {v.slug for v in variants})
    if missing:
        raise Invalid(f"unknown variant slug(s): {', '.join(missing)}", "variants")
    if fields.get("slug") and Campaign.objects.filter(slug=fields["slug"]).exists():
        raise Conflict("a campaign with this slug exists", "slug")
    prompts = None
    if prompt_category:
        qs = Prompt.objects.all()
        prompts = list(qs if prompt_category == "*" else qs.filter(category=prompt_category))
    return campaign_create(variants=variants, prompts=prompts, created_by=created_by, **fields)


def _import_error(line_no: int, field: str, message: str) -> ValidationError:
    return ValidationError({f"line {line_no}: {field}": [message]})


@dataclass(frozen=True)
class ImportResult:
    prompts: int
    answers: int
    gold: int


def _parse_line(line_no: int, raw: str, slugs: set[str]) -> dict:
    try:
        row = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise _import_error(line_no, "json", f"not valid JSON ({exc.msg})") from None
    if not isinstance(row, dict):
        raise _import_error(line_no, "json", "each line must be a JSON object")
    nul = next(nul_paths(row, "line"), None)
    if nul is not None:  # PostgreSQL text and jsonb cannot hold NUL
        raise _import_error(line_no, nul.removeprefix("line."), "must not contain NUL (\\u0000) characters")
    if "messages" in row:
        messages = row["messages"]
        if (not isinstance(messages, list) or not messages
                or not all(isinstance(m, dict) and m.get("role") in {"system", "user", "assistant"}
                           and isinstance(m.get("content"), str) for m in messages)):
            raise _import_error(line_no, "messages", 'a non-empty list of {"role": user|assistant|system, "content": str}')
    elif isinstance(row.get("prompt"), str) and row["prompt"].strip():
        messages = [{"role": "user", "content": row["prompt"]}]
    else:
        raise _import_error(line_no, "prompt", "give 'prompt' (text) or 'messages' (chat list)")
    answers = row.get("answers") or {}
    if not isinstance(answers, dict):
        raise _import_error(line_no, "answers", "an object {variant_slug: answer text}")
    for slug, text in answers.items():
        if slug not in slugs:
            raise _import_error(line_no, f"answers.{slug}", "not a variant of this campaign")
        if not isinstance(text, str) or not text.strip():
            raise _import_error(line_no, f"answers.{slug}", "answer must be non-empty text")
    for field in ("category", "external_id", "language"):
        if field in row and not isinstance(row[field], str):
            raise _import_error(line_no, field, "must be a string")
    gold = row.get("gold")
    if gold is not None:
        if not isinstance(gold, dict) or not isinstance(gold.get("pair"), list) or len(gold["pair"]) != 2:
            raise _import_error(line_no, "gold", '{"pair": [slug1, slug2], "answer": slug1|slug2|"tie"}')
        pair = gold["pair"]
        if pair[0] == pair[1] or any(slug not in answers for slug in pair):
            raise _import_error(line_no, "gold.pair", "two different variant slugs that have answers on this line")
        if gold.get("answer") not in {*pair, "tie"}:
            raise _import_error(line_no, "gold.answer", "one of the pair's slugs or 'tie'")
    return {"messages": messages, "answers": answers, "gold": gold, "category": row.get("category", ""),
            "external_id": row.get("external_id", ""), "language": row.get("language", "")}


@transaction.atomic
def campaign_import_prompts(*, campaign: Campaign, text: str) -> ImportResult:
    """Import JSONL prompts (optionally with answers per variant slug and gold pairs), all or nothing.

    Each line: {"prompt": "..."} or {"messages": [...]}, optional "category", "external_id",
    "answers": {slug: text}, "gold": {"pair": [slug1, slug2], "answer": slug1|slug2|"tie"}.
    The first bad line raises a ValidationError naming the line and the field; nothing is written.
    """
    variants = {v.slug: v for v in campaign.variants.all()}
    lines = [(n, raw) for n, raw in enumerate(text.splitlines(), start=1) if raw.strip()]
    if not lines:
        raise ValidationError({"file": ["no prompts: the file is empty"]})
    rows = [_parse_line(n, raw, set(variants)) for n, raw in lines]
    prompts = Prompt.objects.bulk_create([
        Prompt(messages=row["messages"], category=row["category"][:80], external_id=row["external_id"][:200],
               language=row["language"][:16], tags=["imported"]) for row in rows
    ])
    campaign.prompts.add(*prompts)
    completions = Completion.objects.bulk_create([
        Completion(prompt=prompt, variant=variants[slug], output=answer, source="imported")
        for prompt, row in zip(prompts, rows, strict=True) for slug, answer in row["answers"].items()
    ])
    by_key = {(c.prompt_id, c.variant_id): c for c in completions}
    gold_rows = []
    for prompt, row in zip(prompts, rows, strict=True):
        if row["gold"] is None:
            continue
        first, second = (variants[slug] for slug in row["gold"]["pair"])
        answer = row["gold"]["answer"]
        a, b = (first, second) if first.pk < second.pk else (second, first)
        canonical = "tie" if answer == "tie" else ("a" if answer == a.slug else "b")
        gold_rows.append(Comparison(
            campaign=campaign, prompt=prompt, completion_a=by_key[(prompt.pk, a.pk)],
            completion_b=by_key[(prompt.pk, b.pk)], variant_a=a, variant_b=b, is_gold=True,
            gold_answer=canonical, judgments_needed=GOLD_JUDGMENTS_CAP,
        ))
    Comparison.objects.bulk_create(gold_rows)
    return ImportResult(prompts=len(prompts), answers=len(completions), gold=len(gold_rows))


def _missing_pairs(campaign: Campaign) -> list[tuple[int, int]]:
    prompt_ids = list(campaign.prompts.values_list("pk", flat=True))
    variant_ids = list(campaign.variants.values_list("pk", flat=True))
    present = set(Completion.objects.filter(prompt_id__in=prompt_ids, variant_id__in=variant_ids)
                  .values_list("prompt_id", "variant_id"))
    return [(p, v) for p in prompt_ids for v in variant_ids if (p, v) not in present]


@transaction.atomic
def campaign_start(*, campaign: Campaign) -> Campaign:
    """Generate missing answers in the background, or (when all are present) build comparisons and open."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status not in {CampaignStatus.DRAFT, CampaignStatus.CLOSED}:
        return campaign
    if not campaign.prompts.exists():
        raise ValidationError({"prompts": ["add prompts before starting the campaign"]})
    if _missing_pairs(campaign):
        campaign.status = CampaignStatus.GENERATING
        campaign.save(update_fields=["status"])
        from judging.tasks import campaign_generate_answers_task

        transaction.on_commit(lambda: campaign_generate_answers_task.delay(campaign_id=campaign.pk))
        return campaign
    campaign_build_comparisons(campaign=campaign)
    campaign.status = CampaignStatus.ACTIVE
    campaign.save(update_fields=["status"])
    return campaign


def campaign_generate_answers_fanout(*, campaign_id: int, queue: str | None = None) -> int:
    """Enqueue one completion job per missing (prompt, variant); then a finisher that opens the campaign."""
    from evalhub.core.tasks import completion_generate_task
    from judging.tasks import campaign_finish_generation_task

    campaign = Campaign.objects.get(pk=campaign_id)
    missing = _missing_pairs(campaign)
    for prompt_id, variant_id in missing:
        completion_generate_task.apply_async(kwargs={"prompt_id": prompt_id, "variant_id": variant_id}, queue=queue)
    campaign_finish_generation_task.apply_async(kwargs={"campaign_id": campaign_id}, countdown=1, queue=queue)
    return len(missing)


def campaign_finish_generation(*, campaign_id: int, queue: str | None = None, poll_seconds: float = 1.0,
                               max_wait_s: float = 3600.0) -> bool:
    """Open the campaign once every answer exists; otherwise check again later (idempotent)."""
    from judging.tasks import campaign_finish_generation_task

    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
        if campaign.status != CampaignStatus.GENERATING:
            return campaign.status == CampaignStatus.ACTIVE
        if not _missing_pairs(campaign):
            campaign_build_comparisons(campaign=campaign)
            campaign.status = CampaignStatus.ACTIVE
            campaign.save(update_fields=["status"])
            return True
    if (timezone.now() - campaign.created_at).total_seconds() < max_wait_s:
        campaign_finish_generation_task.apply_async(kwargs={"campaign_id": campaign_id}, countdown=poll_seconds,
                                                    queue=queue)
    return False


def _completion_map(campaign: Campaign) -> dict[tuple[int, int], int]:
    prompt_ids = campaign.prompts.values_list("pk", flat=True)
    variant_ids = campaign.variants.values_list("pk", flat=True)
    return {(p, v): c for c, p, v in Completion.objects.filter(prompt_id__in=prompt_ids, variant_id__in=variant_ids)
            .values_list("pk", "prompt_id", "variant_id")}


def _comparison(campaign: Campaign, prompt_id: int, va: int, vb: int, completions: dict) -> Comparison | None:
    a, b = sorted((va, vb))
    ca, cb = completions.get((prompt_id, a)), completions.get((prompt_id, b))
    if ca is None or cb is None:
        return None
    return Comparison(campaign=campaign, prompt_id=prompt_id, completion_a_id=ca, completion_b_id=cb,
                      variant_a_id=a, variant_b_id=b, judgments_needed=campaign.redundancy_k)


@transaction.atomic
def campaign_build_comparisons(*, campaign: Campaign, rng: random.Random | None = None) -> int:
    """All pairs × prompts (or, adaptive, one pair per prompt round-robin); existing ones are kept."""
    completions = _completion_map(campaign)
    variant_ids = sorted(campaign.variants.values_list("pk", flat=True))
    prompt_ids = list(campaign.prompts.order_by("pk").values_list("pk", flat=True))
    pairs = list(itertools.combinations(variant_ids, 2))
    if campaign.pair_design == PairDesign.ADAPTIVE:
        # Initial round: every pair once before any pair twice, then active sampling adds the rest.
        (rng or random.Random(campaign.pk)).shuffle(pairs)
        wanted = [(p, *pairs[i % len(pairs)]) for i, p in enumerate(prompt_ids)]
    else:
        wanted = [(p, a, b) for p in prompt_ids for a, b in pairs]
    existing = set(Comparison.objects.filter(campaign=campaign).values_list("prompt_id", "variant_a_id", "variant_b_id"))
    rows = [row for p, a, b in wanted
            if (p, a, b) not in existing and (row := _comparison(campaign, p, a, b, completions)) is not None]
    Comparison.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


@transaction.atomic
def campaign_add_adaptive_comparisons(*, campaign: Campaign, n: int, rng: random.Random | None = None) -> int:
    """Add up to ``n`` comparisons on the pairs the stats engine's active-sampling rule favours
    (adaptive campaigns only)."""
    import numpy as np

    if campaign.pair_design != PairDesign.ADAPTIVE:
        raise Invalid("this campaign uses all pairs", "pair_design")

    from evalhub.stats.ratings import next_pair_probabilities

    rng = rng or random.Random()
    variant_ids = sorted(campaign.variants.values_list("pk", flat=True))
    index = {vid: i for i, vid in enumerate(variant_ids)}
    wins = np.zeros((len(variant_ids), len(variant_ids)))
    for a, b, outcome in (Judgment.objects.filter(campaign=campaign, excluded=False)
                          .values_list("variant_a_id", "variant_b_id", "outcome")):
        if a in index and b in index:
            i, j = index[a], index[b]
            if outcome == Outcome.A:
                wins[i, j] += 1
            elif outcome == Outcome.B:
                wins[j, i] += 1
            else:  # ties and both-bad count half to each side
                wins[i, j] += 0.5
                wins[j, i] += 0.5
    probs = next_pair_probabilities(wins)
    flat = [(i, j) for i in range(len(variant_ids)) for j in range(len(variant_ids)) if probs[i, j] > 0]
    weights = [float(probs[i, j]) for i, j in flat]
    existing = set(Comparison.objects.filter(campaign=campaign).values_list("prompt_id", "variant_a_id", "variant_b_id"))
    completions = _completion_map(campaign)
    prompt_ids = list(campaign.prompts.values_list("pk", flat=True))
    rows: list[Comparison] = []
    for _ in range(n * 5):  # a few tries per slot: a drawn pair may already cover every prompt
        if len(rows) >= n or not flat:
            break
        i, j = rng.choices(flat, weights=weights)[0]
        a, b = variant_ids[i], variant_ids[j]
        free = [p for p in prompt_ids if (p, a, b) not in existing]
        if not free:
            continue
        prompt_id = rng.choice(free)
        row = _comparison(campaign, prompt_id, a, b, completions)
        if row is not None:
            existing.add((prompt_id, a, b))
            rows.append(row)
    Comparison.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


@transaction.atomic
def campaign_set_status(*, campaign: Campaign, status: str) -> Campaign:
    campaign.status = status
    campaign.full_clean()
    campaign.save(update_fields=["status"])
    return campaign


# ---------------------------------------------------------------- votes


def _refresh_soon(campaign_id: int) -> None:
    """Debounced leaderboard refresh: a DB flag (only the vote that sets it enqueues) + a countdown.

    The UPDATE matches no row while a refresh is pending, so a burst of votes costs one cheap
    statement each and ONE task; the task clears the flag before computing, so votes that land
    during the computation schedule the next refresh.
    """
    flipped = Campaign.objects.filter(pk=campaign_id, leaderboard_refresh_pending_since__isnull=True).update(
        leaderboard_refresh_pending_since=timezone.now())
    if flipped:
        _enqueue_refresh(campaign_id)


def _enqueue_refresh(campaign_id: int) -> None:
    from judging.tasks import leaderboard_refresh_task

    transaction.on_commit(lambda: leaderboard_refresh_task.apply_async(
        kwargs={"campaign_id": campaign_id}, countdown=LEADERBOARD_REFRESH_DELAY_S))


_IDENTITY_CACHE: dict[int, tuple[float, tuple[str, ...]]] = {}


def _identity_words(campaign_id: int) -> tuple[str, ...]:
    # Variant names change rarely; a minute-old list costs nothing and saves a query per vote.
    cached = _IDENTITY_CACHE.get(campaign_id)
    if cached is not None and time.monotonic() - cached[0] < 60:
        return cached[1]
    names = []
    for slug, name, family, endpoint_model in ModelVariant.objects.filter(campaigns=campaign_id).values_list(
            "slug", "name", "family", "endpoint_model"):
        names += [slug, name, family, endpoint_model]
    words = identity_words_for(names)
    _IDENTITY_CACHE[campaign_id] = (time.monotonic(), words)
    return words


def _parse_token(token: Any) -> uuid.UUID:
    try:
        return token if isinstance(token, uuid.UUID) else uuid.UUID(str(token))
    except ValueError:
        raise NotFound("no such assignment", "token") from None


def _locked_assignment(token: Any, reviewer: User) -> Assignment:
    token = _parse_token(token)
    # ONE statement: the assignment with what the vote needs, locking its COMPARISON row only. Every
    # writer of an assignment row (vote, skip, the assigner's lazy expiry in judging.assignment)
    # holds the comparison lock first, so that lock serialises them all; lock order comparison →
    # assignment stays the assigner's, and done + active leases never exceeds k. The comparison is
    # locked before we know the assignment is ours: harmless (a foreign token only holds the row
    # for this short transaction) and it saves a round trip on the hot path.
    assignment = (Assignment.objects.select_for_update(of=("comparison",))
                  .select_related("comparison__prompt", "comparison__completion_a", "comparison__completion_b",
                                  "campaign")
                  .annotate(reviewer_excluded=Exists(ReviewerExclusion.objects.filter(
                      Q(campaign_id=OuterRef("campaign_id")) | Q(campaign__isnull=True),
                      reviewer_id=OuterRef("reviewer_id"))))
                  .filter(token=token).first())
    if assignment is None:
        raise NotFound("no such assignment", "token")
    if assignment.reviewer_id != reviewer.pk:
        raise Forbidden("this comparison was assigned to another reviewer")
    return assignment


# The campaign row is updated by every vote (the flag kept when set), not only by the one that sets the flag: the
# row lock, held until the vote commits, makes the refresh task's flag-clearing UPDATE wait for votes in flight, so
# the snapshot it then computes counts them. (Matching only a clear flag took no lock: a vote that found the flag
# set could commit after the task had cleared it, counted and checked for recent votes — and wait for the next
# vote.) The vote set the flag iff it now holds this vote's timestamp.
_VOTE_COUNT_SQL = """
WITH judged AS (UPDATE judging_assignment SET status = %(judged)s WHERE id = %(assignment)s),
     counted AS (UPDATE judging_comparison SET judgments_done = judgments_done + 1 WHERE id = %(comparison)s)
UPDATE judging_campaign
SET leaderboard_refresh_pending_since = COALESCE(leaderboard_refresh_pending_since, %(now)s)
WHERE id = %(campaign)s
RETURNING leaderboard_refresh_pending_since = %(now)s
"""


def _canonical(side: str, swapped: bool) -> str:
    if side == "tie":
        return "tie"
    left_is_a = not swapped
    return "a" if (side == "left") == left_is_a else "b"


def _displayed(side: str, swapped: bool) -> str:
    """A canonical side ("a", "b", "tie", "both_bad") as the reviewer saw it ("left", "right", ...)."""
    if side in {"tie", "both_bad"}:
        return side
    return "left" if (side == "a") != swapped else "right"


def stored_vote(judgment: Judgment, assignment: Assignment) -> dict:
    """The stored vote in the reviewer's own left/right terms (what a refused second vote is shown)."""
    return {"choice": _displayed(judgment.outcome, assignment.swapped),
            "criteria": {name: _displayed(side, assignment.swapped) for name, side in judgment.criteria.items()},
            "rationale": judgment.rationale, "created_at": judgment.created_at.isoformat()}


def _repeat(assignment: Assignment, choice: str, criteria: dict) -> Judgment:
    """A second vote on a judged assignment: the same vote returns the first; another is 409."""
    judgment = Judgment.objects.get(assignment=assignment)
    vote = stored_vote(judgment, assignment)
    if vote["choice"] != choice or any(vote["criteria"].get(name) != side for name, side in criteria.items()):
        raise Conflict("you already voted on this comparison; a vote cannot be changed", vote=vote)
    return judgment


@transaction.atomic
def judgment_record(*, assignment_token: Any, reviewer: User, choice: str, criteria: dict | None = None,
                    rationale: str = "") -> Judgment:
    """Store a vote in canonical order. A repeat of the same vote returns the first; a different
    choice on a judged comparison is a 409 carrying the stored vote; a closed campaign takes no votes."""
    assignment = _locked_assignment(assignment_token, reviewer)
    # The statement above read the assignment row from its snapshot, taken BEFORE it waited for the
    # comparison lock: a concurrent vote on the same token may have committed meanwhile. Re-read the
    # status now that the lock is ours (READ COMMITTED: a new statement sees that commit).
    assignment.status = Assignment.objects.filter(pk=assignment.pk).values_list("status", flat=True).get()
    criteria = criteria or {}
    if assignment.status == AssignmentStatus.JUDGED:
        return _repeat(assignment, choice, criteria)
    if assignment.status == AssignmentStatus.SKIPPED:
        raise Conflict("you skipped this comparison; load the next comparison")
    now = timezone.now()
    if assignment.status == AssignmentStatus.EXPIRED or assignment.expires_at <= now:
        raise Conflict("this assignment expired; load the next comparison")
    if assignment.campaign.status != CampaignStatus.ACTIVE:
        raise Conflict("this campaign is closed: votes are no longer counted")
    if choice not in CHOICES:
        raise ValidationError({"choice": [f"choose one of {', '.join(sorted(CHOICES))}"]})
    campaign, comparison = assignment.campaign, assignment.comparison
    unknown = [name for name in criteria if name not in campaign.criteria]
    if unknown:
        raise ValidationError({f"criteria.{unknown[0]}": ["not a criterion of this campaign"]})
    bad = [name for name, side in criteria.items() if side not in CRITERION_CHOICES]
    if bad:
        raise ValidationError({f"criteria.{bad[0]}": ["choose left, right or tie"]})
    outcome = "both_bad" if choice == "both_bad" else _canonical(choice, assignment.swapped)
    excluded = assignment.reviewer_excluded
    judgment = Judgment(
        assignment=assignment, comparison=comparison, campaign=campaign, reviewer=reviewer,
        variant_a_id=comparison.variant_a_id, variant_b_id=comparison.variant_b_id, outcome=outcome,
        criteria={name: _canonical(side, assignment.swapped) for name, side in criteria.items()},
        rationale=(rationale or "").strip()[:5000],
        seconds_taken=max(0.0, (now - assignment.leased_at).total_seconds()),
        identity_flag=reveals_identity(comparison.completion_a.output, comparison.completion_b.output,
                                       extra_words=_identity_words(campaign.pk)),
        excluded=excluded,
        gold_correct=(outcome == comparison.gold_answer) if comparison.is_gold else None,
        category=comparison.prompt.category, created_at=now,
    )
    judgment.full_clean(exclude=["assignment", "comparison", "campaign", "reviewer", "variant_a", "variant_b"],
                        validate_unique=False, validate_constraints=False)
    judgment.save()
    assignment.status = AssignmentStatus.JUDGED
    # Mark the assignment judged, count the judgment and set the leaderboard debounce flag (see
    # _refresh_soon) in one statement: three round trips were a third of the vote's latency.
    with connection.cursor() as cursor:
        cursor.execute(_VOTE_COUNT_SQL, {"judged": AssignmentStatus.JUDGED, "assignment": assignment.pk,
                                         "comparison": comparison.pk, "campaign": campaign.pk, "now": now})
        flipped = cursor.fetchone()[0]
    if flipped:
        _enqueue_refresh(campaign.pk)
    return judgment


@transaction.atomic
def assignment_skip(*, token: Any, reviewer: User, reason: str = "") -> Assignment:
    """Give the comparison back to the pool; this reviewer will not be shown it again. Idempotent."""
    assignment = _locked_assignment(token, reviewer)
    # As in judgment_record: a vote may have committed while we waited for the lock.
    assignment.status = Assignment.objects.filter(pk=assignment.pk).values_list("status", flat=True).get()
    if assignment.status == AssignmentStatus.SKIPPED:
        return assignment
    if assignment.status == AssignmentStatus.JUDGED:
        raise Conflict("this comparison is already judged")
    if assignment.status == AssignmentStatus.EXPIRED or assignment.expires_at <= timezone.now():
        raise Conflict("this assignment expired; load the next comparison")
    assignment.status = AssignmentStatus.SKIPPED
    assignment.skip_reason = (reason or "").strip()[:300]
    assignment.save(update_fields=["status", "skip_reason"])
    return assignment


# ---------------------------------------------------------------- reviewer exclusion


@transaction.atomic
def reviewer_exclude(*, campaign: Campaign | None, reviewer: User, reason: str = "", by: User | None = None
                     ) -> ReviewerExclusion:
    """Leave a reviewer's judgments (past and future) out of ratings; campaign None = every campaign."""
    exclusion, _ = ReviewerExclusion.objects.get_or_create(
        campaign=campaign, reviewer=reviewer, defaults={"reason": reason[:500], "created_by": by})
    judgments = Judgment.objects.filter(reviewer=reviewer)
    if campaign is not None:
        judgments = judgments.filter(campaign=campaign)
    campaign_ids = set(judgments.values_list("campaign_id", flat=True).distinct())
    judgments.update(excluded=True)
    for campaign_id in campaign_ids:
        _refresh_soon(campaign_id)
    return exclusion


@transaction.atomic
def reviewer_include(*, campaign: Campaign | None, reviewer: User) -> int:
    """Undo ``reviewer_exclude`` for one scope; judgments still covered by another exclusion stay out."""
    ReviewerExclusion.objects.filter(campaign=campaign, reviewer=reviewer).delete()
    if ReviewerExclusion.objects.filter(reviewer=reviewer, campaign__isnull=True).exists():
        return 0
    still = set(ReviewerExclusion.objects.filter(reviewer=reviewer).values_list("campaign_id", flat=True))
    judgments = Judgment.objects.filter(reviewer=reviewer, excluded=True).exclude(campaign_id__in=still)
    if campaign is not None:
        judgments = judgments.filter(campaign=campaign)
    campaign_ids = set(judgments.values_list("campaign_id", flat=True).distinct())
    count = judgments.update(excluded=False)
    for campaign_id in campaign_ids:
        _refresh_soon(campaign_id)
    return count
