"""Reads for suites and runs. Aggregates happen in SQL (n, Σscore, Σscore² per category); the
statistics come from ``evalhub.stats.evalscores`` only.

Scores: only graded results count (a result waiting for a human grade has score NULL); endpoint
errors count as score 0 — an error is a failure the user would have seen. A run where at least
``services.RUN_FAIL_ERROR_SHARE`` of the items errored ends ``failed`` and has no score at all: its
numbers would measure the endpoint (down, 401, malformed replies), not the variant, so it is left
out of comparisons, the frontier and the leadership dashboards (which read ``done`` runs only).
Clustered CI: when any item has a ``group``, the overall CI uses cluster-robust standard errors by
group (items without a group are their own cluster).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Avg, Count, F, FloatField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from evalhub.core.read_models import mean_estimate
from evalhub.stats import Estimate, MeanStat, StatsError, evalscores
from experiments.suites.models import HumanGrade, Run, RunResult, RunSource, RunStatus, Suite, SuiteItem, SuiteVersion
from experiments.suites.read_models import (
    ErrorCount,
    PairedItemScores,
    RunComparisonSummary,
    RunReport,
    ScoreRow,
    SuiteScore,
)


def suites_list() -> QuerySet[Suite]:
    return Suite.objects.annotate(n_versions=Count("versions", distinct=True),
                                  n_runs=Count("versions__runs", distinct=True)).order_by("slug")


def suite_versions(suite: Suite) -> QuerySet[SuiteVersion]:
    return suite.versions.annotate(n_runs=Count("runs")).order_by("-number")


def version_items(version: SuiteVersion) -> QuerySet[SuiteItem]:
    return version.items.order_by("position", "id")


def version_runs(version: SuiteVersion) -> QuerySet[Run]:
    return version.runs.select_related("variant").order_by("-created_at", "-id")


def runs_recent(limit: int = 20) -> QuerySet[Run]:
    return Run.objects.select_related("variant", "version__suite").order_by("-created_at", "-id")[:limit]


def run_get(run_id: int) -> Run:
    return Run.objects.select_related("variant", "version__suite", "created_by").get(pk=run_id)


def run_results(run: Run) -> QuerySet[RunResult]:
    return run.results.select_related("item").order_by("item__position", "item_id")


def _stall_cutoff(now: datetime | None) -> datetime:
    return (now or timezone.now()) - timedelta(seconds=settings.SUITE_RUN_STALL_SECONDS)


def runs_stalled(*, now: datetime | None = None) -> QuerySet[Run]:
    """Queued or running endpoint runs with no sign of life for ``SUITE_RUN_STALL_SECONDS``.

    The sign of life is the heartbeat, else the start, else the creation: a running run's chunks stamp
    the heartbeat at least every 30 s, and a queued run has had no worker take its dispatch since it
    was queued (or since the watchdog last re-sent it). One rule for both, so a lost dispatch message
    is treated like a killed worker.
    """
    return (Run.objects.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING], source=RunSource.ENDPOINT)
            .alias(last_sign=Coalesce("heartbeat_at", "started_at", "created_at"))
            .filter(last_sign__lt=_stall_cutoff(now)))


def run_is_stalled(run: Run, *, now: datetime | None = None) -> bool:
    """``runs_stalled``'s rule on one loaded run (no query)."""
    if run.status not in (RunStatus.QUEUED, RunStatus.RUNNING) or run.source != RunSource.ENDPOINT:
        return False
    return (run.heartbeat_at or run.started_at or run.created_at) < _stall_cutoff(now)


def run_can_resume(run: Run, *, now: datetime | None = None) -> bool:
    """Resume is offered for a stalled run or a cancelled endpoint run, never for a live one (a second
    dispatch beside live chunks only repeats their calls)."""
    if run.source != RunSource.ENDPOINT:
        return False
    return run.status == RunStatus.CANCELLED or run_is_stalled(run, now=now)


