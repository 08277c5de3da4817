"""Reads for experiments: lists, and the results pipeline.

Results never load events: one SQL aggregate over ``telemetry_unitrollup`` (LEFT JOIN the CUPED
pre-period) returns every metric's sums per arm, one over ``telemetry_hourlyrollup`` the latency
histograms per arm; ``evalhub.stats.ab`` turns the sums into comparisons. The cost is a scan
of the experiment's unit rows (indexed by experiment_key) whatever the number of events.

What the decision reads (documented in the README):

- before the planned sample per arm is reached: the SEQUENTIAL (always-valid) comparison, so a
  daily look cannot inflate false positives; metrics without a sequential test (the latency
  quantile) use the fixed-horizon one, shown as "not yet valid" but still able to flag a
  guardrail breach (stopping for harm early is cheap);
- once reached: the FIXED-HORIZON comparison, CUPED-adjusted when pre-period data exists;
- every test is on the relative lift (T − C)/|C| the page shows (delta method, as GrowthBook),
  falling back to the absolute difference when the control is 0 or too uncertain (the row says so);
- a comparison the data cannot support (too few units, no variance, too few latencies beyond the
  quantile) is shown as "not enough data" and left out of the adjustment; a primary without enough
  data means "keep running";
- p-values are adjusted across metrics × treatment arms (Holm or BH, per experiment); CIs are
  the unadjusted 1-α intervals;
- a sample ratio mismatch (exposures or units vs the weights) forces "don't ship".
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection
from django.db.models import Count, Prefetch, QuerySet
from django.utils import timezone

from evalhub.core.read_models import as_json
from evalhub.stats import MeanStat, ProportionStat, StatsError
from evalhub.stats.ab import (
    ABResult,
    Decision,
    PreSums,
    RatioSums,
    SRMResult,
    adjust_pvalues,
    compare_means,
    compare_proportions,
    compare_quantiles,
    compare_ratios,
    decide,
    linearized_mean,
    sequential_compare_means,
    sequential_compare_proportions,
    srm_test,
    with_ratio_covariate,
)
from experiments.abtests.metrics import HIGHER_IS_BETTER, METRICS, Metric
from experiments.abtests.models import Arm, Experiment, Exposure, PreUnitStat, ResultSnapshot, Status
from experiments.abtests.read_models import (
    ArmDecision,
    ArmFacts,
    ArmSetting,
    ArmTotals,
    ExperimentDecision,
    ExperimentResults,
    ExperimentSummary,
    InvalidTraffic,
    LiftReading,
    MetricReading,
    PlanBaseline,
    RunningExperiment,
    SampleRatioCheck,
    SampleRatioChecks,
)
from experiments.telemetry import selectors as telemetry_selectors

SRM_THRESHOLD = 0.001


def experiments_list() -> QuerySet[Experiment]:
    return (Experiment.objects.select_related("owner")
            .prefetch_related(Prefetch("arms", queryset=Arm.objects.select_related("variant")))
            .annotate(exposure_count=Count("exposures")).order_by("-created_at"))


def experiment_by_key(key: str) -> Experiment | None:
    return (Experiment.objects.select_related("owner")
            .prefetch_related(Prefetch("arms", queryset=Arm.objects.select_related("variant").order_by("id")))
            .filter(key=key).first())


def experiment_summary(experiment: Experiment) -> ExperimentSummary:
    """An experiment's set-up, plan and arms (arms in creation order; no query when they are prefetched)."""
    e = experiment
    stored = e.baseline or {}
    fields = PlanBaseline.__dataclass_fields__
    return ExperimentSummary(
        key=e.key, name=e.name, hypothesis=e.hypothesis, owner=e.owner.username, unit=e.unit, status=e.status,
        primary_metric=e.primary_metric, guardrails=tuple(e.guardrails), mde=e.mde, alpha=e.alpha, power=e.power,
        correction=e.correction, planned_sample_per_arm=e.planned_sample_per_arm,
        expected_days=stored.get("expected_days"),
        baseline=PlanBaseline(**{k: v for k, v in stored.items() if k in fields}) if stored else None,
        created_at=e.created_at, started_at=e.started_at, stopped_at=e.stopped_at,
        arms=tuple(ArmSetting(a.name, a.variant.slug, a.weight, a.is_control)
                   for a in sorted(e.arms.all(), key=lambda a: a.id)),
    )


