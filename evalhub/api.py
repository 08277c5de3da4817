"""The HTTP API root: django-ninja under ``/api/v1/``, OpenAPI schema at ``/api/v1/openapi.json``,
interactive docs at ``/api/v1/docs``. Each app contributes a router from its ``api.py``.

Errors are mapped to HTTP here, once: every error answer is ``ErrorOut`` (``evalhub.core.schemas``),
``{"detail": "...", "errors": [{"field": ..., "message": ...}]}``. Routers and services raise the domain
exceptions of ``evalhub.core.errors`` (status from its ``HTTP_STATUS``); a Django ``ValidationError`` is
400 naming its fields; ninja's request validation is 400 naming each field (``body.events.3.latency_ms``);
no credentials is 401; a database that is down is 503 so clients retry.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from evalhub.core.api import router as core_router
from evalhub.core.errors import DomainError, FieldError, Invalid, NotFound, Unavailable, error_body, http_status
from evalhub.core.schemas import ErrorOut
from evalhub.dashboards.api import router as dashboards_router
from evalhub.failures.api import router as failures_router
from experiments.abtests.api import router as abtests_router
from experiments.suites.api import router as suites_router
from experiments.telemetry.api import router as telemetry_router
from judging.api import router as judging_router

ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}


def _error_response(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": ERROR_REF}}}


def _add_error_schema(schema: dict) -> None:
    """``ErrorOut`` (and the schema of its items) in the components, whether or not an operation named it."""
    component = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update(component.pop("$defs", {}))
    components["ErrorOut"] = component


def document_error_responses(schema: dict, *, max_body_bytes: int) -> dict:
    """Add the error answers every operation can really give, as ``ErrorOut``, where the operation did not list them.

    400: a parameter or body field is invalid (named in ``errors``), holds a NUL character, or the
    body cannot be parsed; 401/403: no credentials / wrong role, scope or CSRF token (operations
    with a security requirement); 404: an object named in the path, query or body does not exist;
    413: a body larger than ``DATA_UPLOAD_MAX_MEMORY_SIZE``.
    """
    _add_error_schema(schema)
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            has_input = bool(operation.get("parameters") or operation.get("requestBody"))
            wanted = {"400": "Invalid input: each bad field is named in errors[] (NUL characters included)"}
            if operation.get("security"):
                wanted["401"] = "No valid API key or session"
                wanted["403"] = "The key or user lacks the scope or role (or a session write lacks its CSRF token)"
            if has_input:
                wanted["404"] = "An object named in the path, query or body does not exist"
            if operation.get("requestBody"):
                wanted["413"] = f"The body is larger than {max_body_bytes:,} bytes"
            listed = {str(code) for code in responses}  # ninja keys responses by int
            for code, description in wanted.items():
                if code not in listed:
                    responses[int(code)] = _error_response(description)
    return schema


class EvalHubAPI(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):
        schema = super().get_openapi_schema(*args, **kwargs)
        return document_error_responses(schema, max_body_bytes=settings.DATA_UPLOAD_MAX_MEMORY_SIZE)


api = EvalHubAPI(
    title="EvalHub API",
    version="1.0.0",
    description="Evaluate LLM variants: judging, eval suites, production events and A/B experiments.",
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def _field(loc: list | tuple) -> str:
    return ".".join(str(part) for part in loc)


def _respond(request: HttpRequest, exc: DomainError, status: int | None = None) -> HttpResponse:
    return api.create_response(request, error_body(exc), status=status or http_status(exc))


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    response = _respond(request, exc)
    if isinstance(exc, Unavailable):
        response["Retry-After"] = str(settings.TELEMETRY_RETRY_AFTER_SECONDS)  # long enough for a database restart
    return response


@api.exception_handler(DjangoValidationError)
def on_django_validation_error(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    return _respond(request, Invalid.from_django(exc))


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [FieldError(_field(err.get("loc", ())), err.get("msg", "invalid")) for err in exc.errors]
    summary = "; ".join(f"{err.field}: {err.message}" for err in errors[:5])
    return _respond(request, Invalid(f"invalid request: {summary}", errors=errors))


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    message = "authentication required: send a valid API key (Authorization: Bearer ehk_…) or log in"
    return _respond(request, DomainError(message), status=401)


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _respond(request, NotFound(str(exc) or "not found"))


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """ninja's own refusals (e.g. a body it cannot parse) in the same shape."""
    return _respond(request, DomainError(str(exc)), status=exc.status_code)


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def on_database_down(request: HttpRequest, exc: DatabaseError) -> HttpResponse:
    return on_domain_error(request, Unavailable("database unavailable; nothing was stored, retry"))


api.add_router("/", core_router, tags=["core"])
api.add_router("/judging", judging_router, tags=["judging"])
api.add_router("/suites", suites_router, tags=["suites"])
api.add_router("/", telemetry_router, tags=["events"])
api.add_router("/experiments", abtests_router, tags=["experiments"])
api.add_router("/dashboards", dashboards_router, tags=["dashboards"])
api.add_router("/failures", failures_router, tags=["failures"])
