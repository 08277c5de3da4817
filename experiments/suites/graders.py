"""Graders: turn a model output (and the item's targets) into a score in [0, 1], pass/fail and an explanation.

A grader is chosen by the item's ``grader`` config (``{"type": ..., options}``), falling back to the
version's default and then to ``{"type": "exact"}``. Types:

=================  ===========================================================================================
``exact``          normalised string equality with ANY target. Options ``ignore_case`` (true),
                   ``ignore_whitespace`` (true: trim and collapse), ``ignore_punctuation`` (false).
``any_of``         alias of ``exact`` (several targets are always any-of).
``regex``          ``pattern`` (or each target as a pattern) found with ``re.search``; ``ignore_case``.
``contains``       any target is a substring of the output; ``ignore_case`` (true).
``contains_all``   every target is a substring; score = fraction found, pass only when all are.
``numeric``        the FINAL number in the output (commas, signs, decimals) equals a target within
                   ``abs_tol`` (1e-6) or ``rel_tol`` (0).
``json``           the output (or its first ```json fence) parses; optional ``schema`` (JSON Schema, checked
                   at import), optional ``match_target``: score = share of the target object's keys equal.
``choice``         the multiple-choice letter (``Answer: B``, ``(B)``, ``B)``, a lone ``B``) equals a target;
                   ``choices`` (default ``ABCDE``).
``python``         a grader registered in code: ``entry_point`` (group ``evalhub.graders``) or ``path``, a
                   dotted path that must start with an allow-listed prefix (``SUITES_PYTHON_GRADER_ALLOWLIST``,
                   default ``experiments.suites.graders.``). Never code from an upload. The callable gets
                   ``(output, targets, config)`` and returns a ``Grade``, a float, a bool or ``(score, why)``.
``judge``          model-as-judge: ``judge_variant`` (slug) reads ``rubric``, the input, the targets and the
                   output and answers ``Score: 7/10 — why``; pass when score ≥ ``pass_threshold`` (0.5).
``human``          a reviewer grades against ``rubric``; the result stays pending until then.
=================  ===========================================================================================
"""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import re
import string
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jsonschema
from django.conf import settings

GRADER_TYPES = ("exact", "any_of", "regex", "contains", "contains_all", "numeric", "json", "choice",
                "python", "judge", "human")
MAX_PATTERN = 500


@dataclass(frozen=True)
class Grade:
    score: float | None
    passed: bool | None
    explanation: str
    extracted: str = ""

    @property
    def pending(self) -> bool:
        return self.score is None


JudgeCall = Callable[[str, list[dict]], str]  # (judge variant slug, messages) → judge's answer text


class GraderConfigError(ValueError):
    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        super().__init__(f"{field}: {problem}")


# ------------------------------------------------------------------------------------------- config


def validate_config(config: Any, targets: list) -> None:
    """Raise ``GraderConfigError`` naming the field when a grader config cannot work."""
    if not isinstance(config, dict):
        raise GraderConfigError("grader", "must be an object like {\"type\": \"exact\"}")
    kind = config.get("type", "exact")
    if kind not in GRADER_TYPES:
        raise GraderConfigError("grader.type", f"unknown grader {kind!r}; choose from {', '.join(GRADER_TYPES)}")
    needs_targets = {"exact", "any_of", "contains", "contains_all", "numeric", "choice"}
    if kind in needs_targets and not targets:
        raise GraderConfigError("target", f"the {kind} grader needs at least one target")
    if kind == "regex":
        patterns = [config["pattern"]] if config.get("pattern") else [str(t) for t in targets]
        if not patterns:
            raise GraderConfigError("grader.pattern", "give a pattern or targets")
        for pattern in patterns:
            if len(pattern) > MAX_PATTERN:
                raise GraderConfigError("grader.pattern", f"longer than {MAX_PATTERN} characters")
            try:
                re.compile(pattern)
            except re.error as exc:
                raise GraderConfigError("grader.pattern", f"invalid regular expression: {exc}") from None
    if kind == "numeric":
        for target in targets:
            if _to_number(str(target)) is None:
                raise GraderConfigError("target", f"{target!r} is not a number")
        for key in ("abs_tol", "rel_tol"):
            if key in config and (not isinstance(config[key], (int, float)) or config[key] < 0):
                raise GraderConfigError(f"grader.{key}", "must be a non-negative number")
    if kind == "json" and "schema" in config:
        try:
            jsonschema.validators.validator_for(config["schema"]).check_schema(config["schema"])
        except jsonschema.SchemaError as exc:
            raise GraderConfigError("grader.schema", f"invalid JSON Schema: {exc.message}") from None
    if kind == "python":
        resolve_python_grader(config)
    if kind == "judge" and not config.get("judge_variant"):
        raise GraderConfigError("grader.judge_variant", "the judge grader needs a judge_variant slug")


# ------------------------------------------------------------------------------------- extraction

_NUMBER = re.compile(r"[-−]?\$?\d[\d,]*(?:\.\d+)?")


def _to_number(text: str) -> float | None:
    try:
        return float(text.replace(",", "").replace("$", "").replace("−", "-"))
    except ValueError:
        return None


def final_number(output: str) -> float | None:
    """The last number in the text ("… so 12 * 8 = 96 and 96 − 15 = 81." → 81)."""
    matches = _NUMBER.findall(output or "")
    return _to_number(matches[-1]) if matches else None


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


