"""Writes of the telemetry app: ingest event batches, keep rollups, maintain partitions.

``events_ingest`` is the one way events get in (the JSON API, the OTLP receiver and the demo all
call it). In ONE transaction it:

1. validates the whole batch (any invalid item → ``IngestValidationError`` naming index and field,
   nothing written) and resolves variant slugs (unknown ones are named);
2. derives what the client left out: cost from the variant's price table, refusal from the finish
   reason or the answer text (``refusal.py``);
3. claims the batch's ids in the global dedupe table ``telemetry_event_key`` (``ON CONFLICT DO
   NOTHING RETURNING``) and binary-COPYs only the claimed events into the partitioned
   ``telemetry_event`` — so a retried or concurrently repeated batch stores each event once;
4. detects re-asks against each session's previous call (``reask.py``; ``SessionState``, read
   FOR UPDATE and advanced in ONE statement) and flags the earlier answer (``UPDATE … WHERE NOT
   reasked RETURNING``: each answer counted once); an answer followed by any call of its scope
   within the re-ask window is flagged ``reask_detectable`` the same way (the re-ask rate's
   denominator: elsewhere a re-ask could not have been seen). Both statements probe primary keys only, so
   their cost follows the batch, not the size of the day's partition or of the session table;
5. adds the NEW events' sums to ``HourlyRollup`` / ``UnitRollup`` with one sorted
   ``INSERT … ON CONFLICT DO UPDATE SET n = n + EXCLUDED.n …`` each.

The events API and the OTLP receiver ingest with ``defer`` (``TELEMETRY_DEFERRED``, on by default): step 4 and
the prompts' slice features are then left to the worker — the batch's prompts and re-ask scopes wait in one
``PendingBatch`` row written in the same transaction, and ``pending_drain`` (a beat task, every few seconds)
detects the re-asks and derives the features, updating events and rollups, in one transaction that deletes
the row (one drain at a time). A request then does the work that must be done before the client is told "stored".

Because rollups change in the same transaction as the events, they are exactly-once by
construction: a crash before commit leaves neither. ``rollups_refresh`` rebuilds them from raw
events (a repair / reconciliation path run nightly by Celery, and callable synchronously).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
from django.conf import settings
from django.db import connection, transaction
from psycopg.types.json import Jsonb, set_json_dumps
from pydantic import ValidationError as PydanticValidationError

from evalhub.core.connector import EndpointError
from evalhub.core.errors import FieldError, Invalid
from evalhub.core.models import ModelVariant
from evalhub.text.features import SCAN_CHARS as FEATURE_SCAN_CHARS
from evalhub.text.features import derive_features
from experiments.telemetry import reask
from experiments.telemetry.buckets import N_LATENCY_BUCKETS, bucket_index
from experiments.telemetry.judge import MAX_ANSWER_CHARS, MAX_PROMPT_CHARS
from experiments.telemetry.refusal import RefusalDecision, classify_refusal, text_uncertain
from experiments.telemetry.schemas import EVENT_LIST, MAX_BATCH_EVENTS, EventIn, nul_errors

# Column order of telemetry_event (the binary COPY writes them in this order).
EVENT_COLUMNS = (
    "event_id", "ts", "received_at", "source", "variant_id", "experiment_key", "arm", "unit_id", "session_id",
    "latency_ms", "ttft_ms", "input_tokens", "output_tokens", "reasoning_tokens", "cost_usd", "cost_priced",
    "finish_reason", "refused", "refusal_source", "feedback", "task_success", "regenerate", "reasked",
    "prompt_text", "response_text", "scores", "metadata", "error_type", "features",
)
_COLS = ", ".join(EVENT_COLUMNS)
# Their PostgreSQL types, for the binary COPY (the table is created in migration 0002).
_COPY_TYPES = (
    "varchar", "timestamptz", "timestamptz", "varchar", "int8", "varchar", "varchar", "varchar", "varchar",
    "float8", "float8", "int4", "int4", "int4", "float8", "bool",
    "varchar", "bool", "varchar", "int2", "bool", "bool", "bool",
    "text", "text", "jsonb", "jsonb", "varchar", "jsonb",
)


def _json_dumps(value: dict) -> str:
    # Most events carry no scores or metadata: skip the encoder for them (it ran twice per event).
    return json.dumps(value) if value else "{}"


def pg_array(values) -> str:
    """A PostgreSQL array literal ('{"a","b"}') built in one pass: psycopg's client-side list
    adaptation costs ~10x more per element, which dominated batch ingestion."""
    values = list(values)
    if not values:
        return "{}"
    if None not in values:
        first = values[0]
        if isinstance(first, datetime) and all(isinstance(value, datetime) for value in values):
            values = [value.isoformat() for value in values]
        elif isinstance(first, int) and all(type(value) is int for value in values):
            return "{" + ",".join(map(str, values)) + "}"
        if all(type(value) is str for value in values):
            # Fast path: one join, then one check that no element needed escaping.
            joined = '","'.join(values)
            if "\\" not in joined and joined.count('"') == 2 * (len(values) - 1):
                return '{"' + joined + '"}'
    parts = []
    append = parts.append
    for value in values:
        if value is None:
            append("NULL")
        elif isinstance(value, int):
            append(str(value))
        else:
            text = value.isoformat() if isinstance(value, datetime) else str(value)
            if "\\" in text or '"' in text:
                text = text.replace("\\", "\\\\").replace('"', '\\"')
            append('"' + text + '"')
    return "{" + ",".join(parts) + "}"


MAX_TOKENS = 2_000_000_000  # per token column of an event (a PostgreSQL integer), samples included


class IngestValidationError(Invalid):
    """The batch is invalid; ``errors`` = [{"index", "field", "message"}]. Nothing was stored."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        first = "; ".join(f"events[{e['index']}].{e['field']}: {e['message']}" for e in errors[:3])
        super().__init__(f"{len(errors)} invalid event(s): {first}", errors=[
            FieldError(e["field"] if e["index"] is None else f"events.{e['index']}.{e['field']}", e["message"],
                       index=e["index"]) for e in errors])
        self.errors = errors


@dataclass(frozen=True)
class IngestResult:
    accepted: int
    duplicates: int
    invalid_arm: int = 0  # events with an experiment but no arm (stored; the A/B app ignores them)
    reasks: int | None = 0  # earlier answers newly flagged as re-asked by this batch (None: left to the worker)
    priced: int = 0  # events whose cost EvalHub computed
    unknown_experiments: tuple[str, ...] = ()  # experiment keys no experiment is registered under
    after_stop: int = 0  # events timed after their experiment stopped: stored without the experiment tag


