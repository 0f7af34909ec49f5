"""The stock pages: who may open which, what they show, and the forms."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from omnioms.core.roles import Role
from omnioms.inventory.models import (
    ChannelStockRule,
    IncomingStock,
    StockBalance,
    StockMovement,
)
from omnioms.inventory.services import set_stock_levels
from omnioms.inventory.tests.factories import (
    account,
    order_json,
    receive,
    sku,
    store,
    submit,
    warehouse,
)
from omnioms.testing import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def stocked() -> None:
    wh = warehouse("wh-1")
    shop = store("store-1")
    receive("A", wh, 10)
    receive("A", shop, 3)
    sku("B")
    submit(account("web", platform="shopify", location=wh), order_json("W-1", [("A", 4)]))
    submit(account("web2", location=wh), order_json("W-2", [("A", 40)]))


def login(client: Client, role: str, store_code: str | None = None) -> None:
    client.force_login(make_user(role, store=store_code))


PAGES = [
    reverse("inventory:stock_list"),
    reverse("inventory:stock_detail", args=["A", "wh-1"]),
    reverse("inventory:availability"),
    reverse("inventory:alerts"),
    reverse("inventory:backorders"),
    reverse("inventory:receive"),
    reverse("inventory:adjust"),
    reverse("inventory:transfer"),
]


@pytest.mark.parametrize("url", PAGES)
def test_every_stock_page_needs_a_login(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login"))


@pytest.mark.parametrize("url", PAGES)
def test_a_manager_opens_every_stock_page(client: Client, stocked: None, url: str) -> None:
    login(client, Role.MANAGER)
    assert client.get(url).status_code == 200


def test_the_stock_list_shows_figures_and_marks_low_stock(client: Client, stocked: None) -> None:
    set_stock_levels(sku="A", location="wh-1", reorder_point=8)
    login(client, Role.ORDER_CLERK)

    page = client.get(reverse("inventory:stock_list"), {"low": "on"}).content.decode()

    assert 'href="/inventory/A/wh-1/"' in page
    assert "/inventory/A/store-1/" not in page  # 3 available there, no reorder point
    assert "figure-low" in page
    nav = client.get(reverse("web:order_list")).content.decode()
    assert reverse("inventory:stock_list") in nav


def test_the_detail_shows_the_ledger_and_the_orders_holding_the_stock(
    client: Client, stocked: None
) -> None:
    IncomingStock.objects.create(
        sku=sku("A"), location=warehouse("wh-1"), quantity=30, expected_on="2030-01-02"
    )
    login(client, Role.MANAGER)
    page = client.get(reverse("inventory:stock_detail", args=["A", "wh-1"])).content.decode()

    assert "W-1" in page  # holds 4
    assert "Receipt" in page
    assert "2030-01-02" in page


def test_a_store_clerk_sees_only_their_store(client: Client, stocked: None) -> None:
    login(client, Role.STORE_CLERK, store_code="store-1")

    listing = client.get(reverse("inventory:stock_list")).content.decode()
    assert "/inventory/A/store-1/" in listing
    assert "/inventory/A/wh-1/" not in listing
    assert client.get(reverse("inventory:stock_detail", args=["A", "wh-1"])).status_code == 404
    assert client.get(reverse("inventory:availability")).status_code == 403
    refused = client.post(
        reverse("inventory:receive"), {"sku": "A", "location": "wh-1", "quantity": 1}
    )
    assert refused.status_code == 400  # not a location they may choose
    assert StockBalance.objects.get(sku__code="A", location__code="wh-1").on_hand == 10


def test_customer_service_may_look_but_not_change(client: Client, stocked: None) -> None:
    login(client, Role.CUSTOMER_SERVICE)
    assert client.get(reverse("inventory:stock_list")).status_code == 200
    assert client.get(reverse("inventory:adjust")).status_code == 403
    assert client.post(reverse("inventory:transfer"), {}).status_code == 403


def test_the_availability_page_shows_each_accounts_figure(client: Client, stocked: None) -> None:
    ChannelStockRule.objects.create(account=account("capped", location=warehouse("wh-1")), cap=2)
    login(client, Role.MANAGER)

    page = client.get(reverse("inventory:availability"), {"account": "capped"}).content.decode()

    assert "cap 2" in page
    assert '<td class="num">2</td>' in page


def test_the_backorder_list_says_what_is_short(client: Client, stocked: None) -> None:
    login(client, Role.ORDER_CLERK)
    page = client.get(reverse("inventory:backorders")).content.decode()
    assert "W-2" in page
    assert "A: wants 40, 6 available" in page


def test_the_adjustment_form_records_a_change_with_its_reason(
    client: Client, stocked: None
) -> None:
    login(client, Role.MANAGER)
    response = client.post(
        reverse("inventory:adjust"),
        {"sku": "A", "location": "wh-1", "mode": "adjust", "quantity": "-2", "reason": "wet box"},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("inventory:stock_detail", args=["A", "wh-1"])
    movement = StockMovement.objects.latest("pk")
    assert (movement.quantity, movement.reason) == (-2, "wet box")


def test_a_count_through_the_form_sets_on_hand(client: Client, stocked: None) -> None:
    login(client, Role.MANAGER)
    client.post(
        reverse("inventory:adjust"),
        {
            "sku": "A",
            "location": "wh-1",
            "mode": "count",
            "quantity": "12",
            "reason": "cycle count",
        },
    )
    assert StockBalance.objects.get(sku__code="A", location__code="wh-1").on_hand == 12


def test_a_transfer_larger_than_available_is_shown_on_the_form_and_changes_nothing(
    client: Client, stocked: None
) -> None:
    login(client, Role.MANAGER)
    before = StockMovement.objects.count()
    response = client.post(
        reverse("inventory:transfer"),
        {"sku": "A", "from_location": "wh-1", "to_location": "store-1", "quantity": "7"},
    )

    assert response.status_code == 400
    assert "only 6 of A available at wh-1" in response.content.decode()
    assert StockMovement.objects.count() == before


def test_a_receipt_of_an_unknown_sku_is_refused_on_the_form(client: Client, stocked: None) -> None:
    login(client, Role.MANAGER)
    response = client.post(
        reverse("inventory:receive"), {"sku": "NOPE", "location": "wh-1", "quantity": "1"}
    )
    assert response.status_code == 400
    assert "unknown SKU &#x27;NOPE&#x27;" in response.content.decode()
