"""Plotly figures of the production dashboard (views pass JSON; tests read the figure dict).

Figures are built as plain plotly figure dicts and serialised with ``plotly.io.to_json(...,
validate=False)``: plotly's object validation cost ~15 ms per figure, half the dashboard's budget.
``go.Figure(spec)`` (used in tests) validates the same dicts, so they stay valid plotly.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import plotly.io as pio

from experiments.telemetry.selectors import SeriesPoint, VariantMetrics

SERIES_METRICS: dict[str, tuple[str, str]] = {
    "n": ("Requests", "requests"),
    "latency_p95": ("Latency p95", "ms"),
    "refusal_rate": ("Refusal rate", "share of calls"),
    "reask_rate": ("Re-ask rate", "share of answers re-asked"),
    "thumbs_up_rate": ("Thumbs-up rate", "share of rated calls"),
    "cost_per_request": ("Cost per successful request", "USD"),
    "error_rate": ("Error rate", "share of calls that failed"),
}


def figure_json(spec: dict[str, Any]) -> str:
    return pio.to_json(spec, validate=False)


def timeseries_spec(series: dict[str, list[SeriesPoint]], metric: str) -> dict[str, Any]:
    """One line per variant of ``metric`` over time (a plotly figure dict)."""
    title, unit = SERIES_METRICS[metric]
    yaxis: dict[str, Any] = {"title": {"text": unit}}
    if metric.endswith("_rate"):
        yaxis.update(tickformat=".0%", rangemode="tozero")
    return {
        "data": [{"type": "scatter", "x": [p.at.isoformat() for p in points], "y": [getattr(p, metric) for p in points],
                  "mode": "lines+markers", "name": slug, "connectgaps": False} for slug, points in series.items()],
        "layout": {"title": {"text": title}, "yaxis": yaxis, "xaxis": {"title": {"text": "time (UTC)"}},
                   "margin": {"l": 60, "r": 20, "t": 50, "b": 50}, "legend": {"orientation": "h", "y": -0.25},
                   "hovermode": "x unified"},
    }


def timeseries_figure(series: dict[str, list[SeriesPoint]], metric: str) -> go.Figure:
    return go.Figure(timeseries_spec(series, metric))


def comparison_figure(rows: list[VariantMetrics], metric: str) -> go.Figure:
    """A rate per variant with its 95 % interval as error bars (one small figure: validated)."""
    labels = {"refusal_rate": "Refusal rate", "reask_rate": "Re-ask rate", "thumbs_up_rate": "Thumbs-up rate",
              "success_rate": "Task success rate"}
    shown = [r for r in rows if getattr(r, metric).value is not None]
    estimates = [getattr(r, metric) for r in shown]
    fig = go.Figure(go.Bar(
        x=[r.slug for r in shown], y=[e.value for e in estimates],
        error_y={"type": "data", "symmetric": False,
                 "array": [(e.upper or e.value) - e.value for e in estimates],
                 "arrayminus": [e.value - (e.lower or e.value) for e in estimates]},
        name=labels[metric],
    ))
    fig.update_layout(title=f"{labels[metric]} with 95% CI", yaxis_tickformat=".0%",
                      margin={"l": 60, "r": 20, "t": 50, "b": 80})
    return fig
