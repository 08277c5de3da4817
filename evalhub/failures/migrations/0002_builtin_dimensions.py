from django.db import migrations

BUILTIN = [
    ("language", "derived", "language", "language of the prompt"),
    ("turns", "derived", "turns", "user turns in the conversation: 1, 2-3, 4+"),
    ("prompt_length", "derived", "prompt_length", "short (< 200 characters), medium, long (≥ 1,000)"),
    ("contains_code", "derived", "contains_code", "the prompt contains code"),
    ("recent_events", "derived", "recent_events", "the prompt asks about recent events or dates"),
    ("safety_sensitive", "derived", "safety_sensitive", "a safety-sensitive request"),
    ("category", "suite_category", "", "suite item category"),
    ("tags", "suite_tag", "tags", "suite item tags (metadata 'tags')"),
    ("category", "campaign_category", "", "campaign prompt category"),
    ("route", "event_attribute", "route", "production route (event metadata 'route')"),
    ("feature", "event_attribute", "feature", "product feature (event metadata 'feature')"),
    ("segment", "event_attribute", "segment", "user segment (event metadata 'segment')"),
    ("topic", "event_attribute", "topic", "prompt topic (event metadata 'topic')"),
]


def seed(apps, schema_editor):
    Dimension = apps.get_model("failures", "Dimension")
    for name, kind, key, description in BUILTIN:
        Dimension.objects.get_or_create(name=name, kind=kind, active=True,
                                        defaults={"key": key, "description": description, "builtin": True})


class Migration(migrations.Migration):

    dependencies = [
        ("failures", "0001_dimensions_and_analyses"),
    ]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
