"""Writes for the leadership pages: the cached evidence payload (stale-while-revalidate) and saved
reports (a frozen copy of the payload under a stable URL). Only ``Report`` rows are written here;
the apps' data is read through ``selectors.build_payload``."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from evalhub.dashboards import selectors
from evalhub.dashboards.models import Report, ReportKind
from evalhub.dashboards.tasks import dashboards_refresh_task


def cache_seconds() -> int:
    """After this many seconds a cached payload is served once more while a refresh is enqueued."""
    return int(getattr(settings, "DASHBOARDS_CACHE_SECONDS", 300))


def max_stale_seconds() -> int:
    """Past this age a cached payload is not served at all: the request recomputes it."""
    return int(getattr(settings, "DASHBOARDS_MAX_STALE_SECONDS", 3600))


def report_current(days: int = selectors.DEFAULT_DAYS, *, refresh: bool = False) -> Report:
    """The cached evidence payload (stale-while-revalidate).

    Fresh (< ``DASHBOARDS_CACHE_SECONDS``): served. Stale but younger than
    ``DASHBOARDS_MAX_STALE_SECONDS``: served, and ``dashboards_refresh_task`` is enqueued (at most
    once a minute per process) so the next viewer gets new numbers without paying for them.
    Missing, too old, or ``refresh``: computed in the request.
    """
    if not refresh:
        cached = selectors.cached_report(days)
        if cached is not None:
            age = (timezone.now() - cached.computed_at).total_seconds()
            if age < cache_seconds():
                return cached
            if age < max_stale_seconds():
                _enqueue_refresh(days)
                return cached
    return report_cache_refresh(days)


def _enqueue_refresh(days: int) -> None:
    if cache.add(f"dashboards:refresh-pending:{days}", 1, timeout=60):
        transaction.on_commit(lambda: dashboards_refresh_task.delay(days=days))


def report_cache_refresh(days: int = selectors.DEFAULT_DAYS) -> Report:
    """Compute the payload and keep it as the newest cache row for ``days``."""
    payload = selectors.build_payload(days)
    key = selectors.cache_key(days)
    report = Report.objects.create(saved=False, cache_key=key, params={"days": days},
                                   computed_at=dt.datetime.fromisoformat(payload["computed_at"]), payload=payload)
    # Keep the cache table small: only the newest unsaved row per key is ever read.
    Report.objects.filter(saved=False, cache_key=key, computed_at__lt=report.computed_at).delete()
    return report


@transaction.atomic
def report_save(*, kind: str, params: dict, user, title: str = "") -> Report:
    """Freeze the payload the pages currently show; the report keeps its own ``computed_at``."""
    current = report_current(int(params.get("days", selectors.DEFAULT_DAYS)))
    report = Report(kind=kind if kind in ReportKind.values else ReportKind.SCORECARD, title=title[:200],
                    params=params, cache_key=current.cache_key, saved=True, computed_at=current.computed_at,
                    payload=current.payload, created_by=user if getattr(user, "is_authenticated", False) else None)
    report.full_clean()
    report.save()
    return report
