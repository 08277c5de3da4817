"""Convert public labelled paraphrase / duplicate-question pairs into ``detection_eval`` re-ask JSONL.

There is no public labelled set of re-asks, but "is the second text the same request as the first?" is the
decision a paraphrase or duplicate-question set labels. Each pair becomes a re-ask case of one user, 30 s
apart, in the same session, not a regenerate:
``{"kind": "reask", "id", "previous": text1, "prompt": text2, "seconds_apart": 30, "same_session": true,
"regenerate": false, "reask": <same meaning>, "language", "source"}``.

Formats (``--format``):

* ``pawsx`` — PAWS-X (Yang et al., EMNLP 2019; human-translated PAWS-Wiki pairs): TSV ``id, sentence1,
  sentence2, label`` with label 1 = paraphrase. Its non-paraphrases are adversarial: the same words in
  another order ("flights from A to B" / "from B to A"), a harder task than most re-asks.
* ``kor-qp`` — Korean Question Pair v.2 (Song 2020, github.com/songys/Question_pair, hand-labelled
  chat questions): TSV or CSV ``question1, question2, is_duplicate`` with **0 = the same question**.

Run: .venv/bin/python bench/pairs_to_jsonl.py --format pawsx --language de test_2k.tsv > pawsx-de.jsonl
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

SECONDS_APART = 30


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        text = handle.read()
    delimiter = "\t" if "\t" in text.splitlines()[0] else ","
    return list(csv.DictReader(text.splitlines(), delimiter=delimiter, quoting=csv.QUOTE_NONE if delimiter == "\t"
                               else csv.QUOTE_MINIMAL))


def convert(path: Path, fmt: str, language: str) -> list[dict[str, object]]:
    cases = []
    for number, row in enumerate(_rows(path), start=1):
        if fmt == "pawsx":
            first, second, label = row.get("sentence1"), row.get("sentence2"), row.get("label")
            if label not in {"0", "1"} or not first or not second:
                continue  # PAWS-X marks a few pairs with missing text or label
            same = label == "1"
            source = f"PAWS-X {language} ({path.name}), human labels"
            case_id = f"pawsx-{language}-{path.stem}-{row.get('id') or number}"
        else:
            first, second, label = row.get("question1"), row.get("question2"), (row.get("is_duplicate") or "").strip()
            if label not in {"0", "1"} or not first or not second:
                continue
            same = label == "0"
            source = f"Korean Question Pair ({path.name}), human labels"
            case_id = f"korqp-{path.stem}-{row.get('test_id') or number}"
        cases.append({"kind": "reask", "id": case_id, "previous": first, "prompt": second,
                      "seconds_apart": SECONDS_APART, "same_session": True, "regenerate": False, "reask": same,
                      "language": language, "source": source})
    return cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--format", choices=("pawsx", "kor-qp"), required=True)
    parser.add_argument("--language", default="", help="ISO code written on every line (default: ko for kor-qp)")
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args()
    language = args.language or ("ko" if args.format == "kor-qp" else "")
    if not language:
        raise SystemExit("--language is required for pawsx")
    for path in args.files:
        for case in convert(path, args.format, language):
            sys.stdout.write(json.dumps(case, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
