"""Ratings from pairwise votes: Elo, Bradley–Terry and its intervals, style control, monitoring.

- ``bt``: battle logs to win tables, online Elo, the Bradley–Terry fit (ties as halves, or
  Davidson's model), sandwich intervals and rank intervals;
- ``bootstrap``: percentile-bootstrap intervals, all replicates solved together;
- ``style``: style-controlled Bradley–Terry (per-battle covariates), its sandwich and bootstrap
  intervals, and ``style_board`` — the style-controlled board from grouped battle rows;
- ``monitor``: the next pair to show and reviewers whose votes look anomalous.

Outcome codes: ``A_WINS = 0``, ``B_WINS = 1``, ``TIE = 2``, ``TIE_BOTH_BAD = 3``.
"""

from __future__ import annotations

from evalhub.stats.ratings._core import A_WINS, B_WINS, TIE, TIE_BOTH_BAD
from evalhub.stats.ratings.bootstrap import bootstrap_ci
from evalhub.stats.ratings.bt import (
    BTResult,
    CIResult,
    bradley_terry,
    elo,
    pair_counts,
    predicted_win_matrix,
    rank_intervals,
    sandwich_ci,
    tie_counts,
    win_rate_matrix,
)
from evalhub.stats.ratings.monitor import AnomalyResult, anomalous_reviewers, next_pair, next_pair_probabilities
from evalhub.stats.ratings.style import (
    STYLE_FEATURES,
    StyleBoard,
    StyleBootstrap,
    StyleResult,
    bootstrap_style_ci,
    bradley_terry_style,
    style_board,
    style_features,
)

__all__ = [
    "A_WINS",
    "B_WINS",
    "STYLE_FEATURES",
    "TIE",
    "TIE_BOTH_BAD",
    "AnomalyResult",
    "BTResult",
    "CIResult",
    "StyleBoard",
    "StyleBootstrap",
    "StyleResult",
    "anomalous_reviewers",
    "bootstrap_ci",
    "bootstrap_style_ci",
    "bradley_terry",
    "bradley_terry_style",
    "elo",
    "next_pair",
    "next_pair_probabilities",
    "pair_counts",
    "predicted_win_matrix",
    "rank_intervals",
    "sandwich_ci",
    "style_board",
    "style_features",
    "tie_counts",
    "win_rate_matrix",
]
