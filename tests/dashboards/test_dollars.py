"""The overall answer in dollars: page, CSV and API carry the same numbers, which recover the test
world's truth; the headline's words follow its numbers; the compute fit's fixes."""

from __future__ import annotations

import csv
import io
import math

import pytest
from django.urls import reverse

from evalhub.dashboards import dollars, pages, selectors, services, verdict
from evalhub.stats.marginal import evidence_multiplier
from evalhub.stats.scaling import fit_log_compute
from tests.dashboards.factories import SPEC

pytestmark = pytest.mark.django_db

# Production-only policy: the test world's production truth is known exactly (SPEC): task success and
# thumbs-up at the success rate, refusals 3% and re-asks 10% for every variant, cost per request.
PRODUCTION_POLICY = {"success": 1.0, "thumbs_up": 1.0, "refusal": 1.0, "reask": 1.0}


def _true_gain(slug: str) -> float:
    return 2 * (SPEC[slug][6] - SPEC["t-7b"][6]) / 4  # success and thumbs-up move; refusal, re-ask do not


def _true_cost(slug: str) -> float:
    return 1000 * (SPEC[slug][4] - SPEC["t-7b"][4])


def test_api_overall_recovers_the_worlds_truth(world, engineer, viewer_client):
    services.policy_save(weights=PRODUCTION_POLICY, user=engineer)
    body = viewer_client.get("/api/v1/dashboards/verdict").json()
    assert body["policy"]["version"] == 1
    (section,) = body["overall"]
    assert section["base_model"] == "t-7b"
    rows = {r["slug"]: r for r in section["rows"]}
    assert set(rows) == set(SPEC) - {"t-7b"}
    assert rows["t-70b"]["lever"] == "pretraining scale"
    for slug, r in rows.items():
        assert r["gain"]["lower"] <= _true_gain(slug) <= r["gain"]["upper"], (slug, r["gain"])
        assert r["cost"]["lower"] <= _true_cost(slug) <= r["cost"]["upper"], (slug, r["cost"])
        assert r["cost"]["source"] == "production cost per request"
        pd = r["per_dollar"]
        assert pd["kind"] == "ratio", slug  # every variant of the world costs measurably more
        truth = _true_gain(slug) / _true_cost(slug)
        assert pd["lower"] <= truth <= pd["upper"], (slug, pd, truth)
    # DPO buys far more quality per dollar than any test-time-compute variant in this world.
    assert section["comparison"]["decided"] is True
    assert section["comparison"]["winner"] == "t-7b-dpo"
    assert section["headline"]["lever"] == "post-training"


def test_page_csv_and_api_show_the_same_numbers(world, viewer_client):
    payload = services.report_current(7).payload
    page = pages.verdict(payload, pages.Params(), selectors.policy_active(payload))
    body = viewer_client.get("/api/v1/dashboards/verdict").json()
    for got, want in zip(body["overall"], page["overall"], strict=True):
        assert got["headline"] == want["headline"]
        for g, w in zip(got["rows"], want["rows"], strict=True):
            assert g["gain"] == w["gain"]
            assert g["per_dollar"] == w["per_dollar"]
            assert g["cost"] == w["cost"]
    html = viewer_client.get(reverse("dashboards:verdict")).content.decode()
    head = page["overall"][0]["headline"]
    assert head["text"].replace("'", "&#x27;") in html
    rows = list(csv.reader(io.StringIO(viewer_client.get(reverse("dashboards:verdict_csv")).content.decode())))
    per_dollar = {r[2]: r for r in rows if r[1] == "overall: quality per extra $1 per 1,000 requests"}
    for w in page["overall"][0]["rows"]:
        got = per_dollar[w["slug"]]
        assert got[4] == w["per_dollar"]["kind"]
        assert float(got[5]) == pytest.approx(w["per_dollar"]["ratio"], rel=1e-5)
        assert float(got[6]) == pytest.approx(w["per_dollar"]["lower"], rel=1e-5)
        assert float(got[7]) == pytest.approx(w["per_dollar"]["upper"], rel=1e-5)
    assert "inf" not in "".join(",".join(r) for r in rows).lower().replace("information", "")
    assert "nan" not in html.lower().split("<script")[0].replace("nano", "")


