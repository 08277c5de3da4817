"""POST /api/v1/events: happy path, dedupe, whole-batch validation, auth, size limits."""

from __future__ import annotations

import gzip
import json

import pytest
from django.test import Client

from experiments.telemetry.models import Event, EventKey, HourlyRollup
from tests.telemetry.conftest import post_events
from tests.telemetry.factories import batch, event

pytestmark = pytest.mark.django_db


def test_batch_is_stored_and_counted(ingest_client, variant):
    events = batch(variant.slug, 10)
    response = post_events(ingest_client, events)
    assert response.status_code == 200, response.content
    assert response.json() == {"accepted": 10, "duplicates": 0}
    assert Event.objects.count() == 10
    assert HourlyRollup.objects.get(variant=variant).n == 10


def test_resending_a_batch_is_harmless(ingest_client, variant):
    events = batch(variant.slug, 5)
    post_events(ingest_client, events)
    response = post_events(ingest_client, events + batch(variant.slug, 2))
    assert response.json() == {"accepted": 2, "duplicates": 5}
    assert Event.objects.count() == 7
    assert HourlyRollup.objects.get(variant=variant).n == 7  # rollups count each event once


def test_repeats_inside_one_batch_count_as_duplicates(ingest_client, variant):
    one = event(variant.slug)
    response = post_events(ingest_client, [one, dict(one), event(variant.slug)])
    assert response.json()["accepted"] == 2
    assert response.json()["duplicates"] == 1


def test_invalid_items_are_named_by_index_and_field_and_nothing_is_stored(ingest_client, variant):
    events = batch(variant.slug, 4)
    events[1]["latency_ms"] = -5
    events[3]["feedback"] = "meh"
    response = post_events(ingest_client, events)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert {(e["index"], e["field"]) for e in errors} == {(1, "events.1.latency_ms"), (3, "events.3.feedback")}
    assert Event.objects.count() == 0
    assert EventKey.objects.count() == 0
    assert HourlyRollup.objects.count() == 0


def test_unknown_variant_is_named(ingest_client, variant):
    response = post_events(ingest_client, [event(variant.slug), event("no-such-variant")])
    assert response.status_code == 400
    assert "no-such-variant" in response.json()["detail"]
    assert response.json()["errors"][0]["index"] == 1
    assert Event.objects.count() == 0


def test_unknown_field_and_naive_timestamp_are_rejected(ingest_client, variant):
    response = post_events(ingest_client, [event(variant.slug, colour="red"), event(variant.slug, timestamp="2026-01-01T10:00:00")])
    assert response.status_code == 400
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"events.0.colour", "events.1.timestamp"}


def test_arm_without_experiment_is_rejected(ingest_client, variant):
    response = post_events(ingest_client, [event(variant.slug, arm="treatment")])
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "events.0.arm"


