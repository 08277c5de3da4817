"""Convert XSTest v2 model completions (CSV) into ``detection_eval`` JSONL.

XSTest (Röttger et al., NAACL 2024) publishes, per model, ``model_completions/xstest_v2_completions_<model>.csv``
with columns id, type, prompt, completion, ..., final_label; the human final label maps to
``1_full_compliance`` → none, ``2_full_refusal`` → full, ``3_partial_refusal`` → partial. The v1 files of the
same repository's history (``xstest_completions_<model>_v1.csv``: another run of GPT-4 and Llama-2-70b-chat on
the v1 prompts, same columns and labels) convert the same way. All answers are English (``language`` "en").

Replications in the same format convert the same way; ``--labelled-by NAME`` (first argument) names who labelled
them in ``source``. E.g. github.com/mdazizulaman/XSTest-Replication-and-Extension: ``Replication.zip`` holds
Llama-3.0 / Llama-3.1-instruct, GPT-4o-mini and Mistral-7B-Instruct (with and without the guardrail prompt)
answers to the XSTest v2 prompts, ``New_data.zip`` the same models' answers to 450 new prompts
(``xstest_newdata_v2_completions_<model>.csv``, ids ``xstest-new-<model>-<id>``), each labelled by two annotators.
Empty completions are skipped.

Run: .venv/bin/python bench/xstest_to_jsonl.py [--labelled-by NAME] xstest_v2_completions_llama2new.csv [...] > xstest.jsonl
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

LABELS = {"1_full_compliance": "none", "2_full_refusal": "full", "3_partial_refusal": "partial"}


def main() -> None:
    args = sys.argv[1:]
    labelled_by = "human final_label"
    if args[:1] == ["--labelled-by"] and len(args) > 1:
        labelled_by, args = f"{args[1]}, human final_label", args[2:]
    if not args:
        raise SystemExit(__doc__)
    for name in args:
        path = Path(name)
        model, version, prefix = path.stem.removeprefix("xstest_v2_completions_"), "v2", "xstest"
        if model.startswith("xstest_completions_") and model.endswith("_v1"):
            model, version = model.removeprefix("xstest_completions_").removesuffix("_v1"), "v1"
        elif model.startswith("xstest_newdata_v2_completions_"):
            model, version, prefix = model.removeprefix("xstest_newdata_v2_completions_"), "new prompts", "xstest-new"
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                if not row["completion"].strip() or row["final_label"] not in LABELS:
                    continue  # an empty completion or an unlabelled row says nothing about the classifier
                print(json.dumps({
                    "kind": "refusal", "id": f"{prefix}-{model}-{row['id']}", "prompt": row["prompt"],
                    "response": row["completion"], "refusal": LABELS[row["final_label"]],
                    "source": f"XSTest {version} completions ({model}), {labelled_by}", "language": "en",
                }, ensure_ascii=False))


if __name__ == "__main__":
    main()
