"""Resume: offered (page, API) only for stalled or cancelled runs; a cancelled run continues; a chunk
running beside a live one skips items that got a result meanwhile instead of calling them again."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from experiments.suites import runner, services, tasks
from experiments.suites.models import Run, RunResult, RunStatus
from tests.conftest import wait_for
from tests.factories import VariantFactory
from tests.suites.factories import make_version

STALL = 300
RESUME = "Resume (re-dispatch missing items)"


@pytest.fixture(autouse=True)
def _stall_seconds(settings) -> None:
    settings.SUITE_RUN_STALL_SECONDS = STALL


@pytest.fixture
def dispatched(monkeypatch) -> list[int]:
    sent: list[int] = []
    monkeypatch.setattr(tasks.run_dispatch_task, "delay", lambda *, run_id: sent.append(run_id))
    return sent


def started_run(n_items: int = 6, *, done: int = 0, slug: str | None = None) -> Run:
    """A running endpoint run whose first ``done`` items were answered by the real runner."""
    version = make_version(n_items, **({"slug": slug} if slug else {}))
    run = services.run_start(version=version, variant=VariantFactory(endpoint_model="acme-70b"))
    Run.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING, started_at=timezone.now(),
                                         heartbeat_at=timezone.now())
    if done:
        first = list(version.items.order_by("position").values_list("pk", flat=True)[:done])
        assert services.run_chunk(run_id=run.pk, item_ids=first) == done
    run.refresh_from_db()
    return run


def assert_one_result_per_item(run: Run) -> None:
    results = RunResult.objects.filter(run=run)
    assert set(results.values_list("item_id", flat=True)) == set(run.version.items.values_list("pk", flat=True))
    assert not results.values("item_id").annotate(n=Count("id")).filter(n__gt=1).exists()


@pytest.mark.django_db
def test_live_run_is_not_resumable_a_stalled_one_is(simulator, dispatched, engineer_client,
                                                     django_capture_on_commit_callbacks):
    run = started_run(6, done=2)
    dispatched.clear()
    with pytest.raises(ValidationError) as exc:
        services.run_resume(run=run)
    assert "alive" in exc.value.message_dict["status"][0]
    assert dispatched == []
    assert RESUME not in engineer_client.get(reverse("suites:run", args=[run.pk])).content.decode()

    later = run.heartbeat_at + timedelta(seconds=STALL + 1)
    with django_capture_on_commit_callbacks(execute=True):
        services.run_resume(run=run, now=later)
    assert dispatched == [run.pk]
    Run.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=STALL + 1))
    assert RESUME in engineer_client.get(reverse("suites:run", args=[run.pk])).content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("status", [RunStatus.DONE, RunStatus.FAILED])
def test_finished_runs_are_not_resumable(status, dispatched, engineer_client):
    run = started_run(3)
    Run.objects.filter(pk=run.pk).update(status=status, heartbeat_at=timezone.now() - timedelta(days=1))
    with pytest.raises(ValidationError) as exc:
        services.run_resume(run=run)
    assert exc.value.message_dict["status"] == [f"run {run.pk} is {status}; only stalled or cancelled runs can be resumed"]
    assert RESUME not in engineer_client.get(reverse("suites:run", args=[run.pk])).content.decode()


@pytest.mark.django_db
def test_resuming_a_cancelled_run_continues_it(simulator, dispatched, engineer_client,
                                              django_capture_on_commit_callbacks):
    run = started_run(7, done=3)
    services.run_cancel(run=run)
    page = engineer_client.get(reverse("suites:run", args=[run.pk])).content.decode()
    assert RESUME in page
    assert "Resume continues with the items that have no result" in page
    dispatched.clear()

    with django_capture_on_commit_callbacks(execute=True):
        engineer_client.post(reverse("suites:run_resume", args=[run.pk]))
    run.refresh_from_db()
    assert dispatched == [run.pk]
    assert run.status == RunStatus.RUNNING
    assert run.finished_at is None
    assert services.run_dispatch(run_id=run.pk) == 1  # the worker takes the message
    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    assert run.n_done == 7
    assert_one_result_per_item(run)
    assert simulator.request_count == 7  # the 3 answered before the cancel were not asked again


@pytest.mark.django_db
def test_resume_api_happy_path_auth_and_validation(simulator, dispatched, engineer_client, viewer_client,
                                                   django_capture_on_commit_callbacks):
    live = started_run(4, done=1, slug="live")
    cancelled = started_run(4, done=1, slug="stopped")
    services.run_cancel(run=cancelled)
    path = "/api/v1/suites/runs/{}/resume"

    assert viewer_client.get(f"/api/v1/suites/runs/{live.pk}").json()["can_resume"] is False
    assert viewer_client.get(f"/api/v1/suites/runs/{cancelled.pk}").json()["can_resume"] is True
    assert viewer_client.post(path.format(cancelled.pk), "{}", content_type="application/json").status_code == 403

    refused = engineer_client.post(path.format(live.pk), "{}", content_type="application/json")
    assert refused.status_code == 400
    assert refused.json()["detail"].startswith("status: ")
    assert engineer_client.post(path.format(999999), "{}", content_type="application/json").status_code == 404

    dispatched.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = engineer_client.post(path.format(cancelled.pk), "{}", content_type="application/json")
    assert response.status_code == 200, response.content
    body = json.loads(response.content)
    assert body["status"] == "running"
    assert body["can_resume"] is False
    assert dispatched == [cancelled.pk]


@pytest.mark.django_db(transaction=True)
def test_a_second_chunk_beside_a_live_one_calls_only_items_still_without_a_result(simulator, dispatched):
    """The Resume-on-a-live-run scenario: 40 items, a second chunk for every item started while the
    first works. Without the check before each call it asked the endpoint ~76 times."""
    simulator.fixed_latency_ms = 300
    concurrency = 4
    version = make_version(40)
    run = services.run_start(version=version, variant=VariantFactory(endpoint_model="acme-70b"),
                             concurrency=concurrency)
    Run.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING, started_at=timezone.now())
    every_item = list(version.items.values_list("pk", flat=True))

    def chunk() -> None:
        try:
            runner.process_chunk(run.pk, every_item)
        finally:
            connection.close()

    first = threading.Thread(target=chunk)
    first.start()
    wait_for(lambda: RunResult.objects.filter(run=run).count() >= concurrency, message="the first chunk's results")
    second = threading.Thread(target=chunk)
    second.start()
    first.join(timeout=120)
    second.join(timeout=120)
    assert not first.is_alive()
    assert not second.is_alive()

    assert_one_result_per_item(run)
    # Only what the first chunk had in flight or not yet written when the second got its slots.
    assert simulator.request_count <= 40 + 2 * concurrency, simulator.request_count
