"""`make run`'s supervisor (evalhub.run.Supervised): exited processes come back after a doubling back-off."""

from __future__ import annotations

import sys
import time

from evalhub import run


def _wait_exit(child: run.Supervised) -> None:
    assert child.proc is not None
    child.proc.wait(timeout=30)


def test_an_exited_process_is_restarted_with_a_doubling_backoff(monkeypatch, capsys):
    monkeypatch.setattr(run, "BACKOFF_FIRST", 0.05)
    child = run.Supervised("worker", [sys.executable, "-c", "raise SystemExit(3)"], env={}, backoff=0.05)
    child.start()
    first = child.proc
    _wait_exit(child)
    child.check(time.monotonic())
    assert "worker exited with code 3; restarting in 0 s (restart #1)" in capsys.readouterr().out
    assert child.proc is first  # not before the back-off
    time.sleep(0.06)
    child.check(time.monotonic())
    assert child.proc is not first
    assert child.restarts == 1
    _wait_exit(child)
    child.check(time.monotonic())
    assert child.restarts == 2
    assert child.backoff == 0.2  # 0.05 → 0.1 → 0.2
    child.stop()


def test_a_process_that_ran_long_enough_starts_over_from_the_first_backoff(monkeypatch):
    child = run.Supervised("web", [sys.executable, "-c", "import time; time.sleep(30)"], env={}, backoff=32.0)
    child.start()
    try:
        child.check(time.monotonic() + run.HEALTHY_AFTER + 1)
        assert child.backoff == run.BACKOFF_FIRST
    finally:
        child.stop()
        child.wait(time.monotonic() + 10)
    assert child.proc.poll() is not None


def test_the_backoff_is_capped():
    child = run.Supervised("beat", [sys.executable, "-c", "pass"], env={}, backoff=run.BACKOFF_MAX)
    child.start()
    _wait_exit(child)
    child.check(time.monotonic())
    assert child.backoff == run.BACKOFF_MAX
