"""events_ingest / rollups_refresh / partitions: exactly-once rollups, re-asks, partition upkeep."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, connections

from experiments.telemetry.buckets import LATENCY_BUCKET_EDGES_MS, N_LATENCY_BUCKETS, bucket_index
from experiments.telemetry.models import Event, EventKey, HourlyRollup, UnitRollup
from experiments.telemetry.services import (
    IngestValidationError,
    events_ingest,
    partitions_ensure,
    rollups_refresh,
)
from tests.telemetry.factories import BASE_TIME, event

pytestmark = pytest.mark.django_db

HOURLY_FIELDS = ("n", "latency_n", "latency_sum", "latency_sum_sq", "latency_hist", "ttft_n", "ttft_sum", "input_tokens",
                 "output_tokens", "reasoning_tokens", "cost_sum", "refusals", "reasks", "feedback_n", "thumbs_up",
                 "success_n", "successes", "reask_detectable")


def _snapshot(model, fields, order):
    return [tuple(round(v, 9) if isinstance(v, float) else v for v in row)
            for row in model.objects.order_by(*order).values_list(*fields)]


def test_bucket_convention():
    assert len(LATENCY_BUCKET_EDGES_MS) == N_LATENCY_BUCKETS + 1
    assert LATENCY_BUCKET_EDGES_MS[0] == 0
    assert bucket_index(0) == 0
    assert bucket_index(1.0) == 1
    edge = LATENCY_BUCKET_EDGES_MS[10]
    assert bucket_index(edge) == 10
    assert bucket_index(edge - 1e-9) == 9
    assert bucket_index(10**9) == N_LATENCY_BUCKETS - 1  # last bucket is open-ended
    with pytest.raises(ValueError):
        bucket_index(-1)


def test_rollups_hold_sufficient_statistics(variant, variant_b):
    events_ingest(events=[
        event(variant.slug, latency_ms=100, ttft_ms=20, cost_usd=0.01, feedback="up", task_success=True),
        event(variant.slug, latency_ms=300, cost_usd=0.03, feedback="down", task_success=False, refused=True),
        event(variant.slug, latency_ms=None, cost_usd=0.02),
        event(variant_b.slug, latency_ms=50, experiment="exp-1", arm="control", unit_id="u1"),
    ])
    row = HourlyRollup.objects.get(variant=variant)
    assert (row.n, row.latency_n, row.latency_sum, row.latency_sum_sq) == (3, 2, 400, 100**2 + 300**2)
    assert (row.ttft_n, row.ttft_sum) == (1, 20)
    assert row.cost_sum == pytest.approx(0.06)
    assert row.cost_sum_sq == pytest.approx(0.0014)
    assert (row.refusals, row.feedback_n, row.thumbs_up, row.success_n, row.successes) == (1, 2, 1, 2, 1)
    assert sum(row.latency_hist) == 2
    assert row.latency_hist[bucket_index(100)] == 1
    assert row.hour == BASE_TIME.replace(minute=0)
    assert (row.experiment_key, row.arm) == ("", "")
    arm_row = HourlyRollup.objects.get(variant=variant_b)
    assert (arm_row.experiment_key, arm_row.arm, arm_row.n) == ("exp-1", "control", 1)
    unit = UnitRollup.objects.get()
    assert (unit.experiment_key, unit.arm, unit.unit_id, unit.n, unit.latency_sum) == ("exp-1", "control", "u1", 1, 50)


def test_refresh_rebuilds_exactly_what_ingestion_maintained(variant, variant_b):
    session = [event(variant.slug, session_id="s1", unit_id="u1", experiment="e", arm="a", prompt="how to reset my password",
                     timestamp=BASE_TIME + timedelta(seconds=i * 30), feedback="up" if i % 2 else None) for i in range(3)]
    events_ingest(events=session + [event(variant_b.slug, latency_ms=2500.0, ttft_ms=300.0, task_success=True)])
    before = _snapshot(HourlyRollup, ("hour", "variant_id", "experiment_key", "arm", *HOURLY_FIELDS), ("variant_id", "arm"))
    units_before = _snapshot(UnitRollup, ("unit_id", "n", "reasks", "reask_detectable", "thumbs_up"), ("unit_id",))
    assert HourlyRollup.objects.get(variant=variant).reask_detectable == 2  # the first two answers were followed
    HourlyRollup.objects.all().update(n=999)
    UnitRollup.objects.all().delete()
    result = rollups_refresh()
    assert result.hourly_rows == 2
    assert _snapshot(HourlyRollup, ("hour", "variant_id", "experiment_key", "arm", *HOURLY_FIELDS), ("variant_id", "arm")) == before
    assert _snapshot(UnitRollup, ("unit_id", "n", "reasks", "reask_detectable", "thumbs_up"), ("unit_id",)) == units_before


def test_similar_prompt_within_window_is_a_reask_of_the_earlier_answer(variant, variant_b):
    t0 = BASE_TIME
    result = events_ingest(events=[
        event(variant.slug, event_id="first", session_id="chat-1", prompt="How do I export my data to CSV?", timestamp=t0),
    ])
    assert result.reasks == 0
    # The follow-up is served by another variant: the re-ask is charged to the FIRST answer's variant.
    result = events_ingest(events=[
        event(variant_b.slug, event_id="again", session_id="chat-1", prompt="how do i export my data to csv please",
              timestamp=t0 + timedelta(seconds=60)),
    ])
    assert result.reasks == 1
    assert Event.objects.get(event_id="first").reasked
    assert not Event.objects.get(event_id="again").reasked
    assert HourlyRollup.objects.get(variant=variant).reasks == 1
    assert HourlyRollup.objects.get(variant=variant_b).reasks == 0


def test_different_prompt_late_prompt_and_no_session_are_not_reasks(variant):
    t0 = BASE_TIME
    events_ingest(events=[
        event(variant.slug, session_id="c", prompt="How do I export my data to CSV?", timestamp=t0),
        event(variant.slug, session_id="c", prompt="What is the weather in Lisbon tomorrow?", timestamp=t0 + timedelta(seconds=30)),
        event(variant.slug, session_id="c", prompt="What is the weather in Lisbon tomorrow?", timestamp=t0 + timedelta(seconds=900)),
        event(variant.slug, prompt="How do I export my data to CSV?", timestamp=t0 + timedelta(seconds=5)),
    ])
    assert HourlyRollup.objects.get(variant=variant).reasks == 0


def test_only_answers_followed_within_the_window_are_reask_detectable(variant, variant_b, settings):
    """The re-ask rate's denominator: an answer nobody followed up in time could not have been seen
    re-asked, so it counts neither as re-asked nor as not re-asked."""
    settings.TELEMETRY_REASK_WINDOW_SECONDS = 300
    t0 = BASE_TIME
    events_ingest(events=[
        # followed 30 s later by a new question: detectable, not re-asked
        event(variant.slug, event_id="a1", session_id="c1", prompt="How do I export my data to CSV?", timestamp=t0),
        # followed 40 s later by the same question: detectable and re-asked
        event(variant.slug, event_id="a2", session_id="c1", prompt="What is the weather in Lisbon tomorrow?",
              timestamp=t0 + timedelta(seconds=30)),
        # followed 20 minutes later: not detectable
        event(variant.slug, event_id="a3", session_id="c1", prompt="what is the weather in lisbon tomorrow please",
              timestamp=t0 + timedelta(seconds=70)),
        event(variant.slug, event_id="a4", session_id="c1", prompt="Write a haiku about spring.",
              timestamp=t0 + timedelta(seconds=1270)),
        # the last answer of a session and an answer without a session: not detectable
        event(variant.slug, event_id="a5", session_id="c2", prompt="How do I export my data to CSV?", timestamp=t0),
        event(variant.slug, event_id="a6", prompt="How do I export my data to CSV?", timestamp=t0 + timedelta(seconds=1)),
    ])
    flags = dict(Event.objects.values_list("event_id", "reask_detectable"))
    assert flags == {"a1": True, "a2": True, "a3": False, "a4": False, "a5": False, "a6": False}
    assert Event.objects.get(event_id="a2").reasked
    row = HourlyRollup.objects.get(variant=variant)
    assert (row.reasks, row.reask_detectable) == (1, 2)
    # A follow-up arriving in a later batch flags the earlier answer once, also when resent.
    for _ in range(2):
        events_ingest(events=[event(variant_b.slug, event_id="b1", session_id="c2", prompt="Thanks! Now a poem?",
                                    timestamp=t0 + timedelta(seconds=100))])
    assert Event.objects.get(event_id="a5").reask_detectable
    assert HourlyRollup.objects.get(variant=variant).reask_detectable == 3
    assert HourlyRollup.objects.get(variant=variant_b).reask_detectable == 0


def test_samples_multiply_the_tokens_of_one_sampled_call_and_the_priced_cost(variant):
    """A self-consistency client reporting one of its 4 calls' usage: the request used 4 times it."""
    events_ingest(events=[
        event(variant.slug, event_id="one", input_tokens=100, output_tokens=50, reasoning_tokens=10),
        event(variant.slug, event_id="four", input_tokens=100, output_tokens=50, reasoning_tokens=10, samples=4),
        event(variant.slug, event_id="summed", input_tokens=400, output_tokens=200, reasoning_tokens=40),
        event(variant.slug, event_id="client-cost", input_tokens=100, output_tokens=50, samples=4, cost_usd=0.5),
    ])
    one, four, summed, client = (Event.objects.get(event_id=i) for i in ("one", "four", "summed", "client-cost"))
    assert (four.input_tokens, four.output_tokens, four.reasoning_tokens) == (400, 200, 40)
    assert four.cost_usd == pytest.approx(4 * one.cost_usd) == pytest.approx(summed.cost_usd)
    assert (client.input_tokens, client.cost_usd) == (400, 0.5)  # the client's cost wins, as always
    with pytest.raises(IngestValidationError) as info:
        events_ingest(events=[event(variant.slug, event_id="huge", output_tokens=1_000_000_000, samples=4)])
    assert info.value.errors[0]["field"] == "samples"


