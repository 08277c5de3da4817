"""Production metrics pages: the per-variant dashboard and its CSV export (read rollups only)."""

from __future__ import annotations

import csv

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from evalhub.core.models import Role
from evalhub.core.roles import role_required
from experiments.telemetry import charts, selectors

DASHBOARD_ROLES = (Role.VIEWER, Role.ENGINEER, Role.ADMIN)


def _filters(request: HttpRequest) -> tuple[selectors.Period, str]:
    period = selectors.period_for(request.GET.get("period"))
    return period, request.GET.get("experiment", "")[:100]


@role_required(*DASHBOARD_ROLES)
def dashboard(request: HttpRequest) -> HttpResponse:
    period, experiment = _filters(request)
    rows, series = selectors.dashboard(period=period, experiment_key=experiment or None)
    figures = [("fig-compare-thumbs", charts.comparison_figure(rows, "thumbs_up_rate").to_json())] + [
        (f"fig-{metric}", charts.figure_json(charts.timeseries_spec(series, metric)))
        for metric in ("n", "latency_p95", "refusal_rate", "cost_per_request", "reask_rate", "error_rate", "thumbs_up_rate")
    ]
    return render(request, "telemetry/dashboard.html", {
        "rows": rows, "figures": figures, "period": period, "periods": list(selectors.PERIODS),
        "experiment": experiment, "experiments": selectors.experiment_keys(period=period),
        "pending": selectors.pending_work(),
    })


CSV_COLUMNS = (
    "variant", "requests", "latency_p50_ms", "latency_p95_ms", "latency_p99_ms", "ttft_mean_ms",
    "cost_per_request_usd", "cost_per_request_lower", "cost_per_request_upper", "cost_per_1k_usd", "cost_total_usd",
    "refusal_rate", "refusal_lower", "refusal_upper", "reask_rate", "reask_lower", "reask_upper",
    "reask_detectable", "thumbs_up_rate", "thumbs_up_lower", "thumbs_up_upper", "feedback_n", "success_rate", "success_lower",
    "success_upper", "success_n", "error_rate", "error_lower", "error_upper", "errors", "input_tokens", "output_tokens",
    "reasoning_tokens", "refusals_client", "refusals_api_refusal", "refusals_finish_reason", "refusals_text",
    "refusals_judge", "judge_calls", "judge_cost_usd",
)


@role_required(*DASHBOARD_ROLES)
def export_csv(request: HttpRequest) -> HttpResponse:
    period, experiment = _filters(request)
    rows = selectors.variant_metrics(period=period, experiment_key=experiment or None)
    response = HttpResponse(content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="production-metrics-{period.key}.csv"'
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        writer.writerow([
            r.slug, r.n, r.latency_p50.value, r.latency_p95.value, r.latency_p99.value, r.ttft_mean.value,
            r.cost_per_request.value, r.cost_per_request.lower, r.cost_per_request.upper, r.cost_per_1k.value,
            r.cost_total, r.refusal_rate.value, r.refusal_rate.lower, r.refusal_rate.upper, r.reask_rate.value,
            r.reask_rate.lower, r.reask_rate.upper, r.reask_rate.n, r.thumbs_up_rate.value, r.thumbs_up_rate.lower,
            r.thumbs_up_rate.upper, r.thumbs_up_rate.n, r.success_rate.value, r.success_rate.lower,
            r.success_rate.upper, r.success_rate.n, r.error_rate.value, r.error_rate.lower, r.error_rate.upper, r.errors,
            r.input_tokens, r.output_tokens, r.reasoning_tokens, r.refusal_sources["client"],
            r.refusal_sources["api_refusal"], r.refusal_sources["finish_reason"], r.refusal_sources["text"],
            r.refusal_sources["judge"], r.judge_calls, r.judge_cost,
        ])
    return response
