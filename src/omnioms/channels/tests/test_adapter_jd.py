"""JD (京东 POP) adapter: fixtures written from channel-formats.md (fixtures/jd)."""

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
from omnioms.channels.adapters.jd import ADAPTER, camel_keys
from omnioms.channels.tests.adapter_helpers import fixture_reader, normalizer, utc
from omnioms.core.choices import OrderStatus

PAID = "order_get_paid_suit_gift.json"
COD = "order_info_cod_encrypted.json"
SEARCH = "order_search_snake_case.json"

fixture_bytes = fixture_reader("jd")
normalize = normalizer(ADAPTER)


def paid_info() -> dict[str, Any]:
    """The bare orderInfo of the paid fixture, to vary one field at a time."""
    data = json.loads(fixture_bytes(PAID))
    info: dict[str, Any] = data["jingdong_pop_order_get_responce"]["orderDetailInfo"]["orderInfo"]
    return info


def test_the_adapter_is_registered_under_jd() -> None:
    assert ADAPTER.code == "jd"
    assert get_adapter("jd") is ADAPTER


# ----------------------------------------------------------------------------------------------
# A paid order: a two-piece suit, a line without merchant code, a gift, order-level coupons


def test_get_response_with_the_misspelt_root_becomes_a_paid_order() -> None:
    order = normalize(fixture_bytes(PAID))

    assert order.channel == "jd"
    assert order.external_id == "296745123456"
    assert order.status == OrderStatus.PAID
    assert order.raw_status == "WAIT_SELLER_STOCK_OUT"
    assert order.currency == "CNY"
    assert order.total == Decimal("356.90")  # orderPayment
    assert order.shipping == Decimal("8.00")
    # orderTotalPrice 423.90 + freight 8.00 - orderPayment 356.90: suit 40 + shop 15 + JD 20
    assert order.discount == Decimal("75.00")
    assert order.tax == Decimal("0.00")
    assert order.taxes_included is True
    assert order.total_mismatch() == Decimal("0")


def test_naive_beijing_times_become_utc() -> None:
    order = normalize(fixture_bytes(PAID))

    assert order.created_at == utc(2024, 3, 8, 13, 15, 42)  # 21:15:42 Beijing
    assert order.paid_at == utc(2024, 3, 8, 13, 16, 5)
    assert order.updated_at == utc(2024, 3, 8, 13, 20, 11)


def test_bare_order_info_equals_the_wrapped_response() -> None:
    assert normalize(paid_info()) == normalize(fixture_bytes(PAID))


def test_suit_lines_stay_separate_with_their_suit_discount() -> None:
    pot, cups, _, _ = normalize(fixture_bytes(PAID)).lines

    assert (pot.external_line_id, pot.sku, pot.quantity) == ("100038754321", "HB-TEA-SET-POT", 1)
    assert (pot.unit_price, pot.discount, pot.total) == (
        Decimal("268.00"),
        Decimal("30.00"),
        Decimal("238.00"),
    )
    assert (cups.sku, cups.quantity) == ("HB-TEA-SET-CUP", 2)  # itemTotal is the string "2"
    assert (cups.unit_price, cups.discount, cups.total) == (
        Decimal("58.00"),
        Decimal("10.00"),
        Decimal("106.00"),
    )
    assert pot.components == []
    assert cups.components == []


def test_html_entities_and_chinese_specs_in_sku_names() -> None:
    lines = normalize(fixture_bytes(PAID)).lines

    assert lines[0].title == "青瓷功夫茶具套装 & 茶盘 颜色:天青;规格:6件套"
    assert lines[3].title == "【赠品】茶巾 棉麻 30×30cm"


def test_a_line_without_outer_sku_id_keeps_sku_none_and_is_not_dropped() -> None:
    tools = normalize(fixture_bytes(PAID)).lines[2]

    assert tools.sku is None  # never JD's own skuId
    assert tools.external_line_id == "100012398765"
    assert tools.title == "手工竹制茶则茶针 两件套"
    assert (tools.quantity, tools.unit_price, tools.total) == (
        1,
        Decimal("39.90"),
        Decimal("39.90"),
    )


def test_zero_price_line_is_a_gift_but_gift_points_are_not() -> None:
    pot, _cups, tools, cloth = normalize(fixture_bytes(PAID)).lines

    assert cloth.is_gift is True
    assert (cloth.sku, cloth.unit_price, cloth.total) == (
        "HB-GIFT-CLOTH",
        Decimal("0.00"),
        Decimal("0.00"),
    )
    assert pot.is_gift is False  # giftPoint "26" is loyalty points
    assert tools.is_gift is False


