"""The fixtures every test directory shares, one name per thing:

- users: ``reviewer``, ``engineer``, ``viewer``, ``admin_user``, ``reviewers`` (four reviewers);
- logged-in clients: ``reviewer_client``, ``engineer_client``, ``viewer_client``, ``admin_client_``;
- API keys owned by ``engineer``: ``ingest_key`` / ``read_key`` (raw keys), ``ingest_client`` / ``read_client``;
- workers: ``start_worker`` (starts real Celery worker processes on the test queue),
  ``celery_worker_process`` (one started);
- the OpenAI-compatible ``simulator`` on a real socket, and the session's Chromium (``browser``).

The database is real PostgreSQL: the embedded server (``make test``) or ``DATABASE_URL``.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as in manage.py / wsgi.py / celery.py
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from django.test import Client

from evalhub.core.models import ApiKeyScope, Role
from evalhub.core.services import api_key_create
from evalhub.core.simulator import SimulatorServer
from tests.factories import PASSWORD, UserFactory

BASE_DIR = Path(__file__).resolve().parent.parent
# One broker queue per test session: a concurrent `make run` worker never takes test tasks.
TEST_QUEUE = f"evalhub-test-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session", autouse=True)
def _celery_test_queue() -> Iterator[None]:
    from evalhub.celery import app

    app.conf.task_default_queue = TEST_QUEUE
    yield


def _login(client: Client, user) -> Client:
    client.force_login(user)
    return client


@pytest.fixture
def reviewer(db):
    return UserFactory(role=Role.REVIEWER)


@pytest.fixture
def engineer(db):
    return UserFactory(role=Role.ENGINEER)


@pytest.fixture
def viewer(db):
    return UserFactory(role=Role.VIEWER)


@pytest.fixture
def admin_user(db):
    return UserFactory(role=Role.ADMIN)


@pytest.fixture
def reviewers(db):
    return [UserFactory(role=Role.REVIEWER) for _ in range(4)]


@pytest.fixture
def reviewer_client(reviewer) -> Client:
    return _login(Client(), reviewer)


@pytest.fixture
def engineer_client(engineer) -> Client:
    return _login(Client(), engineer)


@pytest.fixture
def viewer_client(viewer) -> Client:
    return _login(Client(), viewer)


@pytest.fixture
def admin_client_(admin_user) -> Client:
    return _login(Client(), admin_user)


@pytest.fixture
def user_password() -> str:
    return PASSWORD


@pytest.fixture
def ingest_key(engineer) -> str:
    return api_key_create(owner=engineer, name="ingest", scopes=[ApiKeyScope.INGEST])[1]


@pytest.fixture
def read_key(engineer) -> str:
    return api_key_create(owner=engineer, name="read", scopes=[ApiKeyScope.READ])[1]


@pytest.fixture
def ingest_client(ingest_key) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {ingest_key}")


@pytest.fixture
def read_client(read_key) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {read_key}")


@pytest.fixture
def simulator(settings) -> Iterator[SimulatorServer]:
    """The simulator on a free port, answering at once; variants without a base URL use it."""
    server = SimulatorServer(latency_scale=0.0, seed=1234).start()
    settings.SIMULATOR_URL = server.base_url
    yield server
    server.stop()


def database_url_for_tests() -> str:
    """A URL to the *test* database, for processes started by tests (workers, servers)."""
    from django.db import connection

    conf = connection.settings_dict
    user = quote(conf["USER"] or "")
    password = f":{quote(conf['PASSWORD'])}" if conf["PASSWORD"] else ""
    host = conf["HOST"] or ""
    if host.startswith("/"):
        return f"postgresql://{user}{password}@/{conf['NAME']}?host={quote(host)}"
    port = f":{conf['PORT']}" if conf["PORT"] else ""
    return f"postgresql://{user}{password}@{host}{port}/{conf['NAME']}"


@pytest.fixture
def start_worker(transactional_db, simulator) -> Iterator[Callable[..., subprocess.Popen]]:
    """Start real ``celery worker`` processes on the real broker and the test queue, reading and writing the
    test database (a test can SIGKILL one and start another); all are stopped at the end."""
    from django.conf import settings

    procs: list[subprocess.Popen] = []
    logs = []

    def start(*, concurrency: int = 4) -> subprocess.Popen:
        env = dict(os.environ)
        env.update({
            "DATABASE_URL": database_url_for_tests(),
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "CELERY_TASK_DEFAULT_QUEUE": TEST_QUEUE,  # tasks the worker itself enqueues stay on the test queue
            "SIMULATOR_URL": simulator.base_url,
            "DJANGO_SETTINGS_MODULE": "evalhub.settings",
        })
        (BASE_DIR / "var").mkdir(exist_ok=True)
        log = open(BASE_DIR / "var" / f"test-worker-{TEST_QUEUE}.log", "ab")  # noqa: SIM115 - closed below
        logs.append(log)
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "evalhub", "worker", "--loglevel", "INFO", "--pool", "threads",
             "--concurrency", str(concurrency), "-Q", TEST_QUEUE, "--without-heartbeat", "--without-gossip",
             "--without-mingle"],
            env=env, cwd=BASE_DIR, stdout=log, stderr=subprocess.STDOUT,
        )
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
    for log in logs:
        log.close()


@pytest.fixture
def celery_worker_process(start_worker) -> subprocess.Popen:
    """One real ``celery worker`` process (see ``start_worker``)."""
    return start_worker()


def wait_for(predicate, *, timeout: float = 30.0, interval: float = 0.2, message: str = "condition"):
    """Poll ``predicate`` until it returns a truthy value; fail with ``message`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {message}")


CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="session")
def browser() -> Iterator:
    """Playwright driving Debian's Chromium (``apt-get install chromium``); no browser download. One per
    session for browser and stack tests alike. Without Chromium they are skipped with a reason, except when
    ``EVALHUB_REQUIRE_BROWSER=1`` (set by ``.ci/run``), where a missing browser fails the run."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("EVALHUB_REQUIRE_BROWSER") == "1":
            pytest.fail(f"Chromium not found at {CHROMIUM}; browser tests must run here")
        pytest.skip("Chromium not installed (apt-get install chromium); browser tests skipped")
    # Playwright's sync API runs an event loop in this thread; the ORM calls that tests make around
    # it are synchronous and safe here.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()
