from __future__ import annotations

import pytest

from tests.dashboards.factories import World, build_world


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings) -> None:
    # PBKDF2 costs ~1 s per user on a loaded CI box and these tests create several users each.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db) -> World:
    return build_world()
