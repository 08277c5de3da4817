"""Writes of the failure-modes feature: declaring and retiring dimensions, and turning a slice into a
regression suite or a judging campaign (created through the owning app's services)."""

from __future__ import annotations

import json
import re

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from evalhub.core.models import ModelVariant, Prompt
from evalhub.failures import selectors
from evalhub.failures.models import KIND_SOURCES, Analysis, Dimension, DimensionKind
from experiments.suites import selectors as suites_selectors
from experiments.suites import services as suites_services
from experiments.telemetry import selectors as telemetry_selectors
from judging import selectors as judging_selectors
from judging import services as judging_services

KEYLESS_KINDS = {DimensionKind.SUITE_CATEGORY, DimensionKind.CAMPAIGN_CATEGORY}
_NAME = re.compile(r"^[a-z0-9_-]{1,60}$")
_KEY = re.compile(r"^[A-Za-z0-9_.-]{1,80}$")


def _forget_cached_analyses() -> None:
    """Dimensions changed: every cached analysis is stale."""
    Analysis.objects.all().delete()


@transaction.atomic
def dimension_declare(*, name: str, kind: str, key: str = "", description: str = "", by: User | None = None
                      ) -> Dimension:
    """Declare a dimension. Raises ``ValidationError`` naming the field (nothing written)."""
    name, key = name.strip(), key.strip()
    if kind not in DimensionKind.values:
        raise ValidationError({"kind": f"must be one of {', '.join(DimensionKind.values)}"})
    if not _NAME.match(name):
        raise ValidationError({"name": "use lower-case letters, digits, '_' or '-' (1–60)"})
    if kind in KEYLESS_KINDS:
        key = ""
    elif not _KEY.match(key):
        raise ValidationError({"key": "required for this kind: letters, digits, '_', '.' or '-' (1–80)"})
    sources = set(KIND_SOURCES[kind])
    list(Dimension.objects.select_for_update().filter(name=name))  # one declaration of a name at a time
    for other in (d for d in selectors.dimensions_active() if d.name == name):
        if sources & set(other.sources):
            raise ValidationError({"name": f"an active dimension '{name}' ({other.kind}) already slices "
                                           f"{', '.join(sorted(sources & set(other.sources)))}; retire it first"})
    dimension = Dimension.objects.create(name=name, kind=kind, key=key, description=description.strip()[:300],
                                         created_by=by)
    _forget_cached_analyses()
    return dimension


@transaction.atomic
def dimension_retire(*, dimension: Dimension) -> Dimension:
    """Stop slicing by a dimension (kept, with when it was retired). Retiring twice changes nothing."""
    if dimension.active:
        dimension.active, dimension.retired_at = False, timezone.now()
        dimension.save(update_fields=["active", "retired_at"])
        _forget_cached_analyses()
    return dimension


def _dimension(name: str, source: str) -> tuple[str, str, str]:
    for d in selectors.dimensions_active():
        if d.name == name and source in d.sources:
            return d.spec()
    raise ValidationError({"dimension": f"no active dimension '{name}' for {source}"})


def _variants(variant: str, baseline: str) -> tuple[ModelVariant, ModelVariant]:
    found = {v.slug: v for v in ModelVariant.objects.filter(slug__in=[variant, baseline])}
    for field, slug in (("variant", variant), ("baseline", baseline)):
        if slug not in found:
            raise ValidationError({field: f"unknown variant '{slug}'"})
    return found[variant], found[baseline]


def _slug(*parts: str) -> str:
    base = slugify("-".join(parts))[:64].strip("-") or "slice"
    return f"{base}-{timezone.now():%Y%m%d%H%M%S}"


def slice_to_suite(*, variant: str, baseline: str, suite: str, dimension: str, value: str, by: User | None = None
                   ) -> tuple[str, int]:
    """A regression suite made of one suite slice's items (the suites app imports it). Returns (slug, items)."""
    v, b = _variants(variant, baseline)
    spec = _dimension(dimension, "suites")
    pairs = suites_selectors.failure_run_pairs(variant_id=v.pk, baseline_id=b.pk, suite_slug=suite)
    if not pairs:
        raise ValidationError({"suite": f"no suite '{suite}' with finished runs of both {variant} and {baseline}"})
    rows = suites_selectors.failure_slice_items(pairs[0], spec, value)
    if not rows:
        raise ValidationError({"value": f"no item of {suite} has {dimension} = {value}"})
    slug = _slug("regress", suite, dimension, value)
    suites_services.suite_import(
        slug=slug, text="\n".join(json.dumps(r) for r in rows), fmt="jsonl",
        name=f"Regression: {suite}, {selectors.slice_phrase(dimension, value)}",
        description=f"Items of {suite} where {dimension} = {value}, from the failure modes of {v.name} "
                    f"against {b.name}.", by=by)
    return slug, len(rows)


def slice_to_campaign(*, variant: str, baseline: str, source: str, dimension: str, value: str, suite: str = "",
                      days: int = 7, by: User | None = None) -> tuple[str, int]:
    """A draft judging campaign of the variant against the baseline on one slice's prompts. Returns (slug, prompts)."""
    v, b = _variants(variant, baseline)
    spec = _dimension(dimension, source)
    name = f"{v.name} vs {b.name}: {selectors.slice_phrase(dimension, value)}"
    campaign = None
    if source == "judgments":
        ids = judging_selectors.failure_slice_prompt_ids(variant_id=v.pk, baseline_id=b.pk, dimension=spec,
                                                         value=value)
        if not ids:
            raise ValidationError({"value": f"no comparison has {dimension} = {value}"})
        prompts = list(Prompt.objects.filter(pk__in=ids))
        campaign = judging_services.campaign_create(name=name[:200], slug=_slug("slice", dimension, value),
                                                    variants=[v, b], created_by=by, prompts=prompts)
        return campaign.slug, len(prompts)
    if source == "suites":
        pairs = suites_selectors.failure_run_pairs(variant_id=v.pk, baseline_id=b.pk, suite_slug=suite or None)
        rows = [r for pair in pairs[:1] for r in suites_selectors.failure_slice_items(pair, spec, value)]
        lines = [{"messages": r["input"], "category": r.get("category", ""), "external_id": r["id"]} for r in rows]
    elif source == "production":
        window = telemetry_selectors.failure_window(days)
        texts = [] if window is None else telemetry_selectors.failure_slice_prompts(
            variant_id=v.pk, dimension=spec, value=value, start=window[0], end=window[1])
        if not texts:
            raise ValidationError({"value": "no prompt text is stored for this slice (EVENTS_STORE_TEXT is off)"})
        lines = [{"prompt": t, "category": value[:80]} for t in texts]
    else:
        raise ValidationError({"source": "must be suites, judgments or production"})
    if not lines:
        raise ValidationError({"value": f"no prompt has {dimension} = {value}"})
    with transaction.atomic():
        campaign = judging_services.campaign_create(name=name[:200], slug=_slug("slice", dimension, value),
                                                    variants=[v, b], created_by=by)
        judging_services.campaign_import_prompts(campaign=campaign, text="\n".join(json.dumps(x) for x in lines))
    return campaign.slug, len(lines)
