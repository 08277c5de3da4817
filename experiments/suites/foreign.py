"""Other tools' files as EvalHub items: OpenAI evals registry YAML (with its samples) and promptfoo
configs and tests files. Each is turned into EvalHub item records, then checked like any suite file.

promptfoo: every test's ``vars`` (list values expand into combinations, as promptfoo does) fill every prompt
(Nunjucks, read by Jinja2's sandbox; a .txt prompt file may hold several prompts between ``---`` lines); an item
per prompt × test; ``assert`` lists become a multi grader (weights kept; the test's
``threshold`` makes the pass rule weighted); ``defaultTest`` applies to every test. Asserts EvalHub cannot
carry out (javascript, python, webhook, embeddings similarity, ...) are left out and named in the import notes.
"""

from __future__ import annotations

import itertools
import json
import posixpath
import re
from collections import Counter
from typing import Any

import jinja2
from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from experiments.suites import importers
from experiments.suites.graders import validate_tools
from experiments.suites.models import SourceFormat

# ---------------------------------------------------------------------------------- OpenAI evals registry

OPENAI_CLASSES = {
    "evals.elsuite.basic.match:Match": {"type": "starts_with"},
    "evals.elsuite.basic.includes:Includes": {"type": "contains", "ignore_case": False},
    "evals.elsuite.basic.fuzzy_match:FuzzyMatch": {"type": "fuzzy_match"},
    "evals.elsuite.basic.json_match:JsonMatch": {"type": "json", "match_target": True},
}


def is_openai_registry(data: dict) -> bool:
    return any(isinstance(v, dict) and "class" in v for v in data.values())


def _find(files: dict[str, str], path: str) -> str | None:
    """A referenced file among the uploaded ones: same path, a path ending with it, or a unique base name."""
    path = path.removeprefix("file://").lstrip("./")
    if path in files:
        return path
    tails = [name for name in files if name.endswith("/" + path) or path.endswith("/" + name)]
    if len(tails) == 1:
        return tails[0]
    base = [name for name in files if posixpath.basename(name) == posixpath.basename(path)]
    return base[0] if len(base) == 1 else None


def parse_openai_registry(data: dict, *, files: dict[str, str], default_grader: dict | None = None
                          ) -> importers.ParsedSuite:
    specs = {name: spec for name, spec in data.items() if isinstance(spec, dict) and "class" in spec}
    groups = {name: spec for name, spec in data.items() if isinstance(spec, dict) and "id" in spec}
    wanted = next((g["id"] for g in groups.values() if g["id"] in specs), None)
    name, spec = (wanted, specs[wanted]) if wanted else next(iter(specs.items()))
    group = next((g for g in groups.values() if g.get("id") == name), {})
    args = spec.get("args") or {}
    cls = str(spec["class"])
    notes = [f"OpenAI evals eval {name} ({cls})"]
    others = sorted(set(specs) - {name})
    if others:
        notes.append(f"other evals in the file not imported (import each with its samples): {', '.join(others)}")
    grader = dict(OPENAI_CLASSES.get(cls) or {})
    if cls == "evals.elsuite.basic.includes:Includes" and args.get("ignore_case"):
        grader["ignore_case"] = True
    if not grader:
        if default_grader:
            grader = default_grader
            notes.append(f"{cls} graded with the given default grader")
        elif ".modelgraded." in cls:
            raise importers.ImportRejected([(name, "class", f"{cls} grades with a model: give a default grader such "
                                                            "as {\"type\": \"judge\", \"judge_variant\": \"...\"}")])
        else:
            raise importers.ImportRejected([(name, "class", f"{cls} is custom code EvalHub cannot run; give a default "
                                                            f"grader, or use one of {', '.join(OPENAI_CLASSES)}")])
    path = args.get("samples_jsonl")
    if not isinstance(path, str):
        raise importers.ImportRejected([(name, "args.samples_jsonl", "the eval names no samples_jsonl file")])
    found = _find(files, path)
    if found is None:
        raise importers.ImportRejected([(name, "args.samples_jsonl", f"{path} was not uploaded: upload it with the "
                                                                     "YAML (both files, or the folder as a zip)")])
    parsed = importers.parse_jsonl(files[found], default_grader=grader)
    few_shot = _few_shot(args, files, name)
    if few_shot:
        for item in parsed.items:  # as evals' Match does: few-shot turns go before the sample's last message
            item.input = item.input[:-1] + few_shot + item.input[-1:]
        notes.append(f"{len(few_shot) // 2} few-shot example(s) from {args['few_shot_jsonl']} put before each sample")
    kept_args = {k: v for k, v in args.items() if k not in ("samples_jsonl", "few_shot_jsonl", "num_few_shot")}
    metadata = {"eval": name, "class": cls, **({"args": kept_args} if kept_args else {}),
                **{k: v for k, v in group.items() if k not in ("id", "description")}}
    return importers.ParsedSuite(parsed.items, SourceFormat.OPENAI_REGISTRY, name,
                                 str(group.get("description", spec.get("description", ""))), grader, metadata,
                                 notes + parsed.notes)


