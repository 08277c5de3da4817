"""Files as inspect_ai, OpenAI Evals and promptfoo users have them (small files of our own, shaped like theirs,
under tests/suites/data/), each imported as it is; what cannot be honoured is refused naming where and what."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from experiments.suites import exports, services
from experiments.suites.graders import Facts, grade
from experiments.suites.importers import ImportRejected, parse_files, parse_suite, read_upload
from tests.factories import VariantFactory

DATA = Path(__file__).parent / "data"


def read(path: str) -> str:
    return (DATA / path).read_text(encoding="utf-8")


def folder(path: str) -> dict[str, str]:
    root = DATA / path
    return {str(p.relative_to(root)): p.read_text(encoding="utf-8") for p in sorted(root.rglob("*")) if p.is_file()}


# ------------------------------------------------------------------------------------------ inspect_ai


def test_inspect_multiple_choice_with_metadata():
    parsed = parse_suite(read("inspect/mcq.jsonl"))
    assert parsed.source_format == "inspect"
    first, _, chem = parsed.items
    assert first.choices == ["Venus", "Mercury", "Mars", "Earth"]
    assert first.targets == ["B"]
    assert first.metadata == {"subject": "astronomy", "difficulty": 1}
    assert chem.targets == ["C"]  # the option's text became its letter
    assert first.grader == {}  # the choice grader is the default for items with choices


def test_inspect_sandbox_files_setup_and_label_are_kept_and_said():
    parsed = parse_suite(read("inspect/ctf.jsonl"))
    flag = parsed.items[0]
    assert flag.metadata["sandbox"] == ["docker", "compose.yaml"]
    assert flag.metadata["label"] == "easy"
    assert flag.metadata["files"] == {"/challenge/flag.txt": "picoCTF{readable}"}
    note = parsed.notes[0]
    assert "label (2 items)" in note
    assert "sandbox (1 item)" in note
    assert "no sandbox" in note


def test_inspect_csv_with_bom_and_field_map():
    text = read("inspect/gsm.csv")
    assert text.startswith("\ufeff")
    parsed = parse_suite(text, field_map="question=input,answer=target", default_grader={"type": "numeric"})
    assert parsed.source_format == "csv"
    assert [i.external_id for i in parsed.items] == ["1", "2", "3"]
    assert parsed.items[0].targets == ["72"]
    assert parsed.items[0].metadata == {"source": "gsm8k-train"}
    assert parsed.items[1].input[0]["content"].startswith("Weng earns $12")
    with pytest.raises(ImportRejected) as info:
        parse_suite(text)  # without the mapping there is no input column
    assert info.value.errors[0][1:] == ("input", "is required")
    assert info.value.errors[0][0] == 2
    with pytest.raises(ImportRejected, match="map: 'inputs' is not an item field"):
        parse_suite(text, field_map="question=inputs")


def test_inspect_json_array_with_image_parts():
    parsed = parse_suite(read("inspect/vision.json"))
    assert parsed.source_format == "json"
    content = parsed.items[0].input[0]["content"]
    assert content[0] == {"type": "text", "text": "What is the tallest bar's label in this chart? Answer with the "
                                                  "label only."}
    assert content[1]["type"] == "image_url"
    assert content[1]["image_url"]["url"].startswith("data:image/png;base64,")
    assert parsed.items[1].targets == ["Q2", "the second quarter"]


def test_json_array_errors_name_the_item_not_a_line():
    with pytest.raises(ImportRejected) as info:
        parse_suite('[{"input": "ok", "target": "1"}, {"target": "2"}]')
    assert info.value.errors[0][:2] == ("item 2", "input")
    assert "item 2: input" in str(info.value)
    assert "line item" not in str(info.value)
    with pytest.raises(ImportRejected, match="audio"):
        parse_suite(json.dumps([{"input": [{"role": "user", "content": [{"type": "audio", "audio": "x.mp3"}]}],
                                 "target": "x"}]))


# ---------------------------------------------------------------------------------------- OpenAI Evals


def test_openai_samples_system_only_few_shot_and_tool_calls():
    parsed = parse_suite(read("openai_evals/data/capitals/samples.jsonl"))
    assert parsed.source_format == "openai_evals"
    assert len(parsed.items) == 3
    few_shot, system_only, tools = parsed.items
    assert few_shot.input[1] == {"role": "system", "name": "example_user", "content": "France"}
    assert [m["role"] for m in system_only.input] == ["system"]
    assert tools.input[2]["tool_calls"][0]["function"]["name"] == "lookup_capital"
    assert tools.input[3]["tool_call_id"] == "call_1"


def test_openai_registry_yaml_with_its_samples_as_two_files_and_as_a_zip():
    files = folder("openai_evals")
    parsed = parse_files(files)
    assert parsed.source_format == "openai_registry"
    assert parsed.name == "capitals.dev.v0"
    assert parsed.default_grader == {"type": "starts_with"}  # evals' Match is a starts-with check
    assert parsed.description.startswith("Capital cities")
    assert len(parsed.items) == 3
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(f"my-evals/{name}", text)
    assert len(parse_files(read_upload("evals.zip", buffer.getvalue())).items) == 3
    assert grade(parsed.default_grader, "Tokyo is the capital.", ["Tokyo"]).passed
    assert not grade(parsed.default_grader, "The capital is Tokyo.", ["Tokyo"]).passed


def test_openai_registry_without_samples_or_with_custom_class_is_refused_by_field():
    with pytest.raises(ImportRejected) as info:
        parse_suite(read("openai_evals/evals/capitals.yaml"))
    assert info.value.errors[0][:2] == ("capitals.dev.v0", "args.samples_jsonl")
    custom = "x.v0:\n  class: my.module:Custom\n  args:\n    samples_jsonl: s.jsonl\n"
    with pytest.raises(ImportRejected) as info:
        parse_files({"x.yaml": custom, "s.jsonl": '{"input": "hi", "ideal": "hi"}\n'})
    assert info.value.errors[0][1] == "class"
    graded = parse_files({"x.yaml": custom, "s.jsonl": '{"input": "hi", "ideal": "hi"}\n'},
                         default_grader={"type": "contains"})
    assert graded.default_grader == {"type": "contains"}


# --------------------------------------------------------------------------------------------- promptfoo


def test_promptfoo_config_expands_prompts_by_tests_and_maps_asserts():
    parsed = parse_files(folder("promptfoo"))
    assert parsed.source_format == "promptfoo"
    assert parsed.description.startswith("Support replies")
    ids = [i.external_id for i in parsed.items]
    # test 1 × 2 prompts; test 2 has channel: [email, chat] → 2 combinations × 2 prompts; test 3 × 2 prompts
    assert ids == ["1-p1", "1-p2", "2.1-p1", "2.1-p2", "2.2-p1", "2.2-p2", "3-p1", "3-p2"]
    refund = parsed.items[0]
    assert refund.input[0]["content"].startswith("You are a support agent")
    assert "charged twice" in refund.input[0]["content"]
    assert "email message" in refund.input[0]["content"]  # defaultTest vars
    assert refund.grader["pass_rule"] == "weighted"
    assert refund.grader["threshold"] == 0.6
    types = [g["type"] for g in refund.grader["graders"]]
    assert types == ["contains", "contains_any", "word_count"]  # defaultTest assert first; javascript left out
    assert refund.grader["graders"][0] == {"type": "contains", "ignore_case": True, "negate": True,
                                           "targets": ["as an ai language model"]}
    assert refund.grader["graders"][2] == {"type": "word_count", "max": 80, "weight": 2}
    assert parsed.items[3].input[0]["content"].startswith("Reply in one sentence to this email message")
    assert "chat message" in parsed.items[4].input[0]["content"]
    assert parsed.items[2].group == "2"
    notes = " | ".join(parsed.notes)
    assert "javascript ×1" in notes
    assert "openai:gpt-4o-mini" in notes
    # a test without asserts of its own still has the defaultTest's
    assert parsed.items[6].grader["type"] == "contains"
    assert parsed.items[6].grader["negate"] is True


def test_promptfoo_tests_csv_alone_uses_its_question_var():
    parsed = parse_suite(read("promptfoo/tests.csv"))
    assert parsed.source_format == "promptfoo"
    assert parsed.items[0].input[0]["content"] == "What is the capital of France?"
    capital = parsed.items[0].grader
    assert capital["type"] == "multi"
    assert capital["graders"][1] == {"type": "contains", "ignore_case": False,
                                                                    "negate": True, "targets": ["London"]}
    assert parsed.items[1].grader["graders"][1] == {"type": "levenshtein", "targets": ["4"], "max_distance": 1.0}
    assert parsed.items[2].grader["type"] == "human"
    assert "similar ×1" in " ".join(parsed.notes)
    assert grade(capital, "It is Paris.", []).passed
    assert not grade(capital, "Paris, not London", []).passed


def test_promptfoo_model_graded_assert_needs_a_judge():
    config = "prompts: ['Say {{x}}']\ntests:\n  - vars: {x: hi}\n    assert:\n      - type: llm-rubric\n        value: is friendly\n"
    with pytest.raises(ImportRejected) as info:
        parse_suite(config)
    assert info.value.errors[0][:2] == ("test 1", "assert[1]")
    parsed = parse_suite(config, default_grader={"type": "judge", "judge_variant": "judge-70b"})
    assert parsed.items[0].grader == {"type": "judge", "judge_variant": "judge-70b", "rubric": "is friendly"}


# ---------------------------------------------------------------------------------------- EvalHub forms


def test_yaml_top_level_system_prompt_and_metadata_are_honoured():
    parsed = parse_suite("name: Tone\nsystem_prompt: Be brief.\ntags: [tone]\nowner: support\nitems:\n"
                         "  - input: Say hi\n    target: hi\n")
    assert parsed.items[0].input[0] == {"role": "system", "content": "Be brief."}
    assert parsed.metadata == {"tags": ["tone"], "owner": "support"}
    assert any("owner, tags" in n for n in parsed.notes)
    assert any("system_prompt" in n for n in parsed.notes)


def test_bom_jsonl_and_csv_are_not_read_as_yaml():
    assert parse_suite("\ufeff" + '{"input": "a", "target": "1"}\n').source_format == "input_target"
    assert parse_suite("input,target\nSay one,1\n").source_format == "csv"


@pytest.mark.django_db
@pytest.mark.parametrize("source", ["inspect/mcq.jsonl", "inspect/ctf.jsonl", "inspect/vision.json",
                                    "openai_evals", "promptfoo", "promptfoo/tests.csv"])
def test_export_jsonl_round_trip_keeps_everything(source):
    files = folder(source) if (DATA / source).is_dir() else {source: read(source)}
    first = services.suite_import(slug="rt", files=files)
    exported = "".join(exports.version_jsonl(first))
    again = services.suite_import(slug="rt-again", text=exported, fmt="jsonl")
    fields = ("external_id", "input", "targets", "category", "group", "choices", "tools", "context", "metadata")

    def effective(version):
        return [({f: getattr(i, f) for f in fields}, i.grader_config()) for i in version.items.order_by("position")]

    assert effective(again) == effective(first)
    assert again.item_count == first.item_count > 0
    assert again.metadata == first.metadata
    assert "".join(exports.version_jsonl(again)) == exported


@pytest.mark.django_db
def test_yaml_top_level_metadata_round_trips_through_the_jsonl_export():
    yaml_text = ("name: Tone\ndescription: Support replies\ntags: [tone, support]\nowner: {team: care, since: 2024}\n"
                 "grader: {type: contains}\nitems:\n  - input: Say hi\n    target: hi\n    metadata: {lang: en}\n")
    first = services.suite_import(slug="tone", text=yaml_text, fmt="yaml")
    assert first.metadata == {"tags": ["tone", "support"], "owner": {"team": "care", "since": 2024}}
    exported = "".join(exports.version_jsonl(first))
    header, item = (json.loads(line) for line in exported.splitlines())
    assert header == {"suite_metadata": first.metadata}
    assert item["metadata"] == {"lang": "en"}
    again = services.suite_import(slug="tone-again", text=exported, filename="tone.jsonl")
    assert again.metadata == first.metadata
    assert again.item_count == 1
    assert again.items.get().metadata == {"lang": "en"}
    assert again.items.get().grader_config() == {"type": "contains"}
    assert any("kept as suite metadata: owner, tags" in n for n in again.import_notes)
    assert "".join(exports.version_jsonl(again)) == exported
    plain = services.suite_import(slug="plain", text='{"input": "a", "target": "1"}\n', fmt="jsonl")
    assert "suite_metadata" not in "".join(exports.version_jsonl(plain))


def test_a_jsonl_suite_metadata_line_must_hold_an_object():
    with pytest.raises(ImportRejected) as info:
        parse_suite('{"suite_metadata": [1]}\n{"input": "a", "target": "1"}\n')
    assert info.value.errors == [(1, "suite_metadata", "must be an object")]


@pytest.mark.django_db
def test_import_keeps_notes_and_rejects_an_unknown_judge_before_writing():
    version = services.suite_import(slug="ctf", text=read("inspect/ctf.jsonl"), filename="ctf.jsonl")
    assert "sandbox" in version.import_notes[0]
    assert version.items.get(external_id="find-flag").metadata["setup"]
    bad = '{"input": "hi", "grader": {"type": "judge", "judge_variant": "nobody"}}\n'
    with pytest.raises(ImportRejected) as info:
        services.suite_import(slug="judged", text=bad)
    assert info.value.errors[0] == (1, "grader.judge_variant", "no variant 'nobody'")
    VariantFactory(slug="nobody")
    assert services.suite_import(slug="judged", text=bad).item_count == 1


def test_promptfoo_file_references_and_plain_text_are_told_apart():
    config = ("prompts: ['Summarise notes.txt for {{who}}', prompt.txt]\n"
              "tests:\n  - vars: {who: the team, doc: file://doc.txt, name: report.txt}\n")
    parsed = parse_files({"promptfooconfig.yaml": config, "prompt.txt": "Dear {{who}}: {{doc}}", "doc.txt": "Q3 up 4%"})
    assert [i.input[0]["content"] for i in parsed.items] == ["Summarise notes.txt for the team",
                                                             "Dear the team: Q3 up 4%"]
    assert parsed.items[0].metadata["vars"]["name"] == "report.txt"  # a var value, not a file
    with pytest.raises(ImportRejected) as info:
        parse_files({"promptfooconfig.yaml": config, "prompt.txt": "x"})
    assert info.value.errors[0][:2] == ("test 1", "vars.doc")
    assert "doc.txt was not uploaded" in str(info.value)


def test_promptfoo_transforms_are_left_out_and_provider_tools_go_with_the_items():
    config = """
