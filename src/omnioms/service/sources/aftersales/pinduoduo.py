"""Pinduoduo (拼多多) refunds and returns: ``pdd_refund_*`` messages relayed from PDD's message
service, and the ``pdd.refund.information.get`` answer.

A message is ``{"id": ..., "type": "pdd_refund_RefundCreated", "content": "<JSON string>"}``
with ``tid`` (the order_sn), ``refund_id``, ``refund_fee`` (fen), ``bill_type`` (1 refund only
仅退款, 2 return and refund 退货退款, 3 exchange 换货) and ``modified`` (Unix seconds). Types:
RefundCreated, RefundAgreeAgreement, RefundRefuseAgreement, RefundBuyerReturnGoods,
RefundSuccess, RefundClosed. ``refund_information_get_response`` gives ``id``, ``order_sn``,
``after_sales_type`` (2 refund only, 3 return and refund, 4 exchange), ``after_sales_status``
(10 refunded 退款成功, 16/17/18 closed; others in progress), ``refund_amount`` (fen),
``goods_number``, ``sku_id``, ``outer_id``, ``after_sales_reason``, ``created_time`` /
``updated_time`` and ``expire_time`` (when PDD decides for the buyer). Relays sign with
omnioms' generic HMAC, as for orders.
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

CLOSED_TYPES = {"RefundSuccess", "RefundClosed"}
CLOSED_STATUSES = {"10", "16", "17", "18"}


def parse(body: bytes, headers: Mapping[str, Any]) -> list[AfterSaleRequest]:
    data = load(body)
    if not isinstance(data, dict):
        raise NormalizationError("not a JSON object")
    if "type" in data and "content" in data:
        kind = str(data["type"])
        if not kind.startswith("pdd_refund_"):
            return []
        content = inner_json(data["content"], "content")
        status = kind.removeprefix("pdd_refund_")
        reference = ident(content, "refund_id")
        changed = beijing(content.get("modified"), "modified")
        if changed is None:
            raise NormalizationError("is missing", field="content.modified")
        return [
            AfterSaleRequest(
                platform="pinduoduo",
                event_id=f"pinduoduo:{ident(data, 'id', required=False) or reference}:{status}",
                reference=reference,
                order_external_id=ident(content, "tid"),
                kind="refund"
                if ident(content, "bill_type", required=False) in ("", "1")
                else "return",
                status=status,
                at=changed,
                amount=amount(content.get("refund_fee"), "refund_fee", fen=True),
                currency="CNY",
                closed=status in CLOSED_TYPES,
            )
        ]
    info = data.get("refund_information_get_response", data)
    if not isinstance(info, dict):
        raise NormalizationError("is not an object", field="refund_information_get_response")
    reference = ident(info, "id")
    status = ident(info, "after_sales_status", required=False)
    changed = beijing(info.get("updated_time"), "updated_time") or beijing(
        info.get("created_time"), "created_time"
    )
    if changed is None:
        raise NormalizationError("is missing", field="created_time")
    sku = ident(info, "outer_id", required=False)
    return [
        AfterSaleRequest(
            platform="pinduoduo",
            event_id=f"pinduoduo:{reference}:{status}:{changed.isoformat()}",
            reference=reference,
            order_external_id=ident(info, "order_sn"),
            kind="refund"
            if ident(info, "after_sales_type", required=False) in ("", "1", "2")
            else "return",
            status=status,
            at=changed,
            reason=str(info.get("after_sales_reason") or ""),
            amount=amount(info.get("refund_amount"), "refund_amount", fen=True),
            currency="CNY",
            deadline=beijing(info.get("expire_time"), "expire_time"),
            closed=status in CLOSED_STATUSES,
            lines=(AfterSaleLine(None, sku, quantity(info.get("goods_number"), "goods_number")),)
            if sku
            else (),
        )
    ]
