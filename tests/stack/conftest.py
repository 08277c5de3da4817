"""The stack tier: the product started exactly as ``make run`` starts it, used only over HTTP and in Chromium.

One stack per test session: ``python -m evalhub.run`` as a subprocess tree (embedded PostgreSQL, migrations,
demo data, simulator, Celery worker, Celery beat, gunicorn) on free ports, with its own data directory
(``EVALHUB_VAR_DIR``). Nothing of the product is imported here: the tests see what a user sees.

Flavours, chosen from the environment the suite runs in:
- embedded (``make test``): ``DATABASE_URL`` and ``CELERY_BROKER_URL`` are removed from the stack's
  environment, so it runs on the embedded defaults alone — a process that fell back to Celery's default
  broker (``amqp://localhost:5672``) fails these tests whether or not a RabbitMQ listens there;
- external (``DATABASE_URL`` set by the user, as in CI's second pass): the stack gets a fresh database on
  that server and the same ``CELERY_BROKER_URL``, on a queue of its own.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import httpx
import pytest

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DEMO_PASSWORD = "evalhub-demo"  # printed by `make run`; README "Quick start"
START_TIMEOUT = float(os.environ.get("EVALHUB_STACK_START_TIMEOUT", "420"))
# Variables of the suite's own environment that must not leak into the stack.
_NOT_INHERITED = ("DATABASE_URL", "CELERY_BROKER_URL", "CELERY_TASK_DEFAULT_QUEUE", "TEST_DATABASE_NAME",
                  "EVALHUB_PGDATA", "EVALHUB_VAR_DIR", "SIMULATOR_URL", "EVALHUB_DATABASE_EMBEDDED",
                  "DJANGO_SETTINGS_MODULE", "PYTEST_CURRENT_TEST", "PYTEST_ADDOPTS")


def pytest_collection_modifyitems(config, items) -> None:
    for item in items:
        if "tests/stack" in str(item.fspath):
            item.add_marker(pytest.mark.stack)


# gunicorn's access log lines: '127.0.0.1 - - [date] "GET /path HTTP/1.1" 200 …'
_ACCESS_LINE = re.compile(r'^\S+ - \S+ \[[^\]]+\] "[A-Z]+ ')


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed stack test reports the stack's log (web, worker, beat) without the web server's access lines (a
    polling test fills the tail with them): what the product did meanwhile. The stack then keeps its data
    directory and full log (``var/stack-*``) when it stops."""
    outcome = yield
    report = outcome.get_result()
    stack = item.funcargs.get("stack") if hasattr(item, "funcargs") else None
    if report.failed and isinstance(stack, Stack):
        stack.failed = True
        lines = [line for line in stack.log_tail(5_000_000).splitlines() if not _ACCESS_LINE.search(line)]
        report.sections.append(("stack log without access lines (last 40,000 characters)", "\n".join(lines)[-40_000:]))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate: Callable[[], object], *, timeout: float, what: str, interval: float = 0.5,
               detail: Callable[[], object] | None = None):
    """Poll ``predicate`` until it returns something truthy; fail naming ``what`` (and ``detail()``, what was
    last seen) after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except (httpx.HTTPError, KeyError, ValueError) as exc:
            value, last_error = None, exc
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}" + (f" (last error: {last_error})" if last_error else "")
                + (f"; last seen: {detail()}" if detail else ""))


@dataclass
class Stack:
    url: str
    log_path: Path
    flavour: str
    broker_url: str | None  # the CELERY_BROKER_URL given to the stack (external flavour), else None
    pid: int  # `python -m evalhub.run`
    var_dir: Path
    failed: bool = False  # a test using this stack failed: keep its data and log

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else ""

    def session(self, username: str) -> UserSession:
        return UserSession.login(self.url, username)


class UserSession:
    """A demo user logged in through the login form, as a browser would: cookies + the CSRF header."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    @classmethod
    def login(cls, base_url: str, username: str) -> UserSession:
        client = httpx.Client(base_url=base_url, follow_redirects=True, timeout=30)
        client.get("/login/").raise_for_status()
        response = client.post("/login/", data={"username": username, "password": DEMO_PASSWORD,
                                                "csrfmiddlewaretoken": client.cookies["csrftoken"]},
                               headers={"Referer": f"{base_url}/login/"})
        assert "/login/" not in str(response.url), f"login as {username} failed: {response.status_code}"
        return cls(client)

    @property
    def csrf_headers(self) -> dict[str, str]:
        return {"X-CSRFToken": self.client.cookies["csrftoken"], "Referer": str(self.client.base_url)}

    def get(self, path: str, **kwargs) -> httpx.Response:
        return self.client.get(path, **kwargs)

    def post_json(self, path: str, body: object) -> httpx.Response:
        return self.client.post(path, json=body, headers=self.csrf_headers)

    def post_form(self, path: str, data: dict) -> httpx.Response:
        return self.client.post(path, data={**data, "csrfmiddlewaretoken": self.client.cookies["csrftoken"]},
                                headers={"Referer": f"{self.client.base_url}{path}"})

    def create_api_key(self, name: str, scopes: list[str]) -> str:
        """On the API keys page, as an engineer does; the key is shown once."""
        response = self.post_form("/api-keys/", {"name": name, "scopes": scopes})
        response.raise_for_status()
        match = re.search(r'id="new-key">(ehk_[^<]+)<', response.text)
        assert match, "the API keys page did not show the new key"
        return match.group(1)


