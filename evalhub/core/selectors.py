"""Reads for core pages."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import QuerySet

from evalhub.core.models import ApiKey, ModelVariant


def variants_active() -> QuerySet[ModelVariant]:
    return ModelVariant.objects.filter(is_active=True).select_related("judge_variant").order_by("family", "parameter_count", "slug")


def api_keys_for(user: User) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(owner=user).order_by("-created_at")
