from __future__ import annotations

import math

from django import template
from django.utils.safestring import mark_safe

from evalhub.core.render import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str) -> str:
    """Render untrusted model output as sanitised HTML (see ``evalhub.core.render``)."""
    return mark_safe(render_markdown(text))  # sanitised by nh3 just above


@register.filter
def pct(value: float | None, digits: int = 1) -> str:
    """A share as a percentage, ``0.123`` → ``12.3%``; ``—`` when missing or not finite.

    The one percentage filter of every page; signed changes (lifts) use ``abtests``' ``lift``.
    """
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        return "—"
    return f"{value * 100:.{digits}f}%"
