"""Page models: query parameters → what a page (or its CSV, or the API) shows, from one payload.

Shared by the views, the CSV exports, the saved-report page and the JSON API so they cannot drift.
"""

from __future__ import annotations

import csv
import io

from evalhub.core.csvsafe import SafeWriter
from evalhub.dashboards import captions, charts, dollars, selectors
from evalhub.dashboards.read_models import PolicyView, ReportParams
from judging import selectors as judging_selectors


class ParamError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


# The pages' query parameters; a saved report keeps them (``Report.params``).
Params = ReportParams


def parse_params(query) -> Params:
    """Validate page parameters; the error names the field (quality/sort are checked per payload)."""
    raw_days = query.get("days") or str(selectors.DEFAULT_DAYS)
    try:
        days = int(raw_days)
    except ValueError:
        raise ParamError("days", f"must be a whole number of days, got {raw_days!r}") from None
    if not 1 <= days <= 90:
        raise ParamError("days", f"must be between 1 and 90, got {days}")
    kind = query.get("kind") or ""
    if kind and kind not in selectors.IMPROVEMENT_KINDS:
        raise ParamError("kind", f"must be one of {', '.join(selectors.IMPROVEMENT_KINDS)}")
    sort = query.get("sort") or "bt"
    if sort not in selectors.SORT_KEYS and not sort.startswith("suite:"):
        raise ParamError("sort", f"must be one of {', '.join(selectors.SORT_KEYS)} or suite:<slug>")
    axis = query.get("axis") or "cost"
    if axis not in selectors.AXES:
        raise ParamError("axis", f"must be one of {', '.join(selectors.AXES)}")
    direction = query.get("dir") or "desc"
    if direction not in ("asc", "desc"):
        raise ParamError("dir", "must be asc or desc")
    return Params(days=days, kind=kind, sort=sort, descending=direction == "desc",
                  quality=query.get("quality") or "bt", axis=axis)


def check_quality(payload: dict, quality: str) -> None:
    options = [q for q, _ in selectors.quality_options(payload)]
    if quality not in options:
        raise ParamError("quality", f"must be one of {', '.join(options)}")


# ---------------------------------------------------------------- scorecard


def scorecard(payload: dict, params: Params) -> dict:
    rows = selectors.scorecard_rows(payload, kind=params.kind, sort=params.sort, descending=params.descending)
    sort_options = [("bt", "human preference"), *[(f"suite:{s['slug']}", s["name"]) for s in payload.get("suites", [])],
                    ("success", "task success"), ("thumbs_up", "thumbs-up"), ("refusal", "refusals"),
                    ("reask", "re-asks"), ("cost", "cost per request"), ("latency", "latency p95"),
                    ("name", "name"), ("kind", "improvement kind")]
    return {"rows": rows, "suites": payload.get("suites", []), "experiments": payload.get("experiments", []),
            "kinds": selectors.IMPROVEMENT_KINDS, "period": payload.get("period", {}), "sort_options": sort_options,
            "preference": payload.get("preference") or {}, "count_definitions": judging_selectors.COUNT_DEFINITIONS}


def _est(e: dict | None, fmt) -> tuple[str, str, str]:
    return ("", "", "") if not e else (fmt(e["value"]), fmt(e["lower"]), fmt(e["upper"]))


def scorecard_csv(payload: dict, params: Params) -> str:
    data = scorecard(payload, params)
    out = io.StringIO()
    w = SafeWriter(csv.writer(out))  # names are free text: no cell may run as a formula
    suites = [s["slug"] for s in data["suites"]]
    header = ["variant", "name", "improvement_kind", "base_model", "compute_multiplier", "bt", "bt_lower", "bt_upper"]
    for s in suites:
        header += [f"suite_{s}", f"suite_{s}_lower", f"suite_{s}_upper"]
    for m in ("success", "thumbs_up", "refusal", "reask"):
        header += [f"{m}_rate", f"{m}_lower", f"{m}_upper"]
    header += ["cost_per_request", "cost_lower", "cost_upper", "latency_p95_ms", "requests"]
    w.writerow(header)
    num = lambda x: f"{x:.6g}"  # noqa: E731
    for r in data["rows"]:
        prod = r.get("production") or {}
        line = [r["slug"], r["name"], r["improvement_kind"], r["base_model"], num(r["compute_multiplier"]),
                *_est(r.get("preference"), num)]
        for s in suites:
            line += _est((r.get("suites") or {}).get(s), num)
        for m in ("success", "thumbs_up", "refusal", "reask"):
            line += _est(prod.get(m), num)
        line += [*_est(prod.get("cost_per_request"), num),
                 num(prod["latency_p95_ms"]["value"]) if prod.get("latency_p95_ms") else "", prod.get("n", "")]
        w.writerow(line)
    return out.getvalue()