def test_headline_is_one_sentence_with_dollars_an_interval_and_the_evidence(world):
    payload = services.report_current(7).payload
    (section,) = pages.overall(payload, selectors.policy_active(payload))
    text = section["headline"]["text"]
    dpo = next(r for r in section["rows"] if r["slug"] == "t-7b-dpo")
    assert text.startswith("Post-training is the better buy on t-7b: T-7B-DPO adds ".replace("T-7B-DPO", dpo["name"]))
    assert f"{dollars.num(dpo['per_dollar']['ratio'])} quality per extra $1 per 1,000 requests" in text
    assert f"(95% CI {dollars.interval(dpo['per_dollar']['lower'], dpo['per_dollar']['upper'])})" in text
    ev = section["evidence"]
    assert ev["votes"] == 1600
    assert ev["items"] == 3 * 80  # base, DPO and the best test-time-compute variant on the one suite
    assert text.endswith(f"Based on 1,600 votes, 240 suite items and {ev['requests']:,} requests.")


def _variant(slug: str, kind: str, *, success: tuple[int, int], cost: float, cost_se: float, post: str = "none",
             compute: float = 1.0) -> dict:
    n, k = success[1], success[0]
    p = k / n
    half = 1.96 * math.sqrt(p * (1 - p) / n)
    return {"slug": slug, "name": slug, "family": "f", "base_model": "b", "parameter_count": 7,
            "improvement_kind": kind, "compute_multiplier": compute, "post_training": post,
            "post_training_label": post, "preference": None, "suites": {},
            "production": {"n": n, "success": {"successes": k, "n": n, "value": p, "lower": p - half, "upper": p + half},
                           "cost_per_request": {"value": cost, "lower": cost - 1.96 * cost_se,
                                                "upper": cost + 1.96 * cost_se, "se": cost_se, "n": n}}}


def test_not_yet_distinguishable_says_how_much_more_evidence_from_the_power_tools():
    payload = {"suites": [], "preference": {"n_judgments": 0}, "variants": [
        _variant("b", "pretraining scale", success=(500, 1000), cost=0.001, cost_se=0.00001),
        _variant("b-dpo", "post-training", success=(600, 1000), cost=0.0012, cost_se=0.00001, post="dpo"),
        _variant("b-sc4", "test-time compute", success=(620, 1000), cost=0.0013, cost_se=0.00001, compute=4.0),
    ]}
    (section,) = dollars.dollar_verdict(payload, {"success": 1.0})
    assert [dollars.rank(r) for r in section["rows"]] == [1, 1]  # both buy a measurable gain at a price
    cmp = section["comparison"]
    assert cmp["decided"] is False
    rows = {r["slug"]: r for r in section["rows"]}
    a, b = rows["b-dpo"]["per_dollar"], rows["b-sc4"]["per_dollar"]
    assert cmp["multiplier"] == pytest.approx(evidence_multiplier(a["ratio"] - b["ratio"], math.hypot(a["se"], b["se"])))
    text = dollars.headline(section)["text"]
    assert text.startswith("Not yet distinguishable on b: ")
    k = cmp["multiplier"]
    more = math.ceil((k - 1) * 3000)
    assert f"About {dollars.num(k)}× the current evidence (about {more:,} more requests) would decide it" in text
    assert text.endswith("Based on 3,000 requests.")


