"""The optional refusal judge: a variant called over real HTTP (the simulator's socket) after ingestion,
its verdict stored with its cost, the rollups moved by the difference, once."""

from __future__ import annotations

from decimal import Decimal

import pytest

from experiments.telemetry import tasks
from experiments.telemetry.models import Event, HourlyRollup
from experiments.telemetry.refusal import text_refusal
from experiments.telemetry.services import events_ingest, refusal_judge, rollups_refresh
from tests.factories import VariantFactory
from tests.telemetry.factories import event

pytestmark = pytest.mark.django_db

# The text classifier misses this redirecting decline; the judge reads it.
MISSED = "Sorry to disappoint, but instead of that plan you could talk to the landlord first."
CAUGHT = "I'm sorry, but I can't help with that."
PLAIN = "Paris is the capital of France."
ROLLUP_FIELDS = ("n", "refusals", "refusals_text", "refusals_finish_reason", "refusals_judge", "judge_calls",
                 "judge_cost_sum")


@pytest.fixture
def judge_variant(db, simulator, settings):
    variant = VariantFactory(slug="refusal-judge", price_input_per_mtok=Decimal("3"), price_output_per_mtok=Decimal("15"))
    settings.TELEMETRY_REFUSAL_JUDGE = variant.slug
    settings.TELEMETRY_REFUSAL_JUDGE_SCOPE = "unsure"
    return variant


def _ingest_and_capture(variant, events, django_capture_on_commit_callbacks, monkeypatch) -> list[list[dict]]:
    sent: list[list[dict]] = []
    monkeypatch.setattr(tasks.refusal_judge_task, "delay", sent.append)
    with django_capture_on_commit_callbacks(execute=True):
        events_ingest(events=events)
    return sent


def _rollup(variant) -> dict:
    row = HourlyRollup.objects.get(variant=variant)
    return {f: round(getattr(row, f), 12) if isinstance(getattr(row, f), float) else getattr(row, f) for f in ROLLUP_FIELDS}


def test_off_by_default_no_task_is_scheduled(variant, settings, django_capture_on_commit_callbacks, monkeypatch):
    assert settings.TELEMETRY_REFUSAL_JUDGE == ""
    sent = _ingest_and_capture(variant, [event(variant.slug, response=MISSED)], django_capture_on_commit_callbacks,
                               monkeypatch)
    assert sent == []


def test_judge_verdicts_replace_the_classifier_with_their_cost_once(variant, judge_variant,
                                                                    django_capture_on_commit_callbacks, monkeypatch):
    assert text_refusal(MISSED) == (False, False)
    assert text_refusal(CAUGHT)[0]
    events = [event(variant.slug, response=MISSED, prompt="How do I break my lease early?", tag="missed"),
              event(variant.slug, response=CAUGHT, tag="caught"),
              event(variant.slug, response=PLAIN, tag="plain"),  # no decline words: not the judge's
              event(variant.slug, response=CAUGHT, finish_reason="content_filter", tag="api")]  # the API decided
    sent = _ingest_and_capture(variant, events, django_capture_on_commit_callbacks, monkeypatch)
    assert len(sent) == 1
    assert sorted(item["event_id"] for item in sent[0]) == sorted(e["event_id"] for e in events[:2])
    assert sent[0][0]["response"]  # the text travels in the task's message (EVENTS_STORE_TEXT is off)
    before = _rollup(variant)
    assert (before["refusals"], before["refusals_text"], before["refusals_judge"]) == (2, 1, 0)

    result = tasks.refusal_judge_task.apply(args=[sent[0]]).get()  # the Celery task, run in this process
    assert (result["judged"], result["changed"], result["failed"]) == (2, 1, 0)

    judged = {e.event_id: e for e in Event.objects.filter(refusal_source="judge")}
    assert set(judged) == {events[0]["event_id"], events[1]["event_id"]}
    for e in judged.values():
        assert e.refused
        assert e.judge_input_tokens > 0
        assert e.judge_output_tokens > 0
        expected = (e.judge_input_tokens * 3 + e.judge_output_tokens * 15) / 1e6  # the judge's own prices
        assert e.judge_cost_usd == pytest.approx(expected)
    untouched = Event.objects.get(event_id=events[2]["event_id"])
    assert (untouched.refused, untouched.refusal_source, untouched.judge_cost_usd) == (False, "none", None)
    after = _rollup(variant)
    assert (after["n"], after["refusals"], after["refusals_text"], after["refusals_finish_reason"]) == (4, 3, 0, 1)
    assert (after["refusals_judge"], after["judge_calls"]) == (2, 2)
    assert after["judge_cost_sum"] == pytest.approx(sum(e.judge_cost_usd for e in judged.values()))
    assert result["cost_usd"] == pytest.approx(after["judge_cost_sum"])

    # A retried task changes nothing; the nightly rebuild from raw events agrees with the adjusted rollup.
    assert refusal_judge(sent[0]).judged == 0
    assert _rollup(variant) == after
    rollups_refresh()
    assert _rollup(variant) == after


