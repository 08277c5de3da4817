"""Refusal and re-ask detection: quality on labelled data, and what it costs ingestion.

Quality: ``detection_eval`` (the ingestion code path) over the labelled file — by default the XSTest
development set at ``../shared/data/refusal-dev.jsonl`` relative to the repository, or the path in
``EVALHUB_DETECTION_DATA`` / ``--data``. The file is split by a hash of each line's id into a
development part (70 %, the part the classifier was tuned on) and a held-out part (30 %); both are
printed. ``--check FILE`` adds files scored as a whole (labelled data from other models or
languages, never tuned on).

Throughput: ``events_ingest`` in this process on the database in DATABASE_URL (run it under
``python -m evalhub.embedded exec``), batches of 1,000 events of ``bench/ingest.py``'s traffic
(sessions with prompts, 8 % re-asks), with the ingest bench's short answers and with the long answers
of the labelled file (real model output, 55 % refusals), each twice in the same run, rounds
interleaved (every other round in the opposite order): with this code's detectors and derived
features, and with the previous release's (``refusal.py`` and ``reask.py`` of commit
``BASELINE_COMMIT``, read with ``git show``, and no derived features: that release had none) — the
ratio is the throughput kept, printed as the ratio of total times and as the median of per-round
paired ratios. This code runs as the events API runs it by default (``TELEMETRY_DEFERRED``: each batch's
prompts and re-ask scopes are saved in one pending row in the ingest transaction, and the worker detects the
re-asks and derives the slice features) and, in a third arm, with both done in the request (the setting off).
The worker's cost is measured too (``pending_drain`` over the deferred arm's rows), and printed per event beside
the request's, so the work moved off the request path is counted. Every event's prompt is made unique (its run and index appended), as in real traffic:
repeated texts would be answered by the per-text caches of language detection and re-ask
fingerprints. The share of this code's ingest time spent in ``derive_features`` is printed. Also
without any prompt or response text (no detection at all), for scale.

Run: .venv/bin/python -m evalhub.embedded exec .venv/bin/python bench/detection.py [--data FILE] [--check FILE …]
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import sys
import time
import uuid
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
sys.path.insert(0, str(BASE_DIR / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "evalhub.settings")

DEFAULT_DATA = BASE_DIR / ".." / "shared" / "data" / "refusal-dev.jsonl"
TARGET_F1 = 0.90
TARGET_THROUGHPUT_RATIO = 0.9
BATCH = 1000
BASELINE_COMMIT = "21a3a0e"  # the last release with the English-only detectors


def is_dev_split(case: dict) -> bool:
    """70 % of ids (by CRC-32) form the development part; the rest is held out."""
    return zlib.crc32(str(case.get("id")).encode()) % 10 < 7


def quality(data: Path, checks: list[Path]) -> list[dict]:
    from experiments.telemetry.detection_eval import evaluate, read_cases

    with data.open(encoding="utf-8") as lines:
        cases = list(read_cases(lines))
    for name, part in (("development split (tuned on)", [c for c in cases if is_dev_split(c)]),
                       ("held-out split", [c for c in cases if not is_dev_split(c)]),
                       ("whole file", cases)):
        print(f"{data.name} — {name}: {evaluate(part).summary_line()}")
    for path in checks:
        with path.open(encoding="utf-8") as lines:
            report = evaluate(read_cases(lines))
        for line in report.table():
            print("  " + line)
        print(f"{path.name} — whole file: {report.summary_line()}")
    return [c for c in cases if c["kind"] == "refusal"]


def _previous_detectors():
    """The previous release's refusal and re-ask modules (from git history), or None without git."""
    import subprocess
    import types

    modules = {}
    for name in ("refusal", "reask"):
        try:
            source = subprocess.run(["git", "show", f"{BASELINE_COMMIT}:experiments/telemetry/{name}.py"], cwd=BASE_DIR,
                                    capture_output=True, text=True, check=True).stdout
        except (OSError, subprocess.CalledProcessError):
            return None
        module = types.ModuleType(f"previous_{name}")
        exec(compile(source, f"{BASELINE_COMMIT}:{name}.py", "exec"), module.__dict__)  # our own history
        modules[name] = module
    from experiments.telemetry import reask

    # That release stored the fingerprint as a bigint[] literal built inline; today's ingest path stores it
    # packed (``fingerprint_bytes``). Its fingerprints are packed the same way, with the same per-prompt
    # cache, so the ratio compares the detectors only (the storage format is not counted as a gain).
    previous_fingerprint = modules["reask"].fingerprint
    modules["reask"].fingerprint_bytes = functools.lru_cache(maxsize=8192)(
        lambda text: reask.pack_fingerprint(previous_fingerprint(text)) if text else b"")
    modules["reask"].fingerprint_from_bytes = reask.fingerprint_from_bytes
    return modules