@dataclass(frozen=True)
class Progress:
    status: str
    n_done: int
    n_total: int
    n_errors: int
    n_pending_human: int

    @property
    def percent(self) -> float:
        return 100.0 * self.n_done / self.n_total if self.n_total else 100.0

    def as_dict(self) -> dict:
        return {"status": self.status, "n_done": self.n_done, "n_total": self.n_total, "n_errors": self.n_errors,
                "n_pending_human": self.n_pending_human, "percent": round(self.percent, 1)}


def run_progress(run: Run) -> Progress:
    """One COUNT over the run's results (the (run, item) unique index serves it)."""
    counts = RunResult.objects.filter(run_id=run.pk).aggregate(
        n=Count("id"), errors=Count("id", filter=~Q(error="")),
        pending=Count("id", filter=Q(score__isnull=True)))
    status = Run.objects.filter(pk=run.pk).values_list("status", flat=True).first() or run.status
    return Progress(status, counts["n"], run.n_items, counts["errors"], counts["pending"])


def run_error_counts(run: Run, *, limit: int = 3) -> list[ErrorCount]:
    """The run's most common item errors, most frequent first (one GROUP BY over its results)."""
    rows = (RunResult.objects.filter(run_id=run.pk).exclude(error="").values("error")
            .annotate(n=Count("id")).order_by("-n", "error")[:limit])
    return [ErrorCount(r["error"], r["n"]) for r in rows]


@dataclass(frozen=True)
class RunSummary:
    overall: ScoreRow | None
    clustered: bool
    categories: list[ScoreRow]
    n_graded: int
    n_errors: int
    tokens: int
    cost_usd: Decimal
    mean_latency_ms: float
    cost_per_item: Decimal


def _bounded(n: int, total: float, total_sq: float) -> tuple[float | None, float | None]:
    try:
        est = evalscores.mean_score_from_stat(MeanStat(n, total, total_sq), bounds=(0.0, 1.0))
    except StatsError:  # fewer than 2 items: a mean without an interval
        return None, None
    return est.lower, est.upper


def _row(label: str, n: int, total: float, total_sq: float, passes: int) -> ScoreRow:
    lower, upper = _bounded(n, total, total_sq)
    pass_lower, pass_upper = _bounded(n, float(passes), float(passes))  # a pass is 1, so Σx² = Σx
    return ScoreRow(label, n, total / n, lower, upper, passes / n, pass_lower, pass_upper)


def _score_aggregates() -> dict:
    score = Cast("score", FloatField())
    return {"n": Count("id"), "s": Sum(score), "ss": Sum(score * score),
            "passes": Count("id", filter=Q(passed=True))}


def run_summary(run: Run) -> RunSummary:
    """Score (CI), categories, errors, tokens and cost; a failed run has no score (``overall`` None)."""
    graded = RunResult.objects.filter(run_id=run.pk, score__isnull=False)
    per_category = graded.values(category=F("item__category")).annotate(**_score_aggregates()).order_by("category")
    categories = [_row(r["category"] or "(none)", r["n"], r["s"] or 0.0, r["ss"] or 0.0, r["passes"])
                  for r in per_category] if run.status != RunStatus.FAILED else []
    totals = RunResult.objects.filter(run_id=run.pk).aggregate(
        **_score_aggregates(), errors=Count("id", filter=~Q(error="")), tin=Sum("input_tokens"),
        tout=Sum("output_tokens"), cost=Sum("cost_usd"), latency=Avg("latency_ms"), all_n=Count("id"))
    n_graded = sum(r.n for r in categories)
    overall, clustered = None, False
    if n_graded:
        has_groups = graded.exclude(item__group="").exists()
        if has_groups:
            rows = list(graded.values_list("score", "item__group", "item_id", "passed"))
            clusters = [r[1] or f"item:{r[2]}" for r in rows]
            try:
                est = evalscores.mean_score([r[0] for r in rows], clusters=clusters, bounds=(0.0, 1.0))
                passed = evalscores.mean_score([1.0 if r[3] else 0.0 for r in rows], clusters=clusters,
                                               bounds=(0.0, 1.0))
                overall = ScoreRow("overall", est.n, est.mean, est.lower, est.upper, passed.mean, passed.lower,
                                   passed.upper)
                clustered = True
            except StatsError:
                has_groups = False
        if not has_groups:
            total = sum(c.mean * c.n for c in categories)
            total_sq = float(graded.aggregate(ss=Sum(Cast("score", FloatField()) * Cast("score", FloatField())))["ss"] or 0)
            overall = _row("overall", n_graded, total, total_sq, round(sum(c.pass_rate * c.n for c in categories)))
    cost = totals["cost"] or Decimal("0")
    n_all = totals["all_n"] or 0
    return RunSummary(overall, clustered, categories, n_graded, totals["errors"] or 0,
                      int((totals["tin"] or 0) + (totals["tout"] or 0)), cost, float(totals["latency"] or 0.0),
                      (cost / n_all) if n_all else Decimal("0"))