def _external_database(url: str) -> tuple[str, Callable[[], None]]:
    """A fresh database for the stack on the user's PostgreSQL server; returns its URL and a dropper."""
    import psycopg

    name = f"evalhub_stack_{uuid.uuid4().hex[:8]}"
    parsed = urlparse(url)
    admin = urlunparse(parsed._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return urlunparse(parsed._replace(path=f"/{name}")), drop


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)  # as Ctrl-C on `make run`
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    # Under the project's var/ (not the private pytest temp dir): the embedded PostgreSQL runs as its
    # own system user when started by root and must reach its data directory.
    var_dir = BASE_DIR / "var" / f"stack-{uuid.uuid4().hex[:8]}"
    var_dir.mkdir(parents=True)
    port, sim_port = _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items() if k not in _NOT_INHERITED}
    env.update({"EVALHUB_VAR_DIR": str(var_dir), "EVALHUB_PORT": str(port), "SIMULATOR_PORT": str(sim_port),
                "CELERY_CONCURRENCY": "2", "WEB_WORKERS": "2",
                "PYTHONUNBUFFERED": "1"})
    drop_database: Callable[[], None] | None = None
    broker_url = None
    user_database = os.environ.get("DATABASE_URL") if os.environ.get("EVALHUB_DATABASE_EMBEDDED") != "1" else None
    if user_database:
        env["DATABASE_URL"], drop_database = _external_database(user_database)
        broker_url = os.environ.get("CELERY_BROKER_URL") or None
        if broker_url:
            env["CELERY_BROKER_URL"] = broker_url
        env["CELERY_TASK_DEFAULT_QUEUE"] = f"evalhub-stack-{uuid.uuid4().hex[:8]}"
    log_path = var_dir / "make-run.log"
    log = log_path.open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "evalhub.run"], cwd=BASE_DIR, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    stack = Stack(url=f"http://127.0.0.1:{port}", log_path=log_path,
                  flavour="external" if user_database else "embedded", broker_url=broker_url, pid=proc.pid,
                  var_dir=var_dir)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while "EvalHub is running on" not in stack.log_tail(200_000):
            if proc.poll() is not None:
                pytest.fail(f"`python -m evalhub.run` exited with {proc.returncode}:\n{stack.log_tail()}")
            if time.monotonic() > deadline:
                pytest.fail(f"the stack did not start in {START_TIMEOUT:.0f} s:\n{stack.log_tail()}")
            time.sleep(1)
        yield stack
    finally:
        _stop(proc)
        log.close()
        if drop_database is not None:
            drop_database()
        if proc.returncode == 0 and not stack.failed:  # keep the data and log of a failure or an unclean stop
            shutil.rmtree(var_dir, ignore_errors=True)


@pytest.fixture
def browser_as(stack, browser) -> Iterator[Callable[[str], object]]:
    """``browser_as("engineer")`` → a Playwright page logged in through the login form."""
    contexts = []

    def open_as(username: str):
        context = browser.new_context(base_url=stack.url, viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.goto("/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", DEMO_PASSWORD)
        with page.expect_navigation():
            page.click("button[type=submit]")
        assert "/login/" not in page.url, f"login as {username} failed"
        return page

    yield open_as
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def engineer(stack) -> UserSession:
    return stack.session("engineer")


@pytest.fixture(scope="session")
def keys(engineer) -> dict[str, str]:
    """An ingest key and a read key, made on the API keys page."""
    return {"ingest": engineer.create_api_key("stack ingest", ["ingest"]),
            "read": engineer.create_api_key("stack read", ["read"])}


@pytest.fixture(scope="session")
def api(stack, keys) -> Callable[[str], httpx.Client]:
    """``api("read")`` → an HTTP client sending that key, as a service would."""
    clients: dict[str, httpx.Client] = {}

    def client(scope: str) -> httpx.Client:
        if scope not in clients:
            clients[scope] = httpx.Client(base_url=stack.url, timeout=30,
                                          headers={"Authorization": f"Bearer {keys[scope]}"})
        return clients[scope]

    return client


SUITE_ITEMS = 30


def _suite_jsonl(n: int) -> str:
    return "".join(json.dumps({"id": f"q{i}", "input": f"Compute {i} + {i + 3}.", "target": str(2 * i + 3),
                               "category": "sums"}) + "\n" for i in range(n))


@pytest.fixture(scope="session")
def stack_suite(engineer) -> str:
    """A small suite imported through the API, as the README shows."""
    slug = f"stack-sums-{uuid.uuid4().hex[:6]}"
    response = engineer.post_json("/api/v1/suites/import", {
        "suite": slug, "format": "auto", "default_grader": {"type": "numeric"}, "content": _suite_jsonl(SUITE_ITEMS)})
    assert response.status_code == 201, response.text
    return slug


