"""Adapters that pull per-variant evidence out of the other apps, read-only, as plain dataclasses.

Each adapter aggregates in SQL (n, Σx, Σx² per variant; summed latency histograms) and hands the
sufficient statistics to ``evalhub.stats``; none of them ships per-event rows. Each returns an
empty result when its app holds no data, so a fresh install renders "no data" instead of failing.
The apps' selectors do not expose per-variant summaries across all variants, so the SQL lives here
against their models (read-only); ``.importlinter`` lists each such import until selectors replace it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
from django.db import connection
from django.db.models import Count, F, FloatField, Max, Sum
from django.db.models.functions import Cast

from evalhub.core.models import ModelVariant
from evalhub.stats import MeanStat, StatsError
from evalhub.stats.abtest import quantile_ci_from_histogram
from evalhub.stats.agreement import wilson_interval
from evalhub.stats.evalscores import mean_score_from_stat

LEVEL = 0.95


@dataclass(frozen=True)
class Estimate:
    """A value with its 95% interval; ``se`` when the estimator gives one, ``n`` the sample size."""

    value: float
    lower: float
    upper: float
    se: float | None = None
    n: int | None = None


@dataclass(frozen=True)
class Rate:
    """A proportion ``successes / n`` with its Wilson interval."""

    successes: int
    n: int
    value: float
    lower: float
    upper: float


@dataclass(frozen=True)
class VariantFacts:
    id: int
    slug: str
    name: str
    family: str
    base_model: str
    parameter_count: int
    post_training: str
    post_training_label: str
    test_time_strategy: str
    improvement_kind: str
    compute_multiplier: float


@dataclass(frozen=True)
class Preference:
    """The latest overall human-preference leaderboard (Bradley–Terry on the Elo scale)."""

    computed_at: dt.datetime | None
    n_judgments: int
    scores: dict[int, Estimate] = field(default_factory=dict)


@dataclass(frozen=True)
class SuiteScore:
    suite_slug: str
    suite_name: str
    version_id: int
    run_id: int
    variant_id: int
    score: Estimate
    cost_per_item: Estimate | None
    latency_mean_ms: float | None


@dataclass(frozen=True)
class Production:
    variant_id: int
    n: int
    success: Rate | None
    thumbs_up: Rate | None
    refusal: Rate | None
    reask: Rate | None
    cost_per_request: Estimate | None
    latency_p95_ms: Estimate | None


@dataclass(frozen=True)
class ProductionPeriod:
    start: dt.datetime | None
    end: dt.datetime | None
    days: int
    by_variant: dict[int, Production] = field(default_factory=dict)


@dataclass(frozen=True)
class RunningExperiment:
    key: str
    name: str
    status: str
    started_at: dt.datetime | None
    primary_metric: str
    arms: list[dict]
    decision: str | None
    decision_reasons: list[str]
    computed_at: dt.datetime | None


def variants() -> list[VariantFacts]:
    return [
        VariantFacts(
            id=v.pk, slug=v.slug, name=v.name, family=v.family, base_model=v.base_model,
            parameter_count=v.parameter_count, post_training=v.post_training,
            post_training_label=v.get_post_training_display(), test_time_strategy=v.test_time_strategy,
            improvement_kind=v.improvement_kind, compute_multiplier=v.compute_multiplier,
        )
        for v in ModelVariant.objects.filter(is_active=True).order_by("slug")
    ]


# ---------------------------------------------------------------- human preference (judging)

def _first(row: dict, *keys: str):
    for key in keys:
        if row.get(key) is not None:
            return row[key]
    return None


def parse_leaderboard_rows(payload: dict, slug_to_id: dict[str, int]) -> dict[int, Estimate]:
    """Per-variant BT score and interval from a ``LeaderboardSnapshot.payload``.

    Reads ``payload["boards"]["all"]["rows"]`` as ``judging.leaderboard.compute_board`` writes it
    (variant_id, score, ci_lower, ci_upper = bootstrap 95% interval, votes) and tolerates other key
    names, so a change of naming on their side degrades to "no data" rather than an error.
    """
    board = (payload.get("boards") or {}).get("all") or {}
    rows = board.get("rows") or _first(payload, "rows", "ratings", "leaderboard") or []
    out: dict[int, Estimate] = {}
    for row in rows:
        if not isinstance(row, dict):
            continue
        vid = _first(row, "variant_id", "id")
        if vid is None:
            vid = slug_to_id.get(_first(row, "slug", "variant", "variant_slug") or "")
        score = _first(row, "score", "bt", "rating")
        lower = _first(row, "lower", "ci_lower", "score_lower")
        upper = _first(row, "upper", "ci_upper", "score_upper")
        if vid is None or score is None:
            continue
        lower = float(score if lower is None else lower)
        upper = float(score if upper is None else upper)
        se = _first(row, "se", "score_se")
        n = _first(row, "votes", "n", "n_battles")
        out[int(vid)] = Estimate(float(score), lower, upper, None if se is None else float(se),
                                 None if n is None else int(n))
    return out


def preference(slug_to_id: dict[str, int]) -> Preference:
    from judging.models import LeaderboardSnapshot

    snap = (LeaderboardSnapshot.objects.filter(campaign__isnull=True, kind="bt").order_by("-computed_at", "-id").first())
    if snap is None:
        return Preference(None, 0)
    return Preference(snap.computed_at, snap.n_judgments, parse_leaderboard_rows(snap.payload or {}, slug_to_id))


# ---------------------------------------------------------------- eval suites


def _mean_estimate(n: int, total: float, total_sq: float) -> Estimate | None:
    try:
        est = mean_score_from_stat(MeanStat(n, total, total_sq), level=LEVEL)
    except StatsError:
        return None
    return Estimate(est.mean, est.lower, est.upper, est.se, est.n)


def latest_runs() -> dict[tuple[int, int], tuple[int, int]]:
    """(variant id, suite id) → (run id, version id) of the latest completed run."""
    from experiments.suites.models import Run, RunStatus

    rows = (
        Run.objects.filter(status=RunStatus.DONE)
        .order_by("variant_id", "version__suite_id", "-finished_at", "-id")
        .distinct("variant_id", "version__suite_id")
        .values_list("variant_id", "version__suite_id", "id", "version_id")
    )
    return {(v, s): (r, ver) for v, s, r, ver in rows}


def suite_scores() -> list[SuiteScore]:
    """Mean score ± t interval of each variant's latest completed run on each suite (2 queries)."""
    from experiments.suites.models import RunResult, Suite

    runs = latest_runs()
    if not runs:
        return []
    suites = {s.pk: s for s in Suite.objects.filter(pk__in={s for _, s in runs})}
    run_ids = [r for r, _ in runs.values()]
    cost = Cast("cost_usd", FloatField())
    aggregates = {
        row["run_id"]: row
        for row in RunResult.objects.filter(run_id__in=run_ids, score__isnull=False)
        .values("run_id")
        .annotate(n=Count("id"), s=Sum("score"), ss=Sum(F("score") * F("score")),
                  c=Sum(cost), cc=Sum(cost * cost), lat=Sum("latency_ms"))
    }
    out = []
    for (variant_id, suite_id), (run_id, version_id) in sorted(runs.items()):
        row = aggregates.get(run_id)
        if not row:
            continue
        score = _mean_estimate(row["n"], row["s"], row["ss"])
        if score is None:
            continue
        suite = suites[suite_id]
        out.append(SuiteScore(
            suite_slug=suite.slug, suite_name=suite.name, version_id=version_id, run_id=run_id,
            variant_id=variant_id, score=score, cost_per_item=_mean_estimate(row["n"], row["c"] or 0.0, row["cc"] or 0.0),
            latency_mean_ms=(row["lat"] or 0.0) / row["n"],
        ))
    return out