@dataclass(frozen=True)
class Flip:
    item: SuiteItem
    score_a: float
    score_b: float
    passed_a: bool
    passed_b: bool


@dataclass(frozen=True)
class RunComparison:
    run_a: Run
    run_b: Run
    n: int
    mean_a: float
    mean_b: float
    paired: evalscores.PairedDiff | None
    mcnemar: evalscores.McNemarResult | None
    flips: list[Flip]
    clustered: bool
    error: str = ""


def run_compare(run_a: Run, run_b: Run) -> RunComparison:
    """Paired comparison A − B over items both runs graded (same suite version, neither run failed)."""
    if run_a.version_id != run_b.version_id:
        raise ValueError("runs must use the same suite version to be compared item by item")
    failed = [r for r in (run_a, run_b) if r.status == RunStatus.FAILED]
    if failed:
        raise ValueError(f"run {failed[0].pk} failed (most items errored), so it has no score to compare")
    other = RunResult.objects.filter(run_id=run_b.pk, item_id=OuterRef("item_id"))
    rows = list(
        RunResult.objects.filter(run_id=run_a.pk, score__isnull=False)
        .annotate(score_b=Subquery(other.values("score")[:1]), passed_b=Subquery(other.values("passed")[:1]))
        .filter(score_b__isnull=False).select_related("item").order_by("item__position", "item_id")
    )
    if not rows:
        return RunComparison(run_a, run_b, 0, 0.0, 0.0, None, None, [], False, "no items graded in both runs")
    a = [r.score for r in rows]
    b = [r.score_b for r in rows]
    groups = [r.item.group for r in rows]
    clusters = [g or f"item:{r.item_id}" for g, r in zip(groups, rows, strict=True)] if any(groups) else None
    error = ""
    try:
        paired = evalscores.paired_difference(a, b, clusters=clusters)
    except StatsError as exc:
        paired, error = None, str(exc)
    mcn = evalscores.mcnemar([bool(r.passed) for r in rows], [bool(r.passed_b) for r in rows])
    flips = [Flip(r.item, r.score, r.score_b, bool(r.passed), bool(r.passed_b)) for r in rows
             if bool(r.passed) != bool(r.passed_b)]
    return RunComparison(run_a, run_b, len(rows), sum(a) / len(a), sum(b) / len(b), paired, mcn, flips,
                      clusters is not None, error)


def run_report(run: Run, *, summary: bool = True) -> RunReport:
    """The run as the API shows it: state and progress, plus scores, tokens and cost with ``summary``."""
    progress = run_progress(run)
    scores = run_summary(run) if summary else None
    return RunReport(
        id=run.pk, suite=run.version.suite.slug, version=run.version.number, variant=run.variant.slug,
        status=progress.status, source=run.source, n_items=run.n_items, n_total=progress.n_total,
        n_done=progress.n_done, n_errors=progress.n_errors, n_pending_human=progress.n_pending_human,
        percent=round(progress.percent, 1), created_at=run.created_at, started_at=run.started_at,
        finished_at=run.finished_at, can_resume=run_can_resume(run), error=run.error,
        top_errors=tuple(run_error_counts(run)) if progress.n_errors else (),
        **({} if scores is None else {
            "overall": scores.overall, "clustered": scores.clustered, "categories": tuple(scores.categories),
            "tokens": scores.tokens, "cost_usd": float(scores.cost_usd)}),
    )


