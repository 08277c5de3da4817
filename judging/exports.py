"""Judgment export (CSV and JSON) for engineers: one streamed query, no per-row lookups."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator

from evalhub.core.csvsafe import safe_row
from judging.models import Campaign, Judgment

EXPORT_COLUMNS = ["campaign", "prompt_id", "category", "variant_a", "variant_b", "outcome", "criteria",
                  "rationale", "reviewer", "seconds", "created_at", "excluded", "identity_flag"]
_FIELDS = ["campaign__slug", "comparison__prompt_id", "category", "variant_a__slug", "variant_b__slug", "outcome",
           "criteria", "rationale", "reviewer__username", "seconds_taken", "created_at", "excluded", "identity_flag"]


def judgment_rows(campaign: Campaign) -> Iterator[dict]:
    """Every judgment of a campaign (excluded and flagged ones too, marked), oldest first."""
    query = Judgment.objects.filter(campaign=campaign).order_by("created_at", "id").values_list(*_FIELDS)
    for values in query.iterator(chunk_size=5000):
        row = dict(zip(EXPORT_COLUMNS, values))
        row["created_at"] = row["created_at"].isoformat()
        yield row


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(campaign: Campaign) -> Iterator[str]:
    """CSV text, line by line, for a StreamingHttpResponse (constant memory at any size). Text cells
    that a spreadsheet would run as a formula (rationales are free text) are neutralised."""
    writer = csv.writer(_Echo())
    yield writer.writerow(EXPORT_COLUMNS)
    for row in judgment_rows(campaign):
        row["criteria"] = json.dumps(row["criteria"], sort_keys=True) if row["criteria"] else ""
        row["seconds"] = "" if row["seconds"] is None else row["seconds"]
        yield writer.writerow(safe_row([row[c] for c in EXPORT_COLUMNS]))


def json_chunks(campaign: Campaign) -> Iterator[str]:
    """``{"campaign": slug, "columns": [...], "judgments": [...]}`` streamed in pieces."""
    yield json.dumps({"campaign": campaign.slug, "columns": EXPORT_COLUMNS})[:-1] + ', "judgments": ['
    first = True
    for row in judgment_rows(campaign):
        yield ("" if first else ",") + json.dumps(row)
        first = False
    yield "]}"
