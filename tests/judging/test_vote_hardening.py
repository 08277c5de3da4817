"""Votes under pressure: simultaneous repeats, a changed mind, a campaign closed after the lease."""

from __future__ import annotations

import json
import threading

import httpx
import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore

from evalhub.core.models import Role
from judging.assignment import assignment_next
from judging.models import Campaign, CampaignStatus, Comparison, Judgment
from tests.factories import UserFactory
from tests.judging.factories import active_campaign

CSRF = "a" * 32  # any 32-character secret works as cookie and header alike


def _session_cookie(user) -> str:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return session.session_key


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("trial", range(3))
def test_four_simultaneous_votes_on_one_token_store_one_and_all_answer_it(live_server, trial):
    campaign = active_campaign(n_variants=2, n_prompts=1, k=1, slug=f"race{trial}")
    reviewer = UserFactory(role=Role.REVIEWER)
    token = str(assignment_next(reviewer=reviewer, campaign=campaign).token)
    cookies = {"sessionid": _session_cookie(reviewer), "csrftoken": CSRF}
    url = f"{live_server.url}/api/v1/judging/assignments/{token}/vote?next=false"
    barrier = threading.Barrier(4)
    results: list[tuple[int, dict]] = []

    def send() -> None:
        with httpx.Client(cookies=cookies, headers={"X-CSRFToken": CSRF}, timeout=30) as client:
            barrier.wait()
            response = client.post(url, content=json.dumps({"choice": "left"}),
                                   headers={"Content-Type": "application/json"})
            results.append((response.status_code, response.json()))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [status for status, _ in results] == [200] * 4, results
    assert Judgment.objects.filter(campaign=campaign).count() == 1
    assert Comparison.objects.get(campaign=campaign).judgments_done == 1


@pytest.mark.django_db
def test_a_different_second_vote_is_409_with_the_stored_vote(reviewer_client, reviewer):
    campaign = active_campaign(n_variants=2, n_prompts=1, k=1, criteria=["tone"])
    token = reviewer_client.get("/api/v1/judging/next", {"campaign": campaign.slug}).json()["token"]
    url = f"/api/v1/judging/assignments/{token}/vote?next=false"
    first = {"choice": "left", "criteria": {"tone": "right"}, "rationale": "clearer"}
    assert reviewer_client.post(url, json.dumps(first), content_type="application/json").status_code == 200
    stored = Judgment.objects.get().outcome
    again = reviewer_client.post(url, json.dumps(first), content_type="application/json")
    assert again.status_code == 200  # the same vote again: idempotent
    changed = reviewer_client.post(url, json.dumps({"choice": "right"}), content_type="application/json")
    assert changed.status_code == 409
    body = changed.json()
    assert "already voted" in body["detail"]
    assert body["vote"]["choice"] == "left"
    assert body["vote"]["criteria"] == {"tone": "right"}
    assert body["vote"]["rationale"] == "clearer"
    other_criterion = reviewer_client.post(url, json.dumps({"choice": "left", "criteria": {"tone": "left"}}),
                                           content_type="application/json")
    assert other_criterion.status_code == 409
    assert Judgment.objects.count() == 1
    assert Judgment.objects.get().outcome == stored


@pytest.mark.django_db
def test_voting_after_the_campaign_closed_is_409_and_not_counted(reviewer_client):
    campaign = active_campaign(n_variants=2, n_prompts=1, k=1)
    token = reviewer_client.get("/api/v1/judging/next", {"campaign": campaign.slug}).json()["token"]
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.CLOSED)
    response = reviewer_client.post(f"/api/v1/judging/assignments/{token}/vote", json.dumps({"choice": "left"}),
                                    content_type="application/json")
    assert response.status_code == 409
    assert "closed" in response.json()["detail"]
    assert not Judgment.objects.exists()
    assert Comparison.objects.get(campaign=campaign).judgments_done == 0


@pytest.mark.django_db(transaction=True)
def test_a_skip_racing_a_vote_never_unjudges_it(live_server):
    campaign = active_campaign(n_variants=2, n_prompts=1, k=1, slug="skiprace")
    reviewer = UserFactory(role=Role.REVIEWER)
    token = str(assignment_next(reviewer=reviewer, campaign=campaign).token)
    cookies = {"sessionid": _session_cookie(reviewer), "csrftoken": CSRF}
    base = f"{live_server.url}/api/v1/judging/assignments/{token}"
    barrier = threading.Barrier(4)
    statuses: list[tuple[str, int]] = []

    def send(action: str, body: dict) -> None:
        with httpx.Client(cookies=cookies, headers={"X-CSRFToken": CSRF}, timeout=30) as client:
            barrier.wait()
            response = client.post(f"{base}/{action}?next=false", content=json.dumps(body),
                                   headers={"Content-Type": "application/json"})
            statuses.append((action, response.status_code))

    threads = [threading.Thread(target=send, args=(a, b)) for a, b in
               [("vote", {"choice": "left"}), ("skip", {}), ("vote", {"choice": "left"}), ("skip", {})]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(status < 500 for _, status in statuses), statuses
    from judging.models import Assignment, AssignmentStatus

    assignment = Assignment.objects.get(token=token)
    judged = Judgment.objects.filter(assignment=assignment).count()
    assert judged in {0, 1}
    assert assignment.status == (AssignmentStatus.JUDGED if judged else AssignmentStatus.SKIPPED)
    assert Comparison.objects.get(campaign=campaign).judgments_done == judged


@pytest.mark.django_db(transaction=True)
def test_a_refresh_waits_for_a_vote_in_flight_and_counts_it():
    """A vote that finds a refresh already pending (so enqueues none) and commits while that refresh runs must be
    in the refresh's snapshot: nothing else would refresh the board until the next vote."""
    from django.db import connection, transaction
    from django.utils import timezone

    from judging.leaderboard import latest_snapshot
    from judging.services import judgment_record
    from judging.tasks import leaderboard_refresh_task

    campaign = active_campaign(n_variants=2, n_prompts=2, k=1, slug="inflight")
    reviewer = UserFactory(role=Role.REVIEWER)
    token = assignment_next(reviewer=reviewer, campaign=campaign).token
    Campaign.objects.filter(pk=campaign.pk).update(leaderboard_refresh_pending_since=timezone.now())
    voted, release = threading.Event(), threading.Event()

    def vote() -> None:
        try:
            with transaction.atomic():
                judgment_record(assignment_token=token, reviewer=reviewer, choice="left")
                voted.set()
                release.wait(30)  # the vote's transaction stays open
        finally:
            connection.close()

    def refresh() -> None:
        try:
            leaderboard_refresh_task(campaign_id=campaign.pk)
        finally:
            connection.close()

    voter = threading.Thread(target=vote)
    voter.start()
    assert voted.wait(30)
    refresher = threading.Thread(target=refresh)
    refresher.start()
    refresher.join(timeout=2)
    assert refresher.is_alive()  # the refresh clears the flag only once the vote has committed
    release.set()
    voter.join(30)
    refresher.join(60)
    assert not refresher.is_alive()
    assert Judgment.objects.filter(campaign=campaign).count() == 1
    assert latest_snapshot(campaign.pk).payload["fingerprint"]["judgments"] == 1
