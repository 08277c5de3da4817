"""Telemetry's reads for other apps: the one histogram-sum query and per-variant production quality."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from evalhub.stats.ab import quantile_ci_from_histogram
from experiments.telemetry import selectors
from experiments.telemetry.buckets import LATENCY_BUCKET_EDGES_MS, bucket_index, empty_histogram
from experiments.telemetry.models import HourlyRollup
from experiments.telemetry.read_models import ProductionWindow
from tests.factories import VariantFactory

pytestmark = pytest.mark.django_db

HOUR = dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC)


def _rollup(variant, hour: dt.datetime, latencies: list[float], *, arm: str = "", key: str = "") -> HourlyRollup:
    hist = empty_histogram()
    for x in latencies:
        hist[bucket_index(x)] += 1
    return HourlyRollup.objects.create(hour=hour, variant=variant, experiment_key=key, arm=arm, n=len(latencies),
                                       latency_n=len(latencies), latency_hist=hist)


def test_latency_histograms_sum_the_rollups_element_wise_per_group():
    a, b = VariantFactory(), VariantFactory()
    rng = np.random.default_rng(3)
    rows = [_rollup(v, HOUR - dt.timedelta(hours=h), list(rng.lognormal(6, 1, 50)), arm=arm, key="exp")
            for h, (v, arm) in enumerate([(a, "control"), (a, "control"), (b, "treatment"), (a, "treatment")])]
    _rollup(a, HOUR - dt.timedelta(days=9), [5.0] * 7, arm="control", key="other")  # another experiment
    by_arm = selectors.latency_histograms(group_by="arm", where="experiment_key = %s", params=["exp"])
    for arm in ("control", "treatment"):
        expected = np.sum([r.latency_hist for r in rows if r.arm == arm], axis=0)
        assert by_arm[arm] == expected.tolist()
    by_variant = selectors.latency_histograms(group_by="variant_id", where="hour >= %s AND hour <= %s",
                                              params=[HOUR - dt.timedelta(days=1), HOUR])
    assert by_variant[b.pk] == rows[2].latency_hist
    assert sum(by_variant[a.pk]) == 150
    with pytest.raises(ValueError, match="group_by"):
        selectors.latency_histograms(group_by="variant_id; DROP TABLE x", where="true", params=[])


def test_production_by_variant_reads_the_production_pages_window():
    now = HOUR + dt.timedelta(minutes=30)
    assert selectors.production_by_variant(days=7, now=now) == ProductionWindow(None, None, 7)
    v = VariantFactory()
    latencies = [100.0 + i for i in range(200)]
    _rollup(v, HOUR, latencies[:120])
    _rollup(v, HOUR - dt.timedelta(hours=5), latencies[120:])
    _rollup(v, HOUR - dt.timedelta(days=8), [9_000.0] * 50)  # before the window
    window = selectors.production_by_variant(days=7, now=now)
    period = selectors.period_for("7d", now=now)
    assert (window.start, window.end) == (period.since, period.until)
    assert (window.start, window.end) == (HOUR + dt.timedelta(hours=1) - dt.timedelta(days=7), HOUR + dt.timedelta(hours=1))
    # Data that stopped more than a window ago is not shown as current (the production page shows none either).
    assert selectors.production_by_variant(days=7, now=now + dt.timedelta(days=8)) == ProductionWindow(None, None, 7)
    (prod,) = window.variants
    assert prod.n == 200
    assert prod.success is None
    assert prod.refusal is not None
    assert prod.refusal.value == 0.0
    hist = np.zeros(len(LATENCY_BUCKET_EDGES_MS) - 1)
    for x in latencies:
        hist[bucket_index(x)] += 1
    value, lower, upper = quantile_ci_from_histogram(hist, LATENCY_BUCKET_EDGES_MS, 0.95)
    assert prod.latency_p95_ms is not None
    assert prod.latency_p95_ms.n == 200
    assert (prod.latency_p95_ms.value, prod.latency_p95_ms.lower, prod.latency_p95_ms.upper) == pytest.approx(
        (value, lower, upper))
