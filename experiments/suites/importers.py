"""Parse suite files and recorded outputs. A file is accepted whole or rejected whole, naming line and field.

Files are taken as the tools that wrote them wrote them (``foreign`` converts the other tools' forms):

* EvalHub JSONL / YAML / JSON array / CSV: ``{"id", "input", "target" | "targets", "category", "group",
  "grader", "choices", "tools", "context", "metadata"}``; a JSONL file may open with a
  ``{"suite_metadata": {...}}`` line (what the export writes for a YAML suite's top-level fields). ``input`` is a prompt string or chat messages
  (``content`` a string or content parts, text and images; ``name``, ``tool_calls``, ``tool_call_id`` kept);
  ``grader`` one config, a list of configs (all must pass) or ``{"graders": [...], "pass_rule": ...}``.
* inspect_ai datasets (JSONL, JSON array, CSV): ``input``, ``target``, ``choices``, ``id``, ``metadata``;
  ``sandbox``, ``files``, ``setup`` are kept as metadata (EvalHub runs no sandbox). Other field names map
  with ``field_map`` (inspect's FieldSpec: ``{"question": "input", "answer": "target"}``).
* OpenAI evals samples ``{"input": [messages], "ideal": ...}`` and registry YAML with its samples file.
* promptfoo configs (``prompts`` × ``tests``) and tests files (YAML or CSV).

Fields EvalHub does not use are kept as the item's ``metadata`` and the import says which; only what cannot
be honoured is refused. Items without ``id`` get their 1-based line (JSONL), position (YAML, JSON, CSV rows).

Recorded outputs (JSONL): ``{"id": item id, "output": "...", "input_tokens"?, "output_tokens"?,
"reasoning_tokens"?, "latency_ms"?, "cost_usd"?}``.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml

from evalhub.core.errors import FieldError, Invalid
from experiments.suites import graders
from experiments.suites.models import SourceFormat

MAX_ITEMS = 50_000
MAX_ZIP_BYTES = 50 * 1024 * 1024
ROLES = {"system", "user", "assistant", "developer", "tool"}
ITEM_KEYS = {"id", "external_id", "input", "target", "targets", "ideal", "category", "group", "grader",
             "choices", "tools", "context", "metadata"}
# inspect_ai Sample fields EvalHub cannot carry out but keeps, so an export gives them back.
INSPECT_KEPT = {"sandbox", "files", "setup"}
FORMATS = ("auto", "jsonl", "json", "csv", "yaml", "inspect", "openai_evals", "openai_registry", "promptfoo",
           "input_target")
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# An EvalHub JSONL file may open with ``{"suite_metadata": {...}}``: the top-level fields of the suite file.
SUITE_METADATA_KEY = "suite_metadata"


class ImportRejected(Invalid, ValueError):
    """The file was rejected whole; ``errors`` lists ``(line, field, message)`` (a line number, or
    where in words: an item, a prompt, a file)."""

    def __init__(self, errors: list[tuple[int | str | None, str, str]]) -> None:
        shown = "; ".join(f"{_where(line)}{fld}: {msg}" for line, fld, msg in errors[:10])
        more = f" (and {len(errors) - 10} more)" if len(errors) > 10 else ""
        super().__init__(f"file rejected, nothing imported: {shown}{more}", errors=[
            FieldError(fld, msg, line=line) if isinstance(line, int) else FieldError(f"{_where(line)}{fld}", msg)
            for line, fld, msg in errors])
        self.errors = errors


def _where(line: int | str | None) -> str:
    if line is None or line == "":
        return ""
    return f"line {line}: " if isinstance(line, int) else f"{line}: "


@dataclass
class ParsedItem:
    external_id: str
    input: list[dict]
    targets: list
    category: str = ""
    group: str = ""
    grader: dict = field(default_factory=dict)
    choices: list = field(default_factory=list)
    tools: list = field(default_factory=list)
    context: list = field(default_factory=list)
    metadata: dict = field(default_factory=dict)
    where: int | str | None = None  # line or "item N", for errors found after parsing


@dataclass
class ParsedSuite:
    items: list[ParsedItem]
    source_format: str
    name: str = ""
    description: str = ""
    default_grader: dict = field(default_factory=dict)
    metadata: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


# ------------------------------------------------------------------------------------------ messages


def _part(part: Any, i: int, j: int) -> dict:
    """One content part in OpenAI's form (inspect's ``{"type": "image", "image": url}`` included)."""
    if isinstance(part, str):
        return {"type": "text", "text": part}
    if not isinstance(part, dict):
        raise ValueError(f"message {i} content part {j} must be an object")
    kind = part.get("type")
    if kind == "text" and isinstance(part.get("text"), str):
        return {"type": "text", "text": part["text"]}
    if kind in ("image", "image_url"):
        raw = part.get("image_url", part.get("image"))
        url = raw.get("url") if isinstance(raw, dict) else raw
        if not isinstance(url, str) or not url.strip():
            raise ValueError(f"message {i} content part {j}: an image needs a URL or data: URI")
        out = {"type": "image_url", "image_url": {"url": url}}
        detail = (raw.get("detail") if isinstance(raw, dict) else None) or part.get("detail")
        if detail:
            out["image_url"]["detail"] = detail
        return out
    raise ValueError(f"message {i} content part {j}: type {kind!r} cannot be sent to a chat-completions "
                     "endpoint (text and image parts can)")


def _messages(value: Any) -> list[dict]:
    if isinstance(value, str):
        if not value.strip():
            raise ValueError("must not be empty")
        return [{"role": "user", "content": value}]
    if not isinstance(value, list) or not value:
        raise ValueError("must be a prompt string or a non-empty list of chat messages")
    out = []
    for i, message in enumerate(value):
        if not isinstance(message, dict) or message.get("role") not in ROLES:
            raise ValueError(f"message {i} must be {{\"role\": one of {sorted(ROLES)}, \"content\": ...}}")
        content = message.get("content")
        if isinstance(content, list):
            content = [_part(p, i, j) for j, p in enumerate(content)]
        elif content is None and message.get("tool_calls"):
            content = None
        elif not isinstance(content, str):
            raise ValueError(f"message {i} content must be a string or a list of content parts")
        clean: dict = {"role": message["role"], "content": content}
        for key in ("name", "tool_calls", "tool_call_id"):
            if message.get(key) is not None:
                clean[key] = message[key]
        out.append(clean)
    if not any(m["content"] for m in out):
        raise ValueError("needs at least one message with content")
    return out


# --------------------------------------------------------------------------------------------- items


def _choices(value: Any) -> list[str]:
    if not isinstance(value, list) or not value or len(value) > len(LETTERS):
        raise ValueError(f"must be a list of 1 to {len(LETTERS)} options")
    if not all(isinstance(c, (str, int, float)) for c in value):
        raise ValueError("options must be strings")
    return [str(c) for c in value]


def _choice_targets(targets: list, choices: list[str]) -> list:
    """inspect targets are letters; a target that is an option's text becomes its letter."""
    letters = LETTERS[:len(choices)]
    out = []
    for target in targets:
        text = str(target).strip()
        if text.upper() in letters and len(text) == 1:
            out.append(text.upper())
        elif text in choices:
            out.append(letters[choices.index(text)])
        else:
            raise ValueError(f"{text!r} is neither a letter {letters[0]}-{letters[-1]} nor one of the choices")
    return out


