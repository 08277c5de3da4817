"""Leaderboard page, API, charts, exclusion, identity flags and style control."""

from __future__ import annotations

import json

import numpy as np
import pytest

from evalhub.core.services import api_key_create
from judging import charts
from judging.leaderboard import snapshot_refresh
from judging.models import Judgment
from tests.judging._results_data import add_votes, make_world, simulate_votes

pytestmark = pytest.mark.django_db

TRUTH = [1100.0, 1000.0, 900.0]


@pytest.fixture
def world():
    return make_world(n_variants=3, n_prompts=40, n_reviewers=4, slug="lb", criteria=["tone"])


@pytest.fixture
def snap(world):
    votes = simulate_votes(world, TRUTH, 400, seed=5)
    for v in votes:
        v["criteria"] = {"tone": "a" if v["outcome"] == "b" else "b"}  # tone inverts the order
    add_votes(world, votes)
    return snapshot_refresh(campaign_id=world.campaign.pk, cascade=False, rounds=100)


def test_page_reads_only_the_snapshot(viewer_client, world, snap, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        response = viewer_client.get("/judge/leaderboard/?campaign=lb")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Computed at" in html
    assert "400 votes" in html
    top = snap.payload["boards"]["all"]["rows"][0]
    assert top["slug"] == world.variants[0].slug
    assert f'{top["ci_lower"]:.0f} – {top["ci_upper"]:.0f}' in html
    assert 'id="chart-forest"' in html
    assert "Recompute" not in html


def test_page_without_snapshot_says_so(viewer_client, engineer_client, world):
    assert "No leaderboard has been computed yet" in viewer_client.get("/judge/leaderboard/").content.decode()
    assert viewer_client.get("/judge/leaderboard/?campaign=nope").status_code == 404
    assert "Recompute" in engineer_client.get("/judge/leaderboard/").content.decode()


def test_recompute_button_enqueues(engineer_client, viewer_client, world, monkeypatch, django_capture_on_commit_callbacks):
    calls = []
    monkeypatch.setattr("judging.tasks.leaderboard_refresh_task.delay", lambda **kw: calls.append(kw))
    assert viewer_client.post("/judge/leaderboard/recompute/", {"campaign": "lb"}).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = engineer_client.post("/judge/leaderboard/recompute/", {"campaign": "lb"})
    assert response.status_code == 302
    assert response["Location"].endswith("?campaign=lb")
    assert calls == [{"campaign_id": world.campaign.pk}]


def test_criterion_and_category_boards(viewer_client, snap, world):
    body = viewer_client.get("/judge/leaderboard/?campaign=lb&criterion=tone").content.decode()
    tone = snap.payload["boards"]["criterion:tone"]["rows"]
    assert tone[0]["slug"] == world.variants[-1].slug  # inverted by construction
    assert "Criterion" in body
    assert snap.payload["boards"]["category:coding"]["n_battles"] > 0


def test_charts_carry_the_board(snap):
    board = snap.payload["boards"]["all"]
    forest = charts.forest_plot(board).to_dict()
    trace = forest["data"][0]
    widths_up = [r["ci_upper"] - r["score"] for r in board["rows"]]
    widths_down = [r["score"] - r["ci_lower"] for r in board["rows"]]
    assert list(trace["error_x"]["array"]) == pytest.approx(widths_up)
    assert list(trace["error_x"]["arrayminus"]) == pytest.approx(widths_down)
    assert list(trace["y"]) == [r["slug"] for r in board["rows"]]
    heat = charts.win_rate_heatmap(board).to_dict()["data"][0]
    assert np.allclose(np.array(heat["z"], dtype=float), np.array(board["win_rate"], dtype=float), equal_nan=True)
    pred = charts.predicted_heatmap(board).to_dict()["data"][0]
    assert [list(r) for r in pred["z"]] == board["predicted"]


def test_excluding_a_reviewer_changes_the_board(world):
    # Reviewer 0 always votes for the weakest variant; excluding them restores the true order.
    votes = simulate_votes(world, TRUTH, 300, seed=7)
    for v in votes:
        if v["reviewer"] == 0:
            v["outcome"] = "b"
    add_votes(world, votes)
    before = snapshot_refresh(campaign_id=world.campaign.pk, cascade=False, rounds=50)
    # Such a reviewer is also flagged by the anomaly test, so the default board already leaves them
    # out; the toggle's boards (all reviewers but the excluded) show the effect of excluding them.
    assert before.payload["flagged_reviewers"] >= 1
    Judgment.objects.filter(reviewer=world.reviewers[0]).update(excluded=True)
    after = snapshot_refresh(campaign_id=world.campaign.pk, cascade=False, rounds=50)
    score = lambda s, v: {r["slug"]: r["score"] for r in s.payload.get("boards_with_flagged", s.payload["boards"])[  # noqa: E731
        "all"]["rows"]}[v.slug]
    assert score(after, world.variants[2]) < score(before, world.variants[2]) - 20
    rogue_votes = sum(1 for v in votes if v["reviewer"] == 0)
    assert after.payload.get("n_votes_with_flagged", after.n_judgments) == before.payload["n_votes_with_flagged"] - rogue_votes


def test_identity_flagged_votes_left_out_by_default(world):
    add_votes(world, [{"a": 0, "b": 1, "prompt": p, "reviewer": r, "outcome": "b", "identity_flag": True}
                      for p in range(10) for r in range(4)])
    add_votes(world, simulate_votes(world, TRUTH, 100, seed=9, prompts=range(10, 40)))
    snap = snapshot_refresh(campaign_id=world.campaign.pk, cascade=False, rounds=20)
    assert snap.n_judgments == Judgment.objects.filter(identity_flag=False).count()
    world.campaign.exclude_identity_votes = False
    world.campaign.save(update_fields=["exclude_identity_votes"])
    snap = snapshot_refresh(campaign_id=world.campaign.pk, cascade=False, rounds=20)
    assert snap.n_judgments == Judgment.objects.count()


def test_style_toggle_differs_when_length_drives_votes(viewer_client):
    # Equal true strength; longer answers win 85% of votes, and variant 0 is long more often.
    rng = np.random.default_rng(1)
    long = rng.random((30, 3)) < np.array([0.75, 0.25, 0.25])
    world = make_world(n_variants=3, n_prompts=30, n_reviewers=4, slug="style",
                       outputs=lambda i, j: "word " * (200 if long[i, j] else 20) + ("\n## Head" if (i + j) % 3 else ""))
    votes = []
    for p in range(30):
        for i in range(3):
            for j in range(i + 1, 3):
                for r in range(4):
                    p_a = 0.5 if long[p, i] == long[p, j] else (0.85 if long[p, i] else 0.15)
                    votes.append({"a": i, "b": j, "prompt": p, "reviewer": r,
                                  "outcome": "a" if rng.random() < p_a else "b"})
    add_votes(world, votes)
    snap = snapshot_refresh(campaign_id=world.campaign.pk, cascade=False, rounds=20)
    raw = {r["slug"]: r["score"] for r in snap.payload["boards"]["all"]["rows"]}
    style = {r["slug"]: r["score"] for r in snap.payload["style"]["rows"]}
    long_slug = world.variants[0].slug
    assert raw[long_slug] - 1000 > 60  # the raw board rewards length
    assert abs(style[long_slug] - 1000) < (raw[long_slug] - 1000) / 2  # style control removes most of it
    assert snap.payload["style"]["coef"]["length"]["coef"] > 0
    html = viewer_client.get("/judge/leaderboard/?campaign=style&style=1").content.decode()
    assert 'id="style-table"' in html


def test_api_leaderboard(viewer, viewer_client, reviewer_client, client, snap, world):
    url = "/api/v1/judging/leaderboard?campaign=lb"
    assert client.get(url).status_code == 401
    assert reviewer_client.get(url).status_code == 403
    body = viewer_client.get(url).json()
    assert body["campaign"] == "lb"
    assert body["n_votes"] == 400
    assert [r["slug"] for r in body["board"]["rows"]] == [v.slug for v in world.variants]
    _, raw = api_key_create(owner=viewer, name="read", scopes=["read"])
    keyed = client.get("/api/v1/judging/leaderboard?campaign=lb&criterion=tone",
                       HTTP_AUTHORIZATION=f"Bearer {raw}").json()
    assert keyed["board_key"] == "criterion:tone"
    assert viewer_client.get("/api/v1/judging/leaderboard?campaign=missing").status_code == 404
    assert viewer_client.get("/api/v1/judging/leaderboard?style=maybe").status_code == 400
    styled = viewer_client.get(url + "&style=true").json()
    assert styled["style"] is not None
    json.dumps(body)  # plain JSON all the way down
