"""Graders built on well-kept libraries, and graders of the response beyond its text.

=================  ===========================================================================================
``levenshtein``    edit distance to the nearest target (rapidfuzz) ≤ ``max_distance`` (5); score = 1 − normalised
                   distance.
``similarity``     rapidfuzz ``ratio`` (or ``method``: ``token_set_ratio``, ``partial_ratio``, ...) / 100 ≥
                   ``threshold`` (0.8).
``rouge_l``        ROUGE-L F1 against the best target (Google's ``rouge-score``), ≥ ``threshold`` (0.5);
                   ``rouge_n``: ROUGE-``n`` (1).
``bleu``           sentence BLEU against all targets as references (sacrebleu) / 100 ≥ ``threshold`` (0.5).
``token_f1``       SQuAD's token F1 (lower case, no punctuation or articles) against the best target ≥
                   ``threshold`` (1.0 = exact after normalisation).
``fuzzy_match``    OpenAI evals' FuzzyMatch: normalised output and a target contain one another.
``math``           the answer (last ``\\boxed{}``, else after the last ``answer is`` / ``ANSWER:`` / ``=``) equals a
                   target symbolically (sympy; LaTeX ``\\frac``, ``\\sqrt``, ``^`` understood).
``xml`` / ``html`` / ``sql``  the output (or its fenced block) is well-formed XML (defusedxml), balanced HTML with at
                   least one element, or SQL that parses (sqlglot, ``dialect``).
``word_count`` / ``char_count``  ``min`` ≤ count ≤ ``max``.
``latency`` / ``cost``  the call's latency ≤ ``max_ms`` / cost ≤ ``max_usd``.
``finish_reason``  the endpoint's finish reason equals ``value`` (e.g. ``stop``, not ``length``).
``tool_call``      the model's tool calls match the expected ``calls`` (or the targets): name, JSON arguments
                   (``arguments``: ``exact``, ``f1`` over key/value pairs, ``ignore``), ``order`` (true). Extra
                   or missing calls lower the score.
``citations``      the output cites passages (``[1]``, ``[doc-id]``) and every cited id exists in the item's
                   ``context``; score = share of valid citations.
``faithfulness``   a judge scores how far every claim is supported by the item's ``context``.
``relevance``      a judge scores how directly the output answers the input.
=================  ===========================================================================================
"""

from __future__ import annotations

import html.parser
import json
import re
import string
from collections import Counter
from typing import Any
from xml.etree.ElementTree import ParseError

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from experiments.suites.graders import Facts, Grade, GraderConfigError, JudgeCall, run_judges, template_messages

NEEDS_TARGETS = {"levenshtein", "similarity", "rouge_l", "rouge_n", "bleu", "token_f1", "fuzzy_match", "math"}
RAPIDFUZZ_METHODS = ("ratio", "partial_ratio", "token_sort_ratio", "token_set_ratio", "WRatio", "QRatio")
MAX_MATH_CHARS = 200


def _pass(score: float, passed: bool, why: str, extracted: str = "") -> Grade:
    return Grade(max(0.0, min(1.0, score)), passed, why, extracted)


def _fenced(output: str) -> str:
    fence = re.search(r"```[\w-]*\s*(.*?)```", output or "", flags=re.DOTALL)
    return (fence.group(1) if fence else output or "").strip()


# ------------------------------------------------------------------------------------- similarity


def grade_levenshtein(output: str, targets: list, config: dict, facts: Facts) -> Grade:
    from rapidfuzz.distance import Levenshtein

    limit = int(config.get("max_distance", 5))
    best = min(targets, key=lambda t: Levenshtein.distance(output or "", str(t)))
    distance = Levenshtein.distance(output or "", str(best))
    score = Levenshtein.normalized_similarity(output or "", str(best))
    return _pass(score, distance <= limit, f"edit distance {distance} to {str(best)[:40]!r} (max {limit})")


