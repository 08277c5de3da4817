"""Graders: turn a model output (and the item's targets) into a score in [0, 1], pass/fail and an explanation.

A grader is chosen by the item's ``grader`` config (``{"type": ..., options}``), falling back to the
version's default, then to ``choice`` for items with ``choices`` and ``exact`` otherwise. Every grader
takes ``negate: true`` (promptfoo's ``not-*``) and ``targets: [...]`` (its own targets instead of the
item's). Several graders per item: a list, or ``{"type": "multi", "pass_rule": "all" | "any" | "weighted",
"threshold": 0.8, "graders": [{..., "weight": 2}, ...]}`` — score = weighted mean (``any``: the best),
pass = all pass / any passes / score ≥ threshold; weight 0 reports without counting. Types:

=================  ===========================================================================================
``exact``          normalised string equality with ANY target. Options ``ignore_case`` (true),
                   ``ignore_whitespace`` (true: trim and collapse), ``ignore_punctuation`` (false).
``any_of``         alias of ``exact`` (several targets are always any-of).
``regex``          ``pattern`` (or each target as a pattern) found with ``re.search``; ``ignore_case``.
``contains``       any target is a substring of the output; ``ignore_case`` (true). ``contains_any``: alias.
``contains_all``   every target is a substring; score = fraction found, pass only when all are.
``starts_with``    the output (leading whitespace dropped) starts with a target; ``ignore_case`` (false).
``numeric``        the FINAL number in the output (commas, signs, decimals, ``1e3``, ``1/2``) equals a target
                   within ``abs_tol`` (1e-6) or ``rel_tol`` (0).
``json``           the output (or its first ```json fence) parses; optional ``schema`` (JSON Schema, checked
                   at import), optional ``match_target``: the best target (object: share of its keys equal;
                   array or value: equal, ``unordered`` arrays as multisets).
``choice``         the multiple-choice letter (``ANSWER: B``, ``Answer: (B)``, a lone ``B``; the last stated
                   answer wins over options restated on the way) equals a target; letters from the item's
                   ``choices`` (else ``choices``, default ``ABCDE``).
``answer``         inspect's ``answer()``: the text after ``ANSWER:`` — ``pattern`` ``letter``, ``word`` or
                   ``line`` — equals a target (case-insensitive).
``pattern``        inspect's ``pattern()``: a regex whose capture group(s) equal a target; ``match_all``.
``python``         a grader registered in code: ``entry_point`` (group ``evalhub.graders``) or ``path``, a
                   dotted path that must start with an allow-listed prefix (``SUITES_PYTHON_GRADER_ALLOWLIST``,
                   default ``experiments.suites.graders.``). Never code from an upload. The callable gets
                   ``(output, targets, config)`` and returns a ``Grade``, a float, a bool or ``(score, why)``.
``judge``          model-as-judge: ``judge_variant`` (or several: ``judge_variants``, scores averaged) reads
                   ``rubric``, the input, the targets and the output (or a ``prompt`` template with ``{input}``,
                   ``{output}``, ``{target}``, ``{context}``, ``{rubric}``) and answers ``Score: N/M — why``
                   (partial credit); pass when score ≥ ``pass_threshold`` (0.5).
``human``          a reviewer grades against ``rubric``; the result stays pending until then.
=================  ===========================================================================================

Library-backed text graders (``levenshtein``, ``similarity``, ``rouge_l``, ``rouge_n``, ``bleu``, ``token_f1``,
``fuzzy_match``, ``math``, ``xml``, ``html``, ``sql``, ``word_count``, ``char_count``) and response graders
(``latency``, ``cost``, ``finish_reason``, ``tool_call``, ``citations``, ``faithfulness``, ``relevance``) are in
``grader_library``.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import re
import string
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import jsonschema
from django.conf import settings

from experiments.suites.models import content_text

MAX_PATTERN = 500
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass(frozen=True)
class Grade:
    score: float | None
    passed: bool | None
    explanation: str
    extracted: str = ""
    parts: tuple = ()  # per-grader {"type", "score", "passed", "weight", "explanation"} of a multi grader
    usage: dict = field(default_factory=dict)  # judge calls made: calls, input/output tokens, cost_usd, latency_ms

    @property
    def pending(self) -> bool:
        return self.score is None


@dataclass(frozen=True)
class JudgeReply:
    """What a judge call returns when its usage is known (a plain ``str`` is accepted too)."""

    text: str
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    latency_ms: float = 0.0


@dataclass(frozen=True)
class Facts:
    """What is known besides the output text: the item's choices and passages, the response's numbers."""

    choices: tuple = ()
    context: tuple = ()
    tools: tuple = ()
    latency_ms: float | None = None
    cost_usd: float | None = None
    finish_reason: str = ""
    tool_calls: tuple = ()
    output_tokens: int | None = None


JudgeCall = Callable[[str, list[dict]], "str | JudgeReply"]  # (judge variant slug, messages) → judge's answer


class GraderConfigError(ValueError):
    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        super().__init__(f"{field}: {problem}")


# ------------------------------------------------------------------------------------------- config

CLASSIC_TYPES = ("exact", "any_of", "regex", "contains", "contains_any", "contains_all", "starts_with", "numeric",
                 "json", "choice", "answer", "pattern", "python", "judge", "human", "multi")
PASS_RULES = ("all", "any", "weighted")
JUDGE_TYPES = {"judge", "faithfulness", "relevance"}


def grader_types() -> tuple[str, ...]:
    from experiments.suites import grader_library

    return CLASSIC_TYPES + tuple(grader_library.GRADERS)


def normalise_config(value: Any) -> Any:
    """A list of configs means "all must pass"; ``{"graders": [...]}`` without a type is a multi grader."""
    if value is None:
        return {}
    if isinstance(value, list):
        return {"type": "multi", "pass_rule": "all", "graders": value}
    if isinstance(value, dict) and "graders" in value and "type" not in value:
        return {"type": "multi", **value}
    return value


def sub_configs(config: dict) -> list[dict]:
    """A config and every config nested in it (multi graders)."""
    out = [config]
    if isinstance(config, dict) and config.get("type") == "multi":
        for sub in config.get("graders") or []:
            if isinstance(sub, dict):
                out += sub_configs(sub)
    return out


def judge_slugs(config: dict) -> set[str]:
    slugs: set[str] = set()
    for sub in sub_configs(config):
        if sub.get("type") in JUDGE_TYPES:
            slugs |= {str(s) for s in ([sub.get("judge_variant")] + list(sub.get("judge_variants") or [])) if s}
    return slugs


def _validate_multi(config: dict, targets: list, choices: list | None, where: str) -> None:
    subs = config.get("graders")
    if not isinstance(subs, list) or not subs:
        raise GraderConfigError(f"{where}.graders", "a multi grader needs a non-empty list of graders")
    rule = config.get("pass_rule", "all")
    if rule not in PASS_RULES:
        raise GraderConfigError(f"{where}.pass_rule", f"choose {', '.join(PASS_RULES)}")
    if rule == "weighted" and not isinstance(config.get("threshold"), (int, float)):
        raise GraderConfigError(f"{where}.threshold", "the weighted pass rule needs a threshold in [0, 1]")
    if "threshold" in config and not (isinstance(config["threshold"], (int, float)) and 0 <= config["threshold"] <= 1):
        raise GraderConfigError(f"{where}.threshold", "must be a number in [0, 1]")
    for i, sub in enumerate(subs):
        sub_where = f"{where}.graders[{i}]"
        if not isinstance(sub, dict):
            raise GraderConfigError(sub_where, "must be an object like {\"type\": \"exact\"}")
        weight = sub.get("weight", 1)
        if not isinstance(weight, (int, float)) or isinstance(weight, bool) or weight < 0:
            raise GraderConfigError(f"{sub_where}.weight", "must be a non-negative number")
        validate_config(sub, targets, choices=choices, where=sub_where)
    if not any(sub.get("weight", 1) > 0 for sub in subs):
        raise GraderConfigError(f"{where}.graders", "at least one grader needs a weight above 0")


def validate_config(config: Any, targets: list, *, choices: list | None = None, where: str = "grader") -> None:
    """Raise ``GraderConfigError`` naming the field when a grader config cannot work."""
    from experiments.suites import grader_library

    config = normalise_config(config)
    if not isinstance(config, dict):
        raise GraderConfigError(where, "must be an object like {\"type\": \"exact\"}")
    kind = config.get("type", "exact")
    if kind not in grader_types():
        raise GraderConfigError(f"{where}.type", f"unknown grader {kind!r}; choose from {', '.join(grader_types())}")
    if kind == "multi":
        return _validate_multi(config, targets, choices, where)
    if "targets" in config:
        if not isinstance(config["targets"], list):
            raise GraderConfigError(f"{where}.targets", "must be a list")
        targets = config["targets"]
    needs_targets = {"exact", "any_of", "contains", "contains_any", "contains_all", "starts_with", "numeric", "choice",
                     "answer"} | grader_library.NEEDS_TARGETS
    if kind in needs_targets and not targets:
        raise GraderConfigError("target", f"the {kind} grader needs at least one target")
    if kind in ("regex", "pattern"):
        patterns = [config["pattern"]] if config.get("pattern") else [str(t) for t in targets]
        if kind == "pattern" and not config.get("pattern"):
            raise GraderConfigError(f"{where}.pattern", "the pattern grader needs a pattern with capture groups")
        if not patterns:
            raise GraderConfigError(f"{where}.pattern", "give a pattern or targets")
        for pattern in patterns:
            if not isinstance(pattern, str) or len(pattern) > MAX_PATTERN:
                raise GraderConfigError(f"{where}.pattern", f"must be a string of at most {MAX_PATTERN} characters")
            try:
                re.compile(pattern)
            except re.error as exc:
                raise GraderConfigError(f"{where}.pattern", f"invalid regular expression: {exc}") from None
    if kind == "numeric":
        for target in targets:
            if to_number(str(target)) is None:
                raise GraderConfigError("target", f"{target!r} is not a number")
        for key in ("abs_tol", "rel_tol"):
            if key in config and (not isinstance(config[key], (int, float)) or config[key] < 0):
                raise GraderConfigError(f"{where}.{key}", "must be a non-negative number")
    if kind == "json" and "schema" in config:
        try:
            jsonschema.validators.validator_for(config["schema"]).check_schema(config["schema"])
        except jsonschema.SchemaError as exc:
            raise GraderConfigError(f"{where}.schema", f"invalid JSON Schema: {exc.message}") from None
    if kind == "choice":
        letters = LETTERS[:len(choices)] if choices else str(config.get("choices", "ABCDE")).upper()
        wrong = [t for t in targets if str(t).strip().upper() not in letters]
        if wrong:
            raise GraderConfigError("target", f"{wrong[0]!r} is not one of the letters {letters}")
    if kind == "answer" and config.get("pattern", "letter") not in ("letter", "word", "line"):
        raise GraderConfigError(f"{where}.pattern", "choose letter, word or line")
    if kind == "python":
        resolve_python_grader(config)
    if kind in JUDGE_TYPES:
        if not config.get("judge_variant") and not config.get("judge_variants"):
            raise GraderConfigError(f"{where}.judge_variant", f"the {kind} grader needs a judge_variant slug")
        if "judge_variants" in config and (not isinstance(config["judge_variants"], list)
                                           or not all(isinstance(s, str) and s for s in config["judge_variants"])):
            raise GraderConfigError(f"{where}.judge_variants", "must be a list of variant slugs")
        if "prompt" in config:
            _check_template(str(config["prompt"]), f"{where}.prompt")
    grader_library.validate(kind, config, targets, where)


def _check_template(template: str, where: str) -> None:
    try:
        template.format_map(_TemplateVars(input="", output="", target="", context="", rubric=""))
    except (KeyError, ValueError, IndexError) as exc:
        raise GraderConfigError(where, f"bad template: {exc}; use {{input}}, {{output}}, {{target}}, {{context}}, "
                                       "{rubric} (double other braces)") from None


class _TemplateVars(dict):
    def __missing__(self, key: str) -> str:
        raise KeyError(key)


def validate_tools(tools: Any) -> list:
    """OpenAI-style tool definitions: ``[{"type": "function", "function": {"name", "parameters"?}}]``."""
    if not isinstance(tools, list):
        raise ValueError("must be a list of tool definitions")
    out = []
    for i, tool in enumerate(tools):
        function = tool.get("function") if isinstance(tool, dict) and "function" in tool else tool
        if not isinstance(function, dict) or not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", str(function.get("name", ""))):
            raise ValueError(f"tool {i} needs a function name (letters, digits, _ . -)")
        if "parameters" in function and not isinstance(function["parameters"], dict):
            raise ValueError(f"tool {i}: parameters must be a JSON Schema object")
        out.append({"type": "function", "function": function})
    return out


def validate_context(context: Any) -> list:
    """Retrieved passages: strings or ``{"id", "text"}``; ids default to 1, 2, ..."""
    if isinstance(context, str):
        context = [context]
    if not isinstance(context, list):
        raise ValueError("must be a list of passages")
    out = []
    for i, passage in enumerate(context, start=1):
        if isinstance(passage, str):
            passage = {"id": str(i), "text": passage}
        if not isinstance(passage, dict) or not isinstance(passage.get("text"), str):
            raise ValueError(f"passage {i} must be a string or {{\"id\", \"text\"}}")
        out.append({**passage, "id": str(passage.get("id", i))})
    return out


# ------------------------------------------------------------------------------------- extraction

_NUMBER = re.compile(r"[-−]?\$?\d[\d,]*(?:\.\d+)?(?:[eE][-+]?\d+)?(?:/\d+(?:\.\d+)?)?")


def to_number(text: str) -> float | None:
    """A number as people write it: ``1,200``, ``$3``, ``−2``, ``1e3``, ``1/2``."""
    cleaned = text.strip().replace(",", "").replace("$", "").replace("−", "-")
    try:
        return float(Fraction(cleaned)) if "/" in cleaned else float(cleaned)
    except (ValueError, ZeroDivisionError):
        return None


_to_number = to_number


def final_number(output: str) -> float | None:
    """The last number in the text ("… so 12 * 8 = 96 and 96 − 15 = 81." → 81)."""
    matches = _NUMBER.findall(output or "")
    return to_number(matches[-1]) if matches else None


def _format_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(round(value, 9))


def _normalise(text: str, config: dict) -> str:
    text = str(text)
    if config.get("ignore_case", True):
        text = text.lower()
    if config.get("ignore_punctuation", False):
        text = text.translate(str.maketrans("", "", string.punctuation))
    if config.get("ignore_whitespace", True):
        text = " ".join(text.split())
    return text


# "ANSWER: B", "The answer is (C)", "Final answer: **d**": a lower-case letter counts only when it ends the line,
# so "the answer is **a** bit long" is not an answer of A.
_STATED = re.compile(r"(?i:answer)(?:\s+(?i:is))?\s*[:\-]?\s*\**\s*\(?\s*([A-Za-z])(?![\w'’])(?=([^\n]*))",
                     re.MULTILINE)
_LONE = re.compile(r"^\s*\**\(?([A-Z])\)?\**\s*\.?\s*$", re.MULTILINE)
_NAMED = re.compile(r"\(([A-Z])\)|^\s*([A-Z])[).:]", re.MULTILINE)


def choice_letter(output: str, choices: str = "ABCDE", options: list | tuple = ()) -> str | None:
    """The stated answer letter. The LAST stated answer wins (a model restates options, then answers); then a
    line that is just a letter; then an option named alone. ``options`` (texts) match an answer given as text."""
    text = output or ""
    stated = [m.group(1).upper() for m in _STATED.finditer(text)
              if m.group(1).isupper() or not m.group(2).strip(" )*.")]
    stated = [s for s in stated if s in choices]
    if stated:
        return stated[-1]
    lone = [m.group(1) for m in _LONE.finditer(text) if m.group(1) in choices]
    if lone:
        return lone[-1]
    named = {(m.group(1) or m.group(2)) for m in _NAMED.finditer(text)} & set(choices)
    if len(named) == 1:
        return named.pop()
    if options:
        said = _normalise(text, {"ignore_punctuation": True})
        hits = [LETTERS[i] for i, o in enumerate(options) if said == _normalise(str(o), {"ignore_punctuation": True})]
        if len(hits) == 1:
            return hits[0]
    return None


def parse_json_output(output: str) -> Any:
    """Parse the output as JSON, or the first fenced ```json block; raises ValueError."""
    text = (output or "").strip()
    fence = re.search(r"```(?:json)?\s*(.*?)```", text, flags=re.DOTALL)
    if fence:
        text = fence.group(1).strip()
    return json.loads(text)


def extract_answer(config: dict, output: str) -> str | None:
    """The answer self-consistency votes over: the final number, the letter, canonical JSON or the text."""
    config = normalise_config(config)
    kind = config.get("type", "exact")
    if kind == "multi":
        return extract_answer(config["graders"][0], output)
    if kind == "numeric":
        value = final_number(output)
        return None if value is None else _format_number(value)
    if kind == "choice":
        return choice_letter(output, str(config.get("choices", "ABCDE")))
    if kind == "json":
        try:
            return json.dumps(parse_json_output(output), sort_keys=True)
        except ValueError:
            return None
    text = _normalise(output, {"ignore_case": True, "ignore_whitespace": True, "ignore_punctuation": True})
    return text or None


# ----------------------------------------------------------------------------------------- grading


def _pass(score: float, explanation: str, extracted: str = "") -> Grade:
    return Grade(score, score >= 1.0, explanation, extracted)


def grade_exact(output: str, targets: list, config: dict) -> Grade:
    got = _normalise(output, config)
    for target in targets:
        if got == _normalise(str(target), config):
            return _pass(1.0, f"matches target {str(target)!r}", got)
    return _pass(0.0, f"{got[:80]!r} matches none of {len(targets)} target(s)", got)


def grade_regex(output: str, targets: list, config: dict) -> Grade:
    flags = re.IGNORECASE if config.get("ignore_case", False) else 0
    patterns = [config["pattern"]] if config.get("pattern") else [str(t) for t in targets]
    for pattern in patterns:
        match = re.search(pattern, output or "", flags)
        if match:
            return _pass(1.0, f"/{pattern}/ found {match.group(0)[:60]!r}", match.group(0))
    return _pass(0.0, f"no match for {' or '.join(f'/{p}/' for p in patterns)}")


def grade_contains(output: str, targets: list, config: dict, *, require_all: bool) -> Grade:
    fold = config.get("ignore_case", True)
    haystack = (output or "").lower() if fold else (output or "")
    found = [t for t in targets if (str(t).lower() if fold else str(t)) in haystack]
    if require_all:
        missing = [str(t) for t in targets if t not in found]
        score = len(found) / len(targets)
        why = "contains all targets" if not missing else f"missing {', '.join(repr(m) for m in missing[:5])}"
        return Grade(score, not missing, why)
    if found:
        return _pass(1.0, f"contains {str(found[0])!r}")
    return _pass(0.0, "contains none of the targets")


def grade_starts_with(output: str, targets: list, config: dict) -> Grade:
    fold = config.get("ignore_case", False)
    text = (output or "").lstrip()
    for target in targets:
        want = str(target)
        if (text.lower().startswith(want.lower()) if fold else text.startswith(want)):
            return _pass(1.0, f"starts with {want!r}", want)
    return _pass(0.0, f"{text[:40]!r} starts with none of {len(targets)} target(s)")


def grade_numeric(output: str, targets: list, config: dict) -> Grade:
    value = final_number(output)
    if value is None:
        return _pass(0.0, "no number in the output")
    abs_tol, rel_tol = float(config.get("abs_tol", 1e-6)), float(config.get("rel_tol", 0.0))
    for target in targets:
        expected = to_number(str(target))
        if expected is not None and abs(value - expected) <= max(abs_tol, rel_tol * abs(expected)):
            return _pass(1.0, f"final number {_format_number(value)} equals {target}", _format_number(value))
    return _pass(0.0, f"final number {_format_number(value)} ≠ {', '.join(str(t) for t in targets)}",
                 _format_number(value))


def _json_target(target: Any) -> Any:
    if isinstance(target, str):
        try:
            return json.loads(target)
        except ValueError:
            return target
    return target


def _match_json(data: Any, target: Any, unordered: bool) -> tuple[float, str]:
    if isinstance(target, dict) and isinstance(data, dict):
        equal = [k for k, v in target.items() if data.get(k) == v]
        wrong = [k for k in target if k not in equal]
        why = "all fields match the target" if not wrong else f"fields differ from the target: {', '.join(wrong)}"
        return len(equal) / max(1, len(target)), why
    if unordered and isinstance(target, list) and isinstance(data, list):
        same = Counter(json.dumps(x, sort_keys=True) for x in data) == Counter(json.dumps(x, sort_keys=True)
                                                                              for x in target)
        return (1.0, "same elements as the target") if same else (0.0, "elements differ from the target")
    return (1.0, "equals the target") if data == target else (0.0, "differs from the target")


def grade_json(output: str, targets: list, config: dict) -> Grade:
    try:
        data = parse_json_output(output)
    except ValueError as exc:
        return _pass(0.0, f"not valid JSON: {exc}")
    extracted = json.dumps(data, sort_keys=True)
    if "schema" in config:
        errors = sorted(jsonschema.validators.validator_for(config["schema"])(config["schema"]).iter_errors(data),
                        key=lambda e: list(e.path))
        if errors:
            where = "/".join(str(p) for p in errors[0].absolute_path) or "(root)"
            return _pass(0.0, f"JSON Schema: {where}: {errors[0].message}", extracted)
    if config.get("match_target") and targets:
        best = max((_match_json(data, _json_target(t), bool(config.get("unordered"))) for t in targets),
                   key=lambda pair: pair[0])
        suffix = f" (best of {len(targets)} targets)" if len(targets) > 1 else ""
        return Grade(best[0], best[0] >= 1.0, best[1] + suffix, extracted)
    return _pass(1.0, "valid JSON" + (" matching the schema" if "schema" in config else ""), extracted)


def grade_choice(output: str, targets: list, config: dict, facts: Facts) -> Grade:
    letters = LETTERS[:len(facts.choices)] if facts.choices else str(config.get("choices", "ABCDE")).upper()
    letter = choice_letter(output, letters, facts.choices)
    if letter is None:
        return _pass(0.0, "no answer letter found")
    wanted = {str(t).strip().upper() for t in targets}
    return _pass(1.0 if letter in wanted else 0.0, f"answered {letter}; correct: {', '.join(sorted(wanted))}", letter)


_ANSWER_LINE = re.compile(r"ANSWER\s*:\s*([^\n]*)", re.IGNORECASE)


def grade_answer(output: str, targets: list, config: dict) -> Grade:
    """inspect_ai's ``answer(pattern)`` scorer: the text after the last ``ANSWER:``."""
    matches = _ANSWER_LINE.findall(output or "")
    if not matches:
        return _pass(0.0, "no 'ANSWER:' line")
    line = matches[-1].strip()
    kind = config.get("pattern", "letter")
    got = line[:1] if kind == "letter" else (line.split()[0].strip(string.punctuation) if line.split() else "")
    got = got if kind != "line" else line
    for target in targets:
        if got.lower() == str(target).strip().lower():
            return _pass(1.0, f"ANSWER: {got!r} equals the target", got)
    return _pass(0.0, f"ANSWER: {got!r} is none of {', '.join(repr(str(t)) for t in targets)}", got)


def grade_pattern(output: str, targets: list, config: dict) -> Grade:
    """inspect_ai's ``pattern()`` scorer: the capture group(s) of ``pattern`` equal a target (any group, or
    every group with ``match_all``); without targets, a match passes."""
    flags = re.IGNORECASE if config.get("ignore_case", True) else 0
    match = re.search(config["pattern"], output or "", flags)
    if not match:
        return _pass(0.0, f"no match for /{config['pattern']}/")
    groups = [g for g in match.groups() if g is not None] or [match.group(0)]
    if not targets:
        return _pass(1.0, f"matched {groups[0]!r}", groups[0])
    wanted = {str(t).strip().lower() for t in targets}
    hits = [g for g in groups if g.strip().lower() in wanted]
    ok = len(hits) == len(groups) if config.get("match_all") else bool(hits)
    return _pass(1.0 if ok else 0.0, f"captured {', '.join(repr(g) for g in groups)}; target(s) "
                                     f"{', '.join(repr(str(t)) for t in targets)}", groups[0])


def resolve_python_grader(config: dict) -> Callable[..., Any]:
    """Find a code-registered grader by entry point or allow-listed dotted path (never uploaded code)."""
    if config.get("entry_point"):
        name = str(config["entry_point"])
        for entry in importlib.metadata.entry_points(group="evalhub.graders"):
            if entry.name == name:
                return entry.load()
        raise GraderConfigError("grader.entry_point", f"no 'evalhub.graders' entry point named {name!r}")
    path = str(config.get("path") or "")
    allowed = tuple(getattr(settings, "SUITES_PYTHON_GRADER_ALLOWLIST", ("experiments.suites.graders.",)))
    if not path:
        raise GraderConfigError("grader.path", "give an allow-listed dotted path or an entry_point")
    if not path.startswith(allowed) or not re.fullmatch(r"[A-Za-z_][\w.]*", path):
        raise GraderConfigError("grader.path", f"{path!r} is not under an allow-listed prefix ({', '.join(allowed)})")
    module_name, _, attr = path.rpartition(".")
    try:
        function = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError):
        raise GraderConfigError("grader.path", f"cannot import {path!r}") from None
    if not callable(function) or not getattr(function, "is_evalhub_grader", False):
        raise GraderConfigError("grader.path", f"{path!r} is not a registered grader (use @python_grader)")
    return function


def python_grader(function: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a function as usable by ``{"type": "python", "path": ...}`` (an explicit opt-in)."""
    function.is_evalhub_grader = True  # type: ignore[attr-defined]
    return function


@python_grader
def max_words(output: str, targets: list, config: dict) -> Grade:
    """Example code grader: pass when the output has at most ``config["limit"]`` words (default 50)."""
    limit = int(config.get("limit", 50))
    words = len((output or "").split())
    return _pass(1.0 if 0 < words <= limit else 0.0, f"{words} words (limit {limit})")


def grade_python(output: str, targets: list, config: dict) -> Grade:
    value = resolve_python_grader(config)(output, targets, config)
    if isinstance(value, Grade):
        score, passed, why = value.score, value.passed, value.explanation
    elif isinstance(value, tuple):
        score, why = float(value[0]), str(value[1])
        passed = score >= 1.0
    else:
        score, why = float(value), "python grader"
        passed = score >= 1.0
    if score is None or not 0.0 <= score <= 1.0:
        return Grade(0.0, False, f"python grader returned {score!r}, outside [0, 1]")
    return Grade(score, bool(passed), why)


# --------------------------------------------------------------------------------------------- judge

JUDGE_SYSTEM = ("You are a judge grading an answer against a rubric. Reply with 'Score: N/10' on the first line, "
                "then one sentence explaining why.")
_JUDGE_SCORE = re.compile(r"score\s*[:=]\s*(\d+(?:\.\d+)?)\s*/\s*(\d+)", re.IGNORECASE)


def _question(input_messages: list[dict]) -> str:
    return "\n".join(content_text(m.get("content")) for m in input_messages if m.get("role") == "user")


def judge_messages(input_messages: list[dict], output: str, targets: list, rubric: str) -> list[dict]:
    question = _question(input_messages)
    reference = f"\nReference answer: {targets[0]}" if targets else ""
    return [
        {"role": "system", "content": f"{JUDGE_SYSTEM}\nRubric: {rubric or 'correct, complete, clear'}\n"
                                      f"Question: {question}{reference}\nAnswer to grade: {output}"},
        {"role": "user", "content": "Grade the answer. Reply 'Score: N/10' then why."},
    ]


def template_messages(template: str, input_messages: list[dict], output: str, targets: list, rubric: str,
                      context: tuple = ()) -> list[dict]:
    passages = "\n".join(f"[{p['id']}] {p['text']}" for p in context)
    text = template.format_map(_TemplateVars(input=_question(input_messages), output=output,
                                             target=str(targets[0]) if targets else "", context=passages,
                                             rubric=rubric))
    return [{"role": "system", "content": JUDGE_SYSTEM}, {"role": "user", "content": text}]


def parse_judge_score(text: str) -> tuple[float, str] | None:
    match = _JUDGE_SCORE.search(text or "")
    if not match or float(match.group(2)) <= 0:
        return None
    score = min(1.0, max(0.0, float(match.group(1)) / float(match.group(2))))
    why = (text[match.end():].strip(" \n—-:") or "no explanation given")[:500]
    return score, why


def add_usage(total: dict, reply: JudgeReply) -> dict:
    return {"calls": total.get("calls", 0) + 1, "input_tokens": total.get("input_tokens", 0) + reply.input_tokens,
            "output_tokens": total.get("output_tokens", 0) + reply.output_tokens,
            "cost_usd": round(total.get("cost_usd", 0.0) + float(reply.cost_usd), 8),
            "latency_ms": total.get("latency_ms", 0.0) + reply.latency_ms}


def merge_usage(a: dict, b: dict) -> dict:
    if not a or not b:
        return dict(a or b)
    return {k: (round(a.get(k, 0) + b.get(k, 0), 8) if k == "cost_usd" else a.get(k, 0) + b.get(k, 0))
            for k in set(a) | set(b)}


def run_judges(config: dict, messages: list[dict], judge: JudgeCall | None) -> Grade:
    """Ask every judge of the config; the score is their mean (partial credit); unparseable replies score 0."""
    if judge is None:
        raise GraderConfigError("grader.judge_variant", "no judge caller available")
    slugs = list(config.get("judge_variants") or [config["judge_variant"]])
    usage: dict = {}
    scores, whys = [], []
    for slug in slugs:
        reply = judge(str(slug), messages)
        reply = reply if isinstance(reply, JudgeReply) else JudgeReply(str(reply))
        usage = add_usage(usage, reply)
        parsed = parse_judge_score(reply.text)
        if parsed is None:
            scores.append(0.0)
            whys.append(f"{slug}: reply had no 'Score: N/10': {reply.text[:120]!r}")
        else:
            scores.append(parsed[0])
            whys.append(parsed[1] if len(slugs) == 1 else f"{slug}: {parsed[0]:.2f} {parsed[1]}")
    score = sum(scores) / len(scores)
    prefix = "judge: " if len(slugs) == 1 else f"{len(slugs)} judges, mean {score:.2f}: "
    return Grade(score, score >= float(config.get("pass_threshold", 0.5)), prefix + " | ".join(whys), usage=usage)


def grade_judge(output: str, targets: list, config: dict, *, input_messages: list[dict],
                judge: JudgeCall | None, facts: Facts | None = None) -> Grade:
    facts = facts or Facts()
    if config.get("prompt"):
        messages = template_messages(str(config["prompt"]), input_messages, output, targets,
                                     str(config.get("rubric", "")), facts.context)
    else:
        messages = judge_messages(input_messages, output, targets, config.get("rubric", ""))
    return run_judges(config, messages, judge)


# --------------------------------------------------------------------------------------------- multi


def grade_multi(output: str, targets: list, config: dict, **kwargs: Any) -> Grade:
    parts, usage = [], {}
    for sub in config["graders"]:
        result = grade(sub, output, targets, **kwargs)
        usage = merge_usage(usage, result.usage)
        parts.append({"type": sub.get("type", "exact"), "weight": sub.get("weight", 1), "score": result.score,
                      "passed": result.passed, "explanation": result.explanation[:300], "extracted": result.extracted})
    return combine_parts(config, parts, usage)


def combine_parts(config: dict, parts: list[dict], usage: dict | None = None) -> Grade:
    """A multi grader's grade from its parts' grades (also when a reviewer completes a human part later)."""
    rule = config.get("pass_rule", "all")
    usage = usage or {}
    counted = [p for p in parts if p["weight"] > 0]
    if any(p["score"] is None for p in counted):
        return Grade(None, None, "awaiting a reviewer's grade for part of this item", parts=tuple(parts), usage=usage)
    total = sum(p["weight"] for p in counted)
    if rule == "any":
        score = max(p["score"] for p in counted)
        passed = any(p["passed"] for p in counted)
    else:
        score = sum(p["weight"] * p["score"] for p in counted) / total
        passed = score >= float(config["threshold"]) if rule == "weighted" or "threshold" in config else all(
            p["passed"] for p in counted)
    failing = [p["type"] for p in counted if not p["passed"]]
    why = (f"{len(counted) - len(failing)}/{len(counted)} graders pass ({rule}"
           + (f", threshold {config['threshold']}" if "threshold" in config else "") + ")"
           + (f"; failing: {', '.join(failing)}" if failing else ""))
    extracted = next((p["extracted"] for p in parts if p["extracted"]), "")
    return Grade(score, passed, why, extracted, tuple(parts), usage)


def grade(config: dict, output: str, targets: list, *, input_messages: list[dict] | None = None,
          judge: JudgeCall | None = None, facts: Facts | None = None) -> Grade:
    """Grade one output. ``human`` returns a pending grade (score None)."""
    from experiments.suites import grader_library

    config = normalise_config(config) or {"type": "exact"}
    facts = facts or Facts()
    kind = config.get("type", "exact")
    if kind == "multi":
        return grade_multi(output, targets, config, input_messages=input_messages, judge=judge, facts=facts)
    targets = config.get("targets", targets)
    if kind in ("exact", "any_of"):
        result = grade_exact(output, targets, config)
    elif kind == "regex":
        result = grade_regex(output, targets, config)
    elif kind in ("contains", "contains_any", "contains_all"):
        result = grade_contains(output, targets, config, require_all=kind == "contains_all")
    elif kind == "starts_with":
        result = grade_starts_with(output, targets, config)
    elif kind == "numeric":
        result = grade_numeric(output, targets, config)
    elif kind == "json":
        result = grade_json(output, targets, config)
    elif kind == "choice":
        result = grade_choice(output, targets, config, facts)
    elif kind == "answer":
        result = grade_answer(output, targets, config)
    elif kind == "pattern":
        result = grade_pattern(output, targets, config)
    elif kind == "python":
        result = grade_python(output, targets, config)
    elif kind == "judge":
        result = grade_judge(output, targets, config, input_messages=input_messages or [], judge=judge, facts=facts)
    elif kind == "human":
        result = Grade(None, None, "awaiting a reviewer's rubric grade")
    elif kind in grader_library.GRADERS:
        result = grader_library.grade(kind, output, targets, config, facts=facts,
                                      input_messages=input_messages or [], judge=judge)
    else:
        raise GraderConfigError("grader.type", f"unknown grader {kind!r}")
    if config.get("negate") and result.score is not None:
        return Grade(1.0 - result.score, not result.passed, f"not: {result.explanation}", result.extracted,
                     result.parts, result.usage)
    return result
