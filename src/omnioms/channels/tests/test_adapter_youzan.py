"""Youzan (有赞) adapter: fixtures written from channel-formats.md (fixtures/youzan)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from urllib.parse import quote_plus, unquote_plus

import pytest

from omnioms.channels.adapters import get_adapter
from omnioms.channels.adapters.base import AdapterContext, NormalizationError
from omnioms.channels.adapters.youzan import ADAPTER, order_ids_to_fetch
from omnioms.channels.tests.adapter_helpers import fixture_reader, normalizer, utc
from omnioms.core.choices import OrderStatus

PAID = "trade_get_paid_split_shipment.json"
REFUND = "trade_get_partial_refund_offline.json"
SOLD = "trades_sold_get.json"
PUSH_FULL = "push_trade_create.json"
PUSH_THIN = "push_memo_modified.json"
PUSH_TEST = "push_test.json"
CLIENT_ID = "a1b2c3d4e5f6a7b8c9"
CLIENT_SECRET = "s3cr3t-9e8d7c6b5a4f"
SECRET = f"{CLIENT_ID}:{CLIENT_SECRET}"

fixture_bytes = fixture_reader("youzan")
normalize = normalizer(ADAPTER)


def paid() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(fixture_bytes(PAID))
    return data


def full(data: dict[str, Any]) -> dict[str, Any]:
    info: dict[str, Any] = data["data"]["full_order_info"]
    return info


def event_sign(body: bytes, client_id: str = CLIENT_ID, secret: str = CLIENT_SECRET) -> str:
    return hashlib.md5(client_id.encode() + body + secret.encode()).hexdigest()  # noqa: S324


def test_the_adapter_is_registered_under_youzan() -> None:
    assert ADAPTER.code == "youzan"
    assert get_adapter("youzan") is ADAPTER


# ----------------------------------------------------------------------------------------------
# A paid trade shipped in part: JSON spec strings, a gift, an encrypted receiver


def test_paid_trade_money_adds_up() -> None:
    order = normalize(fixture_bytes(PAID))

    assert order.channel == "youzan"
    assert order.external_id == "E20240308201512012345678"
    assert order.currency == "CNY"
    assert order.total == Decimal("172.90")
    assert order.shipping == Decimal("10.00")
    assert order.discount == Decimal("18.10")  # total_fee 181.00 + post 10.00 - payment 172.90
    assert order.tax == Decimal("0.00")
    assert order.taxes_included is True
    assert order.total_mismatch() == Decimal("0")


def test_naive_beijing_times_and_empty_confirm_time() -> None:
    order = normalize(fixture_bytes(PAID))

    assert order.created_at == utc(2024, 3, 8, 12, 15, 12)
    assert order.paid_at == utc(2024, 3, 8, 12, 15, 40)
    assert order.updated_at == utc(2024, 3, 9, 3, 2, 3)
    assert order.shipped_at is None  # consign_time "" before anything left
    assert "shipped_at" not in order.model_dump(mode="json")  # absent, so hashes are unchanged
    assert normalize(fixture_bytes(REFUND)).shipped_at == utc(2024, 3, 2, 7, 31, 0)


def test_one_package_of_three_lines_is_a_partial_shipment() -> None:
    order = normalize(fixture_bytes(PAID))

    assert order.raw_status == "WAIT_SELLER_SEND_GOODS"
    assert order.status == OrderStatus.PARTIALLY_SHIPPED
    assert len(order.lines) == 3  # packages never duplicate or split lines


def test_packages_holding_every_line_are_shipped_and_unsent_ones_are_not() -> None:
    data = paid()
    package = data["data"]["delivery_order"][0]
    package["oids"] = [{"oid": line["oid"]} for line in full(data)["orders"]]
    assert normalize(data).status == OrderStatus.SHIPPED

    package["express_state"] = 0
    assert normalize(data).status == OrderStatus.PAID
    data["data"]["delivery_order"] = []
    assert normalize(data).status == OrderStatus.PAID


def test_json_spec_strings_become_readable_titles() -> None:
    cup, plate, gift = normalize(fixture_bytes(PAID)).lines

    assert cup.title == "手作陶瓷杯 350ml [颜色:雾霾蓝;容量:350ml]"
    assert plate.title == "日式餐盘 8寸 [颜色:白色]"
    assert gift.title == "软木杯垫（赠品）"


def test_lines_carry_their_share_of_the_discount() -> None:
    cup, plate, _ = normalize(fixture_bytes(PAID)).lines

    assert (cup.external_line_id, cup.sku, cup.quantity) == (
        "2934567890123456781",
        "CUP-CER-BLU",
        2,
    )
    assert (cup.unit_price, cup.discount, cup.total) == (
        Decimal("68.00"),
        Decimal("13.60"),
        Decimal("122.40"),
    )
    assert plate.sku == "PLATE-WHT-8"  # outer_sku_id "" -> sku_no
    assert (plate.unit_price, plate.discount, plate.total) == (
        Decimal("45.00"),
        Decimal("4.50"),
        Decimal("40.50"),
    )


def test_is_present_marks_the_gift() -> None:
    cup, _, gift = normalize(fixture_bytes(PAID)).lines

    assert gift.is_gift is True
    assert (gift.sku, gift.unit_price, gift.total) == (
        "GIFT-COASTER",
        Decimal("0.00"),
        Decimal("0.00"),
    )
    assert cup.is_gift is False


def test_a_line_without_any_merchant_code_keeps_sku_none() -> None:
    data = paid()
    plate = full(data)["orders"][1]
    plate["sku_no"] = ""

    line = normalize(data).lines[1]
    assert line.sku is None
    assert line.title == "日式餐盘 8寸 [颜色:白色]"


def test_encrypted_personal_data_stays_out_of_the_order() -> None:
    order = normalize(fixture_bytes(PAID))

    ship_to = order.ship_to
    assert ship_to is not None
    assert (ship_to.name, ship_to.phone, ship_to.address) == ("***", "***", "***")
    assert (ship_to.province, ship_to.city, ship_to.district) == ("上海市", "上海市", "徐汇区")
    assert ship_to.postal_code == "200030"
    assert ship_to.masked is True
    assert order.buyer.phone is None  # buyer_phone is ciphertext: not searchable, not shown
    assert order.buyer.name == "小林🐱"
    assert order.buyer.channel_buyer_id == "yzOpenId_8fK2mQ7pXw3Rb9Lc"
    dumped = order.model_dump_json()
    for cipher in ("BkT3w8", "Cm5Ny2", "Dq8Lz4", "Ay9xPq", "$1$"):
        assert cipher not in dumped


def test_a_masked_form_is_preferred_to_stars() -> None:
    data = paid()
    full(data)["address_info"]["receiver_name_mask"] = "林*"

    ship_to = normalize(data).ship_to
    assert ship_to is not None
    assert ship_to.name == "林*"


def test_notes() -> None:
    order = normalize(fixture_bytes(PAID))

    assert order.notes.buyer == "杯子请多包几层"
    assert order.notes.seller is None


# ----------------------------------------------------------------------------------------------
# Partial refund in a physical store (offline order)


def test_partial_refund_keeps_completed_and_counts_the_refunded_line() -> None:
    order = normalize(fixture_bytes(REFUND))

    assert order.status == OrderStatus.COMPLETED
    croissant, cake = order.lines
    assert (cake.sku, cake.quantity, cake.refunded_quantity) == ("CAKE-CHEESE-6", 1, 1)
    # the croissant refund is still waiting for the seller: nothing counted yet
    assert (croissant.quantity, croissant.refunded_quantity) == (4, 0)
    assert croissant.title == "可颂 原味 [口味:原味]"  # plain spec text is kept
    assert order.total == Decimal("88.00")


def test_a_refund_smaller_than_the_line_counts_no_units_unless_it_says_how_many() -> None:
    data = json.loads(fixture_bytes(REFUND))
    data["refund_order"][1]["refund_state"] = "SUCCESS"
    assert normalize(data).lines[0].refunded_quantity == 0  # 12.00 of 48.00

    data["refund_order"][1]["refund_num"] = 1
    assert normalize(data).lines[0].refunded_quantity == 1


def test_offline_order_has_no_ship_to() -> None:
    order = normalize(fixture_bytes(REFUND))

    assert order.ship_to is None
    assert order.notes.seller == "门店收银台下单"
    assert order.buyer.name is None


# ----------------------------------------------------------------------------------------------
# trades.sold.get page: closed before and after payment


def test_sold_page_splits_and_closed_trades_map_by_payment() -> None:
    records = list(ADAPTER.split(fixture_bytes(SOLD), "sold"))

    assert [record.label for record in records] == ["sold: trade 1", "sold: trade 2"]
    unpaid, paid_closed = (ADAPTER.normalize(record, AdapterContext()) for record in records)
    assert unpaid.status == OrderStatus.CANCELLED
    assert unpaid.paid_at is None
    assert paid_closed.status == OrderStatus.REFUNDED
    assert [line.refunded_quantity for line in paid_closed.lines] == [2]
    assert unpaid.lines[0].title == "羊绒围巾 [颜色:红色]"


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("WAIT_BUYER_PAY", OrderStatus.PENDING_PAYMENT),
        ("TRADE_PAID", OrderStatus.PARTIALLY_SHIPPED),
        ("WAIT_BUYER_CONFIRM_GOODS", OrderStatus.SHIPPED),
        ("TRADE_SUCCESS", OrderStatus.COMPLETED),
        ("TRADE_CLOSE", OrderStatus.REFUNDED),
    ],
)
def test_statuses(raw: str, status: OrderStatus) -> None:
    data = paid()
    full(data)["order_info"]["status"] = raw

    assert normalize(data).status == status


# ----------------------------------------------------------------------------------------------
# Push: URL-encoded msg, thin messages, test ping, signature


def test_a_push_carrying_the_full_order_normalises() -> None:
    order = normalize(fixture_bytes(PUSH_FULL))

    assert order.external_id == "E20240310083000055555555"
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert order.paid_at is None
    assert order.total == Decimal("35.00")
    assert order.shipping == Decimal("6.00")
    assert order.notes.buyer == "尽快发货 +86 联系"  # "+" survives URL decoding
    assert order.buyer.name == "Amy & Ben"  # HTML entity in the nickname
    assert order.lines[0].title == "A5 笔记本 牛皮纸 [规格:A5 横线]"
    assert order.ship_to is not None
    assert order.ship_to.masked is True
    assert order_ids_to_fetch(fixture_bytes(PUSH_FULL)) == []


def test_a_push_whose_msg_is_plain_or_parsed_json_is_read_too() -> None:
    push = json.loads(fixture_bytes(PUSH_FULL))
    msg = json.loads(unquote_plus(push["msg"]))
    as_object = dict(push, msg=msg)
    as_text = dict(push, msg=json.dumps(msg, ensure_ascii=False))

    assert normalize(as_object) == normalize(fixture_bytes(PUSH_FULL))
    assert normalize(as_text) == normalize(fixture_bytes(PUSH_FULL))
    assert normalize(as_text).notes.buyer == "尽快发货 +86 联系"  # plain JSON is not URL-decoded


def test_a_thin_push_names_the_trade_to_pull() -> None:
    raw = fixture_bytes(PUSH_THIN)

    assert order_ids_to_fetch(raw) == ["E20240308201512012345678"]
    with pytest.raises(NormalizationError, match="must be pulled") as error:
        normalize(raw)
    assert "names trade E20240308201512012345678" in str(error.value)


def test_webhook_meta_event_id_is_stable_across_retries() -> None:
    raw = fixture_bytes(PUSH_THIN)
    retry = json.loads(raw)
    retry["sendCount"] = 3

    first = ADAPTER.webhook_meta(raw, {"Event-Type": "trade_TradeMemoModified"})
    again = ADAPTER.webhook_meta(json.dumps(retry).encode(), {})

    assert first.event_id == "trade_TradeMemoModified:E20240308201512012345678:1709956800"
    assert again.event_id == first.event_id
    assert first.delivery_id != again.delivery_id
    assert first.topic == "trade_TradeMemoModified"
    assert first.is_ping is False
    assert first.response == b'{"code":0,"msg":"success"}'


def test_the_test_push_is_a_ping() -> None:
    raw = fixture_bytes(PUSH_TEST)

    assert ADAPTER.webhook_meta(raw, {}).is_ping is True
    assert order_ids_to_fetch(raw) == []
    with pytest.raises(NormalizationError, match="test push"):
        normalize(raw)


def test_good_signature_is_accepted_with_any_active_secret() -> None:
    body = fixture_bytes(PUSH_FULL)
    headers = {"Event-Sign": event_sign(body), "Event-Type": "trade_TradeCreate"}

    assert ADAPTER.verify_signature(body, headers, [SECRET], "") is True
    assert ADAPTER.verify_signature(body, headers, [f"{CLIENT_ID}:old", SECRET], "") is True
    lower = {"event-sign": event_sign(body).upper()}
    assert ADAPTER.verify_signature(body, lower, [SECRET], "") is True


def test_wrong_or_missing_signature_is_refused() -> None:
    body = fixture_bytes(PUSH_FULL)

    wrong = {"Event-Sign": event_sign(body, secret="another")}
    assert ADAPTER.verify_signature(body, wrong, [SECRET], "") is False
    assert ADAPTER.verify_signature(body, {}, [SECRET], "") is False
    good = {"Event-Sign": event_sign(body)}
    assert ADAPTER.verify_signature(body + b"\n", good, [SECRET], "") is False
    assert ADAPTER.verify_signature(body, good, [CLIENT_SECRET], "") is False  # no client id


# ----------------------------------------------------------------------------------------------
# Malformed input


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda f: f["order_info"].pop("tid"), "order_info.tid"),
        (lambda f: f["order_info"].pop("status"), "order_info.status"),
        (lambda f: f["order_info"].update(status="WAIT_GROUP"), "order_info.status"),
        (lambda f: f["order_info"].update(created="2024年3月8日"), "order_info.created"),
        (lambda f: f["pay_info"].pop("payment"), "pay_info.payment"),
        (lambda f: f["pay_info"].update(post_fee="十元"), "pay_info.post_fee"),
        (lambda f: f["orders"][0].update(num="two"), "line 1: num"),
        (lambda f: f["orders"][1].pop("price"), "line 2: price"),
        (
            lambda f: f["orders"][0].update(sku_properties_name="[{bad"),
            "line 1: sku_properties_name",
        ),
        (lambda f: f.update(orders={"oid": "1"}), "orders"),
    ],
)
def test_malformed_fields_are_named(change: Callable[[dict[str, Any]], Any], field: str) -> None:
    data = paid()
    change(full(data))

    with pytest.raises(NormalizationError) as error:
        normalize(data)
    assert error.value.field == field


def test_error_answers_and_unreadable_msgs_are_clear() -> None:
    with pytest.raises(NormalizationError, match="订单不存在"):
        normalize({"success": False, "code": 101, "message": "订单不存在"})
    push = json.loads(fixture_bytes(PUSH_FULL))
    push["msg"] = quote_plus("{not json")
    with pytest.raises(NormalizationError) as error:
        normalize(push)
    assert error.value.field == "msg"
