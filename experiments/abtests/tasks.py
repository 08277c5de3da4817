"""Background jobs for experiments: thin, idempotent wrappers over services."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from experiments.abtests import services
from experiments.abtests.models import Experiment, Status


@shared_task(autoretry_for=(OperationalError,), retry_backoff=2, max_retries=5)
def pre_period_capture_task(*, experiment_id: int) -> int:
    experiment = Experiment.objects.filter(pk=experiment_id).first()
    return services.pre_period_capture(experiment=experiment) if experiment else 0


@shared_task(autoretry_for=(OperationalError,), retry_backoff=2, max_retries=5)
def result_snapshot_task(*, experiment_id: int) -> int | None:
    experiment = Experiment.objects.filter(pk=experiment_id).first()
    return services.result_snapshot_take(experiment=experiment).pk if experiment else None


@shared_task
def result_snapshots_daily_task() -> int:
    """Beat entry point: enqueue one snapshot per running experiment (each idempotent per day)."""
    ids = list(Experiment.objects.filter(status=Status.RUNNING).values_list("id", flat=True))
    for experiment_id in ids:
        result_snapshot_task.delay(experiment_id=experiment_id)
    return len(ids)
