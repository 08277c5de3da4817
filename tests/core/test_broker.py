"""The default broker (kombu's SQLAlchemy transport, ``evalhub.broker``): safe to start and restart."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from urllib.parse import urlparse, urlunparse

import pytest
from kombu import Connection
from kombu.exceptions import OperationalError

from evalhub.broker import Transport
from tests.conftest import BASE_DIR, database_url_for_tests

pytestmark = pytest.mark.django_db(transaction=True)


def test_sqla_urls_use_the_checked_transport():
    import evalhub.celery  # noqa: F401 - registers the alias

    with Connection("sqla+postgresql+psycopg://nobody@127.0.0.1:1/none") as conn:
        assert conn.transport_cls == "sqla"
        assert type(conn.transport) is Transport


def test_a_down_database_is_a_connection_error_not_a_connected_broker():
    """The stock transport 'connects' without the database; a consumer then reconnects in a tight loop."""
    import evalhub.celery  # noqa: F401

    with Connection("sqla+postgresql+psycopg://nobody@127.0.0.1:1/none") as conn, pytest.raises(OperationalError):
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=5)


def test_processes_starting_together_on_a_fresh_database_all_create_the_tables():
    """Worker and beat racing on a fresh database: each opens a channel at once; none dies on CREATE TABLE."""
    import psycopg

    base = urlparse(database_url_for_tests())
    name = f"evalhub_broker_{uuid.uuid4().hex[:8]}"
    admin = urlunparse(base._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        url = "sqla+" + urlunparse(base._replace(path=f"/{name}", scheme="postgresql+psycopg"))
        code = (
            "import sys, time, evalhub.celery\n"
            "from kombu import Connection\n"
            "start = float(sys.argv[2])\n"
            "time.sleep(max(0.0, start - time.time()))\n"
            "with Connection(sys.argv[1]) as conn:\n"
            "    conn.ensure_connection(max_retries=1)\n"
            "    conn.SimpleQueue('race').put({'ok': 1})\n"
        )
        start = str(time.time() + 3.0)
        procs = [subprocess.Popen([sys.executable, "-c", code, url, start], cwd=BASE_DIR, stderr=subprocess.PIPE,
                                  env={**os.environ, "DJANGO_SETTINGS_MODULE": "evalhub.settings"}) for _ in range(6)]
        errors = [p.communicate(timeout=120)[1].decode()[-1500:] for p in procs]
        assert [p.returncode for p in procs] == [0] * 6, errors
        with psycopg.connect(urlunparse(base._replace(path=f"/{name}")), autocommit=True) as conn:
            assert conn.execute("SELECT count(*) FROM kombu_message").fetchone()[0] == 6
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

