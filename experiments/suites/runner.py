"""The run engine: process a chunk of a run's items against the variant's endpoint.

Design (why it looks like this):

* **Chunks, not one task per item.** ``run_dispatch_task`` splits the items that have no result yet
  into chunks (``services.chunk_size``: ~64 items per lane, at least 500), enqueues one
  ``run_chunk_task`` per chunk but the first, and runs the first itself (no broker round trip before
  the first call). Inside a chunk a bounded set of threads ("lanes", one per slot held)
  call the endpoint over HTTP (httpx, one pooled client) while the task's own thread writes results
  in batches. One broker message per chunk keeps the broker out of the hot path, which is what lets
  a run approach concurrency / latency items per second.
* **Per-endpoint concurrency that holds across worker processes.** Each lane holds a PostgreSQL
  session-level advisory lock ``(endpoint key, slot)`` with slot in ``0 .. run.concurrency − 1``; the
  key is a hash of the endpoint's base URL. However many chunks run in however many worker processes,
  at most ``concurrency`` lanes exist per endpoint, so at most that many calls are in flight (runs
  with different limits on one endpoint share slots ``0..max−1``). A killed worker's connection
  closes, and PostgreSQL frees its locks at once. Locks are taken with ``pg_try_advisory_lock`` in
  one statement, on a connection of the chunk's own (see ``SlotSession``); a chunk that gets no slot
  waits and retries (checking for cancellation); a lane hands its slot back as soon as its chunk has
  no more items for it.
* **Exactly one result per (run, item).** Rows are inserted with ``INSERT … ON CONFLICT (run_id,
  item_id) DO NOTHING`` (``bulk_create(ignore_conflicts=True)``) against the unique constraint, so a
  task redelivered after a kill (tasks are ``acks_late``), a resumed run or two workers racing can
  never duplicate a result; the loser's work is simply dropped. To keep that loss small, a chunk
  skips items that got a result from another chunk since it started (looked up at most every
  ``FLUSH_EVERY_S`` and whenever it gets slots, checked by the lane right before the call).
* **Errors are per item.** The connector retries 429/5xx/timeouts with exponential backoff
  (``run.max_retries``, ``run.timeout_s``); a final failure stores an error result (score 0, the error
  text) and the run goes on.
* **Cancel.** The task re-reads the run's status at each batch write; on ``cancelled`` the lanes stop
  taking items and the chunk ends after writing what is finished.
* **Heartbeat.** A live chunk stamps ``Run.heartbeat_at`` when it starts, at a results flush at most
  every ``HEARTBEAT_PROGRESS_S``, and every ``HEARTBEAT_IDLE_S`` while it has nothing to flush (waiting
  for slots or for slow calls), so the watchdog (``services.runs_resume_stalled``) tells a slow run from
  a dead one. One UPDATE every few seconds per chunk, against flushes up to four times a second.
"""

from __future__ import annotations

import hashlib
import logging
import queue
import random
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

import httpx
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Exists, OuterRef
from django.utils import timezone

from evalhub.core import connector
from evalhub.core.connector import EndpointError
from evalhub.core.models import ModelVariant
from experiments.suites import cache, graders, prompts, strategies
from experiments.suites.models import HumanGrade, Run, RunResult, RunStatus, SuiteItem

log = logging.getLogger(__name__)
FLUSH_EVERY_S = 0.25
FLUSH_ROWS = 64
SLOT_RETRY_S = 0.05
HEARTBEAT_PROGRESS_S = 5.0
HEARTBEAT_IDLE_S = 30.0  # well under SUITE_RUN_STALL_SECONDS (at least 60)


def retry_backoff() -> float:
    return float(getattr(settings, "SUITES_RETRY_BACKOFF", 0.5))


def endpoint_key(variant: ModelVariant) -> int:
    """A signed 32-bit advisory-lock key for the variant's endpoint (its base URL)."""
    base, _ = connector.endpoint_for(variant)
    return int.from_bytes(hashlib.sha256(base.encode()).digest()[:4], "big", signed=True)