def test_regenerate_counts_once_and_unit_is_the_fallback_session(variant):
    t0 = BASE_TIME
    result = events_ingest(events=[
        event(variant.slug, event_id="answer", unit_id="user-9", prompt="Summarise this report", timestamp=t0),
        event(variant.slug, event_id="regen-1", unit_id="user-9", regenerate=True, timestamp=t0 + timedelta(seconds=10)),
    ])
    assert result.reasks == 1
    assert Event.objects.get(event_id="answer").reasked
    # A retried batch adds nothing: duplicates never re-run detection.
    again = events_ingest(events=[event(variant.slug, event_id="regen-1", unit_id="user-9", regenerate=True,
                                        timestamp=t0 + timedelta(seconds=10))])
    assert (again.accepted, again.reasks) == (0, 0)
    assert HourlyRollup.objects.get(variant=variant).reasks == 1


def test_validation_error_lists_fields_and_writes_nothing(variant):
    with pytest.raises(IngestValidationError) as info:
        events_ingest(events=[event(variant.slug), {"event_id": "", "variant": variant.slug}])
    fields = {(e["index"], e["field"]) for e in info.value.errors}
    assert (1, "event_id") in fields
    assert (1, "timestamp") in fields
    assert not EventKey.objects.exists()


def test_events_land_in_daily_partitions_and_default_rows_move(variant):
    far = datetime(2031, 5, 17, 12, 0, tzinfo=UTC)
    events_ingest(events=[event(variant.slug, event_id="future", timestamp=far)])
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM telemetry_event WHERE event_id = 'future'")
        assert cursor.fetchone()[0] == "telemetry_event_default"
    created = partitions_ensure(start=far.date(), days_ahead=(far.date() - datetime.now(UTC).date()).days)
    assert "telemetry_event_p20310517" in created
    assert partitions_ensure(start=far.date(), days_ahead=(far.date() - datetime.now(UTC).date()).days) == []
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM telemetry_event WHERE event_id = 'future'")
        assert cursor.fetchone()[0] == "telemetry_event_p20310517"
    events_ingest(events=[event(variant.slug, event_id="now")])
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM telemetry_event WHERE event_id = 'now'")
        assert cursor.fetchone()[0].startswith("telemetry_event_p")


