"""Numbers larger than the stock and catalogue columns hold: refused naming the field (a 422
from the API, a field error on the form), never a 500, and nothing stored.

The bounds are the smaller of SQLite's and PostgreSQL's: 2,147,483,647 for a quantity (a
PostgreSQL ``integer``), 99,999,999,999,999 for an amount (``numeric(18, 4)``, of which SQLite
reads back 15 significant digits).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from omnioms.catalog.models import Sku
from omnioms.core.models import Location
from omnioms.core.roles import Role
from omnioms.inventory.models import StockBalance, StockMovement
from omnioms.inventory.tests.factories import receive, sku, store, warehouse
from omnioms.testing import api_as, make_user

pytestmark = pytest.mark.django_db

HUGE = 10**20


@pytest.fixture(autouse=True)
def server_errors_answered(client: Client) -> None:
    client.raise_request_exception = False  # a 500 is an answer to assert on, not a raise


@pytest.fixture
def stocked() -> None:
    receive("A", warehouse("wh-1"), 10)
    store("store-1")


def _stock() -> list[tuple[str, str, int]]:
    return sorted(StockBalance.objects.values_list("sku__code", "location__code", "on_hand"))


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/inventory/receipts", {"sku": "A", "location": "wh-1", "quantity": HUGE}, "quantity"),
        (
            "/inventory/receipts",
            {"sku": "A", "location": "wh-1", "quantity": 1, "unit_cost": "1e20"},
            "unit_cost",
        ),
        (
            "/inventory/receipts",
            {"sku": "A", "location": "wh-1", "quantity": 1, "incoming": HUGE},
            "incoming",
        ),
        (
            "/inventory/adjustments",
            {"sku": "A", "location": "wh-1", "quantity_delta": -HUGE, "reason": "lost"},
            "quantity_delta",
        ),
        ("/inventory/counts", {"sku": "A", "location": "wh-1", "counted": HUGE}, "counted"),
        (
            "/inventory/transfers",
            {"sku": "A", "from_location": "wh-1", "to_location": "store-1", "quantity": HUGE},
            "quantity",
        ),
    ],
)
def test_a_stock_number_too_large_is_422_naming_the_field_and_stores_nothing(
    client: Client, stocked: None, path: str, body: dict[str, Any], field: str
) -> None:
    before = (StockMovement.objects.count(), _stock())

    response = api_as(client, Role.MANAGER).post(path, body)

    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == [field]
    assert (StockMovement.objects.count(), _stock()) == before


def test_the_largest_quantity_and_cost_are_received_and_read_back(client: Client) -> None:
    warehouse("wh-2")
    sku("B")

    response = api_as(client, Role.MANAGER).post(
        "/inventory/receipts",
        {
            "sku": "B",
            "location": "wh-2",
            "quantity": 2_147_483_647,
            "unit_cost": "99999999999999",
            "confirm": True,  # far above the movement ceiling: test_ceiling.py
        },
    )

    assert response.status_code == 201, response.content
    assert StockMovement.objects.get(sku__code="B").unit_cost == Decimal("99999999999999")
    assert _stock() == [("B", "wh-2", 2_147_483_647)]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"price": "1e20"}, "price"),
        ({"unit_cost": "99999999999999.9999"}, "unit_cost"),  # SQLite reads it back as 10^14
        ({"components": [{"sku": "A", "quantity": HUGE}]}, "components.0.quantity"),
    ],
)
def test_a_product_number_too_large_is_422_naming_the_field_and_stores_nothing(
    client: Client, stocked: None, body: dict[str, Any], field: str
) -> None:
    response = api_as(client, Role.MANAGER).post("/products", {"sku": "X1", "name": "x", **body})

    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == [field]
    assert not Sku.objects.filter(code="X1").exists()


def test_a_product_at_the_largest_price_can_still_be_received(client: Client) -> None:
    warehouse("wh-2")
    api = api_as(client, Role.MANAGER)

    product = api.post("/products", {"sku": "X1", "name": "x", "price": "99999999999999"})
    receipt = api.post("/inventory/receipts", {"sku": "X1", "location": "wh-2", "quantity": 1})

    assert (product.status_code, receipt.status_code) == (201, 201)
    assert Sku.objects.get(code="X1").price == Decimal("99999999999999")
    assert api.get("/inventory", sku="X1").json()[0]["on_hand"] == 1


@pytest.mark.parametrize(
    ("url", "data", "message"),
    [
        (
            "inventory:receive",
            {"sku": "A", "location": "wh-1", "quantity": str(HUGE)},
            "less than or equal to 2147483647",
        ),
        (
            "inventory:receive",
            {"sku": "A", "location": "wh-1", "quantity": "1", "unit_cost": "99999999999999.9999"},
            "less than or equal to 99999999999999",
        ),
        (
            "inventory:adjust",
            {
                "sku": "A",
                "location": "wh-1",
                "mode": "adjust",
                "quantity": str(-HUGE),
                "reason": "x",
            },
            "greater than or equal to -2147483647",
        ),
        (
            "inventory:adjust",
            {"sku": "A", "location": "wh-1", "mode": "count", "quantity": str(HUGE), "reason": "x"},
            "less than or equal to 2147483647",
        ),
        (
            "inventory:transfer",
            {"sku": "A", "from_location": "wh-1", "to_location": "store-1", "quantity": str(HUGE)},
            "less than or equal to 2147483647",
        ),
    ],
)
def test_a_form_number_too_large_is_a_field_error_and_stores_nothing(
    client: Client, stocked: None, url: str, data: dict[str, str], message: str
) -> None:
    client.force_login(make_user(Role.MANAGER))
    client.raise_request_exception = False
    before = (StockMovement.objects.count(), _stock())

    response = client.post(reverse(url), data)

    assert response.status_code == 400
    field = "unit_cost" if "unit_cost" in data else "quantity"
    assert message in " ".join(response.context["form"].errors[field])
    assert message in response.content.decode()
    assert (StockMovement.objects.count(), _stock()) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"province": "浙" * 101}, "province"),
        ({"city": "杭" * 101}, "city"),
        ({"name": "仓" * 201}, "name"),
    ],
)
def test_location_text_longer_than_its_column_is_422_naming_the_field(
    client: Client, body: dict[str, Any], field: str
) -> None:
    # PostgreSQL refuses a value longer than the column (a 500); SQLite stored it whole.
    location = {"code": "wh-9", "name": "Warehouse 9", "kind": "warehouse", **body}

    response = api_as(client, Role.ADMINISTRATOR).post("/locations", location)

    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == [field]
    assert not Location.objects.filter(code="wh-9").exists()