def grade_similarity(output: str, targets: list, config: dict, facts: Facts) -> Grade:
    from rapidfuzz import fuzz

    scorer = getattr(fuzz, str(config.get("method", "ratio")))
    score = max(scorer(output or "", str(t)) for t in targets) / 100.0
    threshold = float(config.get("threshold", 0.8))
    return _pass(score, score >= threshold, f"{config.get('method', 'ratio')} {score:.3f} (threshold {threshold})")


def grade_rouge(output: str, targets: list, config: dict, facts: Facts, *, kind: str) -> Grade:
    from rouge_score import rouge_scorer

    name = "rougeL" if kind == "rouge_l" else f"rouge{int(config.get('n', 1))}"
    scorer = rouge_scorer.RougeScorer([name], use_stemmer=bool(config.get("stemmer", False)))
    score = max(scorer.score(str(t), output or "")[name].fmeasure for t in targets)
    threshold = float(config.get("threshold", 0.5))
    return _pass(score, score >= threshold, f"{name} F1 {score:.3f} (threshold {threshold})")


def grade_bleu(output: str, targets: list, config: dict, facts: Facts) -> Grade:
    import sacrebleu

    score = sacrebleu.sentence_bleu(output or "", [str(t) for t in targets]).score / 100.0
    threshold = float(config.get("threshold", 0.5))
    return _pass(score, score >= threshold, f"BLEU {score * 100:.1f} (threshold {threshold * 100:.0f})")


