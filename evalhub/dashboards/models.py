"""Computed leadership views: cached evidence snapshots and saved reports with stable URLs.

A ``Report`` holds the JSON payload the pages render from (per-variant evidence from judging, suites
and production, plus the verdict), so a page never recomputes fits on a request and a saved report
shows exactly what was seen when it was saved, with its computation time.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class ReportKind(models.TextChoices):
    # One payload feeds all three pages; the kind says which page a saved report opens on.
    SCORECARD = "scorecard", "Scorecard"
    FRONTIER = "frontier", "Frontier"
    VERDICT = "verdict", "Compute vs post-training"


class Report(models.Model):
    """A computed leadership payload. ``saved`` rows are reports someone kept (stable URL, never
    refreshed); unsaved rows are the cache the pages read, refreshed by ``dashboards_refresh_task``."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=16, choices=ReportKind.choices, default=ReportKind.SCORECARD)
    title = models.CharField(max_length=200, blank=True)
    params = models.JSONField(default=dict, blank=True, help_text="page parameters (period, quality, axis, filters)")
    cache_key = models.CharField(max_length=200, db_index=True, help_text="evidence parameters the payload was computed for")
    saved = models.BooleanField(default=False)
    computed_at = models.DateTimeField(default=timezone.now)
    payload = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-computed_at"]
        indexes = [
            models.Index(fields=["cache_key", "-computed_at"], name="report_cache_idx", condition=Q(saved=False)),
        ]

    def __str__(self) -> str:
        return f"{self.kind} report {self.uuid} ({self.computed_at:%Y-%m-%d %H:%M})"


class DecisionPolicy(models.Model):
    """Which qualities the overall verdict weighs, and how much. Versioned: a save adds a row with the
    next ``version`` (rows are never edited); the highest version is the active policy."""

    version = models.PositiveIntegerField(unique=True)
    weights = models.JSONField(help_text="quality key (bt, suite:<slug>, success, thumbs_up, refusal, reask) → weight ≥ 0")
    note = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"decision policy v{self.version}"