def paired_item_scores(run_a: int, run_b: int) -> tuple[list[float], list[float]]:
    """Scores of two runs on the items both graded, aligned by item (one query; suites are ≤ thousands)."""
    from experiments.suites.models import RunResult

    by_run: dict[int, dict[int, float]] = {run_a: {}, run_b: {}}
    for run_id, item_id, score in RunResult.objects.filter(run_id__in=[run_a, run_b], score__isnull=False).values_list(
        "run_id", "item_id", "score"
    ):
        by_run[run_id][item_id] = float(score)
    common = sorted(by_run[run_a].keys() & by_run[run_b].keys())
    return [by_run[run_a][i] for i in common], [by_run[run_b][i] for i in common]


# ---------------------------------------------------------------- production (telemetry rollups)


def _rate(successes: int, n: int) -> Rate | None:
    if not n:
        return None
    lo, hi = wilson_interval(int(successes), int(n), level=LEVEL)
    return Rate(int(successes), int(n), successes / n, lo, hi)


def production(days: int = 7) -> ProductionPeriod:
    """Per-variant production quality over the last ``days`` days of data present (3 queries)."""
    from experiments.telemetry.buckets import LATENCY_BUCKET_EDGES_MS
    from experiments.telemetry.models import HourlyRollup

    last = HourlyRollup.objects.aggregate(last=Max("hour"))["last"]
    if last is None:
        return ProductionPeriod(None, None, days)
    end = last + dt.timedelta(hours=1)
    start = end - dt.timedelta(days=days)
    sums = (
        HourlyRollup.objects.filter(hour__gte=start, hour__lt=end)
        .values("variant_id")
        .annotate(n=Sum("n"), cost=Sum("cost_sum"), cost_sq=Sum("cost_sum_sq"), refusals=Sum("refusals"),
                  reasks=Sum("reasks"), reask_detectable=Sum("reask_detectable"), feedback_n=Sum("feedback_n"),
                  thumbs_up=Sum("thumbs_up"), success_n=Sum("success_n"), successes=Sum("successes"))
    )
    hists = _latency_histograms(start, end, len(LATENCY_BUCKET_EDGES_MS) - 1)
    out: dict[int, Production] = {}
    for row in sums:
        n = int(row["n"] or 0)
        if n <= 0:
            continue
        vid = row["variant_id"]
        latency = None
        hist = hists.get(vid)
        if hist is not None and hist.sum() > 0:
            est, lo, hi = quantile_ci_from_histogram(hist, LATENCY_BUCKET_EDGES_MS, 0.95, alpha=1 - LEVEL)
            latency = Estimate(est, lo, hi, None, int(hist.sum()))
        out[vid] = Production(
            variant_id=vid, n=n,
            success=_rate(row["successes"] or 0, row["success_n"] or 0),
            thumbs_up=_rate(row["thumbs_up"] or 0, row["feedback_n"] or 0),
            refusal=_rate(row["refusals"] or 0, n),
            reask=_rate(row["reasks"] or 0, row["reask_detectable"] or 0),
            cost_per_request=_mean_estimate(n, float(row["cost"] or 0.0), float(row["cost_sq"] or 0.0)),
            latency_p95_ms=latency,
        )
    return ProductionPeriod(start, end, days, out)


