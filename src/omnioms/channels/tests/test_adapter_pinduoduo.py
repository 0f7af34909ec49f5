"""Pinduoduo (拼多多) adapter: fixtures written from channel-formats.md (fixtures/pinduoduo)."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from omnioms.channels.adapters import get_adapter
from omnioms.channels.adapters.base import (
    AdapterContext,
    NormalizationError,
    hmac_sha256_base64,
)
from omnioms.channels.adapters.pinduoduo import ADAPTER, order_ids_to_fetch
from omnioms.channels.contract import NormalizedOrder
from omnioms.channels.tests.adapter_helpers import fixture_reader, normalizer, utc
from omnioms.core.choices import OrderStatus

AWAITING = "order_info_awaiting_shipment.json"
SHIPPED = "order_info_shipped_price_change_bundle.json"
LIST = "order_list_get.json"
MESSAGE = "pmc_message.json"

fixture_bytes = fixture_reader("pinduoduo")
normalize = normalizer(ADAPTER)


def awaiting() -> dict[str, Any]:
    info: dict[str, Any] = json.loads(fixture_bytes(AWAITING))["order_info_get_response"][
        "order_info"
    ]
    return info


def listed() -> list[NormalizedOrder]:
    return [
        ADAPTER.normalize(record, AdapterContext())
        for record in ADAPTER.split(fixture_bytes(LIST), "list")
    ]


def test_the_adapter_is_registered_under_pinduoduo() -> None:
    assert ADAPTER.code == "pinduoduo"
    assert get_adapter("pinduoduo") is ADAPTER


# ----------------------------------------------------------------------------------------------
# Awaiting shipment: float yuan, encrypted receiver with masks, a gift


def test_float_yuan_are_read_exactly() -> None:
    order = normalize(fixture_bytes(AWAITING))

    # On the wire: goods_price 19.9 x 3, discount_amount 6.3, pay_amount 53.4. Through binary
    # floats 19.9 * 3 is 59.699999999999996 and 59.7 - 6.3 is 53.400000000000006.
    (socks, _gift) = order.lines
    assert socks.unit_price == Decimal("19.90")
    assert socks.total == Decimal("59.70")
    assert str(socks.total) == "59.70"
    assert order.discount == Decimal("6.30")
    assert order.total == Decimal("53.40")
    assert order.model_dump(mode="json")["total"] == "53.40"
    assert order.total_mismatch() == Decimal("0")


def test_awaiting_shipment_order() -> None:
    order = normalize(fixture_bytes(AWAITING))

    assert order.channel == "pinduoduo"
    assert order.external_id == "240308-512345678901234"
    assert order.status == OrderStatus.PAID
    assert order.raw_status == "1/1"
    assert order.currency == "CNY"
    assert order.shipping == Decimal("0.00")
    assert order.tax == Decimal("0.00")
    assert order.taxes_included is True
    assert order.notes.buyer == "请用顺丰，谢谢"
    assert order.notes.seller is None  # remark ""


def test_naive_beijing_times_become_utc() -> None:
    order = normalize(fixture_bytes(AWAITING))

    assert order.created_at == utc(2024, 3, 8, 12, 1, 15)
    assert order.paid_at == utc(2024, 3, 8, 12, 1, 40)
    assert order.updated_at == utc(2024, 3, 8, 12, 5, 0)


def test_chinese_spec_and_merchant_code() -> None:
    socks = normalize(fixture_bytes(AWAITING)).lines[0]

    assert socks.title == "加厚羊毛袜 男女冬季中筒袜 [灰色,3双装]"
    assert socks.sku == "SOCK-WOOL-GRY-3P"
    assert socks.external_line_id == "1234567890123"
    assert socks.quantity == 3
    assert socks.is_gift is False


def test_gift_list_items_are_free_gift_lines() -> None:
    gift = normalize(fixture_bytes(AWAITING)).lines[1]

    assert gift.is_gift is True
    assert (gift.sku, gift.title, gift.quantity) == ("GIFT-WARMER-10", "暖宝宝 10片装 [赠品]", 1)
    assert (gift.unit_price, gift.total) == (Decimal("0.00"), Decimal("0.00"))


def test_receiver_shows_the_masked_forms_never_the_ciphertext() -> None:
    order = normalize(fixture_bytes(AWAITING))

    ship_to = order.ship_to
    assert ship_to is not None
    assert (ship_to.name, ship_to.phone) == ("王*", "*******6789")
    assert ship_to.address == "粤海街道科技南十二路****"
    assert (ship_to.province, ship_to.city, ship_to.district) == ("广东省", "深圳市", "南山区")
    assert ship_to.country == "CN"
    assert ship_to.masked is True
    assert "AgAAAA" not in order.model_dump_json()
    assert order.buyer.name is None
    assert order.buyer.phone is None


def test_ciphertext_without_a_masked_form_shows_stars() -> None:
    info = awaiting()
    for key in ("receiver_name_mask", "receiver_phone_mask", "receiver_address_mask"):
        del info[key]

    ship_to = normalize(info).ship_to

    assert ship_to is not None
    assert (ship_to.name, ship_to.phone, ship_to.address) == ("***", "***", "***")
    assert ship_to.masked is True


# ----------------------------------------------------------------------------------------------
# Shipped: the seller's price change, a bundle (组合货品), receiver emptied after shipment


def test_price_change_counts_as_discount_on_the_single_line() -> None:
    order = normalize(fixture_bytes(SHIPPED))

    (box,) = order.lines
    # goods_price 129, goods_amount 119: the seller cut 10 (改价); platform discount 5
    assert (box.unit_price, box.discount, box.total) == (
        Decimal("129.00"),
        Decimal("10.00"),
        Decimal("119.00"),
    )
    assert order.discount == Decimal("15.00")
    assert order.shipping == Decimal("6.00")
    assert order.total == Decimal("120.00")
    assert order.total_mismatch() == Decimal("0")


def test_combined_ware_becomes_bundle_components() -> None:
    (box,) = normalize(fixture_bytes(SHIPPED)).lines

    assert box.sku == "TEA-GIFTBOX"
    assert [(part.sku, part.quantity) for part in box.components] == [
        ("TEA-LJ-100", 2),
        ("TEA-CUP", 1),
    ]


def test_bundle_component_without_a_code_is_a_clear_error() -> None:
    info = json.loads(fixture_bytes(SHIPPED))
    info["order_depot_info"]["ware_sub_info_list"][1]["ware_sn"] = ""

    with pytest.raises(NormalizationError) as error:
        normalize(info)
    assert error.value.field == "order_depot_info.ware_sub_info_list 2: ware_sn"


def test_shipped_order_with_emptied_receiver() -> None:
    order = normalize(fixture_bytes(SHIPPED))

    assert order.status == OrderStatus.SHIPPED
    assert order.raw_status == "2/1"
    assert order.updated_at == utc(2024, 3, 1, 8, 45, 31)
    assert order.shipped_at == utc(2024, 3, 1, 8, 45, 30)  # shipping_time, Beijing time
    assert normalize(fixture_bytes(AWAITING)).shipped_at is None  # "" while awaiting shipment
    ship_to = order.ship_to
    assert ship_to is not None
    assert (ship_to.name, ship_to.phone, ship_to.address) == (None, None, None)
    assert (ship_to.province, ship_to.city, ship_to.district) == ("浙江省", "杭州市", "西湖区")
    assert order.notes.seller == "已改价：老客户优惠10元"


# ----------------------------------------------------------------------------------------------
# A list page: full refund, refund in progress with a SKU-less line, an unpaid deposit order


def test_list_page_splits_into_orders() -> None:
    records = list(ADAPTER.split(fixture_bytes(LIST), "list"))

    assert [record.label for record in records] == [
        "list: order 1",
        "list: order 2",
        "list: order 3",
    ]
    assert [order.external_id for order in listed()] == [
        "240305-100000000000001",
        "240305-100000000000002",
        "240305-100000000000003",
    ]


def test_refund_status_4_is_refunded_with_every_line() -> None:
    refunded = listed()[0]

    assert refunded.status == OrderStatus.REFUNDED
    assert refunded.raw_status == "1/4"
    assert [(line.quantity, line.refunded_quantity) for line in refunded.lines] == [(2, 2)]
    assert refunded.total == Decimal("25.80")


def test_refund_in_progress_keeps_paid_and_line_without_codes_keeps_sku_none() -> None:
    order = listed()[1]

    assert order.status == OrderStatus.PAID
    assert order.raw_status == "1/3"
    (line,) = order.lines
    assert line.sku is None
    assert line.refunded_quantity == 0
    assert line.title == "测试链接 勿拍"
    # 0.1 x 3 is 0.30000000000000004 in binary floats
    assert (line.unit_price, line.total, order.total) == (
        Decimal("0.10"),
        Decimal("0.30"),
        Decimal("0.30"),
    )
    assert order.total_mismatch() == Decimal("0")


def test_deposit_order_with_unpaid_balance_is_not_to_be_shipped() -> None:
    order = listed()[2]

    assert order.status == OrderStatus.PENDING_PAYMENT
    assert order.discount == Decimal("20.00")
    assert order.total == Decimal("379.00")


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({"order_status": 1}, OrderStatus.PAID),
        ({"order_status": 2}, OrderStatus.SHIPPED),
        ({"order_status": 3}, OrderStatus.COMPLETED),
        ({"order_status": 3, "refund_status": 2}, OrderStatus.COMPLETED),
        ({"order_status": 2, "refund_status": 4}, OrderStatus.REFUNDED),
        ({"confirm_status": 2}, OrderStatus.CANCELLED),
        ({"confirm_status": 0}, OrderStatus.PENDING_PAYMENT),
        ({"group_status": 0}, OrderStatus.PENDING_PAYMENT),
        ({"trade_type": 1, "step_order_info": {"step_trade_status": 2}}, OrderStatus.PAID),
        (
            {"trade_type": 1, "step_order_info": {"step_trade_status": 0}},
            OrderStatus.PENDING_PAYMENT,
        ),
    ],
)
def test_statuses(changes: dict[str, Any], status: OrderStatus) -> None:
    info = awaiting()
    info.update(changes)

    assert normalize(info).status == status


# ----------------------------------------------------------------------------------------------
# Message-service pushes, signature, malformed input


def test_a_message_names_the_order_to_pull() -> None:
    raw = fixture_bytes(MESSAGE)

    assert order_ids_to_fetch(raw) == ["240308-512345678901234"]
    with pytest.raises(NormalizationError, match="must be pulled") as error:
        normalize(raw)
    assert "names order 240308-512345678901234" in str(error.value)
    meta = ADAPTER.webhook_meta(raw, {})
    assert meta.event_id == "881234567"
    assert meta.topic == "pdd_trade_TradeConfirmed"


def test_orders_need_no_fetch() -> None:
    assert order_ids_to_fetch(fixture_bytes(AWAITING)) == []


def test_relayed_messages_use_the_generic_signature() -> None:
    body = fixture_bytes(MESSAGE)
    good = {"X-Omnioms-Signature": hmac_sha256_base64("relay-secret", body)}

    assert ADAPTER.verify_signature(body, good, ["relay-secret"], "") is True
    assert ADAPTER.verify_signature(body, {}, ["relay-secret"], "") is False
    wrong = {"X-Omnioms-Signature": hmac_sha256_base64("nope", body)}
    assert ADAPTER.verify_signature(body, wrong, ["relay-secret"], "") is False


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d.pop("order_sn"), "order_sn"),
        (lambda d: d.pop("order_status"), "order_status"),
        (lambda d: d.update(order_status=9), "order_status"),
        (lambda d: d.pop("pay_amount"), "pay_amount"),
        (lambda d: d.update(pay_amount="53.4元"), "pay_amount"),
        (lambda d: d.update(created_time="2024/03/08 8pm"), "created_time"),
        (lambda d: d["item_list"][0].update(goods_count="三"), "line 1: goods_count"),
        (lambda d: d["item_list"][0].pop("goods_price"), "line 1: goods_price"),
        (lambda d: d["item_list"][0].update(goods_count=-3), "line 1: goods_count"),
        (lambda d: d["gift_list"][0].pop("goods_count"), "gift line 2: goods_count"),
        (lambda d: d.update(item_list={"sku_id": 1}), "item_list"),
    ],
)
def test_malformed_fields_are_named(
    change: Callable[[dict[str, Any]], Any], field: str | None
) -> None:
    info = awaiting()
    change(info)

    with pytest.raises(NormalizationError) as error:
        normalize(info)
    assert error.value.field == field


def test_error_response_is_clear() -> None:
    error = {"error_response": {"error_code": 10019, "error_msg": "access_token已过期"}}

    with pytest.raises(NormalizationError, match="access_token已过期"):
        normalize(error)