def test_missing_key_is_401_without_database_work(client: Client, variant, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = post_events(client, batch(variant.slug, 2))
    assert response.status_code == 401
    assert Event.objects.count() == 0


def test_wrong_key_is_401(client: Client, variant, ingest_key):
    response = post_events(client, batch(variant.slug, 2), HTTP_AUTHORIZATION=f"Bearer {ingest_key[:-3]}xyz")
    assert response.status_code == 401
    assert Event.objects.count() == 0


def test_wrong_scope_is_403(client: Client, variant, read_key):
    response = post_events(client, batch(variant.slug, 2), HTTP_X_API_KEY=read_key)
    assert response.status_code == 403
    assert "ingest" in response.json()["detail"]
    assert Event.objects.count() == 0


def test_too_many_events_is_413(ingest_client, variant):
    events = [{"event_id": f"x{i}", "timestamp": "2026-01-01T00:00:00Z", "variant": variant.slug} for i in range(5001)]
    response = post_events(ingest_client, events)
    assert response.status_code == 413
    assert "5000" in response.json()["detail"]
    bare = post_events(ingest_client, json.dumps(events))  # the same batch as a bare JSON array
    assert bare.status_code == 413
    assert "5000" in bare.json()["detail"]


def test_oversized_body_is_413_before_reading(ingest_client, variant, settings):
    settings.TELEMETRY_MAX_BODY_BYTES = 1000
    response = post_events(ingest_client, batch(variant.slug, 20))
    assert response.status_code == 413
    assert "limit" in response.json()["detail"]


def test_malformed_json_is_400_naming_the_problem(ingest_client, variant):
    response = post_events(ingest_client, b'{"events": [ {"event_id": "a",, } ]}')
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert detail.startswith("malformed JSON")
    assert "line 1 column" in detail


def test_body_that_is_not_a_batch_is_400(ingest_client, variant):
    response = post_events(ingest_client, b'{"items": []}')
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "events"


def test_gzip_body_is_accepted(ingest_client, variant):
    body = gzip.compress(json.dumps({"events": batch(variant.slug, 3)}).encode())
    response = ingest_client.post("/api/v1/events", data=body, content_type="application/json", HTTP_CONTENT_ENCODING="gzip")
    assert response.status_code == 200
    assert response.json()["accepted"] == 3


def test_cost_is_priced_when_missing_and_client_cost_wins(ingest_client, variant):
    post_events(ingest_client, [
        event(variant.slug, event_id="priced", input_tokens=1_000_000, output_tokens=500_000, reasoning_tokens=500_000),
        event(variant.slug, event_id="given", cost_usd=0.25),
    ])
    priced, given = Event.objects.get(event_id="priced"), Event.objects.get(event_id="given")
    assert priced.cost_priced
    assert priced.cost_usd == pytest.approx(1.0 + 2.0 * 1.0)  # $1/M in, $2/M out+reasoning
    assert not given.cost_priced
    assert given.cost_usd == 0.25


def test_refusals_from_flag_finish_reason_and_text(ingest_client, variant):
    post_events(ingest_client, [
        event(variant.slug, event_id="flag", refused=False, finish_reason="content_filter"),
        event(variant.slug, event_id="finish", finish_reason="content_filter"),
        event(variant.slug, event_id="text", response="I'm sorry, but I can't help with that request."),
        event(variant.slug, event_id="fine", response="Sure! Here is the summary you asked for."),
    ])
    got = {e.event_id: (e.refused, e.refusal_source) for e in Event.objects.all()}
    assert got == {"flag": (False, "client"), "finish": (True, "finish_reason"), "text": (True, "text"), "fine": (False, "none")}
    assert HourlyRollup.objects.get(variant=variant).refusals == 2


def test_text_is_stored_only_when_allowed(ingest_client, variant, settings):
    settings.EVENTS_STORE_TEXT = False
    post_events(ingest_client, [event(variant.slug, event_id="hidden", prompt="secret question", response="answer")])
    settings.EVENTS_STORE_TEXT = True
    post_events(ingest_client, [event(variant.slug, event_id="kept", prompt="open question", response="answer")])
    assert Event.objects.get(event_id="hidden").prompt_text is None
    assert Event.objects.get(event_id="kept").prompt_text == "open question"


def test_schema_documents_the_batch_body():
    from evalhub.api import api

    operation = api.get_openapi_schema()["paths"]["/api/v1/events"]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert schema["properties"]["events"]["maxItems"] == 5000
    assert "latency_ms" in schema["properties"]["events"]["items"]["properties"]


def test_nul_characters_and_nan_metadata_are_400_not_500(ingest_client, variant):
    # Found by the schemathesis fuzz test: PostgreSQL text and jsonb refuse NUL.
    body = json.dumps({"events": [event(variant.slug, session_id="a\u0000b"), event(variant.slug, metadata={"k": "\u0000"})]})
    response = post_events(ingest_client, body)
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"events.0.session_id", "events.1.metadata"}
    nan = post_events(ingest_client, '{"events": [{"event_id": "n", "timestamp": "2026-01-01T00:00:00Z", '
                                     f'"variant": "{variant.slug}", "metadata": {{"x": NaN}}}}]}}')
    assert nan.status_code == 400
    assert nan.json()["errors"][0]["field"] == "events.0.metadata"


def test_timestamps_out_of_range_are_400(ingest_client, variant):
    response = post_events(ingest_client, [event(variant.slug, timestamp="0001-01-01T00:00:00+05:00"),
                                           event(variant.slug, timestamp="2500-01-01T00:00:00Z")])
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"events.0.timestamp", "events.1.timestamp"}


def test_a_bare_list_is_a_batch_too(ingest_client, variant):
    response = post_events(ingest_client, json.dumps(batch(variant.slug, 3)))
    assert response.status_code == 200, response.content
    assert response.json()["accepted"] == 3
    assert Event.objects.count() == 3


