"""Production dashboard render time over rollups equivalent to 10,000,000 events.

The dashboard reads ``HourlyRollup`` only (never raw events), so its cost depends on hours ×
variants × arms, not on the event count. The bench therefore synthesises rollup rows for 8 variants
× (no experiment + 2 arms) × 90 days, with 10,000,000 events in the default 7-day window (and the
same rate before it, so the 90-day view covers ~129M events) — it does not insert raw rows, which
the page never reads. Each rollup gets a random latency histogram and
consistent sums. Timed: the full page (queries, statistics, plotly figures, template) through
Django's test client, for the 7-day and 90-day periods; baseline in the same run: the login page.

Target (issue #6): < 300 ms over 10,000,000 events.

Run: .venv/bin/python bench/telemetry_dashboard.py
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "evalhub.settings")

TOTAL_EVENTS = 10_000_000
DAYS = 90
VARIANTS = 8
ARMS = ("", "control", "treatment")
TARGET_MS = 300.0
REPEATS = 7


def _time(client, url: str) -> float:
    samples = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(samples)


def main() -> None:
    import django

    django.setup()
    import numpy as np
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from evalhub.core.models import ModelVariant, Role
    from evalhub.core.services import roles_ensure, user_create
    from experiments.telemetry.buckets import LATENCY_BUCKET_EDGES_MS
    from experiments.telemetry.services import HOURLY_SUM_FIELDS, pg_array

    call_command("migrate", verbosity=0)
    run = uuid.uuid4().hex[:6]
    rng = np.random.default_rng(6)
    variants = [ModelVariant.objects.create(slug=f"bench-dash-{run}-{i}", name=f"Bench {i}", family="bench",
                                            base_model="bench", parameter_count=1) for i in range(VARIANTS)]
    until = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    hours = [until - timedelta(hours=h + 1) for h in range(DAYS * 24)]
    per_cell = TOTAL_EVENTS // (7 * 24 * VARIANTS * len(ARMS))  # 10M events in the last 7 days
    centres = np.array(LATENCY_BUCKET_EDGES_MS[:-1])
    rows = []
    for v_index, variant in enumerate(variants):
        probs = np.exp(-0.5 * ((np.log1p(centres) - np.log(300 + 100 * v_index)) / 0.5) ** 2)
        probs /= probs.sum()
        for hour in hours:
            for arm in ARMS:
                n = per_cell
                hist = rng.multinomial(n, probs)
                lat_sum = float((hist * centres).sum())
                sums = {
                    "n": n, "latency_n": n, "latency_sum": lat_sum, "latency_sum_sq": float((hist * centres**2).sum()),
                    "ttft_n": n, "ttft_sum": lat_sum * 0.2, "ttft_sum_sq": float((hist * (0.2 * centres) ** 2).sum()),
                    "input_tokens": n * 150, "output_tokens": n * 220, "reasoning_tokens": 0,
                    "cost_sum": n * 0.0005, "cost_sum_sq": n * 0.0005**2 * 1.1,
                    "refusals": int(rng.binomial(n, 0.03)), "reasks": int(rng.binomial(n * 3 // 5, 0.08)),
                    "reask_detectable": n * 3 // 5,
                    "feedback_n": n // 3, "thumbs_up": int(rng.binomial(n // 3, 0.6)),
                    "success_n": n // 4, "successes": int(rng.binomial(n // 4, 0.6)),
                }
                rows.append((hour, variant.id, "bench-exp" if arm else "", arm, pg_array(hist.tolist()),
                             *(sums[f] for f in HOURLY_SUM_FIELDS)))
    columns = ("hour", "variant_id", "experiment_key", "arm", "latency_hist", *HOURLY_SUM_FIELDS)
    with connection.cursor() as cursor, cursor.cursor.copy(
        f"COPY telemetry_hourlyrollup ({', '.join(columns)}) FROM STDIN"
    ) as copy:
        for row in rows:
            copy.write_row(row)
    total = sum(r[5] for r in rows)
    week_total = sum(r[5] for r in rows if r[0] >= until - timedelta(days=7))

    roles_ensure()
    viewer = user_create(username=f"bench-dash-{run}", password=uuid.uuid4().hex, role=Role.VIEWER)
    client = Client()
    client.force_login(viewer)
    try:
        client.get("/production/?period=7d")  # warm imports and template caches
        baseline = _time(client, "/login/")
        week = _time(client, "/production/?period=7d")
        quarter = _time(client, "/production/?period=90d")
        csv_ms = _time(client, "/production/export.csv?period=90d")
    finally:
        ModelVariant.objects.filter(slug__startswith=f"bench-dash-{run}").delete()  # cascades to the rollups
        User.objects.filter(pk=viewer.pk).delete()

    print(f"rollup rows: {len(rows):,} ({DAYS} days × {VARIANTS} variants × {len(ARMS)} arm cells); "
          f"{week_total:,} events in the last 7 days, {total:,} in 90 days")
    print(f"baseline (login page)                 : {baseline:7.1f} ms (median of {REPEATS})")
    print(f"dashboard, 7 days  ({week_total / 1e6:5.1f}M events)  : {week:7.1f} ms   ratio {week / baseline:5.1f}×   "
          f"target < {TARGET_MS:.0f} ms")
    print(f"dashboard, 90 days ({total / 1e6:5.1f}M events)  : {quarter:7.1f} ms   ratio {quarter / baseline:5.1f}×")
    print(f"CSV export, 90 days                   : {csv_ms:7.1f} ms")


if __name__ == "__main__":
    main()
