"""Leaderboards say what they rank: separate boards for disconnected comparisons, the random
clicker out by default (with a toggle), and defined counts that agree across pages."""

from __future__ import annotations

import numpy as np
import pytest

from judging.importers import arena_import
from judging.leaderboard import COUNT_DEFINITIONS, snapshot_refresh
from judging.quality import campaign_quality
from tests.judging._results_data import add_votes, make_world, simulate_votes

pytestmark = pytest.mark.django_db

TRUTH = [1150.0, 1050.0, 950.0]


@pytest.fixture
def world():
    return make_world(n_variants=3, n_prompts=40, n_reviewers=5, slug="honest")


def _with_random_clicker(world, seed: int = 3) -> int:
    """Four reviewers vote from the truth; reviewer 4 clicks uniformly at random. Returns their votes."""
    votes = simulate_votes(world, TRUTH, 500, seed=seed)
    rng = np.random.default_rng(seed)
    for vote in votes:
        if vote["reviewer"] == 4:
            vote["outcome"] = ("a", "b", "tie")[int(rng.integers(3))]
    add_votes(world, votes)
    return sum(1 for v in votes if v["reviewer"] == 4)


def test_arena_models_never_compared_with_the_campaign_get_their_own_board(world, viewer_client):
    add_votes(world, simulate_votes(world, TRUTH, 200, seed=2))
    # Two imported models that only ever met each other.
    log = "\n".join(
        f'{{"model_a": "arena-x", "model_b": "arena-y", "winner": "{"model_a" if i % 3 else "model_b"}", '
        f'"tstamp": {1700000000 + i}}}' for i in range(60))
    arena_import(data=log, source="arena", create_variants=True)
    overall = snapshot_refresh(campaign_id=None, rounds=50)
    board = overall.payload["boards"]["all"]
    groups = board["groups"]
    assert [sorted(r["slug"] for r in g["rows"]) for g in groups] == [
        sorted(v.slug for v in world.variants), ["arena-x", "arena-y"]]
    for group in groups:  # each ranked within itself
        assert min(r["rank_best"] for r in group["rows"]) == 1
        assert max(r["rank_worst"] for r in group["rows"]) <= len(group["rows"])
    assert [r["slug"] for r in board["rows"]] == [r["slug"] for r in groups[0]["rows"]]
    assert "disconnected" in board["disconnected"]
    assert "arena-x" in board["disconnected"]
    assert not board["regularised"]  # no prior was needed to glue the groups together
    html = viewer_client.get("/judge/leaderboard/").content.decode()
    assert 'id="disconnected"' in html
    assert "comparison graph is disconnected" in html
    assert "All votes, group 1" in html
    assert "All votes, group 2" in html
    api = viewer_client.get("/api/v1/judging/leaderboard").json()
    assert len(api["board"]["groups"]) == 2
    assert api["board"]["disconnected"]


def test_connected_board_has_no_groups(world):
    add_votes(world, simulate_votes(world, TRUTH, 200, seed=2))
    board = snapshot_refresh(campaign_id=world.campaign.pk, cascade=False, rounds=50).payload["boards"]["all"]
    assert "groups" not in board
    assert "disconnected" not in board
    assert len(board["rows"]) == 3


def test_random_clicker_is_out_of_the_default_board_and_in_with_the_toggle(world, viewer_client):
    clicker_votes = _with_random_clicker(world)
    quality = {r.reviewer_id: r for r in campaign_quality(world.campaign).reviewers}
    assert quality[world.reviewers[4].pk].flagged
    flagged_votes = sum(r.judgments for r in quality.values() if r.flagged)
    snap = snapshot_refresh(campaign_id=world.campaign.pk, cascade=False, rounds=50)
    assert snap.payload["flagged_reviewers"] == sum(r.flagged for r in quality.values())
    assert snap.n_judgments == 500 - flagged_votes
    assert snap.payload["n_votes_with_flagged"] == 500
    assert flagged_votes >= clicker_votes
    default = viewer_client.get("/judge/leaderboard/?campaign=honest").content.decode()
    assert f'<strong id="votes-counted">{500 - flagged_votes}</strong>' in default
    assert "Left out: the votes of" in default
    toggled = viewer_client.get("/judge/leaderboard/?campaign=honest&flagged=1").content.decode()
    assert '<strong id="votes-counted">500</strong>' in toggled
    assert "Including the votes of" in toggled
    api = viewer_client.get("/api/v1/judging/leaderboard?campaign=honest").json()
    api_with = viewer_client.get("/api/v1/judging/leaderboard?campaign=honest&include_flagged=true").json()
    assert (api["n_votes"], api_with["n_votes"]) == (500 - flagged_votes, 500)
    assert sum(r["votes"] for r in api_with["board"]["rows"]) == 2 * 500  # each vote counts for both variants


def test_counts_are_defined_and_agree_across_pages(world, engineer_client, viewer_client):
    from evalhub.dashboards import services as dashboard_services

    _with_random_clicker(world)
    campaign = snapshot_refresh(campaign_id=world.campaign.pk, cascade=False, rounds=50)
    overall = snapshot_refresh(campaign_id=None, rounds=50)
    counted = campaign.n_judgments
    assert overall.n_judgments == counted  # one campaign, no imported battles
    leaderboard = viewer_client.get("/judge/leaderboard/?campaign=honest").content.decode()
    detail = engineer_client.get("/judge/campaigns/honest/").content.decode()
    dashboard_services.report_cache_refresh(7)
    scorecard = viewer_client.get("/dashboards/").content.decode()
    assert f'<strong id="votes-counted">{counted}</strong>' in leaderboard
    assert f'<p id="votes-counted">{counted}</p>' in detail
    assert f'<strong id="preference-votes-counted">{counted}</strong>' in scorecard
    # Judgments (every stored vote) is a differently named number, shown beside its definition.
    assert '<p id="judgments-total">500</p>' in detail
    assert "(500 judgments in the campaign)" in leaderboard
    for page in (leaderboard, detail):
        for sentence in COUNT_DEFINITIONS.values():
            assert sentence in page.replace("&#x27;", "'")
    assert COUNT_DEFINITIONS["votes"] in scorecard
    assert "Comparisons counted" in leaderboard
