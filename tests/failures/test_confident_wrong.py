"""Confident and wrong: the share of wrong answers without hedging (overall, per slice) and stated-confidence
calibration, with the real hedging detector (``evalhub.text.hedging``) and ECE (``evalhub.stats.calibration``)."""

from __future__ import annotations

import plotly.graph_objects as go
import pytest

from evalhub.core.models import Role
from evalhub.failures.confidence import confident_and_wrong
from evalhub.stats.agreement import wilson_interval
from experiments.suites.models import RunResult
from tests.factories import UserFactory


@pytest.mark.django_db
def test_share_of_confident_wrong_answers_overall_per_slice_and_calibration(demo_world, client) -> None:
    results = RunResult.objects.filter(run__variant__slug="acme-7b-dpo", run__version__suite__slug="assistant")
    wrong = results.filter(score=0).order_by("item__position")
    wrong.update(output="I'm not sure, but it may have been the blue party.")  # hedged
    sure = list(wrong.filter(item__category="current_events").values_list("pk", flat=True)[:10])
    RunResult.objects.filter(pk__in=sure).update(output="It was the green party. Confidence: 90%")
    right = results.filter(score=1).order_by("item__position")
    RunResult.objects.filter(pk__in=list(right.values_list("pk", flat=True)[:30])).update(output="ok Confidence: 95%")
    n_wrong = wrong.count()

    result = confident_and_wrong(variant="acme-7b-dpo", suite="assistant")
    assert result["n_wrong"] == n_wrong
    assert result["confident"] == 10
    assert (result["lower"], result["upper"]) == pytest.approx(wilson_interval(10, n_wrong))
    top = result["by_slice"][0]
    assert top["slice"] == {"dimension": "category", "value": "current_events"}
    assert top["confident"] == 10
    assert result["n_stated_confidence"] == 40
    # All 40 stated confidences fall in the [0.9, 1.0] bin: ECE = |mean confidence − accuracy|.
    assert result["calibration"]["ece"] == pytest.approx(abs((10 * 0.9 + 30 * 0.95) / 40 - 30 / 40))
    assert result["calibration"]["n"] == 40

    client.force_login(UserFactory(role=Role.VIEWER))
    body = client.get("/api/v1/failures/confident-wrong", {"variant": "acme-7b-dpo", "suite": "assistant"}).json()
    assert body["confident"] == 10
    assert body["calibration"]["ece"] == pytest.approx(result["calibration"]["ece"])
    page = client.get("/failures/acme-7b-dpo/?baseline=acme-70b&source=suites&suite=assistant&refresh=1")
    html = page.content.decode()
    assert "Confident and wrong" in html
    assert f'<strong id="ece">{result["calibration"]["ece"]:.3f}</strong>' in html
    assert 'id="chart-reliability"' in html
    # The reliability diagram is a valid plotly figure with the one non-empty bin at its mean confidence.
    figure = page.context["reliability"]
    go.Figure(figure)
    [points] = [t for t in figure["data"] if t["mode"] == "markers"]
    assert points["x"] == [pytest.approx((10 * 0.9 + 30 * 0.95) / 40)]
    assert points["y"] == [pytest.approx(0.75)]


@pytest.mark.django_db
def test_an_unknown_variant_is_404_naming_it(client) -> None:
    client.force_login(UserFactory(role=Role.VIEWER))
    response = client.get("/api/v1/failures/confident-wrong", {"variant": "x"})
    assert response.status_code == 404
    assert response.json()["errors"][0]["field"] == "query.variant"
