"""The simulator skills added for suites: JSON extraction and the judge (best-of-n and scoring)."""

from __future__ import annotations

import contextlib
import json
import random

from evalhub.core.simulator import json_extraction_truth, simulate_answer, skill_json_extraction, skill_judge
from experiments.suites import graders, strategies

PROMPT = "Extract the contact as JSON with keys name, age, city. Text: Maria Silva is 34 years old and lives in Lisbon."
TRUTH = {"name": "Maria Silva", "age": 34, "city": "Lisbon"}


def test_json_extraction_truth_and_answers():
    assert json_extraction_truth(PROMPT) == TRUTH
    assert json_extraction_truth("What is the capital of France?") is None
    for seed in range(10):
        right = skill_json_extraction(PROMPT, [], random.Random(seed), True)
        assert graders.parse_json_output(right) == TRUTH
        wrong = skill_json_extraction(PROMPT, [], random.Random(seed), False)
        with contextlib.suppress(ValueError):  # invalid JSON is one of the wrong kinds
            assert graders.parse_json_output(wrong) != TRUTH


def test_json_skill_is_reached_through_simulate_answer():
    answer = simulate_answer("acme-70b", [{"role": "user", "content": PROMPT}], rng=random.Random(3))
    assert answer.text.lstrip().startswith(("{", "```"))


def _best_of(question: str, candidates: list[str]) -> list[dict]:
    samples = [strategies.Sample(c, 1, 1, 0, 1.0) for c in candidates]
    return strategies.best_of_messages([{"role": "user", "content": question}], samples)


def test_judge_picks_the_right_candidate_when_accurate():
    messages = _best_of("Compute 12 * 8 - 15.", ["The answer is 80.", "The answer is 81.", "The answer is 7."])
    assert skill_judge(messages[-1]["content"], messages, random.Random(1), True) == "Best: 2"
    picks = {skill_judge(messages[-1]["content"], messages, random.Random(s), False) for s in range(30)}
    assert picks <= {"Best: 1", "Best: 2", "Best: 3"}
    assert len(picks) > 1
    json_msgs = _best_of(PROMPT, ['{"name": "Maria"}', json.dumps(TRUTH)])
    assert skill_judge("", json_msgs, random.Random(1), True) == "Best: 2"


def test_judge_scores_answers():
    good = graders.judge_messages([{"role": "user", "content": "Compute 6 * 7."}], "It is 42.", ["42"], "")
    bad = graders.judge_messages([{"role": "user", "content": "Compute 6 * 7."}], "It is 41.", ["42"], "")
    good_score = graders.parse_judge_score(skill_judge(good[-1]["content"], good, random.Random(1), True))
    bad_score = graders.parse_judge_score(skill_judge(bad[-1]["content"], bad, random.Random(1), True))
    assert good_score[0] >= 0.8
    assert bad_score[0] <= 0.3
    inverted = graders.parse_judge_score(skill_judge("", good, random.Random(1), False))
    assert inverted[0] <= 0.3
    chat = graders.judge_messages([{"role": "user", "content": "Greet the customer"}], "Hello there, friend", ["hello"], "")
    assert graders.parse_judge_score(skill_judge("", chat, random.Random(2), True))[0] >= 0.8


def test_judge_skill_ignores_ordinary_prompts():
    messages = [{"role": "user", "content": "Tell me a story"}]
    assert skill_judge("Tell me a story", messages, random.Random(1), True) is None
