"""Re-asks and slice features derived by the worker (``TELEMETRY_DEFERRED``, the events API's default).

The request stores and counts the events and leaves one ``PendingBatch`` row; ``pending_drain`` (the beat task)
detects the re-asks against each scope's stored previous call and flags them, in one transaction. Checked here:
the API's reply and state before and after a drain, a killed drain, retries, batches split across drains, and
that the deferred path reaches exactly the inline path's flags and rollups on the same traffic.
"""

from __future__ import annotations

import json
import random
from datetime import timedelta

import pytest

from experiments.telemetry import reask, tasks
from experiments.telemetry.models import Event, HourlyRollup, PendingBatch, UnitRollup
from experiments.telemetry.services import events_ingest, partitions_ensure, pending_drain
from tests.factories import VariantFactory
from tests.telemetry.conftest import post_events
from tests.telemetry.factories import BASE_TIME, event

pytestmark = pytest.mark.django_db


def call(variant: str, n: int, prompt: str, *, session: str = "s1", **fields) -> dict:
    return event(variant, event_id=f"{variant}-{session}-{n}", session_id=session,
                 timestamp=BASE_TIME + timedelta(seconds=20 * n), prompt=prompt, **fields)


def flags(variant) -> dict[str, tuple[bool, bool]]:
    return {e.event_id: (e.reasked, e.reask_detectable) for e in Event.objects.filter(variant_id=variant.pk)}


def hourly(variant) -> tuple[int, int, int]:
    row = HourlyRollup.objects.get(variant=variant)
    return row.n, row.reasks, row.reask_detectable


def test_the_api_answers_before_reasks_are_known_and_the_worker_flags_them(ingest_client, settings) -> None:
    assert settings.TELEMETRY_DEFERRED  # the default
    variant = VariantFactory(slug="defer-api")
    partitions_ensure(start=BASE_TIME.date())
    calls = [call(variant.slug, 0, "How do I export my data to CSV?"),
             call(variant.slug, 1, "how do i export my data to csv??"),  # asks again
             call(variant.slug, 2, "Thanks! And how do I import a CSV file?")]  # a follow-up
    response = post_events(ingest_client, calls)
    assert response.status_code == 200, response.content
    assert response.json() == {"accepted": 3, "duplicates": 0}  # no re-ask count: not known yet
    assert hourly(variant) == (3, 0, 0)  # stored and counted at once
    assert not any(reasked for reasked, _ in flags(variant).values())
    assert PendingBatch.objects.count() == 1

    assert tasks.pending_drain_task.apply().get() == 3
    assert flags(variant) == {calls[0]["event_id"]: (True, True), calls[1]["event_id"]: (False, True),
                              calls[2]["event_id"]: (False, False)}
    assert hourly(variant) == (3, 1, 2)
    assert PendingBatch.objects.count() == 0
    assert pending_drain() == 0

    # A client retry: all duplicates, nothing pending, nothing counted twice.
    again = post_events(ingest_client, calls)
    assert again.json() == {"accepted": 0, "duplicates": 3}
    assert PendingBatch.objects.count() == 0
    assert hourly(variant) == (3, 1, 2)


def test_a_killed_drain_loses_nothing_and_the_next_one_flags_once(ingest_client, monkeypatch) -> None:
    variant = VariantFactory(slug="defer-kill")
    partitions_ensure(start=BASE_TIME.date())
    post_events(ingest_client, [call(variant.slug, 0, "Why is my upload stuck at 99%?"),
                                call(variant.slug, 1, "why is my upload stuck at 99 %")])

    def killed(text):
        raise RuntimeError("worker killed mid-drain")

    with monkeypatch.context() as patch:
        patch.setattr(reask, "fingerprint_bytes", killed)
        with pytest.raises(RuntimeError):
            pending_drain()
    assert PendingBatch.objects.count() == 1  # rolled back
    assert hourly(variant) == (2, 0, 0)
    assert pending_drain() == 2
    assert pending_drain() == 0
    assert hourly(variant) == (2, 1, 1)


def test_a_reask_across_batches_is_found_whether_drained_together_or_apart(ingest_client) -> None:
    variant = VariantFactory(slug="defer-split")
    partitions_ensure(start=BASE_TIME.date())
    for session, drain_between in (("apart", True), ("together", False)):
        post_events(ingest_client, [call(variant.slug, 0, "Plan a three-day trip to Lisbon", session=session)])
        if drain_between:
            assert pending_drain() == 1
        post_events(ingest_client, [call(variant.slug, 1, "plan a 3 day trip to lisbon please", session=session,
                                         regenerate=False)])
        pending_drain()
    reasked = {event_id for event_id, (flag, _) in flags(variant).items() if flag}
    assert reasked == {f"{variant.slug}-apart-0", f"{variant.slug}-together-0"}


def test_an_older_pending_row_without_scopes_still_gets_its_features(ingest_client) -> None:
    from evalhub.text.features import derive_features

    variant = VariantFactory(slug="defer-old")
    partitions_ensure(start=BASE_TIME.date())
    stored = call(variant.slug, 0, "¿Cómo exporto mis datos?")
    post_events(ingest_client, [stored])
    PendingBatch.objects.all().delete()
    # As the previous release wrote it: [event_id, ts, prompt, turns].
    PendingBatch.objects.create(events=json.dumps([[stored["event_id"], stored["timestamp"], stored["prompt"], None]]))
    assert pending_drain() == 1
    assert Event.objects.get(event_id=stored["event_id"]).features == derive_features(stored["prompt"])


PROMPTS = ["How do I export my data to CSV?", "Why is my upload stuck at 99%?", "Plan a trip to Lisbon on a budget.",
           "¿Cómo exporto mis datos a CSV?", "如何把数据导出为CSV文件？", "What is 17 * 23 + 5?"]
