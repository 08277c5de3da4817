"""Reviewer quality selectors: gold accuracy, agreement, speed and the anomalous-reviewer flag.

Everything is aggregated in SQL first (counts per reviewer, per item and per (reviewer, pair,
outcome)); ``evalhub.stats`` does the statistics. Quality is computed over ALL of a campaign's
judgments, excluded ones included — an engineer needs to see the reviewer they excluded.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from django.db.models import Aggregate, Count, FloatField, Q

from evalhub.stats import StatsError, agreement, ratings
from judging.leaderboard import OUTCOME_CODE
from judging.models import Campaign, Judgment, ReviewerExclusion


class Median(Aggregate):
    """PostgreSQL ``percentile_cont(0.5) WITHIN GROUP (ORDER BY x)`` — the exact median, in SQL."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


@dataclass
class ReviewerQuality:
    reviewer_id: int
    username: str
    judgments: int
    gold_n: int
    gold_correct: int
    median_seconds: float | None
    excluded: bool
    agreement_n: int = 0
    agreement_rate: float | None = None
    agreement_lower: float | None = None
    agreement_upper: float | None = None
    anomaly_p: float | None = None
    anomaly_p_adjusted: float | None = None
    flagged: bool = False

    @property
    def gold_accuracy(self) -> float | None:
        return self.gold_correct / self.gold_n if self.gold_n else None


@dataclass
class CampaignQuality:
    campaign: Campaign
    reviewers: list[ReviewerQuality] = field(default_factory=list)
    n_judgments: int = 0
    fleiss_kappa: float | None = None
    fleiss_items: int = 0
    fleiss_raters: int = 0
    krippendorff_alpha: float | None = None
    alpha_items: int = 0
    notes: list[str] = field(default_factory=list)


def _reviewer_rows(campaign: Campaign) -> list[ReviewerQuality]:
    excluded = set(ReviewerExclusion.objects.filter(Q(campaign=campaign) | Q(campaign__isnull=True))
                   .values_list("reviewer_id", flat=True))
    rows = (Judgment.objects.filter(campaign=campaign).values("reviewer_id", "reviewer__username")
            .annotate(n=Count("id"), gold_n=Count("id", filter=Q(gold_correct__isnull=False)),
                      gold_ok=Count("id", filter=Q(gold_correct=True)), median=Median("seconds_taken"),
                      n_excluded=Count("id", filter=Q(excluded=True)))
            .order_by("reviewer__username"))
    return [ReviewerQuality(reviewer_id=r["reviewer_id"], username=r["reviewer__username"], judgments=r["n"],
                            gold_n=r["gold_n"], gold_correct=r["gold_ok"], median_seconds=r["median"],
                            excluded=r["reviewer_id"] in excluded or (r["n_excluded"] == r["n"] and r["n"] > 0))
            for r in rows]


def _multi_rated(campaign: Campaign) -> list[tuple[int, int, str]]:
    """(reviewer, comparison, outcome) on comparisons judged at least twice."""
    shared = (Judgment.objects.filter(campaign=campaign).values("comparison_id").annotate(k=Count("id"))
              .filter(k__gte=2).values("comparison_id"))
    return list(Judgment.objects.filter(campaign=campaign, comparison_id__in=shared)
                .values_list("reviewer_id", "comparison_id", "outcome"))


def _agreement(result: CampaignQuality, triples: list[tuple[int, int, str]]) -> None:
    if not triples:
        result.notes.append("no comparison has two or more judgments yet, so agreement cannot be measured")
        return
    labels = list(OUTCOME_CODE)
    by_item: dict[int, list[str]] = defaultdict(list)
    for _, item, label in triples:
        by_item[item].append(label)
    # Fleiss' kappa needs the same number of raters per item: use the most common count (≥ 2).
    sizes = np.bincount([len(v) for v in by_item.values()])
    m = int(np.argmax(sizes))
    table = [[votes.count(label) for label in labels] for votes in by_item.values() if len(votes) == m]
    try:
        result.fleiss_kappa = agreement.fleiss_kappa(table)
        result.fleiss_items, result.fleiss_raters = len(table), m
    except StatsError as exc:
        result.notes.append(f"Fleiss' kappa: {exc.problem}")
    # Alpha needs only how many reviewers gave each outcome per comparison (items x outcomes),
    # never a reviewers x comparisons matrix, which would grow with both.
    order = sorted(labels, key=OUTCOME_CODE.__getitem__)
    counts = [[votes.count(label) for label in order] for votes in by_item.values()]
    try:
        result.krippendorff_alpha = agreement.krippendorff_alpha_from_counts(
            counts, [OUTCOME_CODE[label] for label in order], level="nominal")
        result.alpha_items = len(by_item)
    except StatsError as exc:
        result.notes.append(f"Krippendorff's alpha: {exc.problem}")
    try:
        consensus = agreement.consensus_agreement(triples)
    except StatsError as exc:
        result.notes.append(f"consensus agreement: {exc.problem}")
        return
    for row in result.reviewers:
        found = consensus.get(row.reviewer_id)
        if found is not None:
            row.agreement_n, row.agreement_rate = found.n_items, found.rate
            row.agreement_lower, row.agreement_upper = found.lower, found.upper


def _anomalies(result: CampaignQuality) -> None:
    # Votes identical in (reviewer, pair, outcome) are exchangeable for the test, so SQL counts
    # expanded with np.repeat give the same answer as the raw log.
    cells = list(Judgment.objects.filter(campaign=result.campaign)
                 .values_list("reviewer_id", "variant_a_id", "variant_b_id", "outcome").annotate(n=Count("id")))
    if not cells:
        return
    variant_ids = sorted({c[1] for c in cells} | {c[2] for c in cells})
    v_index = {v: i for i, v in enumerate(variant_ids)}
    counts = np.array([c[4] for c in cells])
    reviewer = np.repeat([c[0] for c in cells], counts)
    a = np.repeat([v_index[c[1]] for c in cells], counts)
    b = np.repeat([v_index[c[2]] for c in cells], counts)
    outcome = np.repeat([OUTCOME_CODE[c[3]] for c in cells], counts)
    try:
        found = ratings.anomalous_reviewers(reviewer, a, b, outcome, len(variant_ids))
    except StatsError as exc:
        result.notes.append(f"anomaly test: {exc.problem}")
        return
    by_reviewer = {int(r): i for i, r in enumerate(found.reviewers)}
    for row in result.reviewers:
        i = by_reviewer.get(row.reviewer_id)
        if i is not None:
            row.anomaly_p = float(found.p_value[i])
            row.anomaly_p_adjusted = float(found.p_adjusted[i])
            row.flagged = bool(found.flagged[i])


def campaign_quality(campaign: Campaign) -> CampaignQuality:
    """Per-reviewer quality and campaign-level agreement (a handful of queries, any volume)."""
    result = CampaignQuality(campaign=campaign, reviewers=_reviewer_rows(campaign))
    result.n_judgments = sum(r.judgments for r in result.reviewers)
    if not result.reviewers:
        result.notes.append("no judgments yet")
        return result
    _agreement(result, _multi_rated(campaign))
    _anomalies(result)
    return result
