"""What every app's failure-slice selectors share: how a dimension key becomes SQL."""

from __future__ import annotations

import re

SLICE_KEY = re.compile(r"^[A-Za-z0-9_.-]{1,80}$")


def slice_key_literal(key: str) -> str:
    """A dimension key as an SQL string literal.

    Keys are restricted to ``[A-Za-z0-9_.-]`` (checked here and where dimensions are declared), so the
    literal needs no escaping. GROUPING SETS and GROUPING() must see the very same expression, which a
    literal guarantees and a bound parameter does not.
    """
    if not SLICE_KEY.match(key):
        raise ValueError(f"dimension key {key!r}: use letters, digits, '_', '.' or '-' (at most 80)")
    return f"'{key}'"


def slice_expressions(templates: dict[str, str], dimensions: list[tuple[str, str, str]]) -> list[tuple[str, str]]:
    """(name, SQL expression) of each (name, kind, key) whose kind has a template; ``%s`` in a template
    stands for the key as a literal."""
    return [(name, templates[kind].replace("%s", slice_key_literal(key)) if "%s" in templates[kind]
             else templates[kind]) for name, kind, key in dimensions if kind in templates]


def grouping_sets_sql(exprs: list[str], extra: str) -> tuple[str, str, str]:
    """(select list, GROUPING() flags, GROUPING SETS body) for one grouping set per expression, each
    grouped together with ``extra`` (a column or expression list, may be empty)."""
    tail = f", {extra}" if extra else ""
    return (", ".join(exprs), ", ".join(f"GROUPING({e})" for e in exprs),
            ", ".join(f"({e}{tail})" for e in exprs))


def split_grouping_rows(rows: list[tuple], names: list[str]) -> list[tuple[str, str, tuple]]:
    """Rows of a ``grouping_sets_sql`` query as (dimension name, value, remaining columns); rows whose
    dimension value is NULL (the key is absent) are dropped."""
    k = len(names)
    out = []
    for row in rows:
        which = [j for j in range(k) if row[k + j] == 0]
        if len(which) != 1 or row[which[0]] is None:
            continue
        out.append((names[which[0]], str(row[which[0]]), tuple(row[2 * k:])))
    return out
