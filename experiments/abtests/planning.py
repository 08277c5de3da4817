"""Planning at registration: the control's baseline from production, the required sample size per
arm and the expected duration at current traffic.

The sample size is for the test the results page reads: the relative lift (T − C)/|C| with its
delta-method SE (``evalhub.stats.ab.sample_size_relative``, as GrowthBook plans it), so a planned MDE
of 5% means a 5% relative change is detected with the planned power. ``scale="absolute"`` plans the
test of the absolute difference instead (``sample_size_proportions`` / ``sample_size_means``).

The baseline is request-level (the control variant's last ``BASELINE_DAYS`` of HourlyRollup) — the
only data available before any unit is exposed; units that send several requests make the real
unit-level variance somewhat larger, which is why the sequential analysis (valid at any sample)
is the one the decision reads before the planned sample is in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from django.db.models import Sum
from django.utils import timezone

from evalhub.core.models import ModelVariant
from evalhub.stats import MeanStat, StatsError
from evalhub.stats.ab import sample_size_means, sample_size_proportions, sample_size_relative
from experiments.abtests.metrics import Metric

BASELINE_DAYS = 14
# With no production history: a rate of one half maximises the binomial variance (conservative);
# for means the coefficient of variation is taken as 1.
DEFAULT_RATE = 0.5
DEFAULT_CV = 1.0

_RATE_COLUMNS = {"successes": "success_n", "thumbs_up": "feedback_n", "refusals": "n", "reasks": "reask_detectable"}


@dataclass(frozen=True)
class Plan:
    sample_per_arm: int
    baseline: dict
    daily_units: float | None
    expected_days: float | None

    def stored_baseline(self) -> dict:
        """What ``Experiment.baseline`` keeps: the baseline plus the traffic and duration it expects."""
        return {**self.baseline, "daily_units": self.daily_units, "expected_days": self.expected_days}


def _variant_totals(variant: ModelVariant) -> dict:
    from experiments.telemetry.models import HourlyRollup

    since = timezone.now() - timedelta(days=BASELINE_DAYS)
    return HourlyRollup.objects.filter(variant=variant, hour__gte=since).aggregate(
        n=Sum("n"), successes=Sum("successes"), success_n=Sum("success_n"), thumbs_up=Sum("thumbs_up"),
        feedback_n=Sum("feedback_n"), refusals=Sum("refusals"), reasks=Sum("reasks"), reask_detectable=Sum("reask_detectable"), cost_sum=Sum("cost_sum"),
        cost_sum_sq=Sum("cost_sum_sq"), latency_n=Sum("latency_n"), latency_sum=Sum("latency_sum"),
        latency_sum_sq=Sum("latency_sum_sq"),
    )


def baseline_for(metric: Metric, variant: ModelVariant) -> dict:
    """{'kind': 'rate'|'mean', 'value', 'sd'?, 'source'} for the control variant."""
    totals = _variant_totals(variant)
    if metric.is_rate or metric.kind == "proportion":
        num, den = (metric.num, _RATE_COLUMNS.get(metric.num)) if metric.is_rate else ("successes", "success_n")
        n, x = totals.get(den) or 0, totals.get(num) or 0
        if n and 0 < x < n:
            return {"kind": "rate", "value": x / n, "source": f"{variant.slug}, last {BASELINE_DAYS} days ({n} requests)"}
        return {"kind": "rate", "value": DEFAULT_RATE, "source": "default (no production history)"}
    sums = {"cost_sum": ("n", "cost_sum", "cost_sum_sq"), "latency_sum": ("latency_n", "latency_sum", "latency_sum_sq")}
    column = "latency_sum" if metric.kind == "quantile" else metric.num
    if column in sums:
        n_key, s_key, sq_key = sums[column]
        n, s, sq = totals.get(n_key) or 0, totals.get(s_key) or 0.0, totals.get(sq_key) or 0.0
        try:
            stat = MeanStat(int(n), float(s), float(sq))
            if stat.n >= 2 and stat.mean > 0 and stat.variance > 0:
                return {"kind": "mean", "value": stat.mean, "sd": stat.variance ** 0.5,
                        "source": f"{variant.slug}, last {BASELINE_DAYS} days ({n} requests)"}
        except StatsError:
            pass
    return {"kind": "mean", "value": 1.0, "sd": DEFAULT_CV, "source": "default (no production history; CV = 1)"}


def sample_size_for(metric: Metric, baseline: dict, *, mde: float, alpha: float, power: float,
                    scale: Literal["relative", "absolute"] = "relative") -> int:
    """Units per arm to detect a relative change ``mde`` of the baseline, tested on ``scale``."""
    if baseline["kind"] == "rate":
        p = baseline["value"]
        # Aim at the direction that stays inside (0, 1): the sample size is for |effect| = mde.
        rel = mde if p * (1.0 + mde) < 1.0 else -mde
        if scale == "absolute":
            return sample_size_proportions(p, rel, alpha=alpha, power=power, relative=True)
        p_t = p * (1.0 + rel)
        return sample_size_relative(p, math.sqrt(p * (1.0 - p)), rel, sd_treatment=math.sqrt(p_t * (1.0 - p_t)),
                                    alpha=alpha, power=power)
    if scale == "absolute":
        return sample_size_means(baseline["sd"], mde * baseline["value"], alpha=alpha, power=power)
    return sample_size_relative(baseline["value"], baseline["sd"], mde, alpha=alpha, power=power)


def daily_units() -> float | None:
    """Distinct units seen in production over the last day (one partition of the events table).

    Treating every one of them as a new unit each day is optimistic when users return, so the
    expected duration is a lower bound; the results page shows the real progress.
    """
    from django.db import connection

    since = timezone.now() - timedelta(days=1)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(DISTINCT unit_id) FROM telemetry_event WHERE ts >= %s AND unit_id <> ''", [since])
        units = cursor.fetchone()[0]
    return float(units) if units else None


def plan(metric: Metric, control_variant: ModelVariant, *, mde: float, alpha: float, power: float,
         n_arms: int) -> Plan:
    baseline = baseline_for(metric, control_variant)
    per_arm = sample_size_for(metric, baseline, mde=mde, alpha=alpha, power=power)
    per_day = daily_units()
    days = (per_arm * n_arms / per_day) if per_day else None
    return Plan(per_arm, baseline, per_day, days)