@pytest.mark.django_db(transaction=True)
def test_same_batch_sent_concurrently_is_stored_once(variant, events_cleanup):
    events = [event(variant.slug, session_id=f"s{i % 7}", prompt=f"question {i % 3}") for i in range(300)]
    results, errors = [], []
    barrier = threading.Barrier(4)

    def send() -> None:
        try:
            barrier.wait()
            results.append(events_ingest(events=events))
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sum(r.accepted for r in results) == 300
    assert sum(r.duplicates for r in results) == 900
    assert Event.objects.count() == 300
    assert HourlyRollup.objects.get(variant=variant).n == 300


def test_periodic_tasks_are_idempotent(variant, settings):
    from experiments.telemetry.tasks import partitions_ensure_task, rollups_refresh_task

    settings.TELEMETRY_RETENTION_DAYS = 0
    partitions_ensure_task()
    assert partitions_ensure_task() == []  # everything ahead already exists
    events_ingest(events=[event(variant.slug, timestamp=datetime.now(UTC))])
    assert rollups_refresh_task(hours=48) == 1
    assert HourlyRollup.objects.get(variant=variant).n == 1


def test_session_state_is_read_and_advanced_in_one_step_and_never_rewinds(variant):
    t0 = BASE_TIME
    events_ingest(events=[
        event(variant.slug, event_id="a1", session_id="s-many", prompt="How do I export my data to CSV?", timestamp=t0),
        event(variant.slug, event_id="b1", session_id="s-other", prompt="Plan a trip to Lisbon", timestamp=t0),
    ])
    # A late, out-of-order call of s-many (older than the stored state) is neither a re-ask nor the new state.
    late = events_ingest(events=[
        event(variant.slug, event_id="a0", session_id="s-many", prompt="How do I export my data to CSV?",
              timestamp=t0 - timedelta(seconds=30)),
    ])
    assert late.reasks == 0
    # The next batch compares with a1 (the stored latest call), across sessions in one statement.
    result = events_ingest(events=[
        event(variant.slug, event_id="a2", session_id="s-many", prompt="how do i export my data to csv",
              timestamp=t0 + timedelta(seconds=40)),
        event(variant.slug, event_id="b2", session_id="s-other", prompt="Plan a trip to Lisbon please",
              timestamp=t0 + timedelta(seconds=50)),
        event(variant.slug, event_id="c1", session_id="s-new", prompt="Plan a trip to Lisbon", timestamp=t0),
    ])
    assert result.reasks == 2
    assert set(Event.objects.filter(reasked=True).values_list("event_id", flat=True)) == {"a1", "b1"}
    assert HourlyRollup.objects.get(variant=variant).reasks == 2


