"""Chatbot Arena battle logs in, validated whole before anything is written.

Format (the public ``clean_battle`` dumps of Chiang et al. 2024): a JSON array of objects or
JSON Lines, one battle per object::

    {"model_a": "gpt-4", "model_b": "claude-2", "winner": "model_a" | "model_b" | "tie" | "tie (bothbad)",
     "judge": "arena_user_1", "tstamp": 1700000000.5,
     "conversation_a": [{"role": "user", "content": "..."}, ...], "conversation_b": [...],
     "language": "English", "category": "coding"}

``judge``, ``conversation_*``, ``language``, ``category`` and ``anony`` are optional; other keys
(``question_id``, ``turn`` …) are ignored. Battles with ``"anony": false`` (the voter saw the model
names) are skipped unless the import asks for them: Chatbot Arena's leaderboards rate anonymous
battles only. A battle without ``anony`` counts as anonymous. Every problem is reported as ``line N: field: problem`` (N is the
line on which the battle's object starts, in JSON arrays too) and a file with any problem imports
nothing.

Idempotency is by a *natural key*: (model_a, model_b, winner, judge, tstamp, language, category),
checked against the stored battles of EVERY source under one advisory lock. Re-importing a file —
under the same or another ``source`` label, or a later dump that overlaps an earlier one — skips
the battles already stored instead of counting them twice. A file hash would miss the overlap case.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.db import connection, transaction

from evalhub.core.errors import FieldError, Invalid
from evalhub.core.middleware import nul_paths
from evalhub.core.models import ModelVariant
from judging.models import ArenaBattle
from judging.tasks import leaderboard_refresh_task

WINNERS = {"model_a": "a", "model_b": "b", "tie": "tie", "tie (bothbad)": "both_bad"}
MAX_NAME = 80  # ModelVariant.slug max_length
MAX_ERRORS = 200  # a garbage file would otherwise produce one error per line


@dataclass(frozen=True)
class ImportIssue:
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.message}"

    def as_dict(self) -> dict:
        return {"line": self.line, "field": self.field, "message": self.message}


@dataclass(frozen=True)
class ArenaRow:
    line: int
    model_a: str
    model_b: str
    outcome: str  # canonical: a | b | tie | both_bad
    judge: str
    tstamp: datetime
    language: str
    category: str
    conversation_a: list | None = None
    conversation_b: list | None = None
    anony: bool = True


@dataclass
class ParseResult:
    rows: list[ArenaRow] = field(default_factory=list)
    errors: list[ImportIssue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class ArenaImportError(Invalid):
    """The file (or a reference inside it) is invalid; ``issues`` lists every problem found."""

    def __init__(self, issues: list[ImportIssue]) -> None:
        self.issues = issues
        super().__init__("nothing imported: " + "; ".join(str(issue) for issue in issues[:5]),
                         errors=[FieldError(issue.field, issue.message, line=issue.line) for issue in issues])


def _records(text: str) -> Iterator[tuple[int, object] | ImportIssue]:
    """Yield (line, object) per battle from a JSON array or JSON Lines, or an ImportIssue."""
    stripped = text.lstrip()
    if stripped.startswith("["):
        yield from _array_records(text)
        return
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            yield number, json.loads(raw)
        except json.JSONDecodeError as exc:
            yield ImportIssue(number, "json", f"not valid JSON ({exc.msg} at column {exc.colno})")


def _array_records(text: str) -> Iterator[tuple[int, object] | ImportIssue]:
    # raw_decode element by element so each battle keeps the line its object starts on —
    # json.loads on the whole array would lose positions.
    decoder = json.JSONDecoder()
    pos = text.index("[") + 1
    size = len(text)

    def skip(p: int) -> int:
        while p < size and text[p] in " \t\r\n":
            p += 1
        return p

    pos = skip(pos)
    if pos < size and text[pos] == "]":
        return
    while True:
        line = text.count("\n", 0, pos) + 1
        try:
            obj, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            yield ImportIssue(exc.lineno, "json", f"not valid JSON ({exc.msg} at column {exc.colno})")
            return
        yield line, obj
        pos = skip(pos)
        if pos < size and text[pos] == ",":
            pos = skip(pos + 1)
            continue
        if pos < size and text[pos] == "]":
            if skip(pos + 1) < size:
                yield ImportIssue(text.count("\n", 0, pos) + 1, "json", "unexpected text after the closing ']'")
            return
        yield ImportIssue(text.count("\n", 0, pos) + 1, "json", "expected ',' or ']' between battles")
        return


def _text(obj: dict, key: str, line: int, errors: list[ImportIssue], *, required: bool, max_len: int) -> str:
    value = obj.get(key)
    if value is None:
        if required:
            errors.append(ImportIssue(line, key, "is required"))
        return ""
    if not isinstance(value, str):
        errors.append(ImportIssue(line, key, f"must be a string, got {type(value).__name__}"))
        return ""
    value = value.strip()
    if required and not value:
        errors.append(ImportIssue(line, key, "must not be empty"))
    if len(value) > max_len:
        errors.append(ImportIssue(line, key, f"is longer than {max_len} characters"))
    return value


def _conversation(obj: dict, key: str, line: int, errors: list[ImportIssue]) -> list | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not value:
        errors.append(ImportIssue(line, key, "must be a non-empty list of {role, content} messages"))
        return None
    for index, message in enumerate(value):
        if (not isinstance(message, dict) or not isinstance(message.get("role"), str)
                or not isinstance(message.get("content"), str)):
            errors.append(ImportIssue(line, f"{key}.{index}", "must be an object with string role and content"))
            return None
    return value


def _row(line: int, obj: object, errors: list[ImportIssue]) -> ArenaRow | None:
    if not isinstance(obj, dict):
        errors.append(ImportIssue(line, "battle", f"must be a JSON object, got {type(obj).__name__}"))
        return None
    nul = next(nul_paths(obj, "battle"), None)
    if nul is not None:  # PostgreSQL text cannot hold NUL
        errors.append(ImportIssue(line, nul.removeprefix("battle."), "must not contain NUL (\\u0000) characters"))
        return None
    before = len(errors)
    model_a = _text(obj, "model_a", line, errors, required=True, max_len=MAX_NAME)
    model_b = _text(obj, "model_b", line, errors, required=True, max_len=MAX_NAME)
    if model_a and model_a == model_b:
        errors.append(ImportIssue(line, "model_b", "must differ from model_a"))
    winner = obj.get("winner")
    if winner is None:
        errors.append(ImportIssue(line, "winner", "is required"))
    elif winner not in WINNERS:
        errors.append(ImportIssue(line, "winner", f"must be one of {', '.join(WINNERS)}; got {str(winner)[:40]!r}"))
    judge = _text(obj, "judge", line, errors, required=False, max_len=200)
    language = _text(obj, "language", line, errors, required=False, max_len=40)
    category = _text(obj, "category", line, errors, required=False, max_len=80)
    tstamp = obj.get("tstamp")
    when = None
    if tstamp is None:
        errors.append(ImportIssue(line, "tstamp", "is required (Unix seconds)"))
    elif isinstance(tstamp, bool) or not isinstance(tstamp, (int, float)) or not math.isfinite(tstamp) or tstamp < 0:
        errors.append(ImportIssue(line, "tstamp", f"must be a non-negative number of Unix seconds, got {str(tstamp)[:40]!r}"))
    else:
        try:
            when = datetime.fromtimestamp(float(tstamp), tz=UTC)
        except (OverflowError, OSError, ValueError):
            errors.append(ImportIssue(line, "tstamp", "is out of range"))
    conv_a = _conversation(obj, "conversation_a", line, errors)
    conv_b = _conversation(obj, "conversation_b", line, errors)
    anony = obj.get("anony", True)
    if not isinstance(anony, bool):
        errors.append(ImportIssue(line, "anony", f"must be true or false, got {str(anony)[:40]!r}"))
    if len(errors) > before or when is None:
        return None
    return ArenaRow(line, model_a, model_b, WINNERS[winner], judge, when, language, category, conv_a, conv_b, anony)


def parse_arena(data: bytes | str) -> ParseResult:
    """Parse and validate a whole file; ``rows`` is only meaningful when ``errors`` is empty."""
    result = ParseResult()
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            result.errors.append(ImportIssue(data.count(b"\n", 0, exc.start) + 1, "file", "is not UTF-8 text"))
            return result
    if not data.strip():
        result.errors.append(ImportIssue(1, "file", "is empty: expected a JSON array or JSON Lines of battles"))
        return result
    for item in _records(data):
        if len(result.errors) >= MAX_ERRORS:
            result.errors.append(ImportIssue(item.line if isinstance(item, ImportIssue) else item[0],
                                             "file", f"more than {MAX_ERRORS} problems; stopped checking"))
            break
        if isinstance(item, ImportIssue):
            result.errors.append(item)
            continue
        row = _row(item[0], item[1], result.errors)
        if row is not None:
            result.rows.append(row)
    if not result.errors and not result.rows:
        result.errors.append(ImportIssue(1, "file", "holds no battles"))
    return result


# ------------------------------------------------------------------------------------------ write


DEFAULT_SOURCE = "chatbot-arena"
BATCH_SIZE = 5000
_SLUG_BAD = re.compile(r"[^a-z0-9._-]+")


@dataclass(frozen=True)
class ImportSummary:
    imported: int
    skipped_duplicates: int
    created_variants: list[str]
    import_batch: str | None
    skipped_named: int = 0  # battles with "anony": false, left out (Arena rates anonymous battles only)


def variant_slug_for(name: str) -> str:
    """The slug an arena model name maps to: lower-case, other characters → '-'."""
    slug = _SLUG_BAD.sub("-", name.lower()).strip("-._")
    return slug[:80] or "model"


def _resolve_variants(rows: list[ArenaRow], create: bool) -> tuple[dict[str, ModelVariant], list[ImportIssue], list[str]]:
    names: dict[str, tuple[int, str]] = {}
    for row in rows:
        names.setdefault(row.model_a, (row.line, "model_a"))
        names.setdefault(row.model_b, (row.line, "model_b"))
    wanted = set(names) | {variant_slug_for(n) for n in names}
    found = {v.slug: v for v in ModelVariant.objects.filter(slug__in=wanted)}
    resolved: dict[str, ModelVariant] = {}
    missing: list[str] = []
    for name in names:
        variant = found.get(name) or found.get(variant_slug_for(name))
        if variant is None:
            missing.append(name)
        else:
            resolved[name] = variant
    if missing and not create:
        issues = [ImportIssue(names[n][0], names[n][1],
                              f"unknown variant {n!r}: register it first or import with create_variants")
                  for n in missing]
        return resolved, sorted(issues, key=lambda i: i.line), []
    created: list[str] = []
    for name in missing:
        slug = variant_slug_for(name)
        variant, made = ModelVariant.objects.get_or_create(slug=slug, defaults={
            "name": name[:120], "family": "imported", "base_model": name[:120], "parameter_count": 1,
            "description": "created by the Chatbot Arena importer; scaling facts unknown", "is_active": False,
        })
        resolved[name] = variant
        if made:
            created.append(slug)
    return resolved, [], created


def _existing_keys(rows: list[ArenaRow]) -> set[tuple]:
    # Every source: the same battles under a second label are still the same battles.
    low = min(row.tstamp for row in rows)
    high = max(row.tstamp for row in rows)
    return set(ArenaBattle.objects.filter(tstamp__gte=low, tstamp__lte=high).values_list(
        "model_a_id", "model_b_id", "winner", "judge", "tstamp", "language", "category"))


def arena_import(*, data: bytes | str, source: str = DEFAULT_SOURCE, create_variants: bool = False,
                 include_named: bool = False, progress: Callable[[int, int], None] | None = None) -> ImportSummary:
    """Validate a whole Arena log and store it in one transaction, or raise ``ArenaImportError``.

    Duplicates (same natural key as a stored battle of any source, or repeated within the file)
    are skipped and counted, so re-importing a file, under any label, is a no-op. Battles marked
    ``"anony": false`` are skipped and counted unless ``include_named``.
    """
    source = (source or "").strip()
    if not source or len(source) > 100:
        raise ArenaImportError([ImportIssue(0, "source", "must be 1–100 characters")])
    parsed = parse_arena(data)
    if parsed.errors:
        raise ArenaImportError(parsed.errors)
    rows = parsed.rows
    with transaction.atomic():
        # Two imports at once would both miss each other's rows in the duplicate check (which spans
        # every source); a transaction-scoped advisory lock serialises arena imports.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", ["arena-import"])
        variants, issues, created = _resolve_variants(rows, create_variants)
        if issues:
            raise ArenaImportError(issues)
        seen = _existing_keys(rows)
        batch = uuid.uuid4()
        fresh: list[ArenaBattle] = []
        skipped = skipped_named = 0
        for row in rows:
            if not row.anony and not include_named:
                skipped_named += 1
                continue
            a, b = variants[row.model_a], variants[row.model_b]
            if a.pk == b.pk:
                transaction.set_rollback(True)
                raise ArenaImportError([ImportIssue(row.line, "model_b", f"maps to the same variant as model_a ({a.slug})")])
            key = (a.pk, b.pk, row.outcome, row.judge, row.tstamp, row.language, row.category)
            if key in seen:
                skipped += 1
                continue
            seen.add(key)
            fresh.append(ArenaBattle(source=source, model_a=a, model_b=b, winner=row.outcome, judge=row.judge,
                                     tstamp=row.tstamp, language=row.language, category=row.category,
                                     import_batch=batch))
        for start in range(0, len(fresh), BATCH_SIZE):
            ArenaBattle.objects.bulk_create(fresh[start:start + BATCH_SIZE])
            if progress:
                progress(min(start + BATCH_SIZE, len(fresh)), len(fresh))
        if fresh:
            transaction.on_commit(lambda: leaderboard_refresh_task.delay(campaign_id=None))
    return ImportSummary(len(fresh), skipped, created, str(batch) if fresh else None, skipped_named)
