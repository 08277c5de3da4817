"""Writes for suites and runs: import, start, dispatch, finish, cancel, resume, recorded outputs, human grades.

Run lifecycle: ``run_start`` → (on commit) ``run_dispatch_task``, which splits the items that have no
result yet into chunks, enqueues a ``run_chunk_task`` for every chunk but the first and runs the first
one itself → each chunk ends with ``run_finalize`` which marks the run ``done`` once every item has
its result. ``run_resume`` re-dispatches whatever is missing (after a worker was
killed: the sqlalchemy broker does not always redeliver), which is safe because results are
exactly-once per (run, item). ``runs_resume_stalled`` (the watchdog, on Celery beat) does the same by
itself for queued or running runs with no sign of life for ``SUITE_RUN_STALL_SECONDS``.
"""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from evalhub.core.models import ModelVariant
from experiments.suites import graders, importers, prompts, runner, selectors
from experiments.suites.models import (
    HumanGrade,
    Run,
    RunResult,
    RunSource,
    RunStatus,
    Suite,
    SuiteItem,
    SuiteVersion,
)

log = logging.getLogger(__name__)

RESERVED_SLUGS = {"import", "grade", "runs"}  # path segments of the suites pages
# A finished run with at least this share of error results (endpoint down, 401, malformed replies,
# missing recorded outputs) ends ``failed``, not ``done``: its mean would measure the errors (each
# scores 0), not the variant. Below it the run is done and its errors count as failures the user
# would have seen; the page and API list the most common errors either way.
RUN_FAIL_ERROR_SHARE = 0.5


def chunk_size(concurrency: int) -> int:
    # Big chunks: one task's lanes keep every slot of the endpoint busy, and chunks of the SAME run
    # do not fragment the slots between them (a chunk holding 2 slots would crawl through its
    # items). Up to ~64 items per lane per chunk; larger runs still spread over several workers.
    return max(500, concurrency * 64)


def check_judges(parsed: importers.ParsedSuite) -> None:
    """A judge variant named by a grader must exist before anything is paid for (or written)."""
    known = set(ModelVariant.objects.values_list("slug", flat=True))
    errors = []
    default_missing = sorted(graders.judge_slugs(parsed.default_grader) - known)
    if default_missing:
        errors.append((None, "grader.judge_variant", f"no variant {default_missing[0]!r}"))
    for item in parsed.items:
        missing = sorted(graders.judge_slugs(item.grader) - known)
        if missing:
            errors.append((item.where, "grader.judge_variant", f"no variant {missing[0]!r}"))
    if errors:
        raise importers.ImportRejected(errors)


@transaction.atomic
def suite_import(*, slug: str, text: str = "", fmt: str = "auto", name: str = "", description: str = "",
                 default_grader: dict | None = None, by: User | None = None, files: dict[str, str] | None = None,
                 field_map: dict | str | None = None, filename: str = "") -> SuiteVersion:
    """Import a file (or several files of one suite: a registry YAML and its samples, a promptfoo config and
    its tests) as the suite's newest version (the suite is created if new).

    If the newest version is still unlocked (no run used it) its items are replaced in place;
    otherwise a new version is created, so a version a run used never changes.
    Raises ``ImportRejected`` (nothing written) or ``ValidationError``.
    """
    if slug in RESERVED_SLUGS:
        raise ValidationError({"slug": f"{slug!r} is reserved; choose another slug"})
    if files:
        parsed = importers.parse_files(files, fmt=fmt, default_grader=default_grader, field_map=field_map)
    else:
        parsed = importers.parse_suite(text, fmt=fmt, default_grader=default_grader, field_map=field_map,
                                       filename=filename)
    check_judges(parsed)
    suite = Suite.objects.select_for_update().filter(slug=slug).first()
    if suite is None:
        suite = Suite(slug=slug, name=name or parsed.name or slug, description=description or parsed.description)
        suite.full_clean()
        suite.save()
    latest = suite.versions.order_by("-number").first()
    if latest is not None and not latest.locked:
        latest.items.all().delete()
        version = latest
        version.source_format, version.default_grader = parsed.source_format, parsed.default_grader
        version.created_at, version.created_by = timezone.now(), by
    else:
        version = SuiteVersion(suite=suite, number=(latest.number + 1) if latest else 1,
                               source_format=parsed.source_format, default_grader=parsed.default_grader, created_by=by)
    version.item_count = len(parsed.items)
    version.metadata, version.import_notes = parsed.metadata, parsed.notes
    version.full_clean()
    version.save()
    SuiteItem.objects.bulk_create([
        SuiteItem(version=version, external_id=item.external_id, position=i, input=item.input, targets=item.targets,
                  category=item.category, group=item.group, grader=item.grader, choices=item.choices,
                  tools=item.tools, context=item.context, metadata=item.metadata)
        for i, item in enumerate(parsed.items)
    ], batch_size=1000)
    return version


