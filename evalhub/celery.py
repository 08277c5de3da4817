"""The Celery application. Workers: ``celery -A evalhub worker``; tasks live in each app's ``tasks.py``."""

from __future__ import annotations

import logging
import os

from celery import Celery
from celery.signals import worker_process_init, worker_ready
from kombu.transport import TRANSPORT_ALIASES

from evalhub.heap import freeze_startup_heap

# One BLAS thread per process: the stats engine solves many small systems, and web/worker
# processes already run in parallel; threaded BLAS made a 100x100 solve 500x slower under load.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "evalhub.settings")

# ``sqla+…`` broker URLs use EvalHub's checked SQLAlchemy transport (see ``evalhub.broker``).
TRANSPORT_ALIASES["sqla"] = TRANSPORT_ALIASES["sqlalchemy"] = "evalhub.broker:Transport"

app = Celery("evalhub")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
@worker_process_init.connect
def _freeze_startup_heap(**_: object) -> None:
    """``worker_ready`` covers the threads and solo pools (tasks run in this process),
    ``worker_process_init`` each prefork child (see ``evalhub.heap``)."""
    freeze_startup_heap()


# Beat tasks that run every few seconds (the telemetry drain, every 5 s; the worker heartbeat, every 15 s): their
# INFO lines ("Sending due task", "received", "succeeded") would fill the console of `make run` and the worker's log
# with a dozen lines a minute. Warnings and failures still show. (Names as beat logs them, and as the worker does.)
QUIET_TASKS = frozenset({"experiments.telemetry.tasks.pending_drain_task", "telemetry-pending-drain",
                         "core.heartbeat", "core-heartbeat"})


class QuietFrequentTasks(logging.Filter):
    """Drops INFO records about the tasks in ``QUIET_TASKS`` (Celery logs a task's name as a format argument)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.INFO:
            return True
        args = record.args
        if isinstance(args, dict):
            return args.get("name") not in QUIET_TASKS
        return not any(isinstance(arg, str) and arg in QUIET_TASKS for arg in args or ())


for _name in ("celery.beat", "celery.worker.strategy", "celery.app.trace"):
    logging.getLogger(_name).addFilter(QuietFrequentTasks())
