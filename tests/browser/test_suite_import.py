"""An engineer brings a promptfoo project and an OpenAI Evals eval as they are, reads what was kept and left
out, and downloads the suite back as JSONL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from experiments.suites.models import Suite
from tests.browser.conftest import login
from tests.factories import PASSWORD, UserFactory

DATA = Path(__file__).parent.parent / "suites" / "data"


@pytest.mark.django_db(transaction=True)
def test_engineer_imports_several_files_and_exports_them(page):
    UserFactory(username="eng", role="engineer")
    login(page, "eng", PASSWORD)
    page.goto("/suites/import/")
    page.get_by_label("Slug").fill("support")
    promptfoo = sorted(str(p) for p in (DATA / "promptfoo").rglob("*") if p.is_file() and p.suffix != ".csv")
    page.locator("input[type=file]").set_input_files(promptfoo)
    page.get_by_role("button", name="Import").click()
    page.wait_for_url("**/suites/support/")
    message = page.locator("ul.messages").inner_text()
    assert "Imported 8 items as support v1." in message
    assert "javascript ×1" in message
    assert page.locator(".import-notes").inner_text().count("\n") >= 1
    with page.expect_download() as download:
        page.get_by_role("link", name="Export JSONL").click()
    rows = [json.loads(x) for x in Path(download.value.path()).read_text(encoding="utf-8").splitlines()]
    assert "suite_metadata" in rows[0]  # the promptfoo config's own keys come first, then the items
    assert [row["id"] for row in rows[1:3]] == ["1-p1", "1-p2"]

    page.goto("/suites/import/")
    page.get_by_label("Slug").fill("capitals")
    page.locator("input[type=file]").set_input_files(
        [str(DATA / "openai_evals/evals/capitals.yaml"), str(DATA / "openai_evals/data/capitals/samples.jsonl")])
    page.get_by_role("button", name="Import").click()
    page.wait_for_url("**/suites/capitals/")
    assert "Imported 3 items as capitals v1." in page.locator("ul.messages").inner_text()
    assert Suite.objects.get(slug="capitals").versions.get().source_format == "openai_registry"
    assert page.get_by_text("OpenAI evals registry YAML + samples").first.is_visible()
