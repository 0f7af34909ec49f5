"""WooCommerce refunds: an ``order.updated`` webhook (or the REST order) whose ``refunds[]``
lists the order's refunds (``id``, ``reason``, ``total`` as a negative string), and the REST
refund object (``GET /orders/<id>/refunds/<id>``: ``id``, ``date_created_gmt``, ``amount``,
``reason``, ``line_items[]``), which names no order: it must come with ``order_id`` from the
relay. WooCommerce has no refund webhook topic in core; the order's update after a refund is
what it sends. Signed with ``X-WC-Webhook-Signature`` (the channel adapter checks it).
One request per refund, keyed by order and refund id; the order's own lines are named when the
refund object lists them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from omnioms.channels.adapters.base import parse_iso
from omnioms.service.sources.aftersales.common import amount, ident, load, quantity
from omnioms.service.sources.base import AfterSaleLine, AfterSaleRequest, NormalizationError


def _gmt(value: Any, field: str) -> Any:
    return parse_iso(
        f"{value}Z" if isinstance(value, str) and value and value[-1].isdigit() else value, field
    )


def parse(body: bytes, headers: Mapping[str, Any]) -> list[AfterSaleRequest]:
    data = load(body)
    if not isinstance(data, dict):
        raise NormalizationError("not a JSON object")
    if "amount" in data and "order_id" in data:
        return [
            _refund(
                data,
                ident(data, "order_id"),
                data.get("date_created_gmt"),
                data.get("currency", ""),
            )
        ]
    order_id = ident(data, "id")
    changed = data.get("date_modified_gmt") or data.get("date_created_gmt")
    refunds = data.get("refunds") or []
    if not isinstance(refunds, list):
        raise NormalizationError("is not a list", field="refunds")
    return [
        _refund(r, order_id, changed, data.get("currency", ""))
        for r in refunds
        if isinstance(r, dict)
    ]


def _refund(refund: Mapping[str, Any], order_id: str, when: Any, currency: Any) -> AfterSaleRequest:
    reference = ident(refund, "id")
    at = _gmt(refund.get("date_created_gmt") or when, "date_created_gmt")
    if at is None:
        raise NormalizationError("is missing", field="date_modified_gmt")
    value = amount(refund.get("amount", refund.get("total")), "total")
    lines = []
    for index, item in enumerate(refund.get("line_items") or [], start=1):
        if isinstance(item, dict):
            number = quantity(item.get("quantity"), f"line_items[{index}].quantity")
            lines.append(
                AfterSaleLine(
                    None, str(item.get("sku") or "") or None, abs(number) if number else None
                )
            )
    return AfterSaleRequest(
        platform="woocommerce",
        event_id=f"woocommerce:{order_id}:{reference}",
        reference=f"{order_id}-{reference}",
        order_external_id=order_id,
        kind="refund",
        status="refunded",
        at=at,
        reason=str(refund.get("reason") or ""),
        amount=abs(value) if value is not None else None,
        currency=str(currency or ""),
        lines=tuple(lines),
    )
