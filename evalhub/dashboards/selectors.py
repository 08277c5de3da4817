"""Reads for the leadership pages: the evidence payload (composed from the apps' selectors through
``sources.SOURCES``), cached and saved ``Report`` rows, scorecard rows, frontier points. Pages render
from the JSON payload so a saved report shows exactly what was seen. Nothing here writes: caching the
payload is ``services.report_current``."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone

from evalhub.core.read_models import as_json
from evalhub.dashboards import dollars, sources, verdict
from evalhub.dashboards.models import DecisionPolicy, Report
from evalhub.dashboards.read_models import PolicyView
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


def cache_key(days: int) -> str:
    return f"v{PAYLOAD_VERSION}:days={days}"


def build_payload(days: int = DEFAULT_DAYS) -> dict:
    """Collect every registered kind of evidence per variant (``sources.SOURCES``) and compute the verdict.

    Each variant row holds the variant's facts plus one entry per source (``row_key``); the payload holds
    each source's page-level facts (``summary_key``). About 12 queries, whatever the amount of data.
    """
    facts = sources.variants()
    query = sources.EvidenceQuery(days=days, variants=tuple(facts))
    evidence = [(source, source.read(query)) for source in sources.SOURCES]
    rows = []
    for f in facts:
        row = as_json(f)
        for source, found in evidence:
            if source.row_key is not None:
                entry = found.by_variant.get(f.id)
                row[source.row_key] = as_json(entry) if entry is not None else source.empty()
        rows.append(row)
    payload: dict = {"version": PAYLOAD_VERSION, "computed_at": timezone.now().isoformat(), "variants": rows}
    for source, found in evidence:
        payload[source.summary_key] = as_json(found.summary)
    payload["verdict"] = {q: as_json(verdict.verdict_for(payload, q, sources.paired_item_scores))
                          for q, _ in quality_options(payload)}
    return payload


def quality_options(payload: dict) -> list[tuple[str, str]]:
    return [("bt", "Human preference (BT score)")] + [(f"suite:{s['slug']}", f"Suite: {s['name']}")
                                                     for s in payload.get("suites", [])]


def cached_report(days: int) -> Report | None:
    """The newest cached (unsaved) payload for ``days``, if any (1 query)."""
    return Report.objects.filter(saved=False, cache_key=cache_key(days)).order_by("-computed_at").first()


def saved_reports(limit: int = 100) -> list[Report]:
    return list(Report.objects.filter(saved=True).select_related("created_by").order_by("-created_at")[:limit])


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
    """Points with both axes measured, the interval-aware Pareto frontier, and what is missing.

    ``frontier`` (cheapest first) is the one computation the table's "on the frontier / dominated by"
    column, the chart's frontier line and the caption all read. ``x_n``/``y_n`` are the sample sizes
    behind each axis (requests; votes counted or items graded)."""
    points, missing = [], []
    for v in payload["variants"]:
        q, x = verdict.quality_of(v, quality), axis_of(v, axis)
        if not q or not x:
            missing.append(v["name"])
            continue
        points.append({"slug": v["slug"], "name": v["name"], "kind": v["improvement_kind"],
                       "x": x["value"], "x_lower": x["lower"], "x_upper": x["upper"], "x_n": x.get("n"),
                       "y": q["value"], "y_lower": q["lower"], "y_upper": q["upper"], "y_n": q.get("n")})
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


# ---------------------------------------------------------------- decision policy


def default_policy(payload: dict) -> PolicyView:
    """The built-in policy (version 0) used until one is saved: every quality the payload measures, equal weights."""
    return PolicyView(0, dollars.default_weights(payload), "built-in default: every measured quality, equal weights",
                      None, None)


def policy_active(payload: dict | None = None) -> PolicyView:
    """The newest saved decision policy (1 query); the built-in default when none is saved."""
    p = DecisionPolicy.objects.select_related("created_by").order_by("-version").first()
    if p is None:
        return default_policy(payload or {})
    return PolicyView(p.version, dict(p.weights), p.note, p.created_by.get_username() if p.created_by else None,
                      p.created_at.isoformat())


def policy_history(limit: int = 20) -> list[DecisionPolicy]:
    return list(DecisionPolicy.objects.select_related("created_by").order_by("-version")[:limit])


def policy_for(payload: dict) -> PolicyView:
    """The policy a page shows ``payload`` under: the one frozen into a saved report, else the active one."""
    frozen = payload.get("policy")
    if frozen:
        return PolicyView(int(frozen["version"]), dict(frozen["weights"]), frozen.get("note", ""),
                          frozen.get("saved_by"), frozen.get("saved_at"))
    return policy_active(payload)
