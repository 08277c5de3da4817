"""Plotly figures for suites. Views pass ``fig.to_json()``; tests assert on ``fig.to_dict()``."""

from __future__ import annotations

import plotly.graph_objects as go

from experiments.suites.selectors import FrontierPoint

_LAYOUT = {"margin": {"l": 70, "r": 30, "t": 50, "b": 60}, "template": "plotly_white", "height": 460}
_COLOURS = {"greedy": "#2456d3", "sampling": "#2456d3", "self_consistency": "#a15c07", "best_of_n": "#7a3fb0",
            "reasoning": "#1f8a4c"}


def score_vs_cost(points: list[FrontierPoint], *, title: str) -> go.Figure:
    """One marker per variant: x = mean cost per item (USD, log axis), y = mean score with its 95% CI."""
    fig = go.Figure()
    for strategy in sorted({p.strategy for p in points}):
        group = [p for p in points if p.strategy == strategy]
        fig.add_trace(go.Scatter(
            x=[p.cost_per_item for p in group], y=[p.mean for p in group], mode="markers+text", name=strategy,
            text=[p.variant for p in group], textposition="top center",
            marker={"size": 11, "color": _COLOURS.get(strategy, "#555")},
            error_y={"type": "data", "symmetric": False,
                     "array": [max((p.upper if p.upper is not None else p.mean) - p.mean, 0.0) for p in group],
                     "arrayminus": [max(p.mean - (p.lower if p.lower is not None else p.mean), 0.0) for p in group]},
            customdata=[[p.tokens_per_item, p.run_id] for p in group],
            hovertemplate="%{text}: score %{y:.3f}, $%{x:.6f}/item, %{customdata[0]:.0f} tokens/item<extra></extra>",
        ))
    fig.update_layout(title=title, xaxis_title="cost per item (USD, all samples)", yaxis_title="mean score (95% CI)",
                      xaxis_type="log", yaxis_range=[0, 1.1], **_LAYOUT)
    return fig
