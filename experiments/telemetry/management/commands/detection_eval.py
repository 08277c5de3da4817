"""``python manage.py detection_eval FILE.jsonl``: precision, recall and F1 of refusal and re-ask detection.

Runs the ingestion code path (see ``experiments.telemetry.detection_eval``) over a labelled file and
prints a table per kind, per ``source`` and per language, then one summary line. Exit status 0;
a malformed line stops with an error naming it.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from evalhub.core.models import ModelVariant
from experiments.telemetry.detection_eval import EvalFileError, evaluate, read_cases
from experiments.telemetry.judge import JUDGE_SCOPES


class Command(BaseCommand):
    help = "Score refusal and re-ask detection on a labelled JSONL file (the production code path, nothing stored)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="labelled JSONL: kind refusal (prompt, response, refusal) or reask pairs")
        parser.add_argument("--errors", type=Path, default=None,
                            help="write the misclassified cases (id, kind, expected) to this JSONL file")
        parser.add_argument("--judge", metavar="SLUG", default="",
                            help="also ask this variant as the refusal judge (real calls to its endpoint, each one billed)")
        parser.add_argument("--judge-scope", choices=JUDGE_SCOPES, default=None,
                            help="answers the judge reads (default: TELEMETRY_REFUSAL_JUDGE_SCOPE)")

    def handle(self, *args, **options) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        judge = None
        if options["judge"]:
            judge = ModelVariant.objects.filter(slug=options["judge"]).first()
            if judge is None:
                raise CommandError(f"unknown variant '{options['judge']}' for --judge")
        scope = options["judge_scope"] or settings.TELEMETRY_REFUSAL_JUDGE_SCOPE
        try:
            with path.open(encoding="utf-8") as lines:
                report = evaluate(read_cases(lines), judge=judge, judge_scope=scope)
        except EvalFileError as exc:
            raise CommandError(f"{path}: {exc}") from None
        except UnicodeDecodeError:
            raise CommandError(f"{path}: not UTF-8 text") from None
        summary = report.summary_line()
        if not summary:
            raise CommandError(f"{path}: no labelled cases")
        for line in report.table():
            self.stdout.write(line)
        if options["errors"]:
            with options["errors"].open("w", encoding="utf-8") as out:
                for error in report.errors:
                    out.write(json.dumps(error) + "\n")
        self.stdout.write(summary)