def _few_shot(args: dict, files: dict[str, str], name: str) -> list[dict]:
    count = int(args.get("num_few_shot") or 0)
    if not count:
        return []
    found = _find(files, str(args.get("few_shot_jsonl", "")))
    if found is None:
        raise importers.ImportRejected([(name, "args.few_shot_jsonl", "the few-shot file was not uploaded")])
    turns: list[dict] = []
    for line in [x for x in files[found].splitlines() if x.strip()][:count]:
        sample = json.loads(line).get("sample")
        if not isinstance(sample, list):
            raise importers.ImportRejected([(name, "args.few_shot_jsonl", "few-shot lines need a 'sample' list")])
        turns += sample
    return turns


# ---------------------------------------------------------------------------------------------- promptfoo

# promptfoo assert type → EvalHub grader config (the value goes to "targets" unless mapped otherwise).
_SIMPLE: dict[str, dict] = {
    "equals": {"type": "exact", "ignore_case": False, "ignore_whitespace": False},
    "contains": {"type": "contains", "ignore_case": False},
    "icontains": {"type": "contains", "ignore_case": True},
    "contains-any": {"type": "contains_any", "ignore_case": False},
    "icontains-any": {"type": "contains_any", "ignore_case": True},
    "contains-all": {"type": "contains_all", "ignore_case": False},
    "icontains-all": {"type": "contains_all", "ignore_case": True},
    "starts-with": {"type": "starts_with"},
    "regex": {"type": "regex"},
    "is-json": {"type": "json"},
    "contains-json": {"type": "json"},
    "is-xml": {"type": "xml"},
    "contains-xml": {"type": "xml"},
    "is-html": {"type": "html"},
    "contains-html": {"type": "html"},
    "is-sql": {"type": "sql"},
    "contains-sql": {"type": "sql"},
    "levenshtein": {"type": "levenshtein"},
    "rouge-n": {"type": "rouge_n"},
    "bleu": {"type": "bleu"},
    "latency": {"type": "latency"},
    "cost": {"type": "cost"},
    "finish-reason": {"type": "finish_reason"},
    "word-count": {"type": "word_count"},
    "is-valid-openai-tools-call": {"type": "tool_call", "valid": True},
    "llm-rubric": {"type": "judge"},
    "model-graded-closedqa": {"type": "judge"},
    "factuality": {"type": "judge"},
    "g-eval": {"type": "judge"},
    "answer-relevance": {"type": "relevance"},
    "context-faithfulness": {"type": "faithfulness"},
    "human": {"type": "human"},
}
_JUDGED = {"llm-rubric", "model-graded-closedqa", "factuality", "g-eval", "answer-relevance", "context-faithfulness"}