def _latency_histograms(start: dt.datetime, end: dt.datetime, n_buckets: int) -> dict[int, np.ndarray]:
    # Element-wise sum of the per-hour histograms in SQL: one row per (variant, bucket) instead of
    # shipping every hour's 64-bucket array to Python.
    from experiments.telemetry.models import HourlyRollup

    table = HourlyRollup._meta.db_table
    sql = (
        f"SELECT r.variant_id, u.i, SUM(u.v) FROM {table} r, unnest(r.latency_hist) WITH ORDINALITY AS u(v, i) "
        "WHERE r.hour >= %s AND r.hour < %s GROUP BY r.variant_id, u.i"
    )
    out: dict[int, np.ndarray] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [start, end])
        for vid, i, total in cursor.fetchall():
            if 1 <= i <= n_buckets:
                out.setdefault(vid, np.zeros(n_buckets))[i - 1] = float(total)
    return out


# ---------------------------------------------------------------- running experiments (abtests)


def running_experiments(slug_by_id: dict[int, str]) -> list[RunningExperiment]:
    """Running experiments with the decision of their latest result snapshot (3 queries)."""
    from experiments.abtests.models import Experiment, ResultSnapshot, Status

    experiments = list(Experiment.objects.filter(status=Status.RUNNING).prefetch_related("arms").order_by("key"))
    if not experiments:
        return []
    latest = {
        s.experiment_id: s
        for s in ResultSnapshot.objects.filter(experiment__in=experiments)
        .order_by("experiment_id", "-computed_at").distinct("experiment_id")
    }
    out = []
    for exp in experiments:
        snap = latest.get(exp.pk)
        decision, reasons = _decision(snap.payload if snap else {})
        out.append(RunningExperiment(
            key=exp.key, name=exp.name, status=exp.status, started_at=exp.started_at,
            primary_metric=exp.primary_metric,
            arms=[{"name": a.name, "variant": slug_by_id.get(a.variant_id, str(a.variant_id)), "is_control": a.is_control}
                  for a in exp.arms.all()],
            decision=decision, decision_reasons=reasons, computed_at=snap.computed_at if snap else None,
        ))
    return out


def _decision(payload: dict) -> tuple[str | None, list[str]]:
    """(verdict, reasons) from an abtests results payload: ``{"decision": {"verdict", "summary", "arms"}}``."""
    decision = payload.get("decision") if isinstance(payload, dict) else None
    if not isinstance(decision, dict) or not decision.get("verdict"):
        return None, []
    reasons = [str(decision["summary"])] if decision.get("summary") else []
    return str(decision["verdict"]), reasons
