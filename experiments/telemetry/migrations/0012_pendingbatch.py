from django.db import migrations


class Migration(migrations.Migration):
    """The pending row now carries re-ask scopes as well as prompts (``PendingBatch``); rows written before
    (``[event_id, ts, prompt, turns]``) are still drained: they derive features only."""

    dependencies = [
        ('telemetry', '0011_pendingfeatures'),
    ]

    operations = [
        migrations.RenameModel('PendingFeatures', 'PendingBatch'),
    ]
