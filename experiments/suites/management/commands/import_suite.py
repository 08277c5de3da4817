"""``manage.py import_suite path.jsonl --suite slug [--name ...] [--format auto|jsonl|yaml] [--grader JSON]``."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from experiments.suites import services
from experiments.suites.importers import ImportRejected


class Command(BaseCommand):
    help = "Import a suite file (JSONL, YAML, OpenAI evals samples, {input, target}) as the suite's newest version."

    def add_arguments(self, parser) -> None:
        parser.add_argument("path")
        parser.add_argument("--suite", required=True, help="suite slug (created if new)")
        parser.add_argument("--name", default="")
        parser.add_argument("--format", default="auto", choices=["auto", "jsonl", "yaml"])
        parser.add_argument("--grader", default="", help='default grader config as JSON, e.g. \'{"type": "numeric"}\'')

    def handle(self, *args, **options) -> None:
        try:
            text = Path(options["path"]).read_text(encoding="utf-8")
            grader = json.loads(options["grader"]) if options["grader"] else {}
            version = services.suite_import(slug=options["suite"], name=options["name"], text=text,
                                            fmt=options["format"], default_grader=grader)
        except (OSError, json.JSONDecodeError, ImportRejected, ValidationError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS(f"imported {version.item_count} items as {version}"))
