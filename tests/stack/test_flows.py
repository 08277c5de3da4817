"""Every background flow on the running product, as its users drive it (see ``conftest.py``).

1. an engineer launches an eval run from the Suites page (Chromium) and through the API → it finishes with a score;
2. a campaign whose answers must be generated → answers through the simulator → a reviewer judges in /judge/
   (Chromium) → the leaderboard snapshot shows the new votes;
3. an Arena import through the API → the overall leaderboard includes the imported models;
4. events through /api/v1/events and OTLP → the production page counts them; an A/B experiment's results update;
5. /healthz, from inside the running web process, reports the broker that settings configure and a live worker.
"""

from __future__ import annotations

import csv
import io
import json
import time
import uuid
from datetime import UTC, datetime

import httpx
import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.stack.conftest import SUITE_ITEMS, wait_until

pytestmark = pytest.mark.stack

def test_healthz_reports_the_configured_broker_and_a_live_worker(stack):
    anonymous = httpx.Client(base_url=stack.url, timeout=10)
    assert set(anonymous.get("/healthz").json()) == {"status"}  # no details for anonymous callers

    admin = stack.session("admin")
    # The worker stamps its heartbeat when beat schedules it (every 15 s): "ok" proves worker + beat + broker.
    body = wait_until(lambda: (b := admin.get("/healthz").json())["status"] == "ok" and b,
                      timeout=90, what="/healthz status ok (worker heartbeat)")
    broker = body["checks"]["broker"]
    assert broker["ok"] is True, broker
    assert broker["extra"]["matches_settings"] is True, broker
    if stack.broker_url:
        assert broker["extra"]["url"].split("://")[0] == stack.broker_url.split("://")[0]
        assert broker["extra"]["url"].split("@")[-1] == stack.broker_url.split("@")[-1]
    else:  # embedded defaults: kombu's SQLAlchemy transport on the embedded PostgreSQL
        assert broker["extra"]["url"].startswith("sqla+postgresql+psycopg://"), broker
        assert broker["extra"]["transport"] == "sqlalchemy"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["worker"]["ok"] is True


def test_static_assets_are_served_locally(stack):
    admin = stack.session("admin")
    assert admin.get("/favicon.ico").status_code == 200
    docs = admin.get("/api/v1/docs")
    assert docs.status_code == 200
    assert "/static/ninja/swagger-ui-bundle.js" in docs.text
    assert "cdn" not in docs.text.lower()
    assert admin.get("/static/ninja/swagger-ui-bundle.js").status_code == 200


def test_engineer_runs_a_suite_from_the_browser_and_the_api(stack, browser_as, engineer, api, stack_suite):
    page = browser_as("engineer")
    page.goto("/suites/")
    page.get_by_role("link", name=stack_suite).first.click()
    page.get_by_role("link", name="Run against variants").click()
    page.get_by_label("acme-7b", exact=True).check()
    page.get_by_label("Concurrency").fill("1")  # one call at a time: the bar has time to move
    page.get_by_role("button", name="Start").click()
    page.wait_for_url("**/suites/runs/*/")
    seen: set[int] = set()
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        try:  # the page polls progress every second, then reloads itself once the run ends
            seen.add(page.evaluate("document.getElementById('run-bar').value"))
            status = page.locator("#run-status").inner_text(timeout=2000).strip()
        except PlaywrightError:
            continue
        if status not in {"queued", "running"}:
            break
        time.sleep(0.2)
    assert status == "done", f"run ended {status!r}"
    assert any(0 < value < SUITE_ITEMS for value in seen), f"the progress bar never moved: {sorted(seen)}"
    page.wait_for_load_state()
    assert page.locator("#run-done").inner_text().strip() == str(SUITE_ITEMS)
    assert page.get_by_text("95% CI").first.is_visible()

    response = engineer.post_json("/api/v1/suites/runs", {"suite": stack_suite, "variant": "acme-70b"})
    assert response.status_code == 201, response.text
    run_id = response.json()["id"]
    run = wait_until(lambda: (r := api("read").get(f"/api/v1/suites/runs/{run_id}").json())["status"] == "done" and r,
                     timeout=180, what="the API-launched run to finish")
    assert run["n_done"] == SUITE_ITEMS
    assert run["overall"] is not None
    assert 0.0 <= run["overall"]["mean"] <= 1.0


