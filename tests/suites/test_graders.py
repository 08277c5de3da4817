"""Every grader on a good and a bad output; config validation names the field."""

from __future__ import annotations

import pytest

from experiments.suites import graders
from experiments.suites.graders import Grade, GraderConfigError, grade

SCHEMA = {"type": "object", "required": ["name", "age"],
          "properties": {"name": {"type": "string"}, "age": {"type": "integer"}}}

CASES = [
    ({"type": "exact"}, ["Paris"], "  paris ", "Lyon"),
    ({"type": "exact", "ignore_punctuation": True}, ["Paris"], "Paris!", "Pariss"),
    ({"type": "any_of"}, ["yes", "y"], "Y", "no"),
    ({"type": "regex", "pattern": r"\b\d{3}-\d{4}\b"}, [], "call 555-1234 now", "call 5551234"),
    ({"type": "contains"}, ["refund", "credit"], "We will issue a Refund.", "We cannot help."),
    ({"type": "contains_all"}, ["apologise", "refund"], "We apologise and will refund you.", "We apologise."),
    ({"type": "numeric"}, ["81"], "12 * 8 = 96, minus 15 gives 81.", "The answer is 80."),
    ({"type": "numeric", "abs_tol": 0.01}, ["3.14"], "about 3.141", "about 3.2"),
    ({"type": "numeric"}, ["1200"], "It costs $1,200.", "It costs 1,300"),
    ({"type": "json", "schema": SCHEMA}, [], '{"name": "Ana", "age": 3}', '{"name": "Ana", "age": "3"}'),
    ({"type": "json"}, [], '```json\n{"a": 1}\n```', '{"a": 1'),
    ({"type": "json", "match_target": True}, [{"a": 1, "b": 2}], '{"b": 2, "a": 1}', '{"a": 1, "b": 3}'),
    ({"type": "choice"}, ["B"], "Answer: B", "Answer: (C)"),
    ({"type": "choice"}, ["c"], "C) because it is larger", "I am not sure"),
    ({"type": "python", "path": "experiments.suites.graders.max_words", "limit": 5}, [], "short answer here",
     "this answer is far too long for the limit"),
]


@pytest.mark.parametrize(("config", "targets", "good", "bad"), CASES)
def test_grader_good_and_bad(config, targets, good, bad):
    graders.validate_config(config, targets)
    ok, ko = grade(config, good, targets), grade(config, bad, targets)
    assert (ok.score, ok.passed) == (1.0, True), ok
    assert ko.passed is False, ko
    assert 0.0 <= ko.score < 1.0, ko
    assert ok.explanation
    assert ko.explanation


def test_contains_all_gives_partial_credit():
    result = grade({"type": "contains_all"}, "We apologise.", ["apologise", "refund"])
    assert result.score == 0.5
    assert not result.passed
    assert "refund" in result.explanation


def test_json_match_target_partial_score_names_fields():
    result = grade({"type": "json", "match_target": True}, '{"a": 1, "b": 3}', [{"a": 1, "b": 2}])
    assert result.score == 0.5
    assert "b" in result.explanation


def test_judge_grader_uses_the_judge_reply():
    seen = {}

    def judge(slug, messages):
        seen["slug"], seen["messages"] = slug, messages
        return "Score: 8/10 — clear and correct."

    result = grade({"type": "judge", "judge_variant": "acme-70b", "rubric": "be polite"}, "Hello!", ["Hi"],
                   input_messages=[{"role": "user", "content": "Greet me"}], judge=judge)
    assert result.score == pytest.approx(0.8)
    assert result.passed
    assert "clear and correct" in result.explanation
    assert seen["slug"] == "acme-70b"
    assert "be polite" in seen["messages"][0]["content"]
    low = grade({"type": "judge", "judge_variant": "j"}, "x", [], judge=lambda s, m: "Score: 2/10 - wrong")
    assert low.score == pytest.approx(0.2)
    assert not low.passed
    garbled = grade({"type": "judge", "judge_variant": "j"}, "x", [], judge=lambda s, m: "I like it")
    assert garbled.score == 0.0
    assert "Score" in garbled.explanation


def test_human_grader_is_pending():
    result = grade({"type": "human", "rubric": "tone"}, "anything", [])
    assert result.pending
    assert result.passed is None


@pytest.mark.parametrize(("config", "targets", "field"), [
    ({"type": "nope"}, ["1"], "grader.type"),
    ({"type": "numeric"}, [], "target"),
    ({"type": "numeric"}, ["eighty"], "target"),
    ({"type": "regex", "pattern": "(unclosed"}, [], "grader.pattern"),
    ({"type": "json", "schema": {"type": "nonsense"}}, [], "grader.schema"),
    ({"type": "python", "path": "os.system"}, [], "grader.path"),
    ({"type": "python", "path": "experiments.suites.graders.grade"}, [], "grader.path"),
    ({"type": "python", "entry_point": "missing"}, [], "grader.entry_point"),
    ({"type": "judge"}, [], "grader.judge_variant"),
    ("exact", [], "grader"),
])
def test_bad_configs_name_the_field(config, targets, field):
    with pytest.raises(GraderConfigError) as info:
        graders.validate_config(config, targets)
    assert info.value.field == field


def test_python_grader_may_return_plain_values(monkeypatch, settings):
    settings.SUITES_PYTHON_GRADER_ALLOWLIST = ("tests.suites.test_graders.",)
    assert grade({"type": "python", "path": "tests.suites.test_graders.half"}, "x", []).score == 0.5
    out = grade({"type": "python", "path": "tests.suites.test_graders.out_of_range"}, "x", [])
    assert out.score == 0.0
    assert "outside" in out.explanation


@graders.python_grader
def half(output, targets, config):
    return 0.5, "half"


@graders.python_grader
def out_of_range(output, targets, config):
    return 3.0


def test_extract_answer_for_votes():
    assert graders.extract_answer({"type": "numeric"}, "so 7, then 42.") == "42"
    assert graders.extract_answer({"type": "choice"}, "Answer: b") == "B"
    assert graders.extract_answer({"type": "json"}, '{"b":1, "a":2}') == '{"a": 2, "b": 1}'
    assert graders.extract_answer({"type": "numeric"}, "no number") is None
    assert isinstance(grade({"type": "exact"}, "a", ["a"]), Grade)
