"""`make run` supervises what it starts: a killed worker and a killed embedded PostgreSQL come back, and the
product keeps working afterwards. Runs after the flows (file order): it kills parts of the shared stack."""

from __future__ import annotations

import os
import re
import signal

import pytest

from tests.stack.conftest import wait_until

pytestmark = pytest.mark.stack


def _pid(stack, name: str) -> int:
    """The pid `make run` logged when it last started ``name``."""
    pids = re.findall(rf"\[evalhub\] {name} started \(pid (\d+)\)", _log(stack))
    assert pids, f"`make run` never logged starting {name}"
    return int(pids[-1])


def _log(stack) -> str:
    return stack.log_path.read_text(errors="replace")


def _run_finishes(engineer, api, suite: str) -> dict:
    response = engineer.post_json("/api/v1/suites/runs", {"suite": suite, "variant": "acme-7b-sft"})
    assert response.status_code == 201, response.text
    run_id = response.json()["id"]
    return wait_until(lambda: (r := api("read").get(f"/api/v1/suites/runs/{run_id}").json())["status"] == "done" and r,
                      timeout=180, what="an eval run to finish after the restart")


def test_a_killed_worker_is_restarted(stack, engineer, api, stack_suite):
    worker = _pid(stack, "worker")
    os.kill(worker, signal.SIGKILL)
    wait_until(lambda: "worker exited with code -9; restarting" in _log(stack), timeout=30,
               what="`make run` to log the worker's restart")
    wait_until(lambda: _pid(stack, "worker") != worker, timeout=30, what="a new worker process")
    assert _run_finishes(engineer, api, stack_suite)["n_done"] > 0


def test_the_embedded_database_is_brought_back(stack, engineer, api, stack_suite):
    if stack.flavour != "embedded":
        pytest.skip("the external flavour's database belongs to the user's server, not to `make run`")
    pid = int((stack.var_dir / "pgdata" / "postmaster.pid").read_text().split()[0])
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: "the embedded PostgreSQL is back" in _log(stack), timeout=60,
               what="`make run` to start the embedded PostgreSQL again")
    admin = stack.session("admin")
    wait_until(lambda: admin.get("/healthz").json()["status"] == "ok", timeout=120, what="/healthz ok again")
    assert _run_finishes(engineer, api, stack_suite)["n_done"] > 0
    assert "CRITICAL" not in _log(stack)  # the worker retried with back-off, no traceback storm
