"""Published peer figures of inventory days (``floor/benchmarks/peer_figures.json``; where
each comes from and how its days were computed: ``floor/benchmarks/SOURCES.md``)."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def load(apps: Any, schema_editor: Any) -> None:
    from omnioms.floor.benchmarks import peer_figures

    benchmark = apps.get_model("floor", "InventoryBenchmark")
    for row in peer_figures():
        benchmark.objects.update_or_create(
            segment=row["segment"],
            company=row["company"],
            year=row["year"],
            defaults={
                "days": row["days"],
                "source": row["source"],
                "url": row["url"],
                "method": row["method"],
            },
        )


def unload(apps: Any, schema_editor: Any) -> None:
    from omnioms.floor.benchmarks import peer_figures

    benchmark = apps.get_model("floor", "InventoryBenchmark")
    for row in peer_figures():
        benchmark.objects.filter(
            segment=row["segment"], company=row["company"], year=row["year"], url=row["url"]
        ).delete()


class Migration(migrations.Migration):
    dependencies = [("floor", "0004_commit_dates_promise_rules_benchmark_sources")]

    operations = [migrations.RunPython(load, unload)]
