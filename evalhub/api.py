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
from evalhub.failures.api import router as failures_router
from experiments.abtests.api import router as abtests_router
from experiments.suites.api import router as suites_router
from experiments.telemetry.api import router as telemetry_router
from judging.api import router as judging_router

_ERROR_SCHEMA = {
    "type": "object", "required": ["detail"],
    "properties": {
        "detail": {"type": "string", "description": "what went wrong, in words"},
        "errors": {"type": "array", "items": {
            "type": "object", "required": ["field", "message"],
            "properties": {"field": {"type": "string"}, "message": {"type": "string"}}}},
    },
}


def _error_response(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ERROR_SCHEMA}}}


def document_error_responses(schema: dict, *, max_body_bytes: int) -> dict:
    """Add the 4xx answers every operation can really give, where the operation did not list them.

    400: a parameter or body field is invalid (named in ``errors``), holds a NUL character, or the
    body cannot be parsed; 401/403: no credentials / wrong role, scope or CSRF token (operations
    with a security requirement); 404: an object named in the path, query or body does not exist;
    413: a body larger than ``DATA_UPLOAD_MAX_MEMORY_SIZE``.
    """
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
        from django.conf import settings

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
api.add_router("/failures", failures_router, tags=["failures"])
