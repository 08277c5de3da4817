"""Tool-calling and grounded suites end to end: import, run against the simulator over HTTP, grade, export."""

from __future__ import annotations

import json

import pytest

from experiments.suites import exports, graders, prompts, services
from experiments.suites.graders import Facts, grade
from experiments.suites.models import Run, RunResult, RunStatus
from tests.factories import VariantFactory

pytestmark = pytest.mark.django_db

CALCULATOR = {"type": "function", "function": {"name": "add_numbers", "description": "Add two numbers",
                                               "parameters": {"type": "object", "properties": {
                                                   "a": {"type": "number"}, "b": {"type": "number"}},
                                                   "required": ["a", "b"]}}}
WEATHER = {"type": "function", "function": {"name": "get_weather", "description": "Current weather in a city",
                                            "parameters": {"type": "object",
                                                           "properties": {"city": {"type": "string"}}}}}


def tool_suite(n: int = 30) -> str:
    lines = []
    for i in range(n):
        a, b = 3 + i, 40 - i
        lines.append({"id": f"add-{i}", "input": f"Please add {a} and {b}.", "tools": [CALCULATOR, WEATHER],
                      "grader": {"type": "tool_call", "calls": [{"name": "add_numbers", "arguments": {"a": a, "b": b}}]}})
    lines.append({"id": "weather", "input": "What is the weather in 'Lisbon' right now?", "tools": [WEATHER, CALCULATOR],
                  "grader": {"type": "tool_call", "calls": [{"name": "get_weather", "arguments": {"city": "Lisbon"}}],
                             "arguments": "f1"}})
    return "\n".join(json.dumps(x) for x in lines) + "\n"


def run_inline(version, variant) -> Run:
    run = services.run_start(version=version, variant=variant, concurrency=4)
    Run.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
    services.run_chunk(run_id=run.pk)
    run.refresh_from_db()
    return run


def test_tool_calling_suite_runs_against_the_simulator(simulator):
    version = services.suite_import(slug="tools", text=tool_suite())
    assert version.items.get(external_id="weather").tools[0]["function"]["name"] == "get_weather"
    run = run_inline(version, VariantFactory(slug="acme-70b-tools", endpoint_model="acme-70b", uses_tools=True))
    assert run.status == RunStatus.DONE
    assert run.n_done == 31
    assert run.n_errors == 0
    results = list(RunResult.objects.filter(run=run).select_related("item"))
    assert all(r.tool_calls and r.finish_reason == "tool_calls" for r in results)
    right = [r for r in results if r.passed]
    # acme-70b's ground-truth accuracy is 0.70: a right answer calls add_numbers with both numbers
    assert 0.45 < len(right) / len(results) < 0.95
    for r in right:
        if r.item.external_id.startswith("add-"):
            want = r.item.grader["calls"][0]["arguments"]
            assert r.tool_calls[0]["name"] == "add_numbers"
            assert r.tool_calls[0]["arguments"] == want
    wrong = [r for r in results if not r.passed]
    assert wrong
    assert all(r.score < 1.0 and "expected" in r.explanation for r in wrong)
    row = json.loads(next(iter(exports.results_jsonl(run))))
    assert row["tool_calls"][0]["name"] in {"add_numbers", "get_weather"}
    assert row["finish_reason"] == "tool_calls"


def test_tool_call_grader_arguments_order_and_extra_calls():
    calls = [{"name": "search", "arguments": {"q": "eval", "k": 3}}, {"name": "open", "arguments": {"id": 2}}]
    facts = Facts(tool_calls=({"name": "search", "arguments": '{"q": "eval", "k": 5}'},
                              {"name": "open", "arguments": {"id": 2}}))
    exact = grade({"type": "tool_call", "calls": calls}, "", [], facts=facts)
    assert exact.score == pytest.approx(0.5)
    assert not exact.passed
    f1 = grade({"type": "tool_call", "calls": calls, "arguments": "f1"}, "", [], facts=facts)
    assert f1.score == pytest.approx((0.5 + 1.0) / 2)  # search: 1 of 2 pairs shared on each side → F1 0.5
    swapped = Facts(tool_calls=tuple(reversed(facts.tool_calls)))
    assert grade({"type": "tool_call", "calls": calls, "arguments": "ignore"}, "", [], facts=swapped).score == 0.0
    assert grade({"type": "tool_call", "calls": calls, "arguments": "ignore", "order": False}, "", [],
                 facts=swapped).passed
    extra = Facts(tool_calls=facts.tool_calls + ({"name": "delete", "arguments": {}},))
    assert grade({"type": "tool_call", "calls": calls, "arguments": "ignore"}, "", [], facts=extra).score == \
        pytest.approx(2 / 3)
    with pytest.raises(graders.GraderConfigError) as info:
        graders.validate_config({"type": "tool_call", "calls": [{"arguments": {}}]}, [])
    assert info.value.field == "grader.calls[0]"


PASSAGES = [{"id": "p1", "text": "The Eiffel Tower is 330 metres tall."},
            {"id": "p2", "text": "The Louvre is the most visited museum in the world."}]


def grounded_suite() -> str:
    items = [{"id": f"q{i}", "input": "How tall is the Eiffel Tower?" if i % 2 else "Which museum is the most visited?",
              "context": PASSAGES, "grader": {"type": "citations"}} for i in range(20)]
    return "\n".join(json.dumps(x) for x in items) + "\n"


