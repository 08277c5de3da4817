"""EvalHub, the Django project.

The Celery app is imported here (Celery's documented Django pattern) so that every process that
loads Django — the web server, ``manage.py`` commands and workers alike — binds ``@shared_task`` to
*this* app and its configured broker (``settings.CELERY_BROKER_URL``), never Celery's default app.
Where Celery itself is not installed (a consumer of the pure ``evalhub.stats`` package), it is None.
"""

from __future__ import annotations

try:
    from .celery import app as celery_app
except ModuleNotFoundError as exc:
    # Only where Celery or Django is not installed at all: the pure ``evalhub.stats`` package must
    # stay importable there (tests/stats/test_purity.py). Any other missing module is a real error.
    if (exc.name or "").split(".")[0] not in ("celery", "django", "kombu"):
        raise
    celery_app = None

__all__ = ("celery_app",)
