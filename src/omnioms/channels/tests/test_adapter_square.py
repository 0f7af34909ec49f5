"""The Square adapter: published Orders API examples, thin webhooks, and an order of our own."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from omnioms.channels.adapters import get_adapter
from omnioms.channels.adapters.base import AdapterContext, NormalizationError
from omnioms.channels.adapters.square import ADAPTER, order_ids_to_fetch
from omnioms.channels.tests.adapter_helpers import (
    fixture_reader,
    hmac_base64,
    normalizer,
    utc,
)
from omnioms.core.choices import OrderStatus

OWN = "order_paid_shipped_partial_refund.json"
RETRIEVE = "square/RetrieveOrderResponse_example.json"
BATCH = "square/BatchRetrieveOrdersResponse_example.json"
SEARCH = "square/SearchOrdersResponse_example.json"
EVENTS = (
    "square/OrderCreatedEvent_example.json",
    "square/OrderUpdatedEvent_example.json",
    "square/OrderFulfillmentUpdatedEvent_example.json",
)
KEY = "sq0wbs-Fv0qXc2mEw8oZ4kqJ1aT9g"
URL = "https://shop.example.com/api/v1/webhooks/square-main"

Payload = Callable[[str], bytes]

fixture_bytes = fixture_reader("square")
normalize = normalizer(ADAPTER)


def own() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(fixture_bytes(OWN))
    return data


def sign(body: bytes, url: str = URL, key: str = KEY) -> str:
    return hmac_base64(key, url.encode() + body)


def test_the_adapter_is_registered_under_square() -> None:
    assert ADAPTER.code == "square"
    assert get_adapter("square") is ADAPTER


# ----------------------------------------------------------------------------------------------
# RetrieveOrder example: an open order with a 50% order discount spread over two lines


def test_retrieve_order_example_amounts(published_payload: Payload) -> None:
    order = normalize(published_payload(RETRIEVE))

    assert order.channel == "square"
    assert order.external_id == "CAISENgvlJ6jLWAzERDzjyHVybY"
    assert order.currency == "USD"
    assert order.total == Decimal("5.50")
    assert order.discount == Decimal("5.50")
    assert order.tax == Decimal("0.00")
    assert order.shipping == Decimal("0.00")
    assert order.taxes_included is False
    assert order.total_mismatch() == Decimal("0")
    assert order.version == 1


def test_retrieve_order_example_open_without_tender_awaits_payment(
    published_payload: Payload,
) -> None:
    order = normalize(published_payload(RETRIEVE))

    assert order.status == OrderStatus.PENDING_PAYMENT
    assert order.raw_status == "OPEN"
    assert order.paid_at is None
    assert order.created_at == datetime(2020, 5, 18, 16, 30, 49, 614000, tzinfo=UTC)
    assert order.updated_at == datetime(2020, 5, 18, 16, 30, 49, 614000, tzinfo=UTC)
    assert order.buyer.name is None
    assert order.ship_to is None


def test_retrieve_order_example_lines(published_payload: Payload) -> None:
    order = normalize(published_payload(RETRIEVE))

    assert [
        (
            line.external_line_id,
            line.sku,
            line.title,
            line.quantity,
            line.unit_price,
            line.discount,
            line.total,
        )
        for line in order.lines
    ] == [
        ("ULkg0tQTRK2bkU9fNv3IJD", None, "Item 1", 1, Decimal("5.00"), Decimal("2.50"),
         Decimal("2.50")),
        ("mumY8Nun4BC5aKe2yyx5a", None, "Item 2", 2, Decimal("3.00"), Decimal("3.00"),
         Decimal("3.00")),
    ]  # fmt: skip


# ----------------------------------------------------------------------------------------------
# BatchRetrieveOrders example: one order, no state, no times


def test_batch_retrieve_example_is_one_order_without_state(published_payload: Payload) -> None:
    records = list(ADAPTER.split(published_payload(BATCH), "batch"))
    assert len(records) == 1

    order = ADAPTER.normalize(records[0], AdapterContext())

    assert order.external_id == "CAISEM82RcpmcFBM0TfOyiHV3es"
    assert order.raw_status is None
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert order.total == Decimal("75.99")
    assert order.created_at is None
    assert order.version is None
    assert [
        (line.external_line_id, line.title, line.quantity, line.unit_price, line.total)
        for line in order.lines
    ] == [
        ("945986d1-9586-11e6-ad5a-28cfe92138cf", "Awesome product", 1, Decimal("15.99"),
         Decimal("15.99")),
        ("a8f4168c-9586-11e6-bdf0-28cfe92138cf", "Another awesome product", 3,
         Decimal("20.00"), Decimal("60.00")),
    ]  # fmt: skip
    assert order.total_mismatch() == Decimal("0")


def test_a_batch_of_several_orders_splits_per_order(published_payload: Payload) -> None:
    batch = json.loads(published_payload(BATCH))
    second = own()["order"]
    batch["orders"].append(second)

    records = list(ADAPTER.split(json.dumps(batch).encode(), "batch"))

    assert [record.label for record in records] == ["batch: order 1", "batch: order 2"]
    ids = [ADAPTER.normalize(record, AdapterContext()).external_id for record in records]
    assert ids == ["CAISEM82RcpmcFBM0TfOyiHV3es", "7Wp6CqmQ2zLxJh5RdeM1q8aVbFkZY"]


# ----------------------------------------------------------------------------------------------
# Thin webhooks and SearchOrders entries: ids only, to be pulled


@pytest.mark.parametrize("name", EVENTS)
def test_thin_webhooks_name_the_order_to_pull(published_payload: Payload, name: str) -> None:
    body = published_payload(name)

    assert order_ids_to_fetch(body) == ["eA3vssLHKJrv9H0IdJCM3gNqfdcZY"]
    with pytest.raises(NormalizationError) as error:
        normalize(body)
    message = str(error.value)
    assert "names order eA3vssLHKJrv9H0IdJCM3gNqfdcZY" in message
    assert "must be pulled" in message


def test_search_orders_entries_name_three_orders_to_pull(published_payload: Payload) -> None:
    body = published_payload(SEARCH)

    assert order_ids_to_fetch(body) == [
        "CAISEM82RcpmcFBM0TfOyiHV3es",
        "CAISENgvlJ6jLWAzERDzjyHVybY",
        "CAISEM52YcpmcWAzERDOyiWS3ty",
    ]
    records = list(ADAPTER.split(body, "search"))
    assert len(records) == 3
    with pytest.raises(NormalizationError, match="names order CAISENgvlJ6jLWAzERDzjyHVybY"):
        ADAPTER.normalize(records[1], AdapterContext())


def test_full_orders_need_no_fetch(published_payload: Payload) -> None:
    assert order_ids_to_fetch(published_payload(RETRIEVE)) == []
    assert order_ids_to_fetch(published_payload(BATCH)) == []
    with pytest.raises(NormalizationError, match="not valid JSON"):
        order_ids_to_fetch(b"<html>")


@pytest.mark.parametrize(
    ("name", "event_id", "topic"),
    [
        (EVENTS[0], "116038d3-2948-439f-8679-fc86dbf80f69", "order.created"),
        (EVENTS[1], "4b8e5c91-9f17-4cf1-900a-4a0629f81add", "order.updated"),
        (EVENTS[2], "b3adf364-4937-436e-a833-49c72b4baee8", "order.fulfillment.updated"),
    ],
)
def test_webhook_meta_uses_the_event_id(
    published_payload: Payload, name: str, event_id: str, topic: str
) -> None:
    meta = ADAPTER.webhook_meta(published_payload(name), {})

    assert meta.event_id == event_id
    assert meta.topic == topic
    assert meta.is_ping is False


def test_webhook_meta_of_an_unreadable_body_is_empty() -> None:
    assert ADAPTER.webhook_meta(b"nope", {}).event_id is None


def test_signature_over_url_and_body(published_payload: Payload) -> None:
    body = published_payload(EVENTS[1])
    headers = {"x-square-hmacsha256-signature": sign(body)}

    assert ADAPTER.verify_signature(body, headers, [KEY], URL) is True
    assert ADAPTER.verify_signature(body, headers, ["old-key", KEY], URL) is True
    capitalised = {"X-Square-HmacSha256-Signature": sign(body)}
    assert ADAPTER.verify_signature(body, capitalised, [KEY], URL) is True


def test_signature_refused_when_wrong_missing_or_url_differs(published_payload: Payload) -> None:
    body = published_payload(EVENTS[1])
    good = {"x-square-hmacsha256-signature": sign(body)}

    wrong = {"x-square-hmacsha256-signature": sign(body, key="another-key")}
    assert ADAPTER.verify_signature(body, wrong, [KEY], URL) is False
    assert ADAPTER.verify_signature(body, {}, [KEY], URL) is False
    assert ADAPTER.verify_signature(body, good, [KEY], URL + "?x=1") is False
    assert ADAPTER.verify_signature(body, good, [KEY], "") is False
    # a body-only HMAC (the Shopify scheme) is not Square's
    body_only = {"x-square-hmacsha256-signature": sign(body, url="")}
    assert ADAPTER.verify_signature(body, body_only, [KEY], URL) is False
    assert ADAPTER.verify_signature(body + b" ", good, [KEY], URL) is False


# ----------------------------------------------------------------------------------------------
# Our own full order: modifiers, custom amount line, shipment, tender, partial refund


def test_paid_shipped_order_money() -> None:
    order = normalize(own())

    assert order.external_id == "7Wp6CqmQ2zLxJh5RdeM1q8aVbFkZY"
    assert order.status == OrderStatus.SHIPPED
    assert order.raw_status == "OPEN"
    assert order.version == 4
    assert order.total == Decimal("38.66")
    assert order.discount == Decimal("3.00")
    assert order.tax == Decimal("2.67")
    assert order.shipping == Decimal("5.99")  # the "Shipping" service charge
    assert order.taxes_included is False
    assert order.total_mismatch() == Decimal("0")
    assert order.paid_at == utc(2024, 5, 2, 14, 5, 40)
    assert order.created_at == datetime(2024, 5, 2, 14, 3, 11, 282000, tzinfo=UTC)


def test_modifier_price_is_part_of_the_unit_price_and_custom_amount_has_no_sku() -> None:
    beans, card = normalize(own()).lines

    assert beans.sku == "W62UWFY35CWMYGVWK6TWJDNI"
    assert beans.title == "House Blend Beans (1 lb)"
    assert (beans.quantity, beans.unit_price, beans.discount, beans.total) == (
        2,
        Decimal("15.00"),  # 14.50 + 0.50 espresso grind
        Decimal("3.00"),
        Decimal("27.00"),
    )
    assert card.sku is None
    assert card.title == "Handwritten note card"
    assert (card.quantity, card.unit_price, card.total) == (1, Decimal("3.00"), Decimal("3.00"))


def test_partial_refund_keeps_the_status_and_is_not_attributed() -> None:
    order = normalize(own())

    assert order.status == OrderStatus.SHIPPED
    assert [line.refunded_quantity for line in order.lines] == [0, 0]


def test_refunds_covering_the_total_make_it_refunded() -> None:
    data = own()
    data["order"]["refunds"][0]["amount_money"]["amount"] = 3866

    assert normalize(data).status == OrderStatus.REFUNDED
    data["order"]["refunds"][0]["status"] = "PENDING"
    assert normalize(data).status == OrderStatus.SHIPPED


def test_a_merged_return_of_this_order_counts_refunded_units() -> None:
    data = own()
    data["order"]["returns"] = [
        {
            "uid": "ret-1",
            "source_order_id": "7Wp6CqmQ2zLxJh5RdeM1q8aVbFkZY",
            "return_line_items": [
                {"uid": "rli-1", "source_line_item_uid": "li-custom-card", "quantity": "1"}
            ],
        }
    ]

    assert [line.refunded_quantity for line in normalize(data).lines] == [0, 1]


def test_buyer_and_ship_to_come_from_the_shipment_recipient() -> None:
    order = normalize(own())

    assert order.buyer.name == "Maya Okafor"
    assert order.buyer.email == "maya.okafor@example.com"
    assert order.buyer.phone == "+1 718-555-0147"
    assert order.buyer.channel_buyer_id == "JDKYHBWT1D4F8MFH63DBMEN8Y4"
    ship_to = order.ship_to
    assert ship_to is not None
    assert ship_to.address == "221 Kent Ave, Apt 4R"
    assert (ship_to.city, ship_to.province, ship_to.postal_code, ship_to.country) == (
        "Brooklyn",
        "NY",
        "11249",
        "US",
    )
    assert order.notes.buyer == "Leave with the doorman"


@pytest.mark.parametrize(
    ("state", "fulfilment", "tenders", "status"),
    [
        ("OPEN", "PROPOSED", True, OrderStatus.PAID),
        ("OPEN", "COMPLETED", True, OrderStatus.SHIPPED),
        ("OPEN", "PROPOSED", False, OrderStatus.PAID),  # net_amount_due 0 still says settled
        ("COMPLETED", "COMPLETED", True, OrderStatus.COMPLETED),
        ("CANCELED", "CANCELED", False, OrderStatus.CANCELLED),
        ("DRAFT", "PROPOSED", False, OrderStatus.DRAFT),
    ],
)
def test_states(state: str, fulfilment: str, tenders: bool, status: OrderStatus) -> None:
    data = own()
    data["order"].update(state=state, refunds=[])
    data["order"]["fulfillments"][0]["state"] = fulfilment
    if not tenders:
        del data["order"]["tenders"]

    assert normalize(data).status == status


def test_open_order_with_amount_due_and_no_tender_awaits_payment() -> None:
    data = own()
    del data["order"]["tenders"]
    data["order"]["net_amount_due_money"]["amount"] = 3866

    assert normalize(data).status == OrderStatus.PENDING_PAYMENT


def test_two_shipments_one_completed_is_partially_shipped() -> None:
    data = own()
    second = json.loads(json.dumps(data["order"]["fulfillments"][0]))
    second.update(uid="ful-2", state="RESERVED")
    data["order"]["fulfillments"].append(second)

    assert normalize(data).status == OrderStatus.PARTIALLY_SHIPPED


def test_inclusive_taxes_are_shown_but_not_added() -> None:
    data = own()["order"]
    data["taxes"][0]["type"] = "INCLUSIVE"
    data["total_money"]["amount"] = 3599  # 3000 - 300 + 300 + 599, tax inside the prices

    order = normalize(data)

    assert order.tax == Decimal("2.67")
    assert order.taxes_included is True
    assert order.total_mismatch() == Decimal("0")


# ----------------------------------------------------------------------------------------------
# Currency minor units, fractional quantities, malformed input


def test_yen_amounts_have_no_minor_unit() -> None:
    yen = {
        "id": "JPY-ORDER-1",
        "state": "OPEN",
        "line_items": [
            {"uid": "a", "name": "抹茶ラテ", "quantity": "2",
             "base_price_money": {"amount": 580, "currency": "JPY"}}
        ],
        "total_money": {"amount": 1160, "currency": "JPY"},
        "tenders": [{"id": "t", "created_at": "2024-06-01T03:00:00Z"}],
    }  # fmt: skip

    order = normalize(yen)

    assert order.currency == "JPY"
    assert order.lines[0].unit_price == Decimal("580")
    assert order.total == Decimal("1160")
    assert order.total_mismatch() == Decimal("0")


def test_fractional_quantity_is_a_clear_error() -> None:
    data = own()
    data["order"]["line_items"][0]["quantity"] = "1.25"

    with pytest.raises(NormalizationError, match="fractional quantity") as error:
        normalize(data)
    assert error.value.field == "line 1: quantity"


def test_an_amount_in_another_currency_is_refused() -> None:
    data = own()
    data["order"]["line_items"][1]["base_price_money"]["currency"] = "CAD"
    del data["order"]["line_items"][1]["gross_sales_money"]

    with pytest.raises(NormalizationError) as error:
        normalize(data)
    assert error.value.field == "line 2: base_price_money.currency"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda o: o.pop("id"), "id"),
        (lambda o: o.pop("total_money"), "total_money"),
        (lambda o: o["total_money"].update(amount="38.66"), "total_money.amount"),
        (lambda o: o.update(state="ARCHIVED"), "state"),
        (lambda o: o["line_items"][0].pop("quantity"), "line 1: quantity"),
        (lambda o: o["line_items"][1].update(quantity="-1"), "line 2: quantity"),
        (lambda o: o.update(created_at="yesterday"), "created_at"),
        (lambda o: o.update(version="4"), "version"),
        (lambda o: o.update(line_items="none"), "line_items"),
    ],
)
def test_malformed_fields_are_named(change: Callable[[dict[str, Any]], Any], field: str) -> None:
    data = own()
    change(data["order"])

    with pytest.raises(NormalizationError) as error:
        normalize(data)
    assert error.value.field == field


def test_api_errors_are_clear() -> None:
    body = {"errors": [{"category": "INVALID_REQUEST_ERROR", "code": "NOT_FOUND",
                        "detail": "Order not found"}]}  # fmt: skip

    with pytest.raises(NormalizationError, match="Order not found"):
        normalize(body)


def test_a_return_order_is_not_imported_as_a_sale() -> None:
    return_order = {
        "id": "RET-ORDER-9",
        "state": "COMPLETED",
        "returns": [
            {
                "uid": "r",
                "source_order_id": "7Wp6CqmQ2zLxJh5RdeM1q8aVbFkZY",
                "return_line_items": [
                    {"uid": "x", "source_line_item_uid": "li-custom-card", "quantity": "1"}
                ],
            }
        ],
        "total_money": {"amount": 0, "currency": "USD"},
    }

    with pytest.raises(NormalizationError, match="return from order 7Wp6CqmQ2zLxJh5RdeM1q8aVbFkZY"):
        normalize(return_order)
