"""Template filters that format numbers exactly as the charts and captions do."""

from __future__ import annotations

from django import template

from evalhub.dashboards import captions

register = template.Library()


@register.filter
def bt(est: dict | None) -> str:
    return _interval(est, lambda x: captions.fmt_quality(x, "bt"))


@register.filter
def score(est: dict | None) -> str:
    return _interval(est, lambda x: captions.fmt_quality(x, "suite"))


@register.filter
def rate(est: dict | None) -> str:
    return _interval(est, captions.fmt_rate)


@register.filter
def cost(est: dict | None) -> str:
    return _interval(est, lambda x: captions.fmt_axis(x, "cost"))


@register.filter
def ms(est: dict | None) -> str:
    return _interval(est, lambda x: captions.fmt_axis(x, "latency"))


@register.filter
def multiple(value: float | None) -> str:
    return captions.fmt_multiple(value)


@register.filter
def gain(g: dict) -> str:
    return captions.fmt_gain(g)


@register.filter
def pvalue(p: float | None) -> str:
    return captions.fmt_p(p)


@register.filter
def signed(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:+.{int(digits)}f}"


@register.filter
def get(mapping: dict | None, key: str):
    return (mapping or {}).get(key)


def _interval(est: dict | None, fmt) -> str:
    if not est:
        return "—"
    return f"{fmt(est['value'])} [{fmt(est['lower'])}, {fmt(est['upper'])}]"


@register.filter
def n_of(est: dict | None, what: str) -> str:
    """The sample size behind an estimate, for a cell's tooltip: "n = 4,193 re-ask-detectable answers"."""
    if not est or est.get("n") is None:
        return ""
    return f"n = {int(est['n']):,} {what}"
