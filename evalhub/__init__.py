"""EvalHub, the Django project.

The Celery app (``evalhub.celery``) is loaded by ``evalhub.core.apps.CoreConfig.ready()``, which every
Django process runs at start-up — the web server, ``manage.py`` commands and workers alike — so
``@shared_task`` binds to *this* app and its configured broker (``settings.CELERY_BROKER_URL``), never to
Celery's default app. That is Celery's documented Django pattern moved from this file into ``ready()``:
importing ``evalhub.stats`` must not import Celery or Django (the statistics engine is pure).
"""
