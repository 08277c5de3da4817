from __future__ import annotations

import pytest

from tests.browser.conftest import login
from tests.factories import PASSWORD, UserFactory


@pytest.mark.django_db(transaction=True)
def test_viewer_logs_in_and_sees_role_navigation(page):
    UserFactory(username="lead", role="viewer")
    login(page, "lead", PASSWORD)
    nav = page.locator("header nav")
    assert nav.get_by_text("Scorecard").is_visible()
    assert nav.get_by_text("API keys").count() == 0
    assert page.evaluate("typeof window.fetch") == "function"
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login/")
