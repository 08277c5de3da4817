"""Writes for experiments: register, start, stop, change arms, capture the pre-period, snapshot results.

Validation errors are ``django.core.exceptions.ValidationError`` with a dict keyed by the field
(``arms.1.weight``, ``primary_metric``, ``guardrails.0``) so the API and the form can name it; a
rejected registration writes nothing (one transaction, everything checked before the first save).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from evalhub.core.errors import Conflict
from evalhub.core.models import ModelVariant
from evalhub.stats import StatsError
from experiments.abtests import planning
from experiments.abtests.metrics import METRICS
from experiments.abtests.models import Arm, Correction, Experiment, PreUnitStat, ResultSnapshot, Status, Unit

RUNNING_ARMS_REFUSAL = "cannot change arms while the experiment is running: arms change only before the start"
STOPPED_ARMS_REFUSAL = ("cannot change the arms of a stopped experiment: its exposures and decision are history; "
                        "register a new experiment (a new iteration) to test other arms")
PRE_PERIOD_DAYS = 14


def _validate_arms(arms: Sequence[dict[str, Any]], errors: dict[str, list[str]]) -> list[Arm]:
    built: list[Arm] = []
    if not arms or len(arms) < 2:
        errors.setdefault("arms", []).append("needs at least two arms (a control and a treatment)")
        return built
    names: set[str] = set()
    slugs = {str(a.get("variant", "")) for a in arms}
    variants = {v.slug: v for v in ModelVariant.objects.filter(slug__in=slugs)}
    for i, spec in enumerate(arms):
        name = str(spec.get("name", "")).strip()
        if not name:
            errors.setdefault(f"arms.{i}.name", []).append("is required")
        elif name in names:
            errors.setdefault(f"arms.{i}.name", []).append(f"duplicate arm name {name!r}")
        names.add(name)
        variant = variants.get(str(spec.get("variant", "")))
        if variant is None:
            errors.setdefault(f"arms.{i}.variant", []).append(f"unknown variant {spec.get('variant')!r}")
        try:
            weight = float(spec.get("weight", 1.0))
        except (TypeError, ValueError):
            errors.setdefault(f"arms.{i}.weight", []).append("must be a number")
            continue
        if not math.isfinite(weight) or weight < 0:
            errors.setdefault(f"arms.{i}.weight", []).append(f"must be a finite number >= 0, got {weight!r}")
            continue
        built.append(Arm(name=name, variant=variant, weight=weight, is_control=bool(spec.get("is_control", False))))
    if len(built) == len(arms):
        if sum(arm.weight for arm in built) <= 0:
            errors.setdefault("arms.weight", []).append("allocation weights are all zero: give at least one arm a positive weight")
        controls = [arm for arm in built if arm.is_control]
        if len(controls) != 1:
            errors.setdefault("arms.is_control", []).append(
                f"exactly one arm must be the control, got {len(controls)}")
        elif controls[0].weight <= 0:
            errors.setdefault("arms.is_control", []).append("the control needs a positive weight")
    for arm in built:
        try:
            arm.full_clean(exclude=["experiment", "variant"])
        except ValidationError as exc:
            for field, msgs in exc.message_dict.items():
                errors.setdefault(f"arms.{built.index(arm)}.{field}", []).extend(msgs)
    return built


def _validate_metrics(primary: str, guardrails: Sequence[str], errors: dict[str, list[str]]) -> None:
    known = ", ".join(METRICS)
    if primary not in METRICS:
        errors.setdefault("primary_metric", []).append(f"unknown metric {primary!r}; choose from {known}")
    for i, key in enumerate(guardrails):
        if key not in METRICS:
            errors.setdefault(f"guardrails.{i}", []).append(f"unknown metric {key!r}; choose from {known}")
        elif key == primary:
            errors.setdefault(f"guardrails.{i}", []).append("is already the primary metric")
    if len(set(guardrails)) != len(guardrails):
        errors.setdefault("guardrails", []).append("lists a metric twice")


@transaction.atomic
def experiment_register(
    *, name: str, key: str, owner: Any, arms: Sequence[dict[str, Any]], primary_metric: str,
    guardrails: Sequence[str] = (), hypothesis: str = "", unit: str = Unit.USER, mde: float = 0.05,
    alpha: float = 0.05, power: float = 0.8, correction: str = Correction.HOLM,
) -> Experiment:
    """Register a draft experiment with its arms and its planned sample size per arm.

    ``arms``: ``[{"name", "variant" (slug), "weight", "is_control"}]``. ``mde`` is relative to the
    control (0.05 = detect a 5% change of the primary metric).
    """
    errors: dict[str, list[str]] = {}
    guardrails = list(guardrails)
    experiment = Experiment(name=name, key=key, owner=owner, hypothesis=hypothesis, unit=unit,
                            primary_metric=primary_metric, guardrails=guardrails, mde=mde, alpha=alpha,
                            power=power, correction=correction)
    try:
        experiment.full_clean()
    except ValidationError as exc:
        for field, msgs in exc.message_dict.items():
            errors.setdefault(field, []).extend(msgs)
    _validate_metrics(primary_metric, guardrails, errors)
    built = _validate_arms(arms, errors)
    if not errors:
        control = next(arm for arm in built if arm.is_control)
        try:
            the_plan = planning.plan(METRICS[primary_metric], control.variant, mde=mde, alpha=alpha, power=power,
                                     n_arms=len(built))
        except StatsError as exc:
            errors.setdefault(exc.field if exc.field in {"mde", "alpha", "power"} else "mde", []).append(exc.problem)
    if errors:
        raise ValidationError(errors)
    experiment.planned_sample_per_arm = the_plan.sample_per_arm
    experiment.baseline = the_plan.stored_baseline()
    experiment.save()
    for arm in built:
        arm.experiment = experiment
    Arm.objects.bulk_create(built)
    return experiment


@transaction.atomic
def experiment_plan_missing(*, experiment: Experiment) -> Experiment:
    """Give a draft saved without ``experiment_register`` (the admin) the same plan: planned sample per
    arm and baseline, once its arms exist. A set-up that cannot start is refused with the reason."""
    control = experiment.arms.filter(is_control=True).select_related("variant").first()
    if experiment.primary_metric not in METRICS or control is None:
        raise ValidationError("needs a known primary_metric and exactly one control arm before it can start")
    if experiment.planned_sample_per_arm is not None:
        return experiment
    try:
        the_plan = planning.plan(METRICS[experiment.primary_metric], control.variant, mde=experiment.mde,
                                 alpha=experiment.alpha, power=experiment.power, n_arms=experiment.arms.count())
    except StatsError as exc:
        raise ValidationError(f"no sample size: {exc}") from None
    experiment.planned_sample_per_arm = the_plan.sample_per_arm
    experiment.baseline = the_plan.stored_baseline()
    experiment.save(update_fields=["planned_sample_per_arm", "baseline"])
    return experiment


@transaction.atomic
def arms_update(*, experiment: Experiment, arms: Sequence[dict[str, Any]]) -> Experiment:
    """Replace the arms of a draft experiment. Refused once started: replacing arms would delete the
    exposures recorded under them (a cascade) and so rewrite a stored result."""
    experiment = Experiment.objects.select_for_update().get(pk=experiment.pk)
    if experiment.status == Status.RUNNING:
        raise Conflict(RUNNING_ARMS_REFUSAL, "arms")
    if experiment.status == Status.STOPPED or experiment.started_at is not None:
        raise Conflict(STOPPED_ARMS_REFUSAL, "arms")
    errors: dict[str, list[str]] = {}
    built = _validate_arms(arms, errors)
    if errors:
        raise ValidationError(errors)
    experiment.arms.all().delete()
    for arm in built:
        arm.experiment = experiment
    Arm.objects.bulk_create(built)
    return experiment


@transaction.atomic
def experiment_start(*, experiment: Experiment, at: datetime | None = None) -> Experiment:
    """Start assigning. ``at`` backdates the start (imports of experiments already running elsewhere, demo)."""
    experiment = Experiment.objects.select_for_update().get(pk=experiment.pk)
    if experiment.status == Status.RUNNING:
        return experiment  # idempotent
    if experiment.status == Status.STOPPED:
        raise ValidationError({"status": ["a stopped experiment cannot restart: register a new one (fresh salt)"]})
    experiment.status = Status.RUNNING
    experiment.started_at = at or timezone.now()
    experiment.save(update_fields=["status", "started_at"])
    from experiments.abtests.tasks import pre_period_capture_task

    transaction.on_commit(lambda: pre_period_capture_task.delay(experiment_id=experiment.pk))
    return experiment


@transaction.atomic
def experiment_stop(*, experiment: Experiment) -> Experiment:
    experiment = Experiment.objects.select_for_update().get(pk=experiment.pk)
    if experiment.status == Status.STOPPED:
        return experiment
    if experiment.status == Status.DRAFT:
        raise ValidationError({"status": ["a draft experiment was never started"]})
    experiment.status = Status.STOPPED
    experiment.stopped_at = timezone.now()
    experiment.save(update_fields=["status", "stopped_at"])
    return experiment


@transaction.atomic
def pre_period_capture(*, experiment: Experiment, days: int = PRE_PERIOD_DAYS) -> int:
    """Store each unit's behaviour in the ``days`` before the start (traffic in no experiment).

    One SQL aggregate over the time-partitioned events table (only the pre-period partitions are
    read), done once per experiment; idempotent (existing rows are kept). Returns rows written.
    """
    if experiment.started_at is None:
        return 0
    start = experiment.started_at
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {PreUnitStat._meta.db_table}
              (experiment_id, unit_id, n, latency_sum, cost_sum, refusals, reasks, feedback_n, thumbs_up,
               success_n, successes, reask_detectable)
            SELECT %s, unit_id, COUNT(*), COALESCE(SUM(latency_ms), 0), COALESCE(SUM(cost_usd), 0),
                   COUNT(*) FILTER (WHERE refused), COUNT(*) FILTER (WHERE reasked),
                   COUNT(feedback), COUNT(*) FILTER (WHERE feedback = 1),
                   COUNT(task_success), COUNT(*) FILTER (WHERE task_success),
                   COUNT(*) FILTER (WHERE reask_detectable)
            FROM telemetry_event
            WHERE ts >= %s AND ts < %s AND unit_id <> '' AND experiment_key = ''
            GROUP BY unit_id
            ON CONFLICT (experiment_id, unit_id) DO NOTHING
            """,
            [experiment.pk, start - timedelta(days=days), start],
        )
        return cursor.rowcount


def result_snapshot_take(*, experiment: Experiment, at: Any = None) -> ResultSnapshot:
    """Compute the results now and store them as the day's snapshot (re-running replaces the day)."""
    from experiments.abtests.selectors import results_for, results_payload

    at = at or timezone.now()
    payload = results_payload(results_for(experiment))
    snapshot, _ = ResultSnapshot.objects.update_or_create(
        experiment=experiment, day=at.date(), defaults={"computed_at": at, "payload": payload},
    )
    return snapshot
