"""Failure-mode analysis: where a variant is worse than a baseline, across suites, judgments and production.

Reads the apps through their selectors only (``failure_*`` functions returning sufficient statistics
per slice, aggregated in SQL), hands them to ``evalhub.stats.slices`` (paired / two-proportion /
Welch differences, Benjamini–Hochberg across every slice tested, minimum n, effect threshold), and
caches the result as a JSON payload (``Analysis`` rows) that the page and the API answer from.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from evalhub.core.models import ModelVariant
from evalhub.failures.models import BUILTIN_DIMENSIONS, SOURCES, Analysis, Dimension
from evalhub.stats.slices import MeanSlice, PairedSlice, ProportionSlice, SliceInput, SliceResult, rank_slices
from experiments.abtests import selectors as abtests_selectors
from experiments.suites import selectors as suites_selectors
from experiments.telemetry import selectors as telemetry_selectors
from judging import selectors as judging_selectors

PAYLOAD_VERSION = 1
EXAMPLES_FOR_TOP = 6  # slices (worst first) that get examples
EXAMPLES_PER_SLICE = 3


class AnalysisError(Exception):
    """A request the analysis cannot answer; ``field`` names the parameter."""

    def __init__(self, field: str, message: str, *, status: int = 400) -> None:
        super().__init__(f"{field}: {message}")
        self.field, self.message, self.status = field, message, status


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    higher_is_better: bool
    bounded: bool = True


METRICS = {m.key: m for m in (
    Metric("suite_score", "score", True),
    Metric("win_rate", "win rate", True),
    Metric("refusal_rate", "refusal rate", False),
    Metric("reask_rate", "re-ask rate", False),
    Metric("error_rate", "error rate", False),
    Metric("latency_mean_ms", "mean latency", False, bounded=False),
    Metric("thumbs_up_rate", "thumbs-up rate", True),
    Metric("task_success_rate", "task success", True),
)}


@dataclass(frozen=True)
class Params:
    variant: str
    baseline: str | None = None
    suite: str | None = None
    source: str | None = None
    days: int = 7
    alpha: float = 0.05
    min_n: int = 30
    min_effect: float = 0.05

    def cache_key(self) -> str:
        return (f"v{PAYLOAD_VERSION}:{self.variant}:{self.baseline or ''}:{self.suite or ''}:{self.source or ''}:"
                f"{self.days}:{self.alpha}:{self.min_n}:{self.min_effect}")


# ---------------------------------------------------------------- dimensions


def _missing_builtins(rows: list[Dimension]) -> list[Dimension]:
    """Built-in dimensions with no row at all (neither active nor retired), as unsaved active rows."""
    known = {(d.name, d.kind) for d in rows if d.builtin}
    return [Dimension(name=name, kind=kind, key=key, description=description, builtin=True)
            for name, kind, key, description in BUILTIN_DIMENSIONS if (name, kind) not in known]


def dimensions_active() -> list[Dimension]:
    rows = list(Dimension.objects.all())
    return sorted([d for d in rows if d.active] + _missing_builtins(rows), key=lambda d: (d.name, d.kind))


def dimensions_all() -> list[Dimension]:
    rows = list(Dimension.objects.select_related("created_by"))
    return sorted(rows + _missing_builtins(rows), key=lambda d: (not d.active, d.name, d.kind))


def _specs(dimensions: list[Dimension], source: str) -> list[tuple[str, str, str]]:
    return [d.spec() for d in dimensions if source in d.sources]


# ---------------------------------------------------------------- baseline


def resolve_baseline(variant: ModelVariant, *, suite: str | None) -> tuple[ModelVariant, str]:
    """The experiment's control if the variant is a treatment arm, else the best other variant on the
    suites both ran, else the variant most often judged against it."""
    for reason, found in (("the control of its A/B experiment", abtests_selectors.failure_control_variant),
                          ("the best other variant on shared suites",
                           lambda v: suites_selectors.failure_best_other_variant(v, suite_slug=suite)),
                          ("the variant most often judged against it", judging_selectors.failure_most_judged_opponent)):
        other = found(variant.pk)
        if other is not None and other != variant.pk:
            return ModelVariant.objects.get(pk=other), reason
    raise AnalysisError("baseline", f"no default baseline for {variant.slug}: no experiment, shared suite run or "
                                    "judgments; pass baseline=<slug>")


def _variant(field: str, slug: str) -> ModelVariant:
    found = ModelVariant.objects.filter(slug=slug).first()
    if found is None:
        raise AnalysisError(field, f"unknown variant '{slug}'", status=404)
    return found


# ---------------------------------------------------------------- collecting the slices


@dataclass(frozen=True)
class _Origin:
    source: str
    spec: tuple[str, str, str]
    suite: str = ""
    suite_name: str = ""
    pair: suites_selectors.SuiteRunPair | None = None


def _suites(variant: ModelVariant, baseline: ModelVariant, dims: list[Dimension], suite: str | None,
            inputs: list[SliceInput], origins: dict[tuple, _Origin]) -> None:
    specs = _specs(dims, "suites")
    pairs = suites_selectors.failure_run_pairs(variant_id=variant.pk, baseline_id=baseline.pk, suite_slug=suite)
    if suite and not pairs:
        raise AnalysisError("suite", f"no suite '{suite}' with finished runs of both {variant.slug} and {baseline.slug}",
                            status=404)
    kinds = {s[0]: s for s in specs}
    for pair in pairs:
        for st in suites_selectors.failure_slice_stats(pair, specs):
            metric = f"suite_score:{pair.suite_slug}"
            inputs.append(SliceInput("suites", st.dimension, st.value, metric,
                                     PairedSlice(st.n, st.sum_a, st.sum_b, st.sum_d_sq, st.clusters, st.cluster_d_sq,
                                                 st.cluster_nd, st.cluster_n_sq)))
            origins[("suites", st.dimension, st.value, metric)] = _Origin("suites", kinds[st.dimension],
                                                                          pair.suite_slug, pair.suite_name, pair)


def _judgments(variant: ModelVariant, baseline: ModelVariant, dims: list[Dimension], inputs: list[SliceInput],
               origins: dict[tuple, _Origin]) -> None:
    specs = _specs(dims, "judgments")
    kinds = {s[0]: s for s in specs}
    for st in judging_selectors.failure_slice_stats(variant_id=variant.pk, baseline_id=baseline.pk, dimensions=specs):
        n = st.wins + st.losses + st.ties
        # One judgment scores 1 / ½ / 0 for the variant and the complement for the baseline: d ∈ {1, 0, −1}.
        stat = PairedSlice(n, st.wins + st.ties / 2, st.losses + st.ties / 2, float(st.wins + st.losses),
                           st.clusters, st.cluster_d_sq, st.cluster_nd, st.cluster_n_sq)
        inputs.append(SliceInput("judgments", st.dimension, st.value, "win_rate", stat))
        origins[("judgments", st.dimension, st.value, "win_rate")] = _Origin("judgments", kinds[st.dimension])


_RATES = (("refusal_rate", "refusals", "n"), ("reask_rate", "reasks", "n"), ("error_rate", "errors", "n"),
          ("thumbs_up_rate", "thumbs_up", "feedback_n"), ("task_success_rate", "successes", "success_n"))


def _production(variant: ModelVariant, baseline: ModelVariant, dims: list[Dimension], days: int,
                inputs: list[SliceInput], origins: dict[tuple, _Origin]) -> tuple[dt.datetime, dt.datetime] | None:
    specs = _specs(dims, "production")
    window = telemetry_selectors.failure_window(days)
    if window is None or not specs:
        return window
    kinds = {s[0]: s for s in specs}
    stats = telemetry_selectors.failure_slice_stats(variant_ids=[variant.pk, baseline.pk], dimensions=specs,
                                                    start=window[0], end=window[1])
    cells: dict[tuple[str, str], dict[int, telemetry_selectors.EventSliceStats]] = {}
    for st in stats:
        cells.setdefault((st.dimension, st.value), {})[st.variant_id] = st
    for (dimension, value), per in sorted(cells.items()):
        mine, theirs = per.get(variant.pk), per.get(baseline.pk)
        if mine is None or theirs is None:
            continue
        for metric, num, den in _RATES:
            if getattr(mine, den) and getattr(theirs, den):
                inputs.append(SliceInput("production", dimension, value, metric, ProportionSlice(
                    getattr(mine, num), getattr(mine, den), getattr(theirs, num), getattr(theirs, den)),
                    higher_is_better=METRICS[metric].higher_is_better))
                origins[("production", dimension, value, metric)] = _Origin("production", kinds[dimension])
        if mine.latency_n and theirs.latency_n:
            inputs.append(SliceInput("production", dimension, value, "latency_mean_ms", MeanSlice(
                mine.latency_n, mine.latency_sum, mine.latency_sum_sq, theirs.latency_n, theirs.latency_sum,
                theirs.latency_sum_sq), higher_is_better=False, bounded=False))
            origins[("production", dimension, value, "latency_mean_ms")] = _Origin("production", kinds[dimension])
    return window


# ---------------------------------------------------------------- examples and sentences


def _examples(r: SliceResult, origin: _Origin, variant: ModelVariant, baseline: ModelVariant,
              window: tuple[dt.datetime, dt.datetime] | None) -> list[dict]:
    if origin.source == "suites" and origin.pair is not None:
        return [{"kind": "suite_item", "id": str(e.item_id), "title": f"{origin.suite} item {e.external_id}",
                 "prompt": e.prompt, "output": e.output, "baseline_output": e.baseline_output,
                 "detail": f"score {e.score:g} vs {e.baseline_score:g}", "url": f"/suites/runs/{e.run_id}/"}
                for e in suites_selectors.failure_slice_examples(origin.pair, origin.spec, r.value,
                                                                 limit=EXAMPLES_PER_SLICE)]
    if origin.source == "judgments":
        return [{"kind": "judgment", "id": str(e.comparison_id), "title": f"{e.campaign_slug} comparison {e.comparison_id}",
                 "prompt": e.prompt, "output": e.output, "baseline_output": e.baseline_output,
                 "detail": f"judged worse than {baseline.name}", "url": ""}
                for e in judging_selectors.failure_slice_examples(
                    variant_id=variant.pk, baseline_id=baseline.pk, dimension=origin.spec, value=r.value,
                    limit=EXAMPLES_PER_SLICE)]
    return []


def _production_examples(top: list[SliceResult], origins: dict[tuple, _Origin], variant: ModelVariant,
                         window: tuple[dt.datetime, dt.datetime] | None) -> dict[int, list[dict]]:
    """Examples of the top production slices, fetched together (one scan of recent events)."""
    wanted = [(i, r) for i, r in enumerate(top) if r.source == "production"]
    if not wanted or window is None:
        return {}
    found = telemetry_selectors.failure_slices_examples(
        variant_id=variant.pk, wanted=[(origins[(r.source, r.dimension, r.value, r.metric)].spec, r.value, r.metric)
                                       for _, r in wanted],
        start=window[0], end=window[1], limit=EXAMPLES_PER_SLICE)
    out = {}
    for (i, _), events in zip(wanted, found, strict=True):
        rows = []
        for e in events:
            signs = [s for s, on in (("refused", e.refused), ("re-asked", e.reasked), ("error " + e.error_type,
                                     bool(e.error_type)), ("thumbs down", e.feedback == -1)) if on]
            rows.append({"kind": "event", "id": e.event_id, "title": f"event {e.event_id}",
                         "prompt": e.prompt or "(prompt text not stored)", "output": e.response or "",
                         "baseline_output": "", "detail": ", ".join(signs) or e.ts.isoformat(), "url": ""})
        out[i] = rows
    return out


_VALUE_PHRASES = {
    ("recent_events", "yes"): "prompts about current events",
    ("recent_events", "no"): "prompts not about current events",
    ("contains_code", "yes"): "prompts containing code",
    ("contains_code", "no"): "prompts without code",
    ("safety_sensitive", "yes"): "safety-sensitive prompts",
    ("safety_sensitive", "no"): "prompts that are not safety-sensitive",
}


def slice_phrase(dimension: str, value: str) -> str:
    """Plain words for a slice: "prompts about current events", "conversations of 4+ turns"."""
    if (dimension, value) in _VALUE_PHRASES:
        return _VALUE_PHRASES[(dimension, value)]
    if dimension == "turns":
        return f"conversations of {value} turn{'' if value == '1' else 's'}"
    if dimension == "prompt_length":
        return f"{value} prompts"
    if dimension == "language":
        return f"prompts in language '{value}'"
    return f"{dimension.replace('_', ' ')} '{value}'"


def sentence(row: dict, variant_name: str, baseline_name: str) -> str:
    """"On prompts about current events, DPO's score on Arithmetic is 18 points lower than the 70B's
    (95% CI 11–25), n = 412." Differences of rates and scores in percentage points, latency in ms."""
    metric = METRICS[row["metric"]]
    label = metric.label + (f" on {row['suite_name']}" if row.get("suite_name") else "")
    if row["metric"] == "win_rate":
        label = f"win rate against {baseline_name}"
    diff, lo, hi = row["difference"], row["lower"], row["upper"]
    word = "lower" if diff < 0 else "higher"
    a, b = (-hi, -lo) if diff < 0 else (lo, hi)
    if metric.bounded:
        size, interval = f"{abs(diff) * 100:.0f} points {word}", f"{a * 100:.0f}–{b * 100:.0f}"
    else:
        size, interval = f"{abs(diff):,.0f} ms {word}", f"{a:,.0f}–{b:,.0f}"
    if row["metric"] == "win_rate":
        return (f"On {slice_phrase(row['slice']['dimension'], row['slice']['value'])}, {variant_name} wins "
                f"{row['estimate'] * 100:.0f}% against {baseline_name} ({size} than {baseline_name}; 95% CI "
                f"{interval}), n = {row['n']:,}.")
    return (f"On {slice_phrase(row['slice']['dimension'], row['slice']['value'])}, {variant_name}'s {label} is "
            f"{size} than {baseline_name}'s (95% CI {interval}), n = {row['n']:,}.")


