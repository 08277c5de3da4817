"""Gain per dollar (Fieller), the weighted combination and the evidence multiplier against references."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from evalhub.stats import StatsError
from evalhub.stats.ab import sample_size_means
from evalhub.stats.marginal import (
    Component,
    Difference,
    evidence_multiplier,
    fieller_interval,
    value_per_cost,
    weighted_difference,
)

Z = float(stats.norm.ppf(0.975))


def test_fieller_with_a_known_cost_is_the_scaled_normal_interval():
    # var_den = 0: the ratio's interval is (num ± z·se)/den exactly.
    lo, hi = fieller_interval(0.12, 0.02 ** 2, 0.5, 0.0)
    assert lo == pytest.approx((0.12 - Z * 0.02) / 0.5, rel=1e-12)
    assert hi == pytest.approx((0.12 + Z * 0.02) / 0.5, rel=1e-12)


def test_fieller_bounds_solve_the_defining_equation():
    num, vn, den, vd, cov = 0.2, 0.03 ** 2, 0.4, 0.05 ** 2, 0.0002
    lo, hi = fieller_interval(num, vn, den, vd, cov=cov)
    for rho in (lo, hi):
        assert (num - rho * den) ** 2 == pytest.approx(Z ** 2 * (vn - 2 * rho * cov + rho ** 2 * vd), rel=1e-9)
    assert lo < num / den < hi


def test_fieller_is_unbounded_when_the_cost_is_not_distinguishable_from_zero():
    assert fieller_interval(0.2, 0.01, 0.05, 0.04 ** 2) is None  # 0.05 < 1.96·0.04


def test_fieller_coverage_recovers_the_true_ratio_in_simulation():
    """5,000 simulated experiments with true gain 0.1 and true cost 0.25 (ρ = 0.4): the 95% interval
    covers ρ in 95% ± 1.0% of them (binomial SE of the coverage is 0.3%)."""
    rng = np.random.default_rng(2026)
    se_q, se_c, true_q, true_c = 0.03, 0.06, 0.1, 0.25
    reps = 5000
    q = true_q + se_q * rng.standard_normal(reps)
    c = true_c + se_c * rng.standard_normal(reps)
    rho = true_q / true_c
    covered = bounded = 0
    for qi, ci in zip(q, c, strict=True):
        interval = fieller_interval(float(qi), se_q ** 2, float(ci), se_c ** 2)
        # Fieller's confidence set is {ρ: (q − ρc)² ≤ z²(var_q + ρ²var_c)}; where it is not a bounded
        # interval (cost not distinguishable from 0, here ≈ 1.4% of draws) membership is read off that.
        inside = (qi - rho * ci) ** 2 <= Z ** 2 * (se_q ** 2 + rho ** 2 * se_c ** 2)
        if interval is not None:
            bounded += 1
            assert (interval[0] <= rho <= interval[1]) == inside
        covered += inside
    assert bounded > 0.97 * reps
    assert abs(covered / reps - 0.95) < 0.01


@pytest.mark.parametrize(("gain", "cost", "kind"), [
    ((0.10, 0.02), (-0.30, 0.05), "dominates"),
    ((0.10, 0.02), (0.01, 0.05), "free"),
    ((0.01, 0.02), (0.01, 0.05), "unbounded"),
    ((0.10, 0.02), (0.30, 0.05), "ratio"),
    ((-0.01, 0.02), (-0.30, 0.05), "cheaper"),
])
def test_value_per_cost_names_each_case_in_words_and_never_returns_inf(gain, cost, kind):
    r = value_per_cost(Difference(*gain), Difference(*cost))
    assert r.kind == kind
    if kind in ("ratio", "cheaper"):
        assert r.ratio == pytest.approx(gain[0] / cost[0])
        assert r.lower < r.ratio < r.upper
        assert math.isfinite(r.se)
    else:
        assert r.ratio is None
        assert r.lower is None
        assert r.upper is None


def test_value_per_cost_delta_se_matches_simulation():
    """Delta-method SE of q/c against the SD of simulated ratios (cost far from zero), within 5%."""
    rng = np.random.default_rng(7)
    q = 0.2 + 0.02 * rng.standard_normal(200_000)
    c = 1.0 + 0.05 * rng.standard_normal(200_000)
    r = value_per_cost(Difference(0.2, 0.02), Difference(1.0, 0.05))
    assert r.se == pytest.approx(float(np.std(q / c)), rel=0.05)


def test_weighted_difference_matches_the_closed_form():
    comps = [Component("bt", 2.0, Difference(0.10, 0.03)), Component("success", 1.0, Difference(0.05, 0.01)),
             Component("reask", 1.0, Difference(-0.02, 0.02)), Component("unused", 0.0, Difference(9.0, 9.0))]
    out = weighted_difference(comps)
    w = np.array([0.5, 0.25, 0.25])
    d = np.array([0.10, 0.05, -0.02])
    se = np.array([0.03, 0.01, 0.02])
    assert out.difference.value == pytest.approx(float(w @ d), rel=1e-12)
    assert out.difference.se == pytest.approx(math.sqrt(float((w ** 2) @ (se ** 2))), rel=1e-12)
    assert out.weights == pytest.approx({"bt": 0.5, "success": 0.25, "reask": 0.25})


def test_weighted_difference_refuses_no_weight_and_negative_weights():
    with pytest.raises(StatsError):
        weighted_difference([Component("bt", 0.0, Difference(0.1, 0.01))])
    with pytest.raises(StatsError):
        weighted_difference([Component("bt", -1.0, Difference(0.1, 0.01)), Component("x", 1.0, Difference(0, 1))])


def test_evidence_multiplier_matches_the_closed_form_and_gives_80_percent_power():
    d, se = 0.04, 0.03
    k = evidence_multiplier(d, se)
    z80 = float(stats.norm.ppf(0.8))
    assert k == pytest.approx(((Z + z80) * se / d) ** 2, rel=1e-5)
    # With k× the evidence the SE is se/√k; the two-sided z test's power at d is then 80%.
    se_k = se / math.sqrt(k)
    power = stats.norm.sf(Z - d / se_k) + stats.norm.cdf(-Z - d / se_k)
    assert power == pytest.approx(0.8, abs=1e-4)
    # and it is what sample_size_means says for the equivalent unit SD
    assert k * 1_000_000 == sample_size_means(se * math.sqrt(500_000), d)


def test_evidence_multiplier_refuses_a_zero_difference():
    with pytest.raises(StatsError):
        evidence_multiplier(0.0, 0.1)
