"""Receipts, adjustments, counts, transfers: the ledger and the balance move together."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import pytest

from omnioms.inventory.models import (
    IncomingStock,
    MovementKind,
    OrderStockStatus,
    PlannedOutput,
    Shortage,
    StockBalance,
    StockMovement,
    SupplyStatus,
)
from omnioms.inventory.selectors import available_to_promise, stock_problems
from omnioms.inventory.services import (
    StockError,
    adjust_stock,
    count_stock,
    receive_stock,
    retry_backorders,
    set_stock_levels,
    transfer_stock,
)
from omnioms.inventory.tests.factories import (
    ACTOR,
    account,
    holding,
    order_json,
    receive,
    sku,
    stock_status,
    submit,
    warehouse,
)
from omnioms.orders.models import OrderEvent

pytestmark = pytest.mark.django_db


def figures(code: str, location: str) -> tuple[int, int, int]:
    row = StockBalance.objects.get(sku__code=code, location__code=location)
    return row.on_hand, row.reserved, row.available


def test_a_receipt_adds_on_hand_with_its_unit_cost_and_counts_against_incoming_stock() -> None:
    wh = warehouse()
    item = sku("A")
    incoming = IncomingStock.objects.create(
        sku=item, location=wh, quantity=10, expected_on=date(2026, 3, 10), unit_cost=Decimal("7.5")
    )
    movement = receive_stock(
        sku="A", location="wh-1", quantity=6, unit_cost=None, actor=ACTOR, incoming_id=incoming.pk
    )
    receive_stock(sku="A", location="wh-1", quantity=4, unit_cost=Decimal("8"), actor=ACTOR)

    assert (movement.kind, movement.quantity, movement.on_hand_after) == ("receipt", 6, 6)
    assert (movement.unit_cost, movement.currency) == (Decimal("7.5"), "CNY")
    assert movement.document is not None
    assert movement.actor_label == "tests"
    assert figures("A", "wh-1") == (10, 0, 10)
    incoming.refresh_from_db()
    assert (incoming.received_quantity, incoming.status) == (6, SupplyStatus.OPEN)
    assert stock_problems() == []


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (
            lambda: receive_stock(
                sku="NOPE", location="wh-1", quantity=1, unit_cost=None, actor=ACTOR
            ),
            "sku",
        ),
        (
            lambda: receive_stock(
                sku="A", location="nowhere", quantity=1, unit_cost=None, actor=ACTOR
            ),
            "location",
        ),
        (
            lambda: receive_stock(
                sku="A", location="wh-1", quantity=-2, unit_cost=None, actor=ACTOR
            ),
            "quantity",
        ),
        (
            lambda: receive_stock(
                sku="A", location="wh-1", quantity=2, unit_cost=Decimal("-1"), actor=ACTOR
            ),
            "unit_cost",
        ),
        (
            lambda: adjust_stock(
                sku="A", location="wh-1", quantity_delta=-9, reason="lost", actor=ACTOR
            ),
            "quantity_delta",
        ),
        (
            lambda: adjust_stock(
                sku="A", location="wh-1", quantity_delta=-1, reason=" ", actor=ACTOR
            ),
            "reason",
        ),
        (
            lambda: transfer_stock(
                sku="A", from_location="wh-1", to_location="wh-2", quantity=6, actor=ACTOR
            ),
            "quantity",
        ),
        (
            lambda: transfer_stock(
                sku="A", from_location="wh-1", to_location="wh-1", quantity=1, actor=ACTOR
            ),
            "to_location",
        ),
        (
            lambda: count_stock(sku="A", location="wh-1", counted=-1, reason="", actor=ACTOR),
            "counted",
        ),
        (
            lambda: receive_stock(
                sku="KIT", location="wh-1", quantity=1, unit_cost=None, actor=ACTOR
            ),
            "sku",
        ),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_changes_nothing(
    call: Callable[[], object], field: str
) -> None:
    wh, _other = warehouse("wh-1"), warehouse("wh-2")
    receive("A", wh, 5)
    sku("KIT", components=[("A", 1)])
    before = list(StockMovement.objects.values_list("pk", flat=True))

    with pytest.raises(StockError) as raised:
        call()

    assert raised.value.field == field
    assert list(StockMovement.objects.values_list("pk", flat=True)) == before
    assert figures("A", "wh-1") == (5, 0, 5)


def test_a_transfer_moves_stock_between_locations_under_one_document() -> None:
    source = warehouse("wh-1")
    warehouse("wh-2")
    receive("A", source, 8)
    out, inward = transfer_stock(
        sku="A",
        from_location="wh-1",
        to_location="wh-2",
        quantity=5,
        actor=ACTOR,
        reason="rebalance",
    )

    assert (out.quantity, out.on_hand_after, inward.quantity, inward.on_hand_after) == (-5, 3, 5, 5)
    assert out.document_id == inward.document_id
    assert figures("A", "wh-1")[0] == 3
    assert figures("A", "wh-2")[0] == 5
    assert stock_problems() == []


def test_a_transfer_may_not_take_reserved_or_safety_stock() -> None:
    source = warehouse("wh-1")
    warehouse("wh-2")
    receive("A", source, 8)
    set_stock_levels(sku="A", location="wh-1", safety_stock=2)
    submit(account(location=source), order_json("X-1", [("A", 3)]))

    with pytest.raises(StockError, match="only 3 of A available at wh-1"):
        transfer_stock(sku="A", from_location="wh-1", to_location="wh-2", quantity=4, actor=ACTOR)
    transfer_stock(sku="A", from_location="wh-1", to_location="wh-2", quantity=3, actor=ACTOR)
    assert figures("A", "wh-1") == (5, 3, 0)


def test_a_count_below_what_is_reserved_releases_from_the_newest_orders_as_backorders() -> None:
    wh = warehouse()
    receive("A", wh, 10)
    shop = account(location=wh)
    old = submit(shop, order_json("OLD", [("A", 4)], minute=1))
    new = submit(shop, order_json("NEW", [("A", 4)], minute=2))

    movement = count_stock(sku="A", location="wh-1", counted=5, reason="shelf count", actor=ACTOR)

    assert movement is not None
    assert (movement.kind, movement.quantity, movement.on_hand_after) == (MovementKind.COUNT, -5, 5)
    assert figures("A", "wh-1") == (5, 5, 0)
    assert holding(old) == {("A", "wh-1", "reserved"): 4}
    assert holding(new) == {("A", "wh-1", "reserved"): 1}
    assert stock_status(new) == OrderStockStatus.BACKORDER
    short = Shortage.objects.get(order=new)
    assert (short.wanted, short.available) == (3, 0)
    assert stock_problems() == []

    adjust_stock(sku="A", location="wh-1", quantity_delta=3, reason="found a box", actor=ACTOR)
    assert retry_backorders(min_age=timedelta(0)) == 1
    assert holding(new) == {("A", "wh-1", "reserved"): 4}
    assert stock_problems() == []


def test_a_count_that_agrees_writes_no_movement() -> None:
    wh = warehouse()
    receive("A", wh, 3)
    assert count_stock(sku="A", location="wh-1", counted=3, reason="", actor=ACTOR) is None
    assert StockMovement.objects.count() == 1


def test_a_backorder_gets_a_promise_date_from_incoming_stock_and_planned_production() -> None:
    wh = warehouse()
    item = sku("A")
    receive("A", wh, 1)
    today = date.today()
    IncomingStock.objects.create(
        sku=item, location=wh, quantity=2, expected_on=today + timedelta(days=5)
    )
    PlannedOutput.objects.create(
        sku=item, location=wh, quantity=10, due_on=today + timedelta(days=9)
    )
    shop = account(location=wh)

    soon = submit(shop, order_json("P-1", [("A", 3)], minute=1))
    later = submit(shop, order_json("P-2", [("A", 4)], minute=2))
    never = submit(shop, order_json("P-3", [("A", 40)], minute=3))

    assert soon.stock.promise_date == today + timedelta(days=5)
    assert later.stock.promise_date == today + timedelta(days=9)
    assert never.stock.promise_date is None
    timeline = available_to_promise(item.pk, [wh.pk], today=today)
    assert timeline.points == [
        (today, 1 - 47),
        (today + timedelta(days=5), 3 - 47),
        (today + timedelta(days=9), 13 - 47),
    ]


def test_a_status_change_by_a_person_writes_both_the_event_and_the_stock_change() -> None:
    from omnioms.core.actor import Actor
    from omnioms.orders.services import change_order_status

    wh = warehouse()
    receive("A", wh, 3)
    order = submit(account(location=wh), order_json("E-1", [("A", 2)]))
    change_order_status(order.pk, "shipped", actor=Actor("user", "li"))

    movement = StockMovement.objects.get(order=order)
    assert (movement.actor_kind, movement.actor_label) == ("user", "li")
    assert OrderEvent.objects.filter(order=order, kind="status_changed").exists()
