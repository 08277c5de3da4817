"""Builders for experiments and their simulated production traffic."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from experiments.abtests import services
from experiments.abtests.assignment import pick_arm, unit_hash
from experiments.abtests.models import Arm, Experiment, Exposure, Status
from experiments.telemetry.models import UnitRollup
from experiments.telemetry.services import events_ingest
from tests.factories import UserFactory, VariantFactory


def two_arms(control: str, treatment: str, weights: tuple[float, float] = (1.0, 1.0)) -> list[dict]:
    return [{"name": "control", "variant": control, "weight": weights[0], "is_control": True},
            {"name": "treatment", "variant": treatment, "weight": weights[1], "is_control": False}]


def register(owner: Any = None, *, key: str = "exp-1", arms: list[dict] | None = None, **overrides: Any) -> Experiment:
    if arms is None:
        arms = two_arms(VariantFactory().slug, VariantFactory().slug)
    kwargs = {"name": "An experiment", "key": key, "owner": owner or _owner(), "arms": arms,
              "primary_metric": "task_success", "guardrails": ["cost_per_request"], "mde": 0.1}
    kwargs.update(overrides)
    return services.experiment_register(**kwargs)


def traffic(experiment: Experiment, *, units: int, success: dict[str, float], cost: dict[str, float] | None = None,
            seed: int = 1, requests: tuple[int, int] = (1, 3), start: datetime | None = None,
            arm_override: dict[str, str] | None = None, prefix: str = "u") -> int:
    """Assign ``units`` units through the real assignment path and ingest their events through
    telemetry's ``events_ingest``. ``success``/``cost`` map arm name → true rate / mean cost."""
    rng = random.Random(seed)
    start = start or datetime.now(UTC) - timedelta(hours=6)
    events: list[dict] = []
    # The same deterministic function the assignment API uses (its own tests cover the API path);
    # exposures are bulk-written here to keep the suite fast.
    arms = sorted(experiment.arms.select_related("variant"), key=lambda arm: arm.id)
    exposures = []
    for i in range(units):
        unit_id = f"{prefix}{i}"
        a = pick_arm(arms, unit_hash(experiment.salt, unit_id))
        exposures.append(Exposure(experiment=experiment, arm=a, unit_id=unit_id))
        arm = (arm_override or {}).get(a.name, a.name)
        for j in range(rng.randint(*requests)):
            events.append({
                "event_id": f"{experiment.key}-{prefix}{i}-{j}", "variant": a.variant.slug,
                "timestamp": (start + timedelta(seconds=rng.randint(0, 3600 * 5))).isoformat(),
                "experiment": experiment.key, "arm": arm, "unit_id": unit_id, "session_id": f"s{i}-{j}",
                "latency_ms": rng.lognormvariate(6.0, 0.3),
                "cost_usd": rng.expovariate(1.0 / (cost or {}).get(a.name, 0.001)),
                "task_success": rng.random() < success[a.name], "refused": False,
            })
    if experiment.status == Status.RUNNING:
        Exposure.objects.bulk_create(exposures, ignore_conflicts=True)
    for k in range(0, len(events), 5000):
        events_ingest(events=events[k:k + 5000], source="api")
    return len(events)


def running_experiment(owner: Any, key: str, control: Any, treatment: Any, *, planned: int) -> Experiment:
    """A running two-arm experiment written directly (calibration tests create dozens)."""
    from django.utils import timezone

    e = Experiment.objects.create(name=key, key=key, owner=owner, primary_metric="task_success", guardrails=[],
                                  status=Status.RUNNING, started_at=timezone.now(), planned_sample_per_arm=planned)
    Arm.objects.bulk_create([Arm(experiment=e, name="control", variant=control, weight=1, is_control=True),
                             Arm(experiment=e, name="treatment", variant=treatment, weight=1)])
    return e


def unit_rows_copy(experiments: list[Experiment], variant_ids: dict[str, int], *, units: int,
                   rates: dict[str, float], rng: np.random.Generator) -> None:
    """UnitRollup rows straight from a simulation (units with 1–4 requests, each a success with the
    arm's true rate), written with COPY: calibration needs many experiments, quickly."""
    from django.db import connection
    from django.utils import timezone

    now = timezone.now()
    cols = ("experiment_key", "arm", "unit_id", "variant_id", "first_seen", "last_seen", "n", "latency_sum",
            "cost_sum", "refusals", "reasks", "feedback_n", "thumbs_up", "success_n", "successes")
    with connection.cursor() as cursor, cursor.cursor.copy(
            f"COPY {UnitRollup._meta.db_table} ({', '.join(cols)}) FROM STDIN") as copy:
        for e in experiments:
            for arm, rate in rates.items():
                n = rng.integers(1, 5, size=units)
                successes = rng.binomial(n, rate)
                cost = rng.gamma(2.0, 0.0005, size=units) * n
                for i in range(units):
                    copy.write_row((e.key, arm, f"{arm}{i}", variant_ids[arm], now, now, int(n[i]), 500.0 * n[i],
                                    float(cost[i]), 0, 0, 0, 0, int(n[i]), int(successes[i])))


def _owner() -> Any:
    return UserFactory()
