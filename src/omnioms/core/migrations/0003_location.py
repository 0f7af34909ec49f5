"""``Location`` moves from ``inventory`` to ``core``: every app stands on it (a store clerk's
store, a channel account's location, an order's fulfilling location), so it sits at the bottom
of the layers. State only here; the table keeps its rows, and the content type (with the
permissions attached to it) follows the model."""

from django.db import migrations, models


def move_content_type(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    content_type.objects.filter(app_label="inventory", model="location").update(app_label="core")


def move_content_type_back(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    content_type.objects.filter(app_label="core", model="location").update(app_label="inventory")


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_field_labels"),
        ("inventory", "0002_stock"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Location",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("code", models.SlugField(unique=True, verbose_name="code")),
                        ("name", models.CharField(max_length=200, verbose_name="name")),
                        (
                            "kind",
                            models.CharField(
                                choices=[("warehouse", "Warehouse"), ("store", "Store")],
                                max_length=20,
                                verbose_name="kind",
                            ),
                        ),
                        (
                            "province",
                            models.CharField(blank=True, max_length=100, verbose_name="province"),
                        ),
                        (
                            "city",
                            models.CharField(blank=True, max_length=100, verbose_name="city"),
                        ),
                        ("is_active", models.BooleanField(default=True, verbose_name="active")),
                    ],
                    options={
                        "verbose_name": "location",
                        "verbose_name_plural": "locations",
                        "ordering": ["code"],
                        "db_table": "inventory_location",
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_type, move_content_type_back),
    ]
