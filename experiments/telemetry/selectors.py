"""Reads of the telemetry app. Everything here reads ``HourlyRollup`` — never raw events — so a
page costs the same over ten events or ten billion (rows = hours × variants × arms).

Statistics come from ``evalhub.stats``: proportions get Wilson intervals
(``agreement.wilson_interval``), means a t interval from (n, Σx, Σx²)
(``evalscores.mean_score_from_stat``), percentiles an order-statistic interval read off the
summed latency histogram (``abtest.quantile_ci_from_histogram``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import connection

from evalhub.core.models import ModelVariant
from evalhub.core.read_models import LEVEL, mean_estimate, rate_estimate
from evalhub.stats import Estimate, MeanStat, StatsError
from evalhub.stats.ab import quantile_ci_from_histogram, quantile_from_histogram
from evalhub.stats.agreement import wilson_interval
from evalhub.stats.evalscores import mean_score_from_stat
from experiments.telemetry.buckets import LATENCY_BUCKET_EDGES_MS, N_LATENCY_BUCKETS
from experiments.telemetry.read_models import ProductionWindow, VariantProduction

PERIODS: dict[str, timedelta] = {
    "24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30), "90d": timedelta(days=90),
}
DEFAULT_PERIOD = "7d"


@dataclass(frozen=True)
class VariantMetrics:
    variant_id: int
    slug: str
    name: str
    n: int
    latency_p50: Estimate
    latency_p95: Estimate
    latency_p99: Estimate
    latency_mean: Estimate
    ttft_mean: Estimate
    cost_per_request: Estimate  # per successful call (failed calls' cost, if any, is spread over the successes)
    cost_per_1k: Estimate
    cost_total: float
    tokens_per_request: float
    refusal_rate: Estimate
    reask_rate: Estimate
    thumbs_up_rate: Estimate
    success_rate: Estimate
    error_rate: Estimate
    errors: int
    input_tokens: int
    output_tokens: int  # visible answer; reasoning tokens apart (one convention everywhere)
    reasoning_tokens: int
    refusal_sources: dict[str, int]  # refusals by the signal that decided: client, api_refusal, finish_reason, text
    judge_calls: int = 0  # answers the optional refusal judge read (TELEMETRY_REFUSAL_JUDGE)
    judge_cost: float = 0.0  # what those calls cost (USD): monitoring overhead, not in cost per request


@dataclass(frozen=True)
class Period:
    key: str
    since: datetime
    until: datetime


def period_for(key: str | None, *, now: datetime | None = None) -> Period:
    """A preset period ending at the next full hour (unknown keys fall back to the default)."""
    key = key if key in PERIODS else DEFAULT_PERIOD
    until = _period_end(now or datetime.now(UTC))
    return Period(key, until - PERIODS[key], until)


def _period_end(now: datetime) -> datetime:
    """Where every production window ends: the next full hour (the current hour's rollup included)."""
    return now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


def rate(successes: int, n: int) -> Estimate:
    """A proportion with its Wilson interval (stats adapter; no formulas here)."""
    if n <= 0:
        return Estimate(None, n=0)
    lower, upper = wilson_interval(int(successes), int(n))
    return Estimate(successes / n, lower, upper, n=n)


def mean(n: int, total: float, total_sq: float, *, scale: float = 1.0) -> Estimate:
    """A mean with its t interval from sufficient statistics, optionally scaled (e.g. ×1000)."""
    if n <= 0:
        return Estimate(None, n=0)
    if n < 2:
        return Estimate(total / n * scale, n=n)
    try:
        est = mean_score_from_stat(MeanStat(n=int(n), sum=float(total), sum_sq=max(float(total_sq), total * total / n)))
    except StatsError:
        return Estimate(total / n * scale, n=n)
    return Estimate(est.mean * scale, est.lower * scale, est.upper * scale, n=n)


def percentile(hist: list[int], q: float) -> Estimate:
    n = int(sum(hist))
    if n <= 0:
        return Estimate(None, n=0)
    value, lower, upper = quantile_ci_from_histogram(hist, LATENCY_BUCKET_EDGES_MS, q)
    return Estimate(value, lower, upper, n=n)


_SUM_COLUMNS = (
    "n", "latency_n", "latency_sum", "latency_sum_sq", "ttft_n", "ttft_sum", "ttft_sum_sq", "input_tokens",
    "output_tokens", "reasoning_tokens", "cost_sum", "cost_sum_sq", "refusals", "reasks", "feedback_n", "thumbs_up",
    "success_n", "successes", "errors", "refusals_client", "refusals_api", "refusals_finish_reason", "refusals_text",
    "refusals_judge",
    "reask_detectable", "judge_calls", "judge_cost_sum",
)
_SUMS = ", ".join(f"sum({column})" for column in _SUM_COLUMNS)
_AT = {column: i for i, column in enumerate(_SUM_COLUMNS)}


def _filters(period: Period, experiment_key: str | None) -> tuple[str, list]:
    where, params = "hour >= %s AND hour < %s", [period.since, period.until]
    if experiment_key:
        where += " AND experiment_key = %s"
        params.append(experiment_key)
    return where, params


# Element-wise histogram sums as 64 plain aggregates: ~10x faster than unnest + GROUP BY over
# the array elements (51,840 rollup rows ≈ 10M events sum in well under 100 ms).
_HIST_SUMS = ", ".join(f"sum(latency_hist[{i}])" for i in range(1, N_LATENCY_BUCKETS + 1))


@dataclass(frozen=True)
class SeriesPoint:
    at: datetime
    n: int
    latency_p95: float | None
    refusal_rate: float | None
    reask_rate: float | None
    thumbs_up_rate: float | None
    cost_per_request: float | None
    error_rate: float | None = None


_N_SUMS = len(_SUM_COLUMNS)


def _scan(period: Period, experiment_key: str | None) -> list[tuple]:
    """ONE pass over the period's rollups, grouped by (time bucket, variant): hour buckets for
    periods up to 2 days, else days. Both the table and the time series are derived from it."""
    step = "hour" if period.until - period.since <= timedelta(days=2) else "day"
    where, params = _filters(period, experiment_key)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT date_trunc('{step}', hour, 'UTC') AS b, variant_id, {_SUMS}, {_HIST_SUMS} "
            f"FROM telemetry_hourlyrollup WHERE {where} GROUP BY 1, 2 ORDER BY 1", params,
        )
        return [(r[0], r[1], [float(v or 0) for v in r[2:2 + _N_SUMS]], [int(c or 0) for c in r[2 + _N_SUMS:]])
                for r in cursor.fetchall()]