def test_reask_of_an_answer_stored_in_the_previous_days_partition(variant):
    partitions_ensure(start=(BASE_TIME - timedelta(days=1)).date(), days_ahead=0)
    midnight = BASE_TIME.replace(hour=0, minute=0, second=0, microsecond=0)
    events_ingest(events=[event(variant.slug, event_id="before-midnight", session_id="night",
                                prompt="Why is my upload stuck at 99%?", timestamp=midnight - timedelta(seconds=20))])
    result = events_ingest(events=[event(variant.slug, event_id="after-midnight", session_id="night",
                                         prompt="why is my upload stuck at 99%", timestamp=midnight + timedelta(seconds=20))])
    assert result.reasks == 1
    assert Event.objects.get(event_id="before-midnight").reasked


def test_session_states_older_than_the_window_are_purged_and_detection_is_unchanged(variant, settings):
    from experiments.telemetry.models import SessionState
    from experiments.telemetry.services import sessions_purge

    settings.TELEMETRY_REASK_WINDOW_SECONDS = 300
    now = datetime.now(UTC)
    events_ingest(events=[
        event(variant.slug, event_id="old", session_id="s-old", prompt="reset my password", timestamp=now - timedelta(hours=2)),
        event(variant.slug, event_id="fresh", session_id="s-new", prompt="reset my password", timestamp=now - timedelta(minutes=2)),
    ])
    assert sessions_purge(now=now) == 1
    assert list(SessionState.objects.values_list("session_key", flat=True)) == ["s:s-new"]
    # The purged session's next call is no re-ask (it could not have been: hours apart); the kept one's is.
    result = events_ingest(events=[
        event(variant.slug, event_id="old-2", session_id="s-old", prompt="reset my password", timestamp=now),
        event(variant.slug, event_id="fresh-2", session_id="s-new", prompt="reset my password", timestamp=now),
    ])
    assert result.reasks == 1
    assert set(Event.objects.filter(reasked=True).values_list("event_id", flat=True)) == {"fresh"}
    assert sessions_purge(now=now) == 0


