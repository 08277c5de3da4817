from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Status

from evalhub.core import selectors, services
from evalhub.core.auth import ENGINEER_AUTH, READ_AUTH, ApiKeyAuth, SessionRoleAuth, openapi_scopes
from evalhub.core.models import ModelVariant, Role
from evalhub.core.roles import user_roles
from evalhub.core.schemas import ErrorOut, MeOut, VariantCreatedOut, VariantIn, VariantOut

router = Router()

ANY_ROLE_AUTH = [ApiKeyAuth("read", "ingest", "run"),
                 SessionRoleAuth(Role.REVIEWER, Role.ENGINEER, Role.VIEWER, Role.ADMIN)]


@router.get("/me", response=MeOut, auth=ANY_ROLE_AUTH, openapi_extra=openapi_scopes(ANY_ROLE_AUTH))
def me(request: HttpRequest) -> MeOut:
    return MeOut(username=request.user.username, roles=sorted(user_roles(request.user)))


@router.get("/variants", response=list[VariantOut], auth=READ_AUTH)
def variant_list(request: HttpRequest) -> list[ModelVariant]:
    return list(selectors.variants_active())


@router.post("/variants", response={201: VariantCreatedOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut},
             auth=ENGINEER_AUTH)
def variant_create(request: HttpRequest, payload: VariantIn) -> Status:
    """Register a variant. ``endpoint_api_key_env`` must match the operator's allowed prefixes
    (``ENDPOINT_KEY_ENV_PREFIXES``, default ``EVALHUB_KEY_*``), else 400; a name that is not set in
    this environment is accepted with a warning (calls would go out without a key)."""
    variant = services.variant_create(**payload.dict())
    variant.warnings = [variant.endpoint_key_warning] if variant.endpoint_key_warning else []
    return Status(201, variant)
