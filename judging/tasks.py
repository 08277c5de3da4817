"""Thin Celery tasks for judging."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from judging import leaderboard
from judging.models import Campaign, Judgment
from judging.services import _refresh_soon, campaign_finish_generation, campaign_generate_answers_fanout


@shared_task
def leaderboard_refresh_task(*, campaign_id: int | None = None) -> None:
    """Recompute the campaign's leaderboard snapshot (``judging.leaderboard.snapshot_refresh``).

    Debounce (see ``judging.services._refresh_soon``): a DB flag on the campaign means only the
    first vote after a refresh enqueues this task, with a countdown; the flag is cleared here
    BEFORE computing, so votes arriving mid-computation schedule the next refresh.
    """
    started = timezone.now()
    if campaign_id is not None:
        Campaign.objects.filter(pk=campaign_id).update(leaderboard_refresh_pending_since=None)
    try:
        leaderboard.snapshot_refresh(campaign_id=campaign_id)
    except Exception:
        # Set the flag again, so the pending sweep retries this refresh instead of leaving the board stale
        # until the next vote.
        if campaign_id is not None:
            Campaign.objects.filter(pk=campaign_id, leaderboard_refresh_pending_since__isnull=True).update(
                leaderboard_refresh_pending_since=timezone.now())
        raise
    # A vote that saw the flag still set just before we cleared it, but committed after our counts,
    # would otherwise wait for the next vote: if any vote is that recent, schedule one more refresh
    # (the flag keeps it to one; the snapshot's fingerprint makes it free when nothing changed).
    if campaign_id is not None and Judgment.objects.filter(
            campaign_id=campaign_id, created_at__gte=started - timedelta(seconds=5)).exists():
        _refresh_soon(campaign_id)


@shared_task
def leaderboard_pending_sweep_task() -> list[int]:
    """Re-enqueue refreshes whose message was lost (every minute on beat; see
    ``judging.leaderboard.refresh_pending_sweep``). No retry: the next beat is the retry."""
    return leaderboard.refresh_pending_sweep()


def _queue(task) -> str | None:
    # Follow-up jobs go to the queue this one came from, so a campaign started on a dedicated
    # queue (or a test's private queue) stays there.
    info = getattr(task.request, "delivery_info", None) or {}
    return info.get("routing_key") or None


@shared_task(bind=True)
def campaign_generate_answers_task(self, *, campaign_id: int) -> None:
    campaign_generate_answers_fanout(campaign_id=campaign_id, queue=_queue(self))


@shared_task(bind=True)
def campaign_finish_generation_task(self, *, campaign_id: int) -> None:
    campaign_finish_generation(campaign_id=campaign_id, queue=_queue(self))