def squad_normalise(text: str) -> str:
    """SQuAD v1.1's ``normalize_answer``: lower case, drop punctuation and articles, collapse whitespace."""
    text = "".join(ch for ch in str(text).lower() if ch not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def token_f1(prediction: str, truth: str) -> float:
    """SQuAD v1.1's ``f1_score`` over normalised tokens."""
    pred, gold = squad_normalise(prediction).split(), squad_normalise(truth).split()
    common = Counter(pred) & Counter(gold)
    same = sum(common.values())
    if not pred or not gold:
        return float(pred == gold)
    if same == 0:
        return 0.0
    precision, recall = same / len(pred), same / len(gold)
    return 2 * precision * recall / (precision + recall)


def grade_token_f1(output: str, targets: list, config: dict, facts: Facts) -> Grade:
    score = max(token_f1(output or "", str(t)) for t in targets)
    threshold = float(config.get("threshold", 1.0))
    return _pass(score, score >= threshold, f"token F1 {score:.3f} (threshold {threshold})")


def grade_fuzzy_match(output: str, targets: list, config: dict, facts: Facts) -> Grade:
    got = squad_normalise(output or "")
    for target in targets:
        want = squad_normalise(str(target))
        if got and want and (want in got or got in want):
            return _pass(1.0, True, f"fuzzy match with {str(target)[:40]!r}", got)
    return _pass(0.0, False, "no target and output contain one another after normalisation", got)


# ------------------------------------------------------------------------------------------- math

_MATH_NAMES = {"sqrt", "pi", "E", "exp", "log", "ln", "sin", "cos", "tan", "oo", "I"}


def _boxed(text: str) -> str | None:
    start = text.rfind("\\boxed{")
    if start < 0:
        return None
    depth, i = 0, start + len("\\boxed{") - 1
    for j in range(i, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            return text[i + 1:j]
    return None


def math_answer(output: str) -> str:
    text = output or ""
    boxed = _boxed(text)
    if boxed is not None:
        return boxed
    for pattern in (r"ANSWER\s*:\s*([^\n]+)", r"answer is\s*:?\s*([^\n]+)", r"=\s*([^=\n]+)$"):
        found = re.findall(pattern, text, flags=re.IGNORECASE | re.MULTILINE)
        if found:
            return found[-1].strip().rstrip(".")
    return text.strip().rstrip(".")


def _latex_to_sympy(text: str) -> str:
    text = text.replace("$", "").replace("\\left", "").replace("\\right", "").replace("\\!", "").replace("\\,", "")
    text = text.replace("\\cdot", "*").replace("\\times", "*").replace("\\pi", "pi").replace("^", "**")
    for _ in range(5):  # nested fractions
        text = re.sub(r"\\d?frac\{([^{}]*)\}\{([^{}]*)\}", r"((\1)/(\2))", text)
        text = re.sub(r"\\sqrt\{([^{}]*)\}", r"sqrt(\1)", text)
    return text.replace("{", "(").replace("}", ")").replace("\\", "")


def parse_math(text: str) -> Any:
    """A sympy expression from a short, checked string (sympy's parser evaluates Python: only numbers,
    operators, single-letter symbols and a few function names reach it)."""
    from sympy.parsing.sympy_parser import (
        convert_xor,
        implicit_multiplication_application,
        parse_expr,
        standard_transformations,
    )

    source = _latex_to_sympy(text.strip()).replace(",", "") if not re.search(r"\d,\d{1,2}\b", text) else text
    if len(source) > MAX_MATH_CHARS or not re.fullmatch(r"[\w\s+\-*/().%]*", source) or "__" in source:
        raise ValueError("not a short arithmetic or algebraic expression")
    for name in re.findall(r"[A-Za-z_]\w*", source):
        if len(name) > 1 and name not in _MATH_NAMES:
            raise ValueError(f"unknown name {name!r}")
    if re.search(r"[A-Za-z)]\s*\.", source):
        raise ValueError("attribute access is not allowed")
    # sympy evaluates powers exactly: 9**9**9 would keep a worker busy for good
    if source.count("**") > 2 or any(int(e) > 1000 for e in re.findall(r"\*\*\s*\(?\s*(\d+)", source)):
        raise ValueError("powers too large to check")
    source = source.replace("%", "/100").replace("ln", "log")
    return parse_expr(source, transformations=standard_transformations + (implicit_multiplication_application,
                                                                            convert_xor), evaluate=True)


def math_equal(a: str, b: str) -> bool:
    import sympy

    left, right = parse_math(a), parse_math(b)
    try:
        return bool(sympy.simplify(left - right) == 0)
    except (TypeError, ValueError):
        return bool(left == right)


def grade_math(output: str, targets: list, config: dict, facts: Facts) -> Grade:
    answer = math_answer(output)
    for target in targets:
        try:
            if math_equal(answer, str(target)):
                return _pass(1.0, True, f"{answer!r} equals {str(target)!r}", answer)
        except (ValueError, SyntaxError, TypeError, AttributeError, ZeroDivisionError) as exc:
            why = f"cannot read {answer[:60]!r} as math: {exc}"
            continue
    else:
        why = f"{answer[:60]!r} equals none of {', '.join(repr(str(t)) for t in targets)}"
    return _pass(0.0, False, why, answer)


# ------------------------------------------------------------------------------------------ validity


def grade_xml(output: str, targets: list, config: dict, facts: Facts) -> Grade:
    try:
        root = ElementTree.fromstring(_fenced(output))
    except (ParseError, DefusedXmlException) as exc:
        return _pass(0.0, False, f"not well-formed XML: {exc}")
    wanted = config.get("root")
    if wanted and root.tag != wanted:
        return _pass(0.0, False, f"root element is <{root.tag}>, not <{wanted}>")
    return _pass(1.0, True, f"well-formed XML, root <{root.tag}>")


_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _TagBalance(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.elements = 0
        self.problem = ""

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.elements += 1
        if tag not in _VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        self.elements += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problem = self.problem or f"</{tag}> closes {'<' + self.stack[-1] + '>' if self.stack else 'nothing'}"
        else:
            self.stack.pop()


def grade_html(output: str, targets: list, config: dict, facts: Facts) -> Grade:
    checker = _TagBalance()
    checker.feed(_fenced(output))
    checker.close()
    if not checker.elements:
        return _pass(0.0, False, "no HTML element")
    if checker.problem or checker.stack:
        return _pass(0.0, False, checker.problem or f"<{checker.stack[-1]}> is never closed")
    return _pass(1.0, True, f"balanced HTML, {checker.elements} elements")


def grade_sql(output: str, targets: list, config: dict, facts: Facts) -> Grade:
    import sqlglot
    from sqlglot.errors import SqlglotError

    text = _fenced(output)
    try:
        statements = [s for s in sqlglot.parse(text, read=config.get("dialect") or None) if s is not None]
    except SqlglotError as exc:
        return _pass(0.0, False, f"SQL does not parse: {str(exc).splitlines()[0][:200]}")
    if not statements:
        return _pass(0.0, False, "no SQL statement")
    return _pass(1.0, True, f"{len(statements)} SQL statement(s) parse")


# ----------------------------------------------------------------------------------------- counts


def _bounds(config: dict, value: float, unit: str) -> Grade:
    low, high = config.get("min"), config.get("max")
    ok = (low is None or value >= low) and (high is None or value <= high)
    limits = " and ".join([f"≥ {low}"] * (low is not None) + [f"≤ {high}"] * (high is not None))
    return _pass(1.0 if ok else 0.0, ok, f"{value:g} {unit} ({'within' if ok else 'outside'} {limits})")


def grade_word_count(output: str, targets: list, config: dict, facts: Facts) -> Grade:
    return _bounds(config, len((output or "").split()), "words")


def grade_char_count(output: str, targets: list, config: dict, facts: Facts) -> Grade:
    return _bounds(config, len(output or ""), "characters")


def grade_latency(output: str, targets: list, config: dict, facts: Facts) -> Grade:
    if facts.latency_ms is None:
        return _pass(0.0, False, "latency unknown for this output")
    limit = float(config["max_ms"])
    ok = facts.latency_ms <= limit
    return _pass(1.0 if ok else 0.0, ok, f"latency {facts.latency_ms:.0f} ms (max {limit:.0f})")


def grade_cost(output: str, targets: list, config: dict, facts: Facts) -> Grade:
    if facts.cost_usd is None:
        return _pass(0.0, False, "cost unknown for this output")
    limit = float(config["max_usd"])
    ok = facts.cost_usd <= limit
    return _pass(1.0 if ok else 0.0, ok, f"cost ${facts.cost_usd:.6f} (max ${limit:.6f})")


def grade_finish_reason(output: str, targets: list, config: dict, facts: Facts) -> Grade:
    want = str(config.get("value", "stop"))
    ok = (facts.finish_reason or "") == want
    return _pass(1.0 if ok else 0.0, ok, f"finish reason {facts.finish_reason or 'unknown'!r} (want {want!r})")


# ------------------------------------------------------------------------------------------ tool calls


def _arguments(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value) if value.strip() else {}
        except ValueError:
            return value
    return value if value is not None else {}


def _pairs(args: Any) -> Counter:
    if not isinstance(args, dict):
        return Counter([json.dumps(args, sort_keys=True)])
    return Counter(f"{k}={json.dumps(v, sort_keys=True)}" for k, v in args.items())


def _call_score(expected: dict, actual: dict, mode: str) -> float:
    if expected.get("name") != actual.get("name"):
        return 0.0
    if mode == "ignore":
        return 1.0
    want, got = _arguments(expected.get("arguments")), _arguments(actual.get("arguments"))
    if mode == "exact":
        return 1.0 if want == got else 0.0
    a, b = _pairs(want), _pairs(got)
    if not a and not b:
        return 1.0
    same = sum((a & b).values())
    return 2 * same / (sum(a.values()) + sum(b.values()))


def expected_calls(config: dict, targets: list) -> list[dict]:
    calls = config.get("calls", [] if config.get("valid") else targets)
    return [c.get("function", c) if isinstance(c, dict) else {"name": str(c)} for c in calls]


def grade_valid_calls(actual: list[dict], facts: Facts) -> Grade:
    """promptfoo's is-valid-openai-tools-call: at least one call, each naming one of the item's tools with JSON
    arguments that satisfy its parameters schema."""
    import jsonschema

    if not actual:
        return _pass(0.0, False, "no tool call")
    tools = {t["function"]["name"]: t["function"] for t in facts.tools}
    for call in actual:
        function = tools.get(call.get("name"))
        if function is None:
            return _pass(0.0, False, f"called {call.get('name')!r}, not one of the item's tools")
        args = _arguments(call.get("arguments"))
        if not isinstance(args, dict):
            return _pass(0.0, False, f"{call.get('name')}: arguments are not a JSON object")
        schema = function.get("parameters") or {"type": "object"}
        problem = next(iter(jsonschema.validators.validator_for(schema)(schema).iter_errors(args)), None)
        if problem is not None:
            return _pass(0.0, False, f"{call.get('name')}: {problem.message}")
    return _pass(1.0, True, f"{len(actual)} valid tool call(s)", ", ".join(str(c.get("name")) for c in actual))


def grade_tool_call(output: str, targets: list, config: dict, facts: Facts) -> Grade:
    actual = [c.get("function", c) if isinstance(c, dict) else {} for c in facts.tool_calls]
    if config.get("valid"):
        return grade_valid_calls(actual, facts)
    expected = expected_calls(config, targets)
    mode = str(config.get("arguments", "exact"))
    names = ", ".join(str(c.get("name")) for c in actual) or "no tool"
    if not expected:
        ok = not actual
        return _pass(1.0 if ok else 0.0, ok, f"called {names}; expected no tool call", names)
    if config.get("order", True):
        scores = [_call_score(e, a, mode) for e, a in zip(expected, actual, strict=False)]
    else:
        unused, scores = list(actual), []
        for e in expected:
            best = max(unused, key=lambda a, e=e: _call_score(e, a, mode), default=None)
            scores.append(_call_score(e, best, mode) if best is not None else 0.0)
            if best is not None:
                unused.remove(best)
    score = sum(scores) / max(len(expected), len(actual))
    want = ", ".join(str(c.get("name")) for c in expected)
    return _pass(score, score >= 1.0, f"called {names}; expected {want} (arguments {mode}): {score:.2f}", names)


def validate_calls(config: dict, targets: list, where: str) -> None:
    for i, call in enumerate(expected_calls(config, targets)):
        call = call.get("function", call) if isinstance(call, dict) else call
        if not isinstance(call, dict) or not call.get("name"):
            raise GraderConfigError(f"{where}.calls[{i}]", "each expected call needs a name (and arguments)")
        args = call.get("arguments", {})
        if isinstance(args, str) and args.strip():
            try:
                json.loads(args)
            except ValueError:
                raise GraderConfigError(f"{where}.calls[{i}].arguments", "must be a JSON object") from None


# ------------------------------------------------------------------------------------------ grounding

_CITATION = r"\[([^\[\]\n]{1,40})\]"
FAITHFULNESS_PROMPT = ("Context passages:\n{context}\n\nAnswer: {output}\n\nScore how fully every claim of the "
                       "answer is supported by the context passages (10: every claim supported, 0: none). "
                       "Reply 'Score: N/10' then why.")
RELEVANCE_PROMPT = ("Question: {input}\n\nAnswer: {output}\n\nScore how directly and completely the answer addresses "
                    "the question (10: fully, 0: not at all), whatever its correctness. Reply 'Score: N/10' then why.")


def grade_citations(output: str, targets: list, config: dict, facts: Facts) -> Grade:
    known = {str(p["id"]) for p in facts.context}
    cited = []
    for raw in re.findall(str(config.get("pattern", _CITATION)), output or ""):
        cited += [c.strip() for c in str(raw).split(",") if c.strip()]
    if not cited:
        return _pass(0.0, False, "cites no passage")
    valid = [c for c in cited if c in known]
    invalid = sorted(set(cited) - known)
    score = len(valid) / len(cited)
    why = f"{len(valid)}/{len(cited)} citations name a passage of the context"
    return _pass(score, not invalid, why + (f"; unknown: {', '.join(invalid[:5])}" if invalid else ""),
                 ",".join(dict.fromkeys(cited)))


def grade_grounding_judge(kind: str, output: str, targets: list, config: dict, facts: Facts,
                          input_messages: list[dict], judge: JudgeCall | None) -> Grade:
    if kind == "faithfulness" and not facts.context:
        return _pass(0.0, False, "the item has no context passages to be faithful to")
    template = str(config.get("prompt") or (FAITHFULNESS_PROMPT if kind == "faithfulness" else RELEVANCE_PROMPT))
    messages = template_messages(template, input_messages, output, targets, str(config.get("rubric", "")),
                                 facts.context)
    result = run_judges(config, messages, judge)
    return Grade(result.score, result.passed, f"{kind} {result.explanation}", usage=result.usage)


# -------------------------------------------------------------------------------------------- dispatch

GRADERS = {
    "levenshtein": grade_levenshtein, "similarity": grade_similarity, "rouge_l": None, "rouge_n": None,
    "bleu": grade_bleu, "token_f1": grade_token_f1, "fuzzy_match": grade_fuzzy_match, "math": grade_math,
    "xml": grade_xml, "html": grade_html, "sql": grade_sql, "word_count": grade_word_count,
    "char_count": grade_char_count, "latency": grade_latency, "cost": grade_cost, "finish_reason": grade_finish_reason,
    "tool_call": grade_tool_call, "citations": grade_citations, "faithfulness": None, "relevance": None,
}


def _number(config: dict, key: str, where: str, *, low: float = 0.0, high: float | None = None,
            required: bool = False) -> None:
    if key not in config:
        if required:
            raise GraderConfigError(f"{where}.{key}", "is required")
        return
    value = config[key]
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not number or value < low or (high is not None and value > high):
        raise GraderConfigError(f"{where}.{key}", f"must be a number ≥ {low}" + (f" and ≤ {high}" if high else ""))


def validate(kind: str, config: dict, targets: list, where: str) -> None:
    if kind in ("similarity", "rouge_l", "rouge_n", "bleu", "token_f1"):
        _number(config, "threshold", where, high=1.0)
    if kind == "similarity" and config.get("method", "ratio") not in RAPIDFUZZ_METHODS:
        raise GraderConfigError(f"{where}.method", f"choose {', '.join(RAPIDFUZZ_METHODS)}")
    if kind == "levenshtein":
        _number(config, "max_distance", where)
    if kind == "rouge_n":
        _number(config, "n", where, low=1, high=4)
    if kind in ("word_count", "char_count"):
        _number(config, "min", where)
        _number(config, "max", where)
        if "min" not in config and "max" not in config:
            raise GraderConfigError(f"{where}.max", "give min, max or both")
    if kind == "latency":
        _number(config, "max_ms", where, required=True)
    if kind == "cost":
        _number(config, "max_usd", where, required=True)
    if kind == "tool_call":
        if config.get("arguments", "exact") not in ("exact", "f1", "ignore"):
            raise GraderConfigError(f"{where}.arguments", "choose exact, f1 or ignore")
        validate_calls(config, targets, where)
    if kind == "math":
        for target in targets:
            try:
                parse_math(str(target))
            except (ValueError, SyntaxError, TypeError) as exc:
                raise GraderConfigError("target", f"{target!r} is not a math expression: {exc}") from None
    if kind == "citations" and "pattern" in config:
        try:
            re.compile(str(config["pattern"]))
        except re.error as exc:
            raise GraderConfigError(f"{where}.pattern", f"invalid regular expression: {exc}") from None


def grade(kind: str, output: str, targets: list, config: dict, *, facts: Facts, input_messages: list[dict],
          judge: JudgeCall | None) -> Grade:
    if kind in ("rouge_l", "rouge_n"):
        return grade_rouge(output, targets, config, facts, kind=kind)
    if kind in ("faithfulness", "relevance"):
        return grade_grounding_judge(kind, output, targets, config, facts, input_messages, judge)
    return GRADERS[kind](output, targets, config, facts)
