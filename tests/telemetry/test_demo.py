"""The demo's simulated traffic covers every demo variant and reflects the world's truth."""

from __future__ import annotations

import pytest

from evalhub.core.demo import DemoWorld, build_core
from evalhub.core.world import VARIANTS
from experiments.telemetry import demo, selectors
from experiments.telemetry.models import Event, HourlyRollup

pytestmark = pytest.mark.django_db


def test_demo_traffic_for_every_variant_and_idempotent():
    world = DemoWorld(scale=0.05)
    build_core(world)
    demo.build(world)
    count = Event.objects.count()
    rows = {r.slug: r for r in selectors.variant_metrics(period=selectors.period_for("7d"))}
    assert set(rows) == {v.slug for v in VARIANTS}
    assert rows["acme-7b-think-8k"].latency_mean.value > 2 * rows["acme-7b"].latency_mean.value  # truth: 3200 vs 450 ms
    assert sum(r.reask_rate.value for r in rows.values()) > 0
    assert sum(r.refusal_rate.value for r in rows.values()) > 0
    demo.build(world)
    assert Event.objects.count() == count
    assert HourlyRollup.objects.exists()