class SlotSession:
    """A DEDICATED database session holding this chunk's advisory-lock slots.

    Advisory locks belong to a session and are re-entrant within it, so the slots must not live on
    a connection that other tasks might share (Celery's threads pool can hand several tasks the same
    Django connection through a copied context). One private connection per chunk makes "one lock =
    one lane" hold whatever the worker's pool type; closing it (or the process dying) frees the slots.
    """

    def __init__(self, key: int, limit: int) -> None:
        self.key, self.limit = key, limit
        self.conn = connections.create_connection(DEFAULT_DB_ALIAS)

    def acquire(self, want: int, held: Iterable[int] = ()) -> list[int]:
        return acquire_slots(self.key, self.limit, want, conn=self.conn, held=held)

    def release(self, slots: Iterable[int]) -> None:
        release_slots(self.key, slots, conn=self.conn)

    def close(self) -> None:
        self.conn.close()


def acquire_slots(key: int, limit: int, want: int, *, conn=None, held: Iterable[int] = ()) -> list[int]:
    """Take up to ``want`` free slots of ``0..limit-1`` for this DB session, in one statement.

    ``held`` are the slots this session already holds: advisory locks are re-entrant, so trying
    them again would "succeed" and hand out a slot twice; they are filtered out before the try.
    """
    if want <= 0:
        return []
    offset = random.randrange(limit)  # spread contenders over the slots
    with (conn or connection).cursor() as cursor:
        cursor.execute(
            "SELECT slot FROM (SELECT ((s + %s) %% %s)::int AS slot FROM generate_series(0, %s - 1) AS s) AS t "
            "WHERE NOT (t.slot = ANY(%s::int[])) AND pg_try_advisory_lock(%s, t.slot) LIMIT %s",
            [offset, limit, limit, list(held), key, want],
        )
        return [row[0] for row in cursor.fetchall()]


def release_slots(key: int, slots: Iterable[int], *, conn=None) -> None:
    with (conn or connection).cursor() as cursor:
        for slot in slots:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [key, slot])


@dataclass
class ChunkStats:
    items: int = 0
    http_ms: float = 0.0
    busy_ms: float = 0.0  # lane time spent on items, HTTP included
    waits: int = 0
    skipped: int = 0  # items another chunk wrote first: not called


