"""The exception types a new installation starts with; a manager changes them on the
exception types page (configured, not coded)."""

from django.db import migrations

TYPES = [
    # code, name, standard, tolerance, hours to acknowledge, to resolve, owner role
    (
        "material_variance",
        "Material variance",
        "Material issued within 2 % of the BOM standard for the good quantity",
        "0.02",
        4,
        48,
        "supervisor",
    ),
    ("scrap", "Scrap", "Scrap within 3 % of what was made", "0.03", 2, 24, "supervisor"),
    (
        "behind_plan",
        "Behind plan",
        "Each day's good quantity within 10 % of the plan",
        "0.10",
        2,
        24,
        "supervisor",
    ),
    (
        "late_finish",
        "Late finish",
        "Orders finish no more than 4 hours after the plan",
        "4",
        2,
        24,
        "planner",
    ),
    ("t3", "T-3 warning", "Every order is finished 3 days before it is due", "0", 4, 24, "planner"),
]
# (level, hours overdue, role): the chain ends with the production manager.
CHAIN = [(1, 0, "supervisor"), (2, 4, "planner"), (3, 12, "manager")]
T3_CHAIN = [(1, 0, "planner"), (2, 4, "manager")]


def create(apps, schema_editor):
    ExceptionType = apps.get_model("floor", "ExceptionType")
    EscalationStep = apps.get_model("floor", "EscalationStep")
    KpiTargets = apps.get_model("floor", "KpiTargets")
    SiteClose = apps.get_model("floor", "SiteClose")
    for code, name, standard, tolerance, ack, resolve, role in TYPES:
        kind, created = ExceptionType.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "standard": standard,
                "tolerance": tolerance,
                "hours_to_acknowledge": ack,
                "hours_to_resolve": resolve,
                "owner_role": role,
            },
        )
        if created:
            for level, hours, step_role in T3_CHAIN if code == "t3" else CHAIN:
                EscalationStep.objects.create(
                    type=kind, level=level, after_hours=hours, role=step_role
                )
    if not KpiTargets.objects.exists():
        KpiTargets.objects.create()
    if not SiteClose.objects.filter(site__isnull=True).exists():
        SiteClose.objects.create()


class Migration(migrations.Migration):
    dependencies = [("floor", "0001_initial")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