@dataclass(slots=True)
class _Row:
    """A validated event ready to store."""

    event_id: str
    ts: datetime
    variant_id: int
    experiment_key: str
    arm: str
    unit_id: str
    session_id: str
    latency_ms: float | None
    ttft_ms: float | None
    input_tokens: int
    output_tokens: int
    reasoning_tokens: int
    cost_usd: float
    cost_priced: bool
    finish_reason: str
    error_type: str
    refused: bool
    refusal_source: str
    feedback: int | None
    task_success: bool | None
    regenerate: bool
    prompt_fp: list[int]
    prompt_text: str | None
    response_text: str | None
    scores: dict
    metadata: dict
    features: dict
    prompt_fp_bytes: bytes = b""  # prompt_fp packed for the session state (cached per prompt text)

    @property
    def session_key(self) -> str:
        return reask_scope_key(session_id=self.session_id, unit_id=self.unit_id)

    @property
    def hour(self) -> datetime:
        return self.ts.replace(minute=0, second=0, microsecond=0)


def reask_scope_key(*, session_id: str, unit_id: str) -> str:
    """The key re-ask detection compares calls within: the user (``TELEMETRY_REASK_SCOPE = "user"``,
    across their sessions) or the session; the other one when the first is missing; "" for neither."""
    if settings.TELEMETRY_REASK_SCOPE == "user":
        return ("u:" + unit_id) if unit_id else ("s:" + session_id) if session_id else ""
    return ("s:" + session_id) if session_id else ("u:" + unit_id) if unit_id else ""


def pydantic_errors(raw: list[Any]) -> list[dict[str, Any]]:
    """pydantic's error list (locations relative to the event list) as [{"index", "field", "message"}]."""
    errors = []
    for err in raw:
        loc = list(err.get("loc", ()))
        index = loc.pop(0) if loc and isinstance(loc[0], int) else None
        errors.append({"index": index, "field": ".".join(str(p) for p in loc) or "(event)", "message": err.get("msg", "invalid")})
    return errors


def events_validate(events: list[dict] | list[EventIn], *, check_nul: bool = True) -> list[EventIn]:
    """Validate a batch as a whole; raise ``IngestValidationError`` listing every bad item.

    ``check_nul=False`` skips the NUL scan for events parsed from a JSON body the caller saw holds
    no ``\\u0000`` escape (the only way JSON carries a NUL)."""
    if not isinstance(events, list):
        raise IngestValidationError([{"index": None, "field": "events", "message": "must be a list of events"}])
    if not events:
        raise IngestValidationError([{"index": None, "field": "events", "message": "the batch is empty"}])
    if len(events) > MAX_BATCH_EVENTS:
        raise IngestValidationError([{"index": None, "field": "events",
                                      "message": f"at most {MAX_BATCH_EVENTS} events per batch, got {len(events)}"}])
    if all(isinstance(e, EventIn) for e in events):
        items = list(events)  # already validated (the API parses the body into EventIn; so does OTLP)
    else:
        try:
            items = EVENT_LIST.validate_python(events)
        except PydanticValidationError as exc:
            raise IngestValidationError(pydantic_errors(exc.errors())) from None
    errors = nul_errors(items) if check_nul else []
    errors += [{"index": i, "field": "arm", "message": "an arm needs an experiment"}
               for i, item in enumerate(items) if item.arm and not item.experiment]
    errors += [{"index": i, "field": "samples", "message": f"tokens × samples must be at most {MAX_TOKENS:,}"}
               for i, item in enumerate(items) if item.samples > 1
               and max(item.input_tokens, item.output_tokens, item.reasoning_tokens) * item.samples > MAX_TOKENS]
    if errors:
        raise IngestValidationError(sorted(errors, key=lambda e: e["index"]))
    return items


def _variants_for(slugs: set[str]) -> dict[str, ModelVariant]:
    return {v.slug: v for v in ModelVariant.objects.filter(slug__in=slugs).only(
        "id", "slug", "price_input_per_mtok", "price_output_per_mtok")}


def derive_rows(items: list[EventIn], variants: dict[str, ModelVariant], *, defer: bool = False) -> list[_Row]:
    """Validated events → rows to store, with what the client left out derived: cost, refusal
    (signal and classifier) and — unless ``defer`` (derived by the worker, see ``events_ingest``) — the
    prompt's re-ask fingerprint and slice features. Pure: reads no table."""
    store_text = settings.EVENTS_STORE_TEXT
    prices = {slug: (float(v.price_input_per_mtok) / 1e6, float(v.price_output_per_mtok) / 1e6)
              for slug, v in variants.items()}
    rows = []
    for item in items:
        variant = variants[item.variant]
        price_in, price_out = prices[item.variant]
        # ``samples``: the client reported one of n sampled calls; the request used n times the tokens.
        n_samples = item.samples
        input_tokens = item.input_tokens * n_samples
        output_tokens = item.output_tokens * n_samples
        reasoning_tokens = item.reasoning_tokens * n_samples
        cost, priced = item.cost_usd, False
        if cost is None:
            # Reasoning tokens are billed as output tokens (the price table's convention).
            cost = input_tokens * price_in + (output_tokens + reasoning_tokens) * price_out
            priced = True
        if item.error_type and item.refused is None:
            decision = RefusalDecision(False, "none")  # a failed call has no answer to refuse with
        else:
            decision = classify_refusal(client_flag=item.refused, finish_reason=item.finish_reason,
                                        response_text=item.response, refusal_message=item.refusal_message)
        rows.append(_Row(
            event_id=item.event_id, ts=item.timestamp.astimezone(UTC), variant_id=variant.id,
            experiment_key=item.experiment or "", arm=item.arm or "", unit_id=item.unit_id or "",
            session_id=item.session_id or "", latency_ms=item.latency_ms, ttft_ms=item.ttft_ms,
            input_tokens=input_tokens, output_tokens=output_tokens, reasoning_tokens=reasoning_tokens,
            cost_usd=cost, cost_priced=priced, finish_reason=item.finish_reason or "", error_type=item.error_type or "",
            refused=decision.refused,
            refusal_source=decision.source, feedback=None if item.feedback is None else (1 if item.feedback == "up" else -1),
            task_success=item.task_success, regenerate=item.regenerate,
            prompt_fp=reask.fingerprint(item.prompt) if not defer and (item.session_id or item.unit_id) else [],
            prompt_text=item.prompt if store_text else None, response_text=item.response if store_text else None,
            scores=item.scores, metadata=item.metadata,
            features={} if defer else event_features(item.prompt, item.metadata),
            prompt_fp_bytes=reask.fingerprint_bytes(item.prompt) if not defer and (item.session_id or item.unit_id) else b"",
        ))
    return rows


