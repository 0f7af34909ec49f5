"""Working time, BOM explosion and standard cost, as pure rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest

from omnioms.production.domain import (
    BomError,
    BomItem,
    CalendarSpec,
    OperationCost,
    ShiftSpec,
    explode,
    low_level_codes,
    standard_cost,
    working_hours,
    working_intervals,
)

D = Decimal
DAY = ShiftSpec(0, time(8), time(17), breaks=((time(12), time(13)),))


def week_of(*shifts: ShiftSpec, **extra: object) -> CalendarSpec:
    return CalendarSpec(time_zone="Asia/Shanghai", shifts=shifts, **extra)  # type: ignore[arg-type]


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_a_shift_is_cut_by_its_break_and_given_in_utc() -> None:
    monday = date(2026, 12, 7)

    assert working_intervals(week_of(DAY), monday, monday) == [
        (utc(2026, 12, 7, 0), utc(2026, 12, 7, 4)),  # 08:00-12:00 Beijing
        (utc(2026, 12, 7, 5), utc(2026, 12, 7, 9)),  # 13:00-17:00
    ]
    assert working_hours(week_of(DAY), monday, monday) == D("8.00")


def test_a_night_shift_runs_past_midnight_and_belongs_to_the_day_it_starts() -> None:
    night = ShiftSpec(0, time(22), time(6), breaks=((time(2), time(2, 30)),))
    monday = date(2026, 12, 7)

    assert working_intervals(week_of(night), monday, monday) == [
        (utc(2026, 12, 7, 14), utc(2026, 12, 7, 18)),
        (utc(2026, 12, 7, 18, 30), utc(2026, 12, 7, 22)),
    ]


def test_a_holiday_has_no_work_and_a_make_up_saturday_works_like_a_monday() -> None:
    new_year, saturday = date(2027, 1, 1), date(2027, 1, 2)  # a Friday; a Saturday
    calendar = week_of(
        *(ShiftSpec(day, time(8), time(17)) for day in range(5)),
        holidays=frozenset({new_year}),
        workdays={saturday: 0},
    )

    assert working_intervals(calendar, new_year, new_year) == []
    assert working_hours(calendar, saturday, saturday) == D("9.00")
    assert working_hours(calendar, date(2027, 1, 3), date(2027, 1, 3)) == D(0)  # Sunday


def test_explosion_multiplies_through_every_level_with_scrap() -> None:
    boms = {
        "SHIRT": [BomItem("BODY", D(1)), BomItem("BUTTON", D(6), D("0.05"))],
        "BODY": [BomItem("FABRIC", D("1.35"), D("0.1"))],
    }

    needs = explode("SHIRT", D(100), boms)

    assert needs == {"FABRIC": D("148.500"), "BUTTON": D("630.00")}


def test_a_bom_that_contains_itself_is_refused_naming_the_path() -> None:
    boms = {"A": [BomItem("B", D(1))], "B": [BomItem("C", D(1))], "C": [BomItem("A", D(1))]}

    with pytest.raises(BomError, match="A → B → C → A"):
        explode("A", D(1), boms)
    with pytest.raises(BomError, match="a cycle"):
        low_level_codes(boms)


def test_low_level_codes_put_a_part_at_the_deepest_level_it_is_used() -> None:
    boms = {
        "SHIRT": [BomItem("BODY", D(1)), BomItem("FABRIC", D("0.2"))],
        "BODY": [BomItem("FABRIC", D(1))],
    }

    assert low_level_codes(boms) == {"SHIRT": 0, "BODY": 1, "FABRIC": 2}


def test_standard_cost_adds_materials_with_scrap_and_work_with_setup_spread() -> None:
    boms = {"SHIRT": [BomItem("FABRIC", D("1.5"), D("0.1")), BomItem("BUTTON", D(6))]}
    routings = {"SHIRT": [OperationCost(D(30), D(360), D(60))]}  # 6 min a shirt at 60/h
    prices = {"FABRIC": D(20), "BUTTON": D("0.1")}

    cost = standard_cost(
        "SHIRT", boms=boms, routings=routings, bought_prices=prices, lot_size=D(100)
    )

    # 1.65 m × 20 + 6 × 0.1 + (360 s + 30 min / 100) × 60/h = 33 + 0.6 + 6.3
    assert cost == D("39.9000")


def test_a_material_without_a_price_leaves_no_standard_cost() -> None:
    boms = {"SHIRT": [BomItem("FABRIC", D(1))]}

    assert standard_cost("SHIRT", boms=boms, routings={}, bought_prices={}) is None
