"""The evidence payload equals what the stats engine gives on the same sufficient statistics."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from django.db.models import Sum

from evalhub.dashboards import selectors, services, sources
from evalhub.stats import MeanStat
from evalhub.stats.ab import quantile_ci_from_histogram
from evalhub.stats.agreement import wilson_interval
from evalhub.stats.evalscores import mean_score, mean_score_from_stat
from experiments.telemetry.buckets import LATENCY_BUCKET_EDGES_MS
from experiments.telemetry.models import HourlyRollup
from tests.dashboards.factories import SPEC, build_world

pytestmark = pytest.mark.django_db


def _row(payload: dict, slug: str) -> dict:
    return next(v for v in payload["variants"] if v["slug"] == slug)


def test_preference_reads_the_latest_overall_snapshot(world):
    from judging.models import LeaderboardSnapshot

    # A campaign-scoped snapshot and an older overall one must both be ignored.
    LeaderboardSnapshot.objects.create(campaign=None, kind="bt", computed_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
                                       payload={"boards": {"all": {"rows": [
                                           {"variant_id": world.variants["t-7b"].pk, "score": 1.0,
                                            "ci_lower": 0.0, "ci_upper": 2.0}]}}})
    payload = selectors.build_payload(7)
    for slug, (_, bt, hw, *_r) in SPEC.items():
        pref = _row(payload, slug)["preference"]
        assert pref["value"] == bt
        assert pref["lower"] == bt - hw
        assert pref["upper"] == bt + hw
        assert pref["n"] == 400


def test_suite_score_equals_mean_score_on_the_items(world):
    payload = selectors.build_payload(7)
    for slug, scores in world.item_scores.items():
        suite = _row(payload, slug)["suites"]["arith"]
        ref = mean_score(scores)
        assert suite["value"] == pytest.approx(ref.mean, abs=1e-12)
        assert suite["lower"] == pytest.approx(ref.lower, rel=1e-9)
        assert suite["upper"] == pytest.approx(ref.upper, rel=1e-9)
        assert suite["n"] == len(scores)
        assert suite["run_id"] == world.runs[slug]
    assert "arith" not in _row(payload, "t-7b-rag")["suites"]  # never run


def test_production_rates_cost_and_latency_match_the_engine(world):
    payload = selectors.build_payload(7)
    start = world.last_hour + dt.timedelta(hours=1) - dt.timedelta(days=7)
    for slug in ("t-7b", "t-7b-dpo"):
        prod = _row(payload, slug)["production"]
        rows = HourlyRollup.objects.filter(variant=world.variants[slug], hour__gte=start)
        t = rows.aggregate(n=Sum("n"), s=Sum("successes"), sn=Sum("success_n"), tu=Sum("thumbs_up"),
                           fn=Sum("feedback_n"), r=Sum("refusals"), ra=Sum("reasks"), rd=Sum("reask_detectable"),
                           c=Sum("cost_sum"),
                           cc=Sum("cost_sum_sq"))
        assert prod["n"] == t["n"]  # the 30-day-old row is outside the window
        for key, num, den in (("success", "s", "sn"), ("thumbs_up", "tu", "fn"), ("refusal", "r", "n"),
                              ("reask", "ra", "rd")):
            lo, hi = wilson_interval(t[num], t[den])
            assert prod[key]["value"] == pytest.approx(t[num] / t[den])
            assert (prod[key]["lower"], prod[key]["upper"]) == pytest.approx((lo, hi))
        cost = mean_score_from_stat(MeanStat(t["n"], t["c"], t["cc"]))
        assert prod["cost_per_request"]["value"] == pytest.approx(cost.mean)
        assert prod["cost_per_request"]["lower"] == pytest.approx(cost.lower)
        hist = np.sum([r.latency_hist for r in rows], axis=0)
        est, lo, hi = quantile_ci_from_histogram(hist, LATENCY_BUCKET_EDGES_MS, 0.95)
        assert prod["latency_p95_ms"]["value"] == pytest.approx(est)
        assert (prod["latency_p95_ms"]["lower"], prod["latency_p95_ms"]["upper"]) == pytest.approx((lo, hi))


def test_running_experiments_carry_their_latest_decision(world):
    payload = selectors.build_payload(7)
    assert [e["key"] for e in payload["experiments"]] == ["dpo-vs-base"]
    exp = payload["experiments"][0]
    assert exp["decision"] == "keep running"
    assert exp["decision_reasons"] == ["dpo: not enough data yet"]
    assert {a["variant"] for a in exp["arms"]} == {"t-7b", "t-7b-dpo"}


def test_every_source_degrades_to_no_data(db):
    build_world(with_preference=False, with_suites=False, with_production=False, with_experiment=False)
    payload = selectors.build_payload(7)
    assert all(v["preference"] is None and v["suites"] == {} and v["production"] is None
               for v in payload["variants"])
    assert payload["experiments"] == []
    assert payload["suites"] == []
    assert payload["period"]["start"] is None
    assert payload["verdict"]["bt"]  # sections exist, each saying why there is no curve
    assert all(s["fit"] is None and s["fit_problem"] for s in payload["verdict"]["bt"])


def test_paired_item_scores_align_by_item(world):
    a, b = sources.paired_item_scores(world.runs["t-7b"], world.runs["t-7b-dpo"])
    assert a == world.item_scores["t-7b"]
    assert b == world.item_scores["t-7b-dpo"]


def test_payload_is_cached_and_refreshable(world, django_assert_max_num_queries):
    first = services.report_current(7)
    with django_assert_max_num_queries(1):
        assert services.report_current(7).pk == first.pk
    fresh = services.report_current(7, refresh=True)
    assert fresh.pk != first.pk
    assert fresh.computed_at >= first.computed_at
    # Only the newest cache row per key is kept.
    from evalhub.dashboards.models import Report

    assert Report.objects.filter(saved=False).count() == 1


def test_stale_payload_is_served_while_a_refresh_is_enqueued(world, settings, monkeypatch,
                                                             django_capture_on_commit_callbacks):
    import datetime as _dt

    from django.core.cache import cache

    from evalhub.dashboards import tasks
    from evalhub.dashboards.models import Report

    calls = []
    monkeypatch.setattr(tasks.dashboards_refresh_task, "delay", lambda **kw: calls.append(kw))
    cache.clear()
    first = services.report_current(7)
    Report.objects.filter(pk=first.pk).update(computed_at=first.computed_at - _dt.timedelta(seconds=600))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.report_current(7).pk == first.pk  # stale, still served
        assert services.report_current(7).pk == first.pk  # enqueued once only
    assert calls == [{"days": 7}]
    # The task recomputes; too-old payloads are recomputed in the request instead.
    assert tasks.dashboards_refresh_task(days=7)
    newest = Report.objects.get(saved=False)
    Report.objects.filter(pk=newest.pk).update(computed_at=newest.computed_at - _dt.timedelta(hours=2))
    assert services.report_current(7).pk != newest.pk
