"""Plotly figures for the leadership pages, as plotly JSON figure dicts ({"data": [...], "layout": {...}}).

Why dicts rather than ``go.Figure``: building a ``go.Figure`` validates every property on every
request (≈100 ms for the verdict chart, a third of the page budget). The dicts are exactly what
``fig.to_plotly_json()`` would give; the tests pass each through ``go.Figure(fig)`` to prove it is a
valid plotly figure. Labels use the formatters in ``captions`` so every number a caption quotes is
visible on the chart.
"""

from __future__ import annotations

from evalhub.dashboards.captions import fmt_axis, fmt_gain, fmt_multiple, fmt_quality
from evalhub.dashboards.selectors import AXES

FRONTIER_COLOR = "#2456d3"
DOMINATED_COLOR = "#9aa3af"
POST_COLOR = "#16794c"
OTHER_COLOR = "#a15c07"
KIND_SYMBOL = {"pretraining scale": "square", "post-training": "diamond", "test-time compute": "circle",
               "retrieval/tools": "triangle-up"}
_AXIS = {"gridcolor": "#e5e7eb", "zerolinecolor": "#d1d5db", "linecolor": "#9aa3af", "automargin": True}

# Plotly's own download button exports at this size; the page's PNG/SVG buttons use the same.
EXPORT = {"format": "png", "width": 1200, "height": 700, "scale": 2}


def plot_config(filename: str) -> dict:
    return {"displaylogo": False, "responsive": True, "toImageButtonOptions": {**EXPORT, "filename": filename}}


def _layout(title: str, x_title: str, y_title: str, *, x_log: bool = False) -> dict:
    return {
        "title": {"text": title}, "paper_bgcolor": "white", "plot_bgcolor": "white",
        "font": {"family": "system-ui, sans-serif"}, "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
        "height": 460, "legend": {"orientation": "h", "y": -0.2}, "shapes": [], "annotations": [],
        "xaxis": {**_AXIS, "title": {"text": x_title}, **({"type": "log"} if x_log else {})},
        "yaxis": {**_AXIS, "title": {"text": y_title}},
    }


def _err(points: list[dict], lo: str, mid: str, hi: str) -> dict:
    return {"type": "data", "symmetric": False, "array": [max(p[hi] - p[mid], 0.0) for p in points],
            "arrayminus": [max(p[mid] - p[lo], 0.0) for p in points], "thickness": 1}


def _n(n: int | None, what: str) -> str:
    return "" if n is None else f" (n = {n:,} {what})"


def frontier_figure(data: dict, quality_name: str) -> dict:
    """Quality against cost (or latency) with CI bars on both axes; frontier highlighted, dominated named."""
    q, axis = data["quality"], data["axis"]
    traces = []
    layout = _layout(f"{quality_name} vs {AXES[axis]}", AXES[axis], quality_name)
    pts = data["points"]
    by_slug = {p["slug"]: p for p in pts}
    # One trace per (frontier status, improvement kind): each trace draws one marker symbol in one
    # colour, so its legend entry is exactly the marker drawn for its points.
    for on_frontier, status, color, size in ((True, "on the frontier", FRONTIER_COLOR, 13),
                                             (False, "dominated", DOMINATED_COLOR, 9)):
        kinds = [*KIND_SYMBOL, *sorted({p["kind"] for p in pts} - set(KIND_SYMBOL))]
        for kind in kinds:
            group = [p for p in pts if p["on_frontier"] is on_frontier and p["kind"] == kind]
            symbol = KIND_SYMBOL.get(kind, "x")
            if not group:
                continue
            traces.append({
                "type": "scatter", "name": f"{kind}, {status}", "x": [p["x"] for p in group],
                "y": [p["y"] for p in group], "mode": "markers+text", "text": [p["name"] for p in group],
                "textposition": "top center", "marker": {"color": color, "size": size, "symbol": symbol},
                "error_x": _err(group, "x_lower", "x", "x_upper"), "error_y": _err(group, "y_lower", "y", "y_upper"),
                "hovertext": [f"{p['name']} ({p['kind']})<br>{quality_name}: {fmt_quality(p['y'], q)} "
                              f"[{fmt_quality(p['y_lower'], q)}, {fmt_quality(p['y_upper'], q)}]"
                              f"{_n(p.get('y_n'), 'votes counted' if q == 'bt' else 'items')}<br>"
                              f"{AXES[axis]}: {fmt_axis(p['x'], axis)}{_n(p.get('x_n'), 'requests')}" for p in group],
                "hoverinfo": "text",
            })
    # The line joins exactly the variants the table marks "on the frontier" (``data["frontier"]``,
    # cheapest first): where their quality intervals overlap it may fall as cost rises.
    line = [by_slug[s] for s in data["frontier"] if s in by_slug]
    if len(line) > 1:
        traces.append({"type": "scatter", "name": "frontier: not dominated beyond the error bars",
                       "x": [p["x"] for p in line], "y": [p["y"] for p in line], "mode": "lines",
                       "line": {"color": FRONTIER_COLOR, "dash": "dot"}, "hoverinfo": "skip"})
    for p in pts:
        if p["dominated_by"]:
            layout["annotations"].append({"x": p["x"], "y": p["y"], "text": f"dominated by {p['dominated_by_name']}",
                                          "showarrow": True, "arrowhead": 0, "ax": 0, "ay": 28,
                                          "font": {"size": 11, "color": "#5b6573"}})
    return {"data": traces, "layout": layout}


