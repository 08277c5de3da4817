from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection

from evalhub.stats.ab import srm_test
from experiments.abtests import services
from experiments.abtests.assignment import assignment_for, exposure_record, pick_arm, unit_hash
from experiments.abtests.models import Arm, Exposure
from tests.abtests.factories import register, two_arms


def test_hash_is_deterministic_uniform_and_salted():
    assert unit_hash("s1", "user-42") == unit_hash("s1", "user-42")
    assert unit_hash("s1", "user-42") != unit_hash("s2", "user-42")
    values = [unit_hash("salt", f"u{i}") for i in range(20_000)]
    assert all(0.0 <= v < 1.0 for v in values)
    deciles = Counter(int(v * 10) for v in values)
    assert srm_test([deciles[i] for i in range(10)], [1] * 10).p_value > 0.001


@pytest.mark.parametrize("weights", [(1, 1), (1, 3), (2, 1, 1)])
def test_weights_are_honoured_over_20k_units(weights):
    arms = [Arm(id=i + 1, name=f"a{i}", weight=w, is_control=i == 0) for i, w in enumerate(weights)]
    counts = Counter(pick_arm(arms, unit_hash("fixed-salt", f"unit-{i}")).name for i in range(20_000))
    observed = [counts[a.name] for a in arms]
    assert srm_test(observed, list(weights)).p_value > 0.001, observed


def test_zero_weight_arm_gets_nobody():
    arms = [Arm(id=1, name="c", weight=1, is_control=True), Arm(id=2, name="off", weight=0),
            Arm(id=3, name="t", weight=1)]
    assert {pick_arm(arms, unit_hash("s", f"u{i}")).name for i in range(2000)} == {"c", "t"}


def test_running_assignment_is_sticky_and_recorded_once(variants, engineer):
    e = services.experiment_start(experiment=register(engineer, arms=two_arms("ctrl-v", "treat-v")))
    e.refresh_from_db()
    first = assignment_for(experiment=e, unit_id="alice")
    again = [assignment_for(experiment=e, unit_id="alice") for _ in range(5)]
    assert all(a.arm == first.arm and a.variant == first.variant for a in again)
    assert first.exposed
    assert not first.stopped
    assert Exposure.objects.filter(experiment=e, unit_id="alice").count() == 1


def test_recorded_exposure_wins_over_a_changed_weighting(variants, engineer):
    e = services.experiment_start(experiment=register(engineer, arms=two_arms("ctrl-v", "treat-v")))
    control = e.arms.get(is_control=True)
    treatment = e.arms.get(is_control=False)
    assert exposure_record(experiment=e, arm=control, unit_id="bob") == control.id
    assert exposure_record(experiment=e, arm=treatment, unit_id="bob") == control.id


def test_draft_and_stopped_serve_control_with_flag(variants, engineer):
    e = register(engineer, arms=two_arms("ctrl-v", "treat-v", (1, 1000)))
    draft = assignment_for(experiment=e, unit_id="carol")
    assert (draft.arm, draft.variant, draft.is_control, draft.stopped, draft.exposed) == (
        "control", "ctrl-v", True, False, False)
    services.experiment_start(experiment=e)
    e.refresh_from_db()
    services.experiment_stop(experiment=e)
    e.refresh_from_db()
    stopped = assignment_for(experiment=e, unit_id="carol")
    assert (stopped.arm, stopped.is_control, stopped.stopped, stopped.status) == ("control", True, True, "stopped")
    assert not Exposure.objects.filter(experiment=e, unit_id="carol").exists()


@pytest.mark.django_db(transaction=True)
def test_exposure_is_idempotent_under_concurrent_calls(engineer):
    from tests.factories import VariantFactory

    VariantFactory(slug="ctrl-v"), VariantFactory(slug="treat-v")
    e = services.experiment_start(experiment=register(engineer, arms=two_arms("ctrl-v", "treat-v")))
    e.refresh_from_db()
    barrier = threading.Barrier(8)
    arms_seen, errors = [], []

    def call() -> None:
        try:
            barrier.wait()
            arms_seen.append(assignment_for(experiment=e, unit_id="dave").arm)
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=call) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(set(arms_seen)) == 1
    assert len(arms_seen) == 8
    assert Exposure.objects.filter(experiment=e, unit_id="dave").count() == 1
