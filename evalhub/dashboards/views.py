"""Leadership pages (viewer, engineer, admin): scorecard, frontier, verdict, CSV exports, saved reports."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from evalhub.core.errors import DomainError, Forbidden
from evalhub.core.models import Role
from evalhub.core.roles import has_role, role_required
from evalhub.dashboards import charts, dollars, pages, selectors, services
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


def _with_policy(build: Callable[..., object]) -> Callable[[dict, pages.Params], object]:
    return lambda payload, params: build(payload, params, selectors.policy_for(payload))


@role_required(*READERS)
def verdict(request: HttpRequest) -> HttpResponse:
    return _page(request, "verdict", _with_policy(pages.verdict))


@role_required(*READERS)
def scorecard_csv(request: HttpRequest) -> HttpResponse:
    return _csv(request, "scorecard", pages.scorecard_csv)


@role_required(*READERS)
def frontier_csv(request: HttpRequest) -> HttpResponse:
    return _csv(request, "frontier", pages.frontier_csv)


@role_required(*READERS)
def verdict_csv(request: HttpRequest) -> HttpResponse:
    return _csv(request, "verdict", _with_policy(pages.verdict_csv))  # type: ignore[arg-type]


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
               "frontier": pages.frontier(payload, params),
               "verdict": pages.verdict(payload, params, selectors.policy_for(payload)),
               "plot_config": charts.plot_config(f"evalhub-report-{saved.uuid}")}
    return render(request, "dashboards/report.html", context)


def _policy_form(request: HttpRequest) -> tuple[dict, str]:
    """The form's rows: ``weight:<key>`` fields (blank = 0) and any ``new_key``/``new_weight`` pair."""
    weights: dict = {}
    for name, raw in request.POST.items():
        if name.startswith("weight:"):
            weights[name.removeprefix("weight:")] = raw.strip()
    if request.POST.get("new_key", "").strip():
        weights[request.POST["new_key"].strip()] = request.POST.get("new_weight", "").strip()
    parsed: dict = {}
    for key, raw in weights.items():
        try:
            parsed[key] = float(raw) if raw else 0.0
        except ValueError:
            parsed[key] = raw  # the service names the field and the problem
    return parsed, request.POST.get("note", "")


@role_required(*READERS)
def policy(request: HttpRequest) -> HttpResponse:
    """GET: the active decision policy and its versions (every reader). POST: save a new version
    (engineers and admins; the service checks the role and the weights)."""
    status, error = 200, None
    if request.method == "POST":
        weights, note = _policy_form(request)
        try:
            services.policy_save(weights=weights, user=request.user, note=note)
        except DomainError as err:
            status, error = (403 if isinstance(err, Forbidden) else 400), err
        else:
            return redirect("dashboards:policy")
    payload = services.report_current(selectors.DEFAULT_DAYS).payload
    active = selectors.policy_active(payload)
    keys = dict.fromkeys([*dollars.default_weights(payload), *active.weights])
    suite_names = {s["slug"]: s["name"] for s in payload.get("suites", [])}
    rows = [{"key": k, "label": dollars.quality_label(k, suite_names) if k in dollars.QUALITY_KEYS or
             k.startswith("suite:") else k, "weight": active.weights.get(k, 0.0)} for k in keys]
    return render(request, "dashboards/policy.html",
                  {"active": active, "rows": rows, "history": selectors.policy_history(), "error": error,
                   "can_edit": any(has_role(request.user, r) for r in services.POLICY_WRITERS)}, status=status)
