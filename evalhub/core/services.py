"""Writes for the core models: API keys, roles, variants."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission, User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from evalhub.core.models import (
    ApiKey,
    ApiKeyScope,
    Completion,
    ModelVariant,
    Prompt,
    Role,
    generate_api_key,
    hash_api_key,
)
from evalhub.core.roles import ROLE_PERMISSIONS

ENGINEER_ADMIN_APPS = ["core", "judging", "suites", "telemetry", "abtests", "dashboards"]


@transaction.atomic
def roles_ensure() -> dict[str, Group]:
    """Create the four role groups with their permissions (idempotent)."""
    groups = {}
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        codenames = [perm.split(".", 1)[1] for perm in perms]
        granted = Permission.objects.filter(content_type__app_label="core", codename__in=codenames)
        if role == Role.ENGINEER:
            # Engineers run the product from the admin too: every model of the product apps, except
            # other people's API keys (each engineer manages their own on the API keys page).
            model_perms = Permission.objects.filter(
                content_type__app_label__in=ENGINEER_ADMIN_APPS, codename__regex=r"^(add|change|delete|view)_"
            ).exclude(content_type__app_label="core", content_type__model="apikey")
            granted = granted | model_perms
        group.permissions.set(granted)
        groups[role] = group
    return groups


@transaction.atomic
def user_create(*, username: str, password: str, role: str, email: str = "") -> User:
    if role not in Role.values:
        raise ValueError(f"role: unknown role {role!r}; choose from {', '.join(Role.values)}")
    groups = roles_ensure()
    user = User(username=username, email=email, is_staff=role in {Role.ENGINEER, Role.ADMIN})
    user.set_password(password)
    user.full_clean()
    user.save()
    user.groups.add(groups[role])
    if role == Role.ADMIN:
        user.is_superuser = True
        user.save(update_fields=["is_superuser"])
    return user


@transaction.atomic
def api_key_create(*, owner: User, name: str, scopes: list[str]) -> tuple[ApiKey, str]:
    """Create a key; returns the row and the full key, which is shown once and never stored."""
    unknown = [scope for scope in scopes if scope not in ApiKeyScope.values]
    if not scopes or unknown:
        raise ValueError(f"scopes: choose one or more of {', '.join(ApiKeyScope.values)}")
    prefix, raw = generate_api_key()
    key = ApiKey(owner=owner, name=name, prefix=prefix, key_hash=hash_api_key(raw), scopes=sorted(set(scopes)))
    key.full_clean()
    key.save()
    return key, raw


def api_key_revoke(*, key: ApiKey) -> ApiKey:
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key


@transaction.atomic
def variant_create(**fields: Any) -> ModelVariant:
    """Register a variant; ``judge_variant`` may be given as a slug (best-of-n needs one)."""
    judge = fields.get("judge_variant")
    if isinstance(judge, str):
        fields["judge_variant"] = ModelVariant.objects.filter(slug=judge).first()
        if fields["judge_variant"] is None:
            raise ValidationError({"judge_variant": f"no variant {judge!r}"})
    if fields.get("test_time_strategy") == "best_of_n" and not fields.get("judge_variant"):
        raise ValidationError({"judge_variant": "a best-of-n variant needs a judge_variant to pick the best sample"})
    variant = ModelVariant(**fields)
    variant.full_clean()
    variant.save()
    return variant


def completion_generate(*, prompt_id: int, variant_id: int) -> Completion:
    """Ask the variant's endpoint for an answer to the prompt and store it (once per pair).

    Idempotent: an existing completion is returned untouched, and a concurrent duplicate loses
    the race on the (prompt, variant) unique constraint and returns the winner's row.
    """
    from django.db import IntegrityError

    from evalhub.core import connector

    existing = Completion.objects.filter(prompt_id=prompt_id, variant_id=variant_id).first()
    if existing is not None:
        return existing
    prompt = Prompt.objects.get(pk=prompt_id)
    variant = ModelVariant.objects.get(pk=variant_id)
    result = connector.chat(variant, prompt.messages)
    completion = Completion(
        prompt=prompt, variant=variant, output=result.text, input_tokens=result.input_tokens,
        output_tokens=result.output_tokens, reasoning_tokens=result.reasoning_tokens,
        latency_ms=result.latency_ms, cost_usd=variant.price_for(result.input_tokens, result.output_tokens),
    )
    try:
        with transaction.atomic():
            completion.save()
    except IntegrityError:
        return Completion.objects.get(prompt_id=prompt_id, variant_id=variant_id)
    return completion
