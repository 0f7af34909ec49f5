"""The stock endpoints of contracts.md: reads, writes, permissions, and bad input refused."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from omnioms.core.roles import Role
from omnioms.inventory.models import StockBalance, StockMovement
from omnioms.inventory.tests.factories import (
    account,
    order_json,
    receive,
    sku,
    store,
    submit,
    warehouse,
)
from omnioms.testing import api_as

pytestmark = pytest.mark.django_db


@pytest.fixture
def stocked() -> None:
    wh = warehouse("wh-1")
    warehouse("wh-2")
    receive("A", wh, 10)
    sku("B")
    submit(account("web", platform="shopify", location=wh), order_json("W-1", [("A", 3)]))


def test_inventory_lists_on_hand_reserved_and_available_per_location(
    client: Client, stocked: None
) -> None:
    response = api_as(client, Role.ORDER_CLERK).get("/inventory", sku="A")

    assert response.status_code == 200
    (row,) = response.json()
    assert (row["sku"], row["location"]) == ("A", "wh-1")
    assert (row["on_hand"], row["reserved"], row["available"]) == (10, 3, 7)


def test_a_receipt_an_adjustment_and_a_transfer_are_recorded(client: Client, stocked: None) -> None:
    api = api_as(client, Role.MANAGER)
    receipt = api.post(
        "/inventory/receipts",
        {"sku": "B", "location": "wh-1", "quantity": 5, "unit_cost": "12.50", "reference": "PO-7"},
    )
    adjustment = api.post(
        "/inventory/adjustments",
        {"sku": "B", "location": "wh-1", "quantity_delta": -1, "reason": "damaged"},
    )
    transfer = api.post(
        "/inventory/transfers",
        {"sku": "B", "from_location": "wh-1", "to_location": "wh-2", "quantity": 2},
    )
    count = api.post("/inventory/counts", {"sku": "B", "location": "wh-2", "counted": 1})

    assert receipt.status_code == 201, receipt.content
    assert (receipt.json()["unit_cost"], receipt.json()["currency"]) == ("12.50", "CNY")
    assert adjustment.status_code == 201
    assert adjustment.json()["reason"] == "damaged"
    assert transfer.status_code == 201
    assert (transfer.json()["out"]["quantity"], transfer.json()["in"]["quantity"]) == (-2, 2)
    assert count.status_code == 200
    assert count.json()["correction"]["quantity"] == -1
    on_hand = dict(
        StockBalance.objects.filter(sku__code="B").values_list("location__code", "on_hand")
    )
    assert on_hand == {"wh-1": 2, "wh-2": 1}


@pytest.mark.parametrize(
    ("path", "body", "status", "field"),
    [
        ("/inventory/receipts", {"sku": "NOPE", "location": "wh-1", "quantity": 1}, 400, "sku"),
        ("/inventory/receipts", {"sku": "A", "location": "wh-1", "quantity": -1}, 422, "quantity"),
        ("/inventory/receipts", {"sku": "A", "location": "mars", "quantity": 1}, 400, "location"),
        (
            "/inventory/adjustments",
            {"sku": "A", "location": "wh-1", "quantity_delta": -11, "reason": "lost"},
            409,
            "quantity_delta",
        ),
        (
            "/inventory/transfers",
            {"sku": "A", "from_location": "wh-1", "to_location": "wh-2", "quantity": 8},
            409,
            "quantity",
        ),
        (
            "/inventory/transfers",
            {"sku": "A", "from_location": "wh-1", "to_location": "wh-2", "quantity": 0},
            422,
            "quantity",
        ),
    ],
)
def test_bad_input_is_a_4xx_naming_the_field_and_changes_nothing(
    client: Client, stocked: None, path: str, body: dict[str, Any], status: int, field: str
) -> None:
    before = StockMovement.objects.count()
    response = api_as(client, Role.MANAGER).post(path, body)

    assert response.status_code == status, response.content
    assert field in {error["field"] for error in response.json()["errors"]}
    assert response.json()["detail"]
    assert StockMovement.objects.count() == before


def test_the_transfer_refusal_says_how_many_are_available(client: Client, stocked: None) -> None:
    response = api_as(client, Role.MANAGER).post(
        "/inventory/transfers",
        {"sku": "A", "from_location": "wh-1", "to_location": "wh-2", "quantity": 8},
    )
    assert response.json()["errors"][0]["message"] == "only 7 of A available at wh-1"


def test_channel_availability_applies_the_accounts_rule(client: Client, stocked: None) -> None:
    api = api_as(client, Role.MANAGER)
    response = api.get("/channels/web/availability", sku=["A"])

    assert response.status_code == 200
    assert response.json()["account"] == "web"
    (item,) = response.json()["items"]
    assert (item["sku"], item["quantity"], item["last_pushed"], item["pending_changes"]) == (
        "A",
        7,
        None,
        1,  # the reservation's change: the receipt came before the account existed
    )
    assert api.get("/channels/nope/availability").status_code == 404
    assert api.get("/channels/web/availability", sku=["NOPE"]).status_code == 400


def test_a_store_clerk_sees_and_changes_only_their_own_store(client: Client, stocked: None) -> None:
    shop = store("store-1")
    receive("A", shop, 2)
    api = api_as(client, Role.STORE_CLERK, store="store-1")

    rows = api.get("/inventory").json()
    assert {row["location"] for row in rows} == {"store-1"}
    assert (
        api.post(
            "/inventory/receipts", {"sku": "A", "location": "store-1", "quantity": 1}
        ).status_code
        == 201
    )
    elsewhere = api.post("/inventory/receipts", {"sku": "A", "location": "wh-1", "quantity": 1})
    assert elsewhere.status_code == 403
    assert api.get("/channels/web/availability").status_code == 403


def test_a_role_without_stock_permissions_is_refused(client: Client, stocked: None) -> None:
    api = api_as(client, Role.CUSTOMER_SERVICE)
    assert api.get("/inventory").status_code == 200
    response = api.post("/inventory/receipts", {"sku": "A", "location": "wh-1", "quantity": 1})
    assert response.status_code == 403


def test_backorders_list_what_each_order_lacks(client: Client, stocked: None) -> None:
    submit(account("more", location=warehouse("wh-1")), order_json("BIG", [("A", 50)]))

    rows = api_as(client, Role.ORDER_CLERK).get("/inventory/backorders").json()

    assert [row["external_id"] for row in rows] == ["BIG"]
    assert rows[0]["short"] == [{"sku": "A", "location": "wh-1", "wanted": 50, "available": 7}]