def _item(record: Any, line: int | str, default_grader: dict, errors: list, kept: Counter,
          default_id: int | str | None = None) -> ParsedItem | None:
    if not isinstance(record, dict):
        errors.append((line, "item", "must be an object"))
        return None
    metadata: dict = {}
    if "metadata" in record:
        if not isinstance(record["metadata"], dict):
            errors.append((line, "metadata", "must be an object"))
        else:
            metadata.update(record["metadata"])
    for key in sorted(set(record) - ITEM_KEYS):
        metadata[key] = record[key]
        kept[key] += 1
    if "input" not in record:
        errors.append((line, "input", "is required"))
        return None
    try:
        messages = _messages(record["input"])
    except ValueError as exc:
        errors.append((line, "input", str(exc)))
        return None
    present = [k for k in ("target", "targets", "ideal") if k in record]
    if len(present) > 1:
        errors.append((line, present[1], f"give only one of {', '.join(present)}"))
    raw = record.get(present[0]) if present else None
    targets = raw if isinstance(raw, list) else ([] if raw is None else [raw])
    if "targets" in record and not isinstance(record["targets"], list):
        errors.append((line, "targets", "must be a list"))
    choices: list[str] = []
    if record.get("choices") is not None:
        try:
            choices = _choices(record["choices"])
            targets = _choice_targets(targets, choices)
        except ValueError as exc:
            errors.append((line, "choices" if "options" in str(exc) else "target", str(exc)))
    config = graders.normalise_config(record.get("grader"))
    effective = config or default_grader or ({"type": "choice"} if choices else {"type": "exact"})
    try:
        graders.validate_config(effective, targets, choices=choices)
    except graders.GraderConfigError as exc:
        errors.append((line, exc.field, str(exc).split(": ", 1)[1]))
    tools, context = record.get("tools") or [], record.get("context") or []
    try:
        tools = graders.validate_tools(tools)
    except ValueError as exc:
        errors.append((line, "tools", str(exc)))
    try:
        context = graders.validate_context(context)
    except ValueError as exc:
        errors.append((line, "context", str(exc)))
    ident = record.get("id", record.get("external_id", line if default_id is None else default_id))
    if not isinstance(ident, (str, int)) or not str(ident).strip() or len(str(ident)) > 200:
        errors.append((line, "id", "must be a non-empty string of at most 200 characters"))
    for key in ("category", "group"):
        if key in record and not isinstance(record[key], (str, int)):
            errors.append((line, key, "must be a string"))
    if "category" in record and len(str(record["category"])) > 80:
        errors.append((line, "category", "at most 80 characters"))
    return ParsedItem(str(ident).strip(), messages, targets, str(record.get("category", "")),
                      str(record.get("group", "")), config, choices, tools, context, metadata, line)


