"""Several graders per item, the grader fixes, and every library-backed grader on a hand-computed case."""

from __future__ import annotations

import math

import pytest

from experiments.suites import graders
from experiments.suites.graders import Facts, GraderConfigError, JudgeReply, grade

# ------------------------------------------------------------------------------------------ multi


def test_several_graders_weighted_mean_and_pass_rules():
    subs = [{"type": "contains", "targets": ["refund"]},                      # passes
            {"type": "word_count", "max": 5, "weight": 3},                     # fails (7 words)
            {"type": "starts_with", "targets": ["Hi"], "weight": 0}]           # reported, not counted
    output = "Hello, we will refund you today friend."
    all_rule = grade({"type": "multi", "graders": subs}, output, [])
    assert all_rule.score == pytest.approx(1 / 4)
    assert all_rule.passed is False
    assert [p["passed"] for p in all_rule.parts] == [True, False, False]
    assert "word_count" in all_rule.explanation
    anyone = grade({"type": "multi", "pass_rule": "any", "graders": subs}, output, [])
    assert anyone.score == 1.0
    assert anyone.passed
    weighted = grade({"type": "multi", "pass_rule": "weighted", "threshold": 0.2, "graders": subs}, output, [])
    assert weighted.score == pytest.approx(0.25)
    assert weighted.passed
    as_list = grade([{"type": "exact"}, {"type": "char_count", "max": 3}], "yes", ["yes"])
    assert as_list.passed
    assert len(as_list.parts) == 2


def test_multi_with_a_human_part_is_pending_and_configs_are_checked():
    pending = grade({"graders": [{"type": "exact"}, {"type": "human"}]}, "a", ["a"])
    assert pending.pending
    assert pending.parts[0]["score"] == 1.0
    for config, field in [({"type": "multi", "graders": []}, "grader.graders"),
                          ({"type": "multi", "pass_rule": "most", "graders": [{"type": "exact"}]}, "grader.pass_rule"),
                          ({"type": "multi", "pass_rule": "weighted", "graders": [{"type": "exact"}]}, "grader.threshold"),
                          ({"graders": [{"type": "exact", "weight": -1}]}, "grader.graders[0].weight"),
                          ({"graders": [{"type": "regex", "pattern": "("}]}, "grader.graders[0].pattern"),
                          ({"graders": [{"type": "exact", "weight": 0}]}, "grader.graders")]:
        with pytest.raises(GraderConfigError) as info:
            graders.validate_config(config, ["a"])
        assert info.value.field == field


def test_negation_of_any_grader():
    config = {"type": "contains", "negate": True, "targets": ["as an AI"]}
    assert grade(config, "Sure, here it is.", []).passed
    bad = grade(config, "As an AI, I cannot.", [])
    assert bad.passed is False
    assert bad.score == 0.0
    assert bad.explanation.startswith("not:")


# ------------------------------------------------------------------------------------------ fixes


@pytest.mark.parametrize(("output", "letter"), [
    ("Well, the answer is **a** bit subtle. ANSWER: C", "C"),
    ("(A) is tempting and (B) restates the question, but the answer is C.", "C"),
    ("A) 3\nB) 4\nC) 5\nAnswer: B", "B"),
    ("The answer is (d)", "D"),
    ("B", "B"),
])
def test_choice_reads_the_stated_answer(output, letter):
    assert graders.choice_letter(output, "ABCD") == letter


def test_choice_is_not_fooled_by_an_article_and_knows_the_item_letters():
    assert graders.choice_letter("I think the answer is a bit unclear.", "ABCD") is None
    facts = Facts(choices=("Venus", "Mercury", "Mars", "Earth", "Jupiter", "Saturn"))
    assert grade({"type": "choice"}, "ANSWER: F", ["F"], facts=facts).passed  # F is beyond the default ABCDE
    assert grade({"type": "choice"}, "Mercury", ["B"], facts=facts).passed  # the option's text
    with pytest.raises(GraderConfigError):
        graders.validate_config({"type": "choice"}, ["G"], choices=["a", "b"])


