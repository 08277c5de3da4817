"""Writes for the leadership pages: the cached evidence payload (stale-while-revalidate) and saved
reports (a frozen copy of the payload under a stable URL). Only ``Report`` rows are written here;
the apps' data is read through ``selectors.build_payload``."""

from __future__ import annotations

import datetime as dt
import math

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from evalhub.core.errors import FieldError, Forbidden, Invalid
from evalhub.core.models import Role
from evalhub.core.read_models import as_json
from evalhub.core.roles import has_role
from evalhub.dashboards import dollars, selectors, sources
from evalhub.dashboards.models import DecisionPolicy, Report, ReportKind
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
    """Freeze the payload the pages currently show, with the decision policy active now (so the report's
    overall answer stays as seen); the report keeps its own ``computed_at``."""
    current = report_current(int(params.get("days", selectors.DEFAULT_DAYS)))
    payload = {**current.payload, "policy": as_json(selectors.policy_active(current.payload))}
    report = Report(kind=kind if kind in ReportKind.values else ReportKind.SCORECARD, title=title[:200],
                    params=params, cache_key=current.cache_key, saved=True, computed_at=current.computed_at,
                    payload=payload, created_by=user if getattr(user, "is_authenticated", False) else None)
    report.full_clean()
    report.save()
    return report


POLICY_WRITERS = (Role.ENGINEER, Role.ADMIN)


def _policy_errors(weights: object, suites: set[str]) -> list[FieldError]:
    if not isinstance(weights, dict) or not weights:
        return [FieldError("weights", "must map at least one quality to a weight")]
    errors = []
    for key, w in weights.items():
        field = f"weights.{key}"
        known = key in dollars.QUALITY_KEYS or (isinstance(key, str) and key.startswith("suite:")
                                                 and key.removeprefix("suite:") in suites)
        if not known:
            errors.append(FieldError(field, f"unknown quality {key!r}: use one of {', '.join(dollars.QUALITY_KEYS)} "
                                            f"or suite:<slug> of an existing suite"))
        elif isinstance(w, bool) or not isinstance(w, int | float) or not math.isfinite(w):
            errors.append(FieldError(field, f"must be a number, got {w!r}"))
        elif w < 0:
            errors.append(FieldError(field, f"must not be negative, got {w!r}"))
    if not errors and not any(w > 0 for w in weights.values()):
        errors.append(FieldError("weights", "at least one weight must be positive (all are zero)"))
    return errors


POLICY_SAVE_LOCK = 0x45564C50  # "EVLP": the advisory lock key that serialises policy saves


@transaction.atomic
def policy_save(*, weights: dict, user, note: str = "") -> DecisionPolicy:
    """Save a new version of the decision policy (the previous versions stay as they were).

    Engineers and admins only; every key must be a known quality, every weight a non-negative number,
    and at least one positive."""
    if not any(has_role(user, role) for role in POLICY_WRITERS):
        raise Forbidden("saving the decision policy needs the engineer or admin role")
    errors = _policy_errors(weights, sources.suite_slugs())
    if errors:
        raise Invalid(errors[0].message, errors[0].field, errors=errors)
    # Saves queue on one transaction-scoped advisory lock (a row lock cannot hold back two first saves:
    # there is no row yet), so each takes the next number and none fails on the unique version.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [POLICY_SAVE_LOCK])
    newest = DecisionPolicy.objects.order_by("-version").first()
    last = newest.version if newest else 0
    policy = DecisionPolicy(version=last + 1, weights={k: float(w) for k, w in weights.items()}, note=note[:500],
                            created_by=user)
    policy.full_clean()
    policy.save()
    return policy