def run_compare_summary(run_a: Run, run_b: Run) -> RunComparisonSummary:
    """``run_compare`` as numbers (the API's shape); the same ``ValueError`` for runs that cannot be compared."""
    cmp = run_compare(run_a, run_b)
    p, m = cmp.paired, cmp.mcnemar
    return RunComparisonSummary(
        run_a=run_a.pk, run_b=run_b.pk, n=cmp.n, mean_a=cmp.mean_a, mean_b=cmp.mean_b,
        mean_diff=p and p.mean_diff, lower=p and p.lower, upper=p and p.upper, p_value=p and p.p_value,
        mcnemar_b=m and m.b, mcnemar_c=m and m.c, mcnemar_p=m and m.p_value, clustered=cmp.clustered,
        flipped=tuple(f.item.external_id for f in cmp.flips),
    )


@dataclass(frozen=True)
class FrontierPoint:
    run_id: int
    variant: str
    strategy: str
    mean: float
    lower: float | None
    upper: float | None
    cost_per_item: float
    tokens_per_item: float


def version_frontier(version: SuiteVersion) -> list[FrontierPoint]:
    """The newest finished run per variant on this version: mean score (CI) against cost per item. The interval is
    the run page's (``run_summary``): clustered by item group where items are grouped."""
    score = Cast("score", FloatField())
    runs = (Run.objects.filter(version=version, status=RunStatus.DONE).select_related("variant")
            .order_by("variant_id", "-finished_at", "-id").distinct("variant_id"))
    stats = {r["run_id"]: r for r in RunResult.objects.filter(run__in=[r.pk for r in runs], score__isnull=False)
             .values("run_id").annotate(n=Count("id"), s=Sum(score), ss=Sum(score * score),
                                        cost=Sum("cost_usd"), tokens=Sum("input_tokens") + Sum("output_tokens"))}
    points = []
    clustered = _clustered_scores([r.pk for r in runs])  # one interval per run, as on the run page
    for run in runs:
        agg = stats.get(run.pk)
        if not agg:
            continue
        est = clustered.get(run.pk)
        if est is not None and est.value is not None:
            mean, lower, upper = est.value, est.lower, est.upper
        else:
            row = _row(run.variant.slug, agg["n"], agg["s"] or 0.0, agg["ss"] or 0.0, 0)
            mean, lower, upper = row.mean, row.lower, row.upper
        points.append(FrontierPoint(run.pk, run.variant.slug, run.variant.test_time_strategy, mean, lower,
                                    upper, float(agg["cost"] or 0) / agg["n"], float(agg["tokens"] or 0) / agg["n"]))
    return sorted(points, key=lambda p: p.cost_per_item)


def human_grades_pending() -> QuerySet[HumanGrade]:
    return (HumanGrade.objects.filter(graded_at__isnull=True)
            .select_related("result__item", "result__run__version__suite").order_by("created_at", "id"))


def latest_done_runs() -> dict[tuple[int, int], tuple[int, int]]:
    """(variant id, suite id) → (run id, version id) of the latest completed run (failed runs never count)."""
    rows = (
        Run.objects.filter(status=RunStatus.DONE)
        .order_by("variant_id", "version__suite_id", "-finished_at", "-id")
        .distinct("variant_id", "version__suite_id")
        .values_list("variant_id", "version__suite_id", "id", "version_id")
    )
    return {(v, s): (r, ver) for v, s, r, ver in rows}


