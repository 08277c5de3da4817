"""``/api/v1/experiments``: register, list, read, start/stop, results, and the assignment call.

Auth: services asking for an assignment use the API key they already send events with (``ingest``)
or a ``read`` key; reads take a read key or an engineer/viewer session; writes need an engineer
session (CSRF). Unknown keys are 404 JSON; validation errors are 400 naming the field.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from evalhub.core.auth import ENGINEER_AUTH, ENGINEER_ROLES, READ_AUTH, ApiKeyAuth, SessionRoleAuth, key_allows
from evalhub.core.errors import NotFound
from evalhub.core.models import ApiKey
from evalhub.core.schemas import ErrorOut
from experiments.abtests import selectors, services
from experiments.abtests.assignment import ArmAssignment, assignment_for
from experiments.abtests.metrics import CATALOGUE
from experiments.abtests.models import Experiment
from experiments.abtests.read_models import ExperimentResults, ExperimentSummary
from experiments.abtests.schemas import (
    ArmsIn,
    AssignmentOut,
    ExperimentIn,
    MetricOut,
)

router = Router()

# A service asking for an assignment uses the key it sends events with (ingest) or a read key.
ASSIGN_AUTH = [ApiKeyAuth("ingest", "read"), SessionRoleAuth(*ENGINEER_ROLES)]


class AssignmentQuery(Schema):
    unit_id: str = Field(min_length=1, max_length=200, description="the randomisation unit (user or session id)")


def _get(key: str) -> Experiment:
    experiment = selectors.experiment_by_key(key)
    if experiment is None:
        raise NotFound(f"unknown experiment '{key}'", "key")
    return experiment


@router.get("/{key}/assignment", response={200: AssignmentOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut,
                                           404: ErrorOut}, auth=ASSIGN_AUTH,
            summary="Which arm a unit gets (deterministic, sticky; an ingest key records the exposure)")
def assignment(request: HttpRequest, key: str, query: Query[AssignmentQuery]) -> ArmAssignment:
    """Only an ``ingest`` key (the service that serves the unit) records an exposure; a ``read``-only
    key or a session sees the arm with ``exposed: false``. A stopped experiment answers the arm the
    unit was exposed to (the control if never exposed) with ``status: "stopped"`` and records
    nothing; a draft answers the control and records nothing."""
    api_key = getattr(request, "auth", None)
    record = isinstance(api_key, ApiKey) and key_allows(api_key, "ingest")
    return assignment_for(experiment=_get(key), unit_id=query.unit_id, record=record)


@router.get("/metrics", response=list[MetricOut], auth=READ_AUTH, summary="The metric catalogue")
def metrics(request: HttpRequest) -> list[dict]:
    return [{"key": m.key, "label": m.label, "kind": m.kind, "direction": m.direction,
             "description": m.description} for m in CATALOGUE]


@router.get("", response=list[ExperimentSummary], auth=READ_AUTH, summary="List experiments")
def experiment_list(request: HttpRequest) -> list[ExperimentSummary]:
    return [selectors.experiment_summary(e) for e in selectors.experiments_list()]


@router.post("", response={201: ExperimentSummary, 400: ErrorOut}, auth=ENGINEER_AUTH, summary="Register an experiment")
def experiment_create(request: HttpRequest, payload: ExperimentIn) -> Status:
    experiment = services.experiment_register(owner=request.user, **payload.dict())
    return Status(201, selectors.experiment_summary(_get(experiment.key)))


@router.get("/{key}", response={200: ExperimentSummary, 404: ErrorOut}, auth=READ_AUTH, summary="One experiment")
def experiment_detail(request: HttpRequest, key: str) -> ExperimentSummary:
    return selectors.experiment_summary(_get(key))


@router.get("/{key}/results", response={200: ExperimentResults, 404: ErrorOut}, auth=READ_AUTH,
            summary="Results and decision")
def experiment_results(request: HttpRequest, key: str) -> ExperimentResults:
    return selectors.results_read_model(selectors.results_for(_get(key)))


@router.post("/{key}/start", response={200: ExperimentSummary, 400: ErrorOut, 404: ErrorOut}, auth=ENGINEER_AUTH)
def experiment_start(request: HttpRequest, key: str) -> Status:
    services.experiment_start(experiment=_get(key))
    return Status(200, selectors.experiment_summary(_get(key)))


@router.post("/{key}/stop", response={200: ExperimentSummary, 400: ErrorOut, 404: ErrorOut}, auth=ENGINEER_AUTH)
def experiment_stop(request: HttpRequest, key: str) -> Status:
    services.experiment_stop(experiment=_get(key))
    return Status(200, selectors.experiment_summary(_get(key)))


@router.put("/{key}/arms", response={200: ExperimentSummary, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut},
            auth=ENGINEER_AUTH, summary="Replace the arms (drafts only: 409 once started)")
def arms_replace(request: HttpRequest, key: str, payload: ArmsIn) -> Status:
    services.arms_update(experiment=_get(key), arms=[a.dict() for a in payload.arms])
    return Status(200, selectors.experiment_summary(_get(key)))
