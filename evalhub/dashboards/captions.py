"""Plain-words captions generated from the numbers a chart or table shows.

Every number is formatted by the helpers below, which the charts and tables use for their own
labels too, so a caption can only quote a figure the reader can see next to it (a test checks that
each number in a caption appears in the figure's data or the table's cells).
"""

from __future__ import annotations

import math

from evalhub.dashboards.selectors import AXES


def fmt_quality(value: float | None, quality: str) -> str:
    if value is None:
        return "—"
    return f"{value:.0f}" if quality == "bt" else f"{value:.3f}"


def fmt_axis(value: float | None, axis: str) -> str:
    if value is None:
        return "—"
    return f"${value:.6f}" if axis == "cost" else f"{value:,.0f} ms"


def fmt_multiple(value: float | None) -> str:
    """A compute multiple: ``None`` stands for an unbounded one (slope not distinguishable from 0)."""
    if value is None or not math.isfinite(value):
        return "∞"
    if value >= 100:
        return f"{value:,.0f}×"
    if value >= 10:
        return f"{value:.0f}×"
    return f"{value:.2g}×" if value < 1 else f"{value:.1f}×"


def fmt_gain(g: dict) -> str:
    """"12× (95% CI 4.1×–60×)"; with no finite upper bound (a flat compute curve) "134× (95% CI: at least
    7.8×, no upper bound)" — never an infinity sign a reader has to interpret."""
    if g["upper"] is None or not math.isfinite(g["upper"]):
        if g["lower"] is None or not math.isfinite(g["lower"]):
            return f"{fmt_multiple(g['multiple'])} (95% CI: no finite bound)"
        return f"{fmt_multiple(g['multiple'])} (95% CI: at least {fmt_multiple(g['lower'])}, no upper bound)"
    return f"{fmt_multiple(g['multiple'])} (95% CI {fmt_multiple(g['lower'])}–{fmt_multiple(g['upper'])})"


