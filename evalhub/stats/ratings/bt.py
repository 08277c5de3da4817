"""Ratings from pairwise human votes: online Elo and Bradley–Terry with honest intervals.

A battle log (a, b, outcome) of any length collapses to an n×n table of wins (ties as halves),
and every Bradley–Terry estimate here works on that table, so its cost is independent of
the number of battles. Scores are on the Elo scale used by Chatbot Arena (Chiang et al. 2024,
"Chatbot Arena: An Open Platform for Evaluating LLMs by Human Preference", arXiv:2403.04132):
score = 400/ln(10)·θ + 1000, where P(i beats j) = 1 / (1 + 10^((s_j − s_i)/400)).

Outcome codes: ``A_WINS = 0``, ``B_WINS = 1``, ``TIE = 2``, ``TIE_BOTH_BAD = 3``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import expit
from scipy.stats import norm

from evalhub.stats._base import StatsError, check_level
from evalhub.stats.ratings._core import (
    A_WINS,
    B_WINS,
    TIE,
    TIE_BOTH_BAD,
    bt_information,
    bt_loglik,
    check_anchor,
    check_battles,
    check_prior,
    check_scale,
    check_table,
    fit_bt,
    laplacian,
    split_ties,
    to_scores,
)
from evalhub.stats.ratings._davidson import fit_davidson

# Score for variant a by outcome code: a win, a loss, and both tie codes as half a win.
_SCORE_A = np.array([1.0, 0.0, 0.5, 0.5])


def elo(
    a: np.ndarray,
    b: np.ndarray,
    outcome: np.ndarray,
    n_variants: int,
    *,
    k: float = 4.0,
    base: float = 10.0,
    scale: float = 400.0,
    init: float = 1000.0,
) -> np.ndarray:
    """Online Elo over battles in the given (time) order.

    E_a = 1 / (1 + base^((R_b − R_a)/scale)),  R_a += k(S_a − E_a),  R_b −= k(S_a − E_a),
    S_a = 1, 0 or ½ for a win, loss or either tie code (Elo 1978; Chiang et al. 2024 §4
    use k = 4 so that the rating is stable over a long log). Order-dependent by design: use
    ``bradley_terry`` for an order-free estimate.
    """
    a, b, outcome, n = check_battles(a, b, outcome, n_variants)
    check_scale(base, scale)
    if not (math.isfinite(k) and k >= 0):
        raise StatsError("k", f"must be finite and non-negative, got {k!r}")
    if not math.isfinite(init):
        raise StatsError("init", f"must be finite, got {init!r}")
    ratings = [float(init)] * n
    # A sequential recurrence: each update depends on the previous one, so a plain loop over
    # Python floats (≈1 µs per battle) beats any numpy formulation.
    for ai, bi, s in zip(a.tolist(), b.tolist(), _SCORE_A[outcome].tolist()):
        delta = k * (s - 1.0 / (1.0 + base ** ((ratings[bi] - ratings[ai]) / scale)))
        ratings[ai] += delta
        ratings[bi] -= delta
    return np.array(ratings)


def pair_counts(a: np.ndarray, b: np.ndarray, outcome: np.ndarray, n_variants: int) -> np.ndarray:
    """n×n win table: wins[i, j] = times i beat j; each tie (either code) adds ½ to both cells."""
    cube = _outcome_cube(*check_battles(a, b, outcome, n_variants))
    one_way_ties = cube[..., TIE] + cube[..., TIE_BOTH_BAD]
    return cube[..., A_WINS] + cube[..., B_WINS].T + 0.5 * (one_way_ties + one_way_ties.T)


def tie_counts(a: np.ndarray, b: np.ndarray, outcome: np.ndarray, n_variants: int) -> np.ndarray:
    """Symmetric n×n count of ties (both codes) between each pair, for the Davidson model."""
    cube = _outcome_cube(*check_battles(a, b, outcome, n_variants))
    one_way_ties = cube[..., TIE] + cube[..., TIE_BOTH_BAD]
    return one_way_ties + one_way_ties.T


def _outcome_cube(a: np.ndarray, b: np.ndarray, outcome: np.ndarray, n: int) -> np.ndarray:
    """counts[a, b, outcome] in one bincount pass over the log, shape (n, n, 4)."""
    key = (a * n + b) * 4 + outcome
    return np.bincount(key, minlength=n * n * 4).reshape(n, n, 4).astype(np.float64)


def win_rate_matrix(wins: np.ndarray) -> np.ndarray:
    """Empirical wins[i, j] / (wins[i, j] + wins[j, i]); NaN where the pair never met."""
    w = check_table("wins", wins)
    total = w + w.T
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, w / total, np.nan)


def predicted_win_matrix(scores: np.ndarray, base: float = 10.0, scale: float = 400.0) -> np.ndarray:
    """P(i beats j) = 1 / (1 + base^((s_j − s_i)/scale)) from Elo-scale scores (diagonal ½)."""
    check_scale(base, scale)
    s = np.asarray(scores, dtype=np.float64)
    if s.ndim != 1 or not np.all(np.isfinite(s)):
        raise StatsError("scores", "must be a finite one-dimensional array")
    return expit((s[:, None] - s[None, :]) * math.log(base) / scale)


@dataclass(frozen=True)
class BTResult:
    """A Bradley–Terry fit.

    ``theta`` are natural log-strengths with mean zero; ``scores`` the same on the Elo scale.
    ``log_likelihood`` is unpenalised (Davidson's when ``nu`` is set). ``n_battles[i]``
    counts i's battles; ``low_data`` flags variants with fewer than ``min_battles``.
    """

    scores: np.ndarray
    theta: np.ndarray
    log_likelihood: float
    iterations: int
    converged: bool
    n_battles: np.ndarray
    low_data: np.ndarray
    nu: float | None = None


def bradley_terry(
    wins: np.ndarray,
    *,
    prior: float = 0.0,
    anchor: int | None = None,
    anchor_value: float = 1000.0,
    ties: np.ndarray | None = None,
    davidson: bool = False,
    min_battles: int = 10,
    base: float = 10.0,
    scale: float = 400.0,
    tol: float = 1e-10,
    max_iter: int = 100,
) -> BTResult:
    """Bradley–Terry maximum likelihood on an aggregated win table.

    Model (Bradley & Terry 1952): P(i beats j) = e^{θ_i} / (e^{θ_i} + e^{θ_j}). With W the
    ``pair_counts`` table (ties as ½ + ½) and N = W + Wᵀ the log-likelihood is
    ℓ(θ) = Σ_{i≠j} W_ij·log σ(θ_i − θ_j), identical to the per-battle logistic regression of
    Chiang et al. (2024, §4) with design +1 for a, −1 for b. ``prior`` adds the L2 penalty
    prior·Σθ²/2 (a N(0, 1/prior) prior on each log-strength), which keeps the estimate finite
    when a variant never lost or never won. Fitted by Hunter's (2004) MM sweeps to start,
    then damped Newton on the n×n information matrix.

    ``davidson=True`` replaces ties-as-halves by Davidson's (1970) model, using ``ties``
    (the ``tie_counts`` table): P(i beats j) = π_i/(π_i + π_j + ν√(π_iπ_j)),
    P(tie) = ν√(π_iπ_j)/(…); the fitted ν is returned as ``nu``.

    Scores: scale/ln(base)·θ, shifted so that their mean is ``anchor_value`` or, with
    ``anchor=k``, so that variant k scores exactly ``anchor_value``. Anchoring moves only the
    reference point, but the other variants' intervals (``bootstrap_ci``, ``sandwich_ci``)
    become wider: each is a difference from the anchor and absorbs the anchor's uncertainty,
    while the anchor's own interval collapses to a point.

    ``low_data`` flags variants with fewer than ``min_battles`` battles. Newton stops when
    its decrement λ²/2 (the remaining log-likelihood gain) is at most ``tol``.

    Raises ``StatsError("wins", …)`` when prior == 0 and the MLE does not exist: the
    comparison graph is disconnected, or some group never lost (or never won) to the rest.
    """
    w = check_table("wins", wins)
    n = w.shape[0]
    prior = check_prior(prior)
    anchor = check_anchor(anchor, n)
    check_scale(base, scale)
    decisive, tie_table = split_ties(w, ties)
    if davidson and ties is None:
        raise StatsError("ties", "the Davidson model needs the tie_counts table")
    theta, iterations, converged = fit_bt(w, prior, tol, max_iter)
    loglik = bt_loglik(w, theta)
    nu = None
    if davidson:
        theta, nu, loglik, extra, converged = fit_davidson(decisive, tie_table, theta, prior, tol, max_iter)
        iterations += extra
    battles = (w + w.T).sum(axis=1)
    return BTResult(
        scores=to_scores(theta, base, scale, anchor, anchor_value),
        theta=theta - theta.mean(),
        log_likelihood=loglik,
        iterations=iterations,
        converged=converged,
        n_battles=battles,
        low_data=battles < min_battles,
        nu=nu,
    )


@dataclass(frozen=True)
class CIResult:
    """Per-variant intervals on the Elo scale.

    ``scores`` is the full-data estimate; ``lower``/``upper`` the ``level`` interval;
    ``median`` the bootstrap median (the estimate itself for sandwich intervals); ``se`` the
    standard error (bootstrap standard deviation, or the sandwich SE). ``n_dropped`` counts
    bootstrap replicates without a finite MLE; ``replicates`` is kept on request.
    ``not_enough_data`` holds the reason the data cannot support an interval (every battle a
    tie, too many replicates without a finite MLE, a zero standard error); ``lower``, ``upper``,
    ``median`` and ``se`` are then NaN, never a confident zero-width interval.
    """

    scores: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    median: np.ndarray
    se: np.ndarray
    level: float
    method: str
    n_dropped: int = 0
    replicates: np.ndarray | None = None
    not_enough_data: str | None = None

    @property
    def enough_data(self) -> bool:
        return self.not_enough_data is None


def refuse_ci(scores: np.ndarray, level: float, method: str, reason: str, n_dropped: int = 0) -> CIResult:
    nan = np.full(scores.shape, np.nan)
    return CIResult(scores=scores, lower=nan, upper=nan.copy(), median=nan.copy(), se=nan.copy(), level=level,
                    method=method, n_dropped=n_dropped, not_enough_data=reason)


def degenerate_problem(wins: np.ndarray, ties: np.ndarray | None) -> str | None:
    """Data that carry no information about differences between variants."""
    if ties is not None and np.all(split_ties(wins, ties)[0] <= 0):
        return "every battle is a tie: the data say nothing about which variant is stronger"
    return None


def zero_se_problem(se: np.ndarray, anchor: int | None) -> str | None:
    free = np.ones(se.shape, dtype=bool)
    if anchor is not None:
        free[anchor] = False
    if np.any(free & ~(se > 0)):
        return "a zero standard error: the data cannot tell the variants apart"
    return None


def sandwich_ci(
    wins: np.ndarray,
    *,
    ties: np.ndarray | None = None,
    level: float = 0.95,
    prior: float = 0.0,
    anchor: int | None = None,
    anchor_value: float = 1000.0,
    base: float = 10.0,
    scale: float = 400.0,
) -> CIResult:
    """Huber–White (sandwich) Wald intervals, score ± z·SE (Chiang et al. 2024, §4, eq. 5).

    Per battle between i and j with x = e_i − e_j, p = σ(θ_i − θ_j) and y ∈ {1, 0, ½}, the
    score is s = x(y − p). Aggregated over the cells of the table:
      bread B = Σ_pairs N_ij·p(1−p)·xxᵀ + prior·I          (the Fisher information)
      meat  M = Σ_pairs [D_ij(1−p)² + D_ji·p² + T_ij(½−p)²]·xxᵀ
    with D the decisive wins and T the ties, and Cov(θ̂) = B⁻¹MB⁻¹ on the mean-zero (or
    anchored) gauge — the HC0 covariance of the per-battle logistic regression. Without
    ``ties`` each half-tie counts as half a win and half a loss (D = W), which adds ¼ per tie
    to the meat (conservative).
    """
    fit = bradley_terry(wins, prior=prior, ties=ties, anchor=anchor, anchor_value=anchor_value, base=base, scale=scale)
    level = check_level(level)
    w = check_table("wins", wins)
    problem = degenerate_problem(w, ties)
    if problem:
        return refuse_ci(fit.scores, level, "sandwich", problem)
    n = w.shape[0]
    decisive, tie_table = split_ties(w, ties)
    p = expit(fit.theta[:, None] - fit.theta[None, :])
    bread = bt_information(fit.theta, w + w.T, prior)
    # Per ordered cell (i, j): each of i's wins scores (1 − p_ij)²; a tie scores (½ − p_ij)²
    # but sits in both (i, j) and (j, i) of the symmetric tie table, so half of it in each.
    # cell + cellᵀ is then the per-pair weight of xxᵀ in the meat above.
    cell = decisive * (1 - p) ** 2 + 0.5 * tie_table * (0.5 - p) ** 2
    meat = laplacian(cell + cell.T)
    # The gauge term in the bread only acts along 1, which the meat annihilates (every score
    # sums to zero), so bread⁻¹·meat·bread⁻¹ is the covariance of the mean-zero θ̂.
    bread_inv = np.linalg.inv(bread)
    cov = bread_inv @ meat @ bread_inv
    if anchor is not None:
        to_anchor = np.eye(n) - np.outer(np.ones(n), np.eye(n)[anchor])
        cov = to_anchor @ cov @ to_anchor.T
    se = np.sqrt(np.maximum(np.diag(cov), 0.0)) * scale / math.log(base)
    problem = zero_se_problem(se, anchor)
    if problem:
        return refuse_ci(fit.scores, level, "sandwich", problem)
    half = norm.ppf(0.5 + level / 2) * se
    return CIResult(
        scores=fit.scores,
        lower=fit.scores - half,
        upper=fit.scores + half,
        median=fit.scores,
        se=se,
        level=level,
        method="sandwich",
    )


def rank_intervals(lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Rank intervals from score intervals, shape (n, 2): columns (best, worst).

    best = 1 + #{j : lower_j > upper_i} — the Chatbot Arena rank (Chiang et al. 2024, §6):
    only variants statistically better than i push it down. worst = n − #{j : upper_j < lower_i}.
    """
    lo = np.asarray(lower, dtype=np.float64)
    hi = np.asarray(upper, dtype=np.float64)
    if lo.ndim != 1:
        raise StatsError("lower", f"must be one-dimensional, got shape {lo.shape}")
    if hi.shape != lo.shape:
        raise StatsError("upper", f"shape {hi.shape} does not match lower {lo.shape}")
    if np.any(np.isnan(lo)):
        raise StatsError("lower", "must not be NaN (an interval that could not be computed has no rank)")
    if np.any(np.isnan(hi)):
        raise StatsError("upper", "must not be NaN (an interval that could not be computed has no rank)")
    if np.any(lo > hi):
        raise StatsError("upper", "must be ≥ lower for every variant")
    better = np.sum(lo[None, :] > hi[:, None], axis=1)
    worse = np.sum(hi[None, :] < lo[:, None], axis=1)
    return np.column_stack([1 + better, lo.size - worse])
