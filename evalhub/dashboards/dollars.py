"""The overall answer in dollars: one weighted quality per variant, its gain per extra dollar, per lever.

Inputs are the evidence payload (``selectors.build_payload``) and a decision policy's weights
(``{quality key: weight}``; keys in ``QUALITY_KEYS`` or ``suite:<slug>``). For each base model and each
variant that improves on it (test-time compute, post-training, retrieval/tools of that base, and a
larger pretrained sibling of the same family):

1. every weighted quality is put on one [0, 1] "higher is better" scale and differenced from the base:
   human preference as the BT-predicted probability that the variant's answer is preferred to the
   base's (so the base is 0.5), suites as mean scores, task success and thumbs-up as rates, refusal and
   re-ask rates as 1 − rate. Each difference carries its SE (variant and base measured separately);
2. ``evalhub.stats.marginal.weighted_difference`` combines them (weights normalised over the
   qualities measured on both; the others are listed as missing);
3. the extra cost is the difference in production cost per 1,000 requests, or, where production has no
   cost for both, in suite token cost per 1,000 items; the extra latency is the difference in production
   latency p95 (else suite mean latency) in seconds;
4. ``evalhub.stats.marginal.value_per_cost`` gives quality per extra dollar (and per extra second) with
   Fieller's interval, or says in words why no finite figure exists.

The headline compares the best post-training variant with the best test-time-compute variant (the
leadership question); when they are not distinguishable it says how many times the current evidence
would decide it (``evidence_multiplier``, 80 % power at the observed difference) in votes, suite items
and requests.
"""

from __future__ import annotations

import math

from scipy import stats

from evalhub.dashboards.verdict import LEVEL, POST, PRETRAIN, TEST_TIME, TOOLS, estimate_se, is_base
from evalhub.stats import StatsError
from evalhub.stats.marginal import (
    Component,
    Difference,
    PerCost,
    evidence_multiplier,
    value_per_cost,
    weighted_difference,
)

Z = float(stats.norm.ppf(0.5 + LEVEL / 2.0))
LEVERS = (POST, TEST_TIME, PRETRAIN, TOOLS)
LEVER_WORDS = {POST: "Post-training", TEST_TIME: "More test-time compute", PRETRAIN: "A larger pretrained model",
               TOOLS: "Retrieval/tools"}
# Production qualities: key → (label, higher is better)
PRODUCTION = {"success": ("task success", True), "thumbs_up": ("thumbs-up rate", True),
              "refusal": ("refusal rate (lower is better)", False), "reask": ("re-ask rate (lower is better)", False)}
QUALITY_KEYS = ("bt", *PRODUCTION)
MAX_MULTIPLIER = 1000.0  # past this the two levers are, for any budget, practically equal


def quality_label(key: str, suite_names: dict[str, str]) -> str:
    if key == "bt":
        return "human preference (chance preferred to the base)"
    if key.startswith("suite:"):
        slug = key.removeprefix("suite:")
        return f"suite: {suite_names.get(slug, slug)}"
    return PRODUCTION[key][0]


def default_weights(payload: dict) -> dict[str, float]:
    """Built-in policy when none is saved: every quality the payload can measure, equal weights."""
    return {"bt": 1.0, **{f"suite:{s['slug']}": 1.0 for s in payload.get("suites", [])},
            **{k: 1.0 for k in PRODUCTION}}


def _se(est: dict) -> float:
    """The verdict's SE rule (``verdict.estimate_se``), 0 for an estimate without width."""
    return estimate_se(est) or 0.0


# ---------------------------------------------------------------- components on the [0, 1] scale


