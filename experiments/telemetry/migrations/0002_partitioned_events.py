"""Create the time-partitioned events table (Django cannot create partitioned tables itself).

``telemetry_event`` is partitioned by RANGE (ts): one partition per UTC day named
``telemetry_event_pYYYYMMDD`` (created ahead by ``partitions_ensure_task``) plus
``telemetry_event_default`` for timestamps outside the created range. The primary key must include
the partition key, hence (event_id, ts); global uniqueness of event_id is ``telemetry_event_key``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db import migrations

CREATE = """
CREATE TABLE telemetry_event (
    event_id varchar(128) NOT NULL,
    ts timestamptz NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    source varchar(16) NOT NULL DEFAULT 'api',
    variant_id bigint NOT NULL,
    experiment_key varchar(100) NOT NULL DEFAULT '',
    arm varchar(100) NOT NULL DEFAULT '',
    unit_id varchar(200) NOT NULL DEFAULT '',
    session_id varchar(200) NOT NULL DEFAULT '',
    latency_ms double precision NULL,
    ttft_ms double precision NULL,
    input_tokens integer NOT NULL DEFAULT 0,
    output_tokens integer NOT NULL DEFAULT 0,
    reasoning_tokens integer NOT NULL DEFAULT 0,
    cost_usd double precision NOT NULL DEFAULT 0,
    cost_priced boolean NOT NULL DEFAULT false,
    finish_reason varchar(40) NOT NULL DEFAULT '',
    refused boolean NOT NULL DEFAULT false,
    refusal_source varchar(16) NOT NULL DEFAULT 'none',
    feedback smallint NULL,
    task_success boolean NULL,
    regenerate boolean NOT NULL DEFAULT false,
    reasked boolean NOT NULL DEFAULT false,
    prompt_text text NULL,
    response_text text NULL,
    scores jsonb NOT NULL DEFAULT '{}'::jsonb,
    metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
    PRIMARY KEY (event_id, ts)
) PARTITION BY RANGE (ts);
CREATE TABLE telemetry_event_default PARTITION OF telemetry_event DEFAULT;
"""

DROP = "DROP TABLE IF EXISTS telemetry_event CASCADE;"


def create_initial_partitions(apps, schema_editor) -> None:
    today = datetime.now(UTC).date()
    with schema_editor.connection.cursor() as cursor:
        for offset in range(-1, 8):
            day = today + timedelta(days=offset)
            nxt = day + timedelta(days=1)
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS telemetry_event_p{day:%Y%m%d} PARTITION OF telemetry_event "
                f"FOR VALUES FROM ('{day.isoformat()} 00:00:00+00') TO ('{nxt.isoformat()} 00:00:00+00')"
            )


class Migration(migrations.Migration):
    dependencies = [("telemetry", "0001_initial")]

    operations = [
        migrations.RunSQL(CREATE, DROP),
        migrations.RunPython(create_initial_partitions, migrations.RunPython.noop),
    ]