def _lock_version(version: SuiteVersion) -> None:
    SuiteVersion.objects.filter(pk=version.pk, locked=False).update(locked=True)
    version.locked = True


def _check_variant(variant: ModelVariant) -> None:
    if not variant.is_active:
        raise ValidationError({"variant": f"variant {variant.slug} is not active"})
    if variant.test_time_strategy == "best_of_n" and variant.judge_variant_id is None:
        raise ValidationError({"variant": f"best-of-n variant {variant.slug} needs a judge_variant"})


@transaction.atomic
def run_start(*, version: SuiteVersion, variant: ModelVariant, by: User | None = None,
              concurrency: int | None = None, timeout_s: float = 60.0, max_retries: int = 4,
              dispatch: bool = True, use_cache: bool = True) -> Run:
    """Create a run and enqueue its dispatch once the transaction commits; locks the version.

    ``concurrency`` (calls in flight to the variant's endpoint) defaults to ``ENDPOINT_CONCURRENCY``.
    ``dispatch=False`` queues nothing: the caller runs the items in its own process (``run_inline``).
    """
    concurrency = concurrency or int(getattr(settings, "ENDPOINT_CONCURRENCY", 8))
    from experiments.suites.tasks import run_dispatch_task

    _check_variant(variant)
    if version.item_count == 0:
        raise ValidationError({"version": "this suite version has no items"})
    run = Run(version=version, variant=variant, created_by=by, concurrency=concurrency, timeout_s=timeout_s,
              max_retries=max_retries, n_items=version.item_count, use_cache=use_cache)
    run.full_clean()
    run.save()
    _lock_version(version)
    if dispatch:
        transaction.on_commit(lambda: run_dispatch_task.delay(run_id=run.pk))
    return run


def run_inline(*, run: Run, on_flush=None) -> Run:
    """Run every item of a run started with ``dispatch=False`` in this process, through the same
    runner and slots as the workers; returns the finalized run. If this process dies, the run is
    stalled like a killed worker's and the watchdog hands it to the workers."""
    now = timezone.now()
    Run.objects.filter(pk=run.pk, status=RunStatus.QUEUED).update(status=RunStatus.RUNNING, started_at=now,
                                                                  heartbeat_at=now)
    run_chunk(run_id=run.pk, on_flush=on_flush)
    return run_finalize(run_id=run.pk)


