"""Roles are Django groups carrying the three role permissions declared on ``ModelVariant``.

Every page and endpoint checks a role through ``role_required`` (views) or ``require_role``
(services/API). Superusers and members of the admin group hold every role.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpRequest, HttpResponse

from evalhub.core.models import Role

ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.REVIEWER: ["core.act_as_reviewer"],
    Role.ENGINEER: ["core.act_as_engineer", "core.view_dashboards"],
    Role.VIEWER: ["core.view_dashboards"],
    Role.ADMIN: ["core.act_as_reviewer", "core.act_as_engineer", "core.view_dashboards"],
}

# What each role may do, as the permission that grants it.
CAN_JUDGE = "core.act_as_reviewer"
CAN_ENGINEER = "core.act_as_engineer"
CAN_VIEW = "core.view_dashboards"

_ROLE_TO_PERM = {Role.REVIEWER: CAN_JUDGE, Role.ENGINEER: CAN_ENGINEER, Role.VIEWER: CAN_VIEW}


_PERMS_SQL = """
SELECT ct.app_label, p.codename
FROM auth_permission p JOIN django_content_type ct ON ct.id = p.content_type_id
WHERE p.id IN (SELECT up.permission_id FROM auth_user_user_permissions up WHERE up.user_id = %(user)s
               UNION
               SELECT gp.permission_id FROM auth_group_permissions gp
               JOIN auth_user_groups ug ON ug.group_id = gp.group_id WHERE ug.user_id = %(user)s)
"""


def _role_perms(user: Any) -> frozenset[str]:
    """The user's permissions as "app_label.codename", in ONE query, cached on the user object.

    ``request.user`` lives for one request, so this is a per-request cache (the same lifetime as
    ModelBackend's own ``_perm_cache``, which needs two queries: user perms, then group perms).
    Every API call checks a role, so the saved round trip is on the hot path.
    """
    cached = user.__dict__.get("_evalhub_role_perms")
    if cached is None:
        # Direct and group permissions as a UNION of two indexed lookups: the ORM's
        # ``Q(user=user) | Q(group__user=user)`` becomes an OR over two LEFT JOIN chains, which
        # PostgreSQL cannot use an index for, and its compilation was itself a visible cost.
        with connection.cursor() as cursor:
            cursor.execute(_PERMS_SQL, {"user": user.pk})
            cached = frozenset(f"{app}.{codename}" for app, codename in cursor.fetchall())
        user.__dict__["_evalhub_role_perms"] = cached
    return cached


def has_role(user: Any, role: str) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    cache = user.__dict__.setdefault("_evalhub_roles", {})  # per request: request.user is per request
    if role not in cache:
        if role == Role.ADMIN:
            cache[role] = user.is_superuser or user.groups.filter(name=Role.ADMIN).exists()
        elif user.is_superuser:
            cache[role] = True
        elif settings.AUTHENTICATION_BACKENDS == ["django.contrib.auth.backends.ModelBackend"]:
            cache[role] = _ROLE_TO_PERM[role] in _role_perms(user)
        else:  # another backend may grant permissions: ask all of them
            cache[role] = user.has_perm(_ROLE_TO_PERM[role])
    return cache[role]


def require_role(user: Any, *roles: str) -> None:
    if not any(has_role(user, role) for role in roles):
        raise PermissionDenied(f"this needs the {' or '.join(roles)} role")


def role_required(*roles: str) -> Callable:
    """View decorator: anonymous users go to the login page; users without the role get 403."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            require_role(request.user, *roles)
            return view(request, *args, **kwargs)

        wrapped.required_roles = roles  # type: ignore[attr-defined]  # read by the role-coverage test
        return wrapped

    return decorator


def user_roles(user: Any) -> set[str]:
    return {role for role in (Role.REVIEWER, Role.ENGINEER, Role.VIEWER, Role.ADMIN) if has_role(user, role)}
