"""The WooCommerce adapter against the published wp-api-v3 order examples."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from omnioms.channels.adapters import get_adapter
from omnioms.channels.adapters.base import AdapterContext, NormalizationError
from omnioms.channels.adapters.woocommerce import ADAPTER, unit_price_of
from omnioms.channels.contract import NormalizedOrder
from omnioms.channels.tests.adapter_helpers import hmac_base64, normalizer, utc
from omnioms.core.choices import OrderStatus

ORDER = "woocommerce/order_727_retrieve_wp-api-v3.json"
LIST = "woocommerce/orders_list_wp-api-v3.json"
SECRET = "wc-webhook-secret-7f3a"

Payload = Callable[[str], bytes]

normalize = normalizer(ADAPTER)


def sign(body: bytes, secret: str = SECRET) -> str:
    return hmac_base64(secret, body)


def order_727(published_payload: Payload) -> dict[str, Any]:
    order: dict[str, Any] = json.loads(published_payload(ORDER))
    return order


def listed(published_payload: Payload) -> list[NormalizedOrder]:
    records = list(ADAPTER.split(published_payload(LIST), "orders.json"))
    return [ADAPTER.normalize(record, AdapterContext()) for record in records]


# ----------------------------------------------------------------------------------------------
# Order 727 (GET /orders/727)


def test_the_adapter_is_registered_under_woocommerce() -> None:
    assert ADAPTER.code == "woocommerce"
    assert get_adapter("woocommerce") is ADAPTER


def test_order_727_money_adds_up_with_tax_added_on_top(published_payload: Payload) -> None:
    order = normalize(published_payload(ORDER))

    assert order.channel == "woocommerce"
    assert order.external_id == "727"
    assert order.currency == "USD"
    assert order.status == OrderStatus.PAID
    assert order.raw_status == "processing"
    assert order.total == Decimal("29.35")
    assert order.shipping == Decimal("10.00")
    assert order.tax == Decimal("1.35")
    assert order.discount == Decimal("0.00")
    assert order.taxes_included is False
    assert order.total_mismatch() == Decimal("0")
    assert order.version is None


def test_gmt_fields_are_used_not_the_site_local_times(published_payload: Payload) -> None:
    order = normalize(published_payload(ORDER))

    # date_created is 16:28:02 site time; date_created_gmt 19:28:02 is the real instant.
    assert order.created_at == utc(2017, 3, 22, 19, 28, 2)
    assert order.updated_at == utc(2017, 3, 22, 19, 28, 8)
    assert order.paid_at == utc(2017, 3, 22, 19, 28, 8)
    assert order.model_dump(mode="json")["created_at"] == "2017-03-22T19:28:02Z"


def test_order_727_lines_use_subtotal_per_unit_and_decode_html_entities(
    published_payload: Payload,
) -> None:
    order = normalize(published_payload(ORDER))

    assert [
        (
            line.external_line_id,
            line.sku,
            line.title,
            line.quantity,
            line.unit_price,
            line.discount,
            line.total,
            line.is_gift,
            line.refunded_quantity,
        )
        for line in order.lines
    ] == [
        ("315", None, "Woo Single #1", 2, Decimal("3"), Decimal("0"), Decimal("6.00"), False, 0),
        (
            "316",
            "Bar3",
            "Ship Your Idea \u2013 Color: Black, Size: M Test",
            1,
            Decimal("12.00"),
            Decimal("0"),
            Decimal("12.00"),
            False,
            0,
        ),
    ]
    assert "&ndash;" not in order.model_dump_json()


def test_order_727_guest_buyer_and_ship_to(published_payload: Payload) -> None:
    order = normalize(published_payload(ORDER))

    assert order.buyer.name == "John Doe"
    assert order.buyer.email == "john.doe@example.com"
    assert order.buyer.phone == "(555) 555-5555"
    assert order.buyer.channel_buyer_id is None  # customer_id 0 is a guest
    ship_to = order.ship_to
    assert ship_to is not None
    assert (ship_to.name, ship_to.address, ship_to.city, ship_to.province) == (
        "John Doe",
        "969 Market",
        "San Francisco",
        "CA",
    )
    assert (ship_to.postal_code, ship_to.country, ship_to.phone) == ("94103", "US", None)
    assert ship_to.masked is False
    assert order.notes.buyer is None  # customer_note ""


# ----------------------------------------------------------------------------------------------
# The orders list (GET /orders): one record per order


def test_the_list_splits_into_one_order_per_element(published_payload: Payload) -> None:
    records = list(ADAPTER.split(published_payload(LIST), "orders.json"))

    assert [record.label for record in records] == ["item 1", "item 2"]
    assert [order.external_id for order in listed(published_payload)] == ["727", "723"]


def test_listed_727_equals_the_retrieved_727(published_payload: Payload) -> None:
    assert listed(published_payload)[0] == normalize(published_payload(ORDER))


def test_order_723_completed_with_partial_refunds_keeps_completed_status(
    published_payload: Payload,
) -> None:
    order = listed(published_payload)[1]

    assert order.status == OrderStatus.COMPLETED
    assert order.raw_status == "completed"
    assert order.total == Decimal("39.00")  # refunds of 10.00 and 9.00 do not change it
    assert order.shipping == Decimal("10.00")
    assert order.tax == Decimal("0.00")
    assert order.total_mismatch() == Decimal("0")
    # refunds[] carry amounts only: nothing can be attributed to a line
    assert [line.refunded_quantity for line in order.lines] == [0, 0]
    assert order.created_at == utc(2017, 3, 21, 19, 16, 0)
    assert order.updated_at == utc(2017, 3, 21, 19, 54, 51)
    assert order.paid_at is None  # date_paid_gmt is null


def test_order_723_registered_customer_and_unicode_address(published_payload: Payload) -> None:
    order = listed(published_payload)[1]

    assert order.buyer.name == "João Silva"
    assert order.buyer.email == "joao.silva@example.com"
    assert order.buyer.phone == "(11) 1111-1111"
    assert order.buyer.channel_buyer_id == "26"
    assert order.ship_to is not None
    assert order.ship_to.address == "Av. Brasil, 432"
    assert order.ship_to.city == "Rio de Janeiro"
    assert order.ship_to.province == "RJ"
    assert order.ship_to.postal_code == "12345-000"
    assert order.ship_to.country == "BR"
    assert [(line.external_line_id, line.sku, line.title, line.total) for line in order.lines] == [
        ("311", None, "Woo Album #2", Decimal("9.00")),
        ("313", None, "Woo Ninja", Decimal("20.00")),
    ]


# ----------------------------------------------------------------------------------------------
# Coupons, fees, refund objects, rounding


def test_coupon_discount_is_subtotal_minus_total_not_the_float_price(
    published_payload: Payload,
) -> None:
    data = order_727(published_payload)
    single = data["line_items"][0]
    # A 10% coupon: WooCommerce's `price` becomes the discounted unit price 2.7.
    single.update(total="5.40", price=2.7)
    data.update(discount_total="0.60", total="28.75")
    data["coupon_lines"] = [{"id": 9, "code": "ten", "discount": "0.60"}]

    order = normalize(data)

    line = order.lines[0]
    assert (line.unit_price, line.discount, line.total) == (
        Decimal("3"),
        Decimal("0.60"),
        Decimal("5.40"),
    )
    assert order.discount == Decimal("0.60")
    assert order.total_mismatch() == Decimal("0")


def test_negative_fees_are_discounts_and_positive_fees_surcharges(
    published_payload: Payload,
) -> None:
    data = order_727(published_payload)
    data["fee_lines"] = [
        {"id": 1, "name": "Gift wrap", "total": "2.50"},
        {"id": 2, "name": "Loyalty discount", "total": "-4.00"},
    ]
    data["total"] = "27.85"

    order = normalize(data)

    assert order.shipping == Decimal("12.50")
    assert order.discount == Decimal("4.00")
    assert order.total_mismatch() == Decimal("0")


def test_full_refund_objects_give_refunded_quantities(published_payload: Payload) -> None:
    data = order_727(published_payload)
    data["refunds"] = [
        {
            "id": 801,
            "amount": "3.00",
            "line_items": [
                {
                    "id": 802,
                    "quantity": -1,
                    "total": "-3.00",
                    "meta_data": [{"id": 1, "key": "_refunded_item_id", "value": "315"}],
                }
            ],
        }
    ]

    order = normalize(data)

    assert [line.refunded_quantity for line in order.lines] == [1, 0]
    assert order.status == OrderStatus.PAID  # a partial refund keeps the status


def test_subtotal_that_does_not_divide_keeps_the_line_consistent() -> None:
    assert unit_price_of(Decimal("10.00"), 3) == Decimal("3.3333")
    assert unit_price_of(Decimal("17.95"), 2) == Decimal("8.975")
    assert unit_price_of(Decimal("0"), 0) == Decimal("0")


def test_uneven_subtotal_residue_stays_in_the_line_discount(published_payload: Payload) -> None:
    data = order_727(published_payload)
    data["line_items"][0].update(quantity=3, subtotal="10.00", total="10.00")
    data["total"] = "33.35"

    line = normalize(data).lines[0]

    assert line.unit_price == Decimal("3.3333")
    assert line.unit_price * line.quantity - line.discount == line.total == Decimal("10.00")


def test_missing_gmt_time_falls_back_to_site_time_in_the_account_zone(
    published_payload: Payload,
) -> None:
    data = order_727(published_payload)
    del data["date_created_gmt"]
    context = AdapterContext(time_zone=ZoneInfo("America/Sao_Paulo"), currency="USD")

    order = normalize(data, context)

    assert order.created_at == utc(2017, 3, 22, 19, 28, 2)


# ----------------------------------------------------------------------------------------------
# Statuses


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("pending", OrderStatus.PENDING_PAYMENT),
        ("on-hold", OrderStatus.PENDING_PAYMENT),
        ("failed", OrderStatus.PENDING_PAYMENT),
        ("processing", OrderStatus.PAID),
        ("completed", OrderStatus.COMPLETED),
        ("cancelled", OrderStatus.CANCELLED),
        ("trash", OrderStatus.CANCELLED),
        ("refunded", OrderStatus.REFUNDED),
        ("checkout-draft", OrderStatus.DRAFT),
        ("wc-shipped", OrderStatus.SHIPPED),
        ("partial-shipped", OrderStatus.PARTIALLY_SHIPPED),
    ],
)
def test_every_status_maps(published_payload: Payload, raw: str, status: OrderStatus) -> None:
    data = order_727(published_payload)
    data["status"] = raw

    order = normalize(data)

    assert order.status == status
    assert order.raw_status == raw


# ----------------------------------------------------------------------------------------------
# Malformed payloads


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d.update(status="awaiting-pickup"), "status"),
        (lambda d: d.pop("status"), "status"),
        (lambda d: d.pop("total"), "total"),
        (lambda d: d.update(total="29,35 USD"), "total"),
        (lambda d: d.update(currency="US"), "currency"),
        (lambda d: d.update(date_created_gmt="22/03/2017"), "date_created_gmt"),
        (lambda d: d["line_items"][1].update(subtotal="twelve"), "line 2: subtotal"),
        (lambda d: d["line_items"][1].pop("quantity"), "line 2: quantity"),
        (lambda d: d["line_items"][0].update(quantity=-2), "line 1: quantity"),
        (lambda d: d["line_items"][0].pop("total"), "line 1: total"),
        (lambda d: d.update(line_items={"id": 1}), "line_items"),
        (lambda d: d.update(billing="John"), "billing"),
    ],
)
def test_malformed_fields_are_named(
    published_payload: Payload, change: Callable[[dict[str, Any]], Any], field: str
) -> None:
    data = order_727(published_payload)
    change(data)

    with pytest.raises(NormalizationError) as error:
        normalize(data)

    assert error.value.field == field


def test_a_deleted_order_webhook_is_a_clear_error() -> None:
    with pytest.raises(NormalizationError, match="names order 727 without its data"):
        normalize({"id": 727})
    with pytest.raises(NormalizationError, match="not valid JSON"):
        normalize(b"webhook_id=12")


# ----------------------------------------------------------------------------------------------
# Webhooks


def test_good_signature_is_accepted_with_any_active_secret(published_payload: Payload) -> None:
    body = published_payload(ORDER)
    headers = {"X-WC-Webhook-Signature": sign(body), "X-WC-Webhook-Topic": "order.updated"}

    assert ADAPTER.verify_signature(body, headers, [SECRET], "") is True
    assert ADAPTER.verify_signature(body, headers, ["old-secret", SECRET], "") is True
    lower = {"x-wc-webhook-signature": sign(body)}
    assert ADAPTER.verify_signature(body, lower, [SECRET], "") is True


def test_wrong_or_missing_signature_is_refused(published_payload: Payload) -> None:
    body = published_payload(ORDER)

    wrong = {"X-WC-Webhook-Signature": sign(body, "another-secret")}
    assert ADAPTER.verify_signature(body, wrong, [SECRET], "") is False
    assert ADAPTER.verify_signature(body, {}, [SECRET], "") is False
    altered = body.replace(b'"29.35"', b'"19.35"')
    assert altered != body
    signed = {"X-WC-Webhook-Signature": sign(body)}
    assert ADAPTER.verify_signature(altered, signed, [SECRET], "") is False


def test_the_unsigned_save_time_ping_is_accepted_and_marked() -> None:
    assert ADAPTER.verify_signature(b"webhook_id=12", {}, [SECRET], "") is True
    assert ADAPTER.webhook_meta(b"webhook_id=12", {}).is_ping is True
    # Only the exact ping shape passes unsigned.
    assert ADAPTER.verify_signature(b'webhook_id=12&{"id":1}', {}, [SECRET], "") is False


def test_webhook_meta_reads_topic_and_delivery_but_has_no_event_id(
    published_payload: Payload,
) -> None:
    headers = {
        "X-WC-Webhook-Topic": "order.updated",
        "X-WC-Webhook-Delivery-ID": "f0e1d2c3",
        "X-WC-Webhook-ID": "12",
    }

    meta = ADAPTER.webhook_meta(published_payload(ORDER), headers)

    assert meta.topic == "order.updated"
    assert meta.delivery_id == "f0e1d2c3"
    assert meta.event_id is None
    assert meta.is_ping is False