def run_dispatch(*, run_id: int, queue: str | None = None) -> int:
    """Mark the run running, enqueue a chunk task for each chunk of missing items but the first, then
    run the first chunk in this call; returns the number of chunks.

    The first chunk runs here because handing it to the broker costs a round trip before any call
    is in flight: kombu's SQLAlchemy transport finds a new message only at its next poll (once a
    second), which was ~1 s of a 13 s, 2,000-item run. Running it in the dispatch task changes no
    guarantee: the task is ``acks_late`` like a chunk task, and a redelivered dispatch (or
    ``run_resume``) only re-dispatches items that have no result.
    """
    from experiments.suites.tasks import run_chunk_task

    with transaction.atomic():
        run = Run.objects.select_for_update().get(pk=run_id)
        if run.status not in (RunStatus.QUEUED, RunStatus.RUNNING):
            return 0
        run.status = RunStatus.RUNNING
        run.started_at = run.started_at or timezone.now()
        run.heartbeat_at = timezone.now()
        run.save(update_fields=["status", "started_at", "heartbeat_at"])
        ids = list(runner.missing_items(run).values_list("pk", flat=True))
        size = chunk_size(run.concurrency)
        chunks = [ids[i:i + size] for i in range(0, len(ids), size)]
        for chunk in chunks[1:]:
            transaction.on_commit(lambda chunk=chunk: run_chunk_task.apply_async(
                kwargs={"run_id": run_id, "item_ids": chunk}, queue=queue))
    if chunks:
        run_chunk(run_id=run_id, item_ids=chunks[0])
    else:
        run_finalize(run_id=run_id)
    return len(chunks)


def run_chunk(*, run_id: int, item_ids: list[int] | None = None, on_flush=None) -> int:
    written = runner.process_chunk(run_id, item_ids, on_flush=on_flush)
    run_finalize(run_id=run_id)
    return written


def run_totals(run: Run) -> dict:
    return RunResult.objects.filter(run=run).aggregate(
        n=Count("id"), errors=Count("id", filter=~Q(error="")), score_total=Sum("score"),
        scored=Count("score"),  # COUNT(score) skips NULLs: pending human grades
        tokens=Sum("input_tokens") + Sum("output_tokens"), cost=Sum("cost_usd"),
    )


def run_failure_text(run: Run) -> str:
    """Why a run failed, for its page, its API and ``run_suite``: error share and most common error."""
    top = selectors.run_error_counts(run, limit=1)
    common = f"; most common error ({top[0].count}×): {top[0].error}" if top else ""
    return (f"{run.n_errors} of {run.n_done} items failed (at least {RUN_FAIL_ERROR_SHARE:.0%}), "
            f"so the run has no score{common}")[:2000]


@transaction.atomic
def run_finalize(*, run_id: int) -> Run:
    """Cache totals; a running run with a result for every item becomes ``done``, or ``failed`` when at
    least ``RUN_FAIL_ERROR_SHARE`` of its results are errors (idempotent)."""
    run = Run.objects.select_for_update().get(pk=run_id)
    totals = run_totals(run)
    run.n_done, run.n_errors, run.n_scored = totals["n"], totals["errors"], totals["scored"]
    run.score_sum = float(totals["score_total"] or 0.0)
    run.tokens_total, run.cost_total = int(totals["tokens"] or 0), totals["cost"] or Decimal("0")
    fields = ["n_done", "n_errors", "n_scored", "score_sum", "tokens_total", "cost_total"]
    if run.status == RunStatus.RUNNING and run.n_done >= run.n_items:
        run.finished_at = timezone.now()
        if run.n_errors and run.n_errors >= RUN_FAIL_ERROR_SHARE * run.n_done:
            run.status, run.error = RunStatus.FAILED, run_failure_text(run)
        else:
            run.status, run.error = RunStatus.DONE, ""
        fields += ["status", "finished_at", "error"]
    run.save(update_fields=fields)
    return run


@transaction.atomic
def run_cancel(*, run: Run) -> Run:
    updated = Run.objects.filter(pk=run.pk, status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).update(
        status=RunStatus.CANCELLED, finished_at=timezone.now())
    if not updated:
        raise ValidationError({"status": f"run {run.pk} is {run.status}; only queued or running runs can be cancelled"})
    run.refresh_from_db()
    return run


