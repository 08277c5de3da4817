"""Verdict, frontier and captions: the numbers are the stats engine's, the captions quote only what is shown."""

from __future__ import annotations

import csv
import io
import json
import re

import plotly.graph_objects as go
import pytest

from evalhub.dashboards import captions, charts, pages, selectors
from evalhub.stats import ProportionStat
from evalhub.stats.ab import compare_proportions
from evalhub.stats.evalscores import mcnemar, paired_difference
from evalhub.stats.scaling import compute_equivalent_gain, fit_log_compute
from tests.dashboards.factories import SPEC

pytestmark = pytest.mark.django_db
Z95 = 1.959963984540054


@pytest.fixture
def payload(world) -> dict:
    return selectors.build_payload(7)


def _section(payload: dict, quality: str = "bt", base: str = "t-7b") -> dict:
    return next(s for s in payload["verdict"][quality] if s["base_model"] == base)


def test_gain_matches_the_engine_on_the_same_inputs(payload):
    curve = ["t-7b", "t-7b-sc4", "t-7b-think", "t-7b-sc16"]
    compute = {"t-7b": 1.0, "t-7b-sc4": 4.0, "t-7b-think": 5.0, "t-7b-sc16": 16.0}
    order = sorted(curve, key=lambda s: compute[s])
    se = [SPEC[s][2] / Z95 for s in order]
    fit = fit_log_compute([compute[s] for s in order], [float(SPEC[s][1]) for s in order], score_se=se)
    section = _section(payload)
    assert [p["slug"] for p in section["points"]] == order
    assert section["fit"]["b"] == pytest.approx(fit.b)
    assert section["fit"]["a"] == pytest.approx(fit.a)
    gains = {g["slug"]: g for g in section["gains"]}
    # post-trained, retrieval and the pretraining-scaled sibling all get a multiple; test-time ones don't
    assert set(gains) == {"t-7b-dpo", "t-7b-sft", "t-7b-rag", "t-70b"}
    for slug in ("t-7b-dpo", "t-70b"):
        ref = compute_equivalent_gain(fit, float(SPEC[slug][1]), SPEC[slug][2] / Z95, base_compute=1.0)
        assert gains[slug]["multiple"] == pytest.approx(ref.multiple)
        assert gains[slug]["lower"] == pytest.approx(ref.lower)
        assert gains[slug]["upper"] == pytest.approx(ref.upper)
    assert gains["t-7b-dpo"]["recipe"] == "DPO"
    assert gains["t-70b"]["kind"] == "pretraining scale"


def test_suite_quality_fits_on_suite_scores(payload):
    section = _section(payload, "suite:arith")
    by_slug = {v["slug"]: v for v in payload["variants"]}
    assert [p["value"] for p in section["points"]] == [by_slug[p["slug"]]["suites"]["arith"]["value"]
                                                     for p in section["points"]]
    assert "t-7b-rag" not in {g["slug"] for g in section["gains"]}  # no suite run → not placed


def test_head_to_head_uses_paired_tests_and_proportion_tests(payload, world):
    h2h = _section(payload)["head_to_head"]
    assert h2h["compute"]["slug"] == "t-7b-sc16"
    assert h2h["post"]["slug"] == "t-7b-dpo"
    rows = {(r["evidence"], r["metric"]): r for r in h2h["rows"]}
    pref = rows[("human preference", "BT score")]
    assert pref["diff"] == 1080 - 1045
    assert pref["significant"]
    assert pref["favours"] == "post"
    suite = rows[("suite: Arithmetic", "mean score")]
    ref = paired_difference(world.item_scores["t-7b-dpo"], world.item_scores["t-7b-sc16"])
    assert suite["diff"] == pytest.approx(ref.mean_diff)
    assert suite["p_value"] == pytest.approx(ref.p_value)
    m = mcnemar(world.item_scores["t-7b-dpo"], world.item_scores["t-7b-sc16"])
    assert f"McNemar p {m.p_value:.3g}" in suite["detail"]
    by_slug = {v["slug"]: v for v in payload["variants"]}
    a, b = by_slug["t-7b-sc16"]["production"]["success"], by_slug["t-7b-dpo"]["production"]["success"]
    c = compare_proportions(ProportionStat(a["n"], a["successes"]), ProportionStat(b["n"], b["successes"]),
                            scale="absolute")
    success = rows[("production", "task success rate")]
    assert success["diff"] == pytest.approx(c.lift)
    assert success["p_value"] == pytest.approx(c.p_value)
    assert success["favours"] == ("post" if c.significant and c.lift > 0 else success["favours"])


