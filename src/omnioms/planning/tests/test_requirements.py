"""Net requirements: what to make and buy, when, and why each quantity."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from omnioms.planning.requirements import (
    Demand,
    Item,
    Receipt,
    consume_forecast,
    plan_requirements,
)
from omnioms.production.domain import BomError, BomItem

D = Decimal
TODAY = date(2026, 3, 2)  # a Monday


def day(n: int) -> date:
    return TODAY + timedelta(days=n)


SHIRT = Item("SHIRT", made=True, lead_time_days=5)
FABRIC = Item("FABRIC", made=False, lead_time_days=14, step=D("0.01"))
BOMS = {"SHIRT": [BomItem("FABRIC", D("1.5"), D("0.1"))]}


def test_orders_consume_the_forecast_of_their_week_instead_of_adding_to_it() -> None:
    demands = [
        Demand("SHIRT", day(0), D(60), "forecast"),
        Demand("SHIRT", day(1), D(40), "forecast"),
        Demand("SHIRT", day(2), D(30), "order:7"),
        Demand("SHIRT", day(8), D(10), "forecast"),  # next week: untouched
    ]

    consumed = consume_forecast(demands)

    assert sum(d.quantity for d in consumed if d.day <= day(6)) == D(100)
    assert [(d.day, d.quantity, d.source) for d in consumed if d.source != "order:7"] == [
        (day(0), D(42), "forecast:2026-W10"),
        (day(1), D(28), "forecast:2026-W10"),
        (day(8), D(10), "forecast:2026-W11"),
    ]


def test_a_shortage_is_made_in_time_and_its_material_bought_earlier_with_pegging() -> None:
    items = {"SHIRT": SHIRT, "FABRIC": FABRIC}
    demands = [Demand("SHIRT", day(20), D(100), "order:7")]

    plan = plan_requirements(items, BOMS, demands, [], today=TODAY, horizon_days=60)

    make, buy = plan.orders
    assert (make.kind, make.sku, make.quantity, make.due, make.start) == (
        "make",
        "SHIRT",
        D(100),
        day(20),
        day(15),
    )
    assert [(p.source, p.quantity) for p in make.pegs] == [("order:7", D(100))]
    # 100 shirts × 1.5 m × 1.1 on the day making starts; fabric takes 14 days to arrive
    assert (buy.kind, buy.sku, buy.quantity, buy.due, buy.start) == (
        "buy",
        "FABRIC",
        D("165.00"),
        day(15),
        day(1),
    )
    assert [(p.source, p.quantity) for p in buy.pegs] == [("planned:1", D("165.0"))]
    assert plan.late == []


def test_stock_and_receipts_are_used_first_and_the_lot_rules_round_up() -> None:
    items = {
        "SHIRT": Item(
            "SHIRT", made=False, lead_time_days=3, on_hand=D(30), min_lot=D(50), multiple=D(20)
        )
    }
    demands = [
        Demand("SHIRT", day(2), D(40), "order:1"),
        Demand("SHIRT", day(9), D(35), "order:2"),
    ]
    receipts = [Receipt("SHIRT", day(5), D(10), "incoming:3")]

    plan = plan_requirements(items, {}, demands, receipts, today=TODAY, horizon_days=20)

    # day 2: 30 - 40 = -10 -> 60 (at least 50, a multiple of 20); day 5: +10; day 9: 60 - 35
    (order,) = plan.orders
    assert (order.quantity, order.due) == (D(60), day(2))
    assert [(p.source, p.quantity) for p in order.pegs] == [
        ("order:1", D(10)),
        ("order:2", D(35)),
        ("lot", D(15)),
    ]
    assert plan.projections["SHIRT"].projected[9] == D(25)


def test_safety_stock_is_kept_and_named_in_the_pegging() -> None:
    items = {"CAP": Item("CAP", made=False, lead_time_days=0, on_hand=D(10), safety_stock=D(5))}
    demands = [Demand("CAP", day(1), D(8), "order:4")]

    plan = plan_requirements(items, {}, demands, [], today=TODAY, horizon_days=5)

    (order,) = plan.orders
    assert order.quantity == D(3)
    assert [(p.source, p.quantity) for p in order.pegs] == [("safety", D(3))]
    assert plan.projections["CAP"].projected[1] == D(5)


def test_an_order_that_cannot_start_in_time_is_reported_late() -> None:
    items = {"SHIRT": SHIRT, "FABRIC": FABRIC}
    demands = [Demand("SHIRT", day(3), D(10), "order:9")]

    plan = plan_requirements(items, BOMS, demands, [], today=TODAY, horizon_days=30)

    assert {order.sku for order in plan.late} == {"SHIRT", "FABRIC"}


def test_a_part_used_at_two_levels_is_planned_once_after_both_parents() -> None:
    boms = {
        "SHIRT": [BomItem("BODY", D(1)), BomItem("THREAD", D(2))],
        "BODY": [BomItem("THREAD", D(3))],
    }
    items = {
        "SHIRT": Item("SHIRT", made=True, lead_time_days=1),
        "BODY": Item("BODY", made=True, lead_time_days=1),
        "THREAD": Item("THREAD", made=False, lead_time_days=1),
    }
    demands = [Demand("SHIRT", day(10), D(10), "order:1")]

    plan = plan_requirements(items, boms, demands, [], today=TODAY, horizon_days=20)

    thread = [o for o in plan.orders if o.sku == "THREAD"]
    assert sum(o.quantity for o in thread) == D(50)  # 20 for shirts, 30 for bodies
    assert {p.source for o in thread for p in o.pegs} == {"planned:1", "planned:2"}


def test_a_bom_cycle_is_refused() -> None:
    boms = {"A": [BomItem("B", D(1))], "B": [BomItem("A", D(1))]}

    with pytest.raises(BomError):
        plan_requirements({}, boms, [], [], today=TODAY, horizon_days=5)


def test_a_made_sku_is_planned_in_batches_covering_its_cover_days_not_a_small_order_a_day() -> None:
    weekly = Item("SHIRT", made=True, lead_time_days=2, cover_days=7)
    demands = [Demand("SHIRT", day(n), D(3), f"order:{n}") for n in range(10, 24)]

    plan = plan_requirements({"SHIRT": weekly}, {}, demands, [], today=TODAY, horizon_days=60)

    assert [(o.due, o.quantity) for o in plan.orders] == [(day(10), D(21)), (day(17), D(21))]
    first = plan.orders[0]
    assert [p.source for p in first.pegs] == [f"order:{n}" for n in range(10, 17)]


def test_a_receipt_inside_the_cover_shrinks_the_batch_it_would_otherwise_double() -> None:
    weekly = Item("SHIRT", made=True, lead_time_days=2, cover_days=7)
    demands = [Demand("SHIRT", day(n), D(3), f"order:{n}") for n in range(10, 17)]
    arriving = [Receipt("SHIRT", day(12), D(9), "production")]

    plan = plan_requirements({"SHIRT": weekly}, {}, demands, arriving, today=TODAY, horizon_days=60)

    assert [(o.due, o.quantity) for o in plan.orders] == [(day(10), D(12))]