def _redispatch(run: Run, *, now: datetime, stalled: bool = False) -> None:
    """Enqueue a run's dispatch on commit; the caller holds the run's row lock.

    A queued run stays queued (no worker has started it); any other becomes running. The heartbeat is
    set to ``now`` so the watchdog leaves the run alone while the dispatch waits in the broker (the
    dispatch and its chunks stamp it again once they run).
    """
    from experiments.suites.tasks import run_dispatch_task

    if run.status != RunStatus.QUEUED:
        run.status = RunStatus.RUNNING
    run.heartbeat_at = now
    fields = ["status", "heartbeat_at"]
    if stalled:
        run.resumed_count += 1  # a plain increment is safe: the row is locked
        fields.append("resumed_count")
    run.save(update_fields=fields)
    run_id = run.pk
    transaction.on_commit(lambda: run_dispatch_task.delay(run_id=run_id))


@transaction.atomic
def run_resume(*, run: Run, now: datetime | None = None) -> Run:
    """Re-dispatch the items without a result of a stalled or cancelled endpoint run (a cancelled run
    continues). A live run is refused: its chunks are still working, and a second dispatch beside
    them would only race them for the same items. No duplicates either way: see ``runner``."""
    run = Run.objects.select_for_update().get(pk=run.pk)
    if not selectors.run_can_resume(run, now=now):
        if run.source != RunSource.ENDPOINT:
            problem = f"run {run.pk} graded {run.get_source_display().lower()}; there is nothing to call"
        elif run.is_active:
            problem = (f"run {run.pk} is {run.status} and alive (workers reported within the last "
                       f"{settings.SUITE_RUN_STALL_SECONDS} s); Resume is for stalled or cancelled runs")
        else:
            problem = f"run {run.pk} is {run.status}; only stalled or cancelled runs can be resumed"
        raise ValidationError({"status": problem})
    if run.status == RunStatus.CANCELLED:
        run.finished_at = None
        run.save(update_fields=["finished_at"])
    _redispatch(run, now=now or timezone.now())
    return run


def runs_resume_stalled(*, now: datetime | None = None) -> list[int]:
    """The watchdog: re-dispatch queued or running endpoint runs that show no sign of life; returns their ids.

    The stall rule is ``selectors.runs_stalled``: heartbeat, else start, else creation older than
    ``SUITE_RUN_STALL_SECONDS``. Live chunks stamp the heartbeat at least every 30 s (``runner``), so
    a stalled running run usually means a worker killed mid-chunk whose task the broker did not
    redeliver; a stalled queued run means its dispatch message was lost (or no worker consumes its
    queue). Missing items are re-dispatched as ``run_resume`` does and the heartbeat is set to ``now``,
    so the next pass waits a full stall period before trying again. A stalled run with every result
    already written (the worker died between its last write and ``run_finalize``) is finalized instead.

    Each run is handled in its own transaction under ``SELECT … FOR UPDATE SKIP LOCKED`` with the
    stale test repeated on the locked row: concurrent passes, or a chunk finalizing or a dispatch in
    progress, make a pass skip the run, never resume it twice. Misjudging a run that was merely
    waiting in the broker queue for longer than the stall period costs a second dispatch, whose
    chunks skip items that already have a result; never a second result (results are exactly-once).
    """
    now = now or timezone.now()
    stalled = selectors.runs_stalled(now=now)
    resumed: list[int] = []
    for run_id in list(stalled.values_list("pk", flat=True)):
        with transaction.atomic():
            run = stalled.select_for_update(skip_locked=True).filter(pk=run_id).first()
            if run is None:
                continue  # another pass or a worker holds it, or it came back to life meanwhile
            if runner.missing_items(run).exists():
                last_sign = run.heartbeat_at or run.started_at or run.created_at
                _redispatch(run, now=now, stalled=True)
                resumed.append(run.pk)
                log.warning("run %s (%s): no sign of life since %s; re-dispatched its missing items (auto-resume #%d)",
                            run.pk, run.status, last_sign.isoformat(), run.resumed_count)
            else:
                if run.status == RunStatus.QUEUED:
                    run.status = RunStatus.RUNNING
                    run.save(update_fields=["status"])
                run_finalize(run_id=run.pk)
                log.warning("run %s: every item had a result but the run was still running; finalized", run.pk)
    return resumed


