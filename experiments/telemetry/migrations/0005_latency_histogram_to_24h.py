from django.db import migrations

# The latency histogram grew from 64 to 100 buckets (see experiments/telemetry/buckets.py) so that it
# covers every accepted latency (up to 24 h). The first 64 buckets keep their edges, so stored counts
# keep their meaning once padded with 36 empty buckets; only latencies over 120 s already stored stay
# in bucket 64's place (the old open-ended last bucket).
FORWARD = (
    "UPDATE telemetry_hourlyrollup SET latency_hist = latency_hist || array_fill(0::bigint, ARRAY[36]) "
    "WHERE cardinality(latency_hist) = 64"
)
BACKWARD = (
    "UPDATE telemetry_hourlyrollup SET latency_hist = latency_hist[1:63] || "
    "ARRAY[(SELECT sum(v) FROM unnest(latency_hist[64:100]) AS v)::bigint] WHERE cardinality(latency_hist) = 100"
)


class Migration(migrations.Migration):

    dependencies = [
        ("telemetry", "0004_errors_and_refusal_signals"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
