from __future__ import annotations

from django.http import HttpRequest

from evalhub.core.roles import user_roles


def roles(request: HttpRequest) -> dict:
    """Role flags for the role-aware navigation in ``base.html``."""
    found = user_roles(request.user) if hasattr(request, "user") else set()
    return {"roles": found, "is_reviewer": "reviewer" in found, "is_engineer": "engineer" in found,
            "is_viewer": "viewer" in found or "engineer" in found, "is_admin": "admin" in found}
