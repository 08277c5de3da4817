"""Reads for core pages."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import QuerySet

from evalhub.core.models import ApiKey, ModelVariant, Role
from evalhub.core.read_models import VariantFacts


def variants_active() -> QuerySet[ModelVariant]:
    return ModelVariant.objects.filter(is_active=True).select_related("judge_variant").order_by("family", "parameter_count", "slug")


def api_keys_for(user: User) -> QuerySet[ApiKey]:
    """The user's own keys; an admin sees (and may revoke) every key, with its owner."""
    from evalhub.core.roles import has_role

    keys = ApiKey.objects.select_related("owner").order_by("-created_at")
    return keys if has_role(user, Role.ADMIN) else keys.filter(owner=user)


def variant_facts() -> list[VariantFacts]:
    """Active variants as read models, by slug (one query)."""
    return [
        VariantFacts(
            id=v.pk, slug=v.slug, name=v.name, family=v.family, base_model=v.base_model,
            parameter_count=v.parameter_count, post_training=v.post_training,
            post_training_label=v.get_post_training_display(), test_time_strategy=v.test_time_strategy,
            improvement_kind=v.improvement_kind, compute_multiplier=v.compute_multiplier,
        )
        for v in ModelVariant.objects.filter(is_active=True).order_by("slug")
    ]
