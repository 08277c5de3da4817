"""The reviewer page in a real browser: keyboard-only judging, no XSS, nothing identifying."""

from __future__ import annotations

import pytest

from evalhub.core.models import ModelVariant, Role
from judging.models import Judgment
from tests.browser.conftest import login
from tests.factories import PASSWORD, UserFactory
from tests.judging.factories import active_campaign

XSS = 'Look: <img src=x onerror="window.__xss=1"> and <script>window.__xss=2</script> done.'


def _wait_new_token(page, old: str) -> str:
    page.wait_for_function("old => document.getElementById('judge').dataset.token !== old", arg=old)
    return page.get_attribute("#judge", "data-token")


@pytest.mark.django_db(transaction=True)
def test_reviewer_judges_five_comparisons_with_the_keyboard(page):
    campaign = active_campaign(n_variants=3, n_prompts=3, k=1, slug="kbd")
    reviewer = UserFactory(username="rita", role=Role.REVIEWER)
    login(page, "rita", PASSWORD)
    page.goto("/judge/")
    token = page.get_attribute("#judge", "data-token")
    assert token
    keys = ["1", "2", "3", "4", "1"]
    for key in keys:
        page.keyboard.press(key)
        token = _wait_new_token(page, token)
    page.wait_for_function("() => document.getElementById('progress-done').textContent === '5'")
    outcomes = list(Judgment.objects.filter(reviewer=reviewer, campaign=campaign).values_list("outcome", flat=True))
    assert len(outcomes) == 5
    assert outcomes.count("tie") == 1
    assert outcomes.count("both_bad") == 1
    # "s" skips without judging
    page.keyboard.press("s")
    _wait_new_token(page, token)
    assert Judgment.objects.filter(reviewer=reviewer).count() == 5


@pytest.mark.django_db(transaction=True)
def test_untrusted_answers_do_not_execute_and_page_is_blind(page):
    campaign = active_campaign(n_variants=2, n_prompts=3, k=1, slug="xss", outputs=lambda i, j: XSS)
    UserFactory(username="sam", role=Role.REVIEWER)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    console_errors = []
    page.on("console", lambda msg: console_errors.append(msg.text) if msg.type == "error" else None)
    login(page, "sam", PASSWORD)
    page.goto("/judge/")
    html = page.content()
    for variant in ModelVariant.objects.filter(campaigns=campaign):
        for identifier in (variant.slug, variant.name, variant.endpoint_model):
            assert identifier not in html, identifier
    assert page.locator("#left").inner_text().startswith("Look:")
    assert page.evaluate("window.__xss") is None
    # the next comparison arrives through judge.js (innerHTML of server-sanitised HTML): still inert
    token = page.get_attribute("#judge", "data-token")
    page.click("button[data-choice=left]")
    _wait_new_token(page, token)
    assert page.evaluate("window.__xss") is None
    assert page.locator("#right img").count() == 0
    assert page.locator("#right script").count() == 0
    assert dialogs == []
    # judge.js runs under the strict CSP (no inline code needed), and nothing was blocked
    assert not [e for e in console_errors if "Content Security Policy" in e], console_errors


@pytest.mark.django_db(transaction=True)
def test_space_and_enter_after_a_vote_key_do_not_vote(page):
    from judging.services import stored_vote

    campaign = active_campaign(n_variants=3, n_prompts=3, k=1, slug="nofocus")
    reviewer = UserFactory(username="vic", role=Role.REVIEWER)
    login(page, "vic", PASSWORD)
    page.goto("/judge/")
    token = page.get_attribute("#judge", "data-token")
    page.keyboard.press("2")
    token = _wait_new_token(page, token)
    assert page.evaluate("document.activeElement.classList.contains('vote-btn')") is False
    page.keyboard.press("Space")
    page.keyboard.press("Enter")
    # a mouse click leaves focus on the clicked button: the next comparison must not inherit it
    page.click("button[data-choice=tie]")
    token = _wait_new_token(page, token)
    page.keyboard.press("Enter")
    page.keyboard.press(" ")
    page.keyboard.press("4")
    _wait_new_token(page, token)
    page.wait_for_function("() => document.getElementById('progress-done').textContent === '3'")
    judgments = Judgment.objects.filter(reviewer=reviewer, campaign=campaign).select_related("assignment").order_by("pk")
    assert [stored_vote(j, j.assignment)["choice"] for j in judgments] == ["right", "tie", "both_bad"]
