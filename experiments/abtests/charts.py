"""Plotly figures for the results page: lift with its interval per metric, and lift over time."""

from __future__ import annotations

import math

import plotly.graph_objects as go

from experiments.abtests.models import ResultSnapshot
from experiments.abtests.selectors import Results

GOOD, BAD, FLAT = "#16794c", "#b42318", "#5b6573"


def _pct(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else 100.0 * x


def lift_figure(results: Results) -> go.Figure:
    """Relative lift vs control (%) with its interval, one row per metric × treatment arm.

    Green/red = significantly better/worse after the multiple-testing adjustment (direction-aware).
    """
    labels, x, lo, hi, colors, texts = [], [], [], [], [], []
    for r in results.metrics:
        c = r.reading
        if c is None or not c.enough_data or not math.isfinite(c.relative_lift):
            continue
        labels.append(f"{r.label} · {r.arm}{' (guardrail)' if r.role == 'guardrail' else ''}")
        x.append(_pct(c.relative_lift))
        lo.append(_pct(c.relative_lift) - _pct(c.relative_lift_ci[0]))
        hi.append(_pct(c.relative_lift_ci[1]) - _pct(c.relative_lift))
        better = (c.lift > 0) == r.higher_is_better
        colors.append(FLAT if not r.significant else (GOOD if better else BAD))
        texts.append(f"{'sequential' if r.used == 'sequential' else 'fixed horizon'}; "
                     f"p adj = {r.p_adjusted:.3g}" if r.p_adjusted is not None else "")
    fig = go.Figure(go.Scatter(
        x=x, y=labels, mode="markers", marker={"color": colors, "size": 11},
        error_x={"type": "data", "symmetric": False, "array": hi, "arrayminus": lo, "thickness": 2},
        text=texts, hovertemplate="%{y}<br>lift %{x:.2f}%<br>%{text}<extra></extra>", name="relative lift",
    ))
    fig.add_vline(x=0, line={"color": "#888", "dash": "dash"})
    fig.update_layout(title="Lift vs control (relative, with interval)", xaxis_title="relative lift (%)",
                      margin={"l": 260, "r": 20, "t": 50, "b": 50}, height=120 + 45 * max(1, len(labels)),
                      showlegend=False)
    return fig


def history_figure(snapshots: list[ResultSnapshot], metric: str) -> go.Figure:
    """Relative lift of ``metric`` and its interval per daily snapshot, one line per treatment arm.

    Each day shows the interval the decision read that day (sequential before the planned sample,
    fixed horizon after), so the band is honest to look at every day.
    """
    series: dict[str, dict[str, list]] = {}
    for snap in snapshots:
        for m in snap.payload.get("metrics", []):
            if m.get("metric") != metric:
                continue
            c = m.get(m.get("used") or "fixed") or m.get("fixed")
            if not c or c.get("relative_lift") is None or None in (c.get("relative_lift_ci") or [None]):
                continue  # no relative lift, or not enough data that day
            s = series.setdefault(m["arm"], {"day": [], "lift": [], "lo": [], "hi": []})
            s["day"].append(snap.day.isoformat())
            s["lift"].append(_pct(c["relative_lift"]))
            s["lo"].append(_pct(c["relative_lift_ci"][0]))
            s["hi"].append(_pct(c["relative_lift_ci"][1]))
    fig = go.Figure()
    for arm, s in series.items():
        fig.add_trace(go.Scatter(x=s["day"] + s["day"][::-1], y=s["hi"] + s["lo"][::-1], fill="toself",
                                 fillcolor="rgba(36,86,211,0.15)", line={"width": 0}, hoverinfo="skip",
                                 name=f"{arm} interval"))
        fig.add_trace(go.Scatter(x=s["day"], y=s["lift"], mode="lines+markers", name=f"{arm} lift",
                                 hovertemplate="%{x}<br>lift %{y:.2f}%<extra></extra>"))
    fig.add_hline(y=0, line={"color": "#888", "dash": "dash"})
    fig.update_layout(title=f"Lift of {metric} over time (relative, with interval)", xaxis_title="day",
                      yaxis_title="relative lift (%)", margin={"l": 60, "r": 20, "t": 50, "b": 50}, height=380)
    return fig