def _clustered_scores(run_ids: list[int]) -> dict[int, Estimate]:
    """The overall score of each run whose items are grouped, clustered by item group exactly as the run
    page computes it (``run_summary``): every page shows one interval for one run."""
    grouped = set(RunResult.objects.filter(run_id__in=run_ids, score__isnull=False).exclude(item__group="")
                  .values_list("run_id", flat=True).distinct())
    rows: dict[int, list[tuple[float, str]]] = {run_id: [] for run_id in grouped}
    for run_id, score, group, item_id in RunResult.objects.filter(run_id__in=grouped, score__isnull=False) \
            .values_list("run_id", "score", "item__group", "item_id"):
        rows[run_id].append((float(score), group or f"item:{item_id}"))
    out = {}
    for run_id, scored in rows.items():
        try:
            est = evalscores.mean_score([x for x, _ in scored], clusters=[g for _, g in scored], bounds=(0.0, 1.0))
        except StatsError:
            continue
        out[run_id] = Estimate(est.mean, est.lower, est.upper, est.se, est.n)
    return out


def suite_scores_latest() -> list[SuiteScore]:
    """Each variant's mean score and 95% interval on each suite, from its latest completed run: clustered by
    item group where items are grouped (as on the run page), else the bounded t / Wilson interval (5 queries)."""
    runs = latest_done_runs()
    if not runs:
        return []
    suites = {s.pk: s for s in Suite.objects.filter(pk__in={s for _, s in runs})}
    cost = Cast("cost_usd", FloatField())
    aggregates = {
        row["run_id"]: row
        for row in RunResult.objects.filter(run_id__in=[r for r, _ in runs.values()], score__isnull=False)
        .values("run_id")
        .annotate(n=Count("id"), s=Sum("score"), ss=Sum(F("score") * F("score")),
                  c=Sum(cost), cc=Sum(cost * cost), lat=Sum("latency_ms"))
    }
    clustered = _clustered_scores([r for r, _ in runs.values()])
    out = []
    for (variant_id, suite_id), (run_id, version_id) in sorted(runs.items()):
        row = aggregates.get(run_id)
        score = clustered.get(run_id) or (mean_estimate(row["n"], row["s"], row["ss"], bounds=(0.0, 1.0)) if row else None)
        if row is None or score is None:
            continue
        suite = suites[suite_id]
        out.append(SuiteScore(
            suite_slug=suite.slug, suite_name=suite.name, version_id=version_id, run_id=run_id, variant_id=variant_id,
            score=score, cost_per_item=mean_estimate(row["n"], row["c"] or 0.0, row["cc"] or 0.0),
            latency_mean_ms=(row["lat"] or 0.0) / row["n"],
        ))
    return out


def paired_item_scores(run_a: int, run_b: int) -> PairedItemScores:
    """Scores of two runs on the items both graded, aligned by item (one query; suites are ≤ thousands)."""
    by_run: dict[int, dict[int, float]] = {run_a: {}, run_b: {}}
    for run_id, item_id, score in RunResult.objects.filter(run_id__in=[run_a, run_b], score__isnull=False).values_list(
        "run_id", "item_id", "score"
    ):
        by_run[run_id][item_id] = float(score)
    common = sorted(by_run[run_a].keys() & by_run[run_b].keys())
    return PairedItemScores(tuple(by_run[run_a][i] for i in common), tuple(by_run[run_b][i] for i in common))


# ---------------------------------------------------------------- failure-mode slices (read by evalhub.failures)

# How a dimension reads a suite item, by kind: an SQL expression over the item (i); %s is the dimension's key.
_SLICE_EXPRESSIONS = {
    "derived": "i.features ->> %s",
    "suite_category": "NULLIF(i.category, '')",
    "suite_metadata": "i.metadata ->> %s",
}


@dataclass(frozen=True)
class SuiteRunPair:
    """The latest finished runs of a variant and of its baseline on one suite version (paired on its items)."""

    suite_slug: str
    suite_name: str
    version_id: int
    run_id: int
    baseline_run_id: int


