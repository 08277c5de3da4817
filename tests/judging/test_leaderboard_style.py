"""Style-controlled board: intervals for the style-adjusted scores (no database needed)."""

from __future__ import annotations

import numpy as np

from evalhub.stats import ratings
from judging.leaderboard import compute_style_board


def _rows(seed: int, n_battles: int, *, ties_only: bool = False) -> list[tuple]:
    rng = np.random.default_rng(seed)
    theta = {10: 0.5, 20: 0.0, 30: -0.5}
    ids = list(theta)
    out = []
    for _ in range(n_battles):
        a, b = rng.choice(ids, 2, replace=False)
        a, b = min(a, b), max(a, b)
        len_a, len_b = rng.integers(50, 800, 2)
        p = 1 / (1 + np.exp(-(theta[a] - theta[b] + 0.8 * (len_a - len_b) / (len_a + len_b + 1))))
        outcome = ratings.TIE if ties_only else (ratings.A_WINS if rng.random() < p else ratings.B_WINS)
        out.append((a, b, outcome, len_a, len_b, 0, 0, 0, 0, 0, 0, 1))
    return out


VARIANTS = {v: {"slug": f"v{v}", "name": f"V{v}"} for v in (10, 20, 30)}


def test_style_board_rows_carry_intervals_around_their_scores():
    board = compute_style_board(_rows(1, 1500), VARIANTS)
    assert board["error"] is None
    assert board["ci_error"] is None
    for row in board["rows"]:
        assert row["ci_lower"] < row["score"] < row["ci_upper"]
    best = board["rows"][0]
    assert best["slug"] == "v10"
    assert best["ci_upper"] - best["ci_lower"] < 150


def test_style_board_with_only_ties_says_not_enough_data_for_intervals():
    board = compute_style_board(_rows(2, 300, ties_only=True), VARIANTS)
    assert board["error"] is None
    assert board["ci_error"]
    assert "tie" in board["ci_error"]
    assert len(board["rows"]) == 3
    assert all(row["ci_lower"] is None for row in board["rows"])


def test_a_coefficient_without_an_estimable_se_is_stored_as_null_not_nan():
    """Three battles can leave a style coefficient's variance estimate non-positive (seed 37): its SE is NaN, and
    a NaN in the snapshot's JSON made PostgreSQL reject the whole leaderboard, so the board was never computed."""
    import json

    board = compute_style_board(_rows(37, 3), VARIANTS)
    assert board["coef"]["length"]["se"] is None
    for seed in range(60):
        json.dumps(compute_style_board(_rows(seed, 3), VARIANTS), allow_nan=False)  # what PostgreSQL accepts
