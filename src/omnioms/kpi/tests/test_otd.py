"""SCOR RL.2.2 on-time delivery: in full by the commit date in force, cancelled lines left out."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from omnioms.kpi import Delivery, KpiInputError, OrderLine, otd, otd_by


def day(number: int) -> date:
    return date(2025, 3, number)


def line(
    order: str,
    quantity: int,
    commit: int,
    *deliveries: tuple[int, int],
    number: str = "1",
    cancelled: bool = False,
    tags: dict[str, str] | None = None,
) -> OrderLine:
    return OrderLine(
        order_id=order,
        line_id=number,
        quantity=quantity,
        commit_date=day(commit),
        deliveries=tuple(Delivery(day(on), units) for on, units in deliveries),
        cancelled_by_customer=cancelled,
        tags=tags or {},
    )


def worked_example() -> list[OrderLine]:
    """The example of docs/kpi.md."""
    return [
        line("SO-1", 10, 10, (8, 10)),
        line("SO-1", 5, 10, (9, 3), (12, 2), number="2"),
        line("SO-2", 4, 12, (11, 4)),  # first promised for the 10th; the 12th was agreed
        line("SO-3", 6, 10, cancelled=True),
        line("SO-4", 8, 11),
        line("SO-5", 2, 10, (10, 1), (10, 1)),
    ]


def test_worked_example_counts_three_of_five_lines_on_time() -> None:
    figures = otd(worked_example())

    assert (figures.lines, figures.on_time, figures.otd) == (5, 3, Decimal("0.6"))
    assert figures.missed == (("SO-1", "2"), ("SO-4", "1"))
    assert (figures.cancelled, figures.not_due) == (1, 0)
    assert (figures.target, figures.met) == (Decimal("0.95"), False)


def test_partial_deliveries_that_add_up_by_the_commit_date_are_on_time() -> None:
    assert line("A", 10, 10, (5, 4), (9, 3), (10, 3)).on_time


def test_a_line_short_on_the_commit_date_is_missed_though_the_rest_came_later() -> None:
    assert not line("A", 10, 10, (5, 9), (11, 1)).on_time


def test_a_delivery_on_the_commit_date_is_on_time_and_the_day_after_is_late() -> None:
    assert line("A", 3, 10, (10, 3)).on_time
    assert not line("A", 3, 10, (11, 3)).on_time


def test_a_line_never_delivered_is_missed_and_an_over_delivery_is_in_full() -> None:
    assert not line("A", 3, 10).on_time
    assert line("A", 3, 10, (9, 4)).on_time


def test_the_commit_date_in_force_decides_so_an_agreed_new_date_counts() -> None:
    first_promise = line("A", 4, 10, (11, 4))
    agreed_later = line("A", 4, 12, (11, 4))

    assert not first_promise.on_time
    assert agreed_later.on_time


def test_lines_the_customer_cancelled_are_neither_on_time_nor_missed() -> None:
    lines = [line("A", 1, 10, (9, 1)), line("B", 1, 10, cancelled=True)]

    figures = otd(lines)

    assert (figures.lines, figures.on_time, figures.otd, figures.cancelled) == (1, 1, 1, 1)


def test_no_line_to_judge_gives_no_otd_and_no_verdict() -> None:
    figures = otd([line("A", 1, 10, cancelled=True)])

    assert (figures.lines, figures.on_time, figures.otd, figures.met) == (0, 0, None, None)


def test_lines_not_due_on_the_day_of_measuring_are_left_out_even_if_delivered() -> None:
    lines = [line("A", 1, 9), line("B", 1, 10, (8, 1)), line("C", 1, 11)]

    figures = otd(lines, as_of=day(10))

    assert (figures.lines, figures.on_time, figures.not_due) == (1, 0, 2)
    assert figures.missed == (("A", "1"),)


def test_otd_by_groups_by_whatever_key_the_caller_attaches() -> None:
    lines = [
        line("A", 1, 10, (9, 1), tags={"channel": "taobao"}),
        line("B", 1, 10, (12, 1), tags={"channel": "jd"}),
        line("C", 1, 10, (10, 1), tags={"channel": "taobao"}),
    ]

    channels = otd_by(lines, lambda item: item.tags["channel"], target=Decimal("0.9"))

    assert list(channels) == ["taobao", "jd"]
    assert (channels["taobao"].otd, channels["taobao"].met) == (1, True)
    assert (channels["jd"].otd, channels["jd"].met) == (0, False)


def test_the_target_is_a_parameter() -> None:
    assert otd(worked_example(), target=Decimal("0.6")).met is True
    assert otd(worked_example(), target=Decimal("0.61")).met is False


def test_a_line_given_twice_is_refused_naming_both() -> None:
    with pytest.raises(KpiInputError) as caught:
        otd([line("A", 1, 10), line("B", 1, 10), line("A", 2, 10)])

    assert (caught.value.field, caught.value.index, caught.value.related) == ("line_id", 2, 0)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"order_id": ""}, "order_id"),
        ({"quantity": 0}, "quantity"),
        ({"commit_date": "2025-03-10"}, "commit_date"),
    ],
)
def test_a_line_that_cannot_be_measured_is_refused_naming_the_field(
    values: dict[str, object], field: str
) -> None:
    fields: dict[str, object] = {
        "order_id": "A",
        "line_id": "1",
        "quantity": 1,
        "commit_date": day(10),
        **values,
    }

    with pytest.raises(KpiInputError) as caught:
        OrderLine(**fields)  # type: ignore[arg-type]

    assert caught.value.field == field


def test_a_negative_delivery_is_refused() -> None:
    with pytest.raises(KpiInputError, match="delivered_quantity"):
        Delivery(day(10), -1)