# ---------------------------------------------------------------- result types


@dataclass
class ArmSummary:
    name: str
    variant: str
    weight: float
    is_control: bool
    exposures: int = 0
    units: int = 0
    requests: int = 0
    pre_units: int = 0


@dataclass
class MetricResult:
    metric: str
    label: str
    kind: str
    role: str  # "primary" | "guardrail"
    arm: str
    higher_is_better: bool
    fixed: ABResult | None = None
    sequential: ABResult | None = None
    used: str = ""  # "sequential" | "fixed"
    p_adjusted: float | None = None
    significant: bool = False
    breach: bool = False
    cuped: bool = False
    error: str = ""

    @property
    def reading(self) -> ABResult | None:
        return self.sequential if self.used == "sequential" else self.fixed

    @property
    def not_enough_data(self) -> str | None:
        """Why the comparison the decision reads could not be tested, or None."""
        c = self.reading
        return None if c is None else c.not_enough_data


@dataclass
class InvalidArm:
    arm: str
    variant: str
    events: int
    units: int
    reason: str


@dataclass
class Results:
    experiment: Experiment
    arms: list[ArmSummary]
    metrics: list[MetricResult]
    srm_exposures: SRMResult | None
    srm_units: SRMResult | None
    invalid: list[InvalidArm]
    decisions: dict[str, Decision]
    verdict: str
    summary: str
    reached_sample: bool
    computed_at: datetime
    notes: list[str] = field(default_factory=list)

    @property
    def srm_mismatch(self) -> bool:
        return any(s is not None and s.mismatch for s in (self.srm_exposures, self.srm_units))


# ---------------------------------------------------------------- SQL sufficient statistics


def _expr(metric_expr: str, alias: str) -> str:
    # Catalogue expressions are either a column name or contain {t}; never user input.
    if "{t}" in metric_expr:
        return metric_expr.format(t=alias)
    return f"{alias}.{metric_expr}"


def _unit_sums(experiment: Experiment, metrics: list[Metric]) -> dict[str, dict[str, float]]:
    """Per arm: units, requests, pre-period units, and per metric the sums its test needs.

    The CUPED cross sums (and the join) are only computed when the experiment has pre-period rows:
    without them they would be zeros that cost half the aggregate's time.
    """
    from experiments.telemetry.models import UnitRollup

    with_pre = PreUnitStat.objects.filter(experiment=experiment).exists()
    cols = ["COUNT(*)", "COALESCE(SUM(u.n), 0)", "COUNT(p.unit_id)" if with_pre else "0"]
    names = ["units", "requests", "pre_units"]
    for m in metrics:
        if m.kind == "quantile":
            continue
        num = f"({_expr(m.num, 'u')})::float8"
        parts = {"num": num, "num_sq": f"{num}*{num}"}
        den = f"({_expr(m.den, 'u')})::float8" if m.kind == "ratio" else ""
        if den:
            parts.update({"den": den, "den_sq": f"{den}*{den}", "num_den": f"{num}*{den}"})
        if with_pre:
            x = f"COALESCE(({_expr(m.num, 'p')})::float8, 0)"
            parts.update({"x": x, "x_sq": f"{x}*{x}", "num_x": f"{num}*{x}"})
            if den:
                pd = f"COALESCE(({_expr(m.den, 'p')})::float8, 0)"
                parts.update({"den_x": f"{den}*{x}", "pd": pd, "pd_sq": f"{pd}*{pd}", "x_pd": f"{x}*{pd}",
                              "num_pd": f"{num}*{pd}", "den_pd": f"{den}*{pd}"})
        for part, sql in parts.items():
            cols.append(f"COALESCE(SUM({sql}), 0)")
            names.append(f"{m.key}.{part}")
    join = (f"LEFT JOIN {PreUnitStat._meta.db_table} p ON p.experiment_id = %s AND p.unit_id = u.unit_id "
            if with_pre else "")
    sql = (f"SELECT u.arm, {', '.join(cols)} FROM {UnitRollup._meta.db_table} u {join}"
           f"WHERE u.experiment_key = %s GROUP BY u.arm")
    with connection.cursor() as cursor:
        cursor.execute(sql, ([experiment.pk] if with_pre else []) + [experiment.key])
        rows = cursor.fetchall()
    return {row[0]: dict(zip(names, (float(v) for v in row[1:]), strict=True)) for row in rows}


