"""A small, fully known world for the leadership pages: one family with a 7B base, its
test-time-compute, post-trained and retrieval variants, a 70B sibling; a BT snapshot, one suite with
paired runs, a day of production rollups and one running experiment."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
from django.contrib.auth.models import User
from django.utils import timezone

from evalhub.core.models import ModelVariant
from experiments.telemetry.buckets import LATENCY_BUCKET_EDGES_MS, bucket_index, empty_histogram
from tests.factories import VariantFactory

# slug: (kwargs, BT score, BT half-width, suite accuracy, cost per request, latency ms, success rate)
SPEC: dict[str, tuple[dict, float, float, float | None, float, float, float]] = {
    "t-7b": ({}, 1000, 12, 0.45, 0.0010, 400, 0.50),
    "t-7b-sc4": ({"test_time_strategy": "self_consistency", "samples_n": 4}, 1022, 12, 0.52, 0.0040, 520, 0.55),
    "t-7b-think": ({"test_time_strategy": "reasoning", "reasoning_budget_tokens": 4000}, 1030, 12, 0.55, 0.0050,
                   1500, 0.57),
    "t-7b-sc16": ({"test_time_strategy": "self_consistency", "samples_n": 16}, 1045, 12, 0.60, 0.0160, 700, 0.60),
    "t-7b-sft": ({"post_training": "sft"}, 1030, 12, 0.55, 0.0012, 410, 0.56),
    "t-7b-dpo": ({"post_training": "dpo"}, 1080, 12, 0.75, 0.0011, 420, 0.70),
    "t-7b-rag": ({"uses_retrieval": True}, 1015, 12, None, 0.0020, 600, 0.52),
    "t-70b": ({"base_model": "t-70b", "parameter_count": 70_000_000_000}, 1090, 12, 0.78, 0.0045, 1300, 0.72),
}
N_ITEMS = 80
HOURS = 6
PER_HOUR = 160


@dataclass
class World:
    variants: dict[str, ModelVariant] = field(default_factory=dict)
    item_scores: dict[str, list[float]] = field(default_factory=dict)
    runs: dict[str, int] = field(default_factory=dict)
    snapshot_payload: dict = field(default_factory=dict)
    last_hour: dt.datetime | None = None


def build_world(*, with_preference: bool = True, with_suites: bool = True, with_production: bool = True,
                with_experiment: bool = True) -> World:
    world = World()
    for slug, (spec, *_rest) in SPEC.items():
        kwargs = {"base_model": "t-7b", **spec}
        world.variants[slug] = VariantFactory(slug=slug, name=slug.upper().replace("T-", "Test "),
                                              price_input_per_mtok=Decimal("0.2"), **kwargs)
    if with_preference:
        _preference(world)
    if with_suites:
        _suite(world)
    if with_production:
        _production(world)
    if with_experiment:
        _experiment(world)
    return world


def _preference(world: World) -> None:
    from judging.models import LeaderboardSnapshot

    rows = [{"variant_id": world.variants[s].pk, "slug": s, "name": world.variants[s].name, "score": float(bt),
             "ci_lower": float(bt - hw), "ci_upper": float(bt + hw), "votes": 400}
            for s, (_, bt, hw, *_r) in SPEC.items()]
    world.snapshot_payload = {"version": 1, "boards": {"all": {"rows": rows}}, "n_votes": 1600}
    LeaderboardSnapshot.objects.create(campaign=None, kind="bt", payload=world.snapshot_payload, n_judgments=1600)


def _suite(world: World) -> None:
    from experiments.suites.models import Run, RunResult, Suite, SuiteItem, SuiteVersion

    suite = Suite.objects.create(name="Arithmetic", slug="arith")
    version = SuiteVersion.objects.create(suite=suite, number=1, locked=True, item_count=N_ITEMS)
    items = SuiteItem.objects.bulk_create([
        SuiteItem(version=version, external_id=f"q{i}", position=i, input=[{"role": "user", "content": f"{i}+1?"}],
                  targets=[str(i + 1)])
        for i in range(N_ITEMS)
    ])
    rng = np.random.default_rng(5)
    difficulty = rng.random(N_ITEMS)
    now = timezone.now()
    for slug, (_, _bt, _hw, acc, cost, lat, _s) in SPEC.items():
        if acc is None:
            continue
        # Items are shared across variants (paired): a variant passes an item when its accuracy beats
        # the item's difficulty, plus a little noise so the pairs are not nested.
        noise = rng.random(N_ITEMS) < 0.1
        scores = [float((d < acc) != flip) for d, flip in zip(difficulty, noise, strict=True)]
        run = Run.objects.create(version=version, variant=world.variants[slug], status="done", source="simulated",
                                 started_at=now, finished_at=now, n_items=N_ITEMS, n_done=N_ITEMS)
        RunResult.objects.bulk_create([
            RunResult(run=run, item=item, score=sc, passed=sc == 1.0, latency_ms=lat,
                      cost_usd=Decimal(str(round(cost * (1 + 0.1 * (i % 3)), 8))))
            for i, (item, sc) in enumerate(zip(items, scores, strict=True))
        ])
        world.item_scores[slug] = scores
        world.runs[slug] = run.pk
    # An older, failed run must not be picked up.
    Run.objects.create(version=version, variant=world.variants["t-7b"], status="failed",
                       created_at=now - dt.timedelta(days=1))


def _production(world: World) -> None:
    from experiments.telemetry.models import HourlyRollup

    rng = np.random.default_rng(11)
    last = timezone.now().replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=1)
    world.last_hour = last
    rows = []
    for slug, (_, _bt, _hw, _acc, cost, lat, success) in SPEC.items():
        for h in range(HOURS):
            n = PER_HOUR
            costs = cost * (1 + 0.05 * rng.standard_normal(n))
            lats = lat * np.exp(0.3 * rng.standard_normal(n))
            hist = empty_histogram()
            for x in lats:
                hist[bucket_index(float(x))] += 1
            rows.append(HourlyRollup(
                hour=last - dt.timedelta(hours=h), variant=world.variants[slug], n=n,
                latency_n=n, latency_sum=float(lats.sum()), latency_sum_sq=float((lats ** 2).sum()), latency_hist=hist,
                cost_sum=float(costs.sum()), cost_sum_sq=float((costs ** 2).sum()),
                refusals=int(rng.binomial(n, 0.03)), reasks=int(rng.binomial(n, 0.1)), reask_detectable=n,
                feedback_n=n // 2, thumbs_up=int(rng.binomial(n // 2, success)),
                success_n=n, successes=int(rng.binomial(n, success)),
            ))
    # Data older than the 7-day window must be ignored.
    rows.append(HourlyRollup(hour=last - dt.timedelta(days=30), variant=world.variants["t-7b"], n=10_000,
                             cost_sum=10_000.0, cost_sum_sq=20_000.0, success_n=10_000, successes=0,
                             latency_hist=empty_histogram()))
    HourlyRollup.objects.bulk_create(rows)
    assert len(LATENCY_BUCKET_EDGES_MS) == len(empty_histogram()) + 1


def _experiment(world: World) -> None:
    from experiments.abtests.models import Arm, Experiment, ResultSnapshot

    owner = User.objects.create(username="experiment-owner")
    exp = Experiment.objects.create(name="DPO vs base", key="dpo-vs-base", owner=owner, primary_metric="task_success",
                                    status="running", started_at=timezone.now() - dt.timedelta(days=3))
    Arm.objects.create(experiment=exp, name="control", variant=world.variants["t-7b"], weight=0.5, is_control=True)
    Arm.objects.create(experiment=exp, name="dpo", variant=world.variants["t-7b-dpo"], weight=0.5)
    ResultSnapshot.objects.create(experiment=exp, day=timezone.now().date(), payload={
        "decision": {"verdict": "keep running", "summary": "dpo: not enough data yet", "arms": {}}})
    Experiment.objects.create(name="Old", key="old-stopped", owner=owner, primary_metric="task_success",
                              status="stopped")