def _turns(metadata: dict) -> int | None:
    turns = metadata.get("turns")
    return turns if isinstance(turns, int) and not isinstance(turns, bool) else None


def event_features(prompt: str | None, metadata: dict) -> dict[str, str]:
    """Derived dimensions of an event's prompt, stored with it (``evalhub.text.features``); the number of
    user turns comes from ``metadata.turns`` when the client sends it. No prompt: no derived features."""
    if not prompt:
        return {}
    return derive_features(prompt, turns=_turns(metadata))


def _to_derive(items: list[EventIn], rows: list[_Row]) -> dict[str, list]:
    """What deriving each event's fields later needs, by event id: ``[event_id, ts, prompt, turns, scope]`` —
    the part of the prompt ``derive_features`` reads (None without a prompt) and, for a call with a re-ask
    scope (``reask_scope_key``), ``[scope key, variant_id, experiment_key, arm, unit_id, regenerate]`` (else
    None). Events with neither a prompt nor a scope derive nothing and are left out."""
    pending = {}
    for item, row in zip(items, rows, strict=True):
        key = row.session_key
        if item.prompt or key:
            pending[row.event_id] = [
                row.event_id, row.ts.isoformat(), item.prompt[:FEATURE_SCAN_CHARS] if item.prompt else None,
                _turns(item.metadata),
                [key, row.variant_id, row.experiment_key, row.arm, row.unit_id, row.regenerate] if key else None,
            ]
    return pending


def _insert_pending(pending: list[list]) -> None:
    """One pending row for the batch's new events, in the ingest transaction (``PendingBatch``)."""
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO telemetry_pendingbatch (created_at, events, n_events) VALUES (now(), %s, %s)",
                       [json.dumps(pending, ensure_ascii=False), len(pending)])


PENDING_DRAIN_BATCHES = 5  # pending batches (up to 5 × 5,000 events) derived per transaction
PENDING_DRAIN_LOCK = 0x45564452  # "EVDR": the advisory lock key that lets one drain run at a time


def pending_drain(*, limit: int = PENDING_DRAIN_BATCHES) -> int:
    """Derive what ingestion left to the worker (``events_ingest(defer=True)``) for up to ``limit`` pending
    batches, oldest first, and delete their rows — in one transaction: the prompts' slice features, stored on
    the events, and the re-asks among the calls (against each scope's stored previous call, as
    ``events_ingest`` does inline), flagged and added to the rollups. A killed worker leaves the rows for the
    next drain. One drain runs at a time (a transaction-scoped advisory lock; a second one returns 0 at once):
    two drains of different batches could each take a session's calls, and the one that stored a later call
    first would leave the earlier calls compared with nothing. Returns how many events were drained."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [PENDING_DRAIN_LOCK])
        if not cursor.fetchone()[0]:
            return 0  # another drain is running: it, or the next one, takes these rows
        cursor.execute(
            "DELETE FROM telemetry_pendingbatch WHERE id IN (SELECT id FROM telemetry_pendingbatch "
            "ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED) RETURNING events", [limit],
        )
        # Rows written before re-asks were deferred hold [event_id, ts, prompt, turns]: no scope.
        entries = [(event_id, datetime.fromisoformat(ts), prompt, turns, rest[0] if rest else None)
                   for (batch,) in cursor.fetchall() for event_id, ts, prompt, turns, *rest in json.loads(batch)]
        if not entries:
            return 0
        featured = [entry for entry in entries if entry[2]]
        if featured:
            stamps = [entry[1] for entry in featured]
            # An event dropped by retention meanwhile matches nothing: its pending entry just goes. The rows go
            # as ONE JSON parameter (parsed by the server): psycopg's adaptation of three lists cost more per
            # event than the update itself.
            cursor.execute(
                "UPDATE telemetry_event e SET features = v.f "
                "FROM json_to_recordset(%s::json) AS v(i varchar, t timestamptz, f jsonb) "
                "WHERE e.event_id = v.i AND e.ts = v.t AND e.ts >= %s AND e.ts <= %s",
                [json.dumps([{"i": event_id, "t": ts.isoformat(), "f": derive_features(prompt, turns=turns)}
                             for event_id, ts, prompt, turns, _ in featured], ensure_ascii=False),
                 min(stamps), max(stamps)],
            )
        calls = [_Call(event_id, ts, variant_id, experiment_key, arm, unit_id, session_key=key, regenerate=regenerate,
                       prompt_fp=reask.fingerprint(prompt), prompt_fp_bytes=reask.fingerprint_bytes(prompt))
                 for event_id, ts, prompt, _, scope in entries if scope
                 for key, variant_id, experiment_key, arm, unit_id, regenerate in (scope,)]
        if calls:
            targets, detectable = _detect_reasks(calls)
            if targets or detectable:
                _apply_rollups([], targets, detectable)
    return len(entries)


def events_ingest(*, events: list[dict] | list[EventIn], source: str = "api", check_nul: bool = True,
                  defer: bool = False) -> IngestResult:
    """Validate, dedupe and store a batch, detect re-asks and update rollups — all or nothing.

    ``defer`` (the HTTP and OTLP endpoints, with ``TELEMETRY_DEFERRED``): re-asks and the prompts' slice
    features are not derived in the request. The new events are stored (with their cost and refusal) and
    counted at once, and the batch's prompts and re-ask scopes saved in one ``PendingBatch`` row in the same
    transaction; a worker derives the rest within seconds (``pending_drain``). ``IngestResult.reasks`` is then
    None: the re-asks this batch reveals are not known yet."""
    items = events_validate(events, check_nul=check_nul)
    slugs = {item.variant for item in items}
    variants = _variants_for(slugs)
    unknown = sorted(slugs - variants.keys())
    if unknown:
        raise IngestValidationError([
            {"index": i, "field": "variant", "message": f"unknown variant '{item.variant}'"}
            for i, item in enumerate(items) if item.variant in unknown
        ][:100])
    rows = derive_rows(items, variants, defer=defer)
    judged = _to_judge(items, rows)
    to_derive = _to_derive(items, rows) if defer else {}
    unknown_experiments, after_stop = _check_experiments(rows)
    # Repeats inside one batch: keep the first, count the rest as duplicates.
    unique: dict[str, _Row] = {}
    for row in rows:
        unique.setdefault(row.event_id, row)
    with transaction.atomic():
        new_ids = _insert_new(list(unique.values()), source)
        new_rows = [unique[event_id] for event_id in new_ids]
        reask_targets, detectable = ([], []) if defer else _detect_reasks(new_rows)
        _apply_rollups(new_rows, reask_targets, detectable)
        if judged:
            _schedule_judge([judged[r.event_id] for r in new_rows if r.event_id in judged])
        pending = [to_derive[r.event_id] for r in new_rows if r.event_id in to_derive]
        if pending:
            _insert_pending(pending)
    return IngestResult(
        accepted=len(new_rows), duplicates=len(rows) - len(new_rows),
        invalid_arm=sum(1 for r in new_rows if r.experiment_key and not r.arm),
        reasks=None if defer else len(reask_targets), priced=sum(1 for r in new_rows if r.cost_priced),
        unknown_experiments=unknown_experiments, after_stop=after_stop,
    )


# ---------------------------------------------------------------------------------------------
# The optional refusal judge (judge.py): scheduled after the ingest transaction commits.


def _to_judge(items: list[EventIn], rows: list[_Row]) -> dict[str, dict[str, Any]]:
    """The answers the refusal judge should read (see ``judge.py``), by event id: texts travel in the
    task's message, so the judge works when ``EVENTS_STORE_TEXT`` is off."""
    if not settings.TELEMETRY_REFUSAL_JUDGE:
        return {}
    every = settings.TELEMETRY_REFUSAL_JUDGE_SCOPE == "all"
    chosen = {}
    for item, row in zip(items, rows, strict=True):
        if row.error_type or row.refusal_source not in ("text", "none") or not item.response:
            continue
        if every or text_uncertain(item.response):
            # Only what the judge reads travels (judge.py's limits).
            chosen[row.event_id] = {"event_id": row.event_id, "ts": row.ts.isoformat(),
                                    "prompt": item.prompt[:MAX_PROMPT_CHARS] if item.prompt else item.prompt,
                                    "response": item.response[:MAX_ANSWER_CHARS]}
    return chosen


