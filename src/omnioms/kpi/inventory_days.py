"""Inventory days: how many days of cost of goods sold the stock held over a period stands for.

    inventory days = average inventory value over the period / (COGS of the period / days)

for finished goods, work in progress and materials, each from its own snapshots, and for the
three together (the sum of their averages over the same COGS, so the total's days are the sum
of the categories' days). The average of a category is the arithmetic mean of its value on
each day it was measured; several snapshots of one category on one day (one per warehouse or
site) add up first. Take snapshots at regular intervals (every day, or the period's first and
last day): the mean does not weigh irregular gaps.

Each figure is compared with a benchmark in days and a band around it (±20 % by default):
``inside`` when ``benchmark × (1 − band) ≤ days ≤ benchmark × (1 + band)``, which is the
target met; ``above`` means more stock than the benchmark allows (cash tied up), ``below``
less (a shortage risk). A period with no cost of goods sold has no inventory days (``None``)
and is not judged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from omnioms.core.money import Money
from omnioms.kpi.common import KpiInputError, fraction

BAND = Decimal("0.20")


class StockCategory(StrEnum):
    FINISHED_GOODS = "finished_goods"
    WORK_IN_PROGRESS = "work_in_progress"
    MATERIALS = "materials"


class BandPosition(StrEnum):
    BELOW = "below"
    INSIDE = "inside"
    ABOVE = "above"


@dataclass(frozen=True)
class InventorySnapshot:
    """The value of one category's stock (at cost) on one day."""

    day: date
    category: StockCategory
    value: Money

    def __post_init__(self) -> None:
        if not isinstance(self.day, date) or isinstance(self.day, datetime):
            raise KpiInputError("day", f"{self.day!r} is not a date")
        try:
            object.__setattr__(self, "category", StockCategory(self.category))
        except ValueError:
            known = ", ".join(StockCategory)
            raise KpiInputError("category", f"{self.category!r} is not one of {known}") from None
        if self.value.amount < 0:
            raise KpiInputError("value", f"{self.value.amount} is negative")


@dataclass(frozen=True)
class Benchmarks:
    """Benchmark inventory days per category and for the total; ``None``: not judged."""

    finished_goods: Decimal | None = None
    work_in_progress: Decimal | None = None
    materials: Decimal | None = None
    total: Decimal | None = None

    def __post_init__(self) -> None:
        for name in ("finished_goods", "work_in_progress", "materials", "total"):
            value = getattr(self, name)
            if value is None:
                continue
            number = Decimal(str(value))
            if not number.is_finite() or number <= 0:
                raise KpiInputError(name, f"benchmark {value} is not a number of days above 0")
            object.__setattr__(self, name, number)

    def of(self, category: StockCategory | None) -> Decimal | None:
        value: Decimal | None = getattr(self, category.value if category else "total")
        return value


@dataclass(frozen=True)
class InventoryDaysFigures:
    """One category's (or, with ``category`` ``None``, the total's) days and their band.

    ``snapshots`` is the number of days measured; ``low`` and ``high`` are the band's limits
    in days; ``met`` is ``position == inside``.
    """

    category: StockCategory | None
    snapshots: int
    average_value: Money | None
    days: Decimal | None
    benchmark: Decimal | None
    low: Decimal | None
    high: Decimal | None
    position: BandPosition | None
    met: bool | None


@dataclass(frozen=True)
class InventoryDaysReport:
    period_start: date
    period_end: date
    period_days: int
    cogs: Money
    cogs_per_day: Money
    band: Decimal
    categories: dict[StockCategory, InventoryDaysFigures]
    total: InventoryDaysFigures


def _judged(
    category: StockCategory | None,
    snapshots: int,
    average: Money | None,
    cogs: Money,
    period_days: int,
    benchmark: Decimal | None,
    band: Decimal,
) -> InventoryDaysFigures:
    days = None
    if average is not None and cogs.amount:
        # average / (cogs / period_days), multiplied first so a whole result stays whole
        days = average.amount * period_days / cogs.amount
    low = high = position = met = None
    if benchmark is not None:
        low, high = benchmark * (1 - band), benchmark * (1 + band)
        if days is not None:
            if days < low:
                position = BandPosition.BELOW
            elif days > high:
                position = BandPosition.ABOVE
            else:
                position = BandPosition.INSIDE
            met = position is BandPosition.INSIDE
    return InventoryDaysFigures(
        category=category,
        snapshots=snapshots,
        average_value=average,
        days=days,
        benchmark=benchmark,
        low=low,
        high=high,
        position=position,
        met=met,
    )


def inventory_days(
    snapshots: Sequence[InventorySnapshot],
    *,
    cogs: Money,
    period_start: date,
    period_end: date,
    benchmarks: Benchmarks | None = None,
    band: Decimal = BAND,
) -> InventoryDaysReport:
    """Inventory days of the period ``[period_start, period_end]`` (both days included)."""
    band = fraction(band, "band")
    benchmarks = benchmarks or Benchmarks()
    if period_end < period_start:
        raise KpiInputError("period_end", f"{period_end} is before the start {period_start}")
    if cogs.amount < 0:
        raise KpiInputError("cogs", f"{cogs.amount} is negative")
    period_days = (period_end - period_start).days + 1
    per_day: dict[StockCategory, dict[date, Decimal]] = {category: {} for category in StockCategory}
    for index, snapshot in enumerate(snapshots):
        if snapshot.value.currency != cogs.currency:
            raise KpiInputError(
                "value",
                f"is in {snapshot.value.currency}, the cost of goods sold in {cogs.currency}",
                index=index,
            )
        if not period_start <= snapshot.day <= period_end:
            raise KpiInputError(
                "day", f"{snapshot.day} is outside {period_start}..{period_end}", index=index
            )
        days = per_day[snapshot.category]
        days[snapshot.day] = days.get(snapshot.day, Decimal(0)) + snapshot.value.amount

    categories = {}
    total_amount: Decimal | None = None
    for category, values in per_day.items():
        average = None
        if values:
            amount = sum(values.values(), Decimal(0)) / len(values)
            average = Money(amount, cogs.currency)
            total_amount = amount if total_amount is None else total_amount + amount
        categories[category] = _judged(
            category, len(values), average, cogs, period_days, benchmarks.of(category), band
        )
    total_average = None if total_amount is None else Money(total_amount, cogs.currency)
    measured = len({day for values in per_day.values() for day in values})
    total = _judged(None, measured, total_average, cogs, period_days, benchmarks.of(None), band)
    return InventoryDaysReport(
        period_start=period_start,
        period_end=period_end,
        period_days=period_days,
        cogs=cogs,
        cogs_per_day=Money(cogs.amount / period_days, cogs.currency),
        band=band,
        categories=categories,
        total=total,
    )
