"""The KPIs of a simulated run, from the real KPI engines (``omnioms.kpi``), per month and year."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from omnioms.core.money import Money
from omnioms.kpi import (
    Benchmarks,
    Delivery,
    InventorySnapshot,
    OrderLine,
    StockCategory,
    inventory_days,
    oee,
    oee_by,
    otd,
    otd_by,
)
from omnioms.simulation.engine import Outcome

TARGETS = {"otd": 0.95, "oee": 0.80, "inventory_band": 0.20}


def _f(value: Decimal | float | None, places: int = 4) -> float | None:
    return None if value is None else round(float(value), places)


def _lines(outcome: Outcome) -> list[OrderLine]:
    return [
        OrderLine(
            order_id=item.order.number,
            line_id="1",
            quantity=item.order.quantity,
            commit_date=item.order.due,
            deliveries=(Delivery(item.shipped, item.order.quantity),) if item.shipped else (),
            tags={"channel": item.order.channel},
        )
        for item in outcome.orders
    ]


def _inventory(
    outcome: Outcome, start: date, end: date, currency: str
) -> tuple[float | None, str | None]:
    snapshots = [
        InventorySnapshot(
            day, StockCategory(category), Money(Decimal(str(round(value, 2))), currency)
        )
        for day, category, value in outcome.snapshots
        if start <= day <= end
    ]
    cogs = sum((v for d, v in outcome.cogs_by_day.items() if start <= d <= end), 0.0)
    report = inventory_days(
        snapshots,
        cogs=Money(Decimal(str(round(cogs, 2))), currency),
        period_start=start,
        period_end=end,
        benchmarks=Benchmarks(total=Decimal(str(outcome.scenario.benchmark_inventory_days))),
    )
    total = report.total
    return _f(total.days, 1), None if total.position is None else str(total.position)


def figures(outcome: Outcome) -> dict[str, Any]:
    """The year's and each month's figures of one policy's run."""
    from omnioms.forecasting.accuracy import wape

    scenario = outcome.scenario
    days = sorted(outcome.cogs_by_day)
    first, last = days[0], days[-1]
    as_of = last + timedelta(days=1)
    lines = _lines(outcome)
    year_otd = otd(lines, as_of=as_of)
    monthly_otd = otd_by(lines, lambda line: line.commit_date.strftime("%Y-%m"), as_of=as_of)
    records = outcome.floor.records
    year_oee = oee(records) if records else None
    monthly_oee = oee_by(records, lambda r: r.tags["month"]) if records else {}
    inv_days, position = _inventory(outcome, first, last, scenario.currency)
    forecasts = outcome.forecasts
    accuracy = None
    if forecasts:
        error = wape([a for *_, a in forecasts], [f for _, _, f, _ in forecasts])
        accuracy = None if error != error else round(max(0.0, 1 - error), 4)
    benchmark = scenario.benchmark_inventory_days
    months: list[dict[str, Any]] = []
    month_starts = sorted({d.replace(day=1) for d in days})
    by_month_fc: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for _sku, month, f, a in forecasts:
        by_month_fc[f"{month:%Y-%m}"].append((f, a))
    for start in month_starts:
        key = f"{start:%Y-%m}"
        end = min(last, (start + timedelta(days=32)).replace(day=1) - timedelta(days=1))
        m_days, _position = _inventory(outcome, max(start, first), end, scenario.currency)
        o = monthly_otd.get(key)
        e = monthly_oee.get(key)
        pairs = by_month_fc.get(key, [])
        m_err = wape([a for _, a in pairs], [f for f, _ in pairs]) if pairs else float("nan")
        months.append(
            {
                "month": key,
                "otd": _f(o.otd) if o else None,
                "oee": _f(e.oee) if e else None,
                "inventory_days": m_days,
                "forecast_accuracy": None if m_err != m_err else round(max(0.0, 1 - m_err), 4),
                "stockout_days": sum(
                    v for d, v in outcome.stockout_days.items() if d.replace(day=1) == start
                ),
                "overtime_hours": round(
                    sum(
                        v
                        for d, v in outcome.floor.overtime_by_day.items()
                        if d.replace(day=1) == start
                    ),
                    1,
                ),
            }
        )
    otd_value = _f(year_otd.otd)
    oee_value = _f(year_oee.oee) if year_oee else None
    met = {
        "otd": otd_value is not None and otd_value >= TARGETS["otd"],
        "oee": oee_value is not None and oee_value >= TARGETS["oee"],
        "inventory_days": position == "inside",
    }
    return {
        "otd": otd_value,
        "oee": oee_value,
        "inventory_days": inv_days,
        "benchmark_days": float(benchmark),
        "benchmark_low": round(benchmark * (1 - TARGETS["inventory_band"]), 1),
        "benchmark_high": round(benchmark * (1 + TARGETS["inventory_band"]), 1),
        "inventory_position": position,
        "availability": _f(year_oee.availability) if year_oee else None,
        "effectiveness": _f(year_oee.effectiveness) if year_oee else None,
        "quality": _f(year_oee.quality) if year_oee else None,
        "forecast_accuracy": accuracy,
        "rush_requested": outcome.rush_requested,
        "rush_accepted": outcome.rush_accepted,
        "rush_accepted_share": _f(outcome.rush_accepted / outcome.rush_requested)
        if outcome.rush_requested
        else None,
        "stockout_days": sum(outcome.stockout_days.values()),
        "overtime_hours": round(outcome.floor.overtime_minutes / 60, 1),
        "orders": len(outcome.orders),
        "lines_judged": year_otd.lines,
        "work_orders": outcome.work_orders,
        "purchases": outcome.purchases,
        "targets_met": met,
        "all_targets_met": all(met.values()),
        "months": months,
    }
