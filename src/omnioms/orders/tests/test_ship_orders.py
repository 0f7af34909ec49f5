"""Shipping many orders at once (a day's parcels) does what shipping each one does."""

from __future__ import annotations

import pytest
from django.utils import timezone

from omnioms.core.actor import Actor
from omnioms.inventory.models import StockBalance
from omnioms.inventory.tests.factories import account, order_json, receive, submit, warehouse
from omnioms.orders.domain import ShipmentLine, make_shipment
from omnioms.orders.flows import TransitionNotAllowed
from omnioms.orders.models import Order, OrderEvent, OrderEventKind
from omnioms.orders.services import change_order_status, line_key, ship_order, ship_orders

pytestmark = pytest.mark.django_db
JOB = Actor.system("test job")


def _stock(sku: str) -> tuple[int, int]:
    balance = StockBalance.objects.get(sku__code=sku)
    return balance.on_hand, balance.reserved


def _timeline(order: Order) -> list[tuple[str, str]]:
    return [
        (e.kind, e.data.get("to", "") or e.data.get("shipment", {}).get("tracking_number", ""))
        for e in OrderEvent.objects.filter(order=order).order_by("pk")
        if e.kind in (OrderEventKind.STATUS_CHANGED, OrderEventKind.NOTE)
    ]


def test_a_batch_ships_each_order_as_ship_order_does() -> None:
    wh = warehouse("wh-batch")
    receive("TEE", wh, 20)
    receive("CAP", wh, 5)
    shop = account("shop", location=wh)
    one = submit(shop, order_json("B-1", [("TEE", 2)], version=0))
    two = submit(shop, order_json("B-2", [("TEE", 3), ("CAP", 1)], version=0))
    alone = submit(shop, order_json("B-3", [("TEE", 4)], version=0))
    assert _stock("TEE") == (20, 9)
    at = timezone.now()

    changes = ship_orders(
        [
            (one.pk, make_shipment("SF", "SF1", shipped_at=at)),
            (two.pk, make_shipment("SF", "SF2", shipped_at=at)),
        ],
        actor=JOB,
    )
    ship_order(alone.pk, make_shipment("SF", "SF3", shipped_at=at), actor=JOB)

    assert [c.order.pk for c in changes] == [one.pk, two.pk]
    for order in (one, two, alone):
        order.refresh_from_db()
        assert order.status == "shipped"
        assert all(line.shipped_quantity == line.quantity for line in order.lines.all())
    # the stock left the shelf and the reservations are gone, for both paths alike
    assert _stock("TEE") == (11, 0)
    assert _stock("CAP") == (4, 0)
    # the same timeline as one shipment at a time: the status change, then the shipment
    assert _timeline(one) == [("status_changed", "shipped"), ("note", "SF1")]
    assert [k for k, _ in _timeline(two)] == [k for k, _ in _timeline(alone)]
    assert one.stage == alone.stage


def test_a_partial_shipment_in_a_batch_leaves_the_rest_open() -> None:
    wh = warehouse("wh-part")
    receive("TEE", wh, 10)
    order = submit(account("shop", location=wh), order_json("P-1", [("TEE", 5)], version=0))
    line = order.lines.get()
    part = make_shipment(
        "SF", "SF9", shipped_at=timezone.now(), lines=[ShipmentLine(line_key(line), 2)]
    )

    ship_orders([(order.pk, part)], actor=JOB)

    order.refresh_from_db()
    line.refresh_from_db()
    assert order.status == "partially_shipped"
    assert line.shipped_quantity == 2
    assert _stock("TEE") == (8, 3)


def test_one_order_that_may_not_ship_leaves_the_whole_batch_unwritten() -> None:
    wh = warehouse("wh-bad")
    receive("TEE", wh, 10)
    shop = account("shop", location=wh)
    good = submit(shop, order_json("G-1", [("TEE", 2)], version=0))
    gone = submit(shop, order_json("G-2", [("TEE", 1)], version=0))
    change_order_status(gone.pk, "refunded", actor=JOB)
    at = timezone.now()

    with pytest.raises(TransitionNotAllowed):
        ship_orders(
            [
                (good.pk, make_shipment("SF", "SF1", shipped_at=at)),
                (gone.pk, make_shipment("SF", "SF2", shipped_at=at)),
            ],
            actor=JOB,
        )

    good.refresh_from_db()
    assert good.status == "paid"
    assert good.lines.get().shipped_quantity == 0
    assert _stock("TEE") == (10, 2)  # the refunded order's unit is free again
    assert not OrderEvent.objects.filter(order=good, kind=OrderEventKind.NOTE).exists()
