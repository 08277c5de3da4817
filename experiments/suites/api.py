"""``/api/v1/suites``: list and import suites, start/cancel/resume runs, progress, results, compare.

Auth: GETs accept an API key with the ``read`` scope or a viewer/engineer session; writes need an
engineer session (CSRF header) — the same rules as the pages. For CI, a key with the ``run`` scope
(engineer or admin owner) starts, reads, exports, compares, cancels and resumes runs, and nothing else.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from ninja import Router, Status

from evalhub.core.auth import (
    ENGINEER_AUTH,
    ENGINEER_ROLES,
    READ_AUTH,
    READ_ROLES,
    ApiKeyAuth,
    SessionRoleAuth,
    openapi_scopes,
)
from evalhub.core.errors import Invalid, NotFound
from evalhub.core.models import ModelVariant
from experiments.suites import exports, selectors, services
from experiments.suites.exports import EXPORTERS, export_response
from experiments.suites.models import Run, RunStatus, Suite, SuiteVersion
from experiments.suites.read_models import RunComparisonSummary, RunReport
from experiments.suites.schemas import (
    ImportIn,
    RecordedIn,
    ResultOut,
    RunIn,
    SuiteOut,
    VersionOut,
)

router = Router()

# ``run`` keys: CI starts a run, polls it and reads its score. They import no suites and reach no other app.
RUN_READ_AUTH = [ApiKeyAuth("read", "run"), SessionRoleAuth(*READ_ROLES)]
RUN_WRITE_AUTH = [ApiKeyAuth("run"), SessionRoleAuth(*ENGINEER_ROLES)]
RUN_READ = {"auth": RUN_READ_AUTH, "openapi_extra": openapi_scopes(RUN_READ_AUTH)}
RUN_WRITE = {"auth": RUN_WRITE_AUTH, "openapi_extra": openapi_scopes(RUN_WRITE_AUTH)}


def _version(suite_slug: str, number: int | None, field: str = "suite_slug") -> SuiteVersion:
    suite = Suite.objects.filter(slug=suite_slug).first()
    if suite is None:
        raise NotFound(f"no suite {suite_slug!r}", field)
    version = suite.versions.filter(number=number).first() if number else services.version_latest(suite)
    if version is None:
        raise NotFound(f"suite {suite_slug} has no version {number or ''}".strip(), "version")
    return version


def _variant(slug: str) -> ModelVariant:
    variant = ModelVariant.objects.filter(slug=slug).select_related("judge_variant").first()
    if variant is None:
        raise Invalid(f"no variant {slug!r}", "variant")
    return variant


def _run(run_id: int, queryset: QuerySet[Run] | None = None, field: str = "run_id") -> Run:
    run = (Run.objects.all() if queryset is None else queryset).filter(pk=run_id).first()
    if run is None:
        raise NotFound(f"no run {run_id}", field)
    return run


@router.get("", response=list[SuiteOut], auth=READ_AUTH)
def suite_list(request: HttpRequest) -> list[dict]:
    out = []
    for suite in selectors.suites_list():
        latest = services.version_latest(suite)
        out.append({"slug": suite.slug, "name": suite.name, "description": suite.description,
                    "latest_version": latest.number if latest else None, "item_count": latest.item_count if latest else 0})
    return out


@router.post("/import", response={201: VersionOut}, auth=ENGINEER_AUTH)
def suite_import(request: HttpRequest, payload: ImportIn) -> Status:
    files = {k: v.lstrip("\ufeff") for k, v in payload.files.items()}
    version = services.suite_import(slug=payload.suite, name=payload.name, text=payload.content, fmt=payload.format,
                                    default_grader=payload.default_grader, by=request.user, files=files or None,
                                    field_map=payload.map, filename=payload.filename)
    return Status(201, {"suite": version.suite.slug, "number": version.number, "item_count": version.item_count,
                 "source_format": version.source_format, "locked": version.locked, "notes": version.import_notes})


@router.get("/{suite_slug}/export.jsonl", auth=READ_AUTH, response={200: None})
def suite_export(request: HttpRequest, suite_slug: str, version: int | None = None) -> StreamingHttpResponse:
    """The version's items as EvalHub JSONL; importing it gives the same items back."""
    found = _version(suite_slug, version)
    return export_response(exports.version_jsonl(found), "jsonl", f"{found.suite.slug}-v{found.number}")


