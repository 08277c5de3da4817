"""Running a judging campaign: which pair to show next, and which reviewers to distrust."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit
from scipy.stats import chi2, false_discovery_control

from evalhub.stats._base import StatsError
from evalhub.stats.ratings._core import A_WINS, B_WINS, check_battles, check_prior, check_table, fit_bt


def next_pair_probabilities(wins: np.ndarray, *, prior: float = 0.01) -> np.ndarray:
    """Sampling probability of each pair (upper triangle, i < j; zero elsewhere).

    Active sampling of Chiang et al. (2024, §5): P(a) ∝ √(Σ_a/|H_a|) − √(Σ_a/(|H_a| + 1)),
    the expected shrinkage of pair a's confidence-interval width from one more battle. Here
    exactly: Σ_ij = p̂_ij(1 − p̂_ij), the per-battle outcome variance of the pair under a
    Bradley–Terry fit with L2 ``prior`` (so sparse or lopsided tables still have finite
    p̂), and |H_ij| = N_ij + 1 — the pair's battles plus one pseudo-battle, so a pair never
    shown gets the largest finite weight √Σ(1 − 1/√2) instead of an infinite one.
    """
    w = check_table("wins", wins)
    theta = fit_bt(w, check_prior(prior))[0]
    p = expit(theta[:, None] - theta[None, :])
    sigma = p * (1 - p)
    seen = w + w.T + 1.0
    weight = np.sqrt(sigma / seen) - np.sqrt(sigma / (seen + 1.0))
    weight = np.triu(weight, k=1)
    return weight / weight.sum()


def next_pair(wins: np.ndarray, rng: np.random.Generator, *, prior: float = 0.01) -> tuple[int, int]:
    """Draw one pair (i, j), i < j, from ``next_pair_probabilities``."""
    probs = next_pair_probabilities(wins, prior=prior)
    flat = rng.choice(probs.size, p=probs.ravel())
    i, j = divmod(int(flat), probs.shape[0])
    return i, j


@dataclass(frozen=True)
class AnomalyResult:
    """Per reviewer (in ``reviewers`` order): votes, Fisher statistic, p-values, flag.

    ``p_value`` is Fisher's combination of the reviewer's per-vote p-values; ``p_adjusted``
    the Benjamini–Hochberg adjustment across reviewers; ``flagged`` = p_adjusted < alpha.
    """

    reviewers: np.ndarray
    n_votes: np.ndarray
    statistic: np.ndarray
    p_value: np.ndarray
    p_adjusted: np.ndarray
    flagged: np.ndarray
    alpha: float


def anomalous_reviewers(
    reviewer: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    outcome: np.ndarray,
    n_variants: int,
    *,
    alpha: float = 0.05,
    seed: int | np.random.Generator = 0,
) -> AnomalyResult:
    """Flag reviewers whose votes disagree with everyone else's (Chiang et al. 2024, §5.1).

    Each vote on pair {i, j} has outcome o ∈ {i won, j won, tie}. Its p-value is the
    smoothed conformal rank of o among the pair's votes from *other* reviewers plus itself:
    with c the others' outcome counts, c' = c + e_o and U ~ Uniform(0, 1),
        p = (Σ_{o' : c'_{o'} < c'_o} c'_{o'} + U·Σ_{o' : c'_{o'} = c'_o} c'_{o'}) / (|H| + 1),
    the chance that an exchangeable vote is rarer than this one, ties in rarity broken at
    random. For an honest reviewer (votes exchangeable with the others') p is exactly
    Uniform(0, 1) — the deterministic version is so conservative on three outcomes that it
    cannot flag a random clicker. A reviewer's votes combine by Fisher's method,
    X = −2 Σ log p ~ χ²_{2k} (as scipy.stats.combine_pvalues(method="fisher")), and the
    per-reviewer p-values are adjusted across reviewers with Benjamini–Hochberg, which
    controls the expected share of honest reviewers among those flagged. ``seed`` fixes U.
    """
    a, b, outcome, n = check_battles(a, b, outcome, n_variants)
    ids = np.asarray(reviewer)
    if ids.shape != a.shape:
        raise StatsError("reviewer", f"shape {ids.shape} does not match a {a.shape}")
    if not 0.0 < alpha < 1.0:
        raise StatsError("alpha", f"must lie strictly between 0 and 1, got {alpha!r}")
    reviewers, who = np.unique(ids, return_inverse=True)
    who = who.ravel()
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    lo_won = np.where(a < b, outcome == A_WINS, outcome == B_WINS)
    hi_won = np.where(a < b, outcome == B_WINS, outcome == A_WINS)
    kind = np.select([lo_won, hi_won], [0, 1], 2)
    _, pair = np.unique(lo * n + hi, return_inverse=True)
    pair = pair.ravel()
    n_pairs = int(pair.max()) + 1 if pair.size else 0
    everyone = np.bincount(pair * 3 + kind, minlength=3 * n_pairs).reshape(n_pairs, 3)
    _, cell = np.unique(who * n_pairs + pair, return_inverse=True)
    cell = cell.ravel()
    n_cells = int(cell.max()) + 1 if cell.size else 0
    own = np.bincount(cell * 3 + kind, minlength=3 * n_cells).reshape(n_cells, 3)
    counts = everyone[pair] - own[cell]
    counts[np.arange(kind.size), kind] += 1
    mine = counts[np.arange(kind.size), kind][:, None]
    rarer = np.sum(np.where(counts < mine, counts, 0), axis=1)
    as_rare = np.sum(np.where(counts == mine, counts, 0), axis=1)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    # U ∈ (0, 1]: keeps every p-value positive, so log p is finite.
    u = 1.0 - rng.random(kind.size)
    p_vote = (rarer + u * as_rare) / counts.sum(axis=1)
    n_votes = np.bincount(who, minlength=reviewers.size)
    statistic = np.bincount(who, -2.0 * np.log(p_vote), minlength=reviewers.size)
    p_value = chi2.sf(statistic, 2 * n_votes)
    p_adjusted = false_discovery_control(p_value, method="bh")
    return AnomalyResult(
        reviewers=reviewers,
        n_votes=n_votes,
        statistic=statistic,
        p_value=p_value,
        p_adjusted=p_adjusted,
        flagged=p_adjusted < alpha,
        alpha=float(alpha),
    )
