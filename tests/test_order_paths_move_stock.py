"""Every way a user ships or cancels an order moves its stock, whoever changes the status.

Receive 10, take a paid order of 2: on hand 10, reserved 2. Shipped from the order page, the
REST API, a job or the channel itself: on hand 8, reserved 0. Refunded by a person or by the
channel: on hand 10, reserved 0. (Before the one status-change path, shipping from the page or
the API left the 2 reserved for good.)
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from omnioms.core.actor import Actor
from omnioms.core.roles import Role
from omnioms.inventory.models import StockBalance
from omnioms.inventory.tests.factories import account, order_json, receive, submit, warehouse
from omnioms.orders.domain import make_shipment
from omnioms.orders.effects import subscribed
from omnioms.orders.models import Order
from omnioms.orders.services import change_order_status, ship_order
from omnioms.testing import api_as, make_user

pytestmark = pytest.mark.django_db


def _paid_order_of_two() -> Order:
    wh = warehouse("wh-paths")
    receive("TEE", wh, 10)
    return submit(account("shop", location=wh), order_json("P-1", [("TEE", 2)], version=0))


def _stock() -> tuple[int, int]:
    balance = StockBalance.objects.get(sku__code="TEE")
    return balance.on_hand, balance.reserved


def _from_the_order_page(client: Client, order: Order) -> None:
    client.force_login(make_user(Role.ORDER_CLERK))
    response = client.post(
        reverse("web:order_ship", args=[order.pk]),
        {"carrier": "SF Express", "tracking_number": "SF1"},
    )
    assert response.status_code == 302


def _from_the_api(client: Client, order: Order) -> None:
    api = api_as(client, Role.ORDER_CLERK)
    response = api.post(
        f"/orders/{order.pk}/shipments", {"carrier": "SF Express", "tracking_number": "SF1"}
    )
    assert response.status_code == 201, response.content


def _by_a_job(client: Client, order: Order) -> None:
    shipment = make_shipment("SF Express", "SF1", shipped_at=timezone.now())
    ship_order(order.pk, shipment, actor=Actor.system("test job"))


def _by_the_channel(client: Client, order: Order) -> None:
    shop = order.account
    submit(shop, order_json("P-1", [("TEE", 2)], status="shipped", version=60))


@pytest.mark.parametrize("ship", [_from_the_order_page, _from_the_api, _by_a_job, _by_the_channel])
def test_shipping_an_order_takes_its_units_out_of_stock(
    client: Client, ship: Callable[[Client, Order], None]
) -> None:
    order = _paid_order_of_two()
    assert _stock() == (10, 2)

    ship(client, order)

    order.refresh_from_db()
    assert order.status == "shipped"
    assert _stock() == (8, 0)


def test_a_person_refunding_an_order_frees_its_units() -> None:
    order = _paid_order_of_two()
    assert _stock() == (10, 2)

    change_order_status(order.pk, "refunded", actor=Actor("user", "clerk"))

    assert _stock() == (10, 0)


def test_the_channel_cancelling_an_order_frees_its_units() -> None:
    order = _paid_order_of_two()
    assert _stock() == (10, 2)

    submit(order.account, order_json("P-1", [("TEE", 2)], status="refunded", version=60))

    assert _stock() == (10, 0)


def test_stock_follows_every_order_change_last_and_the_platform_is_told_before_it() -> None:
    effects = subscribed()

    assert effects[-1] == "inventory.stock"
    assert "sync.outbound" in effects
    assert "forecasting.demand" in effects
