"""Latency histogram buckets shared by rollups, the dashboard and the A/B analysis.

``LATENCY_BUCKET_EDGES_MS`` has 101 edges: 0, then 100 log-spaced edges from 1 ms with a ratio of
120,000^(1/63) ≈ 1.204 between neighbours (so a percentile read from the histogram is within ~10 %
of the true value), up to ≈ 95.9 million ms — past the 24 h (86.4 million ms) the events API accepts,
so every accepted latency has its own bucket. (The first 65 edges are those of the earlier 64-bucket
histogram, which stopped at 120 s; migration 0005 extended stored histograms with empty buckets.)
A histogram is a list of ``len(edges) - 1`` = 100 counts where::

    counts[i] = number of events with edges[i] <= latency < edges[i + 1]

except the LAST bucket, which is open-ended: it also holds every latency >= edges[-1] (none, as
accepted latencies stop below it). Negative or missing latencies are not counted (the event is
validated to be >= 0 anyway).
"""

from __future__ import annotations

import bisect
import math

_N_LOG_EDGES = 100
_LOW_MS = 1.0
_RATIO = 120_000.0 ** (1 / 63)  # the spacing of the original 64 edges from 1 ms to 120 s
MAX_LATENCY_MS = 86_400_000  # the events API's upper limit (24 h)

LATENCY_BUCKET_EDGES_MS: tuple[float, ...] = (0.0,) + tuple(
    round(_LOW_MS * _RATIO ** i, 6) for i in range(_N_LOG_EDGES)
)
assert LATENCY_BUCKET_EDGES_MS[-1] > MAX_LATENCY_MS
N_LATENCY_BUCKETS: int = len(LATENCY_BUCKET_EDGES_MS) - 1


def bucket_index(latency_ms: float) -> int:
    """The histogram slot of one latency (see the module docstring for the convention)."""
    if latency_ms is None or math.isnan(latency_ms) or latency_ms < 0:
        raise ValueError(f"latency must be a number >= 0, got {latency_ms!r}")
    i = bisect.bisect_right(LATENCY_BUCKET_EDGES_MS, latency_ms) - 1
    return min(i, N_LATENCY_BUCKETS - 1)


def empty_histogram() -> list[int]:
    return [0] * N_LATENCY_BUCKETS