# ---------------------------------------------------------------- frontier


def frontier(payload: dict, params: Params) -> dict:
    check_quality(payload, params.quality)
    data = selectors.frontier_data(payload, params.quality, params.axis)
    name = captions.quality_label(params.quality, payload)
    fig = charts.frontier_figure(data, name)
    q, axis = params.quality, params.axis
    for p in data["points"]:
        p["x_display"] = f"{captions.fmt_axis(p['x'], axis)} [{captions.fmt_axis(p['x_lower'], axis)}, " \
                         f"{captions.fmt_axis(p['x_upper'], axis)}]"
        p["y_display"] = f"{captions.fmt_quality(p['y'], q)} [{captions.fmt_quality(p['y_lower'], q)}, " \
                         f"{captions.fmt_quality(p['y_upper'], q)}]"
    return {"data": data, "figure": fig,
            "caption": captions.frontier_caption(data, name), "quality_name": name,
            "axis_name": selectors.AXES[axis], "qualities": selectors.quality_options(payload), "axes": selectors.AXES}


def frontier_csv(payload: dict, params: Params) -> str:
    page = frontier(payload, params)
    out = io.StringIO()
    w = SafeWriter(csv.writer(out))  # names are free text: no cell may run as a formula
    w.writerow(["variant", "name", "improvement_kind", params.axis, f"{params.axis}_lower", f"{params.axis}_upper",
                "quality", "quality_lower", "quality_upper", "on_frontier", "dominated_by", f"{params.axis}_n",
                "quality_n"])
    for p in page["data"]["points"]:
        w.writerow([p["slug"], p["name"], p["kind"], f"{p['x']:.6g}", f"{p['x_lower']:.6g}", f"{p['x_upper']:.6g}",
                    f"{p['y']:.6g}", f"{p['y_lower']:.6g}", f"{p['y_upper']:.6g}", p["on_frontier"],
                    p["dominated_by"] or "", "" if p["x_n"] is None else p["x_n"],
                    "" if p["y_n"] is None else p["y_n"]])
    return out.getvalue()


# ---------------------------------------------------------------- verdict


def overall(payload: dict, policy: PolicyView) -> list[dict]:
    """The overall answer per base model under the decision policy, with every figure's display text."""
    out = []
    for section in dollars.dollar_verdict(payload, policy.weights):
        rows = []
        for r in section["rows"]:
            gain, cost, lat = r.get("gain"), r.get("cost"), r.get("latency")
            rows.append({**r,
                         "gain_display": f"{dollars.signed(gain['value'])} (95% CI "
                                         f"{dollars.interval(gain['lower'], gain['upper'])})" if gain else "—",
                         "cost_display": f"{dollars.money(cost['variant_value'])} vs {dollars.money(cost['base_value'])}: "
                                         f"{'+' if cost['value'] > 0 else ''}{dollars.money(cost['value'])} (95% CI "
                                         f"{dollars.interval(cost['lower'], cost['upper'], dollars.money)})"
                                         if cost else "not measured",
                         "latency_display": f"{dollars.signed(lat['value'])} s (95% CI "
                                            f"{dollars.interval(lat['lower'], lat['upper'])})" if lat else "not measured",
                         "per_dollar_display": dollars.per_cell(r.get("per_dollar"), "$1 per 1,000 "
                                                                f"{(cost or {}).get('unit', 'requests')}"),
                         "per_second_display": dollars.per_cell(r.get("per_second"), "second"),
                         "components": [{**c, "diff_display": f"{dollars.signed(c['diff'])} (95% CI "
                                                              f"{dollars.interval(c['lower'], c['upper'])})",
                                         "value_display": f"{c['value']:.3f} vs {c['base_value']:.3f}"}
                                        for c in r["components"]]})
        out.append({**section, "rows": rows, "headline": dollars.headline(section)})
    return out


