"""Deterministic, sticky assignment of units to arms.

u = first 8 bytes of sha256(salt + ":" + unit_id) / 2⁶⁴ is uniform on [0, 1) and independent of
anything about the unit, so the arm (the first whose cumulative normalised weight exceeds u)
honours the weights; the same salt and unit give the same arm on every call and every machine.
The first assignment of a running experiment is recorded as an Exposure (INSERT … ON CONFLICT DO
NOTHING, so concurrent or repeated calls write one row); once exposed, a unit keeps that arm even
if a later restart changed the weights — the recorded exposure wins.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from experiments.abtests.models import Arm, Experiment, Exposure, Status


def unit_hash(salt: str, unit_id: str) -> float:
    digest = hashlib.sha256(f"{salt}:{unit_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


def pick_arm(arms: Sequence[Arm], u: float) -> Arm:
    total = sum(arm.weight for arm in arms)
    cumulative = 0.0
    for arm in arms:
        cumulative += arm.weight / total
        if u < cumulative and arm.weight > 0:
            return arm
    # Float rounding can leave u just above the last cumulative weight: the last weighted arm takes it.
    return [arm for arm in arms if arm.weight > 0][-1]


@dataclass(frozen=True)
class ArmAssignment:
    experiment: str
    unit_id: str
    arm: str
    variant: str
    is_control: bool
    status: str
    stopped: bool
    exposed: bool


def _ordered_arms(experiment: Experiment) -> list[Arm]:
    # A fixed order (by id) so the cumulative weights, hence the assignment, never depend on a query plan.
    return sorted(experiment.arms.all(), key=lambda arm: arm.id)


def _exposed_arm_id(experiment: Experiment, unit_id: str) -> int | None:
    return Exposure.objects.filter(experiment=experiment, unit_id=unit_id).values_list("arm_id", flat=True).first()


def assignment_for(*, experiment: Experiment, unit_id: str, record: bool = True) -> ArmAssignment:
    """The unit's arm.

    Running: the hashed arm (or the arm of an earlier exposure), recorded as an exposure when
    ``record`` (callers holding only a read key pass ``record=False``: they look, they do not serve).
    Stopped: the arm the unit was exposed to (sticky, so a service keeps serving what the unit
    had) with ``status: "stopped"``; a unit never exposed gets the control. Nothing is recorded,
    and events after the stop no longer count in the experiment (telemetry ingestion untags them).
    Draft: the control, nothing recorded.
    """
    arms = _ordered_arms(experiment)
    control = next(arm for arm in arms if arm.is_control)
    if experiment.status == Status.STOPPED:
        arm_id = _exposed_arm_id(experiment, unit_id)
        arm = next((a for a in arms if a.id == arm_id), control)
        return ArmAssignment(experiment.key, unit_id, arm.name, arm.variant.slug, arm.is_control,
                          experiment.status, True, False)
    if experiment.status != Status.RUNNING:
        return ArmAssignment(experiment.key, unit_id, control.name, control.variant.slug, True,
                          experiment.status, False, False)
    arm = pick_arm(arms, unit_hash(experiment.salt, unit_id))
    arm_id = (exposure_record(experiment=experiment, arm=arm, unit_id=unit_id) if record
              else _exposed_arm_id(experiment, unit_id) or arm.id)
    if arm_id != arm.id:
        arm = next(a for a in arms if a.id == arm_id)
    return ArmAssignment(experiment.key, unit_id, arm.name, arm.variant.slug, arm.is_control,
                      experiment.status, False, record)


def exposure_record(*, experiment: Experiment, arm: Arm, unit_id: str) -> int:
    """Record the first exposure; returns the arm id the unit is exposed to (an earlier one wins)."""
    table = Exposure._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (experiment_id, arm_id, unit_id, first_exposed_at) VALUES (%s, %s, %s, %s) "
            f"ON CONFLICT (experiment_id, unit_id) DO NOTHING RETURNING arm_id",
            [experiment.id, arm.id, unit_id, timezone.now()],
        )
        row = cursor.fetchone()
        if row is not None:
            return int(row[0])
        cursor.execute(f"SELECT arm_id FROM {table} WHERE experiment_id = %s AND unit_id = %s",
                       [experiment.id, unit_id])
        existing = cursor.fetchone()
    return int(existing[0]) if existing else arm.id