def test_latency_histogram_covers_every_accepted_latency():
    from experiments.telemetry.buckets import MAX_LATENCY_MS
    from experiments.telemetry.schemas import EventIn

    with pytest.raises(ValueError):
        EventIn(event_id="x", timestamp=BASE_TIME, variant="v", latency_ms=MAX_LATENCY_MS + 1.0)
    assert LATENCY_BUCKET_EDGES_MS[-1] > MAX_LATENCY_MS
    # Every accepted latency falls in a closed bucket, none in the open-ended last one's overflow.
    for latency in (119_000.0, 121_000.0, 3_600_000.0, 23 * 3_600_000.0, float(MAX_LATENCY_MS)):
        i = bucket_index(latency)
        assert LATENCY_BUCKET_EDGES_MS[i] <= latency < LATENCY_BUCKET_EDGES_MS[i + 1]
        assert LATENCY_BUCKET_EDGES_MS[i + 1] / LATENCY_BUCKET_EDGES_MS[i] < 1.21


def test_percentiles_of_long_calls_are_not_capped(variant):
    from experiments.telemetry import selectors

    now = datetime.now(UTC) - timedelta(minutes=30)
    events_ingest(events=[event(variant.slug, timestamp=now.isoformat(), latency_ms=float(ms))
                          for ms in [1_000] * 50 + [3 * 3_600_000] * 50])
    (row,) = selectors.variant_metrics(period=selectors.period_for("24h"))
    assert row.latency_p99.value == pytest.approx(3 * 3_600_000, rel=0.21)  # a 3-hour call, not 120 s


def test_migration_backfills_reask_detectable_as_ingestion_does(variant, settings):
    """Events stored before the counter existed get the same flags and rollup counts (migration 0008)."""
    import importlib

    backfill = importlib.import_module("experiments.telemetry.migrations.0008_reask_detectable").backfill
    settings.TELEMETRY_REASK_SCOPE = "user"
    t0 = BASE_TIME
    events_ingest(events=[
        event(variant.slug, unit_id="u1", prompt="How do I export my data to CSV?", timestamp=t0),
        event(variant.slug, unit_id="u1", prompt="how do i export my data to csv", timestamp=t0 + timedelta(seconds=40)),
        event(variant.slug, unit_id="u1", prompt="Write a haiku.", timestamp=t0 + timedelta(seconds=100)),
        event(variant.slug, unit_id="u1", prompt="Tell me a joke.", timestamp=t0 + timedelta(seconds=1500)),
        event(variant.slug, unit_id="u2", experiment="e", arm="a", prompt="hello there", timestamp=t0),
        event(variant.slug, unit_id="u2", experiment="e", arm="a", prompt="what is 2 + 2", timestamp=t0 + timedelta(seconds=9)),
    ])
    flags = dict(Event.objects.values_list("event_id", "reask_detectable"))
    hourly = _snapshot(HourlyRollup, ("variant_id", "arm", "reasks", "reask_detectable"), ("variant_id", "arm"))
    units = _snapshot(UnitRollup, ("unit_id", "reask_detectable"), ("unit_id",))
    assert sum(flags.values()) == 3
    with connection.cursor() as cursor:
        cursor.execute("UPDATE telemetry_event SET reask_detectable = false")
    HourlyRollup.objects.update(reask_detectable=0)
    UnitRollup.objects.update(reask_detectable=0)
    with connection.schema_editor() as editor:
        backfill(None, editor)
    assert dict(Event.objects.values_list("event_id", "reask_detectable")) == flags
    assert _snapshot(HourlyRollup, ("variant_id", "arm", "reasks", "reask_detectable"), ("variant_id", "arm")) == hourly
    assert _snapshot(UnitRollup, ("unit_id", "reask_detectable"), ("unit_id",)) == units
