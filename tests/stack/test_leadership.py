"""The leadership answer on the running product: the verdict in dollars over the API (read key), a new decision
policy saved by an engineer and used at once, and a viewer reading the answer in Chromium."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.stack


def _overall(api) -> dict:
    response = api("read").get("/api/v1/dashboards/verdict")
    assert response.status_code == 200, response.text
    return response.json()


def _section(body: dict, base: str) -> dict:
    return next(s for s in body["overall"] if s["base_slug"] == base)


def test_verdict_in_dollars_follows_the_saved_policy_and_a_viewer_reads_it(stack, engineer, browser_as, api):
    section = _section(_overall(api), "acme-7b")
    assert "$1 per 1,000" in section["headline"]["text"]
    rows = {row["slug"]: row for row in section["rows"]}
    assert rows["acme-7b-dpo"]["lever"] == "post-training"
    dpo = rows["acme-7b-dpo"]["per_dollar"]
    assert dpo["kind"] in {"ratio", "cheaper", "dominates", "free", "unbounded"}
    if dpo["kind"] == "ratio":
        assert dpo["lower"] <= dpo["ratio"] <= dpo["upper"]
    # Self-consistency costs every sample: SC16 costs about 16 greedy calls of the base (demo truth).
    sc16 = rows["acme-7b-sc16"]["cost"]
    assert 10 < sc16["variant_value"] / sc16["base_value"] < 25, sc16
    assert section["evidence"]["requests"] > 0

    # An engineer declares what matters; the verdict uses it on the next read.
    saved = engineer.post_json("/api/v1/dashboards/policy", {"weights": {"bt": 2, "success": 1}, "note": "stack"})
    assert saved.status_code == 201, saved.text
    version = saved.json()["version"]
    bad = engineer.post_json("/api/v1/dashboards/policy", {"weights": {"bt": -1}})
    assert bad.status_code == 400
    assert any("weights" in error["field"] for error in bad.json()["errors"])
    body = _overall(api)
    assert body["policy"]["version"] == version
    dpo_row = next(r for r in _section(body, "acme-7b")["rows"] if r["slug"] == "acme-7b-dpo")
    assert {c["key"] for c in dpo_row["components"]} == {"bt", "success"}

    page = browser_as("viewer")
    page.goto("/dashboards/verdict/")
    headline = page.locator(".overall-headline").first.inner_text()
    assert "per extra $1 per 1,000" in headline
    assert re.search(r"95% CI", headline), headline
    assert f"version {version}" in page.locator(".policy-line").first.inner_text()
    # Viewers read the policy; saving one needs the engineer role (a logged-in viewer, CSRF header and all).
    denied = stack.session("viewer").post_json("/api/v1/dashboards/policy", {"weights": {"bt": 1}})
    assert denied.status_code == 403, denied.text
    assert _overall(api)["policy"]["version"] == version
