"""The failure-modes page, its one-click actions, the dimensions page and the scorecard's column."""

from __future__ import annotations

import pytest

from evalhub.core.models import Role
from evalhub.failures.models import Analysis, Dimension
from evalhub.failures.selectors import Params, store_analysis
from experiments.suites.models import RunResult
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PAGE = "/failures/acme-7b-dpo/?baseline=acme-70b&source=suites&suite=assistant"


def _client(client, role):
    client.force_login(UserFactory(role=role))
    return client


def test_viewer_reads_sentences_intervals_and_safe_examples(demo_world, client) -> None:
    # An answer carrying markup: the page must show it as text, never run it.
    worst = RunResult.objects.filter(run__variant__slug="acme-7b-dpo", run__version__suite__slug="assistant",
                                     item__category="current_events", score=0).order_by("item__position").first()
    RunResult.objects.filter(pk=worst.pk).update(output='<script>alert(1)</script><img src=x onerror="alert(2)">')
    response = _client(client, Role.VIEWER).get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert "On category &#x27;current_events&#x27;, Acme 7B DPO&#x27;s score on Assistant tasks is" in html
    assert 'data-dimension="category" data-value="current_events"' in html
    assert "<script>alert(1)" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Make a regression suite" not in html  # viewers read; engineers act


def test_the_page_answers_from_the_cache(demo_world, client, django_assert_max_num_queries) -> None:
    c = _client(client, Role.VIEWER)
    c.get(PAGE)
    with django_assert_max_num_queries(10):
        assert c.get(PAGE).status_code == 200


def test_engineer_turns_a_slice_into_a_campaign_in_one_click(demo_world, client) -> None:
    c = _client(client, Role.ENGINEER)
    assert "Make a judging campaign" in c.get(PAGE).content.decode()
    response = c.post("/failures/acme-7b-dpo/slice/", {
        "action": "campaign", "baseline": "acme-70b", "source": "suites", "suite": "assistant",
        "dimension": "category", "value": "current_events"})
    assert response.status_code == 302
    assert response["Location"].startswith("/judge/campaigns/")
    response = c.post("/failures/acme-7b-dpo/slice/", {
        "action": "suite", "baseline": "acme-70b", "source": "suites", "suite": "assistant",
        "dimension": "category", "value": "current_events"})
    assert response.status_code == 302
    assert response["Location"].startswith("/suites/regress-assistant-category")
    viewer = _client(client, Role.VIEWER)
    assert viewer.post("/failures/acme-7b-dpo/slice/", {"action": "suite"}).status_code == 403


def test_unknown_variant_is_404_and_bad_parameters_400(demo_world, client) -> None:
    c = _client(client, Role.VIEWER)
    assert c.get("/failures/nope/").status_code == 404
    assert c.get("/failures/acme-7b/?baseline=acme-7b").status_code == 400


def test_dimensions_page_declares_and_retires_for_engineers_only(demo_world, client) -> None:
    viewer = _client(client, Role.VIEWER)
    assert "language" in viewer.get("/failures/dimensions/").content.decode()
    assert viewer.post("/failures/dimensions/", {"name": "tier", "kind": "event_attribute", "key": "tier"}
                       ).status_code == 403
    engineer = _client(client, Role.ENGINEER)
    assert engineer.post("/failures/dimensions/", {"name": "tier", "kind": "event_attribute", "key": "tier"}
                         ).status_code == 302
    made = Dimension.objects.get(name="tier", active=True)
    assert engineer.post("/failures/dimensions/", {"name": "bad", "kind": "event_attribute", "key": ""}
                         ).status_code == 400
    assert engineer.post(f"/failures/dimensions/{made.pk}/retire/").status_code == 302
    made.refresh_from_db()
    assert not made.active
    assert made.retired_at is not None


def test_scorecard_shows_each_variants_top_failure_modes(demo_world, client) -> None:
    store_analysis(Params(variant="acme-7b-sft"))
    assert Analysis.objects.filter(variant_slug="acme-7b-sft").exists()
    html = _client(client, Role.VIEWER).get("/dashboards/").content.decode()
    assert "Top failure modes" in html
    assert 'href="/failures/acme-7b-sft/"' in html


def test_builtin_dimensions_apply_even_without_their_rows(demo_world) -> None:
    from evalhub.failures.selectors import dimensions_active

    Dimension.objects.filter(builtin=True, name="topic").delete()  # e.g. a database emptied by a flush
    assert any(d.name == "topic" and d.kind == "event_attribute" for d in dimensions_active())
    Dimension.objects.create(name="topic", kind="event_attribute", key="topic", builtin=True, active=False)
    assert not any(d.name == "topic" for d in dimensions_active())  # a retired built-in stays retired
