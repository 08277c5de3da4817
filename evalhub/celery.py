"""The Celery application. Workers: ``celery -A evalhub worker``; tasks live in each app's ``tasks.py``."""

from __future__ import annotations

import gc
import os

from celery import Celery
from celery.signals import worker_process_init, worker_ready

# One BLAS thread per process: the stats engine solves many small systems, and web/worker
# processes already run in parallel; threaded BLAS made a 100x100 solve 500x slower under load.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "evalhub.settings")

app = Celery("evalhub")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
@worker_process_init.connect
def _freeze_startup_heap(**_: object) -> None:
    """Move the objects that exist once the worker is up (Django, Celery, kombu, every task's module:
    hundreds of thousands) out of the garbage collector's reach; they live as long as the process.

    Otherwise each full collection walks them all while holding the GIL: a task allocating a few
    thousand rows set one off that stalled every lane of a run for ~125 ms. ``worker_ready`` covers
    the threads and solo pools (tasks run in this process), ``worker_process_init`` prefork children.
    """
    gc.collect()
    gc.freeze()
