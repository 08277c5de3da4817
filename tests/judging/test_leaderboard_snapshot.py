"""Snapshot computation against known truth: simulated votes from known strengths."""

from __future__ import annotations

import numpy as np
import pytest

from judging.leaderboard import snapshot_refresh
from judging.models import Judgment, LeaderboardSnapshot
from tests.judging._results_data import add_votes, make_world, simulate_votes

pytestmark = pytest.mark.django_db

TRUTH = [1150.0, 1050.0, 950.0, 850.0]


@pytest.fixture
def world():
    return make_world(n_variants=4, n_prompts=40, n_reviewers=5, criteria=["correctness"])


def _rows(snapshot, key="all"):
    return {row["slug"]: row for row in snapshot.payload["boards"][key]["rows"]}


def test_snapshot_recovers_order_and_cis_cover_truth(world, django_capture_on_commit_callbacks):
    votes = simulate_votes(world, TRUTH, 1000, seed=3, criteria={})
    for v in votes:
        v["criteria"] = {"correctness": v["outcome"] if v["outcome"] != "both_bad" else "tie"}
    add_votes(world, votes)
    with django_capture_on_commit_callbacks() as callbacks:
        snap = snapshot_refresh(campaign_id=world.campaign.pk, cascade=False)
    assert callbacks == []
    board = snap.payload["boards"]["all"]
    assert [row["slug"] for row in board["rows"]] == [v.slug for v in world.variants]
    # Truth on the mean-1000 scale, as the fit reports.
    truth = np.array(TRUTH) - np.mean(TRUTH) + 1000
    for row, true in zip(board["rows"], truth):
        assert row["ci_lower"] <= true <= row["ci_upper"], (row, true)
        assert row["sandwich_lower"] <= true <= row["sandwich_upper"], (row, true)
        assert row["ci_lower"] < row["score"] < row["ci_upper"]
        assert row["elo"] is not None
    assert board["rows"][0]["rank_best"] == 1
    assert board["rows"][-1]["rank_worst"] == 4
    assert sum(row["votes"] for row in board["rows"]) == 2 * 1000
    assert snap.n_judgments == 1000
    assert snap.payload["n_votes"] == 1000
    assert snap.payload["rounds"] == 1000
    # Win-rate and predicted matrices are square, in board order, predicted diagonal ½.
    assert len(board["win_rate"]) == 4
    assert board["win_rate"][0][0] is None
    assert board["predicted"][1][1] == pytest.approx(0.5)
    assert board["predicted"][0][3] > 0.7
    assert set(snap.payload["categories"]) == {"coding", "writing"}
    assert "category:coding" in snap.payload["boards"]
    assert snap.payload["criteria"] == ["correctness"]
    crit = snap.payload["boards"]["criterion:correctness"]
    assert crit["n_battles"] == 1000


def test_debounce_returns_same_snapshot_until_inputs_change(world):
    add_votes(world, simulate_votes(world, TRUTH, 200, seed=1))
    first = snapshot_refresh(campaign_id=world.campaign.pk, cascade=False, rounds=50)
    again = snapshot_refresh(campaign_id=world.campaign.pk, cascade=False, rounds=50)
    assert again.pk == first.pk
    assert LeaderboardSnapshot.objects.count() == 1
    # Excluding a reviewer changes no vote count but changes the board.
    Judgment.objects.filter(reviewer=world.reviewers[0]).update(excluded=True)
    third = snapshot_refresh(campaign_id=world.campaign.pk, cascade=False, rounds=50)
    assert third.pk != first.pk
    assert third.n_judgments == Judgment.objects.filter(excluded=False).count() < 200


def test_campaign_refresh_enqueues_overall(world, django_capture_on_commit_callbacks, monkeypatch):
    add_votes(world, simulate_votes(world, TRUTH, 100, seed=2))
    calls = []
    monkeypatch.setattr("judging.tasks.leaderboard_refresh_task.delay", lambda **kw: calls.append(kw))
    with django_capture_on_commit_callbacks(execute=True):
        snapshot_refresh(campaign_id=world.campaign.pk, rounds=20)
    assert calls == [{"campaign_id": None}]
    overall = snapshot_refresh(campaign_id=None, rounds=20)
    assert overall.campaign_id is None
    assert overall.n_judgments == 100


def test_style_features_computed_in_sql_and_cached():
    from judging.models import CompletionStyle

    text = "# Title\nIntro with **bold** and **more**.\n## Part\n- one\n- two\n3. three\nnot a # header"
    w = make_world(n_variants=2, n_prompts=2, n_reviewers=1, slug="feat", outputs=lambda i, j: text if j == 0 else "plain")
    add_votes(w, [{"a": 0, "b": 1, "prompt": p, "reviewer": 0, "outcome": "a"} for p in range(2)])
    snapshot_refresh(campaign_id=w.campaign.pk, cascade=False, rounds=10)
    rich = CompletionStyle.objects.get(completion=w.completions[(w.prompts[0].pk, w.variants[0].pk)])
    assert (rich.length, rich.headers, rich.lists, rich.bold) == (len(text), 2, 3, 2)
    plain = CompletionStyle.objects.get(completion=w.completions[(w.prompts[0].pk, w.variants[1].pk)])
    assert (plain.length, plain.headers, plain.lists, plain.bold) == (5, 0, 0, 0)
    assert CompletionStyle.objects.count() == 4


def test_overall_board_adds_imported_arena_battles(world):
    from judging.importers import arena_import

    add_votes(world, simulate_votes(world, TRUTH, 60, seed=8))
    v0, v3 = world.variants[0], world.variants[3]
    log = "\n".join(
        f'{{"model_a": "{v3.slug}", "model_b": "{v0.slug}", "winner": "model_a", "tstamp": {1700000000 + i}}}'
        for i in range(40))
    arena_import(data=log, source="arena")
    campaign = snapshot_refresh(campaign_id=world.campaign.pk, cascade=False, rounds=20)
    overall = snapshot_refresh(campaign_id=None, rounds=20)
    # Counted with any reviewer the anomaly test flags (the toggle's boards): this is about arena battles.
    def with_flagged(snap) -> tuple[int, dict]:
        boards = snap.payload.get("boards_with_flagged", snap.payload["boards"])
        return snap.payload.get("n_votes_with_flagged", snap.n_judgments), {r["slug"]: r for r in boards["all"]["rows"]}

    (n_campaign, campaign_rows), (n_overall, rows) = with_flagged(campaign), with_flagged(overall)
    assert n_campaign == 60
    assert n_overall == 100
    assert rows[v3.slug]["votes"] == campaign_rows[v3.slug]["votes"] + 40
    assert rows[v3.slug]["elo"] is not None
    assert overall.payload["fingerprint"]["arena"] == 40
