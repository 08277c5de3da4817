"""Bradley–Terry internals shared by ``ratings`` and its helpers.

Input checks, the Newton solver for the Bradley–Terry log-likelihood on an n×n table, the
pair representation used to solve many replicate tables at once, and the identifiability
check on the win graph.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components
from scipy.special import expit

from evalhub.stats._base import StatsError

A_WINS = 0
B_WINS = 1
TIE = 2
TIE_BOTH_BAD = 3


def check_n_variants(n_variants: int) -> int:
    if isinstance(n_variants, bool) or not isinstance(n_variants, (int, np.integer)):
        raise StatsError("n_variants", f"must be an integer, got {n_variants!r}")
    if n_variants <= 0:
        raise StatsError("n_variants", f"must be positive, got {n_variants}")
    return int(n_variants)


def check_index_array(field: str, values: np.ndarray) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise StatsError(field, f"must be one-dimensional, got shape {arr.shape}")
    if (arr.size and not np.issubdtype(arr.dtype, np.integer)
            and (not np.issubdtype(arr.dtype, np.floating) or not np.all(arr == np.round(arr)))):
        raise StatsError(field, "must hold integers")
    return arr.astype(np.int64, copy=False)


def check_battles(
    a: np.ndarray, b: np.ndarray, outcome: np.ndarray, n_variants: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Validate a battle log; return int64 arrays and ``n_variants``."""
    n = check_n_variants(n_variants)
    a = check_index_array("a", a)
    b = check_index_array("b", b)
    outcome = check_index_array("outcome", outcome)
    if b.shape != a.shape:
        raise StatsError("b", f"shape {b.shape} does not match a {a.shape}")
    if outcome.shape != a.shape:
        raise StatsError("outcome", f"shape {outcome.shape} does not match a {a.shape}")
    for field, arr in (("a", a), ("b", b)):
        if arr.size and (arr.min() < 0 or arr.max() >= n):
            raise StatsError(field, f"variant indices must lie in 0..{n - 1}")
    same = np.flatnonzero(a == b)
    if same.size:
        raise StatsError("b", f"battle {int(same[0])} compares variant {int(a[same[0]])} with itself")
    if outcome.size and (outcome.min() < A_WINS or outcome.max() > TIE_BOTH_BAD):
        raise StatsError("outcome", "codes must be A_WINS=0, B_WINS=1, TIE=2 or TIE_BOTH_BAD=3")
    return a, b, outcome, n


