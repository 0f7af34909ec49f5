"""Bad input to the order and dead-letter endpoints: a 4xx in the error shape of contracts.md
that names the field, never a 500, and nothing written."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from omnioms.core.models import StaffProfile
from omnioms.core.roles import Role
from omnioms.orders.models import Order
from omnioms.sync.webhooks import receive_webhook
from omnioms.testing import (
    api_as,
    make_account,
    make_location,
    make_user,
    manual_order,
    signed,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def server_errors_answered(client: Client) -> None:
    client.raise_request_exception = False  # a 500 is an answer to assert on, not a raise


def _fields(response: Any) -> list[str]:
    body = response.json()
    assert set(body) == {"detail", "errors"}, body
    return [error["field"] for error in body["errors"]]


def _cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("created_from", "0001-01-01T00:00:00+08:00"),  # the year 0 in UTC
        ("created_to", "9999-12-31T23:59:59Z"),
        ("created_from", "1899-12-31T00:00:00Z"),
    ],
)
def test_an_order_list_time_out_of_range_is_422_naming_the_field(
    client: Client, field: str, value: str
) -> None:
    response = api_as(client, Role.ORDER_CLERK).get("/orders", **{field: value})

    assert response.status_code == 422
    assert _fields(response) == [field]
    assert "between 1900-01-01 and 9999-12-30" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize("field", ["created_from", "created_to"])
@pytest.mark.parametrize("offset", ["+16:00", "-16:00", "+23:59"])
def test_an_order_list_time_with_an_offset_of_16_hours_or_more_is_422_naming_the_field(
    client: Client, field: str, offset: str
) -> None:
    # Python takes offsets up to 23:59; PostgreSQL refuses 16:00 and beyond (a 500 there).
    response = api_as(client, Role.ORDER_CLERK).get(
        "/orders", **{field: "2026-03-01T00:00:00" + offset}
    )

    assert response.status_code == 422
    assert _fields(response) == [field]
    assert response.json()["errors"][0]["message"] == (
        "the UTC offset must be between -15:59 and +15:59"
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("created_at", "0001-01-01T00:00:00+08:00", "must be a time between 0001-01-02 and"),
        # Accepted before, it then made the web order list a 500 for everyone (the year 10000
        # in Beijing).
        ("created_at", "9999-12-31T23:59:59Z", "must be a time between 0001-01-02 and"),
        ("paid_at", "2026-03-01T10:00:00+16:00", "the UTC offset must be between -15:59 and"),
        ("updated_at", "2026-03-01T10:00:00-23:59", "the UTC offset must be between -15:59 and"),
    ],
)
def test_a_posted_order_time_without_a_utc_is_422_naming_the_field_and_stores_nothing(
    client: Client, field: str, value: str, message: str
) -> None:
    make_account("phone")
    api = api_as(client, Role.ORDER_CLERK)

    response = api.post("/orders", {**manual_order("T-1", **{field: value}), "account": "phone"})

    assert response.status_code == 422
    assert _fields(response) == [field]
    assert response.json()["errors"][0]["message"].startswith(message)
    assert not Order.objects.exists()


def test_the_widest_order_list_range_still_answers(client: Client) -> None:
    response = api_as(client, Role.ORDER_CLERK).get(
        "/orders", created_from="1900-01-01T00:00:00Z", created_to="9999-12-30T23:59:59+08:00"
    )
    assert response.status_code == 200
    assert response.json()["items"] == []


@pytest.mark.parametrize(
    "raw",
    [
        '["next", "2026-01-01T00:00:00+00:00", 1e400]',  # an id of infinity
        '["next", "2026-01-01T00:00:00+00:00", 100000000000000000000000]',  # beyond bigint
        '["next", "2026-01-01T00:00:00+00:00", 7.5]',
        '["prev", "0001-01-01T00:00:00+08:00", 7]',  # a time in the year 0 in UTC
        '["next", "2026-01-01T00:00:00", 7]',  # no offset
        "[" * 100_000,  # nesting deeper than the JSON parser recurses
    ],
)
def test_a_crafted_cursor_is_400_naming_the_cursor(client: Client, raw: str) -> None:
    response = api_as(client, Role.ORDER_CLERK).get("/orders", cursor=_cursor(raw))

    assert response.status_code == 400
    assert _fields(response) == ["cursor"]
    assert "start again from the first page" in response.json()["detail"]


def test_a_cursor_in_the_year_1_utc_is_still_a_page(client: Client) -> None:
    cursor = _cursor('["next", "0001-01-01T00:00:01+00:00", 7]')
    response = api_as(client, Role.ORDER_CLERK).get("/orders", cursor=cursor)

    assert response.status_code == 200
    assert response.json()["items"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"shipped_at": "0001-01-01T00:00:00+08:00"}, "shipped_at"),
        ({"shipped_at": "2026-03-01T10:00:00+16:00"}, "shipped_at"),
        ({"lines": [{"external_line_id": "1", "quantity": 10**20}]}, "lines.0.quantity"),
    ],
)
def test_a_shipment_out_of_range_is_422_naming_the_field_and_ships_nothing(
    client: Client, body: dict[str, Any], field: str
) -> None:
    receive_webhook(make_account("phone"), **signed(manual_order("S-1")))
    order = Order.objects.get(external_id="S-1")
    api = api_as(client, Role.MANAGER)

    response = api.post(
        f"/orders/{order.pk}/shipments", {"carrier": "SF", "tracking_number": "SF1", **body}
    )

    assert response.status_code == 422
    assert _fields(response) == [field]
    order.refresh_from_db()
    assert order.status == "paid"


@pytest.mark.parametrize("offset", [-5, 10**20])
def test_a_dead_letter_offset_out_of_range_is_422_naming_it(client: Client, offset: int) -> None:
    response = api_as(client, Role.ORDER_CLERK).get("/dead-letters", offset=offset)

    assert response.status_code == 422
    assert _fields(response) == ["offset"]


def test_a_missing_order_is_404_in_the_error_shape(client: Client) -> None:
    response = api_as(client, Role.ORDER_CLERK).get("/orders/999999")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found", "errors": []}


def test_a_missing_dead_letter_is_404_in_the_error_shape(client: Client) -> None:
    response = api_as(client, Role.MANAGER).post("/dead-letters/999999/replay", {})

    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found", "errors": []}


def _clerk_without_store() -> User:
    """A store clerk whose store was taken away (``StaffProfile.store`` is nullable)."""
    make_location("closed-store")
    clerk = make_user(Role.STORE_CLERK, store="closed-store")
    StaffProfile.objects.filter(user=clerk).update(store=None)
    return User.objects.get(pk=clerk.pk)


@pytest.mark.parametrize("with_location", [False, True])
def test_a_store_clerk_without_a_store_may_add_no_order(
    client: Client, with_location: bool
) -> None:
    extra = {"location_code": make_location("north").code} if with_location else {}
    account = make_account("webshop", **extra)  # without a location: an online channel
    receive_webhook(account, **signed(manual_order("W-1")))
    before = Order.objects.get(external_id="W-1")
    api = api_as(client, _clerk_without_store())

    response = api.post(
        "/orders", {**manual_order("W-1", status="cancelled"), "account": "webshop"}
    )
    added = api.post("/orders", {**manual_order("W-2"), "account": "webshop"})

    assert (response.status_code, added.status_code) == (404, 404)
    assert response.json()["detail"] == "account: no channel account named 'webshop'"
    after = Order.objects.get(external_id="W-1")
    assert (after.status, after.events.count()) == ("paid", before.events.count())
    assert not Order.objects.filter(external_id="W-2").exists()
