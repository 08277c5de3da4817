"""Suite files: every accepted form, and whole-file rejection that names line and field."""

from __future__ import annotations

import json

import pytest

from experiments.suites import services
from experiments.suites.importers import ImportRejected, parse_recorded, parse_suite
from experiments.suites.models import Suite, SuiteItem


def jsonl(*records) -> str:
    return "\n".join(json.dumps(r) for r in records) + "\n"


def test_evalhub_jsonl_with_all_fields():
    parsed = parse_suite(jsonl(
        {"id": "a", "input": "What is 2 + 2?", "target": "4", "category": "math", "group": "g1",
         "grader": {"type": "numeric"}},
        {"id": "b", "input": [{"role": "system", "content": "Be terse"}, {"role": "user", "content": "Capital of France?"}],
         "targets": ["Paris", "paris, France"], "grader": {"type": "contains"}},
    ))
    assert [i.external_id for i in parsed.items] == ["a", "b"]
    assert parsed.items[0].input == [{"role": "user", "content": "What is 2 + 2?"}]
    assert parsed.items[1].targets == ["Paris", "paris, France"]
    assert parsed.items[0].group == "g1"
    assert parsed.source_format == "jsonl"


def test_openai_evals_samples():
    parsed = parse_suite(jsonl({"input": [{"role": "user", "content": "2+2?"}], "ideal": ["4", "four"]},
                               {"input": [{"role": "user", "content": "3+3?"}], "ideal": "6"}))
    assert parsed.source_format == "openai_evals"
    assert [i.targets for i in parsed.items] == [["4", "four"], ["6"]]
    assert parsed.items[1].external_id == "2"


def test_input_target_form():
    parsed = parse_suite(jsonl({"input": "Say hi", "target": "hi"}))
    assert parsed.source_format == "input_target"
    assert parsed.items[0].targets == ["hi"]


def test_yaml_with_default_grader():
    parsed = parse_suite("name: Math\ngrader: {type: numeric}\nitems:\n  - input: What is 1 + 1?\n    target: 2\n"
                         "  - id: two\n    input: What is 2 + 2?\n    targets: [4]\n    category: easy\n")
    assert parsed.source_format == "yaml"
    assert parsed.name == "Math"
    assert parsed.default_grader == {"type": "numeric"}
    assert [i.external_id for i in parsed.items] == ["1", "two"]
    assert parsed.items[1].category == "easy"


@pytest.mark.parametrize(("text", "line", "field"), [
    (jsonl({"input": "ok", "target": "1"}) + "{not json}\n", 2, "json"),
    (jsonl({"input": "ok", "target": "1"}, {"target": "1"}), 2, "input"),
    (jsonl({"input": [{"role": "robot", "content": "x"}], "target": "1"}), 1, "input"),
    (jsonl({"input": "ok", "target": "1", "grader": {"type": "regex", "pattern": "("}}), 1, "grader.pattern"),
    (jsonl({"input": "ok", "target": "x", "grader": {"type": "numeric"}}), 1, "target"),
    (jsonl({"id": "a", "input": "ok", "target": "1"}, {"id": "a", "input": "ok", "target": "2"}), 2, "id"),
    (jsonl({"input": "ok", "target": "1", "targets": ["1"]}), 1, "targets"),
])
def test_malformed_lines_are_named(text, line, field):
    with pytest.raises(ImportRejected) as info:
        parse_suite(text)
    assert (line, field) in [(e[0], e[1]) for e in info.value.errors]
    assert f"line {line}: {field}" in str(info.value)


def test_yaml_errors_name_the_item():
    with pytest.raises(ImportRejected) as info:
        parse_suite("items:\n  - input: ok\n    target: 1\n  - target: 2\n")
    assert ("item 2", "input") in [(e[0], e[1]) for e in info.value.errors]
    with pytest.raises(ImportRejected, match="yaml"):
        parse_suite("items: [unclosed\n", fmt="yaml")
    with pytest.raises(ImportRejected, match="no items"):
        parse_suite("", fmt="jsonl")


@pytest.mark.django_db
def test_rejected_file_writes_nothing():
    bad = jsonl({"input": "fine", "target": "1"}, {"input": "", "target": "2"})
    with pytest.raises(ImportRejected):
        services.suite_import(slug="new-suite", text=bad)
    assert not Suite.objects.filter(slug="new-suite").exists()
    assert not SuiteItem.objects.exists()


@pytest.mark.django_db
def test_import_replaces_unlocked_version_and_versions_locked_one():
    v1 = services.suite_import(slug="s", text=jsonl({"input": "a", "target": "1"}))
    again = services.suite_import(slug="s", text=jsonl({"input": "a", "target": "1"}, {"input": "b", "target": "2"}))
    assert again.pk == v1.pk
    assert again.number == 1
    assert again.items.count() == 2
    v1.refresh_from_db()
    v1.locked = True
    v1.save(update_fields=["locked"])
    v2 = services.suite_import(slug="s", text=jsonl({"input": "c", "target": "3"}))
    assert v2.number == 2
    assert v1.items.count() == 2
    assert v2.items.count() == 1


def test_recorded_outputs_rejected_whole():
    rows = parse_recorded(jsonl({"id": "a", "output": "4", "output_tokens": 3, "latency_ms": 12.5}), {"a", "b"})
    assert rows[0].output_tokens == 3
    assert rows[0].latency_ms == 12.5
    with pytest.raises(ImportRejected) as info:
        parse_recorded(jsonl({"id": "a", "output": "4"}, {"id": "zzz", "output": "1"},
                             {"id": "b", "output": "1", "input_tokens": -1}), {"a", "b"})
    assert {(2, "id"), (3, "input_tokens")} <= {(e[0], e[1]) for e in info.value.errors}
