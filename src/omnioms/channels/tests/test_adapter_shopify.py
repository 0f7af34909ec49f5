"""The Shopify adapter against the published REST samples and a webhook body of our own."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from omnioms.channels.adapters import get_adapter
from omnioms.channels.adapters.base import AdapterContext, NormalizationError
from omnioms.channels.adapters.shopify import ADAPTER
from omnioms.channels.contract import Address, Buyer
from omnioms.channels.tests.adapter_helpers import (
    fixture_reader,
    hmac_base64,
    normalizer,
    utc,
)

REST = "shopify/order_450789469_rest.json"
LEGACY = "shopify/order_legacy_fixture.json"

Payload = Callable[[str], bytes]

fixture_bytes = fixture_reader("shopify")
normalize = normalizer(ADAPTER)


def webhook_body() -> bytes:
    return fixture_bytes("webhook_orders_paid_partial.json")


def edited(raw: bytes, change: Callable[[dict[str, Any]], None]) -> bytes:
    """The payload with ``change`` applied to its order object (wrapped or bare)."""
    data = json.loads(raw)
    change(data.get("order", data))
    return json.dumps(data).encode()


def sign(secret: str, body: bytes) -> str:
    return hmac_base64(secret, body)


# ----------------------------------------------------------------------------------------------
# The published modern REST order


def test_the_adapter_is_registered_under_shopify() -> None:
    assert ADAPTER.code == "shopify"
    assert get_adapter("shopify") is ADAPTER


def test_rest_order_is_read_from_its_order_wrapper_in_shop_currency(
    published_payload: Payload,
) -> None:
    order = normalize(published_payload(REST))

    assert order.channel == "shopify"
    assert order.external_id == "450789469"
    assert order.currency == "USD"
    assert order.version is None


def test_partial_refund_keeps_paid_status_and_counts_refunded_units(
    published_payload: Payload,
) -> None:
    order = normalize(published_payload(REST))

    assert order.status == "paid"
    assert order.raw_status == "partially_refunded/unfulfilled"
    assert [(line.external_line_id, line.refunded_quantity) for line in order.lines] == [
        ("466157049", 1),
        ("518995019", 0),
        ("703073504", 1),
    ]


def test_rest_order_times_with_minus_five_hours_offset_become_utc(
    published_payload: Payload,
) -> None:
    order = normalize(published_payload(REST))

    assert order.created_at == utc(2008, 1, 10, 16, 0, 0)
    assert order.paid_at == utc(2008, 1, 10, 16, 0, 0)
    assert order.updated_at == utc(2008, 1, 10, 16, 0, 0)
    assert order.model_dump(mode="json")["created_at"] == "2008-01-10T16:00:00Z"


def test_rest_order_lines_carry_price_allocated_discount_and_total(
    published_payload: Payload,
) -> None:
    order = normalize(published_payload(REST))

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
            line.components,
        )
        for line in order.lines
    ] == [
        (
            "466157049",
            "IPOD2008GREEN",
            "IPod Nano - 8gb - green",
            1,
            Decimal("199.00"),
            Decimal("3.34"),
            Decimal("195.66"),
            False,
            [],
        ),
        (
            "518995019",
            "IPOD2008RED",
            "IPod Nano - 8gb - red",
            1,
            Decimal("199.00"),
            Decimal("3.33"),
            Decimal("195.67"),
            False,
            [],
        ),
        (
            "703073504",
            "IPOD2008BLACK",
            "IPod Nano - 8gb - black",
            1,
            Decimal("199.00"),
            Decimal("3.33"),
            Decimal("195.67"),
            False,
            [],
        ),
    ]


def test_rest_order_amounts_add_up_to_its_total_price(published_payload: Payload) -> None:
    order = normalize(published_payload(REST))

    assert order.shipping == Decimal("0.00")
    assert order.discount == Decimal("10.00")
    assert order.tax == Decimal("11.94")
    assert order.taxes_included is False
    assert order.total == Decimal("598.94")
    assert order.total_mismatch() == Decimal("0")
    assert sum(line.discount for line in order.lines) == order.discount


def test_rest_order_buyer_address_and_note_come_from_customer_and_shipping_address(
    published_payload: Payload,
) -> None:
    order = normalize(published_payload(REST))

    assert order.buyer == Buyer(
        name="Bob Norman",
        email="bob.norman@mail.example.com",
        phone="+16136120707",
        channel_buyer_id="207119551",
    )
    assert order.ship_to == Address(
        name="Bob Norman",
        phone="+1(502)-459-2181",
        country="US",
        province="Kentucky",
        city="Louisville",
        district=None,
        address="Chestnut Street 92",
        postal_code="40202",
        masked=False,
    )
    assert order.notes.buyer is None
    assert order.notes.seller is None


def test_bare_order_as_a_webhook_sends_it_normalises_like_the_rest_wrapper(
    published_payload: Payload,
) -> None:
    wrapped = published_payload(REST)
    bare = json.dumps(json.loads(wrapped)["order"]).encode()

    assert normalize(bare) == normalize(wrapped)


# ----------------------------------------------------------------------------------------------
# The published 2008-era order


def test_legacy_order_without_money_sets_or_allocations_is_read_tolerantly(
    published_payload: Payload,
) -> None:
    order = normalize(published_payload(LEGACY))

    assert order.external_id == "450789469"
    assert order.currency == "USD"
    assert order.status == "pending_payment"
    assert order.raw_status == "authorized/unfulfilled"
    assert order.created_at == utc(2008, 1, 10, 16, 0, 0)
    assert order.updated_at == utc(2008, 1, 10, 16, 0, 0)
    assert order.paid_at is None
    assert [
        (
            line.external_line_id,
            line.sku,
            line.title,
            line.quantity,
            line.unit_price,
            line.discount,
            line.total,
            line.refunded_quantity,
        )
        for line in order.lines
    ] == [
        (
            "466157049",
            "IPOD2008GREEN",
            "IPod Nano - 8gb - green",
            1,
            Decimal("199.00"),
            Decimal("0"),
            Decimal("199.00"),
            0,
        ),
        (
            "518995019",
            "IPOD2008RED",
            "IPod Nano - 8gb - red",
            1,
            Decimal("199.00"),
            Decimal("0"),
            Decimal("199.00"),
            0,
        ),
        (
            "703073504",
            "IPOD2008BLACK",
            "IPod Nano - 8gb - black",
            1,
            Decimal("199.00"),
            Decimal("0"),
            Decimal("199.00"),
            0,
        ),
    ]
    assert order.shipping == Decimal("0.00")
    assert order.discount == Decimal("0.00")
    assert order.tax == Decimal("11.94")
    assert order.taxes_included is False
    assert order.buyer == Buyer(
        name="Bob Norman",
        email="bob.norman@hostmail.com",
        phone=None,
        channel_buyer_id="207119551",
    )
    assert order.ship_to == Address(
        name="Bob Norman",
        phone="555-625-1199",
        country="US",
        province="Kentucky",
        city="Louisville",
        address="Chestnut Street 92",
        postal_code="40202",
    )
    assert order.notes.buyer is None


def test_legacy_order_keeps_the_platform_total_even_where_its_lines_disagree(
    published_payload: Payload,
) -> None:
    # The sample's subtotal is 398.00 for three lines of 199.00: the total is kept as sent and
    # the difference is left for intake to flag, not papered over.
    order = normalize(published_payload(LEGACY))

    assert order.total == Decimal("409.94")
    assert order.total_mismatch() == Decimal("-199.00")


# ----------------------------------------------------------------------------------------------
# A webhook body: presentment currency, shipping discount, SKU-less line, 64-bit ids


def test_webhook_amounts_are_shop_money_not_presentment_money() -> None:
    order = normalize(webhook_body())

    assert order.currency == "USD"
    assert [line.unit_price for line in order.lines] == [
        Decimal("25.00"),
        Decimal("3.50"),
        Decimal("12.00"),
    ]
    assert [line.discount for line in order.lines] == [
        Decimal("5.00"),
        Decimal("0"),
        Decimal("0"),
    ]
    assert [line.total for line in order.lines] == [
        Decimal("45.00"),
        Decimal("3.50"),
        Decimal("12.00"),
    ]
    assert order.tax == Decimal("10.08")
    assert order.total == Decimal("60.50")


def test_free_shipping_discount_is_taken_off_shipping_and_counted_only_once() -> None:
    order = normalize(webhook_body())

    assert order.shipping == Decimal("0.00")
    assert order.discount == Decimal("5.00")
    assert order.taxes_included is True
    assert order.total_mismatch() == Decimal("0")


def test_ids_beyond_two_to_the_53_survive_exactly() -> None:
    order = normalize(webhook_body())

    assert order.external_id == "9007199254740993"
    assert [line.external_line_id for line in order.lines] == [
        "11111111111111111",
        "11111111111111112",
        "11111111111111113",
    ]
    assert order.buyer.channel_buyer_id == "7390000000000000001"


def test_line_without_sku_is_kept_with_sku_none() -> None:
    order = normalize(webhook_body())

    assert [(line.sku, line.title, line.quantity) for line in order.lines] == [
        ("TEE-BLK-M", "Organic Tee - Black / M", 2),
        (None, "Gift wrapping", 1),
        ("MUG-01", "Enamel Mug", 1),
    ]


def test_paid_and_partly_fulfilled_webhook_is_partially_shipped() -> None:
    order = normalize(webhook_body())

    assert order.status == "partially_shipped"
    assert order.raw_status == "paid/partial"
    assert all(line.refunded_quantity == 0 for line in order.lines)


def test_webhook_times_with_minus_four_hours_offset_become_utc() -> None:
    order = normalize(webhook_body())

    assert order.created_at == utc(2024, 3, 15, 13, 29, 58)
    assert order.paid_at == utc(2024, 3, 15, 13, 30, 5)
    assert order.updated_at == utc(2024, 3, 16, 18, 2, 11)


def test_webhook_buyer_falls_back_to_order_phone_and_address_joins_both_lines() -> None:
    order = normalize(webhook_body())

    assert order.buyer == Buyer(
        name="Zoë Fontaine",
        email="zoe.fontaine@example.ca",
        phone="+15145550199",
        channel_buyer_id="7390000000000000001",
    )
    assert order.ship_to == Address(
        name="Zoë Fontaine",
        phone="+15145550123",
        country="CA",
        province="Quebec",
        city="Montréal",
        address="1200 Rue Sainte-Catherine O, Apt 5",
        postal_code="H3B 1K9",
    )
    assert order.notes.buyer == "Leave at the back door 🚪"


def test_guest_checkout_without_customer_takes_buyer_from_billing_address_and_order() -> None:
    def guest(order: dict[str, Any]) -> None:
        del order["customer"]

    order = normalize(edited(webhook_body(), guest))

    assert order.buyer == Buyer(
        name="Zoë Fontaine",
        email="zoe.fontaine@example.ca",
        phone="+15145550199",
        channel_buyer_id=None,
    )


# ----------------------------------------------------------------------------------------------
# Status mapping


@pytest.mark.parametrize(
    ("financial", "fulfillment", "cancelled_at", "status", "raw_status"),
    [
        ("pending", None, None, "pending_payment", "pending/unfulfilled"),
        ("authorized", None, None, "pending_payment", "authorized/unfulfilled"),
        ("partially_paid", None, None, "pending_payment", "partially_paid/unfulfilled"),
        ("paid", None, None, "paid", "paid/unfulfilled"),
        ("paid", "partial", None, "partially_shipped", "paid/partial"),
        ("paid", "fulfilled", None, "shipped", "paid/fulfilled"),
        ("partially_refunded", "fulfilled", None, "shipped", "partially_refunded/fulfilled"),
        ("pending", "fulfilled", None, "shipped", "pending/fulfilled"),
        ("refunded", "fulfilled", None, "refunded", "refunded/fulfilled"),
        (
            "voided",
            None,
            "2024-03-15T10:00:00-04:00",
            "cancelled",
            "voided/unfulfilled/cancelled",
        ),
        (
            "pending",
            None,
            "2024-03-15T10:00:00-04:00",
            "cancelled",
            "pending/unfulfilled/cancelled",
        ),
        (
            "refunded",
            "restocked",
            "2024-03-15T10:00:00-04:00",
            "refunded",
            "refunded/restocked/cancelled",
        ),
        ("paid", None, "2024-03-15T10:00:00-04:00", "cancelled", "paid/unfulfilled/cancelled"),
    ],
)
def test_status_follows_financial_fulfillment_and_cancellation(
    financial: str,
    fulfillment: str | None,
    cancelled_at: str | None,
    status: str,
    raw_status: str,
) -> None:
    def set_status(order: dict[str, Any]) -> None:
        order["financial_status"] = financial
        order["fulfillment_status"] = fulfillment
        order["cancelled_at"] = cancelled_at

    order = normalize(edited(webhook_body(), set_status))

    assert order.status == status
    assert order.raw_status == raw_status


def test_order_cancelled_before_payment_is_cancelled_without_paid_time(
    published_payload: Payload,
) -> None:
    def cancel(order: dict[str, Any]) -> None:
        order["financial_status"] = "voided"
        order["cancelled_at"] = "2008-01-10T12:00:00-05:00"

    order = normalize(edited(published_payload(LEGACY), cancel))

    assert order.status == "cancelled"
    assert order.paid_at is None


def test_cancelled_order_with_full_refund_after_payment_is_refunded(
    published_payload: Payload,
) -> None:
    def refund_all(order: dict[str, Any]) -> None:
        order["financial_status"] = "refunded"
        order["cancelled_at"] = "2008-01-11T09:00:00-05:00"
        order["refunds"][0]["refund_line_items"].append(
            {"id": 1, "line_item_id": 518995019, "quantity": 1}
        )

    order = normalize(edited(published_payload(REST), refund_all))

    assert order.status == "refunded"
    assert order.raw_status == "refunded/unfulfilled/cancelled"
    assert order.paid_at == utc(2008, 1, 10, 16, 0, 0)
    assert [line.refunded_quantity for line in order.lines] == [1, 1, 1]


def test_refunds_of_the_same_line_are_summed() -> None:
    def two_refunds(order: dict[str, Any]) -> None:
        order["financial_status"] = "partially_refunded"
        order["refunds"] = [
            {"id": 1, "refund_line_items": [{"line_item_id": 11111111111111111, "quantity": 1}]},
            {"id": 2, "refund_line_items": [{"line_item_id": 11111111111111111, "quantity": 1}]},
        ]

    order = normalize(edited(webhook_body(), two_refunds))

    assert [line.refunded_quantity for line in order.lines] == [2, 0, 0]
    assert order.status == "partially_shipped"


# ----------------------------------------------------------------------------------------------
# Malformed payloads


def test_line_price_that_is_not_a_number_names_the_line_and_field(
    published_payload: Payload,
) -> None:
    def bad_price(order: dict[str, Any]) -> None:
        order["line_items"][0]["price"] = "abc"

    with pytest.raises(NormalizationError) as caught:
        normalize(edited(published_payload(LEGACY), bad_price))

    assert caught.value.field == "line 1: price"
    assert "'abc' is not a number" in str(caught.value)


def test_shop_money_amount_that_is_not_a_number_names_the_set_field() -> None:
    def bad_price(order: dict[str, Any]) -> None:
        order["line_items"][1]["price_set"]["shop_money"]["amount"] = "abc"

    with pytest.raises(NormalizationError) as caught:
        normalize(edited(webhook_body(), bad_price))

    assert caught.value.field == "line 2: price_set.shop_money.amount"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda o: o["line_items"][2].update(quantity="two"), "line 3: quantity"),
        (lambda o: o["line_items"][0].pop("quantity"), "line 1: quantity"),
        (lambda o: o["line_items"][0].update(quantity="Infinity"), "line 1: quantity"),
        (lambda o: o["line_items"][0].pop("price"), "line 1: price"),
        (lambda o: o["line_items"].__setitem__(0, "IPOD"), "line 1"),
        (lambda o: o.update(line_items={"id": 1}), "line_items"),
        (lambda o: o.pop("total_price"), "total_price"),
        (lambda o: o.update(total_tax="eleven"), "total_tax"),
        (lambda o: o.update(created_at="10/01/2008"), "created_at"),
        (lambda o: o.update(financial_status="mystery"), "financial_status"),
        (lambda o: o.update(fulfillment_status="lost"), "fulfillment_status"),
        (lambda o: o.update(currency="dollars"), "currency"),
        (lambda o: o.update(customer="Bob"), "customer"),
        (lambda o: o.pop("id"), "id"),
        (lambda o: o["line_items"][1].update(quantity=-1), "line 2: quantity"),
    ],
)
def test_malformed_legacy_payload_raises_normalization_error_naming_the_field(
    published_payload: Payload, change: Callable[[dict[str, Any]], Any], field: str
) -> None:
    with pytest.raises(NormalizationError) as caught:
        normalize(edited(published_payload(LEGACY), change))

    assert caught.value.field == field


def test_refunding_more_units_than_ordered_is_rejected(published_payload: Payload) -> None:
    def over_refund(order: dict[str, Any]) -> None:
        order["refunds"][0]["refund_line_items"][0]["quantity"] = 3

    with pytest.raises(NormalizationError) as caught:
        normalize(edited(published_payload(REST), over_refund))

    assert caught.value.field == "line 3: refund_line_items"


def test_bytes_that_are_not_json_raise_normalization_error() -> None:
    with pytest.raises(NormalizationError, match="not valid JSON"):
        normalize(b'{"order": {"id": 1,')


def test_json_that_is_not_an_order_raises_normalization_error() -> None:
    with pytest.raises(NormalizationError) as caught:
        normalize(b'["not", "an", "order"]')

    assert caught.value.field == "order"


# ----------------------------------------------------------------------------------------------
# Webhook signature and metadata


def test_signature_made_with_the_app_secret_is_accepted() -> None:
    body = webhook_body()
    headers = {"X-Shopify-Hmac-Sha256": sign("shpss_current", body)}

    assert ADAPTER.verify_signature(body, headers, ["shpss_current"], "") is True


def test_signature_with_the_old_secret_is_accepted_during_rotation() -> None:
    body = webhook_body()
    headers = {"X-Shopify-Hmac-Sha256": sign("shpss_old", body)}

    assert ADAPTER.verify_signature(body, headers, ["shpss_new", "shpss_old"], "") is True


def test_signature_header_without_x_prefix_in_any_case_is_accepted() -> None:
    body = webhook_body()
    headers = {"shopify-hmac-sha256": sign("shpss_current", body)}

    assert ADAPTER.verify_signature(body, headers, ["shpss_current"], "") is True


def test_signature_made_with_a_wrong_secret_is_rejected() -> None:
    body = webhook_body()
    headers = {"X-Shopify-Hmac-Sha256": sign("someone_else", body)}

    assert ADAPTER.verify_signature(body, headers, ["shpss_current"], "") is False


def test_missing_signature_header_is_rejected() -> None:
    body = webhook_body()

    assert ADAPTER.verify_signature(body, {"X-Shopify-Topic": "orders/paid"}, ["s"], "") is False


def test_body_altered_by_one_byte_after_signing_is_rejected() -> None:
    body = webhook_body()
    headers = {"X-Shopify-Hmac-Sha256": sign("shpss_current", body)}
    altered = body.replace(b'"total_price": "60.50"', b'"total_price": "60.59"', 1)

    assert len(altered) == len(body)
    assert altered != body
    assert ADAPTER.verify_signature(altered, headers, ["shpss_current"], "") is False


def test_no_configured_secret_rejects_every_signature() -> None:
    body = webhook_body()
    headers = {"X-Shopify-Hmac-Sha256": sign("", body)}

    assert ADAPTER.verify_signature(body, headers, [], "") is False


def test_webhook_meta_reads_event_id_delivery_id_and_topic_from_x_headers() -> None:
    meta = ADAPTER.webhook_meta(
        webhook_body(),
        {
            "X-Shopify-Topic": "orders/paid",
            "X-Shopify-Webhook-Id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
            "X-Shopify-Event-Id": "98880550-7158-44d4-b7cd-2c97c8a091b5",
        },
    )

    assert meta.event_id == "98880550-7158-44d4-b7cd-2c97c8a091b5"
    assert meta.delivery_id == "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"
    assert meta.topic == "orders/paid"
    assert meta.is_ping is False
    assert meta.response is None


def test_webhook_meta_reads_headers_without_x_prefix() -> None:
    meta = ADAPTER.webhook_meta(
        webhook_body(),
        {
            "shopify-topic": "orders/updated",
            "shopify-webhook-id": "d1",
            "shopify-event-id": "e1",
        },
    )

    assert (meta.event_id, meta.delivery_id, meta.topic) == ("e1", "d1", "orders/updated")


def test_webhook_meta_falls_back_to_webhook_id_when_there_is_no_event_id() -> None:
    meta = ADAPTER.webhook_meta(
        webhook_body(), {"X-Shopify-Topic": "orders/create", "X-Shopify-Webhook-Id": "w-7"}
    )

    assert (meta.event_id, meta.delivery_id, meta.topic) == ("w-7", "w-7", "orders/create")


# ----------------------------------------------------------------------------------------------
# Files


def test_orders_list_file_splits_into_one_record_per_order(published_payload: Payload) -> None:
    legacy = json.loads(published_payload(LEGACY))["order"]
    listing = (
        b'{"orders": [' + json.dumps(legacy).encode() + b"," + webhook_body() + b'], "count": 2}'
    )

    records = list(ADAPTER.split(listing, "orders.json"))

    assert [record.label for record in records] == ["order 1", "order 2"]
    orders = [ADAPTER.normalize(record, AdapterContext()) for record in records]
    assert [(order.external_id, order.status, order.total) for order in orders] == [
        ("450789469", "pending_payment", Decimal("409.94")),
        ("9007199254740993", "partially_shipped", Decimal("60.50")),
    ]
    assert orders[1] == normalize(webhook_body())


def test_json_array_file_splits_into_one_record_per_order(published_payload: Payload) -> None:
    array = b"[" + published_payload(REST) + b"," + webhook_body() + b"]"

    records = list(ADAPTER.split(array, "orders.json"))

    assert [record.label for record in records] == ["item 1", "item 2"]
    assert [normalize(record.raw).external_id for record in records] == [
        "450789469",
        "9007199254740993",
    ]
    assert normalize(records[0].raw) == normalize(published_payload(REST))


def test_single_order_file_is_one_record_with_its_bytes_unchanged(
    published_payload: Payload,
) -> None:
    raw = published_payload(REST)

    records = list(ADAPTER.split(raw, "order.json"))

    assert len(records) == 1
    assert records[0].raw == raw


def test_broken_orders_list_file_raises_normalization_error() -> None:
    with pytest.raises(NormalizationError, match=r"orders\.json: not valid JSON"):
        list(ADAPTER.split(b'{"orders": [{"id": 1}, {"id": ', "orders.json"))


def test_orders_wrapper_with_one_order_normalises_and_with_two_asks_for_a_split() -> None:
    one = b'{"orders": [' + webhook_body() + b"]}"
    two = b'{"orders": [' + webhook_body() + b"," + webhook_body() + b"]}"

    assert normalize(one).external_id == "9007199254740993"
    with pytest.raises(NormalizationError) as caught:
        normalize(two)
    assert caught.value.field == "orders"


def test_normalize_command_names_a_broken_file_once_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from omnioms.cli import build_parser

    broken = tmp_path / "orders.json"
    broken.write_bytes(b'[{"id": 1, "line_items": [{"id": ')

    args = build_parser().parse_args(["normalize", "--channel", "shopify", str(broken)])

    assert args.func(args) == 2
    assert capsys.readouterr().err == (
        f"omnioms: {broken}: not valid JSON (parse error: premature EOF)\n"
    )
