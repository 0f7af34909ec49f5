"""Schedule adherence: operations started and finished within a tolerance of the plan."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from omnioms.kpi import KpiInputError, OperationTimes, schedule_adherence, schedule_adherence_by

BEIJING = timezone(timedelta(hours=8))


def at(clock: str) -> datetime:
    hours, minutes = map(int, clock.split(":"))
    return datetime(2025, 3, 3, hours, minutes, tzinfo=BEIJING)


def operation(
    name: str, planned: tuple[str, str], actual: tuple[str | None, str | None] = (None, None)
) -> OperationTimes:
    start, end = actual
    return OperationTimes(
        operation_id=name,
        planned_start=at(planned[0]),
        planned_end=at(planned[1]),
        actual_start=at(start) if start else None,
        actual_end=at(end) if end else None,
        tags={"centre": "SEW" if name in "BD" else "CUT"},
    )


def worked_example() -> list[OperationTimes]:
    """The example of docs/kpi.md, measured at 16:00 with a tolerance of 30 minutes."""
    return [
        operation("A", ("08:00", "10:00"), ("08:10", "10:05")),
        operation("B", ("09:00", "11:00"), ("09:45", "11:20")),
        operation("C", ("10:00", "12:00")),
        operation("D", ("13:00", "15:00"), ("12:50", "14:40")),
        operation("E", ("15:00", "17:00"), ("15:05", None)),
    ]


def test_worked_example_gives_the_documented_shares() -> None:
    figures = schedule_adherence(worked_example(), as_of=at("16:00"))

    assert (figures.operations, figures.not_due) == (4, 1)
    assert (figures.started_on_time, figures.finished_on_time, figures.adhered) == (2, 3, 2)
    assert (figures.start_adherence, figures.finish_adherence, figures.adherence) == (
        Decimal("0.5"),
        Decimal("0.75"),
        Decimal("0.5"),
    )
    assert figures.missed == ("B", "C")
    assert (figures.target, figures.met) == (Decimal("0.90"), False)


def test_early_beyond_the_tolerance_misses_and_the_tolerance_itself_is_on_time() -> None:
    early = operation("A", ("08:00", "10:00"), ("07:00", "10:00"))
    edge = operation("B", ("08:00", "10:00"), ("08:30", "09:30"))

    figures = schedule_adherence([early, edge])

    assert figures.missed == ("A",)


def test_the_tolerance_is_a_parameter() -> None:
    figures = schedule_adherence(worked_example(), as_of=at("16:00"), tolerance=timedelta(hours=1))

    assert figures.adhered == 3


def test_without_a_day_of_measuring_every_operation_is_judged() -> None:
    figures = schedule_adherence(worked_example())

    assert (figures.operations, figures.not_due, figures.adhered) == (5, 0, 2)


def test_by_key_groups_the_operations() -> None:
    groups = schedule_adherence_by(
        worked_example(), lambda op: op.tags["centre"], as_of=at("16:00")
    )

    assert (groups["CUT"].operations, groups["CUT"].adhered) == (2, 1)
    assert (groups["SEW"].operations, groups["SEW"].adhered) == (2, 1)


def test_nothing_to_judge_gives_no_share() -> None:
    figures = schedule_adherence([], as_of=at("16:00"))

    assert (figures.adherence, figures.met) == (None, None)


def test_a_finish_without_a_start_is_refused() -> None:
    with pytest.raises(KpiInputError, match="actual_start"):
        operation("A", ("08:00", "10:00"), (None, "10:00"))
