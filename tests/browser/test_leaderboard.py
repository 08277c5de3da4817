"""A viewer opens the leaderboard and the plotly charts render."""

from __future__ import annotations

import pytest

from judging.leaderboard import snapshot_refresh
from tests.browser.conftest import login
from tests.factories import PASSWORD, UserFactory
from tests.judging._results_data import add_votes, make_world, simulate_votes


@pytest.mark.django_db(transaction=True)
def test_viewer_sees_leaderboard_charts(page):
    world = make_world(n_variants=3, n_prompts=10, n_reviewers=3, slug="browser")
    add_votes(world, simulate_votes(world, [1100.0, 1000.0, 900.0], 80, seed=4))
    snapshot_refresh(campaign_id=world.campaign.pk, cascade=False, rounds=50)
    UserFactory(username="lead", role="viewer")
    login(page, "lead", PASSWORD)
    page.goto("/judge/leaderboard/?campaign=browser")
    page.wait_for_selector(".js-plotly-plot .main-svg")
    assert page.locator("#chart-forest .main-svg").count() >= 1
    assert page.locator("#chart-predicted .main-svg").count() >= 1
    rows = page.locator("#leaderboard-table tbody tr")
    assert rows.count() == 3
    assert world.variants[0].slug in rows.first.inner_text()
    assert "Computed at" in page.locator("#computed-at").inner_text()
    page.select_option("select[name=campaign]", "")
    page.click("form.filters button[type=submit]")
    page.wait_for_selector("p.notice")
    assert "No leaderboard has been computed yet" in page.content()
