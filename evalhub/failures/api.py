"""Failure-modes API: ``GET /api/v1/failures`` (read key or viewer/engineer/admin session), dimensions
(engineers declare and retire them) and turning a slice into a regression suite or a judging campaign."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Status

from evalhub.core.auth import ENGINEER_AUTH, READ_AUTH
from evalhub.core.errors import DomainError, Invalid, NotFound
from evalhub.core.schemas import ErrorOut
from evalhub.failures import confidence, selectors, services
from evalhub.failures.models import Dimension
from evalhub.failures.schemas import (
    ConfidentWrongOut,
    DimensionIn,
    DimensionOut,
    FailuresOut,
    SliceActionIn,
    SliceActionOut,
)

router = Router(tags=["failures"])

SOURCE = Query(None, description="suites | judgments | production (default: all)")


def params_from(variant: str, baseline: str | None, suite: str | None, source: str | None, days: int) -> selectors.Params:
    return selectors.Params(variant=variant, baseline=baseline or None, suite=suite or None, source=source or None,
                            days=days)


def answer(params: selectors.Params, *, refresh: bool = False) -> dict:
    """The cached analysis, or a 400 naming the field / a 404 for an unknown variant or suite."""
    try:
        return selectors.cached_analysis(params, refresh=refresh)
    except selectors.AnalysisError as err:
        raise _domain(err) from None


def _domain(err: selectors.AnalysisError) -> DomainError:
    if err.status == 404:
        return NotFound(err.message, f"query.{err.field}")
    return Invalid(err.message, f"query.{err.field}")


@router.get("", response={200: FailuresOut, 400: ErrorOut, 404: ErrorOut}, auth=READ_AUTH)
def failures(request: HttpRequest, variant: str, baseline: str | None = None, suite: str | None = None,
             source: str | None = SOURCE, days: int = Query(7, ge=1, le=90)) -> dict:
    """Slices where ``variant`` is worse than ``baseline`` (default: its experiment's control, else the best
    other variant on shared suites), worst first, across suites, judgments and production."""
    return answer(params_from(variant, baseline, suite, source, days), refresh=request.GET.get("refresh") == "1")


@router.get("/confident-wrong", response={200: ConfidentWrongOut, 404: ErrorOut}, auth=READ_AUTH)
def confident_wrong(request: HttpRequest, variant: str, suite: str | None = None) -> dict:
    """Among the variant's wrong answers to items with a right answer, the share that expresses no uncertainty
    (overall and per slice, Wilson 95% intervals), and the calibration of stated confidences (ECE). 404 for an
    unknown variant."""
    try:
        return confidence.confident_and_wrong(variant=variant, suite=suite or None)
    except selectors.AnalysisError as err:
        raise _domain(err) from None


def _dimension_out(d: Dimension) -> dict:
    return {"id": d.pk, "name": d.name, "kind": d.kind, "key": d.key, "sources": list(d.sources),
            "description": d.description, "active": d.active, "builtin": d.builtin,
            "created_at": d.created_at.isoformat(), "retired_at": d.retired_at.isoformat() if d.retired_at else None}


@router.get("/dimensions", response=list[DimensionOut], auth=READ_AUTH)
def dimensions(request: HttpRequest) -> list[dict]:
    return [_dimension_out(d) for d in selectors.dimensions_all()]


@router.post("/dimensions", response={201: DimensionOut, 400: ErrorOut}, auth=ENGINEER_AUTH)
def dimension_declare(request: HttpRequest, payload: DimensionIn) -> Status:
    dimension = services.dimension_declare(name=payload.name, kind=payload.kind, key=payload.key,
                                           description=payload.description, by=request.user)
    return Status(201, _dimension_out(dimension))


@router.post("/dimensions/{dimension_id}/retire", response={200: DimensionOut, 404: ErrorOut}, auth=ENGINEER_AUTH)
def dimension_retire(request: HttpRequest, dimension_id: int) -> dict:
    dimension = Dimension.objects.filter(pk=dimension_id).first()
    if dimension is None:
        raise NotFound(f"no dimension {dimension_id}", "dimension_id")
    return _dimension_out(services.dimension_retire(dimension=dimension))


@router.post("/slices/suite", response={201: SliceActionOut, 400: ErrorOut}, auth=ENGINEER_AUTH)
def slice_suite(request: HttpRequest, payload: SliceActionIn) -> Status:
    """A regression suite made of a suite slice's items."""
    slug, count = services.slice_to_suite(variant=payload.variant, baseline=payload.baseline, suite=payload.suite,
                                          dimension=payload.dimension, value=payload.value, by=request.user)
    return Status(201, {"kind": "suite", "slug": slug, "count": count, "url": f"/suites/{slug}/"})


@router.post("/slices/campaign", response={201: SliceActionOut, 400: ErrorOut}, auth=ENGINEER_AUTH)
def slice_campaign(request: HttpRequest, payload: SliceActionIn) -> Status:
    """A draft judging campaign of the variant against the baseline on a slice's prompts."""
    slug, count = services.slice_to_campaign(variant=payload.variant, baseline=payload.baseline,
                                             source=payload.source, dimension=payload.dimension,
                                             value=payload.value, suite=payload.suite, by=request.user)
    return Status(201, {"kind": "campaign", "slug": slug, "count": count, "url": f"/judge/campaigns/{slug}/"})
