"""The metric catalogue: what an experiment can measure, and how each metric's sufficient
statistics come out of the telemetry rollups in SQL.

Every metric is analysed per *randomisation unit* (user or session), because units, not requests,
are independent. Per-request rates are therefore RATIO metrics Σnum/Σden over units, analysed by
the delta method (``compare_ratios``; Deng, Knoblich & Lu 2018) — treating requests as independent
would understate the variance when one user sends many requests.

``num``/``den`` are SQL expressions over ``telemetry_unitrollup`` columns (a fixed whitelist, never
user input). The quantile metric reads the hourly latency histograms instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["proportion", "mean", "ratio", "quantile"]


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    kind: Kind
    higher_is_better: bool
    description: str
    num: str = ""  # per-unit SQL expression (ratio numerator, mean value, proportion indicator)
    den: str = ""  # per-unit SQL expression (ratio denominator)
    quantile: float = 0.0
    unit_label: str = ""
    is_rate: bool = False  # a ratio that lies in [0, 1]: planned with the proportion formula

    @property
    def direction(self) -> str:
        return "higher is better" if self.higher_is_better else "lower is better"


CATALOGUE: tuple[Metric, ...] = (
    Metric("task_success", "Task success rate", "ratio", True,
           "successful tasks / tasks with a success signal", "successes", "success_n", is_rate=True),
    Metric("thumbs_up_rate", "Thumbs-up rate", "ratio", True,
           "thumbs up / feedback given", "thumbs_up", "feedback_n", is_rate=True),
    Metric("refusal_rate", "Refusal rate", "ratio", False,
           "refused requests / requests", "refusals", "n", is_rate=True),
    Metric("reask_rate", "Re-ask rate", "ratio", False,
           "requests re-asked by the user / requests where a re-ask was detectable (followed by the "
           "user's next request within the re-ask window)", "reasks", "reask_detectable", is_rate=True),
    Metric("cost_per_request", "Cost per request", "ratio", False,
           "USD cost / requests", "cost_sum", "n", unit_label="USD"),
    Metric("cost_per_success", "Cost per successful task", "ratio", False,
           "USD cost / successful tasks", "cost_sum", "successes", unit_label="USD"),
    Metric("latency_mean", "Mean latency", "ratio", False,
           "total latency / requests", "latency_sum", "n", unit_label="ms"),
    Metric("latency_p95", "Latency p95", "quantile", False,
           "95th percentile of request latency (hourly histograms)", quantile=0.95, unit_label="ms"),
    Metric("requests_per_unit", "Requests per unit", "mean", True,
           "requests each unit sends (engagement)", "n"),
    Metric("units_with_success", "Units with a success", "proportion", True,
           "share of units with at least one successful task", "(CASE WHEN successes > 0 THEN 1 ELSE 0 END)"),
)

METRICS: dict[str, Metric] = {m.key: m for m in CATALOGUE}
HIGHER_IS_BETTER: dict[str, bool] = {m.key: m.higher_is_better for m in CATALOGUE}


def metric_choices() -> list[tuple[str, str]]:
    return [(m.key, m.label) for m in CATALOGUE]