def test_buyer_notes_and_masked_consignee() -> None:
    order = normalize(fixture_bytes(PAID))

    assert order.buyer.channel_buyer_id == "o_jd_Lx8H2kQ9vTz3Wm"
    assert order.buyer.name == "jd_7a9c****e2"
    assert order.notes.buyer == "工作日送货，谢谢"
    assert order.notes.seller == "套装需加礼盒"
    ship_to = order.ship_to
    assert ship_to is not None
    assert (ship_to.name, ship_to.phone) == ("张*", "138****5678")
    assert (ship_to.province, ship_to.city, ship_to.district) == ("北京", "朝阳区", "三环以内")
    assert ship_to.address == "北京朝阳区三环以内建国路***号"
    assert ship_to.country == "CN"
    assert ship_to.masked is True


# ----------------------------------------------------------------------------------------------
# Cash on delivery: the 0001-01-01 sentinel, JSON inside strings, encrypted consignee


def test_unpaid_sentinel_is_no_payment_time_and_cod_is_still_to_fulfil() -> None:
    order = normalize(fixture_bytes(COD))

    assert order.paid_at is None  # "0001-01-01 00:00:00", not the year 1
    assert order.status == OrderStatus.PAID  # cash on delivery, waiting for stock-out
    assert order.created_at == utc(2024, 3, 9, 1, 12, 33)
    assert order.total == Decimal("129.00")


def test_order_ext_json_string_supplies_the_missing_modified_time() -> None:
    order = normalize(fixture_bytes(COD))

    # no top-level "modified"; orderExt "modifyTime": 1709951400000 ms = 10:30 Beijing
    assert order.updated_at == utc(2024, 3, 9, 2, 30, 0)


def test_order_ext_payment_time_backs_up_a_missing_payment_time() -> None:
    info = paid_info()
    del info["paymentConfirmTime"]

    assert normalize(info).paid_at == utc(2024, 3, 8, 13, 16, 5)  # orderExt payTime, ms


def test_already_parsed_or_broken_order_ext_is_tolerated() -> None:
    info = paid_info()
    del info["paymentConfirmTime"]
    info["orderExt"] = json.loads(info["orderExt"])  # a relay that parsed it
    info["sendpayMap"] = {"8": "1"}
    assert normalize(info).paid_at == utc(2024, 3, 8, 13, 16, 5)

    info["orderExt"] = "{not json"
    assert normalize(info).paid_at is None


def test_encrypted_consignee_never_reaches_the_order() -> None:
    order = normalize(fixture_bytes(COD))

    ship_to = order.ship_to
    assert ship_to is not None
    assert (ship_to.name, ship_to.phone, ship_to.address) == ("***", "***", "***")
    assert (ship_to.province, ship_to.city, ship_to.district) == ("广东", "深圳市", "南山区")
    assert ship_to.masked is True
    assert order.buyer.name is None  # the pin is ciphertext too
    assert order.buyer.channel_buyer_id == "o_jd_Qa71NcV0pP9sR2"
    assert "AgAAAA" not in order.model_dump_json()


# ----------------------------------------------------------------------------------------------
# The older snake_case search API


def test_snake_case_search_page_splits_into_orders() -> None:
    records = list(ADAPTER.split(fixture_bytes(SEARCH), "search"))

    assert [record.label for record in records] == ["search: order 1", "search: order 2"]
    finished, cancelled = (ADAPTER.normalize(r, AdapterContext()) for r in records)
    assert finished.external_id == "296511110001"
    assert finished.status == OrderStatus.COMPLETED
    assert finished.updated_at == utc(2024, 2, 25, 10, 30, 0)
    (mug,) = finished.lines
    assert (mug.sku, mug.title, mug.quantity, mug.total) == (
        "MUG-BLK",
        "马克杯 Tom & Jerry 联名 颜色:黑色",
        3,
        Decimal("99.00"),
    )
    assert finished.ship_to is not None
    assert finished.ship_to.address == "上海浦东新区张江镇***"
    assert cancelled.status == OrderStatus.REFUNDED  # cancelled after payment
    assert cancelled.ship_to is None


def test_a_search_page_of_one_normalises_directly_and_of_two_asks_to_split() -> None:
    page = json.loads(fixture_bytes(SEARCH))
    with pytest.raises(NormalizationError, match="holds 2 orders"):
        normalize(page)
    del page["order_search_response"]["order_search"]["order_info_list"][1]
    assert normalize(page).external_id == "296511110001"