def check_table(field: str, table: np.ndarray, n: int | None = None) -> np.ndarray:
    """A square, finite, non-negative float table (optionally of a given size)."""
    arr = np.asarray(table, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
        raise StatsError(field, f"must be a square 2-D table, got shape {arr.shape}")
    if n is not None and arr.shape[0] != n:
        raise StatsError(field, f"must be {n}x{n} to match wins, got {arr.shape}")
    if arr.shape[0] < 2:
        raise StatsError(field, "needs at least two variants")
    if not np.all(np.isfinite(arr)):
        raise StatsError(field, "must be finite")
    if np.any(arr < 0):
        i, j = np.argwhere(arr < 0)[0]
        raise StatsError(field, f"counts must be non-negative, got {arr[i, j]} at ({i}, {j})")
    if np.any(np.diag(arr) != 0):
        raise StatsError(field, "diagonal must be zero (a variant never battles itself)")
    return arr


def check_prior(prior: float) -> float:
    if not math.isfinite(prior) or prior < 0:
        raise StatsError("prior", f"must be finite and non-negative, got {prior!r}")
    return float(prior)


def check_rounds(rounds: int) -> int:
    """A bootstrap round count: an integer ≥ 2."""
    if isinstance(rounds, bool) or not isinstance(rounds, (int, np.integer)) or rounds < 2:
        raise StatsError("rounds", f"must be an integer ≥ 2, got {rounds!r}")
    return int(rounds)


def check_seed(seed: object, *, generator_allowed: bool = False) -> None:
    """A random seed: an integer (or, where accepted, a numpy Generator, checked by the caller)."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        allowed = "an integer or a numpy Generator" if generator_allowed else "an integer"
        raise StatsError("seed", f"must be {allowed}, got {seed!r}")


def check_anchor(anchor: int | None, n: int) -> int | None:
    if anchor is None:
        return None
    if isinstance(anchor, bool) or not isinstance(anchor, (int, np.integer)) or not 0 <= anchor < n:
        raise StatsError("anchor", f"must be a variant index in 0..{n - 1}, got {anchor!r}")
    return int(anchor)


def check_scale(base: float, scale: float) -> None:
    if not (math.isfinite(base) and base > 1.0):
        raise StatsError("base", f"must be finite and > 1, got {base!r}")
    if not (math.isfinite(scale) and scale > 0.0):
        raise StatsError("scale", f"must be finite and positive, got {scale!r}")


def split_ties(wins: np.ndarray, ties: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Decisive wins and the symmetric tie table from a ties-as-halves win table."""
    n = wins.shape[0]
    if ties is None:
        return wins, np.zeros_like(wins)
    ties = check_table("ties", ties, n)
    if not np.allclose(ties, ties.T):
        raise StatsError("ties", "must be symmetric")
    decisive = wins - 0.5 * ties
    if np.any(decisive < -1e-9):
        i, j = np.argwhere(decisive < -1e-9)[0]
        raise StatsError("ties", f"half of the ties at ({i}, {j}) exceed wins there; pass pair_counts output")
    return np.maximum(decisive, 0.0), ties


@dataclass(frozen=True)
class Pairs:
    """The unordered pairs that met, for work over many replicate tables at once.

    ``i < j``; ``w`` = i's wins over j (ties as halves); ``m`` = their battles.
    ``incidence`` is the sparse P×n design D (+1 for i, −1 for j) and ``to_variants`` = Dᵀ,
    both CSR and built once: D·θ gives every pair's θ_i − θ_j and Dᵀ·r sums per-pair
    residuals into per-variant gradients, for a whole (·, R) block in one sparse product.
    """

    n: int
    i: np.ndarray
    j: np.ndarray
    w: np.ndarray
    m: np.ndarray
    incidence: csr_matrix
    to_variants: csr_matrix

    @classmethod
    def from_table(cls, wins: np.ndarray) -> Pairs:
        n = wins.shape[0]
        total = wins + wins.T
        i, j = np.nonzero(np.triu(total, k=1))
        p = i.size
        # Built straight from CSR arrays: row k of D holds +1 at i_k and −1 at j_k.
        incidence = csr_matrix(
            (np.tile([1.0, -1.0], p), np.column_stack([i, j]).ravel(), np.arange(0, 2 * p + 1, 2)),
            shape=(p, n),
        )
        return cls(n=n, i=i, j=j, w=wins[i, j], m=total[i, j], incidence=incidence, to_variants=incidence.T.tocsr())

    def table(self, w: np.ndarray, m: np.ndarray) -> np.ndarray:
        """The n×n win table with these per-pair wins and battles."""
        wins = np.zeros((self.n, self.n))
        wins[self.i, self.j] = w
        wins[self.j, self.i] = m - w
        return wins


def bt_loglik(wins: np.ndarray, theta: np.ndarray) -> float:
    """ℓ(θ) = Σ_{i≠j} W_ij·log σ(θ_i − θ_j) = −Σ W_ij·softplus(θ_j − θ_i), fractional W allowed."""
    x = theta[None, :] - theta[:, None]
    # softplus(x) = max(x, 0) + log1p(e^{−|x|}): stable, and 3× faster than np.logaddexp.
    softplus = np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))
    return float(-np.sum(wins * softplus))


def laplacian(weights: np.ndarray) -> np.ndarray:
    """Σ_{i<j} c_ij·(e_i − e_j)(e_i − e_j)ᵀ = diag(C·1) − C for a symmetric weight table C."""
    out = -weights
    out[np.diag_indices_from(out)] += weights.sum(axis=1)
    return out


def gauge_fixed(info: np.ndarray, prior: float) -> np.ndarray:
    """info + prior·I + κ·11ᵀ/n: positive definite whenever the win graph is connected.

    The BT likelihood is flat along θ + c·1; the gradient is orthogonal to 1, so adding a
    multiple of 11ᵀ leaves the Newton step unchanged on the identified subspace while fixing
    the free direction at "mean zero" (the same solution as dropping a column, then centring).
    """
    n = info.shape[-1]
    kappa = max(float(np.mean(np.diagonal(info))), 1.0)
    out = info + kappa / n
    out[np.diag_indices(n)] += prior
    return out


def bt_information(theta: np.ndarray, total: np.ndarray, prior: float) -> np.ndarray:
    """Gauge-fixed Fisher information Σ_{i<j} N_ij·p_ij(1 − p_ij)(e_i − e_j)(e_i − e_j)ᵀ + prior·I.

    For the logit link the observed and expected information coincide.
    """
    p = expit(theta[:, None] - theta[None, :])
    return gauge_fixed(laplacian(total * p * (1.0 - p)), prior)


def mm_start(wins: np.ndarray, total: np.ndarray, iterations: int = 10) -> np.ndarray:
    """A few Hunter (2004) MM sweeps π_i ← W_i / Σ_j N_ij / (π_i + π_j), centred log-scale.

    MM increases the likelihood monotonically from any start, which puts the strengths in
    the right order of magnitude before Newton's quadratic convergence takes over. Only
    called on strongly connected tables, so every W_i and every denominator is positive.
    """
    won = wins.sum(axis=1)
    pi = np.ones(wins.shape[0])
    for _ in range(iterations):
        pi = won / np.sum(total / (pi[:, None] + pi[None, :]), axis=1)
    theta = np.log(pi)
    return theta - theta.mean()


