"""Inter-rater reliability: Cohen's and Fleiss' kappa, Krippendorff's alpha, consensus agreement.

Used by judging to tell whether reviewers see the same thing (if they do not, a leaderboard built
on their votes measures noise) and to show each reviewer how often they side with their peers.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats

from evalhub.stats._base import StatsError, check_count, check_level, wilson_bounds

__all__ = [
    "ReviewerAgreement",
    "cohen_kappa",
    "consensus_agreement",
    "fleiss_kappa",
    "krippendorff_alpha",
    "krippendorff_alpha_from_counts",
    "wilson_interval",
]


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def cohen_kappa(
    r1: Sequence[Hashable], r2: Sequence[Hashable], *, labels: Sequence[Hashable] | None = None
) -> float:
    """Cohen's kappa for two raters who labelled the same items.

    κ = (p_o − p_e) / (1 − p_e), with p_o = Σ_k n_kk / n the observed agreement and
    p_e = Σ_k (n_k· / n)(n_·k / n) the agreement expected from the raters' marginals
    (Cohen 1960, "A coefficient of agreement for nominal scales", Educ. Psychol. Meas. 20:37-46).

    ``labels`` fixes the category set; a label outside it is an error rather than silently dropped
    (scikit-learn drops such pairs, which hides data-entry mistakes). Raises ``StatsError`` when
    p_e = 1 (both raters used one and the same category), where kappa is 0/0.
    """
    if len(r1) == 0:
        raise StatsError("r1", "must not be empty")
    if len(r1) != len(r2):
        raise StatsError("r2", f"length {len(r2)} differs from r1 length {len(r1)}")
    for field, ratings in (("r1", r1), ("r2", r2)):
        if any(_is_missing(v) for v in ratings):
            raise StatsError(field, "contains a missing label (None or NaN)")
    if labels is None:
        categories = list(dict.fromkeys([*r1, *r2]))
    else:
        categories = list(dict.fromkeys(labels))
        if not categories:
            raise StatsError("labels", "must not be empty")
    index = {label: i for i, label in enumerate(categories)}
    for field, ratings in (("r1", r1), ("r2", r2)):
        unknown = {v for v in ratings if v not in index}
        if unknown:
            raise StatsError(field, f"labels not in `labels`: {sorted(map(repr, unknown))}")

    k = len(categories)
    table = np.zeros((k, k))
    np.add.at(table, ([index[v] for v in r1], [index[v] for v in r2]), 1.0)
    n = table.sum()
    p_o = np.trace(table) / n
    p_e = float(table.sum(axis=1) @ table.sum(axis=0)) / (n * n)
    if math.isclose(p_e, 1.0):
        raise StatsError("r1", "kappa is undefined: both raters used one and the same category")
    return float((p_o - p_e) / (1.0 - p_e))


def fleiss_kappa(table: Sequence[Sequence[float]] | np.ndarray) -> float:
    """Fleiss' kappa for a fixed number of raters per item.

    ``table[i, j]`` counts the raters who put item i in category j; every row sums to the same m.
    With N items, p_j = Σ_i n_ij / (N m), P_i = (Σ_j n_ij² − m) / (m (m − 1)),
    P̄ = mean_i P_i and P̄_e = Σ_j p_j²:  κ = (P̄ − P̄_e) / (1 − P̄_e)
    (Fleiss 1971, "Measuring nominal scale agreement among many raters", Psychol. Bull. 76:378-382).
    """
    try:
        counts = np.asarray(table, dtype=float)
    except (TypeError, ValueError) as exc:
        raise StatsError("table", f"must be a numeric items x categories matrix ({exc})") from exc
    if counts.ndim != 2 or counts.shape[0] == 0 or counts.shape[1] == 0:
        raise StatsError("table", f"must be a non-empty items x categories matrix, got shape {counts.shape}")
    if not np.all(np.isfinite(counts)):
        raise StatsError("table", "contains NaN or infinite counts")
    if np.any(counts < 0) or np.any(counts != np.round(counts)):
        raise StatsError("table", "counts must be non-negative integers")
    raters = counts.sum(axis=1)
    m = raters[0]
    if np.any(raters != m):
        raise StatsError("table", "every item (row) must have the same number of raters")
    if m < 2:
        raise StatsError("table", f"need at least 2 raters per item, got {m:g}")

    n_items = counts.shape[0]
    p_j = counts.sum(axis=0) / (n_items * m)
    p_i = (np.sum(counts * counts, axis=1) - m) / (m * (m - 1))
    p_bar = p_i.mean()
    p_e = float(p_j @ p_j)
    if math.isclose(p_e, 1.0):
        raise StatsError("table", "kappa is undefined: every rating falls in one category")
    return float((p_bar - p_e) / (1.0 - p_e))


def krippendorff_alpha(
    data: Sequence[Sequence[float | None]] | np.ndarray,
    *,
    level: Literal["nominal", "ordinal", "interval"] = "nominal",
) -> float:
    """Krippendorff's alpha for raters x items data with NaN (or None) where a rater skipped an item.

    α = 1 − D_o / D_e = 1 − (n − 1) Σ_ck o_ck δ²_ck / Σ_ck n_c n_k δ²_ck, where the coincidence
    matrix o_ck = Σ_u (number of c–k pairs of values in unit u) / (m_u − 1) over units with
    m_u ≥ 2 values, n_c = Σ_k o_ck and n = Σ_c n_c. Difference functions: nominal δ² = [c ≠ k];
    ordinal δ²_ck = (Σ_{g=c..k} n_g − (n_c + n_k)/2)²; interval δ² = (c − k)²
    (Krippendorff 2011, "Computing Krippendorff's Alpha-Reliability", Univ. of Pennsylvania,
    https://repository.upenn.edu/asc_papers/43).

    Vectorised: with N the units x values count matrix and m_u its row sums,
    o = (N / (m − 1))ᵀ N − diag(Σ_u N_uc / (m_u − 1)), so the cost is O(units · values²).
    """
    if level not in ("nominal", "ordinal", "interval"):
        raise StatsError("level", f"must be 'nominal', 'ordinal' or 'interval', got {level!r}")
    try:
        values = np.asarray(data, dtype=float)
    except (TypeError, ValueError) as exc:
        raise StatsError("data", f"must be numeric with NaN for missing ({exc})") from exc
    if values.ndim != 2 or values.size == 0:
        raise StatsError("data", f"must be a non-empty raters x items matrix, got shape {values.shape}")
    if np.any(np.isinf(values)):
        raise StatsError("data", "contains infinite values")

    observed = ~np.isnan(values)
    domain, codes = np.unique(values[observed], return_inverse=True)
    item_of = np.nonzero(observed)[1]
    counts = np.zeros((values.shape[1], domain.size))
    np.add.at(counts, (item_of, codes), 1.0)
    return krippendorff_alpha_from_counts(counts, domain, level=level)


def krippendorff_alpha_from_counts(
    counts: Sequence[Sequence[float]] | np.ndarray,
    domain: Sequence[float] | np.ndarray,
    *,
    level: Literal["nominal", "ordinal", "interval"] = "nominal",
) -> float:
    """Krippendorff's alpha from an items x values matrix of how many raters gave each value.

    The same statistic as ``krippendorff_alpha`` (which builds these counts from raters x items
    data), for callers that hold counts already: memory follows items x values, not raters x items.
    ``domain`` lists the value of each column in increasing order (used by ordinal and interval).
    """
    if level not in ("nominal", "ordinal", "interval"):
        raise StatsError("level", f"must be 'nominal', 'ordinal' or 'interval', got {level!r}")
    counts = np.asarray(counts, dtype=float)
    domain = np.asarray(domain, dtype=float)
    if counts.ndim != 2 or counts.shape[1] != domain.size or domain.size == 0:
        raise StatsError("counts", f"must be items x values with {domain.size} value columns, got shape {counts.shape}")
    if np.any(counts < 0) or not np.all(np.isfinite(counts)):
        raise StatsError("counts", "must be finite and non-negative")
    if domain.size > 1 and np.any(np.diff(domain) <= 0):
        raise StatsError("domain", "must be strictly increasing")
    per_item = counts.sum(axis=1)
    # Units coded by a single rater carry no information about agreement (Krippendorff 2011, step 1).
    pairable = counts[per_item >= 2]
    if pairable.shape[0] == 0:
        raise StatsError("data", "need at least one item rated by two or more raters")
    weighted = pairable / (pairable.sum(axis=1, keepdims=True) - 1.0)
    coincidence = weighted.T @ pairable - np.diag(weighted.sum(axis=0))
    n_c = coincidence.sum(axis=1)
    n = n_c.sum()

    delta2: np.ndarray
    if level == "nominal":
        delta2 = 1.0 - np.eye(domain.size)
    elif level == "interval":
        delta2 = np.subtract.outer(domain, domain) ** 2
    else:
        # Σ_{g=c..k} n_g via cumulative sums, so the whole matrix is one broadcast instead of a
        # double loop: for lo = min(c, k), hi = max(c, k) it is cum[hi] − cum[lo] + n_lo.
        cum = np.cumsum(n_c)
        lo = np.minimum.outer(np.arange(domain.size), np.arange(domain.size))
        hi = np.maximum.outer(np.arange(domain.size), np.arange(domain.size))
        span = cum[hi] - cum[lo] + n_c[lo]
        delta2 = (span - (n_c[:, None] + n_c[None, :]) / 2.0) ** 2

    expected = float(n_c @ delta2 @ n_c)
    if expected == 0.0:
        raise StatsError("data", "alpha is undefined: all paired ratings share one value")
    return float(1.0 - (n - 1.0) * float(np.sum(coincidence * delta2)) / expected)


@dataclass(frozen=True)
class ReviewerAgreement:
    """How often one reviewer agreed with the leave-one-out majority of the other reviewers.

    ``rate``/``lower``/``upper`` are ``None`` when the reviewer shares no item that has a clear
    majority among the others (``n_items == 0``).
    """

    reviewer: Hashable
    n_items: int
    agreements: int
    rate: float | None
    lower: float | None
    upper: float | None
    level: float


def wilson_interval(successes: int, n: int, *, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion.

    (p̂ + z²/2n ± z √(p̂(1 − p̂)/n + z²/4n²)) / (1 + z²/n) (Wilson 1927, JASA 22:209-212); unlike
    the Wald interval it stays inside [0, 1] and keeps its coverage near p̂ = 0 or 1, which matters
    for reviewers with few overlapping items.
    """
    check_level(level)
    n = check_count("n", n, minimum=1)
    successes = check_count("successes", successes)
    if not (0 <= successes <= n):
        raise StatsError("successes", f"must be within 0..n ({n}), got {successes}")
    return wilson_bounds(successes / n, n, float(stats.norm.ppf(0.5 + level / 2.0)))


def consensus_agreement(
    labels_by_item: Sequence[tuple[Hashable, Hashable, Hashable]], *, level: float = 0.95
) -> dict[Hashable, ReviewerAgreement]:
    """Each reviewer's rate of agreeing with the consensus of the *other* reviewers on an item.

    For reviewer r on item i the consensus is the plurality label among the other reviewers of i
    (leave-one-out, so a reviewer never agrees with themselves). Items with no other reviewer, or
    whose other reviewers tie for the most common label, have no consensus and are skipped.
    rate = agreements / n_items with a Wilson interval (see ``wilson_interval``). This is the
    "agreement with the majority" quality check used by crowdsourcing pipelines (e.g. Snow et al.
    2008, "Cheap and fast — but is it good?", EMNLP); leaving the reviewer out avoids the
    upward bias of comparing a vote with a majority that contains it.

    ``labels_by_item`` holds ``(reviewer_id, item_id, label)`` triples; a reviewer labelling the
    same item twice is an error (the caller must pick which vote counts).
    """
    check_level(level)
    if len(labels_by_item) == 0:
        raise StatsError("labels_by_item", "must not be empty")
    by_item: dict[Hashable, dict[Hashable, Hashable]] = defaultdict(dict)
    for row in labels_by_item:
        if len(row) != 3:
            raise StatsError("labels_by_item", f"rows must be (reviewer_id, item_id, label), got {row!r}")
        reviewer, item, label = row
        if _is_missing(label):
            raise StatsError("labels_by_item", f"missing label for reviewer {reviewer!r} on item {item!r}")
        if reviewer in by_item[item]:
            raise StatsError("labels_by_item", f"reviewer {reviewer!r} labelled item {item!r} twice")
        by_item[item][reviewer] = label

    tallies: dict[Hashable, list[int]] = {}
    for votes in by_item.values():
        totals = Counter(votes.values())
        for reviewer, label in votes.items():
            tally = tallies.setdefault(reviewer, [0, 0])
            others = totals.copy()
            others[label] -= 1
            ranked = [(count, lab) for lab, count in others.items() if count > 0]
            if not ranked:
                continue
            top = max(count for count, _ in ranked)
            leaders = [lab for count, lab in ranked if count == top]
            if len(leaders) != 1:
                continue
            tally[0] += 1
            tally[1] += int(leaders[0] == label)

    result: dict[Hashable, ReviewerAgreement] = {}
    for reviewer, (n_items, agreements) in tallies.items():
        if n_items == 0:
            result[reviewer] = ReviewerAgreement(reviewer, 0, 0, None, None, None, level)
            continue
        lower, upper = wilson_interval(agreements, n_items, level=level)
        result[reviewer] = ReviewerAgreement(
            reviewer, n_items, agreements, agreements / n_items, lower, upper, level
        )
    return result
