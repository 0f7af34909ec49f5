"""On hand of one SKU at one location stays within 2,147,483,647 (what a PostgreSQL
``integer`` holds), and every figure built from it stays within the columns that store it.

What would go past the limit is refused naming the field (409 from the API, a form error on
the page) and changes nothing; an order that wants more than the limit of one SKU is stored
and becomes a backorder. SQLite holds 64-bit integers, so without these rules the two
databases would answer differently: the same tests run on both.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from omnioms.channels.models import DeadLetter
from omnioms.core.roles import Role
from omnioms.inventory.domain import STOCK_LIMIT
from omnioms.inventory.models import (
    AvailabilityOutbox,
    ChannelStockRule,
    IncomingStock,
    OrderStockStatus,
    PlannedOutput,
    RuleLocation,
    Shortage,
    StockBalance,
    StockMovement,
    SupplyStatus,
)
from omnioms.inventory.selectors import stock_problems
from omnioms.inventory.services import (
    StockError,
    adjust_stock,
    receive_stock,
    record_return,
    retry_backorders,
    set_stock_levels,
)
from omnioms.inventory.tests.factories import (
    ACTOR,
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
from omnioms.sync.webhooks import accept_webhook, process_received
from omnioms.testing import api_as, make_account, make_user, manual_order, record_shipment, signed

pytestmark = pytest.mark.django_db

FULL = STOCK_LIMIT


@pytest.fixture(autouse=True)
def server_errors_answered(client: Client) -> None:
    client.raise_request_exception = False  # a 500 is an answer to assert on, not a raise


def ledger() -> tuple[int, list[tuple[str, str, int]], int]:
    """Ledger rows, every balance, availability rows: what a refusal must leave as it was."""
    return (
        StockMovement.objects.count(),
        sorted(StockBalance.objects.values_list("sku__code", "location__code", "on_hand")),
        AvailabilityOutbox.objects.count(),
    )


@pytest.fixture
def full() -> None:
    """wh-1 holds the limit of A; wh-2 holds 5 of A; a channel sells from wh-1."""
    wh = warehouse("wh-1")
    receive("A", wh, FULL)
    receive("A", warehouse("wh-2"), 5)
    account("web", platform="shopify", location=wh)


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/inventory/receipts", {"sku": "A", "location": "wh-1", "quantity": 1}, "quantity"),
        (
            "/inventory/adjustments",
            {"sku": "A", "location": "wh-1", "quantity_delta": 1, "reason": "found"},
            "quantity_delta",
        ),
        (
            "/inventory/transfers",
            {"sku": "A", "from_location": "wh-2", "to_location": "wh-1", "quantity": 1},
            "quantity",
        ),
    ],
)
def test_a_change_that_takes_on_hand_past_the_limit_is_409_naming_the_field_and_changes_nothing(
    client: Client, full: None, path: str, body: dict[str, Any], field: str
) -> None:
    before = ledger()

    response = api_as(client, Role.MANAGER).post(path, {**body, "confirm": True})

    assert response.status_code == 409, response.content
    errors = response.json()["errors"]
    assert [error["field"] for error in errors] == [field]
    assert "2147483647" in errors[0]["message"]
    assert ledger() == before
    assert stock_problems() == []


def test_receipts_up_to_the_limit_are_taken_and_one_unit_more_is_refused() -> None:
    receive("A", warehouse("wh-1"), FULL - 7)
    receive_stock(sku="A", location="wh-1", quantity=4, unit_cost=None, actor=ACTOR)
    before = ledger()

    with pytest.raises(StockError) as refused:
        receive_stock(sku="A", location="wh-1", quantity=4, unit_cost=None, actor=ACTOR)

    assert refused.value.field == "quantity"
    assert ledger() == before
    receive_stock(sku="A", location="wh-1", quantity=3, unit_cost=None, actor=ACTOR)
    assert StockBalance.objects.get(location__code="wh-1").on_hand == FULL


def test_a_return_that_takes_on_hand_past_the_limit_is_refused(full: None) -> None:
    web = account("shop", location=warehouse("wh-2"))
    order = submit(web, order_json("R-1", [("A", 5)], status="shipped"))
    before = ledger()

    with pytest.raises(StockError) as refused:
        record_return(order.pk, sku="A", quantity=5, location="wh-1", actor=ACTOR)

    assert (refused.value.field, refused.value.conflict) == ("quantity", True)
    assert ledger() == before


def test_the_receipt_form_shows_the_limit_as_an_error_on_the_quantity(
    client: Client, full: None
) -> None:
    client.force_login(make_user(Role.MANAGER))
    before = ledger()

    response = client.post(
        reverse("inventory:receive"), {"sku": "A", "location": "wh-1", "quantity": "2"}
    )

    assert response.status_code == 400
    assert "2147483647" in " ".join(response.context["form"].errors["quantity"])
    assert ledger() == before


def test_safety_stock_above_the_limit_is_refused_naming_the_field(full: None) -> None:
    with pytest.raises(StockError) as refused:
        set_stock_levels(sku="A", location="wh-1", safety_stock=FULL + 1)

    assert refused.value.field == "safety_stock"
    assert StockBalance.objects.get(location__code="wh-1").safety_stock == 0


def test_two_lines_at_the_largest_quantity_are_stored_as_a_backorder_naming_the_sku() -> None:
    wh = warehouse("wh-1")
    receive("A", wh, FULL)
    web = account("web", location=wh)

    order = submit(web, order_json("BIG-1", [("A", FULL), ("A", FULL)]))

    assert stock_status(order) == OrderStockStatus.BACKORDER
    assert holding(order) == {}
    short = Shortage.objects.get(order=order)
    assert (short.sku.code, short.location_id, short.wanted) == ("A", wh.pk, FULL)
    assert stock_problems() == []


def test_an_order_wanting_more_than_the_limit_keeps_what_it_held_and_cancels_cleanly() -> None:
    wh = warehouse("wh-1")
    receive("A", wh, 10)
    web = account("web", location=wh)
    order = submit(web, order_json("BIG-2", [("A", 4)], version=1))

    submit(web, order_json("BIG-2", [("A", FULL), ("A", 2)], version=2))
    assert (stock_status(order), holding(order)) == (
        OrderStockStatus.BACKORDER,
        {("A", "wh-1", "reserved"): 4},
    )
    assert Shortage.objects.get(order=order).wanted == FULL  # at least the limit

    submit(web, order_json("BIG-2", [("A", FULL), ("A", 2)], status="cancelled", version=3))
    assert (stock_status(order), holding(order)) == (OrderStockStatus.RELEASED, {})
    assert stock_problems() == []


def test_an_order_first_seen_shipped_wanting_more_than_the_limit_moves_no_stock() -> None:
    wh = warehouse("wh-1")
    receive("A", wh, 10)
    web = account("web", location=wh)

    order = submit(web, order_json("BIG-3", [("A", FULL)] * 3, status="shipped"))

    assert stock_status(order) == OrderStockStatus.BACKORDER
    assert holding(order) == {}
    assert StockBalance.objects.get().on_hand == 10


def test_a_bundle_whose_parts_add_up_past_the_limit_is_a_backorder() -> None:
    wh = warehouse("wh-1")
    receive("A", wh, 10)
    sku("BOX", components=[("A", 3)])
    web = account("web", location=wh)

    order = submit(web, order_json("BIG-4", [("BOX", FULL // 2)]))

    assert stock_status(order) == OrderStockStatus.BACKORDER
    assert Shortage.objects.get(order=order).wanted == FULL


def test_an_order_past_the_limit_does_not_stop_the_intake_worker_nor_its_batch() -> None:
    wh = warehouse("wh-1")
    receive("QH-TS-BLK-L", wh, 10)
    relay = make_account("relay", location_code=wh.code)
    big = manual_order("BIG-5", shipping="0", discount="0", total=f"{2 * FULL}.00")
    line = {**big["lines"][0], "quantity": FULL, "unit_price": "1.00", "discount": "0"}
    big["lines"] = [{**line, "total": f"{FULL}.00"}] * 2
    for order in (manual_order("OK-1"), big, manual_order("OK-2")):
        accept_webhook(relay, **signed(order))

    assert process_received() == 3

    assert not DeadLetter.objects.exists()
    stored = {o.external_id: stock_status(o) for o in Order.objects.all()}
    assert stored == {
        "OK-1": OrderStockStatus.RESERVED,
        "BIG-5": OrderStockStatus.BACKORDER,
        "OK-2": OrderStockStatus.RESERVED,
    }


def test_a_split_order_past_the_limit_records_its_shortage_within_the_columns() -> None:
    east, west = warehouse("east"), warehouse("west")
    receive("A", east, FULL)
    receive("A", west, FULL)
    web = account("web", location=east)
    rule = ChannelStockRule.objects.create(account=web, split_allowed=True)
    RuleLocation.objects.create(rule=rule, location=east, priority=1)
    RuleLocation.objects.create(rule=rule, location=west, priority=2)
    whole = submit(web, order_json("S-1", [("A", FULL), ("A", 1)]))
    split = submit(web, order_json("S-2", [("A", FULL - 1), ("A", 1)]))

    assert stock_status(whole) == OrderStockStatus.BACKORDER
    short = Shortage.objects.get(order=whole)
    assert (short.location_id, short.wanted, short.available) == (None, FULL, FULL)
    assert holding(split) == {("A", "east", "reserved"): FULL}  # at the limit: reserved
    assert stock_problems() == []


def test_backorders_are_retried_where_reserved_and_safety_stock_add_up_past_the_limit() -> None:
    wh = warehouse("wh-1")
    receive("A", wh, FULL)
    web = account("web", location=wh)
    submit(web, order_json("H-1", [("A", FULL - 10)]))
    set_stock_levels(sku="A", location="wh-1", safety_stock=FULL - 5)
    waiting = submit(web, order_json("H-2", [("A", 20)]))
    assert stock_status(waiting) == OrderStockStatus.BACKORDER

    assert retry_backorders(min_age=timedelta(0)) == 0  # on PostgreSQL: no integer overflow

    assert stock_status(waiting) == OrderStockStatus.BACKORDER


def test_receiving_against_incoming_stock_beyond_the_limit_closes_it_within_the_column() -> None:
    wh = warehouse("wh-1")
    item = sku("A")
    incoming = IncomingStock.objects.create(
        sku=item, location=wh, quantity=FULL, expected_on=date(2026, 4, 1)
    )
    receive_stock(
        sku=item,
        location=wh,
        quantity=FULL - 1,
        unit_cost=None,
        actor=ACTOR,
        incoming_id=incoming.pk,
    )
    adjust_stock(sku=item, location=wh, quantity_delta=-(FULL - 1), reason="sold", actor=ACTOR)

    receive_stock(
        sku=item, location=wh, quantity=5, unit_cost=None, actor=ACTOR, incoming_id=incoming.pk
    )

    incoming.refresh_from_db()
    assert (incoming.received_quantity, incoming.status) == (FULL, SupplyStatus.DONE)


def test_a_store_return_that_would_take_the_store_past_the_limit_waits_as_a_backorder() -> None:
    shop = store("store-1")
    receive("A", shop, 4)
    till = account(platform="pos_csv", location=shop)
    submit(till, order_json("T-1", [("A", 3)], status="completed", channel="pos_csv"))
    receive("A", shop, FULL - 1)  # the store is full again

    back = submit(
        till,
        order_json(
            "T-1/return/1",
            [{"sku": "A", "quantity": 2, "refunded_quantity": 2}],
            status="refunded",
            channel="pos_csv",
            paid_at=None,
        ),
    )

    assert stock_status(back) == OrderStockStatus.BACKORDER
    assert StockBalance.objects.get().on_hand == FULL
    adjust_stock(sku="A", location="store-1", quantity_delta=-2, reason="sold", actor=ACTOR)
    retry_backorders(min_age=timedelta(0))
    assert (stock_status(back), StockBalance.objects.get().on_hand) == (
        OrderStockStatus.RETURNED,
        FULL,
    )
    assert stock_problems() == []


def test_shipping_an_order_that_wants_more_than_the_limit_is_recorded_and_moves_no_stock() -> None:
    wh = warehouse("wh-1")
    receive("A", wh, 10)
    web = account("web", location=wh)
    order = submit(web, order_json("BIG-6", [("A", FULL), ("A", FULL)]))

    record_shipment(order, "SF", "SF1", ACTOR)

    assert stock_status(order) == OrderStockStatus.BACKORDER
    assert StockBalance.objects.get().on_hand == 10


@pytest.mark.parametrize(
    ("model", "data"),
    [
        (IncomingStock, {"quantity": FULL + 1, "expected_on": "2026-04-01", "currency": "CNY"}),
        (PlannedOutput, {"quantity": FULL + 1, "due_on": "2026-04-01"}),
    ],
)
def test_supply_past_the_limit_is_a_form_error_in_the_admin_on_both_databases(
    client: Client, model: Any, data: dict[str, Any]
) -> None:
    client.force_login(make_user(Role.ADMINISTRATOR))
    item, wh = sku("A"), warehouse("wh-1")
    meta = model._meta
    url = reverse(f"admin:{meta.app_label}_{meta.model_name}_add")

    response = client.post(
        url, {"sku": item.pk, "location": wh.pk, "status": "open", "received_quantity": 0, **data}
    )

    assert response.status_code == 200
    assert "quantity" in response.context["adminform"].form.errors
    assert not model.objects.exists()


def test_an_order_past_the_limit_at_an_account_with_no_location_is_short_nowhere() -> None:
    sku("A")  # and no warehouse: the account has nowhere to take stock from
    web = account("web")

    order = submit(web, order_json("BIG-7", [("A", FULL), ("A", 1)]))

    assert stock_status(order) == OrderStockStatus.BACKORDER
    assert Shortage.objects.filter(order=order).values_list("location", "wanted").get() == (
        None,
        FULL,
    )
