"""The runner against the simulator as a real HTTP server, in-process (the worker path is in test_worker)."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection

from evalhub.core import connector
from experiments.suites import runner, selectors, services, strategies
from experiments.suites.models import HumanGrade, Run, RunResult, RunStatus
from tests.factories import UserFactory, VariantFactory
from tests.suites.factories import ItemFactory, VersionFactory, make_version

pytestmark = pytest.mark.django_db


def start(version, variant, **kwargs) -> Run:
    run = services.run_start(version=version, variant=variant, **kwargs)
    Run.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
    return run


def test_happy_path_grades_every_item_once(simulator):
    version = make_version(8)
    run = start(version, VariantFactory(endpoint_model="acme-70b"), concurrency=4)
    assert services.run_chunk(run_id=run.pk) == 8
    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    assert run.n_done == 8
    assert run.finished_at
    assert version.locked
    results = list(RunResult.objects.filter(run=run))
    assert len({r.item_id for r in results}) == 8
    assert all(r.output and r.input_tokens > 0 and r.output_tokens > 0 and r.cost_usd > 0 for r in results)
    assert all(r.score in (0.0, 1.0) and r.explanation for r in results)
    assert simulator.request_count == 8
    # Running the chunk again (a redelivered task) calls nothing and writes nothing.
    Run.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
    assert services.run_chunk(run_id=run.pk) == 0
    assert simulator.request_count == 8


def test_dispatch_runs_the_first_chunk_itself_and_enqueues_the_rest(simulator, monkeypatch,
                                                                     django_capture_on_commit_callbacks):
    monkeypatch.setattr(services, "chunk_size", lambda concurrency: 3)
    sent: list[dict] = []
    monkeypatch.setattr("experiments.suites.tasks.run_chunk_task.apply_async",
                        lambda kwargs, queue=None: sent.append({**kwargs, "queue": queue}))
    version = make_version(8)
    run = services.run_start(version=version, variant=VariantFactory(), concurrency=2)
    ids = list(version.items.order_by("position", "id").values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.run_dispatch(run_id=run.pk, queue="q") == 3
    # No broker round trip before the first call: chunk 1 is done when dispatch returns.
    assert set(RunResult.objects.filter(run=run).values_list("item_id", flat=True)) == set(ids[:3])
    assert sent == [{"run_id": run.pk, "item_ids": ids[3:6], "queue": "q"},
                    {"run_id": run.pk, "item_ids": ids[6:], "queue": "q"}]
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING
    assert run.n_done == 3
    assert run.started_at


def test_retry_then_success_counts_attempts(simulator):
    version = make_version(1)
    simulator.fail_next("acme-7b", 503, times=2)
    run = start(version, VariantFactory(), max_retries=3)
    services.run_chunk(run_id=run.pk)
    result = RunResult.objects.get(run=run)
    assert result.error == ""
    assert result.attempts == 3
    assert result.output


def test_endpoint_errors_become_item_errors_not_run_failures(simulator):
    version = make_version(3)
    simulator.fail_next("acme-7b", 500, times=3)  # the first item exhausts its 2 attempts, then one more fails
    run = start(version, VariantFactory(), max_retries=1, concurrency=1)
    services.run_chunk(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    assert run.n_done == 3
    assert run.n_errors == 1
    bad = RunResult.objects.get(run=run, error__gt="")
    assert "HTTP 500" in bad.error
    assert bad.score == 0.0
    assert bad.passed is False
    assert bad.attempts == 2
    summary = selectors.run_summary(run)
    assert summary.n_errors == 1
    assert summary.overall.n == 3


def test_non_transient_error_is_not_retried(simulator):
    version = make_version(1)
    simulator.fail_next("acme-7b", 400, times=1)
    run = start(version, VariantFactory(), max_retries=3)
    services.run_chunk(run_id=run.pk)
    result = RunResult.objects.get(run=run)
    assert "HTTP 400" in result.error
    assert result.attempts == 1


def test_timeouts_are_retried_then_recorded(simulator):
    version = make_version(1)
    simulator.delay_next("acme-7b", 1.0, times=2)
    run = start(version, VariantFactory(), timeout_s=0.2, max_retries=1)
    services.run_chunk(run_id=run.pk)
    result = RunResult.objects.get(run=run)
    assert "timed out" in result.error
    assert result.attempts == 2


def test_self_consistency_sums_tokens_and_cost_over_samples(simulator):
    version = make_version(3)
    variant = VariantFactory(test_time_strategy="self_consistency", samples_n=4, temperature=0.8,
                             price_input_per_mtok=Decimal("0.3"), price_output_per_mtok=Decimal("1.1"))
    run = start(version, variant)
    services.run_chunk(run_id=run.pk)
    assert simulator.request_count == 12
    for result in RunResult.objects.filter(run=run).select_related("item"):
        samples = [s for s in result.samples if s["role"] == "sample"]
        assert len(samples) == 4
        assert sum(s["chosen"] for s in samples) == 1
        # Independently re-ask the (deterministic, seeded) simulator for the same 4 samples.
        replay = [connector.chat(variant, result.item.input, seed=strategies.item_seed(result.item.external_id, i))
                  for i in range(4)]
        tin, tout = sum(r.input_tokens for r in replay), sum(r.output_tokens for r in replay)
        assert (result.input_tokens, result.output_tokens) == (tin, tout)
        assert result.cost_usd == variant.price_for(tin, tout).quantize(Decimal("1e-8"))
        assert result.latency_ms == pytest.approx(sum(s["latency_ms"] for s in samples), abs=0.01)
        votes = [s["extracted"] for s in samples]
        winner = next(s for s in samples if s["chosen"])["extracted"]
        assert votes.count(winner) == max(votes.count(v) for v in votes)
        assert result.extracted == winner


def test_best_of_n_asks_the_judge(simulator):
    version = make_version(2)
    judge = VariantFactory(endpoint_model="acme-70b")
    variant = VariantFactory(test_time_strategy="best_of_n", samples_n=3, judge_variant=judge)
    run = start(version, variant)
    services.run_chunk(run_id=run.pk)
    assert simulator.request_count == 8  # 3 samples + 1 judge call per item
    for result in RunResult.objects.filter(run=run):
        roles = [s["role"] for s in result.samples]
        assert roles == ["sample", "sample", "sample", "judge"]
        assert result.input_tokens == sum(s["input_tokens"] for s in result.samples)
        assert result.cost_usd == sum(Decimal(s["cost_usd"]) for s in result.samples)


def test_reasoning_budget_reaches_the_endpoint(simulator):
    version = make_version(2)
    variant = VariantFactory(endpoint_model="acme-7b-think", test_time_strategy="reasoning",
                             reasoning_budget_tokens=2048)
    run = start(version, variant)
    services.run_chunk(run_id=run.pk)
    assert all(r.reasoning_tokens > 0 for r in RunResult.objects.filter(run=run))


def test_model_as_judge_grader_calls_the_judge_variant(simulator):
    judge = VariantFactory(slug="judge-70b", endpoint_model="acme-70b")
    version = make_version(2, grader={"type": "judge", "judge_variant": judge.slug, "rubric": "correct number"})
    run = start(version, VariantFactory(endpoint_model="acme-70b"))
    services.run_chunk(run_id=run.pk)
    results = list(RunResult.objects.filter(run=run))
    assert all(r.explanation.startswith("judge:") and r.score is not None for r in results)
    assert simulator.request_count == 4


def test_human_grader_routes_to_reviewers_and_completes_result(simulator):
    version = make_version(2, grader={"type": "human", "rubric": "is it polite?"})
    run = start(version, VariantFactory())
    services.run_chunk(run_id=run.pk)
    grades = list(HumanGrade.objects.filter(result__run=run))
    assert len(grades) == 2
    assert all(g.rubric == "is it polite?" for g in grades)
    assert selectors.run_progress(run).n_pending_human == 2
    reviewer = UserFactory(role="reviewer")
    services.human_grade_submit(grade=grades[0], reviewer=reviewer, score=0.75, explanation="mostly polite")
    result = RunResult.objects.get(pk=grades[0].result_id)
    assert result.score == 0.75
    assert result.passed
    assert "mostly polite" in result.explanation
    with pytest.raises(Exception, match="already graded"):
        services.human_grade_submit(grade=grades[0], reviewer=reviewer, score=0.1, explanation="again")


def test_cancelled_run_does_nothing(simulator):
    version = make_version(3)
    run = start(version, VariantFactory())
    services.run_cancel(run=run)
    assert services.run_chunk(run_id=run.pk) == 0
    assert simulator.request_count == 0
    with pytest.raises(Exception, match="cancelled"):
        services.run_cancel(run=run)


def test_two_writers_racing_keep_one_result():
    version = make_version(2)
    run = Run.objects.create(version=version, variant=VariantFactory(), status=RunStatus.RUNNING, n_items=2)
    item = version.items.first()
    first = runner.error_result(run, item, "first", attempts=1)
    second = runner.error_result(run, item, "second", attempts=1)
    runner.write_results([first])
    runner.write_results([second])
    assert list(RunResult.objects.filter(run=run).values_list("error", flat=True)) == ["first"]


def test_advisory_slots_bound_concurrency_across_sessions(django_db_blocker):
    key = 123456
    got_here = runner.acquire_slots(key, 3, 2)
    assert len(got_here) == 2
    other: list[int] = []

    def other_session():
        other.extend(runner.acquire_slots(key, 3, 3))
        connection.close()

    thread = threading.Thread(target=other_session)
    thread.start()
    thread.join()
    assert len(other) == 1
    assert set(other).isdisjoint(got_here)  # only one slot was left for another session
    runner.release_slots(key, got_here)


def test_item_version_default_grader_and_overrides(simulator):
    version = VersionFactory(default_grader={"type": "numeric"}, item_count=2)
    ItemFactory(version=version, external_id="a", input=[{"role": "user", "content": "Compute 2 * 3."}], targets=["6"])
    ItemFactory(version=version, external_id="b", input=[{"role": "user", "content": "Compute 2 * 3."}], targets=["zzz"],
                grader={"type": "contains"})
    run = start(version, VariantFactory(endpoint_model="acme-70b"))
    services.run_chunk(run_id=run.pk)
    b = RunResult.objects.get(run=run, item__external_id="b")
    assert b.score == 0.0
    assert "contains none" in b.explanation