def _latency_histograms(experiment: Experiment) -> dict[str, list[float]]:
    hists = telemetry_selectors.latency_histograms(group_by="arm", where="experiment_key = %s", params=[experiment.key])
    return {str(arm): [float(c) for c in hist] for arm, hist in hists.items()}


def _invalid_events(experiment: Experiment, arms: list[Arm]) -> list[InvalidArm]:
    """Events tagged with this experiment whose arm is unknown, or served by another arm's variant."""
    from experiments.telemetry.models import HourlyRollup, UnitRollup

    by_name = {arm.name: arm for arm in arms}
    sql = (f"SELECT r.arm, v.slug, r.variant_id, SUM(r.n) FROM {HourlyRollup._meta.db_table} r "
           f"JOIN core_modelvariant v ON v.id = r.variant_id WHERE r.experiment_key = %s GROUP BY r.arm, v.slug, r.variant_id")
    unit_sql = (f"SELECT arm, COUNT(*) FROM {UnitRollup._meta.db_table} WHERE experiment_key = %s "
                f"AND NOT (arm = ANY(%s)) GROUP BY arm")
    with connection.cursor() as cursor:
        cursor.execute(sql, [experiment.key])
        rows = cursor.fetchall()
        cursor.execute(unit_sql, [experiment.key, list(by_name)])
        units = dict(cursor.fetchall())
    out = []
    for arm_name, slug, variant_id, n in rows:
        arm = by_name.get(arm_name)
        if arm is None:
            out.append(InvalidArm(arm_name, slug, int(n), int(units.get(arm_name, 0)),
                                  "arm not in this experiment: excluded from the results"))
        elif arm.variant_id != variant_id:
            out.append(InvalidArm(arm_name, slug, int(n), 0,
                                  f"served by {slug}, but the arm's variant is {arm.variant.slug}"))
    return sorted(out, key=lambda x: -x.events)


def _exposure_counts(experiment: Experiment) -> dict[int, int]:
    return dict(Exposure.objects.filter(experiment=experiment).values_list("arm_id").annotate(c=Count("id")))


# ---------------------------------------------------------------- comparisons


def _ratio_sums(sums: dict[str, float], key: str, *, pre_ratio: float | None) -> RatioSums:
    g = lambda part: sums.get(f"{key}.{part}", 0.0)  # noqa: E731
    base = RatioSums(int(sums["units"]), g("num"), g("den"), g("num_sq"), g("den_sq"), g("num_den"))
    if pre_ratio is None:
        return base
    pre = PreSums(g("x"), g("pd"), g("x_sq"), g("pd_sq"), g("x_pd"), g("num_x"), g("num_pd"), g("den_x"), g("den_pd"))
    return with_ratio_covariate(base, pre, pre_ratio)


def _mean_stat(sums: dict[str, float], key: str, *, pre: bool) -> MeanStat:
    g = lambda part: sums.get(f"{key}.{part}", 0.0)  # noqa: E731
    if pre:
        return MeanStat(int(sums["units"]), g("num"), g("num_sq"), g("x"), g("x_sq"), g("num_x"))
    return MeanStat(int(sums["units"]), g("num"), g("num_sq"))


