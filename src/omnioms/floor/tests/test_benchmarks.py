"""The peer inventory-days figures shipped with omnioms, and the page that picks one."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from omnioms.core.roles import Role
from omnioms.floor.benchmarks import peer_figures
from omnioms.floor.kpis import benchmark_days
from omnioms.floor.models import InventoryBenchmark, KpiTargets
from omnioms.testing import make_user

pytestmark = pytest.mark.django_db


def test_the_table_ships_every_sourced_figure_with_its_arithmetic() -> None:
    rows = list(InventoryBenchmark.objects.all())
    shipped = peer_figures()

    assert len(rows) == len(shipped) >= 5
    assert {r.segment for r in rows} >= {"Apparel", "Cosmetics", "Electronics (PCs and printers)"}
    for row in rows:
        assert row.source
        assert row.url.startswith("https://")
        assert f"= {row.days}." in row.method  # the method ends in the days it computes


def test_each_figure_is_its_average_inventory_over_cost_of_goods_sold_times_365() -> None:
    nike = InventoryBenchmark.objects.get(company="Nike, Inc.", year=2024)
    # (7,519,000 + 8,454,000) / 2 / 28,475,000 x 365
    assert nike.days == Decimal("102.4")


def test_a_manager_picks_a_peer_figure_and_the_kpi_is_judged_against_it(client: Client) -> None:
    client.force_login(make_user(Role.MANAGER))
    hp = InventoryBenchmark.objects.get(company="HP Inc.", year=2024)

    page = client.get(reverse("floor:benchmarks")).content.decode()
    for text in ("Electronics (PCs and printers)", "HP Inc.", "2024", "63.8", hp.url):
        assert text in page
    client.post(reverse("floor:benchmarks"), {"benchmark": hp.pk})

    assert benchmark_days() == (Decimal("63.8"), hp)


def test_the_company_enters_its_own_days_and_nonsense_is_refused(client: Client) -> None:
    client.force_login(make_user(Role.MANAGER))

    refused = client.post(reverse("floor:benchmarks"), {"benchmark": "own", "own_days": "-4"})
    assert refused.status_code == 400
    assert "own days" in refused.content.decode()
    client.post(reverse("floor:benchmarks"), {"benchmark": "own", "own_days": "45"})

    assert KpiTargets.objects.get().own_benchmark_days == Decimal("45.0")
    assert benchmark_days() == (Decimal("45.0"), None)


def test_someone_who_may_not_change_the_targets_cannot_pick(client: Client) -> None:
    client.force_login(make_user(Role.PLANNER))
    hp = InventoryBenchmark.objects.get(company="HP Inc.", year=2024)

    answer = client.post(reverse("floor:benchmarks"), {"benchmark": hp.pk})

    assert answer.status_code == 400
    assert not KpiTargets.objects.filter(benchmark=hp).exists()
