"""Demo data for judging, called by ``manage.py demo_data``: the "Demo arena" campaign.

Answers come from the simulator's answer function called in-process (no HTTP, so the demo is
fast); votes are drawn from the world's ground truth — P(A beats B) = 1 / (1 + 10^((s_B − s_A)/400))
with ``evalhub.core.world`` strengths, ~10% ties, a few "both bad" — so the leaderboard should
recover the true order. A few answers reveal their identity (flagged, left out of ratings), a few
comparisons are gold, one synthetic reviewer clicks at random (for the anomaly flag), and about
sixty comparisons stay open so the ``reviewer`` user can judge live.
"""

from __future__ import annotations

import itertools
import math
import random
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from evalhub.core import services as core_services
from evalhub.core.demo import DEMO_PASSWORD, DemoWorld
from evalhub.core.models import Completion, ModelVariant, Prompt, Role
from evalhub.core.simulator import simulate_answer
from evalhub.core.world import BY_SLUG
from judging import leaderboard
from judging.identity import identity_words_for, reveals_identity
from judging.models import (
    Assignment,
    AssignmentStatus,
    Campaign,
    CampaignStatus,
    Comparison,
    Judgment,
    PairDesign,
)

SLUG = "demo-arena"
CRITERIA = ["correctness", "instruction following", "tone", "safety"]
SYNTHETIC_REVIEWERS = [f"rater{i:02d}" for i in range(1, 9)]
RANDOM_CLICKER = "rater08"  # votes uniformly at random: the anomaly the quality page should flag
OPEN_COMPARISONS = 60  # left unjudged for live judging in the demo
IDENTITY_LEAKS = ["As an AI developed by OpenAI, I can help. ", "I'm Claude, made by Anthropic. ",
                  "As ChatGPT, here is my answer. "]
K = 3


def _reviewers(world: DemoWorld) -> list[User]:
    users = [world.users[name] for name in ("reviewer", "reviewer2", "reviewer3") if name in world.users]
    for name in SYNTHETIC_REVIEWERS:
        user = User.objects.filter(username=name).first()
        users.append(user or core_services.user_create(username=name, password=DEMO_PASSWORD, role=Role.REVIEWER))
    return users


def _prompts(world: DemoWorld, needed: int) -> list[Prompt]:
    prompts = list(world.prompts)
    extra = []
    for i in range(max(0, needed - len(prompts))):  # larger scales: more prompts, same topics
        base = world.prompts[i % len(world.prompts)]
        text = f"{base.first_user_text} (variation {i + 1})"
        extra.append(Prompt(messages=[{"role": "user", "content": text}], category=base.category, tags=["demo"],
                            language="en", external_id=f"demo-arena-extra-{i}"))
    if extra:
        existing = set(Prompt.objects.filter(external_id__startswith="demo-arena-extra-")
                       .values_list("external_id", flat=True))
        Prompt.objects.bulk_create([p for p in extra if p.external_id not in existing])
        prompts += list(Prompt.objects.filter(external_id__startswith="demo-arena-extra-").order_by("id"))
    return prompts[:max(needed, len(world.prompts))]


def _answers(world: DemoWorld, prompts: list[Prompt], variants: list[ModelVariant]) -> dict[tuple[int, int], Completion]:
    rng = world.rng("judging-answers")
    present = {(c.prompt_id, c.variant_id) for c in Completion.objects.filter(
        prompt__in=prompts, variant__in=variants).only("prompt_id", "variant_id")}
    rows = []
    leaks = 0
    for prompt in prompts:
        for variant in variants:
            if (prompt.pk, variant.pk) in present:
                continue
            truth = BY_SLUG[variant.slug]
            answer = simulate_answer(truth.endpoint_model, prompt.messages, rng=rng,
                                     reasoning_budget=truth.reasoning_budget_tokens)
            text = answer.text
            if leaks < len(IDENTITY_LEAKS) and rng.random() < 0.02:
                text = IDENTITY_LEAKS[leaks] + text
                leaks += 1
            input_tokens = sum(len(str(m.get("content", ""))) for m in prompt.messages) // 4 + 8
            latency = truth.latency_ms * math.exp(rng.gauss(0, 0.25))
            rows.append(Completion(
                prompt=prompt, variant=variant, output=text, input_tokens=input_tokens,
                output_tokens=answer.completion_tokens, reasoning_tokens=answer.reasoning_tokens,
                latency_ms=round(latency, 1), source="generated",
                cost_usd=variant.price_for(input_tokens, answer.completion_tokens + answer.reasoning_tokens)
                .quantize(Decimal("0.00000001")),
            ))
    Completion.objects.bulk_create(rows, ignore_conflicts=True)
    return {(c.prompt_id, c.variant_id): c for c in Completion.objects.filter(prompt__in=prompts, variant__in=variants)}


def _outcome(rng: random.Random, strength_a: float, strength_b: float, *, random_clicker: bool) -> str:
    if random_clicker:
        return rng.choice(["a", "b", "tie", "both_bad"])
    roll = rng.random()
    if roll < 0.10:
        return "tie"
    if roll < 0.13:
        return "both_bad"
    p_a = 1.0 / (1.0 + 10 ** ((strength_b - strength_a) / 400.0))
    return "a" if rng.random() < p_a else "b"