class ItemRunner:
    """Runs one item end to end (samples → strategy → grade) without touching the database, so
    lanes can run in threads; everything it needs is loaded up front."""

    def __init__(self, run: Run, judges: dict[str, ModelVariant], client: httpx.Client) -> None:
        self.run = run
        self.variant = run.variant
        self.judges = judges
        self.client = client

    def _call(self, variant: ModelVariant, messages: list[dict], *, seed: int | None, role: str,
              tools: list[dict] | None = None) -> strategies.Sample:
        result = connector.chat(variant, messages, seed=seed, timeout=self.run.timeout_s,
                                retries=self.run.max_retries, backoff=retry_backoff(), client=self.client,
                                tools=tools)
        return strategies.Sample(result.text, result.input_tokens, result.output_tokens, result.reasoning_tokens,
                                 result.latency_ms, result.attempts,
                                 variant.price_for(result.input_tokens, result.output_tokens), role,
                                 result.finish_reason, tuple(result.calls))

    def judge_text(self, slug: str, messages: list[dict]) -> graders.JudgeReply:
        judge = self.judges.get(slug)
        if judge is None:
            raise graders.GraderConfigError("grader.judge_variant", f"no variant {slug!r}")
        sample = self._call(judge, messages, seed=None, role="judge")
        return graders.JudgeReply(sample.text, sample.input_tokens, sample.output_tokens, float(sample.cost_usd),
                                  sample.latency_ms)

    def result_for(self, item: SuiteItem) -> RunResult:
        config = item.grader_config()
        variant = self.variant
        messages = prompts.item_messages(item, retrieval=variant.uses_retrieval)
        tools = item.tools or None
        missing = sorted(graders.judge_slugs(config) - set(self.judges))
        if missing:  # before paying for the answer its grade cannot be given
            return error_result(self.run, item, f"grader.judge_variant: no variant {missing[0]!r}", attempts=0)

        def sampler(i: int) -> strategies.Sample:
            return self._call(variant, messages, seed=strategies.item_seed(item.external_id, i), role="sample",
                              tools=tools)

        def judge_pick(messages: list[dict], samples: list[strategies.Sample]) -> strategies.Sample:
            judge = variant.judge_variant
            if judge is None:
                raise graders.GraderConfigError("judge_variant", f"best-of-n variant {variant.slug} has no judge")
            return self._call(judge, strategies.best_of_messages(messages, samples), seed=None, role="judge")

        try:
            voting = {**config, "choices": prompts.LETTERS[:len(item.choices)]} if item.choices else config
            outcome = strategies.execute(variant, messages, voting, sampler=sampler, judge_pick=judge_pick)
            chosen = outcome.chosen
            facts = prompts.facts_for(item, latency_ms=outcome.latency_ms, cost_usd=float(outcome.cost_usd),
                                      finish_reason=chosen.finish_reason if chosen else "",
                                      tool_calls=chosen.tool_calls if chosen else (),
                                      output_tokens=outcome.output_tokens)
            grade = graders.grade(config, outcome.output, item.targets, input_messages=messages,
                                  judge=self.judge_text, facts=facts)
        except EndpointError as exc:
            return error_result(self.run, item, str(exc), attempts=self.run.max_retries + 1 if exc.transient else 1)
        except Exception as exc:  # one bad item (grader bug, bad JSON) must not fail the run
            return error_result(self.run, item, f"{type(exc).__name__}: {exc}", attempts=1)
        row = result_from(self.run, item, outcome, grade)
        row.cache_key = cache.cache_key(item, variant)
        return row

    def result_from_cache(self, item: SuiteItem, hit: RunResult, key: str) -> RunResult:
        """The cached output graded with the item's current grader (judges are called again)."""
        messages = prompts.item_messages(item, retrieval=self.variant.uses_retrieval)
        facts = prompts.facts_for(item, latency_ms=hit.latency_ms, cost_usd=float(hit.cost_usd),
                                  finish_reason=hit.finish_reason, tool_calls=hit.tool_calls,
                                  output_tokens=hit.output_tokens)
        try:
            grade = graders.grade(item.grader_config(), hit.output, item.targets, input_messages=messages,
                                  judge=self.judge_text, facts=facts)
        except Exception as exc:  # as in result_for: the item errors, the run goes on
            return error_result(self.run, item, f"{type(exc).__name__}: {exc}", attempts=0)
        return RunResult(
            run_id=self.run.pk, item_id=item.pk, output=hit.output, extracted=grade.extracted or hit.extracted,
            score=grade.score, passed=grade.passed, explanation=grade.explanation, latency_ms=hit.latency_ms,
            input_tokens=hit.input_tokens, output_tokens=hit.output_tokens, reasoning_tokens=hit.reasoning_tokens,
            cost_usd=hit.cost_usd, samples=hit.samples, attempts=0, finish_reason=hit.finish_reason,
            tool_calls=hit.tool_calls, graders=list(grade.parts), grader_usage=grade.usage, cache_key=key,
            cached=True,
        )


def result_from(run: Run, item: SuiteItem, outcome: strategies.SampledAnswer, grade: graders.Grade) -> RunResult:
    return RunResult(
        run_id=run.pk, item_id=item.pk, output=outcome.output, extracted=grade.extracted or outcome.extracted,
        score=grade.score, passed=grade.passed, explanation=grade.explanation, latency_ms=outcome.latency_ms,
        input_tokens=outcome.input_tokens, output_tokens=outcome.output_tokens,
        reasoning_tokens=outcome.reasoning_tokens, cost_usd=outcome.cost_usd.quantize(Decimal("1e-8")),
        samples=outcome.sample_json if len(outcome.samples) > 1 else [], attempts=outcome.attempts,
        finish_reason=outcome.chosen.finish_reason if outcome.chosen else "",
        tool_calls=list(outcome.chosen.tool_calls) if outcome.chosen else [], graders=list(grade.parts),
        grader_usage=grade.usage,
    )


