"""Confident and wrong: the share of wrong answers without hedging (overall, per slice) and stated-confidence
calibration. The hedging detector and the ECE statistics are stood in for here by minimal modules with
their interfaces (``expresses_uncertainty(text) -> bool``, ``expected_calibration_error(conf, correct)``)."""

from __future__ import annotations

import dataclasses
import sys
import types

import pytest

from evalhub.core.models import Role
from evalhub.failures.confidence import Unavailable, confident_and_wrong, stated_confidence
from evalhub.stats.agreement import wilson_interval
from experiments.suites.models import RunResult
from tests.factories import UserFactory


@dataclasses.dataclass(frozen=True)
class _Ece:
    ece: float
    n: int


@pytest.fixture
def detector(monkeypatch):
    hedging = types.ModuleType("evalhub.text.hedging")
    hedging.expresses_uncertainty = lambda text: "not sure" in text.lower() or "maybe" in text.lower()
    calibration = types.ModuleType("evalhub.stats.calibration")
    calibration.expected_calibration_error = lambda conf, correct, bins=10: _Ece(
        abs(sum(conf) / len(conf) - sum(correct) / len(correct)), len(conf))
    monkeypatch.setitem(sys.modules, "evalhub.text.hedging", hedging)
    monkeypatch.setitem(sys.modules, "evalhub.stats.calibration", calibration)


@pytest.mark.parametrize(("text", "expected"), [
    ("The answer is 12. Confidence: 80%", 0.8), ("confidence = 0.35", 0.35), ("I am 90% confident.", 0.9),
    ("No statement here", None), ("Confidence: 250%", None), ("Confidence: 60%. Final confidence: 70%", 0.7),
])
def test_stated_confidence(text, expected) -> None:
    assert stated_confidence(text) == (pytest.approx(expected) if expected is not None else None)


@pytest.mark.django_db
def test_share_of_confident_wrong_answers_overall_per_slice_and_calibration(demo_world, detector, client) -> None:
    wrong = RunResult.objects.filter(run__variant__slug="acme-7b-dpo", run__version__suite__slug="assistant",
                                     score=0).order_by("item__position")
    sure = list(wrong.filter(item__category="current_events").values_list("pk", flat=True)[:10])
    RunResult.objects.filter(pk__in=sure).update(output="It was the green party. Confidence: 90%")
    right = RunResult.objects.filter(run__variant__slug="acme-7b-dpo", run__version__suite__slug="assistant",
                                     score=1).order_by("item__position")
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
    assert result["calibration"] == {"ece": pytest.approx(abs((10 * 0.9 + 30 * 0.95) / 40 - 30 / 40)), "n": 40}

    client.force_login(UserFactory(role=Role.VIEWER))
    body = client.get("/api/v1/failures/confident-wrong", {"variant": "acme-7b-dpo", "suite": "assistant"}).json()
    assert body["confident"] == 10
    page = client.get("/failures/acme-7b-dpo/?baseline=acme-70b&source=suites&suite=assistant&refresh=1")
    assert "Confident and wrong" in page.content.decode()


@pytest.mark.django_db
def test_without_the_detector_the_api_says_so(monkeypatch, client) -> None:
    monkeypatch.setitem(sys.modules, "evalhub.text.hedging", None)  # import fails
    with pytest.raises(Unavailable):
        confident_and_wrong(variant="x")
    client.force_login(UserFactory(role=Role.VIEWER))
    assert client.get("/api/v1/failures/confident-wrong", {"variant": "x"}).status_code == 404
