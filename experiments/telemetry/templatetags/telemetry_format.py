"""Formatting of estimates on the production dashboard."""

from __future__ import annotations

from django import template

from evalhub.core.templatetags.evalhub import pct

register = template.Library()


@register.filter
def pct_ci(estimate) -> str:
    """'12.3% [11.0–13.7]' for a rate Estimate."""
    if estimate is None or estimate.value is None:
        return "—"
    if estimate.lower is None:
        return pct(estimate.value)
    return f"{estimate.value * 100:.1f}% [{estimate.lower * 100:.1f}–{estimate.upper * 100:.1f}]"


@register.filter
def num_ci(estimate, digits: int = 0) -> str:
    """'450 [440–460]' for a numeric Estimate."""
    if estimate is None or estimate.value is None:
        return "—"
    fmt = f"{{:,.{int(digits)}f}}"
    if estimate.lower is None:
        return fmt.format(estimate.value)
    return f"{fmt.format(estimate.value)} [{fmt.format(estimate.lower)}–{fmt.format(estimate.upper)}]"


@register.filter
def usd(value: float | None, digits: int = 4) -> str:
    return "—" if value is None else f"${value:,.{int(digits)}f}"


@register.filter
def usd_ci(estimate, digits: int = 6) -> str:
    """'$0.000175 [$0.000174–$0.000176]' for a cost Estimate (dollars at the leadership pages' precision)."""
    if estimate is None or estimate.value is None:
        return "—"
    if estimate.lower is None:
        return usd(estimate.value, digits)
    return f"{usd(estimate.value, digits)} [{usd(estimate.lower, digits)}–{usd(estimate.upper, digits)}]"


@register.filter
def intcomma_plain(value: int | None) -> str:
    return "—" if value is None else f"{int(value):,}"


REFUSAL_SIGNAL_LABELS = {"client": "client", "api_refusal": "API refusal", "finish_reason": "finish reason", "text": "text",
                         "judge": "judge"}


@register.filter
def refusal_mix(sources: dict[str, int] | None) -> str:
    """'finish reason 12 · text 30': the refusals by the signal that decided (signals with none left out)."""
    if not sources:
        return ""
    return " · ".join(f"{REFUSAL_SIGNAL_LABELS.get(k, k)} {v:,}" for k, v in sources.items() if v)
