"""Douyin shop (抖店) adapter: order.orderDetail and push, written from channel-formats.md."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any

import pytest

from omnioms.channels.adapters.base import AdapterContext, NormalizationError
from omnioms.channels.adapters.douyin import ADAPTER
from omnioms.channels.tests.adapter_helpers import fixture_reader, normalizer, utc
from omnioms.core.choices import OrderStatus

CONTEXT = AdapterContext()
APP_KEY = "7281940365123456789"
APP_SECRET = "9f2c1e7a-4b3d-4c8e-a1f0-6d5e4c3b2a10"

fixture_bytes = fixture_reader("douyin")
normalize = normalizer(ADAPTER)


def fixture_json(name: str) -> Any:
    return json.loads(fixture_bytes(name))


def paid_detail() -> dict[str, Any]:
    """The bare shop_order_detail of the paid fixture, to vary one field at a time."""
    detail: dict[str, Any] = fixture_json("order_detail_paid_gift.json")["data"][
        "shop_order_detail"
    ]
    return detail


def event_sign(body: bytes, app_key: str = APP_KEY, app_secret: str = APP_SECRET) -> str:
    return hashlib.md5(app_key.encode() + body + app_secret.encode()).hexdigest()  # noqa: S324


# ----------------------------------------------------------------------------------------------
# Paid order with shop + platform promotion and a gift sub-order


def test_whole_api_response_becomes_a_paid_order_with_exact_fen_amounts():
    order = normalize(fixture_bytes("order_detail_paid_gift.json"))

    assert order.channel == "douyin"
    assert order.external_id == "6919825146123456789"
    assert order.status == OrderStatus.PAID
    assert order.raw_status == "待发货"
    assert order.currency == "CNY"
    assert order.total == Decimal("60.47")  # pay_amount 6047 fen
    assert order.shipping == Decimal("5.00")  # post_amount 500
    assert order.discount == Decimal("4.50")  # promotion_amount 450 = shop 300 + platform 150
    assert order.tax == Decimal("0.00")
    assert order.taxes_included is True
    assert order.total_mismatch() == Decimal("0")


def test_unix_seconds_become_utc():
    order = normalize(fixture_bytes("order_detail_paid_gift.json"))

    assert order.created_at == utc(2024, 3, 1, 0, 30, 0)  # 2024-03-01 08:30:00 Beijing
    assert order.paid_at == utc(2024, 3, 1, 0, 31, 5)
    assert order.updated_at == utc(2024, 3, 1, 1, 0, 0)
    assert order.model_dump(mode="json")["created_at"] == "2024-03-01T00:30:00Z"


def test_master_sub_order_converts_fen_exactly():
    lipstick = normalize(fixture_bytes("order_detail_paid_gift.json")).lines[0]

    assert lipstick.external_line_id == "6919825146123456790"
    assert lipstick.sku == "HJJ-LIP-M03"
    assert lipstick.title == "花间集 雕花口红 丝绒哑光 [色号:M03 胭脂红]"
    assert lipstick.quantity == 3
    assert lipstick.unit_price == Decimal("19.99")  # origin_amount 1999
    assert lipstick.discount == Decimal("4.50")  # sum_amount 5997 - pay_amount 5547
    assert lipstick.total == Decimal("55.47")
    assert lipstick.is_gift is False
    assert lipstick.refunded_quantity == 0
    assert lipstick.components == []


def test_free_sub_order_is_a_gift():
    gift = normalize(fixture_bytes("order_detail_paid_gift.json")).lines[1]

    assert gift.is_gift is True
    assert gift.sku == "HJJ-LIP-MINI"
    assert gift.external_line_id == "6919825146123456791"
    assert gift.quantity == 1
    assert gift.unit_price == Decimal("0.00")
    assert gift.discount == Decimal("0.00")
    assert gift.total == Decimal("0.00")


@pytest.mark.parametrize(
    ("fen", "yuan"),
    [(1, "0.01"), (10, "0.10"), (1999, "19.99"), ("1999", "19.99"), (123456789, "1234567.89")],
)
def test_fen_amounts_convert_without_rounding(fen, yuan):
    detail = paid_detail()
    detail["pay_amount"] = fen

    assert normalize(detail).total == Decimal(yuan)


def test_buyer_id_and_notes_come_from_the_detail():
    order = normalize(fixture_bytes("order_detail_paid_gift.json"))

    assert order.buyer.channel_buyer_id == "1@#Lx6fJq2VvKkqL8mH3jF1pTz0aYc5WnEo9sR4uB7dG2hM="
    assert order.buyer.name is None
    assert order.buyer.phone is None
    assert order.notes.buyer == "麻烦发顺丰，谢谢"
    assert order.notes.seller is None


def test_ship_to_uses_the_masked_fields_and_never_the_ciphertext():
    ship_to = normalize(fixture_bytes("order_detail_paid_gift.json")).ship_to

    assert ship_to is not None
    assert ship_to.name == "陈**"
    assert ship_to.phone == "138****5678"
    assert ship_to.country == "CN"
    assert ship_to.province == "广东省"
    assert ship_to.city == "深圳市"
    assert ship_to.district == "南山区"
    assert ship_to.address == "粤海街道科技南**路***号"
    assert ship_to.postal_code is None
    assert ship_to.masked is True
    assert "AgAAAA" not in ship_to.model_dump_json()


def test_tax_amount_is_shown_but_not_added_because_prices_include_tax():
    detail = paid_detail()
    detail["tax_amount"] = 412

    order = normalize(detail)

    assert order.tax == Decimal("4.12")
    assert order.total_mismatch() == Decimal("0")


# ----------------------------------------------------------------------------------------------
# Bundle


def test_bundle_sub_order_lists_its_components_per_bundle():
    order = normalize(fixture_bytes("order_detail_bundle.json"))

    (bundle,) = order.lines
    assert bundle.sku == "HJJ-SKIN-SET3"
    assert bundle.quantity == 2
    assert bundle.unit_price == Decimal("299.00")
    assert bundle.discount == Decimal("40.00")
    assert bundle.total == Decimal("558.00")
    assert [(part.sku, part.quantity) for part in bundle.components] == [
        ("HJJ-SERUM-30", 1),
        ("HJJ-TONER-100", 2),
        ("HJJ-CREAM-50", 1),
    ]


def test_bare_shop_order_detail_is_accepted_and_shipped():
    order = normalize(fixture_bytes("order_detail_bundle.json"))

    assert order.external_id == "6920011223344556677"
    assert order.lines[0].external_line_id == "6920011223344556677"  # one sub-order: same id
    assert order.status == OrderStatus.SHIPPED
    assert order.raw_status == "已发货"
    assert order.total == Decimal("558.00")
    assert order.discount == Decimal("40.00")
    assert order.shipping == Decimal("0.00")
    assert order.total_mismatch() == Decimal("0")
    assert order.notes.seller == "礼盒需加贺卡"


def test_ciphertext_address_detail_is_replaced_by_the_masked_detail():
    ship_to = normalize(fixture_bytes("order_detail_bundle.json")).ship_to

    assert ship_to is not None
    assert ship_to.address == "首南街道天童南路***号**室"
    assert ship_to.district == "鄞州区"
    assert ship_to.name == "刘*"
    assert ship_to.phone == "159****0123"


def test_bundle_component_without_a_merchant_code_is_a_clear_error():
    detail = fixture_json("order_detail_bundle.json")
    detail["sku_order_list"][0]["bundle_sku_info"][1]["code"] = ""

    with pytest.raises(NormalizationError) as error:
        normalize(detail)

    assert error.value.field == "line 1: bundle_sku_info 2: code"


# ----------------------------------------------------------------------------------------------
# Refunds, cancellation, SKU-less sub-orders


def test_partial_refund_keeps_paid_status_and_counts_refunded_units():
    order = normalize(fixture_bytes("order_detail_partial_refund.json"))

    assert order.status == OrderStatus.PAID
    assert order.raw_status == "待发货"
    flask, sleeves = order.lines
    assert (flask.sku, flask.quantity, flask.refunded_quantity) == ("BWB-500-BLU", 1, 1)
    assert (sleeves.sku, sleeves.quantity, sleeves.refunded_quantity) == ("BWB-SLEEVE-WHT", 2, 0)
    assert flask.total == Decimal("49.90")
    assert sleeves.unit_price == Decimal("25.90")
    assert sleeves.discount == Decimal("5.00")
    assert sleeves.total == Decimal("46.80")
    assert order.total == Decimal("96.70")
    assert order.discount == Decimal("5.00")
    assert order.total_mismatch() == Decimal("0")


@pytest.mark.parametrize(
    ("after_sale", "sub_status", "refunded"),
    [
        ({"after_sale_status": 12, "after_sale_type": 2, "refund_status": 3}, 2, 1),
        ({"after_sale_status": 6, "after_sale_type": 2, "refund_status": 1}, 2, 0),
        ({"after_sale_status": 0, "after_sale_type": 0, "refund_status": 0}, 22, 1),
        ({"after_sale_status": 28, "after_sale_type": 1, "refund_status": 4}, 3, 0),
    ],
)
def test_a_sub_order_counts_as_refunded_only_when_its_refund_succeeded(
    after_sale, sub_status, refunded
):
    detail = fixture_json("order_detail_partial_refund.json")
    flask = detail["data"]["shop_order_detail"]["sku_order_list"][0]
    flask["after_sale_info"] = after_sale
    flask["main_status"] = sub_status

    assert normalize(detail).lines[0].refunded_quantity == refunded


def test_cancelled_unpaid_order_has_no_payment_time():
    order = normalize(fixture_bytes("order_detail_cancelled_unpaid.json"))

    assert order.external_id == "6922000111222333444"
    assert order.status == OrderStatus.CANCELLED
    assert order.raw_status == "已取消"
    assert order.paid_at is None  # pay_time 0
    assert order.created_at == utc(2024, 3, 5, 12, 0, 0)
    assert order.updated_at == utc(2024, 3, 5, 12, 30, 0)
    assert order.total == Decimal("89.00")
    assert [(line.sku, line.total) for line in order.lines] == [("LR-500", Decimal("89.00"))]


def test_ship_time_is_when_the_order_left_and_zero_is_not_yet():
    shipped = normalize(fixture_bytes("order_detail_no_merchant_code.json"))
    awaiting = normalize(fixture_bytes("order_detail_paid_gift.json"))

    assert shipped.shipped_at == utc(2024, 2, 27, 8, 0, 0)  # ship_time 1709020800
    assert awaiting.shipped_at is None  # ship_time 0
    assert "shipped_at" not in awaiting.model_dump(mode="json")


def test_sub_order_without_code_or_out_sku_id_keeps_sku_none():
    order = normalize(fixture_bytes("order_detail_no_merchant_code.json"))

    hat, shirt = order.lines
    assert hat.sku is None
    assert hat.title == "手工编织草帽 遮阳 [颜色:原色;尺码:均码]"
    assert (hat.quantity, hat.unit_price, hat.total) == (1, Decimal("69.00"), Decimal("69.00"))
    assert shirt.sku == "TS-WHT-L"  # out_sku_id when code is empty
    assert (shirt.quantity, shirt.unit_price, shirt.discount, shirt.total) == (
        2,
        Decimal("49.00"),
        Decimal("10.00"),
        Decimal("88.00"),
    )
    assert order.status == OrderStatus.COMPLETED
    assert order.total == Decimal("157.00")
    assert order.total_mismatch() == Decimal("0")


# ----------------------------------------------------------------------------------------------
# Statuses


@pytest.mark.parametrize(
    ("main_status", "status"),
    [
        (1, OrderStatus.PENDING_PAYMENT),
        (103, OrderStatus.PENDING_PAYMENT),
        (105, OrderStatus.PAID),
        (2, OrderStatus.PAID),
        (101, OrderStatus.PARTIALLY_SHIPPED),
        (3, OrderStatus.SHIPPED),
        (4, OrderStatus.CANCELLED),
        (5, OrderStatus.COMPLETED),
        (21, OrderStatus.REFUNDED),
        (22, OrderStatus.REFUNDED),
        (39, OrderStatus.REFUNDED),
        ("39", OrderStatus.REFUNDED),
    ],
)
def test_every_main_status_maps_to_a_unified_status(main_status, status):
    detail = paid_detail()
    detail["main_status"] = main_status
    del detail["main_status_desc"]

    order = normalize(detail)

    assert order.status == status
    assert order.raw_status == str(main_status)  # the code when there is no description


def test_order_status_is_read_when_main_status_is_absent():
    detail = paid_detail()
    del detail["main_status"], detail["main_status_desc"]

    order = normalize(detail)

    assert order.status == OrderStatus.PAID
    assert order.raw_status == "备货中"


# ----------------------------------------------------------------------------------------------
# Push: split, webhook metadata, signature


def test_push_array_splits_into_one_record_per_order_message_without_the_ping():
    records = list(ADAPTER.split(fixture_bytes("push_messages.json"), "push"))

    assert [record.label for record in records] == [
        "push: message 2 (7341928374650198765:0:101:1709253066:4463798:6919825146123456789)",
        "push: message 3 (7342019283746500001:0:103:1709625601:3391022:6923456789012345678)",
    ]
    with pytest.raises(NormalizationError, match="must be fetched") as id_only:
        ADAPTER.normalize(records[0], CONTEXT)
    assert "6919825146123456789" in str(id_only.value)  # p_id > 2^53, every digit kept
    full = ADAPTER.normalize(records[1], CONTEXT)
    assert full.external_id == "6923456789012345678"
    assert full.status == OrderStatus.COMPLETED
    assert full.total == Decimal("157.00")


def test_a_ping_carries_no_order():
    raw = fixture_bytes("push_ping.json")

    assert list(ADAPTER.split(raw, "ping")) == []
    with pytest.raises(NormalizationError, match="carries no order"):
        normalize(raw)


def test_webhook_meta_reads_message_ids_tags_and_the_expected_answer():
    meta = ADAPTER.webhook_meta(fixture_bytes("push_messages.json"), {"app-id": APP_KEY})

    assert meta.event_id == (
        "7341928374650112345,"
        "7341928374650198765:0:101:1709253066:4463798:6919825146123456789,"
        "7342019283746500001:0:103:1709625601:3391022:6923456789012345678"
    )
    assert meta.topic == "0,101,103"
    assert meta.is_ping is False
    assert meta.response == b'{"code":0,"msg":"success"}'


def test_webhook_meta_marks_a_tag_0_push_as_a_ping():
    meta = ADAPTER.webhook_meta(fixture_bytes("push_ping.json"), {})

    assert meta.is_ping is True
    assert meta.event_id == "7341928374650112345"
    assert meta.topic == "0"
    assert meta.response == b'{"code":0,"msg":"success"}'


def test_webhook_meta_of_an_unreadable_body_still_answers_douyin():
    meta = ADAPTER.webhook_meta(b"not json", {})

    assert meta.event_id is None
    assert meta.is_ping is False
    assert meta.response == b'{"code":0,"msg":"success"}'


def test_good_signature_is_accepted_with_any_active_secret():
    body = fixture_bytes("push_messages.json")
    headers = {"app-id": APP_KEY, "event-sign": event_sign(body)}
    old = f"{APP_KEY}:0000-old-secret"

    assert ADAPTER.verify_signature(body, headers, [f"{APP_KEY}:{APP_SECRET}"], "") is True
    assert ADAPTER.verify_signature(body, headers, [old, f"{APP_KEY}:{APP_SECRET}"], "") is True
    capitalised = {"Event-Sign": event_sign(body).upper()}
    assert ADAPTER.verify_signature(body, capitalised, [f"{APP_KEY}:{APP_SECRET}"], "") is True


def test_wrong_signature_is_refused():
    body = fixture_bytes("push_messages.json")
    headers = {"event-sign": event_sign(body, app_secret="someone-elses-secret")}

    assert ADAPTER.verify_signature(body, headers, [f"{APP_KEY}:{APP_SECRET}"], "") is False


def test_missing_signature_header_is_refused():
    body = fixture_bytes("push_messages.json")

    assert (
        ADAPTER.verify_signature(body, {"app-id": APP_KEY}, [f"{APP_KEY}:{APP_SECRET}"], "")
        is False
    )


def test_body_altered_by_one_byte_is_refused():
    body = fixture_bytes("push_messages.json")
    headers = {"event-sign": event_sign(body)}
    altered = body.replace(b'"tag": "101"', b'"tag": "102"')

    assert altered != body
    assert ADAPTER.verify_signature(altered, headers, [f"{APP_KEY}:{APP_SECRET}"], "") is False


def test_a_secret_without_the_app_key_never_matches():
    body = fixture_bytes("push_ping.json")
    headers = {"event-sign": event_sign(body, app_key="")}

    assert ADAPTER.verify_signature(body, headers, [APP_SECRET], "") is False
    assert ADAPTER.verify_signature(body, headers, [f":{APP_SECRET}"], "") is False


# ----------------------------------------------------------------------------------------------
# Malformed payloads


def test_non_numeric_fen_names_the_line_and_the_field():
    detail = paid_detail()
    detail["sku_order_list"][0]["origin_amount"] = "19.99元"

    with pytest.raises(NormalizationError) as error:
        normalize(detail)

    assert error.value.field == "line 1: origin_amount"
    assert "is not a number" in str(error.value)


def test_fractional_fen_is_refused():
    detail = paid_detail()
    detail["pay_amount"] = "6047.5"

    with pytest.raises(NormalizationError) as error:
        normalize(detail)

    assert error.value.field == "pay_amount"
    assert "not a whole number of fen" in str(error.value)


def test_unreadable_time_names_the_field():
    detail = paid_detail()
    detail["create_time"] = "2024-03-01 08:30:00"

    with pytest.raises(NormalizationError) as error:
        normalize(detail)

    assert error.value.field == "create_time"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d.pop("order_id"), "order_id"),
        (lambda d: d.update(main_status=77), "main_status"),
        (lambda d: d.update(sku_order_list={"order_id": "1"}), "sku_order_list"),
        (lambda d: d["sku_order_list"][1].pop("item_num"), "line 2: item_num"),
        (lambda d: d["sku_order_list"][0].update(item_num=-1), "line 1: item_num"),
        (lambda d: d.pop("pay_amount"), "pay_amount"),
    ],
)
def test_missing_or_impossible_fields_are_named(change, field):
    detail = paid_detail()
    change(detail)

    with pytest.raises(NormalizationError) as error:
        normalize(detail)

    assert error.value.field == field


def test_api_error_response_and_non_json_are_clear_errors():
    api_error = {
        "code": 40004,
        "msg": "非法的参数",
        "sub_code": "isv.parameter-invalid:20022",
        "sub_msg": "订单不存在",
    }
    with pytest.raises(NormalizationError, match="订单不存在"):
        normalize(api_error)
    with pytest.raises(NormalizationError, match="not valid JSON"):
        normalize(b"\xff\xfe")
    with pytest.raises(NormalizationError, match="shop_order_detail"):
        normalize({"hello": "world"})


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("pay_amount", "9" * 40, "too large an amount"),
        ("create_time", "9" * 40, "is not a Unix time"),
        ("update_time", -99_999_999_999_999, "is not a Unix time"),
    ],
)
def test_out_of_range_amounts_and_times_are_named_not_crashes(field, value, message):
    detail = paid_detail()
    detail[field] = value

    with pytest.raises(NormalizationError, match=message) as error:
        normalize(detail)

    assert error.value.field == field
