"""Demo data: a few days of simulated production traffic for every demo variant.

Drawn from the world's ground truth (``evalhub.core.world``): latency (log-normal around the true
mean), output tokens, refusal rate (half flagged by finish reason, half only by the answer text,
so the classifier does real work), thumbs-up and task-success rates, and re-asks (the user
rephrases the same question a minute later). Ingested through ``events_ingest``, the same path as
the API, so rollups and re-ask detection are the real ones. ~50k events at scale 1.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from evalhub.core.demo import DemoWorld
from evalhub.core.world import BY_SLUG, SAFETY_ADJACENT_PROMPTS, SAFETY_ADJACENT_SHARE, planted_refusal_boost
from experiments.telemetry.models import EventKey
from experiments.telemetry.services import events_ingest, partitions_ensure

DAYS = 3
SESSIONS_PER_VARIANT_PER_DAY = 700  # × ~3 calls per session × 8 variants × 3 days ≈ 50k calls
REFUSAL_TEXT = "I'm sorry, but I can't help with that request."
BATCH = 5000


def _prompts(world: DemoWorld) -> list[tuple[str, str]]:
    """(prompt, topic): the world's prompts with their category as the event's ``topic`` attribute."""
    texts = [(p.first_user_text, p.category or "general") for p in world.prompts if p.first_user_text]
    return texts or [("What is 17 * 23 + 5?", "math"), ("How do I reverse a list in Python?", "coding")]


def _draw_prompt(rng, prompts: list[tuple[str, str]]) -> tuple[str, str]:
    """A session's question: benign but safety-adjacent (``SAFETY_ADJACENT_SHARE``) or one of the world's."""
    if rng.random() < SAFETY_ADJACENT_SHARE:
        return rng.choice(SAFETY_ADJACENT_PROMPTS), "safety_adjacent"
    return rng.choice(prompts)


def build(world: DemoWorld) -> None:
    first = min((slug for slug in world.variants if slug in BY_SLUG), default=None)
    if first is None or EventKey.objects.filter(event_id=f"demo-demo-{first}-0-0").exists():
        return  # idempotent: this traffic is already there (other apps' demo events don't count)
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    start = now - timedelta(days=DAYS)
    partitions_ensure(start=start.date())
    prompts = _prompts(world)
    batch: list[dict] = []
    for slug in sorted(world.variants):
        truth = BY_SLUG.get(slug)
        if truth is None:
            continue
        rng = world.rng(f"telemetry:{slug}")
        sessions = max(1, int(SESSIONS_PER_VARIANT_PER_DAY * DAYS * world.scale))
        sigma = 0.45
        mu = math.log(truth.latency_ms) - sigma * sigma / 2  # so the mean latency is the true one
        for s in range(sessions):
            at = start + timedelta(seconds=rng.uniform(0, DAYS * 86400 - 900))
            session_id = f"demo-{slug}-{s}"
            unit_id = f"user-{rng.randrange(int(400 * max(world.scale, 0.1)))}"
            prompt, topic = _draw_prompt(rng, prompts)
            for turn in range(rng.choice((1, 2, 3, 4, 5))):
                refused = rng.random() < truth.refusal_rate + planted_refusal_boost(slug, topic)
                by_finish = refused and rng.random() < 0.5
                rated = rng.random() < 0.35
                graded = rng.random() < 0.4
                latency = rng.lognormvariate(mu, sigma)
                output_tokens = 12 if refused else max(1, int(rng.gauss(truth.output_tokens, truth.output_tokens * 0.25)))
                batch.append({
                    "event_id": f"demo-{session_id}-{turn}", "timestamp": at.isoformat(), "variant": slug,
                    "unit_id": unit_id, "session_id": session_id, "latency_ms": round(latency, 1),
                    "ttft_ms": round(latency * rng.uniform(0.15, 0.35), 1),
                    "input_tokens": rng.randint(20, 400), "output_tokens": output_tokens,
                    "reasoning_tokens": (truth.reasoning_budget_tokens or 0) // 2 if truth.reasoning_budget_tokens else 0,
                    "finish_reason": "content_filter" if by_finish else "stop",
                    "response": REFUSAL_TEXT if refused and not by_finish else "Here is what I found.",
                    "prompt": prompt,
                    "feedback": (("up" if rng.random() < truth.thumbs_up_rate else "down") if rated and not refused
                                 else ("down" if rated else None)),
                    "task_success": (rng.random() < truth.task_success_rate and not refused) if graded else None,
                    "metadata": {"demo": True, "topic": topic},
                })
                # Next turn: a rephrasing of the same question (a re-ask) or a new question.
                reasked = rng.random() < truth.reask_rate or refused and rng.random() < 0.5
                at += timedelta(seconds=rng.uniform(20, 150) if reasked else rng.uniform(400, 900))
                if reasked:
                    prompt = f"{prompt} Please answer again."
                else:
                    prompt, topic = _draw_prompt(rng, prompts)
            if len(batch) >= BATCH - 10:
                events_ingest(events=batch, source="demo")
                batch = []
    if batch:
        events_ingest(events=batch, source="demo")
