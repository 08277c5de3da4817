"""Compute-scaled vs post-trained: the scaling fit, compute-equivalent gains and head-to-heads.

Inputs are the evidence payload built by ``selectors.build_payload`` (plain dicts, one per variant);
all statistics come from ``evalhub.stats``. For each base model:

* the test-time-compute variants of that base (plus the base itself at compute 1) give the curve
  quality ≈ a + b·log(compute) (``fit_log_compute``, weighted by the quality's SE);
* every post-trained variant of that base, every retrieval/tools variant of that base, and every
  pretraining-scaled sibling (another base model of the same family) gets a compute-equivalent gain
  (``compute_equivalent_gain``): "the base needs m× test-time compute to match it";
* the best test-time-compute variant and the best post-trained variant are compared head-to-head on
  each kind of evidence (human preference, each suite, production rates).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy import stats

from evalhub.stats import ProportionStat, StatsError
from evalhub.stats.ab import compare_proportions
from evalhub.stats.evalscores import mcnemar, paired_difference
from evalhub.stats.ratings import predicted_win_matrix
from evalhub.stats.scaling import compute_equivalent_gain, fit_log_compute

LEVEL = 0.95
TEST_TIME = "test-time compute"
POST = "post-training"
PRETRAIN = "pretraining scale"
TOOLS = "retrieval/tools"
PROD_METRICS = (  # (key, label, higher is better)
    ("success", "task success rate", True),
    ("thumbs_up", "thumbs-up rate", True),
    ("refusal", "refusal rate", False),
    ("reask", "re-ask rate", False),
)

PairedLoader = Callable[[int, int], tuple[list[float], list[float]]]


def quality_of(variant: dict, quality: str) -> dict | None:
    """The variant's estimate for ``quality``: ``"bt"`` (human preference) or ``"suite:<slug>"``."""
    if quality == "bt":
        return variant.get("preference")
    if quality.startswith("suite:"):
        return (variant.get("suites") or {}).get(quality.removeprefix("suite:"))
    return None


def estimate_se(est: dict) -> float | None:
    """The estimate's SE: its own, else (BT snapshots carry only a bootstrap interval) the interval's
    half-width over z. ``None`` when neither has width: such a point is left out of the weighted fit
    rather than given a tiny SE that would let it dominate (suite intervals are bounded with non-zero
    width, so a perfect score keeps its honest SE)."""
    if est.get("se") is not None and est["se"] > 0:
        return float(est["se"])
    half = (float(est["upper"]) - float(est["lower"])) / 2.0
    return half / float(stats.norm.ppf(0.5 + LEVEL / 2.0)) if half > 0 else None


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def is_base(v: dict) -> bool:
    return v["improvement_kind"] == PRETRAIN and v["compute_multiplier"] == 1.0 and v["post_training"] == "none"


def verdict_for(payload: dict, quality: str, paired: PairedLoader | None = None) -> list[dict]:
    """One section per base model that has a test-time-compute curve or post-trained variants."""
    variants = payload["variants"]
    sections = []
    for base in sorted({v["base_model"] for v in variants}):
        own = [v for v in variants if v["base_model"] == base]
        curve_vs = [v for v in own if (v["improvement_kind"] == TEST_TIME or is_base(v)) and quality_of(v, quality)]
        if not any(v["improvement_kind"] in (TEST_TIME, POST) for v in own):
            continue
        section = {"base_model": base, "quality": quality, "points": [], "fit": None, "fit_problem": None,
                   "gains": [], "head_to_head": None}
        for v in sorted(curve_vs, key=lambda v: (v["compute_multiplier"], v["slug"])):
            q = quality_of(v, quality)
            se = estimate_se(q)
            if se is None:
                continue
            section["points"].append({"slug": v["slug"], "name": v["name"], "compute": v["compute_multiplier"],
                                      "value": q["value"], "lower": q["lower"], "upper": q["upper"], "se": se})
        fit = _fit(section)
        if fit is not None:
            base_variant = next((v for v in own if is_base(v)), None)
            family = base_variant["family"] if base_variant else own[0]["family"]
            others = [v for v in own if v["improvement_kind"] in (POST, TOOLS)]
            others += [v for v in variants if v["base_model"] != base and v["family"] == family and is_base(v)]
            for v in others:
                q = quality_of(v, quality)
                if q is not None and estimate_se(q) is not None:
                    section["gains"].append(_gain(fit, v, q))
            # Draw the curve far enough right to meet the level of each placed variant (capped).
            reach = [g["multiple"] * 1.2 for g in section["gains"] if g["multiple"]]
            section["fit"]["curve"] = _curve(fit, min(max([section["fit"]["max_compute"] * 4.0, *reach]), 1e4),
                                             bounded=quality != "bt")
        section["head_to_head"] = head_to_head(payload, own, quality, paired)
        sections.append(section)
    return sections


def _fit(section: dict):
    pts = section["points"]
    if not pts:
        section["fit_problem"] = "no test-time-compute variant of this base has this quality measured"
        return None
    try:
        fit = fit_log_compute([p["compute"] for p in pts], [p["value"] for p in pts],
                              score_se=[p["se"] for p in pts], level=LEVEL)
    except StatsError as exc:
        section["fit_problem"] = str(exc)
        return None
    top = max(p["compute"] for p in pts)
    section["fit"] = {
        "a": fit.a, "b": fit.b, "se_b": fit.se_b, "n": fit.n, "df": fit.df,
        "per_doubling": fit.b * math.log(2.0), "slope_distinguishable": fit.slope_distinguishable(),
        "max_compute": top, "curve": _curve(fit, max(top, 2.0) * 4.0, bounded=section["quality"] != "bt"),
    }
    return fit