def newton_bt(
    wins: np.ndarray, theta0: np.ndarray, prior: float, tol: float, max_iter: int
) -> tuple[np.ndarray, int, bool]:
    """Damped Newton ascent on ℓ(θ) − prior·Σθ²/2 for one n×n table; (θ, iterations, converged).

    Step halving keeps every step an ascent, so the concave objective converges from any
    start. It stops after a full step whose Newton decrement λ² = gᵀH⁻¹g has λ²/2 ≤ tol
    (Boyd & Vandenberghe 2004, §9.5.1): λ²/2 bounds the objective gap before that step, and
    in the quadratic regime the step leaves an error of order λ⁴, so no confirming iteration
    is needed. Dense n×n algebra: the information matrix is dense anyway.
    """
    total = wins + wins.T
    theta = np.array(theta0, dtype=np.float64)

    def objective(th: np.ndarray) -> float:
        return bt_loglik(wins, th) - 0.5 * prior * float(th @ th)

    value = objective(theta)
    for iteration in range(1, max_iter + 1):
        p = expit(theta[:, None] - theta[None, :])
        grad = np.sum(wins - total * p, axis=1) - prior * theta
        step = np.linalg.solve(gauge_fixed(laplacian(total * p * (1.0 - p)), prior), grad)
        t = 1.0
        for _ in range(50):
            candidate = objective(theta + t * step)
            if candidate >= value - 1e-12 * abs(value):
                theta, value = theta + t * step, candidate
                break
            t *= 0.5
        else:
            return theta, iteration, True  # no ascent left at machine precision: θ is the optimum
        if t == 1.0 and float(grad @ step) <= 2.0 * tol:
            return theta, iteration, True
    return theta, max_iter, False


def fit_bt(
    wins: np.ndarray, prior: float, tol: float = 1e-10, max_iter: int = 100
) -> tuple[np.ndarray, int, bool]:
    """Penalised BT MLE of a checked table: (mean-zero θ, iterations, converged).

    Raises ``StatsError("wins", …)`` when prior == 0 and no finite MLE exists.
    """
    if prior == 0:
        problem = identifiability_problem(wins)
        if problem is not None:
            raise StatsError("wins", problem)
        theta0 = mm_start(wins, wins + wins.T)
    else:
        theta0 = np.zeros(wins.shape[0])
    theta, iterations, converged = newton_bt(wins, theta0, prior, tol, max_iter)
    return theta - theta.mean(), iterations, converged


def _fmt(group: np.ndarray) -> str:
    return "{" + ", ".join(str(int(v)) for v in group) + "}"


def identifiability_problem(wins: np.ndarray) -> str | None:
    """Why the unpenalised BT MLE does not exist for this table, or None if it does.

    Ford (1957) / Hunter (2004, assumption 1): the MLE is finite iff for every split of the
    variants into two groups, someone in each group beat someone in the other — i.e. the
    directed win graph (edge i→j when i beat j, ties count both ways) is strongly connected.
    """
    graph = csr_matrix(wins > 0)
    n_strong, strong = connected_components(graph, directed=True, connection="strong")
    if n_strong == 1:
        return None
    n_weak, weak = connected_components(graph, directed=True, connection="weak")
    if n_weak > 1:
        groups = " vs ".join(_fmt(np.flatnonzero(weak == g)) for g in range(n_weak))
        return f"comparison graph is disconnected: {groups}; add battles between the groups or a prior"
    # The condensation is a DAG, so some component receives no wins from outside: its members
    # never lost to anyone else and their strengths run off to +∞.
    source = next(
        g for g in range(n_strong) if not np.any(wins[np.ix_(strong != g, strong == g)] > 0)
    )
    members = np.flatnonzero(strong == source)
    if members.size == 1:
        return f"variant {int(members[0])} never lost; add a prior (prior > 0) or more battles"
    others = np.flatnonzero(strong != source)
    return f"variants {_fmt(members)} never lost to {_fmt(others)}; add a prior (prior > 0) or more battles"


def to_scores(
    theta: np.ndarray, base: float, scale: float, anchor: int | None, anchor_value: float
) -> np.ndarray:
    """Elo scale: scale/ln(base)·θ, centred at anchor_value (mean, or the anchor variant)."""
    elo = theta * (scale / math.log(base))
    ref = elo.mean(axis=-1, keepdims=True) if anchor is None else elo[..., anchor : anchor + 1]
    return elo - ref + anchor_value
