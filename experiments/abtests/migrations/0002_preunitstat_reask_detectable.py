from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('abtests', '0001_initial'),
        ('telemetry', '0007_reask_detectable'),
    ]

    operations = [
        migrations.AddField(
            model_name='preunitstat',
            name='reask_detectable',
            field=models.BigIntegerField(default=0),
        ),
        migrations.RunSQL("ALTER TABLE abtests_preunitstat ALTER COLUMN reask_detectable SET DEFAULT 0",
                          migrations.RunSQL.noop),
    ]