def _metrics_from(scan: list[tuple], variants: dict[int, ModelVariant]) -> list[VariantMetrics]:
    totals: dict[int, tuple[list[float], list[int]]] = {}
    for _, variant_id, sums, hist in scan:
        acc = totals.setdefault(variant_id, ([0.0] * _N_SUMS, [0] * N_LATENCY_BUCKETS))
        for i, value in enumerate(sums):
            acc[0][i] += value
        for i, count in enumerate(hist):
            acc[1][i] += count
    out = []
    for variant_id, (sums, hist) in totals.items():
        v = {column: sums[i] for column, i in _AT.items()}
        n, errors = int(v["n"]), int(v["errors"])
        ok = n - errors  # latency, cost per request and tokens per request describe successful calls
        tokens = v["input_tokens"] + v["output_tokens"] + v["reasoning_tokens"]
        variant = variants[variant_id]
        out.append(VariantMetrics(
            variant_id=variant_id, slug=variant.slug, name=variant.name, n=n,
            latency_p50=percentile(hist, 0.50), latency_p95=percentile(hist, 0.95), latency_p99=percentile(hist, 0.99),
            latency_mean=mean(int(v["latency_n"]), v["latency_sum"], v["latency_sum_sq"]),
            ttft_mean=mean(int(v["ttft_n"]), v["ttft_sum"], v["ttft_sum_sq"]),
            cost_per_request=mean(ok, v["cost_sum"], v["cost_sum_sq"]),
            cost_per_1k=mean(ok, v["cost_sum"], v["cost_sum_sq"], scale=1000.0),
            cost_total=v["cost_sum"], tokens_per_request=tokens / ok if ok else 0.0,
            refusal_rate=rate(int(v["refusals"]), ok), reask_rate=rate(int(v["reasks"]), int(v["reask_detectable"])),
            thumbs_up_rate=rate(int(v["thumbs_up"]), int(v["feedback_n"])),
            success_rate=rate(int(v["successes"]), int(v["success_n"])),
            error_rate=rate(errors, n), errors=errors,
            input_tokens=int(v["input_tokens"]), output_tokens=int(v["output_tokens"]),
            reasoning_tokens=int(v["reasoning_tokens"]),
            refusal_sources={"client": int(v["refusals_client"]), "api_refusal": int(v["refusals_api"]),
                             "finish_reason": int(v["refusals_finish_reason"]), "text": int(v["refusals_text"]),
                             "judge": int(v["refusals_judge"])},
            judge_calls=int(v["judge_calls"]), judge_cost=v["judge_cost_sum"],
        ))
    return sorted(out, key=lambda m: m.slug)


