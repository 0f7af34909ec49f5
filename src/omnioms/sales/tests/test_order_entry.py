"""Staff key in an order on a page: the API's validation, the one path, the store scope."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from omnioms.orders.models import Order
from omnioms.testing import make_account, make_location, make_user

pytestmark = pytest.mark.django_db


def _login(client: Client, role: str, store: str | None = None) -> Any:
    user = make_user(role, store=store)
    client.force_login(user)
    return user


def _form(account: str, **extra: str) -> dict[str, str]:
    data = {
        "account": account,
        "external_id": "",
        "status": "paid",
        "buyer_name": "王小明",
        "buyer_phone": "13800138000",
        "buyer_email": "",
        "shipping": "8",
        "order_discount": "0",
        "lines-TOTAL_FORMS": "2",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "1",
        "lines-MAX_NUM_FORMS": "1000",
        "lines-0-sku": "QH-TS-BLK-L",
        "lines-0-title": "T恤",
        "lines-0-quantity": "2",
        "lines-0-unit_price": "99.00",
        "lines-0-discount_percent": "10",
    }
    data.update(extra)
    return data


def test_an_order_keyed_in_is_stored_like_any_channel_order_with_its_totals(client: Client) -> None:
    make_account("phone-orders", platform="manual")
    _login(client, "order_clerk")
    response = client.post("/sales/orders/new/", _form("phone-orders"))
    assert response.status_code == 302
    order = Order.objects.get()
    assert order.account.name == "phone-orders"
    assert order.status == "paid"
    assert str(order.total) == "186.2000"  # 2 × 89.10 + 8 shipping
    assert order.payloads.count() == 1  # entered through the intake, as the API does
    assert order.customer is not None
    assert response["Location"] == f"/orders/{order.pk}/"


def test_an_invalid_order_is_refused_naming_the_field_and_nothing_is_stored(client: Client) -> None:
    make_account("phone-orders", platform="manual")
    _login(client, "order_clerk")
    response = client.post(
        "/sales/orders/new/", _form("phone-orders", **{"lines-0-unit_price": "1e20"})
    )
    assert response.status_code == 400
    assert b"Ensure" in response.content or b"digits" in response.content
    nul = client.post("/sales/orders/new/", _form("phone-orders", buyer_name="a\x00b"))
    assert nul.status_code == 400
    assert Order.objects.count() == 0


def test_an_order_id_already_used_in_the_account_is_refused(client: Client) -> None:
    make_account("phone-orders", platform="manual")
    _login(client, "order_clerk")
    assert (
        client.post("/sales/orders/new/", _form("phone-orders", external_id="A-1")).status_code
        == 302
    )
    again = client.post("/sales/orders/new/", _form("phone-orders", external_id="A-1"))
    assert again.status_code == 400
    assert "already" in again.content.decode()
    assert Order.objects.count() == 1


def test_a_store_clerk_keys_orders_only_into_their_stores_accounts(client: Client) -> None:
    store = make_location("sh-01")
    make_account("sh-01-phone", platform="manual", location_code=store.code)
    make_account("online-phone", platform="manual")
    _login(client, "store_clerk", store="sh-01")
    page = client.get("/sales/orders/new/")
    assert b"sh-01-phone" in page.content
    assert b"online-phone" not in page.content
    refused = client.post("/sales/orders/new/", _form("online-phone"))
    assert refused.status_code == 400
    assert Order.objects.count() == 0


def test_the_page_offers_a_spreadsheet_upload_for_each_spreadsheet_account(client: Client) -> None:
    make_account("excel-orders", platform="csv")
    _login(client, "order_clerk")
    page = client.get("/sales/orders/new/").content.decode()
    assert "/channels/excel-orders/import/" in page


def test_a_user_without_add_order_gets_403(client: Client) -> None:
    _login(client, "planner")
    assert client.get("/sales/orders/new/").status_code == 403
