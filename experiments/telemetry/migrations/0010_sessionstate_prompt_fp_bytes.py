"""Session states keep the prompt's re-ask fingerprint as packed big-endian int64s (``bytea``) instead of a
``bigint[]``: the ingest path packs it with one C call instead of writing an array literal of up to a few hundred
numbers per call, and the database stores it without parsing them. Stored states are converted (``int8send``
is each value's big-endian bytes), so a re-ask straddling the upgrade is still seen."""

from django.db import migrations, models

FORWARD = """
ALTER TABLE telemetry_sessionstate ADD COLUMN prompt_fp bytea NOT NULL DEFAULT '\\x'::bytea;
UPDATE telemetry_sessionstate SET prompt_fp = coalesce(
    (SELECT string_agg(int8send(v), ''::bytea ORDER BY i) FROM unnest(prompt_tokens) WITH ORDINALITY AS t(v, i)),
    '\\x'::bytea);
ALTER TABLE telemetry_sessionstate DROP COLUMN prompt_tokens;
ALTER TABLE telemetry_sessionstate ALTER COLUMN prompt_fp DROP DEFAULT;
"""

BACKWARD = """
ALTER TABLE telemetry_sessionstate ADD COLUMN prompt_tokens bigint[] NOT NULL DEFAULT '{}';
UPDATE telemetry_sessionstate SET prompt_tokens = coalesce(
    (SELECT array_agg(('x' || encode(substring(prompt_fp FROM 8 * i + 1 FOR 8), 'hex'))::bit(64)::bigint ORDER BY i)
     FROM generate_series(0, length(prompt_fp) / 8 - 1) AS i), '{}');
ALTER TABLE telemetry_sessionstate DROP COLUMN prompt_fp;
ALTER TABLE telemetry_sessionstate ALTER COLUMN prompt_tokens DROP DEFAULT;
"""


class Migration(migrations.Migration):
    dependencies = [("telemetry", "0009_event_features")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(FORWARD, BACKWARD)],
            state_operations=[
                migrations.RemoveField("sessionstate", "prompt_tokens"),
                migrations.AddField("sessionstate", "prompt_fp", models.BinaryField(blank=True, default=b"")),
            ],
        ),
    ]