def _series_from(scan: list[tuple], variants: dict[int, ModelVariant]) -> dict[str, list[SeriesPoint]]:
    series: dict[str, list[SeriesPoint]] = {}
    for at, variant_id, sums, hist in scan:
        n, errors = int(sums[_AT["n"]]), int(sums[_AT["errors"]])
        ok = n - errors
        cost, refusals, reasks = sums[_AT["cost_sum"]], sums[_AT["refusals"]], sums[_AT["reasks"]]
        detectable = sums[_AT["reask_detectable"]]
        fb_n, up = sums[_AT["feedback_n"]], sums[_AT["thumbs_up"]]
        series.setdefault(variants[variant_id].slug, []).append(SeriesPoint(
            at=at, n=n,
            latency_p95=quantile_from_histogram(hist, LATENCY_BUCKET_EDGES_MS, 0.95) if sum(hist) else None,
            refusal_rate=refusals / ok if ok else None, reask_rate=reasks / detectable if detectable else None,
            thumbs_up_rate=up / fb_n if fb_n else None, cost_per_request=cost / ok if ok else None,
            error_rate=errors / n if n else None,
        ))
    return dict(sorted(series.items()))


def _variants(scan: list[tuple]) -> dict[int, ModelVariant]:
    ids = {row[1] for row in scan}
    return {v.id: v for v in ModelVariant.objects.filter(id__in=ids).only("id", "slug", "name")} if ids else {}


def variant_metrics(*, period: Period, experiment_key: str | None = None) -> list[VariantMetrics]:
    """The comparison table: one row per variant with traffic in the period."""
    scan = _scan(period, experiment_key)
    return _metrics_from(scan, _variants(scan))


def timeseries(*, period: Period, experiment_key: str | None = None) -> dict[str, list[SeriesPoint]]:
    """Per variant slug, points per hour (periods up to 2 days) or per day."""
    scan = _scan(period, experiment_key)
    return _series_from(scan, _variants(scan))


def dashboard(*, period: Period, experiment_key: str | None = None) -> tuple[list[VariantMetrics], dict[str, list[SeriesPoint]]]:
    """Table and time series from a single scan of the rollups (2 queries in all)."""
    scan = _scan(period, experiment_key)
    variants = _variants(scan)
    return _metrics_from(scan, variants), _series_from(scan, variants)


@dataclass(frozen=True)
class PendingWork:
    """What ingestion left to the worker (``services.pending_drain``) and it has not done yet: events whose re-asks
    and slice features are not counted, and how long the oldest has waited. Zero and None when none waits."""

    events: int
    oldest_seconds: float | None