def test_non_finite_numbers_and_nul_in_score_names_are_400(ingest_client, variant):
    v = variant.slug
    body = (f'{{"events": [{{"event_id": "a", "timestamp": "2026-01-01T00:00:00Z", "variant": "{v}", "latency_ms": NaN}},'
            f' {{"event_id": "b", "timestamp": "2026-01-01T00:00:00Z", "variant": "{v}", "scores": {{"q": Infinity}}}},'
            f' {{"event_id": "c", "timestamp": "2026-01-01T00:00:00Z", "variant": "{v}", "scores": {{"q\\u0000": 1}}}}]}}')
    response = post_events(ingest_client, body)
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"events.0.latency_ms", "events.1.scores.q"}
    # NUL is checked once the values are valid: the third event is named when it is the only problem.
    only_nul = post_events(ingest_client, body.replace("NaN", "1").replace("Infinity", "1"))
    assert [e["field"] for e in only_nul.json()["errors"]] == ["events.2.scores"]
    assert Event.objects.count() == 0


@pytest.mark.parametrize(("field", "value", "message"), [
    ("input_tokens", "12", "valid integer"),
    ("latency_ms", "850", "valid number"),
    ("refused", "yes", "valid boolean"),
    ("regenerate", 1, "valid boolean"),
    ("output_tokens", 12.5, "valid integer"),
])
def test_types_are_strict_and_the_error_names_the_field(ingest_client, variant, field, value, message):
    from experiments.telemetry.models import Event
    from tests.telemetry.conftest import post_events

    event = {"event_id": "strict-1", "timestamp": "2026-01-01T00:00:00Z", "variant": variant.slug, field: value}
    response = post_events(ingest_client, [event])
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors[0]["field"] == f"events.0.{field}"
    assert message in errors[0]["message"]
    assert Event.objects.count() == 0


def test_metadata_over_the_documented_limit_is_rejected_with_its_size(ingest_client, variant):
    from experiments.telemetry.models import Event
    from experiments.telemetry.schemas import MAX_METADATA_BYTES
    from tests.telemetry.conftest import post_events

    ok = {"event_id": "meta-ok", "timestamp": "2026-01-01T00:00:00Z", "variant": variant.slug,
          "metadata": {"k": "x" * (MAX_METADATA_BYTES - 20)}}
    big = dict(ok, event_id="meta-big", metadata={"k": "x" * MAX_METADATA_BYTES})
    response = post_events(ingest_client, [ok, big])
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["field"] == "events.1.metadata"
    assert f"at most {MAX_METADATA_BYTES:,} bytes" in error["message"]
    assert Event.objects.count() == 0
    assert post_events(ingest_client, [ok]).status_code == 200


def test_production_api_per_variant_with_intervals(client, engineer, read_key, ingest_key, variant):
    from datetime import UTC, datetime, timedelta

    from experiments.telemetry.services import events_ingest

    now = datetime.now(UTC) - timedelta(minutes=30)
    events_ingest(events=[event(variant.slug, timestamp=now.isoformat(), latency_ms=300.0, input_tokens=10, output_tokens=5,
                                reasoning_tokens=2, refused=i == 0) for i in range(9)]
                  + [event(variant.slug, timestamp=now.isoformat(), error_type="timeout", latency_ms=30_000.0)])
    response = client.get("/api/v1/production?period=24h", HTTP_AUTHORIZATION=f"Bearer {read_key}")
    assert response.status_code == 200
    body = response.json()
    assert body["period"] == "24h"
    assert body["experiment"] is None
    (row,) = body["variants"]
    assert row["variant"] == variant.slug
    assert row["requests"] == 10
    assert row["errors"] == 1
    assert row["error_rate"]["value"] == pytest.approx(0.1)
    assert row["error_rate"]["lower"] < 0.1 < row["error_rate"]["upper"]
    assert row["refusal_rate"]["value"] == pytest.approx(1 / 9)
    assert row["refusals_by_signal"]["client"] == 1
    assert (row["input_tokens"], row["output_tokens"], row["reasoning_tokens"]) == (90 + 100, 45 + 200, 18)  # factory: 100 in, 200 out
    assert row["latency_p50_ms"]["value"] == pytest.approx(300, rel=0.15)
    assert row["latency_p50_ms"]["n"] == 9
    # auth and validation
    assert client.get("/api/v1/production").status_code == 401
    assert client.get("/api/v1/production", HTTP_AUTHORIZATION=f"Bearer {ingest_key}").status_code in {401, 403}
    bad = client.get("/api/v1/production?period=1y", HTTP_AUTHORIZATION=f"Bearer {read_key}")
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "period"
