"""Marketplace after-sales payloads read into exact requests; unreadable ones name the field."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from omnioms.service.sources.aftersales import douyin, jd, pinduoduo, shopify, taobao, woocommerce
from omnioms.service.sources.base import AfterSaleLine, AfterSaleRequest, NormalizationError

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_a_taobao_refund_message_names_the_trade_the_line_and_the_amount() -> None:
    (request,) = taobao.parse(fixture("taobao/tmc_refund_created.json"), {})

    assert request == AfterSaleRequest(
        platform="taobao",
        event_id="taobao:179834512345678901:RefundCreated:2026-12-05T13:14:02+00:00",
        reference="179834512345678901",
        order_external_id="3712845069123456789",
        kind="refund",
        status="RefundCreated",
        at=datetime(2026, 12, 5, 13, 14, 2, tzinfo=UTC),
        amount=Decimal("136.00"),
        currency="CNY",
        buyer_id="AAGq3mUuAC2k9_Yh5sL0x1Zd",
        lines=(AfterSaleLine("3712845069124456789", None, None),),
    )


def test_a_taobao_return_carries_the_platforms_deadline() -> None:
    (request,) = taobao.parse(fixture("taobao/refund_get_return.json"), {})

    assert request.kind == "return"
    assert request.deadline == datetime(2026, 12, 7, 14, 1, 40, tzinfo=UTC)
    assert request.lines == (AfterSaleLine("3712845069125456789", None, 1),)
    assert request.reason == "商品破损"
    assert not request.closed


def test_a_taobao_trade_message_is_no_after_sales_request() -> None:
    assert taobao.parse(fixture("taobao/tmc_trade_not_refund.json"), {}) == []


def test_a_taobao_message_with_cut_content_names_the_content_field() -> None:
    with pytest.raises(NormalizationError, match="content"):
        taobao.parse(fixture("taobao/tmc_refund_bad_content.json"), {})


def test_a_jd_after_sales_service_for_a_return() -> None:
    (request,) = jd.parse(fixture("jd/afs_service_return.json"), {})

    assert request.reference == "1289034455"
    assert request.order_external_id == "298765432101"
    assert request.kind == "return"
    assert request.lines == (AfterSaleLine("100012345678", None, 1),)
    assert request.deadline == datetime(2026, 12, 7, 1, 30, 15, tzinfo=UTC)
    assert request.amount == Decimal("268.00")


def test_a_douyin_after_sales_push_in_fen_and_unix_seconds() -> None:
    (request,) = douyin.parse(fixture("douyin/push_aftersale_created.json"), {})

    assert request.reference == "7352016483959341312"
    assert request.order_external_id == "6919825146123456789"
    assert request.amount == Decimal("74.70")
    assert request.lines == (AfterSaleLine("6919825146123456790", None, None),)
    assert request.deadline == datetime(2026, 12, 8, 0, 0, tzinfo=UTC)
    assert request.kind == "refund"


def test_a_douyin_order_message_is_no_after_sales_request() -> None:
    assert douyin.parse(fixture("douyin/push_order_message.json"), {}) == []


def test_pinduoduo_refund_message_and_refund_information() -> None:
    (message,) = pinduoduo.parse(fixture("pinduoduo/refund_created_message.json"), {})
    (info,) = pinduoduo.parse(fixture("pinduoduo/refund_information_get.json"), {})

    assert (message.order_external_id, message.amount, message.kind) == (
        "240308-512345678901234",
        Decimal("39.90"),
        "refund",
    )
    assert info.kind == "return"
    assert info.lines == (AfterSaleLine(None, "SOCK-WOOL-GRY-3P", 1),)


def test_a_shopify_refunds_create_webhook_names_line_items_and_money() -> None:
    (request,) = shopify.parse(
        fixture("shopify/refunds_create.json"), {"X-Shopify-Event-Id": "evt-77"}
    )

    assert request.event_id == "shopify:evt-77"
    assert request.order_external_id == "450789469"
    assert request.amount == Decimal("202.98")
    assert request.currency == "USD"
    assert request.lines == (AfterSaleLine("466157049", "IPOD2008GREEN", 1),)


def test_the_refund_in_shopifys_published_order_example_is_read(published_payload) -> None:
    body = published_payload("shopify/order_450789469_rest.json")

    (request,) = shopify.parse(body, {})

    assert request.reference == "509562969"
    assert request.reason == "it broke during shipping"
    assert request.kind == "return"  # restocked
    assert request.lines == (
        AfterSaleLine("703073504", "IPOD2008BLACK", 1),
        AfterSaleLine("466157049", "IPOD2008GREEN", 1),
    )
    assert (request.amount, request.currency) == (Decimal("209.00"), "USD")


def test_a_woocommerce_refund_object_from_the_rest_docs() -> None:
    (request,) = woocommerce.parse(fixture("woocommerce/refund_object.json"), {})

    assert request.reference == "727-726"
    assert request.amount == Decimal("10.00")
    assert request.at == datetime(2017, 3, 21, 20, 7, 11, tzinfo=UTC)
    assert request.lines == (AfterSaleLine(None, None, 1),)


def test_a_woocommerce_order_without_refunds_asks_nothing(published_payload) -> None:
    body = published_payload("woocommerce/order_727_retrieve_wp-api-v3.json")

    assert woocommerce.parse(body, {}) == []


@pytest.mark.parametrize("module", [taobao, jd, douyin, pinduoduo, shopify, woocommerce])
def test_every_adapter_refuses_what_is_not_json_with_a_reason(module) -> None:
    with pytest.raises(NormalizationError, match="not valid JSON"):
        module.parse(b"\x00<html>", {})


def test_a_jd_service_without_an_apply_time_names_it() -> None:
    body = json.loads(fixture("jd/afs_service_return.json"))
    del body["content"]["afsApplyTime"]

    with pytest.raises(NormalizationError, match="afsApplyTime"):
        jd.parse(json.dumps(body).encode(), {})
