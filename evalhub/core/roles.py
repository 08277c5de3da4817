"""Roles are Django groups carrying the three role permissions declared on ``ModelVariant``.

Every page and endpoint checks a role through ``role_required`` (views) or ``require_role``
(services/API). Superusers and members of the admin group hold every role.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
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


def has_role(user: Any, role: str) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if role == Role.ADMIN:
        return user.is_superuser or user.groups.filter(name=Role.ADMIN).exists()
    return user.has_perm(_ROLE_TO_PERM[role])


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