class Unsupported(ValueError):
    pass


def assert_to_grader(spec: Any, *, judge_variant: str = "") -> dict:
    """One promptfoo assertion as an EvalHub grader config; ``Unsupported`` names what cannot be done."""
    if not isinstance(spec, dict) or not isinstance(spec.get("type"), str):
        raise Unsupported("an assertion needs a type")
    kind = spec["type"]
    if spec.get("transform"):
        raise Unsupported("transform")  # JavaScript run on the output before the check
    if kind == "assert-set":
        subs = [assert_to_grader(a, judge_variant=judge_variant) for a in spec.get("assert") or []]
        config: dict = {"type": "multi", "pass_rule": "weighted" if "threshold" in spec else "all", "graders": subs}
        if "threshold" in spec:
            config["threshold"] = spec["threshold"]
        return _weighted(config, spec)
    negate = kind.startswith("not-")
    base = kind[4:] if negate else kind
    if base not in _SIMPLE:
        raise Unsupported(f"assertion type {kind!r} is not supported")
    config = dict(_SIMPLE[base])
    value, threshold = spec.get("value"), spec.get("threshold")
    if base in _JUDGED:
        if not judge_variant:
            raise Unsupported(f"{kind} needs a judge: import with a judge variant")
        config["judge_variant"] = judge_variant
        if base in ("llm-rubric", "g-eval", "model-graded-closedqa"):
            config["rubric"] = str(value or "")
        elif base == "factuality":
            config["rubric"] = "consistent with the reference answer's facts"
            config["targets"] = [str(value)]
        if threshold is not None:
            config["pass_threshold"] = threshold
    elif base in ("is-json", "contains-json") and isinstance(value, dict):
        config["schema"] = value
    elif base == "levenshtein":
        config["targets"] = [str(value)]
        if threshold is not None:
            config["max_distance"] = threshold
    elif base in ("rouge-n", "bleu"):
        config["targets"] = value if isinstance(value, list) else [str(value)]
        if threshold is not None:
            config["threshold"] = threshold
    elif base == "latency":
        config["max_ms"] = threshold
    elif base == "cost":
        config["max_usd"] = threshold
    elif base == "finish-reason":
        config["value"] = str(value)
    elif base == "word-count":
        if isinstance(value, dict):
            config.update({k: v for k, v in value.items() if k in ("min", "max")})
        else:
            config.update(min=value, max=value)
    elif base == "regex":
        config["pattern"] = str(value)
    elif base in ("is-xml", "contains-xml", "is-html", "contains-html", "is-sql", "contains-sql",
                  "is-valid-openai-tools-call", "human"):
        pass
    else:
        config["targets"] = [str(v) for v in value] if isinstance(value, list) else [str(value)]
    if negate:
        config["negate"] = True
    return _weighted(config, spec)


def _weighted(config: dict, spec: dict) -> dict:
    if "weight" in spec:
        config["weight"] = spec["weight"]
    return config


def _template_env() -> Any:
    """promptfoo templates are Nunjucks; Jinja2's sandbox reads the same syntax without running anything unsafe.
    promptfoo's ``load`` filter (JSON.parse) and ``dump`` are provided; objects render as JSON as in promptfoo."""
    env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True,
                               finalize=lambda v: json.dumps(v) if isinstance(v, (dict, list)) else v)
    env.filters["load"] = json.loads
    env.filters["dump"] = json.dumps
    return env


_ENV = None


def render(template: str, variables: dict) -> str:
    """A prompt template with the test's vars; ``ValueError`` names what went wrong."""
    global _ENV
    _ENV = _ENV or _template_env()
    try:
        return _ENV.from_string(template).render(**variables)
    except jinja2.UndefinedError as exc:
        raise ValueError(f"variable {str(exc).split(' ')[0]} is not set") from None
    except jinja2.TemplateSyntaxError as exc:
        raise ValueError(f"template error on line {exc.lineno}: {exc.message}") from None
    except (jinja2.TemplateError, ValueError, TypeError) as exc:
        raise ValueError(f"template error: {exc}") from None