def test_frontier_names_the_dominator(payload):
    data = selectors.frontier_data(payload, "bt", "cost")
    by_slug = {p["slug"]: p for p in data["points"]}
    assert by_slug["t-7b-sft"]["dominated_by"] == "t-7b-dpo"
    assert by_slug["t-7b-sft"]["dominated_by_name"] == "Test 7B-DPO"
    assert by_slug["t-7b-dpo"]["on_frontier"]
    assert by_slug["t-7b"]["on_frontier"]
    assert not by_slug["t-7b-sc16"]["on_frontier"]
    page = pages.frontier(payload, pages.Params())
    fig = page["figure"]
    go.Figure(fig)  # a valid plotly figure
    notes = [a["text"] for a in fig["layout"]["annotations"]]
    assert "dominated by Test 7B-DPO" in notes
    dominated = [t for t in fig["data"] if t["name"].endswith(", dominated")]
    assert dominated
    for scatter in dominated:
        assert scatter["error_x"]["array"]
        assert scatter["error_y"]["arrayminus"]
    assert "Test 7B-SFT is dominated by Test 7B-DPO" in page["caption"]


def test_frontier_line_joins_exactly_the_variants_the_table_marks_on_the_frontier(payload):
    page = pages.frontier(payload, pages.Params())
    data, fig = page["data"], page["figure"]
    on_table = [p for p in sorted(data["points"], key=lambda p: p["x"]) if p["on_frontier"]]
    assert len(on_table) > 1
    line = next(t for t in fig["data"] if t["name"].startswith("frontier"))
    assert line["x"] == [p["x"] for p in on_table]
    assert line["y"] == [p["y"] for p in on_table]
    # The CSV (the table's download) marks the same variants.
    rows = list(csv.DictReader(io.StringIO(pages.frontier_csv(payload, pages.Params()))))
    assert {r["variant"] for r in rows if r["on_frontier"] == "True"} == {p["slug"] for p in on_table}


def test_frontier_legend_entries_are_the_markers_drawn(payload):
    page = pages.frontier(payload, pages.Params())
    fig = page["figure"]
    markers = [t for t in fig["data"] if "markers" in t["mode"]]
    drawn = 0
    for t in markers:
        # One symbol per trace (a list would draw several shapes under one legend entry).
        assert isinstance(t["marker"]["symbol"], str), t["name"]
        kind, status = t["name"].rsplit(", ", 1)
        assert t["marker"]["symbol"] == charts.KIND_SYMBOL[kind]
        colour = charts.FRONTIER_COLOR if status == "on the frontier" else charts.DOMINATED_COLOR
        assert t["marker"]["color"] == colour
        by_name = {p["name"]: p for p in page["data"]["points"]}
        for name in t["text"]:
            assert by_name[name]["kind"] == kind
            assert by_name[name]["on_frontier"] is (status == "on the frontier")
        drawn += len(t["x"])
    assert drawn == len(page["data"]["points"])


def _point(slug: str, y: float, lo: float, hi: float, x: float, on: bool = True) -> dict:
    return {"slug": slug, "name": slug.upper(), "kind": "post-training", "x": x, "x_lower": x, "x_upper": x,
            "y": y, "y_lower": lo, "y_upper": hi, "on_frontier": on, "dominated_by": None, "dominated_by_name": None}