def verdict_figure(section: dict, quality_name: str) -> dict:
    """Quality vs log(test-time compute) on one base: points, fitted curve with its CI band, and every
    post-trained / retrieval / pretraining-scaled variant as a level line with a marker at its
    equivalent compute."""
    q = section["quality"]
    layout = _layout(f"{section['base_model']}: {quality_name} vs test-time compute",
                     "test-time compute (× one greedy sample, log scale)", quality_name, x_log=True)
    traces = []
    fit = section.get("fit")
    if fit:
        curve = fit["curve"]
        xs = [c["compute"] for c in curve]
        traces.append({"type": "scatter", "name": "95% CI of the fit", "x": xs + xs[::-1],
                       "y": [c["upper"] for c in curve] + [c["lower"] for c in curve][::-1], "fill": "toself",
                       "fillcolor": "rgba(36,86,211,0.12)", "line": {"width": 0}, "hoverinfo": "skip"})
        traces.append({"type": "scatter", "name": "fit: quality = a + b·log(compute)", "x": xs,
                       "y": [c["value"] for c in curve], "mode": "lines", "line": {"color": FRONTIER_COLOR},
                       "hoverinfo": "skip"})
        per = fmt_quality(fit["per_doubling"], q) if q == "bt" else f"{fit['per_doubling']:.3f}"
        sign = "+" if fit["per_doubling"] >= 0 else ""
        layout["annotations"].append({"xref": "paper", "yref": "paper", "x": 0.01, "y": 0.99, "showarrow": False,
                                      "align": "left", "text": f"{sign}{per} per doubling of test-time compute"})
    pts = section["points"]
    if pts:
        traces.append({
            "type": "scatter", "name": "test-time compute", "x": [p["compute"] for p in pts],
            "y": [p["value"] for p in pts], "mode": "markers+text", "text": [p["name"] for p in pts],
            "textposition": "bottom right", "marker": {"color": FRONTIER_COLOR, "size": 10},
            "error_y": _err(pts, "lower", "value", "upper"),
            "hovertext": [f"{p['name']}: compute {fmt_multiple(p['compute'])}, {fmt_quality(p['value'], q)} "
                          f"[{fmt_quality(p['lower'], q)}, {fmt_quality(p['upper'], q)}]" for p in pts],
            "hoverinfo": "text",
        })
    top = max([p["compute"] for p in pts] + [1.0])
    x_right = max([top * 4.0] + [g["multiple"] * 1.5 for g in section["gains"] if g["multiple"]])
    for g in section["gains"]:
        color = POST_COLOR if g["kind"] == "post-training" else OTHER_COLOR
        label = f"{g['recipe'] if g['kind'] == 'post-training' else g['name']}: {fmt_gain(g)}"
        layout["shapes"].append({"type": "line", "x0": 1.0, "x1": x_right, "y0": g["value"], "y1": g["value"],
                                 "line": {"color": color, "dash": "dash", "width": 1}})
        # An unbounded multiple (slope not distinguishable from zero) sits at the right edge.
        x = g["multiple"] if g["multiple"] and g["multiple"] > 0 else x_right
        traces.append({
            "type": "scatter", "name": f"{g['name']} ({g['kind']})", "x": [x], "y": [g["value"]],
            "mode": "markers+text", "text": [label], "textposition": "top left",
            "marker": {"color": color, "size": 12, "symbol": KIND_SYMBOL.get(g["kind"], "x")},
            "error_y": {"type": "data", "symmetric": False, "array": [max(g["upper_q"] - g["value"], 0.0)],
                        "arrayminus": [max(g["value"] - g["lower_q"], 0.0)]},
            "hovertext": [f"{g['name']}: {fmt_quality(g['value'], q)}; worth {fmt_gain(g)} test-time compute"],
            "hoverinfo": "text",
        })
    return {"data": traces, "layout": layout}