VARIANTS = ["How do I export my data to a CSV file?", "why is my upload stuck at 99 percent", "and what about Porto?",
            "Plan a trip to Lisbon on a budget again", "如何把数据导出成CSV文件", "What is 18 * 23 + 5?", "Thanks!"]


def traffic(rng: random.Random, prefix: str, variant: str, n: int, *, late: bool) -> list[dict]:
    """Calls of a few users over a few minutes (some gaps beyond the re-ask window), prompts repeated, varied,
    followed up or regenerated, some in an experiment; with ``late``, some arrive after later calls."""
    events, clock = [], dict.fromkeys(range(6), 0.0)
    for i in range(n):
        user = rng.randrange(6)
        clock[user] += rng.choice([5, 30, 90, 200, 400])
        prompt = rng.choice(PROMPTS + VARIANTS)
        fields = {"experiment": "defer-exp", "arm": rng.choice(["a", "b"])} if user < 3 else {}
        events.append(event(variant, event_id=f"{prefix}-{i}", unit_id=f"{prefix}-u{user}",
                            session_id=f"{prefix}-s{user}-{int(clock[user] // 600)}",
                            timestamp=BASE_TIME + timedelta(seconds=clock[user] + (rng.choice([0, 0, 0, -50]) if late else 0)),
                            prompt=prompt, regenerate=rng.random() < 0.1, **fields))
    return events


@pytest.mark.parametrize(("seed", "late"), [(1, False), (2, False), (3, True), (4, True)])
def test_the_worker_reaches_the_inline_paths_flags_and_rollups(seed, late) -> None:
    """The same traffic, ingested inline and deferred. In time order, however the drains group the batches. With
    late calls, drained batch by batch: a late call is compared with nothing whichever path stores it, so the
    result depends on which calls were processed together — the same grouping gives the same flags."""
    inline, deferred = VariantFactory(slug=f"inline-{seed}"), VariantFactory(slug=f"deferred-{seed}")
    partitions_ensure(start=BASE_TIME.date())
    rng = random.Random(seed)
    sizes = [rng.randint(1, 25) for _ in range(12)]
    base_a = traffic(random.Random(seed), "A", inline.slug, sum(sizes), late=late)
    base_b = traffic(random.Random(seed), "B", deferred.slug, sum(sizes), late=late)
    start = 0
    for size in sizes:
        events_ingest(events=base_a[start:start + size])
        result = events_ingest(events=base_b[start:start + size], defer=True)
        assert result.reasks is None
        if late:
            assert pending_drain(limit=1) == size
        elif rng.random() < 0.5:  # the worker runs between some batches only, draining one to three
            pending_drain(limit=rng.randint(1, 3))
        start += size
    while pending_drain():
        pass

    def by_index(variant) -> dict[str, tuple[bool, bool]]:
        return {event_id.split("-", 1)[1]: value for event_id, value in flags(variant).items()}

    inline_flags = by_index(inline)
    assert sum(reasked for reasked, _ in inline_flags.values()) >= 5  # the traffic has re-asks to find
    assert by_index(deferred) == inline_flags
    fields = ("n", "reasks", "reask_detectable", "refusals")
    assert list(HourlyRollup.objects.filter(variant=inline).order_by("hour", "arm").values_list(*fields)) == \
        list(HourlyRollup.objects.filter(variant=deferred).order_by("hour", "arm").values_list(*fields))

    def units(variant) -> list[tuple]:
        return sorted((u.unit_id.split("-", 1)[1], u.arm, u.n, u.reasks, u.reask_detectable)
                      for u in UnitRollup.objects.filter(variant_id=variant.pk))

    assert units(inline) == units(deferred)
    assert PendingBatch.objects.count() == 0


def test_one_drain_at_a_time(ingest_client) -> None:
    """A drain started while another runs returns at once and leaves the rows for the next one."""
    from django.db import connections

    from experiments.telemetry.services import PENDING_DRAIN_LOCK

    variant = VariantFactory(slug="defer-lock")
    partitions_ensure(start=BASE_TIME.date())
    post_events(ingest_client, [call(variant.slug, 0, "How do I export my data?"),
                                call(variant.slug, 1, "how do i export my data")])
    other = connections.create_connection("default")  # another worker's drain, holding the lock
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [PENDING_DRAIN_LOCK])
        assert pending_drain() == 0
        assert PendingBatch.objects.count() == 1
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [PENDING_DRAIN_LOCK])
    finally:
        other.close()
    assert pending_drain() == 2
    assert hourly(variant) == (2, 1, 1)


def test_the_production_page_and_api_say_what_the_worker_has_not_counted_yet(ingest_client, read_client,
                                                                             viewer_client) -> None:
    variant = VariantFactory(slug="defer-backlog")
    partitions_ensure(start=BASE_TIME.date())
    assert read_client.get("/api/v1/production").json()["pending"] == {"events": 0, "oldest_seconds": None}
    assert b'id="pending-work"' not in viewer_client.get("/production/").content
    post_events(ingest_client, [call(variant.slug, n, f"Question {n}?") for n in range(3)])

    pending = read_client.get("/api/v1/production").json()["pending"]
    assert pending["events"] == 3
    assert 0 <= pending["oldest_seconds"] < 60
    page = viewer_client.get("/production/").content.decode()
    assert "3 recent events wait for the worker" in page

    assert pending_drain() == 3
    assert read_client.get("/api/v1/production").json()["pending"] == {"events": 0, "oldest_seconds": None}
    assert 'id="pending-work"' not in viewer_client.get("/production/").content.decode()
