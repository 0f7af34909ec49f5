"""Taobao / Tmall adapter: TOP trades written from channel-formats.md (fixtures/taobao)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from omnioms.channels.adapters.base import (
    AdapterContext,
    NormalizationError,
    hmac_sha256_base64,
)
from omnioms.channels.adapters.taobao import ADAPTER
from omnioms.channels.tests.adapter_helpers import fixture_reader, normalizer, utc
from omnioms.core.choices import OrderStatus

CONTEXT = AdapterContext()

fixture_bytes = fixture_reader("taobao")
normalize = normalizer(ADAPTER)


def fixture_json(name: str) -> Any:
    return json.loads(fixture_bytes(name))


def paid_trade() -> dict[str, Any]:
    """The bare trade of the paid three-line fixture, to vary one field at a time."""
    trade: dict[str, Any] = fixture_json("trade_fullinfo_paid_gift.json")[
        "trade_fullinfo_get_response"
    ]["trade"]
    return trade


# ----------------------------------------------------------------------------------------------
# A paid multi-line trade with an order-level coupon and a gift


def test_fullinfo_response_becomes_a_paid_order_with_the_platform_totals():
    order = normalize(fixture_bytes("trade_fullinfo_paid_gift.json"))

    assert order.channel == "taobao"
    assert order.external_id == "3712845069123456789"
    assert order.status == OrderStatus.PAID
    assert order.raw_status == "WAIT_SELLER_SEND_GOODS"
    assert order.currency == "CNY"
    assert order.total == Decimal("440.00")
    assert order.shipping == Decimal("8.00")
    assert order.discount == Decimal("55.00")
    assert order.tax == Decimal("0.00")
    assert order.taxes_included is True
    assert order.total_mismatch() == Decimal("0")
    assert order.version is None


def test_naive_beijing_times_become_utc():
    order = normalize(fixture_bytes("trade_fullinfo_paid_gift.json"))

    assert order.created_at == utc(2024, 3, 1, 0, 30, 0)
    assert order.paid_at == utc(2024, 3, 1, 0, 31, 12)
    assert order.updated_at == utc(2024, 3, 1, 1, 5, 47)
    assert order.model_dump(mode="json")["created_at"] == "2024-03-01T00:30:00Z"


def test_naive_times_follow_the_account_time_zone_when_it_is_not_beijing():
    context = AdapterContext(time_zone=ZoneInfo("Asia/Tokyo"))

    order = normalize(fixture_bytes("trade_fullinfo_paid_gift.json"), context)

    assert order.created_at == utc(2024, 2, 29, 23, 30, 0)


def test_line_total_is_divide_order_fee_and_its_discount_includes_the_coupon_share():
    tea = normalize(fixture_bytes("trade_fullinfo_paid_gift.json")).lines[0]

    assert tea.external_line_id == "3712845069124456789"
    assert tea.sku == "QH-TEA-LJ-250"
    assert tea.title == "青禾 明前龙井茶 2024新茶 250g 罐装 [净含量:250g;包装:罐装]"
    assert tea.quantity == 2
    assert tea.unit_price == Decimal("199.00")
    # 20.00 line promotion + 24.55 share of the 30.00 shop coupon
    assert tea.discount == Decimal("44.55")
    assert tea.total == Decimal("353.45")
    assert tea.is_gift is False
    assert tea.refunded_quantity == 0
    assert tea.components == []


def test_negative_adjust_fee_is_a_seller_price_cut_and_counts_as_discount():
    cup = normalize(fixture_bytes("trade_fullinfo_paid_gift.json")).lines[1]

    assert cup.sku == "QH-CUP-GL-300"
    assert cup.quantity == 1
    assert cup.unit_price == Decimal("89.00")
    # 5.00 seller price cut (adjust_fee -5.00) + 5.45 share of the shop coupon
    assert cup.discount == Decimal("10.45")
    assert cup.total == Decimal("78.55")


def test_zero_price_line_is_a_gift_and_keeps_its_merchant_sku():
    gift = normalize(fixture_bytes("trade_fullinfo_paid_gift.json")).lines[2]

    assert gift.is_gift is True
    assert gift.sku == "QH-GIFT-SAMPLE-5G"
    assert gift.title == "【赠品】青禾 白茶试饮装 5g"
    assert gift.quantity == 1
    assert gift.unit_price == Decimal("0.00")
    assert gift.discount == Decimal("0.00")
    assert gift.total == Decimal("0.00")


@pytest.mark.parametrize(
    ("changes", "is_gift"),
    [
        ({"is_gift": True}, True),
        ({"gift": "true"}, True),
        ({"is_free_gift": 1}, True),
        # the whole price discounted on the line itself: a "payment 0" gift
        ({"discount_fee": "398.00", "payment": "0.00", "divide_order_fee": "0.00"}, True),
        # an order-level coupon that happens to cover the line is not a gift
        ({"divide_order_fee": "0.00"}, False),
        ({"is_gift": False}, False),
    ],
)
def test_gift_markers_and_fully_discounted_lines_are_gifts_but_coupons_are_not(changes, is_gift):
    trade = paid_trade()
    trade["orders"]["order"][0].update(changes)

    assert normalize(trade).lines[0].is_gift is is_gift


def test_buyer_notes_and_ship_to_come_from_the_trade():
    order = normalize(fixture_bytes("trade_fullinfo_paid_gift.json"))

    assert order.buyer.name == "t**8"
    assert order.buyer.channel_buyer_id == "AAGq3mUuAC2k9_Yh5sL0x1Zd"
    assert order.buyer.email is None
    assert order.notes.buyer == "请周末配送，谢谢"
    assert order.notes.seller == "赠品已备注，发顺丰"
    ship_to = order.ship_to
    assert ship_to is not None
    assert ship_to.name == "王小明"
    assert ship_to.phone == "13800138000"
    assert ship_to.country == "CN"
    assert ship_to.province == "浙江省"
    assert ship_to.city == "杭州市"
    assert ship_to.district == "西湖区"
    assert ship_to.address == "文新街道文一西路969号5幢1201室"
    assert ship_to.postal_code == "310012"  # "310012  " on the wire
    assert ship_to.masked is False


# ----------------------------------------------------------------------------------------------
# Partial refund, masked receiver, trade without divide_order_fee


def test_partial_refund_keeps_paid_status_and_counts_refunded_units():
    order = normalize(fixture_bytes("trade_fullinfo_partial_refund.json"))

    assert order.status == OrderStatus.PAID
    assert order.raw_status == "WAIT_SELLER_SEND_GOODS"
    scarf, gloves = order.lines
    assert scarf.sku == "YM-SCARF-GRY"
    assert scarf.quantity == 1
    assert scarf.refunded_quantity == 1
    assert gloves.sku == "YM-GLOVE-BLK-M"
    assert gloves.quantity == 2
    assert gloves.refunded_quantity == 0


def test_without_divide_order_fee_lines_use_payment_and_the_trade_discount_is_added():
    order = normalize(fixture_bytes("trade_fullinfo_partial_refund.json"))

    scarf, gloves = order.lines
    assert (scarf.unit_price, scarf.discount, scarf.total) == (
        Decimal("59.90"),
        Decimal("0.00"),
        Decimal("59.90"),
    )
    assert (gloves.unit_price, gloves.discount, gloves.total) == (
        Decimal("35.00"),
        Decimal("10.00"),
        Decimal("60.00"),
    )
    # 10.00 on the gloves line + 5.00 order-level discount_fee
    assert order.discount == Decimal("15.00")
    assert order.shipping == Decimal("0.00")
    assert order.total == Decimal("114.90")
    assert order.total_mismatch() == Decimal("0")


def test_desensitised_receiver_is_masked_and_the_placeholder_zip_is_dropped():
    order = normalize(fixture_bytes("trade_fullinfo_partial_refund.json"))

    ship_to = order.ship_to
    assert ship_to is not None
    assert ship_to.name == "李**"
    assert ship_to.phone == "138****5678"
    assert ship_to.province == "上海"
    assert ship_to.city == "上海市"
    assert ship_to.district == "浦东新区"
    assert ship_to.address == "张江镇**路**号"  # already starts with receiver_town
    assert ship_to.postal_code is None  # "000000"
    assert ship_to.masked is True
    assert order.notes.buyer is None
    assert order.notes.seller == "第一件缺货，已协商退款"


# ----------------------------------------------------------------------------------------------
# Bare trade, numeric ids only, line without merchant SKU, single-line postage


def test_bare_trade_with_only_numeric_ids_keeps_every_digit():
    order = normalize(fixture_bytes("trade_line_without_outer_sku_id.json"))

    assert order.external_id == "3725590031234567890"  # > 2^53: a float would end in ...000
    assert order.lines[0].external_line_id == "3725590031234567890"


def test_consign_time_is_when_the_trade_shipped_in_utc():
    order = normalize(fixture_bytes("trade_line_without_outer_sku_id.json"))

    assert order.shipped_at == utc(2024, 3, 4, 8, 20, 0)  # 16:20 Beijing time
    assert order.model_dump(mode="json")["shipped_at"] == "2024-03-04T08:20:00Z"
    assert normalize(fixture_bytes("trade_fullinfo_paid_gift.json")).shipped_at is None


def test_line_without_outer_sku_id_or_outer_iid_keeps_sku_none():
    order = normalize(fixture_bytes("trade_line_without_outer_sku_id.json"))

    (line,) = order.lines
    assert line.sku is None
    assert line.title == "手工刺绣 定制帆布包 可绣字"
    assert line.quantity == 1


def test_single_line_trade_takes_postage_out_of_the_line_payment():
    order = normalize(fixture_bytes("trade_line_without_outer_sku_id.json"))

    (line,) = order.lines
    assert line.unit_price == Decimal("128.00")
    assert line.total == Decimal("120.00")  # payment 130.00 includes the 10.00 postage
    assert line.discount == Decimal("8.00")  # adjust_fee -8.00
    assert order.status == OrderStatus.SHIPPED
    assert order.shipping == Decimal("10.00")
    assert order.discount == Decimal("8.00")
    assert order.total == Decimal("130.00")
    assert order.total_mismatch() == Decimal("0")
    assert order.created_at == utc(2024, 3, 3, 15, 59, 58)
    assert order.paid_at == utc(2024, 3, 3, 16, 0, 31)
    assert order.updated_at == utc(2024, 3, 4, 8, 20, 9)


def test_outer_iid_is_the_sku_when_the_line_has_no_outer_sku_id():
    trade = paid_trade()
    del trade["orders"]["order"][0]["outer_sku_id"]

    assert normalize(trade).lines[0].sku == "QH-TEA"


# ----------------------------------------------------------------------------------------------
# Statuses


def test_trade_closed_by_taobao_before_payment_is_cancelled():
    order = normalize(fixture_bytes("trade_closed_before_payment.json"))

    assert order.status == OrderStatus.CANCELLED
    assert order.raw_status == "TRADE_CLOSED_BY_TAOBAO"
    assert order.paid_at is None
    assert order.created_at == utc(2024, 3, 5, 4, 0, 0)
    assert order.updated_at == utc(2024, 3, 6, 4, 0, 5)
    assert order.total == Decimal("299.00")
    assert order.lines[0].sku == "KB-87-RGB-BRN"
    assert order.lines[0].total == Decimal("299.00")


@pytest.mark.parametrize(
    ("raw_status", "status"),
    [
        ("TRADE_NO_CREATE_PAY", OrderStatus.PENDING_PAYMENT),
        ("WAIT_BUYER_PAY", OrderStatus.PENDING_PAYMENT),
        ("PAY_PENDING", OrderStatus.PENDING_PAYMENT),
        ("WAIT_PRE_AUTH_CONFIRM", OrderStatus.PENDING_PAYMENT),
        ("WAIT_SELLER_SEND_GOODS", OrderStatus.PAID),
        ("PAID_FORBID_CONSIGN", OrderStatus.PAID),
        ("SELLER_CONSIGNED_PART", OrderStatus.PARTIALLY_SHIPPED),
        ("WAIT_BUYER_CONFIRM_GOODS", OrderStatus.SHIPPED),
        ("TRADE_BUYER_SIGNED", OrderStatus.COMPLETED),
        ("TRADE_FINISHED", OrderStatus.COMPLETED),
        ("TRADE_CLOSED", OrderStatus.REFUNDED),
        ("TRADE_CLOSED_BY_TAOBAO", OrderStatus.CANCELLED),
    ],
)
def test_every_trade_status_maps_to_a_unified_status(raw_status, status):
    trade = paid_trade()
    trade["status"] = raw_status

    order = normalize(trade)

    assert order.status == status
    assert order.raw_status == raw_status


def test_trade_closed_without_a_payment_time_is_cancelled_not_refunded():
    trade = paid_trade()
    trade["status"] = "TRADE_CLOSED"
    del trade["pay_time"]

    assert normalize(trade).status == OrderStatus.CANCELLED


# ----------------------------------------------------------------------------------------------
# Splitting files


def test_sold_get_page_splits_into_one_record_per_trade():
    records = list(ADAPTER.split(fixture_bytes("trades_sold_get_3.json"), "sold.json"))

    assert [record.label for record in records] == [
        "sold.json: trade 1",
        "sold.json: trade 2",
        "sold.json: trade 3",
    ]
    orders = [ADAPTER.normalize(record, CONTEXT) for record in records]
    assert [(o.external_id, o.status, o.total) for o in orders] == [
        ("3731200001111222333", OrderStatus.PENDING_PAYMENT, Decimal("45.80")),
        ("3731200002222333444", OrderStatus.PARTIALLY_SHIPPED, Decimal("168.00")),
        ("3731200003333444555", OrderStatus.REFUNDED, Decimal("65.00")),
    ]
    assert all(order.total_mismatch() == 0 for order in orders)


def test_sold_get_trades_keep_their_lines_refunds_and_sku_fallback():
    records = list(ADAPTER.split(fixture_bytes("trades_sold_get_3.json"), "sold.json"))
    unpaid, part_shipped, closed = (ADAPTER.normalize(record, CONTEXT) for record in records)

    assert unpaid.paid_at is None
    assert unpaid.created_at == utc(2024, 3, 6, 12, 15, 0)
    assert [(line.sku, line.quantity, line.unit_price) for line in unpaid.lines] == [
        ("ZZ-NOTE-A5-3", 2, Decimal("22.90"))
    ]
    assert [(line.sku, line.total) for line in part_shipped.lines] == [
        ("ZZ-PEN-SET", Decimal("128.00")),  # outer_iid: the line has no outer_sku_id
        ("ZZ-INK-BLU-50", Decimal("40.00")),
    ]
    (lamp,) = closed.lines
    assert lamp.refunded_quantity == 1
    assert lamp.total == Decimal("59.00")
    assert closed.shipping == Decimal("6.00")


def test_json_array_of_trades_splits_into_one_record_each():
    trades = [
        paid_trade(),
        fixture_json("trade_line_without_outer_sku_id.json"),
        fixture_json("trade_closed_before_payment.json"),
    ]
    raw = json.dumps(trades, ensure_ascii=False).encode()

    records = list(ADAPTER.split(raw, "trades.json"))

    assert [ADAPTER.normalize(r, CONTEXT).external_id for r in records] == [
        "3712845069123456789",
        "3725590031234567890",
        "3730014456789012345",
    ]


def test_single_fullinfo_response_is_one_record_with_the_original_bytes():
    raw = fixture_bytes("trade_fullinfo_paid_gift.json")

    (record,) = ADAPTER.split(raw, "one.json")

    assert record.raw == raw


def test_sold_get_page_without_trades_yields_no_records():
    raw = b'{"trades_sold_get_response":{"total_results":0,"has_next":false}}'

    assert list(ADAPTER.split(raw, "empty.json")) == []


def test_normalize_refuses_an_unsplit_sold_get_page():
    with pytest.raises(NormalizationError, match="split"):
        normalize(fixture_bytes("trades_sold_get_3.json"))


# ----------------------------------------------------------------------------------------------
# Malformed payloads


def test_non_numeric_price_names_the_line_and_the_field():
    trade = paid_trade()
    trade["orders"]["order"][1]["price"] = "八十九"

    with pytest.raises(NormalizationError) as error:
        normalize(trade)

    assert error.value.field == "line 2: price"
    assert "'八十九' is not a number" in str(error.value)


def test_non_numeric_payment_names_the_field():
    trade = paid_trade()
    trade["payment"] = "440,00元"

    with pytest.raises(NormalizationError) as error:
        normalize(trade)

    assert error.value.field == "payment"


def test_unreadable_time_names_the_field():
    trade = paid_trade()
    trade["created"] = "2024年3月1日 08:30"

    with pytest.raises(NormalizationError) as error:
        normalize(trade)

    assert error.value.field == "created"
    assert "is not a yyyy-MM-dd HH:mm:ss time" in str(error.value)


def test_fractional_quantity_names_the_line():
    trade = paid_trade()
    trade["orders"]["order"][0]["num"] = "1.5"

    with pytest.raises(NormalizationError) as error:
        normalize(trade)

    assert error.value.field == "line 1: num"


def test_missing_trade_id_and_unknown_status_are_reported():
    trade = paid_trade()
    del trade["tid"], trade["tid_str"]
    with pytest.raises(NormalizationError) as missing:
        normalize(trade)
    assert missing.value.field == "tid_str"

    trade = paid_trade()
    trade["status"] = "WAIT_SOMETHING_NEW"
    with pytest.raises(NormalizationError) as unknown:
        normalize(trade)
    assert unknown.value.field == "status"


def test_orders_that_are_not_a_list_are_reported():
    trade = paid_trade()
    trade["orders"] = {"order": "none"}

    with pytest.raises(NormalizationError) as error:
        normalize(trade)

    assert error.value.field == "orders.order"


def test_top_error_response_and_non_json_are_clear_errors():
    error_response = {
        "error_response": {
            "code": 27,
            "msg": "Invalid session",
            "sub_code": "invalid-sessionkey",
            "sub_msg": "SessionKey非法",
        }
    }
    with pytest.raises(NormalizationError, match="Invalid session"):
        normalize(error_response)
    with pytest.raises(NormalizationError, match="not valid JSON"):
        normalize(b"<html>502 Bad Gateway</html>")
    with pytest.raises(NormalizationError, match="one Taobao trade"):
        normalize(b"[]")


# ----------------------------------------------------------------------------------------------
# Webhook signature: omnioms' generic HMAC, as signed by a TMC relay


def test_relay_signature_is_omnioms_generic_hmac_with_rotation():
    body = fixture_bytes("trade_fullinfo_paid_gift.json")
    good = {"X-Omnioms-Signature": hmac_sha256_base64("new-secret", body)}

    assert ADAPTER.verify_signature(body, good, ["old-secret", "new-secret"], "") is True
    assert ADAPTER.verify_signature(body, good, ["old-secret"], "") is False
    assert ADAPTER.verify_signature(body, {}, ["new-secret"], "") is False
    altered = body.replace(b'"440.00"', b'"440.01"')
    assert ADAPTER.verify_signature(altered, good, ["new-secret"], "") is False
