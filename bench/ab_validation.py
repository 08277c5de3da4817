"""Operating characteristics of evalhub.stats.ab by simulation, printed against targets.

1,000 simulated experiments per row. Sufficient statistics are drawn directly (binomial counts per
day; exact normal sums via x̄ ~ N and (n-1)s²/σ² ~ χ²), so no raw events are materialised.

Run: .venv/bin/python bench/ab_validation.py
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np

from evalhub.stats import MeanStat, ProportionStat
from evalhub.stats.ab import (
    compare_means,
    compare_proportions,
    sample_size_means,
    sample_size_relative,
    sequential_compare_proportions,
)

SIMS = 1000
ALPHA = 0.05
DAYS = 14


def mean_stats(rng: np.random.Generator, n: int, mu: float, sd: float) -> list[MeanStat]:
    means = rng.normal(mu, sd / math.sqrt(n), SIMS)
    ss = sd * sd * rng.chisquare(n - 1, SIMS)
    return [MeanStat(n, float(m * n), float(s + n * m * m)) for m, s in zip(means, ss, strict=True)]


def fixed_proportions(rng: np.random.Generator, n: int, p_c: float, p_t: float) -> float:
    xc, xt = rng.binomial(n, p_c, SIMS), rng.binomial(n, p_t, SIMS)
    return float(
        np.mean(
            [
                compare_proportions(
                    ProportionStat(n, int(a)), ProportionStat(n, int(b))
                ).significant
                for a, b in zip(xc, xt, strict=True)
            ]
        )
    )


def fixed_means(rng: np.random.Generator, n: int, mu_t: float, sd_c: float, sd_t: float) -> float:
    c, t = mean_stats(rng, n, 0.0, sd_c), mean_stats(rng, n, mu_t, sd_t)
    return float(np.mean([compare_means(a, b).significant for a, b in zip(c, t, strict=True)]))


def daily_peeking(
    rng: np.random.Generator, per_day: int, p_c: float, p_t: float
) -> tuple[float, float]:
    """Share of experiments declared significant at any of DAYS daily looks: (fixed, sequential)."""
    xc = np.cumsum(rng.binomial(per_day, p_c, (SIMS, DAYS)), axis=1)
    xt = np.cumsum(rng.binomial(per_day, p_t, (SIMS, DAYS)), axis=1)
    fixed = seq = 0
    for i in range(SIMS):
        hit_fixed = hit_seq = False
        for d in range(DAYS):
            n = per_day * (d + 1)
            c, t = ProportionStat(n, int(xc[i, d])), ProportionStat(n, int(xt[i, d]))
            hit_fixed |= compare_proportions(c, t).significant
            hit_seq |= sequential_compare_proportions(c, t, target_n=2 * per_day * DAYS).significant
        fixed += hit_fixed
        seq += hit_seq
    return fixed / SIMS, seq / SIMS


def main() -> None:
    start = time.perf_counter()
    rng = np.random.default_rng(2026)
    se = math.sqrt(ALPHA * (1 - ALPHA) / SIMS)
    # The proportions are tested on the relative lift (the default scale), so planned on it; the means'
    # control is 0, where the test falls back to the absolute scale, so they are planned on that.
    n_prop = sample_size_relative(0.10, math.sqrt(0.10 * 0.90), 0.10, sd_treatment=math.sqrt(0.11 * 0.89), power=0.8)
    n_mean = sample_size_means(2.0, 0.2, power=0.8)
    peek_fixed_aa, peek_seq_aa = daily_peeking(rng, 500, 0.10, 0.10)
    per_day = math.ceil(n_prop / DAYS)
    peek_fixed_ab, peek_seq_ab = daily_peeking(rng, per_day, 0.10, 0.11)
    rows: list[tuple[str, float, str, Callable[[float], bool] | None]] = [
        (
            "A/A fixed horizon, proportions (n=5000/arm)",
            fixed_proportions(rng, 5000, 0.1, 0.1),
            "5.0% ± 1.5",
            lambda r: abs(r - ALPHA) <= 0.015,
        ),
        (
            "A/A fixed horizon, Welch means (sd 1 vs 3)",
            fixed_means(rng, 400, 0.0, 1.0, 3.0),
            "5.0% ± 1.5",
            lambda r: abs(r - ALPHA) <= 0.015,
        ),
        (
            f"A/A fixed horizon, read daily ({DAYS} looks)",
            peek_fixed_aa,
            "(the peeking problem)",
            None,
        ),
        (f"A/A sequential, read daily ({DAYS} looks)", peek_seq_aa, "≤ 5.0%", lambda r: r <= ALPHA),
        (
            f"A/B 10%→11%, planned n={n_prop}/arm, power",
            fixed_proportions(rng, n_prop, 0.10, 0.11),
            "80.0% ± 5",
            lambda r: abs(r - 0.8) <= 0.05,
        ),
        (
            f"A/B means Δ=0.1σ, planned n={n_mean}/arm, power",
            fixed_means(rng, n_mean, 0.2, 2.0, 2.0),
            "80.0% ± 5",
            lambda r: abs(r - 0.8) <= 0.05,
        ),
        (
            f"A/B 10%→11% sequential, {DAYS} looks, same n, power",
            peek_seq_ab,
            "(price of peeking)",
            None,
        ),
        ("A/B 10%→11% fixed read daily, same n, 'power'", peek_fixed_ab, "(inflated)", None),
    ]
    print(
        f"evalhub.stats.ab validation — {SIMS} simulated experiments per row, alpha = {ALPHA}"
    )
    print(f"(Monte-Carlo standard error at 5%: ±{100 * se:.1f} points)\n")
    print(f"{'scenario':<52}{'result':>9}  {'target':<22}{'met?':<5}")
    for name, rate, target, check in rows:
        met = "—" if check is None else ("yes" if check(rate) else "NO")
        print(f"{name:<52}{100 * rate:>8.1f}%  {target:<22}{met:<5}")
    print(f"\nran in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
