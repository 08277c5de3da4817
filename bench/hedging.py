"""Hedging detection quality on labelled answers written by others, and its speed.

Reads the JSONL of ``bench/hedging_to_jsonl.py`` (``{"text", "level", "hedged", "source", ...}``)
and scores ``evalhub.text.hedging.expresses_uncertainty``: precision, recall and F1 of "hedged"
(confident answers, ``hedged: false``, against the three uncertain levels, ``hedged: true``), on a
development part (70 % of ids by CRC-32, the part the phrase lists were tuned on) and on the
held-out rest, per source model, and the share flagged per level (``moderate`` included: its answers
are written to sound fairly sure). Then CPU microseconds per answer (process time).

Run: .venv/bin/python bench/hedging.py --data hedging.jsonl (or set EVALHUB_HEDGING_DATA); without data it
says so and exits, so ``make bench`` runs on a fresh checkout.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import zlib
from collections import defaultdict
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from evalhub.text.hedging import expresses_uncertainty  # noqa: E402


def is_dev_split(case: dict) -> bool:
    return zlib.crc32(str(case["id"]).encode()) % 10 < 7


def scores(cases: list[dict]) -> str:
    tp = fp = fn = tn = 0
    for case in cases:
        predicted, actual = expresses_uncertainty(case["text"]), case["hedged"]
        tp += predicted and actual
        fp += predicted and not actual
        fn += (not predicted) and actual
        tn += (not predicted) and not actual
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return (f"n={tp + fp + fn + tn} precision {precision:.3f} recall {recall:.3f} F1 {f1:.3f} "
            f"(tp {tp}, fp {fp}, fn {fn}, tn {tn})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=os.environ.get("EVALHUB_HEDGING_DATA"),
                        help="labelled JSONL (default: $EVALHUB_HEDGING_DATA)")
    parser.add_argument("--show-errors", type=int, default=0, help="print this many misses of the development part")
    args = parser.parse_args()
    if args.data is None or not Path(args.data).exists():
        print("hedging bench skipped: pass --data FILE (bench/hedging_to_jsonl.py output) or set EVALHUB_HEDGING_DATA")
        return
    args.data = Path(args.data)
    cases = [json.loads(line) for line in args.data.open(encoding="utf-8") if line.strip()]
    labelled = [c for c in cases if c["hedged"] is not None]
    dev = [c for c in labelled if is_dev_split(c)]
    held = [c for c in labelled if not is_dev_split(c)]
    print(f"{args.data.name}: confident (high) vs uncertain (low, lowest, completely uncertain)")
    print(f"  development split (tuned on): {scores(dev)}")
    print(f"  held-out split:               {scores(held)}")
    print(f"  whole file:                   {scores(labelled)}")
    by_source: dict[str, list[dict]] = defaultdict(list)
    for case in held:
        by_source[case["source"]].append(case)
    for source, part in sorted(by_source.items()):
        print(f"  held-out, {source}: {scores(part)}")
    by_level: dict[str, list[bool]] = defaultdict(list)
    for case in cases:
        by_level[case["level"]].append(expresses_uncertainty(case["text"]))
    print("  share flagged as hedged per level: " + ", ".join(
        f"{level} {sum(flags) / len(flags):.3f} (n={len(flags)})" for level, flags in sorted(by_level.items())))
    if args.show_errors:
        misses = [c for c in dev if expresses_uncertainty(c["text"]) != c["hedged"]]
        for case in misses[: args.show_errors]:
            print(f"    {case['level']:>20} | {case['text']}")
    texts = [c["text"] for c in cases]
    start = time.process_time()
    for text in texts:
        expresses_uncertainty(text)
    print(f"  {(time.process_time() - start) / len(texts) * 1e6:.1f} µs CPU per answer "
          f"(mean {sum(map(len, texts)) / len(texts):.0f} characters)")


if __name__ == "__main__":
    main()