def test_generated_campaign_is_judged_in_the_browser_and_ranked(stack, browser_as, engineer, api):
    slug = f"stack-arena-{uuid.uuid4().hex[:6]}"
    created = engineer.post_json("/api/v1/judging/campaigns", {
        "name": f"Stack arena {slug}", "slug": slug, "variants": ["acme-7b", "acme-70b"], "redundancy_k": 1})
    assert created.status_code == 201, created.text
    prompts = "".join(json.dumps({"prompt": f"Explain in one sentence why the sky looks blue ({i}).",
                                  "category": "stack"}) + "\n" for i in range(3))
    imported = engineer.post_json(f"/api/v1/judging/campaigns/{slug}/prompts", {"jsonl": prompts})
    assert imported.status_code == 201, imported.text
    assert imported.json()["answers"] == 0  # every answer must come from the endpoints
    started = engineer.post_json(f"/api/v1/judging/campaigns/{slug}/start", {})
    assert started.status_code == 200, started.text

    campaign = wait_until(lambda: (c := api("read").get(f"/api/v1/judging/campaigns/{slug}").json())["status"]
                          == "active" and c, timeout=180, what="answers generated and the campaign active")
    assert campaign["progress"]["answers_present"] == campaign["progress"]["answers_needed"] == 6
    comparisons = campaign["progress"]["comparisons"]
    assert comparisons == 3

    page = browser_as("reviewer")
    page.goto(f"/judge/?campaign={slug}")
    for done in range(comparisons):
        page.wait_for_selector("#item:not([hidden])")
        page.keyboard.press("1")
        page.wait_for_function("([n]) => document.querySelector('#progress-done').textContent.trim() === String(n)",
                               arg=[done + 1])
    page.wait_for_selector("#empty:not([hidden])")

    seen: list[dict] = []

    def counted() -> dict | bool:
        seen.append(api("read").get("/api/v1/judging/leaderboard", params={"campaign": slug}).json())
        return seen[-1]["n_votes"] == comparisons and seen[-1]

    board = wait_until(counted, timeout=120, what="the campaign's leaderboard to show the votes",
                       detail=lambda: {k: seen[-1].get(k) for k in ("n_votes", "n_judgments", "flagged_reviewers",
                                                                      "message")} if seen else None)
    assert board["board"]["n_battles"] == comparisons
    rows = {row["slug"]: row for row in board["board"]["rows"]}
    if rows:  # three votes can be too few to bound the intervals: then the board says so instead of ranking
        assert set(rows) == {"acme-7b", "acme-70b"}
        assert sum(row["votes"] for row in rows.values()) == 2 * comparisons
    else:
        assert board["board"]["error"].startswith("not enough data to rank"), board["board"]


def test_arena_import_refreshes_the_overall_leaderboard(stack, api):
    tag = uuid.uuid4().hex[:6]
    models = [f"stack-a-{tag}", f"stack-b-{tag}"]
    battles = "".join(json.dumps({"model_a": models[i % 2], "model_b": models[(i + 1) % 2],
                                  "winner": "model_a" if i % 3 else "model_b", "tstamp": 1_760_000_000 + i})
                      + "\n" for i in range(30))
    before = api("read").get("/api/v1/judging/leaderboard").json()["n_votes"]
    response = api("ingest").post("/api/v1/judging/imports/arena", params={"source": f"stack-{tag}",
                                                                          "create_variants": "true"},
                                  content=battles.encode())
    assert response.status_code == 201, response.text
    assert response.json()["imported"] == 30

    def refreshed():
        board = api("read").get("/api/v1/judging/leaderboard").json()
        # Never compared with the campaigns' variants, the imported models form a group of their own board.
        boards = [board["board"], *board["board"].get("groups", [])]
        return board["n_votes"] >= before + 30 and any(set(models) <= {row["slug"] for row in b["rows"]} for b in boards)

    wait_until(refreshed, timeout=120, what="the overall leaderboard to include the imported battles")


