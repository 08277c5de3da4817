"""API-key authentication for machine clients (django-ninja).

Keys look like ``ehk_<prefix>_<secret>`` and travel in ``Authorization: Bearer …`` or ``X-API-Key``.
A missing or malformed key is refused before any database work; a well-formed one costs one
indexed lookup by prefix. Wrong scope is 403, not 401.
"""

from __future__ import annotations

import hmac
from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest
from django.middleware.csrf import CsrfViewMiddleware
from django.utils import timezone
from ninja.security.base import AuthBase

from evalhub.core.errors import Forbidden
from evalhub.core.models import API_KEY_PREFIX, ApiKey, Role, hash_api_key
from evalhub.core.roles import has_role


def raw_key_from_request(request: HttpRequest) -> str | None:
    """The API key a client sent, from `Authorization: Bearer …` or `X-API-Key`, or None."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.headers.get("X-API-Key") or None


def authenticate_key(raw: str | None) -> ApiKey | None:
    if not raw:
        return None
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX or not parts[1] or not parts[2]:
        return None
    key = ApiKey.objects.select_related("owner").filter(prefix=parts[1]).first()
    if key is None or key.revoked_at is not None or not key.owner.is_active:
        return None
    if not hmac.compare_digest(key.key_hash, hash_api_key(raw)):
        return None
    now = timezone.now()
    # Touch last_used_at at most once a minute: a write per request would serialise ingestion.
    if key.last_used_at is None or now - key.last_used_at > timedelta(seconds=settings.API_KEY_LAST_USED_RESOLUTION_SECONDS):
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


# The roles whose holders may use each scope. A key follows its owner's CURRENT role: an engineer
# moved to reviewers loses their keys at once (they can no longer see the keys page to revoke them).
READ_ROLES = (Role.ENGINEER, Role.VIEWER, Role.ADMIN)
ENGINEER_ROLES = (Role.ENGINEER, Role.ADMIN)
REVIEWER_ROLES = (Role.REVIEWER, Role.ADMIN)
SCOPE_ROLES = {"read": READ_ROLES, "ingest": ENGINEER_ROLES, "run": ENGINEER_ROLES}


def key_allows(key: ApiKey, scope: str) -> bool:
    """The key holds ``scope`` and its owner still holds a role that may use it."""
    return scope in key.scopes and any(has_role(key.owner, role) for role in SCOPE_ROLES.get(scope, ()))


def scope_refusal(key: ApiKey, scopes: tuple[str, ...]) -> str:
    names = " or ".join(repr(s) for s in scopes)
    if set(scopes) & set(key.scopes):
        return f"this API key's owner no longer holds a role that may use the {names} scope"
    return f"this API key lacks the {names} scope"


class ApiKeyAuth(AuthBase):
    """Accepts an API key holding any of ``scopes``. Mount as ``auth=ApiKeyAuth("ingest")`` or
    ``ApiKeyAuth("read", "run")`` (ninja stops at the first auth class that raises 403, so "read or run"
    must be one entry, not two)."""

    openapi_type = "http"
    openapi_scheme = "bearer"
    openapi_description = (
        "An API key (`ehk_<prefix>_<secret>`) in `Authorization: Bearer …` or `X-API-Key`. Scopes: `read` reads "
        "results (engineer, viewer or admin owner); `ingest` sends events (engineer or admin); `run` starts eval "
        "runs and reads, exports, compares, cancels and resumes them, nothing else (engineer or admin). A key "
        "follows its owner's current role. An operation's `x-api-key-scopes` lists the scopes it accepts (a key "
        "holding any of them will do); operations without it take `read` (GET) or `ingest`.")

    def __init__(self, *scopes: str) -> None:
        self.scopes = scopes
        super().__init__()

    def __call__(self, request: HttpRequest) -> ApiKey | None:
        key = authenticate_key(raw_key_from_request(request))
        if key is None:
            return None
        if not any(key_allows(key, scope) for scope in self.scopes):
            raise Forbidden(scope_refusal(key, self.scopes))
        request.api_key = key  # type: ignore[attr-defined]
        request.user = key.owner
        return key


def openapi_scopes(auth: list[AuthBase]) -> dict:
    """``openapi_extra`` for an operation: ``x-api-key-scopes`` lists the API-key scopes it accepts (ninja
    writes every security requirement with no scopes and would append, not replace, a ``security`` entry)."""
    return {"x-api-key-scopes": [scope for a in auth if isinstance(a, ApiKeyAuth) for scope in a.scopes]}


class SessionRoleAuth(AuthBase):
    """A logged-in browser session whose user holds one of ``roles`` (CSRF enforced on writes)."""

    openapi_type = "apiKey"
    openapi_name = "sessionid"
    openapi_in = "cookie"

    def __init__(self, *roles: str) -> None:
        self.roles = roles
        super().__init__()

    def __call__(self, request: HttpRequest):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if request.method not in {"GET", "HEAD", "OPTIONS"}:
            reason = CsrfViewMiddleware(lambda req: None).process_view(request, None, (), {})
            if reason is not None:
                raise Forbidden("CSRF check failed: send the X-CSRFToken header", "header.X-CSRFToken")
        if not any(has_role(user, role) for role in self.roles):
            raise Forbidden(f"this needs the {' or '.join(self.roles)} role")
        return user


# The auth lists the routers mount, defined once (ninja tries them in order; the first that accepts wins).
READ_AUTH = [ApiKeyAuth("read"), SessionRoleAuth(*READ_ROLES)]
ENGINEER_AUTH = [SessionRoleAuth(*ENGINEER_ROLES)]
REVIEWER_AUTH = [SessionRoleAuth(*REVIEWER_ROLES)]
INGEST_AUTH = [ApiKeyAuth("ingest")]
