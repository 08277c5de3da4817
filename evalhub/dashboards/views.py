"""Leadership pages (viewer, engineer, admin): scorecard, frontier, verdict, CSV exports, saved reports."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from evalhub.core.models import Role
from evalhub.core.roles import role_required
from evalhub.dashboards import charts, pages, selectors, services
from evalhub.dashboards.models import Report, ReportKind
from evalhub.failures.selectors import top_failure_modes

READERS = (Role.VIEWER, Role.ENGINEER, Role.ADMIN)


def _source(request: HttpRequest, params: pages.Params) -> Report:
    """A saved report when ``?report=<uuid>`` is given (CSV of a report), else the cached payload."""
    raw = request.GET.get("report")
    if raw:
        try:
            report_uuid = uuid.UUID(raw)
        except ValueError:
            raise Http404("no such report") from None  # a malformed id is a 404, not a 500
        return get_object_or_404(Report, uuid=report_uuid, saved=True)
    return services.report_current(params.days, refresh=request.GET.get("refresh") == "1")


def _bad(request: HttpRequest, err: pages.ParamError) -> HttpResponse:
    return render(request, "dashboards/bad_params.html", {"field": err.field, "message": err.message}, status=400)


def _page(request: HttpRequest, kind: str, build: Callable[[dict, pages.Params], dict]) -> HttpResponse:
    try:
        params = pages.parse_params(request.GET)
        source = _source(request, params)
        context = {f"{kind}_data": build(source.payload, params)}
    except pages.ParamError as err:
        return _bad(request, err)
    context.update(kind=kind, payload_period=source.payload.get("period") or {}, params=params, source=source, query=request.GET.urlencode(),
                   plot_config=charts.plot_config(f"evalhub-{kind}"))
    return render(request, f"dashboards/{kind}.html", context)


def _csv(request: HttpRequest, name: str, build: Callable[[dict, pages.Params], str]) -> HttpResponse:
    try:
        params = pages.parse_params(request.GET)
        body = build(_source(request, params).payload, params)
    except pages.ParamError as err:
        return HttpResponse(f"{err.field}: {err.message}\n", status=400, content_type="text/plain")
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="evalhub-{name}.csv"'
    return response


@role_required(*READERS)
def scorecard(request: HttpRequest) -> HttpResponse:
    def build(payload: dict, params: pages.Params) -> dict:
        data = pages.scorecard(payload, params)
        data["failure_modes"] = top_failure_modes([r["slug"] for r in data["rows"]])  # cached analyses only
        return data

    return _page(request, "scorecard", build)


@role_required(*READERS)
def frontier(request: HttpRequest) -> HttpResponse:
    return _page(request, "frontier", pages.frontier)


@role_required(*READERS)
def verdict(request: HttpRequest) -> HttpResponse:
    return _page(request, "verdict", pages.verdict)


@role_required(*READERS)
def scorecard_csv(request: HttpRequest) -> HttpResponse:
    return _csv(request, "scorecard", pages.scorecard_csv)


@role_required(*READERS)
def frontier_csv(request: HttpRequest) -> HttpResponse:
    return _csv(request, "frontier", pages.frontier_csv)


@role_required(*READERS)
def verdict_csv(request: HttpRequest) -> HttpResponse:
    return _csv(request, "verdict", pages.verdict_csv)


@role_required(*READERS)
def reports(request: HttpRequest) -> HttpResponse:
    """GET: saved reports. POST ("Save report"): freeze the current payload under a stable URL."""
    if request.method == "POST":
        try:
            params = pages.parse_params(request.POST)
        except pages.ParamError as err:
            return _bad(request, err)
        report = services.report_save(kind=request.POST.get("page", ReportKind.SCORECARD), params=params.as_dict(),
                                      user=request.user, title=request.POST.get("title", ""))
        return redirect("dashboards:report", report_uuid=report.uuid)
    return render(request, "dashboards/reports.html", {"reports": selectors.saved_reports()})


@role_required(*READERS)
def report(request: HttpRequest, report_uuid) -> HttpResponse:
    """The printable report: every section rendered from the saved payload, with its computation time."""
    saved = get_object_or_404(Report, uuid=report_uuid, saved=True)
    params = pages.Params(**{k: v for k, v in saved.params.items() if k in pages.Params.__dataclass_fields__})
    payload = saved.payload
    context = {"source": saved, "params": params, "scorecard": pages.scorecard(payload, params),
               "frontier": pages.frontier(payload, params), "verdict": pages.verdict(payload, params),
               "plot_config": charts.plot_config(f"evalhub-report-{saved.uuid}")}
    return render(request, "dashboards/report.html", context)
