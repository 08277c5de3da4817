"""Celery tasks of the telemetry app: thin, idempotent wrappers over services."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.db import OperationalError

from experiments.telemetry import services


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def partitions_ensure_task() -> list[str]:
    """Create daily event partitions ahead (hourly beat; idempotent), apply raw-event retention and
    drop re-ask session states too old to matter."""
    created = services.partitions_ensure()
    services.partitions_drop_older(keep_days=settings.TELEMETRY_RETENTION_DAYS)
    services.sessions_purge()
    return created


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def rollups_refresh_task(hours: int = 48) -> int:
    """Reconcile the last ``hours`` of rollups with raw events (ingestion keeps them current already)."""
    result = services.rollups_refresh(since=datetime.now(UTC) - timedelta(hours=hours))
    return result.hourly_rows


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def refusal_judge_task(payload: list[dict]) -> dict:
    """Ask the refusal judge (TELEMETRY_REFUSAL_JUDGE) about answers ingested just before; store its verdicts."""
    result = services.refusal_judge(payload)
    return {"judged": result.judged, "changed": result.changed, "failed": result.failed, "cost_usd": result.cost_usd}


DRAIN_ROUNDS = 40  # per run: up to 200 ingested batches; the rest waits for the next run, seconds later


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def pending_drain_task() -> int:
    """Detect the re-asks and derive the slice features of events the API stored with ``defer`` (beat, every
    few seconds)."""
    drained = 0
    for _ in range(DRAIN_ROUNDS):
        n = services.pending_drain()
        if not n:
            break
        drained += n
    return drained
