"""Turn comparisons into a plain-words ship decision.

Rules (Kohavi, Tang & Xu 2020, ch. 2 and 21; GrowthBook's decision framework):

1. A sample ratio mismatch makes every number untrustworthy → "don't ship" until it is explained.
2. A guardrail that significantly moved in its bad direction → "don't ship". Acted on at any look,
   even for fixed-horizon results: stopping to protect users costs little if it is a false alarm.
3. The primary metric may be read when it is sequential (always valid) or the planned sample is
   reached; otherwise fixed-horizon p-values are not valid yet → "keep running".
4. Primary significantly better → "ship"; significantly worse, or no significant change at the
   planned sample → "don't ship"; a sequential primary still inconclusive → "keep running".
5. A primary without enough data to test (``ABResult.not_enough_data``) → "keep running", saying
   so; a guardrail without enough data is listed as such and cannot block or pass anything.

Every effect is stated on the scale its significance was tested on (``ABResult.scale``), so a
reason never prints an interval that contradicts the verdict.

Direction matters: for latency, cost or refusal rate lower is better, so ``higher_is_better`` maps
every metric name to its direction.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from evalhub.stats._base import StatsError
from evalhub.stats.ab._core import ABResult
from evalhub.stats.ab.checks import SRMResult

Verdict = Literal["ship", "don't ship", "keep running"]


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    reasons: tuple[str, ...]


def _direction(c: ABResult, higher_is_better: Mapping[str, bool], role: str) -> bool:
    if c.metric is None:
        raise StatsError(
            "metric", f"the {role} comparison needs a metric name to look up its direction"
        )
    if c.metric not in higher_is_better:
        raise StatsError("higher_is_better", f"no direction given for metric {c.metric!r}")
    return bool(higher_is_better[c.metric])


def _bound(x: float, relative: bool) -> str:
    if math.isinf(x):
        return "+∞" if x > 0 else "−∞"
    return f"{100 * x:+.1f}%" if relative else f"{x:+.4g}"


def _effect(c: ABResult) -> str:
    """The effect and interval on the scale the verdict was tested on: '+3.1% (95% CI +1.2% to
    +5.0%)' for the relative lift, '+0.012 (95% CI …)' for the absolute one (used when the control
    is 0 or too uncertain for a ratio). The interval excludes 0 exactly when ``significant``."""
    level = f"{100.0 * (1.0 - c.alpha):g}%"
    relative = c.scale == "relative"
    lo, hi = c.ci
    text = f"{_bound(c.effect, relative)} ({level} CI {_bound(lo, relative)} to {_bound(hi, relative)})"
    return text + (" [absolute difference]" if not relative else "")


def _movement(c: ABResult, higher: bool) -> Literal["better", "worse", "flat", "no data"]:
    if not c.enough_data:
        return "no data"
    if not c.significant:
        return "flat"
    return "better" if (c.effect > 0) == higher else "worse"


def _describe(role: str, c: ABResult, movement: str) -> str:
    if movement == "no data":
        return f"{role} {c.metric}: not enough data ({c.not_enough_data})"
    word = {"better": "improved", "worse": "worsened", "flat": "showed no significant change"}[
        movement
    ]
    sep = " by " if movement != "flat" else ": "
    return f"{role} {c.metric} {word}{sep}{_effect(c)}"


def decide(
    primary: ABResult,
    guardrails: Sequence[ABResult] = (),
    *,
    higher_is_better: Mapping[str, bool],
    reached_sample: bool,
    srm: SRMResult | None = None,
) -> Decision:
    """Ship / don't ship / keep running, with one reason string per fact that drove it.

    ``higher_is_better`` maps each metric name (``ABResult.metric``) to True when an increase is
    good (conversion, task success) and False when a decrease is (latency, cost, refusals);
    ``reached_sample`` says whether the planned sample size (from the power calculation) is in.
    """
    reasons: list[str] = []
    primary_higher = _direction(primary, higher_is_better, "primary")
    guard_moves = [
        (g, _movement(g, _direction(g, higher_is_better, "guardrail"))) for g in guardrails
    ]

    if srm is not None and srm.mismatch:
        reasons.append(
            f"sample ratio mismatch (p = {srm.p_value:.2g} < {srm.threshold:g}): results "
            "untrustworthy; fix assignment or logging before deciding"
        )
    harmed = [g for g, move in guard_moves if move == "worse"]
    for g in harmed:
        reasons.append(_describe("guardrail", g, "worse"))

    readable = primary.sequential or reached_sample
    move = _movement(primary, primary_higher)
    reasons.append(_describe("primary metric", primary, move))
    if not readable:
        reasons.append(
            "planned sample not reached: fixed-horizon p-values are only valid at the planned size"
        )
    for g, g_move in guard_moves:
        if g_move != "worse":
            reasons.append(_describe("guardrail", g, g_move))

    verdict: Verdict
    if (srm is not None and srm.mismatch) or harmed:
        verdict = "don't ship"
    elif not readable or move == "no data":
        verdict = "keep running"
    elif move == "better":
        verdict = "ship"
    elif move == "worse" or reached_sample:
        verdict = "don't ship"
    else:
        verdict = "keep running"
    return Decision(verdict=verdict, reasons=tuple(reasons))
