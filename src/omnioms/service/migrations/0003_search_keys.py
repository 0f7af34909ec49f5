"""Exact-match keys of the search entries (docs/service.md, "Search"), filled from the
documents already stored (the rule of ``service.domain.document_keys``, copied here so that
this migration keeps meaning what it meant)."""

import re

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

_DROP = re.compile(r"[\s\-]+")


def _keys(document):
    keys = {}
    for part in document.split(" | "):
        part = part.strip()
        key = _DROP.sub("", part.lower())
        if (
            part
            and not any(c.isspace() for c in part)
            and 5 <= len(key) <= 100
            and any(c.isdigit() or c == "@" for c in key)
        ):
            keys[key] = None
    return list(keys)


def fill_keys(apps, schema_editor):
    entry_model = apps.get_model("service", "SearchEntry")
    key_model = apps.get_model("service", "SearchKey")
    last = 0
    while True:
        rows = list(
            entry_model.objects.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", "document", "updated_at")[:2000]
        )
        if not rows:
            return
        key_model.objects.bulk_create(
            key_model(entry_id=pk, key=key, updated_at=at)
            for pk, document, at in rows
            for key in _keys(document)
        )
        last = rows[-1][0]


class Migration(migrations.Migration):
    dependencies = [
        ("service", "0002_search_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="SearchKey",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("key", models.CharField(max_length=100, verbose_name="key")),
                (
                    "updated_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="updated at"
                    ),
                ),
                (
                    "entry",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="keys",
                        to="service.searchentry",
                        verbose_name="search entry",
                    ),
                ),
            ],
            options={
                "verbose_name": "search key",
                "verbose_name_plural": "search keys",
                "indexes": [models.Index(fields=["key", "-updated_at"], name="service_search_key")],
            },
        ),
        migrations.RunPython(fill_keys, migrations.RunPython.noop),
    ]
