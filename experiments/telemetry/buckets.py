"""Latency histogram buckets shared by rollups, the dashboard and the A/B analysis.

``LATENCY_BUCKET_EDGES_MS`` has 65 edges: 0, then 64 log-spaced edges from 1 ms to 120,000 ms
(ratio ≈ 1.2 between neighbours, so a percentile read from the histogram is within ~10 % of the
true value). A histogram is a list of ``len(edges) - 1`` = 64 counts where::

    counts[i] = number of events with edges[i] <= latency < edges[i + 1]

except the LAST bucket, which is open-ended: it also holds every latency >= edges[-1]
(the ``edges[-1]`` = 120 s bound is nominal, used only for interpolation). Negative or missing
latencies are not counted (the event is validated to be >= 0 anyway).
"""

from __future__ import annotations

import bisect
import math

_N_LOG_EDGES = 64
_LOW_MS = 1.0
_HIGH_MS = 120_000.0

LATENCY_BUCKET_EDGES_MS: tuple[float, ...] = (0.0,) + tuple(
    round(_LOW_MS * (_HIGH_MS / _LOW_MS) ** (i / (_N_LOG_EDGES - 1)), 6) for i in range(_N_LOG_EDGES)
)
N_LATENCY_BUCKETS: int = len(LATENCY_BUCKET_EDGES_MS) - 1


def bucket_index(latency_ms: float) -> int:
    """The histogram slot of one latency (see the module docstring for the convention)."""
    if latency_ms is None or math.isnan(latency_ms) or latency_ms < 0:
        raise ValueError(f"latency must be a number >= 0, got {latency_ms!r}")
    i = bisect.bisect_right(LATENCY_BUCKET_EDGES_MS, latency_ms) - 1
    return min(i, N_LATENCY_BUCKETS - 1)


def empty_histogram() -> list[int]:
    return [0] * N_LATENCY_BUCKETS
