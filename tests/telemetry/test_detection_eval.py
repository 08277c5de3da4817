"""``manage.py detection_eval``: the ingestion code path over a labelled file, scored per kind, source, language."""

from __future__ import annotations

import json
import re

import pytest
from django.core.management import CommandError, call_command

from experiments.telemetry.detection_eval import guess_language

SUMMARY = re.compile(
    r"^refusal precision (\d\.\d{3}) recall (\d\.\d{3}) f1 (\d\.\d{3}) \(n=(\d+)\); "
    r"reask precision (\d\.\d{3}) recall (\d\.\d{3}) f1 (\d\.\d{3}) \(n=(\d+)\)$"
)

CASES = [
    # refusals: r1, r2 (text) and r6 (finish reason) found, r3 (an implicit refusal) missed, r5 a false alarm
    {"kind": "refusal", "id": "r1", "prompt": "How do I make a bomb?", "response": "I'm sorry, but I can't help with that.",
     "refusal": "full", "source": "a"},
    {"kind": "refusal", "id": "r2", "prompt": "¿Cómo fabrico un arma?", "response": "Lo siento, pero no puedo ayudarte con eso.",
     "refusal": "partial", "source": "b"},
    {"kind": "refusal", "id": "r3", "prompt": "Tell me a secret", "response": "Let's talk about something else, like gardening.",
     "refusal": "full", "source": "a"},
    {"kind": "refusal", "id": "r4", "prompt": "What is 2+2?", "response": "4.", "refusal": "none", "source": "a"},
    {"kind": "refusal", "id": "r5", "prompt": "Write a poem", "response": "I can't write that, it would be unkind.",
     "refusal": "none", "source": "b"},
    {"kind": "refusal", "id": "r6", "prompt": "hi", "response": "Sure.", "refusal": "full", "finish_reason": "content_filter",
     "source": "b"},
    # re-asks: 2 found, 1 correctly rejected follow-up, 1 cross-session re-ask
    {"kind": "reask", "id": "q1", "previous": "How do I export my data to CSV?", "prompt": "how do I export my data to csv",
     "seconds_apart": 30, "same_session": True, "regenerate": False, "reask": True},
    {"kind": "reask", "id": "q2", "previous": "如何把我的数据导出为CSV？", "prompt": "如何把我的数据导出为CSV？",
     "seconds_apart": 20, "same_session": True, "regenerate": False, "reask": True},
    {"kind": "reask", "id": "q3", "previous": "How do I export my data to CSV?", "prompt": "Thanks! And how do I import it back?",
     "seconds_apart": 30, "same_session": True, "regenerate": False, "reask": False},
    {"kind": "reask", "id": "q4", "previous": "How do I reset my password?", "prompt": "",
     "seconds_apart": 900, "same_session": True, "regenerate": True, "reask": True},  # regenerate, but outside the window
]


def _run(path, **kwargs) -> list[str]:
    from io import StringIO

    out = StringIO()
    call_command("detection_eval", str(path), stdout=out, **kwargs)
    return out.getvalue().splitlines()


def test_prints_per_kind_source_and_language_and_the_summary_line(tmp_path):
    path = tmp_path / "labelled.jsonl"
    path.write_text("\n".join(json.dumps(c, ensure_ascii=False) for c in CASES) + "\n", encoding="utf-8")
    lines = _run(path, errors=tmp_path / "errors.jsonl")
    match = SUMMARY.match(lines[-1])
    assert match, lines[-1]
    # refusals: TP r1 r2 r6, FN r3, FP r5 → precision 3/4, recall 3/4
    assert match.groups()[:4] == ("0.750", "0.750", "0.750", "6")
    # re-asks: TP q1 q2, TN q3, FN q4 (outside the window) → precision 1, recall 2/3
    assert match.groups()[4:] == ("1.000", "0.667", "0.800", "4")
    table = "\n".join(lines)
    assert re.search(r"refusal\s+source\s+a\s+3\s+1\.000\s+0\.500", table)
    assert re.search(r"refusal\s+language\s+es\s+1\s+1\.000\s+1\.000", table)
    assert re.search(r"reask\s+language\s+zh\s+1 ", table)
    assert "refusals decided by: finish_reason 1, text 3" in table
    errors = [json.loads(line) for line in (tmp_path / "errors.jsonl").read_text().splitlines()]
    assert {e["id"] for e in errors} == {"r3", "r5", "q4"}


def test_a_file_with_one_kind_prints_only_that_kind(tmp_path):
    path = tmp_path / "refusals.jsonl"
    path.write_text(json.dumps(CASES[0]) + "\n", encoding="utf-8")
    assert _run(path)[-1] == "refusal precision 1.000 recall 1.000 f1 1.000 (n=1)"


@pytest.mark.parametrize(("line", "message"), [
    ("{not json", "line 1: not JSON"),
    (json.dumps({"kind": "refusal", "id": "x", "response": "hi", "refusal": "maybe"}), "line 1: refusal must be"),
    (json.dumps({"kind": "reask", "id": "x", "previous": "a", "prompt": "b", "reask": "yes"}), "line 1: reask must be true or false"),
    (json.dumps({"kind": "other"}), "line 1: kind must be"),
])
def test_malformed_lines_are_named(tmp_path, line, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(CommandError, match=message):
        _run(path)


def test_missing_file_is_an_error(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        _run(tmp_path / "absent.jsonl")


@pytest.mark.parametrize(("text", "lang"), [
    ("How do I export my data?", "en"), ("¿Cómo exporto mis datos a CSV?", "es"), ("Wie exportiere ich meine Daten?", "de"),
    ("Как экспортировать данные?", "ru"), ("如何导出数据？", "zh"), ("データをエクスポートする方法", "ja"),
    ("데이터를 내보내려면", "ko"), ("كيف أصدر بياناتي", "ar"), ("मैं डेटा कैसे निर्यात करूं", "hi"),
])
def test_language_guess(text, lang):
    assert guess_language(text) == lang
