"""Sustained event ingestion through the HTTP API, beside raw COPY of the same rows.

Starts gunicorn (sync workers) on 127.0.0.1 against the database in DATABASE_URL (or the embedded
one), creates an ingest key and a bench variant, then N client threads post pre-encoded batches of
1,000 events in time order (20,000 sessions with prompts and responses, 8–9% of calls re-asking the
previous question, so refusal detection runs in the request and re-ask detection in the worker's drain, which the
bench runs itself after the timed window and times apart). Baselines in the same run: ``COPY`` of the
same rows into a TEMP and into a regular table shaped like ``telemetry_event``, from one process (no HTTP, no validation, no dedupe, no rollups). Then the wall time per event of
each stage of ``events_ingest``, measured in-process, against the per-event budget the 0.5 target
leaves. Cleans up everything it made.

Targets (issue #6): ≥ 20,000 events/s and ≥ 0.5 of raw COPY on 2 cores.

Run: .venv/bin/python bench/ingest.py [--events 100000] [--clients 6] [--workers 4]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "evalhub.settings")

TARGET_EVENTS_PER_S = 20_000
TARGET_RATIO = 0.5
BATCH = 1000
PROMPTS = ["How do I export my data to CSV?", "What is 17 * 23 + 5?", "Plan a three-day trip to Lisbon on a budget.",
           "Why is my upload stuck at 99%?", "Write a SQL query counting orders per customer."]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


SESSIONS = 20_000


def _prompt(i: int) -> str:
    """Call c = i // SESSIONS of session i % SESSIONS (calls 140 s apart)."""
    return _session_prompt(i % SESSIONS, i // SESSIONS)


def _session_prompt(session: int, call: int) -> str:
    """A new question each call, except that one call in ten asks the previous one again: ~8% re-asks."""
    if call and (7 * session + call) % 10 == 0:
        return _session_prompt(session, call - 1)
    return PROMPTS[(session + call) % len(PROMPTS)]


def make_events(total: int, variant: str, run: str) -> list[dict]:
    start = datetime.now(UTC) - timedelta(minutes=30)
    events = []
    for i in range(total):
        events.append({
            "event_id": f"bench-{run}-{i}", "timestamp": (start + timedelta(milliseconds=i * 7)).isoformat(),
            "variant": variant, "unit_id": f"user-{i % 5000}", "session_id": f"sess-{run}-{i % SESSIONS}",
            "latency_ms": 300.0 + (i * 37) % 900, "ttft_ms": 80.0 + i % 50, "input_tokens": 120 + i % 300,
            "output_tokens": 200 + i % 100, "finish_reason": "stop", "prompt": _prompt(i),
            "response": "I'm sorry, but I can't help with that." if i % 40 == 0 else "Here is the answer you asked for.",
            "feedback": ("up" if i % 3 else "down") if i % 4 == 0 else None,
        })
    return events


def stage_breakdown(variant_slug: str, run: str, batches: int = 10) -> dict[str, float]:
    """Wall time per event of each stage of ``events_ingest`` (its steps, called one by one with a
    clock between them), in this one process with the database on the same machine: where a
    request's time goes, to set beside the COPY figure."""
    from django.conf import settings
    from django.db import transaction

    from evalhub.heap import freeze_startup_heap
    from experiments.telemetry import services
    from experiments.telemetry.schemas import EventBatchIn

    freeze_startup_heap()  # as the web workers do (evalhub/wsgi.py)
    variants = services._variants_for({variant_slug})
    totals = dict.fromkeys(("validate", "derive", "claim + COPY", "re-asks", "rollups", "commit"), 0.0)
    bodies = [json.dumps({"events": make_events(BATCH, variant_slug, f"{run}s{k}")}).encode() for k in range(batches)]
    for body in bodies:
        t0 = time.perf_counter()
        items = services.events_validate(EventBatchIn.model_validate_json(body).events, check_nul=False)
        t1 = time.perf_counter()
        # As the events API derives: re-asks and slice features left to the worker when TELEMETRY_DEFERRED is on.
        deferred = settings.TELEMETRY_DEFERRED
        rows = services.derive_rows(items, variants, defer=deferred)
        pending = services._to_derive(items, rows) if deferred else {}
        t2 = time.perf_counter()
        with transaction.atomic():
            ids = set(services._insert_new(rows, "api"))
            new = [r for r in rows if r.event_id in ids]
            if [r for r in new if r.event_id in pending]:
                services._insert_pending([pending[r.event_id] for r in new if r.event_id in pending])
            t3 = time.perf_counter()
            targets, detectable = ([], []) if deferred else services._detect_reasks(new)
            t4 = time.perf_counter()
            services._apply_rollups(new, targets, detectable)
            t5 = time.perf_counter()
        t6 = time.perf_counter()
        for key, (a, b) in zip(totals, [(t0, t1), (t1, t2), (t2, t3), (t3, t4), (t4, t5), (t5, t6)]):
            totals[key] += (b - a) * 1e6 / (BATCH * batches)
    if settings.TELEMETRY_DEFERRED:  # the request detects no re-asks (the worker does); its pending row is in the COPY stage
        del totals["re-asks"]
        totals = {("claim + COPY + pending row" if k == "claim + COPY" else k): v for k, v in totals.items()}
    return totals


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    # API keys are hashed with SECRET_KEY: the bench and the server (DEBUG off) must share one.
    import secrets

    os.environ.setdefault("SECRET_KEY", "bench-" + secrets.token_urlsafe(32))

    import logging

    import django

    django.setup()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    import httpx
    import psycopg
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.core.management import call_command

    from evalhub.core.models import ModelVariant
    from evalhub.core.services import api_key_create, roles_ensure
    from experiments.telemetry.services import EVENT_COLUMNS, partitions_ensure

    call_command("migrate", verbosity=0)
    partitions_ensure(start=(datetime.now(UTC) - timedelta(days=1)).date())
    run = uuid.uuid4().hex[:8]
    variant, _ = ModelVariant.objects.get_or_create(
        slug="bench-ingest", defaults={"name": "Bench ingest", "family": "bench", "base_model": "bench",
                                       "parameter_count": 1, "price_input_per_mtok": 1, "price_output_per_mtok": 2})
    owner = User.objects.create_user(f"bench-ingest-{run}", password=None)
    owner.groups.add(roles_ensure()["engineer"])  # ingest keys work for engineers and admins only
    _, key = api_key_create(owner=owner, name="bench", scopes=["ingest"])
    events = make_events(args.events, variant.slug, run)
    bodies = [json.dumps({"events": events[i:i + BATCH]}).encode() for i in range(0, len(events), BATCH)]
    db_url = settings.DATABASE_URL

    port = _free_port()
    env = dict(os.environ, DATABASE_URL=db_url, DEBUG="0", SECRET_KEY=settings.SECRET_KEY, ALLOWED_HOSTS="127.0.0.1",
               LOG_LEVEL="WARNING")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "evalhub.wsgi", "-w", str(args.workers), "-b", f"127.0.0.1:{port}",
         "--preload", "--log-level", "warning", "--timeout", "120"],
        cwd=BASE_DIR, env=env,
    )
    url = f"http://127.0.0.1:{port}/api/v1/events"
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                warm = httpx.post(url, content=json.dumps({"events": make_events(10, variant.slug, run + "w")}),
                                  headers=headers, timeout=30)
                if warm.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("gunicorn did not come up")
            time.sleep(0.3)
        # Warm every worker (imports, connections) outside the timed window.
        for i in range(args.workers * 2):
            httpx.post(url, content=json.dumps({"events": make_events(10, variant.slug, f"{run}w{i}")}),
                       headers=headers, timeout=30)

        queue = list(range(len(bodies)))
        lock = threading.Lock()
        failures: list[str] = []
        accepted = [0]

        def client() -> None:
            with httpx.Client(timeout=120) as http:
                while True:
                    with lock:
                        if not queue:
                            return
                        index = queue.pop(0)  # in time order, as live traffic arrives
                    response = http.post(url, content=bodies[index], headers=headers)
                    if response.status_code != 200:
                        failures.append(f"{response.status_code} {response.text[:200]}")
                        continue
                    with lock:
                        accepted[0] += response.json()["accepted"]

        threads = [threading.Thread(target=client) for _ in range(args.clients)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        api_seconds = time.perf_counter() - started
        if failures:
            print(f"{len(failures)} failed batches, e.g. {failures[0]}")
    finally:
        server.terminate()
        server.wait(timeout=30)
    # The worker's share (TELEMETRY_DEFERRED): re-asks and slice features of what the API stored, drained here.
    from experiments.telemetry.models import HourlyRollup
    from experiments.telemetry.services import pending_drain

    started = time.perf_counter()
    drained = 0
    while n := pending_drain():
        drained += n
    drain_seconds = time.perf_counter() - started
    reasks = sum(HourlyRollup.objects.filter(variant=variant).values_list("reasks", flat=True))

    # Baseline: raw COPY of the same rows (as the API would store them) into a same-shaped table.
    rows = [(e["event_id"], e["timestamp"], datetime.now(UTC), "api", variant.id, "", "", e["unit_id"], e["session_id"],
             e["latency_ms"], e["ttft_ms"], e["input_tokens"], e["output_tokens"], 0, 0.0, True, e["finish_reason"],
             False, "none", None, None, False, False, None, None, "{}", "{}", "", "{}") for e in events]
    assert len(rows[0]) == len(EVENT_COLUMNS), "the baseline rows must carry every stored column"
    copy_seconds = {}
    with psycopg.connect(db_url) as conn:
        # Two tables: a TEMP one (no write-ahead log: the fastest COPY can be) and a regular one
        # (logged and durable, as stored events are). Both have the (event_id, ts) primary key.
        for kind, create in (("temp", "CREATE TEMP TABLE bench_copy_temp (LIKE telemetry_event INCLUDING DEFAULTS)"),
                             ("logged", "CREATE TABLE bench_copy_logged (LIKE telemetry_event INCLUDING DEFAULTS)")):
            table = f"bench_copy_{kind}"
            conn.execute(create)
            conn.execute(f"ALTER TABLE {table} ADD PRIMARY KEY (event_id, ts)")
            conn.commit()
            started = time.perf_counter()
            with conn.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(EVENT_COLUMNS)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            conn.commit()
            copy_seconds[kind] = time.perf_counter() - started
            conn.execute(f"DROP TABLE {table}")
            conn.commit()
    stages = stage_breakdown(variant.slug, run)
    with psycopg.connect(db_url) as conn:
        # Clean up what the bench stored.
        conn.execute("DELETE FROM telemetry_event WHERE variant_id = %s", [variant.id])
        conn.execute("DELETE FROM telemetry_event_key WHERE event_id LIKE %s", [f"bench-{run}%"])
        conn.execute("DELETE FROM telemetry_hourlyrollup WHERE variant_id = %s", [variant.id])
        conn.execute("DELETE FROM telemetry_sessionstate WHERE variant_id = %s", [variant.id])
        conn.execute("DELETE FROM telemetry_pendingbatch WHERE events LIKE %s", [f'[["bench-{run}%'])
        conn.commit()
    owner.delete()

    api_rate = accepted[0] / api_seconds
    copy_rate = len(rows) / copy_seconds["temp"]
    logged_rate = len(rows) / copy_seconds["logged"]
    print(f"events: {accepted[0]:,} accepted of {len(events):,} in batches of {BATCH} "
          f"({args.clients} clients, {args.workers} gunicorn workers, {os.cpu_count()} CPUs); "
          f"{reasks:,} of them re-asked an earlier answer (flagged by the worker's drain)")
    print(f"HTTP API ingestion : {api_rate:>10,.0f} events/s  ({api_seconds:.2f} s)   target ≥ {TARGET_EVENTS_PER_S:,}")
    if drained:
        print(f"worker's drain     : {drained / drain_seconds:>10,.0f} events/s  ({drain_seconds:.2f} s, one process)   "
              f"re-asks and slice features of the {drained:,} events the API left to it")
    print(f"raw COPY baseline  : {copy_rate:>10,.0f} events/s  ({copy_seconds['temp']:.2f} s)   into a TEMP table (no WAL)")
    print(f"ratio API / COPY   : {api_rate / copy_rate:>10.2f}                     target ≥ {TARGET_RATIO}")
    print(f"raw COPY, logged   : {logged_rate:>10,.0f} events/s  ({copy_seconds['logged']:.2f} s)   into a regular table; "
          f"ratio {api_rate / logged_rate:.2f}")
    cores = os.cpu_count() or 1
    budget = cores * 1e6 / (TARGET_RATIO * copy_rate)
    print("where the time goes (one process, wall µs per event, database work included): "
          + ", ".join(f"{k} {v:.1f}" for k, v in stages.items()) + f"; total {sum(stages.values()):.1f}")
    print(f"COPY alone: {1e6 / copy_rate:.1f} µs per event; {TARGET_RATIO} of COPY on {cores} cores leaves "
          f"{budget:.1f} µs of CPU per event for everything (HTTP, validation, dedupe, re-asks, rollups)")


if __name__ == "__main__":
    main()
