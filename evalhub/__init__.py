"""EvalHub, the Django project.

The Celery app is imported here (Celery's documented Django pattern) so that every process that loads
Django — the web server, ``manage.py`` commands and workers alike — binds ``@shared_task`` to *this* app
and its configured broker (``settings.CELERY_BROKER_URL``), never to Celery's default app.

``evalhub.stats`` is pure and must import where Celery is not installed (``tests/stats/test_purity.py``
runs it so): only that case — Celery itself missing — skips the import. Any other import error is raised.
"""

from __future__ import annotations

try:
    from .celery import app as celery_app
except ModuleNotFoundError as exc:  # pragma: no cover - only without Celery installed
    if (exc.name or "").split(".")[0] not in {"celery", "kombu"}:
        raise
else:
    __all__ = ("celery_app",)
