"""The REST surface of contracts.md: tokens, orders, dead letters, products, locations."""

from __future__ import annotations

import pytest
from django.test import Client

from omnioms.channels.models import ChannelAccount, DeadLetter
from omnioms.core.roles import Role
from omnioms.orders.models import Order
from omnioms.sync.webhooks import receive_webhook
from omnioms.testing import (
    Api,
    api_as,
    make_account,
    make_location,
    manual_order,
    signed,
)

pytestmark = pytest.mark.django_db


def test_request_without_token_is_401_with_the_error_shape(client: Client) -> None:
    response = Api(client, None).get("/orders")
    assert response.status_code == 401
    assert response.json() == {
        "detail": "authentication required: send Authorization: Bearer <token>",
        "errors": [],
    }


def test_revoked_or_unknown_token_is_401(client: Client) -> None:
    assert Api(client, "oms_not-a-token").get("/orders").status_code == 401


def test_posted_order_is_stored_and_read_back_with_lines_and_events(client: Client) -> None:
    make_account("phone-orders")
    api = api_as(client, Role.ORDER_CLERK)
    response = api.post("/orders", {**manual_order("P-1"), "account": "phone-orders"})
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["external_id"] == "P-1"
    assert (created["total"], created["shipping"], created["currency"]) == ("196.00", "8.00", "CNY")
    assert created["lines"][0]["unit_price"] == "99.00"
    assert created["lines"][0]["sku"] == "QH-TS-BLK-L"
    assert [e["kind"] for e in created["events"]] == ["created"]
    again = api.get(f"/orders/{created['id']}").json()
    assert again["events"][0]["actor"].startswith("order_clerk")


def test_posted_order_with_bad_fields_is_422_naming_each_field(client: Client) -> None:
    make_account("phone-orders")
    api = api_as(client, Role.ORDER_CLERK)
    bad = {**manual_order("P-1"), "account": "phone-orders", "currency": "yuan"}
    bad["lines"][0]["unit_price"] = "abc"
    response = api.post("/orders", bad)
    assert response.status_code == 422
    fields = {error["field"] for error in response.json()["errors"]}
    assert fields == {"currency", "lines.0.unit_price"}
    assert not Order.objects.exists()


def test_order_list_filters_by_channel_status_and_search(client: Client) -> None:
    account = make_account("a")
    for n, status in enumerate(["paid", "shipped", "paid"]):
        receive_webhook(
            account,
            **signed(manual_order(f"L-{n}", status=status, buyer={"name": f"Buyer {n}"})),
        )
    api = api_as(client, Role.MANAGER)
    assert [o["external_id"] for o in api.get("/orders", status="paid").json()["items"]] == [
        "L-2",
        "L-0",
    ]
    assert [o["external_id"] for o in api.get("/orders", q="Buyer 1").json()["items"]] == ["L-1"]
    assert api.get("/orders", channel="shopify").json()["items"] == []
    assert api.get("/orders", cursor="garbage").status_code == 400


def test_store_clerk_sees_only_own_store_orders_and_gets_404_for_others(client: Client) -> None:
    make_location("store-sh")
    make_location("store-hz")
    sh = make_account("pos-sh", location_code="store-sh")
    hz = make_account("pos-hz", location_code="store-hz")
    receive_webhook(sh, **signed(manual_order("SH-1")))
    receive_webhook(hz, **signed(manual_order("HZ-1")))
    api = api_as(client, Role.STORE_CLERK, store="store-sh")
    assert [o["external_id"] for o in api.get("/orders").json()["items"]] == ["SH-1"]
    other = Order.objects.get(external_id="HZ-1")
    assert api.get(f"/orders/{other.pk}").status_code == 404
    response = api.post("/orders", {**manual_order("HZ-2"), "account": "pos-hz"})
    assert response.status_code == 404


def test_customer_service_cannot_replay_dead_letters(client: Client) -> None:
    account = make_account()
    receive_webhook(account, **signed(b"not json"))
    letter = DeadLetter.objects.get()
    api = api_as(client, Role.CUSTOMER_SERVICE)
    assert api.get("/dead-letters").status_code == 403
    assert api.post(f"/dead-letters/{letter.pk}/replay").status_code == 403


def test_replaying_a_dead_letter_of_a_platform_no_longer_known_is_409(client: Client) -> None:
    account = make_account("shop")
    receive_webhook(account, **signed(b"not json"))
    letter = DeadLetter.objects.get()
    ChannelAccount.objects.filter(pk=account.pk).update(platform="myshop")  # adapter removed

    response = api_as(client, Role.ORDER_CLERK).post(f"/dead-letters/{letter.pk}/replay")

    assert response.status_code == 409
    assert "myshop" in response.json()["detail"]
    letter.refresh_from_db()
    assert (letter.attempts, letter.resolved_at) == (1, None)


def test_order_clerk_lists_and_replays_dead_letters(client: Client) -> None:
    account = make_account("shop")
    receive_webhook(account, **signed(b"not json"))
    api = api_as(client, Role.ORDER_CLERK)
    listing = api.get("/dead-letters").json()
    assert listing["count"] == 1
    assert listing["items"][0]["account"] == "shop"
    assert listing["items"][0]["reason"].startswith("not valid JSON")
    replay = api.post(f"/dead-letters/{listing['items'][0]['id']}/replay").json()
    assert replay["resolved"] is False
    assert replay["outcome"] == "dead_lettered"


def test_products_with_components_and_locations_are_created(client: Client) -> None:
    api = api_as(client, Role.ADMINISTRATOR)
    assert api.post("/products", {"sku": "TEE", "name": "T恤", "price": "99.00"}).status_code == 201
    bundle = api.post(
        "/products",
        {"sku": "TEE-3", "name": "T恤三件装", "components": [{"sku": "TEE", "quantity": 3}]},
    )
    assert bundle.status_code == 201
    assert bundle.json()["components"] == [{"sku": "TEE", "quantity": 3}]
    unknown = api.post("/products", {"sku": "X", "name": "x", "components": [{"sku": "NOPE"}]})
    assert unknown.status_code in (400, 422)
    location = api.post("/locations", {"code": "wh-1", "name": "仓库", "kind": "warehouse"})
    assert location.status_code == 201
    assert (
        api.post("/locations", {"code": "wh-1", "name": "x", "kind": "warehouse"}).json()["detail"]
        == "code: location 'wh-1' already exists"
    )


def test_openapi_schema_is_served(client: Client) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/webhooks/{account}" in schema["paths"]
    assert "/api/v1/orders" in schema["paths"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "shop " * 30),
        ("display_name", "店" * 201),
        ("secret", "s" * 501),
        ("time_zone", "Asia/" + "x" * 60),
        ("currency", "yuan"),
        ("location", "l" * 51),
    ],
)
def test_account_fields_beyond_their_columns_are_422_naming_the_field(
    client: Client, field: str, value: str
) -> None:
    api = api_as(client, Role.ADMINISTRATOR)

    response = api.post("/accounts", {"name": "shop", "platform": "manual", field: value})

    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == [field]
    assert not ChannelAccount.objects.exists()
