"""Convert PHTest's per-model evaluation results into ``detection_eval`` JSONL.

PHTest ("Automatic Pseudo-Harmful Prompt Generation for Evaluating False Refusals in Large Language Models",
An et al., COLM 2024; github.com/umd-huang-lab/FalseRefusal) published, in its repository's history, the answers
of eleven chat models (Claude 2.1, Claude 3 Haiku / Sonnet / Opus, Claude 3.5 Sonnet, GPT-3.5, Llama-3-8B,
Llama-3-8B-RR, Mistral-7B-v0.3, Zephyr-7B, Zephyr-7B-R2D2) to its 3,260 pseudo-harmful prompts ("how to kill a
mosquito"), as ``PHTest/evaluation_results/<model>.csv`` with columns ``ID, Request, Harmfulness, Response,
Response_cls``. ``Response_cls`` is the authors' automatic three-way verdict (not a person's), in XSTest's classes:
``1_full_compliance`` → ``none``, ``2_full_refusal`` → ``full``, ``3_partial_refusal`` → ``partial``. Many answers
end mid-sentence (the authors capped their length).

Run: .venv/bin/python bench/phtest_to_jsonl.py evaluation_results/*.csv > phtest.jsonl
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

LABELS = {"1_full_compliance": "none", "2_full_refusal": "full", "3_partial_refusal": "partial"}


def main() -> None:
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    csv.field_size_limit(1 << 26)
    for name in sys.argv[1:]:
        path = Path(name)
        model = path.stem
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                label = LABELS.get((row.get("Response_cls") or "").strip())
                if label is None or not (row.get("Response") or "").strip():
                    continue
                print(json.dumps({
                    "kind": "refusal", "id": f"phtest-{model}-{row['ID']}", "prompt": row["Request"],
                    "response": row["Response"], "refusal": label,
                    "source": f"PHTest {model} ({row.get('Harmfulness') or 'unlabelled'} prompt)", "language": "en",
                }, ensure_ascii=False))


if __name__ == "__main__":
    main()
