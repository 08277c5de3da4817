"""Calibration of every A/B test in evalhub.stats.ab: A/A false-positive rate and CI coverage.

For each test, data shape and n per arm (5 to 10⁵), the same simulated experiments are analysed
twice: as an A/A test (both arms from one law: how often does the test call a difference at
α = 0.05?) and as an A/B test with a known +5% relative effect (how often does the interval on
the scale the test decides on contain the truth?). Columns:

- ``refused``: share of runs answered "not enough data" (these never count as positives);
- ``A/A FPR``: share of the *answered* A/A runs called significant (target 5%);
- ``coverage``: share of the answered A/B runs whose 95% interval contains the true effect;
- ``±``: binomial standard error of the FPR column at that many runs.

Data (all generated here, never the code's own assumptions): normal N(10, 3²); skewed log-normal
(σ = 1); heavy-tailed Pareto (α = 2.5, finite variance, infinite 3rd moment); proportions at
p = 5% and 50%; latencies for p95 from log-normal, exponential and Pareto laws binned on the
production histogram edges. Ratios are Σnum/Σden with den = 1 + Poisson(2) per unit; CUPED uses
a pre-period covariate correlated ρ ≈ 0.6 with the metric. The effect multiplies the treatment
metric by 1.05, so the true relative lift is exactly +5% (for quantiles, the binned law's p95).

Run: .venv/bin/python bench/stats_calibration.py            (default: 2 processes, ~3 minutes)
     .venv/bin/python bench/stats_calibration.py --sims 500  (quicker, noisier)
     .venv/bin/python bench/stats_calibration.py --quantile-rule   (the MIN_TAIL_COUNT calibration)
     .venv/bin/python bench/stats_calibration.py --quantile-position --sims 6000   (quantile vs bucket edges)
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import evalhub.stats.ab.quantile as quantile_module
from evalhub.stats import MeanStat, ProportionStat, RatioStat
from evalhub.stats.ab import (
    ABResult,
    bayes_compare,
    compare_means,
    compare_proportions,
    compare_quantiles,
    compare_ratios,
    quantile_from_histogram,
    sequential_compare_means,
    sequential_compare_proportions,
    sequential_compare_ratios,
)
from experiments.telemetry.buckets import LATENCY_BUCKET_EDGES_MS  # a constant, no Django

ALPHA = 0.05
EFFECT = 1.05
NS = (5, 10, 30, 100, 1_000, 10_000, 100_000)
CHUNK = 4_000_000  # values generated at once, bounding memory at ~100 MB
EDGES = np.asarray(LATENCY_BUCKET_EDGES_MS)


@dataclass
class Cell:
    test: str
    data: str
    n: int
    runs: int = 0
    refused: int = 0
    positives: int = 0
    answered_aa: int = 0
    covered: int = 0
    answered_ab: int = 0

    def add(self, aa: ABResult, ab: ABResult, truth_rel: float, truth_abs: float) -> None:
        self.runs += 1
        if not aa.enough_data:
            self.refused += 1
        else:
            self.answered_aa += 1
            self.positives += aa.significant
        if ab.enough_data:
            self.answered_ab += 1
            lo, hi = ab.ci
            truth = truth_rel if ab.scale == "relative" else truth_abs
            self.covered += lo <= truth <= hi

    def outside(self, fpr: float) -> bool:
        """FPR outside 5 ± 1.5 points by more than two binomial standard errors (simulation noise
        alone puts 1 cell in 20 beyond one SE). Always-valid (sequential) tests are built to stay
        below α over every look, so at a single look they are conservative by design: only an excess
        counts against them."""
        slack = 2.0 * 100.0 * math.sqrt(0.05 * 0.95 / self.answered_aa)
        if "sequential" in self.test:
            return fpr - slack > 6.5
        return fpr + slack < 3.5 or fpr - slack > 6.5

    @property
    def fpr(self) -> float:
        return 100.0 * self.positives / self.answered_aa if self.answered_aa else math.nan

    def row(self) -> str:
        fpr = 100.0 * self.positives / self.answered_aa if self.answered_aa else math.nan
        cov = 100.0 * self.covered / self.answered_ab if self.answered_ab else math.nan
        se = 100.0 * math.sqrt(0.05 * 0.95 / self.answered_aa) if self.answered_aa else math.nan
        flag = ""
        if self.answered_aa and self.outside(fpr):
            flag = "  <-- above 6.5" if "sequential" in self.test else "  <-- outside 5 ± 1.5 (beyond 2 SE)"
        return (f"{self.test:<26}{self.data:<18}{self.n:>8,}{self.runs:>7}{100 * self.refused / self.runs:>9.1f}%"
                f"{fpr:>9.2f}%{cov:>10.1f}%{se:>7.2f}{flag}")


def _sums(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return x.sum(axis=1), (x * x).sum(axis=1)


DRAW: dict[str, Callable[[np.random.Generator, tuple[int, int]], np.ndarray]] = {
    "normal": lambda rng, shape: rng.normal(10.0, 3.0, shape),
    "lognormal(σ=1)": lambda rng, shape: rng.lognormal(0.0, 1.0, shape),
    "pareto(α=2.5)": lambda rng, shape: rng.pareto(2.5, shape) + 1.0,
}


MEAN = {"normal": 10.0, "lognormal(σ=1)": math.exp(0.5), "pareto(α=2.5)": 2.5 / 1.5}


def _arm_sums(rng: np.random.Generator, draw: Callable, sims: int, n: int) -> dict[str, np.ndarray]:
    """Per simulated arm: sums of the metric x, the CUPED pair (post = x + 0.8·pre, pre) and the
    ratio pair (num = den·x, den), generated in chunks of simulations."""
    keys = ("x", "xx", "post", "post2", "pre", "pre2", "postpre", "num", "num2", "den", "den2", "numden")
    out = {k: np.empty(sims) for k in keys}
    step = max(1, CHUNK // n)
    for start in range(0, sims, step):
        k = min(step, sims - start)
        sl = slice(start, start + k)
        x = draw(rng, (k, n))
        pre = draw(rng, (k, n))
        post = x + 0.8 * pre
        den = 1.0 + rng.poisson(2.0, (k, n))
        num = den * x
        out["x"][sl], out["xx"][sl] = _sums(x)
        out["post"][sl], out["post2"][sl] = _sums(post)
        out["pre"][sl], out["pre2"][sl] = _sums(pre)
        out["postpre"][sl] = (post * pre).sum(axis=1)
        out["num"][sl], out["num2"][sl] = _sums(num)
        out["den"][sl], out["den2"][sl] = _sums(den)
        out["numden"][sl] = (num * den).sum(axis=1)
    return out


def _continuous(cells: dict, rng: np.random.Generator, data: str, n: int, sims: int) -> None:
    c = _arm_sums(rng, DRAW[data], sims, n)
    t = _arm_sums(rng, DRAW[data], sims, n)
    e, e2 = EFFECT, EFFECT * EFFECT
    mu = MEAN[data]
    mu_post = 1.8 * mu
    mu_ratio = mu  # E[den·x]/E[den] with x independent of den
    tests = {
        "means (relative)": lambda a, b: compare_means(a, b),
        "means (absolute)": lambda a, b: compare_means(a, b, scale="absolute"),
        "means sequential": lambda a, b: sequential_compare_means(a, b, target_n=2 * n),
        "means bayes (flat)": None,
    }
    ratio_tests = {
        "ratio (relative)": lambda a, b: compare_ratios(a, b),
        "ratio (absolute)": lambda a, b: compare_ratios(a, b, scale="absolute"),
        "ratio sequential": lambda a, b: sequential_compare_ratios(a, b, target_n=2 * n),
    }
    for name in (*tests, "means cuped", *ratio_tests):
        cells.setdefault((name, data, n), Cell(name, data, n))
    for i in range(sims):
        ctrl = MeanStat(n, c["x"][i], c["xx"][i])
        aa = MeanStat(n, t["x"][i], t["xx"][i])
        ab = MeanStat(n, e * t["x"][i], e2 * t["xx"][i])
        for name, fn in tests.items():
            if fn is None:
                cells[(name, data, n)].add(*(_bayes(ctrl, arm) for arm in (aa, ab)), EFFECT - 1, (EFFECT - 1) * mu)
            else:
                cells[(name, data, n)].add(fn(ctrl, aa), fn(ctrl, ab), EFFECT - 1, (EFFECT - 1) * mu)
        pre_c = (c["pre"][i], c["pre2"][i])
        cup_c = MeanStat(n, c["post"][i], c["post2"][i], *pre_c, c["postpre"][i])
        # The effect multiplies the in-period metric only: post → 1.05·post, pre unchanged.
        cup_aa = MeanStat(n, t["post"][i], t["post2"][i], t["pre"][i], t["pre2"][i], t["postpre"][i])
        cup_ab = MeanStat(n, e * t["post"][i], e2 * t["post2"][i], t["pre"][i], t["pre2"][i], e * t["postpre"][i])
        cells[("means cuped", data, n)].add(compare_means(cup_c, cup_aa, cuped=True),
                                            compare_means(cup_c, cup_ab, cuped=True), EFFECT - 1, (EFFECT - 1) * mu_post)
        r_c = RatioStat(n, c["num"][i], c["den"][i], c["num2"][i], c["den2"][i], c["numden"][i])
        r_aa = RatioStat(n, t["num"][i], t["den"][i], t["num2"][i], t["den2"][i], t["numden"][i])
        r_ab = RatioStat(n, e * t["num"][i], t["den"][i], e2 * t["num2"][i], t["den2"][i], e * t["numden"][i])
        for name, fn in ratio_tests.items():
            cells[(name, data, n)].add(fn(r_c, r_aa), fn(r_c, r_ab), EFFECT - 1, (EFFECT - 1) * mu_ratio)


def _bayes(control: MeanStat | ProportionStat, treatment: MeanStat | ProportionStat) -> ABResult:
    """The Bayesian read-out as an ABResult: "significant" when the 95% credible interval
    excludes 0 (chance to beat above 97.5% or below 2.5%)."""
    b = bayes_compare(control, treatment)
    scale = b.scale
    if not b.enough_data:
        return ABResult(0, 0, 0, (math.nan, math.nan), 0, (math.nan, math.nan), 1.0, ALPHA, False, "bayes",
                          control.n, treatment.n, not_enough_data=b.not_enough_data)
    lo, hi = b.credible_interval
    # The posterior may be on the absolute scale (control too uncertain): report it there.
    return ABResult(0, 0, b.effect_mean, (lo, hi), b.effect_mean, (lo, hi), 1.0, ALPHA, lo > 0 or hi < 0, "bayes",
                      control.n, treatment.n, scale=scale)  # type: ignore[arg-type]


def _proportions(cells: dict, rng: np.random.Generator, p: float, n: int, sims: int) -> None:
    data = f"binary p={p:g}"
    xc = rng.binomial(n, p, sims)
    xt = rng.binomial(n, p, sims)
    xab = rng.binomial(n, p * EFFECT, sims)
    tests = {
        "proportions (relative)": lambda a, b: compare_proportions(a, b),
        "proportions (absolute)": lambda a, b: compare_proportions(a, b, scale="absolute"),
        "proportions sequential": lambda a, b: sequential_compare_proportions(a, b, target_n=2 * n),
        "proportions bayes (flat)": _bayes,
    }
    for name, fn in tests.items():
        cell = cells.setdefault((name, data, n), Cell(name, data, n))
        for i in range(sims):
            c = ProportionStat(n, int(xc[i]))
            cell.add(fn(c, ProportionStat(n, int(xt[i]))), fn(c, ProportionStat(n, int(xab[i]))),
                     EFFECT - 1, p * (EFFECT - 1))


def _binned(cdf: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    probs = np.diff(cdf(EDGES))
    probs[-1] += 1.0 - cdf(EDGES[-1:])[0]  # the last bucket is open-ended
    return probs / probs.sum()


LATENCY = {
    "lognormal latency": lambda scale: _binned(lambda x: stats.lognorm.cdf(x, 0.6, scale=800.0 * scale)),
    "exponential latency": lambda scale: _binned(lambda x: stats.expon.cdf(x, scale=500.0 * scale)),
    "pareto latency": lambda scale: _binned(lambda x: stats.pareto.cdf(x, 1.5, scale=200.0 * scale)),
}


def _quantiles(cells: dict, rng: np.random.Generator, data: str, n: int, sims: int, q: float = 0.95) -> None:
    pc, pt = LATENCY[data](1.0), LATENCY[data](EFFECT)
    true_c, true_t = quantile_from_histogram(pc, EDGES, q), quantile_from_histogram(pt, EDGES, q)
    hc, haa, hab = rng.multinomial(n, pc, sims), rng.multinomial(n, pc, sims), rng.multinomial(n, pt, sims)
    name = f"quantile p{100 * q:g}"
    cell = cells.setdefault((name, data, n), Cell(name, data, n))
    for i in range(sims):
        cell.add(compare_quantiles(hc[i], haa[i], EDGES, q=q), compare_quantiles(hc[i], hab[i], EDGES, q=q),
                 true_t / true_c - 1.0, true_t - true_c)


def _sims_for(n: int, sims: int) -> int:
    # 10⁵ units per arm cost 10⁸ random numbers per 1,000 runs: fewer runs there (the ± column says).
    return sims if n <= 10_000 else max(200, sims // 4)


def _one_size(job: tuple[int, int, int]) -> dict:
    n, sims, seed = job
    rng = np.random.default_rng([seed, n])  # independent streams per size, same in any process
    cells: dict = {}
    k = _sims_for(n, sims)
    for p in (0.05, 0.5):
        _proportions(cells, rng, p, n, k)
    for data in DRAW:
        _continuous(cells, rng, data, n, k)
    for data in LATENCY:
        for q in (0.5, 0.95, 0.99):
            _quantiles(cells, rng, data, n, k, q)
    return cells


def calibrate(sims: int, seed: int, jobs: int) -> list[Cell]:
    # Largest sizes first so that the two workers finish together.
    work = [(n, sims, seed) for n in sorted(NS, reverse=True)]
    cells: dict = {}
    if jobs > 1:
        with multiprocessing.get_context("spawn").Pool(jobs) as pool:
            for part in pool.imap_unordered(_one_size, work):
                cells.update(part)
    else:
        for job in work:
            cells.update(_one_size(job))
    return sorted(cells.values(), key=lambda c: (c.test, c.data, c.n))


def quantile_rule(sims: int, seed: int) -> None:
    """A/A false-positive rate of the quantile test with the minimum-sample rule switched off."""
    rng = np.random.default_rng(seed)
    saved = quantile_module.MIN_TAIL_COUNT
    quantile_module.MIN_TAIL_COUNT = 0.0
    try:
        print(f"quantile test without the minimum-sample rule: A/A FPR % at α = 0.05 ({sims} runs per cell)")
        for q in (0.5, 0.95, 0.99):
            print(f"\nq = {q}   rows: n per arm (observations beyond the quantile);  columns: {', '.join(LATENCY)}")
            for n in (20, 40, 60, 100, 140, 200, 300, 500, 1000, 5000):
                rates = []
                for data in LATENCY:
                    p = LATENCY[data](1.0)
                    a, b = rng.multinomial(n, p, sims), rng.multinomial(n, p, sims)
                    hits = sum(compare_quantiles(a[i], b[i], EDGES, q=q).significant for i in range(sims))
                    rates.append(100.0 * hits / sims)
                tail = min(q, 1 - q) * n
                accepted = "accepted" if tail >= saved else "refused "
                print(f"  {n:>6} ({tail:>5.1f}) {accepted}  " + "  ".join(f"{r:6.2f}" for r in rates))
    finally:
        quantile_module.MIN_TAIL_COUNT = saved


def quantile_position(sims: int, seed: int, n: int = 100_000) -> None:
    """A/A false-positive rate of the quantile test as the quantile moves across its bucket: the
    latency laws stretched by ×0.90 … ×1.15 (the buckets are 20% wide), p95 and p99 at ``n`` per arm."""
    rng = np.random.default_rng(seed)
    laws = {
        "pareto latency": lambda f: _binned(lambda x: stats.pareto.cdf(x, 1.5, scale=200.0 * f)),
        "lognormal latency": lambda f: _binned(lambda x: stats.lognorm.cdf(x, 0.6, scale=800.0 * f)),
    }
    print(f"quantile test by position of the quantile in its bucket: A/A FPR % at α = 0.05, n = {n:,} per arm, "
          f"{sims} runs per cell (± {100 * math.sqrt(ALPHA * (1 - ALPHA) / sims):.2f})")
    rates = []
    for data, law in laws.items():
        for q in (0.95, 0.99):
            for stretch in (0.90, 0.95, 1.00, 1.05, 1.10, 1.15):
                p = law(stretch)
                cum = np.cumsum(p)
                k = int(np.searchsorted(cum, q))
                position = (q - (cum[k] - p[k])) / p[k]
                a, b = rng.multinomial(n, p, sims), rng.multinomial(n, p, sims)
                rate = 100.0 * sum(compare_quantiles(a[i], b[i], EDGES, q=q).significant for i in range(sims)) / sims
                rates.append(rate)
                print(f"  {data:<18} p{100 * q:g}  ×{stretch:.2f}  position in bucket {position:.2f}  {rate:5.2f}%")
    print(f"range {min(rates):.2f}–{max(rates):.2f}%")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sims", type=int, default=2000, help="runs per cell up to 10⁴ units per arm")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (one sample size each)")
    parser.add_argument("--quantile-rule", action="store_true", help="calibrate MIN_TAIL_COUNT instead")
    parser.add_argument("--quantile-position", action="store_true",
                        help="A/A rate of the quantile test as the quantile moves across its bucket instead")
    args = parser.parse_args()
    started = time.perf_counter()
    if args.quantile_position:
        quantile_position(min(args.sims, 6000), args.seed)
        print(f"\n{time.perf_counter() - started:.0f} s")
        return
    if args.quantile_rule:
        quantile_rule(min(args.sims, 1500), args.seed)
        print(f"\n{time.perf_counter() - started:.0f} s")
        return
    cells = calibrate(args.sims, args.seed, args.jobs)
    print(f"A/A false-positive rate (α = {ALPHA}) and 95% CI coverage of a +5% effect, seed {args.seed}")
    print(f"{'test':<26}{'data':<18}{'n/arm':>8}{'runs':>7}{'refused':>10}{'A/A FPR':>10}{'coverage':>11}{'±':>7}")
    last = None
    for cell in cells:
        if last is not None and (cell.test, cell.data) != last:
            print()
        last = (cell.test, cell.data)
        print(cell.row())
    answered = [c for c in cells if c.answered_aa >= 500]
    if answered:
        outside = [c for c in answered if c.outside(c.fpr)]
        fixed = [c.fpr for c in answered if "sequential" not in c.test]
        print(f"\ncells with ≥ 500 answered A/A runs: {len(answered)}; flagged: {len(outside)}; fixed-horizon A/A FPR"
              f" range {min(fixed):.2f}–{max(fixed):.2f}%")
        for c in outside:
            print(f"  flagged: {c.test}, {c.data}, n = {c.n:,}: {c.fpr:.2f}%")
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