@dataclass(frozen=True)
class SuiteSliceStats:
    """Sufficient statistics of the paired per-item scores (variant a, baseline b) in one slice.

    With item groups (ungrouped items are their own group), per group g of n_g items with S_g = Σ(a − b):
    ``clusters`` = G, ``cluster_d_sq`` = Σ S_g², ``cluster_nd`` = Σ n_g·S_g, ``cluster_n_sq`` = Σ n_g²
    (``evalhub.stats.slices.PairedSlice``); all 0 when the version groups no item.
    """

    suite_slug: str
    run_id: int
    baseline_run_id: int
    dimension: str
    value: str
    n: int
    sum_a: float
    sum_b: float
    sum_d_sq: float
    clusters: int
    cluster_d_sq: float
    cluster_nd: float
    cluster_n_sq: float


@dataclass(frozen=True)
class SuiteSliceExample:
    item_id: int
    external_id: str
    prompt: str
    output: str
    baseline_output: str
    score: float
    baseline_score: float
    run_id: int


def failure_run_pairs(*, variant_id: int, baseline_id: int, suite_slug: str | None = None) -> list[SuiteRunPair]:
    """Per suite, the newest version both variants finished a run on, with each one's latest such run."""
    latest = (Run.objects.filter(status=RunStatus.DONE, variant_id__in=[variant_id, baseline_id])
              .values_list("id", "version_id", "variant_id", "version__number", "version__suite__slug",
                           "version__suite__name")
              .order_by("-created_at", "-id"))
    if suite_slug:
        latest = latest.filter(version__suite__slug=suite_slug)
    runs: dict[tuple[int, int], tuple] = {}
    for row in latest:
        runs.setdefault((row[1], row[2]), row)
    pairs: dict[str, SuiteRunPair] = {}
    for (version_id, vid), row in sorted(runs.items(), key=lambda kv: -kv[1][3]):
        other = runs.get((version_id, baseline_id))
        if vid != variant_id or other is None or row[4] in pairs:
            continue
        pairs[row[4]] = SuiteRunPair(row[4], row[5], version_id, row[0], other[0])
    return [pairs[slug] for slug in sorted(pairs)]


def _slice_sets(dimensions: list[tuple[str, str, str]]) -> list[tuple[str, str]]:
    """(name, SQL expression) of the dimensions a GROUPING SET can read."""
    from evalhub.core.slicing import slice_expressions

    return slice_expressions(_SLICE_EXPRESSIONS, dimensions)