def _component(key: str, v: dict, base: dict) -> dict | None:
    """(variant value, base value, difference, SE) on the common scale, and the n behind it; None if unmeasured."""
    if key == "bt":
        pv, pb = v.get("preference"), base.get("preference")
        if not pv or not pb:
            return None
        gap = float(pv["value"]) - float(pb["value"])
        p = 1.0 / (1.0 + 10.0 ** (-gap / 400.0))
        # delta method on p = logistic(gap·ln10/400): dp/dgap = p(1−p)·ln10/400
        se = p * (1 - p) * math.log(10) / 400.0 * math.hypot(_se(pv), _se(pb))
        return {"value": p, "base_value": 0.5, "diff": p - 0.5, "se": se, "n": None}
    if key.startswith("suite:"):
        slug = key.removeprefix("suite:")
        sv, sb = (v.get("suites") or {}).get(slug), (base.get("suites") or {}).get(slug)
        if not sv or not sb or sv.get("version_id") != sb.get("version_id"):
            return None
        return {"value": sv["value"], "base_value": sb["value"], "diff": sv["value"] - sb["value"],
                "se": math.hypot(_se(sv), _se(sb)), "n": int((sv.get("n") or 0) + (sb.get("n") or 0))}
    if key in PRODUCTION:
        rv, rb = (v.get("production") or {}).get(key), (base.get("production") or {}).get(key)
        if not rv or not rb:
            return None
        higher = PRODUCTION[key][1]
        val, bval = (rv["value"], rb["value"]) if higher else (1 - rv["value"], 1 - rb["value"])
        return {"value": val, "base_value": bval, "diff": val - bval, "se": math.hypot(_se(rv), _se(rb)),
                "n": int(rv["n"] + rb["n"])}
    return None


def _cost(v: dict, base: dict) -> dict | None:
    """Extra dollars per 1,000 requests: production cost per request, else suite token cost per item."""
    cv, cb = (v.get("production") or {}).get("cost_per_request"), (base.get("production") or {}).get("cost_per_request")
    if cv and cb:
        return {"source": "production cost per request", "unit": "requests", "value": 1000 * cv["value"],
                "base_value": 1000 * cb["value"], "diff": Difference(1000 * (cv["value"] - cb["value"]),
                                                                     1000 * math.hypot(_se(cv), _se(cb)), LEVEL)}
    for slug in sorted(set(v.get("suites") or {}) & set(base.get("suites") or {})):
        sv, sb = v["suites"][slug].get("cost"), base["suites"][slug].get("cost")
        if sv and sb and sv.get("value") is not None and sb.get("value") is not None:
            return {"source": f"suite token cost per item ({v['suites'][slug].get('suite_name', slug)})",
                    "unit": "suite items",
                    "value": 1000 * sv["value"], "base_value": 1000 * sb["value"],
                    "diff": Difference(1000 * (sv["value"] - sb["value"]),
                                       1000 * math.hypot(_se(sv) if sv.get("lower") is not None else 0.0,
                                                         _se(sb) if sb.get("lower") is not None else 0.0), LEVEL)}
    return None


def _latency(v: dict, base: dict) -> dict | None:
    """Extra seconds: production latency p95, else suite mean latency (no interval: taken as known)."""
    lv, lb = (v.get("production") or {}).get("latency_p95_ms"), (base.get("production") or {}).get("latency_p95_ms")
    if lv and lb:
        return {"source": "production latency p95", "value": lv["value"] / 1000, "base_value": lb["value"] / 1000,
                "diff": Difference((lv["value"] - lb["value"]) / 1000, math.hypot(_se(lv), _se(lb)) / 1000, LEVEL)}
    for slug in sorted(set(v.get("suites") or {}) & set(base.get("suites") or {})):
        sv, sb = v["suites"][slug].get("latency_mean_ms"), base["suites"][slug].get("latency_mean_ms")
        if sv is not None and sb is not None:
            return {"source": "suite mean latency", "value": sv / 1000, "base_value": sb / 1000,
                    "diff": Difference((sv - sb) / 1000, 0.0, LEVEL)}
    return None


def _diff_json(d: Difference) -> dict:
    return {"value": d.value, "se": d.se, "lower": d.lower, "upper": d.upper}


def _per_json(p: PerCost | None) -> dict | None:
    if p is None:
        return None
    return {"kind": p.kind, "ratio": p.ratio, "lower": p.lower, "upper": p.upper, "se": p.se}