def pending_work(*, now: datetime | None = None) -> PendingWork:
    """The drain's backlog, from the pending rows' counts (their prompts are not read)."""
    now = now or datetime.now(UTC)
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(sum(n_events), 0), min(created_at) FROM telemetry_pendingbatch")
        events, oldest = cursor.fetchone()
    return PendingWork(events=int(events), oldest_seconds=None if oldest is None else
                       max(0.0, (now - oldest).total_seconds()))


def experiment_keys(*, period: Period) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT experiment_key FROM telemetry_hourlyrollup WHERE hour >= %s AND hour < %s "
            "AND experiment_key <> '' ORDER BY 1", [period.since, period.until],
        )
        return [r[0] for r in cursor.fetchall()]


def latency_histograms(*, group_by: str, where: str, params: list) -> dict[object, list[int]]:
    """Summed latency histograms of the rollups matching ``where``, per ``group_by`` column (one query).

    The one SQL form of the histogram sum (``_HIST_SUMS``); ``group_by`` is a rollup column such as
    ``variant_id`` or ``arm``, ``where`` a condition on rollup columns with ``%s`` placeholders.
    """
    if group_by not in _HIST_GROUPS:
        raise ValueError(f"group_by must be one of {', '.join(_HIST_GROUPS)}")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {group_by}, {_HIST_SUMS} FROM telemetry_hourlyrollup WHERE {where} GROUP BY 1", params)
        return {row[0]: [int(c or 0) for c in row[1:]] for row in cursor.fetchall()}


_HIST_GROUPS = ("variant_id", "arm")
_PRODUCTION_COLUMNS = ("n", "cost_sum", "cost_sum_sq", "refusals", "reasks", "feedback_n", "thumbs_up", "success_n",
                       "successes", "errors", "reask_detectable")


def production_by_variant(*, days: int, now: datetime | None = None) -> ProductionWindow:
    """Per-variant production quality over the last ``days`` days (1 query).

    The window is the production page's for the same length (``period_for``): it ends at the next full
    hour, so "7 days" on the leadership pages and the ``7d`` period of the production page and
    ``/api/v1/production`` hold the same requests. ``start``/``end`` are None when the window holds no data.
    """
    until = _period_end(now or datetime.now(UTC))
    start, end = until - timedelta(days=days), until
    with connection.cursor() as cursor:
        sums = ", ".join(f"sum({column})" for column in _PRODUCTION_COLUMNS)
        cursor.execute(f"SELECT variant_id, {sums}, {_HIST_SUMS} FROM telemetry_hourlyrollup "
                       "WHERE hour >= %s AND hour < %s GROUP BY variant_id ORDER BY variant_id", [start, end])
        rows = cursor.fetchall()
    if not rows:
        return ProductionWindow(None, None, days)
    out = []
    k = len(_PRODUCTION_COLUMNS)
    for row in rows:
        v = {column: row[1 + i] or 0 for i, column in enumerate(_PRODUCTION_COLUMNS)}
        n = int(v["n"])
        if n <= 0:
            continue
        hist = [int(c or 0) for c in row[1 + k:]]
        latency = None
        if sum(hist) > 0:
            value, lower, upper = quantile_ci_from_histogram(hist, LATENCY_BUCKET_EDGES_MS, 0.95, alpha=1 - LEVEL)
            latency = Estimate(value, lower, upper, None, sum(hist))
        out.append(VariantProduction(
            variant_id=row[0], n=n,
            success=rate_estimate(int(v["successes"]), int(v["success_n"])),
            thumbs_up=rate_estimate(int(v["thumbs_up"]), int(v["feedback_n"])),
            # As on the production page: refusals among successful calls, re-asks among detectable ones.
            refusal=rate_estimate(int(v["refusals"]), n - int(v["errors"])),
            reask=rate_estimate(int(v["reasks"]), int(v["reask_detectable"])),
            cost_per_request=mean_estimate(n, float(v["cost_sum"]), float(v["cost_sum_sq"])),
            latency_p95_ms=latency,
        ))
    return ProductionWindow(start, end, days, tuple(out))


