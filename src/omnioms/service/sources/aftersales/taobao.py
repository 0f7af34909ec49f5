"""Taobao / Tmall refunds and returns: TMC ``taobao_refund_*`` messages as a relay forwards
them, and the ``taobao.refund.get`` answer.

A TMC message is ``{"topic": "taobao_refund_RefundCreated", "id": ..., "content": "<JSON
string>"}`` whose content has ``refund_id``, ``tid``, ``oid``, ``buyer_nick`` /
``buyer_open_uid``, ``refund_fee`` (yuan), ``refund_phase`` (onsale / aftersale),
``bill_type`` (``refund_bill`` / ``return_bill``) and ``modified`` (Beijing time). Topics:
RefundCreated, RefundSellerAgreeAgreement, RefundSellerRefuseAgreement,
RefundBuyerModifyAgreement, RefundBuyerReturnGoods, RefundSuccess, RefundClosed,
RefundTimeoutRemind. ``taobao.refund.get`` (``refund_get_response.refund``) adds ``status``
(WAIT_SELLER_AGREE, WAIT_BUYER_RETURN_GOODS, WAIT_SELLER_CONFIRM_GOODS, SELLER_REFUSE_BUYER,
CLOSED, SUCCESS), ``has_good_return``, ``reason``, ``desc``, ``num`` and ``timeout``: the time
at which Taobao decides for the buyer if the seller has not acted (the platform's SLA).
Pushes are signed as the shop's order pushes are (the channel adapter checks them).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from omnioms.service.sources.aftersales.common import (
    amount,
    beijing,
    ident,
    inner_json,
    load,
    quantity,
)
from omnioms.service.sources.base import AfterSaleLine, AfterSaleRequest, NormalizationError

CLOSED_TOPICS = {"RefundSuccess", "RefundClosed"}
CLOSED_STATUSES = {"SUCCESS", "CLOSED"}


def parse(body: bytes, headers: Mapping[str, Any]) -> list[AfterSaleRequest]:
    data = load(body)
    if not isinstance(data, dict):
        raise NormalizationError("not a JSON object")
    if "topic" in data:
        topic = str(data["topic"])
        if not topic.startswith("taobao_refund_"):
            return []
        content = inner_json(data.get("content"), "content")
        return [
            _request(
                content,
                status=topic.removeprefix("taobao_refund_"),
                message_id=ident(data, "id", required=False),
            )
        ]
    refund = (
        data.get("refund_get_response", {}).get("refund") if "refund_get_response" in data else data
    )
    if not isinstance(refund, dict):
        raise NormalizationError("is not an object", field="refund_get_response.refund")
    return [_request(refund, status=ident(refund, "status"))]


def _request(refund: Mapping[str, Any], *, status: str, message_id: str = "") -> AfterSaleRequest:
    reference = ident(refund, "refund_id_str", "refund_id")
    modified = beijing(refund.get("modified"), "modified") or beijing(
        refund.get("created"), "created"
    )
    if modified is None:
        raise NormalizationError("is missing", field="modified")
    is_return = (
        str(refund.get("bill_type", "")) == "return_bill"
        or str(refund.get("has_good_return", "")).lower() == "true"
        or status
        in ("RefundBuyerReturnGoods", "WAIT_BUYER_RETURN_GOODS", "WAIT_SELLER_CONFIRM_GOODS")
    )
    oid = ident(refund, "oid_str", "oid", required=False)
    return AfterSaleRequest(
        platform="taobao",
        event_id=f"taobao:{reference}:{status}:{modified.isoformat()}",
        reference=reference,
        order_external_id=ident(refund, "tid_str", "tid"),
        kind="return" if is_return else "refund",
        status=status,
        at=modified,
        reason=str(refund.get("reason") or refund.get("desc") or ""),
        amount=amount(refund.get("refund_fee"), "refund_fee"),
        currency="CNY",
        buyer_id=ident(refund, "buyer_open_uid", "buyer_nick", required=False),
        deadline=beijing(refund.get("timeout"), "timeout"),
        closed=status in CLOSED_TOPICS or status in CLOSED_STATUSES,
        lines=(AfterSaleLine(oid or None, None, quantity(refund.get("num"), "num")),)
        if oid
        else (),
    )