def _compare(metric: Metric, control: dict, treatment: dict, hists: dict, control_arm: str, arm: str, *,
             alpha: float, target_n: int, use_cuped: bool) -> tuple[ABResult | None, ABResult | None, bool]:
    """(fixed, sequential, cuped applied) for one metric, treatment arm vs control."""
    key = metric.key
    if metric.kind == "quantile":
        from experiments.telemetry.buckets import LATENCY_BUCKET_EDGES_MS

        if control_arm not in hists or arm not in hists:
            raise StatsError("latency_hist", "no latency histogram for one of the arms yet")
        return compare_quantiles(hists[control_arm], hists[arm], LATENCY_BUCKET_EDGES_MS, q=metric.quantile,
                                 alpha=alpha, metric=key), None, False
    if metric.kind == "proportion":
        c = ProportionStat(int(control["units"]), int(round(control[f"{key}.num"])))
        t = ProportionStat(int(treatment["units"]), int(round(treatment[f"{key}.num"])))
        return (compare_proportions(c, t, alpha=alpha, metric=key),
                sequential_compare_proportions(c, t, alpha=alpha, target_n=target_n, metric=key), False)
    if metric.kind == "mean":
        plain_c, plain_t = _mean_stat(control, key, pre=False), _mean_stat(treatment, key, pre=False)
        seq = sequential_compare_means(plain_c, plain_t, alpha=alpha, target_n=target_n, metric=key)
        if use_cuped:
            fixed = compare_means(_mean_stat(control, key, pre=True), _mean_stat(treatment, key, pre=True),
                                  alpha=alpha, cuped=True, metric=key)
            return fixed, seq, True
        return compare_means(plain_c, plain_t, alpha=alpha, metric=key), seq, False
    # ratio: delta method; sequential and CUPED through the linearisation adapter
    pre_ratio = None
    if use_cuped:
        # One pre-period ratio for BOTH arms, so the covariate is the same function of pre-period data.
        pre_den = control.get(f"{key}.pd", 0.0) + treatment.get(f"{key}.pd", 0.0)
        pre_ratio = (control.get(f"{key}.x", 0.0) + treatment.get(f"{key}.x", 0.0)) / pre_den if pre_den else 0.0
    rc, rt = _ratio_sums(control, key, pre_ratio=pre_ratio), _ratio_sums(treatment, key, pre_ratio=pre_ratio)
    seq = sequential_compare_means(linearized_mean(rc), linearized_mean(rt), alpha=alpha, target_n=target_n,
                                   metric=key)
    if use_cuped:
        fixed = compare_means(linearized_mean(rc, with_pre=True), linearized_mean(rt, with_pre=True),
                              alpha=alpha, cuped=True, metric=key)
        return dataclasses.replace(fixed, method="delta method (linearised) + cuped"), seq, True
    return compare_ratios(rc, rt, alpha=alpha, metric=key), seq, False


def _srm(arms: list[ArmSummary], attr: str) -> SRMResult | None:
    weighted = [a for a in arms if a.weight > 0]
    counts = [getattr(a, attr) for a in weighted]
    if len(weighted) < 2 or sum(counts) == 0:
        return None
    return srm_test(counts, [a.weight for a in weighted], threshold=SRM_THRESHOLD)


def _worse_srm(*results: SRMResult | None) -> SRMResult | None:
    present = [r for r in results if r is not None]
    return min(present, key=lambda r: r.p_value) if present else None


def _arm_summaries(arms: list[Arm], unit_sums: dict, exposures: dict[int, int]) -> list[ArmSummary]:
    out = []
    for arm in arms:
        sums = unit_sums.get(arm.name, {})
        out.append(ArmSummary(arm.name, arm.variant.slug, arm.weight, arm.is_control, exposures.get(arm.id, 0),
                              int(sums.get("units", 0)), int(sums.get("requests", 0)), int(sums.get("pre_units", 0))))
    return out


def results_for(experiment: Experiment) -> Results:
    """Everything the results page and API show, from SQL aggregates (see the module docstring)."""
    arms = sorted(experiment.arms.all(), key=lambda a: a.id)
    control = next(a for a in arms if a.is_control)
    treatments = [a for a in arms if not a.is_control]
    metric_roles = [(METRICS[experiment.primary_metric], "primary")] + [
        (METRICS[g], "guardrail") for g in experiment.guardrails if g in METRICS]
    metrics = [m for m, _ in metric_roles]
    unit_sums = _unit_sums(experiment, metrics)
    hists = _latency_histograms(experiment) if any(m.kind == "quantile" for m in metrics) else {}
    summaries = _arm_summaries(arms, unit_sums, _exposure_counts(experiment))
    planned = experiment.planned_sample_per_arm or 0
    reached = bool(planned) and all(s.units >= planned for s in summaries if s.weight > 0)
    target_n = max(planned * len(arms), 2) if planned else 5000
    pre_units = sum(s.pre_units for s in summaries)
    use_cuped = pre_units > 0
    notes = []
    if use_cuped:
        notes.append(f"CUPED: {pre_units} units have pre-period data; fixed-horizon results are variance-reduced.")
    else:
        notes.append("CUPED not applied: no pre-period data for the exposed units.")

    results: list[MetricResult] = []
    for metric, role in metric_roles:
        for arm in treatments:
            r = MetricResult(metric.key, metric.label, metric.kind, role, arm.name, metric.higher_is_better)
            c_sums, t_sums = unit_sums.get(control.name), unit_sums.get(arm.name)
            try:
                if c_sums is None or t_sums is None:
                    raise StatsError("units", "no units with events in one of the arms yet")
                r.fixed, r.sequential, r.cuped = _compare(metric, c_sums, t_sums, hists, control.name, arm.name,
                                                          alpha=experiment.alpha, target_n=target_n, use_cuped=use_cuped)
            except (StatsError, ZeroDivisionError) as exc:
                r.error = str(exc)
            r.used = "fixed" if (reached or r.sequential is None) else "sequential"
            results.append(r)
    _adjust(results, experiment)
    srm_exp, srm_units = _srm(summaries, "exposures"), _srm(summaries, "units")
    decisions = _decide(results, treatments, reached, _worse_srm(srm_exp, srm_units))
    verdict, summary = _overall(decisions, results)
    return Results(experiment, summaries, results, srm_exp, srm_units, _invalid_events(experiment, arms), decisions,
                   verdict, summary, reached, timezone.now(), notes)


