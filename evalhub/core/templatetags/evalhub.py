from __future__ import annotations

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
    if value is None:
        return "—"
    return f"{value * 100:.{digits}f}%"
