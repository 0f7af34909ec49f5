"""Every platform starts with the preset that fits it, and every order is placed in its flow.

Reads the preset files as they are when the migration runs (they are data, like a fixture).
"""

from typing import Any

from django.db import migrations
from django.db.models import Case, Value, When


def forwards(apps: Any, schema_editor: Any) -> None:
    from omnioms.core.choices import Platform
    from omnioms.flows.definition import Definition
    from omnioms.flows.presets import preset, preset_for

    Flow = apps.get_model("flows", "Flow")
    FlowVersion = apps.get_model("flows", "FlowVersion")
    Order = apps.get_model("orders", "Order")
    for platform in Platform.values:
        if Flow.objects.filter(account=None, platform=platform).exists():
            continue
        name = preset_for(platform)
        data = preset(name)
        flow = Flow.objects.create(name=data["name"], platform=platform, preset=name)
        version = FlowVersion.objects.create(
            flow=flow, number=1, state="published", definition=data
        )
        flow.current = version
        flow.save(update_fields=["current"])
        definition = Definition.model_validate(data)
        Order.objects.filter(account__platform=platform, flow_version=None).update(
            flow_version=version,
            stage=Case(
                *(
                    When(status=status, then=Value(definition.stage_for_status(status) or status))
                    for status in (
                        "draft",
                        "pending_payment",
                        "paid",
                        "partially_shipped",
                        "shipped",
                        "completed",
                        "cancelled",
                        "refunded",
                    )
                ),
                default=Value(""),
            ),
        )


class Migration(migrations.Migration):
    dependencies = [
        ("flows", "0001_initial"),
        ("orders", "0009_order_stage_flow_version_conflict_line_tallies"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
