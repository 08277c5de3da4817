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


def test_mrpc_quality_1_is_a_paraphrase(tmp_path):
    path = tmp_path / "msr_paraphrase_test.txt"
    path.write_text("\ufeffQuality\t#1 ID\t#2 ID\t#1 String\t#2 String\n"
                    "1\t11\t12\tThe shares rose \"sharply\" today.\tShares rose sharply today.\n"
                    "0\t13\t14\tThe court met on Monday.\tThe weather was fine.\n", encoding="utf-8")
    cases = pairs_to_jsonl.convert(path, "mrpc", "en")
    assert [(c["id"], c["reask"]) for c in cases] == [("mrpc-msr_paraphrase_test-11-12", True),
                                                      ("mrpc-msr_paraphrase_test-13-14", False)]
    assert cases[0]["previous"] == 'The shares rose "sharply" today.'  # quotes kept, not parsed as CSV quoting


def test_bq_and_afqmc_label_1_is_the_same_question(tmp_path):
    bq = tmp_path / "dev.tsv"
    bq.write_text("为什么我无法看到额度\t为什么开通了却没有额度\t1\n借钱可好取现\t手机信号不好\t0\n没有标签\t一行\n",
                  encoding="utf-8")
    assert [c["reask"] for c in pairs_to_jsonl.convert(bq, "bq", "zh")] == [True, False]
    afqmc = tmp_path / "dev.json"
    afqmc.write_text('{"sentence1": "花呗怎么还款", "sentence2": "花呗如何还款", "label": "1", "idx": 7}\n'
                     '{"sentence1": "双十一花呗提额在哪", "sentence2": "里可以提花呗额度", "label": "0", "idx": 8}\n',
                     encoding="utf-8")
    cases = pairs_to_jsonl.convert(afqmc, "afqmc", "zh")
    assert [(c["id"], c["reask"]) for c in cases] == [("afqmc-dev-7", True), ("afqmc-dev-8", False)]


def test_the_fixed_split_puts_every_pair_in_exactly_one_part(tmp_path):
    path = tmp_path / "dev.tsv"
    path.write_text("".join(f"问题{i}\t问题{i}吗\t{i % 2}\n" for i in range(200)), encoding="utf-8")
    dev = {c["id"] for c in pairs_to_jsonl.convert(path, "bq", "zh", "dev")}
    held_out = {c["id"] for c in pairs_to_jsonl.convert(path, "bq", "zh", "held-out")}
    every = {c["id"] for c in pairs_to_jsonl.convert(path, "bq", "zh")}
    assert not dev & held_out
    assert dev | held_out == every
    assert 20 <= len(dev) <= 60  # about a fifth of 200 (binomial sd 5.7)
    assert dev == {c["id"] for c in pairs_to_jsonl.convert(path, "bq", "zh", "dev")}  # the same on every run


def test_lcqmc_csv_with_a_header_label_1_is_the_same_question(tmp_path):
    path = tmp_path / "LCQMC_test.csv"
    path.write_text("sentence1,sentence2,label\n英雄联盟什么英雄最好,英雄联盟最好英雄是什么,1\n谁有狂三这张高清的,\"这张高清图，谁有\",0\n",
                    encoding="utf-8")
    cases = pairs_to_jsonl.convert(path, "lcqmc", "zh")
    assert [(c["id"], c["reask"]) for c in cases] == [("lcqmc-LCQMC_test-1", True), ("lcqmc-LCQMC_test-2", False)]
    assert cases[1]["prompt"] == "这张高清图，谁有"
