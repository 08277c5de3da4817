"""``manage.py import_suite PATH [PATH ...] --suite slug [--name ...] [--format ...] [--grader JSON] [--map a=b,...]``.

PATH may be a file, several files of one suite (a registry YAML and its samples JSONL; a promptfoo config and
its prompt/tests files), a folder (read whole) or a zip.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from experiments.suites import services
from experiments.suites.importers import FORMATS, ImportRejected, read_upload


def read_paths(paths: list[str]) -> dict[str, str]:
    files: dict[str, str] = {}
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")):
                try:
                    files[str(child.relative_to(path))] = child.read_text(encoding="utf-8").lstrip("\ufeff")
                except UnicodeDecodeError:
                    continue  # binaries in a project folder are not suite files
        else:
            files.update(read_upload(path.name if path.suffix != ".zip" else str(path), path.read_bytes()))
    return files


class Command(BaseCommand):
    help = ("Import suite files as they are (EvalHub, inspect_ai, OpenAI evals samples or registry + samples, "
            "promptfoo config or tests) as the suite's newest version.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument("--suite", required=True, help="suite slug (created if new)")
        parser.add_argument("--name", default="")
        parser.add_argument("--format", default="auto", choices=FORMATS)
        parser.add_argument("--grader", default="", help='default grader config as JSON, e.g. \'{"type": "numeric"}\'')
        parser.add_argument("--map", default="",
                            help="field mapping (inspect FieldSpec), e.g. question=input,answer=target")

    def handle(self, *args, **options) -> None:
        try:
            files = read_paths(options["paths"])
            grader = json.loads(options["grader"]) if options["grader"] else {}
            version = services.suite_import(slug=options["suite"], name=options["name"], files=files,
                                            fmt=options["format"], default_grader=grader, field_map=options["map"])
        except (OSError, json.JSONDecodeError, ImportRejected, ValidationError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS(f"imported {version.item_count} items as {version}"))
        for note in version.import_notes:
            self.stdout.write(f"  {note}")
