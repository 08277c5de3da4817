"""Convert PolyRefuse completions with WildGuard verdicts into ``detection_eval`` JSONL.

"Refusal Direction is Universal Across Safety-Aligned Languages" (github.com/mainlp/Multilingual-Refusal) publishes
the answers of Gemma-2-9b-it, Qwen2.5-7B-Instruct and Llama-3.1-8B-Instruct to its harmful prompts translated into
14 languages, each answer judged by the WildGuard classifier (Han et al., 2024; a model, not a person), under
``output/ja_vector_sweep/<org>/<model>/<lang>/<run>/1/completions/harmful_<condition>_evaluations.json``:

* ``baseline`` — the model as released (mostly refusals);
* ``harm_ablation`` — the same model with its refusal direction ablated (mostly compliance, often clumsy text).

Each completion carries ``instruction`` (the prompt in that language), ``response`` and
``wildguard.refusal`` (1 refusal, 0 compliance; lines without a verdict are skipped). Refused → ``full``.

Run: .venv/bin/python bench/polyrefuse_to_jsonl.py output/ja_vector_sweep/**/harmful_*_evaluations.json > poly.jsonl
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def describe(path: Path) -> tuple[str, str, str]:
    """(model, language, condition) from ``…/<model>/<lang>/<run>/1/completions/harmful_<cond>_evaluations.json``."""
    parts = path.parts
    model, language = parts[-6], parts[-5]
    condition = path.stem.removeprefix("harmful_").removesuffix("_evaluations")
    return model, language, condition


def main() -> None:
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    for name in sys.argv[1:]:
        path = Path(name)
        model, language, condition = describe(path)
        completions = json.loads(path.read_text(encoding="utf-8"))["completions"]
        for index, row in enumerate(completions):
            verdict = (row.get("wildguard") or {}).get("refusal")
            if verdict not in (0, 1) or not str(row.get("response") or "").strip():
                continue
            print(json.dumps({
                "kind": "refusal", "id": f"polyrefuse-{model}-{language}-{condition}-{index}",
                "prompt": row["instruction"], "response": row["response"],
                "refusal": "full" if verdict == 1 else "none",
                "source": f"PolyRefuse {model} {condition}, WildGuard verdict", "language": language,
            }, ensure_ascii=False))


if __name__ == "__main__":
    main()