def test_json_match_target_takes_the_best_of_all_targets_and_arrays():
    config = {"type": "json", "match_target": True}
    targets = [{"city": "Paris"}, {"city": "Lyon"}]
    assert grade(config, '{"city": "Lyon"}', targets).passed
    assert grade(config, "[1, 2, 3]", [[1, 2, 3]]).passed
    assert not grade(config, "[3, 2, 1]", [[1, 2, 3]]).passed
    assert grade({**config, "unordered": True}, "[3, 2, 1]", ["[1, 2, 3]"]).passed


@pytest.mark.parametrize(("output", "target", "ok"), [
    ("The total is 1e3 grams.", "1000", True),
    ("so it is 2.5E-1", "0.25", True),
    ("Half: 1/2", "0.5", True),
    ("one half is 1/2", "1/2", True),
    ("It is 3/4", "0.5", False),
])
def test_numeric_reads_exponents_and_fractions(output, target, ok):
    graders.validate_config({"type": "numeric"}, [target])
    assert grade({"type": "numeric"}, output, [target]).passed is ok


def test_judge_usage_is_recorded_and_several_judges_average():
    replies = {"j1": JudgeReply("Score: 8/10 good", 120, 9, 0.0003, 410.0), "j2": "Score: 3/5 fine"}
    result = grade({"type": "judge", "judge_variants": ["j1", "j2"], "pass_threshold": 0.7}, "x", [],
                   judge=lambda slug, messages: replies[slug])
    assert result.score == pytest.approx((0.8 + 0.6) / 2)
    assert result.passed
    assert result.usage == {"calls": 2, "input_tokens": 120, "output_tokens": 9, "cost_usd": 0.0003,
                            "latency_ms": 410.0}


def test_judge_prompt_template_gets_input_output_target():
    seen = {}

    def judge(slug, messages):
        seen["text"] = messages[-1]["content"]
        return "Score: 2/4"

    config = {"type": "judge", "judge_variant": "j", "prompt": "Q: {input}\nA: {output}\nRef: {target}\n{{json}}"}
    graders.validate_config(config, [])
    result = grade(config, "forty-two", ["42"], input_messages=[{"role": "user", "content": "6*7?"}], judge=judge)
    assert seen["text"] == "Q: 6*7?\nA: forty-two\nRef: 42\n{json}"
    assert result.score == 0.5
    with pytest.raises(GraderConfigError) as info:
        graders.validate_config({**config, "prompt": "{question}"}, [])
    assert info.value.field == "grader.prompt"


def test_inspect_answer_and_pattern():
    assert grade({"type": "answer"}, "Reasoning...\nANSWER: B", ["B"]).passed
    assert grade({"type": "answer", "pattern": "word"}, "ANSWER: Paris.", ["paris"]).passed
    assert not grade({"type": "answer", "pattern": "line"}, "ANSWER: Paris, France", ["Paris"]).passed
    config = {"type": "pattern", "pattern": r"(\d+) apples and (\d+) pears"}
    assert grade(config, "I have 3 apples and 4 pears", ["4"]).passed
    assert not grade({**config, "match_all": True}, "I have 3 apples and 4 pears", ["4"]).passed


# ------------------------------------------------------------------------------- library-backed


def test_levenshtein_and_similarity_hand_computed():
    result = grade({"type": "levenshtein", "max_distance": 3}, "kitten", ["sitting"])
    assert result.passed
    assert "edit distance 3" in result.explanation  # k→s, e→i, +g
    assert not grade({"type": "levenshtein", "max_distance": 2}, "kitten", ["sitting"]).passed
    ratio = grade({"type": "similarity", "threshold": 0.75}, "abcd", ["abce"])
    assert ratio.score == pytest.approx(2 * 3 / 8)
    assert ratio.passed  # Indel similarity: 2·matches / total length


def test_rouge_l_hand_computed():
    # LCS of "the cat sat on the mat" and "the cat lay on the mat" is 5 tokens of 6: P = R = F = 5/6
    result = grade({"type": "rouge_l", "threshold": 0.8}, "The cat lay on the mat.", ["the cat sat on the mat"])
    assert result.score == pytest.approx(5 / 6)
    assert result.passed
    unigram = grade({"type": "rouge_n", "n": 2}, "the cat lay on the mat", ["the cat sat on the mat"])
    assert unigram.score == pytest.approx(3 / 5)  # bigrams: the cat, on the, the mat of 5