def _otlp_json(model: str, n: int, start_ns: int) -> dict:
    spans = [{
        "traceId": uuid.uuid4().hex, "spanId": uuid.uuid4().hex[:16], "name": f"chat {model}", "kind": 3,
        "startTimeUnixNano": str(start_ns + i * 1_000_000), "endTimeUnixNano": str(start_ns + i * 1_000_000 + 400_000_000),
        "attributes": [{"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}},
                       {"key": "gen_ai.request.model", "value": {"stringValue": model}},
                       {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "50"}},
                       {"key": "gen_ai.usage.output_tokens", "value": {"intValue": "20"}}],
    } for i in range(n)]
    return {"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "stack"}}]},
                               "scopeSpans": [{"scope": {"name": "stack"}, "spans": spans}]}]}


def _production_count(viewer, variant: str) -> int:
    response = viewer.get("/production/export.csv", params={"period": "24h"})
    assert response.status_code == 200, response.text[:300]
    rows = {row["variant"]: row for row in csv.DictReader(io.StringIO(response.text))}
    return int(rows[variant]["requests"]) if variant in rows else 0


def test_events_and_otlp_reach_production_and_an_experiment(stack, engineer, api):
    viewer = stack.session("viewer")
    before_7b, before_70b = _production_count(viewer, "acme-7b"), _production_count(viewer, "acme-70b")
    key = f"stack-ab-{uuid.uuid4().hex[:6]}"
    registered = engineer.post_json("/api/v1/experiments", {
        "name": f"Stack {key}", "key": key, "hypothesis": "70B answers get more thumbs up", "unit": "user",
        "arms": [{"name": "base", "variant": "acme-7b", "weight": 1, "is_control": True},
                 {"name": "big", "variant": "acme-70b", "weight": 1}],
        "primary_metric": "thumbs_up_rate", "guardrails": ["latency_p95"], "mde": 0.1})
    assert registered.status_code == 201, registered.text
    assert engineer.post_json(f"/api/v1/experiments/{key}/start", {}).status_code == 200

    now = datetime.now(UTC).isoformat()
    events, arms = [], {}
    for i in range(40):
        unit = f"user-{key}-{i}"
        assignment = api("ingest").get(f"/api/v1/experiments/{key}/assignment", params={"unit_id": unit}).json()
        arms[unit] = assignment["arm"]
        events.append({"event_id": f"{key}-{i}", "timestamp": now, "variant": assignment["variant"],
                       "experiment": key, "arm": assignment["arm"], "unit_id": unit, "session_id": f"s-{unit}",
                       "latency_ms": 500 + i, "input_tokens": 40, "output_tokens": 60,
                       "feedback": "up" if i % 3 else "down"})
    response = api("ingest").post("/api/v1/events", json={"events": events})
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 40
    n_7b = sum(1 for e in events if e["variant"] == "acme-7b")
    assert 0 < n_7b < 40  # both arms received traffic

    otlp = api("ingest").post("/v1/traces", json=_otlp_json("acme-70b", 5, time.time_ns()))
    assert otlp.status_code == 200, otlp.text

    wait_until(lambda: _production_count(viewer, "acme-7b") == before_7b + n_7b
               and _production_count(viewer, "acme-70b") == before_70b + (40 - n_7b) + 5,
               timeout=60, what="the production page to count the new events and spans")

    def experiment_counts():
        arms = api("read").get(f"/api/v1/experiments/{key}/results").json()["arms"]
        counts = {field: sum(arm[field] for arm in arms) for field in ("exposures", "units", "requests")}
        return counts if counts["requests"] == 40 else None

    counts = wait_until(experiment_counts, timeout=60, what="the experiment's results to count the events")
    assert counts == {"exposures": 40, "units": 40, "requests": 40}
