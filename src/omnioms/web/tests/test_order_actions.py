"""The order page offers the actions of the order's stage as buttons and forms, and takes them."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from omnioms.core.roles import Role
from omnioms.inventory.tests.factories import account, order_json, receive, submit, warehouse
from omnioms.orders.models import Order
from omnioms.testing import make_user

pytestmark = pytest.mark.django_db


def _paid_order() -> Order:
    wh = warehouse("wh-page")
    receive("TEE", wh, 10)
    return submit(account("tmall", platform="taobao", location=wh), order_json("P-1", [("TEE", 2)]))


def _as_clerk(client: Client) -> None:
    client.force_login(make_user(Role.ORDER_CLERK))


def test_the_order_page_shows_the_stage_and_a_button_or_form_per_action(client: Client) -> None:
    order = _paid_order()
    _as_clerk(client)

    page = client.get(reverse("web:order_detail", args=[order.pk])).content.decode()

    assert 'data-stage="to_pick"' in page
    assert reverse("web:order_action", args=[order.pk, "pick"]) in page
    assert reverse("web:order_action", args=[order.pk, "ship"]) in page
    assert 'name="lines-#1"' in page  # ship per line and quantity
    assert 'name="reason"' in page  # hold and cancel ask why


def test_a_clerk_holds_and_releases_an_order_from_its_page(client: Client) -> None:
    order = _paid_order()
    _as_clerk(client)

    held = client.post(
        reverse("web:order_action", args=[order.pk, "hold"]),
        {"stage": "to_pick", "reason": "address check"},
    )
    assert held.status_code == 302
    order.refresh_from_db()
    assert order.stage == "on_hold"
    page = client.get(reverse("web:order_detail", args=[order.pk])).content.decode()
    assert "address check" in page
    released = client.post(
        reverse("web:order_action", args=[order.pk, "release_hold"]), {"stage": "on_hold"}
    )
    assert released.status_code == 302
    order.refresh_from_db()
    assert order.stage == "to_pick"


def test_a_form_sent_from_a_page_the_order_has_left_changes_nothing(client: Client) -> None:
    order = _paid_order()
    _as_clerk(client)

    response = client.post(
        reverse("web:order_action", args=[order.pk, "pick"]), {"stage": "on_hold"}
    )

    assert response.status_code == 409
    assert "moved on" in response.content.decode()
    order.refresh_from_db()
    assert order.stage == "to_pick"


def test_a_shipment_form_with_too_many_units_comes_back_naming_the_lines(client: Client) -> None:
    order = _paid_order()
    _as_clerk(client)

    response = client.post(
        reverse("web:order_action", args=[order.pk, "ship"]),
        {"stage": "to_pick", "carrier": "SF", "tracking_number": "SF1", "lines-#1": "5"},
    )

    assert response.status_code == 400
    assert "2 units left to ship" in response.content.decode()
    order.refresh_from_db()
    assert order.stage == "to_pick"