@router.get("/runs/{run_id}/export.{fmt}", **RUN_READ, response={200: None})
def run_export(request: HttpRequest, run_id: int, fmt: str) -> StreamingHttpResponse:
    """Every result with input, targets, grader(s), output, score, tokens, cost, latency and errors."""
    run = _run(run_id, Run.objects.select_related("version__suite", "variant"))
    if fmt not in EXPORTERS:
        raise Invalid(f"choose {', '.join(EXPORTERS)}", "fmt")
    return export_response(EXPORTERS[fmt](run), fmt, f"run-{run.pk}")


@router.post("/runs", response={201: RunReport}, **RUN_WRITE)
def run_start(request: HttpRequest, payload: RunIn) -> Status:
    version = _version(payload.suite, payload.version, "suite")
    run = services.run_start(version=version, variant=_variant(payload.variant), by=request.user,
                             concurrency=payload.concurrency, timeout_s=payload.timeout_s,
                             max_retries=payload.max_retries, use_cache=payload.cache)
    return Status(201, selectors.run_report(run, summary=False))


@router.post("/recorded", response={201: RunReport}, auth=ENGINEER_AUTH)
def recorded_import(request: HttpRequest, payload: RecordedIn) -> Status:
    version = _version(payload.suite, payload.version, "suite")
    run = services.recorded_import(version=version, variant=_variant(payload.variant), text=payload.content,
                                   by=request.user)
    return Status(201, selectors.run_report(selectors.run_get(run.pk)))


@router.get("/runs/{run_id}", response=RunReport, **RUN_READ)
def run_status(request: HttpRequest, run_id: int) -> RunReport:
    return selectors.run_report(_run(run_id, Run.objects.select_related("version__suite", "variant")))


@router.post("/runs/{run_id}/cancel", response=RunReport, **RUN_WRITE)
def run_cancel(request: HttpRequest, run_id: int) -> RunReport:
    run = services.run_cancel(run=_run(run_id))
    return selectors.run_report(selectors.run_get(run.pk), summary=False)


@router.post("/runs/{run_id}/resume", response=RunReport, **RUN_WRITE)
def run_resume(request: HttpRequest, run_id: int) -> RunReport:
    """Re-dispatch the items without a result of a stalled or cancelled run; any other run is a 400 on ``status``."""
    run = services.run_resume(run=_run(run_id))
    return selectors.run_report(selectors.run_get(run.pk), summary=False)


@router.get("/runs/{run_id}/results", response=list[ResultOut], **RUN_READ)
def run_results(request: HttpRequest, run_id: int, offset: int = 0, limit: int = 100) -> list[dict]:
    if offset < 0 or not 1 <= limit <= 1000:
        raise Invalid("must be 1..1000 and offset ≥ 0", "limit")
    run = _run(run_id)
    return [{"item": r.item.external_id, "category": r.item.category, "output": r.output, "extracted": r.extracted,
             "score": r.score, "passed": r.passed, "explanation": r.explanation, "latency_ms": r.latency_ms,
             "input_tokens": r.input_tokens, "output_tokens": r.output_tokens, "reasoning_tokens": r.reasoning_tokens,
             "cost_usd": float(r.cost_usd), "samples": r.samples, "error": r.error, "attempts": r.attempts,
             "finish_reason": r.finish_reason, "tool_calls": r.tool_calls, "graders": r.graders,
             "grader_usage": r.grader_usage, "cached": r.cached}
            for r in selectors.run_results(run)[offset:offset + limit]]


@router.get("/runs/{run_id}/compare/{other_id}", response=RunComparisonSummary, **RUN_READ)
def run_compare(request: HttpRequest, run_id: int, other_id: int) -> RunComparisonSummary:
    run_a, run_b = _run(run_id), _run(other_id, field="other_id")
    try:
        cmp = selectors.run_compare_summary(run_a, run_b)
    except ValueError as exc:
        raise Invalid(str(exc), "run_id" if run_a.status == RunStatus.FAILED else "other_id") from None
    return cmp
