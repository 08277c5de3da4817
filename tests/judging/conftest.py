from __future__ import annotations

import pytest

from evalhub.core.models import Role
from tests.factories import UserFactory
from tests.judging.factories import active_campaign


@pytest.fixture
def campaign(db):
    return active_campaign()


@pytest.fixture
def reviewers(db):
    return [UserFactory(role=Role.REVIEWER) for _ in range(4)]
