"""Proportions at 0 of n and n of n, read where users read them: bounded in [0, 1], never zero width, and equal to
statsmodels' Wilson interval (``proportion_confint(method="wilson")``, tolerance 1e-12)."""

from __future__ import annotations

import pytest
from django.utils import timezone
from statsmodels.stats.proportion import proportion_confint

from experiments.telemetry.buckets import bucket_index, empty_histogram
from experiments.telemetry.models import HourlyRollup
from tests.factories import VariantFactory
from tests.suites.factories import ResultFactory, RunFactory, make_version

pytestmark = pytest.mark.django_db


def _wilson(successes: int, n: int) -> tuple[float, float]:
    lower, upper = proportion_confint(successes, n, alpha=0.05, method="wilson")
    return float(lower), float(upper)


def _check(est: dict, successes: int, n: int) -> None:
    assert est["n"] == n
    assert est["value"] == successes / n
    assert (est["lower"], est["upper"]) == pytest.approx(_wilson(successes, n), abs=1e-12)
    assert 0.0 <= est["lower"] < est["upper"] <= 1.0


def test_production_rates_at_none_and_all_have_wilson_intervals_on_every_surface(viewer_client):
    variant = VariantFactory()
    hist = empty_histogram()
    hist[bucket_index(300.0)] += 40
    HourlyRollup.objects.create(
        hour=timezone.now().replace(minute=0, second=0, microsecond=0), variant=variant, n=40, latency_n=40,
        latency_sum=12_000.0, latency_sum_sq=3_600_000.0, latency_hist=hist, cost_sum=0.04, cost_sum_sq=0.00004,
        refusals=0, reasks=25, reask_detectable=25, feedback_n=10, thumbs_up=0, success_n=40, successes=40)
    api = viewer_client.get("/api/v1/production?period=7d").json()["variants"][0]
    _check(api["refusal_rate"], 0, 40)
    _check(api["reask_rate"], 25, 25)
    _check(api["thumbs_up_rate"], 0, 10)
    _check(api["success_rate"], 40, 40)
    row = viewer_client.get("/api/v1/dashboards/scorecard?refresh=1").json()["rows"][0]
    prod = row["production"]
    _check(prod["refusal"], 0, 40)
    _check(prod["reask"], 25, 25)
    _check(prod["thumbs_up"], 0, 10)
    _check(prod["success"], 40, 40)


@pytest.mark.parametrize(("groups", "units"), [(False, 12), (True, 6)])
def test_a_perfect_suite_run_has_the_wilson_interval_of_its_items_or_groups(viewer_client, groups, units):
    """12 items all passed: Wilson at 12 of 12; in 6 groups of 2, Wilson at 6 of 6 (each group one unit)."""
    version = make_version(12, slug="perfect", groups=groups)
    run = RunFactory(version=version, finished_at=timezone.now(), n_items=12)
    for item in version.items.all():
        ResultFactory(run=run, item=item, score=1.0, passed=True)
    row = viewer_client.get("/api/v1/dashboards/scorecard?refresh=1").json()["rows"][0]
    entry = row["suites"]["perfect"]
    lower, upper = _wilson(units, units)
    assert entry["value"] == 1.0
    assert entry["lower"] == pytest.approx(lower, abs=1e-12)
    assert entry["upper"] == pytest.approx(upper, abs=1e-12)
    assert entry["lower"] < 1.0
    # The run page's interval is the same one.
    overall = viewer_client.get(f"/api/v1/suites/runs/{run.pk}").json()["overall"]
    assert (overall["lower"], overall["upper"]) == pytest.approx((entry["lower"], entry["upper"]), abs=1e-12)


@pytest.mark.parametrize(("groups", "units"), [(False, 10), (True, 5)])
@pytest.mark.parametrize("passed", [True, False])
def test_suite_pass_rates_at_none_and_all_have_the_wilson_interval(viewer_client, groups, units, passed):
    """The run page's and run API's pass rates: 10 items (or 5 groups of 2) all passed or all failed."""
    version = make_version(10, slug="passes", groups=groups)
    run = RunFactory(version=version, finished_at=timezone.now(), n_items=10)
    for item in version.items.all():
        ResultFactory(run=run, item=item, score=1.0 if passed else 0.0, passed=passed)
    overall = viewer_client.get(f"/api/v1/suites/runs/{run.pk}").json()["overall"]
    lower, upper = _wilson(units if passed else 0, units)
    assert overall["pass_rate"] == (1.0 if passed else 0.0)
    assert (overall["pass_lower"], overall["pass_upper"]) == pytest.approx((lower, upper), abs=1e-12)
    assert 0.0 <= overall["pass_lower"] < overall["pass_upper"] <= 1.0
    page = viewer_client.get(f"/suites/runs/{run.pk}/").content.decode()
    assert f"95% CI [{lower:.3f}, {upper:.3f}]" in page
