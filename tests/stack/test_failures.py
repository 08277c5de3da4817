"""The running product answers /api/v1/failures over HTTP with the demo's planted failure modes first."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.stack


def test_failures_api_over_http_finds_the_planted_failure_first(stack, api):
    read = api("read")
    response = read.get("/api/v1/failures", params={"variant": "acme-7b-dpo", "baseline": "acme-70b",
                                                   "suite": "assistant", "source": "suites"})
    assert response.status_code == 200, response.text
    first = response.json()["slices"][0]
    assert first["slice"] == {"dimension": "category", "value": "current_events"}
    assert first["significant"]
    assert first["upper"] < 0
    assert first["examples"]

    over_refusal = read.get("/api/v1/failures", params={"variant": "acme-7b-sft", "baseline": "acme-7b",
                                                        "source": "production"}).json()["slices"][0]
    assert over_refusal["slice"] == {"dimension": "topic", "value": "safety_adjacent"}
    assert over_refusal["significant"]

    default = read.get("/api/v1/failures", params={"variant": "acme-7b"})  # the demo cached the defaults
    assert default.status_code == 200
    assert default.json()["baseline"]["slug"] != "acme-7b"
    assert read.get("/api/v1/failures", params={"variant": "nope"}).status_code == 404
