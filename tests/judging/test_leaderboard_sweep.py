"""A lost leaderboard-refresh message delays a board; the beat sweep brings it back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from evalhub.celery import app
from judging import leaderboard, services, tasks
from judging.models import Campaign, LeaderboardSnapshot
from tests.conftest import wait_for
from tests.judging._results_data import add_votes, make_world, simulate_votes

TRUTH = [1100.0, 1000.0, 900.0]


def _stale_flag(campaign: Campaign, *, age_s: float) -> None:
    Campaign.objects.filter(pk=campaign.pk).update(
        leaderboard_refresh_pending_since=timezone.now() - timedelta(seconds=age_s))


@pytest.mark.django_db
def test_sweep_re_enqueues_a_lost_refresh_once_and_leaves_fresh_flags(django_capture_on_commit_callbacks, monkeypatch):
    lost = make_world(n_variants=3, n_prompts=6, slug="lost")
    fresh = make_world(n_variants=3, n_prompts=6, slug="fresh")
    add_votes(lost, simulate_votes(lost, TRUTH, 30, seed=1))
    _stale_flag(lost.campaign, age_s=leaderboard.PENDING_EXPIRES_S + 1)  # its task never ran
    _stale_flag(fresh.campaign, age_s=leaderboard.PENDING_EXPIRES_S - 30)  # its task is on its way
    sent: list[dict] = []
    monkeypatch.setattr(tasks.leaderboard_refresh_task, "delay", lambda **kw: sent.append(kw))
    monkeypatch.setattr(tasks.leaderboard_refresh_task, "apply_async", lambda **kw: sent.append(kw))

    # The frozen state: while the flag is set, new votes enqueue nothing.
    with django_capture_on_commit_callbacks(execute=True):
        services._refresh_soon(lost.campaign.pk)
    assert sent == []

    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        assert leaderboard.refresh_pending_sweep(now=now) == [lost.campaign.pk]
    assert sent == [{"campaign_id": lost.campaign.pk}]
    lost.campaign.refresh_from_db()
    fresh.campaign.refresh_from_db()
    assert lost.campaign.leaderboard_refresh_pending_since == now  # renewed: votes stay debounced
    assert fresh.campaign.leaderboard_refresh_pending_since < now - timedelta(seconds=leaderboard.PENDING_EXPIRES_S - 31)

    # The next pass (a minute later) does not send it again; a flag that outlives another period does.
    with django_capture_on_commit_callbacks(execute=True):
        assert leaderboard.refresh_pending_sweep(now=now + timedelta(seconds=60)) == [fresh.campaign.pk]
        assert leaderboard.refresh_pending_sweep(
            now=now + timedelta(seconds=leaderboard.PENDING_EXPIRES_S + 1)) == [lost.campaign.pk]
    assert [kw["campaign_id"] for kw in sent] == [lost.campaign.pk, fresh.campaign.pk, lost.campaign.pk]


def test_sweep_is_on_the_beat_schedule():
    entries = [e for e in settings.CELERY_BEAT_SCHEDULE.values()
               if e["task"] == "judging.tasks.leaderboard_pending_sweep_task"]
    assert len(entries) == 1
    assert entries[0]["schedule"] <= 60
    assert "judging.tasks.leaderboard_pending_sweep_task" in app.tasks


@pytest.mark.worker
def test_lost_refresh_is_recovered_by_the_sweep_on_a_real_worker(celery_worker_process):
    world = make_world(n_variants=3, n_prompts=6, slug="recover")
    add_votes(world, simulate_votes(world, TRUTH, 40, seed=2))
    _stale_flag(world.campaign, age_s=leaderboard.PENDING_EXPIRES_S + 5)
    assert not LeaderboardSnapshot.objects.filter(campaign=world.campaign).exists()

    tasks.leaderboard_pending_sweep_task.delay()  # what beat sends every minute

    snapshot = wait_for(lambda: LeaderboardSnapshot.objects.filter(campaign=world.campaign).first(),
                        timeout=90, message="the campaign's board to be refreshed")
    assert snapshot.n_judgments == 40
    wait_for(lambda: Campaign.objects.filter(pk=world.campaign.pk,
                                             leaderboard_refresh_pending_since__isnull=True).exists(),
             message="the refresh to clear the pending flag")


@pytest.mark.django_db
def test_a_failed_refresh_leaves_the_flag_for_the_sweep(monkeypatch):
    world = make_world(n_variants=3, n_prompts=6, slug="failing")
    add_votes(world, simulate_votes(world, TRUTH, 10, seed=3))

    def broken(**kwargs):
        raise RuntimeError("the computation failed")

    monkeypatch.setattr(leaderboard, "snapshot_refresh", broken)
    with pytest.raises(RuntimeError):
        tasks.leaderboard_refresh_task(campaign_id=world.campaign.pk)
    world.campaign.refresh_from_db()
    assert world.campaign.leaderboard_refresh_pending_since is not None  # the sweep will retry it