def finish_items(items: list[ParsedItem], errors: list) -> None:
    seen: dict[str, Any] = {}
    for item in items:
        if item.external_id in seen:
            errors.append((item.where, "id", f"duplicate id {item.external_id!r} (first at {seen[item.external_id]})"))
        seen.setdefault(item.external_id, item.where)
    if not items and not errors:
        errors.append((None, "file", "contains no items"))
    if len(items) > MAX_ITEMS:
        errors.append((None, "file", f"more than {MAX_ITEMS} items"))
    if errors:
        raise ImportRejected(errors)


def _kept_note(kept: Counter) -> list[str]:
    if not kept:
        return []
    fields = ", ".join(f"{k} ({n} item{'s' if n > 1 else ''})" for k, n in sorted(kept.items()))
    sandbox = sorted(set(kept) & INSPECT_KEPT)
    extra = f"; {', '.join(sandbox)} not carried out (EvalHub runs no sandbox)" if sandbox else ""
    return [f"kept as item metadata: {fields}{extra}"]


def _check_default(default_grader: dict, errors: list, prefix: str = "default_") -> None:
    if default_grader:
        try:
            graders.validate_config(default_grader, ["0"], choices=list("ABCDEFGHIJ"))
        except graders.GraderConfigError as exc:
            errors.append((None, prefix + exc.field, str(exc).split(": ", 1)[1]))


def _remap(record: Any, field_map: dict[str, str] | None) -> Any:
    if not field_map or not isinstance(record, dict):
        return record
    out = {k: v for k, v in record.items() if k not in field_map}
    for source, dest in field_map.items():
        if source in record:
            out[dest] = record[source]
    return out


def items_from_records(records: list[tuple[int | str, Any]], *, default_grader: dict | None = None,
                       field_map: dict[str, str] | None = None, errors: list | None = None,
                       kept: Counter | None = None, positional_ids: bool = False) -> list[ParsedItem]:
    """Items from ``(where, record)`` pairs; ids default to ``where`` or, with ``positional_ids``, 1, 2, ..."""
    errors = [] if errors is None else errors
    kept = Counter() if kept is None else kept
    items = []
    for position, (where, record) in enumerate(records, start=1):
        item = _item(_remap(record, field_map), where, default_grader or {}, errors, kept,
                     position if positional_ids else None)
        if item is not None:
            items.append(item)
    return items