def _adjust(results: list[MetricResult], experiment: Experiment) -> None:
    # Comparisons without enough data were not tested: they are not part of the family.
    readable = [r for r in results if r.reading is not None and r.reading.enough_data]
    if not readable:
        return
    adjusted = adjust_pvalues([r.reading.p_value for r in readable], experiment.correction)
    for r, p in zip(readable, adjusted, strict=True):
        r.p_adjusted = float(p)
        r.significant = bool(p < experiment.alpha)
        bad = (r.reading.lift > 0) != r.higher_is_better
        r.breach = bool(r.role == "guardrail" and r.significant and bad and r.reading.lift != 0)


def _as_adjusted(r: MetricResult) -> ABResult:
    c = r.reading
    assert c is not None
    if r.p_adjusted is None:  # not enough data: decide() reports it as such
        return c
    return dataclasses.replace(c, p_value=r.p_adjusted, significant=r.significant)


def _decide(results: list[MetricResult], treatments: Iterable[Arm], reached: bool,
            srm: SRMResult | None) -> dict[str, Decision]:
    out = {}
    for arm in treatments:
        mine = [r for r in results if r.arm == arm.name]
        primary = next(r for r in mine if r.role == "primary")
        if primary.reading is None:
            reason = primary.error or "no data"
            out[arm.name] = Decision("keep running", (f"primary metric {primary.metric}: not enough data ({reason})",))
            continue
        guards = [_as_adjusted(r) for r in mine if r.role == "guardrail" and r.reading is not None]
        out[arm.name] = decide(_as_adjusted(primary), guards, higher_is_better=HIGHER_IS_BETTER,
                               reached_sample=reached, srm=srm)
    return out


def _overall(decisions: dict[str, Decision], results: list[MetricResult]) -> tuple[str, str]:
    ships = [arm for arm, d in decisions.items() if d.verdict == "ship"]
    if ships:
        def gain(arm: str) -> float:
            r = next(r for r in results if r.arm == arm and r.role == "primary")
            lift = r.reading.effect if r.reading else 0.0
            return (lift if r.higher_is_better else -lift) if math.isfinite(lift) else 0.0

        best = max(ships, key=gain)
        return "ship", f"Ship {best}: {decisions[best].reasons[0] if decisions[best].reasons else ''}"
    if any(d.verdict == "keep running" for d in decisions.values()):
        arm, d = next((a, d) for a, d in decisions.items() if d.verdict == "keep running")
        why = [r for r in d.reasons if r.startswith(("primary", "planned"))] or list(d.reasons[:1])
        return "keep running", f"Keep running ({arm}): {'; '.join(why)}"
    arm, d = next(iter(decisions.items())) if decisions else ("", Decision("don't ship", ("no treatment arm",)))
    return "don't ship", f"Don't ship: {d.reasons[0]}"


