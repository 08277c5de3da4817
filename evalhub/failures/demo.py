"""Demo data for the failure-modes pages, called by `manage.py demo_data` after the apps' demos: caches every
variant's default analysis so the first page view (and the scorecard's failure-modes column) reads the cache."""

from __future__ import annotations

from evalhub.core.demo import DemoWorld
from evalhub.failures.selectors import refresh_defaults


def build(world: DemoWorld) -> None:
    refresh_defaults()
