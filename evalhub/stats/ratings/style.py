"""Style control: Bradley–Terry with per-battle covariates (Chiang et al. 2024; LMSYS 2024).

Longer or more heavily formatted answers win more votes regardless of substance. Adding the
style differences as covariates to the battle-level logistic regression separates "which
model" from "which style", and the variant coefficients become style-adjusted strengths.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix
from scipy.special import expit
from scipy.stats import norm

from evalhub.stats._base import StatsError, check_count, check_level
from evalhub.stats.ratings._core import (
    A_WINS,
    B_WINS,
    TIE,
    check_anchor,
    check_battles,
    check_prior,
    check_rounds,
    check_scale,
    check_seed,
    identifiability_problem,
    to_scores,
)

STYLE_FEATURES = ("length", "headers", "lists", "bold")


def _count_array(field: str, values: np.ndarray, size: int | None) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise StatsError(field, f"must be one-dimensional, got shape {arr.shape}")
    if size is not None and arr.size != size:
        raise StatsError(field, f"has {arr.size} entries, expected {size}")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise StatsError(field, "must be finite and non-negative")
    return arr


def style_features(
    len_a: np.ndarray,
    len_b: np.ndarray,
    headers_a: np.ndarray | None = None,
    headers_b: np.ndarray | None = None,
    lists_a: np.ndarray | None = None,
    lists_b: np.ndarray | None = None,
    bold_a: np.ndarray | None = None,
    bold_b: np.ndarray | None = None,
) -> np.ndarray:
    """Per-battle style covariates, shape (n_battles, k), columns in ``STYLE_FEATURES`` order.

    Each feature is the normalised difference (a − b)/(a + b + 1) — bounded in (−1, 1), odd
    under swapping a and b, and with the +1 keeping 0-vs-0 counts at 0 — then standardised to
    mean 0 and standard deviation 1 over the log, as in the Arena style-control notebook
    (LMSYS, "Does style matter?", 2024). Markdown counts are optional but come in a/b pairs;
    omitted features are left out of the matrix.
    """
    size = None
    columns = []
    given = (("len", len_a, len_b), ("headers", headers_a, headers_b), ("lists", lists_a, lists_b), ("bold", bold_a, bold_b))
    for name, side_a, side_b in given:
        if side_a is None and side_b is None:
            continue
        if side_a is None or side_b is None:
            raise StatsError(f"{name}_a" if side_a is None else f"{name}_b", f"{name}_a and {name}_b go together")
        x_a = _count_array(f"{name}_a", side_a, size)
        size = x_a.size
        x_b = _count_array(f"{name}_b", side_b, size)
        diff = (x_a - x_b) / (x_a + x_b + 1.0)
        sd = diff.std()
        if not sd > 0:
            raise StatsError(f"{name}_a", "the a−b difference is constant, so it cannot be standardised")
        columns.append((diff - diff.mean()) / sd)
    return np.column_stack(columns)


@dataclass(frozen=True)
class StyleResult:
    """Style-adjusted Bradley–Terry fit.

    ``scores``/``theta`` are the variant strengths with the covariates held at zero (the
    average style after standardisation); ``coef[k]`` is the log-odds change per standard
    deviation of feature k, ``coef_se`` its model-based standard error.

    ``se``/``lower``/``upper`` are the scores' robust (sandwich, HC0) standard errors and Wald
    intervals at ``level`` on the Elo scale, as ``sandwich_ci`` for the plain model (Chiang et al.
    2024, eq. 5); ``not_enough_data`` says why they are NaN (every battle a tie, or a zero SE).
    """

    scores: np.ndarray
    theta: np.ndarray
    coef: np.ndarray
    coef_se: np.ndarray
    log_likelihood: float
    iterations: int
    converged: bool
    se: np.ndarray | None = None
    lower: np.ndarray | None = None
    upper: np.ndarray | None = None
    level: float = 0.95
    not_enough_data: str | None = None


def bradley_terry_style(
    a: np.ndarray,
    b: np.ndarray,
    outcome: np.ndarray,
    features: np.ndarray,
    n_variants: int,
    *,
    prior: float = 0.0,
    anchor: int | None = None,
    anchor_value: float = 1000.0,
    base: float = 10.0,
    scale: float = 400.0,
    tol: float = 1e-10,
    max_iter: int = 100,
    level: float = 0.95,
) -> StyleResult:
    """Contextual Bradley–Terry: logit P(a beats b) = θ_a − θ_b + βᵀz (Chiang et al. 2024).

    The battle-level logistic regression with design [e_a − e_b, z] and y = 1, 0, ½ for a
    win, loss or tie, fitted by damped Newton. Battles are first put in canonical order
    (a < b; swapping negates z and flips y) and identical rows merged, so repeated
    (pair, style) combinations cost one row. ``prior`` puts prior·Σθ²/2 on the strengths
    only. The information matrix is assembled blockwise from sparse products, never as a
    dense battles×parameters design.

    Score intervals: the sandwich covariance B⁻¹MB⁻¹ of the battle-level regression, with B the
    Fisher information and M = Σ_rows [Σ_b (y_b − p)²]·x xᵀ over the merged rows (x = [e_a − e_b, z]),
    i.e. HC0, robust to over-dispersion and to the ½-coded ties. ``bootstrap_style_ci`` gives
    FastChat's percentile-bootstrap alternative.
    """
    a, b, outcome, n = check_battles(a, b, outcome, n_variants)
    level = check_level(level)
    z = np.asarray(features, dtype=np.float64)
    if z.ndim == 1:
        z = z[:, None]
    if z.ndim != 2 or z.shape[0] != a.size:
        raise StatsError("features", f"must have shape ({a.size}, k), got {np.shape(features)}")
    if not np.all(np.isfinite(z)):
        raise StatsError("features", "must be finite")
    empty = np.flatnonzero(~np.any(z != 0, axis=0))
    if empty.size:
        raise StatsError("features", f"column {int(empty[0])} is all zero, so its coefficient is not identified")
    prior = check_prior(prior)
    anchor = check_anchor(anchor, n)
    check_scale(base, scale)
    y = np.select([outcome == A_WINS, outcome == B_WINS], [1.0, 0.0], 0.5)
    if prior == 0:
        table = np.zeros((n, n))
        np.add.at(table, (a, b), y)
        np.add.at(table, (b, a), 1.0 - y)
        problem = identifiability_problem(table)
        if problem is not None:
            raise StatsError("outcome", problem)
    swap = a > b
    lo, hi = np.where(swap, b, a), np.where(swap, a, b)
    z = np.where(swap[:, None], -z, z)
    y = np.where(swap, 1.0 - y, y)
    rows, inverse = np.unique(np.column_stack([lo, hi, z]), axis=0, return_inverse=True)
    inverse = inverse.ravel()
    count = np.bincount(inverse, minlength=rows.shape[0]).astype(np.float64)
    y_sum = np.bincount(inverse, y, minlength=rows.shape[0])
    y_sq_sum = np.bincount(inverse, y * y, minlength=rows.shape[0])
    lo_u, hi_u, z_u = rows[:, 0].astype(np.int64), rows[:, 1].astype(np.int64), rows[:, 2:]
    k = z_u.shape[1]
    u = rows.shape[0]
    design = csr_matrix((np.r_[np.ones(u), -np.ones(u)], (np.r_[np.arange(u), np.arange(u)], np.r_[lo_u, hi_u])), shape=(u, n))

    def objective(x: np.ndarray) -> float:
        eta = design @ x[:n] + z_u @ x[n:]
        return float(y_sum @ eta - count @ np.logaddexp(0.0, eta) - 0.5 * prior * x[:n] @ x[:n])

    def derivatives(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Gradient and gauge-fixed Fisher information of the penalised log-likelihood."""
        eta = design @ x[:n] + z_u @ x[n:]
        p = expit(eta)
        r = y_sum - count * p
        c = count * p * (1 - p)
        grad = np.r_[design.T @ r - prior * x[:n], z_u.T @ r]
        info = np.empty((n + k, n + k))
        info[:n, :n] = (design.T @ design.multiply(c[:, None])).toarray()
        info[:n, n:] = design.T @ (c[:, None] * z_u)
        info[n:, :n] = info[:n, n:].T
        info[n:, n:] = z_u.T @ (c[:, None] * z_u)
        # Gauge fix as in bradley_terry: the likelihood is flat along (1, …, 1, 0, …, 0).
        kappa = max(float(np.mean(np.diag(info)[:n])), 1.0)
        info[:n, :n] += prior * np.eye(n) + kappa / n
        return grad, info

    x = np.zeros(n + k)
    value = objective(x)
    converged = False
    iterations = 0
    for iterations in range(1, max_iter + 1):  # noqa: B007 - the count is reported after the loop
        grad, info = derivatives(x)
        step = np.linalg.solve(info, grad)
        t = 1.0
        for _ in range(50):
            cand = objective(x + t * step)
            if cand >= value - 1e-12 * abs(value):
                x, value = x + t * step, cand
                break
            t *= 0.5
        else:
            t = 0.0  # no ascent left at machine precision: x is the optimum
        if np.max(np.abs(t * step)) <= tol * (1.0 + np.max(np.abs(x))):
            converged = True
            break
    # The inverse of the gauge-fixed information equals the covariance on the mean-zero
    # gauge plus a term along (1, 0); the coefficient block is unaffected by either.
    bread_inv = np.linalg.inv(derivatives(x)[1])
    cov = bread_inv
    theta = x[:n] - x[:n].mean()
    scores = to_scores(theta, base, scale, anchor, anchor_value)
    # Sandwich meat: per merged row Σ_b (y_b − p)² = Σy² − 2pΣy + c·p².
    p = expit(design @ x[:n] + z_u @ x[n:])
    weight = y_sq_sum - 2.0 * p * y_sum + count * p * p
    design_full = np.hstack([design.toarray(), z_u]) if n + k <= 400 else None
    if design_full is not None:
        meat = design_full.T @ (weight[:, None] * design_full)
    else:
        meat = np.empty((n + k, n + k))
        meat[:n, :n] = (design.T @ design.multiply(weight[:, None])).toarray()
        meat[:n, n:] = design.T @ (weight[:, None] * z_u)
        meat[n:, :n] = meat[:n, n:].T
        meat[n:, n:] = z_u.T @ (weight[:, None] * z_u)
    robust = bread_inv @ meat @ bread_inv
    # Mean-zero gauge (the meat annihilates (1, …, 1, 0, …)), then the anchor's, as sandwich_ci.
    centre = np.eye(n) - 1.0 / n
    if anchor is not None:
        centre = np.eye(n) - np.outer(np.ones(n), np.eye(n)[anchor])
    cov_theta = centre @ robust[:n, :n] @ centre.T
    se = np.sqrt(np.maximum(np.diag(cov_theta), 0.0)) * scale / math.log(base)
    free = np.ones(n, dtype=bool)
    if anchor is not None:
        free[anchor] = False
    problem = None
    if np.all(outcome >= TIE):
        problem = "every battle is a tie: the data say nothing about which variant is stronger"
    elif np.any(free & ~(se > 0)):
        problem = "a zero standard error: the data cannot tell the variants apart"
    half = float(norm.ppf(0.5 + level / 2)) * se
    nan = np.full(n, np.nan)
    coef_var = np.diag(cov)[n:]
    # NaN where the sandwich variance is not positive (a handful of battles): not estimable, not zero.
    coef_se = np.sqrt(np.where(coef_var > 0, coef_var, np.nan))
    return StyleResult(
        scores=scores,
        theta=theta,
        coef=x[n:].copy(),
        coef_se=coef_se,
        log_likelihood=value + 0.5 * prior * float(x[:n] @ x[:n]),
        iterations=iterations,
        converged=converged,
        se=nan if problem else se,
        lower=nan if problem else scores - half,
        upper=nan if problem else scores + half,
        level=level,
        not_enough_data=problem,
    )


