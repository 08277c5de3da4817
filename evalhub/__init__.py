"""EvalHub, the Django project.

The Celery app is imported here (Celery's documented Django pattern) so that every process that
loads Django — the web server, ``manage.py`` commands and workers alike — binds ``@shared_task`` to
*this* app and its configured broker (``settings.CELERY_BROKER_URL``), never Celery's default app.
"""

from __future__ import annotations

from .celery import app as celery_app

__all__ = ("celery_app",)
