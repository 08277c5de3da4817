"""Online A/B experiments: lift, intervals, p-values, trust checks, power and a ship decision.

Every function takes sufficient statistics (``ProportionStat``, ``MeanStat``, ``RatioStat``,
histograms with shared edges) aggregated per arm in SQL, so each call costs microseconds however
many events the arm holds. lift = treatment - control; relative lift = (treatment - control)/|control|.

**One scale** (``ab._core``): each comparison's p-value, interval and ``significant`` are computed
on the relative lift by default (``scale="absolute"`` for the difference), two-sided by default
(``alternative="greater"``/``"less"`` for one-sided fixed-horizon tests). Degenerate data give an
explicit "not enough data" result (``ABResult.not_enough_data``), never p = 0.

- fixed horizon (``ab.fixed``, ``ab.quantile``): two-proportion z, Welch t with optional CUPED
  (Deng et al. 2013), ratio metrics by the delta method (Deng et al. 2018) or linearised into
  per-unit means for CUPED and sequential tests (``ab.ratio``), quantiles from
  histograms (order-statistic CI, Deng et al. 2018);
- sequential (``ab.sequential``): always-valid intervals and p-values from an asymptotic
  confidence sequence (Howard et al. 2021; mixture SPRT, Johari et al. 2017) as in GrowthBook;
- trust (``ab.checks``): sample ratio mismatch, Holm (1979) and Benjamini–Hochberg (1995);
- Bayesian (``ab.bayes``): chance to beat control and expected loss; GrowthBook's normal–normal
  model on the relative (or absolute) effect with an informative prior (``bayes_compare``);
- planning (``ab.power``): power, sample size and MDE matching statsmodels; power and MDE of the
  relative-lift test, fixed horizon or sequential (``power_relative``, ``mde_relative``,
  ``sample_size_relative``);
- decision (``ab.decide``): "ship" / "don't ship" / "keep running" with reasons
  (Kohavi, Tang & Xu 2020, "Trustworthy Online Controlled Experiments").
"""

from __future__ import annotations

from evalhub.stats.ab._core import ABResult
from evalhub.stats.ab.bayes import (
    BayesResult,
    GaussianPrior,
    bayes_compare,
    chance_to_beat_means,
    chance_to_beat_proportions,
)
from evalhub.stats.ab.checks import SRMResult, adjust_pvalues, srm_test
from evalhub.stats.ab.decide import Decision, decide
from evalhub.stats.ab.fixed import compare_means, compare_proportions, compare_ratios
from evalhub.stats.ab.power import (
    mde_means,
    mde_proportions,
    mde_relative,
    power_means,
    power_proportions,
    power_relative,
    sample_size_means,
    sample_size_proportions,
    sample_size_relative,
)
from evalhub.stats.ab.quantile import (
    MIN_TAIL_COUNT,
    QuantileStat,
    compare_quantile_stats,
    compare_quantiles,
    quantile_ci_from_histogram,
    quantile_from_histogram,
    quantile_sample_problem,
)
from evalhub.stats.ab.ratio import PreSums, RatioSums, linearized_mean, with_ratio_covariate
from evalhub.stats.ab.sequential import (
    sequential_compare_means,
    sequential_compare_proportions,
    sequential_compare_ratios,
)

__all__ = [
    "MIN_TAIL_COUNT",
    "BayesResult",
    "ABResult",
    "Decision",
    "GaussianPrior",
    "QuantileStat",
    "PreSums",
    "RatioSums",
    "SRMResult",
    "adjust_pvalues",
    "bayes_compare",
    "chance_to_beat_means",
    "chance_to_beat_proportions",
    "compare_means",
    "compare_proportions",
    "compare_quantile_stats",
    "compare_quantiles",
    "compare_ratios",
    "decide",
    "linearized_mean",
    "mde_means",
    "mde_proportions",
    "mde_relative",
    "power_means",
    "power_proportions",
    "power_relative",
    "quantile_ci_from_histogram",
    "quantile_from_histogram",
    "quantile_sample_problem",
    "sample_size_means",
    "sample_size_proportions",
    "sample_size_relative",
    "sequential_compare_means",
    "sequential_compare_proportions",
    "sequential_compare_ratios",
    "srm_test",
    "with_ratio_covariate",
]
