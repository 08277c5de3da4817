"""The pre-period (CUPED) counters get the re-ask rate's new denominator, back-filled from the stored
events of each unit's pre-period (``pre_period_capture``'s window: the 14 days before the start)."""

from django.db import migrations, models

BACKFILL = """
UPDATE abtests_preunitstat p SET reask_detectable = s.c
FROM (SELECT ps.id, count(*) AS c
      FROM abtests_preunitstat ps
           JOIN abtests_experiment x ON x.id = ps.experiment_id
           JOIN telemetry_event e ON e.unit_id = ps.unit_id AND e.experiment_key = ''
                AND e.ts >= x.started_at - interval '14 days' AND e.ts < x.started_at
      WHERE e.reask_detectable AND x.started_at IS NOT NULL
      GROUP BY ps.id) s
WHERE p.id = s.id
"""


class Migration(migrations.Migration):

    dependencies = [
        ('abtests', '0001_initial'),
        ('telemetry', '0008_reask_detectable'),
    ]

    operations = [
        migrations.AddField(
            model_name='preunitstat',
            name='reask_detectable',
            field=models.BigIntegerField(default=0),
        ),
        migrations.RunSQL("ALTER TABLE abtests_preunitstat ALTER COLUMN reask_detectable SET DEFAULT 0",
                          migrations.RunSQL.noop),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
    ]
