"""Time per call of each evalhub.stats.ab comparison, from sufficient statistics.

The engine reads per-arm sums aggregated in SQL, so a call should cost the same few microseconds
for an arm summarising 1e3 events as for one summarising 1e7. Baseline in the same run: scipy's
Welch test on the raw 1e6-element arrays, i.e. what re-reading every event would cost. The last
line times a whole results page's statistics (4 metrics × 2 treatment arms, fixed and sequential)
against its < 1 ms target.

Run: .venv/bin/python bench/abtest.py
"""

from __future__ import annotations

import timeit
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np
from scipy import stats

from evalhub.stats import MeanStat, ProportionStat, RatioStat
from evalhub.stats.ab import (
    compare_means,
    compare_proportions,
    compare_quantiles,
    compare_ratios,
    sequential_compare_means,
    sequential_compare_proportions,
    sequential_compare_ratios,
)

CHUNK = 1_000_000
EDGES = np.r_[0.0, np.geomspace(10.0, 60_000.0, 200)]  # latency histogram, ms


@dataclass(frozen=True)
class Arm:
    conv: ProportionStat
    mean: MeanStat
    ratio: RatioStat
    latency: np.ndarray


def _arm(rng: np.random.Generator, n: int, shift: float) -> Arm:
    """Sufficient statistics of n synthetic units, accumulated in chunks (bounded memory)."""
    names = ("x", "xx", "pre", "prepre", "xpre", "num", "den", "numnum", "denden", "numden")
    s = dict.fromkeys(names, 0.0)
    successes, hist, left = 0, np.zeros(len(EDGES) - 1), n
    while left:
        k = min(left, CHUNK)
        pre = rng.gamma(2.0, 1.0, k)
        x = 0.7 * pre + rng.normal(shift, 1.0, k)
        den = 1.0 + rng.poisson(3.0, k)
        num = 0.4 * den + rng.gamma(2.0, 0.3, k)
        for name, v in zip(
            names,
            (x, x * x, pre, pre * pre, x * pre, num, den, num * num, den * den, num * den),
            strict=True,
        ):
            s[name] += float(v.sum())
        successes += int(rng.binomial(k, 0.1 + shift / 100))
        hist += np.histogram(rng.lognormal(6.0 + shift / 10, 0.6, k), EDGES)[0]
        left -= k
    return Arm(
        ProportionStat(n, successes),
        MeanStat(n, s["x"], s["xx"], s["pre"], s["prepre"], s["xpre"]),
        RatioStat(n, s["num"], s["den"], s["numnum"], s["denden"], s["numden"]),
        hist,
    )


def _us_per_call(fn: Callable[[], object]) -> float:
    timer = timeit.Timer(fn)
    number, _ = timer.autorange()
    return min(timer.repeat(repeat=5, number=number)) / number * 1e6


def main() -> None:
    rng = np.random.default_rng(0)
    arms = {n: (_arm(rng, n, 0.0), _arm(rng, n, 0.05)) for n in (1_000, 10_000_000)}
    calls: dict[str, Callable[[Arm, Arm], object]] = {
        "compare_proportions": lambda c, t: compare_proportions(c.conv, t.conv),
        "compare_means": lambda c, t: compare_means(c.mean, t.mean),
        "compare_means(cuped=True)": lambda c, t: compare_means(c.mean, t.mean, cuped=True),
        "compare_ratios": lambda c, t: compare_ratios(c.ratio, t.ratio),
        "compare_quantiles (200 bins, p95)": lambda c, t: compare_quantiles(
            c.latency, t.latency, EDGES
        ),
        "sequential_compare_proportions": lambda c, t: sequential_compare_proportions(
            c.conv, t.conv
        ),
        "sequential_compare_means": lambda c, t: sequential_compare_means(c.mean, t.mean),
        "sequential_compare_ratios": lambda c, t: sequential_compare_ratios(c.ratio, t.ratio),
    }
    raw_c = rng.normal(0.0, 1.0, 1_000_000)
    raw_t = rng.normal(0.01, 1.0, 1_000_000)
    baseline = _us_per_call(lambda: stats.ttest_ind(raw_t, raw_c, equal_var=False))

    print("evalhub.stats.ab — time per call from sufficient statistics (best of 5)")
    print(f"{'function':<36}{'1e3 events/arm':>16}{'1e7 events/arm':>16}{'baseline / 1e7':>16}")
    for name, call in calls.items():
        small = _us_per_call(partial(call, *arms[1_000]))
        big = _us_per_call(partial(call, *arms[10_000_000]))
        print(f"{name:<36}{small:>13.1f} µs{big:>13.1f} µs{baseline / big:>15,.0f}×")
    print(
        "\nbaseline: scipy.stats.ttest_ind(equal_var=False) on raw arrays, 1e6 per arm: "
        f"{baseline / 1000:.2f} ms/call"
    )
    # A whole results page: 4 metrics (conversion, mean with CUPED, ratio, p95) × 2 treatment
    # arms, each fixed-horizon and (where one exists) sequential — what results_for computes.
    control, treatments = arms[10_000_000][0], [arms[10_000_000][1], _arm(rng, 1_000, 0.02)]

    def experiment() -> None:
        for t in treatments:
            for name in ("compare_proportions", "sequential_compare_proportions", "compare_means(cuped=True)",
                         "sequential_compare_means", "compare_ratios", "sequential_compare_ratios",
                         "compare_quantiles (200 bins, p95)"):
                calls[name](control, t)

    full = _us_per_call(experiment)
    print(f"one experiment, 4 metrics × 2 treatment arms (14 comparisons): {full / 1000:.3f} ms "
          f"(target < 1 ms; {baseline / full:,.0f}× faster than one raw-data Welch test)")


if __name__ == "__main__":
    main()
