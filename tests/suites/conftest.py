"""Fixtures for suites: a worker-process factory (so a test can SIGKILL one and start another) and
fast retry backoff for in-process runs."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator

import pytest

from tests.conftest import BASE_DIR, TEST_QUEUE, database_url_for_tests


@pytest.fixture(autouse=True)
def _fast_backoff(settings) -> None:
    settings.SUITES_RETRY_BACKOFF = 0.01


@pytest.fixture
def start_worker(transactional_db, simulator) -> Iterator[Callable[..., subprocess.Popen]]:
    """Start real ``celery worker`` processes on the test queue; all are stopped at the end."""
    from django.conf import settings

    procs: list[subprocess.Popen] = []
    logs = []

    def start(*, concurrency: int = 4) -> subprocess.Popen:
        env = dict(os.environ)
        env.update({"DATABASE_URL": database_url_for_tests(), "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
                    "SIMULATOR_URL": simulator.base_url, "DJANGO_SETTINGS_MODULE": "evalhub.settings"})
        (BASE_DIR / "var").mkdir(exist_ok=True)
        log = open(BASE_DIR / "var" / f"test-suites-worker-{TEST_QUEUE}.log", "ab")  # noqa: SIM115 - closed below
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
