"""Real Celery worker processes: a run started like the UI starts it, a worker SIGKILLed mid-run,
and a resume (the button, or the watchdog noticing the stall) with a new worker — every item ends with exactly one result."""

from __future__ import annotations

import signal
from datetime import timedelta

import pytest
from django.db.models import Count

from experiments.suites import services
from experiments.suites.models import Run, RunResult, RunStatus
from tests.conftest import wait_for
from tests.factories import VariantFactory
from tests.suites.factories import make_version


@pytest.mark.worker
@pytest.mark.parametrize("resume", ["button", "watchdog"])
def test_kill_worker_mid_run_then_resume_without_duplicates(start_worker, simulator, settings, resume):
    settings.SUITE_RUN_STALL_SECONDS = 300
    simulator.fixed_latency_ms = 150
    version = make_version(80)
    variant = VariantFactory(endpoint_model="acme-70b")
    worker = start_worker()
    run = services.run_start(version=version, variant=variant, concurrency=4)  # on_commit fires: autocommit
    wait_for(lambda: RunResult.objects.filter(run=run).count() >= 8, timeout=60, message="the first results")
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)
    done_at_kill = RunResult.objects.filter(run=run).count()
    assert done_at_kill < 80, "the run finished before the kill; the test proves nothing"
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING
    assert run.heartbeat_at is not None

    if resume == "button":  # a person does not wait for the stall period: Cancel, then Resume
        services.run_cancel(run=run)
        services.run_resume(run=run)
    else:  # nobody presses Resume: a watchdog pass one stall period after the last heartbeat does
        assert services.runs_resume_stalled(now=run.heartbeat_at + timedelta(seconds=301)) == [run.pk]
    start_worker()
    wait_for(lambda: Run.objects.get(pk=run.pk).status == RunStatus.DONE, timeout=90, message="the resumed run")

    results = RunResult.objects.filter(run=run)
    assert results.count() == 80
    assert not results.values("item_id").annotate(n=Count("id")).filter(n__gt=1).exists()
    assert set(results.values_list("item_id", flat=True)) == set(version.items.values_list("pk", flat=True))
    assert not results.exclude(error="").exists()
    run.refresh_from_db()
    assert run.n_done == 80
    assert run.finished_at is not None
    assert run.resumed_count == (1 if resume == "watchdog" else 0)