def error_result(run: Run, item: SuiteItem, error: str, *, attempts: int) -> RunResult:
    return RunResult(run_id=run.pk, item_id=item.pk, score=0.0, passed=False, explanation="no output: endpoint error",
                     error=error[:2000], attempts=attempts)


def write_results(rows: list[RunResult]) -> int:
    """INSERT … ON CONFLICT DO NOTHING; then open human-grading tasks for pending rows."""
    if not rows:
        return 0
    RunResult.objects.bulk_create(rows, ignore_conflicts=True)
    pending = [r.item_id for r in rows if r.score is None and not r.error]
    if pending:
        rubrics = {item.pk: str(item.grader_config().get("rubric", ""))
                   for item in SuiteItem.objects.filter(pk__in=pending).select_related("version")}
        fresh = RunResult.objects.filter(run_id=rows[0].run_id, item_id__in=pending, human_grade__isnull=True)
        HumanGrade.objects.bulk_create(
            [HumanGrade(result=r, rubric=rubrics.get(r.item_id, "")) for r in fresh],
            ignore_conflicts=True,
        )
    return len(rows)


def heartbeat(run_id: int) -> None:
    """Stamp the run as alive (only while it is running: a cancelled run needs no watchdog)."""
    Run.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(heartbeat_at=timezone.now())


def judges_for(items: list[SuiteItem]) -> dict[str, ModelVariant]:
    slugs = set().union(*(graders.judge_slugs(i.grader_config()) for i in items)) if items else set()
    return {v.slug: v for v in ModelVariant.objects.filter(slug__in=slugs)} if slugs else {}


def missing_items(run: Run, item_ids: list[int] | None = None):
    done = RunResult.objects.filter(run_id=run.pk, item_id=OuterRef("pk"))
    items = SuiteItem.objects.filter(version_id=run.version_id).exclude(Exists(done))
    if item_ids is not None:
        items = items.filter(pk__in=item_ids)
    return items.order_by("position", "id")


@dataclass(frozen=True)
class ChunkPlan:
    """What a chunk calls: the run, its items still to call, and the endpoint's slot key and limit."""

    run: Run
    items: list[SuiteItem]
    key: int
    limit: int

    @property
    def lanes_wanted(self) -> int:
        return min(self.limit, len(self.items))


def load_chunk(run_id: int, item_ids: list[int] | None) -> tuple[Run, list[SuiteItem]] | None:
    """The run and its items without a result, or None when there is nothing to do."""
    run = Run.objects.select_related("variant__judge_variant", "version").get(pk=run_id)
    if run.status not in (RunStatus.QUEUED, RunStatus.RUNNING):
        return None
    items = list(missing_items(run, item_ids))
    if not items:
        return None
    for item in items:  # all of the run's version: one shared instance, not one joined copy per item
        item.version = run.version
    return run, items


def write_cached(run: Run, items: list[SuiteItem]) -> tuple[int, list[SuiteItem]]:
    """Write the results the cache can give (when the run uses it); returns their count and the items left."""
    reused = cache.reuse(run, items) if run.use_cache else []
    if not reused:
        return 0, items
    write_results(reused)
    hit = {row.item_id for row in reused}
    left = [item for item in items if item.pk not in hit]
    log.info("run %s: %d results from the cache, %d items to call", run.pk, len(reused), len(left))
    return len(reused), left


def run_cancelled(run_id: int) -> bool:
    return Run.objects.filter(pk=run_id, status=RunStatus.CANCELLED).exists()


