"""Demo data: two running experiments fed by simulated production traffic.

- ``dpo-vs-sc16``: control Acme 7B self-consistency-16, treatment Acme 7B DPO. The world's truth
  has DPO better on task success and thumbs-up, much cheaper (one sample instead of 16) and faster:
  a real effect the results page should call "ship".
- ``sft-vs-base-aa``: both arms serve Acme 7B SFT — an A/A check with no effect at all.

Traffic is drawn from ``evalhub.core.world`` with per-unit heterogeneity (each user has their own
propensity to succeed, so a pre-period exists for CUPED), assigned with the real hash, and
ingested day by day through ``events_ingest``; after each simulated day a ResultSnapshot is taken so
the lift-over-time chart has history.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

from evalhub.core.demo import DemoWorld
from evalhub.core.world import BY_SLUG
from experiments.abtests import services
from experiments.abtests.assignment import pick_arm, unit_hash
from experiments.abtests.models import Experiment, Exposure
from experiments.telemetry.services import events_ingest, partitions_ensure

DAYS = 4
PRE_DAYS = 5
BATCH = 5000


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _event(rng: random.Random, key: str, slug: str, at: datetime, unit: str, skill: float, *, experiment: str = "",
           arm: str = "") -> dict:
    truth, variant_samples = BY_SLUG[slug], max(1, BY_SLUG[slug].samples_n)
    sigma = 0.4
    output_tokens = max(1, int(rng.gauss(truth.output_tokens, truth.output_tokens * 0.2)))
    input_tokens = rng.randint(30, 120)
    # Self-consistency pays for every sample: n times the tokens of one call.
    cost = (input_tokens * truth.price_input_per_mtok + output_tokens * truth.price_output_per_mtok) / 1e6 * variant_samples
    event = {
        "event_id": key, "timestamp": at.isoformat(), "variant": slug, "unit_id": unit, "session_id": f"{unit}-{at:%j}",
        "latency_ms": round(rng.lognormvariate(math.log(truth.latency_ms) - sigma * sigma / 2, sigma), 1),
        "input_tokens": input_tokens, "output_tokens": output_tokens, "cost_usd": round(cost, 8),
        "refused": rng.random() < truth.refusal_rate,
        "task_success": rng.random() < _sigmoid(_logit(truth.task_success_rate) + skill),
    }
    if rng.random() < 0.6:
        event["feedback"] = "up" if rng.random() < _sigmoid(_logit(truth.thumbs_up_rate) + 0.5 * skill) else "down"
    if experiment:
        event.update({"experiment": experiment, "arm": arm})
    return event


def _flush(batch: list[dict]) -> None:
    for i in range(0, len(batch), BATCH):
        events_ingest(events=batch[i:i + BATCH], source="demo")
    batch.clear()


def _simulate(world: DemoWorld, experiment: Experiment, *, units: int, start: datetime, pre_slug: str) -> None:
    rng = world.rng(f"abtests:{experiment.key}")
    arms = sorted(experiment.arms.select_related("variant"), key=lambda a: a.id)
    people = [(f"{experiment.key}-user-{i}", rng.gauss(0.0, 0.8), rng.uniform(0.5, 2.0)) for i in range(units)]
    batch: list[dict] = []
    # Pre-period: the same users on the control variant, outside any experiment (CUPED covariate).
    for unit, skill, rate in people:
        for j in range(max(1, int(rng.expovariate(1.0 / (rate * PRE_DAYS * 0.5))))):
            at = start - timedelta(days=PRE_DAYS) + timedelta(seconds=rng.uniform(0, PRE_DAYS * 86400 - 60))
            batch.append(_event(rng, f"{unit}-pre-{j}", pre_slug, at, unit, skill))
    _flush(batch)
    services.pre_period_capture(experiment=experiment)
    assigned = {unit: pick_arm(arms, unit_hash(experiment.salt, unit)) for unit, _, _ in people}
    Exposure.objects.bulk_create([Exposure(experiment=experiment, arm=arm, unit_id=unit,
                                           first_exposed_at=start + timedelta(minutes=1))
                                  for unit, arm in assigned.items()], ignore_conflicts=True)
    for day in range(DAYS):
        day_start = start + timedelta(days=day)
        for unit, skill, rate in people:
            arm = assigned[unit]
            for j in range(int(rng.expovariate(1.0 / rate)) + (1 if rng.random() < 0.5 else 0)):
                at = day_start + timedelta(seconds=rng.uniform(0, 86400 - 60))
                batch.append(_event(rng, f"{unit}-d{day}-{j}", arm.variant.slug, at, unit, skill,
                                    experiment=experiment.key, arm=arm.name))
        _flush(batch)
        services.result_snapshot_take(experiment=experiment, at=day_start + timedelta(hours=23, minutes=59))


def build(world: DemoWorld) -> None:
    if Experiment.objects.filter(key__in=["dpo-vs-sc16", "sft-vs-base-aa"]).exists():
        return  # idempotent
    if not all(slug in world.variants for slug in ("acme-7b-sc16", "acme-7b-dpo", "acme-7b-sft")):
        return
    start = (datetime.now(UTC) - timedelta(days=DAYS)).replace(minute=0, second=0, microsecond=0)
    partitions_ensure(start=(start - timedelta(days=PRE_DAYS + 1)).date())
    engineer = world.users.get("engineer") or next(iter(world.users.values()))
    dpo = services.experiment_register(
        name="DPO 7B vs self-consistency-16 7B", key="dpo-vs-sc16", owner=engineer,
        hypothesis="Post-training with **DPO** beats 16-sample self-consistency on task success, "
                   "at a fraction of the test-time compute cost.",
        arms=[{"name": "sc16", "variant": "acme-7b-sc16", "weight": 1, "is_control": True},
              {"name": "dpo", "variant": "acme-7b-dpo", "weight": 1}],
        primary_metric="thumbs_up_rate", guardrails=["task_success", "cost_per_request", "latency_p95"],
        mde=0.08, alpha=0.05, power=0.8)
    aa = services.experiment_register(
        name="SFT redeploy A/A check", key="sft-vs-base-aa", owner=engineer,
        hypothesis="Both arms serve the same SFT model: any 'effect' here is noise (or a bug).",
        arms=[{"name": "base", "variant": "acme-7b-sft", "weight": 1, "is_control": True},
              {"name": "candidate", "variant": "acme-7b-sft", "weight": 1}],
        primary_metric="task_success", guardrails=["cost_per_request", "refusal_rate"], mde=0.05)
    for experiment, units, pre_slug in ((dpo, int(2400 * world.scale), "acme-7b-sc16"),
                                        (aa, int(1200 * world.scale), "acme-7b-sft")):
        experiment = services.experiment_start(experiment=experiment, at=start)
        _simulate(world, experiment, units=max(units, 200), start=start, pre_slug=pre_slug)
        services.result_snapshot_take(experiment=experiment)
