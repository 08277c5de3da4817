"""Count the answers whose re-ask could be seen: the re-ask rate's denominator.

An answer can only be found re-asked when another call of its scope (user or session, as
``TELEMETRY_REASK_SCOPE``) follows it within ``TELEMETRY_REASK_WINDOW_SECONDS``. Stored events are
back-filled with that rule (``lead(ts)`` per scope key), and the rollups' new counters with the
flagged events, so existing data gets the same denominator new data does.
"""

from django.conf import settings
from django.db import migrations, models


def backfill(apps, schema_editor) -> None:
    if settings.TELEMETRY_REASK_SCOPE == "user":
        key = "CASE WHEN unit_id <> '' THEN 'u:' || unit_id WHEN session_id <> '' THEN 's:' || session_id ELSE '' END"
    else:
        key = "CASE WHEN session_id <> '' THEN 's:' || session_id WHEN unit_id <> '' THEN 'u:' || unit_id ELSE '' END"
    window = float(settings.TELEMETRY_REASK_WINDOW_SECONDS)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"""
            UPDATE telemetry_event e SET reask_detectable = true
            FROM (SELECT event_id, ts, k, lead(ts) OVER (PARTITION BY k ORDER BY ts, event_id) AS next_ts
                  FROM (SELECT event_id, ts, {key} AS k FROM telemetry_event) keyed WHERE k <> '') f
            WHERE e.event_id = f.event_id AND e.ts = f.ts
              AND (e.reasked OR f.next_ts - f.ts <= make_interval(secs => %s))
        """, [window])
        cursor.execute("""
            UPDATE telemetry_hourlyrollup r SET reask_detectable = s.c
            FROM (SELECT date_trunc('hour', ts, 'UTC') AS hour, variant_id, experiment_key, arm, count(*) AS c
                  FROM telemetry_event WHERE reask_detectable GROUP BY 1, 2, 3, 4) s
            WHERE r.hour = s.hour AND r.variant_id = s.variant_id AND r.experiment_key = s.experiment_key AND r.arm = s.arm
        """)
        cursor.execute("""
            UPDATE telemetry_unitrollup r SET reask_detectable = s.c
            FROM (SELECT experiment_key, arm, unit_id, count(*) AS c FROM telemetry_event
                  WHERE reask_detectable AND experiment_key <> '' AND unit_id <> '' GROUP BY 1, 2, 3) s
            WHERE r.experiment_key = s.experiment_key AND r.arm = s.arm AND r.unit_id = s.unit_id
        """)


class Migration(migrations.Migration):

    dependencies = [
        ('telemetry', '0007_refusal_judge'),
    ]

    # telemetry_event is partitioned and unmanaged (migration 0002): its new column is added by hand.
    operations = [
        migrations.RunSQL(
            "ALTER TABLE telemetry_event ADD COLUMN IF NOT EXISTS reask_detectable boolean NOT NULL DEFAULT false",
            "ALTER TABLE telemetry_event DROP COLUMN IF EXISTS reask_detectable",
        ),
        migrations.AddField(
            model_name='hourlyrollup',
            name='reask_detectable',
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='unitrollup',
            name='reask_detectable',
            field=models.BigIntegerField(default=0),
        ),
        # A database default too, so writers that list the older columns only (bulk COPYs) keep working.
        migrations.RunSQL(
            "ALTER TABLE telemetry_hourlyrollup ALTER COLUMN reask_detectable SET DEFAULT 0; "
            "ALTER TABLE telemetry_unitrollup ALTER COLUMN reask_detectable SET DEFAULT 0",
            migrations.RunSQL.noop,
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