JUDGE_TASK_SIZE = 50  # answers per judge task: a batch's calls spread over the workers


def _schedule_judge(payload: list[dict[str, Any]]) -> None:
    if not payload:
        return
    from experiments.telemetry.tasks import refusal_judge_task  # tasks import services

    for start in range(0, len(payload), JUDGE_TASK_SIZE):
        chunk = payload[start:start + JUDGE_TASK_SIZE]
        transaction.on_commit(lambda chunk=chunk: refusal_judge_task.delay(chunk))


@dataclass(frozen=True)
class JudgeResult:
    judged: int  # answers the judge read and whose verdict was stored
    changed: int  # verdicts that differ from the text classifier's
    failed: int  # calls that failed or named no verdict (the classifier's decision stays)
    cost_usd: float


def refusal_judge(payload: list[dict[str, Any]]) -> JudgeResult:
    """Ask the refusal judge about each answer, then store its verdicts: the event's ``refused`` and
    ``refusal_source = "judge"``, its tokens and cost, and the rollups moved by the difference — in one
    transaction, once per event (an event already judged is left alone, so a retried task changes nothing)."""
    from experiments.telemetry.judge import JudgeError, judge_refusal

    slug = settings.TELEMETRY_REFUSAL_JUDGE
    variant = ModelVariant.objects.filter(slug=slug).first() if slug else None
    if variant is None or not payload:
        return JudgeResult(0, 0, len(payload) if slug else 0, 0.0)
    verdicts, failed = [], 0
    for item in payload:
        try:
            verdicts.append((item, judge_refusal(variant, item.get("prompt"), item["response"])))
        except (EndpointError, JudgeError):
            failed += 1
    if not verdicts:
        return JudgeResult(0, 0, failed, 0.0)
    hourly: dict[tuple, dict[str, Any]] = defaultdict(_new_hourly)
    units: dict[tuple, dict[str, Any]] = {}
    changed = 0
    with transaction.atomic(), connection.cursor() as cursor:
        for item, verdict in verdicts:
            ts = datetime.fromisoformat(item["ts"])
            cursor.execute(
                "WITH old AS (SELECT event_id, ts, refused, refusal_source FROM telemetry_event "
                "WHERE event_id = %s AND ts = %s AND refusal_source <> 'judge' FOR UPDATE) "
                "UPDATE telemetry_event e SET refused = %s, refusal_source = 'judge', judge_input_tokens = %s, "
                "judge_output_tokens = %s, judge_cost_usd = %s FROM old "
                "WHERE e.event_id = old.event_id AND e.ts = old.ts "
                "RETURNING old.refused, old.refusal_source, e.variant_id, e.experiment_key, e.arm, e.unit_id, e.ts",
                [item["event_id"], ts, verdict.refused, verdict.input_tokens, verdict.output_tokens, verdict.cost_usd],
            )
            found = cursor.fetchone()
            if found is None:
                continue  # unknown, or judged already
            was_refused, was_source, variant_id, experiment_key, arm, unit_id, event_ts = found
            changed += was_refused != verdict.refused
            h = hourly[(event_ts.astimezone(UTC).replace(minute=0, second=0, microsecond=0), variant_id,
                        experiment_key, arm)]
            h["refusals"] += int(verdict.refused) - int(was_refused)
            if was_refused:
                h[REFUSAL_SOURCE_FIELDS.get(was_source, "refusals_text")] -= 1
            h["refusals_judge"] += int(verdict.refused)
            h["judge_calls"] += 1
            h["judge_cost_sum"] += verdict.cost_usd
            if experiment_key and unit_id and was_refused != verdict.refused:
                key = (experiment_key, arm, unit_id)
                u = units.setdefault(key, dict.fromkeys(UNIT_SUM_FIELDS, 0) | {"variant_id": variant_id, "first": event_ts,
                                                                                "last": event_ts})
                u["refusals"] += int(verdict.refused) - int(was_refused)
        if hourly:
            cursor.executemany(_HOURLY_UPSERT, [
                [*key, pg_array(h["hist"]), *(h[f] for f in HOURLY_SUM_FIELDS)] for key, h in sorted(hourly.items())
            ])
        if units:
            cursor.executemany(_UNIT_UPSERT, [
                [*key, u["variant_id"], u["first"], u["last"], *(u[f] for f in UNIT_SUM_FIELDS)]
                for key, u in sorted(units.items())
            ])
    judged = sum(h["judge_calls"] for h in hourly.values())
    return JudgeResult(judged, changed, failed, sum(h["judge_cost_sum"] for h in hourly.values()))


