"""Douyin shop (抖店) after-sales pushes: message tags 200-209 (``trade_Refund*`` /
``doudian_refund_*``), signed with ``event-sign`` like the order pushes.

The push is ``[{"tag": "200", "msg_id": "...", "data": "<JSON string>"}]``; after-sales data
has ``aftersale_id``, ``aftersale_status``, ``aftersale_type`` (0 return and refund 退货退款,
1 refund after shipment 已发货仅退款, 2 refund before shipment 未发货仅退款, 3 exchange 换货),
``p_id`` (the order), ``s_id`` (the sub-order: the line), ``refund_amount`` (fen),
``apply_time`` / ``update_time`` (Unix seconds), ``reason_code`` and, on some tags,
``expire_time`` (when the platform decides for the buyer). Tags: 200 buyer applied, 201 seller
agreed, 202 seller refused, 203 buyer returned goods, 204 refund succeeded, 205 buyer
cancelled, 206 buyer changed the request, 207 seller agreed the return, 208 seller refused
the return, 209 closed. Tag 0 is the verification ping; other tags are order messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from omnioms.service.sources.aftersales.common import amount, beijing, ident, inner_json, load
from omnioms.service.sources.base import AfterSaleLine, AfterSaleRequest, NormalizationError

AFTERSALE_TAGS = {str(t) for t in range(200, 210)}
CLOSED_TAGS = {"204", "205", "209"}


def parse(body: bytes, headers: Mapping[str, Any]) -> list[AfterSaleRequest]:
    messages = load(body)
    if isinstance(messages, dict):
        messages = [messages]
    if not isinstance(messages, list):
        raise NormalizationError("not a JSON array of messages")
    requests = []
    for index, message in enumerate(messages, start=1):
        if not isinstance(message, dict):
            raise NormalizationError("not an object", field=f"message {index}")
        tag = ident(message, "tag")
        if tag not in AFTERSALE_TAGS:
            continue
        data = inner_json(message.get("data"), f"message {index}: data")
        reference = ident(data, "aftersale_id")
        changed = beijing(data.get("update_time"), "update_time") or beijing(
            data.get("apply_time"), "apply_time"
        )
        if changed is None:
            raise NormalizationError("is missing", field=f"message {index}: apply_time")
        line = ident(data, "s_id", required=False)
        kind = ident(data, "aftersale_type", required=False)
        requests.append(
            AfterSaleRequest(
                platform="douyin",
                event_id=f"douyin:{ident(message, 'msg_id', required=False) or reference}:{tag}",
                reference=reference,
                order_external_id=ident(data, "p_id"),
                kind="return" if kind in ("0", "3") else "refund",
                status=tag,
                at=changed,
                reason=str(data.get("reason_text") or data.get("reason_code") or ""),
                amount=amount(data.get("refund_amount"), "refund_amount", fen=True),
                currency="CNY",
                buyer_id=ident(data, "doudian_open_id", "open_id", required=False),
                deadline=beijing(data.get("expire_time"), "expire_time"),
                closed=tag in CLOSED_TAGS,
                lines=(AfterSaleLine(line, None, None),)
                if line and line != ident(data, "p_id")
                else (),
            )
        )
    return requests
