"""Parse suite files and recorded outputs. A file is accepted whole or rejected whole, naming line and field.

Suite item forms (one JSON object per line in JSONL; the ``items:`` list in YAML):

* EvalHub: ``{"id", "input", "target" | "targets", "category", "group", "grader"}`` — ``input`` is a
  prompt string or chat messages ``[{"role", "content"}]``; ``targets`` a list (any-of), ``target``
  one value; ``grader`` a grader config (see ``graders``), default the version's default grader.
* OpenAI evals samples: ``{"input": [messages], "ideal": "x" | ["x", "y"]}``.
* The common ``{"input": ..., "target": ...}``.

YAML files are ``{name?, description?, grader?: default config, items: [...]}`` (or a bare list).
Items without ``id`` get their 1-based line (JSONL) or position (YAML) as id.

Recorded outputs (JSONL): ``{"id": item id, "output": "...", "input_tokens"?, "output_tokens"?,
"reasoning_tokens"?, "latency_ms"?, "cost_usd"?}``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml

from experiments.suites import graders
from experiments.suites.models import SourceFormat

MAX_ITEMS = 50_000
ROLES = {"system", "user", "assistant", "developer", "tool"}
ITEM_KEYS = {"id", "external_id", "input", "target", "targets", "ideal", "category", "group", "grader"}


class ImportRejected(ValueError):
    """The file was rejected whole; ``errors`` lists ``(line, field, message)``."""

    def __init__(self, errors: list[tuple[int | None, str, str]]) -> None:
        self.errors = errors
        shown = "; ".join(f"{'line ' + str(line) + ': ' if line else ''}{fld}: {msg}" for line, fld, msg in errors[:10])
        more = f" (and {len(errors) - 10} more)" if len(errors) > 10 else ""
        super().__init__(f"file rejected, nothing imported: {shown}{more}")


@dataclass
class ParsedItem:
    external_id: str
    input: list[dict]
    targets: list
    category: str = ""
    group: str = ""
    grader: dict = field(default_factory=dict)


@dataclass
class ParsedSuite:
    items: list[ParsedItem]
    source_format: str
    name: str = ""
    description: str = ""
    default_grader: dict = field(default_factory=dict)


def _messages(value: Any) -> list[dict]:
    if isinstance(value, str):
        if not value.strip():
            raise ValueError("must not be empty")
        return [{"role": "user", "content": value}]
    if not isinstance(value, list) or not value:
        raise ValueError("must be a prompt string or a non-empty list of chat messages")
    out = []
    for i, message in enumerate(value):
        if not isinstance(message, dict) or message.get("role") not in ROLES or not isinstance(message.get("content"), str):
            raise ValueError(f"message {i} must be {{\"role\": one of {sorted(ROLES)}, \"content\": string}}")
        out.append({"role": message["role"], "content": message["content"]})
    if not any(m["role"] == "user" for m in out):
        raise ValueError("needs at least one user message")
    return out


def _item(record: Any, line: int, default_grader: dict, errors: list) -> tuple[ParsedItem | None, str]:
    if not isinstance(record, dict):
        errors.append((line, "item", "must be a JSON object"))
        return None, SourceFormat.JSONL
    unknown = sorted(set(record) - ITEM_KEYS)
    if unknown:
        errors.append((line, unknown[0], f"unknown field; allowed: {', '.join(sorted(ITEM_KEYS))}"))
    kind = SourceFormat.OPENAI_EVALS if "ideal" in record else (
        SourceFormat.INPUT_TARGET if set(record) <= {"input", "target"} else SourceFormat.JSONL)
    if "input" not in record:
        errors.append((line, "input", "is required"))
        return None, kind
    try:
        messages = _messages(record["input"])
    except ValueError as exc:
        errors.append((line, "input", str(exc)))
        return None, kind
    present = [k for k in ("target", "targets", "ideal") if k in record]
    if len(present) > 1:
        errors.append((line, present[1], f"give only one of {', '.join(present)}"))
    raw = record.get(present[0]) if present else None
    targets = raw if isinstance(raw, list) else ([] if raw is None else [raw])
    if "targets" in record and not isinstance(record["targets"], list):
        errors.append((line, "targets", "must be a list"))
    config = record.get("grader") or {}
    try:
        graders.validate_config(config or default_grader or {"type": "exact"}, targets)
    except graders.GraderConfigError as exc:
        errors.append((line, exc.field, str(exc).split(": ", 1)[1]))
    ident = record.get("id", record.get("external_id", line))
    if not isinstance(ident, (str, int)) or not str(ident).strip() or len(str(ident)) > 200:
        errors.append((line, "id", "must be a non-empty string of at most 200 characters"))
    for key in ("category", "group"):
        if key in record and not isinstance(record[key], (str, int)):
            errors.append((line, key, "must be a string"))
    if "category" in record and len(str(record["category"])) > 80:
        errors.append((line, "category", "at most 80 characters"))
    item = ParsedItem(str(ident).strip(), messages, targets, str(record.get("category", "")),
                      str(record.get("group", "")), config)
    return item, kind


def _finish(items: list[ParsedItem], lines: list[int], errors: list) -> None:
    seen: dict[str, int] = {}
    for item, line in zip(items, lines, strict=True):
        if item.external_id in seen:
            errors.append((line, "id", f"duplicate id {item.external_id!r} (first on line {seen[item.external_id]})"))
        seen.setdefault(item.external_id, line)
    if not items and not errors:
        errors.append((None, "file", "contains no items"))
    if len(items) > MAX_ITEMS:
        errors.append((None, "file", f"more than {MAX_ITEMS} items"))
    if errors:
        raise ImportRejected(errors)


def parse_jsonl(text: str, *, default_grader: dict | None = None) -> ParsedSuite:
    default_grader = default_grader or {}
    errors: list = []
    items: list[ParsedItem] = []
    lines: list[int] = []
    kinds: set[str] = set()
    if default_grader:
        try:
            graders.validate_config(default_grader, ["0"])
        except graders.GraderConfigError as exc:
            errors.append((None, "default_" + exc.field, str(exc).split(": ", 1)[1]))
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as exc:
            errors.append((number, "json", f"not valid JSON: {exc.msg} at column {exc.colno}"))
            continue
        item, kind = _item(record, number, default_grader, errors)
        kinds.add(kind)
        if item is not None:
            items.append(item)
            lines.append(number)
    _finish(items, lines, errors)
    source = kinds.pop() if len(kinds) == 1 else SourceFormat.JSONL
    return ParsedSuite(items, source, default_grader=default_grader)


def parse_yaml(text: str, *, default_grader: dict | None = None) -> ParsedSuite:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ImportRejected([(mark.line + 1 if mark else None, "yaml", f"not valid YAML: {getattr(exc, 'problem', exc)}")]) from None
    if isinstance(data, list):
        data = {"items": data}
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise ImportRejected([(None, "items", "the YAML file needs a top-level 'items' list")])
    default = data.get("grader") or default_grader or {}
    errors: list = []
    if default:
        try:
            graders.validate_config(default, ["0"])
        except graders.GraderConfigError as exc:
            errors.append((None, exc.field, str(exc).split(": ", 1)[1]))
    items, lines = [], []
    for position, record in enumerate(data["items"], start=1):
        item, _ = _item(record, position, default, errors)
        if item is not None:
            item.external_id = item.external_id if (isinstance(record, dict) and ("id" in record or "external_id" in record)) else str(position)
            items.append(item)
            lines.append(position)
    errors = [(f"item {line}" if isinstance(line, int) else line, fld, msg) for line, fld, msg in errors]
    _finish(items, lines, errors)
    return ParsedSuite(items, SourceFormat.YAML, str(data.get("name", "")), str(data.get("description", "")), default)


def parse_suite(text: str, *, fmt: str = "auto", default_grader: dict | None = None) -> ParsedSuite:
    """``fmt``: auto | jsonl | yaml (OpenAI evals and {input, target} lines are JSONL and detected)."""
    if fmt not in {"auto", "jsonl", "yaml", "openai_evals", "input_target"}:
        raise ImportRejected([(None, "format", "choose auto, jsonl, yaml, openai_evals or input_target")])
    if fmt == "yaml" or (fmt == "auto" and not text.lstrip().startswith("{")):
        return parse_yaml(text, default_grader=default_grader)
    return parse_jsonl(text, default_grader=default_grader)


@dataclass
class RecordedOutput:
    external_id: str
    output: str
    input_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    latency_ms: float = 0.0
    cost_usd: Decimal | None = None


def parse_recorded(text: str, known_ids: set[str]) -> list[RecordedOutput]:
    errors: list = []
    rows: list[RecordedOutput] = []
    seen: set[str] = set()
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as exc:
            errors.append((number, "json", f"not valid JSON: {exc.msg}"))
            continue
        if not isinstance(record, dict):
            errors.append((number, "line", "must be a JSON object"))
            continue
        ident = str(record.get("id", record.get("item_id", "")))
        if ident not in known_ids:
            errors.append((number, "id", f"no item {ident!r} in this suite version"))
        elif ident in seen:
            errors.append((number, "id", f"duplicate id {ident!r}"))
        seen.add(ident)
        if not isinstance(record.get("output"), str):
            errors.append((number, "output", "is required and must be a string"))
            continue
        row = RecordedOutput(ident, record["output"])
        for key in ("input_tokens", "output_tokens", "reasoning_tokens"):
            value = record.get(key, 0)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                errors.append((number, key, "must be a non-negative integer"))
            else:
                setattr(row, key, value)
        latency = record.get("latency_ms", 0)
        if not isinstance(latency, (int, float)) or isinstance(latency, bool) or latency < 0:
            errors.append((number, "latency_ms", "must be a non-negative number"))
        else:
            row.latency_ms = float(latency)
        if record.get("cost_usd") is not None:
            try:
                row.cost_usd = Decimal(str(record["cost_usd"]))
                if row.cost_usd < 0:
                    raise InvalidOperation
            except InvalidOperation:
                errors.append((number, "cost_usd", "must be a non-negative number"))
        rows.append(row)
    if not rows and not errors:
        errors.append((None, "file", "contains no outputs"))
    if errors:
        raise ImportRejected(errors)
    return rows
