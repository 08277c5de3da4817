"""Failure modes: the dimensions evidence is sliced by, and the cached analyses the pages read."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

SOURCES = ("suites", "judgments", "production")


class DimensionKind(models.TextChoices):
    DERIVED = "derived", "Derived by EvalHub (all sources)"
    SUITE_CATEGORY = "suite_category", "Suite item category"
    SUITE_TAG = "suite_tag", "Suite item tags (a list in item metadata)"
    SUITE_METADATA = "suite_metadata", "Suite item metadata key"
    CAMPAIGN_CATEGORY = "campaign_category", "Campaign prompt category"
    EVENT_ATTRIBUTE = "event_attribute", "Production event metadata key"


# Which sources each kind of dimension can slice.
KIND_SOURCES: dict[str, tuple[str, ...]] = {
    DimensionKind.DERIVED: SOURCES,
    DimensionKind.SUITE_CATEGORY: ("suites",),
    DimensionKind.SUITE_TAG: ("suites",),
    DimensionKind.SUITE_METADATA: ("suites",),
    DimensionKind.CAMPAIGN_CATEGORY: ("judgments",),
    DimensionKind.EVENT_ATTRIBUTE: ("production",),
}

# (name, kind, key, description) of the dimensions EvalHub declares itself (migration 0002 stores them;
# ``selectors.dimensions_active`` also supplies any that has no row, e.g. in a database emptied by a flush).
BUILTIN_DIMENSIONS: tuple[tuple[str, str, str, str], ...] = (
    ("language", "derived", "language", "language of the prompt"),
    ("turns", "derived", "turns", "user turns in the conversation: 1, 2-3, 4+"),
    ("prompt_length", "derived", "prompt_length", "short (< 200 characters), medium, long (≥ 1,000)"),
    ("contains_code", "derived", "contains_code", "the prompt contains code"),
    ("recent_events", "derived", "recent_events", "the prompt asks about recent events or dates"),
    ("safety_sensitive", "derived", "safety_sensitive", "a safety-sensitive request"),
    ("category", "suite_category", "", "suite item category"),
    ("tags", "suite_tag", "tags", "suite item tags (metadata 'tags')"),
    ("category", "campaign_category", "", "campaign prompt category"),
    ("route", "event_attribute", "route", "production route (event metadata 'route')"),
    ("feature", "event_attribute", "feature", "product feature (event metadata 'feature')"),
    ("segment", "event_attribute", "segment", "user segment (event metadata 'segment')"),
    ("topic", "event_attribute", "topic", "prompt topic (event metadata 'topic')"),
)

key_validator = RegexValidator(r"^[A-Za-z0-9_.-]{1,80}$", "use letters, digits, '_', '.' or '-' (at most 80)")
name_validator = RegexValidator(r"^[a-z0-9_-]{1,60}$", "use lower-case letters, digits, '_' or '-' (at most 60)")


class Dimension(models.Model):
    """A way to slice evidence: a derived feature, a suite category/tag/metadata key, a campaign
    category, or a production event attribute. Retired dimensions are kept (``retired_at``) but not read."""

    name = models.CharField(max_length=60, validators=[name_validator])
    kind = models.CharField(max_length=20, choices=DimensionKind.choices)
    key = models.CharField(max_length=80, blank=True, validators=[key_validator],
                           help_text="the feature, metadata key or attribute read; blank for categories")
    description = models.CharField(max_length=300, blank=True)
    active = models.BooleanField(default=True)
    builtin = models.BooleanField(default=False, help_text="declared by EvalHub itself")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["name", "kind"], condition=Q(active=True),
                                    name="dimension_one_active_per_name_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"

    @property
    def sources(self) -> tuple[str, ...]:
        return KIND_SOURCES.get(self.kind, ())

    def spec(self) -> tuple[str, str, str]:
        """(name, kind, key) as the apps' failure-slice selectors take it."""
        return (self.name, self.kind, self.key)


class Analysis(models.Model):
    """A cached failure-mode analysis (the payload the page and the API answer from)."""

    cache_key = models.CharField(max_length=300, db_index=True)
    variant_slug = models.CharField(max_length=80, db_index=True)
    computed_at = models.DateTimeField(default=timezone.now)
    payload = models.JSONField(default=dict)

    class Meta:
        ordering = ["-computed_at"]
        indexes = [models.Index(fields=["cache_key", "-computed_at"], name="failures_analysis_latest")]

    def __str__(self) -> str:
        return f"{self.cache_key} at {self.computed_at:%Y-%m-%d %H:%M}"
