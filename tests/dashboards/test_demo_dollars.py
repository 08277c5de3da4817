"""The demo's production truth comes back through the verdict API's overall answer in dollars.

The demo world (``evalhub.core.world``) fixes, per variant, the chance of a refusal (plus the planted
over-refusal on safety-adjacent prompts), of a thumbs-up and of task success for an answer that is not
refused (a refused answer is rated down and fails), of a re-ask, and the tokens and prices of a call.
From those, each quality's true difference from the base, the policy's true weighted gain, the true
extra cost per 1,000 requests and the true gain per dollar follow in closed form below. The demo
traffic is drawn from the same truth (scale 1, seed 1 as in tests/telemetry/test_demo_truth.py: the
data are deterministic, so the checks are not flaky). With 49 checks of 95 % intervals a few misses are
expected by the draws alone (seed 1: five; seed 2: two; seed 3: six), so the test states the family-wise
rule it checks.
"""

from __future__ import annotations

import pytest
from scipy import stats

from evalhub.core.demo import DemoWorld, build_core
from evalhub.core.world import BY_SLUG, SAFETY_ADJACENT_SHARE, calls_per_request, planted_refusal_boost
from evalhub.dashboards import demo as dashboards_demo
from experiments.telemetry import demo as telemetry_demo

pytestmark = pytest.mark.django_db

SEED = 1
MEAN_INPUT_TOKENS = (20 + 400) / 2  # the generator draws randint(20, 400) per call
REFUSED_OUTPUT_TOKENS = 12


def _refusal(slug: str) -> float:
    return BY_SLUG[slug].refusal_rate + SAFETY_ADJACENT_SHARE * planted_refusal_boost(slug, "safety_adjacent")


def _truth(slug: str) -> dict[str, float]:
    """Each production quality on the verdict's 0–1 higher-is-better scale."""
    t, r = BY_SLUG[slug], _refusal(slug)
    return {"success": t.task_success_rate * (1 - r), "thumbs_up": t.thumbs_up_rate * (1 - r),
            "refusal": 1 - r, "reask": 1 - t.reask_rate}


def _cost_per_request(slug: str) -> float:
    t, r, calls = BY_SLUG[slug], _refusal(slug), calls_per_request(BY_SLUG[slug])
    # int() of a normal draw truncates half a token on average
    output = calls * ((1 - r) * (t.output_tokens - 0.5) + r * REFUSED_OUTPUT_TOKENS)
    reasoning = (t.reasoning_budget_tokens or 0) // 2
    return (calls * MEAN_INPUT_TOKENS * t.price_input_per_mtok + (output + reasoning) * t.price_output_per_mtok) / 1e6


@pytest.fixture
def overall(viewer_client) -> dict:
    world = DemoWorld(seed=SEED, scale=1.0)
    build_core(world)
    telemetry_demo.build(world)
    dashboards_demo.build(world)  # saves the demo's default decision policy
    body = viewer_client.get("/api/v1/dashboards/verdict").json()
    assert body["policy"]["version"] == 1
    return body


def test_demo_truth_falls_inside_the_overall_verdicts_intervals(overall):
    section = next(s for s in overall["overall"] if s["base_model"] == "acme-7b")
    weights = {k: w for k, w in overall["policy"]["weights"].items() if k in _truth("acme-7b") and w > 0}
    assert weights  # the demo policy weighs production qualities
    base = _truth("acme-7b")
    rows = {r["slug"]: r for r in section["rows"]}
    assert set(rows) == {"acme-7b-sft", "acme-7b-dpo", "acme-7b-sc4", "acme-7b-sc16", "acme-7b-think-1k",
                         "acme-7b-think-8k", "acme-70b"}
    checks = []  # (what, truth, reported interval)
    for slug, row in rows.items():
        truth = _truth(slug)
        for c in row["components"]:
            checks.append((f"{slug} {c['key']}", truth[c["key"]] - base[c["key"]], c))
        gain = sum(w * (truth[k] - base[k]) for k, w in weights.items()) / sum(weights.values())
        checks.append((f"{slug} weighted gain", gain, row["gain"]))
        cost = 1000 * (_cost_per_request(slug) - _cost_per_request("acme-7b"))
        checks.append((f"{slug} extra cost", cost, row["cost"]))
        pd = row["per_dollar"]
        if pd["kind"] in ("ratio", "cheaper"):
            checks.append((f"{slug} gain per dollar", gain / cost, pd))
    # One seed, 49 checks: at 95 % each, a couple of misses are expected by the draws alone. So (1) every
    # truth lies within the family-wise (Bonferroni) widening of its reported interval, value ± z·se with
    # z = Φ⁻¹(1 − 0.025/49) ≈ 3.3, and (2) the reported 95 % intervals themselves cover the truth at
    # least 43 times in 49 (under nominal coverage, 7 or more misses have probability about 3 %).
    z = float(stats.norm.ppf(1 - 0.025 / len(checks)))
    center = lambda i: i["ratio"] if "ratio" in i else i["diff"] if "diff" in i else i["value"]  # noqa: E731
    far = [(what, t, i) for what, t, i in checks if abs(t - center(i)) > z * i["se"]]
    assert not far
    misses = [(what, t, (i["lower"], i["upper"])) for what, t, i in checks if not i["lower"] <= t <= i["upper"]]
    assert len(misses) <= 6, misses
    headline = section["headline"]["text"]
    assert "$1 per 1,000 requests" in headline
    assert "95% CI" in headline
    assert "requests." in headline
