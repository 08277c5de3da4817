"""Writes for the leadership pages: saving a report (a frozen copy of the payload under a stable URL)."""

from __future__ import annotations

from django.db import transaction

from evalhub.dashboards import selectors
from evalhub.dashboards.models import Report, ReportKind


@transaction.atomic
def report_save(*, kind: str, params: dict, user, title: str = "") -> Report:
    """Freeze the payload the pages currently show; the report keeps its own ``computed_at``."""
    current = selectors.current_report(int(params.get("days", selectors.DEFAULT_DAYS)))
    report = Report(kind=kind if kind in ReportKind.values else ReportKind.SCORECARD, title=title[:200],
                    params=params, cache_key=current.cache_key, saved=True, computed_at=current.computed_at,
                    payload=current.payload, created_by=user if getattr(user, "is_authenticated", False) else None)
    report.full_clean()
    report.save()
    return report
