"""A/B results over rollups equivalent to 10,000,000 production events, timed against loading
raw-event-shaped rows into Python (the naive design the issue rules out).

Synthesises, straight into the telemetry rollup tables (COPY), what 10M events leave behind:
200,000 units (100k per arm, 50 events each on average) in ``telemetry_unitrollup`` and two weeks
of hourly rows with latency histograms in ``telemetry_hourlyrollup``; then times
``selectors.results_for`` (SQL sufficient statistics → evalhub.stats.ab → decision). Baseline,
same run and database: fetching 1,000,000 raw-event-shaped rows (8 columns, generated server-side)
into Python, scaled ×10 — the cheapest part of any design that loads events. Everything it writes
is deleted at the end.

Run: DATABASE_URL=... .venv/bin/python bench/abtests_results.py
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "evalhub.settings")

import django

django.setup()

import numpy as np  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from evalhub.core.models import ModelVariant  # noqa: E402
from experiments.abtests import selectors  # noqa: E402
from experiments.abtests.models import Arm, Experiment, Status  # noqa: E402
from experiments.telemetry.buckets import LATENCY_BUCKET_EDGES_MS, N_LATENCY_BUCKETS  # noqa: E402

UNITS_PER_ARM = 100_000
EVENTS_PER_UNIT = 50
HOURS = 14 * 24
TARGET_S = 1.0
RUNS = 5


def _setup(tag: str) -> tuple[Experiment, list[ModelVariant], User]:
    owner = User.objects.create(username=f"bench-{tag}")
    variants = [ModelVariant.objects.create(slug=f"bench-{tag}-{arm}", name=arm, family="bench", base_model="bench",
                                            parameter_count=1) for arm in ("c", "t")]
    e = Experiment.objects.create(name="bench", key=f"bench-{tag}", owner=owner, primary_metric="task_success",
                                  guardrails=["cost_per_request", "latency_p95", "refusal_rate", "cost_per_success"],
                                  status=Status.RUNNING, started_at=timezone.now(),
                                  planned_sample_per_arm=UNITS_PER_ARM)
    Arm.objects.bulk_create([Arm(experiment=e, name="control", variant=variants[0], weight=1, is_control=True),
                             Arm(experiment=e, name="treatment", variant=variants[1], weight=1)])
    return e, variants, owner


def _synthesise(e: Experiment, variants: list[ModelVariant]) -> int:
    rng = np.random.default_rng(7)
    now = timezone.now()
    events = 0
    cols = ("experiment_key", "arm", "unit_id", "variant_id", "first_seen", "last_seen", "n", "latency_sum",
            "cost_sum", "refusals", "reasks", "feedback_n", "thumbs_up", "success_n", "successes")
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY telemetry_unitrollup ({', '.join(cols)}) FROM STDIN") as copy:
            for arm, variant, p in (("control", variants[0], 0.60), ("treatment", variants[1], 0.61)):
                n = rng.poisson(EVENTS_PER_UNIT - 1, UNITS_PER_ARM) + 1
                events += int(n.sum())
                success_n = rng.binomial(n, 0.4)
                successes = rng.binomial(success_n, p)
                feedback_n = rng.binomial(n, 0.3)
                thumbs = rng.binomial(feedback_n, 0.6)
                refusals = rng.binomial(n, 0.03)
                cost = rng.gamma(2.0, 0.0005, UNITS_PER_ARM) * n
                latency = rng.normal(600, 50, UNITS_PER_ARM) * n
                for i in range(UNITS_PER_ARM):
                    copy.write_row((e.key, arm, f"u{i}", variant.id, now, now, int(n[i]), float(latency[i]),
                                    float(cost[i]), int(refusals[i]), 0, int(feedback_n[i]), int(thumbs[i]),
                                    int(success_n[i]), int(successes[i])))
        centres = np.array([(a + b) / 2 for a, b in zip(LATENCY_BUCKET_EDGES_MS, LATENCY_BUCKET_EDGES_MS[1:])])
        weights = np.exp(-((np.log(np.maximum(centres, 1.0)) - np.log(600)) ** 2) / (2 * 0.3**2))
        weights /= weights.sum()
        hcols = ("hour", "variant_id", "experiment_key", "arm", "n", "latency_n", "latency_sum", "latency_sum_sq",
                 "latency_hist", "ttft_n", "ttft_sum", "ttft_sum_sq", "input_tokens", "output_tokens",
                 "reasoning_tokens", "cost_sum", "cost_sum_sq", "refusals", "reasks", "feedback_n", "thumbs_up",
                 "success_n", "successes")
        per_hour = events // (2 * HOURS)
        start = now.replace(minute=0, second=0, microsecond=0)
        with cursor.cursor.copy(f"COPY telemetry_hourlyrollup ({', '.join(hcols)}) FROM STDIN") as copy:
            for arm, variant in (("control", variants[0]), ("treatment", variants[1])):
                for h in range(HOURS):
                    hist = rng.multinomial(per_hour, weights).tolist()
                    assert len(hist) == N_LATENCY_BUCKETS
                    copy.write_row((start - timezone.timedelta(hours=h), variant.id, e.key, arm, per_hour, per_hour,
                                    600.0 * per_hour, 0.0, hist, 0, 0.0, 0.0, 0, 0, 0, 0.0, 0.0, 0, 0, 0, 0, 0, 0))
    return events


def _baseline_fetch(rows: int) -> float:
    """Seconds to bring ``rows`` raw-event-shaped rows into Python (server-side cursor, batches)."""
    t = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i, i %% 2, 'unit-' || (i %% 200000), 600.0 + (i %% 97), 0.001 * (i %% 13), (i %% 33) = 0, "
            "(i %% 5) = 0, (i %% 3) = 0 FROM generate_series(1, %s) AS i", [rows])
        total = 0
        while batch := cursor.fetchmany(50_000):
            total += len(batch)
    assert total == rows
    return time.perf_counter() - t


def _cleanup(e: Experiment, variants: list[ModelVariant], owner: User) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM telemetry_unitrollup WHERE experiment_key = %s", [e.key])
        cursor.execute("DELETE FROM telemetry_hourlyrollup WHERE experiment_key = %s", [e.key])
    e.delete()
    for v in variants:
        v.delete()
    owner.delete()


def main() -> None:
    tag = uuid.uuid4().hex[:8]
    e, variants, owner = _setup(tag)
    try:
        t = time.perf_counter()
        events = _synthesise(e, variants)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE telemetry_unitrollup; ANALYZE telemetry_hourlyrollup")
        print(f"synthesised rollups for {events:,} events ({2 * UNITS_PER_ARM:,} units, {2 * HOURS} hourly rows) "
              f"in {time.perf_counter() - t:.1f}s")
        e = selectors.experiment_by_key(e.key)
        timings = []
        for _ in range(RUNS):
            t = time.perf_counter()
            res = selectors.results_for(e)
            timings.append(time.perf_counter() - t)
        best, median = min(timings), float(np.median(timings))
        print(f"decision: {res.verdict} — {res.summary}")
        raw_1m = _baseline_fetch(1_000_000)
        raw_10m = raw_1m * events / 1_000_000
        print()
        print(f"{'what':<58}{'seconds':>10}")
        print(f"{'results_for (5 metrics, SQL sums + stats), best of 5':<58}{best:>10.3f}")
        print(f"{'results_for, median of 5':<58}{median:>10.3f}")
        print(f"{'baseline: fetch 1M raw-event rows into Python':<58}{raw_1m:>10.3f}")
        print(f"{f'baseline: fetch {events / 1e6:.1f}M raw-event rows (×{events / 1e6:.1f})':<58}{raw_10m:>10.3f}")
        print()
        print(f"speed-up vs loading events: ×{raw_10m / median:.0f}   "
              f"target: results in < {TARGET_S:.0f} s → {'MET' if median < TARGET_S else 'MISSED'} ({median:.3f} s)")
    finally:
        _cleanup(e, variants, owner)


if __name__ == "__main__":
    main()