def verdict(payload: dict, params: Params, policy: PolicyView | None = None) -> dict:
    check_quality(payload, params.quality)
    policy = policy or selectors.default_policy(payload)
    name = captions.quality_label(params.quality, payload)
    sections = []
    for i, section in enumerate(payload.get("verdict", {}).get(params.quality, [])):
        fig = charts.verdict_figure(section, name)
        sections.append({
            **section,
            "index": i,
            "index_str": str(i),
            "gains": [{**g, "value_display": captions.fmt_quality(g["value"], params.quality)} for g in section["gains"]],
            "head_to_head": _h2h_display(section.get("head_to_head")),
            "figure": fig,
            "caption": captions.verdict_caption(section, name),
            "h2h_caption": captions.head_to_head_caption(section.get("head_to_head")),
            "headline": captions.headline(section),
        })
    return {"sections": sections, "quality_name": name, "qualities": selectors.quality_options(payload),
            "overall": overall(payload, policy), "policy": policy}


def _h2h_display(h2h: dict | None) -> dict | None:
    if not h2h:
        return None
    rows = []
    for r in h2h["rows"]:
        if r["evidence"] == "human preference":
            fmt = lambda x: captions.fmt_quality(x, "bt")  # noqa: E731
            diff = f"{r['diff']:+.0f} (P(post-trained preferred) {captions.fmt_rate(r['win_prob'])})"
        elif r["evidence"] == "production":
            fmt = captions.fmt_rate
            diff = f"{100 * r['diff']:+.1f} pts [{100 * r['lower']:+.1f}, {100 * r['upper']:+.1f}]"
        else:
            fmt = lambda x: captions.fmt_quality(x, "suite")  # noqa: E731
            diff = f"{r['diff']:+.3f} [{r['lower']:+.3f}, {r['upper']:+.3f}]"
        rows.append({**r, "compute_display": fmt(r["compute_value"]), "post_display": fmt(r["post_value"]),
                     "diff_display": diff})
    return {**h2h, "rows": rows}


def verdict_csv(payload: dict, params: Params, policy: PolicyView | None = None) -> str:
    page = verdict(payload, params, policy)
    out = io.StringIO()
    w = SafeWriter(csv.writer(out))  # names are free text: no cell may run as a formula
    w.writerow(["base_model", "table", "variant", "kind_or_evidence", "metric", "value", "lower", "upper",
                "compute_multiple", "multiple_lower", "multiple_upper", "p_value", "favours"])
    g6 = lambda x: "" if x is None else f"{x:.6g}"  # noqa: E731
    for o in page["overall"]:
        for r in o["rows"]:
            for c in r["components"]:
                w.writerow([o["base_model"], f"overall: quality (weight {c['share']:.4g})", r["slug"], r["lever"],
                            c["label"], g6(c["diff"]), g6(c["lower"]), g6(c["upper"]), "", "", "", "", ""])
            for label, key in (("overall: weighted quality gain", "gain"),
                               ("overall: extra $ per 1,000 requests", "cost"),
                               ("overall: extra seconds of latency", "latency")):
                if r.get(key):
                    w.writerow([o["base_model"], label, r["slug"], r["lever"], r[key].get("source", "policy v"
                                f"{page['policy'].version}"), g6(r[key]["value"]), g6(r[key]["lower"]), g6(r[key]["upper"]),
                                "", "", "", "", ""])
            for label, key in (("overall: quality per extra $1 per 1,000 requests", "per_dollar"),
                               ("overall: quality per extra second", "per_second")):
                p = r.get(key)
                if p:
                    w.writerow([o["base_model"], label, r["slug"], r["lever"], p["kind"], g6(p["ratio"]),
                                g6(p["lower"]), g6(p["upper"]), "", "", "", "", ""])
    for s in page["sections"]:
        for g in s["gains"]:
            w.writerow([s["base_model"], "compute-equivalent gain", g["slug"], g["kind"], page["quality_name"],
                        g6(g["value"]), g6(g["lower_q"]), g6(g["upper_q"]), g6(g["multiple"]) or "unbounded",
                        g6(g["lower"]) or "unbounded", g6(g["upper"]) or "unbounded", "", ""])
        for r in (s.get("head_to_head") or {}).get("rows", []):
            w.writerow([s["base_model"], "head-to-head", f"{s['head_to_head']['post']['slug']} vs "
                        f"{s['head_to_head']['compute']['slug']}", r["evidence"], r["metric"], g6(r["diff"]),
                        g6(r["lower"]), g6(r["upper"]), "", "", "", g6(r["p_value"]), r["favours"] or "none"])
    return out.getvalue()