# ---------------------------------------------------------------- the analysis


def _finite(value: float | None) -> float | None:
    return None if value is None or value != value or value in (float("inf"), float("-inf")) else float(value)


def analyse(params: Params) -> dict:
    """Compute the analysis payload (no cache): every slice of every source, worst first."""
    if params.source is not None and params.source not in SOURCES:
        raise AnalysisError("source", f"must be one of {', '.join(SOURCES)}")
    variant = _variant("variant", params.variant)
    if params.baseline:
        baseline, reason = _variant("baseline", params.baseline), "chosen"
        if baseline.pk == variant.pk:
            raise AnalysisError("baseline", "must differ from the variant")
    else:
        baseline, reason = resolve_baseline(variant, suite=params.suite)
    dims = dimensions_active()
    inputs: list[SliceInput] = []
    origins: dict[tuple, _Origin] = {}
    window = None
    if params.source in (None, "suites"):
        _suites(variant, baseline, dims, params.suite, inputs, origins)
    if params.source in (None, "judgments"):
        _judgments(variant, baseline, dims, inputs, origins)
    if params.source in (None, "production"):
        window = _production(variant, baseline, dims, params.days, inputs, origins)
    results = rank_slices(inputs, alpha=params.alpha, min_n=params.min_n, min_effect=params.min_effect)
    production_examples = _production_examples(results[:EXAMPLES_FOR_TOP], origins, variant, window)
    rows = []
    for i, r in enumerate(results):
        origin = origins[(r.source, r.dimension, r.value, r.metric)]
        metric = r.metric.split(":", 1)[0]
        row = {
            "source": r.source, "slice": {"dimension": r.dimension, "value": r.value}, "metric": metric,
            "suite": origin.suite or None, "suite_name": origin.suite_name or None,
            "higher_is_better": r.higher_is_better, "n": r.n, "n_baseline": r.n_base,
            "estimate": r.estimate, "baseline_estimate": r.baseline_estimate, "difference": r.difference,
            "lower": _finite(r.lower), "upper": _finite(r.upper), "effect": _finite(r.effect),
            "p_value": _finite(r.p_value), "p_adjusted": _finite(r.p_adjusted), "tested": r.tested,
            "significant": r.significant, "direction": r.direction,
            "examples": (production_examples.get(i, []) if r.source == "production"
                         else _examples(r, origin, variant, baseline, window)) if i < EXAMPLES_FOR_TOP else [],
        }
        row["sentence"] = sentence({**row, "lower": r.lower, "upper": r.upper}, variant.name, baseline.name)
        rows.append(row)
    return {
        "version": PAYLOAD_VERSION,
        "computed_at": timezone.now().isoformat(),
        "confident_wrong": _confident_wrong(params),
        "params": dataclasses.asdict(params),
        "variant": {"slug": variant.slug, "name": variant.name},
        "baseline": {"slug": baseline.slug, "name": baseline.name, "reason": reason},
        "window": None if window is None else {"start": window[0].isoformat(), "end": window[1].isoformat()},
        "n_tested": sum(1 for r in results if r.tested),
        "n_flagged": sum(1 for r in results if r.significant),
        "slices": rows,
    }