def _check_experiments(rows: list[_Row]) -> tuple[tuple[str, ...], int]:
    """Report experiment keys nobody registered, and untag events timed after their experiment stopped.

    A stopped experiment's result is history: services that keep tagging events with the arm the
    assignment API still answers (sticky, ``status: "stopped"``) must not add to it. Such events are
    stored for the variant's production metrics, without experiment and arm. Unknown keys are stored
    as sent (an experiment may be registered later) and named in the answer so the sender notices.
    """
    keys = {r.experiment_key for r in rows if r.experiment_key}
    if not keys:
        return (), 0
    from django.apps import apps  # the A/B app reads telemetry, not the reverse: no import cycle

    experiment_model = apps.get_model("abtests", "Experiment")
    known = dict(experiment_model.objects.filter(key__in=keys).values_list("key", "stopped_at"))
    after_stop = 0
    for row in rows:
        stopped_at = known.get(row.experiment_key)
        if stopped_at is not None and row.ts >= stopped_at:
            row.experiment_key, row.arm = "", ""
            after_stop += 1
    return tuple(sorted(keys - known.keys())), after_stop


def _insert_new(rows: list[_Row], source: str) -> list[str]:
    """Claim the batch's ids in the dedupe table, then COPY only the claimed events. Returns new ids.

    ``INSERT … ON CONFLICT DO NOTHING RETURNING`` claims ids no committed (or concurrent, still open)
    batch holds: a concurrent batch with the same id waits on the row lock and, once this one commits,
    finds the conflict — so each event is stored once. Ids are claimed in sorted order, so two batches
    sharing ids take the locks in one order (no deadlock). The events then go straight into the
    partitioned table with a binary COPY (PostgreSQL routes each row to its day's partition).
    """
    now = datetime.now(UTC)
    rows = sorted(rows, key=lambda r: r.event_id)
    with connection.cursor() as django_cursor:
        cursor = django_cursor.cursor  # the psycopg cursor: COPY support
        set_json_dumps(_json_dumps, cursor)
        cursor.execute(
            "INSERT INTO telemetry_event_key (event_id, ts) SELECT * FROM unnest(%s::varchar[], %s::timestamptz[]) "
            "ON CONFLICT DO NOTHING RETURNING event_id",
            [pg_array([r.event_id for r in rows]), pg_array([r.ts for r in rows])],
        )
        new_ids = {r[0] for r in cursor.fetchall()}
        if not new_ids:
            return []
        with cursor.copy(f"COPY telemetry_event ({_COLS}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(_COPY_TYPES)
            write = copy.write_row
            for r in rows:
                if r.event_id in new_ids:
                    write((
                        r.event_id, r.ts, now, source, r.variant_id, r.experiment_key, r.arm, r.unit_id, r.session_id,
                        r.latency_ms, r.ttft_ms, r.input_tokens, r.output_tokens, r.reasoning_tokens, r.cost_usd,
                        r.cost_priced, r.finish_reason, r.refused, r.refusal_source, r.feedback, r.task_success,
                        r.regenerate, False, r.prompt_text, r.response_text,
                        Jsonb(r.scores), Jsonb(r.metadata), r.error_type, Jsonb(r.features),
                    ))
    return [r.event_id for r in rows if r.event_id in new_ids]


@dataclass(frozen=True, slots=True)
class _Target:
    """An earlier answer found re-asked."""

    event_id: str
    ts: datetime
    variant_id: int
    experiment_key: str
    arm: str
    unit_id: str

    @property
    def hour(self) -> datetime:
        return self.ts.replace(minute=0, second=0, microsecond=0)


@dataclass(frozen=True, slots=True)
class _Call(_Target):
    """A drained call with a re-ask scope: what ``_detect_reasks`` reads of an ingested ``_Row``."""

    session_key: str
    regenerate: bool
    prompt_fp: list[int]
    prompt_fp_bytes: bytes


def reask_between(previous: _Row, row: _Row) -> bool:
    """Is ``row`` a re-ask of ``previous``, taken as the previous call of its scope? The decision
    ``_detect_reasks`` makes against the stored session state, with this deployment's settings."""
    key = row.session_key
    if not key or key != previous.session_key:
        return False
    return reask.is_reask(previous_fp=previous.prompt_fp, previous_ts=previous.ts.timestamp(), fp=row.prompt_fp,
                          ts=row.ts.timestamp(), regenerate=row.regenerate,
                          window_seconds=settings.TELEMETRY_REASK_WINDOW_SECONDS,
                          threshold=settings.TELEMETRY_REASK_SIMILARITY)


def _by_ts(row: _Row | _Call) -> datetime:
    return row.ts


def _detect_reasks(rows: Sequence[_Row | _Call]) -> tuple[list[_Target], list[_Target]]:
    """Compare each new call with its session's previous call; flag re-asked answers once.

    Returns (newly re-asked answers, answers newly known to be re-ask detectable: followed by a
    call of their scope within the window, re-asked or not)."""
    by_session: dict[str, list[_Row | _Call]] = defaultdict(list)
    for row in rows:
        key = row.session_key
        if key:
            by_session[key].append(row)
    if not by_session:
        return [], []
    window = settings.TELEMETRY_REASK_WINDOW_SECONDS
    threshold = settings.TELEMETRY_REASK_SIMILARITY
    keys = sorted(by_session)
    # The state each session moves to: its latest call in this batch (ties: the later one in
    # ts order). It does not depend on the stored state — the upsert's WHERE keeps a newer stored
    # call — so reading the old state and writing the new one is ONE statement: the CTE locks the
    # stored rows FOR UPDATE in key order (two batches of one session are serialised, never
    # deadlocked) and, sharing the statement's snapshot, returns them as they were before the upsert.
    ordered_rows = {key: calls if len(calls) == 1 else sorted(calls, key=_by_ts) for key, calls in by_session.items()}
    latest = [(key, ordered_rows[key][-1]) for key in keys]
    connection.ensure_connection()
    # A server-binding psycopg cursor (Django's are client-side): binary results, so the timestamps
    # and fingerprint arrays of up to 5,000 sessions load several times faster than from text.
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(
            "WITH s(k, e, t, v, x, a, u, p) AS (SELECT * FROM unnest(%s::varchar[], %s::varchar[], %s::timestamptz[], "
            "%s::bigint[], %s::varchar[], %s::varchar[], %s::varchar[], %s::bytea[])), "
            "old AS (SELECT session_key, event_id, ts, variant_id, experiment_key, arm, unit_id, prompt_fp "
            "FROM telemetry_sessionstate WHERE session_key IN (SELECT k FROM s) ORDER BY session_key FOR UPDATE), "
            "up AS (INSERT INTO telemetry_sessionstate (session_key, event_id, ts, variant_id, experiment_key, arm, unit_id, prompt_fp) "
            "SELECT k, e, t, v, x, a, u, p FROM s "
            "ON CONFLICT (session_key) DO UPDATE SET "
            "event_id = EXCLUDED.event_id, ts = EXCLUDED.ts, variant_id = EXCLUDED.variant_id, "
            "experiment_key = EXCLUDED.experiment_key, arm = EXCLUDED.arm, unit_id = EXCLUDED.unit_id, "
            "prompt_fp = EXCLUDED.prompt_fp WHERE telemetry_sessionstate.ts <= EXCLUDED.ts) "
            "SELECT * FROM old",
            [pg_array(keys), pg_array([r.event_id for _, r in latest]),
             pg_array([r.ts for _, r in latest]), pg_array([r.variant_id for _, r in latest]),
             pg_array([r.experiment_key for _, r in latest]), pg_array([r.arm for _, r in latest]),
             pg_array([r.unit_id for _, r in latest]),
             [r.prompt_fp_bytes for _, r in latest]],
            binary=True, prepare=False,  # no server-side prepared statement: safe behind a transaction pooler
        )
        # (event_id, ts, variant_id, experiment_key, arm, unit_id, prompt fingerprint) per session
        from_bytes = reask.fingerprint_from_bytes
        state = {r[0]: (*r[1:7], from_bytes(r[7])) for r in cursor.fetchall()}
    candidates: dict[str, tuple] = {}
    followed: dict[str, tuple] = {}
    is_reask = reask.is_reask
    for key in keys:
        prev = state.get(key)
        for row in ordered_rows[key]:
            if prev is not None:
                if row.ts < prev[1]:
                    continue  # older than the session's latest call: compared with nothing, changes nothing
                if (row.ts - prev[1]).total_seconds() <= window:
                    followed.setdefault(prev[0], prev)
                if is_reask(previous_fp=prev[6], previous_ts=prev[1].timestamp(), fp=row.prompt_fp,
                            ts=row.ts.timestamp(), regenerate=row.regenerate, window_seconds=window,
                            threshold=threshold):
                    candidates.setdefault(prev[0], prev)
                    followed.setdefault(prev[0], prev)  # a re-ask was seen, so it was detectable
            prev = (row.event_id, row.ts, row.variant_id, row.experiment_key, row.arm, row.unit_id, row.prompt_fp)
    if not followed:
        return [], []
    with connection.cursor() as cursor:
        detectable = [_Target(*c[:6]) for c in sorted(followed.values())]
        cursor.execute(
            "UPDATE telemetry_event e SET reask_detectable = true FROM unnest(%s::varchar[]) AS t(event_id) "
            "WHERE e.event_id = t.event_id AND e.ts >= %s AND e.ts <= %s AND NOT e.reask_detectable RETURNING e.event_id",
            [pg_array([t.event_id for t in detectable]), min(t.ts for t in detectable), max(t.ts for t in detectable)],
        )
        flagged_detectable = {r[0] for r in cursor.fetchall()}
        detectable = [t for t in detectable if t.event_id in flagged_detectable]
        if not candidates:
            return [], detectable
        targets = [_Target(*c[:6]) for c in sorted(candidates.values())]
        # Ids join as an unnest (a nested loop of primary-key probes); the ts RANGE is a constant, so
        # the planner prunes partitions at plan time and puts it in the (event_id, ts) index
        # condition. (``e.ts = ANY(<timestamps>)`` made the planner scan the whole day's partition
        # per batch — cost grew with the table.) event_id is globally unique (telemetry_event_key),
        # so an id inside the range cannot pick a wrong row.
        cursor.execute(
            "UPDATE telemetry_event e SET reasked = true FROM unnest(%s::varchar[]) AS t(event_id) "
            "WHERE e.event_id = t.event_id AND e.ts >= %s AND e.ts <= %s AND NOT e.reasked RETURNING e.event_id",
            [pg_array([t.event_id for t in targets]), min(t.ts for t in targets), max(t.ts for t in targets)],
        )
        flagged = {r[0] for r in cursor.fetchall()}
    return [t for t in targets if t.event_id in flagged], detectable


HOURLY_SUM_FIELDS = (
    "n", "latency_n", "latency_sum", "latency_sum_sq", "ttft_n", "ttft_sum", "ttft_sum_sq", "input_tokens",
    "output_tokens", "reasoning_tokens", "cost_sum", "cost_sum_sq", "refusals", "reasks", "feedback_n", "thumbs_up",
    "success_n", "successes", "errors", "refusals_client", "refusals_api", "refusals_finish_reason", "refusals_text",
    "refusals_judge", "judge_calls", "judge_cost_sum", "reask_detectable",
)
# refusal_source → its HourlyRollup counter
REFUSAL_SOURCE_FIELDS = {"client": "refusals_client", "api_refusal": "refusals_api",
                         "finish_reason": "refusals_finish_reason", "text": "refusals_text", "judge": "refusals_judge"}
UNIT_SUM_FIELDS = ("n", "latency_sum", "cost_sum", "refusals", "reasks", "feedback_n", "thumbs_up", "success_n", "successes",
                   "reask_detectable")

_HOURLY_UPSERT = (
    "INSERT INTO telemetry_hourlyrollup (hour, variant_id, experiment_key, arm, latency_hist, "
    + ", ".join(HOURLY_SUM_FIELDS) + ") VALUES (%s, %s, %s, %s, %s::bigint[], " + ", ".join(["%s"] * len(HOURLY_SUM_FIELDS))
    + ") ON CONFLICT (hour, variant_id, experiment_key, arm) DO UPDATE SET "
    + ", ".join(f"{f} = r.{f} + EXCLUDED.{f}" for f in HOURLY_SUM_FIELDS)
    + ", latency_hist = (SELECT array_agg(a + b ORDER BY i) FROM unnest(r.latency_hist, EXCLUDED.latency_hist)"
    " WITH ORDINALITY AS t(a, b, i))"
).replace("INSERT INTO telemetry_hourlyrollup ", "INSERT INTO telemetry_hourlyrollup AS r ", 1)

_UNIT_UPSERT = (
    "INSERT INTO telemetry_unitrollup AS r (experiment_key, arm, unit_id, variant_id, first_seen, last_seen, "
    + ", ".join(UNIT_SUM_FIELDS) + ") VALUES (%s, %s, %s, %s, %s, %s, " + ", ".join(["%s"] * len(UNIT_SUM_FIELDS))
    + ") ON CONFLICT (experiment_key, arm, unit_id) DO UPDATE SET "
    + ", ".join(f"{f} = r.{f} + EXCLUDED.{f}" for f in UNIT_SUM_FIELDS)
    + ", first_seen = LEAST(r.first_seen, EXCLUDED.first_seen), last_seen = GREATEST(r.last_seen, EXCLUDED.last_seen)"
)


def _new_hourly() -> dict[str, Any]:
    sums: dict[str, Any] = dict.fromkeys(HOURLY_SUM_FIELDS, 0)
    sums["hist"] = [0] * N_LATENCY_BUCKETS
    return sums


def _apply_rollups(rows: list[_Row], targets: list[_Target], detectable: list[_Target]) -> None:
    """Add the new events (and newly re-asked answers) to the rollups, keys sorted against deadlocks."""
    hourly: dict[tuple, dict[str, Any]] = defaultdict(_new_hourly)
    units: dict[tuple, dict[str, Any]] = {}
    for r in rows:
        h = hourly[(r.hour, r.variant_id, r.experiment_key, r.arm)]
        h["n"] += 1
        failed = bool(r.error_type)
        if failed:
            h["errors"] += 1
        elif r.latency_ms is not None:  # a failed call's latency (a timeout) says nothing about the model
            h["latency_n"] += 1
            h["latency_sum"] += r.latency_ms
            h["latency_sum_sq"] += r.latency_ms * r.latency_ms
            h["hist"][bucket_index(r.latency_ms)] += 1
        if r.ttft_ms is not None and not failed:
            h["ttft_n"] += 1
            h["ttft_sum"] += r.ttft_ms
            h["ttft_sum_sq"] += r.ttft_ms * r.ttft_ms
        h["input_tokens"] += r.input_tokens
        h["output_tokens"] += r.output_tokens
        h["reasoning_tokens"] += r.reasoning_tokens
        h["cost_sum"] += r.cost_usd
        h["cost_sum_sq"] += r.cost_usd * r.cost_usd
        h["refusals"] += r.refused
        if r.refused:
            h[REFUSAL_SOURCE_FIELDS.get(r.refusal_source, "refusals_text")] += 1
        if r.feedback is not None:
            h["feedback_n"] += 1
            h["thumbs_up"] += r.feedback == 1
        if r.task_success is not None:
            h["success_n"] += 1
            h["successes"] += bool(r.task_success)
        if r.experiment_key and r.unit_id:
            key = (r.experiment_key, r.arm, r.unit_id)
            u = units.get(key)
            if u is None:
                u = units[key] = dict.fromkeys(UNIT_SUM_FIELDS, 0) | {"variant_id": r.variant_id, "first": r.ts, "last": r.ts}
            u["n"] += 1
            u["latency_sum"] += 0.0 if failed else (r.latency_ms or 0.0)
            u["cost_sum"] += r.cost_usd
            u["refusals"] += r.refused
            u["first"], u["last"] = min(u["first"], r.ts), max(u["last"], r.ts)
            if r.feedback is not None:
                u["feedback_n"] += 1
                u["thumbs_up"] += r.feedback == 1
            if r.task_success is not None:
                u["success_n"] += 1
                u["successes"] += bool(r.task_success)
    for field, found in (("reasks", targets), ("reask_detectable", detectable)):
        for t in found:
            hourly[(t.hour, t.variant_id, t.experiment_key, t.arm)][field] += 1
            if t.experiment_key and t.unit_id:
                key = (t.experiment_key, t.arm, t.unit_id)
                u = units.get(key)
                if u is None:
                    u = units[key] = dict.fromkeys(UNIT_SUM_FIELDS, 0) | {"variant_id": t.variant_id, "first": t.ts, "last": t.ts}
                u[field] += 1
    with connection.cursor() as cursor:
        if hourly:
            cursor.executemany(_HOURLY_UPSERT, [
                [*key, pg_array(h["hist"]), *(h[f] for f in HOURLY_SUM_FIELDS)] for key, h in sorted(hourly.items())
            ])
        if units:
            cursor.executemany(_UNIT_UPSERT, [
                [*key, u["variant_id"], u["first"], u["last"], *(u[f] for f in UNIT_SUM_FIELDS)]
                for key, u in sorted(units.items())
            ])


# ---------------------------------------------------------------------------------------------
# Rebuilding rollups from raw events (repair / reconciliation)


@dataclass(frozen=True)
class RefreshResult:
    hourly_rows: int
    unit_rows: int


def _edges_sql() -> str:
    from experiments.telemetry.buckets import LATENCY_BUCKET_EDGES_MS

    return "ARRAY[" + ",".join(repr(float(e)) for e in LATENCY_BUCKET_EDGES_MS) + "]::float8[]"


@transaction.atomic
def rollups_refresh(*, since: datetime | None = None, until: datetime | None = None) -> RefreshResult:
    """Rebuild rollups from raw events for hours in [since, until) (default: everything).

    Ingestion keeps rollups current transactionally, so this is needed only to repair (e.g. after
    events were deleted by hand) and as a nightly reconciliation. The SHARE ROW EXCLUSIVE lock waits
    for in-flight ingest transactions to commit and holds new ones until the rebuild commits, so
    every event is counted exactly once either way.
    """
    since = since.astimezone(UTC).replace(minute=0, second=0, microsecond=0) if since else datetime(1970, 1, 1, tzinfo=UTC)
    until = until.astimezone(UTC) if until else datetime(9999, 1, 1, tzinfo=UTC)
    with connection.cursor() as cursor:
        cursor.execute("LOCK TABLE telemetry_hourlyrollup, telemetry_unitrollup IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute("DELETE FROM telemetry_hourlyrollup WHERE hour >= %s AND hour < %s", [since, until])
        where = "ts >= %s AND ts < %s"
        ok = "error_type = ''"  # failed calls stay out of latency (see HourlyRollup)
        cursor.execute(f"""
            SELECT date_trunc('hour', ts, 'UTC') AS hour, variant_id, experiment_key, arm,
                   count(*), count(latency_ms) FILTER (WHERE {ok}), coalesce(sum(latency_ms) FILTER (WHERE {ok}), 0),
                   coalesce(sum(latency_ms * latency_ms) FILTER (WHERE {ok}), 0),
                   count(ttft_ms) FILTER (WHERE {ok}), coalesce(sum(ttft_ms) FILTER (WHERE {ok}), 0),
                   coalesce(sum(ttft_ms * ttft_ms) FILTER (WHERE {ok}), 0),
                   sum(input_tokens), sum(output_tokens), sum(reasoning_tokens), sum(cost_usd), sum(cost_usd * cost_usd),
                   count(*) FILTER (WHERE refused), count(*) FILTER (WHERE reasked),
                   count(feedback), count(*) FILTER (WHERE feedback = 1),
                   count(task_success), count(*) FILTER (WHERE task_success),
                   count(*) FILTER (WHERE error_type <> ''),
                   count(*) FILTER (WHERE refused AND refusal_source = 'client'),
                   count(*) FILTER (WHERE refused AND refusal_source = 'api_refusal'),
                   count(*) FILTER (WHERE refused AND refusal_source = 'finish_reason'),
                   count(*) FILTER (WHERE refused AND refusal_source NOT IN ('client', 'api_refusal', 'finish_reason', 'judge')),
                   count(*) FILTER (WHERE refused AND refusal_source = 'judge'),
                   count(judge_cost_usd), coalesce(sum(judge_cost_usd), 0),
                   count(*) FILTER (WHERE reask_detectable)
            FROM telemetry_event WHERE {where} GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
        """, [since, until])
        sums = cursor.fetchall()
        cursor.execute(f"""
            SELECT date_trunc('hour', ts, 'UTC'), variant_id, experiment_key, arm,
                   least(width_bucket(latency_ms, {_edges_sql()}), {N_LATENCY_BUCKETS}) - 1 AS b, count(*)
            FROM telemetry_event WHERE {where} AND latency_ms IS NOT NULL AND {ok} GROUP BY 1, 2, 3, 4, 5
        """, [since, until])
        hists: dict[tuple, list[int]] = defaultdict(lambda: [0] * N_LATENCY_BUCKETS)
        for hour, variant_id, exp, arm, b, count in cursor.fetchall():
            hists[(hour, variant_id, exp, arm)][b] += count
        cursor.executemany(
            _HOURLY_UPSERT,
            [[*row[:4], pg_array(hists.get(tuple(row[:4]), [0] * N_LATENCY_BUCKETS)), *row[4:]] for row in sums],
        )
        # Unit rollups span an experiment's whole life: rebuild every experiment touched in the range.
        cursor.execute(
            f"SELECT DISTINCT experiment_key FROM telemetry_event WHERE {where} AND experiment_key <> ''", [since, until]
        )
        experiments = [r[0] for r in cursor.fetchall()]
        unit_rows = 0
        if experiments:
            cursor.execute("DELETE FROM telemetry_unitrollup WHERE experiment_key = ANY(%s)", [experiments])
            cursor.execute("""
                INSERT INTO telemetry_unitrollup (experiment_key, arm, unit_id, variant_id, first_seen, last_seen,
                    n, latency_sum, cost_sum, refusals, reasks, feedback_n, thumbs_up, success_n, successes,
                    reask_detectable)
                SELECT experiment_key, arm, unit_id, (array_agg(variant_id ORDER BY ts))[1], min(ts), max(ts),
                       count(*), coalesce(sum(latency_ms) FILTER (WHERE error_type = ''), 0), sum(cost_usd),
                       count(*) FILTER (WHERE refused),
                       count(*) FILTER (WHERE reasked), count(feedback), count(*) FILTER (WHERE feedback = 1),
                       count(task_success), count(*) FILTER (WHERE task_success), count(*) FILTER (WHERE reask_detectable)
                FROM telemetry_event WHERE experiment_key = ANY(%s) AND unit_id <> ''
                GROUP BY experiment_key, arm, unit_id
            """, [experiments])
            unit_rows = cursor.rowcount
    return RefreshResult(hourly_rows=len(sums), unit_rows=unit_rows)


# ---------------------------------------------------------------------------------------------
# Partitions


def _partition_name(day: date) -> str:
    return f"telemetry_event_p{day:%Y%m%d}"


def partitions_ensure(*, start: date | None = None, days_ahead: int | None = None) -> list[str]:
    """Create daily partitions from ``start`` (default today) to ``days_ahead`` days after today.

    Rows that already landed in the DEFAULT partition for a new day are moved into it first
    (PostgreSQL refuses to attach a range the default partition holds rows for). Idempotent.
    """
    today = datetime.now(UTC).date()
    start = start or today
    days_ahead = settings.TELEMETRY_PARTITION_DAYS_AHEAD if days_ahead is None else days_ahead
    created = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'telemetry_event'"
        )
        existing = {r[0] for r in cursor.fetchall()}
    day = start
    while day <= today + timedelta(days=days_ahead):
        name = _partition_name(day)
        if name not in existing:
            _partition_create(day, name)
            created.append(name)
        day += timedelta(days=1)
    return created


@transaction.atomic
def _partition_create(day: date, name: str) -> None:
    low = datetime(day.year, day.month, day.day, tzinfo=UTC)
    high = low + timedelta(days=1)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {name} (LIKE telemetry_event INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
        cursor.execute(
            f"WITH moved AS (DELETE FROM telemetry_event_default WHERE ts >= %s AND ts < %s RETURNING *) "
            f"INSERT INTO {name} SELECT * FROM moved", [low, high],
        )
        cursor.execute(
            f"ALTER TABLE telemetry_event ATTACH PARTITION {name} FOR VALUES FROM (%s) TO (%s)", [low, high]
        )


def sessions_purge(*, now: datetime | None = None) -> int:
    """Delete session states older than the re-ask window plus an hour; returns how many.

    A state only serves to compare the session's next call with; a call more than the window after
    it cannot be a re-ask, so an older state changes nothing but the table's size (one row per
    session ever seen). The hour of slack covers late-arriving calls. Run hourly by Celery beat.
    """
    horizon = timedelta(seconds=settings.TELEMETRY_REASK_WINDOW_SECONDS) + timedelta(hours=1)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM telemetry_sessionstate WHERE ts < %s", [(now or datetime.now(UTC)) - horizon])
        return cursor.rowcount


def partitions_drop_older(*, keep_days: int) -> list[str]:
    """Drop daily partitions older than ``keep_days`` (raw-event retention; rollups are kept)."""
    if keep_days <= 0:
        return []
    cutoff = datetime.now(UTC).date() - timedelta(days=keep_days)
    dropped = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'telemetry_event' AND c.relname ~ '^telemetry_event_p[0-9]{8}$'"
        )
        for (name,) in cursor.fetchall():
            day = datetime.strptime(name[-8:], "%Y%m%d").date()
            if day < cutoff:
                cursor.execute(f"DROP TABLE {name}")
                dropped.append(name)
    return dropped
