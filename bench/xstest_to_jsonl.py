"""Convert XSTest v2 model completions (CSV) into ``detection_eval`` JSONL.

XSTest (Röttger et al., NAACL 2024) publishes, per model, ``model_completions/xstest_v2_completions_<model>.csv``
with columns id, type, prompt, completion, ..., final_label; the human final label maps to
``1_full_compliance`` → none, ``2_full_refusal`` → full, ``3_partial_refusal`` → partial. The v1 files of the
same repository's history (``xstest_completions_<model>_v1.csv``: another run of GPT-4 and Llama-2-70b-chat on
the v1 prompts, same columns and labels) convert the same way. All answers are English (``language`` "en").

Run: .venv/bin/python bench/xstest_to_jsonl.py xstest_v2_completions_llama2new.csv [...] > xstest.jsonl
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
    for name in sys.argv[1:]:
        path = Path(name)
        model = path.stem.removeprefix("xstest_v2_completions_")
        version = "v2"
        if model.startswith("xstest_completions_") and model.endswith("_v1"):
            model, version = model.removeprefix("xstest_completions_").removesuffix("_v1"), "v1"
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                print(json.dumps({
                    "kind": "refusal", "id": f"xstest-{model}-{row['id']}", "prompt": row["prompt"],
                    "response": row["completion"], "refusal": LABELS[row["final_label"]],
                    "source": f"XSTest {version} completions ({model}), human final_label", "language": "en",
                }, ensure_ascii=False))


if __name__ == "__main__":
    main()
