"""Reads for core pages."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import QuerySet

from evalhub.core.models import ApiKey, ModelVariant, Role


def variants_active() -> QuerySet[ModelVariant]:
    return ModelVariant.objects.filter(is_active=True).select_related("judge_variant").order_by("family", "parameter_count", "slug")


def api_keys_for(user: User) -> QuerySet[ApiKey]:
    """The user's own keys; an admin sees (and may revoke) every key, with its owner."""
    from evalhub.core.roles import has_role

    keys = ApiKey.objects.select_related("owner").order_by("-created_at")
    return keys if has_role(user, Role.ADMIN) else keys.filter(owner=user)
