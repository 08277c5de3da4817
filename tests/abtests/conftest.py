from __future__ import annotations

import itertools

import pytest
from django.contrib.auth.models import User
from django.test import Client

from evalhub.core.models import ApiKeyScope, Role
from evalhub.core.services import api_key_create, roles_ensure
from tests.factories import VariantFactory

_seq = itertools.count()


def fast_user(role: str | None = None) -> User:
    """A user without a password hash (PBKDF2 costs ~1 s on a busy CI box; these tests log in by force)."""
    user = User.objects.create(username=f"ab-user-{next(_seq)}")
    if role:
        user.groups.add(roles_ensure()[role])
    return user


@pytest.fixture
def owner(db) -> User:
    return fast_user(Role.ENGINEER)


@pytest.fixture
def eng_client(owner) -> Client:
    client = Client()
    client.force_login(owner)
    return client


@pytest.fixture
def view_client(db) -> Client:
    client = Client()
    client.force_login(fast_user(Role.VIEWER))
    return client


@pytest.fixture
def reviewer_only_client(db) -> Client:
    client = Client()
    client.force_login(fast_user(Role.REVIEWER))
    return client


@pytest.fixture
def variants(db):
    return VariantFactory(slug="ctrl-v"), VariantFactory(slug="treat-v")


def _key_client(owner: User, scopes: list[str]) -> Client:
    _, raw = api_key_create(owner=owner, name="test", scopes=scopes)
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


@pytest.fixture
def ingest_client(owner) -> Client:
    return _key_client(owner, [ApiKeyScope.INGEST])


@pytest.fixture
def read_client(owner) -> Client:
    return _key_client(owner, [ApiKeyScope.READ])