def _kind(records: list[Any]) -> str:
    keys = set().union(*(r.keys() for r in records if isinstance(r, dict))) if records else set()
    if "ideal" in keys:
        return SourceFormat.OPENAI_EVALS
    if keys & ({"choices", "metadata"} | INSPECT_KEPT) and "grader" not in keys:
        return SourceFormat.INSPECT
    if keys and keys <= {"input", "target"}:
        return SourceFormat.INPUT_TARGET
    return SourceFormat.JSONL


# ------------------------------------------------------------------------------------------- formats


def parse_jsonl(text: str, *, default_grader: dict | None = None, field_map: dict | None = None) -> ParsedSuite:
    default_grader = default_grader or {}
    errors: list = []
    _check_default(default_grader, errors)
    records: list[tuple[int | str, Any]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            records.append((number, json.loads(raw)))
        except json.JSONDecodeError as exc:
            errors.append((number, "json", f"not valid JSON: {exc.msg} at column {exc.colno}"))
    metadata: dict = {}
    if records and isinstance(records[0][1], dict) and set(records[0][1]) == {SUITE_METADATA_KEY}:
        number, header = records.pop(0)
        if isinstance(header[SUITE_METADATA_KEY], dict):
            metadata = header[SUITE_METADATA_KEY]
        else:
            errors.append((number, SUITE_METADATA_KEY, "must be an object"))
    kept: Counter = Counter()
    items = items_from_records(records, default_grader=default_grader, field_map=field_map, errors=errors, kept=kept)
    finish_items(items, errors)
    kind = _kind([_remap(r, field_map) for _, r in records])
    notes = _kept_note(kept)
    if metadata:
        notes.append(f"kept as suite metadata: {', '.join(sorted(metadata))}")
    return ParsedSuite(items, kind, default_grader=default_grader, metadata=metadata, notes=notes)


def parse_json_array(text: str, *, default_grader: dict | None = None, field_map: dict | None = None) -> ParsedSuite:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportRejected([(exc.lineno, "json", f"not valid JSON: {exc.msg} at column {exc.colno}")]) from None
    if isinstance(data, dict) and isinstance(data.get("items", data.get("samples")), list):
        data = data.get("items", data.get("samples"))
    if not isinstance(data, list):
        raise ImportRejected([(None, "json", "a JSON file must hold an array of items")])
    default_grader = default_grader or {}
    errors: list = []
    _check_default(default_grader, errors)
    kept: Counter = Counter()
    items = items_from_records([(f"item {i}", r) for i, r in enumerate(data, start=1)], default_grader=default_grader,
                               field_map=field_map, errors=errors, kept=kept, positional_ids=True)
    finish_items(items, errors)
    kind = _kind([_remap(r, field_map) for r in data])
    return ParsedSuite(items, SourceFormat.JSON if kind == SourceFormat.JSONL else kind,
                       default_grader=default_grader, notes=_kept_note(kept))


def csv_rows(text: str) -> tuple[list[str], list[tuple[int, dict]]]:
    reader = csv.DictReader(io.StringIO(text))
    rows = []
    for row in reader:
        if any((v or "").strip() for v in row.values() if isinstance(v, str)):
            rows.append((reader.line_num, {k: v for k, v in row.items() if k is not None}))
    return list(reader.fieldnames or []), rows


def parse_csv(text: str, *, default_grader: dict | None = None, field_map: dict | None = None) -> ParsedSuite:
    """An inspect-style CSV: columns ``input``, ``target``, ``id``, ``choices`` (JSON list or ``|``-separated);
    other columns become metadata. A promptfoo tests CSV (``__expected`` columns) goes to ``foreign``."""
    from experiments.suites import foreign

    header, rows = csv_rows(text)
    if any(h.startswith("__") for h in header):
        return foreign.parse_promptfoo_tests_csv(text, default_grader=default_grader)
    default_grader = default_grader or {}
    errors: list = []
    _check_default(default_grader, errors)
    records: list[tuple[int | str, Any]] = []
    for line, row in rows:
        record: dict[str, Any] = {k: v for k, v in _remap(row, field_map).items() if v not in (None, "")}
        for key in ("choices", "targets", "tools", "context", "metadata", "grader"):
            value = record.get(key)
            if isinstance(value, str) and value.strip()[:1] in "[{":
                try:
                    record[key] = json.loads(value)
                except json.JSONDecodeError as exc:
                    errors.append((line, key, f"not valid JSON: {exc.msg}"))
            elif key == "choices" and isinstance(value, str):
                record[key] = [c.strip() for c in value.split("|")]
        records.append((line, record))
    kept: Counter = Counter()
    items = items_from_records(records, default_grader=default_grader, errors=errors, kept=kept, positional_ids=True)
    finish_items(items, errors)
    return ParsedSuite(items, SourceFormat.CSV, default_grader=default_grader, notes=_kept_note(kept))


YAML_KEYS = {"name", "description", "grader", "items", "system_prompt"}


def parse_yaml_data(data: Any, *, default_grader: dict | None = None, field_map: dict | None = None,
                    files: dict[str, str] | None = None) -> ParsedSuite:
    from experiments.suites import foreign

    if isinstance(data, list) and data and all(isinstance(t, dict) and ("vars" in t or "assert" in t) for t in data):
        return foreign.parse_promptfoo(data, files=files or {}, default_grader=default_grader)
    if isinstance(data, dict) and ("prompts" in data or "providers" in data) and "items" not in data:
        return foreign.parse_promptfoo(data, files=files or {}, default_grader=default_grader)
    if isinstance(data, dict) and foreign.is_openai_registry(data):
        return foreign.parse_openai_registry(data, files=files or {}, default_grader=default_grader)
    if isinstance(data, list):
        data = {"items": data}
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise ImportRejected([(None, "items", "the YAML file needs a top-level 'items' list (or is a promptfoo "
                                              "config or OpenAI evals registry file)")])
    default = graders.normalise_config(data.get("grader")) or default_grader or {}
    errors: list = []
    _check_default(default, errors, prefix="")
    system = data.get("system_prompt")
    if system is not None and (not isinstance(system, str) or not system.strip()):
        errors.append((None, "system_prompt", "must be a non-empty string"))
        system = None
    kept: Counter = Counter()
    records = [(f"item {i}", r) for i, r in enumerate(data["items"], start=1)]
    items = items_from_records(records, default_grader=default, field_map=field_map, errors=errors, kept=kept,
                               positional_ids=True)
    for item in items:
        if system and not any(m["role"] in ("system", "developer") for m in item.input):
            item.input.insert(0, {"role": "system", "content": system})
    finish_items(items, errors)
    metadata = {k: v for k, v in data.items() if k not in YAML_KEYS}
    notes = _kept_note(kept)
    if system:
        notes.append("system_prompt added as the first message of items that had no system message")
    if metadata:
        notes.append(f"kept as suite metadata: {', '.join(sorted(metadata))}")
    return ParsedSuite(items, SourceFormat.YAML, str(data.get("name", "")), str(data.get("description", "")),
                       default, metadata, notes)


def load_yaml(text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ImportRejected([(mark.line + 1 if mark else None, "yaml",
                               f"not valid YAML: {getattr(exc, 'problem', exc)}")]) from None


def parse_yaml(text: str, *, default_grader: dict | None = None, field_map: dict | None = None,
               files: dict[str, str] | None = None) -> ParsedSuite:
    return parse_yaml_data(load_yaml(text), default_grader=default_grader, field_map=field_map, files=files)


def parse_field_map(value: str | dict | None) -> dict[str, str]:
    """``"question=input,answer=target"`` (inspect's FieldSpec, source=EvalHub field) → dict."""
    if not value:
        return {}
    if isinstance(value, dict):
        pairs = list(value.items())
    else:
        pairs = []
        for part in str(value).split(","):
            source, sep, dest = part.partition("=")
            if not sep or not source.strip() or not dest.strip():
                raise ImportRejected([(None, "map", f"{part.strip()!r} is not source=field")])
            pairs.append((source.strip(), dest.strip()))
    for _source, dest in pairs:
        if dest not in ITEM_KEYS:
            fields = ", ".join(sorted(ITEM_KEYS))
            raise ImportRejected([(None, "map", f"{dest!r} is not an item field; use one of {fields}")])
    return {str(s): str(d) for s, d in pairs}


def _looks_csv(text: str) -> bool:
    first = text.lstrip().split("\n", 1)[0]
    if "," not in first or ":" in first or first.lstrip().startswith(("-", "{", "[", "#")):
        return False
    try:
        header = next(csv.reader([first]))
    except (csv.Error, StopIteration):
        return False
    return len(header) >= 2 and all(re.fullmatch(r"[\w .:-]+", h.strip()) for h in header)


def detect_format(text: str, filename: str = "") -> str:
    name = filename.lower()
    for ext, fmt in ((".jsonl", "jsonl"), (".json", "json"), (".csv", "csv"), (".yaml", "yaml"), (".yml", "yaml")):
        if name.endswith(ext):
            return fmt
    head = text.lstrip()
    if head.startswith("["):
        return "json"
    if head.startswith("{"):
        first = head.split("\n", 1)[0].strip()
        try:
            json.loads(first)
        except json.JSONDecodeError:
            return "json"  # a pretty-printed object spanning lines
        return "jsonl"
    return "csv" if _looks_csv(text) else "yaml"


def parse_suite(text: str, *, fmt: str = "auto", default_grader: dict | None = None, filename: str = "",
                field_map: dict | str | None = None, files: dict[str, str] | None = None) -> ParsedSuite:
    """``fmt``: one of ``FORMATS``; ``auto`` looks at the file name, then the text. A UTF-8 BOM is dropped."""
    if fmt not in FORMATS:
        raise ImportRejected([(None, "format", f"choose one of {', '.join(FORMATS)}")])
    text = text.lstrip("\ufeff")
    mapping = parse_field_map(field_map)
    if fmt in ("auto", "inspect"):
        fmt = detect_format(text, filename)
    if fmt in ("openai_evals", "input_target"):
        fmt = "jsonl"
    if fmt in ("openai_registry", "promptfoo"):
        fmt = "yaml"
    if fmt == "jsonl":
        return parse_jsonl(text, default_grader=default_grader, field_map=mapping)
    if fmt == "json":
        return parse_json_array(text, default_grader=default_grader, field_map=mapping)
    if fmt == "csv":
        return parse_csv(text, default_grader=default_grader, field_map=mapping)
    return parse_yaml(text, default_grader=default_grader, field_map=mapping, files=files)


def read_upload(name: str, data: bytes) -> dict[str, str]:
    """Files of one upload as ``{path: text}``; a .zip is opened (a folder of a registry or promptfoo project)."""
    if name.lower().endswith(".zip"):
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile:
            raise ImportRejected([(None, "file", f"{name}: not a valid zip archive")]) from None
        out: dict[str, str] = {}
        total = 0
        for info in archive.infolist():
            if info.is_dir() or "__MACOSX" in info.filename or info.filename.rsplit("/", 1)[-1].startswith("."):
                continue
            total += info.file_size
            if total > MAX_ZIP_BYTES:
                raise ImportRejected([(None, "file", f"{name}: more than {MAX_ZIP_BYTES // 2**20} MB unpacked")])
            try:
                out[info.filename] = archive.read(info).decode("utf-8").lstrip("\ufeff")
            except UnicodeDecodeError:
                continue  # images and other binaries of the project are not suite files
        return out
    try:
        return {name: data.decode("utf-8").lstrip("\ufeff")}
    except UnicodeDecodeError:
        raise ImportRejected([(None, "file", f"{name}: must be UTF-8 text")]) from None


def parse_files(files: dict[str, str], *, fmt: str = "auto", default_grader: dict | None = None,
                field_map: dict | str | None = None) -> ParsedSuite:
    """Several files uploaded together (or a zip): the one that names the others is parsed; the rest are the
    files it refers to (a registry YAML and its ``samples_jsonl``; a promptfoo config and its prompt/tests files)."""
    if len(files) == 1:
        (name, text), = files.items()
        return parse_suite(text, fmt=fmt, default_grader=default_grader, filename=name, field_map=field_map,
                           files=files)
    from experiments.suites import foreign

    main = foreign.main_file(files)
    if main is None:
        raise ImportRejected([(None, "file", "several files were uploaded but none is a promptfoo config or an OpenAI "
                                            "evals registry YAML that refers to the others; upload one suite file")])
    return parse_suite(files[main], fmt=fmt, default_grader=default_grader, filename=main, field_map=field_map,
                       files=files)


# ------------------------------------------------------------------------------------------- recorded


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
    for number, raw in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
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