@dataclass(frozen=True)
class StyleBootstrap:
    """Percentile-bootstrap intervals of style-controlled scores (Elo scale)."""

    scores: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    se: np.ndarray
    level: float
    rounds: int
    n_dropped: int
    not_enough_data: str | None = None


def bootstrap_style_ci(
    a: np.ndarray,
    b: np.ndarray,
    outcome: np.ndarray,
    features: np.ndarray,
    n_variants: int,
    *,
    rounds: int = 100,
    seed: int = 0,
    level: float = 0.95,
    prior: float = 0.0,
    anchor: int | None = None,
    anchor_value: float = 1000.0,
    base: float = 10.0,
    scale: float = 400.0,
) -> StyleBootstrap:
    """FastChat's style-control intervals: resample battles with replacement, refit
    ``bradley_terry_style`` each round, take the (1 ± level)/2 quantiles of the scores.

    A round whose resample has no finite MLE (prior == 0) is dropped; when more than
    (1 − level)/2 of the rounds are, the interval would have an infinite end and the result is
    "not enough data", as in ``bootstrap_ci``. Costs ``rounds`` fits: use the sandwich intervals
    of ``bradley_terry_style`` where a page waits on them.
    """
    level = check_level(level)
    rounds = check_rounds(rounds)
    check_seed(seed)
    kwargs = dict(prior=prior, anchor=anchor, anchor_value=anchor_value, base=base, scale=scale)
    fit = bradley_terry_style(a, b, outcome, features, n_variants, **kwargs)  # type: ignore[arg-type]
    a, b, outcome = np.asarray(a), np.asarray(b), np.asarray(outcome)
    z = np.asarray(features, dtype=np.float64)
    rng = np.random.default_rng(seed)
    reps, dropped = [], 0
    for _ in range(int(rounds)):
        idx = rng.integers(0, a.size, a.size)
        try:
            reps.append(bradley_terry_style(a[idx], b[idx], outcome[idx], z[idx], n_variants, **kwargs).scores)  # type: ignore[arg-type]
        except StatsError:
            dropped += 1
    tail = (1.0 - level) / 2.0
    nan = np.full(fit.scores.shape, np.nan)
    if dropped > tail * rounds or len(reps) < 2:
        return StyleBootstrap(fit.scores, nan, nan, nan, level, int(rounds), dropped,
                              f"{dropped} of {rounds} bootstrap rounds have no finite estimate; add battles or a prior")
    arr = np.array(reps)
    lower, upper = np.quantile(arr, [tail, 1.0 - tail], axis=0)
    return StyleBootstrap(fit.scores, lower, upper, arr.std(axis=0, ddof=1), level, int(rounds), dropped)