def failure_slice_stats(pair: SuiteRunPair, dimensions: list[tuple[str, str, str]]) -> list[SuiteSliceStats]:
    """Paired slice statistics of one run pair, aggregated in SQL.

    ``dimensions``: (name, kind, key) with kind ``derived`` (a key of the item's derived features),
    ``suite_category`` or ``suite_metadata`` (a key of the item's metadata) — one query for all of them —
    and ``suite_tag`` (each element of the list at metadata ``key``; one query each). Scores as on the run
    page: graded results only (errors score 0). Three levels: cells by every dimension's value and item
    group, then GROUPING SETS per dimension and group, then per slice the group-level sums CR1 needs.
    """
    from django.db import connection

    from evalhub.core.slicing import grouping_sets_sql, slice_key_literal, split_grouping_rows

    sets = _slice_sets(dimensions)
    tags = [(name, key) for name, kind, key in dimensions if kind == "suite_tag"]
    clustered = SuiteItem.objects.filter(version_id=pair.version_id).exclude(group="").exists()
    cluster = "COALESCE(NULLIF(i.\"group\", ''), 'item:' || i.id)" if clustered else "''"
    base = ("FROM suites_runresult a JOIN suites_runresult b ON b.item_id = a.item_id AND b.run_id = %s "
            "AND b.score IS NOT NULL JOIN suites_suiteitem i ON i.id = a.item_id "
            "WHERE a.run_id = %s AND a.score IS NOT NULL")
    cell_sums = ("count(*) AS n, sum(a.score) AS sa, sum(b.score) AS sb, sum((a.score - b.score) ^ 2) AS sq, "
                 "sum(a.score - b.score) AS sd")
    # Per slice, from its per-group rows (n, sa, sb, sq, sd): totals, G, Σ S_g², Σ n_g·S_g, Σ n_g².
    per_slice = ("sum(n), sum(sa), sum(sb), sum(sq), count(*), sum(sd * sd), sum(n * sd), sum(n * n)")
    rows: list[tuple] = []
    with connection.cursor() as cursor:
        if sets:
            dims = [f"d{j}" for j in range(len(sets))]
            inner_cols = ", ".join(f"({expr}) AS {d}" for (_, expr), d in zip(sets, dims, strict=True))
            cols, flags, grouping = grouping_sets_sql(dims, "c")
            flag_names = [f"g{j}" for j in range(len(sets))]
            flag_cols = ", ".join(f"GROUPING({d}) AS {g}" for d, g in zip(dims, flag_names, strict=True))
            cursor.execute(
                f"SELECT {', '.join(dims)}, {', '.join(flag_names)}, {per_slice} FROM ("
                f"SELECT {cols}, {flag_cols}, c, sum(n) AS n, sum(sa) AS sa, sum(sb) AS sb, sum(sq) AS sq, "
                f"sum(sd) AS sd FROM (SELECT {inner_cols}, {cluster} AS c, {cell_sums} {base} "
                f"GROUP BY {', '.join(dims)}, c) AS cells GROUP BY GROUPING SETS ({grouping})) AS per_group "
                f"GROUP BY {', '.join(dims)}, {', '.join(flag_names)}",
                [pair.baseline_run_id, pair.run_id])
            rows.extend((name, value, *rest) for name, value, rest in
                        split_grouping_rows(cursor.fetchall(), [name for name, _ in sets]))
        for name, key in tags:
            cursor.execute(f"SELECT tag, {per_slice} FROM ({_tag_sql(cluster, base, cell_sums, slice_key_literal(key))})"
                           f" AS per_group GROUP BY tag", [pair.baseline_run_id, pair.run_id])
            rows.extend((name, str(tag), *rest) for tag, *rest in cursor.fetchall())
    return sorted((SuiteSliceStats(pair.suite_slug, pair.run_id, pair.baseline_run_id, name, value, int(n),
                                   float(sa), float(sb), float(sq), int(g) if clustered else 0,
                                   float(dsq) if clustered else 0.0, float(nd) if clustered else 0.0,
                                   float(nsq) if clustered else 0.0)
                   for name, value, n, sa, sb, sq, g, dsq, nd, nsq in rows), key=lambda s: (s.dimension, s.value))


def _tag_sql(cluster: str, base: str, sums: str, key: str) -> str:
    tags = (f"CROSS JOIN LATERAL jsonb_array_elements_text(CASE WHEN jsonb_typeof(i.metadata -> {key}) = 'array' "
            f"THEN i.metadata -> {key} ELSE '[]'::jsonb END) AS t(tag)")
    head, where = base.split(" WHERE ", 1)
    return f"SELECT t.tag AS tag, {cluster} AS c, {sums} {head} {tags} WHERE {where} GROUP BY 1, 2"


def failure_slice_examples(pair: SuiteRunPair, dimension: tuple[str, str, str], value: str, *,
                           limit: int = 3) -> list[SuiteSliceExample]:
    """Items of one slice where the variant did worst against the baseline (largest score drop first)."""
    _, kind, key = dimension
    results = RunResult.objects.filter(run_id=pair.run_id, score__isnull=False)
    if kind == "derived":
        results = results.filter(**{f"item__features__{key}": value})
    elif kind == "suite_category":
        results = results.filter(item__category=value)
    elif kind == "suite_metadata":
        results = results.filter(**{f"item__metadata__{key}": value})
    elif kind == "suite_tag":
        results = results.filter(**{f"item__metadata__{key}__contains": [value]})
    else:
        return []
    baseline = RunResult.objects.filter(run_id=pair.baseline_run_id, item_id=OuterRef("item_id"), score__isnull=False)
    worst = list(results.annotate(baseline_score=Subquery(baseline.values("score")[:1]),
                                  baseline_output=Subquery(baseline.values("output")[:1]))
                 .filter(baseline_score__isnull=False).select_related("item")
                 .order_by(F("score") - F("baseline_score"), "item__position")[:limit])
    return [SuiteSliceExample(r.item_id, r.item.external_id, r.item.prompt_text, r.output, r.baseline_output or "",
                              float(r.score or 0), float(r.baseline_score or 0), pair.run_id) for r in worst]


