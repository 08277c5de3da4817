"""Exports: a suite version back to EvalHub JSONL (re-importable with nothing lost), and a run's results as
CSV, JSON or JSONL with everything needed to recompute its intervals elsewhere."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator

from django.http import StreamingHttpResponse

from experiments.suites.importers import SUITE_METADATA_KEY
from experiments.suites.models import Run, RunResult, SuiteItem, SuiteVersion


def item_record(item: SuiteItem, default_grader: dict) -> dict:
    """One item as an EvalHub JSONL record; the version's default grader is written into items that had none."""
    record: dict = {"id": item.external_id, "input": item.input, "targets": item.targets}
    for key in ("category", "group"):
        if getattr(item, key):
            record[key] = getattr(item, key)
    grader = item.grader or default_grader
    if grader:
        record["grader"] = grader
    for key in ("choices", "tools", "context", "metadata"):
        if getattr(item, key):
            record[key] = getattr(item, key)
    return record


def version_jsonl(version: SuiteVersion) -> Iterator[str]:
    """The items, one per line, after a ``{"suite_metadata": {...}}`` line when the suite file had top-level fields."""
    if version.metadata:
        yield json.dumps({SUITE_METADATA_KEY: version.metadata}, ensure_ascii=False) + "\n"
    for item in version.items.order_by("position", "id").iterator(chunk_size=1000):
        yield json.dumps(item_record(item, version.default_grader), ensure_ascii=False) + "\n"


RESULT_FIELDS = ("item", "group", "category", "input", "targets", "grader", "output", "extracted", "score", "passed",
                 "explanation", "graders", "tool_calls", "finish_reason", "input_tokens", "output_tokens",
                 "reasoning_tokens", "cost_usd", "latency_ms", "grader_calls", "grader_cost_usd", "grader_tokens",
                 "attempts", "cached", "error")


def result_row(result: RunResult) -> dict:
    item = result.item
    usage = result.grader_usage or {}
    return {
        "item": item.external_id, "group": item.group, "category": item.category, "input": item.input,
        "targets": item.targets, "grader": item.grader_config(),
        "output": result.output, "extracted": result.extracted, "score": result.score, "passed": result.passed,
        "explanation": result.explanation, "graders": result.graders, "tool_calls": result.tool_calls,
        "finish_reason": result.finish_reason, "input_tokens": result.input_tokens,
        "output_tokens": result.output_tokens, "reasoning_tokens": result.reasoning_tokens,
        "cost_usd": float(result.cost_usd), "latency_ms": result.latency_ms,
        "grader_calls": usage.get("calls", 0), "grader_cost_usd": float(usage.get("cost_usd", 0.0)),
        "grader_tokens": int(usage.get("input_tokens", 0)) + int(usage.get("output_tokens", 0)),
        "attempts": result.attempts, "cached": result.cached, "error": result.error,
    }


def _rows(run: Run) -> Iterator[dict]:
    results = RunResult.objects.filter(run=run).select_related("item").order_by("item__position", "item_id")
    for result in results.iterator(chunk_size=1000):
        result.item.version = run.version  # one shared instance: grader_config() reads its default grader
        yield result_row(result)


def results_jsonl(run: Run) -> Iterator[str]:
    for row in _rows(run):
        yield json.dumps(row, ensure_ascii=False) + "\n"


def results_json(run: Run) -> Iterator[str]:
    """A JSON object: the run's identity and a ``results`` array (streamed)."""
    head = {"run": run.pk, "suite": run.version.suite.slug, "version": run.version.number,
            "variant": run.variant.slug, "status": run.status}
    yield json.dumps(head, ensure_ascii=False)[:-1] + ', "results": ['
    for i, row in enumerate(_rows(run)):
        yield ("," if i else "") + "\n" + json.dumps(row, ensure_ascii=False)
    yield "\n]}\n"


def results_csv(run: Run) -> Iterator[str]:
    """CSV: structured cells (input, targets, grader, graders, tool calls) as JSON text."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=RESULT_FIELDS)
    writer.writeheader()
    for row in _rows(run):
        writer.writerow({k: json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else
                         ("" if v is None else v) for k, v in row.items()})
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


EXPORTERS: dict[str, Callable[[Run], Iterator[str]]] = {"csv": results_csv, "json": results_json,
                                                        "jsonl": results_jsonl}
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json",
                 "jsonl": "application/x-ndjson; charset=utf-8"}


def export_response(chunks: Iterator[str], fmt: str, stem: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(chunks, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{stem}.{fmt}"'
    return response
