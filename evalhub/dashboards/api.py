"""Leadership API: the scorecard, frontier and verdict as JSON (READ auth: a read API key or a
viewer/engineer/admin session). Query parameters are those of the pages."""

from __future__ import annotations

import uuid

from django.http import HttpRequest
from django.urls import reverse
from ninja import Query, Router, Status

from evalhub.core.auth import ENGINEER_AUTH, READ_AUTH
from evalhub.core.errors import Invalid, NotFound
from evalhub.core.read_models import as_json
from evalhub.core.schemas import ErrorOut
from evalhub.dashboards import pages, selectors, services
from evalhub.dashboards.models import Report
from evalhub.dashboards.schemas import FrontierOut, PolicyIn, PolicyOut, ReportOut, ScorecardOut, VerdictOut

router = Router(tags=["dashboards"])

# The reporting window, as pages.parse_params enforces it: declared here so the schema states it.
DAYS = Query(7, ge=1, le=90, description="reporting window in days (1–90)")


def _load(request: HttpRequest) -> tuple[dict, pages.Params]:
    try:
        params = pages.parse_params(request.GET)
    except pages.ParamError as err:
        raise Invalid(err.message, f"query.{err.field}") from None
    report = services.report_current(params.days, refresh=request.GET.get("refresh") == "1")
    return report.payload, params


def _checked(build, payload: dict, params: pages.Params):
    try:
        return build(payload, params)
    except pages.ParamError as err:
        raise Invalid(err.message, f"query.{err.field}") from None


@router.get("/scorecard", response={200: ScorecardOut, 400: ErrorOut}, auth=READ_AUTH)
def scorecard(request: HttpRequest, kind: str = "", sort: str = "bt", dir: str = "desc", days: int = DAYS) -> ScorecardOut:
    payload, params = _load(request)
    data = pages.scorecard(payload, params)
    return ScorecardOut(computed_at=payload["computed_at"], period=data["period"], suites=data["suites"],
                        rows=data["rows"], experiments=data["experiments"])


@router.get("/frontier", response={200: FrontierOut, 400: ErrorOut}, auth=READ_AUTH)
def frontier(request: HttpRequest, quality: str = "bt", axis: str = "cost", days: int = DAYS) -> FrontierOut:
    payload, params = _load(request)
    page = _checked(pages.frontier, payload, params)
    data = page["data"]
    return FrontierOut(computed_at=payload["computed_at"], quality=params.quality, axis=params.axis,
                       points=data["points"], frontier=data["frontier"], missing=data["missing"],
                       caption=page["caption"])


@router.get("/verdict", response={200: VerdictOut, 400: ErrorOut}, auth=READ_AUTH)
def verdict(request: HttpRequest, quality: str = "bt", days: int = DAYS) -> VerdictOut:
    payload, params = _load(request)
    policy = selectors.policy_active(payload)
    page = _checked(lambda p, q: pages.verdict(p, q, policy), payload, params)
    sections = [{"base_model": s["base_model"], "headline": s["headline"], "caption": s["caption"],
                 "head_to_head_caption": s["h2h_caption"], "points": s["points"], "fit": s["fit"],
                 "fit_problem": s["fit_problem"], "gains": s["gains"], "head_to_head": s["head_to_head"]}
                for s in page["sections"]]
    overall = [{k: o[k] for k in ("base_model", "base_slug", "headline", "rows", "comparison", "evidence")}
               for o in page["overall"]]
    return VerdictOut(computed_at=payload["computed_at"], quality=params.quality, policy=policy, overall=overall,
                      sections=sections)


@router.get("/policy", response={200: PolicyOut}, auth=READ_AUTH)
def policy_get(request: HttpRequest) -> PolicyOut:
    """The active decision policy (the built-in default, version 0, until one is saved)."""
    payload = services.report_current(selectors.DEFAULT_DAYS).payload
    return PolicyOut(**as_json(selectors.policy_active(payload)))


@router.post("/policy", response={201: PolicyOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut}, auth=ENGINEER_AUTH)
def policy_post(request: HttpRequest, body: PolicyIn) -> Status:
    """Save a new version of the decision policy (engineers and admins). Errors name the field:
    ``weights.<key>`` for an unknown quality or a negative weight, ``weights`` when all are zero."""
    services.policy_save(weights=body.weights, user=request.user, note=body.note)
    payload = services.report_current(selectors.DEFAULT_DAYS).payload
    return Status(201, PolicyOut(**as_json(selectors.policy_active(payload))))


@router.get("/reports/{report_uuid}", response={200: ReportOut, 404: ErrorOut}, auth=READ_AUTH)
def report(request: HttpRequest, report_uuid: str) -> ReportOut:
    """A saved report's metadata and stable URL (its payload renders at ``url``)."""
    try:
        key = uuid.UUID(report_uuid)
    except ValueError:
        raise NotFound("no such report", "report_uuid") from None
    saved = Report.objects.filter(uuid=key, saved=True).first()
    if saved is None:
        raise NotFound("no such report", "report_uuid")
    return ReportOut(uuid=str(saved.uuid), kind=saved.kind, title=saved.title, params=saved.params,
                     computed_at=saved.computed_at.isoformat(),
                     url=request.build_absolute_uri(reverse("dashboards:report", args=[saved.uuid])))