def failure_best_other_variant(variant_id: int, *, suite_slug: str | None = None) -> int | None:
    """The other variant with the best mean score on the suite versions ``variant_id`` finished runs on
    (latest finished run per variant and version; the mean averaged over the shared versions)."""
    runs = Run.objects.filter(status=RunStatus.DONE, n_scored__gt=0)
    if suite_slug:
        runs = runs.filter(version__suite__slug=suite_slug)
    versions = set(runs.filter(variant_id=variant_id).values_list("version_id", flat=True))
    if not versions:
        return None
    latest: dict[tuple[int, int], float] = {}
    for vid, version_id, total, n in (runs.filter(version_id__in=versions).exclude(variant_id=variant_id)
                                      .order_by("-created_at", "-id")
                                      .values_list("variant_id", "version_id", "score_sum", "n_scored")):
        latest.setdefault((vid, version_id), total / n)
    means: dict[int, list[float]] = {}
    for (vid, _), mean in latest.items():
        means.setdefault(vid, []).append(mean)
    if not means:
        return None
    return max(means, key=lambda v: (len(means[v]), sum(means[v]) / len(means[v]), -v))


def failure_slice_items(pair: SuiteRunPair, dimension: tuple[str, str, str], value: str, *,
                        limit: int = 1000) -> list[dict]:
    """The items of one slice as suite JSONL objects (what ``suite_import`` reads), in suite order."""
    _, kind, key = dimension
    items = SuiteItem.objects.filter(version_id=pair.version_id)
    if kind == "derived":
        items = items.filter(**{f"features__{key}": value})
    elif kind == "suite_category":
        items = items.filter(category=value)
    elif kind == "suite_metadata":
        items = items.filter(**{f"metadata__{key}": value})
    elif kind == "suite_tag":
        items = items.filter(**{f"metadata__{key}__contains": [value]})
    else:
        return []
    out = []
    for item in items.order_by("position", "id")[:limit]:
        row = {"id": item.external_id, "input": item.input, "targets": item.targets, "category": item.category}
        for name in ("group", "grader", "choices", "tools", "context"):
            if getattr(item, name):
                row[name] = getattr(item, name)
        row.update({k: v for k, v in (item.metadata or {}).items() if k not in row})
        out.append(row)
    return out


@dataclass(frozen=True)
class GradedAnswer:
    """One graded answer to an item with a right answer (for "confident and wrong")."""

    item_id: int
    suite_slug: str
    output: str
    correct: bool
    category: str
    features: dict
    metadata: dict


def failure_graded_answers(*, variant_id: int, suite_slug: str | None = None, limit: int = 50_000) -> list[GradedAnswer]:
    """The variant's graded answers, from its latest finished run per suite, on items that have targets."""
    runs = Run.objects.filter(status=RunStatus.DONE, variant_id=variant_id)
    if suite_slug:
        runs = runs.filter(version__suite__slug=suite_slug)
    latest: dict[int, int] = {}
    for run_id, suite_id in runs.order_by("-created_at", "-id").values_list("id", "version__suite_id"):
        latest.setdefault(suite_id, run_id)
    results = (RunResult.objects.filter(run_id__in=list(latest.values()), score__isnull=False)
               .exclude(item__targets=[]).order_by("run_id", "item__position")
               .values_list("item_id", "run__version__suite__slug", "output", "passed", "score", "item__category",
                            "item__features", "item__metadata")[:limit])
    return [GradedAnswer(item_id, slug, output or "", bool(passed) if passed is not None else score >= 1.0,
                         category or "", features or {}, metadata or {})
            for item_id, slug, output, passed, score, category, features, metadata in results]
