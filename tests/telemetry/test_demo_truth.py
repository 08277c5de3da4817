"""The demo's production truth comes back through the API: re-ask rates and the cost of sampling.

The demo world (``evalhub.core.world``) fixes each variant's true re-ask rate and its calls per
request; the demo traffic is drawn from it (scale 1: ~2,100 sessions and ~4,000
re-ask-detectable answers per variant) and ingested through the real path. The data are
deterministic for a seed, so the checks are not flaky.

Nine 95 % interval checks (eight re-ask rates, two cost ratios share a base) all hold for a given
seed only about two times in three, by the draws alone: with seed 7 (the demo's default) acme-70b
drew 7.9 % re-asks against its 7 % truth (z ≈ 2.3), with seed 3 SC16 cost 15.86× (interval
15.73–15.98). This test uses seed 1, where every check holds; the second test shows that what
the generator drew is recovered almost exactly, whatever the seed.
"""

from __future__ import annotations

import math

import pytest

from evalhub.core.demo import DemoWorld, build_core
from evalhub.core.world import BY_SLUG, VARIANTS, calls_per_request
from experiments.telemetry import demo

pytestmark = pytest.mark.django_db

SEED = 1
Z = 1.959964


@pytest.fixture
def production(viewer_client) -> dict[str, dict]:
    world = DemoWorld(seed=SEED, scale=1.0)
    build_core(world)
    demo.build(world)
    response = viewer_client.get("/api/v1/production?period=7d")
    assert response.status_code == 200
    return {row["variant"]: row for row in response.json()["variants"]}


def _ratio_interval(top: dict, bottom: dict) -> tuple[float, float, float]:
    """Ratio of two means with a delta-method 95 % interval (the means are independent)."""
    ratio = top["value"] / bottom["value"]
    rel = [(e["upper"] - e["lower"]) / (2 * Z) / e["value"] for e in (top, bottom)]
    half = Z * ratio * math.hypot(*rel)
    return ratio, ratio - half, ratio + half


def test_demo_reask_rates_and_sampling_costs_match_the_truth(production):
    assert set(production) == {v.slug for v in VARIANTS}
    for slug, row in production.items():
        reask = row["reask_rate"]
        truth = BY_SLUG[slug].reask_rate
        # The denominator is the answers a re-ask could be seen on, not every request.
        assert 1000 < reask["n"] < row["requests"], slug
        assert reask["lower"] <= truth <= reask["upper"], (slug, truth, reask)
    base = production["acme-7b"]["cost_per_request_usd"]
    for slug in ("acme-7b-sc4", "acme-7b-sc16"):
        calls = calls_per_request(BY_SLUG[slug])
        ratio, lower, upper = _ratio_interval(production[slug]["cost_per_request_usd"], base)
        assert lower <= calls <= upper, (slug, calls, ratio, lower, upper)
        assert production[slug]["output_tokens"] / production[slug]["requests"] > 0.8 * calls * BY_SLUG[slug].output_tokens


def test_reask_detection_recovers_the_drawn_reasks_of_the_demo(production):
    """Per answer: the generator's own decision (the user's next turn in the session, and whether it
    repeats the question) against what ingestion stored."""
    from datetime import UTC, datetime

    from experiments.telemetry.models import Event

    world = DemoWorld(seed=SEED, scale=1.0)
    build_core(world)
    prompts = demo._prompts(world)
    for truth in VARIANTS:
        drawn: dict[str, bool] = {}  # answer → re-asked, for answers the user followed up
        events = demo.variant_events(world, truth, datetime.now(UTC), prompts)
        for answer, following in zip(events, events[1:]):
            if answer["session_id"] == following["session_id"]:
                drawn[answer["event_id"]] = following["prompt"].endswith("Please answer again.")
        stored = dict(Event.objects.filter(variant__slug=truth.slug, reask_detectable=True)
                      .values_list("event_id", "reasked"))
        assert set(drawn) <= set(stored), truth.slug  # every followed-up answer is detectable
        # Extra detectable answers: a session's last answer followed by the user's next session.
        assert len(stored) - len(drawn) < 0.01 * len(drawn), truth.slug
        disagree = sum(1 for event_id, reasked in drawn.items() if stored[event_id] != reasked)
        assert disagree <= 0.002 * len(drawn), (truth.slug, disagree)
