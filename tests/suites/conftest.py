"""Fast retry backoff for in-process runs (workers: ``start_worker`` in ``tests/conftest.py``)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _fast_backoff(settings) -> None:
    settings.SUITES_RETRY_BACKOFF = 0.01