def _prompt_input(rendered: str) -> Any:
    stripped = rendered.strip()
    if stripped.startswith("["):
        try:
            messages = json.loads(stripped)
            if isinstance(messages, list) and all(isinstance(m, dict) and "role" in m for m in messages):
                return messages
        except ValueError:
            pass
    return rendered


def _load_ref(value: Any, files: dict[str, str], where: str, field: str, *, bare: bool = True) -> Any:
    """``file://x.yaml`` (with ``bare``, also a path without spaces ending .yaml/.json/.csv/.txt, as promptfoo
    reads ``prompts`` and ``tests``) → its parsed content; anything else is returned as it is."""
    is_path = isinstance(value, str) and (value.startswith("file://") or (
        bare and re.fullmatch(r"\S+\.(ya?ml|jsonl?|csv|txt)", value) is not None))
    if not is_path:
        return value
    found = _find(files, value)
    if found is None:
        raise importers.ImportRejected([(where, field, f"{value} was not uploaded: upload it with the config "
                                                       "(several files, or the folder as a zip)")])
    text = files[found]
    if found.endswith(".csv"):
        return _csv_tests(text)
    if found.endswith(".jsonl"):
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    if found.endswith((".yaml", ".yml", ".json")):
        return importers.load_yaml(text)
    return text


def _prompts(raw: Any, files: dict[str, str]) -> list[tuple[str, str]]:
    """``[(label, template)]`` from promptfoo's ``prompts`` (strings, ``{raw, label}`` / ``{id, label}``, files)."""
    if raw is None:
        return []
    raw = raw if isinstance(raw, list) else [raw]
    out = []
    for i, prompt in enumerate(raw, start=1):
        label = f"prompt {i}"
        if isinstance(prompt, dict):
            label = str(prompt.get("label") or prompt.get("id") or label)
            prompt = prompt.get("raw", prompt.get("id"))
        loaded = _load_ref(prompt, files, f"prompt {i}", "prompts")
        if isinstance(loaded, (list, dict)):
            loaded = json.dumps(loaded)
        if not isinstance(loaded, str) or not loaded.strip():
            raise importers.ImportRejected([(f"prompt {i}", "prompts", "must be a prompt string or a file")])
        # a .txt prompt file holds several prompts separated by lines of "---", as promptfoo reads it
        parts = [p.strip("\n") for p in re.split(r"^---$", loaded, flags=re.MULTILINE)] if loaded is not prompt \
            else [loaded]
        for j, part in enumerate(p for p in parts if p.strip()):
            out.append((label if len(parts) == 1 else f"{label}.{j + 1}", part))
    return out


_EXPECTED = re.compile(r"^(not-)?([a-z][a-z-]*)(?:\(([\d.]+)\))?\s*:\s*(.*)$", re.DOTALL)
_CSV_ALIASES = {"grade": "llm-rubric", "fn": "javascript", "eval": "javascript", "similar": "similar"}


def expected_to_assert(value: str) -> dict:
    """promptfoo's ``__expected`` cell: ``contains: x``, ``not-icontains: y``, ``levenshtein(3): z``, ``is-json``
    or plain text (equals)."""
    text = value.strip()
    if text in {k for k in _SIMPLE if k.startswith("is-")} | {"is-valid-openai-tools-call"}:
        return {"type": text}
    match = _EXPECTED.match(text)
    if match:
        kind = _CSV_ALIASES.get(match.group(2), match.group(2))
        if kind in _SIMPLE or kind in ("javascript", "python", "similar", "webhook"):
            spec: dict = {"type": (match.group(1) or "") + kind, "value": match.group(4).strip()}
            if match.group(3):
                spec["threshold"] = float(match.group(3))
            if kind in ("contains-any", "contains-all", "icontains-any", "icontains-all"):
                spec["value"] = [v.strip() for v in spec["value"].split(",") if v.strip()]
            return spec
    return {"type": "equals", "value": text}