class ChunkExecution:
    """One chunk's calls: lanes (threads, one per advisory-lock slot) take items from ``work`` and put
    results on ``done``; the calling thread takes slots, hands back those of finished lanes, writes
    results in batches, watches for cancellation and keeps the heartbeat."""

    def __init__(self, plan: ChunkPlan, stats: ChunkStats, *, last_beat: float, on_flush=None) -> None:
        self.plan, self.stats, self.on_flush = plan, stats, on_flush
        run = plan.run
        self.work: queue.Queue[SuiteItem] = queue.Queue()
        for item in plan.items:
            self.work.put(item)
        self.done: queue.Queue[RunResult] = queue.Queue()
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.client = connector.http_client(timeout=run.timeout_s, limits=httpx.Limits(
            max_connections=plan.limit, max_keepalive_connections=plan.limit))
        self.runner = ItemRunner(run, judges_for(plan.items), self.client)
        self.session = SlotSession(plan.key, plan.limit)
        # Another chunk of this run (a resume, a redelivered task) may write results for our items while
        # we wait for slots or work: the main thread looks up which not-yet-started items have a result
        # (``check_taken``) and a lane skips those right before calling the endpoint. One array parameter,
        # not an ORM ``__in`` of up to thousands of placeholders: compiling that every 0.25 s held the GIL
        # long enough to add ~4 ms per item to the lanes (bench/suites.py).
        self.unstarted: set[int] = {item.pk for item in plan.items}
        self.taken_ids: set[int] = set()
        self.slots: list[int] = []
        self.lanes: list[threading.Thread] = []
        self.lane_slot: dict[threading.Thread, int] = {}
        self.buffer: list[RunResult] = []
        self.written = 0
        self.last_beat = last_beat
        self.last_flush = self.last_try = self.last_check = time.monotonic()

    def check_taken(self) -> None:
        with self.lock:
            pending = list(self.unstarted)
        if pending:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT item_id FROM {RunResult._meta.db_table} WHERE run_id = %s "
                               "AND item_id = ANY(%s::bigint[])", [self.plan.run.pk, pending])
                found = [row[0] for row in cursor.fetchall()]
            with self.lock:
                self.taken_ids.update(found)
                self.unstarted.difference_update(found)
        self.last_check = time.monotonic()

    def lane(self) -> None:
        stats = self.stats
        while not self.stop.is_set():
            try:
                item = self.work.get_nowait()
            except queue.Empty:
                return
            with self.lock:
                if item.pk in self.taken_ids:
                    stats.skipped += 1
                    continue
                self.unstarted.discard(item.pk)
            started = time.perf_counter()
            row = self.runner.result_for(item)
            with self.lock:
                stats.busy_ms += (time.perf_counter() - started) * 1000.0
                stats.http_ms += row.latency_ms
            self.done.put(row)

    def take_slots(self, now: float) -> None:
        """Take free slots up to the lanes wanted (retrying at most every 0.1 s) and start a lane on each."""
        wanted = self.plan.lanes_wanted
        if not (len(self.slots) < wanted and not self.work.empty() and not self.stop.is_set()
                and (not self.slots or now - self.last_try > 0.1)):
            return
        new = self.session.acquire(wanted - len(self.slots), held=self.slots)
        self.last_try = now
        self.slots += new
        if new:
            self.check_taken()  # we may have waited for these slots while another chunk worked
            log.debug("run %s: chunk of %d items took slots %s of endpoint %s", self.plan.run.pk,
                      len(self.plan.items), new, self.plan.key)
        for slot in new:
            thread = threading.Thread(target=self.lane, daemon=True)
            thread.start()
            self.lanes.append(thread)
            self.lane_slot[thread] = slot
        if not self.slots:
            self.stats.waits += 1

    def release_finished_lanes(self) -> None:
        """A lane exits when the queue is empty: hand its slot back at once so another chunk
        (here or in another worker) can use it while this chunk's last items finish."""
        finished = [t for t, slot in self.lane_slot.items() if not t.is_alive()]
        if finished:
            self.session.release([self.lane_slot.pop(t) for t in finished])
            self.slots = list(self.lane_slot.values())

    def collect(self) -> None:
        """Move finished results to the buffer, waiting up to ``SLOT_RETRY_S`` for the first."""
        try:
            self.buffer.append(self.done.get(timeout=SLOT_RETRY_S))
            while len(self.buffer) < FLUSH_ROWS:
                self.buffer.append(self.done.get_nowait())
        except queue.Empty:
            pass

    def flush_or_poll(self) -> bool:
        """Write a full or old enough buffer, then check for cancellation (also every second while the
        chunk holds no slot); returns whether results were written."""
        if self.buffer and (len(self.buffer) >= FLUSH_ROWS or time.monotonic() - self.last_flush > FLUSH_EVERY_S):
            self.written += write_results(self.buffer)
            self.buffer = []
            self.last_flush = time.monotonic()
            if self.on_flush:
                self.on_flush()
            if run_cancelled(self.plan.run.pk):
                self.stop.set()
            return True
        if not self.slots and time.monotonic() - self.last_flush > 1.0:
            self.last_flush = time.monotonic()
            if run_cancelled(self.plan.run.pk):
                self.stop.set()
        return False

    def beat(self, flushed: bool) -> None:
        if time.monotonic() - self.last_beat >= (HEARTBEAT_PROGRESS_S if flushed else HEARTBEAT_IDLE_S):
            heartbeat(self.plan.run.pk)
            self.last_beat = time.monotonic()

    def finished(self) -> bool:
        idle = all(not t.is_alive() for t in self.lanes)
        return (idle and self.done.empty() and (self.work.empty() or self.stop.is_set())
                and bool(self.lanes or self.stop.is_set()))

    def step(self) -> None:
        self.take_slots(time.monotonic())
        self.release_finished_lanes()
        self.collect()
        flushed = self.flush_or_poll()
        if self.slots and not self.work.empty() and time.monotonic() - self.last_check > FLUSH_EVERY_S:
            self.check_taken()
        self.beat(flushed)

    def close(self) -> None:
        """Stop the lanes, write what they finished, hand back the slots and close the connections."""
        run = self.plan.run
        self.stop.set()
        for thread in self.lanes:
            thread.join(timeout=run.timeout_s * (run.max_retries + 2))
        while not self.done.empty():
            self.buffer.append(self.done.get_nowait())
        self.written += write_results(self.buffer)
        self.session.release(self.lane_slot.values())
        self.session.close()
        self.client.close()

    def execute(self) -> int:
        """Call every item (or until cancelled); returns how many results were written."""
        try:
            while True:
                self.step()
                if self.finished():
                    break
        finally:
            self.close()
        return self.written


def process_chunk(run_id: int, item_ids: list[int] | None = None, *, stats: ChunkStats | None = None,
                  on_flush=None) -> int:
    """Run the given items (default: all missing) of a run; returns how many results this call wrote."""
    loaded = load_chunk(run_id, item_ids)
    if loaded is None:
        return 0
    run, items = loaded
    # A chunk may have waited in the broker since dispatch: say it is alive before anything else.
    heartbeat(run.pk)
    last_beat = time.monotonic()
    stats = stats or ChunkStats()
    from_cache, items = write_cached(run, items)
    if not items:
        stats.items += from_cache
        return from_cache
    plan = ChunkPlan(run, items, endpoint_key(run.variant), run.concurrency)
    written = from_cache + ChunkExecution(plan, stats, last_beat=last_beat, on_flush=on_flush).execute()
    stats.items += written
    if stats.items:
        log.info("run %s: chunk wrote %d results; lane time outside HTTP %.2f ms/item", run.pk, written,
                 (stats.busy_ms - stats.http_ms) / max(1, len(items)))
    if stats.skipped:
        log.info("run %s: chunk skipped %d items another chunk had finished", run.pk, stats.skipped)
    return written
