from __future__ import annotations

import pytest

from evalhub.core.demo import DemoWorld, build_core
from evalhub.dashboards import demo
from evalhub.dashboards.models import Report

pytestmark = pytest.mark.django_db


def test_demo_build_caches_the_payload_and_saves_one_report():
    world = DemoWorld(seed=3)
    build_core(world)
    demo.build(world)
    demo.build(world)  # idempotent: still one demo report
    saved = Report.objects.get(saved=True)
    assert saved.title == demo.DEMO_REPORT_TITLE
    assert saved.created_by == world.users["viewer"]
    assert {v["slug"] for v in saved.payload["variants"]} == set(world.variants)
    assert Report.objects.filter(saved=False).count() == 1


def test_demo_data_finds_each_apps_demo_in_installed_apps_order():
    from evalhub.core.management.commands.demo_data import app_demos

    assert app_demos() == ["judging.demo", "experiments.suites.demo", "experiments.telemetry.demo",
                           "experiments.abtests.demo", "evalhub.failures.demo", "evalhub.dashboards.demo"]
