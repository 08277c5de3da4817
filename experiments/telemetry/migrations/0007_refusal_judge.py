from django.db import migrations, models

# telemetry_event is partitioned and unmanaged (created in 0002): its columns are added with SQL, which
# PostgreSQL propagates to every partition; the model state follows.
ADD_EVENT_COLUMNS = (
    "ALTER TABLE telemetry_event ADD COLUMN IF NOT EXISTS judge_input_tokens integer NULL, "
    "ADD COLUMN IF NOT EXISTS judge_output_tokens integer NULL, ADD COLUMN IF NOT EXISTS judge_cost_usd double precision NULL;"
)
DROP_EVENT_COLUMNS = (
    "ALTER TABLE telemetry_event DROP COLUMN IF EXISTS judge_input_tokens, DROP COLUMN IF EXISTS judge_output_tokens, "
    "DROP COLUMN IF EXISTS judge_cost_usd;"
)


class Migration(migrations.Migration):

    dependencies = [
        ('telemetry', '0006_model_alias_prefix'),
    ]

    operations = [
        migrations.RunSQL(
            ADD_EVENT_COLUMNS, DROP_EVENT_COLUMNS,
            state_operations=[
                migrations.AddField(model_name='event', name='judge_input_tokens', field=models.IntegerField(null=True)),
                migrations.AddField(model_name='event', name='judge_output_tokens', field=models.IntegerField(null=True)),
                migrations.AddField(model_name='event', name='judge_cost_usd', field=models.FloatField(null=True)),
            ],
        ),
        migrations.AlterField(
            model_name='event',
            name='refusal_source',
            field=models.CharField(help_text='client | api_refusal | finish_reason | text | judge | none', max_length=16),
        ),
        migrations.AddField(
            model_name='hourlyrollup',
            name='refusals_judge',
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='hourlyrollup',
            name='judge_calls',
            field=models.BigIntegerField(default=0, help_text='answers the refusal judge read'),
        ),
        migrations.AddField(
            model_name='hourlyrollup',
            name='judge_cost_sum',
            field=models.FloatField(default=0.0, help_text="what the refusal judge's calls cost (USD)"),
        ),
    ]