# ---------------------------------------------------------------- serialisation and history


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def _lift_reading(c: ABResult | None) -> LiftReading | None:
    if c is None:
        return None
    return LiftReading(
        control=_finite(c.control), treatment=_finite(c.treatment), lift=_finite(c.lift),
        lift_ci=(_finite(c.lift_ci[0]), _finite(c.lift_ci[1])), relative_lift=_finite(c.relative_lift),
        relative_lift_ci=(_finite(c.relative_lift_ci[0]), _finite(c.relative_lift_ci[1])),
        lift_se=_finite(c.lift_se), relative_lift_se=_finite(c.relative_lift_se), scale=c.scale,
        alternative=c.alternative, p_value=_finite(c.p_value), significant=c.significant, method=c.method,
        n_control=c.n_control, n_treatment=c.n_treatment, sequential=c.sequential,
        variance_reduction=None if c.variance_reduction is None else _finite(c.variance_reduction),
        not_enough_data=c.not_enough_data, warnings=tuple(c.warnings),
    )


def _srm_check(s: SRMResult | None) -> SampleRatioCheck | None:
    if s is None:
        return None
    return SampleRatioCheck(s.statistic, s.p_value, tuple(s.expected), s.mismatch)


def results_read_model(res: Results) -> ExperimentResults:
    """The results as the API serves them and a ``ResultSnapshot`` keeps them."""
    e = res.experiment
    return ExperimentResults(
        experiment=e.key, status=e.status, computed_at=res.computed_at.isoformat(),
        planned_sample_per_arm=e.planned_sample_per_arm, reached_sample=res.reached_sample,
        alpha=e.alpha, correction=e.correction,
        decision=ExperimentDecision(res.verdict, res.summary, {
            arm: ArmDecision(d.verdict, tuple(d.reasons)) for arm, d in res.decisions.items()}),
        arms=tuple(ArmTotals(**dataclasses.asdict(a)) for a in res.arms),
        srm=SampleRatioChecks(_srm_check(res.srm_exposures), _srm_check(res.srm_units), res.srm_mismatch),
        invalid=tuple(InvalidTraffic(**dataclasses.asdict(i)) for i in res.invalid),
        notes=tuple(res.notes),
        metrics=tuple(MetricReading(
            metric=r.metric, label=r.label, kind=r.kind, role=r.role, arm=r.arm,
            higher_is_better=r.higher_is_better, used=r.used, p_adjusted=r.p_adjusted,
            significant=r.significant, breach=r.breach, cuped=r.cuped, error=r.error,
            fixed=_lift_reading(r.fixed), sequential=_lift_reading(r.sequential),
        ) for r in res.metrics),
    )


def results_payload(res: Results) -> dict:
    """JSON-ready results (``ResultSnapshot`` payloads): ``results_read_model`` as JSON values."""
    return as_json(results_read_model(res))


def snapshots_for(experiment: Experiment) -> list[ResultSnapshot]:
    return list(ResultSnapshot.objects.filter(experiment=experiment).order_by("day"))


def experiments_running() -> list[RunningExperiment]:
    """Running experiments, by key, with the verdict of their latest result snapshot (3 queries)."""
    experiments = list(Experiment.objects.filter(status=Status.RUNNING)
                       .prefetch_related(Prefetch("arms", queryset=Arm.objects.select_related("variant").order_by("id")))
                       .order_by("key"))
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
        # ``results_payload`` writes {"decision": {"verdict", "summary", "arms"}}.
        decision = (snap.payload or {}).get("decision") if snap else None
        verdict = str(decision["verdict"]) if isinstance(decision, dict) and decision.get("verdict") else None
        reasons = (str(decision["summary"]),) if verdict and decision.get("summary") else ()
        out.append(RunningExperiment(
            key=exp.key, name=exp.name, status=exp.status, started_at=exp.started_at,
            primary_metric=exp.primary_metric,
            arms=tuple(ArmFacts(a.name, a.variant.slug, a.is_control) for a in exp.arms.all()),
            decision=verdict, decision_reasons=reasons, computed_at=snap.computed_at if snap else None,
        ))
    return out


# ---------------------------------------------------------------- failure-mode baselines (read by evalhub.failures)


def failure_control_variant(variant_id: int) -> int | None:
    """The control arm's variant of the newest experiment in which ``variant_id`` is a treatment arm."""
    arm = (Arm.objects.filter(variant_id=variant_id, is_control=False).order_by("-experiment__created_at", "-experiment_id").first())
    if arm is None:
        return None
    control = Arm.objects.filter(experiment_id=arm.experiment_id, is_control=True).first()
    return control.variant_id if control is not None and control.variant_id != variant_id else None
