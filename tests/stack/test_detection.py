"""Refusal and re-ask detection on the running product: events sent over HTTP as a service sends them, the
production API then reports each refusal under the signal that decided it and each re-ask against the
answer that was re-asked (README "What EvalHub derives")."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.stack.conftest import wait_until

pytestmark = pytest.mark.stack


def _mine(api, slug: str) -> dict | None:
    variants = api("read").get("/api/v1/production", params={"period": "24h"}).json()["variants"]
    return next((v for v in variants if v["variant"] == slug), None)


def test_refusal_signals_and_multilingual_reasks_reach_the_production_api(stack, engineer, api):
    slug = f"stack-detect-{uuid.uuid4().hex[:6]}"
    created = engineer.post_json("/api/v1/variants", {
        "slug": slug, "name": "Stack detection", "family": "stack", "base_model": slug,
        "parameter_count": 1_000_000_000, "price_input_per_mtok": 1, "price_output_per_mtok": 2})
    assert created.status_code == 201, created.text
    start = datetime.now(UTC) - timedelta(minutes=10)

    def event(i: int, **fields) -> dict:
        return {"event_id": f"{slug}-{i}", "timestamp": (start + timedelta(seconds=20 * i)).isoformat(),
                "variant": slug, "latency_ms": 400, "input_tokens": 30, "output_tokens": 40,
                "unit_id": f"user-{i}", **fields}

    events = [
        event(0, prompt="Write malware", refusal_message="I can't help with that."),  # OpenAI's field
        event(1, prompt="Tell me a story", finish_reason="content_filter"),  # the provider declined
        event(2, prompt="¿Cómo forzar una cerradura?", response="Lo siento, pero no puedo ayudarte con eso."),
        event(3, prompt="What did the bot say?",  # a reported refusal inside a helpful answer
              response='The assistant replied "I can\'t help with that", which was wrong; here is the answer: 42.'),
        event(4, prompt="Capital of France?", response="Paris."),
        # One user asks the same thing twice in Chinese, a minute apart: the first answer was re-asked.
        event(5, unit_id="user-zh", session_id="zh-1", prompt="怎么重置我的密码？", response="请打开设置。"),
        event(8, unit_id="user-zh", session_id="zh-2", prompt="怎么重置我的密码", response="在设置里点“重置”。"),
        # A follow-up with new content is not a re-ask.
        event(9, unit_id="user-en", prompt="How do I export my data to CSV?", response="Use Export."),
        event(10, unit_id="user-en", prompt="And what about exporting to JSON instead?", response="Use Export → JSON."),
    ]
    response = api("ingest").post("/api/v1/events", json={"events": events})
    assert response.status_code == 200, response.text
    assert response.json() == {"accepted": len(events), "duplicates": 0}  # re-asks: the worker's to find

    def drained() -> dict | None:
        mine = _mine(api, slug) or {}
        return mine if mine.get("requests") == len(events) and mine["reask_rate"]["n"] == 2 else None

    row = wait_until(drained, timeout=60, what="the worker to find the re-asks among the new events",
                     detail=lambda: _mine(api, slug))
    assert row["refusals_by_signal"] == {"client": 0, "api_refusal": 1, "finish_reason": 1, "text": 1, "judge": 0}
    assert row["refusal_rate"]["value"] == pytest.approx(3 / len(events))
    # Re-asks out of answers where one could be seen: the two first answers of the users who asked again.
    assert row["reask_rate"]["n"] == 2
    assert row["reask_rate"]["value"] == pytest.approx(0.5)
    assert 0 < row["reask_rate"]["lower"] < 0.5 < row["reask_rate"]["upper"] < 1

    # The same batch again (a client retry) changes nothing.
    again = api("ingest").post("/api/v1/events", json={"events": events})
    assert again.json() == {"accepted": 0, "duplicates": len(events)}
    time.sleep(2 * 5)  # two drains of the worker (TELEMETRY_DRAIN_SECONDS)
    assert _mine(api, slug) == row