_CHOICE_PATTERNS = (r"answer\s*(?:is)?\s*[:\-]?\s*\(?([A-Z])\)?\b", r"\(([A-Z])\)", r"^\s*([A-Z])[).:]", r"^\s*([A-Z])\s*$")


def choice_letter(output: str, choices: str = "ABCDE") -> str | None:
    for pattern in _CHOICE_PATTERNS:
        for match in re.finditer(pattern, output or "", flags=re.IGNORECASE | re.MULTILINE):
            letter = match.group(1).upper()
            if letter in choices:
                return letter
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
    kind = config.get("type", "exact")
    if kind == "numeric":
        value = final_number(output)
        return None if value is None else _format_number(value)
    if kind == "choice":
        return choice_letter(output, config.get("choices", "ABCDE"))
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


def grade_numeric(output: str, targets: list, config: dict) -> Grade:
    value = final_number(output)
    if value is None:
        return _pass(0.0, "no number in the output")
    abs_tol, rel_tol = float(config.get("abs_tol", 1e-6)), float(config.get("rel_tol", 0.0))
    for target in targets:
        expected = _to_number(str(target))
        if expected is not None and abs(value - expected) <= max(abs_tol, rel_tol * abs(expected)):
            return _pass(1.0, f"final number {_format_number(value)} equals {target}", _format_number(value))
    return _pass(0.0, f"final number {_format_number(value)} ≠ {', '.join(str(t) for t in targets)}",
                 _format_number(value))


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
        target = targets[0]
        if isinstance(target, dict) and isinstance(data, dict):
            equal = [k for k, v in target.items() if data.get(k) == v]
            wrong = [k for k in target if k not in equal]
            why = "all fields match the target" if not wrong else f"fields differ from the target: {', '.join(wrong)}"
            return Grade(len(equal) / max(1, len(target)), not wrong, why, extracted)
        return _pass(1.0 if data == target else 0.0, "equals the target" if data == target else "differs from the target",
                     extracted)
    return _pass(1.0, "valid JSON" + (" matching the schema" if "schema" in config else ""), extracted)


def grade_choice(output: str, targets: list, config: dict) -> Grade:
    letter = choice_letter(output, config.get("choices", "ABCDE"))
    if letter is None:
        return _pass(0.0, "no answer letter found")
    wanted = {str(t).strip().upper() for t in targets}
    return _pass(1.0 if letter in wanted else 0.0, f"answered {letter}; correct: {', '.join(sorted(wanted))}", letter)


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


JUDGE_SYSTEM = ("You are a judge grading an answer against a rubric. Reply with 'Score: N/10' on the first line, "
                "then one sentence explaining why.")
_JUDGE_SCORE = re.compile(r"score\s*[:=]\s*(\d+(?:\.\d+)?)\s*/\s*(\d+)", re.IGNORECASE)


def judge_messages(input_messages: list[dict], output: str, targets: list, rubric: str) -> list[dict]:
    question = "\n".join(str(m.get("content", "")) for m in input_messages if m.get("role") == "user")
    reference = f"\nReference answer: {targets[0]}" if targets else ""
    return [
        {"role": "system", "content": f"{JUDGE_SYSTEM}\nRubric: {rubric or 'correct, complete, clear'}\n"
                                      f"Question: {question}{reference}\nAnswer to grade: {output}"},
        {"role": "user", "content": "Grade the answer. Reply 'Score: N/10' then why."},
    ]


def parse_judge_score(text: str) -> tuple[float, str] | None:
    match = _JUDGE_SCORE.search(text or "")
    if not match or float(match.group(2)) <= 0:
        return None
    score = min(1.0, max(0.0, float(match.group(1)) / float(match.group(2))))
    why = (text[match.end():].strip(" \n—-:") or "no explanation given")[:500]
    return score, why


def grade_judge(output: str, targets: list, config: dict, *, input_messages: list[dict],
                judge: JudgeCall | None) -> Grade:
    if judge is None:
        raise GraderConfigError("grader.judge_variant", "no judge caller available")
    reply = judge(str(config["judge_variant"]), judge_messages(input_messages, output, targets, config.get("rubric", "")))
    parsed = parse_judge_score(reply)
    if parsed is None:
        return Grade(0.0, False, f"judge reply had no 'Score: N/10': {reply[:120]!r}")
    score, why = parsed
    return Grade(score, score >= float(config.get("pass_threshold", 0.5)), f"judge: {why}")


def grade(config: dict, output: str, targets: list, *, input_messages: list[dict] | None = None,
          judge: JudgeCall | None = None) -> Grade:
    """Grade one output. ``human`` returns a pending grade (score None)."""
    kind = config.get("type", "exact")
    if kind in ("exact", "any_of"):
        return grade_exact(output, targets, config)
    if kind == "regex":
        return grade_regex(output, targets, config)
    if kind in ("contains", "contains_all"):
        return grade_contains(output, targets, config, require_all=kind == "contains_all")
    if kind == "numeric":
        return grade_numeric(output, targets, config)
    if kind == "json":
        return grade_json(output, targets, config)
    if kind == "choice":
        return grade_choice(output, targets, config)
    if kind == "python":
        return grade_python(output, targets, config)
    if kind == "judge":
        return grade_judge(output, targets, config, input_messages=input_messages or [], judge=judge)
    if kind == "human":
        return Grade(None, None, "awaiting a reviewer's rubric grade")
    raise GraderConfigError("grader.type", f"unknown grader {kind!r}")
