"""``manage.py import_arena FILE [--source LABEL] [--create-variants] [--include-named]``: import a Chatbot Arena log."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from judging.importers import DEFAULT_SOURCE, ArenaImportError, arena_import


class Command(BaseCommand):
    help = "Import battles in Chatbot Arena's public format (JSON array or JSON Lines). A bad file imports nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="file to read, or - for standard input")
        parser.add_argument("--source", default=DEFAULT_SOURCE, help=f"label for this log (default {DEFAULT_SOURCE})")
        parser.add_argument("--include-named", action="store_true",
                            help='also import battles with "anony": false (default: anonymous battles only)')
        parser.add_argument("--create-variants", action="store_true",
                            help="create a minimal variant (family 'imported') for unknown model names")

    def handle(self, *args, path: str, source: str, create_variants: bool, include_named: bool = False,
               **options) -> None:
        try:
            data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from None
        self.stdout.write(f"checking {len(data):,} bytes …")
        try:
            summary = arena_import(data=data, source=source, create_variants=create_variants,
                                   include_named=include_named, progress=self._progress)
        except ArenaImportError as exc:
            lines = "\n".join(f"  {issue}" for issue in exc.issues[:50])
            more = f"\n  … and {len(exc.issues) - 50} more" if len(exc.issues) > 50 else ""
            raise CommandError(f"nothing imported; {len(exc.issues)} problem(s):\n{lines}{more}") from None
        if summary.created_variants:
            self.stdout.write(f"created variants: {', '.join(summary.created_variants)}")
        self.stdout.write(self.style.SUCCESS(
            f"imported {summary.imported} battle(s), skipped {summary.skipped_duplicates} duplicate(s)"
            f" and {summary.skipped_named} non-anonymous battle(s)"))

    def _progress(self, done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        self.stdout.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}", ending="")
        if done >= total:
            self.stdout.write("")