def variant_row(v: dict, base: dict, lever: str, weights: dict[str, float], suite_names: dict[str, str]) -> dict:
    """One variant against its base: each weighted quality, the combination, cost, latency, per dollar/second."""
    components, missing = [], []
    for key, w in weights.items():
        if w <= 0:
            continue
        c = _component(key, v, base)
        if c is None:
            missing.append(quality_label(key, suite_names))
            continue
        d = Difference(c["diff"], c["se"], LEVEL)
        components.append({"key": key, "label": quality_label(key, suite_names), "weight": w, **c,
                           "lower": d.lower, "upper": d.upper})
    row: dict = {"slug": v["slug"], "name": v["name"], "lever": lever,
                 "recipe": v["post_training_label"] if lever == POST else v["name"],
                 "components": components, "missing": missing, "gain": None, "cost": None, "latency": None,
                 "per_dollar": None, "per_second": None}
    if not components:
        return row
    combined = weighted_difference([Component(c["key"], c["weight"], Difference(c["diff"], c["se"], LEVEL))
                                    for c in components], level=LEVEL)
    for c in components:
        c["share"] = combined.weights[c["key"]]
    gain = combined.difference
    row["gain"] = _diff_json(gain)
    cost, latency = _cost(v, base), _latency(v, base)
    if cost is not None:
        # "value" is the difference (variant − base); "variant_value"/"base_value" the two levels.
        row["cost"] = {"source": cost["source"], "unit": cost["unit"], "variant_value": cost["value"],
                       "base_value": cost["base_value"], **_diff_json(cost["diff"])}
        row["per_dollar"] = _per_json(value_per_cost(gain, cost["diff"]))
    if latency is not None:
        row["latency"] = {"source": latency["source"], "variant_value": latency["value"],
                          "base_value": latency["base_value"], **_diff_json(latency["diff"])}
        row["per_second"] = _per_json(value_per_cost(gain, latency["diff"])) if latency["diff"].se > 0 or \
            latency["diff"].value != 0 else None
    return row


# ---------------------------------------------------------------- ranking and the headline


def rank(row: dict) -> int:
    """3 better and cheaper; 2 better at no measurable extra cost; 1 better at a measurable price;
    0 no distinguishable gain (or no cost known)."""
    pd, gain = row.get("per_dollar"), row.get("gain")
    if not pd or not gain:
        return 0
    if pd["kind"] == "dominates":
        return 3
    if pd["kind"] == "free":
        return 2
    if pd["kind"] == "ratio" and gain["lower"] > 0:
        return 1
    return 0


def _key(row: dict) -> tuple:
    r = rank(row)
    if r == 1:
        return (r, row["per_dollar"]["ratio"], row["slug"])
    return (r, (row.get("gain") or {}).get("value", -math.inf), row["slug"])


def best(rows: list[dict]) -> dict | None:
    scored = [r for r in rows if r.get("gain") and r.get("per_dollar")]
    return max(scored, key=_key) if scored else None


def compare(a: dict, b: dict) -> dict:
    """Whether ``a`` is distinguishably the better buy than ``b``; if not, the evidence multiplier.

    Different ranks decide it (a gain beats none; no extra cost beats a price). Equal ranks compare
    the gain per dollar (both priced) or the gain (otherwise); the difference's SE adds the two SEs in
    quadrature (conservative: the shared base makes the two differences positively correlated)."""
    ra, rb = rank(a), rank(b)
    if ra != rb and max(ra, rb) > 0:
        return {"decided": True, "winner": a["slug"] if ra > rb else b["slug"], "multiplier": None}
    if ra == rb == 1:
        diff, se = a["per_dollar"]["ratio"] - b["per_dollar"]["ratio"], math.hypot(a["per_dollar"]["se"],
                                                                                      b["per_dollar"]["se"])
    else:
        diff, se = a["gain"]["value"] - b["gain"]["value"], math.hypot(a["gain"]["se"], b["gain"]["se"])
    if se > 0 and abs(diff) > Z * se:
        return {"decided": True, "winner": a["slug"] if diff > 0 else b["slug"], "multiplier": None}
    try:
        k = evidence_multiplier(diff, se) if se > 0 else None
    except StatsError:
        k = None
    return {"decided": False, "winner": None, "multiplier": k}


def _evidence(rows: list[dict], payload: dict, weights: dict[str, float]) -> dict:
    """Votes, suite items and production requests behind the compared variants and their base."""
    slugs = {r["slug"] for r in rows} | {r["base_slug"] for r in rows}
    by_slug = {v["slug"]: v for v in payload["variants"]}
    votes = int((payload.get("preference") or {}).get("n_judgments") or 0) if weights.get("bt", 0) > 0 else 0
    items = 0
    for s in slugs:
        for slug, entry in (by_slug[s].get("suites") or {}).items():
            if weights.get(f"suite:{slug}", 0) > 0:
                items += int(entry.get("n") or 0)
    requests = sum(int((by_slug[s].get("production") or {}).get("n") or 0) for s in slugs)
    return {"votes": votes, "items": items, "requests": requests}