def recorded_import(*, version: SuiteVersion, variant: ModelVariant, text: str, by: User | None = None) -> Run:
    """Grade outputs produced elsewhere (no endpoint call for the outputs). Items missing from the
    file get an error result, so the run stays comparable item by item. Judge graders still call
    their judge variant."""
    known = {ext: pk for ext, pk in version.items.values_list("external_id", "pk")}
    rows = importers.parse_recorded(text, set(known))
    by_id = {row.external_id: row for row in rows}
    items = list(version.items.select_related("version"))
    with transaction.atomic():
        run = Run(version=version, variant=variant, created_by=by, source=RunSource.RECORDED,
                  status=RunStatus.RUNNING, n_items=len(items), started_at=timezone.now(), concurrency=1)
        run.full_clean()
        run.save()
        _lock_version(version)
    item_runner = runner.ItemRunner(run, runner.judges_for(items), client=None)  # type: ignore[arg-type]
    results = []
    for item in items:
        row = by_id.get(item.external_id)
        if row is None:
            results.append(runner.error_result(run, item, "no recorded output for this item", attempts=0))
            continue
        config = item.grader_config()
        cost = row.cost_usd if row.cost_usd is not None else variant.price_for(row.input_tokens, row.output_tokens)
        facts = prompts.facts_for(item, latency_ms=row.latency_ms or None, cost_usd=float(cost))
        try:
            grade = graders.grade(config, row.output, item.targets, input_messages=item.input,
                                  judge=item_runner.judge_text, facts=facts)
        except Exception as exc:  # a grader failure is that item's error, not the import's
            grade = graders.Grade(0.0, False, f"grader failed: {exc}")
        results.append(RunResult(
            run=run, item=item, output=row.output, extracted=grade.extracted, score=grade.score, passed=grade.passed,
            explanation=grade.explanation, latency_ms=row.latency_ms, input_tokens=row.input_tokens,
            output_tokens=row.output_tokens, reasoning_tokens=row.reasoning_tokens, cost_usd=cost, attempts=0,
            graders=list(grade.parts), grader_usage=grade.usage,
        ))
    runner.write_results(results)
    return run_finalize(run_id=run.pk)


@transaction.atomic
def human_grade_submit(*, grade: HumanGrade, reviewer: User, score: float, explanation: str) -> HumanGrade:
    """Record a reviewer's rubric grade and complete the run's result with it (first grade wins)."""
    grade = HumanGrade.objects.select_for_update().select_related("result__item__version").get(pk=grade.pk)
    if grade.graded_at is not None:
        raise ValidationError({"score": "this item was already graded"})
    grade.reviewer, grade.score, grade.explanation, grade.graded_at = reviewer, score, explanation, timezone.now()
    grade.full_clean()
    grade.save(update_fields=["reviewer", "score", "explanation", "graded_at"])
    config = graders.normalise_config(grade.result.item.grader_config())
    threshold = float(config.get("pass_threshold", 0.5))
    why = f"human ({reviewer.username}): {explanation}"
    if config.get("type") == "multi" and grade.result.graders:
        parts = [dict(p) for p in grade.result.graders]
        for part, sub in zip(parts, config["graders"], strict=False):
            if part["type"] == "human" and part["score"] is None:
                part.update(score=score, passed=score >= float(sub.get("pass_threshold", 0.5)), explanation=why[:300])
        combined = graders.combine_parts(config, parts)
        RunResult.objects.filter(pk=grade.result_id).update(
            score=combined.score, passed=combined.passed, explanation=f"{combined.explanation}; {why}"[:2000],
            graders=parts)
    else:
        RunResult.objects.filter(pk=grade.result_id).update(score=score, passed=score >= threshold,
                                                            explanation=why[:2000])
    run_finalize(run_id=grade.result.run_id)
    return grade


def version_latest(suite: Suite) -> SuiteVersion | None:
    return suite.versions.order_by("-number").first()

