"""Inventory days: average stock over COGS per day, per category, judged against a band."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from omnioms.core.money import Money
from omnioms.kpi import (
    BandPosition,
    Benchmarks,
    InventoryDaysReport,
    InventorySnapshot,
    KpiInputError,
    StockCategory,
    inventory_days,
)

FG, WIP, MAT = (
    StockCategory.FINISHED_GOODS,
    StockCategory.WORK_IN_PROGRESS,
    StockCategory.MATERIALS,
)


def cny(amount: int | str) -> Money:
    return Money(Decimal(amount), "CNY")


def snap(day: int, category: StockCategory, amount: int) -> InventorySnapshot:
    return InventorySnapshot(date(2025, 3, day), category, cny(amount))


def worked_example() -> list[InventorySnapshot]:
    """The example of docs/kpi.md: March, COGS 3,100,000 (100,000 a day)."""
    return [
        snap(1, FG, 2_000_000),
        snap(31, FG, 2_400_000),
        snap(1, WIP, 500_000),
        snap(31, WIP, 700_000),
        snap(1, MAT, 1_200_000),
        snap(15, MAT, 1_000_000),
        snap(31, MAT, 1_100_000),
    ]


BENCHMARKS = Benchmarks(
    finished_goods=Decimal(20),
    work_in_progress=Decimal(4),
    materials=Decimal(15),
    total=Decimal(40),
)


def march(snapshots: list[InventorySnapshot], **options: object) -> InventoryDaysReport:
    return inventory_days(
        snapshots,
        cogs=cny(3_100_000),
        period_start=date(2025, 3, 1),
        period_end=date(2025, 3, 31),
        **options,  # type: ignore[arg-type]
    )


def test_worked_example_gives_the_documented_days_and_bands() -> None:
    report = march(worked_example(), benchmarks=BENCHMARKS)

    assert (report.period_days, report.cogs_per_day) == (31, cny(100_000))
    figures = report.categories
    assert figures[FG].average_value == cny(2_200_000)
    assert [figures[c].days for c in (FG, WIP, MAT)] == [22, 6, 11]
    assert [figures[c].position for c in (FG, WIP, MAT)] == [
        BandPosition.INSIDE,
        BandPosition.ABOVE,
        BandPosition.BELOW,
    ]
    assert [figures[c].met for c in (FG, WIP, MAT)] == [True, False, False]
    assert (figures[FG].low, figures[FG].high) == (16, 24)
    assert (report.total.days, report.total.position, report.total.met) == (
        39,
        BandPosition.INSIDE,
        True,
    )
    assert report.total.average_value == cny(3_900_000)


def test_the_band_is_a_parameter_and_its_limits_are_inside() -> None:
    narrow = march(worked_example(), benchmarks=BENCHMARKS, band=Decimal("0.05"))
    exact = march(
        worked_example(), benchmarks=Benchmarks(finished_goods=Decimal(20)), band=Decimal("0.10")
    )

    assert narrow.band == Decimal("0.05")
    assert narrow.categories[FG].position is BandPosition.ABOVE  # 22 > 20 × 1.05
    assert narrow.total.position is BandPosition.INSIDE  # 38 ≤ 39 ≤ 42
    assert exact.categories[FG].high == 22
    assert exact.categories[FG].met is True


def test_snapshots_of_one_category_on_one_day_add_up_before_the_average() -> None:
    snapshots = [snap(1, FG, 1_000_000), snap(1, FG, 1_000_000), snap(31, FG, 2_400_000)]

    report = march(snapshots)

    assert report.categories[FG].snapshots == 2
    assert report.categories[FG].days == 22


def test_a_category_without_snapshots_has_no_days_and_the_total_sums_the_others() -> None:
    report = march([snap(1, FG, 2_200_000)], benchmarks=BENCHMARKS)

    assert report.categories[WIP].days is None
    assert report.categories[WIP].met is None
    assert report.total.days == 22


def test_without_cost_of_goods_sold_there_are_no_days_and_no_verdict() -> None:
    report = inventory_days(
        worked_example(),
        cogs=cny(0),
        period_start=date(2025, 3, 1),
        period_end=date(2025, 3, 31),
        benchmarks=BENCHMARKS,
    )

    assert report.total.days is None
    assert (report.total.position, report.total.met) == (None, None)


@pytest.mark.parametrize(
    ("snapshot", "field"),
    [
        (InventorySnapshot(date(2025, 4, 1), FG, cny(1)), "day"),
        (InventorySnapshot(date(2025, 3, 1), FG, Money(Decimal(1), "USD")), "value"),
    ],
)
def test_a_snapshot_outside_the_period_or_in_another_currency_is_refused(
    snapshot: InventorySnapshot, field: str
) -> None:
    with pytest.raises(KpiInputError) as caught:
        march([snap(1, FG, 1), snapshot])

    assert (caught.value.field, caught.value.index) == (field, 1)


def test_negative_values_and_benchmarks_are_refused() -> None:
    with pytest.raises(KpiInputError, match="value"):
        snap(1, FG, -1)
    with pytest.raises(KpiInputError, match="materials"):
        Benchmarks(materials=Decimal(0))
    with pytest.raises(KpiInputError, match="cogs"):
        inventory_days([], cogs=cny(-1), period_start=date(2025, 3, 1), period_end=date(2025, 3, 1))
