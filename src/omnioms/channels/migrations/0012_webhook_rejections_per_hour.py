"""Refused webhooks: one counter per account name, reason and hour, and the last five
examples per name and reason, instead of one row per refused delivery.

The rows of ``WebhookRejection`` are converted: counted per hour (UTC) with the time of the
last, names nobody holds beyond the first 20 of an hour counted together under ``*`` (as the
code now does), and each name's last five refusals per reason kept as examples. Going back
leaves the old table empty: the counts are not turned back into rows.
"""

from datetime import UTC

from django.db import migrations, models
from django.db.models import Count, Max
from django.db.models.functions import TruncHour

OTHER = "*"
UNKNOWN_NAMES_PER_HOUR = 20
EXAMPLES_KEPT = 5


def convert(apps, schema_editor):  # type: ignore[no-untyped-def]
    old = apps.get_model("channels", "WebhookRejection")
    counter = apps.get_model("channels", "WebhookRejectionCount")
    example = apps.get_model("channels", "WebhookRejectionExample")
    db = schema_editor.connection.alias
    hours = (
        old.objects.using(db)
        .annotate(hour=TruncHour("at", tzinfo=UTC))
        .values("account_name", "reason", "hour")
        .annotate(n=Count("pk"), last=Max("at"))
        .order_by("hour", "reason", "-n", "account_name")
    )
    rows: dict[tuple[str, str, object], object] = {}
    named: set[tuple[str, str]] = set()
    unknown_names: dict[object, int] = {}
    for row in hours.iterator():
        name, reason, hour = row["account_name"], row["reason"], row["hour"]
        if reason == "unknown_account":
            seen = unknown_names.get(hour, 0)
            if seen >= UNKNOWN_NAMES_PER_HOUR:
                name = OTHER
            else:
                unknown_names[hour] = seen + 1
        if name != OTHER:
            named.add((name, reason))
        key = (name, reason, hour)
        entry = rows.get(key)
        if entry is None:
            rows[key] = counter(
                account_name=name, reason=reason, hour=hour, count=row["n"], last_at=row["last"]
            )
        else:
            entry.count += row["n"]
            entry.last_at = max(entry.last_at, row["last"])
    counter.objects.using(db).bulk_create(rows.values(), batch_size=1000)
    examples = []
    for name, reason in sorted(named):
        last = (
            old.objects.using(db)
            .filter(account_name=name, reason=reason)
            .order_by("-at", "-pk")[:EXAMPLES_KEPT]
        )
        for slot, row in enumerate(reversed(list(last))):
            examples.append(
                example(
                    account_name=name,
                    reason=reason,
                    slot=slot,
                    at=row.at,
                    remote_addr=row.remote_addr,
                )
            )
    example.objects.using(db).bulk_create(examples, batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("channels", "0011_dead_letter_dismissal"),
    ]

    operations = [
        migrations.CreateModel(
            name="WebhookRejectionCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "account_name",
                    models.CharField(
                        help_text="The account the request's URL named.",
                        max_length=100,
                        verbose_name="account name",
                    ),
                ),
                (
                    "reason",
                    models.CharField(
                        choices=[
                            ("bad_signature", "Bad signature"),
                            ("unknown_account", "Unknown or inactive account"),
                        ],
                        max_length=30,
                        verbose_name="reason",
                    ),
                ),
                (
                    "hour",
                    models.DateTimeField(
                        help_text="The hour (UTC) the refusals fell in.", verbose_name="hour"
                    ),
                ),
                ("count", models.PositiveBigIntegerField(default=0, verbose_name="refused")),
                ("last_at", models.DateTimeField(verbose_name="last refused at")),
            ],
            options={
                "verbose_name": "refused webhooks in an hour",
                "verbose_name_plural": "refused webhooks per hour",
                "indexes": [models.Index(fields=["hour"], name="webhook_rejection_by_hour")],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("account_name", "reason", "hour"), name="webhook_rejection_hour"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="WebhookRejectionExample",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("account_name", models.CharField(max_length=100, verbose_name="account name")),
                (
                    "reason",
                    models.CharField(
                        choices=[
                            ("bad_signature", "Bad signature"),
                            ("unknown_account", "Unknown or inactive account"),
                        ],
                        max_length=30,
                        verbose_name="reason",
                    ),
                ),
                ("slot", models.PositiveSmallIntegerField(verbose_name="slot")),
                ("at", models.DateTimeField(verbose_name="rejected at")),
                (
                    "remote_addr",
                    models.GenericIPAddressField(
                        blank=True, null=True, verbose_name="remote address"
                    ),
                ),
            ],
            options={
                "verbose_name": "refused webhook",
                "verbose_name_plural": "refused webhooks",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("account_name", "reason", "slot"), name="webhook_rejection_example"
                    )
                ],
            },
        ),
        migrations.RunPython(convert, migrations.RunPython.noop),
        migrations.DeleteModel(
            name="WebhookRejection",
        ),
    ]