def test_cheaper_and_better_dominates_and_an_unmeasurable_cost_is_unbounded_in_words():
    payload = {"suites": [], "preference": None, "variants": [
        _variant("b", "pretraining scale", success=(500, 4000), cost=0.0010, cost_se=0.00001),
        _variant("b-dpo", "post-training", success=(900, 4000), cost=0.0008, cost_se=0.00001, post="dpo"),
        _variant("b-sc4", "test-time compute", success=(800, 4000), cost=0.0010, cost_se=0.0001, compute=4.0),
    ]}
    (section,) = pages.overall(payload, selectors.PolicyView(1, {"success": 1.0}, "", "x", None))
    rows = {r["slug"]: r for r in section["rows"]}
    assert rows["b-dpo"]["per_dollar"]["kind"] == "dominates"
    assert rows["b-sc4"]["per_dollar"]["kind"] == "free"
    assert rows["b-dpo"]["per_dollar_display"] == "better and cheaper: no trade-off"
    assert rows["b-sc4"]["per_dollar_display"].startswith("unbounded: better at no measurable extra cost")
    assert "cheaper by $0.20 per 1,000 requests" in section["headline"]["text"]
    assert section["headline"]["lever"] == "post-training"
    for r in rows.values():
        for cell in (r["per_dollar_display"], r["gain_display"], r["cost_display"]):
            assert "inf" not in cell
            assert "nan" not in cell


def test_a_zero_width_interval_is_not_floored_into_dominating_the_fit():
    assert verdict.estimate_se({"value": 1.0, "lower": 1.0, "upper": 1.0, "se": 0.0}) is None
    assert verdict.estimate_se({"value": 1.0, "lower": 0.96, "upper": 1.0, "se": None}) == pytest.approx(0.02 / 1.959964, rel=1e-5)


def test_the_fitted_curve_of_a_score_never_rises_above_one():
    fit = fit_log_compute([1, 4, 16], [0.80, 0.90, 0.99], score_se=[0.02, 0.02, 0.01])
    curve = verdict._curve(fit, 1000.0, bounded=True)
    assert curve  # the line starts below 1
    assert all(0.0 <= p["lower"] <= p["value"] <= p["upper"] <= 1.0 for p in curve)
    assert fit.predict(1000.0).score > 1.0  # unclipped, the line would have gone past a perfect score
    assert max(p["compute"] for p in curve) < 1000.0


def test_without_production_the_cost_comes_from_suite_token_costs(db):
    from tests.dashboards.factories import build_world

    build_world(with_production=False, with_experiment=False)
    payload = services.report_current(7).payload
    (section,) = dollars.dollar_verdict(payload, {"suite:arith": 1.0})
    rows = {r["slug"]: r for r in section["rows"]}
    assert "t-7b-rag" not in {s for s, r in rows.items() if r["cost"]}  # it ran no suite: no cost either
    dpo = rows["t-7b-dpo"]
    assert dpo["cost"]["source"] == "suite token cost per item (Arithmetic)"
    by = {v["slug"]: v for v in payload["variants"]}
    want = 1000 * (by["t-7b-dpo"]["suites"]["arith"]["cost"]["value"] - by["t-7b"]["suites"]["arith"]["cost"]["value"])
    assert dpo["cost"]["value"] == pytest.approx(want, rel=1e-12)
    assert dpo["latency"]["source"] == "suite mean latency"
    assert dpo["cost"]["unit"] == "suite items"
    assert "per extra $1 per 1,000 suite items" in dollars.phrase(dpo)


def test_a_saved_report_keeps_the_policy_it_was_saved_under(world, engineer, viewer, viewer_client):
    services.policy_save(weights={"success": 1.0}, user=engineer)
    report = services.report_save(kind="verdict", params={"days": 7}, user=viewer)
    services.policy_save(weights={"bt": 1.0}, user=engineer)
    html = viewer_client.get(reverse("dashboards:report", args=[report.uuid])).content.decode()
    assert "Decision policy version 1" in html
    assert "Decision policy version 2" in viewer_client.get(reverse("dashboards:verdict")).content.decode()