@dataclass(frozen=True)
class StyleBoard:
    """A style-controlled board, best first.

    ``variant_ids``/``scores`` in rank order (Elo scale, style held at the log's average);
    ``lower``/``upper`` their sandwich intervals at ``level`` (``None`` with the reason in
    ``ci_problem``). ``coef``/``coef_se`` per fitted feature (``features``, a subset of
    ``STYLE_FEATURES``): log-odds per standard deviation of the feature. ``n_battles`` counts the
    input battles, ``n_fitted`` those fitted (``subsampled`` when above ``max_battles``).
    ``problem`` says why there is no board at all (then the arrays are empty).
    """

    variant_ids: tuple[int, ...]
    scores: np.ndarray
    lower: np.ndarray | None
    upper: np.ndarray | None
    features: tuple[str, ...]
    coef: np.ndarray
    coef_se: np.ndarray
    n_battles: int
    n_fitted: int
    subsampled: bool
    level: float = 0.95
    problem: str | None = None
    ci_problem: str | None = None


def _no_board(problem: str, n_battles: int = 0, n_fitted: int = 0, subsampled: bool = False) -> StyleBoard:
    empty = np.empty(0)
    return StyleBoard((), empty, None, None, (), empty, empty.copy(), n_battles, n_fitted, subsampled,
                      problem=problem)


