"""Number formatting for the results page."""

from __future__ import annotations

import math

from django import template

register = template.Library()


def _ok(x: object) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x)


@register.filter
def lift(x: float | None, digits: int = 1) -> str:
    """A relative change as a signed percentage, ``0.032`` → ``+3.2%`` (shares use ``evalhub``'s ``pct``)."""
    return f"{100 * x:+.{digits}f}%" if _ok(x) else "—"


@register.filter
def sig(x: float | None, digits: int = 4) -> str:
    return f"{x:.{digits}g}" if _ok(x) else "—"


@register.filter
def pval(x: float | None) -> str:
    if not _ok(x):
        return "—"
    return "< 0.0001" if x < 1e-4 else f"{x:.4f}"


@register.filter
def verdict_class(verdict: str) -> str:
    return {"ship": "ship", "don't ship": "noship"}.get(verdict, "wait")
