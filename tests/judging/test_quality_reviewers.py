"""Reviewer quality: gold accuracy, agreement, median seconds, anomaly flag, page."""

from __future__ import annotations

import pytest

from judging.models import ReviewerExclusion
from judging.quality import campaign_quality
from tests.judging._results_data import add_votes, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    w = make_world(n_variants=3, n_prompts=20, n_reviewers=4, slug="q")
    votes = []
    for p in range(20):
        for r in range(4):
            # Reviewers 0-2 always prefer the lower-index variant; reviewer 3 always the opposite.
            for i, j in ((0, 1), (1, 2)):
                outcome = "b" if r == 3 else "a"
                votes.append({"a": i, "b": j, "prompt": p, "reviewer": r, "outcome": outcome,
                              "seconds": 5.0 * (r + 1) + p % 3,
                              "gold_correct": (r != 3) if p < 5 else None})
    add_votes(w, votes)
    return w


def test_quality_numbers(world):
    q = campaign_quality(world.campaign)
    rows = {r.username: r for r in q.reviewers}
    honest, rogue = rows[world.reviewers[0].username], rows[world.reviewers[3].username]
    assert honest.judgments == 40
    assert honest.gold_n == 10
    assert honest.gold_accuracy == 1.0
    assert rogue.gold_accuracy == 0.0
    assert honest.agreement_rate == 1.0
    assert honest.agreement_n == 40
    assert rogue.agreement_rate == 0.0
    # seconds 5 + p%3 over p=0..19: median of {5,6,7,...} is 6.
    assert honest.median_seconds == pytest.approx(6.0)
    assert rows[world.reviewers[1].username].median_seconds == pytest.approx(11.0)
    assert rogue.flagged
    assert not honest.flagged
    assert rogue.anomaly_p_adjusted < 0.05 < honest.anomaly_p_adjusted
    # 40 items, each split 3 "a" to 1 "b": P_i = (9 + 1 − 4)/12 = ½, P_e = ¾² + ¼² = ⅝,
    # κ = (½ − ⅝)/(1 − ⅝) = −⅓ — below chance, because the split never varies.
    assert q.fleiss_items == 40
    assert q.fleiss_raters == 4
    assert q.fleiss_kappa == pytest.approx(-1 / 3)
    assert q.krippendorff_alpha is not None
    assert q.krippendorff_alpha < 0
    assert q.n_judgments == 160


def test_quality_page(engineer_client, viewer_client, reviewer_client, world, django_assert_max_num_queries):
    ReviewerExclusion.objects.create(campaign=world.campaign, reviewer=world.reviewers[3])
    with django_assert_max_num_queries(14):
        response = engineer_client.get("/judge/campaigns/q/quality/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "anomalous" in html
    assert "excluded" in html
    assert f"/judge/campaigns/q/reviewers/{world.reviewers[0].pk}/exclude/" in html
    assert "Include again" in html
    viewer_html = viewer_client.get("/judge/campaigns/q/quality/").content.decode()
    assert "/exclude/" not in viewer_html
    assert reviewer_client.get("/judge/campaigns/q/quality/").status_code == 403
    assert engineer_client.get("/judge/campaigns/none/quality/").status_code == 404


def test_quality_without_overlap_explains(engineer_client):
    w = make_world(n_variants=2, n_prompts=2, n_reviewers=1, slug="solo")
    add_votes(w, [{"a": 0, "b": 1, "prompt": 0, "reviewer": 0, "outcome": "a"}])
    q = campaign_quality(w.campaign)
    assert q.fleiss_kappa is None
    assert any("two or more judgments" in n for n in q.notes)
    assert engineer_client.get("/judge/campaigns/solo/quality/").status_code == 200