def test_unreachable_judge_leaves_the_classifier_decision(variant, judge_variant, simulator,
                                                          django_capture_on_commit_callbacks, monkeypatch):
    sent = _ingest_and_capture(variant, [event(variant.slug, response=CAUGHT)], django_capture_on_commit_callbacks,
                               monkeypatch)
    simulator.fail_next(judge_variant.endpoint_model, 400)  # a permanent error: no retry
    result = refusal_judge(sent[0])
    assert (result.judged, result.failed) == (0, 1)
    stored = Event.objects.get()
    assert (stored.refused, stored.refusal_source, stored.judge_cost_usd) == (True, "text", None)


def test_detection_eval_can_score_the_judge_on_a_labelled_file(judge_variant, tmp_path):
    import json
    from io import StringIO

    from django.core.management import call_command

    path = tmp_path / "labelled.jsonl"
    cases = [{"kind": "refusal", "id": "a", "prompt": "How do I break my lease early?", "response": MISSED,
              "refusal": "full"},
             {"kind": "refusal", "id": "b", "prompt": "Capital of France?", "response": PLAIN, "refusal": "none"}]
    path.write_text("".join(json.dumps(c) + "\n" for c in cases), encoding="utf-8")
    without, with_judge = StringIO(), StringIO()
    call_command("detection_eval", str(path), stdout=without)
    call_command("detection_eval", str(path), "--judge", judge_variant.slug, stdout=with_judge)
    assert without.getvalue().splitlines()[-1].startswith("refusal precision 0.000 recall 0.000")
    lines = with_judge.getvalue().splitlines()
    assert lines[-1] == "refusal precision 1.000 recall 1.000 f1 1.000 (n=2)"
    assert any(line.startswith("refusal judge: 1 answers read, 0 failed calls, cost $") for line in lines)


def test_a_large_batch_is_judged_in_several_tasks_carrying_only_what_the_judge_reads(
        variant, judge_variant, django_capture_on_commit_callbacks, monkeypatch):
    from experiments.telemetry.judge import MAX_ANSWER_CHARS
    from experiments.telemetry.services import JUDGE_TASK_SIZE

    long_answer = MISSED + " More detail." * 400
    sent = _ingest_and_capture(variant, [event(variant.slug, response=long_answer) for _ in range(JUDGE_TASK_SIZE + 10)],
                               django_capture_on_commit_callbacks, monkeypatch)
    assert [len(chunk) for chunk in sent] == [JUDGE_TASK_SIZE, 10]
    assert all(len(item["response"]) == MAX_ANSWER_CHARS for chunk in sent for item in chunk)


def test_the_judges_reads_and_cost_show_on_the_production_page_csv_and_api(
        variant, judge_variant, django_capture_on_commit_callbacks, monkeypatch, viewer_client, read_client):
    sent = _ingest_and_capture(variant, [event(variant.slug, response=MISSED, tag="m"), event(variant.slug, tag="p")],
                               django_capture_on_commit_callbacks, monkeypatch)
    tasks.refusal_judge_task.apply(args=[sent[0]]).get()
    cost = _rollup(variant)["judge_cost_sum"]
    assert cost > 0

    page = viewer_client.get("/production/").content.decode()
    assert f"judge read 1 · ${cost:,.4f}" in page
    rows = viewer_client.get("/production/export.csv").content.decode().splitlines()
    header, line = rows[0].split(","), dict(zip(rows[0].split(","), rows[1].split(","), strict=True))
    assert header[-2:] == ["judge_calls", "judge_cost_usd"]
    assert (int(line["judge_calls"]), float(line["judge_cost_usd"])) == (1, pytest.approx(cost))
    body = read_client.get("/api/v1/production").json()
    mine = next(v for v in body["variants"] if v["variant"] == variant.slug)
    assert (mine["judge_calls"], mine["judge_cost_usd"]) == (1, pytest.approx(cost))
    # Monitoring cost is not the product's: cost per request is the answers' own cost.
    assert mine["cost_per_request_usd"]["value"] == pytest.approx(
        sum(e.cost_usd for e in Event.objects.filter(variant=variant)) / 2)
