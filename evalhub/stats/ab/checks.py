"""Trust checks around an experiment: sample ratio mismatch and multiple-testing adjustment."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats

from evalhub.stats._base import StatsError


@dataclass(frozen=True)
class SRMResult:
    """Chi-square goodness of fit of the arm sizes to the planned allocation."""

    statistic: float
    p_value: float
    df: int
    expected: tuple[float, ...]
    threshold: float
    mismatch: bool


def srm_test(
    observed_counts: Sequence[int] | np.ndarray,
    expected_weights: Sequence[float] | np.ndarray,
    *,
    threshold: float = 0.001,
) -> SRMResult:
    """Sample ratio mismatch check (Kohavi et al. 2020, ch. 21; Fabijan et al. 2019).

    With N units and allocation weights w_i (normalised to sum to 1), E_i = N·w_i and::

        χ² = Σ (O_i - E_i)² / E_i,   df = k - 1,   p = P(χ²_{k-1} ≥ χ²)

    (the statistic of ``scipy.stats.chisquare``). ``mismatch`` is p < ``threshold``; the strict
    default 0.001 is the industry convention, since SRM is checked on every experiment.
    """
    obs = np.asarray(observed_counts, dtype=float)
    w = np.asarray(expected_weights, dtype=float)
    if obs.ndim != 1 or obs.shape[0] < 2:
        raise StatsError("observed_counts", "needs at least two arms")
    if not np.all(np.isfinite(obs)) or np.any(obs < 0) or obs.sum() <= 0:
        raise StatsError("observed_counts", "must be non-negative with a positive total")
    if w.shape != obs.shape:
        raise StatsError(
            "expected_weights", f"needs one weight per arm ({obs.shape[0]}), got shape {w.shape}"
        )
    if not np.all(np.isfinite(w)) or np.any(w <= 0):
        raise StatsError("expected_weights", "must be finite and positive")
    if not (0.0 < threshold < 1.0):
        raise StatsError("threshold", f"must be within (0, 1), got {threshold!r}")
    expected = obs.sum() * w / w.sum()
    chi2 = float(np.sum((obs - expected) ** 2 / expected))
    df = obs.shape[0] - 1
    p = float(stats.chi2.sf(chi2, df))
    return SRMResult(
        statistic=chi2,
        p_value=p,
        df=df,
        expected=tuple(float(x) for x in expected),
        threshold=threshold,
        mismatch=p < threshold,
    )


def adjust_pvalues(
    pvalues: Sequence[float] | np.ndarray, method: Literal["holm", "bh"]
) -> np.ndarray:
    """Adjusted p-values, in the input order (equal to statsmodels ``multipletests``).

    With p_(1) ≤ … ≤ p_(m) sorted ascending:

    - ``holm`` (Holm 1979, family-wise error): p̃_(i) = min(1, max_{j≤i} (m-j+1)·p_(j)).
    - ``bh`` (Benjamini & Hochberg 1995, false discovery rate):
      p̃_(i) = min(1, min_{j≥i} m·p_(j)/j).
    """
    p = np.asarray(pvalues, dtype=float)
    if p.ndim != 1 or p.shape[0] == 0:
        raise StatsError("pvalues", "needs a non-empty 1-D sequence")
    if not np.all(np.isfinite(p)) or np.any((p < 0) | (p > 1)):
        raise StatsError("pvalues", "must lie within [0, 1]")
    m = p.shape[0]
    order = np.argsort(p)
    ps = p[order]
    if method == "holm":
        adj = np.maximum.accumulate(ps * np.arange(m, 0, -1))
    elif method == "bh":
        # Divide by j/m (not multiply by m/j) so the floats equal statsmodels' bit for bit.
        adj = np.minimum.accumulate((ps / (np.arange(1, m + 1) / m))[::-1])[::-1]
    else:
        raise StatsError("method", f"must be 'holm' or 'bh', got {method!r}")
    out = np.empty(m)
    out[order] = np.minimum(adj, 1.0)
    return out
