"""Failure-mode analysis over 1M production events and 100k suite results, beside the plain per-variant aggregate.

Targets (issue #18): the analysis answers in < 2 s; the page answers from its cache in < 300 ms. The bench
writes throwaway data into the database in ``DATABASE_URL`` (migrating it first) and removes it at the end:

* two variants, ``--events`` production events (default 1,000,000, half each) over the last 7 days with
  derived features and a ``topic`` attribute (10 topics), written with COPY as ingestion writes them;
* one suite version of ``--items`` items (default 50,000: 100k results over the two variants' runs), grouped in
  clusters of 5, with categories and derived features.

It times, median of ``--repeat`` runs:
* the analysis (``evalhub.failures.selectors.analyse``: every dimension × metric × source, BH, examples);
* the plain per-variant aggregate on the same data (one GROUP BY variant over the events, one over the results:
  the numbers a per-variant dashboard shows) — the ratio says what slicing costs on top;
* the failure-modes page from its cache, beside the plain aggregate.

Run: make bench, or DATABASE_URL=… .venv/bin/python bench/failures.py [--events 1000000] [--items 50000]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "evalhub.settings")

ANALYSIS_TARGET_MS = 2000.0
PAGE_TARGET_MS = 300.0
PREFIX = "bench-failures"
TOPICS = ("billing", "coding", "travel", "health", "news", "sports", "legal", "cooking", "safety_adjacent", "other")
LANGS = ("en", "de", "fr", "es", "und")


def _time(fn, repeat: int) -> tuple[float, float]:
    fn()
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples), max(samples)


def _events(variant_ids: list[int], n: int, end: datetime) -> None:
    from django.db import connection
    from psycopg.types.json import Jsonb

    from experiments.telemetry.services import EVENT_COLUMNS, partitions_ensure

    partitions_ensure(start=(end - timedelta(days=8)).date())
    rng = random.Random(18)
    cols = ", ".join(EVENT_COLUMNS)
    now = datetime.now(UTC)
    features = [{"language": lang, "turns": turns, "prompt_length": length, "contains_code": code,
                 "recent_events": recent, "safety_sensitive": "no"}
                for lang in LANGS for turns in ("1", "2-3", "4+") for length in ("short", "medium", "long")
                for code in ("yes", "no") for recent in ("yes", "no")]
    with connection.cursor() as django_cursor:
        cursor = django_cursor.cursor
        with cursor.copy(f"COPY telemetry_event ({cols}) FROM STDIN") as copy:
            for i in range(n):
                vid = variant_ids[i % 2]
                topic = TOPICS[rng.randrange(len(TOPICS))]
                refused = rng.random() < (0.3 if (vid == variant_ids[0] and topic == "safety_adjacent") else 0.04)
                feedback = None if rng.random() < 0.7 else (1 if rng.random() < 0.6 else -1)
                success = None if rng.random() < 0.6 else rng.random() < 0.6
                ts = end - timedelta(seconds=rng.uniform(60, 7 * 86400 - 60))
                copy.write_row((
                    f"{PREFIX}-{i}", ts, now, "bench", vid, "", "", f"u{i % 5000}", f"s{i // 3}",
                    rng.lognormvariate(6.3, 0.4), None, 100, 200, 0, 0.001, True, "stop", refused,
                    "text" if refused else "none", feedback, success, False, rng.random() < 0.08, None, None,
                    Jsonb({}), Jsonb({"topic": topic}), "" if rng.random() > 0.01 else "timeout",
                    Jsonb(features[rng.randrange(len(features))]),
                ))


def _load(args, variants, end: datetime) -> None:
    from django.db import connection

    from experiments.suites.models import Run, RunResult, RunSource, RunStatus, Suite, SuiteItem, SuiteVersion
    from experiments.telemetry.models import HourlyRollup

    t = time.perf_counter()
    ids = [v.pk for v in variants]
    _events(ids, args.events, end)
    # The analysis window ends at the newest rollup hour (rollups are not otherwise read here).
    HourlyRollup.objects.create(hour=end - timedelta(hours=1), variant=variants[0], n=1)
    suite = Suite.objects.create(slug=PREFIX, name="Bench failures")
    version = SuiteVersion.objects.create(suite=suite, number=1, locked=True, item_count=args.items)
    rng = random.Random(7)
    cats = ("a", "b", "c", "d", "e", "f")
    items = SuiteItem.objects.bulk_create(
        [SuiteItem(version=version, external_id=str(i), position=i, category=cats[i % len(cats)],
                   group=f"g{i // 5}", input=[{"role": "user", "content": f"question {i} " + "x" * (i % 1500)}],
                   targets=["1"]) for i in range(args.items)], batch_size=5000)
    for k, v in enumerate(variants):
        run = Run.objects.create(version=version, variant=v, status=RunStatus.DONE, source=RunSource.RECORDED,
                                 n_items=args.items, n_done=args.items, n_scored=args.items)
        RunResult.objects.bulk_create(
            [RunResult(run=run, item=item, output="x",
                       score=float(rng.random() < (0.7 if k == 0 and item.category == "a" else 0.8)))
             for item in items], batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE telemetry_event; ANALYZE suites_runresult; ANALYZE suites_suiteitem")
    print(f"data: {args.events:,} events, {2 * args.items:,} suite results (loaded in {time.perf_counter() - t:.0f} s)")


def _measure(args, variants, start: datetime, end: datetime, viewer) -> None:
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test import Client

    from evalhub.core.models import Role
    from evalhub.core.services import roles_ensure
    from evalhub.failures.selectors import Params, _specs, analyse, cached_analysis, dimensions_active
    from experiments.suites import selectors as suites_selectors
    from experiments.telemetry import selectors as telemetry_selectors

    ids = [v.pk for v in variants]
    params = Params(variant=variants[0].slug, baseline=variants[1].slug)

    def plain() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT variant_id, count(*), count(*) FILTER (WHERE refused), count(*) FILTER (WHERE reasked), "
                "count(*) FILTER (WHERE error_type <> ''), avg(latency_ms), count(feedback), "
                "count(*) FILTER (WHERE feedback = 1) FROM telemetry_event "
                "WHERE variant_id = ANY(%s) AND ts >= %s AND ts < %s GROUP BY variant_id", [ids, start, end])
            cursor.fetchall()
            cursor.execute("SELECT run_id, count(*), avg(score) FROM suites_runresult r JOIN suites_run u "
                           "ON u.id = r.run_id WHERE u.variant_id = ANY(%s) GROUP BY run_id", [ids])
            cursor.fetchall()

    payload = analyse(params)
    flagged = [f"{s['source']}:{s['slice']['dimension']}={s['slice']['value']}:{s['metric']}"
               for s in payload["slices"] if s["significant"]]
    print(f"analysis: {len(payload['slices'])} slices, {payload['n_tested']} tested, flagged {flagged}")
    plain_med, plain_max = _time(plain, args.repeat)
    an_med, an_max = _time(lambda: analyse(params), args.repeat)
    dims = dimensions_active()
    prod_med, _ = _time(lambda: telemetry_selectors.failure_slice_stats(
        variant_ids=ids, dimensions=_specs(dims, "production"), start=start, end=end), args.repeat)
    pair = suites_selectors.failure_run_pairs(variant_id=ids[0], baseline_id=ids[1])[0]
    suite_med, _ = _time(lambda: suites_selectors.failure_slice_stats(pair, _specs(dims, "suites")), args.repeat)

    cached_analysis(params, refresh=True)
    roles_ensure()
    viewer.groups.add(Group.objects.get(name=Role.VIEWER))
    client = Client()
    client.force_login(viewer)
    url = f"/failures/{params.variant}/?baseline={params.baseline}"

    def page() -> None:
        response = client.get(url)
        assert response.status_code == 200, response.status_code

    page_med, page_max = _time(page, max(args.repeat, 10))
    print(f"\n{'what':44} {'median':>10} {'max':>10} {'ratio':>7}  target")
    print(f"{'plain per-variant aggregate (same data)':44} {plain_med:8.1f}ms {plain_max:8.1f}ms {1.0:6.1f}x")
    print(f"{'failure-mode analysis':44} {an_med:8.1f}ms {an_max:8.1f}ms {an_med / plain_med:6.1f}x  "
          f"< {ANALYSIS_TARGET_MS:.0f} ms {'PASS' if an_med < ANALYSIS_TARGET_MS else 'FAIL'}")
    print(f"{'  of which production slice statistics':44} {prod_med:8.1f}ms {'':>10} {prod_med / plain_med:6.1f}x")
    print(f"{'  of which suite slice statistics':44} {suite_med:8.1f}ms {'':>10} {suite_med / plain_med:6.1f}x")
    print(f"{'failure-modes page from cache':44} {page_med:8.1f}ms {page_max:8.1f}ms {page_med / plain_med:6.1f}x  "
          f"< {PAGE_TARGET_MS:.0f} ms {'PASS' if page_med < PAGE_TARGET_MS else 'FAIL'}")


def _cleanup(variants, viewer) -> None:
    from django.db import connection

    from evalhub.failures.models import Analysis
    from experiments.suites.models import Run, RunResult, Suite
    from experiments.telemetry.models import HourlyRollup

    ids = [v.pk for v in variants]
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM telemetry_event WHERE variant_id = ANY(%s)", [ids])
        cursor.execute("DELETE FROM telemetry_event_key WHERE event_id LIKE %s", [f"{PREFIX}-%"])
    Analysis.objects.filter(variant_slug__startswith=PREFIX).delete()
    RunResult.objects.filter(run__variant_id__in=ids).delete()
    Run.objects.filter(variant_id__in=ids).delete()
    Suite.objects.filter(slug=PREFIX).delete()
    HourlyRollup.objects.filter(variant_id__in=ids).delete()
    viewer.delete()
    for v in variants:
        v.delete()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="leave the data in place: the next run reuses it")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.core.management import call_command

    from evalhub.core.models import ModelVariant
    from experiments.telemetry.models import HourlyRollup

    call_command("migrate", verbosity=0)
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    reuse = ModelVariant.objects.filter(slug__startswith=PREFIX).count() == 2
    variants = [ModelVariant.objects.get_or_create(slug=f"{PREFIX}-{name}", defaults={
        "name": f"Bench {name}", "family": "bench", "base_model": "bench", "parameter_count": 7_000_000_000})[0]
        for name in ("a", "b")]
    viewer = User.objects.get_or_create(username=f"{PREFIX}-viewer")[0]
    try:
        if reuse:
            end = HourlyRollup.objects.get(variant=variants[0]).hour + timedelta(hours=1)
            print("reusing the data a --keep run left")
        else:
            end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
            _load(args, variants, end)
        _measure(args, variants, end - timedelta(days=7), end, viewer)
    finally:
        if not args.keep:
            _cleanup(variants, viewer)


if __name__ == "__main__":
    main()
