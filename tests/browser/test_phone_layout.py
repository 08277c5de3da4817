"""The leadership pages on a phone (390 × 844 in Chromium): nothing scrolls the page sideways,
tables scroll inside their box, charts fit their width with unclipped titles, and every chart has a
text alternative and a download of its data."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalhub.dashboards import services
from judging.leaderboard import snapshot_refresh
from tests.browser.conftest import login
from tests.dashboards.factories import build_world
from tests.factories import PASSWORD, UserFactory
from tests.judging._results_data import add_votes, make_world, simulate_votes

PHONE = {"width": 390, "height": 844}
PAGES = ("/dashboards/", "/dashboards/frontier/", "/dashboards/verdict/", "/judge/leaderboard/?campaign=phone")

CHARTS_JS = """() => Array.from(document.querySelectorAll('.chart')).map(c => {
  const box = c.getBoundingClientRect();
  const title = c.querySelector('.gtitle');
  const t = title ? title.getBoundingClientRect() : null;
  const key = c.dataset.figure || c.id;
  return {
    id: c.id, label: c.getAttribute('aria-label') || '', role: c.getAttribute('role'),
    drawn: !!c.querySelector('.main-svg'), left: box.left, right: box.right,
    svgWidth: c.querySelector('.main-svg') ? c.querySelector('.main-svg').getBoundingClientRect().width : 0,
    title: t ? {left: t.left, right: t.right, top: t.top} : null, top: box.top,
    download: !!document.querySelector(`a.chart-download[data-figure="${key}"]`),
  };
})"""


@pytest.mark.django_db(transaction=True)
def test_leadership_pages_fit_a_phone(browser, live_server, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    build_world()
    services.report_cache_refresh()
    arena = make_world(n_variants=4, n_prompts=30, n_reviewers=3, slug="phone")
    add_votes(arena, simulate_votes(arena, [1150.0, 1050.0, 950.0, 850.0], 300, seed=4))
    snapshot_refresh(campaign_id=arena.campaign.pk, cascade=False, rounds=50)
    UserFactory(username="lead", role="viewer")
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, is_mobile=True, has_touch=True,
                                  device_scale_factor=2, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        login(page, "lead", PASSWORD)
        charts_seen = 0
        for url in PAGES:
            assert page.goto(url).status == 200, url
            page.wait_for_load_state("networkidle")
            width = page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= PHONE["width"], (url, width)
            # A wide table keeps its width and scrolls inside its own box.
            for box in page.evaluate("""() => Array.from(document.querySelectorAll('table.data')).map(t => {
                const s = getComputedStyle(t).overflowX === 'auto' ? t : t.closest('.table-scroll');
                return s ? {scroll: s.scrollWidth, client: s.clientWidth, overflow: getComputedStyle(s).overflowX}
                         : null; })"""):
                assert box is not None, url
                assert box["overflow"] == "auto", url
            for chart in page.evaluate(CHARTS_JS):
                charts_seen += 1
                assert chart["drawn"], (url, chart["id"])
                assert chart["left"] >= 0, (url, chart)
                assert chart["right"] <= PHONE["width"], (url, chart)
                assert chart["svgWidth"] <= chart["right"] - chart["left"] + 1, (url, chart)
                assert chart["role"] == "img", (url, chart)
                assert len(chart["label"]) > 20, (url, chart)
                assert chart["download"], (url, chart["id"])
                if chart["title"]:
                    assert chart["left"] <= chart["title"]["left"], (url, chart)
                    assert chart["title"]["right"] <= chart["right"], (url, chart)
                    assert chart["title"]["top"] >= chart["top"], (url, chart)
            # Point labels beside markers would overlap and run off a phone-sized plot: markers only there
            # (each label is in the marker's hover text and in the table under the chart).
            labels = page.evaluate("() => document.querySelectorAll('.chart .scatterlayer .textpoint').length")
            callouts = page.evaluate("() => document.querySelectorAll('.chart .annotation-arrow-g').length")
            assert (labels, callouts) == (0, 0), url
        assert charts_seen >= 3
        page.goto("/dashboards/frontier/")
        page.wait_for_selector("#frontier-chart .main-svg")
        with page.expect_download() as download:
            page.locator('a.chart-download[data-figure="frontier-chart-data"]').click()
        body = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
        assert body[0].startswith("series,x,y,label")
        assert len(body) >= 3
    finally:
        context.close()
