"""Davidson (1970) tie model for Bradley–Terry, fitted by damped Newton on (θ, log ν)."""

from __future__ import annotations

import math

import numpy as np

from evalhub.stats._base import StatsError
from evalhub.stats.ratings._core import gauge_fixed, laplacian


def _terms(
    d: np.ndarray, lam: float, w: np.ndarray, loss: np.ndarray, t: np.ndarray
) -> tuple[float, np.ndarray, float, np.ndarray, np.ndarray, float]:
    """Log-likelihood and derivatives for each pair, in d = θ_i − θ_j and λ = log ν.

    With Z = e^{d/2} + e^{−d/2} + ν:  P(i wins) = e^{d/2}/Z, P(j wins) = e^{−d/2}/Z,
    P(tie) = ν/Z  (Davidson 1970, eq. 2.1 divided through by √(π_i π_j)).
    ℓ = w·d/2 − l·d/2 + t·λ − m·log Z, m = w + l + t, so
    ∂ℓ/∂d = (w − l)/2 − m(P_i − P_j)/2,      ∂ℓ/∂λ = t − m·P_t,
    ∂²ℓ/∂d² = −m[(P_i + P_j) − (P_i − P_j)²]/4,
    ∂²ℓ/∂d∂λ = m(P_i − P_j)P_t/2,            ∂²ℓ/∂λ² = −m·P_t(1 − P_t).
    """
    m = w + loss + t
    log_z = np.logaddexp(np.logaddexp(d / 2, -d / 2), lam)
    p_i = np.exp(d / 2 - log_z)
    p_j = np.exp(-d / 2 - log_z)
    p_t = np.exp(lam - log_z)
    loglik = float(np.sum((w - loss) * d / 2 + t * lam - m * log_z))
    g_d = (w - loss) / 2 - m * (p_i - p_j) / 2
    g_lam = float(np.sum(t - m * p_t))
    h_dd = -m * ((p_i + p_j) - (p_i - p_j) ** 2) / 4
    h_dl = m * (p_i - p_j) * p_t / 2
    h_ll = float(-np.sum(m * p_t * (1 - p_t)))
    return loglik, g_d, g_lam, h_dd, h_dl, h_ll


def fit_davidson(
    decisive: np.ndarray,
    ties: np.ndarray,
    theta0: np.ndarray,
    prior: float,
    tol: float,
    max_iter: int,
) -> tuple[np.ndarray, float, float, int, bool]:
    """Maximise the Davidson log-likelihood − prior·Σθ²/2. Returns (θ, ν, ℓ, iterations, converged)."""
    total_ties = float(np.sum(np.triu(ties, 1)))
    total_decisive = float(np.sum(decisive))
    if total_ties == 0:
        raise StatsError("ties", "no ties recorded, so Davidson's ν is 0; use davidson=False")
    if total_decisive == 0:
        raise StatsError("ties", "every battle is a tie, so Davidson's ν is infinite")
    n = decisive.shape[0]
    i, j = np.nonzero(np.triu(decisive + decisive.T + ties, k=1))
    w, loss, t = decisive[i, j], decisive[j, i], ties[i, j]

    def to_variants(per_pair: np.ndarray) -> np.ndarray:
        return np.bincount(i, per_pair, n) - np.bincount(j, per_pair, n)

    def pair_laplacian(per_pair: np.ndarray) -> np.ndarray:
        weights = np.zeros((n, n))
        weights[i, j] = per_pair
        weights[j, i] = per_pair
        return laplacian(weights)

    # Start from the tie rate among equals: P(tie | d = 0) = ν / (2 + ν).
    rate = total_ties / (total_ties + total_decisive)
    x = np.r_[theta0, math.log(2 * rate / (1 - rate))]

    def objective(params: np.ndarray) -> tuple[float, np.ndarray, float, np.ndarray, np.ndarray, float]:
        th = params[:n]
        out = _terms(th[i] - th[j], params[n], w, loss, t)
        return (out[0] - 0.5 * prior * float(th @ th), *out[1:])

    value, g_d, g_lam, h_dd, h_dl, h_ll = objective(x)
    converged = False
    iterations = 0
    for iterations in range(1, max_iter + 1):  # noqa: B007 - the count is reported after the loop
        grad = np.r_[to_variants(g_d) - prior * x[:n], g_lam]
        info = np.zeros((n + 1, n + 1))
        info[:n, :n] = gauge_fixed(pair_laplacian(-h_dd), prior)
        cross = -to_variants(h_dl)
        info[:n, n] = cross
        info[n, :n] = cross
        info[n, n] = -h_ll
        step = np.linalg.solve(info, grad)
        scale = 1.0
        for _ in range(50):
            cand = objective(x + scale * step)
            if cand[0] >= value - 1e-12 * abs(value):
                x = x + scale * step
                value, g_d, g_lam, h_dd, h_dl, h_ll = cand
                break
            scale *= 0.5
        else:
            scale = 0.0  # no ascent left at machine precision: x is the optimum
        if np.max(np.abs(scale * step)) <= tol * (1.0 + np.max(np.abs(x))):
            converged = True
            break
    theta = x[:n]
    loglik = value + 0.5 * prior * float(theta @ theta)
    return theta, math.exp(x[n]), loglik, iterations, converged