def _curve(fit, right: float, *, bounded: bool = False) -> list[dict]:
    """The fitted line and band from compute 1 to ``right``. For a 0–1 score (``bounded``) the line is
    cut where it reaches 1 and the band is clipped to [0, 1]: a straight line in log(compute) cannot
    go on rising past a perfect score, so no point past that is drawn or quoted."""
    out = []
    # 16 points give a smooth band on a log axis; each costs a t quantile.
    for c in np.geomspace(1.0, max(right, 2.0), 16):
        pred = fit.predict(float(c))
        if bounded and pred.score > 1.0:
            break
        clip = (lambda x: min(max(x, 0.0), 1.0)) if bounded else (lambda x: x)
        out.append({"compute": float(c), "value": clip(pred.score), "lower": clip(pred.lower), "upper": clip(pred.upper)})
    return out


def _gain(fit, v: dict, q: dict) -> dict:
    se = estimate_se(q)
    g = compute_equivalent_gain(fit, float(q["value"]), se, base_compute=1.0, level=LEVEL)
    return {
        "slug": v["slug"], "name": v["name"], "kind": v["improvement_kind"],
        "recipe": v["post_training_label"] if v["improvement_kind"] == POST else v["improvement_kind"],
        "value": q["value"], "lower_q": q["lower"], "upper_q": q["upper"], "se": se,
        "multiple": _finite(g.multiple), "lower": _finite(g.lower), "upper": _finite(g.upper),
        "slope_distinguishable": g.slope_distinguishable, "note": g.note,
    }


def _best(vs: list[dict], quality: str) -> dict | None:
    scored = [v for v in vs if quality_of(v, quality)]
    return max(scored, key=lambda v: (quality_of(v, quality)["value"], v["slug"])) if scored else None


def head_to_head(payload: dict, own: list[dict], quality: str, paired: PairedLoader | None) -> dict | None:
    """Best test-time-compute variant (A) vs best post-trained variant (B) on every kind of evidence.

    Differences are B − A, so a positive difference favours post-training.
    """
    a = _best([v for v in own if v["improvement_kind"] == TEST_TIME], quality)
    b = _best([v for v in own if v["improvement_kind"] == POST], quality)
    if a is None or b is None:
        return None
    rows = []
    pa, pb = a.get("preference"), b.get("preference")
    if pa and pb:
        win = float(predicted_win_matrix(np.array([pb["value"], pa["value"]]))[0, 1])
        separated = pb["lower"] > pa["upper"] or pa["lower"] > pb["upper"]
        diff = pb["value"] - pa["value"]
        rows.append(_row("human preference", "BT score", pa["value"], pb["value"], diff, None, None, None,
                         separated, diff > 0,
                         "95% intervals separate" if separated else "95% intervals overlap", win_prob=win))
    for slug, sa in sorted((a.get("suites") or {}).items()):
        sb = (b.get("suites") or {}).get(slug)
        if not sb or sb["version_id"] != sa["version_id"] or paired is None:
            continue
        xa, xb = paired(sa["run_id"], sb["run_id"])
        if len(xa) < 2:
            continue
        try:
            d = paired_difference(xb, xa, level=LEVEL)
        except StatsError:
            continue
        detail = f"paired t over {d.n} items"
        if all(x in (0.0, 1.0) for x in xa + xb):
            m = mcnemar([x == 1.0 for x in xb], [x == 1.0 for x in xa])
            detail += f"; McNemar p {m.p_value:.3g}"
        rows.append(_row(f"suite: {sa.get('suite_name', slug)}", "mean score", sa["value"], sb["value"], d.mean_diff,
                         d.lower, d.upper, d.p_value, d.p_value < 1 - LEVEL, d.mean_diff > 0, detail))
    prod_a, prod_b = a.get("production") or {}, b.get("production") or {}
    for key, label, higher_better in PROD_METRICS:
        ra, rb = prod_a.get(key), prod_b.get(key)
        if not ra or not rb:
            continue
        c = compare_proportions(ProportionStat(ra["n"], ra["successes"]), ProportionStat(rb["n"], rb["successes"]),
                                alpha=1 - LEVEL, metric=key, scale="absolute")  # the row shows the difference
        rows.append(_row("production", label, c.control, c.treatment, c.lift, _finite(c.lift_ci[0]),
                         _finite(c.lift_ci[1]), c.p_value if c.enough_data else None, c.significant,
                         (c.lift > 0) == higher_better,
                         c.method if c.enough_data else f"not enough data: {c.not_enough_data}"))
    return {"compute": {"slug": a["slug"], "name": a["name"]}, "post": {"slug": b["slug"], "name": b["name"]},
            "rows": rows}


def _row(evidence: str, metric: str, compute_value: float, post_value: float, diff: float, lower: float | None,
         upper: float | None, p_value: float | None, significant: bool, post_better: bool, detail: str,
         win_prob: float | None = None) -> dict:
    favours = ("post" if post_better else "compute") if significant else None
    return {"evidence": evidence, "metric": metric, "compute_value": compute_value, "post_value": post_value,
            "diff": diff, "lower": lower, "upper": upper, "p_value": p_value, "significant": bool(significant),
            "favours": favours, "detail": detail, "win_prob": win_prob}
