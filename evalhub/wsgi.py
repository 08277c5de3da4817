from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

from evalhub.heap import freeze_startup_heap

# One BLAS thread per process: the stats engine solves many small systems, and web/worker
# processes already run in parallel; threaded BLAS made a 100x100 solve 500x slower under load.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "evalhub.settings")
application = get_wsgi_application()
freeze_startup_heap()
