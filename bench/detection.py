"""Refusal and re-ask detection: quality on labelled data, and what it costs ingestion.

Quality: ``detection_eval`` (the ingestion code path) over the labelled file — by default the XSTest
development set at ``../shared/data/refusal-dev.jsonl`` relative to the repository, or the path in
``EVALHUB_DETECTION_DATA`` / ``--data``. The file is split by a hash of each line's id into a
development part (70 %, the part the classifier was tuned on) and a held-out part (30 %); both are
printed. ``--check FILE`` adds files scored as a whole (labelled data from other models or
languages, never tuned on).

Throughput: ``events_ingest`` in this process on the database in DATABASE_URL (run it under
``python -m evalhub.embedded exec``), batches of 1,000 events of ``bench/ingest.py``'s traffic
(sessions with prompts, 8 % re-asks), three ways in the same run:

* without prompt and response text — no detection runs: the baseline detection must stay within
  0.9 of (today's ingestion throughput is at most this);
* with the ingest bench's short answers;
* with the long answers of the labelled file (real model output, 55 % refusals).

Run: .venv/bin/python -m evalhub.embedded exec .venv/bin/python bench/detection.py [--data FILE] [--check FILE …]
"""

from __future__ import annotations

import argparse
import json
import os
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


def throughput(labelled: list[dict], batches: int) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from evalhub.core.models import ModelVariant
    from experiments.telemetry.services import events_ingest, partitions_ensure
    from ingest import make_events

    call_command("migrate", verbosity=0)
    partitions_ensure(start=(datetime.now(UTC) - timedelta(days=1)).date())
    variant, _ = ModelVariant.objects.get_or_create(
        slug="bench-detection", defaults={"name": "Bench detection", "family": "bench", "base_model": "bench",
                                          "parameter_count": 1, "price_input_per_mtok": 1, "price_output_per_mtok": 2})
    run = uuid.uuid4().hex[:8]
    answers = [c["response"] for c in labelled] or ["Here is the answer you asked for."]

    def events(mode: str, k: int) -> list[dict]:
        batch = make_events(BATCH, variant.slug, f"det-{run}-{mode}-{k}")
        for i, event in enumerate(batch):
            event["session_id"] = f"{event['session_id']}-{mode}"
            if mode == "no text":
                event.pop("prompt"), event.pop("response")
            elif mode == "long answers":
                event["response"] = answers[(k * BATCH + i) % len(answers)]
        return batch

    modes = ("no text", "short answers", "long answers")
    bodies = {mode: [events(mode, k) for k in range(batches)] for mode in modes}
    events_ingest(events=events("warm", 0))  # imports, connection, caches outside the timed runs
    seconds = dict.fromkeys(modes, 0.0)
    try:
        # Interleaved rounds, so load from other processes on the machine falls on every mode alike.
        for k in range(batches):
            for mode in modes:
                started = time.perf_counter()
                events_ingest(events=bodies[mode][k])
                seconds[mode] += time.perf_counter() - started
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM telemetry_event WHERE variant_id = %s", [variant.id])
            cursor.execute("DELETE FROM telemetry_event_key WHERE event_id LIKE %s", [f"bench-det-{run}%"])
            cursor.execute("DELETE FROM telemetry_hourlyrollup WHERE variant_id = %s", [variant.id])
            cursor.execute("DELETE FROM telemetry_sessionstate WHERE variant_id = %s", [variant.id])
        variant.delete()
    total = batches * BATCH
    base = total / seconds["no text"]
    print(f"ingestion, no text (no detection)  : {base:>9,.0f} events/s  — baseline, ≥ today's throughput")
    for mode in modes[1:]:
        rate = total / seconds[mode]
        print(f"ingestion, {mode:24}: {rate:>9,.0f} events/s  ratio {rate / base:.2f}  target ≥ {TARGET_THROUGHPUT_RATIO}")


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
