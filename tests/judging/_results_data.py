"""Bulk test data for the results side (leaderboards, quality, export): judgments simulated from
known Bradley–Terry strengths, written with bulk_create so thousands of votes take well under a second."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
from django.utils import timezone

from evalhub.core.models import Completion, ModelVariant, Prompt, Role
from judging.models import Assignment, Campaign, Comparison, Judgment
from tests.factories import UserFactory, VariantFactory


@dataclass
class World:
    campaign: Campaign
    variants: list[ModelVariant]
    reviewers: list
    prompts: list[Prompt]
    completions: dict[tuple[int, int], Completion] = field(default_factory=dict)


def make_world(*, n_variants: int = 4, n_prompts: int = 6, n_reviewers: int = 3, slug: str = "camp",
               criteria: list[str] | None = None, outputs=None, category_of=None) -> World:
    variants = [VariantFactory() for _ in range(n_variants)]
    variants.sort(key=lambda v: v.pk)
    campaign = Campaign.objects.create(name=slug.title(), slug=slug, criteria=criteria or [], status="active")
    campaign.variants.set(variants)
    prompts = Prompt.objects.bulk_create([
        Prompt(messages=[{"role": "user", "content": f"q{i}"}],
               category=(category_of(i) if category_of else ("coding" if i % 2 else "writing")))
        for i in range(n_prompts)])
    campaign.prompts.set(prompts)
    completions = Completion.objects.bulk_create([
        Completion(prompt=p, variant=v, output=(outputs(i, j) if outputs else f"answer {i}-{j}"))
        for i, p in enumerate(prompts) for j, v in enumerate(variants)])
    reviewers = [UserFactory(role=Role.REVIEWER) for _ in range(n_reviewers)]
    world = World(campaign, variants, reviewers, prompts)
    for c in completions:
        world.completions[(c.prompt_id, c.variant_id)] = c
    return world


def add_votes(world: World, votes: list[dict]) -> list[Judgment]:
    """votes: dicts with keys a, b (variant index, a<b after canonicalisation), outcome, reviewer (index),
    prompt (index) and optional criteria/identity_flag/excluded/gold_correct/seconds/is_gold.
    One comparison per (prompt, pair); one assignment per (comparison, reviewer)."""
    now = timezone.now()
    comparisons: dict[tuple[int, int, int], Comparison] = {
        (c.prompt_id, c.variant_a_id, c.variant_b_id): c for c in Comparison.objects.filter(campaign=world.campaign)}
    new = []
    for vote in votes:
        va, vb = world.variants[vote["a"]], world.variants[vote["b"]]
        prompt = world.prompts[vote["prompt"]]
        key = (prompt.pk, va.pk, vb.pk)
        if key not in comparisons:
            comp = Comparison(campaign=world.campaign, prompt=prompt, variant_a=va, variant_b=vb,
                              completion_a=world.completions[(prompt.pk, va.pk)],
                              completion_b=world.completions[(prompt.pk, vb.pk)],
                              is_gold=vote.get("is_gold", False),
                              gold_answer=vote.get("gold_answer"), judgments_needed=10)
            comparisons[key] = comp
            new.append(comp)
    Comparison.objects.bulk_create(new)
    assignments = Assignment.objects.bulk_create([
        Assignment(comparison=comparisons[(world.prompts[v["prompt"]].pk, world.variants[v["a"]].pk,
                                           world.variants[v["b"]].pk)],
                   campaign=world.campaign, reviewer=world.reviewers[v["reviewer"]], swapped=False,
                   expires_at=now + timedelta(minutes=10), status="judged")
        for v in votes])
    judgments = [
        Judgment(assignment=asg, comparison=asg.comparison, campaign=world.campaign, reviewer=asg.reviewer,
                 variant_a=world.variants[v["a"]], variant_b=world.variants[v["b"]],
                 outcome=v["outcome"], criteria=v.get("criteria", {}), seconds_taken=v.get("seconds", 10.0),
                 identity_flag=v.get("identity_flag", False), excluded=v.get("excluded", False),
                 gold_correct=v.get("gold_correct"), category=world.prompts[v["prompt"]].category,
                 created_at=now - timedelta(seconds=len(votes) - i))
        for i, (asg, v) in enumerate(zip(assignments, votes))]
    return Judgment.objects.bulk_create(judgments)


def simulate_votes(world: World, strengths: list[float], n: int, *, seed: int = 0, tie_rate: float = 0.1,
                   prompts: range | None = None, **extra) -> list[dict]:
    """n votes drawn from Bradley–Terry with the given Elo-scale strengths; every (prompt, pair,
    reviewer) at most once (assignment uniqueness), so n ≤ prompts·pairs·reviewers."""
    rng = np.random.default_rng(seed)
    k = len(world.variants)
    slots = [(p, i, j, r) for p in (prompts or range(len(world.prompts))) for i in range(k) for j in range(i + 1, k)
             for r in range(len(world.reviewers))]
    chosen = rng.choice(len(slots), size=n, replace=False)
    votes = []
    for idx in chosen:
        p, i, j, r = slots[idx]
        p_a = 1.0 / (1.0 + 10 ** ((strengths[j] - strengths[i]) / 400))
        u = rng.random()
        outcome = "tie" if u < tie_rate else ("a" if rng.random() < p_a else "b")
        votes.append({"a": i, "b": j, "prompt": p, "reviewer": r, "outcome": outcome, **extra})
    return votes


def elo_prob(s_i: float, s_j: float) -> float:
    return 1.0 / (1.0 + math.pow(10, (s_j - s_i) / 400))
