"""Convert the Linguistic Confidence data set's answers to EvalHub's labelled hedging file (JSONL).

Input: ``full_dataset.csv`` of the Linguistic-Uncertainty-Dataset repository (``build_benchmark/``):
10,000 answer sentences to SimpleQA questions written by four LLMs (GPT-4o, Grok-3, Claude Sonnet 4,
Gemini 2.5 Pro), each asked for the same answer at a given confidence level — ``high``,
``moderate``, ``low``, ``lowest`` or ``completely uncertain`` — with human confidence ratings
(0–100) for part of them. Columns used: ``orig_idx_in_40000_dataset``, ``uncertainty_expression``,
``llm_confidence_level``, ``source_llm`` and ``annotater_confidence_score1..5``.

Output, one object a line::

    {"kind": "hedging", "id": "...", "text": "...", "level": "high" | "moderate" | "low" | "lowest" |
     "completely uncertain", "hedged": true | false | null, "source": "...", "human_confidence": 0–100 | null}

``hedged`` is false for ``high``, true for ``low``, ``lowest`` and ``completely uncertain``, and null
for ``moderate`` (written to sound fairly but not fully sure: "I believe …", "Most sources indicate
…"), which ``bench/hedging.py`` reports apart. ``human_confidence`` is the mean of the ratings given.

Run: python bench/hedging_to_jsonl.py full_dataset.csv > hedging.jsonl
"""

from __future__ import annotations

import csv
import json
import sys

HEDGED = {"high": False, "moderate": None, "low": True, "lowest": True, "completely uncertain": True}


def convert(rows: csv.DictReader) -> list[dict]:
    cases = []
    for row in rows:
        level = row["llm_confidence_level"].strip()
        if level not in HEDGED:
            raise SystemExit(f"unknown confidence level {level!r} in row {row.get('orig_idx_in_40000_dataset')}")
        ratings = [float(row[f"annotater_confidence_score{k}"]) for k in range(1, 6)
                   if (row.get(f"annotater_confidence_score{k}") or "").strip()]
        cases.append({
            "kind": "hedging", "id": row["orig_idx_in_40000_dataset"], "text": row["uncertainty_expression"],
            "level": level, "hedged": HEDGED[level], "source": row["source_llm"],
            "human_confidence": round(sum(ratings) / len(ratings), 2) if ratings else None,
        })
    return cases


def main() -> None:
    if len(sys.argv) != 2:
        # Nothing to convert (as under ``make bench``): say how, and succeed.
        print(__doc__, file=sys.stderr)
        return
    with open(sys.argv[1], encoding="utf-8", newline="") as handle:
        for case in convert(csv.DictReader(handle)):
            print(json.dumps(case, ensure_ascii=False))


if __name__ == "__main__":
    main()
