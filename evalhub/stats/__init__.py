"""EvalHub's statistics engine.

Pure functions and frozen dataclasses over numpy/scipy/statsmodels. Inputs are sufficient
statistics (pair-count tables, ``MeanStat``, ``ProportionStat``, ...) so the cost of every
estimate is independent of the number of raw events. Nothing in this package imports Django
or Celery: ``tests/stats/test_purity.py`` imports it with both absent.

Public subpackages and modules: ``ab`` (online A/B experiments), ``ratings`` (Elo, Bradley–Terry,
style control), ``agreement`` (inter-rater reliability), ``evalscores`` (eval-suite scores),
``scaling`` (cost-quality frontier and compute-equivalent gain), ``marginal`` (quality per extra dollar). The common types are re-exported
here: ``StatsError``, ``Estimate``, ``MeanStat``, ``ProportionStat``, ``RatioStat``. Modules whose
name starts with ``_`` are private: the apps import only public names (an import-linter contract).
"""

from __future__ import annotations

from evalhub.stats._base import Estimate, MeanStat, ProportionStat, RatioStat, StatsError

__all__ = ["Estimate", "MeanStat", "ProportionStat", "RatioStat", "StatsError"]
