"""Handing comparisons to reviewers: leases taken with ``SELECT … FOR UPDATE SKIP LOCKED``.

Invariant: for every comparison, judgments_done + active leases <= judgments_needed, where an
active lease is an ``assigned`` assignment whose ``expires_at`` is in the future.

How it holds under concurrency (PostgreSQL, READ COMMITTED):
1. A candidate query locks a few open comparisons with ``FOR UPDATE SKIP LOCKED``: two reviewers
   never hold the same comparison row, and nobody waits on a row someone else is leasing.
2. Its correlated lease count ran on the statement's snapshot, which may predate a lease that
   committed while we waited for nothing (SKIP LOCKED) — so after locking, a SECOND statement
   recounts done + active leases on a fresh snapshot. Every path that changes either number
   (lease here, vote and skip in services) holds the same comparison row lock, so the recount is exact.
3. Expired leases are not counted (they return to the pool) and are marked ``expired`` lazily
   when their comparison is next locked here, or when their holder comes back.
"""

from __future__ import annotations

import random
import time
from datetime import timedelta

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.utils import timezone

from judging.models import Assignment, AssignmentStatus, Campaign, CampaignStatus

CANDIDATES = 8  # rows locked per attempt: enough to survive a few already-full ones, few enough to stay cheap

_CANDIDATE_SQL = """
SELECT c.id
FROM judging_comparison c
JOIN judging_campaign camp ON camp.id = c.campaign_id
WHERE camp.status = %(active)s
  AND (%(campaign_id)s::bigint IS NULL OR c.campaign_id = %(campaign_id)s::bigint)
  AND c.is_gold = %(gold)s
  AND c.judgments_done < c.judgments_needed
  AND NOT EXISTS (SELECT 1 FROM judging_assignment mine
                  WHERE mine.comparison_id = c.id AND mine.reviewer_id = %(reviewer_id)s)
  AND c.judgments_done + (SELECT count(*) FROM judging_assignment lease
                          WHERE lease.comparison_id = c.id AND lease.status = 'assigned'
                            AND lease.expires_at > %(now)s) < c.judgments_needed
  AND NOT (camp.reveal_after_vote AND EXISTS (
        SELECT 1 FROM judging_assignment seen JOIN judging_comparison sc ON sc.id = seen.comparison_id
        WHERE seen.reviewer_id = %(reviewer_id)s AND seen.status = 'judged' AND seen.campaign_id = c.campaign_id
          AND (sc.completion_a_id IN (c.completion_a_id, c.completion_b_id)
               OR sc.completion_b_id IN (c.completion_a_id, c.completion_b_id))))
ORDER BY c.id
LIMIT %(limit)s
FOR UPDATE OF c SKIP LOCKED
"""

# Campaigns that reveal identities after each vote: the exclusion above never serves a reviewer an
# answer whose author was revealed to them, and the order is shuffled per reviewer (a stable hash of
# comparison and reviewer) so prompts and pairs interleave instead of arriving one prompt at a time
# in creation order. Blind-only scopes keep id order, which the partial index serves without a sort.
_SHUFFLED_CANDIDATE_SQL = _CANDIDATE_SQL.replace(
    "ORDER BY c.id", "ORDER BY hashtext(c.id::text || ':' || %(reviewer_id)s::text), c.id")

# The same filter without locking: is there open work that other transactions merely hold right now?
_ANY_OPEN_SQL = _CANDIDATE_SQL.replace("FOR UPDATE OF c SKIP LOCKED", "").replace("LIMIT %(limit)s", "LIMIT 1")
RETRIES = 5  # a held row is released within milliseconds (one vote or lease), so a short wait finds it

# Fresh-snapshot recount for the rows we now hold locked (see module docstring, point 2); it also
# returns what creating the lease needs, so no further read is required.
_RECOUNT_SQL = """
SELECT c.id, c.campaign_id, camp.lease_seconds,
  c.judgments_needed - c.judgments_done - count(lease.id) FILTER (WHERE lease.expires_at > %(now)s),
  count(lease.id) FILTER (WHERE lease.expires_at <= %(now)s)
FROM judging_comparison c
JOIN judging_campaign camp ON camp.id = c.campaign_id
LEFT JOIN judging_assignment lease ON lease.comparison_id = c.id AND lease.status = 'assigned'
WHERE c.id = ANY(%(ids)s)
GROUP BY c.id, camp.lease_seconds
"""


