"""Background jobs for core: thin wrappers over services, idempotent, retried on transient errors."""

from __future__ import annotations

from celery import shared_task

from evalhub.core import services
from evalhub.core.connector import EndpointError
from evalhub.core.health import heartbeat_record


@shared_task(bind=True, autoretry_for=(EndpointError,), retry_backoff=2, retry_backoff_max=60, max_retries=5)
def completion_generate_task(self, *, prompt_id: int, variant_id: int) -> int:
    return services.completion_generate(prompt_id=prompt_id, variant_id=variant_id).pk


@shared_task(name="core.heartbeat", ignore_result=True)
def heartbeat_task() -> None:
    """Scheduled by beat; proves to ``/healthz`` that a worker consumes the queue."""
    heartbeat_record(name="worker")