def dollar_verdict(payload: dict, weights: dict[str, float]) -> list[dict]:
    """One section per base model that has at least one improving variant (see the module docstring)."""
    variants = payload["variants"]
    suite_names = {s["slug"]: s["name"] for s in payload.get("suites", [])}
    sections = []
    for base in sorted((v for v in variants if is_base(v)), key=lambda v: v["slug"]):
        own = [v for v in variants if v["base_model"] == base["base_model"] and v["slug"] != base["slug"]]
        levers = [(v, v["improvement_kind"]) for v in own if v["improvement_kind"] in (TEST_TIME, POST, TOOLS)]
        levers += [(v, PRETRAIN) for v in variants if is_base(v) and v["family"] == base["family"]
                   and v["parameter_count"] > base["parameter_count"]]
        if not levers:
            continue
        rows = [{**variant_row(v, base, lever, weights, suite_names), "base_slug": base["slug"]}
                for v, lever in sorted(levers, key=lambda x: (LEVERS.index(x[1]), x[0]["slug"]))]
        by_lever = {lever: best([r for r in rows if r["lever"] == lever]) for lever in LEVERS}
        section = {"base_model": base["base_model"], "base_slug": base["slug"], "base_name": base["name"],
                   "rows": rows, "best": {k: (r["slug"] if r else None) for k, r in by_lever.items()}}
        post, compute = by_lever[POST], by_lever[TEST_TIME]
        if post and compute:
            section["comparison"] = {"a": post["slug"], "b": compute["slug"], **compare(post, compute)}
            section["evidence"] = _evidence([post, compute], payload, weights)
        else:
            only = best([r for r in by_lever.values() if r])
            section["comparison"] = None
            section["evidence"] = _evidence([only], payload, weights) if only else \
                {"votes": 0, "items": 0, "requests": 0}
        sections.append(section)
    return sections


# ---------------------------------------------------------------- words (every figure as the table shows it)


def num(x: float) -> str:
    """Two significant figures below 10 (no exponent notation), a minus sign for negatives."""
    if x == 0 or not math.isfinite(x):
        return "0"
    a = abs(x)
    if a >= 100:
        s = f"{a:,.0f}"
    elif a >= 10:
        s = f"{a:.1f}"
    else:
        a = float(f"{a:.2g}")  # round to two significant figures first, so 0.00999 reads 0.010, not 0.0100
        s = f"{a:.{max(1 - math.floor(math.log10(a)), 0)}f}"
    return ("−" if x < 0 else "") + s


def money(x: float) -> str:
    """Dollars: cents from $1 up ($1.10, $15.00), two significant figures below ($0.024)."""
    a = abs(x)
    body = f"{a:,.2f}" if 0.995 <= a < 1000 else num(a)
    return ("−" if x < 0 else "") + "$" + body


def interval(lo: float, hi: float, fmt=num) -> str:
    sep = " to " if lo < 0 or hi < 0 else "–"
    return f"{fmt(lo)}{sep}{fmt(hi)}"


def signed(x: float) -> str:
    return ("+" if x > 0 else "") + num(x)


def phrase(row: dict) -> str:
    """What one variant buys, in words, from the figures in its table row."""
    name, gain, cost, pd = row["name"], row.get("gain"), row.get("cost"), row.get("per_dollar")
    if not gain:
        return f"{name} has none of the policy's qualities measured against the base"
    g = f"{signed(gain['value'])} quality (95% CI {interval(gain['lower'], gain['upper'])})"
    if not pd or not cost:
        return f"{name} changes quality by {g}; its cost is not measured"
    kind, unit = pd["kind"], cost.get("unit", "requests")
    if kind == "ratio":
        return (f"{name} adds {signed(gain['value'])} quality for {money(cost['value'])} more per 1,000 {unit}, "
                f"that is {num(pd['ratio'])} quality per extra $1 per 1,000 {unit} "
                f"(95% CI {interval(pd['lower'], pd['upper'])})")
    if kind == "dominates":
        return (f"{name} is better by {g} and cheaper by {money(-cost['value'])} per 1,000 {unit} "
                f"(95% CI {interval(-cost['upper'], -cost['lower'], money)})")
    if kind == "free":
        return f"{name} adds {g} at no measurable extra cost"
    if kind == "cheaper":
        return (f"{name} saves {money(-cost['value'])} per 1,000 {unit} "
                f"(95% CI {interval(-cost['upper'], -cost['lower'], money)}) and changes quality by {g}")
    return f"{name} shows no measurable quality gain ({g}) and no measurable extra cost"