def _criteria(rng: random.Random, outcome: str) -> dict[str, str]:
    out = {}
    for name in CRITERIA:
        if outcome in {"a", "b"} and rng.random() < 0.75:
            out[name] = outcome
        else:
            out[name] = rng.choice(["a", "b", "tie"])
    return out


def build(world: DemoWorld) -> None:
    """Add the Demo arena campaign (idempotent: does nothing when it exists)."""
    if Campaign.objects.filter(slug=SLUG).exists():
        return
    rng = world.rng("judging")
    variants = sorted((v for v in world.variants.values() if v.slug in BY_SLUG), key=lambda v: v.pk)
    pairs = list(itertools.combinations(variants, 2))
    target = int(1500 * world.scale)
    prompts = _prompts(world, math.ceil((target / K + OPEN_COMPARISONS) / len(pairs)))
    completions = _answers(world, prompts, variants)
    reviewers = _reviewers(world)
    with transaction.atomic():
        campaign = Campaign.objects.create(
            name="Demo arena", slug=SLUG, pair_design=PairDesign.ALL, redundancy_k=K, criteria=CRITERIA,
            gold_rate=0.05, reveal_after_vote=False, status=CampaignStatus.ACTIVE,
            created_by=world.users.get("engineer"),
            instructions="Read the prompt, then both answers. Pick the answer a careful expert would prefer: "
                         "correct first, then following the instructions, then clear and kind. **Ignore length.**",
        )
        campaign.variants.set(variants)
        campaign.prompts.set(prompts)
        comparisons = Comparison.objects.bulk_create([
            Comparison(campaign=campaign, prompt=p, completion_a=completions[(p.pk, a.pk)],
                       completion_b=completions[(p.pk, b.pk)], variant_a=a, variant_b=b, judgments_needed=K)
            for p in prompts for a, b in pairs
        ])
        rng.shuffle(comparisons)
        # Gold: the stronger variant's answer by a wide margin is the known answer.
        gold = [c for c in comparisons if abs(BY_SLUG[c.variant_a.slug].strength - BY_SLUG[c.variant_b.slug].strength) >= 60][:8]
        for c in gold:
            c.is_gold = True
            c.gold_answer = "a" if BY_SLUG[c.variant_a.slug].strength > BY_SLUG[c.variant_b.slug].strength else "b"
            c.judgments_needed = 1000
        n_fill = min(len(comparisons) - OPEN_COMPARISONS, math.ceil(target / K))
        words = identity_words_for([x for v in variants for x in (v.slug, v.name, v.family, v.endpoint_model)])
        flags = {c.pk: reveals_identity(c.completion_a.output, c.completion_b.output, extra_words=words)
                 for c in comparisons}
        now = timezone.now()
        start = now - timedelta(days=14)
        plan = []  # (comparison, reviewer) in time order
        for c in comparisons[:n_fill]:
            chosen = reviewers if c.is_gold else rng.sample(reviewers, K)
            plan += [(c, r) for r in chosen]
        for c in comparisons[n_fill:]:
            if c.is_gold:  # gold items left open still get most reviewers, but not the live one
                plan += [(c, r) for r in reviewers if r.username != "reviewer"]
        rng.shuffle(plan)
        step = (now - timedelta(hours=1) - start) / max(1, len(plan))
        assignments, judgments = [], []
        for i, (c, reviewer) in enumerate(plan):
            at = start + step * i
            clicker = reviewer.username == RANDOM_CLICKER
            seconds = rng.lognormvariate(math.log(4 if clicker else 28), 0.5)
            outcome = _outcome(rng, BY_SLUG[c.variant_a.slug].strength, BY_SLUG[c.variant_b.slug].strength,
                               random_clicker=clicker)
            assignments.append(Assignment(comparison=c, campaign=campaign, reviewer=reviewer, swapped=rng.random() < 0.5,
                                          leased_at=at - timedelta(seconds=seconds), expires_at=at + timedelta(minutes=10),
                                          status=AssignmentStatus.JUDGED))
            judgments.append(Judgment(
                comparison=c, campaign=campaign, reviewer=reviewer, variant_a=c.variant_a, variant_b=c.variant_b,
                outcome=outcome, criteria=_criteria(rng, outcome), seconds_taken=round(seconds, 2),
                identity_flag=flags[c.pk], gold_correct=(outcome == c.gold_answer) if c.is_gold else None,
                category=c.prompt.category, created_at=at,
            ))
        Assignment.objects.bulk_create(assignments, batch_size=2000)
        for judgment, assignment in zip(judgments, assignments, strict=True):
            judgment.assignment = assignment
        Judgment.objects.bulk_create(judgments, batch_size=2000)
        done: dict[int, int] = {}
        for c, _ in plan:
            done[c.pk] = done.get(c.pk, 0) + 1
        for c in comparisons:
            c.judgments_done = done.get(c.pk, 0)
        Comparison.objects.bulk_update(comparisons, ["judgments_done", "is_gold", "gold_answer", "judgments_needed"],
                                       batch_size=2000)
    _refresh_leaderboard(campaign.pk)


def _refresh_leaderboard(campaign_id: int) -> None:
    leaderboard.snapshot_refresh(campaign_id=campaign_id)
    leaderboard.snapshot_refresh(campaign_id=None)