# ---------------------------------------------------------------- failure-mode slices (read by evalhub.failures)
# Unlike the rest of this module these read raw events: a slice is a value of an event attribute or of a
# derived feature, which rollups do not keep. One aggregate (GROUPING SETS) per call, in SQL.

# How a dimension reads an event, by kind; %s is the dimension's key.
_SLICE_EXPRESSIONS = {
    "derived": "features ->> %s",
    "event_attribute": "metadata ->> %s",
}


@dataclass(frozen=True)
class EventSliceStats:
    """Sufficient statistics of one variant's events in one slice.

    ``errors`` are failed calls; latency sums cover answered calls only (as the rollups).
    """

    variant_id: int
    dimension: str
    value: str
    n: int
    refusals: int
    reasks: int
    errors: int
    latency_n: int
    latency_sum: float
    latency_sum_sq: float
    feedback_n: int
    thumbs_up: int
    success_n: int
    successes: int


@dataclass(frozen=True)
class EventSliceExample:
    event_id: str
    ts: datetime
    prompt: str | None
    response: str | None
    refused: bool
    reasked: bool
    error_type: str
    feedback: int | None


def failure_slice_stats(*, variant_ids: list[int], dimensions: list[tuple[str, str, str]], start: datetime,
                        end: datetime) -> list[EventSliceStats]:
    """Per variant and slice: refusals, re-asks, errors, latency sums, thumbs and task success.

    ``dimensions``: (name, kind, key) with kind ``derived`` (a key of the derived features stored at
    ingestion) or ``event_attribute`` (a key of the event's ``metadata``: route, feature, segment, …).
    """
    from evalhub.core.slicing import grouping_sets_sql, slice_expressions, split_grouping_rows

    sets = slice_expressions(_SLICE_EXPRESSIONS, dimensions)
    if not sets or not variant_ids:
        return []
    # Two levels: one hash aggregate over the events by variant × every dimension's value (a few thousand
    # combinations), then GROUPING SETS over those partial sums (exact: counts and sums add up). One scan of
    # the events, and the scan can run in parallel, which GROUPING SETS over the raw rows cannot.
    dims = [f"d{j}" for j in range(len(sets))]
    inner_cols = ", ".join(f"({expr}) AS {d}" for (_, expr), d in zip(sets, dims, strict=True))
    cols, flags, grouping = grouping_sets_sql(dims, "variant_id")
    ok = "error_type = '' AND latency_ms IS NOT NULL"
    sums = ("n", "refusals", "reasks", "errors", "latency_n", "latency_sum", "latency_sum_sq", "feedback_n",
            "thumbs_up", "success_n", "successes")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {cols}, {flags}, variant_id, {', '.join(f'sum({c})' for c in sums)} FROM ("
            f"SELECT variant_id, {inner_cols}, count(*) AS n, count(*) FILTER (WHERE refused) AS refusals, "
            f"count(*) FILTER (WHERE reasked) AS reasks, count(*) FILTER (WHERE error_type <> '') AS errors, "
            f"count(*) FILTER (WHERE {ok}) AS latency_n, "
            f"coalesce(sum(latency_ms) FILTER (WHERE {ok}), 0) AS latency_sum, "
            f"coalesce(sum(latency_ms * latency_ms) FILTER (WHERE {ok}), 0) AS latency_sum_sq, "
            f"count(feedback) AS feedback_n, count(*) FILTER (WHERE feedback = 1) AS thumbs_up, "
            f"count(task_success) AS success_n, count(*) FILTER (WHERE task_success) AS successes "
            f"FROM telemetry_event WHERE variant_id = ANY(%s) AND ts >= %s AND ts < %s "
            f"GROUP BY variant_id, {', '.join(dims)}) AS cells "
            f"GROUP BY GROUPING SETS ({grouping})", [list(variant_ids), start, end])
        rows = split_grouping_rows(cursor.fetchall(), [name for name, _ in sets])
    return sorted((EventSliceStats(int(rest[0]), name, value, *(int(v) for v in rest[1:5]), int(rest[5]),
                                   float(rest[6]), float(rest[7]), *(int(v) for v in rest[8:12]))
                   for name, value, rest in rows), key=lambda s: (s.dimension, s.value, s.variant_id))


