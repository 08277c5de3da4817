"""The watchdog that resumes stalled runs, and the runner's heartbeat it relies on.

Time is passed as ``now=`` (no sleeping); the real-worker test kills a worker mid-run and lets the
watchdog, not a person, bring the run to ``done``.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from evalhub.celery import app
from experiments.suites import runner, services, tasks
from experiments.suites.models import Run, RunResult, RunSource, RunStatus
from tests.conftest import wait_for
from tests.factories import VariantFactory
from tests.suites.factories import make_version

STALL = 300


@pytest.fixture(autouse=True)
def _stall_seconds(settings) -> None:
    settings.SUITE_RUN_STALL_SECONDS = STALL


@pytest.fixture
def dispatched(monkeypatch) -> list[int]:
    """Run ids whose dispatch was enqueued (the broker is replaced; tests run the dispatch themselves)."""
    sent: list[int] = []
    monkeypatch.setattr(tasks.run_dispatch_task, "delay", lambda *, run_id: sent.append(run_id))
    return sent


def running_run(n_items: int = 6, *, done: int = 0, heartbeat=None, started=None, **kwargs) -> Run:
    """A running endpoint run with results for its first ``done`` items (written by the real runner)."""
    version = make_version(n_items)
    run = services.run_start(version=version, variant=VariantFactory(endpoint_model="acme-70b"), **kwargs)
    Run.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING, started_at=started or timezone.now())
    if done:
        first = list(version.items.order_by("position").values_list("pk", flat=True)[:done])
        assert services.run_chunk(run_id=run.pk, item_ids=first) == done
    Run.objects.filter(pk=run.pk).update(heartbeat_at=heartbeat)
    run.refresh_from_db()
    return run


def assert_one_result_per_item(run: Run) -> None:
    results = RunResult.objects.filter(run=run)
    assert set(results.values_list("item_id", flat=True)) == set(run.version.items.values_list("pk", flat=True))
    assert not results.values("item_id").annotate(n=Count("id")).filter(n__gt=1).exists()


@pytest.mark.django_db
def test_stalled_run_is_redispatched_and_finishes_with_one_result_per_item(
        simulator, dispatched, django_capture_on_commit_callbacks):
    now = timezone.now()
    run = running_run(8, done=3, heartbeat=now - timedelta(seconds=STALL + 1))
    assert simulator.request_count == 3

    with django_capture_on_commit_callbacks(execute=True):
        assert services.runs_resume_stalled(now=now) == [run.pk]
    assert dispatched == [run.pk]
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING
    assert run.resumed_count == 1
    assert run.heartbeat_at == now

    assert services.run_dispatch(run_id=dispatched[0]) == 1  # what the worker does with the message
    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    assert run.n_done == 8
    assert run.finished_at is not None
    assert_one_result_per_item(run)
    assert simulator.request_count == 8  # only the 5 missing items were asked again


@pytest.mark.django_db
def test_run_with_fresh_heartbeat_is_left_alone(dispatched, django_capture_on_commit_callbacks):
    now = timezone.now()
    long_ago = now - timedelta(seconds=10 * STALL)
    # Started long ago but a chunk reported a moment ago: slow, not stalled.
    run = running_run(heartbeat=now - timedelta(seconds=STALL - 1), started=long_ago)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.runs_resume_stalled(now=now) == []
    run.refresh_from_db()
    assert dispatched == []
    assert run.resumed_count == 0
    assert run.heartbeat_at == now - timedelta(seconds=STALL - 1)


@pytest.mark.django_db
def test_without_heartbeat_the_start_time_decides(dispatched, django_capture_on_commit_callbacks):
    now = timezone.now()
    fresh = running_run(started=now - timedelta(seconds=STALL - 1))
    stale = running_run(started=now - timedelta(seconds=STALL + 1))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.runs_resume_stalled(now=now) == [stale.pk]
    assert dispatched == [stale.pk]
    fresh.refresh_from_db()
    assert fresh.heartbeat_at is None
    assert fresh.resumed_count == 0


@pytest.mark.django_db
@pytest.mark.parametrize(("status", "source"), [
    (RunStatus.DONE, RunSource.ENDPOINT),
    (RunStatus.CANCELLED, RunSource.ENDPOINT),
    (RunStatus.FAILED, RunSource.ENDPOINT),
    (RunStatus.QUEUED, RunSource.RECORDED),
    (RunStatus.RUNNING, RunSource.RECORDED),
    (RunStatus.RUNNING, RunSource.SIMULATED),
])
def test_finished_cancelled_failed_and_non_endpoint_runs_are_left_alone(status, source, dispatched,
                                                                         django_capture_on_commit_callbacks):
    now = timezone.now()
    run = running_run(heartbeat=now - timedelta(seconds=10 * STALL))
    Run.objects.filter(pk=run.pk).update(status=status, source=source)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.runs_resume_stalled(now=now) == []
    run.refresh_from_db()
    assert dispatched == []
    assert run.status == status
    assert run.resumed_count == 0


def queued_run(n_items: int = 5, *, age_s: float) -> Run:
    """A run whose dispatch message never reached a worker, queued ``age_s`` seconds ago."""
    run = services.run_start(version=make_version(n_items), variant=VariantFactory(endpoint_model="acme-70b"))
    Run.objects.filter(pk=run.pk).update(created_at=timezone.now() - timedelta(seconds=age_s))
    run.refresh_from_db()
    assert run.status == RunStatus.QUEUED
    assert run.started_at is None
    assert run.heartbeat_at is None
    return run


@pytest.mark.django_db
def test_queued_run_never_picked_up_is_redispatched_by_the_same_stall_rule(
        simulator, dispatched, django_capture_on_commit_callbacks):
    now = timezone.now()
    lost = queued_run(5, age_s=STALL + 1)
    waiting = queued_run(5, age_s=STALL - 1)  # queued behind busy workers, not yet stalled
    dispatched.clear()  # run_start's own dispatch (lost, for this test)

    with django_capture_on_commit_callbacks(execute=True):
        assert services.runs_resume_stalled(now=now) == [lost.pk]
    assert dispatched == [lost.pk]
    lost.refresh_from_db()
    # Still queued (no worker took it), but the heartbeat holds the watchdog off for a stall period.
    assert lost.status == RunStatus.QUEUED
    assert lost.heartbeat_at == now
    assert lost.resumed_count == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert services.runs_resume_stalled(now=now + timedelta(seconds=STALL - 1)) == [waiting.pk]

    assert services.run_dispatch(run_id=lost.pk) == 1  # what a worker does with the re-sent message
    lost.refresh_from_db()
    assert lost.status == RunStatus.DONE
    assert lost.n_done == 5
    assert_one_result_per_item(lost)


@pytest.mark.django_db
def test_stalled_queued_run_shows_resume_on_its_page(engineer_client, dispatched):
    stalled, fresh = queued_run(age_s=STALL + 1), queued_run(age_s=10)
    page = engineer_client.get(reverse("suites:run", args=[stalled.pk])).content.decode()
    assert "Resume (re-dispatch missing items)" in page
    assert "no worker has picked it up" in page
    page = engineer_client.get(reverse("suites:run", args=[fresh.pk])).content.decode()
    assert "Resume (re-dispatch missing items)" not in page


@pytest.mark.django_db
def test_running_run_with_every_result_is_finalized_not_redispatched(simulator, dispatched,
                                                                      django_capture_on_commit_callbacks):
    now = timezone.now()
    run = running_run(4, done=4)
    # A worker died between its last write and run_finalize: results complete, status still running.
    Run.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING, finished_at=None, n_done=0,
                                         heartbeat_at=now - timedelta(seconds=STALL + 1))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.runs_resume_stalled(now=now) == []
    run.refresh_from_db()
    assert dispatched == []
    assert run.status == RunStatus.DONE
    assert run.n_done == 4
    assert run.finished_at
    assert run.resumed_count == 0


@pytest.mark.django_db
def test_two_passes_in_a_row_redispatch_once(dispatched, django_capture_on_commit_callbacks):
    now = timezone.now()
    run = running_run(heartbeat=now - timedelta(seconds=STALL + 1))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.runs_resume_stalled(now=now) == [run.pk]
    with django_capture_on_commit_callbacks(execute=True):
        assert services.runs_resume_stalled(now=now) == []
        assert services.runs_resume_stalled(now=now + timedelta(seconds=STALL - 1)) == []
    assert dispatched == [run.pk]
    # The dispatch was lost too: a full stall period later the watchdog tries again.
    with django_capture_on_commit_callbacks(execute=True):
        assert services.runs_resume_stalled(now=now + timedelta(seconds=STALL + 1)) == [run.pk]
    run.refresh_from_db()
    assert dispatched == [run.pk, run.pk]
    assert run.resumed_count == 2


@pytest.mark.django_db
def test_manual_resume_stamps_the_heartbeat_but_is_not_counted(dispatched, django_capture_on_commit_callbacks):
    now = timezone.now()
    run = running_run(heartbeat=now - timedelta(seconds=STALL + 1))
    with django_capture_on_commit_callbacks(execute=True):
        services.run_resume(run=run)
    run.refresh_from_db()
    assert dispatched == [run.pk]
    assert run.resumed_count == 0
    assert run.heartbeat_at > now - timedelta(seconds=STALL)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.runs_resume_stalled(now=run.heartbeat_at) == []
    assert dispatched == [run.pk]


@pytest.mark.django_db(transaction=True)
def test_a_run_locked_by_another_pass_is_skipped(dispatched):
    now = timezone.now()
    run = running_run(heartbeat=now - timedelta(seconds=STALL + 1))
    dispatched.clear()  # run_start's own dispatch (autocommit here)
    locked, release = threading.Event(), threading.Event()

    def other_pass() -> None:
        try:
            with transaction.atomic():
                Run.objects.select_for_update().get(pk=run.pk)
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    thread = threading.Thread(target=other_pass)
    thread.start()
    try:
        assert locked.wait(timeout=30)
        assert services.runs_resume_stalled(now=now) == []  # skipped, not waited for
    finally:
        release.set()
        thread.join(timeout=30)
    assert services.runs_resume_stalled(now=now) == [run.pk]
    assert dispatched == [run.pk]


@pytest.mark.django_db
def test_runner_stamps_the_heartbeat_as_it_writes(simulator):
    run = running_run(5)
    before = timezone.now()
    assert run.heartbeat_at is None
    services.run_chunk(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    assert run.heartbeat_at is not None
    assert run.heartbeat_at >= before


@pytest.mark.django_db
def test_dispatch_stamps_the_heartbeat(simulator):
    run = running_run(2)
    before = timezone.now()
    services.run_dispatch(run_id=run.pk)
    run.refresh_from_db()
    assert run.heartbeat_at is not None
    assert run.heartbeat_at >= before


@pytest.mark.django_db(transaction=True)
def test_chunk_waiting_for_slots_keeps_the_heartbeat_fresh(simulator, monkeypatch, dispatched):
    """A chunk that gets no endpoint slot is alive, not stalled: it stamps the heartbeat while it waits."""
    monkeypatch.setattr(runner, "HEARTBEAT_IDLE_S", 0.0)  # every loop turn, instead of every 30 s
    run = running_run(3, concurrency=1)
    holder = runner.SlotSession(runner.endpoint_key(run.variant), 1)
    try:
        assert holder.acquire(1) == [0]  # another chunk holds the endpoint's only slot
        chunk = threading.Thread(target=lambda: (runner.process_chunk(run.pk), connection.close()))
        chunk.start()
        first = wait_for(lambda: Run.objects.get(pk=run.pk).heartbeat_at, timeout=30, message="a first heartbeat")
        wait_for(lambda: Run.objects.get(pk=run.pk).heartbeat_at > first, timeout=30, message="a later heartbeat")
        assert RunResult.objects.filter(run=run).count() == 0  # still waiting: beats without progress
        services.run_cancel(run=run)
        chunk.join(timeout=30)
        assert not chunk.is_alive()
    finally:
        holder.close()


def test_watchdog_task_is_on_beat_every_minute():
    from django.conf import settings

    entries = [e for e in settings.CELERY_BEAT_SCHEDULE.values()
               if e["task"] == "experiments.suites.tasks.runs_watchdog_task"]
    assert len(entries) == 1
    assert entries[0]["schedule"] == 60.0
    assert tasks.runs_watchdog_task.name == entries[0]["task"]
    assert entries[0]["task"] in app.tasks


def test_watchdog_task_calls_the_service(monkeypatch):
    monkeypatch.setattr(services, "runs_resume_stalled", lambda: [7])
    assert tasks.runs_watchdog_task.apply().get() == [7]


@pytest.mark.django_db
def test_run_page_shows_automatic_resumes(engineer_client):
    run = running_run()
    Run.objects.filter(pk=run.pk).update(resumed_count=2)
    page = engineer_client.get(reverse("suites:run", args=[run.pk])).content.decode()
    assert "resumed automatically 2 times after it stalled" in page
