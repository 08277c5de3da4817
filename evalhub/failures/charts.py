"""Plotly figures of the failure-modes page, as plotly JSON figure dicts ({"data": [...], "layout": {...}})."""

from __future__ import annotations

from typing import Any

_AXIS = {"gridcolor": "#e5e7eb", "zerolinecolor": "#d1d5db", "linecolor": "#9aa3af", "automargin": True,
         "range": [0, 1]}


def reliability_figure(calibration: dict[str, Any]) -> dict[str, Any]:
    """The reliability diagram of stated confidences: accuracy (with its Wilson 95% interval) against the
    mean stated confidence of each non-empty bin, marker area by answers, and the diagonal a calibrated
    model would follow. ``calibration`` is the JSON of ``evalhub.stats.calibration.CalibrationResult``."""
    bins = [b for b in calibration["bins"] if b["n"] and b["accuracy"] is not None]
    x = [b["mean_confidence"] for b in bins]
    y = [b["accuracy"] for b in bins]
    largest = max((b["n"] for b in bins), default=1)
    title = (f"Reliability of stated confidence: ECE {calibration['ece']:.3f} "
             f"(95% CI {calibration['ece_lower']:.3f}–{calibration['ece_upper']:.3f}), n = {calibration['n']}")
    return {
        "data": [
            {"type": "scatter", "mode": "lines", "x": [0, 1], "y": [0, 1], "name": "calibrated",
             "line": {"dash": "dash", "color": "#9aa3af"}, "hoverinfo": "skip"},
            {"type": "scatter", "mode": "markers", "x": x, "y": y, "name": "stated confidence bins",
             "marker": {"size": [8 + 22 * (b["n"] / largest) ** 0.5 for b in bins], "color": "#2456d3"},
             "error_y": {"type": "data", "symmetric": False,
                         "array": [b["accuracy_upper"] - b["accuracy"] for b in bins],
                         "arrayminus": [b["accuracy"] - b["accuracy_lower"] for b in bins]},
             "customdata": [b["n"] for b in bins],
             "hovertemplate": "confidence %{x:.2f}<br>accuracy %{y:.2f}<br>n = %{customdata}<extra></extra>"},
        ],
        "layout": {
            "title": {"text": title}, "paper_bgcolor": "white", "plot_bgcolor": "white", "height": 420,
            "font": {"family": "system-ui, sans-serif"}, "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
            "legend": {"orientation": "h", "y": -0.2},
            "xaxis": {**_AXIS, "title": {"text": "mean stated confidence"}},
            "yaxis": {**_AXIS, "title": {"text": "share of answers right"}},
        },
    }
