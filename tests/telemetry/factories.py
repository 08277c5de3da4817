"""Event payload builders for telemetry tests."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

_counter = itertools.count()
BASE_TIME = datetime.now(UTC).replace(minute=10, second=0, microsecond=0) - timedelta(hours=2)


def event(variant: str, **fields: Any) -> dict[str, Any]:
    """A valid event dict (JSON-ready) for ``variant``; override any field."""
    n = next(_counter)
    data: dict[str, Any] = {
        "event_id": f"ev-{n}-{fields.pop('tag', 't')}",
        "timestamp": (BASE_TIME + timedelta(seconds=n % 600)).isoformat(),
        "variant": variant,
        "latency_ms": 400.0,
        "input_tokens": 100,
        "output_tokens": 200,
    }
    data.update(fields)
    if isinstance(data["timestamp"], datetime):
        data["timestamp"] = data["timestamp"].isoformat()
    return data


def batch(variant: str, count: int, **fields: Any) -> list[dict[str, Any]]:
    return [event(variant, **fields) for _ in range(count)]