def _confident_wrong(params: Params) -> dict | None:
    """The variant's "confident and wrong" figures, when suites are analysed."""
    from evalhub.failures import confidence  # confidence reads this module's dimension specs

    if params.source not in (None, "suites"):
        return None
    return confidence.confident_and_wrong(variant=params.variant, suite=params.suite)


def cache_seconds() -> int:
    return int(getattr(settings, "DASHBOARDS_CACHE_SECONDS", 300))


def max_stale_seconds() -> int:
    return int(getattr(settings, "DASHBOARDS_MAX_STALE_SECONDS", 3600))


def cached_analysis(params: Params, *, refresh: bool = False) -> dict:
    """The analysis from its cache, as the leadership pages' (stale-while-revalidate).

    Younger than ``DASHBOARDS_CACHE_SECONDS``: served. Older but younger than
    ``DASHBOARDS_MAX_STALE_SECONDS``: served, and ``failures_analysis_refresh_task`` is enqueued (at most
    once a minute per analysis). Missing, too old, or ``refresh``: computed in the request and stored.
    """
    key = params.cache_key()
    if not refresh:
        row = Analysis.objects.filter(cache_key=key).only("payload", "computed_at").first()
        if row is not None:
            age = (timezone.now() - row.computed_at).total_seconds()
            if age < cache_seconds():
                return row.payload
            if age < max_stale_seconds():
                _enqueue_refresh(params)
                return row.payload
    return store_analysis(params)


