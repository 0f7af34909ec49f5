"""Quotes' discount limits move from the account's options into its flow.

Before, an account's ``options["sales"]`` held ``discount_limit``, ``approval_above`` and
``self_approval``. They become the ``discounts`` of the account's flow version: the account's
own flow's current version gains them (the limits were in force already, so the version keeps
its stages and actions and behaves as before); an account on its platform's default flow gets
a flow of its own, a copy of the default's current version with its limits (as the editor
does the first time an account's flow is edited), and its open orders run under it. The keys
leave the options. Backwards, the limits go back into the options.
"""

from typing import Any

from django.db import migrations
from django.utils import timezone

KEYS = {"discount_limit": "maximum", "approval_above": "without_approval"}


def _limits(sales: dict[str, Any]) -> dict[str, Any]:
    discounts: dict[str, Any] = {}
    for old, new in KEYS.items():
        if old in sales:
            discounts[new] = str(sales[old])
    if "self_approval" in sales:
        discounts["self_approval"] = bool(sales["self_approval"])
    return discounts


def forwards(apps: Any, schema_editor: Any) -> None:
    ChannelAccount = apps.get_model("channels", "ChannelAccount")
    Flow = apps.get_model("flows", "Flow")
    FlowVersion = apps.get_model("flows", "FlowVersion")
    Order = apps.get_model("orders", "Order")
    for account in ChannelAccount.objects.all():
        options = account.options if isinstance(account.options, dict) else {}
        sales = options.get("sales")
        if not isinstance(sales, dict) or not (set(sales) & {*KEYS, "self_approval"}):
            continue
        discounts = _limits(sales)
        own = Flow.objects.filter(account=account).first()
        if own is not None and own.current_id is not None:
            version = FlowVersion.objects.get(pk=own.current_id)
            version.definition = {**version.definition, "discounts": discounts}
            version.save(update_fields=["definition"])
        else:
            default = Flow.objects.filter(account=None, platform=account.platform).first()
            source = (
                FlowVersion.objects.get(pk=default.current_id)
                if default is not None and default.current_id
                else None
            )
            if source is None:
                continue  # no flow yet: the limits stay in the options for a person to move
            own = Flow.objects.create(
                name=default.name, account=account, preset=default.preset, platform=""
            )
            first = FlowVersion.objects.create(
                flow=own,
                number=1,
                state="published",
                definition={**source.definition, "discounts": discounts},
                published_at=timezone.now(),
            )
            own.current = first
            own.save(update_fields=["current"])
            final = [s["key"] for s in source.definition.get("stages", []) if s.get("final")]
            Order.objects.filter(account=account, flow_version=source).exclude(
                stage__in=final
            ).update(flow_version=first)
        rest = {key: value for key, value in sales.items() if key not in {*KEYS, "self_approval"}}
        if rest:
            options["sales"] = rest
        else:
            options.pop("sales")
        account.options = options
        account.save(update_fields=["options"])


def backwards(apps: Any, schema_editor: Any) -> None:
    Flow = apps.get_model("flows", "Flow")
    FlowVersion = apps.get_model("flows", "FlowVersion")
    for flow in Flow.objects.exclude(account=None).exclude(current=None).select_related("account"):
        definition = FlowVersion.objects.get(pk=flow.current_id).definition
        discounts = definition.get("discounts") if isinstance(definition, dict) else None
        if not discounts:
            continue
        account = flow.account
        options = account.options if isinstance(account.options, dict) else {}
        sales = dict(options.get("sales") or {})
        for old, new in KEYS.items():
            if new in discounts:
                sales[old] = discounts[new]
        if "self_approval" in discounts:
            sales["self_approval"] = discounts["self_approval"]
        options["sales"] = sales
        account.options = options
        account.save(update_fields=["options"])


class Migration(migrations.Migration):
    dependencies = [
        ("flows", "0002_presets_for_every_platform"),
        ("channels", "0012_webhook_rejections_per_hour"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
