"""Thin Celery tasks of the failure-modes feature."""

from __future__ import annotations

from celery import shared_task


@shared_task
def failures_refresh_task() -> int:
    """Recompute every active variant's default analysis (what the scorecard column and the pages read)."""
    from evalhub.failures.selectors import refresh_defaults

    return refresh_defaults()


@shared_task
def failures_analysis_refresh_task(**params: object) -> str:
    """Recompute one cached analysis (enqueued when a page served it stale)."""
    from evalhub.failures.selectors import AnalysisError, Params, store_analysis

    try:
        store_analysis(Params(**params))  # type: ignore[arg-type]
    except AnalysisError as err:
        return f"not computed: {err}"
    return "ok"
