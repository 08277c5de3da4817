"""bench/pairs_to_jsonl.py: public paraphrase / duplicate-question pairs become detection_eval re-ask lines."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from experiments.telemetry.detection_eval import read_cases

_SPEC = importlib.util.spec_from_file_location("pairs_to_jsonl", Path(__file__).parents[2] / "bench" / "pairs_to_jsonl.py")
pairs_to_jsonl = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(pairs_to_jsonl)


def test_pawsx_label_1_is_a_reask_and_unlabelled_rows_are_skipped(tmp_path):
    path = tmp_path / "test_2k.tsv"
    path.write_text("id\tsentence1\tsentence2\tlabel\n"
                    "1\tFlüge von A nach B.\tFlüge von A nach B!\t1\n"
                    "2\tFlüge von A nach B.\tFlüge von B nach A.\t0\n"
                    "3\tOhne Paar.\t\t\n", encoding="utf-8")
    cases = pairs_to_jsonl.convert(path, "pawsx", "de")
    assert [(c["id"], c["reask"]) for c in cases] == [("pawsx-de-test_2k-1", True), ("pawsx-de-test_2k-2", False)]
    assert all(c["seconds_apart"] == 30 and c["same_session"] and not c["regenerate"] and c["language"] == "de"
               for c in cases)
    assert len(list(read_cases(json.dumps(c) for c in cases))) == 2  # detection_eval reads them


def test_korean_question_pair_label_0_means_the_same_question(tmp_path):
    path = tmp_path / "test.txt"
    path.write_text("question1\tquestion2\tis_duplicate\n매일 아침 피곤해\t매일 아침 너무 피곤해\t0\n밥 먹었어?\t내일 비 와?\t1\n",
                    encoding="utf-8")
    assert [c["reask"] for c in pairs_to_jsonl.convert(path, "kor-qp", "ko")] == [True, False]