# The reviewer's live lease (reload/back). Raw: it runs on every next, and compiling the ORM
# query (join + filters + ordering) cost more than executing it. Uses assignment_reviewer_open_idx.
_OPEN_LEASE_SQL = """
SELECT a.* FROM judging_assignment a JOIN judging_campaign camp ON camp.id = a.campaign_id
WHERE a.reviewer_id = %(reviewer_id)s AND a.status = %(assigned)s AND a.expires_at > %(now)s
  AND camp.status = %(active)s AND (%(campaign_id)s::bigint IS NULL OR a.campaign_id = %(campaign_id)s::bigint)
ORDER BY a.leased_at, a.id
LIMIT 1
"""


def _open_assignment(reviewer: User, campaign: Campaign | None, now) -> Assignment | None:
    params = {"reviewer_id": reviewer.pk, "assigned": AssignmentStatus.ASSIGNED, "now": now,
              "active": CampaignStatus.ACTIVE, "campaign_id": campaign.pk if campaign else None}
    return next(iter(Assignment.objects.raw(_OPEN_LEASE_SQL, params)), None)


def _any_open(reviewer: User, campaign: Campaign | None, *, gold: bool, now) -> bool:
    params = {"active": CampaignStatus.ACTIVE, "campaign_id": campaign.pk if campaign else None, "gold": gold,
              "reviewer_id": reviewer.pk, "now": now}
    with connection.cursor() as cursor:
        cursor.execute(_ANY_OPEN_SQL, params)
        return cursor.fetchone() is not None


def _reveals(campaign: Campaign | None) -> bool:
    """Whether the scope holds a campaign that reveals identities after the vote."""
    if campaign is not None:
        return campaign.reveal_after_vote
    return Campaign.objects.filter(status=CampaignStatus.ACTIVE, reveal_after_vote=True).exists()


def _lock_one(reviewer: User, campaign: Campaign | None, *, gold: bool, now,
              shuffled: bool = False) -> tuple[int, int, int] | None:
    """Lock open comparisons; return (comparison id, campaign id, lease seconds) of one with room."""
    params = {"active": CampaignStatus.ACTIVE, "campaign_id": campaign.pk if campaign else None, "gold": gold,
              "reviewer_id": reviewer.pk, "now": now, "limit": CANDIDATES}
    with connection.cursor() as cursor:
        cursor.execute(_SHUFFLED_CANDIDATE_SQL if shuffled else _CANDIDATE_SQL, params)
        ids = [row[0] for row in cursor.fetchall()]
        if not ids:
            return None
        cursor.execute(_RECOUNT_SQL, {"ids": ids, "now": now})
        rows = {row[0]: row for row in cursor.fetchall()}
    if any(row[4] for row in rows.values()):
        # Mark the expired leases of the rows we hold: lazily, and only where we already own the lock.
        Assignment.objects.filter(comparison_id__in=ids, status=AssignmentStatus.ASSIGNED,
                                  expires_at__lte=now).update(status=AssignmentStatus.EXPIRED)
    return next(((cid, rows[cid][1], rows[cid][2]) for cid in ids if cid in rows and rows[cid][3] > 0), None)


@transaction.atomic
def assignment_next(*, reviewer: User, campaign: Campaign | None = None,
                    rng: random.Random | None = None) -> Assignment | None:
    """The reviewer's open assignment if any (reload/back shows the same one), else a new lease."""
    rng = rng or random.SystemRandom()
    now = timezone.now()
    current = _open_assignment(reviewer, campaign, now)
    if current is not None:
        return current

    gold_rate = campaign.gold_rate if campaign is not None else 0.0
    want_gold = gold_rate > 0 and rng.random() < gold_rate
    found = None
    shuffled = _reveals(campaign)
    for attempt in range(RETRIES):
        for gold in (want_gold, not want_gold):
            found = _lock_one(reviewer, campaign, gold=gold, now=now, shuffled=shuffled)
            if found is not None:
                break
        if found is not None:
            break
        # Nothing lockable. If open work exists but is held by concurrent votes/leases (SKIP LOCKED
        # passed over it), wait a moment and look again (READ COMMITTED: a fresh snapshot) rather
        # than telling the reviewer the queue is empty.
        if attempt == RETRIES - 1 or not any(_any_open(reviewer, campaign, gold=g, now=now) for g in (False, True)):
            return None
        time.sleep(0.005 + rng.random() * 0.02)
        now = timezone.now()
    comparison_id, campaign_id, lease_seconds = found
    return Assignment.objects.create(
        comparison_id=comparison_id, campaign_id=campaign_id, reviewer=reviewer, swapped=rng.random() < 0.5,
        leased_at=now, expires_at=now + timedelta(seconds=lease_seconds),
    )