def test_retrieval_is_a_variant_setting_that_shows_in_score_and_cost(simulator):
    version = services.suite_import(slug="grounded", text=grounded_suite())
    item = version.items.first()
    assert "[p1] The Eiffel Tower" in prompts.item_messages(item, retrieval=True)[0]["content"]
    assert prompts.item_messages(item, retrieval=False) == item.input
    price = {"price_input_per_mtok": 1000, "price_output_per_mtok": 0}
    with_rag = run_inline(version, VariantFactory(slug="rag", endpoint_model="acme-70b", uses_retrieval=True, **price))
    without = run_inline(version, VariantFactory(slug="no-rag", endpoint_model="acme-70b", **price))
    assert with_rag.cost_total > without.cost_total  # the passages are paid for as input tokens
    assert without.score_sum == 0.0  # nothing to cite without the passages
    assert 0.4 < with_rag.score_sum / with_rag.n_done < 1.0
    cited = RunResult.objects.filter(run=with_rag, passed=True).first()
    assert cited.extracted in {"p1", "p2"}
    assert cited.output.startswith("The ")


def test_citations_faithfulness_relevance_graders():
    facts = Facts(context=tuple(PASSAGES))
    assert grade({"type": "citations"}, "It is 330 m [p1].", [], facts=facts).passed
    half = grade({"type": "citations"}, "It is 330 m [p1][p9].", [], facts=facts)
    assert half.score == 0.5
    assert not half.passed
    assert "p9" in half.explanation
    assert grade({"type": "citations"}, "It is 330 m.", [], facts=facts).score == 0.0
    seen = []

    def judge(slug, messages):
        seen.append(messages[-1]["content"])
        return "Score: 9/10 supported"

    faithful = grade({"type": "faithfulness", "judge_variant": "j"}, "It is 330 m.", [], facts=facts, judge=judge,
                     input_messages=[{"role": "user", "content": "How tall?"}])
    assert faithful.passed
    assert faithful.score == 0.9
    assert "[p1] The Eiffel Tower" in seen[0]
    relevant = grade({"type": "relevance", "judge_variant": "j"}, "It is 330 m.", [], facts=facts, judge=judge,
                     input_messages=[{"role": "user", "content": "How tall?"}])
    assert relevant.passed
    assert "Question: How tall?" in seen[1]
    no_context = grade({"type": "faithfulness", "judge_variant": "j"}, "x", [], judge=judge)
    assert not no_context.passed
    assert len(seen) == 2  # no judge call without passages


def test_multiple_choice_items_render_their_options_and_few_shot_turns_become_turns(simulator):
    version = services.suite_import(slug="mcq", text='{"id": "q", "input": [{"role": "system", "name": "example_user", '
                                    '"content": "2+2?"}, {"role": "system", "name": "example_assistant", "content": '
                                    '"4"}, {"role": "user", "content": "Closest planet to the Sun?"}], '
                                    '"choices": ["Venus", "Mercury"], "target": "B"}\n')
    item = version.items.get()
    sent = prompts.item_messages(item)
    assert [m["role"] for m in sent] == ["user", "assistant", "user"]
    assert "name" not in sent[0]
    assert sent[2]["content"].endswith("Closest planet to the Sun?\n\nA) Venus\nB) Mercury")
    assert "'ANSWER: $LETTER'" in sent[2]["content"]
    assert "A,B" in sent[2]["content"]
    run = run_inline(version, VariantFactory(endpoint_model="acme-7b"))
    result = RunResult.objects.get(run=run)
    assert run.status == RunStatus.DONE
    assert result.error == ""
    assert result.input_tokens > 20


def test_judge_calls_tokens_cost_and_latency_are_recorded_with_the_result(simulator):
    VariantFactory(slug="judge-70b", endpoint_model="acme-70b", price_input_per_mtok=1000, price_output_per_mtok=1000)
    version = services.suite_import(slug="judged", text=json.dumps(
        {"id": "q", "input": "Compute 6 * 7.", "target": "42",
         "grader": [{"type": "numeric"}, {"type": "judge", "judge_variant": "judge-70b", "rubric": "correct"}]}) + "\n")
    run = run_inline(version, VariantFactory(slug="answerer", endpoint_model="acme-7b"))
    result = RunResult.objects.get(run=run)
    usage = result.grader_usage
    assert usage["calls"] == 1
    assert usage["input_tokens"] > 0
    assert usage["output_tokens"] > 0
    assert usage["cost_usd"] == pytest.approx((usage["input_tokens"] + usage["output_tokens"]) / 1000)
    assert [p["type"] for p in result.graders] == ["numeric", "judge"]
    assert simulator.request_count == 2
    row = json.loads(next(iter(exports.results_jsonl(run))))
    assert row["grader_calls"] == 1
    assert row["grader_cost_usd"] == pytest.approx(usage["cost_usd"])


def test_a_judge_variant_gone_since_import_errors_before_the_answer_is_paid_for(simulator):
    judge = VariantFactory(slug="short-lived-judge", endpoint_model="acme-70b")
    version = services.suite_import(slug="judge-gone", text=json.dumps(
        {"id": "q", "input": "Say hi", "grader": {"type": "judge", "judge_variant": "short-lived-judge"}}) + "\n")
    judge.delete()
    run = run_inline(version, VariantFactory(endpoint_model="acme-7b"))
    result = RunResult.objects.get(run=run)
    assert result.error == "grader.judge_variant: no variant 'short-lived-judge'"
    assert simulator.request_count == 0