def _csv_tests(text: str) -> list[dict]:
    _header, rows = importers.csv_rows(text)
    tests = []
    for _line, row in rows:
        test: dict = {"vars": {}, "assert": []}
        for key, cell in row.items():
            cell = cell or ""
            if key.startswith("__expected"):
                if cell.strip():
                    test["assert"].append(expected_to_assert(cell))
            elif key == "__description":
                test["description"] = cell
            elif key.startswith("__metadata:"):
                test.setdefault("metadata", {})[key.split(":", 1)[1]] = cell
            elif key.startswith("__"):
                test.setdefault("metadata", {})[key.lstrip("_")] = cell
            else:
                test["vars"][key] = cell
        tests.append(test)
    return tests


def _expand_vars(variables: dict) -> list[dict]:
    keys = [k for k, v in variables.items() if isinstance(v, list)]
    if not keys:
        return [variables]
    combos = itertools.product(*(variables[k] for k in keys))
    return [{**variables, **dict(zip(keys, combo, strict=True))} for combo in combos]


def parse_promptfoo(data: Any, *, files: dict[str, str], default_grader: dict | None = None
                    ) -> importers.ParsedSuite:
    config = data if isinstance(data, dict) else {"tests": data}
    judge_variant = str((default_grader or {}).get("judge_variant", ""))
    prompts = _prompts(config.get("prompts"), files)
    tests = _load_ref(config.get("tests") or [], files, "config", "tests")
    if not isinstance(tests, list):
        raise importers.ImportRejected([(None, "tests", "must be a list of tests or a tests file")])
    expanded: list[Any] = []
    for test in tests:
        loaded = _load_ref(test, files, "config", "tests")
        expanded += loaded if isinstance(loaded, list) and loaded is not test else [loaded]
    default_test = config.get("defaultTest") or {}
    if isinstance(default_test, str):
        default_test = _load_ref(default_test, files, "config", "defaultTest")
    notes: list[str] = []
    if not prompts:
        var_names = {k for t in expanded if isinstance(t, dict) for k in (t.get("vars") or {})}
        single = next((n for n in ("prompt", "input", "question", "query") if n in var_names), None)
        if single is None and len(var_names) == 1:
            single = next(iter(var_names))
        if single is None:
            raise importers.ImportRejected([(None, "prompts", "a tests file without prompts needs a var named prompt, "
                                                              "input, question or query (or import the config)")])
        prompts = [("prompt", "{{ " + single + " }}")]
        notes.append(f"no prompts: the {single!r} var is the prompt")
    tools, tool_note = _provider_tools(config.get("providers"))
    if tool_note:
        notes.append(tool_note)
    records: list[tuple[str, Any]] = []
    unsupported: Counter = Counter()
    errors: list = []
    for t_index, test in enumerate(expanded, start=1):
        where = f"test {t_index}"
        if not isinstance(test, dict):
            errors.append((where, "test", "must be an object with vars and assert"))
            continue
        variables = {**(default_test.get("vars") or {}), **(test.get("vars") or {})}
        for key, value in list(variables.items()):
            variables[key] = _load_ref(value, files, where, f"vars.{key}", bare=False)
        graders = []
        asserts = list(default_test.get("assert") or []) + list(test.get("assert") or [])
        for a_index, spec in enumerate(asserts, start=1):
            try:
                graders.append(assert_to_grader(spec, judge_variant=judge_variant))
            except Unsupported as exc:
                if "judge" in str(exc):
                    errors.append((where, f"assert[{a_index}]", str(exc)))
                elif str(exc) == "transform":
                    unsupported["asserts with a JavaScript transform"] += 1
                else:
                    unsupported[str(spec.get("type") if isinstance(spec, dict) else spec)] += 1
        if (test.get("options") or {}).get("transform") and graders:
            unsupported["asserts of tests with options.transform"] += len(graders)
            graders = []
        grader: dict = {}
        if graders:
            grader = graders[0] if len(graders) == 1 and "threshold" not in test else {
                "type": "multi", "graders": graders,
                **({"pass_rule": "weighted", "threshold": test["threshold"]} if "threshold" in test
                   else {"pass_rule": "all"})}
        else:
            grader = {"type": "human", "rubric": str(test.get("description", ""))}
        metadata = {k: v for k, v in test.items() if k not in ("vars", "assert", "threshold", "description")}
        for v_index, combo in enumerate(_expand_vars(variables), start=1):
            for p_index, (label, template) in enumerate(prompts, start=1):
                try:
                    rendered = render(template, combo)
                except ValueError as exc:
                    errors.append((where, "vars" if "variable" in str(exc) else "prompts", f"{label}: {exc}"))
                    continue
                ident = str(t_index) + (f".{v_index}" if v_index > 1 or len(_expand_vars(variables)) > 1 else "")
                ident += f"-p{p_index}" if len(prompts) > 1 else ""
                record = {"id": ident, "input": _prompt_input(rendered), "grader": grader,
                          "group": str(t_index), "category": label if len(prompts) > 1 else "",
                          "metadata": {"vars": combo, **({"description": test["description"]}
                                                         if test.get("description") else {}), **metadata}}
                if "context" in combo:
                    record["context"] = combo["context"]
                if tools:
                    record["tools"] = tools
                records.append((where, record))
    if errors:
        raise importers.ImportRejected(errors)
    items = importers.items_from_records(records, errors=errors)
    importers.finish_items(items, errors)
    if unsupported:
        notes.append("assertions left out (EvalHub cannot run them): "
                     + ", ".join(f"{k} ×{n}" for k, n in sorted(unsupported.items())))
    if any(g.get("type") == "human" for g in (i.grader for i in items)):
        notes.append("tests without assertions are graded by reviewers (human rubric)")
    providers = config.get("providers")
    if providers:
        names = [p if isinstance(p, str) else str(p.get("id", "?")) for p in (providers if isinstance(providers, list)
                                                                             else [providers])]
        notes.append(f"providers not imported ({', '.join(names)}): run the suite against registered variants")
    metadata = {k: v for k, v in config.items() if k not in ("prompts", "tests", "defaultTest", "description")}
    return importers.ParsedSuite(items, SourceFormat.PROMPTFOO, "", str(config.get("description", "")), {},
                                 metadata, notes)


