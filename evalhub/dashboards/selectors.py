"""Reads for the leadership pages: the evidence payload (cached in ``Report`` rows), scorecard rows,
frontier points. Pages render from the JSON payload so a saved report shows exactly what was seen."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.utils import timezone

from evalhub.dashboards import sources, verdict
from evalhub.dashboards.models import Report
from evalhub.stats import StatsError
from evalhub.stats.scaling import Point, pareto_frontier

PAYLOAD_VERSION = 1
DEFAULT_DAYS = 7
IMPROVEMENT_KINDS = ("pretraining scale", "post-training", "test-time compute", "retrieval/tools")
AXES = {"cost": "cost per request (USD)", "latency": "latency p95 (ms)"}

SORT_KEYS = {
    "name": lambda r: r["name"].lower(),
    "kind": lambda r: r["improvement_kind"],
    "bt": lambda r: _v(r.get("preference")),
    "success": lambda r: _v((r.get("production") or {}).get("success")),
    "thumbs_up": lambda r: _v((r.get("production") or {}).get("thumbs_up")),
    "refusal": lambda r: _v((r.get("production") or {}).get("refusal")),
    "reask": lambda r: _v((r.get("production") or {}).get("reask")),
    "cost": lambda r: _v((r.get("production") or {}).get("cost_per_request")),
    "latency": lambda r: _v((r.get("production") or {}).get("latency_p95_ms")),
}


def _v(est: dict | None) -> float:
    return float("-inf") if not est else float(est["value"])


def cache_seconds() -> int:
    """After this many seconds a cached payload is served once more while a refresh is enqueued."""
    return int(getattr(settings, "DASHBOARDS_CACHE_SECONDS", 300))


def max_stale_seconds() -> int:
    """Past this age a cached payload is not served at all: the request recomputes it."""
    return int(getattr(settings, "DASHBOARDS_MAX_STALE_SECONDS", 3600))


def cache_key(days: int) -> str:
    return f"v{PAYLOAD_VERSION}:days={days}"


def _jsonable(obj):
    if dataclasses.is_dataclass(obj):
        return {k: _jsonable(v) for k, v in dataclasses.asdict(obj).items()}
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, dt.datetime):
        return obj.isoformat()
    if isinstance(obj, float) and obj != obj:  # NaN is not JSON
        return None
    return obj


def build_payload(days: int = DEFAULT_DAYS) -> dict:
    """Collect every kind of evidence per variant and compute the verdict (≈12 queries)."""
    facts = sources.variants()
    slug_to_id = {f.slug: f.id for f in facts}
    pref = sources.preference(slug_to_id)
    suite_rows = sources.suite_scores()
    prod = sources.production(days)
    experiments = sources.running_experiments({f.id: f.slug for f in facts})
    suites: dict[str, str] = {}
    rows = []
    for f in facts:
        row = _jsonable(f)
        est = pref.scores.get(f.id)
        row["preference"] = _jsonable(est) if est else None
        row["suites"] = {}
        for s in suite_rows:
            if s.variant_id == f.id:
                suites[s.suite_slug] = s.suite_name
                row["suites"][s.suite_slug] = {
                    **_jsonable(s.score), "suite_name": s.suite_name, "run_id": s.run_id, "version_id": s.version_id,
                    "cost": _jsonable(s.cost_per_item), "latency_mean_ms": s.latency_mean_ms,
                }
        p = prod.by_variant.get(f.id)
        row["production"] = _jsonable(p) if p else None
        rows.append(row)
    payload = {
        "version": PAYLOAD_VERSION,
        "computed_at": timezone.now().isoformat(),
        "period": {"start": _jsonable(prod.start), "end": _jsonable(prod.end), "days": days},
        "preference": {"computed_at": _jsonable(pref.computed_at), "n_judgments": pref.n_judgments},
        "variants": rows,
        "suites": [{"slug": k, "name": v} for k, v in sorted(suites.items())],
        "experiments": _jsonable(experiments),
    }
    payload["verdict"] = {q: _jsonable(verdict.verdict_for(payload, q, sources.paired_item_scores))
                          for q, _ in quality_options(payload)}
    return payload


def quality_options(payload: dict) -> list[tuple[str, str]]:
    return [("bt", "Human preference (BT score)")] + [(f"suite:{s['slug']}", f"Suite: {s['name']}")
                                                     for s in payload.get("suites", [])]


def current_report(days: int = DEFAULT_DAYS, *, refresh: bool = False) -> Report:
    """The cached evidence payload (stale-while-revalidate).

    Fresh (< ``DASHBOARDS_CACHE_SECONDS``): served. Stale but younger than
    ``DASHBOARDS_MAX_STALE_SECONDS``: served, and ``dashboards_refresh_task`` is enqueued (at most
    once a minute per process) so the next viewer gets new numbers without paying for them.
    Missing, too old, or ``refresh``: computed in the request.
    """
    key = cache_key(days)
    if not refresh:
        cached = Report.objects.filter(saved=False, cache_key=key).order_by("-computed_at").first()
        if cached is not None:
            age = (timezone.now() - cached.computed_at).total_seconds()
            if age < cache_seconds():
                return cached
            if age < max_stale_seconds():
                _enqueue_refresh(days)
                return cached
    return refresh_cache(days)


def _enqueue_refresh(days: int) -> None:
    from django.core.cache import cache
    from django.db import transaction

    from evalhub.dashboards.tasks import dashboards_refresh_task

    if cache.add(f"dashboards:refresh-pending:{days}", 1, timeout=60):
        transaction.on_commit(lambda: dashboards_refresh_task.delay(days=days))


def refresh_cache(days: int = DEFAULT_DAYS) -> Report:
    payload = build_payload(days)
    key = cache_key(days)
    report = Report.objects.create(saved=False, cache_key=key, params={"days": days},
                                   computed_at=dt.datetime.fromisoformat(payload["computed_at"]), payload=payload)
    # Keep the cache table small: only the newest unsaved row per key is ever read.
    Report.objects.filter(saved=False, cache_key=key, computed_at__lt=report.computed_at).delete()
    return report


# ---------------------------------------------------------------- scorecard


def scorecard_rows(payload: dict, *, kind: str = "", sort: str = "bt", descending: bool = True) -> list[dict]:
    """Rows filtered by improvement kind and sorted; variants without the sort value go last either way."""
    rows = [r for r in payload["variants"] if not kind or r["improvement_kind"] == kind]
    key = SORT_KEYS.get(sort)
    if key is None and sort.startswith("suite:"):
        slug = sort.removeprefix("suite:")
        key = lambda r: _v((r.get("suites") or {}).get(slug))  # noqa: E731
    key = key or SORT_KEYS["bt"]
    if sort in ("name", "kind"):
        return sorted(rows, key=lambda r: (key(r), r["slug"]), reverse=descending)
    known = [r for r in rows if key(r) != float("-inf")]
    unknown = sorted((r for r in rows if key(r) == float("-inf")), key=lambda r: r["slug"])
    return sorted(known, key=lambda r: (key(r), r["slug"]), reverse=descending) + unknown


# ---------------------------------------------------------------- frontier


def axis_of(variant: dict, axis: str) -> dict | None:
    prod = variant.get("production") or {}
    return prod.get("cost_per_request") if axis == "cost" else prod.get("latency_p95_ms")


def frontier_data(payload: dict, quality: str, axis: str) -> dict:
    """Points with both axes measured, the interval-aware Pareto frontier, and what is missing."""
    points, missing = [], []
    for v in payload["variants"]:
        q, x = verdict.quality_of(v, quality), axis_of(v, axis)
        if not q or not x:
            missing.append(v["name"])
            continue
        points.append({"slug": v["slug"], "name": v["name"], "kind": v["improvement_kind"],
                       "x": x["value"], "x_lower": x["lower"], "x_upper": x["upper"],
                       "y": q["value"], "y_lower": q["lower"], "y_upper": q["upper"]})
    frontier, dominated_by = _frontier(points)
    names = {p["slug"]: p["name"] for p in points}
    for p in points:
        p["on_frontier"] = p["slug"] in frontier
        p["dominated_by"] = dominated_by.get(p["slug"])
        p["dominated_by_name"] = names.get(dominated_by.get(p["slug"], ""))
    return {"quality": quality, "axis": axis, "points": points, "frontier": frontier, "missing": missing}


def _frontier(points: Iterable[dict]) -> tuple[list[str], dict[str, str]]:
    pts = list(points)
    if not pts:
        return [], {}
    try:
        result = pareto_frontier([
            Point(p["slug"], max(p["x"], 0.0), p["y"], max(min(p["x_lower"], p["x"]), 0.0), max(p["x_upper"], p["x"]),
                  min(p["y_lower"], p["y"]), max(p["y_upper"], p["y"]))
            for p in pts
        ])
    except StatsError:
        return [], {}
    return list(result.frontier), dict(result.dominated_by)
