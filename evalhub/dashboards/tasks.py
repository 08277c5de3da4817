"""Thin Celery tasks for the leadership pages."""

from __future__ import annotations

from celery import shared_task


@shared_task
def dashboards_refresh_task(*, days: int = 7) -> str:
    """Recompute the cached evidence payload (idempotent: each run just writes a newer cache row).

    Scheduled by beat or after data loads so pages read a fresh payload instead of computing it on a request.
    """
    from evalhub.dashboards.selectors import refresh_cache

    return str(refresh_cache(days).uuid)
