from __future__ import annotations

import pytest
from django.db import transaction

from evalhub.core.demo import DemoWorld, build_core
from experiments.suites import demo as suites_demo
from experiments.telemetry import demo as telemetry_demo
from judging import demo as judging_demo


@pytest.fixture(scope="module")
def demo_world(django_db_setup, django_db_blocker):
    """The demo's core, judging, suites and production data (small scale), built once per module and
    rolled back after it."""
    with django_db_blocker.unblock(), transaction.atomic():
        world = DemoWorld(seed=7, scale=0.3)
        build_core(world)
        judging_demo.build(world)
        suites_demo.build(world)
        telemetry_demo.build(world)
        yield world
        transaction.set_rollback(True)
