"""Marking an order shipped from its page: recorded, queued for the platform, refused cleanly."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from django.test import Client
from django.urls import reverse

from omnioms.channels.models import CommandKind, CommandState, OutboundCommand
from omnioms.core.roles import Role
from omnioms.orders.models import Order, OrderEventKind
from omnioms.web.tests.conftest import LoginAs, Shop
from omnioms.web.tests.factories import order_data, submit

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

SHIPMENT = {"carrier": "SF Express", "tracking_number": " SF1234567890 "}


@pytest.fixture
def web_order(shop: Shop) -> Order:
    """A paid order of the Shopify account, which has an API connection."""
    shop.web_shop.api_credentials = {"base_url": "https://shop.example", "token": "t"}
    shop.web_shop.save(update_fields=["api_credentials"])
    return submit(shop.web_shop, order_data("WEB-1", channel="shopify"))


@pytest.fixture
def store_order(shop: Shop) -> Order:
    """A paid order of the north store's manual account: no platform to tell."""
    return submit(shop.north_pos, order_data("N-1"))


def ship(client: Client, order: Order, **data: str) -> Response:
    return client.post(reverse("web:order_ship", args=[order.pk]), {**SHIPMENT, **data})


def event_count(order: Order) -> int:
    return order.events.count()


@pytest.mark.django_db
def test_an_order_clerk_ships_an_order_and_the_platform_message_is_queued(
    client: Client, web_order: Order, order_clerk: object
) -> None:
    page = client.get(reverse("web:order_detail", args=[web_order.pk])).content.decode()
    assert reverse("web:order_ship", args=[web_order.pk]) in page

    response = ship(client, web_order)

    assert response.status_code == 302
    location = response["Location"]
    assert location == reverse("web:order_detail", args=[web_order.pk]) + "#timeline"
    web_order.refresh_from_db()
    assert web_order.status == "shipped"
    command = OutboundCommand.objects.get()
    assert (command.order_id, command.kind, command.state) == (
        web_order.pk,
        CommandKind.MARK_SHIPPED,
        CommandState.PENDING,
    )
    assert command.payload["carrier"] == "SF Express"
    assert command.payload["tracking_number"] == "SF1234567890"
    assert command.created_by.startswith("order_clerk")
    note = web_order.events.get(kind=OrderEventKind.NOTE)
    assert note.data["command"] == command.pk
    page = client.get(location).content.decode()
    assert "The channel will be told shortly." in page
    assert "Shipped with SF Express, tracking number SF1234567890." in page
    assert reverse("web:order_ship", args=[web_order.pk]) not in page  # shipped: no form


@pytest.mark.django_db
def test_a_store_order_is_marked_shipped_without_a_platform_message(
    client: Client, store_order: Order, shop: Shop, login_as: LoginAs
) -> None:
    login_as(Role.STORE_CLERK, store=shop.north)

    response = ship(client, store_order)

    assert response.status_code == 302
    store_order.refresh_from_db()
    assert store_order.status == "shipped"
    assert not OutboundCommand.objects.exists()
    page = client.get(response["Location"]).content.decode()
    assert "has no API connection, so it is not told" in page
    assert "Shipped with SF Express, tracking number SF1234567890." in page


@pytest.mark.django_db
def test_a_blank_tracking_number_shows_the_form_error_and_changes_nothing(
    client: Client, web_order: Order, order_clerk: object
) -> None:
    before = event_count(web_order)

    response = ship(client, web_order, tracking_number="   ")

    assert response.status_code == 400
    page = response.content.decode()
    assert "This field is required." in page
    assert 'value="SF Express"' in page  # what was typed is kept
    web_order.refresh_from_db()
    assert web_order.status == "paid"
    assert event_count(web_order) == before
    assert not OutboundCommand.objects.exists()


@pytest.mark.django_db
def test_an_already_shipped_order_shows_no_form_and_a_second_shipment_is_refused(
    client: Client, web_order: Order, order_clerk: object
) -> None:
    assert ship(client, web_order).status_code == 302
    before = event_count(web_order)

    page = client.get(reverse("web:order_detail", args=[web_order.pk])).content.decode()
    response = ship(client, web_order, tracking_number="SF999")

    assert reverse("web:order_ship", args=[web_order.pk]) not in page
    assert "Mark shipped" not in page
    assert response.status_code == 409
    assert "This order is Shipped and cannot be marked shipped" in response.content.decode()
    assert event_count(web_order) == before
    assert OutboundCommand.objects.count() == 1


@pytest.mark.django_db
def test_an_order_awaiting_payment_cannot_be_shipped(
    client: Client, shop: Shop, order_clerk: object
) -> None:
    order = submit(shop.north_pos, order_data("N-2", status="pending_payment"))

    page = client.get(reverse("web:order_detail", args=[order.pk])).content.decode()
    response = ship(client, order)

    assert "Mark shipped" not in page
    assert response.status_code == 409
    order.refresh_from_db()
    assert order.status == "pending_payment"


@pytest.mark.django_db
def test_a_user_who_may_not_change_orders_sees_no_form_and_is_forbidden(
    client: Client, web_order: Order, login_as: LoginAs
) -> None:
    login_as(Role.CUSTOMER_SERVICE)

    page = client.get(reverse("web:order_detail", args=[web_order.pk])).content.decode()
    response = ship(client, web_order)

    assert "Mark shipped" not in page
    assert response.status_code == 403
    web_order.refresh_from_db()
    assert web_order.status == "paid"
    assert not OutboundCommand.objects.exists()


@pytest.mark.django_db
def test_a_store_clerk_cannot_ship_another_stores_order(
    client: Client, store_order: Order, shop: Shop, login_as: LoginAs
) -> None:
    login_as(Role.STORE_CLERK, store=shop.south)

    response = ship(client, store_order)

    assert response.status_code == 404
    store_order.refresh_from_db()
    assert store_order.status == "paid"
    assert not store_order.events.filter(kind=OrderEventKind.NOTE).exists()


@pytest.mark.django_db
def test_shipping_needs_a_post(client: Client, web_order: Order, order_clerk: object) -> None:
    assert client.get(reverse("web:order_ship", args=[web_order.pk])).status_code == 405
