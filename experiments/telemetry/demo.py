"""Demo data: a few days of simulated production traffic for every demo variant.

Drawn from the world's ground truth (``evalhub.core.world``): latency (log-normal around the true
mean), output tokens, refusal rate (half flagged by finish reason, half only by the answer text,
so the classifier does real work), thumbs-up and task-success rates, and re-asks (the user
rephrases the same question a minute later). Ingested through ``events_ingest``, the same path as
the API, in time order, so rollups and re-ask detection are the real ones. ~50k events at scale 1.

Two truths are built so the pages can be checked against them:

* **cost**: a request of a self-consistency (or best-of-n) variant makes ``samples_n`` calls to the
  base endpoint; its event carries the request's summed usage (every sample's input and output
  tokens; best-of-n adds the judge call), so cost per request is ≈ n × the base's;
* **re-asks**: every answer but a session's last is followed by the user's next request within
  the re-ask window, re-asked with probability ``reask_rate`` (refused answers more often, the
  others less, so the overall chance is the truth). The re-ask rate's denominator is exactly these
  answers — the ones where a re-ask could be seen — so it estimates ``reask_rate``. Each variant
  has its own users, so one user's calls to two variants never interleave.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from evalhub.core.demo import DemoWorld
from evalhub.core.world import (
    BY_SLUG,
    SAFETY_ADJACENT_PROMPTS,
    SAFETY_ADJACENT_SHARE,
    TrueVariant,
    calls_per_request,
    planted_refusal_boost,
)
from experiments.telemetry.models import EventKey
from experiments.telemetry.services import events_ingest, partitions_ensure

DAYS = 3
SESSIONS_PER_VARIANT_PER_DAY = 700  # × ~3 calls per session × 8 variants × 3 days ≈ 50k calls
REFUSAL_TEXT = "I'm sorry, but I can't help with that request."
BATCH = 5000
REASK_AFTER_REFUSAL = 0.5  # chance a user re-asks a refused answer


def _prompts(world: DemoWorld) -> list[tuple[str, str]]:
    """(prompt, topic): the world's prompts with their category as the event's ``topic`` attribute."""
    texts = [(p.first_user_text, p.category or "general") for p in world.prompts if p.first_user_text]
    return texts or [("What is 17 * 23 + 5?", "math"), ("How do I reverse a list in Python?", "coding")]


def _draw_prompt(rng, prompts: list[tuple[str, str]]) -> tuple[str, str]:
    """A session's question: benign but safety-adjacent (``SAFETY_ADJACENT_SHARE``) or one of the world's."""
    if rng.random() < SAFETY_ADJACENT_SHARE:
        return rng.choice(SAFETY_ADJACENT_PROMPTS), "safety_adjacent"
    return rng.choice(prompts)


def reask_chance(truth: TrueVariant, *, refused: bool, refusal_chance: float | None = None) -> float:
    """Chance the user re-asks an answer: half of the refused ones, and the others at the rate that
    makes the overall chance ``truth.reask_rate`` given the answer's chance of being refused (the
    variant's rate, raised on a planted over-refusal topic)."""
    if refused:
        return REASK_AFTER_REFUSAL
    share = truth.refusal_rate if refusal_chance is None else refusal_chance
    return max(0.0, (truth.reask_rate - share * REASK_AFTER_REFUSAL) / (1 - share))


def build(world: DemoWorld) -> None:
    first = min((slug for slug in world.variants if slug in BY_SLUG), default=None)
    if first is None or EventKey.objects.filter(event_id=f"demo-demo-{first}-0-0").exists():
        return  # idempotent: this traffic is already there (other apps' demo events don't count)
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    start = now - timedelta(days=DAYS)
    partitions_ensure(start=start.date())
    prompts = _prompts(world)
    events: list[dict] = []
    for slug in sorted(world.variants):
        truth = BY_SLUG.get(slug)
        if truth is None:
            continue
        events += variant_events(world, truth, start, prompts)
    # In time order, as a live service sends them: re-ask detection compares each call with the
    # previous call of its user, and skips calls older than the one it last saw.
    events.sort(key=lambda e: (e["timestamp"], e["event_id"]))
    for i in range(0, len(events), BATCH):
        events_ingest(events=events[i:i + BATCH], source="demo")


def variant_events(world: DemoWorld, truth: TrueVariant, start: datetime,
                   prompts: list[tuple[str, str]]) -> list[dict]:
    slug = truth.slug
    rng = world.rng(f"telemetry:{slug}")
    sessions = max(1, int(SESSIONS_PER_VARIANT_PER_DAY * DAYS * world.scale))
    calls = calls_per_request(truth)
    sigma = 0.45
    mu = math.log(truth.latency_ms) - sigma * sigma / 2  # so the mean latency is the true one
    out: list[dict] = []
    for s in range(sessions):
        at = start + timedelta(seconds=rng.uniform(0, DAYS * 86400 - 1800))
        session_id = f"demo-{slug}-{s}"
        unit_id = f"user-{slug}-{rng.randrange(int(1000 * max(world.scale, 0.1)))}"
        question, topic = _draw_prompt(rng, prompts)
        prompt = question
        for turn in range(rng.choice((1, 2, 3, 4, 5))):
            refusal_chance = truth.refusal_rate + planted_refusal_boost(slug, topic)
            refused = rng.random() < refusal_chance
            by_finish = refused and rng.random() < 0.5
            rated = rng.random() < 0.35
            graded = rng.random() < 0.4
            latency = rng.lognormvariate(mu, sigma)
            input_tokens = rng.randint(20, 400)
            # Every sampled call sends the prompt and writes its own answer (the event's usage is the sum).
            output_tokens = sum(12 if refused else max(1, int(rng.gauss(truth.output_tokens, truth.output_tokens * 0.25)))
                                for _ in range(calls))
            out.append({
                "event_id": f"demo-{session_id}-{turn}", "timestamp": at.isoformat(), "variant": slug,
                "unit_id": unit_id, "session_id": session_id, "latency_ms": round(latency, 1),
                "ttft_ms": round(latency * rng.uniform(0.15, 0.35), 1),
                "input_tokens": input_tokens * calls, "output_tokens": output_tokens,
                "reasoning_tokens": (truth.reasoning_budget_tokens or 0) // 2 if truth.reasoning_budget_tokens else 0,
                "finish_reason": "content_filter" if by_finish else "stop",
                "response": REFUSAL_TEXT if refused and not by_finish else "Here is what I found.",
                "prompt": prompt,
                "feedback": (("up" if rng.random() < truth.thumbs_up_rate else "down") if rated and not refused
                             else ("down" if rated else None)),
                "task_success": (rng.random() < truth.task_success_rate and not refused) if graded else None,
                "metadata": {"demo": True, "topic": topic},
            })
            # Next turn, inside the re-ask window either way: a rephrasing of the same question (a
            # re-ask) or a different question.
            reasked = rng.random() < reask_chance(truth, refused=refused, refusal_chance=refusal_chance)
            at += timedelta(seconds=rng.uniform(20, 240))
            if reasked:
                prompt = f"{question} Please answer again."
            else:
                previous = question
                while question == previous:  # a new question, never the same one again
                    question, topic = _draw_prompt(rng, [p for p in prompts if p[0] != previous] or prompts)
                prompt = question
    return out