def test_bleu_hand_computed():
    # n-gram precisions 5/6, 3/5, 2/4, 1/3, same length (BP = 1): BLEU = (5/6 · 3/5 · 1/2 · 1/3) ** (1/4)
    expected = (5 / 6 * 3 / 5 * 1 / 2 * 1 / 3) ** 0.25
    result = grade({"type": "bleu"}, "the cat sat on the mat", ["the cat sat on a mat"])
    assert result.score == pytest.approx(expected, abs=1e-4)
    assert result.passed is (expected >= 0.5)
    assert grade({"type": "bleu"}, "a b c d e", ["a b c d e"]).score == pytest.approx(1.0)


def test_token_f1_and_fuzzy_match_squad_style():
    # normalised: "cat sat" vs "cat sat down": P = 1, R = 2/3, F1 = 0.8
    result = grade({"type": "token_f1", "threshold": 0.8}, "The cat sat.", ["a cat sat down"])
    assert result.score == pytest.approx(0.8)
    assert result.passed
    assert grade({"type": "fuzzy_match"}, "It was Barack Obama.", ["barack obama"]).passed
    assert not grade({"type": "fuzzy_match"}, "George Bush", ["Barack Obama"]).passed


@pytest.mark.parametrize(("output", "target", "ok"), [
    ("So the result is \\boxed{\\frac{1}{2}}", "0.5", True),
    ("ANSWER: (x+1)^2", "x^2 + 2x + 1", True),
    ("x = 2\\sqrt{2}", "sqrt(8)", True),
    ("The answer is 2/3", "0.6", False),
    ("The answer is __import__('os')", "1", False),
    ("ANSWER: 9**9**9**9", "1", False),
    ("ANSWER: 2^100000", "1", False),
])
def test_math_equivalence_with_sympy(output, target, ok):
    graders.validate_config({"type": "math"}, [target])
    assert grade({"type": "math"}, output, [target]).passed is ok


def test_validity_graders():
    assert grade({"type": "xml"}, "```xml\n<a><b>1</b></a>\n```", []).passed
    assert not grade({"type": "xml"}, "<a><b></a>", []).passed
    assert not grade({"type": "xml", "root": "order"}, "<a/>", []).passed
    assert grade({"type": "html"}, "<p>Hi <b>there</b><br></p>", []).passed
    assert not grade({"type": "html"}, "<p>Hi <b>there</p>", []).passed
    assert not grade({"type": "html"}, "just text", []).passed
    assert grade({"type": "sql"}, "SELECT name FROM users WHERE id = 1;", []).passed
    assert not grade({"type": "sql"}, "SELECT name FROM WHERE", []).passed


def test_counts_latency_cost_finish_reason():
    assert grade({"type": "word_count", "min": 2, "max": 3}, "one two three", []).passed
    assert not grade({"type": "char_count", "max": 3}, "four", []).passed
    facts = Facts(latency_ms=850.0, cost_usd=0.002, finish_reason="length")
    assert grade({"type": "latency", "max_ms": 1000}, "x", [], facts=facts).passed
    assert not grade({"type": "cost", "max_usd": 0.001}, "x", [], facts=facts).passed
    truncated = grade({"type": "finish_reason", "value": "stop"}, "x", [], facts=facts)
    assert not truncated.passed
    assert "'length'" in truncated.explanation
    with pytest.raises(GraderConfigError) as info:
        graders.validate_config({"type": "latency"}, [])
    assert info.value.field == "grader.max_ms"
    assert math.isclose(grade({"type": "latency", "max_ms": 1}, "x", []).score, 0.0)  # unknown latency fails


def test_votes_read_letters_beyond_e_when_the_item_has_more_choices():
    assert graders.extract_answer({"type": "choice", "choices": "ABCDEFG"}, "ANSWER: G") == "G"
    assert graders.extract_answer({"type": "choice"}, "ANSWER: G") is None
