"""ECE, its intervals and the reliability diagram: closed-form cases, simulation, validation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from statsmodels.stats.proportion import proportion_confint

from evalhub.stats import StatsError
from evalhub.stats.calibration import expected_calibration_error


def test_ece_by_hand_with_equal_width_bins():
    # Bins [0.1, 0.2): acc 1/2 vs conf 0.125; [0.5, 0.6): 0 vs 0.55; [0.9, 1.0]: 1 vs 0.925.
    result = expected_calibration_error([0.1, 0.15, 0.9, 0.95, 0.55], [0, 1, 1, 1, 0], n_boot=200)
    assert result.ece == pytest.approx((2 * 0.375 + 2 * 0.075 + 0.55) / 5, abs=1e-12)
    assert result.n == 5
    assert [b.n for b in result.bins] == [0, 2, 0, 0, 0, 1, 0, 0, 0, 2]
    assert result.bins[1].mean_confidence == pytest.approx(0.125)
    assert result.bins[1].accuracy == pytest.approx(0.5)
    assert math.isnan(result.bins[0].accuracy)
    assert result.mean_confidence == pytest.approx(0.53)
    assert result.accuracy == pytest.approx(0.6)


def test_confidence_one_falls_in_the_last_bin_and_zero_in_the_first():
    result = expected_calibration_error([0.0, 1.0, 1.0], [False, True, True], bins=4, n_boot=200)
    assert [b.n for b in result.bins] == [1, 0, 0, 2]
    assert result.ece == pytest.approx(0.0, abs=1e-12)
    assert (result.bins[3].lower, result.bins[3].upper) == (0.75, 1.0)


def test_calibrated_bin_has_zero_ece_and_debiased_error_clipped_at_zero():
    # Ten answers at 70 % with seven right: no gap; the debiased squared error is −0.7·0.3/9 < 0 → 0.
    result = expected_calibration_error([0.7] * 10, [1] * 7 + [0] * 3, n_boot=200)
    assert result.ece == pytest.approx(0.0, abs=1e-12)
    assert result.rmsce == 0.0
    assert result.rmsce_lower == 0.0


def test_debiased_squared_error_closed_form():
    # One bin of 20 at 0.9 with 12 right: (0.6 − 0.9)² − 0.6·0.4/19.
    result = expected_calibration_error([0.9] * 20, [1] * 12 + [0] * 8, bins=1, n_boot=200)
    assert result.ece == pytest.approx(0.3)
    assert result.rmsce == pytest.approx(math.sqrt(0.09 - 0.24 / 19))


def test_reliability_bins_carry_wilson_intervals_as_statsmodels():
    rng = np.random.default_rng(3)
    confidence = rng.uniform(0, 1, 500)
    correct = rng.random(500) < confidence
    result = expected_calibration_error(confidence, correct, level=0.9, n_boot=200)
    for b in result.bins:
        hits = round(b.accuracy * b.n)
        low, high = proportion_confint(hits, b.n, alpha=0.1, method="wilson")
        assert (b.accuracy_lower, b.accuracy_upper) == pytest.approx((low, high), abs=1e-12)
        assert b.accuracy_lower <= b.accuracy <= b.accuracy_upper


def test_equal_mass_bins_have_equal_counts_and_keep_ties_together():
    confidence = np.linspace(0.01, 0.99, 100)
    result = expected_calibration_error(confidence, confidence > 0.5, bins=5, binning="mass", n_boot=200)
    assert [b.n for b in result.bins] == [20] * 5
    assert result.bins[0].lower == pytest.approx(0.01)
    assert result.bins[4].upper == pytest.approx(0.99)
    tied = expected_calibration_error([0.2] * 6 + [0.8] * 4, [0] * 6 + [1] * 4, bins=5, binning="mass", n_boot=200)
    assert sorted(b.n for b in tied.bins if b.n) == [4, 6]


def test_perfectly_calibrated_model_sits_within_its_intervals():
    """Simulation: y ~ Bernoulli(c). The plug-in ECE is what calibration alone produces, the debiased
    RMS interval reaches 0, and the calibration p-value is not small (checked over replications)."""
    covered = small_p = 0
    replications = 30
    for seed in range(replications):
        rng = np.random.default_rng(100 + seed)
        confidence = rng.uniform(0, 1, 1000)
        correct = rng.random(1000) < confidence
        result = expected_calibration_error(confidence, correct, n_boot=300, seed=seed)
        assert result.ece < 0.08
        assert result.ece == pytest.approx(result.ece_if_calibrated, abs=0.03)
        covered += result.rmsce_lower == 0.0
        small_p += result.p_calibrated < 0.05
    # Nominal 95 % coverage and 5 % rejections; bounds leave room for Monte Carlo error over 30 runs.
    assert covered >= 0.8 * replications
    assert small_p <= 0.2 * replications


def test_known_miscalibration_is_recovered():
    # Stated c, true accuracy c − 0.1 (floored at 0): ECE = 0.1 − ∫₀^0.1 (0.1 − c) dc = 0.095; the
    # binned RMS gap is √(0.9·0.1² + 0.1·0.05²) = 0.0962 (the first bin's gap is its mean confidence).
    rng = np.random.default_rng(7)
    confidence = rng.uniform(0, 1, 20_000)
    correct = rng.random(20_000) < np.clip(confidence - 0.1, 0, 1)
    result = expected_calibration_error(confidence, correct, n_boot=300)
    assert result.ece == pytest.approx(0.095, abs=0.01)
    assert result.ece_lower <= 0.095 <= result.ece_upper
    assert result.rmsce == pytest.approx(math.sqrt(0.9 * 0.01 + 0.1 * 0.0025), abs=0.01)
    assert result.rmsce_lower > 0.05
    assert result.p_calibrated < 0.01
    assert result.ece_upper - result.ece_lower < 0.03
    mass = expected_calibration_error(confidence, correct, binning="mass", n_boot=200)
    assert mass.ece == pytest.approx(0.095, abs=0.01)


def test_large_samples_use_the_normal_null_and_agree_with_the_exact_one():
    rng = np.random.default_rng(11)
    confidence = rng.uniform(0.3, 1, 8000)
    correct = rng.random(8000) < confidence
    result = expected_calibration_error(confidence, correct, n_boot=600)  # 8000 × 600 draws > exact limit
    expected_noise = sum(
        (b.n / 8000) * math.sqrt(2 / math.pi) * math.sqrt(b.mean_confidence * (1 - b.mean_confidence) / b.n)
        for b in result.bins if b.n
    )
    assert result.ece_if_calibrated == pytest.approx(expected_noise, rel=0.15)


def test_seed_makes_intervals_reproducible():
    confidence = np.linspace(0, 1, 200)
    correct = np.arange(200) % 3 == 0
    first = expected_calibration_error(confidence, correct, n_boot=200, seed=5)
    again = expected_calibration_error(confidence, correct, n_boot=200, seed=5)
    assert first == again


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"confidence": [], "correct": []}, "confidence"),
        ({"confidence": [0.5, 1.2], "correct": [1, 0]}, "confidence"),
        ({"confidence": [0.5, float("nan")], "correct": [1, 0]}, "confidence"),
        ({"confidence": ["high"], "correct": [1]}, "confidence"),
        ({"confidence": [0.5, 0.6], "correct": [1]}, "correct"),
        ({"confidence": [0.5, 0.6], "correct": [1, 2]}, "correct"),
        ({"confidence": [0.5], "correct": [1], "bins": 0}, "bins"),
        ({"confidence": [0.5], "correct": [1], "binning": "quantile"}, "binning"),
        ({"confidence": [0.5], "correct": [1], "level": 1.0}, "level"),
        ({"confidence": [0.5], "correct": [1], "n_boot": 10}, "n_boot"),
    ],
)
def test_validation_names_the_argument(kwargs, field):
    with pytest.raises(StatsError) as raised:
        expected_calibration_error(**kwargs)
    assert raised.value.field == field


def test_equal_mass_bootstrap_recuts_each_resample_like_sorting_it():
    """The O(n) re-cut of equal-mass bins per resample equals binning each sorted resample (ties included)."""
    from evalhub.stats import calibration

    rng = np.random.default_rng(2)
    for confidence in (rng.uniform(0, 1, 57), np.round(rng.uniform(0, 1, 80), 1), rng.uniform(0, 1, 5)):
        outcome = (rng.random(confidence.size) < confidence).astype(float)
        draws = rng.integers(0, confidence.size, size=(30, confidence.size))
        count, conf_sum, hit_sum = calibration._mass_resample_sums(draws, confidence, outcome, 7)
        for row, sample in enumerate(draws):
            sample_conf = confidence[sample]
            expected = calibration._bin_sums(calibration._mass_index(sample_conf, 7), sample_conf, outcome[sample], 7)
            np.testing.assert_allclose(count[row], expected[0])
            np.testing.assert_allclose(conf_sum[row], expected[1], atol=1e-12)
            np.testing.assert_allclose(hit_sum[row], expected[2])