def _enqueue_refresh(params: Params) -> None:
    from django.core.cache import cache
    from django.db import transaction

    from evalhub.failures.tasks import failures_analysis_refresh_task

    if cache.add(f"failures:refresh-pending:{params.cache_key()}", 1, timeout=60):
        fields = dataclasses.asdict(params)
        transaction.on_commit(lambda: failures_analysis_refresh_task.delay(**fields))


def store_analysis(params: Params) -> dict:
    """Compute the analysis and keep it as the cache row of its parameters."""
    key = params.cache_key()
    payload = analyse(params)
    Analysis.objects.filter(cache_key=key).delete()
    Analysis.objects.create(cache_key=key, variant_slug=params.variant, payload=payload)
    return payload


def top_failure_modes(variant_slugs: list[str], *, limit: int = 3) -> dict[str, list[dict]]:
    """From cached default analyses only (never computed here): each variant's flagged slices, worst first."""
    key_of = {Params(variant=slug).cache_key(): slug for slug in variant_slugs}
    out: dict[str, list[dict]] = {slug: [] for slug in variant_slugs}
    seen: set[str] = set()
    for row in Analysis.objects.filter(cache_key__in=list(key_of)).only("cache_key", "payload").order_by("-computed_at"):
        if row.cache_key in seen:
            continue
        seen.add(row.cache_key)
        out[key_of[row.cache_key]] = [
            {"sentence": s["sentence"], "source": s["source"], "metric": s["metric"], "slice": s["slice"]}
            for s in row.payload.get("slices", []) if s.get("significant")][:limit]
    return out


def refresh_defaults() -> int:
    """Compute and cache the default analysis of every active variant (one without a baseline is skipped)."""
    done = 0
    for slug in ModelVariant.objects.filter(is_active=True).order_by("slug").values_list("slug", flat=True):
        try:
            store_analysis(Params(variant=slug))
        except AnalysisError:
            continue
        done += 1
    return done
