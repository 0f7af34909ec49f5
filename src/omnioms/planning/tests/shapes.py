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


def sewing_shop(orders: int, seed: int = 1, lines: int = 4) -> Problem:
    """A seeded small apparel shop: cutting, sewing lines with family changeovers (the
    bottleneck), pressing; two shifts; due dates spread over three weeks; weights 1/2/5."""
    import random

    rng = random.Random(seed)
    shifts = [Shift(d, time(6), time(14), ((time(10), time(10, 30)),)) for d in range(5)] + [
        Shift(d, time(14), time(22), ((time(18), time(18, 30)),)) for d in range(5)
    ]
    calendar = weekly_calendar("two-shifts", origin=MONDAY, days=120, shifts=shifts)
    families = ("tee", "polo", "shirt", "jacket")
    setups = {
        (a, b): 60 + 20 * abs(i - j)
        for i, a in enumerate(families)
        for j, b in enumerate(families)
        if a != b
    }
    centers = (
        WorkCenter("CUT", 1, calendar),
        WorkCenter("SEW", lines, calendar, setups),
        WorkCenter("PRESS", 1, calendar),
    )
    made = []
    for n in range(orders):
        family = rng.choice(families)
        pieces = rng.randint(100, 600)
        made.append(
            Order(
                f"MO{n:03d}",
                (
                    Operation(f"{n}.cut", {"CUT": 10 + pieces // 12}),
                    Operation(f"{n}.sew", {"SEW": 30 + pieces}, family=family),
                    Operation(f"{n}.press", {"PRESS": 10 + pieces // 15}),
                ),
                due=rng.randint(2 * DAY, 12 * DAY),
                weight=rng.choice((1, 1, 2, 5)),
            )
        )
    return Problem(centers, tuple(made))
