"""Observed win rates carry a Wilson interval: bounded in [0, 1], never zero width at 0% or 100%, equal to
statsmodels' ``proportion_confint(wins + ties/2, battles, method="wilson")`` (tolerance 1e-6: boards
store matrices rounded to 6 decimals)."""

from __future__ import annotations

import pytest
from statsmodels.stats.proportion import proportion_confint

from judging import charts
from judging.leaderboard import OUTCOME_CODE, Cells, compute_board

A, B, C = 1, 2, 3
VARIANTS = {v: {"slug": f"v{v}", "name": f"Variant {v}"} for v in (A, B, C)}


def test_win_rates_at_none_all_and_with_ties_have_wilson_intervals():
    cells = Cells.from_rows([
        (A, B, OUTCOME_CODE["a"], 12),  # A beats B 12 of 12
        (B, C, OUTCOME_CODE["a"], 5), (B, C, OUTCOME_CODE["tie"], 3), (B, C, OUTCOME_CODE["b"], 4),
        (A, C, OUTCOME_CODE["b"], 8),  # A beats C 0 of 8
    ])
    board = compute_board(cells, VARIANTS, label="test", rounds=200)
    assert board["error"] is None
    index = {v["slug"]: i for i, v in enumerate(board["variants"])}

    def cell(row: str, col: str) -> tuple[float, float, float, int]:
        i, j = index[row], index[col]
        return board["win_rate"][i][j], board["win_rate_lower"][i][j], board["win_rate_upper"][i][j], \
            board["win_rate_n"][i][j]

    for (row, col), (successes, n) in {("v1", "v2"): (12, 12), ("v2", "v1"): (0, 12), ("v1", "v3"): (0, 8),
                                       ("v3", "v1"): (8, 8), ("v2", "v3"): (6.5, 12), ("v3", "v2"): (5.5, 12)}.items():
        rate, lower, upper, battles = cell(row, col)
        expected = proportion_confint(successes, n, alpha=0.05, method="wilson")
        assert battles == n
        assert rate == pytest.approx(successes / n, abs=1e-6)
        assert (lower, upper) == pytest.approx(expected, abs=1e-6)  # stored rounded to 6 decimals
        assert 0.0 <= lower < upper <= 1.0
    i = index["v1"]
    assert board["win_rate_lower"][i][i] is None  # a variant never meets itself
    hover = charts.win_rate_heatmap(board).to_dict()["data"][0]
    assert "95% CI" in hover["hovertemplate"]
    assert hover["customdata"][index["v1"]][index["v2"]][2] == 12
