"""JD (京东 POP) after-sales services (服务单) as JD's after-sales API and its message relay
report them. (Field set from JD's open-platform documentation of ``afsService``; details
unverified against a live shop, so the reading is tolerant.)

Fields, camelCase as JD writes them (snake_case accepted, as with JD's orders):
``afsServiceId`` (the reference), ``orderId``, ``skuId``, ``applyCount``, ``customerExpect``
(10 return 退货, 20 exchange 换货, 30 repair 维修, 40 refund only 仅退款),
``afsServiceStatus`` (10 applied, 20 approved, 40 finished, 50 cancelled, 60 refused; another
value is kept as the status), ``afsApplyTime`` and ``updateTime`` (Beijing time),
``questionDesc``, ``customerPin``, ``refundAmount`` (yuan), ``approveDeadline`` (when JD
approves on its own: the platform's SLA). A relay's envelope ``{"msgId": ..., "content":
{...}}`` and an ``afsServiceInfo`` wrapper are unwrapped. Signed as the shop's order pushes.
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

EXPECT = {"10": "return", "20": "return", "30": "return", "40": "refund"}
CLOSED = {"40", "50", "60"}


def _snake_too(data: Mapping[str, Any]) -> dict[str, Any]:
    """The record with every snake_case key also under its camelCase name."""
    out = dict(data)
    for key, value in data.items():
        if "_" in key:
            head, *rest = key.split("_")
            out.setdefault(head + "".join(part.title() for part in rest), value)
    return out


def parse(body: bytes, headers: Mapping[str, Any]) -> list[AfterSaleRequest]:
    data = load(body)
    if not isinstance(data, dict):
        raise NormalizationError("not a JSON object")
    if "content" in data:
        data = inner_json(data["content"], "content")
    afs = data.get("afsServiceInfo", data.get("afs_service_info", data))
    if not isinstance(afs, dict):
        raise NormalizationError("is not an object", field="afsServiceInfo")
    afs = _snake_too(afs)
    reference = ident(afs, "afsServiceId")
    status = ident(afs, "afsServiceStatus", required=False) or "10"
    applied = beijing(afs.get("afsApplyTime"), "afsApplyTime")
    if applied is None:
        raise NormalizationError("is missing", field="afsApplyTime")
    changed = beijing(afs.get("updateTime"), "updateTime") or applied
    sku = ident(afs, "skuId", required=False)
    expect = ident(afs, "customerExpect", required=False)
    count = quantity(afs.get("applyCount"), "applyCount")
    return [
        AfterSaleRequest(
            platform="jd",
            event_id=f"jd:{reference}:{status}:{changed.isoformat()}",
            reference=reference,
            order_external_id=ident(afs, "orderId"),
            kind=EXPECT.get(expect, "refund"),
            status=status,
            at=changed,
            reason=str(afs.get("questionDesc") or ""),
            amount=amount(afs.get("refundAmount"), "refundAmount"),
            currency="CNY",
            buyer_id=str(afs.get("customerPin") or ""),
            deadline=beijing(afs.get("approveDeadline"), "approveDeadline"),
            closed=status in CLOSED,
            lines=(AfterSaleLine(sku, None, count),) if sku else (),
        )
    ]
