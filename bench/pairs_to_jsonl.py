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
* ``mrpc`` — Microsoft Research Paraphrase Corpus (Dolan & Brockett 2005; English news sentence pairs,
  two human judges, a third on disagreement): TSV ``Quality, #1 ID, #2 ID, #1 String, #2 String`` with
  Quality 1 = paraphrase.
* ``bq`` — BQ Corpus (Chen et al., EMNLP 2018; Chinese customer-service questions of a bank, labelled by
  people) and LCQMC's original files, which share the layout: TSV without a header ``text1, text2, label``
  with label 1 = the same intent.
* ``lcqmc`` — LCQMC (Liu et al., COLING 2018; Chinese questions from Baidu Knows, labelled by people) as
  CSV or TSV with a header ``sentence1, sentence2, label``, label 1 = the same intent.
* ``afqmc`` — AFQMC (Ant Financial question matching, CLUE benchmark; Chinese customer-service questions):
  JSON lines ``{"sentence1", "sentence2", "label"}`` with label "1" = the same question.

``--part dev`` / ``--part held-out`` splits a file that has no published split (BQ and AFQMC publish only
one labelled evaluation file): a pair goes to ``dev`` when the CRC-32 of its two texts is divisible by 5
(about a fifth), to ``held-out`` otherwise — fixed, so anyone re-running gets the same halves.

Run: .venv/bin/python bench/pairs_to_jsonl.py --format pawsx --language de test_2k.tsv > pawsx-de.jsonl
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import zlib
from pathlib import Path

SECONDS_APART = 30


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        text = handle.read()
    delimiter = "\t" if "\t" in text.splitlines()[0] else ","
    return list(csv.DictReader(text.splitlines(), delimiter=delimiter, quoting=csv.QUOTE_NONE if delimiter == "\t"
                               else csv.QUOTE_MINIMAL))


def _plain_rows(path: Path, fmt: str) -> list[dict[str, str]]:
    """Rows of the header-less ``bq`` TSV and the ``afqmc`` JSON lines, as the named fields below."""
    rows = []
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        if not line.strip():
            continue
        if fmt == "afqmc":
            record = json.loads(line)
            rows.append({"text1": record.get("sentence1") or "", "text2": record.get("sentence2") or "",
                         "label": str(record.get("label", "")), "id": str(record.get("idx", ""))})
        else:
            fields = line.split("\t")
            if len(fields) == 3:
                rows.append({"text1": fields[0], "text2": fields[1], "label": fields[2].strip(), "id": ""})
    return rows


def in_part(first: str, second: str, part: str) -> bool:
    """The fixed dev / held-out split for files without a published one (see the module docstring)."""
    if part == "all":
        return True
    dev = zlib.crc32(f"{first}\t{second}".encode()) % 5 == 0
    return dev if part == "dev" else not dev


def convert(path: Path, fmt: str, language: str, part: str = "all") -> list[dict[str, object]]:
    cases = []
    rows = _plain_rows(path, fmt) if fmt in {"bq", "afqmc"} else _rows(path)
    for number, row in enumerate(rows, start=1):
        if fmt in {"bq", "afqmc"}:
            first, second, label = row["text1"], row["text2"], row["label"]
            if label not in {"0", "1"} or not first or not second:
                continue
            same = label == "1"
            name = "BQ Corpus" if fmt == "bq" else "AFQMC"
            source = f"{name} ({path.name}{'' if part == 'all' else ', ' + part}), human labels"
            case_id = f"{fmt}-{path.stem}-{row['id'] or number}"
        elif fmt == "lcqmc":
            first, second, label = row.get("sentence1"), row.get("sentence2"), (row.get("label") or "").strip()
            if label not in {"0", "1"} or not first or not second:
                continue
            same = label == "1"
            source = f"LCQMC ({path.name}), human labels"
            case_id = f"lcqmc-{path.stem}-{number}"
        elif fmt == "mrpc":
            first, second, label = row.get("#1 String"), row.get("#2 String"), (row.get("Quality") or "").strip()
            if label not in {"0", "1"} or not first or not second:
                continue
            same = label == "1"
            source = f"MRPC ({path.name}), human labels"
            case_id = f"mrpc-{path.stem}-{row.get('#1 ID')}-{row.get('#2 ID')}"
        elif fmt == "pawsx":
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
    return [case for case in cases if in_part(str(case["previous"]), str(case["prompt"]), part)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--format", choices=("pawsx", "kor-qp", "mrpc", "bq", "lcqmc", "afqmc"), required=True)
    parser.add_argument("--language", default="", help="ISO code written on every line (default: ko for kor-qp, "
                        "en for mrpc, zh for bq, lcqmc and afqmc)")
    parser.add_argument("--part", choices=("all", "dev", "held-out"), default="all",
                        help="the fixed split of a file without a published one (default: every pair)")
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args()
    language = args.language or {"kor-qp": "ko", "mrpc": "en", "bq": "zh", "lcqmc": "zh", "afqmc": "zh"}.get(args.format, "")
    if not language:
        raise SystemExit("--language is required for pawsx")
    for path in args.files:
        for case in convert(path, args.format, language, args.part):
            sys.stdout.write(json.dumps(case, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
