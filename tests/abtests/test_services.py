from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from evalhub.core.errors import Conflict
from experiments.abtests import services
from experiments.abtests.models import Arm, Experiment, PreUnitStat, Status
from experiments.telemetry.services import events_ingest
from tests.abtests.factories import register, two_arms


def test_register_plans_sample_size_and_writes_arms(variants, engineer):
    e = register(engineer, arms=two_arms("ctrl-v", "treat-v", (1, 3)), mde=0.05, alpha=0.05, power=0.8)
    assert e.status == Status.DRAFT
    assert e.salt
    arms = list(e.arms.order_by("id"))
    assert [(a.name, a.variant.slug, a.weight, a.is_control) for a in arms] == [
        ("control", "ctrl-v", 1.0, True), ("treatment", "treat-v", 3.0, False)]
    # No production history: baseline rate 0.5 → the relative-lift test's sample size for a 5% change.
    from evalhub.stats.ab import sample_size_relative
    assert e.planned_sample_per_arm == sample_size_relative(0.5, 0.5, 0.05, sd_treatment=(0.525 * 0.475) ** 0.5)
    assert e.baseline["source"].startswith("default")


def test_a_draft_saved_without_the_service_gets_the_same_plan(variants, engineer):
    """The admin saves experiments and arms itself; experiment_plan_missing then plans them as register does."""
    reference = register(engineer, key="ref", arms=two_arms("ctrl-v", "treat-v"), mde=0.05)
    bare = Experiment.objects.create(name="Admin-made", key="admin-made", owner=engineer, primary_metric="task_success",
                                     mde=0.05)
    with pytest.raises(ValidationError, match="exactly one control arm"):
        services.experiment_plan_missing(experiment=bare)
    for arm in reference.arms.all():
        Arm.objects.create(experiment=bare, name=arm.name, variant=arm.variant, weight=arm.weight,
                           is_control=arm.is_control)
    services.experiment_plan_missing(experiment=bare)
    bare.refresh_from_db()
    assert bare.planned_sample_per_arm == reference.planned_sample_per_arm
    assert bare.baseline == reference.baseline


def test_bigger_mde_needs_fewer_units(variants, engineer):
    small = register(engineer, key="a", arms=two_arms("ctrl-v", "treat-v"), mde=0.02)
    big = register(engineer, key="b", arms=two_arms("ctrl-v", "treat-v"), mde=0.2)
    assert big.planned_sample_per_arm < small.planned_sample_per_arm


BAD = [
    ({"arms": [{"name": "c", "variant": "ctrl-v", "weight": -1, "is_control": True},
               {"name": "t", "variant": "treat-v", "weight": 1}]}, "arms.0.weight"),
    ({"arms": [{"name": "c", "variant": "ctrl-v", "weight": 0, "is_control": True},
               {"name": "t", "variant": "treat-v", "weight": 0}]}, "arms.weight"),
    ({"arms": [{"name": "c", "variant": "ctrl-v", "weight": 1}, {"name": "t", "variant": "treat-v", "weight": 1}]},
     "arms.is_control"),
    ({"arms": [{"name": "c", "variant": "ctrl-v", "weight": 1, "is_control": True},
               {"name": "t", "variant": "treat-v", "weight": 1, "is_control": True}]}, "arms.is_control"),
    ({"arms": [{"name": "c", "variant": "ctrl-v", "weight": 1, "is_control": True},
               {"name": "t", "variant": "nope", "weight": 1}]}, "arms.1.variant"),
    ({"arms": [{"name": "c", "variant": "ctrl-v", "weight": 1, "is_control": True},
               {"name": "c", "variant": "treat-v", "weight": 1}]}, "arms.1.name"),
    ({"primary_metric": "happiness"}, "primary_metric"),
    ({"guardrails": ["cost_per_request", "vibes"]}, "guardrails.1"),
    ({"mde": 0}, "mde"),
    ({"alpha": 1.5}, "alpha"),
    ({"unit": "device"}, "unit"),
]


@pytest.mark.parametrize(("overrides", "field"), BAD)
def test_bad_registration_names_the_field_and_writes_nothing(variants, engineer, overrides, field):
    kwargs = {"arms": two_arms("ctrl-v", "treat-v"), **overrides}
    with pytest.raises(ValidationError) as exc:
        register(engineer, **kwargs)
    assert field in exc.value.message_dict, exc.value.message_dict
    assert not Experiment.objects.exists()
    assert not Arm.objects.exists()


def test_duplicate_key_is_refused(variants, engineer):
    register(engineer, arms=two_arms("ctrl-v", "treat-v"))
    with pytest.raises(ValidationError) as exc:
        register(engineer, arms=two_arms("ctrl-v", "treat-v"))
    assert "key" in exc.value.message_dict


def test_status_moves_draft_running_stopped_with_times(variants, engineer):
    e = register(engineer, arms=two_arms("ctrl-v", "treat-v"))
    e = services.experiment_start(experiment=e)
    assert e.status == Status.RUNNING
    assert e.started_at is not None
    assert services.experiment_start(experiment=e).started_at == e.started_at  # idempotent
    e = services.experiment_stop(experiment=e)
    assert e.status == Status.STOPPED
    assert e.stopped_at >= e.started_at
    with pytest.raises(ValidationError, match="cannot restart"):
        services.experiment_start(experiment=e)


def test_arms_change_refused_while_running(variants, engineer):
    e = register(engineer, arms=two_arms("ctrl-v", "treat-v"))
    services.arms_update(experiment=e, arms=two_arms("ctrl-v", "treat-v", (1, 4)))  # draft: fine
    assert sorted(e.arms.values_list("weight", flat=True)) == [1.0, 4.0]
    services.experiment_start(experiment=e)
    with pytest.raises(Conflict) as exc:
        services.arms_update(experiment=e, arms=two_arms("ctrl-v", "treat-v", (1, 1)))
    assert (exc.value.field, exc.value.message) == ("arms", services.RUNNING_ARMS_REFUSAL)
    assert sorted(e.arms.values_list("weight", flat=True)) == [1.0, 4.0]


def test_pre_period_capture_reads_units_before_start(variants, engineer):
    e = register(engineer, arms=two_arms("ctrl-v", "treat-v"))
    now = datetime.now(UTC)
    events = [{"event_id": f"pre-{i}-{j}", "timestamp": (now - timedelta(days=2, minutes=j)).isoformat(),
               "variant": "ctrl-v", "unit_id": f"u{i}", "task_success": j % 2 == 0, "cost_usd": 0.01}
              for i in range(5) for j in range(3)]
    events.append({"event_id": "pre-old", "timestamp": (now - timedelta(days=40)).isoformat(), "variant": "ctrl-v",
                   "unit_id": "u0", "task_success": True})
    events_ingest(events=events)
    e = services.experiment_start(experiment=e)
    assert services.pre_period_capture(experiment=e) == 5
    assert services.pre_period_capture(experiment=e) == 0  # idempotent
    row = PreUnitStat.objects.get(experiment=e, unit_id="u0")
    assert (row.n, row.success_n, row.successes) == (3, 3, 2)
    assert row.cost_sum == pytest.approx(0.03)