def failure_window(days: int) -> tuple[datetime, datetime] | None:
    """The last ``days`` days of production data present (ending with the newest rollup hour), or None."""
    from django.db.models import Max

    from experiments.telemetry.models import HourlyRollup

    last = HourlyRollup.objects.aggregate(last=Max("hour"))["last"]
    if last is None:
        return None
    end = last + timedelta(hours=1)
    return end - timedelta(days=days), end


def failure_slice_prompts(*, variant_id: int, dimension: tuple[str, str, str], value: str, start: datetime,
                          end: datetime, limit: int = 200) -> list[str]:
    """Distinct stored prompt texts of a variant's events in one slice (none when text is not stored)."""
    from experiments.telemetry.models import Event

    _, kind, key = dimension
    field = {"derived": "features", "event_attribute": "metadata"}.get(kind)
    if field is None:
        return []
    texts = (Event.objects.filter(variant_id=variant_id, ts__gte=start, ts__lt=end, prompt_text__isnull=False,
                                  **{f"{field}__{key}": value})
             .exclude(prompt_text="").values_list("prompt_text", flat=True).distinct()[:limit])
    return list(texts)


_FAILURE_CONDITIONS = {"refusal_rate": "refused", "reask_rate": "reasked", "error_rate": "error_type <> ''",
                       "thumbs_up_rate": "feedback = -1", "task_success_rate": "task_success = false",
                       "latency_mean_ms": "TRUE"}


def failure_slices_examples(*, variant_id: int, wanted: list[tuple[tuple[str, str, str], str, str]],
                            start: datetime, end: datetime, limit: int = 3) -> list[list[EventSliceExample]]:
    """The newest events showing each slice's failure (a refusal, a re-ask, an error, a thumbs down, a failed
    task; any event for latency), for several (dimension, value, metric) at once: one scan per time window —
    the last hour, the last day, the whole window, stopping once every slice has ``limit`` — not one per slice."""
    from evalhub.core.slicing import slice_expressions

    exprs = [slice_expressions(_SLICE_EXPRESSIONS, [dim])[0][1] if dim[1] in _SLICE_EXPRESSIONS else None
             for dim, _, _ in wanted]
    conds = [(f"({expr}) = %s AND ({_FAILURE_CONDITIONS.get(metric, 'TRUE')})", value)
             for expr, (_, value, metric) in zip(exprs, wanted, strict=True) if expr is not None]
    found: list[list[EventSliceExample]] = [[] for _ in wanted]
    if not conds:
        return found
    matches = ", ".join(f"({sql})" for sql, _ in conds)
    params = [v for _, v in conds]
    for since in (end - timedelta(hours=1), end - timedelta(days=1), start):
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT event_id, ts, prompt_text, response_text, refused, reasked, error_type, feedback, {matches} "
                f"FROM telemetry_event WHERE variant_id = %s AND ts >= %s AND ts < %s AND ({' OR '.join(s for s, _ in conds)}) "
                f"ORDER BY ts DESC LIMIT %s",
                params + [variant_id, max(start, since), end] + params + [limit * len(conds) * 20])
            rows = cursor.fetchall()
        found = [[] for _ in wanted]
        slots = [i for i, expr in enumerate(exprs) if expr is not None]
        for row in rows:
            example = EventSliceExample(*row[:8])
            for slot, hit in zip(slots, row[8:], strict=True):
                if hit and len(found[slot]) < limit:
                    found[slot].append(example)
        if all(len(found[i]) >= limit for i in slots) or since <= start:
            break
    return found
