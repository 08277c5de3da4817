"""A throwaway EvalHub web process for the database-outage test (not a test module).

Run as ``python -m tests.telemetry.live_app PORT`` with DATABASE_URL pointing at a private
PostgreSQL: migrates what ingestion needs, creates an ingest key, prints ``READY <key>`` and serves
HTTP on 127.0.0.1:PORT until killed.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "evalhub.settings")


def main() -> None:
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.core.servers.basehttp import run
    from django.core.wsgi import get_wsgi_application

    from evalhub.core.services import api_key_create, roles_ensure
    from tests.factories import VariantFactory

    call_command("migrate", verbosity=0)
    owner = User.objects.create_user("outage-test", password=None)
    owner.groups.add(roles_ensure()["engineer"])  # ingest keys work for engineers and admins only
    raw = api_key_create(owner=owner, name="outage", scopes=["ingest"])[1]
    VariantFactory(slug="outage-variant")
    print(f"READY {raw}", flush=True)
    run("127.0.0.1", int(sys.argv[1]), get_wsgi_application(), threading=True)


if __name__ == "__main__":
    main()
