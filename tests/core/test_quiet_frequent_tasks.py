"""The drain and the heartbeat, which run every few seconds, do not fill the worker's and beat's consoles; failures still show."""

from __future__ import annotations

import logging

import pytest

from evalhub.celery import QUIET_TASKS

DRAIN = "experiments.telemetry.tasks.pending_drain_task"


@pytest.mark.parametrize(("logger", "level", "message", "args", "shown"), [
    ("celery.beat", logging.INFO, "Scheduler: Sending due task %s (%s)", ("telemetry-pending-drain", DRAIN), False),
    ("celery.beat", logging.INFO, "Scheduler: Sending due task %s (%s)", ("judging-sweep", "judging.tasks.x"), True),
    ("celery.beat", logging.INFO, "Scheduler: Sending due task %s (%s)", ("core-heartbeat", "core.heartbeat"), False),
    ("celery.worker.strategy", logging.INFO, "Task %(name)s[%(id)s] received", ({"name": DRAIN, "id": "1"},), False),
    ("celery.app.trace", logging.INFO, "Task %(name)s[%(id)s] succeeded", ({"name": DRAIN, "id": "1"},), False),
    ("celery.app.trace", logging.INFO, "Task %(name)s[%(id)s] succeeded", ({"name": "judging.tasks.x", "id": "2"},), True),
    ("celery.app.trace", logging.ERROR, "Task %(name)s[%(id)s] raised", ({"name": DRAIN, "id": "3"},), True),
])
def test_only_the_frequent_drains_routine_lines_are_dropped(caplog, logger, level, message, args, shown) -> None:
    assert DRAIN in QUIET_TASKS
    with caplog.at_level(logging.INFO):
        logging.getLogger(logger).log(level, message, *args)
    assert bool(caplog.records) is shown
