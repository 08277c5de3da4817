#!/usr/bin/env python
"""Django's command-line utility for EvalHub."""

from __future__ import annotations

import os
import sys

# One BLAS thread per process: the stats engine solves many small systems, and web/worker
# processes already run in parallel; threaded BLAS made a 100x100 solve 500x slower under load.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def use_embedded_database_if_unset() -> None:
    """Without ``DATABASE_URL``, start the embedded PostgreSQL under ``var/`` and export its URL.

    An explicit step of ``manage.py`` before Django loads its settings (settings only read the environment).
    """
    if os.environ.get("DATABASE_URL"):
        return
    from evalhub.embedded import EmbeddedDatabaseError, embedded_database_url

    try:
        os.environ["DATABASE_URL"] = embedded_database_url()
    except EmbeddedDatabaseError as exc:
        print(f"database error: {exc}", file=sys.stderr)
        sys.exit(2)
    os.environ["EVALHUB_DATABASE_EMBEDDED"] = "1"


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "evalhub.settings")
    use_embedded_database_if_unset()
    from django.core.exceptions import ImproperlyConfigured
    from django.db.utils import OperationalError

    try:
        from django.core.management import execute_from_command_line

        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as exc:
        # One clear line for configuration mistakes instead of a traceback wall.
        print(f"configuration error: {exc}", file=sys.stderr)
        sys.exit(2)
    except OperationalError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"database error: cannot use the database in DATABASE_URL: {first}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
