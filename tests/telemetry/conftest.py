from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from tests.factories import VariantFactory


@pytest.fixture
def variant(db):
    return VariantFactory(slug="tele-a", endpoint_model="tele-model-a", price_input_per_mtok=Decimal("1"),
                          price_output_per_mtok=Decimal("2"))


@pytest.fixture
def variant_b(db):
    return VariantFactory(slug="tele-b", endpoint_model="tele-model-b", price_input_per_mtok=Decimal("0.5"),
                          price_output_per_mtok=Decimal("1.5"))


def post_events(client: Client, events, **extra):
    import json

    body = events if isinstance(events, (bytes, str)) else json.dumps({"events": events})
    return client.post("/api/v1/events", data=body, content_type="application/json", **extra)


@pytest.fixture
def events_cleanup():
    """For transactional tests: Django's flush skips the unmanaged partitioned events table."""
    yield
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE telemetry_event")
