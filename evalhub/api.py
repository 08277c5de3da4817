"""The HTTP API root: django-ninja under ``/api/v1/``, OpenAPI schema at ``/api/v1/openapi.json``,
interactive docs at ``/api/v1/docs``. Each app contributes a router from its ``api.py``.

Errors are JSON. Validation failures are 400 with ``errors: [{field, message}]`` naming each field
(``body.events.3.latency_ms``); a database that is down is 503 so clients retry.
"""

from __future__ import annotations

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from evalhub.core.api import router as core_router
from evalhub.dashboards.api import router as dashboards_router
from experiments.abtests.api import router as abtests_router
from experiments.suites.api import router as suites_router
from experiments.telemetry.api import router as telemetry_router
from judging.api import router as judging_router

api = NinjaAPI(
    title="EvalHub API",
    version="1.0.0",
    description="Evaluate LLM variants: judging, eval suites, production events and A/B experiments.",
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def _field(loc: list | tuple) -> str:
    return ".".join(str(part) for part in loc)


def validation_errors(errors: list[dict]) -> list[dict]:
    return [{"field": _field(err.get("loc", ())), "message": err.get("msg", "invalid")} for err in errors]


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = validation_errors(exc.errors)
    summary = "; ".join(f"{err['field']}: {err['message']}" for err in errors[:5])
    return api.create_response(request, {"detail": f"invalid request: {summary}", "errors": errors}, status=400)


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request, {"detail": "authentication required: send a valid API key (Authorization: Bearer ehk_…) or log in"},
        status=401,
    )


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def on_database_down(request: HttpRequest, exc: DatabaseError) -> HttpResponse:
    response = api.create_response(request, {"detail": "database unavailable; nothing was stored, retry"}, status=503)
    response["Retry-After"] = str(settings.TELEMETRY_RETRY_AFTER_SECONDS)  # long enough for a database restart
    return response


api.add_router("/", core_router, tags=["core"])
api.add_router("/judging", judging_router, tags=["judging"])
api.add_router("/suites", suites_router, tags=["suites"])
api.add_router("/", telemetry_router, tags=["events"])
api.add_router("/experiments", abtests_router, tags=["experiments"])
api.add_router("/dashboards", dashboards_router, tags=["dashboards"])