def test_frontier_caption_says_best_only_beyond_the_error_bars():
    overlapping = {"quality": "bt", "axis": "cost", "frontier": ["b", "a"],
                   "points": [_point("a", 1053, 1023, 1085, 2.0), _point("b", 1044, 1015, 1075, 1.0)]}
    text = captions.frontier_caption(overlapping, "BT")
    assert "A and B cannot be told apart" in text
    assert "the best is" not in text
    separated = {"quality": "bt", "axis": "cost", "frontier": ["b", "a"],
                 "points": [_point("a", 1100, 1080, 1120, 2.0), _point("b", 1044, 1015, 1075, 1.0)]}
    text = captions.frontier_caption(separated, "BT")
    assert "the best is A at 1100, beyond the error bars" in text
    assert "cannot be told apart" not in text
    all_tied = {"quality": "bt", "axis": "cost", "frontier": ["c", "b", "a"],
                "points": [*overlapping["points"], _point("c", 1040, 1010, 1070, 0.5)]}
    text = captions.frontier_caption(all_tied, "BT")
    assert "no variant is better than the others on BT beyond the error bars" in text
    assert "the highest point estimate, A at 1053" in text
    assert "the best is" not in text


def test_frontier_against_latency_and_a_suite(payload):
    data = selectors.frontier_data(payload, "suite:arith", "latency")
    assert "Test 7B-RAG" in data["missing"]  # no suite score
    assert all(p["x"] > 0 for p in data["points"])


NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


def _numbers(text: str) -> set[str]:
    return {n.rstrip(".,") for n in NUMBER.findall(text)}


@pytest.mark.parametrize("quality", ["bt", "suite:arith"])
def test_captions_only_quote_numbers_the_chart_or_table_shows(payload, quality):
    params = pages.Params(quality=quality)
    frontier = pages.frontier(payload, params)
    shown = json.dumps(frontier["figure"], ensure_ascii=False)
    missing = {n for n in _numbers(frontier["caption"]) if n not in shown}
    assert not missing, (frontier["caption"], missing)
    verdict = pages.verdict(payload, params)
    assert verdict["sections"]
    for s in verdict["sections"]:
        shown = json.dumps(s["figure"], ensure_ascii=False)
        table = json.dumps([[g["name"], g["value_display"], captions.fmt_gain(g)] for g in s["gains"]]
                           + [[r["evidence"], r["metric"], r["compute_display"], r["post_display"], r["diff_display"]]
                              for r in (s["head_to_head"] or {}).get("rows", [])]
                           + [s["head_to_head"]["post"]["name"], s["head_to_head"]["compute"]["name"]]
                           if s["head_to_head"] else [], ensure_ascii=False)
        for text in (s["caption"], s["headline"]["text"]):
            missing = {n for n in _numbers(text) if n not in shown}
            assert not missing, (text, missing)
        missing = {n for n in _numbers(s["h2h_caption"]) if n not in table}
        assert not missing, (s["h2h_caption"], missing)
        go.Figure(s["figure"])


def test_headline_picks_post_training_when_its_gain_exceeds_measured_compute(payload):
    section = pages.verdict(payload, pages.Params())["sections"][0]
    assert section["base_model"] == "t-7b"
    assert section["headline"]["lever"] == "post-training"
    assert "DPO is worth" in section["headline"]["text"]


def test_gain_is_unbounded_when_the_slope_is_flat(db):
    from judging.models import LeaderboardSnapshot
    from tests.dashboards.factories import build_world

    world = build_world(with_suites=False, with_production=False, with_experiment=False)
    flat = {"t-7b": 1000, "t-7b-sc4": 1001, "t-7b-think": 999, "t-7b-sc16": 1000, "t-7b-dpo": 1050}
    LeaderboardSnapshot.objects.all().delete()
    LeaderboardSnapshot.objects.create(kind="bt", payload={"boards": {"all": {"rows": [
        {"variant_id": world.variants[s].pk, "score": v, "ci_lower": v - 20, "ci_upper": v + 20} for s, v in flat.items()
    ]}}})
    payload = selectors.build_payload(7)
    section = _section(payload)
    dpo = next(g for g in section["gains"] if g["slug"] == "t-7b-dpo")
    assert dpo["upper"] is None
    assert dpo["note"] == "slope not distinguishable from zero"
    assert captions.fmt_gain(dpo).endswith(f"(95% CI: at least {captions.fmt_multiple(dpo['lower'])}, no upper bound)")
    assert section["fit"]["slope_distinguishable"] is False
    assert "not distinguishable from zero" in captions.verdict_caption(section, "BT")
    # no production data: nothing to plot on the frontier, and the caption says so
    page = pages.frontier(payload, pages.Params())
    assert page["data"]["points"] == []
    assert page["caption"].startswith("No variant has both")
