from __future__ import annotations

import pytest

from tests.factories import VariantFactory


@pytest.fixture
def variants(db):
    return VariantFactory(slug="ctrl-v"), VariantFactory(slug="treat-v")
