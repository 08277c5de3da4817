"""Demo data for this app, called by `manage.py demo_data`."""

from __future__ import annotations

from evalhub.core.demo import DemoWorld


def build(world: DemoWorld) -> None:
    """Add this app's part of the simulated demo world."""