def _normalised_difference(side_a: np.ndarray, side_b: np.ndarray) -> np.ndarray:
    return (side_a - side_b) / (side_a + side_b + 1.0)


def _fit_sides(a: np.ndarray, b: np.ndarray, outcome: np.ndarray, sides: list[tuple[np.ndarray, np.ndarray]],
               n: int, fallback_prior: float, level: float) -> StyleResult:
    # style_features takes the first pair positionally (normally length) and the markdown pairs as
    # keywords; every pair gets the same normalisation, so any varying pair can go first.
    keys = ("headers", "lists", "bold")
    markdown = {f"{key}_{side}": pair[i] for key, pair in zip(keys, sides[1:]) for i, side in enumerate("ab")}
    z = style_features(*sides[0], **markdown)
    try:
        return bradley_terry_style(a, b, outcome, z, n, level=level)
    except StatsError:
        return bradley_terry_style(a, b, outcome, z, n, prior=fallback_prior, level=level)


def style_board(
    rows: np.ndarray,
    *,
    max_battles: int = 30_000,
    seed: int = 0,
    fallback_prior: float = 0.01,
    level: float = 0.95,
) -> StyleBoard:
    """Style-controlled Bradley–Terry board from grouped battle rows.

    ``rows`` has one row per group of identical battles, 12 columns: variant id a, variant id b,
    outcome code, then length, headers, lists and bold of a and of b in pairs (length_a, length_b,
    headers_a, …), then the group's battle count.

    - Above ``max_battles`` battles the fit runs on a uniform random subsample of that size
      (``seed``): unbiased, and the per-battle regression's cost grows with distinct rows.
    - Every battle is mirrored (a↔b, win↔loss, features swapped). ``style_features`` centres each
      feature on its mean over the log, which assumes random left/right positions as in the Arena;
      battles stored in canonical order (a = lower id) would fold part of a variant's style effect
      into its strength. With the mirror the mean difference is exactly zero and the strengths
      equal the uncentred fit's; the mirrored log counts every battle twice, so the standard errors
      of scores and coefficients are multiplied by √2.
    - Features whose a − b difference never varies carry no information and are left out; markdown
      counts are often collinear (the same answers carry headers, lists and bold), so a feature is
      kept only if it adds rank, and the fit falls back to the first feature alone if it still fails.
    - Without a finite MLE the fit uses the ridge prior ``fallback_prior``.
    """
    level = check_level(level)
    data = np.asarray(rows, dtype=np.float64)
    if data.size == 0:
        return _no_board("no judged comparisons with answers")
    if data.ndim != 2 or data.shape[1] != 12:
        raise StatsError("rows", f"must have shape (k, 12), got {data.shape}")
    if not np.all(np.isfinite(data)) or np.any(data[:, 3:] < 0) or np.any(data[:, -1] != np.round(data[:, -1])):
        raise StatsError("rows", "features and counts must be finite, non-negative, and counts whole")
    max_battles = check_count("max_battles", max_battles, minimum=1)
    counts = data[:, -1].astype(np.int64)
    total = int(counts.sum())
    rep = np.repeat(np.arange(data.shape[0]), counts)
    subsampled = total > max_battles
    if subsampled:
        rep = np.random.default_rng(seed).choice(rep, max_battles, replace=False)
    data = data[rep]
    ids = sorted({int(v) for v in np.r_[data[:, 0], data[:, 1]]})
    if len(ids) < 2:
        return _no_board("needs battles between at least two variants", total, int(rep.size), subsampled)
    mirror = data.copy()
    mirror[:, 0], mirror[:, 1] = data[:, 1], data[:, 0]
    mirror[:, 2] = np.select([data[:, 2] == A_WINS, data[:, 2] == B_WINS], [B_WINS, A_WINS], data[:, 2])
    mirror[:, 3:11:2], mirror[:, 4:11:2] = data[:, 4:11:2], data[:, 3:11:2]
    data = np.vstack([data, mirror])
    ids_arr = np.array(ids, dtype=np.float64)
    a = np.searchsorted(ids_arr, data[:, 0])
    b = np.searchsorted(ids_arr, data[:, 1])
    outcome = data[:, 2].astype(np.int64)
    sides = {name: (data[:, 3 + 2 * k], data[:, 4 + 2 * k]) for k, name in enumerate(STYLE_FEATURES)
             if _normalised_difference(data[:, 3 + 2 * k], data[:, 4 + 2 * k]).std() > 0}
    if not sides:
        return _no_board("answers do not differ in style", total, int(rep.size), subsampled)
    names: list[str] = []
    for name in sides:
        trial = np.column_stack([_normalised_difference(*sides[n]) for n in [*names, name]])
        if np.linalg.matrix_rank(trial - trial.mean(axis=0)) == len(names) + 1:
            names.append(name)
    fit, problem = None, "style covariates are collinear"
    for chosen in (names, names[:1]):
        try:
            fit = _fit_sides(a, b, outcome, [sides[n] for n in chosen], len(ids), fallback_prior, level)
            names = chosen
            break
        except (StatsError, np.linalg.LinAlgError) as exc:
            problem = str(exc) or problem
    if fit is None:
        return _no_board(problem, total, int(rep.size), subsampled)
    order = np.argsort(-fit.scores, kind="stable")
    scores = fit.scores[order]
    lower = upper = None
    if fit.not_enough_data is None and fit.upper is not None:
        half = (fit.upper - fit.scores)[order] * math.sqrt(2)
        lower, upper = scores - half, scores + half
    return StyleBoard(
        variant_ids=tuple(ids[i] for i in order),
        scores=scores,
        lower=lower,
        upper=upper,
        features=tuple(names),
        coef=fit.coef.copy(),
        coef_se=fit.coef_se * math.sqrt(2),
        n_battles=total,
        n_fitted=int(rep.size),
        subsampled=subsampled,
        level=level,
        ci_problem=fit.not_enough_data,
    )
