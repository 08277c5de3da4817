"""Plotly figures for the leaderboard, built from a snapshot board (see ``judging.leaderboard``).

Views pass ``fig.to_json()`` to the template; tests assert on ``fig.to_dict()``.
"""

from __future__ import annotations

import plotly.graph_objects as go

_LAYOUT = {"margin": {"l": 160, "r": 30, "t": 50, "b": 60}, "height": 420}


def forest_plot(board: dict, *, title: str = "Bradley–Terry score with 95% bootstrap CI") -> go.Figure:
    """One row per variant (best at the top), a dot at the score and a bar over the CI."""
    rows = board.get("rows", [])
    labels = [row["slug"] for row in rows]
    scores = [row["score"] for row in rows]
    fig = go.Figure(go.Scatter(
        x=scores, y=labels, mode="markers", name="BT score",
        marker={"size": 9, "color": ["#a15c07" if row["low_data"] else "#2456d3" for row in rows]},
        error_x={"type": "data", "symmetric": False,
                 "array": [row["ci_upper"] - row["score"] for row in rows],
                 "arrayminus": [row["score"] - row["ci_lower"] for row in rows]},
        customdata=[[row["ci_lower"], row["ci_upper"], row["votes"]] for row in rows],
        hovertemplate="%{y}: %{x:.0f} [%{customdata[0]:.0f}, %{customdata[1]:.0f}], %{customdata[2]} votes<extra></extra>",
    ))
    fig.update_layout(title=title, xaxis_title="score (Elo scale)", **_LAYOUT)
    fig.update_yaxes(autorange="reversed")
    return fig


def _heatmap(board: dict, key: str, title: str, colorbar: str) -> go.Figure:
    labels = [variant["slug"] for variant in board.get("variants", [])]
    fig = go.Figure(go.Heatmap(
        z=board.get(key, []), x=labels, y=labels, zmin=0, zmax=1, colorscale="RdBu",
        colorbar={"title": colorbar}, texttemplate="%{z:.2f}",
        hovertemplate="%{y} vs %{x}: %{z:.2f}<extra></extra>",
    ))
    fig.update_layout(title=title, xaxis_title="opponent", yaxis_title="variant", **_LAYOUT)
    fig.update_yaxes(autorange="reversed")
    return fig


def win_rate_heatmap(board: dict) -> go.Figure:
    """Observed share of battles the row variant won against the column variant (ties as ½), with its 95% Wilson
    interval and the number of battles in the hover text (where the snapshot carries them)."""
    fig = _heatmap(board, "win_rate", "Observed win rate (row beats column)", "win rate")
    lower, upper, met = board.get("win_rate_lower"), board.get("win_rate_upper"), board.get("win_rate_n")
    if lower and upper and met:
        fig.update_traces(
            customdata=[[[lo, hi, n] for lo, hi, n in zip(*cells, strict=True)] for cells in zip(lower, upper, met, strict=True)],
            hovertemplate="%{y} vs %{x}: %{z:.2f} [95% CI %{customdata[0]:.2f}, %{customdata[1]:.2f}], "
                          "%{customdata[2]} battles<extra></extra>")
    return fig


def predicted_heatmap(board: dict) -> go.Figure:
    """Bradley–Terry predicted probability that the row variant beats the column variant."""
    return _heatmap(board, "predicted", "Predicted win probability (row beats column)", "P(win)")
