from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('telemetry', '0008_reask_detectable'),
    ]

    # telemetry_event is partitioned and unmanaged (migration 0002): ALTER TABLE on the parent adds the
    # column to every partition. A constant default adds no rewrite.
    operations = [
        migrations.RunSQL(
            "ALTER TABLE telemetry_event ADD COLUMN IF NOT EXISTS features jsonb NOT NULL DEFAULT '{}'::jsonb",
            "ALTER TABLE telemetry_event DROP COLUMN IF EXISTS features",
        ),
    ]
