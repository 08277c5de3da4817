from django.db import migrations, models


class Migration(migrations.Migration):
    """Each pending row keeps its number of events, so the production page reads the backlog without parsing the
    rows' JSON; rows already waiting get theirs counted once here."""

    dependencies = [
        ('telemetry', '0012_pendingbatch'),
    ]

    operations = [
        migrations.AddField(
            model_name='pendingbatch',
            name='n_events',
            field=models.PositiveIntegerField(default=0, help_text="entries in ``events``: the backlog's size without parsing them"),
        ),
        migrations.RunSQL(
            "UPDATE telemetry_pendingbatch SET n_events = json_array_length(events::json)",
            reverse_sql=migrations.RunSQL.noop,
        ),
    ]
