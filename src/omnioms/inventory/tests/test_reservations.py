"""Reservations follow the order: reserve, release, consume, bundles, backorders, store sales."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from omnioms.core.actor import Actor
from omnioms.core.models import Location
from omnioms.inventory.models import (
    ChannelStockRule,
    MovementKind,
    OrderStock,
    OrderStockStatus,
    ReserveOn,
    RuleLocation,
    Shortage,
    StockBalance,
    StockMovement,
)
from omnioms.inventory.reservations import apply_orders
from omnioms.inventory.selectors import stock_problems
from omnioms.inventory.services import record_return, retry_backorders
from omnioms.inventory.tests.factories import (
    account,
    holding,
    order_json,
    receive,
    sku,
    stock_status,
    store,
    submit,
    warehouse,
)
from omnioms.orders.models import Order
from omnioms.orders.services import change_order_status

pytestmark = pytest.mark.django_db


def balance(code: str, location: str) -> tuple[int, int]:
    row = StockBalance.objects.get(sku__code=code, location__code=location)
    return row.on_hand, row.reserved


@pytest.fixture
def wh() -> Location:
    location = warehouse("wh-1")
    receive("A", location, 10)
    receive("B", location, 5)
    return location


def test_a_paid_order_reserves_its_lines_at_the_accounts_location(wh: Location) -> None:
    shop = account(location=wh)
    order = submit(shop, order_json("P-1", [("A", 3), ("B", 1)]))

    assert holding(order) == {("A", "wh-1", "reserved"): 3, ("B", "wh-1", "reserved"): 1}
    assert balance("A", "wh-1") == (10, 3)
    assert stock_status(order) == OrderStockStatus.RESERVED
    assert stock_problems() == []


def test_the_same_order_upserted_again_changes_nothing(wh: Location) -> None:
    shop = account(location=wh)
    data = order_json("P-1", [("A", 3)])
    order = submit(shop, data)
    submit(
        shop,
        {
            **data,
            "notes": {"buyer": "newer version, same lines"},
            "updated_at": "2026-03-02T00:00:00Z",
        },
    )
    submit(shop, data)

    assert holding(order) == {("A", "wh-1", "reserved"): 3}
    assert balance("A", "wh-1") == (10, 3)
    assert stock_problems() == []


def test_rewritten_lines_move_the_reservation_to_the_new_quantities(wh: Location) -> None:
    shop = account(location=wh)
    data = order_json("P-1", [("A", 3)])
    order = submit(shop, data)
    submit(shop, {**order_json("P-1", [("A", 1), ("B", 2)]), "updated_at": "2026-03-05T00:00:00Z"})

    assert holding(order) == {("A", "wh-1", "reserved"): 1, ("B", "wh-1", "reserved"): 2}
    assert balance("A", "wh-1") == (10, 1)
    assert stock_problems() == []


def test_pending_payment_reserves_only_when_the_account_reserves_at_creation(wh: Location) -> None:
    at_payment, at_creation = account(location=wh), account(location=wh)
    ChannelStockRule.objects.create(account=at_creation, reserve_on=ReserveOn.CREATED)

    waiting = submit(at_payment, order_json("W-1", [("A", 2)], status="pending_payment"))
    held = submit(at_creation, order_json("W-2", [("A", 2)], status="pending_payment"))

    assert holding(waiting) == {}
    assert stock_status(waiting) == OrderStockStatus.WAITING
    assert holding(held) == {("A", "wh-1", "reserved"): 2}
    change_order_status(waiting.pk, "paid", actor=Actor.system("tests"))
    assert holding(waiting) == {("A", "wh-1", "reserved"): 2}
    assert balance("A", "wh-1") == (10, 4)


def test_cancel_and_refund_release_and_a_partial_refund_releases_part(wh: Location) -> None:
    shop = account(location=wh)
    ChannelStockRule.objects.create(account=shop, reserve_on=ReserveOn.CREATED)
    first = submit(shop, order_json("C-1", [("A", 2)], status="pending_payment"))
    second = submit(shop, order_json("C-2", [("A", 4)]))
    submit(shop, order_json("C-1", [("A", 2)], status="cancelled", version=60))
    submit(
        shop,
        order_json("C-2", [{"sku": "A", "quantity": 4, "refunded_quantity": 3}], version=60),
    )

    assert holding(first) == {}
    assert stock_status(first) == OrderStockStatus.RELEASED
    assert holding(second) == {("A", "wh-1", "reserved"): 1}
    change_order_status(second.pk, "refunded", actor=Actor.system("tests"))
    assert holding(second) == {}
    assert balance("A", "wh-1") == (10, 0)
    assert stock_problems() == []


def test_shipment_consumes_the_reservation_into_a_shipment_movement(wh: Location) -> None:
    shop = account(location=wh)
    order = submit(shop, order_json("S-1", [("A", 3)]))
    change_order_status(order.pk, "shipped", actor=Actor.system("tests"))

    assert holding(order) == {("A", "wh-1", "consumed"): 3}
    assert balance("A", "wh-1") == (7, 0)
    movement = StockMovement.objects.get(kind=MovementKind.SHIPMENT)
    assert (movement.quantity, movement.on_hand_after, movement.order_id) == (-3, 7, order.pk)
    assert movement.unit_cost is not None
    # A refund after shipment leaves the shipped stock out; the goods coming back is a return.
    change_order_status(order.pk, "refunded", actor=Actor.system("tests"))
    assert balance("A", "wh-1") == (7, 0)
    record_return(order.pk, sku="A", quantity=2, actor=Actor.system("tests"), reason="parcel back")
    assert balance("A", "wh-1") == (9, 0)
    assert holding(order)[("A", "wh-1", "returned")] == 2
    assert stock_problems() == []


def test_an_order_seen_first_as_shipped_takes_free_stock_and_records_what_was_missing(
    wh: Location,
) -> None:
    shop = account(location=wh)
    order = submit(shop, order_json("S-2", [("A", 12)], status="shipped"))

    assert holding(order) == {("A", "wh-1", "consumed"): 10, ("A", "wh-1", "unbacked"): 2}
    assert balance("A", "wh-1") == (0, 0)
    assert stock_problems() == []


def test_bundle_lines_reserve_their_components(wh: Location) -> None:
    sku("KIT", components=[("A", 2), ("B", 1)])
    shop = account(location=wh)
    from_catalogue = submit(shop, order_json("K-1", [("KIT", 2)]))
    from_channel = submit(
        shop,
        order_json(
            "K-2",
            [{"sku": "GIFT-SET", "quantity": 1, "components": [{"sku": "B", "quantity": 2}]}],
        ),
    )

    assert holding(from_catalogue) == {("A", "wh-1", "reserved"): 4, ("B", "wh-1", "reserved"): 2}
    assert holding(from_channel) == {("B", "wh-1", "reserved"): 2}
    assert stock_problems() == []


def test_lines_without_a_sku_reserve_nothing_and_flag_the_order(wh: Location) -> None:
    shop = account(location=wh)
    order = submit(shop, order_json("U-1", [(None, 1), ("NOT-IN-CATALOGUE", 2), ("A", 1)]))

    assert holding(order) == {("A", "wh-1", "reserved"): 1}
    row = OrderStock.objects.get(order=order)
    assert row.unmapped_lines == 2
    assert row.status == OrderStockStatus.RESERVED


def test_an_order_that_cannot_be_fully_reserved_holds_nothing_and_says_what_is_short(
    wh: Location,
) -> None:
    shop = account(location=wh)
    order = submit(shop, order_json("B-1", [("A", 2), ("B", 7)]))

    assert holding(order) == {}
    assert stock_status(order) == OrderStockStatus.BACKORDER
    short = Shortage.objects.get(order=order)
    assert short.location == wh
    assert (short.sku.code, short.wanted, short.available) == ("B", 7, 5)
    assert balance("A", "wh-1") == (10, 0)

    receive("B", wh, 2)
    assert retry_backorders(min_age=timedelta(0)) == 1
    assert holding(order) == {("A", "wh-1", "reserved"): 2, ("B", "wh-1", "reserved"): 7}
    assert not Shortage.objects.filter(order=order).exists()
    assert stock_problems() == []


def test_routing_tries_locations_by_priority_then_nearest_province_and_splits_when_allowed() -> (
    None
):
    east, west = warehouse("east", "浙江省"), warehouse("west", "四川省")
    receive("A", east, 2)
    receive("A", west, 5)
    shop = account()
    rule = ChannelStockRule.objects.create(account=shop)
    RuleLocation.objects.create(rule=rule, location=east, priority=1)
    RuleLocation.objects.create(rule=rule, location=west, priority=2)

    first = submit(shop, order_json("R-1", [("A", 2)]))
    assert holding(first) == {("A", "east", "reserved"): 2}
    second = submit(shop, order_json("R-2", [("A", 1)]))
    assert holding(second) == {("A", "west", "reserved"): 1}

    rule.nearest_by_province = True
    rule.save()
    receive("A", east, 3)
    near = submit(shop, order_json("R-3", [("A", 1)], province="四川省"))
    assert holding(near) == {("A", "west", "reserved"): 1}

    too_big = submit(shop, order_json("R-4", [("A", 6)]))
    assert holding(too_big) == {}
    rule.split_allowed = True
    rule.save()
    change_order_status(too_big.pk, "paid", actor=Actor.system("tests"))  # no-op status
    retry_backorders(min_age=timedelta(0))
    assert holding(too_big) == {("A", "east", "reserved"): 3, ("A", "west", "reserved"): 3}
    assert stock_problems() == []


def test_a_store_sale_takes_stock_the_moment_it_arrives_and_a_return_document_puts_it_back() -> (
    None
):
    shop = store("store-1")
    receive("A", shop, 4)
    till = account(platform="pos_csv", location=shop)

    sale = submit(till, order_json("T-1", [("A", 3)], status="completed", channel="pos_csv"))
    assert holding(sale) == {("A", "store-1", "consumed"): 3}
    assert balance("A", "store-1") == (1, 0)
    assert StockMovement.objects.get(order=sale).kind == MovementKind.SALE

    back = submit(
        till,
        order_json(
            "T-1/return/20260302T010000",
            [{"sku": "A", "quantity": 1, "refunded_quantity": 1}],
            status="refunded",
            channel="pos_csv",
            paid_at=None,
        ),
    )
    assert holding(back) == {("A", "store-1", "returned"): 1}
    assert balance("A", "store-1") == (2, 0)
    assert stock_problems() == []


def test_history_placed_before_stock_was_tracked_touches_nothing(wh: Location) -> None:
    shop = account(location=wh)
    ChannelStockRule.objects.create(account=shop, tracks_from=order_json()["created_at"])
    old = submit(shop, order_json("H-1", [("A", 50)], status="completed", minute=-100000))

    assert holding(old) == {}
    assert balance("A", "wh-1") == (10, 0)


def test_a_batch_costs_the_same_number_of_queries_whatever_its_size(wh: Location) -> None:
    shop = account(location=wh)
    receive("A", wh, 1000)
    small = [
        submit(shop, order_json(f"Q-{i}", [("A", 1)], status="pending_payment")) for i in range(2)
    ]
    large = [
        submit(shop, order_json(f"Q-{i}", [("A", 1)], status="pending_payment"))
        for i in range(2, 40)
    ]
    unmapped = [submit(shop, order_json(f"N-{i}", [(None, 1)])) for i in range(20)]
    for order in small + large:
        order.status = "paid"

    def queries(orders: list[Order]) -> int:
        with CaptureQueriesContext(connection) as captured:
            apply_orders(orders, actor=Actor.system("tests"))
        return len(captured)

    assert queries(small) == queries(large)
    # Orders whose lines map to no SKU: read lines, reservations and stock status; write nothing.
    assert queries(unmapped) <= 3
    assert stock_problems() == []
