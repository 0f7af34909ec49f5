from typing import Any

from django.db import migrations, models
from django.db.models import F
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce


def fill_channel_status(apps: Any, schema_editor: Any) -> None:
    """What the channel last reported is the status of the snapshot the order was last
    written from; one UPDATE, whatever the number of orders."""
    Order = apps.get_model("orders", "Order")
    Order.objects.update(channel_status=Coalesce(KT("normalized__status"), F("status")))


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0006_location_in_core"),
    ]

    operations = [
        migrations.AddField(
            model_name="order",
            name="channel_status",
            field=models.CharField(
                blank=True,
                choices=[
                    ("draft", "Draft"),
                    ("pending_payment", "Pending payment"),
                    ("paid", "Paid"),
                    ("partially_shipped", "Partially shipped"),
                    ("shipped", "Shipped"),
                    ("completed", "Completed"),
                    ("cancelled", "Cancelled"),
                    ("refunded", "Refunded"),
                ],
                help_text=(
                    "The unified status of the channel's last version; differs from the status "
                    "when someone in omnioms moved the order on since."
                ),
                max_length=30,
                verbose_name="status the channel reported",
            ),
        ),
        migrations.RunPython(fill_channel_status, migrations.RunPython.noop, elidable=True),
    ]
