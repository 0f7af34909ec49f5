"""Small problems the planning tests share (built in code, no files outside the repository)."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from omnioms.planning.calendar import Calendar, Shift, weekly_calendar
from omnioms.planning.model import Operation, Order, Problem, Settings, WorkCenter

MONDAY = datetime(2026, 12, 7, tzinfo=ZoneInfo("Asia/Shanghai"))  # minute 0 = Monday 00:00
DAY = 24 * 60
FAST = Settings(time_limit=2.0, workers=2)


def office_calendar(days: int = 28, holidays: tuple[date, ...] = ()) -> Calendar:
    """Monday to Friday, 08:00-17:00 with a 12:00-13:00 lunch break."""
    shifts = [Shift(d, time(8), time(17), ((time(12), time(13)),)) for d in range(5)]
    return weekly_calendar("office", origin=MONDAY, days=days, shifts=shifts, holidays=holidays)


def one_step(
    order_id: str,
    code: str,
    minutes: int,
    *,
    due: int = 0,
    weight: int = 1,
    family: str | None = None,
    release: int = 0,
) -> Order:
    operation = Operation(f"{order_id}.1", {code: minutes}, family=family, release=release)
    return Order(order_id, (operation,), due=due, weight=weight)


def problem(*orders: Order, centers: tuple[WorkCenter, ...]) -> Problem:
    return Problem(centers, orders)