def per_cell(p: dict | None, unit: str) -> str:
    """The per-dollar (or per-second) cell of the table: the figure and interval, or why there is none."""
    if not p:
        return "—"
    if p["kind"] in ("ratio", "cheaper"):
        return f"{num(p['ratio'])} per {unit} (95% CI {interval(p['lower'], p['upper'])})"
    return {"dominates": "better and cheaper: no trade-off",
            "free": f"unbounded: better at no measurable extra {'cost' if unit.startswith('$') else 'latency'}",
            "unbounded": "unbounded: neither quality nor cost differs measurably"}[p["kind"]]


def _count(n: float) -> str:
    return f"{n:,.0f}"


def evidence_text(ev: dict) -> str:
    parts = [f"{_count(ev['votes'])} votes" if ev["votes"] else "", f"{_count(ev['items'])} suite items"
             if ev["items"] else "", f"{_count(ev['requests'])} requests" if ev["requests"] else ""]
    parts = [p for p in parts if p]
    if not parts:
        return ""
    return "Based on " + (parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]) + "."


def more_needed(ev: dict, k: float | None) -> str:
    if k is None:
        return "The two differ by exactly nothing on this evidence: no amount of the same evidence would decide it."
    if k > MAX_MULTIPLIER:
        return (f"Even {MAX_MULTIPLIER:,.0f}× the current evidence would likely not separate them: "
                f"for this policy they buy practically the same.")
    more = {key: math.ceil(max(k - 1.0, 0.0) * ev[key]) for key in ("votes", "items", "requests")}
    parts = [f"{_count(more['votes'])} more votes" if ev["votes"] else "",
             f"{_count(more['items'])} more suite items" if ev["items"] else "",
             f"{_count(more['requests'])} more requests" if ev["requests"] else ""]
    parts = [p for p in parts if p]
    detail = f" (about {', '.join(parts[:-1]) + ' and ' + parts[-1] if len(parts) > 1 else parts[0]})" if parts else ""
    return (f"About {num(k)}× the current evidence{detail} would decide it with 80% power at the difference "
            f"observed.")


def headline(section: dict) -> dict:
    """The one-sentence answer for a base model, and the lever it names."""
    rows = {r["slug"]: r for r in section["rows"]}
    base, ev, cmp = section["base_model"], section["evidence"], section.get("comparison")
    tail = evidence_text(ev)
    if cmp:
        a, b = rows[cmp["a"]], rows[cmp["b"]]
        if cmp["decided"]:
            win, lose = (a, b) if cmp["winner"] == a["slug"] else (b, a)
            text = (f"{LEVER_WORDS[win['lever']]} is the better buy on {base}: {phrase(win)}; "
                    f"with {LEVER_WORDS[lose['lever']].lower()}, {phrase(lose)}.")
            lever = win["lever"]
        else:
            text = (f"Not yet distinguishable on {base}: {phrase(a)}; {phrase(b)}. "
                    f"{more_needed(ev, cmp['multiplier'])}")
            lever = "not yet distinguishable"
        return {"lever": lever, "text": f"{text} {tail}".strip()}
    only = next((rows[s] for s in section["best"].values() if s), None)
    if only is None or not only.get("gain"):
        if any(r.get("gain") for r in rows.values()):
            return {"lever": "not enough evidence",
                    "text": f"On {base} quality gains are measured, but no cost for them yet (neither production "
                            f"cost per request nor suite token cost): see the table."}
        return {"lever": "not enough evidence",
                "text": f"On {base} no variant has a quality of the decision policy measured against the base yet."}
    missing = POST if only["lever"] != POST else TEST_TIME
    text = (f"{LEVER_WORDS[only['lever']]} on {base}: {phrase(only)}. No {missing} variant of this base is "
            f"measured to compare it with.")
    return {"lever": only["lever"] if rank(only) > 0 else "not enough evidence", "text": f"{text} {tail}".strip()}
