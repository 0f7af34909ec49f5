"""WeChat Channels shop (视频号小店) adapter: fixtures written from channel-formats.md."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from omnioms.channels.adapters import get_adapter
from omnioms.channels.adapters.base import NormalizationError
from omnioms.channels.adapters.wechat_channels import ADAPTER, order_ids_to_fetch
from omnioms.channels.tests.adapter_helpers import fixture_reader, normalizer, utc
from omnioms.core.choices import OrderStatus

SHIPPING = "order_get_partly_shipped.json"
REFUND = "order_get_completed_partial_refund.json"
PUSH = "push_order_pay.json"
LIST = "order_list_get.json"
TOKEN = "wxPushToken2024"
BASE_URL = "https://shop.example.com/api/v1/webhooks/wx-shop"

fixture_bytes = fixture_reader("wechat_channels")
normalize = normalizer(ADAPTER)


def shipping_order() -> dict[str, Any]:
    order: dict[str, Any] = json.loads(fixture_bytes(SHIPPING))["order"]
    return order


def sha1_sorted(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()  # noqa: S324


def signed_url(timestamp: str = "1709877661", nonce: str = "1437252718", **extra: str) -> str:
    signature = sha1_sorted(TOKEN, timestamp, nonce)
    query = f"signature={signature}&timestamp={timestamp}&nonce={nonce}&openid=o1"
    for key, value in extra.items():
        query += f"&{key}={value}"
    return f"{BASE_URL}?{query}"


def test_the_adapter_is_registered_under_wechat_channels() -> None:
    assert ADAPTER.code == "wechat_channels"
    assert get_adapter("wechat_channels") is ADAPTER


# ----------------------------------------------------------------------------------------------
# Partly shipped in two packages


def test_fen_amounts_become_yuan_exactly() -> None:
    order = normalize(fixture_bytes(SHIPPING))

    assert order.channel == "wechat_channels"
    assert order.external_id == "3705115058471208928"
    assert order.currency == "CNY"
    assert order.total == Decimal("218.80")  # order_price 21880 fen
    assert order.shipping == Decimal("0.00")
    assert order.discount == Decimal("10.00")  # product_price 22880 - order_price 21880
    assert order.tax == Decimal("0.00")
    assert order.taxes_included is True
    assert order.total_mismatch() == Decimal("0")


def test_unix_seconds_become_utc() -> None:
    order = normalize(fixture_bytes(SHIPPING))

    assert order.created_at == utc(2024, 3, 8, 6, 0, 0)  # 14:00 Beijing
    assert order.paid_at == utc(2024, 3, 8, 6, 1, 0)
    assert order.updated_at == utc(2024, 3, 9, 5, 6, 40)


def test_status_21_with_two_packages_is_partially_shipped_with_lines_as_ordered() -> None:
    order = normalize(fixture_bytes(SHIPPING))

    assert order.status == OrderStatus.PARTIALLY_SHIPPED
    assert order.raw_status == "21"
    assert [(line.external_line_id, line.quantity) for line in order.lines] == [
        ("1751965429", 2),
        ("1751965500", 1),
    ]


def test_lines_with_spec_attributes_and_a_missing_merchant_code() -> None:
    tea, teapot = normalize(fixture_bytes(SHIPPING)).lines

    assert tea.sku == "TEA-OOLONG-250"
    assert tea.title == "高山乌龙茶 清香型 [规格:250g;包装:铁罐]"
    assert (tea.unit_price, tea.discount, tea.total) == (
        Decimal("49.90"),
        Decimal("10.00"),
        Decimal("89.80"),
    )
    assert teapot.sku is None  # out_sku_id and sku_code both ""
    assert teapot.title == "紫砂壶 西施壶 200ml [泥料:朱泥]"
    assert (teapot.unit_price, teapot.total) == (Decimal("129.00"), Decimal("129.00"))


def test_masked_address_and_buyer() -> None:
    order = normalize(fixture_bytes(SHIPPING))

    ship_to = order.ship_to
    assert ship_to is not None
    assert (ship_to.name, ship_to.phone, ship_to.address) == (
        "陈**",
        "139****5678",
        "科华北路***号",
    )
    assert (ship_to.province, ship_to.city, ship_to.district) == ("四川省", "成都市", "武侯区")
    assert ship_to.postal_code == "610041"
    assert ship_to.masked is True
    assert order.buyer.channel_buyer_id == "oZx7a5E2pQk9VwRt3LmN8bYc1HdU"
    assert order.notes.buyer == "发票抬头：个人"
    assert order.notes.seller is None


def test_the_bare_order_equals_the_answer() -> None:
    assert normalize(shipping_order()) == normalize(fixture_bytes(SHIPPING))


# ----------------------------------------------------------------------------------------------
# Completed with a partial refund, a gift, a price change, an encrypted address


def test_finished_after_sales_count_as_refunded_units_and_keep_the_status() -> None:
    order = normalize(fixture_bytes(REFUND))

    assert order.status == OrderStatus.COMPLETED
    masks, pouch = order.lines
    assert (masks.quantity, masks.refunded_quantity) == (3, 1)
    assert pouch.refunded_quantity == 0


def test_zero_price_line_is_a_gift() -> None:
    masks, pouch = normalize(fixture_bytes(REFUND)).lines

    assert pouch.is_gift is True
    assert (pouch.sku, pouch.unit_price, pouch.total) == (
        "GIFT-POUCH",
        Decimal("0.00"),
        Decimal("0.00"),
    )
    assert masks.is_gift is False


def test_price_change_and_coupon_are_both_discount() -> None:
    order = normalize(fixture_bytes(REFUND))

    # product_price 119.70 + freight 8.00 - order_price 115.70 = 4.00 coupon + 8.00 price change
    assert order.discount == Decimal("12.00")
    assert order.shipping == Decimal("8.00")
    assert order.total == Decimal("115.70")
    assert order.total_mismatch() == Decimal("0")


def test_encrypted_fields_show_stars_and_the_virtual_number() -> None:
    order = normalize(fixture_bytes(REFUND))

    ship_to = order.ship_to
    assert ship_to is not None
    assert (ship_to.name, ship_to.address) == ("***", "***")
    assert ship_to.phone == "18100001234-5678"  # use_tel_number 1: the virtual number
    assert ship_to.postal_code is None
    assert ship_to.masked is True
    assert "ZmFrZS1jaXBoZXJ0ZXh0" not in order.model_dump_json()


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (10, OrderStatus.PENDING_PAYMENT),
        (12, OrderStatus.PAID),
        (13, OrderStatus.PENDING_PAYMENT),
        (20, OrderStatus.PAID),
        (21, OrderStatus.PARTIALLY_SHIPPED),
        (30, OrderStatus.SHIPPED),
        (100, OrderStatus.COMPLETED),
        (200, OrderStatus.REFUNDED),
        (250, OrderStatus.CANCELLED),
    ],
)
def test_statuses(code: int, status: OrderStatus) -> None:
    order = shipping_order()
    order["status"] = code

    result = normalize(order)

    assert result.status == status
    assert result.raw_status == str(code)


def test_closed_after_refund_counts_every_line_refunded() -> None:
    order = shipping_order()
    order["status"] = 200

    assert [line.refunded_quantity for line in normalize(order).lines] == [2, 1]


# ----------------------------------------------------------------------------------------------
# Thin pushes and id lists


def test_a_push_names_a_64_bit_order_id_exactly() -> None:
    raw = fixture_bytes(PUSH)

    # 3705115058471208928 > 2^53: through a float it would read 3705115058471208960
    assert order_ids_to_fetch(raw) == ["3705115058471208928"]
    with pytest.raises(NormalizationError, match="must be pulled") as error:
        normalize(raw)
    assert "names order 3705115058471208928" in str(error.value)


def test_an_order_list_answer_names_its_orders() -> None:
    raw = fixture_bytes(LIST)

    assert order_ids_to_fetch(raw) == ["3705115058471208928", "3705098765432109876"]
    with pytest.raises(NormalizationError, match="names orders 3705115058471208928, 3705"):
        normalize(raw)
    assert order_ids_to_fetch(fixture_bytes(SHIPPING)) == []


def test_webhook_meta_is_stable_for_a_resent_push() -> None:
    meta = ADAPTER.webhook_meta(fixture_bytes(PUSH), {})

    assert meta.event_id == (
        "oZx7a5E2pQk9VwRt3LmN8bYc1HdU:1709877661:channels_ec_order_pay:3705115058471208928"
    )
    assert meta.topic == "channels_ec_order_pay"
    assert ADAPTER.webhook_meta(b"<xml/>", {}).event_id is None


def test_plaintext_signature_over_token_timestamp_and_nonce() -> None:
    body = fixture_bytes(PUSH)

    assert ADAPTER.verify_signature(body, {}, [TOKEN], signed_url()) is True
    assert ADAPTER.verify_signature(body, {}, ["old-token", TOKEN], signed_url()) is True


def test_wrong_or_missing_signature_is_refused() -> None:
    body = fixture_bytes(PUSH)

    assert ADAPTER.verify_signature(body, {}, ["another-token"], signed_url()) is False
    assert ADAPTER.verify_signature(body, {}, [TOKEN], BASE_URL) is False
    tampered = signed_url().replace("timestamp=1709877661", "timestamp=1709877999")
    assert ADAPTER.verify_signature(body, {}, [TOKEN], tampered) is False
    unsigned = f"{BASE_URL}?timestamp=1709877661&nonce=1437252718"
    assert ADAPTER.verify_signature(body, {}, [TOKEN], unsigned) is False


def test_safe_mode_signature_covers_the_encrypted_body() -> None:
    encrypted = "a2V5LWVuY3J5cHRlZC1ib2R5LW5vdC1kZWNyeXB0ZWQ="
    body = json.dumps({"ToUserName": "gh_8a2b3c4d5e6f", "Encrypt": encrypted}).encode()
    timestamp, nonce = "1709877661", "99"
    good = sha1_sorted(TOKEN, timestamp, nonce, encrypted)
    url = f"{BASE_URL}?msg_signature={good}&timestamp={timestamp}&nonce={nonce}"

    assert ADAPTER.verify_signature(body, {}, [TOKEN], url) is True
    other = json.dumps({"ToUserName": "gh_8a2b3c4d5e6f", "Encrypt": encrypted + "x"}).encode()
    assert ADAPTER.verify_signature(other, {}, [TOKEN], url) is False
    with pytest.raises(NormalizationError, match="encrypted"):
        normalize(body)


# ----------------------------------------------------------------------------------------------
# Malformed input


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda o: o.pop("order_id"), "order_id"),
        (lambda o: o.pop("status"), "status"),
        (lambda o: o.update(status=77), "status"),
        (lambda o: o.update(create_time="2024-03-08 14:00:00"), "create_time"),
        (
            lambda o: o["order_detail"]["price_info"].pop("order_price"),
            "order_detail.price_info.order_price",
        ),
        (
            lambda o: o["order_detail"]["price_info"].update(freight=8.5),
            "order_detail.price_info.freight",
        ),
        (
            lambda o: o["order_detail"]["product_infos"][0].update(sale_price="49.90"),
            "line 1: sale_price",
        ),
        (lambda o: o["order_detail"]["product_infos"][1].pop("sku_cnt"), "line 2: sku_cnt"),
        (lambda o: o["order_detail"]["product_infos"][0].update(sku_cnt=-1), "line 1: sku_cnt"),
        (lambda o: o["order_detail"].update(product_infos={}), "order_detail.product_infos"),
    ],
)
def test_malformed_fields_are_named(change: Callable[[dict[str, Any]], Any], field: str) -> None:
    order = shipping_order()
    change(order)

    with pytest.raises(NormalizationError) as error:
        normalize(order)
    assert error.value.field == field


def test_error_answers_are_clear() -> None:
    with pytest.raises(NormalizationError, match="40001"):
        normalize({"errcode": 40001, "errmsg": "invalid credential"})
