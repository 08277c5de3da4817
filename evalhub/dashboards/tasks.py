"""Thin Celery tasks for the leadership pages."""

from __future__ import annotations

from celery import shared_task


@shared_task
def dashboards_refresh_task(*, days: int = 7) -> str:
    """Recompute the cached evidence payload (idempotent: each run just writes a newer cache row).

    Scheduled by beat or after data loads so pages read a fresh payload instead of computing it on a request.
    """
    # Imported here: services enqueues this task, so a module-level import would be a cycle.
    from evalhub.dashboards.services import report_cache_refresh

    return str(report_cache_refresh(days).uuid)