def test_camel_keys() -> None:
    assert camel_keys({"order_id": 1, "item_info_list": [{"jd_price": "1"}]}) == {
        "orderId": 1,
        "itemInfoList": [{"jdPrice": "1"}],
    }


# ----------------------------------------------------------------------------------------------
# Statuses


@pytest.mark.parametrize(
    ("state", "paid", "status"),
    [
        ("WAIT_SELLER_STOCK_OUT", True, OrderStatus.PAID),
        ("WAIT_SELLER_DELIVERY", True, OrderStatus.PAID),
        ("WAIT_SEND_CODE", True, OrderStatus.PAID),
        ("POP_ORDER_PAUSE", True, OrderStatus.PAID),
        ("PAUSE", True, OrderStatus.PAID),
        ("LOCKED", True, OrderStatus.PAID),
        ("WAIT_GOODS_RECEIVE_CONFIRM", True, OrderStatus.SHIPPED),
        ("FINISHED_L", True, OrderStatus.COMPLETED),
        ("TRADE_CANCELED", True, OrderStatus.REFUNDED),
        ("TRADE_CANCELED", False, OrderStatus.CANCELLED),
        ("DELIVERY_RETURN", True, OrderStatus.REFUNDED),
        ("DELIVERY_RETURN", False, OrderStatus.CANCELLED),
    ],
)
def test_every_order_state_maps(state: str, paid: bool, status: OrderStatus) -> None:
    info = paid_info()
    info["orderState"] = state
    if not paid:
        info["paymentConfirmTime"] = "0001-01-01 00:00:00"
        info["orderExt"] = "{}"

    order = normalize(info)

    assert order.status == status
    assert order.raw_status == state


def test_un_known_state_is_kept_for_a_replay() -> None:
    info = paid_info()
    info["orderState"] = "UN_KNOWN"

    with pytest.raises(NormalizationError, match="UN_KNOWN") as error:
        normalize(info)
    assert error.value.field == "orderState"


# ----------------------------------------------------------------------------------------------
# Malformed input


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d.pop("orderId"), "orderId"),
        (lambda d: d.pop("orderState"), "orderState"),
        (lambda d: d.update(orderState="SHIPPED_MAYBE"), "orderState"),
        (lambda d: d.pop("orderPayment"), "orderPayment"),
        (lambda d: d.update(orderPayment="356.90元"), "orderPayment"),
        (lambda d: d.update(orderStartTime="08/03/2024 21:15"), "orderStartTime"),
        (lambda d: d["itemInfoList"][1].update(itemTotal="两"), "line 2: itemTotal"),
        (lambda d: d["itemInfoList"][0].pop("jdPrice"), "line 1: jdPrice"),
        (lambda d: d["itemInfoList"][2].update(itemTotal="-1"), "line 3: itemTotal"),
        (
            lambda d: d["couponDetailList"][0].update(couponPrice="x"),
            "couponDetailList 1: couponPrice",
        ),
        (lambda d: d.update(consigneeInfo="北京"), "consigneeInfo"),
        (
            lambda d: d.update(orderExt='{"payTime": "soon"}', paymentConfirmTime=""),
            "orderExt.payTime",
        ),
    ],
)
def test_malformed_fields_are_named(change: Callable[[dict[str, Any]], Any], field: str) -> None:
    info = paid_info()
    change(info)

    with pytest.raises(NormalizationError) as error:
        normalize(info)
    assert error.value.field == field


def test_error_responses_are_clear() -> None:
    gateway = {
        "error_response": {"code": "19", "zh_desc": "token已过期", "en_desc": "token expired"}
    }
    with pytest.raises(NormalizationError, match="token已过期"):
        normalize(gateway)

    api = json.loads(fixture_bytes(PAID))
    detail = api["jingdong_pop_order_get_responce"]["orderDetailInfo"]
    detail["apiResult"] = {"success": False, "chineseErrCode": "订单不存在", "numberCode": 10200014}
    with pytest.raises(NormalizationError, match="订单不存在"):
        normalize(api)
    with pytest.raises(NormalizationError, match="no orderId"):
        normalize({"hello": "world"})


def test_relayed_messages_use_the_generic_signature() -> None:
    body = fixture_bytes(PAID)
    good = {"X-Omnioms-Signature": hmac_sha256_base64("relay-secret", body)}

    assert ADAPTER.verify_signature(body, good, ["relay-secret"], "") is True
    assert ADAPTER.verify_signature(body, {}, ["relay-secret"], "") is False
    wrong = {"X-Omnioms-Signature": hmac_sha256_base64("nope", body)}
    assert ADAPTER.verify_signature(body, wrong, ["relay-secret"], "") is False
