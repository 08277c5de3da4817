from __future__ import annotations

import gc
import os

from django.core.wsgi import get_wsgi_application

# One BLAS thread per process: the stats engine solves many small systems, and web/worker
# processes already run in parallel; threaded BLAS made a 100x100 solve 500x slower under load.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "evalhub.settings")
application = get_wsgi_application()

# Everything loaded so far (Django, the apps, numpy, scipy) lives as long as the process: move it
# out of the cyclic garbage collector's reach. Otherwise each full collection — which the objects
# a 1,000-event ingestion batch allocates trigger every few requests — re-traverses all of it;
# that made validating a batch 4x slower in a web process than in a bare script.
gc.freeze()