def fmt_rate(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def fmt_p(p: float | None) -> str:
    return "—" if p is None else ("<0.001" if p < 0.001 else f"{p:.3f}")


def quality_label(quality: str, payload: dict) -> str:
    if quality == "bt":
        return "human preference (BT score)"
    slug = quality.removeprefix("suite:")
    names = {s["slug"]: s["name"] for s in payload.get("suites", [])}
    return f"{names.get(slug, slug)} suite score"


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def tied_with_best(points: list[dict]) -> tuple[dict, list[dict]]:
    """The point with the highest quality, and the others whose quality interval overlaps its own.

    The frontier's rule (``evalhub.stats.scaling.pareto_frontier``): one variant is better than another
    only when their intervals are separated, so an overlap means the two cannot be told apart."""
    best = max(points, key=lambda p: (p["y"], -p["x"]))
    return best, [p for p in points if p is not best and p["y_upper"] >= best["y_lower"]]


def frontier_caption(data: dict, quality_name: str) -> str:
    points = data["points"]
    if not points:
        return f"No variant has both {quality_name} and {AXES[data['axis']]} measured yet."
    by_slug = {p["slug"]: p for p in points}
    front = [by_slug[s]["name"] for s in data["frontier"]]
    if not front:
        return f"The frontier of {quality_name} against {AXES[data['axis']]} could not be computed."
    order = "cheapest" if data["axis"] == "cost" else "fastest"
    text = f"Against {AXES[data['axis']]}, the frontier runs {' → '.join(front)} ({order} first); "
    best, tied = tied_with_best(points)
    q = data["quality"]
    if len(tied) >= 2 and len(tied) == len(points) - 1:
        text += (f"no variant is better than the others on {quality_name} beyond the error bars: every one "
                 f"overlaps the highest point estimate, {best['name']} at {fmt_quality(best['y'], q)}.")
    elif tied:
        names = _join([best["name"], *[p["name"] for p in sorted(tied, key=lambda p: -p["y"])]])
        text += (f"{names} cannot be told apart on {quality_name}: their error bars overlap, and the highest "
                 f"point estimate, {best['name']} at {fmt_quality(best['y'], q)}, is not beyond them.")
    else:
        text += (f"the best is {best['name']} at {fmt_quality(best['y'], q)}, beyond the error bars of every "
                 f"other variant.")
    dominated = [p for p in points if p["dominated_by"]]
    if dominated:
        text += " " + "; ".join(f"{p['name']} is dominated by {p['dominated_by_name']}" for p in dominated) + \
            f" (at least as good and as {'cheap' if data['axis'] == 'cost' else 'fast'}, and better on one of the two beyond the error bars)."
    else:
        text += " No variant is dominated once the error bars are taken into account."
    return text


def verdict_caption(section: dict, quality_name: str) -> str:
    fit = section.get("fit")
    base = section["base_model"]
    if fit is None:
        return f"On {base} there is no test-time-compute curve for {quality_name} yet: {section.get('fit_problem')}."
    per = fmt_quality(fit["per_doubling"], section["quality"]) if section["quality"] == "bt" \
        else f"{fit['per_doubling']:.3f}"
    text = f"On {base}, each doubling of test-time compute adds {per} to {quality_name}"
    text += "." if fit["slope_distinguishable"] else ", a slope not distinguishable from zero."
    for g in section["gains"]:
        what = f"{g['recipe']} ({g['name']})" if g["kind"] == "post-training" else f"{g['name']} ({g['kind']})"
        text += f" {what} is worth {fmt_gain(g)} test-time compute."
    return text


def head_to_head_caption(h2h: dict | None) -> str:
    if not h2h:
        return "No pair of a test-time-compute and a post-trained variant of this base to compare."
    post, compute = h2h["post"]["name"], h2h["compute"]["name"]
    wins_post = [f"{r['evidence']} ({r['metric']})" for r in h2h["rows"] if r["favours"] == "post"]
    wins_compute = [f"{r['evidence']} ({r['metric']})" for r in h2h["rows"] if r["favours"] == "compute"]
    ties = [f"{r['evidence']} ({r['metric']})" for r in h2h["rows"] if r["favours"] is None]
    parts = [f"Best post-trained {post} against best compute-scaled {compute}:"]
    if wins_post:
        parts.append(f"{post} is significantly better on {_join(wins_post)}.")
    if wins_compute:
        parts.append(f"{compute} is significantly better on {_join(wins_compute)}.")
    if ties:
        parts.append(f"No significant difference on {_join(ties)}.")
    if not h2h["rows"]:
        parts.append("no evidence measured on both yet.")
    return " ".join(parts)


def headline(section: dict) -> dict:
    """The one-line answer for a base model: which lever the evidence favours, and why."""
    fit, gains, h2h = section.get("fit"), section.get("gains", []), section.get("head_to_head")
    post_gains = [g for g in gains if g["kind"] == "post-training" and g["multiple"] is not None]
    rows = (h2h or {}).get("rows", [])
    post_w = sum(r["favours"] == "post" for r in rows)
    comp_w = sum(r["favours"] == "compute" for r in rows)
    if not fit or not post_gains:
        return {"lever": "not enough evidence", "text": head_to_head_caption(h2h) if h2h else
                f"On {section['base_model']} there is not yet enough evidence to compare the levers."}
    best = max(post_gains, key=lambda g: g["multiple"])
    top = fit["max_compute"]
    if best["lower"] is not None and best["lower"] > top and comp_w == 0:
        lever = "post-training"
        why = (f"{best['recipe']} is worth {fmt_gain(best)} test-time compute, beyond the most test-time "
               f"compute measured ({fmt_multiple(top)})")
    elif (best["upper"] is not None and best["upper"] < top) or comp_w > post_w:
        lever = "test-time compute"
        why = (f"{best['recipe']} is worth only {fmt_gain(best)} test-time compute, which the measured "
               f"test-time settings (up to {fmt_multiple(top)}) already reach")
    else:
        lever = "not yet distinguishable"
        why = (f"{best['recipe']} is worth {fmt_gain(best)} test-time compute; the interval spans the measured "
               f"test-time range (up to {fmt_multiple(top)})")
    return {"lever": lever, "text": f"On {section['base_model']}: {why}."}