prompts: ['What is the weather like in {{city}}?']
providers:
  - id: openai:gpt-4o-mini
    config:
      tools: [{type: function, function: {name: get_weather, parameters: {type: object,
               properties: {location: {type: string}}, required: [location]}}}]
tests:
  - vars: {city: Boston}
    assert:
      - type: is-valid-openai-tools-call
      - type: equals
        value: get_weather
        transform: output[0].name
  - vars: {city: Paris}
    options: {transform: "output[0].name"}
    assert:
      - type: equals
        value: get_weather
"""
    parsed = parse_suite(config)
    boston, paris = parsed.items
    assert boston.tools[0]["function"]["name"] == "get_weather"
    assert boston.grader == {"type": "tool_call", "valid": True}
    assert paris.grader["type"] == "human"
    notes = " | ".join(parsed.notes)
    assert "asserts with a JavaScript transform ×1" in notes
    assert "options.transform ×1" in notes
    assert "tools of provider openai:gpt-4o-mini sent with every item" in notes
    facts = Facts(tools=tuple(boston.tools), tool_calls=({"name": "get_weather", "arguments": '{"location": "Boston"}'},))
    assert grade(boston.grader, "", [], facts=facts).passed
    bad = Facts(tools=tuple(boston.tools), tool_calls=({"name": "get_weather", "arguments": {"city": "Boston"}},))
    result = grade(boston.grader, "", [], facts=bad)
    assert not result.passed
    assert "'location' is a required property" in result.explanation


def test_openai_registry_with_several_evals_imports_one_and_names_the_others():
    registry = ("a:\n  id: a.dev.v0\n  metrics: [accuracy]\na.dev.v0:\n  class: evals.elsuite.basic.includes:Includes\n"
                "  args: {samples_jsonl: a/samples.jsonl, ignore_case: true}\n"
                "b.dev.v0:\n  class: evals.elsuite.basic.match:Match\n  args: {samples_jsonl: b/samples.jsonl}\n")
    parsed = parse_files({"evals/a.yaml": registry, "data/a/samples.jsonl": '{"input": "Say hi", "ideal": "hi"}\n'})
    assert parsed.default_grader == {"type": "contains", "ignore_case": True}
    assert len(parsed.items) == 1
    assert any("b.dev.v0" in note for note in parsed.notes)


def test_promptfoo_prompt_files_with_several_prompts_and_nunjucks_filters():
    prompts = ("Tone: {{ (style | load).tone }}\nRephrase in {{language}}: \"{{body}}\"\n---\n"
               "Style {{style}}. {% if language == 'Pirate' %}Arr! {% endif %}Translate: {{body}}\n")
    tests = 'language,body,style,__expected\nPirate,Hello world,"{""tone"": ""salty""}",icontains:Ahoy\n'
    config = "prompts: [file://prompts.txt]\ntests: file://tests.csv\n"
    parsed = parse_files({"promptfooconfig.yaml": config, "prompts.txt": prompts, "tests.csv": tests})
    first, second = (i.input[0]["content"] for i in parsed.items)
    assert first == 'Tone: salty\nRephrase in Pirate: "Hello world"'
    assert second == 'Style {"tone": "salty"}. Arr! Translate: Hello world'
    assert [i.category for i in parsed.items] == ["prompt 1.1", "prompt 1.2"]
    assert parsed.items[0].grader == {"type": "contains", "ignore_case": True, "targets": ["Ahoy"]}
    with pytest.raises(ImportRejected) as info:
        parse_suite("prompts: ['Hi {{ name }}']\ntests:\n  - vars: {other: x}\n")
    assert info.value.errors[0][:2] == ("test 1", "vars")
    assert "'name' is not set" in str(info.value)
    with pytest.raises(ImportRejected, match="template error"):
        parse_suite("prompts: ['Hi {{ name.__class__.__mro__ }}']\ntests:\n  - vars: {name: x}\n")
