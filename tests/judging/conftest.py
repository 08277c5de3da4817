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


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Judging tests create many reviewers; PBKDF2's deliberate slowness adds seconds per test and
    # proves nothing here (core's tests cover real hashing).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
