"""The Amazon adapter against the published SP-API Orders v0 / 2026-01-01 examples."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from omnioms.channels.adapters import get_adapter
from omnioms.channels.adapters.amazon import ADAPTER, order_ids_to_fetch
from omnioms.channels.adapters.base import AdapterContext, NormalizationError
from omnioms.channels.tests.adapter_helpers import normalizer, utc
from omnioms.core.choices import OrderStatus

V0 = "amazon/ordersV0_"
SANDBOX_ORDER = V0 + "getOrder_sandbox_static_0.json"
SANDBOX_ITEMS = V0 + "getOrderItems_sandbox_static_0.json"
SANDBOX_ADDRESS = V0 + "getOrderAddress_sandbox_static_0.json"
SANDBOX_BUYER = V0 + "getOrderBuyerInfo_sandbox_static_0.json"
GET_2026 = "amazon/orders_2026-01-01_getOrder_200_example.json"
SEARCH_2026 = "amazon/orders_2026-01-01_searchOrders_200_example.json"
NOTIFICATION = "amazon/OrderChangeNotification_example.json"

Payload = Callable[[str], bytes]

normalize = normalizer(ADAPTER)


def part(published_payload: Payload, name: str) -> Any:
    return json.loads(published_payload(name))


def sandbox_record(published_payload: Payload, **extra: Any) -> dict[str, Any]:
    record = {
        "order": part(published_payload, SANDBOX_ORDER),
        "items": part(published_payload, SANDBOX_ITEMS),
    }
    record.update(extra)
    return record


def jpy_order() -> dict[str, Any]:
    """An order part of our own for the published getOrderItems example (903-1671087-0812628)."""
    return {
        "payload": {
            "AmazonOrderId": "903-1671087-0812628",
            "PurchaseDate": "2013-09-05T00:06:07Z",
            "LastUpdateDate": "2013-09-07T12:43:16Z",
            "OrderStatus": "Shipped",
            "MarketplaceId": "A1VC38T7YXB528",
        }
    }


def test_the_adapter_is_registered_under_amazon() -> None:
    assert ADAPTER.code == "amazon"
    assert get_adapter("amazon") is ADAPTER


# ----------------------------------------------------------------------------------------------
# v0 sandbox: getOrder + getOrderItems + getOrderAddress + getOrderBuyerInfo of one order


def test_v0_sandbox_order_with_its_items(published_payload: Payload) -> None:
    order = normalize(sandbox_record(published_payload))

    assert order.channel == "amazon"
    assert order.external_id == "902-1845936-5435065"
    assert order.status == OrderStatus.PAID
    assert order.raw_status == "Unshipped"
    assert order.currency == "USD"
    assert order.total == Decimal("11.01")
    assert order.tax == Decimal("1.01")
    assert order.shipping == Decimal("0")
    assert order.discount == Decimal("0")
    assert order.taxes_included is False  # OrderTotal 11.01 = ItemPrice 10.00 + ItemTax 1.01
    assert order.total_mismatch() == Decimal("0")
    assert order.created_at == utc(1970, 1, 19, 3, 58, 30)
    assert order.updated_at == utc(1970, 1, 19, 3, 58, 32)
    assert order.paid_at is None


def test_v0_sandbox_line(published_payload: Payload) -> None:
    (line,) = normalize(sandbox_record(published_payload)).lines

    assert line.external_line_id == "05015851154158"
    assert line.sku == "NABetaASINB00551Q3CS"
    assert line.title == "B00551Q3CS [Card Book]"
    assert (line.quantity, line.unit_price, line.discount, line.total) == (
        1,
        Decimal("10.00"),
        Decimal("0.00"),
        Decimal("10.00"),
    )
    assert line.is_gift is False  # IsGift "false"; and IsGift means gift-wrapped anyway


def test_v0_address_and_buyer_info_parts_fill_the_restricted_fields(
    published_payload: Payload,
) -> None:
    bare = normalize(sandbox_record(published_payload))
    assert bare.ship_to is None  # the sandbox getOrder carries no ShippingAddress
    assert bare.buyer.name is None

    order = normalize(
        sandbox_record(
            published_payload,
            address=part(published_payload, SANDBOX_ADDRESS),
            buyer_info=part(published_payload, SANDBOX_BUYER),
        )
    )

    assert order.buyer.name == "MFNIntegrationTestMerchant"
    assert order.buyer.email == "fzyrv6gwkhbb15c@example.com"
    ship_to = order.ship_to
    assert ship_to is not None
    assert (ship_to.name, ship_to.address, ship_to.city, ship_to.province) == (
        "MFNIntegrationTestMerchant",
        "2201 WESTLAKE AVE",
        "SEATTLE",
        "WA",
    )
    assert (ship_to.postal_code, ship_to.country, ship_to.phone) == (
        "98121-2778",
        "US",
        "+1 480-386-0930 ext. 73824",
    )


def test_v0_getorder_example_with_its_address_and_buyer_examples(
    published_payload: Payload,
) -> None:
    items = {
        "payload": {
            "AmazonOrderId": "902-3159896-1390916",
            "OrderItems": [
                {"OrderItemId": "1", "SellerSKU": "MI-1", "Title": "Mug", "QuantityOrdered": 1,
                 "ItemPrice": {"CurrencyCode": "USD", "Amount": "12.00"}}
            ],
        }
    }  # fmt: skip
    record = {
        "order": part(published_payload, V0 + "getOrder_200_example.json"),
        "items": items,
        "address": part(published_payload, V0 + "getOrderAddress_200_example.json"),
        "buyer_info": part(published_payload, V0 + "getOrderBuyerInfo_200_example.json"),
    }

    order = normalize(record)

    assert order.external_id == "902-3159896-1390916"
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert order.raw_status == "Pending"
    assert order.total == Decimal("12.00")  # no OrderTotal while Pending: computed
    assert order.created_at == utc(2017, 1, 20, 19, 49, 35)
    # the restricted-data answers win over the order's own copies
    assert order.buyer.name == "John Smith"
    assert order.buyer.email == "user@example.com"
    assert order.ship_to is not None
    assert order.ship_to.address == "1 cross st"
    assert (order.ship_to.city, order.ship_to.province, order.ship_to.postal_code) == (
        "Canton",
        "MI",
        "48817",
    )


def test_v0_sandbox_shipped_business_order_in_euros(published_payload: Payload) -> None:
    """``getOrder`` sandbox case TEST_CASE_IBA_200: shipped by Amazon (AFN) on Amazon.de."""
    items = {
        "payload": {
            "AmazonOrderId": "921-3175655-0452641",
            "OrderItems": [
                {"OrderItemId": "1", "SellerSKU": "DE-1", "Title": "Buch", "QuantityOrdered": 1,
                 "QuantityShipped": 1, "ItemPrice": {"CurrencyCode": "EUR", "Amount": "100.00"}}
            ],
        }
    }  # fmt: skip
    record = {
        "order": part(published_payload, V0 + "getOrder_sandbox_static_1.json"),
        "items": items,
    }

    order = normalize(record)

    assert order.external_id == "921-3175655-0452641"
    assert (order.status, order.raw_status) == (OrderStatus.SHIPPED, "Shipped")
    assert (order.currency, order.total) == ("EUR", Decimal("100.00"))
    assert order.total_mismatch() == Decimal("0")
    assert order.created_at == datetime(2019, 5, 7, 15, 42, 57, 58000, tzinfo=UTC)
    assert order.updated_at == utc(2019, 5, 8, 21, 59, 59)
    # DefaultShipFromLocationAddress is the seller's warehouse, not where the order goes
    assert order.ship_to is None
    assert order.buyer.name is None


def test_v0_getorders_example_entry_carries_its_address_and_buyer(
    published_payload: Payload,
) -> None:
    entry = next(iter(ADAPTER.split(published_payload(V0 + "getOrders_200_example.json"), "p")))
    items = {
        "payload": {
            "AmazonOrderId": "902-3159896-1390916",
            "OrderItems": [
                {"OrderItemId": "1", "SellerSKU": "MI-1", "Title": "Mug", "QuantityOrdered": 1,
                 "ItemPrice": {"CurrencyCode": "USD", "Amount": "12.00"}}
            ],
        }
    }  # fmt: skip

    order = normalize({"order": json.loads(entry.raw), "items": items})

    assert (order.status, order.raw_status) == (OrderStatus.PENDING_PAYMENT, "Pending")
    assert order.created_at == order.updated_at == utc(2017, 1, 20, 19, 49, 35)
    assert (order.buyer.name, order.buyer.email) == ("John Doe", "user@example.com")
    assert order.ship_to is not None
    assert (order.ship_to.name, order.ship_to.address, order.ship_to.city) == (
        "Michigan address",
        "1 Cross St.",
        "Canton",
    )
    assert (order.ship_to.province, order.ship_to.postal_code, order.ship_to.country) == (
        "MI",
        "48817",
        "US",
    )
    assert order.total == Decimal("12.00")  # Pending: no OrderTotal, so the items' sum


def test_v0_order_without_items_must_fetch_them(published_payload: Payload) -> None:
    for raw in (
        published_payload(SANDBOX_ORDER),
        published_payload(V0 + "getOrder_200_example.json"),
    ):
        with pytest.raises(NormalizationError, match="getOrderItems must be fetched"):
            normalize(raw)
    with pytest.raises(NormalizationError, match="getOrderItems must be fetched") as error:
        normalize({"order": part(published_payload, SANDBOX_ORDER)})
    assert error.value.field == "items"


def test_v0_parts_of_different_orders_are_refused(published_payload: Payload) -> None:
    record = sandbox_record(published_payload)
    record["items"] = part(published_payload, V0 + "getOrderItems_200_example.json")

    with pytest.raises(NormalizationError, match="is for order 903-1671087-0812628") as error:
        normalize(record)
    assert error.value.field == "items.AmazonOrderId"

    record = sandbox_record(
        published_payload, address=part(published_payload, V0 + "getOrderAddress_200_example.json")
    )
    with pytest.raises(NormalizationError) as error:
        normalize(record)
    assert error.value.field == "address.AmazonOrderId"


# ----------------------------------------------------------------------------------------------
# v0 getOrderItems example: ItemPrice is the LINE total; amounts in a foreign currency


def test_item_price_is_a_line_total_not_a_unit_price(published_payload: Payload) -> None:
    record = {
        "order": jpy_order(),
        "items": part(published_payload, V0 + "getOrderItems_200_example.json"),
    }

    first, second = normalize(record).lines

    assert (first.sku, first.quantity, first.unit_price, first.total) == (
        "CBA_OTF_1",
        1,
        Decimal("25.99"),
        Decimal("25.99"),
    )
    # ItemPrice 17.95 for QuantityOrdered 2: 8.975 a unit, 17.95 for the line (not 35.90)
    assert (second.sku, second.quantity, second.unit_price, second.total) == (
        "CBA_OTF_5",
        2,
        Decimal("8.975"),
        Decimal("17.95"),
    )
    assert second.discount == Decimal("0")


def test_items_example_charges_and_the_foreign_currency_gift_wrap(
    published_payload: Payload,
) -> None:
    record = {
        "order": jpy_order(),
        "items": part(published_payload, V0 + "getOrderItems_200_example.json"),
    }

    order = normalize(record)

    assert order.currency == "JPY"  # no OrderTotal: the ItemPrice currency
    # ShippingPrice 1.26 + CODFee 10.00 - CODFeeDiscount 1.00 + GiftWrapPrice 1.99 (JPY);
    # item 1's GiftWrapPrice of 41.99 is in GBP and cannot be added to a JPY order.
    assert order.shipping == Decimal("12.25")
    assert order.tax == Decimal("0")
    assert order.total == Decimal("56.19")
    assert order.status == OrderStatus.SHIPPED
    assert order.updated_at == utc(2013, 9, 7, 12, 43, 16)


def test_a_foreign_currency_gift_wrap_shows_as_a_mismatch_against_order_total(
    published_payload: Payload,
) -> None:
    order_part = jpy_order()
    order_part["payload"]["OrderTotal"] = {"CurrencyCode": "JPY", "Amount": "98.18"}
    record = {
        "order": order_part,
        "items": part(published_payload, V0 + "getOrderItems_200_example.json"),
    }

    order = normalize(record)

    assert order.total == Decimal("98.18")
    assert order.total_mismatch() == Decimal("41.99")


def test_a_foreign_currency_item_price_is_refused(published_payload: Payload) -> None:
    items = part(published_payload, SANDBOX_ITEMS)
    items["response"]["payload"]["OrderItems"][0]["ItemPrice"]["CurrencyCode"] = "CAD"

    with pytest.raises(NormalizationError) as error:
        normalize({"order": part(published_payload, SANDBOX_ORDER), "items": items})
    assert error.value.field == "item 1: ItemPrice.CurrencyCode"


def test_items_may_come_as_pages_or_as_a_list_of_items(published_payload: Payload) -> None:
    items = part(published_payload, SANDBOX_ITEMS)
    item = items["response"]["payload"]["OrderItems"][0]
    second = dict(item, OrderItemId="05015851154159", SellerSKU="SECOND",
                  QuantityOrdered=3, ItemPrice={"CurrencyCode": "USD", "Amount": "10.00"},
                  ItemTax={"CurrencyCode": "USD", "Amount": "0.00"})  # fmt: skip
    page_two = {"payload": {"AmazonOrderId": "902-1845936-5435065", "OrderItems": [second]}}
    order_part = part(published_payload, SANDBOX_ORDER)

    paged = normalize({"order": order_part, "items": [items, page_two]})
    flat = normalize({"order": order_part, "items": [item, second]})

    assert paged == flat
    assert [(line.sku, line.quantity, line.unit_price) for line in paged.lines] == [
        ("NABetaASINB00551Q3CS", 1, Decimal("10.00")),
        ("SECOND", 3, Decimal("3.3333")),
    ]
    assert paged.lines[1].total == Decimal("10.00")  # the rounding stays inside the line


def test_promotions_and_their_tax_reduce_the_line_and_the_tax(published_payload: Payload) -> None:
    record = sandbox_record(published_payload)
    item = record["items"]["response"]["payload"]["OrderItems"][0]
    item.update(
        QuantityOrdered=2,
        ItemPrice={"CurrencyCode": "USD", "Amount": "20.00"},
        PromotionDiscount={"CurrencyCode": "USD", "Amount": "2.00"},
        ItemTax={"CurrencyCode": "USD", "Amount": "2.02"},
        PromotionDiscountTax={"CurrencyCode": "USD", "Amount": "0.20"},
        ShippingPrice={"CurrencyCode": "USD", "Amount": "4.99"},
        ShippingDiscount={"CurrencyCode": "USD", "Amount": "4.99"},
    )
    record["order"]["response"]["payload"]["OrderTotal"]["Amount"] = "19.82"

    order = normalize(record)

    line = order.lines[0]
    assert (line.unit_price, line.discount, line.total) == (
        Decimal("10.00"),
        Decimal("2.00"),
        Decimal("18.00"),
    )
    assert order.shipping == Decimal("0.00")
    assert order.tax == Decimal("1.82")
    assert order.discount == Decimal("2.00")
    assert order.total_mismatch() == Decimal("0")


def test_vat_inclusive_totals_set_taxes_included(published_payload: Payload) -> None:
    record = sandbox_record(published_payload)
    record["order"]["response"]["payload"]["OrderTotal"]["Amount"] = "10.00"

    order = normalize(record)

    assert order.taxes_included is True
    assert order.tax == Decimal("1.01")
    assert order.total_mismatch() == Decimal("0")


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("Pending", OrderStatus.PENDING_PAYMENT),
        ("PendingAvailability", OrderStatus.PENDING_PAYMENT),
        ("Unshipped", OrderStatus.PAID),
        ("PartiallyShipped", OrderStatus.PARTIALLY_SHIPPED),
        ("Shipped", OrderStatus.SHIPPED),
        ("InvoiceUnconfirmed", OrderStatus.SHIPPED),
        ("Canceled", OrderStatus.CANCELLED),
        ("Unfulfillable", OrderStatus.CANCELLED),
    ],
)
def test_v0_statuses(published_payload: Payload, raw: str, status: OrderStatus) -> None:
    record = sandbox_record(published_payload)
    record["order"]["response"]["payload"]["OrderStatus"] = raw

    assert normalize(record).status == status


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda o, i: o.update(OrderStatus="Lost"), "order.OrderStatus"),
        (lambda o, i: o.pop("OrderStatus"), "order.OrderStatus"),
        (lambda o, i: o.pop("AmazonOrderId"), "order.AmazonOrderId"),
        (lambda o, i: o.update(PurchaseDate="20/01/2017"), "order.PurchaseDate"),
        (lambda o, i: o["OrderTotal"].update(Amount="11,01$"), "order.OrderTotal.Amount"),
        (lambda o, i: i[0].pop("QuantityOrdered"), "item 1: QuantityOrdered"),
        (lambda o, i: i[0].update(QuantityOrdered="one"), "item 1: QuantityOrdered"),
        (lambda o, i: i[0]["ItemTax"].update(Amount="abc"), "item 1: ItemTax.Amount"),
        (lambda o, i: i[0].update(ItemPrice="10.00"), "item 1: ItemPrice"),
    ],
)
def test_v0_malformed_fields_are_named(
    published_payload: Payload, change: Callable[[Any, Any], Any], field: str
) -> None:
    record = sandbox_record(published_payload)
    change(
        record["order"]["response"]["payload"],
        record["items"]["response"]["payload"]["OrderItems"],
    )

    with pytest.raises(NormalizationError) as error:
        normalize(record)
    assert error.value.field == field


def test_api_error_answers_are_clear() -> None:
    error = {"errors": [{"code": "NotFound", "message": "Order not found", "details": ""}]}

    with pytest.raises(NormalizationError, match="Order not found"):
        normalize({"order": error, "items": error})


# ----------------------------------------------------------------------------------------------
# v0 getOrders pages: one record per order, each to be completed with its items


@pytest.mark.parametrize(
    ("name", "ids"),
    [
        ("getOrders_200_example.json", ["902-3159896-1390916"]),
        ("getOrders_sandbox_static_0.json", ["902-1845936-5435065", "902-8745147-1934268"]),
        ("getOrders_sandbox_static_1.json", ["902-3159896-1390916"]),
        ("getOrders_sandbox_static_2.json", ["902-3159896-1390916"]),
    ],
)
def test_getorders_pages_split_per_order_and_name_what_to_fetch(
    published_payload: Payload, name: str, ids: list[str]
) -> None:
    raw = published_payload(V0 + name)

    records = list(ADAPTER.split(raw, name))

    assert order_ids_to_fetch(raw) == ids
    assert [json.loads(record.raw)["AmazonOrderId"] for record in records] == ids
    for record in records:
        with pytest.raises(NormalizationError, match="getOrderItems must be fetched"):
            ADAPTER.normalize(record, AdapterContext())


@pytest.mark.parametrize(
    "name",
    [
        "getOrders_200_example.json",
        "getOrders_sandbox_static_1.json",
        "getOrders_sandbox_static_2.json",
    ],
)
def test_getorders_next_token_pages_read_the_same_pending_order(
    published_payload: Payload, name: str
) -> None:
    raw = published_payload(V0 + name)
    (record,) = ADAPTER.split(raw, name)
    entry = json.loads(record.raw)
    items = {"payload": {"AmazonOrderId": entry["AmazonOrderId"], "OrderItems": []}}

    order = normalize({"order": entry, "items": items})

    assert order.external_id == "902-3159896-1390916"
    assert (order.status, order.raw_status) == (OrderStatus.PENDING_PAYMENT, "Pending")
    assert order.created_at == order.updated_at == utc(2017, 1, 20, 19, 49, 35)
    assert order.lines == []
    page = json.loads(raw)
    payload = page.get("response", page)["payload"]
    # the first page (and the 200 example) names the next; the last page names none
    assert ("NextToken" in payload) == (name != "getOrders_sandbox_static_2.json")


def test_a_split_page_entry_plus_its_items_normalises(published_payload: Payload) -> None:
    raw = published_payload(V0 + "getOrders_sandbox_static_0.json")
    first = next(iter(ADAPTER.split(raw, "page")))

    order = normalize(
        {"order": json.loads(first.raw), "items": part(published_payload, SANDBOX_ITEMS)}
    )

    assert order == normalize(sandbox_record(published_payload))


def test_complete_records_need_no_fetch(published_payload: Payload) -> None:
    assert order_ids_to_fetch(json.dumps(sandbox_record(published_payload)).encode()) == []
    assert order_ids_to_fetch(published_payload(GET_2026)) == []
    assert order_ids_to_fetch(published_payload(SANDBOX_ORDER)) == ["902-1845936-5435065"]
    order_only = {"order": part(published_payload, SANDBOX_ORDER)}
    assert order_ids_to_fetch(json.dumps(order_only).encode()) == ["902-1845936-5435065"]


# ----------------------------------------------------------------------------------------------
# Orders 2026-01-01


def test_2026_get_order_example(published_payload: Payload) -> None:
    order = normalize(published_payload(GET_2026))

    assert order.external_id == "202-1234567-8901234"
    assert order.status == OrderStatus.SHIPPED
    assert order.raw_status == "SHIPPED"
    assert order.currency == "GBP"
    assert order.total == Decimal("103.97")
    assert order.shipping == Decimal("10.00")
    assert order.tax == Decimal("4.00")
    assert order.discount == Decimal("0")
    assert order.taxes_included is False  # 89.97 + 10.00 + 4.00 = 103.97
    assert order.total_mismatch() == Decimal("0")
    assert order.created_at == utc(2024, 12, 25, 9, 15, 0)
    assert order.updated_at == utc(2024, 12, 25, 16, 30, 0)
    (line,) = order.lines
    assert (line.external_line_id, line.sku, line.quantity, line.unit_price, line.total) == (
        "20212345678901",
        "ECHO-DOT-4-UK-CHARCOAL-3PACK",
        3,
        Decimal("29.99"),  # a real unit price in 2026, unlike v0's ItemPrice
        Decimal("89.97"),
    )
    assert line.title == "Echo Dot (4th Gen) | Smart speaker with Alexa | Charcoal"
    assert line.is_gift is False  # giftOption is gift wrapping, not a free item


def test_2026_get_order_example_people(published_payload: Payload) -> None:
    order = normalize(published_payload(GET_2026))

    assert order.buyer.name == "James Wilson"
    assert order.buyer.email == "buyer-email@marketplace.amazon.co.uk"
    ship_to = order.ship_to
    assert ship_to is not None
    assert ship_to.name == "James Wilson"
    assert ship_to.address == "Wilson Electronics Ltd, 123 High Street, Unit 4B"
    assert (ship_to.city, ship_to.district, ship_to.province) == (
        "Manchester",
        "Greater Manchester",
        "England",
    )
    assert (ship_to.postal_code, ship_to.country, ship_to.phone) == (
        "M1 2AB",
        "GB",
        "+44 161 123 4567",
    )


def test_2026_search_orders_example_with_a_delivery_tip(published_payload: Payload) -> None:
    records = list(ADAPTER.split(published_payload(SEARCH_2026), "search"))
    assert len(records) == 1

    order = ADAPTER.normalize(records[0], AdapterContext())

    assert order.external_id == "123-4567890-1234567"
    assert order.currency == "USD"
    assert order.total == Decimal("154.99")
    assert order.tax == Decimal("0.02")
    assert order.shipping == Decimal("5.00")  # the order-level DELIVERY_TIP
    assert order.total_mismatch() == Decimal("0")
    assert [(line.sku, line.quantity, line.unit_price, line.total) for line in order.lines] == [
        ("ECHO-DOT-4-CHARCOAL", 2, Decimal("49.99"), Decimal("99.98")),
        ("FIRE-TV-4K-2021", 1, Decimal("49.99"), Decimal("49.99")),
    ]
    assert order.buyer.name == "John Smith"
    assert order.ship_to is not None
    assert order.ship_to.address == "Smith Industries LLC, 123 Main Street, Suite 456"
    assert order.notes.buyer == (
        "Front desk reception; Enter through main lobby, ask for John Smith at reception"
    )


def test_2026_search_answer_with_two_orders_splits(published_payload: Payload) -> None:
    data = json.loads(published_payload(SEARCH_2026))
    data["orders"].append(json.loads(published_payload(GET_2026))["order"])

    records = list(ADAPTER.split(json.dumps(data).encode(), "search"))

    assert [ADAPTER.normalize(r, AdapterContext()).external_id for r in records] == [
        "123-4567890-1234567",
        "202-1234567-8901234",
    ]


def test_2026_item_discounts_split_between_the_line_and_shipping(
    published_payload: Payload,
) -> None:
    data = json.loads(published_payload(GET_2026))
    item = data["order"]["orderItems"][0]
    item["proceeds"]["breakdowns"].append(
        {
            "type": "DISCOUNT",
            "subtotal": {"amount": "-15.00", "currencyCode": "GBP"},
            "detailedBreakdowns": [
                {"subtype": "ITEM", "value": {"amount": "-9.00", "currencyCode": "GBP"}},
                {"subtype": "SHIPPING", "value": {"amount": "-6.00", "currencyCode": "GBP"}},
            ],
        }
    )
    data["order"]["proceeds"]["grandTotal"]["amount"] = "88.97"

    order = normalize(data)

    assert order.lines[0].discount == Decimal("9.00")
    assert order.lines[0].total == Decimal("80.97")
    assert order.shipping == Decimal("4.00")
    assert order.discount == Decimal("9.00")
    assert order.total_mismatch() == Decimal("0")


def test_2026_without_item_proceeds_uses_the_order_breakdowns(published_payload: Payload) -> None:
    data = json.loads(published_payload(GET_2026))
    del data["order"]["orderItems"][0]["proceeds"]

    order = normalize(data)

    assert (order.shipping, order.tax, order.total) == (
        Decimal("10.00"),
        Decimal("4.00"),
        Decimal("103.97"),
    )
    assert order.total_mismatch() == Decimal("0")


def gbp(amount: str) -> dict[str, str]:
    return {"amount": amount, "currencyCode": "GBP"}


def item_listing_only_its_price(published_payload: Payload) -> dict[str, Any]:
    """The published getOrder example whose item lists only ITEM; the order keeps its own."""
    data = json.loads(published_payload(GET_2026))
    proceeds = data["order"]["orderItems"][0]["proceeds"]
    proceeds["proceedsTotal"] = gbp("89.97")
    proceeds["breakdowns"] = [b for b in proceeds["breakdowns"] if b["type"] == "ITEM"]
    return data


def test_2026_shipping_and_tax_only_the_order_lists_are_not_lost(
    published_payload: Payload,
) -> None:
    order = normalize(item_listing_only_its_price(published_payload))

    assert (order.shipping, order.tax, order.discount, order.total) == (
        Decimal("10.00"),
        Decimal("4.00"),
        Decimal("0"),
        Decimal("103.97"),
    )
    assert order.lines[0].total == Decimal("89.97")
    assert order.taxes_included is False
    assert order.total_mismatch() == Decimal("0")


@pytest.mark.parametrize("on_the_item", [False, True], ids=["order only", "item and order"])
@pytest.mark.parametrize(
    ("kind", "amount", "field", "grand_total"),
    [
        ("SHIPPING", "10.00", "shipping", "99.97"),
        ("GIFT_WRAP", "3.50", "shipping", "93.47"),
        ("COD_FEE", "2.00", "shipping", "91.97"),
        ("OTHER", "1.25", "shipping", "91.22"),
        ("TAX", "4.00", "tax", "93.97"),
        ("DISCOUNT", "-5.00", "discount", "84.97"),  # its sign is not documented: its size
    ],
)
def test_2026_each_charge_counts_once_whether_the_item_or_only_the_order_lists_it(
    published_payload: Payload,
    kind: str,
    amount: str,
    field: str,
    grand_total: str,
    on_the_item: bool,
) -> None:
    data = item_listing_only_its_price(published_payload)
    charge = {"type": kind, "subtotal": gbp(amount)}
    if on_the_item:
        data["order"]["orderItems"][0]["proceeds"]["breakdowns"].append(charge)
    data["order"]["proceeds"] = {
        "grandTotal": gbp(grand_total),
        "breakdowns": [{"type": "ITEM", "subtotal": gbp("89.97")}, charge],
    }

    order = normalize(data)

    figures = {"shipping": order.shipping, "tax": order.tax, "discount": order.discount}
    assert figures == {name: Decimal("0") for name in figures} | {field: abs(Decimal(amount))}
    assert order.total == Decimal(grand_total)
    assert order.total_mismatch() == Decimal("0")


def test_2026_the_part_of_a_charge_the_items_leave_out_comes_from_the_order(
    published_payload: Payload,
) -> None:
    data = item_listing_only_its_price(published_payload)
    data["order"]["orderItems"][0]["proceeds"]["breakdowns"].append(
        {"type": "SHIPPING", "subtotal": gbp("6.00")}
    )

    order = normalize(data)

    assert order.shipping == Decimal("10.00")  # 6.00 from the item, 4.00 from the order
    assert order.tax == Decimal("4.00")
    assert order.total_mismatch() == Decimal("0")


def test_2026_an_order_level_gift_wrap_in_another_currency_is_left_out_and_shows(
    published_payload: Payload,
) -> None:
    data = item_listing_only_its_price(published_payload)
    data["order"]["proceeds"]["breakdowns"].append(
        {"type": "GIFT_WRAP", "subtotal": {"amount": "3.00", "currencyCode": "EUR"}}
    )
    data["order"]["proceeds"]["grandTotal"] = gbp("106.57")  # with the wrap in pounds

    order = normalize(data)

    assert (order.shipping, order.tax) == (Decimal("10.00"), Decimal("4.00"))
    assert order.total == Decimal("106.57")
    assert order.total_mismatch() == Decimal("2.60")


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("PENDING_AVAILABILITY", OrderStatus.PENDING_PAYMENT),
        ("PENDING", OrderStatus.PENDING_PAYMENT),
        ("UNSHIPPED", OrderStatus.PAID),
        ("PARTIALLY_SHIPPED", OrderStatus.PARTIALLY_SHIPPED),
        ("SHIPPED", OrderStatus.SHIPPED),
        ("CANCELLED", OrderStatus.CANCELLED),
        ("UNFULFILLABLE", OrderStatus.CANCELLED),
    ],
)
def test_2026_statuses(published_payload: Payload, raw: str, status: OrderStatus) -> None:
    data = json.loads(published_payload(GET_2026))
    data["order"]["fulfillment"]["fulfillmentStatus"] = raw

    assert normalize(data).status == status


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda o: o.pop("orderId"), "orderId"),
        (lambda o: o["fulfillment"].pop("fulfillmentStatus"), "fulfillment.fulfillmentStatus"),
        (lambda o: o.update(createdTime="Christmas"), "createdTime"),
        (lambda o: o["orderItems"][0].pop("quantityOrdered"), "item 1: quantityOrdered"),
        (
            lambda o: o["orderItems"][0]["product"]["price"]["unitPrice"].update(
                currencyCode="EUR"
            ),
            "item 1: product.price.unitPrice.currencyCode",
        ),
        (lambda o: o["proceeds"]["grandTotal"].update(amount="lots"), "proceeds.grandTotal.amount"),
    ],
)
def test_2026_malformed_fields_are_named(
    published_payload: Payload, change: Callable[[Any], Any], field: str
) -> None:
    data = json.loads(published_payload(GET_2026))
    change(data["order"])

    with pytest.raises(NormalizationError) as error:
        normalize(data)
    assert error.value.field == field


# ----------------------------------------------------------------------------------------------
# ORDER_CHANGE notifications


def test_order_change_notification_names_the_order_to_pull(published_payload: Payload) -> None:
    raw = published_payload(NOTIFICATION)

    assert order_ids_to_fetch(raw) == ["903-8868176-2219830"]
    with pytest.raises(NormalizationError) as error:
        normalize(raw)
    assert "names order 903-8868176-2219830 (BuyerRequestedChange)" in str(error.value)
    assert "must be pulled" in str(error.value)


def test_notification_meta_dedupes_on_notification_id(published_payload: Payload) -> None:
    meta = ADAPTER.webhook_meta(published_payload(NOTIFICATION), {})

    assert meta.event_id == "d0e9e693-c3ad-4373-979f-ed4ec98dd746"
    assert meta.topic == "ORDER_CHANGE"


def test_eventbridge_and_sns_envelopes_are_unwrapped(published_payload: Payload) -> None:
    notification = json.loads(published_payload(NOTIFICATION))
    eventbridge = {
        "version": "0",
        "id": "e1",
        "detail-type": "ORDER_CHANGE",
        "source": "aws.partner/sellingpartnerapi.amazon",
        "detail": notification,
    }
    sns = {"Type": "Notification", "MessageId": "m1", "Message": json.dumps(notification)}

    for envelope in (eventbridge, sns):
        raw = json.dumps(envelope).encode()
        assert order_ids_to_fetch(raw) == ["903-8868176-2219830"]
        assert ADAPTER.webhook_meta(raw, {}).event_id == "d0e9e693-c3ad-4373-979f-ed4ec98dd746"


def test_a_notification_without_an_order_id_is_named(published_payload: Payload) -> None:
    notification = json.loads(published_payload(NOTIFICATION))
    del notification["Payload"]["OrderChangeNotification"]["AmazonOrderId"]

    with pytest.raises(NormalizationError) as error:
        normalize(notification)
    assert error.value.field == "Payload.OrderChangeNotification.AmazonOrderId"


def test_relayed_notifications_use_the_generic_signature(published_payload: Payload) -> None:
    from omnioms.channels.adapters.base import hmac_sha256_base64

    body = published_payload(NOTIFICATION)
    good = {"X-Omnioms-Signature": hmac_sha256_base64("relay-secret", body)}

    assert ADAPTER.verify_signature(body, good, ["relay-secret"], "") is True
    assert ADAPTER.verify_signature(body, {}, ["relay-secret"], "") is False
    wrong = {"X-Omnioms-Signature": hmac_sha256_base64("other", body)}
    assert ADAPTER.verify_signature(body, wrong, ["relay-secret"], "") is False
