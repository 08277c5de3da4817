"""EvalHub's statistics engine.

Pure functions and frozen dataclasses over numpy/scipy/statsmodels. Inputs are sufficient
statistics (pair-count tables, ``MeanStat``, ``ProportionStat``, ...) so the cost of every
estimate is independent of the number of raw events. Nothing in this package imports Django
or Celery: ``tests/stats/test_purity.py`` imports it with both absent.

Modules: ``ratings`` (Elo, Bradley-Terry), ``abtest`` (online experiments), ``agreement``
(inter-rater reliability), ``evalscores`` (eval-suite scores), ``scaling`` (cost-quality
frontier and compute-equivalent gain).
"""

from __future__ import annotations

from evalhub.stats._base import MeanStat, ProportionStat, RatioStat, StatsError

__all__ = ["MeanStat", "ProportionStat", "RatioStat", "StatsError"]