def _provider_tools(providers: Any) -> tuple[list, str]:
    """Tools promptfoo gives a provider (``config.tools``) become every item's tools, when in OpenAI's form."""
    for provider in providers if isinstance(providers, list) else [providers]:
        raw = ((provider or {}).get("config") or {}).get("tools") if isinstance(provider, dict) else None
        if raw:
            try:
                return validate_tools(raw), f"tools of provider {provider.get('id', '?')} sent with every item"
            except ValueError:
                return [], f"tools of provider {provider.get('id', '?')} not imported: not in OpenAI's tool format"
    return [], ""


def parse_promptfoo_tests_csv(text: str, *, default_grader: dict | None = None) -> importers.ParsedSuite:
    return parse_promptfoo(_csv_tests(text), files={}, default_grader=default_grader)


def main_file(files: dict[str, str]) -> str | None:
    """Of several uploaded files, the promptfoo config or registry YAML that refers to the others."""
    candidates = []
    for name, text in files.items():
        if not name.lower().endswith((".yaml", ".yml")):
            continue
        try:
            data = importers.load_yaml(text)
        except importers.ImportRejected:
            continue
        if isinstance(data, dict) and (is_openai_registry(data) or "prompts" in data or "providers" in data):
            candidates.append(name)
    return candidates[0] if len(candidates) == 1 else None