def throughput(labelled: list[dict], batches: int) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from ingest import make_events

    from evalhub.core.models import ModelVariant
    from experiments.telemetry.services import events_ingest, partitions_ensure, pending_drain

    call_command("migrate", verbosity=0)
    partitions_ensure(start=(datetime.now(UTC) - timedelta(days=1)).date())
    variant, _ = ModelVariant.objects.get_or_create(
        slug="bench-detection", defaults={"name": "Bench detection", "family": "bench", "base_model": "bench",
                                          "parameter_count": 1, "price_input_per_mtok": 1, "price_output_per_mtok": 2})
    run_id = uuid.uuid4().hex[:8]
    answers = [c["response"] for c in labelled] or ["Here is the answer you asked for."]

    def events(mode: str, k: int) -> list[dict]:
        batch = make_events(BATCH, variant.slug, f"det-{run_id}-{mode}-{k}")
        for i, event in enumerate(batch):
            event["session_id"] = f"{event['session_id']}-{mode}"
            if mode == "no text":
                event.pop("prompt"), event.pop("response")
            elif mode == "long answers":
                event["response"] = answers[(k * BATCH + i) % len(answers)]
        return batch

    from experiments.telemetry import services
    from experiments.telemetry.refusal import RefusalDecision

    previous = _previous_detectors()
    current_detectors = (services.classify_refusal, services.reask, services.event_features)
    feature_seconds = [0.0]

    def timed_features(prompt, metadata):
        started = time.perf_counter()
        try:
            return current_detectors[2](prompt, metadata)
        finally:
            feature_seconds[0] += time.perf_counter() - started

    defer = [False]

    def use(detectors: str) -> None:
        # "current": as the events API ingests by default (TELEMETRY_DEFERRED): the batch's prompts and re-ask
        # scopes saved in one pending row in the ingest transaction, for the worker (its cost is printed below);
        # "inline": the same detectors with re-asks and features derived in the request (the setting off).
        defer[0] = detectors == "current"
        if detectors == "previous" and previous is not None:
            def classify(**kwargs):
                kwargs.pop("refusal_message", None)
                refused, source = previous["refusal"].classify_refusal(**kwargs)
                return RefusalDecision(refused, source)

            services.classify_refusal, services.reask = classify, previous["reask"]
            services.event_features = lambda prompt, metadata: {}
        else:
            services.classify_refusal, services.reask = current_detectors[:2]
            services.event_features = timed_features

    runs = [("no text", "current")] + [(text, detectors) for text in ("short answers", "long answers")
                                       for detectors in (("previous", "current", "inline") if previous
                                                         else ("current", "inline"))]
    bodies = {run: [events(run[0], k) for k in range(batches)] for run in runs}
    for n, run in enumerate(runs):  # distinct ids per run: the same traffic, stored again
        for k, batch in enumerate(bodies[run]):
            for i, event in enumerate(batch):
                event["event_id"] += f"-{run[1]}"
                event["session_id"] += f"-{run[1]}"
                if "prompt" in event:  # unique texts: no per-text cache answers for real traffic
                    event["prompt"] += f" #{n}.{k}.{i}"
    use("current")  # imports, connection, caches outside the timed runs
    events_ingest(events=events("warm", 0), defer=True)
    pending_drain()
    seconds = dict.fromkeys(runs, 0.0)
    feature_seconds[0] = 0.0
    per_round: dict[tuple[str, str], list[float]] = {run: [] for run in runs}
    worker_seconds, drained = 0.0, 0
    try:
        # Interleaved rounds, so load from other processes on the machine falls on every run alike.
        for k in range(batches):
            # Every other round runs the detector sets in the other order: whichever runs second
            # (warmer caches, or the first one's writes still being flushed) is not always the same.
            for run in (runs if k % 2 == 0 else list(reversed(runs))):
                use(run[1])
                started = time.perf_counter()
                events_ingest(events=bodies[run][k], defer=defer[0])
                elapsed = time.perf_counter() - started
                seconds[run] += elapsed
                per_round[run].append(elapsed)
        # The worker's share: drain what the deferred rounds left (re-asks and features of their events).
        use("current")
        started = time.perf_counter()
        while n := pending_drain():
            drained += n
        worker_seconds = time.perf_counter() - started
    finally:
        use("current")
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM telemetry_event WHERE variant_id = %s", [variant.id])
            cursor.execute("DELETE FROM telemetry_event_key WHERE event_id LIKE %s", [f"bench-det-{run_id}%"])
            cursor.execute("DELETE FROM telemetry_hourlyrollup WHERE variant_id = %s", [variant.id])
            cursor.execute("DELETE FROM telemetry_sessionstate WHERE variant_id = %s", [variant.id])
            cursor.execute("DELETE FROM telemetry_pendingbatch WHERE events LIKE %s", [f'[["bench-det-{run_id}%'])
        variant.delete()
    total = batches * BATCH
    rate = {run: total / seconds[run] for run in runs}
    print(f"ingestion, no prompt or response text: {rate[('no text', 'current')]:>9,.0f} events/s (no detection runs)")
    for text in ("short answers", "long answers"):
        now = rate[(text, "current")]
        if previous is None:
            print(f"ingestion, {text:13}: {now:>9,.0f} events/s (previous detectors unavailable: no git history)")
            continue
        before = rate[(text, "previous")]
        # Per round, the same batch with each detector set, one right after the other: the median of
        # these paired ratios shrugs off bursts of load from other processes that the totals absorb.
        paired = statistics.median(b / a for a, b in zip(per_round[(text, "current")], per_round[(text, "previous")],
                                                        strict=True))
        print(f"ingestion, {text:13}: {now:>9,.0f} events/s; with the previous release's detectors {before:>9,.0f}; "
              f"ratio {now / before:.2f} (median of per-round ratios {paired:.2f})  target ≥ {TARGET_THROUGHPUT_RATIO}")
        inline = rate[(text, "inline")]
        paired_inline = statistics.median(b / a for a, b in zip(per_round[(text, "inline")],
                                                               per_round[(text, "previous")], strict=True))
        print(f"  … with re-asks and slice features derived in the request (TELEMETRY_DEFERRED=0): {inline:>9,.0f} "
              f"events/s; ratio {inline / before:.2f} (median of per-round ratios {paired_inline:.2f})")
    with_text = sum(seconds[run] for run in runs if run[0] != "no text" and run[1] == "inline")
    print(f"derive_features: {feature_seconds[0] / (2 * total) * 1e6:.1f} µs per event (unique prompts), "
          f"{feature_seconds[0] / with_text:.0%} of the ingest time with text when derived in the request")
    request = sum(seconds[run] for run in runs if run[1] == "current" and run[0] != "no text") / (2 * total)
    worker = worker_seconds / max(drained, 1)
    line = (f"the worker (pending_drain: re-asks and features of the deferred events): {worker * 1e6:.1f} µs per event "
            f"({drained:,} events); request + worker {(request + worker) * 1e6:.1f} µs per event with text")
    if previous is not None:
        before = sum(seconds[run] for run in runs if run[1] == "previous") / (2 * total)
        line += f", the previous release {before * 1e6:.1f} µs (all in the request): ratio {before / (request + worker):.2f}"
    print(line)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("EVALHUB_DETECTION_DATA", DEFAULT_DATA)))
    parser.add_argument("--check", type=Path, action="append", default=[], help="more labelled JSONL, scored whole")
    parser.add_argument("--batches", type=int, default=10, help="batches of 1,000 events per mode")
    parser.add_argument("--no-throughput", action="store_true")
    args = parser.parse_args()
    if not args.data.is_file():
        raise SystemExit(f"no labelled file at {args.data} (set EVALHUB_DETECTION_DATA or --data)")
    import django

    django.setup()
    labelled = quality(args.data, args.check)
    print(f"target: F1 ≥ {TARGET_F1} on answers of models not tuned on")
    if not args.no_throughput:
        throughput(labelled, args.batches)


if __name__ == "__main__":
    main()
