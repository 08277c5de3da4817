from __future__ import annotations

import pytest

from tests.judging.factories import active_campaign


@pytest.fixture
def campaign(db):
    return active_campaign()
